package web

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/units"
)

// Performance indicators of offices and desks (/nhan-vien/chi-so) and the
// fee reconciliation pages (money.go). Numbers reach the templates already
// written the Vietnamese way: 1.234, 66,7%, 2 giờ 5 phút.

// moneyKPIRoutes registers the indicator and fee pages.
func (s *Server) moneyKPIRoutes(pg fiber.Router) {
	viewers := s.requireRole(app.RoleAdmin, app.RoleDispatcher, app.RoleOffice, app.RoleDesk)
	pg.Get("/nhan-vien/chi-so", noStore, viewers, s.kpiPage)
	money := s.requireRole(app.RoleAdmin, app.RoleDispatcher, app.RoleOffice)
	pg.Get("/nhan-vien/thu-ho", noStore, money, s.moneyPage)
	pg.Post("/nhan-vien/thu-ho/xac-nhan", noStore, s.requireRole(app.RoleOffice), s.moneyReceive)
}

type kpiPage struct {
	Scope       string
	From, To    string // as the date inputs show them
	PeriodLabel string
	Days        int
	CanChoose   bool   // admins and dispatchers pick a scope
	Choice      string // the scope picked: buu-cuc:CODE, mot-cua:CODE, tinh:CODE or ""
	Province    string // the dispatcher's province label for the default choice
	Provinces   []units.Province
	Offices     []app.PostOffice
	Desks       []app.Desk
	Errors      map[string]string
	Summary     []fieldError
	Target      string
	R           *kpiView
}

type kpiView struct {
	PickupOnTime      string
	PickupInWindow    string
	PickupEarly       string
	PickupLate        string
	PickupUnscheduled string
	PickupTotal       string
	DeliveryOnTime    string
	DeliveryLate      string
	DeliveryTotal     string
	PickupFailed      string
	DeliveryFailed    string
	Disputes          string
	PickupFailures    []kpiCount
	DeliveryFailures  []kpiCount
	DisputeList       []kpiCount
	Hops              []kpiHop
	Couriers          []kpiUnit
	Offices           []kpiUnit
}

type kpiCount struct{ Code, Label, N string }

type kpiHop struct{ Kind, Label, N, Median, P90 string }

type kpiUnit struct {
	Ref, Name, Office                      string
	Pickups, Deliveries                    string
	PickupFailed, DeliveryFailed, Disputes string
	HoldN, HoldMedian, HoldP90             string
}

// kpiScopeQuery reads the scope from ?pham-vi=buu-cuc:CODE (the page's select)
// or from ?tinh=, ?buu-cuc=, ?mot-cua= (links).
func kpiScopeQuery(c *fiber.Ctx) (app.ScopeQuery, string) {
	q := app.ScopeQuery{Province: c.Query("tinh"), Office: c.Query("buu-cuc"), Desk: c.Query("mot-cua")}
	if v := strings.TrimSpace(c.Query("pham-vi")); v != "" {
		kind, code, _ := strings.Cut(v, ":")
		switch kind {
		case "tinh":
			q.Province = code
		case "buu-cuc":
			q.Office = code
		case "mot-cua":
			q.Desk = code
		}
	}
	choice := ""
	switch {
	case q.Desk != "":
		choice = "mot-cua:" + q.Desk
	case q.Office != "":
		choice = "buu-cuc:" + q.Office
	case q.Province != "":
		choice = "tinh:" + q.Province
	}
	return q, choice
}

func (s *Server) kpiPage(c *fiber.Ctx) error {
	u := currentUser(c)
	ctx := c.UserContext()
	q, choice := kpiScopeQuery(c)
	sc, err := s.d.KPIs.Scope(ctx, u, q)
	if err != nil {
		return err
	}
	p := kpiPage{Scope: sc.Label, From: strings.TrimSpace(c.Query("tu")), To: strings.TrimSpace(c.Query("den")), Choice: choice,
		CanChoose: u.Role == app.RoleAdmin || u.Role == app.RoleDispatcher}
	if p.CanChoose {
		// A dispatcher picks among the offices and desks of the province; an
		// admin picks a province, then among its offices and desks.
		prov := q.Province
		switch {
		case u.Role == app.RoleDispatcher:
			prov = u.ProvinceCode
		case sc.Office != "":
			if o, err := s.d.Directory.Office(ctx, sc.Office); err == nil {
				prov = o.ProvinceCode
			}
		case sc.Desk != "":
			if d, err := s.d.Directory.Desk(ctx, sc.Desk); err == nil {
				prov = d.ProvinceCode
			}
		}
		if s.d.Units != nil {
			if pr, ok := s.d.Units.Province(prov); ok && u.Role == app.RoleDispatcher {
				p.Province = pr.FullName
			}
			if u.Role == app.RoleAdmin {
				p.Provinces = s.d.Units.Provinces()
			}
		}
		if prov != "" {
			if p.Offices, err = s.d.Directory.Offices(ctx, prov); err != nil {
				return err
			}
			if p.Desks, err = s.d.Directory.Desks(ctx, prov); err != nil {
				return err
			}
		}
	}
	title := "Chỉ số hoạt động"
	period, err := app.ParsePeriod(p.From, p.To, s.d.Now())
	if err != nil {
		if errs.KindOf(err) != errs.Unprocessable {
			return err
		}
		p.Errors, p.Summary = fieldPage(err, "tu", "den")
		return s.pageStatus(c, fiber.StatusUnprocessableEntity, "kpi", s.viewFor(c, title, p))
	}
	p.From, p.To, p.PeriodLabel, p.Days = period.FromISO(), period.ToISO(), period.Label(), period.Days()
	rep, err := s.d.KPIs.Report(ctx, u, q, period)
	if err != nil {
		return err
	}
	p.Target = viDuration(rep.DeliveryTarget)
	p.R = kpiReportView(rep)
	return s.page(c, "kpi", title, p)
}

func kpiReportView(r app.KPIReport) *kpiView {
	v := &kpiView{
		PickupOnTime:      viRatio(r.Pickups.Ratio()),
		PickupInWindow:    viInt(r.Pickups.OnTime),
		PickupEarly:       viInt(r.Pickups.Early),
		PickupLate:        viInt(r.Pickups.Late),
		PickupUnscheduled: viInt(r.Pickups.Unscheduled),
		PickupTotal:       viInt(r.Pickups.Total()),
		DeliveryOnTime:    viRatio(r.Deliveries),
		DeliveryLate:      viInt(r.Deliveries.Total - r.Deliveries.Hit),
		DeliveryTotal:     viInt(r.Deliveries.Total),
		PickupFailed:      viInt(r.PickupFailedTotal()),
		DeliveryFailed:    viInt(r.DeliveryFailedTotal()),
		Disputes:          viInt(r.DisputeTotal()),
	}
	counts := func(cs []app.CodeCount) []kpiCount {
		out := make([]kpiCount, len(cs))
		for i, c := range cs {
			out[i] = kpiCount{Code: c.Code, Label: c.Label, N: viInt(c.N)}
		}
		return out
	}
	v.PickupFailures, v.DeliveryFailures, v.DisputeList = counts(r.PickupFailures), counts(r.DeliveryFailures), counts(r.Disputes)
	for _, h := range r.Hops {
		v.Hops = append(v.Hops, kpiHop{Kind: string(h.Kind), Label: h.Label, N: viInt(h.N), Median: viDuration(h.Median), P90: viDuration(h.P90)})
	}
	unit := func(f app.UnitFigures) kpiUnit {
		u := kpiUnit{Ref: f.Ref, Name: f.Name, Office: f.OfficeName, Pickups: viRatio(f.Pickups.Ratio()), Deliveries: viRatio(f.Deliveries),
			PickupFailed: viInt(f.PickupFailed), DeliveryFailed: viInt(f.DeliveryFailed), Disputes: viInt(f.Disputes),
			HoldN: "0", HoldMedian: "—", HoldP90: "—"}
		if u.Office == "" {
			u.Office = f.Office
		}
		if f.Hold != nil {
			u.HoldN, u.HoldMedian, u.HoldP90 = viInt(f.Hold.N), viDuration(f.Hold.Median), viDuration(f.Hold.P90)
		}
		return u
	}
	for _, c := range r.Couriers {
		v.Couriers = append(v.Couriers, unit(c))
	}
	for _, o := range r.Offices {
		v.Offices = append(v.Offices, unit(o))
	}
	return v
}

// viInt writes a count with dots between thousands: 12.345.
func viInt(n int) string {
	return strings.TrimSuffix(formatMoney(int64(n)), " ₫")
}

// viPercent writes a share with a decimal comma and at most one decimal:
// 66,7%, 100%.
func viPercent(p float64) string {
	p = math.Round(p*10) / 10
	s := strconv.FormatFloat(p, 'f', 1, 64)
	s = strings.TrimSuffix(s, ".0")
	return strings.Replace(s, ".", ",", 1) + "%"
}

// viRatio writes "2/3 (66,7%)", or "0/0" when there is nothing to count.
func viRatio(r app.Ratio) string {
	pc, ok := r.Percent()
	if !ok {
		return "0/0"
	}
	return viInt(r.Hit) + "/" + viInt(r.Total) + " (" + viPercent(pc) + ")"
}

// viDuration writes a wait rounded to the minute: "45 phút", "2 giờ 5
// phút", "3 ngày 4 giờ".
func viDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	m := int64((d + 30*time.Second) / time.Minute)
	switch {
	case m < 1:
		return "dưới 1 phút"
	case m < 60:
		return strconv.FormatInt(m, 10) + " phút"
	case m < 24*60:
		h, mm := m/60, m%60
		if mm == 0 {
			return strconv.FormatInt(h, 10) + " giờ"
		}
		return strconv.FormatInt(h, 10) + " giờ " + strconv.FormatInt(mm, 10) + " phút"
	}
	h := (m + 30) / 60 // to the hour beyond a day
	days, hh := h/24, h%24
	if hh == 0 {
		return strconv.FormatInt(days, 10) + " ngày"
	}
	return strconv.FormatInt(days, 10) + " ngày " + strconv.FormatInt(hh, 10) + " giờ"
}
