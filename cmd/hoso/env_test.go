package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/internal/config"
	"hoso/internal/pg"
	"hoso/internal/pg/pgtest"
	"hoso/internal/testenv"
)

// testKeys are fixed non-demo keys for tests.
var testKeys = map[string]string{
	"HOSO_DATA_KEY":    strings.Repeat("11", 32),
	"HOSO_HASH_KEY":    strings.Repeat("22", 32),
	"HOSO_SESSION_KEY": strings.Repeat("33", 32),
	"HOSO_RECEIPT_KEY": strings.Repeat("44", 32),
	"HOSO_LOG_KEY":     strings.Repeat("55", 32),
}

// testEnv is a real server (the binary's own wiring) on a fresh database.
type testEnv struct {
	t      *testing.T
	base   string
	sys    *system
	db     *pg.DB
	url    string
	logs   *syncBuffer
	secret string // of portal client "dvc-test"
	cancel context.CancelFunc
	done   chan error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// envFunc builds an environment lookup from a map over testKeys.
func envFunc(extra map[string]string) func(string) string {
	return func(k string) string {
		if v, ok := extra[k]; ok {
			return v
		}
		return testKeys[k]
	}
}

// allLogs collects every test server's log so a final test can search it
// for personal data.
var allLogs struct {
	mu   sync.Mutex
	logs []*syncBuffer
}

// startServer migrates a fresh database, seeds the fixture and serves it on
// 127.0.0.1:0 until the test ends.
func startServer(t *testing.T, extra map[string]string) *testEnv {
	t.Helper()
	name := pgtest.NewDatabase(t)
	url := pgtest.URLFor(name)
	vars := map[string]string{"HOSO_DATABASE_URL": url, "HOSO_ADDR": "127.0.0.1:0", "HOSO_PUBLIC_RATE_PER_MIN": "100000", "HOSO_LOGIN_RATE_PER_MIN": "1000",
		// Every test calls from 127.0.0.1: the per-source budgets would meet
		// across unrelated tests' steps. The security tests set their own.
		"HOSO_CODE_CHALLENGE_AFTER": "100000", "HOSO_CODE_SMS_PER_SOURCE": "100000",
		// The tests' portals listen on 127.0.0.1.
		"HOSO_CALLBACK_ALLOW_PRIVATE": "on"}
	for k, v := range extra {
		vars[k] = v
	}
	cfg, err := config.Load(envFunc(vars), false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e := &testEnv{t: t, url: url, logs: &syncBuffer{}, cancel: cancel, done: make(chan error, 1)}
	allLogs.mu.Lock()
	allLogs.logs = append(allLogs.logs, e.logs)
	allLogs.mu.Unlock()
	if err := migrate(ctx, cfg, false, io.Discard); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		e.done <- serve(ctx, cfg, e.logs, func(addr string, sys *system) {
			e.base = "http://" + addr
			e.sys = sys
			cfg.BaseURL = e.base
			close(ready)
		})
	}()
	select {
	case <-ready:
	case err := <-e.done:
		t.Fatalf("server did not start: %v\n%s", err, e.logs.String())
	case <-time.After(20 * time.Second):
		t.Fatal("server did not start in 20 s")
	}
	e.db = e.sys.db
	t.Cleanup(func() {
		cancel()
		select {
		case <-e.done:
		case <-time.After(20 * time.Second):
			t.Error("server did not stop")
		}
	})
	e.seed()
	return e
}

// seed makes the fixture: desks in Thái Nguyên and Hà Nội, post offices,
// one user per role, a portal client for province 19.
func (e *testEnv) seed() {
	t, ctx := e.t, context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(e.db.UpsertDesk(ctx, app.Desk{Code: "TN-TTPVHCC", Name: "Trung tâm Phục vụ hành chính công tỉnh Thái Nguyên", Level: "province", CommuneCode: "05443", ProvinceCode: "19", PostalCode: "24001"}))
	must(e.db.UpsertDesk(ctx, app.Desk{Code: "TN-MC-05455", Name: "Bộ phận một cửa phường Quyết Thắng", Level: "commune", CommuneCode: "05455", ProvinceCode: "19", PostalCode: "24455"}))
	must(e.db.UpsertDesk(ctx, app.Desk{Code: "HN-MC-00004", Name: "Bộ phận một cửa phường Ba Đình", Level: "commune", CommuneCode: "00004", ProvinceCode: "01"}))
	must(e.db.UpsertOffice(ctx, app.PostOffice{Code: "BC-05443", Name: "Bưu cục Phan Đình Phùng", CommuneCode: "05443", ProvinceCode: "19", Lat: 21.5887, Lng: 105.8338, PostalCode: "24443"}))
	must(e.db.UpsertOffice(ctx, app.PostOffice{Code: "BC-05488", Name: "Bưu cục Đại Phúc", CommuneCode: "05488", ProvinceCode: "19", Lat: 21.5765, Lng: 105.7095, PostalCode: "24488"}))
	for _, u := range []app.NewUser{
		{Username: "quantri", Role: app.RoleAdmin},
		{Username: "dieuphoi", Role: app.RoleDispatcher, OfficeCode: "BC-05443"},
		{Username: "buucuc", Role: app.RoleOffice, OfficeCode: "BC-05443"},
		{Username: "buuta1", Role: app.RoleCourier, OfficeCode: "BC-05443", FullName: "Bưu tá Một"},
		{Username: "buuta2", Role: app.RoleCourier, OfficeCode: "BC-05488", FullName: "Bưu tá Hai"},
		{Username: "motcua", Role: app.RoleDesk, DeskCode: "TN-TTPVHCC"},
		{Username: "motcuaxa", Role: app.RoleDesk, DeskCode: "TN-MC-05455"},
	} {
		u.Password = "mat-khau-" + u.Username
		if u.FullName == "" {
			u.FullName = "Cán bộ " + u.Username
		}
		_, err := e.sys.auth.CreateUser(ctx, u)
		must(err)
	}
	_, sec, err := e.sys.portal.CreateClient(ctx, "dvc-test", "Cổng thử nghiệm", "19", "", false)
	must(err)
	e.secret = sec
}

// count returns a count query's value.
func (e *testEnv) count(q string, args ...any) int {
	e.t.Helper()
	n, err := e.db.CountForTest(context.Background(), q, args...)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// rows counts what a refused request must not have written.
func (e *testEnv) rows() map[string]int {
	m := map[string]int{}
	for _, tb := range []string{"parcels", "events", "dossiers", "idempotency_keys", "parcel_documents", "pickup_windows", "custody", "outbox"} {
		m[tb] = e.count("SELECT count(*) FROM " + tb)
	}
	return m
}

// repoRoot is the directory with go.mod.
func repoRoot(t *testing.T) string {
	t.Helper()
	return testenv.RepoRoot(t)
}

// browser runs an e2e scenario against the test server and returns its
// result. Missing browser tools fail the test (testenv.Browser).
func (e *testEnv) browser(scenario string, data any) json.RawMessage {
	t := e.t
	t.Helper()
	root, _ := testenv.Browser(t)
	b, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(root, "e2e", "out")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", "e2e/run.mjs", scenario, "--base", e.base, "--out", out, "--data", string(b), "--timeout", "180000")
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.Output()
	var res struct {
		OK          bool            `json:"ok"`
		Error       string          `json:"error"`
		Screenshots []string        `json:"screenshots"`
		Result      json.RawMessage `json:"result"`
	}
	if jerr := json.Unmarshal(bytes.TrimSpace(lastLine(stdout)), &res); jerr != nil || !res.OK {
		t.Fatalf("browser scenario %s failed: %v %s\nstderr:\n%s\nserver log tail:\n%s", scenario, err, res.Error, stderr.String(), tail(e.logs.String(), 3000))
	}
	t.Logf("scenario %s: screenshots %v", scenario, res.Screenshots)
	return res.Result
}

func lastLine(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if i := bytes.LastIndexByte(b, '\n'); i >= 0 {
		return b[i+1:]
	}
	return b
}

func tail(s string, n int) string {
	if len(s) > n {
		return s[len(s)-n:]
	}
	return s
}

// get fetches a URL of the test server.
func (e *testEnv) get(path string) (*http.Response, []byte) {
	e.t.Helper()
	resp, err := http.Get(e.base + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func (e *testEnv) String() string { return fmt.Sprintf("server %s db %s", e.base, e.url) }
