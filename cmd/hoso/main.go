// Command hoso is the one binary of the dossier courier: it serves the API and
// pages, migrates the database, seeds the demo, plans routes and verifies the
// custody ledger.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hoso:", err)
		os.Exit(1)
	}
}

// command is one subcommand of the binary.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error
}

func commands() map[string]command {
	return map[string]command{
		"plan":          {"solve a Solomon/Gehring-Homberger VRPTW file and print the solution as JSON", cmdPlan},
		"import":        {"import offices|desks FILE.csv: post offices (code,name,commune_code,lat,lng) or one-stop desks (code,name,level,commune_code,address,hours,phone), all or nothing", cmdImport},
		"zones":         {"zones list | cover --office CODE --communes A,B [--mode center] | place --province 19: post offices' H3 zones", cmdZones},
		"export-events": {"write events as UPU EMSEVT-shaped records (--from DAY [--to DAY] --format csv|json)", cmdExportEvents},
		"bench":         {"run a benchmark against a fresh database: intake, ledger, …", cmdBench},
		"verify":        {"recompute every hash chain and daily root; exits non-zero at the first broken link (--from DAY, --seal)", cmdVerify},
		"serve":         {"serve the API and pages (HOSO_* variables configure it)", cmdServe},
		"migrate":       {"apply database migrations and load the administrative units", cmdMigrate},
		"demo":          {"migrate, seed the demo province and serve (--seed-only to stop after seeding)", cmdDemo},
		"portal":        {"portal add <id> --province <code> [--callback URL]: register a portal client", cmdPortal},
		"postal":        {"postal add <id> --province <code>|--office <code>: register a postal system pulling EMSEVT records", cmdPostal},
		"user":          {"user add <username> --role <role> [--office|--desk|--province] --password <pw>", cmdUser},
		"rekey":         {"seal every personal-data value again with HOSO_DATA_KEY, opening it with HOSO_DATA_KEY_PREVIOUS (--dry-run, --batch N); exits non-zero when a value opens with neither", cmdRekey},
		"rehash-phones": {"recompute every phone's keyed hash with HOSO_HASH_KEY from the sealed phones and move opt-outs and daily caps to it (--dry-run, --batch N)", cmdRehashPhones},

		"verify-receipt": {"check a receipt JSON (/bien-nhan/CODE.json) offline with the public key; exits non-zero when not genuine (--key, --demo)", cmdVerifyReceipt},
		"receipt-key":    {"print the public key receipts are checked with (from HOSO_RECEIPT_KEY; --demo for the demo's)", cmdReceiptKey},
		"log-key":        {"print the transparency log's note verifier key (from HOSO_LOG_KEY and HOSO_LOG_ORIGIN; --demo for the demo's)", cmdLogKey},
		"witness":        {"co-sign the transparency log's checkpoints after checking it only grew (--log URL --log-key VKEY --name NAME --state FILE); exits non-zero on a fork or a rollback", cmdWitness},
		"print":          {"print demo DIR: write one of each paper (label, receipt, manifest, …) as PDF from the demo database or samples", cmdPrint},
	}
}

// run is main without the process: arguments, environment and output are
// passed in so tests can drive every subcommand.
func run(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	cmds := commands()
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout, cmds)
		return nil
	}
	c, ok := cmds[args[0]]
	if !ok {
		usage(stderr, cmds)
		return fmt.Errorf("unknown command %q", args[0])
	}
	return c.run(ctx, args[1:], env, stdout, stderr)
}

func usage(w io.Writer, cmds map[string]command) {
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	fmt.Fprintln(w, "usage: hoso <command> [flags]")
	fmt.Fprintln(w)
	for _, n := range names {
		fmt.Fprintf(w, "  %-16s %s\n", n, cmds[n].summary)
	}
}
