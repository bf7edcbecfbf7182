package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/tracking"
)

// TestCalendarAdminPage: the admin lists the year's days off and make-up
// days (seeded by migration 0020), adds and removes one (audited), and
// imports a year from CSV; a bad date, a duplicate, a weekday make-up day,
// non-UTF-8 text, a past year and a CSV with one bad row are refused
// beside the field with nothing changed; a dispatcher, an office, a
// courier and a desk get 403; a province's admin sets the Saturday rule of
// its own desks only.
func TestCalendarAdminPage(t *testing.T) {
	e := startServer(t, nil)
	ctx := context.Background()
	admin := e.login("quantri")
	year := time.Now().In(time.FixedZone("ICT", 7*3600)).Year()
	next := year + 1
	days := func() int { return e.count(`SELECT count(*) FROM calendar_days`) }
	audits := func() int { return e.count(`SELECT count(*) FROM audit_log WHERE action LIKE 'calendar.%'`) }

	code, body := admin.get("/nhan-vien/lich?nam=2026")
	if code != 200 || !strings.Contains(body, "Tết Nguyên đán (mùng 1)") || !strings.Contains(body, `id="ngay-2026-02-17"`) {
		t.Fatalf("the 2026 calendar: %d %.300s", code, body)
	}
	if code, body := admin.get("/nhan-vien/lich?nam=2025"); code != 200 || !strings.Contains(body, "Làm bù cho thứ Sáu 02/5") {
		t.Errorf("the 2025 calendar: %d", code)
	} else if year > 2025 && (strings.Contains(body, `action="/nhan-vien/lich/xoa"`) || !strings.Contains(body, "chỉ để xem")) {
		t.Error("a past year is editable on the page")
	}
	for _, y := range []string{"1999", "abc", "99999"} {
		if code, _ := admin.get("/nhan-vien/lich?nam=" + y); code != 404 && code != 200 {
			t.Errorf("year %q: %d", y, code)
		}
	}

	// Refused, each beside its field, nothing written.
	before, beforeAudit := days(), audits()
	d := func(m, dd int) string { return fmt.Sprintf("%d-%02d-%02d", next, m, dd) }
	firstSaturday := time.Date(next, 3, 1, 0, 0, 0, 0, time.UTC)
	for firstSaturday.Weekday() != time.Saturday {
		firstSaturday = firstSaturday.AddDate(0, 0, 1)
	}
	firstMonday := firstSaturday.AddDate(0, 0, 2)
	for _, bad := range []struct {
		form   url.Values
		status int
		want   string
	}{
		{url.Values{"date": {d(2, 30)}, "kind": {"holiday"}, "name": {"Ngày không có"}}, 422, "không có thật"},
		{url.Values{"date": {"hôm qua"}, "kind": {"holiday"}, "name": {"x"}}, 422, "năm-tháng-ngày"},
		{url.Values{"date": {strings.Repeat("2", 5000)}, "kind": {"holiday"}, "name": {"x"}}, 422, "năm-tháng-ngày"},
		{url.Values{"date": {"2027-0\xff-01"}, "kind": {"holiday"}, "name": {"x"}}, 422, "năm-tháng-ngày"},
		{url.Values{"date": {""}, "kind": {"holiday"}, "name": {"x"}}, 422, "Chọn ngày"},
		{url.Values{"date": {"2024-05-01"}, "kind": {"holiday"}, "name": {"Quốc tế Lao động"}}, 422, "đã qua"},
		{url.Values{"date": {d(6, 10)}, "kind": {"khac"}, "name": {"x"}}, 422, "Chọn ngày nghỉ hoặc ngày làm bù"},
		{url.Values{"date": {d(6, 10)}, "kind": {"holiday"}, "name": {"  "}}, 422, "Nhập tên ngày"},
		{url.Values{"date": {d(6, 10)}, "kind": {"holiday"}, "name": {"Ng\xff\xfey"}}, 422, "không đọc được"},
		{url.Values{"date": {d(6, 10)}, "kind": {"holiday"}, "name": {strings.Repeat("Tết ", 40)}}, 422, "dài quá"},
		{url.Values{"date": {firstMonday.Format("2006-01-02")}, "kind": {"workday"}, "name": {"Làm bù"}}, 422, "thứ Bảy hoặc Chủ nhật"},
	} {
		code, _, body := admin.post("/nhan-vien/lich", bad.form)
		if code != bad.status || !strings.Contains(body, bad.want) || !strings.Contains(body, `field--error`) {
			t.Errorf("%v: %d, want %d with %q beside the field: %s", bad.form, code, bad.status, bad.want, errorText(body))
		}
	}
	if days() != before || audits() != beforeAudit {
		t.Fatal("a refused day was written")
	}

	// Added once (audited); the second time is a duplicate, refused beside
	// the date; a double submit leaves one row.
	add := url.Values{"date": {d(6, 10)}, "kind": {"holiday"}, "name": {"Ngày nghỉ thử"}}
	if code, loc, _ := admin.post("/nhan-vien/lich", add); code != 303 || !strings.Contains(loc, "nam="+strconv.Itoa(next)) {
		t.Fatalf("add: %d %s", code, loc)
	}
	code, _, body = admin.post("/nhan-vien/lich", add)
	if code != 409 || !strings.Contains(body, "đã có trong lịch") || !strings.Contains(body, `aria-invalid="true"`) {
		t.Errorf("duplicate: %d", code)
	}
	if n := e.count(`SELECT count(*) FROM calendar_days WHERE day = ?`, d(6, 10)); n != 1 {
		t.Errorf("%d rows for the day", n)
	}
	if code, _, _ := admin.post("/nhan-vien/lich", url.Values{"date": {firstSaturday.Format("2006-01-02")}, "kind": {"workday"}, "name": {"Làm bù thử"}}); code != 303 {
		t.Errorf("a make-up Saturday: %d", code)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'calendar.day_added' AND subject = ?`, "calendar:"+d(6, 10)); n != 1 {
		t.Errorf("%d audit rows for the addition", n)
	}
	if _, body := admin.get("/nhan-vien/lich?nam=" + strconv.Itoa(next)); !strings.Contains(body, "Ngày nghỉ thử") {
		t.Error("the added day is not listed")
	}

	// Removed (audited); removing again is not found; a past day is refused.
	if code, _, _ := admin.post("/nhan-vien/lich/xoa", url.Values{"date": {d(6, 10)}}); code != 303 {
		t.Errorf("remove: %d", code)
	}
	if code, _, _ := admin.post("/nhan-vien/lich/xoa", url.Values{"date": {d(6, 10)}}); code != 404 {
		t.Errorf("remove again: %d", code)
	}
	if year > 2025 {
		if code, _, _ := admin.post("/nhan-vien/lich/xoa", url.Values{"date": {"2025-09-02"}}); code != 422 {
			t.Errorf("removing a past year's day: %d", code)
		}
		if e.count(`SELECT count(*) FROM calendar_days WHERE day = '2025-09-02'`) != 1 {
			t.Error("a past year's day was removed")
		}
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'calendar.day_removed'`); n != 1 {
		t.Errorf("%d removal audit rows", n)
	}

	// Import: a file with one bad row changes nothing and names the row;
	// a good one replaces the year.
	before, beforeAudit = days(), audits()
	badCSV := "ngày,loại,tên\n" + d(1, 1) + ",nghỉ,Tết Dương lịch\n" + d(2, 30) + ",nghỉ,Ngày sai\n" + d(1, 1) + ",nghỉ,Trùng\n" + d(3, 3) + ",khác,Loại sai\n"
	for _, bad := range []struct {
		form url.Values
		want string
	}{
		{url.Values{"nam": {strconv.Itoa(next)}, "csv": {badCSV}}, "dòng 3"},
		{url.Values{"nam": {strconv.Itoa(next)}, "csv": {badCSV}}, "dòng 4: ngày 01/01/" + strconv.Itoa(next) + " trùng dòng 2"},
		{url.Values{"nam": {strconv.Itoa(next)}, "csv": {badCSV}}, "dòng 5"},
		{url.Values{"nam": {strconv.Itoa(next)}, "csv": {d(1, 1) + ",nghỉ,T\xe9t\n"}}, "UTF-8"},
		{url.Values{"nam": {strconv.Itoa(next)}, "csv": {fmt.Sprintf("%d-05-01,nghỉ,Năm khác\n", next+1)}}, "không thuộc năm"},
		{url.Values{"nam": {"2024"}, "csv": {"2024-05-01,nghỉ,Quốc tế Lao động\n"}}, "năm cũ"},
		{url.Values{"nam": {"abc"}, "csv": {d(1, 1) + ",nghỉ,Tết\n"}}, "Chọn năm"},
		{url.Values{"nam": {strconv.Itoa(next)}, "csv": {"  "}}, "Chọn tệp CSV"},
		{url.Values{"nam": {strconv.Itoa(next)}, "csv": {d(1, 1) + ",nghỉ\n"}}, "cần 3 cột"},
	} {
		code, _, body := admin.post("/nhan-vien/lich/nhap", bad.form)
		if code != 422 || !strings.Contains(body, bad.want) {
			t.Errorf("import %.60q: %d, want 422 naming %q", bad.form.Get("csv"), code, bad.want)
		}
	}
	if days() != before || audits() != beforeAudit {
		t.Fatal("a refused import changed the calendar")
	}
	good := "\uFEFFngày,loại,tên\n" + d(1, 1) + ",nghỉ,Tết Dương lịch\n" + d(4, 30) + ",holiday,Ngày Chiến thắng\n" + firstSaturday.Format("02/01/2006") + ",làm bù,Làm bù\n"
	if code, _, body := admin.post("/nhan-vien/lich/nhap", url.Values{"nam": {strconv.Itoa(next)}, "csv": {good}}); code != 303 {
		t.Fatalf("good import: %d %.300s", code, body)
	}
	if n := e.count(`SELECT count(*) FROM calendar_days WHERE extract(year FROM day) = ?`, next); n != 3 {
		t.Errorf("%d days in %d after the import, want 3 (the year replaced)", n, next)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'calendar.year_imported'`); n != 1 {
		t.Errorf("%d import audit rows", n)
	}

	// Other roles: 403, nothing written.
	before = days()
	for _, who := range []string{"dieuphoi", "buucuc", "buuta1", "motcua"} {
		s := e.login(who)
		if code, _ := s.get("/nhan-vien/lich"); code != 403 {
			t.Errorf("%s reads the calendar page: %d", who, code)
		}
		if code, _, _ := s.post("/nhan-vien/lich", url.Values{"date": {d(7, 7)}, "kind": {"holiday"}, "name": {"Ngày của " + who}}); code != 403 {
			t.Errorf("%s adds a day: %d", who, code)
		}
		if code, _, _ := s.post("/nhan-vien/lich/nhap", url.Values{"nam": {strconv.Itoa(next)}, "csv": {d(7, 7) + ",nghỉ,x\n"}}); code != 403 {
			t.Errorf("%s imports: %d", who, code)
		}
		if code, _, _ := s.post("/nhan-vien/lich/mot-cua/TN-TTPVHCC", url.Values{"saturday": {"yes"}}); code != 403 {
			t.Errorf("%s sets a Saturday rule: %d", who, code)
		}
	}
	if days() != before {
		t.Fatal("a refused role wrote a day")
	}

	// The desk's Saturday rule: its province's admin only.
	if _, err := e.sys.auth.CreateUser(ctx, app.NewUser{Username: "qt19", Password: "mat-khau-qt19", Role: app.RoleAdmin, ProvinceCode: "19"}); err != nil {
		t.Fatal(err)
	}
	qt19 := e.login("qt19")
	if code, body := qt19.get("/nhan-vien/lich/mot-cua/TN-TTPVHCC"); code != 200 || !strings.Contains(body, "Sáng thứ Bảy") {
		t.Errorf("rule page: %d", code)
	}
	if code, _, _ := qt19.post("/nhan-vien/lich/mot-cua/TN-TTPVHCC", url.Values{"saturday": {"có"}}); code != 422 {
		t.Errorf("a bad choice: %d", code)
	}
	if code, _, _ := qt19.post("/nhan-vien/lich/mot-cua/TN-TTPVHCC", url.Values{"saturday": {"yes"}}); code != 303 {
		t.Errorf("set: %d", code)
	}
	if code, _, _ := qt19.post("/nhan-vien/lich/mot-cua/TN-TTPVHCC", url.Values{"saturday": {"yes"}}); code != 303 {
		t.Errorf("set again: %d", code)
	}
	if code, _, _ := qt19.post("/nhan-vien/lich/mot-cua/HN-MC-00004", url.Values{"saturday": {"yes"}}); code != 404 {
		t.Errorf("another province's desk: %d, want 404", code)
	}
	if e.count(`SELECT count(*) FROM desks WHERE saturday_morning`) != 1 {
		t.Error("the Saturday rule is not where it was set")
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'calendar.desk_saturday' AND subject = 'desk:TN-TTPVHCC'`); n != 1 {
		t.Errorf("%d audit rows for the Saturday rule (the repeat changes nothing)", n)
	}
	if _, body := admin.get("/nhan-vien/danh-muc/mot-cua/TN-TTPVHCC"); !strings.Contains(body, "/nhan-vien/lich/mot-cua/TN-TTPVHCC") {
		t.Error("the desk's page does not lead to its Saturday rule")
	}
}

// errorText is the error summary of a page, for a failure's message.
func errorText(body string) string {
	if i := strings.Index(body, "field-error"); i >= 0 {
		return body[i:min(len(body), i+300)]
	}
	return ""
}

// TestDossierDatesInWorkingDays: a portal request with a legal deadline
// gets its deadline_risk time from the desk's working days; before the desk
// accepts, the citizen's page and the staff page say the desk will set the
// appointment (the system knows no procedure's working days); once the desk
// accepts with an appointment, both show it with its weekday and the working
// days left, counted with the calendar and the desk's Saturday rule.
func TestDossierDatesInWorkingDays(t *testing.T) {
	e := startServer(t, nil)
	ctx := context.Background()
	ict := time.FixedZone("ICT", 7*3600)
	cal, err := e.db.WorkingCalendar(ctx)
	if err != nil {
		t.Fatal(err)
	}
	today := tracking.DayOf(time.Now())
	deadline := cal.AddWorkingDays(today, 12, tracking.WorkweekRule{})

	// The risk time of a portal request, in working days.
	body := validBody("000.00.19.DATES-RISK")
	body["dossier"].(map[string]any)["legal_deadline"] = deadline.Format(tracking.DateLayout)
	r := e.portal().do("POST", "/api/v1/portal/pickups", mustJSON(t, body), "k-dates-risk")
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var created map[string]string
	r.json(t, &created)
	pairs, err := e.db.PairsForTest(ctx, `SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
		to_char(risk_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') FROM parcels WHERE tracking_number = ?`, created["tracking_number"])
	if err != nil || len(pairs) != 1 {
		t.Fatalf("risk_at: %v %v", pairs, err)
	}
	createdAt, _ := time.Parse(time.RFC3339Nano, pairs[0][0])
	riskAt, _ := time.Parse(time.RFC3339Nano, pairs[0][1])
	if want := cal.RiskAt(createdAt, time.Date(deadline.Year(), deadline.Month(), deadline.Day(), 0, 0, 0, 0, ict), 0.5, tracking.WorkweekRule{}); !riskAt.Equal(want) {
		t.Errorf("risk_at %s, want %s (half of the working days to %s)", riskAt, want, deadline.Format(tracking.DateLayout))
	}

	// Before the desk's acceptance.
	n := e.counterParcels(t, "desk:TN-TTPVHCC", "DATES-1")[0]
	admin := e.login("quantri")
	if _, page := admin.get("/nhan-vien/buu-gui/" + n); !strings.Contains(page, "Ngày hẹn trả") || !strings.Contains(page, "một cửa hẹn khi tiếp nhận") {
		t.Error("the staff page does not say the appointment is still to be set")
	}
	if _, page := e.citizenPage(t, n, "5678"); !strings.Contains(page, "Bộ phận một cửa sẽ hẹn ngày trả khi tiếp nhận hồ sơ") {
		t.Error("the citizen's page does not say the appointment is still to be set")
	}

	// The desk accepts with an appointment seven working days away.
	desk := e.login("motcua")
	if _, page := desk.postForm("/mot-cua/nhan", url.Values{"so": {n}, "dem": {"1"}, "seal": {"intact"}, "seal_id": {"NP-DATES-1"}, "count_1": {"1"}, "count_2": {"1"}, "count_3": {"2"}}); !strings.Contains(page, `data-scan="ok"`) {
		t.Fatal("desk receives")
	}
	// The desk sees the portal's legal deadline beside the appointment it sets.
	if _, page := desk.get("/mot-cua"); !strings.Contains(page, "Hạn giải quyết do cổng gửi: Thứ Bảy, 05/12/2026") {
		t.Error("the desk's page does not name the legal deadline beside the appointment")
	}
	appointment := cal.AddWorkingDays(today, 7, tracking.WorkweekRule{})
	if code, _ := desk.postForm("/mot-cua/quyet-dinh/"+n, url.Values{"decision": {"accept"}, "appointment": {appointment.Format(tracking.DateLayout)}}); code != 200 {
		t.Fatalf("accept: %d", code)
	}
	weekdays := [...]string{"Chủ nhật", "Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy"}
	want := weekdays[appointment.Weekday()] + ", " + appointment.Format("02/01/2006")
	if _, page := e.citizenPage(t, n, "5678"); !strings.Contains(page, want) || !strings.Contains(page, "(còn 7 ngày làm việc)") {
		t.Errorf("the citizen's page does not show the appointment %s, 7 working days left", want)
	}
	if _, page := admin.get("/nhan-vien/buu-gui/" + n); !strings.Contains(page, want+" · còn 7 ngày làm việc") {
		t.Errorf("the staff page does not show the appointment %s", want)
	}
	// The tracking JSON carries the same dates, with the proof only.
	var track struct {
		Dates *struct {
			Appointment     string `json:"appointment_date"`
			AppointmentLeft *int   `json:"appointment_working_days_left"`
			Done            bool   `json:"done"`
		} `json:"dates"`
	}
	if _, b := e.get("/api/v1/public/track/" + n + "?phone_last4=5678"); json.Unmarshal(b, &track) != nil || track.Dates == nil ||
		track.Dates.Appointment != appointment.Format(tracking.DateLayout) || track.Dates.AppointmentLeft == nil || *track.Dates.AppointmentLeft != 7 || track.Dates.Done {
		t.Errorf("tracking JSON dates: %s", b)
	}
	if _, b := e.get("/api/v1/public/track/" + n); strings.Contains(string(b), `"dates"`) {
		t.Errorf("the dates without a proof: %s", b)
	}
	// The portal reads the appointment the desk set in the pickup it asks for.
	var list []struct {
		TrackingNumber string `json:"tracking_number"`
		Dates          *struct {
			Appointment string `json:"appointment_date"`
			Left        *int   `json:"appointment_working_days_left"`
		} `json:"dates"`
	}
	pr := e.portal().do("GET", "/api/v1/portal/pickups?dossier_code=000.00.19.DATES-1", nil, "")
	if pr.status != 200 || json.Unmarshal(pr.body, &list) != nil || len(list) == 0 {
		t.Fatalf("portal list: %d %s", pr.status, pr.body)
	}
	if got := list[0]; got.Dates == nil || got.Dates.Appointment != appointment.Format(tracking.DateLayout) || got.Dates.Left == nil || *got.Dates.Left != 7 {
		t.Errorf("the portal's pickup lacks the appointment: %s", pr.body)
	}
	// A desk open on Saturday morning counts its Saturdays.
	e.db.ExecForTest(ctx, `UPDATE desks SET saturday_morning = true WHERE code = 'TN-TTPVHCC'`)
	left := cal.WorkingDaysBetween(today, appointment, tracking.WorkweekRule{SaturdayMorning: true})
	if _, page := admin.get("/nhan-vien/buu-gui/" + n); !strings.Contains(page, fmt.Sprintf("%s · còn %d ngày làm việc", want, left)) {
		t.Errorf("the Saturday desk's page does not count %d working days", left)
	}
}

// TestCalendarPagesInBrowser: the calendar page, its errors, the desk's
// Saturday rule, the staff parcel page and the citizen's tracking page with
// the appointment, at 360 px and 1280 px, axe clean (e2e/scenarios/calendar.mjs).
func TestCalendarPagesInBrowser(t *testing.T) {
	e := startServer(t, nil)
	n := e.counterParcels(t, "desk:TN-TTPVHCC", "CAL-B")[0]
	desk := e.login("motcua")
	if _, page := desk.postForm("/mot-cua/nhan", url.Values{"so": {n}, "dem": {"1"}, "seal": {"intact"}, "seal_id": {"NP-CAL-B"}, "count_1": {"1"}, "count_2": {"1"}, "count_3": {"2"}}); !strings.Contains(page, `data-scan="ok"`) {
		t.Fatal("desk receives")
	}
	cal, err := e.db.WorkingCalendar(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	appointment := cal.AddWorkingDays(tracking.DayOf(time.Now()), 5, tracking.WorkweekRule{})
	if code, _ := desk.postForm("/mot-cua/quyet-dinh/"+n, url.Values{"decision": {"accept"}, "appointment": {appointment.Format(tracking.DateLayout)}}); code != 200 {
		t.Fatalf("accept: %d", code)
	}
	next := time.Now().In(time.FixedZone("ICT", 7*3600)).Year() + 1
	out := e.browser("calendar", map[string]any{"admin": map[string]string{"username": "quantri", "password": "mat-khau-quantri"},
		"year": next, "number": n, "last4": "5678"})
	if !strings.Contains(string(out), "track360") || !strings.Contains(string(out), "track1280") {
		t.Errorf("browser run: %s", out)
	}
	if n := e.count(`SELECT count(*) FROM calendar_days WHERE name LIKE 'Ngày nghỉ thử %'`); n != 2 {
		t.Errorf("%d days added from the browser, want 2", n)
	}
}
