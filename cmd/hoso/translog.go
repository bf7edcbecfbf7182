package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

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
	pol, err := translog.NewPolicy(key.Vkey(), s.cfg.Log.Witnesses, s.cfg.Log.Quorum)
	if err != nil {
		return err
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
	return nil
}
