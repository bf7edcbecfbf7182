package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hoso/dispatch"
	"hoso/internal/app"
	"hoso/tracking"
)

// selfBrowser is a citizen's browser on a parcel's change page.
type selfBrowser struct {
	*citizenBrowser
	n string
}

func (b *selfBrowser) base() string { return "/tra-cuu/" + b.n + "/thay-doi" }

// noFollow posts without following the redirect.
func (b *selfBrowser) noFollow(path string, v url.Values) (int, string, string) {
	b.t.Helper()
	_, page := b.get("/yeu-cau")
	m := csrfPattern.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatal("no CSRF token")
	}
	v.Set("_csrf", m[1])
	c := *b.c
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.PostForm(b.e.base+path, v)
	if err != nil {
		b.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

// lastCode is the six digits of the latest SMS.
func (e *testEnv) lastCode(t *testing.T) string {
	t.Helper()
	ms, err := e.db.FindSMS(context.Background(), 1)
	if err != nil || len(ms) == 0 {
		t.Fatalf("no SMS: %v", err)
	}
	return sixDigits.FindString(ms[0].Body)
}

// prove sends the code to the phone on file and types it.
func (b *selfBrowser) prove() {
	b.t.Helper()
	if st, loc, body := b.noFollow(b.base()+"/gui-ma", url.Values{}); st != 303 || loc != b.base() {
		b.t.Fatalf("send code: %d %s %.400s", st, loc, body)
	}
	code := b.e.lastCode(b.t)
	if st, loc, body := b.noFollow(b.base()+"/xac-minh", url.Values{"code": {code}}); st != 303 || !strings.HasPrefix(loc, b.base()) {
		b.t.Fatalf("verify: %d %s %.400s", st, loc, body)
	}
}

func (b *selfBrowser) act(v url.Values) (int, string, string) {
	b.t.Helper()
	return b.noFollow(b.base(), v)
}

var slotValue = regexp.MustCompile(`<option value="([0-9]{9,})"\s*>`)

// freeSlots are the free windows the change page offers.
func (b *selfBrowser) freeSlots() []string {
	b.t.Helper()
	_, page := b.get(b.base())
	var out []string
	for _, m := range slotValue.FindAllStringSubmatch(page, -1) {
		out = append(out, m[1])
	}
	return out
}

func (e *testEnv) events(t *testing.T, number string, typ tracking.EventType) int {
	t.Helper()
	return e.count(`SELECT count(*) FROM events ev JOIN parcels p ON p.id = ev.parcel_id WHERE p.tracking_number = ? AND ev.type = ?`, number, string(typ))
}

// portalPickup makes a pickup through a portal client and returns its
// tracking number.
func portalPickup(t *testing.T, c contractClient, code string) string {
	t.Helper()
	r := c.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody(code)), "self-"+code)
	if r.status != 201 {
		t.Fatalf("create %s: %d %s", code, r.status, r.body)
	}
	var created map[string]string
	r.json(t, &created)
	return created["tracking_number"]
}

// TestSelfServiceReachesThePortal: a citizen proves a portal's pickup by
// the code sent to the phone on file, then chooses another window, says
// they will not be home, corrects the address line and cancels; a desk's
// clerk does the same for another pickup. Each change is one ledger event
// and reaches the portal as a signed callback, in our shape and in the
// OpenCPS shape, with our internal code; replays change nothing; the
// clerk's changes are audited.
func TestSelfServiceReachesThePortal(t *testing.T) {
	e := startServer(t, nil)
	hp := newCallbackPortal(t, "dvc-self", func(int) int { return 200 })
	hc := callbackClient(t, e, "dvc-self", hp)
	op := newOpenCPSPortal(t)
	_, sec, err := e.sys.portal.Register(context.Background(), app.PortalClient{ID: "dvc-self-ocps", Name: "Cổng OpenCPS thử", ProvinceCode: "19",
		CallbackURL: op.srv.URL + "/api/DongBoHoSoMC", CallbackShape: app.ShapeOpenCPS})
	if err != nil {
		t.Fatal(err)
	}
	op.mu.Lock()
	op.secret = []byte(sec)
	op.mu.Unlock()
	oc := contractClient{t: t, base: e.base, id: "dvc-self-ocps", secret: sec}
	fastRelay(t, e)

	for _, tc := range []struct {
		name   string
		client contractClient
		code   string
	}{{"hoso", hc, "000.00.19.SELF-1"}, {"opencps", oc, "000.00.19.SELF-2"}} {
		n := portalPickup(t, tc.client, tc.code)
		e.plan(n, "buuta1")
		b := &selfBrowser{citizenBrowser: newCitizenBrowser(t, e), n: n}
		_, page := b.get(b.base())
		if !strings.Contains(page, "Gửi mã đến điện thoại") || !strings.Contains(page, "******678") && !strings.Contains(page, "678") {
			t.Fatalf("%s: the change page asks for no code: %.500s", tc.name, page)
		}
		if strings.Contains(page, "0912345678") {
			t.Fatalf("%s: the phone is shown in full", tc.name)
		}
		b.prove()
		slots := b.freeSlots()
		if len(slots) < 2 {
			t.Fatalf("%s: %d free slots", tc.name, len(slots))
		}
		// Another window: one event, visit withdrawn; the same form again
		// changes nothing.
		for i := 0; i < 2; i++ {
			if st, loc, body := b.act(url.Values{"thao_tac": {"gio"}, "slot": {slots[1]}}); st != 303 || !strings.Contains(loc, "thong-bao") {
				t.Fatalf("%s: window: %d %s %.400s", tc.name, st, loc, body)
			}
		}
		if k := e.events(t, n, tracking.PickupWindowChanged); k != 1 {
			t.Errorf("%s: %d window events, want 1", tc.name, k)
		}
		if k := e.count(`SELECT count(*) FROM parcels WHERE tracking_number = ? AND courier_ref IS NULL AND status = 'requested'`, n); k != 1 {
			t.Errorf("%s: the courier's visit was not withdrawn", tc.name)
		}
		// Planned again, then "not at home" (twice: one event).
		e.plan(n, "buuta1")
		for i := 0; i < 2; i++ {
			if st, _, body := b.act(url.Values{"thao_tac": {"vang-nha"}}); st != 303 {
				t.Fatalf("%s: not home: %d %.400s", tc.name, st, body)
			}
		}
		if k := e.events(t, n, tracking.PickupNotHome); k != 1 {
			t.Errorf("%s: %d not-home events, want 1", tc.name, k)
		}
		_, page = b.get(b.base())
		if !strings.Contains(page, "Bạn đã báo vắng nhà") {
			t.Errorf("%s: the page does not ask for another window after not at home", tc.name)
		}
		// The address line, same commune.
		if st, _, body := b.act(url.Values{"thao_tac": {"dia-chi"}, "address_line": {"Số 14, tổ 5"}, "commune_code": {"05443"}}); st != 303 {
			t.Fatalf("%s: address: %d %.400s", tc.name, st, body)
		}
		if k := e.count(`SELECT count(*) FROM parcels WHERE tracking_number = ? AND address_line = 'Số 14, tổ 5'`, n); k != 1 {
			t.Errorf("%s: address not stored", tc.name)
		}
		// Cancel.
		if st, _, body := b.act(url.Values{"thao_tac": {"huy"}, "reason": {"Tôi tự mang hồ sơ đến"}}); st != 303 {
			t.Fatalf("%s: cancel: %d %.400s", tc.name, st, body)
		}
		if k := e.events(t, n, tracking.ParcelCancelled); k != 1 {
			t.Errorf("%s: %d cancel events", tc.name, k)
		}
	}

	// The hoso shape: every change, once, with our codes.
	wantHoso := map[string]bool{"pickup.window_changed": false, "pickup.not_home": false, "pickup.address_corrected": false, "parcel.cancelled": false}
	waitUntil(t, 20*time.Second, "the hoso portal's callbacks", func() bool {
		for _, cb := range hp.applied() {
			if ev, _ := cb.Detail["event"].(string); ev != "" {
				if _, ok := wantHoso[ev]; ok {
					wantHoso[ev] = true
				}
			}
		}
		for _, ok := range wantHoso {
			if !ok {
				return false
			}
		}
		return true
	})
	for _, cb := range hp.applied() {
		ev, _ := cb.Detail["event"].(string)
		code, _ := cb.Detail["internal_code"].(string)
		if want, ok := tracking.InternalEventCodes[tracking.EventType(ev)]; ok && code != want {
			t.Errorf("callback %s: internal code %q, want %q", ev, code, want)
		}
		if ev == "parcel.cancelled" && cb.Detail["by"] != "citizen" {
			t.Errorf("cancel callback by %v, want citizen", cb.Detail["by"])
		}
		if strings.Contains(strings.Join(hp.raw, ""), "Số 14") {
			t.Error("an address line reached the portal")
		}
	}
	if len(hp.bad) > 0 {
		t.Errorf("hoso portal saw bad requests: %v", hp.bad)
	}
	// The OpenCPS shape: the same changes in its envelope, named by our
	// event and code beside the portal's fields; the cancel as its status.
	wantOCPS := map[string]bool{"HS1": false, "HS2": false, "HS3": false, "cancelled": false}
	waitUntil(t, 20*time.Second, "the OpenCPS portal's callbacks", func() bool {
		for _, b := range op.applied() {
			if b.Hoso.InternalCode != "" {
				wantOCPS[b.Hoso.InternalCode] = true
			}
			if b.Hoso.Status == "cancelled" {
				wantOCPS["cancelled"] = true
			}
		}
		for _, ok := range wantOCPS {
			if !ok {
				return false
			}
		}
		return true
	})
	if len(op.bad) > 0 {
		t.Errorf("OpenCPS portal saw bad requests: %v", op.bad)
	}

	// A clerk of the desk does it on a citizen's behalf, audited; a clerk
	// of another desk may not.
	n := portalPickup(t, hc, "000.00.19.SELF-3")
	other := e.login("motcuaxa")
	if st, _, _ := other.post("/nhan-vien/thay-doi/"+n, url.Values{"thao_tac": {"huy"}}); st != 403 {
		t.Errorf("another desk's clerk cancels: %d, want 403", st)
	}
	desk := e.login("motcua")
	if st, body := desk.get("/nhan-vien/thay-doi/" + n); st != 200 || !strings.Contains(body, "thay công dân") {
		t.Fatalf("clerk page: %d", st)
	}
	if st, loc, body := desk.post("/nhan-vien/thay-doi/"+n, url.Values{"thao_tac": {"vang-nha"}}); st != 303 || !strings.HasPrefix(loc, "/nhan-vien/thay-doi/"+n) {
		t.Fatalf("clerk not home: %d %s %.300s", st, loc, body)
	}
	if st, _, body := desk.post("/nhan-vien/thay-doi/"+n, url.Values{"thao_tac": {"huy"}, "reason": {"Công dân gọi điện xin hủy"}}); st != 303 {
		t.Fatalf("clerk cancel: %d %.300s", st, body)
	}
	for _, a := range []string{app.AuditSelfNotHome, app.AuditSelfCancel} {
		if k := e.count(`SELECT count(*) FROM audit_log WHERE action = ? AND subject = ?`, a, n); k != 1 {
			t.Errorf("audit %s: %d rows", a, k)
		}
	}
	waitUntil(t, 20*time.Second, "the clerk's cancel callback", func() bool {
		for _, cb := range hp.applied() {
			if cb.TrackingNumber == n && cb.Detail["event"] == "parcel.cancelled" && cb.Detail["by"] == "clerk" {
				return true
			}
		}
		return false
	})
}

// TestSelfServiceBadInput: a wrong code, an expired session, another
// parcel's session, a cancel after collection, a window that is not free,
// an address outside the zone, non-UTF-8 and far too long text, an unknown
// action; each answers in plain Vietnamese and changes nothing. Twenty
// parallel cancels record one event.
func TestSelfServiceBadInput(t *testing.T) {
	e := startServer(t, nil)
	c := e.portal()
	n1 := portalPickup(t, c, "000.00.19.BAD-1")
	n2 := portalPickup(t, c, "000.00.19.BAD-2")
	b := &selfBrowser{citizenBrowser: newCitizenBrowser(t, e), n: n1}
	evs := func(n string) int {
		return e.count(`SELECT count(*) FROM events ev JOIN parcels p ON p.id = ev.parcel_id WHERE p.tracking_number = ?`, n)
	}
	before := evs(n1)

	// Changes before any code: refused.
	if st, _, body := b.act(url.Values{"thao_tac": {"huy"}}); st != 401 || !strings.Contains(body, "mã") {
		t.Errorf("cancel without a code: %d %.300s", st, body)
	}
	// A wrong code.
	if st, loc, _ := b.noFollow(b.base()+"/gui-ma", url.Values{}); st != 303 {
		t.Fatalf("send: %d %s", st, loc)
	}
	if st, _, body := b.noFollow(b.base()+"/xac-minh", url.Values{"code": {"000000"}}); st != 422 || !strings.Contains(body, "còn 4 lần thử") {
		t.Errorf("wrong code: %d %.400s", st, body)
	}
	for _, bad := range []string{"", "12ab56", "\xff\xfe\xfd\xfc\xfb\xfa", strings.Repeat("9", 40)} {
		if st, _, body := b.noFollow(b.base()+"/xac-minh", url.Values{"code": {bad}}); st != 422 || !strings.Contains(body, "chữ số") {
			t.Errorf("code %q: %d %.300s", bad, st, body)
		}
	}
	// Another parcel's session: proven for n1, used on n2.
	code := e.lastCode(t)
	if st, _, _ := b.noFollow(b.base()+"/xac-minh", url.Values{"code": {code}}); st != 303 {
		t.Fatalf("right code: %d", st)
	}
	b2 := &selfBrowser{citizenBrowser: b.citizenBrowser, n: n2}
	if st, _, body := b2.act(url.Values{"thao_tac": {"huy"}}); st != 403 || !strings.Contains(body, "không dùng cho bưu gửi") {
		t.Errorf("another parcel's session: %d %.300s", st, body)
	}
	if evs(n2) != 1 {
		t.Error("another parcel's session changed it")
	}
	// A slot that is not offered, a full one, a malformed one.
	for _, slot := range []string{"12345", "abc", "\xff", "0"} {
		if st, _, body := b.act(url.Values{"thao_tac": {"gio"}, "slot": {slot}}); st != 422 || !strings.Contains(body, "khung giờ") {
			t.Errorf("slot %q: %d %.300s", slot, st, body)
		}
	}
	slots := b.freeSlots()
	if len(slots) == 0 {
		t.Fatal("no free slot")
	}
	// Fill a slot: intake's capacity is 20 requests per commune and window.
	var startUnix int64
	fullSlot := slots[len(slots)-1]
	fmt.Sscan(fullSlot, &startUnix)
	full := time.Unix(startUnix, 0)
	if err := e.db.ExecForTest(context.Background(), `INSERT INTO pickup_windows (parcel_id, idx, starts_at, ends_at)
		SELECT p.id, 2, ?::timestamptz, ?::timestamptz + interval '2 hours' FROM parcels p WHERE p.tracking_number = ?`, full, full, n2); err != nil {
		t.Fatal(err)
	}
	e.sys.intake.SlotCapacity = 1
	t.Cleanup(func() { e.sys.intake.SlotCapacity = 0 })
	if st, _, body := b.act(url.Values{"thao_tac": {"gio"}, "slot": {fullSlot}}); st != 409 || !strings.Contains(body, "đã kín") {
		t.Errorf("a full window: %d %.300s", st, body)
	}
	e.sys.intake.SlotCapacity = 0
	// The address: empty, too long, not UTF-8, another province's commune,
	// an unknown one, a commune outside the office's zone.
	elsewhere := ""
	for _, c := range e.sys.units.Communes() {
		if c.ProvinceCode != "19" {
			elsewhere = c.Code
			break
		}
	}
	for _, tc := range []struct {
		line, commune, want string
		status              int
	}{
		{"", "05443", "Nhập số nhà", 422},
		{strings.Repeat("a", 201), "05443", "tối đa 200", 422},
		{"S\xf4 12", "05443", "ký tự không đọc được", 422},
		{"Số 1", elsewhere, "cùng tỉnh", 422},
		{"Số 1", "99999", "trong danh sách", 422},
	} {
		if st, _, body := b.act(url.Values{"thao_tac": {"dia-chi"}, "address_line": {tc.line}, "commune_code": {tc.commune}}); st != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("address %q %q: %d, want %d %q: %.400s", tc.line, tc.commune, st, tc.status, tc.want, body)
		}
	}
	if out := e.outOfZoneCommune(t, "19", "05443"); out != "" {
		if st, _, body := b.act(url.Values{"thao_tac": {"dia-chi"}, "address_line": {"Số 1"}, "commune_code": {out}}); st != 422 || !strings.Contains(body, "ngoài khu vực") {
			t.Errorf("address outside the zone: %d %.400s", st, body)
		}
	} else {
		t.Error("the seed has no commune of province 19 outside BC-05443's zone")
	}
	if st, _, body := b.act(url.Values{"thao_tac": {"huy"}, "reason": {strings.Repeat("dài ", 1000)}}); st != 422 || !strings.Contains(body, "quá dài") {
		t.Errorf("a far too long reason: %d %.300s", st, body)
	}
	if st, _, body := b.act(url.Values{"thao_tac": {"huy"}, "reason": {strings.Repeat("ư", 301)}}); st != 422 || !strings.Contains(body, "300 ký tự") {
		t.Errorf("a too long reason: %d %.300s", st, body)
	}
	if st, _, body := b.act(url.Values{"thao_tac": {"xoa-het"}}); st != 422 || !strings.Contains(body, "Chưa chọn việc") {
		t.Errorf("unknown action: %d %.300s", st, body)
	}
	if got := evs(n1); got != before {
		t.Errorf("bad input wrote %d events", got-before)
	}

	// Twenty parallel cancels: one event.
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			codes[i], _, _ = b.act(url.Values{"thao_tac": {"huy"}})
		}(i)
	}
	wg.Wait()
	for i, st := range codes {
		if st != 303 {
			t.Errorf("cancel %d: %d", i, st)
		}
	}
	if k := e.events(t, n1, tracking.ParcelCancelled); k != 1 {
		t.Errorf("20 parallel cancels recorded %d events", k)
	}
	// Cancelled: the page says so, and nothing more can change.
	_, page := b.get(b.base())
	if !strings.Contains(page, "đã được hủy") {
		t.Errorf("cancelled page: %.400s", page)
	}

	// Cancel after collection: refused with a plain explanation.
	n3 := portalPickup(t, c, "000.00.19.BAD-3")
	b3 := &selfBrowser{citizenBrowser: newCitizenBrowser(t, e), n: n3}
	b3.prove()
	p3, err := e.db.FindParcelByNumber(context.Background(), n3)
	if err != nil {
		t.Fatal(err)
	}
	collect(t, e, p3.ID, "buuta1")
	if st, _, body := b3.act(url.Values{"thao_tac": {"huy"}}); st != 409 || !strings.Contains(body, "Bưu tá đã nhận hồ sơ") {
		t.Errorf("cancel after collection: %d %.400s", st, body)
	}
	if st, _, body := b3.noFollow(b3.base()+"/gui-ma", url.Values{}); st != 409 || !strings.Contains(body, "Bưu tá đã nhận hồ sơ") {
		t.Errorf("code after collection: %d %.300s", st, body)
	}

	// An expired session: the page asks for a new code.
	n4 := portalPickup(t, c, "000.00.19.BAD-4")
	b4 := &selfBrowser{citizenBrowser: newCitizenBrowser(t, e), n: n4}
	b4.prove()
	if err := e.db.ExecForTest(context.Background(), `UPDATE citizen_flows SET expires_at = now() - interval '1 second' WHERE purpose = 'selfservice'`); err != nil {
		t.Fatal(err)
	}
	if st, _, body := b4.act(url.Values{"thao_tac": {"huy"}}); st != 401 || !strings.Contains(body, "hết hạn") || !strings.Contains(body, "Gửi mã đến điện thoại") {
		t.Errorf("expired session: %d %.400s", st, body)
	}
	if e.events(t, n4, tracking.ParcelCancelled) != 0 {
		t.Error("an expired session cancelled")
	}
	// A self-service session is no request-form session.
	if _, err := e.sys.citizen.Submit(context.Background(), b4.cookie("tp").Value, tracking.PickupRequest{}); err == nil {
		t.Error("a self-service token made a request")
	}
}

// outOfZoneCommune returns a commune of a province whose centre is outside
// the zone of the office serving another commune.
func (e *testEnv) outOfZoneCommune(t *testing.T, province, of string) string {
	t.Helper()
	ctx := context.Background()
	base, ok := e.sys.units.Commune(of)
	if !ok {
		t.Fatalf("no commune %s", of)
	}
	office, _, _, err := e.sys.dispatch.OfficeFor(ctx, base.Lat, base.Lng)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range e.sys.units.CommunesOf(province) {
		o, _, ok, err := e.sys.dispatch.OfficeFor(ctx, c.Lat, c.Lng)
		if err == nil && (!ok || o != office) {
			return c.Code
		}
	}
	return ""
}

// A request a citizen makes for a portal's dossier is reported to the
// portal client registered for the desk's province: "request created by
// citizen", with the dossier code and the portal's status fields.
func TestCitizenRequestReportedToPortal(t *testing.T) {
	e := startServer(t, nil)
	hp := newCallbackPortal(t, "dvc-report", func(int) int { return 200 })
	callbackClient(t, e, "dvc-report", hp)
	fastRelay(t, e)
	ctx := context.Background()
	s, en := nextWindow(2)
	code := "000.00.19.CITIZEN-RPT"
	tok, err := e.sys.citizen.Start(ctx, app.StartRequest{DossierCode: code, Phone: "0987000111", Source: "127.0.0.9", Challenged: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.sys.citizen.Verify(ctx, tok, e.lastCode(t)); err != nil {
		t.Fatal(err)
	}
	req := tracking.PickupRequest{Dossier: tracking.Dossier{DeskCode: "TN-TTPVHCC", ProcedureName: "Đăng ký khai sinh"},
		Citizen:   tracking.Citizen{FullName: "Trần Thị B"},
		Address:   tracking.Address{ProvinceCode: "19", CommuneCode: "05443", Line: "Số 3"},
		Documents: []tracking.Document{{Name: "Tờ khai", Kind: "original", Count: 1}},
		Windows:   []tracking.Window{{Start: s, End: en}}}
	p, err := e.sys.citizen.Submit(ctx, tok, req)
	if err != nil {
		t.Fatal(err)
	}
	var got app.CallbackBody
	waitUntil(t, 20*time.Second, "the report of the citizen's request", func() bool {
		for _, cb := range hp.applied() {
			if cb.TrackingNumber == p.Number {
				got = cb
				return true
			}
		}
		return false
	})
	if got.DossierCode != code || got.Detail["event"] != "pickup.requested" || got.Detail["request_created_by"] != "citizen" || got.Portal == nil || got.Portal.MaHoSo != code {
		b, _ := json.Marshal(got)
		t.Errorf("report: %s", b)
	}
	if strings.Contains(strings.Join(hp.raw, ""), "Trần") || strings.Contains(strings.Join(hp.raw, ""), "0987000111") {
		t.Error("personal data in the report")
	}
	// A clerk's request for the same portal: "request created by clerk".
	clerk, err := e.db.FindUserByUsername(ctx, "motcua")
	if err != nil {
		t.Fatal(err)
	}
	req.Dossier.Code, req.Citizen.Phone, req.Channel, req.CreatedBy = "000.00.19.CLERK-RPT", "0987000222", tracking.ChannelClerk, clerk.ID
	cp, err := e.sys.intake.Create(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 20*time.Second, "the report of the clerk's request", func() bool {
		for _, cb := range hp.applied() {
			if cb.TrackingNumber == cp.Number && cb.Detail["request_created_by"] == "clerk" && cb.Detail["desk_code"] == "TN-TTPVHCC" {
				return true
			}
		}
		return false
	})
}

// TestSelfServiceInBrowser: the whole self-service on a 360 px phone in
// Chromium, axe clean at each step (e2e/scenarios/selfservice.mjs).
func TestSelfServiceInBrowser(t *testing.T) {
	e := startServer(t, nil)
	n := portalPickup(t, e.portal(), "000.00.19.SELF-WEB")
	e.plan(n, "buuta1")
	n2 := portalPickup(t, e.portal(), "000.00.19.SELF-WEB2")
	e.plan(n2, "buuta1")
	e.browser("selfservice", map[string]any{"number": n, "clerkNumber": n2, "last3": "678", "shot": "selfservice",
		"staff": map[string]string{"username": "quantri", "password": "mat-khau-quantri"},
		"clerk": map[string]string{"username": "motcua", "password": "mat-khau-motcua"}})
	if k := e.count(`SELECT count(*) FROM audit_log WHERE action = ? AND subject = ?`, app.AuditSelfNotHome, n2); k != 1 {
		t.Errorf("the clerk's change: %d audit rows", k)
	}
	if k := e.count(`SELECT count(*) FROM events ev JOIN parcels p ON p.id = ev.parcel_id WHERE p.tracking_number = ?
		AND ev.type IN ('pickup.window_changed', 'pickup.not_home', 'pickup.address_corrected', 'parcel.cancelled')`, n); k != 4 {
		t.Errorf("%d self-service events, want 4", k)
	}
}

// TestTrackingETAFromThePlan: a published plan's arrival time is on the
// tracking page and in its JSON as a half-hour band inside the window
// ("between 9:00 and 9:30"), only with the details; a re-plan moves it; a
// change of window withdraws it until the next plan.
func TestTrackingETAFromThePlan(t *testing.T) {
	e := startServer(t, nil)
	n := portalPickup(t, e.portal(), "000.00.19.ETA-1")
	vn := time.FixedZone("ICT", 7*3600)
	now := time.Now().In(vn)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, vn).AddDate(0, 0, 1)
	publish := func(eta time.Time) {
		t.Helper()
		ws, we := day.Add(8*time.Hour), day.Add(10*time.Hour)
		data, _ := json.Marshal(tracking.Scheduled{Courier: "BUUTA1", Office: "BC-05443", Date: day.Format("2006-01-02"),
			WindowStart: ws.Format(time.RFC3339), WindowEnd: we.Format(time.RFC3339), Stop: 3, ETA: eta.Format(time.RFC3339)})
		if _, _, err := e.sys.ledger.RecordByNumber(context.Background(), n, app.EventInput{Type: tracking.PickupScheduled,
			Actor: tracking.Party{Kind: tracking.PartyDispatcher, Ref: "DIEUPHOI"}, Data: data,
			Schedule: &app.Schedule{Courier: "BUUTA1", Office: "BC-05443", Date: day, WindowStart: ws, WindowEnd: we, Stop: 3}}); err != nil {
			t.Fatal(err)
		}
	}
	type etaBody struct {
		ETA *struct{ From, To, Text string } `json:"eta"`
	}
	read := func(query string) etaBody {
		t.Helper()
		resp, body := e.get("/api/v1/public/track/" + n + query)
		var out etaBody
		if resp.StatusCode != 200 || json.Unmarshal(body, &out) != nil {
			t.Fatalf("track: %d %.300s", resp.StatusCode, body)
		}
		return out
	}
	publish(day.Add(9*time.Hour + 15*time.Minute))
	got := read("?phone_last4=5678")
	if got.ETA == nil || !strings.Contains(got.ETA.Text, "9:00–9:30") {
		t.Fatalf("ETA %+v, want 9:00–9:30", got.ETA)
	}
	if read("").ETA != nil {
		t.Error("the ETA is shown without the details")
	}
	// Near the start of the window the band stays inside it. (The writes
	// here go straight to the ledger, not through a page: the public
	// cache hears of them through the database, a moment later.)
	publish(day.Add(8 * time.Hour))
	waitUntil(t, 10*time.Second, "the re-planned ETA", func() bool {
		got = read("?phone_last4=5678")
		return got.ETA != nil && strings.Contains(got.ETA.Text, "8:00–8:15")
	})
	st, page := e.citizenPage(t, n, "5678")
	if st != 200 || !strings.Contains(page, "Bưu tá dự kiến đến trong khoảng 8:00–8:15") {
		t.Errorf("page %d has no ETA", st)
	}
	// Another window: no ETA until the next plan.
	if _, err := e.sys.self.NotHome(context.Background(), app.Actor{}, n); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 10*time.Second, "no ETA after not at home", func() bool { return read("?phone_last4=5678").ETA == nil })
}

// TestClerkChangeSMSHelps: a change a clerk makes for a citizen reaches
// the citizen by SMS (item 7): the short tracking link in it, the
// diacritics kept when the message fits the segment policy, the opt-out
// link last; the citizen's own changes send nothing.
func TestClerkChangeSMSHelps(t *testing.T) {
	e := startServer(t, map[string]string{"HOSO_QUIET_HOURS": "off", "HOSO_SMS_UNICODE_SEGMENTS": "4", "HOSO_NOTIFY": "on"})
	fastRelay(t, e)
	n := portalPickup(t, e.portal(), "000.00.19.SMS-SELF")
	ctx := context.Background()
	if _, err := e.sys.self.NotHome(ctx, app.Actor{}, n); err != nil {
		t.Fatal(err)
	}
	before := e.count(`SELECT count(*) FROM sms_messages`)
	desk := e.login("motcua")
	if st, _, body := desk.post("/nhan-vien/thay-doi/"+n, url.Values{"thao_tac": {"dia-chi"}, "address_line": {"Số 9, tổ 1"}, "commune_code": {"05443"}}); st != 303 {
		t.Fatalf("clerk address: %d %.300s", st, body)
	}
	var body string
	waitUntil(t, 20*time.Second, "the SMS of the clerk's change", func() bool {
		ms, err := e.db.FindSMS(ctx, 5)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			if strings.Contains(m.Body, n) || strings.Contains(m.Body, "/t/") {
				body = m.Body
				return true
			}
		}
		return false
	})
	if k := e.count(`SELECT count(*) FROM sms_messages`) - before; k != 1 {
		t.Errorf("%d messages, want 1 (the citizen's own not-at-home sends nothing)", k)
	}
	if !strings.Contains(body, "Địa chỉ thu gom") || !strings.Contains(body, "/t/"+n) {
		t.Errorf("SMS %q: want the change with diacritics and the short tracking link", body)
	}
	if i, j := strings.Index(body, "/t/"+n), strings.Index(body, "/huy-tin-nhan/"); j < i || !regexp.MustCompile(`/huy-tin-nhan/\S+$`).MatchString(body) {
		t.Errorf("SMS %q: the opt-out link is not last", body)
	}
}

// TestSelfServiceReplansTheDay: a change to a pickup on a day the office
// has planned re-plans that day the way a dispatcher's "lập lại kế hoạch"
// does: a new version with the reason, and the stop moved out.
func TestSelfServiceReplansTheDay(t *testing.T) {
	e := startServer(t, nil)
	ctx := context.Background()
	n := portalPickup(t, e.portal(), "000.00.19.REPLAN-1")
	e.plan(n, "buuta1") // published for today at BC-05443
	p, err := e.db.FindParcelByNumber(ctx, n)
	if err != nil || p.PlannedDate == nil || p.OfficeCode == "" {
		t.Fatalf("parcel %s not planned: %v", n, err)
	}
	day, _ := dispatch.ParseDay(p.PlannedDate.In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02"))
	admin := app.User{ID: 1, Role: app.RoleAdmin, StaffCode: "QUANTRI"}
	if _, err := e.sys.dispatch.PlanDay(ctx, admin, p.OfficeCode, day, app.PlanOptions{Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.sys.self.NotHome(ctx, app.Actor{}, n); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, "the re-plan", func() bool {
		return e.count(`SELECT count(*) FROM dispatch_plans WHERE office_code = ? AND day = ?::date AND version = 2 AND reason LIKE ?`,
			p.OfficeCode, day.String(), "%vắng nhà%") == 1
	})
}

var powChallenge = regexp.MustCompile(`name="pow_challenge" value="([^"]+)"`)

// solvePow finds a nonce giving SHA-256(challenge ":" nonce) bits leading
// zero bits, as the page's script does.
func solvePow(challenge string, bits int) string {
	for i := 0; ; i++ {
		nonce := strconv.Itoa(i)
		sum := sha256.Sum256([]byte(challenge + ":" + nonce))
		n := 0
		for _, x := range sum {
			if x == 0 {
				n += 8
				continue
			}
			for x&0x80 == 0 {
				n++
				x <<= 1
			}
			break
		}
		if n >= bits {
			return nonce
		}
	}
}

// TestSelfServiceCodeBudgets: the change page's codes count in the request
// form's budgets: past the address's free codes the page carries a
// proof-of-work challenge, and sending without solving it sends nothing.
func TestSelfServiceCodeBudgets(t *testing.T) {
	e := startServer(t, map[string]string{"HOSO_CODE_CHALLENGE_AFTER": "1", "HOSO_POW_BITS": "8"})
	c := e.portal()
	n1 := portalPickup(t, c, "000.00.19.POW-1")
	n2 := portalPickup(t, c, "000.00.19.POW-2")
	b := &selfBrowser{citizenBrowser: newCitizenBrowser(t, e), n: n1}
	if st, _, body := b.noFollow(b.base()+"/gui-ma", url.Values{}); st != 303 {
		t.Fatalf("first code: %d %.300s", st, body)
	}
	sms := e.count(`SELECT count(*) FROM sms_messages`)
	b2 := &selfBrowser{citizenBrowser: b.citizenBrowser, n: n2}
	_, page := b2.get(b2.base())
	m := powChallenge.FindStringSubmatch(page)
	if m == nil || !strings.Contains(page, "data-pow-bits") {
		t.Fatalf("no challenge on the second code's page: %.500s", page)
	}
	if st, _, body := b2.noFollow(b2.base()+"/gui-ma", url.Values{}); st != 403 || !strings.Contains(body, "chống gửi tự động") {
		t.Errorf("unsolved: %d %.300s", st, body)
	}
	if e.count(`SELECT count(*) FROM sms_messages`) != sms {
		t.Error("a code went out without the challenge")
	}
	_, page = b2.get(b2.base())
	m = powChallenge.FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no challenge")
	}
	if st, loc, body := b2.noFollow(b2.base()+"/gui-ma", url.Values{"pow_challenge": {m[1]}, "pow_nonce": {solvePow(m[1], 8)}}); st != 303 || loc != b2.base() {
		t.Errorf("solved: %d %s %.300s", st, loc, body)
	}
	if e.count(`SELECT count(*) FROM sms_messages`) != sms+1 {
		t.Error("no code after the solved challenge")
	}
}
