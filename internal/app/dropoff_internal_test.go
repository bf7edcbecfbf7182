package app

import (
	"strings"
	"testing"

	"hoso/internal/errs"
	"hoso/tracking"
)

// TestCheckDropoff: the counter's rules for each line's disposition, the
// seal, the reason of a short original and the shape of the citizen's
// proof, each refusal named by the form field it belongs beside.
func TestCheckDropoff(t *testing.T) {
	p := Parcel{Documents: []tracking.Document{
		{Name: "Tờ khai", Kind: tracking.Original, Count: 1},
		{Name: "Giấy chứng sinh", Kind: tracking.Original, Count: 1},
		{Name: "CCCD", Kind: tracking.CertifiedCopy, Count: 2},
	}}
	scan := strings.Repeat("ab", 32)
	kept := func(line int) (string, bool) { return scan, line == 3 }
	good := func() DropoffInput {
		return DropoffInput{Lines: []DropoffLine{
			{Line: 1, Count: 1, Condition: "good", Disposition: "original"},
			{Line: 2, Disposition: "shown"},
			{Line: 3, Disposition: "scanned"},
		}, SealID: " np-7 ", Method: tracking.ProofDoorCode, Secret: "123456"}
	}
	tests := []struct {
		name  string
		edit  func(*DropoffInput)
		scans func(int) (string, bool)
		field string // "" = accepted
	}{
		{"accepted", func(*DropoffInput) {}, kept, ""},
		{"line left out", func(in *DropoffInput) { in.Lines = in.Lines[:2] }, kept, "disposition_3"},
		{"unknown disposition", func(in *DropoffInput) { in.Lines[1].Disposition = "burnt" }, kept, "disposition_2"},
		{"empty disposition", func(in *DropoffInput) { in.Lines[0].Disposition = "" }, kept, "disposition_1"},
		{"scanned without a scan", func(*DropoffInput) {}, func(int) (string, bool) { return "", false }, "scan_3"},
		{"original without condition", func(in *DropoffInput) { in.Lines[0].Condition = "" }, kept, "condition_1"},
		{"too many copies", func(in *DropoffInput) { in.Lines[0].Count = 100 }, kept, "count_1"},
		{"original missing, no reason", func(in *DropoffInput) { in.Lines[0].Condition = "missing" }, kept, "partial_reason"},
		{"reason too long", func(in *DropoffInput) {
			in.Lines[0].Count, in.PartialReason = 0, strings.Repeat("ạ", 501)
		}, kept, "partial_reason"},
		{"bad seal", func(in *DropoffInput) { in.SealID = "NP\xff" }, kept, "seal_id"},
		{"no method", func(in *DropoffInput) { in.Method = "" }, kept, "method"},
		{"a proxy at the counter", func(in *DropoffInput) { in.Method = tracking.ProofProxy }, kept, "method"},
		{"code of 5 digits", func(in *DropoffInput) { in.Secret = "12345" }, kept, "secret"},
		{"CCCD of 4 digits", func(in *DropoffInput) { in.Method, in.Secret = tracking.ProofIDDigits, "1234" }, kept, "secret"},
		{"CCCD with letters", func(in *DropoffInput) { in.Method, in.Secret = tracking.ProofIDDigits, "12a" }, kept, "secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := good()
			tc.edit(&in)
			counts, short, seal, _, err := checkDropoff(p, in, tc.scans)
			if tc.field == "" {
				if err != nil {
					t.Fatal(err)
				}
				if seal != "NP-7" || short {
					t.Errorf("seal %q short %v", seal, short)
				}
				want := []tracking.DocCount{
					{Line: 1, Kind: "original", Count: 1, Condition: "good", Disposition: "original"},
					{Line: 2, Kind: "original", Condition: "good", Disposition: "shown"},
					{Line: 3, Kind: "certified_copy", Condition: "good", Disposition: "scanned", ScanSHA256: scan},
				}
				for i := range want {
					if counts[i] != want[i] {
						t.Errorf("line %d: %+v, want %+v", i+1, counts[i], want[i])
					}
				}
				return
			}
			if _, ok := errs.FieldsOf(err)[tc.field]; !ok || errs.KindOf(err) != errs.Invalid {
				t.Errorf("want an invalid %s, got %v (%v)", tc.field, err, errs.FieldsOf(err))
			}
		})
	}
	// A line number outside the dossier is refused outright.
	in := good()
	in.Lines = append(in.Lines, DropoffLine{Line: 9, Disposition: "shown"})
	if _, _, _, _, err := checkDropoff(p, in, kept); errs.KindOf(err) != errs.Invalid {
		t.Errorf("line 9: %v", err)
	}
}

// TestScanType: a scan's type is what its bytes show.
func TestScanType(t *testing.T) {
	for in, want := range map[string]string{
		"\x89PNG\r\n\x1a\nrest": "image/png", "\xff\xd8\xff\xe0": "image/jpeg", "%PDF-1.7": "application/pdf",
		"GIF89a": "", "": "", "<svg": "", "PK\x03\x04": "",
	} {
		if got := ScanType([]byte(in)); got != want {
			t.Errorf("ScanType(%q) = %q, want %q", in, got, want)
		}
	}
}
