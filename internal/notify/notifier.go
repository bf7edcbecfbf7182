package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"time"

	"hoso/internal/app"
	"hoso/internal/vntext"
)

// Store is what the notifier keeps: opt-outs and links by the keyed hash of
// a phone, and the daily counters.
type Store interface {
	OptedOut(ctx context.Context, phoneHash []byte) (bool, error)
	SetOptOut(ctx context.Context, phoneHash []byte, out bool, via string, at time.Time) error
	ReserveQuota(ctx context.Context, phoneHash []byte, day string, limit int) (bool, error)
	ReleaseQuota(ctx context.Context, phoneHash []byte, day string) error
	EnsureOptOutLink(ctx context.Context, tokenHash []byte, parcelID string, phoneHash []byte, at time.Time) (announced bool, err error)
	MarkOptOutLinkAnnounced(ctx context.Context, tokenHash []byte, at time.Time) error
}

// Notifier decides whether, when and how a message reaches a citizen:
// stale or superseded messages are skipped, opted-out phones get nothing,
// quiet hours hold all but time-critical kinds, the daily cap holds the
// rest to the next day, and the message goes by Zalo when a template is
// registered for its kind, else (or when Zalo fails) by SMS.
type Notifier struct {
	Store  Store
	SMS    SMS  // required
	Zalo   *ZNS // optional
	Policy Policy
	Quiet  QuietHours
	// PerDay caps the messages to one phone per Vietnam day (0: no cap).
	// Time-critical kinds count but are never held.
	PerDay int
	// Spread is the longest random delay added to a message held until
	// the end of quiet hours, so the morning does not start with a burst
	// (default 10 min).
	Spread time.Duration
	// BaseURL is the public URL, for the opt-out link.
	BaseURL string
	// OptOutReply is the short opt-out instruction used when the link does
	// not fit, e.g. "Soạn TC gửi 8079" ("" for none).
	OptOutReply string
	// Hash is the keyed hash of a phone (the parcels' phone_hash).
	Hash func(phone string) []byte
	// LinkToken derives a parcel's opt-out token; TokenHash is what the
	// store keeps of it.
	LinkToken func(parcelID string) string
	TokenHash func(token string) []byte
	Now       func() time.Time
	Rand      func() float64 // in [0, 1)
	Log       *slog.Logger
}

// Request is one notification to deliver.
type Request struct {
	ID        string // the outbox row, for idempotency at the provider
	ParcelID  string
	Phone     string // opened by the caller, kept only in memory
	PhoneHash []byte
	Params    Params
	ExpiresAt *time.Time
	Later     bool // a later message of the same dossier is queued
}

// Outcome is what Deliver did.
type Outcome struct {
	Sent     bool
	Deferred time.Time // held until then (not an attempt)
	Skipped  string    // why nothing was sent on purpose
	Channel  string
	Segments int
	Stripped bool
	Note     string // a line for the staff page: channel, segments, reason
}

// Skip reasons.
const (
	SkipExpired    = "expired"
	SkipSuperseded = "superseded"
	SkipOptedOut   = "opted_out"
)

func (n *Notifier) now() time.Time {
	if n.Now != nil {
		return n.Now()
	}
	return time.Now()
}

func (n *Notifier) jitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	r := rand.Float64
	if n.Rand != nil {
		r = n.Rand
	}
	return time.Duration(r() * float64(max))
}

// Deliver sends one notification or says why not yet or not at all. An
// error means no channel took it: the caller retries later.
func (n *Notifier) Deliver(ctx context.Context, r Request) (Outcome, error) {
	now := n.now()
	kind := r.Params.Kind
	if _, ok := Render(r.Params); !ok {
		return Outcome{}, &ProviderError{Provider: "notify", Reason: "config", Msg: "không có mẫu tin cho " + kind, Permanent: true}
	}
	if r.ExpiresAt != nil && now.After(*r.ExpiresAt) {
		return Outcome{Skipped: SkipExpired, Note: "bỏ qua: đã quá thời điểm có ích"}, nil
	}
	if r.Later && Transient(kind) {
		return Outcome{Skipped: SkipSuperseded, Note: "bỏ qua: đã có tin mới hơn"}, nil
	}
	if _, ok := vntext.NormalizePhone(r.Phone); !ok {
		return Outcome{}, &ProviderError{Provider: "notify", Reason: "config", Msg: "số điện thoại không hợp lệ", Permanent: true}
	}
	out, err := n.Store.OptedOut(ctx, r.PhoneHash)
	if err != nil {
		return Outcome{}, fmt.Errorf("opt-out check: %w", err)
	}
	if out {
		return Outcome{Skipped: SkipOptedOut, Note: "bỏ qua: công dân đã từ chối nhận tin"}, nil
	}
	critical := Critical(kind)
	if !critical && n.Quiet.Contains(now) {
		until := n.Quiet.Open(now).Add(n.jitter(n.spread()))
		return Outcome{Deferred: until, Note: "chờ hết giờ yên tĩnh (" + n.Quiet.String() + ")"}, nil
	}
	day := n.Quiet.Day(now)
	if n.PerDay > 0 {
		limit := n.PerDay
		if critical {
			limit = 1 << 30
		}
		ok, err := n.Store.ReserveQuota(ctx, r.PhoneHash, day, limit)
		if err != nil {
			return Outcome{}, fmt.Errorf("daily cap: %w", err)
		}
		if !ok {
			until := n.Quiet.NextDay(now).Add(n.jitter(n.spread()))
			return Outcome{Deferred: until, Note: fmt.Sprintf("đã đủ %d tin trong ngày, chờ ngày mai", n.PerDay)}, nil
		}
	}
	release := func() {
		if n.PerDay > 0 {
			if err := n.Store.ReleaseQuota(context.WithoutCancel(ctx), r.PhoneHash, day); err != nil {
				n.log().Warn("release notification quota", "err", err)
			}
		}
	}
	p := r.Params
	var tokenHash []byte
	if n.LinkToken != nil && n.TokenHash != nil && n.BaseURL != "" && r.ParcelID != "" {
		tok := n.LinkToken(r.ParcelID)
		tokenHash = n.TokenHash(tok)
		announced, err := n.Store.EnsureOptOutLink(ctx, tokenHash, r.ParcelID, r.PhoneHash, now)
		if err != nil {
			release()
			return Outcome{}, fmt.Errorf("opt-out link: %w", err)
		}
		if !announced {
			p.OptOutURL = strings.TrimRight(n.BaseURL, "/") + "/huy-tin-nhan/" + tok
			p.OptOutReply = n.OptOutReply
		} else {
			tokenHash = nil
		}
	}
	msg, _ := Render(p)
	res, err := n.send(ctx, r, msg)
	if err != nil {
		release()
		return Outcome{}, err
	}
	if tokenHash != nil {
		if err := n.Store.MarkOptOutLinkAnnounced(context.WithoutCancel(ctx), tokenHash, now); err != nil {
			n.log().Warn("mark opt-out link announced", "err", err)
		}
	}
	res.Sent = true
	return res, nil
}

func (n *Notifier) spread() time.Duration {
	if n.Spread > 0 {
		return n.Spread
	}
	return 10 * time.Minute
}

func (n *Notifier) log() *slog.Logger {
	if n.Log != nil {
		return n.Log
	}
	return slog.Default()
}

// send tries Zalo first when it has the kind's template, then SMS.
func (n *Notifier) send(ctx context.Context, r Request, msg Message) (Outcome, error) {
	var zerr error
	if n.Zalo != nil && n.Zalo.Has(msg.Kind) {
		zerr = n.Zalo.Send(ctx, r.ID, r.Phone, msg.Kind, msg.Data)
		if zerr == nil {
			return Outcome{Channel: ChannelZalo, Note: "Zalo ZNS"}, nil
		}
		if ctx.Err() != nil {
			return Outcome{}, zerr
		}
	}
	f := n.Policy.Fit(msg)
	err := n.SMS.SendSMS(ctx, SMSMessage{ID: r.ID, Phone: r.Phone, Text: f.Text, Unicode: f.Unicode})
	if err != nil {
		if zerr != nil {
			err = errors.Join(zerr, err)
		}
		return Outcome{}, err
	}
	note := fmt.Sprintf("SMS (%s), %d phần tin", n.SMS.Name(), f.Segments)
	if f.Unicode {
		note += ", có dấu"
	} else if f.Stripped {
		note += ", không dấu"
	}
	if f.Truncated {
		note += ", đã cắt ngắn"
	}
	if zerr != nil {
		note = "Zalo lỗi (" + ReasonOf(zerr) + "), gửi " + note
	}
	return Outcome{Channel: ChannelSMS, Segments: f.Segments, Stripped: f.Stripped, Note: note}, nil
}

// Reply opt-out: a citizen answers an SMS with a keyword.

// ParseReply reads a reply: out is true for an opt-out keyword ("TC",
// "HUY", "STOP", "Từ chối"…), in for an opt-in ("DK", "START"); neither
// for anything else (app.ParseOptOutReply).
func ParseReply(text string) (out, in bool) { return app.ParseOptOutReply(text) }

// HandleReply records a citizen's reply keyword. It reports what it did
// ("opt_out", "opt_in" or "" for an unrelated text). The phone is hashed and
// forgotten.
func (n *Notifier) HandleReply(ctx context.Context, phone, text string) (string, error) {
	p, ok := vntext.NormalizePhone(phone)
	if !ok {
		return "", &ProviderError{Provider: "notify", Reason: "config", Msg: "số điện thoại không hợp lệ", Permanent: true}
	}
	out, in := ParseReply(text)
	switch {
	case out:
		return "opt_out", n.Store.SetOptOut(ctx, n.Hash(p), true, "reply", n.now())
	case in:
		return "opt_in", n.Store.SetOptOut(ctx, n.Hash(p), false, "reply", n.now())
	}
	return "", nil
}
