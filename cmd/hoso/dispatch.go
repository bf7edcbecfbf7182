package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"hoso/internal/app"
	"hoso/internal/errs"
)

// cliAdmin is the party the command line acts as: an administrator of every
// office.
var cliAdmin = app.User{Username: "cli", Role: app.RoleAdmin, StaffCode: "CLI", Active: true}

// printFields writes an application error's field messages, one a line.
func printFields(w io.Writer, err error) {
	f := errs.FieldsOf(err)
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(w, "  %s: %s\n", k, f[k])
	}
}

// cmdImport imports reference data, all or nothing, audited:
// `hoso import offices FILE.csv` reads post offices
// (code,name,commune_code,lat,lng), `hoso import desks FILE.csv` one-stop
// desks (code,name,level,commune_code,address,hours,phone).
func cmdImport(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	usage := errors.New("usage: hoso import offices FILE.csv   (header code,name,commune_code,lat,lng; - reads stdin)\n" +
		"       hoso import desks FILE.csv     (header code,name,level,commune_code,address,hours,phone; level province|commune)")
	if len(args) != 2 || (args[0] != "offices" && args[0] != "desks") {
		return usage
	}
	what := args[0]
	var r io.Reader = os.Stdin
	if args[1] != "-" {
		f, err := os.Open(args[1])
		if err != nil {
			return fmt.Errorf("import %s: %w", what, err)
		}
		defer f.Close()
		r = f
	}
	sys, err := openForCommand(ctx, env, false)
	if err != nil {
		return err
	}
	defer sys.db.Close()
	var res app.ImportResult
	if what == "desks" {
		res, err = sys.ref.ImportDesks(ctx, cliAdmin, r)
	} else {
		res, err = sys.ref.ImportOffices(ctx, cliAdmin, r)
	}
	if err != nil {
		if msg := errs.MessageOf(err); msg != "" {
			fmt.Fprintln(stderr, msg)
			printFields(stderr, err)
		}
		return fmt.Errorf("import %s: nothing imported", what)
	}
	fmt.Fprintf(stdout, "%s: %d created, %d updated\n", what, res.Created, res.Updated)
	return nil
}

// cmdZones lists zones or covers communes for an office.
func cmdZones(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	usage := errors.New("usage: hoso zones list | hoso zones cover --office CODE --communes 05443,05455 [--mode center|full|overlapping] [--replace] [--skip-taken] | hoso zones place --province 19")
	if len(args) == 0 {
		return usage
	}
	switch args[0] {
	case "list":
		sys, err := openForCommand(ctx, env, false)
		if err != nil {
			return err
		}
		defer sys.db.Close()
		zs, err := sys.dispatch.Zones(ctx, cliAdmin)
		if err != nil {
			return err
		}
		for _, z := range zs {
			fmt.Fprintf(stdout, "%-12s %4d cells  ~%4.0f km²  %s\n", z.Office.Code, z.Cells, z.AreaKm2, z.Office.Name)
		}
		return nil
	case "cover":
		fs := flag.NewFlagSet("zones cover", flag.ContinueOnError)
		fs.SetOutput(stderr)
		office := fs.String("office", "", "post office code (required)")
		communes := fs.String("communes", "", "commune codes, comma-separated (required)")
		mode := fs.String("mode", "center", "which border cells count: center, full or overlapping")
		replace := fs.Bool("replace", false, "replace the office's zone instead of adding to it")
		skip := fs.Bool("skip-taken", false, "leave out cells another office has instead of failing")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		if *office == "" || *communes == "" {
			return usage
		}
		sys, err := openForCommand(ctx, env, false)
		if err != nil {
			return err
		}
		defer sys.db.Close()
		res, err := sys.dispatch.CoverCommunes(ctx, cliAdmin, app.CoverRequest{Office: *office, Communes: strings.Split(*communes, ","),
			Mode: *mode, Replace: *replace, SkipTaken: *skip})
		if err != nil {
			if msg := errs.MessageOf(err); msg != "" {
				fmt.Fprintln(stderr, msg)
				printFields(stderr, err)
			}
			return fmt.Errorf("zones cover: zone of %s unchanged", *office)
		}
		fmt.Fprintf(stdout, "%s: %d cells (%d added, %d removed, %d skipped as taken)\n", res.Office, res.Cells, res.Added, res.Removed, res.Skipped)
		return nil
	case "place":
		fs := flag.NewFlagSet("zones place", flag.ContinueOnError)
		fs.SetOutput(stderr)
		province := fs.String("province", "", "province code (\"\" for every province)")
		if err := fs.Parse(args[1:]); err != nil {
			return err
		}
		sys, err := openForCommand(ctx, env, false)
		if err != nil {
			return err
		}
		defer sys.db.Close()
		n, err := sys.dispatch.PlaceUnzoned(ctx, cliAdmin, *province)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%d requests placed in an office's zone\n", n)
		return nil
	}
	return usage
}
