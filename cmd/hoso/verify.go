package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
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
	if err := fs.Parse(args); err != nil {
		return err
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
	v := &app.Verifier{Store: sys.db, Now: sys.now, Zone: config.Vietnam}
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
	fmt.Fprintf(stdout, "parcels %d, events %d, daily roots %d, %.1fs\n", rep.Parcels, rep.Events, rep.Roots, time.Since(start).Seconds())
	if rep.Break != nil {
		fmt.Fprintf(stdout, "BROKEN: %s\n", rep.Break)
		return errBroken
	}
	if rep.RootBreak != "" {
		fmt.Fprintf(stdout, "BROKEN: %s\n", rep.RootBreak)
		return errBroken
	}
	fmt.Fprintln(stdout, "OK: every chain and root verifies")
	return nil
}
