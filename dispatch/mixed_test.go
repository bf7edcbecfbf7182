package dispatch_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"
	"time"

	"hoso/dispatch"
	"hoso/dispatch/vrptw"
	"hoso/internal/errs"
	"hoso/internal/testenv"
)

// mixedInput turns a random day into a whole courier's day: about half the
// visits are results to deliver, every shift has a lunch break, some a
// maximum duration or a list of communes.
func mixedInput(t testing.TB, rng *rand.Rand) dispatch.Input {
	in := randomInput(t, rng)
	communes := []string{"05443", "05446", "05449"}
	for i := range in.Requests {
		r := &in.Requests[i]
		r.Commune = communes[rng.IntN(len(communes))]
		if rng.IntN(2) == 0 {
			r.Kind = dispatch.KindDelivery
		}
	}
	for i := range in.Shifts {
		s := &in.Shifts[i]
		from := dispatch.Clock(11*60 + rng.IntN(60))
		if from < s.Start {
			from = s.Start
		}
		s.BreakFrom, s.BreakTo, s.BreakMinutes = from, from+dispatch.Clock(30+rng.IntN(60)), 30+rng.IntN(30)
		if int(s.BreakFrom)+s.BreakMinutes > int(s.End) || s.BreakMinutes > int(s.End-s.Start) {
			s.BreakMinutes = 0
		}
		if rng.IntN(3) == 0 {
			s.MaxMinutes = 300 + rng.IntN(300)
		}
		if rng.IntN(4) == 0 {
			s.Communes = communes[:1+rng.IntN(2)]
		}
		if err := s.Validate(in.Hours); err != nil {
			t.Fatalf("generated shift: %v", err)
		}
	}
	return in
}

// checkIndependently has the solver's plan checked by tools/vrpspdtw-check.
func checkIndependently(t testing.TB, p *vrptw.Problem, sol *vrptw.Solution) {
	t.Helper()
	js, err := vrptw.CheckerCase(p, sol)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("python3", "../tools/vrpspdtw-check", "-")
	cmd.Stdin = bytes.NewReader(js)
	out, err := cmd.Output()
	var v map[string]any
	if json.Unmarshal(out, &v) != nil || err != nil || v["feasible"] != true {
		t.Fatalf("the independent checker rejects the plan: %s (%v)", out, err)
	}
}

// TestMixedDaysKeepEveryRule: for random whole days, every plan keeps the
// loads of results and dossiers, the lunch breaks, communes, fees and
// maximum durations (dispatch.Verify and the independent checker).
func TestMixedDaysKeepEveryRule(t *testing.T) {
	testenv.Tool(t, "python3")
	n := 60
	if testing.Short() {
		n = 15
	}
	kinds := map[dispatch.StopKind]int{}
	breaks := 0
	for seed := uint64(1); seed <= uint64(n); seed++ {
		rng := rand.New(rand.NewPCG(seed, 19))
		in := mixedInput(t, rng)
		x, err := dispatch.Build(in)
		if err != nil {
			t.Fatal(err)
		}
		sol := &vrptw.Solution{}
		if x.Solvable() {
			sol, err = vrptw.Solve(context.Background(), x.Problem, vrptw.Options{MaxIterations: 200, Seed: seed})
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			checkIndependently(t, x.Problem, sol)
		}
		plan := x.Plan(sol)
		if err := dispatch.Verify(in, plan); err != nil {
			t.Fatalf("seed %d: Verify: %v", seed, err)
		}
		for _, r := range plan.Routes {
			if r.Break != nil {
				breaks++
			}
			for _, s := range r.Stops {
				kinds[s.Kind]++
			}
		}
	}
	if kinds[dispatch.KindDelivery] == 0 || kinds[dispatch.KindPickup] == 0 || breaks == 0 {
		t.Fatalf("stops by kind %v, %d breaks: the days do not mix", kinds, breaks)
	}
}

// TestWholeDayRoute: a courier leaving the office with two results and
// collecting two dossiers gets one ordered route with the break in its
// window, and the load at each stop is results still on board plus
// dossiers collected.
func TestWholeDayRoute(t *testing.T) {
	day := mustDay(t, "2026-11-24")
	o := offices["BC-05443"]
	in := dispatch.Input{Day: day, Hours: dispatch.DefaultHours, Offices: offices, Model: model(t),
		Shifts: []dispatch.Shift{{ID: 1, Courier: "BT1", Office: "BC-05443", Day: day, Start: 450, End: 1050, Capacity: 2,
			Vehicle: dispatch.Motorbike, BreakFrom: 11 * 60, BreakTo: 12 * 60, BreakMinutes: 45}}}
	for i, kind := range []dispatch.StopKind{dispatch.KindDelivery, dispatch.KindDelivery, dispatch.KindPickup, dispatch.KindPickup} {
		r := dispatch.Request{Kind: kind, Parcel: fmt.Sprintf("p%d", i), Number: fmt.Sprintf("E%d", i), Office: "BC-05443",
			Point: dispatch.Point{Lat: o.Lat + 0.01*float64(i+1), Lng: o.Lng}, Documents: 1}
		if i == 3 {
			r.Windows = []dispatch.Window{{Start: day.At(13 * 60), End: day.At(15 * 60)}}
		}
		in.Requests = append(in.Requests, r)
	}
	plan := solve(t, in, 500, 1)
	if len(plan.Unplaced) != 0 || len(plan.Routes) != 1 {
		t.Fatalf("plan %+v", plan)
	}
	r := plan.Routes[0]
	var loads []int
	for _, s := range r.Stops {
		loads = append(loads, s.Load)
	}
	// Two results out: the pickups can only come after both are dropped.
	if fmt.Sprint(loads) != "[1 0 1 2]" || r.Stops[0].Kind != dispatch.KindDelivery || r.Stops[3].Kind != dispatch.KindPickup {
		t.Fatalf("loads %v kinds %v %v", loads, r.Stops[0].Kind, r.Stops[3].Kind)
	}
	b := r.Break
	if b == nil || b.Start.Before(day.At(11*60)) || b.Start.After(day.At(12*60)) || b.End.Sub(b.Start).Minutes() != 45 {
		t.Fatalf("break %+v", b)
	}
	if r.Load != 2 {
		t.Fatalf("route ends with %d parcels, want the two dossiers", r.Load)
	}
}

// TestWholeDayReasons: bad input gets a typed reason or a clear error.
func TestWholeDayReasons(t *testing.T) {
	day := mustDay(t, "2026-11-24")
	o := offices["BC-05443"]
	shift := dispatch.Shift{ID: 1, Courier: "BT1", Office: "BC-05443", Day: day, Start: 450, End: 1050, Capacity: 5,
		Vehicle: dispatch.Motorbike, Communes: []string{"05443"}, BreakFrom: 690, BreakTo: 750, BreakMinutes: 45}
	req := func(mod func(*dispatch.Request)) dispatch.Request {
		r := dispatch.Request{Kind: dispatch.KindDelivery, Parcel: "p1", Number: "EB1", Office: "BC-05443", Commune: "05443",
			Point: dispatch.Point{Lat: o.Lat + 0.01, Lng: o.Lng}, Documents: 1}
		mod(&r)
		return r
	}
	for _, tc := range []struct {
		name string
		r    dispatch.Request
		want dispatch.Reason
	}{
		{"a fee and no courier who may collect it", req(func(r *dispatch.Request) { r.COD = true }), dispatch.ReasonCOD},
		{"a commune the courier may not enter", req(func(r *dispatch.Request) { r.Commune = "05446" }), dispatch.ReasonCommune},
		{"a delivery window outside service hours", req(func(r *dispatch.Request) {
			r.Windows = []dispatch.Window{{Start: day.At(18 * 60), End: day.At(19 * 60)}}
		}), dispatch.ReasonOutsideHours},
		{"a car-only delivery", req(func(r *dispatch.Request) { r.Vehicles = []dispatch.VehicleKind{dispatch.Car} }), dispatch.ReasonVehicleKind},
		{"a window the lunch break covers", req(func(r *dispatch.Request) {
			r.Windows = []dispatch.Window{{Start: day.At(12*60 + 30), End: day.At(12*60 + 31)}}
		}), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := dispatch.Input{Day: day, Hours: dispatch.DefaultHours, Offices: offices, Model: model(t),
				Shifts: []dispatch.Shift{shift}, Requests: []dispatch.Request{tc.r}}
			plan := solve(t, in, 100, 1)
			got := dispatch.Reason("")
			if len(plan.Unplaced) == 1 {
				got = plan.Unplaced[0].Reason
			}
			if got != tc.want {
				t.Fatalf("reason %q, want %q", got, tc.want)
			}
			if got != "" && strings.Contains(got.Label(), "_") {
				t.Fatalf("label %q", got.Label())
			}
		})
	}
	// Shifts with a bad break are refused with the field and a sentence.
	for _, tc := range []struct {
		name  string
		mod   func(*dispatch.Shift)
		field string
		says  string
	}{
		{"break longer than the shift", func(s *dispatch.Shift) { s.Start, s.End, s.BreakFrom, s.BreakMinutes = 600, 660, 600, 90 }, "break_minutes", "dài hơn cả ca"},
		{"break window after the shift", func(s *dispatch.Shift) { s.BreakFrom, s.BreakTo = 1040, 1100 }, "break_from", "nằm ngoài ca"},
		{"break window reversed", func(s *dispatch.Shift) { s.BreakFrom, s.BreakTo = 750, 690 }, "break_from", "không hợp lệ"},
		{"negative break", func(s *dispatch.Shift) { s.BreakMinutes = -5 }, "break_minutes", "không thể âm"},
		{"route shorter than the break", func(s *dispatch.Shift) { s.MaxMinutes = 30 }, "max_minutes", "không ngắn hơn giờ nghỉ"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := shift
			tc.mod(&s)
			err := s.Validate(dispatch.DefaultHours)
			f := errs.FieldsOf(err)
			if err == nil || !strings.Contains(f[tc.field], tc.says) {
				t.Fatalf("error %v fields %v, want %s saying %q", err, f, tc.field, tc.says)
			}
		})
	}
}

// TestWholeDayReplan: a day of results and pickups is re-planned after the
// couriers delivered and collected their first two stops and a new pickup
// arrived: visited stops stay at the head, the bag's load counts only what
// is still on board, the break stays in its window, few stops move.
func TestWholeDayReplan(t *testing.T) {
	in := fixedDay(t)
	for i := range in.Requests {
		if i%2 == 0 {
			in.Requests[i].Kind = dispatch.KindDelivery
			in.Requests[i].Windows = nil // service hours
		}
	}
	for i := range in.Shifts {
		in.Shifts[i].BreakFrom, in.Shifts[i].BreakTo, in.Shifts[i].BreakMinutes = 11*60, 12*60+30, 45
	}
	first := solve(t, in, 2000, 1)
	if len(first.Routes) == 0 {
		t.Fatal("no route")
	}
	in.Visited = map[string]bool{}
	var now time.Time
	for _, r := range first.Routes {
		if r.Break == nil {
			t.Fatalf("route of %s without its break", r.Courier)
		}
		for _, s := range r.Stops[:min(2, len(r.Stops))] {
			in.Visited[s.Parcel] = true
			if s.ETA.After(now) {
				now = s.ETA
			}
		}
	}
	in.Now = now.Add(10 * time.Minute)
	day := in.Day
	in.Requests = append(in.Requests, dispatch.Request{Parcel: "new", Number: "EA999999999VN", Office: "BC-05443",
		Point: dispatch.Point{Lat: 21.6, Lng: 105.84}, Documents: 2, Windows: []dispatch.Window{{Start: day.At(810), End: day.At(930)}}})
	in.Previous = &first
	second := solve(t, in, 300, 2) // solve runs Verify
	before, after := courierOf(first), courierOf(second)
	if _, ok := after["new"]; !ok {
		t.Fatalf("new request not placed: %v", second.Unplaced)
	}
	// Stops whose window has passed by now may drop out (with their
	// reason); of the others few change courier.
	moved := 0
	for p, c := range before {
		if a, ok := after[p]; ok && a != c {
			moved++
		}
	}
	if moved > len(before)/10 {
		t.Errorf("re-plan moved %d of %d stops", moved, len(before))
	}
	for _, u := range second.Unplaced {
		if u.Reason != dispatch.ReasonWindow && u.Reason != dispatch.ReasonNoRoom {
			t.Errorf("%s unplaced as %s", u.Number, u.Reason)
		}
	}
	for _, r := range second.Routes {
		for i, s := range r.Stops {
			if in.Visited[s.Parcel] != (i < 2 && in.Visited[s.Parcel]) {
				t.Errorf("%s: visited stop %s at position %d", r.Courier, s.Number, i+1)
			}
		}
	}
}
