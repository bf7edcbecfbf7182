package pg_test

import (
	"context"
	"math/rand"
	"testing"
	"time"

	"github.com/google/uuid"

	"hoso/internal/app"
	"hoso/tracking"
)

var ict = time.FixedZone("ICT", 7*3600)

// TestCalendarSQLMatchesGo: the alarm sweep's calendar_add_working_days
// (migration 0020) and tracking.Calendar.AddWorkingDays agree on the
// seeded 2025–2026 calendar, for both Saturday rules, across Tết and the
// make-up Saturday of 2025; the store reads back what it wrote.
func TestCalendarSQLMatchesGo(t *testing.T) {
	f := newRetentionFixture(t)
	ctx := context.Background()
	cal, err := f.db.WorkingCalendar(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if days := cal.Days(2026); len(days) < 15 {
		t.Fatalf("the 2026 seed has %d days", len(days))
	}
	if e, ok := cal.Entry(time.Date(2025, 4, 26, 0, 0, 0, 0, time.UTC)); !ok || e.Kind != tracking.MakeUp {
		t.Errorf("the make-up Saturday 26/4/2025: %+v", e)
	}
	rng := rand.New(rand.NewSource(5))
	for i := 0; i < 150; i++ {
		from := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, rng.Intn(700))
		n := rng.Intn(25)
		sat := rng.Intn(2) == 0
		want := cal.AddWorkingDays(from, n, tracking.WorkweekRule{SaturdayMorning: sat})
		var got []time.Time
		pairs, err := f.db.PairsForTest(ctx, `SELECT calendar_add_working_days(?::date, ?, ?)::text, ''`, from.Format(tracking.DateLayout), n, sat)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range pairs {
			d, _ := time.Parse(tracking.DateLayout, p[0])
			got = append(got, d)
		}
		if len(got) != 1 || !got[0].Equal(want) {
			t.Fatalf("from %s + %d (Saturday %v): SQL %v, Go %s", from.Format(tracking.DateLayout), n, sat, got, want.Format(tracking.DateLayout))
		}
	}
}

// TestResultLateAcrossTet: the return leg's alarm, with the clock frozen
// across the Tết week of 2026 (Saturday 14/2 to Sunday 22/2, seeded by
// migration 0020). A result registered on Thursday 12/2 with no
// appointment is due after three working days: Friday 13/2, Monday 23/2,
// Tuesday 24/2, so the alarm falls at midnight starting Wednesday 25/2,
// not during Tết; a desk open on Saturday morning counts Saturday; an
// appointment date set at acceptance wins; delivery clears the alarm.
func TestResultLateAcrossTet(t *testing.T) {
	f := newRetentionFixture(t)
	ctx := context.Background()
	policy := app.DefaultAlarmPolicy()
	sweep := func(now time.Time) {
		t.Helper()
		if _, err := f.db.SweepAlarms(ctx, now, policy, nil); err != nil {
			t.Fatal(err)
		}
	}
	open := func(id string) []app.Alarm {
		t.Helper()
		all, err := f.db.FindAlarms(ctx, app.AlarmFilter{Open: true})
		if err != nil {
			t.Fatal(err)
		}
		var out []app.Alarm
		for _, a := range all {
			if a.Kind == tracking.AlarmResultLate && a.ParcelID == id {
				out = append(out, a)
			}
		}
		return out
	}
	result := func(registered time.Time, appointment string) string {
		t.Helper()
		d := f.dossier(t, true)
		pickup := f.parcel(t, d, "pickup", "accepted", registered.Add(-24*time.Hour), "")
		if appointment != "" {
			f.exec(t, `INSERT INTO events (id, parcel_id, parcel_seq, type, actor_kind, actor_ref, server_at, data, prev_hash, hash)
				VALUES (?, ?, 1, 'desk.accepted', 'desk', 'TN-TTPVHCC', ?, json_build_object('appointment_date', ?::text), decode('00', 'hex'), decode('00', 'hex'))`,
				uuid.NewString(), pickup, registered.Add(-24*time.Hour), appointment)
		}
		r := f.parcel(t, d, "return", "ready", registered, pickup)
		f.exec(t, `UPDATE parcels SET created_at = ? WHERE id = ?`, registered, r)
		return r
	}
	rule, _ := tracking.AlarmResultLate.Rule()

	t.Run("no appointment, across Tết", func(t *testing.T) {
		r := result(time.Date(2026, 2, 12, 10, 0, 0, 0, ict), "")
		due := time.Date(2026, 2, 25, 0, 0, 0, 0, ict)
		for _, now := range []time.Time{time.Date(2026, 2, 17, 9, 0, 0, 0, ict), time.Date(2026, 2, 22, 23, 0, 0, 0, ict), due.Add(-time.Minute)} {
			sweep(now)
			if a := open(r); len(a) != 0 {
				t.Fatalf("raised at %s, before the third working day ended: %+v", now, a)
			}
		}
		sweep(due)
		sweep(due.Add(time.Minute)) // once per cause
		a := open(r)
		if len(a) != 1 || !a[0].DueAt.Equal(due) || a[0].Level != rule.Level || a[0].ProvinceCode != "19" {
			t.Fatalf("at the threshold: %+v", a)
		}
		f.exec(t, `UPDATE parcels SET status = 'delivered' WHERE id = ?`, r)
		sweep(due.Add(2 * time.Hour))
		if a := open(r); len(a) != 0 {
			t.Fatal("delivery did not clear the alarm")
		}
	})

	t.Run("a Saturday desk counts Saturday", func(t *testing.T) {
		r := result(time.Date(2026, 2, 26, 10, 0, 0, 0, ict), "") // Thursday: Fri 27, Mon 2/3, Tue 3/3
		sweep(time.Date(2026, 3, 4, 0, 0, 0, 0, ict).Add(-time.Minute))
		if len(open(r)) != 0 {
			t.Fatal("raised before the Monday-to-Friday threshold")
		}
		f.exec(t, `UPDATE desks SET saturday_morning = true WHERE code = 'TN-TTPVHCC'`)
		defer f.exec(t, `UPDATE desks SET saturday_morning = false WHERE code = 'TN-TTPVHCC'`)
		due := time.Date(2026, 3, 3, 0, 0, 0, 0, ict) // Fri 27, Sat 28, Mon 2/3
		sweep(due.Add(-time.Minute))
		if len(open(r)) != 0 {
			t.Fatal("raised before the Saturday desk's threshold")
		}
		sweep(due)
		if a := open(r); len(a) != 1 || !a[0].DueAt.Equal(due) {
			t.Fatalf("the Saturday desk's alarm: %+v", a)
		}
	})

	t.Run("the appointment date wins", func(t *testing.T) {
		r := result(time.Date(2026, 2, 10, 10, 0, 0, 0, ict), "2026-03-06")
		due := time.Date(2026, 3, 7, 0, 0, 0, 0, ict)
		sweep(due.Add(-time.Minute)) // well past three working days after the registration
		if len(open(r)) != 0 {
			t.Fatal("raised before the end of the appointment date")
		}
		sweep(due)
		if a := open(r); len(a) != 1 || !a[0].DueAt.Equal(due) {
			t.Fatalf("at the end of the appointment date: %+v", a)
		}
		f.exec(t, `UPDATE parcels SET status = 'returned_to_desk' WHERE id = ?`, r)
		sweep(due.Add(time.Hour))
		if len(open(r)) != 0 {
			t.Fatal("the result back at the desk did not clear the alarm")
		}
	})
}

// TestDeadlineRiskCountsWorkingDays: the pickup leg's risk time comes from
// the desk's working days (WorkCalendar.RiskAt over the seeded table): a
// request on Wednesday 11/2/2026 with a legal deadline on Friday 27/2 has
// seven working days (Thu 12, Fri 13, Mon 23 to Fri 27), half of them
// rounded up used at the start of Tuesday 24/2; the sweep raises
// deadline_risk then, not in the middle of Tết as wall-clock halving
// would (19/2).
func TestDeadlineRiskCountsWorkingDays(t *testing.T) {
	f := newRetentionFixture(t)
	ctx := context.Background()
	cal := &app.WorkCalendar{Store: f.db, Now: func() time.Time { return time.Date(2026, 2, 11, 9, 0, 0, 0, ict) }}
	deadline := time.Date(2026, 2, 27, 0, 0, 0, 0, ict)
	risk, err := cal.RiskAt(ctx, "TN-TTPVHCC", cal.Now(), deadline, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 2, 24, 0, 0, 0, 0, ict); !risk.Equal(want) {
		t.Fatalf("risk at %s, want %s", risk, want)
	}
	id := f.parcel(t, f.dossier(t, true), "pickup", "collected", cal.Now(), "")
	f.exec(t, `UPDATE parcels SET risk_at = ? WHERE id = ?`, risk, id)
	policy := app.DefaultAlarmPolicy()
	count := func() int {
		return f.count(t, `SELECT count(*) FROM alarms WHERE kind = 'deadline_risk' AND parcel_id = ? AND cleared_at IS NULL`, id)
	}
	for _, now := range []time.Time{time.Date(2026, 2, 19, 12, 0, 0, 0, ict), risk.Add(-time.Minute)} {
		if _, err := f.db.SweepAlarms(ctx, now, policy, nil); err != nil {
			t.Fatal(err)
		}
		if count() != 0 {
			t.Fatalf("deadline_risk raised at %s, during Tết", now)
		}
	}
	if _, err := f.db.SweepAlarms(ctx, risk, policy, nil); err != nil {
		t.Fatal(err)
	}
	if count() != 1 {
		t.Fatal("deadline_risk not raised at the working-day threshold")
	}
}
