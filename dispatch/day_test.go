package dispatch_test

import (
	"testing"
	"time"

	"hoso/dispatch"
)

func mustDay(t testing.TB, s string) dispatch.Day {
	t.Helper()
	d, err := dispatch.ParseDay(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestParseDayAndClock(t *testing.T) {
	d := mustDay(t, "2026-11-24")
	if d.String() != "2026-11-24" || d.Label() != "24/11/2026" || d.Weekday() != time.Tuesday {
		t.Errorf("day %s %s %s", d, d.Label(), d.Weekday())
	}
	if got := d.Start().UTC().Format(time.RFC3339); got != "2026-11-23T17:00:00Z" {
		t.Errorf("midnight in Vietnam is %s UTC", got)
	}
	if !dispatch.DayOf(time.Date(2026, 11, 23, 18, 0, 0, 0, time.UTC)).Equal(d) {
		t.Error("01:00 Vietnam time belongs to the next UTC day")
	}
	if !d.AddDays(1).Equal(mustDay(t, "2026-11-25")) || !d.Before(d.AddDays(1)) {
		t.Error("AddDays")
	}
	for _, bad := range []string{"", "24/11/2026", "2026-13-01", "2026-02-30"} {
		if _, err := dispatch.ParseDay(bad); err == nil {
			t.Errorf("ParseDay(%q) accepted", bad)
		}
	}
	for _, tc := range []struct {
		in   string
		want dispatch.Clock
		ok   bool
	}{
		{"07:30", 450, true}, {"7:30", 450, true}, {"0730", 450, true}, {"24:00", 1440, true}, {"00:00", 0, true},
		{"24:01", 0, false}, {"7h30", 0, false}, {"12:60", 0, false}, {"-1:00", 0, false}, {"", 0, false},
	} {
		got, err := dispatch.ParseClock(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseClock(%q) = %d, %v", tc.in, got, err)
		}
	}
	if dispatch.Clock(450).String() != "07:30" || d.At(450).Format("15:04") != "07:30" {
		t.Error("clock formatting")
	}
	if h := dispatch.HoursFrom(7*time.Hour+30*time.Minute, 17*time.Hour+30*time.Minute); h != dispatch.DefaultHours {
		t.Errorf("HoursFrom = %v", h)
	}
}

func FuzzParseClockAndDay(f *testing.F) {
	for _, s := range []string{"07:30", "0730", "24:00", "2026-11-24", "", "9:5", "-1:-1", "99999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if c, err := dispatch.ParseClock(s); err == nil {
			if !c.Valid() {
				t.Fatalf("ParseClock(%q) = %d, not a time of day", s, c)
			}
			if back, err := dispatch.ParseClock(c.String()); err != nil || back != c {
				t.Fatalf("round trip of %q: %v %v", s, back, err)
			}
		}
		if d, err := dispatch.ParseDay(s); err == nil {
			if back, err := dispatch.ParseDay(d.String()); err != nil || !back.Equal(d) {
				t.Fatalf("round trip of %q: %v %v", s, back, err)
			}
		}
	})
}
