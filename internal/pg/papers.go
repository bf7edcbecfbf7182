package pg

import (
	"context"
	"sort"
	"time"

	"github.com/go-pg/pg/v10"

	"hoso/dispatch"
	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

// FindCourierDay lists the parcels planned for a courier on a day (by the
// projection's courier_ref and planned_date), cancelled ones left out, in
// window order (then by the plan's arrival time), with the arrival time from
// the last pickup.scheduled.
func (d *DB) FindCourierDay(ctx context.Context, staffCode string, day time.Time) (_ []app.PlannedStop, err error) {
	defer errs.Wrap(&err, "pg.FindCourierDay %s", staffCode)
	ps, err := d.loadParcels(ctx, `WHERE (p.courier_ref = ? AND p.planned_date = ? AND p.status <> 'cancelled')
		OR (p.leg = 'return' AND p.status IN ('ready', 'at_office', 'held', 'with_courier', 'out_for_delivery', 'delivery_failed')
			AND p.id IN (SELECT s.parcel_id FROM plan_stops s JOIN dispatch_plans dp ON dp.id = s.plan_id
			WHERE dp.status = 'published' AND dp.day = ?::date AND s.courier_ref = ? AND s.kind = 'delivery'))
		ORDER BY p.window_start NULLS LAST, p.tracking_number`, staffCode, day.Format("2006-01-02"), day.Format("2006-01-02"), staffCode)
	if err != nil || len(ps) == 0 {
		return nil, err
	}
	// The published plan's order and arrival times, when there is one.
	var planned []struct {
		ParcelID string    `pg:"parcel_id"`
		Seq      int       `pg:"seq"`
		Kind     string    `pg:"kind"`
		ETA      time.Time `pg:"eta"`
		Window   time.Time `pg:"window_start"`
		WindowE  time.Time `pg:"window_end"`
	}
	if err := d.query(ctx, &planned, `SELECT s.parcel_id, s.seq, s.kind, s.eta, s.window_start, s.window_end
		FROM plan_stops s JOIN dispatch_plans dp ON dp.id = s.plan_id
		WHERE dp.status = 'published' AND dp.day = ?::date AND s.courier_ref = ?`, day.Format("2006-01-02"), staffCode); err != nil {
		return nil, err
	}
	seqOf := map[string]int{}
	for _, x := range planned {
		seqOf[x.ParcelID] = x.Seq
	}
	planStop := map[string]int{}
	for i, x := range planned {
		planStop[x.ParcelID] = i
	}
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	var etas []struct {
		ParcelID string
		ETA      string `pg:"eta"`
	}
	if err := d.query(ctx, &etas, `SELECT DISTINCT ON (parcel_id) parcel_id, coalesce(data->>'eta', '') AS eta
		FROM events WHERE parcel_id IN (?) AND type = 'pickup.scheduled' ORDER BY parcel_id, parcel_seq DESC`, pg.In(ids)); err != nil {
		return nil, err
	}
	eta := map[string]*time.Time{}
	for _, e := range etas {
		if t, err := time.Parse(time.RFC3339, e.ETA); err == nil {
			eta[e.ParcelID] = &t
		}
	}
	out := make([]app.PlannedStop, len(ps))
	for i, p := range ps {
		out[i] = app.PlannedStop{Parcel: p, ETA: eta[p.ID], Delivery: p.Leg == tracking.LegReturn}
		if j, ok := planStop[p.ID]; ok && out[i].Delivery {
			x := planned[j]
			e, ws, we := x.ETA, x.Window, x.WindowE
			out[i].ETA, out[i].WindowStart, out[i].WindowEnd = &e, &ws, &we
		}
	}
	if len(planned) > 0 {
		// The published plan gives the order of the whole day.
		sort.SliceStable(out, func(i, j int) bool {
			a, aok := seqOf[out[i].Parcel.ID]
			b, bok := seqOf[out[j].Parcel.ID]
			if aok && bok {
				return a < b
			}
			return aok && !bok
		})
		return out, nil
	}
	// Within one window (many citizens choose the same slot) the plan's
	// arrival times give the route order.
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if ws, wt := a.Parcel.WindowStart, b.Parcel.WindowStart; ws != nil && wt != nil && !ws.Equal(*wt) {
			return ws.Before(*wt)
		}
		if a.ETA != nil && b.ETA != nil {
			return a.ETA.Before(*b.ETA)
		}
		return a.ETA != nil && b.ETA == nil
	})
	return out, nil
}

// FindManifestPaper loads a manifest with the parcels released under it
// (each parcel once, its latest hand-off) and the problem of any disputed
// one.
func (d *DB) FindManifestPaper(ctx context.Context, code string) (_ app.ManifestPaper, err error) {
	defer errs.Wrap(&err, "pg.FindManifestPaper %s", code)
	var m struct {
		ID           string
		Code         string
		GiverKind    string
		GiverRef     string
		ReceiverKind string
		ReceiverRef  string
		CreatedAt    time.Time
		Deadline     time.Time
		ClosedAt     *time.Time
		ClosedKind   string
		ClosedRef    string
		CreatedName  string
		ClosedName   string
	}
	if err := d.queryOne(ctx, &m, `SELECT m.id, m.code, m.giver_kind, m.giver_ref, m.receiver_kind, m.receiver_ref, m.created_at, m.deadline,
			m.closed_at, coalesce(m.closed_kind, '') AS closed_kind, coalesce(m.closed_ref, '') AS closed_ref,
			coalesce(cu.full_name || ' (mã ' || cu.staff_code || ')', '') AS created_name,
			coalesce(xu.full_name || ' (mã ' || xu.staff_code || ')', '') AS closed_name
		FROM manifests m LEFT JOIN users cu ON cu.id = m.created_by LEFT JOIN users xu ON xu.id = m.closed_by WHERE m.code = ?`, code); err != nil {
		return app.ManifestPaper{}, err
	}
	var items []struct {
		Number       string
		DossierCode  string
		ProvinceCode string
		Documents    int
		SealID       string
		Status       string
		Problem      string
		Note         string
		SealRead     string
		Demo         bool
		Released     string
		Closed       string
	}
	if err := d.query(ctx, &items, `SELECT * FROM (
			SELECT DISTINCT ON (p.tracking_number) p.tracking_number AS number, d.code AS dossier_code, p.province_code,
				coalesce((SELECT sum(coalesce(pd.collected_count, pd.count)) FROM parcel_documents pd WHERE pd.parcel_id = p.id), 0) AS documents,
				coalesce(rl.data->>'seal_id', p.seal_id, '') AS seal_id, h.status,
				coalesce(i.problem, '') AS problem, coalesce(i.note, ce.data->>'reason', '') AS note,
				CASE WHEN h.status IN ('confirmed', 'disputed') THEN coalesce(ce.data->>'seal_id', '') ELSE '' END AS seal_read, p.demo,
				h.released_event::text AS released, coalesce(h.closed_event::text, '') AS closed
			FROM handoffs h JOIN parcels p ON p.id = h.parcel_id JOIN dossiers d ON d.id = p.dossier_id
			LEFT JOIN incidents i ON i.handoff_id = h.id
			LEFT JOIN events ce ON ce.id = h.closed_event
			LEFT JOIN LATERAL (SELECT s.data FROM events s WHERE s.parcel_id = p.id AND s.parcel_seq <= (SELECT r.parcel_seq FROM events r WHERE r.id = h.released_event)
				AND s.type IN ('pickup.collected', 'handoff.released') AND coalesce(s.data->>'seal_id', '') <> '' ORDER BY s.parcel_seq DESC LIMIT 1) rl ON true
			WHERE h.manifest_id = ?
			ORDER BY p.tracking_number, h.released_at DESC, i.created_at DESC) x
		ORDER BY number`, m.ID); err != nil {
		return app.ManifestPaper{}, err
	}
	out := app.ManifestPaper{Code: m.Code, CreatedAt: m.CreatedAt, CreatedBy: m.CreatedName, Deadline: m.Deadline, ClosedAt: m.ClosedAt,
		ClosedBy: m.ClosedName, Closer: tracking.Party{Kind: tracking.PartyKind(m.ClosedKind), Ref: m.ClosedRef},
		Giver:    tracking.Party{Kind: tracking.PartyKind(m.GiverKind), Ref: m.GiverRef},
		Receiver: tracking.Party{Kind: tracking.PartyKind(m.ReceiverKind), Ref: m.ReceiverRef}}
	for _, it := range items {
		out.Items = append(out.Items, app.ManifestItem{Number: it.Number, DossierCode: it.DossierCode, ProvinceCode: it.ProvinceCode,
			Documents: it.Documents, SealID: it.SealID, Status: it.Status, Problem: it.Problem, Note: it.Note, SealRead: it.SealRead, Demo: it.Demo,
			ReleasedEvent: it.Released, ClosedEvent: it.Closed})
	}
	return out, nil
}

// FindCourierFees lists the fees a courier collected on delivering results
// between from and to (by the time of the hand-over at the door), from the
// fee_collected of each delivery.completed.
func (d *DB) FindCourierFees(ctx context.Context, staffCode string, from, to time.Time) (_ []app.FeeCollection, err error) {
	defer errs.Wrap(&err, "pg.FindCourierFees %s", staffCode)
	var rows []struct {
		Number      string
		DossierCode string
		Fee         int64
		At          time.Time
	}
	err = d.query(ctx, &rows, `SELECT p.tracking_number AS number, d.code AS dossier_code,
			(e.data->>'fee_collected')::bigint AS fee, coalesce(e.device_at, e.server_at) AS at
		FROM events e JOIN parcels p ON p.id = e.parcel_id JOIN dossiers d ON d.id = p.dossier_id
		WHERE e.type = 'delivery.completed' AND e.actor_kind = 'courier' AND e.actor_ref = ?
			AND coalesce(e.device_at, e.server_at) >= ? AND coalesce(e.device_at, e.server_at) < ?
			AND coalesce((e.data->>'fee_collected')::bigint, 0) > 0
		ORDER BY at, p.tracking_number`, staffCode, from, to)
	if err != nil {
		return nil, err
	}
	out := make([]app.FeeCollection, len(rows))
	for i, r := range rows {
		out[i] = app.FeeCollection{Number: r.Number, DossierCode: r.DossierCode, Fee: r.Fee, At: r.At}
	}
	return out, nil
}

// FindPaperSamples picks one real row for each kind of paper, demo rows
// first, for `hoso print demo`.
func (d *DB) FindPaperSamples(ctx context.Context) (_ app.PaperSamples, err error) {
	defer errs.Wrap(&err, "pg.FindPaperSamples")
	var s app.PaperSamples
	one := func(dst any, query string) error {
		err := d.queryOne(ctx, dst, query)
		if errs.Is(err, errs.NotFound) {
			return nil
		}
		return err
	}
	if err := one(pg.Scan(&s.LabelNumber), `SELECT tracking_number FROM parcels
		WHERE leg = 'pickup' AND status <> 'cancelled' ORDER BY demo DESC, created_at LIMIT 1`); err != nil {
		return s, err
	}
	if err := one(pg.Scan(&s.ReceiptNumber), `SELECT p.tracking_number FROM receipts r JOIN parcels p ON p.id = r.parcel_id
		WHERE r.kind = 'pickup' ORDER BY p.demo DESC, r.signed_at LIMIT 1`); err != nil {
		return s, err
	}
	if err := one(pg.Scan(&s.ManifestCode), `SELECT m.code FROM manifests m
		WHERE EXISTS (SELECT 1 FROM handoffs h WHERE h.manifest_id = m.id) ORDER BY m.created_at DESC LIMIT 1`); err != nil {
		return s, err
	}
	if err := one(pg.Scan(&s.DeliveryNumber), `SELECT p.tracking_number FROM receipts r JOIN parcels p ON p.id = r.parcel_id
		WHERE r.kind = 'delivery' ORDER BY p.demo DESC, r.signed_at LIMIT 1`); err != nil {
		return s, err
	}
	var day time.Time
	if err := one(pg.Scan(&s.RouteCourier, &day), `SELECT courier_ref, planned_date FROM parcels
		WHERE courier_ref IS NOT NULL AND planned_date IS NOT NULL AND status <> 'cancelled' AND receipt_code IS NOT NULL
		GROUP BY courier_ref, planned_date ORDER BY count(*) DESC, planned_date, courier_ref LIMIT 1`); err != nil {
		return s, err
	}
	if s.RouteCourier != "" {
		s.RouteDay = time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, vietnam)
	}
	var at time.Time
	if err := one(pg.Scan(&s.FeeCourier, &at), `SELECT actor_ref, coalesce(device_at, server_at) FROM events
		WHERE type = 'delivery.completed' AND actor_kind = 'courier' AND coalesce((data->>'fee_collected')::bigint, 0) > 0
		ORDER BY server_at DESC LIMIT 1`); err != nil {
		return s, err
	}
	if s.FeeCourier != "" {
		a := at.In(vietnam)
		s.FeeDay = time.Date(a.Year(), a.Month(), a.Day(), 0, 0, 0, 0, vietnam)
	}
	return s, nil
}

// FindCourierBreak returns the lunch break of a courier's route in the
// day's published plan, nil when there is none.
func (d *DB) FindCourierBreak(ctx context.Context, staffCode string, day time.Time) (_ *dispatch.RouteBreak, err error) {
	defer errs.Wrap(&err, "pg.FindCourierBreak %s", staffCode)
	var r struct {
		After *int       `pg:"break_after"`
		Start *time.Time `pg:"break_starts_at"`
		End   *time.Time `pg:"break_ends_at"`
	}
	err = d.queryOne(ctx, &r, `SELECT r.break_after, r.break_starts_at, r.break_ends_at FROM plan_routes r
		JOIN dispatch_plans dp ON dp.id = r.plan_id WHERE dp.status = 'published' AND dp.day = ?::date AND r.courier_ref = ?`,
		day.Format("2006-01-02"), staffCode)
	if errs.Is(err, errs.NotFound) || (err == nil && r.After == nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &dispatch.RouteBreak{After: *r.After, Start: deref(r.Start), End: deref(r.End)}, nil
}
