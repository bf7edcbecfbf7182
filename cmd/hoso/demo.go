package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"hoso/internal/config"
	"hoso/internal/demo"
)

func cmdDemo(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seedOnly := fs.Bool("seed-only", false, "migrate and seed, then exit")
	pickups := fs.Int("pickups", 300, "pickup requests to seed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	denv := func(k string) string {
		if k == "HOSO_DATABASE_URL" && env(k) == "" {
			return "postgres://postgres@127.0.0.1:5432/hoso_demo?sslmode=disable"
		}
		if k == "HOSO_CALLBACK_ALLOW_PRIVATE" && env(k) == "" {
			return "on" // the demo's portals listen on this machine
		}
		return env(k)
	}
	cfg, err := config.Load(denv, true)
	if err != nil {
		return err
	}
	if err := migrate(ctx, cfg, true, io.Discard); err != nil {
		return err
	}
	sys, err := open(ctx, cfg, newLogger(io.Discard, cfg.LogLevel))
	if err != nil {
		return err
	}
	if err := sys.prepare(ctx); err != nil {
		sys.db.Close()
		return err
	}
	seeder := &demo.Seeder{Store: sys.db, Wiring: sys.wiring, Seed: 2026}
	fmt.Fprintln(stdout, "Seeding the demo province (Thái Nguyên)…")
	res, err := seeder.Run(ctx, *pickups)
	sys.db.Close()
	if err != nil {
		return err
	}
	printDemo(stdout, cfg, res)
	if *seedOnly {
		return nil
	}
	return serve(ctx, cfg, stdout, nil)
}

func printDemo(w io.Writer, cfg config.Config, res demo.Result) {
	line := strings.Repeat("─", 64)
	fmt.Fprintln(w, line)
	if res.Created {
		fmt.Fprintf(w, "Demo seeded: %d pickup requests.\n", res.Pickups)
	} else {
		fmt.Fprintln(w, "Demo already seeded; reusing it.")
	}
	fmt.Fprintf(w, "Database:        %s\n", cfg.DatabaseURL)
	fmt.Fprintf(w, "Home:            %s/\n", cfg.BaseURL)
	fmt.Fprintf(w, "Citizen request: %s/yeu-cau\n", cfg.BaseURL)
	fmt.Fprintf(w, "Tracking:        %s/tra-cuu\n", cfg.BaseURL)
	fmt.Fprintf(w, "Staff login:     %s/dang-nhap\n", cfg.BaseURL)
	fmt.Fprintf(w, "Courier app:     %s/buu-ta\n", cfg.BaseURL)
	fmt.Fprintf(w, "Demo SMS inbox:  %s/nhan-vien/tin-nhan (signed in as quantri: the citizens' one-time codes)\n", cfg.BaseURL)
	fmt.Fprintf(w, "API document:    %s/api/v1/openapi.json\n", cfg.BaseURL)
	fmt.Fprintln(w, "Logins (username / password / role):")
	for _, a := range demo.Accounts {
		fmt.Fprintf(w, "  %-10s %-20s %s\n", a.Username, a.Password, a.Role)
	}
	fmt.Fprintf(w, "Portal client:   %s\n", res.PortalID)
	fmt.Fprintf(w, "secret: %s\n", res.PortalSecret)
	fmt.Fprintln(w, "Demo keys are public: never use this database for real data.")
	fmt.Fprintln(w, line)
}
