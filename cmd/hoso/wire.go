package main

import (
	"context"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"

	"hoso/dispatch"
	"hoso/internal/app"
	"hoso/internal/config"
	"hoso/internal/pg"
	"hoso/internal/secret"
	"hoso/internal/units"
	"hoso/internal/viewcache"
	"hoso/internal/web"
	"hoso/tracking"
)

// system is every service wired together over one database pool.
type system struct {
	cfg       config.Config
	log       *slog.Logger
	db        *pg.DB
	units     *units.Set
	box       *secret.Box
	hasher    *secret.Hasher
	intake    *app.Intake
	auth      *app.Auth
	portal    *app.Portal
	idem      *app.Idempotency
	ledger    *app.Ledger
	citizen   *app.CitizenFlow
	dispatch  *app.Dispatch
	sync      *app.Sync
	alarms    *app.Alarms
	devices   *app.Devices
	hops      *app.Hops
	receipts  *app.Receipts // signs receipts in the ledger hook; see receipts.go
	cases     *app.Cases
	money     *app.Money // fees collected on delivery and the cash handed to offices
	kpis      *app.KPIs  // performance indicators
	accounts  *app.Accounts
	proof     *app.TrackingProof // opens a parcel's details on the public timeline
	now       func() time.Time
	web       *web.Server        // set by serve
	views     *viewcache.Cache   // public timelines, fed by publicLn while serving
	publicLn  *pg.PublicListener // the database's notifications of changes to them
	outbox    *outboxSystem
	mailbox   *app.Outbox // the outbox pages and the citizens' opt-outs
	parties   *app.Parties
	directory *app.Directory
	postal    *app.Postal       // postal systems pulling EMSEVT records
	law       *app.Law          // the legal citations
	ref       *app.Reference    // desks and post offices
	portals   *app.PortalAdmin  // portal clients kept by admins
	staff     *app.StaffParcels // the staff parcel view
	self      *app.SelfService  // the citizen's self-service
	audit     *app.AuditLog     // the audit log viewer
	calendar  *app.WorkCalendar // working days
	dropoff   *app.Dropoff      // post office counters taking papers (counter drop-off)
	wiring    app.Wiring        // what the services were built from (the demo seeder builds its own from it)
	tlog      *app.Log          // the transparency log; see translog.go
}

func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// open connects and wires the services; the caller closes sys.db.
// openForCommand loads the configuration (demo secrets allowed only with
// allowDemo) and opens the system for a one-off command, refusing a schema
// that is not current; the caller closes sys.db.
func openForCommand(ctx context.Context, env func(string) string, allowDemo bool) (*system, error) {
	cfg, err := config.Load(env, allowDemo)
	if err != nil {
		return nil, err
	}
	sys, err := open(ctx, cfg, newLogger(io.Discard, cfg.LogLevel))
	if err != nil {
		return nil, err
	}
	if err := sys.db.CheckSchema(ctx); err != nil {
		sys.db.Close()
		return nil, err
	}
	return sys, nil
}

func open(ctx context.Context, cfg config.Config, log *slog.Logger) (*system, error) {
	db, err := pg.Open(ctx, cfg.DatabaseURL, pg.Options{PoolSize: cfg.DBPoolSize,
		DirectURL: cfg.Pool.DirectURL, TransactionPooling: cfg.Pool.Transaction})
	if err != nil {
		return nil, err
	}
	sys, err := wire(cfg, log, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	return sys, nil
}

func wire(cfg config.Config, log *slog.Logger, db *pg.DB) (*system, error) {
	set, err := units.Load()
	if err != nil {
		return nil, err
	}
	// Seals with the data key; opens with it or, during a rotation, with
	// HOSO_DATA_KEY_PREVIOUS (`hoso rekey` moves the values to the new key).
	box, err := secret.NewRotatingBox(cfg.Keys.Data, cfg.Keys.DataPrevious)
	if err != nil {
		return nil, err
	}
	hasher, err := secret.NewHasher(cfg.Keys.Hash)
	if err != nil {
		return nil, err
	}
	now := time.Now
	s := &system{cfg: cfg, log: log, db: db, units: set, box: box, hasher: hasher, now: now}
	var sms app.SMSSender = &app.DemoSMS{Store: db, Box: box, Now: now, NewID: uuid.NewString}
	if cfg.SMS.Provider == "http" && !cfg.Demo {
		// One-time codes go straight to the gateway: they cannot wait in
		// the outbox or for quiet hours.
		sms = httpGateway(cfg.Notify)
	}
	// The ledger's hooks exist before the services: the transparency log,
	// the receipts signed in the transaction of every pickup.collected and
	// delivery.completed, and the outbox rows of every event.
	if err := s.wireLog(); err != nil {
		return nil, err
	}
	if err := s.wireReceipts(); err != nil {
		return nil, err
	}
	effects := s.wireOutbox()
	s.wiring = app.Wiring{
		Store: db, Units: set, Box: box, Hasher: hasher, Now: now, NewID: uuid.NewString, Log: log, Demo: cfg.Demo,
		Policy: tracking.DefaultPolicy,
		S10:    app.S10Config{Pickup: cfg.S10.Pickup, Return: cfg.S10.Return, Country: cfg.S10.Country},
		Hours:  tracking.ServiceHours{Start: cfg.Service.Start, End: cfg.Service.End, Days: cfg.Service.Days, Zone: config.Vietnam},
		SMS:    sms, Effects: effects, After: s.receipts.After,
		SessionTTL: cfg.SessionTTL, TokenTTL: cfg.TokenTTL, SessionIdle: cfg.Security.SessionIdle, SessionKey: cfg.Keys.Session,
		Login:        app.LoginPolicy{LockAfter: cfg.Security.LoginLockAfter, Delay: cfg.Security.LoginDelay, PerMinute: cfg.Security.LoginGlobal},
		ProofsPerDay: cfg.Security.ProofsPerParcel, Zone: config.Vietnam,
		CodeBudget:    app.CodeBudget{PerSource: cfg.Security.CodesPerSource, PerDay: cfg.Security.CodesPerDay, ChallengeAfter: cfg.Security.ChallengeAfter},
		DispatchHours: dispatch.HoursFrom(cfg.Service.Start, cfg.Service.End), Outlines: units.NewOutlines(),
		Signatory: cfg.Signatory,
	}
	svc := app.NewServices(s.wiring)
	s.ledger, s.intake, s.auth, s.accounts, s.proof, s.portal, s.idem = svc.Ledger, svc.Intake, svc.Auth, svc.Accounts, svc.Proof, svc.Portal, svc.Idem
	s.citizen, s.dispatch, s.devices, s.sync, s.alarms, s.hops = svc.Citizen, svc.Dispatch, svc.Devices, svc.Sync, svc.Alarms, svc.Hops
	s.cases, s.money, s.kpis, s.mailbox, s.parties, s.directory = svc.Cases, svc.Money, svc.KPIs, svc.Outbox, svc.Parties, svc.Directory
	s.postal, s.law, s.ref, s.portals, s.staff, s.audit = svc.Postal, svc.Law, svc.Reference, svc.Portals, svc.Staff, svc.Audit
	s.calendar = svc.Calendar
	s.self = svc.Self
	s.dropoff = svc.Dropoff
	s.outbox.connectPortals(s.portal)
	s.publicLn = db.NewPublicListener(log)
	s.views = viewcache.New(viewcache.Options{TTL: time.Minute, Sync: s.publicLn.Sync})
	return s, nil
}

// prepare readies the database for serving: the schema must be current and
// the S10 sequences of the configured letters must exist.
func (s *system) prepare(ctx context.Context) error {
	if err := s.db.CheckSchema(ctx); err != nil {
		return err
	}
	for _, l := range []string{s.cfg.S10.Pickup, s.cfg.S10.Return} {
		if err := s.db.EnsureS10Service(ctx, l); err != nil {
			return err
		}
	}
	return s.tlog.CheckOrigin(ctx)
}

func (s *system) webServer() (*web.Server, error) { return web.New(s.webDeps()) }

// webDeps are the web adapter's services.
func (s *system) webDeps() web.Deps {
	return web.Deps{
		Log: s.log, BaseURL: s.cfg.BaseURL, Hotline: s.cfg.Citizen.Hotline, Secure: s.cfg.Secure(), Demo: s.cfg.Demo, Now: s.now,
		Units: s.units, Intake: s.intake, Auth: s.auth, Portal: s.portal, Postal: s.postal, Idem: s.idem, Ledger: s.ledger, Citizen: s.citizen,
		Dispatch: s.dispatch, Sync: s.sync, Alarms: s.alarms, Cases: s.cases, Law: s.law, Devices: s.devices, Hops: s.hops,
		Money: s.money, KPIs: s.kpis, Accounts: s.accounts, Reference: s.ref, PortalAdmin: s.portals, StaffParcels: s.staff, Audit: s.audit,
		Proof: s.proof, Outbox: s.mailbox, Parties: s.parties, PowBits: s.cfg.Security.PowBits,
		Dropoff:  s.dropoff,
		MapTiles: s.cfg.MapTiles.URL, MapTilesOrigin: s.cfg.MapTiles.Origin,
		Papers:      s.paperService(),
		Directory:   s.directory,
		PublicCache: s.views,
		Self:        s.self,
		TransLog:    s.tlog,
		Calendar:    s.calendar,
		Ready:       s.db.CheckSchema,
		PoolStats: func() (uint32, uint32, uint32) {
			st := s.db.Stats()
			return st.Total, st.Idle, st.Timeouts
		},
		PublicRate: s.cfg.PublicRate, LoginRate: s.cfg.LoginRate, TrustedProxies: s.cfg.Proxies, MetricsToken: s.cfg.MetricsToken,
	}
}
