package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"hoso/internal/app"
	"hoso/internal/config"
	"hoso/internal/translog"
)

// wireLog makes the transparency log from HOSO_LOG_KEY and the witnesses'
// keys.
func (s *system) wireLog() error {
	key, err := translog.NewLogKey(s.cfg.Keys.Log, s.cfg.Log.Origin)
	if err != nil {
		return err
	}
	if s.cfg.Keys.LogPrevious != nil {
		// A rotation: both keys sign until every checker has the new one.
		if key, err = key.WithPrevious(s.cfg.Keys.LogPrevious); err != nil {
			return err
		}
	}
	vkeys := append(key.Vkeys(), s.cfg.Log.Retired...)
	pol, err := translog.NewPolicy(strings.Join(vkeys, ","), s.cfg.Log.Witnesses, s.cfg.Log.Quorum)
	if err != nil {
		return fmt.Errorf("HOSO_LOG_RETIRED_KEYS: %w", err)
	}
	s.tlog = &app.Log{Store: s.db, Key: key, Policy: pol, Now: s.now, Logger: s.log}
	return nil
}

// runLog sequences and signs checkpoints until ctx ends, then once more;
// done is closed when it has.
func (s *system) runLog(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	s.tlog.Run(ctx, s.cfg.Log.SequenceEvery, s.cfg.Log.CheckpointEvery)
}

// logKeyFrom derives the log's key from HOSO_LOG_KEY (or the demo's with
// demo) and HOSO_LOG_ORIGIN / HOSO_BASE_URL, as the server does.
func logKeyFrom(env func(string) string, demo bool) (*translog.LogKey, error) {
	if strings.TrimSpace(env("HOSO_LOG_KEY")) == "" && !demo {
		return nil, errors.New("HOSO_LOG_KEY is not set (or give --demo for the demo's key)")
	}
	cfg, err := config.Load(func(k string) string {
		switch k {
		case "HOSO_LOG_KEY", "HOSO_LOG_ORIGIN", "HOSO_BASE_URL", "HOSO_ADDR":
			return env(k)
		}
		return "" // only the log's settings matter here
	}, true)
	if err != nil {
		return nil, err
	}
	if !demo && strings.TrimSpace(env("HOSO_LOG_KEY")) == "" {
		return nil, errors.New("HOSO_LOG_KEY is not set")
	}
	return translog.NewLogKey(cfg.Keys.Log, cfg.Log.Origin)
}

func cmdLogKey(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("log-key", flag.ContinueOnError)
	fs.SetOutput(stderr)
	demo := fs.Bool("demo", false, "the demo's log key (when HOSO_LOG_KEY is not set)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	k, err := logKeyFrom(env, *demo)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, k.Vkey())
	fmt.Fprintln(stderr, "origin", k.Origin())
	if v := strings.TrimSpace(env("HOSO_LOG_RETIRED_KEYS")); v != "" {
		fmt.Fprintln(stderr, "retired keys (checkers need them for older checkpoints):", v)
	}
	return nil
}

// logFlagSet holds the flags naming the keys a log checker trusts.
type logFlagSet struct {
	logKey    *string
	witnesses *stringList
	quorum    *int
}

type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

func logFlags(fs *flag.FlagSet) logFlagSet {
	var w stringList
	fs.Var(&w, "witness", "a witness's verifier key (repeat for each); default HOSO_LOG_WITNESSES")
	return logFlagSet{
		logKey:    fs.String("log-key", "", "the transparency log's verifier key (what `hoso log-key` prints); default HOSO_LOG_PUBLIC_KEY, else derived from HOSO_LOG_KEY"),
		witnesses: &w,
		quorum:    fs.Int("quorum", 0, "witness cosignatures required (default: every witness given)"),
	}
}

// policy builds what the checker trusts from the flags, then the
// environment (HOSO_LOG_PUBLIC_KEY or HOSO_LOG_KEY, HOSO_LOG_WITNESSES,
// HOSO_LOG_QUORUM), then, with demo, the demo's log key.
func (f logFlagSet) policy(env func(string) string, demo bool) (*translog.Policy, error) {
	vkey := strings.TrimSpace(*f.logKey)
	if vkey == "" {
		vkey = strings.TrimSpace(env("HOSO_LOG_PUBLIC_KEY"))
	}
	if vkey == "" {
		k, err := logKeyFrom(env, demo)
		if err != nil {
			return nil, fmt.Errorf("no log key: give --log-key (what `hoso log-key` prints) or set HOSO_LOG_PUBLIC_KEY: %w", err)
		}
		vkey = k.Vkey()
	}
	ws := []string(*f.witnesses)
	if len(ws) == 0 {
		ws = strings.FieldsFunc(env("HOSO_LOG_WITNESSES"), func(r rune) bool { return r == ',' || r == ' ' || r == '\n' })
	}
	q := *f.quorum
	if q == 0 && len(*f.witnesses) == 0 {
		if v := strings.TrimSpace(env("HOSO_LOG_QUORUM")); v != "" {
			if _, err := fmt.Sscan(v, &q); err != nil {
				return nil, fmt.Errorf("HOSO_LOG_QUORUM: %w", err)
			}
		}
	}
	return translog.NewPolicy(vkey, ws, q)
}

// checkAgainstLog compares a saved proof with the log as served now: the
// current checkpoint, signed by the log, must extend the saved one
// (consistency proof), and the log must still prove the same leaf at the
// same index under the saved checkpoint's root. A rewritten log fails one
// of the two; the proofs come from the server but are checked here.
func checkAgainstLog(ctx context.Context, prefix string, pol *translog.Policy, saved translog.Signed, index int64, leaf []byte, out io.Writer) error {
	c := witnessClient{prefix: strings.TrimRight(prefix, "/"), http: &http.Client{Timeout: 30 * time.Second}}
	body, err := c.get(ctx, "/checkpoint")
	if err != nil {
		return err
	}
	now, err := pol.Open(body)
	if err != nil {
		return fmt.Errorf("the log's checkpoint does not verify: %w", err)
	}
	var proof []translog.Hash
	if now.Size > saved.Size {
		if proof, err = c.consistency(ctx, saved.Size, now.Size); err != nil {
			return err
		}
	}
	if err := translog.CheckAdvance(saved.Checkpoint, now.Checkpoint, proof); err != nil {
		return err
	}
	b, err := c.get(ctx, fmt.Sprintf("/proof/inclusion?index=%d&size=%d", index, saved.Size))
	if err != nil {
		return fmt.Errorf("the log no longer proves leaf %d: %w", index, err)
	}
	var inc struct {
		Hashes []string `json:"hashes"`
	}
	if err := json.Unmarshal(b, &inc); err != nil || len(inc.Hashes) > 63 {
		return fmt.Errorf("inclusion proof: %v", err)
	}
	hs := make([]translog.Hash, len(inc.Hashes))
	for i, s := range inc.Hashes {
		if hs[i], err = translog.ParseHash(s); err != nil {
			return fmt.Errorf("inclusion proof: %w", err)
		}
	}
	if err := translog.CheckInclusion(hs, saved.Size, saved.Root, index, translog.LeafHash(leaf)); err != nil {
		return fmt.Errorf("the log as served now does not hold the receipt's event at leaf %d under the saved checkpoint: %w", index, err)
	}
	fmt.Fprintf(out, "LOG OK NOW: the log at size %d still holds the event at leaf %d and only grew since the receipt's checkpoint\n", now.Size, index)
	if pol.Quorum > 0 && !pol.Witnessed(now) {
		fmt.Fprintf(out, "note: the log's current checkpoint is not co-signed by the witnesses yet (%d of %d)\n", len(now.Witnessed), pol.Quorum)
	}
	return nil
}
