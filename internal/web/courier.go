package web

import (
	"encoding/json"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
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
	evs := make([]app.DeviceEvent, len(b.Events))
	for i, raw := range b.Events {
		// A malformed event is rejected on its own; the others still go in.
		if err := decodeJSON(raw, &evs[i]); err != nil {
			var loose struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(raw, &loose)
			evs[i] = app.DeviceEvent{ID: loose.ID, Type: "!invalid"}
		}
	}
	device, _ := c.Locals(localDevice).(string) // empty for staff pages
	res, err := s.d.Sync.Apply(c.UserContext(), currentUser(c), device, evs, b.Events)
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
