package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"hoso/internal/app"
	"hoso/internal/config"
	"hoso/internal/pg"
	"hoso/tracking"
)

// benchCommands are the benchmarks `hoso bench NAME` runs. Other parts add
// theirs in their own files through init-free registration in this map.
var benchCommands = map[string]func(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error{
	"intake": benchIntake,
	"ledger": benchLedger,
	"log":    benchLog,
	"load":   benchLoad,
	"outbox": benchOutbox,
}

func cmdBench(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		var names []string
		for n := range benchCommands {
			names = append(names, n)
		}
		sort.Strings(names)
		return fmt.Errorf("usage: hoso bench %s [flags]", strings.Join(names, "|"))
	}
	b, ok := benchCommands[args[0]]
	if !ok {
		return fmt.Errorf("unknown benchmark %q", args[0])
	}
	return b(ctx, args[1:], env, stdout, stderr)
}

// benchEnv is a server on a fresh database for a benchmark.
type benchEnv struct {
	base   string
	sys    *system
	url    string
	secret string
	cancel context.CancelFunc
	done   chan error
}

// benchKeys are fixed keys: benchmark data is throw-away.
var benchKeys = map[string]string{
	"HOSO_DATA_KEY": strings.Repeat("5a", 32), "HOSO_HASH_KEY": strings.Repeat("6b", 32),
	"HOSO_SESSION_KEY": strings.Repeat("7c", 32), "HOSO_RECEIPT_KEY": strings.Repeat("8d", 32),
	"HOSO_LOG_KEY": strings.Repeat("9e", 32),
}

// startBench drops and recreates database name on the server of adminURL,
// migrates it, seeds the fixture and serves it on 127.0.0.1:0.
func startBench(ctx context.Context, adminURL, name string, pool int) (*benchEnv, error) {
	return startBenchWith(ctx, adminURL, name, pool, nil)
}

// startBenchWith is startBench with extra configuration variables (for
// example HOSO_RELAY=off), which override the benchmark's defaults.
func startBenchWith(ctx context.Context, adminURL, name string, pool int, extra map[string]string) (*benchEnv, error) {
	url, err := pg.RecreateDatabase(ctx, adminURL, name)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{"HOSO_DATABASE_URL": url, "HOSO_ADDR": "127.0.0.1:0", "HOSO_PUBLIC_RATE_PER_MIN": "100000000",
		"HOSO_LOGIN_RATE_PER_MIN": "100000", "HOSO_DB_POOL_SIZE": strconv.Itoa(pool), "HOSO_LOG_LEVEL": "error",
		"HOSO_CALLBACK_ALLOW_PRIVATE": "on"} // the benchmarks' portals listen on 127.0.0.1
	for k, v := range benchKeys {
		vars[k] = v
	}
	for k, v := range extra {
		vars[k] = v
	}
	cfg, err := config.Load(func(k string) string { return vars[k] }, false)
	if err != nil {
		return nil, err
	}
	if err := migrate(ctx, cfg, false, io.Discard); err != nil {
		return nil, err
	}
	sctx, cancel := context.WithCancel(ctx)
	e := &benchEnv{url: url, cancel: cancel, done: make(chan error, 1)}
	ready := make(chan struct{})
	go func() {
		e.done <- serve(sctx, cfg, io.Discard, func(addr string, sys *system) {
			e.base, e.sys = "http://"+addr, sys
			close(ready)
		})
	}()
	select {
	case <-ready:
	case err := <-e.done:
		return nil, err
	}
	db := e.sys.db
	for _, d := range []app.Desk{{Code: "TN-TTPVHCC", Name: "Trung tâm Phục vụ hành chính công tỉnh Thái Nguyên", Level: "province", CommuneCode: "05443", ProvinceCode: "19"}} {
		if err := db.UpsertDesk(ctx, d); err != nil {
			return nil, err
		}
	}
	if err := db.UpsertOffice(ctx, app.PostOffice{Code: "BC-05443", Name: "Bưu cục Phan Đình Phùng", CommuneCode: "05443", ProvinceCode: "19", Lat: 21.58, Lng: 105.83}); err != nil {
		return nil, err
	}
	for _, u := range []app.NewUser{{Username: "buuta1", Role: app.RoleCourier, OfficeCode: "BC-05443"}, {Username: "buucuc", Role: app.RoleOffice, OfficeCode: "BC-05443"}} {
		u.Password = "mat-khau-" + u.Username
		if _, err := e.sys.auth.CreateUser(ctx, u); err != nil {
			return nil, err
		}
	}
	_, sec, err := e.sys.portal.CreateClient(ctx, "dvc-bench", "", "19", "", false)
	if err != nil {
		return nil, err
	}
	e.secret = sec
	return e, nil
}

// schedule plans a pickup for a courier on its window's day, as a
// published plan does: a courier acts only on the stops planned for them.
func (e *benchEnv) schedule(ctx context.Context, number, courier string, start time.Time) error {
	vn := time.FixedZone("ICT", 7*3600)
	day := time.Date(start.In(vn).Year(), start.In(vn).Month(), start.In(vn).Day(), 0, 0, 0, 0, vn)
	data, err := tracking.MarshalData(tracking.Scheduled{Courier: courier, Office: "BC-05443", Date: day.Format("2006-01-02"),
		WindowStart: start.Format(time.RFC3339), WindowEnd: start.Add(2 * time.Hour).Format(time.RFC3339), Stop: 1})
	if err != nil {
		return err
	}
	_, _, err = e.sys.ledger.RecordByNumber(ctx, number, app.EventInput{Type: tracking.PickupScheduled,
		Actor: tracking.Party{Kind: tracking.PartyDispatcher, Ref: "BENCH"}, Data: data,
		Schedule: &app.Schedule{Courier: courier, Office: "BC-05443", Date: day, WindowStart: start, WindowEnd: start.Add(2 * time.Hour), Stop: 1}})
	return err
}

// benchDevice makes the courier app's device for a bearer token of device
// "bench": a new ES256 key, registered with the password typed again.
func benchDevice(base, token, user string) (*app.SoftDevice, error) {
	d, err := app.NewSoftDevice("bench", nil)
	if err != nil {
		return nil, err
	}
	alg, key := d.PublicKey()
	b, _ := json.Marshal(map[string]string{"alg": alg, "public_key": key, "password": "mat-khau-" + user})
	req, _ := http.NewRequest("POST", base+"/api/v1/courier/device-key", bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		return nil, fmt.Errorf("device key: %d %s", resp.StatusCode, body)
	}
	return d, nil
}

func (e *benchEnv) stop() {
	e.cancel()
	<-e.done
}

// signed sends a portal request signed as in the contract.
func signed(client *http.Client, base, id, secret, method, path string, body []byte, key string) (int, []byte, error) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nb := make([]byte, 16)
	rand.Read(nb) //nolint:errcheck
	nonce := hex.EncodeToString(nb)
	sum := sha256.Sum256(body)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(method + "\n" + path + "\n" + ts + "\n" + nonce + "\n" + hex.EncodeToString(sum[:])))
	req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("X-Portal-Id", id)
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Nonce", nonce)
	req.Header.Set("X-Signature", hex.EncodeToString(m.Sum(nil)))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	i := int(p * float64(len(s)-1))
	return s[i]
}

func machine() string {
	return fmt.Sprintf("%d CPU, %s/%s, %s", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
}

func benchFlags(name string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := flag.NewFlagSet("bench "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	admin := fs.String("admin-url", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "PostgreSQL server (the benchmark creates its own database)")
	return fs, admin
}
