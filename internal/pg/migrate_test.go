package pg_test

import (
	"context"
	"testing"

	"hoso/internal/errs"
	"hoso/internal/pg"
	"hoso/internal/pg/pgtest"
)

func TestMigrateIsIdempotentAndSchemaCurrent(t *testing.T) {
	db, _ := pgtest.New(t)
	ctx := context.Background()
	applied, err := db.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Errorf("second migrate applied %v", applied)
	}
	if err := db.CheckSchema(ctx); err != nil {
		t.Errorf("CheckSchema: %v", err)
	}
	cur, latest, err := db.SchemaVersion(ctx)
	if err != nil || cur != latest || latest != pg.LatestVersion() {
		t.Errorf("SchemaVersion = %d, %d, %v", cur, latest, err)
	}
}

func TestSchemaBehindIsRefused(t *testing.T) {
	name := pgtest.NewDatabase(t)
	ctx := context.Background()
	db, err := pg.Open(ctx, pgtest.URLFor(name), pg.Options{PoolSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	// Roll the record back one version: the schema now looks behind.
	if err := db.ExecForTest(ctx, `DELETE FROM schema_migrations WHERE version = (SELECT max(version) FROM schema_migrations)`); err != nil {
		t.Fatal(err)
	}
	err = db.CheckSchema(ctx)
	if !errs.Is(err, errs.Unavailable) {
		t.Errorf("CheckSchema on a behind schema = %v, want unavailable", err)
	}
}

func TestS10SequenceNeverRepeats(t *testing.T) {
	db, _ := pgtest.New(t)
	ctx := context.Background()
	seen := map[uint32]bool{}
	for i := 0; i < 50; i++ {
		n, err := db.NextSerial(ctx, "EA")
		if err != nil {
			t.Fatal(err)
		}
		if seen[n] {
			t.Fatalf("serial %d handed out twice", n)
		}
		seen[n] = true
	}
	// A serial taken in a rolled-back transaction is not handed out again.
	var inTx uint32
	_ = db.InTx(ctx, func(ctx context.Context) error {
		inTx, _ = db.NextSerial(ctx, "EA")
		return errs.E(errs.Invalid, "roll back")
	})
	next, _ := db.NextSerial(ctx, "EA")
	if next == inTx || seen[inTx] {
		t.Errorf("serial %d reused after rollback (next %d)", inTx, next)
	}
	if _, err := db.NextSerial(ctx, "ZZ"); !errs.Is(err, errs.Unavailable) {
		t.Errorf("unknown service: %v", err)
	}
}
