package pg_test

import (
	"context"
	"strings"
	"testing"

	"hoso/internal/pg"
	"hoso/internal/pg/pgtest"
	"hoso/internal/secret"
)

// TestS10SerialsCannotBeWalked: serials issued one after another are not
// neighbours (the probe found 20 of 20 consecutive serials in use).
func TestS10SerialsCannotBeWalked(t *testing.T) {
	db, _ := pgtest.New(t)
	ctx := context.Background()
	seen := map[uint32]bool{}
	var prev uint32
	near := 0
	for i := 0; i < 200; i++ {
		n, err := db.NextSerial(ctx, "EA")
		if err != nil {
			t.Fatal(err)
		}
		if seen[n] || n == 0 {
			t.Fatalf("serial %d issued twice or zero", n)
		}
		seen[n] = true
		if i > 0 {
			d := int64(n) - int64(prev)
			if d < 0 {
				d = -d
			}
			if d <= 20 {
				near++
			}
		}
		prev = n
	}
	if near > 0 {
		t.Errorf("%d of 199 serials lie within 20 of the one before", near)
	}
	// The key is fixed: changing it, or the legacy range, is refused.
	if err := db.ExecForTest(ctx, `UPDATE s10_services SET perm_key = decode(repeat('ab', 32), 'hex') WHERE letters = 'EA'`); err == nil {
		t.Error("the permutation key of a service could be changed")
	}
	if err := db.ExecForTest(ctx, `UPDATE s10_services SET legacy_max = 5 WHERE letters = 'EA'`); err == nil {
		t.Error("the legacy range of a service could be changed")
	}
	if err := db.ExecForTest(ctx, `DELETE FROM s10_services WHERE letters = 'EA'`); err == nil {
		t.Error("a service could be deleted")
	}
	// Every service has its own random key.
	if n, err := db.CountForTest(ctx, `SELECT count(DISTINCT perm_key) FROM s10_services`); err != nil || n != 2 {
		t.Errorf("distinct keys of EA and EB: %d, %v", n, err)
	}
}

// TestS10LegacySerialsAreNeverReissued: on a database that issued serials
// consecutively before migration 0012, the migration records the range and
// the permuted serials skip it.
func TestS10LegacySerialsAreNeverReissued(t *testing.T) {
	ctx := context.Background()
	name := "hoso_t_s10_" + strings.ToLower(strings.NewReplacer("-", "x", "_", "y").Replace(secret.Token(6)))
	url, err := pg.RecreateDatabase(ctx, pgtest.AdminURL(), name)
	if err != nil {
		t.Fatalf("a database of its own (PostgreSQL must be running: make postgres): %v", err)
	}
	t.Cleanup(func() {
		a, err := pg.Open(context.Background(), pgtest.AdminURL(), pg.Options{PoolSize: 1})
		if err == nil {
			_ = a.ExecForTest(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
			a.Close()
		}
	})
	db, err := pg.Open(ctx, url, pg.Options{PoolSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.MigrateTo(ctx, 11); err != nil {
		t.Fatal(err)
	}
	if err := db.EnsureS10Service(ctx, "EA"); err != nil {
		t.Fatal(err)
	}
	// The old allocation: serial = the sequence's value.
	const legacy = 90_000_000
	if err := db.ExecForTest(ctx, `SELECT setval('s10_serial_ea', ?)`, legacy); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := db.CountForTest(ctx, `SELECT legacy_max::int FROM s10_services WHERE letters = 'EA'`); err != nil || n != legacy {
		t.Fatalf("legacy_max = %d, %v; want %d", n, err, legacy)
	}
	// Nine in ten permuted values fall in a legacy range this large: every
	// one must be skipped.
	for i := 0; i < 300; i++ {
		s, err := db.NextSerial(ctx, "EA")
		if err != nil {
			t.Fatal(err)
		}
		if s <= legacy {
			t.Fatalf("serial %d re-issued from the legacy range", s)
		}
	}
}
