package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"hoso/internal/app"
)

// The counters (issue 14): seals stated and compared at every receipt,
// blind counts confirmed on a second screen, manifests closed by their
// receiver, hand-offs inside scope, a dispatcher's recall, results only for
// accepted dossiers. Every forgery goes through the real HTTP API and is
// checked to leave no custody change.

var docs3 = []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}}

// counterFixture makes a pickup per code, collected by buuta1 with the seal
// "NP-" + the code's last part, and released to a receiver.
func (e *testEnv) counterParcels(t *testing.T, to string, codes ...string) []string {
	t.Helper()
	portal := e.portal()
	courier := e.courier("buuta1")
	var out []string
	for _, code := range codes {
		r := portal.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19."+code)), "k-"+code)
		if r.status != 201 {
			t.Fatalf("create %s: %d %s", code, r.status, r.body)
		}
		var created map[string]string
		r.json(t, &created)
		n := created["tracking_number"]
		e.assign("buuta1", n)
		_, res := courier.send(ev("pickup.collected", n, map[string]any{"documents": docs3, "seal_id": "NP-" + code, "proof": courier.sigProof(n)}),
			ev("handoff.released", n, map[string]any{"to": to}))
		wantStatuses(t, "collect and release "+code, res, "accepted", "accepted")
		out = append(out, n)
	}
	return out
}

// noFollow posts a form without following the redirect.
func (s *staffClient) noFollow(path string, v url.Values) (int, string, string) {
	s.t.Helper()
	v.Set("_csrf", s.csrf)
	c := *s.c
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.PostForm(s.base+path, v)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

// jsonPost sends JSON to a staff API route with the session and the CSRF
// header.
func (s *staffClient) jsonPost(path string, body any) (int, []byte) {
	s.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", s.base+path, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", s.csrf)
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// sameRows fails when a refused action changed any table, but for what
// runs in the background (alarms by the sweep; SMS, their links and daily
// counters by the outbox relay delivering earlier notices) and the kept
// rejected courier events.
func (e *testEnv) sameRows(t *testing.T, what string, before map[string]int) {
	t.Helper()
	after := e.tableCounts()
	for _, m := range []map[string]int{before, after} {
		for _, k := range []string{"device_events", "portal_nonces", "sms_messages", "notify_links", "notify_counters"} {
			delete(m, k)
		}
	}
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("%s changed rows: %v → %v", what, before, after)
	}
}

var draftLocation = regexp.MustCompile(`^/(buu-cuc|mot-cua)/xac-nhan/[0-9a-f-]{36}$`)

// TestCounterSealsAreStatedAndCompared: the office and the desk state the
// seal on every receipt (never defaulted) and the server compares its id
// with the one recorded at collection; a difference is recorded only after
// the confirmation screen, as a dispute naming the last confirmed
// custodian; the desk counts blind; a desk of another scope learns nothing.
func TestCounterSealsAreStatedAndCompared(t *testing.T) {
	e := startServer(t, nil)
	office, desk := e.login("buucuc"), e.login("motcua")
	atOffice := e.counterParcels(t, "post_office:BC-05443", "SEAL-1", "SEAL-2")
	atDesk := e.counterParcels(t, "desk:TN-TTPVHCC", "SEAL-3", "SEAL-4", "SEAL-5")
	n1, n2 := atOffice[0], atOffice[1]

	// 1. The seal state must be stated: page and staff API refuse without
	// it, and without the id when it is said to be intact. Nothing moves.
	before := e.tableCounts()
	for _, v := range []url.Values{{"so": {n1}, "seal_id": {"NP-SEAL-1"}}, {"so": {n1}, "seal": {"intact"}}, {"so": {n1}, "seal": {"nguyen-ven"}, "seal_id": {"NP-SEAL-1"}}} {
		if code, loc, _ := office.noFollow("/buu-cuc/nhan", v); code != 303 || loc != "/buu-cuc" {
			t.Errorf("office scan %v: %d %q, want 303 to the counter page", v, code, loc)
		} else if _, page := office.get(loc); !strings.Contains(page, "niêm phong") || !strings.Contains(page, "error-summary") {
			t.Errorf("office scan %v: the seal is not asked for", v)
		}
	}
	res := office.events(ev("handoff.confirmed", n1, map[string]any{}), ev("handoff.confirmed", n1, map[string]any{"seal_intact": true}),
		ev("handoff.confirmed", n1, map[string]any{"seal_id": "NP-SEAL-1"}), ev("handoff.confirmed", n1, map[string]any{"seal_intact": true, "seal_id": "np seal 1"}))
	wantStatuses(t, "seal not stated through the API", res, "rejected", "rejected", "rejected", "rejected")
	if k, ref := e.custodian(n1); k != "courier" || ref != "BUUTA1" {
		t.Fatalf("custody moved without a stated seal: %s %s", k, ref)
	}
	e.sameRows(t, "seals not stated", before)

	// 2. Another seal id at the office page: the confirmation screen first,
	// nothing recorded; it names the difference, never the recorded id.
	before = e.tableCounts()
	code, loc, _ := office.noFollow("/buu-cuc/nhan", url.Values{"so": {n1}, "seal": {"intact"}, "seal_id": {"np-khac-1"}})
	if code != 303 || !draftLocation.MatchString(loc) {
		t.Fatalf("another seal: %d %q, want 303 to the confirmation screen", code, loc)
	}
	if n := e.count(`SELECT count(*) FROM events e JOIN parcels p ON p.id = e.parcel_id WHERE p.tracking_number = ?`, n1); n != 3 {
		t.Fatalf("the difference was recorded before the clerk confirmed it (%d events)", n)
	}
	_, page := office.get(loc)
	if !strings.Contains(page, "Mã niêm phong bạn đọc khác mã đã ghi") || !strings.Contains(page, "NP-KHAC-1") || strings.Contains(page, "NP-SEAL-1") {
		t.Fatalf("confirmation screen: %.2000s", page)
	}
	// Back keeps what was typed.
	id := loc[strings.LastIndex(loc, "/")+1:]
	if _, back := office.get("/buu-cuc?nhap=" + id); !strings.Contains(back, `value="NP-KHAC-1"`) || !strings.Contains(back, `value="`+n1+`"`) ||
		!regexp.MustCompile(`value="intact" required checked`).MatchString(back) {
		t.Error("back from the confirmation screen lost what was typed")
	}
	after := e.tableCounts()
	if after["counter_drafts"] != before["counter_drafts"]+1 || after["events"] != before["events"] || after["custody"] != before["custody"] {
		t.Errorf("before the confirmation: %v → %v", before, after)
	}
	code, loc, _ = office.noFollow("/buu-cuc/xac-nhan/"+id, url.Values{})
	if code != 303 || !strings.Contains(loc, "quet=disputed") {
		t.Fatalf("confirm the difference: %d %q", code, loc)
	}
	if k, ref := e.custodian(n1); k != "courier" || ref != "BUUTA1" {
		t.Fatalf("custody moved on another seal: %s %s", k, ref)
	}
	if n := e.count(`SELECT count(*) FROM incidents i JOIN parcels p ON p.id = i.parcel_id WHERE p.tracking_number = ?
		AND i.problem = 'seal_mismatch' AND i.last_custodian_kind = 'courier' AND i.last_custodian_ref = 'BUUTA1'`, n1); n != 1 {
		t.Error("the seal dispute does not name the last confirmed custodian")
	}
	// The draft is spent: confirming again writes nothing.
	before = e.tableCounts()
	if code, _, _ = office.noFollow("/buu-cuc/xac-nhan/"+id, url.Values{}); code != 404 {
		t.Errorf("a spent draft confirmed again: %d", code)
	}
	// Another clerk's draft is not found either.
	code2, loc2, _ := desk.noFollow("/mot-cua/nhan", url.Values{"so": {atDesk[2]}, "seal": {"broken"}})
	if code2 != 303 || !strings.Contains(loc2, "/mot-cua/kiem-dem/") {
		t.Fatalf("desk scan with a broken seal: %d %q", code2, loc2)
	}
	e.sameRows(t, "a spent draft", before)

	// 3. Another seal id through the staff API: a dispute naming the giver.
	res = office.events(ev("handoff.confirmed", n2, map[string]any{"seal_intact": true, "seal_id": "NP-SEAL-1"}))
	wantStatuses(t, "another seal through the API", res, "accepted")
	if n := e.count(`SELECT count(*) FROM events e JOIN parcels p ON p.id = e.parcel_id WHERE p.tracking_number = ? AND e.type = 'handoff.disputed'
		AND e.data->>'problem' = 'seal_mismatch'`, n2); n != 1 {
		t.Error("another seal through the API not recorded as a dispute")
	}
	if k, _ := e.custodian(n2); k != "courier" {
		t.Errorf("custody moved: %s", k)
	}

	// 4. The desk counts blind: nothing pre-filled; a short count goes to
	// the confirmation screen, which lists what differs without the
	// expected numbers; Back keeps the counts typed; the right count
	// records the receipt.
	n4 := atDesk[1]
	code, loc, _ = desk.noFollow("/mot-cua/nhan", url.Values{"so": {n4}, "seal": {"intact"}, "seal_id": {"NP-SEAL-4"}})
	if code != 303 || !strings.HasPrefix(loc, "/mot-cua/kiem-dem/"+n4) {
		t.Fatalf("desk scan: %d %q", code, loc)
	}
	_, page = desk.get(loc)
	if got := len(regexp.MustCompile(`name="count_\d" type="number"[^>]*value=""`).FindAllString(page, -1)); got != 3 {
		t.Errorf("count form: %d blank count fields of 3: %.3000s", got, page)
	}
	if regexp.MustCompile(`name="count_\d" type="number"[^>]*value="\d`).MatchString(page) {
		t.Error("count form pre-filled")
	}
	short := url.Values{"so": {n4}, "dem": {"1"}, "seal": {"intact"}, "seal_id": {"NP-SEAL-4"}, "count_1": {"1"}, "count_2": {"1"}, "count_3": {"1"}}
	code, loc, _ = desk.noFollow("/mot-cua/nhan", short)
	if code != 303 || !draftLocation.MatchString(loc) {
		t.Fatalf("short count: %d %q", code, loc)
	}
	_, page = desk.get(loc)
	if !strings.Contains(page, "bạn đếm được 1 bản, ít hơn số đã ghi") || strings.Contains(page, "2 bản") {
		t.Errorf("the confirmation screen of a short count: %.2500s", page)
	}
	id = loc[strings.LastIndex(loc, "/")+1:]
	if _, back := desk.get("/mot-cua/kiem-dem/" + n4 + "?nhap=" + id); !strings.Contains(back, `id="count_3" name="count_3" type="number" min="0" max="99" inputmode="numeric" class="input--short" required value="1"`) {
		t.Error("back to the count form lost the counts typed")
	}
	short.Set("count_3", "2")
	if _, page = desk.postForm("/mot-cua/nhan", short); !strings.Contains(page, `data-scan="ok"`) {
		t.Fatal("the right count was not recorded")
	}
	if k, ref := e.custodian(n4); k != "desk" || ref != "TN-TTPVHCC" {
		t.Fatalf("custody after the count: %s %s", k, ref)
	}

	// 5. A broken seal at the desk: counted, confirmed, a dispute naming
	// the courier.
	n5 := atDesk[2]
	v := url.Values{"so": {n5}, "dem": {"1"}, "seal": {"broken"}, "count_1": {"1"}, "count_2": {"1"}, "count_3": {"2"}}
	code, loc, _ = desk.noFollow("/mot-cua/nhan", v)
	if code != 303 || !draftLocation.MatchString(loc) {
		t.Fatalf("broken seal at the desk: %d %q", code, loc)
	}
	if _, page = desk.get(loc); !strings.Contains(page, "Niêm phong bị rách") {
		t.Error("confirmation screen of a broken seal")
	}
	if _, page = desk.postForm(loc, url.Values{}); !strings.Contains(page, `data-scan="disputed"`) {
		t.Fatal("broken seal not recorded as a dispute")
	}
	if n := e.count(`SELECT count(*) FROM incidents i JOIN parcels p ON p.id = i.parcel_id WHERE p.tracking_number = ? AND i.problem = 'seal_broken'
		AND i.last_custodian_kind = 'courier' AND i.last_custodian_ref = 'BUUTA1'`, n5); n != 1 {
		t.Error("broken seal dispute does not name the courier")
	}

	// 6. A desk of another scope scanning or confirming a parcel released
	// to the provincial centre: 403, the same answer as for an unknown
	// number, nothing written, nothing revealed.
	other := e.login("motcuaxa")
	n3 := atDesk[0]
	before = e.tableCounts()
	code, page = other.postForm("/mot-cua/nhan", url.Values{"so": {n3}, "seal": {"intact"}, "seal_id": {"NP-SEAL-3"}})
	codeU, pageU := other.postForm("/mot-cua/nhan", url.Values{"so": {"EA999999995VN"}, "seal": {"intact"}, "seal_id": {"NP-SEAL-3"}})
	msg := regexp.MustCompile(`data-scan="outside">\s*<p><strong>[^<]*</strong> <span class="code-id">[A-Z0-9]+</span> — ([^<]*)</p>`)
	m1, m2 := msg.FindStringSubmatch(page), msg.FindStringSubmatch(pageU)
	if code != 403 || codeU != 403 || m1 == nil || m2 == nil || m1[1] != m2[1] {
		t.Errorf("another desk's scan: %d %v, unknown: %d %v", code, m1, codeU, m2)
	}
	for _, word := range []string{"Đang chuyển", "Bưu tá", "BUUTA1"} {
		if strings.Contains(page[strings.Index(page, "<main"):], word) {
			t.Errorf("another desk's scan reveals %q", word)
		}
	}
	if code, _ = other.get("/mot-cua/kiem-dem/" + n3); code != 403 {
		t.Errorf("another desk's count form: %d", code)
	}
	res = other.events(ev("handoff.confirmed", n3, map[string]any{"seal_intact": true, "seal_id": "NP-SEAL-3", "documents": docs3}))
	wantStatuses(t, "another desk confirms", res, "rejected")
	if res[0].Error == nil || res[0].Error.Code != "forbidden" || strings.Contains(res[0].Error.Message, "BUUTA1") {
		t.Errorf("another desk's API answer: %+v", res[0].Error)
	}
	e.sameRows(t, "another desk's attempts", before)
	if k, _ := e.custodian(n3); k != "courier" {
		t.Errorf("custody moved: %s", k)
	}
}

// TestReturnLegSealedAtTheDeskCheckedAtTheDoor: the desk must seal a
// result when it hands it to the post; the door refuses a delivery without
// the seal or with another; a broken seal at the door opens an incident
// naming the courier.
func TestReturnLegSealedAtTheDeskCheckedAtTheDoor(t *testing.T) {
	e := startServer(t, nil)
	desk := e.login("motcua")
	courier := e.courier("buuta1")
	rs := e.courierResultsUnsealed(t, 2)
	before := e.tableCounts()
	// Without a seal, or with a malformed one: refused, no manifest.
	for _, seal := range []string{"", "kq 1"} {
		code, page := desk.postForm("/mot-cua/chuyen", url.Values{"numbers": {rs[0]}, "courier": {"BUUTA1"}, "seal_" + rs[0]: {seal}})
		if code != 422 || !strings.Contains(page, "niêm phong") {
			t.Errorf("unsealed release (%q): %d", seal, code)
		}
	}
	res := desk.events(ev("handoff.released", rs[0], map[string]any{"to": "courier:BUUTA1"}))
	wantStatuses(t, "unsealed release through the API", res, "rejected")
	e.sameRows(t, "unsealed releases", before)

	form := url.Values{"numbers": rs, "courier": {"BUUTA1"}, "seal_" + rs[0]: {"kq-d-1"}, "seal_" + rs[1]: {"KQ-D-2"}}
	if code, page := desk.postForm("/mot-cua/chuyen", form); code != 200 || !strings.Contains(page, "Đã lập bảng kê") {
		t.Fatalf("sealed release: %d", code)
	}
	for _, n := range rs {
		_, res = courier.send(ev("handoff.confirmed", n, map[string]any{"seal_intact": true}), ev("delivery.out", n, map[string]any{}))
		wantStatuses(t, "courier takes "+n, res, "accepted", "accepted")
	}
	sigs := map[string]string{}
	for _, n := range rs {
		sigs[n] = courier.signature(n)
	}
	deliver := func(n, seal string) map[string]any {
		d := map[string]any{"proof": map[string]any{"method": "proxy", "proxy_name": "Người nhà", "authorisation": "GUQ-1"},
			"signature_sha256": sigs[n], "fee_collected": 30000}
		if seal != "" {
			d["seal_id"] = seal
		}
		return ev("delivery.completed", n, d)
	}
	before = e.tableCounts()
	_, res = courier.send(deliver(rs[0], ""), deliver(rs[0], "KQ-D-2"), deliver(rs[0], "kq-d-1"))
	wantStatuses(t, "deliveries without the desk's seal", res, "rejected", "rejected", "rejected")
	for _, r := range res {
		if r.Error == nil || !strings.Contains(r.Error.Message, "Dữ liệu") {
			t.Errorf("rejection: %+v", r.Error)
		}
	}
	e.sameRows(t, "deliveries without the desk's seal", before)
	if k, ref := e.custodian(rs[0]); k != "courier" || ref != "BUUTA1" {
		t.Fatalf("custody moved: %s %s", k, ref)
	}
	// The courier's three refused deliveries are kept (the desk's refused
	// release above is kept too, under the desk clerk).
	if n := e.count(`SELECT count(*) FROM device_events d JOIN users u ON u.id = d.user_id
		WHERE d.status = 'rejected' AND d.tracking_number = ? AND d.type = 'delivery.completed' AND u.username = 'buuta1'`, rs[0]); n != 3 {
		t.Errorf("kept rejections of the courier = %d, want 3", n)
	}
	_, res = courier.send(deliver(rs[0], "KQ-D-1"))
	wantStatuses(t, "delivery with the desk's seal", res, "accepted")
	// A broken seal at the door: a failed attempt that opens an incident
	// naming the courier, who keeps the result.
	_, res = courier.send(ev("delivery.attempt_failed", rs[1], map[string]any{"cause": "seal_broken", "action": "return_to_desk", "note": "Bì rách mép"}))
	wantStatuses(t, "broken seal at the door", res, "accepted")
	if n := e.count(`SELECT count(*) FROM incidents i JOIN parcels p ON p.id = i.parcel_id WHERE p.tracking_number = ? AND i.problem = 'seal_broken'
		AND i.last_custodian_kind = 'courier' AND i.last_custodian_ref = 'BUUTA1'`, rs[1]); n != 1 {
		t.Error("broken seal at the door: no incident naming the courier")
	}
	_, body := e.get("/api/v1/public/track/" + rs[0] + "?phone_last4=0100") // the citizen of the first result: 0987000100
	if !strings.Contains(string(body), "Niêm phong số KQ-D-1 còn nguyên vẹn") {
		t.Errorf("timeline does not say the seal was checked at the door: %s", body)
	}
}

// courierResultsUnsealed registers n results of dossiers filed at the desk.
func (e *testEnv) courierResultsUnsealed(t *testing.T, n int) []string {
	t.Helper()
	var out []string
	for i := 0; i < n; i++ {
		body := fmt.Sprintf(`{"documents":[{"name":"Giấy chứng nhận kết hôn","kind":"original","count":1}],"fee":30000,"desk_code":"TN-TTPVHCC",
			"citizen":{"full_name":"Nguyễn Thị Bình","phone":"0987000%03d"},"address":{"province_code":"19","commune_code":"05443","line":"Số %d"}}`, 100+i, i+1)
		r := e.portal().do("POST", fmt.Sprintf("/api/v1/portal/dossiers/000.00.19.KQS-%d/result", i+1), []byte(body), fmt.Sprintf("kqs-%d", i))
		if r.status != 201 {
			t.Fatalf("result: %d %s", r.status, r.body)
		}
		var ret map[string]string
		r.json(t, &ret)
		out = append(out, ret["tracking_number"])
	}
	return out
}

// TestManifestClosedByBothSides: a batch release is one manifest; its
// receiver confirms it as a whole with a result per line, blind; the
// manifest closes with both parties and times; one left open past its
// deadline raises an alarm that clears when it closes; the handover record
// shows both confirmations and every discrepancy.
func TestManifestClosedByBothSides(t *testing.T) {
	e := startServer(t, nil)
	ctx := context.Background()
	desk, office := e.login("motcua"), e.login("buucuc")
	rs := e.courierResultsUnsealed(t, 3)
	form := url.Values{"numbers": rs, "to": {"post_office:BC-05443"}}
	for i, n := range rs {
		form.Set("seal_"+n, fmt.Sprintf("KQ-M%d", i+1))
	}
	code, loc, _ := desk.noFollow("/mot-cua/chuyen", form)
	m := regexp.MustCompile(`bang-ke=(BK\d+)`).FindStringSubmatch(loc)
	if code != 303 || m == nil {
		t.Fatalf("release to the office: %d %q", code, loc)
	}
	mcode := m[1]
	if n := e.count(`SELECT count(*) FROM manifests WHERE code = ? AND closed_at IS NULL AND deadline = created_at + interval '30 minutes'
		AND created_by = (SELECT id FROM users WHERE username = 'motcua')`, mcode); n != 1 {
		t.Fatal("manifest not open with its deadline and giver")
	}
	// Past the deadline, still open: an alarm.
	if _, err := e.sys.alarms.SweepFull(ctx, time.Now().Add(31*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := e.count(`SELECT count(*) FROM alarms a JOIN manifests m ON a.subject = m.id::text WHERE m.code = ? AND a.kind = 'manifest_open'
		AND a.cleared_at IS NULL AND a.office_code = 'BC-05443' AND a.desk_code = 'TN-TTPVHCC' AND a.province_code = '19'`, mcode); n != 1 {
		t.Fatal("no alarm for the manifest open past its deadline")
	}

	// The receiver's form: a line per parcel, nothing pre-filled.
	_, page := office.get("/buu-cuc/bang-ke/" + mcode)
	if strings.Count(page, `name="number_`) != 3 || regexp.MustCompile(`name="seal_id_\d"[^>]*value="[^"]`).MatchString(page) || strings.Contains(page, " checked") {
		t.Fatalf("manifest form pre-filled or incomplete: %.3000s", page)
	}
	// Another office cannot see it: the answer of an unknown code.
	other := e.addUserLogin(app.NewUser{Username: "buucuc2", Role: app.RoleOffice, OfficeCode: "BC-05488"})
	if code, _ := other.get("/buu-cuc/bang-ke/" + mcode); code != 404 {
		t.Errorf("another office's manifest: %d", code)
	}
	if code, _ := other.get("/buu-cuc/bang-ke/BK000000000000"); code != 404 {
		t.Errorf("unknown manifest: %d", code)
	}
	before := e.tableCounts()
	if code, _ := other.postForm("/buu-cuc/bang-ke/"+mcode, url.Values{"number_0": {rs[0]}, "result_0": {"received"}, "seal_id_0": {"KQ-M1"}}); code != 403 {
		t.Errorf("another office confirms a line: %d", code)
	}
	// Results missing: 422 with the lines named, nothing written.
	lines := url.Values{"number_0": {rs[0]}, "number_1": {rs[1]}, "number_2": {rs[2]}, "result_0": {"received"}}
	if code, page := office.postForm("/buu-cuc/bang-ke/"+mcode, lines); code != 422 || !strings.Contains(page, `href="#lines-1-result"`) || !strings.Contains(page, `href="#lines-0-seal_id"`) {
		t.Errorf("incomplete manifest confirmation: %d %.1500s", code, page)
	}
	e.sameRows(t, "refused manifest confirmations", before)

	// One received with its seal, one with another seal, one missing: the
	// confirmation screen lists the two differences.
	lines = url.Values{"number_0": {rs[0]}, "result_0": {"received"}, "seal_id_0": {"kq-m1"},
		"number_1": {rs[1]}, "result_1": {"received"}, "seal_id_1": {"KQ-M9"}, "number_2": {rs[2]}, "result_2": {"missing"}}
	code, loc, _ = office.noFollow("/buu-cuc/bang-ke/"+mcode, lines)
	if code != 303 || !draftLocation.MatchString(loc) {
		t.Fatalf("manifest with differences: %d %q", code, loc)
	}
	_, page = office.get(loc)
	if strings.Count(page, "data-diff=") != 2 || !strings.Contains(page, "Không có trong chuyến") || !strings.Contains(page, "Mã niêm phong bạn đọc khác") ||
		!strings.Contains(page, "1 bưu gửi không có khác biệt") {
		t.Fatalf("manifest confirmation screen: %.3000s", page)
	}
	id := loc[strings.LastIndex(loc, "/")+1:]
	// (Lines are listed by tracking number, which is not the order they
	// were made in: the missing one is whichever line says so.)
	if _, back := office.get("/buu-cuc/bang-ke/" + mcode + "?nhap=" + id); !strings.Contains(back, `value="KQ-M9"`) ||
		len(regexp.MustCompile(`name="result_\d" value="missing" required checked`).FindAllString(back, -1)) != 1 ||
		len(regexp.MustCompile(`name="result_\d" value="received" required checked`).FindAllString(back, -1)) != 2 {
		t.Error("back to the manifest lost what was typed")
	}
	if n := e.count(`SELECT count(*) FROM handoffs h JOIN manifests m ON m.id = h.manifest_id WHERE m.code = ? AND h.status = 'pending'`, mcode); n != 3 {
		t.Fatalf("lines closed before the confirmation: %d pending", 3-n)
	}
	if _, page = office.postForm(loc, url.Values{}); !strings.Contains(page, "Bảng kê "+mcode) {
		t.Fatalf("confirmed manifest: %.500s", page)
	}
	if n := e.count(`SELECT count(*) FROM manifests WHERE code = ? AND closed_at IS NOT NULL AND closed_kind = 'post_office' AND closed_ref = 'BC-05443'
		AND closed_by = (SELECT id FROM users WHERE username = 'buucuc') AND closed_at >= created_at`, mcode); n != 1 {
		t.Fatal("manifest not closed by its receiver")
	}
	for status, want := range map[string]int{"confirmed": 1, "disputed": 2, "pending": 0} {
		if n := e.count(`SELECT count(*) FROM handoffs h JOIN manifests m ON m.id = h.manifest_id WHERE m.code = ? AND h.status = ?`, mcode, status); n != want {
			t.Errorf("%s lines = %d, want %d", status, n, want)
		}
	}
	if n := e.count(`SELECT count(*) FROM incidents WHERE last_custodian_kind = 'desk' AND last_custodian_ref = 'TN-TTPVHCC' AND problem IN ('seal_mismatch', 'missing_parcel')`); n != 2 {
		t.Errorf("incidents naming the desk = %d, want 2", n)
	}
	if k, _ := e.custodian(rs[0]); k != "post_office" {
		t.Errorf("received line's custodian: %s", k)
	}
	for _, n := range rs[1:] {
		if k, _ := e.custodian(n); k != "desk" {
			t.Errorf("disputed line %s moved to %s", n, k)
		}
	}
	if _, err := e.sys.alarms.SweepFull(ctx, time.Now().Add(32*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := e.count(`SELECT count(*) FROM alarms a JOIN manifests m ON a.subject = m.id::text WHERE m.code = ? AND a.kind = 'manifest_open' AND a.cleared_at IS NULL`, mcode); n != 0 {
		t.Error("the manifest alarm did not clear once closed")
	}
	// Closed: nothing more to confirm.
	before = e.tableCounts()
	if code, _ := office.postForm("/buu-cuc/bang-ke/"+mcode, url.Values{"number_0": {rs[1]}, "result_0": {"received"}, "seal_id_0": {"KQ-M2"}}); code != 403 {
		t.Errorf("a closed manifest confirmed again: %d", code)
	}
	e.sameRows(t, "a closed manifest", before)

	// The handover record shows both confirmations and every discrepancy.
	resp, err := office.c.Get(e.base + "/nhan-vien/in/bien-ban/" + mcode)
	if err != nil {
		t.Fatal(err)
	}
	pdf, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("handover record: %d %s", resp.StatusCode, pdf)
	}
	txt := strings.Join(strings.Fields(pdfText(t, "bien-ban-"+mcode+".pdf", pdf)), " ")
	for _, want := range []string{"XÁC NHẬN CỦA HAI BÊN TRÊN HỆ THỐNG", "người lập: Cán bộ motcua (mã MOTCUA)", "xác nhận đủ bảng kê lúc",
		"người xác nhận: Cán bộ buucuc (mã BUUCUC)", "đã nhận 1/3 bưu gửi, sai lệch 2", "Đã nhận", "Có sai lệch", "Mã niêm phong khác", "Thiếu bưu gửi",
		"KQ-M1", "KQ-M9", "SAI LỆCH KHI NHẬN (2 mục"} {
		if !strings.Contains(txt, want) {
			t.Errorf("handover record lacks %q: %s", want, txt)
		}
	}

	// A run to a courier: the courier's confirmations in the app close it.
	atOffice := e.counterParcels(t, "post_office:BC-05443", "RUN-1", "RUN-2")
	for _, n := range atOffice {
		if _, page := office.postForm("/buu-cuc/nhan", url.Values{"so": {n}, "seal": {"intact"}, "seal_id": {"NP-" + map[string]string{atOffice[0]: "RUN-1", atOffice[1]: "RUN-2"}[n]}}); !strings.Contains(page, `data-scan="ok"`) {
			t.Fatalf("office receives %s", n)
		}
	}
	code, loc, _ = office.noFollow("/buu-cuc/chuyen", url.Values{"numbers": atOffice, "courier": {"BUUTA1"}})
	run := regexp.MustCompile(`bang-ke=(BK\d+)`).FindStringSubmatch(loc)
	if code != 303 || run == nil {
		t.Fatalf("run: %d %q", code, loc)
	}
	c := e.courier("buuta1")
	_, res := c.send(ev("handoff.confirmed", atOffice[0], map[string]any{"seal_intact": true}))
	wantStatuses(t, "first of the run", res, "accepted")
	if n := e.count(`SELECT count(*) FROM manifests WHERE code = ? AND closed_at IS NULL`, run[1]); n != 1 {
		t.Fatal("run closed with a line open")
	}
	_, res = c.send(ev("handoff.confirmed", atOffice[1], map[string]any{"seal_intact": true}))
	wantStatuses(t, "last of the run", res, "accepted")
	if n := e.count(`SELECT count(*) FROM manifests WHERE code = ? AND closed_kind = 'courier' AND closed_ref = 'BUUTA1'
		AND closed_by = (SELECT id FROM users WHERE username = 'buuta1')`, run[1]); n != 1 {
		t.Error("run not closed by the courier")
	}
}

// addUserLogin adds a staff account and signs it in.
func (e *testEnv) addUserLogin(n app.NewUser) *staffClient {
	e.t.Helper()
	e.addUser(n)
	return e.login(n.Username)
}

// TestReleaseOnlyToExistingPartiesInScope: the server decides who may
// receive. An office releases only to its own couriers; a release to a
// party that does not exist (every variant) or outside scope is refused on
// the page, through the staff API and from the courier app, and writes
// nothing, not even an empty manifest; 20 identical releases at once make
// one manifest.
func TestReleaseOnlyToExistingPartiesInScope(t *testing.T) {
	e := startServer(t, nil)
	office := e.login("buucuc")
	ns := e.counterParcels(t, "post_office:BC-05443", "SCOPE-1", "SCOPE-2")
	for i, n := range ns {
		if _, page := office.postForm("/buu-cuc/nhan", url.Values{"so": {n}, "seal": {"intact"}, "seal_id": {fmt.Sprintf("NP-SCOPE-%d", i+1)}}); !strings.Contains(page, `data-scan="ok"`) {
			t.Fatalf("office receives %s", n)
		}
	}
	n := ns[0]
	before := e.tableCounts()
	for _, c := range []struct {
		form url.Values
		want int
	}{
		{url.Values{"courier": {"BUUTA2"}}, 403},          // a courier of another office
		{url.Values{"courier": {"NOBODY"}}, 422},          // nobody
		{url.Values{"courier": {"buuta1"}}, 422},          // another case
		{url.Values{"courier": {"BUUTA1 "}}, 422},         // a trailing space
		{url.Values{"courier": {"MOTCUA"}}, 422},          // a desk clerk's code as a courier
		{url.Values{"courier": {"QUANTRI"}}, 422},         // an admin's code as a courier
		{url.Values{"office": {"BC-99999"}}, 422},         // an office that does not exist
		{url.Values{"office": {"BC-05488"}}, 403},         // another office
		{url.Values{"desk": {"TN-MC-05455"}}, 403},        // not the dossier's desk
		{url.Values{"to": {"post_office:BC-99999"}}, 422}, // the same, named as a party
		{url.Values{"to": {"courier:bưu tá"}}, 422},       // anything
		{url.Values{"to": {"admin:QUANTRI"}}, 422},        // a kind that cannot hold a parcel
		{url.Values{"to": {"desk:HN-MC-00004"}}, 403},     // another province's desk
		{url.Values{"to": {"courier:DIEUPHOI"}}, 422},     // a dispatcher's code
		{url.Values{"to": {"post_office:bc-05443"}}, 422}, // its own office in another case
		{url.Values{"to": {"courier:BUUTA1\u00a0"}}, 422}, // a non-breaking space
		{url.Values{"to": {"courier:BUUTA1\x00"}}, 422},   // a NUL byte
		{url.Values{"to": {"post_office:BC-05443"}}, 403}, // itself
	} {
		f := c.form
		f["numbers"] = []string{n}
		if code, page := office.postForm("/buu-cuc/chuyen", f); code != c.want {
			t.Errorf("release %v: %d, want %d: %.300s", c.form, code, c.want, page[strings.Index(page, "<main"):])
		}
	}
	// Through the staff API and from the courier app.
	res := office.events(ev("handoff.released", n, map[string]any{"to": "courier:BUUTA2"}), ev("handoff.released", n, map[string]any{"to": "courier:NOBODY"}),
		ev("handoff.released", n, map[string]any{"to": "post_office:BC-99999"}), ev("handoff.released", n, map[string]any{"to": "courier:MOTCUA"}),
		ev("handoff.released", n, map[string]any{"to": "courier:BUUTA1", "manifest": "BK-CUA-AI-KHAC"}))
	wantStatuses(t, "releases through the staff API", res, "rejected", "rejected", "rejected", "rejected", "rejected")
	if res[0].Error.Code != "forbidden" || res[1].Error.Code != "invalid" {
		t.Errorf("staff API answers: %+v %+v", res[0].Error, res[1].Error)
	}
	e.sameRows(t, "releases outside scope or to nobody", before)

	// The courier app: a parcel the courier holds, released to nobody or
	// outside scope.
	r := e.portal().do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.SCOPE-3")), "k-scope-3")
	var created map[string]string
	r.json(t, &created)
	held := created["tracking_number"]
	courier := e.courier("buuta1")
	e.assign("buuta1", held)
	_, res = courier.send(ev("pickup.collected", held, map[string]any{"documents": docs3, "seal_id": "NP-SCOPE-3", "proof": courier.sigProof(held)}))
	wantStatuses(t, "collect", res, "accepted")
	before = e.tableCounts()
	_, res = courier.send(ev("handoff.released", held, map[string]any{"to": "post_office:BC-99999"}), ev("handoff.released", held, map[string]any{"to": "courier:NOBODY"}),
		ev("handoff.released", held, map[string]any{"to": "courier:buuta2"}), ev("handoff.released", held, map[string]any{"to": "courier:BUUTA2"}),
		ev("handoff.released", held, map[string]any{"to": "desk:TN-MC-05455"}), ev("handoff.released", held, map[string]any{"to": "desk:KHONG-CO"}),
		ev("handoff.released", held, map[string]any{"to": "courier:QUANTRI"}))
	wantStatuses(t, "courier releases outside scope", res, "rejected", "rejected", "rejected", "rejected", "rejected", "rejected", "rejected")
	for i, want := range []string{"invalid", "invalid", "invalid", "forbidden", "forbidden", "invalid", "invalid"} {
		if res[i].Error == nil || res[i].Error.Code != want {
			t.Errorf("courier release %d: %+v, want %s", i, res[i].Error, want)
		}
	}
	e.sameRows(t, "the courier's releases outside scope", before)
	if k, ref := e.custodian(held); k != "courier" || ref != "BUUTA1" {
		t.Errorf("custody after refused releases: %s %s", k, ref)
	}

	// 20 identical releases at once: one manifest, one pending hand-off,
	// no empty manifest.
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			codes[i], _, _ = office.noFollow("/buu-cuc/chuyen", url.Values{"numbers": {ns[1]}, "courier": {"BUUTA1"}})
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		if c == 303 {
			ok++
		}
	}
	if ok != 1 || e.count(`SELECT count(*) FROM handoffs h JOIN parcels p ON p.id = h.parcel_id WHERE p.tracking_number = ? AND h.status = 'pending'`, ns[1]) != 1 {
		t.Errorf("20 identical releases: %v", codes)
	}
	if n := e.count(`SELECT count(*) FROM manifests m WHERE NOT EXISTS (SELECT 1 FROM handoffs h WHERE h.manifest_id = m.id)`); n != 0 {
		t.Errorf("%d empty manifests", n)
	}
}

// TestRecallAStuckRelease: a release nobody confirms is alarmed; only a
// dispatcher of the parcel's province (or an admin) may recall it, with a
// reason, on the page or through the staff API; the recall is a ledger
// event, audited, clears the alarm, leaves custody with the giver, who
// releases again. Everyone else's attempt writes nothing.
func TestRecallAStuckRelease(t *testing.T) {
	e := startServer(t, nil)
	ctx := context.Background()
	ns := e.counterParcels(t, "post_office:BC-05443", "RECALL-1", "RECALL-2")
	n := ns[0]
	hid := e.pendingHandoff(n)
	if _, err := e.sys.alarms.SweepFull(ctx, time.Now().Add(31*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if e.count(`SELECT count(*) FROM alarms WHERE kind = 'handoff_unconfirmed' AND subject = ? AND cleared_at IS NULL`, hid) != 1 {
		t.Fatal("the stuck release is not alarmed")
	}
	path := "/api/v1/staff/handoffs/" + hid + "/recall"
	reason := map[string]any{"reason": "Bưu cục không nhận được túi: bưu tá giao nhầm điểm"}
	e.addUser(app.NewUser{Username: "dieuphoihn", Role: app.RoleDispatcher, ProvinceCode: "01"})
	others := map[string]*staffClient{}
	for _, who := range []string{"buucuc", "motcua", "buuta1", "dieuphoihn"} {
		others[who] = e.login(who)
	}
	dispatcher := e.login("dieuphoi")
	token := e.courier("buuta1").token
	before := e.tableCounts()
	for who, c := range others {
		if code, body := c.jsonPost(path, reason); code != 403 {
			t.Errorf("recall by %s: %d %s", who, code, body)
		}
	}
	if code, body := dispatcher.jsonPost(path, map[string]any{"reason": ""}); code != 422 || !strings.Contains(string(body), "reason") {
		t.Errorf("recall without a reason: %d %s", code, body)
	}
	if code, _ := dispatcher.jsonPost("/api/v1/staff/handoffs/00000000-0000-0000-0000-000000000000/recall", reason); code != 404 {
		t.Errorf("recall of an unknown hand-off: %d", code)
	}
	// The courier app's token and no session at all: 401.
	for _, tok := range []string{token, ""} {
		req, _ := http.NewRequest("POST", e.base+path, strings.NewReader(`{"reason":"thử thu hồi"}`))
		req.Header.Set("Content-Type", "application/json")
		if tok != "" {
			req.Header.Set("Authorization", "Bearer "+tok)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 401 {
			t.Errorf("recall with token %t: %d", tok != "", resp.StatusCode)
		}
	}
	// The page's form refuses the same people.
	if code, _ := others["buucuc"].postForm("/nhan-vien/ban-giao/"+hid+"/thu-hoi", url.Values{"reason": {"thử"}}); code != 403 {
		t.Errorf("office on the recall page: %d", code)
	}
	e.sameRows(t, "refused recalls", before)
	if e.count(`SELECT count(*) FROM handoffs WHERE id = ? AND status = 'pending'`, hid) != 1 {
		t.Fatal("a refused recall closed the hand-off")
	}

	code, body := dispatcher.jsonPost(path, reason)
	var out struct {
		Handoff, TrackingNumber, Status string
	}
	if code != 200 || json.Unmarshal(body, &struct {
		H *string `json:"handoff_id"`
		N *string `json:"tracking_number"`
		S *string `json:"status"`
	}{&out.Handoff, &out.TrackingNumber, &out.Status}) != nil || out.Status != "recalled" || out.TrackingNumber != n || out.Handoff != hid {
		t.Fatalf("recall: %d %s", code, body)
	}
	if e.count(`SELECT count(*) FROM handoffs h JOIN events e ON e.id = h.closed_event WHERE h.id = ? AND h.status = 'recalled'
		AND e.type = 'handoff.recalled' AND e.actor_kind = 'dispatcher' AND e.data->>'handoff' = ? AND e.data->>'reason' = ?`, hid, hid, reason["reason"]) != 1 {
		t.Error("the recall is not a ledger event closing the hand-off")
	}
	if e.count(`SELECT count(*) FROM audit_log WHERE action = 'handoff_recalled' AND subject = ? AND reason = ?
		AND user_id = (SELECT id FROM users WHERE username = 'dieuphoi')`, n, reason["reason"]) != 1 {
		t.Error("the recall is not audited")
	}
	if e.count(`SELECT count(*) FROM alarms WHERE kind = 'handoff_unconfirmed' AND subject = ? AND cleared_at IS NULL`, hid) != 0 {
		t.Error("the alarm of the recalled release is still open")
	}
	if k, ref := e.custodian(n); k != "courier" || ref != "BUUTA1" {
		t.Errorf("custody after the recall: %s %s", k, ref)
	}
	if code, body = dispatcher.jsonPost(path, reason); code != 409 {
		t.Errorf("second recall: %d %s", code, body)
	}
	_, page := e.get("/tra-cuu/" + n)
	if !strings.Contains(string(page), "thu hồi lần bàn giao chưa được xác nhận") {
		t.Error("the public timeline does not tell the recall")
	}
	// The giver releases again; the office confirms.
	_, res := e.courier("buuta1").send(ev("handoff.released", n, map[string]any{"to": "post_office:BC-05443"}))
	wantStatuses(t, "release again", res, "accepted")
	if _, p := e.login("buucuc").postForm("/buu-cuc/nhan", url.Values{"so": {n}, "seal": {"intact"}, "seal_id": {"NP-RECALL-1"}}); !strings.Contains(p, `data-scan="ok"`) {
		t.Error("the office could not receive after the recall")
	}
	if out, err := runVerify(t, e); err != nil {
		t.Fatalf("verify after a recall: %v\n%s", err, out)
	}

	// On the page: the dispatcher's list and the recall form.
	_, list := dispatcher.get("/nhan-vien/ban-giao")
	if !strings.Contains(list, ns[1]) || strings.Contains(list, ">"+n+"<") {
		t.Errorf("pending hand-offs page: %.2000s", list)
	}
	hid2 := e.pendingHandoff(ns[1])
	if code, p := dispatcher.postForm("/nhan-vien/ban-giao/"+hid2+"/thu-hoi", url.Values{"reason": {""}}); code != 422 || !strings.Contains(p, "lý do") {
		t.Errorf("page recall without a reason: %d", code)
	}
	if code, p := dispatcher.postForm("/nhan-vien/ban-giao/"+hid2+"/thu-hoi", url.Values{"reason": {"Bưu cục báo không nhận được"}}); code != 200 || !strings.Contains(p, "Đã thu hồi bàn giao "+ns[1]) {
		t.Errorf("page recall: %d", code)
	}
	if e.count(`SELECT count(*) FROM handoffs WHERE id = ? AND status = 'recalled'`, hid2) != 1 {
		t.Error("the page's recall did not close the hand-off")
	}
}

// pendingHandoff returns the id of a parcel's pending hand-off.
func (e *testEnv) pendingHandoff(number string) string {
	e.t.Helper()
	ls := e.psql(`SELECT h.id FROM handoffs h JOIN parcels p ON p.id = h.parcel_id WHERE h.status = 'pending' AND p.tracking_number = '` + number + `'`)
	if len(ls) != 1 {
		e.t.Fatalf("pending hand-offs of %s: %v", number, ls)
	}
	return ls[0]
}

// TestResultOnlyForAcceptedDossier: the portal and the desk's page register
// a result only for a dossier the desk accepted: 409 with a clear message
// while the papers are at home, on the way or at the desk, and nothing is
// written.
func TestResultOnlyForAcceptedDossier(t *testing.T) {
	e := startServer(t, nil)
	portal := e.portal()
	r := portal.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.KQ-SOM")), "kq-som")
	var created map[string]string
	r.json(t, &created)
	n := created["tracking_number"]
	result := []byte(`{"documents":[{"name":"Giấy chứng nhận","kind":"original","count":1}],"fee":0}`)
	try := func(step string, key string) {
		t.Helper()
		before := e.tableCounts()
		rr := portal.do("POST", "/api/v1/portal/dossiers/000.00.19.KQ-SOM/result", result, key)
		if rr.status != 409 || !strings.Contains(string(rr.body), "chưa được bộ phận một cửa tiếp nhận") {
			t.Errorf("%s: result %d %s", step, rr.status, rr.body)
		}
		after := e.tableCounts()
		delete(before, "idempotency_keys")
		delete(after, "idempotency_keys")
		for _, k := range []string{"portal_nonces", "sms_messages", "notify_links", "notify_counters"} {
			delete(before, k)
			delete(after, k)
		}
		if fmt.Sprint(before) != fmt.Sprint(after) {
			t.Errorf("%s: a refused result wrote rows", step)
		}
	}
	try("papers at home", "kq-som-1")
	courier := e.courier("buuta1")
	e.assign("buuta1", n)
	_, res := courier.send(ev("pickup.collected", n, map[string]any{"documents": docs3, "seal_id": "NP-SOM", "proof": courier.sigProof(n)}),
		ev("handoff.released", n, map[string]any{"to": "desk:TN-TTPVHCC"}))
	wantStatuses(t, "collect", res, "accepted", "accepted")
	try("on the way", "kq-som-2")
	desk := e.login("motcua")
	if _, page := desk.postForm("/mot-cua/nhan", url.Values{"so": {n}, "dem": {"1"}, "seal": {"intact"}, "seal_id": {"NP-SOM"}, "count_1": {"1"}, "count_2": {"1"}, "count_3": {"2"}}); !strings.Contains(page, `data-scan="ok"`) {
		t.Fatal("desk receives")
	}
	try("at the desk", "kq-som-3")
	if code, page := desk.postForm("/mot-cua/ket-qua/"+n, url.Values{"doc_name_0": {"Kết quả"}, "doc_kind_0": {"original"}, "doc_count_0": {"1"}, "fee": {"0"}}); code != 409 ||
		!strings.Contains(page, "chưa được bộ phận một cửa tiếp nhận") {
		t.Errorf("desk page result before the decision: %d", code)
	}
	if code, _ := desk.postForm("/mot-cua/quyet-dinh/"+n, url.Values{"decision": {"accept"}, "appointment": {time.Now().AddDate(0, 0, 10).Format("2006-01-02")}}); code != 200 {
		t.Fatal("accept")
	}
	if rr := portal.do("POST", "/api/v1/portal/dossiers/000.00.19.KQ-SOM/result", result, "kq-som-4"); rr.status != 201 {
		t.Errorf("result after acceptance: %d %s", rr.status, rr.body)
	}
}

// TestReportMissingGoesThroughTheSecondScreen: "not in the bag" for a
// giver's releases is a difference like any other: listed on the
// confirmation screen first, recorded as disputes naming the giver once
// confirmed, and only for the releases still open.
func TestReportMissingGoesThroughTheSecondScreen(t *testing.T) {
	e := startServer(t, nil)
	office := e.login("buucuc")
	ns := e.counterParcels(t, "post_office:BC-05443", "MISS-1", "MISS-2")
	if _, page := office.postForm("/buu-cuc/nhan", url.Values{"so": {ns[0]}, "seal": {"intact"}, "seal_id": {"NP-MISS-1"}}); !strings.Contains(page, `data-scan="ok"`) {
		t.Fatal("office receives the first")
	}
	before := e.tableCounts()
	code, loc, body := office.noFollow("/buu-cuc/thieu", url.Values{"giver": {"courier:BUUTA1"}})
	if code != 303 || !draftLocation.MatchString(loc) {
		t.Fatalf("report missing: %d %q %.3000s", code, loc, body)
	}
	_, page := office.get(loc)
	if !strings.Contains(page, "Xác nhận báo thiếu bưu gửi") || !strings.Contains(page, `data-diff="`+ns[1]+`"`) || strings.Contains(page, `data-diff="`+ns[0]+`"`) {
		t.Fatalf("confirmation of the missing: %.2000s", page)
	}
	after := e.tableCounts()
	if after["events"] != before["events"] || after["incidents"] != before["incidents"] {
		t.Fatal("the missing were recorded before the confirmation")
	}
	if _, page = office.postForm(loc, url.Values{}); !strings.Contains(page, "ghi sai lệch 1") {
		t.Fatalf("after confirming: %.500s", page)
	}
	if n := e.count(`SELECT count(*) FROM incidents i JOIN parcels p ON p.id = i.parcel_id WHERE p.tracking_number = ? AND i.problem = 'missing_parcel'
		AND i.last_custodian_kind = 'courier' AND i.last_custodian_ref = 'BUUTA1'`, ns[1]); n != 1 {
		t.Error("the missing parcel's dispute does not name the courier")
	}
	// Nothing left from that giver: said so, nothing written.
	before = e.tableCounts()
	if _, page = office.postForm("/buu-cuc/thieu", url.Values{"giver": {"courier:BUUTA1"}}); !strings.Contains(page, "Không còn bưu gửi nào chờ xác nhận") {
		t.Errorf("nothing left to report: %.500s", page)
	}
	e.sameRows(t, "nothing left to report", before)
}
