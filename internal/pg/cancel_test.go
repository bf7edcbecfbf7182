package pg_test

import (
	"context"
	"testing"

	"hoso/internal/errs"
	"hoso/internal/pg"
	"hoso/internal/pg/pgtest"
)

// TestCancelledTransactionSparesTheNextQuery is the regression test of the
// bug the day simulator found (go-pg/pg#1893): a transaction whose caller's
// context ends while it runs made go-pg send PostgreSQL an asynchronous
// cancel request; when the statement it aimed at had already succeeded, the
// connection went back to the pool and the late cancel killed the next
// statement someone else ran on it (SQLSTATE 57014). With one connection in
// the pool, every later statement runs on the cancelled transaction's
// connection. The cancelled transaction must also not commit.
func TestCancelledTransactionSparesTheNextQuery(t *testing.T) {
	name := pgtest.NewDatabase(t)
	bg := context.Background()
	db, err := pg.Open(bg, pgtest.URLFor(name), pg.Options{PoolSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.ExecForTest(bg, `CREATE TABLE cancel_probe (i int)`); err != nil {
		t.Fatal(err)
	}
	const rounds = 150
	failures, txErrs := 0, 0
	for i := 0; i < rounds; i++ {
		ctx, cancel := context.WithCancel(bg)
		err := db.InTx(ctx, func(ctx context.Context) error {
			if err := db.ExecForTest(ctx, `SELECT 1`); err != nil {
				return err
			}
			cancel() // the client goes away between two statements
			// Statements after the end are refused or run to completion;
			// either way the transaction must not commit.
			_ = db.ExecForTest(ctx, `INSERT INTO cancel_probe VALUES (?)`, i)
			return nil
		})
		if err != nil {
			txErrs++
			if !errs.Is(err, errs.Unavailable) {
				t.Errorf("round %d: cancelled transaction failed with %v, want Unavailable", i, err)
			}
		}
		for j := 0; j < 4; j++ {
			if _, err := db.CountForTest(bg, `SELECT 1`); err != nil {
				failures++
				t.Logf("round %d, statement %d of someone else: %v", i, j, err)
			}
		}
	}
	if failures > 0 {
		t.Errorf("%d of %d statements of others failed after cancelled transactions", failures, rounds*4)
	}
	if txErrs != rounds {
		t.Errorf("%d of %d cancelled transactions reported success", rounds-txErrs, rounds)
	}
	if n, err := db.CountForTest(bg, `SELECT count(*) FROM cancel_probe`); err != nil || n != 0 {
		t.Errorf("cancelled transactions committed %d rows (%v)", n, err)
	}
	// A context that ended before the transaction began runs nothing.
	ctx, cancel := context.WithCancel(bg)
	cancel()
	ran := false
	if err := db.InTx(ctx, func(context.Context) error { ran = true; return nil }); !errs.Is(err, errs.Unavailable) || ran {
		t.Errorf("InTx with an ended context: %v, ran %v", err, ran)
	}
}
