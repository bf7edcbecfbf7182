package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"hoso/internal/receipts"
	"hoso/internal/translog"
)

// errRefused makes `hoso witness` exit non-zero: the log forked or rolled
// back, and the witness did not co-sign.
var errRefused = errors.New("witness refused to co-sign")

// witnessClient fetches from a log's URL prefix.
type witnessClient struct {
	prefix string
	http   *http.Client
}

func (w witnessClient) get(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.prefix+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := w.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %d %.200s", path, resp.StatusCode, b)
	}
	return b, nil
}

// consistency fetches a consistency proof from the log.
func (w witnessClient) consistency(ctx context.Context, from, to int64) ([]translog.Hash, error) {
	b, err := w.get(ctx, fmt.Sprintf("/proof/consistency?from=%d&to=%d", from, to))
	if err != nil {
		return nil, err
	}
	var out struct {
		Hashes []string `json:"hashes"`
	}
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, fmt.Errorf("consistency proof: %w", err)
	}
	if len(out.Hashes) > 63 {
		return nil, errors.New("consistency proof: more than 63 hashes")
	}
	hs := make([]translog.Hash, len(out.Hashes))
	for i, s := range out.Hashes {
		h, err := translog.ParseHash(s)
		if err != nil {
			return nil, fmt.Errorf("consistency proof: %w", err)
		}
		hs[i] = h
	}
	return hs, nil
}

// witness is one run's settings.
type witness struct {
	client witnessClient
	policy *translog.Policy // the log's key only
	key    *translog.WitnessKey
	state  string
	submit bool
	out    io.Writer
}

// round fetches the log's checkpoint, checks it extends the one accepted
// last (consistency proof), co-signs it, submits the cosignature and
// keeps the new checkpoint. A fork or a rollback returns errRefused and
// keeps the state as it was.
func (w *witness) round(ctx context.Context) error {
	body, err := w.client.get(ctx, "/checkpoint")
	if err != nil {
		return err
	}
	next, err := w.policy.Open(body)
	if err != nil {
		fmt.Fprintf(w.out, "REFUSED: the log's checkpoint does not verify with its key: %v\n", err)
		return fmt.Errorf("%w: %v", errRefused, err)
	}
	old, hasOld, err := w.load()
	if err != nil {
		return err
	}
	if hasOld {
		var proof []translog.Hash
		if next.Size > old.Size {
			if proof, err = w.client.consistency(ctx, old.Size, next.Size); err != nil {
				return err
			}
		}
		if err := translog.CheckAdvance(old.Checkpoint, next.Checkpoint, proof); err != nil {
			fmt.Fprintf(w.out, "REFUSED: %v\n  accepted before: size %d root %s (signed %s)\n  offered now:     size %d root %s (signed %s)\n",
				err, old.Size, old.Root, old.Time.Format(time.RFC3339), next.Size, next.Root, next.Time.Format(time.RFC3339))
			return fmt.Errorf("%w: %v", errRefused, err)
		}
		if next.Time.Before(old.Time) && next.Size > old.Size {
			fmt.Fprintf(w.out, "note: the new checkpoint's time %s is before the last one's %s\n", next.Time, old.Time)
		}
	} else {
		fmt.Fprintf(w.out, "first checkpoint of %s: accepted without history (trust on first use)\n", next.Origin)
	}
	line, err := w.key.Cosign(next.Text())
	if err != nil {
		return err
	}
	if w.submit {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.client.prefix+"/cosignature",
			bytes.NewReader(append(append(next.Text(), '\n'), line...)))
		if err != nil {
			return err
		}
		req.Header.Set("Content-Type", "text/plain; charset=utf-8")
		resp, err := w.client.http.Do(req)
		if err != nil {
			return fmt.Errorf("submit cosignature: %w", err)
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("submit cosignature: %d %.200s", resp.StatusCode, b)
		}
	}
	// The state is the checkpoint as this witness co-signed it: anyone
	// (hoso verify --checkpoint) can hold the log to it.
	if err := w.save(append(append([]byte(nil), next.Note...), line...)); err != nil {
		return err
	}
	fmt.Fprintf(w.out, "OK: co-signed %s size %d root %s\n", next.Origin, next.Size, next.Root)
	return nil
}

// load reads the last accepted checkpoint from the state file.
func (w *witness) load() (translog.Signed, bool, error) {
	b, err := os.ReadFile(w.state)
	if errors.Is(err, os.ErrNotExist) {
		return translog.Signed{}, false, nil
	}
	if err != nil {
		return translog.Signed{}, false, fmt.Errorf("witness state: %w", err)
	}
	s, err := w.policy.Open(b)
	if err != nil {
		return translog.Signed{}, false, fmt.Errorf("witness state %s: %w", w.state, err)
	}
	return s, true, nil
}

// save replaces the state file atomically.
func (w *witness) save(note []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(w.state), ".witness-*")
	if err != nil {
		return fmt.Errorf("witness state: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(note); err != nil {
		tmp.Close()
		return fmt.Errorf("witness state: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("witness state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("witness state: %w", err)
	}
	return os.Rename(tmp.Name(), w.state)
}

func cmdWitness(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("witness", flag.ContinueOnError)
	fs.SetOutput(stderr)
	logURL := fs.String("log", "", "the log's URL prefix, e.g. https://hoso.example.vn/api/v1/log")
	logKey := fs.String("log-key", "", "the log's verifier key (what `hoso log-key` prints); default HOSO_LOG_PUBLIC_KEY")
	name := fs.String("name", "", "this witness's name, a schema-less URL such as congdvc.thainguyen.gov.vn/witness")
	keyFile := fs.String("key-file", "", "file holding this witness's 32-byte Ed25519 seed (hex or base64); default HOSO_WITNESS_KEY")
	state := fs.String("state", "", "file keeping the last checkpoint accepted (created on the first run)")
	every := fs.Duration("every", 0, "run again at this interval until stopped (default: once)")
	printKey := fs.Bool("print-key", false, "print this witness's verifier key (for the log's HOSO_LOG_WITNESSES) and stop")
	noSubmit := fs.Bool("no-submit", false, "check and keep state, but do not send the cosignature to the log")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: hoso witness --log URL --log-key VKEY --name NAME --state FILE [--key-file FILE] [--every 1m]")
		fmt.Fprintln(stderr, "       hoso witness --print-key --name NAME [--key-file FILE]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	seedText := env("HOSO_WITNESS_KEY")
	if *keyFile != "" {
		b, err := os.ReadFile(*keyFile)
		if err != nil {
			return fmt.Errorf("--key-file: %w", err)
		}
		seedText = string(b)
	}
	if strings.TrimSpace(seedText) == "" {
		return errors.New("witness key: set HOSO_WITNESS_KEY or give --key-file (32 random bytes, e.g. `openssl rand -hex 32`)")
	}
	seed, err := receipts.ParseSeed(seedText)
	if err != nil {
		return fmt.Errorf("witness key: %w", err)
	}
	key, err := translog.NewWitnessKey(seed, *name, nil)
	if err != nil {
		return err
	}
	if *printKey {
		fmt.Fprintln(stdout, key.Vkey())
		return nil
	}
	if *logKey == "" {
		*logKey = strings.TrimSpace(env("HOSO_LOG_PUBLIC_KEY"))
	}
	if *logURL == "" || *logKey == "" || *state == "" {
		fs.Usage()
		return errors.New("witness: --log, --log-key and --state are required")
	}
	pol, err := translog.NewPolicy(*logKey, nil, 0)
	if err != nil {
		return err
	}
	w := &witness{client: witnessClient{prefix: strings.TrimRight(*logURL, "/"), http: &http.Client{Timeout: 30 * time.Second}},
		policy: pol, key: key, state: *state, submit: !*noSubmit, out: stdout}
	if *every <= 0 {
		return w.round(ctx)
	}
	t := time.NewTicker(*every)
	defer t.Stop()
	for {
		if err := w.round(ctx); errors.Is(err, errRefused) {
			return err
		} else if err != nil {
			fmt.Fprintln(stderr, "witness:", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}
