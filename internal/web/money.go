package web

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
)

// Fees collected on delivery: per courier and day, the deliveries with a
// fee, the total, the cash the office confirmed and the difference; the
// office's confirmation. The day's fee statement (PDF, signature boxes for
// the courier and the office) is the printing service's download under
// /nhan-vien/in/bang-ke-thu-ho/, linked from each day.

type moneyPage struct {
	Scope       string
	From, To    string
	PeriodLabel string
	CanChoose   bool
	Office      string
	Offices     []app.PostOffice
	CanReceive  bool
	Flash       string
	Alert       string // a refused confirmation that is not about one field
	FormError   *formError
	Errors      map[string]string
	Summary     []fieldError
	Days        []moneyDay
	Open        int
	Collected   int64
	Counted     int64
}

type moneyDay struct {
	app.CourierDay
	Key          string
	DayISO       string
	Total        int64
	Due          int64
	Paid         int
	Diff         int64
	DiffLabel    string
	Mismatch     bool
	Changed      bool // fees synced after the confirmation changed the total
	StatementURL string
	Form         moneyForm
}

// formError points from the top of the page to the refused form below.
type formError struct{ Text, Key string }

type moneyForm struct {
	Amount, Note string
	Errors       map[string]string
	Summary      []fieldError
}

func (s *Server) moneyPage(c *fiber.Ctx) error {
	p := moneyPage{Flash: s.flashText(c)}
	return s.renderMoney(c, fiber.StatusOK, p, c.Query("buu-cuc"), c.Query("tu"), c.Query("den"), "", moneyForm{})
}

// renderMoney builds and writes the fee page; failedKey names the
// courier-day whose form is shown again with form.
func (s *Server) renderMoney(c *fiber.Ctx, status int, p moneyPage, office, from, to, failedKey string, form moneyForm) error {
	u := currentUser(c)
	ctx := c.UserContext()
	title := "Tiền thu hộ"
	p.From, p.To = strings.TrimSpace(from), strings.TrimSpace(to)
	p.CanChoose = u.Role == app.RoleAdmin || u.Role == app.RoleDispatcher
	period, err := app.ParsePeriod(p.From, p.To, s.d.Now())
	if err != nil {
		if errs.KindOf(err) != errs.Unprocessable {
			return err
		}
		// Check the scope first: a refused scope is a 403, not a form error.
		if _, serr := s.d.Money.Scope(ctx, u, office); serr != nil {
			return serr
		}
		p.Errors, p.Summary = fieldPage(err, "tu", "den")
		return s.pageStatus(c, fiber.StatusUnprocessableEntity, "money", s.viewFor(c, title, p))
	}
	rep, err := s.d.Money.Report(ctx, u, office, period)
	if err != nil {
		return err
	}
	p.Scope, p.Offices, p.CanReceive, p.Office = rep.Scope.Label, rep.Offices, rep.CanReceive, strings.TrimSpace(office)
	p.From, p.To, p.PeriodLabel = period.FromISO(), period.ToISO(), period.Label()
	p.Open, p.Collected, p.Counted = rep.Open(), rep.Collected(), rep.Counted()
	shown := false
	for _, d := range rep.Days {
		md := moneyDay{CourierDay: d, Key: d.Key(), DayISO: d.Day.Format("2006-01-02"), Total: d.Collected(), Due: d.Due(), Paid: d.Paid(),
			StatementURL: "/nhan-vien/in/bang-ke-thu-ho/" + url.PathEscape(d.CourierRef) + "/" + d.Day.Format("2006-01-02")}
		if h := d.Handover; h != nil {
			md.Diff = d.Difference()
			md.Mismatch = md.Diff != 0
			md.Changed = h.Expected != md.Total
			switch {
			case md.Diff == 0:
				md.DiffLabel = "Khớp"
			case md.Diff < 0:
				md.DiffLabel = "Thiếu " + formatMoney(-md.Diff)
			default:
				md.DiffLabel = "Thừa " + formatMoney(md.Diff)
			}
		}
		if md.Key == failedKey && md.Handover == nil {
			md.Form, shown = form, true
			p.FormError = &formError{Text: "Chưa xác nhận được tiền của bưu tá " + d.CourierRef + " ngày " + d.Day.Format("02/01/2006") + ".", Key: md.Key}
		}
		p.Days = append(p.Days, md)
	}
	if failedKey != "" && !shown && p.Alert == "" {
		// The refused day has no form on the page (no fees, or another
		// period): say why at the top.
		var msgs []string
		for _, f := range form.Summary {
			msgs = append(msgs, f.Message)
		}
		p.Alert = strings.Join(msgs, " ")
	}
	return s.pageStatus(c, status, "money", s.viewFor(c, title, p))
}

// moneyReceive records the office's confirmation that it received a
// courier's cash for a day.
func (s *Server) moneyReceive(c *fiber.Ctx) error {
	in := app.HandoverInput{Courier: c.FormValue("buu_ta"), Day: c.FormValue("ngay"), Counted: c.FormValue("so_tien"), Note: c.FormValue("ghi_chu")}
	from, to := c.FormValue("tu"), c.FormValue("den")
	if _, err := app.ParsePeriod(from, to, s.d.Now()); err != nil {
		from, to = "", ""
	}
	h, err := s.d.Money.Receive(c.UserContext(), currentUser(c), in)
	if err != nil {
		k := errs.KindOf(err)
		if k != errs.Unprocessable && k != errs.Conflict {
			return err
		}
		key := strings.TrimSpace(in.Courier) + "-" + strings.TrimSpace(in.Day)
		form := moneyForm{Amount: in.Counted, Note: in.Note, Errors: map[string]string{}}
		for field, msg := range errs.FieldsOf(err) {
			form.Errors[field] = msg
		}
		for _, f := range []string{"so_tien", "ghi_chu", "ngay"} {
			if msg, ok := form.Errors[f]; ok {
				id := strings.ReplaceAll(f, "_", "-") + "-" + key
				if f == "ngay" {
					id = "" // a hidden field: nothing to jump to
				}
				form.Summary = append(form.Summary, fieldError{ID: id, Message: msg})
			}
		}
		if len(form.Summary) == 0 {
			form.Summary = append(form.Summary, fieldError{Message: errMessage(err)})
		}
		status := fiber.StatusUnprocessableEntity
		p := moneyPage{}
		if k == errs.Conflict {
			status = fiber.StatusConflict
			p.Alert = errMessage(err)
		}
		return s.renderMoney(c, status, p, "", from, to, key, form)
	}
	msg := "Đã xác nhận nhận " + formatMoney(h.Counted) + " của bưu tá " + h.CourierRef + " ngày " + h.Day.Format("02/01/2006") + "."
	q := url.Values{"thong-bao": {msg}, "ky": {s.flashMAC(c, msg)}}
	if from != "" || to != "" {
		q.Set("tu", from)
		q.Set("den", to)
	}
	return c.Redirect("/nhan-vien/thu-ho?"+q.Encode()+"#thu-ho-"+h.CourierRef+"-"+h.Day.Format("2006-01-02"), fiber.StatusSeeOther)
}
