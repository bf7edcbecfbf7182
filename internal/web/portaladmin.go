package web

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
)

// Portal client pages: an admin registers the province's portals, sets
// their callback URL, rotates their secret with an overlap window,
// suspends them and reads their callback history.
const portalsPath = "/nhan-vien/cong"

func (s *Server) portalAdminRoutes(staff fiber.Router) {
	admin := s.requireRole(app.RoleAdmin)
	staff.Get("/cong", admin, s.portalsPage)
	staff.Post("/cong", admin, s.portalRegister)
	staff.Get("/cong/:id", admin, s.portalClientPage)
	staff.Post("/cong/:id/goi-lai", admin, s.portalCallback)
	staff.Post("/cong/:id/doi-khoa", admin, s.portalRotate)
	staff.Post("/cong/:id/trang-thai", admin, s.portalActive)
}

type portalsPageData struct {
	Clients []app.PortalClient
	ID      string
	Name    string
	Prov    string
	Hook    string
	Admin   app.User
	Errors  map[string]string
	Summary []fieldError
	Flash   string
}

var portalFieldIDs = map[string]string{"id": "cong-id", "name": "cong-ten", "province": "cong-tinh", "callback": "cong-goi-lai", "overlap": "chong-lan"}

func (s *Server) portalsPage(c *fiber.Ctx) error {
	return s.renderPortals(c, fiber.StatusOK, portalsPageData{Flash: s.flashText(c)})
}

func (s *Server) renderPortals(c *fiber.Ctx, status int, p portalsPageData) error {
	u := currentUser(c)
	list, err := s.d.PortalAdmin.Clients(c.UserContext(), u)
	if err != nil {
		return err
	}
	p.Clients, p.Admin = list, u
	return s.pageStatus(c, status, "portals", s.viewFor(c, "Cổng dịch vụ công", p))
}

type portalSecretPage struct {
	Client app.PortalClient
	Secret string
	Until  *time.Time // the old secret's end (a rotation)
}

func (s *Server) portalRegister(c *fiber.Ctx) error {
	p := portalsPageData{ID: c.FormValue("id"), Name: c.FormValue("name"), Prov: c.FormValue("province"), Hook: c.FormValue("callback")}
	cl, sec, err := s.d.PortalAdmin.Register(c.UserContext(), currentUser(c), p.ID, p.Name, p.Prov, p.Hook)
	if err != nil {
		if !userError(err) {
			return err
		}
		p.Errors, p.Summary = formErrors(err, portalFieldIDs)
		return s.renderPortals(c, fiber.StatusUnprocessableEntity, p)
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.page(c, "portal_secret", "Khóa bí mật của cổng", portalSecretPage{Client: cl, Secret: sec})
}

type portalClientData struct {
	Client    app.PortalClient
	Callbacks []app.OutboxEntry
	Hook      string
	Errors    map[string]string
	Summary   []fieldError
	Flash     string
}

func (s *Server) portalClientPage(c *fiber.Ctx) error {
	return s.renderPortalClient(c, fiber.StatusOK, portalClientData{Flash: s.flashText(c)}, true)
}

func (s *Server) renderPortalClient(c *fiber.Ctx, status int, p portalClientData, fillHook bool) error {
	u := currentUser(c)
	cl, err := s.d.PortalAdmin.Client(c.UserContext(), u, c.Params("id"))
	if err != nil {
		return err
	}
	p.Client = cl
	if fillHook {
		p.Hook = cl.CallbackURL
	}
	if p.Callbacks, err = s.d.PortalAdmin.Callbacks(c.UserContext(), u, cl.ID, 100); err != nil {
		return err
	}
	return s.pageStatus(c, status, "portal_client", s.viewFor(c, "Cổng "+cl.ID, p))
}

func (s *Server) portalBack(c *fiber.Ctx, msg string) error {
	return c.Redirect(portalsPath+"/"+url.PathEscape(c.Params("id"))+"?"+s.flashQuery(c, msg), fiber.StatusSeeOther)
}

func (s *Server) portalCallback(c *fiber.Ctx) error {
	hook := c.FormValue("callback")
	if err := s.d.PortalAdmin.SetCallback(c.UserContext(), currentUser(c), c.Params("id"), hook); err != nil {
		if !userError(err) {
			return err
		}
		p := portalClientData{Hook: hook}
		p.Errors, p.Summary = formErrors(err, portalFieldIDs)
		return s.renderPortalClient(c, fiber.StatusUnprocessableEntity, p, false)
	}
	if strings.TrimSpace(hook) == "" {
		return s.portalBack(c, "Đã tắt thông báo về cổng.")
	}
	return s.portalBack(c, "Đã lưu địa chỉ nhận thông báo.")
}

func (s *Server) portalRotate(c *fiber.Ctx) error {
	hours, err := strconv.Atoi(strings.TrimSpace(c.FormValue("overlap_hours")))
	if err != nil {
		hours = -1
	}
	sec, until, err := s.d.PortalAdmin.RotateSecret(c.UserContext(), currentUser(c), c.Params("id"), time.Duration(hours)*time.Hour)
	if err != nil {
		if !userError(err) {
			return err
		}
		p := portalClientData{}
		p.Errors, p.Summary = formErrors(err, portalFieldIDs)
		return s.renderPortalClient(c, fiber.StatusUnprocessableEntity, p, true)
	}
	cl, err := s.d.PortalAdmin.Client(c.UserContext(), currentUser(c), c.Params("id"))
	if err != nil {
		return err
	}
	Logger(c.UserContext()).Info("portal secret rotated", "portal", cl.ID, "actor_id", currentUser(c).ID, "ip", s.clientIP(c))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.page(c, "portal_secret", "Khóa bí mật mới của cổng", portalSecretPage{Client: cl, Secret: sec, Until: &until})
}

func (s *Server) portalActive(c *fiber.Ctx) error {
	active := c.FormValue("active") == "1"
	if err := s.d.PortalAdmin.SetActive(c.UserContext(), currentUser(c), c.Params("id"), active, c.FormValue("ghi_chu")); err != nil {
		return err
	}
	if active {
		return s.portalBack(c, "Đã cho cổng hoạt động lại.")
	}
	return s.portalBack(c, "Đã tạm dừng cổng: mọi yêu cầu ký bằng khóa của cổng bị từ chối, thông báo về cổng dừng lại.")
}
