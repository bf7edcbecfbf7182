package pg

import (
	"context"
	"fmt"
	"time"

	"github.com/go-pg/pg/v10"
	"github.com/google/uuid"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

type deskRow struct {
	Code         string `pg:"code,pk"`
	Name         string `pg:"name,use_zero"`
	Level        string `pg:"level,use_zero"`
	CommuneCode  string `pg:"commune_code,use_zero"`
	ProvinceCode string `pg:"province_code,use_zero"`
	Address      string `pg:"address,use_zero"`
	Hours        string `pg:"hours,use_zero"`
	Phone        string `pg:"phone,use_zero"`
	Active       bool   `pg:"active,use_zero"`
	PostalCode   string `pg:"postal_code,use_zero"`
	Demo         bool   `pg:"demo,use_zero"`
}

func toDesk(r deskRow) app.Desk {
	return app.Desk{Code: r.Code, Name: r.Name, Level: r.Level, CommuneCode: r.CommuneCode, ProvinceCode: r.ProvinceCode, Address: r.Address,
		Hours: r.Hours, Phone: r.Phone, Active: r.Active, PostalCode: r.PostalCode, Demo: r.Demo}
}

// FindDesk finds a desk by code.
func (d *DB) FindDesk(ctx context.Context, code string) (_ app.Desk, err error) {
	defer errs.Wrap(&err, "pg.FindDesk %s", code)
	var r deskRow
	if err := d.queryOne(ctx, &r, `SELECT code, name, level, commune_code, province_code, address, hours, phone, active, postal_code, demo FROM desks WHERE code = ?`, code); err != nil {
		return app.Desk{}, err
	}
	return toDesk(r), nil
}

// FindDesks lists the desks of a province ("" for all), province centre first.
func (d *DB) FindDesks(ctx context.Context, province string) (_ []app.Desk, err error) {
	defer errs.Wrap(&err, "pg.FindDesks %s", province)
	var rows []deskRow
	err = d.query(ctx, &rows, `SELECT code, name, level, commune_code, province_code, address, hours, phone, active, postal_code, demo FROM desks
		WHERE (? = '' OR province_code = ?) ORDER BY level DESC, name`, province, province)
	out := make([]app.Desk, len(rows))
	for i, r := range rows {
		out[i] = toDesk(r)
	}
	return out, err
}

// UpsertDesk creates or updates a desk.
func (d *DB) UpsertDesk(ctx context.Context, k app.Desk) (err error) {
	defer errs.Wrap(&err, "pg.UpsertDesk %s", k.Code)
	_, err = d.exec(ctx, `INSERT INTO desks (code, name, level, commune_code, province_code, address, hours, phone, postal_code, demo)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, level = EXCLUDED.level,
		commune_code = EXCLUDED.commune_code, province_code = EXCLUDED.province_code, address = EXCLUDED.address,
		hours = EXCLUDED.hours, phone = EXCLUDED.phone,
		postal_code = CASE WHEN EXCLUDED.postal_code <> '' THEN EXCLUDED.postal_code ELSE desks.postal_code END, updated_at = now()`,
		k.Code, k.Name, k.Level, k.CommuneCode, k.ProvinceCode, k.Address, k.Hours, k.Phone, k.PostalCode, k.Demo)
	return err
}

type officeRow struct {
	Code         string  `pg:"code,pk"`
	Name         string  `pg:"name,use_zero"`
	CommuneCode  string  `pg:"commune_code,use_zero"`
	ProvinceCode string  `pg:"province_code,use_zero"`
	Lat          float64 `pg:"lat,use_zero"`
	Lng          float64 `pg:"lng,use_zero"`
	Active       bool    `pg:"active,use_zero"`
	Phone        string  `pg:"phone,use_zero"`
	PostalCode   string  `pg:"postal_code,use_zero"`
	Demo         bool    `pg:"demo,use_zero"`
}

func toOffice(r officeRow) app.PostOffice {
	return app.PostOffice{Code: r.Code, Name: r.Name, CommuneCode: r.CommuneCode, ProvinceCode: r.ProvinceCode, Lat: r.Lat, Lng: r.Lng, Active: r.Active, Phone: r.Phone, PostalCode: r.PostalCode, Demo: r.Demo}
}

// FindOffice finds a post office by code.
func (d *DB) FindOffice(ctx context.Context, code string) (_ app.PostOffice, err error) {
	defer errs.Wrap(&err, "pg.FindOffice %s", code)
	var r officeRow
	err = d.queryOne(ctx, &r, `SELECT code, name, commune_code, province_code, lat, lng, phone, active, postal_code, demo FROM post_offices WHERE code = ?`, code)
	return toOffice(r), err
}

// FindOffices lists the post offices of a province ("" for all).
func (d *DB) FindOffices(ctx context.Context, province string) (_ []app.PostOffice, err error) {
	defer errs.Wrap(&err, "pg.FindOffices %s", province)
	var rows []officeRow
	err = d.query(ctx, &rows, `SELECT code, name, commune_code, province_code, lat, lng, phone, active, postal_code, demo FROM post_offices
		WHERE (? = '' OR province_code = ?) ORDER BY code`, province, province)
	out := make([]app.PostOffice, len(rows))
	for i, r := range rows {
		out[i] = toOffice(r)
	}
	return out, err
}

// UpsertOffice creates or updates a post office.
func (d *DB) UpsertOffice(ctx context.Context, o app.PostOffice) (err error) {
	defer errs.Wrap(&err, "pg.UpsertOffice %s", o.Code)
	_, err = d.exec(ctx, `INSERT INTO post_offices (code, name, commune_code, province_code, lat, lng, phone, postal_code, demo)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, commune_code = EXCLUDED.commune_code,
		province_code = EXCLUDED.province_code, lat = EXCLUDED.lat, lng = EXCLUDED.lng, phone = EXCLUDED.phone,
		postal_code = CASE WHEN EXCLUDED.postal_code <> '' THEN EXCLUDED.postal_code ELSE post_offices.postal_code END, updated_at = now()`,
		o.Code, o.Name, o.CommuneCode, o.ProvinceCode, o.Lat, o.Lng, o.Phone, o.PostalCode, o.Demo)
	return err
}

// CreateDesk inserts a new desk; false when the code is taken (also by a
// concurrent creation).
func (d *DB) CreateDesk(ctx context.Context, k app.Desk) (_ bool, err error) {
	defer errs.Wrap(&err, "pg.CreateDesk %s", k.Code)
	res, err := d.exec(ctx, `INSERT INTO desks (code, name, level, commune_code, province_code, address, hours, phone, postal_code, demo)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING`,
		k.Code, k.Name, k.Level, k.CommuneCode, k.ProvinceCode, k.Address, k.Hours, k.Phone, k.PostalCode, k.Demo)
	if err != nil {
		return false, err
	}
	return res.RowsAffected() == 1, nil
}

// CreateOffice inserts a new post office; false when the code is taken.
func (d *DB) CreateOffice(ctx context.Context, o app.PostOffice) (_ bool, err error) {
	defer errs.Wrap(&err, "pg.CreateOffice %s", o.Code)
	res, err := d.exec(ctx, `INSERT INTO post_offices (code, name, commune_code, province_code, lat, lng, phone, postal_code, demo)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO NOTHING`,
		o.Code, o.Name, o.CommuneCode, o.ProvinceCode, o.Lat, o.Lng, o.Phone, o.PostalCode, o.Demo)
	if err != nil {
		return false, err
	}
	return res.RowsAffected() == 1, nil
}

// SetDeskActive switches a desk on or off; NotFound when there is none.
func (d *DB) SetDeskActive(ctx context.Context, code string, active bool) (err error) {
	defer errs.Wrap(&err, "pg.SetDeskActive %s", code)
	res, err := d.exec(ctx, `UPDATE desks SET active = ?, updated_at = now() WHERE code = ?`, active, code)
	if err == nil && res.RowsAffected() == 0 {
		return errs.E(errs.NotFound, "Không có bộ phận một cửa %s", code)
	}
	return err
}

// SetOfficeActive switches a post office on or off; NotFound when there is none.
func (d *DB) SetOfficeActive(ctx context.Context, code string, active bool) (err error) {
	defer errs.Wrap(&err, "pg.SetOfficeActive %s", code)
	res, err := d.exec(ctx, `UPDATE post_offices SET active = ?, updated_at = now() WHERE code = ?`, active, code)
	if err == nil && res.RowsAffected() == 0 {
		return errs.E(errs.NotFound, "Không có bưu cục %s", code)
	}
	return err
}

// UpsertDossier finds the dossier of a portal client (or of no client) by
// code, creating it when new. An existing dossier keeps its data.
func (d *DB) UpsertDossier(ctx context.Context, portalClient string, k tracking.Dossier, demo bool, now time.Time) (_ string, err error) {
	defer errs.Wrap(&err, "pg.UpsertDossier %s", portalClient)
	var id string
	var client any
	if portalClient != "" {
		client = portalClient
	}
	var deadline any
	if k.LegalDeadline != nil {
		deadline = k.LegalDeadline.Format("2006-01-02")
	}
	err = d.queryOne(ctx, pg.Scan(&id), `INSERT INTO dossiers (id, portal_client_id, code, procedure_code, procedure_name, desk_code, legal_deadline, return_by_post, demo, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (portal_client_id, code) DO UPDATE SET code = EXCLUDED.code
		RETURNING id`, uuid.NewString(), client, k.Code, k.ProcedureCode, k.ProcedureName, k.DeskCode, deadline, k.ReturnByPost, demo, now)
	return id, err
}

const parcelCols = `p.id, p.tracking_number, p.leg, p.status, p.channel, coalesce(p.portal_client_id, '') AS portal_client_id,
	coalesce(p.created_by, 0) AS created_by, p.dossier_id, d.code AS dossier_code, d.procedure_code, d.procedure_name,
	d.desk_code AS dossier_desk_code, d.legal_deadline, d.return_by_post, p.citizen_name, p.phone_enc, p.phone_last3,
	coalesce(p.id_last3, '') AS id_last3, p.province_code, p.commune_code, p.address_line, p.lat, p.lng, p.location_approx,
	p.desk_code, coalesce(p.office_code, '') AS office_code, coalesce(p.return_of::text, '') AS return_of, p.fee_amount,
	p.event_count, p.last_hash, p.demo, p.created_at, p.updated_at, p.status_since,
	coalesce(p.custodian_kind, '') AS custodian_kind, coalesce(p.custodian_ref, '') AS custodian_ref, p.attempts,
	coalesce(p.seal_id, '') AS seal_id, coalesce(p.receipt_code, '') AS receipt_code, coalesce(p.courier_ref, '') AS courier_ref,
	p.planned_date, p.window_start, p.window_end, coalesce(p.route_stop, 0) AS route_stop,
	coalesce(p.report_client_id, '') AS report_client_id`

type parcelRow struct {
	ID              string
	TrackingNumber  string
	Leg             string
	Status          string
	Channel         string
	PortalClientID  string
	CreatedBy       int64
	DossierID       string
	DossierCode     string
	ProcedureCode   string
	ProcedureName   string
	DossierDeskCode string
	LegalDeadline   *time.Time
	ReturnByPost    bool
	CitizenName     string
	PhoneEnc        []byte
	PhoneLast3      string
	IDLast3         string `pg:"id_last3"`
	ProvinceCode    string
	CommuneCode     string
	AddressLine     string
	Lat, Lng        float64
	LocationApprox  bool
	DeskCode        string
	OfficeCode      string
	ReturnOf        string
	FeeAmount       int64
	EventCount      int
	LastHash        []byte
	Demo            bool
	CreatedAt       time.Time
	UpdatedAt       time.Time
	StatusSince     time.Time
	CustodianKind   string
	CustodianRef    string
	Attempts        int
	SealID          string
	ReceiptCode     string
	CourierRef      string
	PlannedDate     *time.Time
	WindowStart     *time.Time
	WindowEnd       *time.Time
	RouteStop       int
	ReportClientID  string
}

func toParcel(r parcelRow) (app.Parcel, error) {
	leg, err := tracking.ParseLeg(r.Leg)
	if err != nil {
		return app.Parcel{}, fmt.Errorf("parcel %s: %w", r.ID, err)
	}
	status, err := tracking.ParseStatus(r.Status)
	if err != nil {
		return app.Parcel{}, fmt.Errorf("parcel %s: %w", r.ID, err)
	}
	return app.Parcel{
		ID: r.ID, Number: r.TrackingNumber, Leg: leg, Status: status, Channel: tracking.Channel(r.Channel),
		PortalClient: r.PortalClientID, CreatedBy: r.CreatedBy, DossierID: r.DossierID,
		Dossier: tracking.Dossier{Code: r.DossierCode, ProcedureCode: r.ProcedureCode, ProcedureName: r.ProcedureName,
			DeskCode: r.DossierDeskCode, LegalDeadline: r.LegalDeadline, ReturnByPost: r.ReturnByPost},
		CitizenName: r.CitizenName, PhoneEnc: r.PhoneEnc, PhoneLast3: r.PhoneLast3, IDLast3: r.IDLast3,
		ProvinceCode: r.ProvinceCode, CommuneCode: r.CommuneCode, AddressLine: r.AddressLine, Lat: r.Lat, Lng: r.Lng,
		LocationApprox: r.LocationApprox, DeskCode: r.DeskCode, OfficeCode: r.OfficeCode, ReturnOf: r.ReturnOf,
		FeeAmount: r.FeeAmount, EventCount: r.EventCount, LastHash: r.LastHash, Demo: r.Demo,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, StatusSince: r.StatusSince,
		Custodian: tracking.Party{Kind: tracking.PartyKind(r.CustodianKind), Ref: r.CustodianRef},
		Attempts:  r.Attempts, SealID: r.SealID, ReceiptCode: r.ReceiptCode, CourierRef: r.CourierRef,
		PlannedDate: r.PlannedDate, WindowStart: r.WindowStart, WindowEnd: r.WindowEnd, RouteStop: r.RouteStop,
		ReportClient: r.ReportClientID,
	}, nil
}

// InsertParcel stores a new parcel with its documents and windows.
func (d *DB) InsertParcel(ctx context.Context, p app.Parcel, phoneHash, idHash []byte) (err error) {
	defer errs.Wrap(&err, "pg.InsertParcel %s", p.ID)
	return d.InTx(ctx, func(ctx context.Context) error {
		var client, createdBy, idLast3, office, returnOf any
		if p.PortalClient != "" {
			client = p.PortalClient
		}
		if p.CreatedBy != 0 {
			createdBy = p.CreatedBy
		}
		if p.IDLast3 != "" {
			idLast3 = p.IDLast3
		}
		if p.OfficeCode != "" {
			office = p.OfficeCode
		}
		if p.ReturnOf != "" {
			returnOf = p.ReturnOf
		}
		var idh any
		if len(idHash) > 0 {
			idh = idHash
		}
		_, err := d.exec(ctx, `INSERT INTO parcels (id, tracking_number, leg, dossier_id, status, channel, portal_client_id, created_by,
			citizen_name, phone_enc, phone_hash, phone_last3, id_hash, id_last3, province_code, commune_code, address_line, lat, lng,
			location_approx, desk_code, office_code, return_of, fee_amount, demo, created_at, updated_at, status_since,
			window_start, window_end, risk_at, receipt_code, cell, report_client_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			p.ID, p.Number, p.Leg, p.DossierID, p.Status, string(p.Channel), client, createdBy,
			p.CitizenName, p.PhoneEnc, phoneHash, p.PhoneLast3, idh, idLast3, p.ProvinceCode, p.CommuneCode, p.AddressLine, p.Lat, p.Lng,
			p.LocationApprox, p.DeskCode, office, returnOf, p.FeeAmount, p.Demo, p.CreatedAt, p.UpdatedAt, p.CreatedAt,
			p.WindowStart, p.WindowEnd, p.RiskAt, nullable(p.ReceiptCode), cellOrNull(p.Cell), nullable(p.ReportClient))
		if err != nil {
			return err
		}
		if len(p.Documents) > 0 {
			var params []any
			for i, doc := range p.Documents {
				params = append(params, p.ID, i+1, doc.Name, string(doc.Kind), doc.Count)
			}
			if _, err := d.exec(ctx, `INSERT INTO parcel_documents (parcel_id, line, name, kind, count) VALUES `+
				values(len(p.Documents), []string{"uuid", "int", "text", "text", "int"}), params...); err != nil {
				return err
			}
		}
		if len(p.Windows) > 0 {
			var params []any
			for i, w := range p.Windows {
				params = append(params, p.ID, i+1, w.Start, w.End)
			}
			if _, err := d.exec(ctx, `INSERT INTO pickup_windows (parcel_id, idx, starts_at, ends_at) VALUES `+
				values(len(p.Windows), []string{"uuid", "int", "timestamptz", "timestamptz"}), params...); err != nil {
				return err
			}
		}
		return nil
	})
}

func (d *DB) loadParcels(ctx context.Context, where string, params ...any) ([]app.Parcel, error) {
	return d.loadParcelsWith(ctx, true, where, params...)
}

// loadParcelsWith loads parcels with their documents, and their windows when
// withWindows (the ledger does not need them).
func (d *DB) loadParcelsWith(ctx context.Context, withWindows bool, where string, params ...any) ([]app.Parcel, error) {
	var rows []parcelRow
	if err := d.query(ctx, &rows, `SELECT `+parcelCols+` FROM parcels p JOIN dossiers d ON d.id = p.dossier_id `+where, params...); err != nil {
		return nil, err
	}
	out := make([]app.Parcel, len(rows))
	ids := make([]string, len(rows))
	idx := make(map[string]int, len(rows))
	for i, r := range rows {
		p, err := toParcel(r)
		if err != nil {
			return nil, err
		}
		out[i] = p
		ids[i] = r.ID
		idx[r.ID] = i
	}
	if len(rows) == 0 {
		return out, nil
	}
	var docs []struct {
		ParcelID       string
		Line           int
		Name           string
		Kind           string
		Count          int
		CollectedCount *int
		Condition      string
		Disposition    tracking.Disposition
	}
	if err := d.query(ctx, &docs, `SELECT parcel_id, line, name, kind, count, collected_count, coalesce(condition, '') AS condition,
		coalesce(disposition, '') AS disposition
		FROM parcel_documents WHERE parcel_id IN (?) ORDER BY parcel_id, line`, pg.In(ids)); err != nil {
		return nil, err
	}
	for _, r := range docs {
		p := &out[idx[r.ParcelID]]
		p.Documents = append(p.Documents, tracking.Document{Name: r.Name, Kind: tracking.DocKind(r.Kind), Count: r.Count})
		if r.CollectedCount != nil {
			p.Collected = append(p.Collected, tracking.DocCount{Line: r.Line, Kind: r.Kind, Count: *r.CollectedCount, Condition: tracking.Condition(r.Condition), Disposition: r.Disposition})
		}
	}
	if !withWindows {
		return out, nil
	}
	var wins []struct {
		ParcelID string
		StartsAt time.Time
		EndsAt   time.Time
	}
	if err := d.query(ctx, &wins, `SELECT parcel_id, starts_at, ends_at FROM pickup_windows WHERE parcel_id IN (?) ORDER BY parcel_id, idx`, pg.In(ids)); err != nil {
		return nil, err
	}
	for _, w := range wins {
		p := &out[idx[w.ParcelID]]
		p.Windows = append(p.Windows, tracking.Window{Start: w.StartsAt, End: w.EndsAt})
	}
	return out, nil
}

// FindParcel finds a parcel by id.
func (d *DB) FindParcel(ctx context.Context, id string) (_ app.Parcel, err error) {
	defer errs.Wrap(&err, "pg.FindParcel %v", id)
	if _, err := uuid.Parse(id); err != nil {
		return app.Parcel{}, errs.E(errs.NotFound, "không tìm thấy bưu gửi")
	}
	ps, err := d.loadParcels(ctx, `WHERE p.id = ?`, id)
	if err != nil {
		return app.Parcel{}, err
	}
	if len(ps) == 0 {
		return app.Parcel{}, errs.E(errs.NotFound, "không tìm thấy bưu gửi")
	}
	return ps[0], nil
}

// FindParcelByNumber finds a parcel by tracking number.
func (d *DB) FindParcelByNumber(ctx context.Context, number string) (_ app.Parcel, err error) {
	defer errs.Wrap(&err, "pg.FindParcelByNumber %s", number)
	ps, err := d.loadParcels(ctx, `WHERE p.tracking_number = ?`, number)
	if err != nil {
		return app.Parcel{}, err
	}
	if len(ps) == 0 {
		return app.Parcel{}, errs.E(errs.NotFound, "không tìm thấy bưu gửi")
	}
	return ps[0], nil
}

// ParcelIDByNumber resolves a tracking number.
func (d *DB) ParcelIDByNumber(ctx context.Context, number string) (_ string, err error) {
	defer errs.Wrap(&err, "pg.ParcelIDByNumber %s", number)
	var id string
	err = d.queryOne(ctx, pg.Scan(&id), `SELECT id FROM parcels WHERE tracking_number = ?`, number)
	if errs.Is(err, errs.NotFound) {
		return "", errs.E(errs.NotFound, "không có bưu gửi số %s", number)
	}
	return id, err
}

// FindParcels lists parcels matching f, newest first.
func (d *DB) FindParcels(ctx context.Context, f app.ParcelFilter) (_ []app.Parcel, err error) {
	defer errs.Wrap(&err, "pg.FindParcels")
	limit := f.Limit
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	var phone any
	if len(f.PhoneHash) > 0 {
		phone = f.PhoneHash
	}
	return d.loadParcels(ctx, `WHERE (? = '' OR d.code = ?)
		AND (? = '' OR upper(regexp_replace(d.code, '[^A-Za-z0-9]', '', 'g')) = ?)
		AND (? = '' OR p.portal_client_id = ?)
		AND (? = '' OR p.desk_code = ?)
		AND (? = '' OR p.office_code = ?)
		AND (? = '' OR p.status = ?)
		AND (?::bytea IS NULL OR p.phone_hash = ?)
		AND (? = '' OR p.leg = ?)
		AND (? = '' OR p.id_last3 = ?)
		AND (? = '' OR p.channel = ?)
		ORDER BY p.created_at DESC, p.tracking_number LIMIT ?`,
		f.DossierCode, f.DossierCode, f.DossierKey, f.DossierKey, f.PortalClient, f.PortalClient, f.DeskCode, f.DeskCode,
		f.OfficeCode, f.OfficeCode, f.Status, f.Status, phone, phone, f.Leg, f.Leg, f.IDLast3, f.IDLast3, f.Channel, f.Channel, limit)
}

// ActivePickup returns the number of the dossier's pickup that is neither
// cancelled nor finished, if any.
func (d *DB) ActivePickup(ctx context.Context, dossierID string) (_ string, _ bool, err error) {
	defer errs.Wrap(&err, "pg.ActivePickup %s", dossierID)
	var ns []string
	err = d.query(ctx, &ns, `SELECT tracking_number FROM parcels WHERE dossier_id = ? AND leg = 'pickup'
		AND status NOT IN ('cancelled', 'accepted', 'returned_incomplete') LIMIT 1`, dossierID)
	if err != nil || len(ns) == 0 {
		return "", false, err
	}
	return ns[0], true, nil
}

// LastDossierDocuments returns the dossier and document list of the latest
// pickup request for a dossier code that the filter allows, to pre-fill a
// request form: only a request made with the same phone (a citizen who
// proved it) or for the asker's desk or province (a clerk).
func (d *DB) LastDossierDocuments(ctx context.Context, code string, f app.PrefillFilter) (_ tracking.Dossier, _ []tracking.Document, _ bool, err error) {
	defer errs.Wrap(&err, "pg.LastDossierDocuments %s", code)
	var phone any
	if len(f.PhoneHash) > 0 {
		phone = f.PhoneHash
	}
	ps, err := d.loadParcels(ctx, `WHERE d.code = ? AND p.leg = 'pickup' AND (?::bytea IS NULL OR p.phone_hash = ?)
		AND (? = '' OR d.desk_code = ?) AND (? = '' OR p.province_code = ?) ORDER BY p.created_at DESC LIMIT 1`,
		code, phone, phone, f.DeskCode, f.DeskCode, f.ProvinceCode, f.ProvinceCode)
	if err != nil || len(ps) == 0 {
		return tracking.Dossier{}, nil, false, err
	}
	return ps[0].Dossier, ps[0].Documents, true, nil
}

// CountWindowBookings counts live pickup requests of a commune per window
// start (UTC) between from and to.
func (d *DB) CountWindowBookings(ctx context.Context, commune string, from, to time.Time) (_ map[time.Time]int, err error) {
	defer errs.Wrap(&err, "pg.CountWindowBookings")
	var rows []struct {
		StartsAt time.Time
		N        int
	}
	err = d.query(ctx, &rows, `SELECT w.starts_at, count(*) AS n FROM pickup_windows w JOIN parcels p ON p.id = w.parcel_id
		WHERE p.commune_code = ? AND w.starts_at >= ? AND w.starts_at < ? AND p.status IN ('requested', 'scheduled', 'pickup_failed')
		GROUP BY w.starts_at`, commune, from, to)
	out := make(map[time.Time]int, len(rows))
	for _, r := range rows {
		out[r.StartsAt.UTC()] = r.N
	}
	return out, err
}

// InsertAudit records a reveal of personal data.
func (d *DB) InsertAudit(ctx context.Context, userID int64, action, subject, reason string, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.InsertAudit %d", userID)
	var uid any
	if userID != 0 {
		uid = userID
	}
	_, err = d.exec(ctx, `INSERT INTO audit_log (at, user_id, action, subject, reason) VALUES (?, ?, ?, ?, ?)`, at, uid, action, subject, reason)
	return err
}

// Meta reads a marker; ok is false when unset.
func (d *DB) Meta(ctx context.Context, key string) (_ string, _ bool, err error) {
	defer errs.Wrap(&err, "pg.Meta %q", key)
	var v string
	err = d.queryOne(ctx, pg.Scan(&v), `SELECT value FROM meta WHERE key = ?`, key)
	if errs.Is(err, errs.NotFound) {
		return "", false, nil
	}
	return v, err == nil, err
}

// SetMeta writes a marker.
func (d *DB) SetMeta(ctx context.Context, key, value string, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.SetMeta %q", key)
	_, err = d.exec(ctx, `INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`, key, value, at)
	return err
}
