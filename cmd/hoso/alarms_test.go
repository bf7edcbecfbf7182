package main

import (
	"context"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/tracking"
)

func openAlarms(t *testing.T, e *testEnv, kind tracking.AlarmKind) []app.Alarm {
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
	e.assign("buuta1", n)
	_, res := c.send(ev("pickup.collected", n, map[string]any{"documents": []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}},
		"seal_id": "NP-777", "proof": c.sigProof(n)}),
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
	wantStatuses(t, "confirm", office.events(ev("handoff.confirmed", n, map[string]any{"seal_intact": true, "seal_id": "NP-777"})), "accepted")
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
	e.assign("buuta1", n)
	_, res := c.send(ev("pickup.attempt_failed", n, map[string]any{"reason": "not_home"}),
		ev("pickup.collected", n, map[string]any{"documents": []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}},
			"seal_id": "NP-778", "proof": c.sigProof(n)}))
	wantStatuses(t, "attempt and collect", res, "accepted", "accepted")
	if _, err := alarms.SweepAt(ctx, p.CreatedAt.Add(26*time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, k := range []tracking.AlarmKind{app.AlarmWindow, app.AlarmDeadline, app.AlarmUnzoned} {
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

// TestIncrementalSweep: after the first (full) sweep, a sweep looks only at
// causes that fell due since the previous one and at parcels with events
// since then; a cause it cannot see (changed outside the ledger) is caught
// by the next full pass, which runs every Policy.FullEvery and whenever the
// clock goes back.
func TestIncrementalSweep(t *testing.T) {
	e := startServer(t, nil)
	ctx := context.Background()
	portal := e.portal()
	create := func(code string) string {
		r := portal.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody(code)), code)
		var created map[string]string
		r.json(t, &created)
		return created["tracking_number"]
	}
	n1, n2 := create("000.00.19.SWEEP-1"), create("000.00.19.SWEEP-2")
	alarms := &app.Alarms{Store: e.db, Now: time.Now, Policy: app.DefaultAlarmPolicy()}
	sweep := func(at time.Time, wantFull bool) app.SweepStats {
		t.Helper()
		st, err := alarms.SweepAt(ctx, at)
		if err != nil {
			t.Fatal(err)
		}
		if st.Full != wantFull {
			t.Fatalf("sweep at %s: full %v, want %v", at.Format(time.TimeOnly), st.Full, wantFull)
		}
		return st
	}
	t0 := time.Now()
	sweep(t0, true)
	// Both windows end in the past (set outside the ledger, as only a test
	// does): an incremental sweep does not see it, the next full one does.
	if err := e.db.ExecForTest(ctx, `UPDATE parcels SET window_end = ? WHERE tracking_number IN (?, ?)`, t0.Add(-time.Hour), n1, n2); err != nil {
		t.Fatal(err)
	}
	sweep(t0.Add(time.Second), false)
	if got := openAlarms(t, e, app.AlarmWindow); len(got) != 0 {
		t.Fatalf("an incremental sweep raised %d window alarms for causes due before its window", len(got))
	}
	full, err := alarms.SweepFull(ctx, t0.Add(2*time.Second))
	if err != nil || !full.Full || full.Raised < 2 {
		t.Fatalf("full pass: %+v, %v", full, err)
	}
	if got := openAlarms(t, e, app.AlarmWindow); len(got) != 2 {
		t.Fatalf("window alarms after the full pass: %d", len(got))
	}
	// A failed attempt on the first parcel (an event, now): the next
	// incremental sweep clears its window alarm and only its.
	c := e.courier("buuta1")
	e.assign("buuta1", n1)
	_, res := c.send(ev("pickup.attempt_failed", n1, map[string]any{"reason": "not_home"}))
	wantStatuses(t, "attempt", res, "accepted")
	// (It also clears the first parcel's outside-zone alarm: no longer a
	// request.)
	if st := sweep(t0.Add(3*time.Second), false); st.Cleared < 1 {
		t.Fatalf("incremental sweep cleared %d", st.Cleared)
	}
	got := openAlarms(t, e, app.AlarmWindow)
	if len(got) != 1 || got[0].Number != n2 {
		t.Fatalf("open window alarms: %+v", got)
	}
	// A hand-off whose deadline falls inside an incremental sweep's window.
	e.assign("buuta1", n2)
	_, res = c.send(ev("pickup.collected", n2, map[string]any{"documents": []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}},
		"seal_id": "NP-779", "proof": c.sigProof(n2)}),
		ev("handoff.released", n2, map[string]any{"to": "post_office:BC-05443"}))
	wantStatuses(t, "collect and release", res, "accepted", "accepted")
	p, err := e.db.FindParcelByNumber(ctx, n2)
	if err != nil {
		t.Fatal(err)
	}
	deadline := p.UpdatedAt.Add(30 * time.Minute)
	sweep(deadline.Add(-time.Minute), false)
	if got := openAlarms(t, e, app.AlarmHandoff); len(got) != 0 {
		t.Fatalf("hand-off alarm before its deadline: %+v", got)
	}
	if st := sweep(deadline.Add(time.Minute), false); st.Raised != 1 {
		t.Fatalf("incremental sweep at the deadline raised %d", st.Raised)
	}
	if got := openAlarms(t, e, app.AlarmHandoff); len(got) != 1 || got[0].Number != n2 {
		t.Fatalf("hand-off alarm at its deadline: %+v", got)
	}
	// An hour after the last full pass, another.
	sweep(t0.Add(2*time.Second).Add(alarms.Policy.FullEvery), true)
	// The clock goes back: a full pass.
	sweep(t0, true)
}
