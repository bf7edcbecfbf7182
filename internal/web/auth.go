package web

import (
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/secret"
)

const (
	localUser   = "user"
	localPortal = "portal"
	localDevice = "device"
	localToken  = "session_token"
)

func (s *Server) cookieName(base string) string {
	if s.d.Secure {
		return "__Host-hoso_" + base
	}
	return "hoso_" + base
}

func (s *Server) setCookie(c *fiber.Ctx, base, value string, expires time.Time) {
	c.Cookie(&fiber.Cookie{Name: s.cookieName(base), Value: value, Path: "/", Expires: expires,
		Secure: s.d.Secure, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
}

func (s *Server) clearCookie(c *fiber.Ctx, base string) {
	c.Cookie(&fiber.Cookie{Name: s.cookieName(base), Value: "", Path: "/", Expires: time.Unix(1, 0), MaxAge: -1,
		Secure: s.d.Secure, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
}

// loadSession puts the session's user in Locals when the cookie is valid. It
// never refuses: guards decide.
func (s *Server) loadSession(c *fiber.Ctx) error {
	tok := c.Cookies(s.cookieName("s"))
	if tok == "" {
		return c.Next()
	}
	u, err := s.d.Auth.SessionUser(c.UserContext(), tok)
	switch {
	case err == nil:
		c.Locals(localUser, u)
		c.Locals(localToken, tok)
		// One office-scope check per request (app.WithScopeMemo).
		c.SetUserContext(app.WithScopeMemo(c.UserContext()))
		if stop, err := s.mustChangeGate(c, u); stop {
			return err
		}
	case errs.Is(err, errs.Unauthorized):
		s.clearCookie(c, "s")
	default:
		return err
	}
	return c.Next()
}

// requireRole lets only signed-in staff of the given roles through (all
// roles when none is given): 401 without a session, 403 with another role.
func (s *Server) requireRole(roles ...app.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		u, ok := c.Locals(localUser).(app.User)
		if !ok {
			return errs.E(errs.Unauthorized, "Cần đăng nhập")
		}
		if len(roles) == 0 {
			return c.Next()
		}
		for _, r := range roles {
			if u.Role == r {
				return c.Next()
			}
		}
		return errs.E(errs.Forbidden, "Tài khoản %s không có quyền vào trang này", u.Role.Label())
	}
}

func currentUser(c *fiber.Ctx) app.User {
	u, _ := c.Locals(localUser).(app.User)
	return u
}

// csrfBinding is what the form token is bound to: the session, or for
// visitors a random cookie set on first sight.
func (s *Server) csrfBinding(c *fiber.Ctx, create bool) string {
	if tok, ok := c.Locals(localToken).(string); ok && tok != "" {
		return "s:" + tok
	}
	v := c.Cookies(s.cookieName("v"))
	if v == "" {
		if fresh, ok := c.Locals("visitor").(string); ok {
			v = fresh
		}
	}
	if v == "" && create {
		v = secret.Token(24)
		c.Locals("visitor", v)
		s.setCookie(c, "v", v, time.Now().Add(24*time.Hour))
	}
	if v == "" {
		return ""
	}
	return "v:" + v
}

func (s *Server) csrfToken(c *fiber.Ctx) string {
	b := s.csrfBinding(c, true)
	if b == "" {
		return ""
	}
	return s.d.Auth.CSRFToken(b)
}

// checkCSRF refuses a form post whose token does not match the session or
// visitor cookie.
func (s *Server) checkCSRF(c *fiber.Ctx) error {
	if c.Method() == fiber.MethodGet || c.Method() == fiber.MethodHead {
		return c.Next()
	}
	tok := c.FormValue("_csrf")
	if tok == "" {
		tok = c.Get("X-CSRF-Token")
	}
	if !s.d.Auth.CheckCSRF(s.csrfBinding(c, false), tok) {
		return errs.E(errs.Forbidden, "Phiên biểu mẫu đã hết hạn. Vui lòng tải lại trang và gửi lại.")
	}
	return c.Next()
}

type loginPage struct {
	Username string
	Next     string
	Error    string
}

func (s *Server) loginForm(c *fiber.Ctx) error {
	if _, ok := c.Locals(localUser).(app.User); ok {
		return c.Redirect(safeNext(c.Query("tiep", "/nhan-vien")), fiber.StatusSeeOther)
	}
	return s.page(c, "login", "Đăng nhập nhân viên", loginPage{Next: safeNext(c.Query("tiep", "/nhan-vien"))})
}

func (s *Server) loginSubmit(c *fiber.Ctx) error {
	typed := c.FormValue("username")
	username := app.NormalizeUsername(typed)
	if len(username) > 60 {
		username = ""
	}
	next := safeNext(c.FormValue("next", "/nhan-vien"))
	refuse := func(status int, msg string) error {
		return s.pageStatus(c, status, "login", s.viewFor(c, "Đăng nhập nhân viên", loginPage{Username: username, Next: next, Error: msg}))
	}
	if blocked, wait := s.login.blocked(s.clientIP(c)); blocked {
		c.Set(fiber.HeaderRetryAfter, itoa(int(wait.Seconds())+1))
		s.logLoginFailure(c, username, "source_limit")
		return refuse(fiber.StatusTooManyRequests, "Quá nhiều lượt đăng nhập sai từ địa chỉ này. Vui lòng chờ một phút rồi thử lại.")
	}
	u, err := s.d.Auth.Login(c.UserContext(), typed, c.FormValue("password"))
	switch k := errs.KindOf(err); {
	case err == nil:
	case k == errs.Unauthorized:
		s.login.allow(s.clientIP(c))
		s.logLoginFailure(c, username, "wrong")
		return refuse(fiber.StatusUnauthorized, "Sai tên đăng nhập hoặc mật khẩu.")
	case k == errs.RateLimited:
		setRetryAfter(c, err)
		s.logLoginFailure(c, username, "throttled")
		return refuse(fiber.StatusTooManyRequests, errMessage(err))
	default:
		return err
	}
	// A new session id on every login (no fixation); the old one ends.
	if old := c.Cookies(s.cookieName("s")); old != "" {
		_ = s.d.Auth.EndSession(c.UserContext(), old)
	}
	tok, exp, err := s.d.Auth.StartSession(c.UserContext(), u)
	if err != nil {
		return err
	}
	s.setCookie(c, "s", tok, exp)
	Logger(c.UserContext()).Info("login", "user_id", u.ID, "role", u.Role, "ip", s.clientIP(c))
	if u.MustChangePassword {
		return c.Redirect(passwordPath, fiber.StatusSeeOther)
	}
	return c.Redirect(next, fiber.StatusSeeOther)
}

// logLoginFailure records a refused sign-in with its username (only when it
// has a username's form: a password typed in the wrong box is not logged)
// and the client address; never the password.
func (s *Server) logLoginFailure(c *fiber.Ctx, username, reason string) {
	if !app.ValidUsername(username) {
		username = "(không hợp lệ)"
	}
	Logger(c.UserContext()).Info("login failed", "username", username, "reason", reason, "ip", s.clientIP(c), "path", c.Path())
}

// setRetryAfter copies the wait an application error carries into the
// Retry-After header.
func setRetryAfter(c *fiber.Ctx, err error) {
	var ra *app.RetryAfter
	if errors.As(err, &ra) {
		c.Set(fiber.HeaderRetryAfter, itoa(int(ra.Wait.Seconds())+1))
	}
}

func (s *Server) logout(c *fiber.Ctx) error {
	if tok := c.Cookies(s.cookieName("s")); tok != "" {
		if err := s.d.Auth.EndSession(c.UserContext(), tok); err != nil {
			return err
		}
	}
	s.clearCookie(c, "s")
	return c.Redirect("/", fiber.StatusSeeOther)
}

// bearer authenticates the courier app.
func (s *Server) bearer(c *fiber.Ctx) error {
	h := c.Get(fiber.HeaderAuthorization)
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="hoso"`)
		return errs.E(errs.Unauthorized, "thiếu mã truy cập Bearer")
	}
	u, device, err := s.d.Auth.TokenUser(c.UserContext(), strings.TrimSpace(tok))
	if err != nil {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="hoso", error="invalid_token"`)
		return err
	}
	if u.Role != app.RoleCourier {
		return errs.E(errs.Forbidden, "chỉ tài khoản bưu tá dùng được ứng dụng")
	}
	c.Locals(localUser, u)
	c.Locals(localDevice, device)
	return c.Next()
}

type tokenRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
	DeviceID string `json:"device_id"`
}

type courierJSON struct {
	Username   string `json:"username"`
	StaffCode  string `json:"staff_code"`
	FullName   string `json:"full_name"`
	OfficeCode string `json:"office_code"`
}

func (s *Server) issueToken(c *fiber.Ctx) error {
	var req tokenRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	username := app.NormalizeUsername(req.Username)
	if blocked, wait := s.login.blocked(s.clientIP(c)); blocked {
		c.Set(fiber.HeaderRetryAfter, itoa(int(wait.Seconds())+1))
		s.logLoginFailure(c, username, "source_limit")
		return errs.E(errs.RateLimited, "Quá nhiều lượt đăng nhập sai từ địa chỉ này, thử lại sau")
	}
	u, tok, exp, err := s.d.Auth.IssueToken(c.UserContext(), req.Username, req.Password, req.DeviceID)
	if err != nil {
		switch errs.KindOf(err) {
		case errs.Unauthorized:
			s.login.allow(s.clientIP(c))
			s.logLoginFailure(c, username, "wrong")
		case errs.RateLimited:
			s.logLoginFailure(c, username, "throttled")
		}
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.JSON(fiber.Map{"token": tok, "expires_at": exp.In(vietnam).Format(time.RFC3339),
		"courier": courierJSON{Username: u.Username, StaffCode: u.StaffCode, FullName: u.FullName, OfficeCode: u.OfficeCode}})
}
