package pg

import (
	"context"
	"fmt"
	"time"

	"github.com/go-pg/pg/v10"

	"hoso/internal/app"
	"hoso/internal/errs"
)

const alarmInsert = `INSERT INTO alarms (kind, subject, parcel_id, province_code, office_code, desk_code, level, detail, due_at, raised_at) `
const alarmConflict = ` ON CONFLICT (kind, subject) WHERE cleared_at IS NULL DO NOTHING`

// SweepAlarms raises, clears and escalates alarms with set-based statements
// that each walk an index of their cause. With since set (an incremental
// sweep) a raise looks only at causes that fell due in (since, now] (the
// deadline, window end, risk time or quiet limit indexes), and a clear only
// at parcels with an event after since (events by server time): the work
// follows the traffic, not the number of parcels or of open alarms. Causes
// that are few by nature (open incidents, unzoned requests) are looked at
// whole every time. Escalation walks an index of the alarms due
// (migration 0009).
func (d *DB) SweepAlarms(ctx context.Context, now time.Time, p app.AlarmPolicy, since *time.Time) (app.SweepStats, error) {
	var st app.SweepStats
	// Conditions of an incremental sweep; ?0 is now, ?9 since.
	due := func(col string) string {
		if since == nil {
			return ""
		}
		return " AND " + col + " > ?9"
	}
	changed := ""
	if since != nil {
		changed = " AND p.id IN (SELECT e.parcel_id FROM events e WHERE e.server_at > ?9)"
	}
	var sinceP any
	if since != nil {
		sinceP = *since
	}
	// params puts now at ?0 and since at ?9 around the statement's own.
	params := func(own ...any) []any {
		out := make([]any, 10)
		out[0] = now
		copy(out[1:], own)
		out[9] = sinceP
		return out
	}
	err := d.InTx(ctx, func(ctx context.Context) error {
		raise := func(q string, own ...any) error {
			res, err := d.exec(ctx, alarmInsert+q+alarmConflict, params(own...)...)
			if err != nil {
				return err
			}
			st.Raised += res.RowsAffected()
			return nil
		}
		clear := func(q string, own ...any) error {
			res, err := d.exec(ctx, q, params(own...)...)
			if err != nil {
				return err
			}
			st.Cleared += res.RowsAffected()
			return nil
		}
		// A release nobody confirmed by its deadline.
		if err := raise(`SELECT 'handoff_unconfirmed', h.id::text, h.parcel_id, p.province_code, p.office_code, p.desk_code, 1,
				json_build_object('number', p.tracking_number, 'giver', h.giver_kind || ':' || h.giver_ref, 'receiver', h.receiver_kind || ':' || h.receiver_ref),
				h.deadline, ?0
			FROM handoffs h JOIN parcels p ON p.id = h.parcel_id
			WHERE h.status = 'pending' AND h.deadline <= ?0` + due("h.deadline")); err != nil {
			return fmt.Errorf("raise hand-off alarms: %w", err)
		}
		// A hand-off closes only by a ledger event of its parcel.
		handoffChanged := ""
		if since != nil {
			handoffChanged = " AND a.parcel_id IN (SELECT e.parcel_id FROM events e WHERE e.server_at > ?9)"
		}
		if err := clear(`UPDATE alarms a SET cleared_at = ?0 FROM handoffs h
			WHERE a.kind = 'handoff_unconfirmed' AND a.cleared_at IS NULL AND h.id = a.subject::uuid AND h.status <> 'pending'` + handoffChanged); err != nil {
			return err
		}
		// A manifest its receiver has not closed by its deadline (few: a
		// partial index on the open ones).
		if err := raise(`SELECT 'manifest_open', m.id::text, NULL::uuid, coalesce(o.province_code, dk.province_code), o.code, dk.code, 1,
				json_build_object('manifest', m.code, 'giver', m.giver_kind || ':' || m.giver_ref, 'receiver', m.receiver_kind || ':' || m.receiver_ref,
					'pending', (SELECT count(*) FROM handoffs h WHERE h.manifest_id = m.id AND h.status = 'pending')),
				m.deadline, ?0
			FROM manifests m
			LEFT JOIN users cu ON cu.staff_code = CASE WHEN m.receiver_kind = 'courier' THEN m.receiver_ref WHEN m.giver_kind = 'courier' THEN m.giver_ref END
			LEFT JOIN post_offices o ON o.code = CASE WHEN m.giver_kind = 'post_office' THEN m.giver_ref
				WHEN m.receiver_kind = 'post_office' THEN m.receiver_ref ELSE cu.office_code END
			LEFT JOIN desks dk ON dk.code = CASE WHEN m.receiver_kind = 'desk' THEN m.receiver_ref WHEN m.giver_kind = 'desk' THEN m.giver_ref END
			WHERE m.closed_at IS NULL AND m.deadline <= ?0` + due("m.deadline")); err != nil {
			return fmt.Errorf("raise manifest alarms: %w", err)
		}
		if err := clear(`UPDATE alarms a SET cleared_at = ?0 FROM manifests m
			WHERE a.kind = 'manifest_open' AND a.cleared_at IS NULL AND m.id = a.subject::uuid AND m.closed_at IS NOT NULL`); err != nil {
			return err
		}
		// Parcels quiet in a status beyond its limit: due when status_since
		// + limit passed.
		for _, r := range p.Quiet {
			sts := make([]string, len(r.Statuses))
			for i, s := range r.Statuses {
				sts[i] = string(s)
			}
			q := `SELECT 'parcel_quiet', p.id::text || ':' || p.status, p.id, p.province_code, p.office_code, p.desk_code, 1,
					json_build_object('number', p.tracking_number, 'status', p.status, 'since', p.status_since,
						'holder', coalesce(p.custodian_kind, '') || ':' || coalesce(p.custodian_ref, ''), 'limit_minutes', ?2::int),
					p.status_since + (?2::int * interval '1 minute'), ?0
				FROM parcels p WHERE p.status = ANY(?1) AND p.status_since <= ?0::timestamptz - (?2::int * interval '1 minute')`
			if since != nil {
				q += ` AND p.status_since > ?9::timestamptz - (?2::int * interval '1 minute')`
			}
			if err := raise(q, pg.Array(sts), int(r.Limit/time.Minute)); err != nil {
				return fmt.Errorf("raise quiet alarms: %w", err)
			}
		}
		if err := clear(`UPDATE alarms a SET cleared_at = ?0 FROM parcels p
			WHERE a.kind = 'parcel_quiet' AND a.cleared_at IS NULL AND p.id = a.parcel_id AND a.subject <> p.id::text || ':' || p.status` + changed); err != nil {
			return err
		}
		// A pickup window passed with no attempt.
		if err := raise(`SELECT 'window_missed', p.id::text, p.id, p.province_code, p.office_code, p.desk_code, 1,
				json_build_object('number', p.tracking_number, 'window_end', p.window_end, 'courier', coalesce(p.courier_ref, '')),
				p.window_end, ?0
			FROM parcels p WHERE p.status IN ('requested', 'scheduled') AND p.window_end <= ?0` + due("p.window_end")); err != nil {
			return fmt.Errorf("raise window alarms: %w", err)
		}
		if err := clear(`UPDATE alarms a SET cleared_at = ?0 FROM parcels p
			WHERE a.kind = 'window_missed' AND a.cleared_at IS NULL AND p.id = a.parcel_id
			  AND (p.status NOT IN ('requested', 'scheduled') OR p.window_end > ?0)` + changed); err != nil {
			return err
		}
		// A legal deadline at risk: the postal legs used their share of it.
		if err := raise(`SELECT 'deadline_risk', p.id::text, p.id, p.province_code, p.office_code, p.desk_code, 1,
				json_build_object('number', p.tracking_number, 'deadline', d.legal_deadline, 'status', p.status),
				p.risk_at, ?0
			FROM parcels p JOIN dossiers d ON d.id = p.dossier_id
			WHERE p.leg = 'pickup' AND p.status IN ('requested', 'scheduled', 'pickup_failed', 'collected', 'at_office', 'to_desk')
			  AND p.risk_at <= ?0` + due("p.risk_at")); err != nil {
			return fmt.Errorf("raise deadline alarms: %w", err)
		}
		if err := clear(`UPDATE alarms a SET cleared_at = ?0 FROM parcels p
			WHERE a.kind = 'deadline_risk' AND a.cleared_at IS NULL AND p.id = a.parcel_id
			  AND p.status NOT IN ('requested', 'scheduled', 'pickup_failed', 'collected', 'at_office', 'to_desk')` + changed); err != nil {
			return err
		}
		// An address outside every zone (few: a partial index).
		if err := raise(`SELECT 'outside_zone', p.id::text, p.id, p.province_code, NULL, p.desk_code, 1,
				json_build_object('number', p.tracking_number, 'commune', p.commune_code), p.created_at, ?0
			FROM parcels p WHERE p.office_code IS NULL AND p.status = 'requested'`); err != nil {
			return fmt.Errorf("raise zone alarms: %w", err)
		}
		if err := clear(`UPDATE alarms a SET cleared_at = ?0 FROM parcels p
			WHERE a.kind = 'outside_zone' AND a.cleared_at IS NULL AND p.id = a.parcel_id AND (p.office_code IS NOT NULL OR p.status <> 'requested')`); err != nil {
			return err
		}
		// A dispute not yet resolved (few: a partial index).
		if err := raise(`SELECT 'incident_open', i.id::text, i.parcel_id, p.province_code, p.office_code, p.desk_code, 2,
				json_build_object('number', p.tracking_number, 'problem', i.problem, 'last_custodian', i.last_custodian_kind || ':' || i.last_custodian_ref),
				i.created_at, ?0
			FROM incidents i JOIN parcels p ON p.id = i.parcel_id WHERE i.status = 'open'`); err != nil {
			return fmt.Errorf("raise incident alarms: %w", err)
		}
		if err := clear(`UPDATE alarms a SET cleared_at = ?0 FROM incidents i
			WHERE a.kind = 'incident_open' AND a.cleared_at IS NULL AND i.id = a.subject::uuid AND i.status <> 'open'`); err != nil {
			return err
		}
		// A collection or delivery whose proof image never reached the
		// server (few: rejected submissions not resolved), due at the end
		// of the courier's shift that day (18:00 without a shift).
		if err := raise(`SELECT 'evidence_pending', de.id::text, p.id, coalesce(de.province_code, p.province_code),
				coalesce(de.office_code, p.office_code), p.desk_code, 1,
				json_build_object('number', de.tracking_number, 'courier', coalesce(u.staff_code, ''), 'event_type', de.type,
					'holder', coalesce(p.custodian_kind, '') || ':' || coalesce(p.custodian_ref, '')),
				x.due, ?0
			FROM device_events de JOIN users u ON u.id = de.user_id
			LEFT JOIN parcels p ON p.tracking_number = de.tracking_number
			LEFT JOIN courier_shifts s ON s.courier_ref = u.staff_code AND s.day = (de.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date
			CROSS JOIN LATERAL (SELECT (coalesce(s.day + make_interval(mins => s.end_min::int),
				(de.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date + interval '18 hours')) AT TIME ZONE 'Asia/Ho_Chi_Minh' AS due) x
			WHERE de.status = 'rejected' AND de.resolved_at IS NULL AND de.error_code = 'evidence_pending' AND x.due <= ?0`); err != nil {
			return fmt.Errorf("raise evidence alarms: %w", err)
		}
		if err := clear(`UPDATE alarms a SET cleared_at = ?0 FROM device_events de
			WHERE a.kind = 'evidence_pending' AND a.cleared_at IS NULL AND de.id = a.subject::uuid
				AND (de.status <> 'rejected' OR de.resolved_at IS NOT NULL)`); err != nil {
			return err
		}
		// Escalate what nobody acknowledged.
		res, err := d.exec(ctx, `UPDATE alarms SET level = level + 1, escalated_at = ?0
			WHERE cleared_at IS NULL AND acknowledged_at IS NULL AND level < ?1
			  AND coalesce(escalated_at, raised_at) <= ?0::timestamptz - (?2::int * interval '1 second')`,
			now, p.MaxLevel, int(p.EscalateAfter/time.Second))
		if err != nil {
			return err
		}
		st.Escalated = res.RowsAffected()
		return nil
	})
	return st, err
}

type alarmRow struct {
	ID             int64
	Kind           string
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
func (d *DB) FindAlarms(ctx context.Context, f app.AlarmFilter) ([]app.Alarm, error) {
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	var rows []alarmRow
	err := d.query(ctx, &rows, `SELECT `+alarmCols+` FROM alarms a LEFT JOIN parcels p ON p.id = a.parcel_id
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
func (d *DB) FindAlarm(ctx context.Context, id int64) (app.Alarm, error) {
	var r alarmRow
	err := d.queryOne(ctx, &r, `SELECT `+alarmCols+` FROM alarms a LEFT JOIN parcels p ON p.id = a.parcel_id WHERE a.id = ?`, id)
	if errs.Is(err, errs.NotFound) {
		return app.Alarm{}, errs.E(errs.NotFound, "không tìm thấy cảnh báo")
	}
	return toAlarm(r), err
}

// AckAlarm records an acknowledgement.
func (d *DB) AckAlarm(ctx context.Context, id, userID int64, at time.Time) error {
	// The acknowledgement and its audit row in one statement.
	_, err := d.exec(ctx, `WITH a AS (UPDATE alarms SET acknowledged_at = ?0, acknowledged_by = ?1 WHERE id = ?2 AND acknowledged_at IS NULL
			RETURNING id, kind, parcel_id)
		INSERT INTO audit_log (at, user_id, action, subject, reason)
		SELECT ?0, ?1, 'alarm.acknowledged', coalesce(p.tracking_number, 'alarm:' || a.id), a.kind FROM a LEFT JOIN parcels p ON p.id = a.parcel_id`,
		at, userID, id)
	return err
}
