package pg

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-pg/pg/v10"
	"github.com/google/uuid"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

var vietnam = time.FixedZone("ICT", 7*3600)

// mustTx returns the transaction in ctx and the context its statements run
// with (see InTx on cancellation).
func mustTx(ctx context.Context, op string) (*pg.Tx, context.Context, error) {
	tx, ok := ctx.Value(txKey{}).(*pg.Tx)
	if !ok {
		return nil, nil, errs.E(errs.Internal, "%s outside a transaction", op)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, translate(err)
	}
	return tx, context.WithoutCancel(ctx), nil
}

// LockParcels takes the row locks of parcels by tracking number, in number
// order, and returns them with the state the rules need. It must run inside
// InTx.
func (d *DB) LockParcels(ctx context.Context, numbers []string) (_ map[string]app.LockedParcel, err error) {
	defer errs.Wrap(&err, "pg.LockParcels")
	if _, _, err := mustTx(ctx, "LockParcels"); err != nil {
		return nil, err
	}
	out := map[string]app.LockedParcel{}
	if len(numbers) == 0 {
		return out, nil
	}
	var ids []string
	if err := d.query(ctx, &ids, `SELECT id FROM parcels WHERE tracking_number IN (?) ORDER BY tracking_number FOR UPDATE`, pg.In(numbers)); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return out, nil
	}
	ps, err := d.loadParcelsWith(ctx, false, `WHERE p.id IN (?)`, pg.In(ids))
	if err != nil {
		return nil, err
	}
	var hs []struct {
		ID           string
		ParcelID     string
		GiverKind    string
		GiverRef     string
		ReceiverKind string
		ReceiverRef  string
		ReleasedAt   time.Time
		Deadline     time.Time
		Manifest     string
	}
	if err := d.query(ctx, &hs, `SELECT h.id, h.parcel_id, h.giver_kind, h.giver_ref, h.receiver_kind, h.receiver_ref, h.released_at, h.deadline,
		coalesce(m.code, '') AS manifest FROM handoffs h LEFT JOIN manifests m ON m.id = h.manifest_id
		WHERE h.parcel_id IN (?) AND h.status = 'pending'`, pg.In(ids)); err != nil {
		return nil, err
	}
	pending := map[string]*tracking.Handoff{}
	for _, h := range hs {
		pending[h.ParcelID] = &tracking.Handoff{ID: h.ID,
			Giver:      tracking.Party{Kind: tracking.PartyKind(h.GiverKind), Ref: h.GiverRef},
			Receiver:   tracking.Party{Kind: tracking.PartyKind(h.ReceiverKind), Ref: h.ReceiverRef},
			ReleasedAt: h.ReleasedAt, Deadline: h.Deadline, Manifest: h.Manifest}
	}
	for _, p := range ps {
		st := tracking.State{Leg: p.Leg, Status: p.Status, Custodian: p.Custodian,
			Attempts: p.Attempts, SealID: p.SealID, Documents: p.Documents, Collected: p.Collected, Pending: pending[p.ID]}
		out[p.Number] = app.LockedParcel{Parcel: p, State: st}
	}
	return out, nil
}

// ParcelNumberByID resolves a parcel id.
func (d *DB) ParcelNumberByID(ctx context.Context, id string) (_ string, err error) {
	defer errs.Wrap(&err, "pg.ParcelNumberByID %v", id)
	if _, err := uuid.Parse(id); err != nil {
		return "", errs.E(errs.NotFound, "không tìm thấy bưu gửi")
	}
	var n string
	err = d.queryOne(ctx, pg.Scan(&n), `SELECT tracking_number FROM parcels WHERE id = ?`, id)
	if errs.Is(err, errs.NotFound) {
		return "", errs.E(errs.NotFound, "không tìm thấy bưu gửi")
	}
	return n, err
}

// ExistingEvents returns, for the ids already in the ledger, who recorded
// each and on which parcel.
func (d *DB) ExistingEvents(ctx context.Context, ids []string) (_ map[string]app.EventOwner, err error) {
	defer errs.Wrap(&err, "pg.ExistingEvents")
	out := map[string]app.EventOwner{}
	var valid []string
	for _, id := range ids {
		if _, err := uuid.Parse(id); err == nil {
			valid = append(valid, id)
		}
	}
	if len(valid) == 0 {
		return out, nil
	}
	var found []struct {
		ID        string
		Number    string
		ActorKind string
		ActorRef  string
	}
	if err := d.query(ctx, &found, `SELECT e.id::text AS id, p.tracking_number AS number, e.actor_kind, e.actor_ref
		FROM events e JOIN parcels p ON p.id = e.parcel_id WHERE e.id IN (?)`, pg.In(valid)); err != nil {
		return nil, err
	}
	for _, f := range found {
		out[f.ID] = app.EventOwner{Number: f.Number, Actor: tracking.Party{Kind: tracking.PartyKind(f.ActorKind), Ref: f.ActorRef}}
	}
	return out, nil
}

// EventExists reports whether an event id is in the ledger.
func (d *DB) EventExists(ctx context.Context, id string) (_ bool, err error) {
	defer errs.Wrap(&err, "pg.EventExists %v", id)
	m, err := d.ExistingEvents(ctx, []string{id})
	_, ok := m[id]
	return ok, err
}

// csvNull marks NULL in the COPY streams below; an empty field is ”.
const csvNull = `\N`

type copyBuf struct {
	buf bytes.Buffer
	w   *csv.Writer
}

func newCopy() *copyBuf {
	c := &copyBuf{}
	c.w = csv.NewWriter(&c.buf)
	return c
}

func (c *copyBuf) row(fields ...string) { _ = c.w.Write(fields) }

func (c *copyBuf) flush(tx *pg.Tx, query string) error {
	c.w.Flush()
	if err := c.w.Error(); err != nil {
		return err
	}
	_, err := tx.CopyFrom(&c.buf, query)
	return err
}

func ts(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05.999999Z07:00") }

func tsp(t *time.Time) string {
	if t == nil || t.IsZero() {
		return csvNull
	}
	return ts(*t)
}

func fp(f *float64) string {
	if f == nil {
		return csvNull
	}
	return strconv.FormatFloat(*f, 'f', -1, 64)
}

func bx(b []byte) string { return `\x` + hex.EncodeToString(b) }

// values builds "(?, ?, …), (…)" for n rows of k placeholders with casts.
func values(n int, casts []string) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for j, c := range casts {
			if j > 0 {
				b.WriteString(", ")
			}
			b.WriteString("?::" + c)
		}
		b.WriteByte(')')
	}
	return b.String()
}

// AppendEvents writes a batch of ledger writes, in order, with set-based
// statements: COPY for events and outbox rows, one UPDATE … FROM VALUES for
// the parcels' projections, and a handful of multi-row statements for
// custody, hand-offs, incidents and documents. It must run inside InTx after
// LockParcels.
func (d *DB) AppendEvents(ctx context.Context, writes []app.AppendInput) (err error) {
	defer errs.Wrap(&err, "pg.AppendEvents")
	tx, ctx, err := mustTx(ctx, "AppendEvents")
	if err != nil {
		return err
	}
	if len(writes) == 0 {
		return nil
	}
	// The device keys that signed these events: still live, and held so
	// (FOR SHARE) until the commit, so a key replaced meanwhile is revoked
	// after the events it signed and `hoso verify` finds it live at their
	// time.
	keySet := map[int64]bool{}
	var keys []int64
	for _, w := range writes {
		if dv := w.Event.Device; dv != nil && !keySet[dv.KeyID] {
			keySet[dv.KeyID] = true
			keys = append(keys, dv.KeyID)
		}
	}
	if len(keys) > 0 {
		var live []int64
		if _, err := tx.QueryContext(ctx, &live, `SELECT id FROM device_keys WHERE id IN (?) AND revoked_at IS NULL FOR SHARE`, pg.In(keys)); err != nil {
			return translate(fmt.Errorf("device keys: %w", err))
		}
		if len(live) != len(keys) {
			return errs.E(errs.Unauthorized, "khóa thiết bị vừa được thay: gửi lại để ký bằng khóa mới")
		}
	}
	// Events.
	ev := newCopy()
	for _, w := range writes {
		e := w.Event
		keyID, signed, sig := csvNull, csvNull, csvNull
		if dv := e.Device; dv != nil {
			keyID, signed, sig = strconv.FormatInt(dv.KeyID, 10), bx(dv.Signed), bx(dv.Signature)
		}
		form := e.Form
		if form == 0 {
			form = tracking.FormV2
		}
		ev.row(e.ID, e.ParcelID, strconv.Itoa(e.Seq), string(e.Type), e.UPU, string(e.Actor.Kind), e.Actor.Ref,
			tsp(e.DeviceAt), ts(e.ServerAt), fp(e.Lat), fp(e.Lng), string(e.Data), bx(e.PrevHash), bx(e.Hash),
			strconv.Itoa(form), keyID, signed, sig)
	}
	if err := ev.flush(tx, `COPY events (id, parcel_id, parcel_seq, type, upu_code, actor_kind, actor_ref, device_at, server_at,
		lat, lng, data, prev_hash, hash, form, device_key_id, device_signed, device_signature) FROM STDIN WITH (FORMAT csv, NULL '\N')`); err != nil {
		return translate(fmt.Errorf("copy events: %w", err))
	}
	// Door codes the events used: each by one event only.
	for _, w := range writes {
		u := w.UseCode
		if u == nil {
			continue
		}
		res, err := tx.ExecContext(ctx, `UPDATE door_codes SET used_at = ?, used_by = ? WHERE parcel_id = ? AND purpose = ?
			AND (used_by IS NULL OR used_by = ?)`, w.Event.ServerAt, u.EventID, u.ParcelID, u.Purpose, u.EventID)
		if err != nil {
			return translate(fmt.Errorf("use door code: %w", err))
		}
		if res.RowsAffected() != 1 {
			return errs.E(errs.Conflict, "mã xác nhận đã được dùng cho một sự kiện khác")
		}
	}

	// Parcels: the projection after each parcel's last event.
	last := map[string]int{}
	var order []string
	for i, w := range writes {
		if _, ok := last[w.Parcel.ID]; !ok {
			order = append(order, w.Parcel.ID)
		}
		last[w.Parcel.ID] = i
	}
	var params []any
	for _, id := range order {
		p := writes[last[id]].Parcel
		var planned any
		if p.PlannedDate != nil {
			planned = p.PlannedDate.In(vietnam).Format("2006-01-02")
		}
		var stop any
		if p.RouteStop > 0 {
			stop = p.RouteStop
		}
		params = append(params, p.ID, p.Status, p.StatusSince, p.EventCount, p.LastHash, p.UpdatedAt,
			nullable(string(p.Custodian.Kind)), nullable(p.Custodian.Ref), p.Attempts, nullable(p.SealID), nullable(p.ReceiptCode),
			nullable(p.CourierRef), nullable(p.OfficeCode), planned, p.WindowStart, p.WindowEnd, stop)
	}
	casts := []string{"uuid", "text", "timestamptz", "int", "bytea", "timestamptz", "text", "text", "int", "text", "text", "text", "text", "date", "timestamptz", "timestamptz", "int"}
	if _, err := tx.ExecContext(ctx, `UPDATE parcels p SET status = v.status, status_since = v.status_since, event_count = v.event_count,
			last_hash = v.last_hash, updated_at = v.updated_at, custodian_kind = v.ck, custodian_ref = v.cr, attempts = v.attempts,
			seal_id = v.seal_id, receipt_code = v.receipt_code, courier_ref = v.courier_ref, office_code = v.office_code,
			planned_date = v.planned_date, window_start = v.ws, window_end = v.we, route_stop = v.stop
		FROM (VALUES `+values(len(order), casts)+`) AS v(id, status, status_since, event_count, last_hash, updated_at, ck, cr, attempts,
			seal_id, receipt_code, courier_ref, office_code, planned_date, ws, we, stop)
		WHERE p.id = v.id`, params...); err != nil {
		return translate(fmt.Errorf("update parcels: %w", err))
	}

	// Custody: close the open period of each parcel whose custodian moved,
	// then add the new periods (all but the last closed by the next move).
	type move struct {
		holder tracking.Party
		ev     string
		at     time.Time
	}
	moves := map[string][]move{}
	var moved []string
	for _, w := range writes {
		if c := w.Outcome.Custodian; c != nil {
			if _, ok := moves[w.Parcel.ID]; !ok {
				moved = append(moved, w.Parcel.ID)
			}
			moves[w.Parcel.ID] = append(moves[w.Parcel.ID], move{*c, w.Event.ID, w.Event.ServerAt})
		}
	}
	if len(moved) > 0 {
		params = params[:0]
		for _, id := range moved {
			m := moves[id][0]
			params = append(params, id, m.ev, m.at)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE custody c SET to_event = v.ev, to_at = v.at
			FROM (VALUES `+values(len(moved), []string{"uuid", "uuid", "timestamptz"})+`) AS v(parcel, ev, at)
			WHERE c.parcel_id = v.parcel AND c.to_event IS NULL`, params...); err != nil {
			return translate(fmt.Errorf("close custody: %w", err))
		}
		params = params[:0]
		n := 0
		for _, id := range moved {
			ms := moves[id]
			for i, m := range ms {
				var toEv, toAt any
				if i+1 < len(ms) {
					toEv, toAt = ms[i+1].ev, ms[i+1].at
				}
				params = append(params, id, string(m.holder.Kind), m.holder.Ref, m.ev, m.at, toEv, toAt)
				n++
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO custody (parcel_id, holder_kind, holder_ref, from_event, from_at, to_event, to_at)
			VALUES `+values(n, []string{"uuid", "text", "text", "uuid", "timestamptz", "uuid", "timestamptz"}), params...); err != nil {
			if errs.Is(translate(err), errs.Conflict) {
				return errs.E(errs.Conflict, "bưu gửi đã có người giữ khác")
			}
			return translate(fmt.Errorf("open custody: %w", err))
		}
	}

	// Hand-offs opened in this batch (with their final state) and pending
	// ones it closed.
	type handoff struct {
		h      *tracking.Handoff
		parcel string
		ev     string
		status string
		closed string
		at     *time.Time
	}
	var opened []*handoff
	openByID := map[string]*handoff{}
	type closure struct {
		id, status, ev string
		at             time.Time
	}
	var closures []closure
	for _, w := range writes {
		if w.Outcome.Close != "" && w.ClosedHandoff != "" {
			if h, ok := openByID[w.ClosedHandoff]; ok {
				at := w.Event.ServerAt
				h.status, h.closed, h.at = w.Outcome.Close, w.Event.ID, &at
			} else {
				closures = append(closures, closure{w.ClosedHandoff, w.Outcome.Close, w.Event.ID, w.Event.ServerAt})
			}
		}
		if o := w.Outcome.Open; o != nil {
			h := &handoff{h: o, parcel: w.Parcel.ID, ev: w.Event.ID, status: "pending"}
			opened = append(opened, h)
			openByID[o.ID] = h
		}
	}
	for _, c := range closures {
		res, err := tx.ExecContext(ctx, `UPDATE handoffs SET status = ?, closed_event = ?, closed_at = ? WHERE id = ? AND status = 'pending'`,
			c.status, c.ev, c.at, c.id)
		if err != nil {
			return translate(fmt.Errorf("close hand-off: %w", err))
		}
		if res.RowsAffected() != 1 {
			return errs.E(errs.Conflict, "bàn giao đã được đóng")
		}
	}
	if len(opened) > 0 {
		params = params[:0]
		var b strings.Builder
		for i, h := range opened {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?::uuid, ?::uuid, (SELECT id FROM manifests WHERE code = ?), ?, ?, ?, ?, ?, ?::uuid, ?::timestamptz, ?::timestamptz, ?::uuid, ?::timestamptz)")
			var closed any
			if h.closed != "" {
				closed = h.closed
			}
			params = append(params, h.h.ID, h.parcel, h.h.Manifest, string(h.h.Giver.Kind), h.h.Giver.Ref, string(h.h.Receiver.Kind), h.h.Receiver.Ref,
				h.status, h.ev, h.h.ReleasedAt, h.h.Deadline, closed, h.at)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO handoffs (id, parcel_id, manifest_id, giver_kind, giver_ref, receiver_kind, receiver_ref,
			status, released_event, released_at, deadline, closed_event, closed_at) VALUES `+b.String(), params...); err != nil {
			if errs.Is(translate(err), errs.Conflict) {
				return errs.E(errs.Conflict, "bưu gửi đã có một bàn giao đang chờ xác nhận")
			}
			return translate(fmt.Errorf("open hand-offs: %w", err))
		}
	}

	// Manifests whose last open line this batch closed: closed by the actor
	// of that line's event (the receiver; a dispatcher's recall), at its
	// time, by the signed-in user who recorded it when known.
	params = params[:0]
	n := 0
	for i, w := range writes {
		if w.Outcome.Close != "" && w.ClosedHandoff != "" {
			params = append(params, w.ClosedHandoff, w.Event.ServerAt, string(w.Event.Actor.Kind), w.Event.Actor.Ref, w.By, i)
			n++
		}
	}
	if n > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE manifests m SET closed_at = x.at, closed_kind = x.kind, closed_ref = x.ref, closed_by = nullif(x.by, 0)
			FROM (SELECT DISTINCT ON (h.manifest_id) h.manifest_id, v.at, v.kind, v.ref, v.by
				FROM (VALUES `+values(n, []string{"uuid", "timestamptz", "text", "text", "bigint", "int"})+`) AS v(handoff, at, kind, ref, by, ord)
				JOIN handoffs h ON h.id = v.handoff WHERE h.manifest_id IS NOT NULL
				ORDER BY h.manifest_id, v.ord DESC) x
			WHERE m.id = x.manifest_id AND m.closed_at IS NULL
			  AND NOT EXISTS (SELECT 1 FROM handoffs p WHERE p.manifest_id = m.id AND p.status = 'pending')`, params...); err != nil {
			return translate(fmt.Errorf("close manifests: %w", err))
		}
	}

	// Incidents and what they say of documents.
	for _, w := range writes {
		inc := w.Outcome.Incident
		if inc == nil {
			continue
		}
		var handoffID any
		if w.ClosedHandoff != "" {
			handoffID = w.ClosedHandoff
		}
		lines := inc.MissingLines
		if lines == nil {
			lines = []int{}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO incidents (id, parcel_id, handoff_id, event_id, problem, missing_lines,
			last_custodian_kind, last_custodian_ref, note, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			uuid.NewString(), w.Parcel.ID, handoffID, w.Event.ID, inc.Problem, pg.Array(lines), string(inc.LastCustodian.Kind),
			inc.LastCustodian.Ref, inc.Note, w.Event.ServerAt); err != nil {
			return translate(fmt.Errorf("incident: %w", err))
		}
		for _, l := range inc.MissingLines {
			if _, err := tx.ExecContext(ctx, `UPDATE parcel_documents SET missing_since = ?, last_custodian = ?
				WHERE parcel_id = ? AND line = ? AND missing_since IS NULL`, w.Event.ID, inc.LastCustodian.String(), w.Parcel.ID, l); err != nil {
				return translate(err)
			}
		}
	}
	// Counts taken at collection.
	params = params[:0]
	n = 0
	for _, w := range writes {
		for _, c := range w.Outcome.Collected {
			params = append(params, w.Parcel.ID, c.Line, c.Count, c.Condition, c.Disposition)
			n++
		}
	}
	if n > 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE parcel_documents d SET collected_count = v.cnt, condition = v.cond, disposition = nullif(v.disp, '')
			FROM (VALUES `+values(n, []string{"uuid", "int", "int", "text", "text"})+`) AS v(parcel, line, cnt, cond, disp)
			WHERE d.parcel_id = v.parcel AND d.line = v.line`, params...); err != nil {
			return translate(fmt.Errorf("collected counts: %w", err))
		}
	}

	// Outbox rows.
	ob := newCopy()
	rows := 0
	for _, w := range writes {
		for _, o := range w.Outbox {
			ob.row(o.Topic, w.Event.ID, w.Parcel.ID, o.OrderKey, o.Target, string(o.Payload), ts(w.Event.ServerAt), ts(w.Event.ServerAt))
			rows++
		}
	}
	if rows > 0 {
		if err := ob.flush(tx, `COPY outbox (topic, event_id, parcel_id, order_key, target, payload, created_at, next_at)
			FROM STDIN WITH (FORMAT csv, NULL '\N')`); err != nil {
			return translate(fmt.Errorf("copy outbox: %w", err))
		}
	}

	// Courier submissions, accepted: new ones by COPY, resubmissions of
	// events kept as rejected by an update.
	var devIDs []string
	for _, w := range writes {
		if w.Device != nil {
			devIDs = append(devIDs, w.Event.ID)
		}
	}
	if len(devIDs) == 0 {
		return nil
	}
	var again []struct {
		ID     string
		UserID int64
	}
	if _, err := tx.QueryContext(ctx, &again, `SELECT id::text AS id, coalesce(user_id, 0) AS user_id FROM device_events WHERE id IN (?)`, pg.In(devIDs)); err != nil {
		return translate(err)
	}
	seen := map[string]int64{}
	for _, r := range again {
		seen[r.ID] = r.UserID
	}
	dv := newCopy()
	rows = 0
	for _, w := range writes {
		d := w.Device
		if d == nil {
			continue
		}
		id, client := w.Event.ID, csvNull
		if owner, ok := seen[w.Event.ID]; ok {
			if owner == d.UserID {
				if _, err := tx.ExecContext(ctx, `UPDATE device_events SET status = 'accepted', error_code = '', error_message = '',
					tries = tries + 1, received_at = ? WHERE id = ?`, w.Event.ServerAt, w.Event.ID); err != nil {
					return translate(err)
				}
				continue
			}
			// Another sender's rejected submission has this id: the
			// accepted one is kept beside it under a new id.
			id, client = uuid.NewString(), w.Event.ID
		}
		sig := csvNull
		if len(d.Signature) > 0 {
			sig = bx(d.Signature)
		}
		dv.row(id, strconv.FormatInt(d.UserID, 10), d.DeviceID, string(w.Event.Type), w.Parcel.Number, string(d.Raw), sig, "accepted", ts(w.Event.ServerAt), client)
		rows++
	}
	if rows > 0 {
		if err := dv.flush(tx, `COPY device_events (id, user_id, device_id, type, tracking_number, raw, signature, status, received_at, client_id)
			FROM STDIN WITH (FORMAT csv, NULL '\N')`); err != nil {
			return translate(fmt.Errorf("copy device events: %w", err))
		}
	}
	return nil
}

type eventRow struct {
	ID        string
	ParcelID  string
	Number    string
	ParcelSeq int
	Type      string
	UpuCode   string
	ActorKind string
	ActorRef  string
	DeviceAt  *time.Time
	ServerAt  time.Time
	Lat, Lng  *float64
	Data      string
	PrevHash  []byte
	Hash      []byte
	Seq       int64
	Form      int
	// The device's signature and the key it was checked against.
	DeviceKeyID     *int64
	DeviceSigned    []byte
	DeviceSignature []byte
	KeyAlg          string
	KeyPublic       []byte
	KeyOwner        string
	KeyCreated      *time.Time
	KeyRevoked      *time.Time
}

func toEvent(r eventRow) tracking.Event {
	e := tracking.Event{ID: r.ID, ParcelID: r.ParcelID, Number: r.Number, Seq: r.ParcelSeq, Type: tracking.EventType(r.Type),
		UPU: r.UpuCode, Actor: tracking.Party{Kind: tracking.PartyKind(r.ActorKind), Ref: r.ActorRef},
		DeviceAt: r.DeviceAt, ServerAt: r.ServerAt, Lat: r.Lat, Lng: r.Lng, Data: []byte(r.Data), PrevHash: r.PrevHash, Hash: r.Hash,
		Form: r.Form}
	if r.DeviceKeyID != nil {
		e.Device = &tracking.DeviceSig{KeyID: *r.DeviceKeyID, KeyAlg: r.KeyAlg, PublicKey: r.KeyPublic, KeyOwner: r.KeyOwner,
			KeyRevoked: r.KeyRevoked, Signed: r.DeviceSigned, Signature: r.DeviceSignature}
		if r.KeyCreated != nil {
			e.Device.KeyCreated = *r.KeyCreated
		}
	}
	return e
}

// eventCols are an event's columns with its device key (eventJoins).
const eventCols = `e.id, e.parcel_id, p.tracking_number AS number, e.parcel_seq, e.type, e.upu_code, e.actor_kind, e.actor_ref,
	e.device_at, e.server_at, e.lat, e.lng, e.data::text AS data, e.prev_hash, e.hash, e.seq, e.form,
	e.device_key_id, e.device_signed, e.device_signature, coalesce(k.alg, '') AS key_alg, k.public_key AS key_public,
	coalesce(ku.staff_code, '') AS key_owner, k.created_at AS key_created, k.revoked_at AS key_revoked`

// eventJoins join an event (e) to its parcel (p) and device key (k, ku).
const eventJoins = ` JOIN parcels p ON p.id = e.parcel_id LEFT JOIN device_keys k ON k.id = e.device_key_id LEFT JOIN users ku ON ku.id = k.user_id `

// FindEvents returns a parcel's events in chain order.
func (d *DB) FindEvents(ctx context.Context, parcelID string) (_ []tracking.Event, err error) {
	defer errs.Wrap(&err, "pg.FindEvents %s", parcelID)
	var rows []eventRow
	if err := d.query(ctx, &rows, `SELECT `+eventCols+` FROM events e`+eventJoins+`
		WHERE e.parcel_id = ? ORDER BY e.parcel_seq`, parcelID); err != nil {
		return nil, err
	}
	out := make([]tracking.Event, len(rows))
	for i, r := range rows {
		out[i] = toEvent(r)
	}
	return out, nil
}

// RejectDeviceEvent keeps a submission the server refused, for the
// dispatcher; a later resubmission of the same id by the same sender
// updates it. An id of another sender's submission is kept under a new id.
func (d *DB) RejectDeviceEvent(ctx context.Context, r app.Rejection) (err error) {
	defer errs.Wrap(&err, "pg.RejectDeviceEvent")
	var s any
	if len(r.Signature) > 0 {
		s = r.Signature
	}
	var client any
	if r.ClientID != "" {
		client = r.ClientID
	}
	var user any
	if r.User.ID != 0 {
		user = r.User.ID
	}
	ins := func(id string, client any) (int, error) {
		res, err := d.exec(ctx, `INSERT INTO device_events (id, user_id, device_id, type, tracking_number, raw, signature, status, error_code,
				error_message, received_at, client_id, office_code, province_code)
			VALUES (?, ?, ?, ?, ?, ?, ?, 'rejected', ?, ?, ?, ?, ?, ?)
			ON CONFLICT (id) DO UPDATE SET tries = device_events.tries + 1, error_code = EXCLUDED.error_code,
				error_message = EXCLUDED.error_message, received_at = EXCLUDED.received_at
			WHERE device_events.status = 'rejected' AND device_events.user_id IS NOT DISTINCT FROM EXCLUDED.user_id
				AND device_events.device_id = EXCLUDED.device_id`,
			id, user, r.DeviceID, r.Type, r.Number, string(r.Raw), s, r.Code, r.Message, r.At, client,
			nullable(orOffice(r.User)), nullable(r.User.ProvinceCode))
		if err != nil {
			return 0, err
		}
		return res.RowsAffected(), nil
	}
	n, err := ins(r.ID, client)
	if err != nil || n == 1 {
		return err
	}
	// The id is another sender's (or an accepted event's): keep this one
	// beside it.
	_, err = ins(uuid.NewString(), r.ID)
	return err
}

// orOffice is where a user works: their office, else their desk.
func orOffice(u app.User) string {
	if u.OfficeCode != "" {
		return u.OfficeCode
	}
	return u.DeskCode
}

// FindRejectedEvents lists kept rejected submissions not yet resolved,
// newest first, a page at a time: of a province, an office, or all.
func (d *DB) FindRejectedEvents(ctx context.Context, f app.RejectedFilter) (_ []app.RejectedEvent, _ int, err error) {
	defer errs.Wrap(&err, "pg.FindRejectedEvents")
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	where := `de.status = 'rejected' AND de.resolved_at IS NULL AND (?0 = '' OR de.province_code = ?0) AND (?1 = '' OR de.office_code = ?1)`
	var rows []app.RejectedEvent
	err = d.query(ctx, &rows, `SELECT de.id::text AS id, coalesce(de.client_id, '') AS client_id, coalesce(u.staff_code, '') AS staff_code,
			coalesce(de.office_code, '') AS office_code, de.device_id, de.type, de.tracking_number, de.error_code, de.error_message, de.tries, de.received_at
		FROM device_events de LEFT JOIN users u ON u.id = de.user_id
		WHERE `+where+` ORDER BY de.received_at DESC, de.id LIMIT ?2 OFFSET ?3`, f.Province, f.Office, f.Limit, f.Offset)
	if err != nil {
		return nil, 0, err
	}
	var n int
	err = d.queryOne(ctx, pg.Scan(&n), `SELECT count(*) FROM device_events de WHERE `+where, f.Province, f.Office)
	return rows, n, err
}
