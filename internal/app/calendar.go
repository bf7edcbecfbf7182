package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"hoso/internal/errs"
	"hoso/internal/vntext"
	"hoso/tracking"
)

// CalendarStore is what the working-day calendar needs.
type CalendarStore interface {
	FindCalendarDays(ctx context.Context, year int) ([]tracking.CalendarDay, error)
	WorkingCalendar(ctx context.Context) (tracking.Calendar, error)
	CreateCalendarDay(ctx context.Context, day tracking.CalendarDay, userID int64, at time.Time) error
	DeleteCalendarDay(ctx context.Context, day time.Time, userID int64, at time.Time) error
	ReplaceCalendarYear(ctx context.Context, year int, days []tracking.CalendarDay, userID int64, at time.Time) error
	FindDesk(ctx context.Context, code string) (Desk, error)
	DeskSaturdayMorning(ctx context.Context, code string) (bool, error)
	SetDeskSaturdayMorning(ctx context.Context, code string, on bool, userID int64, at time.Time) error
}

// WorkCalendar keeps the working-day calendar (tracking.Calendar): the
// public holidays and make-up working days of each year, which an admin
// lists, adds, removes and imports from CSV (past years are read-only),
// and each desk's Saturday rule, which the admin of the desk's province
// sets. Every change is audited in its transaction. Deadlines and alarms
// count working days with it.
type WorkCalendar struct {
	Store CalendarStore
	Now   func() time.Time
}

// Audit actions of the calendar (written by the store with the change).
const (
	AuditCalendarDayAdded   = "calendar.day_added"
	AuditCalendarDayRemoved = "calendar.day_removed"
	AuditCalendarImported   = "calendar.year_imported"
	AuditDeskSaturday       = "calendar.desk_saturday"
)

// MaxCalendarCSV bounds an imported file (a year has a few dozen rows).
const MaxCalendarCSV = 64 << 10

// CalendarYear is one year of the calendar as the admin page shows it.
type CalendarYear struct {
	Year     int
	Days     []tracking.CalendarDay
	ReadOnly bool // a past year: the deadlines counted with it stand
}

func mayKeepCalendar(u User) error {
	if u.Role != RoleAdmin {
		return errs.E(errs.Forbidden, "Chỉ quản trị viên sửa lịch ngày nghỉ")
	}
	return nil
}

func (c *WorkCalendar) thisYear() int { return c.Now().In(vietnamZone).Year() }

// Year lists a year's days off and make-up days.
func (c *WorkCalendar) Year(ctx context.Context, u User, year int) (_ CalendarYear, err error) {
	defer errs.Wrap(&err, "WorkCalendar.Year(%d)", year)
	if err := mayKeepCalendar(u); err != nil {
		return CalendarYear{}, err
	}
	if year < tracking.CalendarMinYear || year > tracking.CalendarMaxYear {
		return CalendarYear{}, errs.E(errs.NotFound, "Lịch chỉ có các năm %d–%d", tracking.CalendarMinYear, tracking.CalendarMaxYear)
	}
	days, err := c.Store.FindCalendarDays(ctx, year)
	if err != nil {
		return CalendarYear{}, err
	}
	return CalendarYear{Year: year, Days: days, ReadOnly: year < c.thisYear()}, nil
}

// ThisYear is the current year in Vietnam.
func (c *WorkCalendar) ThisYear() int { return c.thisYear() }

// CalendarDayInput is the admin's form for one day.
type CalendarDayInput struct {
	Date, Kind, Name string
}

func (c *WorkCalendar) checkDay(in CalendarDayInput) (tracking.CalendarDay, errs.Fields) {
	f := errs.Fields{}
	var d tracking.CalendarDay
	switch date, err := tracking.ParseDate(in.Date); {
	case strings.TrimSpace(in.Date) == "":
		f.Add("date", "Chọn ngày")
	case err != nil:
		f.Add("date", capitalise(err.Error()))
	case date.Year() < c.thisYear():
		f.Add("date", fmt.Sprintf("Năm %d đã qua: lịch của năm cũ chỉ được xem, không sửa", date.Year()))
	default:
		d.Date = date
	}
	kind, ok := tracking.ParseDayKind(in.Kind)
	if !ok {
		f.Add("kind", "Chọn ngày nghỉ hoặc ngày làm bù")
	}
	d.Kind = kind
	if !utf8.ValidString(in.Name) {
		f.Add("name", "Tên ngày có ký tự không đọc được; gõ lại bằng tiếng Việt có dấu")
		return d, f
	}
	d.Name = vntext.NFC(in.Name)
	if len(f) == 0 {
		if field, err := d.Validate(); err != nil {
			f.Add(field, capitalise(err.Error()))
		}
	} else if strings.TrimSpace(d.Name) == "" {
		f.Add("name", "Nhập tên ngày (ví dụ: Tết Nguyên đán)")
	}
	return d, f
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToUpper(string(r)) + s[n:]
}

// AddDay adds a day off or a make-up day. Bad input and a date already in
// the calendar are refused beside the field; nothing is written.
func (c *WorkCalendar) AddDay(ctx context.Context, u User, in CalendarDayInput) (_ tracking.CalendarDay, err error) {
	defer errs.Wrap(&err, "WorkCalendar.AddDay(%q)", in.Date)
	if err := mayKeepCalendar(u); err != nil {
		return tracking.CalendarDay{}, err
	}
	d, f := c.checkDay(in)
	if err := f.Err(errs.Invalid, "Chưa thêm ngày: xem các ô được đánh dấu"); err != nil {
		return tracking.CalendarDay{}, err
	}
	return d, c.Store.CreateCalendarDay(ctx, d, u.ID, c.Now())
}

// RemoveDay removes a day of this year or a later one.
func (c *WorkCalendar) RemoveDay(ctx context.Context, u User, date string) (err error) {
	defer errs.Wrap(&err, "WorkCalendar.RemoveDay(%q)", date)
	if err := mayKeepCalendar(u); err != nil {
		return err
	}
	d, perr := tracking.ParseDate(date)
	if perr != nil {
		return errs.E(errs.Invalid, "Ngày không đọc được").WithFields(map[string]string{"date": "Ngày không đọc được"})
	}
	if d.Year() < c.thisYear() {
		return errs.E(errs.Invalid, "Năm %d đã qua: lịch của năm cũ chỉ được xem, không sửa", d.Year())
	}
	return c.Store.DeleteCalendarDay(ctx, d, u.ID, c.Now())
}

// ImportYear replaces a year's days with a CSV file of rows "ngày,loại,tên"
// (a header row is allowed; the kind is "nghỉ" or "làm bù"). All or
// nothing: a bad row is named with its line and nothing is written. Every
// row must be in the year, which must not be past.
func (c *WorkCalendar) ImportYear(ctx context.Context, u User, year int, r io.Reader) (n int, err error) {
	defer errs.Wrap(&err, "WorkCalendar.ImportYear(%d)", year)
	if err := mayKeepCalendar(u); err != nil {
		return 0, err
	}
	if year < c.thisYear() || year > tracking.CalendarMaxYear {
		return 0, errs.E(errs.Invalid, "Chỉ nhập lịch của năm nay hoặc năm sau").
			WithFields(map[string]string{"year": fmt.Sprintf("Năm %d không nhập được: lịch của năm cũ chỉ được xem", year)})
	}
	b, err := io.ReadAll(io.LimitReader(r, MaxCalendarCSV+1))
	if err != nil {
		return 0, errs.Wrapf(errs.Invalid, err, "Không đọc được tệp")
	}
	bad := func(msg string) error {
		return errs.E(errs.Invalid, "Chưa nhập gì: %s", msg).WithFields(map[string]string{"file": msg})
	}
	switch {
	case len(b) > MaxCalendarCSV:
		return 0, bad(fmt.Sprintf("tệp lớn quá %d KB", MaxCalendarCSV>>10))
	case !utf8.Valid(b):
		return 0, bad("tệp không phải văn bản UTF-8; lưu lại tệp CSV với bảng mã UTF-8")
	}
	b = bytes.TrimPrefix(b, []byte("\uFEFF"))
	cr := csv.NewReader(bytes.NewReader(b))
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	var days []tracking.CalendarDay
	seen := map[time.Time]int{}
	var problems []string
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("dòng %d: không đọc được (%v)", line, err))
			break
		}
		if line == 1 && len(rec) > 0 && strings.Contains(strings.ToLower(rec[0]), "ng") {
			if _, perr := tracking.ParseDate(rec[0]); perr != nil {
				continue // a header row
			}
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) != 3 {
			problems = append(problems, fmt.Sprintf("dòng %d: cần 3 cột ngày,loại,tên, có %d", line, len(rec)))
			continue
		}
		d, f := c.checkDay(CalendarDayInput{Date: rec[0], Kind: rec[1], Name: rec[2]})
		if len(f) > 0 {
			for _, k := range []string{"date", "kind", "name"} {
				if m, ok := f[k]; ok {
					problems = append(problems, fmt.Sprintf("dòng %d: %s", line, m))
					break
				}
			}
			continue
		}
		if d.Date.Year() != year {
			problems = append(problems, fmt.Sprintf("dòng %d: ngày %s không thuộc năm %d", line, d.Date.Format("02/01/2006"), year))
			continue
		}
		if prev, dup := seen[d.Date]; dup {
			problems = append(problems, fmt.Sprintf("dòng %d: ngày %s trùng dòng %d", line, d.Date.Format("02/01/2006"), prev))
			continue
		}
		seen[d.Date] = line
		days = append(days, d)
	}
	if len(problems) > 0 {
		if len(problems) > 10 {
			problems = append(problems[:10], fmt.Sprintf("và %d dòng lỗi khác", len(problems)-10))
		}
		return 0, bad(strings.Join(problems, "; "))
	}
	if len(days) == 0 {
		return 0, bad("tệp không có dòng nào")
	}
	return len(days), c.Store.ReplaceCalendarYear(ctx, year, days, u.ID, c.Now())
}

// DeskRule is a desk's working week as its admin sees it.
type DeskRule struct {
	Desk Desk
	Rule tracking.WorkweekRule
}

func (c *WorkCalendar) deskInScope(ctx context.Context, u User, code string) (Desk, error) {
	if err := mayKeepCalendar(u); err != nil {
		return Desk{}, err
	}
	k, err := c.Store.FindDesk(ctx, code)
	if errs.Is(err, errs.NotFound) || (err == nil && !inScope(u, k.ProvinceCode)) {
		return Desk{}, errs.E(errs.NotFound, "Không có bộ phận một cửa này trong phạm vi của bạn")
	}
	return k, err
}

// DeskRule reads a desk's Saturday rule, for the admin of its province.
func (c *WorkCalendar) DeskRule(ctx context.Context, u User, code string) (_ DeskRule, err error) {
	defer errs.Wrap(&err, "WorkCalendar.DeskRule(%q)", code)
	k, err := c.deskInScope(ctx, u, code)
	if err != nil {
		return DeskRule{}, err
	}
	sat, err := c.Store.DeskSaturdayMorning(ctx, code)
	return DeskRule{Desk: k, Rule: tracking.WorkweekRule{SaturdayMorning: sat}}, err
}

// SetDeskRule sets whether a desk works on Saturday morning.
func (c *WorkCalendar) SetDeskRule(ctx context.Context, u User, code string, saturdayMorning bool) (err error) {
	defer errs.Wrap(&err, "WorkCalendar.SetDeskRule(%q)", code)
	if _, err := c.deskInScope(ctx, u, code); err != nil {
		return err
	}
	return c.Store.SetDeskSaturdayMorning(ctx, code, saturdayMorning, u.ID, c.Now())
}

// Clock is the calendar and a desk's rule, to count its working days.
type Clock struct {
	Calendar tracking.Calendar
	Rule     tracking.WorkweekRule
}

// DeskClock is the working-day clock of a desk (weekends only when the
// desk is unknown).
func (c *WorkCalendar) DeskClock(ctx context.Context, desk string) (_ Clock, err error) {
	defer errs.Wrap(&err, "WorkCalendar.DeskClock(%q)", desk)
	cal, err := c.Store.WorkingCalendar(ctx)
	if err != nil {
		return Clock{}, err
	}
	sat, err := c.Store.DeskSaturdayMorning(ctx, desk)
	if err != nil && !errs.Is(err, errs.NotFound) {
		return Clock{}, err
	}
	return Clock{Calendar: cal, Rule: tracking.WorkweekRule{SaturdayMorning: sat}}, nil
}

// Deadlines are a dossier's two dates as people read them: the legal
// deadline (given by the portal) and the appointment to return the result
// (ngày hẹn trả kết quả: the desk's, set at acceptance), each with the
// working days left at the desk.
type Deadlines struct {
	Legal           *time.Time // civil date
	LegalLeft       int        // working days from today to the legal deadline (negative: passed)
	Appointment     *time.Time
	AppointmentLeft int
	// AppointmentSource says where the appointment comes from: "desk" (set
	// at acceptance) or "" when nobody set one yet. The system does not
	// know each procedure's working days, so it never invents one.
	AppointmentSource string
}

// Deadlines counts a dossier's dates in the desk's working days at now.
func (k Clock) Deadlines(now time.Time, legal *time.Time, appointment string) Deadlines {
	var d Deadlines
	today := tracking.DayOf(now)
	if legal != nil {
		l := tracking.DayOf(*legal)
		d.Legal, d.LegalLeft = &l, k.Calendar.WorkingDaysBetween(today, l, k.Rule)
	}
	if a, err := time.Parse(tracking.DateLayout, strings.TrimSpace(appointment)); err == nil {
		d.Appointment, d.AppointmentLeft, d.AppointmentSource = &a, k.Calendar.WorkingDaysBetween(today, a, k.Rule), "desk"
	}
	return d
}

// RiskAt is when a pickup leg's deadline_risk alarm falls due: the share of
// the working days from now to the legal deadline, counted with the desk's
// calendar (tracking.Calendar.RiskAt).
func (c *WorkCalendar) RiskAt(ctx context.Context, desk string, now, deadline time.Time, share float64) (time.Time, error) {
	k, err := c.DeskClock(ctx, desk)
	if err != nil {
		return time.Time{}, err
	}
	return k.Calendar.RiskAt(now, deadline, share, k.Rule), nil
}
