// Package pg is the PostgreSQL adapter, the only importer of go-pg: the
// connection pool, embedded numbered migrations, and the stores the
// application's services need, with driver errors translated to errs kinds.
package pg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-pg/pg/v10"
	"github.com/go-pg/pg/v10/orm"

	"hoso/internal/app"
	"hoso/internal/errs"
)

// DB is every store of the application services (app.NewServices).
var _ app.Store = (*DB)(nil)

// DB is the pool.
type DB struct {
	db        *pg.DB
	direct    *pg.DB   // LISTEN and session advisory locks; db itself unless Options.DirectURL
	ownDirect bool     // direct was opened for this DB (and is closed with it)
	txPooling bool     // behind a transaction-mode pooler: no session state
	sequences sync.Map // S10 letters → s10Service (never changes once made)
}

// Options tune the pool.
type Options struct {
	PoolSize int
	// DirectURL, when set, is a connection straight to PostgreSQL for what
	// a transaction-mode pooler (PgBouncer) cannot carry: LISTEN and the
	// migrations' session advisory lock. The pool itself may go through
	// the pooler.
	DirectURL string
	// TransactionPooling says the URL is a transaction-mode pooler: no
	// session settings are made on pooled connections (they would leak to
	// other clients of the pooler's server connection).
	TransactionPooling bool
}

// Open connects to url and checks the server answers.
func Open(ctx context.Context, url string, o Options) (*DB, error) {
	opt, err := pg.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("pg: parse database URL: %w", err)
	}
	if o.PoolSize > 0 {
		opt.PoolSize = o.PoolSize
	}
	opt.PoolTimeout = 5 * time.Second
	opt.IdleTimeout = 5 * time.Minute
	opt.DialTimeout = 3 * time.Second
	opt.ApplicationName = "hoso"
	db := pg.Connect(opt)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.Ping(pctx); err != nil {
		db.Close()
		return nil, errs.Wrapf(errs.Unavailable, err, "cơ sở dữ liệu không trả lời")
	}
	d := &DB{db: db, direct: db, txPooling: o.TransactionPooling}
	if o.DirectURL != "" && o.DirectURL != url {
		dopt, err := pg.ParseURL(o.DirectURL)
		if err != nil {
			db.Close()
			return nil, fmt.Errorf("pg: parse direct database URL: %w", err)
		}
		// Listeners take connections of their own outside the pool; the
		// pool serves the migrations' lock, one connection.
		dopt.PoolSize = 2
		dopt.DialTimeout = 3 * time.Second
		dopt.ApplicationName = "hoso-direct"
		d.direct, d.ownDirect = pg.Connect(dopt), true
		if err := d.direct.Ping(pctx); err != nil {
			d.direct.Close()
			db.Close()
			return nil, errs.Wrapf(errs.Unavailable, err, "cơ sở dữ liệu (kết nối trực tiếp) không trả lời")
		}
	}
	return d, nil
}

// Close closes the pool.
func (d *DB) Close() error {
	if d.ownDirect {
		d.direct.Close()
	}
	return d.db.Close()
}

// Ping checks the server answers.
func (d *DB) Ping(ctx context.Context) (err error) {
	defer errs.Wrap(&err, "pg.Ping")
	if err := d.db.Ping(ctx); err != nil {
		return errs.Wrapf(errs.Unavailable, err, "cơ sở dữ liệu không trả lời")
	}
	return nil
}

// PoolStats reports the pool's connections for metrics.
type PoolStats struct {
	Hits, Misses, Timeouts uint32
	Total, Idle, Stale     uint32
}

// Stats returns the pool's counters.
func (d *DB) Stats() PoolStats {
	s := d.db.PoolStats()
	return PoolStats{Hits: s.Hits, Misses: s.Misses, Timeouts: s.Timeouts, Total: s.TotalConns, Idle: s.IdleConns, Stale: s.StaleConns}
}

type txKey struct{}

// Cancellation. go-pg cancels a statement whose context ends by sending
// PostgreSQL a cancel request from another connection. The request is
// asynchronous: when the statement it aims at has already finished, it
// lands on whatever the backend runs next. Outside a transaction go-pg then
// drops the connection, which is safe. Inside one it keeps the connection
// when the statement had succeeded and hands it back to the pool at the end
// of the transaction, where the late cancel kills the next statement of
// someone else with SQLSTATE 57014 (go-pg/pg#1893; the day simulator found
// it). So go-pg never sees a cancellable context inside a transaction: BEGIN,
// COMMIT and every statement run with context.WithoutCancel, and the adapter
// checks the caller's context itself before each statement and before the
// commit. A statement already running finishes; the transaction then rolls
// back and the caller gets Unavailable.

// InTx runs fn in a transaction carried in its context; stores called with
// that context use it. A nested call joins the outer transaction (go-pg's own
// nesting would commit early). Serialization failures and deadlocks are
// retried a few times. If ctx ends, the next statement is not run and the
// transaction rolls back.
func (d *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if _, ok := ctx.Value(txKey{}).(*pg.Tx); ok {
		return fn(ctx)
	}
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		if err = ctx.Err(); err != nil {
			break
		}
		err = d.db.RunInTransaction(context.WithoutCancel(ctx), func(tx *pg.Tx) error {
			if err := fn(context.WithValue(ctx, txKey{}, tx)); err != nil {
				return err
			}
			return ctx.Err() // not committed for a caller who has gone
		})
		if !retryable(err) {
			break
		}
		time.Sleep(time.Duration(attempt+1) * 20 * time.Millisecond)
	}
	return translate(err)
}

// on returns where a statement runs (the transaction in ctx, or the pool)
// and the context to hand go-pg: inside a transaction the caller's context
// without its cancellation, after checking it has not ended.
func (d *DB) on(ctx context.Context) (orm.DB, context.Context, error) {
	if tx, ok := ctx.Value(txKey{}).(*pg.Tx); ok {
		if err := ctx.Err(); err != nil {
			return nil, nil, translate(err)
		}
		return tx, context.WithoutCancel(ctx), nil
	}
	return d.db.WithContext(ctx), ctx, nil
}

func retryable(err error) bool {
	var pe pg.Error
	if errors.As(err, &pe) {
		code := pe.Field('C')
		return code == "40001" || code == "40P01"
	}
	return false
}

// translate maps driver errors to application kinds. Errors that are already
// application errors pass through.
func translate(err error) error {
	if err == nil {
		return nil
	}
	var ae *errs.Error
	if errors.As(err, &ae) {
		return err
	}
	if errors.Is(err, pg.ErrNoRows) {
		return errs.Wrapf(errs.NotFound, err, "không tìm thấy")
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return errs.Wrapf(errs.Unavailable, err, "hết thời gian chờ cơ sở dữ liệu")
	}
	var pe pg.Error
	if errors.As(err, &pe) {
		switch code := pe.Field('C'); {
		case code == "23505":
			return errs.Wrapf(errs.Conflict, err, "trùng dữ liệu (%s)", pe.Field('n'))
		case code == "23503":
			return errs.Wrapf(errs.Invalid, err, "tham chiếu không tồn tại (%s)", pe.Field('n'))
		case code == "23514" || code == "23502" || code == "22P02" || code == "22001":
			return errs.Wrapf(errs.Invalid, err, "dữ liệu không hợp lệ (%s)", pe.Field('n'))
		case code == "55P03" || code == "57014":
			return errs.Wrapf(errs.Unavailable, err, "cơ sở dữ liệu đang bận")
		case strings.HasPrefix(code, "08") || code == "57P01" || code == "57P02" || code == "57P03":
			return errs.Wrapf(errs.Unavailable, err, "mất kết nối cơ sở dữ liệu")
		}
		return err
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, pg.ErrTxDone) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || poolUnavailable(err) {
		return errs.Wrapf(errs.Unavailable, err, "mất kết nối cơ sở dữ liệu")
	}
	return err
}

// exec runs a statement and translates its error.
func (d *DB) exec(ctx context.Context, query string, params ...any) (orm.Result, error) {
	db, ctx, err := d.on(ctx)
	if err != nil {
		return nil, err
	}
	res, err := db.ExecContext(ctx, query, params...)
	return res, translate(err)
}

// query scans rows into model and translates its error.
func (d *DB) query(ctx context.Context, model any, query string, params ...any) error {
	db, ctx, err := d.on(ctx)
	if err != nil {
		return err
	}
	_, err = db.QueryContext(ctx, model, query, params...)
	return translate(err)
}

// queryOne scans one row; no row is NotFound.
func (d *DB) queryOne(ctx context.Context, model any, query string, params ...any) error {
	db, ctx, err := d.on(ctx)
	if err != nil {
		return err
	}
	_, err = db.QueryOneContext(ctx, model, query, params...)
	return translate(err)
}

// insert inserts a model (a row or a slice of rows); with serialID the id
// column is left to the database and read back.
func (d *DB) insert(ctx context.Context, model any, serialID bool) (orm.Result, error) {
	db, ctx, err := d.on(ctx)
	if err != nil {
		return nil, err
	}
	q := db.ModelContext(ctx, model)
	if serialID {
		q = q.ExcludeColumn("id").Returning("id")
	}
	res, err := q.Insert()
	return res, translate(err)
}

// ExecForTest runs raw SQL; tests use it to tamper with rows and to count
// them. It is not for application code.
func (d *DB) ExecForTest(ctx context.Context, query string, params ...any) error {
	_, err := d.exec(ctx, query, params...)
	return err
}

// ColumnsForTest lists a table's columns in order (benchmarks build
// statements from them).
func (d *DB) ColumnsForTest(ctx context.Context, table string) ([]string, error) {
	var cols []string
	err := d.query(ctx, &cols, `SELECT quote_ident(column_name) FROM information_schema.columns
		WHERE table_schema = 'public' AND table_name = ? ORDER BY ordinal_position`, table)
	return cols, err
}

// PairsForTest returns the rows of a query of two text columns.
func (d *DB) PairsForTest(ctx context.Context, query string, params ...any) ([][2]string, error) {
	var rows []struct {
		A, B string
	}
	if err := d.query(ctx, &rows, `SELECT x.* FROM (`+query+`) AS x(a, b)`, params...); err != nil {
		return nil, err
	}
	out := make([][2]string, len(rows))
	for i, r := range rows {
		out[i] = [2]string{r.A, r.B}
	}
	return out, nil
}

// CountForTest returns the result of a counting query.
func (d *DB) CountForTest(ctx context.Context, query string, params ...any) (int, error) {
	var n int
	err := d.queryOne(ctx, pg.Scan(&n), query, params...)
	return n, err
}
