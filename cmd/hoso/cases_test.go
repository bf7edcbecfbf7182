package main

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"hoso/internal/app"
)

// TestDisputeNamesLastCustodianAndLostCase: a desk counts one document short:
// the hand-off is disputed, custody stays with the courier, the incident
// names the courier, an alarm is raised; the dispatcher declares the original
// lost and follows the steps of the law in force (Decree 118/2025) to the end.
func TestDisputeNamesLastCustodianAndLostCase(t *testing.T) {
	e := startServer(t, nil)
	portal := e.portal()
	r := portal.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.DISPUTE-1")), "dispute-1")
	var created map[string]string
	r.json(t, &created)
	n := created["tracking_number"]
	c := e.courier("buuta1")
	docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}}
	e.assign("buuta1", n)
	_, res := c.send(ev("pickup.collected", n, map[string]any{"documents": docs, "seal_id": "NP-900", "proof": c.sigProof(n)}), ev("handoff.released", n, map[string]any{"to": "desk:TN-TTPVHCC"}))
	wantStatuses(t, "collect and release", res, "accepted", "accepted")

	desk := e.login("motcua")
	short := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 0, "condition": "missing"}, {"line": 3, "count": 2}}
	res = desk.events(ev("handoff.confirmed", n, map[string]any{"seal_intact": true, "seal_id": "NP-900", "documents": short}))
	wantStatuses(t, "desk counts", res, "accepted")
	if got := e.count(`SELECT count(*) FROM events e JOIN parcels p ON p.id = e.parcel_id WHERE p.tracking_number = ? AND e.type = 'handoff.disputed'`, n); got != 1 {
		t.Fatalf("the short count was not recorded as a dispute (%d)", got)
	}
	if k, ref := e.custodian(n); k != "courier" || ref != "BUUTA1" {
		t.Fatalf("custody moved despite the dispute: %s %s", k, ref)
	}
	if got := e.count(`SELECT count(*) FROM incidents i JOIN parcels p ON p.id = i.parcel_id WHERE p.tracking_number = ?
		AND i.last_custodian_kind = 'courier' AND i.last_custodian_ref = 'BUUTA1' AND i.missing_lines = '{2}' AND i.problem = 'document_missing'`, n); got != 1 {
		t.Fatal("incident does not name the courier and the missing line")
	}
	if got := e.count(`SELECT count(*) FROM parcel_documents d JOIN parcels p ON p.id = d.parcel_id WHERE p.tracking_number = ? AND d.line = 2 AND d.last_custodian = 'courier:BUUTA1'`, n); got != 1 {
		t.Error("document line 2 does not name its last custodian")
	}
	alarms := &app.Alarms{Store: e.db, Now: time.Now, Policy: app.DefaultAlarmPolicy()}
	if _, err := alarms.SweepAt(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if len(openAlarms(t, e, app.AlarmIncident)) != 1 {
		t.Error("no incident alarm")
	}

	// The desk sees the incident but cannot decide it.
	var id string
	is, _ := e.db.FindIncidents(context.Background(), app.AlarmFilter{}, true)
	if len(is) != 1 {
		t.Fatalf("incidents %d", len(is))
	}
	id = is[0].ID
	if code, _ := desk.get("/nhan-vien/su-co/" + id); code != 200 {
		t.Errorf("desk reads its incident: %d", code)
	}
	if code, _ := desk.postForm("/nhan-vien/su-co/"+id, url.Values{"action": {"lost"}}); code != 403 {
		t.Errorf("desk declares lost: %d, want 403", code)
	}
	// Another office's staff cannot see it.
	disp := e.login("dieuphoi")
	code, body := disp.postForm("/nhan-vien/su-co/"+id, url.Values{"action": {"lost"}, "note": {"Không tìm thấy sau 48 giờ"}})
	if code != 200 || !strings.Contains(body, "Hồ sơ vụ việc thất lạc") || !strings.Contains(body, "Bưu tá Bưu cục Phan Đình Phùng (mã BUUTA1)") {
		t.Fatalf("declare lost: %d", code)
	}
	if !strings.Contains(body, "Giấy xác nhận tình trạng hôn nhân") || !strings.Contains(body, "Theo Nghị định 118/2025/NĐ-CP") || strings.Contains(body, "61/2018") {
		t.Error("apology letter lacks the document or the decree in force, or cites the replaced one")
	}
	// Paid without an amount is refused.
	code, _ = disp.postForm("/nhan-vien/su-co/"+id, url.Values{"action": {"case"}, "reissue": {"done"}, "apology": {"sent"}, "costs_state": {"paid"}, "costs_amount": {"0"}})
	if code != 422 {
		t.Errorf("paid with no amount: %d", code)
	}
	code, _ = disp.postForm("/nhan-vien/su-co/"+id, url.Values{"action": {"case"}, "reissue": {"done"}, "apology": {"sent"}, "costs_state": {"paid"}, "costs_amount": {"150.000"}})
	if code != 200 || e.count(`SELECT count(*) FROM lost_cases WHERE status = 'closed' AND costs_amount = 150000 AND responsible_ref = 'BUUTA1'`) != 1 {
		t.Errorf("case not closed (%d)", code)
	}
	if _, err := alarms.SweepAt(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	if len(openAlarms(t, e, app.AlarmIncident)) != 0 {
		t.Error("incident alarm not cleared")
	}
	if e.count(`SELECT count(*) FROM audit_log WHERE action IN ('declared_lost', 'lost_case_updated')`) != 2 {
		t.Error("case steps not audited")
	}
}
