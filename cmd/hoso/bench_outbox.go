package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"hoso/internal/app"
	"hoso/internal/outbox"
	"hoso/internal/portalsig"
)

// benchOutbox measures the outbox relay against a healthy portal: the
// latency from an outbox row's commit to its callback arriving, and the
// relay's throughput, each against a bare loop POSTing the same payloads
// (signed the same way) to the same receiver in the same run.
func benchOutbox(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs, admin := benchFlags("outbox", stderr)
	n := fs.Int("n", 500, "rows for the latency run, one at a time")
	rows := fs.Int("rows", 5000, "rows for the throughput run")
	dossiers := fs.Int("dossiers", 500, "dossiers the throughput rows spread over (order is kept per dossier)")
	workers := fs.Int("workers", 8, "relay workers, and goroutines of the concurrent bare loop")
	out := fs.String("out", "", "also write the figures as Markdown to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	e, err := startBench(ctx, *admin, "hoso_bench_outbox", 20)
	if err != nil {
		return err
	}
	defer e.stop()
	recv, err := newBenchPortal()
	if err != nil {
		return err
	}
	defer recv.close()
	_, sec, err := e.sys.portal.CreateClient(ctx, "dvc-bench-cb", "", "19", recv.url, false)
	if err != nil {
		return err
	}
	recv.secret = []byte(sec)
	o := e.sys.outbox
	o.stop() // the benchmark runs its own relays
	db := e.sys.db
	res := benchOutboxResult{machine: machine(), n: *n, rows: *rows, dossiers: *dossiers, workers: *workers}

	// 1. Latency: one row at a time, the relay woken by LISTEN/NOTIFY.
	fmt.Fprintf(stderr, "latency: %d rows one at a time…\n", *n)
	lctx, lcancel := context.WithCancel(ctx)
	defer lcancel()
	r := benchRelay(o, db.ListenOutbox(lctx), *workers)
	done := make(chan struct{})
	go func() { r.Run(lctx); close(done) }()
	time.Sleep(200 * time.Millisecond) // LISTEN is up
	for i := 0; i < *n; i++ {
		body := benchPayload(fmt.Sprintf("LAT-%d", i), 0)
		id := eventIDOf(body)
		wait := recv.expect(id)
		t0 := time.Now()
		if err := db.ExecForTest(ctx, `INSERT INTO outbox (topic, order_key, target, payload, created_at, next_at) VALUES ('portal', ?, 'dvc-bench-cb', ?, ?, ?)`,
			"lat-"+strconv.Itoa(i), string(body), t0, t0); err != nil {
			return err
		}
		select {
		case t1 := <-wait:
			res.relayLat = append(res.relayLat, t1.Sub(t0))
		case <-time.After(10 * time.Second):
			return fmt.Errorf("latency row %d never arrived", i)
		}
	}
	lcancel()
	<-done
	// The bare loop: POST → arrival.
	client := outbox.NewPortalClient(10*time.Second, *workers)
	for i := 0; i < *n; i++ {
		body := benchPayload(fmt.Sprintf("BARE-%d", i), 0)
		wait := recv.expect(eventIDOf(body))
		t0 := time.Now()
		if err := recv.post(client, body); err != nil {
			return err
		}
		res.bareLat = append(res.bareLat, (<-wait).Sub(t0))
	}

	// 2. Throughput: rows committed first, then drained.
	for _, w := range []int{1, *workers} {
		fmt.Fprintf(stderr, "throughput: %d rows over %d dossiers, %d worker(s)…\n", *rows, *dossiers, w)
		payloads := make([]string, *rows)
		for i := range payloads {
			payloads[i] = string(benchPayload(fmt.Sprintf("TP%d-%d", w, i%*dossiers), i / *dossiers))
		}
		if err := insertBenchRows(ctx, db.ExecForTest, payloads, *dossiers, w); err != nil {
			return err
		}
		recv.reset()
		tctx, tcancel := context.WithCancel(ctx)
		defer tcancel()
		r := benchRelay(o, db.ListenOutbox(tctx), w)
		start := time.Now()
		done := make(chan struct{})
		go func() { r.Run(tctx); close(done) }()
		for recv.count() < *rows {
			if time.Since(start) > 10*time.Minute {
				tcancel()
				return fmt.Errorf("throughput run stalled at %d of %d", recv.count(), *rows)
			}
			time.Sleep(2 * time.Millisecond)
		}
		el := time.Since(start)
		// Stop only once every delivery is recorded, so the next run does
		// not see a redelivery of this one.
		for {
			left, err := db.CountForTest(ctx, `SELECT count(*) FROM outbox WHERE topic = 'portal' AND sent_at IS NULL`)
			if err != nil {
				return err
			}
			if left == 0 {
				break
			}
			time.Sleep(5 * time.Millisecond)
		}
		tcancel()
		<-done
		if v := recv.violations(); v > 0 {
			return fmt.Errorf("%d order violations", v)
		}
		res.relayTP = append(res.relayTP, tp{w, float64(*rows) / el.Seconds()})
		// The bare loop: the same payloads, each dossier's in order.
		recv.reset()
		start = time.Now()
		if err := bareLoop(client, recv, payloads, *dossiers, w); err != nil {
			return err
		}
		el = time.Since(start)
		res.bareTP = append(res.bareTP, tp{w, float64(*rows) / el.Seconds()})
	}
	md := res.markdown()
	fmt.Fprint(stdout, md)
	if *out != "" {
		return os.WriteFile(*out, []byte(md), 0o644)
	}
	return nil
}

type tp struct {
	workers int
	perSec  float64
}

type benchOutboxResult struct {
	machine                    string
	n, rows, dossiers, workers int
	relayLat, bareLat          []time.Duration
	relayTP, bareTP            []tp
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 2, 64) + " ms"
}

func (r benchOutboxResult) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "Run: %s, %s\n\n", time.Now().Format("2006-01-02 15:04 MST"), r.machine)
	fmt.Fprintf(&b, "| measure | relay | bare loop (same payloads, same receiver) |\n|---|---|---|\n")
	fmt.Fprintf(&b, "| commit → callback received, p50 (%d rows one at a time) | %s | %s (POST → received) |\n", r.n, ms(percentile(r.relayLat, 0.5)), ms(percentile(r.bareLat, 0.5)))
	fmt.Fprintf(&b, "| commit → callback received, p99 | %s | %s |\n", ms(percentile(r.relayLat, 0.99)), ms(percentile(r.bareLat, 0.99)))
	fmt.Fprintf(&b, "| commit → callback received, max | %s | %s |\n", ms(percentile(r.relayLat, 1)), ms(percentile(r.bareLat, 1)))
	for i := range r.relayTP {
		fmt.Fprintf(&b, "| throughput, %d rows over %d dossiers, %d worker(s) | %.0f rows/s | %.0f rows/s |\n",
			r.rows, r.dossiers, r.relayTP[i].workers, r.relayTP[i].perSec, r.bareTP[i].perSec)
	}
	return b.String()
}

func benchRelay(o *outboxSystem, wake <-chan struct{}, workers int) *outbox.Relay {
	r := o.newRelay(wake)
	r.Topics = r.Topics[:1] // the portal topic
	r.Topics[0].Workers = workers
	r.StatsEvery = time.Hour
	return r
}

// benchPayload is a callback body like the ledger writes.
func benchPayload(dossier string, seq int) []byte {
	b, _ := json.Marshal(app.CallbackBody{EventID: uuid.NewString(), DossierCode: "000.00.19.BENCH-" + dossier, PickupID: uuid.NewString(),
		TrackingNumber: "EA123456785VN", Status: "collected", UPUCode: "EMA", At: time.Now().Format(time.RFC3339),
		Detail: map[string]any{"event": "pickup.collected", "leg": "pickup", "seq": seq, "status_label": "Bưu tá đã nhận hồ sơ"}})
	return b
}

func eventIDOf(body []byte) string {
	var v struct {
		EventID string `json:"event_id"`
	}
	_ = json.Unmarshal(body, &v)
	return v.EventID
}

// insertBenchRows commits the rows in chunks, in order (ids ascend with
// each dossier's sequence).
func insertBenchRows(ctx context.Context, exec func(ctx context.Context, q string, args ...any) error, payloads []string, dossiers, tag int) error {
	now := time.Now()
	const chunk = 500
	for i := 0; i < len(payloads); i += chunk {
		end := min(i+chunk, len(payloads))
		var q strings.Builder
		q.WriteString(`INSERT INTO outbox (topic, order_key, target, payload, created_at, next_at) VALUES `)
		var args []any
		for j := i; j < end; j++ {
			if j > i {
				q.WriteString(", ")
			}
			q.WriteString(`('portal', ?, 'dvc-bench-cb', ?, ?, ?)`)
			args = append(args, fmt.Sprintf("tp%d-%d", tag, j%dossiers), payloads[j], now, now)
		}
		if err := exec(ctx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// bareLoop POSTs the payloads with w goroutines, each owning a share of the
// dossiers and sending each dossier's events in order.
func bareLoop(client *http.Client, recv *benchPortal, payloads []string, dossiers, w int) error {
	var wg sync.WaitGroup
	errc := make(chan error, w)
	for g := 0; g < w; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i, p := range payloads {
				if (i%dossiers)%w != g {
					continue
				}
				if err := recv.post(client, []byte(p)); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errc)
	return <-errc
}

// benchPortal is a healthy portal: it verifies each callback's signature
// (as a real portal would), deduplicates by event_id, checks order per
// dossier, and answers 200.
type benchPortal struct {
	url    string
	secret []byte
	ln     net.Listener
	srv    *http.Server

	mu      sync.Mutex
	seen    map[string]bool // every event_id ever applied (a real portal's deduplication)
	run     int             // events first applied since reset
	waiters map[string]chan time.Time
	last    map[string]int
	bad     int
}

func newBenchPortal() (*benchPortal, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &benchPortal{ln: ln, url: "http://" + ln.Addr().String() + "/callback", seen: map[string]bool{}}
	p.reset()
	p.srv = &http.Server{Handler: http.HandlerFunc(p.handle), ReadHeaderTimeout: 5 * time.Second}
	go p.srv.Serve(ln) //nolint:errcheck
	return p, nil
}

func (p *benchPortal) close() { p.srv.Close() }

func (p *benchPortal) reset() {
	p.mu.Lock()
	p.run, p.waiters, p.last, p.bad = 0, map[string]chan time.Time{}, map[string]int{}, 0
	p.mu.Unlock()
}

func (p *benchPortal) expect(id string) <-chan time.Time {
	c := make(chan time.Time, 1)
	p.mu.Lock()
	p.waiters[id] = c
	p.mu.Unlock()
	return c
}

func (p *benchPortal) count() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.run
}

func (p *benchPortal) violations() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.bad
}

func (p *benchPortal) handle(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	body, _ := io.ReadAll(r.Body)
	if err := portalsig.Verify(p.secret, r.Method, r.URL.RequestURI(), r.Header.Get(portalsig.HeaderTimestamp), r.Header.Get(portalsig.HeaderNonce),
		body, r.Header.Get(portalsig.HeaderSignature), now); err != nil {
		w.WriteHeader(401)
		return
	}
	var cb app.CallbackBody
	if err := json.Unmarshal(body, &cb); err != nil {
		w.WriteHeader(400)
		return
	}
	seq, _ := cb.Detail["seq"].(float64)
	p.mu.Lock()
	if !p.seen[cb.EventID] {
		p.seen[cb.EventID] = true
		p.run++
		if last, ok := p.last[cb.DossierCode]; (ok && int(seq) != last+1) || (!ok && seq != 0) {
			p.bad++
		}
		p.last[cb.DossierCode] = int(seq)
		if c, ok := p.waiters[cb.EventID]; ok {
			c <- now
			delete(p.waiters, cb.EventID)
		}
	}
	p.mu.Unlock()
	w.WriteHeader(200)
}

// post sends one payload the way the relay does: signed with the client's
// secret, straight to the receiver.
func (p *benchPortal) post(client *http.Client, body []byte) error {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := strings.ReplaceAll(uuid.NewString(), "-", "")
	req, err := http.NewRequest(http.MethodPost, p.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(portalsig.HeaderHosoID, "dvc-bench-cb")
	req.Header.Set(portalsig.HeaderTimestamp, ts)
	req.Header.Set(portalsig.HeaderNonce, nonce)
	req.Header.Set(portalsig.HeaderSignature, portalsig.Sign(p.secret, http.MethodPost, "/callback", ts, nonce, body))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		return fmt.Errorf("bare POST: HTTP %d", resp.StatusCode)
	}
	return nil
}
