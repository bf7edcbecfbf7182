package main

import (
	"context"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var portalSecretPattern = regexp.MustCompile(`id="khoa-bi-mat">([^<]+)<`)

// TestPortalClientsAdmin: an admin registers a portal (secret shown once),
// its callback URL must be https to a public address, its secret rotates
// with an overlap window during which both secrets sign, a zero window
// ends the old one at once, a suspended portal is refused, and the
// client's callback history lists what was sent; every change audited.
func TestPortalClientsAdmin(t *testing.T) {
	e := startServer(t, nil)
	admin := e.login("quantri")
	if code, _ := e.login("dieuphoi").get("/nhan-vien/cong"); code != 403 {
		t.Errorf("dispatcher on the portal page: %d", code)
	}

	// Callback URLs the relay must never call.
	for _, hook := range []string{"http://203.0.113.10/hook", "https://127.0.0.1/hook", "https://10.1.2.3/hook", "https://[::1]/hook",
		"https://169.254.169.254/latest", "https://100.64.0.1/x", "https://user:pw@203.0.113.10/", "https://localhost/hook", "ftp://x", "https://b\xff/"} {
		code, _, body := admin.post("/nhan-vien/cong", url.Values{"id": {"dvc-x"}, "name": {"X"}, "province": {"19"}, "callback": {hook}})
		if code != 422 || !strings.Contains(body, `id="cong-goi-lai" name="callback" type="url"`) || !strings.Contains(body, "aria-invalid") {
			t.Errorf("callback %q: %d", hook, code)
		}
	}
	if n := e.count(`SELECT count(*) FROM portal_clients WHERE id = 'dvc-x'`); n != 0 {
		t.Fatal("a refused portal was stored")
	}

	code, _, body := admin.post("/nhan-vien/cong", url.Values{"id": {"dvc-moi"}, "name": {"Cổng mới"}, "province": {"19"}, "callback": {"https://203.0.113.10/hook"}})
	m := portalSecretPattern.FindStringSubmatch(body)
	if code != 200 || m == nil {
		t.Fatalf("register: %d %s", code, tail(body, 300))
	}
	old := contractClient{t: t, base: e.base, id: "dvc-moi", secret: m[1]}
	if r := old.do("GET", "/api/v1/portal/desks", nil, ""); r.status != 200 {
		t.Fatalf("the new portal's secret: %d", r.status)
	}
	// A pickup: its callback is queued for the portal and listed.
	r := old.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.CONG-1")), "cong-1")
	if r.status != 201 {
		t.Fatalf("pickup: %d %s", r.status, r.body)
	}
	if code, body := admin.get("/nhan-vien/cong/dvc-moi"); code != 200 || !strings.Contains(body, "000.00.19.CONG-1") {
		t.Errorf("callback history: %d", code)
	}

	// Rotation with 48 h of overlap: both secrets sign.
	code, _, body = admin.post("/nhan-vien/cong/dvc-moi/doi-khoa", url.Values{"overlap_hours": {"48"}})
	m = portalSecretPattern.FindStringSubmatch(body)
	if code != 200 || m == nil || m[1] == old.secret {
		t.Fatalf("rotate: %d", code)
	}
	fresh := contractClient{t: t, base: e.base, id: "dvc-moi", secret: m[1]}
	if r := fresh.do("GET", "/api/v1/portal/desks", nil, ""); r.status != 200 {
		t.Errorf("new secret: %d", r.status)
	}
	if r := old.do("GET", "/api/v1/portal/desks", nil, ""); r.status != 200 {
		t.Errorf("old secret inside the overlap: %d", r.status)
	}
	if code, _, _ := admin.post("/nhan-vien/cong/dvc-moi/doi-khoa", url.Values{"overlap_hours": {"1000"}}); code != 422 {
		t.Errorf("overlap of 1000 h: %d", code)
	}
	// A zero overlap (a leaked secret): only the newest works.
	_, _, body = admin.post("/nhan-vien/cong/dvc-moi/doi-khoa", url.Values{"overlap_hours": {"0"}})
	m = portalSecretPattern.FindStringSubmatch(body)
	if m == nil {
		t.Fatal("second rotation")
	}
	newest := contractClient{t: t, base: e.base, id: "dvc-moi", secret: m[1]}
	if r := fresh.do("GET", "/api/v1/portal/desks", nil, ""); r.status != 401 {
		t.Errorf("previous secret after a zero overlap: %d", r.status)
	}
	if r := old.do("GET", "/api/v1/portal/desks", nil, ""); r.status != 401 {
		t.Errorf("first secret after two rotations: %d", r.status)
	}
	if r := newest.do("GET", "/api/v1/portal/desks", nil, ""); r.status != 200 {
		t.Errorf("newest secret: %d", r.status)
	}

	// Callback change, suspension, restoration.
	if code, _, body := admin.post("/nhan-vien/cong/dvc-moi/goi-lai", url.Values{"callback": {"https://192.168.1.5/x"}}); code != 422 || !strings.Contains(body, "nội bộ") {
		t.Errorf("private callback: %d", code)
	}
	if code, _, _ := admin.post("/nhan-vien/cong/dvc-moi/goi-lai", url.Values{"callback": {""}}); code != 303 {
		t.Errorf("callback off: %d", code)
	}
	if code, _, _ := admin.post("/nhan-vien/cong/dvc-moi/trang-thai", url.Values{"active": {"0"}, "ghi_chu": {"Cổng bảo trì"}}); code != 303 {
		t.Fatalf("suspend: %d", code)
	}
	if r := newest.do("GET", "/api/v1/portal/desks", nil, ""); r.status != 401 {
		t.Errorf("a suspended portal: %d", r.status)
	}
	if code, _, _ := admin.post("/nhan-vien/cong/dvc-moi/trang-thai", url.Values{"active": {"1"}}); code != 303 {
		t.Fatalf("restore: %d", code)
	}
	if r := newest.do("GET", "/api/v1/portal/desks", nil, ""); r.status != 200 {
		t.Errorf("a restored portal: %d", r.status)
	}
	for action, want := range map[string]int{"portal.created": 1, "portal.secret_rotated": 2, "portal.callback_changed": 1, "portal.suspended": 1, "portal.restored": 1} {
		if n := e.count(`SELECT count(*) FROM audit_log WHERE action = ? AND subject = 'portal:dvc-moi'`, action); n != want {
			t.Errorf("audit %s: %d, want %d", action, n, want)
		}
	}
	_ = context.Background()
}
