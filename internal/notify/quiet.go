package notify

import (
	"fmt"
	"strings"
	"time"
)

// QuietHours is the part of the night when no message goes out except the
// time-critical ones, in Vietnam time. Start after End wraps midnight (the
// default 21:00–07:00).
type QuietHours struct {
	Start, End time.Duration // offsets from local midnight
	Off        bool
	Zone       *time.Location // default Vietnam (UTC+7)
}

// DefaultQuietHours is 21:00–07:00 Vietnam time.
var DefaultQuietHours = QuietHours{Start: 21 * time.Hour, End: 7 * time.Hour}

// ParseQuietHours parses "HH:MM-HH:MM" (or "off").
func ParseQuietHours(v string) (QuietHours, error) {
	v = strings.TrimSpace(v)
	if strings.EqualFold(v, "off") || strings.EqualFold(v, "none") {
		return QuietHours{Off: true}, nil
	}
	a, b, ok := strings.Cut(v, "-")
	if !ok {
		return QuietHours{}, fmt.Errorf("want HH:MM-HH:MM or off, got %q", v)
	}
	s, err := clockOf(a)
	if err != nil {
		return QuietHours{}, err
	}
	e, err := clockOf(b)
	if err != nil {
		return QuietHours{}, err
	}
	if s == e {
		return QuietHours{}, fmt.Errorf("quiet hours %q start and end at the same time", v)
	}
	return QuietHours{Start: s, End: e}, nil
}

func clockOf(s string) (time.Duration, error) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, fmt.Errorf("want HH:MM, got %q", s)
	}
	return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute, nil
}

// String renders "21:00-07:00" (or "off").
func (q QuietHours) String() string {
	if q.Off {
		return "off"
	}
	c := func(d time.Duration) string { return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60) }
	return c(q.Start) + "-" + c(q.End)
}

func (q QuietHours) zone() *time.Location {
	if q.Zone != nil {
		return q.Zone
	}
	return vn
}

func (q QuietHours) midnight(t time.Time) time.Time {
	l := t.In(q.zone())
	y, m, d := l.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, q.zone())
}

// Contains reports whether t falls in quiet hours.
func (q QuietHours) Contains(t time.Time) bool {
	if q.Off {
		return false
	}
	off := t.Sub(q.midnight(t))
	if q.Start < q.End {
		return off >= q.Start && off < q.End
	}
	return off >= q.Start || off < q.End
}

// Open returns t when it is outside quiet hours, else the end of the quiet
// period that holds it.
func (q QuietHours) Open(t time.Time) time.Time {
	if !q.Contains(t) {
		return t
	}
	mid := q.midnight(t)
	off := t.Sub(mid)
	end := mid.Add(q.End)
	if q.Start > q.End && off >= q.Start {
		end = end.AddDate(0, 0, 1)
	}
	return end
}

// NextDay returns the first moment outside quiet hours on the local day
// after t's (the daily cap's next chance).
func (q QuietHours) NextDay(t time.Time) time.Time {
	return q.Open(q.midnight(t).AddDate(0, 0, 1))
}

// Day is t's local date, "2006-01-02", the daily cap's key.
func (q QuietHours) Day(t time.Time) string { return t.In(q.zone()).Format("2006-01-02") }
