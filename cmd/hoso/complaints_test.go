package main

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"hoso/internal/app"
)

// visitor is a browser without a session: its cookie jar and the form
// token of the last page it read.
type visitor struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

func (e *testEnv) visitor() *visitor {
	jar, _ := cookiejar.New(nil)
	return &visitor{t: e.t, base: e.base, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (v *visitor) get(path string) (int, string) {
	v.t.Helper()
	resp, err := v.c.Get(v.base + path)
	if err != nil {
		v.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if m := csrfPattern.FindSubmatch(b); m != nil {
		v.csrf = string(m[1])
	}
	return resp.StatusCode, string(b)
}

func (v *visitor) post(path string, f url.Values) (int, string, string) {
	v.t.Helper()
	f.Set("_csrf", v.csrf)
	resp, err := v.c.PostForm(v.base+path, f)
	if err != nil {
		v.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func complaintForm(problem, note, last4 string) url.Values {
	return url.Values{"van_de": {problem}, "noi_dung": {note}, "so_cuoi": {last4}}
}

// TestComplaintReportAndAnswer: a citizen reports that the courier did not
// come; wrong proofs, an unknown number, text that is not UTF-8, a note too
// long and an unknown problem are refused with the error next to the field
// and nothing written; the right proof opens one complaint routed to the
// office of the courier planned to collect, with a deadline in working
// days, custody unchanged;
// a double submit is the same complaint. The office answers (audited),
// another office is refused, the citizen reads the answer on the tracking
// page and in the JSON; a dispatcher opens the lost-original case from a
// "documents missing" complaint and it names the last confirmed custodian.
func TestComplaintReportAndAnswer(t *testing.T) {
	e := startServer(t, nil)
	n := e.newPickup(t, "000.00.19.PHANANH-1")
	path := "/tra-cuu/" + n + "/phan-anh"
	events := e.count(`SELECT count(*) FROM events`)
	incidents := func() int { return e.count(`SELECT count(*) FROM incidents WHERE kind = 'complaint'`) }

	v := e.visitor()
	code, body := v.get(path)
	if code != 200 || !strings.Contains(body, "Bưu tá hẹn nhưng không đến") || !strings.Contains(body, "4 số cuối điện thoại") {
		t.Fatalf("form: %d", code)
	}
	// The tracking page links to it.
	if _, body := v.get("/tra-cuu/" + n); !strings.Contains(body, `href="`+path+`"`) {
		t.Error("the tracking page does not link to the complaint form")
	}

	bad := []struct {
		name      string
		path      string
		form      url.Values
		want      int
		fieldText string
	}{
		{"wrong proof", path, complaintForm(app.ComplaintNoShow, "", "0000"), 422, "Kiểm tra lại 4 số cuối"},
		{"unknown number", "/tra-cuu/EA123456785VN/phan-anh", complaintForm(app.ComplaintNoShow, "", "5678"), 422, "Kiểm tra lại 4 số cuối"},
		{"no proof", path, complaintForm(app.ComplaintNoShow, "", ""), 422, "Nhập 4 số cuối điện thoại"},
		{"not UTF-8", path, complaintForm(app.ComplaintOther, "B\xff\xfe hẹn", "5678"), 422, "ký tự không đọc được"},
		{"too long", path, complaintForm(app.ComplaintNoShow, strings.Repeat("dài ", 260), "5678"), 422, "dài quá 1000 chữ"},
		{"unknown problem", path, complaintForm("drop_table", "", "5678"), 422, "Chọn một vấn đề"},
		{"other without a note", path, complaintForm(app.ComplaintOther, "  ", "5678"), 422, "viết vài chữ"},
	}
	for _, tc := range bad {
		code, _, body := v.post(tc.path, tc.form)
		if code != tc.want || !strings.Contains(body, tc.fieldText) || !strings.Contains(body, "field--error") {
			t.Errorf("%s: %d, want %d with %q: %s", tc.name, code, tc.want, tc.fieldText, tail(body, 3000))
		}
	}
	if incidents() != 0 || e.count(`SELECT count(*) FROM audit_log WHERE action = ?`, app.AuditComplaintOpened) != 0 {
		t.Fatal("a refused complaint was written")
	}

	form := complaintForm(app.ComplaintNoShow, "Bưu tá hẹn 9 giờ sáng thứ Hai nhưng không đến.", "5678")
	code, loc, _ := v.post(path, form)
	if code != 303 || loc != "/tra-cuu/"+n+"#phan-anh" {
		t.Fatalf("complaint: %d %s", code, loc)
	}
	if code, loc, _ := v.post(path, form); code != 303 || loc != "/tra-cuu/"+n+"#phan-anh" {
		t.Errorf("double submit: %d %s", code, loc)
	}
	if incidents() != 1 || e.count(`SELECT count(*) FROM audit_log WHERE action = ? AND subject = ?`, app.AuditComplaintOpened, n) != 1 {
		t.Fatalf("double submit made %d complaints", incidents())
	}
	if e.count(`SELECT count(*) FROM incidents i JOIN parcels p ON p.id = i.parcel_id WHERE p.tracking_number = ? AND i.kind = 'complaint'
		AND i.problem = 'courier_no_show' AND i.event_id IS NULL AND i.route_kind = 'post_office' AND i.route_ref = 'BC-05443' AND i.status = 'open' AND i.due_at > i.created_at + interval '47 hours'`, n) != 1 {
		t.Error("the complaint lacks its problem or its deadline")
	}
	if got := e.count(`SELECT count(*) FROM events`); got != events {
		t.Errorf("a complaint wrote %d ledger events", got-events)
	}
	if e.count(`SELECT count(*) FROM incidents WHERE note LIKE '%5678%' OR note LIKE '%0912%'`) != 0 || strings.Contains(e.logs.String(), "0912345678") {
		t.Error("the phone was stored or logged")
	}
	// What the citizen wrote cannot be rewritten, even in SQL.
	if _, err := e.db.CountForTest(context.Background(), `WITH x AS (UPDATE incidents SET note = 'sửa' WHERE kind = 'complaint' RETURNING 1) SELECT count(*) FROM x`); err == nil {
		t.Error("the complaint's text was rewritten")
	}
	_, body = v.get("/tra-cuu/" + n)
	if !strings.Contains(body, "Bưu tá hẹn nhưng không đến") || !strings.Contains(body, "Đang chờ trả lời") {
		t.Errorf("the tracking page does not show the pending complaint: %s", tail(body, 600))
	}
	// Someone else with the number sees only that one is being handled.
	if _, body := e.visitor().get("/tra-cuu/" + n); strings.Contains(body, "Bưu tá hẹn nhưng không đến") || !strings.Contains(body, "có phản ánh của người gửi") {
		t.Error("a stranger reads the complaint")
	}

	var id string
	is, err := e.db.FindIncidents(context.Background(), app.AlarmFilter{}, true)
	if err != nil || len(is) != 1 {
		t.Fatalf("incidents %d %v", len(is), err)
	}
	id = is[0].ID

	office := e.login("buucuc")
	if code, body := office.get("/nhan-vien/su-co"); code != 200 || !strings.Contains(body, "/nhan-vien/su-co/"+id) || !strings.Contains(body, "Hạn trả lời") {
		t.Errorf("the office of the zone does not see the complaint: %d %s", code, tail(body, 3000))
	}
	other := e.addUserLogin(app.NewUser{Username: "buucuc2", Role: app.RoleOffice, OfficeCode: "BC-05488", FullName: "Cán bộ bưu cục khác"})
	if code, _ := other.get("/nhan-vien/su-co/" + id); code != 403 {
		t.Errorf("another office reads the complaint: %d", code)
	}
	if code, _ := other.postForm("/nhan-vien/su-co/"+id+"/tra-loi", url.Values{"answer": {"Chúng tôi sẽ xem lại"}}); code != 403 {
		t.Errorf("another office answers: %d", code)
	}
	if code, _ := e.login("motcuaxa").postForm("/nhan-vien/su-co/"+id+"/tra-loi", url.Values{"answer": {"Chúng tôi sẽ xem lại"}}); code != 403 {
		t.Errorf("another desk answers: %d", code)
	}
	for _, a := range []string{"", "ok", "B\xff\xfe", strings.Repeat("x", 2001)} {
		if code, body := office.postForm("/nhan-vien/su-co/"+id+"/tra-loi", url.Values{"answer": {a}}); code != 422 || !strings.Contains(body, "field--error") {
			t.Errorf("answer %.20q: %d", a, code)
		}
	}
	answer := "Xin lỗi bạn. Bưu tá sẽ đến lấy giấy tờ sáng mai, từ 8 đến 10 giờ."
	if code, _ := office.postForm("/nhan-vien/su-co/"+id+"/tra-loi", url.Values{"answer": {answer}}); code != 200 {
		t.Fatalf("answer: %d", code)
	}
	if code, _ := office.postForm("/nhan-vien/su-co/"+id+"/tra-loi", url.Values{"answer": {answer}}); code != 409 {
		t.Errorf("the same answer twice: %d", code)
	}
	if e.count(`SELECT count(*) FROM complaint_answers`) != 1 ||
		e.count(`SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.user_id WHERE u.username = 'buucuc' AND a.action = ? AND a.subject = ?`, app.AuditComplaintAnswered, n) != 1 {
		t.Error("the answer is not stored once and audited")
	}
	if _, err := e.db.CountForTest(context.Background(), `WITH x AS (DELETE FROM complaint_answers RETURNING 1) SELECT count(*) FROM x`); err == nil {
		t.Error("an answer was deleted")
	}
	_, body = v.get("/tra-cuu/" + n)
	if !strings.Contains(body, "sáng mai, từ 8 đến 10 giờ") {
		t.Error("the citizen does not see the answer")
	}
	resp, jb := e.get("/api/v1/public/track/" + n + "?phone_last4=5678")
	if resp.StatusCode != 200 || !strings.Contains(string(jb), `"complaints":[{`) || !strings.Contains(string(jb), "sáng mai") || !strings.Contains(string(jb), `"answer_due"`) {
		t.Errorf("JSON: %d %.400s", resp.StatusCode, jb)
	}
	if _, jb := e.get("/api/v1/public/track/" + n); strings.Contains(string(jb), "complaints") {
		t.Error("the JSON without a proof carries the complaints")
	}

	// Documents missing: the dispatcher opens a lost-original case from the
	// complaint once the courier has collected; it names the courier.
	courier := e.courier("buuta1")
	docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}}
	_, res := courier.send(ev("pickup.collected", n, map[string]any{"documents": docs, "seal_id": "NP-901", "proof": courier.sigProof(n)}))
	wantStatuses(t, "collect", res, "accepted")
	if code, loc, _ := v.post(path, complaintForm(app.ComplaintDocsMissing, "Tôi đưa 4 giấy tờ nhưng biên nhận ghi thiếu.", "5678")); code != 303 || loc == "" {
		t.Fatalf("second complaint: %d", code)
	}
	var missing string
	is, _ = e.db.FindIncidents(context.Background(), app.AlarmFilter{}, true)
	for _, i := range is {
		if i.Problem == app.ComplaintDocsMissing {
			missing = i.ID
		}
	}
	if missing == "" {
		t.Fatal("no documents-missing complaint")
	}
	if k, ref := e.custodian(n); k != "courier" || ref != "BUUTA1" {
		t.Fatalf("custody %s %s", k, ref)
	}
	disp := e.login("dieuphoi")
	code, body = disp.postForm("/nhan-vien/su-co/"+missing, url.Values{"action": {"lost"}, "note": {"Không tìm thấy giấy tờ"}})
	if code != 200 || !strings.Contains(body, "Hồ sơ vụ việc thất lạc") || !strings.Contains(body, "(mã BUUTA1)") {
		t.Fatalf("lost case from a complaint: %d %s", code, tail(body, 500))
	}
	if e.count(`SELECT count(*) FROM lost_cases l JOIN incidents i ON i.id = l.incident_id WHERE i.kind = 'complaint' AND l.responsible_kind = 'courier' AND l.responsible_ref = 'BUUTA1'`) != 1 {
		t.Error("the case does not name the courier")
	}
	// The staff parcel page shows both complaints and the case.
	if code, body := disp.get("/nhan-vien/buu-gui/" + n); code != 200 || !strings.Contains(body, "Người dân phản ánh: Bưu tá hẹn nhưng không đến") ||
		!strings.Contains(body, "Hồ sơ vụ việc:") {
		t.Errorf("staff parcel page: %d", code)
	}
}

// TestComplaintProofLockout: after a few wrong proofs on one parcel the
// form locks (429, the right proof too) while another parcel's form still
// works; an unknown number locks the same way, so the answers never tell
// which numbers exist.
func TestComplaintProofLockout(t *testing.T) {
	e := startServer(t, nil)
	n := e.newPickup(t, "000.00.19.KHOA-1")
	m := e.newPickup(t, "000.00.19.KHOA-2")
	lock := func(number string) {
		t.Helper()
		path := "/tra-cuu/" + number + "/phan-anh"
		var codes []int
		for range 5 {
			v := e.visitor()
			v.get(path)
			code, _, _ := v.post(path, complaintForm(app.ComplaintNoShow, "", "1111"))
			codes = append(codes, code)
		}
		v := e.visitor()
		v.get(path)
		code, _, body := v.post(path, complaintForm(app.ComplaintNoShow, "", "5678"))
		if code != 429 || !strings.Contains(body, "quá nhiều lần") || codes[4] != 422 {
			t.Errorf("%s after 5 wrong proofs: %v then %d", number, codes, code)
		}
	}
	lock(n)
	if e.count(`SELECT count(*) FROM incidents`) != 0 {
		t.Error("a locked form wrote")
	}
	// Five wrong proofs from this address are under its own budget of ten:
	// another parcel still takes a complaint.
	v := e.visitor()
	v.get("/tra-cuu/" + m + "/phan-anh")
	if code, _, _ := v.post("/tra-cuu/"+m+"/phan-anh", complaintForm(app.ComplaintResultLate, "", "5678")); code != 303 {
		t.Errorf("another parcel: %d", code)
	}
	lock("EA123456785VN")
}

// TestComplaintInBrowser: the complaint form, its errors and the tracking
// page at 360 px, the office's incidents list and answer at 1280 px, the
// staff parcel page at 1280 px and 360 px, a lost-original case opened
// from a quiet parcel's alarm at 1280 px, axe clean
// (e2e/scenarios/complaint.mjs).
func TestComplaintInBrowser(t *testing.T) {
	e := startServer(t, nil)
	n := e.newPickup(t, "000.00.19.PHANANH-UI")
	quiet := e.newPickup(t, "000.00.19.IM-LANG-UI")
	courier := e.courier("buuta1")
	docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}}
	_, res := courier.send(ev("pickup.collected", quiet, map[string]any{"documents": docs, "seal_id": "NP-903", "proof": courier.sigProof(quiet)}))
	wantStatuses(t, "collect", res, "accepted")
	alarms := &app.Alarms{Store: e.db, Now: time.Now, Policy: app.DefaultAlarmPolicy()}
	if _, err := alarms.SweepAt(context.Background(), time.Now().Add(30*time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.browser("complaint", map[string]any{"number": n, "last4": "5678", "quiet": quiet,
		"office":     map[string]string{"username": "buucuc", "password": "mat-khau-buucuc"},
		"dispatcher": map[string]string{"username": "dieuphoi", "password": "mat-khau-dieuphoi"}})
	if e.count(`SELECT count(*) FROM lost_cases WHERE responsible_kind = 'courier' AND responsible_ref = 'BUUTA1'`) != 1 {
		t.Error("the case opened in the browser does not name the courier")
	}
	if e.count(`SELECT count(*) FROM complaint_answers`) != 1 {
		t.Error("the answer typed in the browser was not stored")
	}
}

// TestQuietParcelLostCase: a collected parcel goes quiet past its limit;
// from its alarm (the alarms page links to the parcel's page) a dispatcher
// opens a lost-original case naming the courier, the last confirmed
// custodian in the ledger, with a reason (audited). A desk is refused, an
// empty or unreadable reason is refused with nothing written, a double
// submit lands on the same case.
func TestQuietParcelLostCase(t *testing.T) {
	e := startServer(t, nil)
	n := e.newPickup(t, "000.00.19.IM-LANG-1")
	courier := e.courier("buuta1")
	docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}}
	_, res := courier.send(ev("pickup.collected", n, map[string]any{"documents": docs, "seal_id": "NP-902", "proof": courier.sigProof(n)}))
	wantStatuses(t, "collect", res, "accepted")
	alarms := &app.Alarms{Store: e.db, Now: time.Now, Policy: app.DefaultAlarmPolicy()}
	if _, err := alarms.SweepAt(context.Background(), time.Now().Add(30*time.Hour)); err != nil {
		t.Fatal(err)
	}
	ids := e.psql(`SELECT id FROM alarms WHERE kind = 'parcel_quiet' AND cleared_at IS NULL`)
	if len(ids) != 1 {
		t.Fatalf("quiet alarms: %v", ids)
	}
	action := "/nhan-vien/canh-bao/" + ids[0] + "/that-lac"
	disp := e.login("dieuphoi")
	if _, body := disp.get("/nhan-vien/canh-bao"); !strings.Contains(body, "/nhan-vien/buu-gui/"+n+"#canh-bao-"+ids[0]) {
		t.Error("the alarms page does not lead to the lost-original form")
	}
	if _, body := disp.get("/nhan-vien/buu-gui/" + n); !strings.Contains(body, `action="`+action+`"`) {
		t.Error("the staff parcel page has no lost-original form on the quiet alarm")
	}
	if _, body := e.login("motcua").get("/nhan-vien/buu-gui/" + n); strings.Contains(body, `action="`+action+`"`) {
		t.Error("a desk is offered the form")
	}
	if code, _ := e.login("motcua").postForm(action, url.Values{"number": {n}, "note": {"Không có tin quá lâu"}}); code != 403 {
		t.Errorf("a desk opens a case: %d", code)
	}
	for _, note := range []string{"", "B\xff\xfe", strings.Repeat("x", 1001)} {
		if code, body := disp.postForm(action, url.Values{"number": {n}, "note": {note}}); code != 422 || !strings.Contains(body, "field--error") {
			t.Errorf("note %.20q: %d", note, code)
		}
	}
	if code, _ := disp.postForm("/nhan-vien/canh-bao/abc/that-lac", url.Values{"note": {"Không có tin quá lâu"}}); code != 404 {
		t.Errorf("a malformed alarm id: %d", code)
	}
	if e.count(`SELECT count(*) FROM lost_cases`) != 0 || e.count(`SELECT count(*) FROM incidents`) != 0 {
		t.Fatal("a refused case was written")
	}
	resp, err := disp.noRedirect().PostForm(e.base+action, url.Values{"_csrf": {disp.csrf}, "number": {n}, "note": {"Không có tin sau 30 giờ, bưu tá không trả lời"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != 303 || !strings.HasPrefix(loc, "/nhan-vien/su-co/") {
		t.Fatalf("case: %d %s", resp.StatusCode, loc)
	}
	if e.count(`SELECT count(*) FROM lost_cases l JOIN incidents i ON i.id = l.incident_id WHERE i.kind = 'quiet' AND i.status = 'lost'
		AND l.responsible_kind = 'courier' AND l.responsible_ref = 'BUUTA1'`) != 1 {
		t.Error("the case does not name the courier")
	}
	if e.count(`SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.user_id WHERE u.username = 'dieuphoi' AND a.action = ? AND a.subject = ?`, app.AuditQuietLost, n) != 1 {
		t.Error("the case is not audited")
	}
	resp, err = disp.noRedirect().PostForm(e.base+action, url.Values{"_csrf": {disp.csrf}, "number": {n}, "note": {"Không có tin sau 30 giờ, bưu tá không trả lời"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 303 || resp.Header.Get("Location") != loc || e.count(`SELECT count(*) FROM lost_cases`) != 1 {
		t.Errorf("double submit: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	code, body := disp.get(loc)
	if code != 200 || !strings.Contains(body, "Bưu gửi không có tin quá thời hạn") || !strings.Contains(body, "(mã BUUTA1)") || !strings.Contains(body, "Nghị định 118/2025/NĐ-CP") {
		t.Errorf("case page: %d", code)
	}
}

// TestOverdueComplaintOnTheAlarmsPage: a complaint nobody answered by its
// deadline is on the alarms page of the office it was routed to and of the
// province's dispatcher, in Vietnamese, with a link to the complaint's
// page where the office answers it; another office does not see it; the
// answer clears it at the next sweep.
func TestOverdueComplaintOnTheAlarmsPage(t *testing.T) {
	e := startServer(t, nil)
	e.addUser(app.NewUser{Username: "daiphuc", Role: app.RoleOffice, OfficeCode: "BC-05488"})
	n := e.newPickup(t, "000.00.19.PHANANH-QUAHAN")
	v := e.visitor()
	v.get("/tra-cuu/" + n + "/phan-anh")
	if code, _, _ := v.post("/tra-cuu/"+n+"/phan-anh", complaintForm(app.ComplaintNoShow, "Hẹn sáng thứ Hai mà không ai đến.", "5678")); code != 303 {
		t.Fatalf("complaint: %d", code)
	}
	ids := e.psql(`SELECT id FROM incidents WHERE kind = 'complaint'`)
	if len(ids) != 1 {
		t.Fatalf("complaints: %v", ids)
	}
	id := ids[0]
	dues := e.psql(`SELECT to_char(due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') FROM incidents WHERE id = '` + id + `'`)
	due, err := time.Parse(time.RFC3339, dues[0])
	if err != nil {
		t.Fatal(err)
	}
	alarms := &app.Alarms{Store: e.db, Now: time.Now, Policy: app.DefaultAlarmPolicy()}
	sweep := func(at time.Time) {
		t.Helper()
		if _, err := alarms.SweepAt(context.Background(), at); err != nil {
			t.Fatal(err)
		}
	}
	link := `<a href="/nhan-vien/su-co/` + id + `">Xem và trả lời phản ánh</a>`
	label := "Phản ánh của người dân quá hạn 2 ngày làm việc mà chưa được trả lời"
	office, disp, other := e.login("buucuc"), e.login("dieuphoi"), e.login("daiphuc")
	sweep(due.Add(-time.Minute))
	if _, body := office.get("/nhan-vien/canh-bao"); strings.Contains(body, link) {
		t.Fatal("alarm before the deadline")
	}
	sweep(due.Add(time.Minute))
	for name, s := range map[string]*staffClient{"the office": office, "the dispatcher": disp} {
		code, body := s.get("/nhan-vien/canh-bao")
		if code != 200 || !strings.Contains(body, link) || !strings.Contains(body, label) || !strings.Contains(body, n) ||
			!strings.Contains(body, "Bưu cục Phan Đình Phùng") {
			t.Errorf("%s's alarms page: %d, the overdue complaint is not shown with its link", name, code)
		}
	}
	if _, body := other.get("/nhan-vien/canh-bao"); strings.Contains(body, link) || strings.Contains(body, n) {
		t.Error("another office sees the complaint's alarm")
	}
	if code, body := office.get("/nhan-vien/su-co/" + id); code != 200 || !strings.Contains(body, `action="/nhan-vien/su-co/`+id+`/tra-loi"`) {
		t.Fatalf("the link leads to %d without the answer form", code)
	}
	if code, _ := office.postForm("/nhan-vien/su-co/"+id+"/tra-loi", url.Values{"answer": {"Xin lỗi bạn, bưu tá sẽ đến sáng mai từ 8 giờ."}}); code != 200 {
		t.Fatalf("answer: %d", code)
	}
	sweep(due.Add(2 * time.Minute))
	if _, body := office.get("/nhan-vien/canh-bao"); strings.Contains(body, link) {
		t.Error("the answered complaint's alarm is still open")
	}
	if got := e.count(`SELECT count(*) FROM alarms WHERE kind = 'complaint_overdue' AND subject = ? AND cleared_at IS NOT NULL`, id); got != 1 {
		t.Errorf("%d cleared complaint alarms, want 1", got)
	}
}
