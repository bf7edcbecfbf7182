package web

import (
	"fmt"
	"io"
	"math"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/dispatch"
	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/vntext"
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

// formErrors turns an application error into field messages and a summary
// for a form; ids maps error fields to input ids.
func formErrors(err error, ids map[string]string) (map[string]string, []fieldError) {
	fields := map[string]string{}
	var sum []fieldError
	keys := make([]string, 0)
	for k := range errs.FieldsOf(err) {
		keys = append(keys, k)
	}
	// "line 9" before "line 10".
	sort.Slice(keys, func(i, j int) bool {
		a, b := keys[i], keys[j]
		if len(a) != len(b) && strings.TrimRight(a, "0123456789") == strings.TrimRight(b, "0123456789") {
			return len(a) < len(b)
		}
		return a < b
	})
	for _, k := range keys {
		m := capitalize(errs.FieldsOf(err)[k])
		id := ids[k]
		if id != "" {
			fields[id] = m
		}
		sum = append(sum, fieldError{ID: id, Message: m})
	}
	if len(sum) == 0 {
		msg := errs.MessageOf(err)
		if msg == "" {
			msg = "Không thực hiện được. Vui lòng thử lại."
		}
		sum = append(sum, fieldError{Message: msg})
	}
	return fields, sum
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
	Unzoned   []app.Parcel
	Flash     string
	Errors    map[string]string
	Summary   []fieldError
	Assign    assignForm
	Times     []timeOpt
	MapURL    string
	Outlines  string
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
	if p.Plan != nil {
		for _, r := range p.Plan.Routes {
			rv := routeView{Courier: r.Courier, Name: names[r.Courier], Colour: colour[r.Courier], Vehicle: r.Vehicle.Label(),
				Distance: km(r.Distance), Load: r.Load, Depart: r.Depart, Return: r.Return, Break: r.Break}
			if sh, ok := shiftOf[r.Courier]; ok {
				rv.Capacity, rv.Shift = sh.Capacity, sh.Start.String()+"–"+sh.End.String()
			}
			for _, st := range r.Stops {
				rv.Stops = append(rv.Stops, stopView{Stop: st, Pinned: pinned[st.Parcel]})
				p.Requests = append(p.Requests, requestOpt{Number: st.Number, Label: st.Number + " — " + r.Courier})
			}
			p.Routes = append(p.Routes, rv)
		}
		for _, un := range p.Plan.Unplaced {
			p.Unplaced = append(p.Unplaced, unplacedView{Unplaced: un, Label: un.Reason.Label()})
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
	if p.Unzoned, err = s.d.Dispatch.Unzoned(ctx, u, office.ProvinceCode, 50); err != nil {
		return err
	}
	for _, sec := range []int{2, 5, 15, 30} {
		p.Times = append(p.Times, timeOpt{Seconds: sec, Label: fmt.Sprintf("%d giây", sec), Selected: sec == 5})
	}
	p.MapURL = dispatchBase + "/ban-do.json?" + scopeQuery(office.Code, day)
	p.Outlines = dispatchBase + "/ranh-gioi/" + office.ProvinceCode
	v := s.viewFor(c, "Kế hoạch tuyến thu gom", p)
	v.Style = []string{"vendor/leaflet/leaflet.css", "css/dispatch.css"}
	v.Script = []string{"vendor/leaflet/leaflet.js", "js/dispatch-map.js"}
	return s.pageStatus(c, status, "dispatch_plan", v)
}

// ---------- map data ----------

type mapPoint [2]float64 // [lat, lng], as Leaflet takes it

type mapOffice struct {
	Code string   `json:"code"`
	Name string   `json:"name"`
	At   mapPoint `json:"at"`
}

type mapZone struct {
	Office   string         `json:"office"`
	Own      bool           `json:"own"`
	Cells    int            `json:"cells"`
	Polygons [][][]mapPoint `json:"polygons"`
}

type mapStop struct {
	Seq     int      `json:"seq"`
	Kind    string   `json:"kind"` // pickup or delivery
	Number  string   `json:"number"`
	At      mapPoint `json:"at"`
	ETA     string   `json:"eta"`
	Window  string   `json:"window"`
	Visited bool     `json:"visited,omitempty"`
	Pinned  bool     `json:"pinned,omitempty"`
}

type mapRoute struct {
	Courier string     `json:"courier"`
	Name    string     `json:"name"`
	Colour  int        `json:"colour"`
	Path    []mapPoint `json:"path"`
	Stops   []mapStop  `json:"stops"`
	Break   *mapBreak  `json:"break,omitempty"`
}

// mapBreak is a route's lunch break: after its first After stops.
type mapBreak struct {
	After int    `json:"after"`
	Start string `json:"start"`
	End   string `json:"end"`
}

type mapUnplaced struct {
	Number string   `json:"number"`
	At     mapPoint `json:"at"`
	Reason string   `json:"reason"`
}

type mapData struct {
	Province string        `json:"province"`
	Office   mapOffice     `json:"office"`
	Offices  []mapOffice   `json:"offices"`
	Zones    []mapZone     `json:"zones"`
	Routes   []mapRoute    `json:"routes"`
	Unplaced []mapUnplaced `json:"unplaced"`
}

func mp(p dispatch.Point) mapPoint { return mapPoint{p.Lat, p.Lng} }

// dispatchMapJSON is what the map draws: offices, zones and, when a day is
// given, the plan's routes and unplaced requests.
func (s *Server) dispatchMapJSON(c *fiber.Ctx) error {
	u, office, day, err := s.dispatchScope(c, c.Query("bc"), c.Query("ngay"))
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	out := mapData{Province: office.ProvinceCode, Office: mapOffice{office.Code, office.Name, mapPoint{office.Lat, office.Lng}},
		Offices: []mapOffice{}, Zones: []mapZone{}, Routes: []mapRoute{}, Unplaced: []mapUnplaced{}}
	offices, err := s.d.Dispatch.Offices(ctx, u)
	if err != nil {
		return err
	}
	for _, o := range offices {
		if o.ProvinceCode == office.ProvinceCode {
			out.Offices = append(out.Offices, mapOffice{o.Code, o.Name, mapPoint{o.Lat, o.Lng}})
		}
	}
	shapes, err := s.d.Dispatch.ZoneShapes(ctx, u, office.ProvinceCode)
	if err != nil {
		return err
	}
	for _, z := range shapes {
		mz := mapZone{Office: z.Office, Own: z.Office == office.Code, Cells: z.Cells}
		for _, poly := range z.Polygons {
			var rings [][]mapPoint
			for _, ring := range poly {
				r := make([]mapPoint, len(ring))
				for i, p := range ring {
					r[i] = mp(p)
				}
				rings = append(rings, r)
			}
			mz.Polygons = append(mz.Polygons, rings)
		}
		out.Zones = append(out.Zones, mz)
	}
	if c.Query("ngay") != "" {
		plan, err := s.d.Dispatch.Plan(ctx, u, office.Code, day)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		if err == nil {
			couriers, err := s.d.Dispatch.Couriers(ctx, u, office.Code)
			if err != nil {
				return err
			}
			shifts, err := s.d.Dispatch.Shifts(ctx, u, office.Code, day, day)
			if err != nil {
				return err
			}
			pins, err := s.d.Dispatch.Pins(ctx, u, office.Code, day)
			if err != nil {
				return err
			}
			pinned := map[string]bool{}
			for _, x := range pins {
				pinned[x.Parcel] = true
			}
			colour, names := map[string]int{}, map[string]string{}
			for i, cr := range couriers {
				colour[cr.Ref], names[cr.Ref] = i%courierColours, cr.Name
			}
			home := dispatch.Point{Lat: office.Lat, Lng: office.Lng}
			for _, r := range plan.Routes {
				start, end := home, home
				for _, sh := range shifts {
					if sh.Courier == r.Courier {
						if !sh.StartPlace.IsZero() {
							start = sh.StartPlace
						}
						if !sh.EndPlace.IsZero() {
							end = sh.EndPlace
						}
					}
				}
				mr := mapRoute{Courier: r.Courier, Name: names[r.Courier], Colour: colour[r.Courier], Path: []mapPoint{mp(start)}}
				if b := r.Break; b != nil {
					mr.Break = &mapBreak{After: b.After, Start: b.Start.In(vietnam).Format("15:04"), End: b.End.In(vietnam).Format("15:04")}
				}
				for _, st := range r.Stops {
					kind := dispatch.KindPickup
					if st.Kind.IsDelivery() {
						kind = dispatch.KindDelivery
					}
					mr.Path = append(mr.Path, mp(st.Point))
					mr.Stops = append(mr.Stops, mapStop{Seq: st.Seq, Kind: string(kind), Number: st.Number, At: mp(st.Point),
						ETA: st.ETA.In(vietnam).Format("15:04"), Window: st.Window.Label(), Visited: st.Visited, Pinned: pinned[st.Parcel]})
				}
				mr.Path = append(mr.Path, mp(end))
				out.Routes = append(out.Routes, mr)
			}
			for _, un := range plan.Unplaced {
				out.Unplaced = append(out.Unplaced, mapUnplaced{Number: un.Number, At: mp(un.Point), Reason: un.Reason.Label()})
			}
		}
	}
	return c.JSON(out)
}

// dispatchOutlines serves a province's and its communes' outlines, which
// never change while the server runs.
func (s *Server) dispatchOutlines(c *fiber.Ctx) error {
	b, err := s.d.Dispatch.ProvinceGeoJSON(c.UserContext(), currentUser(c), c.Params("province"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/geo+json")
	c.Set(fiber.HeaderCacheControl, "private, max-age=86400")
	return c.Send(b)
}

// ---------- planning ----------

func (s *Server) dispatchStart(c *fiber.Ctx) error {
	u, office, day, err := s.dispatchScope(c, c.FormValue("bc"), c.FormValue("ngay"))
	if err != nil {
		return err
	}
	secs, _ := strconv.Atoi(c.FormValue("thoi_gian"))
	opt := app.PlanOptions{TimeLimit: time.Duration(secs) * time.Second, Replan: c.FormValue("lap_lai") == "1"}
	if opt.Replan {
		opt.Reason = "Lập lại kế hoạch"
		if r := strings.TrimSpace(c.FormValue("ly_do")); r != "" {
			opt.Reason = vntext.NFC(r)
			if len([]rune(opt.Reason)) > 200 {
				opt.Reason = string([]rune(opt.Reason)[:200])
			}
		}
	}
	id, err := s.d.Dispatch.StartPlan(c.UserContext(), u, office.Code, day, opt)
	if err != nil {
		if userError(err) {
			return s.renderPlanPage(c, fiber.StatusUnprocessableEntity, office.Code, day.String(), err, assignForm{})
		}
		return err
	}
	return c.Redirect(dispatchBase+"/tien-do/"+id, fiber.StatusSeeOther)
}

type progressPage struct {
	Tabs     []dispatchTab
	Job      app.PlanJob
	Office   app.PostOffice
	Percent  int
	Distance string
	JSONURL  string
	Back     string
}

func (s *Server) dispatchProgressPage(c *fiber.Ctx) error {
	u := currentUser(c)
	ctx := c.UserContext()
	j, err := s.d.Dispatch.Job(ctx, u, c.Params("id"))
	if err != nil {
		return err
	}
	if j.Done && j.Err == "" {
		return c.Redirect(planURL(j.Office, j.Day, "tb", "da-lap", "n", strconv.Itoa(j.Version)), fiber.StatusSeeOther)
	}
	office, err := s.d.Dispatch.Office(ctx, u, j.Office)
	if err != nil {
		return err
	}
	p := progressPage{Tabs: dispatchTabs(dispatchBase+"/ke-hoach", scopeQuery(j.Office, j.Day)), Job: j, Office: office,
		Percent: j.Percent(s.d.Now()), Distance: km(j.Best.Distance), JSONURL: dispatchBase + "/tien-do/" + j.ID + "/json",
		Back: planURL(j.Office, j.Day)}
	v := s.viewFor(c, "Đang lập kế hoạch", p)
	v.Script = []string{"js/dispatch-progress.js"}
	v.Style = []string{"css/dispatch.css"}
	return s.pageStatus(c, fiber.StatusOK, "dispatch_progress", v)
}

type progressJSON struct {
	Done       bool   `json:"done"`
	Percent    int    `json:"percent"`
	Improved   int    `json:"improved"`
	Vehicles   int    `json:"vehicles"`
	Unassigned int    `json:"unassigned"`
	Distance   string `json:"distance"`
	Message    string `json:"message"`
	Error      string `json:"error,omitempty"`
	Redirect   string `json:"redirect,omitempty"`
}

func (s *Server) dispatchProgressJSON(c *fiber.Ctx) error {
	j, err := s.d.Dispatch.Job(c.UserContext(), currentUser(c), c.Params("id"))
	if err != nil {
		return err
	}
	out := progressJSON{Done: j.Done, Percent: j.Percent(s.d.Now()), Improved: j.Improved, Vehicles: j.Best.Vehicles,
		Unassigned: j.Best.Unassigned, Distance: km(j.Best.Distance), Error: j.Err}
	switch {
	case j.Err != "":
		out.Message = "Không lập được kế hoạch: " + j.Err
	case j.Done:
		out.Message = fmt.Sprintf("Xong: phiên bản %d đã được lưu.", j.Version)
		out.Redirect = planURL(j.Office, j.Day, "tb", "da-lap", "n", strconv.Itoa(j.Version))
	default:
		out.Message = fmt.Sprintf("Đang tìm phương án tốt hơn… %d%%. Phương án tốt nhất: %d bưu tá, %s, %d điểm chưa xếp.",
			out.Percent, out.Vehicles, out.Distance, out.Unassigned)
	}
	return c.JSON(out)
}

// ---------- manual changes and publishing ----------

func (s *Server) dispatchAssign(c *fiber.Ctx) error {
	u, office, day, err := s.dispatchScope(c, c.FormValue("bc"), c.FormValue("ngay"))
	if err != nil {
		return err
	}
	form := assignForm{Number: strings.TrimSpace(c.FormValue("so")), Courier: c.FormValue("buu_ta"), Pin: c.FormValue("ghim") == "1"}
	if form.Number == "" || form.Courier == "" {
		f := errs.Fields{}
		if form.Number == "" {
			f.Add("number", "Chọn bưu gửi cần gán")
		}
		if form.Courier == "" {
			f.Add("courier", "Chọn bưu tá")
		}
		return s.renderPlanPage(c, fiber.StatusUnprocessableEntity, office.Code, day.String(), f.Err(errs.Unprocessable, "Chưa gán được"), form)
	}
	plan, err := s.d.Dispatch.Assign(c.UserContext(), u, office.Code, day, form.Number, form.Courier, form.Pin)
	if err != nil {
		if userError(err) || errs.Is(err, errs.NotFound) {
			return s.renderPlanPage(c, fiber.StatusUnprocessableEntity, office.Code, day.String(), err, form)
		}
		return err
	}
	return c.Redirect(planURL(office.Code, day, "tb", "gan", "n", strconv.Itoa(plan.Version))+"#tuyen", fiber.StatusSeeOther)
}

func (s *Server) dispatchPin(c *fiber.Ctx) error {
	u, office, day, err := s.dispatchScope(c, c.FormValue("bc"), c.FormValue("ngay"))
	if err != nil {
		return err
	}
	if err := s.d.Dispatch.Pin(c.UserContext(), u, office.Code, day, c.FormValue("so"), c.FormValue("buu_ta")); err != nil {
		if userError(err) || errs.Is(err, errs.NotFound) {
			return s.renderPlanPage(c, fiber.StatusUnprocessableEntity, office.Code, day.String(), err, assignForm{})
		}
		return err
	}
	return c.Redirect(planURL(office.Code, day, "tb", "ghim")+"#tuyen", fiber.StatusSeeOther)
}

func (s *Server) dispatchUnpin(c *fiber.Ctx) error {
	u, office, day, err := s.dispatchScope(c, c.FormValue("bc"), c.FormValue("ngay"))
	if err != nil {
		return err
	}
	if err := s.d.Dispatch.Unpin(c.UserContext(), u, office.Code, day, c.FormValue("so")); err != nil {
		if userError(err) || errs.Is(err, errs.NotFound) {
			return s.renderPlanPage(c, fiber.StatusUnprocessableEntity, office.Code, day.String(), err, assignForm{})
		}
		return err
	}
	return c.Redirect(planURL(office.Code, day, "tb", "bo-ghim")+"#tuyen", fiber.StatusSeeOther)
}

func (s *Server) dispatchPublish(c *fiber.Ctx) error {
	u := currentUser(c)
	id, err := strconv.ParseInt(c.FormValue("ke_hoach"), 10, 64)
	if err != nil {
		return errs.E(errs.Invalid, "Thiếu số kế hoạch")
	}
	res, err := s.d.Dispatch.Publish(c.UserContext(), u, id)
	if err != nil {
		if userError(err) {
			return s.renderPlanPage(c, fiber.StatusConflict, c.FormValue("bc"), c.FormValue("ngay"), err, assignForm{})
		}
		return err
	}
	return c.Redirect(planURL(res.Plan.Office, res.Plan.Day, "tb", "cong-bo", "n", strconv.Itoa(res.Recorded), "m", strconv.Itoa(res.Unchanged)), fiber.StatusSeeOther)
}

func (s *Server) dispatchPlaceUnzoned(c *fiber.Ctx) error {
	u, office, day, err := s.dispatchScope(c, c.FormValue("bc"), c.FormValue("ngay"))
	if err != nil {
		return err
	}
	n, err := s.d.Dispatch.PlaceUnzoned(c.UserContext(), u, office.ProvinceCode)
	if err != nil {
		return err
	}
	back := planURL(office.Code, day, "tb", "xep-vung", "n", strconv.Itoa(n))
	if c.FormValue("ve") == "vung" {
		back = dispatchBase + "/vung?bc=" + url.QueryEscape(office.Code) + "&tb=xep-vung&n=" + strconv.Itoa(n)
	}
	return c.Redirect(back, fiber.StatusSeeOther)
}

// ---------- shifts and absences ----------

type shiftForm struct {
	Courier, Day, Days, Start, End, Capacity, MaxStops, Vehicle string
	From, To                                                    string // places "lat, lng"; empty: the office
	COD                                                         bool
}

// parsePlace reads "21.5887, 105.8338"; empty is the zero point (the
// office).
func parsePlace(s string) (dispatch.Point, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return dispatch.Point{}, true
	}
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		a, b, ok = strings.Cut(s, " ")
	}
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	lng, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	// NaN passes every comparison; strconv reads "NaN" and "Inf" as numbers.
	finite := !math.IsNaN(lat) && !math.IsNaN(lng) && !math.IsInf(lat, 0) && !math.IsInf(lng, 0)
	if !ok || err1 != nil || err2 != nil || !finite || lat < -90 || lat > 90 || lng < -180 || lng > 180 || lat == 0 && lng == 0 {
		return dispatch.Point{}, false
	}
	return dispatch.Point{Lat: lat, Lng: lng}, true
}

type absenceForm struct {
	Courier, Day, From, To, Reason string
	AllDay                         bool
}

type shiftDay struct {
	Day     dispatch.Day
	Shifts  []dispatch.Shift
	Absent  []dispatch.Absence
	IsToday bool
}

type shiftsPage struct {
	Tabs      []dispatchTab
	Offices   []app.PostOffice
	Office    app.PostOffice
	From      dispatch.Day
	Days      []shiftDay
	Couriers  []dispatch.Courier
	Names     map[string]string
	Vehicles  []vehicleOpt
	Form      shiftForm
	Absence   absenceForm
	Errors    map[string]string
	Summary   []fieldError
	AbsErrors map[string]string
	AbsSum    []fieldError
	Flash     string
	Hours     string
}

type vehicleOpt struct {
	Value, Label string
}

func (s *Server) dispatchShiftsPage(c *fiber.Ctx) error {
	return s.renderShifts(c, fiber.StatusOK, c.Query("bc"), c.Query("ngay"), nil, nil, nil)
}

func (s *Server) renderShifts(c *fiber.Ctx, status int, officeCode, dayStr string, form *shiftForm, abs *absenceForm, formErr error) error {
	u, office, from, err := s.dispatchScope(c, officeCode, dayStr)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	h := s.d.Dispatch.Hours
	if h.End <= h.Start {
		h = dispatch.DefaultHours
	}
	p := shiftsPage{Office: office, From: from, Flash: flashFor(c), Names: map[string]string{}, Hours: h.String(),
		Tabs: dispatchTabs(dispatchBase+"/ca", scopeQuery(office.Code, from))}
	p.Form = shiftForm{Day: from.String(), Days: "6", Start: h.Start.String(), End: h.End.String(), Capacity: "25", MaxStops: "0", Vehicle: string(dispatch.Motorbike)}
	p.Absence = absenceForm{Day: from.String(), AllDay: true}
	if form != nil {
		p.Form = *form
		p.Errors, p.Summary = formErrors(formErr, map[string]string{"courier": "ca-buu-ta", "day": "ca-ngay", "days": "ca-so-ngay",
			"start": "ca-bat-dau", "end": "ca-ket-thuc", "capacity": "ca-suc-cho", "max_stops": "ca-diem-toi-da", "vehicle": "ca-phuong-tien",
			"office": "ca-buu-ta", "start_place": "ca-noi-di", "end_place": "ca-noi-ve"})
		p.Flash = ""
	}
	if abs != nil {
		p.Absence = *abs
		p.AbsErrors, p.AbsSum = formErrors(formErr, map[string]string{"courier": "vang-buu-ta", "day": "vang-ngay", "from": "vang-tu",
			"to": "vang-den", "reason": "vang-ly-do"})
		p.Flash = ""
	}
	for _, k := range dispatch.VehicleKinds {
		p.Vehicles = append(p.Vehicles, vehicleOpt{string(k), k.Label()})
	}
	if p.Offices, err = s.d.Dispatch.Offices(ctx, u); err != nil {
		return err
	}
	if p.Couriers, err = s.d.Dispatch.Couriers(ctx, u, office.Code); err != nil {
		return err
	}
	for _, cr := range p.Couriers {
		p.Names[cr.Ref] = cr.Name
	}
	to := from.AddDays(6)
	shifts, err := s.d.Dispatch.Shifts(ctx, u, office.Code, from, to)
	if err != nil {
		return err
	}
	absences, err := s.d.Dispatch.Absences(ctx, u, office.Code, from, to)
	if err != nil {
		return err
	}
	today := dispatch.DayOf(s.d.Now())
	for d := from; !to.Before(d); d = d.AddDays(1) {
		sd := shiftDay{Day: d, IsToday: d.Equal(today)}
		for _, sh := range shifts {
			if sh.Day.Equal(d) {
				sd.Shifts = append(sd.Shifts, sh)
			}
		}
		for _, a := range absences {
			if a.Day.Equal(d) {
				sd.Absent = append(sd.Absent, a)
			}
		}
		p.Days = append(p.Days, sd)
	}
	v := s.viewFor(c, "Ca làm việc của bưu tá", p)
	v.Style = []string{"css/dispatch.css"}
	return s.pageStatus(c, status, "dispatch_shifts", v)
}

func (s *Server) dispatchShiftCreate(c *fiber.Ctx) error {
	u, office, _, err := s.dispatchScope(c, c.FormValue("bc"), "")
	if err != nil {
		return err
	}
	form := shiftForm{Courier: c.FormValue("buu_ta"), Day: c.FormValue("ngay"), Days: c.FormValue("so_ngay"), Start: c.FormValue("bat_dau"),
		End: c.FormValue("ket_thuc"), Capacity: c.FormValue("suc_cho"), MaxStops: c.FormValue("diem_toi_da"), Vehicle: c.FormValue("phuong_tien"),
		From: c.FormValue("noi_di"), To: c.FormValue("noi_ve"), COD: c.FormValue("thu_ho") == "1"}
	f := errs.Fields{}
	sh := dispatch.Shift{Courier: form.Courier, Office: office.Code, COD: form.COD, Vehicle: dispatch.VehicleKind(form.Vehicle)}
	if sh.Day, err = dispatch.ParseDay(form.Day); err != nil {
		f.Add("day", "Chọn ngày bắt đầu")
	}
	if sh.Start, err = dispatch.ParseClock(form.Start); err != nil {
		f.Add("start", "Giờ bắt đầu cần dạng 07:30")
	}
	if sh.End, err = dispatch.ParseClock(form.End); err != nil {
		f.Add("end", "Giờ kết thúc cần dạng 17:30")
	}
	if sh.Capacity, err = strconv.Atoi(strings.TrimSpace(form.Capacity)); err != nil {
		f.Add("capacity", "Sức chở là một số bưu gửi, ví dụ 25")
	}
	if form.MaxStops == "" {
		form.MaxStops = "0"
	}
	if sh.MaxStops, err = strconv.Atoi(strings.TrimSpace(form.MaxStops)); err != nil {
		f.Add("max_stops", "Số điểm dừng tối đa là một số (0: không giới hạn)")
	}
	var ok bool
	if sh.StartPlace, ok = parsePlace(form.From); !ok {
		f.Add("start_place", "Nơi xuất phát cần dạng “21.5887, 105.8338” (vĩ độ, kinh độ) hoặc để trống")
	}
	if sh.EndPlace, ok = parsePlace(form.To); !ok {
		f.Add("end_place", "Nơi kết thúc cần dạng “21.5887, 105.8338” (vĩ độ, kinh độ) hoặc để trống")
	}
	days, err := strconv.Atoi(strings.TrimSpace(form.Days))
	if err != nil {
		f.Add("days", "Số ngày là một số từ 1 đến 31")
	}
	if err := f.Err(errs.Unprocessable, "Chưa thêm được ca làm việc"); err != nil {
		return s.renderShifts(c, fiber.StatusUnprocessableEntity, office.Code, c.FormValue("xem"), &form, nil, err)
	}
	var week [7]bool
	if s.d.Intake != nil {
		week = s.d.Intake.Hours.Days
	}
	created, err := s.d.Dispatch.CreateShifts(c.UserContext(), u, sh, days, week)
	if err != nil {
		if userError(err) {
			return s.renderShifts(c, fiber.StatusUnprocessableEntity, office.Code, c.FormValue("xem"), &form, nil, err)
		}
		return err
	}
	return c.Redirect(dispatchBase+"/ca?"+scopeQuery(office.Code, sh.Day)+"&tb=ca&n="+strconv.Itoa(len(created)), fiber.StatusSeeOther)
}

func (s *Server) dispatchShiftDelete(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return errs.E(errs.NotFound, "Không có ca làm việc này")
	}
	if err := s.d.Dispatch.DeleteShift(c.UserContext(), currentUser(c), id); err != nil {
		return err
	}
	return c.Redirect(dispatchBase+"/ca?bc="+url.QueryEscape(c.FormValue("bc"))+"&ngay="+url.QueryEscape(c.FormValue("xem"))+"&tb=xoa-ca", fiber.StatusSeeOther)
}

func (s *Server) dispatchAbsenceCreate(c *fiber.Ctx) error {
	u, office, _, err := s.dispatchScope(c, c.FormValue("bc"), "")
	if err != nil {
		return err
	}
	form := absenceForm{Courier: c.FormValue("buu_ta"), Day: c.FormValue("ngay"), From: c.FormValue("tu"), To: c.FormValue("den"),
		Reason: c.FormValue("ly_do"), AllDay: c.FormValue("ca_ngay") == "1"}
	f := errs.Fields{}
	a := dispatch.Absence{Courier: form.Courier, Reason: strings.TrimSpace(form.Reason)}
	if a.Day, err = dispatch.ParseDay(form.Day); err != nil {
		f.Add("day", "Chọn ngày")
	}
	if form.AllDay {
		a.From, a.To = 0, 24*60
	} else {
		if a.From, err = dispatch.ParseClock(form.From); err != nil {
			f.Add("from", "Giờ bắt đầu vắng cần dạng 07:30")
		}
		if a.To, err = dispatch.ParseClock(form.To); err != nil {
			f.Add("to", "Giờ có mặt trở lại cần dạng 10:00")
		}
	}
	if form.Courier == "" {
		f.Add("courier", "Chọn bưu tá")
	}
	if err := f.Err(errs.Unprocessable, "Chưa ghi được vắng mặt"); err != nil {
		return s.renderShifts(c, fiber.StatusUnprocessableEntity, office.Code, c.FormValue("xem"), nil, &form, err)
	}
	if _, err := s.d.Dispatch.CreateAbsence(c.UserContext(), u, office.Code, a); err != nil {
		if userError(err) {
			return s.renderShifts(c, fiber.StatusUnprocessableEntity, office.Code, c.FormValue("xem"), nil, &form, err)
		}
		return err
	}
	return c.Redirect(dispatchBase+"/ca?"+scopeQuery(office.Code, a.Day)+"&tb=vang", fiber.StatusSeeOther)
}

func (s *Server) dispatchAbsenceDelete(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return errs.E(errs.NotFound, "Không có lượt vắng mặt này")
	}
	if err := s.d.Dispatch.DeleteAbsence(c.UserContext(), currentUser(c), c.FormValue("bc"), id); err != nil {
		return err
	}
	return c.Redirect(dispatchBase+"/ca?bc="+url.QueryEscape(c.FormValue("bc"))+"&ngay="+url.QueryEscape(c.FormValue("xem"))+"&tb=xoa-vang", fiber.StatusSeeOther)
}

// ---------- zones ----------

type communeOpt struct {
	Code, Name, Owner string
	Checked           bool
}

type zonesPage struct {
	Tabs       []dispatchTab
	Offices    []app.ZoneSummary
	Office     app.PostOffice
	Communes   []communeOpt
	Mode       string
	Replace    bool
	Skip       bool
	Add        string
	Remove     string
	Errors     map[string]string
	Summary    []fieldError
	Flash      string
	Unzoned    []app.Parcel
	MapURL     string
	Outlines   string
	Res        int
	AnyChecked bool
}

func (s *Server) dispatchZonesPage(c *fiber.Ctx) error {
	return s.renderZones(c, fiber.StatusOK, c.Query("bc"), nil, nil)
}

func (s *Server) renderZones(c *fiber.Ctx, status int, officeCode string, form *zonesPage, formErr error) error {
	u, office, _, err := s.dispatchScope(c, officeCode, "")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	p := zonesPage{Office: office, Mode: "center", Skip: true, Flash: flashFor(c), Res: app.ZoneRes,
		Tabs: dispatchTabs(dispatchBase+"/vung", scopeQuery(office.Code, dispatch.Day{}))}
	checked := map[string]bool{}
	if form != nil {
		p.Mode, p.Replace, p.Skip, p.Add, p.Remove = form.Mode, form.Replace, form.Skip, form.Add, form.Remove
		for _, cm := range form.Communes {
			checked[cm.Code] = cm.Checked
			p.AnyChecked = p.AnyChecked || cm.Checked
		}
		p.Errors, p.Summary = formErrors(formErr, map[string]string{"communes": "xa-dau-tien", "cells": "xa-dau-tien", "mode": "cach-phu", "add": "o-them", "remove": "o-bot"})
		p.Flash = ""
	}
	if p.Offices, err = s.d.Dispatch.Zones(ctx, u); err != nil {
		return err
	}
	owners, err := s.d.Dispatch.CommuneOwners(ctx, u, office.ProvinceCode)
	if err != nil {
		return err
	}
	for _, cm := range s.d.Units.CommunesOf(office.ProvinceCode) {
		p.Communes = append(p.Communes, communeOpt{Code: cm.Code, Name: cm.FullName, Owner: owners[cm.Code], Checked: checked[cm.Code]})
	}
	sort.SliceStable(p.Communes, func(i, j int) bool { return vntext.Fold(p.Communes[i].Name) < vntext.Fold(p.Communes[j].Name) })
	if p.Unzoned, err = s.d.Dispatch.Unzoned(ctx, u, office.ProvinceCode, 50); err != nil {
		return err
	}
	p.MapURL = dispatchBase + "/ban-do.json?bc=" + url.QueryEscape(office.Code)
	p.Outlines = dispatchBase + "/ranh-gioi/" + office.ProvinceCode
	v := s.viewFor(c, "Vùng phục vụ của bưu cục", p)
	v.Style = []string{"vendor/leaflet/leaflet.css", "css/dispatch.css"}
	v.Script = []string{"vendor/leaflet/leaflet.js", "js/dispatch-map.js"}
	return s.pageStatus(c, status, "dispatch_zones", v)
}

func (s *Server) dispatchCover(c *fiber.Ctx) error {
	u, office, _, err := s.dispatchScope(c, c.FormValue("bc"), "")
	if err != nil {
		return err
	}
	form := &zonesPage{Mode: c.FormValue("cach_phu", "center"), Replace: c.FormValue("thay_the") == "1", Skip: c.FormValue("bo_qua") == "1"}
	var codes []string
	args := c.Request().PostArgs()
	for _, v := range args.PeekMulti("xa") {
		code := string(v)
		codes = append(codes, code)
		form.Communes = append(form.Communes, communeOpt{Code: code, Checked: true})
	}
	res, err := s.d.Dispatch.CoverCommunes(c.UserContext(), u, app.CoverRequest{Office: office.Code, Communes: codes, Mode: form.Mode,
		Replace: form.Replace, SkipTaken: form.Skip})
	if err != nil {
		if userError(err) {
			return s.renderZones(c, fiber.StatusUnprocessableEntity, office.Code, form, err)
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("%s/vung?bc=%s&tb=vung&n=%d&m=%d", dispatchBase, url.QueryEscape(office.Code), res.Cells, res.Added), fiber.StatusSeeOther)
}

func splitCells(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' || r == '\r' || r == '\t' })
}

func (s *Server) dispatchCells(c *fiber.Ctx) error {
	u, office, _, err := s.dispatchScope(c, c.FormValue("bc"), "")
	if err != nil {
		return err
	}
	form := &zonesPage{Mode: "center", Skip: true, Add: c.FormValue("them"), Remove: c.FormValue("bot")}
	res, err := s.d.Dispatch.EditCells(c.UserContext(), u, office.Code, splitCells(form.Add), splitCells(form.Remove))
	if err != nil {
		if userError(err) {
			return s.renderZones(c, fiber.StatusUnprocessableEntity, office.Code, form, err)
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("%s/vung?bc=%s&tb=vung&n=%d&m=%d", dispatchBase, url.QueryEscape(office.Code), res.Cells, res.Added), fiber.StatusSeeOther)
}

// ---------- offices ----------

type officeRow struct {
	app.ZoneSummary
	Commune string
}

type officesPage struct {
	Tabs    []dispatchTab
	Offices []officeRow
	CSV     string
	Errors  map[string]string
	Summary []fieldError
	Flash   string
}

func (s *Server) dispatchOfficesPage(c *fiber.Ctx) error {
	return s.renderOffices(c, fiber.StatusOK, "", nil)
}

func (s *Server) renderOffices(c *fiber.Ctx, status int, csvText string, formErr error) error {
	u := currentUser(c)
	p := officesPage{Tabs: dispatchTabs(dispatchBase+"/buu-cuc", ""), CSV: csvText, Flash: flashFor(c)}
	if formErr != nil {
		p.Errors, p.Summary = formErrors(formErr, nil)
		p.Flash = ""
	}
	zs, err := s.d.Dispatch.Zones(c.UserContext(), u)
	if err != nil {
		return err
	}
	for _, z := range zs {
		r := officeRow{ZoneSummary: z, Commune: z.Office.CommuneCode}
		if cm, ok := s.d.Units.Commune(z.Office.CommuneCode); ok {
			r.Commune = cm.FullName
		}
		p.Offices = append(p.Offices, r)
	}
	v := s.viewFor(c, "Bưu cục", p)
	v.Style = []string{"css/dispatch.css"}
	return s.pageStatus(c, status, "dispatch_offices", v)
}

// maxImport bounds an uploaded office list.
const maxImport = 2 << 20

func (s *Server) dispatchOfficesImport(c *fiber.Ctx) error {
	text := c.FormValue("csv")
	if fh, err := c.FormFile("tep"); err == nil && fh.Size > 0 {
		if fh.Size > maxImport {
			return s.renderOffices(c, fiber.StatusUnprocessableEntity, "", errs.E(errs.Unprocessable, "Tệp lớn quá 2 MB"))
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		b, err := io.ReadAll(io.LimitReader(f, maxImport))
		f.Close()
		if err != nil {
			return err
		}
		text = string(b)
	}
	if strings.TrimSpace(text) == "" {
		return s.renderOffices(c, fiber.StatusUnprocessableEntity, text, errs.E(errs.Unprocessable, "Chọn tệp CSV hoặc dán nội dung vào ô bên dưới"))
	}
	res, err := s.d.Dispatch.ImportOffices(c.UserContext(), currentUser(c), strings.NewReader(text))
	if err != nil {
		if userError(err) {
			return s.renderOffices(c, fiber.StatusUnprocessableEntity, text, err)
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("%s/buu-cuc?tb=nhap&n=%d&m=%d", dispatchBase, res.Created, res.Updated), fiber.StatusSeeOther)
}
