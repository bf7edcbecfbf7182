package tracking_test

import (
	"errors"
	"strings"
	"testing"

	"hoso/internal/errs"
	"hoso/tracking"
)

var serverProof = &tracking.Proof{Method: tracking.ProofDoorCode, Commit: strings.Repeat("ab", 32), CheckedBy: tracking.CheckedByServer}

func requested(t *testing.T) tracking.State {
	t.Helper()
	st, _, err := decide(t, tracking.State{Leg: tracking.LegPickup, Documents: docs}, tracking.PickupRequested, portalA, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func fieldErr(t *testing.T, err error, field string) {
	t.Helper()
	var e *errs.Error
	if !errors.As(err, &e) {
		t.Fatalf("want a field error on %s, got %v", field, err)
	}
	if _, ok := e.Fields[field]; !ok {
		t.Fatalf("want a field error on %s, got %v (%v)", field, err, e.Fields)
	}
}

// TestDispositionRules: each line's disposition at a collection; a line not
// carried is accounted for (no partial), puts no copy in the envelope, and
// the desk then expects only the carried originals.
func TestDispositionRules(t *testing.T) {
	scan := strings.Repeat("cd", 32)
	tests := []struct {
		name  string
		lines []tracking.DocCount
		field string // "" = accepted
	}{
		{"old event without dispositions", []tracking.DocCount{{Line: 1, Count: 1}, {Line: 2, Count: 2}}, ""},
		{"all originals", []tracking.DocCount{{Line: 1, Count: 1, Disposition: "original"}, {Line: 2, Count: 2, Disposition: "original"}}, ""},
		{"second shown and returned", []tracking.DocCount{{Line: 1, Count: 1, Disposition: "original"}, {Line: 2, Disposition: "shown"}}, ""},
		{"second scanned", []tracking.DocCount{{Line: 1, Count: 1}, {Line: 2, Disposition: "scanned", ScanSHA256: scan}}, ""},
		{"second in VNeID", []tracking.DocCount{{Line: 1, Count: 1}, {Line: 2, Disposition: "not_needed"}}, ""},
		{"unknown disposition", []tracking.DocCount{{Line: 1, Count: 1, Disposition: "burnt"}, {Line: 2, Count: 2}}, "data.documents[0].disposition"},
		{"scanned without its scan", []tracking.DocCount{{Line: 1, Count: 1}, {Line: 2, Disposition: "scanned"}}, "data.documents[1].scan_sha256"},
		{"scan on an original", []tracking.DocCount{{Line: 1, Count: 1, ScanSHA256: scan}, {Line: 2, Count: 2}}, "data.documents[0].scan_sha256"},
		{"shown but counted in the envelope", []tracking.DocCount{{Line: 1, Count: 1}, {Line: 2, Count: 2, Disposition: "shown"}}, "data.documents[1].count"},
		{"nothing carried", []tracking.DocCount{{Line: 1, Disposition: "not_needed"}, {Line: 2, Disposition: "shown"}}, "data.documents"},
		{"original short without partial", []tracking.DocCount{{Line: 1, Count: 1}, {Line: 2, Count: 1, Disposition: "original"}}, "data.partial"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, out, err := decide(t, requested(t), tracking.PickupCollected, courierA, tracking.Collected{Documents: tc.lines, SealID: "NP-42", Proof: serverProof})
			if tc.field != "" {
				fieldErr(t, err, tc.field)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i, c := range out.Collected {
				if want := tc.lines[i].Disposition; c.Disposition != want {
					t.Errorf("line %d: disposition %q, want %q", c.Line, c.Disposition, want)
				}
			}
			// The desk counts only what travelled: 0 for a line not carried.
			var counted []tracking.DocCount
			for _, c := range out.Collected {
				counted = append(counted, tracking.DocCount{Line: c.Line, Count: c.Count})
			}
			if d := tracking.Differences(st, tracking.Confirmed{Documents: counted}); len(d) != 0 {
				t.Errorf("the desk counting the carried originals finds differences: %+v", d)
			}
		})
	}
}

// TestCounterDropOff: a post office takes the papers at its counter; custody
// goes citizen → office, the status is at the office, the clerk is named;
// a courier names no clerk.
func TestCounterDropOff(t *testing.T) {
	lines := []tracking.DocCount{{Line: 1, Count: 1}, {Line: 2, Disposition: "shown"}}
	st, out, err := decide(t, requested(t), tracking.PickupCollected, officeA, tracking.Collected{Documents: lines, SealID: "NP-7", Proof: serverProof, Clerk: "BC1-01"})
	if err != nil {
		t.Fatal(err)
	}
	if st.Status != tracking.StatusAtOffice || st.Custodian != officeA || out.UPU != "EMA" {
		t.Fatalf("after a counter drop-off: %s, held by %v, UPU %q", st.Status, st.Custodian, out.UPU)
	}
	if _, _, err := decide(t, requested(t), tracking.PickupCollected, officeA, tracking.Collected{Documents: lines, SealID: "NP-7", Proof: serverProof}); err == nil {
		t.Error("a counter drop-off without the clerk's code was accepted")
	} else {
		fieldErr(t, err, "data.clerk")
	}
	if _, _, err := decide(t, requested(t), tracking.PickupCollected, courierA, tracking.Collected{Documents: lines, SealID: "NP-7", Proof: serverProof, Clerk: "BC1-01"}); err == nil {
		t.Error("a courier's collection naming a clerk was accepted")
	}
	if _, _, err := decide(t, requested(t), tracking.PickupCollected, deskA, tracking.Collected{Documents: lines, SealID: "NP-7", Proof: serverProof}); !errs.Is(err, errs.Forbidden) {
		t.Errorf("a desk collecting: %v, want forbidden", err)
	}
	// Already collected at the counter: a courier's collection is refused.
	if _, _, err := decide(t, st, tracking.PickupCollected, courierA, tracking.Collected{Documents: lines, SealID: "NP-8", Proof: serverProof}); !errs.Is(err, errs.Conflict) {
		t.Errorf("collecting twice: %v, want conflict", err)
	}
	// From the office the papers go on as any collected at the door.
	st, _, err = decide(t, st, tracking.HandoffReleased, officeA, tracking.Released{To: courierA.String()})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err = decide(t, st, tracking.HandoffConfirmed, courierA, tracking.Confirmed{SealIntact: &yes, SealID: "NP-7"}); err != nil {
		t.Fatal(err)
	}
}

// TestReceiptDispositionsCanonical: a receipt with dispositions or a counter
// has its own canonical lines; one without keeps the text it always had.
func TestReceiptDispositionsCanonical(t *testing.T) {
	r := tracking.Receipt{Documents: []tracking.ReceiptLine{{Line: 1, Name: "A", Kind: "original", Listed: 1, Count: 1}}}
	old := string(r.Canonical())
	if strings.Contains(old, "disposition=") || strings.Contains(old, "counter=") {
		t.Fatalf("a receipt without dispositions changed its canonical text:\n%s", old)
	}
	r.Documents[0].Disposition = tracking.DispositionOriginal
	r.Counter = true
	c := string(r.Canonical())
	if !strings.Contains(c, "\ndisposition=1|original\n") || !strings.HasSuffix(c, "counter=true\n") {
		t.Fatalf("canonical text:\n%s", c)
	}
}

// TestDescribeCounterDropOff: the public timeline says the office took the
// papers at its counter and which lines did not travel.
func TestDescribeCounterDropOff(t *testing.T) {
	data := mustData(tracking.Collected{Documents: []tracking.DocCount{{Line: 1, Count: 1, Disposition: "original"}, {Line: 2, Disposition: "scanned", ScanSHA256: strings.Repeat("cd", 32)}},
		SealID: "NP-7", Proof: serverProof, Clerk: "BC1-01"})
	name := func(p tracking.Party) string { return "Bưu cục Phan Đình Phùng" }
	l := tracking.Describe(tracking.Event{Type: tracking.PickupCollected, Actor: officeA, Data: data}, docs, name)
	if !strings.HasPrefix(l.Title, "Bưu cục Phan Đình Phùng đã nhận tại quầy 1 giấy tờ") {
		t.Errorf("title %q", l.Title)
	}
	if !strings.Contains(l.Detail, "Không gửi bản gốc: 1 giấy tờ đã quét và lưu bản điện tử.") || strings.Contains(l.Detail, strings.Repeat("cd", 32)) {
		t.Errorf("detail %q", l.Detail)
	}
	if got := tracking.DispositionText([]tracking.DocCount{{Line: 1, Count: 1}}); got != "" {
		t.Errorf("an old event's lines: %q", got)
	}
}
