package securityprobe_test

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestProbeLostPhone: a post office revokes its courier's lost phone in one
// audited action (sessions, app tokens, device keys); it cannot act on
// another office's courier, a desk cannot act at all; device keys are
// revoked, never deleted.
func TestProbeLostPhone(t *testing.T) {
	w := newWorld(t, worldOpts{env: map[string]string{"HOSO_LOGIN_RATE_PER_MIN": "1000"}})
	app := w.courier(110, "buuta1")
	page := w.staff(111, "buuta1")
	office := w.staff(112, "buucuc")
	list := office.get("/nhan-vien/tai-khoan")
	if list.status != 200 || !strings.Contains(list.body, "buuta1") || !strings.Contains(list.body, "buuta3") {
		t.Fatalf("the office's account list: %d", list.status)
	}
	for _, other := range []string{"buuta2", "quantri", "motcua", "buucuc2"} {
		if strings.Contains(list.body, ">"+other+"<") {
			t.Errorf("the office's list shows %s, not its courier", other)
		}
	}
	b1, b2 := strconv.FormatInt(w.userID("buuta1"), 10), strconv.FormatInt(w.userID("buuta2"), 10)
	if r := office.form("/nhan-vien/tai-khoan", "/nhan-vien/tai-khoan/"+b2+"/mat-dien-thoai", nil); r.status != 404 {
		t.Errorf("an office revoking another office's courier: %d, want 404", r.status)
	}
	desk := w.staff(113, "motcua")
	if r := desk.form("/nhan-vien", "/nhan-vien/tai-khoan/"+b1+"/mat-dien-thoai", nil); r.status != 403 {
		t.Errorf("a desk revoking a courier: %d, want 403", r.status)
	}
	keys := w.count(`SELECT count(*) FROM device_keys`)
	if r := office.form("/nhan-vien/tai-khoan", "/nhan-vien/tai-khoan/"+b1+"/mat-dien-thoai", nil); r.status != 303 {
		t.Fatalf("lost phone: %d %.300s", r.status, r.body)
	}
	if r := app.c.get("/api/v1/courier/route", app.auth()); r.status != 401 {
		t.Errorf("the lost phone's token after revocation: %d, want 401", r.status)
	}
	if r := page.get("/nhan-vien"); r.status != 303 || !strings.HasPrefix(r.location(), "/dang-nhap") {
		t.Errorf("the courier's page session after revocation: %d %q", r.status, r.location())
	}
	if w.count(`SELECT count(*) FROM device_keys`) != keys || w.count(`SELECT count(*) FROM device_keys k JOIN users u ON u.id = k.user_id
		WHERE u.username = 'buuta1' AND k.revoked_at IS NULL`) != 0 {
		t.Error("device keys not revoked, or deleted")
	}
	if w.count(`SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.user_id WHERE u.username = 'buucuc'
		AND a.action = 'account.devices_revoked' AND a.subject = 'user:buuta1'`) != 1 {
		t.Error("the revocation is not audited with its author")
	}
	// The courier signs in on a new phone.
	if fresh := w.courier(114, "buuta1"); fresh.c.get("/api/v1/courier/route", fresh.auth()).status != 200 {
		t.Error("the courier cannot sign in again on a new phone")
	}
}

// TestProbeAccountLifecycle: deactivation, a reset to a temporary password
// that only opens the password page, a password change that ends the other
// sessions and the app token, sign-out everywhere.
func TestProbeAccountLifecycle(t *testing.T) {
	w := newWorld(t, worldOpts{env: map[string]string{"HOSO_LOGIN_RATE_PER_MIN": "1000"}})
	admin := w.staff(120, "quantri")
	id := strconv.FormatInt(w.userID("buuta3"), 10)
	wrong := w.client(121, false).login("khong-co-ai", "x")

	// Deactivated: refused like a wrong password; reactivated: back.
	old := w.staff(122, "buuta3")
	if r := admin.form("/nhan-vien/tai-khoan", "/nhan-vien/tai-khoan/"+id+"/vo-hieu", nil); r.status != 303 {
		t.Fatalf("deactivate: %d", r.status)
	}
	r := w.client(123, false).login("buuta3", password("buuta3"))
	if r.status != wrong.status || !strings.Contains(r.body, "Sai tên đăng nhập hoặc mật khẩu") {
		t.Errorf("a deactivated account's login: %d", r.status)
	}
	if r := old.get("/nhan-vien"); r.status != 303 {
		t.Errorf("a deactivated account's session: %d", r.status)
	}
	if r := admin.form("/nhan-vien/tai-khoan", "/nhan-vien/tai-khoan/"+id+"/kich-hoat", nil); r.status != 303 {
		t.Fatalf("reactivate: %d", r.status)
	}
	if r := w.client(124, false).login("buuta3", password("buuta3")); r.status != 303 {
		t.Errorf("a reactivated account's login: %d", r.status)
	}

	// Reset: the temporary password is shown once; the old one is gone; the
	// temporary one opens only the password page and no app token.
	r = admin.form("/nhan-vien/tai-khoan", "/nhan-vien/tai-khoan/"+id+"/dat-lai-mat-khau", nil)
	m := regexp.MustCompile(`id="mat-khau-tam">([a-z0-9-]+)<`).FindStringSubmatch(r.body)
	if r.status != 200 || m == nil || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("reset: %d, temporary password shown %v, Cache-Control %q", r.status, m != nil, r.header.Get("Cache-Control"))
	}
	temp := m[1]
	if r := w.client(125, false).login("buuta3", password("buuta3")); r.status != 401 {
		t.Errorf("the old password after a reset: %d", r.status)
	}
	u := w.client(126, false)
	if r := u.login("buuta3", temp); r.status != 303 || r.location() != "/nhan-vien/mat-khau" {
		t.Errorf("login with the temporary password: %d %q", r.status, r.location())
	}
	for _, p := range []string{"/nhan-vien", "/nhan-vien/in", "/tra-cuu"} {
		if r := u.get(p); r.status != 303 || r.location() != "/nhan-vien/mat-khau" {
			t.Errorf("%s with a temporary password: %d %q", p, r.status, r.location())
		}
	}
	if r := u.tokenRequest("buuta3", temp, "d"); r.status != 403 {
		t.Errorf("app token with a temporary password: %d", r.status)
	}
	if r := u.form("/nhan-vien/mat-khau", "/nhan-vien/mat-khau", url.Values{"current_password": {temp}, "new_password": {"matkhau123"}, "confirm_password": {"matkhau123"}}); r.status != 422 {
		t.Errorf("a common new password: %d", r.status)
	}
	if r := u.form("/nhan-vien/mat-khau", "/nhan-vien/mat-khau", url.Values{"current_password": {"sai"}, "new_password": {"Bưu tá đi giao lúc bảy giờ"}, "confirm_password": {"Bưu tá đi giao lúc bảy giờ"}}); r.status != 422 {
		t.Errorf("a wrong current password: %d", r.status)
	}
	const next = "Bưu tá đi giao lúc bảy giờ"
	if r := u.form("/nhan-vien/mat-khau", "/nhan-vien/mat-khau", url.Values{"current_password": {temp}, "new_password": {next}, "confirm_password": {next}}); r.status != 303 {
		t.Fatalf("change from the temporary password: %d %.300s", r.status, r.body)
	}
	if r := u.get("/nhan-vien"); r.status != 200 {
		t.Errorf("after the change: %d", r.status)
	}
	tok := u.tokenRequest("buuta3", next, "d")
	if tok.status != 200 {
		t.Fatalf("app token with the new password: %d", tok.status)
	}

	// A change ends the other sessions and the app token, not this one.
	second := w.client(128, false)
	if r := second.login("buuta3", next); r.status != 303 {
		t.Fatal(r.status)
	}
	const third = "Thư về nhà trước mười giờ"
	if r := u.form("/nhan-vien/mat-khau", "/nhan-vien/mat-khau", url.Values{"current_password": {next}, "new_password": {third}, "confirm_password": {third}}); r.status != 303 {
		t.Fatalf("second change: %d", r.status)
	}
	if r := second.get("/nhan-vien"); r.status != 303 {
		t.Errorf("the other session after a change: %d", r.status)
	}
	if r := u.get("/nhan-vien"); r.status != 200 {
		t.Errorf("the session that changed it: %d", r.status)
	}
	if w.count(`SELECT count(*) FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.username = 'buuta3' AND t.revoked_at IS NULL`) != 0 {
		t.Error("the app token survived a password change")
	}

	// Sign out everywhere ends every session of the user.
	a, b := w.staff(129, "motcua"), w.staff(130, "motcua")
	if r := a.form("/nhan-vien/mat-khau", "/nhan-vien/dang-xuat-moi-noi", nil); r.status != 303 {
		t.Fatalf("sign out everywhere: %d", r.status)
	}
	for i, c := range []*client{a, b} {
		if r := c.get("/nhan-vien"); r.status != 303 {
			t.Errorf("session %d after signing out everywhere: %d", i+1, r.status)
		}
	}
	for _, action := range []string{"account.deactivated", "account.reactivated", "account.password_reset", "account.password_changed", "account.signed_out_everywhere"} {
		if w.count(`SELECT count(*) FROM audit_log WHERE action = ?`, action) == 0 {
			t.Errorf("%s is not audited", action)
		}
	}
}

// TestProbeIdleTimeout: a staff session unused for HOSO_SESSION_IDLE ends;
// one in use stays.
func TestProbeIdleTimeout(t *testing.T) {
	w := newWorld(t, worldOpts{env: map[string]string{"HOSO_SESSION_IDLE": "2s"}})
	busy, idle := w.staff(140, "motcua"), w.staff(141, "buucuc")
	for i := 0; i < 4; i++ {
		time.Sleep(900 * time.Millisecond)
		if r := busy.get("/nhan-vien"); r.status != 200 {
			t.Fatalf("a session in use ended after %d s: %d", i+1, r.status)
		}
	}
	if r := idle.get("/nhan-vien"); r.status != 303 || !strings.HasPrefix(r.location(), "/dang-nhap") {
		t.Errorf("a session idle for 3.6 s (limit 2 s): %d %q", r.status, r.location())
	}
}
