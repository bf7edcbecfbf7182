package main

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"hoso/internal/app"
)

// keptFormCookie is the client's sealed kept-form cookie (forms.go), or
// nil.
func (s *staffClient) keptFormCookie(t *testing.T) *http.Cookie {
	t.Helper()
	u, _ := url.Parse(s.base)
	for _, ck := range s.c.Jar.Cookies(u) {
		if strings.HasSuffix(ck.Name, "_mau") && ck.Value != "" {
			return ck
		}
	}
	return nil
}

// stealKeptForm puts from's kept-form cookie into to's jar.
func stealKeptForm(t *testing.T, from, to *staffClient) {
	t.Helper()
	ck := from.keptFormCookie(t)
	if ck == nil {
		t.Fatal("no kept-form cookie to steal")
	}
	u, _ := url.Parse(to.base)
	to.c.Jar.SetCookies(u, []*http.Cookie{{Name: ck.Name, Value: ck.Value, Path: "/"}})
}

// TestDispatchFormsPostRedirectGet: the dispatcher's zone, cell, shift and
// absence forms answer a refused POST with 303 to their page, which shows
// what was typed and the message beside its field, once: Back (the same
// GET again) shows the page clean and submits nothing. Bytes that are not
// text are refused the same way; a form too long for a cookie is answered
// with the page itself (422), nothing typed lost. The kept form is bound to the session and
// to the office: another dispatcher of the province given the cookie, and
// the same dispatcher on another office's page, see none of it.
func TestDispatchFormsPostRedirectGet(t *testing.T) {
	e := startServer(t, nil)
	e.addUser(app.NewUser{Username: "dieuphoi2", Role: app.RoleDispatcher, OfficeCode: "BC-05488"})
	s, other := e.login("dieuphoi"), e.login("dieuphoi2")
	base := "/nhan-vien/dieu-phoi"
	zones := base + "/vung?bc=BC-05488"
	if code, loc, _ := s.post(base+"/vung/phu", url.Values{"bc": {"BC-05443"}, "xa": {"05443"}, "cach_phu": {"center"}}); code != 303 || !strings.Contains(loc, "tb=vung") {
		t.Fatalf("cover: %d %q", code, loc)
	}
	cells := e.count(`SELECT count(*) FROM zone_cells`)

	// 1. An overlapping cover: 303, then the form as typed with the
	// message beside the communes.
	before := e.tableCounts()
	for i := 0; i < 2; i++ { // a double click
		code, loc, _ := s.post(base+"/vung/phu", url.Values{"bc": {"BC-05488"}, "xa": {"05443"}, "cach_phu": {"full"}, "thay_the": {"1"}})
		if code != 303 || loc != zones {
			t.Fatalf("refused cover: %d %q, want 303 to %s", code, loc, zones)
		}
	}
	e.sameRows(t, "refused cover", before)
	if ck := s.keptFormCookie(t); ck == nil || strings.Contains(ck.Value, "05443") {
		t.Fatal("the kept form is missing or readable in its cookie")
	}
	code, body := s.get(zones)
	if code != 200 {
		t.Fatalf("zones page after the redirect: %d", code)
	}
	for _, want := range []string{`value="05443" checked`, `value="full" checked`, `name="thay_the" value="1" checked`,
		"chồng lên vùng của bưu cục BC-05443", `class="field__error"`, `href="#xa-dau-tien">Xã, phường: `} {
		if !strings.Contains(body, want) {
			t.Errorf("the zones page after a refused cover lacks %q", want)
		}
	}
	if _, body = s.get(zones); strings.Contains(body, "error-summary") || strings.Contains(body, `value="full" checked`) {
		t.Error("Back showed the refused cover again")
	}

	// 2. Bad cells, then bytes that are not text: the message beside the
	// cells box, what was text kept in it.
	for _, tc := range []struct{ add, want, kept string }{
		{"xyz, 8a65b5fffffffff", `href="#o-them">Thêm ô: “xyz” không phải mã ô H3`, "xyz, 8a65b5fffffffff"},
		{"8a\xff\xfe", "không phải mã ô H3", ""},
	} {
		code, loc, _ := s.post(base+"/vung/o", url.Values{"bc": {"BC-05488"}, "them": {tc.add}})
		if code != 303 || loc != zones {
			t.Errorf("bad cells %q: %d %q", tc.add, code, loc)
			continue
		}
		_, body = s.get(zones)
		if !strings.Contains(body, tc.want) || !strings.Contains(body, `class="input--code">`+tc.kept+`</textarea>`) {
			t.Errorf("bad cells %q: the page lacks the message or the text: %s", tc.add, snippet(body, "error-summary"))
		}
	}
	// Too much typed for a cookie: the page itself answers the POST (422)
	// with everything typed, nothing lost.
	long := strings.TrimSpace(strings.Repeat("xyz ", 300))
	if code, _, body := s.post(base+"/vung/o", url.Values{"bc": {"BC-05488"}, "them": {long}}); code != 422 ||
		!strings.Contains(body, "“xyz” không phải mã ô H3") || !strings.Contains(body, `class="input--code">`+long+`</textarea>`) {
		t.Errorf("a form too long for a cookie: %d %s", code, snippet(body, "error-summary"))
	}
	if n := e.count(`SELECT count(*) FROM zone_cells`); n != cells {
		t.Errorf("refused forms changed zone_cells: %d → %d", cells, n)
	}

	// 3. Another dispatcher of the province given the cookie, the same
	// dispatcher on another office's page: nothing kept shows.
	s.post(base+"/vung/phu", url.Values{"bc": {"BC-05488"}, "xa": {"05443"}, "cach_phu": {"full"}})
	stealKeptForm(t, s, other)
	if _, body = other.get(zones); strings.Contains(body, "error-summary") || strings.Contains(body, `value="full" checked`) {
		t.Error("another dispatcher opened the kept form")
	}
	if _, body = s.get(base + "/vung?bc=BC-05443"); strings.Contains(body, "error-summary") || strings.Contains(body, `value="full" checked`) {
		t.Error("another office's zones page showed the kept form")
	}

	// 4. Shifts: zero capacity, and a start place with bytes that are not
	// text; each back on the week shown with the values and the messages.
	day := requestDay(t)
	shift := url.Values{"bc": {"BC-05443"}, "xem": {day.String()}, "buu_ta": {"BUUTA1"}, "ngay": {day.String()}, "so_ngay": {"1"}, "bat_dau": {"07:30"},
		"ket_thuc": {"17:30"}, "suc_cho": {"0"}, "diem_toi_da": {"0"}, "phuong_tien": {"motorbike"}, "noi_ve": {"21.59, 105.84"}}
	shifts := base + "/ca?bc=BC-05443&ngay=" + day.String()
	code, loc, _ := s.post(base+"/ca", shift)
	if code != 303 || loc != shifts {
		t.Fatalf("refused shift: %d %q, want 303 to %s", code, loc, shifts)
	}
	_, body = s.get(loc)
	for _, want := range []string{"sức chở 0", `name="suc_cho" type="number" min="1" max="500" inputmode="numeric" value="0"`,
		`value="21.59, 105.84"`, `<option value="BUUTA1" selected`, `href="#ca-suc-cho"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the shifts page after a refused shift lacks %q", want)
		}
	}
	if _, body = s.get(loc); strings.Contains(body, "error-summary") || strings.Contains(body, `value="21.59, 105.84"`) {
		t.Error("Back showed the refused shift again")
	}
	shift.Set("suc_cho", "20")
	shift.Set("noi_di", "21.5\xff, 105.8")
	if code, loc, _ = s.post(base+"/ca", shift); code != 303 || loc != shifts {
		t.Fatalf("start place not text: %d %q", code, loc)
	}
	if _, body = s.get(loc); !strings.Contains(body, "Nơi xuất phát cần dạng") || !strings.Contains(body, `name="noi_di" type="text" inputmode="decimal" value=""`) {
		t.Errorf("start place not text: %s", snippet(body, "error-summary"))
	}
	// The absence form: no courier chosen, the reason kept.
	if code, loc, _ = s.post(base+"/vang", url.Values{"bc": {"BC-05443"}, "xem": {day.String()}, "ngay": {day.String()}, "ca_ngay": {"1"}, "ly_do": {"Đi khám bệnh"}}); code != 303 || loc != shifts {
		t.Fatalf("refused absence: %d %q", code, loc)
	}
	_, body = s.get(loc)
	if !strings.Contains(body, "Chọn bưu tá") || !strings.Contains(body, `value="Đi khám bệnh"`) || !strings.Contains(body, `href="#vang-buu-ta"`) {
		t.Errorf("the absence form after the redirect: %s", snippet(body, "error-summary"))
	}
	if n := e.count(`SELECT count(*) FROM courier_shifts`) + e.count(`SELECT count(*) FROM courier_absences`); n != 0 {
		t.Errorf("refused shift forms stored %d rows", n)
	}
	// The kept shift form in another dispatcher's hands.
	s.post(base+"/ca", url.Values{"bc": {"BC-05443"}, "buu_ta": {"BUUTA1"}, "suc_cho": {"0"}, "noi_ve": {"21.59, 105.84"}})
	stealKeptForm(t, s, other)
	if _, body = other.get(base + "/ca?bc=BC-05443"); strings.Contains(body, "error-summary") || strings.Contains(body, "21.59, 105.84") {
		t.Error("another dispatcher opened the kept shift form")
	}
	// A good shift: 303 with the banner, stored once.
	shift.Del("noi_di")
	if code, loc, _ = s.post(base+"/ca", shift); code != 303 || !strings.Contains(loc, "tb=ca") {
		t.Fatalf("good shift: %d %q", code, loc)
	}
	if n := e.count(`SELECT count(*) FROM courier_shifts`); n != 1 {
		t.Errorf("%d shifts stored, want 1", n)
	}
}

// TestCounterScanPostRedirectGet: a refused scan at the post office's
// counter (the seal not stated, a code that is not a tracking number, bytes
// that are not text) and a refused count at the desk answer 303 to their
// page, which shows what was typed and the message, once; nothing is
// written. The kept scan opens for nobody else: not another office's
// clerk given the cookie, not another parcel's count form.
func TestCounterScanPostRedirectGet(t *testing.T) {
	e := startServer(t, nil)
	e.addUser(app.NewUser{Username: "daiphuc", Role: app.RoleOffice, OfficeCode: "BC-05488"})
	office, other, desk := e.login("buucuc"), e.login("daiphuc"), e.login("motcua")
	n := e.counterParcels(t, "post_office:BC-05443", "PRG-SCAN-1")[0]
	atDesk := e.counterParcels(t, "desk:TN-TTPVHCC", "PRG-SCAN-2", "PRG-SCAN-3")

	before := e.tableCounts()
	code, loc, _ := office.noFollow("/buu-cuc/nhan", url.Values{"so": {n}, "seal": {"intact"}, "note": {"Bì hơi ướt"}})
	if code != 303 || loc != "/buu-cuc" {
		t.Fatalf("seal id missing: %d %q, want 303 to the counter page", code, loc)
	}
	_, body := office.get(loc)
	for _, want := range []string{`value="` + n + `"`, `value="intact" required checked`, "quét hoặc gõ mã niêm phong", `href="#seal_id"`, `class="field__error"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the counter page after a refused scan lacks %q", want)
		}
	}
	if _, body = office.get(loc); strings.Contains(body, "error-summary") || strings.Contains(body, `value="`+n+`"`) {
		t.Error("Back showed the refused scan again")
	}
	// Not a tracking number, then not text: the scan's answer comes back.
	for _, so := range []string{"khong-phai-so", "EA\xff\xfe"} {
		if code, loc, _ = office.noFollow("/buu-cuc/nhan", url.Values{"so": {so}, "seal": {"intact"}, "seal_id": {"NP-1"}}); code != 303 || loc != "/buu-cuc" {
			t.Errorf("scan %q: %d %q", so, code, loc)
			continue
		}
		if _, body = office.get(loc); !strings.Contains(body, `data-scan="unexpected"`) || !strings.Contains(body, "không phải số hiệu bưu gửi hợp lệ") {
			t.Errorf("scan %q: no answer on the page", so)
		}
	}
	e.sameRows(t, "refused scans", before)

	// Another office's clerk given the cookie sees nothing of it.
	office.noFollow("/buu-cuc/nhan", url.Values{"so": {n}, "seal": {"intact"}})
	stealKeptForm(t, office, other)
	if _, body = other.get("/buu-cuc"); strings.Contains(body, n) || strings.Contains(body, "error-summary") {
		t.Error("another office's clerk opened the kept scan")
	}
	office.get("/buu-cuc") // clears it

	// The desk's count: a count that is not a number comes back on the
	// parcel's count form with the counts typed; not on another parcel's.
	n2, n3 := atDesk[0], atDesk[1]
	before = e.tableCounts()
	bad := url.Values{"so": {n2}, "dem": {"1"}, "seal": {"intact"}, "seal_id": {"NP-PRG-SCAN-2"}, "count_1": {"1"}, "count_2": {"một"}, "count_3": {"2"}}
	code, loc, _ = desk.noFollow("/mot-cua/nhan", bad)
	if code != 303 || loc != "/mot-cua/kiem-dem/"+n2 {
		t.Fatalf("refused count: %d %q, want 303 to the count form", code, loc)
	}
	e.sameRows(t, "refused count", before)
	if _, body = desk.get("/mot-cua/kiem-dem/" + n3); strings.Contains(body, "error-summary") || strings.Contains(body, `value="một"`) {
		t.Error("another parcel's count form showed the kept count")
	}
	desk.noFollow("/mot-cua/nhan", bad)
	_, body = desk.get(loc)
	if !strings.Contains(body, "error-summary") || !strings.Contains(body, `value="một"`) || !strings.Contains(body, `value="NP-PRG-SCAN-2"`) {
		t.Errorf("the count form after a refused count: %s", snippet(body, "error-summary"))
	}
	if _, body = desk.get(loc); strings.Contains(body, "error-summary") {
		t.Error("Back showed the refused count again")
	}
	// The right count records the receipt once.
	bad.Set("count_2", "1")
	if _, page := desk.postForm("/mot-cua/nhan", bad); !strings.Contains(page, `data-scan="ok"`) {
		t.Fatal("the right count was not recorded")
	}
}
