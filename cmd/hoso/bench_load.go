package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"regexp"
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

// benchLoad is `hoso bench load`: a closed-loop load generator on loopback
// against the public timeline (page and JSON) and courier event ingestion,
// with the server's own static file handler measured the same way in the
// same run as the yardstick. Every answer must be a success.
func benchLoad(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs, admin := benchFlags("load", stderr)
	clients := fs.Int("c", 200, "concurrent clients for the read phases")
	writers := fs.Int("w", 32, "concurrent courier clients for the ingestion phase")
	dur := fs.Duration("d", 10*time.Second, "length of each phase")
	warm := fs.Duration("warm", 2*time.Second, "warm-up before each phase, not measured")
	parcels := fs.Int("parcels", 2000, "parcels with a timeline of six events")
	batch := fs.Int("batch", 10, "events per courier upload")
	pool := fs.Int("pool", 20, "database connections of the server")
	only := fs.String("only", "", "run only the phases whose name contains this (the static file phase always runs)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the measured phases to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bench load, %s; %d read clients, %d courier clients, %s per phase, pool %d\n", machine(), *clients, *writers, *dur, *pool)
	e, err := startBench(ctx, *admin, "hoso_bench_load", *pool)
	if err != nil {
		return err
	}
	defer e.stop()
	numbers, fresh, err := loadFixture(ctx, e, *parcels, stderr)
	if err != nil {
		return err
	}
	static, err := staticAsset(e.base)
	if err != nil {
		return err
	}
	token, err := benchToken(e.base, "buuta1")
	if err != nil {
		return err
	}
	phone, err := benchDevice(e.base, token, "buuta1")
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConns: 4 * *clients,
		MaxIdleConnsPerHost: 2 * *clients, MaxConnsPerHost: 2 * *clients}}
	get := func(path func(r *rand.Rand) string) func(r *rand.Rand) (int, error) {
		return func(r *rand.Rand) (int, error) {
			resp, err := client.Get(e.base + path(r))
			if err != nil {
				return 0, err
			}
			_, err = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				return 0, fmt.Errorf("status %d", resp.StatusCode)
			}
			return 1, err
		}
	}
	pick := func(r *rand.Rand) string { return numbers[r.IntN(len(numbers))] }
	var seq atomic.Int64
	upload := func(r *rand.Rand) (int, error) {
		evs := make([]json.RawMessage, *batch)
		at := time.Now()
		lat, lng := 21.59, 105.84
		for i := range evs {
			var err error
			if evs[i], err = phone.Event(app.SoftEvent{ID: uuid.NewString(), Type: "pickup.attempt_failed", Number: fresh[int(seq.Add(1))%len(fresh)],
				At: at, Lat: &lat, Lng: &lng, Data: map[string]any{"reason": "not_home"}}); err != nil {
				return 0, err
			}
		}
		body, _ := json.Marshal(map[string]any{"events": evs})
		req, _ := http.NewRequest("POST", e.base+"/api/v1/courier/events", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		var out struct{ Results []app.SyncResult }
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
			return 0, fmt.Errorf("status %d: %v", resp.StatusCode, err)
		}
		n := 0
		for _, res := range out.Results {
			if res.Status != "accepted" {
				msg := ""
				if res.Error != nil {
					msg = res.Error.Code + " " + res.Error.Message
				}
				return n, fmt.Errorf("event %s: %s", res.Status, msg)
			}
			n++
		}
		return n, nil
	}
	phases := []struct {
		name string
		c    int
		do   func(r *rand.Rand) (int, error)
		unit string
	}{
		{"static file (" + static + ")", *clients, get(func(*rand.Rand) string { return static }), "req"},
		{"health (every middleware, no database)", *clients, get(func(*rand.Rand) string { return "/healthz" }), "req"},
		{"public timeline page /tra-cuu/N", *clients, get(func(r *rand.Rand) string { return "/tra-cuu/" + pick(r) }), "req"},
		{"public timeline JSON /api/v1/public/track/N", *clients, get(func(r *rand.Rand) string { return "/api/v1/public/track/" + pick(r) }), "req"},
		{fmt.Sprintf("courier uploads of %d events", *batch), *writers, upload, "event"},
	}
	fmt.Fprintf(stdout, "\n| phase | clients | requests | errors | throughput | p50 | p99 | max |\n|---|---|---|---|---|---|---|---|\n")
	results := map[string]loadResult{}
	failed := false
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for i, ph := range phases {
		if i > 0 && *only != "" && !strings.Contains(ph.name, *only) {
			continue
		}
		res := runPhase(ctx, ph.c, *warm, *dur, ph.do)
		results[ph.name] = res
		fmt.Fprintf(stdout, "| %s | %d | %d | %d | %.0f %s/s | %s | %s | %s |\n", ph.name, ph.c, res.n, res.errors,
			float64(res.units)/res.wall.Seconds(), ph.unit, loadMS(res.p50), loadMS(res.p99), loadMS(res.max))
		if res.errors > 0 {
			failed = true
			fmt.Fprintf(stderr, "%s: %d errors, first: %v\n", ph.name, res.errors, res.first)
		}
	}
	st, page, js := results[phases[0].name], results[phases[2].name], results[phases[3].name]
	ratio := page.p99.Seconds() / st.p99.Seconds()
	if page.n > 0 {
		fmt.Fprintf(stdout, "\ntimeline page p99 / static p99 = %.2f (goal ≤ 3); JSON p99 / static p99 = %.2f\n", ratio, js.p99.Seconds()/st.p99.Seconds())
	}
	if failed {
		return errors.New("bench load: some requests failed")
	}
	if page.n > 0 && ratio > 3 {
		fmt.Fprintln(stdout, "GOAL NOT MET: the timeline's p99 is more than three times the static handler's")
	}
	return nil
}

// loadResult is one phase's figures.
type loadResult struct {
	n, errors, units int64
	wall             time.Duration
	p50, p99, max    time.Duration
	first            error
}

func loadMS(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// runPhase runs c closed-loop clients: warm-up, then dur measured.
func runPhase(ctx context.Context, c int, warm, dur time.Duration, do func(r *rand.Rand) (int, error)) loadResult {
	var res loadResult
	var mu sync.Mutex
	var lat []time.Duration
	var measuring atomic.Bool
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < c; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(i), 99))
			var mine []time.Duration
			var n, errs, units int64
			var first error
			for {
				select {
				case <-stop:
					mu.Lock()
					lat = append(lat, mine...)
					res.n += n
					res.errors += errs
					res.units += units
					if res.first == nil {
						res.first = first
					}
					mu.Unlock()
					return
				default:
				}
				s := time.Now()
				u, err := do(r)
				d := time.Since(s)
				if !measuring.Load() {
					continue
				}
				n++
				units += int64(u)
				mine = append(mine, d)
				if err != nil {
					errs++
					if first == nil {
						first = err
					}
				}
			}
		}(i)
	}
	select {
	case <-time.After(warm):
	case <-ctx.Done():
	}
	measuring.Store(true)
	t0 := time.Now()
	select {
	case <-time.After(dur):
	case <-ctx.Done():
	}
	measuring.Store(false)
	res.wall = time.Since(t0)
	close(stop)
	wg.Wait()
	res.p50, res.p99 = percentile(lat, 0.50), percentile(lat, 0.99)
	for _, d := range lat {
		res.max = max(res.max, d)
	}
	return res
}

// loadFixture makes n parcels with a timeline of six events (requested,
// collected, released, confirmed at the office, released to a courier,
// confirmed), and n fresh requests for the courier uploads.
func loadFixture(ctx context.Context, e *benchEnv, n int, stderr io.Writer) (timelines, fresh []string, err error) {
	fmt.Fprintf(stderr, "creating %d parcels with timelines and %d requests…\n", n, n)
	vn := time.FixedZone("ICT", 7*3600)
	start := time.Now().In(vn).Add(48 * time.Hour)
	start = time.Date(start.Year(), start.Month(), start.Day(), 8, 0, 0, 0, vn)
	if start.Weekday() == time.Sunday {
		start = start.AddDate(0, 0, 1)
	}
	courier, err := e.sys.db.FindUserByUsername(ctx, "buuta1")
	if err != nil {
		return nil, nil, err
	}
	office := tracking.Party{Kind: tracking.PartyOffice, Ref: "BC-05443"}
	phone, err := app.NewSoftDevice("bench-fixture", nil)
	if err != nil {
		return nil, nil, err
	}
	if err := phone.Register(ctx, e.sys.devices, courier, "mat-khau-buuta1"); err != nil {
		return nil, nil, err
	}
	timelines, fresh = make([]string, n), make([]string, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failure atomic.Value
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= 2*n || failure.Load() != nil {
					return
				}
				p, err := e.sys.intake.Create(ctx, tracking.PickupRequest{
					Dossier:   tracking.Dossier{Code: fmt.Sprintf("LOAD-%07d", i), DeskCode: "TN-TTPVHCC"},
					Citizen:   tracking.Citizen{FullName: "Nguyễn Văn A", Phone: fmt.Sprintf("09%08d", i)},
					Address:   tracking.Address{ProvinceCode: "19", CommuneCode: "05443", Line: "Số 1"},
					Documents: []tracking.Document{{Name: "Tờ khai", Kind: tracking.Original, Count: 1}, {Name: "CCCD", Kind: tracking.CertifiedCopy, Count: 2}},
					Windows:   []tracking.Window{{Start: start, End: start.Add(2 * time.Hour)}}, Channel: tracking.ChannelCitizen})
				if err != nil {
					failure.Store(err)
					return
				}
				if i >= n {
					fresh[i-n] = p.Number
					if err := e.schedule(ctx, p.Number, courier.StaffCode, start); err != nil {
						failure.Store(err)
					}
					continue
				}
				timelines[i] = p.Number
				if err := e.schedule(ctx, p.Number, courier.StaffCode, start); err != nil {
					failure.Store(err)
					return
				}
				sig, err := e.sys.devices.StoreEvidence(ctx, courier, p.Number, "signature", "image/png", base64.StdEncoding.EncodeToString(demo.SignaturePNG(p.Number)))
				if err != nil {
					failure.Store(err)
					return
				}
				data := func(v any) []byte { b, _ := json.Marshal(v); return b }
				for _, in := range []app.EventInput{
					{Type: tracking.PickupCollected, Actor: courier.Party(), Data: data(tracking.Collected{Documents: []tracking.DocCount{{Line: 1, Count: 1}, {Line: 2, Count: 2}},
						SealID: "NP-LOAD", Proof: &tracking.Proof{Method: tracking.ProofSignature, SHA256: sig}})},
					{Type: tracking.HandoffReleased, Actor: courier.Party(), Data: data(tracking.Released{To: office.String()})},
					{Type: tracking.HandoffConfirmed, Actor: office, Data: data(map[string]any{"seal_intact": true, "seal_id": "NP-LOAD"})},
					{Type: tracking.HandoffReleased, Actor: office, Data: data(tracking.Released{To: courier.Party().String()})},
					{Type: tracking.HandoffConfirmed, Actor: courier.Party(), Data: data(map[string]any{"seal_intact": true})},
				} {
					if in.Actor.Kind == tracking.PartyCourier {
						// The courier's phone signs; the server checks.
						raw, err := phone.Event(app.SoftEvent{ID: uuid.NewString(), Type: string(in.Type), Number: p.Number, At: time.Now(), Data: json.RawMessage(in.Data)})
						if err != nil {
							failure.Store(err)
							return
						}
						res, err := e.sys.sync.Apply(ctx, courier, phone.ID, []json.RawMessage{raw})
						if err == nil && res[0].Status != "accepted" {
							err = fmt.Errorf("%s: %+v", res[0].Status, res[0].Error)
						}
						if err != nil {
							failure.Store(fmt.Errorf("%s on %s: %w", in.Type, p.Number, err))
							return
						}
						continue
					}
					if _, _, err := e.sys.ledger.RecordByNumber(ctx, p.Number, in); err != nil {
						failure.Store(fmt.Errorf("%s on %s: %w", in.Type, p.Number, err))
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if err, ok := failure.Load().(error); ok {
		return nil, nil, fmt.Errorf("fixture: %w", err)
	}
	return timelines, fresh, nil
}

var staticPattern = regexp.MustCompile(`/static/css/[^"' )]+`)

// staticAsset finds the stylesheet the home page links to (content-hashed,
// served from memory with a long cache).
func staticAsset(base string) (string, error) {
	resp, err := http.Get(base + "/")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if p := staticPattern.Find(b); p != nil {
		return string(p), nil
	}
	return "", errors.New("no stylesheet on the home page")
}
