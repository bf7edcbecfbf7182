package pg

import (
	"context"
	"time"

	"github.com/go-pg/pg/v10"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

type incidentRow struct {
	ID                string
	ParcelID          string
	Number            string
	DossierCode       string
	Problem           string
	MissingLines      []int `pg:",array"`
	LastCustodianKind string
	LastCustodianRef  string
	Note              string
	Status            string
	Resolution        string
	ProvinceCode      string
	OfficeCode        string
	DeskCode          string
	CreatedAt         time.Time
	ClosedAt          *time.Time
	Kind              string
	DueAt             *time.Time
	RouteKind         string
	RouteRef          string
}

const incidentCols = `i.id::text AS id, i.parcel_id::text AS parcel_id, p.tracking_number AS number, d.code AS dossier_code, i.problem,
	i.missing_lines, i.last_custodian_kind, i.last_custodian_ref, i.note, i.status, i.resolution, p.province_code,
	coalesce(p.office_code, '') AS office_code, p.desk_code, i.created_at, i.closed_at, i.kind, i.due_at,
	coalesce(i.route_kind, '') AS route_kind, coalesce(i.route_ref, '') AS route_ref`

func toIncident(r incidentRow) app.Incident {
	return app.Incident{ID: r.ID, ParcelID: r.ParcelID, Number: r.Number, DossierCode: r.DossierCode, Problem: r.Problem,
		MissingLines: r.MissingLines, LastCustodian: tracking.Party{Kind: tracking.PartyKind(r.LastCustodianKind), Ref: r.LastCustodianRef},
		Note: r.Note, Status: r.Status, Resolution: r.Resolution, ProvinceCode: r.ProvinceCode, OfficeCode: r.OfficeCode,
		DeskCode: r.DeskCode, CreatedAt: r.CreatedAt, ClosedAt: r.ClosedAt, Kind: r.Kind, DueAt: r.DueAt,
		Route: tracking.Party{Kind: tracking.PartyKind(r.RouteKind), Ref: r.RouteRef}}
}

// FindIncidents lists incidents in a scope, newest first.
func (d *DB) FindIncidents(ctx context.Context, f app.AlarmFilter, openOnly bool) (_ []app.Incident, err error) {
	defer errs.Wrap(&err, "pg.FindIncidents")
	var rows []incidentRow
	err = d.query(ctx, &rows, `SELECT `+incidentCols+` FROM incidents i JOIN parcels p ON p.id = i.parcel_id JOIN dossiers d ON d.id = p.dossier_id
		WHERE (? = '' OR p.province_code = ?)
		  AND (? = '' OR p.office_code = ? OR (i.last_custodian_kind = 'post_office' AND i.last_custodian_ref = ?)
		       OR (i.route_kind = 'post_office' AND i.route_ref = ?))
		  AND (? = '' OR p.desk_code = ? OR (i.last_custodian_kind = 'desk' AND i.last_custodian_ref = ?) OR (i.route_kind = 'desk' AND i.route_ref = ?))
		  AND (NOT ? OR i.status = 'open')
		ORDER BY i.status = 'open' DESC, i.due_at NULLS LAST, i.created_at DESC LIMIT 300`,
		f.Province, f.Province, f.Office, f.Office, f.Office, f.Office, f.Desk, f.Desk, f.Desk, f.Desk, openOnly)
	out := make([]app.Incident, len(rows))
	for i, r := range rows {
		out[i] = toIncident(r)
	}
	return out, err
}

// FindIncident returns an incident with its documents and case.
func (d *DB) FindIncident(ctx context.Context, id string) (_ app.Incident, err error) {
	defer errs.Wrap(&err, "pg.FindIncident %v", id)
	var r incidentRow
	if err := d.queryOne(ctx, &r, `SELECT `+incidentCols+` FROM incidents i JOIN parcels p ON p.id = i.parcel_id JOIN dossiers d ON d.id = p.dossier_id
		WHERE i.id = ?::uuid`, id); err != nil {
		if errs.Is(err, errs.NotFound) || errs.Is(err, errs.Invalid) {
			return app.Incident{}, errs.E(errs.NotFound, "không tìm thấy sự cố")
		}
		return app.Incident{}, err
	}
	inc := toIncident(r)
	p, err := d.FindParcel(ctx, inc.ParcelID)
	if err != nil {
		return app.Incident{}, err
	}
	inc.Documents = p.Documents
	var cs []struct {
		ID              string
		ResponsibleKind string
		ResponsibleRef  string
		Lines           []int `pg:",array"`
		ReissueState    string
		ApologyState    string
		ApologyText     string
		CostsAmount     int64
		CostsState      string
		Status          string
		CreatedAt       time.Time
		UpdatedAt       time.Time
	}
	if err := d.query(ctx, &cs, `SELECT id::text AS id, responsible_kind, responsible_ref, lines, reissue_state, apology_state, apology_text,
		costs_amount, costs_state, status, created_at, updated_at FROM lost_cases WHERE incident_id = ?::uuid`, id); err != nil {
		return app.Incident{}, err
	}
	if len(cs) == 1 {
		c := cs[0]
		inc.Case = &app.LostCase{ID: c.ID, IncidentID: id, Responsible: tracking.Party{Kind: tracking.PartyKind(c.ResponsibleKind), Ref: c.ResponsibleRef},
			Lines: c.Lines, ReissueState: c.ReissueState, ApologyState: c.ApologyState, ApologyText: c.ApologyText,
			CostsAmount: c.CostsAmount, CostsState: c.CostsState, Status: c.Status, CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
	}
	if inc.Answers, err = d.findAnswers(ctx, id); err != nil {
		return app.Incident{}, err
	}
	return inc, nil
}

// CloseIncident closes an open incident.
func (d *DB) CloseIncident(ctx context.Context, id, status, resolution string, userID int64, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.CloseIncident %v %d", id, userID)
	res, err := d.exec(ctx, `UPDATE incidents SET status = ?, resolution = ?, closed_by = ?, closed_at = ? WHERE id = ?::uuid AND status = 'open'`,
		status, resolution, userID, at, id)
	if err != nil {
		return err
	}
	if res.RowsAffected() != 1 {
		return errs.E(errs.Conflict, "sự cố đã đóng")
	}
	return nil
}

// CreateLostCase stores a case.
func (d *DB) CreateLostCase(ctx context.Context, c app.LostCase, userID int64) (err error) {
	defer errs.Wrap(&err, "pg.CreateLostCase %v %d", c.ID, userID)
	lines := c.Lines
	if lines == nil {
		lines = []int{}
	}
	_, err = d.exec(ctx, `INSERT INTO lost_cases (id, incident_id, parcel_id, responsible_kind, responsible_ref, lines, reissue_state,
		apology_state, apology_text, costs_amount, costs_state, status, created_at, updated_at, created_by)
		SELECT ?::uuid, i.id, i.parcel_id, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM incidents i WHERE i.id = ?::uuid`,
		c.ID, string(c.Responsible.Kind), c.Responsible.Ref, pg.Array(lines), c.ReissueState, c.ApologyState, c.ApologyText,
		c.CostsAmount, c.CostsState, c.Status, c.CreatedAt, c.UpdatedAt, userID, c.IncidentID)
	return err
}

// UpdateLostCase saves a case's steps.
func (d *DB) UpdateLostCase(ctx context.Context, c app.LostCase) (err error) {
	defer errs.Wrap(&err, "pg.UpdateLostCase %v", c.ID)
	_, err = d.exec(ctx, `UPDATE lost_cases SET reissue_state = ?, apology_state = ?, costs_amount = ?, costs_state = ?, status = ?, updated_at = ?
		WHERE id = ?::uuid`, c.ReissueState, c.ApologyState, c.CostsAmount, c.CostsState, c.Status, c.UpdatedAt, c.ID)
	return err
}
