package tracking_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"hoso/tracking"
)

func TestParseTyped(t *testing.T) {
	want := "EA123456785VN"
	tests := []struct {
		in string
		ok bool
	}{
		{"EA123456785VN", true},
		{"ea123456785vn", true},
		{"EA 123 456 785 VN", true}, // as the SMS and the receipt print it
		{" EA-123-456-785-VN\t", true},
		{"EA.123.456.785.VN", true},
		{"ＥＡ１２３４５６７８５ＶＮ", true}, // full-width, from a phone keyboard
		{"EA\u00a0123\u00a0456\u00a0785\u00a0VN", true},
		{"EA123456784VN", false}, // wrong check digit
		{"EA12345678VN", false},
		{"EA123456785VN1", false},
		{"", false},
		{"   ", false},
		{"EA123456785VÑ", false},
		{"EA123456785VN\xff", false},
		{"EA<123456785>VN", false},
		{strings.Repeat(" ", 200) + "EA123456785VN", false},
	}
	for _, tt := range tests {
		n, err := tracking.ParseTyped(tt.in)
		if tt.ok != (err == nil) {
			t.Errorf("ParseTyped(%q) err = %v, want ok %v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && n.String() != want {
			t.Errorf("ParseTyped(%q) = %s, want %s", tt.in, n, want)
		}
	}
}

func TestDossierKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"G22.19-241112-0042", "G2219241112 0042"},
		{"g22.19-241112-0042", "G2219241112 0042"},
		{"G22 19 241112 0042", "G2219241112 0042"},
		{"000.00.19.H56-241112-0001", "0000019H562411120001"},
		{"G22/19", "G2219"},
		{"", ""},
		{" - ", ""},
		{"Hồ sơ 1", ""}, // not a code: compared as typed instead
		{"G22\xff", ""},
		{strings.Repeat("A", tracking.MaxCode+1), ""},
	}
	for _, tt := range tests {
		if got := tracking.DossierKey(tt.in); got != strings.ReplaceAll(tt.want, " ", "") {
			t.Errorf("DossierKey(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func FuzzParseTyped(f *testing.F) {
	for _, s := range []string{"EA123456785VN", "ea 123 456 785 vn", "ＥＡ１２３", "\xff", "EA-1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := tracking.ParseTyped(s)
		if err != nil {
			return
		}
		// What it accepts is a valid number, and its printed form reads back.
		if _, err := tracking.ParseNumber(n.String()); err != nil {
			t.Fatalf("ParseTyped(%q) = %q, which ParseNumber refuses: %v", s, n, err)
		}
		if !utf8.ValidString(s) {
			t.Fatalf("ParseTyped accepted text that is not UTF-8: %q", s)
		}
		k := tracking.DossierKey(s)
		if k != tracking.DossierKey(k) {
			t.Fatalf("DossierKey is not idempotent on %q", s)
		}
	})
}

func TestFold(t *testing.T) {
	ls := func(ts ...tracking.EventType) []tracking.Line {
		out := make([]tracking.Line, len(ts))
		for i, ty := range ts {
			out[i] = tracking.Line{Type: ty}
		}
		return out
	}
	tests := []struct {
		name  string
		lines []tracking.Line
		want  []bool
	}{
		{"release confirmed", ls(tracking.PickupCollected, tracking.HandoffReleased, tracking.HandoffConfirmed), []bool{false, true, false}},
		{"release pending", ls(tracking.PickupCollected, tracking.HandoffReleased), []bool{false, false}},
		{"rescheduled", ls(tracking.PickupRequested, tracking.PickupScheduled, tracking.PickupScheduled), []bool{false, true, false}},
		{"failed then collected", ls(tracking.PickupScheduled, tracking.PickupAttemptFailed, tracking.PickupScheduled, tracking.PickupCollected), []bool{true, true, true, false}},
		{"delivery failed then done", ls(tracking.DeliveryOut, tracking.DeliveryAttemptFailed, tracking.DeliveryCompleted), []bool{false, true, false}},
	}
	for _, tt := range tests {
		tracking.Fold(tt.lines)
		for i, l := range tt.lines {
			if l.Superseded != tt.want[i] {
				t.Errorf("%s: line %d (%s) superseded = %v, want %v", tt.name, i, l.Type, l.Superseded, tt.want[i])
			}
		}
	}
}

func TestCurrentProblem(t *testing.T) {
	failed := tracking.Line{Type: tracking.PickupAttemptFailed, Title: "Bưu tá chưa thu gom được hồ sơ", Problem: true}
	tests := []struct {
		name   string
		st     tracking.Status
		lines  []tracking.Line
		want   bool
		inToDo string
	}{
		{"attempt failed now", tracking.StatusPickupFailed, []tracking.Line{{Type: tracking.PickupScheduled}, failed}, true, "hẹn lại"},
		{"failed, then collected", tracking.StatusCollected, []tracking.Line{failed, {Type: tracking.PickupCollected}}, false, ""},
		{"missing papers", tracking.StatusReturnedIncomplete, []tracking.Line{{Type: tracking.DeskReturnedIncomplete, Problem: true, Title: "Hồ sơ chưa đầy đủ"}}, true, "giấy tờ còn thiếu"},
		{"dispute, nothing since", tracking.StatusAtOffice, []tracking.Line{{Type: tracking.HandoffDisputed, Problem: true}}, true, "làm rõ"},
		{"no problem", tracking.StatusScheduled, []tracking.Line{{Type: tracking.PickupScheduled}}, false, ""},
	}
	for _, tt := range tests {
		p, ok := tracking.CurrentProblem(tt.st, tt.lines)
		if ok != tt.want || !strings.Contains(p.ToDo, tt.inToDo) {
			t.Errorf("%s: CurrentProblem = %+v, %v; want %v with %q", tt.name, p, ok, tt.want, tt.inToDo)
		}
	}
}
