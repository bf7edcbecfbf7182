package config

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Security holds the limits that bound guessing and abuse.
type Security struct {
	SessionIdle     time.Duration // HOSO_SESSION_IDLE: a staff session unused this long ends (30m)
	LoginLockAfter  int           // HOSO_LOGIN_LOCK_AFTER: consecutive failures that lock an account (20)
	LoginDelay      time.Duration // HOSO_LOGIN_DELAY: first delay after 5 failures, doubling (1s)
	LoginGlobal     int           // HOSO_LOGIN_GLOBAL_PER_MIN: password checks per minute in all (300)
	CodesPerSource  int           // HOSO_CODE_SMS_PER_SOURCE: one-time-code SMS per client address per day (10)
	CodesPerDay     int           // HOSO_CODE_SMS_PER_DAY: one-time-code SMS per day in all (2000)
	ChallengeAfter  int           // HOSO_CODE_CHALLENGE_AFTER: codes per address and day before a proof of work (2)
	PowBits         int           // HOSO_POW_BITS: leading zero bits of the proof of work (18)
	ProofsPerParcel int           // HOSO_TRACK_PROOFS_PER_DAY: wrong proofs per parcel per day on the public page (20)
}

func (s *Security) load(env func(string) string, sessionTTL time.Duration) []string {
	*s = Security{SessionIdle: 30 * time.Minute, LoginLockAfter: 20, LoginDelay: time.Second, LoginGlobal: 300,
		CodesPerSource: 10, CodesPerDay: 2000, ChallengeAfter: 2, PowBits: 18, ProofsPerParcel: 20}
	var problems []string
	num := func(name string, dst *int, lo, hi int) {
		v := strings.TrimSpace(env(name))
		if v == "" {
			return
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			problems = append(problems, fmt.Sprintf("%s: want a whole number from %d to %d, got %q", name, lo, hi, v))
			return
		}
		*dst = n
	}
	dur := func(name string, dst *time.Duration, lo time.Duration) {
		v := strings.TrimSpace(env(name))
		if v == "" {
			return
		}
		d, err := time.ParseDuration(v)
		if err != nil || d < lo {
			problems = append(problems, fmt.Sprintf("%s: want a duration of at least %s, got %q", name, lo, v))
			return
		}
		*dst = d
	}
	dur("HOSO_SESSION_IDLE", &s.SessionIdle, time.Second)
	dur("HOSO_LOGIN_DELAY", &s.LoginDelay, time.Millisecond)
	num("HOSO_LOGIN_LOCK_AFTER", &s.LoginLockAfter, 6, 1000)
	num("HOSO_LOGIN_GLOBAL_PER_MIN", &s.LoginGlobal, 1, 1_000_000)
	num("HOSO_CODE_SMS_PER_SOURCE", &s.CodesPerSource, 1, 1_000_000)
	num("HOSO_CODE_SMS_PER_DAY", &s.CodesPerDay, 1, 100_000_000)
	num("HOSO_CODE_CHALLENGE_AFTER", &s.ChallengeAfter, 1, 1_000_000)
	num("HOSO_POW_BITS", &s.PowBits, 8, 28)
	num("HOSO_TRACK_PROOFS_PER_DAY", &s.ProofsPerParcel, 1, 1_000_000)
	if s.SessionIdle > sessionTTL {
		problems = append(problems, fmt.Sprintf("HOSO_SESSION_IDLE: %s is longer than HOSO_SESSION_TTL %s", s.SessionIdle, sessionTTL))
	}
	return problems
}

// checkProxy accepts an address ("10.0.0.5", "::1") or a CIDR prefix
// ("10.0.0.0/8") of a trusted reverse proxy.
func checkProxy(p string) error {
	if strings.Contains(p, "/") {
		if _, err := netip.ParsePrefix(p); err != nil {
			return fmt.Errorf("%q is not an address or CIDR prefix", p)
		}
		return nil
	}
	if _, err := netip.ParseAddr(p); err != nil {
		return fmt.Errorf("%q is not an address or CIDR prefix", p)
	}
	return nil
}
