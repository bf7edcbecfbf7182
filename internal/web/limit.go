package web

import (
	"strconv"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/errs"
)

// limiter is a fixed-window counter per key, in memory. Each server instance
// counts on its own; behind a load balancer with n instances the effective
// limit is at most n times the setting.
type limiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	windows map[string]*window
	swept   time.Time
}

type window struct {
	start time.Time
	n     int
}

func newLimiter(max int, w time.Duration, now func() time.Time) *limiter {
	return &limiter{max: max, window: w, now: now, windows: map[string]*window{}}
}

// allow counts one request for key and reports whether it is within the
// limit, and if not, how long until it is.
func (l *limiter) allow(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > l.window {
		for k, w := range l.windows {
			if now.Sub(w.start) >= l.window {
				delete(l.windows, k)
			}
		}
		l.swept = now
	}
	w, ok := l.windows[key]
	if !ok || now.Sub(w.start) >= l.window {
		w = &window{start: now}
		l.windows[key] = w
	}
	w.n++
	if w.n > l.max {
		return false, w.start.Add(l.window).Sub(now)
	}
	return true, 0
}

// blocked reports, without counting, whether key has used up its budget,
// and if so how long until the window ends.
func (l *limiter) blocked(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	w, ok := l.windows[key]
	if !ok || now.Sub(w.start) >= l.window || w.n < l.max {
		return false, 0
	}
	return true, w.start.Add(l.window).Sub(now)
}

// rateLimit limits requests per client address (behind a trusted proxy,
// the client it forwarded for).
func (s *Server) rateLimit(l *limiter) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ok, wait := l.allow(s.clientIP(c))
		if !ok {
			secs := int(wait.Seconds()) + 1
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
			return errs.E(errs.RateLimited, "Quá nhiều yêu cầu. Vui lòng thử lại sau %d giây.", secs)
		}
		return c.Next()
	}
}
