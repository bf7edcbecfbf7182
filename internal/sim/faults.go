package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"hoso/dispatch/travel"
	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/pg"
	"hoso/tracking"
)

func travelModel() (travel.Model, error) { return travel.New(travel.DefaultConfig()) }

// fault is a crash injected between the ledger's store calls.
type fault int

const (
	noFault          fault = iota
	failBeforeLock         // the database is gone before the parcels are locked
	failAfterAppend        // the process dies after the rows are written, before the commit
	bugAfterAppend         // an unforeseen error after the write: the ledger retries item by item
	panicAfterAppend       // a panic after the write, before the commit
	cancelMidBatch         // the request's context ends between the lock and the write
	lostReply              // the commit happens but the answer never reaches the caller
)

var faultNames = map[fault]string{failBeforeLock: "error before lock", failAfterAppend: "error after append", bugAfterAppend: "internal error after append",
	panicAfterAppend: "panic after append", cancelMidBatch: "context cancelled mid-batch", lostReply: "reply lost after commit"}

// injected is the panic value of panicAfterAppend.
type injected struct{}

// faultStore is the ledger's store with one armed crash that fires once.
type faultStore struct {
	*pg.DB
	armed  fault
	fired  bool
	cancel context.CancelFunc
}

func (f *faultStore) fire(k fault) bool {
	if f.armed != k {
		return false
	}
	f.armed, f.fired = noFault, true
	return true
}

// LockParcels locks, or fails first when armed so.
func (f *faultStore) LockParcels(ctx context.Context, numbers []string) (map[string]app.LockedParcel, error) {
	if f.fire(failBeforeLock) {
		return nil, errs.E(errs.Unavailable, "injected: database gone before the lock")
	}
	res, err := f.DB.LockParcels(ctx, numbers)
	if err == nil && f.cancel != nil && f.fire(cancelMidBatch) {
		f.cancel()
	}
	return res, err
}

// AppendEvents writes, then crashes when armed so. After cancelMidBatch
// the real store refuses the write: the adapter checks the context before
// every statement of a transaction and never lets go-pg send a cancel
// request that could race (TestCancelledBatchSparesTheNextQuery).
func (f *faultStore) AppendEvents(ctx context.Context, writes []app.AppendInput) error {
	if err := f.DB.AppendEvents(ctx, writes); err != nil {
		return err
	}
	switch {
	case f.fire(failAfterAppend):
		return errs.E(errs.Unavailable, "injected: connection lost after the write")
	case f.fire(bugAfterAppend):
		return errors.New("injected: unforeseen error after the write")
	case f.fire(panicAfterAppend):
		panic(injected{})
	}
	return nil
}

// faultTx runs the ledger's transactions; armed with lostReply it commits
// and then reports a failure, as when the connection drops after COMMIT.
type faultTx struct {
	db    *pg.DB
	store *faultStore
}

// InTx runs fn in a transaction.
func (t *faultTx) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if err := t.db.InTx(ctx, fn); err != nil {
		return err
	}
	if t.store != nil && t.store.fire(lostReply) {
		return errs.E(errs.Unavailable, "injected: the reply was lost after the commit")
	}
	return nil
}

// arm picks a crash for the next operation, with probability p percent.
func (w *world) arm(p int) {
	w.faults.fired = false
	w.faults.armed = noFault
	if p > 0 && w.rng.IntN(100) < p {
		w.faults.armed = fault(1 + w.rng.IntN(int(lostReply)))
	}
}

// guard runs one staff operation, with a crash armed sometimes. A refusal
// by the rules is fine; so is the failure of an injected crash; anything
// else breaks the run. Panics other than the injected one too.
func (w *world) guard(ctx context.Context, faultable bool, fn func(ctx context.Context) error, parcels ...string) (err error) {
	for _, id := range parcels {
		w.touched[id] = true
	}
	p := 0
	if faultable {
		p = 12
	}
	w.arm(p)
	armed := w.faults.armed
	opCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	w.faults.cancel = cancel
	defer func() {
		w.faults.armed, w.faults.cancel = noFault, nil
		if r := recover(); r != nil {
			if _, ok := r.(injected); ok {
				w.rep.Faults++
				w.tracef("crashed: %s", faultNames[armed])
				err = w.restart(ctx)
				return
			}
			panic(r)
		}
	}()
	err = fn(opCtx)
	if w.faults.fired || errors.Is(opCtx.Err(), context.Canceled) {
		w.rep.Faults++
		w.tracef("crashed: %s (%v)", faultNames[armed], err)
		return w.restart(ctx)
	}
	switch {
	case err == nil:
		w.tracef("done")
		return nil
	case refusal(err):
		w.tracef("refused: %s", errs.MessageOf(err))
		return nil
	}
	return fmt.Errorf("unexpected error (kind %s): %w", errs.KindOf(err), err)
}

// upload sends the courier's queue: all of it in order, shuffled, twice in
// a row, or only its first part; with a crash armed when fault is set.
func (w *world) upload(ctx context.Context, c *device, mode string, fault bool) error {
	if len(c.queue) == 0 {
		return w.idle(ctx)
	}
	batch := append([]queued(nil), c.queue...)
	switch mode {
	case "shuffled":
		w.rng.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
	case "prefix":
		batch = batch[:1+w.rng.IntN(len(batch))]
	}
	sends := 1
	if mode == "twice" {
		sends = 2
	}
	for s := 0; s < sends; s++ {
		p := 0
		if fault && s == 0 {
			p = 100
		}
		if err := w.send(ctx, c, batch, p); err != nil {
			return err
		}
	}
	return nil
}

// send is one upload of a batch. The results decide what leaves the
// phone's queue: accepted and duplicate are acknowledged, rejected is
// shown to the courier and dropped; a failed upload keeps everything.
func (w *world) send(ctx context.Context, c *device, batch []queued, faultPct int) (err error) {
	raws := make([]json.RawMessage, len(batch))
	for i, e := range batch {
		raws[i] = e.Raw
		if n, err := w.db.FindParcelByNumber(ctx, e.TrackingNumber); err == nil {
			w.touched[n.ID] = true
		}
	}
	w.arm(faultPct)
	armed := w.faults.armed
	opCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	w.faults.cancel = cancel
	var res []app.SyncResult
	func() {
		defer func() {
			if r := recover(); r != nil {
				if _, ok := r.(injected); !ok {
					panic(r)
				}
				err = errors.New("injected panic")
			}
		}()
		res, err = w.sync.Apply(opCtx, c.user, c.id, raws)
	}()
	w.faults.armed, w.faults.cancel = noFault, nil
	if w.faults.fired {
		w.rep.Faults++
		w.tracef("upload of %d crashed: %s (%v); the phone keeps them", len(batch), faultNames[armed], err)
		if err == nil {
			// The ledger recovered (it retried item by item) or the commit
			// won the race with the cancellation: the answer reached the
			// phone, then the process died.
			if err := w.settle(c, batch, res, true); err != nil {
				return err
			}
		}
		return w.restart(ctx)
	}
	if err != nil {
		return fmt.Errorf("upload of %d events: unexpected error (kind %s): %w", len(batch), errs.KindOf(err), err)
	}
	return w.settle(c, batch, res, false)
}

// settle applies an upload's answer to the phone. After a crash (crashed)
// the server may answer "rejected, unavailable: send again later" for an
// event it could not keep; the phone keeps such events.
func (w *world) settle(c *device, batch []queued, res []app.SyncResult, crashed bool) error {
	if len(res) != len(batch) {
		return fmt.Errorf("%d results for %d events", len(res), len(batch))
	}
	done := map[string]bool{}
	var summary []string
	for i, r := range res {
		if r.ID != batch[i].ID {
			return fmt.Errorf("result %d names %s, event is %s", i, r.ID, batch[i].ID)
		}
		switch r.Status {
		case "accepted", "duplicate":
			if !w.acked[r.ID] {
				w.acked[r.ID] = true
				w.newAcks = append(w.newAcks, r.ID)
				c.acked = append(c.acked, batch[i])
				w.rep.Events++
			}
			done[r.ID] = true
		case "rejected":
			if crashed && r.Error != nil && r.Error.Code == string(errs.Unavailable) {
				summary = append(summary, batch[i].Type+" kept to send again")
				continue
			}
			if r.Error == nil || r.Error.Code == string(errs.Internal) || r.Error.Code == string(errs.Unavailable) {
				return fmt.Errorf("event %s %s rejected without a refusal: %+v", batch[i].Type, batch[i].TrackingNumber, r.Error)
			}
			if w.acked[r.ID] {
				return fmt.Errorf("acknowledged event %s %s rejected when sent again: %s", batch[i].Type, batch[i].TrackingNumber, r.Error.Message)
			}
			done[r.ID] = true
			w.rep.Rejected++
			summary = append(summary, batch[i].Type+" rejected ("+r.Error.Message+")")
			continue
		default:
			return fmt.Errorf("result status %q", r.Status)
		}
		summary = append(summary, batch[i].Type+" "+r.Status)
	}
	q := c.queue[:0]
	for _, e := range c.queue {
		if !done[e.ID] {
			q = append(q, e)
		}
	}
	c.queue = q
	w.tracef("upload: %s", strings.Join(summary, ", "))
	return nil
}

// resend sends an event the server acknowledged before, as a phone does
// when the answer was lost: it must come back as a duplicate and change
// nothing.
func (w *world) resend(ctx context.Context, c *device) error {
	e := c.acked[w.rng.IntN(len(c.acked))]
	raw := e.Raw
	before, err := w.db.CountForTest(ctx, `SELECT count(*) FROM events`)
	if err != nil {
		return err
	}
	res, err := w.sync.Apply(ctx, c.user, c.id, []json.RawMessage{raw})
	if err != nil {
		return fmt.Errorf("resend: %w", err)
	}
	if len(res) != 1 || res[0].Status != "duplicate" {
		return fmt.Errorf("resent acknowledged event %s %s came back %+v, want duplicate", e.Type, e.TrackingNumber, res)
	}
	after, err := w.db.CountForTest(ctx, `SELECT count(*) FROM events`)
	if err != nil {
		return err
	}
	if after != before {
		return fmt.Errorf("a duplicate wrote %d events", after-before)
	}
	return nil
}

// The promises, each a count that must be zero, over the run's parcels
// (?0 is the office, ?1 the simulated now).
var invariants = []struct{ name, q string }{
	{"one open custody per parcel", `SELECT count(*) FROM parcels p WHERE p.office_code = ?0
		AND (SELECT count(*) FROM custody c WHERE c.parcel_id = p.id AND c.to_event IS NULL) <> 1`},
	{"at most one pending hand-off", `SELECT count(*) FROM parcels p WHERE p.office_code = ?0
		AND (SELECT count(*) FROM handoffs h WHERE h.parcel_id = p.id AND h.status = 'pending') > 1`},
	{"the projection names the open custodian", `SELECT count(*) FROM parcels p JOIN custody c ON c.parcel_id = p.id AND c.to_event IS NULL
		WHERE p.office_code = ?0 AND (c.holder_kind IS DISTINCT FROM p.custodian_kind OR c.holder_ref IS DISTINCT FROM coalesce(p.custodian_ref, ''))`},
	{"event count matches the ledger", `SELECT count(*) FROM parcels p WHERE p.office_code = ?0
		AND p.event_count <> (SELECT count(*) FROM events e WHERE e.parcel_id = p.id)`},
	{"custody moves only by a confirmed hand-off to its receiver", `SELECT count(*) FROM custody c JOIN parcels p ON p.id = c.parcel_id
		JOIN events e ON e.id = c.from_event
		WHERE p.office_code = ?0 AND e.type IN ('handoff.confirmed', 'delivery.returned_to_desk')
		AND NOT EXISTS (SELECT 1 FROM handoffs h WHERE h.closed_event = c.from_event AND h.status = 'confirmed'
			AND h.receiver_kind = c.holder_kind AND h.receiver_ref = c.holder_ref)`},
	{"custody opens only on the vocabulary's custody events", `SELECT count(*) FROM custody c JOIN parcels p ON p.id = c.parcel_id
		JOIN events e ON e.id = c.from_event WHERE p.office_code = ?0 AND e.type NOT IN
		('pickup.requested', 'pickup.collected', 'handoff.confirmed', 'delivery.completed', 'delivery.returned_to_desk', 'result.registered')`},
	{"a collection makes the collecting courier custodian", `SELECT count(*) FROM custody c JOIN parcels p ON p.id = c.parcel_id
		JOIN events e ON e.id = c.from_event WHERE p.office_code = ?0 AND e.type = 'pickup.collected'
		AND (c.holder_kind <> e.actor_kind OR c.holder_ref <> e.actor_ref)`},
	{"custody periods chain without gaps", `SELECT count(*) FROM custody c JOIN parcels p ON p.id = c.parcel_id
		WHERE p.office_code = ?0 AND c.to_event IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM custody n WHERE n.parcel_id = c.parcel_id AND n.from_event = c.to_event)`},
	{"a pending hand-off leaves custody with its giver", `SELECT count(*) FROM handoffs h JOIN parcels p ON p.id = h.parcel_id
		WHERE p.office_code = ?0 AND h.status = 'pending'
		AND (h.giver_kind IS DISTINCT FROM p.custodian_kind OR h.giver_ref IS DISTINCT FROM coalesce(p.custodian_ref, ''))`},
	{"every unconfirmed release past its deadline is alarmed", `SELECT count(*) FROM handoffs h JOIN parcels p ON p.id = h.parcel_id
		WHERE p.office_code = ?0 AND h.status = 'pending' AND h.deadline <= ?1
		AND NOT EXISTS (SELECT 1 FROM alarms a WHERE a.kind = 'handoff_unconfirmed' AND a.subject = h.id::text AND a.cleared_at IS NULL)`},
	{"no open hand-off alarm once the hand-off closed", `SELECT count(*) FROM alarms a JOIN handoffs h ON a.subject = h.id::text
		JOIN parcels p ON p.id = h.parcel_id
		WHERE p.office_code = ?0 AND a.kind = 'handoff_unconfirmed' AND a.cleared_at IS NULL AND h.status <> 'pending'`},
	{"no custody change at the door without a proof the server checked", `SELECT count(*) FROM custody c JOIN parcels p ON p.id = c.parcel_id
		JOIN events e ON e.id = c.from_event WHERE p.office_code = ?0 AND e.type IN ('pickup.collected', 'delivery.completed')
		AND NOT (coalesce(e.data->'proof'->>'checked_by', '') = 'server'
			OR (e.type = 'delivery.completed' AND e.data->'proof'->>'method' = 'proxy' AND e.data->'proof'->>'checked_by' = 'courier'))`},
	{"a signature proof names an image stored for its parcel", `SELECT count(*) FROM events e JOIN parcels p ON p.id = e.parcel_id
		WHERE p.office_code = ?0 AND e.data->'proof'->>'method' = 'signature'
		AND NOT EXISTS (SELECT 1 FROM evidence v WHERE encode(v.sha256, 'hex') = e.data->'proof'->>'sha256' AND v.parcel_id = e.parcel_id)`},
	{"a door code backs exactly the event that used it", `SELECT count(*) FROM events e JOIN parcels p ON p.id = e.parcel_id
		WHERE p.office_code = ?0 AND e.data->'proof'->>'method' = 'door_code'
		AND NOT EXISTS (SELECT 1 FROM door_codes d WHERE d.parcel_id = e.parcel_id AND d.used_by = e.id)`},
	{"every courier event is signed by the courier's device key", `SELECT count(*) FROM events e JOIN parcels p ON p.id = e.parcel_id
		LEFT JOIN device_keys k ON k.id = e.device_key_id LEFT JOIN users u ON u.id = k.user_id
		WHERE p.office_code = ?0 AND e.actor_kind = 'courier' AND (u.staff_code IS DISTINCT FROM e.actor_ref OR e.device_signature IS NULL)`},
	{"an open dispute is alarmed", `SELECT count(*) FROM incidents i JOIN parcels p ON p.id = i.parcel_id
		WHERE p.office_code = ?0 AND i.status = 'open'
		AND NOT EXISTS (SELECT 1 FROM alarms a WHERE a.kind = 'incident_open' AND a.subject = i.id::text AND a.cleared_at IS NULL)`},
	// Seals at the counters: custody moves to an office or a desk only on a
	// confirmation that read the seal intact with the id recorded at
	// collection (or at the desk's sealing of a result).
	{"every custody change at a counter carries a compared seal id", `SELECT count(*) FROM custody c JOIN parcels p ON p.id = c.parcel_id
		JOIN events e ON e.id = c.from_event
		WHERE p.office_code = ?0 AND e.type IN ('handoff.confirmed', 'delivery.returned_to_desk') AND e.actor_kind IN ('post_office', 'desk')
		AND (coalesce(e.data->>'seal_id', '') = '' OR (e.data->>'seal_intact') IS DISTINCT FROM 'true'
			OR e.data->>'seal_id' IS DISTINCT FROM (SELECT s.data->>'seal_id' FROM events s WHERE s.parcel_id = e.parcel_id AND s.parcel_seq < e.parcel_seq
				AND s.type IN ('pickup.collected', 'handoff.released') AND coalesce(s.data->>'seal_id', '') <> '' ORDER BY s.parcel_seq DESC LIMIT 1))`},
	{"a delivered result read the desk's seal", `SELECT count(*) FROM events e JOIN parcels p ON p.id = e.parcel_id
		WHERE p.office_code = ?0 AND e.type = 'delivery.completed'
		AND e.data->>'seal_id' IS DISTINCT FROM (SELECT s.data->>'seal_id' FROM events s WHERE s.parcel_id = e.parcel_id AND s.type = 'handoff.released'
			AND coalesce(s.data->>'seal_id', '') <> '' ORDER BY s.parcel_seq DESC LIMIT 1)`},
	// Hand-offs inside scope: every release names a receiver that exists
	// with the role of its kind, and an office releases only to its own
	// couriers.
	{"every hand-off names an existing receiver", `SELECT count(*) FROM handoffs h JOIN parcels p ON p.id = h.parcel_id
		WHERE p.office_code = ?0 AND NOT (
			(h.receiver_kind = 'courier' AND EXISTS (SELECT 1 FROM users u WHERE u.staff_code = h.receiver_ref AND u.role = 'courier' AND u.active))
			OR (h.receiver_kind = 'post_office' AND EXISTS (SELECT 1 FROM post_offices o WHERE o.code = h.receiver_ref))
			OR (h.receiver_kind = 'desk' AND EXISTS (SELECT 1 FROM desks d WHERE d.code = h.receiver_ref)))`},
	{"an office releases only to its own couriers", `SELECT count(*) FROM handoffs h JOIN parcels p ON p.id = h.parcel_id
		WHERE p.office_code = ?0 AND h.giver_kind = 'post_office'
		AND NOT (h.receiver_kind = 'courier' AND EXISTS (SELECT 1 FROM users u WHERE u.staff_code = h.receiver_ref AND u.office_code = h.giver_ref))`},
	// Manifests: closed exactly when no line is open, never empty, alarmed
	// when open past their deadline.
	{"a manifest is closed exactly when none of its lines is open", `SELECT count(*) FROM manifests m
		WHERE EXISTS (SELECT 1 FROM handoffs h JOIN parcels p ON p.id = h.parcel_id WHERE h.manifest_id = m.id AND p.office_code = ?0)
		AND (m.closed_at IS NULL) <> EXISTS (SELECT 1 FROM handoffs h WHERE h.manifest_id = m.id AND h.status = 'pending')`},
	{"no empty manifest", `SELECT count(*) FROM manifests m WHERE m.giver_ref IN (?0, 'MC-' || substring(?0 from 4))
		AND NOT EXISTS (SELECT 1 FROM handoffs h WHERE h.manifest_id = m.id)`},
	{"a closed manifest names who closed it", `SELECT count(*) FROM manifests m WHERE m.closed_at IS NOT NULL
		AND EXISTS (SELECT 1 FROM handoffs h JOIN parcels p ON p.id = h.parcel_id WHERE h.manifest_id = m.id AND p.office_code = ?0)
		AND NOT (m.closed_kind = m.receiver_kind AND m.closed_ref = m.receiver_ref) AND m.closed_kind NOT IN ('dispatcher', 'admin')`},
	{"every manifest open past its deadline is alarmed", `SELECT count(*) FROM manifests m
		WHERE m.closed_at IS NULL AND m.deadline <= ?1
		AND EXISTS (SELECT 1 FROM handoffs h JOIN parcels p ON p.id = h.parcel_id WHERE h.manifest_id = m.id AND p.office_code = ?0)
		AND NOT EXISTS (SELECT 1 FROM alarms a WHERE a.kind = 'manifest_open' AND a.subject = m.id::text AND a.cleared_at IS NULL)`},
}

const sweepNeeded = `SELECT
	(SELECT count(*) FROM handoffs h JOIN parcels p ON p.id = h.parcel_id WHERE p.office_code = ?0 AND h.status = 'pending' AND h.deadline <= ?1) +
	(SELECT count(*) FROM incidents i JOIN parcels p ON p.id = i.parcel_id WHERE p.office_code = ?0 AND i.status = 'open') +
	(SELECT count(*) FROM alarms a JOIN parcels p ON p.id = a.parcel_id WHERE p.office_code = ?0 AND a.cleared_at IS NULL
		AND a.kind IN ('handoff_unconfirmed', 'incident_open')) +
	(SELECT count(*) FROM manifests m WHERE m.closed_at IS NULL AND m.deadline <= ?1
		AND EXISTS (SELECT 1 FROM handoffs h JOIN parcels p ON p.id = h.parcel_id WHERE h.manifest_id = m.id AND p.office_code = ?0))`

var allInvariants = func() string {
	var parts []string
	for _, iv := range invariants {
		parts = append(parts, "("+iv.q+")")
	}
	return "SELECT " + strings.Join(parts, " + ")
}()

// check sweeps the alarms on the frozen clock and checks every promise.
func (w *world) check(ctx context.Context) error {
	w.rep.Checks++
	// The sweep runs on the frozen clock whenever an alarm of the checked
	// kinds may be due or may have to clear; with nothing pending, nothing
	// disputed and no such alarm open, it has nothing to do.
	due, err := w.db.CountForTest(ctx, sweepNeeded, w.office.Code, w.now)
	if err != nil {
		return fmt.Errorf("sweep needed: %w", err)
	}
	if due > 0 {
		if _, err := w.alarms.SweepAt(ctx, w.now); err != nil {
			return fmt.Errorf("alarm sweep: %w", err)
		}
		w.rep.Sweeps++
	}
	n, err := w.db.CountForTest(ctx, allInvariants, w.office.Code, w.now)
	if err != nil {
		return fmt.Errorf("invariants: %w", err)
	}
	if n != 0 {
		var broken []string
		for _, iv := range invariants {
			if k, err := w.db.CountForTest(ctx, iv.q, w.office.Code, w.now); err != nil || k != 0 {
				broken = append(broken, fmt.Sprintf("%s (%d, %v)", iv.name, k, err))
			}
		}
		return fmt.Errorf("broken: %s", strings.Join(broken, "; "))
	}
	if len(w.newAcks) > 0 {
		got, err := w.db.CountForTest(ctx, `SELECT count(*) FROM events WHERE id IN ('`+strings.Join(w.newAcks, "','")+`')`)
		if err != nil {
			return err
		}
		if got != len(w.newAcks) {
			return fmt.Errorf("%d of %d acknowledged events are in the ledger", got, len(w.newAcks))
		}
		w.newAcks = w.newAcks[:0]
	}
	if len(w.touched) > 0 {
		var ids []string
		for id := range w.touched {
			if _, ok := w.order[id]; ok {
				ids = append(ids, id)
			}
		}
		sort.Strings(ids)
		if err := w.replay(ctx, ids); err != nil {
			return err
		}
	}
	return nil
}

// replay recomputes parcels from their stored events with the rules alone
// and compares with the projection: status, custodian, pending hand-off;
// and verifies each hash chain.
func (w *world) replay(ctx context.Context, ids []string) error {
	evs, err := w.db.EventsOf(ctx, ids)
	if err != nil {
		return err
	}
	pend, err := w.db.PendingHandoffs(ctx, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		p, err := w.db.FindParcel(ctx, id)
		if err != nil {
			return err
		}
		chain := evs[id]
		if b := tracking.VerifyChain(p.Number, chain, p.LastHash, p.EventCount); b != nil {
			return fmt.Errorf("hash chain: %s", b)
		}
		st := tracking.State{Leg: p.Leg, Documents: p.Documents}
		for _, e := range chain {
			in := e
			if e.Type == tracking.DeliveryReturnedToDesk {
				in.Type = tracking.HandoffConfirmed // recorded as the desk's confirmation
			}
			handoff := ""
			var d struct {
				Handoff string `json:"handoff"`
			}
			if json.Unmarshal(e.Data, &d) == nil {
				handoff = d.Handoff
			}
			out, err := tracking.Decide(st, in, tracking.DefaultPolicy, func() string { return handoff })
			if err != nil {
				return fmt.Errorf("replaying %s of %s (event %d): the rules refuse it: %v", e.Type, p.Number, e.Seq, err)
			}
			if out.Type != e.Type {
				return fmt.Errorf("replaying %s of %s: the rules decide %s", e.Type, p.Number, out.Type)
			}
			if out.Custodian != nil && out.Custodian.Kind == "" && e.Type == tracking.ResultRegistered {
				out.Custodian = &tracking.Party{Kind: tracking.PartyDesk, Ref: p.DeskCode}
			}
			st = st.Apply(out)
		}
		if st.Status != p.Status || st.Custodian != p.Custodian {
			return fmt.Errorf("%s: the rules give %s with %s, the projection says %s with %s", p.Number, st.Status, st.Custodian, p.Status, p.Custodian)
		}
		h, waiting := pend[id]
		if (st.Pending != nil) != waiting || (waiting && st.Pending.Receiver != h.Receiver) {
			return fmt.Errorf("%s: the rules give pending %+v, the store %+v (%v)", p.Number, st.Pending, h, waiting)
		}
	}
	return nil
}
