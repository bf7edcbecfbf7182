package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/internal/config"
)

// tamperFixture makes three parcels with a few events each.
func tamperFixture(t *testing.T) (*testEnv, []string) {
	e := startServer(t, nil)
	portal := e.portal()
	c := e.courier("buuta1")
	var ns []string
	for i := 0; i < 3; i++ {
		r := portal.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody(fmt.Sprintf("000.00.19.TAMPER-%d", i))), fmt.Sprintf("tamper-%d", i))
		var created map[string]string
		r.json(t, &created)
		n := created["tracking_number"]
		ns = append(ns, n)
		e.assign("buuta1", n)
		_, res := c.send(ev("pickup.attempt_failed", n, map[string]any{"reason": "not_home"}),
			ev("pickup.collected", n, map[string]any{"documents": []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}},
				"seal_id": "NP-10" + fmt.Sprint(i), "proof": c.sigProof(n)}),
			ev("handoff.released", n, map[string]any{"to": "post_office:BC-05443"}))
		wantStatuses(t, "fixture", res, "accepted", "accepted", "accepted")
	}
	return e, ns
}

func runVerify(t *testing.T, e *testEnv, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	env := envFunc(map[string]string{"HOSO_DATABASE_URL": e.url, "HOSO_LOG_ORIGIN": e.sys.tlog.Key.Origin()})
	err := run(context.Background(), append([]string{"verify"}, args...), env, &out, &errb)
	return out.String(), err
}

func TestVerifyDetectsTampering(t *testing.T) {
	tests := []struct {
		name  string
		sql   string
		want  string
		seal  bool
		check func(t *testing.T, e *testEnv, ns []string) string
	}{
		{name: "edit data", sql: `UPDATE events SET data = '{"reason":"refused"}' WHERE type = 'pickup.attempt_failed' AND parcel_id = (SELECT id FROM parcels WHERE tracking_number = '%s')`,
			want: "content does not match its hash"},
		{name: "edit time", sql: `UPDATE events SET server_at = server_at - interval '1 hour' WHERE type = 'handoff.released' AND parcel_id = (SELECT id FROM parcels WHERE tracking_number = '%s')`,
			want: "content does not match its hash"},
		{name: "delete a middle event", sql: `DELETE FROM events WHERE type = 'pickup.attempt_failed' AND parcel_id = (SELECT id FROM parcels WHERE tracking_number = '%s')`,
			want: "position out of order or missing"},
		{name: "delete the last event", sql: `DELETE FROM handoffs WHERE parcel_id = (SELECT id FROM parcels WHERE tracking_number = '%[1]s');
			DELETE FROM events WHERE type = 'handoff.released' AND parcel_id = (SELECT id FROM parcels WHERE tracking_number = '%[1]s')`,
			want: "event count differs"},
		{name: "reorder two events", sql: `UPDATE events SET parcel_seq = 1000 WHERE parcel_seq = 2 AND parcel_id = (SELECT id FROM parcels WHERE tracking_number = '%[1]s');
			UPDATE events SET parcel_seq = 2 WHERE parcel_seq = 3 AND parcel_id = (SELECT id FROM parcels WHERE tracking_number = '%[1]s');
			UPDATE events SET parcel_seq = 3 WHERE parcel_seq = 1000 AND parcel_id = (SELECT id FROM parcels WHERE tracking_number = '%[1]s')`,
			want: "previous hash does not match"},
		{name: "rewrite a whole chain", seal: true, want: "stored root"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, ns := tamperFixture(t)
			if out, err := runVerify(t, e); err != nil || !strings.Contains(out, "OK") {
				t.Fatalf("clean ledger: %v\n%s", err, out)
			}
			ctx := context.Background()
			if tt.seal {
				// Seal today as if it were over, then rewrite one parcel's
				// chain consistently (new data, recomputed hashes and head):
				// only the daily root can tell.
				v := &app.Verifier{Store: e.db, Now: func() time.Time { return time.Now().AddDate(0, 0, 1).Add(app.SealGrace) }, Zone: config.Vietnam}
				if n, err := v.SealDays(ctx); err != nil || n < 1 {
					t.Fatalf("SealDays = %d, %v", n, err)
				}
				rewriteChain(t, e, ns[1])
			} else {
				tamper(t, e, fmt.Sprintf(tt.sql, ns[1]))
			}
			out, err := runVerify(t, e)
			if err == nil || !strings.Contains(out, "BROKEN") || !strings.Contains(out, tt.want) {
				t.Fatalf("verify after %s = %v\n%s", tt.name, err, out)
			}
			if !tt.seal && !strings.Contains(out, ns[1]) {
				t.Errorf("report does not name parcel %s:\n%s", ns[1], out)
			}
			t.Logf("%s → %s", tt.name, strings.TrimSpace(out))
		})
	}
}

// tamper runs SQL with the append-only triggers off, as an attacker with
// database rights could.
func tamper(t *testing.T, e *testEnv, sql string) {
	t.Helper()
	if err := e.db.ExecForTest(context.Background(), "SET session_replication_role = replica; "+sql+"; SET session_replication_role = DEFAULT"); err != nil {
		t.Fatal(err)
	}
}

// rewriteChain changes the data of the one event no device signed (the
// portal's request) and recomputes that parcel's whole chain and head, so
// only the roots can expose it. (Changing a courier's event so is caught by
// its device signature: TestVerifyDetectsDeviceTampering.)
func rewriteChain(t *testing.T, e *testEnv, number string) {
	t.Helper()
	ctx := context.Background()
	p, err := e.db.FindParcelByNumber(ctx, number)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := e.db.FindEvents(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	prev := []byte(nil)
	var sql strings.Builder
	sql.WriteString("SET session_replication_role = replica;")
	for i := range evs {
		if evs[i].Type == "pickup.requested" {
			evs[i].Data = []byte(`{"channel":"citizen"}`)
		}
		evs[i].Seal(i, prev)
		prev = evs[i].Hash
		fmt.Fprintf(&sql, "UPDATE events SET data = '%s', prev_hash = '\\x%x', hash = '\\x%x' WHERE id = '%s';", evs[i].Data, evs[i].PrevHash, evs[i].Hash, evs[i].ID)
	}
	fmt.Fprintf(&sql, "UPDATE parcels SET last_hash = '\\x%x' WHERE id = '%s';", prev, p.ID)
	sql.WriteString("SET session_replication_role = DEFAULT")
	if err := e.db.ExecForTest(ctx, sql.String()); err != nil {
		t.Fatal(err)
	}
	// The chains alone now look fine.
	v := &app.Verifier{Store: e.db, Now: time.Now, Zone: config.Vietnam}
	rep, err := v.Verify(ctx, time.Now().AddDate(0, 0, 5), nil)
	if err != nil || rep.Break != nil {
		t.Fatalf("rewritten chain should pass the chain check: %+v %v", rep.Break, err)
	}
}

func TestAppendOnlyAndOneCustodianInTheSchema(t *testing.T) {
	e, ns := tamperFixture(t)
	ctx := context.Background()
	if err := e.db.ExecForTest(ctx, `UPDATE events SET data = '{}' WHERE id = (SELECT id FROM events LIMIT 1)`); err == nil {
		t.Error("UPDATE of an event allowed")
	}
	if err := e.db.ExecForTest(ctx, `DELETE FROM events WHERE id = (SELECT id FROM events LIMIT 1)`); err == nil {
		t.Error("DELETE of an event allowed")
	}
	// A second open custody period is refused by the unique partial index.
	err := e.db.ExecForTest(ctx, fmt.Sprintf(`INSERT INTO custody (parcel_id, holder_kind, holder_ref, from_event, from_at)
		SELECT p.id, 'courier', 'BUUTA2', (SELECT id FROM events WHERE parcel_id = p.id LIMIT 1), now() FROM parcels p WHERE tracking_number = '%s'`, ns[0]))
	if err == nil {
		t.Error("second open custodian allowed by the schema")
	}
	// A second pending hand-off likewise.
	err = e.db.ExecForTest(ctx, fmt.Sprintf(`INSERT INTO handoffs (id, parcel_id, giver_kind, giver_ref, receiver_kind, receiver_ref, status, released_event, released_at, deadline)
		SELECT gen_random_uuid(), p.id, 'courier', 'BUUTA1', 'desk', 'TN-TTPVHCC', 'pending', (SELECT id FROM events WHERE parcel_id = p.id LIMIT 1), now(), now()
		FROM parcels p WHERE tracking_number = '%s'`, ns[0]))
	if err == nil {
		t.Error("second pending hand-off allowed by the schema")
	}
}

func TestExportEvents(t *testing.T) {
	e, ns := tamperFixture(t)
	day := time.Now().In(config.Vietnam).Format("2006-01-02")
	var out, errb bytes.Buffer
	env := envFunc(map[string]string{"HOSO_DATABASE_URL": e.url, "HOSO_LOG_ORIGIN": e.sys.tlog.Key.Origin()})
	if err := run(context.Background(), []string{"export-events", "--from", day, "--format", "csv"}, env, &out, &errb); err != nil {
		t.Fatal(err, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	// Three collections (EMA) have UPU codes; requests and releases do not.
	if len(lines) != 1+3 || !strings.HasPrefix(lines[0], "mailitm_fid,event_cd,event_office_cd,event_date_time") {
		t.Fatalf("csv:\n%s", out.String())
	}
	// Offices by their national postal code: internal codes stay internal.
	if !strings.Contains(lines[1], ns[0]+",EMA,24443,") || strings.Contains(out.String(), "BC-") {
		t.Errorf("first record %q", lines[1])
	}
	out.Reset()
	if err := run(context.Background(), []string{"export-events", "--from", day, "--format", "json", "--all"}, env, &out, &errb); err != nil {
		t.Fatal(err)
	}
	var recs []map[string]any
	if err := json.Unmarshal(out.Bytes(), &recs); err != nil || len(recs) != 12 {
		t.Fatalf("json: %v (%d records)\n%s", err, len(recs), out.String())
	}
	if err := run(context.Background(), []string{"export-events", "--from", "yesterday"}, env, &out, &errb); err == nil {
		t.Error("bad date accepted")
	}
}
