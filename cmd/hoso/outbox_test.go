package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/notify"
	"hoso/internal/outbox"
	"hoso/internal/web"
)

func notifyQuietOff() notify.QuietHours { return notify.QuietHours{Off: true} }

// callbackPortal is a portal's callback endpoint written from
// contracts/api.md alone: its own HMAC check, deduplication by event_id.
type callbackPortal struct {
	t      *testing.T
	id     string
	mu     sync.Mutex
	secret []byte
	fail   func(n int) int // status to answer the n-th request with (200 to accept)
	n      int
	seen   map[string]bool
	bodies []app.CallbackBody // applied, once each, in arrival order
	raw    []string
	bad    []string
	srv    *httptest.Server
}

func newCallbackPortal(t *testing.T, id string, fail func(n int) int) *callbackPortal {
	p := &callbackPortal{t: t, id: id, fail: fail, seen: map[string]bool{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.handle))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *callbackPortal) setSecret(s string) {
	p.mu.Lock()
	p.secret = []byte(s)
	p.mu.Unlock()
}

func (p *callbackPortal) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	ts, nonce := r.Header.Get("X-Timestamp"), r.Header.Get("X-Nonce")
	sum := sha256.Sum256(body)
	m := hmac.New(sha256.New, p.secret)
	m.Write([]byte(r.Method + "\n" + r.URL.RequestURI() + "\n" + ts + "\n" + nonce + "\n" + hex.EncodeToString(sum[:])))
	sec, _ := strconv.ParseInt(ts, 10, 64)
	switch {
	case r.Header.Get("X-Hoso-Id") != p.id:
		p.bad = append(p.bad, "X-Hoso-Id "+r.Header.Get("X-Hoso-Id"))
	case !hmac.Equal([]byte(hex.EncodeToString(m.Sum(nil))), []byte(r.Header.Get("X-Signature"))):
		p.bad = append(p.bad, "signature")
	case time.Since(time.Unix(sec, 0)).Abs() > 300*time.Second:
		p.bad = append(p.bad, "timestamp")
	case len(nonce) < 16 || len(nonce) > 64:
		p.bad = append(p.bad, "nonce")
	}
	p.n++
	if st := p.fail(p.n); st != 200 {
		w.WriteHeader(st)
		return
	}
	var cb app.CallbackBody
	if err := json.Unmarshal(body, &cb); err != nil {
		p.bad = append(p.bad, "body "+err.Error())
		w.WriteHeader(400)
		return
	}
	if !p.seen[cb.EventID] {
		p.seen[cb.EventID] = true
		p.bodies = append(p.bodies, cb)
		p.raw = append(p.raw, string(body))
	}
	w.WriteHeader(200)
}

func (p *callbackPortal) applied() []app.CallbackBody {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]app.CallbackBody(nil), p.bodies...)
}

// fastRelay replaces the server's relay by one that retries within
// milliseconds.
func fastRelay(t *testing.T, e *testEnv) {
	t.Helper()
	o := e.sys.outbox
	o.stop()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); o.stop() })
	r := o.newRelay(e.db.ListenOutbox(ctx))
	r.Backoff = outbox.Backoff{Base: 10 * time.Millisecond, Factor: 2, Cap: 50 * time.Millisecond, Jitter: 0.2, MaxAge: time.Hour}
	r.Poll = 20 * time.Millisecond
	o.start(ctx, r)
}

// callbackClient registers a portal client whose callbacks go to p.
func callbackClient(t *testing.T, e *testEnv, id string, p *callbackPortal) contractClient {
	t.Helper()
	_, sec, err := e.sys.portal.CreateClient(context.Background(), id, "Cổng có callback", "19", p.srv.URL+"/callback?tinh=19", false)
	if err != nil {
		t.Fatal(err)
	}
	p.setSecret(sec)
	return contractClient{t: t, base: e.base, id: id, secret: sec}
}

func waitUntil(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// Every status change of a portal's pickups reaches its callback URL
// exactly as the contract says, in order per dossier, through a portal that
// fails now and then; the signature verifies with the portal's secret; no
// personal data is in the bodies; a client without a callback URL gets no
// portal rows.
func TestPortalCallbacksThroughTheServer(t *testing.T) {
	e := startServer(t, nil)
	p := newCallbackPortal(t, "dvc-cb", func(n int) int {
		if n%3 == 1 {
			return 500
		}
		return 200
	})
	pc := callbackClient(t, e, "dvc-cb", p)
	fastRelay(t, e)
	courier := e.courier("buuta1")
	office := e.login("buucuc")
	var numbers, ids []string
	for i := 0; i < 3; i++ {
		r := pc.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody(fmt.Sprintf("000.00.19.CB-%d", i))), fmt.Sprintf("cb-%d", i))
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var created map[string]string
		r.json(t, &created)
		numbers, ids = append(numbers, created["tracking_number"]), append(ids, created["id"])
	}
	docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}}
	for _, n := range numbers {
		e.assign("buuta1", n)
		_, res := courier.send(ev("pickup.collected", n, map[string]any{"documents": docs, "seal_id": "NP-2001", "proof": courier.sigProof(n)}),
			ev("handoff.released", n, map[string]any{"to": "post_office:BC-05443"}))
		wantStatuses(t, "collect", res, "accepted", "accepted")
		wantStatuses(t, "office confirms", office.events(ev("handoff.confirmed", n, map[string]any{"seal_intact": true, "seal_id": "NP-2001"})), "accepted")
	}
	waitUntil(t, 30*time.Second, "9 callbacks", func() bool { return len(p.applied()) == 9 })
	got := p.applied()
	p.mu.Lock()
	bad := append([]string(nil), p.bad...)
	raw := strings.Join(p.raw, "\n")
	p.mu.Unlock()
	if len(bad) > 0 {
		t.Fatalf("refused by the contract's checks: %v", bad)
	}
	for i, n := range numbers {
		var mine []app.CallbackBody
		for _, cb := range got {
			if cb.TrackingNumber == n {
				mine = append(mine, cb)
			}
		}
		var statuses, upu []string
		for _, cb := range mine {
			statuses, upu = append(statuses, cb.Status), append(upu, cb.UPUCode)
			if cb.PickupID != ids[i] || cb.DossierCode != fmt.Sprintf("000.00.19.CB-%d", i) || cb.Detail["event"] == nil {
				t.Errorf("callback %+v", cb)
			}
			if _, err := time.Parse(time.RFC3339, cb.At); err != nil {
				t.Errorf("at %q", cb.At)
			}
		}
		if fmt.Sprint(statuses) != "[requested collected at_office]" || fmt.Sprint(upu) != "[ EMA EDD]" {
			t.Errorf("%s: statuses %v, UPU %v", n, statuses, upu)
		}
		// The event ids are the ledger's, in the ledger's order.
		var want []string
		rows, err := e.db.FindEvents(context.Background(), ids[i])
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range rows {
			if ev.Type != "handoff.released" {
				want = append(want, ev.ID)
			}
		}
		var gotIDs []string
		for _, cb := range mine {
			gotIDs = append(gotIDs, cb.EventID)
		}
		if fmt.Sprint(gotIDs) != fmt.Sprint(want) {
			t.Errorf("%s: event ids %v, ledger %v", n, gotIDs, want)
		}
	}
	if !strings.Contains(raw, `"receipt_url":"`+e.base+`/bien-nhan/`) {
		t.Error("the collected callback has no receipt link")
	}
	for _, pii := range []string{"0912345678", "Nguyễn Văn A", "019090001234", "Số 12", "BUUTA1"} {
		if strings.Contains(raw, pii) {
			t.Errorf("callback bodies carry %q", pii)
		}
	}
	// The relay marks a row sent after the portal's answer: the ninth
	// callback may be applied a moment before its row is marked.
	waitUntil(t, 10*time.Second, "every portal row marked sent", func() bool {
		return e.count(`SELECT count(*) FROM outbox WHERE topic = 'portal' AND (sent_at IS NULL OR attempts < 1)`) == 0
	})
	if n := e.count(`SELECT count(*) FROM outbox WHERE topic = 'portal' AND attempts > 1`); n == 0 {
		t.Error("no retries: the failing portal was not exercised")
	}
	// A client with no callback URL: once the server knows it, no rows.
	waitUntil(t, 10*time.Second, "the callback set to know dvc-test", func() bool { return !e.sys.outbox.callbacks.Has("dvc-test") })
	before := e.count(`SELECT count(*) FROM outbox WHERE topic = 'portal' AND target = 'dvc-test'`)
	r := e.portal().do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.NOCB-1")), "nocb-1")
	if r.status != 201 {
		t.Fatalf("create: %d", r.status)
	}
	if after := e.count(`SELECT count(*) FROM outbox WHERE topic = 'portal' AND target = 'dvc-test'`); after != before {
		t.Errorf("a client without a callback URL got %d portal rows", after-before)
	}
	// The relay's series are on the server's /metrics.
	_, body := e.get("/metrics")
	for _, m := range []string{"hoso_outbox_attempts_total", "hoso_outbox_failures_total", "hoso_outbox_delivery_seconds", "hoso_outbox_queue_depth", "hoso_outbox_oldest_age_seconds"} {
		if !strings.Contains(string(body), m) {
			t.Errorf("/metrics lacks %s", m)
		}
	}
}

// vnTime is t in Vietnam time.
func vnTime(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, time.FixedZone("ICT", 7*3600))
}

// Messages to a citizen on a frozen clock: collected at 22:30 they wait for
// 07:00; at 07:00 the daily cap (2 here) lets two go and holds the third to
// the next morning; the first message of each parcel carries its e-receipt
// link and the opt-out link; after opting out by the link, the held message
// is skipped. The phone never reaches the logs or the outbox.
func TestNotificationsQuietHoursCapAndOptOut(t *testing.T) {
	e := startServer(t, nil)
	o := e.sys.outbox
	o.stop()
	now := time.Now().In(time.FixedZone("ICT", 7*3600))
	night := vnTime(now.Year(), now.Month(), now.Day(), 22, 30)
	if !night.After(now.Add(time.Minute)) {
		night = night.AddDate(0, 0, 1)
	}
	clk := struct {
		sync.Mutex
		t time.Time
	}{t: night}
	nowFn := func() time.Time { clk.Lock(); defer clk.Unlock(); return clk.t }
	set := func(t time.Time) { clk.Lock(); clk.t = t; clk.Unlock() }
	o.notifier.Now, o.notifier.Rand, o.notifier.PerDay, o.notifier.Quiet = nowFn, func() float64 { return 0 }, 2, notify.DefaultQuietHours
	r := o.newRelay(nil)
	r.Now = nowFn
	ctx := context.Background()
	courier := e.courier("buuta1")
	docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}}
	var numbers []string
	for i := 0; i < 3; i++ {
		rr := e.portal().do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody(fmt.Sprintf("000.00.19.SMS-%d", i))), fmt.Sprintf("sms-%d", i))
		var created map[string]string
		rr.json(t, &created)
		numbers = append(numbers, created["tracking_number"])
		e.assign("buuta1", created["tracking_number"])
		_, res := courier.send(ev("pickup.collected", created["tracking_number"], map[string]any{"documents": docs, "seal_id": "NP-3001", "proof": courier.sigProof(created["tracking_number"])}))
		wantStatuses(t, "collect", res, "accepted")
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE topic = 'notify' AND target = 'collected'`); n != 3 {
		t.Fatalf("%d notification rows, want 3", n)
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE topic = 'notify' AND (payload::text LIKE '%0912345678%' OR payload::text LIKE '%Nguyễn%')`); n != 0 {
		t.Error("personal data in notification payloads")
	}
	smsBefore := e.count(`SELECT count(*) FROM sms_messages`)
	step := func() {
		t.Helper()
		for i := 0; i < 3; i++ {
			if _, err := r.Step(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	step()
	morning := vnTime(night.Year(), night.Month(), night.Day(), 7, 0).AddDate(0, 0, 1)
	if n := e.count(`SELECT count(*) FROM outbox WHERE topic = 'notify' AND sent_at IS NULL AND attempts = 0 AND next_at = ?`, morning); n != 3 {
		t.Fatalf("%d rows held to 07:00, want 3", n)
	}
	if e.count(`SELECT count(*) FROM sms_messages`) != smsBefore {
		t.Fatal("a message went out in quiet hours")
	}
	set(morning)
	step()
	if n := e.count(`SELECT count(*) FROM sms_messages`) - smsBefore; n != 2 {
		t.Fatalf("%d messages at 07:00, want 2 (the cap)", n)
	}
	nextMorning := morning.AddDate(0, 0, 1)
	if n := e.count(`SELECT count(*) FROM outbox WHERE topic = 'notify' AND sent_at IS NULL AND next_at = ? AND result LIKE '%đủ 2 tin%'`, nextMorning); n != 1 {
		t.Fatalf("%d rows held by the cap to the next morning, want 1", n)
	}
	var bodies []string
	msgs, err := e.db.FindSMS(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs[:2] {
		bodies = append(bodies, m.Body)
		if m.PhoneLast3 != "678" {
			t.Errorf("last3 %q", m.PhoneLast3)
		}
	}
	for _, b := range bodies {
		if !strings.Contains(b, "Buu ta da nhan 4 giay to cua ho so 000.00.19.SMS-") || !strings.Contains(b, e.base+"/bien-nhan/") ||
			!strings.Contains(b, e.base+"/huy-tin-nhan/") {
			t.Errorf("message %q", b)
		}
	}
	// The held message's parcel: opt out through its link.
	var heldParcel string
	for _, n := range numbers {
		if e.count(`SELECT count(*) FROM outbox o JOIN parcels p ON p.id = o.parcel_id WHERE p.tracking_number = ? AND o.topic = 'notify' AND o.sent_at IS NULL`, n) == 1 {
			p, err := e.db.FindParcelByNumber(ctx, n)
			if err != nil {
				t.Fatal(err)
			}
			heldParcel = p.ID
		}
	}
	sentParcel := ""
	for _, n := range numbers {
		p, _ := e.db.FindParcelByNumber(ctx, n)
		if p.ID != heldParcel {
			sentParcel = p.ID
		}
	}
	token := optOutToken(e.sys.hasher, sentParcel)
	c := e.login("quantri") // any browser: the page needs only the CSRF cookie
	code, page := c.get("/huy-tin-nhan/" + token)
	if code != 200 || !strings.Contains(page, "09xx xxx 678") || strings.Contains(page, "0912345678") {
		t.Fatalf("opt-out page: %d", code)
	}
	c.refreshCSRF("/huy-tin-nhan/" + token)
	if code, _ := c.postForm("/huy-tin-nhan/"+token, url.Values{"action": {"tu-choi"}}); code != 200 {
		t.Fatalf("opt out: %d", code)
	}
	if code, _ := c.get("/huy-tin-nhan/" + strings.Repeat("a", 16)); code != 404 {
		t.Errorf("unknown token: %d", code)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'notify.opt_out' AND subject = ?`, "parcel:"+sentParcel); n != 1 {
		t.Errorf("opt-out audited %d times", n)
	}
	set(nextMorning)
	step()
	if n := e.count(`SELECT count(*) FROM sms_messages`) - smsBefore; n != 2 {
		t.Errorf("%d messages after the opt-out, want still 2", n)
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE topic = 'notify' AND sent_at IS NOT NULL AND result LIKE '%từ chối nhận tin%'`); n != 1 {
		t.Errorf("the held message was not skipped as opted out (%d)", n)
	}
	if strings.Contains(e.logs.String(), "0912345678") || strings.Contains(e.logs.String(), "912345678") {
		t.Error("the phone reached the logs")
	}
}

func sha(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// The dead-letter page: admins and dispatchers see it, others get 403 and
// visitors 401; retry and discard are POST forms with the CSRF token, both
// audited, a discard needs its reason; the SMS reply webhook opts a phone
// out with the gateway's token.
func TestOutboxPagesAndReplies(t *testing.T) {
	e := startServer(t, nil)
	p := newCallbackPortal(t, "dvc-dead", func(int) int { return 503 })
	pc := callbackClient(t, e, "dvc-dead", p)
	o := e.sys.outbox
	o.stop()
	r := o.newRelay(nil)
	r.Backoff.MaxAge = time.Nanosecond // dead at the first failure
	for i := 0; i < 2; i++ {
		rr := pc.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody(fmt.Sprintf("000.00.19.DEAD-%d", i))), fmt.Sprintf("dead-%d", i))
		if rr.status != 201 {
			t.Fatalf("create: %d", rr.status)
		}
	}
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		if _, err := r.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE topic = 'portal' AND target = 'dvc-dead' AND dead_at IS NOT NULL`); n != 2 {
		t.Fatalf("%d dead rows, want 2", n)
	}
	var ids []int64
	for _, d := range []string{"000.00.19.DEAD-0", "000.00.19.DEAD-1"} {
		n := e.count(`SELECT o.id FROM outbox o JOIN parcels p ON p.id = o.parcel_id JOIN dossiers d ON d.id = p.dossier_id
			WHERE d.code = ? AND o.topic = 'portal'`, d)
		ids = append(ids, int64(n))
	}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(e.base + "/nhan-vien/hop-thu-di/loi")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 303 || !strings.HasPrefix(resp.Header.Get("Location"), "/dang-nhap") {
		t.Errorf("visitor: %d to %q, want the login page", resp.StatusCode, resp.Header.Get("Location"))
	}
	req, _ := http.NewRequest("GET", e.base+"/nhan-vien/hop-thu-di/loi", nil)
	req.Header.Set("Accept", "application/json")
	if resp, err := noFollow.Do(req); err != nil || resp.StatusCode != 401 {
		t.Errorf("visitor asking for JSON: %v %v", resp.StatusCode, err)
	} else {
		resp.Body.Close()
	}
	if code, _ := e.login("buuta1").get("/nhan-vien/hop-thu-di/loi"); code != 403 {
		t.Errorf("courier: %d", code)
	}
	for _, u := range []string{"quantri", "dieuphoi"} {
		code, page := e.login(u).get("/nhan-vien/hop-thu-di/loi")
		if code != 200 || !strings.Contains(page, "000.00.19.DEAD-0") || !strings.Contains(page, "Gửi lại") || !strings.Contains(page, "HTTP 503") {
			t.Errorf("%s: dead-letter page %d", u, code)
		}
	}
	admin := e.login("quantri")
	admin.refreshCSRF("/nhan-vien/hop-thu-di/loi")
	if code, _ := admin.postForm(fmt.Sprintf("/nhan-vien/hop-thu-di/%d/gui-lai", ids[0]), url.Values{}); code != 200 {
		t.Fatalf("retry: %d", code)
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE id = ? AND dead_at IS NULL AND manual_retries = 1`, ids[0]); n != 1 {
		t.Error("retry did not requeue the row")
	}
	if code, _ := admin.postForm(fmt.Sprintf("/nhan-vien/hop-thu-di/%d/bo", ids[1]), url.Values{"reason": {""}}); code != 400 {
		t.Errorf("discard without a reason: %d", code)
	}
	if code, _ := admin.postForm(fmt.Sprintf("/nhan-vien/hop-thu-di/%d/bo", ids[1]), url.Values{"reason": {"Cổng đã nhận qua điện thoại"}}); code != 200 {
		t.Fatalf("discard: %d", code)
	}
	if n := e.count(`SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.user_id WHERE u.username = 'quantri'
		AND ((a.action = 'outbox.retry' AND a.subject = ?) OR (a.action = 'outbox.discard' AND a.subject = ? AND a.reason = 'Cổng đã nhận qua điện thoại'))`,
		fmt.Sprintf("outbox:%d", ids[0]), fmt.Sprintf("outbox:%d", ids[1])); n != 2 {
		t.Errorf("%d audit records, want 2", n)
	}
	// Without the CSRF token: refused.
	resp, err = admin.c.PostForm(e.base+fmt.Sprintf("/nhan-vien/hop-thu-di/%d/gui-lai", ids[0]), url.Values{})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 403 {
		t.Errorf("retry without CSRF: %d", resp.StatusCode)
	}
	code, page := admin.get("/nhan-vien/hop-thu-di?trang-thai=da-gui")
	if code != 200 || !strings.Contains(page, "Hộp thư đi") {
		t.Errorf("sent page: %d", code)
	}

	// The gateway's reply webhook.
	if !webhookWired(e) {
		return
	}
	if err := e.db.SetNotifyInboundToken(ctx, sha("khoa-cong-tin-nhan"), time.Now()); err != nil {
		t.Fatal(err)
	}
	post := func(token, body string) int {
		req, _ := http.NewRequest("POST", e.base+"/api/v1/notify/sms-replies", bytes.NewReader([]byte(body)))
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := post("", `{"from":"0912345678","text":"TC"}`); code != 401 {
		t.Errorf("no token: %d", code)
	}
	if code := post("sai", `{"from":"0912345678","text":"TC"}`); code != 401 {
		t.Errorf("wrong token: %d", code)
	}
	if code := post("khoa-cong-tin-nhan", `{"from":"84912345678","text":"Từ chối"}`); code != 200 {
		t.Fatalf("reply: %d", code)
	}
	if n := e.count(`SELECT count(*) FROM notify_optouts WHERE via = 'reply' AND phone_hash = ?`, e.sys.hasher.Sum(app.PurposePhone, "0912345678")); n != 1 {
		t.Error("reply did not opt the phone out")
	}
	if strings.Contains(e.logs.String(), "912345678") {
		t.Error("the phone reached the logs")
	}
}

func webhookWired(e *testEnv) bool {
	for _, r := range e.sys.web.Routes() {
		if r.Path == "/api/v1/notify/sms-replies" {
			return true
		}
	}
	return false
}

// The outbox pages and the opt-out page in Chromium at 360 px, with axe:
// the admin retries one dead callback and discards another with a reason;
// the citizen stops their messages from the link.
func TestOutboxPagesInBrowser(t *testing.T) {
	e := startServer(t, nil)
	p := newCallbackPortal(t, "dvc-dead", func(int) int { return 503 })
	pc := callbackClient(t, e, "dvc-dead", p)
	o := e.sys.outbox
	o.stop()
	o.notifier.Quiet, o.notifier.PerDay = notifyQuietOff(), 0
	r := o.newRelay(nil)
	r.Backoff.MaxAge = time.Nanosecond
	for i := 0; i < 2; i++ {
		if rr := pc.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody(fmt.Sprintf("000.00.19.WEB-%d", i))), fmt.Sprintf("web-%d", i)); rr.status != 201 {
			t.Fatalf("create: %d", rr.status)
		}
	}
	rr := e.portal().do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.WEB-SMS")), "web-sms")
	var created map[string]string
	rr.json(t, &created)
	docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}}
	courier := e.courier("buuta1")
	e.assign("buuta1", created["tracking_number"])
	_, res := courier.send(ev("pickup.collected", created["tracking_number"], map[string]any{"documents": docs, "seal_id": "NP-4001", "proof": courier.sigProof(created["tracking_number"])}))
	wantStatuses(t, "collect", res, "accepted")
	for i := 0; i < 4; i++ {
		if _, err := r.Step(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE target = 'dvc-dead' AND dead_at IS NOT NULL`); n != 2 {
		t.Fatalf("%d dead rows", n)
	}
	if n := e.count(`SELECT count(*) FROM outbox WHERE topic = 'notify' AND sent_at IS NOT NULL AND result LIKE 'SMS%'`); n != 1 {
		t.Fatalf("%d messages sent", n)
	}
	e.browser("outbox", map[string]any{"username": "quantri", "password": "mat-khau-quantri",
		"retry": "000.00.19.WEB-0", "discard": "000.00.19.WEB-1", "token": optOutToken(e.sys.hasher, created["id"])})
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action IN ('outbox.retry', 'outbox.discard', 'notify.opt_out')`); n != 3 {
		t.Errorf("%d audit records, want 3", n)
	}
}

// TestOutboxServiceDecidesRoles: the outbox service, not the page, decides
// who sees and acts on the outbox: every role but admins and dispatchers is
// refused before anything is read or written, and a discard needs a reason.
func TestOutboxServiceDecidesRoles(t *testing.T) {
	e := startServer(t, nil)
	ctx := context.Background()
	mb := e.sys.mailbox
	before := e.tableCounts()
	for _, role := range []app.Role{app.RoleCourier, app.RoleOffice, app.RoleDesk, ""} {
		u := app.User{ID: 1, Role: role, ProvinceCode: "19", OfficeCode: "BC-05443", DeskCode: "TN-TTPVHCC"}
		for name, call := range map[string]func() error{
			"list":    func() error { _, err := mb.List(ctx, u, app.OutboxFilter{}); return err },
			"stats":   func() error { _, err := mb.Stats(ctx, u); return err },
			"retry":   func() error { return mb.Retry(ctx, u, 1) },
			"discard": func() error { return mb.Discard(ctx, u, 1, "lý do") },
		} {
			if err := call(); !errs.Is(err, errs.Forbidden) {
				t.Errorf("%q %s: %v, want forbidden", role, name, err)
			}
		}
	}
	admin := app.User{ID: 1, Role: app.RoleAdmin}
	for _, reason := range []string{"", "  ", strings.Repeat("a", 301), "a\x00b"} {
		if err := mb.Discard(ctx, admin, 1, reason); !errs.Is(err, errs.Invalid) {
			t.Errorf("discard with reason %q: %v, want invalid", reason, err)
		}
	}
	if after := e.tableCounts(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("refused calls changed rows: %v → %v", before, after)
	}
	// A dispatcher's list is their province's, whatever the filter asks.
	disp := app.User{ID: 1, Role: app.RoleDispatcher, ProvinceCode: "01"}
	if _, err := mb.List(ctx, disp, app.OutboxFilter{Province: "19"}); err != nil {
		t.Fatal(err)
	}
	if p, err := app.OutboxScope(disp); err != nil || p != "01" {
		t.Errorf("dispatcher scope %q %v", p, err)
	}
}

// TestDirectoryDecidesRoles: the views that belong to some roles (the
// directory's, alarms, pending releases, a counter's manifests, a desk's
// results) are refused by the service to every other role, whatever page
// asks.
func TestDirectoryDecidesRoles(t *testing.T) {
	e := startServer(t, nil)
	ctx := context.Background()
	dir := e.sys.webDeps().Directory
	roles := []app.Role{app.RoleAdmin, app.RoleDispatcher, app.RoleCourier, app.RoleOffice, app.RoleDesk, ""}
	calls := map[string]struct {
		allowed map[app.Role]bool
		call    func(u app.User) error
	}{
		"demo messages": {map[app.Role]bool{app.RoleAdmin: true}, func(u app.User) error { _, err := dir.DemoSMS(ctx, u, 10); return err }},
		"rejected": {map[app.Role]bool{app.RoleAdmin: true, app.RoleDispatcher: true},
			func(u app.User) error { _, _, err := dir.Rejected(ctx, u, 0, 10); return err }},
		"key changes": {map[app.Role]bool{app.RoleOffice: true},
			func(u app.User) error { _, err := dir.KeyChanges(ctx, u, time.Now().AddDate(0, 0, -7), 10); return err }},
		"route": {map[app.Role]bool{app.RoleCourier: true},
			func(u app.User) error { _, err := dir.CourierRoute(ctx, u, time.Now()); return err }},
		"alarms": {map[app.Role]bool{app.RoleAdmin: true, app.RoleDispatcher: true, app.RoleOffice: true, app.RoleDesk: true},
			func(u app.User) error { _, err := e.sys.alarms.List(ctx, u, app.AlarmFilter{}); return err }},
		"pending releases": {map[app.Role]bool{app.RoleAdmin: true, app.RoleDispatcher: true},
			func(u app.User) error { _, err := e.sys.hops.PendingReleases(ctx, u, 10); return err }},
		"manifests": {map[app.Role]bool{app.RoleOffice: true, app.RoleDesk: true},
			func(u app.User) error { _, err := e.sys.hops.Manifests(ctx, u, 10); return err }},
		"results to send": {map[app.Role]bool{app.RoleDesk: true},
			func(u app.User) error { _, err := e.sys.hops.ResultsToSend(ctx, u, 10); return err }},
	}
	for name, c := range calls {
		for _, r := range roles {
			u := app.User{ID: 1, Role: r, ProvinceCode: "19", OfficeCode: "BC-05443", DeskCode: "TN-TTPVHCC", StaffCode: "BUUTA1"}
			err := c.call(u)
			if c.allowed[r] && err != nil {
				t.Errorf("%s as %q: %v", name, r, err)
			}
			if !c.allowed[r] && !errs.Is(err, errs.Forbidden) {
				t.Errorf("%s as %q: %v, want forbidden", name, r, err)
			}
		}
	}
	// A server missing a service does not start.
	d := e.sys.webDeps()
	d.Outbox = nil
	if _, err := web.New(d); err == nil || !strings.Contains(err.Error(), "Outbox") {
		t.Errorf("web.New without the outbox service: %v", err)
	}
}

// TestIntakeReadsKeepScope: a portal reads only its own pickups (another
// portal's, or no portal, gets not found), and a pre-fill with no scope
// finds nothing unless the caller may see every dossier.
func TestIntakeReadsKeepScope(t *testing.T) {
	e := startServer(t, nil)
	ctx := context.Background()
	in := e.sys.intake
	n := e.createPickup("000.00.19.SCOPE-READ-1")
	p, err := in.ParcelByNumber(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := in.PortalPickup(ctx, "dvc-test", p.ID); err != nil || got.Number != n {
		t.Fatalf("own pickup: %v %v", got.Number, err)
	}
	for _, client := range []string{"dvc-khac", "", " dvc-test", "DVC-TEST"} {
		if _, err := in.PortalPickup(ctx, client, p.ID); !errs.Is(err, errs.NotFound) {
			t.Errorf("pickup read by %q: %v, want not found", client, err)
		}
	}
	if ps, err := in.PortalPickups(ctx, "dvc-khac", "000.00.19.SCOPE-READ-1"); err != nil || len(ps) != 0 {
		t.Errorf("another portal lists %d pickups (%v)", len(ps), err)
	}
	if _, err := in.PortalPickups(ctx, "", "000.00.19.SCOPE-READ-1"); !errs.Is(err, errs.NotFound) {
		t.Errorf("no portal lists: %v", err)
	}
	if _, _, ok, err := in.Prefill(ctx, "000.00.19.SCOPE-READ-1", app.PrefillFilter{}, false); ok || err != nil {
		t.Errorf("a pre-fill with no scope found the dossier (%v)", err)
	}
	if _, _, ok, err := in.Prefill(ctx, "000.00.19.SCOPE-READ-1", app.PrefillFilter{}, true); !ok || err != nil {
		t.Errorf("an admin's pre-fill did not find the dossier (%v)", err)
	}
	if _, _, ok, _ := in.Prefill(ctx, "000.00.19.SCOPE-READ-1", app.PrefillFilter{DeskCode: "KHONG-CO"}, false); ok {
		t.Error("another desk's pre-fill found the dossier")
	}
}
