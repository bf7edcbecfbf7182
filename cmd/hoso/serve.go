package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"time"

	"hoso/internal/app"
	"hoso/internal/config"
	"hoso/internal/units"
)

func cmdServe(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := config.Load(env, false)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, stdout, nil)
}

// serve runs the server until ctx ends. ready, when not nil, receives the
// bound address once the listener is up.
func serve(ctx context.Context, cfg config.Config, stdout io.Writer, ready func(addr string, sys *system)) error {
	log := newLogger(stdout, cfg.LogLevel)
	log.Info("starting", "config", cfg)
	if len(cfg.Proxies) > 0 && cfg.MetricsToken == "" {
		log.Warn("HOSO_TRUSTED_PROXIES is set without HOSO_METRICS_TOKEN: /metrics answers 403 to everyone")
	}
	sys, err := open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer sys.db.Close()
	if err := sys.prepare(ctx); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Addr, err)
	}
	if cfg.BaseURLDerived {
		// With port 0 (tests) the public URL is known only now.
		host, port, _ := net.SplitHostPort(ln.Addr().String())
		if h, _, _ := net.SplitHostPort(cfg.Addr); h == "" {
			host = "localhost"
		}
		cfg.BaseURL = "http://" + net.JoinHostPort(host, port)
		sys.cfg.BaseURL = cfg.BaseURL
	}
	srv, err := sys.webServer()
	if err != nil {
		ln.Close()
		return err
	}
	sys.web = srv
	if err := srv.ExportFuncs(cacheMetrics(sys.views)...); err != nil {
		ln.Close()
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.App().Listener(ln) }()
	go sys.housekeeping(ctx)
	go sys.sweepAlarms(ctx, 30*time.Second)
	go sys.runOutbox(ctx)
	go sys.publicLn.Run(ctx, sys.views)
	logDone := make(chan struct{})
	go sys.runLog(ctx, logDone)
	log.Info("listening", "addr", ln.Addr().String(), "base_url", cfg.BaseURL)
	if ready != nil {
		ready(ln.Addr().String(), sys)
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	if err := srv.App().ShutdownWithTimeout(15 * time.Second); err != nil {
		log.Error("shutdown", "err", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, net.ErrClosed) {
		return err
	}
	// The last events get their leaf index and a checkpoint before the
	// pool closes.
	<-logDone
	log.Info("stopped")
	return nil
}

// housekeeping prunes nonces, idempotency keys and sessions now and then,
// applies the retention policy (docs/operations.md section 4) and seals the
// daily roots.
func (s *system) housekeeping(ctx context.Context) {
	t := time.NewTicker(10 * time.Minute)
	defer t.Stop()
	policy := app.DefaultRetention(config.Vietnam)
	for {
		now := s.now()
		if err := s.db.PruneNonces(ctx, now.Add(-11*time.Minute)); err != nil && ctx.Err() == nil {
			s.log.Warn("prune nonces", "err", err)
		}
		if err := s.db.PruneIdem(ctx, now.Add(-48*time.Hour)); err != nil && ctx.Err() == nil {
			s.log.Warn("prune idempotency keys", "err", err)
		}
		if err := s.db.PruneSessions(ctx, now); err != nil && ctx.Err() == nil {
			s.log.Warn("prune sessions", "err", err)
		}
		if err := s.db.PruneLoginThrottle(ctx, now.Add(-24*time.Hour)); err != nil && ctx.Err() == nil {
			s.log.Warn("prune login failures", "err", err)
		}
		if err := s.db.PruneCounters(ctx, now.In(config.Vietnam).AddDate(0, 0, -2)); err != nil && ctx.Err() == nil {
			s.log.Warn("prune counters", "err", err)
		}
		// Counts only: the job never logs personal data.
		if c, err := s.db.Retain(ctx, now, policy); err != nil && ctx.Err() == nil {
			s.log.Warn("retention", append([]any{"err", err}, c.LogArgs()...)...)
		} else if c.Total() > 0 {
			s.log.Info("retention", c.LogArgs()...)
		}
		v := &app.Verifier{Store: s.db, Now: s.now, Zone: config.Vietnam}
		if n, err := v.SealDays(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("seal daily roots", "err", err)
		} else if n > 0 {
			s.log.Info("sealed daily roots", "days", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func cmdMigrate(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	create := fs.Bool("create-db", false, "create the database first if it does not exist")
	if err := fs.Parse(args); err != nil {
		return err
	}
	// Migrating needs no secrets; load with demo keys allowed but unused.
	cfg, err := config.Load(env, true)
	if err != nil {
		return err
	}
	return migrate(ctx, cfg, *create, stdout)
}

func migrate(ctx context.Context, cfg config.Config, create bool, stdout io.Writer) error {
	if create {
		made, err := pgCreateDatabase(ctx, cfg.DatabaseURL)
		if err != nil {
			return err
		}
		if made {
			fmt.Fprintln(stdout, "created database")
		}
	}
	log := newLogger(io.Discard, cfg.LogLevel)
	sys, err := open(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer sys.db.Close()
	applied, err := sys.db.Migrate(ctx)
	for _, a := range applied {
		fmt.Fprintln(stdout, "applied", a)
	}
	if err != nil {
		return err
	}
	set, err := units.Load()
	if err != nil {
		return err
	}
	if err := sys.db.SyncUnits(ctx, set); err != nil {
		return err
	}
	for _, l := range []string{cfg.S10.Pickup, cfg.S10.Return} {
		if err := sys.db.EnsureS10Service(ctx, l); err != nil {
			return err
		}
	}
	cur, _, err := sys.db.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "schema at version %d; %d provinces and %d communes loaded\n", cur, len(set.Provinces()), len(set.Communes()))
	return nil
}

// sweepAlarms runs the alarm sweep every interval until ctx ends.
func (s *system) sweepAlarms(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		st, err := s.alarms.Sweep(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Warn("alarm sweep", "err", err)
		case st.Raised+st.Cleared+st.Escalated > 0:
			s.log.Info("alarm sweep", "raised", st.Raised, "cleared", st.Cleared, "escalated", st.Escalated, "ms", st.Took.Milliseconds())
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
