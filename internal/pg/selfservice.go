package pg

import (
	"context"

	"github.com/go-pg/pg/v10"

	"hoso/internal/errs"
	"hoso/tracking"
)

// SetPickupWindow gives a pickup one new window and withdraws its planned
// visit (courier, day, stop), in the caller's transaction.
func (d *DB) SetPickupWindow(ctx context.Context, parcelID string, w tracking.Window) (err error) {
	defer errs.Wrap(&err, "pg.SetPickupWindow %s", parcelID)
	return d.InTx(ctx, func(ctx context.Context) error {
		if _, err := d.exec(ctx, `DELETE FROM pickup_windows WHERE parcel_id = ?`, parcelID); err != nil {
			return err
		}
		if _, err := d.exec(ctx, `INSERT INTO pickup_windows (parcel_id, idx, starts_at, ends_at) VALUES (?, 1, ?, ?)`,
			parcelID, w.Start, w.End); err != nil {
			return err
		}
		_, err := d.exec(ctx, `UPDATE parcels SET window_start = ?, window_end = ?, courier_ref = NULL, planned_date = NULL,
			route_stop = NULL WHERE id = ?`, w.Start, w.End, parcelID)
		return err
	})
}

// WithdrawVisit takes a pickup off its courier's day: no courier, day or
// stop until the next plan places it again.
func (d *DB) WithdrawVisit(ctx context.Context, parcelID string) (err error) {
	defer errs.Wrap(&err, "pg.WithdrawVisit %s", parcelID)
	_, err = d.exec(ctx, `UPDATE parcels SET courier_ref = NULL, planned_date = NULL, route_stop = NULL WHERE id = ?`, parcelID)
	return err
}

// CorrectAddress stores a pickup's corrected address: line, commune,
// point, whether the point is the commune's centre, H3 cell and office.
func (d *DB) CorrectAddress(ctx context.Context, parcelID, line, commune string, lat, lng float64, approx bool, cell int64, office string) (err error) {
	defer errs.Wrap(&err, "pg.CorrectAddress %s", parcelID)
	_, err = d.exec(ctx, `UPDATE parcels SET address_line = ?, commune_code = ?, lat = ?, lng = ?, location_approx = ?, cell = ?,
		office_code = ? WHERE id = ?`, line, commune, lat, lng, approx, cellOrNull(cell), nullable(office), parcelID)
	return err
}

// ReportClient returns the active portal client with a callback URL
// registered for a province (the oldest when there are several).
func (d *DB) ReportClient(ctx context.Context, province string) (_ string, _ bool, err error) {
	defer errs.Wrap(&err, "pg.ReportClient %s", province)
	var id string
	err = d.queryOne(ctx, pg.Scan(&id), `SELECT id FROM portal_clients WHERE province_code = ? AND active AND callback_url <> ''
		ORDER BY created_at, id LIMIT 1`, province)
	if errs.Is(err, errs.NotFound) {
		return "", false, nil
	}
	return id, err == nil, err
}
