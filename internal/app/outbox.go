package app

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"time"

	"hoso/internal/errs"
	"hoso/internal/secret"
	"hoso/internal/vntext"
)

// OutboxStore is what the outbox pages and the citizens' opt-outs need.
type OutboxStore interface {
	FindOutbox(ctx context.Context, f OutboxFilter) ([]OutboxEntry, error)
	OutboxStats(ctx context.Context) ([]OutboxStat, error)
	// RetryOutbox and DiscardOutbox act on a dead row of the province
	// ("" for any) and write the audit record in the same transaction.
	RetryOutbox(ctx context.Context, id, userID int64, province string, at time.Time) error
	DiscardOutbox(ctx context.Context, id, userID int64, province, reason string, at time.Time) error
	FindOptOutLink(ctx context.Context, tokenHash []byte) (OptOutLink, error)
	// SetOptOutByLink writes its audit record with the change.
	SetOptOutByLink(ctx context.Context, tokenHash []byte, out bool, at time.Time) error
	NotifyInboundTokenHash(ctx context.Context) ([]byte, error)
	SetOptOut(ctx context.Context, phoneHash []byte, out bool, via string, at time.Time) error
}

// Outbox is what staff see of the transactional outbox (what went to the
// portals and to citizens, the dead-letter list with retry and discard,
// both audited), for admins everywhere and dispatchers in their province,
// and the citizens' opt-outs: by the link in a message or by a reply
// forwarded by the SMS gateway.
type Outbox struct {
	Store     OutboxStore
	PhoneHash func(phone string) []byte // the keyed hash of a normalised phone (Intake.PhoneHash)
	Now       func() time.Time
}

// OutboxScope is the province whose rows a user may see and act on ("" for
// every province); only admins and dispatchers see the outbox.
func OutboxScope(u User) (province string, err error) {
	switch u.Role {
	case RoleAdmin:
		return "", nil
	case RoleDispatcher:
		return u.ProvinceCode, nil
	}
	return "", errs.E(errs.Forbidden, "chỉ quản trị và điều phối viên xem hộp thư đi")
}

// List returns rows of the user's scope.
func (o *Outbox) List(ctx context.Context, u User, f OutboxFilter) ([]OutboxEntry, error) {
	province, err := OutboxScope(u)
	if err != nil {
		return nil, err
	}
	f.Province = province
	return o.Store.FindOutbox(ctx, f)
}

// Stats returns the queue of each topic.
func (o *Outbox) Stats(ctx context.Context, u User) ([]OutboxStat, error) {
	if _, err := OutboxScope(u); err != nil {
		return nil, err
	}
	return o.Store.OutboxStats(ctx)
}

// Retry puts a dead row of the user's scope back in the queue (audited).
func (o *Outbox) Retry(ctx context.Context, u User, id int64) error {
	province, err := OutboxScope(u)
	if err != nil {
		return err
	}
	return o.Store.RetryOutbox(ctx, id, u.ID, province, o.Now())
}

// Discard drops a dead row of the user's scope for good, with the reason
// (audited).
func (o *Outbox) Discard(ctx context.Context, u User, id int64, reason string) error {
	province, err := OutboxScope(u)
	if err != nil {
		return err
	}
	reason = vntext.NFC(reason)
	if reason == "" || len([]rune(reason)) > 300 || vntext.HasControl(reason) {
		return errs.E(errs.Invalid, "Ghi lý do bỏ mục này (tối đa 300 ký tự)").WithFields(map[string]string{"reason": "bắt buộc"})
	}
	return o.Store.DiscardOutbox(ctx, id, u.ID, province, reason, o.Now())
}

// OptOutLink finds the state of a citizen's opt-out link by its token (the
// link's only secret; NotFound for an unknown one).
func (o *Outbox) OptOutLink(ctx context.Context, token string) (OptOutLink, error) {
	return o.Store.FindOptOutLink(ctx, secret.TokenHash(token))
}

// SetOptOutByLink stops (out) or restarts the messages to the link's phone
// (audited).
func (o *Outbox) SetOptOutByLink(ctx context.Context, token string, out bool) error {
	return o.Store.SetOptOutByLink(ctx, secret.TokenHash(token), out, o.Now())
}

// Reply results.
const (
	ReplyIgnored = "ignored"
	ReplyOptOut  = "opt_out"
	ReplyOptIn   = "opt_in"
)

// ReplyGateway checks the SMS gateway's bearer token on its reply webhook
// (present says whether one was sent): NotFound when no gateway token is
// configured, Unauthorized for a missing or wrong one.
func (o *Outbox) ReplyGateway(ctx context.Context, token string, present bool) error {
	want, err := o.Store.NotifyInboundTokenHash(ctx)
	if err == nil && len(want) == 0 {
		err = errs.E(errs.NotFound, "không có cổng tin nhắn trả lời")
	}
	if err != nil {
		return err
	}
	got := sha256.Sum256([]byte(token))
	if !present || subtle.ConstantTimeCompare(got[:], want) != 1 {
		return errs.E(errs.Unauthorized, "thiếu hoặc sai mã xác thực của cổng tin nhắn")
	}
	return nil
}

// Reply takes a citizen's reply forwarded by the SMS gateway, after
// ReplyGateway's check: an opt-out or opt-in keyword changes the phone's
// opt-out, anything else is ignored. The phone is hashed at once and never
// logged.
func (o *Outbox) Reply(ctx context.Context, token string, present bool, from, text string) (string, error) {
	if err := o.ReplyGateway(ctx, token, present); err != nil {
		return "", err
	}
	phone, ok := vntext.NormalizePhone(from)
	if !ok {
		return "", errs.E(errs.Invalid, "số điện thoại gửi tin không hợp lệ").WithFields(map[string]string{"from": "10 chữ số, bắt đầu bằng 0 hoặc 84"})
	}
	out, optIn := ParseOptOutReply(text)
	if !out && !optIn {
		return ReplyIgnored, nil
	}
	if err := o.Store.SetOptOut(ctx, o.PhoneHash(phone), out, "reply", o.Now()); err != nil {
		return "", err
	}
	if optIn {
		return ReplyOptIn, nil
	}
	return ReplyOptOut, nil
}
