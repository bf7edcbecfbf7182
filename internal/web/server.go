// Package web is the HTTP adapter, the only importer of Fiber: the portal
// API, the courier sync API, the public tracking pages, the citizen's and
// staff pages, their templates and static files, and the middleware that
// every request passes (request id, logs, metrics, security headers, rate
// limits, sessions, CSRF).
package web

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/units"
	"hoso/internal/viewcache"
	"hoso/internal/web/assets"
)

// Deps are the services the adapter calls. cmd/hoso builds them.
type Deps struct {
	Log            *slog.Logger
	BaseURL        string
	Hotline        string // the telephone number citizens are told to call (HOSO_HOTLINE)
	Secure         bool   // the public URL is HTTPS: cookies get Secure and the __Host- prefix
	Demo           bool
	Now            func() time.Time
	Units          *units.Set
	Intake         *app.Intake
	Auth           *app.Auth
	Portal         *app.Portal
	Postal         *app.Postal // postal systems pulling EMSEVT records
	Idem           *app.Idempotency
	Ledger         *app.Ledger
	Citizen        *app.CitizenFlow
	Dispatch       *app.Dispatch
	Sync           *app.Sync
	Alarms         *app.Alarms
	Cases          *app.Cases
	Law            *app.Law // the legal citations the admin edits
	Devices        *app.Devices
	Hops           *app.Hops
	Papers         *app.Papers // printed papers and the public receipt check
	Money          *app.Money  // fees collected on delivery and the cash handed to offices
	KPIs           *app.KPIs   // performance indicators of offices and desks
	Accounts       *app.Accounts
	Reference      *app.Reference     // desks and post offices kept by admins
	Audit          *app.AuditLog      // the audit log viewer
	PortalAdmin    *app.PortalAdmin   // portal clients kept by admins
	StaffParcels   *app.StaffParcels  // the staff parcel view
	Proof          *app.TrackingProof // what opens a parcel's details on the public timeline // password change and reset, revocation, deactivation
	Outbox         *app.Outbox        // the outbox pages and the citizens' opt-outs
	Parties        *app.Parties       // names of the ledger's parties
	Directory      *app.Directory     // units, staff lists and per-role views the pages read
	PublicCache    *viewcache.Cache   // public timelines between requests; nil: none
	Ready          func(ctx context.Context) error
	PoolStats      func() (total, idle, timeouts uint32)
	PublicRate     int      // requests per minute per IP on public pages
	LoginRate      int      // login attempts per minute per client address (any username)
	TrustedProxies []string // addresses and CIDR prefixes of the reverse proxies in front
	RequestTimeout time.Duration
	ReadTimeout    time.Duration // to read a request once a connection is open (20 s)
	MetricsToken   string        // bearer token of /metrics; empty: direct loopback callers only
	PowBits        int           // leading zero bits a challenge needs (default 18)
	TransLog       *app.Log      // the transparency log (checkpoint, proofs, tiles)

	Calendar *app.WorkCalendar // working days: the holiday calendar and desks' Saturdays
	Self     *app.SelfService  // the citizen's self-service on the tracking page
	Dropoff  *app.Dropoff      // post office counters taking papers instead of a home visit
	// MapTiles is the dispatcher's map tile template (HOSO_MAP_TILES) and
	// MapTilesOrigin its origin, the one host the dispatch pages' CSP lets
	// images come from; empty: no tiles, no request off the server.
	MapTiles, MapTilesOrigin string
}

// check refuses Deps that lack a service: every route is registered, so a
// missing service is a wiring mistake to report at start, not a page that
// quietly disappears or fails on its first request.
func (d Deps) check() error {
	for _, m := range []struct {
		name    string
		missing bool
	}{
		{"Units", d.Units == nil}, {"Intake", d.Intake == nil}, {"Auth", d.Auth == nil}, {"Portal", d.Portal == nil}, {"Idem", d.Idem == nil},
		{"Ledger", d.Ledger == nil}, {"Citizen", d.Citizen == nil}, {"Dispatch", d.Dispatch == nil}, {"Sync", d.Sync == nil},
		{"Alarms", d.Alarms == nil}, {"Cases", d.Cases == nil}, {"Devices", d.Devices == nil}, {"Hops", d.Hops == nil},
		{"Papers", d.Papers == nil}, {"Money", d.Money == nil}, {"KPIs", d.KPIs == nil}, {"Accounts", d.Accounts == nil},
		{"Proof", d.Proof == nil}, {"Outbox", d.Outbox == nil}, {"Parties", d.Parties == nil}, {"Directory", d.Directory == nil},
		{"TransLog", d.TransLog == nil}, {"Ready", d.Ready == nil}, {"Postal", d.Postal == nil}, {"Law", d.Law == nil},
		{"Reference", d.Reference == nil}, {"Audit", d.Audit == nil}, {"PortalAdmin", d.PortalAdmin == nil}, {"StaffParcels", d.StaffParcels == nil},
		{"Calendar", d.Calendar == nil},
		{"Self", d.Self == nil},
		{"Dropoff", d.Dropoff == nil},
	} {
		if m.missing {
			return fmt.Errorf("web: Deps.%s is not set", m.name)
		}
	}
	return nil
}

// Server holds the parsed templates, assets and limiters of one app.
type Server struct {
	d       Deps
	assets  *assets.Assets
	pages   *pages
	metrics *metrics
	public  *limiter
	login   *limiter
	proof   *limiter // wrong proofs on the public timeline per client address
	proxies trustedProxies
	app     *fiber.App

	// complaints counts wrong proofs on the complaint form per parcel number.
	complaints *limiter
}

// New builds the Fiber app with every route. It fails when a template does
// not parse or names a missing asset.
func New(d Deps) (*Server, error) {
	if err := d.check(); err != nil {
		return nil, err
	}
	return build(d)
}

// build is New without the check that every service is set, for the
// package's own tests of the transport (timeouts, limits) that need no
// service.
func build(d Deps) (*Server, error) {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.RequestTimeout == 0 {
		d.RequestTimeout = 30 * time.Second
	}
	if d.ReadTimeout <= 0 {
		d.ReadTimeout = 20 * time.Second
	}
	if d.PublicRate <= 0 {
		d.PublicRate = 60
	}
	if d.LoginRate <= 0 {
		d.LoginRate = 10
	}
	if d.PowBits <= 0 {
		d.PowBits = 18
	}
	a, err := assets.New()
	if err != nil {
		return nil, err
	}
	proxies, err := parseTrustedProxies(d.TrustedProxies)
	if err != nil {
		return nil, err
	}
	s := &Server{d: d, assets: a, metrics: newMetrics(d.PoolStats), proxies: proxies,
		public: newLimiter(d.PublicRate, time.Minute, d.Now), login: newLimiter(d.LoginRate, time.Minute, d.Now),
		proof: newLimiter(proofsPerHour, time.Hour, d.Now)}
	s.complaints = newLimiter(complaintProofsPerHour, time.Hour, d.Now)
	if s.pages, err = parsePages(a); err != nil {
		return nil, err
	}
	cfg := fiber.Config{
		AppName:               "hoso",
		Immutable:             true,
		BodyLimit:             8 << 20,
		ReadTimeout:           d.ReadTimeout,
		WriteTimeout:          40 * time.Second,
		IdleTimeout:           60 * time.Second,
		ErrorHandler:          s.handleError,
		DisableStartupMessage: true,
		ReadBufferSize:        16 << 10,
	}
	if len(d.TrustedProxies) > 0 {
		// Fiber trusts X-Forwarded-Proto and -Host only from these. The
		// client address is not Fiber's c.IP() (with ProxyHeader it returns
		// the whole header, which the client writes): see clientIP.
		cfg.EnableTrustedProxyCheck = true
		cfg.TrustedProxies = d.TrustedProxies
	}
	s.app = fiber.New(cfg)
	s.closeSilentlyOnReadTimeout()
	s.routes()
	return s, nil
}

// App returns the Fiber app to listen or to test with.
func (s *Server) App() *fiber.App { return s.app }

// Routes lists every registered route (method and path), for the access
// matrix and the OpenAPI check.
func (s *Server) Routes() []fiber.Route {
	var out []fiber.Route
	for _, r := range s.app.GetRoutes(true) {
		if r.Method == fiber.MethodHead {
			continue
		}
		out = append(out, r)
	}
	return out
}
