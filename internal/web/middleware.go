package web

import (
	"context"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
)

type ctxKey int

const (
	keyRequestID ctxKey = iota
	keyLogger
)

// RequestID returns the request id carried by ctx.
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(keyRequestID).(string)
	return id
}

// Logger returns the request's logger (with its request id) or the default.
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(keyLogger).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

var requestIDPattern = regexp.MustCompile(`^[A-Za-z0-9-]{8,64}$`)

// base is the first middleware: request id, a request context with a
// deadline and a logger, the access log line and the metrics.
func (s *Server) base(c *fiber.Ctx) error {
	start := time.Now()
	id := c.Get(fiber.HeaderXRequestID)
	if !requestIDPattern.MatchString(id) {
		id = uuid.NewString()
	}
	c.Set(fiber.HeaderXRequestID, id)
	log := s.d.Log.With("request_id", id)
	ctx, cancel := context.WithTimeout(context.Background(), s.d.RequestTimeout)
	defer cancel()
	ctx = context.WithValue(ctx, keyRequestID, id)
	ctx = context.WithValue(ctx, keyLogger, log)
	c.SetUserContext(ctx)

	err := c.Next()
	if err != nil {
		// Let the error handler write the response now so the log and the
		// metrics see the final status.
		if herr := s.handleError(c, err); herr != nil {
			log.Error("error handler failed", "err", herr)
			c.Status(fiber.StatusInternalServerError)
		}
	}
	status := c.Response().StatusCode()
	route := c.Route().Path
	if route == "" || route == "/" && c.Path() != "/" {
		route = "unmatched"
	}
	dur := time.Since(start)
	s.metrics.observe(c.Method(), route, status, dur)
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelError
	}
	if !strings.HasPrefix(c.Path(), "/static/") || status >= 400 {
		// Paths of public pages may hold a tracking number, never personal
		// data; query strings are not logged at all.
		log.Log(ctx, level, "request", "method", c.Method(), "path", c.Path(), "route", route,
			"status", status, "ms", float64(dur.Microseconds())/1000, "ip", s.clientIP(c))
	}
	return nil
}

// securityHeaders sets the CSP and friends on every response.
func (s *Server) securityHeaders(c *fiber.Ctx) error {
	h := &c.Response().Header
	script := "script-src 'self'"
	if strings.HasPrefix(c.Path(), "/buu-ta") {
		// The courier app runs the barcode reader compiled to WebAssembly.
		script += " 'wasm-unsafe-eval'"
	}
	img := "img-src 'self' data: blob:"
	if s.d.MapTilesOrigin != "" && strings.HasPrefix(c.Path(), dispatchBase+"/") {
		// The dispatcher's map tiles (HOSO_MAP_TILES), from that host only.
		img += " " + s.d.MapTilesOrigin
	}
	h.Set("Content-Security-Policy", "default-src 'self'; "+script+"; style-src 'self'; "+img+"; font-src 'self'; "+
		"connect-src 'self'; worker-src 'self'; manifest-src 'self'; media-src 'self' blob:; object-src 'none'; base-uri 'none'; "+
		"frame-ancestors 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Permissions-Policy", "geolocation=(self), camera=(self), microphone=(), payment=()")
	if s.d.Secure {
		h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
	}
	return c.Next()
}

// noStore marks responses that carry personal or per-user data.
func noStore(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Next()
}

// recoverPanics turns a panic into a 500 with the request id, logged with
// its stack, so one bad request never takes the server down.
func (s *Server) recoverPanics(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			Logger(c.UserContext()).Error("panic", "panic", r, "stack", stack())
			err = fiber.NewError(fiber.StatusInternalServerError, "panic")
		}
	}()
	return c.Next()
}
