package pg

import (
	"context"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/go-pg/pg/v10"
	"github.com/google/uuid"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

// FindManifestHead loads a manifest by code without its lines.
func (d *DB) FindManifestHead(ctx context.Context, code string) (_ app.Manifest, err error) {
	defer errs.Wrap(&err, "pg.FindManifestHead %s", code)
	var r manifestRow
	if err := d.queryOne(ctx, &r, `SELECT `+manifestCols+` FROM manifests m WHERE m.code = ?`, code); err != nil {
		if errs.Is(err, errs.NotFound) {
			return app.Manifest{}, errs.E(errs.NotFound, "không có bảng kê %s", code)
		}
		return app.Manifest{}, err
	}
	return r.manifest(), nil
}

// FindManifest loads a manifest by code with its lines: each parcel once,
// its latest hand-off under the manifest, the problem of a disputed one and
// the seal id its receiver stated.
func (d *DB) FindManifest(ctx context.Context, code string) (_ app.Manifest, _ []app.ManifestLine, err error) {
	defer errs.Wrap(&err, "pg.FindManifest %s", code)
	var r manifestRow
	if err := d.queryOne(ctx, &r, `SELECT `+manifestCols+` FROM manifests m WHERE m.code = ?`, code); err != nil {
		if errs.Is(err, errs.NotFound) {
			return app.Manifest{}, nil, errs.E(errs.NotFound, "không có bảng kê %s", code)
		}
		return app.Manifest{}, nil, err
	}
	m := r.manifest()
	var rows []struct {
		ID, ParcelID, GiverKind, GiverRef, ReceiverKind, ReceiverRef, Status string
		ReleasedAt, Deadline                                                 time.Time
		ClosedAt                                                             *time.Time
		Problem, SealRead                                                    string
	}
	if err := d.query(ctx, &rows, `SELECT DISTINCT ON (h.parcel_id) h.id, h.parcel_id, h.giver_kind, h.giver_ref, h.receiver_kind, h.receiver_ref,
			h.status, h.released_at, h.deadline, h.closed_at, coalesce(i.problem, '') AS problem,
			coalesce(e.data->>'seal_id', '') AS seal_read
		FROM handoffs h LEFT JOIN incidents i ON i.handoff_id = h.id LEFT JOIN events e ON e.id = h.closed_event
		WHERE h.manifest_id = ? ORDER BY h.parcel_id, h.released_at DESC, i.created_at DESC`, m.ID); err != nil {
		return app.Manifest{}, nil, err
	}
	if len(rows) == 0 {
		return m, nil, nil
	}
	ids := make([]string, len(rows))
	for i, x := range rows {
		ids[i] = x.ParcelID
	}
	ps, err := d.loadParcels(ctx, `WHERE p.id IN (?)`, pg.In(ids))
	if err != nil {
		return app.Manifest{}, nil, err
	}
	byID := map[string]app.Parcel{}
	for _, p := range ps {
		byID[p.ID] = p
	}
	lines := make([]app.ManifestLine, len(rows))
	for i, x := range rows {
		lines[i] = app.ManifestLine{Status: x.Status, Problem: x.Problem, SealRead: x.SealRead, ClosedAt: x.ClosedAt, Parcel: byID[x.ParcelID],
			Handoff: tracking.Handoff{ID: x.ID, Giver: tracking.Party{Kind: tracking.PartyKind(x.GiverKind), Ref: x.GiverRef},
				Receiver: tracking.Party{Kind: tracking.PartyKind(x.ReceiverKind), Ref: x.ReceiverRef}, ReleasedAt: x.ReleasedAt, Deadline: x.Deadline, Manifest: m.Code}}
	}
	sortLines(lines)
	return m, lines, nil
}

func sortLines(ls []app.ManifestLine) {
	for i := 1; i < len(ls); i++ {
		for j := i; j > 0 && ls[j].Parcel.Number < ls[j-1].Parcel.Number; j-- {
			ls[j], ls[j-1] = ls[j-1], ls[j]
		}
	}
}

// SaveDraft keeps a counter input waiting for its confirmation screen, and
// drops the user's expired ones.
func (d *DB) SaveDraft(ctx context.Context, dr app.Draft) (err error) {
	defer errs.Wrap(&err, "pg.SaveDraft")
	b, err := app.MarshalDraft(dr.Input)
	if err != nil {
		return err
	}
	return d.InTx(ctx, func(ctx context.Context) error {
		if _, err := d.exec(ctx, `DELETE FROM counter_drafts WHERE user_id = ? AND expires_at < ?`, dr.UserID, dr.CreatedAt); err != nil {
			return err
		}
		_, err := d.exec(ctx, `INSERT INTO counter_drafts (id, user_id, kind, payload, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
			dr.ID, dr.UserID, dr.Kind, string(b), dr.CreatedAt, dr.ExpiresAt)
		return err
	})
}

// FindDraft reads a user's own draft, unexpired.
func (d *DB) FindDraft(ctx context.Context, id string, userID int64, now time.Time) (_ app.Draft, err error) {
	defer errs.Wrap(&err, "pg.FindDraft %v %d", id, userID)
	if _, err := uuid.Parse(id); err != nil {
		return app.Draft{}, errs.E(errs.NotFound, "Phiếu xác nhận không còn: làm lại từ đầu")
	}
	var r struct {
		ID, Kind, Payload    string
		UserID               int64
		CreatedAt, ExpiresAt time.Time
	}
	err = d.queryOne(ctx, &r, `SELECT id, kind, payload::text AS payload, user_id, created_at, expires_at FROM counter_drafts
		WHERE id = ? AND user_id = ? AND expires_at > ?`, id, userID, now)
	if errs.Is(err, errs.NotFound) {
		return app.Draft{}, errs.E(errs.NotFound, "Phiếu xác nhận không còn: làm lại từ đầu")
	}
	if err != nil {
		return app.Draft{}, err
	}
	in, err := app.UnmarshalDraft([]byte(r.Payload))
	if err != nil {
		return app.Draft{}, errs.Wrapf(errs.Internal, err, "phiếu xác nhận %s", id)
	}
	return app.Draft{ID: r.ID, UserID: r.UserID, Kind: r.Kind, Input: in, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt}, nil
}

// DeleteDraft forgets a draft.
func (d *DB) DeleteDraft(ctx context.Context, id string) (err error) {
	defer errs.Wrap(&err, "pg.DeleteDraft %v", id)
	_, err = d.exec(ctx, `DELETE FROM counter_drafts WHERE id = ?`, id)
	return err
}

type handoffRow struct {
	ID, ParcelID, GiverKind, GiverRef, ReceiverKind, ReceiverRef, Status string
	ReleasedAt, Deadline                                                 time.Time
	Manifest                                                             string
}

const handoffCols = `h.id, h.parcel_id, h.giver_kind, h.giver_ref, h.receiver_kind, h.receiver_ref, h.status, h.released_at, h.deadline,
	coalesce(m.code, '') AS manifest`

func (d *DB) pendings(ctx context.Context, rows []handoffRow) ([]app.Pending, error) {
	if len(rows) == 0 {
		return nil, nil
	}
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.ParcelID
	}
	ps, err := d.loadParcels(ctx, `WHERE p.id IN (?)`, pg.In(ids))
	if err != nil {
		return nil, err
	}
	byID := map[string]app.Parcel{}
	for _, p := range ps {
		byID[p.ID] = p
	}
	out := make([]app.Pending, len(rows))
	for i, r := range rows {
		out[i] = app.Pending{Manifest: r.Manifest, Parcel: byID[r.ParcelID], Handoff: tracking.Handoff{ID: r.ID, ReleasedAt: r.ReleasedAt, Deadline: r.Deadline,
			Giver:    tracking.Party{Kind: tracking.PartyKind(r.GiverKind), Ref: r.GiverRef},
			Receiver: tracking.Party{Kind: tracking.PartyKind(r.ReceiverKind), Ref: r.ReceiverRef}, Manifest: r.Manifest}}
	}
	return out, nil
}

// FindHandoff finds a hand-off by id, with its parcel and its status.
func (d *DB) FindHandoff(ctx context.Context, id string) (_ app.Pending, _ string, err error) {
	defer errs.Wrap(&err, "pg.FindHandoff %v", id)
	if _, err := uuid.Parse(id); err != nil {
		return app.Pending{}, "", errs.E(errs.NotFound, "Không có bàn giao này")
	}
	var rows []handoffRow
	if err := d.query(ctx, &rows, `SELECT `+handoffCols+` FROM handoffs h LEFT JOIN manifests m ON m.id = h.manifest_id WHERE h.id = ?`, id); err != nil {
		return app.Pending{}, "", err
	}
	if len(rows) == 0 {
		return app.Pending{}, "", errs.E(errs.NotFound, "Không có bàn giao này")
	}
	out, err := d.pendings(ctx, rows)
	if err != nil {
		return app.Pending{}, "", err
	}
	return out[0], rows[0].Status, nil
}

// FindPendingHandoffs lists the releases still waiting for their receiver,
// of a province's parcels ("" for all), the most overdue first.
func (d *DB) FindPendingHandoffs(ctx context.Context, province string, limit int) (_ []app.Pending, err error) {
	defer errs.Wrap(&err, "pg.FindPendingHandoffs %s", province)
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	var rows []handoffRow
	if err := d.query(ctx, &rows, `SELECT `+handoffCols+` FROM handoffs h JOIN parcels p ON p.id = h.parcel_id
		LEFT JOIN manifests m ON m.id = h.manifest_id
		WHERE h.status = 'pending' AND (?0 = '' OR p.province_code = ?0) ORDER BY h.deadline, h.id LIMIT ?1`, province, limit); err != nil {
		return nil, err
	}
	return d.pendings(ctx, rows)
}

// ClearHandoffAlarms clears, as of at, the alarm of an unconfirmed hand-off
// now closed and that of its manifest if the manifest is now closed.
func (d *DB) ClearHandoffAlarms(ctx context.Context, handoffID string, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.ClearHandoffAlarms %s", handoffID)
	if _, err := d.exec(ctx, `UPDATE alarms SET cleared_at = ? WHERE kind = 'handoff_unconfirmed' AND subject = ? AND cleared_at IS NULL`, at, handoffID); err != nil {
		return err
	}
	_, err = d.exec(ctx, `UPDATE alarms a SET cleared_at = ?0 FROM handoffs h JOIN manifests m ON m.id = h.manifest_id
		WHERE h.id = ?1 AND a.kind = 'manifest_open' AND a.subject = m.id::text AND a.cleared_at IS NULL AND m.closed_at IS NOT NULL`, at, handoffID)
	return err
}

// SaveScan keeps a document scan, its body sealed by the caller. The same
// bytes again for the same parcel line change nothing; for another parcel
// they are refused.
func (d *DB) SaveScan(ctx context.Context, s app.Scan, sealed []byte) (err error) {
	defer errs.Wrap(&err, "pg.SaveScan %s line %d", s.ParcelID, s.Line)
	sha, err := hex.DecodeString(s.SHA256)
	if err != nil {
		return errs.E(errs.Invalid, "sha256 %q", s.SHA256)
	}
	var by *int64
	if s.By != 0 {
		by = &s.By
	}
	res, err := d.exec(ctx, `INSERT INTO document_scans (sha256, parcel_id, line, content_type, size, body_sealed, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING`, sha, s.ParcelID, s.Line, s.ContentType, s.Size, sealed, by, s.At)
	if err != nil || res.RowsAffected() == 1 {
		return err
	}
	var owner string
	var line int
	if err := d.queryOne(ctx, pg.Scan(&owner, &line), `SELECT parcel_id::text, line FROM document_scans WHERE sha256 = ?`, sha); err != nil {
		return err
	}
	if owner != s.ParcelID || line != s.Line {
		return errs.E(errs.Conflict, "Tệp này đã được tải lên cho một giấy tờ khác.").WithFields(map[string]string{fmt.Sprintf("scan_%d", s.Line): "Tệp này đã dùng cho giấy tờ khác"})
	}
	return nil
}

// FindScans lists a parcel's document scans without their bodies, oldest
// first.
func (d *DB) FindScans(ctx context.Context, parcelID string) (_ []app.Scan, err error) {
	defer errs.Wrap(&err, "pg.FindScans %s", parcelID)
	var rows []struct {
		SHA256      []byte
		ParcelID    string
		Line        int
		ContentType string
		Size        int
		CreatedBy   *int64
		CreatedAt   time.Time
	}
	if err := d.query(ctx, &rows, `SELECT sha256, parcel_id::text AS parcel_id, line, content_type, size, created_by, created_at
		FROM document_scans WHERE parcel_id = ? ORDER BY created_at, sha256`, parcelID); err != nil {
		return nil, err
	}
	out := make([]app.Scan, len(rows))
	for i, r := range rows {
		out[i] = app.Scan{SHA256: hex.EncodeToString(r.SHA256), ParcelID: r.ParcelID, Line: r.Line, ContentType: r.ContentType, Size: r.Size, At: r.CreatedAt}
		if r.CreatedBy != nil {
			out[i].By = *r.CreatedBy
		}
	}
	return out, nil
}
