package vrptw_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"os/exec"
	"strings"
	"testing"

	"hoso/dispatch/vrptw"
	"hoso/internal/testenv"
)

const mixedChecker = "../../tools/vrpspdtw-check"

// checkMixed has the plan checked by tools/vrpspdtw-check, written apart
// from vrptw.Check, and fails the test on any objection.
func checkMixed(t testing.TB, p *vrptw.Problem, sol *vrptw.Solution) map[string]any {
	t.Helper()
	if err := vrptw.Check(p, sol); err != nil {
		t.Fatalf("vrptw.Check: %v", err)
	}
	js, err := vrptw.CheckerCase(p, sol)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("python3", mixedChecker, "-")
	cmd.Stdin = bytes.NewReader(js)
	out, err := cmd.Output()
	var v map[string]any
	if jerr := json.Unmarshal(out, &v); jerr != nil {
		t.Fatalf("checker output %q (%v)", out, err)
	}
	if err != nil || v["feasible"] != true {
		t.Fatalf("the independent checker rejects the plan: %s", out)
	}
	return v
}

// TestIndependentChecker runs the checker's own hand-made cases.
func TestIndependentChecker(t *testing.T) {
	testenv.Tool(t, "python3")
	out, err := exec.Command("python3", "../../tools/vrpspdtw_check_test.py").CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
}

const skillCOD = 1

// mixedProblem is a random day on a plane: deliveries and pickups, some
// with a fee (COD), breaks, maximum durations, couriers with and without
// the right to take cash.
func mixedProblem(r *rand.Rand, nJobs, nVeh int) *vrptw.Problem {
	L := nJobs + 1
	xs, ys := make([]float64, L), make([]float64, L)
	for i := range xs {
		xs[i], ys[i] = r.Float64()*100, r.Float64()*100
	}
	d := make([]float64, L*L)
	for a := range L {
		for b := range L {
			d[a*L+b] = math.Round(math.Hypot(xs[a]-xs[b], ys[a]-ys[b])*10) / 10
		}
	}
	p := &vrptw.Problem{NumLocations: L, Profiles: []vrptw.Profile{{Distance: d, Time: d}}}
	for range nVeh {
		v := vrptw.Vehicle{Start: nJobs, End: nJobs, ShiftStart: 0, ShiftEnd: 600, Capacity: 3 + r.IntN(8),
			CostPerDistance: 1, CostPerTime: 0.05 * float64(r.IntN(2))}
		if r.IntN(4) > 0 {
			s := 200 + float64(r.IntN(100))
			v.Break = &vrptw.Break{Window: vrptw.TimeWindow{Start: s, End: s + float64(r.IntN(80))}, Duration: 30 + float64(r.IntN(40))}
		}
		if r.IntN(3) == 0 {
			v.MaxDuration = 300 + float64(r.IntN(300))
		}
		if r.IntN(2) == 0 {
			v.Skills = skillCOD
		}
		p.Vehicles = append(p.Vehicles, v)
	}
	for i := range nJobs {
		j := vrptw.Job{Location: i, Demand: 1 + r.IntN(3), Service: float64(5 + r.IntN(10)), PrevVehicle: -1}
		if r.IntN(2) == 0 {
			j.Kind = vrptw.Delivery
			if r.IntN(3) == 0 {
				j.Skills = skillCOD
			}
		}
		if r.IntN(3) == 0 {
			s := float64(r.IntN(500))
			j.Windows = []vrptw.TimeWindow{{Start: s, End: s + 30 + float64(r.IntN(120))}}
		}
		p.Jobs = append(p.Jobs, j)
	}
	return p
}

// TestMixedRandomDays solves random mixed days and has every plan checked
// by both evaluators; runs are reproducible for a seed and a budget.
func TestMixedRandomDays(t *testing.T) {
	testenv.Tool(t, "python3")
	for seed := uint64(1); seed <= 30; seed++ {
		r := rand.New(rand.NewPCG(seed, 7))
		p := mixedProblem(r, 8+r.IntN(40), 1+r.IntN(4))
		opt := vrptw.Options{MaxIterations: 400, Seed: seed, MinimiseVehicles: seed%3 == 0}
		sol, err := vrptw.Solve(context.Background(), p, opt)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		checkMixed(t, p, sol)
		for _, rt := range sol.Routes {
			if (rt.Break != nil) != (p.Vehicles[rt.Vehicle].Break != nil) {
				t.Fatalf("seed %d: route of vehicle %d break %v", seed, rt.Vehicle, rt.Break)
			}
		}
		for _, u := range sol.Unassigned {
			if u.Reason == vrptw.ReasonSkill && p.Jobs[u.Job].Skills == 0 {
				t.Fatalf("seed %d: job %d needs no skill but is unplaced as skill", seed, u.Job)
			}
		}
		again, err := vrptw.Solve(context.Background(), p, opt)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := vrptw.CheckerCase(p, sol)
		b, _ := vrptw.CheckerCase(p, again)
		if !bytes.Equal(a, b) {
			t.Fatalf("seed %d: two runs with the same seed and budget differ", seed)
		}
	}
}

// TestMixedTinyAgainstBruteForce: on one vehicle and up to six jobs, the
// planner places as many jobs as the best of every order and break position,
// and its distance is no worse when it places them all.
func TestMixedTinyAgainstBruteForce(t *testing.T) {
	for seed := uint64(1); seed <= 60; seed++ {
		r := rand.New(rand.NewPCG(seed, 3))
		p := mixedProblem(r, 3+r.IntN(4), 1)
		p.Vehicles[0].MaxDuration = 0
		p.Vehicles[0].CostPerTime = 0
		bestN, bestD := bruteMixed(p)
		sol, err := vrptw.Solve(context.Background(), p, vrptw.Options{MaxIterations: 3000, Seed: seed})
		if err != nil {
			t.Fatal(err)
		}
		if err := vrptw.Check(p, sol); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		n := len(p.Jobs) - len(sol.Unassigned)
		if n < bestN {
			js, _ := vrptw.CheckerCase(p, sol)
			t.Logf("%s", js)
			t.Fatalf("seed %d: planner places %d jobs, brute force %d", seed, n, bestN)
		}
		if n == len(p.Jobs) && sol.Distance > bestD+1e-6 {
			t.Fatalf("seed %d: planner distance %g, brute force %g", seed, sol.Distance, bestD)
		}
	}
}

// bruteMixed tries every subset order and break position of vehicle 0 with
// vrptw.Check deciding feasibility (the checker itself is tested apart); it
// returns the most jobs placed and the shortest distance placing all.
func bruteMixed(p *vrptw.Problem) (int, float64) {
	n := len(p.Jobs)
	v := &p.Vehicles[0]
	bestN, bestD := 0, math.Inf(1)
	L := p.NumLocations
	d := p.Profiles[0].Distance
	var rec func(route []int, used []bool)
	try := func(route []int) bool {
		for after := 0; after <= len(route); after++ {
			sol := &vrptw.Solution{}
			rt := vrptw.Route{Vehicle: 0, Departure: v.ShiftStart}
			for _, j := range route {
				rt.Stops = append(rt.Stops, vrptw.Stop{Job: j})
			}
			if v.Break != nil {
				rt.Break = &vrptw.RouteBreak{After: after}
			}
			sol.Routes = []vrptw.Route{rt}
			in := map[int]bool{}
			for _, j := range route {
				in[j] = true
			}
			for j := range n {
				if !in[j] {
					sol.Unassigned = append(sol.Unassigned, vrptw.Unassigned{Job: j})
				}
			}
			if vrptw.Check(p, sol) == nil {
				return true
			}
			if v.Break == nil {
				break
			}
		}
		return false
	}
	rec = func(route []int, used []bool) {
		if len(route) > 0 && !try(route) {
			return
		}
		if len(route) > bestN {
			bestN = len(route)
		}
		if len(route) == n {
			dist, loc := 0.0, v.Start
			for _, j := range route {
				dist += d[loc*L+p.Jobs[j].Location]
				loc = p.Jobs[j].Location
			}
			dist += d[loc*L+v.End]
			bestD = math.Min(bestD, dist)
		}
		for j := range n {
			if !used[j] {
				used[j] = true
				rec(append(route, j), used)
				used[j] = false
			}
		}
	}
	rec(nil, make([]bool, n))
	return bestN, bestD
}

// TestDeliveriesBeforePickups: a courier carrying two results with room for
// two can collect two dossiers only after dropping the results.
func TestDeliveriesBeforePickups(t *testing.T) {
	testenv.Tool(t, "python3")
	// Office 0; citizens on a line at 1..4.
	pos := []float64{0, 10, 20, 30, 40}
	L := len(pos)
	d := make([]float64, L*L)
	for a := range L {
		for b := range L {
			d[a*L+b] = math.Abs(pos[a] - pos[b])
		}
	}
	p := &vrptw.Problem{NumLocations: L, Profiles: []vrptw.Profile{{Distance: d, Time: d}},
		Vehicles: []vrptw.Vehicle{{Start: 0, End: 0, ShiftEnd: 1000, Capacity: 2}},
		Jobs: []vrptw.Job{
			{Location: 1, Demand: 1, Kind: vrptw.Pickup, PrevVehicle: -1},
			{Location: 2, Demand: 1, Kind: vrptw.Pickup, PrevVehicle: -1},
			{Location: 3, Demand: 1, Kind: vrptw.Delivery, PrevVehicle: -1},
			{Location: 4, Demand: 1, Kind: vrptw.Delivery, PrevVehicle: -1},
		}}
	sol, err := vrptw.Solve(context.Background(), p, vrptw.Options{MaxIterations: 500, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkMixed(t, p, sol)
	if len(sol.Unassigned) != 0 || len(sol.Routes) != 1 {
		t.Fatalf("plan %+v", sol)
	}
	var order []int
	for _, s := range sol.Routes[0].Stops {
		order = append(order, s.Job)
	}
	// Out to 40 dropping the results, back collecting the dossiers.
	if len(order) != 4 || p.Jobs[order[0]].Kind != vrptw.Delivery || p.Jobs[order[1]].Kind != vrptw.Delivery ||
		sol.Distance != 80 || sol.Routes[0].Load != 2 {
		t.Fatalf("order %v distance %g load %d, want both results first, 80, 2", order, sol.Distance, sol.Routes[0].Load)
	}
	// With capacity 1 nothing fits beside one result: a pickup would add to
	// the result on board, so only one job per kind and order works.
	p.Vehicles[0].Capacity = 1
	sol, err = vrptw.Solve(context.Background(), p, vrptw.Options{MaxIterations: 500, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkMixed(t, p, sol)
	if got := len(p.Jobs) - len(sol.Unassigned); got != 2 {
		t.Fatalf("capacity 1 places %d jobs, want 2 (a result dropped, then a dossier)", got)
	}
}

// TestLunchBreakInItsWindow: a courier whose day runs through lunch takes
// the break in its window, where a stop was, and the stops after it move.
func TestLunchBreakInItsWindow(t *testing.T) {
	testenv.Tool(t, "python3")
	d := []float64{0, 10, 10, 0}
	p := &vrptw.Problem{NumLocations: 2, Profiles: []vrptw.Profile{{Distance: d, Time: d}},
		Vehicles: []vrptw.Vehicle{{Start: 0, End: 0, ShiftStart: 0, ShiftEnd: 500, Capacity: 5,
			Break: &vrptw.Break{Window: vrptw.TimeWindow{Start: 100, End: 120}, Duration: 60}}},
		Jobs: []vrptw.Job{
			{Location: 1, Demand: 1, Service: 10, Windows: []vrptw.TimeWindow{{Start: 90, End: 100}}, PrevVehicle: -1},
			{Location: 1, Demand: 1, Kind: vrptw.Delivery, Service: 10, Windows: []vrptw.TimeWindow{{Start: 150, End: 200}}, PrevVehicle: -1},
		}}
	sol, err := vrptw.Solve(context.Background(), p, vrptw.Options{MaxIterations: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkMixed(t, p, sol)
	if len(sol.Unassigned) != 0 {
		t.Fatalf("unassigned %v", sol.Unassigned)
	}
	rt := sol.Routes[0]
	b := rt.Break
	if b == nil || b.Start < 100 || b.Start > 120 || b.End-b.Start != 60 || b.After != 1 {
		t.Fatalf("break %+v, want after the first stop within 100–120 for 60", b)
	}
	if rt.Stops[1].Start < b.End {
		t.Fatalf("second stop at %g during the break ending %g", rt.Stops[1].Start, b.End)
	}
	// A window the break pushes out: the delivery must start by 155, but
	// the break taken at the first stop ends at 160 and one taken after the
	// delivery would start after its window. Served alone without a break it
	// would fit, so there is no room for it in this plan.
	p.Jobs[1].Windows = []vrptw.TimeWindow{{Start: 150, End: 155}}
	sol, err = vrptw.Solve(context.Background(), p, vrptw.Options{MaxIterations: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkMixed(t, p, sol)
	if len(sol.Unassigned) != 1 || sol.Unassigned[0].Job != 1 || sol.Unassigned[0].Reason != vrptw.ReasonNoRoom {
		t.Fatalf("unassigned %v, want the delivery without room", sol.Unassigned)
	}
}

// TestMaxDurationAndSkills: a COD delivery with no courier allowed to take
// cash is unplaced as skill; a route never lasts longer than allowed.
func TestMaxDurationAndSkills(t *testing.T) {
	testenv.Tool(t, "python3")
	d := []float64{0, 50, 50, 0}
	p := &vrptw.Problem{NumLocations: 2, Profiles: []vrptw.Profile{{Distance: d, Time: d}},
		Vehicles: []vrptw.Vehicle{{Start: 0, End: 0, ShiftEnd: 500, Capacity: 5, MaxDuration: 99}},
		Jobs: []vrptw.Job{
			{Location: 1, Demand: 1, Kind: vrptw.Delivery, Skills: skillCOD, PrevVehicle: -1},
			{Location: 1, Demand: 1, PrevVehicle: -1},
		}}
	sol, err := vrptw.Solve(context.Background(), p, vrptw.Options{MaxIterations: 100, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkMixed(t, p, sol)
	reasons := map[int]vrptw.Reason{}
	for _, u := range sol.Unassigned {
		reasons[u.Job] = u.Reason
	}
	if reasons[0] != vrptw.ReasonSkill || reasons[1] != vrptw.ReasonWindowImpossible {
		t.Fatalf("reasons %v: want the COD job skill, the 100-long trip window_impossible", reasons)
	}
	p.Vehicles[0].MaxDuration = 100
	p.Vehicles[0].Skills = skillCOD
	sol, err = vrptw.Solve(context.Background(), p, vrptw.Options{MaxIterations: 100, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	checkMixed(t, p, sol)
	if len(sol.Unassigned) != 0 {
		t.Fatalf("unassigned %v", sol.Unassigned)
	}
}

// TestBadBreaksAreRefused: a break longer than the shift, outside it, or
// with a reversed window is a clear error.
func TestBadBreaksAreRefused(t *testing.T) {
	d := []float64{0, 1, 1, 0}
	for _, tc := range []struct {
		name string
		b    vrptw.Break
		want string
	}{
		{"longer than the shift", vrptw.Break{Window: vrptw.TimeWindow{Start: 0, End: 10}, Duration: 101}, "longer than the shift"},
		{"after the shift", vrptw.Break{Window: vrptw.TimeWindow{Start: 95, End: 200}, Duration: 10}, "does not fit in the shift"},
		{"reversed", vrptw.Break{Window: vrptw.TimeWindow{Start: 50, End: 40}, Duration: 10}, "break window ends"},
		{"zero", vrptw.Break{Window: vrptw.TimeWindow{Start: 50, End: 60}}, "break duration"},
		{"not a number", vrptw.Break{Window: vrptw.TimeWindow{Start: 50, End: 60}, Duration: math.NaN()}, "break duration"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.b
			p := &vrptw.Problem{NumLocations: 2, Profiles: []vrptw.Profile{{Distance: d, Time: d}},
				Vehicles: []vrptw.Vehicle{{ID: "bưu tá Bình", ShiftEnd: 100, Capacity: 1, Break: &b}},
				Jobs:     []vrptw.Job{{Location: 1, PrevVehicle: -1}}}
			_, err := vrptw.Solve(context.Background(), p, vrptw.Options{MaxIterations: 10})
			if !errors.Is(err, vrptw.ErrInvalid) || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "bưu tá Bình") {
				t.Fatalf("error %v, want ErrInvalid naming the courier and %q", err, tc.want)
			}
		})
	}
}
