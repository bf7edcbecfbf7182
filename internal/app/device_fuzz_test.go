package app

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"testing"
)

// FuzzCheckSignature: the signature header of a courier event and the
// fields it covers come from the device. A key registered for the device
// accepts its own signature over the fields as sent and nothing else: not
// a fuzzed signature, not the genuine signature over altered fields; any
// bytes as a stored key never panic.
func FuzzCheckSignature(f *testing.F) {
	ek, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		f.Fatal(err)
	}
	spki, _ := x509.MarshalPKIXPublicKey(&ek.PublicKey)
	epub, epriv, _ := ed25519.GenerateKey(rand.Reader)
	keys := []DeviceKey{{Alg: "ES256", PublicKey: spki}, {Alg: "Ed25519", PublicKey: epub}}
	sign := func(alg string, msg []byte) string {
		if alg == "Ed25519" {
			return base64.StdEncoding.EncodeToString(ed25519.Sign(epriv, msg))
		}
		h := sha256.Sum256(msg)
		r, s, _ := ecdsa.Sign(rand.Reader, ek, h[:])
		sig := make([]byte, 64)
		r.FillBytes(sig[:32])
		s.FillBytes(sig[32:])
		return base64.StdEncoding.EncodeToString(sig)
	}
	f.Add([]byte(`{"id":"6f1c2e0a-8f0e-4c1e-9b1a-2f7d3c4b5a69","type":"pickup.attempt_failed","tracking_number":"EA123456785VN","at":"2026-11-24T09:00:00+07:00","lat":21.59,"lng":105.84,"data":{"reason":"not_home"}}`),
		"AAAA", []byte{1, 2, 3}, uint8(0))
	f.Add([]byte(`{"data":{}}`), "", []byte(nil), uint8(1))
	f.Add([]byte(`{"id":1,"lat":"x"}`), "!!!", spki[:10], uint8(2))
	f.Fuzz(func(t *testing.T, raw []byte, sig string, keyBytes []byte, which uint8) {
		var fields map[string]json.RawMessage
		if json.Unmarshal(raw, &fields) != nil || fields == nil {
			return
		}
		msg := SignedText(fields)
		// Arbitrary stored key bytes: no panic, and a random signature
		// does not verify.
		for _, alg := range []string{"ES256", "Ed25519", "RS256"} {
			checkSignature(DeviceKey{Alg: alg, PublicKey: keyBytes}, msg, sig)
		}
		k := keys[int(which)%len(keys)]
		if _, ok := checkSignature(k, msg, sig); ok {
			t.Fatalf("a fuzzed signature %q verified for %s", sig, k.Alg)
		}
		good := sign(k.Alg, msg)
		if _, ok := checkSignature(k, msg, good); !ok {
			t.Fatalf("the genuine %s signature did not verify", k.Alg)
		}
		altered := map[string]json.RawMessage{}
		for kk, v := range fields {
			altered[kk] = v
		}
		altered["data"] = json.RawMessage(`{"reason":"refused","x":` + string(rune('0'+which%10)) + `}`)
		if msg2 := SignedText(altered); string(msg2) != string(msg) {
			if _, ok := checkSignature(k, msg2, good); ok {
				t.Fatal("the signature verified over altered data")
			}
		}
	})
}
