package app

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"hoso/internal/errs"
	"hoso/internal/portalsig"
	"hoso/internal/secret"
)

// PortalAdminStore is what managing portal clients needs.
type PortalAdminStore interface {
	FindPortalClient(ctx context.Context, id string) (PortalClient, error)
	FindPortalClients(ctx context.Context) ([]PortalClient, error)
	CreatePortalClient(ctx context.Context, c PortalClient) error
	SetPortalCallback(ctx context.Context, id, url string) error
	SetPortalActive(ctx context.Context, id string, active bool) error
	RotatePortalSecret(ctx context.Context, id string, secretEnc, previousEnc []byte, until time.Time) error
	FindOutbox(ctx context.Context, f OutboxFilter) ([]OutboxEntry, error)
	InsertAudit(ctx context.Context, userID int64, action, subject, reason string, at time.Time) error
}

// PortalAdmin lets admins manage the portal clients of their province:
// register one (its secret shown once), set its callback URL (https only
// outside the demo, never a private or loopback address outside tests),
// rotate its secret with an overlap window during which both secrets are
// accepted, suspend and restore it, and read its callback history. Every
// change is one transaction with its audit row.
type PortalAdmin struct {
	Store  PortalAdminStore
	Tx     Tx
	Portal *Portal
	Now    func() time.Time
	Demo   bool
	// AllowPrivate lets callback URLs point at private and loopback
	// addresses: tests only (their receivers listen on 127.0.0.1).
	AllowPrivate bool
	// Resolve looks a host up (default: the system resolver).
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
}

// Audit actions of portal clients.
const (
	AuditPortalCreated   = "portal.created"
	AuditPortalCallback  = "portal.callback_changed"
	AuditPortalRotated   = "portal.secret_rotated"
	AuditPortalSuspended = "portal.suspended"
	AuditPortalRestored  = "portal.restored"
)

// MaxSecretOverlap bounds a rotation's overlap window.
const MaxSecretOverlap = 30 * 24 * time.Hour

func mayManagePortals(u User) error {
	if u.Role != RoleAdmin {
		return errs.E(errs.Forbidden, "Chỉ quản trị viên quản lý cổng dịch vụ công")
	}
	return nil
}

// Clients lists the portal clients of the admin's province (all without one).
func (a *PortalAdmin) Clients(ctx context.Context, u User) ([]PortalClient, error) {
	if err := mayManagePortals(u); err != nil {
		return nil, err
	}
	all, err := a.Store.FindPortalClients(ctx)
	out := all[:0]
	for _, c := range all {
		if inScope(u, c.ProvinceCode) {
			out = append(out, c)
		}
	}
	return out, err
}

// Client finds one client in the admin's scope.
func (a *PortalAdmin) Client(ctx context.Context, u User, id string) (PortalClient, error) {
	if err := mayManagePortals(u); err != nil {
		return PortalClient{}, err
	}
	c, err := a.Store.FindPortalClient(ctx, id)
	if errs.Is(err, errs.NotFound) || (err == nil && !inScope(u, c.ProvinceCode)) {
		return PortalClient{}, errs.E(errs.NotFound, "Không có cổng này trong phạm vi của bạn")
	}
	return c, err
}

// Callbacks is a client's callback history, newest first.
func (a *PortalAdmin) Callbacks(ctx context.Context, u User, id string, limit int) ([]OutboxEntry, error) {
	c, err := a.Client(ctx, u, id)
	if err != nil {
		return nil, err
	}
	return a.Store.FindOutbox(ctx, OutboxFilter{Topic: TopicPortal, State: OutboxAll, Target: c.ID, Limit: limit})
}

// CheckCallbackURL refuses a callback URL the relay must not call: not
// https (http only in the demo), with credentials, or whose host is or
// resolves to a loopback, private, link-local, shared or unspecified
// address (unless allowPrivate). "" is no callback.
func CheckCallbackURL(ctx context.Context, raw string, demo, allowPrivate bool, resolve func(ctx context.Context, host string) ([]netip.Addr, error)) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", nil
	}
	bad := func(msg string) error {
		return errs.E(errs.Invalid, "Địa chỉ nhận thông báo không dùng được: %s", msg).WithFields(map[string]string{"callback": msg})
	}
	if len(raw) > 500 || !utf8.ValidString(raw) {
		return "", bad("dài quá 500 ký tự hoặc có ký tự không dùng được")
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.Opaque != "" {
		return "", bad("không phải một URL đầy đủ, ví dụ https://dvc.example.vn/hoso")
	}
	if u.Scheme != "https" && !(demo && u.Scheme == "http") {
		return "", bad("phải bắt đầu bằng https://")
	}
	if u.User != nil {
		return "", bad("không được chứa tên và mật khẩu")
	}
	if u.Fragment != "" {
		return "", bad("không được có phần #")
	}
	if allowPrivate {
		return u.String(), nil
	}
	host := u.Hostname()
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(host); err == nil {
		addrs = []netip.Addr{a}
	} else {
		if resolve == nil {
			resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
				return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
			}
		}
		rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		addrs, err = resolve(rctx, host)
		if err != nil || len(addrs) == 0 {
			return "", bad("không tra được tên miền " + host)
		}
	}
	for _, a := range addrs {
		if !PublicAddr(a) {
			return "", bad(fmt.Sprintf("%s là địa chỉ nội bộ (%s)", host, a))
		}
	}
	return u.String(), nil
}

var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

// PublicAddr reports whether an address is a public unicast one.
func PublicAddr(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsValid() && a.IsGlobalUnicast() && !a.IsPrivate() && !a.IsLoopback() && !a.IsLinkLocalUnicast() &&
		!a.IsUnspecified() && !a.IsMulticast() && !sharedSpace.Contains(a)
}

// Register makes a portal client of the admin's province (an admin of
// none names the province) and returns its secret, shown once.
func (a *PortalAdmin) Register(ctx context.Context, u User, id, name, province, callback string) (PortalClient, string, error) {
	if err := mayManagePortals(u); err != nil {
		return PortalClient{}, "", err
	}
	if u.ProvinceCode != "" {
		province = u.ProvinceCode
	}
	cb, err := CheckCallbackURL(ctx, callback, a.Demo, a.AllowPrivate, a.Resolve)
	if err != nil {
		return PortalClient{}, "", err
	}
	name = strings.TrimSpace(name)
	if utf8.RuneCountInString(name) > 200 || !utf8.ValidString(name) {
		return PortalClient{}, "", errs.E(errs.Invalid, "Tên cổng dài quá 200 ký tự").WithFields(map[string]string{"name": "Tối đa 200 ký tự"})
	}
	var c PortalClient
	var sec string
	err = a.Tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		if c, sec, err = a.Portal.CreateClient(ctx, strings.TrimSpace(id), name, strings.TrimSpace(province), cb, false); err != nil {
			return err
		}
		return a.Store.InsertAudit(ctx, u.ID, AuditPortalCreated, "portal:"+c.ID, c.Name, a.Now())
	})
	return c, sec, err
}

// SetCallback changes a client's callback URL ("" stops callbacks).
func (a *PortalAdmin) SetCallback(ctx context.Context, u User, id, callback string) error {
	c, err := a.Client(ctx, u, id)
	if err != nil {
		return err
	}
	cb, err := CheckCallbackURL(ctx, callback, a.Demo || c.Demo, a.AllowPrivate, a.Resolve)
	if err != nil {
		return err
	}
	return a.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := a.Store.SetPortalCallback(ctx, c.ID, cb); err != nil {
			return err
		}
		return a.Store.InsertAudit(ctx, u.ID, AuditPortalCallback, "portal:"+c.ID, c.CallbackURL+" → "+cb, a.Now())
	})
}

// RotateSecret gives a client a new secret, returned once; the current one
// stays valid for overlap (at most 30 days; 0 ends it at once).
func (a *PortalAdmin) RotateSecret(ctx context.Context, u User, id string, overlap time.Duration) (string, time.Time, error) {
	c, err := a.Client(ctx, u, id)
	if err != nil {
		return "", time.Time{}, err
	}
	if overlap < 0 || overlap > MaxSecretOverlap {
		return "", time.Time{}, errs.E(errs.Invalid, "Thời gian dùng song song từ 0 đến 30 ngày").WithFields(map[string]string{"overlap": "Từ 0 đến 720 giờ"})
	}
	sec := secret.Token(32)
	until := a.Now().Add(overlap)
	err = a.Tx.InTx(ctx, func(ctx context.Context) error {
		enc := a.Portal.Box.Seal([]byte(sec), []byte(SealPortalSecret+":"+c.ID))
		if err := a.Store.RotatePortalSecret(ctx, c.ID, enc, c.SecretEnc, until); err != nil {
			return err
		}
		return a.Store.InsertAudit(ctx, u.ID, AuditPortalRotated, "portal:"+c.ID, "khóa cũ còn dùng đến "+until.UTC().Format(time.RFC3339), a.Now())
	})
	if err != nil {
		return "", time.Time{}, err
	}
	return sec, until, nil
}

// SetActive suspends (every signed request is refused, callbacks stop) or
// restores a client.
func (a *PortalAdmin) SetActive(ctx context.Context, u User, id string, active bool, note string) error {
	c, err := a.Client(ctx, u, id)
	if err != nil {
		return err
	}
	note, err = reason(note)
	if err != nil {
		return err
	}
	return a.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := a.Store.SetPortalActive(ctx, c.ID, active); err != nil {
			return err
		}
		action := AuditPortalSuspended
		if active {
			action = AuditPortalRestored
		}
		return a.Store.InsertAudit(ctx, u.ID, action, "portal:"+c.ID, note, a.Now())
	})
}

// verifyEither checks a signature against a client's secret and, inside
// the overlap window, the previous one.
func (p *Portal) verifyEither(c PortalClient, r SignedRequest, now time.Time) error {
	sec, err := p.Secret(c)
	if err != nil {
		return err
	}
	err = portalsig.Verify(sec, r.Method, r.PathWithQuery, r.Timestamp, r.Nonce, r.Body, r.Signature, now)
	if err == nil || len(c.PreviousSecretEnc) == 0 || c.PreviousUntil == nil || !now.Before(*c.PreviousUntil) {
		return err
	}
	prev, perr := p.Box.Open(c.PreviousSecretEnc, []byte(SealPortalSecret+":"+c.ID))
	if perr != nil {
		return err
	}
	if portalsig.Verify(prev, r.Method, r.PathWithQuery, r.Timestamp, r.Nonce, r.Body, r.Signature, now) == nil {
		return nil
	}
	return err
}
