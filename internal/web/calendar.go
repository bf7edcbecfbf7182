package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

// calendarPath is the admin's page of the working-day calendar: the year's
// days off and make-up days, added, removed or imported from CSV.
const calendarPath = "/nhan-vien/lich"

func (s *Server) calendarRoutes(staff fiber.Router) {
	admin := s.requireRole(app.RoleAdmin)
	staff.Get("/lich", admin, s.calendarPage)
	staff.Post("/lich", admin, s.calendarAdd)
	staff.Post("/lich/xoa", admin, s.calendarRemove)
	staff.Post("/lich/nhap", admin, s.calendarImport)
	staff.Get("/lich/mot-cua/:code", admin, s.calendarDeskPage)
	staff.Post("/lich/mot-cua/:code", admin, s.calendarDeskSave)
}

type calendarDayView struct {
	tracking.CalendarDay
	ISO, Text, Weekday, KindLabel string
}

type calendarPage struct {
	Year           app.CalendarYear
	Days           []calendarDayView
	Holidays       int
	MakeUps        int
	Prev, Next     int
	ThisYear       int
	Values         app.CalendarDayInput // what was typed, kept after an error
	CSV            string
	ImportYear     int
	Errors         map[string]string
	Summary        []fieldError
	Flash          string
	ImportOpenedAt string // "open" to show the import form unfolded after an error
}

var weekdayNames = [...]string{"Chủ nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"}

func (s *Server) calendarYearParam(c *fiber.Ctx) int {
	y, err := strconv.Atoi(strings.TrimSpace(c.Query("nam", c.FormValue("nam"))))
	if err != nil {
		return s.d.Calendar.ThisYear()
	}
	return y
}

func (s *Server) calendarRender(c *fiber.Ctx, status, year int, p calendarPage) error {
	y, err := s.d.Calendar.Year(c.UserContext(), currentUser(c), year)
	if err != nil {
		return err
	}
	p.Year, p.Prev, p.Next, p.ThisYear = y, year-1, year+1, s.d.Calendar.ThisYear()
	if p.ImportYear == 0 {
		p.ImportYear = year
	}
	for _, d := range y.Days {
		p.Days = append(p.Days, calendarDayView{CalendarDay: d, ISO: d.Date.Format(tracking.DateLayout),
			Text: d.Date.Format("02/01/2006"), Weekday: weekdayNames[d.Date.Weekday()], KindLabel: d.Kind.Label()})
		if d.Kind == tracking.DayOff {
			p.Holidays++
		} else {
			p.MakeUps++
		}
	}
	if p.Values.Kind == "" {
		p.Values.Kind = string(tracking.DayOff)
	}
	v := s.viewFor(c, fmt.Sprintf("Lịch ngày nghỉ năm %d", year), p)
	v.Style = []string{"css/dispatch.css"} // full-width file inputs, as on the reference page
	return s.pageStatus(c, status, "calendar", v)
}

func (s *Server) calendarPage(c *fiber.Ctx) error {
	return s.calendarRender(c, fiber.StatusOK, s.calendarYearParam(c), calendarPage{Flash: s.flashText(c)})
}

// calendarBack re-renders the page after a refused change: the error
// beside its field, what was typed kept, nothing changed.
func (s *Server) calendarBack(c *fiber.Ctx, year int, err error, p calendarPage, fields ...string) error {
	status := fiber.StatusUnprocessableEntity
	switch errs.KindOf(err) {
	case errs.Invalid, errs.Unprocessable:
	case errs.Conflict:
		status = fiber.StatusConflict
	case errs.NotFound:
		status = fiber.StatusNotFound
	default:
		return err
	}
	p.Errors, p.Summary = fieldPage(err, fields...)
	// A past year's page has no form to show the error beside: this year's.
	if year < s.d.Calendar.ThisYear() || year > tracking.CalendarMaxYear {
		year = s.d.Calendar.ThisYear()
	}
	return s.calendarRender(c, status, year, p)
}

func (s *Server) calendarAdd(c *fiber.Ctx) error {
	in := app.CalendarDayInput{Date: c.FormValue("date"), Kind: c.FormValue("kind"), Name: c.FormValue("name")}
	d, err := s.d.Calendar.AddDay(c.UserContext(), currentUser(c), in)
	if err == nil {
		msg := fmt.Sprintf("Đã thêm %s %s: %s.", strings.ToLower(d.Kind.Label()), d.Date.Format("02/01/2006"), d.Name)
		return c.Redirect(fmt.Sprintf("%s?nam=%d&%s", calendarPath, d.Date.Year(), s.flashQuery(c, msg)), fiber.StatusSeeOther)
	}
	year := s.calendarYearParam(c)
	if dd, perr := tracking.ParseDate(in.Date); perr == nil {
		year = dd.Year()
	}
	return s.calendarBack(c, year, err, calendarPage{Values: in}, "date", "kind", "name")
}

func (s *Server) calendarRemove(c *fiber.Ctx) error {
	date := c.FormValue("date")
	err := s.d.Calendar.RemoveDay(c.UserContext(), currentUser(c), date)
	year := s.calendarYearParam(c)
	if d, perr := tracking.ParseDate(date); perr == nil {
		year = d.Year()
	}
	if err == nil {
		msg := "Đã xoá ngày " + date + " khỏi lịch."
		if d, perr := tracking.ParseDate(date); perr == nil {
			msg = "Đã xoá ngày " + d.Format("02/01/2006") + " khỏi lịch."
		}
		return c.Redirect(fmt.Sprintf("%s?nam=%d&%s", calendarPath, year, s.flashQuery(c, msg)), fiber.StatusSeeOther)
	}
	return s.calendarBack(c, year, err, calendarPage{}, "date")
}

func (s *Server) calendarImport(c *fiber.Ctx) error {
	year, yerr := strconv.Atoi(strings.TrimSpace(c.FormValue("nam")))
	p := calendarPage{ImportYear: year, ImportOpenedAt: "open"}
	text, err := uploaded(c)
	if err != nil {
		err = errs.E(errs.Unprocessable, "Chưa nhập gì: %s", errs.MessageOf(err)).WithFields(map[string]string{"file": errs.MessageOf(err)})
	} else if yerr != nil {
		err = errs.E(errs.Invalid, "Chọn năm cần nhập").WithFields(map[string]string{"year": "Chọn năm cần nhập"})
	} else {
		p.CSV = text
		var n int
		n, err = s.d.Calendar.ImportYear(c.UserContext(), currentUser(c), year, strings.NewReader(text))
		if err == nil {
			msg := fmt.Sprintf("Đã nhập lịch năm %d: %d ngày. Lịch cũ của năm này đã được thay.", year, n)
			return c.Redirect(fmt.Sprintf("%s?nam=%d&%s", calendarPath, year, s.flashQuery(c, msg)), fiber.StatusSeeOther)
		}
	}
	if yerr != nil {
		year = s.d.Calendar.ThisYear()
	}
	return s.calendarBack(c, year, err, p, "year", "file")
}

type calendarDeskPage struct {
	Rule    app.DeskRule
	Flash   string
	Summary []fieldError
	Errors  map[string]string
}

func (s *Server) calendarDeskPage(c *fiber.Ctx) error {
	r, err := s.d.Calendar.DeskRule(c.UserContext(), currentUser(c), c.Params("code"))
	if err != nil {
		return err
	}
	return s.page(c, "calendar_desk", "Ngày làm việc của "+r.Desk.Name, calendarDeskPage{Rule: r, Flash: s.flashText(c)})
}

func (s *Server) calendarDeskSave(c *fiber.Ctx) error {
	code := c.Params("code")
	var on bool
	switch c.FormValue("saturday") {
	case "yes":
		on = true
	case "no":
	default:
		r, err := s.d.Calendar.DeskRule(c.UserContext(), currentUser(c), code)
		if err != nil {
			return err
		}
		msg := "Chọn có hoặc không làm việc sáng thứ Bảy"
		p := calendarDeskPage{Rule: r, Errors: map[string]string{"saturday": msg}, Summary: []fieldError{{ID: "saturday", Message: msg}}}
		return s.pageStatus(c, fiber.StatusUnprocessableEntity, "calendar_desk", s.viewFor(c, "Ngày làm việc của "+r.Desk.Name, p))
	}
	if err := s.d.Calendar.SetDeskRule(c.UserContext(), currentUser(c), code, on); err != nil {
		return err
	}
	msg := "Đã lưu: bộ phận này không làm việc sáng thứ Bảy; hạn trả và cảnh báo chỉ đếm thứ Hai đến thứ Sáu."
	if on {
		msg = "Đã lưu: bộ phận này làm việc sáng thứ Bảy; hạn trả và cảnh báo đếm cả thứ Bảy."
	}
	return c.Redirect(calendarPath+"/mot-cua/"+code+"?"+s.flashQuery(c, msg), fiber.StatusSeeOther)
}

// deadlineView is a dossier's two dates as people read them, on the
// tracking page and the staff parcel page: the legal deadline (given by the
// portal) and the appointment to return the result (ngày hẹn trả kết quả,
// set by the desk at acceptance), each with the working days left at the
// desk (its calendar and Saturday rule).
type deadlineView struct {
	app.Deadlines
	Done    bool // the journey ended: no countdown
	Pending bool // no appointment yet: the desk sets it at acceptance
}

// Day writes a civil date with its weekday: "Thứ Sáu, 06/03/2026".
func (deadlineView) Day(t *time.Time) string {
	if t == nil {
		return ""
	}
	return weekdayNames[t.Weekday()] + ", " + t.Format("02/01/2006")
}

// Left says how many working days are left, in plain words.
func (d deadlineView) Left(n int) string {
	switch {
	case d.Done:
		return ""
	case n > 0:
		return fmt.Sprintf("còn %d ngày làm việc", n)
	case n == 0:
		return "hôm nay là hạn"
	}
	return fmt.Sprintf("đã quá %d ngày làm việc", -n)
}

// deadlines reads a parcel's dates: the appointment from the desk's
// acceptance in the pickup leg's events (the return leg reads its pickup
// leg's). The system does not know each procedure's working days, so
// without the desk's appointment it says the desk will set one rather than
// invent a date. A calendar that cannot be read leaves the dates out of the
// page (logged), never the page itself.
func (s *Server) deadlines(ctx context.Context, p app.Parcel, evs []tracking.Event) *deadlineView {
	appointment := acceptedAppointment(evs)
	if appointment == "" && p.Leg == tracking.LegReturn && p.ReturnOf != "" {
		pickup, err := s.d.Intake.Events(ctx, p.ReturnOf)
		if err != nil {
			s.d.Log.WarnContext(ctx, "deadlines: the pickup leg's events", "parcel", p.Number, "err", err)
		}
		appointment = acceptedAppointment(pickup)
	}
	clock, err := s.d.Calendar.DeskClock(ctx, p.DeskCode)
	if err != nil {
		s.d.Log.WarnContext(ctx, "deadlines: the desk's calendar", "desk", p.DeskCode, "err", err)
		return nil
	}
	v := &deadlineView{Deadlines: clock.Deadlines(s.d.Now(), p.Dossier.LegalDeadline, appointment)}
	switch tracking.Status(p.Status) {
	case tracking.StatusDelivered, tracking.StatusCancelled, tracking.StatusReturnedIncomplete:
		v.Done = true
	}
	v.Pending = v.Appointment == nil && !v.Done
	return v
}

// acceptedAppointment is the appointment of the last desk acceptance.
func acceptedAppointment(evs []tracking.Event) string {
	out := ""
	for _, e := range evs {
		if e.Type != tracking.DeskAccepted {
			continue
		}
		var d tracking.DeskDecision
		if err := json.Unmarshal(e.Data, &d); err == nil {
			out = d.AppointmentDate
		}
	}
	return out
}
