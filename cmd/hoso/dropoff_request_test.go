package main

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/internal/errs"
)

// counterValues is a complete request a post office clerk makes at the
// counter for a citizen who brings the papers without one: no window.
func counterValues(dossier string) url.Values {
	return url.Values{"dossier_code": {dossier}, "phone": {"0912 345 678"}, "full_name": {"Hoàng Thị Lan"},
		"id_number": {"019198001234"}, "commune": {"05443"}, "line": {"Số 12, tổ 4"}, "desk": {"TN-TTPVHCC"},
		"doc_name_0": {"Tờ khai đăng ký"}, "doc_kind_0": {"original"}, "doc_count_0": {"1"},
		"doc_name_1": {"Giấy khai sinh"}, "doc_kind_1": {"certified_copy"}, "doc_count_1": {"1"}}
}

// TestCounterRequestHTTP (issue 18 item 3, "or creates it"): a citizen
// with no request brings the papers to the post office. The clerk makes the
// request at the counter (no window, the office's own, audited, reported to
// the desk's portal as made by the post office), then takes the papers on
// the drop-off form; custody starts at the office and the courier's day
// never gets a visit. Bad input changes nothing and redirects to the form
// with what was typed; another role cannot; the same form twenty times in
// parallel makes one request.
func TestCounterRequestHTTP(t *testing.T) {
	e := startServer(t, nil)
	ctx := context.Background()
	hp := newCallbackPortal(t, "dvc-quay-moi", func(int) int { return 200 })
	callbackClient(t, e, "dvc-quay-moi", hp)
	fastRelay(t, e)
	office := e.login("buucuc")
	const newPath = "/buu-cuc/nop-tai-quay/moi"
	parcels := func() int { return e.count(`SELECT count(*) FROM parcels WHERE channel = 'counter'`) }

	// The find page offers the counter request for an unknown dossier code.
	if st, _, body := office.noFollow("/buu-cuc/nop-tai-quay", url.Values{"ref": {"000.00.19.MOI-0001"}}); st != 404 ||
		!strings.Contains(body, newPath+"?ma_ho_so=000.00.19.MOI-0001") {
		t.Fatalf("unknown dossier: %d %s", st, tail(body, 400))
	}
	if st, body := office.get(newPath + "?ma_ho_so=000.00.19.MOI-0001&xa=05443"); st != 200 || !strings.Contains(body, `value="000.00.19.MOI-0001"`) ||
		strings.Contains(body, `id="slot"`) || strings.Contains(body, "data-geo-button") || !strings.Contains(body, "nơi trả kết quả") {
		t.Fatalf("the counter form: %d %s", st, tail(body, 600))
	}

	// Bad input: a redirect to the form with what was typed, nothing written.
	bad := []struct {
		name  string
		edit  func(url.Values)
		field string
	}{
		{"no phone", func(v url.Values) { v.Del("phone") }, "Số điện thoại"},
		{"bad phone", func(v url.Values) { v.Set("phone", "12345") }, "Số điện thoại"},
		{"no name", func(v url.Values) { v.Del("full_name") }, "Họ và tên"},
		{"non-UTF-8 name", func(v url.Values) { v.Set("full_name", "Ho\xff\xfeng") }, "Họ và tên"},
		{"no desk", func(v url.Values) { v.Del("desk") }, "Nơi tiếp nhận"},
		{"unknown desk", func(v url.Values) { v.Set("desk", "KHONG-CO") }, "Nơi tiếp nhận"},
		{"another province's desk", func(v url.Values) { v.Set("desk", "HN-MC-00004") }, "tỉnh của bưu cục"},
		{"no documents", func(v url.Values) { v.Del("doc_name_0"); v.Del("doc_name_1") }, "Tên giấy tờ"},
		{"bad count", func(v url.Values) { v.Set("doc_count_0", "hai") }, "Số bản dòng 1"},
		{"no address line", func(v url.Values) { v.Del("line") }, "Địa chỉ"},
		{"unknown commune", func(v url.Values) { v.Set("commune", "99999") }, "Xã/phường"},
		{"no dossier code", func(v url.Values) { v.Del("dossier_code") }, "Mã hồ sơ"},
	}
	if err := e.db.ExecForTest(ctx, `INSERT INTO desks (code, name, level, commune_code, province_code) VALUES ('HN-MC-00004', 'Bộ phận một cửa Ba Đình', 'commune', '00004', '01') ON CONFLICT DO NOTHING`); err != nil {
		t.Fatal(err)
	}
	events := e.count(`SELECT count(*) FROM events`)
	for _, c := range bad {
		v := counterValues("000.00.19.MOI-0001")
		c.edit(v)
		st, loc, body := office.noFollow(newPath, v)
		if st != 303 || loc != newPath {
			t.Errorf("%s: %d %q %s", c.name, st, loc, tail(body, 300))
			continue
		}
		_, page := office.get(newPath)
		if !strings.Contains(page, c.field) || !strings.Contains(page, "error-summary") || !strings.Contains(page, `value="0`) && c.name != "no phone" {
			t.Errorf("%s: the form after the redirect lacks %q or the typed phone: %s", c.name, c.field, tail(page, 800))
		}
		if strings.Contains(page, "Khung giờ") || strings.Contains(page, "khung giờ") {
			t.Errorf("%s: the counter form speaks of a visit window", c.name)
		}
	}
	if n := parcels(); n != 0 {
		t.Fatalf("%d counter requests after bad input", n)
	}
	if n := e.count(`SELECT count(*) FROM events`); n != events {
		t.Fatalf("bad input wrote %d events", n-events)
	}

	// Not a post office clerk: refused.
	for _, who := range []string{"motcua", "dieuphoi"} {
		if st, _, _ := e.login(who).noFollow(newPath, counterValues("000.00.19.MOI-0002")); st != 403 {
			t.Errorf("%s made a counter request: %d", who, st)
		}
	}

	// Twenty at once (a double-click, a flaky counter PC): one request.
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			var b string
			codes[i], _, b = office.noFollow(newPath, counterValues("000.00.19.MOI-0001"))
			if i == 0 && codes[i] != 303 {
				t.Log(tail(b, 600))
			}
		}(i)
	}
	wg.Wait()
	if n := parcels(); n != 1 {
		t.Fatalf("20 parallel submissions made %d requests (%v)", n, codes)
	}
	pairs, err := e.db.PairsForTest(ctx, `SELECT tracking_number, coalesce(created_by::text, '') FROM parcels WHERE channel = 'counter'`)
	if err != nil || len(pairs) != 1 {
		t.Fatal(err, pairs)
	}
	n := pairs[0][0]
	row := e.count(`SELECT count(*) FROM parcels p WHERE tracking_number = ? AND office_code = 'BC-05443' AND window_start IS NULL
		AND planned_date IS NULL AND created_by IS NOT NULL AND status = 'requested' AND NOT EXISTS (SELECT 1 FROM pickup_windows w WHERE w.parcel_id = p.id)`, n)
	if row != 1 {
		t.Errorf("the counter request is not the office's, windowless and unplanned")
	}
	if k := e.count(`SELECT count(*) FROM audit_log WHERE action = ? AND subject = ?`, app.AuditDropoffRequest, n); k != 1 {
		t.Errorf("%d audit rows for the counter request", k)
	}
	if k := e.count(`SELECT count(*) FROM events ev JOIN parcels p ON p.id = ev.parcel_id WHERE p.tracking_number = ?
		AND ev.type = 'pickup.requested' AND ev.actor_kind = 'post_office' AND ev.actor_ref = 'BC-05443'`, n); k != 1 {
		t.Errorf("pickup.requested by the office: %d", k)
	}
	// The find page lists it until the papers are taken; the tracking page
	// and its JSON read it.
	if _, body := office.get("/buu-cuc/nop-tai-quay"); !strings.Contains(body, n) {
		t.Error("the pending counter request is not listed on the find page")
	}
	if resp, body := e.get("/tra-cuu/" + n); resp.StatusCode != 200 || !strings.Contains(string(body), "quầy bưu cục") {
		t.Errorf("tracking page of a counter request: %d %s", resp.StatusCode, tail(string(body), 400))
	}
	// Reported to the desk's portal as made by the post office.
	waitUntil(t, 20*time.Second, "the report of the counter request", func() bool {
		for _, cb := range hp.applied() {
			if cb.TrackingNumber == n && cb.Detail["request_created_by"] == "post_office" && cb.Detail["office_code"] == "BC-05443" {
				return true
			}
		}
		return false
	})

	// The papers are taken on the drop-off form, the citizen's CCCD checked
	// by the server.
	st, loc, body := office.multipartPost("/buu-cuc/nop-tai-quay/"+n, map[string]string{"event_id": "7d2e8b63-9e4f-4cab-a062-1a4c8d3e2f10",
		"disposition_1": "original", "count_1": "1", "condition_1": "good", "disposition_2": "original", "count_2": "1", "condition_2": "good",
		"seal_id": "NP-MOI-1", "method": "id_digits", "secret": "234"}, nil)
	if st != 303 || !strings.HasSuffix(loc, "/xong") {
		t.Fatalf("drop-off of the counter request: %d %q %s", st, loc, tail(body, 500))
	}
	if k, ref := e.custodian(n); k != "post_office" || ref != "BC-05443" {
		t.Fatalf("after the counter drop-off the papers are with %s %s", k, ref)
	}
	if _, body := office.get("/buu-cuc/nop-tai-quay"); strings.Contains(body, n) {
		t.Error("a received request is still listed as pending")
	}
	// Another request for the same dossier while one is open: refused.
	st, loc, _ = office.noFollow(newPath, counterValues("000.00.19.MOI-0001"))
	_, page := office.get(newPath)
	if st != 303 || loc != newPath || !strings.Contains(page, "đã có yêu cầu thu gom") {
		t.Errorf("a second request for an open dossier: %d %q %s", st, loc, tail(page, 400))
	}
	if k := parcels(); k != 1 {
		t.Errorf("%d counter requests", k)
	}
}

// TestCounterRequestInBrowser: the counter request and the drop-off that
// follows it in Chromium at 360 px, axe clean on every screen
// (e2e/scenarios/counter-request.mjs).
func TestCounterRequestInBrowser(t *testing.T) {
	e := startServer(t, nil)
	res := e.browser("counter-request", map[string]any{"username": "buucuc", "password": "mat-khau-buucuc",
		"dossier": "000.00.19.MOI-0360", "digits": "019198001234"})
	var out struct{ Number string }
	if err := json.Unmarshal(res, &out); err != nil || out.Number == "" {
		t.Fatalf("scenario result %s: %v", res, err)
	}
	if k, ref := e.custodian(out.Number); k != "post_office" || ref != "BC-05443" {
		t.Fatalf("after the counter request in the browser the papers are with %s %s", k, ref)
	}
	if k := e.count(`SELECT count(*) FROM parcels WHERE tracking_number = ? AND channel = 'counter'`, out.Number); k != 1 {
		t.Errorf("the request is not a counter request")
	}
}

// TestCounterRequestCancel: a counter request whose papers were never
// taken is cancelled by its own office with a reason (else the dossier's
// one open pickup stays blocked), audited, the office as the event's actor;
// bad reasons change nothing; another office, a request the counter did not
// make and another role are refused; the dossier then takes a new request.
func TestCounterRequestCancel(t *testing.T) {
	e := startServer(t, nil)
	ctx := context.Background()
	hp := newCallbackPortal(t, "dvc-quay-huy", func(int) int { return 200 })
	callbackClient(t, e, "dvc-quay-huy", hp)
	fastRelay(t, e)
	office := e.login("buucuc")
	if _, err := e.sys.auth.CreateUser(ctx, app.NewUser{Username: "buucuc2", Password: "mat-khau-buucuc2", FullName: "Cán bộ bưu cục 2",
		Role: app.RoleOffice, OfficeCode: "BC-05488"}); err != nil {
		t.Fatal(err)
	}
	if st, loc, body := office.noFollow("/buu-cuc/nop-tai-quay/moi", counterValues("000.00.19.HUY-0001")); st != 303 || !strings.Contains(loc, "/buu-cuc/nop-tai-quay/") {
		t.Fatalf("counter request: %d %q %s", st, loc, tail(body, 300))
	}
	pairs, err := e.db.PairsForTest(ctx, `SELECT tracking_number, status FROM parcels WHERE channel = 'counter'`)
	if err != nil || len(pairs) != 1 {
		t.Fatal(err, pairs)
	}
	n := pairs[0][0]
	path := "/buu-cuc/nop-tai-quay/" + n
	// No visit was arranged: "not at home" has nothing to withdraw.
	if _, err := e.sys.self.NotHome(ctx, app.Actor{}, n); errs.KindOf(err) != errs.Conflict {
		t.Errorf("not at home on a counter request: %v", err)
	}
	if _, body := office.get(path); !strings.Contains(body, "Công dân không nộp nữa?") || !strings.Contains(body, `action="`+path+`/huy"`) {
		t.Fatalf("the drop-off form of a counter request offers no cancel: %s", tail(body, 500))
	}
	events := e.count(`SELECT count(*) FROM events`)
	for _, c := range []struct{ name, reason, want string }{
		{"empty", "", "Ghi lý do hủy"},
		{"too short", " a ", "Ghi lý do hủy"},
		{"non-UTF-8", "kh\xffông nộp", "không đọc được"},
		{"control", "không\x00nộp", "không đọc được"},
		{"too long", strings.Repeat("dài ", 80), "tối đa 300"},
	} {
		st, _, body := office.noFollow(path+"/huy", url.Values{"cancel_reason": {c.reason}})
		if st != 422 || !strings.Contains(body, c.want) || !strings.Contains(body, `id="cancel_reason"`) {
			t.Errorf("%s: %d %s", c.name, st, tail(body, 300))
		}
	}
	if k := e.count(`SELECT count(*) FROM events`); k != events {
		t.Fatalf("bad reasons wrote %d events", k-events)
	}
	// Another office, another role, a request the counter did not make.
	if st, _, _ := e.login("buucuc2").noFollow(path+"/huy", url.Values{"cancel_reason": {"không nộp"}}); st != 403 {
		t.Errorf("another office cancelled: %d", st)
	}
	if st, _, _ := e.login("motcua").noFollow(path+"/huy", url.Values{"cancel_reason": {"không nộp"}}); st != 403 {
		t.Errorf("a desk clerk used the counter's cancel: %d", st)
	}
	portalN := e.dropoffPickup(t, e.portal(), "000.00.19.HUY-PORTAL", "05443", 21.5942, 105.8482)
	if st, _, _ := office.noFollow("/buu-cuc/nop-tai-quay/"+portalN+"/huy", url.Values{"cancel_reason": {"không nộp"}}); st != 403 {
		t.Errorf("the counter cancelled a portal request: %d", st)
	}
	if k := e.count(`SELECT count(*) FROM parcels WHERE status = 'cancelled'`); k != 0 {
		t.Fatalf("%d cancelled after refusals", k)
	}

	// Twenty cancels at once (a double-clicked button, a flaky counter PC):
	// one event, one audit line; the others are told it is cancelled.
	var wg sync.WaitGroup
	codes := make([]int, 20)
	locs := make([]string, 20)
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			codes[i], locs[i], _ = office.noFollow(path+"/huy", url.Values{"cancel_reason": {"Công dân không nộp nữa"}})
		}(i)
	}
	wg.Wait()
	loc, done := "", 0
	for i, st := range codes {
		switch st {
		case 303:
			done++
			loc = locs[i]
		case 409:
		default:
			t.Errorf("parallel cancel %d: %d", i, st)
		}
	}
	if done != 1 || !strings.HasPrefix(loc, "/buu-cuc/nop-tai-quay?") {
		t.Fatalf("20 parallel cancels: %d succeeded (%v)", done, codes)
	}
	if _, body := office.get(loc); !strings.Contains(body, "Đã hủy yêu cầu "+n) || strings.Contains(body, `href="`+path+`"`) {
		t.Errorf("the find page after the cancel: %s", tail(body, 400))
	}
	if k := e.count(`SELECT count(*) FROM events ev JOIN parcels p ON p.id = ev.parcel_id WHERE p.tracking_number = ? AND ev.type = 'parcel.cancelled'
		AND ev.actor_kind = 'post_office' AND ev.actor_ref = 'BC-05443'`, n); k != 1 {
		t.Errorf("cancel events by the office: %d", k)
	}
	if k := e.count(`SELECT count(*) FROM audit_log WHERE action = ? AND subject = ? AND reason = 'Công dân không nộp nữa'`, app.AuditDropoffCancel, n); k != 1 {
		t.Errorf("cancel audit rows: %d", k)
	}
	// The desk's portal hears of it, cancelled by the post office.
	waitUntil(t, 20*time.Second, "the cancellation's callback", func() bool {
		for _, cb := range hp.applied() {
			if cb.TrackingNumber == n && cb.Detail["event"] == "parcel.cancelled" && cb.Detail["by"] == "post_office" {
				return true
			}
		}
		return false
	})
	// Again: a conflict, nothing written.
	events = e.count(`SELECT count(*) FROM events`)
	if st, _, body := office.noFollow(path+"/huy", url.Values{"cancel_reason": {"lần nữa"}}); st != 409 || !strings.Contains(body, "đã hủy") {
		t.Errorf("cancel twice: %d %s", st, tail(body, 300))
	}
	if k := e.count(`SELECT count(*) FROM events`); k != events {
		t.Error("the second cancel wrote an event")
	}
	// The dossier is free for a new request.
	if st, loc, body := office.noFollow("/buu-cuc/nop-tai-quay/moi", counterValues("000.00.19.HUY-0001")); st != 303 || loc == "/buu-cuc/nop-tai-quay/moi" {
		t.Errorf("a new request after the cancel: %d %q %s", st, loc, tail(body, 300))
	}
}
