package main

import (
	"context"
	"testing"
	"time"

	"hoso/internal/app"
)

func openAlarms(t *testing.T, e *testEnv, kind string) []app.Alarm {
	t.Helper()
	as, err := e.db.FindAlarms(context.Background(), app.AlarmFilter{Open: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []app.Alarm
	for _, a := range as {
		if a.Kind == kind {
			out = append(out, a)
		}
	}
	return out
}

// TestUnconfirmedReleaseAlarmsAtItsDeadline freezes the sweep's clock: no
// alarm a minute before the deadline, level 1 at it, escalated while nobody
// acknowledges, cleared when the receiver confirms.
func TestUnconfirmedReleaseAlarmsAtItsDeadline(t *testing.T) {
	e := startServer(t, nil)
	portal := e.portal()
	r := portal.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.ALARM-1")), "alarm-1")
	var created map[string]string
	r.json(t, &created)
	n := created["tracking_number"]
	c := e.courier("buuta1")
	_, res := c.send(ev("pickup.collected", n, map[string]any{"documents": []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}},
		"seal_id": "NP-777", "method": "signature", "signature_sha256": "ab" + string(make([]byte, 0)) + "abababababababababababababababababababababababababababababababab"[:62]}),
		ev("handoff.released", n, map[string]any{"to": "post_office:BC-05443"}))
	wantStatuses(t, "collect and release", res, "accepted", "accepted")
	var deadline time.Time
	p, err := e.db.FindParcelByNumber(context.Background(), n)
	if err != nil {
		t.Fatal(err)
	}
	deadline = p.UpdatedAt.Add(30 * time.Minute)

	alarms := &app.Alarms{Store: e.db, Now: time.Now, Policy: app.DefaultAlarmPolicy()}
	ctx := context.Background()
	if _, err := alarms.SweepAt(ctx, deadline.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := openAlarms(t, e, app.AlarmHandoff); len(got) != 0 {
		t.Fatalf("alarm before the deadline: %+v", got)
	}
	st, err := alarms.SweepAt(ctx, deadline)
	if err != nil {
		t.Fatal(err)
	}
	got := openAlarms(t, e, app.AlarmHandoff)
	if len(got) != 1 || got[0].Level != 1 || got[0].Number != n || st.Raised < 1 {
		t.Fatalf("at the deadline: %+v (%+v)", got, st)
	}
	// Raised once: another sweep adds nothing.
	if _, err := alarms.SweepAt(ctx, deadline.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got := openAlarms(t, e, app.AlarmHandoff); len(got) != 1 {
		t.Fatalf("raised twice: %d", len(got))
	}
	// Escalates every 30 minutes without acknowledgement, up to 3.
	for i, want := range []int{2, 3, 3} {
		if _, err := alarms.SweepAt(ctx, deadline.Add(time.Duration(31*(i+1))*time.Minute)); err != nil {
			t.Fatal(err)
		}
		if got := openAlarms(t, e, app.AlarmHandoff); got[0].Level != want {
			t.Fatalf("escalation %d: level %d, want %d", i, got[0].Level, want)
		}
	}
	// The office confirms: the next sweep clears it.
	office := e.login("buucuc")
	wantStatuses(t, "confirm", office.events(ev("handoff.confirmed", n, map[string]any{"seal_intact": true})), "accepted")
	if _, err := alarms.SweepAt(ctx, deadline.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got := openAlarms(t, e, app.AlarmHandoff); len(got) != 0 {
		t.Fatalf("not cleared: %+v", got)
	}
	// And the page shows the history to the dispatcher.
	disp := e.login("dieuphoi")
	code, body := disp.get("/nhan-vien/canh-bao")
	if code != 200 || !contains(body, "Bàn giao chưa được bên nhận xác nhận") {
		t.Errorf("alarm page %d", code)
	}
}

func TestOtherAlarmsRaiseAndClear(t *testing.T) {
	e := startServer(t, nil)
	portal := e.portal()
	body := validBody("000.00.19.ALARM-2")
	r := portal.do("POST", "/api/v1/portal/pickups", mustJSON(t, body), "alarm-2")
	var created map[string]string
	r.json(t, &created)
	n := created["tracking_number"]
	ctx := context.Background()
	p, _ := e.db.FindParcelByNumber(ctx, n)
	alarms := &app.Alarms{Store: e.db, Now: time.Now, Policy: app.DefaultAlarmPolicy()}
	// Outside every zone at once (no zones in this fixture).
	if _, err := alarms.SweepAt(ctx, time.Now()); err != nil {
		t.Fatal(err)
	}
	if len(openAlarms(t, e, app.AlarmUnzoned)) != 1 {
		t.Error("no outside-zone alarm")
	}
	// The window passes with no attempt.
	later := p.WindowEnd.Add(time.Minute)
	if _, err := alarms.SweepAt(ctx, later); err != nil {
		t.Fatal(err)
	}
	if len(openAlarms(t, e, app.AlarmWindow)) != 1 {
		t.Error("no window alarm")
	}
	// Quiet for 24 h in requested.
	if _, err := alarms.SweepAt(ctx, p.CreatedAt.Add(25*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if len(openAlarms(t, e, app.AlarmQuiet)) != 1 {
		t.Error("no quiet alarm")
	}
	// Deadline risk once half the time to the legal deadline is used.
	if p.RiskAt != nil {
		if _, err := alarms.SweepAt(ctx, p.RiskAt.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if len(openAlarms(t, e, app.AlarmDeadline)) != 1 {
			t.Error("no deadline alarm")
		}
	}
	// An attempt clears the window alarm; collection clears the rest.
	c := e.courier("buuta1")
	_, res := c.send(ev("pickup.attempt_failed", n, map[string]any{"reason": "not_home"}),
		ev("pickup.collected", n, map[string]any{"documents": []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}},
			"seal_id": "NP-778", "method": "signature", "signature_sha256": "abababababababababababababababababababababababababababababababab"}))
	wantStatuses(t, "attempt and collect", res, "accepted", "accepted")
	if _, err := alarms.SweepAt(ctx, p.CreatedAt.Add(26*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{app.AlarmWindow, app.AlarmDeadline, app.AlarmUnzoned} {
		if got := openAlarms(t, e, k); len(got) != 0 {
			t.Errorf("%s still open after collection", k)
		}
	}
}

func contains(s, sub string) bool { return len(s) >= len(sub) && (s == sub || indexOf(s, sub) >= 0) }

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}
