package pg_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"hoso/dispatch"
	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/h3cell"
	"hoso/internal/pg"
	"hoso/internal/pg/pgtest"
	"hoso/tracking"
)

// dispatchFixture is a database with two offices, two couriers and a few
// pickup requests of one day.
type dispatchFixture struct {
	db      *pg.DB
	day     dispatch.Day
	parcels []string
}

func newDispatchFixture(t *testing.T) *dispatchFixture {
	t.Helper()
	db, _ := pgtest.New(t)
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.UpsertDesk(ctx, app.Desk{Code: "TN-TTPVHCC", Name: "Trung tâm", Level: "province", CommuneCode: "05443", ProvinceCode: "19"}))
	must(db.UpsertOffice(ctx, app.PostOffice{Code: "BC-05443", Name: "Bưu cục Phan Đình Phùng", CommuneCode: "05443", ProvinceCode: "19", Lat: 21.5887, Lng: 105.8338}))
	must(db.UpsertOffice(ctx, app.PostOffice{Code: "BC-05488", Name: "Bưu cục Đại Phúc", CommuneCode: "05488", ProvinceCode: "19", Lat: 21.5765, Lng: 105.7095}))
	for _, u := range []app.User{
		{Username: "buuta1", Role: app.RoleCourier, StaffCode: "BUUTA1", OfficeCode: "BC-05443", ProvinceCode: "19"},
		{Username: "buuta2", Role: app.RoleCourier, StaffCode: "BUUTA2", OfficeCode: "BC-05488", ProvinceCode: "19"},
	} {
		u.PasswordHash, u.Active, u.CreatedAt = "x", true, time.Now()
		_, err := db.CreateUser(ctx, u)
		must(err)
	}
	f := &dispatchFixture{db: db, day: mustDay(t, "2026-11-24")}
	for i := 0; i < 4; i++ {
		id := f.parcel(t, fmt.Sprintf("EA%08d%dVN", 10000000+i, 0), "BC-05443", f.day.At(8*60), f.day.At(10*60))
		f.parcels = append(f.parcels, id)
	}
	return f
}

func mustDay(t testing.TB, s string) dispatch.Day {
	t.Helper()
	d, err := dispatch.ParseDay(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (f *dispatchFixture) parcel(t *testing.T, number, office string, ws, we time.Time) string {
	t.Helper()
	ctx := context.Background()
	dossier, err := f.db.UpsertDossier(ctx, "", tracking.Dossier{Code: "HS-" + number, DeskCode: "TN-TTPVHCC"}, false, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p := app.Parcel{ID: uuid.NewString(), Number: number, Leg: "pickup", Status: "requested", Channel: tracking.ChannelCitizen,
		DossierID: dossier, CitizenName: "Nguyễn Văn A", PhoneEnc: []byte{1}, PhoneLast3: "123", ProvinceCode: "19", CommuneCode: "05443",
		Lat: 21.59, Lng: 105.84, DeskCode: "TN-TTPVHCC", OfficeCode: office, CreatedAt: time.Now(), UpdatedAt: time.Now(),
		Documents: []tracking.Document{{Name: "Tờ khai", Kind: tracking.Original, Count: 2}, {Name: "CCCD", Kind: tracking.Copy, Count: 1}},
		Windows:   []tracking.Window{{Start: ws, End: we}}}
	if err := f.db.InsertParcel(ctx, p, []byte{2}, nil); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

func (f *dispatchFixture) count(t *testing.T, q string, args ...any) int {
	t.Helper()
	n, err := f.db.CountForTest(context.Background(), q, args...)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func disk(t *testing.T, lat, lng float64, k int) []h3cell.Cell {
	t.Helper()
	c, err := h3cell.Of(h3cell.LatLng{Lat: lat, Lng: lng}, h3cell.ZoneRes)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Disk(k)
	if err != nil {
		t.Fatal(err)
	}
	h3cell.Sort(d)
	return d
}

func TestZonesOneOfficePerCell(t *testing.T) {
	f := newDispatchFixture(t)
	ctx := context.Background()
	now := time.Now()
	a := dispatch.Zone{Office: "BC-05443", Cells: disk(t, 21.5887, 105.8338, 1)}
	if err := f.db.ReplaceZone(ctx, a, now); err != nil {
		t.Fatal(err)
	}
	b := dispatch.Zone{Office: "BC-05488", Cells: append(disk(t, 21.5765, 105.7095, 1), a.Cells[2])}
	err := f.db.ReplaceZone(ctx, b, now)
	if !errs.Is(err, errs.Conflict) || !contains(errs.MessageOf(err), a.Cells[2].String(), "BC-05443") {
		t.Fatalf("overlap: %v", err)
	}
	if n := f.count(t, `SELECT count(*) FROM zone_cells WHERE office_code = 'BC-05488'`); n != 0 {
		t.Errorf("refused zone wrote %d cells", n)
	}
	// The schema refuses what the store would: a second office for a cell,
	// a cell of another resolution, a number that is not a cell.
	c8, _ := h3cell.Of(h3cell.LatLng{Lat: 21.5765, Lng: 105.7095}, 8)
	for name, q := range map[string]string{
		"same cell":   fmt.Sprintf(`INSERT INTO zone_cells (cell, res, office_code, added_at) VALUES (%d, 7, 'BC-05488', now())`, int64(a.Cells[0])),
		"res 8":       fmt.Sprintf(`INSERT INTO zone_cells (cell, res, office_code, added_at) VALUES (%d, 8, 'BC-05488', now())`, int64(c8)),
		"res mislaid": fmt.Sprintf(`INSERT INTO zone_cells (cell, res, office_code, added_at) VALUES (%d, 7, 'BC-05488', now())`, int64(c8)),
		"not a cell":  `INSERT INTO zone_cells (cell, res, office_code, added_at) VALUES (7, 7, 'BC-05488', now())`,
	} {
		if err := f.db.ExecForTest(ctx, q); err == nil {
			t.Errorf("%s: schema accepted it", name)
		}
	}
	office, ok, err := f.db.OfficeOfCell(ctx, a.Cells[0])
	if err != nil || !ok || office != "BC-05443" {
		t.Errorf("OfficeOfCell = %q %v %v", office, ok, err)
	}
	if _, ok, _ := f.db.OfficeOfCell(ctx, b.Cells[0]); ok {
		t.Error("unowned cell has an office")
	}
	// Replacing shrinks the zone; the freed cell can go to the other office.
	a.Cells = a.Cells[:2]
	if err := f.db.ReplaceZone(ctx, a, now); err != nil {
		t.Fatal(err)
	}
	if err := f.db.ReplaceZone(ctx, b, now); err != nil {
		t.Fatalf("freed cell: %v", err)
	}
	zones, err := f.db.FindZones(ctx, "19")
	if err != nil || len(zones) != 2 || len(zones[0].Cells) != 2 || len(zones[1].Cells) != 8 {
		t.Fatalf("zones = %+v, %v", zones, err)
	}
	if err := dispatch.ValidateZones(zones); err != nil {
		t.Errorf("stored zones overlap: %v", err)
	}
	if zs, _ := f.db.FindZones(ctx, "01"); len(zs) != 0 {
		t.Errorf("Hà Nội has zones %v", zs)
	}
}

func contains(s string, words ...string) bool {
	for _, w := range words {
		if !strings.Contains(s, w) {
			return false
		}
	}
	return true
}

func TestShiftsAndAbsences(t *testing.T) {
	f := newDispatchFixture(t)
	ctx := context.Background()
	s := dispatch.Shift{Courier: "BUUTA1", Office: "BC-05443", Day: f.day, Start: 450, End: 1050, Capacity: 20, MaxStops: 0,
		Vehicle: dispatch.Motorbike, COD: false, StartPlace: dispatch.Point{Lat: 21.6, Lng: 105.8}}
	got, err := f.db.CreateShift(ctx, s, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if got.ID == 0 || got.Courier != "BUUTA1" || !got.Day.Equal(f.day) || got.Start != 450 || got.End != 1050 ||
		got.MaxStops != 0 || got.COD || got.StartPlace != s.StartPlace || !got.EndPlace.IsZero() {
		t.Errorf("round trip: %+v", got)
	}
	if _, err := f.db.CreateShift(ctx, s, time.Now()); !errs.Is(err, errs.Conflict) || !contains(errs.MessageOf(err), "BUUTA1", "24/11/2026") {
		t.Errorf("second shift that day: %v", err)
	}
	bad := s
	bad.Day = f.day.AddDays(1)
	bad.Courier = "NOBODY"
	if _, err := f.db.CreateShift(ctx, bad, time.Now()); !errs.Is(err, errs.Unprocessable) {
		t.Errorf("unknown courier: %v", err)
	}
	// The schema's own checks: zero capacity, end before start.
	for name, q := range map[string]string{
		"zero capacity": `INSERT INTO courier_shifts (courier_ref, office_code, day, start_min, end_min, capacity, vehicle, created_at)
			VALUES ('BUUTA2', 'BC-05488', '2026-11-25', 450, 1050, 0, 'motorbike', now())`,
		"ends before it starts": `INSERT INTO courier_shifts (courier_ref, office_code, day, start_min, end_min, capacity, vehicle, created_at)
			VALUES ('BUUTA2', 'BC-05488', '2026-11-25', 600, 500, 5, 'motorbike', now())`,
		"unknown vehicle": `INSERT INTO courier_shifts (courier_ref, office_code, day, start_min, end_min, capacity, vehicle, created_at)
			VALUES ('BUUTA2', 'BC-05488', '2026-11-25', 450, 500, 5, 'truck', now())`,
	} {
		if err := f.db.ExecForTest(ctx, q); err == nil {
			t.Errorf("%s: schema accepted it", name)
		}
	}
	if n := f.count(t, `SELECT count(*) FROM courier_shifts`); n != 1 {
		t.Errorf("%d shifts stored", n)
	}
	list, err := f.db.FindShifts(ctx, dispatch.ShiftFilter{Office: "BC-05443", From: f.day, To: f.day})
	if err != nil || len(list) != 1 {
		t.Errorf("FindShifts = %v, %v", list, err)
	}
	if list, _ := f.db.FindShifts(ctx, dispatch.ShiftFilter{From: f.day.AddDays(1)}); len(list) != 0 {
		t.Errorf("shifts after the day: %v", list)
	}
	a, err := f.db.CreateAbsence(ctx, dispatch.Absence{Courier: "BUUTA1", Day: f.day, From: 450, To: 600, Reason: "Hỏng xe"}, time.Now())
	if err != nil || a.ID == 0 {
		t.Fatal(err)
	}
	abs, err := f.db.FindAbsences(ctx, dispatch.AbsenceFilter{Office: "BC-05443", From: f.day, To: f.day})
	if err != nil || len(abs) != 1 || abs[0].Reason != "Hỏng xe" || abs[0].From != 450 || abs[0].To != 600 {
		t.Errorf("absences = %+v, %v", abs, err)
	}
	if err := f.db.DeleteAbsence(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.db.DeleteShift(ctx, got.ID); err != nil {
		t.Fatal(err)
	}
	if err := f.db.DeleteShift(ctx, got.ID); !errs.Is(err, errs.NotFound) {
		t.Errorf("second delete: %v", err)
	}
}

func TestFindRequests(t *testing.T) {
	f := newDispatchFixture(t)
	ctx := context.Background()
	// One the next day, one of the other office.
	f.parcel(t, "EA200000000VN", "BC-05443", f.day.AddDays(1).At(8*60), f.day.AddDays(1).At(10*60))
	f.parcel(t, "EA200000001VN", "BC-05488", f.day.At(8*60), f.day.At(10*60))
	rs, err := f.db.FindRequests(ctx, "BC-05443", f.day)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 4 {
		t.Fatalf("%d requests, want 4", len(rs))
	}
	r := rs[0]
	if r.Documents != 3 || r.COD || r.Demand != 1 || len(r.Windows) != 1 || !r.Windows[0].Start.Equal(f.day.At(8*60)) || r.Office != "BC-05443" {
		t.Errorf("request %+v", r)
	}
	if rs, _ := f.db.FindRequests(ctx, "BC-05443", f.day.AddDays(1)); len(rs) != 1 {
		t.Errorf("next day: %d requests", len(rs))
	}
	st, err := f.db.ParcelStatuses(ctx, f.parcels[:2])
	if err != nil || len(st) != 2 || st[f.parcels[0]] != "requested" {
		t.Errorf("statuses = %v, %v", st, err)
	}
}

func TestPlansVersionsAndPublish(t *testing.T) {
	f := newDispatchFixture(t)
	ctx := context.Background()
	shift, err := f.db.CreateShift(ctx, dispatch.Shift{Courier: "BUUTA1", Office: "BC-05443", Day: f.day, Start: 450, End: 1050,
		Capacity: 20, Vehicle: dispatch.Motorbike}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	at := func(c dispatch.Clock) time.Time { return f.day.At(c) }
	plan := dispatch.Plan{Office: "BC-05443", Day: f.day, Reason: "lập kế hoạch", CreatedAt: time.Now(), CreatedBy: "DIEUPHOI",
		Routes: []dispatch.Route{{Courier: "BUUTA1", ShiftID: shift.ID, Vehicle: dispatch.Motorbike, Depart: at(470), Return: at(600), Distance: 12000, Load: 2,
			Stops: []dispatch.Stop{
				{Parcel: f.parcels[0], Seq: 1, Point: dispatch.Point{Lat: 21.59, Lng: 105.84}, Window: dispatch.Window{Start: at(480), End: at(600)}, ETA: at(490), Departure: at(500), Load: 1, Documents: 3, Pinned: true},
				{Parcel: f.parcels[1], Seq: 2, Point: dispatch.Point{Lat: 21.59, Lng: 105.84}, Window: dispatch.Window{Start: at(480), End: at(600)}, ETA: at(510), Departure: at(520), Load: 2, Documents: 3, Visited: true},
			}}},
		Unplaced: []dispatch.Unplaced{{Parcel: f.parcels[2], Reason: dispatch.ReasonNoRoom}}, Distance: 12000}
	v1, err := f.db.SavePlan(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	if v1.Version != 1 || v1.Status != dispatch.Draft || len(v1.Routes) != 1 || len(v1.Routes[0].Stops) != 2 || len(v1.Unplaced) != 1 {
		t.Fatalf("v1 = %+v", v1)
	}
	s := v1.Routes[0].Stops[0]
	if s.Number != "EA100000000VN" || !s.Pinned || s.Visited || !s.ETA.Equal(at(490)) || s.Documents != 3 || v1.Routes[0].ShiftID != shift.ID {
		t.Errorf("stop round trip: %+v", s)
	}
	if !v1.Routes[0].Stops[1].Visited || v1.Unplaced[0].Reason != dispatch.ReasonNoRoom || v1.Unplaced[0].Number == "" {
		t.Errorf("visited/unplaced round trip: %+v %+v", v1.Routes[0].Stops[1], v1.Unplaced[0])
	}
	v2, err := f.db.SavePlan(ctx, plan)
	if err != nil || v2.Version != 2 {
		t.Fatalf("v2 = %d, %v", v2.Version, err)
	}
	latest, err := f.db.FindPlan(ctx, "BC-05443", f.day)
	if err != nil || latest.ID != v2.ID {
		t.Errorf("latest = %d, %v", latest.ID, err)
	}
	if _, err := f.db.FindPlan(ctx, "BC-05488", f.day); !errs.Is(err, errs.NotFound) {
		t.Errorf("no plan: %v", err)
	}
	// A parcel twice in one plan: the schema refuses the whole plan.
	dup := plan
	dup.Routes = []dispatch.Route{plan.Routes[0]}
	dup.Routes[0].Stops = append(append([]dispatch.Stop(nil), plan.Routes[0].Stops...), plan.Routes[0].Stops[0])
	dup.Routes[0].Stops[2].Seq = 3
	before := f.count(t, `SELECT count(*) FROM dispatch_plans`)
	if _, err := f.db.SavePlan(ctx, dup); err == nil {
		t.Error("plan with a parcel twice saved")
	}
	if n := f.count(t, `SELECT count(*) FROM dispatch_plans`); n != before {
		t.Errorf("refused plan left a header (%d → %d)", before, n)
	}
	// Publish v1, then v2: v1 is superseded; one published version a day.
	if err := f.db.PublishPlan(ctx, v1.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := f.db.PublishPlan(ctx, v2.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	p1, _ := f.db.FindPlanByID(ctx, v1.ID)
	p2, _ := f.db.FindPlanByID(ctx, v2.ID)
	if p1.Status != dispatch.Superseded || p2.Status != dispatch.Published || p2.PublishedAt == nil {
		t.Errorf("statuses %s %s", p1.Status, p2.Status)
	}
	if err := f.db.ExecForTest(ctx, `UPDATE dispatch_plans SET status = 'published' WHERE id = ?`, v1.ID); err == nil {
		t.Error("two published versions of one day accepted")
	}
	vs, err := f.db.FindPlanVersions(ctx, "BC-05443", f.day)
	if err != nil || len(vs) != 2 || vs[0].Version != 2 {
		t.Errorf("versions %+v %v", vs, err)
	}
}

func TestPinsAndUnzoned(t *testing.T) {
	f := newDispatchFixture(t)
	ctx := context.Background()
	pin := dispatch.Pin{Parcel: f.parcels[0], Day: f.day, Courier: "BUUTA1", Office: "BC-05443"}
	if err := f.db.SetPin(ctx, pin, time.Now(), "DIEUPHOI"); err != nil {
		t.Fatal(err)
	}
	pin.Courier = "BUUTA2"
	if err := f.db.SetPin(ctx, pin, time.Now(), "DIEUPHOI"); err != nil {
		t.Fatal(err)
	}
	pins, err := f.db.FindPins(ctx, "BC-05443", f.day)
	if err != nil || len(pins) != 1 || pins[0].Courier != "BUUTA2" || pins[0].Number == "" {
		t.Fatalf("pins %+v %v", pins, err)
	}
	pin.Courier = "NOBODY"
	if err := f.db.SetPin(ctx, pin, time.Now(), ""); !errs.Is(err, errs.Unprocessable) {
		t.Errorf("pin to unknown courier: %v", err)
	}
	if err := f.db.DeletePin(ctx, f.parcels[0], f.day); err != nil {
		t.Fatal(err)
	}
	if pins, _ := f.db.FindPins(ctx, "BC-05443", f.day); len(pins) != 0 {
		t.Errorf("pin not deleted: %v", pins)
	}
	lost := f.parcel(t, "EA300000000VN", "", f.day.At(8*60), f.day.At(10*60))
	un, err := f.db.UnzonedParcels(ctx, "19", 10)
	if err != nil || len(un) != 1 || un[0].ID != lost {
		t.Fatalf("unzoned %v %v", un, err)
	}
	ok, err := f.db.SetParcelOffice(ctx, lost, "BC-05488")
	if err != nil || !ok {
		t.Fatal(err)
	}
	if ok, _ := f.db.SetParcelOffice(ctx, lost, "BC-05443"); ok {
		t.Error("an office was overwritten")
	}
}
