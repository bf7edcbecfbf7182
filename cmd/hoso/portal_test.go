package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/text/unicode/norm"

	"hoso/internal/app"
	"hoso/tracking"
)

// contractClient is a portal written from contracts/api.md alone: it does
// not use the server's signing package.
type contractClient struct {
	t      *testing.T
	base   string
	id     string
	secret string
	// overrides for negative tests
	ts    string
	nonce string
	sig   string
}

func newNonce() string {
	b := make([]byte, 16)
	rand.Read(b) //nolint:errcheck
	return hex.EncodeToString(b)
}

type reply struct {
	status int
	body   []byte
	header http.Header
}

func (r reply) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (r reply) errCode() string {
	var e struct {
		Error struct {
			Code   string            `json:"code"`
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.body, &e)
	return e.Error.Code
}

func (r reply) fields() map[string]string {
	var e struct {
		Error struct {
			Fields map[string]string `json:"fields"`
		} `json:"error"`
	}
	_ = json.Unmarshal(r.body, &e)
	return e.Error.Fields
}

func (c contractClient) do(method, pathQuery string, body []byte, idemKey string) reply {
	c.t.Helper()
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	if c.ts != "" {
		ts = c.ts
	}
	nonce := newNonce()
	if c.nonce != "" {
		nonce = c.nonce
	}
	sum := sha256.Sum256(body)
	canonical := method + "\n" + pathQuery + "\n" + ts + "\n" + nonce + "\n" + hex.EncodeToString(sum[:])
	m := hmac.New(sha256.New, []byte(c.secret))
	m.Write([]byte(canonical))
	sig := hex.EncodeToString(m.Sum(nil))
	if c.sig != "" {
		sig = c.sig
	}
	req, err := http.NewRequest(method, c.base+pathQuery, bytes.NewReader(body))
	if err != nil {
		c.t.Fatal(err)
	}
	req.Header.Set("X-Portal-Id", c.id)
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Nonce", nonce)
	req.Header.Set("X-Signature", sig)
	if len(body) > 0 {
		req.Header.Set("Content-Type", "application/json")
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, body: b, header: resp.Header}
}

func (e *testEnv) portal() contractClient {
	return contractClient{t: e.t, base: e.base, id: "dvc-test", secret: e.secret}
}

// nextServiceDay returns 08:00–10:00 on the next Monday–Saturday at least a
// day ahead, in Vietnam time.
func nextWindow(days int) (time.Time, time.Time) {
	vn := time.FixedZone("ICT", 7*3600)
	d := time.Now().In(vn).AddDate(0, 0, days)
	for d.Weekday() == time.Sunday {
		d = d.AddDate(0, 0, 1)
	}
	start := time.Date(d.Year(), d.Month(), d.Day(), 8, 0, 0, 0, vn)
	return start, start.Add(2 * time.Hour)
}

// validBody is the contract's example with a window in the future.
func validBody(code string) map[string]any {
	s, e := nextWindow(2)
	return map[string]any{
		"dossier": map[string]any{"code": code, "procedure_code": "1.001234", "procedure_name": "Đăng ký kết hôn",
			"desk_code": "TN-TTPVHCC", "legal_deadline": "2026-12-05"},
		"citizen": map[string]any{"full_name": "Nguyễn Văn A", "phone": "0912345678", "id_number": "019090001234"},
		"address": map[string]any{"province_code": "19", "commune_code": "05443", "line": "Số 12, tổ 3", "lat": 21.5942, "lng": 105.8482},
		"documents": []any{
			map[string]any{"name": "Tờ khai đăng ký kết hôn", "kind": "original", "count": 1},
			map[string]any{"name": "Giấy xác nhận tình trạng hôn nhân", "kind": "original", "count": 1},
			map[string]any{"name": "Căn cước công dân", "kind": "certified_copy", "count": 2},
		},
		"windows":        []any{map[string]any{"start": s.Format(time.RFC3339), "end": e.Format(time.RFC3339)}},
		"return_by_post": true,
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPortalCreateReadListCancel(t *testing.T) {
	e := startServer(t, nil)
	c := e.portal()

	r := c.do("GET", "/api/v1/portal/desks", nil, "")
	if r.status != 200 {
		t.Fatalf("desks: %d %s", r.status, r.body)
	}
	var desks []map[string]string
	r.json(t, &desks)
	if len(desks) != 2 {
		t.Errorf("desks of province 19 = %v, want the two Thái Nguyên desks", desks)
	}
	for _, d := range desks {
		if d["province_code"] != "19" || d["code"] == "" || d["name"] == "" || d["commune_code"] == "" {
			t.Errorf("desk %v", d)
		}
	}

	body := mustJSON(t, validBody("000.00.19.H12-251120-0001"))
	r = c.do("POST", "/api/v1/portal/pickups", body, "key-create-1")
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var created struct {
		ID, TrackingNumber, Status, TrackingURL, CreatedAt string
	}
	var raw map[string]string
	r.json(t, &raw)
	created.ID, created.TrackingNumber, created.Status, created.TrackingURL, created.CreatedAt = raw["id"], raw["tracking_number"], raw["status"], raw["tracking_url"], raw["created_at"]
	if _, err := tracking.ParseNumber(created.TrackingNumber); err != nil || !strings.HasPrefix(created.TrackingNumber, "EA") {
		t.Errorf("tracking number %q", created.TrackingNumber)
	}
	if created.Status != "requested" || created.TrackingURL != e.base+"/tra-cuu/"+created.TrackingNumber {
		t.Errorf("created = %+v", raw)
	}
	if _, err := time.Parse(time.RFC3339, created.CreatedAt); err != nil {
		t.Errorf("created_at %q", created.CreatedAt)
	}

	// Replay: byte for byte, nothing new written.
	before := e.rows()
	r2 := c.do("POST", "/api/v1/portal/pickups", body, "key-create-1")
	if r2.status != 201 || !bytes.Equal(r2.body, r.body) {
		t.Errorf("replay = %d %s, want the first response byte for byte", r2.status, r2.body)
	}
	if after := e.rows(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("replay wrote rows: %v → %v", before, after)
	}
	// Same key, different body: 422, nothing written.
	other := validBody("000.00.19.H12-251120-0002")
	r3 := c.do("POST", "/api/v1/portal/pickups", mustJSON(t, other), "key-create-1")
	if r3.status != 422 || r3.errCode() != "invalid" {
		t.Errorf("reused key, other body = %d %s", r3.status, r3.body)
	}
	// A second active pickup of the same dossier is a conflict.
	r4 := c.do("POST", "/api/v1/portal/pickups", body, "key-create-2")
	if r4.status != 409 || r4.errCode() != "conflict" {
		t.Errorf("duplicate dossier = %d %s", r4.status, r4.body)
	}

	// Read.
	r = c.do("GET", "/api/v1/portal/pickups/"+created.ID, nil, "")
	if r.status != 200 {
		t.Fatalf("get: %d %s", r.status, r.body)
	}
	var got pickupJSONForTest
	r.json(t, &got)
	if got.TrackingNumber != created.TrackingNumber || got.Status != "requested" || len(got.Documents) != 3 || len(got.Timeline) != 1 ||
		got.Timeline[0].Type != "pickup.requested" || got.Citizen.Phone != "09xx xxx 678" || got.Citizen.Initials != "N. V. A." {
		t.Errorf("get = %s", r.body)
	}
	if bytes.Contains(r.body, []byte("0912345678")) || bytes.Contains(r.body, []byte("019090001234")) {
		t.Errorf("personal data in clear in the read: %s", r.body)
	}

	// List by dossier.
	r = c.do("GET", "/api/v1/portal/pickups?dossier_code=000.00.19.H12-251120-0001", nil, "")
	var list []pickupJSONForTest
	r.json(t, &list)
	if r.status != 200 || len(list) != 1 || list[0].ID != created.ID {
		t.Errorf("list = %d %s", r.status, r.body)
	}
	r = c.do("GET", "/api/v1/portal/pickups", nil, "")
	if r.status != 400 || r.fields()["dossier_code"] == "" {
		t.Errorf("list without dossier_code = %d %s", r.status, r.body)
	}

	// Another portal sees nothing of it.
	ctx := context.Background()
	_, sec2, err := e.sys.portal.CreateClient(ctx, "dvc-other", "", "19", "", false)
	if err != nil {
		t.Fatal(err)
	}
	c2 := contractClient{t: t, base: e.base, id: "dvc-other", secret: sec2}
	if r := c2.do("GET", "/api/v1/portal/pickups/"+created.ID, nil, ""); r.status != 404 {
		t.Errorf("other portal read = %d", r.status)
	}
	if r := c2.do("POST", "/api/v1/portal/pickups/"+created.ID+"/cancel", nil, "k"); r.status != 404 {
		t.Errorf("other portal cancel = %d", r.status)
	}

	// Cancel, then cancel again (200, no new event).
	r = c.do("POST", "/api/v1/portal/pickups/"+created.ID+"/cancel", []byte(`{"reason":"Công dân tự nộp tại quầy"}`), "cancel-1")
	if r.status != 200 {
		t.Fatalf("cancel: %d %s", r.status, r.body)
	}
	r.json(t, &got)
	if got.Status != "cancelled" || len(got.Timeline) != 2 {
		t.Errorf("cancelled = %s", r.body)
	}
	r = c.do("POST", "/api/v1/portal/pickups/"+created.ID+"/cancel", nil, "cancel-2")
	if r.status != 200 || e.count(`SELECT count(*) FROM events WHERE type = 'parcel.cancelled'`) != 1 {
		t.Errorf("second cancel = %d %s", r.status, r.body)
	}

	// A collected pickup cannot be cancelled: 409.
	r = c.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.H12-251120-0009")), "key-create-9")
	r.json(t, &raw)
	collect(t, e, raw["id"], "buuta1")
	r = c.do("POST", "/api/v1/portal/pickups/"+raw["id"]+"/cancel", nil, "cancel-9")
	if r.status != 409 || r.errCode() != "conflict" {
		t.Errorf("cancel after collection = %d %s", r.status, r.body)
	}
}

type pickupJSONForTest struct {
	ID             string `json:"id"`
	TrackingNumber string `json:"tracking_number"`
	Status         string `json:"status"`
	Citizen        struct {
		Initials string `json:"initials"`
		Phone    string `json:"phone"`
	} `json:"citizen"`
	Documents []struct {
		Name  string `json:"name"`
		Kind  string `json:"kind"`
		Count int    `json:"count"`
	} `json:"documents"`
	Timeline []struct {
		Type    string `json:"type"`
		UPUCode string `json:"upu_code"`
		Text    string `json:"text"`
	} `json:"timeline"`
}

// collect records pickup.collected by a courier, all documents present.
func collect(t *testing.T, e *testEnv, parcelID, courier string) {
	t.Helper()
	ctx := context.Background()
	u, err := e.db.FindUserByUsername(ctx, courier)
	if err != nil {
		t.Fatal(err)
	}
	p, err := e.db.FindParcel(ctx, parcelID)
	if err != nil {
		t.Fatal(err)
	}
	var docs []tracking.DocCount
	for i, d := range p.Documents {
		docs = append(docs, tracking.DocCount{Line: i + 1, Count: d.Count, Condition: "good"})
	}
	data, _ := json.Marshal(tracking.Collected{Documents: docs, SealID: "NP-000123", Method: "signature", SignatureSHA: strings.Repeat("ab", 32)})
	if _, _, err := e.sys.ledger.Record(ctx, parcelID, app.EventInput{Type: tracking.PickupCollected, Actor: u.Party(), Data: data}); err != nil {
		t.Fatal(err)
	}
}

func TestPortalBadInputWritesNothing(t *testing.T) {
	e := startServer(t, nil)
	c := e.portal()
	valid := func(mut func(m map[string]any)) []byte {
		m := validBody("000.00.19.H12-BAD-0001")
		if mut != nil {
			mut(m)
		}
		return mustJSON(t, m)
	}
	sub := func(m map[string]any, k string) map[string]any { return m[k].(map[string]any) }
	past := time.Now().Add(-3 * time.Hour)
	ws, _ := nextWindow(2)
	big := bytes.Repeat([]byte(" "), 1<<20+10)
	copy(big, valid(nil))

	tests := []struct {
		name      string
		client    func(c contractClient) contractClient
		body      []byte
		key       string
		wantCode  int
		wantField string
	}{
		{"unknown client", func(c contractClient) contractClient { c.id = "nobody"; return c }, valid(nil), "k1", 401, ""},
		{"bad signature", func(c contractClient) contractClient { c.sig = strings.Repeat("0", 64); return c }, valid(nil), "k2", 401, ""},
		{"wrong secret", func(c contractClient) contractClient { c.secret = "x"; return c }, valid(nil), "k3", 401, ""},
		{"stale timestamp", func(c contractClient) contractClient {
			c.ts = strconv.FormatInt(time.Now().Add(-301*time.Second).Unix(), 10)
			return c
		}, valid(nil), "k4", 401, ""},
		{"future timestamp", func(c contractClient) contractClient {
			c.ts = strconv.FormatInt(time.Now().Add(400*time.Second).Unix(), 10)
			return c
		}, valid(nil), "k5", 401, ""},
		{"short nonce", func(c contractClient) contractClient { c.nonce = "abc"; return c }, valid(nil), "k6", 401, ""},
		{"missing idempotency key", nil, valid(nil), "", 400, "Idempotency-Key"},
		{"unknown desk", nil, valid(func(m map[string]any) { sub(m, "dossier")["desk_code"] = "NOPE" }), "k7", 422, "dossier.desk_code"},
		{"desk of another province", nil, valid(func(m map[string]any) { sub(m, "dossier")["desk_code"] = "HN-MC-00004" }), "k8", 422, "dossier.desk_code"},
		{"unknown commune", nil, valid(func(m map[string]any) { sub(m, "address")["commune_code"] = "99999" }), "k9", 422, "address.commune_code"},
		{"commune outside province", nil, valid(func(m map[string]any) { sub(m, "address")["commune_code"] = "00004" }), "k10", 422, "address.commune_code"},
		{"empty documents", nil, valid(func(m map[string]any) { m["documents"] = []any{} }), "k11", 422, "documents"},
		{"document kind", nil, valid(func(m map[string]any) {
			m["documents"] = []any{map[string]any{"name": "X", "kind": "photo", "count": 1}}
		}), "k12", 422, "documents[0].kind"},
		{"document count", nil, valid(func(m map[string]any) {
			m["documents"] = []any{map[string]any{"name": "X", "kind": "copy", "count": 0}}
		}), "k13", 422, "documents[0].count"},
		{"window in the past", nil, valid(func(m map[string]any) {
			m["windows"] = []any{map[string]any{"start": past.Format(time.RFC3339), "end": past.Add(time.Hour).Format(time.RFC3339)}}
		}), "k14", 422, "windows[0].start"},
		{"window over 4 h", nil, valid(func(m map[string]any) {
			m["windows"] = []any{map[string]any{"start": ws.Format(time.RFC3339), "end": ws.Add(5 * time.Hour).Format(time.RFC3339)}}
		}), "k15", 422, "windows[0].end"},
		{"window outside service hours", nil, valid(func(m map[string]any) {
			night := ws.Add(12 * time.Hour)
			m["windows"] = []any{map[string]any{"start": night.Format(time.RFC3339), "end": night.Add(time.Hour).Format(time.RFC3339)}}
		}), "k16", 422, "windows[0]"},
		{"five windows", nil, valid(func(m map[string]any) {
			w := map[string]any{"start": ws.Format(time.RFC3339), "end": ws.Add(time.Hour).Format(time.RFC3339)}
			m["windows"] = []any{w, w, w, w, w}
		}), "k17", 422, "windows"},
		{"phone not 10 digits", nil, valid(func(m map[string]any) { sub(m, "citizen")["phone"] = "091234567" }), "k18", 422, "citizen.phone"},
		{"phone not starting with 0", nil, valid(func(m map[string]any) { sub(m, "citizen")["phone"] = "1912345678" }), "k19", 422, "citizen.phone"},
		{"CCCD not 12 digits", nil, valid(func(m map[string]any) { sub(m, "citizen")["id_number"] = "01909000123" }), "k20", 422, "citizen.id_number"},
		{"unknown JSON field", nil, valid(func(m map[string]any) { m["priority"] = "high" }), "k21", 400, "priority"},
		{"unknown nested field", nil, valid(func(m map[string]any) { sub(m, "citizen")["email"] = "a@b" }), "k22", 400, "email"},
		{"wrong type", nil, valid(func(m map[string]any) { sub(m, "address")["lat"] = "north" }), "k23", 400, "address.lat"},
		{"malformed JSON", nil, []byte(`{"dossier":`), "k24", 400, ""},
		{"body over 1 MiB", nil, big, "k25", 400, "body"},
		{"bad window time", nil, valid(func(m map[string]any) {
			m["windows"] = []any{map[string]any{"start": "tomorrow", "end": "later"}}
		}), "k26", 400, "windows[0].start"},
		{"bad deadline", nil, valid(func(m map[string]any) { sub(m, "dossier")["legal_deadline"] = "05/12/2026" }), "k27", 400, "dossier.legal_deadline"},
		{"missing name", nil, valid(func(m map[string]any) { sub(m, "citizen")["full_name"] = "  " }), "k28", 422, "citizen.full_name"},
		{"control characters", nil, valid(func(m map[string]any) { sub(m, "address")["line"] = "Số 1\x00" }), "k29", 422, "address.line"},
		{"key too long", nil, valid(nil), strings.Repeat("k", 256), 400, "Idempotency-Key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.rows()
			cl := c
			cl.t = t
			if tt.client != nil {
				cl = tt.client(cl)
			}
			r := cl.do("POST", "/api/v1/portal/pickups", tt.body, tt.key)
			if r.status != tt.wantCode {
				t.Fatalf("status = %d, want %d: %s", r.status, tt.wantCode, r.body)
			}
			code := r.errCode()
			wantCode := map[int]string{400: "invalid", 401: "unauthorized", 422: "invalid"}[tt.wantCode]
			if code != wantCode {
				t.Errorf("error code = %q, want %q: %s", code, wantCode, r.body)
			}
			if tt.wantField != "" {
				if _, ok := r.fields()[tt.wantField]; !ok {
					t.Errorf("fields %v do not name %q", r.fields(), tt.wantField)
				}
			}
			if tt.wantCode == 401 && strings.Contains(string(r.body), e.secret) {
				t.Error("401 echoes the secret")
			}
			if after := e.rows(); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("rows changed: %v → %v", before, after)
			}
		})
	}
	// A reused nonce is refused, the first use accepted.
	cl := c
	cl.nonce = "nonce-reused-000001"
	if r := cl.do("GET", "/api/v1/portal/desks", nil, ""); r.status != 200 {
		t.Fatalf("first nonce use = %d %s", r.status, r.body)
	}
	if r := cl.do("GET", "/api/v1/portal/desks", nil, ""); r.status != 401 || !strings.Contains(string(r.body), "X-Nonce") {
		t.Errorf("reused nonce = %d %s", r.status, r.body)
	}
}

func TestPortalInFlightKeyIs409(t *testing.T) {
	e := startServer(t, nil)
	c := e.portal()
	// Hold the key's lock from another connection, as a running first
	// request would.
	ctx := context.Background()
	hold := make(chan struct{})
	released := make(chan struct{})
	holderGone := make(chan struct{})
	go func() {
		defer close(holderGone)
		_ = e.db.InTx(ctx, func(ctx context.Context) error {
			if ok, err := e.db.TryLockKey(ctx, "portal:dvc-test", "inflight-1"); err != nil || !ok {
				t.Errorf("lock: %v %v", ok, err)
			}
			close(hold)
			<-released
			return nil
		})
	}()
	<-hold
	before := e.rows()
	r := c.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.H12-FLY-1")), "inflight-1")
	close(released)
	if r.status != 409 || r.errCode() != "conflict" {
		t.Errorf("in flight = %d %s", r.status, r.body)
	}
	if after := e.rows(); fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("rows changed: %v → %v", before, after)
	}
	// Once the holder is gone the key works.
	<-holderGone
	if r := c.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.H12-FLY-1")), "inflight-1"); r.status != 201 {
		t.Errorf("after release = %d %s", r.status, r.body)
	}
}

func TestPortalConcurrentSameKeyOneEffect(t *testing.T) {
	e := startServer(t, nil)
	c := e.portal()
	body := mustJSON(t, validBody("000.00.19.H12-CONC-1"))
	const n = 12
	var wg sync.WaitGroup
	statuses := make([]int, n)
	bodies := make([][]byte, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cl := c
			r := cl.do("POST", "/api/v1/portal/pickups", body, "same-key")
			statuses[i], bodies[i] = r.status, r.body
		}(i)
	}
	wg.Wait()
	if got := e.count(`SELECT count(*) FROM parcels`); got != 1 {
		t.Fatalf("parcels = %d, want exactly 1 effect", got)
	}
	var first []byte
	for i, s := range statuses {
		switch s {
		case 201:
			if first == nil {
				first = bodies[i]
			} else if !bytes.Equal(first, bodies[i]) {
				t.Errorf("two different 201 bodies")
			}
		case 409:
		default:
			t.Errorf("status %d: %s", s, bodies[i])
		}
	}
	if first == nil {
		t.Error("no request succeeded")
	}
}

func TestPortalTextIsNFC(t *testing.T) {
	e := startServer(t, nil)
	c := e.portal()
	m := validBody(norm.NFD.String("HỒ-SƠ-1"))
	m["citizen"].(map[string]any)["full_name"] = norm.NFD.String("Nguyễn Thị Ánh")
	m["address"].(map[string]any)["line"] = norm.NFD.String("Số 5, đường Hoàng Văn Thụ")
	m["documents"] = []any{map[string]any{"name": norm.NFD.String("Giấy chứng nhận quyền sử dụng đất"), "kind": "original", "count": 1}}
	r := c.do("POST", "/api/v1/portal/pickups", mustJSON(t, m), "nfc-1")
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	for _, q := range []string{
		`SELECT count(*) FROM parcels WHERE citizen_name = 'Nguyễn Thị Ánh' AND address_line = 'Số 5, đường Hoàng Văn Thụ'`,
		`SELECT count(*) FROM parcel_documents WHERE name = 'Giấy chứng nhận quyền sử dụng đất'`,
		`SELECT count(*) FROM dossiers WHERE code = 'HỒ-SƠ-1'`,
	} {
		if !norm.NFC.IsNormalString(q) {
			t.Fatal("test query not NFC")
		}
		if e.count(q) != 1 {
			t.Errorf("not stored as NFC: %s", q)
		}
	}
}

func TestPersonalDataAtRest(t *testing.T) {
	e := startServer(t, nil)
	c := e.portal()
	if r := c.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.PII-1")), "pii-1"); r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	// No table holds the phone or the CCCD in clear.
	for _, q := range []string{
		`SELECT count(*) FROM parcels WHERE position('0912345678' in encode(phone_enc, 'escape')) > 0 OR position('019090001234' in coalesce(encode(id_hash, 'escape'), '')) > 0`,
		`SELECT count(*) FROM events WHERE data::text LIKE '%0912345678%' OR data::text LIKE '%019090001234%' OR data::text LIKE '%Nguyễn%'`,
		`SELECT count(*) FROM parcels WHERE id_last3 = '234' AND phone_last3 = '678' AND length(id_hash) = 32`,
	} {
		n := e.count(q)
		want := 0
		if strings.Contains(q, "id_last3") {
			want = 1
		}
		if n != want {
			t.Errorf("%s = %d, want %d", q, n, want)
		}
	}
	// The sealed phone opens with the key.
	ctx := context.Background()
	ps, err := e.db.FindParcels(ctx, app.ParcelFilter{DossierCode: "000.00.19.PII-1"})
	if err != nil || len(ps) != 1 {
		t.Fatal(err)
	}
	admin, _ := e.db.FindUserByUsername(ctx, "quantri")
	phone, err := e.sys.intake.RevealPhone(ctx, admin, ps[0], "test")
	if err != nil || phone != "0912345678" {
		t.Errorf("RevealPhone = %q, %v", phone, err)
	}
	if e.count(`SELECT count(*) FROM audit_log WHERE action = 'reveal_phone'`) != 1 {
		t.Error("reveal not audited")
	}
}
