package pg

import (
	"context"
	"fmt"
	"hoso/tracking"
	"time"

	"github.com/go-pg/pg/v10"

	"hoso/dispatch"
	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/h3cell"
)

// The dispatch store: zones, shifts, absences, plans and pins
// (migrations/0003_dispatch.sql). Days travel as "2006-01-02" text so no
// time zone can shift them.

func parseDay(s string) dispatch.Day {
	d, _ := dispatch.ParseDay(s)
	return d
}

func dayParam(d dispatch.Day) any {
	if d.IsZero() {
		return nil
	}
	return d.String()
}

// ---------- zones ----------

type zoneCellRow struct {
	//lint:ignore U1000 go-pg reads the table name from this field by reflection
	tableName  struct{}  `pg:"zone_cells"`
	Cell       int64     `pg:"cell,pk,use_zero"`
	Res        int       `pg:"res,use_zero"`
	OfficeCode string    `pg:"office_code,use_zero"`
	AddedAt    time.Time `pg:"added_at,use_zero"`
}

// FindZones returns the zones of a province's offices ("" for all), in
// office order, each office's cells sorted.
func (d *DB) FindZones(ctx context.Context, province string) (_ []dispatch.Zone, err error) {
	defer errs.Wrap(&err, "pg.FindZones %s", province)
	var rows []zoneCellRow
	err = d.query(ctx, &rows, `SELECT z.cell, z.res, z.office_code, z.added_at FROM zone_cells z
		JOIN post_offices o ON o.code = z.office_code
		WHERE (? = '' OR o.province_code = ?) ORDER BY z.office_code, z.cell`, province, province)
	if err != nil {
		return nil, err
	}
	var out []dispatch.Zone
	for _, r := range rows {
		if n := len(out); n == 0 || out[n-1].Office != r.OfficeCode {
			out = append(out, dispatch.Zone{Office: r.OfficeCode})
		}
		z := &out[len(out)-1]
		z.Cells = append(z.Cells, h3cell.Cell(r.Cell))
	}
	return out, nil
}

// ReplaceZone sets an office's cells to exactly z.Cells, atomically. A cell
// owned by another office is a Conflict naming the cell and the office.
func (d *DB) ReplaceZone(ctx context.Context, z dispatch.Zone, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.ReplaceZone %s", z.Office)
	return d.InTx(ctx, func(ctx context.Context) error {
		// Serialise zone edits so two offices cannot grab the same cell
		// between our check and our insert (the primary key would refuse
		// it anyway; this only makes the error readable).
		if _, err := d.exec(ctx, `SELECT pg_advisory_xact_lock(7238101)`); err != nil {
			return err
		}
		cells := make([]int64, len(z.Cells))
		for i, c := range z.Cells {
			cells[i] = int64(c)
		}
		if len(cells) > 0 {
			var taken []struct {
				Cell       int64  `pg:"cell"`
				OfficeCode string `pg:"office_code"`
			}
			if err := d.query(ctx, &taken, `SELECT cell, office_code FROM zone_cells WHERE cell = ANY(?::bigint[]) AND office_code <> ? ORDER BY cell LIMIT 5`,
				pg.Array(cells), z.Office); err != nil {
				return err
			}
			if len(taken) > 0 {
				return errs.E(errs.Conflict, "Ô %s đã thuộc vùng của bưu cục %s", h3cell.Cell(taken[0].Cell), taken[0].OfficeCode).
					WithFields(map[string]string{"cells": "ô " + h3cell.Cell(taken[0].Cell).String() + " đã thuộc bưu cục " + taken[0].OfficeCode})
			}
		}
		if _, err := d.exec(ctx, `DELETE FROM zone_cells WHERE office_code = ?`, z.Office); err != nil {
			return err
		}
		if len(cells) == 0 {
			return nil
		}
		_, err := d.exec(ctx, `INSERT INTO zone_cells (cell, res, office_code, added_at)
			SELECT c, ?, ?, ? FROM unnest(?::bigint[]) AS c`, h3cell.ZoneRes, z.Office, at, pg.Array(cells))
		return err
	})
}

// OfficeOfCell returns the office owning a zone cell.
func (d *DB) OfficeOfCell(ctx context.Context, zoneCell h3cell.Cell) (_ string, _ bool, err error) {
	defer errs.Wrap(&err, "pg.OfficeOfCell")
	var office string
	err = d.queryOne(ctx, pg.Scan(&office), `SELECT office_code FROM zone_cells WHERE cell = ?`, int64(zoneCell))
	if errs.Is(err, errs.NotFound) {
		return "", false, nil
	}
	return office, err == nil, err
}

// ---------- shifts ----------

type shiftRow struct {
	//lint:ignore U1000 go-pg reads the table name from this field by reflection
	tableName  struct{}  `pg:"courier_shifts"`
	ID         int64     `pg:"id,pk"`
	CourierRef string    `pg:"courier_ref,use_zero"`
	OfficeCode string    `pg:"office_code,use_zero"`
	Day        string    `pg:"day,use_zero"`
	StartMin   int       `pg:"start_min,use_zero"`
	EndMin     int       `pg:"end_min,use_zero"`
	StartLat   *float64  `pg:"start_lat"`
	StartLng   *float64  `pg:"start_lng"`
	EndLat     *float64  `pg:"end_lat"`
	EndLng     *float64  `pg:"end_lng"`
	Capacity   int       `pg:"capacity,use_zero"`
	MaxStops   int       `pg:"max_stops,use_zero"`
	Vehicle    string    `pg:"vehicle,use_zero"`
	COD        bool      `pg:"cod,use_zero"`
	BreakFrom  int       `pg:"break_from_min,use_zero"`
	BreakTo    int       `pg:"break_to_min,use_zero"`
	BreakMin   int       `pg:"break_minutes,use_zero"`
	MaxMin     int       `pg:"max_minutes,use_zero"`
	Communes   []string  `pg:"communes,array,use_zero"`
	Demo       bool      `pg:"demo,use_zero"`
	CreatedAt  time.Time `pg:"created_at,use_zero"`
}

const shiftCols = `id, courier_ref, office_code, day::text AS day, start_min, end_min, start_lat, start_lng, end_lat, end_lng,
	capacity, max_stops, vehicle, cod, break_from_min, break_to_min, break_minutes, max_minutes, communes, demo, created_at`

func pointPtrs(p dispatch.Point) (*float64, *float64) {
	if p.IsZero() {
		return nil, nil
	}
	lat, lng := p.Lat, p.Lng
	return &lat, &lng
}

func pointOf(lat, lng *float64) dispatch.Point {
	if lat == nil || lng == nil {
		return dispatch.Point{}
	}
	return dispatch.Point{Lat: *lat, Lng: *lng}
}

func fromShift(s dispatch.Shift, at time.Time) shiftRow {
	r := shiftRow{ID: s.ID, CourierRef: s.Courier, OfficeCode: s.Office, Day: s.Day.String(), StartMin: int(s.Start), EndMin: int(s.End),
		Capacity: s.Capacity, MaxStops: s.MaxStops, Vehicle: string(s.Vehicle), COD: s.COD, Demo: s.Demo, CreatedAt: at,
		BreakFrom: int(s.BreakFrom), BreakTo: int(s.BreakTo), BreakMin: s.BreakMinutes, MaxMin: s.MaxMinutes, Communes: s.Communes}
	if r.Communes == nil {
		r.Communes = []string{}
	}
	r.StartLat, r.StartLng = pointPtrs(s.StartPlace)
	r.EndLat, r.EndLng = pointPtrs(s.EndPlace)
	return r
}

func toShift(r shiftRow) dispatch.Shift {
	return dispatch.Shift{ID: r.ID, Courier: r.CourierRef, Office: r.OfficeCode, Day: parseDay(r.Day),
		Start: dispatch.Clock(r.StartMin), End: dispatch.Clock(r.EndMin),
		StartPlace: pointOf(r.StartLat, r.StartLng), EndPlace: pointOf(r.EndLat, r.EndLng),
		Capacity: r.Capacity, MaxStops: r.MaxStops, Vehicle: dispatch.VehicleKind(r.Vehicle), COD: r.COD, Demo: r.Demo,
		BreakFrom: dispatch.Clock(r.BreakFrom), BreakTo: dispatch.Clock(r.BreakTo), BreakMinutes: r.BreakMin, MaxMinutes: r.MaxMin,
		Communes: nilIfEmpty(r.Communes)}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

// CreateShift stores a shift. A second shift of the courier that day is a
// Conflict; an unknown courier or office is Invalid.
func (d *DB) CreateShift(ctx context.Context, s dispatch.Shift, at time.Time) (_ dispatch.Shift, err error) {
	defer errs.Wrap(&err, "pg.CreateShift %v", s.ID)
	r := fromShift(s, at)
	_, err = d.insert(ctx, &r, true)
	err = translate(err)
	switch {
	case errs.Is(err, errs.Conflict):
		return dispatch.Shift{}, errs.E(errs.Conflict, "Bưu tá %s đã có ca ngày %s", s.Courier, s.Day.Label()).
			WithFields(map[string]string{"day": "Bưu tá " + s.Courier + " đã có ca ngày " + s.Day.Label()})
	case errs.Is(err, errs.Invalid):
		return dispatch.Shift{}, errs.Wrapf(errs.Unprocessable, err, "Không có bưu tá %s hoặc bưu cục %s", s.Courier, s.Office)
	case err != nil:
		return dispatch.Shift{}, err
	}
	return d.FindShift(ctx, r.ID)
}

// FindShift finds a shift by id.
func (d *DB) FindShift(ctx context.Context, id int64) (_ dispatch.Shift, err error) {
	defer errs.Wrap(&err, "pg.FindShift %v", id)
	var r shiftRow
	if err := d.queryOne(ctx, &r, `SELECT `+shiftCols+` FROM courier_shifts WHERE id = ?`, id); err != nil {
		if errs.Is(err, errs.NotFound) {
			return dispatch.Shift{}, errs.E(errs.NotFound, "Không có ca làm việc số %d", id)
		}
		return dispatch.Shift{}, err
	}
	return toShift(r), nil
}

// DeleteShift removes a shift.
func (d *DB) DeleteShift(ctx context.Context, id int64) (err error) {
	defer errs.Wrap(&err, "pg.DeleteShift %v", id)
	res, err := d.exec(ctx, `DELETE FROM courier_shifts WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if res.RowsAffected() == 0 {
		return errs.E(errs.NotFound, "Không có ca làm việc số %d", id)
	}
	return nil
}

// FindShifts lists shifts by day then courier.
func (d *DB) FindShifts(ctx context.Context, f dispatch.ShiftFilter) (_ []dispatch.Shift, err error) {
	defer errs.Wrap(&err, "pg.FindShifts")
	var rows []shiftRow
	err = d.query(ctx, &rows, `SELECT `+shiftCols+` FROM courier_shifts
		WHERE (? = '' OR office_code = ?) AND (? = '' OR courier_ref = ?)
		AND (?::date IS NULL OR day >= ?::date) AND (?::date IS NULL OR day <= ?::date)
		ORDER BY day, courier_ref`, f.Office, f.Office, f.Courier, f.Courier,
		dayParam(f.From), dayParam(f.From), dayParam(f.To), dayParam(f.To))
	out := make([]dispatch.Shift, len(rows))
	for i, r := range rows {
		out[i] = toShift(r)
	}
	return out, err
}

// ---------- absences ----------

type absenceRow struct {
	//lint:ignore U1000 go-pg reads the table name from this field by reflection
	tableName  struct{}  `pg:"courier_absences"`
	ID         int64     `pg:"id,pk"`
	CourierRef string    `pg:"courier_ref,use_zero"`
	Day        string    `pg:"day,use_zero"`
	FromMin    int       `pg:"from_min,use_zero"`
	ToMin      int       `pg:"to_min,use_zero"`
	Reason     string    `pg:"reason,use_zero"`
	CreatedAt  time.Time `pg:"created_at,use_zero"`
}

func toAbsence(r absenceRow) dispatch.Absence {
	return dispatch.Absence{ID: r.ID, Courier: r.CourierRef, Day: parseDay(r.Day), From: dispatch.Clock(r.FromMin), To: dispatch.Clock(r.ToMin), Reason: r.Reason}
}

// CreateAbsence stores an absence.
func (d *DB) CreateAbsence(ctx context.Context, a dispatch.Absence, at time.Time) (_ dispatch.Absence, err error) {
	defer errs.Wrap(&err, "pg.CreateAbsence %v", a.ID)
	r := absenceRow{CourierRef: a.Courier, Day: a.Day.String(), FromMin: int(a.From), ToMin: int(a.To), Reason: a.Reason, CreatedAt: at}
	_, err = d.insert(ctx, &r, true)
	if err = translate(err); errs.Is(err, errs.Invalid) {
		return dispatch.Absence{}, errs.Wrapf(errs.Unprocessable, err, "Không có bưu tá %s", a.Courier)
	} else if err != nil {
		return dispatch.Absence{}, err
	}
	a.ID = r.ID
	return a, nil
}

// DeleteAbsence removes an absence.
func (d *DB) DeleteAbsence(ctx context.Context, id int64) (err error) {
	defer errs.Wrap(&err, "pg.DeleteAbsence %v", id)
	res, err := d.exec(ctx, `DELETE FROM courier_absences WHERE id = ?`, id)
	if err != nil {
		return err
	}
	if res.RowsAffected() == 0 {
		return errs.E(errs.NotFound, "Không có lượt vắng mặt số %d", id)
	}
	return nil
}

// FindAbsences lists absences by day then courier.
func (d *DB) FindAbsences(ctx context.Context, f dispatch.AbsenceFilter) (_ []dispatch.Absence, err error) {
	defer errs.Wrap(&err, "pg.FindAbsences")
	var rows []absenceRow
	err = d.query(ctx, &rows, `SELECT a.id, a.courier_ref, a.day::text AS day, a.from_min, a.to_min, a.reason, a.created_at
		FROM courier_absences a JOIN users u ON u.staff_code = a.courier_ref
		WHERE (? = '' OR u.office_code = ?) AND (? = '' OR a.courier_ref = ?)
		AND (?::date IS NULL OR a.day >= ?::date) AND (?::date IS NULL OR a.day <= ?::date)
		ORDER BY a.day, a.courier_ref, a.from_min`, f.Office, f.Office, f.Courier, f.Courier,
		dayParam(f.From), dayParam(f.From), dayParam(f.To), dayParam(f.To))
	out := make([]dispatch.Absence, len(rows))
	for i, r := range rows {
		out[i] = toAbsence(r)
	}
	return out, err
}

// ---------- requests ----------

type requestRow struct {
	ID             string  `pg:"id"`
	TrackingNumber string  `pg:"tracking_number"`
	OfficeCode     string  `pg:"office_code"`
	Lat            float64 `pg:"lat,use_zero"`
	Lng            float64 `pg:"lng,use_zero"`
	LocationApprox bool    `pg:"location_approx,use_zero"`
	FeeAmount      int64   `pg:"fee_amount,use_zero"`
	Documents      int     `pg:"documents,use_zero"`
	CommuneCode    string  `pg:"commune_code"`
	Leg            string  `pg:"leg"`
}

// FindRequests returns the visits of the office's day in tracking-number
// order: live pickup requests (requested or scheduled, not scheduled for
// another day) with a window on the day or planned for it, and results at
// the office to deliver (the return leg at_office) without a chosen
// delivery window or with one on the day.
func (d *DB) FindRequests(ctx context.Context, office string, day dispatch.Day) (_ []dispatch.Request, err error) {
	defer errs.Wrap(&err, "pg.FindRequests %s", office)
	var rows []requestRow
	err = d.query(ctx, &rows, `SELECT p.id, p.tracking_number, coalesce(p.office_code, '') AS office_code, p.lat, p.lng,
			p.location_approx, p.fee_amount, p.commune_code, p.leg,
			coalesce((SELECT sum(pd.count) FROM parcel_documents pd WHERE pd.parcel_id = p.id), 0) AS documents
		FROM parcels p
		WHERE p.office_code = ? AND ((p.leg = 'pickup' AND p.status IN ('requested', 'scheduled')
		AND (p.planned_date IS NULL OR p.planned_date = ?::date)
		AND (p.planned_date = ?::date OR EXISTS (SELECT 1 FROM pickup_windows w WHERE w.parcel_id = p.id AND w.starts_at < ? AND w.ends_at > ?)))
		OR (p.leg = 'return' AND p.status = 'at_office' AND NOT EXISTS (SELECT 1 FROM delivery_windows dw
			WHERE dw.parcel_id = p.id AND (dw.starts_at >= ? OR dw.ends_at <= ?))))
		ORDER BY p.tracking_number`, office, day.String(), day.String(), day.End(), day.Start(), day.End(), day.Start())
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	ids := make([]string, len(rows))
	idx := map[string]int{}
	out := make([]dispatch.Request, len(rows))
	for i, r := range rows {
		ids[i], idx[r.ID] = r.ID, i
		out[i] = dispatch.Request{Parcel: r.ID, Number: r.TrackingNumber, Office: r.OfficeCode,
			Point: dispatch.Point{Lat: r.Lat, Lng: r.Lng}, Documents: r.Documents, COD: r.FeeAmount > 0, Demand: 1, Approx: r.LocationApprox,
			Commune: r.CommuneCode}
		if r.Leg == "return" {
			out[i].Kind = dispatch.KindDelivery
		}
	}
	var wins []struct {
		ParcelID string    `pg:"parcel_id"`
		StartsAt time.Time `pg:"starts_at"`
		EndsAt   time.Time `pg:"ends_at"`
	}
	if err := d.query(ctx, &wins, `SELECT parcel_id, starts_at, ends_at FROM pickup_windows WHERE parcel_id IN (?)
		UNION ALL SELECT parcel_id, starts_at, ends_at FROM delivery_windows WHERE parcel_id IN (?)
		ORDER BY parcel_id, starts_at`, pg.In(ids), pg.In(ids)); err != nil {
		return nil, err
	}
	for _, w := range wins {
		r := &out[idx[w.ParcelID]]
		r.Windows = append(r.Windows, dispatch.Window{Start: w.StartsAt, End: w.EndsAt})
	}
	return out, nil
}

// ParcelStatuses returns the status of each parcel id.
func (d *DB) ParcelStatuses(ctx context.Context, ids []string) (_ map[string]tracking.Status, err error) {
	defer errs.Wrap(&err, "pg.ParcelStatuses")
	out := map[string]tracking.Status{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID     string `pg:"id"`
		Status string `pg:"status"`
	}
	if err := d.query(ctx, &rows, `SELECT id, status FROM parcels WHERE id IN (?)`, pg.In(ids)); err != nil {
		return nil, err
	}
	for _, r := range rows {
		st, err := tracking.ParseStatus(r.Status)
		if err != nil {
			return nil, fmt.Errorf("parcel %s: %w", r.ID, err)
		}
		out[r.ID] = st
	}
	return out, nil
}

// StopPlaces returns where each parcel's visit is: commune, address line
// and whether the point is only the commune's.
func (d *DB) StopPlaces(ctx context.Context, ids []string) (_ map[string]app.StopPlace, err error) {
	defer errs.Wrap(&err, "pg.StopPlaces")
	out := map[string]app.StopPlace{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID          string `pg:"id"`
		CommuneCode string `pg:"commune_code"`
		AddressLine string `pg:"address_line"`
		Approx      bool   `pg:"location_approx,use_zero"`
	}
	if err := d.query(ctx, &rows, `SELECT id, commune_code, address_line, location_approx FROM parcels WHERE id IN (?)`, pg.In(ids)); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ID] = app.StopPlace{CommuneCode: r.CommuneCode, AddressLine: r.AddressLine, Approx: r.Approx}
	}
	return out, nil
}

// UnzonedParcels lists a province's live pickup requests that no office's
// zone holds, oldest first.
func (d *DB) UnzonedParcels(ctx context.Context, province string, limit int) (_ []app.Parcel, err error) {
	defer errs.Wrap(&err, "pg.UnzonedParcels %s", province)
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	return d.loadParcels(ctx, `WHERE p.office_code IS NULL AND p.leg = 'pickup' AND p.status IN ('requested', 'scheduled')
		AND (? = '' OR p.province_code = ?) ORDER BY p.created_at, p.tracking_number LIMIT ?`, province, province, limit)
}

// SetParcelOffice places a parcel that has no office yet in an office's
// zone; a parcel that has one keeps it (false).
func (d *DB) SetParcelOffice(ctx context.Context, parcelID, office string) (_ bool, err error) {
	defer errs.Wrap(&err, "pg.SetParcelOffice %s %s", parcelID, office)
	res, err := d.exec(ctx, `UPDATE parcels SET office_code = ? WHERE id = ? AND office_code IS NULL`, office, parcelID)
	if err != nil {
		return false, err
	}
	return res.RowsAffected() == 1, nil
}

// SetRouteStop sets a scheduled parcel's position in its courier's route
// (the route order changed, the appointment did not).
func (d *DB) SetRouteStop(ctx context.Context, parcelID string, stop int) (err error) {
	defer errs.Wrap(&err, "pg.SetRouteStop %s", parcelID)
	_, err = d.exec(ctx, `UPDATE parcels SET route_stop = ? WHERE id = ?
		AND (status = 'scheduled' OR (leg = 'return' AND status IN ('ready', 'at_office', 'held')))`, stop, parcelID)
	return err
}

// ---------- plans ----------

type planRow struct {
	//lint:ignore U1000 go-pg reads the table name from this field by reflection
	tableName   struct{}   `pg:"dispatch_plans"`
	ID          int64      `pg:"id,pk"`
	OfficeCode  string     `pg:"office_code,use_zero"`
	Day         string     `pg:"day,use_zero"`
	Version     int        `pg:"version,use_zero"`
	Status      string     `pg:"status,use_zero"`
	Reason      string     `pg:"reason,use_zero"`
	DistanceM   float64    `pg:"distance_m,use_zero"`
	Cost        float64    `pg:"cost,use_zero"`
	CreatedAt   time.Time  `pg:"created_at,use_zero"`
	CreatedBy   string     `pg:"created_by,use_zero"`
	PublishedAt *time.Time `pg:"published_at"`
	Demo        bool       `pg:"demo,use_zero"`
}

type routeRow struct {
	//lint:ignore U1000 go-pg reads the table name from this field by reflection
	tableName  struct{}   `pg:"plan_routes"`
	PlanID     int64      `pg:"plan_id,use_zero"`
	CourierRef string     `pg:"courier_ref,use_zero"`
	ShiftID    *int64     `pg:"shift_id"`
	Vehicle    string     `pg:"vehicle,use_zero"`
	DepartsAt  *time.Time `pg:"departs_at"`
	ReturnsAt  *time.Time `pg:"returns_at"`
	DistanceM  float64    `pg:"distance_m,use_zero"`
	Load       int        `pg:"load,use_zero"`
	BreakAfter *int       `pg:"break_after"`
	BreakStart *time.Time `pg:"break_starts_at"`
	BreakEnd   *time.Time `pg:"break_ends_at"`
}

type stopRow struct {
	//lint:ignore U1000 go-pg reads the table name from this field by reflection
	tableName   struct{}  `pg:"plan_stops"`
	PlanID      int64     `pg:"plan_id,use_zero"`
	CourierRef  string    `pg:"courier_ref,use_zero"`
	Seq         int       `pg:"seq,use_zero"`
	Kind        string    `pg:"kind,use_zero"`
	ParcelID    string    `pg:"parcel_id,use_zero"`
	WindowStart time.Time `pg:"window_start,use_zero"`
	WindowEnd   time.Time `pg:"window_end,use_zero"`
	ETA         time.Time `pg:"eta,use_zero"`
	DepartsAt   time.Time `pg:"departs_at,use_zero"`
	Load        int       `pg:"load,use_zero"`
	Documents   int       `pg:"documents,use_zero"`
	Lat         float64   `pg:"lat,use_zero"`
	Lng         float64   `pg:"lng,use_zero"`
	Pinned      bool      `pg:"pinned,use_zero"`
	Visited     bool      `pg:"visited,use_zero"`
}

// stopRead is a stop as read back, with its parcel's tracking number.
type stopRead struct {
	stopRow
	TrackingNumber string `pg:"tracking_number"`
}

type unplacedRow struct {
	//lint:ignore U1000 go-pg reads the table name from this field by reflection
	tableName struct{} `pg:"plan_unplaced"`
	PlanID    int64    `pg:"plan_id,use_zero"`
	ParcelID  string   `pg:"parcel_id,use_zero"`
	Reason    string   `pg:"reason,use_zero"`
}

// unplacedRead is an unplaced line as read back, with the parcel's number
// and point.
type unplacedRead struct {
	unplacedRow
	TrackingNumber string  `pg:"tracking_number"`
	Lat            float64 `pg:"lat,use_zero"`
	Lng            float64 `pg:"lng,use_zero"`
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func deref(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}

// SavePlan stores p as the next version of its office's day, with its
// routes, stops and unplaced requests, in one transaction.
func (d *DB) SavePlan(ctx context.Context, p dispatch.Plan) (_ dispatch.Plan, err error) {
	defer errs.Wrap(&err, "pg.SavePlan %v", p.ID)
	var id int64
	err = d.InTx(ctx, func(ctx context.Context) error {
		if _, err := d.exec(ctx, `SELECT pg_advisory_xact_lock(7238102, hashtext(? || '|' || ?))`, p.Office, p.Day.String()); err != nil {
			return err
		}
		var version int
		if err := d.queryOne(ctx, pg.Scan(&version), `SELECT coalesce(max(version), 0) + 1 FROM dispatch_plans WHERE office_code = ? AND day = ?::date`,
			p.Office, p.Day.String()); err != nil {
			return err
		}
		status := p.Status
		if status == "" {
			status = dispatch.Draft
		}
		pr := planRow{OfficeCode: p.Office, Day: p.Day.String(), Version: version, Status: string(status), Reason: p.Reason,
			DistanceM: p.Distance, Cost: p.Cost, CreatedAt: p.CreatedAt, CreatedBy: p.CreatedBy, PublishedAt: p.PublishedAt, Demo: p.Demo}
		if _, err := d.insert(ctx, &pr, true); err != nil {
			return translate(err)
		}
		id = pr.ID
		var routes []routeRow
		var stops []stopRow
		for _, r := range p.Routes {
			rr := routeRow{PlanID: id, CourierRef: r.Courier, Vehicle: string(r.Vehicle), DepartsAt: timePtr(r.Depart),
				ReturnsAt: timePtr(r.Return), DistanceM: r.Distance, Load: r.Load}
			if r.ShiftID != 0 {
				sid := r.ShiftID
				rr.ShiftID = &sid
			}
			if b := r.Break; b != nil {
				after := b.After
				rr.BreakAfter, rr.BreakStart, rr.BreakEnd = &after, timePtr(b.Start), timePtr(b.End)
			}
			routes = append(routes, rr)
			for _, s := range r.Stops {
				kind := dispatch.KindPickup
				if s.Kind.IsDelivery() {
					kind = dispatch.KindDelivery
				}
				stops = append(stops, stopRow{PlanID: id, CourierRef: r.Courier, Seq: s.Seq, Kind: string(kind), ParcelID: s.Parcel,
					WindowStart: s.Window.Start, WindowEnd: s.Window.End, ETA: s.ETA, DepartsAt: s.Departure, Load: s.Load,
					Documents: s.Documents, Lat: s.Point.Lat, Lng: s.Point.Lng, Pinned: s.Pinned, Visited: s.Visited})
			}
		}
		if len(routes) > 0 {
			if _, err := d.insert(ctx, &routes, false); err != nil {
				return translate(err)
			}
		}
		if len(stops) > 0 {
			if _, err := d.insert(ctx, &stops, false); err != nil {
				return translate(err)
			}
		}
		if len(p.Unplaced) > 0 {
			un := make([]unplacedRow, len(p.Unplaced))
			for i, u := range p.Unplaced {
				un[i] = unplacedRow{PlanID: id, ParcelID: u.Parcel, Reason: string(u.Reason)}
			}
			if _, err := d.insert(ctx, &un, false); err != nil {
				return translate(err)
			}
		}
		return nil
	})
	if err != nil {
		return dispatch.Plan{}, err
	}
	return d.FindPlanByID(ctx, id)
}

const planCols = `id, office_code, day::text AS day, version, status, reason, distance_m, cost, created_at, created_by, published_at, demo`

// FindPlan returns the latest version of an office's day.
func (d *DB) FindPlan(ctx context.Context, office string, day dispatch.Day) (_ dispatch.Plan, err error) {
	defer errs.Wrap(&err, "pg.FindPlan %s", office)
	var r planRow
	err = d.queryOne(ctx, &r, `SELECT `+planCols+` FROM dispatch_plans WHERE office_code = ? AND day = ?::date ORDER BY version DESC LIMIT 1`,
		office, day.String())
	if errs.Is(err, errs.NotFound) {
		return dispatch.Plan{}, errs.E(errs.NotFound, "Chưa có kế hoạch ngày %s của bưu cục %s", day.Label(), office)
	}
	if err != nil {
		return dispatch.Plan{}, err
	}
	return d.loadPlan(ctx, r)
}

// FindPlanByID returns one plan version.
func (d *DB) FindPlanByID(ctx context.Context, id int64) (_ dispatch.Plan, err error) {
	defer errs.Wrap(&err, "pg.FindPlanByID %v", id)
	var r planRow
	err = d.queryOne(ctx, &r, `SELECT `+planCols+` FROM dispatch_plans WHERE id = ?`, id)
	if errs.Is(err, errs.NotFound) {
		return dispatch.Plan{}, errs.E(errs.NotFound, "Không có kế hoạch số %d", id)
	}
	if err != nil {
		return dispatch.Plan{}, err
	}
	return d.loadPlan(ctx, r)
}

// FindPlanVersions lists the versions of an office's day, newest first,
// without their routes.
func (d *DB) FindPlanVersions(ctx context.Context, office string, day dispatch.Day) (_ []dispatch.Plan, err error) {
	defer errs.Wrap(&err, "pg.FindPlanVersions %s", office)
	var rows []planRow
	err = d.query(ctx, &rows, `SELECT `+planCols+` FROM dispatch_plans WHERE office_code = ? AND day = ?::date ORDER BY version DESC`,
		office, day.String())
	out := make([]dispatch.Plan, len(rows))
	for i, r := range rows {
		out[i] = toPlanHeader(r)
	}
	return out, err
}

func toPlanHeader(r planRow) dispatch.Plan {
	return dispatch.Plan{ID: r.ID, Office: r.OfficeCode, Day: parseDay(r.Day), Version: r.Version, Status: dispatch.PlanStatus(r.Status),
		Reason: r.Reason, Distance: r.DistanceM, Cost: r.Cost, CreatedAt: r.CreatedAt, CreatedBy: r.CreatedBy, PublishedAt: r.PublishedAt, Demo: r.Demo}
}

func (d *DB) loadPlan(ctx context.Context, r planRow) (dispatch.Plan, error) {
	p := toPlanHeader(r)
	var routes []routeRow
	if err := d.query(ctx, &routes, `SELECT plan_id, courier_ref, shift_id, vehicle, departs_at, returns_at, distance_m, load,
			break_after, break_starts_at, break_ends_at
		FROM plan_routes WHERE plan_id = ? ORDER BY courier_ref`, r.ID); err != nil {
		return dispatch.Plan{}, err
	}
	var stops []stopRead
	if err := d.query(ctx, &stops, `SELECT s.plan_id, s.courier_ref, s.seq, s.kind, s.parcel_id, p.tracking_number, s.window_start, s.window_end,
			s.eta, s.departs_at, s.load, s.documents, s.lat, s.lng, s.pinned, s.visited
		FROM plan_stops s JOIN parcels p ON p.id = s.parcel_id WHERE s.plan_id = ? ORDER BY s.courier_ref, s.seq`, r.ID); err != nil {
		return dispatch.Plan{}, err
	}
	idx := map[string]int{}
	for _, rr := range routes {
		idx[rr.CourierRef] = len(p.Routes)
		route := dispatch.Route{Courier: rr.CourierRef, Vehicle: dispatch.VehicleKind(rr.Vehicle), Depart: deref(rr.DepartsAt),
			Return: deref(rr.ReturnsAt), Distance: rr.DistanceM, Load: rr.Load}
		if rr.ShiftID != nil {
			route.ShiftID = *rr.ShiftID
		}
		if rr.BreakAfter != nil {
			route.Break = &dispatch.RouteBreak{After: *rr.BreakAfter, Start: deref(rr.BreakStart), End: deref(rr.BreakEnd)}
		}
		p.Routes = append(p.Routes, route)
	}
	for _, s := range stops {
		i, ok := idx[s.CourierRef]
		if !ok {
			continue
		}
		p.Routes[i].Stops = append(p.Routes[i].Stops, dispatch.Stop{Kind: dispatch.StopKind(s.Kind), Parcel: s.ParcelID, Number: s.TrackingNumber, Seq: s.Seq,
			Point: dispatch.Point{Lat: s.Lat, Lng: s.Lng}, Window: dispatch.Window{Start: s.WindowStart, End: s.WindowEnd},
			ETA: s.ETA, Departure: s.DepartsAt, Load: s.Load, Documents: s.Documents, Pinned: s.Pinned, Visited: s.Visited})
	}
	var un []unplacedRead
	if err := d.query(ctx, &un, `SELECT u.plan_id, u.parcel_id, u.reason, p.tracking_number, p.lat, p.lng
		FROM plan_unplaced u JOIN parcels p ON p.id = u.parcel_id WHERE u.plan_id = ? ORDER BY p.tracking_number`, r.ID); err != nil {
		return dispatch.Plan{}, err
	}
	for _, u := range un {
		p.Unplaced = append(p.Unplaced, dispatch.Unplaced{Parcel: u.ParcelID, Number: u.TrackingNumber,
			Point: dispatch.Point{Lat: u.Lat, Lng: u.Lng}, Reason: dispatch.Reason(u.Reason)})
	}
	return p, nil
}

// PublishPlan marks a plan published and the day's previously published
// version superseded, in one transaction.
func (d *DB) PublishPlan(ctx context.Context, id int64, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.PublishPlan %v", id)
	return d.InTx(ctx, func(ctx context.Context) error {
		var r planRow
		if err := d.queryOne(ctx, &r, `SELECT `+planCols+` FROM dispatch_plans WHERE id = ? FOR UPDATE`, id); err != nil {
			if errs.Is(err, errs.NotFound) {
				return errs.E(errs.NotFound, "Không có kế hoạch số %d", id)
			}
			return err
		}
		if _, err := d.exec(ctx, `UPDATE dispatch_plans SET status = 'superseded'
			WHERE office_code = ? AND day = ?::date AND status = 'published' AND id <> ?`, r.OfficeCode, r.Day, id); err != nil {
			return err
		}
		_, err := d.exec(ctx, `UPDATE dispatch_plans SET status = 'published', published_at = coalesce(published_at, ?) WHERE id = ?`, at, id)
		return err
	})
}

// ---------- pins ----------

type pinRow struct {
	//lint:ignore U1000 go-pg reads the table name from this field by reflection
	tableName      struct{}  `pg:"dispatch_pins"`
	ParcelID       string    `pg:"parcel_id,use_zero"`
	Day            string    `pg:"day,use_zero"`
	CourierRef     string    `pg:"courier_ref,use_zero"`
	OfficeCode     string    `pg:"office_code,use_zero"`
	CreatedAt      time.Time `pg:"created_at,use_zero"`
	CreatedBy      string    `pg:"created_by,use_zero"`
	TrackingNumber string    `pg:"tracking_number"`
}

// SetPin pins a parcel to a courier for a day, replacing an earlier pin.
func (d *DB) SetPin(ctx context.Context, p dispatch.Pin, at time.Time, by string) (err error) {
	defer errs.Wrap(&err, "pg.SetPin")
	_, err = d.exec(ctx, `INSERT INTO dispatch_pins (parcel_id, day, courier_ref, office_code, created_at, created_by)
		VALUES (?, ?::date, ?, ?, ?, ?) ON CONFLICT (parcel_id, day) DO UPDATE
		SET courier_ref = EXCLUDED.courier_ref, office_code = EXCLUDED.office_code, created_at = EXCLUDED.created_at, created_by = EXCLUDED.created_by`,
		p.Parcel, p.Day.String(), p.Courier, p.Office, at, by)
	if errs.Is(err, errs.Invalid) {
		return errs.Wrapf(errs.Unprocessable, err, "Không ghim được: kiểm tra bưu gửi, bưu tá %s và bưu cục %s", p.Courier, p.Office)
	}
	return err
}

// DeletePin removes a parcel's pin for a day (none is fine).
func (d *DB) DeletePin(ctx context.Context, parcel string, day dispatch.Day) (err error) {
	defer errs.Wrap(&err, "pg.DeletePin %s", parcel)
	_, err = d.exec(ctx, `DELETE FROM dispatch_pins WHERE parcel_id = ? AND day = ?::date`, parcel, day.String())
	return err
}

// FindPins lists an office's pins of a day.
func (d *DB) FindPins(ctx context.Context, office string, day dispatch.Day) (_ []dispatch.Pin, err error) {
	defer errs.Wrap(&err, "pg.FindPins %s", office)
	var rows []pinRow
	err = d.query(ctx, &rows, `SELECT x.parcel_id, x.day::text AS day, x.courier_ref, x.office_code, x.created_at, x.created_by, p.tracking_number
		FROM dispatch_pins x JOIN parcels p ON p.id = x.parcel_id WHERE x.office_code = ? AND x.day = ?::date ORDER BY p.tracking_number`,
		office, day.String())
	out := make([]dispatch.Pin, len(rows))
	for i, r := range rows {
		out[i] = dispatch.Pin{Parcel: r.ParcelID, Number: r.TrackingNumber, Day: parseDay(r.Day), Courier: r.CourierRef, Office: r.OfficeCode}
	}
	return out, err
}

// compile-time check: the PostgreSQL store is the dispatch domain's store.
var _ dispatch.Store = (*DB)(nil)

// ---------- delivery windows ----------

// SetDeliveryWindow records the delivery window chosen for a result (by
// "citizen", "portal", "clerk" or "dispatcher"), replacing an earlier
// choice.
func (d *DB) SetDeliveryWindow(ctx context.Context, parcel string, w dispatch.Window, by string, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.SetDeliveryWindow %s", parcel)
	_, err = d.exec(ctx, `INSERT INTO delivery_windows (parcel_id, starts_at, ends_at, chosen_by, chosen_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (parcel_id) DO UPDATE SET starts_at = excluded.starts_at, ends_at = excluded.ends_at,
			chosen_by = excluded.chosen_by, chosen_at = excluded.chosen_at`, parcel, w.Start, w.End, by, at)
	return translate(err)
}

// DeliveryWindow returns the window chosen for a result and who chose it;
// ok is false when none was.
func (d *DB) DeliveryWindow(ctx context.Context, parcel string) (w dispatch.Window, by string, ok bool, err error) {
	defer errs.Wrap(&err, "pg.DeliveryWindow %s", parcel)
	var r struct {
		StartsAt time.Time `pg:"starts_at"`
		EndsAt   time.Time `pg:"ends_at"`
		ChosenBy string    `pg:"chosen_by"`
	}
	err = d.queryOne(ctx, &r, `SELECT starts_at, ends_at, chosen_by FROM delivery_windows WHERE parcel_id = ?`, parcel)
	if errs.Is(err, errs.NotFound) {
		return dispatch.Window{}, "", false, nil
	}
	if err != nil {
		return dispatch.Window{}, "", false, err
	}
	return dispatch.Window{Start: r.StartsAt, End: r.EndsAt}, r.ChosenBy, true, nil
}

// DeliverySlotCounts counts the delivery windows chosen at an office per
// window start within [from, to), for the free-slot list.
func (d *DB) DeliverySlotCounts(ctx context.Context, office string, from, to time.Time) (_ map[time.Time]int, err error) {
	defer errs.Wrap(&err, "pg.DeliverySlotCounts %s", office)
	var rows []struct {
		StartsAt time.Time `pg:"starts_at"`
		N        int       `pg:"n"`
	}
	err = d.query(ctx, &rows, `SELECT dw.starts_at, count(*) AS n FROM delivery_windows dw JOIN parcels p ON p.id = dw.parcel_id
		WHERE p.office_code = ? AND dw.starts_at >= ? AND dw.starts_at < ? GROUP BY dw.starts_at`, office, from, to)
	out := map[time.Time]int{}
	for _, r := range rows {
		out[r.StartsAt.UTC()] = r.N
	}
	return out, err
}

// ChooseDeliveryWindow records the window chosen for a result of office
// when fewer than capacity results of the office already have that slot
// (the parcel's own earlier choice aside); it reports whether it did. The
// count and the write hold one lock per office and slot, so parallel
// choices never overfill a slot.
func (d *DB) ChooseDeliveryWindow(ctx context.Context, parcel, office string, w dispatch.Window, by string, at time.Time, capacity int) (_ bool, err error) {
	defer errs.Wrap(&err, "pg.ChooseDeliveryWindow %s %s", parcel, office)
	ok := false
	err = d.InTx(ctx, func(ctx context.Context) error {
		ok = false
		if _, err := d.exec(ctx, `SELECT pg_advisory_xact_lock(7238103, hashtext(? || '|' || ?::text))`, office, w.Start.UTC().Format(time.RFC3339)); err != nil {
			return err
		}
		var n int
		if err := d.queryOne(ctx, pg.Scan(&n), `SELECT count(*) FROM delivery_windows dw JOIN parcels p ON p.id = dw.parcel_id
			WHERE p.office_code = ? AND dw.starts_at = ? AND dw.parcel_id <> ?`, office, w.Start, parcel); err != nil {
			return err
		}
		if n >= capacity {
			return nil
		}
		ok = true
		return d.SetDeliveryWindow(ctx, parcel, w, by, at)
	})
	return ok, err
}
