package main

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// TestCountersInBrowser: the office and desk clerks work in Chromium (at
// 360 px, the run at 1280 px), the courier and the portal through the API,
// from the pickup to the delivered result: seals stated and read at every
// counter, blind counts, differences confirmed on a second screen (and Back
// keeping what was typed), a manifest closed line by line, the desk sealing
// the result, a dispatcher recalling a stuck release.
func TestCountersInBrowser(t *testing.T) {
	e := startServer(t, nil)
	portal := e.portal()
	r := portal.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.BROWSER-1")), "browser-1")
	var created map[string]string
	r.json(t, &created)
	n, id := created["tracking_number"], created["id"]
	n2 := e.counterParcels(t, "post_office:BC-05443", "BROWSER-2")[0]
	courier := e.courier("buuta1")
	e.assign("buuta1", n)
	docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}}
	_, res := courier.send(ev("pickup.collected", n, map[string]any{"documents": docs, "seal_id": "NP-2001", "proof": courier.sigProof(n)}),
		ev("handoff.released", n, map[string]any{"to": "post_office:BC-05443"}))
	wantStatuses(t, "collect, release", res, "accepted", "accepted")

	office := map[string]any{"username": "buucuc", "password": "mat-khau-buucuc", "number": n, "seal": "NP-2001", "number2": n2, "seal2": "NP-BROWSER-2", "courier": "BUUTA1"}
	office["step"] = "office_scan"
	e.browser("counter", office)
	if got := portalStatus(t, portal, id); got != "at_office" {
		t.Fatalf("after the office scan the portal sees %s", got)
	}
	if k, _ := e.custodian(n2); k != "post_office" {
		t.Fatalf("the second parcel, read right after Back, is with %s", k)
	}
	if got := e.count(`SELECT count(*) FROM incidents`); got != 0 {
		t.Fatalf("Back left %d incidents", got)
	}
	office["step"], office["wide"] = "office_run", true
	e.browser("counter", office)

	_, res = courier.send(ev("handoff.confirmed", n, map[string]any{"seal_intact": true}), ev("handoff.released", n, map[string]any{"to": "desk:TN-TTPVHCC"}),
		ev("handoff.confirmed", n2, map[string]any{"seal_intact": true}))
	wantStatuses(t, "run to the desk", res, "accepted", "accepted", "accepted")

	desk := map[string]any{"username": "motcua", "password": "mat-khau-motcua", "number": n, "seal": "NP-2001", "courier": "BUUTA1", "step": "desk_scan_count"}
	e.browser("counter", desk)
	if got := e.count(`SELECT count(*) FROM incidents`); got != 0 {
		t.Fatalf("the corrected count left %d incidents", got)
	}
	desk["step"] = "desk_accept"
	e.browser("counter", desk)
	if got := portalStatus(t, portal, id); got != "accepted" {
		t.Fatalf("after the desk's decision the portal sees %s", got)
	}

	r = portal.do("POST", "/api/v1/portal/dossiers/000.00.19.BROWSER-1/result", []byte(`{"documents":[{"name":"Giấy chứng nhận kết hôn","kind":"original","count":2}],"fee":30000}`), "browser-result")
	var ret map[string]string
	r.json(t, &ret)
	rn := ret["tracking_number"]
	desk["step"], desk["number"], desk["seal"] = "desk_release", rn, "KQ-2001"
	e.browser("counter", desk)
	_, res = courier.send(ev("handoff.confirmed", rn, map[string]any{"seal_intact": true, "seal_id": "KQ-2001"}),
		ev("delivery.out", rn, map[string]any{}),
		withSecret(ev("delivery.completed", rn, map[string]any{"signature_sha256": courier.signature(rn), "fee_collected": 30000, "seal_id": "KQ-2001"}),
			"id_digits", "234"))
	wantStatuses(t, "delivery", res, "accepted", "accepted", "accepted")
	_, body := e.get("/api/v1/public/track/" + rn)
	if !strings.Contains(string(body), `"status":"delivered"`) {
		t.Errorf("return leg: %s", body)
	}

	// A manifest of two results from the desk to the office, closed in the
	// browser: one received, one missing.
	rs := e.courierResultsUnsealed(t, 2)
	deskClient := e.login("motcua")
	code, loc, _ := deskClient.noFollow("/mot-cua/chuyen", url.Values{"numbers": rs, "to": {"post_office:BC-05443"}, "seal_" + rs[0]: {"KQ-B1"}, "seal_" + rs[1]: {"KQ-B2"}})
	m := regexp.MustCompile(`bang-ke=(BK\d+)`).FindStringSubmatch(loc)
	if code != 303 || m == nil {
		t.Fatalf("desk to office: %d %q", code, loc)
	}
	e.browser("counter", map[string]any{"step": "office_manifest", "username": "buucuc", "password": "mat-khau-buucuc", "manifest": m[1],
		"numbers": rs, "seals": []string{"KQ-B1", "KQ-B2"}})
	if e.count(`SELECT count(*) FROM manifests WHERE code = ? AND closed_kind = 'post_office' AND closed_by IS NOT NULL`, m[1]) != 1 {
		t.Error("the manifest closed in the browser is not recorded as closed by the office")
	}

	// A release nobody will confirm, recalled by the dispatcher.
	_, res = courier.send(ev("handoff.released", n2, map[string]any{"to": "desk:TN-TTPVHCC"}))
	wantStatuses(t, "stuck release", res, "accepted")
	e.browser("counter", map[string]any{"step": "dispatcher_recall", "username": "dieuphoi", "password": "mat-khau-dieuphoi", "number": n2})
	if e.count(`SELECT count(*) FROM handoffs h JOIN parcels p ON p.id = h.parcel_id WHERE p.tracking_number = ? AND h.status = 'recalled'`, n2) != 1 {
		t.Error("the recall in the browser did not close the hand-off")
	}
}
