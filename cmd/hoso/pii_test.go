package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"hoso/internal/testenv"
)

// psql runs one query on the test database with psql and returns its rows
// (unaligned, tuples only). Tests use it for catalogue queries the store
// has no method for.
func (e *testEnv) psql(q string) []string {
	e.t.Helper()
	return psqlAt(e.t, e.url, q)
}

func psqlAt(t *testing.T, dbURL, q string) []string {
	t.Helper()
	testenv.Tool(t, "psql")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "psql", "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", dbURL, "-f", "-")
	cmd.Stdin = strings.NewReader(q + ";\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("psql: %v\n%s", err, out)
	}
	s := strings.TrimRight(string(out), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// piiFixture is personal data that enters the system only through the
// phone and CCCD fields of the portal, the citizen's form, the clerk's form,
// a result registered for a dossier filed at the desk, and a courier's
// delivery check.
var piiFixture = struct {
	phones, ids []string
}{
	phones: []string{"0912345678", "0977111222", "0966333444", "0955444333"},
	ids:    []string{"019090001234", "019188007766", "019277005544", "019366004433"},
}

// citizenFlow asks for a pickup through the public pages: dossier code and
// phone, the one-time code from the demo SMS store, then the details.
func citizenFlow(t *testing.T, e *testEnv, dossier, phone, cccd string) string {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	token := func(path string) string {
		resp, err := c.Get(e.base + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		m := csrfPattern.FindSubmatch(b)
		if m == nil {
			t.Fatalf("no CSRF token on %s (%d)", path, resp.StatusCode)
		}
		return string(m[1])
	}
	post := func(path string, v url.Values) (*http.Response, string) {
		v.Set("_csrf", token("/yeu-cau"))
		resp, err := c.PostForm(e.base+path, v)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp, string(b)
	}
	if resp, body := post("/yeu-cau", url.Values{"dossier_code": {dossier}, "phone": {phone}}); resp.Request.URL.Path != "/yeu-cau/xac-minh" {
		t.Fatalf("citizen start: %d %s %.300s", resp.StatusCode, resp.Request.URL.Path, body)
	}
	ms, err := e.db.FindSMS(context.Background(), 20)
	if err != nil {
		t.Fatal(err)
	}
	code := ""
	for _, m := range ms {
		if x := regexp.MustCompile(`(\d{6})`).FindString(m.Body); x != "" && strings.HasSuffix(phone, m.PhoneLast3) {
			code = x
			break
		}
	}
	if code == "" {
		t.Fatalf("no code sent to …%s", phone[7:])
	}
	if resp, body := post("/yeu-cau/xac-minh", url.Values{"code": {code}}); resp.Request.URL.Path != "/yeu-cau/thong-tin" {
		t.Fatalf("citizen code: %d %s %.300s", resp.StatusCode, resp.Request.URL.Path, body)
	}
	s, en := nextWindow(2)
	resp, body := post("/yeu-cau/thong-tin", url.Values{"full_name": {"Lường Thị Hoà"}, "id_number": {cccd}, "commune": {"05443"},
		"line": {"Số 7, tổ 12"}, "desk": {"TN-TTPVHCC"}, "slot": {fmt.Sprintf("%d-%d", s.Unix(), en.Unix())},
		"doc_name_0": {"Tờ khai đăng ký khai sinh"}, "doc_kind_0": {"original"}, "doc_count_0": {"1"}})
	if !strings.HasPrefix(resp.Request.URL.Path, "/yeu-cau/xong/") && !strings.HasPrefix(resp.Request.URL.Path, "/tra-cuu/") {
		t.Fatalf("citizen details: %d %s %.600s", resp.StatusCode, resp.Request.URL.Path, body)
	}
	return resp.Request.URL.Path[strings.LastIndexByte(resp.Request.URL.Path, '/')+1:]
}

// piiJourneys runs every path personal data takes into the system.
func piiJourneys(t *testing.T, e *testEnv) {
	t.Helper()
	ph, id := piiFixture.phones, piiFixture.ids
	portal := e.portal()
	// 1. The portal, with phone and CCCD; collected with the door code,
	// carried to the desk and accepted.
	b := validBody("000.00.19.PII-PORTAL")
	b["citizen"].(map[string]any)["phone"], b["citizen"].(map[string]any)["id_number"] = ph[0], id[0]
	r := portal.do("POST", "/api/v1/portal/pickups", mustJSON(t, b), "pii-portal")
	if r.status != 201 {
		t.Fatalf("portal create: %d %s", r.status, r.body)
	}
	var created map[string]string
	r.json(t, &created)
	n := created["tracking_number"]
	courier := e.courier("buuta1")
	if code, body := courier.post("/api/v1/courier/stops/"+n+"/code", nil); code != 204 {
		t.Fatalf("door code: %d %s", code, body)
	}
	// The latest code message: the relay may deliver the request's own
	// notice after it.
	ms, _ := e.db.FindSMS(context.Background(), 10)
	var otp []string
	for _, sms := range ms {
		if otp = regexp.MustCompile(`Ma xac nhan (\d{6})`).FindStringSubmatch(sms.Body); otp != nil {
			break
		}
	}
	if otp == nil {
		t.Fatalf("no door code among the latest %d SMS", len(ms))
	}
	docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}}
	_, res := courier.send(ev("pickup.collected", n, map[string]any{"documents": docs, "seal_id": "NP-PII-1", "method": "otp", "otp": otp[1]}))
	wantStatuses(t, "collect with the door code", res, "accepted")
	if code, body := courier.post("/api/v1/courier/stops/"+n+"/reveal", nil); code != 200 || !strings.Contains(string(body), ph[0]) {
		t.Fatalf("reveal: %d %s", code, body)
	}
	_, res = courier.send(ev("handoff.released", n, map[string]any{"to": "desk:TN-TTPVHCC"}))
	wantStatuses(t, "release to the desk", res, "accepted")
	desk := e.login("motcua")
	res = desk.events(ev("handoff.confirmed", n, map[string]any{"seal_intact": true, "documents": docs}),
		ev("desk.accepted", n, map[string]any{}))
	wantStatuses(t, "desk receives and accepts", res, "accepted", "accepted")

	// 2. The citizen's own form, with phone and CCCD.
	citizenFlow(t, e, "000.00.19.PII-CITIZEN", ph[1], id[1])

	// 3. The clerk's form on the citizen's behalf.
	clerk := e.login("motcua")
	s, en := nextWindow(2)
	st, body := clerk.postForm("/nhan-vien/yeu-cau", url.Values{"dossier_code": {"000.00.19.PII-CLERK"}, "phone": {ph[2]}, "full_name": {"Đinh Văn Tâm"},
		"id_number": {id[2]}, "commune": {"05443"}, "line": {"Số 3"}, "desk": {"TN-TTPVHCC"}, "slot": {fmt.Sprintf("%d-%d", s.Unix(), en.Unix())},
		"doc_name_0": {"Tờ khai"}, "doc_kind_0": {"original"}, "doc_count_0": {"1"}})
	if st != 200 || !strings.Contains(body, "EA") {
		t.Fatalf("clerk form: %d %.500s", st, body)
	}

	// 4. A result for a dossier filed at the desk, with the citizen's
	// contact; the courier checks the recipient's CCCD at the door, first
	// a wrong one (refused and kept), then the right one.
	rb := fmt.Sprintf(`{"documents":[{"name":"Giấy khai sinh","kind":"original","count":1}],"desk_code":"TN-TTPVHCC",
		"citizen":{"full_name":"Hà Thị Mai","phone":"%s","id_number":"%s"},"address":{"province_code":"19","commune_code":"05455","line":"Tổ 5"}}`, ph[3], id[3])
	r = portal.do("POST", "/api/v1/portal/dossiers/000.00.19.PII-RESULT/result", []byte(rb), "pii-result")
	if r.status != 201 {
		t.Fatalf("result: %d %s", r.status, r.body)
	}
	var ret map[string]string
	r.json(t, &ret)
	rn := ret["tracking_number"]
	if st, _ := desk.postForm("/mot-cua/chuyen", url.Values{"numbers": {rn}, "courier": {"BUUTA1"}}); st != 200 {
		t.Fatalf("desk release: %d", st)
	}
	_, res = courier.send(ev("handoff.confirmed", rn, map[string]any{"seal_intact": true}), ev("delivery.out", rn, map[string]any{}))
	wantStatuses(t, "courier takes the result", res, "accepted", "accepted")
	_, res = courier.send(ev("delivery.completed", rn, map[string]any{"id_number": id[1], "signature_sha256": strings.Repeat("34", 32)}))
	wantStatuses(t, "wrong CCCD at the door", res, "rejected")
	_, res = courier.send(ev("delivery.completed", rn, map[string]any{"id_number": id[3], "signature_sha256": strings.Repeat("34", 32)}))
	wantStatuses(t, "right CCCD at the door", res, "accepted")
}

// TestNoPersonalDataInClear runs every journey personal data takes, then
// searches every text, JSON and byte column of every table for the
// fixture's phone numbers (also as +84… and 84…) and CCCD numbers.
func TestNoPersonalDataInClear(t *testing.T) {
	e := startServer(t, nil)
	piiJourneys(t, e)
	var needles []string
	for _, p := range piiFixture.phones {
		needles = append(needles, p, "84"+p[1:])
	}
	needles = append(needles, piiFixture.ids...)
	cols := e.psql(`SELECT table_name || '.' || column_name || '.' || data_type FROM information_schema.columns
		WHERE table_schema = 'public' AND data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'bytea', 'ARRAY', 'USER-DEFINED')
		ORDER BY 1`)
	if len(cols) < 50 {
		t.Fatalf("only %d columns to search", len(cols))
	}
	var conds []string
	for _, n := range needles {
		conds = append(conds, fmt.Sprintf("position(%s IN %%[1]s) > 0", pgQuote(n)))
	}
	var q []string
	for _, c := range cols {
		parts := strings.SplitN(c, ".", 3)
		table, col, typ := parts[0], parts[1], parts[2]
		expr := fmt.Sprintf("%q::text", col)
		if typ == "bytea" {
			expr = fmt.Sprintf("encode(%q, 'escape')", col)
		}
		where := fmt.Sprintf(strings.Join(conds, " OR "), expr)
		q = append(q, fmt.Sprintf(`SELECT %s || ' ' || count(*) FROM public.%q WHERE %s HAVING count(*) > 0`, pgQuote(table+"."+col), table, where))
	}
	hits := e.psql(strings.Join(q, " UNION ALL "))
	for _, h := range hits {
		t.Errorf("personal data in clear: column %s row(s)", h)
	}
	t.Logf("searched %d columns for %d phone forms and %d CCCD numbers", len(cols), len(needles)-len(piiFixture.ids), len(piiFixture.ids))
	// The CCCD is kept as a keyed hash and its last three digits.
	if n := e.count(`SELECT count(*) FROM parcels WHERE id_hash IS NOT NULL AND length(id_hash) = 32 AND id_last3 ~ '^[0-9]{3}$'`); n < 4 {
		t.Errorf("%d parcels with a CCCD hash, want at least 4", n)
	}
}

func pgQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// TestEveryRevealIsAudited: no page or API answer of any caller carries a
// citizen's phone unmasked, except the reveal, and every reveal writes the
// audit log.
func TestEveryRevealIsAudited(t *testing.T) {
	w := newAccessWorld(t)
	phone := "0912345678" // validBody's
	matrix := accessMatrix()
	asked := 0
	for _, r := range w.e.sys.web.Routes() {
		a, ok := matrix[r.Method+" "+r.Path]
		if r.Method != http.MethodGet || !ok {
			continue
		}
		for c := range nCallers {
			if a.ans[c] != allow {
				continue
			}
			_, body := w.do(c, "GET", w.concrete(r.Path)+"?date="+time.Now().Format("2006-01-02"), nil, "")
			asked++
			if bytes.Contains(body, []byte(phone)) || bytes.Contains(body, []byte("84"+phone[1:])) {
				t.Errorf("GET %s as %s shows the phone unmasked", r.Path, callerNames[c])
			}
		}
	}
	before := w.e.count(`SELECT count(*) FROM audit_log WHERE action = 'reveal_phone' AND subject = ?`, w.number)
	c := &courierClient{t: t, base: w.e.base, token: w.token}
	for i := 1; i <= 3; i++ {
		code, body := c.post("/api/v1/courier/stops/"+w.number+"/reveal", nil)
		if code != 200 || !bytes.Contains(body, []byte(phone)) {
			t.Fatalf("reveal %d: %d %s", i, code, body)
		}
		if got := w.e.count(`SELECT count(*) FROM audit_log WHERE action = 'reveal_phone' AND subject = ?`, w.number); got != before+i {
			t.Errorf("after reveal %d the audit log has %d reveals", i, got)
		}
	}
	t.Logf("%d GET answers searched for the unmasked phone", asked)
}
