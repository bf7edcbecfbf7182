package sim

import (
	"context"
	"os"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/internal/pg/pgtest"
	"hoso/tracking"
)

// TestCancelledBatchSparesTheNextQuery: a ledger batch whose context ends
// between the lock and the write (a client gone, the request timeout) must
// fail alone. Found by the simulator (seed 1, step 38): the cancellation
// reaches PostgreSQL late and cancels the next statement run on the same
// pooled connection by someone else (go-pg/pg#1893), so an unrelated
// request, or the alarm sweep, fails with SQLSTATE 57014. Skipped until the
// PostgreSQL adapter discards a connection whose statement was cancelled;
// run it with HOSO_KNOWN_BUGS=1.
func TestCancelledBatchSparesTheNextQuery(t *testing.T) {
	if os.Getenv("HOSO_KNOWN_BUGS") == "" {
		t.Skip("known bug: a cancelled statement's cancel request hits the next query on the pooled connection (go-pg/pg#1893); HOSO_KNOWN_BUGS=1 runs it")
	}
	db, _ := pgtest.New(t)
	ctx := context.Background()
	w, err := newWorld(db, Config{Seed: 424242})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.setup(ctx); err != nil {
		t.Fatal(err)
	}
	w.day = dayOf(w.now)
	if err := w.request(ctx); err != nil {
		t.Fatal(err)
	}
	ps, err := w.parcels(ctx)
	if err != nil || len(ps) == 0 {
		t.Fatalf("parcels: %v", err)
	}
	failures := 0
	for i := 0; i < 20; i++ {
		opCtx, cancel := context.WithCancel(ctx)
		w.faults.armed, w.faults.cancel = cancelMidBatch, cancel
		// The batch may fail or, when the cancellation arrives late, commit:
		// both are fine for the caller, who retries with the same event id.
		_, _, _ = w.ledger.RecordByNumber(opCtx, ps[0].Number, app.EventInput{Type: tracking.PickupAttemptFailed,
			Actor: w.couriers[0].user.Party(), Data: []byte(`{"reason":"not_home"}`)})
		cancel()
		for j := 0; j < 4; j++ {
			if _, err := w.alarms.SweepAt(ctx, time.Now()); err != nil {
				failures++
				t.Logf("round %d, query %d after the cancelled batch: %v", i, j, err)
			}
		}
	}
	if failures > 0 {
		t.Errorf("%d statements of others failed after cancelled batches", failures)
	}
}
