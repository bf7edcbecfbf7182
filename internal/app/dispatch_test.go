package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"hoso/dispatch"
	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/pg"
	"hoso/internal/pg/pgtest"
	"hoso/internal/secret"
	"hoso/internal/units"
	"hoso/tracking"
)

// dispatchEnv is a database with two offices of Thái Nguyên, a Hà Nội
// office, a dispatcher of each province, couriers, the intake with the
// dispatch service as its Zoner, and a frozen clock: Monday 23 November 2026
// at 06:00, the day before the planned day.
type dispatchEnv struct {
	t        *testing.T
	db       *pg.DB
	d        *app.Dispatch
	intake   *app.Intake
	ledger   *app.Ledger
	svc      *app.Services
	now      time.Time
	day      dispatch.Day
	disp     app.User // dispatcher of Thái Nguyên
	hanoi    app.User // dispatcher of Hà Nội
	requests int
}

// collect records a collection of number by courier u through the courier
// sync path: the courier's phone (a software device, its key registered)
// signs it, the citizen's signature image is stored first.
func (e *dispatchEnv) collect(u app.User, number string) {
	e.t.Helper()
	ctx := context.Background()
	phone, err := app.NewSoftDevice("phone-"+u.StaffCode, bytes.Repeat([]byte{7}, 32))
	if err != nil {
		e.t.Fatal(err)
	}
	alg, key := phone.PublicKey()
	pub, _ := base64.StdEncoding.DecodeString(key)
	if _, _, err := e.db.SaveDeviceKey(ctx, u.ID, phone.ID, app.DeviceKey{Alg: alg, PublicKey: pub}, e.now); err != nil {
		e.t.Fatal(err)
	}
	sha, err := e.svc.Devices.StoreEvidence(ctx, u, number, "signature", "image/png", base64.StdEncoding.EncodeToString([]byte("\x89PNG\r\n\x1a\n"+number)))
	if err != nil {
		e.t.Fatal(err)
	}
	raw, err := phone.Event(app.SoftEvent{ID: uuid.NewString(), Type: string(tracking.PickupCollected), Number: number, At: e.now,
		Data: tracking.Collected{Documents: []tracking.DocCount{{Line: 1, Count: 1}, {Line: 2, Count: 2}}, SealID: "NP-1",
			Proof: &tracking.Proof{Method: tracking.ProofSignature, SHA256: sha}}})
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := e.svc.Sync.Apply(ctx, u, phone.ID, []json.RawMessage{raw})
	if err != nil || res[0].Status != "accepted" {
		e.t.Fatalf("collect %s: %v %+v", number, err, res)
	}
}

func newDispatchEnv(t *testing.T) *dispatchEnv {
	t.Helper()
	db, _ := pgtest.New(t)
	ctx := context.Background()
	set, err := units.Load()
	if err != nil {
		t.Fatal(err)
	}
	e := &dispatchEnv{t: t, db: db, now: time.Date(2026, 11, 23, 6, 0, 0, 0, vn)}
	e.day, _ = dispatch.ParseDay("2026-11-24")
	clock := func() time.Time { return e.now }
	box, _ := secret.NewBox(bytes.Repeat([]byte{1}, 32))
	hasher, _ := secret.NewHasher(bytes.Repeat([]byte{2}, 32))
	days := [7]bool{false, true, true, true, true, true, true}
	svc := app.NewServices(app.Wiring{Store: db, Units: set, Box: box, Hasher: hasher, Now: clock, NewID: uuid.NewString,
		S10:           app.S10Config{Pickup: "EA", Return: "EB", Country: "VN"},
		Hours:         tracking.ServiceHours{Start: 7*time.Hour + 30*time.Minute, End: 17*time.Hour + 30*time.Minute, Days: days, Zone: vn},
		DispatchHours: dispatch.DefaultHours, Outlines: units.NewOutlines(), PlanTime: 400 * time.Millisecond, ReplanTime: 200 * time.Millisecond,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	e.ledger, e.intake, e.d, e.svc = svc.Ledger, svc.Intake, svc.Dispatch, svc
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.UpsertDesk(ctx, app.Desk{Code: "TN-TTPVHCC", Name: "Trung tâm", Level: "province", CommuneCode: "05443", ProvinceCode: "19"}))
	must(db.UpsertOffice(ctx, app.PostOffice{Code: "BC-05443", Name: "Bưu cục Phan Đình Phùng", CommuneCode: "05443", ProvinceCode: "19", Lat: 21.5887, Lng: 105.8338}))
	must(db.UpsertOffice(ctx, app.PostOffice{Code: "BC-05488", Name: "Bưu cục Đại Phúc", CommuneCode: "05488", ProvinceCode: "19", Lat: 21.5765, Lng: 105.7095}))
	must(db.UpsertOffice(ctx, app.PostOffice{Code: "BC-00004", Name: "Bưu cục Ba Đình", CommuneCode: "00004", ProvinceCode: "01", Lat: 21.0368, Lng: 105.8342}))
	auth := &app.Auth{Store: db, Now: clock}
	mk := func(n app.NewUser) app.User {
		n.Password = "mat-khau-" + n.Username
		n.FullName = "Nhân viên " + n.Username
		u, err := auth.CreateUser(ctx, n)
		must(err)
		return u
	}
	e.disp = mk(app.NewUser{Username: "dieuphoi", Role: app.RoleDispatcher, OfficeCode: "BC-05443"})
	e.hanoi = mk(app.NewUser{Username: "dieuphoihn", Role: app.RoleDispatcher, OfficeCode: "BC-00004"})
	for _, c := range []string{"bt1", "bt2", "bt3"} {
		mk(app.NewUser{Username: c, Role: app.RoleCourier, OfficeCode: "BC-05443"})
	}
	mk(app.NewUser{Username: "bt9", Role: app.RoleCourier, OfficeCode: "BC-05488"})
	return e
}

func (e *dispatchEnv) count(q string, args ...any) int {
	e.t.Helper()
	n, err := e.db.CountForTest(context.Background(), q, args...)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// request creates a pickup request at a point, with a window of the day.
func (e *dispatchEnv) request(lat, lng float64, from, to dispatch.Clock) app.Parcel {
	e.t.Helper()
	e.requests++
	p, err := e.intake.Create(context.Background(), tracking.PickupRequest{
		Dossier:   tracking.Dossier{Code: fmt.Sprintf("HS-%03d", e.requests), DeskCode: "TN-TTPVHCC"},
		Citizen:   tracking.Citizen{FullName: "Nguyễn Văn A", Phone: "0912345678"},
		Address:   tracking.Address{ProvinceCode: "19", CommuneCode: "05443", Line: "Số 1", Lat: &lat, Lng: &lng},
		Documents: []tracking.Document{{Name: "Tờ khai", Kind: tracking.Original, Count: 1}, {Name: "CCCD", Kind: tracking.CertifiedCopy, Count: 2}},
		Windows:   []tracking.Window{{Start: e.day.At(from), End: e.day.At(to)}},
		Channel:   tracking.ChannelCitizen,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

func (e *dispatchEnv) cover(office string, communes ...string) app.ZoneResult {
	e.t.Helper()
	res, err := e.d.CoverCommunes(context.Background(), e.disp, app.CoverRequest{Office: office, Communes: communes, Mode: "center"})
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

func TestZonesPlaceNewRequests(t *testing.T) {
	e := newDispatchEnv(t)
	ctx := context.Background()
	outside := e.request(21.5887, 105.8338, 480, 600)
	if outside.OfficeCode != "" {
		t.Fatalf("request placed in %q before any zone", outside.OfficeCode)
	}
	res := e.cover("BC-05443", "05443")
	if res.Cells < 2 || res.Added != res.Cells {
		t.Fatalf("cover of Phan Đình Phùng: %+v", res)
	}
	in := e.request(21.5887, 105.8338, 480, 600)
	if in.OfficeCode != "BC-05443" {
		t.Errorf("request in the zone placed in %q", in.OfficeCode)
	}
	// The earlier request waits in the queue until placed.
	un, err := e.d.Unzoned(ctx, e.disp, "19", 10)
	if err != nil || len(un) != 1 || un[0].ID != outside.ID {
		t.Fatalf("unzoned = %v, %v", un, err)
	}
	if n, err := e.d.PlaceUnzoned(ctx, e.disp, "19"); err != nil || n != 1 {
		t.Errorf("placed %d, %v", n, err)
	}
	// Another office may not take the same commune: the error names the
	// commune, the other office, and nothing changes.
	before := e.count(`SELECT count(*) FROM zone_cells`)
	_, err = e.d.CoverCommunes(ctx, e.disp, app.CoverRequest{Office: "BC-05488", Communes: []string{"05488", "05443"}, Mode: "center"})
	if !errs.Is(err, errs.Unprocessable) {
		t.Fatalf("overlap: %v", err)
	}
	msg := errs.MessageOf(err) + errs.FieldsOf(err)["cells"]
	for _, w := range []string{"BC-05488", "BC-05443", "Phường Phan Đình Phùng", "chồng lên"} {
		if !strings.Contains(msg, w) {
			t.Errorf("overlap error %q lacks %q", msg, w)
		}
	}
	if n := e.count(`SELECT count(*) FROM zone_cells`); n != before {
		t.Errorf("refused cover changed zone_cells: %d → %d", before, n)
	}
	// Skipping taken cells: the neighbour gets only what is free.
	res2, err := e.d.CoverCommunes(ctx, e.disp, app.CoverRequest{Office: "BC-05488", Communes: []string{"05488", "05443"}, Mode: "overlapping", SkipTaken: true})
	if err != nil || res2.Skipped == 0 {
		t.Fatalf("skip taken: %+v, %v", res2, err)
	}
	zones, _ := e.db.FindZones(ctx, "19")
	if err := dispatch.ValidateZones(zones); err != nil {
		t.Errorf("stored zones overlap: %v", err)
	}
	// Cell edits: a bad cell and a cell of the wrong resolution are named.
	_, err = e.d.EditCells(ctx, e.disp, "BC-05443", []string{"xyz", "892830828ffffff"}, nil)
	if f := errs.FieldsOf(err)["add"]; !strings.Contains(f, "xyz") {
		t.Errorf("bad cells: %v %v", err, errs.FieldsOf(err))
	}
	// Scope: Hà Nội's dispatcher cannot touch Thái Nguyên's zones.
	if _, err := e.d.CoverCommunes(ctx, e.hanoi, app.CoverRequest{Office: "BC-05443", Communes: []string{"05443"}}); !errs.Is(err, errs.Forbidden) {
		t.Errorf("other province: %v", err)
	}
	if _, err := e.d.CoverCommunes(ctx, e.disp, app.CoverRequest{Office: "BC-05443", Communes: []string{"00004"}}); !errs.Is(err, errs.Unprocessable) {
		t.Errorf("commune of another province: %v", err)
	}
	shapes, err := e.d.ZoneShapes(ctx, e.disp, "19")
	if err != nil || len(shapes) != 2 || len(shapes[0].Polygons) == 0 {
		t.Errorf("shapes = %d, %v", len(shapes), err)
	}
}

func TestShiftRulesChangeNothing(t *testing.T) {
	e := newDispatchEnv(t)
	ctx := context.Background()
	good := dispatch.Shift{Courier: "BT1", Office: "BC-05443", Day: e.day, Start: 450, End: 1050, Capacity: 20, Vehicle: dispatch.Motorbike}
	week := [7]bool{false, true, true, true, true, true, true}
	if _, err := e.d.CreateShifts(ctx, e.disp, good, 1, week); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		change func(*dispatch.Shift)
		days   int
		field  string
		want   string
	}{
		{"ends before it starts", func(s *dispatch.Shift) { s.Courier, s.Start, s.End = "BT2", 600, 480 }, 1, "end", "BT2"},
		{"zero capacity", func(s *dispatch.Shift) { s.Courier, s.Capacity = "BT2", 0 }, 1, "capacity", "BT2"},
		{"outside service hours", func(s *dispatch.Shift) { s.Courier, s.End = "BT2", 21*60 }, 1, "end", "ngoài giờ phục vụ"},
		{"courier of another office", func(s *dispatch.Shift) { s.Courier = "BT9" }, 1, "courier", "BT9"},
		{"a day already worked, in a range", func(s *dispatch.Shift) { s.Day = e.day.AddDays(-1) }, 3, "day", "BT1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.count(`SELECT count(*) FROM courier_shifts`)
			s := good
			tc.change(&s)
			_, err := e.d.CreateShifts(ctx, e.disp, s, tc.days, week)
			if err == nil {
				t.Fatal("accepted")
			}
			msg := errs.MessageOf(err) + " " + errs.FieldsOf(err)[tc.field]
			if !strings.Contains(msg, tc.want) {
				t.Errorf("error %q (fields %v) lacks %q", errs.MessageOf(err), errs.FieldsOf(err), tc.want)
			}
			if n := e.count(`SELECT count(*) FROM courier_shifts`); n != before {
				t.Errorf("courier_shifts %d → %d", before, n)
			}
		})
	}
	// Six service days from Monday skip Sunday.
	list, err := e.d.CreateShifts(ctx, e.disp, dispatch.Shift{Courier: "BT3", Office: "BC-05443", Day: e.day.AddDays(-1),
		Start: 450, End: 1050, Capacity: 10, Vehicle: dispatch.Bicycle}, 7, week)
	if err != nil || len(list) != 7 {
		t.Fatalf("range: %d, %v", len(list), err)
	}
	for _, s := range list {
		if s.Day.Weekday() == time.Sunday {
			t.Errorf("shift on Sunday %s", s.Day)
		}
	}
	if _, err := e.d.CreateAbsence(ctx, e.disp, "BC-05443", dispatch.Absence{Courier: "BT1", Day: e.day, From: 600, To: 540}); !errs.Is(err, errs.Unprocessable) {
		t.Errorf("absence ending before it starts: %v", err)
	}
	if n := e.count(`SELECT count(*) FROM courier_absences`); n != 0 {
		t.Errorf("%d absences stored", n)
	}
}

func TestImportOffices(t *testing.T) {
	e := newDispatchEnv(t)
	ctx := context.Background()
	before := e.count(`SELECT count(*) FROM post_offices`)
	bad := "code,name,commune_code,lat,lng\n" +
		"BC-05455,Bưu cục Quyết Thắng,05455,21.60,105.82\n" +
		"BC 1,Tên,05455,21.6,105.8\n" +
		"BC-X,Bưu cục X,99999,21.6,105.8\n" +
		"BC-Y,Bưu cục Y,05455,51.5,-0.1\n" +
		"BC-05455,Trùng,05455,21.6,105.8\n" +
		"BC-HN,Bưu cục Hà Nội,00004,21.03,105.83\n"
	_, err := e.d.ImportOffices(ctx, e.disp, strings.NewReader(bad))
	f := errs.FieldsOf(err)
	for line, want := range map[string]string{"line 3": "BC 1", "line 4": "99999", "line 5": "Việt Nam", "line 6": "dòng 2", "line 7": "không thuộc tỉnh"} {
		if !strings.Contains(f[line], want) {
			t.Errorf("%s: %q lacks %q", line, f[line], want)
		}
	}
	if n := e.count(`SELECT count(*) FROM post_offices`); n != before {
		t.Errorf("refused import wrote %d offices", n-before)
	}
	good := "\ufeffcode,name,commune_code,lat,lng\nBC-05455,Bưu cục Quyết Thắng,05455,21.60,105.82\nBC-05443,Bưu cục Phan Đình Phùng mới,05443,21.5887,105.8338\n"
	res, err := e.d.ImportOffices(ctx, e.disp, strings.NewReader(good))
	if err != nil || res.Created != 1 || res.Updated != 1 {
		t.Fatalf("import: %+v, %v", res, err)
	}
	o, _ := e.db.FindOffice(ctx, "BC-05455")
	if o.ProvinceCode != "19" || o.Name != "Bưu cục Quyết Thắng" {
		t.Errorf("imported %+v", o)
	}
	if _, err := e.d.ImportOffices(ctx, e.disp, strings.NewReader("ma,ten\n")); !errs.Is(err, errs.Unprocessable) {
		t.Errorf("bad header: %v", err)
	}
}

// TestPlanPublishReplan walks a day: plan, publish (the citizens' timelines
// show the visit), a new request and a re-plan that keeps couriers, a
// cancelled request, an absent courier, a manual assignment with a pin.
func TestPlanPublishReplan(t *testing.T) {
	e := newDispatchEnv(t)
	ctx := context.Background()
	e.cover("BC-05443", "05443", "05455", "05467")
	week := [7]bool{false, true, true, true, true, true, true}
	for _, c := range []string{"BT1", "BT2"} {
		if _, err := e.d.CreateShifts(ctx, e.disp, dispatch.Shift{Courier: c, Office: "BC-05443", Day: e.day, Start: 450, End: 1050,
			Capacity: 12, Vehicle: dispatch.Motorbike, COD: true}, 1, week); err != nil {
			t.Fatal(err)
		}
	}
	slots := [][2]dispatch.Clock{{450, 570}, {570, 690}, {810, 930}, {930, 1050}}
	zones, _ := e.db.FindZones(ctx, "19")
	cells := zones[0].Cells
	var parcels []app.Parcel
	for i := 0; i < 14; i++ {
		sl := slots[i%4]
		c, _ := cells[(i*5)%len(cells)].Center()
		p := e.request(c.Lat+float64(i%3)*0.001, c.Lng, sl[0], sl[1])
		if p.OfficeCode != "BC-05443" {
			t.Fatalf("request %d placed in %q", i, p.OfficeCode)
		}
		parcels = append(parcels, p)
	}
	v1, err := e.d.PlanDay(ctx, e.disp, "BC-05443", e.day, app.PlanOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if v1.Version != 1 || v1.Stops() != 14 || len(v1.Unplaced) != 0 {
		t.Fatalf("v1: version %d, %d stops, unplaced %v", v1.Version, v1.Stops(), v1.Unplaced)
	}
	pub, err := e.d.Publish(ctx, e.disp, v1.ID)
	if err != nil || pub.Recorded != 14 || len(pub.Refused) != 0 || pub.Plan.Status != dispatch.Published {
		t.Fatalf("publish: %+v, %v", pub, err)
	}
	if n := e.count(`SELECT count(*) FROM events WHERE type = 'pickup.scheduled' AND actor_kind = 'dispatcher' AND actor_ref = 'DIEUPHOI'`); n != 14 {
		t.Errorf("%d pickup.scheduled events", n)
	}
	stop, courier, _ := v1.StopOf(parcels[0].ID)
	got, _ := e.db.FindParcel(ctx, parcels[0].ID)
	if got.Status != "scheduled" || got.CourierRef != courier || got.WindowStart == nil || !got.WindowStart.Equal(stop.Window.Start) {
		t.Errorf("parcel after publish: %s %s %v", got.Status, got.CourierRef, got.WindowStart)
	}
	evs, _ := e.db.FindEvents(ctx, parcels[0].ID)
	line := tracking.Describe(evs[len(evs)-1], got.Documents, func(tracking.Party) string { return "" })
	if line.Title != "Đã hẹn lịch thu gom" || !strings.Contains(line.Detail, stop.Window.Start.In(vn).Format("15:04")) {
		t.Errorf("timeline line %+v", line)
	}
	// Publishing again writes nothing new.
	again, err := e.d.Publish(ctx, e.disp, v1.ID)
	if err != nil || again.Recorded != 0 || again.Unchanged != 14 {
		t.Errorf("republish: %+v, %v", again, err)
	}
	// Each publication is in the audit log under the dispatcher, with what it did.
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = ? AND subject = ? AND user_id = ?`,
		app.AuditPlanPublished, "BC-05443 "+e.day.String(), e.disp.ID); n != 2 {
		t.Errorf("%d plan.published audit rows, want 2", n)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = ? AND reason LIKE 'phiên bản 1: 14 lịch hẹn ghi%'`, app.AuditPlanPublished); n != 1 {
		t.Errorf("the first publication's audit row does not say what it recorded")
	}

	// A new request: the plan is stale; the re-plan keeps couriers.
	c, _ := cells[3].Center()
	late := e.request(c.Lat, c.Lng, 810, 930)
	ch, err := e.d.Changes(ctx, e.disp, v1)
	if err != nil || len(ch.New) != 1 || ch.New[0] != late.Number || !ch.Any() {
		t.Fatalf("changes: %+v, %v", ch, err)
	}
	v2, err := e.d.PlanDay(ctx, e.disp, "BC-05443", e.day, app.PlanOptions{Replan: true, Reason: "Yêu cầu mới", Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := v2.StopOf(late.ID); !ok || v2.Version != 2 {
		t.Fatalf("v2 (version %d) lacks the new request; unplaced %v", v2.Version, v2.Unplaced)
	}
	moved := 0
	for _, p := range parcels {
		_, c1, _ := v1.StopOf(p.ID)
		_, c2, _ := v2.StopOf(p.ID)
		if c1 != c2 {
			moved++
		}
	}
	if moved > 2 {
		t.Errorf("re-plan moved %d of %d stops to another courier", moved, len(parcels))
	}
	// Only the latest version may be published.
	if _, err := e.d.Publish(ctx, e.disp, v1.ID); !errs.Is(err, errs.Conflict) {
		t.Errorf("publishing an old version: %v", err)
	}
	pub2, err := e.d.Publish(ctx, e.disp, v2.ID)
	if err != nil || pub2.Recorded < 1 || pub2.Recorded > 1+2*moved+4 {
		t.Errorf("publish v2: recorded %d, unchanged %d, %v", pub2.Recorded, pub2.Unchanged, err)
	}
	if p1, _ := e.db.FindPlanByID(ctx, v1.ID); p1.Status != dispatch.Superseded {
		t.Errorf("v1 is %s", p1.Status)
	}
	// Every courier's list follows v2's order, changed appointment or not.
	if n := e.count(`SELECT count(*) FROM plan_stops s JOIN parcels p ON p.id = s.parcel_id
		WHERE s.plan_id = ? AND NOT s.visited AND (p.route_stop IS DISTINCT FROM s.seq OR p.courier_ref <> s.courier_ref)`, v2.ID); n != 0 {
		t.Errorf("%d parcels out of v2's route order", n)
	}

	// A cancelled request leaves the next plan.
	if _, err := e.intake.Cancel(ctx, parcels[1], tracking.Party{Kind: tracking.PartyCitizen}, "Không cần nữa"); err != nil {
		t.Fatal(err)
	}
	ch, _ = e.d.Changes(ctx, e.disp, v2)
	if len(ch.Cancelled) != 1 {
		t.Errorf("cancelled not seen: %+v", ch)
	}
	// The first stop of a courier is collected; then that courier is absent.
	// (not the request just cancelled: which stop comes first depends on the
	// tracking numbers, drawn through the database's own permutation key)
	var first dispatch.Stop
	var collector string
	for _, rt := range v2.Routes {
		if len(rt.Stops) > 0 && rt.Stops[0].Parcel != parcels[1].ID {
			first, collector = rt.Stops[0], rt.Courier
			break
		}
	}
	u, _ := e.db.FindUserByStaffCode(ctx, collector)
	e.collect(u, first.Number)
	e.now = e.day.At(600)
	if _, err := e.d.CreateAbsence(ctx, e.disp, "BC-05443", dispatch.Absence{Courier: collector, Day: e.day, From: 600, To: 1440, Reason: "Ốm"}); err != nil {
		t.Fatal(err)
	}
	ch, _ = e.d.Changes(ctx, e.disp, v2)
	if len(ch.Absent) != 1 || ch.Absent[0] != collector || ch.Visited != 1 {
		t.Errorf("changes after absence: %+v", ch)
	}
	v3, err := e.d.PlanDay(ctx, e.disp, "BC-05443", e.day, app.PlanOptions{Replan: true, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := v3.StopOf(parcels[1].ID); ok {
		t.Error("cancelled request still planned")
	}
	r, ok := v3.Route(collector)
	if !ok || len(r.Stops) != 1 || !r.Stops[0].Visited || r.Stops[0].Parcel != first.Parcel {
		t.Errorf("absent courier's route: %+v", r)
	}
	for _, rt := range v3.Routes {
		for _, s := range rt.Stops {
			if !s.Visited && s.ETA.Before(e.now) {
				t.Errorf("%s planned at %s, before now", s.Number, s.ETA.In(vn).Format("15:04"))
			}
		}
	}

	// Manual assignment with a pin, and a refused one that changes nothing.
	other := "BT1"
	if collector == "BT1" {
		other = "BT2"
	}
	target := parcels[5]
	v4, err := e.d.Assign(ctx, e.disp, "BC-05443", e.day, target.Number, other, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, c, _ := v4.StopOf(target.ID); c != other {
		t.Errorf("assigned to %s, want %s", c, other)
	}
	pins, _ := e.d.Pins(ctx, e.disp, "BC-05443", e.day)
	if len(pins) != 1 || pins[0].Courier != other {
		t.Errorf("pins %+v", pins)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = ? AND subject = ? AND user_id = ? AND reason LIKE ?`,
		app.AuditAssigned, target.Number, e.disp.ID, "%ghim "+target.Number+" cho "+other); n != 1 {
		t.Errorf("%d plan.assigned audit rows for %s", n, target.Number)
	}
	beforeAudit := e.count(`SELECT count(*) FROM audit_log`)
	beforePlans := e.count(`SELECT count(*) FROM dispatch_plans`)
	if _, err := e.d.Assign(ctx, e.disp, "BC-05443", e.day, parcels[6].Number, collector, true); !errs.Is(err, errs.Unprocessable) ||
		!strings.Contains(errs.MessageOf(err), collector) {
		t.Errorf("assign to the absent courier: %v", err)
	}
	if n := e.count(`SELECT count(*) FROM dispatch_plans`); n != beforePlans {
		t.Errorf("refused assignment saved a plan")
	}
	if pins, _ := e.d.Pins(ctx, e.disp, "BC-05443", e.day); len(pins) != 1 {
		t.Errorf("refused assignment left a pin: %+v", pins)
	}
	if n := e.count(`SELECT count(*) FROM audit_log`); n != beforeAudit {
		t.Errorf("refused assignment wrote %d audit rows", n-beforeAudit)
	}
	// Unpinning and pinning again are audited too.
	if err := e.d.Unpin(ctx, e.disp, "BC-05443", e.day, target.Number); err != nil {
		t.Fatal(err)
	}
	if err := e.d.Pin(ctx, e.disp, "BC-05443", e.day, target.Number, ""); err != nil {
		t.Fatal(err)
	}
	for _, action := range []string{app.AuditUnpinned, app.AuditPinned} {
		if n := e.count(`SELECT count(*) FROM audit_log WHERE action = ? AND subject = ? AND user_id = ?`, action, target.Number, e.disp.ID); n != 1 {
			t.Errorf("%d %s audit rows", n, action)
		}
	}
	// Scope.
	if _, err := e.d.PlanDay(ctx, e.hanoi, "BC-05443", e.day, app.PlanOptions{}); !errs.Is(err, errs.Forbidden) {
		t.Errorf("Hà Nội dispatcher planning Thái Nguyên: %v", err)
	}
	if _, err := e.d.PlanDay(ctx, e.disp, "BC-05443", e.day.AddDays(-2), app.PlanOptions{}); !errs.Is(err, errs.Unprocessable) {
		t.Errorf("a past day: %v", err)
	}
}

func TestPlanJobProgress(t *testing.T) {
	e := newDispatchEnv(t)
	ctx := context.Background()
	e.cover("BC-05443", "05443")
	if _, err := e.d.CreateShifts(ctx, e.disp, dispatch.Shift{Courier: "BT1", Office: "BC-05443", Day: e.day, Start: 450, End: 1050,
		Capacity: 12, Vehicle: dispatch.Motorbike}, 1, [7]bool{}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		e.request(21.585+float64(i)*0.002, 105.83, 480, 690)
	}
	id, err := e.d.StartPlan(ctx, e.disp, "BC-05443", e.day, app.PlanOptions{TimeLimit: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	same, _ := e.d.StartPlan(ctx, e.disp, "BC-05443", e.day, app.PlanOptions{})
	if same != id {
		t.Error("a second run started for the same day")
	}
	if _, err := e.d.Job(ctx, e.hanoi, id); !errs.Is(err, errs.Forbidden) {
		t.Errorf("other province sees the job: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	var j app.PlanJob
	for time.Now().Before(deadline) {
		j, err = e.d.Job(ctx, e.disp, id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Done {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !j.Done || j.Err != "" || j.PlanID == 0 || j.Percent(time.Now()) != 100 || j.Improved == 0 {
		t.Fatalf("job %+v", j)
	}
}

// countingOffices counts the office look-ups behind the scope checks.
type countingOffices struct {
	app.DispatchStore
	n atomic.Int32
}

func (c *countingOffices) FindOffice(ctx context.Context, code string) (app.PostOffice, error) {
	c.n.Add(1)
	return c.DispatchStore.FindOffice(ctx, code)
}

// A page asks the dispatch service several things about one office; with
// the request's scope memo the office is checked once, a refusal is never
// remembered, and the memo of one user does not let another in.
func TestOneOfficeScopeCheckPerRequest(t *testing.T) {
	e := newDispatchEnv(t)
	cs := &countingOffices{DispatchStore: e.d.Store}
	e.d.Store = cs
	page := func(ctx context.Context, u app.User, office string) error {
		if _, err := e.d.Couriers(ctx, u, office); err != nil {
			return err
		}
		if _, err := e.d.Shifts(ctx, u, office, e.day, e.day); err != nil {
			return err
		}
		_, err := e.d.Pins(ctx, u, office, e.day)
		return err
	}
	if err := page(context.Background(), e.disp, "BC-05443"); err != nil {
		t.Fatal(err)
	}
	if n := cs.n.Swap(0); n != 3 {
		t.Errorf("without a memo: %d office look-ups, want 3 (one per call)", n)
	}
	ctx := app.WithScopeMemo(context.Background())
	if app.WithScopeMemo(ctx) != ctx {
		t.Error("a second memo replaced the request's")
	}
	if err := page(ctx, e.disp, "BC-05443"); err != nil {
		t.Fatal(err)
	}
	if n := cs.n.Swap(0); n != 1 {
		t.Errorf("with the request's memo: %d office look-ups, want 1", n)
	}
	// Hà Nội's dispatcher, in the same context, is still refused, every time.
	for i := 0; i < 2; i++ {
		if err := page(ctx, e.hanoi, "BC-05443"); !errs.Is(err, errs.Forbidden) {
			t.Fatalf("another province's dispatcher: %v", err)
		}
	}
	if n := cs.n.Swap(0); n != 2 {
		t.Errorf("refusals: %d look-ups, want 2 (never remembered)", n)
	}
	// A courier is refused before any look-up.
	courier := app.User{ID: e.disp.ID, Role: app.RoleCourier, OfficeCode: "BC-05443", ProvinceCode: "19"}
	if err := page(ctx, courier, "BC-05443"); !errs.Is(err, errs.Forbidden) {
		t.Fatalf("courier: %v", err)
	}
	if n := cs.n.Load(); n != 0 {
		t.Errorf("a courier's refusal looked up %d offices", n)
	}
}
