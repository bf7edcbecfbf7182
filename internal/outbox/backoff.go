package outbox

import (
	"math"
	"time"
)

// Backoff is the retry schedule of a failing row.
//
// After the n-th failed attempt the row waits
//
//	delay(n) = min(Cap, Base × Factor^(n−1)) × (1 − Jitter + 2 × Jitter × u),  u uniform in [0, 1)
//
// (a Retry-After from the receiver lengthens it, up to Cap). With the
// defaults (Base 10 s, Factor 2, Cap 1 h, Jitter 0.2) the nominal delays are
// 10 s, 20 s, 40 s, 80 s, 160 s, 320 s, 640 s, 1280 s, 2560 s, then 1 h each:
// the 10th attempt comes about 1 h 25 min after the first and the 33rd about
// 24 h 25 min after it. A row that fails when MaxAge (24 h) or more has passed
// since its first attempt is dead: it goes to the dead-letter list for staff
// to retry or discard. So every row is tried for at least MaxAge, whatever
// the jitter drew. Time spent waiting behind an earlier row of the same
// dossier, in quiet hours or under the daily cap does not count: the window
// starts at the first real attempt.
type Backoff struct {
	Base   time.Duration
	Factor float64
	Cap    time.Duration
	Jitter float64 // 0 ≤ Jitter < 1
	MaxAge time.Duration
}

// DefaultBackoff is the schedule above.
var DefaultBackoff = Backoff{Base: 10 * time.Second, Factor: 2, Cap: time.Hour, Jitter: 0.2, MaxAge: 24 * time.Hour}

func (b Backoff) norm() Backoff {
	d := DefaultBackoff
	if b.Base > 0 {
		d.Base = b.Base
	}
	if b.Factor >= 1 {
		d.Factor = b.Factor
	}
	if b.Cap > 0 {
		d.Cap = b.Cap
	}
	if b.Jitter >= 0 && b.Jitter < 1 {
		d.Jitter = b.Jitter
	}
	if b.MaxAge > 0 {
		d.MaxAge = b.MaxAge
	}
	return d
}

// Nominal is delay(n) without jitter.
func (b Backoff) Nominal(failures int) time.Duration {
	b = b.norm()
	if failures < 1 {
		failures = 1
	}
	d := float64(b.Base) * math.Pow(b.Factor, float64(failures-1))
	if d > float64(b.Cap) || math.IsInf(d, 0) || math.IsNaN(d) {
		return b.Cap
	}
	return time.Duration(d)
}

// Delay is delay(n) for a random draw u in [0, 1).
func (b Backoff) Delay(failures int, u float64) time.Duration {
	b = b.norm()
	f := 1 - b.Jitter + 2*b.Jitter*u
	return time.Duration(float64(b.Nominal(failures)) * f)
}

// Next decides after a failed attempt: when to try again, or dead when the
// row has been failing for MaxAge. retryAfter is what the receiver asked
// for (0 when nothing).
func (b Backoff) Next(firstAttempt, now time.Time, failures int, u float64, retryAfter time.Duration) (next time.Time, dead bool) {
	b = b.norm()
	if !firstAttempt.IsZero() && now.Sub(firstAttempt) >= b.MaxAge {
		return time.Time{}, true
	}
	d := b.Delay(failures, u)
	if retryAfter > d {
		d = min(retryAfter, b.Cap)
	}
	return now.Add(d), false
}
