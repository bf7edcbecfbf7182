package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/internal/vntext"
	"hoso/tracking"
)

// openCPSPortal is a provincial portal on OpenCPS receiving DongBoHoSoMC
// bodies, written from docs/portal-status.md alone: it checks the
// signature, the shape and the date format, and keeps each event once.
type openCPSPortal struct {
	t      *testing.T
	mu     sync.Mutex
	secret []byte
	n      int
	seen   map[string]bool
	bodies []app.OpenCPSBody
	raw    []string
	bad    []string
	srv    *httptest.Server
}

var portalDate = regexp.MustCompile(`^20[0-9]{12}$`)

func newOpenCPSPortal(t *testing.T) *openCPSPortal {
	p := &openCPSPortal{t: t, seen: map[string]bool{}}
	p.srv = httptest.NewServer(http.HandlerFunc(p.handle))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *openCPSPortal) handle(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	if p.n%4 == 2 { // a portal that fails now and then
		w.WriteHeader(503)
		return
	}
	ts, nonce := r.Header.Get("X-Timestamp"), r.Header.Get("X-Nonce")
	sum := sha256.Sum256(body)
	m := hmac.New(sha256.New, p.secret)
	m.Write([]byte(r.Method + "\n" + r.URL.RequestURI() + "\n" + ts + "\n" + nonce + "\n" + hex.EncodeToString(sum[:])))
	if !hmac.Equal([]byte(hex.EncodeToString(m.Sum(nil))), []byte(r.Header.Get("X-Signature"))) {
		p.bad = append(p.bad, "signature")
		w.WriteHeader(401)
		return
	}
	var b app.OpenCPSBody
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		p.bad = append(p.bad, "body "+err.Error())
		w.WriteHeader(400)
		return
	}
	if b.Service != "DongBoHoSoMC" || !b.IsUpdating || len(b.Data) != 1 || b.Hoso.EventID == "" {
		p.bad = append(p.bad, "shape "+string(body))
	}
	for _, d := range b.Data {
		if d.MaHoSo == "" || d.MaTTHC == "" || (d.HinhThuc != "0" && d.HinhThuc != "1") || d.DanhSachGiayToKetQua == nil {
			p.bad = append(p.bad, "fields "+string(body))
		}
		if _, err := strconv.Atoi(d.TrangThaiHoSo); err != nil {
			p.bad = append(p.bad, "TrangThaiHoSo "+d.TrangThaiHoSo)
		}
		for name, v := range map[string]string{"NgayTiepNhan": d.NgayTiepNhan, "NgayHenTra": d.NgayHenTra, "NgayTra": d.NgayTra, "ThoiDiemXuLy": b.Hoso.ThoiDiemXuLy} {
			if v != "" && !portalDate.MatchString(v) {
				p.bad = append(p.bad, name+" "+v)
			}
		}
	}
	// ThoiDiemXuLy is the event's time in Asia/Ho_Chi_Minh.
	if at, err := time.Parse(time.RFC3339, b.Hoso.At); err != nil || at.In(time.FixedZone("ICT", 7*3600)).Format("20060102150405") != b.Hoso.ThoiDiemXuLy {
		p.bad = append(p.bad, "ThoiDiemXuLy "+b.Hoso.ThoiDiemXuLy+" for "+b.Hoso.At)
	}
	if !p.seen[b.Hoso.EventID] {
		p.seen[b.Hoso.EventID] = true
		p.bodies = append(p.bodies, b)
		p.raw = append(p.raw, string(body))
	}
	w.WriteHeader(200)
}

func (p *openCPSPortal) applied() []app.OpenCPSBody {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]app.OpenCPSBody(nil), p.bodies...)
}

// TestOpenCPSPortalReceivesEveryStatusInOrder: a portal client that chose
// the OpenCPS shape follows a dossier from the request to the result
// delivered after a failed attempt, through a portal that answers 503 now
// and then: it receives every status of the journey, once each, in the
// ledger's order, each with the portal's status code the table gives and
// dates as yyyyMMddHHmmss; the delivery names the documents returned line
// by line and who received them; nothing personal is in any body. The
// pickup's GET shows the same mapped fields beside ours.
func TestOpenCPSPortalReceivesEveryStatusInOrder(t *testing.T) {
	e := startServer(t, nil)
	p := newOpenCPSPortal(t)
	_, sec, err := e.sys.portal.Register(context.Background(), app.PortalClient{ID: "dvc-opencps", Name: "Cổng OpenCPS thử", ProvinceCode: "19",
		CallbackURL: p.srv.URL + "/api/DongBoHoSoMC?MaDinhDanhDV=000.00.19.H12", CallbackShape: app.ShapeOpenCPS})
	if err != nil {
		t.Fatal(err)
	}
	p.mu.Lock()
	p.secret = []byte(sec)
	p.mu.Unlock()
	pc := contractClient{t: t, base: e.base, id: "dvc-opencps", secret: sec}
	fastRelay(t, e)

	code := "000.00.19.OPENCPS-1"
	r := pc.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody(code)), "opencps-1")
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var created map[string]string
	r.json(t, &created)
	n, id := created["tracking_number"], created["id"]
	courier := e.courier("buuta1")
	desk := e.login("motcua")
	docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}}
	e.assign("buuta1", n)
	_, res := courier.send(ev("pickup.collected", n, map[string]any{"documents": docs, "seal_id": "NP-3001", "proof": courier.sigProof(n)}),
		ev("handoff.released", n, map[string]any{"to": "desk:TN-TTPVHCC"}))
	wantStatuses(t, "collect, release to the desk", res, "accepted", "accepted")
	if _, page := desk.postForm("/mot-cua/nhan", url.Values{"so": {n}, "dem": {"1"}, "seal": {"intact"}, "seal_id": {"NP-3001"}, "count_1": {"1"}, "count_2": {"1"}, "count_3": {"2"}}); !strings.Contains(page, `data-scan="ok"`) {
		t.Fatal("desk count not accepted")
	}
	if c, _ := desk.postForm("/mot-cua/quyet-dinh/"+n, url.Values{"decision": {"accept"}, "appointment": {"2026-12-20"}}); c != 200 {
		t.Fatalf("accept: %d", c)
	}
	// The pickup as the portal reads it: our status and the portal's.
	var got struct {
		Status string            `json:"status"`
		Portal *app.PortalFields `json:"portal"`
	}
	r = pc.do("GET", "/api/v1/portal/pickups/"+id, nil, "")
	r.json(t, &got)
	if got.Status != "accepted" || got.Portal == nil || got.Portal.TrangThaiHoSo != "2" || got.Portal.MaHoSo != code || got.Portal.HinhThuc != "1" || !portalDate.MatchString(got.Portal.ThoiDiem) {
		t.Errorf("GET pickup: %s %+v", got.Status, got.Portal)
	}
	r = pc.do("POST", "/api/v1/portal/dossiers/"+code+"/result",
		[]byte(`{"documents":[{"name":"Giấy chứng nhận kết hôn","kind":"original","count":2},{"name":"Trích lục kết hôn","kind":"certified_copy","count":1}],"fee":50000}`), "result-opencps")
	if r.status != 201 {
		t.Fatalf("result: %d %s", r.status, r.body)
	}
	var ret map[string]string
	r.json(t, &ret)
	rn := ret["tracking_number"]
	if c, page := desk.postForm("/mot-cua/chuyen", url.Values{"numbers": {rn}, "courier": {"BUUTA1"}, "seal_" + rn: {"KQ-3001"}}); c != 200 || !strings.Contains(page, "Đã lập bảng kê") {
		t.Fatalf("desk release: %d", c)
	}
	_, res = courier.send(ev("handoff.confirmed", rn, map[string]any{"seal_intact": true}), ev("delivery.out", rn, map[string]any{}),
		ev("delivery.attempt_failed", rn, map[string]any{"cause": "not_home", "action": "retry_next_day"}), ev("delivery.out", rn, map[string]any{}))
	wantStatuses(t, "take, go out, fail, go out again", res, "accepted", "accepted", "accepted", "accepted")
	_, res = courier.send(withSecret(ev("delivery.completed", rn, map[string]any{"seal_id": "KQ-3001", "signature_sha256": courier.signature(rn), "fee_collected": 50000}),
		"id_digits", "019090001234"))
	wantStatuses(t, "deliver", res, "accepted")

	// What the portal must hear: every event of both legs but releases and
	// disputes, in the ledger's order.
	var want []string
	for _, pid := range []string{id, ret["id"]} {
		evs, err := e.db.FindEvents(context.Background(), pid)
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range evs {
			if x.Type != tracking.HandoffReleased && x.Type != tracking.HandoffDisputed {
				want = append(want, x.ID)
			}
		}
	}
	waitUntil(t, 30*time.Second, "every callback", func() bool { return len(p.applied()) == len(want) })
	bodies := p.applied()
	p.mu.Lock()
	bad, raw := append([]string(nil), p.bad...), strings.Join(p.raw, "\n")
	p.mu.Unlock()
	if len(bad) > 0 {
		t.Fatalf("the portal refused: %v", bad)
	}
	var ids, statuses, codes []string
	for _, b := range bodies {
		ids, statuses, codes = append(ids, b.Hoso.EventID), append(statuses, b.Hoso.Status), append(codes, b.Data[0].TrangThaiHoSo)
		leg := tracking.LegPickup
		if b.Hoso.TrackingNumber == rn {
			leg = tracking.LegReturn
		}
		ps, ok := tracking.MapPortalStatus(leg, tracking.Status(b.Hoso.Status))
		if !ok || b.Data[0].TrangThaiHoSo != ps.Code || b.Data[0].MaHoSo != code || b.Data[0].HinhThuc != "1" {
			t.Errorf("%s %s: %+v", leg, b.Hoso.Status, b.Data[0])
		}
	}
	if strings.Join(ids, " ") != strings.Join(want, " ") {
		t.Errorf("events in another order or missing:\n got %v\nwant %v", ids, want)
	}
	wantStatusesInOrder := []string{"requested", "collected", "at_desk", "accepted", "ready", "with_courier", "out_for_delivery", "delivery_failed", "out_for_delivery", "delivered"}
	if strings.Join(dedupe(statuses), " ") != strings.Join(wantStatusesInOrder, " ") {
		t.Errorf("statuses %v, want %v", statuses, wantStatusesInOrder)
	}
	t.Logf("statuses %v → TrangThaiHoSo %v", statuses, codes)
	last := bodies[len(bodies)-1].Data[0]
	if last.TrangThaiHoSo != "10" || !portalDate.MatchString(last.NgayTra) || len(last.DanhSachGiayToKetQua) != 2 ||
		last.DanhSachGiayToKetQua[0] != (app.OpenCPSGiayTo{TenGiayTo: "Giấy chứng nhận kết hôn", SoLuong: 2, LoaiGiayTo: "Bản chính"}) ||
		last.DanhSachGiayToKetQua[1] != (app.OpenCPSGiayTo{TenGiayTo: "Trích lục kết hôn", SoLuong: 1, LoaiGiayTo: "Bản sao chứng thực"}) ||
		!strings.Contains(last.ThongTinTra, "công dân "+vntext.Initials("Nguyễn Văn A")) || !strings.Contains(last.ThongTinTra, "số CCCD") {
		t.Errorf("the delivery: %+v", last)
	}
	for _, b := range bodies {
		if b.Hoso.Status == "accepted" && (b.Data[0].NgayTiepNhan == "" || b.Data[0].NgayHenTra != "20261220000000") {
			t.Errorf("acceptance without its dates: %+v", b.Data[0])
		}
	}
	for _, pii := range []string{"0912345678", "Nguyễn Văn A", "019090001234", "Số 12", "BUUTA1"} {
		if strings.Contains(raw, pii) {
			t.Errorf("callback bodies carry %q", pii)
		}
	}
}

// dedupe drops consecutive repeats (a hand-off confirmed between two
// couriers keeps the status).
func dedupe(s []string) []string {
	var out []string
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}
