package web

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

type incidentsPage struct {
	Incidents []incidentView
	CanDecide bool
	Overdue   int // complaints past their deadline without an answer
}

type incidentView struct {
	app.Incident
	Custodian   string
	Responsible string
	RoutedTo    string // a complaint's unit
	Overdue     bool
	Answers     []answerView
}

type answerView struct {
	app.ComplaintAnswer
	Unit string
}

func (s *Server) incidentView(c *fiber.Ctx, i app.Incident) incidentView {
	name := s.namer(c.UserContext())
	v := incidentView{Incident: i, Custodian: name(i.LastCustodian), Overdue: i.Overdue(s.d.Now())}
	if i.LastCustodian.Kind == tracking.PartyCitizen {
		v.Custodian = "Người dân (chưa thu gom)"
	}
	if i.Case != nil {
		v.Responsible = name(i.Case.Responsible)
	}
	if i.IsComplaint() {
		v.RoutedTo = name(i.RoutedTo())
	}
	for _, a := range i.Answers {
		av := answerView{ComplaintAnswer: a, Unit: name(a.Unit)}
		if a.Unit.Kind == tracking.PartyAdmin {
			av.Unit = "Quản trị hệ thống"
		}
		v.Answers = append(v.Answers, av)
	}
	return v
}

func (s *Server) incidentsPage(c *fiber.Ctx) error {
	u := currentUser(c)
	is, err := s.d.Cases.List(c.UserContext(), u, false)
	if err != nil {
		return err
	}
	p := incidentsPage{CanDecide: u.Role == app.RoleAdmin || u.Role == app.RoleDispatcher}
	for _, i := range is {
		v := s.incidentView(c, i)
		if v.Overdue {
			p.Overdue++
		}
		p.Incidents = append(p.Incidents, v)
	}
	return s.page(c, "incidents", "Sự cố và phản ánh", p)
}

type incidentPage struct {
	I         incidentView
	CanDecide bool
	Cite      string // the law in force on lost dossiers, as the admin set it
	Errors    map[string]string
	Summary   []fieldError
	Answer    string // the answer typed, kept on an error
	MaxAnswer int
}

func (s *Server) newIncidentPage(c *fiber.Ctx, u app.User, i app.Incident) incidentPage {
	return incidentPage{I: s.incidentView(c, i), CanDecide: u.Role == app.RoleAdmin || u.Role == app.RoleDispatcher,
		Cite: s.d.Law.Cite(c.UserContext(), app.CiteLostOriginal), MaxAnswer: app.MaxComplaintAnswer}
}

func (s *Server) incidentPage(c *fiber.Ctx) error {
	u := currentUser(c)
	i, err := s.d.Cases.Incident(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	return s.page(c, "incident", "Sự cố "+i.Number, s.newIncidentPage(c, u, i))
}

func (s *Server) incidentAction(c *fiber.Ctx) error {
	u := currentUser(c)
	id := c.Params("id")
	var err error
	switch c.FormValue("action") {
	case "resolve":
		err = s.d.Cases.Resolve(c.UserContext(), u, id, c.FormValue("resolution"))
	case "lost":
		_, err = s.d.Cases.DeclareLost(c.UserContext(), u, id, c.FormValue("note"))
	case "case":
		up := app.CaseUpdate{Reissue: c.FormValue("reissue"), Apology: c.FormValue("apology"), CostsState: c.FormValue("costs_state")}
		if v := strings.TrimSpace(strings.ReplaceAll(c.FormValue("costs_amount"), ".", "")); v != "" {
			n, perr := strconv.ParseInt(v, 10, 64)
			if perr != nil {
				err = errs.E(errs.Invalid, "Số tiền không hợp lệ").WithFields(map[string]string{"costs_amount": "Ghi số tiền bằng đồng, ví dụ 150000"})
				break
			}
			up.CostsAmount = &n
		}
		_, err = s.d.Cases.UpdateCase(c.UserContext(), u, id, up)
	default:
		err = errs.E(errs.Invalid, "Thao tác không hợp lệ")
	}
	if err != nil {
		k := errs.KindOf(err)
		if k != errs.Invalid && k != errs.Conflict {
			return err
		}
		i, ferr := s.d.Cases.Incident(c.UserContext(), u, id)
		if ferr != nil {
			return ferr
		}
		p := s.newIncidentPage(c, u, i)
		p.Errors, p.Summary = fieldPage(err, "resolution", "note", "costs_amount", "reissue", "apology", "costs_state")
		status := fiber.StatusUnprocessableEntity
		if k == errs.Conflict {
			status = fiber.StatusConflict
		}
		return s.pageStatus(c, status, "incident", s.viewFor(c, "Sự cố "+i.Number, p))
	}
	return c.Redirect("/nhan-vien/su-co/"+id, fiber.StatusSeeOther)
}
