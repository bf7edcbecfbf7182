package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"

	"hoso/internal/errs"
	"hoso/internal/secret"
	"hoso/tracking"
)

// DeviceKey is a courier device's registered public key.
type DeviceKey struct {
	ID        int64
	Alg       string // ES256 | Ed25519
	PublicKey []byte // SPKI DER (ES256) or the 32 raw bytes (Ed25519)
	CreatedAt time.Time
}

// DoorCode is the stored hash of a one-time code read out at the door.
type DoorCode struct {
	Hash      []byte
	CreatedAt time.Time
	ExpiresAt time.Time
	Attempts  int
	UsedBy    string // the event that used it ("" while unused)
}

// ParcelSecret is what the door checks need of a parcel.
type ParcelSecret struct {
	ID        string
	Number    string
	Leg       tracking.Leg
	IDHash    []byte
	IDLast3   string
	PhoneEnc  []byte
	Courier   string
	Holder    tracking.Party
	Receiver  *tracking.Party // of the pending hand-off, if any
	Office    string
	CreatedAt time.Time
}

// CodeUse is a door code an event consumes: marked used by the event in the
// same transaction that records it, and only if no other event used it.
type CodeUse struct {
	ParcelID, Purpose, EventID string
}

// KeyChange is a registration or replacement of a device key, as the
// courier's post office sees it.
type KeyChange struct {
	ID          int64
	StaffCode   string
	FullName    string
	DeviceID    string
	Alg         string
	Fingerprint string // alg:hex SHA-256 of the public key, as the ledger names it
	Short       string // its first 16 hex digits in fours, as the courier app shows them
	CreatedAt   time.Time
	RevokedAt   *time.Time
}

// DeviceStore keeps device keys, door codes, failed proofs and evidence.
type DeviceStore interface {
	// SaveDeviceKey makes k the device's live key, revoking the previous
	// one; the same key again changes nothing (changed false).
	SaveDeviceKey(ctx context.Context, userID int64, deviceID string, k DeviceKey, at time.Time) (DeviceKey, bool, error)
	FindDeviceKey(ctx context.Context, userID int64, deviceID string) (DeviceKey, bool, error)
	ParcelSecret(ctx context.Context, number string) (ParcelSecret, error)
	SaveDoorCode(ctx context.Context, parcelID, purpose string, c DoorCode, at time.Time) error
	FindDoorCode(ctx context.Context, parcelID, purpose string) (DoorCode, bool, error)
	FailDoorCode(ctx context.Context, parcelID, purpose string) error
	CountDoorCodes(ctx context.Context, parcelID string, since time.Time) (int, error)
	ProofFailures(ctx context.Context, parcelID, method string) (int, error)
	FailProof(ctx context.Context, parcelID, method string, at time.Time) error
	// ParcelSecrets and StoredEvidence look a whole batch up at once: its
	// parcels by tracking number, its images by hex SHA-256.
	ParcelSecrets(ctx context.Context, numbers []string) (map[string]ParcelSecret, error)
	StoredEvidence(ctx context.Context, shas [][]byte) (map[string]StoredImage, error)
	InsertAudit(ctx context.Context, userID int64, action, subject, reason string, at time.Time) error
}

// StoredImage is what the proof check needs of a stored image.
type StoredImage struct {
	ParcelID string
	Kind     string
}

// proofCache holds a batch's parcels and images, looked up once.
type proofCache struct {
	secrets map[string]ParcelSecret
	images  map[string]StoredImage // by hex SHA-256
}

// Devices registers courier device keys, issues door codes and checks what
// the device sends: its signature over every event, and the proof behind
// a collection or a delivery, which the server checks itself. A door code
// or a CCCD number never reaches the ledger or the kept submission in
// clear: the device signs a commitment to it and sends the value beside
// the signed fields.
type Devices struct {
	Store  DeviceStore
	Auth   *Auth // re-checks the courier's password when a key is registered
	Hasher *secret.Hasher
	Box    *secret.Box
	SMS    SMSSender
	Now    func() time.Time
}

// RegisterKey stores the public key of a device (base64 of SPKI DER for
// ES256, of the 32 raw bytes for Ed25519), replacing and revoking the
// previous one. It needs the courier's password again, not only the
// bearer token; every registration (and every refused attempt) is audited.
func (d *Devices) RegisterKey(ctx context.Context, u User, deviceID, alg, key, password string) (DeviceKey, bool, error) {
	if u.Role != RoleCourier {
		return DeviceKey{}, false, errs.E(errs.Forbidden, "chỉ tài khoản bưu tá đăng ký khóa thiết bị")
	}
	f := errs.Fields{}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(key))
	if err != nil {
		f.Add("public_key", "base64 của khóa công khai")
	} else if _, err := tracking.NewSignatureChecker(alg, raw); err != nil {
		switch alg {
		case tracking.AlgES256:
			f.Add("public_key", "khóa ECDSA P-256 dạng SPKI")
		case tracking.AlgEd25519:
			f.Add("public_key", "khóa Ed25519 32 byte")
		default:
			f.Add("alg", "ES256 hoặc Ed25519")
		}
	}
	if deviceID == "" {
		f.Add("device_id", "thiếu mã thiết bị")
	}
	if password == "" {
		f.Add("password", "nhập lại mật khẩu để đăng ký khóa thiết bị")
	}
	if err := f.Err(errs.Invalid, "Khóa thiết bị không hợp lệ"); err != nil {
		return DeviceKey{}, false, err
	}
	now := d.Now()
	if d.Auth == nil {
		return DeviceKey{}, false, errs.E(errs.Internal, "no password check for device keys")
	}
	if who, err := d.Auth.Login(ctx, u.Username, password); err != nil || who.ID != u.ID {
		if err != nil && !errs.Is(err, errs.Unauthorized) {
			return DeviceKey{}, false, err
		}
		if aerr := d.Store.InsertAudit(ctx, u.ID, "device_key_refused", deviceID, "mật khẩu không đúng", now); aerr != nil {
			return DeviceKey{}, false, aerr
		}
		// 403, not 401: the bearer token is good, the password typed again
		// is not (the app reads a 401 as a session that ended).
		return DeviceKey{}, false, errs.E(errs.Forbidden, "Mật khẩu không đúng: khóa thiết bị không được đăng ký")
	}
	k, changed, err := d.Store.SaveDeviceKey(ctx, u.ID, deviceID, DeviceKey{Alg: alg, PublicKey: raw}, now)
	if err != nil {
		return DeviceKey{}, false, err
	}
	if changed {
		if err := d.Store.InsertAudit(ctx, u.ID, "device_key_registered", deviceID, tracking.KeyFingerprint(alg, raw), now); err != nil {
			return DeviceKey{}, false, err
		}
	}
	return k, changed, nil
}

// signedEvent is the signed text of an event as its fields were sent.
func signedEvent(fields map[string]json.RawMessage) tracking.SignedEvent {
	field := func(k string) string {
		v, ok := fields[k]
		if !ok {
			return ""
		}
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
		return string(bytes.TrimSpace(v))
	}
	return tracking.SignedEvent{ID: field("id"), Type: field("type"), Number: field("tracking_number"), At: field("at"),
		Lat: field("lat"), Lng: field("lng"), Data: fields["data"]}
}

// SignedText is what a device signs for one event (tracking.SignedText):
// the fields as the JSON texts it sent them, so no re-encoding can change
// a byte. The event's "secret" and "signature" are not part of it.
func SignedText(fields map[string]json.RawMessage) []byte {
	return tracking.SignedText(signedEvent(fields))
}

// Check is the Sync hook: for a batch from one courier's device, every
// signature (against the device's live key, looked up once, checked on all
// cores before any row lock), then the proof of each collection or
// delivery, which it replaces by the server's verdict. A rejected event
// gets its Err; the returned error is for a failure of the store.
func (d *Devices) Check(ctx context.Context, u User, device string, batch []*Incoming) error {
	if device == "" || len(batch) == 0 {
		return nil // office and desk pages: no device, no door proof
	}
	k, ok, err := d.Store.FindDeviceKey(ctx, u.ID, device)
	if err != nil {
		return err
	}
	var checker *tracking.SignatureChecker
	if ok {
		checker, err = tracking.NewSignatureChecker(k.Alg, k.PublicKey)
		if err != nil {
			ok = false
		}
	}
	if !ok {
		for _, in := range batch {
			in.reject(errs.E(errs.Unauthorized, "thiết bị chưa đăng ký khóa: đăng nhập lại để đăng ký"))
		}
		return nil
	}
	verifySignatures(checker, batch)
	now := d.Now()
	cache, err := d.loadProofs(ctx, batch)
	if err != nil {
		return err
	}
	for _, in := range batch {
		if in.Err != nil {
			continue
		}
		in.Sig = &tracking.DeviceSig{KeyID: k.ID, KeyAlg: k.Alg, PublicKey: k.PublicKey, KeyOwner: u.StaffCode, KeyCreated: k.CreatedAt,
			Signed: in.signed, Signature: in.sigBytes}
		if err := d.checkProof(ctx, in, now, cache); err != nil {
			if errs.KindOf(err) == errs.Internal || errs.KindOf(err) == errs.Unavailable {
				return err
			}
			in.reject(err)
		}
	}
	return nil
}

// checkSignature checks one signature (base64) made with k.
func checkSignature(k DeviceKey, msg []byte, sig64 string) ([]byte, bool) {
	sig, err := base64.StdEncoding.DecodeString(sig64)
	if err != nil {
		return nil, false
	}
	c, err := tracking.NewSignatureChecker(k.Alg, k.PublicKey)
	if err != nil {
		return sig, false
	}
	return sig, c.Verify(msg, sig)
}

// loadProofs looks up, in two queries, the parcels of a batch's
// collections and deliveries and the images they name.
func (d *Devices) loadProofs(ctx context.Context, batch []*Incoming) (*proofCache, error) {
	var numbers []string
	var shas [][]byte
	seen := map[string]bool{}
	for _, in := range batch {
		if in.Err != nil || (in.Type != tracking.PickupCollected && in.Type != tracking.DeliveryCompleted) {
			continue
		}
		if !seen[in.Number] {
			seen[in.Number] = true
			numbers = append(numbers, in.Number)
		}
		var pd struct {
			Proof struct {
				SHA256 string `json:"sha256"`
			} `json:"proof"`
			SignatureSHA string `json:"signature_sha256"`
			PhotoSHA     string `json:"photo_sha256"`
		}
		if json.Unmarshal(in.Event.Data, &pd) != nil {
			continue
		}
		for _, h := range []string{pd.Proof.SHA256, pd.SignatureSHA, pd.PhotoSHA} {
			if b, err := hex.DecodeString(h); err == nil && len(b) == sha256.Size && !seen[h] {
				seen[h] = true
				shas = append(shas, b)
			}
		}
	}
	c := &proofCache{secrets: map[string]ParcelSecret{}, images: map[string]StoredImage{}}
	if len(numbers) == 0 {
		return c, nil
	}
	var err error
	if c.secrets, err = d.Store.ParcelSecrets(ctx, numbers); err != nil {
		return nil, err
	}
	if len(shas) > 0 {
		if c.images, err = d.Store.StoredEvidence(ctx, shas); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// verifySignatures checks every signature of a batch on all cores.
func verifySignatures(c *tracking.SignatureChecker, batch []*Incoming) {
	workers := min(runtime.GOMAXPROCS(0), len(batch))
	var wg sync.WaitGroup
	next := make(chan *Incoming)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for in := range next {
				in.signed = SignedText(in.Fields)
				sig, err := base64.StdEncoding.DecodeString(in.Event.Signature)
				switch {
				case in.Event.Signature == "":
					in.reject(errs.E(errs.Unauthorized, "sự kiện thiếu chữ ký của thiết bị"))
				case err != nil || !c.Verify(in.signed, sig):
					in.sigBytes = sig
					in.reject(errs.E(errs.Unauthorized, "chữ ký của thiết bị không khớp: sự kiện có thể đã bị sửa"))
				default:
					in.sigBytes = sig
				}
			}
		}()
	}
	for _, in := range batch {
		if in.Err == nil {
			next <- in
		}
	}
	close(next)
	wg.Wait()
}

// Door code limits.
const (
	DoorCodeTTL       = 12 * time.Hour
	DoorCodeAttempts  = 5
	DoorCodesPerHour  = 3
	DoorCodeSyncGrace = 48 * time.Hour // a code read out offline is checked when the event syncs, up to this long after it expired
	ProofAttempts     = 5              // wrong CCCD digits or QR for a parcel before the method is locked
	ClockSkew         = 5 * time.Minute
)

// proofData is the part of collection and delivery data the proof check
// reads.
type proofData struct {
	Proof        json.RawMessage `json:"proof"`
	SignatureSHA string          `json:"signature_sha256"`
	PhotoSHA     string          `json:"photo_sha256"`
}

func proofErr(field, format string, args ...any) error {
	return errs.E(errs.Unprocessable, format, args...).WithFields(map[string]string{field: fmt.Sprintf(format, args...)})
}

// checkProof checks the proof of a collection or a delivery and sets the
// event's data to the signed data plus the server's verdict.
func (d *Devices) checkProof(ctx context.Context, in *Incoming, now time.Time, cache *proofCache) error {
	ev := in.Event
	t := tracking.EventType(ev.Type)
	if t != tracking.PickupCollected && t != tracking.DeliveryCompleted {
		if ev.Secret != "" {
			return proofErr("secret", "chỉ sự kiện thu gom hoặc giao kết quả mới kèm giá trị bí mật")
		}
		return nil
	}
	if err := tracking.RefuseLegacy(t, ev.Data); err != nil {
		return err
	}
	var pd proofData
	if err := json.Unmarshal(ev.Data, &pd); err != nil {
		return errs.E(errs.Invalid, "dữ liệu sự kiện không phải một đối tượng JSON")
	}
	var p *tracking.Proof
	if len(bytes.TrimSpace(pd.Proof)) > 0 && string(bytes.TrimSpace(pd.Proof)) != "null" {
		dec := json.NewDecoder(bytes.NewReader(pd.Proof))
		dec.DisallowUnknownFields()
		p = &tracking.Proof{}
		if err := dec.Decode(p); err != nil {
			return proofErr("data.proof", "bằng chứng không hợp lệ: %v", err)
		}
	}
	delivery := t == tracking.DeliveryCompleted
	if err := tracking.CheckProofClaim(p, delivery); err != nil {
		return err
	}
	secretValue := ev.Secret
	if tracking.ProofSecret(p.Method) {
		if secretValue == "" {
			return proofErr("secret", "thiếu giá trị (mã, QR hoặc số CCCD) đi kèm cam kết đã ký")
		}
		if !secret.Equal([]byte(tracking.ProofCommit(in.ID, secretValue)), []byte(p.Commit)) {
			return proofErr("secret", "giá trị gửi kèm không khớp với cam kết đã ký")
		}
	} else if secretValue != "" {
		return proofErr("secret", "phương thức %s không kèm giá trị bí mật", p.Method)
	}
	ps, ok := cache.secrets[in.Number]
	if !ok {
		return errs.E(errs.NotFound, "không có bưu gửi số %s", in.Number)
	}
	if !delivery {
		if err := d.checkScans(ctx, ps, in); err != nil {
			return err
		}
	}
	verdict := map[string]any{"checked_by": tracking.CheckedByServer}
	switch p.Method {
	case tracking.ProofDoorCode:
		purpose := "collect"
		if delivery {
			purpose = "deliver"
		}
		if err := d.checkCode(ctx, ps, purpose, secretValue, in.ID, in.At, now); err != nil {
			return err
		}
		in.Code = &CodeUse{ParcelID: ps.ID, Purpose: purpose, EventID: in.ID}
	case tracking.ProofSignature:
		if err := cache.evidence(ps, p.SHA256, "data.proof.sha256", in, "signature"); err != nil {
			return err
		}
	case tracking.ProofCCCDQR:
		card, err := tracking.ParseCCCDQR(secretValue)
		if err != nil {
			return proofErr("secret", "không đọc được mã QR trên CCCD: %v", err)
		}
		if err := d.checkID(ctx, ps, tracking.ProofCCCDQR, card.Number, now); err != nil {
			return err
		}
	case tracking.ProofIDDigits:
		v := strings.TrimSpace(secretValue)
		if len(v) != 3 && len(v) != 12 {
			return proofErr("secret", "nhập 3 số cuối hoặc đủ 12 số CCCD")
		}
		if err := d.checkID(ctx, ps, tracking.ProofIDDigits, v, now); err != nil {
			return err
		}
		verdict["digits"] = len(v)
	case tracking.ProofProxy:
		verdict["checked_by"] = tracking.CheckedByCourier
	}
	if delivery {
		for _, x := range []struct{ sha, field, kind string }{{pd.SignatureSHA, "data.signature_sha256", "signature"}, {pd.PhotoSHA, "data.photo_sha256", "photo"}} {
			if x.sha == "" {
				continue
			}
			if err := cache.evidence(ps, x.sha, x.field, in, x.kind); err != nil {
				return err
			}
		}
	}
	proof, err := withVerdict(pd.Proof, verdict)
	if err != nil {
		return err
	}
	data, err := tracking.PatchData(ev.Data, map[string]any{"proof": proof})
	if err != nil {
		return errs.Wrapf(errs.Invalid, err, "dữ liệu sự kiện không hợp lệ")
	}
	in.Data = data
	return nil
}

// withVerdict adds the server's verdict to the proof object as the device
// signed it, leaving its own fields exactly as written.
func withVerdict(raw json.RawMessage, verdict map[string]any) (json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, errs.E(errs.Invalid, "bằng chứng không phải một đối tượng JSON")
	}
	for k, v := range verdict {
		b, err := json.Marshal(v)
		if err != nil {
			return nil, err
		}
		m[k] = b
	}
	return json.Marshal(m)
}

// evidence checks that an image with this hash and of this kind is stored
// for the parcel. Missing, the event waits for it: rejected as pending
// evidence (an alarm at the end of the shift if it never comes).
func (c *proofCache) evidence(ps ParcelSecret, sha, field string, in *Incoming, kind string) error {
	b, err := hex.DecodeString(sha)
	if err != nil || len(b) != sha256.Size {
		return proofErr(field, "SHA-256 của ảnh không hợp lệ")
	}
	img, ok := c.images[hex.EncodeToString(b)]
	if !ok || img.ParcelID != ps.ID || img.Kind != kind {
		in.EvidencePending = true
		return errs.E(errs.NotFound, "máy chủ chưa nhận được ảnh %s có mã %s… của bưu gửi %s: gửi ảnh trước sự kiện", kindLabel(kind), sha[:12], ps.Number).
			WithFields(map[string]string{field: "chưa có ảnh với mã này"})
	}
	return nil
}

func kindLabel(k string) string {
	if k == "photo" {
		return "chụp"
	}
	return "chữ ký"
}

// checkID checks a CCCD number (12 digits, from the card's QR or typed) or
// its last 3 digits against the dossier's keyed hash, a few tries a parcel.
func (d *Devices) checkID(ctx context.Context, ps ParcelSecret, method, v string, now time.Time) error {
	n, err := d.Store.ProofFailures(ctx, ps.ID, method)
	if err != nil {
		return err
	}
	if n >= ProofAttempts {
		return proofErr("secret", "đã đối chiếu sai %d lần với bưu gửi này: dùng mã SMS hoặc cách khác", n)
	}
	if len(ps.IDHash) == 0 {
		return proofErr("data.proof.method", "hồ sơ không có số CCCD để đối chiếu: dùng mã SMS hoặc chữ ký")
	}
	var match bool
	if len(v) == 12 {
		match = secret.Equal(d.Hasher.Sum(PurposeCCCD, v), ps.IDHash)
	} else {
		match = ps.IDLast3 != "" && secret.Equal([]byte(v), []byte(ps.IDLast3))
	}
	if !match {
		if err := d.Store.FailProof(ctx, ps.ID, method, now); err != nil {
			return err
		}
		if method == tracking.ProofCCCDQR {
			return proofErr("secret", "mã QR trên CCCD là của người khác: số CCCD không khớp với hồ sơ")
		}
		return proofErr("secret", "số CCCD không khớp với hồ sơ")
	}
	return nil
}

func (d *Devices) codeHash(parcelID, purpose, code string) []byte {
	return d.Hasher.Sum("door", parcelID+":"+purpose+":"+strings.TrimSpace(code))
}

// checkCode checks a door code against what the server issued for the
// parcel: its keyed hash, its lifetime at the device's time (a code read
// out offline is checked at sync), unused by another event, few attempts.
// Using it happens with the event's write (CodeUse).
func (d *Devices) checkCode(ctx context.Context, p ParcelSecret, purpose, code, eventID string, at, now time.Time) error {
	c, ok, err := d.Store.FindDoorCode(ctx, p.ID, purpose)
	if err != nil {
		return err
	}
	field := "secret"
	if !ok {
		return proofErr(field, "không có mã xác nhận nào được gửi cho bưu gửi %s", p.Number)
	}
	if c.UsedBy != "" && !strings.EqualFold(c.UsedBy, eventID) {
		return proofErr(field, "mã xác nhận đã được dùng cho một sự kiện khác")
	}
	if c.Attempts >= DoorCodeAttempts {
		return proofErr(field, "mã xác nhận đã bị nhập sai quá nhiều lần: gửi mã mới")
	}
	if at.After(c.ExpiresAt) || now.After(c.ExpiresAt.Add(DoorCodeSyncGrace)) {
		return proofErr(field, "mã xác nhận đã hết hạn: gửi mã mới")
	}
	if at.Before(c.CreatedAt.Add(-ClockSkew)) {
		return proofErr(field, "thời điểm ghi trên thiết bị trước khi mã được gửi")
	}
	if !secret.Equal(d.codeHash(p.ID, purpose, code), c.Hash) {
		if err := d.Store.FailDoorCode(ctx, p.ID, purpose); err != nil {
			return err
		}
		return proofErr(field, "mã xác nhận không đúng")
	}
	return nil
}

// OnStop reports whether a courier may act on a parcel: planned for them
// (or re-assigned to them by the dispatcher), held by them, or released to
// them.
func OnStop(u User, holder tracking.Party, courierRef string, receiver *tracking.Party) bool {
	me := u.Party()
	return u.Role == RoleCourier && (holder == me || (courierRef != "" && courierRef == u.StaffCode) || (receiver != nil && *receiver == me))
}

// IssueDoorCode sends the citizen a one-time code to read out to the courier
// at the door. Only the courier of the stop may ask.
func (d *Devices) IssueDoorCode(ctx context.Context, u User, number string) error {
	p, err := d.Store.ParcelSecret(ctx, number)
	if err != nil {
		return err
	}
	if !OnStop(u, p.Holder, p.Courier, p.Receiver) {
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
	if p.Leg == tracking.LegReturn {
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
// parcel on the courier's own stop and returns its SHA-256 in hex, which
// the event then names. Only the image is kept, never stroke timing.
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
	if !OnStop(u, p.Holder, p.Courier, p.Receiver) {
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
	return hex.EncodeToString(sum[:]), nil
}
