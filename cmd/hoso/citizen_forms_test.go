package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// citizenBrowser is one citizen's browser on the request pages.
type citizenBrowser struct {
	t   *testing.T
	e   *testEnv
	c   *http.Client
	jar *cookiejar.Jar
}

func newCitizenBrowser(t *testing.T, e *testEnv) *citizenBrowser {
	jar, _ := cookiejar.New(nil)
	return &citizenBrowser{t: t, e: e, c: &http.Client{Jar: jar}, jar: jar}
}

func (b *citizenBrowser) get(path string) (*http.Response, string) {
	b.t.Helper()
	resp, err := b.c.Get(b.e.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

func (b *citizenBrowser) post(path string, v url.Values) (*http.Response, string) {
	b.t.Helper()
	_, page := b.get("/yeu-cau")
	m := csrfPattern.FindStringSubmatch(page)
	if m == nil {
		b.t.Fatal("no CSRF token on /yeu-cau")
	}
	v.Set("_csrf", m[1])
	resp, err := b.c.PostForm(b.e.base+path, v)
	if err != nil {
		b.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return resp, string(body)
}

func (b *citizenBrowser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.e.base)
	for _, c := range b.jar.Cookies(u) {
		if strings.HasSuffix(c.Name, "_"+name) {
			return c
		}
	}
	return nil
}

var sixDigits = regexp.MustCompile(`(\d{6})`)

// verify starts a flow for a dossier and phone and types the code sent.
func (b *citizenBrowser) verify(dossier, phone string) {
	b.t.Helper()
	if resp, body := b.post("/yeu-cau", url.Values{"dossier_code": {dossier}, "phone": {phone}}); resp.Request.URL.Path != "/yeu-cau/xac-minh" {
		b.t.Fatalf("start: %d %s %.300s", resp.StatusCode, resp.Request.URL.Path, body)
	}
	ms, err := b.e.db.FindSMS(context.Background(), 5)
	if err != nil || len(ms) == 0 {
		b.t.Fatalf("no SMS: %v", err)
	}
	code := sixDigits.FindString(ms[0].Body)
	if resp, body := b.post("/yeu-cau/xac-minh", url.Values{"code": {code}}); resp.Request.URL.Path != "/yeu-cau/thong-tin" {
		b.t.Fatalf("code: %d %s %.300s", resp.StatusCode, resp.Request.URL.Path, body)
	}
}

// The code session runs out while the citizen fills the form: nothing is
// created, everything typed is kept sealed in their browser, and after a new
// code the form comes back filled. Proving the phone extends the session;
// each page of the form moves its end. A forged draft is ignored.
func TestCitizenFormKeptWhenSessionEnds(t *testing.T) {
	e := startServer(t, nil)
	b := newCitizenBrowser(t, e)
	b.verify("000.00.19.DRAFT-1", "0987654321")
	if left := e.count(`SELECT extract(epoch FROM expires_at - now())::int FROM citizen_flows ORDER BY created_at DESC LIMIT 1`); left < 29*60 {
		t.Errorf("after verifying, the session has %d s left, want 30 min", left)
	}
	if c := b.cookie("f"); c == nil {
		t.Fatal("no flow cookie")
	}
	// Each page of the form moves the end: a minute left becomes thirty.
	if err := e.db.ExecForTest(context.Background(), `UPDATE citizen_flows SET expires_at = now() + interval '1 minute'`); err != nil {
		t.Fatal(err)
	}
	b.get("/yeu-cau/thong-tin")
	if left := e.count(`SELECT extract(epoch FROM expires_at - now())::int FROM citizen_flows ORDER BY created_at DESC LIMIT 1`); left < 29*60 {
		t.Errorf("after a page of the form, the session has %d s left, want 30 min", left)
	}
	// The session ends under the citizen.
	if err := e.db.ExecForTest(context.Background(), `UPDATE citizen_flows SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	before := e.rows()
	s, en := nextWindow(2)
	typed := url.Values{"full_name": {"Lường Thị Hoà"}, "id_number": {"019090001234"}, "commune": {"05443"},
		"line": {"Số 7, tổ 12, ngõ Hoà Bình"}, "desk": {"TN-TTPVHCC"}, "slot": {fmt.Sprintf("%d-%d", s.Unix(), en.Unix())},
		"doc_name_0": {"Tờ khai đăng ký khai sinh"}, "doc_kind_0": {"original"}, "doc_count_0": {"1"},
		"doc_name_1": {"Giấy chứng sinh"}, "doc_kind_1": {"copy"}, "doc_count_1": {"2"}}
	resp, body := b.post("/yeu-cau/thong-tin", typed)
	if resp.StatusCode != http.StatusGone || !strings.Contains(body, "được giữ lại") {
		t.Fatalf("expired submit: %d %.400s", resp.StatusCode, body)
	}
	if after := e.rows(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("an expired submit wrote: %v → %v", before, after)
	}
	draft := b.cookie("nhap")
	if draft == nil {
		t.Fatal("nothing kept")
	}
	for _, clear := range []string{"Lường", "L%C6%B0", "019090001234", "Hoà Bình", "05443"} {
		if strings.Contains(draft.Value, clear) {
			t.Errorf("the kept draft shows %q in clear", clear)
		}
	}
	// A new code, and the form is back as it was typed.
	b.verify("000.00.19.DRAFT-1", "0987654321")
	_, page := b.get("/yeu-cau/thong-tin")
	for _, want := range []string{"Đã điền lại", "Lường Thị Hoà", "Số 7, tổ 12, ngõ Hoà Bình", "Giấy chứng sinh", `value="019090001234"`} {
		if !strings.Contains(page, want) {
			t.Errorf("restored form lacks %q", want)
		}
	}
	// A forged or garbled draft is ignored, never an error.
	u, _ := url.Parse(e.base)
	for _, forged := range []string{"AAAA", strings.Repeat("x", 5000), "%ff%fe", draft.Value[:len(draft.Value)-4] + "AAAA"} {
		b.jar.SetCookies(u, []*http.Cookie{{Name: draft.Name, Value: forged, Path: "/", Expires: time.Now().Add(time.Hour)}})
		resp, page := b.get("/yeu-cau/thong-tin")
		if resp.StatusCode != 200 || strings.Contains(page, "Đã điền lại") {
			t.Errorf("forged draft %.20q: %d", forged, resp.StatusCode)
		}
	}
	b.jar.SetCookies(u, []*http.Cookie{draft})
	// Sent: the request is made and the draft is gone.
	resp, body = b.post("/yeu-cau/thong-tin", typed)
	if !strings.HasPrefix(resp.Request.URL.Path, "/yeu-cau/xong/") {
		t.Fatalf("submit after restoring: %d %s %.400s", resp.StatusCode, resp.Request.URL.Path, body)
	}
	if b.cookie("nhap") != nil {
		t.Error("the draft outlived the request it was for")
	}
}

// "Gửi lại mã": the code page says how many times it may be sent again; a
// new code replaces the old one; the third time is refused with the limit
// named; twenty parallel presses send at most the two allowed; without a
// session or once verified there is nothing to resend.
func TestCitizenResendCode(t *testing.T) {
	e := startServer(t, nil)
	b := newCitizenBrowser(t, e)
	if resp, body := b.post("/yeu-cau/gui-lai-ma", url.Values{}); resp.StatusCode != http.StatusGone || !strings.Contains(body, "hết hạn") {
		t.Errorf("resend with no session: %d", resp.StatusCode)
	}
	if resp, body := b.post("/yeu-cau", url.Values{"dossier_code": {"000.00.19.RESEND-1"}, "phone": {"0987654322"}}); resp.Request.URL.Path != "/yeu-cau/xac-minh" {
		t.Fatalf("start: %d %.300s", resp.StatusCode, body)
	}
	if _, page := b.get("/yeu-cau/xac-minh"); !strings.Contains(page, "thêm <strong>2 lần</strong>") {
		t.Errorf("the code page does not show the resends left")
	}
	lastCode := func() string {
		ms, err := e.db.FindSMS(context.Background(), 1)
		if err != nil || len(ms) == 0 {
			t.Fatal("no SMS")
		}
		return sixDigits.FindString(ms[0].Body)
	}
	old := lastCode()
	sms := e.count(`SELECT count(*) FROM sms_messages`)
	resp, page := b.post("/yeu-cau/gui-lai-ma", url.Values{})
	if resp.Request.URL.Path != "/yeu-cau/xac-minh" || !strings.Contains(page, "Còn 1 lần gửi lại") {
		t.Fatalf("first resend: %d %s", resp.StatusCode, resp.Request.URL.Path)
	}
	fresh := lastCode()
	if e.count(`SELECT count(*) FROM sms_messages`) != sms+1 {
		t.Error("no new message")
	}
	// Twenty parallel presses: one resend is left, so one message at most.
	done := make(chan int, 20)
	for i := 0; i < 20; i++ {
		go func() {
			v := url.Values{}
			_, p := b.get("/yeu-cau")
			v.Set("_csrf", csrfPattern.FindStringSubmatch(p)[1])
			r, err := b.c.PostForm(e.base+"/yeu-cau/gui-lai-ma", v)
			if err != nil {
				done <- 0
				return
			}
			r.Body.Close()
			done <- r.StatusCode
		}()
	}
	for i := 0; i < 20; i++ {
		<-done
	}
	if n := e.count(`SELECT count(*) FROM sms_messages`); n != sms+2 {
		t.Errorf("after parallel resends %d messages, want %d (two resends in all)", n, sms+2)
	}
	if n := e.count(`SELECT max(resends) FROM citizen_flows`); n != 2 {
		t.Errorf("resends = %d", n)
	}
	resp, page = b.post("/yeu-cau/gui-lai-ma", url.Values{})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(page, "tối đa") {
		t.Errorf("third resend: %d", resp.StatusCode)
	}
	// The codes sent before the last one no longer open the form.
	newest := lastCode()
	for _, c := range []string{old, fresh} {
		if c == newest {
			continue
		}
		if resp, _ := b.post("/yeu-cau/xac-minh", url.Values{"code": {c}}); resp.Request.URL.Path == "/yeu-cau/thong-tin" {
			t.Errorf("a replaced code %s still works", c)
		}
	}
	if resp, body := b.post("/yeu-cau/xac-minh", url.Values{"code": {newest}}); resp.Request.URL.Path != "/yeu-cau/thong-tin" {
		t.Fatalf("newest code: %d %.300s", resp.StatusCode, body)
	}
	if resp, _ := b.post("/yeu-cau/gui-lai-ma", url.Values{}); resp.Request.URL.Path != "/yeu-cau/thong-tin" {
		t.Errorf("resend once verified went to %s", resp.Request.URL.Path)
	}
}
