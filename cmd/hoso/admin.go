package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/pg"
)

func pgCreateDatabase(ctx context.Context, url string) (bool, error) {
	return pg.CreateDatabase(ctx, url)
}

// parseInterleaved parses flags that may come after positional arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func cmdPortal(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "add" {
		return errors.New("usage: hoso portal add <id> --province <code> [--name NAME] [--callback URL] [--shape hoso|opencps]")
	}
	fs := flag.NewFlagSet("portal add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	province := fs.String("province", "", "province code (two digits) whose desks this portal may address")
	name := fs.String("name", "", "display name")
	callback := fs.String("callback", "", "URL that receives status callbacks")
	shape := fs.String("shape", "hoso", "shape of the callbacks: hoso (ours) or opencps (the national portal's DongBoHoSoMC)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return errors.New("usage: hoso portal add <id> --province <code> [--name NAME] [--callback URL] [--shape hoso|opencps]")
	}
	sys, err := openForCommand(ctx, env, false)
	if err != nil {
		return err
	}
	defer sys.db.Close()
	if _, ok := sys.units.Province(*province); !ok {
		return fmt.Errorf("unknown province %q", *province)
	}
	// The same rule as the portal pages: https, a public address.
	cb, err := app.CheckCallbackURL(ctx, *callback, sys.cfg.Demo, false, nil)
	if err != nil {
		return fmt.Errorf("%s", errs.MessageOf(err))
	}
	c, sec, err := sys.portal.Register(ctx, app.PortalClient{ID: pos[0], Name: *name, ProvinceCode: *province, CallbackURL: cb, CallbackShape: *shape})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "portal: %s\nprovince: %s\n", c.ID, c.ProvinceCode)
	fmt.Fprintf(stdout, "secret: %s\n", sec)
	fmt.Fprintln(stderr, "Keep the secret safe: it is shown only once.")
	return nil
}

func cmdUser(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	usage := errors.New("usage: hoso user add <username> --role <admin|dispatcher|courier|post_office|desk> [--office CODE|--desk CODE|--province CODE] --password PW [--name NAME] [--staff-code CODE]")
	if len(args) == 0 || args[0] != "add" {
		return usage
	}
	fs := flag.NewFlagSet("user add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "", "role")
	office := fs.String("office", "", "post office code (courier, post_office, dispatcher)")
	desk := fs.String("desk", "", "desk code (desk)")
	province := fs.String("province", "", "province code (dispatcher without office)")
	password := fs.String("password", "", "password (at least 10 characters)")
	name := fs.String("name", "", "full name")
	staff := fs.String("staff-code", "", "staff code printed on receipts (default: the username in capitals)")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usage
	}
	sys, err := openForCommand(ctx, env, false)
	if err != nil {
		return err
	}
	defer sys.db.Close()
	u, err := sys.auth.CreateUser(ctx, app.NewUser{Username: pos[0], Password: *password, FullName: *name, StaffCode: *staff,
		Role: app.Role(strings.TrimSpace(*role)), OfficeCode: *office, DeskCode: *desk, ProvinceCode: *province})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "user: %s\nrole: %s\nstaff_code: %s\n", u.Username, u.Role, u.StaffCode)
	return nil
}

func cmdPostal(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	usage := errors.New("usage: hoso postal add <id> (--province <code> | --office <code>) [--name NAME]")
	if len(args) == 0 || args[0] != "add" {
		return usage
	}
	fs := flag.NewFlagSet("postal add", flag.ContinueOnError)
	fs.SetOutput(stderr)
	province := fs.String("province", "", "province code (two digits): the events of every parcel handled in it")
	office := fs.String("office", "", "post office code: the events of the parcels this office handles")
	name := fs.String("name", "", "display name")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usage
	}
	sys, err := openForCommand(ctx, env, false)
	if err != nil {
		return err
	}
	defer sys.db.Close()
	if *province != "" {
		if _, ok := sys.units.Province(*province); !ok {
			return fmt.Errorf("unknown province %q", *province)
		}
	}
	c, sec, err := sys.postal.CreateClient(ctx, pos[0], *name, *province, *office, false)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "postal: %s\nscope: %s\n", c.ID, c.Scope())
	fmt.Fprintf(stdout, "secret: %s\n", sec)
	fmt.Fprintln(stderr, "Keep the secret safe: it is shown only once.")
	return nil
}
