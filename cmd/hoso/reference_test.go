package main

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"sync"
	"testing"

	"hoso/internal/app"
)

// TestReferenceData: an admin keeps desks and post offices on their page:
// create, edit, deactivate and reactivate, import from CSV all or nothing
// with every bad line named; a deactivated desk takes no new dossier and
// gets no new account; nothing is deleted; every change is audited; other
// roles are refused.
func TestReferenceData(t *testing.T) {
	e := startServer(t, nil)
	admin := e.login("quantri")
	ctx := context.Background()

	if code, body := admin.get("/nhan-vien/danh-muc"); code != 200 || !strings.Contains(body, "TN-TTPVHCC") || !strings.Contains(body, "BC-05443") {
		t.Fatalf("list: %d", code)
	}
	if code, _ := e.login("dieuphoi").get("/nhan-vien/danh-muc"); code != 403 {
		t.Errorf("dispatcher on the reference page: %d, want 403", code)
	}

	// A bad desk: every field named, nothing written.
	before := e.count(`SELECT count(*) FROM desks`)
	code, _, body := admin.post("/nhan-vien/danh-muc/mot-cua", url.Values{"code": {"x"}, "name": {""}, "level": {"city"},
		"commune_code": {"99999"}, "phone": {"gọi tôi"}})
	low := strings.ToLower(body)
	if code != 422 || !strings.Contains(low, "không có xã, phường") || !strings.Contains(low, "cấp phải là") || !strings.Contains(low, "số điện thoại") {
		t.Errorf("bad desk: %d %s", code, tail(body, 400))
	}
	// Not UTF-8.
	code, _, _ = admin.post("/nhan-vien/danh-muc/mot-cua", url.Values{"code": {"TN-MC-05467"}, "name": {"B\xff\xfe"}, "level": {"commune"}, "commune_code": {"05467"}})
	if code != 422 {
		t.Errorf("name not UTF-8: %d, want 422", code)
	}
	if n := e.count(`SELECT count(*) FROM desks`); n != before {
		t.Fatalf("bad desks wrote %d rows", n-before)
	}

	// Twenty identical creations at once: one desk, the others told it exists.
	form := url.Values{"code": {"TN-MC-05467"}, "name": {"Bộ phận một cửa phường Gia Sàng"}, "level": {"commune"},
		"commune_code": {"05467"}, "address": {"Số 1 đường Gia Sàng"}, "hours": {"Thứ Hai–Thứ Sáu 7:30–17:00"}, "phone": {"0208 3855 123"}}
	var wg sync.WaitGroup
	codes := make([]int, 20)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i], _, _ = admin.post("/nhan-vien/danh-muc/mot-cua", url.Values(cloneValues(form)))
		}()
	}
	wg.Wait()
	created := 0
	for _, c := range codes {
		switch c {
		case 303:
			created++
		case 422:
		default:
			t.Errorf("parallel create: status %d", c)
		}
	}
	if created != 1 || e.count(`SELECT count(*) FROM desks WHERE code = 'TN-MC-05467'`) != 1 {
		t.Errorf("parallel creates: %d succeeded", created)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'reference.desk_created' AND subject = 'desk:TN-MC-05467'`); n != 1 {
		t.Errorf("audit rows of the creation: %d", n)
	}

	// Edit: hours and phone shown on the list.
	form.Set("hours", "Thứ Hai–Thứ Bảy 7:30–11:30")
	if code, _, body := admin.post("/nhan-vien/danh-muc/mot-cua/TN-MC-05467", form); code != 303 {
		t.Fatalf("edit: %d %s", code, tail(body, 300))
	}
	if _, body := admin.get("/nhan-vien/danh-muc"); !strings.Contains(body, "Thứ Hai–Thứ Bảy 7:30–11:30") {
		t.Error("edited hours not listed")
	}
	if code, body := admin.get("/nhan-vien/danh-muc/mot-cua/TN-MC-05467"); code != 200 || !strings.Contains(body, "0208 3855 123") {
		t.Errorf("edit form: %d", code)
	}

	// Deactivate: no longer offered to portals, refused for a new dossier
	// and a new account; the row stays.
	if code, _, _ := admin.post("/nhan-vien/danh-muc/mot-cua/TN-TTPVHCC/trang-thai", url.Values{"active": {"0"}}); code != 303 {
		t.Fatalf("deactivate: %d", code)
	}
	r := e.portal().do("GET", "/api/v1/portal/desks", nil, "")
	if r.status != 200 || strings.Contains(string(r.body), "TN-TTPVHCC") || !strings.Contains(string(r.body), "TN-MC-05467") {
		t.Errorf("portal desks after deactivation: %d %s", r.status, r.body)
	}
	r = e.portal().do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.REF-1")), "ref-1")
	if r.status != 422 || !strings.Contains(string(r.body), "ngừng nhận") {
		t.Errorf("pickup to a deactivated desk: %d %s", r.status, r.body)
	}
	if _, err := e.sys.auth.CreateUser(ctx, app.NewUser{Username: "motcua9", Password: "mat-khau-motcua9", Role: app.RoleDesk, DeskCode: "TN-TTPVHCC"}); err == nil {
		t.Error("an account was made for a deactivated desk")
	}
	if code, _, _ := admin.post("/nhan-vien/danh-muc/mot-cua/TN-TTPVHCC/trang-thai", url.Values{"active": {"1"}}); code != 303 {
		t.Fatalf("reactivate: %d", code)
	}
	if r := e.portal().do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.REF-2")), "ref-2"); r.status != 201 {
		t.Errorf("pickup after reactivation: %d %s", r.status, r.body)
	}
	if err := e.db.ExecForTest(ctx, `DELETE FROM desks WHERE code = 'TN-MC-05467'`); err == nil {
		t.Error("a desk was deleted")
	}

	// CSV import: every bad line named, nothing imported; then a good one.
	bad := "code,name,level,commune_code,address,hours,phone\n" +
		"TN-MC-01840,Một cửa Tân Thịnh,commune,01840,,,\n" +
		"TN-MC-01840,Trùng mã,commune,01840,,,\n" +
		"HN-MC-1,Ngoài tỉnh?,commune,99999,,,\n" +
		"TN-X,Sai cấp,huyen,05443,,,\n"
	code, _, body = admin.post("/nhan-vien/danh-muc/mot-cua/nhap", url.Values{"csv": {bad}})
	for _, want := range []string{"Dòng 3", "đã có ở dòng 2", "Dòng 4", "Dòng 5"} {
		if !strings.Contains(body, want) {
			t.Errorf("bad import: %q missing (status %d)", want, code)
		}
	}
	if code != 422 || e.count(`SELECT count(*) FROM desks WHERE code = 'TN-MC-01840'`) != 0 {
		t.Errorf("bad import wrote something: %d", code)
	}
	good := "\ufeffcode,name,level,commune_code,address,hours,phone\nTN-MC-01840,Bộ phận một cửa phường Tân Thịnh,commune,01840,\"Tổ 5, phường Tân Thịnh\",7:30–17:00,0208 3000 111\nTN-MC-05455,Bộ phận một cửa phường Quyết Thắng,commune,05455,,,\n"
	if code, loc, _ := admin.post("/nhan-vien/danh-muc/mot-cua/nhap", url.Values{"csv": {good}}); code != 303 {
		t.Errorf("good import: %d %s", code, loc)
	} else if _, body := admin.get(loc); !strings.Contains(body, "1 tạo mới, 1 cập nhật") {
		t.Errorf("import banner missing")
	}

	// The command line does the same, also audited.
	var out, errOut bytes.Buffer
	env := envFunc(map[string]string{"HOSO_DATABASE_URL": e.url})
	f := t.TempDir() + "/desks.csv"
	if err := writeFile(f, "code,name,level,commune_code\nTN-MC-01843,Bộ phận một cửa phường Hoàng Văn Thụ,commune,01843\nTN-MC-X,,commune,01843\n"); err != nil {
		t.Fatal(err)
	}
	if err := run(ctx, []string{"import", "desks", f}, env, &out, &errOut); err == nil || !strings.Contains(errOut.String(), "line 3") {
		t.Errorf("hoso import desks with a bad line: %v %s", err, errOut.String())
	}
	if err := writeFile(f, "code,name,level,commune_code\nTN-MC-01843,Bộ phận một cửa phường Hoàng Văn Thụ,commune,01843\n"); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := run(ctx, []string{"import", "desks", f}, env, &out, &errOut); err != nil || !strings.Contains(out.String(), "desks: 1 created") {
		t.Errorf("hoso import desks: %v %s %s", err, out.String(), errOut.String())
	}

	// Offices: create, edit, deactivate (no new account), import.
	of := url.Values{"code": {"BC-01840"}, "name": {"Bưu cục Tân Thịnh"}, "commune_code": {"01840"}, "lat": {"21,585"}, "lng": {"105.82"}}
	if code, _, body := admin.post("/nhan-vien/danh-muc/buu-cuc", of); code != 303 {
		t.Fatalf("create office: %d %s", code, tail(body, 300))
	}
	of.Set("lat", "48.85")
	if code, _, body := admin.post("/nhan-vien/danh-muc/buu-cuc/BC-01840", of); code != 422 || !strings.Contains(body, "không nằm ở Việt Nam") {
		t.Errorf("office moved to Paris: %d", code)
	}
	if code, _, _ := admin.post("/nhan-vien/danh-muc/buu-cuc/BC-01840/trang-thai", url.Values{"active": {"0"}}); code != 303 {
		t.Fatalf("deactivate office: %d", code)
	}
	if _, err := e.sys.auth.CreateUser(ctx, app.NewUser{Username: "buuta9", Password: "mat-khau-buuta9", Role: app.RoleCourier, OfficeCode: "BC-01840"}); err == nil {
		t.Error("an account was made for a deactivated office")
	}
	if code, _, _ := admin.post("/nhan-vien/danh-muc/buu-cuc/nhap", url.Values{"csv": {"code,name,commune_code,lat,lng\nBC-01843,Bưu cục Hoàng Văn Thụ,01843,21.59,105.84\n"}}); code != 303 {
		t.Errorf("office import: %d", code)
	}
	for action, want := range map[string]int{"reference.desk_updated": 1, "reference.desk_deactivated": 1, "reference.desk_reactivated": 1,
		"reference.desks_imported": 2, "reference.office_created": 1, "reference.office_deactivated": 1, "reference.offices_imported": 1} {
		if n := e.count(`SELECT count(*) FROM audit_log WHERE action = ?`, action); n != want {
			t.Errorf("audit %s: %d rows, want %d", action, n, want)
		}
	}
	// The audit log only grows.
	if err := e.db.ExecForTest(ctx, `UPDATE audit_log SET reason = 'x'`); err == nil {
		t.Error("audit_log was updated")
	}
	if err := e.db.ExecForTest(ctx, `DELETE FROM audit_log`); err == nil {
		t.Error("audit_log rows were deleted")
	}
}

func cloneValues(v url.Values) map[string][]string {
	out := make(map[string][]string, len(v))
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// TestGoLivePagesInBrowser drives the reference data, account and audit
// pages in Chromium at 360 px and 1280 px: errors named, saves confirmed,
// axe clean, no sideways scroll (screenshots in e2e/out/golive-*).
func TestGoLivePagesInBrowser(t *testing.T) {
	e := startServer(t, nil)
	u, err := e.db.FindUserByUsername(context.Background(), "buuta1")
	if err != nil {
		t.Fatal(err)
	}
	r := e.portal().do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.GOLIVE-B")), "golive-b")
	if r.status != 201 {
		t.Fatalf("pickup: %d %s", r.status, r.body)
	}
	var created map[string]string
	r.json(t, &created)
	out := e.browser("golive", map[string]any{"admin": map[string]string{"username": "quantri", "password": "mat-khau-quantri"}, "courierID": u.ID,
		"number": created["tracking_number"]})
	if !strings.Contains(string(out), "temp360") || e.count(`SELECT count(*) FROM users WHERE username IN ('buuta360', 'buuta1280') AND must_change_password`) != 2 {
		t.Errorf("browser run: %s", out)
	}
	if e.count(`SELECT count(*) FROM desks WHERE code IN ('TN-MC-360', 'TN-MC-1280')`) != 2 {
		t.Error("desks not saved from the browser")
	}
}
