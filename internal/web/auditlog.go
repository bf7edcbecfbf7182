package web

import (
	"encoding/csv"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
)

// The audit log viewer: admins filter every staff action by actor,
// subject, kind and time, page through it and export it as CSV.
const auditPath = "/nhan-vien/nhat-ky"

func (s *Server) auditRoutes(staff fiber.Router) {
	admin := s.requireRole(app.RoleAdmin)
	staff.Get("/nhat-ky", admin, s.auditPage)
	staff.Get("/nhat-ky.csv", admin, s.auditCSV)
}

// auditKinds label the actions the filter offers; others show as written.
var auditKinds = []struct{ Value, Label string }{
	{"auth.", "Đăng nhập"},
	{"account.", "Tài khoản nhân viên"},
	{"reference.", "Danh mục một cửa, bưu cục"},
	{"reveal_phone", "Xem số điện thoại"},
	{"outbox.", "Hộp thư đi (gửi lại, bỏ)"},
	{"incident_resolved", "Xử lý sự cố"},
	{"declared_lost", "Báo mất bản gốc"},
	{"lost_case_updated", "Cập nhật vụ mất bản gốc"},
	{"handoff_recalled", "Thu hồi bàn giao"},
	{"cash_handover", "Nộp tiền thu hộ"},
	{"device_key_", "Khóa thiết bị"},
	{"alarm.acknowledged", "Xác nhận cảnh báo"},
	{"portal.", "Cổng dịch vụ công"},
	{"audit.exported", "Xuất nhật ký"},
}

var auditLabels = map[string]string{
	app.AuditSignedIn: "Đăng nhập", app.AuditSignInFailed: "Đăng nhập sai",
	app.AuditCreated: "Tạo tài khoản", app.AuditScopeChanged: "Đổi đơn vị", app.AuditPasswordReset: "Đặt lại mật khẩu",
	app.AuditPasswordChanged: "Đổi mật khẩu", app.AuditDevicesRevoked: "Mất điện thoại: thu hồi", app.AuditDeactivated: "Vô hiệu hóa",
	app.AuditReactivated: "Kích hoạt lại", app.AuditUnlocked: "Mở khóa đăng nhập", app.AuditSignedOutAll: "Đăng xuất mọi nơi",
	app.AuditDeskCreated: "Thêm một cửa", app.AuditDeskUpdated: "Sửa một cửa", app.AuditDeskInactive: "Ngừng một cửa",
	app.AuditDeskActive: "Mở lại một cửa", app.AuditDesksImported: "Nhập danh sách một cửa", app.AuditOfficeCreated: "Thêm bưu cục",
	app.AuditOfficeUpdated: "Sửa bưu cục", app.AuditOfficeInactive: "Ngừng bưu cục", app.AuditOfficeActive: "Mở lại bưu cục",
	app.AuditOfficesImported: "Nhập danh sách bưu cục", "reveal_phone": "Xem số điện thoại", "outbox.retry": "Gửi lại",
	"outbox.discard": "Bỏ thư", "incident_resolved": "Xử lý sự cố", "declared_lost": "Báo mất bản gốc",
	"lost_case_updated": "Cập nhật vụ mất", "handoff_recalled": "Thu hồi bàn giao", "cash_handover": "Nộp tiền thu hộ",
	"device_key_registered": "Đăng ký khóa thiết bị", "device_key_refused": "Từ chối khóa thiết bị", app.AuditExported: "Xuất nhật ký",
	"alarm.acknowledged": "Xác nhận cảnh báo", app.AuditPortalCreated: "Đăng ký cổng", app.AuditPortalCallback: "Đổi địa chỉ thông báo",
	app.AuditPortalRotated: "Đổi khóa cổng", app.AuditPortalSuspended: "Tạm dừng cổng", app.AuditPortalRestored: "Mở lại cổng",
}

type auditRowView struct {
	app.AuditEntry
	Label string
}

type auditPage struct {
	Actor, Subject, Action, From, To string
	Kinds                            []struct{ Value, Label string }
	Rows                             []auditRowView
	Older                            string // query of the next page
	CSV                              string // query of the export
	Errors                           map[string]string
	Summary                          []fieldError
}

// auditFilter reads the filter of the query string; days are Vietnam days,
// to inclusive.
func auditFilter(c *fiber.Ctx) (app.AuditFilter, error) {
	f := app.AuditFilter{Actor: c.Query("nguoi"), Subject: c.Query("doi_tuong"), Action: c.Query("loai")}
	f.BeforeID, _ = strconv.ParseInt(c.Query("truoc"), 10, 64)
	day := func(key string) (time.Time, error) {
		v := strings.TrimSpace(c.Query(key))
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.ParseInLocation("2006-01-02", v, vietnam)
		if err != nil {
			return time.Time{}, errs.E(errs.Invalid, "Ngày phải có dạng năm-tháng-ngày").WithFields(map[string]string{key: "Ngày phải có dạng năm-tháng-ngày, ví dụ 2026-12-07"})
		}
		return t, nil
	}
	var err error
	if f.From, err = day("tu"); err != nil {
		return f, err
	}
	if f.To, err = day("den"); err != nil {
		return f, err
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1)
	}
	return f, nil
}

func (s *Server) auditPage(c *fiber.Ctx) error {
	p := auditPage{Actor: c.Query("nguoi"), Subject: c.Query("doi_tuong"), Action: c.Query("loai"), From: c.Query("tu"), To: c.Query("den"), Kinds: auditKinds}
	q := c.Context().QueryArgs()
	q.Del("truoc")
	p.CSV = string(q.QueryString())
	f, err := auditFilter(c)
	var rows []app.AuditEntry
	if err == nil {
		rows, err = s.d.Audit.List(c.UserContext(), currentUser(c), f)
	}
	if err != nil {
		if !errs.Is(err, errs.Invalid) {
			return err
		}
		p.Errors, p.Summary = formErrors(err, map[string]string{"tu": "tu", "den": "den", "to": "den"})
		return s.pageStatus(c, fiber.StatusUnprocessableEntity, "audit", s.viewFor(c, "Nhật ký kiểm tra", p))
	}
	for _, r := range rows {
		l := auditLabels[r.Action]
		if l == "" {
			l = r.Action
		}
		p.Rows = append(p.Rows, auditRowView{AuditEntry: r, Label: l})
	}
	if len(rows) == 200 {
		q.Set("truoc", strconv.FormatInt(rows[len(rows)-1].ID, 10))
		p.Older = string(q.QueryString())
	}
	return s.page(c, "audit", "Nhật ký kiểm tra", p)
}

// csvCell keeps a spreadsheet from reading a cell as a formula.
func csvCell(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

func (s *Server) auditCSV(c *fiber.Ctx) error {
	f, err := auditFilter(c)
	if err != nil {
		return err
	}
	rows, err := s.d.Audit.Export(c.UserContext(), currentUser(c), f)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="nhat-ky-kiem-tra.csv"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	var b strings.Builder
	b.WriteString("\ufeff")
	w := csv.NewWriter(&b)
	_ = w.Write([]string{"id", "at", "actor", "role", "action", "subject", "reason"})
	for _, r := range rows {
		_ = w.Write([]string{strconv.FormatInt(r.ID, 10), r.At.UTC().Format(time.RFC3339), csvCell(r.Actor), string(r.Role),
			csvCell(r.Action), csvCell(r.Subject), csvCell(r.Reason)})
	}
	w.Flush()
	Logger(c.UserContext()).Info("audit exported", "actor_id", currentUser(c).ID, "rows", len(rows), "ip", s.clientIP(c))
	return c.SendString(b.String())
}
