package tracking_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"hoso/tracking"
)

func TestParseReceiptCode(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"7Q3MX-K2D9P", "7Q3MX-K2D9P", true},
		{"7q3mxk2d9p", "7Q3MX-K2D9P", true},
		{" 7q3mx - k2d9p ", "7Q3MX-K2D9P", true},
		{"7Q3MX–K2D9P", "7Q3MX-K2D9P", true}, // en dash from a phone keyboard
		{"oQ3MX-K2DIL", "0Q3MX-K2D11", true}, // Crockford: O is 0, I and L are 1
		{"7Q3MX-K2D9", "", false},            // too short
		{"7Q3MX-K2D9PP", "", false},          // too long
		{"7Q3MU-K2D9P", "", false},           // U is not in the alphabet
		{"7Q3MX_K2D9P", "", false},
		{"7Q3MX-K2Đ9P", "", false},
		{"", "", false},
		{strings.Repeat("-", 50), "", false},
		{"../../etc/passwd", "", false},
	}
	for _, tc := range tests {
		got, ok := tracking.ParseReceiptCode(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseReceiptCode(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
		if ok && !tracking.ValidReceiptCode(got) {
			t.Errorf("ParseReceiptCode(%q) = %q is not valid", tc.in, got)
		}
	}
}

func FuzzParseReceiptCode(f *testing.F) {
	for _, s := range []string{"7Q3MX-K2D9P", "7q3mxk2d9p", "oooooiiiii", "-", "ĐĐĐĐĐ-ĐĐĐĐĐ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := tracking.ParseReceiptCode(s)
		if !ok {
			return
		}
		if !tracking.ValidReceiptCode(got) {
			t.Fatalf("%q parsed to invalid %q", s, got)
		}
		again, ok := tracking.ParseReceiptCode(got)
		if !ok || again != got {
			t.Fatalf("%q → %q → %q, %v: not a fixed point", s, got, again, ok)
		}
	})
}

// sampleReceipt is a valid pickup receipt.
func sampleReceipt() tracking.Receipt {
	ict := time.FixedZone("ICT", 7*3600)
	return tracking.Receipt{
		Kind: tracking.ReceiptPickup, Code: "7Q3MX-K2D9P", TrackingNumber: "EA123456785VN",
		DossierCode: "000.00.19.H12-251120-0001", ProcedureCode: "1.001234", Procedure: "Đăng ký kết hôn",
		DeskCode: "TN-TTPVHCC", DeskName: "Trung tâm Phục vụ hành chính công tỉnh Thái Nguyên",
		Documents: []tracking.ReceiptLine{
			{Line: 1, Name: "Tờ khai đăng ký kết hôn", Kind: tracking.Original, Listed: 1, Count: 1},
			{Line: 2, Name: "Giấy xác nhận tình trạng hôn nhân", Kind: tracking.Original, Listed: 1, Count: 1},
			{Line: 3, Name: "Căn cước công dân", Kind: tracking.CertifiedCopy, Listed: 2, Count: 2},
		},
		SealID: "NP-004211", At: time.Date(2026, 11, 24, 8, 41, 10, 0, ict), RecordedAt: time.Date(2026, 11, 24, 1, 41, 12, 345678000, time.UTC),
		CourierCode: "BT-19-0123", OfficeCode: "BC-05443", OfficeName: "Bưu cục Phan Đình Phùng", Initials: "N. V. A.",
		EventID: "8a6b0f0e-1c1d-4e8f-9a0b-0c1d2e3f4a5b", EventHash: strings.Repeat("ab", 32),
	}
}

func TestReceiptValidate(t *testing.T) {
	ok := sampleReceipt()
	if err := ok.Validate(); err != nil {
		t.Fatalf("sample: %v", err)
	}
	delivery := sampleReceipt()
	delivery.Kind, delivery.SealID, delivery.Verification, delivery.Fee = tracking.ReceiptDelivery, "", "otp", 50000
	if err := delivery.Validate(); err != nil {
		t.Fatalf("delivery: %v", err)
	}
	tests := []struct {
		name   string
		change func(r *tracking.Receipt)
	}{
		{"kind", func(r *tracking.Receipt) { r.Kind = "other" }},
		{"code", func(r *tracking.Receipt) { r.Code = "7Q3MXK2D9P" }},
		{"number", func(r *tracking.Receipt) { r.TrackingNumber = "EA123456784VN" }},
		{"dossier", func(r *tracking.Receipt) { r.DossierCode = "" }},
		{"courier", func(r *tracking.Receipt) { r.CourierCode = "" }},
		{"initials", func(r *tracking.Receipt) { r.Initials = "" }},
		{"time", func(r *tracking.Receipt) { r.At = time.Time{} }},
		{"no documents", func(r *tracking.Receipt) { r.Documents = nil }},
		{"line order", func(r *tracking.Receipt) { r.Documents[1].Line = 3 }},
		{"kind of document", func(r *tracking.Receipt) { r.Documents[0].Kind = "scan" }},
		{"negative count", func(r *tracking.Receipt) { r.Documents[0].Count = -1 }},
		{"count too big", func(r *tracking.Receipt) { r.Documents[0].Count = 100 }},
		{"nothing handed over", func(r *tracking.Receipt) {
			for i := range r.Documents {
				r.Documents[i].Count = 0
			}
		}},
		{"seal", func(r *tracking.Receipt) { r.SealID = "x" }},
		{"fee on a pickup", func(r *tracking.Receipt) { r.Fee = 1 }},
		{"bad text", func(r *tracking.Receipt) { r.Note = "\xff" }},
	}
	for _, tc := range tests {
		r := sampleReceipt()
		r.Documents = append([]tracking.ReceiptLine(nil), r.Documents...)
		tc.change(&r)
		if err := r.Validate(); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	proxy := delivery
	proxy.Verification = "proxy"
	if err := proxy.Validate(); err == nil {
		t.Error("proxy without authorisation: no error")
	}
}

func TestReceiptCanonical(t *testing.T) {
	r := sampleReceipt()
	c := string(r.Canonical())
	for _, want := range []string{
		"hoso-receipt-v1\nkind=pickup\ncode=7Q3MX-K2D9P\n",
		"at=2026-11-24T01:41:10Z\n",
		"recorded_at=2026-11-24T01:41:12.345678Z\n",
		"documents=3\n",
		"document=3|certified_copy|2|2|Căn cước công dân\n",
	} {
		if !strings.Contains(c, want) {
			t.Errorf("canonical lacks %q:\n%s", want, c)
		}
	}
	// The same instant in another zone is the same receipt.
	z := r
	z.At = r.At.UTC()
	if !bytes.Equal(z.Canonical(), r.Canonical()) {
		t.Error("zone changed the canonical form")
	}
	// Every field that states something changes the canonical text.
	changes := []func(r *tracking.Receipt){
		func(r *tracking.Receipt) { r.Code = "7Q3MX-K2D9Q" },
		func(r *tracking.Receipt) { r.Documents[2].Count = 1 },
		func(r *tracking.Receipt) { r.Documents[2].Listed = 3 },
		func(r *tracking.Receipt) { r.Documents[0].Kind = tracking.Copy },
		func(r *tracking.Receipt) { r.Documents[0].Name += "." },
		func(r *tracking.Receipt) { r.At = r.At.Add(time.Second) },
		func(r *tracking.Receipt) { r.SealID = "NP-004212" },
		func(r *tracking.Receipt) { r.CourierCode = "BT-19-0124" },
		func(r *tracking.Receipt) { r.OfficeName = "Bưu cục khác" },
		func(r *tracking.Receipt) { r.Initials = "N. V. B." },
		func(r *tracking.Receipt) { r.Partial = true },
		func(r *tracking.Receipt) { r.Fee = 1 },
		func(r *tracking.Receipt) { r.EventHash = strings.Repeat("cd", 32) },
	}
	for i, ch := range changes {
		x := sampleReceipt()
		x.Documents = append([]tracking.ReceiptLine(nil), x.Documents...)
		ch(&x)
		if bytes.Equal(x.Canonical(), r.Canonical()) {
			t.Errorf("change %d left the canonical form as it was", i)
		}
	}
	// A value cannot forge another line: escaping keeps lines apart.
	a, b := sampleReceipt(), sampleReceipt()
	a.Note = "x\nseal_id=NP-1"
	b.Note = `x\nseal_id=NP-1`
	if bytes.Equal(a.Canonical(), b.Canonical()) {
		t.Error("a line feed and a backslash-n give the same canonical text")
	}
	if strings.Count(string(a.Canonical()), "\n") != strings.Count(string(r.Canonical()), "\n") {
		t.Error("a line feed in a value added a line")
	}
}

func TestReceiptJSONRoundTrip(t *testing.T) {
	r := sampleReceipt()
	r.Note = `Thiếu <bản sao> & "CCCD"`
	b := r.JSON()
	if !bytes.Contains(b, []byte(`<bản sao> &`)) {
		t.Errorf("HTML escaped: %s", b)
	}
	back, err := tracking.ParseReceipt(b)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(back.Canonical(), r.Canonical()) {
		t.Errorf("round trip changed the canonical form")
	}
	for _, bad := range []string{
		strings.Replace(string(b), `"kind":"pickup"`, `"kind":"pickup","extra":1`, 1),
		string(b) + `{}`,
		`[]`,
		`{"documents": "x"}`,
	} {
		if _, err := tracking.ParseReceipt([]byte(bad)); err == nil {
			t.Errorf("ParseReceipt(%.60q…) accepted", bad)
		}
	}
}

func FuzzParseReceipt(f *testing.F) {
	r := sampleReceipt()
	f.Add(r.JSON())
	f.Add([]byte(`{"kind":"delivery"}`))
	f.Add([]byte(`{`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := tracking.ParseReceipt(raw)
		if err != nil {
			return
		}
		_ = r.Validate()
		// Canonical never fails and re-reading the encoding gives the
		// same canonical text.
		c := r.Canonical()
		back, err := tracking.ParseReceipt(r.JSON())
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		if !bytes.Equal(back.Canonical(), c) {
			t.Fatalf("canonical changed through JSON:\n%s\n%s", c, back.Canonical())
		}
	})
}
