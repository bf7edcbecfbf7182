package securityprobe_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/internal/pg"
	"hoso/internal/pg/pgtest"
	"hoso/internal/secret"
	"hoso/internal/testenv"
)

// probeBin is the binary under probe: built once by TestMain, or named by
// HOSO_PROBE_BINARY.
var probeBin string

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "hoso-probe-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if b := os.Getenv("HOSO_PROBE_BINARY"); b != "" {
		probeBin = b
	} else if !testing.Short() {
		probeBin = filepath.Join(dir, "hoso")
		cmd := exec.Command("go", "build", "-o", probeBin, "./cmd/hoso")
		cmd.Dir = repoRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "securityprobe: go build: %v\n%s", err, out)
			return 1
		}
	}
	return m.Run()
}

func repoRoot() string {
	dir, _ := os.Getwd()
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "."
		}
		dir = parent
	}
}

// probeKeys are fixed non-demo keys.
var probeKeys = map[string]string{
	"HOSO_DATA_KEY":    strings.Repeat("51", 32),
	"HOSO_HASH_KEY":    strings.Repeat("52", 32),
	"HOSO_SESSION_KEY": strings.Repeat("53", 32),
	"HOSO_RECEIPT_KEY": strings.Repeat("54", 32),
	"HOSO_LOG_KEY":     strings.Repeat("56", 32),
}

// Accounts of every world: username → role and unit. The password is
// "mat-khau-" + username.
var probeAccounts = []struct{ username, role, flag, unit string }{
	{"quantri", "admin", "", ""},
	{"dieuphoi", "dispatcher", "--office", "BC-05443"},
	{"buucuc", "post_office", "--office", "BC-05443"},
	{"buucuc2", "post_office", "--office", "BC-05488"},
	{"buuta1", "courier", "--office", "BC-05443"},
	{"buuta3", "courier", "--office", "BC-05443"},
	{"buuta2", "courier", "--office", "BC-05488"},
	{"motcua", "desk", "--desk", "TN-TTPVHCC"},
	{"motcuaxa", "desk", "--desk", "TN-MC-05455"},
}

func password(user string) string { return "mat-khau-" + user }

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// world is the binary serving a fresh database, maybe behind nginx.
type world struct {
	t            *testing.T
	dbURL        string
	db           *pg.DB
	addr         string // the server's host:port
	base         string // http://addr
	front        string // nginx, when the world has a proxy: http://127.0.0.1:port
	env          map[string]string
	logs         *syncBuffer
	portalID     string
	portalSecret string
	proc         *exec.Cmd
}

type worldOpts struct {
	env   map[string]string
	proxy bool // nginx in front; the server trusts 127.0.0.2 (nginx's source address)
}

// needProbe skips in -short runs and without PostgreSQL (failing under CI).
func needProbe(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("security probe skipped with -short")
	}
	a, err := pg.Open(context.Background(), pgtest.AdminURL(), pg.Options{PoolSize: 1})
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL unreachable in CI: %v", err)
		}
		t.Skipf("PostgreSQL unreachable: %v", err)
	}
	a.Close()
}

func newWorld(t *testing.T, o worldOpts) *world {
	t.Helper()
	needProbe(t)
	ctx := context.Background()
	name := "hoso_probe_" + strings.ToLower(strings.NewReplacer("-", "x", "_", "y").Replace(secret.Token(6)))
	w := &world{t: t, dbURL: pgtest.URLFor(name), logs: &syncBuffer{}, env: map[string]string{}}
	for k, v := range probeKeys {
		w.env[k] = v
	}
	w.env["HOSO_DATABASE_URL"] = w.dbURL
	w.env["HOSO_LOG_LEVEL"] = "info"
	t.Cleanup(func() {
		a, err := pg.Open(context.Background(), pgtest.AdminURL(), pg.Options{PoolSize: 1})
		if err == nil {
			_ = a.ExecForTest(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
			a.Close()
		}
	})
	w.cli("migrate", "--create-db")
	db, err := pg.Open(ctx, w.dbURL, pg.Options{PoolSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w.db = db
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.UpsertDesk(ctx, app.Desk{Code: "TN-TTPVHCC", Name: "Trung tâm Phục vụ hành chính công tỉnh Thái Nguyên", Level: "province", CommuneCode: "05443", ProvinceCode: "19"}))
	must(db.UpsertDesk(ctx, app.Desk{Code: "TN-MC-05455", Name: "Bộ phận một cửa phường Quyết Thắng", Level: "commune", CommuneCode: "05455", ProvinceCode: "19"}))
	must(db.UpsertOffice(ctx, app.PostOffice{Code: "BC-05443", Name: "Bưu cục Phan Đình Phùng", CommuneCode: "05443", ProvinceCode: "19", Lat: 21.5887, Lng: 105.8338}))
	must(db.UpsertOffice(ctx, app.PostOffice{Code: "BC-05488", Name: "Bưu cục Đại Phúc", CommuneCode: "05488", ProvinceCode: "19", Lat: 21.5765, Lng: 105.7095}))
	for _, a := range probeAccounts {
		args := []string{"user", "add", a.username, "--role", a.role, "--password", password(a.username), "--name", "Cán bộ " + a.username}
		if a.flag != "" {
			args = append(args, a.flag, a.unit)
		}
		w.cli(args...)
	}
	out := w.cli("portal", "add", "dvc-probe", "--province", "19", "--name", "Cổng thử")
	m := regexp.MustCompile(`secret: (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("portal add printed no secret: %s", out)
	}
	w.portalID, w.portalSecret = "dvc-probe", m[1]
	for k, v := range o.env {
		w.env[k] = v
	}
	if o.proxy {
		if _, ok := w.env["HOSO_TRUSTED_PROXIES"]; !ok {
			w.env["HOSO_TRUSTED_PROXIES"] = "127.0.0.2/32"
		}
	}
	w.start()
	if o.proxy {
		w.front = startNginx(t, w.addr)
	}
	return w
}

// environ is the child's environment: only what the world sets, plus PATH
// and HOME.
func (w *world) environ() []string {
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	for k, v := range w.env {
		env = append(env, k+"="+v)
	}
	return env
}

// cli runs a subcommand of the binary and returns its output.
func (w *world) cli(args ...string) string {
	w.t.Helper()
	cmd := exec.Command(probeBin, args...)
	cmd.Env = w.environ()
	out, err := cmd.CombinedOutput()
	if err != nil {
		w.t.Fatalf("hoso %s: %v\n%s", strings.Join(args[:min(2, len(args))], " "), err, out)
	}
	return string(out)
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (w *world) start() {
	t := w.t
	w.addr = "127.0.0.1:" + strconv.Itoa(freePort(t))
	w.base = "http://" + w.addr
	w.env["HOSO_ADDR"] = w.addr
	cmd := exec.Command(probeBin, "serve")
	cmd.Env = w.environ()
	cmd.Stdout, cmd.Stderr = w.logs, w.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	w.proc = cmd
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(w.base + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("hoso serve exited: %v\n%s", err, w.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("hoso serve did not answer /healthz in 30 s\n%s", w.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// startNginx puts nginx on 127.0.0.1 in front of backend: "/" adds
// X-Forwarded-For as a proxy should, "/bare/" adds none (a proxy that
// forgets it). nginx talks to the backend from 127.0.0.2, the address the
// server trusts; clients come from other loopback addresses.
func startNginx(t *testing.T, backend string) string {
	t.Helper()
	// Missing nginx fails the test with the command that installs it.
	bin := "/usr/sbin/nginx"
	if _, err := os.Stat(bin); err != nil {
		bin = testenv.Tool(t, "nginx")
	}
	dir := t.TempDir()
	port := freePort(t)
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	conf := fmt.Sprintf(`%s
worker_processes 1;
pid %[2]s/nginx.pid;
error_log %[2]s/error.log warn;
events { worker_connections 256; }
http {
  access_log off;
  client_body_temp_path %[2]s/body;
  proxy_temp_path %[2]s/proxy;
  fastcgi_temp_path %[2]s/fastcgi;
  uwsgi_temp_path %[2]s/uwsgi;
  scgi_temp_path %[2]s/scgi;
  upstream hoso { server %[3]s; }
  server {
    listen 127.0.0.1:%[4]d;
    location / {
      proxy_pass http://hoso;
      proxy_bind 127.0.0.2;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
    location /bare/ {
      proxy_pass http://hoso/;
      proxy_bind 127.0.0.2;
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For "";
    }
  }
}
`, user, dir, backend, port)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-e", filepath.Join(dir, "error.log"), "-g", "daemon off;")
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGQUIT)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	front := "http://127.0.0.1:" + strconv.Itoa(port)
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(front + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return front
			}
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx exited: %v\n%s\n%s", err, out.String(), log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx did not answer in 15 s\n%s", log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// client is one visitor: a loopback source address, cookies, no redirects
// followed.
type client struct {
	t    *testing.T
	w    *world
	base string
	rt   http.RoundTripper // no client: a Location a browser would follow anywhere must not stop the test
	jar  http.CookieJar
	src  string
}

// client returns a visitor calling from 127.0.0.src, directly or through
// nginx.
func (w *world) client(src int, viaProxy bool) *client {
	ip := net.IPv4(127, 0, 0, byte(src))
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: ip}, Timeout: 10 * time.Second}
	jar, _ := cookiejar.New(nil)
	base := w.base
	if viaProxy {
		base = w.front
	}
	return &client{t: w.t, w: w, base: base, src: ip.String(), jar: jar,
		rt: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true, ResponseHeaderTimeout: 60 * time.Second}}
}

type reply struct {
	status int
	header http.Header
	body   string
}

func (r reply) location() string { return r.header.Get("Location") }

func (c *client) do(method, path string, body []byte, ctype string, hdr map[string]string) reply {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	for _, ck := range c.jar.Cookies(req.URL) {
		req.AddCookie(ck)
	}
	resp, err := c.rt.RoundTrip(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	c.jar.SetCookies(req.URL, resp.Cookies())
	b, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func (c *client) get(path string, hdr ...map[string]string) reply {
	c.t.Helper()
	var h map[string]string
	if len(hdr) > 0 {
		h = hdr[0]
	}
	return c.do("GET", path, nil, "", h)
}

var csrfPattern = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

// token reads the form token of a page.
func (c *client) token(page string) string {
	c.t.Helper()
	r := c.get(page)
	m := csrfPattern.FindStringSubmatch(r.body)
	if m == nil {
		c.t.Fatalf("no form token on %s (%d)", page, r.status)
	}
	return m[1]
}

// form posts a form with the token of page (the form's own page).
func (c *client) form(page, path string, v url.Values, hdr ...map[string]string) reply {
	c.t.Helper()
	if v == nil {
		v = url.Values{}
	}
	v.Set("_csrf", c.token(page))
	var h map[string]string
	if len(hdr) > 0 {
		h = hdr[0]
	}
	return c.do("POST", path, []byte(v.Encode()), "application/x-www-form-urlencoded", h)
}

func (c *client) postJSON(path string, body any, hdr map[string]string) reply {
	c.t.Helper()
	b, _ := json.Marshal(body)
	return c.do("POST", path, b, "application/json", hdr)
}

// login signs in on the staff page.
func (c *client) login(user, pw string) reply {
	c.t.Helper()
	return c.form("/dang-nhap", "/dang-nhap", url.Values{"username": {user}, "password": {pw}, "next": {"/nhan-vien"}})
}

// staff is a signed-in staff client.
func (w *world) staff(src int, user string) *client {
	w.t.Helper()
	c := w.client(src, false)
	if r := c.login(user, password(user)); r.status != 303 {
		w.t.Fatalf("login %s: %d %.300s", user, r.status, r.body)
	}
	return c
}

// tokenRequest asks the courier app's token endpoint.
func (c *client) tokenRequest(user, pw, device string) reply {
	c.t.Helper()
	return c.postJSON("/api/v1/auth/token", map[string]string{"username": user, "password": pw, "device_id": device}, nil)
}

// portalPickup creates a pickup through the signed portal API and returns
// its tracking number.
func (w *world) portalPickup(code, phone string) (number, id string) {
	w.t.Helper()
	s := nextServiceDay()
	body := map[string]any{
		"dossier": map[string]any{"code": code, "procedure_code": "1.001234", "procedure_name": "Đăng ký kết hôn",
			"desk_code": "TN-TTPVHCC", "legal_deadline": "2026-12-05"},
		"citizen": map[string]any{"full_name": "Nguyễn Văn A", "phone": phone, "id_number": "019090001234"},
		"address": map[string]any{"province_code": "19", "commune_code": "05443", "line": "Số 12, tổ 3", "lat": 21.5942, "lng": 105.8482},
		"documents": []any{
			map[string]any{"name": "Tờ khai đăng ký kết hôn", "kind": "original", "count": 1},
			map[string]any{"name": "Giấy xác nhận tình trạng hôn nhân", "kind": "original", "count": 1},
		},
		"windows":        []any{map[string]any{"start": s.Format(time.RFC3339), "end": s.Add(2 * time.Hour).Format(time.RFC3339)}},
		"return_by_post": true,
	}
	b, _ := json.Marshal(body)
	r := w.signed("POST", "/api/v1/portal/pickups", b, "probe-"+code)
	if r.status != 201 {
		w.t.Fatalf("portal pickup %s: %d %s", code, r.status, r.body)
	}
	var out map[string]any
	_ = json.Unmarshal([]byte(r.body), &out)
	return out["tracking_number"].(string), out["id"].(string)
}

// nextServiceDay is 08:00 Vietnam time two service days ahead.
func nextServiceDay() time.Time {
	vn := time.FixedZone("ICT", 7*3600)
	d := time.Now().In(vn).AddDate(0, 0, 2)
	for d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, 1)
	}
	return time.Date(d.Year(), d.Month(), d.Day(), 8, 0, 0, 0, vn)
}

// signed sends a request signed as the portal client.
func (w *world) signed(method, path string, body []byte, idem string) reply {
	w.t.Helper()
	req, _ := http.NewRequest(method, w.base+path, bytes.NewReader(body))
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := secret.Token(12)
	sum := sha256.Sum256(body)
	m := hmac.New(sha256.New, []byte(w.portalSecret))
	m.Write([]byte(method + "\n" + req.URL.RequestURI() + "\n" + ts + "\n" + nonce + "\n" + hex.EncodeToString(sum[:])))
	req.Header.Set("X-Portal-Id", w.portalID)
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Nonce", nonce)
	req.Header.Set("X-Signature", hex.EncodeToString(m.Sum(nil)))
	req.Header.Set("Content-Type", "application/json")
	if idem != "" {
		req.Header.Set("Idempotency-Key", idem)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// count runs a count query on the world's database.
func (w *world) count(q string, args ...any) int {
	w.t.Helper()
	n, err := w.db.CountForTest(context.Background(), q, args...)
	if err != nil {
		w.t.Fatal(err)
	}
	return n
}

// userID is an account's id.
func (w *world) userID(user string) int64 {
	w.t.Helper()
	id := w.count(`SELECT id::int FROM users WHERE username = ?`, user)
	if id == 0 {
		w.t.Fatalf("no user %s", user)
	}
	return int64(id)
}

// lastCode is the one-time code in the latest SMS to a phone.
func (w *world) lastSMS(phone string) string {
	w.t.Helper()
	ms, err := w.db.FindSMS(context.Background(), 50)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, m := range ms {
		if strings.HasSuffix(phone, m.PhoneLast3) {
			return m.Body
		}
	}
	return ""
}

var sixDigits = regexp.MustCompile(`\b(\d{6})\b`)

// courier is the courier app: a bearer token and a device key that signs
// every event.
type courier struct {
	c     *client
	token string
	key   *ecdsa.PrivateKey
}

func (w *world) courier(src int, user string) *courier {
	w.t.Helper()
	return w.courierWith(src, user, password(user))
}

// courierWith is courier for an account whose password is pw.
func (w *world) courierWith(src int, user, pw string) *courier {
	w.t.Helper()
	c := w.client(src, false)
	r := c.tokenRequest(user, pw, "probe-device-"+user)
	var out struct{ Token string }
	if r.status != 200 || json.Unmarshal([]byte(r.body), &out) != nil || out.Token == "" {
		w.t.Fatalf("token %s: %d %s", user, r.status, r.body)
	}
	k := &courier{c: c, token: out.Token}
	k.key, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	spki, _ := x509.MarshalPKIXPublicKey(&k.key.PublicKey)
	if r := k.post("/api/v1/courier/device-key", map[string]string{"alg": "ES256", "public_key": base64.StdEncoding.EncodeToString(spki), "password": pw}); r.status != 201 {
		w.t.Fatalf("device key %s: %d %s", user, r.status, r.body)
	}
	return k
}

func (k *courier) auth() map[string]string {
	return map[string]string{"Authorization": "Bearer " + k.token}
}

func (k *courier) post(path string, body any) reply { return k.c.postJSON(path, body, k.auth()) }

// event is a courier event signed by the device key.
func (k *courier) event(typ, number string, data any) map[string]any {
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	id[6] = id[6]&0x0f | 0x40
	id[8] = id[8]&0x3f | 0x80
	h := hex.EncodeToString(id)
	ev := map[string]any{"id": h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], "type": typ, "tracking_number": number,
		"at": time.Now().Format(time.RFC3339), "lat": 21.59, "lng": 105.84, "data": data}
	d, _ := json.Marshal(ev["data"])
	lat, _ := json.Marshal(ev["lat"])
	lng, _ := json.Marshal(ev["lng"])
	msg := "hoso-event-v1\n" + ev["id"].(string) + "\n" + typ + "\n" + number + "\n" + ev["at"].(string) + "\n" + string(lat) + "\n" + string(lng) + "\n" + string(d)
	sum := sha256.Sum256([]byte(msg))
	r, s, _ := ecdsa.Sign(rand.Reader, k.key, sum[:])
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	ev["signature"] = base64.StdEncoding.EncodeToString(sig)
	return ev
}

// send posts events and returns each result's status.
func (k *courier) send(evs ...map[string]any) []string {
	k.c.t.Helper()
	r := k.post("/api/v1/courier/events", map[string]any{"events": evs})
	var out struct {
		Results []struct {
			Status string
			Error  *struct{ Code, Message string }
		}
	}
	_ = json.Unmarshal([]byte(r.body), &out)
	var st []string
	for _, x := range out.Results {
		s := x.Status
		if x.Error != nil {
			s += " (" + x.Error.Message + ")"
		}
		st = append(st, s)
	}
	if r.status != 200 {
		k.c.t.Logf("courier events: %d %s", r.status, r.body)
	}
	return st
}
