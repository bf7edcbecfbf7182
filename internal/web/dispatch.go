package web

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/dispatch"
	"hoso/internal/app"
	"hoso/internal/errs"
)

// The dispatcher's pages: the day's plan on a map with a table per
// courier, planning with a progress bar, manual assignment and pins,
// publishing; couriers' shifts and absences; zones; office import. Every
// form works without JavaScript; the map and the progress bar are
// enhancements.
const dispatchBase = "/nhan-vien/dieu-phoi"

// dispatchRoutes registers the dispatcher's pages and JSON.
func (s *Server) dispatchRoutes(pg fiber.Router) {
	g := pg.Group(dispatchBase, noStore, s.requireRole(app.RoleDispatcher, app.RoleAdmin))
	g.Get("", func(c *fiber.Ctx) error { return c.Redirect(dispatchBase+"/ke-hoach", fiber.StatusSeeOther) })
	g.Get("/ke-hoach", s.dispatchPlanPage)
	g.Get("/ban-do.json", s.dispatchMapJSON)
	g.Get("/ranh-gioi/:province", s.dispatchOutlines)
	g.Post("/lap", s.dispatchStart)
	g.Get("/tien-do/:id", s.dispatchProgressPage)
	g.Get("/tien-do/:id/json", s.dispatchProgressJSON)
	g.Post("/gan", s.dispatchAssign)
	g.Post("/ghim", s.dispatchPin)
	g.Post("/bo-ghim", s.dispatchUnpin)
	g.Post("/cong-bo", s.dispatchPublish)
	g.Post("/xep-vung", s.dispatchPlaceUnzoned)
	g.Get("/ca", s.dispatchShiftsPage)
	g.Post("/ca", s.dispatchShiftCreate)
	g.Post("/ca/:id/xoa", s.dispatchShiftDelete)
	g.Post("/vang", s.dispatchAbsenceCreate)
	g.Post("/vang/:id/xoa", s.dispatchAbsenceDelete)
	g.Get("/vung", s.dispatchZonesPage)
	g.Post("/vung/phu", s.dispatchCover)
	g.Post("/vung/o", s.dispatchCells)
	g.Get("/buu-cuc", s.dispatchOfficesPage)
	g.Post("/buu-cuc", s.dispatchOfficesImport)
}

// dispatchTabs is the secondary navigation of the dispatch pages.
type dispatchTab struct {
	Href, Label string
	Current     bool
}

func dispatchTabs(current, query string) []dispatchTab {
	tabs := []dispatchTab{
		{Href: dispatchBase + "/ke-hoach", Label: "Kế hoạch tuyến"},
		{Href: dispatchBase + "/ca", Label: "Ca bưu tá"},
		{Href: dispatchBase + "/vung", Label: "Vùng phục vụ"},
		{Href: dispatchBase + "/buu-cuc", Label: "Bưu cục"},
	}
	for i := range tabs {
		tabs[i].Current = tabs[i].Href == current
		if query != "" && tabs[i].Href != dispatchBase+"/buu-cuc" {
			tabs[i].Href += "?" + query
		}
	}
	return tabs
}

// scope reads the office (bc) and the day (ngay) of a dispatch page, with
// the user's defaults.
func (s *Server) dispatchScope(c *fiber.Ctx, officeCode, dayStr string) (app.User, app.PostOffice, dispatch.Day, error) {
	u := currentUser(c)
	ctx := c.UserContext()
	var o app.PostOffice
	var err error
	if officeCode == "" {
		o, err = s.d.Dispatch.DefaultOffice(ctx, u)
	} else {
		o, err = s.d.Dispatch.Office(ctx, u, officeCode)
	}
	if err != nil {
		return u, o, dispatch.Day{}, err
	}
	day := dispatch.DayOf(s.d.Now())
	if dayStr != "" {
		d, err := dispatch.ParseDay(dayStr)
		if err != nil {
			return u, o, day, errs.E(errs.Invalid, "Ngày “%s” không hợp lệ", dayStr)
		}
		day = d
	}
	return u, o, day, nil
}

func scopeQuery(office string, day dispatch.Day) string {
	q := url.Values{}
	q.Set("bc", office)
	if !day.IsZero() {
		q.Set("ngay", day.String())
	}
	return q.Encode()
}

func planURL(office string, day dispatch.Day, extra ...string) string {
	u := dispatchBase + "/ke-hoach?" + scopeQuery(office, day)
	for i := 0; i+1 < len(extra); i += 2 {
		u += "&" + url.QueryEscape(extra[i]) + "=" + url.QueryEscape(extra[i+1])
	}
	return u
}

// flashes are the messages a redirect may ask a page to show, by code, so
// no text from a URL reaches the page.
func flashFor(c *fiber.Ctx) string {
	n, _ := strconv.Atoi(c.Query("n"))
	m, _ := strconv.Atoi(c.Query("m"))
	switch c.Query("tb") {
	case "da-lap":
		return fmt.Sprintf("Đã lập kế hoạch phiên bản %d. Kiểm tra rồi bấm “Công bố” để gửi lịch hẹn.", n)
	case "cong-bo":
		return fmt.Sprintf("Đã công bố: %d lịch hẹn mới được ghi vào hành trình hồ sơ, %d giữ nguyên.", n, m)
	case "gan":
		return fmt.Sprintf("Đã gán và lập phiên bản %d. Nhớ công bố để bưu tá và công dân thấy lịch mới.", n)
	case "ghim":
		return "Đã ghim: các lần lập lại kế hoạch sẽ giữ điểm này cho bưu tá đã chọn."
	case "bo-ghim":
		return "Đã bỏ ghim."
	case "xep-vung":
		return fmt.Sprintf("%d yêu cầu đã được xếp vào vùng của bưu cục.", n)
	case "ca":
		return fmt.Sprintf("Đã thêm %d ca làm việc.", n)
	case "xoa-ca":
		return "Đã xóa ca làm việc."
	case "vang":
		return "Đã ghi vắng mặt. Mở Kế hoạch tuyến để lập lại kế hoạch của ngày."
	case "xoa-vang":
		return "Đã xóa lượt vắng mặt."
	case "vung":
		return fmt.Sprintf("Đã cập nhật vùng: %d ô (thêm %d).", n, m)
	case "nhap":
		return fmt.Sprintf("Đã nhập bưu cục: %d mới, %d cập nhật.", n, m)
	}
	return ""
}

// userError reports whether err is one a form shows next to its fields
// rather than on an error page.
func userError(err error) bool {
	return errs.Is(err, errs.Unprocessable) || errs.Is(err, errs.Invalid) || errs.Is(err, errs.Conflict)
}

// ---------- the plan page ----------

const courierColours = 8

type stopView struct {
	dispatch.Stop
	Pinned bool
	Place  app.StopPlace // commune by name, masked address line, approximate or not
}

type routeView struct {
	Courier  string
	Name     string
	Colour   int
	Vehicle  string
	Stops    []stopView
	Distance string
	Load     int
	Capacity int
	Depart   time.Time
	Return   time.Time
	Shift    string
	// Break is the lunch break, nil without one.
	Break *dispatch.RouteBreak
}

type unplacedView struct {
	dispatch.Unplaced
	Label string
	Place app.StopPlace
}

// unzoned lists a province's requests no office's zone holds, each
// commune by name.
func (s *Server) unzoned(ctx context.Context, u app.User, province string) ([]unzonedView, error) {
	ps, err := s.d.Dispatch.Unzoned(ctx, u, province, 50)
	out := make([]unzonedView, 0, len(ps))
	for _, x := range ps {
		out = append(out, unzonedView{Number: x.Number, Commune: s.d.Dispatch.CommuneName(x.CommuneCode), CreatedAt: x.CreatedAt})
	}
	return out, err
}

// unzonedView is a request no office's zone holds, its commune by name.
type unzonedView struct {
	Number    string
	Commune   string
	CreatedAt time.Time
}

type requestOpt struct {
	Number, Label string
}

type timeOpt struct {
	Seconds  int
	Label    string
	Selected bool
}

type planPage struct {
	Tabs      []dispatchTab
	Offices   []app.PostOffice
	Office    app.PostOffice
	Day       dispatch.Day
	Today     dispatch.Day
	Plan      *dispatch.Plan
	Latest    bool
	Routes    []routeView
	Unplaced  []unplacedView
	Changes   app.PlanChanges
	Couriers  []dispatch.Courier
	Shifts    int
	Requests  []requestOpt
	Versions  []dispatch.Plan
	Unzoned   []unzonedView
	Approx    int // stops and unplaced requests placed at a commune's centre
	Flash     string
	Errors    map[string]string
	Summary   []fieldError
	Assign    assignForm
	Times     []timeOpt
	MapURL    string
	Outlines  string
	Tiles     string // HOSO_MAP_TILES, empty: outlines only
	Legend    []routeView
	HasPlan   bool
	Published bool
	Distance  string
}

type assignForm struct {
	Number, Courier string
	Pin             bool
}

func km(m float64) string {
	return strings.Replace(strconv.FormatFloat(m/1000, 'f', 1, 64), ".", ",", 1) + " km"
}

func (s *Server) dispatchPlanPage(c *fiber.Ctx) error {
	if kept, kerr, ok := s.takeForm(c, planFormName); ok {
		// Back from a refused change (Post/Redirect/Get): the message, and
		// the assignment form as typed.
		form := assignForm{Number: kept.Get("so"), Courier: kept.Get("buu_ta"), Pin: kept.Get("ghim") == "1"}
		return s.renderPlanPage(c, fiber.StatusOK, c.Query("bc"), c.Query("ngay"), kerr, form)
	}
	return s.renderPlanPage(c, fiber.StatusOK, c.Query("bc"), c.Query("ngay"), nil, assignForm{})
}

func (s *Server) renderPlanPage(c *fiber.Ctx, status int, officeCode, dayStr string, formErr error, form assignForm) error {
	u, office, day, err := s.dispatchScope(c, officeCode, dayStr)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	p := planPage{Office: office, Day: day, Today: dispatch.DayOf(s.d.Now()), Flash: flashFor(c), Assign: form,
		Tabs: dispatchTabs(dispatchBase+"/ke-hoach", scopeQuery(office.Code, day))}
	if formErr != nil {
		p.Errors, p.Summary = formErrors(formErr, map[string]string{"number": "so", "courier": "buu_ta"})
		p.Flash = ""
	}
	if p.Offices, err = s.d.Dispatch.Offices(ctx, u); err != nil {
		return err
	}
	if p.Couriers, err = s.d.Dispatch.Couriers(ctx, u, office.Code); err != nil {
		return err
	}
	shifts, err := s.d.Dispatch.Shifts(ctx, u, office.Code, day, day)
	if err != nil {
		return err
	}
	p.Shifts = len(shifts)
	shiftOf := map[string]dispatch.Shift{}
	for _, sh := range shifts {
		shiftOf[sh.Courier] = sh
	}
	names := map[string]string{}
	colour := map[string]int{}
	for i, cr := range p.Couriers {
		names[cr.Ref] = cr.Name
		colour[cr.Ref] = i % courierColours
	}
	plan, err := s.d.Dispatch.Plan(ctx, u, office.Code, day)
	switch {
	case errs.Is(err, errs.NotFound):
	case err != nil:
		return err
	default:
		p.Plan, p.HasPlan, p.Distance = &plan, true, km(plan.Distance)
		p.Published = plan.Status == dispatch.Published
		if p.Changes, err = s.d.Dispatch.Changes(ctx, u, plan); err != nil {
			return err
		}
		if p.Versions, err = s.d.Dispatch.Versions(ctx, u, office.Code, day); err != nil {
			return err
		}
		p.Latest = len(p.Versions) > 0 && p.Versions[0].ID == plan.ID
	}
	pins, err := s.d.Dispatch.Pins(ctx, u, office.Code, day)
	if err != nil {
		return err
	}
	pinned := map[string]bool{}
	for _, x := range pins {
		pinned[x.Parcel] = true
	}
	places := map[string]app.StopPlace{}
	if p.Plan != nil {
		var ids []string
		for _, r := range p.Plan.Routes {
			for _, st := range r.Stops {
				ids = append(ids, st.Parcel)
			}
		}
		for _, un := range p.Plan.Unplaced {
			ids = append(ids, un.Parcel)
		}
		if places, err = s.d.Dispatch.StopPlaces(ctx, u, office.Code, ids); err != nil {
			return err
		}
	}
	if p.Plan != nil {
		for _, r := range p.Plan.Routes {
			rv := routeView{Courier: r.Courier, Name: names[r.Courier], Colour: colour[r.Courier], Vehicle: r.Vehicle.Label(),
				Distance: km(r.Distance), Load: r.Load, Depart: r.Depart, Return: r.Return, Break: r.Break}
			if sh, ok := shiftOf[r.Courier]; ok {
				rv.Capacity, rv.Shift = sh.Capacity, sh.Start.String()+"–"+sh.End.String()
			}
			for _, st := range r.Stops {
				rv.Stops = append(rv.Stops, stopView{Stop: st, Pinned: pinned[st.Parcel], Place: places[st.Parcel]})
				if places[st.Parcel].Approx {
					p.Approx++
				}
				p.Requests = append(p.Requests, requestOpt{Number: st.Number, Label: st.Number + " — " + r.Courier})
			}
			p.Routes = append(p.Routes, rv)
		}
		for _, un := range p.Plan.Unplaced {
			p.Unplaced = append(p.Unplaced, unplacedView{Unplaced: un, Label: un.Reason.Label(), Place: places[un.Parcel]})
			if places[un.Parcel].Approx {
				p.Approx++
			}
			p.Requests = append(p.Requests, requestOpt{Number: un.Number, Label: un.Number + " — chưa xếp"})
		}
		for _, n := range p.Changes.New {
			p.Requests = append(p.Requests, requestOpt{Number: n, Label: n + " — mới"})
		}
	}
	for _, cr := range p.Couriers {
		if _, ok := shiftOf[cr.Ref]; ok {
			p.Legend = append(p.Legend, routeView{Courier: cr.Ref, Name: cr.Name, Colour: colour[cr.Ref]})
		}
	}
	if p.Unzoned, err = s.unzoned(ctx, u, office.ProvinceCode); err != nil {
		return err
	}
	for _, sec := range []int{2, 5, 15, 30} {
		p.Times = append(p.Times, timeOpt{Seconds: sec, Label: fmt.Sprintf("%d giây", sec), Selected: sec == 5})
	}
	p.MapURL = dispatchBase + "/ban-do.json?" + scopeQuery(office.Code, day)
	p.Outlines = dispatchBase + "/ranh-gioi/" + office.ProvinceCode
	p.Tiles = s.d.MapTiles
	v := s.viewFor(c, "Kế hoạch tuyến thu gom", p)
	v.Main = "main--wide"
	v.Style = []string{"vendor/leaflet/leaflet.css", "css/dispatch.css"}
	v.Script = []string{"vendor/leaflet/leaflet.js", "js/dispatch-map.js"}
	return s.pageStatus(c, status, "dispatch_plan", v)
}
