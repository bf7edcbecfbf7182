package pg

import (
	"context"
	"time"

	"github.com/go-pg/pg/v10"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

// ParcelHeads pages through parcels in id order, those with an event at or
// after since (zero for all).
func (d *DB) ParcelHeads(ctx context.Context, afterID string, since time.Time, limit int) (_ []app.ChainHead, err error) {
	defer errs.Wrap(&err, "pg.ParcelHeads %s", afterID)
	var rows []app.ChainHead
	var after any = "00000000-0000-0000-0000-000000000000"
	if afterID != "" {
		after = afterID
	}
	if since.IsZero() {
		err = d.query(ctx, &rows, `SELECT id::text AS parcel_id, tracking_number AS number, coalesce(last_hash, '') AS hash, event_count
			FROM parcels WHERE id > ?::uuid ORDER BY id LIMIT ?`, after, limit)
	} else {
		err = d.query(ctx, &rows, `SELECT id::text AS parcel_id, tracking_number AS number, coalesce(last_hash, '') AS hash, event_count
			FROM parcels p WHERE id > ?::uuid AND updated_at >= ? ORDER BY id LIMIT ?`, after, since, limit)
	}
	return rows, err
}

// EventsOf returns the events of parcels in chain order, by parcel id.
func (d *DB) EventsOf(ctx context.Context, ids []string) (_ map[string][]tracking.Event, err error) {
	defer errs.Wrap(&err, "pg.EventsOf")
	out := map[string][]tracking.Event{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []eventRow
	if err := d.query(ctx, &rows, `SELECT `+eventCols+` FROM events e`+eventJoins+`
		WHERE e.parcel_id IN (?) ORDER BY e.parcel_id, e.parcel_seq`, pg.In(ids)); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ParcelID] = append(out[r.ParcelID], toEvent(r))
	}
	return out, nil
}

// HeadsAsOf returns, for a page of parcels in id order, the hash of each
// parcel's last event before cutoff (parcels with none are left out).
func (d *DB) HeadsAsOf(ctx context.Context, afterID string, cutoff time.Time, limit int) (heads []tracking.Head, lastID string, err error) {
	defer errs.Wrap(&err, "pg.HeadsAsOf %s", afterID)
	var ids []string
	after := "00000000-0000-0000-0000-000000000000"
	if afterID != "" {
		after = afterID
	}
	if err := d.query(ctx, &ids, `SELECT id::text FROM parcels WHERE id > ?::uuid AND created_at < ? ORDER BY id LIMIT ?`, after, cutoff, limit); err != nil {
		return nil, "", err
	}
	if len(ids) == 0 {
		return nil, "", nil
	}
	var rows []struct {
		ParcelID string
		Hash     []byte
	}
	if err := d.query(ctx, &rows, `SELECT DISTINCT ON (parcel_id) parcel_id::text, hash FROM events
		WHERE parcel_id IN (?) AND server_at < ? ORDER BY parcel_id, parcel_seq DESC`, pg.In(ids), cutoff); err != nil {
		return nil, "", err
	}
	for _, r := range rows {
		heads = append(heads, tracking.Head{ParcelID: r.ParcelID, Hash: r.Hash})
	}
	return heads, ids[len(ids)-1], nil
}

// Roots returns the stored daily roots from a day on.
func (d *DB) Roots(ctx context.Context, from time.Time) (_ []app.DayRoot, err error) {
	defer errs.Wrap(&err, "pg.Roots")
	var rows []app.DayRoot
	err = d.query(ctx, &rows, `SELECT day, root, parcels, max_seq FROM ledger_roots WHERE day >= ?::date ORDER BY day`, from.Format("2006-01-02"))
	return rows, err
}

// LastRootDay returns the newest day with a root.
func (d *DB) LastRootDay(ctx context.Context) (_ time.Time, _ bool, err error) {
	defer errs.Wrap(&err, "pg.LastRootDay")
	var day *time.Time
	if err := d.queryOne(ctx, pg.Scan(&day), `SELECT max(day) FROM ledger_roots`); err != nil {
		return time.Time{}, false, err
	}
	if day == nil {
		return time.Time{}, false, nil
	}
	return *day, true, nil
}

// FirstEventAt returns the server time of the first event.
func (d *DB) FirstEventAt(ctx context.Context) (_ time.Time, _ bool, err error) {
	defer errs.Wrap(&err, "pg.FirstEventAt")
	var at *time.Time
	if err := d.queryOne(ctx, pg.Scan(&at), `SELECT min(server_at) FROM events`); err != nil {
		return time.Time{}, false, err
	}
	if at == nil {
		return time.Time{}, false, nil
	}
	return *at, true, nil
}

// InsertRoot stores a day's root; a day is stored once.
func (d *DB) InsertRoot(ctx context.Context, r app.DayRoot, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.InsertRoot %v", r.Day)
	_, err = d.exec(ctx, `INSERT INTO ledger_roots (day, root, parcels, max_seq, created_at) VALUES (?::date, ?, ?, ?, ?)`,
		r.Day.Format("2006-01-02"), r.Root, r.Parcels, r.MaxSeq, at)
	if errs.Is(err, errs.Conflict) {
		return nil
	}
	return err
}

// MaxSeqBefore is the largest global event sequence before cutoff.
func (d *DB) MaxSeqBefore(ctx context.Context, cutoff time.Time) (_ int64, err error) {
	defer errs.Wrap(&err, "pg.MaxSeqBefore")
	var n int64
	err = d.queryOne(ctx, pg.Scan(&n), `SELECT coalesce(max(seq), 0) FROM events WHERE server_at < ?`, cutoff)
	return n, err
}

// Projections loads, for parcels by id, what the ledger's store derived
// from their events: the parcel's projection, its custody periods, hand-offs
// and incidents in chain order, and the responsible party of each
// lost-original case.
func (d *DB) Projections(ctx context.Context, ids []string) (_ map[string]app.StoredProjection, err error) {
	defer errs.Wrap(&err, "pg.Projections")
	out := map[string]app.StoredProjection{}
	if len(ids) == 0 {
		return out, nil
	}
	ps, err := d.loadParcelsWith(ctx, false, `WHERE p.id IN (?)`, pg.In(ids))
	if err != nil {
		return nil, err
	}
	for _, p := range ps {
		out[p.ID] = app.StoredProjection{Parcel: p, Projection: tracking.Projection{
			State: tracking.State{Leg: p.Leg, Status: p.Status, Custodian: p.Custodian, Attempts: p.Attempts,
				SealID: p.SealID, Documents: p.Documents, Collected: p.Collected},
			Count: p.EventCount, LastHash: p.LastHash}}
	}
	add := func(id string, f func(sp *app.StoredProjection)) {
		sp, ok := out[id]
		if ok {
			f(&sp)
			out[id] = sp
		}
	}
	var cs []struct {
		ParcelID, HolderKind, HolderRef, FromEvent, ToEvent string
		FromAt                                              time.Time
		ToAt                                                *time.Time
	}
	// In chain order: server times may step back (a clock correction), the
	// chain's positions never do.
	if err := d.query(ctx, &cs, `SELECT c.parcel_id, c.holder_kind, c.holder_ref, c.from_event, coalesce(c.to_event::text, '') AS to_event, c.from_at, c.to_at
		FROM custody c LEFT JOIN events e ON e.id = c.from_event WHERE c.parcel_id IN (?) ORDER BY c.parcel_id, e.parcel_seq, c.id`, pg.In(ids)); err != nil {
		return nil, err
	}
	for _, c := range cs {
		add(c.ParcelID, func(sp *app.StoredProjection) {
			p := tracking.CustodyPeriod{Holder: tracking.Party{Kind: tracking.PartyKind(c.HolderKind), Ref: c.HolderRef}, FromEvent: c.FromEvent, FromAt: c.FromAt, ToEvent: c.ToEvent}
			if c.ToAt != nil {
				p.ToAt = *c.ToAt
			}
			sp.Projection.Custody = append(sp.Projection.Custody, p)
		})
	}
	var hs []struct {
		ID, ParcelID, GiverKind, GiverRef, ReceiverKind, ReceiverRef, Status, ReleasedEvent, ClosedEvent string
		ReleasedAt                                                                                       time.Time
		ClosedAt                                                                                         *time.Time
	}
	if err := d.query(ctx, &hs, `SELECT h.id, h.parcel_id, h.giver_kind, h.giver_ref, h.receiver_kind, h.receiver_ref, h.status,
		h.released_event, coalesce(h.closed_event::text, '') AS closed_event, h.released_at, h.closed_at
		FROM handoffs h LEFT JOIN events e ON e.id = h.released_event WHERE h.parcel_id IN (?) ORDER BY h.parcel_id, e.parcel_seq, h.released_at`, pg.In(ids)); err != nil {
		return nil, err
	}
	for _, h := range hs {
		add(h.ParcelID, func(sp *app.StoredProjection) {
			r := tracking.HandoffRecord{ID: h.ID, Giver: tracking.Party{Kind: tracking.PartyKind(h.GiverKind), Ref: h.GiverRef},
				Receiver: tracking.Party{Kind: tracking.PartyKind(h.ReceiverKind), Ref: h.ReceiverRef}, Status: h.Status,
				ReleasedEvent: h.ReleasedEvent, ReleasedAt: h.ReleasedAt, ClosedEvent: h.ClosedEvent}
			if h.ClosedAt != nil {
				r.ClosedAt = *h.ClosedAt
			}
			sp.Projection.Handoffs = append(sp.Projection.Handoffs, r)
		})
	}
	// Only disputes come from the ledger; complaints and quiet-parcel cases
	// (migration 0018) have no event to replay.
	var is []struct {
		ID, ParcelID, EventID, HandoffID, Problem, LastCustodianKind, LastCustodianRef, Note, Status string
		MissingLines                                                                                 []int `pg:",array"`
		CreatedAt                                                                                    time.Time
		LostResponsibleKind, LostResponsibleRef                                                      *string
	}
	if err := d.query(ctx, &is, `SELECT i.id, i.parcel_id, i.event_id, coalesce(i.handoff_id::text, '') AS handoff_id, i.problem,
		i.last_custodian_kind, i.last_custodian_ref, i.note, i.status, i.missing_lines, i.created_at,
		l.responsible_kind AS lost_responsible_kind, l.responsible_ref AS lost_responsible_ref
		FROM incidents i LEFT JOIN events e ON e.id = i.event_id LEFT JOIN lost_cases l ON l.incident_id = i.id
		WHERE i.parcel_id IN (?) AND i.kind = 'dispute' ORDER BY i.parcel_id, e.parcel_seq, i.created_at`, pg.In(ids)); err != nil {
		return nil, err
	}
	for _, i := range is {
		add(i.ParcelID, func(sp *app.StoredProjection) {
			lines := i.MissingLines
			if len(lines) == 0 {
				lines = nil
			}
			sp.Projection.Incidents = append(sp.Projection.Incidents, tracking.IncidentRecord{EventID: i.EventID, HandoffID: i.HandoffID,
				Problem: tracking.DisputeProblem(i.Problem), MissingLines: lines, LastCustodian: tracking.Party{Kind: tracking.PartyKind(i.LastCustodianKind), Ref: i.LastCustodianRef},
				Note: i.Note, At: i.CreatedAt})
			c := app.StoredCase{IncidentID: i.ID, IncidentStatus: i.Status}
			if i.LostResponsibleKind != nil {
				c.Lost, c.Responsible = true, tracking.Party{Kind: tracking.PartyKind(*i.LostResponsibleKind), Ref: *i.LostResponsibleRef}
			}
			sp.Cases = append(sp.Cases, c)
		})
	}
	// Lost-original cases whose incident is gone.
	var orphans []string
	if err := d.query(ctx, &orphans, `SELECT l.parcel_id::text FROM lost_cases l LEFT JOIN incidents i ON i.id = l.incident_id
		WHERE l.parcel_id IN (?) AND i.id IS NULL`, pg.In(ids)); err != nil {
		return nil, err
	}
	for _, id := range orphans {
		add(id, func(sp *app.StoredProjection) { sp.OrphanCases++ })
	}
	return out, nil
}

// EventsWithoutLeaf returns up to limit ledger events that have neither a
// leaf in the transparency log nor a queued one.
func (d *DB) EventsWithoutLeaf(ctx context.Context, limit int) (_ []string, err error) {
	defer errs.Wrap(&err, "pg.EventsWithoutLeaf")
	var ids []string
	err = d.query(ctx, &ids, `SELECT e.id::text FROM events e
		WHERE NOT EXISTS (SELECT 1 FROM log_leaves l WHERE l.kind = 'event' AND l.ref = e.id::text)
		  AND NOT EXISTS (SELECT 1 FROM log_queue q WHERE q.kind = 'event' AND q.ref = e.id::text)
		ORDER BY e.seq LIMIT ?`, limit)
	return ids, err
}

// EventsByID returns ledger events by id (without their chain neighbours).
func (d *DB) EventsByID(ctx context.Context, ids []string) (_ map[string]tracking.Event, err error) {
	defer errs.Wrap(&err, "pg.EventsByID")
	out := map[string]tracking.Event{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []eventRow
	if err := d.query(ctx, &rows, `SELECT `+eventCols+` FROM events e`+eventJoins+`WHERE e.id IN (?)`, pg.In(ids)); err != nil {
		return nil, err
	}
	for _, r := range rows {
		ev := toEvent(r)
		out[ev.ID] = ev
	}
	return out, nil
}

// LogTileCount counts the stored tiles.
func (d *DB) LogTileCount(ctx context.Context) (_ int, err error) {
	defer errs.Wrap(&err, "pg.LogTileCount")
	var n int
	err = d.queryOne(ctx, pg.Scan(&n), `SELECT count(*) FROM log_tiles`)
	return n, err
}

// LogLeafCount counts the stored leaves.
func (d *DB) LogLeafCount(ctx context.Context) (_ int64, err error) {
	defer errs.Wrap(&err, "pg.LogLeafCount")
	var n int64
	err = d.queryOne(ctx, pg.Scan(&n), `SELECT count(*) FROM log_leaves`)
	return n, err
}
