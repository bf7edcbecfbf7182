package pg

import (
	"context"
	"time"

	"github.com/go-pg/pg/v10"
	"github.com/google/uuid"

	"hoso/internal/app"
	"hoso/internal/errs"
)

// CreateFlow stores a citizen flow and its code hash.
func (d *DB) CreateFlow(ctx context.Context, tokenHash []byte, f app.Flow) (err error) {
	defer errs.Wrap(&err, "pg.CreateFlow")
	return d.InTx(ctx, func(ctx context.Context) error {
		purpose := f.Purpose
		if purpose == "" {
			purpose = app.FlowRequest
		}
		var parcel any
		if f.ParcelID != "" {
			parcel = f.ParcelID
		}
		if _, err := d.exec(ctx, `INSERT INTO citizen_flows (token_hash, dossier_code, phone_enc, phone_hash, created_at, expires_at, purpose, parcel_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, tokenHash, f.DossierCode, f.PhoneEnc, f.PhoneHash, f.CreatedAt, f.ExpiresAt, purpose, parcel); err != nil {
			return err
		}
		_, err := d.exec(ctx, `INSERT INTO otp_codes (id, purpose, subject, code_hash, created_at, expires_at) VALUES (?, 'citizen_flow', encode(?::bytea, 'hex'), ?, ?, ?)`,
			uuid.NewString(), tokenHash, f.CodeHash, f.CreatedAt, f.ExpiresAt)
		return err
	})
}

// FindFlow returns a live flow.
func (d *DB) FindFlow(ctx context.Context, tokenHash []byte, now time.Time) (_ app.Flow, err error) {
	defer errs.Wrap(&err, "pg.FindFlow")
	var r struct {
		DossierCode string
		PhoneEnc    []byte
		PhoneHash   []byte
		CreatedAt   time.Time
		ExpiresAt   time.Time
		VerifiedAt  *time.Time
		Attempts    int
		ParcelID    string
		CodeHash    []byte
		Resends     int
		Purpose     string
	}
	err = d.queryOne(ctx, &r, `SELECT f.dossier_code, f.phone_enc, f.phone_hash, f.created_at, f.expires_at, f.verified_at, f.attempts,
		coalesce(f.parcel_id::text, '') AS parcel_id, o.code_hash, f.resends, f.purpose
		FROM citizen_flows f JOIN otp_codes o ON o.purpose = 'citizen_flow' AND o.subject = encode(f.token_hash, 'hex')
		WHERE f.token_hash = ? AND f.expires_at > ?`, tokenHash, now)
	return app.Flow(r), err
}

// CountFlows counts flows started for a phone since a time.
func (d *DB) CountFlows(ctx context.Context, phoneHash []byte, since time.Time) (_ int, err error) {
	defer errs.Wrap(&err, "pg.CountFlows")
	var n int
	err = d.queryOne(ctx, pg.Scan(&n), `SELECT count(*) FROM citizen_flows WHERE phone_hash = ? AND created_at > ?`, phoneHash, since)
	return n, err
}

// TakeFlowAttempt counts one code attempt when fewer than max were made,
// in one statement (parallel attempts cannot both see the last one free).
func (d *DB) TakeFlowAttempt(ctx context.Context, tokenHash []byte, max int) (_ int, _ bool, err error) {
	defer errs.Wrap(&err, "pg.TakeFlowAttempt")
	var ns []int
	err = d.query(ctx, &ns, `UPDATE citizen_flows SET attempts = attempts + 1 WHERE token_hash = ? AND attempts < ? RETURNING attempts`,
		tokenHash, max)
	if err != nil || len(ns) == 0 {
		return 0, false, err
	}
	return ns[0], true, nil
}

// VerifyFlow marks a flow proven.
func (d *DB) VerifyFlow(ctx context.Context, tokenHash []byte, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.VerifyFlow")
	_, err = d.exec(ctx, `UPDATE citizen_flows SET verified_at = ? WHERE token_hash = ? AND verified_at IS NULL`, at, tokenHash)
	if err == nil {
		_, err = d.exec(ctx, `UPDATE otp_codes SET used_at = ? WHERE purpose = 'citizen_flow' AND subject = encode(?::bytea, 'hex')`, at, tokenHash)
	}
	return err
}

// ResendFlow replaces an unverified flow's code in one transaction, within
// the limit of resends (parallel requests cannot both take the last one).
func (d *DB) ResendFlow(ctx context.Context, tokenHash, codeHash []byte, at, until time.Time, max int) (_ int, _ bool, err error) {
	defer errs.Wrap(&err, "pg.ResendFlow")
	var n int
	ok := false
	err = d.InTx(ctx, func(ctx context.Context) error {
		var ns []int
		if err := d.query(ctx, &ns, `UPDATE citizen_flows SET resends = resends + 1, attempts = 0, expires_at = greatest(expires_at, ?)
			WHERE token_hash = ? AND verified_at IS NULL AND resends < ? RETURNING resends`, until, tokenHash, max); err != nil || len(ns) == 0 {
			return err
		}
		n, ok = ns[0], true
		_, err := d.exec(ctx, `UPDATE otp_codes SET code_hash = ?, created_at = ?, expires_at = ? WHERE purpose = 'citizen_flow' AND subject = encode(?::bytea, 'hex')`,
			codeHash, at, until, tokenHash)
		return err
	})
	return n, ok, err
}

// ExtendFlow moves a live flow's end later, never earlier.
func (d *DB) ExtendFlow(ctx context.Context, tokenHash []byte, until time.Time) (err error) {
	defer errs.Wrap(&err, "pg.ExtendFlow")
	_, err = d.exec(ctx, `UPDATE citizen_flows SET expires_at = greatest(expires_at, ?) WHERE token_hash = ?`, until, tokenHash)
	return err
}

// FinishFlow links a flow to the pickup it created.
func (d *DB) FinishFlow(ctx context.Context, tokenHash []byte, parcelID string) (err error) {
	defer errs.Wrap(&err, "pg.FinishFlow %s", parcelID)
	_, err = d.exec(ctx, `UPDATE citizen_flows SET parcel_id = ? WHERE token_hash = ? AND purpose = 'request'`, parcelID, tokenHash)
	return err
}

// InsertSMS stores a message of the demo provider.
func (d *DB) InsertSMS(ctx context.Context, id string, phoneEnc []byte, last3, body, provider, status string, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.InsertSMS %v %s", id, provider)
	_, err = d.exec(ctx, `INSERT INTO sms_messages (id, phone_enc, phone_last3, body, provider, status, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, phoneEnc, last3, body, provider, status, at)
	return err
}

// FindSMS lists the latest messages.
func (d *DB) FindSMS(ctx context.Context, limit int) (_ []app.SMSMessage, err error) {
	defer errs.Wrap(&err, "pg.FindSMS")
	var rows []struct {
		ID         string
		PhoneLast3 string
		Body       string
		Provider   string
		Status     string
		CreatedAt  time.Time
	}
	err = d.query(ctx, &rows, `SELECT id, phone_last3, body, provider, status, created_at FROM sms_messages ORDER BY created_at DESC LIMIT ?`, limit)
	out := make([]app.SMSMessage, len(rows))
	for i, r := range rows {
		out[i] = app.SMSMessage(r)
	}
	return out, err
}
