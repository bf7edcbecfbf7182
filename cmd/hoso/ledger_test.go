package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"hoso/internal/app"
)

// staffClient is a browser-like client with a session cookie.
type staffClient struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

var csrfPattern = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (e *testEnv) login(username string) *staffClient {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	s := &staffClient{t: e.t, base: e.base, c: c}
	s.refreshCSRF("/dang-nhap")
	resp, err := c.PostForm(e.base+"/dang-nhap", url.Values{"username": {username}, "password": {"mat-khau-" + username}, "_csrf": {s.csrf}, "next": {"/nhan-vien"}})
	if err != nil {
		e.t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Xin chào") {
		e.t.Fatalf("login %s: %d", username, resp.StatusCode)
	}
	s.refreshCSRF("/nhan-vien")
	return s
}

func (s *staffClient) refreshCSRF(path string) {
	s.t.Helper()
	resp, err := s.c.Get(s.base + path)
	if err != nil {
		s.t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfPattern.FindSubmatch(b)
	if m == nil {
		s.t.Fatalf("no CSRF token on %s (%d)", path, resp.StatusCode)
	}
	s.csrf = string(m[1])
}

func (s *staffClient) get(path string) (int, string) {
	s.t.Helper()
	resp, err := s.c.Get(s.base + path)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (s *staffClient) postForm(path string, v url.Values) (int, string) {
	s.t.Helper()
	v.Set("_csrf", s.csrf)
	resp, err := s.c.PostForm(s.base+path, v)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (s *staffClient) events(evs ...map[string]any) []syncResult {
	s.t.Helper()
	b, _ := json.Marshal(map[string]any{"events": evs})
	req, _ := http.NewRequest("POST", s.base+"/api/v1/staff/events", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", s.csrf)
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		s.t.Fatalf("staff events: %d %s", resp.StatusCode, body)
	}
	var out struct{ Results []syncResult }
	if err := json.Unmarshal(body, &out); err != nil {
		s.t.Fatal(err)
	}
	return out.Results
}

type syncResult struct {
	ID         string `json:"id"`
	Status     string `json:"status"`
	RecordedAs string `json:"recorded_as"`
	Error      *struct {
		Code    string            `json:"code"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

// courierClient is the courier app's API client: a bearer token and the
// device's key, registered at sign-in with the password as the app does.
// send signs every event with it.
type courierClient struct {
	t        *testing.T
	e        *testEnv
	base     string
	token    string
	username string
	phone    *app.SoftDevice
}

func (e *testEnv) courier(username string) *courierClient {
	e.t.Helper()
	b, _ := json.Marshal(map[string]string{"username": username, "password": "mat-khau-" + username, "device_id": "test-device-" + username})
	resp, err := http.Post(e.base+"/api/v1/auth/token", "application/json", bytes.NewReader(b))
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out struct {
		Token     string `json:"token"`
		ExpiresAt string `json:"expires_at"`
		Courier   struct {
			StaffCode string `json:"staff_code"`
		} `json:"courier"`
	}
	if resp.StatusCode != 200 || json.Unmarshal(body, &out) != nil || out.Token == "" {
		e.t.Fatalf("token: %d %s", resp.StatusCode, body)
	}
	c := &courierClient{t: e.t, e: e, base: e.base, token: out.Token, username: username}
	c.phone = c.newKey()
	return c
}

// newKey makes a new ES256 device key and registers it (password again).
func (c *courierClient) newKey() *app.SoftDevice {
	c.t.Helper()
	phone, err := app.NewSoftDevice("test-device-"+c.username, nil)
	if err != nil {
		c.t.Fatal(err)
	}
	alg, key := phone.PublicKey()
	if code, body := c.post("/api/v1/courier/device-key", map[string]string{"alg": alg, "public_key": key, "password": "mat-khau-" + c.username}); code != 201 && code != 200 {
		c.t.Fatalf("register the device key: %d %s", code, body)
	}
	return phone
}

// sign signs an event map as the app does (its fields as the JSON texts
// sent; "secret" and "signature" outside). An event with "signature"
// already set is left as it is.
func (c *courierClient) sign(ev map[string]any) map[string]any {
	c.t.Helper()
	if _, ok := ev["signature"]; ok || c.phone == nil {
		return ev
	}
	fields := map[string]json.RawMessage{}
	for k, v := range ev {
		if k == "secret" {
			continue
		}
		fields[k], _ = json.Marshal(v)
	}
	sig, err := c.phone.Sign(app.SignedText(fields))
	if err != nil {
		c.t.Fatal(err)
	}
	ev["signature"] = base64.StdEncoding.EncodeToString(sig)
	return ev
}

func (c *courierClient) send(evs ...map[string]any) (int, []syncResult) {
	c.t.Helper()
	for _, ev := range evs {
		c.sign(ev)
	}
	b, _ := json.Marshal(map[string]any{"events": evs})
	req, _ := http.NewRequest("POST", c.base+"/api/v1/courier/events", bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	var out struct{ Results []syncResult }
	_ = json.Unmarshal(body, &out)
	if resp.StatusCode != 200 {
		c.t.Logf("courier events: %d %s", resp.StatusCode, body)
	}
	return resp.StatusCode, out.Results
}

func ev(typ, number string, data any) map[string]any {
	return map[string]any{"id": uuid.NewString(), "type": typ, "tracking_number": number,
		"at": time.Now().Format(time.RFC3339), "lat": 21.59, "lng": 105.84, "data": data}
}

func wantStatuses(t *testing.T, step string, res []syncResult, want ...string) {
	t.Helper()
	if len(res) != len(want) {
		t.Fatalf("%s: %d results, want %d: %+v", step, len(res), len(want), res)
	}
	for i := range want {
		if res[i].Status != want[i] {
			msg := ""
			if res[i].Error != nil {
				msg = res[i].Error.Code + ": " + res[i].Error.Message
			}
			t.Fatalf("%s: result %d = %s (%s), want %s", step, i, res[i].Status, msg, want[i])
		}
	}
}

// custodian returns the parcel's custodian and the count of open custody
// periods (which must be one).
func (e *testEnv) custodian(number string) (string, string) {
	e.t.Helper()
	var kind, ref string
	n := e.count(`SELECT count(*) FROM custody c JOIN parcels p ON p.id = c.parcel_id WHERE p.tracking_number = ? AND c.to_event IS NULL`, number)
	if n != 1 {
		e.t.Fatalf("%s has %d open custody periods", number, n)
	}
	for _, k := range []string{"citizen", "courier", "post_office", "desk"} {
		if e.count(`SELECT count(*) FROM custody c JOIN parcels p ON p.id = c.parcel_id WHERE p.tracking_number = ? AND c.to_event IS NULL AND c.holder_kind = ?`, number, k) == 1 {
			kind = k
		}
	}
	for _, r := range []string{"", "BUUTA1", "BUUTA2", "BC-05443", "TN-TTPVHCC"} {
		if e.count(`SELECT count(*) FROM custody c JOIN parcels p ON p.id = c.parcel_id WHERE p.tracking_number = ? AND c.to_event IS NULL AND c.holder_ref = ?`, number, r) == 1 {
			ref = r
		}
	}
	return kind, ref
}

func TestJourneyThroughTheAPI(t *testing.T) {
	e := startServer(t, nil)
	portal := e.portal()
	r := portal.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.JOURNEY-1")), "journey-1")
	var created map[string]string
	r.json(t, &created)
	n := created["tracking_number"]
	if k, _ := e.custodian(n); k != "citizen" {
		t.Fatalf("after request custodian = %s", k)
	}

	courier := e.courier("buuta1")
	office := e.login("buucuc")
	desk := e.login("motcua")
	docs := []map[string]any{{"line": 1, "count": 1, "condition": "good"}, {"line": 2, "count": 1, "condition": "good"}, {"line": 3, "count": 2, "condition": "good"}}
	e.assign("buuta1", n)

	// At the door: every document ticked, sealed, signed by the citizen.
	collected := ev("pickup.collected", n, map[string]any{"documents": docs, "seal_id": "NP-004211", "proof": courier.sigProof(n)})
	_, res := courier.send(collected)
	wantStatuses(t, "collect", res, "accepted")
	if k, ref := e.custodian(n); k != "courier" || ref != "BUUTA1" {
		t.Fatalf("after collection custodian = %s %s", k, ref)
	}
	// The same event again: duplicate, nothing changes.
	before := e.count(`SELECT count(*) FROM events`)
	_, res = courier.send(collected)
	wantStatuses(t, "duplicate", res, "duplicate")
	if e.count(`SELECT count(*) FROM events`) != before {
		t.Fatal("duplicate wrote an event")
	}

	// Courier → post office: released, custody stays until confirmed.
	_, res = courier.send(ev("handoff.released", n, map[string]any{"to": "post_office:BC-05443"}))
	wantStatuses(t, "release to office", res, "accepted")
	if k, _ := e.custodian(n); k != "courier" {
		t.Fatalf("custody moved on release: %s", k)
	}
	// Someone else cannot confirm it.
	_, res = e.courier("buuta2").send(ev("handoff.confirmed", n, map[string]any{"seal_intact": true}))
	wantStatuses(t, "wrong receiver", res, "rejected")
	res = office.events(ev("handoff.confirmed", n, map[string]any{"seal_intact": true, "seal_id": "NP-004211"}))
	wantStatuses(t, "office confirms", res, "accepted")
	if k, ref := e.custodian(n); k != "post_office" || ref != "BC-05443" {
		t.Fatalf("after office confirmation custodian = %s %s", k, ref)
	}

	// Post office → courier for the desk run, confirmed by the courier.
	res = office.events(ev("handoff.released", n, map[string]any{"to": "courier:BUUTA1"}))
	wantStatuses(t, "office releases", res, "accepted")
	_, res = courier.send(ev("handoff.confirmed", n, map[string]any{"seal_intact": true}))
	wantStatuses(t, "courier confirms", res, "accepted")

	// Courier → desk; the desk counts every document line by line.
	_, res = courier.send(ev("handoff.released", n, map[string]any{"to": "desk:TN-TTPVHCC"}))
	wantStatuses(t, "release to desk", res, "accepted")
	res = desk.events(ev("handoff.confirmed", n, map[string]any{"seal_intact": true, "seal_id": "NP-004211", "documents": docs}))
	wantStatuses(t, "desk confirms", res, "accepted")
	if k, ref := e.custodian(n); k != "desk" || ref != "TN-TTPVHCC" {
		t.Fatalf("after desk confirmation custodian = %s %s", k, ref)
	}

	// The timeline tells each step.
	_, page := e.citizenPage(t, n, "5678")
	for _, want := range []string{
		"Bưu tá đã nhận 4 giấy tờ: 2 bản chính, 2 bản sao chứng thực",
		"Niêm phong số NP-004211",
		"Bưu cục Phan Đình Phùng đã xác nhận nhận hồ sơ",
		"bàn giao cho trung tâm phục vụ hành chính công tỉnh thái nguyên",
		"Trung tâm Phục vụ hành chính công tỉnh Thái Nguyên đã xác nhận nhận hồ sơ",
		"Đã kiểm đếm từng giấy tờ, đủ theo danh sách",
		"Bộ phận một cửa đã nhận hồ sơ",
	} {
		if !strings.Contains(strings.ToLower(page), strings.ToLower(want)) {
			t.Errorf("timeline lacks %q", want)
		}
	}
	// UPU codes along the way.
	var codes []string
	for _, c := range []string{"EMA", "EDD", "EDE", "EMI"} {
		if e.count(`SELECT count(*) FROM events e JOIN parcels p ON p.id = e.parcel_id WHERE p.tracking_number = ? AND e.upu_code = ?`, n, c) == 1 {
			codes = append(codes, c)
		}
	}
	if fmt.Sprint(codes) != "[EMA EDD EDE EMI]" {
		t.Errorf("UPU codes = %v", codes)
	}
	if got := e.count(`SELECT count(*) FROM handoffs h JOIN parcels p ON p.id = h.parcel_id WHERE p.tracking_number = ? AND h.status = 'confirmed'`, n); got != 3 {
		t.Errorf("confirmed hand-offs = %d, want 3", got)
	}
}

func TestCourierSyncRules(t *testing.T) {
	e := startServer(t, nil)
	portal := e.portal()
	var numbers []string
	for i := 0; i < 3; i++ {
		r := portal.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody(fmt.Sprintf("000.00.19.SYNC-%d", i))), fmt.Sprintf("sync-%d", i))
		var created map[string]string
		r.json(t, &created)
		numbers = append(numbers, created["tracking_number"])
	}
	c := e.courier("buuta1")
	e.assign("buuta1", numbers...)
	// The first request was filed four days ago (its late event happened
	// after it existed).
	if err := e.db.ExecForTest(context.Background(), `UPDATE parcels SET created_at = created_at - interval '4 days' WHERE tracking_number = ?`, numbers[0]); err != nil {
		t.Fatal(err)
	}
	late := ev("pickup.attempt_failed", numbers[0], map[string]any{"reason": "not_home"})
	late["at"] = time.Now().Add(-72 * time.Hour).Format(time.RFC3339)
	bad := ev("pickup.attempt_failed", numbers[1], map[string]any{"reason": "nobody"})
	wrongType := ev("desk.accepted", numbers[2], map[string]any{})
	malformed := map[string]any{"id": uuid.NewString(), "type": "pickup.collected", "tracking_number": "EA12", "at": "yesterday"}
	future := ev("pickup.attempt_failed", numbers[2], map[string]any{"reason": "not_home"})
	future["at"] = time.Now().Add(48 * time.Hour).Format(time.RFC3339)
	_, res := c.send(late, bad, wrongType, malformed, future)
	wantStatuses(t, "mixed batch", res, "accepted", "rejected", "rejected", "rejected", "rejected")
	// The late event keeps its device time.
	if e.count(`SELECT count(*) FROM events WHERE id = ? AND device_at < server_at - interval '71 hours'`, late["id"]) != 1 {
		t.Error("device time not kept")
	}
	// Rejected events are kept for the dispatcher, none dropped.
	if got := e.count(`SELECT count(*) FROM device_events WHERE status = 'rejected'`); got != 4 {
		t.Errorf("kept rejected = %d, want 4", got)
	}
	// A confirmation with nothing released is rejected against the state,
	// and kept.
	_, res = c.send(ev("handoff.confirmed", numbers[0], map[string]any{"seal_intact": true}))
	wantStatuses(t, "confirm without release", res, "rejected")
	// Resubmitting the fixed event with the same id is evaluated again and
	// now accepted; the kept rejection is marked accepted.
	bad["data"] = map[string]any{"reason": "refused"}
	delete(bad, "signature") // the app signs the fixed event again
	_, res = c.send(bad)
	wantStatuses(t, "fixed resubmission", res, "accepted")
	if e.count(`SELECT count(*) FROM device_events WHERE id = ? AND status = 'accepted' AND tries = 2`, bad["id"]) != 1 {
		t.Error("resubmission not recorded on the kept event")
	}
	// Batch limits.
	var many []map[string]any
	for i := 0; i < 501; i++ {
		many = append(many, ev("pickup.attempt_failed", numbers[0], map[string]any{"reason": "not_home"}))
	}
	if code, _ := c.send(many...); code != 400 {
		t.Errorf("501 events = %d, want 400", code)
	}
	if code, _ := c.send(); code != 400 {
		t.Errorf("empty batch = %d, want 400", code)
	}
	// Without a token: 401.
	c2 := *c
	c2.token = "nope"
	if code, _ := c2.send(late); code != 401 {
		t.Errorf("bad token = %d", code)
	}
	// Replaying the accepted event: duplicate.
	_, res = c.send(late)
	wantStatuses(t, "replay", res, "duplicate")
}
