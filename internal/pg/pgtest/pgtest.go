// Package pgtest gives each test its own PostgreSQL database, cloned from a
// template that is migrated once per schema version. When the server cannot
// be reached the test is skipped, unless CI is set: CI never passes with no
// database tests.
package pgtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	gopg "github.com/go-pg/pg/v10"

	"hoso/internal/pg"
	"hoso/internal/secret"
	"hoso/internal/units"
)

// AdminURL is the server the tests use; HOSO_TEST_DATABASE_URL overrides it.
func AdminURL() string {
	if u := os.Getenv("HOSO_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

var (
	tmplOnce sync.Once
	tmplName string
	tmplErr  error
)

// URLFor returns the URL of database name on the test server.
func URLFor(name string) string {
	opt, err := gopg.ParseURL(AdminURL())
	if err != nil {
		return ""
	}
	auth := opt.User
	if opt.Password != "" {
		auth += ":" + opt.Password
	}
	return fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable", auth, opt.Addr, name)
}

// New returns a fresh, migrated database with the reference units loaded and
// the default S10 services (EA, EB) ready. It is dropped when the test ends.
func New(tb testing.TB) (*pg.DB, string) {
	tb.Helper()
	name := NewDatabase(tb)
	url := URLFor(name)
	db, err := pg.Open(context.Background(), url, pg.Options{PoolSize: 8})
	if err != nil {
		tb.Fatalf("pgtest: open %s: %v", name, err)
	}
	tb.Cleanup(func() { db.Close() })
	return db, url
}

// NewDatabase clones the template into a new database and returns its name,
// for tests that open their own pools (a server under test).
func NewDatabase(tb testing.TB) string {
	tb.Helper()
	ctx := context.Background()
	admin, err := connectAdmin(ctx)
	if err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("pgtest: PostgreSQL unreachable in CI: %v", err)
		}
		tb.Skipf("pgtest: PostgreSQL unreachable, skipping: %v", err)
	}
	defer admin.Close()
	tmplOnce.Do(func() { tmplName, tmplErr = ensureTemplate(ctx, admin) })
	if tmplErr != nil {
		tb.Fatalf("pgtest: template: %v", tmplErr)
	}
	name := "hoso_t_" + strings.ToLower(secret.Token(9))
	name = strings.NewReplacer("-", "x", "_", "y").Replace(name[len("hoso_t_"):])
	name = "hoso_t_" + name
	for attempt := 0; ; attempt++ {
		_, err = admin.ExecContext(ctx, `CREATE DATABASE ? TEMPLATE ?`, gopg.Ident(name), gopg.Ident(tmplName))
		if err == nil || attempt >= 20 || !strings.Contains(err.Error(), "being accessed by other users") {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		tb.Fatalf("pgtest: create database: %v", err)
	}
	tb.Cleanup(func() {
		a, err := connectAdmin(context.Background())
		if err != nil {
			return
		}
		defer a.Close()
		a.ExecContext(context.Background(), `DROP DATABASE IF EXISTS ? WITH (FORCE)`, gopg.Ident(name)) //nolint:errcheck
	})
	return name
}

func connectAdmin(ctx context.Context) (*gopg.DB, error) {
	opt, err := gopg.ParseURL(AdminURL())
	if err != nil {
		return nil, err
	}
	opt.PoolSize = 2
	opt.DialTimeout = 2 * time.Second
	db := gopg.Connect(opt)
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := db.Ping(pctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// ensureTemplate creates the template for this binary's migrations once per
// server; an advisory lock keeps parallel test processes from racing.
func ensureTemplate(ctx context.Context, admin *gopg.DB) (string, error) {
	name := "hoso_tmpl_" + migrationHash()
	conn := admin.Conn()
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7238002)`); err != nil {
		return "", err
	}
	defer conn.ExecContext(context.Background(), `SELECT pg_advisory_unlock(7238002)`) //nolint:errcheck
	var exists bool
	if _, err := conn.QueryOneContext(ctx, gopg.Scan(&exists), `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = ?)`, name); err != nil {
		return "", err
	}
	if exists {
		return name, nil
	}
	build := name + "_build"
	conn.ExecContext(ctx, `DROP DATABASE IF EXISTS ? WITH (FORCE)`, gopg.Ident(build)) //nolint:errcheck
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE ?`, gopg.Ident(build)); err != nil {
		return "", err
	}
	if err := prepare(ctx, URLFor(build)); err != nil {
		conn.ExecContext(ctx, `DROP DATABASE IF EXISTS ? WITH (FORCE)`, gopg.Ident(build)) //nolint:errcheck
		return "", err
	}
	if _, err := conn.ExecContext(ctx, `ALTER DATABASE ? RENAME TO ?`, gopg.Ident(build), gopg.Ident(name)); err != nil {
		return "", err
	}
	// Templates of other schemas are left alone: another test run may be
	// cloning them right now.
	return name, nil
}

func prepare(ctx context.Context, url string) error {
	db, err := pg.Open(ctx, url, pg.Options{PoolSize: 2})
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		return err
	}
	set, err := units.Load()
	if err != nil {
		return err
	}
	if err := db.SyncUnits(ctx, set); err != nil {
		return err
	}
	for _, l := range []string{"EA", "EB"} {
		if err := db.EnsureS10Service(ctx, l); err != nil {
			return err
		}
	}
	return nil
}

func migrationHash() string {
	h := sha256.New()
	fmt.Fprint(h, pg.MigrationDigest())
	return hex.EncodeToString(h.Sum(nil))[:12]
}
