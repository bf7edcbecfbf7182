package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"

	"hoso/internal/app"
	"hoso/internal/config"
	"hoso/internal/pg"
	"hoso/internal/secret"
)

// sealContext is the context the application seals a column's values with
// (secret.Box binds each value to it), given the row's primary key as text.
// The columns are pg.SealedColumns:
//
//   - parcels.phone_enc: app.SealPhone (internal/app/intake.go);
//   - citizen_flows.phone_enc: "citizen_flows.phone" (internal/app/citizen.go);
//   - sms_messages.phone_enc: "sms_messages.phone" (app.DemoSMS);
//   - portal_clients.secret_enc: app.SealPortalSecret + ":" + the portal id
//     (internal/app/portal.go);
//   - postal_clients.secret_enc: app.SealPostalSecret + ":" + the postal
//     system's id (internal/app/postal.go);
//   - notify_tokens.access_enc, notify_tokens.refresh_enc: "notify_tokens." +
//     the provider, which for the one provider there is, "zalo", is
//     internal/notify/zalo.go's sealZalo.
//
// A column missing here stops `hoso rekey` before it changes anything.
func sealContext(column, key string) (string, bool) {
	switch column {
	case "parcels.phone_enc":
		return app.SealPhone, true
	case "citizen_flows.phone_enc":
		return "citizen_flows.phone", true
	case "sms_messages.phone_enc":
		return "sms_messages.phone", true
	case "portal_clients.secret_enc", "portal_clients.previous_secret_enc":
		return app.SealPortalSecret + ":" + key, true
	case "postal_clients.secret_enc":
		return app.SealPostalSecret + ":" + key, true
	case "notify_tokens.access_enc", "notify_tokens.refresh_enc":
		return "notify_tokens." + key, true
	}
	return "", false
}

// cmdRekey seals every value of the sealed columns that is not under the
// current data key (HOSO_DATA_KEY) again with it, opening it with
// HOSO_DATA_KEY_PREVIOUS. It can run while servers run with both keys set.
func cmdRekey(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rekey", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dry := fs.Bool("dry-run", false, "count what would be sealed again; change nothing")
	batch := fs.Int("batch", 500, "rows per transaction")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || *batch < 1 {
		return errors.New("usage: hoso rekey [--dry-run] [--batch N]")
	}
	sys, err := openForCommand(ctx, env, false)
	if err != nil {
		return err
	}
	defer sys.db.Close()
	return rekey(ctx, sys.db, sys.box, sys.cfg.Keys, pg.RekeyOptions{Batch: *batch, DryRun: *dry}, stdout, stderr)
}

// rekey runs the re-sealing over every sealed column and prints a line per
// column. Values that open with neither key are listed by table and primary
// key, never by content, and make the result an error.
func rekey(ctx context.Context, db *pg.DB, box *secret.Box, keys config.Keys, o pg.RekeyOptions, stdout, stderr io.Writer) error {
	cols := pg.SealedColumns()
	for _, c := range cols {
		if _, ok := sealContext(c.Name(), ""); !ok {
			return fmt.Errorf("rekey: no sealing context known for %s", c.Name())
		}
	}
	prev := "unset: values not under the current key will fail"
	if box.HasPrevious() {
		prev = keyFingerprint(keys.DataPrevious)
	}
	mode := ""
	if o.DryRun {
		mode = " (dry run: nothing is written)"
	}
	fmt.Fprintf(stdout, "rekey: current data key %s, previous %s%s\n", keyFingerprint(keys.Data), prev, mode)
	fmt.Fprintf(stdout, "%-28s %10s %10s %8s\n", "column", "resealed", "current", "failed")
	var failed int
	for _, c := range cols {
		col := c
		n, err := db.RekeyColumn(ctx, col, o, func(key string, sealed []byte) ([]byte, error) {
			sealCtx, _ := sealContext(col.Name(), key)
			out, resealed, err := box.Reseal(sealed, []byte(sealCtx))
			if err != nil || !resealed {
				return nil, err
			}
			return out, nil
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%-28s %10d %10d %8d\n", col.Name(), n.Resealed, n.Current, n.Failed)
		for _, k := range n.FailedKeys {
			fmt.Fprintf(stderr, "rekey: %s %s=%s opens with neither key: left as it is\n", col.Name(), col.Key, k)
		}
		failed += n.Failed
	}
	if failed > 0 {
		return fmt.Errorf("rekey: %d value(s) open with neither the current nor the previous data key (listed above)", failed)
	}
	return nil
}

// keyFingerprint is how the start-up log shows a key.
func keyFingerprint(k []byte) string {
	h := sha256.Sum256(k)
	return "sha256 " + hex.EncodeToString(h[:3]) + "…"
}

// cmdRehashPhones recomputes the keyed hash of every stored phone
// (parcels.phone_hash, citizen_flows.phone_hash) with the hash key
// HOSO_HASH_KEY from the sealed phones, moves the opt-outs, daily caps and
// opt-out links of each old hash to the new one, and gives the opt-out links
// not yet sent the token the new key derives. Run it with the new
// hash key while no server writes with the old one.
func cmdRehashPhones(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("rehash-phones", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dry := fs.Bool("dry-run", false, "count what would be re-hashed; change nothing")
	batch := fs.Int("batch", 500, "rows per transaction")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 0 || *batch < 1 {
		return errors.New("usage: hoso rehash-phones [--dry-run] [--batch N]")
	}
	sys, err := openForCommand(ctx, env, false)
	if err != nil {
		return err
	}
	defer sys.db.Close()
	linkHash := func(parcelID string) []byte { return secret.TokenHash(optOutToken(sys.hasher, parcelID)) }
	return rehashPhones(ctx, sys.db, sys.box, sys.intake.PhoneHash, linkHash, sys.cfg.Keys, pg.RekeyOptions{Batch: *batch, DryRun: *dry}, stdout, stderr)
}

// rehashPhones runs the re-hash over the phone columns and prints a line per
// column, then the opt-outs and counters no stored phone matches; it gives
// the opt-out links not yet sent the token hash linkHash derives with the
// new key (links already sent keep theirs and keep working).
func rehashPhones(ctx context.Context, db *pg.DB, box *secret.Box, hash, linkHash func(string) []byte, keys config.Keys,
	o pg.RekeyOptions, stdout, stderr io.Writer) error {
	mode := ""
	if o.DryRun {
		mode = " (dry run: nothing is written)"
	}
	fmt.Fprintf(stdout, "rehash-phones: hash key %s, phones opened with data key %s%s\n", keyFingerprint(keys.Hash), keyFingerprint(keys.Data), mode)
	fmt.Fprintf(stdout, "%-28s %10s %10s %8s\n", "column", "rehashed", "current", "failed")
	var failed int
	for _, c := range pg.PhoneHashColumns() {
		col := c
		sealCtx, ok := sealContext(col.Name(), "")
		if !ok {
			return fmt.Errorf("rehash-phones: no sealing context known for %s", col.Name())
		}
		n, err := db.RehashPhones(ctx, col, o, func(_ string, sealed, stored []byte) ([]byte, error) {
			phone, err := box.Open(sealed, []byte(sealCtx))
			if err != nil {
				return nil, err
			}
			if h := hash(string(phone)); !secret.Equal(h, stored) {
				return h, nil
			}
			return nil, nil
		})
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%-28s %10d %10d %8d\n", col.Name(), n.Resealed, n.Current, n.Failed)
		for _, k := range n.FailedKeys {
			fmt.Fprintf(stderr, "rehash-phones: %s %s=%s: the phone opens with no data key: its hash is left as it is\n", col.Table, col.Key, k)
		}
		failed += n.Failed
	}
	relinked, current, err := db.RelinkOptOuts(ctx, o.DryRun, linkHash)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "opt-out links not yet sent, given the new key's token / already current: %d / %d\n", relinked, current)
	optouts, counters, err := db.UnmatchedPhoneHashes(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "opt-outs / phones with daily counters that no stored phone matches (cannot be re-hashed): %d / %d\n", optouts, counters)
	if failed > 0 {
		return fmt.Errorf("rehash-phones: %d phone(s) open with no data key (listed above)", failed)
	}
	return nil
}
