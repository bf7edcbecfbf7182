package pg

import (
	"context"
	"fmt"
	"math"
	"time"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

type kpiEventRow struct {
	Type      string
	PartyKind string
	PartyRef  string
	PartyName string
	Team      string
	TeamName  string
	Code      string
	Outcome   string
	N         int
}

// KPIEvents counts, in one set-based pass, the collections (by where they
// fell against the scheduled window: planned_date marks a parcel the plan
// scheduled, whose window columns then hold the plan's window rather than
// the citizen's requested one), failed pickup and delivery attempts (by
// reason and cause), deliveries (on time when within target of the post's
// first custody of the result) and disputed hand-offs (by problem, charged
// to the giver) that happened in [from, to), grouped by party. Rows are
// grouped on narrow keys first; names are joined to the few groups after.
//
// Indexes (EXPLAIN on 1.2 million synthetic events): events_happened_idx
// ((coalesce(device_at, server_at)), type), partial on exactly these five
// types, gives the period as one range (a bitmap or index scan); parcels by
// parcels_pkey (the window, and the province, desk or office of the scope:
// filters on the joined row); incidents by incidents_parcel_idx then the
// event id; users by users_staff_code_key (hashed when small); the
// delivery's start by custody_parcel_idx (parcel_id, from_at); names by
// users_staff_code_key and post_offices_pkey. The scope's tests against
// the empty string fold away: go-pg sends values inline, as constants.
func (d *DB) KPIEvents(ctx context.Context, s app.KPIScope, from, to time.Time, target time.Duration) (_ []app.KPIEventRow, err error) {
	defer errs.Wrap(&err, "pg.KPIEvents")
	var rows []kpiEventRow
	err = d.query(ctx, &rows, `WITH ev AS (
			SELECT e.type, e.parcel_id, coalesce(e.device_at, e.server_at) AS at, p.office_code,
				CASE e.type WHEN 'pickup.attempt_failed' THEN e.data->>'reason' WHEN 'delivery.attempt_failed' THEN e.data->>'cause'
					WHEN 'handoff.disputed' THEN e.data->>'problem' END AS code,
				CASE WHEN e.type <> 'pickup.collected' THEN ''
					WHEN p.planned_date IS NULL OR p.window_start IS NULL OR p.window_end IS NULL THEN 'unscheduled'
					WHEN coalesce(e.device_at, e.server_at) < p.window_start THEN 'early'
					WHEN coalesce(e.device_at, e.server_at) <= p.window_end THEN 'on_time' ELSE 'late' END AS outcome,
				coalesce(i.last_custodian_kind, e.actor_kind) AS party_kind,
				coalesce(i.last_custodian_ref, e.actor_ref) AS party_ref
			FROM events e
			JOIN parcels p ON p.id = e.parcel_id
			LEFT JOIN incidents i ON e.type = 'handoff.disputed' AND i.parcel_id = e.parcel_id AND i.event_id = e.id
			WHERE e.type IN ('pickup.collected', 'pickup.attempt_failed', 'delivery.attempt_failed', 'delivery.completed', 'handoff.disputed')
				AND coalesce(e.device_at, e.server_at) >= ? AND coalesce(e.device_at, e.server_at) < ?
				AND (? = '' OR p.province_code = ?) AND (? = '' OR p.desk_code = ?)
		), who AS (
			SELECT ev.*, CASE ev.party_kind WHEN 'courier' THEN u.office_code WHEN 'post_office' THEN ev.party_ref END AS team
			FROM ev LEFT JOIN users u ON ev.party_kind = 'courier' AND u.staff_code = ev.party_ref
		), agg AS (
			SELECT w.type, w.party_kind, w.party_ref, w.team, coalesce(w.code, '') AS code,
				CASE WHEN w.type <> 'delivery.completed' THEN w.outcome
					WHEN w.at <= (SELECT min(c.from_at) FROM custody c
						WHERE c.parcel_id = w.parcel_id AND c.holder_kind IN ('courier', 'post_office')) + ?::interval
					THEN 'on_time' ELSE 'late' END AS outcome,
				count(*) AS n
			FROM who w
			WHERE (? = '' OR w.office_code = ? OR w.team = ?)
			GROUP BY 1, 2, 3, 4, 5, 6
		)
		SELECT a.type, a.party_kind, a.party_ref, coalesce(u.full_name, '') AS party_name, coalesce(a.team, '') AS team,
			coalesce(o.name, '') AS team_name, a.code, a.outcome, a.n
		FROM agg a
		LEFT JOIN users u ON a.party_kind = 'courier' AND u.staff_code = a.party_ref
		LEFT JOIN post_offices o ON o.code = a.team
		ORDER BY 1, 2, 3, 7, 8`,
		from, to, s.Province, s.Province, s.Desk, s.Desk, interval(target), s.Office, s.Office, s.Office)
	if err != nil {
		return nil, err
	}
	out := make([]app.KPIEventRow, len(rows))
	for i, r := range rows {
		out[i] = app.KPIEventRow{Type: tracking.EventType(r.Type), PartyKind: tracking.PartyKind(r.PartyKind), PartyRef: r.PartyRef,
			PartyName: r.PartyName, Team: r.Team, TeamName: r.TeamName, Code: r.Code, Outcome: r.Outcome, N: r.N}
	}
	return out, nil
}

func interval(d time.Duration) string { return fmt.Sprintf("%d seconds", int64(d/time.Second)) }

type kpiHopRow struct {
	HolderKind string
	HolderRef  string
	HolderName string
	Team       string
	TeamName   string
	Total      int
	N          int
	Median     float64
	P90        float64
}

// KPIHops measures how long parcels waited at each hop: custody periods of
// couriers, post offices and desks that ended in [from, to) (the time
// between two consecutive custody changes), median and 90th percentile per
// kind of holder and per holder.
//
// Indexes: custody_closed_idx (to_at) WHERE to_at IS NOT NULL for the
// range (a bitmap scan for a week; for a quarter of a young database the
// planner may rather read custody whole, which is then cheaper); parcels by
// parcels_pkey for the scope; users by users_staff_code_key and
// post_offices by post_offices_pkey for names.
func (d *DB) KPIHops(ctx context.Context, s app.KPIScope, from, to time.Time) (_ []app.KPIHopRow, err error) {
	defer errs.Wrap(&err, "pg.KPIHops")
	var rows []kpiHopRow
	err = d.query(ctx, &rows, `WITH h AS (
			SELECT c.holder_kind, c.holder_ref, extract(epoch FROM c.to_at - c.from_at) AS secs, p.office_code,
				u.full_name,
				CASE c.holder_kind WHEN 'courier' THEN u.office_code WHEN 'post_office' THEN c.holder_ref END AS team
			FROM custody c
			JOIN parcels p ON p.id = c.parcel_id
			LEFT JOIN users u ON c.holder_kind = 'courier' AND u.staff_code = c.holder_ref
			WHERE c.to_at >= ? AND c.to_at < ? AND c.holder_kind IN ('courier', 'post_office', 'desk')
				AND (? = '' OR p.province_code = ?) AND (? = '' OR p.desk_code = ?)
		)
		SELECT h.holder_kind, coalesce(h.holder_ref, '') AS holder_ref, coalesce(max(h.full_name), '') AS holder_name,
			coalesce(h.team, '') AS team, coalesce(max(o.name), '') AS team_name,
			grouping(h.holder_ref) AS total, count(*) AS n,
			percentile_cont(0.5) WITHIN GROUP (ORDER BY h.secs) AS median,
			percentile_cont(0.9) WITHIN GROUP (ORDER BY h.secs) AS p90
		FROM h LEFT JOIN post_offices o ON o.code = h.team
		WHERE (? = '' OR h.office_code = ? OR h.team = ?)
		GROUP BY GROUPING SETS ((h.holder_kind), (h.holder_kind, h.holder_ref, h.team))
		ORDER BY 1, 6 DESC, 2`,
		from, to, s.Province, s.Province, s.Desk, s.Desk, s.Office, s.Office, s.Office)
	if err != nil {
		return nil, err
	}
	out := make([]app.KPIHopRow, len(rows))
	for i, r := range rows {
		ref := r.HolderRef
		if r.Total == 1 {
			ref = ""
		}
		out[i] = app.KPIHopRow{HolderKind: tracking.PartyKind(r.HolderKind), HolderRef: ref, HolderName: r.HolderName,
			Team: r.Team, TeamName: r.TeamName, N: r.N, Median: seconds(r.Median), P90: seconds(r.P90)}
	}
	return out, nil
}

func seconds(s float64) time.Duration {
	if math.IsNaN(s) || s < 0 {
		return 0
	}
	return time.Duration(math.Round(s * float64(time.Second)))
}
