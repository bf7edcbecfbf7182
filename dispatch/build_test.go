package dispatch_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"hoso/dispatch"
	"hoso/dispatch/travel"
	"hoso/dispatch/vrptw"
)

var offices = map[string]dispatch.Point{
	"BC-05443": {Lat: 21.5887, Lng: 105.8338},
	"BC-05488": {Lat: 21.5765, Lng: 105.7095},
	"BC-NONE":  {Lat: 21.6500, Lng: 105.9000}, // an office with no shift
}

func model(t testing.TB) travel.Model {
	m, err := travel.New(travel.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var slots = [][2]dispatch.Clock{{450, 570}, {570, 690}, {810, 930}, {930, 1050}}

// randomInput makes a day with random shifts, requests, pins, absences and
// awkward cases (windows on another day or before opening, fees, offices
// without shifts).
func randomInput(t testing.TB, rng *rand.Rand) dispatch.Input {
	day := mustDay(t, "2026-11-24")
	in := dispatch.Input{Day: day, Hours: dispatch.DefaultHours, Offices: offices, Model: model(t)}
	codes := []string{"BC-05443", "BC-05488"}
	var couriers = map[string][]string{}
	for i := 0; i < 1+rng.IntN(6); i++ {
		office := codes[rng.IntN(2)]
		start := dispatch.Clock(450 + rng.IntN(90))
		end := start + dispatch.Clock(240+rng.IntN(int(1050-start-240)+1))
		s := dispatch.Shift{ID: int64(i + 1), Courier: fmt.Sprintf("BT%d", i), Office: office, Day: day, Start: start, End: end,
			Capacity: 1 + rng.IntN(15), MaxStops: rng.IntN(12), Vehicle: dispatch.VehicleKinds[rng.IntN(4)], COD: rng.IntN(2) == 0}
		if rng.IntN(4) == 0 {
			s.StartPlace = dispatch.Point{Lat: offices[office].Lat + 0.01, Lng: offices[office].Lng - 0.01}
		}
		in.Shifts = append(in.Shifts, s)
		couriers[office] = append(couriers[office], s.Courier)
		switch rng.IntN(6) {
		case 0:
			in.Absences = append(in.Absences, dispatch.Absence{Courier: s.Courier, Day: day, From: 0, To: 1440})
		case 1:
			in.Absences = append(in.Absences, dispatch.Absence{Courier: s.Courier, Day: day, From: start, To: start + 60})
		}
	}
	all := append(codes, "BC-NONE")
	for i := 0; i < 5+rng.IntN(50); i++ {
		office := all[rng.IntN(3)]
		if rng.IntN(6) > 0 {
			office = codes[rng.IntN(2)]
		}
		o := offices[office]
		r := dispatch.Request{Parcel: fmt.Sprintf("p%03d", i), Number: fmt.Sprintf("EA%09dVN", i), Office: office,
			Point:     dispatch.Point{Lat: o.Lat + (rng.Float64()-0.5)*0.08, Lng: o.Lng + (rng.Float64()-0.5)*0.08},
			Documents: 1 + rng.IntN(6), COD: rng.IntN(5) == 0}
		for w := 0; w < 1+rng.IntN(2); w++ {
			sl := slots[rng.IntN(len(slots))]
			d := day
			switch rng.IntN(12) {
			case 0:
				d = day.AddDays(1)
			case 1:
				sl = [2]dispatch.Clock{360, 440} // before opening
			}
			r.Windows = append(r.Windows, dispatch.Window{Start: d.At(sl[0]), End: d.At(sl[1])})
		}
		if rng.IntN(10) == 0 {
			r.Windows = nil // any time
		}
		in.Requests = append(in.Requests, r)
		if cs := couriers[office]; len(cs) > 0 && rng.IntN(10) == 0 {
			in.Pins = append(in.Pins, dispatch.Pin{Parcel: r.Parcel, Number: r.Number, Day: day, Courier: cs[rng.IntN(len(cs))], Office: office})
		}
	}
	if rng.IntN(3) == 0 {
		in.Now = day.At(dispatch.Clock(480 + rng.IntN(240)))
	}
	return in
}

// solve builds and solves, checking the solver's answer with vrptw.Check and
// the plan with dispatch.Verify.
func solve(t testing.TB, in dispatch.Input, iters int, seed uint64) dispatch.Plan {
	t.Helper()
	x, err := dispatch.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	sol := &vrptw.Solution{}
	if x.Solvable() {
		opt := vrptw.Options{MaxIterations: iters, Seed: seed}
		if in.Previous != nil {
			sol, err = vrptw.Replan(context.Background(), x.Problem, x.Initial, opt)
		} else {
			sol, err = vrptw.Solve(context.Background(), x.Problem, opt)
		}
		if err != nil {
			t.Fatal(err)
		}
		if err := vrptw.Check(x.Problem, sol); err != nil {
			t.Fatalf("vrptw.Check: %v", err)
		}
	}
	plan := x.Plan(sol)
	if err := dispatch.Verify(in, plan); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	return plan
}

// TestPlansKeepEveryRule is the property: for random days, no plan breaks a
// window, service hours, a shift, capacity, stop limits, fee rules, pins or
// absences, and every request is planned or listed with a reason.
func TestPlansKeepEveryRule(t *testing.T) {
	n := 200
	if testing.Short() {
		n = 40
	}
	reasons := map[dispatch.Reason]int{}
	planned := 0
	for seed := uint64(1); seed <= uint64(n); seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		in := randomInput(t, rng)
		plan := solve(t, in, 150, seed)
		planned += plan.Stops()
		for _, u := range plan.Unplaced {
			if u.Reason.Label() == string(u.Reason) {
				t.Errorf("reason %q has no label", u.Reason)
			}
			reasons[u.Reason]++
		}
	}
	t.Logf("planned %d stops; unplaced by reason %v", planned, reasons)
	if planned == 0 {
		t.Error("nothing was ever planned")
	}
	for _, r := range []dispatch.Reason{dispatch.ReasonNoShift, dispatch.ReasonNoWindowToday, dispatch.ReasonOutsideHours} {
		if reasons[r] == 0 {
			t.Errorf("no case of %s in %d random days", r, n)
		}
	}
}

// fixedDay is three couriers of one office with forty requests.
func fixedDay(t testing.TB) dispatch.Input {
	rng := rand.New(rand.NewPCG(42, 42))
	day := mustDay(t, "2026-11-24")
	in := dispatch.Input{Day: day, Hours: dispatch.DefaultHours, Offices: offices, Model: model(t)}
	for i := 0; i < 3; i++ {
		in.Shifts = append(in.Shifts, dispatch.Shift{ID: int64(i + 1), Courier: fmt.Sprintf("BT%d", i), Office: "BC-05443", Day: day,
			Start: 450, End: 1050, Capacity: 25, Vehicle: dispatch.Motorbike, COD: i == 0})
	}
	o := offices["BC-05443"]
	for i := 0; i < 40; i++ {
		sl := slots[rng.IntN(len(slots))]
		in.Requests = append(in.Requests, dispatch.Request{Parcel: fmt.Sprintf("p%03d", i), Number: fmt.Sprintf("EA%09dVN", i),
			Office: "BC-05443", Point: dispatch.Point{Lat: o.Lat + (rng.Float64()-0.5)*0.1, Lng: o.Lng + (rng.Float64()-0.5)*0.1},
			Documents: 1 + rng.IntN(4), COD: i%9 == 0, Windows: []dispatch.Window{{Start: day.At(sl[0]), End: day.At(sl[1])}}})
	}
	return in
}

func courierOf(p dispatch.Plan) map[string]string {
	m := map[string]string{}
	for _, r := range p.Routes {
		for _, s := range r.Stops {
			m[s.Parcel] = r.Courier
		}
	}
	return m
}

func TestReplanAfterNewRequestKeepsCouriers(t *testing.T) {
	in := fixedDay(t)
	first := solve(t, in, 2000, 1)
	if len(first.Unplaced) > 0 || len(first.Routes) < 2 {
		t.Fatalf("first plan: %d routes, unplaced %v", len(first.Routes), first.Unplaced)
	}
	before := courierOf(first)
	// A new request arrives mid-morning; nobody has moved yet.
	day := in.Day
	in.Requests = append(in.Requests, dispatch.Request{Parcel: "new", Number: "EA999999999VN", Office: "BC-05443",
		Point: dispatch.Point{Lat: 21.6, Lng: 105.84}, Documents: 2, Windows: []dispatch.Window{{Start: day.At(810), End: day.At(930)}}})
	in.Previous = &first
	second := solve(t, in, 300, 2)
	after := courierOf(second)
	if _, ok := after["new"]; !ok {
		t.Fatalf("new request not placed: %v", second.Unplaced)
	}
	moved := 0
	for p, c := range before {
		if after[p] != c {
			moved++
		}
	}
	t.Logf("re-plan moved %d of %d stops to another courier", moved, len(before))
	if moved > len(before)/10 {
		t.Errorf("re-plan moved %d of %d stops", moved, len(before))
	}
}

func TestReplanKeepsVisitedStopsAndPositions(t *testing.T) {
	in := fixedDay(t)
	first := solve(t, in, 1000, 3)
	// Each courier has done the first two stops; it is now the second's ETA
	// plus ten minutes.
	in.Visited = map[string]bool{}
	var now time.Time
	heads := map[string][]string{}
	for _, r := range first.Routes {
		for _, s := range r.Stops[:min(2, len(r.Stops))] {
			in.Visited[s.Parcel] = true
			heads[r.Courier] = append(heads[r.Courier], s.Parcel)
			if s.ETA.After(now) {
				now = s.ETA
			}
		}
	}
	in.Now = now.Add(10 * time.Minute)
	// Visited parcels are no longer live requests.
	var live []dispatch.Request
	for _, r := range in.Requests {
		if !in.Visited[r.Parcel] {
			live = append(live, r)
		}
	}
	in.Requests = live
	// The second courier is absent from now on.
	absent := first.Routes[1].Courier
	in.Absences = []dispatch.Absence{{Courier: absent, Day: in.Day, From: dispatch.ClockOf(in.Now), To: 1440}}
	in.Previous = &first
	second := solve(t, in, 400, 4)
	for c, parcels := range heads {
		r, ok := second.Route(c)
		if !ok {
			t.Fatalf("route of %s with visited stops dropped", c)
		}
		for i, p := range parcels {
			if r.Stops[i].Parcel != p || !r.Stops[i].Visited {
				t.Errorf("%s: stop %d is %s (visited %v), want visited %s", c, i+1, r.Stops[i].Parcel, r.Stops[i].Visited, p)
			}
		}
		for _, s := range r.Stops[len(parcels):] {
			if s.Visited {
				t.Errorf("%s: %s marked visited", c, s.Parcel)
			}
			if s.ETA.Before(in.Now) {
				t.Errorf("%s: %s planned at %s, before now %s", c, s.Parcel, s.ETA, in.Now)
			}
			if c == absent {
				t.Errorf("absent %s still has %s", c, s.Parcel)
			}
		}
	}
}

func TestPinsAndRestrict(t *testing.T) {
	in := fixedDay(t)
	in.Pins = []dispatch.Pin{{Parcel: "p001", Day: in.Day, Courier: "BT2"}, {Parcel: "p002", Day: in.Day, Courier: "BT1"}}
	in.Restrict = map[string]string{"p003": "BT0"}
	plan := solve(t, in, 500, 5)
	got := courierOf(plan)
	for p, c := range map[string]string{"p001": "BT2", "p002": "BT1", "p003": "BT0"} {
		if got[p] != c {
			t.Errorf("%s on %q, want %s (unplaced %v)", p, got[p], c, plan.Unplaced)
		}
	}
	for _, r := range plan.Routes {
		for _, s := range r.Stops {
			if s.Pinned != (s.Parcel == "p001" || s.Parcel == "p002") {
				t.Errorf("%s pinned = %v", s.Parcel, s.Pinned)
			}
		}
	}
	// Pinned to an absent courier: left out with the reason, not moved.
	in.Absences = []dispatch.Absence{{Courier: "BT2", Day: in.Day, From: 0, To: 1440}}
	plan = solve(t, in, 300, 6)
	found := false
	for _, u := range plan.Unplaced {
		if u.Parcel == "p001" {
			found = u.Reason == dispatch.ReasonPinnedAbsent
		}
	}
	if !found {
		t.Errorf("p001 pinned to absent BT2: unplaced %v", plan.Unplaced)
	}
}

func TestBuildEdgeCases(t *testing.T) {
	day := mustDay(t, "2026-11-24")
	if _, err := dispatch.Build(dispatch.Input{Day: day, Hours: dispatch.DefaultHours}); err == nil {
		t.Error("no model accepted")
	}
	in := dispatch.Input{Day: day, Hours: dispatch.DefaultHours, Offices: offices, Model: model(t),
		Shifts: []dispatch.Shift{{Courier: "X", Office: "BC-UNKNOWN", Day: day, Start: 480, End: 600, Capacity: 1, Vehicle: dispatch.Motorbike}}}
	if _, err := dispatch.Build(in); err == nil {
		t.Error("office without location accepted")
	}
	// No shift at all: every request is unplaced with no_shift, nothing to solve.
	in.Shifts = nil
	in.Requests = []dispatch.Request{{Parcel: "a", Number: "A", Office: "BC-05443", Point: offices["BC-05443"]}}
	x, err := dispatch.Build(in)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := x.Solve(context.Background(), vrptw.Options{MaxIterations: 10})
	if err != nil || x.Solvable() || len(plan.Unplaced) != 1 || plan.Unplaced[0].Reason != dispatch.ReasonNoShift {
		t.Errorf("no shift: %v %+v", err, plan)
	}
	// A shift that ended before now takes nothing.
	in.Shifts = []dispatch.Shift{{Courier: "X", Office: "BC-05443", Day: day, Start: 480, End: 600, Capacity: 5, Vehicle: dispatch.Motorbike}}
	in.Now = day.At(11 * 60)
	x, _ = dispatch.Build(in)
	plan, _ = x.Solve(context.Background(), vrptw.Options{MaxIterations: 10})
	if len(plan.Routes) != 0 || len(plan.Unplaced) != 1 || plan.Unplaced[0].Reason != dispatch.ReasonNoCourier {
		t.Errorf("ended shift: %+v", plan)
	}
	// Two shifts of one courier on a day.
	in.Shifts = append(in.Shifts, in.Shifts[0])
	if _, err := dispatch.Build(in); err == nil {
		t.Error("duplicate shift accepted")
	}
}

// TestVerifyCatchesBrokenPlans: the checker is not a rubber stamp.
func TestVerifyCatchesBrokenPlans(t *testing.T) {
	in := fixedDay(t)
	good := solve(t, in, 500, 7)
	for name, breakIt := range map[string]func(p *dispatch.Plan){
		"late ETA": func(p *dispatch.Plan) { p.Routes[0].Stops[0].ETA = p.Routes[0].Stops[0].Window.End.Add(time.Hour) },
		"stop twice": func(p *dispatch.Plan) {
			p.Routes[1].Stops = append(p.Routes[1].Stops, p.Routes[0].Stops[0])
		},
		"dropped request": func(p *dispatch.Plan) { p.Routes[0].Stops = p.Routes[0].Stops[:len(p.Routes[0].Stops)-1] },
		"unknown courier": func(p *dispatch.Plan) { p.Routes[0].Courier = "NOBODY" },
		"too fast": func(p *dispatch.Plan) {
			s := &p.Routes[0].Stops
			if len(*s) > 1 {
				(*s)[1].ETA = (*s)[0].ETA
			}
		},
		"wrong load": func(p *dispatch.Plan) { p.Routes[0].Stops[0].Load = 7 },
	} {
		p := good
		p.Routes = append([]dispatch.Route(nil), good.Routes...)
		for i := range p.Routes {
			p.Routes[i].Stops = append([]dispatch.Stop(nil), good.Routes[i].Stops...)
		}
		breakIt(&p)
		if err := dispatch.Verify(in, p); err == nil {
			t.Errorf("%s: Verify accepted the plan", name)
		}
	}
	// Capacity: shrink a shift under its route's load.
	small := in
	small.Shifts = append([]dispatch.Shift(nil), in.Shifts...)
	for i := range small.Shifts {
		if small.Shifts[i].Courier == good.Routes[0].Courier {
			small.Shifts[i].Capacity = 1
		}
	}
	if len(good.Routes[0].Stops) > 1 {
		if err := dispatch.Verify(small, good); err == nil {
			t.Error("over capacity accepted")
		}
	}
}
