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
	cfg      config.Config
	log      *slog.Logger
	db       *pg.DB
	units    *units.Set
	box      *secret.Box
	hasher   *secret.Hasher
	intake   *app.Intake
	auth     *app.Auth
	portal   *app.Portal
	postal   *app.Postal // postal systems pulling EMSEVT records
	idem     *app.Idempotency
	ledger   *app.Ledger
	citizen  *app.CitizenFlow
	dispatch *app.Dispatch
	sync     *app.Sync
	alarms   *app.Alarms
	devices  *app.Devices
	hops     *app.Hops
	receipts *app.Receipts // signs receipts in the ledger hook; see receipts.go
	cases    *app.Cases
	law      *app.Law
	money    *app.Money // fees collected on delivery and the cash handed to offices
	kpis     *app.KPIs  // performance indicators
	accounts *app.Accounts
	ref      *app.Reference     // desks and post offices
	portals  *app.PortalAdmin   // portal clients kept by admins
	proof    *app.TrackingProof // opens a parcel's details on the public timeline
	now      func() time.Time
	web      *web.Server        // set by serve
	views    *viewcache.Cache   // public timelines, fed by publicLn while serving
	publicLn *pg.PublicListener // the database's notifications of changes to them
	outbox   *outboxSystem
	mailbox  *app.Outbox // the outbox pages and the citizens' opt-outs
	parties  *app.Parties
	tlog     *app.Log // the transparency log; see translog.go
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
	newID := uuid.NewString
	s := &system{cfg: cfg, log: log, db: db, units: set, box: box, hasher: hasher, now: now}
	s.ledger = &app.Ledger{Store: db, Tx: db, Policy: tracking.DefaultPolicy, Now: now, NewID: newID}
	s.intake = &app.Intake{Store: db, Tx: db, Ledger: s.ledger, Units: set, Box: box, Hasher: hasher,
		S10:   app.S10Config{Pickup: cfg.S10.Pickup, Return: cfg.S10.Return, Country: cfg.S10.Country},
		Hours: tracking.ServiceHours{Start: cfg.Service.Start, End: cfg.Service.End, Days: cfg.Service.Days, Zone: config.Vietnam},
		Now:   now, NewID: newID, Demo: cfg.Demo}
	s.auth = &app.Auth{Store: db, Now: now, SessionTTL: cfg.SessionTTL, TokenTTL: cfg.TokenTTL, Key: cfg.Keys.Session,
		IdleTimeout: cfg.Security.SessionIdle,
		Policy:      app.LoginPolicy{LockAfter: cfg.Security.LoginLockAfter, Delay: cfg.Security.LoginDelay, PerMinute: cfg.Security.LoginGlobal}}
	s.accounts = &app.Accounts{Store: db, Tx: db, Auth: s.auth, Now: now}
	s.ref = &app.Reference{Store: db, Tx: db, Units: set, Now: now}
	s.proof = &app.TrackingProof{Store: db, Box: box, Now: now, Zone: config.Vietnam, PerDay: cfg.Security.ProofsPerParcel}
	s.portal = &app.Portal{Store: db, Box: box, Now: now}
	s.portals = &app.PortalAdmin{Store: db, Tx: db, Portal: s.portal, Now: now, Demo: cfg.Demo}
	s.postal = &app.Postal{Store: db, Box: box, Now: now, Signatory: cfg.Signatory}
	s.idem = &app.Idempotency{Store: db, Tx: db, Now: now}
	var sms app.SMSSender = &app.DemoSMS{Store: db, Box: box, Now: now, NewID: newID}
	if cfg.SMS.Provider == "http" && !cfg.Demo {
		// One-time codes go straight to the gateway: they cannot wait in
		// the outbox or for quiet hours.
		sms = httpGateway(cfg.Notify)
	}
	s.citizen = &app.CitizenFlow{Store: db, Intake: s.intake, SMS: sms, Now: now, Zone: config.Vietnam,
		Budget: app.CodeBudget{PerSource: cfg.Security.CodesPerSource, PerDay: cfg.Security.CodesPerDay, ChallengeAfter: cfg.Security.ChallengeAfter}}
	s.dispatch = &app.Dispatch{Store: db, Tx: db, Ledger: s.ledger, Units: set, Outlines: units.NewOutlines(), Now: now, Log: log,
		Hours: dispatch.HoursFrom(cfg.Service.Start, cfg.Service.End), Demo: cfg.Demo}
	s.intake.Zoner = s.dispatch
	s.devices = &app.Devices{Store: db, Auth: s.auth, Hasher: hasher, Box: box, SMS: sms, Now: now}
	s.sync = &app.Sync{Ledger: s.ledger, Store: db, Now: now, Check: s.devices.Check}
	s.alarms = &app.Alarms{Store: db, Now: now, Policy: app.DefaultAlarmPolicy()}
	// The server decides who may receive a release (every path: pages,
	// staff API, courier app).
	scope := &app.HandoffScope{Store: db}
	s.ledger.Guard = scope.Guard
	s.hops = &app.Hops{Store: db, Ledger: s.ledger, Intake: s.intake, Now: now, NewID: newID, Scope: scope}
	s.parties = &app.Parties{Store: db}
	s.law = &app.Law{Store: db, Now: now}
	s.cases = &app.Cases{Store: db, Tx: db, Now: now, NewID: newID, Name: s.parties.Letter, Law: s.law}
	s.money = &app.Money{Store: db, Tx: db, Units: set, Now: now}
	s.kpis = &app.KPIs{Store: db, Units: set, Now: now}
	s.mailbox = &app.Outbox{Store: db, PhoneHash: s.intake.PhoneHash, Now: now}
	if err := s.wireLog(); err != nil {
		return nil, err
	}
	if err := s.wireReceipts(); err != nil {
		return nil, err
	}
	s.ledger.Effects = s.wireOutbox()
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
		Money: s.money, KPIs: s.kpis, Accounts: s.accounts, Reference: s.ref, PortalAdmin: s.portals, StaffParcels: &app.StaffParcels{Store: s.db, Intake: s.intake}, Audit: &app.AuditLog{Store: s.db, Now: s.now}, Proof: s.proof, Outbox: s.mailbox, Parties: s.parties, Challenges: s.db, PowBits: s.cfg.Security.PowBits,
		Papers:      s.paperService(),
		Directory:   &app.Directory{Store: s.db},
		Public:      s.db,
		PublicCache: s.views,
		TransLog:    s.tlog,
		Ready:       s.db.CheckSchema,
		PoolStats: func() (uint32, uint32, uint32) {
			st := s.db.Stats()
			return st.Total, st.Idle, st.Timeouts
		},
		PublicRate: s.cfg.PublicRate, LoginRate: s.cfg.LoginRate, TrustedProxies: s.cfg.Proxies, MetricsToken: s.cfg.MetricsToken,
	}
}
