package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"hoso/internal/app"
	"hoso/internal/config"
	"hoso/internal/receipts"
	"hoso/internal/translog"
	"hoso/tracking"
)

// The attacks, scripted as someone holding the database and every
// key but the witnesses' would do them: triggers bypassed
// (session_replication_role = replica), every chain hash, projection row,
// daily root, log leaf, tile and checkpoint recomputed consistently with
// the code's own rules and keys, receipts re-signed. Each is then caught by
// three parties who do not rely on each other:
//
//  1. `hoso verify` held to the witnessed checkpoint (the one in the
//     database, and a witness's state file given with --checkpoint);
//  2. the witness, run as a separate process of the built binary: it
//     refuses to co-sign (fork or rollback) and exits non-zero;
//  3. the citizen's saved receipt: its inclusion proof, fetched from the
//     log as served now and checked offline against the checkpoint saved
//     in the receipt, fails.
//
// The projection-only edit touches no event: the log has nothing to
// object to (the witness co-signs, the receipt's proof holds), so it is
// caught by `hoso verify` rebuilding projections from the events, and the
// public page, which derives the holder from the events, never shows it.

const (
	witnessSeed = "7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a7a"
	witnessName = "thanhtra.thainguyen.example/witness"
)

func witnessVkey(t *testing.T) string {
	t.Helper()
	seed, _ := hex.DecodeString(witnessSeed)
	k, err := translog.NewWitnessKey(seed, witnessName, nil)
	if err != nil {
		t.Fatal(err)
	}
	return k.Vkey()
}

// buildHoso builds the binary the witness runs as.
func buildHoso(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "hoso")
	build := exec.Command("go", "build", "-o", bin, "./cmd/hoso")
	build.Dir = repoRoot(t)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// attackWorld is a server with a witness configured, four parcels, the
// witness's state after its first round and the citizens' saved receipts.
type attackWorld struct {
	t        *testing.T
	e        *testEnv
	bin      string
	state    string // the witness's state file
	dir      string
	disputed string            // parcel A: collected, released to the desk, disputed, declared lost
	last     string            // parcel B: collected, then released (the last event)
	moved    string            // parcel C: collected (its projection will be edited)
	door     string            // parcel D: collected (its collection will be rewritten)
	saved    map[string]string // tracking number → the citizen's saved receipt file
}

func newAttackWorld(t *testing.T, bin string) *attackWorld {
	e := startServer(t, withLog(map[string]string{"HOSO_LOG_WITNESSES": witnessVkey(t)}))
	w := &attackWorld{t: t, e: e, bin: bin, dir: t.TempDir(), saved: map[string]string{}}
	w.state = filepath.Join(w.dir, "witness-state")
	c := e.courier("buuta1")
	create := func(code string) string {
		n := e.createPickup(code)
		_, res := c.send(collectEvent(c, n, "NP-"+n[2:9]))
		wantStatuses(t, "collect "+n, res, "accepted")
		return n
	}
	w.disputed, w.last, w.moved, w.door = create("000.00.19.ATK-A"), create("000.00.19.ATK-B"), create("000.00.19.ATK-C"), create("000.00.19.ATK-D")
	_, res := c.send(ev("handoff.released", w.disputed, map[string]any{"to": "desk:TN-TTPVHCC"}), ev("handoff.released", w.last, map[string]any{"to": "post_office:BC-05443"}))
	wantStatuses(t, "release", res, "accepted", "accepted")
	desk := e.login("motcua")
	short := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 0, "condition": "missing"}, {"line": 3, "count": 2}}
	wantStatuses(t, "desk counts short", desk.events(ev("handoff.confirmed", w.disputed, map[string]any{"seal_intact": true, "seal_id": "NP-" + w.disputed[2:9], "documents": short})), "accepted")
	is, err := e.db.FindIncidents(context.Background(), app.AlarmFilter{}, true)
	if err != nil || len(is) != 1 {
		t.Fatalf("incidents %d %v", len(is), err)
	}
	users, err := e.db.FindUserByUsername(context.Background(), "dieuphoi")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sys.cases.DeclareLost(context.Background(), users, is[0].ID, "Không tìm thấy sau 48 giờ"); err != nil {
		t.Fatal(err)
	}
	// The log is sequenced and signed; the witness co-signs.
	e.waitCheckpoint(t)
	if out, err := w.witness(); err != nil || !strings.Contains(out, "OK: co-signed") {
		t.Fatalf("witness, first round: %v\n%s", err, out)
	}
	// The citizens save their receipts, with proofs under the witnessed
	// checkpoint; they verify offline.
	for _, n := range []string{w.disputed, w.last, w.moved, w.door} {
		resp, body := e.get("/bien-nhan/" + e.receiptCodeOf(n) + ".json")
		if resp.StatusCode != 200 || !bytes.Contains(body, []byte(translog.ProofHeader)) {
			t.Fatalf("receipt of %s: %d, proof missing:\n%s", n, resp.StatusCode, body)
		}
		f := filepath.Join(w.dir, n+".json")
		if err := os.WriteFile(f, body, 0o600); err != nil {
			t.Fatal(err)
		}
		w.saved[n] = f
		if out, err := w.verifyReceipt(f); err != nil || !strings.Contains(out, "LOG PROOF OK") || !strings.Contains(out, "LOG OK NOW") {
			t.Fatalf("saved receipt of %s before any attack: %v\n%s", n, err, out)
		}
	}
	// Offline, without the network: the file alone and the public keys.
	pub, _, _ := receiptKeyFrom("", false, envFunc(nil))
	offline := func(file string) (string, error) {
		return runCmd(t, map[string]string{"HOSO_LOG_KEY": "", "HOSO_RECEIPT_KEY": ""}, "verify-receipt", "--key", pub.String(),
			"--log-key", e.sys.tlog.Key.Vkey(), "--witness", witnessVkey(t), "--require-proof", file)
	}
	if out, err := offline(w.saved[w.door]); err != nil || !strings.Contains(out, "LOG PROOF OK") {
		t.Fatalf("saved receipt offline: %v\n%s", err, out)
	}
	// A file whose proof was edited (another index) fails offline.
	raw, _ := os.ReadFile(w.saved[w.door])
	var doc map[string]any
	_ = json.Unmarshal(raw, &doc)
	doc["proof"] = strings.Replace(doc["proof"].(string), "\nindex ", "\nindex 1", 1)
	edited := filepath.Join(w.dir, "edited.json")
	b, _ := json.Marshal(doc)
	_ = os.WriteFile(edited, b, 0o600)
	if out, err := offline(edited); !errors.Is(err, errNotGenuine) || !strings.Contains(out, "LOG PROOF FAILED") {
		t.Fatalf("edited proof: %v\n%s", err, out)
	}
	if out, err := w.verify(); err != nil {
		t.Fatalf("verify before any attack: %v\n%s", err, out)
	}
	return w
}

// witness runs one round of `hoso witness` as a separate process.
func (w *attackWorld) witness() (string, error) {
	cmd := exec.Command(w.bin, "witness", "--log", w.e.base+"/api/v1/log", "--log-key", w.e.sys.tlog.Key.Vkey(),
		"--name", witnessName, "--state", w.state)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOSO_WITNESS_KEY=" + witnessSeed}
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// verifyReceipt checks a saved receipt with the public keys only, offline
// and against the log as served now.
func (w *attackWorld) verifyReceipt(file string, extra ...string) (string, error) {
	pub, _, err := receiptKeyFrom("", false, envFunc(nil))
	if err != nil {
		w.t.Fatal(err)
	}
	args := append([]string{"verify-receipt", "--key", pub.String(), "--log-key", w.e.sys.tlog.Key.Vkey(), "--witness", witnessVkey(w.t),
		"--log", w.e.base + "/api/v1/log"}, extra...)
	return runCmd(w.t, map[string]string{"HOSO_LOG_KEY": "", "HOSO_RECEIPT_KEY": ""}, append(args, file)...)
}

// verify runs `hoso verify` with the server's configuration.
func (w *attackWorld) verify(args ...string) (string, error) {
	return runCmd(w.t, map[string]string{"HOSO_DATABASE_URL": w.e.url, "HOSO_LOG_WITNESSES": witnessVkey(w.t), "HOSO_LOG_ORIGIN": w.e.sys.tlog.Key.Origin()},
		append([]string{"verify"}, args...)...)
}

// detected asserts the three parties' verdicts after an attack.
func (w *attackWorld) detected(victim string, witnessRefuses, receiptFails bool, verifyWant string) {
	t := w.t
	t.Helper()
	// 1. hoso verify, against the witnessed checkpoint in the database and
	// against the witness's own state file.
	for _, args := range [][]string{nil, {"--checkpoint", w.state}} {
		out, err := w.verify(args...)
		if !errors.Is(err, errBroken) || !strings.Contains(out, "BROKEN") || !strings.Contains(out, verifyWant) {
			t.Errorf("hoso verify %v did not catch it (%v), want %q:\n%s", args, err, verifyWant, out)
		} else {
			t.Logf("hoso verify %v → %s", args, brokenLine(out))
		}
	}
	// 2. The witness, a separate process.
	before, _ := os.ReadFile(w.state)
	out, err := w.witness()
	var exit *exec.ExitError
	if witnessRefuses {
		if !errors.As(err, &exit) || exit.ExitCode() == 0 || !strings.Contains(out, "REFUSED") {
			t.Errorf("the witness co-signed (%v):\n%s", err, out)
		} else {
			t.Logf("witness → %s", strings.SplitN(out, "\n", 2)[0])
		}
		if after, _ := os.ReadFile(w.state); !bytes.Equal(before, after) {
			t.Error("the refusing witness changed its state")
		}
	} else if err != nil || !strings.Contains(out, "OK: co-signed") {
		t.Errorf("the log did not change, yet the witness refused (%v):\n%s", err, out)
	}
	// 3. The citizen's saved receipt.
	out, err = w.verifyReceipt(w.saved[victim])
	if receiptFails {
		if !errors.Is(err, errNotGenuine) || !strings.Contains(out, "LOG PROOF OK") || !strings.Contains(out, "LOG CHANGED") {
			t.Errorf("the saved receipt of %s did not catch it (%v):\n%s", victim, err, out)
		} else {
			t.Logf("saved receipt → %s", lastLineOf(out))
		}
	} else if err != nil {
		t.Errorf("the log did not change, yet the saved receipt fails (%v):\n%s", err, out)
	}
}

func brokenLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "BROKEN") {
			return l
		}
	}
	return lastLineOf(out)
}

// attacker holds the database and every key but the witnesses'.
type attacker struct {
	t *testing.T
	e *testEnv
}

// chain returns a parcel's events and their global sequence numbers.
func (a attacker) chain(number string) (app.Parcel, []tracking.Event, map[string]int64) {
	a.t.Helper()
	ctx := context.Background()
	p, err := a.e.db.FindParcelByNumber(ctx, number)
	if err != nil {
		a.t.Fatal(err)
	}
	evs, err := a.e.db.FindEvents(ctx, p.ID)
	if err != nil {
		a.t.Fatal(err)
	}
	seqs := map[string]int64{}
	for _, ev := range evs {
		seqs[ev.ID] = int64(a.e.count(`SELECT seq FROM events WHERE id = ?`, ev.ID))
	}
	return p, evs, seqs
}

// forgeDeviceSignature registers a device key of the attacker's for the
// courier who signed d (a key row dated like d's, with a device id of its
// own) and returns d re-signed with it over the signed text whose data
// edit changed.
func (a attacker) forgeDeviceSignature(d *tracking.DeviceSig, edit func([]byte) []byte) *tracking.DeviceSig {
	a.t.Helper()
	if d == nil {
		a.t.Fatal("the event has no device signature to forge")
	}
	s, err := tracking.ParseSignedText(d.Signed)
	if err != nil {
		a.t.Fatal(err)
	}
	s.Data = edit(s.Data)
	signed := tracking.SignedText(s)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		a.t.Fatal(err)
	}
	spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		a.t.Fatal(err)
	}
	sum := sha256.Sum256(signed)
	sig, err := ecdsa.SignASN1(rand.Reader, key, sum[:])
	if err != nil {
		a.t.Fatal(err)
	}
	id := int64(a.e.count(`SELECT coalesce(max(id), 0) + 1000 FROM device_keys`))
	a.e.tamper(`INSERT INTO device_keys (id, user_id, device_id, alg, public_key, created_at)
		SELECT ?, user_id, 'forged-device', 'ES256', ?, created_at FROM device_keys WHERE id = ?`, id, spki, d.KeyID)
	out := *d
	out.KeyID, out.KeyAlg, out.PublicKey, out.KeyRevoked = id, "ES256", spki, nil
	out.Signed, out.Signature = signed, sig
	return &out
}

// decide makes ev what the rules would have recorded after the events
// before it: a forgery that follows the rules.
func (a attacker) decide(p app.Parcel, before []tracking.Event, ev tracking.Event) tracking.Event {
	a.t.Helper()
	proj, brk := tracking.Replay(p.Number, p.Leg, p.Documents, p.DeskCode, before, tracking.DefaultPolicy)
	if brk != nil {
		a.t.Fatal(brk)
	}
	out, err := tracking.Decide(proj.State, ev, tracking.DefaultPolicy, uuid.NewString)
	if err != nil {
		a.t.Fatalf("the rules refuse the forgery: %v", err)
	}
	ev.Type, ev.UPU, ev.Data = out.Type, out.UPU, out.Data
	return ev
}

// rewriteParcel replaces a parcel's events with evs, re-seals the chain,
// and regenerates every projection row from the rules, as the ledger's
// store would have written them.
func (a attacker) rewriteParcel(p app.Parcel, evs []tracking.Event, seqs map[string]int64) []tracking.Event {
	a.t.Helper()
	var prev []byte
	for i := range evs {
		evs[i].Seal(i, prev)
		prev = evs[i].Hash
	}
	proj, brk := tracking.Replay(p.Number, p.Leg, p.Documents, p.DeskCode, evs, tracking.DefaultPolicy)
	if brk != nil {
		a.t.Fatalf("the forged chain breaks the rules: %v", brk)
	}
	var q strings.Builder
	var params []any
	add := func(sql string, ps ...any) { q.WriteString(sql + ";\n"); params = append(params, ps...) }
	add(`SET session_replication_role = replica`)
	for _, table := range []string{"lost_cases", "incidents", "handoffs", "custody", "events"} {
		add(`DELETE FROM `+table+` WHERE parcel_id = ?`, p.ID)
	}
	for _, ev := range evs {
		var dev any
		if ev.DeviceAt != nil {
			dev = *ev.DeviceAt
		}
		// The device's signature stays as the courier made it (the
		// attacker cannot sign for the phone); the hash covers it.
		var keyID, signed, signature any
		if ev.Device != nil {
			keyID, signed, signature = ev.Device.KeyID, ev.Device.Signed, ev.Device.Signature
		}
		add(`INSERT INTO events (seq, id, parcel_id, parcel_seq, type, upu_code, actor_kind, actor_ref, device_at, server_at, lat, lng, data, prev_hash, hash,
			form, device_key_id, device_signed, device_signature)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, seqs[ev.ID], ev.ID, p.ID, ev.Seq, string(ev.Type), ev.UPU, string(ev.Actor.Kind), ev.Actor.Ref,
			dev, ev.ServerAt, ev.Lat, ev.Lng, string(ev.Data), ev.PrevHash, ev.Hash, ev.Form, keyID, signed, signature)
	}
	for _, c := range proj.Custody {
		var toEv, toAt any
		if c.ToEvent != "" {
			toEv, toAt = c.ToEvent, c.ToAt
		}
		add(`INSERT INTO custody (parcel_id, holder_kind, holder_ref, from_event, from_at, to_event, to_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			p.ID, string(c.Holder.Kind), c.Holder.Ref, c.FromEvent, c.FromAt, toEv, toAt)
	}
	for _, h := range proj.Handoffs {
		var cEv, cAt any
		if h.ClosedEvent != "" {
			cEv, cAt = h.ClosedEvent, h.ClosedAt
		}
		add(`INSERT INTO handoffs (id, parcel_id, giver_kind, giver_ref, receiver_kind, receiver_ref, status, released_event, released_at, deadline, closed_event, closed_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, h.ID, p.ID, string(h.Giver.Kind), h.Giver.Ref, string(h.Receiver.Kind), h.Receiver.Ref, h.Status,
			h.ReleasedEvent, h.ReleasedAt, h.ReleasedAt.Add(30*time.Minute), cEv, cAt)
	}
	for _, in := range proj.Incidents {
		add(`INSERT INTO incidents (id, parcel_id, handoff_id, event_id, problem, missing_lines, last_custodian_kind, last_custodian_ref, note, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, uuid.NewString(), p.ID, in.HandoffID, in.EventID, in.Problem, fmt.Sprintf("{%s}", strings.Trim(fmt.Sprint(in.MissingLines), "[]")),
			string(in.LastCustodian.Kind), in.LastCustodian.Ref, in.Note, in.At)
	}
	st := proj.State
	add(`UPDATE parcels SET status = ?, custodian_kind = ?, custodian_ref = ?, attempts = ?, seal_id = ?, event_count = ?, last_hash = ? WHERE id = ?`,
		string(st.Status), string(st.Custodian.Kind), st.Custodian.Ref, st.Attempts, st.SealID, proj.Count, proj.LastHash, p.ID)
	add(`UPDATE parcel_documents SET missing_since = NULL, last_custodian = NULL, collected_count = NULL, condition = NULL WHERE parcel_id = ?`, p.ID)
	for _, c := range st.Collected {
		add(`UPDATE parcel_documents SET collected_count = ?, condition = ? WHERE parcel_id = ? AND line = ?`, c.Count, c.Condition, p.ID, c.Line)
	}
	add(`SELECT pg_notify('hoso_public', '*')`)
	add(`SET session_replication_role = DEFAULT`)
	if err := a.e.db.ExecForTest(context.Background(), q.String(), params...); err != nil {
		a.t.Fatalf("rewrite: %v", err)
	}
	return evs
}

// rebuildLog recomputes the transparency log from the ledger as it now
// is (leaves of deleted events dropped, the rest renumbered), every tile
// and the head, and signs a checkpoint of the new tree with the log's key.
// Without keepCheckpoints every old checkpoint and cosignature goes first;
// with it they stay (the attacker edits under a running server, which
// goes on signing checkpoints of the forged tree as events arrive).
func (a attacker) rebuildLog(keepCheckpoints bool) translog.Checkpoint {
	a.t.Helper()
	ctx := context.Background()
	old, err := a.e.db.LogLeaves(ctx, 0, 1<<30)
	if err != nil {
		a.t.Fatal(err)
	}
	ids := make([]string, len(old))
	for i, l := range old {
		ids[i] = l.Ref
	}
	evs, err := a.e.db.EventsByID(ctx, ids)
	if err != nil {
		a.t.Fatal(err)
	}
	var bodies [][]byte
	for _, l := range old {
		if ev, ok := evs[l.Ref]; ok {
			bodies = append(bodies, translog.EventLeaf(ev.ID, string(ev.Type), ev.ServerAt, ev.Hash).Bytes())
		}
	}
	aud := translog.NewAuditor()
	hashes := make([]translog.Hash, len(bodies))
	for i, b := range bodies {
		hashes[i] = translog.LeafHash(b)
	}
	tiles, err := aud.Add(hashes)
	if err != nil {
		a.t.Fatal(err)
	}
	var q strings.Builder
	var params []any
	add := func(sql string, ps ...any) { q.WriteString(sql + ";\n"); params = append(params, ps...) }
	add(`SET session_replication_role = replica`)
	add(`DELETE FROM log_leaves`)
	add(`DELETE FROM log_tiles`)
	if !keepCheckpoints {
		add(`DELETE FROM log_cosignatures`)
		add(`DELETE FROM log_checkpoints`)
	}
	for i, b := range bodies {
		l, _ := translog.ParseLeaf(b)
		add(`INSERT INTO log_leaves (idx, kind, ref, body, sequenced_at) VALUES (?, 'event', ?, ?, now())`, i, l.ID, b)
	}
	final := map[translog.TileKey][]byte{}
	for _, td := range tiles {
		final[td.Key()] = td.Data
	}
	for k, d := range final {
		add(`INSERT INTO log_tiles (level, n, hashes) VALUES (?, ?, ?)`, k.Level, k.N, d)
	}
	size := int64(len(bodies))
	root := aud.Root()
	add(`UPDATE log_head SET size = ?, root = ?, updated_at = now()`, size, root[:])
	seed, _ := hex.DecodeString(testKeys["HOSO_LOG_KEY"])
	key, err := translog.NewLogKey(seed, a.e.sys.tlog.Key.Origin())
	if err != nil {
		a.t.Fatal(err)
	}
	cp := translog.Checkpoint{Origin: key.Origin(), Size: size, Root: root, Time: time.Now().UTC().Truncate(time.Second)}
	note, err := key.SignCheckpoint(cp)
	if err != nil {
		a.t.Fatal(err)
	}
	add(`INSERT INTO log_checkpoints (size, root, note, signed_at) VALUES (?, ?, ?, ?) ON CONFLICT (size) DO NOTHING`, size, root[:], string(note), cp.Time)
	add(`SET session_replication_role = DEFAULT`)
	if err := a.e.db.ExecForTest(ctx, q.String(), params...); err != nil {
		a.t.Fatalf("rebuild log: %v", err)
	}
	return cp
}

// resealRoots recomputes the daily roots (sealed as if the day were over).
func (a attacker) resealRoots(seal bool) {
	a.t.Helper()
	a.e.tamper(`DELETE FROM ledger_roots`)
	if !seal {
		return
	}
	v := &app.Verifier{Store: a.e.db, Now: func() time.Time { return time.Now().AddDate(0, 0, 1).Add(app.SealGrace) }, Zone: config.Vietnam}
	if n, err := v.SealDays(context.Background()); err != nil || n < 1 {
		a.t.Fatalf("SealDays = %d, %v", n, err)
	}
}

// resign re-signs a parcel's stored receipt after its event was
// rewritten, with the receipt key.
func (a attacker) resign(number string, edit func(r *tracking.Receipt), eventHash []byte) {
	a.t.Helper()
	ctx := context.Background()
	st, err := a.e.db.FindReceipt(ctx, a.e.receiptCodeOf(number))
	if err != nil {
		a.t.Fatal(err)
	}
	r, err := tracking.ParseReceipt(st.Content)
	if err != nil {
		a.t.Fatal(err)
	}
	edit(&r)
	r.EventHash = hex.EncodeToString(eventHash)
	seed, _ := hex.DecodeString(testKeys["HOSO_RECEIPT_KEY"])
	k, err := receipts.NewKey(seed)
	if err != nil {
		a.t.Fatal(err)
	}
	sig, err := k.Sign(r)
	if err != nil {
		a.t.Fatal(err)
	}
	a.e.tamper(`UPDATE receipts SET content = ?::jsonb, signature = ? WHERE code = ?`, string(r.JSON()), sig, st.Code)
}

func TestConsistentRewriteDetectedByThreeParties(t *testing.T) {
	bin := buildHoso(t)

	t.Run("disputed hand-off rewritten into a clean confirmation", func(t *testing.T) {
		w := newAttackWorld(t, bin)
		a := attacker{t, w.e}
		// Seal the day first, so the attacker has daily roots to recompute.
		a.resealRoots(true)
		p, evs, seqs := a.chain(w.disputed)
		k := len(evs) - 1
		if evs[k].Type != tracking.HandoffDisputed {
			t.Fatalf("last event of %s is %s", w.disputed, evs[k].Type)
		}
		forged := evs[k]
		forged.Type = tracking.HandoffConfirmed
		forged.Data, _ = json.Marshal(map[string]any{"seal_intact": true, "seal_id": "NP-" + w.disputed[2:9], "documents": collectDocs})
		evs[k] = a.decide(p, evs[:k], forged)
		a.rewriteParcel(p, evs, seqs)
		a.resealRoots(true)
		cp := a.rebuildLog(false)
		t.Logf("forged checkpoint: size %d root %s", cp.Size, cp.Root)
		// What the attack achieved: the desk holds the parcel, no incident,
		// no lost-original case, and chains, roots and projections agree.
		if kind, ref := w.e.custodian(w.disputed); kind != "desk" || ref != "TN-TTPVHCC" {
			t.Fatalf("the forgery did not move the blame: %s %s", kind, ref)
		}
		if n := w.e.count(`SELECT count(*) FROM incidents`) + w.e.count(`SELECT count(*) FROM lost_cases`); n != 0 {
			t.Fatalf("%d incident rows left", n)
		}
		v := &app.Verifier{Store: w.e.db, Now: time.Now, Zone: config.Vietnam, Projections: w.e.db}
		if rep, err := v.Verify(context.Background(), time.Time{}, nil); err != nil || !rep.OK() {
			t.Fatalf("the forgery should pass every check but the log's: %+v %v", rep, err)
		}
		w.detected(w.disputed, true, true, "BROKEN: transparency log")
		if out, _ := w.verify(); !strings.Contains(out, "no checkpoint co-signed by the witnesses") {
			t.Errorf("verify does not say the witnessed checkpoints are gone:\n%s", out)
		}
		if out, _ := w.verify("--checkpoint", w.state); !strings.Contains(out, "co-signed by "+witnessName) {
			t.Errorf("verify against the witness's state does not name the witness:\n%s", out)
		}
		if out, _ := w.witness(); !strings.Contains(out, "fork") {
			t.Errorf("witness: %s", out)
		}
	})

	t.Run("the last event deleted and the head rolled back", func(t *testing.T) {
		w := newAttackWorld(t, bin)
		a := attacker{t, w.e}
		p, evs, seqs := a.chain(w.last)
		if evs[len(evs)-1].Type != tracking.HandoffReleased {
			t.Fatalf("last event of %s is %s", w.last, evs[len(evs)-1].Type)
		}
		a.rewriteParcel(p, evs[:len(evs)-1], seqs)
		a.resealRoots(false)
		a.rebuildLog(false)
		v := &app.Verifier{Store: w.e.db, Now: time.Now, Zone: config.Vietnam, Projections: w.e.db}
		if rep, err := v.Verify(context.Background(), time.Time{}, nil); err != nil || !rep.OK() {
			t.Fatalf("the deletion should pass every check but the log's: %+v %v", rep, err)
		}
		w.detected(w.last, true, true, "BROKEN: transparency log")
		if out, _ := w.verify("--checkpoint", w.state); !strings.Contains(out, "missing at the tail") {
			t.Errorf("verify against the witness's state:\n%s", out)
		}
		// The witness names it a rollback.
		if out, _ := w.witness(); !strings.Contains(out, "rollback") {
			t.Errorf("witness: %s", out)
		}
	})

	t.Run("projection edited with no event", func(t *testing.T) {
		w := newAttackWorld(t, bin)
		p, err := w.e.db.FindParcelByNumber(context.Background(), w.moved)
		if err != nil {
			t.Fatal(err)
		}
		w.e.tamper(`UPDATE parcels SET custodian_kind = 'desk', custodian_ref = 'TN-TTPVHCC' WHERE id = ?;
			UPDATE custody SET holder_kind = 'desk', holder_ref = 'TN-TTPVHCC' WHERE parcel_id = ? AND to_event IS NULL;
			SELECT pg_notify('hoso_public', '*')`, p.ID, p.ID)
		// The log holds no projection: the witness co-signs, the receipt's
		// proof holds. hoso verify rebuilds the projection from the events.
		w.detected(w.moved, false, false, "custodian: the events give courier:BUUTA1, stored desk:TN-TTPVHCC")
		// The public page tells the holder from the events, not the edited
		// row.
		deadline := time.Now().Add(5 * time.Second)
		for {
			_, body := w.e.get("/api/v1/public/track/" + w.moved)
			var v struct {
				Status string `json:"status"`
				Holder string `json:"holder"`
			}
			_ = json.Unmarshal(body, &v)
			if strings.HasPrefix(v.Holder, "Bưu tá") && v.Status == "collected" {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the public page shows the edited projection: %s", body)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})

	t.Run("the collection a receipt records rewritten and the receipt re-signed", func(t *testing.T) {
		w := newAttackWorld(t, bin)
		a := attacker{t, w.e}
		p, evs, seqs := a.chain(w.door)
		k := -1
		for i, ev := range evs {
			if ev.Type == tracking.PickupCollected {
				k = i
			}
		}
		// The courier's phone signed the collection: the attacker, who
		// cannot sign with it, registers a device key of their own for the
		// courier (a key row dated before the event) and signs the forged
		// collection with it, so that every chain, signature and key
		// check agrees.
		forged := evs[k]
		partial := func(raw []byte) []byte {
			var m map[string]any
			if err := json.Unmarshal(raw, &m); err != nil {
				t.Fatal(err)
			}
			m["documents"] = []map[string]any{{"line": 1, "count": 1, "condition": "good"},
				{"line": 2, "count": 0, "condition": "missing"}, {"line": 3, "count": 2, "condition": "good"}}
			m["partial"], m["partial_reason"] = true, "Công dân không có giấy xác nhận tình trạng hôn nhân"
			b, _ := json.Marshal(m)
			return b
		}
		forged.Data = partial(forged.Data)
		forged.Device = a.forgeDeviceSignature(forged.Device, partial)
		evs[k] = a.decide(p, evs[:k], forged)
		evs = a.rewriteParcel(p, evs, seqs)
		a.resign(w.door, func(r *tracking.Receipt) {
			r.Documents[1].Count = 0
			r.Partial, r.Note = true, "Công dân không có giấy xác nhận tình trạng hôn nhân"
		}, evs[k].Hash)
		// This time the witnessed checkpoint stays, and the server, which
		// holds the log key, goes on: the next event is logged on the
		// forged tree and a new checkpoint signed.
		a.rebuildLog(true)
		w.e.createPickup("000.00.19.ATK-E")
		w.e.waitCheckpoint(t)
		w.detected(w.door, true, true, "BROKEN: transparency log")
		// The re-signed receipt as the server now serves it: its signature
		// is the server's, but the log cannot prove it under the
		// witnessed checkpoint, so the page says it is not genuine and the
		// JSON carries no proof.
		code := w.e.receiptCodeOf(w.door)
		_, page := w.e.get("/bien-nhan/" + code)
		if !strings.Contains(string(page), "Biên nhận KHÔNG hợp lệ") || !strings.Contains(string(page), "Sổ minh bạch không còn chứng minh") {
			t.Errorf("the page takes the re-signed receipt as genuine")
		}
		_, served := w.e.get("/bien-nhan/" + code + ".json")
		f := filepath.Join(w.dir, "served.json")
		_ = os.WriteFile(f, served, 0o600)
		if out, err := w.verifyReceipt(f); !errors.Is(err, errNotGenuine) {
			t.Errorf("the re-signed receipt verifies (%v):\n%s", err, out)
		} else {
			t.Logf("re-signed receipt as served → %s", lastLineOf(out))
		}
	})
}
