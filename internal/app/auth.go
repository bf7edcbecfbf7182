package app

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
	"strings"
	"time"

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
	FindSession(ctx context.Context, tokenHash []byte, now time.Time) (User, error)
	DeleteSession(ctx context.Context, tokenHash []byte) error
	CreateAPIToken(ctx context.Context, tokenHash []byte, userID int64, deviceID string, now, expires time.Time) error
	FindAPIToken(ctx context.Context, tokenHash []byte, now time.Time) (User, string, error)
	FindDesk(ctx context.Context, code string) (Desk, error)
	FindOffice(ctx context.Context, code string) (PostOffice, error)
}

// Auth authenticates staff: browser sessions and courier bearer tokens.
type Auth struct {
	Store      AuthStore
	Now        func() time.Time
	SessionTTL time.Duration
	TokenTTL   time.Duration
	Key        []byte // session key: CSRF tokens are derived from it
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
	n.Username = strings.ToLower(strings.TrimSpace(n.Username))
	if !usernamePattern.MatchString(n.Username) {
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
	switch role {
	case RoleCourier, RoleOffice:
		if n.OfficeCode == "" {
			f.Add("office", "bưu tá và bưu cục cần --office")
			break
		}
		o, err := a.Store.FindOffice(ctx, n.OfficeCode)
		if err != nil {
			f.Add("office", "không có bưu cục "+n.OfficeCode)
			break
		}
		u.OfficeCode, u.ProvinceCode = o.Code, o.ProvinceCode
	case RoleDesk:
		if n.DeskCode == "" {
			f.Add("desk", "bộ phận một cửa cần --desk")
			break
		}
		k, err := a.Store.FindDesk(ctx, n.DeskCode)
		if err != nil {
			f.Add("desk", "không có bộ phận một cửa "+n.DeskCode)
			break
		}
		u.DeskCode, u.ProvinceCode = k.Code, k.ProvinceCode
	case RoleDispatcher:
		if n.OfficeCode != "" {
			o, err := a.Store.FindOffice(ctx, n.OfficeCode)
			if err != nil {
				f.Add("office", "không có bưu cục "+n.OfficeCode)
				break
			}
			u.OfficeCode, u.ProvinceCode = o.Code, o.ProvinceCode
		}
		if u.ProvinceCode == "" {
			f.Add("province", "điều phối viên cần --province hoặc --office")
		}
	}
	if role != RoleCourier && role != RoleOffice && role != RoleDispatcher && n.OfficeCode != "" {
		f.Add("office", "vai trò này không gắn với bưu cục")
	}
	if role != RoleDesk && n.DeskCode != "" {
		f.Add("desk", "vai trò này không gắn với bộ phận một cửa")
	}
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

// Login checks a username and password. Unknown users take as long as wrong
// passwords.
func (a *Auth) Login(ctx context.Context, username, password string) (User, error) {
	u, err := a.Store.FindUserByUsername(ctx, strings.ToLower(strings.TrimSpace(username)))
	if errs.Is(err, errs.NotFound) {
		secret.DummyCheck(password)
		return User{}, errs.E(errs.Unauthorized, "Sai tên đăng nhập hoặc mật khẩu")
	}
	if err != nil {
		return User{}, err
	}
	if !secret.CheckPassword(u.PasswordHash, password) || !u.Active {
		return User{}, errs.E(errs.Unauthorized, "Sai tên đăng nhập hoặc mật khẩu")
	}
	return u, nil
}

// StartSession opens a browser session and returns its cookie value.
func (a *Auth) StartSession(ctx context.Context, u User) (token string, expires time.Time, err error) {
	token = secret.Token(32)
	now := a.Now()
	expires = now.Add(a.SessionTTL)
	return token, expires, a.Store.CreateSession(ctx, secret.TokenHash(token), u.ID, now, expires)
}

// SessionUser returns the user of a session cookie.
func (a *Auth) SessionUser(ctx context.Context, token string) (User, error) {
	if token == "" {
		return User{}, errs.E(errs.Unauthorized, "Cần đăng nhập")
	}
	return a.Store.FindSession(ctx, secret.TokenHash(token), a.Now())
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

// IssueToken logs a courier app in and returns a bearer token.
func (a *Auth) IssueToken(ctx context.Context, username, password, deviceID string) (User, string, time.Time, error) {
	deviceID = strings.TrimSpace(deviceID)
	if deviceID == "" || len(deviceID) > 128 {
		return User{}, "", time.Time{}, errs.E(errs.Invalid, "thiếu device_id").WithFields(map[string]string{"device_id": "1–128 ký tự"})
	}
	u, err := a.Login(ctx, username, password)
	if err != nil {
		return User{}, "", time.Time{}, err
	}
	token := secret.Token(32)
	now := a.Now()
	exp := now.Add(a.TokenTTL)
	if err := a.Store.CreateAPIToken(ctx, secret.TokenHash(token), u.ID, deviceID, now, exp); err != nil {
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
