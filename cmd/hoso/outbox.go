package main

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"hoso/internal/app"
	"hoso/internal/config"
	"hoso/internal/notify"
	"hoso/internal/outbox"
	"hoso/internal/pg"
	"hoso/internal/secret"
	"hoso/tracking"
)

// outboxSystem is the delivery side of the ledger: the Effects hook that
// writes outbox rows, the relay that delivers them, and the notifier.
type outboxSystem struct {
	sys       *system
	cfg       config.Notify
	effects   *app.Effects
	callbacks *app.CallbackSet
	portal    *outbox.PortalSender
	notifier  *notify.Notifier
	notify    *outbox.NotifySender
	metrics   *outbox.Metrics
	store     *pg.DB // the relay's own pool (synchronous_commit off), opened by runOutbox

	mu      sync.Mutex
	cancel  context.CancelFunc
	done    chan struct{}
	started chan struct{} // closed once runOutbox has set up (and started the relay)
}

// notifyConfig is the notification settings config.Load read.
func notifyConfig(cfg config.Config) config.Notify { return cfg.Notify }

// wireOutbox builds the outbox side and returns the ledger's Effects hook.
func (s *system) wireOutbox() func(app.Parcel, tracking.Event, tracking.Outcome) []app.OutboxItem {
	cfg := notifyConfig(s.cfg)
	o := &outboxSystem{sys: s, cfg: cfg, callbacks: app.NewCallbackSet(), started: make(chan struct{})}
	o.effects = &app.Effects{Callbacks: o.callbacks, Notify: cfg.Enabled, BaseURL: func() string { return s.cfg.BaseURL }, Checkpoint: s.tlog.Latest}
	var sms notify.SMS = notify.Demo{Store: &app.DemoSMS{Store: s.db, Box: s.box, Now: s.now, NewID: uuid.NewString}}
	if cfg.SMSProvider == "http" && !s.cfg.Demo {
		sms = httpGateway(cfg)
	}
	quiet := notify.QuietHours{Start: cfg.QuietStart, End: cfg.QuietEnd, Off: cfg.QuietOff, Zone: config.Vietnam}
	o.notifier = &notify.Notifier{Store: s.db, SMS: sms, Policy: notify.Policy{UnicodeSegments: cfg.UnicodeSegments, MaxSegments: cfg.MaxSegments},
		Quiet: quiet, PerDay: cfg.PerDay, OptOutReply: cfg.OptOutReply,
		Hash:      func(phone string) []byte { return s.hasher.Sum(app.PurposePhone, phone) },
		LinkToken: func(parcelID string) string { return optOutToken(s.hasher, parcelID) },
		TokenHash: secret.TokenHash, Now: s.now, Log: s.log}
	if cfg.Zalo() && !s.cfg.Demo {
		if ts, err := notify.ParseZNSTemplates(cfg.ZaloTemplates); err == nil {
			o.notifier.Zalo = &notify.ZNS{AppID: cfg.ZaloAppID, SecretKey: cfg.ZaloSecretKey, InitialRefresh: cfg.ZaloRefresh,
				Templates: ts, Store: s.db, Box: s.box, SendURL: cfg.ZaloSendURL, TokenURL: cfg.ZaloTokenURL, Now: s.now,
				Client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
		} else {
			s.log.Warn("HOSO_ZALO_TEMPLATES", "err", err)
		}
	}
	o.notify = &outbox.NotifySender{Targets: s.db, Notifier: o.notifier,
		Open: func(sealed []byte) (string, error) {
			b, err := s.box.Open(sealed, []byte(app.SealPhone))
			return string(b), err
		}}
	s.outbox = o
	return o.effects.For
}

// connectPortals gives the relay the portals' directory (their callback
// URLs and secrets), once the services exist.
func (o *outboxSystem) connectPortals(dir *app.Portal) {
	o.portal = &outbox.PortalSender{Dir: dir, Client: outbox.NewPortalClient(o.cfg.CallbackTimeout, o.cfg.PortalWorkers), Now: o.sys.now,
		AllowPrivate: o.cfg.CallbackAllowPrivate}
}

// optOutToken derives a parcel's opt-out token from the hash key: the same
// parcel always gets the same link, and only its SHA-256 is stored.
func optOutToken(h *secret.Hasher, parcelID string) string {
	sum := h.Sum("notify-optout", parcelID)
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum)[:16])
}

// newRelay builds a relay over the system's store and senders.
func (o *outboxSystem) newRelay(wake <-chan struct{}) *outbox.Relay {
	cfg := o.cfg
	var store outbox.Store = o.sys.db
	if o.store != nil {
		store = o.store
	}
	return &outbox.Relay{Store: store, Wake: wake, Poll: cfg.Poll, Now: o.sys.now, Log: o.sys.log, Metrics: o.metrics,
		Backoff: outbox.Backoff{Base: cfg.BackoffBase, Factor: 2, Cap: cfg.BackoffCap, Jitter: 0.2, MaxAge: cfg.MaxAge},
		Topics: []outbox.Topic{
			{Name: app.TopicPortal, Sender: o.portal, Workers: cfg.PortalWorkers, Timeout: cfg.CallbackTimeout, BlockOnDead: true},
			{Name: app.TopicNotify, Sender: o.notify, Workers: cfg.NotifyWorkers, Timeout: cfg.SMSTimeout + 10*time.Second},
		}}
}

// runOutbox runs the relay and its helpers until ctx ends: the callback
// set's refresh, the counters' pruning, and the relay itself (unless
// HOSO_RELAY=off).
func (s *system) runOutbox(ctx context.Context) {
	o := s.outbox
	if o == nil {
		return
	}
	o.notifier.BaseURL = s.cfg.BaseURL
	o.notify.BaseURL = s.cfg.BaseURL
	if o.metrics == nil {
		var err error
		if s.web != nil {
			o.metrics, err = outbox.NewMetrics(s.web.Registry())
		} else {
			o.metrics, err = outbox.NewMetrics(nil)
		}
		if err != nil {
			s.log.Warn("outbox metrics", "err", err)
		}
	}
	var sum []byte
	if o.cfg.InboundToken != "" {
		h := sha256.Sum256([]byte(o.cfg.InboundToken))
		sum = h[:]
	}
	if err := s.db.SetNotifyInboundToken(ctx, sum, s.now()); err != nil && ctx.Err() == nil {
		s.log.Warn("SMS reply webhook token", "err", err)
	}
	o.store = s.db.RelayPool(s.cfg.Pool.RelaySize)
	defer o.store.Close()
	go o.refreshCallbacks(ctx)
	if o.cfg.Relay {
		o.start(ctx, o.newRelay(s.db.ListenOutbox(ctx)))
	}
	close(o.started)
	<-ctx.Done()
	o.stop()
}

// start runs a relay until stop or ctx ends.
func (o *outboxSystem) start(ctx context.Context, r *outbox.Relay) {
	o.mu.Lock()
	defer o.mu.Unlock()
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	o.cancel, o.done = cancel, done
	go func() {
		defer close(done)
		r.Run(rctx)
	}()
}

// stop stops the running relay and waits for it. Called before runOutbox
// has finished setting up, it waits for that first (a test replacing the
// server's relay must not race its start).
func (o *outboxSystem) stop() {
	<-o.started
	o.mu.Lock()
	cancel, done := o.cancel, o.done
	o.cancel, o.done = nil, nil
	o.mu.Unlock()
	if cancel != nil {
		cancel()
		<-done
	}
}

// refreshCallbacks keeps the set of clients with a callback URL current:
// every 30 s, and soon after the ledger meets a client it did not know.
func (o *outboxSystem) refreshCallbacks(ctx context.Context) {
	t := time.NewTicker(30 * time.Second)
	defer t.Stop()
	prune := time.Now()
	for {
		m, err := o.sys.db.PortalCallbackClients(ctx)
		switch {
		case err == nil:
			o.callbacks.Replace(m)
		case ctx.Err() == nil:
			o.sys.log.Warn("portal callback clients", "err", err)
		}
		if now := o.sys.now(); now.Sub(prune) > time.Hour {
			prune = now
			if err := o.sys.db.PruneQuota(ctx, now.In(config.Vietnam).AddDate(0, 0, -2).Format("2006-01-02")); err != nil && ctx.Err() == nil {
				o.sys.log.Warn("prune notification counters", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-o.callbacks.Misses():
			select {
			case <-ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

// httpGateway is the configured SMS gateway.
func httpGateway(cfg config.Notify) *notify.HTTPGateway {
	return &notify.HTTPGateway{URL: cfg.SMSURL, Method: cfg.SMSMethod, ContentType: cfg.SMSContentType, Body: cfg.SMSBody,
		Sender: cfg.SMSSender, Token: cfg.SMSToken, AuthHeader: cfg.SMSAuthHeader, User: cfg.SMSUser, Password: cfg.SMSPassword,
		PhoneFormat: cfg.SMSPhoneFormat, OKField: cfg.SMSOKField, OKValue: cfg.SMSOKValue, Timeout: cfg.SMSTimeout,
		Client: notify.NoRedirectClient()}
}
