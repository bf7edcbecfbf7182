package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"hoso/internal/errs"
)

// TestPasswordChecksAreBounded: with every checking slot taken, an attempt
// waits HashWait and is refused rather than adding a 19 MiB argon2id run;
// the global budget refuses past PerMinute. (A name that is not a
// username's form reaches neither the database nor the throttle, so no
// store is needed.)
func TestPasswordChecksAreBounded(t *testing.T) {
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	a := &Auth{Now: func() time.Time { return now }, Policy: LoginPolicy{MaxHashing: 1, HashWait: 50 * time.Millisecond, PerMinute: 3}}
	a.init()
	a.slots <- struct{}{} // another check holds the only slot
	start := time.Now()
	_, err := a.Login(context.Background(), "Không phải tên!", "x")
	var ra *RetryAfter
	if !errs.Is(err, errs.RateLimited) || !errors.As(err, &ra) || time.Since(start) < 50*time.Millisecond {
		t.Fatalf("with no free slot: %v after %v", err, time.Since(start))
	}
	<-a.slots
	for i := 0; i < 2; i++ { // the budget: 3 a minute, one spent above
		if _, err := a.Login(context.Background(), "Không phải tên!", "x"); !errs.Is(err, errs.Unauthorized) {
			t.Fatalf("check %d within the budget: %v", i+2, err)
		}
	}
	if _, err := a.Login(context.Background(), "Không phải tên!", "x"); !errs.Is(err, errs.RateLimited) {
		t.Fatalf("past the budget: %v", err)
	}
	now = now.Add(time.Minute)
	if _, err := a.Login(context.Background(), "Không phải tên!", "x"); !errs.Is(err, errs.Unauthorized) {
		t.Fatalf("a minute later: %v", err)
	}
}

func TestLoginPolicyDelays(t *testing.T) {
	p := LoginPolicy{}.withDefaults()
	for failures, want := range map[int]time.Duration{0: 0, 4: 0, 5: time.Second, 6: 2 * time.Second, 9: 16 * time.Second, 14: 512 * time.Second, 15: 15 * time.Minute, 40: 15 * time.Minute} {
		if got := p.wait(failures); got != want {
			t.Errorf("wait(%d) = %v, want %v", failures, got, want)
		}
	}
}
