package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/internal/demo"
	"hoso/tracking"
)

// The counter drop-off (issue 18 items 3 and 4): a citizen brings the
// papers to the post office counter; the clerk checks each line with its
// disposition, uploads scans, seals; the citizen's code is checked by the
// server; custody starts at the office. Every bad input changes nothing.

// dropoffPickup makes a pickup request through the portal for a commune
// and returns its tracking number.
func (e *testEnv) dropoffPickup(t *testing.T, portal contractClient, code, commune string, lat, lng float64) string {
	t.Helper()
	b := validBody(code)
	b["address"] = map[string]any{"province_code": "19", "commune_code": commune, "line": "Số 5, tổ 1", "lat": lat, "lng": lng}
	r := portal.do("POST", "/api/v1/portal/pickups", mustJSON(t, b), "k-"+code)
	if r.status != 201 {
		t.Fatalf("create %s: %d %s", code, r.status, r.body)
	}
	var created map[string]string
	r.json(t, &created)
	return created["tracking_number"]
}

// multipartPost posts a multipart form (with files) without following the
// redirect.
func (s *staffClient) multipartPost(path string, fields map[string]string, files map[string][]byte) (int, string, string) {
	s.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	_ = mw.WriteField("_csrf", s.csrf)
	for k, v := range fields {
		_ = mw.WriteField(k, v)
	}
	for k, b := range files {
		fw, _ := mw.CreateFormFile(k, k+".bin")
		_, _ = fw.Write(b)
	}
	_ = mw.Close()
	req, _ := http.NewRequest("POST", s.base+path, &buf)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	c := *s.c
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(body)
}

var dropoffCodeText = regexp.MustCompile(`Ma xac nhan (\d{6}) de nop ho so tai quay buu cuc ([A-Z]{2}\d{9}[A-Z]{2})\.`)

func (e *testEnv) dropoffCode(t *testing.T, number string) string {
	t.Helper()
	ms, err := e.db.FindSMS(context.Background(), 50)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if g := dropoffCodeText.FindStringSubmatch(m.Body); g != nil && g[2] == number {
			return g[1]
		}
	}
	t.Fatalf("no counter code SMS for %s", number)
	return ""
}

func TestDropoffHTTP(t *testing.T) {
	e := startServer(t, nil)
	ctx := context.Background()
	portal := callbackClient(t, e, "dvc-quay", newCallbackPortal(t, "dvc-quay", func(int) int { return 200 }))
	n := e.dropoffPickup(t, portal, "000.00.19.QUAY-0001", "05443", 21.5942, 105.8482)
	other := e.dropoffPickup(t, portal, "000.00.19.QUAY-0002", "05488", 21.5765, 105.7095)
	e.plan(n, "buuta1") // a home visit was planned: the counter withdraws it
	if err := e.db.ExecForTest(ctx, `UPDATE parcels SET office_code = 'BC-05488' WHERE tracking_number = ?`, other); err != nil {
		t.Fatal(err) // the other request is the other office's
	}
	office := e.login("buucuc")
	path := "/buu-cuc/nop-tai-quay/" + n

	// Found by the dossier code as a person types it.
	if st, loc, body := office.noFollow("/buu-cuc/nop-tai-quay", url.Values{"ref": {"000 00 19 quay 0001"}}); st != 303 || loc != path {
		t.Fatalf("find by dossier code: %d %q %s", st, loc, tail(body, 300))
	}
	if st, _, body := office.noFollow("/buu-cuc/nop-tai-quay", url.Values{"ref": {"EB 999 999 999 VN"}}); st != 404 || !strings.Contains(body, "Không tìm thấy") {
		t.Errorf("unknown number: %d %s", st, tail(body, 300))
	}
	if st, _, body := office.noFollow("/buu-cuc/nop-tai-quay", url.Values{"ref": {"\xff\xfe"}}); st != 400 && st != 422 || !strings.Contains(body, "không đọc được") {
		t.Errorf("non-UTF-8 ref: %d %s", st, tail(body, 300))
	}
	// Another office's request: 403 on every route.
	if st, _ := office.get("/buu-cuc/nop-tai-quay/" + other); st != 403 {
		t.Errorf("another office's request: %d", st)
	}
	if st, _, _ := office.noFollow("/buu-cuc/nop-tai-quay", url.Values{"ref": {other}}); st != 403 {
		t.Errorf("find another office's request: %d", st)
	}
	if st, _, _ := office.multipartPost("/buu-cuc/nop-tai-quay/"+other, map[string]string{"method": "id_digits", "secret": "234"}, nil); st != 403 {
		t.Errorf("record another office's request: %d", st)
	}
	if st, _, _ := office.noFollow("/buu-cuc/nop-tai-quay/"+other+"/ma", url.Values{}); st != 403 {
		t.Errorf("code for another office's request: %d", st)
	}
	if st, body := office.get(path); st != 200 || !strings.Contains(body, "Bản gốc gửi đi") || !strings.Contains(body, "Không cần: đã có trên VNeID/CSDL") {
		t.Fatalf("form: %d %s", st, tail(body, 500))
	}

	png := demo.SignaturePNG("ảnh quét giấy tờ " + n)
	good := func() map[string]string {
		return map[string]string{"event_id": "6c1f7a52-8d3e-4b9a-9f51-0f3b7c2d1e01", "disposition_1": "original", "count_1": "1", "condition_1": "good",
			"disposition_2": "shown", "disposition_3": "scanned", "seal_id": "NP-QUAY-1", "method": "id_digits", "secret": "234"}
	}
	with := func(k, v string) map[string]string { f := good(); f[k] = v; return f }
	before := e.count(`SELECT count(*) FROM events`)
	bad := []struct {
		name   string
		fields map[string]string
		files  map[string][]byte
		want   string
	}{
		{"bad disposition value", with("disposition_2", "burnt"), map[string][]byte{"scan_3": png}, "Chọn một trong bốn cách"},
		{"no disposition", with("disposition_1", ""), map[string][]byte{"scan_3": png}, "Chọn một trong bốn cách"},
		{"scanned without a scan", good(), nil, "Tải lên ảnh quét"},
		{"upload too big", good(), map[string][]byte{"scan_3": append(append([]byte{}, png...), make([]byte, 6<<20)...)}, "lớn quá"},
		{"wrong type", good(), map[string][]byte{"scan_3": []byte("GIF89a not a scan")}, "Chỉ nhận ảnh JPEG, PNG hoặc tệp PDF"},
		{"count not a number", with("count_1", "một"), map[string][]byte{"scan_3": png}, "Nhập số bản bằng chữ số"},
		{"non-UTF-8 seal", with("seal_id", "NP-\xff\xfe"), map[string][]byte{"scan_3": png}, "Nhập mã niêm phong"},
		{"no proof method", with("method", ""), map[string][]byte{"scan_3": png}, "Chọn cách công dân xác nhận"},
		{"code too short", with("method", "door_code"), map[string][]byte{"scan_3": png}, "Nhập 6 chữ số"},
		{"wrong CCCD digits", with("secret", "999"), map[string][]byte{"scan_3": png}, "không khớp"},
		{"original short without reason", with("count_1", "0"), map[string][]byte{"scan_3": png}, "ghi lý do"},
	}
	for _, tc := range bad {
		st, _, body := office.multipartPost(path, tc.fields, tc.files)
		if (st != 400 && st != 422) || !strings.Contains(body, tc.want) {
			t.Errorf("%s: %d, want 400/422 with %q\n%s", tc.name, st, tc.want, tail(body, 600))
		}
		if strings.Contains(body, `value="234"`) {
			t.Errorf("%s: the CCCD digits were echoed back", tc.name)
		}
	}
	if got := e.count(`SELECT count(*) FROM events`); got != before {
		t.Fatalf("bad input wrote %d events", got-before)
	}
	if got := e.count(`SELECT count(*) FROM document_scans WHERE content_type <> 'image/png'`); got != 0 {
		t.Fatalf("a refused upload was kept")
	}

	// The citizen's code on the phone, read to the clerk.
	if st, loc, _ := office.noFollow(path+"/ma", url.Values{}); st != 303 || !strings.HasPrefix(loc, path) {
		t.Fatalf("send code: %d %q", st, loc)
	}
	code := e.dropoffCode(t, n)
	f := good()
	f["method"], f["secret"] = "door_code", code
	st, loc, body := office.multipartPost(path, f, map[string][]byte{"scan_3": png})
	if st != 303 || loc != path+"/xong" {
		t.Fatalf("record: %d %q %s", st, loc, tail(body, 800))
	}
	if st, body := office.get(path + "/xong"); st != 200 || !strings.Contains(body, "Đã nhận hồ sơ") || !strings.Contains(body, "/nhan-vien/in/bien-nhan/"+n) {
		t.Errorf("done page: %d %s", st, tail(body, 500))
	}
	// Custody at the office, the clerk named, each line's disposition in the
	// event, the scan named by its hash and kept sealed.
	p, err := e.db.FindParcelByNumber(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != "at_office" || p.Custodian != (tracking.Party{Kind: tracking.PartyOffice, Ref: "BC-05443"}) || p.SealID != "NP-QUAY-1" {
		t.Fatalf("after the drop-off: %s held by %v seal %s", p.Status, p.Custodian, p.SealID)
	}
	sum := sha256.Sum256(png)
	if got := e.count(`SELECT count(*) FROM events WHERE type = 'pickup.collected' AND actor_kind = 'post_office' AND upu_code = 'EMA'
		AND data->>'clerk' <> '' AND data->'documents'->1->>'disposition' = 'shown' AND data->'documents'->2->>'scan_sha256' = ?
		AND data->'proof'->>'checked_by' = 'server'`, hex.EncodeToString(sum[:])); got != 1 {
		t.Errorf("the collection event: %d rows match", got)
	}
	if got := e.count(`SELECT count(*) FROM document_scans WHERE sha256 = ? AND position(? in body_sealed) = 0`, sum[:], png[:16]); got != 1 {
		t.Errorf("the scan is not kept sealed (%d)", got)
	}
	if got := e.count(`SELECT count(*) FROM parcel_documents d JOIN parcels p ON p.id = d.parcel_id WHERE p.tracking_number = ?
		AND ((d.line = 1 AND d.collected_count = 1 AND d.disposition = 'original') OR (d.line > 1 AND d.collected_count = 0))`, n); got != 3 {
		t.Errorf("document lines after the drop-off: %d of 3 as expected", got)
	}
	if got := e.count(`SELECT count(*) FROM outbox WHERE topic = 'portal' AND payload::text LIKE '%"disposition":"shown"%'`); got < 1 {
		t.Errorf("no portal callback with the dispositions")
	}
	if got := e.count(`SELECT count(*) FROM audit_log WHERE action = 'dropoff.received' AND subject = ?`, n); got != 1 {
		t.Errorf("audit rows for the drop-off: %d", got)
	}
	// No courier visit any more.
	vn := time.FixedZone("ICT", 7*3600)
	now := time.Now().In(vn)
	route, err := e.db.CourierRoute(ctx, "BUUTA1", time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, vn))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range route {
		if r.Number == n {
			t.Errorf("the courier's route still lists %s", n)
		}
	}
	// Replay of the same submission, and a parcel already collected: 409,
	// nothing written.
	before = e.count(`SELECT count(*) FROM events`)
	if st, _, body := office.multipartPost(path, f, nil); st != 409 || !strings.Contains(body, "đã được nhận") {
		t.Errorf("replay: %d %s", st, tail(body, 300))
	}
	if st, _ := office.get(path); st != 409 {
		t.Errorf("form of a collected request: %d", st)
	}
	if got := e.count(`SELECT count(*) FROM events`); got != before {
		t.Errorf("the replay wrote %d events", got-before)
	}

	// The signed receipt says "nhận tại quầy" and each line's disposition.
	resp, err := office.c.Get(office.base + "/nhan-vien/in/bien-nhan/" + n)
	if err != nil {
		t.Fatal(err)
	}
	pdf, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("receipt: %d %s", resp.StatusCode, tail(string(pdf), 300))
	}
	txt := strings.Join(strings.Fields(pdfText(t, "bien-nhan-tai-quay", pdf)), " ")
	for _, want := range []string{"Nhận tại quầy", "Bưu cục Phan Đình Phùng", "Bản gốc gửi đi", "Xem rồi trả lại", "Quét/chụp và lưu", "NHÂN VIÊN BƯU CỤC", "NP-QUAY-1",
		"không gửi bản gốc"} {
		if !strings.Contains(txt, want) {
			t.Errorf("the receipt lacks %q:\n%s", want, txt)
		}
	}
	if strings.Contains(txt, "Chưa nhận") {
		t.Errorf("the receipt lists lines not carried as missing:\n%s", txt)
	}
	// On to the desk: the office hands the bag to a courier, who takes it
	// to the desk; the desk counts only the carried original.
	rel, _ := json.Marshal(tracking.Released{To: "courier:BUUTA1"})
	if _, _, err := e.sys.ledger.RecordByNumber(ctx, n, app.EventInput{Type: tracking.HandoffReleased,
		Actor: tracking.Party{Kind: tracking.PartyOffice, Ref: "BC-05443"}, Data: rel}); err != nil {
		t.Fatal(err)
	}
	_, res := e.courier("buuta1").send(ev("handoff.confirmed", n, map[string]any{"seal_intact": true, "seal_id": "NP-QUAY-1"}),
		ev("handoff.released", n, map[string]any{"to": "desk:TN-TTPVHCC"}))
	wantStatuses(t, "office → courier → desk", res, "accepted", "accepted")
	desk := e.login("motcua")
	if st, page := desk.get("/mot-cua/kiem-dem/" + n); st != 200 || strings.Count(page, "Không có bản gốc trong bì") != 2 {
		t.Errorf("the desk's count form: %d, want the two lines not carried marked\n%s", st, tail(page, 800))
	}
	if _, page := desk.postForm("/mot-cua/nhan", url.Values{"so": {n}, "dem": {"1"}, "seal": {"intact"}, "seal_id": {"NP-QUAY-1"},
		"count_1": {"1"}, "count_2": {"0"}, "count_3": {"0"}}); !strings.Contains(page, `data-scan="ok"`) {
		t.Errorf("the desk counting the carried original: %s", tail(page, 800))
	}
	if k, _ := e.custodian(n); k != "desk" || e.count(`SELECT count(*) FROM incidents`) != 0 {
		t.Errorf("after the desk's count: held by %s, %d incidents", k, e.count(`SELECT count(*) FROM incidents`))
	}
	// The public receipt check still verifies it.
	if out, err := runVerify(t, e); err != nil {
		t.Errorf("hoso verify: %v\n%s", err, out)
	}
}

// TestDropoffInBrowser: the counter drop-off at 360 px and 1280 px in
// Chromium, axe clean on every screen; a wrong CCCD is refused beside its
// field first.
func TestDropoffInBrowser(t *testing.T) {
	e := startServer(t, nil)
	n := e.dropoffPickup(t, e.portal(), "000.00.19.QUAY-0360", "05443", 21.5942, 105.8482)
	png := demo.SignaturePNG("ảnh chụp CCCD tại quầy")
	e.browser("dropoff", map[string]any{"username": "buucuc", "password": "mat-khau-buucuc", "number": n, "dossier": "000.00.19.QUAY-0360",
		"png": base64.StdEncoding.EncodeToString(png), "digits": "019090001234", "wrong": "999"})
	if k, ref := e.custodian(n); k != "post_office" || ref != "BC-05443" {
		t.Fatalf("after the drop-off in the browser the papers are with %s %s", k, ref)
	}
	if got := e.count(`SELECT count(*) FROM document_scans d JOIN parcels p ON p.id = d.parcel_id WHERE p.tracking_number = ? AND d.line = 3`, n); got != 1 {
		t.Errorf("scans of line 3: %d", got)
	}
	// The same at a counter's desktop width.
	wide := e.dropoffPickup(t, e.portal(), "000.00.19.QUAY-1280", "05443", 21.5942, 105.8482)
	e.browser("dropoff", map[string]any{"username": "buucuc", "password": "mat-khau-buucuc", "number": wide, "dossier": "000.00.19.QUAY-1280",
		"png": base64.StdEncoding.EncodeToString(demo.SignaturePNG("ảnh chụp tại quầy 1280")), "digits": "234", "wrong": "999", "wide": true})
	if k, _ := e.custodian(wide); k != "post_office" {
		t.Fatalf("after the drop-off at 1280 px the papers are with %s", k)
	}
}

// TestDoorDispositions: the courier states each line's disposition at the
// door; a scanned line waits for its scan, which the courier uploads for a
// stop of their own route (size and type checked); the receipt and the
// desk follow the disposition; old events without one still verify.
func TestDoorDispositions(t *testing.T) {
	e := startServer(t, nil)
	n := e.dropoffPickup(t, e.portal(), "000.00.19.CUA-0001", "05443", 21.5942, 105.8482)
	old := e.dropoffPickup(t, e.portal(), "000.00.19.CUA-0002", "05443", 21.5942, 105.8482)
	e.assign("buuta1", n, old)
	c := e.courier("buuta1")
	png := demo.SignaturePNG("ảnh quét tại cửa " + n)
	sum := sha256.Sum256(png)
	sha := hex.EncodeToString(sum[:])
	docs := []map[string]any{{"line": 1, "count": 1, "disposition": "original"}, {"line": 2, "count": 0, "disposition": "not_needed"},
		{"line": 3, "count": 0, "disposition": "scanned", "scan_sha256": sha}}
	_, res := c.send(ev("pickup.collected", n, map[string]any{"documents": docs, "seal_id": "NP-CUA-1", "proof": c.sigProof(n)}))
	wantStatuses(t, "scanned line before its scan", res, "rejected")
	for _, tc := range []struct {
		name string
		who  *courierClient
		body map[string]any
		code int
	}{
		{"another courier's stop", e.courier("buuta2"), map[string]any{"tracking_number": n, "line": 3, "data": base64.StdEncoding.EncodeToString(png)}, 403},
		{"not base64", c, map[string]any{"tracking_number": n, "line": 3, "data": "%%%"}, 400},
		{"wrong type", c, map[string]any{"tracking_number": n, "line": 3, "data": base64.StdEncoding.EncodeToString([]byte("GIF89a"))}, 400},
		{"too big", c, map[string]any{"tracking_number": n, "line": 3, "data": base64.StdEncoding.EncodeToString(append(append([]byte{}, png...), make([]byte, 5<<20)...))}, 400},
		{"no such line", c, map[string]any{"tracking_number": n, "line": 9, "data": base64.StdEncoding.EncodeToString(png)}, 400},
	} {
		if code, body := tc.who.post("/api/v1/courier/scans", tc.body); code != tc.code {
			t.Errorf("%s: %d, want %d: %s", tc.name, code, tc.code, body)
		}
	}
	if got := e.count(`SELECT count(*) FROM document_scans`); got != 0 {
		t.Fatalf("refused scans kept: %d", got)
	}
	if code, body := c.post("/api/v1/courier/scans", map[string]any{"tracking_number": n, "line": 3, "data": base64.StdEncoding.EncodeToString(png)}); code != 201 || !strings.Contains(string(body), sha) {
		t.Fatalf("scan upload: %d %s", code, body)
	}
	// A scan of line 3 named for line 2 is refused.
	wrong := []map[string]any{{"line": 1, "count": 1, "disposition": "original"}, {"line": 2, "count": 0, "disposition": "scanned", "scan_sha256": sha},
		{"line": 3, "count": 0, "disposition": "scanned", "scan_sha256": sha}}
	_, res = c.send(ev("pickup.collected", n, map[string]any{"documents": wrong, "seal_id": "NP-CUA-1", "proof": c.sigProof(n)}))
	wantStatuses(t, "a scan named for another line", res, "rejected")
	_, res = c.send(ev("pickup.collected", n, map[string]any{"documents": docs, "seal_id": "NP-CUA-1", "proof": c.sigProof(n)}))
	wantStatuses(t, "scanned line with its scan", res, "accepted")
	// An event without dispositions, as the app sent them before.
	_, res = c.send(ev("pickup.collected", old, map[string]any{"documents": docs3, "seal_id": "NP-CUA-2", "proof": c.sigProof(old)}))
	wantStatuses(t, "collection without dispositions", res, "accepted")
	if got := e.count(`SELECT count(*) FROM parcel_documents d JOIN parcels p ON p.id = d.parcel_id WHERE p.tracking_number = ? AND d.disposition IS NULL`, old); got != 3 {
		t.Errorf("old-style lines: %d without a disposition, want 3", got)
	}
	office := e.login("buucuc")
	resp, err := office.c.Get(office.base + "/nhan-vien/in/bien-nhan/" + n)
	if err != nil {
		t.Fatal(err)
	}
	pdf, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("receipt: %d", resp.StatusCode)
	}
	txt := strings.Join(strings.Fields(pdfText(t, "bien-nhan-cua-xu-ly", pdf)), " ")
	for _, want := range []string{"Bản gốc gửi đi", "Không cần: đã có trên VNeID/CSDL", "Quét/chụp và lưu", "BƯU TÁ"} {
		if !strings.Contains(txt, want) {
			t.Errorf("the door receipt lacks %q:\n%s", want, txt)
		}
	}
	if strings.Contains(txt, "Nhận tại quầy") || strings.Contains(txt, "Chưa nhận") {
		t.Errorf("the door receipt says it was a counter, or lists lines not carried as missing:\n%s", txt)
	}
	if out, err := runVerify(t, e); err != nil {
		t.Errorf("hoso verify: %v\n%s", err, out)
	}
}
