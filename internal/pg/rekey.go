package pg

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	gopg "github.com/go-pg/pg/v10"

	"hoso/internal/errs"
)

// SealedColumn is a column whose values the application seals with the data
// key (secret.Box), with its table's primary key. The names are constants of
// this file, never input.
type SealedColumn struct {
	Table   string // for example "parcels"
	Column  string // for example "phone_enc"
	Key     string // the table's primary key column
	keyType string // its SQL type: keys travel as text and are cast back
}

// Name is "table.column".
func (c SealedColumn) Name() string { return c.Table + "." + c.Column }

// SealedColumns returns every column sealed with the data key, as the
// migrations define them and the application seals them:
//
//   - parcels.phone_enc: the citizen's phone (context app.SealPhone);
//   - citizen_flows.phone_enc: the phone of a citizen's own request, keyed by
//     the hash of the flow token (context "citizen_flows.phone");
//   - sms_messages.phone_enc: the phone of a message kept by the demo SMS
//     provider (context "sms_messages.phone");
//   - portal_clients.secret_enc and previous_secret_enc: a portal's HMAC
//     secret and the one before its last rotation (context
//     app.SealPortalSecret + ":" + the portal's id);
//   - postal_clients.secret_enc: a postal system's HMAC secret (context
//     app.SealPostalSecret + ":" + its id);
//   - notify_tokens.access_enc and notify_tokens.refresh_enc: a notification
//     provider's token pair, today Zalo's (context "notify_tokens.zalo").
//
// A test checks this list against every bytea column named *_enc in the
// schema.
func SealedColumns() []SealedColumn {
	return []SealedColumn{
		{Table: "parcels", Column: "phone_enc", Key: "id", keyType: "uuid"},
		{Table: "citizen_flows", Column: "phone_enc", Key: "token_hash", keyType: "bytea"},
		{Table: "sms_messages", Column: "phone_enc", Key: "id", keyType: "uuid"},
		{Table: "portal_clients", Column: "secret_enc", Key: "id", keyType: "text"},
		{Table: "portal_clients", Column: "previous_secret_enc", Key: "id", keyType: "text"},
		{Table: "postal_clients", Column: "secret_enc", Key: "id", keyType: "text"},
		{Table: "notify_tokens", Column: "access_enc", Key: "provider", keyType: "text"},
		{Table: "notify_tokens", Column: "refresh_enc", Key: "provider", keyType: "text"},
	}
}

// Resealer brings one sealed value under the current key. key is the row's
// primary key as text (a bytea key as \x…hex). It returns nil when the value
// is already under the current key, the new sealed value when it was not, and
// an error when it cannot be opened.
type Resealer func(key string, sealed []byte) ([]byte, error)

// RekeyOptions tune RekeyColumn.
type RekeyOptions struct {
	Batch  int  // rows per transaction (default 500)
	DryRun bool // count only: no row is locked or written
	// LockTimeout bounds the wait for a row a running server holds; the
	// batch then rolls back and is tried again (default 500ms, below
	// PostgreSQL's deadlock_timeout, so the server never loses).
	LockTimeout time.Duration
}

// RekeyCount is what RekeyColumn did to one column.
type RekeyCount struct {
	Resealed int // sealed again with the current key (DryRun: would be)
	Current  int // already under the current key
	Failed   int // opened with no key: left as they are
	// FailedKeys are the primary keys (as text) of the failed rows, never
	// their content.
	FailedKeys []string
}

// rekeyAttempts is how often a batch that met a lock timeout is tried.
const rekeyAttempts = 20

// RekeyColumn walks col's non-empty values (an empty one is erased personal
// data, not a sealed value) in primary-key order, batch rows per transaction,
// locking each batch's rows (SELECT … FOR UPDATE) so a running server's
// writes are neither lost nor overwritten, and writes back what fn returns.
// Rows a server inserts meanwhile are sealed by that server. A failed value
// is counted and left unchanged; fn's error never stops the walk, a database
// error does.
func (d *DB) RekeyColumn(ctx context.Context, col SealedColumn, o RekeyOptions, fn Resealer) (_ RekeyCount, err error) {
	defer errs.Wrap(&err, "pg.RekeyColumn %s", col.Table+"."+col.Column)
	upd := fmt.Sprintf("UPDATE %s SET %s = ? WHERE %s = ?::%s", col.Table, col.Column, col.Key, col.keyType)
	return d.walkSealed(ctx, col, "", o,
		func(key string, value, _ []byte) ([]byte, error) { return fn(key, value) },
		func(ctx context.Context, key string, _, out []byte) error {
			_, err := d.exec(ctx, upd, out, key)
			return err
		})
}

// walkSealed is the batch walk of RekeyColumn and RehashPhones: fn sees each
// row's key, sealed value and the column also names (nil when none) and
// returns nil (current), a new value or an error (failed); write stores a
// new value inside the batch's transaction.
func (d *DB) walkSealed(ctx context.Context, col SealedColumn, also string, o RekeyOptions,
	fn func(key string, value, also []byte) ([]byte, error),
	write func(ctx context.Context, key string, also, out []byte) error) (RekeyCount, error) {
	if col.keyType == "" {
		return RekeyCount{}, fmt.Errorf("rekey %s: not a column of SealedColumns", col.Name())
	}
	if o.Batch <= 0 {
		o.Batch = 500
	}
	if o.LockTimeout <= 0 {
		o.LockTimeout = 500 * time.Millisecond
	}
	alsoSQL := "NULL::bytea"
	if also != "" {
		alsoSQL = also
	}
	var total RekeyCount
	last, first := "", true
	for {
		var (
			batch RekeyCount
			n     int
			next  string
		)
		err := d.rekeyBatchRetry(ctx, func(ctx context.Context) error {
			batch, n, next = RekeyCount{}, 0, ""
			if !o.DryRun {
				if _, err := d.exec(ctx, fmt.Sprintf("SET LOCAL lock_timeout = %d", o.LockTimeout.Milliseconds())); err != nil {
					return err
				}
			}
			var rows []struct {
				Key   string
				Value []byte
				Also  []byte
			}
			// An empty value is no sealed value: personal data erased at
			// the end of its retention period (phone_enc = '').
			where := fmt.Sprintf("WHERE octet_length(%s) > 0", col.Column)
			params := []any{}
			if !first {
				where += fmt.Sprintf(" AND %s > ?::%s", col.Key, col.keyType)
				params = append(params, last)
			}
			lock := " FOR UPDATE"
			if o.DryRun {
				lock = ""
			}
			params = append(params, o.Batch)
			q := fmt.Sprintf("SELECT %[1]s::text AS key, %[2]s AS value, %[6]s AS also FROM %[3]s %[4]s ORDER BY %[1]s LIMIT ?%[5]s",
				col.Key, col.Column, col.Table, where, lock, alsoSQL)
			if err := d.query(ctx, &rows, q, params...); err != nil {
				return err
			}
			for _, r := range rows {
				out, err := fn(r.Key, r.Value, r.Also)
				switch {
				case err != nil:
					batch.Failed++
					batch.FailedKeys = append(batch.FailedKeys, r.Key)
				case out == nil:
					batch.Current++
				default:
					batch.Resealed++
					if !o.DryRun {
						if err := write(ctx, r.Key, r.Also, out); err != nil {
							return err
						}
					}
				}
			}
			n = len(rows)
			if n > 0 {
				next = rows[n-1].Key
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("rekey %s after key %q: %w", col.Name(), last, err)
		}
		total.Resealed += batch.Resealed
		total.Current += batch.Current
		total.Failed += batch.Failed
		total.FailedKeys = append(total.FailedKeys, batch.FailedKeys...)
		if n < o.Batch {
			return total, nil
		}
		last, first = next, false
	}
}

// PhoneHashColumns are the sealed phones stored beside their keyed hash
// (phone_hash, HMAC with the hash key): parcels.phone_enc and
// citizen_flows.phone_enc. The other phone hashes (notify_optouts,
// notify_counters, notify_links) have no sealed phone: RehashPhones moves
// them from a phone's old hash to its new one when it re-hashes a row.
func PhoneHashColumns() []SealedColumn {
	var out []SealedColumn
	for _, c := range SealedColumns() {
		if c.Name() == "parcels.phone_enc" || c.Name() == "citizen_flows.phone_enc" {
			out = append(out, c)
		}
	}
	return out
}

// Rehasher returns the keyed hash of a sealed phone under the current hash
// key, or nil when the stored hash already is that, or an error when the
// phone cannot be opened.
type Rehasher func(key string, sealedPhone, storedHash []byte) ([]byte, error)

// RehashPhones walks col (one of PhoneHashColumns) like RekeyColumn and
// replaces each phone_hash fn recomputes. In the same transaction it moves
// every row keyed by the old hash to the new one: opt-outs (kept once),
// daily counters (summed per day) and opt-out links.
func (d *DB) RehashPhones(ctx context.Context, col SealedColumn, o RekeyOptions, fn Rehasher) (_ RekeyCount, err error) {
	defer errs.Wrap(&err, "pg.RehashPhones %s", col.Table+"."+col.Column)
	ok := false
	for _, c := range PhoneHashColumns() {
		ok = ok || c == col
	}
	if !ok {
		return RekeyCount{}, fmt.Errorf("rehash %s: not a column of PhoneHashColumns", col.Name())
	}
	upd := fmt.Sprintf("UPDATE %s SET phone_hash = ? WHERE %s = ?::%s", col.Table, col.Key, col.keyType)
	return d.walkSealed(ctx, col, "phone_hash", o, fn, func(ctx context.Context, key string, old, out []byte) error {
		if _, err := d.exec(ctx, upd, out, key); err != nil {
			return err
		}
		if len(old) == 0 {
			return nil
		}
		for _, q := range []string{
			`INSERT INTO notify_optouts (phone_hash, via, at) SELECT ?0, via, at FROM notify_optouts WHERE phone_hash = ?1
				ON CONFLICT (phone_hash) DO NOTHING`,
			`DELETE FROM notify_optouts WHERE phone_hash = ?1`,
			`INSERT INTO notify_counters AS c (phone_hash, day, sent) SELECT ?0, day, sent FROM notify_counters WHERE phone_hash = ?1
				ON CONFLICT (phone_hash, day) DO UPDATE SET sent = c.sent + EXCLUDED.sent`,
			`DELETE FROM notify_counters WHERE phone_hash = ?1`,
			`UPDATE notify_links SET phone_hash = ?0 WHERE phone_hash = ?1`,
		} {
			if _, err := d.exec(ctx, q, out, old); err != nil {
				return err
			}
		}
		return nil
	})
}

// UnmatchedPhoneHashes counts the opt-outs and daily counters whose phone
// hash is no stored phone's: after a re-hash, those of phones no parcel or
// citizen request holds any more, which cannot be recomputed.
func (d *DB) UnmatchedPhoneHashes(ctx context.Context) (optouts, counters int, err error) {
	const known = `(SELECT 1 FROM parcels p WHERE p.phone_hash = x.phone_hash) AND NOT EXISTS
		(SELECT 1 FROM citizen_flows f WHERE f.phone_hash = x.phone_hash)`
	if err := d.queryOne(ctx, gopg.Scan(&optouts), `SELECT count(*) FROM notify_optouts x WHERE NOT EXISTS `+known); err != nil {
		return 0, 0, err
	}
	if err := d.queryOne(ctx, gopg.Scan(&counters), `SELECT count(DISTINCT phone_hash) FROM notify_counters x WHERE NOT EXISTS `+known); err != nil {
		return 0, 0, err
	}
	return optouts, counters, nil
}

// rekeyBatchRetry runs fn in a transaction, again after a lock timeout
// (InTx itself retries deadlocks and serialization failures).
func (d *DB) rekeyBatchRetry(ctx context.Context, fn func(ctx context.Context) error) error {
	var err error
	for attempt := 0; attempt < rekeyAttempts; attempt++ {
		if err = d.InTx(ctx, fn); err == nil || !lockTimedOut(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return translate(ctx.Err())
		case <-time.After(time.Duration(attempt+1) * 50 * time.Millisecond):
		}
	}
	return err
}

func lockTimedOut(err error) bool {
	var pe gopg.Error
	return errors.As(err, &pe) && pe.Field('C') == "55P03"
}

// RelinkOptOuts gives every opt-out link not yet announced (announced_at
// IS NULL) the token hash tokenHash returns for its parcel, after the hash
// key that derives link tokens changed: the next message then carries a
// link that works. Announced links keep theirs, so the links citizens
// already received keep working (and no message carries a new one). It
// returns how many links changed and how many were current; one
// transaction, the rows locked.
func (d *DB) RelinkOptOuts(ctx context.Context, dryRun bool, tokenHash func(parcelID string) []byte) (relinked, current int, err error) {
	err = d.InTx(ctx, func(ctx context.Context) error {
		relinked, current = 0, 0
		var rows []struct {
			ParcelID  string
			TokenHash []byte
		}
		lock := " FOR UPDATE"
		if dryRun {
			lock = ""
		}
		if err := d.query(ctx, &rows, `SELECT parcel_id::text AS parcel_id, token_hash FROM notify_links
			WHERE announced_at IS NULL ORDER BY parcel_id`+lock); err != nil {
			return err
		}
		for _, r := range rows {
			h := tokenHash(r.ParcelID)
			if bytes.Equal(h, r.TokenHash) {
				current++
				continue
			}
			relinked++
			if dryRun {
				continue
			}
			if _, err := d.exec(ctx, `UPDATE notify_links SET token_hash = ? WHERE parcel_id = ?`, h, r.ParcelID); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return 0, 0, fmt.Errorf("relink opt-out links: %w", err)
	}
	return relinked, current, nil
}
