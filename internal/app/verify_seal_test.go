package app_test

import (
	"context"
	"testing"
	"time"

	"hoso/internal/app"
)

// TestSealWaitsForLateCommits: an event takes its server time when its
// transaction starts and becomes visible when it commits. If the day's
// root were sealed in between (the housekeeping's first run after
// midnight), the root would leave the event out, and the next
// verification would report the untouched ledger as tampered. Sealing
// waits SealGrace past midnight.
func TestSealWaitsForLateCommits(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := f.parcel(0)
	// The last event of the day starts at 23:59:59.9 …
	now := time.Now().In(vn)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, vn)
	late := day.Add(24*time.Hour - 100*time.Millisecond)
	clock := late
	f.ledger.Now = func() time.Time { return clock }
	// … while the housekeeping wakes just after midnight and seals.
	v := &app.Verifier{Store: f.db, Now: func() time.Time { return day.Add(24*time.Hour + 5*time.Second) }, Zone: vn}
	if _, err := v.SealDays(ctx); err != nil {
		t.Fatal(err)
	}
	// Then the event commits.
	if err := f.record(p, collectIn(bt1)); err != nil {
		t.Fatal(err)
	}
	rep, err := v.Verify(ctx, time.Time{}, nil)
	if err != nil || !rep.OK() {
		t.Fatalf("verify after a late commit: %v %s %v", rep.Break, rep.RootBreak, err)
	}
	// Once the grace is over, the day is sealed with the event in it.
	v.Now = func() time.Time { return day.Add(24*time.Hour + app.SealGrace + time.Second) }
	if n, err := v.SealDays(ctx); err != nil || n < 1 {
		t.Fatalf("SealDays after the grace = %d, %v", n, err)
	}
	if rep, err := v.Verify(ctx, time.Time{}, nil); err != nil || !rep.OK() || rep.Roots < 1 {
		t.Fatalf("verify after sealing: %+v %v", rep, err)
	}
}
