package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"

	"hoso/internal/app"
	"hoso/internal/demo"
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
	relay := fs.Bool("relay", false, "run the outbox relay during the ingest (off: delivering the outbox is not ingestion, and it would compete for the same cores unevenly in the two phases)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bench ledger, %s\n", machine())
	if *events > 0 {
		o := ingestOptions{total: *events, conc: *conc, cpuprofile: *cpuprofile, relay: *relay}
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
	// The courier app registers an ES256 key for its device (the password
	// typed again) and signs every event with it; the server checks each
	// signature. Every collection names the citizen's signature image,
	// uploaded first; every stop is planned for the courier.
	phone, err := benchDevice(e.base, token, "buuta1")
	if err != nil {
		return err
	}
	courier, err := e.sys.db.FindUserByUsername(ctx, "buuta1")
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "planning the %d stops and storing their signature images…\n", parcels)
	sigs := make([]string, parcels)
	next = 0
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(atomic.AddInt64(&next, 1)) - 1
				if i >= parcels {
					return
				}
				if err := e.schedule(ctx, numbers[i], courier.StaffCode, start); err != nil {
					setupErr.Store(err)
					return
				}
				sha, err := e.sys.devices.StoreEvidence(ctx, courier, numbers[i], "signature", "image/png",
					base64.StdEncoding.EncodeToString(demo.SignaturePNG(numbers[i])))
				if err != nil {
					setupErr.Store(err)
					return
				}
				sigs[i] = sha
			}
		}()
	}
	wg.Wait()
	if err, ok := setupErr.Load().(error); ok {
		return fmt.Errorf("setup: %w", err)
	}
	sigOf := map[string]string{}
	for i, n := range numbers {
		sigOf[n] = sigs[i]
	}
	encode := func(ev map[string]any) (json.RawMessage, error) {
		lat, lng := 21.59, 105.84
		return phone.Event(app.SoftEvent{ID: ev["id"].(string), Type: ev["type"].(string), Number: ev["tracking_number"].(string),
			At: time.Now(), Lat: &lat, Lng: &lng, Data: ev["data"]})
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
				"seal_id": "NP-BENCH", "proof": map[string]any{"method": "signature", "sha256": sigOf[n]}}
		default:
			ev["type"], ev["data"] = "handoff.released", map[string]any{"to": "post_office:BC-05443"}
		}
		return ev
	}
	// Clients own disjoint parcels; each sends round k of its parcels in
	// batches of 500, so every parcel's events arrive in order.
	type batch struct {
		body []byte
		ids  []string // its events, for the storage bound's transactions
	}
	work := make([][]batch, conc)
	var signed []signedItem // every signature, for the crypto bound
	for c := 0; c < conc; c++ {
		var mine []string
		for i := c; i < parcels; i += conc {
			mine = append(mine, numbers[i])
		}
		for k := 0; k < perParcel; k++ {
			for off := 0; off < len(mine); off += 500 {
				end := min(off+500, len(mine))
				var evs []json.RawMessage
				var ids []string
				for _, n := range mine[off:end] {
					ev := mk(n, k)
					raw, err := encode(ev)
					if err != nil {
						return err
					}
					evs = append(evs, raw)
					ids = append(ids, ev["id"].(string))
					it, err := signedOf(raw)
					if err != nil {
						return err
					}
					signed = append(signed, it)
				}
				b, _ := json.Marshal(map[string]any{"events": evs})
				work[c] = append(work[c], batch{body: b, ids: ids})
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
	sent := len(signed)
	fmt.Fprintf(stderr, "sending %d events…\n", sent)
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
	rs := float64(accepted) / stack.Seconds()

	// The storage bound: the rows the ingest wrote, inserted again bare
	// into tables like the real ones (same columns, defaults, checks,
	// indexes and foreign keys; no triggers), one transaction per batch of
	// 500 events holding its events, submissions, custody, hand-offs,
	// outbox rows and receipts, with multi-row INSERT statements, from as
	// many clients. (The ingest also updates each parcel's projection and
	// takes its row lock: the bound leaves that out.)
	var batches [][]string
	for c := range work {
		for _, b := range work[c] {
			batches = append(batches, b.ids)
		}
	}
	fmt.Fprintf(stderr, "inserting the same rows bare into tables like the ledger's…\n")
	storage, storageRows, err := storageBound(ctx, e, batches, conc)
	if err != nil {
		return err
	}
	rb := float64(sent) / storage.Seconds()

	// The crypto bound: every signature of the run verified again on all
	// cores (the texts and signatures prepared beforehand).
	rc, err := cryptoBound(phone, signed)
	if err != nil {
		return err
	}
	lower, which := rb, "storage"
	if rc < lower {
		lower, which = rc, "crypto"
	}
	fmt.Fprintf(stdout, "ingest: %d events in batches of 500, %d concurrent clients, every event signed (ES256) and verified, relay %v, %d CPU\n",
		sent, conc, o.relay, runtime.GOMAXPROCS(0))
	fmt.Fprintf(stdout, "  %-68s %9.0f events/s  (batch p50 %s, p99 %s)\n", "POST /api/v1/courier/events, everything on", rs,
		percentile(lat, .5).Round(time.Millisecond), percentile(lat, .99).Round(time.Millisecond))
	fmt.Fprintf(stdout, "  %-68s %9.0f events/s  (%d rows in %s)\n", "storage bound: bare multi-row INSERT, same rows, tables, indexes, keys", rb,
		storageRows, storage.Round(time.Millisecond))
	fmt.Fprintf(stdout, "  %-68s %9.0f events/s\n", fmt.Sprintf("crypto bound: ES256 verification on %d cores", runtime.GOMAXPROCS(0)), rc)
	fmt.Fprintf(stdout, "  ratio to the lower bound (%s) %.2f (goal ≥ 0.50); accepted %d, rejected %d; load average %s\n", which, rs/lower, accepted, rejected, loadAverage())
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

// loadAverage is the machine's 1-minute load average ("?" where unknown):
// the benchmark shares the cores with whatever else runs.
func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

// signedItem is one event's signed text and signature.
type signedItem struct{ msg, sig []byte }

// signedOf reads the signed text and signature of an encoded event.
func signedOf(raw json.RawMessage) (signedItem, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return signedItem{}, err
	}
	var sig64 string
	if err := json.Unmarshal(fields["signature"], &sig64); err != nil {
		return signedItem{}, err
	}
	sig, err := base64.StdEncoding.DecodeString(sig64)
	if err != nil {
		return signedItem{}, err
	}
	return signedItem{msg: app.SignedText(fields), sig: sig}, nil
}

// cryptoBound verifies every signature with the device's key on all cores
// and returns the verifications per second.
func cryptoBound(phone *app.SoftDevice, items []signedItem) (float64, error) {
	k := phone.Key()
	c, err := tracking.NewSignatureChecker(k.Alg, k.PublicKey)
	if err != nil {
		return 0, err
	}
	var next, bad int64
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := 0; w < runtime.GOMAXPROCS(0); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(atomic.AddInt64(&next, 1)) - 1
				if i >= len(items) {
					return
				}
				if !c.Verify(items[i].msg, items[i].sig) {
					atomic.AddInt64(&bad, 1)
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(t0)
	if bad > 0 {
		return 0, fmt.Errorf("crypto bound: %d signatures did not verify", bad)
	}
	return float64(len(items)) / took.Seconds(), nil
}

// ledgerTables are the tables a courier batch inserts into, with the
// column naming the event each row belongs to.
var ledgerTables = []struct{ table, event string }{
	{"events", "id"}, {"device_events", "id"}, {"custody", "from_event"}, {"handoffs", "released_event"}, {"outbox", "event_id"},
	{"receipts", "event_id"},
}

// storageBound re-inserts the rows the ingest wrote into copies of the
// ledger's tables and returns the time it took and the rows inserted.
func storageBound(ctx context.Context, e *benchEnv, batches [][]string, conc int) (time.Duration, int, error) {
	db := e.sys.db
	batchOf := map[string]int{}
	for b, ids := range batches {
		for _, id := range ids {
			batchOf[id] = b
		}
	}
	// The statements, prepared before the clock starts: per batch, one
	// multi-row INSERT per table, in one transaction.
	stmts := make([]strings.Builder, len(batches))
	rows := 0
	for _, t := range ledgerTables {
		if err := db.ExecForTest(ctx, fmt.Sprintf(`CREATE TABLE bench_%s (LIKE %s INCLUDING ALL)`, t.table, t.table)); err != nil {
			return 0, 0, fmt.Errorf("storage bound: %w", err)
		}
		// The same foreign keys, to the same parents (LIKE copies the
		// columns, defaults, checks and indexes, not these).
		if err := db.ExecForTest(ctx, fmt.Sprintf(`DO $$ DECLARE c record; BEGIN
			FOR c IN SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = '%[1]s'::regclass AND contype = 'f' LOOP
				EXECUTE format('ALTER TABLE bench_%[1]s ADD CONSTRAINT %%I %%s', 'bench_' || c.conname, c.def);
			END LOOP; END $$`, t.table)); err != nil {
			return 0, 0, fmt.Errorf("storage bound: foreign keys of %s: %w", t.table, err)
		}
		cols, err := db.ColumnsForTest(ctx, t.table)
		if err != nil {
			return 0, 0, err
		}
		quoted := make([]string, len(cols))
		for i, c := range cols {
			quoted[i] = "quote_nullable(" + c + ")"
		}
		tuples, err := db.PairsForTest(ctx, fmt.Sprintf(`SELECT %s::text, '(' || concat_ws(',', %s) || ')' FROM %s WHERE %s IS NOT NULL`,
			t.event, strings.Join(quoted, ", "), t.table, t.event))
		if err != nil {
			return 0, 0, fmt.Errorf("storage bound: read %s: %w", t.table, err)
		}
		per := make([][]string, len(batches))
		for _, tp := range tuples {
			if b, ok := batchOf[tp[0]]; ok {
				per[b] = append(per[b], tp[1])
				rows++
			}
		}
		for b, ts := range per {
			if len(ts) == 0 {
				continue
			}
			fmt.Fprintf(&stmts[b], "INSERT INTO bench_%s (%s) VALUES %s;\n", t.table, strings.Join(cols, ", "), strings.Join(ts, ", "))
		}
	}
	if err := db.ExecForTest(ctx, `CHECKPOINT`); err != nil {
		return 0, 0, err
	}
	var next int64
	var wg sync.WaitGroup
	var failed atomic.Value
	t0 := time.Now()
	for c := 0; c < conc; c++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(atomic.AddInt64(&next, 1)) - 1
				if i >= len(stmts) {
					return
				}
				if err := db.ExecForTest(ctx, "BEGIN;\n"+stmts[i].String()+"COMMIT;"); err != nil {
					failed.Store(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	took := time.Since(t0)
	if err, ok := failed.Load().(error); ok {
		return 0, 0, fmt.Errorf("storage bound: %w", err)
	}
	return took, rows, nil
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
