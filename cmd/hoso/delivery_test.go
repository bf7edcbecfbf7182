package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"hoso/dispatch"
	"hoso/internal/app"
)

// TestDeliveryWindowAPI: the portal that registered a result lists its free
// delivery slots and chooses one; staff in scope choose on the citizen's
// behalf (audited); bad input changes nothing; another province's
// dispatcher and the courier are refused.
func TestDeliveryWindowAPI(t *testing.T) {
	e := startServer(t, nil)
	portal := e.portal()
	body := `{"documents":[{"name":"Giấy chứng nhận kết hôn","kind":"original","count":1}],"fee":30000,"desk_code":"TN-TTPVHCC",
		"citizen":{"full_name":"Nguyễn Thị Bình","phone":"0987000100"},"address":{"province_code":"19","commune_code":"05443","line":"Số 1"}}`
	r := portal.do("POST", "/api/v1/portal/dossiers/000.00.19.GIAO-1/result", []byte(body), "giao-1")
	if r.status != 201 {
		t.Fatalf("result: %d %s", r.status, r.body)
	}
	var created map[string]string
	r.json(t, &created)
	id, number := created["id"], created["tracking_number"]
	// The result reaches the post office (the counters' hand-offs are
	// tested elsewhere).
	if err := e.db.ExecForTest(context.Background(), `UPDATE parcels SET status = 'at_office', office_code = 'BC-05443' WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}

	start, _ := nextWindow(1)
	day := start.Format("2006-01-02")
	r = portal.do("GET", "/api/v1/portal/results/"+id+"/delivery-slots?date="+day, nil, "")
	var slots struct {
		TrackingNumber string `json:"tracking_number"`
		Slots          []struct {
			Start, End string
			Free       bool
		} `json:"slots"`
	}
	if r.status != 200 || json.Unmarshal(r.body, &slots) != nil || len(slots.Slots) != 5 || !slots.Slots[1].Free || slots.TrackingNumber != number {
		t.Fatalf("slots: %d %s", r.status, r.body)
	}
	second := slots.Slots[1].Start // 09:30
	if !strings.HasSuffix(second, "T09:30:00+07:00") {
		t.Fatalf("second slot starts %s", second)
	}
	before := e.tableCounts()
	for _, bad := range []struct {
		name, body string
		status     int
	}{
		{"not JSON", "{", 400},
		{"not UTF-8", "{\"start\":\"\xff\"}", 400},
		{"no start", `{}`, 400},
		{"not a time", `{"start":"9 giờ 30"}`, 400},
		{"not a slot start", fmt.Sprintf(`{"start":%q}`, strings.Replace(second, "09:30", "10:00", 1)), 422},
		{"after service hours", fmt.Sprintf(`{"start":%q}`, strings.Replace(second, "09:30", "18:30", 1)), 422},
		{"unknown field", fmt.Sprintf(`{"start":%q,"courier":"BUUTA1"}`, second), 400},
	} {
		if r := portal.do("POST", "/api/v1/portal/results/"+id+"/delivery-window", []byte(bad.body), "bad-"+bad.name); r.status != bad.status {
			t.Errorf("%s: %d %s, want %d", bad.name, r.status, r.body, bad.status)
		}
	}
	after := e.tableCounts()
	delete(before, "portal_nonces")
	delete(after, "portal_nonces")
	if fmt.Sprint(after) != fmt.Sprint(before) {
		t.Errorf("refused choices wrote rows:\n%v\n%v", before, after)
	}
	choose := []byte(fmt.Sprintf(`{"start":%q}`, second))
	r = portal.do("POST", "/api/v1/portal/results/"+id+"/delivery-window", choose, "giao-chon-1")
	if r.status != 200 || !strings.Contains(string(r.body), `"chosen_by":"portal"`) || !strings.Contains(string(r.body), "T11:30:00+07:00") {
		t.Fatalf("choose: %d %s", r.status, r.body)
	}
	// A pickup's id is no result of the portal's.
	pick := portal.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.GIAO-2")), "giao-2")
	var pc map[string]string
	pick.json(t, &pc)
	if r := portal.do("POST", "/api/v1/portal/results/"+pc["id"]+"/delivery-window", choose, "giao-chon-2"); r.status != 404 {
		t.Errorf("pickup as a result: %d %s", r.status, r.body)
	}

	// Staff: the province's dispatcher moves it (audited); Hà Nội's may not.
	e.addUser(app.NewUser{Username: "dieuphoihn", Role: app.RoleDispatcher, ProvinceCode: "01"})
	third := slots.Slots[2].Start
	path := "/api/v1/staff/results/" + number + "/delivery-window"
	if code, b := e.login("dieuphoihn").jsonPost(path, map[string]string{"start": third}); code != 403 {
		t.Errorf("another province's dispatcher: %d %s", code, b)
	}
	if code, b := e.login("dieuphoi").jsonPost(path, map[string]string{"start": third}); code != 200 || !strings.Contains(string(b), `"chosen_by":"dispatcher"`) {
		t.Fatalf("dispatcher: %d %s", code, b)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'delivery_window.chosen' AND subject = ?`, number); n != 1 {
		t.Errorf("%d audit rows", n)
	}
	desk := e.login("motcua")
	code, b := desk.get("/api/v1/staff/results/" + url.PathEscape(number) + "/delivery-slots?date=" + day)
	if code != 200 || !strings.Contains(b, `"free":true`) {
		t.Errorf("desk's slots: %d %s", code, b)
	}
	if e.count(`SELECT count(*) FROM delivery_windows dw JOIN parcels p ON p.id = dw.parcel_id WHERE p.tracking_number = ?
		AND dw.chosen_by = 'dispatcher' AND dw.starts_at = ?`, number, mustTime(t, third)) != 1 {
		t.Error("the stored window is not the dispatcher's")
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestWholeDayOnThePlanPage: results at the office and pickup requests are
// planned into one route with the lunch break; the plan page lists both
// kinds and the break, and the map data marks each stop's kind.
func TestWholeDayOnThePlanPage(t *testing.T) {
	e := startServer(t, nil)
	ctx := context.Background()
	s := e.login("dieuphoi")
	day := requestDay(t)
	base := "/nhan-vien/dieu-phoi"
	if code, loc, _ := s.post(base+"/vung/phu", url.Values{"bc": {"BC-05443"}, "xa": {"05443", "05455"}, "cach_phu": {"center"}}); code != 303 {
		t.Fatalf("cover: %d %s", code, loc)
	}
	disp, err := e.db.FindUserByUsername(ctx, "dieuphoi")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.sys.dispatch.CreateShifts(ctx, disp, dispatch.Shift{Courier: "BUUTA1", Office: "BC-05443", Day: day, Start: 450, End: 1050,
		Capacity: 20, Vehicle: dispatch.Motorbike, COD: true, BreakFrom: 690, BreakTo: 750, BreakMinutes: 45}, 1, [7]bool{true, true, true, true, true, true, true}); err != nil {
		t.Fatal(err)
	}
	pickups := createRequests(t, e, "000.00.19.NGAY", 3)
	portal := e.portal()
	var results []string
	for i := range 3 {
		body := fmt.Sprintf(`{"documents":[{"name":"Giấy chứng nhận","kind":"original","count":1}],"desk_code":"TN-TTPVHCC",
			"citizen":{"full_name":"Nguyễn Thị Bình","phone":"0987000%03d"},"address":{"province_code":"19","commune_code":"05443","line":"Số %d"}}`, 200+i, i+1)
		r := portal.do("POST", fmt.Sprintf("/api/v1/portal/dossiers/000.00.19.NGAYKQ-%d/result", i), []byte(body), fmt.Sprintf("ngaykq-%d", i))
		if r.status != 201 {
			t.Fatalf("result: %d %s", r.status, r.body)
		}
		var c map[string]string
		r.json(t, &c)
		if err := e.db.ExecForTest(ctx, `UPDATE parcels SET status = 'at_office', office_code = 'BC-05443' WHERE id = ?`, c["id"]); err != nil {
			t.Fatal(err)
		}
		results = append(results, c["tracking_number"])
	}
	code, loc, _ := s.post(base+"/lap", url.Values{"bc": {"BC-05443"}, "ngay": {day.String()}, "thoi_gian": {"2"}})
	if code != 303 {
		t.Fatalf("plan: %d %s", code, loc)
	}
	code, page := s.get(waitJob(t, s, loc))
	if code != 200 {
		t.Fatalf("plan page %d", code)
	}
	for _, n := range append(pickups, results...) {
		if !strings.Contains(page, n) {
			t.Errorf("plan page lacks %s", n)
		}
	}
	for _, w := range []string{"Trả kết quả", "Nhận hồ sơ", "nghỉ trưa", "Vuông: trả kết quả"} {
		if !strings.Contains(page, w) {
			t.Errorf("plan page lacks %q", w)
		}
	}
	var m struct {
		Routes []struct {
			Stops []struct {
				Number string `json:"number"`
				Kind   string `json:"kind"`
			} `json:"stops"`
			Break *struct {
				After      int
				Start, End string
			} `json:"break"`
		} `json:"routes"`
	}
	if code := s.getJSON(base+"/ban-do.json?bc=BC-05443&ngay="+day.String(), &m); code != 200 || len(m.Routes) != 1 || m.Routes[0].Break == nil {
		t.Fatalf("map JSON %d: %+v", code, m)
	}
	kinds := map[string]int{}
	for _, st := range m.Routes[0].Stops {
		kinds[st.Kind]++
	}
	if kinds["delivery"] != 3 || kinds["pickup"] != 3 {
		t.Fatalf("map kinds %v", kinds)
	}

	// Published, the courier's route pack lists both kinds in the plan's
	// order with the break.
	plan, err := e.sys.dispatch.Plan(ctx, disp, "BC-05443", day)
	if err != nil {
		t.Fatal(err)
	}
	if pub, err := e.sys.dispatch.Publish(ctx, disp, plan.ID); err != nil || pub.Deliveries != 3 || len(pub.Refused) != 0 {
		t.Fatalf("publish %+v %v", pub, err)
	}
	resp, err := s.c.Get(e.base + "/nhan-vien/in/tui-hanh-trinh/BUUTA1/" + day.String())
	if err != nil {
		t.Fatal(err)
	}
	pdf, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("route pack %d %s", resp.StatusCode, pdf)
	}
	text := pdfText(t, "tui-hanh-trinh.pdf", pdf)
	for _, w := range []string{"THU GOM VÀ TRẢ KẾT QUẢ", "3 nhận hồ sơ", "3 trả kết quả", "Nghỉ trưa"} {
		if !strings.Contains(text, w) {
			t.Errorf("route pack lacks %q", w)
		}
	}
	r := plan.Routes[0]
	prev := -1
	for _, st := range r.Stops {
		at := strings.Index(text, groupS10(st.Number))
		if at < 0 || at < prev {
			t.Errorf("route pack order: %s at %d after %d", st.Number, at, prev)
		}
		prev = at
	}
}

// groupS10 is how papers print a tracking number: EA 123 456 785 VN.
func groupS10(n string) string {
	if len(n) != 13 {
		return n
	}
	return n[:2] + " " + n[2:5] + " " + n[5:8] + " " + n[8:11] + " " + n[11:]
}
