package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"hoso/internal/app"
	"hoso/internal/config"
)

func cmdExportEvents(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("export-events", flag.ContinueOnError)
	fs.SetOutput(stderr)
	from := fs.String("from", "", "first day (YYYY-MM-DD, Vietnam time); required")
	to := fs.String("to", "", "last day included (default: the first day)")
	format := fs.String("format", "csv", "csv or json")
	out := fs.String("out", "-", "file to write, - for standard output")
	all := fs.Bool("all", false, "include internal events that have no UPU code")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *from == "" {
		return fmt.Errorf("--from is required")
	}
	f, err := time.ParseInLocation("2006-01-02", *from, config.Vietnam)
	if err != nil {
		return fmt.Errorf("--from: want YYYY-MM-DD")
	}
	t := f
	if *to != "" {
		if t, err = time.ParseInLocation("2006-01-02", *to, config.Vietnam); err != nil {
			return fmt.Errorf("--to: want YYYY-MM-DD")
		}
	}
	if t.Before(f) {
		return fmt.Errorf("--to is before --from")
	}
	sys, err := openForCommand(ctx, env, true)
	if err != nil {
		return err
	}
	defer sys.db.Close()
	w := stdout
	if *out != "-" {
		file, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer file.Close()
		w = file
	}
	n, err := app.ExportEvents(ctx, sys.db, w, f, t.AddDate(0, 0, 1), *format, *all, sys.cfg.Signatory)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "exported %d events\n", n)
	return nil
}
