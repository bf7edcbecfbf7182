package pg_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"hoso/internal/app"
	"hoso/tracking"
)

// TestAlarmRules: each rule whose cause lives in the parcel or manifest
// tables (result_late across Tết: TestResultLateAcrossTet) raises nothing a minute before its threshold, one alarm at it
// (once, at the rule's level, due at the threshold), and clears when the
// cause ends. The rules whose cause is a ledger hand-off, an incident or a
// courier's submission are tested through the server in cmd/hoso
// (TestUnconfirmedReleaseAlarmsAtItsDeadline,
// TestDisputeNamesLastCustodianAndLostCase,
// TestForgedDoorConfirmationsAreRefused).
func TestAlarmRules(t *testing.T) {
	f := newRetentionFixture(t)
	ctx := context.Background()
	policy := app.DefaultAlarmPolicy()
	sweep := func(now time.Time, since *time.Time) {
		t.Helper()
		if _, err := f.db.SweepAlarms(ctx, now, policy, since); err != nil {
			t.Fatal(err)
		}
	}
	alarms := func(kind tracking.AlarmKind, subject string) (open, cleared []app.Alarm) {
		t.Helper()
		all, err := f.db.FindAlarms(ctx, app.AlarmFilter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range all {
			if a.Kind != kind || (a.ParcelID != subject && a.Subject != subject) {
				continue
			}
			if a.ClearedAt == nil {
				open = append(open, a)
			} else {
				cleared = append(cleared, a)
			}
		}
		return open, cleared
	}
	t0 := retentionNow
	cases := []struct {
		kind tracking.AlarmKind
		// cause makes the cause and returns its subject (a parcel id or
		// the subject itself) and when the threshold falls.
		cause func(t *testing.T) (subject string, due time.Time)
		// end ends the cause.
		end func(t *testing.T, subject string)
	}{
		{tracking.AlarmParcelQuiet, func(t *testing.T) (string, time.Time) {
			id := f.parcel(t, f.dossier(t, true), "pickup", "at_office", t0, "")
			return id, t0.Add(24 * time.Hour) // tracking.QuietLimits: an office holds a parcel 24 h
		}, func(t *testing.T, id string) {
			f.exec(t, `UPDATE parcels SET status = 'to_desk', status_since = ? WHERE id = ?`, t0.Add(25*time.Hour), id)
		}},
		{tracking.AlarmWindowMissed, func(t *testing.T) (string, time.Time) {
			id := f.parcel(t, f.dossier(t, true), "pickup", "scheduled", t0, "")
			f.exec(t, `UPDATE parcels SET window_start = ?, window_end = ? WHERE id = ?`, t0.Add(time.Hour), t0.Add(3*time.Hour), id)
			return id, t0.Add(3 * time.Hour)
		}, func(t *testing.T, id string) {
			f.exec(t, `UPDATE parcels SET status = 'collected' WHERE id = ?`, id)
		}},
		{tracking.AlarmDeadlineRisk, func(t *testing.T) (string, time.Time) {
			id := f.parcel(t, f.dossier(t, true), "pickup", "collected", t0, "")
			f.exec(t, `UPDATE parcels SET risk_at = ? WHERE id = ?`, t0.Add(5*time.Hour), id)
			return id, t0.Add(5 * time.Hour)
		}, func(t *testing.T, id string) {
			f.exec(t, `UPDATE parcels SET status = 'at_desk' WHERE id = ?`, id)
		}},
		{tracking.AlarmResultLate, func(t *testing.T) (string, time.Time) {
			// Registered Tuesday 24/11/2026 evening (Vietnam), no appointment:
			// three working days (Wed, Thu, Fri), due at midnight starting Saturday.
			d := f.dossier(t, true)
			pickup := f.parcel(t, d, "pickup", "accepted", t0, "")
			id := f.parcel(t, d, "return", "with_courier", t0, pickup)
			f.exec(t, `UPDATE parcels SET created_at = ? WHERE id = ?`, t0, id)
			return id, time.Date(2026, 11, 28, 0, 0, 0, 0, time.FixedZone("ICT", 7*3600))
		}, func(t *testing.T, id string) {
			f.exec(t, `UPDATE parcels SET status = 'delivered' WHERE id = ?`, id)
		}},
		{tracking.AlarmOutsideZone, func(t *testing.T) (string, time.Time) {
			id := f.parcel(t, f.dossier(t, true), "pickup", "requested", t0, "")
			f.exec(t, `UPDATE parcels SET office_code = NULL, created_at = ? WHERE id = ?`, t0, id)
			return id, t0 // at once
		}, func(t *testing.T, id string) {
			f.exec(t, `UPDATE parcels SET office_code = 'BC-05443' WHERE id = ?`, id)
		}},
		{tracking.AlarmManifestOpen, func(t *testing.T) (string, time.Time) {
			id := uuid.NewString()
			f.exec(t, `INSERT INTO manifests (id, code, giver_kind, giver_ref, receiver_kind, receiver_ref, created_at, deadline)
				VALUES (?, ?, 'courier', 'BUUTA1', 'post_office', 'BC-05443', ?, ?)`, id, "BK-"+id[:8], t0, t0.Add(30*time.Minute))
			return id, t0.Add(30 * time.Minute) // tracking.DefaultPolicy.ConfirmWithin
		}, func(t *testing.T, id string) {
			f.exec(t, `UPDATE manifests SET closed_at = ?, closed_kind = 'post_office', closed_ref = 'BC-05443' WHERE id = ?`, t0.Add(time.Hour), id)
		}},
	}
	for _, c := range cases {
		t.Run(string(c.kind), func(t *testing.T) {
			rule, ok := c.kind.Rule()
			if !ok {
				t.Fatalf("%s is no rule of the domain", c.kind)
			}
			subject, due := c.cause(t)
			if due.After(t0) {
				sweep(due.Add(-time.Minute), nil)
				if open, _ := alarms(c.kind, subject); len(open) != 0 {
					t.Fatalf("raised a minute before the threshold: %+v", open)
				}
			}
			sweep(due, nil)
			sweep(due.Add(time.Minute), nil)
			open, _ := alarms(c.kind, subject)
			if len(open) != 1 {
				t.Fatalf("%d open alarms at the threshold, want one", len(open))
			}
			a := open[0]
			if a.Level != rule.Level || !a.DueAt.Equal(due) || a.Label() != rule.Label || !json.Valid(a.Detail) {
				t.Errorf("alarm %+v: want level %d, due %s, label %q", a, rule.Level, due, rule.Label)
			}
			if a.ProvinceCode != "19" {
				t.Errorf("alarm outside the province's scope: %q", a.ProvinceCode)
			}
			c.end(t, subject)
			sweep(due.Add(2*time.Hour), nil)
			open, cleared := alarms(c.kind, subject)
			if len(open) != 0 || len(cleared) != 1 {
				t.Fatalf("after the cause ended: %d open, %d cleared", len(open), len(cleared))
			}
		})
	}
	// An incremental sweep sees only causes that fell due after since.
	t.Run("incremental", func(t *testing.T) {
		early := f.parcel(t, f.dossier(t, true), "pickup", "scheduled", t0, "")
		late := f.parcel(t, f.dossier(t, true), "pickup", "scheduled", t0, "")
		f.exec(t, `UPDATE parcels SET window_end = ? WHERE id = ?`, t0.Add(10*time.Hour), early)
		f.exec(t, `UPDATE parcels SET window_end = ? WHERE id = ?`, t0.Add(12*time.Hour), late)
		since := t0.Add(11 * time.Hour)
		sweep(t0.Add(13*time.Hour), &since)
		if open, _ := alarms(tracking.AlarmWindowMissed, early); len(open) != 0 {
			t.Error("an incremental sweep raised a cause due before its window")
		}
		if open, _ := alarms(tracking.AlarmWindowMissed, late); len(open) != 1 {
			t.Error("an incremental sweep missed a cause due inside its window")
		}
		sweep(t0.Add(13*time.Hour), nil)
		if open, _ := alarms(tracking.AlarmWindowMissed, early); len(open) != 1 {
			t.Error("a full sweep missed a cause")
		}
	})
}
