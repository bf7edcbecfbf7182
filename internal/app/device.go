package app

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"time"

	"hoso/internal/errs"
	"hoso/internal/secret"
	"hoso/tracking"
)

// DeviceKey is a courier device's registered public key.
type DeviceKey struct {
	Alg       string // ES256 | Ed25519
	PublicKey []byte // SPKI DER (ES256) or the 32 raw bytes (Ed25519)
}

// DoorCode is the stored hash of a one-time code read out at the door.
type DoorCode struct {
	Hash      []byte
	ExpiresAt time.Time
	Attempts  int
	Used      bool
}

// ParcelSecret is what the door checks need of a parcel.
type ParcelSecret struct {
	ID       string
	Number   string
	Leg      string
	IDHash   []byte
	IDLast3  string
	PhoneEnc []byte
	Courier  string
	Holder   tracking.Party
	Office   string
}

// DeviceStore keeps device keys and door codes.
type DeviceStore interface {
	SaveDeviceKey(ctx context.Context, userID int64, deviceID string, k DeviceKey, at time.Time) error
	FindDeviceKey(ctx context.Context, userID int64, deviceID string) (DeviceKey, bool, error)
	ParcelSecret(ctx context.Context, number string) (ParcelSecret, error)
	SaveDoorCode(ctx context.Context, parcelID, purpose string, c DoorCode, at time.Time) error
	FindDoorCode(ctx context.Context, parcelID, purpose string) (DoorCode, bool, error)
	FailDoorCode(ctx context.Context, parcelID, purpose string) error
	UseDoorCode(ctx context.Context, parcelID, purpose string, at time.Time) error
	CountDoorCodes(ctx context.Context, parcelID string, since time.Time) (int, error)
}

// Devices registers courier device keys, issues door codes and checks
// what the device sends: its signature, and any door code or CCCD number in
// the data, which never reach the ledger in clear.
type Devices struct {
	Store  DeviceStore
	Hasher *secret.Hasher
	Box    *secret.Box
	SMS    SMSSender
	Now    func() time.Time
}

// RegisterKey stores the public key of a device (base64 of SPKI DER for
// ES256, of the 32 raw bytes for Ed25519); a new key replaces the old.
func (d *Devices) RegisterKey(ctx context.Context, u User, deviceID, alg, key string) error {
	f := errs.Fields{}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(key))
	if err != nil {
		f.Add("public_key", "base64 của khóa công khai")
	}
	switch alg {
	case "ES256":
		if err == nil {
			pub, perr := x509.ParsePKIXPublicKey(raw)
			if k, ok := pub.(*ecdsa.PublicKey); perr != nil || !ok || k.Curve.Params().Name != "P-256" {
				f.Add("public_key", "khóa ECDSA P-256 dạng SPKI")
			}
		}
	case "Ed25519":
		if err == nil && len(raw) != ed25519.PublicKeySize {
			f.Add("public_key", "khóa Ed25519 32 byte")
		}
	default:
		f.Add("alg", "ES256 hoặc Ed25519")
	}
	if deviceID == "" {
		f.Add("device_id", "thiếu mã thiết bị")
	}
	if err := f.Err(errs.Invalid, "Khóa thiết bị không hợp lệ"); err != nil {
		return err
	}
	return d.Store.SaveDeviceKey(ctx, u.ID, deviceID, DeviceKey{Alg: alg, PublicKey: raw}, d.Now())
}

// SignedText is what a device signs for one event: the fields as the JSON
// texts it sent them (so no re-encoding can change a byte).
func SignedText(raw map[string]json.RawMessage) []byte {
	field := func(k string) string {
		v, ok := raw[k]
		if !ok {
			return ""
		}
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
		return string(bytes.TrimSpace(v))
	}
	var b bytes.Buffer
	b.WriteString("hoso-event-v1\n")
	for _, k := range []string{"id", "type", "tracking_number", "at", "lat", "lng"} {
		b.WriteString(field(k))
		b.WriteByte('\n')
	}
	b.Write(bytes.TrimSpace(raw["data"]))
	return b.Bytes()
}

// signatureChecker checks signatures made with one device key; the key is
// parsed once. A key that does not parse fails every signature.
func signatureChecker(k DeviceKey) func(msg []byte, sig64 string) ([]byte, bool) {
	var ek *ecdsa.PublicKey
	if k.Alg == "ES256" {
		if pub, err := x509.ParsePKIXPublicKey(k.PublicKey); err == nil {
			ek, _ = pub.(*ecdsa.PublicKey)
		}
	}
	return func(msg []byte, sig64 string) ([]byte, bool) {
		sig, err := base64.StdEncoding.DecodeString(sig64)
		if err != nil {
			return nil, false
		}
		switch k.Alg {
		case "Ed25519":
			return sig, len(k.PublicKey) == ed25519.PublicKeySize && ed25519.Verify(ed25519.PublicKey(k.PublicKey), msg, sig)
		case "ES256":
			if ek == nil {
				return sig, false
			}
			h := sha256.Sum256(msg)
			if len(sig) == 64 { // WebCrypto's raw r‖s
				r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
				return sig, ecdsa.Verify(ek, h[:], r, s)
			}
			return sig, ecdsa.VerifyASN1(ek, h[:], sig)
		}
		return sig, false
	}
}

// checkSignature checks one signature made with k.
func checkSignature(k DeviceKey, msg []byte, sig64 string) ([]byte, bool) {
	return signatureChecker(k)(msg, sig64)
}

// Verify checks one event alone; see Verifier.
func (d *Devices) Verify(ctx context.Context, u User, device string, ev DeviceEvent, raw []byte) ([]byte, []byte, error) {
	return d.Verifier(ctx, u, device)(ctx, ev, raw)
}

// Verifier is the Sync hook: for each event of a batch from one device, the
// device signature when the device has a key, then the door code or CCCD in
// the data, replaced by the fact they matched. The device's key is looked up
// and parsed once per batch, at its first event.
func (d *Devices) Verifier(_ context.Context, u User, device string) EventVerifier {
	var (
		loaded bool
		has    bool
		check  func(msg []byte, sig64 string) ([]byte, bool)
	)
	return func(ctx context.Context, ev DeviceEvent, raw []byte) ([]byte, []byte, error) {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			return nil, nil, errs.E(errs.Invalid, "sự kiện không phải đối tượng JSON")
		}
		var sig []byte
		if device != "" {
			if !loaded {
				k, ok, err := d.Store.FindDeviceKey(ctx, u.ID, device)
				if err != nil {
					return nil, nil, err
				}
				loaded, has = true, ok
				if ok {
					check = signatureChecker(k)
				}
			}
			if has {
				if ev.Signature == "" {
					return nil, nil, errs.E(errs.Unauthorized, "sự kiện thiếu chữ ký của thiết bị")
				}
				var good bool
				sig, good = check(SignedText(fields), ev.Signature)
				if !good {
					return nil, sig, errs.E(errs.Unauthorized, "chữ ký của thiết bị không khớp: sự kiện có thể đã bị sửa")
				}
			}
		}
		return d.amend(ctx, ev, sig)
	}
}

// amend replaces a door code or CCCD number in a collection or delivery by
// the fact that it matched.
func (d *Devices) amend(ctx context.Context, ev DeviceEvent, sig []byte) ([]byte, []byte, error) {
	data := []byte(ev.Data)
	t := tracking.EventType(ev.Type)
	if t != tracking.PickupCollected && t != tracking.DeliveryCompleted {
		return data, sig, nil
	}
	var m map[string]any
	if len(bytes.TrimSpace(data)) == 0 || json.Unmarshal(data, &m) != nil || m == nil {
		return data, sig, nil
	}
	otp, hasOTP := m["otp"].(string)
	idNum, hasID := m["id_number"].(string)
	last3, hasLast3 := m["id_last3"].(string)
	if !hasOTP && !hasID && !hasLast3 {
		return data, sig, nil
	}
	p, err := d.Store.ParcelSecret(ctx, strings.TrimSpace(ev.TrackingNumber))
	if err != nil {
		return nil, sig, err
	}
	delete(m, "otp")
	delete(m, "id_number")
	if hasOTP {
		purpose := "collect"
		if t == tracking.DeliveryCompleted {
			purpose = "deliver"
		}
		if err := d.checkCode(ctx, p, purpose, otp); err != nil {
			return nil, sig, err
		}
		if t == tracking.PickupCollected {
			m["otp_verified"] = true
			m["method"] = "otp"
		} else {
			m["verification"] = "otp"
		}
	}
	if hasID && t == tracking.DeliveryCompleted {
		if len(p.IDHash) == 0 || !secret.Equal(d.Hasher.Sum(PurposeCCCD, strings.TrimSpace(idNum)), p.IDHash) {
			return nil, sig, errs.E(errs.Unprocessable, "số CCCD của người nhận không khớp với hồ sơ").
				WithFields(map[string]string{"data.id_number": "không khớp"})
		}
		m["verification"] = "id_number"
		m["id_last3"] = p.IDLast3
	} else if hasLast3 && t == tracking.DeliveryCompleted && !hasOTP {
		if p.IDLast3 == "" || last3 != p.IDLast3 {
			return nil, sig, errs.E(errs.Unprocessable, "3 số cuối CCCD không khớp với hồ sơ").
				WithFields(map[string]string{"data.id_last3": "không khớp"})
		}
		m["verification"] = "id_number"
	}
	out, err := json.Marshal(m)
	return out, sig, err
}

// Door code limits.
const (
	DoorCodeTTL      = 12 * time.Hour
	DoorCodeAttempts = 5
	DoorCodesPerHour = 3
)

func (d *Devices) codeHash(parcelID, purpose, code string) []byte {
	return d.Hasher.Sum("door", parcelID+":"+purpose+":"+strings.TrimSpace(code))
}

func (d *Devices) checkCode(ctx context.Context, p ParcelSecret, purpose, code string) error {
	c, ok, err := d.Store.FindDoorCode(ctx, p.ID, purpose)
	if err != nil {
		return err
	}
	// Checked when the event syncs, possibly hours later: the code is valid
	// if it was live when issued within its lifetime.
	if !ok || c.Used {
		return errs.E(errs.Unprocessable, "không có mã xác nhận còn hiệu lực cho bưu gửi này").WithFields(map[string]string{"data.otp": "hết hiệu lực"})
	}
	if c.Attempts >= DoorCodeAttempts {
		return errs.E(errs.Unprocessable, "mã xác nhận đã bị nhập sai quá nhiều lần").WithFields(map[string]string{"data.otp": "đã khóa"})
	}
	if !secret.Equal(d.codeHash(p.ID, purpose, code), c.Hash) {
		if err := d.Store.FailDoorCode(ctx, p.ID, purpose); err != nil {
			return err
		}
		return errs.E(errs.Unprocessable, "mã xác nhận không đúng").WithFields(map[string]string{"data.otp": "không đúng"})
	}
	return d.Store.UseDoorCode(ctx, p.ID, purpose, d.Now())
}

// IssueDoorCode sends the citizen a one-time code to read out to the courier
// at the door. Only the courier holding or scheduled for the parcel may ask.
func (d *Devices) IssueDoorCode(ctx context.Context, u User, number string) error {
	p, err := d.Store.ParcelSecret(ctx, number)
	if err != nil {
		return err
	}
	me := u.Party()
	if p.Holder != me && p.Courier != u.StaffCode && !(p.Holder.Kind == tracking.PartyCitizen && (p.Office == "" || p.Office == u.OfficeCode)) {
		return errs.E(errs.Forbidden, "bưu gửi %s không thuộc tuyến của bạn", number)
	}
	now := d.Now()
	n, err := d.Store.CountDoorCodes(ctx, p.ID, now.Add(-time.Hour))
	if err != nil {
		return err
	}
	if n >= DoorCodesPerHour {
		return errs.E(errs.RateLimited, "đã gửi %d mã trong một giờ qua", n)
	}
	purpose := "collect"
	if p.Leg == string(tracking.LegReturn) {
		purpose = "deliver"
	}
	code := secret.Digits(6)
	if err := d.Store.SaveDoorCode(ctx, p.ID, purpose, DoorCode{Hash: d.codeHash(p.ID, purpose, code), ExpiresAt: now.Add(DoorCodeTTL)}, now); err != nil {
		return err
	}
	phone, err := d.Box.Open(p.PhoneEnc, []byte(SealPhone))
	if err != nil {
		return errs.Wrapf(errs.Internal, err, "mở số điện thoại")
	}
	what := "giao ho so cho buu ta"
	if purpose == "deliver" {
		what = "nhan ket qua ho so"
	}
	return d.SMS.Send(ctx, string(phone), fmt.Sprintf("Ma xac nhan %s de %s %s. Chi doc ma cho buu ta khi gap truc tiep.", code, what, number))
}

// EvidenceStore keeps signature and photo images.
type EvidenceStore interface {
	SaveEvidence(ctx context.Context, sha []byte, parcelID, kind, contentType string, body []byte, at time.Time) error
}

// StoreEvidence keeps a signature or photo (PNG or JPEG, base64) for a
// parcel on the courier's route and returns its SHA-256 in hex, which the
// event then names. Only the image is kept, never stroke timing.
func (d *Devices) StoreEvidence(ctx context.Context, u User, number, kind, contentType, b64 string) (string, error) {
	f := errs.Fields{}
	if kind != "signature" && kind != "photo" {
		f.Add("kind", "signature hoặc photo")
	}
	if contentType != "image/png" && contentType != "image/jpeg" {
		f.Add("content_type", "image/png hoặc image/jpeg")
	}
	body, err := base64.StdEncoding.DecodeString(b64)
	switch {
	case err != nil:
		f.Add("data", "ảnh mã hóa base64")
	case len(body) == 0 || len(body) > 2<<20:
		f.Add("data", "ảnh từ 1 byte đến 2 MiB")
	case contentType == "image/png" && !bytes.HasPrefix(body, []byte("\x89PNG\r\n\x1a\n")):
		f.Add("data", "không phải ảnh PNG")
	case contentType == "image/jpeg" && !bytes.HasPrefix(body, []byte{0xff, 0xd8, 0xff}):
		f.Add("data", "không phải ảnh JPEG")
	}
	if err := f.Err(errs.Invalid, "Ảnh không hợp lệ"); err != nil {
		return "", err
	}
	p, err := d.Store.ParcelSecret(ctx, strings.TrimSpace(number))
	if err != nil {
		return "", err
	}
	me := u.Party()
	if p.Holder != me && p.Courier != u.StaffCode && !(p.Holder.Kind == tracking.PartyCitizen && (p.Office == "" || p.Office == u.OfficeCode)) {
		return "", errs.E(errs.Forbidden, "bưu gửi %s không thuộc tuyến của bạn", number)
	}
	es, ok := d.Store.(EvidenceStore)
	if !ok {
		return "", errs.E(errs.Internal, "no evidence store")
	}
	sum := sha256.Sum256(body)
	if err := es.SaveEvidence(ctx, sum[:], p.ID, kind, contentType, body, d.Now()); err != nil {
		return "", err
	}
	return fmt.Sprintf("%x", sum), nil
}
