package main

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"
)

// portalStatus reads the pickup's status the portal sees.
func portalStatus(t *testing.T, c contractClient, id string) string {
	t.Helper()
	r := c.do("GET", "/api/v1/portal/pickups/"+id, nil, "")
	var v struct{ Status string }
	r.json(t, &v)
	return v.Status
}

// TestFullJourneyOfficeDeskReturn drives the office and desk pages over HTTP
// and the courier and portal through the API: request → collected → office
// → desk accepted → result registered → delivered, with the ledger, the
// citizen's timeline and the portal agreeing at every step.
func TestFullJourneyOfficeDeskReturn(t *testing.T) {
	e := startServer(t, nil)
	portal := e.portal()
	r := portal.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.FULL-1")), "full-1")
	var created map[string]string
	r.json(t, &created)
	n, id := created["tracking_number"], created["id"]
	courier := e.courier("buuta1")
	office := e.login("buucuc")
	desk := e.login("motcua")
	agree := func(step, status, custodian string) {
		t.Helper()
		if got := portalStatus(t, portal, id); got != status {
			t.Fatalf("%s: portal sees %s, want %s", step, got, status)
		}
		_, body := e.get("/api/v1/public/track/" + n)
		var pub struct {
			Status string `json:"status"`
			Holder string `json:"holder"`
		}
		if err := json.Unmarshal(body, &pub); err != nil || pub.Status != status || !strings.Contains(pub.Holder, custodian) {
			t.Fatalf("%s: timeline says %s held by %q, want %s held by %q", step, pub.Status, pub.Holder, status, custodian)
		}
	}
	docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}}
	e.assign("buuta1", n)
	_, res := courier.send(ev("pickup.collected", n, map[string]any{"documents": docs, "seal_id": "NP-1001", "proof": courier.sigProof(n)}),
		ev("handoff.released", n, map[string]any{"to": "post_office:BC-05443"}))
	wantStatuses(t, "collect, release", res, "accepted", "accepted")
	agree("collected", "collected", "Bưu tá")

	// The office scans it in, stating the seal and reading its id.
	code, page := office.postForm("/buu-cuc/nhan", url.Values{"so": {strings.ToLower(n)}, "seal": {"intact"}, "seal_id": {"np-1001"}})
	if code != 200 || !strings.Contains(page, `data-scan="ok"`) {
		t.Fatalf("office scan: %d", code)
	}
	agree("at office", "at_office", "Bưu cục Phan Đình Phùng")
	// Scanning it again says so; an unknown number does not match.
	if _, page = office.postForm("/buu-cuc/nhan", url.Values{"so": {n}, "seal": {"intact"}, "seal_id": {"NP-1001"}}); !strings.Contains(page, `data-scan="duplicate"`) {
		t.Error("second scan not reported as duplicate")
	}
	// An unknown number gets the answer a parcel outside the office's scope
	// gets.
	if code, page = office.postForm("/buu-cuc/nhan", url.Values{"so": {"EA999999995VN"}, "seal": {"intact"}, "seal_id": {"NP-1001"}}); code != 403 || !strings.Contains(page, `data-scan="outside"`) {
		t.Errorf("unknown scan: %d", code)
	}
	// A run to the desk: manifest, released to the courier.
	code, page = office.postForm("/buu-cuc/chuyen", url.Values{"numbers": {n}, "courier": {"BUUTA1"}})
	if code != 200 || !strings.Contains(page, "Đã lập bảng kê BK") {
		t.Fatalf("run: %d", code)
	}
	if e.count(`SELECT count(*) FROM handoffs h JOIN manifests m ON m.id = h.manifest_id WHERE m.receiver_ref = 'BUUTA1' AND h.status = 'pending'`) != 1 {
		t.Fatal("release not on a manifest")
	}
	_, res = courier.send(ev("handoff.confirmed", n, map[string]any{"seal_intact": true}), ev("handoff.released", n, map[string]any{"to": "desk:TN-TTPVHCC"}))
	wantStatuses(t, "courier takes the run to the desk", res, "accepted", "accepted")
	agree("to desk", "to_desk", "Bưu tá")

	// The desk scans and states the seal: it must count, blind; then
	// counts everything.
	if _, page = desk.postForm("/mot-cua/nhan", url.Values{"so": {n}, "seal": {"intact"}, "seal_id": {"NP-1001"}}); !strings.Contains(page, "Kiểm đếm hồ sơ") ||
		!strings.Contains(page, `id="count_1" name="count_1" type="number" min="0" max="99" inputmode="numeric" class="input--short" required value=""`) {
		t.Fatal("desk not asked to count blind")
	}
	if _, page = desk.postForm("/mot-cua/nhan", url.Values{"so": {n}, "dem": {"1"}, "seal": {"intact"}, "seal_id": {"NP-1001"}, "count_1": {"1"}, "count_2": {"1"}, "count_3": {"2"}}); !strings.Contains(page, `data-scan="ok"`) {
		t.Fatal("desk count not accepted")
	}
	agree("at desk", "at_desk", "Trung tâm Phục vụ hành chính công")
	if code, _ = desk.postForm("/mot-cua/quyet-dinh/"+n, url.Values{"decision": {"accept"}, "appointment": {time.Now().AddDate(0, 0, 10).Format("2006-01-02")}}); code != 200 {
		t.Fatalf("accept: %d", code)
	}
	agree("accepted", "accepted", "Trung tâm Phục vụ hành chính công")

	// The portal registers the result: a return-leg parcel held by the desk.
	r = portal.do("POST", "/api/v1/portal/dossiers/000.00.19.FULL-1/result",
		[]byte(`{"documents":[{"name":"Giấy chứng nhận kết hôn","kind":"original","count":2}],"fee":50000}`), "result-1")
	if r.status != 201 {
		t.Fatalf("result: %d %s", r.status, r.body)
	}
	var ret map[string]string
	r.json(t, &ret)
	rn := ret["tracking_number"]
	if !strings.HasPrefix(rn, "EB") || ret["status"] != "ready" || ret["pickup_id"] != id {
		t.Fatalf("return parcel %v", ret)
	}
	if r2 := portal.do("POST", "/api/v1/portal/dossiers/000.00.19.FULL-1/result", []byte(`{"documents":[{"name":"X","kind":"copy","count":1}]}`), "result-2"); r2.status != 409 {
		t.Errorf("second result = %d", r2.status)
	}
	// The desk seals it and hands it to the courier; out for delivery;
	// delivered with the seal read at the door, the CCCD checked against
	// its keyed hash and the fee collected.
	code, page = desk.postForm("/mot-cua/chuyen", url.Values{"numbers": {rn}, "courier": {"BUUTA1"}, "seal_" + rn: {"KQ-2001"}})
	if code != 200 || !strings.Contains(page, "Đã lập bảng kê") {
		t.Fatalf("desk release: %d", code)
	}
	_, res = courier.send(ev("handoff.confirmed", rn, map[string]any{"seal_intact": true}), ev("delivery.out", rn, map[string]any{}))
	wantStatuses(t, "courier takes the result", res, "accepted", "accepted")
	sig := courier.signature(rn)
	wrongID := withSecret(ev("delivery.completed", rn, map[string]any{"seal_id": "KQ-2001", "signature_sha256": sig, "fee_collected": 50000}), "id_digits", "019090009999")
	_, res = courier.send(wrongID)
	wantStatuses(t, "wrong CCCD", res, "rejected")
	_, res = courier.send(withSecret(ev("delivery.completed", rn, map[string]any{"seal_id": "KQ-2001", "signature_sha256": sig, "fee_collected": 50000}), "id_digits", "019090001234"))
	wantStatuses(t, "delivered", res, "accepted")
	_, body := e.get("/api/v1/public/track/" + rn + "?phone_last4=5678")
	if !strings.Contains(string(body), `"status":"delivered"`) || !strings.Contains(string(body), "Đã giao kết quả cho người nhận") || !strings.Contains(string(body), "50.000") {
		t.Errorf("delivery timeline: %s", body)
	}
	if e.count(`SELECT count(*) FROM events WHERE data::text LIKE '%019090001234%'`) != 0 {
		t.Error("CCCD number stored in the ledger")
	}
}

// TestReturnToDeskAfterThreeAttempts: three failed deliveries, then the
// result goes back to the desk through a two-party hand-off.
func TestReturnToDeskAfterThreeAttempts(t *testing.T) {
	e := startServer(t, nil)
	portal := e.portal()
	r := portal.do("POST", "/api/v1/portal/dossiers/000.00.19.COUNTER-9/result",
		[]byte(`{"documents":[{"name":"Phiếu lý lịch tư pháp","kind":"original","count":1}],"fee":0,"desk_code":"TN-TTPVHCC",
		"citizen":{"full_name":"Hà Thị Mai","phone":"0987000111"},"address":{"province_code":"19","commune_code":"05455","line":"Tổ 5"}}`), "counter-9")
	if r.status != 201 {
		t.Fatalf("result without pickup: %d %s", r.status, r.body)
	}
	var ret map[string]string
	r.json(t, &ret)
	rn := ret["tracking_number"]
	desk := e.login("motcua")
	if code, _ := desk.postForm("/mot-cua/chuyen", url.Values{"numbers": {rn}, "courier": {"BUUTA1"}, "seal_" + rn: {"KQ-9"}}); code != 200 {
		t.Fatal("desk release")
	}
	c := e.courier("buuta1")
	_, res := c.send(ev("handoff.confirmed", rn, map[string]any{"seal_intact": true}))
	wantStatuses(t, "take", res, "accepted")
	for i := 0; i < 3; i++ {
		_, res = c.send(ev("delivery.out", rn, map[string]any{}), ev("delivery.attempt_failed", rn, map[string]any{"cause": "not_home", "action": "retry_next_day"}))
		wantStatuses(t, "attempt", res, "accepted", "accepted")
		if i < 2 {
			_, res = c.send(ev("handoff.released", rn, map[string]any{"to": "desk:TN-TTPVHCC"}))
			wantStatuses(t, "early return", res, "rejected")
		}
	}
	_, res = c.send(ev("handoff.released", rn, map[string]any{"to": "desk:TN-TTPVHCC"}))
	wantStatuses(t, "release back", res, "accepted")
	if k, _ := e.custodian(rn); k != "courier" {
		t.Fatalf("custody moved before the desk confirmed: %s", k)
	}
	if _, page := desk.postForm("/mot-cua/nhan", url.Values{"so": {rn}, "seal": {"intact"}, "seal_id": {"KQ-9"}}); !strings.Contains(page, `data-scan="ok"`) {
		t.Fatal("desk did not confirm the return")
	}
	if k, ref := e.custodian(rn); k != "desk" || ref != "TN-TTPVHCC" {
		t.Fatalf("custodian after return %s %s", k, ref)
	}
	if e.count(`SELECT count(*) FROM events e JOIN parcels p ON p.id = e.parcel_id WHERE p.tracking_number = ? AND e.type = 'delivery.returned_to_desk'`, rn) != 1 {
		t.Error("no delivery.returned_to_desk event")
	}
	_, body := e.get("/api/v1/public/track/" + rn)
	if !strings.Contains(string(body), `"status":"returned_to_desk"`) || strings.Count(string(body), "Giao kết quả chưa thành công") != 3 {
		t.Errorf("timeline: %s", body)
	}
}
