package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"hoso/internal/app"
	"hoso/internal/config"
	"hoso/labels"
)

// cmdPrint is `hoso print demo DIR`: one of each paper from the demo
// database when it is reachable, else from labels.SampleDocuments().
func cmdPrint(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "demo" {
		fmt.Fprintln(stderr, "usage: hoso print demo [--samples] DIR")
		return errors.New("print: the only subcommand is demo")
	}
	fs := flag.NewFlagSet("print demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	samplesOnly := fs.Bool("samples", false, "use labels.SampleDocuments() even if the demo database is reachable")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "usage: hoso print demo [--samples] DIR")
		return errors.New("print demo: give the folder to write to")
	}
	dir := fs.Arg(0)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("print demo: %w", err)
	}
	created := time.Now().UTC().Truncate(time.Second)
	samples := labels.SampleDocuments()

	var fromDB map[string]app.Paper
	if *samplesOnly {
		fmt.Fprintln(stdout, "Using labels.SampleDocuments() (--samples).")
	} else {
		denv := func(k string) string {
			if k == "HOSO_DATABASE_URL" && env(k) == "" {
				return "postgres://postgres@127.0.0.1:5432/hoso_demo?sslmode=disable"
			}
			return env(k)
		}
		cfg, err := config.Load(denv, true)
		if err != nil {
			return err
		}
		papers, skipped, err := demoPapers(ctx, cfg)
		if err != nil {
			fmt.Fprintf(stdout, "Demo database not usable (%v): using labels.SampleDocuments().\n", err)
		} else {
			fmt.Fprintf(stdout, "Using the demo database %s; papers it has no row for come from labels.SampleDocuments().\n", redactURL(cfg.DatabaseURL))
			for file, why := range skipped {
				fmt.Fprintf(stdout, "  (%s from the database failed: %v)\n", file, why)
			}
			fromDB = papers
		}
	}
	for _, sd := range samples {
		path := filepath.Join(dir, sd.File)
		if p, ok := fromDB[sd.File]; ok {
			if err := os.WriteFile(path, p.Body, 0o644); err != nil {
				return fmt.Errorf("print demo: %w", err)
			}
			fmt.Fprintf(stdout, "  %-24s %-28s demo database (%s)\n", sd.File, sd.Title, p.File)
			continue
		}
		var buf bytes.Buffer
		if err := sd.Render(&buf, labels.Options{Created: created, Demo: true}); err != nil {
			return fmt.Errorf("print demo: %s: %w", sd.File, err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("print demo: %w", err)
		}
		fmt.Fprintf(stdout, "  %-24s %-28s sample data (labels.SampleDocuments)\n", sd.File, sd.Title)
	}
	fmt.Fprintf(stdout, "Wrote %d PDFs to %s\n", len(samples), dir)
	return nil
}

// demoPapers renders every paper the demo database has a row for, as an
// admin would download it, keyed by the sample's file name; skipped says
// why a paper that has a row could not be printed from it.
func demoPapers(ctx context.Context, cfg config.Config) (papers map[string]app.Paper, skipped map[string]error, err error) {
	octx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	sys, err := open(octx, cfg, newLogger(io.Discard, cfg.LogLevel))
	if err != nil {
		return nil, nil, err
	}
	defer sys.db.Close()
	if err := sys.db.CheckSchema(octx); err != nil {
		return nil, nil, err
	}
	sm, err := sys.db.FindPaperSamples(octx)
	if err != nil {
		return nil, nil, err
	}
	p := sys.paperService()
	admin := app.User{Role: app.RoleAdmin, StaffCode: "DEMO"}
	papers, skipped = map[string]app.Paper{}, map[string]error{}
	steps := []struct {
		file   string
		ok     bool
		render func() (app.Paper, error)
	}{
		{"nhan-buu-gui.pdf", sm.LabelNumber != "", func() (app.Paper, error) { return p.Label(ctx, admin, sm.LabelNumber) }},
		{"giay-bien-nhan.pdf", sm.ReceiptNumber != "", func() (app.Paper, error) { return p.Receipt(ctx, admin, sm.ReceiptNumber) }},
		{"bien-ban-ban-giao.pdf", sm.ManifestCode != "", func() (app.Paper, error) { return p.Manifest(ctx, admin, sm.ManifestCode) }},
		{"phieu-giao-ket-qua.pdf", sm.DeliveryNumber != "", func() (app.Paper, error) { return p.DeliveryReceipt(ctx, admin, sm.DeliveryNumber) }},
		{"tui-hanh-trinh.pdf", sm.RouteCourier != "", func() (app.Paper, error) { return p.RoutePack(ctx, admin, sm.RouteCourier, sm.RouteDay) }},
		{"bang-ke-thu-ho.pdf", sm.FeeCourier != "", func() (app.Paper, error) { return p.FeeStatement(ctx, admin, sm.FeeCourier, sm.FeeDay) }},
	}
	// A pickup not yet collected still has its pre-filled receipt.
	if sm.ReceiptNumber == "" && sm.LabelNumber != "" {
		steps[1].ok = true
		steps[1].render = func() (app.Paper, error) { return p.Receipt(ctx, admin, sm.LabelNumber) }
	}
	for _, st := range steps {
		if !st.ok {
			continue
		}
		paper, err := st.render()
		if err != nil {
			skipped[st.file] = err
			continue
		}
		papers[st.file] = paper
	}
	return papers, skipped, nil
}

// redactURL hides a database password.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}
