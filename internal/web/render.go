package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/dong"
	"hoso/internal/vntext"
	"hoso/internal/web/assets"
	"hoso/tracking"
)

//go:embed templates
var templateFS embed.FS

// vietnam is the zone pages show times in.
var vietnam = time.FixedZone("ICT", 7*3600)

// pages holds one parsed template set per page.
type pages struct {
	sets map[string]*template.Template
}

func templateFuncs(a *assets.Assets) template.FuncMap {
	return template.FuncMap{
		"asset": a.Href,
		"dt": func(t any) string {
			tt, ok := asTime(t)
			if !ok {
				return ""
			}
			return tt.In(vietnam).Format("15:04, 02/01/2006")
		},
		"date": func(t any) string {
			tt, ok := asTime(t)
			if !ok {
				return ""
			}
			return tt.In(vietnam).Format("02/01/2006")
		},
		"hm": func(t any) string {
			tt, ok := asTime(t)
			if !ok {
				return ""
			}
			return tt.In(vietnam).Format("15:04")
		},
		"iso": func(t any) string {
			tt, ok := asTime(t)
			if !ok {
				return ""
			}
			return tt.In(vietnam).Format(time.RFC3339)
		},
		"weekday":   weekdayVN,
		"tel":       telHref,
		"money":     formatMoney,
		"initials":  vntext.Initials,
		"maskLast3": vntext.MaskLast3,
		"status":    func(s any) string { return parcelStatus(s).Label() },
		"badge":     badgeClass,
		"kind":      func(k tracking.DocKind) string { return k.Label() },
		"role":      func(r app.Role) string { return r.Label() },
		"party":     func(k tracking.PartyKind) string { return k.Label() },
		"field": func(fields map[string]string, name string) string {
			return fields[name]
		},
		"add": func(a, b int) int { return a + b },
		"seq": func(n int) []int {
			out := make([]int, n)
			for i := range out {
				out[i] = i
			}
			return out
		},
		"join": strings.Join,
		"eq1":  func(a, b any) bool { return fmt.Sprint(a) == fmt.Sprint(b) },
	}
}

func asTime(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, !t.IsZero()
	case *time.Time:
		if t == nil || t.IsZero() {
			return time.Time{}, false
		}
		return *t, true
	}
	return time.Time{}, false
}

func weekdayVN(t time.Time) string {
	names := [...]string{"Chủ nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"}
	return names[t.In(vietnam).Weekday()]
}

// formatMoney writes đồng with dots between thousands: 150.000 ₫.
func formatMoney(v int64) string { return dong.Format(v) }

// parcelStatus reads a status given to a template function, typed or as its
// stored name (views built from other rows carry it as a string).
func parcelStatus(v any) tracking.Status {
	switch s := v.(type) {
	case tracking.Status:
		return s
	case string:
		return tracking.Status(s)
	}
	return ""
}

func badgeClass(v any) string {
	switch parcelStatus(v) {
	case tracking.StatusRequested:
		return "badge--requested"
	case tracking.StatusScheduled, tracking.StatusPickupFailed:
		return "badge--scheduled"
	case tracking.StatusCollected, tracking.StatusToDesk, tracking.StatusWithCourier, tracking.StatusOutForDelivery:
		return "badge--collected"
	case tracking.StatusAtOffice, tracking.StatusHeld:
		return "badge--at-office"
	case tracking.StatusAtDesk, tracking.StatusReady:
		return "badge--at-desk"
	case tracking.StatusAccepted:
		return "badge--accepted"
	case tracking.StatusReturnedIncomplete, tracking.StatusReturnedToDesk, tracking.StatusDeliveryFailed:
		return "badge--returned"
	case tracking.StatusDelivered:
		return "badge--delivered"
	case tracking.StatusCancelled:
		return "badge--cancelled"
	}
	return "badge--requested"
}

// parsePages parses every page once with the layout and partials, and checks
// that every asset the templates name exists.
func parsePages(a *assets.Assets) (*pages, error) {
	names, err := fs.Glob(templateFS, "templates/pages/*.html")
	if err != nil {
		return nil, err
	}
	shared, err := fs.Glob(templateFS, "templates/shared/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{sets: map[string]*template.Template{}}
	for _, n := range names {
		files := append([]string{"templates/layout.html"}, shared...)
		files = append(files, n)
		t, err := template.New("layout.html").Funcs(templateFuncs(a)).ParseFS(templateFS, files...)
		if err != nil {
			return nil, fmt.Errorf("web: parse %s: %w", n, err)
		}
		key := strings.TrimSuffix(strings.TrimPrefix(n, "templates/pages/"), ".html")
		p.sets[key] = t
	}
	// Every {{asset "…"}} must name an embedded file.
	err = fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templateFS.ReadFile(path)
		if err != nil {
			return err
		}
		for _, part := range strings.Split(string(b), `{{asset "`)[1:] {
			name, _, _ := strings.Cut(part, `"`)
			if _, err := a.URL(name); err != nil {
				return fmt.Errorf("web: %s names a missing asset %q", path, name)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// render executes a page into a buffer; nothing is written on error.
func (p *pages) render(name string, data any) ([]byte, error) {
	t, ok := p.sets[name]
	if !ok {
		return nil, fmt.Errorf("web: no page %q", name)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		return nil, fmt.Errorf("web: render %s: %w", name, err)
	}
	return buf.Bytes(), nil
}

// view is what every page template receives.
type view struct {
	Title  string
	User   *app.User
	CSRF   string
	Nav    []navItem
	Path   string
	Demo   bool
	Flash  string
	Page   any
	Script []string // extra scripts (asset names)
	Style  []string // extra styles (asset names)
	Main   string   // class of <main>
	// Hotline is the number citizens are told to call (HOSO_HOTLINE).
	Hotline string
}

type navItem struct {
	Href, Label string
	Current     bool
}

func (s *Server) viewFor(c *fiber.Ctx, title string, page any) view {
	v := view{Title: title, Path: c.Path(), Demo: s.d.Demo, Page: page, Hotline: s.d.Hotline}
	if u, ok := c.Locals(localUser).(app.User); ok {
		v.User = &u
	}
	v.CSRF = s.csrfToken(c)
	add := func(href, label string) {
		cur := c.Path() == href || (href != "/" && href != "/nhan-vien" && strings.HasPrefix(c.Path(), href+"/"))
		v.Nav = append(v.Nav, navItem{Href: href, Label: label, Current: cur})
	}
	if v.User == nil {
		add("/", "Trang chủ")
		add("/yeu-cau", "Yêu cầu thu gom")
		add("/tra-cuu", "Tra cứu hồ sơ")
		add("/dang-nhap", "Nhân viên")
		return v
	}
	add("/nhan-vien", "Tổng quan")
	for _, n := range staffNav(v.User.Role) {
		add(n.Href, n.Label)
	}
	add("/tra-cuu", "Tra cứu")
	// One current item: the longest match (/buu-cuc/nop-tai-quay, not
	// also /buu-cuc).
	best := -1
	for i, n := range v.Nav {
		if n.Current && (best < 0 || len(n.Href) > len(v.Nav[best].Href)) {
			best = i
		}
	}
	for i := range v.Nav {
		v.Nav[i].Current = i == best
	}
	return v
}

// page renders a page with status 200.
func (s *Server) page(c *fiber.Ctx, name, title string, data any) error {
	return s.pageStatus(c, fiber.StatusOK, name, s.viewFor(c, title, data))
}

func (s *Server) pageStatus(c *fiber.Ctx, status int, name string, v view) error {
	b, err := s.pages.render(name, v)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.Status(status).Send(b)
}

// telHref is a telephone number as a tel: link wants it: the leading + and
// the digits.
func telHref(n string) string {
	b := make([]byte, 0, len(n))
	for i := 0; i < len(n); i++ {
		if c := n[i]; (c >= '0' && c <= '9') || (c == '+' && len(b) == 0) {
			b = append(b, c)
		}
	}
	return string(b)
}
