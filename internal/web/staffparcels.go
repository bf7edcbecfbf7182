package web

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

// The staff parcel view: search by tracking number, dossier code, phone or
// CCCD digits; one page per parcel with its whole record; the phone shown
// only after a reason is given (audited).
const staffParcelsPath = "/nhan-vien/buu-gui"

func (s *Server) staffParcelRoutes(staff fiber.Router) {
	who := s.requireRole(app.RoleAdmin, app.RoleDispatcher, app.RoleOffice, app.RoleDesk)
	staff.Get("/buu-gui", who, s.staffParcelSearch)
	staff.Get("/buu-gui/:number", who, s.staffParcelPage)
	staff.Post("/buu-gui/:number/xem-so", who, s.staffParcelReveal)
}

type staffSearchPage struct {
	Q       string
	Done    bool
	Found   []app.Parcel
	Errors  map[string]string
	Summary []fieldError
}

func (s *Server) staffParcelSearch(c *fiber.Ctx) error {
	p := staffSearchPage{Q: c.Query("q")}
	found, err := s.d.StaffParcels.Search(c.UserContext(), currentUser(c), p.Q)
	if err != nil {
		if !userError(err) {
			return err
		}
		p.Errors, p.Summary = formErrors(err, map[string]string{"q": "q"})
		return s.pageStatus(c, fiber.StatusUnprocessableEntity, "staff_parcels", s.viewFor(c, "Tra cứu bưu gửi", p))
	}
	p.Found, p.Done = found, strings.TrimSpace(p.Q) != ""
	if len(found) == 1 && p.Done {
		return c.Redirect(staffParcelsPath+"/"+found[0].Number, fiber.StatusSeeOther)
	}
	return s.page(c, "staff_parcels", "Tra cứu bưu gửi", p)
}

type eventRow struct {
	Seq    int
	At     time.Time
	Type   string
	Actor  string
	Detail string
	Signed bool
}

type staffParcelPageData struct {
	Rec       app.ParcelRecord
	Events    []eventRow
	Phone     string // revealed
	Name      string // revealed with the phone
	Address   string // revealed with the phone
	Errors    map[string]string
	Summary   []fieldError
	Dates     *deadlineView // the legal deadline and the appointment (calendar.go)
	Number    string        // the parcel, when the path does not name it
	CanDecide bool          // may open a lost-original case
	Alarms    []staffAlarmRow
	Incidents []incidentView
	Manifests []manifestRow
	// The quiet-parcel form sent back with its error.
	QuietAlarm  int64
	QuietErrors map[string]string
	QuietNote   string
}

type staffAlarmRow struct {
	app.Alarm
	Quiet bool // open and of kind parcel_quiet: a lost-original case may start here
}

type manifestRow struct {
	app.ParcelManifest
	Giver, Receiver string
}

// eventDetail names what a supervisor needs of an event's data: the
// receiver of a release, the seal, the proof's method, documents counted,
// a reason. Nothing else of the data (proofs' values) is shown.
func eventDetail(data []byte) string {
	var m map[string]any
	if json.Unmarshal(data, &m) != nil {
		return ""
	}
	var parts []string
	if v, ok := m["to"].(string); ok {
		parts = append(parts, "cho "+v)
	}
	if v, ok := m["seal_id"].(string); ok && v != "" {
		parts = append(parts, "niêm phong "+v)
	}
	if v, ok := m["seal_intact"].(bool); ok {
		if v {
			parts = append(parts, "niêm phong nguyên vẹn")
		} else {
			parts = append(parts, "niêm phong KHÔNG nguyên vẹn")
		}
	}
	if pr, ok := m["proof"].(map[string]any); ok {
		if meth, ok := pr["method"].(string); ok {
			parts = append(parts, "bằng chứng: "+meth)
		}
	}
	if docs, ok := m["documents"].([]any); ok {
		var counts []string
		for _, d := range docs {
			if dm, ok := d.(map[string]any); ok {
				counts = append(counts, fmt.Sprintf("dòng %v: %v", dm["line"], dm["count"]))
			}
		}
		if len(counts) > 0 {
			parts = append(parts, "đếm "+strings.Join(counts, ", "))
		}
	}
	for _, k := range []string{"reason", "note", "outcome"} {
		if v, ok := m[k].(string); ok && v != "" {
			parts = append(parts, v)
		}
	}
	return strings.Join(parts, " · ")
}

func (s *Server) renderStaffParcel(c *fiber.Ctx, status int, p staffParcelPageData) error {
	number := p.Number
	if number == "" {
		number = c.Params("number")
	}
	u := currentUser(c)
	rec, err := s.d.StaffParcels.Record(c.UserContext(), u, number)
	if err != nil {
		return err
	}
	p.Rec = rec
	p.Dates = s.deadlines(c.UserContext(), rec.Parcel, rec.Events)
	p.CanDecide = u.Role == app.RoleAdmin || u.Role == app.RoleDispatcher
	name := s.namer(c.UserContext())
	for _, a := range rec.Alarms {
		p.Alarms = append(p.Alarms, staffAlarmRow{Alarm: a, Quiet: a.Kind == tracking.AlarmParcelQuiet && a.ClearedAt == nil})
	}
	for _, i := range rec.Incidents {
		p.Incidents = append(p.Incidents, s.incidentView(c, i))
	}
	for _, m := range rec.Manifests {
		p.Manifests = append(p.Manifests, manifestRow{ParcelManifest: m, Giver: name(m.Giver), Receiver: name(m.Receiver)})
	}
	for _, ev := range rec.Events {
		at := ev.ServerAt
		if ev.DeviceAt != nil {
			at = *ev.DeviceAt
		}
		p.Events = append(p.Events, eventRow{Seq: ev.Seq, At: at, Type: string(ev.Type), Actor: ev.Actor.Kind.Label() + " " + ev.Actor.Ref,
			Detail: eventDetail(ev.Data), Signed: ev.Device != nil})
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.pageStatus(c, status, "staff_parcel", s.viewFor(c, "Bưu gửi "+rec.Parcel.Number, p))
}

func (s *Server) staffParcelPage(c *fiber.Ctx) error {
	return s.renderStaffParcel(c, fiber.StatusOK, staffParcelPageData{})
}

func (s *Server) staffParcelReveal(c *fiber.Ctx) error {
	u := currentUser(c)
	rv, err := s.d.StaffParcels.RevealContact(c.UserContext(), u, c.Params("number"), c.FormValue("reason"))
	if err != nil {
		if !errs.Is(err, errs.Invalid) {
			return err
		}
		p := staffParcelPageData{}
		p.Errors, p.Summary = formErrors(err, map[string]string{"reason": "reason"})
		return s.renderStaffParcel(c, fiber.StatusUnprocessableEntity, p)
	}
	Logger(c.UserContext()).Info("phone revealed", "user_id", u.ID, "number", c.Params("number"), "ip", s.clientIP(c))
	return s.renderStaffParcel(c, fiber.StatusOK, staffParcelPageData{Phone: rv.Phone, Name: rv.Name, Address: rv.Address})
}
