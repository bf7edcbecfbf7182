package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hoso/internal/config"
	"hoso/internal/testenv"
)

// TestFourInstancesFitDefaultConnections: four `hoso serve` processes with
// the default pool settings, all under write load at once, on a PostgreSQL
// server of the test's own with its default max_connections = 100. No
// instance ever holds more connections than its budget (main pool, relay
// pool, two listeners), the four together stay under the server's limit
// with room to spare, and no request fails for want of a connection.
func TestFourInstancesFitDefaultConnections(t *testing.T) {
	cluster := testenv.NewCluster(t)
	w := newFaultWorld(t, cluster.URL("postgres"), nil)
	delete(w.vars, "HOSO_DB_POOL_SIZE") // the defaults are what is tested
	cfg, err := config.Load(envFunc(w.vars), false)
	if err != nil {
		t.Fatal(err)
	}
	budget := cfg.ConnectionBudget()
	if budget != config.DefaultPoolSize+config.DefaultRelayPoolSize+config.ListenConnections {
		t.Fatalf("budget %d is not the defaults'", budget)
	}
	const instances = 4
	if limit := 100 - 3 - 20; instances*budget > limit {
		t.Fatalf("%d instances × %d connections > %d (100 less 3 reserved for superusers and 20 for tools)", instances, budget, limit)
	}
	servers := make([]*server, instances)
	for i := range servers {
		servers[i] = w.server()
		servers[i].start()
	}
	w.e.base = servers[0].base
	tok := w.e.courier("buuta1").token
	numbers := seedParcels(t, servers[0].base, "dvc-test", w.e.secret, 8)

	stop := make(chan struct{})
	loads := make([]*ledgerLoad, instances)
	var writers []*sync.WaitGroup
	for i, s := range servers {
		loads[i] = newLedgerLoad(s.base, "dvc-test", w.e.secret, tok, numbers)
		// More writers than the pool has connections, so every pool fills.
		writers = append(writers, loads[i].run(stop, 8, uint64(i)))
	}
	peaks := make([]int, instances)
	deadline := time.After(4 * time.Second)
sample:
	for {
		for i, s := range servers {
			if n := connectionsTo(t, s.cmd.Process.Pid, cluster.Port()); n > peaks[i] {
				peaks[i] = n
			}
		}
		select {
		case <-deadline:
			break sample
		case <-time.After(20 * time.Millisecond):
		}
	}
	total := w.e.count(`SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'`)
	close(stop)
	for _, wg := range writers {
		wg.Wait()
	}
	for i, l := range loads {
		l.retry(t)
		l.mu.Lock()
		for _, b := range l.bad {
			t.Errorf("instance %d: %s", i+1, b)
		}
		if l.statuses[503] > 0 {
			t.Errorf("instance %d: %d answers of 503 under load (a pool too small, or the server's limit reached)", i+1, l.statuses[503])
		}
		t.Logf("instance %d: peak %d connections (budget %d); answers %v", i+1, peaks[i], budget, l.statuses)
		l.mu.Unlock()
		if peaks[i] > budget {
			t.Errorf("instance %d held %d connections, budget %d", i+1, peaks[i], budget)
		}
		if peaks[i] < config.DefaultPoolSize {
			t.Errorf("instance %d peaked at %d connections: the load did not fill its pool, so the test proves nothing", i+1, peaks[i])
		}
	}
	t.Logf("client backends on the server at the end of the load: %d of max_connections 100", total)
	for i, s := range servers {
		if strings.Contains(s.logs.String(), "too many clients") {
			t.Errorf("instance %d logged 'too many clients'", i+1)
		}
	}
}

// TestBehindPgBouncerTransactionMode: two instances reach PostgreSQL
// through PgBouncer in transaction mode (HOSO_DB_POOL_MODE=transaction),
// with HOSO_DATABASE_DIRECT_URL for what a transaction pooler cannot carry
// (LISTEN, the migrations' session advisory lock). Migrations, portal and
// courier writes, the public timeline's change feed and the outbox relay
// all work; nothing acknowledged is lost; the chains verify.
func TestBehindPgBouncerTransactionMode(t *testing.T) {
	cluster := testenv.NewCluster(t)
	bouncer := cluster.NewPgBouncer(8)
	w := newFaultWorld(t, bouncer.URL("postgres"), map[string]string{
		"HOSO_DATABASE_DIRECT_URL": cluster.URL("postgres"),
		"HOSO_DB_POOL_MODE":        "transaction",
	})
	portal := newCallbackPortal(t, "dvc-pool", func(int) int { return 200 })
	cb := callbackClient(t, w.e, "dvc-pool", portal)
	a, b := w.server(), w.server()
	a.start()
	b.start()
	w.e.base = a.base
	cb.base = a.base
	tok := w.e.courier("buuta1").token
	numbers := seedParcels(t, a.base, "dvc-test", w.e.secret, 6)

	// The public timeline is cached per instance and dropped on the
	// database's NOTIFY, which instance b hears only over its direct
	// LISTEN connection: a change written through a must show on b.
	page := func(base, n string) string {
		resp, err := faultClient.Get(base + "/api/v1/public/track/" + n)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	metric := func(base, name string) float64 {
		resp, err := faultClient.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		for _, line := range strings.Split(string(body), "\n") {
			if v, ok := strings.CutPrefix(line, name+" "); ok {
				f, _ := strconv.ParseFloat(strings.TrimSpace(v), 64)
				return f
			}
		}
		t.Fatalf("%s not on %s/metrics", name, base)
		return 0
	}
	for i := 0; metric(b.base, "hoso_public_cache_listening") != 1; i++ {
		if i > 250 {
			t.Fatal("instance b's public cache never started listening behind the pooler")
		}
		time.Sleep(20 * time.Millisecond)
	}
	before := page(b.base, numbers[0])
	hits := metric(b.base, "hoso_public_cache_hits_total")
	if page(b.base, numbers[0]) != before || metric(b.base, "hoso_public_cache_hits_total") <= hits {
		t.Fatal("instance b does not answer the public timeline from its cache")
	}
	if st, res, body, err := postBatch(a.base, tok, courierBatch{events: []map[string]any{
		ev("pickup.attempt_failed", numbers[0], map[string]any{"reason": "not_home"})}}); err != nil || st != 200 || res[0].Status != "accepted" {
		t.Fatalf("event through a: %d %v %s %v", st, res, body, err)
	}
	changed := false
	for i := 0; i < 100 && !changed; i++ {
		changed = page(b.base, numbers[0]) != before
		if !changed {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if !changed {
		t.Error("instance b kept serving the old timeline: its change feed does not work behind the pooler")
	}

	// Portal callbacks through the relay, whose pool goes through the
	// pooler too.
	r := cb.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.POOL-1")), "pool-1")
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	for i := 0; len(portal.applied()) == 0; i++ {
		if i > 1500 {
			t.Fatal("no callback reached the portal behind the pooler in 30 s")
		}
		time.Sleep(20 * time.Millisecond)
	}

	l := newLedgerLoad(a.base, "dvc-test", w.e.secret, tok, numbers)
	lb := newLedgerLoad(b.base, "dvc-test", w.e.secret, tok, numbers)
	stop := make(chan struct{})
	wa, wb := l.run(stop, 4, 1), lb.run(stop, 4, 2)
	time.Sleep(2 * time.Second)
	close(stop)
	wa.Wait()
	wb.Wait()
	l.retry(t)
	lb.retry(t)
	for _, x := range []*ledgerLoad{l, lb} {
		if x.statuses[503] > 0 {
			t.Errorf("%d answers of 503 behind the pooler", x.statuses[503])
		}
		t.Logf("answers %v", x.statuses)
	}
	// Migrating again, as an upgrade would, takes its lock on the direct
	// connection while the servers run.
	if out, err := w.run("migrate"); err != nil {
		t.Fatalf("hoso migrate behind the pooler: %v\n%s", err, out)
	}
	w.checkDurable(t, l)
	w.checkDurable(t, lb)
}

// connectionsTo counts the established TCP connections of process pid to
// the local port (its connections to PostgreSQL), from /proc.
func connectionsTo(t *testing.T, pid, port int) int {
	t.Helper()
	inodes := map[string]bool{}
	for _, table := range []string{"/proc/net/tcp", "/proc/net/tcp6"} {
		f, err := os.Open(table)
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(sc.Text())
			if len(fields) < 10 || fields[3] != "01" { // 01: established
				continue
			}
			_, remPort, ok := strings.Cut(fields[2], ":")
			if !ok {
				continue
			}
			if p, err := strconv.ParseInt(remPort, 16, 32); err == nil && int(p) == port {
				inodes[fields[9]] = true
			}
		}
		f.Close()
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Fatalf("reading the server's descriptors: %v", err)
	}
	n := 0
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join(fmt.Sprintf("/proc/%d/fd", pid), fd.Name()))
		if err != nil {
			continue
		}
		if strings.HasPrefix(link, "socket:[") && inodes[strings.TrimSuffix(strings.TrimPrefix(link, "socket:["), "]")] {
			n++
		}
	}
	return n
}
