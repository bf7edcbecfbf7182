package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	crand "crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"hoso/internal/app"
	"hoso/tracking"
)

// benchLedger measures the courier batch endpoint with everything on against
// a bare multi-row INSERT of the same rows, then the alarm sweep and the
// timeline at two sizes.
func benchLedger(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs, admin := benchFlags("ledger", stderr)
	events := fs.Int("events", 100_000, "events to send through the batch endpoint")
	conc := fs.Int("c", 4, "concurrent clients")
	small := fs.Int("small", 10_000, "parcels for the small scale run (0 to skip)")
	big := fs.Int("big", 1_000_000, "parcels for the large scale run, 10 events each (0 to skip)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the ingest run to this file")
	sign := fs.Bool("sign", true, "sign every event with a registered ES256 device key, as the courier app does")
	relay := fs.Bool("relay", false, "run the outbox relay during the ingest (off: delivering the outbox is not ingestion, and it would compete for the same cores unevenly in the two phases)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bench ledger, %s\n", machine())
	if *events > 0 {
		o := ingestOptions{total: *events, conc: *conc, cpuprofile: *cpuprofile, sign: *sign, relay: *relay}
		if err := benchLedgerIngest(ctx, *admin, o, stdout, stderr); err != nil {
			return err
		}
	}
	var sizes []int
	for _, n := range []int{*small, *big} {
		if n > 0 {
			sizes = append(sizes, n)
		}
	}
	var first scaleResult
	for i, n := range sizes {
		r, err := benchLedgerScale(ctx, *admin, n, stdout, stderr)
		if err != nil {
			return err
		}
		if i == 0 {
			first = r
		} else {
			fmt.Fprintf(stdout, "growth from %d to %d parcels: sweep ×%.2f, timeline p99 ×%.2f\n", first.parcels, n,
				r.sweep.Seconds()/first.sweep.Seconds(), r.p99.Seconds()/first.p99.Seconds())
		}
	}
	return nil
}

// ingestOptions are the ingest run's settings.
type ingestOptions struct {
	total, conc int
	cpuprofile  string
	sign        bool // events signed with a registered ES256 device key
	relay       bool // the outbox relay runs meanwhile
	// The transparency log benchmark (bench_log.go): logOff runs without
	// the log (no leaf queued, no sequencer), out receives the figures,
	// after runs on the database before the server stops.
	logOff bool
	out    *ingestResult
	after  func(e *benchEnv) error
	db     string // the database's name (default hoso_bench_ledger)
}

// ingestResult is one ingest run's figures.
type ingestResult struct {
	rate, bare float64
	note       string
}

func benchLedgerIngest(ctx context.Context, adminURL string, o ingestOptions, stdout, stderr io.Writer) error {
	total, conc, cpuprofile := o.total, o.conc, o.cpuprofile
	extra := map[string]string{"HOSO_RELAY": "off"}
	if o.relay {
		extra = nil
	}
	if o.logOff {
		extra = map[string]string{"HOSO_RELAY": extra["HOSO_RELAY"], "HOSO_LOG_SEQUENCE_EVERY": "1h"}
	}
	dbName := "hoso_bench_ledger"
	if o.db != "" {
		dbName = o.db
	}
	e, err := startBenchWith(ctx, adminURL, dbName, 20, extra)
	if err != nil {
		return err
	}
	defer e.stop()
	if o.logOff {
		if err := e.sys.db.ExecForTest(ctx, `ALTER TABLE events DISABLE TRIGGER events_log`); err != nil {
			return err
		}
	}
	const perParcel = 10
	parcels := total / perParcel
	fmt.Fprintf(stderr, "creating %d parcels…\n", parcels)
	vn := time.FixedZone("ICT", 7*3600)
	start := time.Now().In(vn).Add(48 * time.Hour)
	start = time.Date(start.Year(), start.Month(), start.Day(), 8, 0, 0, 0, vn)
	if start.Weekday() == time.Sunday {
		start = start.AddDate(0, 0, 1)
	}
	numbers := make([]string, parcels)
	var next int64
	var wg sync.WaitGroup
	var setupErr atomic.Value
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(atomic.AddInt64(&next, 1)) - 1
				if i >= parcels {
					return
				}
				p, err := e.sys.intake.Create(ctx, tracking.PickupRequest{
					Dossier:   tracking.Dossier{Code: fmt.Sprintf("BENCH-%07d", i), DeskCode: "TN-TTPVHCC"},
					Citizen:   tracking.Citizen{FullName: "Nguyễn Văn A", Phone: fmt.Sprintf("09%08d", i)},
					Address:   tracking.Address{ProvinceCode: "19", CommuneCode: "05443", Line: "Số 1"},
					Documents: []tracking.Document{{Name: "Tờ khai", Kind: tracking.Original, Count: 1}, {Name: "CCCD", Kind: tracking.CertifiedCopy, Count: 2}},
					Windows:   []tracking.Window{{Start: start, End: start.Add(2 * time.Hour)}}, Channel: tracking.ChannelCitizen})
				if err != nil {
					setupErr.Store(err)
					return
				}
				numbers[i] = p.Number
			}
		}()
	}
	wg.Wait()
	if err, ok := setupErr.Load().(error); ok {
		return fmt.Errorf("setup: %w", err)
	}
	token, err := benchToken(e.base, "buuta1")
	if err != nil {
		return err
	}
	// The courier app registers an ES256 key for its device and signs every
	// event with it; the server checks each signature.
	var key *ecdsa.PrivateKey
	if o.sign {
		if key, err = benchDeviceKey(e.base, token); err != nil {
			return err
		}
	}
	encode := func(ev map[string]any) (json.RawMessage, error) {
		fields := map[string]json.RawMessage{}
		for k, v := range ev {
			fields[k], _ = json.Marshal(v)
		}
		if key != nil {
			h := sha256.Sum256(app.SignedText(fields))
			r, s, err := ecdsa.Sign(crand.Reader, key, h[:])
			if err != nil {
				return nil, err
			}
			sig := make([]byte, 64) // WebCrypto's raw r‖s
			r.FillBytes(sig[:32])
			s.FillBytes(sig[32:])
			fields["signature"], _ = json.Marshal(base64.StdEncoding.EncodeToString(sig))
		}
		return json.Marshal(fields)
	}
	// Each parcel's ten events: eight failed attempts, the collection and
	// the release to the office (custody, hand-off, chain, outbox all on).
	mk := func(n string, k int) map[string]any {
		ev := map[string]any{"id": uuid.NewString(), "tracking_number": n, "at": time.Now().Format(time.RFC3339), "lat": 21.59, "lng": 105.84}
		switch {
		case k < 8:
			ev["type"], ev["data"] = "pickup.attempt_failed", map[string]any{"reason": "not_home"}
		case k == 8:
			ev["type"], ev["data"] = "pickup.collected", map[string]any{"documents": []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 2}},
				"seal_id": "NP-BENCH", "method": "signature", "signature_sha256": strings.Repeat("ab", 32)}
		default:
			ev["type"], ev["data"] = "handoff.released", map[string]any{"to": "post_office:BC-05443"}
		}
		return ev
	}
	// Clients own disjoint parcels; each sends round k of its parcels in
	// batches of 500, so every parcel's events arrive in order.
	type batch struct{ body []byte }
	work := make([][]batch, conc)
	var rows [][]any // the same rows for the baseline
	for c := 0; c < conc; c++ {
		var mine []string
		for i := c; i < parcels; i += conc {
			mine = append(mine, numbers[i])
		}
		for k := 0; k < perParcel; k++ {
			for off := 0; off < len(mine); off += 500 {
				end := min(off+500, len(mine))
				var evs []json.RawMessage
				for _, n := range mine[off:end] {
					ev := mk(n, k)
					raw, err := encode(ev)
					if err != nil {
						return err
					}
					evs = append(evs, raw)
					d, _ := json.Marshal(ev["data"])
					rows = append(rows, []any{ev["id"], n, k + 2, ev["type"], string(d), time.Now()})
				}
				b, _ := json.Marshal(map[string]any{"events": evs})
				work[c] = append(work[c], batch{b})
			}
		}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: conc * 2}}
	var accepted, rejected int64
	var lat []time.Duration
	var mu sync.Mutex
	// Each timed phase starts after a checkpoint, so neither pays for
	// flushing what came before it.
	if err := e.sys.db.ExecForTest(ctx, `CHECKPOINT`); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "sending %d events…\n", len(rows))
	if cpuprofile != "" {
		f, err := os.Create(cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	t0 := time.Now()
	for c := 0; c < conc; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			for _, b := range work[c] {
				s := time.Now()
				req, _ := http.NewRequest("POST", e.base+"/api/v1/courier/events", bytes.NewReader(b.body))
				req.Header.Set("Authorization", "Bearer "+token)
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					atomic.AddInt64(&rejected, 500)
					continue
				}
				var out struct{ Results []app.SyncResult }
				_ = json.NewDecoder(resp.Body).Decode(&out)
				resp.Body.Close()
				d := time.Since(s)
				mu.Lock()
				lat = append(lat, d)
				mu.Unlock()
				for _, r := range out.Results {
					if r.Status == "accepted" {
						atomic.AddInt64(&accepted, 1)
					} else {
						if atomic.AddInt64(&rejected, 1) < 3 && r.Error != nil {
							fmt.Fprintf(stderr, "rejected: %s %s\n", r.Error.Code, r.Error.Message)
						}
					}
				}
			}
		}(c)
	}
	wg.Wait()
	stack := time.Since(t0)
	if cpuprofile != "" {
		pprof.StopCPUProfile()
	}
	if o.out != nil && !o.logOff {
		// How long after the last batch every event has its leaf.
		t := time.Now()
		for {
			q, err := e.sys.db.LogQueued(ctx)
			if err != nil {
				return err
			}
			if q == 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		o.out.note = fmt.Sprintf("; every event in the log %s after the last batch", time.Since(t).Round(10*time.Millisecond))
	}
	// Baseline: the same rows in multi-row INSERTs of 500 into a plain table.
	db := e.sys.db
	if err := db.ExecForTest(ctx, `CREATE TABLE bench_events (id uuid, tracking_number text, seq int, type text, data json, at timestamptz)`); err != nil {
		return err
	}
	var chunks [][][]any
	for off := 0; off < len(rows); off += 500 {
		chunks = append(chunks, rows[off:min(off+500, len(rows))])
	}
	if err := db.ExecForTest(ctx, `CHECKPOINT`); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "inserting the same rows bare…\n")
	next = 0
	t1 := time.Now()
	for c := 0; c < conc; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(atomic.AddInt64(&next, 1)) - 1
				if i >= len(chunks) {
					return
				}
				var b strings.Builder
				var params []any
				for j, r := range chunks[i] {
					if j > 0 {
						b.WriteString(", ")
					}
					b.WriteString("(?, ?, ?, ?, ?, ?)")
					params = append(params, r...)
				}
				if err := db.ExecForTest(ctx, `INSERT INTO bench_events VALUES `+b.String(), params...); err != nil {
					fmt.Fprintln(stderr, "baseline:", err)
				}
			}
		}()
	}
	wg.Wait()
	bare := time.Since(t1)
	rs, rb := float64(accepted)/stack.Seconds(), float64(len(rows))/bare.Seconds()
	fmt.Fprintf(stdout, "ingest: %d events in batches of 500, %d concurrent clients, signed %v, relay %v\n", len(rows), conc, o.sign, o.relay)
	fmt.Fprintf(stdout, "  %-60s %9.0f events/s  (batch p50 %s, p99 %s)\n", "POST /api/v1/courier/events, everything on", rs,
		percentile(lat, .5).Round(time.Millisecond), percentile(lat, .99).Round(time.Millisecond))
	fmt.Fprintf(stdout, "  %-60s %9.0f rows/s\n", "bare multi-row INSERT of the same rows (baseline)", rb)
	fmt.Fprintf(stdout, "  ratio %.2f (goal ≥ 0.50); accepted %d, rejected %d\n", rs/rb, accepted, rejected)
	if rejected > 0 {
		return fmt.Errorf("%d events rejected", rejected)
	}
	if o.out != nil {
		o.out.rate, o.out.bare = rs, rb
	}
	if o.after != nil {
		return o.after(e)
	}
	return nil
}

// benchDeviceKey registers a new ES256 key for the token's device.
func benchDeviceKey(base, token string) (*ecdsa.PrivateKey, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), crand.Reader)
	if err != nil {
		return nil, err
	}
	spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(map[string]string{"alg": "ES256", "public_key": base64.StdEncoding.EncodeToString(spki)})
	req, _ := http.NewRequest("POST", base+"/api/v1/courier/device-key", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		body, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("device key: %d %s", resp.StatusCode, body)
	}
	return key, nil
}

func benchToken(base, user string) (string, error) {
	b, _ := json.Marshal(map[string]string{"username": user, "password": "mat-khau-" + user, "device_id": "bench"})
	resp, err := http.Post(base+"/api/v1/auth/token", "application/json", bytes.NewReader(b))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var out struct{ Token string }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Token == "" {
		return "", fmt.Errorf("token: %d %v", resp.StatusCode, err)
	}
	return out.Token, nil
}

type scaleResult struct {
	parcels int
	sweep   time.Duration
	p50     time.Duration
	p99     time.Duration
}

// benchLedgerScale fills a database with n synthetic parcels of ten events
// each (plain SQL, in the real schema), then times the alarm sweep and the
// public timeline.
func benchLedgerScale(ctx context.Context, adminURL string, n int, stdout, stderr io.Writer) (scaleResult, error) {
	e, err := startBench(ctx, adminURL, "hoso_bench_scale", 20)
	if err != nil {
		return scaleResult{}, err
	}
	defer e.stop()
	db := e.sys.db
	fmt.Fprintf(stderr, "filling %d parcels and %d events…\n", n, n*10)
	t0 := time.Now()
	steps := []string{
		`SET synchronous_commit = off`,
		`CREATE FUNCTION pg_temp.s10(n bigint) RETURNS text LANGUAGE sql IMMUTABLE AS $$
			SELECT 'ZZ' || lpad(n::text, 8, '0') || (CASE 11 - (s % 11) WHEN 10 THEN 0 WHEN 11 THEN 5 ELSE 11 - (s % 11) END)::text || 'VN'
			FROM (SELECT (substr(lpad(n::text, 8, '0'), 1, 1)::int * 8 + substr(lpad(n::text, 8, '0'), 2, 1)::int * 6
				+ substr(lpad(n::text, 8, '0'), 3, 1)::int * 4 + substr(lpad(n::text, 8, '0'), 4, 1)::int * 2
				+ substr(lpad(n::text, 8, '0'), 5, 1)::int * 3 + substr(lpad(n::text, 8, '0'), 6, 1)::int * 5
				+ substr(lpad(n::text, 8, '0'), 7, 1)::int * 9 + substr(lpad(n::text, 8, '0'), 8, 1)::int * 7) AS s) x $$`,
		`INSERT INTO dossiers (id, code, desk_code, legal_deadline, created_at)
			SELECT md5('d' || g)::uuid, 'SCALE-' || g, 'TN-TTPVHCC', (now() + (g % 40) * interval '1 day')::date, now() - (g % 30) * interval '1 day'
			FROM generate_series(1, ?0) g`,
		`INSERT INTO parcels (id, tracking_number, leg, dossier_id, status, channel, citizen_name, phone_enc, phone_hash, phone_last3,
				province_code, commune_code, address_line, lat, lng, location_approx, desk_code, office_code, created_at, updated_at, status_since,
				custodian_kind, custodian_ref, event_count, last_hash, window_start, window_end, risk_at)
			SELECT md5('p' || g)::uuid, pg_temp.s10(g), 'pickup', md5('d' || g)::uuid,
				(ARRAY['requested','scheduled','collected','at_office','to_desk','at_desk','accepted','cancelled'])[1 + g % 8],
				'citizen', 'Nguyễn Văn A', '\x00', sha256(g::text::bytea), '123', '19', '05443', 'Số 1', 21.58, 105.83, false,
				'TN-TTPVHCC', 'BC-05443', now() - (g % 30) * interval '1 day', now(), now() - (g % 97) * interval '1 hour',
				'courier', 'BUUTA1', 10, sha256(('h' || g)::bytea),
				now() + ((g % 200) - 100) * interval '1 hour', now() + ((g % 200) - 98) * interval '1 hour',
				now() + ((g % 1000) - 10) * interval '1 hour'
			FROM generate_series(1, ?0) g`,
		`INSERT INTO events (id, parcel_id, parcel_seq, type, upu_code, actor_kind, actor_ref, server_at, data, prev_hash, hash)
			SELECT md5('e' || g || ':' || s)::uuid, md5('p' || g)::uuid, s,
				CASE WHEN s = 1 THEN 'pickup.requested' WHEN s < 9 THEN 'pickup.attempt_failed' WHEN s = 9 THEN 'pickup.collected' ELSE 'handoff.released' END,
				CASE WHEN s = 9 THEN 'EMA' ELSE '' END, 'courier', 'BUUTA1', now() - (g % 43200 + 11) * interval '1 minute' + s * interval '1 minute',
				CASE WHEN s BETWEEN 2 AND 8 THEN '{"reason":"not_home"}'::json WHEN s = 10 THEN '{"to":"post_office:BC-05443"}'::json ELSE '{}'::json END,
				sha256(('h' || g || ':' || (s - 1))::bytea), sha256(('h' || g || ':' || s)::bytea)
			FROM generate_series(1, ?0) g, generate_series(1, 10) s`,
		`INSERT INTO custody (parcel_id, holder_kind, holder_ref, from_event, from_at)
			SELECT md5('p' || g)::uuid, 'courier', 'BUUTA1', md5('e' || g || ':9')::uuid, now() FROM generate_series(1, ?0) g`,
		`INSERT INTO handoffs (id, parcel_id, giver_kind, giver_ref, receiver_kind, receiver_ref, status, released_event, released_at, deadline)
			SELECT md5('h' || g)::uuid, md5('p' || g)::uuid, 'courier', 'BUUTA1', 'post_office', 'BC-05443', 'pending',
				md5('e' || g || ':10')::uuid, now() - interval '1 hour', now() + ((g % 600) - 300) * interval '1 minute'
			FROM generate_series(1, ?0) g WHERE g % 100 = 0`,
		`ANALYZE`,
	}
	for _, s := range steps {
		if err := db.ExecForTest(ctx, s, n); err != nil {
			return scaleResult{}, fmt.Errorf("fill: %w", err)
		}
	}
	fmt.Fprintf(stderr, "filled in %s\n", time.Since(t0).Round(time.Second))
	alarms := &app.Alarms{Store: db, Now: time.Now, Policy: app.DefaultAlarmPolicy()}
	first, err := alarms.Sweep(ctx)
	if err != nil {
		return scaleResult{}, err
	}
	open, err := db.CountForTest(ctx, `SELECT count(*) FROM alarms WHERE cleared_at IS NULL`)
	if err != nil {
		return scaleResult{}, err
	}
	var steady []time.Duration
	var last app.SweepStats
	for i := 0; i < 5; i++ {
		st, err := alarms.Sweep(ctx)
		if err != nil {
			return scaleResult{}, err
		}
		steady = append(steady, st.Took)
		last = st
	}
	// Timeline p99 over the public JSON, random parcels.
	r := rand.New(rand.NewPCG(1, 2))
	client := &http.Client{}
	var lat []time.Duration
	for i := 0; i < 2000; i++ {
		g := 1 + r.IntN(n)
		nb, _ := tracking.NewNumber("ZZ", uint32(g), "VN")
		num := nb.String()
		s := time.Now()
		resp, err := client.Get(e.base + "/tra-cuu/" + num)
		if err != nil {
			return scaleResult{}, err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		lat = append(lat, time.Since(s))
		if resp.StatusCode != 200 {
			return scaleResult{}, fmt.Errorf("timeline %s: %d", num, resp.StatusCode)
		}
	}
	// The hourly full pass (every cause, not only what fell due or changed).
	full, err := alarms.SweepFull(ctx, time.Now())
	if err != nil {
		return scaleResult{}, err
	}
	res := scaleResult{parcels: n, sweep: percentile(steady, .5), p50: percentile(lat, .5), p99: percentile(lat, .99)}
	fmt.Fprintf(stdout, "scale %d parcels, %d events:\n", n, n*10)
	fmt.Fprintf(stdout, "  alarm sweep every 30 s (incremental): median %s of 5 (goal ≤ 1 s; last raised %d cleared %d escalated %d)\n",
		res.sweep.Round(time.Millisecond), last.Raised, last.Cleared, last.Escalated)
	fmt.Fprintf(stdout, "  full pass (at start, then hourly): first %s (raised %d, open alarms %d), again %s\n",
		first.Took.Round(time.Millisecond), first.Raised, open, full.Took.Round(time.Millisecond))
	fmt.Fprintf(stdout, "  timeline page /tra-cuu/{n}: p50 %s, p99 %s over 2000 requests\n", res.p50.Round(100*time.Microsecond), res.p99.Round(100*time.Microsecond))
	return res, nil
}
