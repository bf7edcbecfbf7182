package outbox_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"hoso/internal/app"
	"hoso/internal/outbox"
	"hoso/internal/pg"
	"hoso/internal/pg/pgtest"
)

// clock is a frozen clock the test moves by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// directory is a fixed set of portal clients.
type directory map[string]struct {
	url    string
	secret []byte
}

func (d directory) CallbackTarget(_ context.Context, client string) (app.CallbackTarget, error) {
	t, ok := d[client]
	if !ok {
		return app.CallbackTarget{}, nil
	}
	return app.CallbackTarget{URL: t.url, Secret: t.secret}, nil
}

// action is what the fake portal does with one request.
type action int

const (
	ok action = iota
	fail500
	timeout // answers 200 after the client gave up (and applies the event)
	busy503 // 503 with Retry-After: 1
	redirect
)

// fakePortal is a portal written from contracts/api.md alone: it checks the
// signature with its own HMAC code (not portalsig), deduplicates by
// event_id, and checks that no event of a dossier is applied before the
// earlier ones.
type fakePortal struct {
	t      *testing.T
	id     string
	secret []byte
	now    func() time.Time
	delay  time.Duration // for timeout
	script func(n int, eventID string, attempt int) action

	mu         sync.Mutex
	requests   int
	attempts   map[string]int  // event_id → requests
	applied    map[string]bool // event_id → applied once
	order      map[string][]int
	redirected int
	badSig     []string
	violations []string
	srv        *httptest.Server
}

var nonceRE = regexp.MustCompile(`^[A-Za-z0-9_-]{16,64}$`)

func newFakePortal(t *testing.T, id string, script func(n int, eventID string, attempt int) action) *fakePortal {
	p := &fakePortal{t: t, id: id, secret: []byte("bi-mat-" + id + "-0123456789abcdef"), now: time.Now, delay: 400 * time.Millisecond,
		script: script, attempts: map[string]int{}, applied: map[string]bool{}, order: map[string][]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("/callback", p.handle)
	mux.HandleFunc("/elsewhere", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.redirected++
		p.mu.Unlock()
		w.WriteHeader(200)
	})
	p.srv = httptest.NewServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// URL is the callback URL, with a query so PATH_WITH_QUERY is exercised.
func (p *fakePortal) URL() string { return p.srv.URL + "/callback?tinh=19&v=1" }

// verify checks a callback as the contract describes it.
func (p *fakePortal) verify(r *http.Request, body []byte) error {
	if got := r.Header.Get("X-Hoso-Id"); got != p.id {
		return fmt.Errorf("X-Hoso-Id %q", got)
	}
	ts, nonce, sig := r.Header.Get("X-Timestamp"), r.Header.Get("X-Nonce"), r.Header.Get("X-Signature")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("X-Timestamp %q", ts)
	}
	if d := p.now().Sub(time.Unix(sec, 0)); d > 300*time.Second || d < -300*time.Second {
		return fmt.Errorf("X-Timestamp %s off by %s", ts, d)
	}
	if !nonceRE.MatchString(nonce) {
		return fmt.Errorf("X-Nonce %q", nonce)
	}
	sum := sha256.Sum256(body)
	canonical := r.Method + "\n" + r.URL.RequestURI() + "\n" + ts + "\n" + nonce + "\n" + hex.EncodeToString(sum[:])
	m := hmac.New(sha256.New, p.secret)
	m.Write([]byte(canonical))
	want := hex.EncodeToString(m.Sum(nil))
	if !hmac.Equal([]byte(want), []byte(sig)) {
		return fmt.Errorf("X-Signature does not verify")
	}
	return nil
}

func (p *fakePortal) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if err := p.verify(r, body); err != nil {
		p.mu.Lock()
		p.badSig = append(p.badSig, err.Error())
		p.mu.Unlock()
		w.WriteHeader(401)
		return
	}
	var cb app.CallbackBody
	if err := json.Unmarshal(body, &cb); err != nil {
		p.mu.Lock()
		p.badSig = append(p.badSig, "body: "+err.Error())
		p.mu.Unlock()
		w.WriteHeader(400)
		return
	}
	p.mu.Lock()
	n := p.requests
	p.requests++
	p.attempts[cb.EventID]++
	a := p.script(n, cb.EventID, p.attempts[cb.EventID])
	p.mu.Unlock()
	switch a {
	case fail500:
		w.WriteHeader(500)
		return
	case busy503:
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(503)
		return
	case redirect:
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
		return
	case timeout:
		time.Sleep(p.delay)
	}
	p.apply(cb)
	w.WriteHeader(200)
	_, _ = w.Write([]byte(`{"ok":true,"note":"nội dung trả lời không bao giờ được ghi"}`))
}

// apply records an event once; an event whose predecessor in its dossier
// was not applied yet is an order violation.
func (p *fakePortal) apply(cb app.CallbackBody) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.applied[cb.EventID] {
		return
	}
	p.applied[cb.EventID] = true
	seq := int(cb.Detail["seq"].(float64))
	prev := p.order[cb.DossierCode]
	if len(prev) != seq {
		p.violations = append(p.violations, fmt.Sprintf("%s: event %d applied after %v", cb.DossierCode, seq, prev))
	}
	p.order[cb.DossierCode] = append(prev, seq)
}

func (p *fakePortal) snapshot() (requests int, applied int, order map[string][]int, bad, violations []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	o := map[string][]int{}
	for k, v := range p.order {
		o[k] = append([]int(nil), v...)
	}
	return p.requests, len(p.applied), o, append([]string(nil), p.badSig...), append([]string(nil), p.violations...)
}

// event is one callback row the test puts in the outbox.
type event struct {
	dossier string
	seq     int
	id      string
}

// insertCallbacks writes n events for each of d dossiers, interleaved the
// way a busy ledger writes them, and returns them.
func insertCallbacks(t *testing.T, db *pg.DB, client string, dossiers, perDossier int, at time.Time) []event {
	t.Helper()
	var evs []event
	for k := 0; k < perDossier; k++ {
		for d := 0; d < dossiers; d++ {
			e := event{dossier: fmt.Sprintf("000.00.19.H12-251124-%04d", d), seq: k, id: uuid.NewString()}
			body, _ := json.Marshal(app.CallbackBody{EventID: e.id, DossierCode: e.dossier, PickupID: uuid.NewString(),
				TrackingNumber: "EA123456785VN", Status: "collected", UPUCode: "EMA", At: at.Format(time.RFC3339),
				Detail: map[string]any{"seq": k, "event": "pickup.collected"}})
			if err := db.ExecForTest(context.Background(), `INSERT INTO outbox (topic, order_key, target, payload, created_at, next_at)
				VALUES ('portal', ?, ?, ?, ?, ?)`, "dossier-"+strconv.Itoa(d), client, string(body), at, at); err != nil {
				t.Fatal(err)
			}
			evs = append(evs, e)
		}
	}
	return evs
}

func newDB(t *testing.T) *pg.DB {
	t.Helper()
	db, _ := pgtest.New(t)
	return db
}

// fastBackoff makes a failing row come back within milliseconds.
var fastBackoff = outbox.Backoff{Base: 5 * time.Millisecond, Factor: 2, Cap: 40 * time.Millisecond, Jitter: 0.2, MaxAge: time.Hour}

func portalRelay(db *pg.DB, dir outbox.Directory, timeout time.Duration, workers int) *outbox.Relay {
	sender := &outbox.PortalSender{Dir: dir, Client: outbox.NewPortalClient(timeout, workers), AllowPrivate: true}
	return &outbox.Relay{Store: db, Backoff: fastBackoff, Poll: 20 * time.Millisecond, Lease: 5 * time.Second,
		Topics: []outbox.Topic{{Name: app.TopicPortal, Sender: sender, Workers: workers, Timeout: timeout, BlockOnDead: true}}}
}

// waitFor polls cond until it holds or the time is up.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func count(t *testing.T, db *pg.DB, q string, args ...any) int {
	t.Helper()
	n, err := db.CountForTest(context.Background(), q, args...)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
