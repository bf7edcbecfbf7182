package receipts_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"hoso/internal/receipts"
	"hoso/tracking"
)

func mustKey(t testing.TB, b byte) *receipts.Key {
	t.Helper()
	k, err := receipts.NewKey(bytes.Repeat([]byte{b}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sample() tracking.Receipt {
	return tracking.Receipt{
		Kind: tracking.ReceiptPickup, Code: "7Q3MX-K2D9P", TrackingNumber: "EA123456785VN",
		DossierCode: "000.00.19.H12-251120-0001", Procedure: "Đăng ký kết hôn",
		Documents: []tracking.ReceiptLine{
			{Line: 1, Name: "Tờ khai đăng ký kết hôn", Kind: tracking.Original, Listed: 1, Count: 1},
			{Line: 2, Name: "Căn cước công dân", Kind: tracking.CertifiedCopy, Listed: 2, Count: 2},
		},
		SealID: "NP-004211", At: time.Date(2026, 11, 24, 1, 41, 10, 0, time.UTC), RecordedAt: time.Date(2026, 11, 24, 1, 41, 12, 0, time.UTC),
		CourierCode: "BUUTA1", OfficeCode: "BC-05443", OfficeName: "Bưu cục Phan Đình Phùng", Initials: "N. V. A.",
		EventID: "8a6b0f0e-1c1d-4e8f-9a0b-0c1d2e3f4a5b", EventHash: strings.Repeat("ab", 32),
	}
}

func TestSignAndCheck(t *testing.T) {
	k := mustKey(t, 0x44)
	r := sample()
	sig, err := k.Sign(r)
	if err != nil {
		t.Fatal(err)
	}
	doc := receipts.NewDocument(r, sig, k.KeyID())
	parsed, err := receipts.ParseDocument(doc.JSON())
	if err != nil {
		t.Fatal(err)
	}
	pub, err := receipts.ParsePublicKey(k.Public().String())
	if err != nil {
		t.Fatal(err)
	}
	if err := pub.Check(parsed); err != nil {
		t.Fatalf("genuine receipt refused: %v", err)
	}

	tamper := []struct {
		name   string
		change func(d *receipts.Document)
		want   error
	}{
		{"count", func(d *receipts.Document) { d.Receipt.Documents[1].Count = 1 }, receipts.ErrNotGenuine},
		{"listed", func(d *receipts.Document) { d.Receipt.Documents[1].Listed = 3 }, receipts.ErrNotGenuine},
		{"document dropped", func(d *receipts.Document) { d.Receipt.Documents = d.Receipt.Documents[:1] }, receipts.ErrNotGenuine},
		{"seal", func(d *receipts.Document) { d.Receipt.SealID = "NP-004212" }, receipts.ErrNotGenuine},
		{"time", func(d *receipts.Document) { d.Receipt.At = d.Receipt.At.Add(time.Hour) }, receipts.ErrNotGenuine},
		{"signature", func(d *receipts.Document) { d.Signature = "AAAA" + d.Signature[4:] }, receipts.ErrNotGenuine},
		{"not base64", func(d *receipts.Document) { d.Signature = "!!" }, receipts.ErrNotGenuine},
		{"invalid content", func(d *receipts.Document) { d.Receipt.Code = "x" }, receipts.ErrNotGenuine},
		{"other key id", func(d *receipts.Document) { d.KeyID = "0000000000000000" }, receipts.ErrOtherKey},
	}
	for _, tc := range tamper {
		d, _ := receipts.ParseDocument(doc.JSON())
		tc.change(&d)
		if err := pub.Check(d); !errors.Is(err, tc.want) {
			t.Errorf("%s: Check = %v, want %v", tc.name, err, tc.want)
		}
	}
	// The canonical text in the document is not trusted.
	d, _ := receipts.ParseDocument(doc.JSON())
	d.Canonical = "anything"
	if err := pub.Check(d); err != nil {
		t.Errorf("canonical copy was trusted: %v", err)
	}
	// Another key's signature is not genuine, even naming the right key.
	other := mustKey(t, 0x45)
	osig, _ := other.Sign(r)
	forged := receipts.NewDocument(r, osig, k.KeyID())
	if err := pub.Check(forged); !errors.Is(err, receipts.ErrNotGenuine) {
		t.Errorf("other key's signature: %v", err)
	}
	// An invalid receipt is never signed.
	bad := sample()
	bad.Documents = nil
	if _, err := k.Sign(bad); err == nil {
		t.Error("signed an invalid receipt")
	}
}

func TestKeyForms(t *testing.T) {
	k := mustKey(t, 0x44)
	s := k.Public().String()
	if !strings.HasPrefix(s, "ed25519:") || len(k.KeyID()) != 16 {
		t.Fatalf("key %q id %q", s, k.KeyID())
	}
	for _, form := range []string{s, strings.TrimPrefix(s, "ed25519:"), " " + s + "\n"} {
		p, err := receipts.ParsePublicKey(form)
		if err != nil || p.ID() != k.KeyID() {
			t.Errorf("ParsePublicKey(%q) = %v, %v", form, p.ID(), err)
		}
	}
	for _, bad := range []string{"", "ed25519:", "ed25519:AAAA", strings.Repeat("zz", 32)} {
		if _, err := receipts.ParsePublicKey(bad); err == nil {
			t.Errorf("ParsePublicKey(%q) accepted", bad)
		}
	}
	seed, err := receipts.ParseSeed(strings.Repeat("44", 32))
	if err != nil || !bytes.Equal(seed, bytes.Repeat([]byte{0x44}, 32)) {
		t.Errorf("ParseSeed hex: %x %v", seed, err)
	}
	if _, err := receipts.NewKey([]byte("short")); err == nil {
		t.Error("short seed accepted")
	}
}

func TestParseDocumentStrict(t *testing.T) {
	k := mustKey(t, 0x44)
	sig, _ := k.Sign(sample())
	good := string(receipts.NewDocument(sample(), sig, k.KeyID()).JSON())
	for _, bad := range []string{
		strings.Replace(good, `"format": "hoso-receipt-v1"`, `"format": "hoso-receipt-v2"`, 1),
		strings.Replace(good, `"key_id"`, `"extra": 1, "key_id"`, 1),
		good + "{}",
		"",
	} {
		if _, err := receipts.ParseDocument([]byte(bad)); err == nil {
			t.Errorf("accepted %.80q", bad)
		}
	}
}

func FuzzParseDocument(f *testing.F) {
	k := mustKey(f, 0x44)
	sig, _ := k.Sign(sample())
	f.Add(receipts.NewDocument(sample(), sig, k.KeyID()).JSON())
	f.Add([]byte(`{"format":"hoso-receipt-v1"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := receipts.ParseDocument(raw)
		if err != nil {
			return
		}
		// Checking never panics; a changed document is genuine only if it
		// states exactly what was signed.
		if k.Public().Check(d) == nil && !bytes.Equal(d.Receipt.Canonical(), sample().Canonical()) {
			t.Fatalf("a different receipt passed the check:\n%s", d.Receipt.Canonical())
		}
	})
}
