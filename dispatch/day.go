package dispatch

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// vietnam is the zone of every day and clock in this package (UTC+7, no
// daylight saving).
var vietnam = time.FixedZone("ICT", 7*3600)

// Day is a calendar day in Vietnam time. The zero Day is no day.
type Day struct {
	t time.Time // midnight, Vietnam time
}

// DayOf returns the Vietnam calendar day of t.
func DayOf(t time.Time) Day {
	v := t.In(vietnam)
	return Day{time.Date(v.Year(), v.Month(), v.Day(), 0, 0, 0, 0, vietnam)}
}

// ParseDay reads "2006-01-02".
func ParseDay(s string) (Day, error) {
	t, err := time.ParseInLocation("2006-01-02", strings.TrimSpace(s), vietnam)
	if err != nil {
		return Day{}, fmt.Errorf("ngày %q không hợp lệ (cần dạng 2026-11-24)", s)
	}
	return Day{t}, nil
}

// IsZero reports whether d is no day.
func (d Day) IsZero() bool { return d.t.IsZero() }

// String is "2006-01-02".
func (d Day) String() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format("2006-01-02")
}

// Label is the Vietnamese form "24/11/2026".
func (d Day) Label() string {
	if d.IsZero() {
		return ""
	}
	return d.t.Format("02/01/2006")
}

// Start is the day's midnight.
func (d Day) Start() time.Time { return d.t }

// End is the next day's midnight.
func (d Day) End() time.Time { return d.t.AddDate(0, 0, 1) }

// At is the instant at a clock time of the day.
func (d Day) At(c Clock) time.Time { return d.t.Add(time.Duration(c) * time.Minute) }

// AddDays returns the day n days later.
func (d Day) AddDays(n int) Day { return Day{d.t.AddDate(0, 0, n)} }

// Weekday is the day of the week.
func (d Day) Weekday() time.Weekday { return d.t.Weekday() }

// Equal reports whether d and e are the same day.
func (d Day) Equal(e Day) bool { return d.t.Equal(e.t) }

// Before reports whether d is earlier than e.
func (d Day) Before(e Day) bool { return d.t.Before(e.t) }

// Clock is a time of day in minutes after midnight, 0 to 1440.
type Clock int

// ParseClock reads "07:30" (or "7:30", "0730").
func ParseClock(s string) (Clock, error) {
	s = strings.TrimSpace(s)
	h, m, ok := strings.Cut(s, ":")
	if !ok && len(s) == 4 {
		h, m, ok = s[:2], s[2:], true
	}
	hh, err1 := strconv.Atoi(h)
	mm, err2 := strconv.Atoi(m)
	if !ok || err1 != nil || err2 != nil || hh < 0 || hh > 24 || mm < 0 || mm > 59 || (hh == 24 && mm != 0) {
		return 0, fmt.Errorf("giờ %q không hợp lệ (cần dạng 07:30)", s)
	}
	return Clock(hh*60 + mm), nil
}

// ClockOf is the Vietnam time of day of t, rounded down to the minute.
func ClockOf(t time.Time) Clock {
	v := t.In(vietnam)
	return Clock(v.Hour()*60 + v.Minute())
}

// String is "07:30".
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// Duration is the clock as an offset from midnight.
func (c Clock) Duration() time.Duration { return time.Duration(c) * time.Minute }

// Valid reports whether the clock lies within a day.
func (c Clock) Valid() bool { return c >= 0 && c <= 24*60 }

// Hours are the service hours: couriers visit citizens between Start and
// End.
type Hours struct {
	Start, End Clock
}

// DefaultHours are 07:30 to 17:30, the default of HOSO_SERVICE_HOURS.
var DefaultHours = Hours{Start: 7*60 + 30, End: 17*60 + 30}

// HoursFrom converts offsets from midnight (as configured) to Hours.
func HoursFrom(start, end time.Duration) Hours {
	return Hours{Start: Clock(start / time.Minute), End: Clock(end / time.Minute)}
}

// String is "07:30–17:30".
func (h Hours) String() string { return h.Start.String() + "–" + h.End.String() }

// Point is a position in degrees.
type Point struct {
	Lat, Lng float64
}

// IsZero reports whether the point is unset.
func (p Point) IsZero() bool { return p.Lat == 0 && p.Lng == 0 }

// Window is a time interval.
type Window struct {
	Start, End time.Time
}

// Contains reports whether t lies in the window, ends included.
func (w Window) Contains(t time.Time) bool { return !t.Before(w.Start) && !t.After(w.End) }

// Label is "08:00–10:00" in Vietnam time.
func (w Window) Label() string {
	return w.Start.In(vietnam).Format("15:04") + "–" + w.End.In(vietnam).Format("15:04")
}
