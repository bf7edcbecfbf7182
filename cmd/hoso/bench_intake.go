package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// benchIntake measures portal creates per second through the whole stack
// (signature, nonce, idempotency, validation, S10, insert, event) against a
// bare INSERT of the same rows into a plain table, in the same run.
func benchIntake(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs, admin := benchFlags("intake", stderr)
	n := fs.Int("n", 3000, "pickups to create")
	conc := fs.Int("c", 8, "concurrent clients")
	if err := fs.Parse(args); err != nil {
		return err
	}
	e, err := startBench(ctx, *admin, "hoso_bench_intake", 20)
	if err != nil {
		return err
	}
	defer e.stop()
	vn := time.FixedZone("ICT", 7*3600)
	day := time.Now().In(vn).AddDate(0, 0, 2)
	if day.Weekday() == time.Sunday {
		day = day.AddDate(0, 0, 1)
	}
	start := time.Date(day.Year(), day.Month(), day.Day(), 8, 0, 0, 0, vn)
	bodies := make([][]byte, *n)
	for i := range bodies {
		b, _ := json.Marshal(map[string]any{
			"dossier": map[string]any{"code": fmt.Sprintf("000.00.19.BENCH-%06d", i), "procedure_code": "1.001234", "procedure_name": "Đăng ký kết hôn", "desk_code": "TN-TTPVHCC"},
			"citizen": map[string]any{"full_name": "Nguyễn Văn A", "phone": fmt.Sprintf("09%08d", i), "id_number": fmt.Sprintf("019%09d", i)},
			"address": map[string]any{"province_code": "19", "commune_code": "05443", "line": "Số 12, tổ 3", "lat": 21.5942, "lng": 105.8482},
			"documents": []any{map[string]any{"name": "Tờ khai đăng ký kết hôn", "kind": "original", "count": 1},
				map[string]any{"name": "Căn cước công dân", "kind": "certified_copy", "count": 2}},
			"windows": []any{map[string]any{"start": start.Format(time.RFC3339), "end": start.Add(2 * time.Hour).Format(time.RFC3339)}},
		})
		bodies[i] = b
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: *conc * 2}}
	var next, fails int64
	lat := make([][]time.Duration, *conc)
	t0 := time.Now()
	var wg sync.WaitGroup
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for {
				i := int(atomic.AddInt64(&next, 1)) - 1
				if i >= *n {
					return
				}
				s := time.Now()
				code, body, err := signed(client, e.base, "dvc-bench", e.secret, "POST", "/api/v1/portal/pickups", bodies[i], uuid.NewString())
				lat[w] = append(lat[w], time.Since(s))
				if err != nil || code != 201 {
					if atomic.AddInt64(&fails, 1) < 3 {
						fmt.Fprintf(stderr, "create %d: %d %s %v\n", i, code, body, err)
					}
				}
			}
		}(w)
	}
	wg.Wait()
	stack := time.Since(t0)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	// Baseline: the same rows, one INSERT each, into a plain table.
	db := e.sys.db
	if err := db.ExecForTest(ctx, `CREATE TABLE bench_pickups (id uuid, tracking_number text, dossier_code text, citizen_name text,
		phone text, commune_code text, address_line text, lat double precision, lng double precision, documents json, windows json, created_at timestamptz)`); err != nil {
		return err
	}
	next = 0
	t1 := time.Now()
	var bfails int64
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(atomic.AddInt64(&next, 1)) - 1
				if i >= *n {
					return
				}
				if err := db.ExecForTest(ctx, `INSERT INTO bench_pickups VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
					uuid.NewString(), fmt.Sprintf("EA%09dVN", i), fmt.Sprintf("000.00.19.BENCH-%06d", i), "Nguyễn Văn A",
					fmt.Sprintf("09%08d", i), "05443", "Số 12, tổ 3", 21.5942, 105.8482,
					`[{"name":"Tờ khai","kind":"original","count":1}]`, `[{"start":"x","end":"y"}]`, time.Now()); err != nil {
					atomic.AddInt64(&bfails, 1)
				}
			}
		}()
	}
	wg.Wait()
	bare := time.Since(t1)
	rs, rb := float64(*n)/stack.Seconds(), float64(*n)/bare.Seconds()
	fmt.Fprintf(stdout, "bench intake: %d pickups, %d concurrent clients, %s\n", *n, *conc, machine())
	fmt.Fprintf(stdout, "%-44s %10s %10s %10s\n", "", "per second", "p50", "p99")
	fmt.Fprintf(stdout, "%-44s %10.0f %10s %10s\n", "portal create through the whole stack", rs, percentile(all, .5).Round(time.Microsecond*100), percentile(all, .99).Round(time.Microsecond*100))
	fmt.Fprintf(stdout, "%-44s %10.0f\n", "bare INSERT of the same rows (baseline)", rb)
	fmt.Fprintf(stdout, "ratio stack/bare: %.2f; failures: stack %d, bare %d\n", rs/rb, fails, bfails)
	if fails > 0 {
		return fmt.Errorf("%d creates failed", fails)
	}
	return nil
}
