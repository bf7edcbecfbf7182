package main

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/internal/config"
	"hoso/internal/demo"
	"hoso/tracking"
)

// postalClient is a fake postal system: its credential and the server.
type postalClient struct {
	t          *testing.T
	e          *testEnv
	id, secret string
}

// postalClient registers a postal system scoped to a province or an office.
func (e *testEnv) postalClient(t *testing.T, id, province, office string) postalClient {
	t.Helper()
	_, sec, err := e.sys.postal.CreateClient(context.Background(), id, "Hệ thống bưu chính thử", province, office, false)
	if err != nil {
		t.Fatal(err)
	}
	return postalClient{t: t, e: e, id: id, secret: sec}
}

// signPostal signs a request as a postal system: the portal API's HMAC with
// X-Postal-Id.
func signPostal(req *http.Request, id, secret string) {
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	nonce := newNonce()
	var body []byte
	if req.GetBody != nil {
		if r, err := req.GetBody(); err == nil {
			body, _ = io.ReadAll(r)
		}
	}
	sum := sha256.Sum256(body)
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(req.Method + "\n" + req.URL.RequestURI() + "\n" + ts + "\n" + nonce + "\n" + hex.EncodeToString(sum[:])))
	req.Header.Set("X-Postal-Id", id)
	req.Header.Set("X-Timestamp", ts)
	req.Header.Set("X-Nonce", nonce)
	req.Header.Set("X-Signature", hex.EncodeToString(m.Sum(nil)))
}

// get sends a signed GET (the server may have been restarted: e.base is
// read each time).
func (p postalClient) get(pathQuery string) (int, http.Header, []byte) {
	p.t.Helper()
	req, err := http.NewRequest("GET", p.e.base+pathQuery, nil)
	if err != nil {
		p.t.Fatal(err)
	}
	signPostal(req, p.id, p.secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, b
}

type postalPage struct {
	Events []struct {
		tracking.EMSEVT
		RecordedAt    string `json:"recorded_date_time"`
		InternalEvent string `json:"internal_event"`
		Leg           string `json:"leg"`
		Seq           int64  `json:"seq"`
		Cursor        string `json:"cursor"`
	} `json:"events"`
	NextCursor string `json:"next_cursor"`
	More       bool   `json:"more"`
}

func (p postalClient) page(after string, limit int) postalPage {
	p.t.Helper()
	code, _, body := p.get("/api/v1/postal/events?after=" + after + "&limit=" + strconv.Itoa(limit))
	if code != 200 {
		p.t.Fatalf("pull after %q: %d %s", after, code, body)
	}
	var pg postalPage
	if err := json.Unmarshal(body, &pg); err != nil {
		p.t.Fatalf("pull: %v %s", err, body)
	}
	return pg
}

// restart stops the server and serves the same database again, as a new
// process would (the log's sequencer and the relay start afresh).
func (e *testEnv) restart(t *testing.T, extra map[string]string) {
	t.Helper()
	e.cancel()
	select {
	case <-e.done:
	case <-time.After(20 * time.Second):
		t.Fatal("server did not stop")
	}
	vars := map[string]string{"HOSO_DATABASE_URL": e.url, "HOSO_ADDR": "127.0.0.1:0", "HOSO_PUBLIC_RATE_PER_MIN": "100000", "HOSO_LOGIN_RATE_PER_MIN": "1000",
		"HOSO_CODE_CHALLENGE_AFTER": "100000", "HOSO_CODE_SMS_PER_SOURCE": "100000"}
	for k, v := range extra {
		vars[k] = v
	}
	cfg, err := config.Load(envFunc(vars), false)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel, e.done = cancel, make(chan error, 1)
	ready := make(chan struct{})
	go func() {
		e.done <- serve(ctx, cfg, e.logs, func(addr string, sys *system) {
			e.base, e.sys = "http://"+addr, sys
			close(ready)
		})
	}()
	select {
	case <-ready:
	case err := <-e.done:
		t.Fatalf("server did not start again: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("server did not start again in 20 s")
	}
	e.db = e.sys.db
	t.Cleanup(cancel)
}

// TestPostalPullDemoDay: a postal system of the province pulls every event
// of the demo province (journeys ending in every state, over several days)
// by cursor, seven at a time, while new events are written and the server
// restarts twice: every event with a UPU code arrives exactly once, in
// commit order; every record passes the EMSEVT checks, every EMH carries
// its reason and action codes, every EMI its signatory; the CSV form says
// the same; an office's client sees only its office's parcels and another
// province's client nothing.
func TestPostalPullDemoDay(t *testing.T) {
	extra := map[string]string{"HOSO_LOG_SEQUENCE_EVERY": "100ms", "HOSO_EMSEVT_SIGNATORY": "initials"}
	e := startServer(t, extra)
	ctx := context.Background()
	seeder := &demo.Seeder{Store: e.db, Wiring: e.sys.wiring, Seed: 11}
	if _, err := seeder.Run(ctx, 30); err != nil {
		t.Fatal(err)
	}
	pc := e.postalClient(t, "buudien-19", "19", "")
	other := e.postalClient(t, "buudien-01", "01", "")
	office := e.postalClient(t, "buudien-bc05455", "", "BC-05455")

	want := func() map[int64]string {
		rows, err := e.db.PairsForTest(ctx, `SELECT e.seq::text, e.upu_code FROM events e JOIN parcels p ON p.id = e.parcel_id
			WHERE e.upu_code <> '' AND p.province_code = '19'`)
		if err != nil {
			t.Fatal(err)
		}
		m := map[int64]string{}
		for _, r := range rows {
			seq, _ := strconv.ParseInt(r[0], 10, 64)
			m[seq] = r[1]
		}
		return m
	}
	got := map[int64]string{}
	var lastCursor int64 = -1
	after := ""
	codes := map[string]int{}
	pull := func(stopAt int) {
		t.Helper()
		for i := 0; i < stopAt; i++ {
			p := pc.page(after, 7)
			for _, r := range p.Events {
				if _, dup := got[r.Seq]; dup {
					t.Fatalf("event %d twice (cursor %s)", r.Seq, r.Cursor)
				}
				got[r.Seq] = r.EventCode
				c, err := strconv.ParseInt(r.Cursor, 10, 64)
				if err != nil || c <= lastCursor {
					t.Fatalf("cursor %q after %d: not in order", r.Cursor, lastCursor)
				}
				lastCursor = c
				if err := r.EMSEVT.Validate(); err != nil {
					t.Error(err)
				}
				codes[r.EventCode]++
				if r.EventCode == "EMI" && r.InternalEvent == string(tracking.DeliveryCompleted) && strings.Contains(r.Signatory, " ") && !strings.Contains(r.Signatory, ".") {
					t.Errorf("EMI signatory %q is not initials", r.Signatory)
				}
			}
			n, _ := strconv.ParseInt(p.NextCursor, 10, 64)
			if n < lastCursor {
				t.Fatalf("next cursor %d behind the last record's %d", n, lastCursor)
			}
			after = p.NextCursor
			if !p.More && len(p.Events) < 7 {
				return
			}
		}
	}
	pull(3)
	// New events while the postal system is half way.
	c := e.courier("buuta1")
	for i := range 3 {
		n := e.newPickup(t, "000.00.19.POSTAL-"+strconv.Itoa(i))
		if _, res := c.send(collectEvent(c, n, "NP-POSTAL-"+strconv.Itoa(i))); len(res) != 1 || res[0].Status != "accepted" {
			t.Fatalf("collect %s: %+v", n, res)
		}
	}
	e.restart(t, extra)
	pull(4)
	e.restart(t, extra)
	deadline := time.Now().Add(30 * time.Second)
	for {
		pull(1000)
		w := want()
		if len(got) == len(w) {
			for seq, c := range w {
				if got[seq] != c {
					t.Fatalf("event %d: pulled %q, want %q", seq, got[seq], c)
				}
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("pulled %d events, the ledger has %d", len(got), len(w))
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, c := range []string{"EMA", "EDD", "EMI", "EDG", "EMH"} {
		if codes[c] == 0 {
			t.Errorf("no %s in the demo day: %v", c, codes)
		}
	}
	t.Logf("pulled %d events: %v", len(got), codes)
	// Nothing more, and again nothing: the cursor stays.
	if p := pc.page(after, 7); len(p.Events) != 0 || p.More || p.NextCursor != after {
		t.Errorf("after the end: %d events, more %v, next %s (was %s)", len(p.Events), p.More, p.NextCursor, after)
	}

	// The CSV form of the first page says the same as JSON.
	first := pc.page("", 5)
	code, h, body := pc.get("/api/v1/postal/events?limit=5&format=csv")
	if code != 200 || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || h.Get("X-Next-Cursor") != first.NextCursor {
		t.Fatalf("csv: %d %v %s", code, h, body)
	}
	recs, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
	if err != nil || len(recs) != 1+len(first.Events) || strings.Join(recs[0], ",") != strings.Join(app.PostalCSVHeader, ",") {
		t.Fatalf("csv: %v %q", err, body)
	}
	for i, r := range first.Events {
		if recs[i+1][0] != r.MailItemID || recs[i+1][1] != r.EventCode || recs[i+1][2] != r.EventOffice || recs[i+1][12] != r.Cursor {
			t.Errorf("csv row %d %q, json %+v", i, recs[i+1], r)
		}
	}

	// Another province's postal system sees none of it.
	if p := other.page("", 100); len(p.Events) != 0 {
		t.Errorf("province 01 sees %d events of province 19", len(p.Events))
	}
	// An office's sees only parcels it handles.
	seen := 0
	for after := ""; ; {
		p := office.page(after, 50)
		for _, r := range p.Events {
			seen++
			n := e.count(`SELECT count(*) FROM events e JOIN parcels p ON p.id = e.parcel_id LEFT JOIN users u ON u.staff_code = e.actor_ref AND e.actor_kind = 'courier'
				WHERE e.seq = ? AND (p.office_code = 'BC-05455' OR u.office_code = 'BC-05455' OR (e.actor_kind = 'post_office' AND e.actor_ref = 'BC-05455'))`, r.Seq)
			if n != 1 {
				t.Errorf("office client got event %d of another office", r.Seq)
			}
		}
		after = p.NextCursor
		if !p.More && len(p.Events) < 50 {
			break
		}
	}
	if seen >= len(got) {
		t.Errorf("the office's client sees %d of the province's %d events", seen, len(got))
	}
}

// TestPostalPullRefusals: the pull API refuses what is not a postal
// system's fresh signed request, and bad parameters, changing nothing.
func TestPostalPullRefusals(t *testing.T) {
	e := startServer(t, nil)
	pc := e.postalClient(t, "buudien-19", "19", "")
	// Bad parameters.
	for _, q := range []string{"after=abc", "after=-2", "after=1e3", "after=99999999999999999999", "limit=0", "limit=5001", "limit=x", "format=xml", "after=%FF"} {
		code, _, body := pc.get("/api/v1/postal/events?" + q)
		if code != 400 || !bytes.Contains(body, []byte(`"invalid"`)) {
			t.Errorf("%s: %d %s", q, code, body)
		}
	}
	do := func(req *http.Request) (int, string) {
		t.Helper()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// Replayed: the same signed request twice.
	req, _ := http.NewRequest("GET", e.base+"/api/v1/postal/events?limit=1", nil)
	signPostal(req, pc.id, pc.secret)
	if code, body := do(req); code != 200 {
		t.Fatalf("first: %d %s", code, body)
	}
	again, _ := http.NewRequest("GET", e.base+"/api/v1/postal/events?limit=1", nil)
	again.Header = req.Header.Clone()
	if code, body := do(again); code != 401 || !strings.Contains(body, "X-Nonce") {
		t.Errorf("replay: %d %s", code, body)
	}
	// Signed for one query, sent with another (a wider page).
	req, _ = http.NewRequest("GET", e.base+"/api/v1/postal/events?limit=1", nil)
	signPostal(req, pc.id, pc.secret)
	forged, _ := http.NewRequest("GET", e.base+"/api/v1/postal/events?limit=5000", nil)
	forged.Header = req.Header.Clone()
	if code, body := do(forged); code != 401 || !strings.Contains(body, "X-Signature") {
		t.Errorf("forged query: %d %s", code, body)
	}
	// Wrong secret, unknown id, a portal's key, nothing.
	req, _ = http.NewRequest("GET", e.base+"/api/v1/postal/events", nil)
	signPostal(req, pc.id, "not-the-secret")
	if code, _ := do(req); code != 401 {
		t.Errorf("wrong secret: %d", code)
	}
	req, _ = http.NewRequest("GET", e.base+"/api/v1/postal/events", nil)
	signPostal(req, "khong-co", pc.secret)
	if code, body := do(req); code != 401 || !strings.Contains(body, "X-Postal-Id") {
		t.Errorf("unknown id: %d %s", code, body)
	}
	req, _ = http.NewRequest("GET", e.base+"/api/v1/postal/events", nil)
	signPortal(req, "dvc-test", e.secret, nil)
	if code, _ := do(req); code != 401 {
		t.Errorf("a portal's key: %d", code)
	}
	req, _ = http.NewRequest("GET", e.base+"/api/v1/postal/events", nil)
	if code, _ := do(req); code != 401 {
		t.Errorf("unsigned: %d", code)
	}
	// A client scoped to nothing, or to both, is refused at creation.
	for _, c := range [][2]string{{"", ""}, {"19", "BC-05443"}, {"", "BC-KHONG-CO"}} {
		if _, _, err := e.sys.postal.CreateClient(context.Background(), "buudien-x", "", c[0], c[1], false); err == nil {
			t.Errorf("client scoped to %q accepted", c)
		}
	}
	if n := e.count(`SELECT count(*) FROM postal_clients`); n != 1 {
		t.Errorf("%d postal clients", n)
	}
}
