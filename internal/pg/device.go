package pg

import (
	"bytes"
	"context"
	"encoding/hex"
	"time"

	"github.com/go-pg/pg/v10"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

// SaveDeviceKey makes k the device's live key, revoking the previous one
// (never deleting it). The same key again changes nothing.
func (d *DB) SaveDeviceKey(ctx context.Context, userID int64, deviceID string, k app.DeviceKey, at time.Time) (_ app.DeviceKey, _ bool, err error) {
	defer errs.Wrap(&err, "pg.SaveDeviceKey %d %s %d", userID, deviceID, k.ID)
	var out app.DeviceKey
	changed := false
	err = d.InTx(ctx, func(ctx context.Context) error {
		// One registration at a time per device.
		if _, err := d.exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended(? || ':' || ?, 7))`, userID, deviceID); err != nil {
			return err
		}
		cur, ok, err := d.FindDeviceKey(ctx, userID, deviceID)
		if err != nil {
			return err
		}
		if ok && cur.Alg == k.Alg && bytes.Equal(cur.PublicKey, k.PublicKey) {
			out = cur
			return nil
		}
		// Revoked after every event it signed: a batch being recorded with
		// it holds it (FOR SHARE) until its commit, and this waits.
		if _, err := d.exec(ctx, `UPDATE device_keys SET revoked_at = greatest(?::timestamptz, clock_timestamp()) WHERE user_id = ? AND device_id = ? AND revoked_at IS NULL`,
			at, userID, deviceID); err != nil {
			return err
		}
		var id int64
		if err := d.queryOne(ctx, pg.Scan(&id), `INSERT INTO device_keys (user_id, device_id, alg, public_key, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id`,
			userID, deviceID, k.Alg, k.PublicKey, at); err != nil {
			return err
		}
		out = app.DeviceKey{ID: id, Alg: k.Alg, PublicKey: k.PublicKey, CreatedAt: at}
		changed = true
		return nil
	})
	return out, changed, err
}

// FindDeviceKey returns a device's live key.
func (d *DB) FindDeviceKey(ctx context.Context, userID int64, deviceID string) (_ app.DeviceKey, _ bool, err error) {
	defer errs.Wrap(&err, "pg.FindDeviceKey %d %s", userID, deviceID)
	var rows []struct {
		ID        int64
		Alg       string
		PublicKey []byte
		CreatedAt time.Time
	}
	err = d.query(ctx, &rows, `SELECT id, alg, public_key, created_at FROM device_keys WHERE user_id = ? AND device_id = ? AND revoked_at IS NULL`, userID, deviceID)
	if err != nil || len(rows) == 0 {
		return app.DeviceKey{}, false, err
	}
	r := rows[0]
	return app.DeviceKey{ID: r.ID, Alg: r.Alg, PublicKey: r.PublicKey, CreatedAt: r.CreatedAt}, true, nil
}

// KeyChanges lists the device keys registered by an office's couriers
// since a time ("" for every office), newest first.
func (d *DB) KeyChanges(ctx context.Context, office string, since time.Time, limit int) (_ []app.KeyChange, err error) {
	defer errs.Wrap(&err, "pg.KeyChanges %s", office)
	var rows []struct {
		ID        int64
		StaffCode string
		FullName  string
		DeviceID  string
		Alg       string
		PublicKey []byte
		CreatedAt time.Time
		RevokedAt *time.Time
	}
	if err := d.query(ctx, &rows, `SELECT k.id, u.staff_code, u.full_name, k.device_id, k.alg, k.public_key, k.created_at, k.revoked_at
		FROM device_keys k JOIN users u ON u.id = k.user_id
		WHERE (? = '' OR u.office_code = ?) AND k.created_at >= ? ORDER BY k.created_at DESC, k.id DESC LIMIT ?`,
		office, office, since, limit); err != nil {
		return nil, err
	}
	out := make([]app.KeyChange, len(rows))
	for i, r := range rows {
		fp := tracking.KeyFingerprint(r.Alg, r.PublicKey)
		h := fp[len(r.Alg)+1:]
		out[i] = app.KeyChange{ID: r.ID, StaffCode: r.StaffCode, FullName: r.FullName, DeviceID: r.DeviceID, Alg: r.Alg,
			Fingerprint: fp, Short: h[0:4] + " " + h[4:8] + " " + h[8:12] + " " + h[12:16], CreatedAt: r.CreatedAt, RevokedAt: r.RevokedAt}
	}
	return out, nil
}

// ParcelSecrets returns what the door checks need of several parcels, by
// tracking number (unknown numbers are left out).
func (d *DB) ParcelSecrets(ctx context.Context, numbers []string) (_ map[string]app.ParcelSecret, err error) {
	defer errs.Wrap(&err, "pg.ParcelSecrets")
	out := map[string]app.ParcelSecret{}
	if len(numbers) == 0 {
		return out, nil
	}
	var rows []parcelSecretRow
	if err := d.query(ctx, &rows, parcelSecretQuery+` WHERE p.tracking_number IN (?)`, pg.In(numbers)); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.Number] = r.secret()
	}
	return out, nil
}

// StoredEvidence returns the parcel and kind of the stored images among
// shas, by hex SHA-256.
func (d *DB) StoredEvidence(ctx context.Context, shas [][]byte) (_ map[string]app.StoredImage, err error) {
	defer errs.Wrap(&err, "pg.StoredEvidence")
	out := map[string]app.StoredImage{}
	if len(shas) == 0 {
		return out, nil
	}
	var rows []struct {
		Sha      string
		ParcelID string
		Kind     string
	}
	hexes := make([]string, len(shas))
	for i, b := range shas {
		hexes[i] = hex.EncodeToString(b)
	}
	if err := d.query(ctx, &rows, `SELECT encode(sha256, 'hex') AS sha, parcel_id::text AS parcel_id, kind FROM evidence
		WHERE sha256 IN (SELECT decode(h, 'hex') FROM unnest(?::text[]) AS h)`, pg.Array(hexes)); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.Sha] = app.StoredImage{ParcelID: r.ParcelID, Kind: r.Kind}
	}
	return out, nil
}

type parcelSecretRow struct {
	ID            string
	Number        string
	Leg           tracking.Leg
	IDHash        []byte
	IDLast3       string `pg:"id_last3"`
	PhoneEnc      []byte
	Courier       string
	CustodianKind string
	CustodianRef  string
	Office        string
	CreatedAt     time.Time
	ReceiverKind  string
	ReceiverRef   string
}

const parcelSecretQuery = `SELECT p.id, p.tracking_number AS number, p.leg, p.id_hash, coalesce(p.id_last3, '') AS id_last3, p.phone_enc,
		coalesce(p.courier_ref, '') AS courier, coalesce(p.custodian_kind, '') AS custodian_kind, coalesce(p.custodian_ref, '') AS custodian_ref,
		coalesce(p.office_code, '') AS office, p.created_at, coalesce(h.receiver_kind, '') AS receiver_kind, coalesce(h.receiver_ref, '') AS receiver_ref
		FROM parcels p LEFT JOIN handoffs h ON h.parcel_id = p.id AND h.status = 'pending'`

func (r parcelSecretRow) secret() app.ParcelSecret {
	ps := app.ParcelSecret{ID: r.ID, Number: r.Number, Leg: r.Leg, IDHash: r.IDHash, IDLast3: r.IDLast3, PhoneEnc: r.PhoneEnc,
		Courier: r.Courier, Holder: tracking.Party{Kind: tracking.PartyKind(r.CustodianKind), Ref: r.CustodianRef}, Office: r.Office, CreatedAt: r.CreatedAt}
	if r.ReceiverKind != "" {
		ps.Receiver = &tracking.Party{Kind: tracking.PartyKind(r.ReceiverKind), Ref: r.ReceiverRef}
	}
	return ps
}

// ParcelSecret returns what the door checks need.
func (d *DB) ParcelSecret(ctx context.Context, number string) (_ app.ParcelSecret, err error) {
	defer errs.Wrap(&err, "pg.ParcelSecret %s", number)
	var r parcelSecretRow
	err = d.queryOne(ctx, &r, parcelSecretQuery+` WHERE p.tracking_number = ?`, number)
	if errs.Is(err, errs.NotFound) {
		return app.ParcelSecret{}, errs.E(errs.NotFound, "không có bưu gửi số %s", number)
	}
	if err != nil {
		return app.ParcelSecret{}, err
	}
	return r.secret(), nil
}

// SaveDoorCode stores a new code for a parcel, replacing the previous.
func (d *DB) SaveDoorCode(ctx context.Context, parcelID, purpose string, c app.DoorCode, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.SaveDoorCode %s %s", parcelID, purpose)
	_, err = d.exec(ctx, `INSERT INTO door_codes (parcel_id, purpose, code_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (parcel_id, purpose) DO UPDATE SET code_hash = EXCLUDED.code_hash, created_at = EXCLUDED.created_at,
			expires_at = EXCLUDED.expires_at, attempts = 0, used_at = NULL, used_by = NULL`, parcelID, purpose, c.Hash, at, c.ExpiresAt)
	if err == nil {
		_, err = d.exec(ctx, `INSERT INTO otp_codes (id, purpose, subject, code_hash, created_at, expires_at) VALUES (gen_random_uuid(), 'door', ?, ?, ?, ?)`,
			parcelID, c.Hash, at, c.ExpiresAt)
	}
	return err
}

// FindDoorCode returns the latest code of a parcel for a purpose.
func (d *DB) FindDoorCode(ctx context.Context, parcelID, purpose string) (_ app.DoorCode, _ bool, err error) {
	defer errs.Wrap(&err, "pg.FindDoorCode %s %s", parcelID, purpose)
	var rows []struct {
		CodeHash  []byte
		CreatedAt time.Time
		ExpiresAt time.Time
		Attempts  int
		UsedBy    string
	}
	err = d.query(ctx, &rows, `SELECT code_hash, created_at, expires_at, attempts, coalesce(used_by::text, '') AS used_by
		FROM door_codes WHERE parcel_id = ? AND purpose = ?`, parcelID, purpose)
	if err != nil || len(rows) == 0 {
		return app.DoorCode{}, false, err
	}
	r := rows[0]
	return app.DoorCode{Hash: r.CodeHash, CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, Attempts: r.Attempts, UsedBy: r.UsedBy}, true, nil
}

// FailDoorCode counts a wrong code.
func (d *DB) FailDoorCode(ctx context.Context, parcelID, purpose string) (err error) {
	defer errs.Wrap(&err, "pg.FailDoorCode %s %s", parcelID, purpose)
	_, err = d.exec(ctx, `UPDATE door_codes SET attempts = attempts + 1 WHERE parcel_id = ? AND purpose = ?`, parcelID, purpose)
	return err
}

// ProofFailures counts the wrong CCCD proofs sent for a parcel.
func (d *DB) ProofFailures(ctx context.Context, parcelID, method string) (_ int, err error) {
	defer errs.Wrap(&err, "pg.ProofFailures %s", parcelID)
	var n []int
	err = d.query(ctx, &n, `SELECT failures FROM proof_failures WHERE parcel_id = ? AND method = ?`, parcelID, method)
	if err != nil || len(n) == 0 {
		return 0, err
	}
	return n[0], nil
}

// FailProof counts a wrong CCCD proof.
func (d *DB) FailProof(ctx context.Context, parcelID, method string, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.FailProof %s", parcelID)
	_, err = d.exec(ctx, `INSERT INTO proof_failures (parcel_id, method, failures, last_at) VALUES (?, ?, 1, ?)
		ON CONFLICT (parcel_id, method) DO UPDATE SET failures = proof_failures.failures + 1, last_at = EXCLUDED.last_at`, parcelID, method, at)
	return err
}

// CountDoorCodes counts codes issued for a parcel since a time.
func (d *DB) CountDoorCodes(ctx context.Context, parcelID string, since time.Time) (_ int, err error) {
	defer errs.Wrap(&err, "pg.CountDoorCodes %s", parcelID)
	var n int
	err = d.queryOne(ctx, pg.Scan(&n), `SELECT count(*) FROM otp_codes WHERE purpose = 'door' AND subject = ? AND created_at > ?`, parcelID, since)
	return n, err
}

// CourierRoute returns a courier's stops for a day: the pickups planned for
// them and what they hold, in route order.
func (d *DB) CourierRoute(ctx context.Context, staffCode string, day time.Time) (_ []app.Parcel, err error) {
	defer errs.Wrap(&err, "pg.CourierRoute %s", staffCode)
	return d.loadParcels(ctx, `WHERE ((p.courier_ref = ? AND p.planned_date = ?::date AND p.status IN ('scheduled', 'pickup_failed'))
		OR (p.custodian_kind = 'courier' AND p.custodian_ref = ? AND p.status NOT IN ('accepted', 'returned_incomplete', 'cancelled', 'delivered', 'returned_to_desk'))
		OR (p.id IN (SELECT h.parcel_id FROM handoffs h WHERE h.status = 'pending' AND h.receiver_kind = 'courier' AND h.receiver_ref = ?)))
		ORDER BY p.route_stop NULLS LAST, p.window_start, p.tracking_number LIMIT 300`,
		staffCode, day.Format("2006-01-02"), staffCode, staffCode)
}

// PendingHandoffs returns the pending hand-off of each parcel that has one.
func (d *DB) PendingHandoffs(ctx context.Context, ids []string) (_ map[string]tracking.Handoff, err error) {
	defer errs.Wrap(&err, "pg.PendingHandoffs")
	out := map[string]tracking.Handoff{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		ID, ParcelID, GiverKind, GiverRef, ReceiverKind, ReceiverRef string
		ReleasedAt, Deadline                                         time.Time
	}
	if err := d.query(ctx, &rows, `SELECT id, parcel_id, giver_kind, giver_ref, receiver_kind, receiver_ref, released_at, deadline
		FROM handoffs WHERE parcel_id IN (?) AND status = 'pending'`, pg.In(ids)); err != nil {
		return nil, err
	}
	for _, r := range rows {
		out[r.ParcelID] = tracking.Handoff{ID: r.ID, Giver: tracking.Party{Kind: tracking.PartyKind(r.GiverKind), Ref: r.GiverRef},
			Receiver: tracking.Party{Kind: tracking.PartyKind(r.ReceiverKind), Ref: r.ReceiverRef}, ReleasedAt: r.ReleasedAt, Deadline: r.Deadline}
	}
	return out, nil
}

// SaveEvidence stores an image once by its hash. The same image sent again
// for the same parcel changes nothing; for another parcel it is refused
// (a drawn signature is never twice the same bytes).
func (d *DB) SaveEvidence(ctx context.Context, sha []byte, parcelID, kind, contentType string, body []byte, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.SaveEvidence %s", parcelID)
	res, err := d.exec(ctx, `INSERT INTO evidence (sha256, parcel_id, kind, content_type, body, created_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (sha256) DO NOTHING`, sha, parcelID, kind, contentType, body, at)
	if err != nil || res.RowsAffected() == 1 {
		return err
	}
	var owner string
	if err := d.queryOne(ctx, pg.Scan(&owner), `SELECT parcel_id::text FROM evidence WHERE sha256 = ?`, sha); err != nil {
		return err
	}
	if owner != parcelID {
		return errs.E(errs.Conflict, "ảnh này đã được gửi cho một bưu gửi khác")
	}
	return nil
}
