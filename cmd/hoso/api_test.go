package main

import (
	"encoding/json"
	"regexp"
	"sort"
	"strings"
	"testing"

	"hoso/internal/web"
)

// TestOpenAPIMatchesRoutes: every /api/v1 route is in the document and every
// path of the document is a route.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	e := startServer(t, nil)
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(web.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q", doc.OpenAPI)
	}
	param := regexp.MustCompile(`:([a-z_]+)`)
	inRoutes := map[string]bool{}
	for _, r := range e.sys.web.Routes() {
		if !strings.HasPrefix(r.Path, "/api/v1/") {
			continue
		}
		key := strings.ToLower(r.Method) + " " + param.ReplaceAllString(r.Path, "{$1}")
		inRoutes[key] = true
	}
	inDoc := map[string]bool{}
	for path, ops := range doc.Paths {
		for m := range ops {
			if m == "parameters" {
				continue
			}
			inDoc[m+" "+path] = true
		}
	}
	var missing, extra []string
	for k := range inRoutes {
		if !inDoc[k] {
			missing = append(missing, k)
		}
	}
	for k := range inDoc {
		if !inRoutes[k] {
			extra = append(extra, k)
		}
	}
	sort.Strings(missing)
	sort.Strings(extra)
	if len(missing) > 0 {
		t.Errorf("routes missing from openapi.json: %v", missing)
	}
	if len(extra) > 0 {
		t.Errorf("openapi.json paths with no route: %v", extra)
	}
	// The served document is the same one.
	resp, body := e.get("/api/v1/openapi.json")
	if resp.StatusCode != 200 || string(body) != string(web.OpenAPI()) {
		t.Errorf("served document differs (%d)", resp.StatusCode)
	}
	// The state machine is published.
	resp, body = e.get("/api/v1/states")
	var states struct {
		States      []map[string]any `json:"states"`
		Transitions []map[string]any `json:"transitions"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &states) != nil || len(states.States) < 15 || len(states.Transitions) < 15 {
		t.Errorf("states = %d %.200s", resp.StatusCode, body)
	}
}

func TestPublicTrackingSame404AndMasked(t *testing.T) {
	e := startServer(t, nil)
	c := e.portal()
	r := c.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.PUB-1")), "pub-1")
	var created map[string]string
	r.json(t, &created)
	n := created["tracking_number"]

	// Anyone with the number: status, holder and steps, no details.
	resp, body := e.get("/tra-cuu/" + n)
	if resp.StatusCode != 200 {
		t.Fatalf("page %d", resp.StatusCode)
	}
	page := string(body)
	for _, want := range []string{n, "Đã tiếp nhận yêu cầu thu gom hồ sơ", "4 số cuối điện thoại"} {
		if !strings.Contains(page, want) {
			t.Errorf("public page lacks %q", want)
		}
	}
	for _, secret := range []string{"0912345678", "019090001234", "Nguyễn Văn A", "Số 12, tổ 3", "N. V. A.", "xxx 678", "000.00.19.PUB-1"} {
		if strings.Contains(page, secret) {
			t.Errorf("public page shows %q", secret)
		}
	}
	// The citizen's proof (the phone's last four digits) opens the details.
	resp, body = e.get("/api/v1/public/track/" + n + "?phone_last4=5678")
	full := string(body)
	for _, want := range []string{"N. V. A.", "09xx xxx 678", "4 giấy tờ: 2 bản chính, 2 bản sao chứng thực", "000.00.19.PUB-1"} {
		if resp.StatusCode != 200 || !strings.Contains(full, want) {
			t.Errorf("proved JSON lacks %q: %d %.300s", want, resp.StatusCode, full)
		}
	}
	for _, secret := range []string{"0912345678", "019090001234", "Nguyễn Văn A", "Số 12, tổ 3"} {
		if strings.Contains(full, secret) {
			t.Errorf("proved JSON shows %q", secret)
		}
	}
	resp, body = e.get("/api/v1/public/track/" + n)
	if resp.StatusCode != 200 || strings.Contains(string(body), "0912345678") || strings.Contains(string(body), "Số 12") ||
		strings.Contains(string(body), "N. V. A.") || strings.Contains(string(body), "PUB-1") {
		t.Errorf("public JSON %d %s", resp.StatusCode, body)
	}
	// Unknown and malformed numbers: the same 404.
	unknown := n[:2] + "99999999" + n[10:]
	// keep the check digit valid for the unknown number
	_, bu := e.get("/api/v1/public/track/EA999999995VN")
	_, bm := e.get("/api/v1/public/track/EA99999999XVN")
	_, bz := e.get("/api/v1/public/track/" + strings.ToLower(unknown))
	if string(bu) != string(bm) || string(bm) != string(bz) {
		t.Errorf("404 bodies differ: %s | %s | %s", bu, bm, bz)
	}
	r1, p1 := e.get("/tra-cuu/EA999999995VN")
	r2, p2 := e.get("/tra-cuu/not-a-number")
	if r1.StatusCode != 404 || r2.StatusCode != 404 || stripRequestID(p1) != stripRequestID(p2) {
		t.Errorf("404 pages differ (%d, %d)", r1.StatusCode, r2.StatusCode)
	}
	// Search by dossier code and the last four digits.
	resp, _ = e.get("/tra-cuu?ma_ho_so=000.00.19.PUB-1&so_cuoi=5678")
	if resp.Request.URL.Path != "/tra-cuu/"+n {
		t.Errorf("search landed on %s", resp.Request.URL.Path)
	}
	resp, _ = e.get("/tra-cuu?ma_ho_so=000.00.19.PUB-1&so_cuoi=5679")
	if resp.StatusCode != 404 {
		t.Errorf("wrong digits = %d", resp.StatusCode)
	}
}

var ridPattern = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f-]{27}`)

func stripRequestID(b []byte) string { return ridPattern.ReplaceAllString(string(b), "") }
