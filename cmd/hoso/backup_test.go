package main

import (
	"context"
	"fmt"
	"net/url"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hoso/internal/pg/pgtest"
	"hoso/internal/testenv"
)

// TestBackupAndRestore follows docs/operations.md: dump the database with
// pg_dump in the custom format, drop it, create it again and restore the
// dump with pg_restore; every row is back, `hoso verify` passes, and the
// running server answers from the restored database.
func TestBackupAndRestore(t *testing.T) {
	testenv.Tools(t, "pg_dump", "pg_restore", "psql")
	e := startServer(t, nil)
	portal := e.portal()
	courier := e.courier("buuta1")
	var numbers []string
	for i := range 4 {
		r := portal.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody(fmt.Sprintf("000.00.19.BACKUP-%d", i))), fmt.Sprintf("backup-%d", i))
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var created map[string]string
		r.json(t, &created)
		numbers = append(numbers, created["tracking_number"])
	}
	docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}}
	for _, n := range numbers[:3] {
		_, res := courier.send(ev("pickup.collected", n, map[string]any{"documents": docs, "seal_id": "NP-BK-1", "method": "signature",
			"signature_sha256": strings.Repeat("ab", 32)}), ev("handoff.released", n, map[string]any{"to": "post_office:BC-05443"}))
		wantStatuses(t, "collect and release "+n, res, "accepted", "accepted")
	}
	office := e.login("buucuc")
	wantStatuses(t, "office confirms", office.events(ev("handoff.confirmed", numbers[0], map[string]any{"seal_intact": true})), "accepted")
	if out, err := runVerify(t, e); err != nil {
		t.Fatalf("verify before the backup: %v\n%s", err, out)
	}
	before := e.tableCounts()
	heads := e.psql(`SELECT tracking_number || ' ' || event_count || ' ' || encode(last_hash, 'hex') FROM parcels ORDER BY 1`)

	u, err := url.Parse(e.url)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	dump := filepath.Join(t.TempDir(), name+".dump")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	sh := func(tool string, args ...string) {
		t.Helper()
		out, err := exec.CommandContext(ctx, tool, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", tool, strings.Join(args, " "), err, out)
		}
	}
	sh("pg_dump", "--format=custom", "--no-owner", "--file="+dump, e.url)
	admin := pgtest.URLFor("postgres")
	psqlAt(t, admin, fmt.Sprintf(`DROP DATABASE %q WITH (FORCE)`, name))
	if n := psqlAt(t, admin, fmt.Sprintf(`SELECT count(*) FROM pg_database WHERE datname = '%s'`, name)); len(n) != 1 || n[0] != "0" {
		t.Fatalf("database still there after the drop: %v", n)
	}
	// While the database is gone the server says it is not ready.
	if resp, _ := e.get("/readyz"); resp.StatusCode != 503 {
		t.Errorf("readyz without the database: %d, want 503", resp.StatusCode)
	}
	psqlAt(t, admin, fmt.Sprintf(`CREATE DATABASE %q`, name))
	sh("pg_restore", "--no-owner", "--exit-on-error", "--dbname="+e.url, dump)

	if after := e.tableCounts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("rows after restore differ:\n%v\n%v", before, after)
	}
	if got := e.psql(`SELECT tracking_number || ' ' || event_count || ' ' || encode(last_hash, 'hex') FROM parcels ORDER BY 1`); strings.Join(got, "\n") != strings.Join(heads, "\n") {
		t.Errorf("chain heads after restore differ")
	}
	out, err := runVerify(t, e)
	if err != nil || !strings.Contains(out, "OK") {
		t.Fatalf("verify after restore: %v\n%s", err, out)
	}
	t.Logf("verify after restore: %s", strings.TrimSpace(out))
	// The server that kept running answers from the restored database once
	// its pool has new connections.
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := portal.do("GET", "/api/v1/portal/pickups?dossier_code=000.00.19.BACKUP-0", nil, "")
		if r.status == 200 && strings.Contains(string(r.body), numbers[0]) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("server after restore: %d %s", r.status, r.body)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// And the ledger goes on where it stopped.
	wantStatuses(t, "after restore", office.events(ev("handoff.confirmed", numbers[1], map[string]any{"seal_intact": true})), "accepted")
	if out, err := runVerify(t, e); err != nil {
		t.Fatalf("verify after new events: %v\n%s", err, out)
	}
}
