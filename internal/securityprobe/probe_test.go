package securityprobe_test

import (
	"crypto/sha256"
	"fmt"
	"math/bits"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestProbeProxyHeaders: behind a real nginx, the per-address limits key on
// the client nginx saw, whatever X-Forwarded-For the client itself sends
// (the probe changed that header on every request and was never limited);
// the log names that client; /metrics needs its token behind a proxy, even
// one that adds no header; a malformed proxy setting stops the server.
func TestProbeProxyHeaders(t *testing.T) {
	w := newWorld(t, worldOpts{proxy: true, env: map[string]string{
		"HOSO_PUBLIC_RATE_PER_MIN": "10", "HOSO_LOGIN_RATE_PER_MIN": "4",
		"HOSO_CODE_SMS_PER_SOURCE": "3", "HOSO_CODE_CHALLENGE_AFTER": "100"}})
	spoof := func(i int) map[string]string {
		return map[string]string{"X-Forwarded-For": fmt.Sprintf("10.9.%d.%d", i/250, i%250+1)}
	}

	// Public pages: 10 a minute per client, spoofed header or not.
	a := w.client(3, true)
	refused := 0
	for i := 0; i < 13; i++ {
		if r := a.get("/tra-cuu/EA999999995VN", spoof(i)); r.status == 429 {
			refused++
			if r.header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		}
	}
	if refused != 3 {
		t.Errorf("public page through the proxy with a new X-Forwarded-For each time: %d of 13 refused, want 3", refused)
	}
	// Another client behind the same proxy has its own budget.
	if r := w.client(4, true).get("/tra-cuu/EA999999995VN"); r.status != 404 {
		t.Errorf("another client through the proxy: %d, want 404", r.status)
	}

	// Logins: 4 a minute per client, whatever the username and header.
	c := w.client(5, true)
	statuses := []int{}
	for i := 0; i < 6; i++ {
		r := c.form("/dang-nhap", "/dang-nhap", url.Values{"username": {fmt.Sprintf("khach%02d", i)}, "password": {"doan-mat-khau"}}, spoof(100+i))
		statuses = append(statuses, r.status)
	}
	if fmt.Sprint(statuses) != "[401 401 401 401 429 429]" {
		t.Errorf("logins through the proxy with new usernames and headers: %v, want four 401 then 429", statuses)
	}

	// One-time-code SMS: 3 a day per client.
	d := w.client(6, true)
	statuses = statuses[:0]
	for i := 0; i < 4; i++ {
		r := d.form("/yeu-cau", "/yeu-cau", url.Values{"dossier_code": {fmt.Sprintf("000.00.19.PROXY-%d", i)}, "phone": {fmt.Sprintf("09110000%02d", i)}}, spoof(200+i))
		statuses = append(statuses, r.status)
	}
	if fmt.Sprint(statuses) != "[303 303 303 429]" {
		t.Errorf("code requests through the proxy with new headers: %v, want three 303 then 429", statuses)
	}

	// The log names the client nginx saw, never an address the client wrote.
	logs := w.logs.String()
	if !strings.Contains(logs, `"ip":"127.0.0.3"`) {
		t.Error(`no log line names the client 127.0.0.3 ("ip")`)
	}
	if regexp.MustCompile(`"ip":"10\.9\.`).MatchString(logs) {
		t.Error("the log names a client address taken from a spoofed X-Forwarded-For")
	}

	// /metrics: not through the proxy, not even where it adds no header,
	// and not directly without the token once a proxy is configured.
	for _, via := range []struct {
		name string
		c    *client
		path string
	}{{"proxy", w.client(7, true), "/metrics"}, {"proxy without X-Forwarded-For", w.client(7, true), "/bare/metrics"}, {"loopback", w.client(1, false), "/metrics"}} {
		r := via.c.get(via.path)
		if r.status == 200 || strings.Contains(r.body, "hoso_http_requests_total") {
			t.Errorf("/metrics via %s: %d, served without the token", via.name, r.status)
		}
	}

	// A trusted-proxy setting that is not an address or CIDR stops the
	// server at start.
	cmd := exec.Command(probeBin, "serve")
	env := w.environ()
	for i, kv := range env {
		if strings.HasPrefix(kv, "HOSO_TRUSTED_PROXIES=") {
			env[i] = "HOSO_TRUSTED_PROXIES=127.0.0.2,proxy.example,10.0.0.0/33"
		}
		if strings.HasPrefix(kv, "HOSO_ADDR=") {
			env[i] = "HOSO_ADDR=127.0.0.1:0"
		}
	}
	cmd.Env = env
	done := make(chan error, 1)
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(out.String(), "HOSO_TRUSTED_PROXIES") {
			t.Errorf("bad HOSO_TRUSTED_PROXIES: exit %v, output %.300s", err, out.String())
		}
	case <-time.After(15 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Error("the server started with HOSO_TRUSTED_PROXIES=proxy.example,10.0.0.0/33")
	}
}

// TestProbeLoginThrottle: every spelling of a username ("buuta2", " buuta2",
// "BUUTA2", full-width letters, a zero-width space…) is one account and one
// failure count; after five failures each attempt waits longer, then the
// account locks until an admin lifts it; every wrong case gets the same
// answer and the token endpoint stores nothing for other roles.
func TestProbeLoginThrottle(t *testing.T) {
	w := newWorld(t, worldOpts{env: map[string]string{"HOSO_LOGIN_DELAY": "2s", "HOSO_LOGIN_LOCK_AFTER": "7", "HOSO_LOGIN_RATE_PER_MIN": "1000"}})
	c := w.client(10, false)
	variants := []string{"buuta2", " buuta2", "buuta2\t", "BUUTA2", "ｂｕｕｔａ２", "buu\u200bta2", "\u00a0buuta2", "Buuta2 "}
	for i, v := range variants[:5] {
		if r := c.tokenRequest(v, "doan-sai-"+strconv.Itoa(i), "d"); r.status != 401 {
			t.Fatalf("wrong password %d (%q): %d %s", i+1, v, r.status, r.body)
		}
	}
	for _, v := range variants[5:] {
		r := c.tokenRequest(v, "doan-sai", "d")
		ra, _ := strconv.Atoi(r.header.Get("Retry-After"))
		if r.status != 429 || ra < 1 {
			t.Errorf("attempt 6 as %q right after five failures: %d Retry-After %q, want 429", v, r.status, r.header.Get("Retry-After"))
		}
	}
	// The page login is the same account and the same count.
	if r := w.client(11, false).login(" BUUTA2", "doan-sai"); r.status != 429 {
		t.Errorf("page login during the delay: %d, want 429", r.status)
	}

	// Same answer for every wrong case; a right password of a role the
	// endpoint does not serve is one of them, and stores no token.
	o := w.client(12, false)
	wrong := o.tokenRequest("khong-co-ai", "doan-sai", "d")
	admin := o.tokenRequest("quantri", password("quantri"), "d")
	if admin.status != wrong.status || admin.body != wrong.body {
		t.Errorf("admin's right password at the token endpoint: %d %s; unknown user: %d %s", admin.status, admin.body, wrong.status, wrong.body)
	}
	if n := w.count(`SELECT count(*) FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE u.username <> 'buuta2'`); n != 0 {
		t.Errorf("%d token rows for accounts the endpoint refused", n)
	}

	// Growing delays, then the lock.
	time.Sleep(2100 * time.Millisecond)
	if r := c.tokenRequest("buuta2", "doan-sai", "d"); r.status != 401 {
		t.Fatalf("after the first delay: %d", r.status)
	}
	r := c.tokenRequest("buuta2", "doan-sai", "d")
	if ra, _ := strconv.Atoi(r.header.Get("Retry-After")); r.status != 429 || ra < 3 {
		t.Errorf("the second delay: %d Retry-After %q, want 429 and about 4 s", r.status, r.header.Get("Retry-After"))
	}
	time.Sleep(4100 * time.Millisecond)
	if r := c.tokenRequest("buuta2", "doan-sai", "d"); r.status != 401 {
		t.Fatalf("after the second delay: %d", r.status)
	}
	if r := c.tokenRequest("buuta2", password("buuta2"), "d"); r.status != 429 {
		t.Errorf("right password on a locked account: %d, want 429", r.status)
	}
	time.Sleep(1100 * time.Millisecond)
	if r := c.tokenRequest("buuta2", password("buuta2"), "d"); r.status != 429 || !strings.Contains(r.body, "khóa") {
		t.Errorf("right password on a locked account a moment later: %d %s, want 429 (locked)", r.status, r.body)
	}
	// An admin lifts the lock.
	adm := w.staff(13, "quantri")
	if r := adm.get("/nhan-vien/tai-khoan"); r.status != 200 || !strings.Contains(r.body, "Khóa đăng nhập") {
		t.Errorf("accounts page: %d, lock not shown", r.status)
	}
	id := strconv.FormatInt(w.userID("buuta2"), 10)
	if r := adm.form("/nhan-vien/tai-khoan", "/nhan-vien/tai-khoan/"+id+"/mo-khoa", nil); r.status != 303 {
		t.Fatalf("unlock: %d %.300s", r.status, r.body)
	}
	if r := c.tokenRequest("buuta2", password("buuta2"), "d"); r.status != 200 {
		t.Errorf("right password after the unlock: %d %s", r.status, r.body)
	}
	if w.count(`SELECT count(*) FROM audit_log WHERE action = 'account.unlocked' AND subject = 'user:buuta2'`) != 1 {
		t.Error("the unlock is not audited")
	}
	// The log names the username of failed attempts and their client.
	if !regexp.MustCompile(`"msg":"login failed".*"username":"buuta2".*"ip":"127\.0\.0\.10"`).MatchString(w.logs.String()) {
		t.Error("no log line of a failed login with its username and client address")
	}
	if strings.Contains(w.logs.String(), "doan-sai") {
		t.Error("a password reached the log")
	}
}

// TestProbeLoginCost: random usernames from one client are throttled like
// one username (the probe saturated two cores with them), and password
// checks have a budget in all.
func TestProbeLoginCost(t *testing.T) {
	w := newWorld(t, worldOpts{env: map[string]string{"HOSO_LOGIN_RATE_PER_MIN": "3", "HOSO_LOGIN_GLOBAL_PER_MIN": "8"}})
	c := w.client(20, false)
	var st []int
	for i := 0; i < 5; i++ {
		st = append(st, c.tokenRequest(fmt.Sprintf("ngau-nhien-%d", i), "x", "d").status)
	}
	if fmt.Sprint(st) != "[401 401 401 429 429]" {
		t.Errorf("random usernames from one client: %v, want three 401 then 429", st)
	}
	// Ten clients, one attempt each: the global budget (8, three spent)
	// refuses some.
	ok, limited := 0, 0
	for i := 0; i < 10; i++ {
		switch w.client(21+i, false).tokenRequest(fmt.Sprintf("khac-%d", i), "x", "d").status {
		case 401:
			ok++
		case 429:
			limited++
		}
	}
	if ok > 5 || limited < 5 {
		t.Errorf("ten clients past a budget of 8 checks (3 spent): %d checked, %d refused", ok, limited)
	}
}

// browserHost is the host a browser goes to for a Location: it drops tabs
// and newlines and reads a backslash as a slash.
func browserHost(base, loc string) string {
	loc = strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(loc)
	b, _ := url.Parse(base)
	u, err := b.Parse(loc)
	if err != nil {
		return "unparsable"
	}
	return u.Host
}

// TestProbeRedirectAfterLogin: only a path of this site is followed after
// signing in.
func TestProbeRedirectAfterLogin(t *testing.T) {
	w := newWorld(t, worldOpts{env: map[string]string{"HOSO_LOGIN_RATE_PER_MIN": "1000"}})
	host := strings.TrimPrefix(w.base, "http://")
	evil := []string{"/%09/evil.example", "/%0a/evil.example", "/%0d%0a/evil.example", "/%5C/evil.example", "/%5Cevil.example",
		"//evil.example", "https://evil.example", "/%09%09/evil.example/%2e%2e", "%2F%2Fevil.example", "/\u3000/evil.example"}
	staff := w.staff(30, "motcua")
	for _, e := range evil {
		r := staff.get("/dang-nhap?tiep=" + e)
		if r.status != 303 || browserHost(w.base, r.location()) != host {
			t.Errorf("signed in, /dang-nhap?tiep=%s → %d %q", e, r.status, r.location())
		}
		v, _ := url.QueryUnescape(e)
		a := w.client(31, false)
		r = a.form("/dang-nhap", "/dang-nhap", url.Values{"username": {"motcua"}, "password": {password("motcua")}, "next": {v}})
		if r.status != 303 || browserHost(w.base, r.location()) != host {
			t.Errorf("login with next=%q → %d %q", v, r.status, r.location())
		}
	}
	// A path of the site is kept.
	if r := staff.get("/dang-nhap?tiep=" + url.QueryEscape("/nhan-vien/canh-bao?loc=1")); r.location() != "/nhan-vien/canh-bao?loc=1" {
		t.Errorf("a path of the site: %q", r.location())
	}
}

// s10 builds a tracking number from letters, a serial and the country.
func s10(letters string, serial int, country string) string {
	w := []int{8, 6, 4, 2, 3, 5, 9, 7}
	s := fmt.Sprintf("%08d", serial)
	sum := 0
	for i := range 8 {
		sum += int(s[i]-'0') * w[i]
	}
	c := 11 - sum%11
	if c == 10 {
		c = 0
	} else if c == 11 {
		c = 5
	}
	return letters + s + strconv.Itoa(c) + country
}

// TestProbeTrackingNumbers: serials cannot be walked, and the public
// timeline shows the details (dossier code, procedure, initials, phone
// digits, times) only to whoever proves the parcel is theirs, within a
// budget of wrong proofs per client and per parcel.
func TestProbeTrackingNumbers(t *testing.T) {
	w := newWorld(t, worldOpts{env: map[string]string{"HOSO_TRACK_PROOFS_PER_DAY": "5", "HOSO_PUBLIC_RATE_PER_MIN": "10000"}})
	var numbers []string
	for i := 0; i < 20; i++ {
		n, _ := w.portalPickup(fmt.Sprintf("000.00.19.WALK-%02d", i), "0912345678")
		numbers = append(numbers, n)
	}
	c := w.client(40, false)
	found := 0
	for _, n := range numbers {
		serial, _ := strconv.Atoi(n[2:10])
		for _, d := range []int{-1, 1} {
			if serial+d < 0 || serial+d > 99_999_999 {
				continue
			}
			if r := c.get("/api/v1/public/track/" + s10(n[:2], serial+d, n[11:])); r.status == 200 {
				found++
			}
		}
	}
	if found > 1 {
		t.Errorf("%d of 40 neighbours of 20 issued numbers exist: the serials can be walked", found)
	}

	// Anyone with the number: status, holder, steps.
	n := numbers[0]
	r := c.get("/tra-cuu/" + n)
	if r.status != 200 || !strings.Contains(r.body, "Công dân (hồ sơ còn ở nhà)") || !strings.Contains(r.body, "Đã tiếp nhận yêu cầu thu gom hồ sơ") {
		t.Errorf("public page: %d, status or holder missing", r.status)
	}
	for _, detail := range []string{"000.00.19.WALK-00", "Đăng ký kết hôn", "N. V. A.", "xxx 678", "<time"} {
		if strings.Contains(r.body, detail) {
			t.Errorf("the public page shows %q without a proof", detail)
		}
	}
	j := c.get("/api/v1/public/track/" + n)
	for _, detail := range []string{"WALK-00", "Đăng ký kết hôn", "N. V. A.", `"at"`, "citizen"} {
		if strings.Contains(j.body, detail) {
			t.Errorf("the public JSON shows %q without a proof", detail)
		}
	}

	// Wrong proofs: ten an hour per client (spread over ten parcels), then
	// even the right one waits.
	v := w.client(41, false)
	for i := 0; i < 10; i++ {
		p := numbers[2+i]
		if r := v.form("/tra-cuu/"+p, "/tra-cuu/"+p, url.Values{"so_cuoi": {fmt.Sprintf("%04d", 1000+i)}}); r.status != 422 {
			t.Fatalf("wrong proof %d: %d", i+1, r.status)
		}
	}
	if r := v.form("/tra-cuu/"+n, "/tra-cuu/"+n, url.Values{"so_cuoi": {"5678"}}); r.status != 429 {
		t.Errorf("a proof after ten wrong ones: %d, want 429", r.status)
	}
	// The citizen: the last four digits open the details, in the page and
	// in the JSON.
	u := w.client(42, false)
	if r := u.form("/tra-cuu/"+n, "/tra-cuu/"+n, url.Values{"so_cuoi": {"5678"}}); r.status != 303 {
		t.Fatalf("right proof: %d %.300s", r.status, r.body)
	}
	r = u.get("/tra-cuu/" + n)
	for _, detail := range []string{"000.00.19.WALK-00", "Đăng ký kết hôn", "N. V. A.", "<time"} {
		if !strings.Contains(r.body, detail) {
			t.Errorf("the proved page lacks %q", detail)
		}
	}
	if r := u.get("/api/v1/public/track/" + n + "?phone_last4=5678"); r.status != 200 || !strings.Contains(r.body, "WALK-00") {
		t.Errorf("proved JSON: %d %.200s", r.status, r.body)
	}
	if r := u.get("/api/v1/public/track/" + n + "?phone_last4=5679"); r.status == 200 {
		t.Errorf("JSON with wrong digits: %d", r.status)
	}
	// Per parcel: five wrong proofs a day from any clients, then closed.
	m := numbers[1]
	for i := 0; i < 5; i++ {
		w.client(43+i, false).get("/api/v1/public/track/" + m + "?phone_last4=000" + strconv.Itoa(i))
	}
	if r := w.client(49, false).get("/api/v1/public/track/" + m + "?phone_last4=5678"); r.status != 429 {
		t.Errorf("the right proof after five wrong ones on the parcel from other clients: %d, want 429", r.status)
	}
	// Search by dossier code: four digits, not three.
	s := w.client(50, false)
	if r := s.get("/tra-cuu?ma_ho_so=000.00.19.WALK-02&so_cuoi=678"); r.status != 400 {
		t.Errorf("search with three digits: %d, want 400", r.status)
	}
	if r := s.get("/tra-cuu?ma_ho_so=000.00.19.WALK-02&so_cuoi=5678"); r.status != 303 || r.location() != "/tra-cuu/"+numbers[2] {
		t.Errorf("search with four digits: %d %q", r.status, r.location())
	}
}

// citizenFlow starts the citizen's request and proves the phone; it returns
// the details form.
func citizenFlow(t *testing.T, w *world, c *client, dossier, phone string) string {
	t.Helper()
	if r := c.form("/yeu-cau", "/yeu-cau", url.Values{"dossier_code": {dossier}, "phone": {phone}}); r.status != 303 {
		t.Fatalf("citizen start %s: %d %.300s", dossier, r.status, r.body)
	}
	code := sixDigits.FindString(w.lastSMS(phone))
	if code == "" {
		t.Fatalf("no code sent to …%s", phone[7:])
	}
	if r := c.form("/yeu-cau/xac-minh", "/yeu-cau/xac-minh", url.Values{"code": {code}}); r.status != 303 {
		t.Fatalf("citizen code: %d %.300s", r.status, r.body)
	}
	return c.get("/yeu-cau/thong-tin?xa=05443").body
}

// TestProbePrefill: the request forms pre-fill a dossier's procedure and
// documents only for its citizen (the proved phone) or for its desk.
func TestProbePrefill(t *testing.T) {
	w := newWorld(t, worldOpts{env: map[string]string{"HOSO_PUBLIC_RATE_PER_MIN": "10000"}})
	w.portalPickup("000.00.19.PREFILL-1", "0912345678")
	other := citizenFlow(t, w, w.client(60, false), "000.00.19.PREFILL-1", "0987654321")
	for _, s := range []string{"Tờ khai đăng ký kết hôn", "Đăng ký kết hôn"} {
		if strings.Contains(other, s) {
			t.Errorf("another phone's form is pre-filled with %q", s)
		}
	}
	own := citizenFlow(t, w, w.client(61, false), "000.00.19.PREFILL-1", "0912345678")
	if !strings.Contains(own, "Tờ khai đăng ký kết hôn") {
		t.Error("the citizen's own form is not pre-filled")
	}
	if r := w.staff(62, "motcuaxa").get("/nhan-vien/yeu-cau?xa=05443&ma_ho_so=000.00.19.PREFILL-1"); strings.Contains(r.body, "Tờ khai đăng ký kết hôn") {
		t.Error("another desk's clerk form is pre-filled")
	}
	if r := w.staff(63, "motcua").get("/nhan-vien/yeu-cau?xa=05443&ma_ho_so=000.00.19.PREFILL-1"); !strings.Contains(r.body, "Tờ khai đăng ký kết hôn") {
		t.Error("the dossier's desk's clerk form is not pre-filled")
	}
}

var powPattern = regexp.MustCompile(`name="pow_challenge" value="([^"]+)"`)
var bitsPattern = regexp.MustCompile(`data-pow-bits="(\d+)"`)

// solve finds a nonce for a challenge as the page's script does.
func solve(challenge string, need int) string {
	for i := 0; ; i++ {
		nonce := strconv.FormatInt(int64(i), 36)
		sum := sha256.Sum256([]byte(challenge + ":" + nonce))
		z := 0
		for _, b := range sum {
			if b == 0 {
				z += 8
				continue
			}
			z += bits.LeadingZeros8(b)
			break
		}
		if z >= need {
			return nonce
		}
	}
}

// TestProbeCodeMessages: the one-time-code SMS quotes nothing the visitor
// typed; past two codes a day a client must solve a proof of work (once per
// challenge); past four it is refused.
func TestProbeCodeMessages(t *testing.T) {
	w := newWorld(t, worldOpts{env: map[string]string{"HOSO_CODE_CHALLENGE_AFTER": "2", "HOSO_CODE_SMS_PER_SOURCE": "4", "HOSO_POW_BITS": "12",
		"HOSO_PUBLIC_RATE_PER_MIN": "10000"}})
	c := w.client(70, false)
	start := func(i int, extra url.Values) reply {
		v := url.Values{"dossier_code": {"GOI 0900000000 NHAN QUA TANG " + strconv.Itoa(i)}, "phone": {fmt.Sprintf("09220000%02d", i)}}
		for k, x := range extra {
			v[k] = x
		}
		return c.form("/yeu-cau", "/yeu-cau", v)
	}
	if r := start(1, nil); r.status != 303 {
		t.Fatalf("first code: %d", r.status)
	}
	body := w.lastSMS("0922000001")
	if body == "" || strings.Contains(body, "GOI") || strings.Contains(body, "0900000000") || strings.Contains(strings.ToUpper(body), "NHAN QUA") {
		t.Errorf("the code SMS quotes the visitor's text: %q", body)
	}
	if r := start(2, nil); r.status != 303 {
		t.Fatalf("second code: %d", r.status)
	}
	r := start(3, nil)
	m, b := powPattern.FindStringSubmatch(r.body), bitsPattern.FindStringSubmatch(r.body)
	if r.status != 429 || m == nil || b == nil {
		t.Fatalf("third code without a challenge: %d, challenge %v", r.status, m != nil)
	}
	need, _ := strconv.Atoi(b[1])
	nonce := solve(m[1], need)
	if r := start(3, url.Values{"pow_challenge": {m[1]}, "pow_nonce": {nonce}}); r.status != 303 {
		t.Fatalf("third code with the solved challenge: %d %.300s", r.status, r.body)
	}
	if r := start(4, url.Values{"pow_challenge": {m[1]}, "pow_nonce": {nonce}}); r.status == 303 {
		t.Error("a challenge was accepted twice")
	}
	if r := start(4, url.Values{"pow_challenge": {m[1] + "A"}, "pow_nonce": {nonce}}); r.status == 303 {
		t.Error("a forged challenge was accepted")
	}
	fresh := func() url.Values {
		r := c.get("/yeu-cau")
		m, b := powPattern.FindStringSubmatch(r.body), bitsPattern.FindStringSubmatch(r.body)
		if m == nil || b == nil {
			t.Fatal("the form has no challenge past the threshold")
		}
		need, _ := strconv.Atoi(b[1])
		return url.Values{"pow_challenge": {m[1]}, "pow_nonce": {solve(m[1], need)}}
	}
	if r := start(4, fresh()); r.status != 303 {
		t.Fatalf("fourth code: %d", r.status)
	}
	if r := start(5, fresh()); r.status != 429 || !strings.Contains(r.body, "mức tối đa") {
		t.Errorf("fifth code from one client: %d, want 429 (daily budget)", r.status)
	}
	// Another client starts afresh.
	if r := w.client(71, false).form("/yeu-cau", "/yeu-cau", url.Values{"dossier_code": {"000.00.19.X"}, "phone": {"0922000099"}}); r.status != 303 {
		t.Errorf("another client's first code: %d", r.status)
	}
}

// TestProbeCodeBudgetInAll: the service sends at most HOSO_CODE_SMS_PER_DAY
// codes a day, whoever asks.
func TestProbeCodeBudgetInAll(t *testing.T) {
	w := newWorld(t, worldOpts{env: map[string]string{"HOSO_CODE_SMS_PER_DAY": "3", "HOSO_CODE_CHALLENGE_AFTER": "100"}})
	var st []int
	for i := 0; i < 4; i++ {
		r := w.client(80+i, false).form("/yeu-cau", "/yeu-cau", url.Values{"dossier_code": {"000.00.19.ALL"}, "phone": {fmt.Sprintf("09330000%02d", i)}})
		st = append(st, r.status)
	}
	if fmt.Sprint(st) != "[303 303 303 503]" {
		t.Errorf("codes from four clients past a budget of three: %v", st)
	}
}

// TestProbeCodeAttempts: 24 wrong codes sent at once count as 24 tries:
// five are checked, the rest refused, and the flow is dead.
func TestProbeCodeAttempts(t *testing.T) {
	w := newWorld(t, worldOpts{env: map[string]string{"HOSO_PUBLIC_RATE_PER_MIN": "10000"}})
	c := w.client(90, false)
	if r := c.form("/yeu-cau", "/yeu-cau", url.Values{"dossier_code": {"000.00.19.OTP"}, "phone": {"0944000001"}}); r.status != 303 {
		t.Fatal(r.status)
	}
	code := sixDigits.FindString(w.lastSMS("0944000001"))
	tok := c.token("/yeu-cau/xac-minh")
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	var mu sync.Mutex
	counts := map[int]int{}
	var wg sync.WaitGroup
	for i := 0; i < 24; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := c.do("POST", "/yeu-cau/xac-minh", []byte(url.Values{"_csrf": {tok}, "code": {wrong}}.Encode()), "application/x-www-form-urlencoded", nil)
			mu.Lock()
			counts[r.status]++
			mu.Unlock()
		}()
	}
	wg.Wait()
	if counts[422] > 5 || counts[422]+counts[429] != 24 {
		t.Errorf("24 parallel wrong codes: %v, want at most five checked (422), the rest 429", counts)
	}
	if r := c.form("/yeu-cau/xac-minh", "/yeu-cau/xac-minh", url.Values{"code": {code}}); r.status == 303 {
		t.Error("the right code passed after the attempts were spent")
	}
}

// TestProbeBanners: a success banner comes from the server, never from a
// URL someone sent.
func TestProbeBanners(t *testing.T) {
	w := newWorld(t, worldOpts{})
	const lure = "Tài khoản bị khóa, gọi 0900000000"
	q := "?thong-bao=" + url.QueryEscape(lure)
	for _, x := range []struct{ user, path string }{
		{"buucuc", "/buu-cuc" + q}, {"buucuc", "/buu-cuc?bang-ke=" + url.QueryEscape(lure)},
		{"motcua", "/mot-cua" + q}, {"quantri", "/nhan-vien/thu-ho" + q},
	} {
		r := w.staff(100, x.user).get(x.path)
		if strings.Contains(r.body, "0900000000") {
			t.Errorf("%s shows the text of its URL", x.path)
		}
	}
}
