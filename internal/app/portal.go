package app

import (
	"context"
	"crypto/sha256"
	"errors"
	"regexp"
	"strings"
	"time"

	"hoso/internal/errs"
	"hoso/internal/portalsig"
	"hoso/internal/secret"
)

// PortalStore is what portal authentication and idempotency need.
type PortalStore interface {
	CreatePortalClient(ctx context.Context, c PortalClient) error
	FindPortalClient(ctx context.Context, id string) (PortalClient, error)
	RememberNonce(ctx context.Context, clientID, nonce string, now time.Time, window time.Duration) (bool, error)
	FindDesks(ctx context.Context, province string) ([]Desk, error)
}

// Portal authenticates portal clients and manages them.
type Portal struct {
	Store PortalStore
	Box   *secret.Box
	Now   func() time.Time
}

// SealPortalSecret is the context portal secrets are sealed with.
const SealPortalSecret = "portal_clients.secret"

var portalIDPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{2,64}$`)

// CreateClient registers a portal and returns its shared secret, shown once.
func (p *Portal) CreateClient(ctx context.Context, id, name, province, callback string, demo bool) (PortalClient, string, error) {
	return p.Register(ctx, PortalClient{ID: id, Name: name, ProvinceCode: province, CallbackURL: callback, Demo: demo})
}

// Register registers a portal client as described (id, name, province,
// callback URL and shape, demo) and returns its shared secret, shown once.
func (p *Portal) Register(ctx context.Context, in PortalClient) (PortalClient, string, error) {
	id, name, province, callback, demo := in.ID, in.Name, in.ProvinceCode, in.CallbackURL, in.Demo
	f := errs.Fields{}
	if !ValidShape(in.CallbackShape) {
		f.Add("shape", "hoso hoặc opencps")
	}
	if !portalIDPattern.MatchString(id) {
		f.Add("id", "2–64 ký tự [A-Za-z0-9_.-]")
	}
	if len(province) != 2 {
		f.Add("province", "mã tỉnh gồm 2 chữ số")
	}
	if callback != "" && !strings.HasPrefix(callback, "https://") && !strings.HasPrefix(callback, "http://") {
		f.Add("callback", "URL phải bắt đầu bằng https:// (hoặc http:// khi thử nghiệm)")
	}
	if err := f.Err(errs.Invalid, "Cổng chưa hợp lệ"); err != nil {
		return PortalClient{}, "", err
	}
	sec := secret.Token(32)
	c := PortalClient{ID: id, Name: name, ProvinceCode: province, CallbackURL: callback, Active: true, Demo: demo, CreatedAt: p.Now(),
		SecretEnc: p.Box.Seal([]byte(sec), []byte(SealPortalSecret+":"+id)), CallbackShape: in.CallbackShape}
	if err := p.Store.CreatePortalClient(ctx, c); err != nil {
		return PortalClient{}, "", err
	}
	return c, sec, nil
}

// Secret opens a client's shared secret.
func (p *Portal) Secret(c PortalClient) ([]byte, error) {
	b, err := p.Box.Open(c.SecretEnc, []byte(SealPortalSecret+":"+c.ID))
	if err != nil {
		return nil, errs.Wrapf(errs.Internal, err, "mở khóa bí mật của cổng %s", c.ID)
	}
	return b, nil
}

// SignedRequest is what the HTTP adapter passes in.
type SignedRequest struct {
	PortalID, Timestamp, Nonce, Signature string
	Method, PathWithQuery                 string
	Body                                  []byte
}

// Authenticate checks a signed request: known client, fresh timestamp,
// signature, and a nonce not seen within ten minutes (recorded last, so a
// bad signature cannot burn a nonce).
func (p *Portal) Authenticate(ctx context.Context, r SignedRequest) (PortalClient, error) {
	unauthorized := func(err error) error { return errs.Wrapf(errs.Unauthorized, err, "%s", err.Error()) }
	if r.PortalID == "" || r.Timestamp == "" || r.Nonce == "" || r.Signature == "" {
		return PortalClient{}, unauthorized(portalsig.ErrMissing)
	}
	c, err := p.Store.FindPortalClient(ctx, r.PortalID)
	if errs.Is(err, errs.NotFound) || (err == nil && !c.Active) {
		return PortalClient{}, unauthorized(portalsig.ErrClient)
	}
	if err != nil {
		return PortalClient{}, err
	}
	now := p.Now()
	if err := p.verifyEither(c, r, now); err != nil {
		var sealed *errs.Error
		if errors.As(err, &sealed) { // the secret could not be opened: not the caller's fault
			return PortalClient{}, err
		}
		return PortalClient{}, unauthorized(err)
	}
	fresh, err := p.Store.RememberNonce(ctx, c.ID, r.Nonce, now, portalsig.NonceTTL)
	if err != nil {
		return PortalClient{}, err
	}
	if !fresh {
		return PortalClient{}, unauthorized(portalsig.ErrReplay)
	}
	return c, nil
}

// IdemRecord is a stored first response.
type IdemRecord struct {
	Scope, Key  string
	RequestHash []byte
	Status      int
	ContentType string
	Body        []byte
	CreatedAt   time.Time
}

// IdemStore keeps idempotency keys.
type IdemStore interface {
	TryLockKey(ctx context.Context, scope, key string) (bool, error)
	FindIdem(ctx context.Context, scope, key string) (IdemRecord, bool, error)
	SaveIdem(ctx context.Context, r IdemRecord) error
}

// Idempotency makes a POST safe to retry: the effect and its stored response
// commit in one transaction, so a key is never half used.
type Idempotency struct {
	Store IdemStore
	Tx    Tx
	Now   func() time.Time
}

// ValidKey reports whether an Idempotency-Key is 1–255 printable ASCII.
func ValidKey(k string) bool {
	if len(k) < 1 || len(k) > 255 {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// RequestHash hashes what makes two requests the same.
func RequestHash(method, path string, body []byte) []byte {
	h := sha256.New()
	h.Write([]byte(method + "\n" + path + "\n"))
	h.Write(body)
	return h.Sum(nil)
}

// Do runs fn once per (scope, key). A repeat with the same request hash gets
// the stored response (replayed true); a different hash is Unprocessable; a
// repeat while the first still runs is Conflict. Errors from fn roll back and
// are not stored, so a failed request may be retried.
func (s *Idempotency) Do(ctx context.Context, scope, key string, reqHash []byte,
	fn func(ctx context.Context) (status int, ctype string, body []byte, err error)) (rec IdemRecord, replayed bool, err error) {
	err = s.Tx.InTx(ctx, func(ctx context.Context) error {
		ok, err := s.Store.TryLockKey(ctx, scope, key)
		if err != nil {
			return err
		}
		if !ok {
			return errs.E(errs.Conflict, "một yêu cầu với cùng Idempotency-Key đang được xử lý")
		}
		prev, found, err := s.Store.FindIdem(ctx, scope, key)
		if err != nil {
			return err
		}
		if found {
			if !secret.Equal(prev.RequestHash, reqHash) {
				return errs.E(errs.Unprocessable, "Idempotency-Key đã được dùng cho một yêu cầu khác").
					WithFields(map[string]string{"Idempotency-Key": "đã dùng với nội dung khác"})
			}
			rec, replayed = prev, true
			return nil
		}
		status, ctype, body, err := fn(ctx)
		if err != nil {
			return err
		}
		rec = IdemRecord{Scope: scope, Key: key, RequestHash: reqHash, Status: status, ContentType: ctype, Body: body, CreatedAt: s.Now()}
		return s.Store.SaveIdem(ctx, rec)
	})
	return rec, replayed, err
}
