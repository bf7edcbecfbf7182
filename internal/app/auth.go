package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"hoso/internal/errs"
	"hoso/internal/secret"
	"hoso/internal/vntext"
)

// AuthStore is what staff authentication needs.
type AuthStore interface {
	CreateUser(ctx context.Context, u User) (User, error)
	FindUserByUsername(ctx context.Context, username string) (User, error)
	FindUserByID(ctx context.Context, id int64) (User, error)
	CreateSession(ctx context.Context, tokenHash []byte, userID int64, now, expires time.Time) error
	// FindSession returns the user of a session that has not expired and
	// was last seen after idleSince, and touches it.
	FindSession(ctx context.Context, tokenHash []byte, now, idleSince time.Time) (User, error)
	DeleteSession(ctx context.Context, tokenHash []byte) error
	CreateAPIToken(ctx context.Context, tokenHash []byte, userID int64, deviceID string, now, expires time.Time) error
	FindAPIToken(ctx context.Context, tokenHash []byte, now time.Time) (User, string, error)
	FindDesk(ctx context.Context, code string) (Desk, error)
	FindOffice(ctx context.Context, code string) (PostOffice, error)
	// UpdateLoginThrottle runs fn on a username's failure record (zero when
	// there is none) under a row lock and stores what it returns (a record
	// with no failures is deleted). An error from fn changes nothing.
	UpdateLoginThrottle(ctx context.Context, username string, fn func(LoginThrottle) (LoginThrottle, error)) error
	ClearLoginThrottle(ctx context.Context, username string) error
	// RecordSignIn notes a sign-in of an account (ok: its last sign-in
	// time too) in the audit log.
	RecordSignIn(ctx context.Context, userID int64, username, via string, ok bool, at time.Time) error
}

// Audit actions of sign-ins: through the staff page or the courier app, and
// refused attempts on an existing account (attempts on unknown names are
// only logged, with the client address).
const (
	AuditSignedIn     = "auth.signed_in"
	AuditSignInFailed = "auth.sign_in_failed"
)

// Auth authenticates staff: browser sessions and courier bearer tokens.
type Auth struct {
	Store       AuthStore
	Now         func() time.Time
	SessionTTL  time.Duration
	IdleTimeout time.Duration // a session unused this long ends (default 30 min)
	TokenTTL    time.Duration
	Key         []byte // session key: CSRF tokens are derived from it
	Policy      LoginPolicy

	once   sync.Once
	slots  chan struct{}
	budget struct {
		sync.Mutex
		start time.Time
		n     int
	}
}

var usernamePattern = regexp.MustCompile(`^[a-z0-9_.-]{3,40}$`)

// NewUser is what an admin gives to create an account.
type NewUser struct {
	Username, Password, FullName, StaffCode string
	Role                                    Role
	OfficeCode, DeskCode, ProvinceCode      string
	Demo                                    bool
}

// CreateUser validates and stores an account. The province of offices and
// desks is taken from them.
func (a *Auth) CreateUser(ctx context.Context, n NewUser) (User, error) {
	f := errs.Fields{}
	n.Username = NormalizeUsername(n.Username)
	if !ValidUsername(n.Username) {
		f.Add("username", "3–40 ký tự: chữ thường không dấu, số, . _ -")
	}
	if len([]rune(n.Password)) < 10 {
		f.Add("password", "mật khẩu cần ít nhất 10 ký tự")
	}
	role, ok := ParseRole(string(n.Role))
	if !ok {
		f.Add("role", "vai trò phải là admin, dispatcher, courier, post_office hoặc desk")
	}
	u := User{Username: n.Username, Role: role, FullName: vntext.NFC(n.FullName), StaffCode: strings.TrimSpace(n.StaffCode),
		Active: true, Demo: n.Demo, CreatedAt: a.Now(), ProvinceCode: n.ProvinceCode}
	if u.StaffCode == "" {
		u.StaffCode = strings.ToUpper(n.Username)
	}
	u.OfficeCode, u.DeskCode, u.ProvinceCode = a.resolveScope(ctx, role, n.OfficeCode, n.DeskCode, n.ProvinceCode, f)
	if err := f.Err(errs.Invalid, "Tài khoản chưa hợp lệ"); err != nil {
		return User{}, err
	}
	h, err := secret.HashPassword(n.Password)
	if err != nil {
		return User{}, err
	}
	u.PasswordHash = h
	return a.Store.CreateUser(ctx, u)
}

// resolveScope checks the units of an account of a role (an active office
// for couriers and post offices, an active desk for desks, a province or an
// office for dispatchers) and returns them, adding problems to f; the
// province of offices and desks is taken from them.
func (a *Auth) resolveScope(ctx context.Context, role Role, officeCode, deskCode, provinceCode string, f errs.Fields) (office, desk, province string) {
	province = provinceCode
	switch role {
	case RoleCourier, RoleOffice:
		if officeCode == "" {
			f.Add("office", "bưu tá và bưu cục cần --office")
			break
		}
		o, err := a.Store.FindOffice(ctx, officeCode)
		if err != nil {
			f.Add("office", "không có bưu cục "+officeCode)
			break
		}
		if !o.Active {
			f.Add("office", "bưu cục "+officeCode+" đã ngừng hoạt động")
			break
		}
		office, province = o.Code, o.ProvinceCode
	case RoleDesk:
		if deskCode == "" {
			f.Add("desk", "bộ phận một cửa cần --desk")
			break
		}
		k, err := a.Store.FindDesk(ctx, deskCode)
		if err != nil {
			f.Add("desk", "không có bộ phận một cửa "+deskCode)
			break
		}
		if !k.Active {
			f.Add("desk", "bộ phận một cửa "+deskCode+" đã ngừng hoạt động")
			break
		}
		desk, province = k.Code, k.ProvinceCode
	case RoleDispatcher:
		if officeCode != "" {
			o, err := a.Store.FindOffice(ctx, officeCode)
			if err != nil {
				f.Add("office", "không có bưu cục "+officeCode)
				break
			}
			office, province = o.Code, o.ProvinceCode
		}
		if province == "" {
			f.Add("province", "điều phối viên cần --province hoặc --office")
		}
	}
	if role != RoleCourier && role != RoleOffice && role != RoleDispatcher && officeCode != "" {
		f.Add("office", "vai trò này không gắn với bưu cục")
	}
	if role != RoleDesk && deskCode != "" {
		f.Add("desk", "vai trò này không gắn với bộ phận một cửa")
	}
	return office, desk, province
}

// LoginPolicy bounds password guessing: per account (growing delays, then
// a lock an admin lifts) and in all (concurrent password checks and checks
// per minute, so random usernames cannot saturate the processors).
type LoginPolicy struct {
	FreeFailures int           // consecutive failures before delays start (default 5)
	Delay        time.Duration // the first delay; it doubles with each further failure (default 1 s)
	MaxDelay     time.Duration // the longest delay (default 15 min)
	LockAfter    int           // consecutive failures that lock the account (default 20)
	MaxHashing   int           // password checks at once (default half the processors, at least 1)
	PerMinute    int           // password checks per minute in all (default 300)
	HashWait     time.Duration // how long an attempt waits for a free check (default 5 s)
}

func (p LoginPolicy) withDefaults() LoginPolicy {
	if p.FreeFailures <= 0 {
		p.FreeFailures = 5
	}
	if p.Delay <= 0 {
		p.Delay = time.Second
	}
	if p.MaxDelay <= 0 {
		p.MaxDelay = 15 * time.Minute
	}
	if p.LockAfter <= 0 {
		p.LockAfter = 20
	}
	if p.MaxHashing <= 0 {
		p.MaxHashing = max(1, runtime.GOMAXPROCS(0)/2)
	}
	if p.PerMinute <= 0 {
		p.PerMinute = 300
	}
	if p.HashWait <= 0 {
		p.HashWait = 5 * time.Second
	}
	return p
}

// wait is how long after the last failure the next attempt must wait:
// none for the first FreeFailures failures, then Delay doubling up to
// MaxDelay.
func (p LoginPolicy) wait(failures int) time.Duration {
	if failures < p.FreeFailures {
		return 0
	}
	d := p.Delay
	for i := p.FreeFailures; i < failures && d < p.MaxDelay; i++ {
		d *= 2
	}
	return min(d, p.MaxDelay)
}

// LoginThrottle is the failure record of a normalised username.
type LoginThrottle struct {
	Username     string
	Failures     int
	LastFailedAt time.Time
	LockedAt     *time.Time
}

// RetryAfter carries how long a refused attempt should wait; the web
// adapter turns it into a Retry-After header.
type RetryAfter struct{ Wait time.Duration }

func (r *RetryAfter) Error() string { return "retry after " + r.Wait.String() }

// NormalizeUsername is the one form of a typed username: compatibility
// forms folded (full-width letters), lower case, format characters (zero
// width) removed, surrounding white space trimmed. Sign-in, throttling and
// account creation all use it, so " Buuta2\t" and "buuta2" are one account
// and one failure count.
func NormalizeUsername(s string) string {
	s = norm.NFKC.String(s)
	s = strings.Map(func(r rune) rune {
		if unicode.Is(unicode.Cf, r) {
			return -1
		}
		return r
	}, s)
	return strings.ToLower(strings.TrimSpace(s))
}

// ValidUsername reports whether a normalised username has the form every
// account's name has.
func ValidUsername(s string) bool { return usernamePattern.MatchString(s) }

func wrongLogin() error {
	return errs.E(errs.Unauthorized, "Sai tên đăng nhập hoặc mật khẩu")
}

// maxPassword bounds what is hashed; longer input is a wrong password.
const maxPassword = 1024

func (a *Auth) init() {
	a.once.Do(func() {
		a.Policy = a.Policy.withDefaults()
		a.slots = make(chan struct{}, a.Policy.MaxHashing)
		if a.IdleTimeout <= 0 {
			a.IdleTimeout = 30 * time.Minute
		}
	})
}

// takeBudget counts one password check against the global per-minute
// budget.
func (a *Auth) takeBudget() error {
	now := a.Now()
	a.budget.Lock()
	defer a.budget.Unlock()
	if now.Sub(a.budget.start) >= time.Minute {
		a.budget.start, a.budget.n = now, 0
	}
	if a.budget.n >= a.Policy.PerMinute {
		wait := a.budget.start.Add(time.Minute).Sub(now)
		return errs.Wrapf(errs.RateLimited, &RetryAfter{Wait: wait}, "Hệ thống đang nhận quá nhiều lượt đăng nhập. Vui lòng thử lại sau ít phút.")
	}
	a.budget.n++
	return nil
}

// checkHash runs one password check (or its dummy) in a bounded slot.
func (a *Auth) checkHash(ctx context.Context, hash, password string) (bool, error) {
	t := time.NewTimer(a.Policy.HashWait)
	defer t.Stop()
	select {
	case a.slots <- struct{}{}:
	case <-t.C:
		return false, errs.Wrapf(errs.RateLimited, &RetryAfter{Wait: 5 * time.Second}, "Hệ thống đang bận. Vui lòng thử lại sau ít giây.")
	case <-ctx.Done():
		return false, errs.Wrapf(errs.Unavailable, ctx.Err(), "Hệ thống đang bận. Vui lòng thử lại.")
	}
	defer func() { <-a.slots }()
	if len(password) > maxPassword {
		secret.DummyCheck(password[:maxPassword])
		return false, nil
	}
	if hash == "" {
		secret.DummyCheck(password)
		return false, nil
	}
	return secret.CheckPassword(hash, password), nil
}

// reserve counts an attempt on a username before its password is checked,
// so parallel guesses cannot slip between the check and the count: within
// the free failures it passes; then only after the delay; a locked name
// never. A right password then clears the record.
func (a *Auth) reserve(ctx context.Context, name string) error {
	now := a.Now()
	return a.Store.UpdateLoginThrottle(ctx, name, func(t LoginThrottle) (LoginThrottle, error) {
		if t.LockedAt != nil {
			return t, errs.Wrapf(errs.RateLimited, &RetryAfter{Wait: time.Hour},
				"Tài khoản đã tạm khóa vì đăng nhập sai nhiều lần. Liên hệ quản trị viên hoặc bưu cục để mở khóa.")
		}
		if w := a.Policy.wait(t.Failures); w > 0 {
			if until := t.LastFailedAt.Add(w); now.Before(until) {
				return t, errs.Wrapf(errs.RateLimited, &RetryAfter{Wait: until.Sub(now)},
					"Đăng nhập sai nhiều lần. Vui lòng chờ %s rồi thử lại.", humanWait(until.Sub(now)))
			}
		}
		t.Username = name
		t.Failures++
		t.LastFailedAt = now
		if t.Failures >= a.Policy.LockAfter {
			t.LockedAt = &now
		}
		return t, nil
	})
}

func humanWait(d time.Duration) string {
	if d < time.Minute {
		return strconv.Itoa(int(d.Seconds())+1) + " giây"
	}
	return strconv.Itoa(int(d.Minutes())+1) + " phút"
}

// authenticate checks a username and password; accept decides whether a
// right password of that account may sign in here (a role the endpoint
// serves). Every refusal short of throttling is the same error.
func (a *Auth) authenticate(ctx context.Context, username, password string, accept func(User) bool) (User, error) {
	a.init()
	name := NormalizeUsername(username)
	if err := a.takeBudget(); err != nil {
		return User{}, err
	}
	valid := ValidUsername(name)
	if valid {
		if err := a.reserve(ctx, name); err != nil {
			return User{}, err
		}
	}
	var u User
	hash := ""
	if valid {
		var err error
		u, err = a.Store.FindUserByUsername(ctx, name)
		switch {
		case err == nil:
			hash = u.PasswordHash
		case !errs.Is(err, errs.NotFound):
			return User{}, err
		}
	}
	ok, err := a.checkHash(ctx, hash, password)
	if err != nil {
		return User{}, err
	}
	if !ok || !u.Active || (accept != nil && !accept(u)) {
		if u.ID != 0 {
			why := "mật khẩu sai"
			switch {
			case ok && !u.Active:
				why = "tài khoản đã vô hiệu"
			case ok:
				why = "vai trò không dùng được ở đây"
			}
			if err := a.Store.RecordSignIn(ctx, u.ID, u.Username, why, false, a.Now()); err != nil {
				return User{}, err
			}
		}
		return User{}, wrongLogin()
	}
	if err := a.Store.ClearLoginThrottle(ctx, name); err != nil {
		return User{}, err
	}
	return u, nil
}

// Login checks a username and password for a staff page session. Unknown
// users take as long as wrong passwords and get the same answer; repeated
// failures on one name are delayed, then locked.
func (a *Auth) Login(ctx context.Context, username, password string) (User, error) {
	return a.authenticate(ctx, username, password, nil)
}

// StartSession opens a browser session and returns its cookie value.
func (a *Auth) StartSession(ctx context.Context, u User) (token string, expires time.Time, err error) {
	token = secret.Token(32)
	now := a.Now()
	expires = now.Add(a.SessionTTL)
	if err := a.Store.CreateSession(ctx, secret.TokenHash(token), u.ID, now, expires); err != nil {
		return "", time.Time{}, err
	}
	return token, expires, a.Store.RecordSignIn(ctx, u.ID, u.Username, "trang nhân viên", true, now)
}

// SessionUser returns the user of a session cookie. A session unused for
// the idle timeout has ended.
func (a *Auth) SessionUser(ctx context.Context, token string) (User, error) {
	a.init()
	if token == "" {
		return User{}, errs.E(errs.Unauthorized, "Cần đăng nhập")
	}
	now := a.Now()
	return a.Store.FindSession(ctx, secret.TokenHash(token), now, now.Add(-a.IdleTimeout))
}

// EndSession logs out.
func (a *Auth) EndSession(ctx context.Context, token string) error {
	return a.Store.DeleteSession(ctx, secret.TokenHash(token))
}

// CSRFToken derives the form token bound to a session (or to an anonymous
// visitor's random cookie).
func (a *Auth) CSRFToken(binding string) string {
	m := hmac.New(sha256.New, a.Key)
	m.Write([]byte("csrf\x00" + binding))
	return hex.EncodeToString(m.Sum(nil))
}

// CheckCSRF compares a submitted token with the one bound to binding.
func (a *Auth) CheckCSRF(binding, token string) bool {
	if binding == "" || token == "" {
		return false
	}
	return hmac.Equal([]byte(a.CSRFToken(binding)), []byte(token))
}

// IssueToken logs a courier app in and returns a bearer token. Only an
// active courier's right password gets one; every other case (unknown
// name, wrong password, another role) is the same refusal and stores
// nothing.
func (a *Auth) IssueToken(ctx context.Context, username, password, deviceID string) (User, string, time.Time, error) {
	deviceID = strings.TrimSpace(deviceID)
	if deviceID == "" || len(deviceID) > 128 {
		return User{}, "", time.Time{}, errs.E(errs.Invalid, "thiếu device_id").WithFields(map[string]string{"device_id": "1–128 ký tự"})
	}
	u, err := a.authenticate(ctx, username, password, func(u User) bool { return u.Role == RoleCourier })
	if err != nil {
		return User{}, "", time.Time{}, err
	}
	if u.MustChangePassword {
		return User{}, "", time.Time{}, errs.E(errs.Forbidden, "Mật khẩu tạm thời: đăng nhập trang nhân viên để đặt mật khẩu mới, rồi đăng nhập lại ứng dụng.")
	}
	token := secret.Token(32)
	now := a.Now()
	exp := now.Add(a.TokenTTL)
	if err := a.Store.CreateAPIToken(ctx, secret.TokenHash(token), u.ID, deviceID, now, exp); err != nil {
		return User{}, "", time.Time{}, err
	}
	if err := a.Store.RecordSignIn(ctx, u.ID, u.Username, "ứng dụng bưu tá", true, now); err != nil {
		return User{}, "", time.Time{}, err
	}
	return u, token, exp, nil
}

// TokenUser returns the user and device of a bearer token.
func (a *Auth) TokenUser(ctx context.Context, token string) (User, string, error) {
	if token == "" {
		return User{}, "", errs.E(errs.Unauthorized, "thiếu mã truy cập")
	}
	return a.Store.FindAPIToken(ctx, secret.TokenHash(token), a.Now())
}
