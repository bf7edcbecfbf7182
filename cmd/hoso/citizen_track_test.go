package main

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// trackAnswer is the public JSON answer as a citizen's app reads it.
type trackAnswer struct {
	Status      string `json:"status"`
	Holder      string `json:"holder"`
	HolderPhone string `json:"holder_phone"`
	Hotline     string `json:"hotline"`
	Problem     *struct {
		Title, Detail string
		ToDo          string `json:"what_to_do"`
	} `json:"problem"`
	Next struct {
		What, When string
	} `json:"next"`
	ReceiptURL string `json:"receipt_url"`
	Timeline   []struct {
		Type       string `json:"type"`
		Superseded bool   `json:"superseded"`
	} `json:"timeline"`
}

func (e *testEnv) trackAnswerOf(t *testing.T, n, query string) trackAnswer {
	t.Helper()
	resp, body := e.get("/api/v1/public/track/" + n + query)
	var out trackAnswer
	if resp.StatusCode != 200 || json.Unmarshal(body, &out) != nil {
		t.Fatalf("public track %s: %d %.300s", n, resp.StatusCode, body)
	}
	return out
}

// A tracking number as the SMS and the receipt print it (in groups), in
// small letters, with dashes: every form finds the parcel; a dossier code
// whatever its case and punctuation; anything else is the one not found.
func TestTrackingForgivingIdentifiers(t *testing.T) {
	e := startServer(t, nil)
	c := e.portal()
	r := c.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.H56-241112-0042")), "forgive-1")
	var created map[string]string
	r.json(t, &created)
	n := created["tracking_number"]
	grouped := n[:2] + " " + n[2:5] + " " + n[5:8] + " " + n[8:11] + " " + n[11:]
	for _, typed := range []string{n, grouped, strings.ToLower(grouped), strings.ReplaceAll(grouped, " ", "-"), " " + n + " ", "ＥＡ" + n[2:]} {
		resp, _ := e.get("/tra-cuu?so=" + url.QueryEscape(typed))
		if resp.StatusCode != 200 || resp.Request.URL.Path != "/tra-cuu/"+n {
			t.Errorf("/tra-cuu?so=%q: %d at %s, want the page of %s", typed, resp.StatusCode, resp.Request.URL.Path, n)
		}
	}
	if resp, _ := e.get("/tra-cuu/" + url.PathEscape(strings.ToLower(grouped))); resp.StatusCode != 200 {
		t.Errorf("/tra-cuu/%s: %d", strings.ToLower(grouped), resp.StatusCode)
	}
	if resp, _ := e.get("/api/v1/public/track/" + url.PathEscape(grouped)); resp.StatusCode != 200 {
		t.Errorf("JSON by the grouped number: %d", resp.StatusCode)
	}
	// Bad input: a wrong check digit, letters only, text that is not UTF-8,
	// markup, a very long value: the same 404 and nothing echoed as HTML.
	bad := n[:10] + string('0'+(n[10]-'0'+1)%10) + n[11:]
	for _, typed := range []string{bad, "EAVN", "EA\xff123456785VN", "<b>EA123456785VN</b>", strings.Repeat("9", 5000)} {
		resp, body := e.get("/tra-cuu?so=" + url.QueryEscape(typed))
		if resp.StatusCode != 404 || strings.Contains(string(body), "<b>EA") {
			t.Errorf("/tra-cuu?so=%.40q: %d", typed, resp.StatusCode)
		}
		if !strings.Contains(string(body), "số hiệu bưu gửi") {
			t.Errorf("/tra-cuu?so=%.40q: the message does not name the tracking number", typed)
		}
	}
	// Dossier codes: case, spaces, dashes and dots do not matter.
	for _, typed := range []string{"000.00.19.H56-241112-0042", "000 00 19 h56 241112 0042", "0000019H562411120042", "000.00.19.h56–241112–0042"} {
		resp, _ := e.get("/tra-cuu?ma_ho_so=" + url.QueryEscape(typed) + "&so_cuoi=5678")
		if typed == "000.00.19.h56–241112–0042" { // en dashes are not separators we accept: searched as typed
			if resp.StatusCode != 404 {
				t.Errorf("dossier %q: %d, want 404", typed, resp.StatusCode)
			}
			continue
		}
		if resp.Request.URL.Path != "/tra-cuu/"+n {
			t.Errorf("dossier %q landed on %s (%d)", typed, resp.Request.URL.Path, resp.StatusCode)
		}
	}
	if resp, _ := e.get("/tra-cuu?ma_ho_so=" + url.QueryEscape("000 00 19 h56 241112 0042") + "&so_cuoi=0000"); resp.StatusCode != 404 {
		t.Errorf("right code, wrong digits: %d", resp.StatusCode)
	}
}

// The top of the page answers: the problem first with what to do, what
// comes next, who holds the papers and their telephone, the hotline from
// configuration; the timeline newest first with out-of-date lines folded;
// the same in the JSON.
func TestTrackingPageAnswers(t *testing.T) {
	e := startServer(t, map[string]string{"HOSO_HOTLINE": "0208 3855 555"})
	ctx := context.Background()
	if err := e.db.ExecForTest(ctx, `UPDATE desks SET phone = '0208 3656 789' WHERE code = 'TN-TTPVHCC'`); err != nil {
		t.Fatal(err)
	}
	if err := e.db.ExecForTest(ctx, `UPDATE post_offices SET phone = '0208 3855 001' WHERE code = 'BC-05443'`); err != nil {
		t.Fatal(err)
	}
	if err := e.db.ExecForTest(ctx, `UPDATE post_offices SET phone = 'gọi tôi' WHERE code = 'BC-05443'`); err == nil {
		t.Error("the schema took a telephone number that is not one")
	}
	c := e.portal()
	r := c.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.ANS-1")), "answer-1")
	var created map[string]string
	r.json(t, &created)
	n := created["tracking_number"]

	got := e.trackAnswerOf(t, n, "")
	if got.Hotline != "0208 3855 555" || got.HolderPhone != "0208 3656 789" || got.Problem != nil {
		t.Errorf("new request: hotline %q, holder phone %q (the desk's while the papers are at home), problem %+v", got.Hotline, got.HolderPhone, got.Problem)
	}
	// Planned, then the courier finds nobody home: the problem comes first.
	e.plan(n, "buuta1")
	courier := e.courier("buuta1")
	_, res := courier.send(ev("pickup.attempt_failed", n, map[string]any{"reason": "not_home"}))
	wantStatuses(t, "attempt", res, "accepted")
	got = e.trackAnswerOf(t, n, "")
	if got.Problem == nil || !strings.Contains(got.Problem.ToDo, "hẹn lại") || got.Problem.Detail != "" {
		t.Fatalf("after a failed attempt: problem %+v (no detail without a proof)", got.Problem)
	}
	if got = e.trackAnswerOf(t, n, "?phone_last4=5678"); got.Problem == nil || got.Problem.Detail == "" {
		t.Errorf("with the proof the problem's detail shows: %+v", got.Problem)
	}
	resp, body := e.get("/tra-cuu/" + n)
	page := string(body)
	iProblem, iNow, iTimeline := strings.Index(page, "Cần chú ý"), strings.Index(page, "Tình trạng hiện tại"), strings.Index(page, "Hành trình")
	iFailed, iRequested := strings.Index(page, "Bưu tá chưa thu gom được hồ sơ"), strings.Index(page, "Đã tiếp nhận yêu cầu thu gom hồ sơ")
	if resp.StatusCode != 200 || iProblem < 0 || iProblem > iNow || iNow > iTimeline || iFailed < 0 || iFailed > iRequested {
		t.Errorf("page order: problem %d, now %d, timeline %d, failed line %d before requested line %d", iProblem, iNow, iTimeline, iFailed, iRequested)
	}
	for _, want := range []string{`href="tel:02083855555"`, "0208 3855 555", `href="tel:02083656789"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	// Planned again and collected: the problem is history, the old
	// appointment and the failed attempt are folded, and the holder is
	// the courier with their office's phone.
	e.plan(n, "buuta1")
	_, res = courier.send(ev("pickup.collected", n, map[string]any{"documents": []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}},
		"seal_id": "NP-901", "proof": courier.sigProof(n)}))
	wantStatuses(t, "collect", res, "accepted")
	got = e.trackAnswerOf(t, n, "?phone_last4=5678")
	if got.Problem != nil || got.HolderPhone != "0208 3855 001" || got.ReceiptURL == "" {
		t.Errorf("after collection: problem %+v, holder phone %q, receipt %q", got.Problem, got.HolderPhone, got.ReceiptURL)
	}
	folded := map[string]int{}
	for _, l := range got.Timeline {
		if l.Superseded {
			folded[l.Type]++
		}
	}
	if folded["pickup.scheduled"] != 2 || folded["pickup.attempt_failed"] != 1 || folded["pickup.collected"] != 0 {
		t.Errorf("folded lines %v", folded)
	}
	if resp, _ := e.get(got.ReceiptURL); resp.StatusCode != 200 {
		t.Errorf("receipt link %s: %d", got.ReceiptURL, resp.StatusCode)
	}
	_, body = e.get("/tra-cuu/" + n)
	if page := string(body); !strings.Contains(page, "<details>") || strings.Contains(page, "Cần chú ý") {
		t.Errorf("after collection the page folds old lines and shows no problem")
	}
}

// In Chromium at 360 px: found by the number typed as the SMS prints it,
// the problem first, then with the proof the details and a folded line
// opened; axe clean, no overflow, screenshots in e2e/out.
func TestTrackingPageBrowser(t *testing.T) {
	e := startServer(t, nil)
	if err := e.db.ExecForTest(context.Background(), `UPDATE post_offices SET phone = '0208 3855 001' WHERE code = 'BC-05443'`); err != nil {
		t.Fatal(err)
	}
	c := e.portal()
	r := c.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.WEB-1")), "web-1")
	var created map[string]string
	r.json(t, &created)
	n := created["tracking_number"]
	e.plan(n, "buuta1")
	courier := e.courier("buuta1")
	_, res := courier.send(ev("pickup.attempt_failed", n, map[string]any{"reason": "not_home"}))
	wantStatuses(t, "attempt", res, "accepted")
	e.plan(n, "buuta1")
	typed := strings.ToLower(n[:2] + " " + n[2:5] + " " + n[5:8] + " " + n[8:11] + " " + n[11:])
	var out struct {
		Folded int    `json:"folded"`
		First  string `json:"first"`
	}
	if err := json.Unmarshal(e.browser("track", map[string]any{"number": n, "typed": typed, "last4": "5678", "problem": false, "shot": "track"}), &out); err != nil {
		t.Fatal(err)
	}
	if out.Folded != 2 || !strings.Contains(out.First, "Đã hẹn lịch thu gom") {
		t.Errorf("timeline: %d folded lines, first %q; want the failed attempt and the first appointment folded, the new appointment first", out.Folded, out.First)
	}
}

// The short link of the SMS: /t/{number} sends to the tracking page, in any
// case or grouping; a number it cannot read is the same 404 as elsewhere.
// A status SMS carries it, with the opt-out link last.
func TestShortTrackingLink(t *testing.T) {
	e := startServer(t, nil)
	c := e.portal()
	r := c.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.SHORT-1")), "short-1")
	var created map[string]string
	r.json(t, &created)
	n := created["tracking_number"]
	for _, typed := range []string{n, strings.ToLower(n), url.PathEscape(n[:2] + " " + n[2:])} {
		resp, _ := e.get("/t/" + typed)
		if resp.StatusCode != 200 || resp.Request.URL.Path != "/tra-cuu/"+n {
			t.Errorf("/t/%s: %d at %s", typed, resp.StatusCode, resp.Request.URL.Path)
		}
	}
	for _, bad := range []string{"EA999999995VN", "x", "%ff", strings.Repeat("A", 3000)} {
		if resp, _ := e.get("/t/" + bad); resp.StatusCode != 404 {
			t.Errorf("/t/%.20s: %d", bad, resp.StatusCode)
		}
	}
}
