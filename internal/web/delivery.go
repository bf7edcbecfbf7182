package web

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/dispatch"
	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

// The delivery window of a result (issue 19): its free slots and the
// choice, for the portal that registered the result and for staff in scope.

type deliverySlotJSON struct {
	Start string `json:"start"`
	End   string `json:"end"`
	Free  bool   `json:"free"`
}

type deliverySlotsJSON struct {
	TrackingNumber string             `json:"tracking_number"`
	Date           string             `json:"date"`
	Slots          []deliverySlotJSON `json:"slots"`
}

type deliveryWindowBody struct {
	Start string `json:"start"`
}

type deliveryWindowJSON struct {
	TrackingNumber string `json:"tracking_number"`
	Start          string `json:"start"`
	End            string `json:"end"`
	ChosenBy       string `json:"chosen_by"`
}

// ownResult is a return-leg parcel the calling portal registered.
func (s *Server) ownResult(c *fiber.Ctx) (app.Parcel, error) {
	p, err := s.d.Intake.Store.FindParcel(c.UserContext(), c.Params("id"))
	if err != nil {
		return app.Parcel{}, err
	}
	if p.PortalClient != portalClient(c).ID || p.Leg != tracking.LegReturn {
		return app.Parcel{}, errs.E(errs.NotFound, "không tìm thấy kết quả")
	}
	return p, nil
}

func parseSlotDay(c *fiber.Ctx) (dispatch.Day, error) {
	q := strings.TrimSpace(c.Query("date"))
	if q == "" {
		return dispatch.Day{}, errs.E(errs.Invalid, "Thiếu ngày giao").WithFields(map[string]string{"date": "bắt buộc, dạng 2026-11-24"})
	}
	d, err := dispatch.ParseDay(q)
	if err != nil {
		return dispatch.Day{}, errs.E(errs.Invalid, "Ngày giao không hợp lệ").WithFields(map[string]string{"date": "dạng 2026-11-24"})
	}
	return d, nil
}

func (s *Server) slotsJSON(c *fiber.Ctx, number string) error {
	day, err := parseSlotDay(c)
	if err != nil {
		return err
	}
	slots, err := s.d.Dispatch.DeliverySlots(c.UserContext(), number, day)
	if err != nil {
		return err
	}
	out := deliverySlotsJSON{TrackingNumber: number, Date: day.String(), Slots: []deliverySlotJSON{}}
	for _, sl := range slots {
		out.Slots = append(out.Slots, deliverySlotJSON{Start: sl.Window.Start.In(vietnam).Format(time.RFC3339),
			End: sl.Window.End.In(vietnam).Format(time.RFC3339), Free: sl.Free})
	}
	return c.JSON(out)
}

func (s *Server) chooseJSON(c *fiber.Ctx, u app.User, by, number string) error {
	var b deliveryWindowBody
	if err := decodeJSON(c.Body(), &b); err != nil {
		return err
	}
	start, err := time.Parse(time.RFC3339, strings.TrimSpace(b.Start))
	if err != nil {
		return errs.E(errs.Invalid, "Khung giờ giao chưa hợp lệ").WithFields(map[string]string{"start": "giờ bắt đầu một khung, dạng 2026-11-24T09:30:00+07:00"})
	}
	w, err := s.d.Dispatch.ChooseDeliverySlot(c.UserContext(), u, by, number, start)
	if err != nil {
		return err
	}
	return c.JSON(deliveryWindowJSON{TrackingNumber: number, Start: w.Start.In(vietnam).Format(time.RFC3339),
		End: w.End.In(vietnam).Format(time.RFC3339), ChosenBy: by})
}

// GET /api/v1/portal/results/:id/delivery-slots?date=YYYY-MM-DD
func (s *Server) portalDeliverySlots(c *fiber.Ctx) error {
	p, err := s.ownResult(c)
	if err != nil {
		return err
	}
	return s.slotsJSON(c, p.Number)
}

// POST /api/v1/portal/results/:id/delivery-window {"start": "…"}
func (s *Server) portalDeliveryWindow(c *fiber.Ctx) error {
	p, err := s.ownResult(c)
	if err != nil {
		return err
	}
	return s.chooseJSON(c, app.User{}, app.ChosenByPortal, p.Number)
}

// GET /api/v1/staff/results/:number/delivery-slots?date=YYYY-MM-DD
func (s *Server) staffDeliverySlots(c *fiber.Ctx) error {
	return s.slotsJSON(c, strings.ToUpper(strings.TrimSpace(c.Params("number"))))
}

// POST /api/v1/staff/results/:number/delivery-window {"start": "…"}: a
// clerk (desk, post office) or a dispatcher (admin) on the citizen's behalf.
func (s *Server) staffDeliveryWindow(c *fiber.Ctx) error {
	u := currentUser(c)
	by := app.ChosenByClerk
	if u.Role == app.RoleDispatcher || u.Role == app.RoleAdmin {
		by = app.ChosenByDispatcher
	}
	return s.chooseJSON(c, u, by, strings.ToUpper(strings.TrimSpace(c.Params("number"))))
}
