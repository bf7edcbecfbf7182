package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"hoso/internal/app"
	"hoso/internal/pg"
	"hoso/internal/translog"
)

// benchLog measures the transparency log: the ledger's ingest with the log
// off and on in the same run (alternating rounds), the sequencer alone,
// and inclusion and consistency proofs (made by the server, served over
// HTTP, verified by a client) on trees of growing size built directly into
// the tables.
func benchLog(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs, admin := benchFlags("log", stderr)
	events := fs.Int("events", 100_000, "events per ingest round")
	conc := fs.Int("c", 4, "concurrent clients in the ingest")
	rounds := fs.Int("rounds", 2, "ingest rounds with the log off and on, alternating")
	sizesFlag := fs.String("sizes", "10000,1000000,100000000", "tree sizes for the proof benchmark (comma-separated; 0 to skip)")
	proofs := fs.Int("proofs", 2000, "proofs of each kind at each size")
	keep := fs.Bool("keep", false, "keep the tree database after the run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "bench log, %s\n", machine())
	if *events > 0 && *rounds > 0 {
		if err := benchLogIngest(ctx, *admin, *events, *conc, *rounds, stdout, stderr); err != nil {
			return err
		}
	}
	var sizes []int64
	for _, s := range strings.Split(*sizesFlag, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("-sizes: %q", s)
		}
		if n > 0 {
			sizes = append(sizes, n)
		}
	}
	if len(sizes) == 0 {
		return nil
	}
	fmt.Fprintf(stdout, "proofs: %d inclusion and %d consistency proofs at each size, one client, sequential\n", *proofs, *proofs)
	fmt.Fprintf(stdout, "  %-12s %-10s %-24s %-24s %-24s %-24s %-14s %s\n", "leaves", "build", "inclusion (server) p50/p99", "consistency (server) p50/p99",
		"GET inclusion p50/p99", "GET consistency p50/p99", "verify p50", "tiles")
	var first *proofFigures
	defer func() {
		if !*keep {
			_ = pg.DropDatabase(context.WithoutCancel(ctx), *admin, "hoso_bench_log_tree")
			_ = pg.DropDatabase(context.WithoutCancel(ctx), *admin, "hoso_bench_log_ingest")
		}
	}()
	for _, n := range sizes {
		f, err := benchLogProofs(ctx, *admin, n, *proofs, stderr)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "  %-12d %-10s %-24s %-24s %-24s %-24s %-14s %d rows, %s\n", n, f.build.Round(time.Second),
			pair(f.inc), pair(f.cons), pair(f.getInc), pair(f.getCons), percentile(f.verify, .5).Round(time.Microsecond), f.tiles, f.tableSize)
		if first == nil {
			first = &f
		} else {
			fmt.Fprintf(stdout, "    growth from %d: GET inclusion p50 ×%.2f p99 ×%.2f, GET consistency p50 ×%.2f (log₂ ratio %.2f)\n", first.n,
				ratio(f.getInc, first.getInc, .5), ratio(f.getInc, first.getInc, .99), ratio(f.getCons, first.getCons, .5),
				math.Log2(float64(n))/math.Log2(float64(first.n)))
		}
	}
	return nil
}

func pair(ds []time.Duration) string {
	return fmt.Sprintf("%s / %s", fmtDur(percentile(ds, .5)), fmtDur(percentile(ds, .99)))
}

func fmtDur(d time.Duration) string {
	if d < time.Millisecond {
		return fmt.Sprintf("%dµs", d.Microseconds())
	}
	return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
}

func ratio(a, b []time.Duration, p float64) float64 {
	return float64(percentile(a, p)) / float64(percentile(b, p))
}

// benchLogIngest runs the ledger's ingest with the log off and on,
// alternating, and the sequencer alone on the off round's events.
func benchLogIngest(ctx context.Context, admin string, events, conc, rounds int, stdout, stderr io.Writer) error {
	var off, on []ingestResult
	for r := 0; r < rounds; r++ {
		for _, logOff := range []bool{true, false} {
			var res ingestResult
			o := ingestOptions{total: events, conc: conc, logOff: logOff, out: &res, db: "hoso_bench_log_ingest"}
			if logOff && r == 0 {
				o.after = func(e *benchEnv) error { return benchSequencer(ctx, e, stdout) }
			}
			var buf bytes.Buffer
			if err := benchLedgerIngest(ctx, admin, o, &buf, stderr); err != nil {
				return err
			}
			state := "on"
			if logOff {
				state = "off"
				off = append(off, res)
			} else {
				on = append(on, res)
			}
			fmt.Fprintf(stdout, "ingest round %d, log %-3s: %7.0f events/s (bare INSERT %7.0f rows/s)%s\n", r+1, state, res.rate, res.bare, res.note)
		}
	}
	mean := func(rs []ingestResult) float64 {
		s := 0.0
		for _, r := range rs {
			s += r.rate
		}
		return s / float64(len(rs))
	}
	// On a shared machine the load drifts between rounds: each round's
	// "on" is compared with the "off" just before it, and the median of
	// those ratios is the figure (each ratio is also normalised by the
	// bare INSERT baseline measured in the same run, which sees the same
	// load).
	var raw, norm []float64
	for i := range on {
		raw = append(raw, on[i].rate/off[i].rate)
		norm = append(norm, (on[i].rate/on[i].bare)/(off[i].rate/off[i].bare))
	}
	fmt.Fprintf(stdout, "ingest with the log: %.0f events/s against %.0f without (mean of %d rounds each)\n", mean(on), mean(off), rounds)
	fmt.Fprintf(stdout, "  per round on/off: %s; median %.2f → the log costs %.1f %% (goal ≤ 15 %%)\n", fmtRatios(raw), median(raw), 100*(1-median(raw)))
	fmt.Fprintf(stdout, "  the same, each side divided by its own bare INSERT rate: %s; median %.2f → %.1f %%\n", fmtRatios(norm), median(norm), 100*(1-median(norm)))
	return nil
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	if len(s) == 0 {
		return 0
	}
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func fmtRatios(xs []float64) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprintf("%.2f", x)
	}
	return strings.Join(parts, " ")
}

// benchSequencer queues every event of an ingest run made with the log off
// and times the sequencer moving them into the log.
func benchSequencer(ctx context.Context, e *benchEnv, stdout io.Writer) error {
	db := e.sys.db
	if err := db.ExecForTest(ctx, `INSERT INTO log_queue (kind, ref, body)
		SELECT 'event', e.id::text, log_event_leaf(e.id, e.type, e.server_at, e.hash) FROM events e ORDER BY e.seq`); err != nil {
		return err
	}
	n, err := db.LogQueued(ctx)
	if err != nil {
		return err
	}
	t0 := time.Now()
	moved, err := e.sys.tlog.Sequence(ctx)
	if err != nil {
		return err
	}
	d := time.Since(t0)
	if moved != n {
		return fmt.Errorf("sequenced %d of %d", moved, n)
	}
	t1 := time.Now()
	if _, _, err := e.sys.tlog.Checkpoint(ctx); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sequencer alone: %d queued leaves in %s (%.0f leaves/s, batches of 5000), then a checkpoint in %s\n",
		n, d.Round(time.Millisecond), float64(n)/d.Seconds(), time.Since(t1).Round(time.Microsecond))
	return nil
}

// proofFigures are one size's measurements.
type proofFigures struct {
	n                          int64
	build                      time.Duration
	tiles                      int
	tableSize                  string
	inc, cons, getInc, getCons []time.Duration
	verify                     []time.Duration
}

// benchLeaf is the synthetic leaf i of a benchmark tree: an event leaf
// whose id, time and hash are derived from i.
func benchLeaf(i int64) translog.Leaf {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(i))
	h := sha256.Sum256(b[:])
	id := fmt.Sprintf("00000000-0000-4000-8000-%012x", i)
	return translog.EventLeaf(id, "pickup.collected", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(i)*time.Microsecond), h[:])
}

// benchLogProofs builds a tree of n synthetic leaves straight into the
// tables (binary COPY of its tiles, a sample of its leaves), serves it, and
// times proofs.
func benchLogProofs(ctx context.Context, admin string, n int64, count int, stderr io.Writer) (proofFigures, error) {
	f := proofFigures{n: n}
	e, err := startBenchWith(ctx, admin, "hoso_bench_log_tree", 8, map[string]string{"HOSO_LOG_SEQUENCE_EVERY": "1h", "HOSO_RELAY": "off"})
	if err != nil {
		return f, err
	}
	defer e.stop()
	db := e.sys.db
	fmt.Fprintf(stderr, "building a tree of %d leaves…\n", n)
	t0 := time.Now()
	pr, pw := io.Pipe()
	rootc := make(chan translog.Hash, 1)
	go func() {
		root, err := writeBenchTiles(pw, n, stderr)
		rootc <- root
		pw.CloseWithError(err)
	}()
	rows, err := db.CopyLogTiles(ctx, pr)
	root := <-rootc
	if err != nil {
		return f, err
	}
	f.tiles = rows
	if err := db.SetLogHeadForBench(ctx, n, root); err != nil {
		return f, err
	}
	rng := rand.New(rand.NewPCG(uint64(n), 11))
	sample := make([]int64, count)
	seen := map[int64]bool{}
	var leaves []app.LogLeaf
	for i := range sample {
		x := rng.Int64N(n)
		sample[i] = x
		if !seen[x] {
			seen[x] = true
			l := benchLeaf(x)
			leaves = append(leaves, app.LogLeaf{Index: x, Kind: l.Kind, Ref: l.ID, Body: l.Bytes()})
		}
	}
	if err := db.InsertLogLeavesForBench(ctx, leaves); err != nil {
		return f, err
	}
	for _, t := range []string{"log_tiles", "log_leaves"} {
		if err := db.ExecForTest(ctx, `VACUUM ANALYZE `+t); err != nil {
			return f, err
		}
	}
	f.build = time.Since(t0)
	var sz string
	if err := db.QueryOneForBench(ctx, &sz, `SELECT pg_size_pretty(pg_total_relation_size('log_tiles'))`); err == nil {
		f.tableSize = sz
	}
	// The server's side: proofs made from the tiles.
	lg := e.sys.tlog
	for _, x := range sample {
		t := time.Now()
		if _, err := lg.InclusionProof(ctx, x, n); err != nil {
			return f, err
		}
		f.inc = append(f.inc, time.Since(t))
		from := 1 + rng.Int64N(n)
		t = time.Now()
		if _, err := lg.ConsistencyProof(ctx, from, n); err != nil {
			return f, err
		}
		f.cons = append(f.cons, time.Since(t))
	}
	// Served over HTTP, checked by the client.
	client := &http.Client{}
	get := func(path string, v any) (time.Duration, error) {
		t := time.Now()
		resp, err := client.Get(e.base + path)
		if err != nil {
			return 0, err
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(t)
		if resp.StatusCode != 200 || err != nil {
			return 0, fmt.Errorf("GET %s: %d %s", path, resp.StatusCode, b)
		}
		return d, json.Unmarshal(b, v)
	}
	for _, x := range sample {
		var inc struct {
			Index  int64    `json:"index"`
			Hashes []string `json:"hashes"`
		}
		d, err := get(fmt.Sprintf("/api/v1/log/proof/inclusion?index=%d&size=%d", x, n), &inc)
		if err != nil {
			return f, err
		}
		f.getInc = append(f.getInc, d)
		hs := make([]translog.Hash, len(inc.Hashes))
		for i, s := range inc.Hashes {
			if hs[i], err = translog.ParseHash(s); err != nil {
				return f, err
			}
		}
		leaf := benchLeaf(x).Bytes()
		t := time.Now()
		if err := translog.CheckInclusion(hs, n, root, x, translog.LeafHash(leaf)); err != nil {
			return f, fmt.Errorf("inclusion of %d in %d: %w", x, n, err)
		}
		f.verify = append(f.verify, time.Since(t))
		from := 1 + rng.Int64N(n)
		var cons struct {
			Hashes []string `json:"hashes"`
		}
		d, err = get(fmt.Sprintf("/api/v1/log/proof/consistency?from=%d&to=%d", from, n), &cons)
		if err != nil {
			return f, err
		}
		f.getCons = append(f.getCons, d)
	}
	return f, nil
}

// writeBenchTiles writes the tiles of a tree of n synthetic leaves in
// PostgreSQL's binary COPY format (log_tiles: level, n, hashes), each tile
// once at its final width, and returns the root.
func writeBenchTiles(w io.Writer, n int64, stderr io.Writer) (translog.Hash, error) {
	bw := &countingWriter{w: w}
	bw.write([]byte("PGCOPY\n\xff\r\n\x00"))
	bw.u32(0)
	bw.u32(0)
	aud := translog.NewAuditor()
	partial := map[translog.TileKey][]byte{}
	const chunk = 1 << 16
	hashes := make([]translog.Hash, 0, chunk)
	last := time.Now()
	for i := int64(0); i < n; {
		hashes = hashes[:0]
		for ; i < n && len(hashes) < chunk; i++ {
			hashes = append(hashes, benchLeaf(i).HashOf())
		}
		tiles, err := aud.Add(hashes)
		if err != nil {
			return translog.Hash{}, err
		}
		for _, t := range tiles {
			if t.Full() {
				delete(partial, t.Key())
				bw.tile(t.Level, t.N, t.Data)
			} else {
				partial[t.Key()] = t.Data
			}
		}
		if bw.err != nil {
			return translog.Hash{}, bw.err
		}
		if time.Since(last) > 10*time.Second {
			fmt.Fprintf(stderr, "  %d of %d leaves\n", i, n)
			last = time.Now()
		}
	}
	for k, d := range partial {
		bw.tile(k.Level, k.N, d)
	}
	bw.u16(0xffff)
	return aud.Root(), bw.err
}

type countingWriter struct {
	w   io.Writer
	err error
	buf [8]byte
}

func (c *countingWriter) write(b []byte) {
	if c.err == nil {
		_, c.err = c.w.Write(b)
	}
}

func (c *countingWriter) u16(v uint16) { binary.BigEndian.PutUint16(c.buf[:2], v); c.write(c.buf[:2]) }
func (c *countingWriter) u32(v uint32) { binary.BigEndian.PutUint32(c.buf[:4], v); c.write(c.buf[:4]) }
func (c *countingWriter) u64(v uint64) { binary.BigEndian.PutUint64(c.buf[:8], v); c.write(c.buf[:8]) }

// tile writes one row: three fields, smallint level, bigint n, bytea.
func (c *countingWriter) tile(level int, n int64, data []byte) {
	c.u16(3)
	c.u32(2)
	c.u16(uint16(level))
	c.u32(8)
	c.u64(uint64(n))
	c.u32(uint32(len(data)))
	c.write(data)
}
