package main

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// clerkValues is a complete clerk's request for a dossier of the desk.
func clerkValues(dossier string) url.Values {
	s, en := nextWindow(2)
	return url.Values{"dossier_code": {dossier}, "phone": {"0987 654 321"}, "full_name": {"Ma Văn Sơn"},
		"id_number": {"019123456789"}, "commune": {"05443"}, "line": {"Số 3, tổ 7"}, "desk": {"TN-TTPVHCC"},
		"slot":       {fmt.Sprintf("%d-%d", s.Unix(), en.Unix())},
		"doc_name_0": {"Tờ khai"}, "doc_kind_0": {"original"}, "doc_count_0": {"1"}}
}

// TestClerkRequestPostRedirectGet: a clerk's request with errors redirects
// to the form (no value in the URL), which shows everything typed with
// each message beside its field and named in the summary, once; a
// cookie of another session shows nothing; bad input (wrong type, empty,
// too long, non-UTF-8, replay) changes nothing. A good request ends on the
// success page with "in biên nhận" (a PDF the clerk may print) and "tạo
// yêu cầu khác", a page only its creator sees; submitting it twice makes
// one request.
func TestClerkRequestPostRedirectGet(t *testing.T) {
	e := startServer(t, nil)
	clerk := e.login("motcua")
	parcels := func() int { return e.count(`SELECT count(*) FROM parcels WHERE channel = 'clerk'`) }

	bad := clerkValues("000.00.19.PRG-1")
	bad.Set("id_number", "0191")
	bad.Set("doc_count_0", "hai")
	code, loc, _ := clerk.noFollow("/nhan-vien/yeu-cau", bad)
	if code != 303 || loc != "/nhan-vien/yeu-cau" {
		t.Fatalf("POST with errors: %d %q, want 303 to the form", code, loc)
	}
	code, body := clerk.get("/nhan-vien/yeu-cau")
	if code != 200 {
		t.Fatalf("form after the redirect: %d", code)
	}
	for _, want := range []string{`value="Ma Văn Sơn"`, `value="0987 654 321"`, `value="000.00.19.PRG-1"`, `value="Số 3, tổ 7"`, `value="0191"`,
		`id="id_number" name="id_number"`, "Số căn cước công dân: ", "Số bản dòng 1: ", `aria-invalid="true"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the form after the redirect lacks %q", want)
		}
	}
	// Read once: a reload shows the blank form.
	if _, body = clerk.get("/nhan-vien/yeu-cau"); strings.Contains(body, "Ma Văn Sơn") || strings.Contains(body, "error-summary") {
		t.Error("the kept form was shown twice")
	}
	if n := parcels(); n != 0 {
		t.Fatalf("%d requests after errors", n)
	}

	// Another session's cookie shows nothing of this clerk's typing.
	code, _, _ = clerk.noFollow("/nhan-vien/yeu-cau", bad)
	if code != 303 {
		t.Fatalf("again: %d", code)
	}
	u, _ := url.Parse(e.base)
	var kept *http.Cookie
	for _, ck := range clerk.c.Jar.Cookies(u) {
		if strings.HasSuffix(ck.Name, "_mau") {
			kept = ck
		}
	}
	if kept == nil {
		t.Fatal("no kept-form cookie")
	}
	if strings.Contains(kept.Value, "0987") || strings.Contains(kept.Value, "Ma V") {
		t.Error("the kept form is readable in its cookie")
	}
	other := e.login("dieuphoi")
	other.c.Jar.SetCookies(u, []*http.Cookie{{Name: kept.Name, Value: kept.Value, Path: "/"}})
	if _, body = other.get("/nhan-vien/yeu-cau"); strings.Contains(body, "Ma Văn Sơn") || strings.Contains(body, "0987 654 321") {
		t.Error("another session opened the kept form")
	}
	clerk.get("/nhan-vien/yeu-cau") // clears it

	// Bad input of every kind: a redirect back, nothing filed.
	for name, v := range map[string]url.Values{
		"empty": {},
		"long name": func() url.Values {
			x := clerkValues("000.00.19.PRG-2")
			x.Set("full_name", strings.Repeat("Nguyễn ", 200))
			return x
		}(),
		"non-UTF-8": func() url.Values { x := clerkValues("000.00.19.PRG-3"); x.Set("full_name", "Ma V\xffn"); return x }(),
		"slot":      func() url.Values { x := clerkValues("000.00.19.PRG-4"); x.Set("slot", "sáng mai"); return x }(),
		"phone":     func() url.Values { x := clerkValues("000.00.19.PRG-5"); x.Set("phone", "12345"); return x }(),
	} {
		code, loc, _ := clerk.noFollow("/nhan-vien/yeu-cau", v)
		if code != 303 || loc != "/nhan-vien/yeu-cau" {
			t.Errorf("%s: %d %q", name, code, loc)
			continue
		}
		if _, body := clerk.get(loc); !strings.Contains(body, "error-summary") {
			t.Errorf("%s: no error on the form", name)
		}
	}
	if n := parcels(); n != 0 {
		t.Fatalf("%d requests after bad input", n)
	}

	// A good request: the success page, then the same POST again (Back and
	// submit, a double click) files nothing more.
	good := clerkValues("000.00.19.PRG-OK")
	code, loc, _ = clerk.noFollow("/nhan-vien/yeu-cau", good)
	if code != 303 || !strings.HasPrefix(loc, "/nhan-vien/yeu-cau/xong/E") || strings.Contains(loc, "0987") {
		t.Fatalf("good request: %d %q", code, loc)
	}
	number := strings.TrimPrefix(loc, "/nhan-vien/yeu-cau/xong/")
	code, body = clerk.get(loc)
	if code != 200 || !strings.Contains(body, "Đã tạo yêu cầu thu gom") || !strings.Contains(body, number) ||
		!strings.Contains(body, `href="/nhan-vien/in/bien-nhan/`+number+`"`) || !strings.Contains(body, "In biên nhận") ||
		!strings.Contains(body, `href="/nhan-vien/yeu-cau">Tạo yêu cầu khác`) || strings.Contains(body, "0987 654 321") {
		t.Errorf("success page: %d %.1500s", code, body)
	}
	resp, err := clerk.c.Get(e.base + "/nhan-vien/in/bien-nhan/" + number)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("in biên nhận: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	if code, _ := other.get(loc); code != 404 {
		t.Errorf("another user's view of the success page: %d, want 404", code)
	}
	if code, _ := clerk.get("/nhan-vien/yeu-cau/xong/EA000000000VN"); code != 404 {
		t.Errorf("success page of no request: %d", code)
	}
	code, loc, _ = clerk.noFollow("/nhan-vien/yeu-cau", good)
	if n := parcels(); n != 1 {
		t.Errorf("%d requests after submitting twice, want 1 (second answer %d %q)", n, code, loc)
	}
	if code == 303 && loc == "/nhan-vien/yeu-cau" {
		if _, body := clerk.get(loc); !strings.Contains(body, "error-summary") {
			t.Error("the second submit came back without saying why")
		}
	}
}
