package tracking_test

import (
	"math/rand"
	"testing"
	"time"

	"hoso/tracking"
)

func day(s string) time.Time {
	d, err := time.Parse(tracking.DateLayout, s)
	if err != nil {
		panic(err)
	}
	return d
}

// tet2026 is the 2026 calendar around Tết Nguyên đán Bính Ngọ (Saturday
// 14/2 to Sunday 22/2), Giỗ Tổ on a Sunday with its compensating Monday, a
// make-up Saturday for the test of make-up days.
func tet2026() tracking.Calendar {
	var days []tracking.CalendarDay
	for d := day("2026-02-14"); !d.After(day("2026-02-22")); d = d.AddDate(0, 0, 1) {
		days = append(days, tracking.CalendarDay{Date: d, Kind: tracking.DayOff, Name: "Tết Nguyên đán"})
	}
	days = append(days,
		tracking.CalendarDay{Date: day("2026-01-01"), Kind: tracking.DayOff, Name: "Tết Dương lịch"},
		tracking.CalendarDay{Date: day("2026-04-26"), Kind: tracking.DayOff, Name: "Giỗ Tổ Hùng Vương"},
		tracking.CalendarDay{Date: day("2026-04-27"), Kind: tracking.DayOff, Name: "Nghỉ bù Giỗ Tổ Hùng Vương"},
		tracking.CalendarDay{Date: day("2026-04-30"), Kind: tracking.DayOff, Name: "Ngày Chiến thắng"},
		tracking.CalendarDay{Date: day("2026-05-01"), Kind: tracking.DayOff, Name: "Quốc tế Lao động"},
		tracking.CalendarDay{Date: day("2026-03-07"), Kind: tracking.MakeUp, Name: "Làm bù (thử)"},
	)
	return tracking.NewCalendar(days)
}

func TestIsWorkingDay(t *testing.T) {
	c := tet2026()
	five, six := tracking.WorkweekRule{}, tracking.WorkweekRule{SaturdayMorning: true}
	for _, tc := range []struct {
		day       string
		five, six bool
	}{
		{"2026-02-13", true, true},   // Friday before Tết
		{"2026-02-14", false, false}, // Saturday, Tết: even a Saturday desk is closed
		{"2026-02-17", false, false}, // mùng 1 Tết, a Tuesday
		{"2026-02-23", true, true},   // Monday after Tết
		{"2026-02-28", false, true},  // an ordinary Saturday
		{"2026-03-01", false, false}, // Sunday
		{"2026-03-07", true, true},   // a make-up Saturday
		{"2026-04-27", false, false}, // compensating Monday
		{"2026-01-01", false, false},
		{"2026-01-02", true, true},
	} {
		if got := c.IsWorkingDay(day(tc.day), five); got != tc.five {
			t.Errorf("%s Mon–Fri: %v, want %v", tc.day, got, tc.five)
		}
		if got := c.IsWorkingDay(day(tc.day), six); got != tc.six {
			t.Errorf("%s with Saturday morning: %v, want %v", tc.day, got, tc.six)
		}
	}
	// The zero calendar knows only weekends.
	var z tracking.Calendar
	if !z.IsWorkingDay(day("2026-02-17"), five) || z.IsWorkingDay(day("2026-02-15"), five) {
		t.Error("the zero calendar")
	}
}

func TestAddWorkingDays(t *testing.T) {
	c := tet2026()
	five, six := tracking.WorkweekRule{}, tracking.WorkweekRule{SaturdayMorning: true}
	for _, tc := range []struct {
		from string
		n    int
		rule tracking.WorkweekRule
		want string
	}{
		{"2026-02-10", 0, five, "2026-02-10"},
		{"2026-02-10", 3, five, "2026-02-13"},  // Wed, Thu, Fri
		{"2026-02-10", 4, five, "2026-02-23"},  // the Tết week counts for nothing
		{"2026-02-12", 5, five, "2026-02-26"},  // Fri 13, then Mon 23 to Thu 26
		{"2026-02-12", 5, six, "2026-02-26"},   // the Saturdays of Tết are off too
		{"2026-02-23", 5, six, "2026-02-28"},   // Tue..Fri, Saturday 28
		{"2026-03-02", 5, five, "2026-03-07"},  // Tue..Fri, then the make-up Saturday
		{"2026-04-24", 1, five, "2026-04-28"},  // Friday, then Giỗ Tổ's compensating Monday
		{"2026-04-29", 1, five, "2026-05-04"},  // 30/4 and 1/5
		{"2026-02-23", -1, five, "2026-02-13"}, // back over Tết
		{"2025-12-31", 1, five, "2026-01-02"},
	} {
		if got := c.AddWorkingDays(day(tc.from), tc.n, tc.rule); !got.Equal(day(tc.want)) {
			t.Errorf("AddWorkingDays(%s, %d, %+v) = %s, want %s", tc.from, tc.n, tc.rule, got.Format(tracking.DateLayout), tc.want)
		}
	}
	if n := c.WorkingDaysBetween(day("2026-02-10"), day("2026-02-27"), five); n != 8 {
		t.Errorf("WorkingDaysBetween across Tết = %d, want 8", n)
	}
	if n := c.WorkingDaysBetween(day("2026-02-27"), day("2026-02-10"), five); n != -8 {
		t.Errorf("backwards = %d, want -8", n)
	}
	// A Vietnam evening is its own day, not UTC's.
	ict := time.FixedZone("ICT", 7*3600)
	if got := tracking.DayOf(time.Date(2026, 2, 13, 23, 30, 0, 0, ict)); !got.Equal(day("2026-02-13")) {
		t.Errorf("DayOf = %s", got)
	}
}

// TestWorkingDaysProperties: for random dates and counts, counting the
// working days to AddWorkingDays(from, n) gives n back, the day reached is
// a working day (never a holiday nor, for a Monday-to-Friday desk, a
// weekend other than a make-up day), and adding is monotonic.
func TestWorkingDaysProperties(t *testing.T) {
	c := tet2026()
	rng := rand.New(rand.NewSource(18))
	for i := 0; i < 3000; i++ {
		from := day("2025-11-01").AddDate(0, 0, rng.Intn(240))
		n := rng.Intn(40)
		rule := tracking.WorkweekRule{SaturdayMorning: rng.Intn(2) == 0}
		to := c.AddWorkingDays(from, n, rule)
		if got := c.WorkingDaysBetween(from, to, rule); got != n {
			t.Fatalf("from %s add %d = %s, counted back %d", from.Format(tracking.DateLayout), n, to.Format(tracking.DateLayout), got)
		}
		if n == 0 {
			continue
		}
		if e, ok := c.Entry(to); ok && e.Kind == tracking.DayOff {
			t.Fatalf("from %s add %d landed on %s, %s", from, n, to, e.Name)
		}
		if !c.IsWorkingDay(to, rule) {
			t.Fatalf("from %s add %d landed on a day off %s", from, n, to)
		}
		if _, made := c.Entry(to); to.Weekday() == time.Sunday && !made {
			t.Fatalf("landed on a Sunday %s", to)
		}
		if back := c.AddWorkingDays(to, -n, rule); back.After(from) {
			t.Fatalf("back %d from %s = %s, after %s", n, to, back, from)
		}
		if next := c.AddWorkingDays(from, n+1, rule); !next.After(to) {
			t.Fatalf("not monotonic at %s + %d", from, n)
		}
	}
}

func TestRiskAtCountsWorkingDays(t *testing.T) {
	c := tet2026()
	ict := time.FixedZone("ICT", 7*3600)
	req := time.Date(2026, 2, 11, 9, 0, 0, 0, ict) // Wednesday before Tết
	deadline := day("2026-02-27")                  // Thu 12, Fri 13, Mon 23..Fri 27: 7 working days
	n := c.WorkingDaysBetween(tracking.DayOf(req), deadline, tracking.WorkweekRule{})
	if n != 7 {
		t.Fatalf("working days to the deadline %d, want 7", n)
	}
	// Half of 7 working days, rounded up: 4, the start of the fourth
	// working day, Tuesday 24/2, where wall-clock halving would have fallen
	// inside Tết (on the 19th).
	got := c.RiskAt(req, deadline, 0.5, tracking.WorkweekRule{})
	if want := time.Date(2026, 2, 24, 0, 0, 0, 0, ict); !got.Equal(want) {
		t.Errorf("RiskAt = %s, want %s", got, want)
	}
	if got := c.RiskAt(req, day("2026-02-11"), 0.5, tracking.WorkweekRule{}); !got.Equal(req) {
		t.Errorf("a deadline today: risk at once, got %s", got)
	}
}

func TestCalendarDayValidate(t *testing.T) {
	for _, tc := range []struct {
		d     tracking.CalendarDay
		field string
	}{
		{tracking.CalendarDay{Date: day("2026-09-02"), Kind: tracking.DayOff, Name: " Quốc khánh "}, ""},
		{tracking.CalendarDay{Date: day("2026-03-07"), Kind: tracking.MakeUp, Name: "Làm bù"}, ""},
		{tracking.CalendarDay{Date: day("2026-03-05"), Kind: tracking.MakeUp, Name: "Làm bù"}, "date"},
		{tracking.CalendarDay{Date: day("2026-09-02"), Kind: "khac", Name: "x"}, "kind"},
		{tracking.CalendarDay{Date: day("2026-09-02"), Kind: tracking.DayOff, Name: ""}, "name"},
		{tracking.CalendarDay{Date: day("2026-09-02"), Kind: tracking.DayOff, Name: "\xff\xfe"}, "name"},
		{tracking.CalendarDay{Date: day("2026-09-02"), Kind: tracking.DayOff, Name: string(make([]byte, 200))}, "name"},
		{tracking.CalendarDay{Date: time.Date(1999, 1, 1, 0, 0, 0, 0, time.UTC), Kind: tracking.DayOff, Name: "x"}, "date"},
	} {
		field, err := tc.d.Validate()
		if field != tc.field || (err == nil) != (tc.field == "") {
			t.Errorf("%+v: field %q err %v, want field %q", tc.d, field, err, tc.field)
		}
	}
	for _, s := range []string{"2026-02-30", "30/02/2026", "hôm qua", "", "1999-01-01", "2026-1-1"} {
		if _, err := tracking.ParseDate(s); err == nil {
			t.Errorf("ParseDate(%q) accepted", s)
		}
	}
	if d, err := tracking.ParseDate("02/09/2026"); err != nil || !d.Equal(day("2026-09-02")) {
		t.Errorf("ParseDate dd/mm/yyyy: %v %v", d, err)
	}
}

// FuzzParseDate: any text is a date of the calendar's years that reads
// back the same, or an error that does not echo long or garbled input.
func FuzzParseDate(f *testing.F) {
	for _, s := range []string{"2026-04-30", "30/04/2026", "2/9/2026", "2026-02-30", "", "\xff", "9999-01-01"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := tracking.ParseDate(s)
		if err != nil {
			if len(err.Error()) > 200 {
				t.Fatalf("the error echoes the input: %q", err)
			}
			return
		}
		if d.Year() < tracking.CalendarMinYear || d.Year() > tracking.CalendarMaxYear || d.Hour() != 0 {
			t.Fatalf("ParseDate(%q) = %s", s, d)
		}
		if back, err := tracking.ParseDate(d.Format(tracking.DateLayout)); err != nil || !back.Equal(d) {
			t.Fatalf("%s does not read back", d)
		}
	})
}
