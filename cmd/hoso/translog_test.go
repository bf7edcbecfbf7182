package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/internal/translog"
)

// logVars makes the log sequence and sign quickly in tests.
var logVars = map[string]string{"HOSO_LOG_SEQUENCE_EVERY": "50ms", "HOSO_LOG_CHECKPOINT_EVERY": "100ms"}

func withLog(extra map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range logVars {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// logPolicy is what an outsider trusts: the log key the server prints
// (hoso log-key) and the witnesses configured.
func (e *testEnv) logPolicy(t *testing.T) *translog.Policy {
	t.Helper()
	return e.sys.tlog.Policy
}

// waitCheckpoint waits until the served checkpoint covers every event and
// returns it, verified with the log's key.
func (e *testEnv) waitCheckpoint(t *testing.T) translog.Signed {
	t.Helper()
	want := e.count(`SELECT count(*) FROM events`)
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, body := e.get("/api/v1/log/checkpoint")
		if resp.StatusCode == 200 {
			s, err := e.logPolicy(t).Open(body)
			if err != nil {
				t.Fatalf("served checkpoint does not verify: %v\n%s", err, body)
			}
			if s.Size >= int64(want) {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint of %d leaves after 15 s (last %d %s)", want, resp.StatusCode, body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (e *testEnv) getJSON(t *testing.T, path string, v any) int {
	t.Helper()
	resp, body := e.get(path)
	if resp.StatusCode == 200 {
		if err := json.Unmarshal(body, v); err != nil {
			t.Fatalf("%s: %v\n%s", path, err, body)
		}
	}
	return resp.StatusCode
}

func decodeHashes(t *testing.T, in []string) []translog.Hash {
	t.Helper()
	out := make([]translog.Hash, len(in))
	for i, s := range in {
		h, err := translog.ParseHash(s)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = h
	}
	return out
}

// TestLogServesEveryEventWithProofs: every committed event gets one leaf,
// in commit order; the checkpoint is signed by the log's key; every
// leaf's inclusion proof and the consistency proofs between checkpoints
// verify with nothing but the public data; tiles and entry bundles are the
// C2SP layout and rebuild the same root.
func TestLogServesEveryEventWithProofs(t *testing.T) {
	e := startServer(t, withLog(nil))
	portal := e.portal()
	c := e.courier("buuta1")
	var numbers []string
	for i := 0; i < 4; i++ {
		r := portal.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody(fmt.Sprintf("000.00.19.LOG-%d", i))), fmt.Sprintf("log-%d", i))
		var created map[string]string
		r.json(t, &created)
		numbers = append(numbers, created["tracking_number"])
	}
	first := e.waitCheckpoint(t)
	for _, n := range numbers {
		e.assign("buuta1", n)
		_, res := c.send(ev("pickup.attempt_failed", n, map[string]any{"reason": "not_home"}),
			ev("pickup.collected", n, map[string]any{"documents": []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}},
				"seal_id": "NP-" + n[2:8], "proof": c.sigProof(n)}))
		wantStatuses(t, "events", res, "accepted", "accepted")
	}
	s := e.waitCheckpoint(t)
	events := e.count(`SELECT count(*) FROM events`)
	if s.Size != int64(events) || first.Size >= s.Size {
		t.Fatalf("checkpoint sizes %d then %d for %d events", first.Size, s.Size, events)
	}
	// One leaf per event, in ledger order, equal to what the event gives.
	if n := e.count(`SELECT count(*) FROM log_leaves l JOIN events e ON e.id::text = l.ref AND l.kind = 'event'
		WHERE l.body = log_event_leaf(e.id, e.type, e.server_at, e.hash)`); n != events {
		t.Fatalf("%d of %d leaves match their events", n, events)
	}
	if n := e.count(`SELECT count(*) FROM (SELECT e.seq, l.idx, rank() OVER (ORDER BY e.seq) AS a, rank() OVER (ORDER BY l.idx) AS b
		FROM log_leaves l JOIN events e ON e.id::text = l.ref) x WHERE a <> b`); n != 0 {
		t.Errorf("%d leaves out of ledger order", n)
	}
	// The leaf the database writes is the leaf Go writes.
	evs, err := e.db.FindEvents(context.Background(), mustParcelID(t, e, numbers[0]))
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range evs {
		var body []byte
		resp, _ := e.get("/api/v1/log/proof/inclusion?event_id=" + x.ID + "&size=" + fmt.Sprint(s.Size))
		if resp.StatusCode != 200 {
			t.Fatalf("inclusion by event id: %d", resp.StatusCode)
		}
		var inc inclusionResp
		e.getJSON(t, "/api/v1/log/proof/inclusion?event_id="+x.ID+"&size="+fmt.Sprint(s.Size), &inc)
		body, _ = base64.StdEncoding.DecodeString(inc.Leaf)
		want := translog.EventLeaf(x.ID, string(x.Type), x.ServerAt, x.Hash).Bytes()
		if !bytes.Equal(body, want) {
			t.Fatalf("leaf of %s:\n%s\nGo writes:\n%s", x.ID, body, want)
		}
		if err := translog.CheckInclusion(decodeHashes(t, inc.Hashes), s.Size, s.Root, inc.Index, translog.LeafHash(want)); err != nil {
			t.Fatalf("inclusion of %s: %v", x.ID, err)
		}
	}
	// Every leaf by index.
	for i := int64(0); i < s.Size; i++ {
		var inc inclusionResp
		if st := e.getJSON(t, fmt.Sprintf("/api/v1/log/proof/inclusion?index=%d&size=%d", i, s.Size), &inc); st != 200 {
			t.Fatalf("inclusion %d: %d", i, st)
		}
		leaf, _ := base64.StdEncoding.DecodeString(inc.Leaf)
		if err := translog.CheckInclusion(decodeHashes(t, inc.Hashes), s.Size, s.Root, i, translog.LeafHash(leaf)); err != nil {
			t.Fatalf("inclusion %d: %v", i, err)
		}
	}
	// Consistency from the first checkpoint to the second.
	var cons struct{ Hashes []string }
	if st := e.getJSON(t, fmt.Sprintf("/api/v1/log/proof/consistency?from=%d&to=%d", first.Size, s.Size), &cons); st != 200 {
		t.Fatalf("consistency: %d", st)
	}
	if err := translog.CheckConsistency(decodeHashes(t, cons.Hashes), first.Size, first.Root, s.Size, s.Root); err != nil {
		t.Fatalf("consistency %d → %d: %v", first.Size, s.Size, err)
	}
	// The tiles and entries as a mirror reads them give the same root.
	tiles := map[translog.TileKey][]byte{}
	for _, tl := range translog.EdgeTiles(s.Size) {
		resp, body := e.get("/api/v1/log/" + tl.Path())
		if resp.StatusCode != 200 || len(body) != tl.Width*32 || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
			t.Fatalf("tile %s: %d, %d bytes", tl.Path(), resp.StatusCode, len(body))
		}
		tiles[tl.Key()] = body
		if tl.Level == 0 {
			resp, bundle := e.get("/api/v1/log/" + tl.EntriesPath())
			if resp.StatusCode != 200 {
				t.Fatalf("entries: %d", resp.StatusCode)
			}
			for j := 0; j < tl.Width; j++ {
				n := int(binary.BigEndian.Uint16(bundle))
				lh := translog.LeafHash(bundle[2 : 2+n])
				if !bytes.Equal(lh[:], body[j*32:(j+1)*32]) {
					t.Fatalf("entry %d does not hash to its tile hash", j)
				}
				bundle = bundle[2+n:]
			}
			if len(bundle) != 0 {
				t.Fatal("entry bundle longer than its tile")
			}
		}
	}
	root, err := translog.TreeRoot(s.Size, func(keys []translog.TileKey) (map[translog.TileKey][]byte, error) { return tiles, nil })
	if err != nil || root != s.Root {
		t.Fatalf("root from the served tiles %s, %v; checkpoint %s", root, err, s.Root)
	}
	// A tile wider than the tree, malformed paths and proofs beyond the
	// tree are refused.
	for path, want := range map[string]int{
		"/api/v1/log/tile/0/000.p/255":                                          404,
		"/api/v1/log/tile/0/000":                                                404,
		"/api/v1/log/tile/0/001":                                                404,
		"/api/v1/log/tile/8/0/000":                                              404,
		"/api/v1/log/tile/entries/x000/000":                                     404,
		"/api/v1/log/tile/0/000.p/0":                                            404,
		fmt.Sprintf("/api/v1/log/proof/inclusion?index=%d", s.Size):             404,
		fmt.Sprintf("/api/v1/log/proof/inclusion?index=0&size=%d", s.Size+1000): 404,
		"/api/v1/log/proof/inclusion?index=-1":                                  400,
		"/api/v1/log/proof/inclusion?event_id=xyz":                              400,
		"/api/v1/log/proof/inclusion?index=1&event_id=" + evs[0].ID:             400,
		"/api/v1/log/proof/inclusion":                                           400,
		fmt.Sprintf("/api/v1/log/proof/consistency?from=%d&to=1", s.Size):       400,
		fmt.Sprintf("/api/v1/log/proof/consistency?from=1&to=%d", s.Size+1):     404,
		"/api/v1/log/proof/consistency?from=1":                                  400,
	} {
		if resp, body := e.get(path); resp.StatusCode != want {
			t.Errorf("%s = %d, want %d: %.200s", path, resp.StatusCode, want, body)
		}
	}
}

type inclusionResp struct {
	Index      int64    `json:"index"`
	TreeSize   int64    `json:"tree_size"`
	Leaf       string   `json:"leaf"`
	Hashes     []string `json:"hashes"`
	Checkpoint string   `json:"checkpoint"`
	TlogProof  string   `json:"tlog_proof"`
}

func mustParcelID(t *testing.T, e *testEnv, number string) string {
	t.Helper()
	p, err := e.db.FindParcelByNumber(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// TestLogSequencerConcurrentAndRestart: events written by 8 writers at once
// while two sequencers race all end up in the log exactly once; a server
// stopped right after writing has every event in its final checkpoint.
func TestLogSequencerConcurrent(t *testing.T) {
	e := startServer(t, withLog(nil))
	portal := e.portal()
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				r := portal.do("POST", "/api/v1/portal/pickups", mustJSONNoT(validBody(fmt.Sprintf("000.00.19.SEQ-%d-%d", w, i))), fmt.Sprintf("seq-%d-%d", w, i))
				if r.status != 201 {
					t.Errorf("create: %d %s", r.status, r.body)
				}
			}
		}(w)
	}
	// A second sequencer (as another instance would run) races the
	// server's own.
	stop := make(chan struct{})
	var seqWG sync.WaitGroup
	seqWG.Add(1)
	go func() {
		defer seqWG.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := e.sys.tlog.Sequence(context.Background()); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	wg.Wait()
	s := e.waitCheckpoint(t)
	close(stop)
	seqWG.Wait()
	events := e.count(`SELECT count(*) FROM events`)
	if s.Size != int64(events) || e.count(`SELECT count(*) FROM log_leaves`) != events || e.count(`SELECT count(DISTINCT ref) FROM log_leaves`) != events {
		t.Fatalf("%d events, checkpoint %d, %d leaves", events, s.Size, e.count(`SELECT count(*) FROM log_leaves`))
	}
	if q := e.count(`SELECT count(*) FROM log_queue`); q != 0 {
		t.Errorf("%d leaves left in the queue", q)
	}
	// Commit order may interleave parcels; each parcel's chain keeps its
	// order in the log.
	if n := e.count(`SELECT count(*) FROM (SELECT rank() OVER (PARTITION BY e.parcel_id ORDER BY e.parcel_seq) AS a,
		rank() OVER (PARTITION BY e.parcel_id ORDER BY l.idx) AS b FROM log_leaves l JOIN events e ON e.id::text = l.ref) x WHERE a <> b`); n != 0 {
		t.Errorf("%d leaves out of their parcel's chain order", n)
	}
}

// TestLogCheckpointAtShutdown: events written just before the server stops
// get their leaves and a checkpoint before the pool closes, though neither
// the sequencing interval (an hour here) nor the checkpoint one has passed.
func TestLogCheckpointAtShutdown(t *testing.T) {
	e := startServer(t, map[string]string{"HOSO_LOG_SEQUENCE_EVERY": "1h", "HOSO_LOG_CHECKPOINT_EVERY": "1m"})
	for i := 0; i < 3; i++ {
		e.createPickup(fmt.Sprintf("000.00.19.STOP-%d", i))
	}
	events := e.count(`SELECT count(*) FROM events`)
	if n := e.count(`SELECT count(*) FROM log_leaves`); n != 0 {
		t.Fatalf("%d leaves before the first sequencing", n)
	}
	e.cancel()
	select {
	case err := <-e.done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("server did not stop")
	}
	e.done <- nil // for the cleanup
	var size int
	sys, err := openForCommand(context.Background(), envFunc(map[string]string{"HOSO_DATABASE_URL": e.url, "HOSO_LOG_ORIGIN": e.sys.tlog.Key.Origin()}), false)
	if err != nil {
		t.Fatal(err)
	}
	defer sys.db.Close()
	c, err := sys.tlog.Published(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	size = int(c.Size)
	if size != events {
		t.Fatalf("checkpoint at shutdown covers %d of %d events", size, events)
	}
	if _, err := sys.tlog.Policy.Open(c.Published()); err != nil {
		t.Fatal(err)
	}
}

// TestCosignatureSubmissions: the log takes only a known witness's valid
// cosignature of a checkpoint it signed.
func TestCosignatureSubmissions(t *testing.T) {
	e := startServer(t, withLog(map[string]string{"HOSO_LOG_WITNESSES": witnessVkey(t)}))
	e.createPickup("000.00.19.COSIG-1")
	s := e.waitCheckpoint(t)
	seed, _ := hexDecode(witnessSeed)
	w, _ := translog.NewWitnessKey(seed, witnessName, nil)
	other, _ := translog.NewWitnessKey(bytes.Repeat([]byte{3}, 32), "la.example/w", nil)
	good, _ := w.Cosign(s.Text())
	stranger, _ := other.Cosign(s.Text())
	forged := s.Checkpoint
	forged.Root[0] ^= 1
	overForged, _ := w.Cosign(forged.Text())
	later := s.Checkpoint
	later.Size += 100
	overLater, _ := w.Cosign(later.Text())
	post := func(body string) (int, string) {
		resp, err := http.Post(e.base+"/api/v1/log/cosignature", "text/plain", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for name, tc := range map[string]struct {
		body string
		want int
	}{
		"unknown witness":               {string(s.Text()) + "\n" + stranger, 403},
		"cosignature of another root":   {string(forged.Text()) + "\n" + overForged, 409},
		"another root, this one's line": {string(s.Text()) + "\n" + overForged, 400},
		"a size the log never signed":   {string(later.Text()) + "\n" + overLater, 404},
		"no signature line":             {string(s.Text()) + "\n", 400},
		"not a checkpoint":              {"hello\n\n— x AAAAAAA=\n", 400},
		"garbage":                       {"\x00\xff", 400},
		"the log's own note, sent back": {string(s.Note), 400},
	} {
		if code, body := post(tc.body); code != tc.want {
			t.Errorf("%s: %d, want %d: %s", name, code, tc.want, body)
		}
	}
	if n := e.count(`SELECT count(*) FROM log_cosignatures`); n != 0 {
		t.Fatalf("%d cosignatures stored from refused submissions", n)
	}
	// Twenty identical submissions at once: one line stored.
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if code, body := post(string(s.Text()) + "\n" + good); code != 200 {
				t.Errorf("good cosignature: %d %s", code, body)
			}
		}()
	}
	wg.Wait()
	if n := e.count(`SELECT count(*) FROM log_cosignatures`); n != 1 {
		t.Fatalf("%d cosignature rows, want 1", n)
	}
	_, body := e.get("/api/v1/log/checkpoint")
	got, err := e.logPolicy(t).Open(body)
	if err != nil || !e.logPolicy(t).Witnessed(got) || got.Witnessed[0] != witnessName {
		t.Fatalf("served checkpoint not witnessed: %v %+v", err, got.Witnessed)
	}
}

// TestVerifyCatchesAnyStoredByte: flipping any single byte of any stored
// leaf or tile (hashes or leaves, any level) is caught by hoso verify's
// log audit.
func TestVerifyCatchesAnyStoredByte(t *testing.T) {
	e := startServer(t, withLog(nil))
	c := e.courier("buuta1")
	for i := 0; i < 30; i++ {
		n := e.createPickup(fmt.Sprintf("000.00.19.BYTE-%d", i))
		e.assign("buuta1", n)
		_, res := c.send(ev("pickup.attempt_failed", n, map[string]any{"reason": "not_home"}))
		wantStatuses(t, "attempt", res, "accepted")
	}
	s := e.waitCheckpoint(t)
	audit := &app.LogAudit{Store: e.db, Policy: e.sys.tlog.Policy}
	if rep, err := audit.Verify(context.Background(), nil); err != nil || rep.Break != "" || rep.Leaves != s.Size {
		t.Fatalf("clean log: %+v %v", rep, err)
	}
	type target struct {
		table, col, where string
		length            int
	}
	var targets []target
	for i := int64(0); i < s.Size; i++ {
		targets = append(targets, target{"log_leaves", "body", fmt.Sprintf("idx = %d", i), e.count(`SELECT length(body) FROM log_leaves WHERE idx = ?`, i)})
	}
	for _, tl := range translog.EdgeTiles(s.Size) {
		targets = append(targets, target{"log_tiles", "hashes", fmt.Sprintf("level = %d AND n = %d", tl.Level, tl.N), e.count(`SELECT length(hashes) FROM log_tiles WHERE level = ? AND n = ?`, tl.Level, tl.N)})
	}
	rng := mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for k := 0; k < 40; k++ {
		tg := targets[rng.IntN(len(targets))]
		pos := rng.IntN(tg.length)
		flip := 1 + rng.IntN(255)
		sql := fmt.Sprintf(`UPDATE %s SET %s = set_byte(%s, %d, get_byte(%s, %d) # %d) WHERE %s`, tg.table, tg.col, tg.col, pos, tg.col, pos, flip, tg.where)
		e.tamper(sql)
		rep, err := audit.Verify(context.Background(), nil)
		if err != nil || rep.Break == "" {
			t.Fatalf("byte %d of %s %s changed: not caught (%v)", pos, tg.table, tg.where, err)
		}
		e.tamper(sql) // xor again restores it
	}
	if rep, err := audit.Verify(context.Background(), nil); err != nil || rep.Break != "" {
		t.Fatalf("restored log: %+v %v", rep, err)
	}
}

func hexDecode(s string) ([]byte, error) { return hex.DecodeString(s) }

// TestCallbacksCarryTheCheckpoint: once the log has a checkpoint, every
// callback carries the latest one the server has seen, with its
// cosignatures, so every portal holds a copy to check the log against.
func TestCallbacksCarryTheCheckpoint(t *testing.T) {
	e := startServer(t, withLog(nil))
	p := newCallbackPortal(t, "dvc-log", func(int) int { return 200 })
	pc := callbackClient(t, e, "dvc-log", p)
	fastRelay(t, e)
	e.createPickup("000.00.19.CP-0")
	e.waitCheckpoint(t)
	waitUntil(t, 5*time.Second, "the server sees the checkpoint", func() bool { return e.sys.tlog.Latest() != nil })
	r := pc.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.CP-1")), "cp-1")
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	waitUntil(t, 30*time.Second, "the callback", func() bool { return len(p.applied()) == 1 })
	cb := p.applied()[0]
	s, err := e.logPolicy(t).Open([]byte(cb.LogCheckpoint))
	if err != nil || s.Size < 1 {
		t.Fatalf("callback's checkpoint: %v %+v\n%q", err, s, cb.LogCheckpoint)
	}
}

// TestPapersCarryTheLog: once the log has a witnessed checkpoint, the
// printed door receipt, delivery receipt and handover record name their
// events' leaf indexes, and the handover record's proof page gives each
// hand-off's tlog-proof, which verifies with the public keys only.
func TestPapersCarryTheLog(t *testing.T) {
	e := startServer(t, withLog(map[string]string{"HOSO_LOG_WITNESSES": witnessVkey(t)}))
	f := makePaperFixture(t, e)
	e.waitCheckpoint(t)
	// Before any witness has co-signed, the receipt has no proof yet and
	// its page says why; it gets one on the next view after.
	code := e.receiptCodeOf(f.p2)
	if _, body := e.get("/bien-nhan/" + code + ".json"); bytes.Contains(body, []byte(translog.ProofHeader)) {
		t.Fatal("a proof before any witnessed checkpoint")
	}
	if _, page := e.get("/bien-nhan/" + code); !strings.Contains(string(page), "chưa có điểm kiểm được nhân chứng ký") {
		t.Error("the page does not say the proof is pending")
	}
	// The witness co-signs (in process here; the attack test runs it as a
	// separate process).
	seed, _ := hexDecode(witnessSeed)
	wk, _ := translog.NewWitnessKey(seed, witnessName, nil)
	c, err := e.sys.tlog.Published(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	s, _ := e.logPolicy(t).Open(c.Note)
	line, _ := wk.Cosign(s.Text())
	if _, err := e.sys.tlog.AddCosignature(context.Background(), append(append(s.Text(), '\n'), line...)); err != nil {
		t.Fatal(err)
	}
	if _, body := e.get("/bien-nhan/" + code + ".json"); !bytes.Contains(body, []byte(translog.ProofHeader)) {
		t.Fatal("no proof on the view after the witness co-signed")
	}
	if _, page := e.get("/bien-nhan/" + code); !strings.Contains(string(page), "Đã kiểm tra") || !strings.Contains(string(page), witnessName) {
		t.Error("the page does not show the proof checked")
	}
	admin := e.login("quantri")
	for name, tc := range map[string]struct{ path, want string }{
		"door receipt":     {"/nhan-vien/in/bien-nhan/" + f.p2, "sự kiện thu gom này là mục số"},
		"delivery receipt": {"/nhan-vien/in/phieu-giao/" + f.r1, "sự kiện giao kết quả này là mục số"},
		"handover record":  {"/nhan-vien/in/bien-ban/" + f.manifest, f.p2 + ": giao mục"},
	} {
		resp, err := admin.c.Get(e.base + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %.200s", name, resp.StatusCode, body)
		}
		txt := strings.Join(strings.Fields(pdfText(t, "log-"+strings.ReplaceAll(name, " ", "-"), body)), " ")
		if !strings.Contains(txt, tc.want) {
			t.Errorf("%s does not name its leaf (%q):\n%.800s", name, tc.want, txt)
		}
	}
	var proofs struct {
		Manifest string `json:"manifest"`
		Items    []struct {
			TrackingNumber string `json:"tracking_number"`
			Released       struct {
				Index     *int64 `json:"index"`
				Leaf      string `json:"leaf"`
				TlogProof string `json:"tlog_proof"`
			} `json:"released"`
			Closed *struct {
				Leaf      string `json:"leaf"`
				TlogProof string `json:"tlog_proof"`
			} `json:"closed"`
		} `json:"items"`
	}
	if code := admin.getJSON("/nhan-vien/in/bien-ban/"+f.manifest+"/bang-chung", &proofs); code != 200 || len(proofs.Items) != 1 || proofs.Items[0].Closed == nil {
		t.Fatalf("handover proofs: %d %+v", code, proofs)
	}
	pol, _ := translog.NewPolicy(e.sys.tlog.Key.Vkey(), []string{witnessVkey(t)}, 0)
	for _, p := range []struct{ leaf, proof string }{{proofs.Items[0].Released.Leaf, proofs.Items[0].Released.TlogProof},
		{proofs.Items[0].Closed.Leaf, proofs.Items[0].Closed.TlogProof}} {
		pr, err := translog.ParseProof([]byte(p.proof))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pol.VerifyProof(pr, []byte(p.leaf)); err != nil {
			t.Errorf("handover proof: %v", err)
		}
	}
	// A desk outside the hand-off may not read them.
	if code, _ := e.login("motcuaxa").get("/nhan-vien/in/bien-ban/" + f.manifest + "/bang-chung"); code != 403 {
		t.Errorf("another desk reads the handover proofs: %d", code)
	}
}
