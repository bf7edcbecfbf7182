package receipts_test

import (
	"bytes"
	"testing"

	"hoso/internal/receipts"
)

// FuzzParsePublicKey: the key a citizen or an auditor gives `hoso
// verify-receipt --key`. What is accepted is a 32-byte key whose printed
// form reads back as the same key; nothing panics.
func FuzzParsePublicKey(f *testing.F) {
	for _, s := range []string{"ed25519:" + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff",
		"", "ed25519:", "zz", "ed25519:AAAA", " ed25519:  " + "//////////////////////////////////////////8="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, err := receipts.ParsePublicKey(s)
		if err != nil {
			return
		}
		if !k.Valid() {
			t.Fatalf("accepted %q as a key of the wrong size", s)
		}
		if bytes.Contains([]byte(k.String()), []byte("\n")) {
			t.Fatalf("key %q prints over lines", k.String())
		}
		k2, err := receipts.ParsePublicKey(k.String())
		if err != nil || k2.String() != k.String() {
			t.Fatalf("printed key %q does not parse back: %v", k.String(), err)
		}
	})
}
