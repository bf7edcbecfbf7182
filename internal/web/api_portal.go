package web

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

// MaxPortalBody is the largest portal request body.
const MaxPortalBody = 1 << 20

func itoa(n int) string { return strconv.Itoa(n) }

// decodeJSON decodes one JSON object strictly: unknown fields, wrong types,
// trailing data and syntax errors are Invalid with the field named.
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return errs.E(errs.Invalid, "Thiếu nội dung JSON")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if _, terr := dec.Token(); terr != io.EOF {
			return errs.E(errs.Invalid, "Nội dung JSON có dữ liệu thừa sau đối tượng")
		}
		return nil
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return errs.E(errs.Invalid, "JSON không hợp lệ ở vị trí %d", se.Offset)
	case errors.As(err, &te):
		field := te.Field
		if field == "" {
			field = "body"
		}
		return errs.E(errs.Invalid, "Sai kiểu dữ liệu").WithFields(map[string]string{field: "phải là " + jsonType(te.Type.Kind().String())})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return errs.E(errs.Invalid, "Trường không được hỗ trợ: %s", f).WithFields(map[string]string{f: "trường không có trong hợp đồng API"})
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.E(errs.Invalid, "JSON bị cắt ngang")
	}
	return errs.E(errs.Invalid, "JSON không hợp lệ")
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "chuỗi"
	case "int", "int64", "int32", "float64":
		return "số"
	case "bool":
		return "true/false"
	case "slice":
		return "mảng"
	case "struct", "map":
		return "đối tượng"
	}
	return kind
}

// pickupBody is the contract's create body.
type pickupBody struct {
	Dossier struct {
		Code          string `json:"code"`
		ProcedureCode string `json:"procedure_code"`
		ProcedureName string `json:"procedure_name"`
		DeskCode      string `json:"desk_code"`
		LegalDeadline string `json:"legal_deadline"`
	} `json:"dossier"`
	Citizen struct {
		FullName string `json:"full_name"`
		Phone    string `json:"phone"`
		IDNumber string `json:"id_number"`
	} `json:"citizen"`
	Address struct {
		ProvinceCode string   `json:"province_code"`
		CommuneCode  string   `json:"commune_code"`
		Line         string   `json:"line"`
		Lat          *float64 `json:"lat"`
		Lng          *float64 `json:"lng"`
	} `json:"address"`
	Documents []struct {
		Name  string `json:"name"`
		Kind  string `json:"kind"`
		Count int    `json:"count"`
	} `json:"documents"`
	Windows []struct {
		Start string `json:"start"`
		End   string `json:"end"`
	} `json:"windows"`
	ReturnByPost bool `json:"return_by_post"`
}

// toRequest converts the body; malformed dates and times are Invalid with
// the field named.
func (b pickupBody) toRequest() (tracking.PickupRequest, error) {
	f := errs.Fields{}
	r := tracking.PickupRequest{
		Dossier: tracking.Dossier{Code: b.Dossier.Code, ProcedureCode: b.Dossier.ProcedureCode, ProcedureName: b.Dossier.ProcedureName,
			DeskCode: b.Dossier.DeskCode, ReturnByPost: b.ReturnByPost},
		Citizen: tracking.Citizen{FullName: b.Citizen.FullName, Phone: b.Citizen.Phone, IDNumber: b.Citizen.IDNumber},
		Address: tracking.Address{ProvinceCode: b.Address.ProvinceCode, CommuneCode: b.Address.CommuneCode, Line: b.Address.Line,
			Lat: b.Address.Lat, Lng: b.Address.Lng},
	}
	if b.Dossier.LegalDeadline != "" {
		d, err := time.ParseInLocation("2006-01-02", b.Dossier.LegalDeadline, vietnam)
		if err != nil {
			f.Add("dossier.legal_deadline", "ngày theo dạng YYYY-MM-DD")
		} else {
			r.Dossier.LegalDeadline = &d
		}
	}
	for _, d := range b.Documents {
		r.Documents = append(r.Documents, tracking.Document{Name: d.Name, Kind: tracking.DocKind(d.Kind), Count: d.Count})
	}
	for i, w := range b.Windows {
		s, err1 := time.Parse(time.RFC3339, w.Start)
		e, err2 := time.Parse(time.RFC3339, w.End)
		if err1 != nil {
			f.Add(fmt.Sprintf("windows[%d].start", i), "thời điểm RFC 3339 có múi giờ, ví dụ 2026-11-24T08:00:00+07:00")
		}
		if err2 != nil {
			f.Add(fmt.Sprintf("windows[%d].end", i), "thời điểm RFC 3339 có múi giờ, ví dụ 2026-11-24T10:00:00+07:00")
		}
		r.Windows = append(r.Windows, tracking.Window{Start: s, End: e})
	}
	return r, f.Err(errs.Invalid, "Yêu cầu không hợp lệ")
}

// portalAuth authenticates a signed portal request and bounds its body.
func (s *Server) portalAuth(c *fiber.Ctx) error {
	body := c.Body()
	if len(body) > MaxPortalBody {
		return errs.E(errs.Invalid, "Nội dung yêu cầu vượt quá 1 MiB").WithFields(map[string]string{"body": "tối đa 1 MiB"})
	}
	client, err := s.d.Portal.Authenticate(c.UserContext(), app.SignedRequest{
		PortalID: c.Get("X-Portal-Id"), Timestamp: c.Get("X-Timestamp"), Nonce: c.Get("X-Nonce"), Signature: c.Get("X-Signature"),
		Method: c.Method(), PathWithQuery: c.OriginalURL(), Body: body,
	})
	if err != nil {
		return err
	}
	c.Locals(localPortal, client)
	return c.Next()
}

func portalClient(c *fiber.Ctx) app.PortalClient {
	p, _ := c.Locals(localPortal).(app.PortalClient)
	return p
}

// idempotent runs a portal POST once per Idempotency-Key and writes the
// stored (or fresh) response byte for byte.
func (s *Server) idempotent(c *fiber.Ctx, scope string, fn func(ctx context.Context) (int, any, error)) error {
	key := c.Get("Idempotency-Key")
	if key == "" {
		return errs.E(errs.Invalid, "Thiếu tiêu đề Idempotency-Key").WithFields(map[string]string{"Idempotency-Key": "bắt buộc với mọi yêu cầu POST"})
	}
	if !app.ValidKey(key) {
		return errs.E(errs.Invalid, "Idempotency-Key không hợp lệ").WithFields(map[string]string{"Idempotency-Key": "1–255 ký tự ASCII in được"})
	}
	rec, replayed, err := s.d.Idem.Do(c.UserContext(), scope, key, app.RequestHash(c.Method(), c.OriginalURL(), c.Body()),
		func(ctx context.Context) (int, string, []byte, error) {
			status, v, err := fn(ctx)
			if err != nil {
				return 0, "", nil, err
			}
			b, err := json.Marshal(v)
			if err != nil {
				return 0, "", nil, err
			}
			return status, fiber.MIMEApplicationJSONCharsetUTF8, b, nil
		})
	if err != nil {
		return err
	}
	if replayed {
		c.Set("Idempotent-Replayed", "true")
	}
	c.Set(fiber.HeaderContentType, rec.ContentType)
	return c.Status(rec.Status).Send(rec.Body)
}

type deskJSON struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	CommuneCode  string `json:"commune_code"`
	ProvinceCode string `json:"province_code"`
}

func (s *Server) portalDesks(c *fiber.Ctx) error {
	desks, err := s.d.Directory.Desks(c.UserContext(), portalClient(c).ProvinceCode)
	if err != nil {
		return err
	}
	out := make([]deskJSON, 0, len(desks))
	for _, d := range desks {
		if d.Active { // a deactivated desk receives no new dossier
			out = append(out, deskJSON{Code: d.Code, Name: d.Name, CommuneCode: d.CommuneCode, ProvinceCode: d.ProvinceCode})
		}
	}
	return c.JSON(out)
}

type createdJSON struct {
	ID             string          `json:"id"`
	TrackingNumber string          `json:"tracking_number"`
	Status         tracking.Status `json:"status"`
	TrackingURL    string          `json:"tracking_url"`
	CreatedAt      string          `json:"created_at"`
}

func (s *Server) portalCreate(c *fiber.Ctx) error {
	client := portalClient(c)
	var body pickupBody
	if err := decodeJSON(c.Body(), &body); err != nil {
		return err
	}
	req, err := body.toRequest()
	if err != nil {
		return err
	}
	req.Channel, req.PortalClient = tracking.ChannelPortal, client.ID
	return s.idempotent(c, "portal:"+client.ID, func(ctx context.Context) (int, any, error) {
		desk, err := s.d.Directory.Desk(ctx, req.Dossier.DeskCode)
		if err == nil && desk.ProvinceCode != client.ProvinceCode {
			return 0, nil, errs.E(errs.Unprocessable, "Yêu cầu thu gom chưa hợp lệ").
				WithFields(map[string]string{"dossier.desk_code": "cổng này không được gửi hồ sơ đến " + desk.Name})
		}
		p, err := s.d.Intake.Create(ctx, req)
		if err != nil {
			return 0, nil, err
		}
		return fiber.StatusCreated, createdJSON{ID: p.ID, TrackingNumber: p.Number, Status: p.Status,
			TrackingURL: s.d.BaseURL + "/tra-cuu/" + p.Number, CreatedAt: p.CreatedAt.In(vietnam).Format(time.RFC3339)}, nil
	})
}

// ownPickup loads a pickup that belongs to the calling portal; any other is
// not found (never forbidden: no enumeration).
func (s *Server) ownPickup(c *fiber.Ctx) (app.Parcel, error) {
	return s.d.Intake.PortalPickup(c.UserContext(), portalClient(c).ID, c.Params("id"))
}

func (s *Server) portalGet(c *fiber.Ctx) error {
	p, err := s.ownPickup(c)
	if err != nil {
		return err
	}
	v, err := s.pickupView(c, p)
	if err != nil {
		return err
	}
	return c.JSON(v)
}

func (s *Server) portalList(c *fiber.Ctx) error {
	code := strings.TrimSpace(c.Query("dossier_code"))
	if code == "" {
		return errs.E(errs.Invalid, "Thiếu tham số dossier_code").WithFields(map[string]string{"dossier_code": "bắt buộc"})
	}
	ps, err := s.d.Intake.PortalPickups(c.UserContext(), portalClient(c).ID, code)
	if err != nil {
		return err
	}
	out := make([]pickupJSON, 0, len(ps))
	for _, p := range ps {
		v, err := s.pickupView(c, p)
		if err != nil {
			return err
		}
		out = append(out, v)
	}
	return c.JSON(out)
}

type cancelBody struct {
	Reason string `json:"reason"`
}

func (s *Server) portalCancel(c *fiber.Ctx) error {
	var body cancelBody
	if len(bytes.TrimSpace(c.Body())) > 0 {
		if err := decodeJSON(c.Body(), &body); err != nil {
			return err
		}
	}
	client := portalClient(c)
	return s.idempotent(c, "portal:"+client.ID, func(ctx context.Context) (int, any, error) {
		p, err := s.ownPickup(c)
		if err != nil {
			return 0, nil, err
		}
		p, err = s.d.Intake.Cancel(ctx, p, tracking.Party{Kind: tracking.PartyPortal, Ref: client.ID}, body.Reason)
		if err != nil {
			return 0, nil, err
		}
		v, err := s.pickupViewCtx(ctx, p)
		return fiber.StatusOK, v, err
	})
}

func (s *Server) states(c *fiber.Ctx) error {
	return c.JSON(statesDocument())
}

type stateJSON struct {
	Status tracking.Status `json:"status"`
	Label  string          `json:"label"`
	Leg    tracking.Leg    `json:"leg"`
	Final  bool            `json:"final"`
}

func statesDocument() fiber.Map {
	var sts []stateJSON
	for _, leg := range []tracking.Leg{tracking.LegPickup, tracking.LegReturn} {
		seen := map[tracking.Status]bool{}
		for _, r := range tracking.Rules {
			if r.Leg != leg {
				continue
			}
			for _, st := range append(append([]tracking.Status{}, r.From...), r.To) {
				if st == "" || st == "*" || seen[st] {
					continue
				}
				seen[st] = true
				sts = append(sts, stateJSON{Status: st, Label: st.Label(), Leg: leg, Final: st.Terminal()})
			}
		}
	}
	var events []fiber.Map
	for _, t := range tracking.EventTypes {
		events = append(events, fiber.Map{"type": t})
	}
	return fiber.Map{"states": sts, "transitions": tracking.Rules, "events": events,
		"handoff_targets": handoffTargets(),
		"ordering": "Sự kiện được áp dụng theo thứ tự máy chủ nhận (server_at); thời điểm trên thiết bị (device_at) được giữ và dùng để hiển thị dòng thời gian. " +
			"Events apply in the order the server receives them (server_at); device time (device_at) is kept and used to order the timeline."}
}

func handoffTargets() []fiber.Map {
	var out []fiber.Map
	kinds := []tracking.PartyKind{tracking.PartyCourier, tracking.PartyOffice, tracking.PartyDesk}
	for _, leg := range []tracking.Leg{tracking.LegPickup, tracking.LegReturn} {
		for _, g := range kinds {
			for _, r := range kinds {
				st, upu, err := tracking.HandoffStatus(leg, "(unchanged)", g, r)
				if err != nil {
					continue
				}
				out = append(out, fiber.Map{"leg": leg, "giver": g, "receiver": r, "to": st, "upu_code": upu})
			}
		}
	}
	return out
}
