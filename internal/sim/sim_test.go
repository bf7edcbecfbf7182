package sim_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"hoso/internal/pg"
	"hoso/internal/pg/pgtest"
	"hoso/internal/sim"
	"hoso/internal/units"
)

// perDB runs share one database; each run has its own office, desk,
// couriers, S10 letters and dates (Config.Slot).
const perDB = 25

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// simDB is a fresh database for simulated runs. They test the rules and
// their checks, not durability: commits do not wait for the disk.
func simDB(t *testing.T) (*pg.DB, func(ctx context.Context) (*pg.DB, error)) {
	t.Helper()
	first, url := pgtest.New(t)
	ctx := context.Background()
	if err := first.ExecForTest(ctx, `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET synchronous_commit = off', current_database()); END $$`); err != nil {
		t.Fatal(err)
	}
	first.Close()
	open := func(ctx context.Context) (*pg.DB, error) { return pg.Open(ctx, url, pg.Options{PoolSize: 4}) }
	db, err := open(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, open
}

// TestSim runs seeds 0…N-1 (N = SIM_N, 200 by default, 20 with -short) of
// SIM_DAYS days (1 by default) with about SIM_PARCELS requests a day (4),
// SIM_PAR databases at a time (3); or only SIM_SEED, with a trace of every
// step. A failure prints its seed. SIM_REPORT names a file to append the
// totals to, as a row of docs/bench/sim.md's table.
func TestSim(t *testing.T) {
	set, err := units.Load()
	if err != nil {
		t.Fatal(err)
	}
	days, parcels := envInt("SIM_DAYS", 1), envInt("SIM_PARCELS", 4)
	first, n := 0, envInt("SIM_N", 200)
	if testing.Short() && os.Getenv("SIM_N") == "" {
		n = 20
	}
	trace := false
	if s := os.Getenv("SIM_SEED"); s != "" {
		v, err := strconv.Atoi(s)
		if err != nil {
			t.Fatalf("SIM_SEED=%q", s)
		}
		first, n, trace = v, 1, true
	}
	var (
		mu            sync.Mutex
		total         sim.Report
		seeds, failed int
		wg            sync.WaitGroup
		sem           = make(chan struct{}, envInt("SIM_PAR", 3))
	)
	start := time.Now()
	for b := first - first%perDB; b < first+n; b += perDB {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t.Run(fmt.Sprintf("seeds-%d", b), func(t *testing.T) {
				db, open := simDB(t)
				for s := max(b, first); s < min(b+perDB, first+n); s++ {
					mu.Lock()
					stop := failed >= 5
					mu.Unlock()
					if stop {
						return
					}
					cfg := sim.Config{Seed: uint64(s), Days: days, Parcels: parcels, Slot: s % perDB, Units: set, Open: open}
					if trace {
						cfg.Trace = os.Stdout
					}
					ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
					rep, err := sim.Run(ctx, db, cfg)
					cancel()
					mu.Lock()
					seeds++
					total.Steps += rep.Steps
					total.Days += rep.Days
					total.Simulated += rep.Simulated
					total.Parcels += rep.Parcels
					total.Events += rep.Events
					total.Rejected += rep.Rejected
					total.Faults += rep.Faults
					total.Restarts += rep.Restarts
					total.Plans += rep.Plans
					total.Checks += rep.Checks
					total.Sweeps += rep.Sweeps
					if err != nil {
						failed++
					}
					mu.Unlock()
					if err != nil {
						t.Errorf("%v", err)
					}
				}
			})
		}()
	}
	wg.Wait()
	wall := time.Since(start)
	t.Logf("simulator: %d seeds, %d failed; %d steps, %d simulated days (%.0f h of clock), %d parcels, %d events acknowledged, %d refused, %d crashes injected, %d restarts, %d plans, %d invariant checks, %d sweeps; %.1f s wall",
		seeds, failed, total.Steps, total.Days, total.Simulated.Hours(), total.Parcels, total.Events, total.Rejected, total.Faults, total.Restarts, total.Plans, total.Checks, total.Sweeps, wall.Seconds())
	if path := os.Getenv("SIM_REPORT"); path != "" {
		line := fmt.Sprintf("| %s | %d | %d | %d | %d | %.0f | %d | %d | %d | %d | %d | %.0f s |\n", time.Now().Format("2006-01-02"), seeds, failed,
			total.Steps, total.Days, total.Simulated.Hours(), total.Parcels, total.Events, total.Rejected, total.Faults, total.Checks, wall.Seconds())
		f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err == nil {
			f.WriteString(line) //nolint:errcheck
			f.Close()
		}
	}
}

// TestSimReplays: a seed run twice, in two databases, takes the same
// steps, line for line.
func TestSimReplays(t *testing.T) {
	set, err := units.Load()
	if err != nil {
		t.Fatal(err)
	}
	var reps [2]sim.Report
	var traces [2]bytes.Buffer
	for i := range reps {
		db, open := simDB(t)
		reps[i], err = sim.Run(context.Background(), db, sim.Config{Seed: 7, Days: 1, Slot: 7, Units: set, Open: open, Trace: &traces[i]})
		if err != nil {
			t.Fatal(err)
		}
	}
	if reps[0] != reps[1] || traces[0].String() != traces[1].String() {
		t.Errorf("seed 7 twice: %+v and %+v\n%s\n---\n%s", reps[0], reps[1], traces[0].String(), traces[1].String())
	}
	if reps[0].Steps < 10 || reps[0].Events == 0 {
		t.Errorf("a run did little: %+v", reps[0])
	}
}
