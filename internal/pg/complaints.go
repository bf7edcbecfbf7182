package pg

import (
	"context"
	"time"

	"github.com/go-pg/pg/v10"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

// CreateIncident stores an incident with no ledger event (a complaint, a
// quiet-parcel case). The unique partial indexes of migration 0018 keep
// one open complaint per parcel and problem and one quiet-parcel case per
// parcel: a second one returns the first's id and created false.
func (d *DB) CreateIncident(ctx context.Context, i app.Incident) (_ string, _ bool, err error) {
	defer errs.Wrap(&err, "pg.CreateIncident(%q, %q)", i.ParcelID, i.Kind)
	lines := i.MissingLines
	if lines == nil {
		lines = []int{}
	}
	var ids []string
	var routeKind, routeRef any
	if i.Route.Kind != "" {
		routeKind, routeRef = string(i.Route.Kind), i.Route.Ref
	}
	if err := d.query(ctx, &ids, `INSERT INTO incidents (id, parcel_id, kind, problem, missing_lines, last_custodian_kind, last_custodian_ref,
		note, created_at, due_at, route_kind, route_ref) VALUES (?::uuid, ?::uuid, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id::text`,
		i.ID, i.ParcelID, i.Kind, i.Problem, pg.Array(lines), string(i.LastCustodian.Kind), i.LastCustodian.Ref, i.Note, i.CreatedAt, i.DueAt,
		routeKind, routeRef); err != nil {
		return "", false, err
	}
	if len(ids) == 1 {
		return ids[0], true, nil
	}
	if err := d.query(ctx, &ids, `SELECT id::text FROM incidents WHERE parcel_id = ?::uuid AND kind = ?
		AND ((kind = 'complaint' AND problem = ? AND status = 'open') OR (kind = 'quiet' AND status <> 'resolved')) LIMIT 1`,
		i.ParcelID, i.Kind, i.Problem); err != nil {
		return "", false, err
	}
	if len(ids) != 1 {
		return "", false, errs.E(errs.Conflict, "sự cố trùng với một sự cố khác")
	}
	return ids[0], false, nil
}

type answerRow struct {
	ID         int64
	IncidentID string
	Body       string
	AnsweredBy int64
	Unit       string
	CreatedAt  time.Time
}

func toAnswer(r answerRow) app.ComplaintAnswer {
	p, _ := tracking.ParseParty(r.Unit)
	return app.ComplaintAnswer{ID: r.ID, IncidentID: r.IncidentID, Body: r.Body, By: r.AnsweredBy, Unit: p, At: r.CreatedAt}
}

// AddAnswer appends a staff answer to a complaint.
func (d *DB) AddAnswer(ctx context.Context, a app.ComplaintAnswer) (err error) {
	defer errs.Wrap(&err, "pg.AddAnswer(%q)", a.IncidentID)
	_, err = d.exec(ctx, `INSERT INTO complaint_answers (incident_id, body, answered_by, unit, created_at) VALUES (?::uuid, ?, ?, ?, ?)`,
		a.IncidentID, a.Body, a.By, a.Unit.String(), a.At)
	return err
}

func (d *DB) findAnswers(ctx context.Context, incidentIDs ...string) (_ []app.ComplaintAnswer, err error) {
	if len(incidentIDs) == 0 {
		return nil, nil
	}
	var rows []answerRow
	if err := d.query(ctx, &rows, `SELECT id, incident_id::text AS incident_id, body, answered_by, unit, created_at
		FROM complaint_answers WHERE incident_id IN (?) ORDER BY id`, pg.In(incidentIDs)); err != nil {
		return nil, err
	}
	out := make([]app.ComplaintAnswer, len(rows))
	for i, r := range rows {
		out[i] = toAnswer(r)
	}
	return out, nil
}

// FindParcelIncidents lists a parcel's incidents of every kind, newest
// first, with their answers and lost-original case.
func (d *DB) FindParcelIncidents(ctx context.Context, parcelID string) (_ []app.Incident, err error) {
	defer errs.Wrap(&err, "pg.FindParcelIncidents(%q)", parcelID)
	var rows []incidentRow
	if err := d.query(ctx, &rows, `SELECT `+incidentCols+` FROM incidents i JOIN parcels p ON p.id = i.parcel_id JOIN dossiers d ON d.id = p.dossier_id
		WHERE i.parcel_id = ?::uuid ORDER BY i.created_at DESC LIMIT 100`, parcelID); err != nil {
		return nil, err
	}
	out := make([]app.Incident, len(rows))
	ids := make([]string, len(rows))
	at := map[string]int{}
	for k, r := range rows {
		out[k] = toIncident(r)
		ids[k] = r.ID
		at[r.ID] = k
	}
	as, err := d.findAnswers(ctx, ids...)
	if err != nil {
		return nil, err
	}
	for _, a := range as {
		k := at[a.IncidentID]
		out[k].Answers = append(out[k].Answers, a)
	}
	if len(ids) > 0 {
		var cs []struct {
			IncidentID, ResponsibleKind, ResponsibleRef, Status string
		}
		if err := d.query(ctx, &cs, `SELECT incident_id::text AS incident_id, responsible_kind, responsible_ref, status
			FROM lost_cases WHERE incident_id IN (?)`, pg.In(ids)); err != nil {
			return nil, err
		}
		for _, c := range cs {
			k := at[c.IncidentID]
			out[k].Case = &app.LostCase{IncidentID: c.IncidentID, Status: c.Status,
				Responsible: tracking.Party{Kind: tracking.PartyKind(c.ResponsibleKind), Ref: c.ResponsibleRef}}
		}
	}
	return out, nil
}

// FindParcelAlarms lists a parcel's alarms, open first, newest first.
func (d *DB) FindParcelAlarms(ctx context.Context, parcelID string) (_ []app.Alarm, err error) {
	defer errs.Wrap(&err, "pg.FindParcelAlarms(%q)", parcelID)
	var rows []alarmRow
	err = d.query(ctx, &rows, `SELECT `+alarmCols+` FROM alarms a LEFT JOIN parcels p ON p.id = a.parcel_id
		WHERE a.parcel_id = ?::uuid ORDER BY a.cleared_at IS NOT NULL, a.raised_at DESC LIMIT 100`, parcelID)
	out := make([]app.Alarm, len(rows))
	for i, r := range rows {
		out[i] = toAlarm(r)
	}
	return out, err
}

// FindParcelManifests lists the manifests a parcel was on, oldest first.
func (d *DB) FindParcelManifests(ctx context.Context, parcelID string) (_ []app.ParcelManifest, err error) {
	defer errs.Wrap(&err, "pg.FindParcelManifests(%q)", parcelID)
	var rows []struct {
		Code                              string
		GiverKind, GiverRef, ReceiverKind string
		ReceiverRef, HandoffStatus        string
		CreatedAt                         time.Time
		ClosedAt                          *time.Time
	}
	if err := d.query(ctx, &rows, `SELECT m.code, m.giver_kind, m.giver_ref, m.receiver_kind, m.receiver_ref, h.status AS handoff_status,
		m.created_at, m.closed_at FROM handoffs h JOIN manifests m ON m.id = h.manifest_id
		WHERE h.parcel_id = ?::uuid ORDER BY m.created_at LIMIT 100`, parcelID); err != nil {
		return nil, err
	}
	out := make([]app.ParcelManifest, len(rows))
	for i, r := range rows {
		out[i] = app.ParcelManifest{Code: r.Code, Giver: tracking.Party{Kind: tracking.PartyKind(r.GiverKind), Ref: r.GiverRef},
			Receiver: tracking.Party{Kind: tracking.PartyKind(r.ReceiverKind), Ref: r.ReceiverRef}, HandoffStatus: r.HandoffStatus,
			CreatedAt: r.CreatedAt, ClosedAt: r.ClosedAt}
	}
	return out, nil
}

// CourierOffice returns the post office of a courier by staff code; not
// found when no courier has it.
func (d *DB) CourierOffice(ctx context.Context, staffCode string) (_ string, err error) {
	defer errs.Wrap(&err, "pg.CourierOffice(%q)", staffCode)
	var offices []string
	if err := d.query(ctx, &offices, `SELECT office_code FROM users WHERE role = 'courier' AND upper(staff_code) = upper(?) AND office_code IS NOT NULL LIMIT 1`,
		staffCode); err != nil {
		return "", err
	}
	if len(offices) == 0 {
		return "", errs.E(errs.NotFound, "không có bưu tá %s", staffCode)
	}
	return offices[0], nil
}
