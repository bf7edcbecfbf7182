package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"hoso/internal/app"
	"hoso/internal/outbox"
	"hoso/internal/pg"
	"hoso/internal/pg/pgtest"
)

// A portal that fails, times out, asks to wait and redirects still gets
// every event, applied once per event_id, never a later event of a dossier
// before an earlier one; every request's signature verifies with the
// portal's secret.
func TestRelayDeliversEveryEventOnceInOrder(t *testing.T) {
	db := newDB(t)
	p := newFakePortal(t, "dvc-19", func(n int, _ string, attempt int) action {
		if attempt >= 4 {
			return ok
		}
		switch {
		case n%7 == 0:
			return timeout
		case n%5 == 1:
			return fail500
		case n%11 == 3:
			return busy503
		case n%13 == 5:
			return redirect
		}
		return ok
	})
	dir := directory{"dvc-19": {p.URL(), p.secret}}
	evs := insertCallbacks(t, db, "dvc-19", 12, 5, time.Now())
	r := portalRelay(db, dir, 150*time.Millisecond, 6)
	ctx, cancel := context.WithCancel(context.Background())
	r.Wake = db.ListenOutbox(ctx)
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	waitFor(t, 60*time.Second, "every row sent", func() bool {
		return count(t, db, `SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL`) == len(evs)
	})
	cancel()
	<-done
	requests, applied, order, bad, violations := p.snapshot()
	if len(bad) > 0 {
		t.Fatalf("signatures or bodies refused: %v", bad)
	}
	if len(violations) > 0 {
		t.Fatalf("order violations: %v", violations)
	}
	if applied != len(evs) {
		t.Fatalf("applied %d events, want %d", applied, len(evs))
	}
	for d, seqs := range order {
		if fmt.Sprint(seqs) != "[0 1 2 3 4]" {
			t.Errorf("dossier %s applied %v", d, seqs)
		}
	}
	if requests <= len(evs) {
		t.Errorf("only %d requests for %d events: the failures did not happen", requests, len(evs))
	}
	if n := count(t, db, `SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL OR discarded_at IS NOT NULL`); n != 0 {
		t.Errorf("%d rows dead or discarded", n)
	}
	p.mu.Lock()
	redirected := p.redirected
	p.mu.Unlock()
	if redirected != 0 {
		t.Errorf("a redirect was followed %d times", redirected)
	}
	t.Logf("%d events, %d requests", len(evs), requests)
}

// The relay dies after the portal accepted a callback and before it
// recorded that: the row comes back when the lease ends, is sent again,
// and the portal applies it once. The dossier's next event waits meanwhile.
func TestCrashBetweenSendAndSettleRedelivers(t *testing.T) {
	db := newDB(t)
	c := newClock()
	p := newFakePortal(t, "dvc-19", func(int, string, int) action { return ok })
	p.now = c.Now
	evs := insertCallbacks(t, db, "dvc-19", 1, 2, c.Now())
	r := portalRelay(db, directory{"dvc-19": {p.URL(), p.secret}}, time.Second, 4)
	r.Now, r.Lease = c.Now, time.Minute
	r.Topics[0].Sender.(*outbox.PortalSender).Now = c.Now
	var crashes atomic.Int32
	r.BeforeSettle = func(row app.OutboxRow, res outbox.Result) bool {
		return crashes.Add(1) > 1 // the first settlement is lost
	}
	ctx := context.Background()
	step := func(want int) {
		t.Helper()
		n, err := r.Step(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Fatalf("step handled %d rows, want %d", n, want)
		}
	}
	step(1) // sent, then "crash"
	if _, applied, _, _, _ := p.snapshot(); applied != 1 {
		t.Fatalf("portal applied %d", applied)
	}
	step(0) // leased, and the next event waits behind it
	c.Add(61 * time.Second)
	step(1) // the lease ended: sent again
	step(1) // then the next event
	requests, applied, order, bad, violations := p.snapshot()
	if len(bad) > 0 || len(violations) > 0 {
		t.Fatalf("bad %v violations %v", bad, violations)
	}
	if requests != 3 || applied != 2 {
		t.Fatalf("requests %d applied %d, want 3 and 2", requests, applied)
	}
	p.mu.Lock()
	if p.attempts[evs[0].id] != 2 {
		t.Errorf("first event posted %d times, want 2", p.attempts[evs[0].id])
	}
	p.mu.Unlock()
	if fmt.Sprint(order[evs[0].dossier]) != "[0 1]" {
		t.Errorf("order %v", order)
	}
	if n := count(t, db, `SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL`); n != 2 {
		t.Errorf("%d rows sent", n)
	}
}

// A relay stopped (its context cancelled) while the portal is still
// answering leaves the row due at once; the next relay sends it again and
// the portal applies it once.
func TestShutdownMidSendResends(t *testing.T) {
	db := newDB(t)
	arrived := make(chan struct{}, 10)
	p := newFakePortal(t, "dvc-19", func(_ int, _ string, attempt int) action {
		arrived <- struct{}{}
		if attempt == 1 {
			return timeout // answers after the relay gave up
		}
		return ok
	})
	p.delay = 300 * time.Millisecond
	evs := insertCallbacks(t, db, "dvc-19", 1, 1, time.Now())
	r := portalRelay(db, directory{"dvc-19": {p.URL(), p.secret}}, 5*time.Second, 2)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	<-arrived
	cancel()
	<-done
	if n := count(t, db, `SELECT count(*) FROM outbox WHERE sent_at IS NULL AND next_at <= now() AND claim_token IS NULL`); n != 1 {
		t.Fatalf("the interrupted row is not due again (%d)", n)
	}
	// The portal applies the first attempt after its delay.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
		if _, applied, _, _, _ := p.snapshot(); applied == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the portal never applied the interrupted attempt")
		}
	}
	r2 := portalRelay(db, directory{"dvc-19": {p.URL(), p.secret}}, 5*time.Second, 2)
	if _, err := r2.Step(context.Background()); err != nil {
		t.Fatal(err)
	}
	_, applied, _, _, _ := p.snapshot()
	p.mu.Lock()
	posts := p.attempts[evs[0].id]
	p.mu.Unlock()
	if applied != 1 || posts != 2 {
		t.Fatalf("applied %d (want 1), posted %d times (want 2)", applied, posts)
	}
	if n := count(t, db, `SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL`); n != 1 {
		t.Fatalf("row not marked sent")
	}
}

// Two relays on their own connection pools share one queue: no event is
// sent twice, none is skipped, and each dossier's events arrive in order.
func TestTwoRelaysNoDoubleSendInOrder(t *testing.T) {
	db, url := pgtest.New(t)
	db2, err := pg.Open(context.Background(), url, pg.Options{PoolSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	p := newFakePortal(t, "dvc-19", func(int, string, int) action { return ok })
	dir := directory{"dvc-19": {p.URL(), p.secret}}
	evs := insertCallbacks(t, db, "dvc-19", 25, 4, time.Now())
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, d := range []*pg.DB{db, db2} {
		r := portalRelay(d, dir, 2*time.Second, 5)
		r.Poll = 5 * time.Millisecond
		wg.Add(1)
		go func() { defer wg.Done(); r.Run(ctx) }()
	}
	waitFor(t, 60*time.Second, "every row sent", func() bool {
		return count(t, db, `SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL`) == len(evs)
	})
	cancel()
	wg.Wait()
	requests, applied, order, bad, violations := p.snapshot()
	if len(bad) > 0 || len(violations) > 0 {
		t.Fatalf("bad %v violations %v", bad, violations)
	}
	if requests != len(evs) || applied != len(evs) {
		t.Fatalf("requests %d applied %d, want %d each (no double send)", requests, applied, len(evs))
	}
	for d, seqs := range order {
		if fmt.Sprint(seqs) != "[0 1 2 3]" {
			t.Errorf("dossier %s: %v", d, seqs)
		}
	}
}

// The backoff schedule as specified: with the jitter's draw in the middle
// the waits are exactly 10 s, 20 s, … 2560 s, then 1 h; the row is retried
// for at least 24 h and then dead; its dossier's next event is held until
// staff retry it (audited), then both go in order.
func TestBackoffScheduleAndDeadLetter(t *testing.T) {
	db := newDB(t)
	c := newClock()
	healthy := atomic.Bool{}
	p := newFakePortal(t, "dvc-19", func(int, string, int) action {
		if healthy.Load() {
			return ok
		}
		return fail500
	})
	p.now = c.Now
	evs := insertCallbacks(t, db, "dvc-19", 1, 2, c.Now())
	r := portalRelay(db, directory{"dvc-19": {p.URL(), p.secret}}, time.Second, 4)
	r.Backoff, r.Now, r.Rand = outbox.DefaultBackoff, c.Now, func() float64 { return 0.5 }
	r.Topics[0].Sender.(*outbox.PortalSender).Now = c.Now
	reg := prometheus.NewRegistry()
	m, err := outbox.NewMetrics(reg)
	if err != nil {
		t.Fatal(err)
	}
	r.Metrics = m
	ctx := context.Background()
	first := c.Now()
	var waits []time.Duration
	for attempt := 1; ; attempt++ {
		if n, err := r.Step(ctx); err != nil || n != 1 {
			t.Fatalf("attempt %d: handled %d rows (%v)", attempt, n, err)
		}
		if count(t, db, `SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL`) == 1 {
			if since := c.Now().Sub(first); since < 24*time.Hour {
				t.Fatalf("dead after %s, before 24 h", since)
			}
			if attempt != 33 {
				t.Errorf("dead after %d attempts, want 33 with the default schedule", attempt)
			}
			break
		}
		if attempt > 100 {
			t.Fatal("never dead")
		}
		var next time.Time
		if err := db.ExecForTest(ctx, `SELECT 1`); err != nil {
			t.Fatal(err)
		}
		n, err := db.CountForTest(ctx, `SELECT extract(epoch FROM next_at - ?::timestamptz)::int FROM outbox WHERE id = (SELECT min(id) FROM outbox)`, c.Now())
		if err != nil {
			t.Fatal(err)
		}
		wait := time.Duration(n) * time.Second
		waits = append(waits, wait)
		next = c.Now().Add(wait)
		// The dossier's next event is not tried meanwhile.
		c.Set(next.Add(-time.Second))
		if n, _ := r.Step(ctx); n != 0 {
			t.Fatalf("attempt %d: something was claimed before the row was due", attempt)
		}
		c.Set(next)
	}
	want := []time.Duration{10, 20, 40, 80, 160, 320, 640, 1280, 2560}
	for i, w := range want {
		if waits[i] != w*time.Second {
			t.Errorf("wait %d = %s, want %s", i+1, waits[i], w*time.Second)
		}
	}
	for i := len(want); i < len(waits); i++ {
		if waits[i] != time.Hour {
			t.Errorf("wait %d = %s, want 1h", i+1, waits[i])
		}
	}
	// Dead: the follower is held, and the relay does not see it.
	if n, _ := r.Step(ctx); n != 0 {
		t.Fatal("the follower of a dead portal row was claimed")
	}
	dead, err := db.FindOutbox(ctx, app.OutboxFilter{State: app.OutboxDead})
	if err != nil {
		t.Fatal(err)
	}
	if len(dead) != 1 || dead[0].Held != 1 || dead[0].Attempts != 33 || !strings.Contains(dead[0].LastError, "500") {
		t.Fatalf("dead-letter list %+v", dead)
	}
	// Staff retry: the portal is back; both go, in order.
	healthy.Store(true)
	if err := db.RetryOutbox(ctx, dead[0].ID, 0, "", c.Now()); err != nil {
		t.Fatal(err)
	}
	if err := db.RetryOutbox(ctx, dead[0].ID, 0, "", c.Now()); err == nil {
		t.Error("a row retried twice")
	}
	for i := 0; i < 2; i++ {
		if n, err := r.Step(ctx); err != nil || n != 1 {
			t.Fatalf("after retry step %d: %d (%v)", i, n, err)
		}
	}
	_, applied, order, _, violations := p.snapshot()
	if applied != 2 || len(violations) > 0 || fmt.Sprint(order[evs[0].dossier]) != "[0 1]" {
		t.Fatalf("applied %d, order %v, violations %v", applied, order, violations)
	}
	if n := count(t, db, `SELECT count(*) FROM audit_log WHERE action = 'outbox.retry' AND subject = ?`, fmt.Sprintf("outbox:%d", dead[0].ID)); n != 1 {
		t.Errorf("retry audited %d times", n)
	}
	// Metrics: attempts, failures and the delivery latency were counted.
	if err := r.RefreshStats(ctx); err != nil {
		t.Fatal(err)
	}
	got := gather(t, reg)
	if got["hoso_outbox_failures_total"] != 33 || got["hoso_outbox_attempts_total"] != 35 || got["hoso_outbox_delivery_seconds_count"] != 2 {
		t.Errorf("metrics %v", got)
	}
	if _, ok := got["hoso_outbox_queue_depth"]; !ok {
		t.Errorf("no queue depth gauge: %v", got)
	}
}

func gather(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			switch {
			case m.Counter != nil:
				out[mf.GetName()] += m.Counter.GetValue()
			case m.Gauge != nil:
				out[mf.GetName()] += m.Gauge.GetValue()
			case m.Histogram != nil:
				out[mf.GetName()+"_count"] += float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return out
}

// Discarding a dead portal row (audited, with the reason) releases the rows
// it held; a client with no callback URL gets its rows discarded by the
// relay; a redirect is a failure, not followed.
func TestDiscardNoURLAndRedirect(t *testing.T) {
	db := newDB(t)
	c := newClock()
	mode := atomic.Int32{}
	p := newFakePortal(t, "dvc-19", func(int, string, int) action { return action(mode.Load()) })
	p.now = c.Now
	dir := directory{"dvc-19": {p.URL(), p.secret}}
	insertCallbacks(t, db, "dvc-19", 1, 2, c.Now())
	r := portalRelay(db, dir, time.Second, 4)
	r.Now = c.Now
	r.Backoff.MaxAge = time.Minute
	r.Topics[0].Sender.(*outbox.PortalSender).Now = c.Now
	ctx := context.Background()
	mode.Store(int32(redirect))
	for i := 0; count(t, db, `SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL`) == 0; i++ {
		if _, err := r.Step(ctx); err != nil {
			t.Fatal(err)
		}
		c.Add(time.Minute)
		if i > 10 {
			t.Fatal("never dead")
		}
	}
	p.mu.Lock()
	if p.redirected != 0 {
		t.Errorf("redirect followed %d times", p.redirected)
	}
	p.mu.Unlock()
	if n := count(t, db, `SELECT count(*) FROM outbox WHERE last_error LIKE '%chuyển hướng%'`); n != 1 {
		t.Errorf("redirect not recorded as the error")
	}
	dead, _ := db.FindOutbox(ctx, app.OutboxFilter{State: app.OutboxDead})
	if err := db.DiscardOutbox(ctx, dead[0].ID, 0, "", "cổng đã nhận qua kênh khác", c.Now()); err != nil {
		t.Fatal(err)
	}
	mode.Store(int32(ok))
	if n, _ := r.Step(ctx); n != 1 {
		t.Fatal("the held row was not released by the discard")
	}
	if n := count(t, db, `SELECT count(*) FROM audit_log WHERE action = 'outbox.discard' AND reason = 'cổng đã nhận qua kênh khác'`); n != 1 {
		t.Error("discard not audited with its reason")
	}
	// No URL: discarded by the relay, the next row goes.
	insertCallbacks(t, db, "khong-co-url", 1, 2, c.Now())
	if _, err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Step(ctx); err != nil {
		t.Fatal(err)
	}
	if n := count(t, db, `SELECT count(*) FROM outbox WHERE target = 'khong-co-url' AND discarded_at IS NOT NULL AND result LIKE '%không có địa chỉ callback%'`); n != 2 {
		t.Errorf("%d rows of a client without URL discarded, want 2", n)
	}
}

// senderFunc adapts a function to outbox.Sender.
type senderFunc func(ctx context.Context, row app.OutboxRow) outbox.Result

func (f senderFunc) Send(ctx context.Context, row app.OutboxRow) outbox.Result { return f(ctx, row) }

// In the notify topic a dead row does not hold the next message of its
// dossier; a deferred row (quiet hours) holds it without counting an
// attempt.
func TestNotifyTopicDeadDoesNotBlockAndDeferIsNotAnAttempt(t *testing.T) {
	db := newDB(t)
	c := newClock()
	var sent []string
	var mu sync.Mutex
	deferUntil := c.Now().Add(time.Hour)
	s := senderFunc(func(_ context.Context, row app.OutboxRow) outbox.Result {
		mu.Lock()
		defer mu.Unlock()
		switch row.Target {
		case "bad":
			return outbox.Result{Err: errors.New("số không hợp lệ"), Permanent: true}
		case "quiet":
			if c.Now().Before(deferUntil) {
				return outbox.Result{Defer: deferUntil, Note: "chờ hết giờ yên tĩnh"}
			}
		}
		sent = append(sent, row.Target)
		return outbox.Result{Note: "SMS"}
	})
	r := &outbox.Relay{Store: db, Now: c.Now, Lease: time.Minute, Topics: []outbox.Topic{{Name: app.TopicNotify, Sender: s, Workers: 2}}}
	for _, target := range []string{"bad", "after-bad", "quiet", "after-quiet"} {
		key := "d1"
		if strings.Contains(target, "quiet") {
			key = "d2"
		}
		if err := db.ExecForTest(context.Background(), `INSERT INTO outbox (topic, order_key, target, payload, created_at, next_at)
			VALUES ('notify', ?, ?, '{}', ?, ?)`, key, target, c.Now(), c.Now()); err != nil {
			t.Fatal(err)
		}
	}
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := r.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	if fmt.Sprint(sent) != "[after-bad]" {
		t.Fatalf("sent %v, want [after-bad]", sent)
	}
	mu.Unlock()
	if n := count(t, db, `SELECT count(*) FROM outbox WHERE target = 'quiet' AND attempts = 0 AND first_attempt_at IS NULL AND next_at = ?`, deferUntil); n != 1 {
		t.Error("a deferred row counted an attempt or lost its time")
	}
	c.Set(deferUntil)
	for i := 0; i < 2; i++ {
		if _, err := r.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if fmt.Sprint(sent) != "[after-bad quiet after-quiet]" {
		t.Fatalf("sent %v", sent)
	}
}

// Pure schedule arithmetic: the jitter stays within ±20 % of the nominal
// wait, Retry-After lengthens a wait up to the cap, and a row is dead only
// once MaxAge has passed since its first attempt.
func TestBackoffBounds(t *testing.T) {
	b := outbox.DefaultBackoff
	for n := 1; n <= 40; n++ {
		nom := b.Nominal(n)
		lo, hi := b.Delay(n, 0), b.Delay(n, 0.999999)
		if lo != time.Duration(float64(nom)*0.8) || hi > time.Duration(float64(nom)*1.2) || hi < time.Duration(float64(nom)*1.19) {
			t.Errorf("n=%d nominal %s: jitter range [%s, %s]", n, nom, lo, hi)
		}
	}
	if b.Nominal(1) != 10*time.Second || b.Nominal(9) != 2560*time.Second || b.Nominal(10) != time.Hour || b.Nominal(1000) != time.Hour {
		t.Error("nominal schedule")
	}
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if next, dead := b.Next(t0, t0.Add(time.Minute), 2, 0.5, 30*time.Minute); dead || next.Sub(t0.Add(time.Minute)) != 30*time.Minute {
		t.Errorf("Retry-After not honoured: %s", next.Sub(t0))
	}
	if next, _ := b.Next(t0, t0, 1, 0.5, 5*time.Hour); next.Sub(t0) != time.Hour {
		t.Errorf("Retry-After beyond the cap: %s", next.Sub(t0))
	}
	if _, dead := b.Next(t0, t0.Add(24*time.Hour-time.Second), 30, 0.5, 0); dead {
		t.Error("dead before 24 h")
	}
	if _, dead := b.Next(t0, t0.Add(24*time.Hour), 30, 0.5, 0); !dead {
		t.Error("not dead at 24 h")
	}
	// Worst case for the jitter (every wait at its shortest): still ≥ 24 h.
	at, n := t0, 0
	for {
		n++
		next, dead := b.Next(t0, at, n, 0, 0)
		if dead {
			break
		}
		at = next
	}
	if at.Sub(t0) < 24*time.Hour {
		t.Errorf("retried for only %s", at.Sub(t0))
	}
}

// A callback whose host resolves, at send time, to a loopback address (DNS
// rebinding: the name was public when the admin set it) is never sent
// without HOSO_CALLBACK_ALLOW_PRIVATE: each attempt is refused with the
// reason written on the row, retried, then dead. A literal private address
// is refused the same way; with the flag the same callback goes through.
func TestCallbackHostCheckedAtSendTime(t *testing.T) {
	db := newDB(t)
	c := newClock()
	p := newFakePortal(t, "dvc-19", func(int, string, int) action { return ok })
	p.now = c.Now
	port := p.srv.Listener.Addr().(*net.TCPAddr).Port
	rebound := fmt.Sprintf("http://cong.dvc.example:%d/callback?tinh=19", port)
	dir := directory{"dvc-19": {rebound, p.secret}, "dvc-ip": {p.URL(), p.secret}}
	insertCallbacks(t, db, "dvc-19", 1, 2, c.Now())
	r := portalRelay(db, dir, time.Second, 4)
	r.Now = c.Now
	r.Backoff.MaxAge = time.Minute
	sender := r.Topics[0].Sender.(*outbox.PortalSender)
	sender.Now = c.Now
	sender.AllowPrivate = false
	lookups := atomic.Int32{}
	sender.Resolve = func(_ context.Context, host string) ([]netip.Addr, error) {
		lookups.Add(1)
		if host != "cong.dvc.example" {
			return nil, fmt.Errorf("unknown host %s", host)
		}
		return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
	}
	ctx := context.Background()
	for i := 0; count(t, db, `SELECT count(*) FROM outbox WHERE dead_at IS NOT NULL`) == 0; i++ {
		if _, err := r.Step(ctx); err != nil {
			t.Fatal(err)
		}
		c.Add(time.Minute)
		if i > 10 {
			t.Fatal("never dead")
		}
	}
	p.mu.Lock()
	if p.requests != 0 || len(p.badSig) != 0 {
		t.Errorf("the portal on 127.0.0.1 got %d requests (%d refused)", p.requests, len(p.badSig))
	}
	p.mu.Unlock()
	if lookups.Load() < 2 {
		t.Errorf("the host was resolved %d times, want once per attempt", lookups.Load())
	}
	if n := count(t, db, `SELECT count(*) FROM outbox WHERE target = 'dvc-19' AND dead_at IS NOT NULL AND attempts >= 2
		AND last_error LIKE '%cong.dvc.example trỏ tới địa chỉ nội bộ 127.0.0.1%'`); n != 1 {
		t.Errorf("%d rebound rows dead with the reason, want 1", n)
	}
	// A literal loopback address is refused the same way.
	if res := sender.Send(ctx, app.OutboxRow{Target: "dvc-ip", Payload: []byte("{}")}); res.Err == nil || res.Reason != "blocked_address" ||
		!strings.Contains(res.Err.Error(), "địa chỉ nội bộ 127.0.0.1") {
		t.Errorf("literal 127.0.0.1: %+v", res)
	}
	if n := count(t, db, `SELECT count(*) FROM outbox WHERE target = 'dvc-19' AND dead_at IS NULL AND sent_at IS NULL`); n != 1 {
		t.Errorf("%d rows held behind the dead one, want 1", n)
	}
	// The name's answer changes between the send-time check and the
	// connection (the check's resolver says public, the dialler's says
	// loopback): the address actually dialled is checked too, never sent.
	checkResolve := sender.Resolve
	sender.Resolve = func(context.Context, string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("93.184.216.34")}, nil
	}
	dir["dvc-rebind"] = struct {
		url    string
		secret []byte
	}{fmt.Sprintf("http://localhost:%d/callback?tinh=19", port), p.secret}
	if res := sender.Send(ctx, app.OutboxRow{Target: "dvc-rebind", Payload: []byte("{}")}); res.Err == nil || res.Reason != "blocked_address" ||
		!strings.Contains(res.Err.Error(), "địa chỉ nội bộ") {
		t.Errorf("rebound between check and connect: %+v", res)
	}
	p.mu.Lock()
	if p.requests != 0 {
		t.Errorf("the rebound name reached the portal on loopback: %d requests", p.requests)
	}
	p.mu.Unlock()
	sender.Resolve = checkResolve
	// A lookup that fails is refused too, never sent.
	res := sender.Send(ctx, app.OutboxRow{Target: "dvc-x", Payload: []byte("{}")})
	if res.Err != nil {
		t.Errorf("a client without URL: %v", res.Err)
	}
	dir["dvc-y"] = struct {
		url    string
		secret []byte
	}{"https://khong-co.example/cb", p.secret}
	if res := sender.Send(ctx, app.OutboxRow{Target: "dvc-y", Payload: []byte("{}")}); res.Err == nil || res.Reason != "blocked_address" {
		t.Errorf("unresolvable host: %+v", res)
	}
	// With the flag (tests, the demo) the same callback is sent.
	sender.AllowPrivate = true
	sender.Forget("dvc-19")
	dir["dvc-19"] = dir["dvc-ip"]
	if res := sender.Send(ctx, app.OutboxRow{Target: "dvc-19", Payload: []byte(`{"event_id":"ev-1","dossier_code":"000.00.19.H12-251124-9999","status":"collected","detail":{"seq":0}}`)}); res.Err != nil {
		t.Errorf("with the flag: %v", res.Err)
	}
	p.mu.Lock()
	if p.requests != 1 {
		t.Errorf("with the flag the portal got %d requests, want 1", p.requests)
	}
	p.mu.Unlock()
}
