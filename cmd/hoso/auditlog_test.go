package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"hoso/internal/app"
)

// TestAuditLogViewer: an admin filters the audit log by actor, subject,
// kind and day and exports it as CSV (cells that a spreadsheet would run
// as formulas are defused; the export is itself audited); a bad day is a
// clear error; other roles are refused.
func TestAuditLogViewer(t *testing.T) {
	e := startServer(t, nil)
	admin := e.login("quantri")
	e.login("buucuc")
	if code, _, _ := admin.post("/nhan-vien/danh-muc/mot-cua", url.Values{"code": {"TN-MC-05467"}, "name": {"=HYPERLINK(\"http://x\")"},
		"level": {"commune"}, "commune_code": {"05467"}}); code != 303 {
		t.Fatalf("create desk: %d", code)
	}

	code, body := admin.get("/nhan-vien/nhat-ky")
	if code != 200 || !strings.Contains(body, "Thêm một cửa") || !strings.Contains(body, "user:buucuc") {
		t.Fatalf("audit page: %d", code)
	}
	_, body = admin.get("/nhan-vien/nhat-ky?nguoi=buucuc")
	if !strings.Contains(body, "user:buucuc") || strings.Contains(body, "desk:TN-MC-05467") {
		t.Error("actor filter")
	}
	_, body = admin.get("/nhan-vien/nhat-ky?loai=reference.")
	if !strings.Contains(body, "desk:TN-MC-05467") || strings.Contains(body, "user:buucuc") {
		t.Error("kind filter")
	}
	_, body = admin.get("/nhan-vien/nhat-ky?doi_tuong=TN-MC-05467")
	if !strings.Contains(body, "desk:TN-MC-05467") || strings.Contains(body, "user:buucuc") {
		t.Error("subject filter")
	}
	tomorrow := time.Now().AddDate(0, 0, 2).Format("2006-01-02")
	if _, body = admin.get("/nhan-vien/nhat-ky?tu=" + tomorrow); strings.Contains(body, "desk:TN-MC-05467") {
		t.Error("day filter")
	}
	if code, body := admin.get("/nhan-vien/nhat-ky?tu=hom-qua"); code != 422 || !strings.Contains(body, "năm-tháng-ngày") {
		t.Errorf("bad day: %d", code)
	}
	if code, _ := admin.get("/nhan-vien/nhat-ky?tu=2026-12-07&den=2026-12-01"); code != 422 {
		t.Errorf("end before start: %d", code)
	}
	if code, _ := e.login("dieuphoi").get("/nhan-vien/nhat-ky"); code != 403 {
		t.Errorf("dispatcher: %d", code)
	}

	code, text := admin.get("/nhan-vien/nhat-ky.csv?loai=reference.")
	if code != 200 {
		t.Fatalf("export: %d", code)
	}
	recs, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(text, "\ufeff"))).ReadAll()
	if err != nil || len(recs) != 2 || recs[0][4] != "action" || recs[1][4] != "reference.desk_created" || recs[1][6] != "'=HYPERLINK(\"http://x\")" {
		t.Errorf("export: %v %q", err, recs)
	}
	if e.count(`SELECT count(*) FROM audit_log WHERE action = 'audit.exported' AND reason LIKE '%reference.%'`) != 1 {
		t.Error("the export is not audited")
	}
}

// TestAlarmAcknowledgementAudited: a dispatcher's acknowledgement of an
// alarm is one audit row naming the parcel and the alarm's kind, written
// once however often the button is pressed.
func TestAlarmAcknowledgementAudited(t *testing.T) {
	e := startServer(t, nil)
	r := e.portal().do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.ACK-1")), "ack-1")
	var created map[string]string
	r.json(t, &created)
	n := created["tracking_number"]
	alarms := &app.Alarms{Store: e.db, Now: time.Now, Policy: app.DefaultAlarmPolicy()}
	if _, err := alarms.SweepAt(context.Background(), time.Now()); err != nil {
		t.Fatal(err)
	}
	open := openAlarms(t, e, app.AlarmUnzoned)
	if len(open) != 1 {
		t.Fatalf("%d outside-zone alarms", len(open))
	}
	disp := e.login("dieuphoi")
	for range 2 {
		if code, _, body := disp.post(fmt.Sprintf("/nhan-vien/canh-bao/%d/xac-nhan", open[0].ID), url.Values{}); code >= 400 {
			t.Fatalf("acknowledge: %d %s", code, tail(body, 200))
		}
	}
	if n := e.count(`SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.user_id WHERE u.username = 'dieuphoi'
		AND a.action = 'alarm.acknowledged' AND a.subject = ? AND a.reason = ?`, n, string(app.AlarmUnzoned)); n != 1 {
		t.Errorf("%d audit rows of the acknowledgement, want 1", n)
	}
}
