package app

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"hoso/internal/errs"
	"hoso/internal/secret"
	"hoso/internal/vntext"
)

// Account is a staff account as its managers see it: the user and the
// state of its sign-ins.
type Account struct {
	User
	LockedAt      *time.Time // sign-in locked after repeated failures
	Failures      int        // consecutive failed sign-ins
	LiveTokens    int        // courier app tokens not revoked or expired
	LiveDevices   int        // device keys not revoked
	LastSeenAt    *time.Time // the latest use of a browser session
	LastLoginAt   *time.Time // the latest sign-in (page or app)
	DeactivatedAt *time.Time
}

// AccountFilter narrows a list of accounts; empty fields match all.
type AccountFilter struct {
	ProvinceCode string
	OfficeCode   string
	Role         Role
}

// AccountStore is what account management needs.
type AccountStore interface {
	FindUserByID(ctx context.Context, id int64) (User, error)
	FindAccounts(ctx context.Context, f AccountFilter, now time.Time) ([]Account, error)
	SetPassword(ctx context.Context, userID int64, hash string, mustChange bool, at time.Time) error
	EndSessions(ctx context.Context, userID int64, keep []byte) (int, error)
	RevokeAPITokens(ctx context.Context, userID int64, at time.Time) (int, error)
	RevokeDeviceKeys(ctx context.Context, userID int64, at time.Time) (int, error)
	SetActive(ctx context.Context, userID int64, active bool, at time.Time) error
	SetUserScope(ctx context.Context, userID int64, province, office, desk string) error
	ClearLoginThrottle(ctx context.Context, username string) error
	InsertAudit(ctx context.Context, userID int64, action, subject, reason string, at time.Time) error
}

// Accounts manages staff accounts: a user changes their own password or
// signs out everywhere; an admin (every account of the province, or of all
// provinces when the admin has none) or a post office (its own couriers)
// revokes a lost phone, deactivates and reactivates, resets a password to a
// temporary one and lifts a sign-in lock. Every action is one transaction
// with its audit row.
type Accounts struct {
	Store AccountStore
	Tx    Tx
	Auth  *Auth
	Now   func() time.Time
}

// Audit actions of account management.
const (
	AuditPasswordChanged = "account.password_changed"
	AuditPasswordReset   = "account.password_reset"
	AuditDevicesRevoked  = "account.devices_revoked"
	AuditDeactivated     = "account.deactivated"
	AuditReactivated     = "account.reactivated"
	AuditUnlocked        = "account.unlocked"
	AuditSignedOutAll    = "account.signed_out_everywhere"
	AuditCreated         = "account.created"
	AuditScopeChanged    = "account.scope_changed"
)

// ManagedBy is the filter of the accounts a user may manage; forbidden for
// roles that manage none.
func ManagedBy(actor User) (AccountFilter, error) {
	switch actor.Role {
	case RoleAdmin:
		return AccountFilter{ProvinceCode: actor.ProvinceCode}, nil
	case RoleOffice:
		return AccountFilter{OfficeCode: actor.OfficeCode, Role: RoleCourier}, nil
	}
	return AccountFilter{}, errs.E(errs.Forbidden, "Tài khoản %s không quản lý tài khoản khác", actor.Role.Label())
}

// CanManage reports whether actor may act on target (never on itself: a
// user changes their own password on the password page).
func CanManage(actor, target User) bool {
	if actor.ID == target.ID {
		return false
	}
	f, err := ManagedBy(actor)
	if err != nil {
		return false
	}
	return (f.ProvinceCode == "" || f.ProvinceCode == target.ProvinceCode) &&
		(f.OfficeCode == "" || f.OfficeCode == target.OfficeCode) &&
		(f.Role == "" || f.Role == target.Role)
}

// List returns the accounts actor manages.
func (a *Accounts) List(ctx context.Context, actor User) ([]Account, error) {
	f, err := ManagedBy(actor)
	if err != nil {
		return nil, err
	}
	all, err := a.Store.FindAccounts(ctx, f, a.Now())
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, acc := range all {
		if acc.ID != actor.ID {
			out = append(out, acc)
		}
	}
	return out, nil
}

// target loads an account actor may manage; any other is not found, so a
// manager learns nothing of accounts outside their scope.
func (a *Accounts) target(ctx context.Context, actor User, id int64) (User, error) {
	if _, err := ManagedBy(actor); err != nil {
		return User{}, err
	}
	u, err := a.Store.FindUserByID(ctx, id)
	if errs.Is(err, errs.NotFound) || (err == nil && !CanManage(actor, u)) {
		return User{}, errs.E(errs.NotFound, "Không tìm thấy tài khoản này trong phạm vi bạn quản lý")
	}
	return u, err
}

func subject(u User) string { return "user:" + u.Username }

// Revoked counts what a revocation ended.
type Revoked struct {
	Sessions, Tokens, Devices int
}

func (r Revoked) String() string {
	return fmt.Sprintf("%d phiên, %d mã ứng dụng, %d khóa thiết bị", r.Sessions, r.Tokens, r.Devices)
}

// revokeAll ends a user's sessions and revokes their app tokens and, with
// devices, their device keys; inside the caller's transaction.
func (a *Accounts) revokeAll(ctx context.Context, u User, devices bool, at time.Time) (Revoked, error) {
	var r Revoked
	var err error
	if r.Sessions, err = a.Store.EndSessions(ctx, u.ID, nil); err != nil {
		return r, err
	}
	if r.Tokens, err = a.Store.RevokeAPITokens(ctx, u.ID, at); err != nil {
		return r, err
	}
	if devices {
		if r.Devices, err = a.Store.RevokeDeviceKeys(ctx, u.ID, at); err != nil {
			return r, err
		}
	}
	return r, nil
}

// reason cleans a manager's note for the audit row.
func reason(note string) (string, error) {
	note = vntext.NFC(note)
	if utf8.RuneCountInString(note) > 300 || vntext.HasControl(note) {
		return "", errs.E(errs.Invalid, "Ghi chú tối đa 300 ký tự").WithFields(map[string]string{"reason": "Tối đa 300 ký tự, không ký tự điều khiển"})
	}
	return note, nil
}

// RevokeDevices is "mất điện thoại": in one audited action, every browser
// session, app token and device key of the account ends. The courier signs
// in again on a new phone, which registers a new key.
func (a *Accounts) RevokeDevices(ctx context.Context, actor User, id int64, note string) (User, Revoked, error) {
	note, err := reason(note)
	if err != nil {
		return User{}, Revoked{}, err
	}
	u, err := a.target(ctx, actor, id)
	if err != nil {
		return User{}, Revoked{}, err
	}
	var r Revoked
	now := a.Now()
	err = a.Tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		if r, err = a.revokeAll(ctx, u, true, now); err != nil {
			return err
		}
		return a.Store.InsertAudit(ctx, actor.ID, AuditDevicesRevoked, subject(u), strings.TrimSpace(r.String()+". "+note), now)
	})
	return u, r, err
}

// SetActive deactivates (ending every session, token and device key) or
// reactivates an account.
func (a *Accounts) SetActive(ctx context.Context, actor User, id int64, active bool, note string) (User, error) {
	note, err := reason(note)
	if err != nil {
		return User{}, err
	}
	u, err := a.target(ctx, actor, id)
	if err != nil {
		return User{}, err
	}
	now := a.Now()
	err = a.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := a.Store.SetActive(ctx, u.ID, active, now); err != nil {
			return err
		}
		action := AuditReactivated
		if !active {
			action = AuditDeactivated
			r, err := a.revokeAll(ctx, u, true, now)
			if err != nil {
				return err
			}
			note = strings.TrimSpace(r.String() + ". " + note)
		}
		return a.Store.InsertAudit(ctx, actor.ID, action, subject(u), note, now)
	})
	u.Active = active
	return u, err
}

// tempAlphabet has no letters or digits a reader confuses (0/O, 1/l/I).
const tempAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// ResetPassword gives an account a temporary password (returned once, to be
// handed to its owner), which only opens the password page; every session
// and app token ends and a sign-in lock is lifted.
func (a *Accounts) ResetPassword(ctx context.Context, actor User, id int64) (User, string, error) {
	u, err := a.target(ctx, actor, id)
	if err != nil {
		return User{}, "", err
	}
	temp := secret.Code(4, tempAlphabet) + "-" + secret.Code(4, tempAlphabet) + "-" + secret.Code(4, tempAlphabet)
	h, err := secret.HashPassword(temp)
	if err != nil {
		return User{}, "", err
	}
	now := a.Now()
	err = a.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := a.Store.SetPassword(ctx, u.ID, h, true, now); err != nil {
			return err
		}
		r, err := a.revokeAll(ctx, u, false, now)
		if err != nil {
			return err
		}
		if err := a.Store.ClearLoginThrottle(ctx, u.Username); err != nil {
			return err
		}
		return a.Store.InsertAudit(ctx, actor.ID, AuditPasswordReset, subject(u), r.String(), now)
	})
	if err != nil {
		return User{}, "", err
	}
	return u, temp, nil
}

// Unlock lifts an account's sign-in lock and forgets its failures.
func (a *Accounts) Unlock(ctx context.Context, actor User, id int64) (User, error) {
	u, err := a.target(ctx, actor, id)
	if err != nil {
		return User{}, err
	}
	now := a.Now()
	err = a.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := a.Store.ClearLoginThrottle(ctx, u.Username); err != nil {
			return err
		}
		return a.Store.InsertAudit(ctx, actor.ID, AuditUnlocked, subject(u), "", now)
	})
	return u, err
}

// commonPasswords are refused as new passwords: the first guesses of any
// attacker, in Vietnamese and English.
var commonPasswords = map[string]bool{
	"1234567890": true, "0123456789": true, "12345678910": true, "1111111111": true, "0000000000": true,
	"matkhau123": true, "matkhau1234": true, "matkhau@123": true, "password123": true, "password1234": true,
	"qwertyuiop": true, "abc1234567": true, "abcd123456": true, "admin12345": true, "admin@1234": true,
	"12345678@a": true, "a123456789": true, "iloveyou12": true, "vietnam123": true, "buudien123": true,
}

// CheckNewPassword tells what is wrong with a new password, or "".
func CheckNewPassword(username, password string) string {
	n := utf8.RuneCountInString(password)
	switch {
	case n < 10:
		return "Mật khẩu mới cần ít nhất 10 ký tự"
	case len(password) > 256:
		return "Mật khẩu mới dài tối đa 256 byte"
	case !utf8.ValidString(password) || vntext.HasControl(password):
		return "Mật khẩu mới có ký tự không dùng được"
	case commonPasswords[strings.ToLower(password)]:
		return "Mật khẩu này quá phổ biến, hãy chọn mật khẩu khác"
	case username != "" && strings.Contains(strings.ToLower(password), strings.ToLower(username)):
		return "Mật khẩu mới không được chứa tên đăng nhập"
	case strings.Count(password, string([]rune(password)[0])) == len(password):
		return "Mật khẩu mới không được lặp một ký tự"
	}
	return ""
}

// ChangePassword sets a user's own new password after checking the current
// one (a wrong one counts as a failed sign-in). Every other session and
// every app token of the user ends; keepSession (the session making the
// change) stays.
func (a *Accounts) ChangePassword(ctx context.Context, u User, current, next, confirm, keepSession string) error {
	f := errs.Fields{}
	if msg := CheckNewPassword(u.Username, next); msg != "" {
		f.Add("new_password", msg)
	} else if next == current {
		f.Add("new_password", "Mật khẩu mới phải khác mật khẩu hiện tại")
	}
	if confirm != next {
		f.Add("confirm_password", "Nhập lại đúng mật khẩu mới")
	}
	if current == "" {
		f.Add("current_password", "Nhập mật khẩu hiện tại")
	}
	if err := f.Err(errs.Invalid, "Chưa đổi được mật khẩu"); err != nil {
		return err
	}
	if _, err := a.Auth.authenticate(ctx, u.Username, current, func(x User) bool { return x.ID == u.ID }); err != nil {
		if errs.Is(err, errs.Unauthorized) {
			return errs.E(errs.Invalid, "Chưa đổi được mật khẩu").WithFields(map[string]string{"current_password": "Mật khẩu hiện tại không đúng"})
		}
		return err
	}
	h, err := secret.HashPassword(next)
	if err != nil {
		return err
	}
	now := a.Now()
	var keep []byte
	if keepSession != "" {
		keep = secret.TokenHash(keepSession)
	}
	return a.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := a.Store.SetPassword(ctx, u.ID, h, false, now); err != nil {
			return err
		}
		n, err := a.Store.EndSessions(ctx, u.ID, keep)
		if err != nil {
			return err
		}
		t, err := a.Store.RevokeAPITokens(ctx, u.ID, now)
		if err != nil {
			return err
		}
		return a.Store.InsertAudit(ctx, u.ID, AuditPasswordChanged, subject(u), Revoked{Sessions: n, Tokens: t}.String(), now)
	})
}

// SignOutEverywhere ends every session (this one too) and app token of a
// user.
func (a *Accounts) SignOutEverywhere(ctx context.Context, u User) (Revoked, error) {
	var r Revoked
	now := a.Now()
	err := a.Tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		if r, err = a.revokeAll(ctx, u, false, now); err != nil {
			return err
		}
		return a.Store.InsertAudit(ctx, u.ID, AuditSignedOutAll, subject(u), r.String(), now)
	})
	return r, err
}

// unitOf names an account's units for an audit row.
func unitOf(u User) string {
	var parts []string
	if u.ProvinceCode != "" {
		parts = append(parts, "tỉnh "+u.ProvinceCode)
	}
	if u.OfficeCode != "" {
		parts = append(parts, "bưu cục "+u.OfficeCode)
	}
	if u.DeskCode != "" {
		parts = append(parts, "một cửa "+u.DeskCode)
	}
	if len(parts) == 0 {
		return "mọi tỉnh"
	}
	return strings.Join(parts, ", ")
}

// tempPassword is a temporary password: three groups of four characters
// no reader confuses.
func tempPassword() string {
	return secret.Code(4, tempAlphabet) + "-" + secret.Code(4, tempAlphabet) + "-" + secret.Code(4, tempAlphabet)
}

// Create makes an account in actor's scope with a temporary password,
// returned once to be handed to its owner, who must change it at the first
// sign-in. A post office makes couriers of its own office only (whatever
// the form says); an admin of a province accounts of that province only.
func (a *Accounts) Create(ctx context.Context, actor User, n NewUser) (User, string, error) {
	if _, err := ManagedBy(actor); err != nil {
		return User{}, "", err
	}
	if actor.Role == RoleOffice {
		n.Role, n.OfficeCode, n.DeskCode, n.ProvinceCode = RoleCourier, actor.OfficeCode, "", ""
	} else if actor.ProvinceCode != "" && (n.Role == RoleAdmin || n.Role == RoleDispatcher) && n.OfficeCode == "" {
		n.ProvinceCode = actor.ProvinceCode
	}
	temp := tempPassword()
	n.Password, n.Demo = temp, false
	now := a.Now()
	var u User
	err := a.Tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		if u, err = a.Auth.CreateUser(ctx, n); err != nil {
			return err
		}
		if !CanManage(actor, u) {
			return errs.E(errs.Invalid, "Tài khoản này nằm ngoài phạm vi bạn quản lý").
				WithFields(map[string]string{"office": "Chọn đơn vị trong phạm vi của bạn"})
		}
		if err := a.Store.SetPassword(ctx, u.ID, u.PasswordHash, true, now); err != nil {
			return err
		}
		return a.Store.InsertAudit(ctx, actor.ID, AuditCreated, subject(u), u.Role.Label()+", "+unitOf(u), now)
	})
	if err != nil {
		return User{}, "", err
	}
	u.MustChangePassword = true
	return u, temp, nil
}

// SetScope moves an account to other units, keeping its role: an admin
// only (a post office cannot send its couriers elsewhere), within the
// admin's province. Every session and app token of the account ends, so it
// signs in again under its new scope; device keys stay with the phone.
func (a *Accounts) SetScope(ctx context.Context, actor User, id int64, office, desk, province, note string) (User, error) {
	if actor.Role != RoleAdmin {
		return User{}, errs.E(errs.Forbidden, "Chỉ quản trị viên đổi đơn vị của tài khoản")
	}
	note, err := reason(note)
	if err != nil {
		return User{}, err
	}
	u, err := a.target(ctx, actor, id)
	if err != nil {
		return User{}, err
	}
	f := errs.Fields{}
	office, desk, province = strings.TrimSpace(office), strings.TrimSpace(desk), strings.TrimSpace(province)
	if actor.ProvinceCode != "" && (u.Role == RoleAdmin || u.Role == RoleDispatcher) && office == "" {
		province = actor.ProvinceCode
	}
	moved := u
	moved.OfficeCode, moved.DeskCode, moved.ProvinceCode = a.Auth.resolveScope(ctx, u.Role, office, desk, province, f)
	if err := f.Err(errs.Invalid, "Đơn vị mới chưa hợp lệ"); err != nil {
		return User{}, err
	}
	if !CanManage(actor, moved) {
		return User{}, errs.E(errs.Invalid, "Đơn vị mới nằm ngoài phạm vi bạn quản lý").
			WithFields(map[string]string{"office": "Chọn đơn vị trong phạm vi của bạn"})
	}
	now := a.Now()
	err = a.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := a.Store.SetUserScope(ctx, u.ID, moved.ProvinceCode, moved.OfficeCode, moved.DeskCode); err != nil {
			return err
		}
		r, err := a.revokeAll(ctx, u, false, now)
		if err != nil {
			return err
		}
		return a.Store.InsertAudit(ctx, actor.ID, AuditScopeChanged, subject(u),
			strings.TrimSpace(unitOf(u)+" → "+unitOf(moved)+". "+r.String()+". "+note), now)
	})
	return moved, err
}
