package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/tracking"
)

var ictZone = time.FixedZone("ICT", 7*3600)

// vnDay is midnight of today+offset in Vietnam.
func vnDay(offset int) time.Time {
	n := time.Now().In(ictZone)
	return time.Date(n.Year(), n.Month(), n.Day()+offset, 0, 0, 0, 0, ictZone)
}

// evAt is ev with the device's time set.
func evAt(typ, number string, data any, at time.Time) map[string]any {
	m := ev(typ, number, data)
	m["at"] = at.Format(time.RFC3339)
	return m
}

// backdate moves a parcel's creation four days back, so a day of events
// recorded with past device times happens after it existed (the server
// refuses a device time before its parcel was created).
func backdate(t *testing.T, e *testEnv, number string) {
	t.Helper()
	if err := e.db.ExecForTest(context.Background(), `UPDATE parcels SET created_at = created_at - interval '4 days' WHERE tracking_number = ?`, number); err != nil {
		t.Fatal(err)
	}
}

// addUser creates an account in the fixture.
func (e *testEnv) addUser(n app.NewUser) app.User {
	e.t.Helper()
	n.Password = "mat-khau-" + n.Username
	if n.FullName == "" {
		n.FullName = "Cán bộ " + n.Username
	}
	u, err := e.sys.auth.CreateUser(context.Background(), n)
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// moneyFixture adds a third courier to BC-05443 and, in Hà Nội, an office
// with its clerk and a dispatcher, for the scope checks.
func moneyFixture(t *testing.T, e *testEnv) {
	t.Helper()
	ctx := context.Background()
	if err := e.db.UpsertOffice(ctx, app.PostOffice{Code: "BC-00004", Name: "Bưu cục Ba Đình", CommuneCode: "00004", ProvinceCode: "01", Lat: 21.03, Lng: 105.83}); err != nil {
		t.Fatal(err)
	}
	e.addUser(app.NewUser{Username: "buuta3", Role: app.RoleCourier, OfficeCode: "BC-05443", FullName: "Bưu tá Ba"})
	e.addUser(app.NewUser{Username: "buucuc2", Role: app.RoleOffice, OfficeCode: "BC-05488"})
	e.addUser(app.NewUser{Username: "buucuchn", Role: app.RoleOffice, OfficeCode: "BC-00004"})
	e.addUser(app.NewUser{Username: "dieuphoihn", Role: app.RoleDispatcher, ProvinceCode: "01"})
}

// returnLeg registers a result without a pickup (the citizen came to the
// desk), has the desk hand it to a courier who takes it out, optionally
// fails once, and delivers it at the given device time with the fee
// collected. It returns the return leg's tracking number.
func returnLeg(t *testing.T, e *testEnv, desk *staffClient, c *courierClient, code, courier string, fee, collected int64, failCause string, failAt, at time.Time) string {
	t.Helper()
	body := fmt.Sprintf(`{"documents":[{"name":"Giấy chứng nhận quyền sử dụng đất","kind":"original","count":1}],"fee":%d,"desk_code":"TN-TTPVHCC",
		"citizen":{"full_name":"Hà Thị Mai","phone":"0987000111"},"address":{"province_code":"19","commune_code":"05455","line":"Tổ 5"}}`, fee)
	r := e.portal().do("POST", "/api/v1/portal/dossiers/"+code+"/result", []byte(body), "res-"+code)
	if r.status != 201 {
		t.Fatalf("result %s: %d %s", code, r.status, r.body)
	}
	var ret map[string]string
	r.json(t, &ret)
	rn := ret["tracking_number"]
	backdate(t, e, rn)
	if st, _ := desk.postForm("/mot-cua/chuyen", url.Values{"numbers": {rn}, "courier": {courier}, "seal_" + rn: {"KQ-" + code[len(code)-2:]}}); st != 200 {
		t.Fatalf("desk release %s: %d", rn, st)
	}
	_, res := c.send(ev("handoff.confirmed", rn, map[string]any{"seal_intact": true}), ev("delivery.out", rn, map[string]any{}))
	wantStatuses(t, "courier takes "+rn, res, "accepted", "accepted")
	if failCause != "" {
		_, res = c.send(evAt("delivery.attempt_failed", rn, map[string]any{"cause": failCause, "action": "retry_same_day"}, failAt),
			ev("delivery.out", rn, map[string]any{}))
		wantStatuses(t, "failed attempt "+rn, res, "accepted", "accepted")
	}
	_, res = c.send(evAt("delivery.completed", rn, map[string]any{"proof": map[string]any{"method": "proxy", "proxy_name": "Hà Văn Nam", "authorisation": "GUQ-2026-01"},
		"signature_sha256": c.signature(rn), "fee_collected": collected, "seal_id": "KQ-" + code[len(code)-2:]}, at))
	wantStatuses(t, "delivered "+rn, res, "accepted")
	return rn
}

// section cuts the element that starts with marker out of a page, up to
// the end tag.
func section(t *testing.T, page, marker, end string) string {
	t.Helper()
	i := strings.Index(page, marker)
	if i < 0 {
		t.Fatalf("page has no %s", marker)
	}
	j := strings.Index(page[i:], end)
	if j < 0 {
		t.Fatalf("no %s after %s", end, marker)
	}
	return page[i : i+j]
}

// kpi reads the text of the first element marked data-kpi="key".
func kpi(t *testing.T, page, key string) string {
	t.Helper()
	m := regexp.MustCompile(`data-kpi="` + regexp.QuoteMeta(key) + `"[^>]*>([^<]*)<`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no figure %s", key)
	}
	return strings.TrimSpace(m[1])
}

// TestFeeReconciliation: two couriers deliver results with fees on one
// day; the office page shows each courier's total; a wrong count without a
// note is refused and writes nothing; the right count closes the day once,
// audited; a second confirmation is refused; a short count with a note is
// kept with its difference; the statement PDF is valid and shows the
// total; other offices, provinces and roles are refused.
func TestFeeReconciliation(t *testing.T) {
	e := startServer(t, nil)
	moneyFixture(t, e)
	desk := e.login("motcua")
	c1, c3 := e.courier("buuta1"), e.courier("buuta3")
	d := vnDay(-1)
	at := func(day time.Time, h, m int) time.Time {
		return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
	}
	a := returnLeg(t, e, desk, c1, "000.00.19.THU-1", "BUUTA1", 50000, 50000, "", time.Time{}, at(d, 9, 0))
	b := returnLeg(t, e, desk, c1, "000.00.19.THU-2", "BUUTA1", 100000, 100000, "not_home", at(d, 8, 0), at(d, 15, 30))
	c := returnLeg(t, e, desk, c3, "000.00.19.THU-3", "BUUTA3", 30000, 30000, "", time.Time{}, at(d, 10, 0))
	old := returnLeg(t, e, desk, c1, "000.00.19.THU-4", "BUUTA1", 20000, 20000, "", time.Time{}, at(d.AddDate(0, 0, -1), 16, 0))
	free := returnLeg(t, e, desk, c1, "000.00.19.THU-5", "BUUTA1", 0, 0, "", time.Time{}, at(d, 11, 0)) // no fee: not listed
	dISO := d.Format("2006-01-02")

	office := e.login("buucuc")
	// Reached from the counter page and the menu.
	if _, counter := office.get("/buu-cuc"); !strings.Contains(counter, `href="/nhan-vien/thu-ho"`) || !strings.Contains(counter, `href="/nhan-vien/chi-so"`) {
		t.Error("the counter page does not link the fee and indicator pages")
	}
	if _, home := desk.get("/nhan-vien"); !strings.Contains(home, `href="/nhan-vien/chi-so"`) || strings.Contains(home, `href="/nhan-vien/thu-ho"`) {
		t.Error("the desk's menu: indicators yes, fees no")
	}
	st, page := office.get("/nhan-vien/thu-ho")
	if st != 200 {
		t.Fatalf("fee page: %d", st)
	}
	s1 := section(t, page, `id="thu-ho-BUUTA1-`+dISO+`"`, "</section>")
	s3 := section(t, page, `id="thu-ho-BUUTA3-`+dISO+`"`, "</section>")
	sOld := section(t, page, `id="thu-ho-BUUTA1-`+d.AddDate(0, 0, -1).Format("2006-01-02")+`"`, "</section>")
	for _, want := range []string{`data-total="150000"`, "150.000 ₫", a, b, "50.000 ₫", "100.000 ₫", "Xác nhận đã nhận tiền", "Chưa nộp"} {
		if !strings.Contains(s1, want) {
			t.Errorf("BUUTA1's day lacks %q", want)
		}
	}
	if strings.Contains(s1, free) || strings.Contains(s1, old) || strings.Contains(s1, c) {
		t.Error("BUUTA1's day lists a delivery without a fee, of another day or of another courier")
	}
	if !strings.Contains(s3, `data-total="30000"`) || !strings.Contains(s3, "30.000 ₫") || !strings.Contains(s3, c) {
		t.Error("BUUTA3's day lacks its 30.000 ₫")
	}
	if !strings.Contains(sOld, `data-total="20000"`) {
		t.Error("the day before is not its own courier-day")
	}
	if got := section(t, page, `data-money="collected"`, "</dd>"); !strings.Contains(got, "200.000 ₫") {
		t.Errorf("total over the period: %s", got)
	}

	handovers := func() int { return e.count(`SELECT count(*) FROM cash_handovers`) }
	audits := func() int { return e.count(`SELECT count(*) FROM audit_log WHERE action = 'cash_handover'`) }
	receive := func(cl *staffClient, courier, day, amount, note string) (int, string) {
		return cl.postForm("/nhan-vien/thu-ho/xac-nhan", url.Values{"buu_ta": {courier}, "ngay": {day}, "so_tien": {amount}, "ghi_chu": {note}})
	}
	// A wrong amount without a note, and amounts that are not amounts:
	// refused with the reason next to the field, nothing written.
	for _, tc := range []struct{ amount, note, want string }{
		{"140.000", "", "ghi rõ lý do chênh lệch"},
		{"140.000", "   ", "ghi rõ lý do chênh lệch"},
		{"mười lăm", "", "chỉ gồm chữ số"},
		{"150,5", "", "không có phần lẻ"},
		{"", "", "Nhập số tiền đã đếm"},
	} {
		st, body := receive(office, "BUUTA1", dISO, tc.amount, tc.note)
		if st != 422 || !strings.Contains(body, tc.want) || !strings.Contains(body, `aria-invalid="true"`) {
			t.Errorf("amount %q note %q: %d, want 422 with %q", tc.amount, tc.note, st, tc.want)
		}
		if handovers() != 0 || audits() != 0 {
			t.Fatalf("a refused handover wrote a row")
		}
	}
	if st, _ := receive(office, "BUUTA1", vnDay(1).Format("2006-01-02"), "0", ""); st != 422 {
		t.Errorf("tomorrow's cash: %d", st)
	}
	// The right amount closes the day, once, audited.
	st, body := receive(office, "BUUTA1", dISO, "150.000", "")
	if st != 200 || !strings.Contains(body, "Đã xác nhận nhận 150.000 ₫ của bưu tá BUUTA1") {
		t.Fatalf("handover: %d", st)
	}
	s1 = section(t, body, `id="thu-ho-BUUTA1-`+dISO+`"`, "</section>")
	if !strings.Contains(s1, `data-counted="150000" data-difference="0"`) || !strings.Contains(s1, "Khớp") || strings.Contains(s1, "Xác nhận đã nhận tiền") {
		t.Error("the closed day does not show the cash received and no difference")
	}
	if n := e.count(`SELECT count(*) FROM cash_handovers h JOIN users u ON u.id = h.received_by
		WHERE h.courier_ref = 'BUUTA1' AND h.day = ?::date AND h.counted = 150000 AND h.expected = 150000 AND h.deliveries = 2
			AND u.username = 'buucuc' AND h.office_code = 'BC-05443' AND h.statement_code = ?`, dISO, "TH-BUUTA1-"+d.Format("20060102")); n != 1 {
		t.Fatalf("handover row: %d", n)
	}
	if e.count(`SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.user_id WHERE a.action = 'cash_handover' AND a.subject = ? AND u.username = 'buucuc' AND a.reason LIKE '%150.000%'`, "BUUTA1/"+dISO) != 1 {
		t.Error("handover not audited")
	}
	st, body = receive(office, "BUUTA1", dISO, "150.000", "")
	if st != 409 || !strings.Contains(body, "đã được xác nhận") || handovers() != 1 || audits() != 1 {
		t.Errorf("second handover: %d (rows %d)", st, handovers())
	}
	// The database refuses it too, and refuses edits.
	if err := e.db.ExecForTest(context.Background(), `INSERT INTO cash_handovers (courier_ref, office_code, day, deliveries, expected, counted, statement_code, received_by, received_at)
		SELECT courier_ref, office_code, day, deliveries, expected, counted, statement_code, received_by, now() FROM cash_handovers`); err == nil {
		t.Error("a second row for the courier-day was stored")
	}
	if err := e.db.ExecForTest(context.Background(), `UPDATE cash_handovers SET counted = 1`); err == nil {
		t.Error("a handover was edited")
	}
	// A short count with a note is kept, with its difference.
	st, body = receive(office, "BUUTA3", dISO, "25 000", "Bưu tá nộp thiếu 5.000 ₫, sẽ nộp bổ sung")
	if st != 200 {
		t.Fatalf("handover with a note: %d", st)
	}
	s3 = section(t, body, `id="thu-ho-BUUTA3-`+dISO+`"`, "</section>")
	if !strings.Contains(s3, `data-difference="-5000"`) || !strings.Contains(s3, "Thiếu 5.000 ₫") || !strings.Contains(s3, "sẽ nộp bổ sung") {
		t.Error("the short count does not show its difference and note")
	}
	// Two clerks confirming the same day at once: one wins, the other is
	// refused by the unique (courier, day).
	clerk2 := e.login("buucuc")
	prev := d.AddDate(0, 0, -1).Format("2006-01-02")
	codes := make(chan int, 2)
	for _, cl := range []*staffClient{office, clerk2} {
		go func(cl *staffClient) {
			st, _ := receive(cl, "BUUTA1", prev, "20.000", "")
			codes <- st
		}(cl)
	}
	if a, b := <-codes, <-codes; a+b != 200+409 || handovers() != 3 || audits() != 3 {
		t.Errorf("concurrent confirmations: %d and %d, %d rows", a, b, handovers())
	}
	// A day without fees has nothing to hand over.
	if st, _ := receive(office, "BUUTA3", d.AddDate(0, 0, -1).Format("2006-01-02"), "0", ""); st != 409 {
		t.Errorf("a day without fees: %d", st)
	}

	// The statement (the printing service's, linked from the day): a valid
	// PDF with the total.
	if !strings.Contains(s1, `href="/nhan-vien/in/bang-ke-thu-ho/BUUTA1/`+dISO+`"`) {
		t.Error("the day does not link its statement")
	}
	resp, pdf := getBytes(t, office, "/nhan-vien/in/bang-ke-thu-ho/BUUTA1/"+dISO)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" || !strings.Contains(resp.Header.Get("Content-Disposition"), "bang-ke-thu-ho-BUUTA1-"+dISO+".pdf") {
		t.Fatalf("statement: %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}
	text := checkPDF(t, pdf)
	for _, want := range []string{"BẢNG KÊ THU HỘ", "150.000 ₫", "TH-BUUTA1-" + d.Format("20060102"), "BƯU TÁ NỘP TIỀN", "ĐẠI DIỆN BƯU CỤC"} {
		if text != "" && !strings.Contains(text, want) {
			t.Errorf("statement text lacks %q", want)
		}
	}
	if text != "" && strings.Contains(text, "20.000 ₫") {
		t.Error("the statement lists another day's fee")
	}

	// Read-only for the province's dispatcher and for admins.
	for _, who := range []string{"dieuphoi", "quantri"} {
		cl := e.login(who)
		st, page := cl.get("/nhan-vien/thu-ho")
		if st != 200 || !strings.Contains(page, `id="thu-ho-BUUTA1-`+dISO+`"`) || strings.Contains(page, "/nhan-vien/thu-ho/xac-nhan") {
			t.Errorf("%s: fee page %d, or it offers the confirmation", who, st)
		}
		if st, _ := receive(cl, "BUUTA1", d.AddDate(0, 0, -2).Format("2006-01-02"), "20.000", ""); st != 403 {
			t.Errorf("%s confirmed cash: %d", who, st)
		}
		if resp, _ := getBytes(t, cl, "/nhan-vien/in/bang-ke-thu-ho/BUUTA1/"+dISO); resp.StatusCode != 200 {
			t.Errorf("%s statement: %d", who, resp.StatusCode)
		}
	}
	// Other offices, provinces and roles: refused, and nothing leaks.
	other, hn, hnDisp, deskc := e.login("buucuc2"), e.login("buucuchn"), e.login("dieuphoihn"), e.login("motcua")
	for _, tc := range []struct {
		who  *staffClient
		name string
		path string
	}{
		{other, "another office", "/nhan-vien/thu-ho?buu-cuc=BC-05443"},
		{other, "another office's statement", "/nhan-vien/in/bang-ke-thu-ho/BUUTA1/" + dISO},
		{hn, "an office in another province", "/nhan-vien/thu-ho?buu-cuc=BC-05443"},
		{hnDisp, "a dispatcher of another province", "/nhan-vien/thu-ho?buu-cuc=BC-05443"},
		{hnDisp, "a dispatcher of another province, statement", "/nhan-vien/in/bang-ke-thu-ho/BUUTA1/" + dISO},
		{deskc, "a desk", "/nhan-vien/thu-ho"},
	} {
		st, body := tc.who.get(tc.path)
		if st != 403 && st != 404 {
			t.Errorf("%s: %s = %d", tc.name, tc.path, st)
		}
		if strings.Contains(body, "150.000") {
			t.Errorf("%s sees the figures", tc.name)
		}
	}
	if st, _ := receive(other, "BUUTA1", d.AddDate(0, 0, -2).Format("2006-01-02"), "20.000", ""); st != 403 || handovers() != 3 {
		t.Errorf("another office confirmed BUUTA1's cash: %d", st)
	}
	// Their own pages hold nothing of BC-05443.
	for _, cl := range []*staffClient{other, hnDisp} {
		if st, page := cl.get("/nhan-vien/thu-ho"); st != 200 || strings.Contains(page, "BUUTA1") || strings.Contains(page, "150.000") {
			t.Errorf("own fee page %d shows another office's couriers", st)
		}
	}
	// Bad periods.
	for _, q := range []string{"?tu=2026-13-01", "?tu=2026-11-20&den=2026-11-19", "?tu=2026-01-01&den=2026-12-31"} {
		if st, body := office.get("/nhan-vien/thu-ho" + q); st != 422 || !strings.Contains(body, "error-summary") {
			t.Errorf("period %s: %d", q, st)
		}
	}
}

func getBytes(t *testing.T, s *staffClient, path string) (*http.Response, []byte) {
	t.Helper()
	resp, err := s.c.Get(s.base + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

// checkPDF runs qpdf --check and returns pdftotext's text ("" when the
// tools are missing outside CI).
func checkPDF(t *testing.T, pdf []byte) string {
	t.Helper()
	if !strings.HasPrefix(string(pdf), "%PDF-") {
		t.Fatalf("not a PDF: %.40q", pdf)
	}
	_, errQ := exec.LookPath("qpdf")
	_, errT := exec.LookPath("pdftotext")
	if errQ != nil || errT != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("qpdf and pdftotext are needed")
		}
		t.Log("qpdf or pdftotext missing: PDF checks skipped")
		return ""
	}
	f := filepath.Join(t.TempDir(), "statement.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("qpdf", "--check", f).CombinedOutput(); err != nil {
		t.Fatalf("qpdf --check: %v\n%s", err, out)
	}
	out, err := exec.Command("pdftotext", "-layout", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}

// kpiDay builds yesterday with known figures for office BC-05443's two
// couriers: five collections (two inside their window, one early, one
// late, one without a schedule), two failed collections, three deliveries
// (one failed attempt each for two of them; one late), one dispute, and
// custody periods of known length.
type kpiDay struct {
	d                      time.Time
	p1, p2, p3, p4, p5, p6 string
	r1, r2, r3             string
}

func buildKPIDay(t *testing.T, e *testEnv) kpiDay {
	t.Helper()
	ctx := context.Background()
	k := kpiDay{d: vnDay(-1)}
	at := func(h, m int) time.Time { return k.d.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	portal := e.portal()
	newPickup := func(code string) string {
		r := portal.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody(code)), "kpi-"+code)
		var created map[string]string
		r.json(t, &created)
		if r.status != 201 {
			t.Fatalf("pickup %s: %d %s", code, r.status, r.body)
		}
		backdate(t, e, created["tracking_number"])
		return created["tracking_number"]
	}
	disp, err := e.db.FindUserByUsername(ctx, "dieuphoi")
	if err != nil {
		t.Fatal(err)
	}
	schedule := func(n, courier string, from, to time.Time) {
		data, _ := json.Marshal(tracking.Scheduled{Courier: courier, Office: "BC-05443", Date: k.d.Format("2006-01-02"),
			WindowStart: from.Format(time.RFC3339), WindowEnd: to.Format(time.RFC3339)})
		_, _, err := e.sys.ledger.RecordByNumber(ctx, n, app.EventInput{Type: tracking.PickupScheduled, Actor: disp.Party(), Data: data,
			Schedule: &app.Schedule{Courier: courier, Office: "BC-05443", Date: k.d, WindowStart: from, WindowEnd: to}})
		if err != nil {
			t.Fatalf("schedule %s: %v", n, err)
		}
	}
	docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}}
	c1, c3 := e.courier("buuta1"), e.courier("buuta3")
	collected := func(c *courierClient, n, seal string, when time.Time) map[string]any {
		return evAt("pickup.collected", n, map[string]any{"documents": docs, "seal_id": seal, "proof": c.sigProof(n)}, when)
	}
	k.p1, k.p2, k.p3, k.p4, k.p5, k.p6 = newPickup("000.00.19.KPI-1"), newPickup("000.00.19.KPI-2"), newPickup("000.00.19.KPI-3"),
		newPickup("000.00.19.KPI-4"), newPickup("000.00.19.KPI-5"), newPickup("000.00.19.KPI-6")
	schedule(k.p1, "BUUTA1", at(8, 0), at(10, 0))
	schedule(k.p2, "BUUTA1", at(8, 0), at(10, 0))
	schedule(k.p3, "BUUTA1", at(14, 0), at(16, 0))
	schedule(k.p4, "BUUTA1", at(14, 0), at(16, 0))
	schedule(k.p5, "BUUTA3", at(8, 0), at(10, 0))
	e.assign("buuta3", k.p6) // planned without a window: collected "without a schedule"
	_, res := c1.send(collected(c1, k.p1, "NP-3001", at(9, 0)), collected(c1, k.p2, "NP-3002", at(10, 45)),
		evAt("pickup.attempt_failed", k.p3, map[string]any{"reason": "not_home"}, at(14, 30)), collected(c1, k.p3, "NP-3003", at(15, 30)),
		evAt("pickup.attempt_failed", k.p4, map[string]any{"reason": "documents_missing"}, at(15, 0)))
	wantStatuses(t, "BUUTA1's collections", res, "accepted", "accepted", "accepted", "accepted", "accepted")
	_, res = c3.send(collected(c3, k.p5, "NP-3005", at(7, 40)), collected(c3, k.p6, "NP-3006", at(11, 0)),
		evAt("handoff.released", k.p6, map[string]any{"to": "courier:BUUTA1"}, at(12, 0)))
	wantStatuses(t, "BUUTA3's collections", res, "accepted", "accepted", "accepted")
	// BUUTA1 finds the seal of BUUTA3's envelope broken: a dispute charged
	// to BUUTA3, who keeps the parcel.
	_, res = c1.send(evAt("handoff.disputed", k.p6, map[string]any{"problem": "seal_broken", "seal_intact": false}, at(12, 30)))
	wantStatuses(t, "dispute", res, "accepted")
	// P1 goes through the office to BUUTA3 for the run to the desk.
	_, res = c1.send(evAt("handoff.released", k.p1, map[string]any{"to": "post_office:BC-05443"}, at(11, 50)))
	wantStatuses(t, "release to the office", res, "accepted")
	office := e.login("buucuc")
	if st, page := office.postForm("/buu-cuc/nhan", url.Values{"so": {k.p1}, "seal": {"intact"}, "seal_id": {"NP-3001"}}); st != 200 || !strings.Contains(page, `data-scan="ok"`) {
		t.Fatalf("office scan: %d", st)
	}
	if st, _ := office.postForm("/buu-cuc/chuyen", url.Values{"numbers": {k.p1}, "courier": {"BUUTA3"}}); st != 200 {
		t.Fatalf("office run: %d", st)
	}
	_, res = c3.send(ev("handoff.confirmed", k.p1, map[string]any{"seal_intact": true}))
	wantStatuses(t, "run taken", res, "accepted")
	// Results delivered.
	desk := e.login("motcua")
	k.r1 = returnLeg(t, e, desk, c1, "000.00.19.KPI-R1", "BUUTA1", 0, 0, "wrong_address", at(9, 30), at(11, 0))
	k.r2 = returnLeg(t, e, desk, c1, "000.00.19.KPI-R2", "BUUTA1", 0, 0, "", time.Time{}, at(14, 0))
	k.r3 = returnLeg(t, e, desk, c3, "000.00.19.KPI-R3", "BUUTA3", 0, 0, "not_home", at(8, 0), at(16, 0))

	// Custody periods of known length (the server stamped them now).
	hold := func(n, kind, ref string, from, to time.Time) {
		t.Helper()
		q := `FROM custody c JOIN parcels p ON p.id = c.parcel_id WHERE p.tracking_number = ? AND c.holder_kind = ? AND c.holder_ref = ? AND c.to_at IS NOT NULL`
		if got := e.count(`SELECT count(*) `+q, n, kind, ref); got != 1 {
			t.Fatalf("%s: %d closed periods with %s %s", n, got, kind, ref)
		}
		if err := e.db.ExecForTest(ctx, `UPDATE custody SET from_at = ?, to_at = ? WHERE id = (SELECT c.id `+q+`)`, from, to, n, kind, ref); err != nil {
			t.Fatal(err)
		}
	}
	hold(k.r1, "desk", "TN-TTPVHCC", at(9, 30), at(10, 0))      // 30 min
	hold(k.r1, "courier", "BUUTA1", at(10, 0), at(11, 0))       // 1 h
	hold(k.r2, "desk", "TN-TTPVHCC", at(10, 30), at(12, 0))     // 90 min
	hold(k.r2, "courier", "BUUTA1", at(12, 0), at(14, 0))       // 2 h
	hold(k.r3, "desk", "TN-TTPVHCC", at(-15, 0), at(-14, 0))    // the day before: not counted
	hold(k.r3, "courier", "BUUTA3", at(-14, 0), at(16, 0))      // 30 h: delivered late
	hold(k.p1, "courier", "BUUTA1", at(8, 0), at(12, 0))        // 4 h
	hold(k.p1, "post_office", "BC-05443", at(12, 0), at(17, 0)) // 5 h
	if n := e.count(`SELECT count(*) FROM custody WHERE to_at >= ? AND to_at < ? AND holder_kind <> 'citizen'`, k.d, k.d.AddDate(0, 0, 1)); n != 7 {
		t.Fatalf("%d closed periods in the day, want 7", n)
	}
	return k
}

// TestKPIFigures checks the indicator page's figures exactly for a day
// built with known outcomes, in the office's, the desk's and the
// dispatcher's scope, and that nobody sees another scope.
func TestKPIFigures(t *testing.T) {
	e := startServer(t, nil)
	moneyFixture(t, e)
	k := buildKPIDay(t, e)
	q := "?tu=" + k.d.Format("2006-01-02") + "&den=" + k.d.Format("2006-01-02")

	office := e.login("buucuc")
	st, page := office.get("/nhan-vien/chi-so" + q)
	if st != 200 {
		t.Fatalf("office KPIs: %d", st)
	}
	want := map[string]string{
		"pickup-on-time":                  "2/4 (50%)",
		"pickup-in-window":                "2",
		"pickup-early":                    "1",
		"pickup-late":                     "1",
		"pickup-unscheduled":              "1",
		"pickup-total":                    "5",
		"pickup-failed":                   "2",
		"pickup-failed-not_home":          "1",
		"pickup-failed-documents_missing": "1",
		"delivery-on-time":                "2/3 (66,7%)",
		"delivery-total":                  "3",
		"delivery-late":                   "1",
		"delivery-failed":                 "2",
		"delivery-failed-wrong_address":   "1",
		"delivery-failed-not_home":        "1",
		"disputes":                        "1",
		"dispute-seal_broken":             "1",
		"hop-courier-n":                   "4",
		"hop-courier-median":              "3 giờ",
		"hop-courier-p90":                 "22 giờ 12 phút",
		"hop-post_office-n":               "1",
		"hop-post_office-median":          "5 giờ",
		"hop-post_office-p90":             "5 giờ",
	}
	check := func(who, page string, want map[string]string) {
		t.Helper()
		for key, v := range want {
			if got := kpi(t, page, key); got != v {
				t.Errorf("%s: %s = %q, want %q", who, key, got, v)
			}
		}
	}
	check("office", page, want)
	if strings.Contains(page, `data-hop="desk"`) {
		t.Error("the office sees the desk's holding times")
	}
	row := func(page, attr string) string { return section(t, page, attr, "</tr>") }
	check("office BUUTA1", row(page, `data-courier="BUUTA1"`), map[string]string{
		"pickups": "2/3 (66,7%)", "deliveries": "2/2 (100%)", "pickup-failed": "2", "delivery-failed": "1", "disputes": "0", "hold": "2 giờ / 3 giờ 36 phút"})
	check("office BUUTA3", row(page, `data-courier="BUUTA3"`), map[string]string{
		"pickups": "0/1 (0%)", "deliveries": "0/1 (0%)", "pickup-failed": "0", "delivery-failed": "1", "disputes": "1", "hold": "1 ngày 6 giờ / 1 ngày 6 giờ"})
	check("office row", row(page, `data-office="BC-05443"`), map[string]string{
		"pickups": "2/4 (50%)", "deliveries": "2/3 (66,7%)", "pickup-failed": "2", "delivery-failed": "2", "disputes": "1", "hold": "5 giờ / 5 giờ"})
	for _, label := range []string{tracking.FailNotHome.Label(), tracking.CauseWrongAddress.Label(), tracking.ProblemSealBroken.Label()} {
		if !strings.Contains(page, label) {
			t.Errorf("page lacks the label %q", label)
		}
	}

	// The desk and the province's dispatcher see the same day, with the
	// desk's holding times too.
	deskHop := map[string]string{"hop-desk-n": "2", "hop-desk-median": "1 giờ", "hop-desk-p90": "1 giờ 24 phút"}
	for _, who := range []string{"motcua", "dieuphoi"} {
		st, page := e.login(who).get("/nhan-vien/chi-so" + q)
		if st != 200 {
			t.Fatalf("%s: %d", who, st)
		}
		check(who, page, want)
		check(who, page, deskHop)
	}
	// Admins see everything, and may narrow to a province, then an office.
	admin := e.login("quantri")
	if st, page := admin.get("/nhan-vien/chi-so" + q); st != 200 || kpi(t, page, "scope") != "Toàn quốc" || strings.Contains(page, `value="buu-cuc:`) {
		t.Errorf("admin: %d", st)
	} else {
		check("admin", page, want)
		check("admin", page, deskHop)
	}
	if st, page := admin.get("/nhan-vien/chi-so" + q + "&pham-vi=tinh:19"); st != 200 || kpi(t, page, "scope") != "Tỉnh Thái Nguyên" ||
		!strings.Contains(page, `value="buu-cuc:BC-05443"`) || !strings.Contains(page, `value="tinh:19" selected`) {
		t.Errorf("admin, one province: %d", st)
	}
	if st, page := admin.get("/nhan-vien/chi-so" + q + "&tinh=01"); st != 200 || kpi(t, page, "pickup-total") != "0" {
		t.Errorf("admin, another province: %d", st)
	}
	if st, _ := admin.get("/nhan-vien/chi-so" + q + "&buu-cuc=BC-KHONG-CO"); st != 404 {
		t.Errorf("admin, an unknown office: %d", st)
	}
	// The dispatcher may narrow to an office or desk of the province.
	disp := e.login("dieuphoi")
	if st, page := disp.get("/nhan-vien/chi-so" + q + "&pham-vi=buu-cuc:BC-05443"); st != 200 || kpi(t, page, "scope") != "Bưu cục Phan Đình Phùng (BC-05443)" {
		t.Errorf("dispatcher, one office: %d", st)
	}
	if st, page := disp.get("/nhan-vien/chi-so" + q + "&mot-cua=TN-MC-05455"); st != 200 || kpi(t, page, "pickup-total") != "0" {
		t.Errorf("dispatcher, another desk of the province: %d", st)
	}
	// Another desk's, office's or province's own view holds none of it.
	for _, who := range []string{"motcuaxa", "buucuc2", "dieuphoihn", "buucuchn"} {
		st, page := e.login(who).get("/nhan-vien/chi-so" + q)
		if st != 200 || kpi(t, page, "pickup-total") != "0" || kpi(t, page, "disputes") != "0" || strings.Contains(page, "BUUTA1") {
			t.Errorf("%s sees figures outside its scope (%d)", who, st)
		}
	}
	// Asking for another scope is refused.
	for _, tc := range []struct{ who, query string }{
		{"motcuaxa", "&mot-cua=TN-TTPVHCC"},
		{"motcuaxa", "&buu-cuc=BC-05443"},
		{"motcua", "&tinh=19"},
		{"buucuc2", "&buu-cuc=BC-05443"},
		{"buucuc2", "&pham-vi=buu-cuc:BC-05443"},
		{"buucuc", "&mot-cua=TN-TTPVHCC"},
		{"dieuphoihn", "&tinh=19"},
		{"dieuphoihn", "&buu-cuc=BC-05443"},
		{"dieuphoihn", "&mot-cua=TN-TTPVHCC"},
		{"dieuphoi", "&buu-cuc=BC-00004"},
	} {
		st, body := e.login(tc.who).get("/nhan-vien/chi-so" + q + tc.query)
		if st != 403 && st != 404 {
			t.Errorf("%s asking %s: %d", tc.who, tc.query, st)
		}
		if strings.Contains(body, `data-kpi="pickup-total"`) {
			t.Errorf("%s asking %s got figures", tc.who, tc.query)
		}
	}
	// Couriers have no indicator page; visitors are sent to log in.
	if resp, _ := e.get("/nhan-vien/chi-so"); resp.Request.URL.Path != "/dang-nhap" {
		t.Errorf("visitor landed on %s", resp.Request.URL.Path)
	}
}

// TestKPIPeriods: the default period is the last seven days, 92 days is
// the most, and malformed or reversed periods get a clear error.
func TestKPIPeriods(t *testing.T) {
	e := startServer(t, nil)
	office := e.login("buucuc")
	today := vnDay(0)
	st, page := office.get("/nhan-vien/chi-so")
	if st != 200 || kpi(t, page, "period") != today.AddDate(0, 0, -6).Format("02/01/2006")+" – "+today.Format("02/01/2006") ||
		!strings.Contains(page, `value="`+today.AddDate(0, 0, -6).Format("2006-01-02")+`"`) {
		t.Errorf("default period: %d", st)
	}
	if st, _ := office.get("/nhan-vien/chi-so?tu=" + today.AddDate(0, 0, -91).Format("2006-01-02") + "&den=" + today.Format("2006-01-02")); st != 200 {
		t.Errorf("92 days: %d", st)
	}
	for _, tc := range []struct{ query, want string }{
		{"?tu=" + today.AddDate(0, 0, -92).Format("2006-01-02") + "&den=" + today.Format("2006-01-02"), "Chọn tối đa 92 ngày; khoảng đang chọn dài 93 ngày."},
		{"?tu=2026-11-20&den=2026-11-19", "Ngày kết thúc phải cùng ngày hoặc sau ngày bắt đầu (20/11/2026)."},
		{"?tu=2026-02-30", "Ngày “2026-02-30” không hợp lệ"},
		{"?den=h%C3%B4m+qua", "Ngày “hôm qua” không hợp lệ"},
		{"?tu=%3Cscript%3E", "Ngày “&lt;script&gt;” không hợp lệ"},
	} {
		st, body := office.get("/nhan-vien/chi-so" + tc.query)
		if st != 422 || !strings.Contains(body, tc.want) || !strings.Contains(body, "error-summary") || strings.Contains(body, `data-kpi="pickup-total"`) {
			t.Errorf("%s: %d, want 422 with %q", tc.query, st, tc.want)
		}
	}
}

// TestMoneyKPIInBrowser: the fee page and the indicator page at 360 px in
// Chromium with axe (no serious or critical violation), no sideways
// scroll, a refused and an accepted confirmation; screenshots in e2e/out.
func TestMoneyKPIInBrowser(t *testing.T) {
	e := startServer(t, nil)
	moneyFixture(t, e)
	k := buildKPIDay(t, e)
	desk := e.login("motcua")
	c1 := e.courier("buuta1")
	for i, fee := range []int64{50000, 100000} {
		returnLeg(t, e, desk, c1, fmt.Sprintf("000.00.19.TRINH-%d", i), "BUUTA1", fee, fee, "", time.Time{}, k.d.Add(time.Duration(9+i)*time.Hour))
	}
	e.browser("money_kpi", map[string]any{"username": "buucuc", "password": "mat-khau-buucuc", "courier": "BUUTA1",
		"day": k.d.Format("2006-01-02"), "total": "150.000 ₫"})
	if e.count(`SELECT count(*) FROM cash_handovers WHERE courier_ref = 'BUUTA1' AND counted = 150000`) != 1 {
		t.Error("the browser's confirmation was not recorded")
	}
}
