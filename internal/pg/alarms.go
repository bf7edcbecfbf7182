package pg

import (
	"context"
	"fmt"
	"time"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

// alarmParams are a sweep's named parameters: ?now, ?since (NULL for a full
// sweep, which looks at every cause) and, for the parcel_quiet rule, one
// QuietLimit's ?statuses and ?limit_minutes. A literal NULL folds away in
// PostgreSQL's planner, so the incremental conditions written as
// "(?since IS NULL OR ...)" keep the cause indexes of migration 0002.
type alarmParams struct {
	Now          time.Time
	Since        *time.Time
	Statuses     []string `pg:",array"`
	LimitMinutes int      `pg:",use_zero"`
	// ReturnDays is result_late's working days without an appointment.
	ReturnDays int `pg:",use_zero"`
}

// alarmQuery is one alarm rule of tracking.AlarmRules in SQL: the INSERT
// raising an alarm per cause due (once: the open alarm's (kind, subject)
// is unique) and the UPDATE clearing the alarms whose cause ended.
type alarmQuery struct {
	kind  tracking.AlarmKind
	raise string
	clear string
	// perQuietLimit runs raise once per tracking.QuietLimits entry.
	perQuietLimit bool
}

const alarmInsert = `INSERT INTO alarms (kind, subject, parcel_id, province_code, office_code, desk_code, level, detail, due_at, raised_at) `
const alarmConflict = ` ON CONFLICT (kind, subject) WHERE cleared_at IS NULL DO NOTHING`

// alarmQueries holds one query pair per rule. With since set (an
// incremental sweep) a raise looks only at causes that fell due in
// (since, now] (the deadline, window end, risk time or quiet limit
// indexes), and a clear only at parcels with an event after since (events
// by server time): the work follows the traffic, not the number of parcels
// or of open alarms. Causes that are few by nature (open manifests and
// incidents, unzoned requests, pending evidence) are looked at whole every
// time. The status lists are tracking.WindowStatuses and
// tracking.DeadlineRiskStatuses written out, as the partial indexes are
// (TestAlarmQueriesFollowTheRules checks they agree).
var alarmQueries = []alarmQuery{
	{kind: tracking.AlarmHandoffUnconfirmed,
		raise: alarmInsert + `SELECT 'handoff_unconfirmed', h.id::text, h.parcel_id, p.province_code, p.office_code, p.desk_code, 1,
				json_build_object('number', p.tracking_number, 'giver', h.giver_kind || ':' || h.giver_ref, 'receiver', h.receiver_kind || ':' || h.receiver_ref),
				h.deadline, ?now
			FROM handoffs h JOIN parcels p ON p.id = h.parcel_id
			WHERE h.status = 'pending' AND h.deadline <= ?now AND (?since IS NULL OR h.deadline > ?since)` + alarmConflict,
		// A hand-off closes only by a ledger event of its parcel.
		clear: `UPDATE alarms a SET cleared_at = ?now FROM handoffs h
			WHERE a.kind = 'handoff_unconfirmed' AND a.cleared_at IS NULL AND h.id = a.subject::uuid AND h.status <> 'pending'
			  AND (?since IS NULL OR a.parcel_id IN (SELECT e.parcel_id FROM events e WHERE e.server_at > ?since))`},
	{kind: tracking.AlarmManifestOpen,
		raise: alarmInsert + `SELECT 'manifest_open', m.id::text, NULL::uuid, coalesce(o.province_code, dk.province_code), o.code, dk.code, 1,
				json_build_object('manifest', m.code, 'giver', m.giver_kind || ':' || m.giver_ref, 'receiver', m.receiver_kind || ':' || m.receiver_ref,
					'pending', (SELECT count(*) FROM handoffs h WHERE h.manifest_id = m.id AND h.status = 'pending')),
				m.deadline, ?now
			FROM manifests m
			LEFT JOIN users cu ON cu.staff_code = CASE WHEN m.receiver_kind = 'courier' THEN m.receiver_ref WHEN m.giver_kind = 'courier' THEN m.giver_ref END
			LEFT JOIN post_offices o ON o.code = CASE WHEN m.giver_kind = 'post_office' THEN m.giver_ref
				WHEN m.receiver_kind = 'post_office' THEN m.receiver_ref ELSE cu.office_code END
			LEFT JOIN desks dk ON dk.code = CASE WHEN m.receiver_kind = 'desk' THEN m.receiver_ref WHEN m.giver_kind = 'desk' THEN m.giver_ref END
			WHERE m.closed_at IS NULL AND m.deadline <= ?now AND (?since IS NULL OR m.deadline > ?since)` + alarmConflict,
		clear: `UPDATE alarms a SET cleared_at = ?now FROM manifests m
			WHERE a.kind = 'manifest_open' AND a.cleared_at IS NULL AND m.id = a.subject::uuid AND m.closed_at IS NOT NULL`},
	{kind: tracking.AlarmParcelQuiet, perQuietLimit: true,
		// Due when status_since + limit passed; one alarm per parcel and status.
		raise: alarmInsert + `SELECT 'parcel_quiet', p.id::text || ':' || p.status, p.id, p.province_code, p.office_code, p.desk_code, 1,
				json_build_object('number', p.tracking_number, 'status', p.status, 'since', p.status_since,
					'holder', coalesce(p.custodian_kind, '') || ':' || coalesce(p.custodian_ref, ''), 'limit_minutes', ?limit_minutes::int),
				p.status_since + (?limit_minutes::int * interval '1 minute'), ?now
			FROM parcels p WHERE p.status = ANY(?statuses) AND p.status_since <= ?now::timestamptz - (?limit_minutes::int * interval '1 minute')
			  AND (?since IS NULL OR p.status_since > ?since::timestamptz - (?limit_minutes::int * interval '1 minute'))` + alarmConflict,
		clear: `UPDATE alarms a SET cleared_at = ?now FROM parcels p
			WHERE a.kind = 'parcel_quiet' AND a.cleared_at IS NULL AND p.id = a.parcel_id AND a.subject <> p.id::text || ':' || p.status
			  AND (?since IS NULL OR p.id IN (SELECT e.parcel_id FROM events e WHERE e.server_at > ?since))`},
	{kind: tracking.AlarmWindowMissed,
		raise: alarmInsert + `SELECT 'window_missed', p.id::text, p.id, p.province_code, p.office_code, p.desk_code, 1,
				json_build_object('number', p.tracking_number, 'window_end', p.window_end, 'courier', coalesce(p.courier_ref, '')),
				p.window_end, ?now
			FROM parcels p WHERE p.status IN ('requested', 'scheduled') AND p.window_end <= ?now AND (?since IS NULL OR p.window_end > ?since)` + alarmConflict,
		clear: `UPDATE alarms a SET cleared_at = ?now FROM parcels p
			WHERE a.kind = 'window_missed' AND a.cleared_at IS NULL AND p.id = a.parcel_id
			  AND (p.status NOT IN ('requested', 'scheduled') OR p.window_end > ?now)
			  AND (?since IS NULL OR p.id IN (SELECT e.parcel_id FROM events e WHERE e.server_at > ?since))`},
	{kind: tracking.AlarmDeadlineRisk,
		raise: alarmInsert + `SELECT 'deadline_risk', p.id::text, p.id, p.province_code, p.office_code, p.desk_code, 1,
				json_build_object('number', p.tracking_number, 'deadline', d.legal_deadline, 'status', p.status),
				p.risk_at, ?now
			FROM parcels p JOIN dossiers d ON d.id = p.dossier_id
			WHERE p.leg = 'pickup' AND p.status IN ('requested', 'scheduled', 'pickup_failed', 'collected', 'at_office', 'to_desk')
			  AND p.risk_at <= ?now AND (?since IS NULL OR p.risk_at > ?since)` + alarmConflict,
		clear: `UPDATE alarms a SET cleared_at = ?now FROM parcels p
			WHERE a.kind = 'deadline_risk' AND a.cleared_at IS NULL AND p.id = a.parcel_id
			  AND p.status NOT IN ('requested', 'scheduled', 'pickup_failed', 'collected', 'at_office', 'to_desk')
			  AND (?since IS NULL OR p.id IN (SELECT e.parcel_id FROM events e WHERE e.server_at > ?since))`},
	{kind: tracking.AlarmOutsideZone,
		raise: alarmInsert + `SELECT 'outside_zone', p.id::text, p.id, p.province_code, NULL, p.desk_code, 1,
				json_build_object('number', p.tracking_number, 'commune', p.commune_code), p.created_at, ?now
			FROM parcels p WHERE p.office_code IS NULL AND p.status = 'requested'` + alarmConflict,
		clear: `UPDATE alarms a SET cleared_at = ?now FROM parcels p
			WHERE a.kind = 'outside_zone' AND a.cleared_at IS NULL AND p.id = a.parcel_id AND (p.office_code IS NOT NULL OR p.status <> 'requested')`},
	{kind: tracking.AlarmIncidentOpen,
		raise: alarmInsert + `SELECT 'incident_open', i.id::text, i.parcel_id, p.province_code, p.office_code, p.desk_code, 2,
				json_build_object('number', p.tracking_number, 'problem', i.problem, 'last_custodian', i.last_custodian_kind || ':' || i.last_custodian_ref),
				i.created_at, ?now
			FROM incidents i JOIN parcels p ON p.id = i.parcel_id WHERE i.status = 'open' AND i.kind = 'dispute'` + alarmConflict,
		clear: `UPDATE alarms a SET cleared_at = ?now FROM incidents i
			WHERE a.kind = 'incident_open' AND a.cleared_at IS NULL AND i.id = a.subject::uuid AND i.status <> 'open'`},
	{kind: tracking.AlarmEvidencePending,
		// Due at the end of the courier's shift that day (18:00 without one).
		raise: alarmInsert + `SELECT 'evidence_pending', de.id::text, p.id, coalesce(de.province_code, p.province_code),
				coalesce(de.office_code, p.office_code), p.desk_code, 1,
				json_build_object('number', de.tracking_number, 'courier', coalesce(u.staff_code, ''), 'event_type', de.type,
					'holder', coalesce(p.custodian_kind, '') || ':' || coalesce(p.custodian_ref, '')),
				x.due, ?now
			FROM device_events de JOIN users u ON u.id = de.user_id
			LEFT JOIN parcels p ON p.tracking_number = de.tracking_number
			LEFT JOIN courier_shifts s ON s.courier_ref = u.staff_code AND s.day = (de.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
			CROSS JOIN LATERAL (SELECT (coalesce(s.day + make_interval(mins => s.end_min::int),
				(de.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date + interval '18 hours')) AT TIME ZONE 'Asia/Ho_Chi_Minh' AS due) x
			WHERE de.status = 'rejected' AND de.resolved_at IS NULL AND de.error_code = 'evidence_pending' AND x.due <= ?now` + alarmConflict,
		clear: `UPDATE alarms a SET cleared_at = ?now FROM device_events de
			WHERE a.kind = 'evidence_pending' AND a.cleared_at IS NULL AND de.id = a.subject::uuid
				AND (de.status <> 'rejected' OR de.resolved_at IS NOT NULL)`},
	{kind: tracking.AlarmResultLate,
		// Due at the end of the appointment date the desk set at acceptance
		// (the latest desk.accepted event of the pickup leg), else at the end
		// of the ReturnDays-th working day after the result was registered,
		// counted by calendar_add_working_days (migration 0020: the table the
		// admin edits and the desk's Saturday rule). The appointment was
		// checked as a date when it was recorded; the pattern guards the cast.
		raise: alarmInsert + `SELECT 'result_late', p.id::text, p.id, p.province_code, p.office_code, p.desk_code, 1,
				json_build_object('number', p.tracking_number, 'status', p.status, 'appointment', ap.day, 'registered', p.created_at,
					'holder', coalesce(p.custodian_kind, '') || ':' || coalesce(p.custodian_ref, '')),
				x.due, ?now
			FROM parcels p JOIN desks k ON k.code = p.desk_code
			LEFT JOIN LATERAL (SELECT CASE WHEN e.data->>'appointment_date' ~ '^[0-9]{4}-[0-9]{2}-[0-9]{2}$'
					THEN (e.data->>'appointment_date')::date END AS day
				FROM events e WHERE e.parcel_id = p.return_of AND e.type = 'desk.accepted' ORDER BY e.parcel_seq DESC LIMIT 1) ap ON true
			CROSS JOIN LATERAL (SELECT ((coalesce(ap.day, calendar_add_working_days((p.created_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date,
				?return_days::int, k.saturday_morning)) + 1)::timestamp AT TIME ZONE 'Asia/Ho_Chi_Minh') AS due) x
			WHERE p.leg = 'return' AND p.status IN ('ready', 'with_courier', 'at_office', 'out_for_delivery', 'delivery_failed', 'held')
			  AND x.due <= ?now AND (?since IS NULL OR x.due > ?since)` + alarmConflict,
		clear: `UPDATE alarms a SET cleared_at = ?now FROM parcels p
			WHERE a.kind = 'result_late' AND a.cleared_at IS NULL AND p.id = a.parcel_id
			  AND p.status NOT IN ('ready', 'with_courier', 'at_office', 'out_for_delivery', 'delivery_failed', 'held')
			  AND (?since IS NULL OR p.id IN (SELECT e.parcel_id FROM events e WHERE e.server_at > ?since))`},
	{kind: tracking.AlarmComplaintOverdue,
		// A citizen's complaint still open without an answer at its
		// deadline (migration 0018's due_at), for the unit it was routed to:
		// the office or the desk sees it, the province's dispatcher too.
		// Complaints are few: looked at whole every time, and an answer
		// (which writes no ledger event) is seen by the next sweep.
		raise: alarmInsert + `SELECT 'complaint_overdue', i.id::text, i.parcel_id, p.province_code,
				CASE WHEN i.route_kind = 'post_office' THEN i.route_ref END, CASE WHEN i.route_kind = 'desk' THEN i.route_ref END, 1,
				json_build_object('number', p.tracking_number, 'incident', i.id, 'problem', i.problem, 'holder', i.route_kind || ':' || i.route_ref),
				i.due_at, ?now
			FROM incidents i JOIN parcels p ON p.id = i.parcel_id
			WHERE i.kind = 'complaint' AND i.status = 'open' AND i.due_at <= ?now
			  AND NOT EXISTS (SELECT 1 FROM complaint_answers ca WHERE ca.incident_id = i.id)` + alarmConflict,
		clear: `UPDATE alarms a SET cleared_at = ?now FROM incidents i
			WHERE a.kind = 'complaint_overdue' AND a.cleared_at IS NULL AND i.id = a.subject::uuid
			  AND (i.status <> 'open' OR EXISTS (SELECT 1 FROM complaint_answers ca WHERE ca.incident_id = i.id))`},
}

// SweepAlarms raises and clears the alarms of every rule, each rule with
// its own query pair (alarmQueries), then escalates what nobody
// acknowledged, walking an index of the alarms due (migration 0009). With
// since nil it looks at every cause.
func (d *DB) SweepAlarms(ctx context.Context, now time.Time, p app.AlarmPolicy, since *time.Time) (_ app.SweepStats, err error) {
	defer errs.Wrap(&err, "pg.SweepAlarms")
	var st app.SweepStats
	err = d.InTx(ctx, func(ctx context.Context) error {
		for _, q := range alarmQueries {
			returnDays := p.ReturnWithin
			if returnDays <= 0 {
				returnDays = tracking.ReturnWithinWorkingDays
			}
			runs := []alarmParams{{Now: now, Since: since, ReturnDays: returnDays}}
			if q.perQuietLimit {
				runs = runs[:0]
				for _, l := range p.Quiet {
					sts := make([]string, len(l.Statuses))
					for i, s := range l.Statuses {
						sts[i] = string(s)
					}
					runs = append(runs, alarmParams{Now: now, Since: since, Statuses: sts, LimitMinutes: int(l.Limit / time.Minute)})
				}
			}
			for _, prm := range runs {
				res, err := d.exec(ctx, q.raise, &prm)
				if err != nil {
					return fmt.Errorf("raise %s alarms: %w", q.kind, err)
				}
				st.Raised += res.RowsAffected()
			}
			res, err := d.exec(ctx, q.clear, &alarmParams{Now: now, Since: since})
			if err != nil {
				return fmt.Errorf("clear %s alarms: %w", q.kind, err)
			}
			st.Cleared += res.RowsAffected()
		}
		res, err := d.exec(ctx, `UPDATE alarms SET level = level + 1, escalated_at = ?0
			WHERE cleared_at IS NULL AND acknowledged_at IS NULL AND level < ?1
			  AND coalesce(escalated_at, raised_at) <= ?0::timestamptz - (?2::int * interval '1 second')`,
			now, p.MaxLevel, int(p.EscalateAfter/time.Second))
		if err != nil {
			return fmt.Errorf("escalate alarms: %w", err)
		}
		st.Escalated = res.RowsAffected()
		return nil
	})
	return st, err
}

type alarmRow struct {
	ID             int64
	Kind           tracking.AlarmKind
	Subject        string
	ParcelID       string
	Number         string
	ProvinceCode   string
	OfficeCode     string
	DeskCode       string
	Level          int
	Detail         string
	DueAt          time.Time
	RaisedAt       time.Time
	EscalatedAt    *time.Time
	AcknowledgedAt *time.Time
	ClearedAt      *time.Time
}

func toAlarm(r alarmRow) app.Alarm {
	return app.Alarm{ID: r.ID, Kind: r.Kind, Subject: r.Subject, ParcelID: r.ParcelID, Number: r.Number, ProvinceCode: r.ProvinceCode,
		OfficeCode: r.OfficeCode, DeskCode: r.DeskCode, Level: r.Level, Detail: []byte(r.Detail), DueAt: r.DueAt, RaisedAt: r.RaisedAt,
		EscalatedAt: r.EscalatedAt, AcknowledgedAt: r.AcknowledgedAt, ClearedAt: r.ClearedAt}
}

const alarmCols = `a.id, a.kind, a.subject, coalesce(a.parcel_id::text, '') AS parcel_id, coalesce(p.tracking_number, '') AS number,
	coalesce(a.province_code, '') AS province_code, coalesce(a.office_code, '') AS office_code, coalesce(a.desk_code, '') AS desk_code,
	a.level, a.detail::text AS detail, a.due_at, a.raised_at, a.escalated_at, a.acknowledged_at, a.cleared_at`

// FindAlarms lists alarms, open ones first by level and age.
func (d *DB) FindAlarms(ctx context.Context, f app.AlarmFilter) (_ []app.Alarm, err error) {
	defer errs.Wrap(&err, "pg.FindAlarms")
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	var rows []alarmRow
	err = d.query(ctx, &rows, `SELECT `+alarmCols+` FROM alarms a LEFT JOIN parcels p ON p.id = a.parcel_id
		WHERE (? = '' OR a.province_code = ?) AND (? = '' OR a.office_code = ?) AND (? = '' OR a.desk_code = ?)
		  AND (NOT ? OR a.cleared_at IS NULL)
		ORDER BY a.cleared_at IS NOT NULL, a.level DESC, a.raised_at LIMIT ?`,
		f.Province, f.Province, f.Office, f.Office, f.Desk, f.Desk, f.Open, limit)
	out := make([]app.Alarm, len(rows))
	for i, r := range rows {
		out[i] = toAlarm(r)
	}
	return out, err
}

// FindAlarm finds one alarm.
func (d *DB) FindAlarm(ctx context.Context, id int64) (_ app.Alarm, err error) {
	defer errs.Wrap(&err, "pg.FindAlarm %v", id)
	var r alarmRow
	err = d.queryOne(ctx, &r, `SELECT `+alarmCols+` FROM alarms a LEFT JOIN parcels p ON p.id = a.parcel_id WHERE a.id = ?`, id)
	if errs.Is(err, errs.NotFound) {
		return app.Alarm{}, errs.E(errs.NotFound, "không tìm thấy cảnh báo")
	}
	return toAlarm(r), err
}

// AckAlarm records an acknowledgement.
func (d *DB) AckAlarm(ctx context.Context, id, userID int64, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.AckAlarm %v %d", id, userID)
	// The acknowledgement and its audit row in one statement.
	_, err = d.exec(ctx, `WITH a AS (UPDATE alarms SET acknowledged_at = ?0, acknowledged_by = ?1 WHERE id = ?2 AND acknowledged_at IS NULL
			RETURNING id, kind, parcel_id)
		INSERT INTO audit_log (at, user_id, action, subject, reason)
		SELECT ?0, ?1, 'alarm.acknowledged', coalesce(p.tracking_number, 'alarm:' || a.id), a.kind FROM a LEFT JOIN parcels p ON p.id = a.parcel_id`,
		at, userID, id)
	return err
}
