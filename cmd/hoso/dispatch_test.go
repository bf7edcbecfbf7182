package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"hoso/dispatch"
	"hoso/internal/app"
)

// noRedirect returns the client's copy that stops at redirects.
func (s *staffClient) noRedirect() *http.Client {
	c := *s.c
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// post sends a form without following the redirect and returns the status
// and Location.
func (s *staffClient) post(path string, v url.Values) (int, string, string) {
	s.t.Helper()
	v.Set("_csrf", s.csrf)
	resp, err := s.noRedirect().PostForm(s.base+path, v)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func (s *staffClient) getJSON(path string, v any) int {
	s.t.Helper()
	code, body := s.get(path)
	if code == 200 && v != nil {
		if err := json.Unmarshal([]byte(body), v); err != nil {
			s.t.Fatalf("%s: %v: %.200s", path, err, body)
		}
	}
	return code
}

// requestDay is the day of validBody's window.
func requestDay(t *testing.T) dispatch.Day {
	s, _ := nextWindow(2)
	return dispatch.DayOf(s)
}

// createRequests files n portal requests at points inside Phường Phan Đình
// Phùng and returns their tracking numbers.
func createRequests(t *testing.T, e *testEnv, prefix string, n int) []string {
	t.Helper()
	c := e.portal()
	var out []string
	for i := 0; i < n; i++ {
		b := validBody(prefix + "-" + string(rune('A'+i)))
		addr := b["address"].(map[string]any)
		addr["lat"] = 21.580 + float64(i%4)*0.004
		addr["lng"] = 105.820 + float64(i/4)*0.006
		r := c.do("POST", "/api/v1/portal/pickups", mustJSON(t, b), prefix+"-"+string(rune('a'+i)))
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var created map[string]any
		r.json(t, &created)
		out = append(out, created["tracking_number"].(string))
	}
	return out
}

// waitJob polls a planning run's JSON until it is done.
func waitJob(t *testing.T, s *staffClient, location string) string {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var j struct {
			Done     bool   `json:"done"`
			Error    string `json:"error"`
			Redirect string `json:"redirect"`
			Percent  int    `json:"percent"`
		}
		if code := s.getJSON(location+"/json", &j); code != 200 {
			t.Fatalf("progress JSON %d", code)
		}
		if j.Error != "" {
			t.Fatalf("planning failed: %s", j.Error)
		}
		if j.Done {
			if j.Percent != 100 || j.Redirect == "" {
				t.Errorf("done job: %+v", j)
			}
			return j.Redirect
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("planning did not finish in 60 s")
	return ""
}

// TestDispatchDayThroughTheServer: zones, shifts with refused bad input,
// the Zoner at intake, a plan with progress, publishing onto the citizen's
// timeline, a re-plan after a new request, the map data and the scope.
func TestDispatchDayThroughTheServer(t *testing.T) {
	e := startServer(t, nil)
	s := e.login("dieuphoi")
	day := requestDay(t)
	base := "/nhan-vien/dieu-phoi"

	// Zones: cover Phan Đình Phùng for BC-05443; Đại Phúc's office may not
	// take the same commune.
	code, loc, _ := s.post(base+"/vung/phu", url.Values{"bc": {"BC-05443"}, "xa": {"05443", "05455"}, "cach_phu": {"center"}})
	if code != 303 || !strings.Contains(loc, "tb=vung") {
		t.Fatalf("cover: %d %s", code, loc)
	}
	cells := e.count(`SELECT count(*) FROM zone_cells WHERE office_code = 'BC-05443'`)
	if cells < 3 {
		t.Fatalf("%d cells after cover", cells)
	}
	// Refused: Post/Redirect/Get to the office's zones page, which names
	// the overlap.
	code, loc, _ = s.post(base+"/vung/phu", url.Values{"bc": {"BC-05488"}, "xa": {"05443"}, "cach_phu": {"center"}})
	if code != 303 || loc != base+"/vung?bc=BC-05488" {
		t.Errorf("overlap: %d %q, want 303 to the zones page", code, loc)
	} else if _, body := s.get(loc); !strings.Contains(body, "chồng lên vùng của bưu cục BC-05443") {
		t.Errorf("overlap not named: %s", snippet(body, "error-summary"))
	}
	if n := e.count(`SELECT count(*) FROM zone_cells`); n != cells {
		t.Errorf("refused cover changed zone_cells: %d → %d", cells, n)
	}

	// Shifts: bad input is named and changes nothing.
	shift := func(mod func(url.Values)) url.Values {
		v := url.Values{"bc": {"BC-05443"}, "buu_ta": {"BUUTA1"}, "ngay": {day.String()}, "so_ngay": {"1"}, "bat_dau": {"07:30"},
			"ket_thuc": {"17:30"}, "suc_cho": {"20"}, "diem_toi_da": {"0"}, "phuong_tien": {"motorbike"}, "thu_ho": {"1"}}
		mod(v)
		return v
	}
	for name, tc := range map[string]struct {
		mod  func(url.Values)
		want string
	}{
		"ends before it starts": {func(v url.Values) { v.Set("bat_dau", "15:00"); v.Set("ket_thuc", "09:00") }, "kết thúc lúc 09:00, không sau giờ bắt đầu 15:00"},
		"zero capacity":         {func(v url.Values) { v.Set("suc_cho", "0") }, "sức chở 0"},
		"outside hours":         {func(v url.Values) { v.Set("ket_thuc", "21:00") }, "ngoài giờ phục vụ"},
		"another office":        {func(v url.Values) { v.Set("buu_ta", "BUUTA2") }, "không thuộc bưu cục BC-05443"},
		"bad start place":       {func(v url.Values) { v.Set("noi_di", "bưu cục") }, "Nơi xuất phát cần dạng"},
		"break longer than the shift": {func(v url.Values) {
			v.Set("bat_dau", "10:00")
			v.Set("ket_thuc", "11:00")
			v.Set("nghi_tu", "10:00")
			v.Set("nghi_den", "10:30")
			v.Set("nghi_phut", "90")
		}, "dài hơn cả ca"},
		"break minutes not a number": {func(v url.Values) { v.Set("nghi_phut", "bốn lăm") }, "Giờ nghỉ trưa là số phút"},
		"break window after the shift": {func(v url.Values) {
			v.Set("nghi_tu", "17:00")
			v.Set("nghi_den", "18:00")
			v.Set("nghi_phut", "45")
		}, "nằm ngoài ca"},
	} {
		code, loc, _ := s.post(base+"/ca", shift(tc.mod))
		if code != 303 || loc != base+"/ca?bc=BC-05443" {
			t.Errorf("%s: %d %q, want 303 to the shifts page", name, code, loc)
			continue
		}
		if _, body := s.get(loc); !strings.Contains(body, tc.want) {
			t.Errorf("%s: want %q in %s", name, tc.want, snippet(body, "error-summary"))
		}
	}
	if n := e.count(`SELECT count(*) FROM courier_shifts`); n != 0 {
		t.Fatalf("refused shifts stored %d rows", n)
	}
	if code, loc, _ := s.post(base+"/ca", shift(func(url.Values) {})); code != 303 || !strings.Contains(loc, "tb=ca") {
		t.Fatalf("good shift: %d %s", code, loc)
	}

	// Requests land in the office's zone (the Zoner at intake).
	numbers := createRequests(t, e, "000.00.19.DP", 6)
	if n := e.count(`SELECT count(*) FROM parcels WHERE office_code = 'BC-05443'`); n != 6 {
		t.Fatalf("%d of 6 requests in BC-05443's zone", n)
	}

	// Plan with progress.
	code, loc, _ = s.post(base+"/lap", url.Values{"bc": {"BC-05443"}, "ngay": {day.String()}, "thoi_gian": {"2"}})
	if code != 303 || !strings.HasPrefix(loc, base+"/tien-do/") {
		t.Fatalf("start: %d %s", code, loc)
	}
	if code, page := s.get(loc); code != 200 && code != 303 || code == 200 && !strings.Contains(page, "Đang lập kế hoạch") {
		t.Errorf("progress page %d", code)
	}
	redirect := waitJob(t, s, loc)
	code, page := s.get(redirect)
	if code != 200 {
		t.Fatalf("plan page %d", code)
	}
	for _, n := range numbers {
		if !strings.Contains(page, n) {
			t.Errorf("plan page lacks %s", n)
		}
	}
	for _, w := range []string{"Đã lập kế hoạch phiên bản 1", "Công bố kế hoạch", "BUUTA1", "Bản đồ"} {
		if !strings.Contains(page, w) {
			t.Errorf("plan page lacks %q", w)
		}
	}
	var m struct {
		Routes []struct {
			Courier string `json:"courier"`
			Stops   []struct {
				Number string `json:"number"`
			} `json:"stops"`
			Path [][2]float64 `json:"path"`
		} `json:"routes"`
		Zones []struct {
			Office string `json:"office"`
			Own    bool   `json:"own"`
		} `json:"zones"`
	}
	if code := s.getJSON(base+"/ban-do.json?bc=BC-05443&ngay="+day.String(), &m); code != 200 || len(m.Routes) != 1 ||
		len(m.Routes[0].Stops) != 6 || len(m.Routes[0].Path) != 8 || len(m.Zones) != 1 || !m.Zones[0].Own {
		t.Errorf("map JSON %d: %+v", code, m)
	}

	// Publish: the citizen's timeline shows the visit.
	var planID string
	if mm := regexp.MustCompile(`name="ke_hoach" value="(\d+)"`).FindStringSubmatch(page); mm != nil {
		planID = mm[1]
	}
	code, loc, _ = s.post(base+"/cong-bo", url.Values{"ke_hoach": {planID}, "bc": {"BC-05443"}, "ngay": {day.String()}})
	if code != 303 || !strings.Contains(loc, "tb=cong-bo&n=6") {
		t.Fatalf("publish: %d %s", code, loc)
	}
	status, track := e.citizenPage(t, numbers[0], "5678")
	if status != 200 || !strings.Contains(track, "Đã hẹn lịch thu gom") || !strings.Contains(track, "Bưu tá sẽ đến trong khung giờ") {
		t.Errorf("timeline after publish: %d %s", status, snippet(track, "timeline"))
	}
	if n := e.count(`SELECT count(*) FROM events WHERE type = 'pickup.scheduled' AND actor_kind = 'dispatcher'`); n != 6 {
		t.Errorf("%d pickup.scheduled events", n)
	}
	// The courier's route follows the plan's order.
	var planned []string
	for _, st := range m.Routes[0].Stops {
		planned = append(planned, st.Number)
	}
	if got := courierRoute(t, e, "buuta1", day); strings.Join(got, ",") != strings.Join(planned, ",") {
		t.Errorf("courier's route %v, plan %v", got, planned)
	}

	// A new request: the page says so; the re-plan keeps the stops.
	more := createRequests(t, e, "000.00.19.DQ", 1)
	_, page = s.get(base + "/ke-hoach?bc=BC-05443&ngay=" + day.String())
	if !strings.Contains(page, "1 yêu cầu mới: "+more[0]) || !strings.Contains(page, "Lập lại kế hoạch") {
		t.Errorf("stale plan not flagged: %s", snippet(page, "alert--warning"))
	}
	code, loc, _ = s.post(base+"/lap", url.Values{"bc": {"BC-05443"}, "ngay": {day.String()}, "thoi_gian": {"2"}, "lap_lai": {"1"}})
	if code != 303 {
		t.Fatalf("replan: %d", code)
	}
	waitJob(t, s, loc)
	if n := e.count(`SELECT count(*) FROM plan_stops s JOIN dispatch_plans p ON p.id = s.plan_id WHERE p.version = 2 AND s.courier_ref = 'BUUTA1'`); n != 7 {
		t.Errorf("version 2 has %d stops on BUUTA1, want 7", n)
	}

	// Manual pin through the form.
	code, loc, _ = s.post(base+"/ghim", url.Values{"bc": {"BC-05443"}, "ngay": {day.String()}, "so": {numbers[1]}, "buu_ta": {"BUUTA1"}})
	if code != 303 || e.count(`SELECT count(*) FROM dispatch_pins`) != 1 {
		t.Errorf("pin: %d %s", code, loc)
	}
	// Refused: Post/Redirect/Get to the plan page, the message in its
	// summary linked to the courier field, once; nothing changed.
	before := e.tableCounts()
	code, loc, _ = s.post(base+"/gan", url.Values{"bc": {"BC-05443"}, "ngay": {day.String()}, "so": {numbers[2]}, "buu_ta": {"BUUTA2"}})
	if code != 303 || !strings.HasPrefix(loc, base+"/ke-hoach?") {
		t.Fatalf("assign to another office's courier: %d %q, want 303 to the plan page", code, loc)
	}
	e.sameRows(t, "a refused assignment", before)
	code, body := s.get(loc)
	if code != 200 || !strings.Contains(body, `<a href="#buu_ta">Bưu tá BUUTA2 không thuộc bưu cục`) {
		t.Errorf("plan page after the refused assignment: %d %s", code, snippet(body, "error-summary"))
	}
	if _, body = s.get(loc); strings.Contains(body, "không thuộc bưu cục") {
		t.Error("the refusal was shown twice")
	}

	// Outlines and scope.
	var fc struct {
		Features []json.RawMessage `json:"features"`
	}
	if code := s.getJSON(base+"/ranh-gioi/19", &fc); code != 200 || len(fc.Features) != 93 {
		t.Errorf("outlines %d, %d features", code, len(fc.Features))
	}
	if code, _ := s.get(base + "/ranh-gioi/01"); code != 403 {
		t.Errorf("another province's outlines: %d", code)
	}
	courier := e.login("buuta1")
	if code, _ := courier.get(base + "/ke-hoach"); code != 403 {
		t.Errorf("courier on the dispatch page: %d", code)
	}
	anon, err := http.Get(e.base + base + "/ke-hoach")
	if err != nil || anon.Request.URL.Path != "/dang-nhap" {
		t.Errorf("anonymous: %v %v", anon.Request.URL, err)
	}
	for _, p := range []string{"/ca?bc=BC-05443", "/vung?bc=BC-05443", "/buu-cuc"} {
		if code, page := s.get(base + p); code != 200 || !strings.Contains(page, "dispatch-tabs") {
			t.Errorf("%s: %d", p, code)
		}
	}
}

func TestDispatchOfficeImportAllOrNothing(t *testing.T) {
	e := startServer(t, nil)
	s := e.login("dieuphoi")
	before := e.count(`SELECT count(*) FROM post_offices`)
	bad := "code,name,commune_code,lat,lng\nBC-05455,Bưu cục Quyết Thắng,05455,21.60,105.82\nBC-X,Bưu cục X,99999,21.6,105.8\n"
	code, _, body := s.post("/nhan-vien/dieu-phoi/buu-cuc", url.Values{"csv": {bad}})
	if code != 422 || !strings.Contains(body, "Dòng 3") || !strings.Contains(body, "99999") {
		t.Errorf("bad import: %d %s", code, snippet(body, "error-summary"))
	}
	if n := e.count(`SELECT count(*) FROM post_offices`); n != before {
		t.Errorf("refused import wrote %d offices", n-before)
	}
	good := "code,name,commune_code,lat,lng\nBC-05455,Bưu cục Quyết Thắng,05455,21.60,105.82\n"
	code, loc, _ := s.post("/nhan-vien/dieu-phoi/buu-cuc", url.Values{"csv": {good}})
	if code != 303 || !strings.Contains(loc, "n=1") {
		t.Errorf("good import: %d %s", code, loc)
	}
	// The command line does the same.
	var out, errOut bytes.Buffer
	env := envFunc(map[string]string{"HOSO_DATABASE_URL": e.url})
	f := t.TempDir() + "/offices.csv"
	if err := writeFile(f, "code,name,commune_code,lat,lng\nBC-05467,Bưu cục Gia Sàng,05467,21.57,105.85\n"); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"import", "offices", f}, env, &out, &errOut); err != nil || !strings.Contains(out.String(), "1 created") {
		t.Errorf("hoso import offices: %v %s %s", err, out.String(), errOut.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"zones", "cover", "--office", "BC-05467", "--communes", "05467"}, env, &out, &errOut); err != nil ||
		!strings.Contains(out.String(), "BC-05467") {
		t.Errorf("hoso zones cover: %v %s %s", err, out.String(), errOut.String())
	}
	errOut.Reset()
	if err := run(context.Background(), []string{"zones", "cover", "--office", "BC-05443", "--communes", "05467"}, env, &out, &errOut); err == nil ||
		!strings.Contains(errOut.String(), "BC-05467") {
		t.Errorf("overlapping cover from the command line: %v %s", err, errOut.String())
	}
}

// TestOfficeImportPostalCodes: an office gets its national postal code on
// import (five digits, checked); a file without the column keeps the code
// stored; a bad code refuses the whole file.
func TestOfficeImportPostalCodes(t *testing.T) {
	e := startServer(t, nil)
	env := envFunc(map[string]string{"HOSO_DATABASE_URL": e.url})
	f := t.TempDir() + "/offices.csv"
	imp := func(content string) error {
		t.Helper()
		if err := writeFile(f, content); err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		if err := run(context.Background(), []string{"import", "offices", f}, env, &out, &errOut); err != nil {
			return fmt.Errorf("%w: %s", err, errOut.String())
		}
		return nil
	}
	postal := func(code string) string {
		t.Helper()
		o, err := e.db.FindOffice(context.Background(), code)
		if err != nil {
			t.Fatal(err)
		}
		return o.PostalCode
	}
	if err := imp("code,name,commune_code,lat,lng,postal_code\nBC-05467,Bưu cục Gia Sàng,05467,21.57,105.85,24467\n"); err != nil {
		t.Fatal(err)
	}
	if got := postal("BC-05467"); got != "24467" {
		t.Errorf("postal code %q after import", got)
	}
	if err := imp("code,name,commune_code,lat,lng\nBC-05467,Bưu cục Gia Sàng mới,05467,21.57,105.85\n"); err != nil {
		t.Fatal(err)
	}
	if got := postal("BC-05467"); got != "24467" {
		t.Errorf("an import without the column changed the postal code to %q", got)
	}
	for _, bad := range []string{"2446", "244670", "BC-05467", "2446a", "２４４６７"} {
		err := imp("code,name,commune_code,lat,lng,postal_code\nBC-05467,Bưu cục Gia Sàng,05467,21.57,105.85," + bad + "\nBC-05455,Bưu cục Quyết Thắng,05455,21.60,105.82,24455\n")
		if err == nil || !strings.Contains(err.Error(), "mã bưu chính") {
			t.Errorf("postal code %q: %v", bad, err)
		}
	}
	if got := postal("BC-05467"); got != "24467" {
		t.Errorf("a refused import changed the postal code to %q", got)
	}
	if n := e.count(`SELECT count(*) FROM post_offices WHERE code = 'BC-05455' AND postal_code = '24455'`); n != 0 {
		t.Error("a refused import wrote an office")
	}
}

// TestDispatchPageInBrowser drives the dispatcher's page in Chromium at
// 1280 px and 360 px: map drawn, re-plan with the progress bar, publish,
// shift and zone pages; axe and no sideways scroll.
func TestDispatchPageInBrowser(t *testing.T) {
	e := startServer(t, nil)
	s := e.login("dieuphoi")
	day := requestDay(t)
	base := "/nhan-vien/dieu-phoi"
	if code, _, _ := s.post(base+"/vung/phu", url.Values{"bc": {"BC-05443"}, "xa": {"05443", "05455", "05467"}, "cach_phu": {"center"}}); code != 303 {
		t.Fatalf("cover %d", code)
	}
	if code, _, _ := s.post(base+"/vung/phu", url.Values{"bc": {"BC-05488"}, "xa": {"05488"}, "cach_phu": {"center"}, "bo_qua": {"1"}}); code != 303 {
		t.Fatalf("cover %d", code)
	}
	if _, err := e.sys.auth.CreateUser(context.Background(), newCourier("buuta3", "BC-05443", "Bưu tá Ba")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"BUUTA1", "BUUTA3"} {
		v := url.Values{"bc": {"BC-05443"}, "buu_ta": {c}, "ngay": {day.String()}, "so_ngay": {"1"}, "bat_dau": {"07:30"},
			"ket_thuc": {"17:30"}, "suc_cho": {"6"}, "diem_toi_da": {"0"}, "phuong_tien": {"motorbike"}}
		if code, _, body := s.post(base+"/ca", v); code != 303 {
			t.Fatalf("shift %s: %d %s", c, code, snippet(body, "error-summary"))
		}
	}
	createRequests(t, e, "000.00.19.BR", 10)
	// One request without coordinates: placed at its commune's centre,
	// flagged approximate on the map and in the list.
	approx := validBody("000.00.19.BQ-A")
	addr := approx["address"].(map[string]any)
	delete(addr, "lat")
	delete(addr, "lng")
	if r := e.portal().do("POST", "/api/v1/portal/pickups", mustJSON(t, approx), "000.00.19.BQ-a"); r.status != 201 {
		t.Fatalf("approximate request: %d %s", r.status, r.body)
	}
	code, loc, _ := s.post(base+"/lap", url.Values{"bc": {"BC-05443"}, "ngay": {day.String()}, "thoi_gian": {"2"}})
	if code != 303 {
		t.Fatalf("plan %d", code)
	}
	waitJob(t, s, loc)
	code, body := s.get(base + "/ke-hoach?bc=BC-05443&ngay=" + day.String())
	if code != 200 || !strings.Contains(body, "Vị trí gần đúng") || !strings.Contains(body, "Phường Phan Đình Phùng") ||
		!strings.Contains(body, `class="stop-label stop-label--pickup`) || strings.Contains(body, "Số 12, tổ 3") || !strings.Contains(body, "Số xx, tổ x") {
		t.Errorf("plan page: %d, want stop labels, commune names, the approximate flag and masked address lines", code)
	}
	var m struct {
		Routes []struct {
			Stops []struct {
				Seq     int    `json:"seq"`
				Commune string `json:"commune"`
				Address string `json:"address"`
				Approx  bool   `json:"approx"`
			} `json:"stops"`
		} `json:"routes"`
	}
	if code := s.getJSON(base+"/ban-do.json?bc=BC-05443&ngay="+day.String(), &m); code != 200 {
		t.Fatalf("map JSON %d", code)
	}
	approxStops := 0
	for _, r := range m.Routes {
		for _, st := range r.Stops {
			if st.Commune != "Phường Phan Đình Phùng" || st.Address != "Số xx, tổ x" || st.Seq < 1 {
				t.Errorf("map stop %+v", st)
			}
			if st.Approx {
				approxStops++
			}
		}
	}
	if approxStops != 1 {
		t.Errorf("%d approximate stops on the map, want 1", approxStops)
	}
	createRequests(t, e, "000.00.19.BS", 1)
	res := e.browser("dispatch", map[string]any{"username": "dieuphoi", "password": "mat-khau-dieuphoi", "office": "BC-05443", "day": day.String()})
	var out struct {
		Stops     int    `json:"stops"`
		Published string `json:"published"`
	}
	if err := json.Unmarshal(res, &out); err != nil || out.Stops < 10 {
		t.Fatalf("result %s: %v", res, err)
	}
	if n := e.count(`SELECT count(*) FROM dispatch_plans WHERE status = 'published'`); n != 1 {
		t.Errorf("%d published plans after the browser run", n)
	}
	if n := e.count(`SELECT count(*) FROM events WHERE type = 'pickup.scheduled'`); n < 10 {
		t.Errorf("%d pickup.scheduled events after publishing in the browser", n)
	}
}

// courierRoute is the tracking numbers of a courier's pickups of a day, in
// the order the courier app shows them.
func courierRoute(t *testing.T, e *testEnv, username string, day dispatch.Day) []string {
	t.Helper()
	code, body := e.courier(username).get("/api/v1/courier/route?date=" + day.String())
	var out struct {
		Stops []struct {
			TrackingNumber string `json:"tracking_number"`
			Kind           string `json:"kind"`
		} `json:"stops"`
	}
	if code != 200 || json.Unmarshal(body, &out) != nil {
		t.Fatalf("courier route: %d %.300s", code, body)
	}
	var ns []string
	for _, s := range out.Stops {
		if s.Kind == "pickup" {
			ns = append(ns, s.TrackingNumber)
		}
	}
	return ns
}

func snippet(body, class string) string {
	i := strings.Index(body, class)
	if i < 0 {
		if len(body) > 300 {
			return body[:300]
		}
		return body
	}
	end := min(len(body), i+600)
	return body[i:end]
}

func writeFile(name, text string) error { return os.WriteFile(name, []byte(text), 0o600) }

func newCourier(username, office, name string) app.NewUser {
	return app.NewUser{Username: username, Role: app.RoleCourier, OfficeCode: office, FullName: name, Password: "mat-khau-" + username}
}

// TestMapTilesCSP: with HOSO_MAP_TILES the plan page carries the tile
// template and the dispatch pages' CSP allows images from that host and no
// other; other pages keep images to the server itself. Without it the page
// has no tile layer.
func TestMapTilesCSP(t *testing.T) {
	e := startServer(t, map[string]string{"HOSO_MAP_TILES": "https://tiles.bando.example/{z}/{x}/{y}.png"})
	s := e.login("dieuphoi")
	csp := func(path string) (string, string) {
		resp, err := s.c.Get(s.base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.Header.Get("Content-Security-Policy"), string(b)
	}
	h, body := csp("/nhan-vien/dieu-phoi/ke-hoach?bc=BC-05443")
	if !strings.Contains(h, "img-src 'self' data: blob: https://tiles.bando.example;") || strings.Count(h, "tiles.bando.example") != 1 {
		t.Errorf("dispatch CSP: %s", h)
	}
	if !strings.Contains(body, `data-tiles="https://tiles.bando.example/{z}/{x}/{y}.png"`) {
		t.Error("the plan page does not give the map its tile template")
	}
	if h, _ := csp("/tra-cuu"); strings.Contains(h, "tiles.bando.example") {
		t.Errorf("a public page's CSP allows the tile host: %s", h)
	}
	plain := startServer(t, nil)
	ps := plain.login("dieuphoi")
	if code, body := ps.get("/nhan-vien/dieu-phoi/ke-hoach?bc=BC-05443"); code != 200 || strings.Contains(body, "data-tiles") {
		t.Errorf("without HOSO_MAP_TILES: %d, tiles on the page", code)
	}
}
