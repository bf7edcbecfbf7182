package web

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
)

// papersRoutes registers the printed papers: the public receipt check
// (/bien-nhan/…, rate limited, no login) and the staff downloads
// (/nhan-vien/in/…, PDF, each scoped to the staff who handle the paper).
func (s *Server) papersRoutes(pg fiber.Router) {
	pg.Get("/bien-nhan", s.rateLimit(s.public), s.receiptSearch)
	pg.Get("/bien-nhan/khoa-cong-khai", s.rateLimit(s.public), s.receiptKey)
	pg.Get("/bien-nhan/:code", s.rateLimit(s.public), s.receiptShow)

	in := pg.Group("/nhan-vien/in", noStore, s.requireRole())
	in.Get("", s.papersPage)
	in.Get("/nhan/:number", s.paper(func(c *fiber.Ctx, u app.User) (app.Paper, error) {
		return s.d.Papers.Label(c.UserContext(), u, c.Params("number"))
	}))
	in.Get("/bien-nhan/:number", s.paper(func(c *fiber.Ctx, u app.User) (app.Paper, error) {
		return s.d.Papers.Receipt(c.UserContext(), u, c.Params("number"))
	}))
	in.Get("/phieu-giao/:number", s.paper(func(c *fiber.Ctx, u app.User) (app.Paper, error) {
		return s.d.Papers.DeliveryReceipt(c.UserContext(), u, c.Params("number"))
	}))
	in.Get("/bien-ban/:code", s.paper(func(c *fiber.Ctx, u app.User) (app.Paper, error) {
		return s.d.Papers.Manifest(c.UserContext(), u, c.Params("code"))
	}))
	in.Get("/bien-ban/:code/bang-chung", s.manifestProofs)
	in.Get("/tui-hanh-trinh/:courier/:day", s.paper(func(c *fiber.Ctx, u app.User) (app.Paper, error) {
		day, err := s.d.Papers.ParseDay(c.Params("day"))
		if err != nil {
			return app.Paper{}, err
		}
		return s.d.Papers.RoutePack(c.UserContext(), u, c.Params("courier"), day)
	}))
	in.Get("/bang-ke-thu-ho/:courier/:day", s.paper(func(c *fiber.Ctx, u app.User) (app.Paper, error) {
		day, err := s.d.Papers.ParseDay(c.Params("day"))
		if err != nil {
			return app.Paper{}, err
		}
		return s.d.Papers.FeeStatement(c.UserContext(), u, c.Params("courier"), day)
	}))
}

// paper wraps a PDF download: the signed-in user's paper as an attachment,
// never cached.
func (s *Server) paper(build func(c *fiber.Ctx, u app.User) (app.Paper, error)) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := build(c, currentUser(c))
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "application/pdf")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+p.File+`"`)
		c.Set(fiber.HeaderCacheControl, "no-store")
		c.Set("X-Content-Type-Options", "nosniff")
		return c.Send(p.Body)
	}
}

// papersView is the staff page of printable papers.
type papersView struct {
	User    app.User
	Courier bool
	Today   string
	Number  string
	Staff   string
	Day     string
	Code    string
	Error   string
}

// paperKinds maps the form's choice to its URL.
var paperKinds = map[string]string{
	"nhan": "nhan", "bien-nhan": "bien-nhan", "phieu-giao": "phieu-giao",
	"tui-hanh-trinh": "tui-hanh-trinh", "bang-ke-thu-ho": "bang-ke-thu-ho", "bien-ban": "bien-ban",
}

// papersPage shows the forms, or sends a filled form to its download.
func (s *Server) papersPage(c *fiber.Ctx) error {
	u := currentUser(c)
	today := s.d.Now().In(vietnam).Format("2006-01-02")
	v := papersView{User: u, Courier: u.Role == app.RoleCourier, Today: today, Day: today,
		Number: strings.ToUpper(strings.TrimSpace(c.Query("so"))), Staff: strings.TrimSpace(c.Query("buu_ta")),
		Code: strings.TrimSpace(c.Query("ma"))}
	if v.Courier && v.Staff == "" {
		v.Staff = u.StaffCode
	}
	if d := strings.TrimSpace(c.Query("ngay")); d != "" {
		v.Day = d
	}
	kind, chosen := paperKinds[c.Query("loai")]
	if !chosen {
		return s.page(c, "papers", "Giấy tờ in", v)
	}
	var target string
	switch kind {
	case "nhan", "bien-nhan", "phieu-giao":
		if v.Number == "" {
			v.Error = "Nhập số hiệu bưu gửi (13 ký tự, ví dụ EA123456785VN)."
		}
		target = "/nhan-vien/in/" + kind + "/" + url.PathEscape(v.Number)
	case "tui-hanh-trinh", "bang-ke-thu-ho":
		if v.Staff == "" {
			v.Error = "Nhập mã nhân viên của bưu tá."
		} else if _, err := s.d.Papers.ParseDay(v.Day); err != nil {
			v.Error = errMessage(err)
		}
		target = "/nhan-vien/in/" + kind + "/" + url.PathEscape(v.Staff) + "/" + url.PathEscape(v.Day)
	case "bien-ban":
		if v.Code == "" {
			v.Error = "Nhập số biên bản bàn giao."
		}
		target = "/nhan-vien/in/bien-ban/" + url.PathEscape(v.Code)
	}
	if v.Error != "" {
		return s.pageStatus(c, fiber.StatusBadRequest, "papers", s.viewFor(c, "Giấy tờ in", v))
	}
	return c.Redirect(target, fiber.StatusSeeOther)
}

// manifestProofs serves a handover record's proof bundles (JSON): each
// hand-off's events with their leaves and tlog-proofs.
func (s *Server) manifestProofs(c *fiber.Ctx) error {
	c.Request().Header.Set(fiber.HeaderAccept, fiber.MIMEApplicationJSON)
	b, err := s.d.Papers.ManifestProofs(c.UserContext(), currentUser(c), c.Params("code"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="bien-ban-`+strings.Map(func(r rune) rune {
		if r >= '0' && r <= '9' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r == '-' {
			return r
		}
		return '_'
	}, c.Params("code"))+`-bang-chung.json"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(b)
}
