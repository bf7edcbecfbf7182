package pg

import (
	"context"
	"time"

	"github.com/go-pg/pg/v10"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

// PendingFor lists the releases waiting for a receiver, with their parcels.
func (d *DB) PendingFor(ctx context.Context, receiver tracking.Party) (_ []app.Pending, err error) {
	defer errs.Wrap(&err, "pg.PendingFor")
	var rows []struct {
		ID, ParcelID, GiverKind, GiverRef string
		ReleasedAt, Deadline              time.Time
		Manifest                          string
	}
	if err := d.query(ctx, &rows, `SELECT h.id, h.parcel_id, h.giver_kind, h.giver_ref, h.released_at, h.deadline, coalesce(m.code, '') AS manifest
		FROM handoffs h LEFT JOIN manifests m ON m.id = h.manifest_id
		WHERE h.status = 'pending' AND h.receiver_kind = ? AND h.receiver_ref = ? ORDER BY h.released_at, h.id LIMIT 1000`,
		string(receiver.Kind), receiver.Ref); err != nil {
		return nil, err
	}
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
			Giver: tracking.Party{Kind: tracking.PartyKind(r.GiverKind), Ref: r.GiverRef}, Receiver: receiver, Manifest: r.Manifest}}
	}
	return out, nil
}

// HeldBy lists the parcels a party holds, oldest first.
func (d *DB) HeldBy(ctx context.Context, holder tracking.Party) (_ []app.Parcel, err error) {
	defer errs.Wrap(&err, "pg.HeldBy")
	return d.loadParcels(ctx, `WHERE p.custodian_kind = ? AND p.custodian_ref = ?
		AND p.status NOT IN ('accepted', 'returned_incomplete', 'cancelled', 'delivered', 'returned_to_desk')
		ORDER BY p.status_since LIMIT 1000`, string(holder.Kind), holder.Ref)
}

// NextManifestSeq takes the next manifest number.
func (d *DB) NextManifestSeq(ctx context.Context) (_ int64, err error) {
	defer errs.Wrap(&err, "pg.NextManifestSeq")
	var n int64
	err = d.queryOne(ctx, pg.Scan(&n), `SELECT nextval('manifest_seq')`)
	return n, err
}

// CreateManifest stores a manifest.
func (d *DB) CreateManifest(ctx context.Context, m app.Manifest) (err error) {
	defer errs.Wrap(&err, "pg.CreateManifest %s", m.Code)
	var by any
	if m.CreatedBy != 0 {
		by = m.CreatedBy
	}
	deadline := m.Deadline
	if deadline.IsZero() {
		deadline = m.CreatedAt.Add(tracking.DefaultPolicy.ConfirmWithin)
	}
	_, err = d.exec(ctx, `INSERT INTO manifests (id, code, giver_kind, giver_ref, receiver_kind, receiver_ref, created_by, created_at, deadline)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.ID, m.Code, string(m.Giver.Kind), m.Giver.Ref, string(m.Receiver.Kind), m.Receiver.Ref, by, m.CreatedAt, deadline)
	return err
}

type manifestRow struct {
	ID, Code, GiverKind, GiverRef, ReceiverKind, ReceiverRef string
	CreatedAt, Deadline                                      time.Time
	CreatedBy, ClosedBy                                      int64
	ClosedAt                                                 *time.Time
	ClosedKind, ClosedRef                                    string
	Parcels, Pending                                         int
}

const manifestCols = `m.id, m.code, m.giver_kind, m.giver_ref, m.receiver_kind, m.receiver_ref, m.created_at, m.deadline,
	coalesce(m.created_by, 0) AS created_by, coalesce(m.closed_by, 0) AS closed_by, m.closed_at,
	coalesce(m.closed_kind, '') AS closed_kind, coalesce(m.closed_ref, '') AS closed_ref,
	(SELECT count(*) FROM handoffs h WHERE h.manifest_id = m.id) AS parcels,
	(SELECT count(*) FROM handoffs h WHERE h.manifest_id = m.id AND h.status = 'pending') AS pending`

func (r manifestRow) manifest() app.Manifest {
	return app.Manifest{ID: r.ID, Code: r.Code, Giver: tracking.Party{Kind: tracking.PartyKind(r.GiverKind), Ref: r.GiverRef},
		Receiver: tracking.Party{Kind: tracking.PartyKind(r.ReceiverKind), Ref: r.ReceiverRef}, CreatedAt: r.CreatedAt,
		CreatedBy: r.CreatedBy, Deadline: r.Deadline, ClosedAt: r.ClosedAt, ClosedBy: r.ClosedBy,
		Closer:  tracking.Party{Kind: tracking.PartyKind(r.ClosedKind), Ref: r.ClosedRef},
		Parcels: r.Parcels, Pending: r.Pending}
}

// FindManifests lists the manifests a party gave or received, newest first.
func (d *DB) FindManifests(ctx context.Context, party tracking.Party, limit int) (_ []app.Manifest, err error) {
	defer errs.Wrap(&err, "pg.FindManifests")
	var rows []manifestRow
	err = d.query(ctx, &rows, `SELECT `+manifestCols+`
		FROM manifests m WHERE (m.giver_kind = ?0 AND m.giver_ref = ?1) OR (m.receiver_kind = ?0 AND m.receiver_ref = ?1)
		ORDER BY m.created_at DESC LIMIT ?2`, string(party.Kind), party.Ref, limit)
	out := make([]app.Manifest, len(rows))
	for i, r := range rows {
		out[i] = r.manifest()
	}
	return out, err
}

// ReturnOf finds the return-leg parcel of a pickup.
func (d *DB) ReturnOf(ctx context.Context, pickupID string) (_ app.Parcel, _ bool, err error) {
	defer errs.Wrap(&err, "pg.ReturnOf %s", pickupID)
	ps, err := d.loadParcels(ctx, `WHERE p.return_of = ? LIMIT 1`, pickupID)
	if err != nil || len(ps) == 0 {
		return app.Parcel{}, false, err
	}
	return ps[0], true, nil
}

// ParcelHashes returns a parcel's phone and CCCD lookup hashes.
func (d *DB) ParcelHashes(ctx context.Context, id string) (phone, cccd []byte, err error) {
	var r struct {
		PhoneHash []byte
		IDHash    []byte
	}
	if err := d.queryOne(ctx, &r, `SELECT phone_hash, id_hash FROM parcels WHERE id = ?`, id); err != nil {
		if errs.Is(err, errs.NotFound) {
			return nil, nil, errs.E(errs.NotFound, "không tìm thấy bưu gửi")
		}
		return nil, nil, err
	}
	return r.PhoneHash, r.IDHash, nil
}
