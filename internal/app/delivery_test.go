package app_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"hoso/dispatch"
	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

// result stores a result at an office, ready to be delivered to the
// citizen at a point.
func (e *dispatchEnv) result(number, office string, lat, lng float64) app.Parcel {
	e.t.Helper()
	ctx := context.Background()
	dossier, err := e.db.UpsertDossier(ctx, "", tracking.Dossier{Code: "KQ-" + number, DeskCode: "TN-TTPVHCC"}, false, e.now)
	if err != nil {
		e.t.Fatal(err)
	}
	p := app.Parcel{ID: uuid.NewString(), Number: number, Leg: "return", Status: "at_office", Channel: tracking.ChannelCitizen,
		DossierID: dossier, CitizenName: "Trần Thị B", PhoneEnc: []byte{1}, PhoneLast3: "456", ProvinceCode: "19", CommuneCode: "05443",
		Lat: lat, Lng: lng, DeskCode: "TN-TTPVHCC", OfficeCode: office, CreatedAt: e.now, UpdatedAt: e.now,
		Documents: []tracking.Document{{Name: "Giấy chứng nhận", Kind: tracking.Original, Count: 1}}}
	if err := e.db.InsertParcel(ctx, p, []byte{2}, nil); err != nil {
		e.t.Fatal(err)
	}
	return p
}

// TestDeliverySlots: a result's free delivery slots, chosen by the citizen
// or by staff in scope (audited), never outside service hours, never over
// a slot's capacity even with 20 choices at once.
func TestDeliverySlots(t *testing.T) {
	e := newDispatchEnv(t)
	ctx := context.Background()
	r := e.result("EB000000001VN", "BC-05443", 21.59, 105.84)
	slots, err := e.d.DeliverySlots(ctx, r.Number, e.day)
	if err != nil {
		t.Fatal(err)
	}
	if len(slots) != 5 || !slots[0].Window.Start.Equal(e.day.At(450)) || !slots[4].Window.End.Equal(e.day.At(1050)) ||
		slots[0].Capacity != app.SlotPerCourier || !slots[0].Free {
		t.Fatalf("slots %+v", slots)
	}
	w, err := e.d.ChooseDeliverySlot(ctx, app.User{}, app.ChosenByCitizen, " eb000000001vn ", e.day.At(570))
	if err != nil || !w.Start.Equal(e.day.At(570)) || !w.End.Equal(e.day.At(690)) {
		t.Fatalf("choose: %v %v", w, err)
	}
	if again, err := e.d.ChooseDeliverySlot(ctx, app.User{}, app.ChosenByCitizen, r.Number, e.day.At(570)); err != nil || !again.Start.Equal(w.Start) || !again.End.Equal(w.End) {
		t.Fatalf("same choice again: %v %v", again, err)
	}
	slots, _ = e.d.DeliverySlots(ctx, r.Number, e.day)
	if slots[1].Taken != 1 {
		t.Fatalf("taken %d", slots[1].Taken)
	}
	pickup := e.request(21.59, 105.84, 450, 570)
	for _, tc := range []struct {
		name   string
		u      app.User
		by     string
		number string
		start  time.Time
		kind   errs.Kind
	}{
		{"not a slot start", app.User{}, app.ChosenByCitizen, r.Number, e.day.At(480), errs.Unprocessable},
		{"outside service hours", app.User{}, app.ChosenByCitizen, r.Number, e.day.At(18 * 60), errs.Unprocessable},
		{"too far ahead", app.User{}, app.ChosenByCitizen, r.Number, e.day.AddDays(30).At(570), errs.Unprocessable},
		{"in the past", app.User{}, app.ChosenByCitizen, r.Number, e.day.AddDays(-2).At(570), errs.Unprocessable},
		{"no time", app.User{}, app.ChosenByCitizen, r.Number, time.Time{}, errs.Invalid},
		{"a pickup", app.User{}, app.ChosenByCitizen, pickup.Number, e.day.At(570), errs.Unprocessable},
		{"unknown number", app.User{}, app.ChosenByCitizen, "EB999999999VN", e.day.At(570), errs.NotFound},
		{"unknown chooser", app.User{}, "robot", r.Number, e.day.At(570), errs.Invalid},
		{"staff with no account", app.User{}, app.ChosenByDispatcher, r.Number, e.day.At(570), errs.Forbidden},
		{"another province's dispatcher", e.hanoi, app.ChosenByDispatcher, r.Number, e.day.At(810), errs.Forbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.d.ChooseDeliverySlot(ctx, tc.u, tc.by, tc.number, tc.start)
			if !errs.Is(err, tc.kind) {
				t.Fatalf("error %v, want %s", err, tc.kind)
			}
		})
	}
	if got, _, _, _ := e.db.DeliveryWindow(ctx, r.ID); !got.Start.Equal(e.day.At(570)) {
		t.Fatalf("a refused choice changed the window to %v", got)
	}
	// The province's dispatcher moves it, audited.
	if _, err := e.d.ChooseDeliverySlot(ctx, e.disp, app.ChosenByDispatcher, r.Number, e.day.At(810)); err != nil {
		t.Fatal(err)
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = ? AND subject = ?`, app.AuditDeliveryWindow, r.Number); n != 1 {
		t.Fatalf("%d audit rows", n)
	}
	// 20 results choose the same slot at once: its capacity (6) wins.
	var results []app.Parcel
	for i := range 20 {
		results = append(results, e.result(fmt.Sprintf("EB1000000%02dVN", i), "BC-05443", 21.59, 105.84))
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	okN, full := 0, 0
	for _, p := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := e.d.ChooseDeliverySlot(ctx, app.User{}, app.ChosenByPortal, p.Number, e.day.At(930))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err == nil:
				okN++
			case errs.Is(err, errs.Conflict):
				full++
			default:
				t.Errorf("choice: %v", err)
			}
		}()
	}
	wg.Wait()
	if okN != app.SlotPerCourier || full != 20-app.SlotPerCourier {
		t.Fatalf("%d chose, %d refused as full", okN, full)
	}
	if n := e.count(`SELECT count(*) FROM delivery_windows WHERE starts_at = ?`, e.day.At(930)); n != app.SlotPerCourier {
		t.Fatalf("%d stored in the slot", n)
	}
}

// TestPlanDeliveriesAndPickups: a day with results at the office and
// pickup requests plans both on one route per courier with a lunch break;
// publishing gives the results their place without pickup events.
func TestPlanDeliveriesAndPickups(t *testing.T) {
	e := newDispatchEnv(t)
	ctx := context.Background()
	e.cover("BC-05443", "05443", "05455", "05467")
	week := [7]bool{false, true, true, true, true, true, true}
	if _, err := e.d.CreateShifts(ctx, e.disp, dispatch.Shift{Courier: "BT1", Office: "BC-05443", Day: e.day, Start: 450, End: 1050,
		Capacity: 12, Vehicle: dispatch.Motorbike, COD: true, BreakFrom: 690, BreakTo: 750, BreakMinutes: 45}, 1, week); err != nil {
		t.Fatal(err)
	}
	zones, _ := e.db.FindZones(ctx, "19")
	cells := zones[0].Cells
	for i := range 4 {
		c, _ := cells[(i*7)%len(cells)].Center()
		e.request(c.Lat, c.Lng, 450+dispatch.Clock(120*(i%2)), 690+dispatch.Clock(120*(i%2)))
		e.result(fmt.Sprintf("EB20000000%dVN", i), "BC-05443", c.Lat+0.002, c.Lng)
	}
	plan, err := e.d.PlanDay(ctx, e.disp, "BC-05443", e.day, app.PlanOptions{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Routes) != 1 || plan.Stops() != 8 || len(plan.Unplaced) != 0 {
		t.Fatalf("plan: %d routes, %d stops, unplaced %v", len(plan.Routes), plan.Stops(), plan.Unplaced)
	}
	r := plan.Routes[0]
	kinds := map[dispatch.StopKind]int{}
	for _, s := range r.Stops {
		kinds[s.Kind]++
	}
	if kinds[dispatch.KindDelivery] != 4 || kinds[dispatch.KindPickup] != 4 || r.Break == nil || r.Break.End.Sub(r.Break.Start) != 45*time.Minute {
		t.Fatalf("kinds %v break %+v", kinds, r.Break)
	}
	pub, err := e.d.Publish(ctx, e.disp, plan.ID)
	if err != nil || pub.Recorded != 4 || pub.Deliveries != 4 || len(pub.Refused) != 0 {
		t.Fatalf("publish %+v %v", pub, err)
	}
	for _, s := range r.Stops {
		if s.Kind.IsDelivery() {
			p, _ := e.db.FindParcel(ctx, s.Parcel)
			if p.RouteStop != s.Seq || p.Status != "at_office" {
				t.Fatalf("result %s: stop %d status %s, want %d at_office", p.Number, p.RouteStop, p.Status, s.Seq)
			}
		}
	}
}
