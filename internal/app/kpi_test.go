package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

var ict = time.FixedZone("ICT", 7*3600)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, ict) }

func TestParsePeriod(t *testing.T) {
	// 23:30 UTC on the 23rd is already the 24th in Vietnam.
	now := time.Date(2026, 11, 23, 23, 30, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, from, to string
		want           app.Period
		field          string // the field with the error, "" when valid
	}{
		{"default: last 7 days, today included", "", "", app.Period{From: day(2026, 11, 18), To: day(2026, 11, 24)}, ""},
		{"one day", "2026-11-20", "2026-11-20", app.Period{From: day(2026, 11, 20), To: day(2026, 11, 20)}, ""},
		{"typed the Vietnamese way", "01/11/2026", "24/11/2026", app.Period{From: day(2026, 11, 1), To: day(2026, 11, 24)}, ""},
		{"start only: until today", "2026-11-01", "", app.Period{From: day(2026, 11, 1), To: day(2026, 11, 24)}, ""},
		{"end only: 7 days up to it", "", "2026-10-10", app.Period{From: day(2026, 10, 4), To: day(2026, 10, 10)}, ""},
		{"exactly 92 days", "2026-08-25", "2026-11-24", app.Period{From: day(2026, 8, 25), To: day(2026, 11, 24)}, ""},
		{"93 days", "2026-08-24", "2026-11-24", app.Period{}, "den"},
		{"a year", "2025-11-24", "2026-11-24", app.Period{}, "den"},
		{"end before start", "2026-11-20", "2026-11-19", app.Period{}, "den"},
		{"malformed start", "2026-13-01", "2026-11-24", app.Period{}, "tu"},
		{"malformed end", "2026-11-01", "hôm qua", app.Period{}, "den"},
		{"not a date", "x", "", app.Period{}, "tu"},
		{"February 30", "2026-02-30", "", app.Period{}, "tu"},
		{"too long", strings.Repeat("2", 40), "", app.Period{}, "tu"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := app.ParsePeriod(tc.from, tc.to, now)
			if tc.field == "" {
				if err != nil || !p.From.Equal(tc.want.From) || !p.To.Equal(tc.want.To) {
					t.Fatalf("= %v – %v, %v; want %v – %v", p.From, p.To, err, tc.want.From, tc.want.To)
				}
				return
			}
			if errs.KindOf(err) != errs.Unprocessable || errs.FieldsOf(err)[tc.field] == "" {
				t.Fatalf("error %v (fields %v), want a message on %s", err, errs.FieldsOf(err), tc.field)
			}
		})
	}
	p, _ := app.ParsePeriod("2026-11-18", "2026-11-24", now)
	if p.Days() != 7 || !p.End().Equal(day(2026, 11, 25)) || p.Label() != "18/11/2026 – 24/11/2026" || p.FromISO() != "2026-11-18" {
		t.Errorf("days %d end %v label %q", p.Days(), p.End(), p.Label())
	}
}

// FuzzParsePeriod: never panics; an accepted period is whole days, in
// order, at most MaxPeriodDays long.
func FuzzParsePeriod(f *testing.F) {
	for _, s := range [][2]string{{"", ""}, {"2026-11-01", "2026-11-24"}, {"24/11/2026", ""}, {"2026-02-29", "x"}, {"9999-12-31", "0001-01-01"}} {
		f.Add(s[0], s[1])
	}
	now := time.Date(2026, 11, 24, 3, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, from, to string) {
		p, err := app.ParsePeriod(from, to, now)
		if err != nil {
			if errs.KindOf(err) != errs.Unprocessable || len(errs.FieldsOf(err)) == 0 {
				t.Fatalf("error without a field: %v", err)
			}
			return
		}
		if p.To.Before(p.From) || p.Days() < 1 || p.Days() > app.MaxPeriodDays {
			t.Fatalf("period %v – %v (%d days)", p.From, p.To, p.Days())
		}
		if h, m, s := p.From.In(ict).Clock(); h+m+s != 0 {
			t.Fatalf("start %v is not a midnight in Vietnam", p.From)
		}
	})
}

type scopeStore struct{}

func (scopeStore) FindOffice(_ context.Context, code string) (app.PostOffice, error) {
	switch code {
	case "BC-05443", "BC-05488":
		return app.PostOffice{Code: code, Name: "Bưu cục " + code, ProvinceCode: "19"}, nil
	case "BC-00004":
		return app.PostOffice{Code: code, Name: "Bưu cục Ba Đình", ProvinceCode: "01"}, nil
	}
	return app.PostOffice{}, errs.E(errs.NotFound, "không tìm thấy")
}

func (scopeStore) FindDesk(_ context.Context, code string) (app.Desk, error) {
	switch code {
	case "TN-TTPVHCC", "TN-MC-05455":
		return app.Desk{Code: code, Name: "Một cửa " + code, ProvinceCode: "19"}, nil
	case "HN-MC-00004":
		return app.Desk{Code: code, Name: "Một cửa Ba Đình", ProvinceCode: "01"}, nil
	}
	return app.Desk{}, errs.E(errs.NotFound, "không tìm thấy")
}

func TestResolveScope(t *testing.T) {
	admin := app.User{Role: app.RoleAdmin}
	disp := app.User{Role: app.RoleDispatcher, ProvinceCode: "19"}
	office := app.User{Role: app.RoleOffice, OfficeCode: "BC-05443", ProvinceCode: "19"}
	desk := app.User{Role: app.RoleDesk, DeskCode: "TN-TTPVHCC", ProvinceCode: "19"}
	courier := app.User{Role: app.RoleCourier, OfficeCode: "BC-05443"}
	for _, tc := range []struct {
		name string
		u    app.User
		q    app.ScopeQuery
		want app.KPIScope // codes only
		kind errs.Kind    // "" when allowed
	}{
		{"admin: everything", admin, app.ScopeQuery{}, app.KPIScope{}, ""},
		{"admin: any office", admin, app.ScopeQuery{Office: "BC-00004"}, app.KPIScope{Office: "BC-00004"}, ""},
		{"admin: any desk", admin, app.ScopeQuery{Desk: "HN-MC-00004"}, app.KPIScope{Desk: "HN-MC-00004"}, ""},
		{"admin: a province", admin, app.ScopeQuery{Province: "01"}, app.KPIScope{Province: "01"}, ""},
		{"admin: unknown office", admin, app.ScopeQuery{Office: "BC-X"}, app.KPIScope{}, errs.NotFound},
		{"dispatcher: own province", disp, app.ScopeQuery{}, app.KPIScope{Province: "19"}, ""},
		{"dispatcher: office in province", disp, app.ScopeQuery{Office: "BC-05488"}, app.KPIScope{Office: "BC-05488"}, ""},
		{"dispatcher: desk in province", disp, app.ScopeQuery{Desk: "TN-MC-05455"}, app.KPIScope{Desk: "TN-MC-05455"}, ""},
		{"dispatcher: another province", disp, app.ScopeQuery{Province: "01"}, app.KPIScope{}, errs.Forbidden},
		{"dispatcher: office elsewhere", disp, app.ScopeQuery{Office: "BC-00004"}, app.KPIScope{}, errs.Forbidden},
		{"dispatcher: desk elsewhere", disp, app.ScopeQuery{Desk: "HN-MC-00004"}, app.KPIScope{}, errs.Forbidden},
		{"office: itself", office, app.ScopeQuery{}, app.KPIScope{Office: "BC-05443"}, ""},
		{"office: itself by name", office, app.ScopeQuery{Office: "BC-05443"}, app.KPIScope{Office: "BC-05443"}, ""},
		{"office: another office", office, app.ScopeQuery{Office: "BC-05488"}, app.KPIScope{}, errs.Forbidden},
		{"office: a desk", office, app.ScopeQuery{Desk: "TN-TTPVHCC"}, app.KPIScope{}, errs.Forbidden},
		{"office: the province", office, app.ScopeQuery{Province: "19"}, app.KPIScope{}, errs.Forbidden},
		{"desk: itself", desk, app.ScopeQuery{}, app.KPIScope{Desk: "TN-TTPVHCC"}, ""},
		{"desk: another desk", desk, app.ScopeQuery{Desk: "TN-MC-05455"}, app.KPIScope{}, errs.Forbidden},
		{"desk: an office", desk, app.ScopeQuery{Office: "BC-05443"}, app.KPIScope{}, errs.Forbidden},
		{"courier: nothing", courier, app.ScopeQuery{}, app.KPIScope{}, errs.Forbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := app.ResolveScope(context.Background(), scopeStore{}, nil, tc.u, tc.q)
			if tc.kind != "" {
				if errs.KindOf(err) != tc.kind {
					t.Fatalf("error %v, want %s", err, tc.kind)
				}
				return
			}
			if err != nil || got.Province != tc.want.Province || got.Office != tc.want.Office || got.Desk != tc.want.Desk || got.Label == "" {
				t.Fatalf("= %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestBuildKPIReport(t *testing.T) {
	p := app.Period{From: day(2026, 11, 23), To: day(2026, 11, 23)}
	row := func(typ tracking.EventType, kind tracking.PartyKind, ref, team, code, outcome string, n int) app.KPIEventRow {
		return app.KPIEventRow{Type: typ, PartyKind: kind, PartyRef: ref, PartyName: "Tên " + ref, Team: team, TeamName: "BC " + team, Code: code, Outcome: outcome, N: n}
	}
	evs := []app.KPIEventRow{
		row(tracking.PickupCollected, tracking.PartyCourier, "A", "O1", "", app.OutcomeOnTime, 2),
		row(tracking.PickupCollected, tracking.PartyCourier, "A", "O1", "", app.OutcomeLate, 1),
		row(tracking.PickupCollected, tracking.PartyCourier, "B", "O1", "", app.OutcomeEarly, 1),
		row(tracking.PickupCollected, tracking.PartyCourier, "C", "O2", "", app.OutcomeUnscheduled, 1),
		row(tracking.PickupAttemptFailed, tracking.PartyCourier, "A", "O1", "not_home", "", 2),
		row(tracking.PickupAttemptFailed, tracking.PartyCourier, "B", "O1", "refused", "", 1),
		row(tracking.DeliveryAttemptFailed, tracking.PartyCourier, "C", "O2", "wrong_address", "", 1),
		row(tracking.DeliveryCompleted, tracking.PartyCourier, "C", "O2", "", app.OutcomeOnTime, 3),
		row(tracking.DeliveryCompleted, tracking.PartyCourier, "C", "O2", "", app.OutcomeLate, 1),
		row(tracking.HandoffDisputed, tracking.PartyCourier, "A", "O1", "seal_broken", "", 1),
		row(tracking.HandoffDisputed, tracking.PartyOffice, "O2", "O2", "missing_parcel", "", 1),
		row(tracking.HandoffDisputed, tracking.PartyDesk, "D", "", "document_missing", "", 1),
	}
	hops := []app.KPIHopRow{
		{HolderKind: tracking.PartyCourier, N: 3, Median: 2 * time.Hour, P90: 3*time.Hour + 36*time.Minute},
		{HolderKind: tracking.PartyCourier, HolderRef: "A", Team: "O1", TeamName: "BC O1", N: 3, Median: 2 * time.Hour},
		{HolderKind: tracking.PartyDesk, N: 1, Median: time.Hour},
		{HolderKind: tracking.PartyOffice, N: 1, Median: 5 * time.Hour},
		{HolderKind: tracking.PartyOffice, HolderRef: "O2", Team: "O2", TeamName: "BC O2", N: 1, Median: 5 * time.Hour},
	}
	r := app.BuildKPIReport(app.KPIScope{Label: "x"}, p, 24*time.Hour, evs, hops)
	if r.Pickups != (app.PickupFigures{OnTime: 2, Early: 1, Late: 1, Unscheduled: 1}) || r.Pickups.Ratio() != (app.Ratio{Hit: 2, Total: 4}) {
		t.Errorf("pickups %+v", r.Pickups)
	}
	if r.Deliveries != (app.Ratio{Hit: 3, Total: 4}) {
		t.Errorf("deliveries %+v", r.Deliveries)
	}
	if r.PickupFailedTotal() != 3 || r.PickupFailures[0].Code != "not_home" || r.PickupFailures[0].Label != tracking.FailNotHome.Label() {
		t.Errorf("pickup failures %+v", r.PickupFailures)
	}
	if r.DeliveryFailedTotal() != 1 || r.DisputeTotal() != 3 {
		t.Errorf("delivery failures %d disputes %d", r.DeliveryFailedTotal(), r.DisputeTotal())
	}
	if len(r.Hops) != 3 || r.Hops[0].Kind != tracking.PartyCourier || r.Hops[1].Kind != tracking.PartyOffice || r.Hops[2].Kind != tracking.PartyDesk {
		t.Errorf("hops in courier, office, desk order: %+v", r.Hops)
	}
	if len(r.Couriers) != 3 || r.Couriers[0].Ref != "A" || r.Couriers[0].Pickups.Ratio() != (app.Ratio{Hit: 2, Total: 3}) ||
		r.Couriers[0].PickupFailed != 2 || r.Couriers[0].Disputes != 1 || r.Couriers[0].Hold == nil || r.Couriers[0].Hold.Median != 2*time.Hour {
		t.Errorf("courier A %+v", r.Couriers[0])
	}
	if len(r.Offices) != 2 || r.Offices[0].Ref != "O1" || r.Offices[0].Pickups.Total() != 4 || r.Offices[0].PickupFailed != 3 || r.Offices[0].Disputes != 1 {
		t.Errorf("office O1 %+v", r.Offices)
	}
	if o2 := r.Offices[1]; o2.Deliveries != (app.Ratio{Hit: 3, Total: 4}) || o2.Disputes != 1 || o2.Hold == nil || o2.Hold.Median != 5*time.Hour {
		t.Errorf("office O2 %+v", o2)
	}
}
