package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"hoso/internal/config"
	"hoso/internal/pg/pgtest"
	"hoso/internal/testenv"
)

// The fault tests run the real binary, built from the tree, as child
// processes on loopback, and break things under it: kill -9 during
// writes, a PostgreSQL restart mid-load, two instances on one database.
// Each loop is bounded and stops by itself. They run with every `make
// test`; the restart happens to a PostgreSQL server of the test's own
// (testenv.NewCluster), so it disturbs nobody else using the machine's.

// faultWorld is a migrated database with the fixture, and the binary.
type faultWorld struct {
	t    *testing.T
	bin  string
	url  string
	vars map[string]string
	e    *testEnv // in-process wiring on the same database, for the fixture and counts
}

// newFaultWorld builds the binary and prepares a database on the test
// server; dbURL, when not empty, names another database to use instead.
func newFaultWorld(t *testing.T, dbURL string, extra map[string]string) *faultWorld {
	t.Helper()
	root := repoRoot(t)
	bin := filepath.Join(t.TempDir(), "hoso")
	build := exec.Command("go", "build", "-o", bin, "./cmd/hoso")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if dbURL == "" {
		dbURL = pgtest.URLFor(pgtest.NewDatabase(t))
	}
	w := &faultWorld{t: t, bin: bin, url: dbURL, vars: map[string]string{
		"HOSO_PUBLIC_RATE_PER_MIN": "1000000", "HOSO_LOGIN_RATE_PER_MIN": "100000", "HOSO_DB_POOL_SIZE": "12",
		"HOSO_RELAY_POLL": "50ms", "HOSO_RELAY_BACKOFF_BASE": "20ms", "HOSO_RELAY_BACKOFF_CAP": "200ms",
		"HOSO_CALLBACK_ALLOW_PRIVATE": "on", // the test's portal listens on 127.0.0.1
		// Every instance is one log: one origin, whatever each one's address.
		"HOSO_LOG_ORIGIN": "faults.hoso.test/api/v1/log"}}
	w.vars["HOSO_DATABASE_URL"] = w.url
	for k, v := range extra {
		w.vars[k] = v
	}
	if out, err := w.run("migrate"); err != nil {
		t.Fatalf("hoso migrate: %v\n%s", err, out)
	}
	cfg, err := config.Load(envFunc(w.vars), false)
	if err != nil {
		t.Fatal(err)
	}
	sys, err := open(context.Background(), cfg, newLogger(io.Discard, cfg.LogLevel))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sys.db.Close() })
	w.e = &testEnv{t: t, sys: sys, db: sys.db, url: w.url}
	w.e.seed()
	return w
}

// environ is the children's environment: the test keys and settings, and
// PATH.
func (w *faultWorld) environ(extra ...string) []string {
	env := []string{"PATH=" + os.Getenv("PATH")}
	for k, v := range testKeys {
		env = append(env, k+"="+v)
	}
	for k, v := range w.vars {
		env = append(env, k+"="+v)
	}
	return append(env, extra...)
}

// run runs the binary once (migrate, verify) and returns its output.
func (w *faultWorld) run(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, w.bin, args...)
	cmd.Env = w.environ()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// server is one `hoso serve` child.
type server struct {
	w    *faultWorld
	addr string
	base string
	cmd  *exec.Cmd
	logs *syncBuffer
	done chan error
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (w *faultWorld) server() *server {
	s := &server{w: w, addr: freeAddr(w.t)}
	s.base = "http://" + s.addr
	w.t.Cleanup(func() { s.kill() })
	return s
}

// start starts the child and waits until it answers /readyz.
func (s *server) start() {
	t := s.w.t
	t.Helper()
	s.logs = &syncBuffer{}
	allLogs.mu.Lock()
	allLogs.logs = append(allLogs.logs, s.logs)
	allLogs.mu.Unlock()
	s.cmd = exec.Command(s.w.bin, "serve")
	s.cmd.Env = s.w.environ("HOSO_ADDR="+s.addr, "HOSO_BASE_URL="+s.base)
	s.cmd.Stdout, s.cmd.Stderr = s.logs, s.logs
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s.done = make(chan error, 1)
	go func(c *exec.Cmd, done chan error) { done <- c.Wait() }(s.cmd, s.done)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(s.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case err := <-s.done:
			t.Fatalf("server exited at start: %v\n%s", err, tail(s.logs.String(), 3000))
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready in 60 s\n%s", tail(s.logs.String(), 3000))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// kill sends SIGKILL and waits for the process to go.
func (s *server) kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// stop asks the child to shut down gracefully.
func (s *server) stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		s.w.t.Errorf("server did not stop in 30 s")
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

var faultClient = &http.Client{Timeout: 20 * time.Second}

// portalCreate is one create as a portal sends it, with its key.
type portalCreate struct {
	key, code string
	body      []byte
}

// signedPost sends a signed portal request; err is a transport failure.
func signedPost(base, id, secret, path string, body []byte, key string) (int, []byte, error) {
	req, err := http.NewRequest("POST", base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	signPortal(req, id, secret, body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := faultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// courierBatch is one upload of the courier app.
type courierBatch struct {
	events []map[string]any
}

func postBatch(base, token string, b courierBatch) (int, []syncResult, []byte, error) {
	body, _ := json.Marshal(map[string]any{"events": b.events})
	req, _ := http.NewRequest("POST", base+"/api/v1/courier/events", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := faultClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, nil, err
	}
	var out struct{ Results []syncResult }
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out.Results, raw, nil
}

// ledgerLoad writes portal creates and courier uploads in bounded loops
// against one server and records what was acknowledged.
type ledgerLoad struct {
	mu       sync.Mutex
	tag      string // in the dossier codes of this load's creates
	base     string
	portalID string
	secret   string
	token    string
	sign     func(map[string]any) map[string]any // the courier's phone signs each event
	numbers  []string                            // parcels the courier reports on
	created  map[string]string                   // key → parcel id, acknowledged
	pendingC []portalCreate                      // sent, answer not received
	events   map[string]bool                     // event ids acknowledged
	pendingB []courierBatch                      // sent, answer not received
	statuses map[int]int
	bad      []string
	n        int
}

func newLedgerLoad(base, portalID, secret string, c *courierClient, numbers []string) *ledgerLoad {
	return &ledgerLoad{tag: strings.ToUpper(uuid.NewString()[:6]), base: base, portalID: portalID, secret: secret, token: c.token, sign: c.sign,
		numbers: numbers, created: map[string]string{}, events: map[string]bool{}, statuses: map[int]int{}}
}

func (l *ledgerLoad) nextCreate() portalCreate {
	l.mu.Lock()
	l.n++
	n := l.n
	l.mu.Unlock()
	code := fmt.Sprintf("000.00.19.FAULT-%s-%s-%05d", l.tag, time.Now().Format("150405"), n)
	return portalCreate{key: "fault-" + uuid.NewString(), code: code, body: mustJSONNoT(validBody(code))}
}

func mustJSONNoT(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// create sends one create and records the answer. It reports whether the
// write is settled (acknowledged, or recorded as bad); false means it was
// not acknowledged and must be sent again with the same key.
func (l *ledgerLoad) create(c portalCreate) bool {
	st, body, err := signedPost(l.base, l.portalID, l.secret, "/api/v1/portal/pickups", c.body, c.key)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		return false
	}
	l.statuses[st]++
	switch {
	case st == 201:
		var r map[string]string
		if json.Unmarshal(body, &r) != nil || r["id"] == "" {
			l.bad = append(l.bad, "201 without an id: "+string(body))
			return true
		}
		if prev, ok := l.created[c.key]; ok && prev != r["id"] {
			l.bad = append(l.bad, fmt.Sprintf("key %s answered %s then %s", c.key, prev, r["id"]))
		}
		l.created[c.key] = r["id"]
	case st == 503 || st == 409:
		// Not acknowledged: the portal sends it again.
		if st == 503 && !strings.Contains(string(body), `"unavailable"`) {
			l.bad = append(l.bad, "503 without the unavailable code: "+string(body))
		}
		return false
	default:
		l.bad = append(l.bad, fmt.Sprintf("create %s: %d %s", c.code, st, body))
	}
	return true
}

func (l *ledgerLoad) nextBatch(r *rand.Rand) courierBatch {
	var b courierBatch
	for i := 0; i < 1+r.IntN(8); i++ {
		n := l.numbers[r.IntN(len(l.numbers))]
		b.events = append(b.events, l.sign(ev("pickup.attempt_failed", n, map[string]any{"reason": "not_home"})))
	}
	return b
}

// upload sends one batch and records the answer. It returns the events
// not acknowledged (the whole batch when there was no answer), which the
// device sends again with the same ids.
func (l *ledgerLoad) upload(b courierBatch) courierBatch {
	st, res, body, err := postBatch(l.base, l.token, b)
	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		return b
	}
	l.statuses[st]++
	var again courierBatch
	switch st {
	case 200:
		if len(res) != len(b.events) {
			l.bad = append(l.bad, fmt.Sprintf("%d results for %d events", len(res), len(b.events)))
			return again
		}
		for i, r := range res {
			switch r.Status {
			case "accepted", "duplicate":
				l.events[r.ID] = true
			default:
				if r.Error != nil && r.Error.Code == "unavailable" {
					again.events = append(again.events, b.events[i])
					continue
				}
				l.bad = append(l.bad, fmt.Sprintf("event %s: %s %+v", r.ID, r.Status, r.Error))
			}
		}
	case 503:
		again = b
		if !strings.Contains(string(body), `"unavailable"`) {
			l.bad = append(l.bad, "503 without the unavailable code: "+string(body))
		}
	default:
		l.bad = append(l.bad, fmt.Sprintf("upload: %d %s", st, body))
	}
	return again
}

// writeBackoff is how long a writer waits before sending an unacknowledged
// write again, as a portal or the courier app would.
const writeBackoff = 50 * time.Millisecond

// run runs portal and courier writers until stop closes. Each writer sends
// its write again (same key, same event ids) until it is acknowledged; what
// is still unacknowledged when stop closes is left for retry.
func (l *ledgerLoad) run(stop <-chan struct{}, writers int, seed uint64) *sync.WaitGroup {
	var wg sync.WaitGroup
	wait := func() bool {
		select {
		case <-stop:
			return false
		case <-time.After(writeBackoff):
			return true
		}
	}
	for i := 0; i < writers; i++ {
		wg.Add(2)
		go func(i int) {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				c := l.nextCreate()
				for !l.create(c) {
					if !wait() {
						l.mu.Lock()
						l.pendingC = append(l.pendingC, c)
						l.mu.Unlock()
						return
					}
				}
			}
		}(i)
		go func(i int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(seed, uint64(i)))
			for {
				select {
				case <-stop:
					return
				default:
				}
				b := l.nextBatch(r)
				for b = l.upload(b); len(b.events) > 0; b = l.upload(b) {
					if !wait() {
						l.mu.Lock()
						l.pendingB = append(l.pendingB, b)
						l.mu.Unlock()
						return
					}
				}
			}
		}(i)
	}
	return &wg
}

// retry sends every unacknowledged write again, with the same keys and
// event ids, until all are acknowledged.
func (l *ledgerLoad) retry(t *testing.T) {
	t.Helper()
	l.mu.Lock()
	cs, bs := l.pendingC, l.pendingB
	l.pendingC, l.pendingB = nil, nil
	l.mu.Unlock()
	for round := 0; round < 20 && len(cs)+len(bs) > 0; round++ {
		if round > 0 {
			time.Sleep(writeBackoff)
		}
		var nc []portalCreate
		for _, c := range cs {
			if !l.create(c) {
				nc = append(nc, c)
			}
		}
		var nb []courierBatch
		for _, b := range bs {
			if again := l.upload(b); len(again.events) > 0 {
				nb = append(nb, again)
			}
		}
		cs, bs = nc, nb
	}
	if len(cs)+len(bs) > 0 {
		t.Errorf("writes still unacknowledged after 20 rounds: %d creates, %d uploads", len(cs), len(bs))
	}
}

// checkDurable: every acknowledged create is one parcel with the id the
// portal was given, no dossier has two, every acknowledged event is in the
// ledger once, and `hoso verify` passes.
func (w *faultWorld) checkDurable(t *testing.T, l *ledgerLoad) {
	t.Helper()
	e := w.e
	retryCount := func(q string, args ...any) int {
		var n int
		var err error
		for i := 0; i < 50; i++ {
			n, err = e.db.CountForTest(context.Background(), q, args...)
			if err == nil {
				return n
			}
			time.Sleep(200 * time.Millisecond)
		}
		t.Fatalf("%s: %v", q, err)
		return 0
	}
	var ids []string
	for _, id := range l.created {
		ids = append(ids, id)
	}
	if len(ids) > 0 {
		if n := retryCount(`SELECT count(*) FROM parcels WHERE id IN ('` + strings.Join(ids, "','") + `')`); n != len(ids) {
			t.Errorf("%d of %d acknowledged creates are in the database", n, len(ids))
		}
	}
	if n := retryCount(`SELECT count(*) FROM (SELECT d.code FROM parcels p JOIN dossiers d ON d.id = p.dossier_id GROUP BY d.code HAVING count(*) > 1) x`); n != 0 {
		t.Errorf("%d dossiers with two parcels", n)
	}
	if n := retryCount(`SELECT count(*) FROM parcels p JOIN dossiers d ON d.id = p.dossier_id WHERE d.code LIKE ?`, "000.00.19.FAULT-"+l.tag+"-%"); n != len(l.created) {
		t.Errorf("%d fault-test parcels, %d acknowledged keys", n, len(l.created))
	}
	var evs []string
	for id := range l.events {
		evs = append(evs, id)
	}
	sort.Strings(evs)
	for i := 0; i < len(evs); i += 500 {
		part := evs[i:min(i+500, len(evs))]
		if n := retryCount(`SELECT count(*) FROM events WHERE id IN ('` + strings.Join(part, "','") + `')`); n != len(part) {
			t.Errorf("%d of %d acknowledged events are in the ledger", n, len(part))
		}
	}
	if n := retryCount(`SELECT count(*) FROM parcels p WHERE (SELECT count(*) FROM custody c WHERE c.parcel_id = p.id AND c.to_event IS NULL) <> 1`); n != 0 {
		t.Errorf("%d parcels without exactly one custodian", n)
	}
	out, err := w.run("verify")
	if err != nil || !strings.Contains(out, "OK") {
		t.Errorf("hoso verify: %v\n%s", err, out)
	}
	t.Logf("hoso verify: %s", strings.TrimSpace(lastLineOf(out)))
}

func lastLineOf(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// seedParcels creates parcels the courier reports on.
func seedParcels(t *testing.T, base, portalID, secret string, n int) []string {
	t.Helper()
	var out []string
	for i := 0; i < n; i++ {
		code := fmt.Sprintf("000.00.19.SEED-%d-%s", i, uuid.NewString()[:8])
		st, body, err := signedPost(base, portalID, secret, "/api/v1/portal/pickups", mustJSONNoT(validBody(code)), "seed-"+code)
		if err != nil || st != 201 {
			t.Fatalf("seed parcel: %d %s %v", st, body, err)
		}
		var r map[string]string
		_ = json.Unmarshal(body, &r)
		out = append(out, r["tracking_number"])
	}
	return out
}

// TestKillNineDuringWrites: the server is killed with SIGKILL while
// portals create pickups and couriers upload events; after each restart
// every acknowledged write is there once, and writes sent again with the
// same key or event id are applied once.
func TestKillNineDuringWrites(t *testing.T) {
	w := newFaultWorld(t, "", nil)
	s := w.server()
	s.start()
	w.e.base = s.base
	courier := w.e.courier("buuta1")
	numbers := seedParcels(t, s.base, "dvc-test", w.e.secret, 8)
	w.e.assign("buuta1", numbers...)
	l := newLedgerLoad(s.base, "dvc-test", w.e.secret, courier, numbers)
	r := rand.New(rand.NewPCG(1, 2))
	const kills = 4
	for k := 0; k < kills; k++ {
		stop := make(chan struct{})
		wg := l.run(stop, 3, uint64(k))
		time.Sleep(time.Duration(400+r.IntN(1200)) * time.Millisecond)
		l.mu.Lock()
		before := len(l.created) + len(l.events)
		l.mu.Unlock()
		s.kill()
		close(stop)
		wg.Wait()
		l.mu.Lock()
		t.Logf("kill %d: %d writes acknowledged so far, %d creates and %d uploads in flight", k+1, before, len(l.pendingC), len(l.pendingB))
		l.mu.Unlock()
		s.start()
		l.retry(t)
		w.checkDurable(t, l)
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, b := range l.bad {
		t.Error(b)
	}
	t.Logf("after %d kill -9: %d creates and %d courier events acknowledged, 0 lost, 0 twice; statuses %v", kills, len(l.created), len(l.events), l.statuses)
}

// TestPostgresRestartMidLoad: PostgreSQL restarts under load. Meanwhile
// the server answers 503 with the unavailable code (never 500, never a
// dropped connection), it serves again within 5 s of the database being
// back, and nothing acknowledged is lost. The server restarted is the
// test's own.
func TestPostgresRestartMidLoad(t *testing.T) {
	cluster := testenv.NewCluster(t)
	w := newFaultWorld(t, cluster.URL("postgres"), nil)
	s := w.server()
	s.start()
	w.e.base = s.base
	courier := w.e.courier("buuta1")
	numbers := seedParcels(t, s.base, "dvc-test", w.e.secret, 8)
	w.e.assign("buuta1", numbers...)
	l := newLedgerLoad(s.base, "dvc-test", w.e.secret, courier, numbers)

	// Readers of the public timeline beside the writers, each answer
	// recorded with its time.
	type answer struct {
		at     time.Time
		what   string
		status int
		body   string
	}
	var mu sync.Mutex
	var answers []answer
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for i := 0; i < 2; i++ {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				for _, path := range []string{"/tra-cuu/" + numbers[0], "/api/v1/public/track/" + numbers[1], "/readyz"} {
					resp, err := faultClient.Get(s.base + path)
					a := answer{at: time.Now(), what: path}
					if err != nil {
						a.status, a.body = -1, err.Error()
					} else {
						b, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						a.status, a.body = resp.StatusCode, string(b)
					}
					mu.Lock()
					answers = append(answers, a)
					mu.Unlock()
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	// Writers record their answers with times too, through the load's
	// counters; a probe writer records times of successes.
	wg := l.run(stop, 2, 7)
	time.Sleep(1500 * time.Millisecond)
	restartAt := time.Now()
	cluster.Restart()
	upAt := time.Now()
	// Keep the load on for a while after the database is back.
	time.Sleep(6 * time.Second)
	close(stop)
	wg.Wait()
	readers.Wait()
	t.Logf("PostgreSQL restarted in %.2f s", upAt.Sub(restartAt).Seconds())

	mu.Lock()
	defer mu.Unlock()
	firstOK := map[string]time.Time{}
	unavailable := 0
	for _, a := range answers {
		switch {
		case a.status == -1:
			t.Errorf("%s: the server dropped the connection: %s", a.what, a.body)
		case a.status >= 500 && a.status != 503:
			t.Errorf("%s: %d during the restart: %.300s", a.what, a.status, a.body)
		case a.status == 503:
			unavailable++
			if strings.HasPrefix(a.what, "/api/") && !strings.Contains(a.body, `"unavailable"`) {
				t.Errorf("%s: 503 without the unavailable code: %.300s", a.what, a.body)
			}
			if strings.HasPrefix(a.what, "/tra-cuu/") && !strings.Contains(a.body, "thử lại") && !strings.Contains(a.body, "Lỗi") {
				t.Errorf("%s: the 503 page says nothing a person can act on: %.300s", a.what, a.body)
			}
		case a.status < 400 && !a.at.Before(upAt):
			if _, ok := firstOK[a.what]; !ok {
				firstOK[a.what] = a.at
			}
		}
	}
	for _, what := range []string{"/tra-cuu/" + numbers[0], "/api/v1/public/track/" + numbers[1], "/readyz"} {
		at, ok := firstOK[what]
		if !ok {
			t.Errorf("%s never answered again after the restart", what)
			continue
		}
		rec := at.Sub(upAt)
		t.Logf("%s: first success %.2f s after the database was back", what, rec.Seconds())
		if rec > 5*time.Second {
			t.Errorf("%s recovered in %.1f s, want at most 5 s", what, rec.Seconds())
		}
	}
	t.Logf("%d answers, %d of them 503 during the restart; writers: %v", len(answers), unavailable, l.statuses)
	l.retry(t)
	w.checkDurable(t, l)
	for _, b := range l.bad {
		t.Error(b)
	}
}

// TestTwoInstancesConflictingHandoffs: two servers on one database, each
// with its relay, take conflicting hand-offs of the same parcels at the
// same moment. One release per parcel wins, one confirmation per release;
// custody stays with exactly one party; every callback reaches the portal
// once and in order; the chains verify.
func TestTwoInstancesConflictingHandoffs(t *testing.T) {
	w := newFaultWorld(t, "", nil)
	portal := newCallbackPortal(t, "dvc-cb", func(int) int { return 200 })
	cb := callbackClient(t, w.e, "dvc-cb", portal)
	a, b := w.server(), w.server()
	a.start()
	b.start()
	w.e.base = a.base
	cb.base = a.base
	const n = 16
	var numbers []string
	for i := 0; i < n; i++ {
		r := cb.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody(fmt.Sprintf("000.00.19.TWO-%02d", i))), fmt.Sprintf("two-%d", i))
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var created map[string]string
		r.json(t, &created)
		numbers = append(numbers, created["tracking_number"])
	}
	courierA := w.e.courier("buuta1")
	courierB := *courierA
	courierB.base = b.base
	docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}}
	for _, nb := range numbers {
		w.e.assign("buuta1", nb)
		_, res := courierA.send(ev("pickup.collected", nb, map[string]any{"documents": docs, "seal_id": "NP-TWO-1", "proof": courierA.sigProof(nb)}))
		wantStatuses(t, "collect "+nb, res, "accepted")
	}
	// Round 1: each parcel released to the office through A and to the
	// desk through B at once.
	race := func(fa, fb func() string) (string, string) {
		var wg sync.WaitGroup
		var ra, rb string
		start := make(chan struct{})
		wg.Add(2)
		go func() { defer wg.Done(); <-start; ra = fa() }()
		go func() { defer wg.Done(); <-start; rb = fb() }()
		close(start)
		wg.Wait()
		return ra, rb
	}
	send := func(c *courierClient, e map[string]any) func() string {
		return func() string {
			_, res := c.send(e)
			if len(res) != 1 {
				return "none"
			}
			return res[0].Status
		}
	}
	toOffice, toDesk := map[string]bool{}, map[string]bool{}
	for _, nb := range numbers {
		ra, rb := race(send(courierA, ev("handoff.released", nb, map[string]any{"to": "post_office:BC-05443"})),
			send(&courierB, ev("handoff.released", nb, map[string]any{"to": "desk:TN-TTPVHCC"})))
		if (ra == "accepted") == (rb == "accepted") {
			t.Errorf("%s: releases answered %s and %s, want exactly one accepted", nb, ra, rb)
		}
		toOffice[nb], toDesk[nb] = ra == "accepted", rb == "accepted"
	}
	// Round 2: the receiver confirms through A while the same receiver
	// disputes (office) or confirms again (desk) through B.
	officeA, deskA := w.e.login("buucuc"), w.e.login("motcua")
	w.e.base = b.base
	officeB, deskB := w.e.login("buucuc"), w.e.login("motcua")
	w.e.base = a.base
	staff := func(s *staffClient, e map[string]any) func() string {
		return func() string {
			body, _ := json.Marshal(map[string]any{"events": []any{e}})
			req, _ := http.NewRequest("POST", s.base+"/api/v1/staff/events", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-CSRF-Token", s.csrf)
			resp, err := s.c.Do(req)
			if err != nil {
				return "error " + err.Error()
			}
			defer resp.Body.Close()
			var out struct{ Results []syncResult }
			raw, _ := io.ReadAll(resp.Body)
			if json.Unmarshal(raw, &out) != nil || len(out.Results) != 1 {
				return fmt.Sprintf("%d %s", resp.StatusCode, raw)
			}
			return out.Results[0].Status
		}
	}
	for _, nb := range numbers {
		var ra, rb string
		switch {
		case toOffice[nb]:
			ra, rb = race(staff(officeA, ev("handoff.confirmed", nb, map[string]any{"seal_intact": true, "seal_id": "NP-TWO-1"})),
				staff(officeB, ev("handoff.disputed", nb, map[string]any{"problem": "seal_broken", "seal_intact": false})))
		case toDesk[nb]:
			ra, rb = race(staff(deskA, ev("handoff.confirmed", nb, map[string]any{"seal_intact": true, "seal_id": "NP-TWO-1", "documents": docs})),
				staff(deskB, ev("handoff.confirmed", nb, map[string]any{"seal_intact": true, "seal_id": "NP-TWO-1", "documents": docs})))
		default:
			continue
		}
		if (ra == "accepted") == (rb == "accepted") {
			t.Errorf("%s: closing answers %s and %s, want exactly one accepted", nb, ra, rb)
		}
	}
	e := w.e
	for q, want := range map[string]int{
		`SELECT count(*) FROM parcels p WHERE (SELECT count(*) FROM custody c WHERE c.parcel_id = p.id AND c.to_event IS NULL) <> 1`:   0,
		`SELECT count(*) FROM parcels p WHERE (SELECT count(*) FROM handoffs h WHERE h.parcel_id = p.id AND h.status = 'pending') > 1`: 0,
		`SELECT count(*) FROM parcels p JOIN custody c ON c.parcel_id = p.id AND c.to_event IS NULL
			WHERE c.holder_kind <> p.custodian_kind OR c.holder_ref <> coalesce(p.custodian_ref, '')`: 0,
		`SELECT count(*) FROM custody c JOIN events e ON e.id = c.from_event WHERE e.type = 'handoff.confirmed'
			AND NOT EXISTS (SELECT 1 FROM handoffs h WHERE h.closed_event = c.from_event AND h.status = 'confirmed'
			AND h.receiver_kind = c.holder_kind AND h.receiver_ref = c.holder_ref)`: 0,
		`SELECT count(*) FROM handoffs`:                          n,
		`SELECT count(*) FROM handoffs WHERE status = 'pending'`: 0,
	} {
		if got := e.count(q); got != want {
			t.Errorf("%s = %d, want %d", q, got, want)
		}
	}
	// Both relays deliver: every portal row is sent, each event applied
	// once by the portal, in each pickup's order.
	waitUntil(t, 60*time.Second, "outbox drained", func() bool {
		return e.count(`SELECT count(*) FROM outbox WHERE topic = 'portal' AND sent_at IS NULL AND dead_at IS NULL AND discarded_at IS NULL`) == 0
	})
	rows := e.count(`SELECT count(*) FROM outbox WHERE topic = 'portal'`)
	applied := portal.applied()
	if len(applied) != rows {
		t.Errorf("portal applied %d callbacks, outbox has %d rows", len(applied), rows)
	}
	seen := map[string]bool{}
	last := map[string]int{}
	for _, c := range applied {
		if seen[c.EventID] {
			t.Errorf("event %s applied twice", c.EventID)
		}
		seen[c.EventID] = true
		seq := e.count(`SELECT parcel_seq FROM events WHERE id = ?`, c.EventID)
		if seq <= last[c.PickupID+c.TrackingNumber] {
			t.Errorf("%s: callback of event %d after event %d", c.TrackingNumber, seq, last[c.PickupID+c.TrackingNumber])
		}
		last[c.PickupID+c.TrackingNumber] = seq
	}
	portal.mu.Lock()
	raw, bad := portal.n, append([]string(nil), portal.bad...)
	portal.mu.Unlock()
	for _, x := range bad {
		t.Errorf("callback refused by the portal: %s", x)
	}
	a.stop()
	b.stop()
	out, err := w.run("verify")
	if err != nil || !strings.Contains(out, "OK") {
		t.Errorf("hoso verify: %v\n%s", err, out)
	}
	t.Logf("two instances: %d parcels, %d hand-offs raced; %d callbacks applied once each (%d deliveries), verify: %s", n, 2*n, len(applied), raw, lastLineOf(out))
}
