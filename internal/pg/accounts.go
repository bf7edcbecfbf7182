package pg

import (
	"context"
	"time"

	"hoso/internal/app"
	"hoso/internal/errs"
)

// UpdateLoginThrottle runs fn on a username's failure record under a row
// lock (so parallel attempts on one name are counted one after another) and
// stores the result; a record with no failures is deleted.
func (d *DB) UpdateLoginThrottle(ctx context.Context, username string, fn func(app.LoginThrottle) (app.LoginThrottle, error)) (err error) {
	defer errs.Wrap(&err, "pg.UpdateLoginThrottle")
	return d.InTx(ctx, func(ctx context.Context) error {
		// The row must exist to be locked; a new name starts at zero.
		if _, err := d.exec(ctx, `INSERT INTO login_throttle (username, failures, last_failed_at) VALUES (?, 0, 'epoch')
			ON CONFLICT (username) DO NOTHING`, username); err != nil {
			return err
		}
		var r struct {
			Failures     int
			LastFailedAt time.Time
			LockedAt     *time.Time
		}
		if err := d.queryOne(ctx, &r, `SELECT failures, last_failed_at, locked_at FROM login_throttle WHERE username = ? FOR UPDATE`, username); err != nil {
			return err
		}
		next, err := fn(app.LoginThrottle{Username: username, Failures: r.Failures, LastFailedAt: r.LastFailedAt, LockedAt: r.LockedAt})
		if err != nil {
			return err
		}
		if next.Failures <= 0 {
			_, err = d.exec(ctx, `DELETE FROM login_throttle WHERE username = ?`, username)
			return err
		}
		_, err = d.exec(ctx, `UPDATE login_throttle SET failures = ?, last_failed_at = ?, locked_at = ? WHERE username = ?`,
			next.Failures, next.LastFailedAt, next.LockedAt, username)
		return err
	})
}

// ClearLoginThrottle forgets a username's failures and lifts its lock.
func (d *DB) ClearLoginThrottle(ctx context.Context, username string) (err error) {
	defer errs.Wrap(&err, "pg.ClearLoginThrottle")
	_, err = d.exec(ctx, `DELETE FROM login_throttle WHERE username = ?`, username)
	return err
}

// PruneLoginThrottle forgets unlocked failure records older than before,
// and locked ones of names no account has.
func (d *DB) PruneLoginThrottle(ctx context.Context, before time.Time) (err error) {
	defer errs.Wrap(&err, "pg.PruneLoginThrottle")
	_, err = d.exec(ctx, `DELETE FROM login_throttle t WHERE t.last_failed_at < ?
		AND (t.locked_at IS NULL OR NOT EXISTS (SELECT 1 FROM users u WHERE u.username = t.username))`, before)
	return err
}

type accountRow struct {
	userRow
	LockedAt      *time.Time
	Failures      int
	LiveTokens    int
	LiveDevices   int
	LastSeenAt    *time.Time
	LastLoginAt   *time.Time
	DeactivatedAt *time.Time
}

// FindAccounts lists staff accounts with their sign-in state: lock,
// failures, live app tokens and device keys, last activity.
func (d *DB) FindAccounts(ctx context.Context, f app.AccountFilter, now time.Time) (_ []app.Account, err error) {
	defer errs.Wrap(&err, "pg.FindAccounts")
	var rows []accountRow
	err = d.query(ctx, &rows, `SELECT u.id, u.username, u.password_hash, u.role, u.full_name, u.staff_code,
		coalesce(u.province_code, '') AS province_code, coalesce(u.office_code, '') AS office_code, coalesce(u.desk_code, '') AS desk_code,
		u.active, u.demo, u.created_at, u.must_change_password, u.deactivated_at, u.last_login_at,
		t.locked_at, coalesce(t.failures, 0) AS failures,
		(SELECT count(*) FROM api_tokens a WHERE a.user_id = u.id AND a.revoked_at IS NULL AND a.expires_at > ?) AS live_tokens,
		(SELECT count(*) FROM device_keys k WHERE k.user_id = u.id AND k.revoked_at IS NULL) AS live_devices,
		(SELECT max(s.last_seen_at) FROM sessions s WHERE s.user_id = u.id) AS last_seen_at
		FROM users u LEFT JOIN login_throttle t ON t.username = u.username
		WHERE (? = '' OR u.province_code = ?) AND (? = '' OR u.office_code = ?) AND (? = '' OR u.role = ?)
		ORDER BY u.role, u.username`, now,
		f.ProvinceCode, f.ProvinceCode, f.OfficeCode, f.OfficeCode, string(f.Role), string(f.Role))
	out := make([]app.Account, len(rows))
	for i, r := range rows {
		out[i] = app.Account{User: toUser(r.userRow), LockedAt: r.LockedAt, Failures: r.Failures, LiveTokens: r.LiveTokens,
			LiveDevices: r.LiveDevices, LastSeenAt: r.LastSeenAt, LastLoginAt: r.LastLoginAt, DeactivatedAt: r.DeactivatedAt}
	}
	return out, err
}

// SetPassword stores a new password hash; mustChange marks a temporary one.
func (d *DB) SetPassword(ctx context.Context, userID int64, hash string, mustChange bool, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.SetPassword %d", userID)
	res, err := d.exec(ctx, `UPDATE users SET password_hash = ?, must_change_password = ?, password_changed_at = ? WHERE id = ?`,
		hash, mustChange, at, userID)
	if err == nil && res.RowsAffected() == 0 {
		return errs.E(errs.NotFound, "không có tài khoản %d", userID)
	}
	return err
}

// EndSessions ends every browser session of a user except the one whose
// token hash is keep (nil: all of them) and returns how many ended.
func (d *DB) EndSessions(ctx context.Context, userID int64, keep []byte) (_ int, err error) {
	defer errs.Wrap(&err, "pg.EndSessions %d", userID)
	if keep == nil {
		keep = []byte{}
	}
	res, err := d.exec(ctx, `DELETE FROM sessions WHERE user_id = ? AND token_hash <> ?`, userID, keep)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected(), nil
}

// RevokeAPITokens revokes every live app token of a user.
func (d *DB) RevokeAPITokens(ctx context.Context, userID int64, at time.Time) (_ int, err error) {
	defer errs.Wrap(&err, "pg.RevokeAPITokens %d", userID)
	res, err := d.exec(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?`, at, userID, at)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected(), nil
}

// RevokeDeviceKeys revokes every live device key of a user. Keys are never
// deleted: events they signed stay verifiable.
func (d *DB) RevokeDeviceKeys(ctx context.Context, userID int64, at time.Time) (_ int, err error) {
	defer errs.Wrap(&err, "pg.RevokeDeviceKeys %d", userID)
	res, err := d.exec(ctx, `UPDATE device_keys SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, at, userID)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected(), nil
}

// SetActive switches an account on or off.
func (d *DB) SetActive(ctx context.Context, userID int64, active bool, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.SetActive %d", userID)
	var deactivated any = at
	if active {
		deactivated = nil
	}
	res, err := d.exec(ctx, `UPDATE users SET active = ?, deactivated_at = ? WHERE id = ?`, active, deactivated, userID)
	if err == nil && res.RowsAffected() == 0 {
		return errs.E(errs.NotFound, "không có tài khoản %d", userID)
	}
	return err
}

// SetUserScope moves an account to other units (its role stays).
func (d *DB) SetUserScope(ctx context.Context, userID int64, province, office, desk string) (err error) {
	defer errs.Wrap(&err, "pg.SetUserScope %d %s %s", userID, province, office)
	res, err := d.exec(ctx, `UPDATE users SET province_code = ?, office_code = ?, desk_code = ? WHERE id = ?`,
		nullable(province), nullable(office), nullable(desk), userID)
	if err == nil && res.RowsAffected() == 0 {
		return errs.E(errs.NotFound, "không có tài khoản %d", userID)
	}
	return err
}

// AddToCounter adds one to a day's counter and returns the new value,
// unless the counter already reached limit (then it returns the value
// unchanged and ok false). Every instance shares the count.
func (d *DB) AddToCounter(ctx context.Context, scope string, key []byte, day time.Time, limit int) (n int, ok bool, err error) {
	defer errs.Wrap(&err, "pg.AddToCounter %s", scope)
	var got []int
	err = d.query(ctx, &got, `INSERT INTO rate_counters (scope, key, day, n) VALUES (?, ?, ?::date, 1)
		ON CONFLICT (scope, key, day) DO UPDATE SET n = rate_counters.n + 1 WHERE rate_counters.n < ?
		RETURNING n`, scope, key, day.Format("2006-01-02"), limit)
	if err != nil {
		return 0, false, err
	}
	if len(got) == 1 {
		return got[0], true, nil
	}
	n, err = d.CounterValue(ctx, scope, key, day)
	return n, false, err
}

// CounterValue reads a day's counter (0 when unset).
func (d *DB) CounterValue(ctx context.Context, scope string, key []byte, day time.Time) (_ int, err error) {
	defer errs.Wrap(&err, "pg.CounterValue %s", scope)
	var ns []int
	err = d.query(ctx, &ns, `SELECT n FROM rate_counters WHERE scope = ? AND key = ? AND day = ?::date`, scope, key, day.Format("2006-01-02"))
	if err != nil || len(ns) == 0 {
		return 0, err
	}
	return ns[0], nil
}

// PruneCounters forgets counters of days before the given one.
func (d *DB) PruneCounters(ctx context.Context, before time.Time) (err error) {
	defer errs.Wrap(&err, "pg.PruneCounters")
	_, err = d.exec(ctx, `DELETE FROM rate_counters WHERE day < ?::date`, before.Format("2006-01-02"))
	if err == nil {
		_, err = d.exec(ctx, `DELETE FROM spent_challenges WHERE expires_at < ?`, before)
	}
	return err
}

// SpendChallenge records a proof-of-work challenge as used; false when it
// was used before.
func (d *DB) SpendChallenge(ctx context.Context, id []byte, expires time.Time) (_ bool, err error) {
	defer errs.Wrap(&err, "pg.SpendChallenge")
	res, err := d.exec(ctx, `INSERT INTO spent_challenges (id, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING`, id, expires)
	if err != nil {
		return false, err
	}
	return res.RowsAffected() == 1, nil
}

type auditRow struct {
	ID      int64
	At      time.Time
	Actor   string
	Role    string
	Action  string
	Subject string
	Reason  string
}

// FindAudit reads the audit log, newest first. A subject filter matches the
// subject exactly, or as the part after "kind:" (user:NAME, desk:CODE), or
// a parcel's tracking number (subjects name parcels by number).
func (d *DB) FindAudit(ctx context.Context, f app.AuditFilter) (_ []app.AuditEntry, err error) {
	defer errs.Wrap(&err, "pg.FindAudit")
	var rows []auditRow
	var from, to any
	if !f.From.IsZero() {
		from = f.From
	}
	if !f.To.IsZero() {
		to = f.To
	}
	err = d.query(ctx, &rows, `SELECT a.id, a.at, coalesce(u.username, '') AS actor, coalesce(u.role, '') AS role,
		a.action, a.subject, a.reason
		FROM audit_log a LEFT JOIN users u ON u.id = a.user_id
		WHERE (?0 = '' OR u.username = ?0)
		  AND (?1 = '' OR a.subject = ?1 OR split_part(a.subject, ':', 2) = ?1)
		  AND (?2 = '' OR a.action = ?2 OR (right(?2, 1) = '.' AND starts_with(a.action, ?2)))
		  AND (?3::timestamptz IS NULL OR a.at >= ?3) AND (?4::timestamptz IS NULL OR a.at < ?4)
		  AND (?5 = '' OR u.province_code = ?5)
		  AND (?6 = 0 OR a.id < ?6)
		ORDER BY a.id DESC LIMIT ?7`, f.Actor, f.Subject, f.Action, from, to, f.Province, f.BeforeID, f.Limit)
	out := make([]app.AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = app.AuditEntry{ID: r.ID, At: r.At, Actor: r.Actor, Role: app.Role(r.Role), Action: r.Action, Subject: r.Subject, Reason: r.Reason}
	}
	return out, err
}
