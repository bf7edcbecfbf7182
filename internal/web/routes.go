package web

import (
	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
)

// staffNav lists the pages of a role, for the header.
func staffNav(r app.Role) []navItem {
	var n []navItem
	add := func(href, label string) { n = append(n, navItem{Href: href, Label: label}) }
	switch r {
	case app.RoleAdmin:
		add(staffParcelsPath, "Bưu gửi")
		add("/nhan-vien/dieu-phoi", "Điều phối")
		add("/nhan-vien/canh-bao", "Cảnh báo")
		add("/nhan-vien/chi-so", "Chỉ số")
		add("/nhan-vien/thu-ho", "Thu hộ")
		add("/nhan-vien/su-co", "Sự cố")
		add("/nhan-vien/yeu-cau", "Tạo yêu cầu")
		add("/nhan-vien/tin-nhan", "Tin nhắn")
		add("/nhan-vien/hop-thu-di", "Hộp thư đi")
		add(accountsPath, "Tài khoản")
		add(referencePath, "Danh mục")
		add(portalsPath, "Cổng")
		add(auditPath, "Nhật ký")
		add(lawPath, "Căn cứ pháp lý")
		add(calendarPath, "Lịch nghỉ")
	case app.RoleDispatcher:
		add(staffParcelsPath, "Bưu gửi")
		add("/nhan-vien/dieu-phoi", "Điều phối")
		add("/nhan-vien/canh-bao", "Cảnh báo")
		add("/nhan-vien/chi-so", "Chỉ số")
		add("/nhan-vien/thu-ho", "Thu hộ")
		add("/nhan-vien/su-co", "Sự cố")
		add("/nhan-vien/ban-giao", "Bàn giao chờ")
		add("/nhan-vien/yeu-cau", "Tạo yêu cầu")
		add("/nhan-vien/hop-thu-di", "Hộp thư đi")
	case app.RoleDesk:
		add("/mot-cua", "Nhận hồ sơ")
		add(staffParcelsPath, "Bưu gửi")
		add("/nhan-vien/canh-bao", "Cảnh báo")
		add("/nhan-vien/chi-so", "Chỉ số")
		add("/nhan-vien/yeu-cau", "Tạo yêu cầu")
		add("/nhan-vien/su-co", "Sự cố")
	case app.RoleOffice:
		add("/buu-cuc", "Nhận và chuyển")
		add("/buu-cuc/nop-tai-quay", "Nhận tại quầy")
		add(staffParcelsPath, "Bưu gửi")
		add("/nhan-vien/canh-bao", "Cảnh báo")
		add("/nhan-vien/thu-ho", "Thu hộ")
		add("/nhan-vien/chi-so", "Chỉ số")
		add(accountsPath, "Bưu tá")
		add("/nhan-vien/su-co", "Sự cố")
	case app.RoleCourier:
		add("/buu-ta", "Ứng dụng bưu tá")
	}
	return n
}

func (s *Server) routes() {
	a := s.app
	a.Use(s.base, s.recoverPanics, s.securityHeaders, s.notePublicWrites)

	// Operations.
	a.Get("/healthz", s.healthz)
	a.Get("/readyz", s.readyz)
	a.Get("/metrics", s.metricsAccess, s.metricsHandler())
	a.Get("/static/*", s.static)
	s.courierAppRoutes(a)

	// Machine APIs: no cookies, no CSRF.
	api := a.Group("/api/v1", noStore)
	api.Get("/openapi.json", s.openapi)
	api.Get("/states", s.states)
	api.Post("/auth/token", s.issueToken)
	api.Get("/public/track/:tracking_number", s.rateLimit(s.public), s.trackJSON)
	api.Get("/communes", s.rateLimit(s.public), s.communesJSON)

	courier := api.Group("/courier", s.bearer)
	courier.Post("/events", s.courierEvents)
	courier.Get("/route", s.courierRoute)
	courier.Post("/device-key", s.courierKey)
	courier.Post("/stops/:number/code", s.courierDoorCode)
	courier.Post("/stops/:number/reveal", s.courierReveal)
	courier.Post("/evidence", s.courierEvidence)
	courier.Post("/scans", s.courierScan) // a document scanned at the door (Circular 03/2025)
	api.Post("/staff/events", s.loadSession, s.staffAPI, s.checkCSRF, s.courierEvents)
	api.Get("/alarms", s.loadSession, s.requireRole(app.RoleAdmin, app.RoleDispatcher, app.RoleOffice, app.RoleDesk), s.alarmsJSON)
	clerks := s.requireRole(app.RoleAdmin, app.RoleDispatcher, app.RoleOffice, app.RoleDesk)
	api.Get("/staff/results/:number/delivery-slots", s.loadSession, clerks, s.staffDeliverySlots)
	api.Post("/staff/results/:number/delivery-window", s.loadSession, clerks, s.checkCSRF, s.staffDeliveryWindow)
	api.Post("/staff/handoffs/:id/recall", s.loadSession, s.requireRole(app.RoleAdmin, app.RoleDispatcher), s.checkCSRF, s.recallAPI)

	portal := api.Group("/portal", s.portalAuth)
	portal.Get("/desks", s.portalDesks)
	portal.Post("/pickups", s.portalCreate)
	portal.Get("/pickups", s.portalList)
	portal.Get("/pickups/:id", s.portalGet)
	portal.Post("/pickups/:id/cancel", s.portalCancel)
	portal.Post("/dossiers/:dossier_code/result", s.portalResult)
	portal.Get("/results/:id/delivery-slots", s.portalDeliverySlots)
	portal.Post("/results/:id/delivery-window", s.portalDeliveryWindow)
	api.Get("/postal/events", s.postalAuth, s.postalEvents)
	s.notifyAPIRoutes(api)
	s.logRoutes(api)

	// Pages: sessions and CSRF.
	pg := a.Group("", s.loadSession, s.checkCSRF)
	pg.Get("/", s.home)
	pg.Get("/tra-cuu", s.rateLimit(s.public), s.trackSearch)
	pg.Get("/tra-cuu/:number", s.rateLimit(s.public), s.trackPage)
	pg.Get("/t/:number", s.rateLimit(s.public), s.trackShort)
	pg.Post("/tra-cuu/:number", noStore, s.rateLimit(s.public), s.trackProve)
	pg.Get("/dang-nhap", s.loginForm)
	pg.Post("/dang-nhap", s.loginSubmit)
	pg.Post("/dang-xuat", s.logout)
	s.complaintRoutes(pg)

	cit := pg.Group("/yeu-cau", noStore, s.rateLimit(s.public))
	cit.Get("", s.citizenStart)
	cit.Post("", s.citizenStartSubmit)
	cit.Get("/xac-minh", s.citizenVerify)
	cit.Post("/xac-minh", s.citizenVerifySubmit)
	cit.Post("/gui-lai-ma", s.citizenResend)
	cit.Get("/thong-tin", s.citizenDetails)
	cit.Post("/thong-tin", s.citizenDetailsSubmit)
	cit.Get("/xong/:number", s.citizenDone)

	staff := pg.Group("/nhan-vien", noStore)
	s.selfServiceRoutes(pg, staff) // the citizen's self-service on the tracking page, and the clerk's
	staff.Get("", s.requireRole(), s.staffHome)
	staff.Get("/yeu-cau", s.requireRole(app.RoleDesk, app.RoleAdmin, app.RoleDispatcher), s.clerkForm)
	staff.Post("/yeu-cau", s.requireRole(app.RoleDesk, app.RoleAdmin, app.RoleDispatcher), s.clerkSubmit)
	staff.Get("/yeu-cau/xong/:number", s.requireRole(app.RoleDesk, app.RoleAdmin, app.RoleDispatcher), s.clerkDone)
	staff.Get("/tin-nhan", s.requireRole(app.RoleAdmin), s.smsPage)
	staff.Get("/can-cu-phap-ly", s.requireRole(app.RoleAdmin), s.lawPage)
	staff.Post("/can-cu-phap-ly", s.requireRole(app.RoleAdmin), s.lawSave)
	staff.Get("/canh-bao", s.requireRole(app.RoleAdmin, app.RoleDispatcher, app.RoleOffice, app.RoleDesk), s.alarmsPage)
	staff.Post("/canh-bao/:id/xac-nhan", s.requireRole(app.RoleAdmin, app.RoleDispatcher, app.RoleOffice, app.RoleDesk), s.alarmAck)
	staff.Get("/su-co", s.requireRole(app.RoleAdmin, app.RoleDispatcher, app.RoleOffice, app.RoleDesk), s.incidentsPage)
	staff.Get("/su-co/:id", s.requireRole(app.RoleAdmin, app.RoleDispatcher, app.RoleOffice, app.RoleDesk), s.incidentPage)
	staff.Post("/su-co/:id", s.requireRole(app.RoleAdmin, app.RoleDispatcher), s.incidentAction)
	staff.Get("/ban-giao", s.requireRole(app.RoleAdmin, app.RoleDispatcher), s.handoffsList)
	staff.Post("/ban-giao/:id/thu-hoi", s.requireRole(app.RoleAdmin, app.RoleDispatcher), s.handoffRecall)
	s.accountRoutes(staff)
	s.referenceRoutes(staff)
	s.calendarRoutes(staff)
	s.auditRoutes(staff)
	s.portalAdminRoutes(staff)
	s.staffParcelRoutes(staff)
	s.complaintStaffRoutes(staff)

	office := pg.Group("/buu-cuc", noStore, s.requireRole(app.RoleOffice))
	office.Get("", s.counterPage)
	office.Post("/nhan", s.counterScan)
	office.Post("/thieu", s.counterMissing)
	office.Post("/chuyen", s.counterRelease)
	office.Get("/bang-ke/:code", s.counterManifest)
	office.Post("/bang-ke/:code", s.counterManifestSubmit)
	office.Get("/xac-nhan/:id", s.counterConfirm)
	office.Post("/xac-nhan/:id", s.counterConfirmSubmit)
	s.dropoffRoutes(office) // counter drop-off: /buu-cuc/nop-tai-quay…
	desk := pg.Group("/mot-cua", noStore, s.requireRole(app.RoleDesk))
	desk.Get("", s.counterPage)
	desk.Post("/nhan", s.counterScan)
	desk.Post("/thieu", s.counterMissing)
	desk.Post("/chuyen", s.counterRelease)
	desk.Post("/quyet-dinh/:number", s.deskDecide)
	desk.Post("/ket-qua/:number", s.deskResult)
	desk.Get("/kiem-dem/:number", s.deskCount)
	desk.Get("/bang-ke/:code", s.counterManifest)
	desk.Post("/bang-ke/:code", s.counterManifestSubmit)
	desk.Get("/xac-nhan/:id", s.counterConfirm)
	desk.Post("/xac-nhan/:id", s.counterConfirmSubmit)

	s.dispatchRoutes(pg)
	s.outboxRoutes(pg)
	s.papersRoutes(pg)
	s.moneyKPIRoutes(pg)
}

func (s *Server) healthz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendString("ok")
}

func (s *Server) readyz(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if s.d.Ready != nil {
		if err := s.d.Ready(c.UserContext()); err != nil {
			Logger(c.UserContext()).Warn("not ready", "err", err)
			return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "unavailable", "reason": errMessage(err)})
		}
	}
	return c.JSON(fiber.Map{"status": "ok"})
}

func (s *Server) static(c *fiber.Ctx) error {
	body, ctype, immutable, ok := s.assets.Open(c.OriginalURL())
	if !ok {
		return fiber.ErrNotFound
	}
	c.Set(fiber.HeaderContentType, ctype)
	if immutable {
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
		if sum, ok := s.assets.Sum(c.Params("*")); ok {
			etag := `"` + sum + `"`
			c.Set(fiber.HeaderETag, etag)
			if c.Get(fiber.HeaderIfNoneMatch) == etag {
				return c.SendStatus(fiber.StatusNotModified)
			}
		}
	}
	return c.Send(body)
}
