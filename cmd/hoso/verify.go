package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"hoso/internal/app"
	"hoso/internal/config"
)

// errBroken makes `hoso verify` exit non-zero.
var errBroken = errors.New("ledger verification failed")

func cmdVerify(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "check parcels with activity since this day (YYYY-MM-DD) and the roots from it on; default everything")
	seal := fs.Bool("seal", false, "first store the roots of finished days that have none")
	checkpoint := fs.String("checkpoint", "", "hold the transparency log to this checkpoint file (a witness's state file, or one a portal kept) instead of the latest witnessed one in the database")
	lf := logFlags(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	var trusted []byte
	if *checkpoint != "" {
		b, err := os.ReadFile(*checkpoint)
		if err != nil {
			return fmt.Errorf("--checkpoint: %w", err)
		}
		trusted = b
	}
	var since time.Time
	if *from != "" {
		d, err := time.ParseInLocation("2006-01-02", *from, config.Vietnam)
		if err != nil {
			return fmt.Errorf("--from: want YYYY-MM-DD, got %q", *from)
		}
		since = d
	}
	sys, err := openForCommand(ctx, env, true)
	if err != nil {
		return err
	}
	defer sys.db.Close()
	pol := sys.tlog.Policy
	if *lf.logKey != "" || len(*lf.witnesses) > 0 {
		if pol, err = lf.policy(env, false); err != nil {
			return err
		}
	}
	v := &app.Verifier{Store: sys.db, Now: sys.now, Zone: config.Vietnam, Projections: sys.db,
		Log: &app.LogAudit{Store: sys.db, Policy: pol}, Trusted: trusted}
	if *seal {
		n, err := v.SealDays(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "sealed %d day(s)\n", n)
	}
	start := time.Now()
	rep, err := v.Verify(ctx, since, func(p, e int) {
		fmt.Fprintf(stderr, "\rchecked %d parcels, %d events", p, e)
	})
	fmt.Fprintln(stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "parcels %d, events %d, daily roots %d, log leaves %d, checkpoints %d, %.1fs\n", rep.Parcels, rep.Events, rep.Roots,
		rep.Log.Leaves, rep.Log.Checkpoints, time.Since(start).Seconds())
	for _, w := range rep.Log.Warnings {
		fmt.Fprintf(stdout, "WARNING: %s\n", w)
	}
	if rep.Break != nil {
		fmt.Fprintf(stdout, "BROKEN: %s\n", rep.Break)
		return errBroken
	}
	if rep.ProjectionBreak != "" {
		fmt.Fprintf(stdout, "BROKEN: projection: %s\n", rep.ProjectionBreak)
		return errBroken
	}
	if rep.RootBreak != "" {
		fmt.Fprintf(stdout, "BROKEN: %s\n", rep.RootBreak)
		return errBroken
	}
	if rep.Log.Break != "" {
		fmt.Fprintf(stdout, "BROKEN: transparency log: %s\n", rep.Log.Break)
		return errBroken
	}
	fmt.Fprintln(stdout, "OK: every chain, daily root and projection verifies; every event is in the transparency log")
	if rep.Log.Source != "" {
		fmt.Fprintf(stdout, "OK: the log's %d leaves give the root of %s (size %d, co-signed by %s)\n", rep.Log.Leaves, rep.Log.Source,
			rep.Log.Trusted.Size, strings.Join(rep.Log.TrustedBy, ", "))
	}
	return nil
}
