package pg

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/go-pg/pg/v10"

	"hoso/internal/errs"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// migration is one numbered SQL file.
type migration struct {
	version int
	name    string
	sql     string
}

func migrations() ([]migration, error) {
	entries, err := fs.ReadDir(migrationFS, "migrations")
	if err != nil {
		return nil, fmt.Errorf("pg: read migrations: %w", err)
	}
	var ms []migration
	for _, e := range entries {
		n := e.Name()
		num, _, ok := strings.Cut(n, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("pg: migration %q is not named NNNN_name.sql", n)
		}
		b, err := migrationFS.ReadFile(path.Join("migrations", n))
		if err != nil {
			return nil, fmt.Errorf("pg: read %s: %w", n, err)
		}
		ms = append(ms, migration{version: v, name: n, sql: string(b)})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	// Numbers are handed out to parallel branches ahead of time, so one may
	// be missing for a while; each number is used once.
	for i := 1; i < len(ms); i++ {
		if ms[i].version == ms[i-1].version {
			return nil, fmt.Errorf("pg: migrations %s and %s share number %d", ms[i-1].name, ms[i].name, ms[i].version)
		}
	}
	return ms, nil
}

// LatestVersion is the number of the newest embedded migration.
func LatestVersion() int {
	ms, err := migrations()
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

const migrationLock = 7_238_001 // advisory lock id serialising migrators

// Migrate applies the embedded migrations that are not yet applied, each in
// its own transaction, recording each in schema_migrations. Several processes
// may call it at once: an advisory lock serialises them.
func (d *DB) Migrate(ctx context.Context) (applied []string, err error) {
	return d.MigrateTo(ctx, 0)
}

// MigrateTo is Migrate stopping after version upTo (0: the latest). Tests
// use it to check a migration on a database written by the version before.
func (d *DB) MigrateTo(ctx context.Context, upTo int) (applied []string, err error) {
	defer errs.Wrap(&err, "migrate")
	ms, err := migrations()
	if err != nil {
		return nil, err
	}
	if upTo > 0 {
		for i, m := range ms {
			if m.version > upTo {
				ms = ms[:i]
				break
			}
		}
	}
	conn := d.direct.Conn()
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(?)`, migrationLock); err != nil {
		return nil, translate(err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(?)`, migrationLock) //nolint:errcheck
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL)`); err != nil {
		return nil, translate(err)
	}
	current, err := d.currentVersion(ctx, conn)
	if err != nil {
		return nil, err
	}
	if latest := ms[len(ms)-1].version; current > latest && upTo == 0 {
		return nil, fmt.Errorf("database schema is at version %d, newer than this binary's %d", current, latest)
	}
	var done []int
	if _, err := conn.QueryContext(ctx, &done, `SELECT version FROM schema_migrations`); err != nil {
		return nil, translate(err)
	}
	have := make(map[int]bool, len(done))
	for _, v := range done {
		have[v] = true
	}
	for _, m := range ms {
		if have[m.version] {
			continue
		}
		err := conn.RunInTransaction(ctx, func(tx *pg.Tx) error {
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("%s: %w", m.name, err)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`,
				m.version, m.name, time.Now().UTC())
			return err
		})
		if err != nil {
			return applied, translate(err)
		}
		applied = append(applied, m.name)
	}
	return applied, nil
}

func (d *DB) currentVersion(ctx context.Context, conn interface {
	QueryOneContext(context.Context, any, any, ...any) (pg.Result, error)
}) (int, error) {
	var v int
	_, err := conn.QueryOneContext(ctx, pg.Scan(&v), `SELECT coalesce(max(version), 0) FROM schema_migrations`)
	if err != nil {
		return 0, translate(err)
	}
	return v, nil
}

// SchemaVersion returns the applied and the embedded schema versions.
func (d *DB) SchemaVersion(ctx context.Context) (current, latest int, err error) {
	latest = LatestVersion()
	var exists bool
	if _, err := d.db.QueryOneContext(ctx, pg.Scan(&exists), `SELECT to_regclass('schema_migrations') IS NOT NULL`); err != nil {
		return 0, latest, translate(err)
	}
	if !exists {
		return 0, latest, nil
	}
	current, err = d.currentVersion(ctx, d.db)
	return current, latest, err
}

// CheckSchema returns an Unavailable error when the schema is behind the
// binary (run `hoso migrate`) or ahead of it (an older binary).
func (d *DB) CheckSchema(ctx context.Context) (err error) {
	defer errs.Wrap(&err, "pg.CheckSchema")
	cur, latest, err := d.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	if cur < latest {
		return errs.E(errs.Unavailable, "lược đồ cơ sở dữ liệu ở phiên bản %d, cần %d: chạy `hoso migrate`", cur, latest)
	}
	if cur > latest {
		return errs.E(errs.Unavailable, "lược đồ cơ sở dữ liệu ở phiên bản %d, mới hơn chương trình (%d)", cur, latest)
	}
	return nil
}

// CreateDatabase creates the database named in url if it does not exist,
// connecting to the server's postgres database to do so.
func CreateDatabase(ctx context.Context, url string) (created bool, err error) {
	opt, err := pg.ParseURL(url)
	if err != nil {
		return false, fmt.Errorf("pg: parse database URL: %w", err)
	}
	name := opt.Database
	opt.Database = "postgres"
	admin := pg.Connect(opt)
	defer admin.Close()
	var exists bool
	if _, err := admin.QueryOneContext(ctx, pg.Scan(&exists), `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = ?)`, name); err != nil {
		return false, translate(err)
	}
	if exists {
		return false, nil
	}
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE ?`, pg.Ident(name)); err != nil {
		if pe, ok := err.(pg.Error); ok && pe.Field('C') == "42P04" {
			return false, nil
		}
		return false, translate(err)
	}
	return true, nil
}

// MigrationDigest is a digest of every embedded migration's text, so test
// templates are rebuilt whenever a migration changes.
func MigrationDigest() string {
	ms, err := migrations()
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	for _, m := range ms {
		b.WriteString(m.name)
		b.WriteString(m.sql)
	}
	return fmt.Sprintf("%x", sha256sum([]byte(b.String())))
}

// RecreateDatabase drops database name on the server of adminURL (ending
// its connections) and creates it empty; it returns the URL of the new
// database. Benchmarks use it for throw-away data.
func RecreateDatabase(ctx context.Context, adminURL, name string) (string, error) {
	opt, err := pg.ParseURL(adminURL)
	if err != nil {
		return "", fmt.Errorf("pg: parse database URL: %w", err)
	}
	admin := pg.Connect(opt)
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS ? WITH (FORCE)`, pg.Ident(name)); err != nil {
		return "", translate(err)
	}
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE ?`, pg.Ident(name)); err != nil {
		return "", translate(err)
	}
	auth := opt.User
	if opt.Password != "" {
		auth += ":" + opt.Password
	}
	return fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable", auth, opt.Addr, name), nil
}
