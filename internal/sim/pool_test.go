package sim

import (
	"context"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/internal/pg"
	"hoso/internal/pg/pgtest"
	"hoso/tracking"
)

// cancelAfterLock is the ledger's store whose caller's context ends right
// after the parcels are locked; unlike the simulation's faultStore it then
// lets the write go to PostgreSQL with the ended context, so the
// cancellation races the transaction's statements as it does in production.
type cancelAfterLock struct {
	*pg.DB
	cancel context.CancelFunc
}

func (s *cancelAfterLock) LockParcels(ctx context.Context, numbers []string) (map[string]app.LockedParcel, error) {
	res, err := s.DB.LockParcels(ctx, numbers)
	if s.cancel != nil {
		s.cancel()
	}
	return res, err
}

// TestCancelledBatchSparesTheNextQuery: a ledger batch whose context ends
// between the lock and the write (a client gone, the request timeout) must
// fail alone. Found by the simulator (seed 1, step 38): go-pg sent
// PostgreSQL a cancel request for the transaction's connection, and when the
// statement it aimed at had already finished, the connection went back to
// the pool and the late cancel killed the next statement run on it by
// someone else (SQLSTATE 57014), here the alarm sweep. The adapter no longer
// lets go-pg see a context's cancellation (internal/pg/driver.go), so no
// cancel request is ever sent for a connection that is reused.
func TestCancelledBatchSparesTheNextQuery(t *testing.T) {
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
	store := &cancelAfterLock{DB: db}
	ledger := &app.Ledger{Store: store, Tx: db, Policy: tracking.DefaultPolicy, Now: w.clock, NewID: w.newID}
	failures, committed := 0, 0
	const rounds = 40
	for i := 0; i < rounds; i++ {
		opCtx, cancel := context.WithCancel(ctx)
		store.cancel = cancel
		// The batch fails: its context ended before its write.
		if _, _, err := ledger.RecordByNumber(opCtx, ps[0].Number, app.EventInput{Type: tracking.PickupAttemptFailed,
			Actor: w.couriers[0].user.Party(), Data: []byte(`{"reason":"not_home"}`)}); err == nil {
			committed++
		}
		cancel()
		for j := 0; j < 4; j++ {
			if _, err := w.alarms.SweepAt(ctx, time.Now()); err != nil {
				failures++
				t.Logf("round %d, query %d after the cancelled batch: %v", i, j, err)
			}
		}
	}
	if failures > 0 {
		t.Errorf("%d of %d statements of others failed after cancelled batches", failures, rounds*4)
	}
	if committed > 0 {
		t.Errorf("%d of %d batches cancelled before their write were committed", committed, rounds)
	}
}
