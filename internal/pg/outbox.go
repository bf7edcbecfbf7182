package pg

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/go-pg/pg/v10"
	"github.com/google/uuid"

	"hoso/internal/app"
	"hoso/internal/errs"
)

// The outbox relay's store: claims with FOR UPDATE SKIP LOCKED in a short
// statement of its own, settlements in another. Only the head of each
// (topic, order key) is claimable; see Claim.

type claimedRow struct {
	ID             int64
	Topic          string
	OrderKey       string
	Target         string
	EventID        string
	ParcelID       string
	Payload        string
	CreatedAt      time.Time
	Attempts       int
	FirstAttemptAt time.Time
	Later          bool
}

// RelayPool opens a second, small pool for the relay's own bookkeeping
// (claims, settlements, queue counts) with synchronous_commit off: a claim
// or a mark lost in a crash of PostgreSQL only makes a row go out again,
// which at-least-once delivery allows (the receiver deduplicates), and the
// relay then does not wait for a WAL flush twice per row. The outbox rows
// themselves are written by the ledger's transactions, with synchronous
// commit on. WAL is still written in order, so a lost mark never outlives
// a later one: a row is never marked sent while an earlier one of its
// dossier comes back.
func (d *DB) RelayPool(size int) *DB {
	opt := *d.db.Options()
	if size <= 0 {
		size = 4
	}
	opt.PoolSize = size
	opt.ApplicationName = "hoso-relay"
	if !d.txPooling {
		// Behind a transaction-mode pooler a session setting would leak
		// to other clients of the server connection: there the relay's
		// writes wait for their WAL flush like every other.
		opt.OnConnect = func(ctx context.Context, cn *pg.Conn) error {
			_, err := cn.ExecContext(ctx, `SET synchronous_commit = off`)
			return err
		}
	}
	return &DB{db: pg.Connect(&opt), direct: d.direct, txPooling: d.txPooling}
}

// Claim takes up to spec.Limit due rows of a topic, each the earliest
// unsettled row of its order key, and leases them: attempts + 1, next_at
// pushed to the lease's end, the claim token recorded. The statement commits
// on its own, so nothing is held while the relay sends; a relay that dies
// mid-send leaves the row due again when the lease ends.
//
// A row is held back while an earlier row of the same topic and order key is
// neither sent nor discarded, and, with spec.BlockOnDead, also while that
// earlier row is dead: it must be the first such row of its key (one index
// probe each, in the order of outbox_claim_idx, so a claim stops at the
// first heads it meets instead of checking every due row).
func (d *DB) Claim(ctx context.Context, spec app.ClaimSpec) (_ []app.OutboxRow, err error) {
	defer errs.Wrap(&err, "pg.Claim")
	if spec.Limit <= 0 {
		return nil, nil
	}
	var rows []claimedRow
	err = d.query(ctx, &rows, `WITH c AS (
			SELECT o.id FROM outbox o
			WHERE o.topic = ? AND o.sent_at IS NULL AND o.dead_at IS NULL AND o.discarded_at IS NULL AND o.next_at <= ?
			  AND o.id = (SELECT e.id FROM outbox e
			      WHERE e.topic = o.topic AND e.order_key = o.order_key
			        AND e.sent_at IS NULL AND e.discarded_at IS NULL AND (? OR e.dead_at IS NULL)
			      ORDER BY e.id LIMIT 1)
			ORDER BY o.next_at, o.id
			LIMIT ?
			FOR UPDATE OF o SKIP LOCKED)
		UPDATE outbox o SET attempts = o.attempts + 1, next_at = ?, claim_token = ?,
			first_attempt_at = coalesce(o.first_attempt_at, ?)
		FROM c WHERE o.id = c.id
		RETURNING o.id, o.topic, o.order_key, o.target, coalesce(o.event_id::text, '') AS event_id,
			coalesce(o.parcel_id::text, '') AS parcel_id, o.payload::text AS payload, o.created_at, o.attempts,
			o.first_attempt_at,
			EXISTS (SELECT 1 FROM outbox l WHERE l.topic = o.topic AND l.order_key = o.order_key AND l.id > o.id
				AND l.sent_at IS NULL AND l.discarded_at IS NULL) AS later`,
		spec.Topic, spec.Now, spec.BlockOnDead, spec.Limit, spec.LeaseUntil, spec.Token, spec.Now)
	if err != nil {
		return nil, fmt.Errorf("claim %s: %w", spec.Topic, err)
	}
	out := make([]app.OutboxRow, len(rows))
	for i, r := range rows {
		out[i] = app.OutboxRow{ID: r.ID, Topic: r.Topic, OrderKey: r.OrderKey, Target: r.Target, EventID: r.EventID,
			ParcelID: r.ParcelID, Payload: []byte(r.Payload), CreatedAt: r.CreatedAt, Attempts: r.Attempts,
			FirstAttemptAt: r.FirstAttemptAt, Token: spec.Token, Later: r.Later}
	}
	// RETURNING does not keep the CTE's order.
	sortRows(out)
	return out, nil
}

func sortRows(rs []app.OutboxRow) {
	for i := 1; i < len(rs); i++ {
		for j := i; j > 0 && rs[j].ID < rs[j-1].ID; j-- {
			rs[j], rs[j-1] = rs[j-1], rs[j]
		}
	}
}

// Settle records what became of claimed rows. One settlement is one
// statement (the row and the rows of its order key behind it, together);
// several go in one transaction. A settlement whose claim token no longer
// matches (the lease ran out and another relay took the row) changes
// nothing, except that a delivery is always recorded: the row did reach its
// receiver.
func (d *DB) Settle(ctx context.Context, ss []app.Settlement) (err error) {
	defer errs.Wrap(&err, "pg.Settle")
	switch len(ss) {
	case 0:
		return nil
	case 1:
		if err := d.settle(ctx, ss[0]); err != nil {
			return fmt.Errorf("settle outbox %d: %w", ss[0].ID, err)
		}
		return nil
	}
	return d.InTx(ctx, func(ctx context.Context) error {
		for _, s := range ss {
			if err := d.settle(ctx, s); err != nil {
				return fmt.Errorf("settle outbox %d: %w", s.ID, err)
			}
		}
		return nil
	})
}

// followers selects the rows behind the settled one that were never
// attempted (only they wait on it), by the settlement's own topic, order key
// and id so the index (topic, order_key, id) answers; EXISTS (s) applies it
// only when the settled row was updated.
const followers = `WHERE f.topic = ? AND f.order_key = ? AND f.id > ?
	AND f.sent_at IS NULL AND f.discarded_at IS NULL AND f.dead_at IS NULL AND f.attempts = 0 AND EXISTS (SELECT 1 FROM s)`

func (d *DB) settle(ctx context.Context, s app.Settlement) error {
	var err error
	key := []any{s.Topic, s.OrderKey, s.ID}
	args := func(a ...any) []any { return append(a, key...) }
	switch s.Outcome {
	case app.SettleSent:
		// Delivered: the followers pushed while it waited are due now.
		_, err = d.exec(ctx, `WITH s AS (UPDATE outbox SET sent_at = ?, last_error = '', result = ?, claim_token = NULL
				WHERE id = ? AND sent_at IS NULL AND discarded_at IS NULL RETURNING id)
			UPDATE outbox f SET next_at = ? `+followers+` AND f.next_at > ?`, append(args(s.At, s.Note, s.ID, s.At), s.At)...)
	case app.SettleDiscard:
		_, err = d.exec(ctx, `WITH s AS (UPDATE outbox SET discarded_at = ?, last_error = ?, result = ?, claim_token = NULL
				WHERE id = ? AND claim_token = ? AND sent_at IS NULL AND discarded_at IS NULL RETURNING id)
			UPDATE outbox f SET next_at = ? `+followers+` AND f.next_at > ?`, append(args(s.At, s.Error, s.Note, s.ID, s.Token, s.At), s.At)...)
	case app.SettleRetry:
		// The followers move with it, so the claim does not scan rows that
		// cannot go yet.
		_, err = d.exec(ctx, `WITH s AS (UPDATE outbox SET next_at = ?, last_error = ?, result = ?, claim_token = NULL
				WHERE id = ? AND claim_token = ? AND sent_at IS NULL AND discarded_at IS NULL RETURNING id)
			UPDATE outbox f SET next_at = greatest(f.next_at, ?) `+followers, args(s.Next, s.Error, s.Note, s.ID, s.Token, s.Next)...)
	case app.SettleDefer:
		// Not an attempt: the claim's count is taken back, and a row never
		// attempted starts its retry window afresh.
		_, err = d.exec(ctx, `WITH s AS (UPDATE outbox SET next_at = ?, result = ?, claim_token = NULL,
					attempts = greatest(attempts - 1, 0),
					first_attempt_at = CASE WHEN attempts <= 1 THEN NULL ELSE first_attempt_at END
				WHERE id = ? AND claim_token = ? AND sent_at IS NULL AND discarded_at IS NULL RETURNING id)
			UPDATE outbox f SET next_at = greatest(f.next_at, ?) `+followers, args(s.Next, s.Note, s.ID, s.Token, s.Next)...)
	case app.SettleDead:
		// A dead portal row holds its followers until staff act: they leave
		// the claim's scan meanwhile. A dead notification releases them.
		q := `WITH s AS (UPDATE outbox SET dead_at = ?, last_error = ?, result = ?, claim_token = NULL
				WHERE id = ? AND claim_token = ? AND sent_at IS NULL AND discarded_at IS NULL RETURNING id)
			UPDATE outbox f SET next_at = `
		if s.BlockOnDead {
			_, err = d.exec(ctx, q+`'infinity' `+followers, args(s.At, s.Error, s.Note, s.ID, s.Token)...)
		} else {
			_, err = d.exec(ctx, q+`? `+followers+` AND f.next_at > ?`, append(args(s.At, s.Error, s.Note, s.ID, s.Token, s.At), s.At)...)
		}
	default:
		return errs.E(errs.Internal, "unknown settlement %q", s.Outcome)
	}
	return err
}

// releaseFollowers makes the never-attempted rows behind a row due now
// (they were pushed, or held, while it waited).
func (d *DB) releaseFollowers(ctx context.Context, s app.Settlement, now time.Time) error {
	_, err := d.exec(ctx, `UPDATE outbox SET next_at = ?
		WHERE topic = ? AND order_key = ? AND id > ? AND sent_at IS NULL AND discarded_at IS NULL
		  AND dead_at IS NULL AND attempts = 0 AND next_at > ?`, now, s.Topic, s.OrderKey, s.ID, now)
	return err
}

// OutboxStats counts each topic's queue: pending rows, dead rows, and the
// creation time of the oldest pending row.
func (d *DB) OutboxStats(ctx context.Context) (_ []app.OutboxStat, err error) {
	defer errs.Wrap(&err, "pg.OutboxStats")
	var rows []struct {
		Topic   string
		Pending int
		Dead    int
		Oldest  *time.Time
	}
	if err := d.query(ctx, &rows, `SELECT topic, count(*) FILTER (WHERE dead_at IS NULL) AS pending,
			count(*) FILTER (WHERE dead_at IS NOT NULL) AS dead, min(created_at) FILTER (WHERE dead_at IS NULL) AS oldest
		FROM outbox WHERE sent_at IS NULL AND discarded_at IS NULL GROUP BY topic ORDER BY topic`); err != nil {
		return nil, err
	}
	out := make([]app.OutboxStat, len(rows))
	for i, r := range rows {
		out[i] = app.OutboxStat{Topic: r.Topic, Pending: r.Pending, Dead: r.Dead, Oldest: r.Oldest}
	}
	return out, nil
}

// ListenOutbox delivers a signal whenever rows are added to the outbox (at
// their commit), until ctx ends. Signals coalesce: one pending signal stands
// for any number of commits.
func (d *DB) ListenOutbox(ctx context.Context) <-chan struct{} {
	wake := make(chan struct{}, 1)
	ln := d.direct.Listen(ctx, "hoso_outbox")
	ch := ln.Channel()
	go func() {
		defer ln.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case _, ok := <-ch:
				if !ok {
					return
				}
				select {
				case wake <- struct{}{}:
				default:
				}
			}
		}
	}()
	return wake
}

// PortalCallbackClients maps every portal client to whether it is active
// with a callback URL.
func (d *DB) PortalCallbackClients(ctx context.Context) (_ map[string]bool, err error) {
	defer errs.Wrap(&err, "pg.PortalCallbackClients")
	var rows []struct {
		ID  string
		Has bool
	}
	if err := d.query(ctx, &rows, `SELECT id, (active AND callback_url <> '') AS has FROM portal_clients`); err != nil {
		return nil, err
	}
	m := make(map[string]bool, len(rows))
	for _, r := range rows {
		m[r.ID] = r.Has
	}
	return m, nil
}

// NotifyTarget loads what a notification needs of a parcel; office, when
// set, names the post office mentioned in the message.
func (d *DB) NotifyTarget(ctx context.Context, parcelID, office string) (_ app.NotifyTarget, err error) {
	defer errs.Wrap(&err, "pg.NotifyTarget %s %s", parcelID, office)
	if _, err := uuid.Parse(parcelID); err != nil {
		return app.NotifyTarget{}, errs.E(errs.NotFound, "không tìm thấy bưu gửi")
	}
	var r struct {
		ParcelID    string
		Number      string
		Leg         string
		DossierCode string
		PhoneEnc    []byte
		PhoneHash   []byte
		PhoneLast3  string
		DeskName    string
		OfficeName  string
		ReceiptCode string
		Demo        bool
		VisitorText bool
	}
	err = d.queryOne(ctx, &r, `SELECT p.id AS parcel_id, p.tracking_number AS number, p.leg, d.code AS dossier_code,
			p.phone_enc, p.phone_hash, p.phone_last3, coalesce(k.name, '') AS desk_name,
			coalesce((SELECT o.name FROM post_offices o WHERE o.code = ?), '') AS office_name,
			coalesce(p.receipt_code, '') AS receipt_code, p.demo,
			EXISTS (SELECT 1 FROM parcels x WHERE x.dossier_id = p.dossier_id AND x.channel = 'citizen') AS visitor_text
		FROM parcels p JOIN dossiers d ON d.id = p.dossier_id LEFT JOIN desks k ON k.code = p.desk_code
		WHERE p.id = ?`, office, parcelID)
	if err != nil {
		return app.NotifyTarget{}, err
	}
	return app.NotifyTarget{ParcelID: r.ParcelID, Number: r.Number, Leg: r.Leg, DossierCode: r.DossierCode, PhoneEnc: r.PhoneEnc,
		PhoneHash: r.PhoneHash, PhoneLast3: r.PhoneLast3, DeskName: r.DeskName, OfficeName: r.OfficeName,
		ReceiptCode: r.ReceiptCode, Demo: r.Demo, VisitorText: r.VisitorText}, nil
}

// OptedOut reports whether the holder of a phone asked for no messages.
func (d *DB) OptedOut(ctx context.Context, phoneHash []byte) (_ bool, err error) {
	defer errs.Wrap(&err, "pg.OptedOut")
	var n int
	if err := d.queryOne(ctx, pg.Scan(&n), `SELECT count(*) FROM notify_optouts WHERE phone_hash = ?`, phoneHash); err != nil {
		return false, err
	}
	return n > 0, nil
}

// SetOptOut records (out) or lifts (!out) a phone's opt-out.
func (d *DB) SetOptOut(ctx context.Context, phoneHash []byte, out bool, via string, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.SetOptOut")
	if !out {
		_, err := d.exec(ctx, `DELETE FROM notify_optouts WHERE phone_hash = ?`, phoneHash)
		return err
	}
	_, err = d.exec(ctx, `INSERT INTO notify_optouts (phone_hash, via, at) VALUES (?, ?, ?) ON CONFLICT (phone_hash) DO NOTHING`,
		phoneHash, via, at)
	return err
}

// ReserveQuota counts one message to a phone on a day unless limit are
// already counted; it reports whether the message may go.
func (d *DB) ReserveQuota(ctx context.Context, phoneHash []byte, day string, limit int) (_ bool, err error) {
	defer errs.Wrap(&err, "pg.ReserveQuota")
	var n []int
	if err := d.query(ctx, &n, `INSERT INTO notify_counters AS c (phone_hash, day, sent) VALUES (?, ?, 1)
		ON CONFLICT (phone_hash, day) DO UPDATE SET sent = c.sent + 1 WHERE c.sent < ?
		RETURNING c.sent`, phoneHash, day, limit); err != nil {
		return false, err
	}
	return len(n) == 1, nil
}

// ReleaseQuota gives back a reservation whose message did not go.
func (d *DB) ReleaseQuota(ctx context.Context, phoneHash []byte, day string) (err error) {
	defer errs.Wrap(&err, "pg.ReleaseQuota")
	_, err = d.exec(ctx, `UPDATE notify_counters SET sent = sent - 1 WHERE phone_hash = ? AND day = ? AND sent > 0`, phoneHash, day)
	return err
}

// PruneQuota drops counters of days before day.
func (d *DB) PruneQuota(ctx context.Context, day string) (err error) {
	defer errs.Wrap(&err, "pg.PruneQuota")
	_, err = d.exec(ctx, `DELETE FROM notify_counters WHERE day < ?`, day)
	return err
}

// EnsureOptOutLink records the opt-out link of a parcel's messages (once)
// and reports whether a message has already announced it.
func (d *DB) EnsureOptOutLink(ctx context.Context, tokenHash []byte, parcelID string, phoneHash []byte, at time.Time) (announced bool, err error) {
	defer errs.Wrap(&err, "pg.EnsureOptOutLink %s", parcelID)
	if _, err := d.exec(ctx, `INSERT INTO notify_links (token_hash, parcel_id, phone_hash, created_at) VALUES (?, ?, ?, ?)
		ON CONFLICT DO NOTHING`, tokenHash, parcelID, phoneHash, at); err != nil {
		return false, err
	}
	var n int
	if err := d.queryOne(ctx, pg.Scan(&n), `SELECT count(*) FROM notify_links WHERE parcel_id = ? AND announced_at IS NOT NULL`, parcelID); err != nil {
		return false, err
	}
	return n > 0, nil
}

// MarkOptOutLinkAnnounced records that a delivered message carried the link.
func (d *DB) MarkOptOutLinkAnnounced(ctx context.Context, tokenHash []byte, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.MarkOptOutLinkAnnounced")
	_, err = d.exec(ctx, `UPDATE notify_links SET announced_at = ? WHERE token_hash = ? AND announced_at IS NULL`, at, tokenHash)
	return err
}

// FindOptOutLink returns the state of an opt-out link.
func (d *DB) FindOptOutLink(ctx context.Context, tokenHash []byte) (_ app.OptOutLink, err error) {
	defer errs.Wrap(&err, "pg.FindOptOutLink")
	var r struct {
		ParcelID   string
		PhoneLast3 string
		OptedOut   bool
	}
	err = d.queryOne(ctx, &r, `SELECT l.parcel_id::text AS parcel_id, p.phone_last3,
			EXISTS (SELECT 1 FROM notify_optouts o WHERE o.phone_hash = l.phone_hash) AS opted_out
		FROM notify_links l JOIN parcels p ON p.id = l.parcel_id WHERE l.token_hash = ?`, tokenHash)
	if err != nil {
		return app.OptOutLink{}, err
	}
	return app.OptOutLink{ParcelID: r.ParcelID, PhoneLast3: r.PhoneLast3, OptedOut: r.OptedOut}, nil
}

// SetOptOutByLink opts the phone of a link out (or back in), with an audit
// record naming the parcel, never the phone.
func (d *DB) SetOptOutByLink(ctx context.Context, tokenHash []byte, out bool, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.SetOptOutByLink")
	return d.InTx(ctx, func(ctx context.Context) error {
		var r struct {
			ParcelID  string
			PhoneHash []byte
		}
		if err := d.queryOne(ctx, &r, `SELECT parcel_id::text AS parcel_id, phone_hash FROM notify_links WHERE token_hash = ?`, tokenHash); err != nil {
			return err
		}
		if err := d.SetOptOut(ctx, r.PhoneHash, out, "link", at); err != nil {
			return err
		}
		action := "notify.opt_out"
		if !out {
			action = "notify.opt_in"
		}
		return d.InsertAudit(ctx, 0, action, "parcel:"+r.ParcelID, "liên kết trong tin nhắn", at)
	})
}

// LoadNotifyToken returns a provider's sealed tokens.
func (d *DB) LoadNotifyToken(ctx context.Context, provider string) (access, refresh []byte, expires time.Time, found bool, err error) {
	var r struct {
		AccessEnc  []byte
		RefreshEnc []byte
		ExpiresAt  time.Time
	}
	err = d.queryOne(ctx, &r, `SELECT access_enc, refresh_enc, expires_at FROM notify_tokens WHERE provider = ?`, provider)
	if errs.Is(err, errs.NotFound) {
		return nil, nil, time.Time{}, false, nil
	}
	if err != nil {
		return nil, nil, time.Time{}, false, err
	}
	return r.AccessEnc, r.RefreshEnc, r.ExpiresAt, true, nil
}

// UpdateNotifyToken runs fn under the provider row's lock (created empty if
// missing) and stores what it returns, so two servers never refresh a
// rotating token at once. fn sees the current values (found false at first).
func (d *DB) UpdateNotifyToken(ctx context.Context, provider string, at time.Time,
	fn func(access, refresh []byte, expires time.Time, found bool) ([]byte, []byte, time.Time, error)) (err error) {
	defer errs.Wrap(&err, "pg.UpdateNotifyToken %s", provider)
	return d.InTx(ctx, func(ctx context.Context) error {
		if _, err := d.exec(ctx, `INSERT INTO notify_tokens (provider, access_enc, refresh_enc, expires_at, updated_at)
			VALUES (?, ''::bytea, ''::bytea, '-infinity', ?) ON CONFLICT DO NOTHING`, provider, at); err != nil {
			return err
		}
		var r struct {
			AccessEnc  []byte
			RefreshEnc []byte
			ExpiresAt  *time.Time
		}
		if err := d.queryOne(ctx, &r, `SELECT access_enc, refresh_enc, nullif(expires_at, '-infinity') AS expires_at
			FROM notify_tokens WHERE provider = ? FOR UPDATE`, provider); err != nil {
			return err
		}
		var exp time.Time
		if r.ExpiresAt != nil {
			exp = *r.ExpiresAt
		}
		found := len(r.RefreshEnc) > 0
		a, rf, e, err := fn(r.AccessEnc, r.RefreshEnc, exp, found)
		if err != nil {
			return err
		}
		_, err = d.exec(ctx, `UPDATE notify_tokens SET access_enc = ?, refresh_enc = ?, expires_at = ?, updated_at = ? WHERE provider = ?`,
			a, rf, e, at, provider)
		return err
	})
}

type outboxEntryRow struct {
	ID            int64
	Topic         string
	Target        string
	Status        string
	Number        string
	DossierCode   string
	PhoneLast3    string
	CreatedAt     time.Time
	NextAt        *time.Time
	SentAt        *time.Time
	DeadAt        *time.Time
	Attempts      int
	ManualRetries int
	LastError     string
	Result        string
	Held          int
}

// FindOutbox lists rows for the staff pages, newest first for sent and dead
// rows, oldest first for pending ones.
func (d *DB) FindOutbox(ctx context.Context, f app.OutboxFilter) (_ []app.OutboxEntry, err error) {
	defer errs.Wrap(&err, "pg.FindOutbox")
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 200
	}
	var where, order string
	switch f.State {
	case app.OutboxSent:
		where, order = `o.sent_at IS NOT NULL`, `o.sent_at DESC, o.id DESC`
	case app.OutboxDead:
		where, order = `o.dead_at IS NOT NULL AND o.sent_at IS NULL AND o.discarded_at IS NULL`, `o.dead_at DESC, o.id DESC`
	case app.OutboxAll:
		where, order = `true`, `o.id DESC`
	default:
		where, order = `o.sent_at IS NULL AND o.dead_at IS NULL AND o.discarded_at IS NULL`, `o.id`
	}
	var rows []outboxEntryRow
	err = d.query(ctx, &rows, `SELECT o.id, o.topic, o.target,
			CASE WHEN o.topic = 'portal' THEN coalesce(o.payload->>'status', '') ELSE '' END AS status,
			coalesce(p.tracking_number, '') AS number, coalesce(ds.code, '') AS dossier_code,
			CASE WHEN o.topic = 'notify' THEN coalesce(p.phone_last3, '') ELSE '' END AS phone_last3,
			o.created_at, nullif(o.next_at, 'infinity') AS next_at, o.sent_at, o.dead_at, o.attempts, o.manual_retries,
			o.last_error, o.result,
			CASE WHEN o.sent_at IS NULL THEN (SELECT count(*) FROM outbox l WHERE l.topic = o.topic AND l.order_key = o.order_key
				AND l.id > o.id AND l.sent_at IS NULL AND l.discarded_at IS NULL) ELSE 0 END AS held
		FROM outbox o LEFT JOIN parcels p ON p.id = o.parcel_id LEFT JOIN dossiers ds ON ds.id = p.dossier_id
		WHERE `+where+` AND (? = '' OR o.topic = ?) AND (? = '' OR p.province_code = ?) AND (? = '' OR o.target = ?)
			AND (? = '' OR o.parcel_id::text = ?)
		ORDER BY `+order+` LIMIT ?`, f.Topic, f.Topic, f.Province, f.Province, f.Target, f.Target, f.Parcel, f.Parcel, f.Limit)
	if err != nil {
		return nil, err
	}
	out := make([]app.OutboxEntry, len(rows))
	for i, r := range rows {
		e := app.OutboxEntry{ID: r.ID, Topic: r.Topic, Target: r.Target, Status: r.Status, Number: r.Number, DossierCode: r.DossierCode,
			PhoneLast3: r.PhoneLast3, CreatedAt: r.CreatedAt, SentAt: r.SentAt, DeadAt: r.DeadAt, Attempts: r.Attempts,
			ManualRetries: r.ManualRetries, LastError: r.LastError, Result: r.Result, Held: r.Held}
		if r.NextAt != nil {
			e.NextAt = *r.NextAt
		}
		out[i] = e
	}
	return out, nil
}

// outboxInScope locks a dead row that is in the province ("" for any) and
// returns its topic and order key.
func (d *DB) outboxInScope(ctx context.Context, id int64, province string) (topic, key string, err error) {
	var r struct {
		Topic    string
		OrderKey string
	}
	err = d.queryOne(ctx, &r, `SELECT o.topic, o.order_key FROM outbox o LEFT JOIN parcels p ON p.id = o.parcel_id
		WHERE o.id = ? AND o.dead_at IS NOT NULL AND o.sent_at IS NULL AND o.discarded_at IS NULL
		  AND (? = '' OR p.province_code = ?)
		FOR UPDATE OF o`, id, province, province)
	if errs.Is(err, errs.NotFound) {
		return "", "", errs.E(errs.NotFound, "không có mục gửi lỗi số %d (có thể đã được xử lý)", id)
	}
	return r.Topic, r.OrderKey, err
}

// RetryOutbox puts a dead row back in the queue with a fresh retry window,
// releases the rows it held, and writes the audit record, in one
// transaction.
func (d *DB) RetryOutbox(ctx context.Context, id, userID int64, province string, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.RetryOutbox %v %d %s", id, userID, province)
	return d.InTx(ctx, func(ctx context.Context) error {
		topic, key, err := d.outboxInScope(ctx, id, province)
		if err != nil {
			return err
		}
		if _, err := d.exec(ctx, `UPDATE outbox SET dead_at = NULL, next_at = ?, attempts = 0, first_attempt_at = NULL,
			manual_retries = manual_retries + 1, claim_token = NULL WHERE id = ?`, at, id); err != nil {
			return err
		}
		if err := d.releaseFollowers(ctx, app.Settlement{ID: id, Topic: topic, OrderKey: key}, at); err != nil {
			return err
		}
		return d.InsertAudit(ctx, userID, "outbox.retry", "outbox:"+strconv.FormatInt(id, 10), "", at)
	})
}

// DiscardOutbox drops a dead row for good (the reason is audited) and
// releases the rows it held.
func (d *DB) DiscardOutbox(ctx context.Context, id, userID int64, province, reason string, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.DiscardOutbox %v %d %s", id, userID, province)
	return d.InTx(ctx, func(ctx context.Context) error {
		topic, key, err := d.outboxInScope(ctx, id, province)
		if err != nil {
			return err
		}
		var by any
		if userID != 0 {
			by = userID
		}
		if _, err := d.exec(ctx, `UPDATE outbox SET discarded_at = ?, discarded_by = ?, result = ?, claim_token = NULL WHERE id = ?`,
			at, by, "bỏ: "+reason, id); err != nil {
			return err
		}
		if err := d.releaseFollowers(ctx, app.Settlement{ID: id, Topic: topic, OrderKey: key}, at); err != nil {
			return err
		}
		return d.InsertAudit(ctx, userID, "outbox.discard", "outbox:"+strconv.FormatInt(id, 10), reason, at)
	})
}

const inboundTokenKey = "notify.inbound_token_sha256"

// SetNotifyInboundToken records the SHA-256 of the SMS gateway's webhook
// token (nil removes it: the webhook answers 404).
func (d *DB) SetNotifyInboundToken(ctx context.Context, sum []byte, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.SetNotifyInboundToken")
	if len(sum) == 0 {
		_, err := d.exec(ctx, `DELETE FROM meta WHERE key = ?`, inboundTokenKey)
		return err
	}
	_, err = d.exec(ctx, `INSERT INTO meta (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at`, inboundTokenKey, hex.EncodeToString(sum), at)
	return err
}

// NotifyInboundTokenHash returns the webhook token's SHA-256 (NotFound when
// none is set).
func (d *DB) NotifyInboundTokenHash(ctx context.Context) (_ []byte, err error) {
	defer errs.Wrap(&err, "pg.NotifyInboundTokenHash")
	var v string
	if err := d.queryOne(ctx, pg.Scan(&v), `SELECT value FROM meta WHERE key = ?`, inboundTokenKey); err != nil {
		return nil, err
	}
	return hex.DecodeString(v)
}
