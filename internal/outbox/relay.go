// Package outbox delivers the side effects the ledger writes in its own
// transaction: status callbacks to public-service portals and messages to
// citizens. Delivery is at least once, in order per dossier, with
// exponential backoff and jitter for at least a day, then a dead-letter list.
//
// The relay claims due rows with FOR UPDATE SKIP LOCKED in a short
// statement (so several server instances share the work), sends them with
// no transaction open, and settles each in another short transaction. Only
// the earliest unsettled row of a (topic, order key) is claimable, and the
// order key of both topics is the dossier id: a later event of a dossier
// waits until the earlier one is delivered, discarded, or, for the notify
// topic only, dead.
//
// What a dead row means for the rows behind it:
//   - portal topic: they stay held (strict order: the portal must never see
//     a later status before an earlier one). The dead-letter page shows how
//     many rows each dead row holds; retrying it lets them flow in order,
//     discarding it (audited, with a reason) lets them flow without it.
//   - notify topic: they go on (a message to a citizen does not depend on the
//     one before; a number the gateway refuses must not silence the rest).
//
// A claim is a lease: a relay that dies between sending and settling leaves
// the row due again when the lease ends, and the row is sent again (the
// receiver deduplicates by event id). The claim's token fences settlements:
// a relay whose lease ran out cannot overwrite what another relay recorded,
// except that a delivery is always recorded.
package outbox

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"

	"hoso/internal/app"
)

// Store is what the relay needs from persistence.
type Store interface {
	Claim(ctx context.Context, spec app.ClaimSpec) ([]app.OutboxRow, error)
	Settle(ctx context.Context, ss []app.Settlement) error
	OutboxStats(ctx context.Context) ([]app.OutboxStat, error)
}

// Result is what a sender made of one row.
type Result struct {
	Err        error         // nil: delivered (or skipped on purpose, Note says why)
	Permanent  bool          // retrying cannot help: dead now
	RetryAfter time.Duration // the receiver asked to wait at least this long
	Defer      time.Time     // not attempted: due again then (quiet hours, daily cap)
	Discard    bool          // drop the row for good (Note says why)
	Skipped    bool          // nothing was sent on purpose (expired, opted out…)
	Reason     string        // failure class for metrics
	Note       string        // a line for the staff page
}

// Sender delivers the rows of one topic.
type Sender interface {
	Send(ctx context.Context, row app.OutboxRow) Result
}

// Topic is one queue of the relay.
type Topic struct {
	Name        string
	Sender      Sender
	Workers     int           // concurrent sends (default 4)
	Timeout     time.Duration // per send (default 10 s)
	BlockOnDead bool          // a dead row holds its followers (portal)
}

// Relay moves outbox rows to their receivers.
type Relay struct {
	Store   Store
	Topics  []Topic
	Backoff Backoff
	// Lease is how long a claimed row stays claimed; it must outlast a send
	// (default: the longest topic timeout + 30 s).
	Lease time.Duration
	// Poll is how often the relay looks for due rows when nothing wakes it
	// (default 1 s). Wake, when set, wakes it at once (LISTEN/NOTIFY).
	Poll  time.Duration
	Wake  <-chan struct{}
	Batch int // rows per claim (default: the topic's free workers)
	// StatsEvery is how often the queue gauges are refreshed (default 10 s).
	StatsEvery time.Duration
	Now        func() time.Time
	Rand       func() float64
	NewToken   func() string
	Log        *slog.Logger
	Metrics    *Metrics
	// BeforeSettle, when set, runs after a send and before its settlement
	// is stored; returning false drops the settlement, as if the relay died
	// between sending and marking (a fault point for tests).
	BeforeSettle func(row app.OutboxRow, res Result) bool
}

func (r *Relay) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

func (r *Relay) rand() float64 {
	if r.Rand != nil {
		return r.Rand()
	}
	return rand.Float64()
}

func (r *Relay) token() string {
	if r.NewToken != nil {
		return r.NewToken()
	}
	return uuid.NewString()
}

func (r *Relay) log() *slog.Logger {
	if r.Log != nil {
		return r.Log
	}
	return slog.Default()
}

func (t Topic) workers() int {
	if t.Workers > 0 {
		return t.Workers
	}
	return 4
}

func (t Topic) timeout() time.Duration {
	if t.Timeout > 0 {
		return t.Timeout
	}
	return 10 * time.Second
}

func (r *Relay) lease() time.Duration {
	if r.Lease > 0 {
		return r.Lease
	}
	var longest time.Duration
	for _, t := range r.Topics {
		longest = max(longest, t.timeout())
	}
	return longest + 30*time.Second
}

func (r *Relay) poll() time.Duration {
	if r.Poll > 0 {
		return r.Poll
	}
	return time.Second
}

// Run relays until ctx ends, then waits for the sends in flight to stop.
func (r *Relay) Run(ctx context.Context) {
	wakes := make([]chan struct{}, len(r.Topics))
	for i := range wakes {
		wakes[i] = make(chan struct{}, 1)
	}
	var wg sync.WaitGroup
	for i, t := range r.Topics {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.runTopic(ctx, t, wakes[i])
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.statsLoop(ctx)
	}()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-r.Wake:
			for _, w := range wakes {
				select {
				case w <- struct{}{}:
				default:
				}
			}
		}
	}
}

func (r *Relay) runTopic(ctx context.Context, t Topic, wake <-chan struct{}) {
	workers := t.workers()
	sem := make(chan struct{}, workers)
	kick := make(chan struct{}, 1)
	var wg sync.WaitGroup
	defer wg.Wait()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		if ctx.Err() != nil {
			return
		}
		free := workers - len(sem)
		limit := free
		if r.Batch > 0 && r.Batch < limit {
			limit = r.Batch
		}
		full := false
		if limit > 0 {
			rows, err := r.claim(ctx, t, limit)
			if err != nil && ctx.Err() == nil {
				r.log().Warn("outbox claim", "topic", t.Name, "err", err)
			}
			for _, row := range rows {
				sem <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					r.deliver(ctx, t, row)
					<-sem
					select {
					case kick <- struct{}{}:
					default:
					}
				}()
			}
			full = len(rows) == limit
		}
		if full && len(sem) < workers {
			continue
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(r.poll())
		select {
		case <-ctx.Done():
			return
		case <-kick:
		case <-wake:
		case <-timer.C:
		}
	}
}

func (r *Relay) claim(ctx context.Context, t Topic, limit int) ([]app.OutboxRow, error) {
	now := r.now()
	return r.Store.Claim(ctx, app.ClaimSpec{Topic: t.Name, Limit: limit, Now: now, LeaseUntil: now.Add(r.lease()),
		Token: r.token(), BlockOnDead: t.BlockOnDead})
}

// Step runs one round synchronously: for each topic, claim what is due (up
// to its workers) and deliver it, waiting for every send and settlement. It
// returns how many rows it handled. Tests with a frozen clock and the
// benchmark drive the relay with it.
func (r *Relay) Step(ctx context.Context) (int, error) {
	total := 0
	for _, t := range r.Topics {
		rows, err := r.claim(ctx, t, t.workers())
		if err != nil {
			return total, err
		}
		var wg sync.WaitGroup
		for _, row := range rows {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r.deliver(ctx, t, row)
			}()
		}
		wg.Wait()
		total += len(rows)
	}
	return total, nil
}

// deliver sends one claimed row and settles it.
func (r *Relay) deliver(ctx context.Context, t Topic, row app.OutboxRow) {
	sctx, cancel := context.WithTimeout(ctx, t.timeout())
	res := t.Sender.Send(sctx, row)
	cancel()
	if ctx.Err() != nil {
		// Shutting down mid-send: whether it arrived is unknown. Make the
		// row due at once so the next relay sends it again (at least once).
		s := app.Settlement{ID: row.ID, Token: row.Token, Topic: row.Topic, OrderKey: row.OrderKey, Outcome: app.SettleRetry,
			At: r.now(), Next: r.now(), Error: "relay stopped during the send", BlockOnDead: t.BlockOnDead}
		if res.Err == nil && !res.Discard && res.Defer.IsZero() {
			s.Outcome, s.Error, s.Note = app.SettleSent, "", res.Note
		}
		bctx, bcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		_ = r.Store.Settle(bctx, []app.Settlement{s})
		bcancel()
		return
	}
	if r.BeforeSettle != nil && !r.BeforeSettle(row, res) {
		return
	}
	now := r.now()
	s := r.settlement(t, row, res, now)
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	err := r.Store.Settle(sctx, []app.Settlement{s})
	scancel()
	if err != nil {
		// The lease will end and the row will be tried again.
		r.log().Warn("outbox settle", "topic", t.Name, "id", row.ID, "err", err)
		return
	}
	r.observe(t, row, s, res, now)
}

// settlement turns a send's result into what the store records.
func (r *Relay) settlement(t Topic, row app.OutboxRow, res Result, now time.Time) app.Settlement {
	s := app.Settlement{ID: row.ID, Token: row.Token, Topic: row.Topic, OrderKey: row.OrderKey, At: now, Note: res.Note,
		BlockOnDead: t.BlockOnDead}
	switch {
	case !res.Defer.IsZero():
		s.Outcome, s.Next = app.SettleDefer, res.Defer
	case res.Discard:
		s.Outcome = app.SettleDiscard
		if res.Err != nil {
			s.Error = clip(res.Err.Error())
		}
	case res.Err == nil:
		s.Outcome = app.SettleSent
	default:
		s.Error = clip(res.Err.Error())
		next, dead := r.Backoff.Next(row.FirstAttemptAt, now, row.Attempts, r.rand(), res.RetryAfter)
		if dead || res.Permanent {
			s.Outcome = app.SettleDead
		} else {
			s.Outcome, s.Next = app.SettleRetry, next
		}
	}
	return s
}

func clip(s string) string {
	if len(s) > 300 {
		s = s[:300]
	}
	return s
}

func (r *Relay) observe(t Topic, row app.OutboxRow, s app.Settlement, res Result, now time.Time) {
	m := r.Metrics
	if m == nil {
		return
	}
	outcome := s.Outcome
	switch s.Outcome {
	case app.SettleSent:
		if res.Skipped {
			outcome = "skipped"
		} else {
			m.latency.WithLabelValues(t.Name).Observe(now.Sub(row.CreatedAt).Seconds())
		}
	case app.SettleDefer:
		outcome = "deferred"
	case app.SettleDiscard:
		outcome = "discarded"
	}
	m.attempts.WithLabelValues(t.Name, outcome).Inc()
	if s.Outcome == app.SettleRetry || s.Outcome == app.SettleDead {
		reason := res.Reason
		if reason == "" {
			reason = "other"
		}
		m.failures.WithLabelValues(t.Name, reason).Inc()
	}
}

func (r *Relay) statsLoop(ctx context.Context) {
	every := r.StatsEvery
	if every <= 0 {
		every = 10 * time.Second
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if err := r.RefreshStats(ctx); err != nil && ctx.Err() == nil {
			r.log().Warn("outbox stats", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RefreshStats reads the queues and sets the depth and age gauges.
func (r *Relay) RefreshStats(ctx context.Context) error {
	if r.Metrics == nil {
		return nil
	}
	stats, err := r.Store.OutboxStats(ctx)
	if err != nil {
		return err
	}
	now := r.now()
	seen := map[string]app.OutboxStat{}
	for _, s := range stats {
		seen[s.Topic] = s
	}
	for _, t := range r.Topics {
		s := seen[t.Name]
		r.Metrics.depth.WithLabelValues(t.Name, "pending").Set(float64(s.Pending))
		r.Metrics.depth.WithLabelValues(t.Name, "dead").Set(float64(s.Dead))
		age := 0.0
		if s.Oldest != nil {
			age = max(now.Sub(*s.Oldest).Seconds(), 0)
		}
		r.Metrics.oldest.WithLabelValues(t.Name).Set(age)
	}
	return nil
}
