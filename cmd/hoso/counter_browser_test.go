package main

import (
	"strings"
	"testing"
)

// TestCountersInBrowser: the office and desk clerks work in Chromium (at
// 360 px, the run at 1280 px), the courier and the portal through the API,
// from the pickup to the delivered result.
func TestCountersInBrowser(t *testing.T) {
	e := startServer(t, nil)
	portal := e.portal()
	r := portal.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.BROWSER-1")), "browser-1")
	var created map[string]string
	r.json(t, &created)
	n, id := created["tracking_number"], created["id"]
	courier := e.courier("buuta1")
	e.assign("buuta1", n)
	docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}}
	_, res := courier.send(ev("pickup.collected", n, map[string]any{"documents": docs, "seal_id": "NP-2001", "proof": courier.sigProof(n)}),
		ev("handoff.released", n, map[string]any{"to": "post_office:BC-05443"}))
	wantStatuses(t, "collect, release", res, "accepted", "accepted")

	office := map[string]any{"username": "buucuc", "password": "mat-khau-buucuc", "number": n, "courier": "BUUTA1"}
	office["step"] = "office_scan"
	e.browser("counter", office)
	if got := portalStatus(t, portal, id); got != "at_office" {
		t.Fatalf("after the office scan the portal sees %s", got)
	}
	office["step"], office["wide"] = "office_run", true
	e.browser("counter", office)

	_, res = courier.send(ev("handoff.confirmed", n, map[string]any{"seal_intact": true}), ev("handoff.released", n, map[string]any{"to": "desk:TN-TTPVHCC"}))
	wantStatuses(t, "run to the desk", res, "accepted", "accepted")

	desk := map[string]any{"username": "motcua", "password": "mat-khau-motcua", "number": n, "courier": "BUUTA1", "step": "desk_scan_count"}
	e.browser("counter", desk)
	desk["step"] = "desk_accept"
	e.browser("counter", desk)
	if got := portalStatus(t, portal, id); got != "accepted" {
		t.Fatalf("after the desk's decision the portal sees %s", got)
	}

	r = portal.do("POST", "/api/v1/portal/dossiers/000.00.19.BROWSER-1/result", []byte(`{"documents":[{"name":"Giấy chứng nhận kết hôn","kind":"original","count":2}],"fee":30000}`), "browser-result")
	var ret map[string]string
	r.json(t, &ret)
	desk["step"] = "desk_release"
	e.browser("counter", desk)
	_, res = courier.send(ev("handoff.confirmed", ret["tracking_number"], map[string]any{"seal_intact": true}),
		ev("delivery.out", ret["tracking_number"], map[string]any{}),
		withSecret(ev("delivery.completed", ret["tracking_number"], map[string]any{"signature_sha256": courier.signature(ret["tracking_number"]), "fee_collected": 30000}),
			"id_digits", "234"))
	wantStatuses(t, "delivery", res, "accepted", "accepted", "accepted")
	_, body := e.get("/api/v1/public/track/" + ret["tracking_number"])
	if !strings.Contains(string(body), `"status":"delivered"`) {
		t.Errorf("return leg: %s", body)
	}
}
