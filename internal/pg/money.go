package pg

import (
	"context"
	"time"

	"github.com/go-pg/pg/v10"

	"hoso/internal/app"
	"hoso/internal/errs"
)

// feeLineRow is one delivery with a fee as FeeLines reads it.
type feeLineRow struct {
	CourierRef  string
	CourierName string
	OfficeCode  string
	OfficeName  string
	Number      string
	DossierCode string
	Due         int64
	Collected   int64
	At          time.Time
	Demo        bool
}

// FeeLines lists the deliveries with a fee due or collected that couriers
// in scope recorded between from and to, by when they happened (the
// device's time, else the server's), oldest first per courier.
//
// Indexes: events_happened_idx ((coalesce(device_at, server_at)), type)
// gives the day's or period's delivery.completed events in one range, both
// columns in the index condition (its partial predicate is implied by the
// constant type); users by users_staff_code_key (or a scan of the office's
// few accounts), post_offices, parcels and dossiers by primary key. The scope's tests
// against the empty string are folded away by the planner, since go-pg
// sends values inline, as constants.
func (d *DB) FeeLines(ctx context.Context, s app.MoneyScope, from, to time.Time) (_ []app.FeeLine, err error) {
	defer errs.Wrap(&err, "pg.FeeLines")
	var rows []feeLineRow
	err = d.query(ctx, &rows, `SELECT e.actor_ref AS courier_ref, u.full_name AS courier_name, u.office_code, o.name AS office_name,
			p.tracking_number AS number, k.code AS dossier_code, p.fee_amount AS due,
			coalesce((e.data->>'fee_collected')::bigint, 0) AS collected,
			coalesce(e.device_at, e.server_at) AS at, p.demo
		FROM events e
		JOIN users u ON u.staff_code = e.actor_ref
		JOIN post_offices o ON o.code = u.office_code
		JOIN parcels p ON p.id = e.parcel_id
		JOIN dossiers k ON k.id = p.dossier_id
		WHERE e.type = 'delivery.completed' AND e.actor_kind = 'courier'
			AND coalesce(e.device_at, e.server_at) >= ? AND coalesce(e.device_at, e.server_at) < ?
			AND (p.fee_amount > 0 OR coalesce((e.data->>'fee_collected')::bigint, 0) > 0)
			AND (? = '' OR e.actor_ref = ?) AND (? = '' OR u.office_code = ?) AND (? = '' OR o.province_code = ?)
		ORDER BY o.code, e.actor_ref, at, p.tracking_number`,
		from, to, s.Courier, s.Courier, s.Office, s.Office, s.Province, s.Province)
	if err != nil {
		return nil, err
	}
	out := make([]app.FeeLine, len(rows))
	for i, r := range rows {
		out[i] = app.FeeLine{CourierRef: r.CourierRef, CourierName: r.CourierName, OfficeCode: r.OfficeCode, OfficeName: r.OfficeName,
			Number: r.Number, DossierCode: r.DossierCode, Due: r.Due, Collected: r.Collected, At: r.At, Demo: r.Demo}
	}
	return out, nil
}

type handoverRow struct {
	ID             int64
	CourierRef     string
	OfficeCode     string
	Day            time.Time
	Deliveries     int   `pg:",use_zero"`
	Expected       int64 `pg:",use_zero"`
	Counted        int64 `pg:",use_zero"`
	Note           string
	StatementCode  string
	ReceivedBy     int64
	ReceivedByName string
	ReceivedAt     time.Time
}

// dateOf reads a date column (midnight UTC as go-pg scans it) as midnight
// in Vietnam.
func dateOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, vietnam)
}

// Handovers lists the cash handovers of days from..to (both included) in
// scope, with the name of who received the cash.
//
// Indexes: cash_handovers_once (courier_ref, day) for one courier,
// cash_handovers_office_day_idx (office_code, day) for an office; a
// province reads its offices through post_offices_province_idx.
func (d *DB) Handovers(ctx context.Context, s app.MoneyScope, from, to time.Time) (_ []app.Handover, err error) {
	defer errs.Wrap(&err, "pg.Handovers")
	var rows []handoverRow
	err = d.query(ctx, &rows, `SELECT h.id, h.courier_ref, h.office_code, h.day, h.deliveries, h.expected, h.counted, h.note,
			h.statement_code, h.received_by, u.full_name AS received_by_name, h.received_at
		FROM cash_handovers h
		JOIN users u ON u.id = h.received_by
		JOIN post_offices o ON o.code = h.office_code
		WHERE h.day >= ?::date AND h.day <= ?::date
			AND (? = '' OR h.courier_ref = ?) AND (? = '' OR h.office_code = ?) AND (? = '' OR o.province_code = ?)
		ORDER BY h.day, h.courier_ref`,
		from.Format("2006-01-02"), to.Format("2006-01-02"), s.Courier, s.Courier, s.Office, s.Office, s.Province, s.Province)
	if err != nil {
		return nil, err
	}
	out := make([]app.Handover, len(rows))
	for i, r := range rows {
		out[i] = app.Handover{ID: r.ID, CourierRef: r.CourierRef, OfficeCode: r.OfficeCode, Day: dateOf(r.Day),
			Deliveries: r.Deliveries, Expected: r.Expected, Counted: r.Counted, Note: r.Note, StatementCode: r.StatementCode,
			ReceivedBy: r.ReceivedBy, ReceivedByName: r.ReceivedByName, ReceivedAt: r.ReceivedAt}
	}
	return out, nil
}

// CreateHandover records a handover. The unique (courier_ref, day) makes a
// second one for the same courier-day a conflict whatever the caller
// checked first; the table refuses updates and deletes.
func (d *DB) CreateHandover(ctx context.Context, h app.Handover) (_ app.Handover, err error) {
	defer errs.Wrap(&err, "pg.CreateHandover")
	err = d.queryOne(ctx, pg.Scan(&h.ID), `INSERT INTO cash_handovers (courier_ref, office_code, day, deliveries, expected, counted,
			note, statement_code, received_by, received_at)
		VALUES (?, ?, ?::date, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		h.CourierRef, h.OfficeCode, h.Day.Format("2006-01-02"), h.Deliveries, h.Expected, h.Counted, h.Note, h.StatementCode,
		h.ReceivedBy, h.ReceivedAt)
	if err != nil {
		if errs.Is(err, errs.Conflict) {
			return app.Handover{}, errs.Wrapf(errs.Conflict, err, "tiền của bưu tá %s ngày %s đã được xác nhận", h.CourierRef, h.Day.Format("02/01/2006"))
		}
		return app.Handover{}, err
	}
	return h, nil
}
