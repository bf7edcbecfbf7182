package pg

import (
	"context"
	"time"

	"github.com/go-pg/pg/v10"

	"hoso/internal/app"
	"hoso/internal/errs"
)

const userCols = `id, username, password_hash, role, full_name, staff_code, coalesce(province_code, '') AS province_code,
	coalesce(office_code, '') AS office_code, coalesce(desk_code, '') AS desk_code, active, demo, created_at, must_change_password`

type userRow struct {
	ID           int64
	Username     string
	PasswordHash string
	Role         string
	FullName     string
	StaffCode    string
	ProvinceCode string
	OfficeCode   string
	DeskCode     string
	Active       bool
	Demo         bool
	CreatedAt    time.Time
	// MustChangePassword is set after a reset.
	MustChangePassword bool
}

func toUser(r userRow) app.User {
	return app.User{ID: r.ID, Username: r.Username, PasswordHash: r.PasswordHash, Role: app.Role(r.Role), FullName: r.FullName,
		StaffCode: r.StaffCode, ProvinceCode: r.ProvinceCode, OfficeCode: r.OfficeCode, DeskCode: r.DeskCode,
		Active: r.Active, Demo: r.Demo, CreatedAt: r.CreatedAt, MustChangePassword: r.MustChangePassword}
}

// CreateUser stores a new staff account.
func (d *DB) CreateUser(ctx context.Context, u app.User) (_ app.User, err error) {
	defer errs.Wrap(&err, "pg.CreateUser %d", u.ID)
	var r userRow
	err = d.queryOne(ctx, &r, `INSERT INTO users (username, password_hash, role, full_name, staff_code, province_code, office_code, desk_code, active, demo, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING `+userCols,
		u.Username, u.PasswordHash, string(u.Role), u.FullName, u.StaffCode, nullable(u.ProvinceCode), nullable(u.OfficeCode),
		nullable(u.DeskCode), u.Active, u.Demo, u.CreatedAt)
	if errs.Is(err, errs.Conflict) {
		return app.User{}, errs.E(errs.Conflict, "tên đăng nhập %q hoặc mã nhân viên đã tồn tại", u.Username)
	}
	if errs.Is(err, errs.Invalid) {
		return app.User{}, errs.Wrapf(errs.Invalid, err, "tài khoản không hợp lệ: kiểm tra vai trò, bưu cục, bộ phận một cửa và tỉnh")
	}
	return toUser(r), err
}

// FindUserByUsername finds an account by username.
func (d *DB) FindUserByUsername(ctx context.Context, username string) (_ app.User, err error) {
	defer errs.Wrap(&err, "pg.FindUserByUsername")
	var r userRow
	err = d.queryOne(ctx, &r, `SELECT `+userCols+` FROM users WHERE username = ?`, username)
	return toUser(r), err
}

// FindUserByID finds an account by id.
func (d *DB) FindUserByID(ctx context.Context, id int64) (_ app.User, err error) {
	defer errs.Wrap(&err, "pg.FindUserByID %v", id)
	var r userRow
	err = d.queryOne(ctx, &r, `SELECT `+userCols+` FROM users WHERE id = ?`, id)
	return toUser(r), err
}

// FindUserByStaffCode finds an account by staff code.
func (d *DB) FindUserByStaffCode(ctx context.Context, code string) (_ app.User, err error) {
	defer errs.Wrap(&err, "pg.FindUserByStaffCode %s", code)
	var r userRow
	err = d.queryOne(ctx, &r, `SELECT `+userCols+` FROM users WHERE staff_code = ?`, code)
	return toUser(r), err
}

// FindUsers lists accounts of a role ("" for all) and office ("" for all).
func (d *DB) FindUsers(ctx context.Context, role app.Role, office string) (_ []app.User, err error) {
	defer errs.Wrap(&err, "pg.FindUsers %s", office)
	var rows []userRow
	err = d.query(ctx, &rows, `SELECT `+userCols+` FROM users WHERE (? = '' OR role = ?) AND (? = '' OR office_code = ?) ORDER BY username`,
		string(role), string(role), office, office)
	out := make([]app.User, len(rows))
	for i, r := range rows {
		out[i] = toUser(r)
	}
	return out, err
}

// CreateSession stores a session by the hash of its token.
func (d *DB) CreateSession(ctx context.Context, tokenHash []byte, userID int64, now, expires time.Time) (err error) {
	defer errs.Wrap(&err, "pg.CreateSession %d", userID)
	_, err = d.exec(ctx, `INSERT INTO sessions (token_hash, user_id, created_at, expires_at, last_seen_at) VALUES (?, ?, ?, ?, ?)`,
		tokenHash, userID, now, expires, now)
	return err
}

// RecordSignIn writes a sign-in's audit row and, when it succeeded, the
// account's last sign-in time.
func (d *DB) RecordSignIn(ctx context.Context, userID int64, username, via string, ok bool, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.RecordSignIn %d", userID)
	action := app.AuditSignInFailed
	if ok {
		action = app.AuditSignedIn
		if _, err := d.exec(ctx, `UPDATE users SET last_login_at = ? WHERE id = ?`, at, userID); err != nil {
			return err
		}
	}
	return d.InsertAudit(ctx, userID, action, "user:"+username, via, at)
}

// FindSession returns the user of a live session (not expired, used since
// idleSince, its user active) and touches it.
func (d *DB) FindSession(ctx context.Context, tokenHash []byte, now, idleSince time.Time) (_ app.User, err error) {
	defer errs.Wrap(&err, "pg.FindSession")
	var r userRow
	err = d.queryOne(ctx, &r, `UPDATE sessions s SET last_seen_at = ? FROM users u
		WHERE s.token_hash = ? AND s.expires_at > ? AND s.last_seen_at > ? AND u.id = s.user_id AND u.active
		RETURNING u.id, u.username, u.password_hash, u.role, u.full_name, u.staff_code, coalesce(u.province_code, '') AS province_code,
		coalesce(u.office_code, '') AS office_code, coalesce(u.desk_code, '') AS desk_code, u.active, u.demo, u.created_at,
		u.must_change_password`,
		now, tokenHash, now, idleSince)
	if errs.Is(err, errs.NotFound) {
		return app.User{}, errs.E(errs.Unauthorized, "phiên đăng nhập đã hết hạn")
	}
	return toUser(r), err
}

// DeleteSession ends a session.
func (d *DB) DeleteSession(ctx context.Context, tokenHash []byte) (err error) {
	defer errs.Wrap(&err, "pg.DeleteSession")
	_, err = d.exec(ctx, `DELETE FROM sessions WHERE token_hash = ?`, tokenHash)
	return err
}

// CreateAPIToken stores a bearer token by its hash.
func (d *DB) CreateAPIToken(ctx context.Context, tokenHash []byte, userID int64, deviceID string, now, expires time.Time) (err error) {
	defer errs.Wrap(&err, "pg.CreateAPIToken %d %s", userID, deviceID)
	_, err = d.exec(ctx, `INSERT INTO api_tokens (token_hash, user_id, device_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)`,
		tokenHash, userID, deviceID, now, expires)
	return err
}

// FindAPIToken returns the user and device of a live bearer token.
func (d *DB) FindAPIToken(ctx context.Context, tokenHash []byte, now time.Time) (_ app.User, _ string, err error) {
	defer errs.Wrap(&err, "pg.FindAPIToken")
	var r struct {
		userRow
		DeviceID string
	}
	err = d.queryOne(ctx, &r, `SELECT u.id, u.username, u.password_hash, u.role, u.full_name, u.staff_code,
		coalesce(u.province_code, '') AS province_code, coalesce(u.office_code, '') AS office_code, coalesce(u.desk_code, '') AS desk_code,
		u.active, u.demo, u.created_at, u.must_change_password, t.device_id
		FROM api_tokens t JOIN users u ON u.id = t.user_id
		WHERE t.token_hash = ? AND t.expires_at > ? AND t.revoked_at IS NULL AND u.active`, tokenHash, now)
	if errs.Is(err, errs.NotFound) {
		return app.User{}, "", errs.E(errs.Unauthorized, "mã truy cập không hợp lệ hoặc đã hết hạn")
	}
	return toUser(r.userRow), r.DeviceID, err
}

// PruneSessions deletes expired sessions and tokens.
func (d *DB) PruneSessions(ctx context.Context, now time.Time) (err error) {
	defer errs.Wrap(&err, "pg.PruneSessions")
	if _, err := d.exec(ctx, `DELETE FROM sessions WHERE expires_at < ?`, now); err != nil {
		return err
	}
	_, err = d.exec(ctx, `DELETE FROM api_tokens WHERE expires_at < ?`, now.Add(-30*24*time.Hour))
	return err
}

type portalRow struct {
	ID                string
	Name              string
	ProvinceCode      string
	SecretEnc         []byte
	PreviousSecretEnc []byte
	PreviousUntil     *time.Time
	CallbackURL       string
	Active            bool
	Demo              bool
	CreatedAt         time.Time
	CallbackShape     string
}

const portalCols = `id, name, province_code, secret_enc, previous_secret_enc, previous_until, callback_url, active, demo, created_at, callback_shape`

// CreatePortalClient stores a portal client.
func (d *DB) CreatePortalClient(ctx context.Context, c app.PortalClient) (err error) {
	defer errs.Wrap(&err, "pg.CreatePortalClient %s", c.ID)
	shape := c.CallbackShape
	if shape == "" {
		shape = app.ShapeHoso
	}
	_, err = d.exec(ctx, `INSERT INTO portal_clients (id, name, province_code, secret_enc, callback_url, active, demo, created_at, callback_shape)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, c.Name, c.ProvinceCode, c.SecretEnc, c.CallbackURL, c.Active, c.Demo, c.CreatedAt, shape)
	if errs.Is(err, errs.Conflict) {
		return errs.E(errs.Conflict, "cổng %q đã được đăng ký", c.ID)
	}
	return err
}

// FindPortalClient finds a portal client by id.
func (d *DB) FindPortalClient(ctx context.Context, id string) (_ app.PortalClient, err error) {
	defer errs.Wrap(&err, "pg.FindPortalClient %v", id)
	var r portalRow
	err = d.queryOne(ctx, &r, `SELECT `+portalCols+` FROM portal_clients WHERE id = ?`, id)
	return app.PortalClient(r), err
}

// SetPortalCallback changes a client's callback URL ("" for none).
func (d *DB) SetPortalCallback(ctx context.Context, id, url string) (err error) {
	defer errs.Wrap(&err, "pg.SetPortalCallback %v", id)
	res, err := d.exec(ctx, `UPDATE portal_clients SET callback_url = ? WHERE id = ?`, url, id)
	if err == nil && res.RowsAffected() == 0 {
		return errs.E(errs.NotFound, "không có cổng %s", id)
	}
	return err
}

// SetPortalActive suspends or restores a client.
func (d *DB) SetPortalActive(ctx context.Context, id string, active bool) (err error) {
	defer errs.Wrap(&err, "pg.SetPortalActive %v", id)
	res, err := d.exec(ctx, `UPDATE portal_clients SET active = ? WHERE id = ?`, active, id)
	if err == nil && res.RowsAffected() == 0 {
		return errs.E(errs.NotFound, "không có cổng %s", id)
	}
	return err
}

// RotatePortalSecret stores a client's new secret and keeps the old one
// valid until until.
func (d *DB) RotatePortalSecret(ctx context.Context, id string, secretEnc, previousEnc []byte, until time.Time) (err error) {
	defer errs.Wrap(&err, "pg.RotatePortalSecret %v", id)
	res, err := d.exec(ctx, `UPDATE portal_clients SET secret_enc = ?, previous_secret_enc = ?, previous_until = ? WHERE id = ?`,
		secretEnc, previousEnc, until, id)
	if err == nil && res.RowsAffected() == 0 {
		return errs.E(errs.NotFound, "không có cổng %s", id)
	}
	return err
}

// FindPortalClients lists the portal clients.
func (d *DB) FindPortalClients(ctx context.Context) (_ []app.PortalClient, err error) {
	defer errs.Wrap(&err, "pg.FindPortalClients")
	var rows []portalRow
	err = d.query(ctx, &rows, `SELECT `+portalCols+` FROM portal_clients ORDER BY id`)
	out := make([]app.PortalClient, len(rows))
	for i, r := range rows {
		out[i] = app.PortalClient(r)
	}
	return out, err
}

// RememberNonce records a nonce of a client; fresh is false when it was seen
// within the window. Old nonces are pruned now and then by PruneNonces.
func (d *DB) RememberNonce(ctx context.Context, clientID, nonce string, now time.Time, window time.Duration) (fresh bool, err error) {
	defer errs.Wrap(&err, "pg.RememberNonce %s", clientID)
	res, err := d.exec(ctx, `INSERT INTO portal_nonces (client_id, nonce, seen_at) VALUES (?, ?, ?)
		ON CONFLICT (client_id, nonce) DO UPDATE SET seen_at = EXCLUDED.seen_at WHERE portal_nonces.seen_at < ?`,
		clientID, nonce, now, now.Add(-window))
	if err != nil {
		return false, err
	}
	return res.RowsAffected() == 1, nil
}

// PruneNonces forgets nonces older than the window.
func (d *DB) PruneNonces(ctx context.Context, before time.Time) (err error) {
	defer errs.Wrap(&err, "pg.PruneNonces")
	_, err = d.exec(ctx, `DELETE FROM portal_nonces WHERE seen_at < ?`, before)
	return err
}

// TryLockKey takes a transaction-scoped advisory lock on an idempotency key;
// false means another request holds it now.
func (d *DB) TryLockKey(ctx context.Context, scope, key string) (_ bool, err error) {
	defer errs.Wrap(&err, "pg.TryLockKey %s", scope)
	var ok bool
	err = d.queryOne(ctx, pg.Scan(&ok), `SELECT pg_try_advisory_xact_lock(hashtextextended(? || E'\n' || ?, 7238))`, scope, key)
	return ok, err
}

// FindIdem returns the stored response of a key.
func (d *DB) FindIdem(ctx context.Context, scope, key string) (_ app.IdemRecord, _ bool, err error) {
	defer errs.Wrap(&err, "pg.FindIdem %s", scope)
	var r struct {
		RequestHash []byte
		Status      int
		ContentType string
		Body        []byte
		CreatedAt   time.Time
	}
	err = d.queryOne(ctx, &r, `SELECT request_hash, status, content_type, body, created_at FROM idempotency_keys WHERE scope = ? AND key = ?`, scope, key)
	if errs.Is(err, errs.NotFound) {
		return app.IdemRecord{}, false, nil
	}
	if err != nil {
		return app.IdemRecord{}, false, err
	}
	return app.IdemRecord{Scope: scope, Key: key, RequestHash: r.RequestHash, Status: r.Status, ContentType: r.ContentType, Body: r.Body, CreatedAt: r.CreatedAt}, true, nil
}

// SaveIdem stores the first response of a key.
func (d *DB) SaveIdem(ctx context.Context, r app.IdemRecord) (err error) {
	defer errs.Wrap(&err, "pg.SaveIdem %s", r.Scope)
	_, err = d.exec(ctx, `INSERT INTO idempotency_keys (scope, key, request_hash, status, content_type, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		r.Scope, r.Key, r.RequestHash, r.Status, r.ContentType, r.Body, r.CreatedAt)
	return err
}

// PruneIdem deletes keys older than before.
func (d *DB) PruneIdem(ctx context.Context, before time.Time) (err error) {
	defer errs.Wrap(&err, "pg.PruneIdem")
	_, err = d.exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < ?`, before)
	return err
}
