package pg

import (
	"context"
	"time"

	"github.com/go-pg/pg/v10"

	"hoso/internal/app"
	"hoso/internal/errs"
)

type postalRow struct {
	ID           string
	Name         string
	ProvinceCode *string
	OfficeCode   *string
	SecretEnc    []byte
	Active       bool
	Demo         bool
	CreatedAt    time.Time
}

func derefString(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// CreatePostalClient stores a postal system's credential.
func (d *DB) CreatePostalClient(ctx context.Context, c app.PostalClient) (err error) {
	defer errs.Wrap(&err, "pg.CreatePostalClient %s", c.ID)
	_, err = d.exec(ctx, `INSERT INTO postal_clients (id, name, province_code, office_code, secret_enc, active, demo, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, c.ID, c.Name, nullable(c.ProvinceCode), nullable(c.OfficeCode), c.SecretEnc, c.Active, c.Demo, c.CreatedAt)
	if errs.Is(err, errs.Conflict) {
		return errs.E(errs.Conflict, "hệ thống bưu chính %q đã được đăng ký", c.ID)
	}
	return err
}

// FindPostalClient finds a postal system by id.
func (d *DB) FindPostalClient(ctx context.Context, id string) (_ app.PostalClient, err error) {
	defer errs.Wrap(&err, "pg.FindPostalClient %s", id)
	var r postalRow
	if err := d.queryOne(ctx, &r, `SELECT id, name, province_code, office_code, secret_enc, active, demo, created_at FROM postal_clients WHERE id = ?`, id); err != nil {
		return app.PostalClient{}, err
	}
	return app.PostalClient{ID: r.ID, Name: r.Name, ProvinceCode: derefString(r.ProvinceCode), OfficeCode: derefString(r.OfficeCode), SecretEnc: r.SecretEnc,
		Active: r.Active, Demo: r.Demo, CreatedAt: r.CreatedAt}, nil
}

// RememberPostalNonce records a nonce of a postal system; fresh is false
// when it was seen within the window.
func (d *DB) RememberPostalNonce(ctx context.Context, clientID, nonce string, now time.Time, window time.Duration) (fresh bool, err error) {
	defer errs.Wrap(&err, "pg.RememberPostalNonce %s", clientID)
	res, err := d.exec(ctx, `INSERT INTO postal_nonces (client_id, nonce, seen_at) VALUES (?, ?, ?)
		ON CONFLICT (client_id, nonce) DO UPDATE SET seen_at = EXCLUDED.seen_at WHERE postal_nonces.seen_at < ?`,
		clientID, nonce, now, now.Add(-window))
	if err != nil {
		return false, err
	}
	if _, err := d.exec(ctx, `DELETE FROM postal_nonces WHERE seen_at < ?`, now.Add(-window)); err != nil {
		return false, err
	}
	return res.RowsAffected() == 1, nil
}

// PostalEvents reads the transparency log's leaves after index after (at
// most window of them, and only those the log's head already counts, so
// every one is committed and no later commit can take a smaller index) and
// returns the events with a UPU code in the client's scope, at most limit.
// next is the last index read: the last returned event's when the page is
// full, else the end of what was read.
func (d *DB) PostalEvents(ctx context.Context, c app.PostalClient, after int64, limit int, window int64) (_ []app.ExportRecord, next, size int64, err error) {
	defer errs.Wrap(&err, "pg.PostalEvents %s after %d", c.ID, after)
	if err := d.queryOne(ctx, pg.Scan(&size), `SELECT size FROM log_head`); err != nil {
		return nil, 0, 0, err
	}
	end := min(after+window, size-1)
	next = max(end, after)
	if end <= after {
		return nil, next, size, nil
	}
	var rows []exportRow
	err = d.query(ctx, &rows, exportSelect+`, l.idx`+`
		FROM log_leaves l JOIN events e ON l.kind = 'event' AND e.id = l.ref::uuid
		JOIN parcels p ON p.id = e.parcel_id`+exportJoinsAfterParcels+`
		WHERE l.idx > ? AND l.idx <= ? AND e.upu_code <> ''
		AND (? = '' OR coalesce(po.province_code, pd.province_code) = ?)
		AND (? = '' OR p.office_code = ? OR u.office_code = ? OR (e.actor_kind = 'post_office' AND e.actor_ref = ?))
		ORDER BY l.idx LIMIT ?`, after, end,
		c.ProvinceCode, c.ProvinceCode, c.OfficeCode, c.OfficeCode, c.OfficeCode, c.OfficeCode, limit)
	if err != nil {
		return nil, 0, 0, err
	}
	out := make([]app.ExportRecord, len(rows))
	for i, r := range rows {
		out[i] = r.record()
	}
	if len(rows) == limit {
		next = *rows[len(rows)-1].Idx
	}
	return out, next, size, nil
}
