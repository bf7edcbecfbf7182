package vrptw

import (
	"context"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
)

// TestPropertyRandomInstances solves random heterogeneous instances and
// checks every hard constraint, the reason of every unassigned job, and that
// a run is reproducible for a seed and an iteration budget.
func TestPropertyRandomInstances(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		r := rand.New(rand.NewPCG(seed, 99))
		p := randomProblem(r, 5+r.IntN(30), 1+r.IntN(4))
		opt := Options{MaxIterations: 300, Seed: seed, MinimiseVehicles: seed%3 == 0}
		sol, err := Solve(context.Background(), p, opt)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if err := Check(p, sol); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		for _, u := range sol.Unassigned {
			if want := bruteReason(p, u.Job); u.Reason != want {
				t.Fatalf("seed %d: job %d unassigned as %s, brute force says %s", seed, u.Job, u.Reason, want)
			}
		}
		again, err := Solve(context.Background(), p, opt)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(routesOf(sol), routesOf(again)) || !reflect.DeepEqual(sol.Unassigned, again.Unassigned) {
			t.Fatalf("seed %d: two runs with the same seed and budget differ", seed)
		}
	}
}

func routesOf(s *Solution) [][]Stop {
	var out [][]Stop
	for _, r := range s.Routes {
		out = append(out, r.Stops)
	}
	return out
}

// bruteReason recomputes why a job can't be served, by simulation of the
// one-stop route on every allowed vehicle; "no_room" when one is feasible.
func bruteReason(p *Problem, ji int) Reason {
	j := &p.Jobs[ji]
	anyVeh, anyCap := false, false
	for k := range p.Vehicles {
		if !allowed(j, k) {
			continue
		}
		anyVeh = true
		v := &p.Vehicles[k]
		if j.Demand > v.Capacity {
			continue
		}
		anyCap = true
		ws := j.Windows
		if len(ws) == 0 {
			ws = []TimeWindow{{v.ShiftStart, v.ShiftEnd + 1e18}}
		}
		pr := &p.Profiles[v.Profile]
		n := p.NumLocations
		for _, w := range ws {
			t := v.ShiftStart + pr.Time[v.Start*n+j.Location]
			t = max(t, w.Start)
			if t > w.End+1e-9 {
				continue
			}
			t += j.Service + pr.Time[j.Location*n+v.End]
			if t <= v.ShiftEnd+1e-9 {
				return ReasonNoRoom
			}
		}
	}
	switch {
	case !anyVeh:
		return ReasonNoVehicle
	case !anyCap:
		return ReasonCapacity
	}
	return ReasonWindowImpossible
}

func TestReplanKeepsCouriers(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	p := randomProblem(r, 40, 4)
	for i := range p.Jobs {
		p.Jobs[i].Allowed = nil
		p.Jobs[i].PrevVehicle = -1
		p.Jobs[i].Demand = 1
	}
	base, err := Solve(context.Background(), p, Options{MaxIterations: 2000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	p2 := *p
	p2.Jobs = append([]Job(nil), p.Jobs...)
	p2.ReassignCost = 1e4
	for _, rt := range base.Routes {
		for _, s := range rt.Stops {
			p2.Jobs[s.Job].PrevVehicle = rt.Vehicle
		}
	}
	// The new request sits at the location of job 0 with a wide window.
	p2.Jobs = append(p2.Jobs, Job{Location: p.Jobs[0].Location, Demand: 1, PrevVehicle: -1})
	sol, err := Replan(context.Background(), &p2, PreviousPlan(base), Options{MaxIterations: 500, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(&p2, sol); err != nil {
		t.Fatal(err)
	}
	before := map[int]int{}
	for _, rt := range base.Routes {
		for _, s := range rt.Stops {
			before[s.Job] = rt.Vehicle
		}
	}
	moved := 0
	for _, rt := range sol.Routes {
		for _, s := range rt.Stops {
			if v, ok := before[s.Job]; ok && v != rt.Vehicle {
				moved++
			}
		}
	}
	if moved > 0 {
		t.Fatalf("%d stops changed courier with a reassignment cost of 10,000", moved)
	}
}

func TestValidateNamesTheItem(t *testing.T) {
	base := func() *Problem {
		d := []float64{0, 1, 1, 0}
		return &Problem{NumLocations: 2, Profiles: []Profile{{Distance: d, Time: d}},
			Vehicles: []Vehicle{{ID: "bưu tá An", ShiftStart: 0, ShiftEnd: 100, Capacity: 5}},
			Jobs:     []Job{{ID: "hồ sơ 1", Location: 1, Demand: 1, PrevVehicle: -1}}}
	}
	tests := []struct {
		name   string
		modify func(*Problem)
		want   string
	}{
		{"shift ends before it starts", func(p *Problem) { p.Vehicles[0].ShiftStart, p.Vehicles[0].ShiftEnd = 50, 10 }, `vehicle 0 ("bưu tá An"): shift ends`},
		{"zero capacity", func(p *Problem) { p.Vehicles[0].Capacity = 0 }, `vehicle 0 ("bưu tá An"): capacity must be positive`},
		{"window reversed", func(p *Problem) { p.Jobs[0].Windows = []TimeWindow{{20, 10}} }, `job 0 ("hồ sơ 1"): window 0 ends`},
		{"five windows", func(p *Problem) { p.Jobs[0].Windows = make([]TimeWindow, 5) }, `job 0 ("hồ sơ 1"): 5 time windows`},
		{"unknown allowed vehicle", func(p *Problem) { p.Jobs[0].Allowed = []int{3} }, `job 0 ("hồ sơ 1"): allowed vehicle 3`},
		{"location outside", func(p *Problem) { p.Jobs[0].Location = 7 }, `job 0 ("hồ sơ 1"): location 7`},
		{"short matrix", func(p *Problem) { p.Profiles[0].Time = p.Profiles[0].Time[:3] }, "profile 0: matrices"},
		{"bad profile", func(p *Problem) { p.Vehicles[0].Profile = 2 }, `vehicle 0 ("bưu tá An"): profile 2`},
		{"negative demand", func(p *Problem) { p.Jobs[0].Demand = -1 }, `job 0 ("hồ sơ 1"): negative demand`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := base()
			tt.modify(p)
			_, err := Solve(context.Background(), p, Options{MaxIterations: 10})
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want ErrInvalid mentioning %q", err, tt.want)
			}
		})
	}
	if _, err := Solve(context.Background(), base(), Options{}); err == nil {
		t.Fatal("no budget accepted")
	}
}

func TestCancelledContextReturnsPlan(t *testing.T) {
	p := randomProblem(rand.New(rand.NewPCG(5, 6)), 30, 3)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	sol, err := Solve(ctx, p, Options{MaxIterations: 1 << 30})
	if err != nil {
		t.Fatal(err)
	}
	if err := Check(p, sol); err != nil {
		t.Fatal(err)
	}
}
