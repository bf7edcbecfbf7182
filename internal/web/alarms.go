package web

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

type alarmView struct {
	app.Alarm
	Detail map[string]any
	Holder string
}

type alarmsPage struct {
	Open     []alarmView
	Recent   []alarmView
	CanAck   bool
	Scope    string
	Rejected []app.RejectedEvent
	// Paging of the rejected submissions: their total, the first shown
	// (from 1), and the offsets of the pages before and after (-1: none).
	RejectedTotal, RejectedFrom, RejectedPrev, RejectedNext int
}

// rejectedPage is how many kept rejections a page shows.
const rejectedPage = 100

func (s *Server) alarmViews(c *fiber.Ctx, as []app.Alarm) []alarmView {
	name := s.namer(c.UserContext())
	out := make([]alarmView, len(as))
	for i, a := range as {
		v := alarmView{Alarm: a}
		_ = json.Unmarshal(a.Detail, &v.Detail)
		if h, ok := v.Detail["holder"].(string); ok {
			if p, err := parseParty(h); err == nil && p.Kind != "" {
				v.Holder = name(p)
			}
		}
		if h, ok := v.Detail["giver"].(string); ok {
			if p, err := parseParty(h); err == nil {
				v.Holder = name(p)
			}
		}
		if h, ok := v.Detail["last_custodian"].(string); ok {
			if p, err := parseParty(h); err == nil {
				v.Holder = name(p)
			}
		}
		out[i] = v
	}
	return out
}

func (s *Server) alarmsPage(c *fiber.Ctx) error {
	u := currentUser(c)
	ctx := c.UserContext()
	open, err := s.d.Alarms.List(ctx, u, app.AlarmFilter{Open: true, Limit: 300})
	if err != nil {
		return err
	}
	all, err := s.d.Alarms.List(ctx, u, app.AlarmFilter{Limit: 400})
	if err != nil {
		return err
	}
	var recent []app.Alarm
	for _, a := range all {
		if a.ClearedAt != nil && len(recent) < 50 {
			recent = append(recent, a)
		}
	}
	p := alarmsPage{Open: s.alarmViews(c, open), Recent: s.alarmViews(c, recent), CanAck: true}
	switch u.Role {
	case app.RoleDispatcher:
		p.Scope = "tỉnh " + u.ProvinceCode
	case app.RoleOffice:
		p.Scope = "bưu cục " + u.OfficeCode
	case app.RoleDesk:
		p.Scope = "nơi tiếp nhận " + u.DeskCode
	default:
		p.Scope = "toàn hệ thống"
	}
	if u.Role == app.RoleDispatcher || u.Role == app.RoleAdmin {
		// A province's dispatcher sees every rejection of the province
		// (couriers, offices and desks), a page at a time.
		off, _ := strconv.Atoi(c.Query("tu_choi"))
		off = max(off, 0)
		if p.Rejected, p.RejectedTotal, err = s.d.Directory.Rejected(ctx, u, off, rejectedPage); err != nil {
			return err
		}
		p.RejectedFrom, p.RejectedPrev, p.RejectedNext = off+1, -1, -1
		if off > 0 {
			p.RejectedPrev = max(off-rejectedPage, 0)
		}
		if off+rejectedPage < p.RejectedTotal {
			p.RejectedNext = off + rejectedPage
		}
	}
	return s.page(c, "alarms", "Cảnh báo", p)
}

func (s *Server) alarmAck(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return errs.E(errs.NotFound, "không tìm thấy cảnh báo")
	}
	if err := s.d.Alarms.Acknowledge(c.UserContext(), currentUser(c), id); err != nil {
		return err
	}
	return c.Redirect("/nhan-vien/canh-bao", fiber.StatusSeeOther)
}

type alarmJSON struct {
	ID             int64              `json:"id"`
	Kind           tracking.AlarmKind `json:"kind"`
	Label          string             `json:"label"`
	TrackingNumber string             `json:"tracking_number,omitempty"`
	Level          int                `json:"level"`
	RaisedAt       string             `json:"raised_at"`
	DueAt          string             `json:"due_at"`
	Acknowledged   bool               `json:"acknowledged"`
	Cleared        bool               `json:"cleared"`
	Detail         map[string]any     `json:"detail"`
}

func (s *Server) alarmsJSON(c *fiber.Ctx) error {
	u, ok := c.Locals(localUser).(app.User)
	if !ok {
		return errs.E(errs.Unauthorized, "Cần đăng nhập")
	}
	as, err := s.d.Alarms.List(c.UserContext(), u, app.AlarmFilter{Open: c.Query("all") == "", Limit: 500})
	if err != nil {
		return err
	}
	out := make([]alarmJSON, len(as))
	for i, a := range as {
		out[i] = alarmJSON{ID: a.ID, Kind: a.Kind, Label: a.Label(), TrackingNumber: a.Number, Level: a.Level,
			RaisedAt: a.RaisedAt.In(vietnam).Format(time.RFC3339), DueAt: a.DueAt.In(vietnam).Format(time.RFC3339),
			Acknowledged: a.AcknowledgedAt != nil, Cleared: a.ClearedAt != nil}
		_ = json.Unmarshal(a.Detail, &out[i].Detail)
	}
	return c.JSON(out)
}
