package main

import (
	"net/url"
	"strings"
	"testing"
)

// TestStaffParcelView: a dispatcher finds a parcel by tracking number,
// dossier code, phone (keyed hash) or the last CCCD digits and opens its
// record: the chain of events, the documents, the phone, full name and
// address masked until a reason is given (audited); another desk finds nothing and gets 404; a
// courier is refused.
func TestStaffParcelView(t *testing.T) {
	e := startServer(t, nil)
	r := e.portal().do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.XEM-1")), "xem-1")
	if r.status != 201 {
		t.Fatalf("pickup: %d %s", r.status, r.body)
	}
	var created map[string]string
	r.json(t, &created)
	number := created["tracking_number"]
	disp := e.login("dieuphoi")
	for _, q := range []string{number, strings.ToLower(number), "000.00.19.XEM-1", "0912 345 678", "+84912345678", "234"} {
		resp, err := disp.noRedirect().Get(e.base + "/nhan-vien/buu-gui?q=" + url.QueryEscape(q))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 303 || resp.Header.Get("Location") != "/nhan-vien/buu-gui/"+number {
			t.Errorf("search %q: %d %s", q, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if code, body := disp.get("/nhan-vien/buu-gui?q=" + url.QueryEscape("B\xff\xfe")); code != 200 || !strings.Contains(body, "Không tìm thấy") {
		t.Errorf("not UTF-8: %d", code)
	}
	code, body := disp.get("/nhan-vien/buu-gui/" + number)
	if code != 200 || !strings.Contains(body, "pickup.requested") || !strings.Contains(body, "Tờ khai đăng ký kết hôn") || !strings.Contains(body, "…678") {
		t.Fatalf("record: %d %s", code, tail(body, 400))
	}
	if strings.Contains(body, "0912345678") || strings.Contains(body, "019090001234") || strings.Contains(body, "Nguyễn Văn A") || strings.Contains(body, "Số 12, tổ 3") {
		t.Error("personal data unmasked before a reveal")
	}
	if code, _, _ := disp.post("/nhan-vien/buu-gui/"+number+"/xem-so", url.Values{"reason": {""}}); code != 422 {
		t.Errorf("reveal without a reason: %d", code)
	}
	code, _, body = disp.post("/nhan-vien/buu-gui/"+number+"/xem-so", url.Values{"reason": {"Người dân gọi hỏi lịch hẹn"}})
	if code != 200 || !strings.Contains(body, "0912345678") || !strings.Contains(body, "Nguyễn Văn A") || !strings.Contains(body, "Số 12, tổ 3") {
		t.Errorf("reveal: %d", code)
	}
	if e.count(`SELECT count(*) FROM audit_log WHERE action = 'reveal_contact' AND subject = ? AND reason = 'Người dân gọi hỏi lịch hẹn'`, number) != 1 {
		t.Error("the name and address shown are not audited")
	}
	if e.count(`SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.user_id WHERE u.username = 'dieuphoi' AND a.action = 'reveal_phone'
		AND a.subject = ? AND a.reason = 'Người dân gọi hỏi lịch hẹn'`, number) != 1 {
		t.Error("the reveal is not audited with its reason")
	}

	other := e.login("motcuaxa")
	if _, body := other.get("/nhan-vien/buu-gui?q=0912345678"); !strings.Contains(body, "Không tìm thấy") {
		t.Error("another desk finds the parcel by phone")
	}
	if code, _ := other.get("/nhan-vien/buu-gui/" + number); code != 404 {
		t.Errorf("another desk opens the record: %d", code)
	}
	if code, _, _ := other.post("/nhan-vien/buu-gui/"+number+"/xem-so", url.Values{"reason": {"tò mò muốn biết"}}); code != 404 {
		t.Errorf("another desk reveals: %d", code)
	}
	if code, _ := e.login("buuta1").get("/nhan-vien/buu-gui"); code != 403 {
		t.Errorf("courier: %d", code)
	}
	if code, _ := e.login("motcua").get("/nhan-vien/buu-gui/" + number); code != 200 {
		t.Errorf("the parcel's own desk: %d", code)
	}
}
