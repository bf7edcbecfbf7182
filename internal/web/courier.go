package web

import (
	"encoding/json"
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

type eventBatch struct {
	Events []json.RawMessage `json:"events"`
}

// courierEvents takes a batch of 1–500 events recorded on the device.
func (s *Server) courierEvents(c *fiber.Ctx) error {
	var b eventBatch
	if err := decodeJSON(c.Body(), &b); err != nil {
		return err
	}
	if len(b.Events) < 1 || len(b.Events) > app.MaxBatch {
		return errs.E(errs.Invalid, "Một lần gửi có từ 1 đến %d sự kiện", app.MaxBatch).WithFields(map[string]string{"events": "1–500 sự kiện"})
	}
	// Each event is decoded, checked and, if refused, kept on its own
	// (malformed, invalid UTF-8…): the others still go in.
	device, _ := c.Locals(localDevice).(string) // empty for staff pages
	res, err := s.d.Sync.Apply(c.UserContext(), currentUser(c), device, b.Events)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"results": res})
}

// staffAPI lets signed-in office and desk staff send the same event batches
// from their pages (session cookie plus the X-CSRF-Token header).
func (s *Server) staffAPI(c *fiber.Ctx) error {
	u, ok := c.Locals(localUser).(app.User)
	if !ok {
		return errs.E(errs.Unauthorized, "Cần đăng nhập")
	}
	if u.Role != app.RoleOffice && u.Role != app.RoleDesk {
		return errs.E(errs.Forbidden, "chỉ bưu cục và bộ phận một cửa dùng được API này")
	}
	return c.Next()
}

type stopJSON struct {
	Stop           int             `json:"stop"`
	TrackingNumber string          `json:"tracking_number"`
	Kind           string          `json:"kind"` // pickup | delivery | handoff
	Leg            tracking.Leg    `json:"leg"`
	Status         tracking.Status `json:"status"`
	StatusLabel    string          `json:"status_label"`
	Window         *windowJSON     `json:"window,omitempty"`
	Windows        []windowJSON    `json:"windows"`
	Address        stopAddress     `json:"address"`
	Contact        citizenJSON     `json:"contact"`
	DossierCode    string          `json:"dossier_code"`
	Procedure      string          `json:"procedure"`
	Desk           string          `json:"desk"`
	DeskCode       string          `json:"desk_code"`
	Documents      []docJSON       `json:"documents"`
	SealID         string          `json:"seal_id,omitempty"`
	ReceiptCode    string          `json:"receipt_code,omitempty"`
	Fee            int64           `json:"fee"`
	Attempts       int             `json:"attempts"`
	Holder         string          `json:"holder"`
	Pending        *pendingJSON    `json:"pending_handoff,omitempty"`
	Extra          map[string]any  `json:"-"`
}

type stopAddress struct {
	Commune string  `json:"commune"`
	Line    string  `json:"line"`
	Lat     float64 `json:"lat"`
	Lng     float64 `json:"lng"`
	Approx  bool    `json:"approx"`
}

type pendingJSON struct {
	From string `json:"from"`
	To   string `json:"to"`
	Mine bool   `json:"to_me"`
}

// courierRoute lists the courier's stops for a day, in order: planned
// pickups, results to deliver, parcels to hand over and releases waiting for
// them. Contacts are masked; the phone of a stop is revealed on its own.
func (s *Server) courierRoute(c *fiber.Ctx) error {
	u := currentUser(c)
	day := time.Now().In(vietnam)
	if q := c.Query("date"); q != "" {
		d, err := time.ParseInLocation("2006-01-02", q, vietnam)
		if err != nil {
			return errs.E(errs.Invalid, "Ngày theo dạng YYYY-MM-DD").WithFields(map[string]string{"date": "YYYY-MM-DD"})
		}
		day = d
	}
	ps, err := s.d.Directory.CourierRoute(c.UserContext(), u, day)
	if err != nil {
		return err
	}
	name := s.namer(c.UserContext())
	me := u.Party()
	out := make([]stopJSON, 0, len(ps))
	pend, err := s.d.Directory.PendingHandoffs(c.UserContext(), parcelIDs(ps))
	if err != nil {
		return err
	}
	for i, p := range ps {
		st := stopJSON{Stop: i + 1, TrackingNumber: p.Number, Leg: p.Leg, Status: p.Status, StatusLabel: p.Status.Label(),
			DossierCode: p.Dossier.Code, Procedure: p.Dossier.ProcedureName, Desk: name(partyDesk(p.DeskCode)), DeskCode: p.DeskCode,
			Contact: citizenJSON{Initials: initials(p.CitizenName), Phone: maskLast3(p.PhoneLast3)},
			Address: stopAddress{Commune: s.communeName(p.CommuneCode), Line: p.AddressLine, Lat: p.Lat, Lng: p.Lng, Approx: p.LocationApprox},
			SealID:  p.SealID, ReceiptCode: p.ReceiptCode, Fee: p.FeeAmount, Attempts: p.Attempts, Windows: []windowJSON{}, Documents: []docJSON{}}
		if p.RouteStop > 0 {
			st.Stop = p.RouteStop
		}
		switch {
		case p.Leg == tracking.LegReturn:
			st.Kind = "delivery"
		case p.Custodian == me:
			st.Kind = "handoff"
		default:
			st.Kind = "pickup"
		}
		if h, ok := pend[p.ID]; ok {
			st.Pending = &pendingJSON{From: h.Giver.String(), To: h.Receiver.String(), Mine: h.Receiver == me}
			if h.Receiver == me {
				st.Kind = "receive"
			}
		}
		st.Holder = name(p.Custodian)
		if p.PlannedDate != nil && p.WindowStart != nil && p.WindowEnd != nil {
			st.Window = &windowJSON{Start: rfc(*p.WindowStart), End: rfc(*p.WindowEnd)}
		}
		for _, w := range p.Windows {
			st.Windows = append(st.Windows, windowJSON{Start: rfc(w.Start), End: rfc(w.End)})
		}
		counted := map[int]tracking.DocCount{}
		for _, cd := range p.Collected {
			counted[cd.Line] = cd
		}
		for j, d := range p.Documents {
			dj := docJSON{Line: j + 1, Name: d.Name, Kind: string(d.Kind), Count: d.Count}
			if cd, ok := counted[j+1]; ok {
				n := cd.Count
				dj.CollectedCount = &n
				dj.Disposition = cd.Disposition
			}
			st.Documents = append(st.Documents, dj)
		}
		out = append(out, st)
	}
	return c.JSON(fiber.Map{"date": day.Format("2006-01-02"), "courier": courierJSON{Username: u.Username, StaffCode: u.StaffCode,
		FullName: u.FullName, OfficeCode: u.OfficeCode}, "stops": out})
}

func parcelIDs(ps []app.Parcel) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func partyDesk(code string) tracking.Party {
	return tracking.Party{Kind: tracking.PartyDesk, Ref: code}
}

func (s *Server) communeName(code string) string {
	if c, ok := s.d.Units.Commune(code); ok {
		return c.FullName
	}
	return code
}

type keyRequest struct {
	Alg       string `json:"alg"`
	PublicKey string `json:"public_key"`
	Password  string `json:"password"`
}

// courierKey registers the device's public key for signing events. The
// courier types the password again: a bearer token alone cannot replace a
// key. 201 when a key was registered or replaced, 200 when it was already
// the device's live key.
func (s *Server) courierKey(c *fiber.Ctx) error {
	var req keyRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	device, _ := c.Locals(localDevice).(string)
	k, changed, err := s.d.Devices.RegisterKey(c.UserContext(), currentUser(c), device, req.Alg, req.PublicKey, req.Password)
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if changed {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(fiber.Map{"device_id": device, "alg": k.Alg, "fingerprint": tracking.KeyFingerprint(k.Alg, k.PublicKey),
		"registered_at": k.CreatedAt.In(vietnam).Format(time.RFC3339)})
}

// courierDoorCode asks for a one-time code to be sent to the citizen.
func (s *Server) courierDoorCode(c *fiber.Ctx) error {
	if err := s.d.Devices.IssueDoorCode(c.UserContext(), currentUser(c), c.Params("number")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// courierReveal shows the courier the phone and full name of a stop they
// hold or are scheduled for; every reveal is audited.
func (s *Server) courierReveal(c *fiber.Ctx) error {
	u := currentUser(c)
	p, err := s.d.Intake.ParcelByNumber(c.UserContext(), c.Params("number"))
	if err != nil {
		return err
	}
	if p.Custodian != u.Party() && p.CourierRef != u.StaffCode {
		return errs.E(errs.Forbidden, "chỉ xem được số điện thoại của điểm dừng trong tuyến của mình")
	}
	phone, err := s.d.Intake.RevealPhone(c.UserContext(), u, p, "courier stop")
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"tracking_number": p.Number, "full_name": p.CitizenName, "phone": phone})
}

type evidenceRequest struct {
	TrackingNumber string `json:"tracking_number"`
	Kind           string `json:"kind"`
	ContentType    string `json:"content_type"`
	Data           string `json:"data"`
}

// MaxEvidence is the largest signature or photo accepted.
const MaxEvidence = 2 << 20

// courierEvidence stores a signature or photo taken at the door; events
// refer to it by its SHA-256. Sending it twice changes nothing.
func (s *Server) courierEvidence(c *fiber.Ctx) error {
	var req evidenceRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	sum, err := s.d.Devices.StoreEvidence(c.UserContext(), currentUser(c), req.TrackingNumber, req.Kind, req.ContentType, req.Data)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"sha256": sum})
}
