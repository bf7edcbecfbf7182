package pg

import (
	"context"
	"time"

	"github.com/go-pg/pg/v10"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

// LockParcel takes the parcel's row lock for the rest of the transaction and
// returns it with the state the rules need. It must run inside InTx.
func (d *DB) LockParcel(ctx context.Context, id string) (app.Parcel, tracking.State, error) {
	if _, ok := ctx.Value(txKey{}).(*pg.Tx); !ok {
		return app.Parcel{}, tracking.State{}, errs.E(errs.Internal, "LockParcel outside a transaction")
	}
	var locked string
	if err := d.queryOne(ctx, pg.Scan(&locked), `SELECT id FROM parcels WHERE id = ? FOR UPDATE`, id); err != nil {
		if errs.Is(err, errs.NotFound) {
			return app.Parcel{}, tracking.State{}, errs.E(errs.NotFound, "không tìm thấy bưu gửi")
		}
		return app.Parcel{}, tracking.State{}, err
	}
	p, err := d.FindParcel(ctx, id)
	if err != nil {
		return app.Parcel{}, tracking.State{}, err
	}
	st := tracking.State{Leg: tracking.Leg(p.Leg), Status: tracking.Status(p.Status), Custodian: p.Custodian,
		Attempts: p.Attempts, SealID: p.SealID, Documents: p.Documents, Collected: p.Collected}
	var h []struct {
		ID           string
		GiverKind    string
		GiverRef     string
		ReceiverKind string
		ReceiverRef  string
		ReleasedAt   time.Time
		Deadline     time.Time
		Manifest     string
	}
	if err := d.query(ctx, &h, `SELECT h.id, h.giver_kind, h.giver_ref, h.receiver_kind, h.receiver_ref, h.released_at, h.deadline,
		coalesce(m.code, '') AS manifest FROM handoffs h LEFT JOIN manifests m ON m.id = h.manifest_id
		WHERE h.parcel_id = ? AND h.status = 'pending'`, id); err != nil {
		return app.Parcel{}, tracking.State{}, err
	}
	if len(h) == 1 {
		st.Pending = &tracking.Handoff{ID: h[0].ID,
			Giver:      tracking.Party{Kind: tracking.PartyKind(h[0].GiverKind), Ref: h[0].GiverRef},
			Receiver:   tracking.Party{Kind: tracking.PartyKind(h[0].ReceiverKind), Ref: h[0].ReceiverRef},
			ReleasedAt: h[0].ReleasedAt, Deadline: h[0].Deadline, Manifest: h[0].Manifest}
	}
	return p, st, nil
}

// EventExists reports whether an event id is in the ledger.
func (d *DB) EventExists(ctx context.Context, id string) (bool, error) {
	var ok bool
	err := d.queryOne(ctx, pg.Scan(&ok), `SELECT EXISTS (SELECT 1 FROM events WHERE id = ?)`, id)
	return ok, err
}

func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// AppendEvent applies one ledger write: the event, the parcel's projection,
// custody, hand-off, incident, collected counts and outbox rows. It must run
// inside InTx after LockParcel.
func (d *DB) AppendEvent(ctx context.Context, in app.AppendInput) error {
	if _, ok := ctx.Value(txKey{}).(*pg.Tx); !ok {
		return errs.E(errs.Internal, "AppendEvent outside a transaction")
	}
	ev, out, p := in.Event, in.Outcome, in.Parcel
	_, err := d.exec(ctx, `INSERT INTO events (id, parcel_id, parcel_seq, type, upu_code, actor_kind, actor_ref, device_at, server_at,
		lat, lng, data, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.ID, ev.ParcelID, ev.Seq, string(ev.Type), ev.UPU, string(ev.Actor.Kind), ev.Actor.Ref, ev.DeviceAt, ev.ServerAt,
		ev.Lat, ev.Lng, string(ev.Data), ev.PrevHash, ev.Hash)
	if err != nil {
		return err
	}
	var custKind, custRef any
	if out.Custodian != nil {
		custKind, custRef = string(out.Custodian.Kind), out.Custodian.Ref
	}
	attempts := 0
	if out.Attempt {
		attempts = 1
	}
	var courier, office, planned, ws, we any
	if s := in.Schedule; s != nil {
		courier, office, planned, ws, we = s.Courier, nullable(s.Office), s.Date.Format("2006-01-02"), s.WindowStart, s.WindowEnd
	}
	_, err = d.exec(ctx, `UPDATE parcels SET
			status = ?, status_since = CASE WHEN status <> ? THEN ? ELSE status_since END,
			event_count = ?, last_hash = ?, updated_at = ?,
			custodian_kind = coalesce(?, custodian_kind), custodian_ref = coalesce(?, custodian_ref),
			attempts = attempts + ?, seal_id = coalesce(?, seal_id), receipt_code = coalesce(?, receipt_code),
			courier_ref = coalesce(?, courier_ref), office_code = coalesce(?, office_code),
			planned_date = coalesce(?::date, planned_date), window_start = coalesce(?, window_start), window_end = coalesce(?, window_end)
		WHERE id = ?`,
		string(out.Status), string(out.Status), ev.ServerAt, ev.Seq, ev.Hash, ev.ServerAt,
		custKind, custRef, attempts, nullable(out.SealID), nullable(in.ReceiptCode),
		courier, office, planned, ws, we, p.ID)
	if err != nil {
		return err
	}
	if out.Custodian != nil {
		if _, err := d.exec(ctx, `UPDATE custody SET to_event = ?, to_at = ? WHERE parcel_id = ? AND to_event IS NULL`, ev.ID, ev.ServerAt, p.ID); err != nil {
			return err
		}
		if _, err := d.exec(ctx, `INSERT INTO custody (parcel_id, holder_kind, holder_ref, from_event, from_at) VALUES (?, ?, ?, ?, ?)`,
			p.ID, string(out.Custodian.Kind), out.Custodian.Ref, ev.ID, ev.ServerAt); err != nil {
			return err
		}
	}
	if out.Close != "" {
		if _, err := d.exec(ctx, `UPDATE handoffs SET status = ?, closed_event = ?, closed_at = ? WHERE parcel_id = ? AND status = 'pending'`,
			out.Close, ev.ID, ev.ServerAt, p.ID); err != nil {
			return err
		}
	}
	if h := out.Open; h != nil {
		if _, err := d.exec(ctx, `INSERT INTO handoffs (id, parcel_id, manifest_id, giver_kind, giver_ref, receiver_kind, receiver_ref,
			status, released_event, released_at, deadline)
			VALUES (?, ?, (SELECT id FROM manifests WHERE code = ?), ?, ?, ?, ?, 'pending', ?, ?, ?)`,
			h.ID, p.ID, h.Manifest, string(h.Giver.Kind), h.Giver.Ref, string(h.Receiver.Kind), h.Receiver.Ref,
			ev.ID, h.ReleasedAt, h.Deadline); err != nil {
			if errs.Is(err, errs.Conflict) {
				return errs.E(errs.Conflict, "bưu gửi đã có một bàn giao đang chờ xác nhận")
			}
			return err
		}
	}
	if inc := out.Incident; inc != nil {
		var handoff any
		if in.Outcome.Close == "disputed" {
			var hid string
			if err := d.queryOne(ctx, pg.Scan(&hid), `SELECT id FROM handoffs WHERE closed_event = ?`, ev.ID); err == nil {
				handoff = hid
			}
		}
		lines := inc.MissingLines
		if lines == nil {
			lines = []int{}
		}
		if _, err := d.exec(ctx, `INSERT INTO incidents (id, parcel_id, handoff_id, event_id, problem, missing_lines,
			last_custodian_kind, last_custodian_ref, note, created_at) VALUES (gen_random_uuid(), ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID, handoff, ev.ID, inc.Problem, pg.Array(lines), string(inc.LastCustodian.Kind), inc.LastCustodian.Ref, inc.Note, ev.ServerAt); err != nil {
			return err
		}
		for _, l := range inc.MissingLines {
			if _, err := d.exec(ctx, `UPDATE parcel_documents SET missing_since = ?, last_custodian = ?
				WHERE parcel_id = ? AND line = ? AND missing_since IS NULL`, ev.ID, inc.LastCustodian.String(), p.ID, l); err != nil {
				return err
			}
		}
	}
	for _, c := range out.Collected {
		if _, err := d.exec(ctx, `UPDATE parcel_documents SET collected_count = ?, condition = ? WHERE parcel_id = ? AND line = ?`,
			c.Count, c.Condition, p.ID, c.Line); err != nil {
			return err
		}
	}
	for _, o := range in.Outbox {
		if _, err := d.exec(ctx, `INSERT INTO outbox (topic, event_id, parcel_id, order_key, target, payload, created_at, next_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, o.Topic, ev.ID, p.ID, o.OrderKey, o.Target, string(o.Payload), ev.ServerAt, ev.ServerAt); err != nil {
			return err
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
}

func toEvent(r eventRow) tracking.Event {
	return tracking.Event{ID: r.ID, ParcelID: r.ParcelID, Number: r.Number, Seq: r.ParcelSeq, Type: tracking.EventType(r.Type),
		UPU: r.UpuCode, Actor: tracking.Party{Kind: tracking.PartyKind(r.ActorKind), Ref: r.ActorRef},
		DeviceAt: r.DeviceAt, ServerAt: r.ServerAt, Lat: r.Lat, Lng: r.Lng, Data: []byte(r.Data), PrevHash: r.PrevHash, Hash: r.Hash}
}

const eventCols = `e.id, e.parcel_id, p.tracking_number AS number, e.parcel_seq, e.type, e.upu_code, e.actor_kind, e.actor_ref,
	e.device_at, e.server_at, e.lat, e.lng, e.data::text AS data, e.prev_hash, e.hash, e.seq`

// FindEvents returns a parcel's events in chain order.
func (d *DB) FindEvents(ctx context.Context, parcelID string) ([]tracking.Event, error) {
	var rows []eventRow
	if err := d.query(ctx, &rows, `SELECT `+eventCols+` FROM events e JOIN parcels p ON p.id = e.parcel_id
		WHERE e.parcel_id = ? ORDER BY e.parcel_seq`, parcelID); err != nil {
		return nil, err
	}
	out := make([]tracking.Event, len(rows))
	for i, r := range rows {
		out[i] = toEvent(r)
	}
	return out, nil
}
