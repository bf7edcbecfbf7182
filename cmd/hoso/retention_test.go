package main

import (
	"context"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/internal/config"
)

// deliveredJourney runs a dossier from request to the result delivered:
// collected, handed to the desk, accepted, result registered, delivered.
// It returns the pickup's and the return leg's tracking numbers.
func deliveredJourney(t *testing.T, e *testEnv, code string) (string, string) {
	t.Helper()
	n := e.newPickup(t, code)
	courier := e.courier("buuta1")
	desk := e.login("motcua")
	docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}}
	e.assign("buuta1", n)
	_, res := courier.send(ev("pickup.collected", n, map[string]any{"documents": docs, "seal_id": "NP-2001", "proof": courier.sigProof(n)}),
		ev("handoff.released", n, map[string]any{"to": "desk:TN-TTPVHCC"}))
	wantStatuses(t, "collect, release to the desk", res, "accepted", "accepted")
	if _, page := desk.postForm("/mot-cua/nhan", url.Values{"so": {n}, "dem": {"1"}, "seal": {"intact"}, "seal_id": {"NP-2001"}, "count_1": {"1"}, "count_2": {"1"}, "count_3": {"2"}}); !strings.Contains(page, `data-scan="ok"`) {
		t.Fatal("desk count not accepted")
	}
	if code, _ := desk.postForm("/mot-cua/quyet-dinh/"+n, url.Values{"decision": {"accept"}, "appointment": {time.Now().AddDate(0, 0, 10).Format("2006-01-02")}}); code != 200 {
		t.Fatalf("accept: %d", code)
	}
	r := e.portal().do("POST", "/api/v1/portal/dossiers/"+code+"/result",
		[]byte(`{"documents":[{"name":"Giấy chứng nhận kết hôn","kind":"original","count":2}],"fee":50000}`), "result-"+code)
	if r.status != 201 {
		t.Fatalf("result: %d %s", r.status, r.body)
	}
	var ret map[string]string
	r.json(t, &ret)
	rn := ret["tracking_number"]
	if c, page := desk.postForm("/mot-cua/chuyen", url.Values{"numbers": {rn}, "courier": {"BUUTA1"}, "seal_" + rn: {"KQ-2001"}}); c != 200 || !strings.Contains(page, "Đã lập bảng kê") {
		t.Fatalf("desk release: %d", c)
	}
	_, res = courier.send(ev("handoff.confirmed", rn, map[string]any{"seal_intact": true}), ev("delivery.out", rn, map[string]any{}))
	wantStatuses(t, "take and go out", res, "accepted", "accepted")
	_, res = courier.send(withSecret(ev("delivery.completed", rn, map[string]any{"seal_id": "KQ-2001", "signature_sha256": courier.signature(rn), "fee_collected": 50000}),
		"id_digits", "019090001234"))
	wantStatuses(t, "deliver", res, "accepted")
	return n, rn
}

// TestRetentionErasureKeepsTheLedgerAndTimeline: a year after a dossier's
// journey ended (a delivered result, and a pickup cancelled), the job
// erases the parcels' name, phone and address line; `hoso verify` still
// finds every chain and daily root intact, the public timeline shows the
// same thing, a journey still under way is untouched, and a second run
// changes nothing.
func TestRetentionErasureKeepsTheLedgerAndTimeline(t *testing.T) {
	e := startServer(t, nil)
	ctx := context.Background()
	staff := e.login("quantri") // before the erasure: a login between the two runs gave the relay time to send a row
	pickup, ret := deliveredJourney(t, e, "000.00.19.RET-1")
	cancelled := e.newPickup(t, "000.00.19.RET-2")
	if r := e.portal().do("POST", "/api/v1/portal/pickups/"+retentionParcelID(t, e, cancelled)+"/cancel", []byte(`{"reason":"Công dân tự nộp tại quầy"}`), "ret-cancel"); r.status != 200 {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	ongoing := e.newPickup(t, "000.00.19.RET-3")
	numbers := []string{pickup, ret, cancelled, ongoing}
	e.waitListening(t, true, 5*time.Second)
	before := map[string]publicTrack{}
	for _, n := range numbers {
		before[n] = e.track(n) // also fills the public timeline cache
	}
	cached := e.sys.views.Stats().Entries
	// Seal today's root as if the day were over, so the erasure is checked
	// against the daily roots too.
	later := time.Now().AddDate(0, 0, 1).Add(app.SealGrace)
	if n, err := (&app.Verifier{Store: e.db, Now: func() time.Time { return later }, Zone: config.Vietnam}).SealDays(ctx); err != nil || n < 1 {
		t.Fatalf("SealDays = %d, %v", n, err)
	}

	// Thirteen months on.
	now := time.Now().AddDate(1, 1, 0)
	policy := app.DefaultRetention(config.Vietnam)
	c, err := e.db.Retain(ctx, now, policy)
	if err != nil {
		t.Fatal(err)
	}
	if c.ParcelsErased != 3 {
		t.Errorf("ParcelsErased = %d, want 3 (pickup, return leg, cancelled pickup): %+v", c.ParcelsErased, c)
	}
	for _, n := range []string{pickup, ret, cancelled} {
		if got := e.count(`SELECT count(*) FROM parcels WHERE tracking_number = ? AND citizen_name = 'N. V. A.' AND length(phone_enc) = 0
			AND length(phone_hash) = 0 AND address_line = '' AND erased_at IS NOT NULL AND phone_last3 = '678'`, n); got != 1 {
			t.Errorf("parcel %s not erased to initials, no phone, no address line", n)
		}
	}
	if got := e.count(`SELECT count(*) FROM parcels WHERE tracking_number = ? AND citizen_name = 'Nguyễn Văn A' AND length(phone_enc) > 0
		AND address_line <> '' AND erased_at IS NULL`, ongoing); got != 1 {
		t.Errorf("parcel %s still under way was erased", ongoing)
	}

	// The UPDATE notified the public timeline cache (migration 0007's
	// trigger): the erased parcels' entries are dropped.
	if took, ok := eventually(5*time.Second, func() bool { return e.sys.views.Stats().Entries <= cached-3 }); !ok {
		t.Errorf("cache kept %d entries of %d after the erasure (waited %v)", e.sys.views.Stats().Entries, cached, took)
	}

	// The ledger: every chain and the sealed root still verify.
	out, err := runVerify(t, e)
	if err != nil || !strings.Contains(out, "OK") {
		t.Fatalf("verify after erasure: %v\n%s", err, out)
	}
	rep, err := (&app.Verifier{Store: e.db, Now: func() time.Time { return later }, Zone: config.Vietnam}).Verify(ctx, time.Time{}, nil)
	if err != nil || !rep.OK() || rep.Parcels != 4 || rep.Roots < 1 {
		t.Fatalf("Verify after erasure = %+v, %v", rep, err)
	}

	// The public timeline: the same status, holder and events as before
	// (it only ever showed initials and the last digits of the phone).
	for _, n := range numbers {
		if got := e.track(n); !reflect.DeepEqual(got, before[n]) {
			t.Errorf("timeline of %s changed:\nbefore %+v\nafter  %+v", n, before[n], got)
		}
	}
	// The details (shown to staff; the erased phone can no longer prove the
	// parcel) keep the initials, never the address.
	_, body := staff.get("/tra-cuu/" + ret)
	if !strings.Contains(body, "N. V. A.") || strings.Contains(body, "Số 12") {
		t.Errorf("erased timeline: %.500s", body)
	}

	// A second run finds nothing.
	if c2, err := e.db.Retain(ctx, now, policy); err != nil || c2.Total() != 0 {
		t.Errorf("second run = %+v, %v; want nothing", c2, err)
	}
}

// retentionParcelID is the id of a parcel by tracking number.
func retentionParcelID(t *testing.T, e *testEnv, number string) string {
	t.Helper()
	p, err := e.db.FindParcelByNumber(context.Background(), number)
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}
