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
func (d *DB) ParcelHeads(ctx context.Context, afterID string, since time.Time, limit int) ([]app.ChainHead, error) {
	var rows []app.ChainHead
	var after any = "00000000-0000-0000-0000-000000000000"
	if afterID != "" {
		after = afterID
	}
	var err error
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
func (d *DB) EventsOf(ctx context.Context, ids []string) (map[string][]tracking.Event, error) {
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
func (d *DB) Roots(ctx context.Context, from time.Time) ([]app.DayRoot, error) {
	var rows []app.DayRoot
	err := d.query(ctx, &rows, `SELECT day, root, parcels, max_seq FROM ledger_roots WHERE day >= ?::date ORDER BY day`, from.Format("2006-01-02"))
	return rows, err
}

// LastRootDay returns the newest day with a root.
func (d *DB) LastRootDay(ctx context.Context) (time.Time, bool, error) {
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
func (d *DB) FirstEventAt(ctx context.Context) (time.Time, bool, error) {
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
func (d *DB) InsertRoot(ctx context.Context, r app.DayRoot, at time.Time) error {
	_, err := d.exec(ctx, `INSERT INTO ledger_roots (day, root, parcels, max_seq, created_at) VALUES (?::date, ?, ?, ?, ?)`,
		r.Day.Format("2006-01-02"), r.Root, r.Parcels, r.MaxSeq, at)
	if errs.Is(err, errs.Conflict) {
		return nil
	}
	return err
}

// MaxSeqBefore is the largest global event sequence before cutoff.
func (d *DB) MaxSeqBefore(ctx context.Context, cutoff time.Time) (int64, error) {
	var n int64
	err := d.queryOne(ctx, pg.Scan(&n), `SELECT coalesce(max(seq), 0) FROM events WHERE server_at < ?`, cutoff)
	return n, err
}
