package pg_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"hoso/dispatch"
	"hoso/internal/app"
	"hoso/tracking"
)

// returnParcel stores a result at the office, ready to be delivered.
func (f *dispatchFixture) returnParcel(t *testing.T, number, office string, fee int64) string {
	t.Helper()
	ctx := context.Background()
	dossier, err := f.db.UpsertDossier(ctx, "", tracking.Dossier{Code: "HS-" + number, DeskCode: "TN-TTPVHCC"}, false, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p := app.Parcel{ID: uuid.NewString(), Number: number, Leg: "return", Status: "at_office", Channel: tracking.ChannelCitizen,
		DossierID: dossier, CitizenName: "Trần Thị B", PhoneEnc: []byte{1}, PhoneLast3: "456", ProvinceCode: "19", CommuneCode: "05443",
		Lat: 21.60, Lng: 105.83, DeskCode: "TN-TTPVHCC", OfficeCode: office, CreatedAt: time.Now(), UpdatedAt: time.Now(), FeeAmount: fee,
		Documents: []tracking.Document{{Name: "Giấy chứng nhận", Kind: tracking.Original, Count: 1}}}
	if err := f.db.InsertParcel(ctx, p, []byte{2}, nil); err != nil {
		t.Fatal(err)
	}
	return p.ID
}

// TestWholeDayStore: results at the office are delivery visits of the day
// (with the chosen window, or none for service hours), shifts keep their
// break, maximum duration and communes, plans keep stop kinds, a bag
// emptied by deliveries and the break.
func TestWholeDayStore(t *testing.T) {
	f := newDispatchFixture(t)
	ctx := context.Background()
	free := f.returnParcel(t, "EB100000001VN", "BC-05443", 0)
	chosen := f.returnParcel(t, "EB100000002VN", "BC-05443", 25000)
	later := f.returnParcel(t, "EB100000003VN", "BC-05443", 0)
	f.returnParcel(t, "EB100000004VN", "BC-05488", 0) // another office
	w := dispatch.Window{Start: f.day.At(14 * 60), End: f.day.At(16 * 60)}
	if err := f.db.SetDeliveryWindow(ctx, chosen, dispatch.Window{Start: f.day.At(8 * 60), End: f.day.At(10 * 60)}, "clerk", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := f.db.SetDeliveryWindow(ctx, chosen, w, "citizen", time.Now()); err != nil { // a second choice replaces the first
		t.Fatal(err)
	}
	next := f.day.AddDays(1)
	if err := f.db.SetDeliveryWindow(ctx, later, dispatch.Window{Start: next.At(8 * 60), End: next.At(10 * 60)}, "portal", time.Now()); err != nil {
		t.Fatal(err)
	}
	if err := f.db.SetDeliveryWindow(ctx, later, dispatch.Window{Start: next.At(10 * 60), End: next.At(8 * 60)}, "portal", time.Now()); err == nil {
		t.Fatal("a reversed window was stored")
	}
	if err := f.db.SetDeliveryWindow(ctx, later, w, "hacker", time.Now()); err == nil {
		t.Fatal("an unknown chooser was stored")
	}
	rs, err := f.db.FindRequests(ctx, "BC-05443", f.day)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]dispatch.Request{}
	for _, r := range rs {
		byID[r.Parcel] = r
	}
	if len(rs) != 6 || byID[free].Kind != dispatch.KindDelivery || len(byID[free].Windows) != 0 || byID[free].Commune != "05443" {
		t.Fatalf("%d visits, free result %+v", len(rs), byID[free])
	}
	c := byID[chosen]
	if !c.COD || len(c.Windows) != 1 || !c.Windows[0].Start.Equal(w.Start) || !c.Kind.IsDelivery() {
		t.Fatalf("chosen result %+v", c)
	}
	if _, ok := byID[later]; ok {
		t.Fatal("a result whose window is the next day is a visit today")
	}
	if byID[f.parcels[0]].Kind.IsDelivery() {
		t.Fatal("a pickup read as a delivery")
	}
	if got, by, ok, err := f.db.DeliveryWindow(ctx, chosen); err != nil || !ok || by != "citizen" || !got.End.Equal(w.End) {
		t.Fatalf("delivery window %v %q %v %v", got, by, ok, err)
	}
	if _, _, ok, err := f.db.DeliveryWindow(ctx, free); ok || err != nil {
		t.Fatalf("no window: %v %v", ok, err)
	}
	counts, err := f.db.DeliverySlotCounts(ctx, "BC-05443", f.day.Start(), f.day.End())
	if err != nil || counts[w.Start.UTC()] != 1 || len(counts) != 1 {
		t.Fatalf("slot counts %v %v", counts, err)
	}

	shift, err := f.db.CreateShift(ctx, dispatch.Shift{Courier: "BUUTA1", Office: "BC-05443", Day: f.day, Start: 450, End: 1050,
		Capacity: 20, Vehicle: dispatch.Motorbike, COD: true, BreakFrom: 690, BreakTo: 750, BreakMinutes: 45, MaxMinutes: 540,
		Communes: []string{"05443", "05446"}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if shift.BreakFrom != 690 || shift.BreakTo != 750 || shift.BreakMinutes != 45 || shift.MaxMinutes != 540 || len(shift.Communes) != 2 {
		t.Fatalf("shift round trip %+v", shift)
	}
	if _, err := f.db.CreateShift(ctx, dispatch.Shift{Courier: "BUUTA2", Office: "BC-05488", Day: f.day, Start: 600, End: 660,
		Capacity: 20, Vehicle: dispatch.Motorbike, BreakFrom: 600, BreakTo: 600, BreakMinutes: 90}, time.Now()); err == nil {
		t.Fatal("the schema took a break longer than the shift")
	}
	at := func(c dispatch.Clock) time.Time { return f.day.At(c) }
	plan := dispatch.Plan{Office: "BC-05443", Day: f.day, Reason: "lập kế hoạch", CreatedAt: time.Now(), CreatedBy: "DIEUPHOI",
		Routes: []dispatch.Route{{Courier: "BUUTA1", ShiftID: shift.ID, Vehicle: dispatch.Motorbike, Depart: at(470), Return: at(900), Distance: 12000, Load: 1,
			Break: &dispatch.RouteBreak{After: 1, Start: at(700), End: at(745)},
			Stops: []dispatch.Stop{
				{Kind: dispatch.KindDelivery, Parcel: free, Seq: 1, Point: dispatch.Point{Lat: 21.6, Lng: 105.83}, Window: dispatch.Window{Start: at(450), End: at(1050)}, ETA: at(490), Departure: at(500), Load: 0, Documents: 1},
				{Kind: dispatch.KindPickup, Parcel: f.parcels[0], Seq: 2, Point: dispatch.Point{Lat: 21.59, Lng: 105.84}, Window: dispatch.Window{Start: at(480), End: at(800)}, ETA: at(760), Departure: at(770), Load: 1, Documents: 3},
			}}}}
	saved, err := f.db.SavePlan(ctx, plan)
	if err != nil {
		t.Fatal(err)
	}
	r := saved.Routes[0]
	if r.Break == nil || r.Break.After != 1 || !r.Break.Start.Equal(at(700)) || !r.Break.End.Equal(at(745)) {
		t.Fatalf("break round trip %+v", r.Break)
	}
	if r.Stops[0].Kind != dispatch.KindDelivery || r.Stops[0].Load != 0 || r.Stops[1].Kind != dispatch.KindPickup {
		t.Fatalf("stops round trip %+v", r.Stops)
	}
}
