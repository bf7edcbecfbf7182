package tracking_test

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"hoso/tracking"
)

// signedEvent is a courier event as the server stores it after checking its
// device's signature over what the device sent.
func signedEvent(t *testing.T, priv ed25519.PrivateKey, data string) tracking.Event {
	t.Helper()
	at := time.Date(2026, 11, 24, 8, 41, 10, 0, time.FixedZone("ICT", 7*3600))
	lat, lng := 21.59, 105.84
	s := tracking.SignedEvent{ID: "6f1c2e0a-8f0e-4c1e-9b1a-2f7d3c4b5a69", Type: string(tracking.HandoffConfirmed), Number: "EA123456785VN",
		At: at.Format(time.RFC3339), Lat: "21.59", Lng: "105.84", Data: []byte(data)}
	msg := tracking.SignedText(s)
	stored, err := tracking.CanonicalJSON([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	ev := tracking.Event{ID: s.ID, Number: s.Number, Type: tracking.HandoffConfirmed, Actor: tracking.Party{Kind: tracking.PartyCourier, Ref: "BT1"},
		DeviceAt: &at, ServerAt: at.Add(time.Hour), Lat: &lat, Lng: &lng, Data: stored,
		Device: &tracking.DeviceSig{KeyID: 7, KeyAlg: tracking.AlgEd25519, PublicKey: priv.Public().(ed25519.PublicKey), KeyOwner: "BT1",
			KeyCreated: at.Add(-24 * time.Hour), Signed: msg, Signature: ed25519.Sign(priv, msg)}}
	ev.Seal(3, bytes.Repeat([]byte{1}, 32))
	return ev
}

func TestCheckDeviceEvent(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	_, other, _ := ed25519.GenerateKey(rand.Reader)
	const data = `{"seal_intact":true,"documents":[{"line":1,"count":1}]}`
	if msg := tracking.CheckDeviceEvent(signedEvent(t, priv, data)); msg != "" {
		t.Fatalf("genuine event: %s", msg)
	}
	for _, tc := range []struct {
		name string
		edit func(e *tracking.Event)
		want string // "" when the change is the server's own
	}{
		{"the server's hand-off id and problem added", func(e *tracking.Event) {
			e.Data, _ = tracking.PatchData(e.Data, map[string]any{"handoff": "h1", "problem": "seal_mismatch"})
		}, ""},
		{"recorded as a dispute", func(e *tracking.Event) { e.Type = tracking.HandoffDisputed }, ""},
		{"recorded as another type", func(e *tracking.Event) { e.Type = tracking.HandoffReleased }, "signed type"},
		{"a count changed", func(e *tracking.Event) { e.Data = []byte(`{"documents":[{"count":2,"line":1}],"seal_intact":true}`) }, "is not the signed data"},
		{"a field added", func(e *tracking.Event) {
			e.Data, _ = tracking.PatchData(e.Data, map[string]any{"note": "x"})
		}, "is not the signed data"},
		{"another parcel", func(e *tracking.Event) { e.Number = "EA473124829VN" }, "signed tracking number"},
		{"another device time", func(e *tracking.Event) { t2 := e.DeviceAt.Add(time.Minute); e.DeviceAt = &t2 }, "signed device time"},
		{"another point", func(e *tracking.Event) { x := 21.6; e.Lat = &x }, "latitude"},
		{"another actor", func(e *tracking.Event) { e.Actor.Ref = "BT2" }, "device key of"},
		{"key revoked before", func(e *tracking.Event) { r := e.ServerAt.Add(-time.Minute); e.Device.KeyRevoked = &r }, "was not live"},
		{"key registered after", func(e *tracking.Event) { e.Device.KeyCreated = e.ServerAt.Add(time.Second) }, "was not live"},
		{"another key", func(e *tracking.Event) { e.Device.PublicKey = other.Public().(ed25519.PublicKey) }, "does not verify"},
		{"edited signed bytes", func(e *tracking.Event) {
			e.Device.Signed = bytes.Replace(e.Device.Signed, []byte(`"count":1`), []byte(`"count":2`), 1)
		}, "does not verify"},
	} {
		ev := signedEvent(t, priv, data)
		tc.edit(&ev)
		got := tracking.CheckDeviceEvent(ev)
		if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want) {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestSameDataProofVerdict(t *testing.T) {
	signed := []byte(`{"documents":[{"line":1,"count":1}],"seal_id":"NP-1","proof":{"method":"door_code","commit":"` + strings.Repeat("ab", 32) + `"}}`)
	stored, _ := tracking.PatchData(signed, map[string]any{"proof": map[string]any{"method": "door_code", "commit": strings.Repeat("ab", 32), "checked_by": "server"}})
	if msg := tracking.SameData(tracking.PickupCollected, signed, stored); msg != "" {
		t.Errorf("the server's verdict: %s", msg)
	}
	// A device may not have signed a verdict that the stored one differs
	// from, nor may the stored proof differ otherwise.
	claimed := []byte(`{"documents":[{"line":1,"count":1}],"seal_id":"NP-1","proof":{"method":"door_code","commit":"` + strings.Repeat("ab", 32) + `","checked_by":"courier"}}`)
	if msg := tracking.SameData(tracking.PickupCollected, claimed, stored); msg == "" {
		t.Error("a verdict the device signed was replaced silently")
	}
	other, _ := tracking.PatchData(signed, map[string]any{"proof": map[string]any{"method": "signature", "sha256": strings.Repeat("cd", 32), "checked_by": "server"}})
	if msg := tracking.SameData(tracking.PickupCollected, signed, other); msg == "" {
		t.Error("another proof accepted as the signed one")
	}
	// Numbers compare by value; key order and spacing do not matter.
	if msg := tracking.SameData(tracking.PickupAttemptFailed, []byte(`{ "n": 1.0, "reason":"not_home" }`), []byte(`{"reason":"not_home","n":1}`)); msg != "" {
		t.Errorf("same data written differently: %s", msg)
	}
}

func TestCanonicalForms(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	ev := signedEvent(t, priv, `{"seal_intact":true}`)
	c := string(ev.Canonical())
	if !strings.HasPrefix(c, "hoso-event-v2\n") || !strings.Contains(c, "\ndevice_key=Ed25519:") || !strings.Contains(c, "\ndevice_signed=") ||
		!strings.Contains(c, "\ndevice_signature=") || !strings.HasSuffix(c, "\nprev="+strings.Repeat("01", 32)+"\n") {
		t.Fatalf("v2 canonical form:\n%s", c)
	}
	// Every device line is covered by the hash.
	for name, edit := range map[string]func(e *tracking.Event){
		"key bytes": func(e *tracking.Event) {
			e.Device.PublicKey = append([]byte(nil), e.Device.PublicKey...)
			e.Device.PublicKey[3] ^= 1
		},
		"key alg": func(e *tracking.Event) { e.Device.KeyAlg = tracking.AlgES256 },
		"signed":  func(e *tracking.Event) { e.Device.Signed = append(append([]byte(nil), e.Device.Signed...), ' ') },
		"signature": func(e *tracking.Event) {
			e.Device.Signature = append([]byte(nil), e.Device.Signature...)
			e.Device.Signature[0] ^= 1
		},
		"no device": func(e *tracking.Event) { e.Device = nil },
	} {
		e := signedEvent(t, priv, `{"seal_intact":true}`)
		edit(&e)
		if bytes.Equal(e.ComputeHash(), ev.Hash) {
			t.Errorf("the hash does not cover the %s", name)
		}
	}
	// An event of form 1 keeps hashing as form 1, without device lines.
	v1 := ev
	v1.Form, v1.Device = tracking.FormV1, nil
	c1 := string(v1.Canonical())
	if !strings.HasPrefix(c1, "hoso-event-v1\n") || strings.Contains(c1, "device_key") {
		t.Errorf("v1 canonical form:\n%s", c1)
	}
	// Sealing a new event makes it form 2.
	n := tracking.Event{ID: "x", Type: tracking.PickupRequested, ServerAt: time.Now()}
	n.Seal(0, nil)
	if n.Form != tracking.FormV2 || !strings.HasPrefix(string(n.Canonical()), "hoso-event-v2\n") {
		t.Errorf("a new event sealed as form %d", n.Form)
	}
	// The chain check requires the signature of every form-2 courier event.
	unsigned := signedEvent(t, priv, `{"seal_intact":true}`)
	unsigned.Device = nil
	unsigned.Seal(0, nil)
	if b := tracking.VerifyChain(unsigned.Number, []tracking.Event{unsigned}, unsigned.Hash, 1); b == nil || !strings.Contains(b.Found, "no device signature") {
		t.Errorf("an unsigned courier event passed the chain check: %v", b)
	}
}

func TestProofCommitAndCCCDQR(t *testing.T) {
	h := sha256.Sum256([]byte("6f1c2e0a-8f0e-4c1e-9b1a-2f7d3c4b5a69:123456"))
	if got := tracking.ProofCommit("6F1C2E0A-8F0E-4C1E-9B1A-2F7D3C4B5A69", "123456"); got != hex.EncodeToString(h[:]) {
		t.Errorf("commit %s", got)
	}
	good := "019090001234|123456789|Nguyễn Văn A|01011990|Nam|Số 12, tổ 3, Thái Nguyên|15082021"
	c, err := tracking.ParseCCCDQR(good)
	if err != nil || c.Number != "019090001234" || c.Name != "Nguyễn Văn A" || c.BirthDate.Year() != 1990 || c.IssuedOn.Year() != 2021 {
		t.Fatalf("good QR: %+v %v", c, err)
	}
	if _, err := tracking.ParseCCCDQR(strings.Replace(good, "123456789", "", 1)); err != nil {
		t.Errorf("a card without an old id: %v", err)
	}
	for _, bad := range []string{"", "019090001234", strings.Replace(good, "019090001234", "01909000123", 1), strings.Replace(good, "01011990", "1990-01-01", 1),
		strings.Replace(good, "|Nguyễn Văn A|", "| |", 1), good + "|x", strings.Replace(good, "Nguyễn", "\xff", 1)} {
		if _, err := tracking.ParseCCCDQR(bad); err == nil {
			t.Errorf("%q read as a CCCD QR", bad)
		} else if strings.Contains(err.Error(), "019090001234") {
			t.Errorf("the error repeats the number: %v", err)
		}
	}
}

func TestProofText(t *testing.T) {
	for _, tc := range []struct {
		p    *tracking.Proof
		want string
	}{
		{&tracking.Proof{Method: tracking.ProofDoorCode, CheckedBy: tracking.CheckedByServer}, "Công dân xác nhận bằng mã SMS."},
		{&tracking.Proof{Method: tracking.ProofSignature, CheckedBy: tracking.CheckedByServer}, "Công dân xác nhận bằng chữ ký."},
		{&tracking.Proof{Method: tracking.ProofCCCDQR, CheckedBy: tracking.CheckedByServer}, "Công dân xác nhận bằng mã QR trên CCCD."},
		{&tracking.Proof{Method: tracking.ProofIDDigits, CheckedBy: tracking.CheckedByServer, Digits: 3}, "Công dân xác nhận bằng 3 số cuối CCCD."},
		// Never a proof the server did not check.
		{&tracking.Proof{Method: tracking.ProofDoorCode}, ""},
		{&tracking.Proof{Method: tracking.ProofDoorCode, CheckedBy: tracking.CheckedByCourier}, ""},
		{nil, ""},
	} {
		if got := tracking.ProofText(tc.p, true); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.p, got, tc.want)
		}
	}
	// A collection recorded before the server checked proofs says so, and
	// never that the citizen confirmed by SMS.
	l := tracking.Describe(tracking.Event{Type: tracking.PickupCollected, Data: []byte(`{"documents":[],"seal_id":"NP-1","method":"otp","otp_verified":true}`)}, nil, nil)
	if strings.Contains(l.Detail, "tin nhắn") || strings.Contains(l.Detail, "SMS") || !strings.Contains(l.Detail, "trước khi máy chủ tự kiểm tra") {
		t.Errorf("legacy collection told as %q", l.Detail)
	}
}

func TestReceiptFormV2(t *testing.T) {
	r := tracking.Receipt{Kind: tracking.ReceiptPickup, Code: "7Q3MX-K2D9P", TrackingNumber: "EA123456785VN"}
	if !strings.HasPrefix(string(r.Canonical()), tracking.ReceiptFormat+"\n") || strings.Contains(string(r.Canonical()), "proof=") {
		t.Error("a receipt without a proof changed form")
	}
	r.Proof = tracking.ProofCCCDQR
	c := string(r.Canonical())
	if !strings.HasPrefix(c, tracking.ReceiptFormatV2+"\n") || !strings.Contains(c, "\nproof=cccd_qr\nevent_id=") {
		t.Errorf("v2 receipt:\n%s", c)
	}
}

// FuzzParseSignedText: whatever a stored signed text holds, reading it
// back never panics, and a text made from its fields reads back the same.
func FuzzParseSignedText(f *testing.F) {
	f.Add([]byte("hoso-event-v1\nid\npickup.collected\nEA123456785VN\n2026-11-24T08:00:00+07:00\n21.59\n105.84\n{\"a\":1}"))
	f.Add([]byte("hoso-event-v1\n\n\n\n\n\n\n"))
	f.Add([]byte("x"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := tracking.ParseSignedText(b)
		if err != nil {
			return
		}
		back, err := tracking.ParseSignedText(tracking.SignedText(s))
		if err != nil || back.ID != s.ID || back.Type != s.Type || back.Number != s.Number || back.At != s.At ||
			back.Lat != s.Lat || back.Lng != s.Lng || !bytes.Equal(back.Data, bytes.TrimSpace(s.Data)) {
			t.Fatalf("round trip of %q: %+v (%v)", b, back, err)
		}
	})
}

// FuzzParseCCCDQR: a QR read by a phone camera or pasted. Never a panic;
// what reads as a card has a 12-digit number and a name.
func FuzzParseCCCDQR(f *testing.F) {
	f.Add("019090001234|123456789|Nguyễn Văn A|01011990|Nam|Số 12|15082021")
	f.Add("||||||")
	f.Add("019090001234|\xff|A|01011990|Nam|x|15082021")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := tracking.ParseCCCDQR(s)
		if err != nil {
			return
		}
		if len(c.Number) != 12 || c.Name == "" {
			t.Fatalf("%q read as %+v", s, c)
		}
		if _, err := json.Marshal(c); err != nil {
			t.Fatal(err)
		}
	})
}
