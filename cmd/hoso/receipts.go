package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"hoso/internal/app"
	"hoso/internal/config"
	"hoso/internal/receipts"
)

// errNotGenuine makes `hoso verify-receipt` exit non-zero.
var errNotGenuine = errors.New("receipt is not genuine")

// wireReceipts makes the receipt signer from HOSO_RECEIPT_KEY; its After
// is the ledger's hook: a receipt is signed in the transaction of every
// pickup.collected and delivery.completed.
func (s *system) wireReceipts() error {
	key, err := receipts.NewKey(s.cfg.Keys.Receipt)
	if err != nil {
		return err
	}
	s.receipts = &app.Receipts{Store: s.db, Signer: key, PublicKey: key.Public().String(), Now: s.now, Log: s.tlog}
	return nil
}

// paperService prints the papers with the public base URL as it is now
// (with port 0 it is known only once the server listens).
func (s *system) paperService() *app.Papers {
	return app.NewPapers(s.db, s.receipts, s.units, s.cfg.BaseURL, s.now, 2)
}

// receiptKeyFrom finds the public key receipts are checked with: --key,
// then HOSO_RECEIPT_PUBLIC_KEY, then the one derived from HOSO_RECEIPT_KEY,
// then (with --demo only) the public demo key.
func receiptKeyFrom(flagKey string, demo bool, env func(string) string) (receipts.PublicKey, string, error) {
	if k := strings.TrimSpace(flagKey); k != "" {
		p, err := receipts.ParsePublicKey(k)
		return p, "--key", err
	}
	if k := strings.TrimSpace(env("HOSO_RECEIPT_PUBLIC_KEY")); k != "" {
		p, err := receipts.ParsePublicKey(k)
		if err != nil {
			return p, "", fmt.Errorf("HOSO_RECEIPT_PUBLIC_KEY: %w", err)
		}
		return p, "HOSO_RECEIPT_PUBLIC_KEY", nil
	}
	var seed []byte
	from := ""
	if v := strings.TrimSpace(env("HOSO_RECEIPT_KEY")); v != "" {
		s, err := receipts.ParseSeed(v)
		if err != nil {
			return receipts.PublicKey{}, "", fmt.Errorf("HOSO_RECEIPT_KEY: %w", err)
		}
		seed, from = s, "HOSO_RECEIPT_KEY"
	} else if demo {
		seed, from = config.DemoKeys().Receipt, "the public demo key"
	} else {
		return receipts.PublicKey{}, "", errors.New("no public key: give --key ed25519:…, set HOSO_RECEIPT_PUBLIC_KEY or HOSO_RECEIPT_KEY, or --demo for the demo's receipts")
	}
	k, err := receipts.NewKey(seed)
	if err != nil {
		return receipts.PublicKey{}, "", err
	}
	return k.Public(), from, nil
}

func cmdReceiptKey(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("receipt-key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	demo := fs.Bool("demo", false, "the demo's public key (when HOSO_RECEIPT_KEY is not set)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if env("HOSO_RECEIPT_KEY") == "" && !*demo {
		return errors.New("HOSO_RECEIPT_KEY is not set (or give --demo for the demo's key)")
	}
	k, _, err := receiptKeyFrom("", *demo, func(name string) string {
		if name == "HOSO_RECEIPT_PUBLIC_KEY" {
			return "" // print the key of the signing seed, not a configured one
		}
		return env(name)
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, k.String())
	fmt.Fprintln(stderr, "key_id", k.ID())
	return nil
}

func cmdVerifyReceipt(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("verify-receipt", flag.ContinueOnError)
	fs.SetOutput(stderr)
	key := fs.String("key", "", "public key (ed25519:BASE64, base64 or hex); default HOSO_RECEIPT_PUBLIC_KEY, else derived from HOSO_RECEIPT_KEY")
	demo := fs.Bool("demo", false, "check with the public demo key when no other key is given")
	lf := logFlags(fs)
	requireProof := fs.Bool("require-proof", false, "fail when the receipt carries no transparency log proof")
	online := fs.String("log", "", "also compare with the log as served now at this URL prefix (e.g. https://hoso.example.vn/api/v1/log): the receipt's leaf must still be where its proof says, in a tree that only grew")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hoso verify-receipt [--key KEY] [--log-key VKEY] [--witness VKEY]… [--demo] [--require-proof] [--log URL] FILE|-")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) > 1 {
		// Flags after the file name.
		file := rest[0]
		if err := fs.Parse(rest[1:]); err != nil {
			return err
		}
		rest = append([]string{file}, fs.Args()...)
	}
	if len(rest) != 1 {
		fs.Usage()
		return errors.New("verify-receipt: give one file, or - for standard input")
	}
	var raw []byte
	var err error
	if rest[0] == "-" {
		raw, err = io.ReadAll(io.LimitReader(os.Stdin, 1<<20))
	} else {
		raw, err = os.ReadFile(rest[0])
	}
	if err != nil {
		return fmt.Errorf("read receipt: %w", err)
	}
	pub, from, err := receiptKeyFrom(*key, *demo, env)
	if err != nil {
		return err
	}
	doc, err := receipts.ParseDocument(raw)
	if err != nil {
		fmt.Fprintln(stdout, "NOT GENUINE:", err)
		return errNotGenuine
	}
	if err := pub.Check(doc); err != nil {
		fmt.Fprintf(stdout, "NOT GENUINE: receipt %s: %v\n", doc.Receipt.Code, err)
		return errNotGenuine
	}
	r := doc.Receipt
	fmt.Fprintf(stdout, "GENUINE: %s %s, signed with key %s (%s)\n", r.Kind.Label(), r.Code, pub.ID(), from)
	fmt.Fprintf(stdout, "  tracking number %s, dossier %s\n", r.TrackingNumber, r.DossierCode)
	fmt.Fprintf(stdout, "  handed over %s by courier %s, %s\n", r.At.In(config.Vietnam).Format("15:04 02/01/2006"), r.CourierCode, r.OfficeName)
	fmt.Fprintf(stdout, "  %s\n", r.Summary())
	for _, d := range r.Documents {
		fmt.Fprintf(stdout, "  %2d. %s (%s): %d of %d\n", d.Line, d.Name, d.Kind.Label(), d.Count, d.Listed)
	}
	if doc.Proof == "" {
		fmt.Fprintln(stdout, "NO LOG PROOF: the receipt carries no transparency log proof (fetched before a witnessed checkpoint covered its event, or the log cannot prove it): download it again later; a receipt that never gets one is suspect")
		if *requireProof || *online != "" {
			return errNotGenuine
		}
		return nil
	}
	pol, err := lf.policy(env, *demo)
	if err != nil {
		return err
	}
	cp, index, err := doc.CheckProof(pol)
	if err != nil {
		fmt.Fprintf(stdout, "LOG PROOF FAILED: %v\n", err)
		return errNotGenuine
	}
	fmt.Fprintf(stdout, "LOG PROOF OK: event %s is leaf %d of %s at size %d (signed %s), co-signed by %s\n", r.EventID, index, cp.Origin, cp.Size,
		cp.Time.In(config.Vietnam).Format("15:04 02/01/2006"), strings.Join(cp.Witnessed, ", "))
	if *online != "" {
		leaf, _ := receipts.Leaf(r)
		if err := checkAgainstLog(ctx, *online, pol, cp, index, leaf, stdout); err != nil {
			fmt.Fprintf(stdout, "LOG CHANGED: %v\n", err)
			return errNotGenuine
		}
	}
	return nil
}
