package pg

import (
	"context"
	"time"

	"github.com/go-pg/pg/v10"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

// SaveDeviceKey stores a device's key, revoking its previous one.
func (d *DB) SaveDeviceKey(ctx context.Context, userID int64, deviceID string, k app.DeviceKey, at time.Time) error {
	return d.InTx(ctx, func(ctx context.Context) error {
		if _, err := d.exec(ctx, `UPDATE device_keys SET revoked_at = ? WHERE user_id = ? AND device_id = ? AND revoked_at IS NULL`, at, userID, deviceID); err != nil {
			return err
		}
		_, err := d.exec(ctx, `INSERT INTO device_keys (user_id, device_id, alg, public_key, created_at) VALUES (?, ?, ?, ?, ?)`,
			userID, deviceID, k.Alg, k.PublicKey, at)
		return err
	})
}

// FindDeviceKey returns a device's live key.
func (d *DB) FindDeviceKey(ctx context.Context, userID int64, deviceID string) (app.DeviceKey, bool, error) {
	var rows []struct {
		Alg       string
		PublicKey []byte
	}
	err := d.query(ctx, &rows, `SELECT alg, public_key FROM device_keys WHERE user_id = ? AND device_id = ? AND revoked_at IS NULL`, userID, deviceID)
	if err != nil || len(rows) == 0 {
		return app.DeviceKey{}, false, err
	}
	return app.DeviceKey{Alg: rows[0].Alg, PublicKey: rows[0].PublicKey}, true, nil
}

// ParcelSecret returns what the door checks need.
func (d *DB) ParcelSecret(ctx context.Context, number string) (app.ParcelSecret, error) {
	var r struct {
		ID            string
		Number        string
		Leg           string
		IDHash        []byte
		IDLast3       string `pg:"id_last3"`
		PhoneEnc      []byte
		Courier       string
		CustodianKind string
		CustodianRef  string
		Office        string
	}
	err := d.queryOne(ctx, &r, `SELECT id, tracking_number AS number, leg, id_hash, coalesce(id_last3, '') AS id_last3, phone_enc,
		coalesce(courier_ref, '') AS courier, coalesce(custodian_kind, '') AS custodian_kind, coalesce(custodian_ref, '') AS custodian_ref,
		coalesce(office_code, '') AS office FROM parcels WHERE tracking_number = ?`, number)
	if errs.Is(err, errs.NotFound) {
		return app.ParcelSecret{}, errs.E(errs.NotFound, "không có bưu gửi số %s", number)
	}
	return app.ParcelSecret{ID: r.ID, Number: r.Number, Leg: r.Leg, IDHash: r.IDHash, IDLast3: r.IDLast3, PhoneEnc: r.PhoneEnc,
		Courier: r.Courier, Holder: tracking.Party{Kind: tracking.PartyKind(r.CustodianKind), Ref: r.CustodianRef}, Office: r.Office}, err
}

// SaveDoorCode stores a new code for a parcel, replacing the previous.
func (d *DB) SaveDoorCode(ctx context.Context, parcelID, purpose string, c app.DoorCode, at time.Time) error {
	_, err := d.exec(ctx, `INSERT INTO door_codes (parcel_id, purpose, code_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (parcel_id, purpose) DO UPDATE SET code_hash = EXCLUDED.code_hash, created_at = EXCLUDED.created_at,
			expires_at = EXCLUDED.expires_at, attempts = 0, used_at = NULL`, parcelID, purpose, c.Hash, at, c.ExpiresAt)
	if err == nil {
		_, err = d.exec(ctx, `INSERT INTO otp_codes (id, purpose, subject, code_hash, created_at, expires_at) VALUES (gen_random_uuid(), 'door', ?, ?, ?, ?)`,
			parcelID, c.Hash, at, c.ExpiresAt)
	}
	return err
}

// FindDoorCode returns the live code of a parcel (expired ones count as
// none).
func (d *DB) FindDoorCode(ctx context.Context, parcelID, purpose string) (app.DoorCode, bool, error) {
	var rows []struct {
		CodeHash  []byte
		ExpiresAt time.Time
		Attempts  int
		UsedAt    *time.Time
	}
	err := d.query(ctx, &rows, `SELECT code_hash, expires_at, attempts, used_at FROM door_codes WHERE parcel_id = ? AND purpose = ?`, parcelID, purpose)
	if err != nil || len(rows) == 0 {
		return app.DoorCode{}, false, err
	}
	r := rows[0]
	return app.DoorCode{Hash: r.CodeHash, ExpiresAt: r.ExpiresAt, Attempts: r.Attempts, Used: r.UsedAt != nil}, r.ExpiresAt.After(time.Now().Add(-48 * time.Hour)), nil
}

// FailDoorCode counts a wrong code.
func (d *DB) FailDoorCode(ctx context.Context, parcelID, purpose string) error {
	_, err := d.exec(ctx, `UPDATE door_codes SET attempts = attempts + 1 WHERE parcel_id = ? AND purpose = ?`, parcelID, purpose)
	return err
}

// UseDoorCode marks a code used.
func (d *DB) UseDoorCode(ctx context.Context, parcelID, purpose string, at time.Time) error {
	_, err := d.exec(ctx, `UPDATE door_codes SET used_at = ? WHERE parcel_id = ? AND purpose = ?`, at, parcelID, purpose)
	return err
}

// CountDoorCodes counts codes issued for a parcel since a time.
func (d *DB) CountDoorCodes(ctx context.Context, parcelID string, since time.Time) (int, error) {
	var n int
	err := d.queryOne(ctx, pg.Scan(&n), `SELECT count(*) FROM otp_codes WHERE purpose = 'door' AND subject = ? AND created_at > ?`, parcelID, since)
	return n, err
}

// CourierRoute returns a courier's stops for a day: the pickups planned for
// them and what they hold, in route order.
func (d *DB) CourierRoute(ctx context.Context, staffCode string, day time.Time) ([]app.Parcel, error) {
	return d.loadParcels(ctx, `WHERE ((p.courier_ref = ? AND p.planned_date = ?::date AND p.status IN ('scheduled', 'pickup_failed'))
		OR (p.custodian_kind = 'courier' AND p.custodian_ref = ? AND p.status NOT IN ('accepted', 'returned_incomplete', 'cancelled', 'delivered', 'returned_to_desk'))
		OR (p.id IN (SELECT h.parcel_id FROM handoffs h WHERE h.status = 'pending' AND h.receiver_kind = 'courier' AND h.receiver_ref = ?)))
		ORDER BY p.route_stop NULLS LAST, p.window_start, p.tracking_number LIMIT 300`,
		staffCode, day.Format("2006-01-02"), staffCode, staffCode)
}

// PendingHandoffs returns the pending hand-off of each parcel that has one.
func (d *DB) PendingHandoffs(ctx context.Context, ids []string) (map[string]tracking.Handoff, error) {
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

// SaveEvidence stores an image once by its hash.
func (d *DB) SaveEvidence(ctx context.Context, sha []byte, parcelID, kind, contentType string, body []byte, at time.Time) error {
	_, err := d.exec(ctx, `INSERT INTO evidence (sha256, parcel_id, kind, content_type, body, created_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (sha256) DO NOTHING`, sha, parcelID, kind, contentType, body, at)
	return err
}
