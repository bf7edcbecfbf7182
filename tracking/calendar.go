package tracking

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// Working days. Vietnam's deadlines for administrative procedures are
// counted in working days: Monday to Friday, less the public holidays of
// the Labour Code 2019 Art. 112 (Tết Dương lịch, the Tết Nguyên đán days,
// Giỗ Tổ Hùng Vương, 30/4, 1/5, Quốc khánh 2/9 and its adjacent day), plus
// the make-up working days ("làm bù") the government announces when it
// moves a day off to join a holiday to a weekend. The holidays follow the
// lunar calendar and yearly announcements, so they are not computed here:
// they come from a table the admin edits (CalendarDay), and a desk that
// receives citizens on Saturday morning counts Saturday as a working day
// (WorkweekRule).

// DayKind says what a calendar entry does to its date.
type DayKind string

// The calendar entries' kinds.
const (
	DayOff  DayKind = "holiday" // a public holiday or a day moved to join one: nobody works
	MakeUp  DayKind = "workday" // a make-up working day ("làm bù") on a weekend
	maxName         = 120
)

// Label is the kind in Vietnamese.
func (k DayKind) Label() string {
	switch k {
	case DayOff:
		return "Ngày nghỉ"
	case MakeUp:
		return "Ngày làm bù"
	}
	return string(k)
}

// ParseDayKind reads a kind, in English or as the admin writes it in a CSV.
func ParseDayKind(s string) (DayKind, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "holiday", "nghi", "nghỉ", "ngày nghỉ", "ngay nghi":
		return DayOff, true
	case "workday", "lam bu", "làm bù", "ngày làm bù", "ngay lam bu":
		return MakeUp, true
	}
	return "", false
}

// CalendarDay is one entry of the working-day calendar: a date (its year,
// month and day; the time of day is ignored), what it is and its name.
type CalendarDay struct {
	Date time.Time
	Kind DayKind
	Name string
}

// DateLayout is how a calendar date is written in forms, CSV and the API.
const DateLayout = "2006-01-02"

// CalendarMinYear and CalendarMaxYear bound the years the calendar holds.
const (
	CalendarMinYear = 2020
	CalendarMaxYear = 2100
)

// ParseDate reads a date written YYYY-MM-DD (or DD/MM/YYYY, as people
// write it) as a civil date, midnight UTC.
func ParseDate(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	d, err := time.Parse(DateLayout, s)
	if err != nil {
		d, err = time.Parse("02/01/2006", s)
	}
	if err != nil {
		d, err = time.Parse("2/1/2006", s)
	}
	if err != nil {
		if len(s) > 20 || !utf8.ValidString(s) {
			return time.Time{}, fmt.Errorf("ngày không viết theo dạng năm-tháng-ngày (ví dụ 2026-04-30)")
		}
		return time.Time{}, fmt.Errorf("ngày %q không có thật hoặc không viết theo dạng năm-tháng-ngày (ví dụ 2026-04-30)", s)
	}
	if d.Year() < CalendarMinYear || d.Year() > CalendarMaxYear {
		return time.Time{}, fmt.Errorf("năm %d ngoài khoảng %d–%d", d.Year(), CalendarMinYear, CalendarMaxYear)
	}
	return d, nil
}

// Validate checks an entry as the admin types it; the error names what to
// fix, in Vietnamese. The date is normalised to a civil date.
func (d *CalendarDay) Validate() (field string, err error) {
	d.Name = strings.TrimSpace(d.Name)
	d.Date = civil(d.Date)
	switch {
	case d.Date.Year() < CalendarMinYear || d.Date.Year() > CalendarMaxYear:
		return "date", fmt.Errorf("năm %d ngoài khoảng %d–%d", d.Date.Year(), CalendarMinYear, CalendarMaxYear)
	case d.Kind != DayOff && d.Kind != MakeUp:
		return "kind", fmt.Errorf("chọn ngày nghỉ hoặc ngày làm bù")
	case !utf8.ValidString(d.Name):
		return "name", fmt.Errorf("tên ngày có ký tự không đọc được; gõ lại bằng tiếng Việt có dấu")
	case d.Name == "":
		return "name", fmt.Errorf("nhập tên ngày (ví dụ: Tết Nguyên đán)")
	case utf8.RuneCountInString(d.Name) > maxName:
		return "name", fmt.Errorf("tên ngày dài quá %d ký tự", maxName)
	case d.Kind == MakeUp && !isWeekend(d.Date):
		return "date", fmt.Errorf("ngày %s là ngày thường, vốn đã là ngày làm việc: ngày làm bù phải là thứ Bảy hoặc Chủ nhật", d.Date.Format("02/01/2006"))
	}
	return "", nil
}

// WorkweekRule is a desk's working week: Monday to Friday, and Saturday
// morning when the desk receives citizens then (it then counts as a working
// day for the desk's appointments and alarms).
type WorkweekRule struct {
	SaturdayMorning bool
}

// Calendar answers which days are working days. The zero Calendar knows no
// holiday: only weekends are off.
type Calendar struct {
	days map[time.Time]CalendarDay
}

// NewCalendar builds a calendar from the admin's entries; a later entry for
// the same date wins.
func NewCalendar(days []CalendarDay) Calendar {
	c := Calendar{days: make(map[time.Time]CalendarDay, len(days))}
	for _, d := range days {
		d.Date = civil(d.Date)
		c.days[d.Date] = d
	}
	return c
}

// Days lists the calendar's entries of a year, by date.
func (c Calendar) Days(year int) []CalendarDay {
	var out []CalendarDay
	for _, d := range c.days {
		if d.Date.Year() == year {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out
}

// Entry is the calendar's entry for the day, if any.
func (c Calendar) Entry(day time.Time) (CalendarDay, bool) {
	d, ok := c.days[civil(day)]
	return d, ok
}

// civil keeps a time's year, month and day as midnight UTC, the key of a
// calendar day. A time with a location is read in that location: callers
// pass Vietnam times or civil dates.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// DayOf is the civil date of an instant in Vietnam.
func DayOf(t time.Time) time.Time { return civil(t.In(vn)) }

// StartOfDay is midnight in Vietnam at the start of a civil date.
func StartOfDay(day time.Time) time.Time {
	y, m, d := day.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, vn)
}

func isWeekend(d time.Time) bool {
	return d.Weekday() == time.Saturday || d.Weekday() == time.Sunday
}

// IsWorkingDay reports whether the desk with the rule works on the day: a
// make-up day always, a day off never, otherwise Monday to Friday (and
// Saturday for a desk open on Saturday morning).
func (c Calendar) IsWorkingDay(day time.Time, r WorkweekRule) bool {
	day = civil(day)
	if e, ok := c.days[day]; ok {
		return e.Kind == MakeUp
	}
	switch day.Weekday() {
	case time.Sunday:
		return false
	case time.Saturday:
		return r.SaturdayMorning
	}
	return true
}

// AddWorkingDays is the n-th working day after the day from (the day itself
// does not count, as a deadline runs from the day after the acceptance);
// with n = 0 it is from itself, and a negative n counts back. The result
// is a civil date; for n ≠ 0 it is always a working day.
func (c Calendar) AddWorkingDays(from time.Time, n int, r WorkweekRule) time.Time {
	day := civil(from)
	step := 1
	if n < 0 {
		step, n = -1, -n
	}
	for n > 0 {
		day = day.AddDate(0, 0, step)
		if c.IsWorkingDay(day, r) {
			n--
		}
	}
	return day
}

// WorkingDaysBetween counts the working days after from up to and including
// to: AddWorkingDays(from, n) is a day d with WorkingDaysBetween(from, d) = n.
// It is negative when to is before from.
func (c Calendar) WorkingDaysBetween(from, to time.Time, r WorkweekRule) int {
	from, to = civil(from), civil(to)
	if to.Before(from) {
		return -c.WorkingDaysBetween(to, from, r)
	}
	n := 0
	for d := from.AddDate(0, 0, 1); !d.After(to); d = d.AddDate(0, 0, 1) {
		if c.IsWorkingDay(d, r) {
			n++
		}
	}
	return n
}

// RiskAt is when a pickup leg's share of the time to the legal deadline is
// used, counted in working days: from the request at t to the deadline
// there are n working days; the risk starts at the start of the
// ceil(n·share)-th working day after the request (the request's own day
// when the share rounds to none). Holidays and weekends do not eat into
// the postal legs' share. The deadline is a civil date or an instant read
// in Vietnam.
func (c Calendar) RiskAt(t, deadline time.Time, share float64, r WorkweekRule) time.Time {
	if share <= 0 || share >= 1 {
		share = 0.5
	}
	n := c.WorkingDaysBetween(DayOf(t), DayOf(deadline), r)
	if n <= 0 {
		return t
	}
	used := int(math.Ceil(float64(n) * share))
	return StartOfDay(c.AddWorkingDays(DayOf(t), used, r))
}
