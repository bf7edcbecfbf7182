package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/internal/config"
	"hoso/internal/demo"
	"hoso/internal/pg"
	"hoso/internal/pg/pgtest"
	"hoso/internal/web"
)

// publicTrack is the part of /api/v1/public/track/{n} these tests read.
type publicTrack struct {
	Status   string `json:"status"`
	Holder   string `json:"holder"`
	Desk     string `json:"desk"`
	Timeline []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	} `json:"timeline"`
}

func (e *testEnv) track(n string) publicTrack {
	e.t.Helper()
	resp, body := e.get("/api/v1/public/track/" + n)
	var p publicTrack
	if resp.StatusCode != 200 || json.Unmarshal(body, &p) != nil {
		e.t.Fatalf("track %s: %d %.300s", n, resp.StatusCode, body)
	}
	return p
}

// eventually polls f every 5 ms for at most d and reports how long it took.
func eventually(d time.Duration, f func() bool) (time.Duration, bool) {
	start := time.Now()
	for {
		if f() {
			return time.Since(start), true
		}
		if time.Since(start) > d {
			return time.Since(start), false
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// waitListening waits until the instance's public timeline cache follows the
// database's notifications.
func (e *testEnv) waitListening(t *testing.T, want bool, d time.Duration) {
	t.Helper()
	if took, ok := eventually(d, func() bool { return e.sys.views.Stats().Listening == want }); !ok {
		t.Fatalf("cache listening = %v after %s, want %v", !want, took, want)
	}
}

// secondInstance serves e's database from another instance, as a second
// server behind the load balancer (docs/scale-out.md).
func (e *testEnv) secondInstance(t *testing.T) *testEnv {
	t.Helper()
	vars := map[string]string{"HOSO_DATABASE_URL": e.url, "HOSO_ADDR": "127.0.0.1:0", "HOSO_PUBLIC_RATE_PER_MIN": "100000", "HOSO_LOGIN_RATE_PER_MIN": "1000"}
	cfg, err := config.Load(envFunc(vars), false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &testEnv{t: t, url: e.url, logs: &syncBuffer{}, secret: e.secret, cancel: cancel, done: make(chan error, 1)}
	allLogs.mu.Lock()
	allLogs.logs = append(allLogs.logs, b.logs)
	allLogs.mu.Unlock()
	ready := make(chan struct{})
	go func() {
		b.done <- serve(ctx, cfg, b.logs, func(addr string, sys *system) {
			b.base, b.sys = "http://"+addr, sys
			close(ready)
		})
	}()
	select {
	case <-ready:
	case err := <-b.done:
		t.Fatalf("second instance did not start: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("second instance did not start in 20 s")
	}
	b.db = b.sys.db
	t.Cleanup(func() {
		cancel()
		<-b.done
	})
	return b
}

func (e *testEnv) newPickup(t *testing.T, code string) string {
	t.Helper()
	r := e.portal().do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody(code)), code)
	var created map[string]string
	r.json(t, &created)
	if created["tracking_number"] == "" {
		t.Fatalf("create %s: %d %s", code, r.status, r.body)
	}
	e.assign("buuta1", created["tracking_number"]) // on buuta1's route
	return created["tracking_number"]
}

// A timeline read from the cache, then an event recorded through the courier
// API or the staff API of the same instance: the very next read shows it.
func TestPublicTimelineCacheShowsNewEventsAtOnce(t *testing.T) {
	e := startServer(t, nil)
	e.waitListening(t, true, 5*time.Second)
	n := e.newPickup(t, "000.00.19.CACHE-1")
	courier := e.courier("buuta1")
	office := e.login("buucuc")

	steps := []struct {
		name   string
		record func()
		status string
		text   string
	}{
		{"courier: not home", func() {
			_, res := courier.send(ev("pickup.attempt_failed", n, map[string]any{"reason": "not_home"}))
			wantStatuses(t, "attempt", res, "accepted")
		}, "pickup_failed", "Bưu tá chưa thu gom được hồ sơ"},
		{"courier: collected", func() {
			docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}}
			e.assign("buuta1", n)
			_, res := courier.send(ev("pickup.collected", n, map[string]any{"documents": docs, "seal_id": "NP-7001", "proof": courier.sigProof(n)}))
			wantStatuses(t, "collect", res, "accepted")
		}, "collected", "Niêm phong số NP-7001"},
		{"courier: released to the office", func() {
			_, res := courier.send(ev("handoff.released", n, map[string]any{"to": "post_office:BC-05443"}))
			wantStatuses(t, "release", res, "accepted")
		}, "collected", "Chờ bưu cục phan đình phùng xác nhận"},
		{"staff API: the office confirms", func() {
			res := office.events(ev("handoff.confirmed", n, map[string]any{"seal_intact": true, "seal_id": "NP-7001"}))
			wantStatuses(t, "confirm", res, "accepted")
		}, "at_office", "Bưu cục Phan Đình Phùng đã xác nhận nhận hồ sơ"},
	}
	for _, s := range steps {
		// Twice before: the second read is a hit.
		before := e.track(n)
		hits := e.sys.views.Stats().Hits
		if again := e.track(n); len(again.Timeline) != len(before.Timeline) {
			t.Fatalf("%s: two reads differ", s.name)
		}
		if e.sys.views.Stats().Hits <= hits {
			t.Fatalf("%s: the second read was not served from the cache", s.name)
		}
		s.record()
		after := e.track(n)
		if after.Status != s.status || len(after.Timeline) != len(before.Timeline)+1 {
			t.Fatalf("%s: next read %s with %d lines, want %s with %d", s.name, after.Status, len(after.Timeline), s.status, len(before.Timeline)+1)
		}
		_, page := e.citizenPage(t, n, "5678")
		if !strings.Contains(strings.ToLower(page), strings.ToLower(s.text)) {
			t.Errorf("%s: the page right after lacks %q", s.name, s.text)
		}
	}
}

// Two instances on one database: an event written through A and a desk
// renamed in the database are seen through B's cached timeline within the
// notification's delivery.
func TestPublicTimelineCacheAcrossInstances(t *testing.T) {
	a := startServer(t, nil)
	b := a.secondInstance(t)
	a.waitListening(t, true, 5*time.Second)
	b.waitListening(t, true, 5*time.Second)
	n := a.newPickup(t, "000.00.19.CACHE-2")
	courier := a.courier("buuta1")
	var worst time.Duration
	for i := 0; i < 5; i++ {
		before := b.track(n)
		stored := b.sys.views.Stats().Hits
		b.track(n)
		if b.sys.views.Stats().Hits <= stored {
			t.Fatalf("round %d: B did not serve the timeline from its cache", i)
		}
		_, res := courier.send(ev("pickup.attempt_failed", n, map[string]any{"reason": "not_home"}))
		wantStatuses(t, "attempt through A", res, "accepted")
		took, ok := eventually(time.Second, func() bool { return len(b.track(n).Timeline) == len(before.Timeline)+1 })
		if !ok {
			t.Fatalf("round %d: B still serves %d lines after %s", i, len(before.Timeline), took)
		}
		worst = max(worst, took)
	}
	t.Logf("an event written through A reached B's cached timeline within %s (worst of 5)", worst)

	// A name many timelines show, changed without either instance's API.
	if got := b.track(n).Desk; !strings.Contains(got, "Thái Nguyên") {
		t.Fatalf("desk = %q", got)
	}
	if err := a.db.ExecForTest(context.Background(), `UPDATE desks SET name = 'Trung tâm Phục vụ hành chính công tỉnh Thái Nguyên (cơ sở 2)' WHERE code = 'TN-TTPVHCC'`); err != nil {
		t.Fatal(err)
	}
	for _, x := range []*testEnv{a, b} {
		if took, ok := eventually(time.Second, func() bool { return strings.HasSuffix(x.track(n).Desk, "(cơ sở 2)") }); !ok {
			t.Fatalf("renamed desk not shown after %s", took)
		}
	}
}

// The LISTEN connection killed: the cache is emptied and stores nothing
// until a new connection is proven to deliver, no read meanwhile is stale,
// and caching resumes afterwards.
func TestPublicTimelineCacheListenerDropped(t *testing.T) {
	e := startServer(t, nil)
	e.waitListening(t, true, 5*time.Second)
	n := e.newPickup(t, "000.00.19.CACHE-3")
	e.track(n)
	e.track(n) // cached
	ctx := context.Background()
	admin, err := pg.Open(ctx, pgtest.AdminURL(), pg.Options{PoolSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	dbName := e.url[strings.LastIndex(e.url, "/")+1 : strings.Index(e.url, "?")]
	// Keep the listener from coming back while the test looks at the gap.
	if err := admin.ExecForTest(ctx, fmt.Sprintf(`ALTER DATABASE %q ALLOW_CONNECTIONS false`, dbName)); err != nil {
		t.Fatal(err)
	}
	allowed := false
	allow := func() {
		if !allowed {
			allowed = true
			if err := admin.ExecForTest(ctx, fmt.Sprintf(`ALTER DATABASE %q ALLOW_CONNECTIONS true`, dbName)); err != nil {
				t.Fatal(err)
			}
		}
	}
	defer allow()
	killed, err := admin.CountForTest(ctx, `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE datname = ? AND query = 'LISTEN "hoso_public"'`, dbName)
	if err != nil || killed != 1 {
		t.Fatalf("terminated %d listener connections, want 1", killed)
	}
	e.waitListening(t, false, 2*time.Second)
	// Changes made meanwhile are seen at once: an event through the API and
	// a rename straight in the database (no HTTP write to wait for).
	before := e.track(n)
	_, res := e.courier("buuta1").send(ev("pickup.attempt_failed", n, map[string]any{"reason": "not_home"}))
	wantStatuses(t, "attempt", res, "accepted")
	if got := e.track(n); len(got.Timeline) != len(before.Timeline)+1 {
		t.Fatalf("during the gap: %d lines, want %d", len(got.Timeline), len(before.Timeline)+1)
	}
	if err := e.db.ExecForTest(ctx, `UPDATE desks SET name = 'Trung tâm mới' WHERE code = 'TN-TTPVHCC'`); err != nil {
		t.Fatal(err)
	}
	st := e.sys.views.Stats()
	for i := 0; i < 3; i++ {
		if got := e.track(n).Desk; got != "Trung tâm mới" {
			t.Fatalf("during the gap: desk %q", got)
		}
	}
	if s := e.sys.views.Stats(); s.Stored != st.Stored || s.Hits != st.Hits || s.Entries != 0 {
		t.Fatalf("cache used while not listening: %+v then %+v", st, s)
	}
	// Back: caching resumes, and so does invalidation.
	allow()
	e.waitListening(t, true, 10*time.Second)
	e.track(n)
	hits := e.sys.views.Stats().Hits
	e.track(n)
	if e.sys.views.Stats().Hits <= hits {
		t.Fatal("not cached again after the listener came back")
	}
	if err := e.db.ExecForTest(ctx, `UPDATE desks SET name = 'Trung tâm mới hơn' WHERE code = 'TN-TTPVHCC'`); err != nil {
		t.Fatal(err)
	}
	if took, ok := eventually(time.Second, func() bool { return e.track(n).Desk == "Trung tâm mới hơn" }); !ok {
		t.Fatalf("rename after the reconnect not seen after %s", took)
	}
}

// Every parcel of the demo province (requests, plans and the journeys that
// end in every state), read from the cache, is exactly what the uncached
// server renders: the same JSON bytes, the same page, the same 404s.
func TestPublicTimelineCachedMatchesUncached(t *testing.T) {
	e := startServer(t, nil)
	e.waitListening(t, true, 5*time.Second)
	ctx := context.Background()
	seeder := &demo.Seeder{Store: e.db, Wiring: e.sys.wiring, Seed: 7}
	if _, err := seeder.Run(ctx, 40); err != nil {
		t.Fatal(err)
	}
	e.newPickup(t, "000.00.19.CACHE-4")
	// The reference: the same services without the cache and with the
	// stores' general queries.
	d := e.sys.webDeps()
	in := *e.sys.intake
	in.Timelines = nil
	d.Intake, d.PublicCache = &in, nil
	plain, err := web.New(d)
	if err != nil {
		t.Fatal(err)
	}
	uncached := func(path string) (int, string) {
		t.Helper()
		resp, err := plain.App().Test(httptest.NewRequest("GET", path, nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	rows, err := e.db.FindParcels(ctx, app.ParcelFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	states := map[string]bool{}
	for _, r := range rows {
		states[string(r.Leg)+"/"+string(r.Status)] = true
	}
	t.Logf("%d parcels in %d leg/status pairs: %v", len(rows), len(states), states)
	if len(states) < 10 {
		t.Fatalf("the demo covers only %d states", len(states))
	}
	paths := []string{"/tra-cuu/EA999999995VN", "/tra-cuu/not-a-number", "/api/v1/public/track/EA999999995VN", "/api/v1/public/track/ea99999999xvn"}
	for _, r := range rows {
		paths = append(paths, "/tra-cuu/"+r.Number, "/api/v1/public/track/"+r.Number, "/api/v1/public/track/"+strings.ToLower(r.Number))
	}
	hits := e.sys.views.Stats().Hits
	for _, p := range paths {
		wantCode, want := uncached(p)
		for round := 0; round < 2; round++ { // a miss, then a hit
			resp, body := e.get(p)
			if resp.StatusCode != wantCode || stripVolatile(body) != stripVolatile([]byte(want)) {
				t.Fatalf("%s (read %d): %d, uncached %d\n%s\n---\n%s", p, round+1, resp.StatusCode, wantCode, body, want)
			}
		}
	}
	if got := e.sys.views.Stats().Hits - hits; got < uint64(2*len(rows)) {
		t.Errorf("%d hits for %d parcels read twice on two paths", got, len(rows))
	}
	// Nothing of the citizens is in any cached public answer: the details
	// (initials, masked phone) need the citizen's proof.
	for _, r := range rows {
		_, body := e.get("/api/v1/public/track/" + r.Number)
		var v map[string]any
		_ = json.Unmarshal(body, &v)
		if _, has := v["citizen"]; has || v["details"] != false || v["dossier_code"] != nil {
			t.Errorf("%s: the public answer has details: %.300s", r.Number, body)
		}
	}
}
