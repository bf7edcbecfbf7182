package tracking

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/big"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// SignedFormat is the first line of the text a courier's device signs for
// one event (docs/ledger-format.md, "signed text"). It names the device's
// format, which predates the ledger's second canonical form: the two are
// different texts.
const SignedFormat = "hoso-event-v1"

// Device key algorithms.
const (
	AlgES256   = "ES256"   // ECDSA P-256 with SHA-256; the key as SPKI DER
	AlgEd25519 = "Ed25519" // the key as its 32 raw bytes
)

// DeviceSig is what a v2 event keeps of the device that signed it: the key
// it was checked against (its fingerprint is hashed; KeyID, the key's
// lifetime and owner are what `hoso verify` checks it against) and the exact
// bytes signed with the signature.
type DeviceSig struct {
	KeyID      int64
	KeyAlg     string
	PublicKey  []byte
	KeyOwner   string     // staff code of the key's courier
	KeyCreated time.Time  // registered
	KeyRevoked *time.Time // replaced or revoked; nil while live
	Signed     []byte     // the signed text, byte for byte
	Signature  []byte
}

// Fingerprint names the key in the canonical form: the algorithm, a colon
// and the hex SHA-256 of the public key bytes, so editing a key row changes
// every hash that names it.
func (d *DeviceSig) Fingerprint() string {
	if d == nil {
		return ""
	}
	return KeyFingerprint(d.KeyAlg, d.PublicKey)
}

// KeyFingerprint is "alg:hex(SHA-256(public key bytes))".
func KeyFingerprint(alg string, pub []byte) string {
	h := sha256.Sum256(pub)
	return alg + ":" + hex.EncodeToString(h[:])
}

// LiveAt reports whether the key was registered and not yet revoked at t.
func (d *DeviceSig) LiveAt(t time.Time) bool {
	return !d.KeyCreated.After(t) && (d.KeyRevoked == nil || t.Before(*d.KeyRevoked))
}

// SignatureChecker checks signatures made with one device key, parsing the
// key once. A key that does not parse fails every signature.
type SignatureChecker struct {
	alg string
	ed  ed25519.PublicKey
	ec  *ecdsa.PublicKey
}

// NewSignatureChecker parses a device key; it fails for an unknown
// algorithm or a key that is not of it.
func NewSignatureChecker(alg string, pub []byte) (*SignatureChecker, error) {
	c := &SignatureChecker{alg: alg}
	switch alg {
	case AlgEd25519:
		if len(pub) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("Ed25519 key of %d bytes, want %d", len(pub), ed25519.PublicKeySize)
		}
		c.ed = ed25519.PublicKey(pub)
	case AlgES256:
		k, err := x509.ParsePKIXPublicKey(pub)
		if err != nil {
			return nil, fmt.Errorf("ES256 key: %w", err)
		}
		ek, ok := k.(*ecdsa.PublicKey)
		if !ok || ek.Curve.Params().Name != "P-256" {
			return nil, fmt.Errorf("ES256 key is not an ECDSA P-256 key")
		}
		c.ec = ek
	default:
		return nil, fmt.Errorf("unknown key algorithm %q", alg)
	}
	return c, nil
}

// Verify reports whether sig is a signature of msg: Ed25519, or ECDSA over
// SHA-256 as WebCrypto's raw r‖s (64 bytes) or ASN.1 DER.
func (c *SignatureChecker) Verify(msg, sig []byte) bool {
	if c == nil {
		return false
	}
	switch {
	case c.ed != nil:
		return ed25519.Verify(c.ed, msg, sig)
	case c.ec != nil:
		h := sha256.Sum256(msg)
		if len(sig) == 64 {
			r, s := new(big.Int).SetBytes(sig[:32]), new(big.Int).SetBytes(sig[32:])
			return ecdsa.Verify(c.ec, h[:], r, s)
		}
		return ecdsa.VerifyASN1(c.ec, h[:], sig)
	}
	return false
}

// SignedEvent is the signed text read back: the fields as the device sent
// them.
type SignedEvent struct {
	ID, Type, Number, At, Lat, Lng string
	Data                           []byte
}

// SignedText is the text a device signs for one event: SignedFormat, then
// the id, type, tracking number, device time, latitude and longitude (each
// string field as its value, each number as the JSON text sent, a missing
// one empty), each on its own line, then the data object as the JSON text
// sent. It carries no secret: a door code or a CCCD number travels beside
// it (the event's "secret") and only its commitment is signed.
func SignedText(s SignedEvent) []byte {
	var b bytes.Buffer
	b.WriteString(SignedFormat + "\n")
	for _, f := range []string{s.ID, s.Type, s.Number, s.At, s.Lat, s.Lng} {
		b.WriteString(f)
		b.WriteByte('\n')
	}
	b.Write(bytes.TrimSpace(s.Data))
	return b.Bytes()
}

// ParseSignedText reads a signed text back.
func ParseSignedText(b []byte) (SignedEvent, error) {
	parts := bytes.SplitN(b, []byte("\n"), 8)
	if len(parts) != 8 || string(parts[0]) != SignedFormat {
		return SignedEvent{}, fmt.Errorf("signed text: not %s with eight lines", SignedFormat)
	}
	return SignedEvent{ID: string(parts[1]), Type: string(parts[2]), Number: string(parts[3]), At: string(parts[4]),
		Lat: string(parts[5]), Lng: string(parts[6]), Data: parts[7]}, nil
}

// Proof verdict fields: the only keys of data.proof the server adds to what
// the device signed.
var proofVerdictKeys = []string{"checked_by", "digits"}

// serverKeys are the top-level data keys the server sets on an event type,
// whatever the device sent (Decide sets them).
func serverKeys(t EventType) []string {
	switch t {
	case HandoffReleased:
		return []string{"handoff"}
	case HandoffConfirmed, HandoffDisputed, DeliveryReturnedToDesk:
		return []string{"handoff", "problem"}
	}
	return nil
}

// recordedAs reports whether the server may record an event signed as
// signed under the type stored: a confirmation with a difference is
// recorded as a dispute, and a desk's confirmation of a courier's last
// return as the return to the desk.
func recordedAs(signed, stored EventType) bool {
	if signed == stored {
		return true
	}
	return signed == HandoffConfirmed && (stored == HandoffDisputed || stored == DeliveryReturnedToDesk)
}

// CheckDeviceEvent checks a stored v2 event against what its device signed:
// the signature against the key that was live when the server took the
// event, the key's owner is the event's actor, and the signed text states
// the same id, type, tracking number, device time and point, with the
// stored data being the signed data plus only the server's own fields (the
// hand-off id and problem it sets, the proof's verdict). It returns what
// differs, or "".
func CheckDeviceEvent(e Event) string {
	d := e.Device
	if d == nil {
		return "no device signature"
	}
	c, err := NewSignatureChecker(d.KeyAlg, d.PublicKey)
	if err != nil {
		return "device key: " + err.Error()
	}
	if !c.Verify(d.Signed, d.Signature) {
		return "device signature does not verify against key " + d.Fingerprint()
	}
	if !d.LiveAt(e.ServerAt) {
		return fmt.Sprintf("device key %d was not live at %s", d.KeyID, fmtTime(&e.ServerAt))
	}
	if e.Actor.Kind != PartyCourier || d.KeyOwner != e.Actor.Ref {
		return fmt.Sprintf("device key of %q signed an event of %s", d.KeyOwner, e.Actor)
	}
	s, err := ParseSignedText(d.Signed)
	if err != nil {
		return err.Error()
	}
	if !strings.EqualFold(s.ID, e.ID) {
		return fmt.Sprintf("signed id %q, stored %q", s.ID, e.ID)
	}
	if !recordedAs(EventType(s.Type), e.Type) {
		return fmt.Sprintf("signed type %q, stored %q", s.Type, e.Type)
	}
	if strings.TrimSpace(s.Number) != e.Number {
		return fmt.Sprintf("signed tracking number %q, stored %q", s.Number, e.Number)
	}
	at, err := time.Parse(time.RFC3339, s.At)
	if err != nil || e.DeviceAt == nil || !at.UTC().Truncate(time.Microsecond).Equal(e.DeviceAt.UTC()) {
		return fmt.Sprintf("signed device time %q, stored %s", s.At, fmtTime(e.DeviceAt))
	}
	if msg := samePoint(s.Lat, e.Lat, "latitude"); msg != "" {
		return msg
	}
	if msg := samePoint(s.Lng, e.Lng, "longitude"); msg != "" {
		return msg
	}
	if msg := SameData(EventType(s.Type), s.Data, e.Data); msg != "" {
		return msg
	}
	return ""
}

func samePoint(signed string, stored *float64, what string) string {
	if signed == "" || signed == "null" {
		if stored != nil {
			return fmt.Sprintf("%s stored but not signed", what)
		}
		return ""
	}
	v, err := strconv.ParseFloat(signed, 64)
	if err != nil || math.IsNaN(v) || stored == nil || *stored != v {
		return fmt.Sprintf("signed %s %q differs from the stored one", what, signed)
	}
	return ""
}

// SameData reports how stored data differs from the signed data of an
// event of type t beyond the server's own fields ("" when it does not).
func SameData(t EventType, signed, stored []byte) string {
	s, err := decodeObject(signed)
	if err != nil {
		return "signed data: " + err.Error()
	}
	st, err := decodeObject(stored)
	if err != nil {
		return "stored data: " + err.Error()
	}
	for _, k := range serverKeys(t) {
		if _, ok := s[k]; ok && k == "problem" {
			continue // a problem the device named is its own
		}
		delete(s, k)
		delete(st, k)
	}
	if sp, ok := st["proof"].(map[string]any); ok {
		sp = cloneMap(sp)
		for _, k := range proofVerdictKeys {
			if p, ok := s["proof"].(map[string]any); ok {
				if _, signedIt := p[k]; signedIt {
					continue // a device may not set a verdict: it stays and must match
				}
			}
			delete(sp, k)
		}
		st["proof"] = sp
	}
	if !reflect.DeepEqual(s, st) {
		a, _ := json.Marshal(s)
		b, _ := json.Marshal(st)
		return fmt.Sprintf("stored data %s is not the signed data %s plus the server's verdict", b, a)
	}
	return ""
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func decodeObject(raw []byte) (map[string]any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return map[string]any{}, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing content")
	}
	if m == nil {
		return nil, fmt.Errorf("not an object")
	}
	normaliseNumbers(m)
	return m, nil
}

// normaliseNumbers makes numbers that are equal compare equal however they
// were written (1, 1.0, 1e0).
func normaliseNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normaliseNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = normaliseNumbers(e)
		}
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f
		}
	}
	return v
}

// PatchData sets top-level keys of canonical event data (a key with a nil
// value is removed) and returns it canonical again; keys not named keep
// their value exactly as written.
func PatchData(data []byte, kv map[string]any) ([]byte, error) {
	m, err := decodeRaw(data)
	if err != nil {
		return nil, err
	}
	for k, v := range kv {
		if v == nil {
			delete(m, k)
			continue
		}
		b, err := json.Marshal(v)
		if err != nil {
			return nil, fmt.Errorf("data: %w", err)
		}
		m[k] = b
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return CanonicalJSON(b)
}

func decodeRaw(data []byte) (map[string]json.RawMessage, error) {
	var m map[string]json.RawMessage
	if len(bytes.TrimSpace(data)) == 0 {
		return map[string]json.RawMessage{}, nil
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	if m == nil {
		return nil, fmt.Errorf("data: want a JSON object")
	}
	return m, nil
}
