package web

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
)

// Account pages: every staff user changes their own password and signs out
// everywhere; admins and post offices manage the accounts in their scope
// (app.ManagedBy).
const (
	passwordPath = "/nhan-vien/mat-khau"
	accountsPath = "/nhan-vien/tai-khoan"
)

func (s *Server) accountRoutes(staff fiber.Router) {
	staff.Get("/mat-khau", s.requireRole(), s.passwordForm)
	staff.Post("/mat-khau", s.requireRole(), s.passwordSubmit)
	staff.Post("/dang-xuat-moi-noi", s.requireRole(), s.signOutEverywhere)
	managers := s.requireRole(app.RoleAdmin, app.RoleOffice)
	staff.Get("/tai-khoan", managers, s.accountsPage)
	staff.Post("/tai-khoan/:id/mat-dien-thoai", managers, s.accountAction)
	staff.Post("/tai-khoan/:id/vo-hieu", managers, s.accountAction)
	staff.Post("/tai-khoan/:id/kich-hoat", managers, s.accountAction)
	staff.Post("/tai-khoan/:id/mo-khoa", managers, s.accountAction)
	staff.Post("/tai-khoan/:id/dat-lai-mat-khau", managers, s.accountReset)
	staff.Post("/tai-khoan", managers, s.accountCreate)
	staff.Get("/tai-khoan/:id/don-vi", s.requireRole(app.RoleAdmin), s.accountScopeForm)
	staff.Post("/tai-khoan/:id/don-vi", s.requireRole(app.RoleAdmin), s.accountScopeSubmit)
}

// mustChangeGate keeps a user with a temporary password on the password
// page: pages redirect there, anything else is refused.
// stop is true when the request was answered.
func (s *Server) mustChangeGate(c *fiber.Ctx, u app.User) (stop bool, err error) {
	if !u.MustChangePassword || c.Path() == passwordPath || c.Path() == "/dang-xuat" {
		return false, nil
	}
	if c.Method() == fiber.MethodGet && !wantsJSON(c) {
		return true, c.Redirect(passwordPath, fiber.StatusSeeOther)
	}
	return true, errs.E(errs.Forbidden, "Bạn đang dùng mật khẩu tạm thời: đặt mật khẩu mới tại %s trước.", passwordPath)
}

type passwordPage struct {
	Forced  bool
	Done    bool
	Errors  map[string]string
	Summary []fieldError
}

func (s *Server) passwordForm(c *fiber.Ctx) error {
	u := currentUser(c)
	return s.page(c, "accounts_password", "Đổi mật khẩu", passwordPage{Forced: u.MustChangePassword, Done: c.Query("xong") == "1"})
}

func (s *Server) passwordSubmit(c *fiber.Ctx) error {
	u := currentUser(c)
	tok, _ := c.Locals(localToken).(string)
	err := s.d.Accounts.ChangePassword(c.UserContext(), u, c.FormValue("current_password"), c.FormValue("new_password"),
		c.FormValue("confirm_password"), tok)
	if err != nil {
		k := errs.KindOf(err)
		if k != errs.Invalid && k != errs.RateLimited {
			return err
		}
		p := passwordPage{Forced: u.MustChangePassword}
		p.Errors, p.Summary = fieldPage(err, "current_password", "new_password", "confirm_password")
		status := fiber.StatusUnprocessableEntity
		if k == errs.RateLimited {
			setRetryAfter(c, err)
			status = fiber.StatusTooManyRequests
		}
		return s.pageStatus(c, status, "accounts_password", s.viewFor(c, "Đổi mật khẩu", p))
	}
	Logger(c.UserContext()).Info("password changed", "user_id", u.ID, "ip", s.clientIP(c))
	return c.Redirect(passwordPath+"?xong=1", fiber.StatusSeeOther)
}

func (s *Server) signOutEverywhere(c *fiber.Ctx) error {
	u := currentUser(c)
	r, err := s.d.Accounts.SignOutEverywhere(c.UserContext(), u)
	if err != nil {
		return err
	}
	Logger(c.UserContext()).Info("signed out everywhere", "user_id", u.ID, "sessions", r.Sessions, "tokens", r.Tokens, "ip", s.clientIP(c))
	s.clearCookie(c, "s")
	return c.Redirect("/", fiber.StatusSeeOther)
}

type accountsPage struct {
	Scope    string
	Accounts []app.Account
	Flash    string
	Admin    bool        // the manager is an admin (any role, scope changes)
	New      app.NewUser // the creation form's values
	Errors   map[string]string
	Summary  []fieldError
}

// accountFlashes are the messages an action's redirect may ask the list to
// show, by code: no text from the URL reaches the page.
func (s *Server) accountFlash(c *fiber.Ctx, accounts []app.Account) string {
	id, _ := strconv.ParseInt(c.Query("id"), 10, 64)
	name := ""
	for _, a := range accounts {
		if a.ID == id {
			name = a.Username
		}
	}
	if name == "" {
		return ""
	}
	n := func(k string) string { v, _ := strconv.Atoi(c.Query(k)); return strconv.Itoa(v) }
	switch c.Query("tb") {
	case "thu-hoi":
		return "Đã thu hồi mọi quyền truy cập của " + name + ": " + n("p") + " phiên, " + n("t") + " mã ứng dụng, " + n("k") +
			" khóa thiết bị. Bưu tá đăng nhập lại trên điện thoại mới để đăng ký khóa mới."
	case "vo-hieu":
		return "Đã vô hiệu hóa tài khoản " + name + " và kết thúc mọi phiên đăng nhập."
	case "kich-hoat":
		return "Đã kích hoạt lại tài khoản " + name + "."
	case "mo-khoa":
		return "Đã mở khóa đăng nhập của " + name + "."
	case "don-vi":
		return "Đã chuyển tài khoản " + name + " sang đơn vị mới; mọi phiên đăng nhập của tài khoản đã kết thúc."
	}
	return ""
}

func (s *Server) accountsPage(c *fiber.Ctx) error {
	return s.renderAccounts(c, fiber.StatusOK, accountsPage{New: app.NewUser{Role: app.RoleCourier}})
}

func (s *Server) renderAccounts(c *fiber.Ctx, status int, p accountsPage) error {
	u := currentUser(c)
	list, err := s.d.Accounts.List(c.UserContext(), u)
	if err != nil {
		return err
	}
	p.Accounts, p.Admin = list, u.Role == app.RoleAdmin
	if status == fiber.StatusOK {
		p.Flash = s.accountFlash(c, list)
	}
	switch {
	case u.Role == app.RoleOffice:
		p.Scope = "bưu tá của bưu cục " + u.OfficeCode
	case u.ProvinceCode != "":
		p.Scope = "mọi tài khoản của tỉnh " + u.ProvinceCode
	default:
		p.Scope = "mọi tài khoản"
	}
	return s.pageStatus(c, status, "accounts", s.viewFor(c, "Tài khoản nhân viên", p))
}

var accountFieldIDs = map[string]string{"username": "tk-username", "role": "tk-role", "office": "tk-office",
	"desk": "tk-desk", "province": "tk-province", "reason": "tk-office"}

// accountCreate makes an account with a temporary password shown once in
// the answer (like a reset); a post office makes couriers of its office.
func (s *Server) accountCreate(c *fiber.Ctx) error {
	actor := currentUser(c)
	n := app.NewUser{Username: c.FormValue("username"), FullName: c.FormValue("full_name"), StaffCode: c.FormValue("staff_code"),
		Role: app.Role(c.FormValue("role")), OfficeCode: strings.TrimSpace(c.FormValue("office")),
		DeskCode: strings.TrimSpace(c.FormValue("desk")), ProvinceCode: strings.TrimSpace(c.FormValue("province"))}
	u, temp, err := s.d.Accounts.Create(c.UserContext(), actor, n)
	if err != nil {
		if !userError(err) {
			return err
		}
		p := accountsPage{New: n}
		p.Errors, p.Summary = formErrors(err, accountFieldIDs)
		return s.renderAccounts(c, fiber.StatusUnprocessableEntity, p)
	}
	Logger(c.UserContext()).Info("account action", "action", "tao", "actor_id", actor.ID, "user_id", u.ID, "ip", s.clientIP(c))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.page(c, "accounts_reset", "Tài khoản mới", accountResetPage{Account: u, Temp: temp, Created: true})
}

type accountScopePage struct {
	Account app.User
	Office  string
	Desk    string
	Prov    string
	Errors  map[string]string
	Summary []fieldError
}

func (s *Server) accountTarget(c *fiber.Ctx) (app.User, error) {
	id, err := accountID(c)
	if err != nil {
		return app.User{}, err
	}
	list, err := s.d.Accounts.List(c.UserContext(), currentUser(c))
	if err != nil {
		return app.User{}, err
	}
	for _, a := range list {
		if a.ID == id {
			return a.User, nil
		}
	}
	return app.User{}, errs.E(errs.NotFound, "Không tìm thấy tài khoản này trong phạm vi bạn quản lý")
}

func (s *Server) accountScopeForm(c *fiber.Ctx) error {
	u, err := s.accountTarget(c)
	if err != nil {
		return err
	}
	return s.page(c, "accounts_scope", "Đổi đơn vị của tài khoản", accountScopePage{Account: u, Office: u.OfficeCode, Desk: u.DeskCode, Prov: u.ProvinceCode})
}

func (s *Server) accountScopeSubmit(c *fiber.Ctx) error {
	actor := currentUser(c)
	id, err := accountID(c)
	if err != nil {
		return err
	}
	office, desk, prov := c.FormValue("office"), c.FormValue("desk"), c.FormValue("province")
	u, err := s.d.Accounts.SetScope(c.UserContext(), actor, id, office, desk, prov, c.FormValue("ghi_chu"))
	if err != nil {
		if !userError(err) {
			return err
		}
		target, terr := s.accountTarget(c)
		if terr != nil {
			return terr
		}
		p := accountScopePage{Account: target, Office: office, Desk: desk, Prov: prov}
		p.Errors, p.Summary = formErrors(err, accountFieldIDs)
		return s.pageStatus(c, fiber.StatusUnprocessableEntity, "accounts_scope", s.viewFor(c, "Đổi đơn vị của tài khoản", p))
	}
	Logger(c.UserContext()).Info("account action", "action", "don-vi", "actor_id", actor.ID, "user_id", u.ID, "ip", s.clientIP(c))
	return c.Redirect(accountsPath+"?id="+strconv.FormatInt(id, 10)+"&tb=don-vi#tk-"+strconv.FormatInt(id, 10), fiber.StatusSeeOther)
}

func accountID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "Không tìm thấy tài khoản này trong phạm vi bạn quản lý")
	}
	return id, nil
}

// accountAction runs one of the list's actions and returns to the list.
func (s *Server) accountAction(c *fiber.Ctx) error {
	actor := currentUser(c)
	id, err := accountID(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	action := c.Path()[strings.LastIndexByte(c.Path(), '/')+1:]
	q := "?id=" + strconv.FormatInt(id, 10) + "&tb="
	note := c.FormValue("ghi_chu")
	switch action {
	case "mat-dien-thoai":
		_, r, err := s.d.Accounts.RevokeDevices(ctx, actor, id, note)
		if err != nil {
			return err
		}
		q += "thu-hoi&p=" + itoa(r.Sessions) + "&t=" + itoa(r.Tokens) + "&k=" + itoa(r.Devices)
	case "vo-hieu", "kich-hoat":
		if _, err := s.d.Accounts.SetActive(ctx, actor, id, action == "kich-hoat", note); err != nil {
			return err
		}
		q += action
	case "mo-khoa":
		if _, err := s.d.Accounts.Unlock(ctx, actor, id); err != nil {
			return err
		}
		q += action
	default:
		return errs.E(errs.NotFound, "Không có thao tác này")
	}
	Logger(ctx).Info("account action", "action", action, "actor_id", actor.ID, "user_id", id, "ip", s.clientIP(c))
	return c.Redirect(accountsPath+q+"#tk-"+strconv.FormatInt(id, 10), fiber.StatusSeeOther)
}

type accountResetPage struct {
	Account app.User
	Temp    string
	Created bool // a new account, not a reset
}

// accountReset shows the temporary password once, in the answer to the
// POST itself (no-store): a redirect would have to carry or keep the
// secret somewhere. Reloading would reset again, so the page says so.
func (s *Server) accountReset(c *fiber.Ctx) error {
	actor := currentUser(c)
	id, err := accountID(c)
	if err != nil {
		return err
	}
	u, temp, err := s.d.Accounts.ResetPassword(c.UserContext(), actor, id)
	if err != nil {
		return err
	}
	Logger(c.UserContext()).Info("account action", "action", "dat-lai-mat-khau", "actor_id", actor.ID, "user_id", id, "ip", s.clientIP(c))
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.page(c, "accounts_reset", "Mật khẩu tạm thời", accountResetPage{Account: u, Temp: temp})
}
