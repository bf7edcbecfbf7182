package vrptw

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
)

// simulate runs a sequence greedily from its first window's start, counting
// time warp the way Vidal et al. define it: arriving after a window's end
// costs the lateness and time is set back to the end.
func simulate(nodes []seg, tm func(a, b int32) float64) (tw, dist float64, load int) {
	t := nodes[0].early
	for i := range nodes {
		n := &nodes[i]
		if i > 0 {
			t += tm(nodes[i-1].last, n.first)
			dist += tm(nodes[i-1].last, n.first)
		}
		if t < n.early {
			t = n.early
		}
		if t > n.late {
			tw += t - n.late
			t = n.late
		}
		t += n.dur
		load += int(n.load)
	}
	return tw, dist, load
}

func TestSegmentConcatAgainstSimulation(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	const L = 12
	mat := make([]float64, L*L)
	for a := range L {
		for b := range L {
			if a != b {
				mat[a*L+b] = float64(1 + r.IntN(30))
			}
		}
	}
	tm := func(a, b int32) float64 { return mat[int(a)*L+int(b)] }
	tests := []struct {
		name      string
		width     int // window width
		wantWarps bool
	}{
		{"tight windows", 15, true},
		{"medium windows", 60, true},
		{"wide windows", 500, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			warps := 0
			for trial := 0; trial < 2000; trial++ {
				n := 2 + r.IntN(9)
				nodes := make([]seg, n)
				for i := range nodes {
					e := float64(r.IntN(200))
					loc := int32(r.IntN(L))
					if i == 0 {
						e = 0 // depot-like start: leave at its earliest time
					}
					nodes[i] = seg{dur: float64(r.IntN(10)), early: e, late: e + float64(tt.width), load: int32(r.IntN(5)), first: loc, last: loc}
				}
				nodes[0].late = nodes[0].early // fixed departure, as the simulation assumes
				// Fold left and fold right must agree with each other and with the simulation.
				left := nodes[0]
				for i := 1; i < n; i++ {
					left = concat(&left, &nodes[i], tm(left.last, nodes[i].first), tm(left.last, nodes[i].first))
				}
				right := nodes[n-1]
				for i := n - 2; i >= 0; i-- {
					right = concat(&nodes[i], &right, tm(nodes[i].last, right.first), tm(nodes[i].last, right.first))
				}
				tw, dist, load := simulate(nodes, tm)
				if math.Abs(left.tw-tw) > 1e-9 || math.Abs(right.tw-tw) > 1e-9 {
					t.Fatalf("trial %d: time warp left %g right %g, simulated %g", trial, left.tw, right.tw, tw)
				}
				if math.Abs(left.dist-dist) > 1e-9 || int(left.load) != load || int(right.load) != load {
					t.Fatalf("trial %d: dist %g/%g load %d/%d", trial, left.dist, dist, left.load, load)
				}
				if tw > 0 {
					warps++
				}
			}
			if (warps > 0) != tt.wantWarps {
				t.Fatalf("%d sequences with time warp; want some: %v", warps, tt.wantWarps)
			}
		})
	}
}

func TestRebuildFromMatchesRebuild(t *testing.T) {
	p := randomProblem(rand.New(rand.NewPCG(3, 4)), 40, 3)
	in := newInst(p)
	r := newRNG(5)
	s := newState(in)
	list := append([]int32(nil), s.unassigned...)
	s.unassigned = s.unassigned[:0]
	in.recreate(s, list, 0.05, r, nil) // uses rebuildFrom on every insertion
	for k := range s.routes {
		got := s.routes[k]
		got = rt{jobs: got.jobs, fwd: append([]seg(nil), got.fwd...), bwd: append([]seg(nil), got.bwd...),
			locs: append([]int32(nil), got.locs...), edge: append([]float64(nil), got.edge...), cost: got.cost}
		in.rebuild(s, k)
		want := &s.routes[k]
		for i := range want.fwd {
			if !segClose(got.fwd[i], want.fwd[i]) || !segClose(got.bwd[i], want.bwd[i]) {
				t.Fatalf("route %d node %d: incremental %+v/%+v, full %+v/%+v", k, i, got.fwd[i], got.bwd[i], want.fwd[i], want.bwd[i])
			}
		}
		for i := range want.edge {
			if got.edge[i] != want.edge[i] || got.locs[i] != want.locs[i] {
				t.Fatalf("route %d: edge/locs differ at %d", k, i)
			}
		}
		if math.Abs(got.cost-want.cost) > 1e-9 {
			t.Fatalf("route %d: cost %g, want %g", k, got.cost, want.cost)
		}
	}
}

func segClose(a, b seg) bool {
	c := func(x, y float64) bool { return math.Abs(x-y) <= 1e-9*math.Max(1, math.Abs(x)) }
	return c(a.dur, b.dur) && c(a.tw, b.tw) && c(a.early, b.early) && c(a.late, b.late) && c(a.dist, b.dist) &&
		a.load == b.load && a.first == b.first && a.last == b.last
}

// randomProblem is a small heterogeneous instance on a grid.
func randomProblem(r *rand.Rand, nJobs, nVeh int) *Problem {
	L := nJobs + nVeh
	xs := make([]float64, L)
	ys := make([]float64, L)
	for i := range xs {
		xs[i], ys[i] = r.Float64()*100, r.Float64()*100
	}
	d := make([]float64, L*L)
	for a := range L {
		for b := range L {
			d[a*L+b] = math.Hypot(xs[a]-xs[b], ys[a]-ys[b])
		}
	}
	slow := make([]float64, L*L)
	for i := range d {
		slow[i] = 1.5 * d[i]
	}
	p := &Problem{NumLocations: L, Profiles: []Profile{{Distance: d, Time: d}, {Distance: d, Time: slow}}, ReassignCost: 5}
	for k := range nVeh {
		p.Vehicles = append(p.Vehicles, Vehicle{Start: nJobs + k, End: nJobs + (k+1)%nVeh, ShiftStart: float64(r.IntN(50)),
			ShiftEnd: 400 + float64(r.IntN(400)), Capacity: 10 + r.IntN(30), MaxStops: r.IntN(12), FixedCost: float64(r.IntN(50)),
			CostPerDistance: 1, CostPerTime: 0.1 * float64(r.IntN(2)), Profile: r.IntN(2)})
	}
	for i := range nJobs {
		j := Job{Location: i, Demand: r.IntN(8), Service: float64(r.IntN(20)), PrevVehicle: r.IntN(nVeh+2) - 2}
		for w := r.IntN(5); w > 0; w-- {
			s := float64(r.IntN(600))
			j.Windows = append(j.Windows, TimeWindow{s, s + float64(10+r.IntN(150))})
		}
		switch r.IntN(6) {
		case 0:
			j.Allowed = []int{r.IntN(nVeh)}
		case 1:
			j.Allowed = []int{} // nobody: no_vehicle
		case 2:
			j.Demand = 100 // over every capacity
		}
		p.Jobs = append(p.Jobs, j)
	}
	return p
}

func TestNearestMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	for trial := 0; trial < 200; trial++ {
		n := 1 + r.IntN(300)
		cands := make([]int32, n)
		key := make([]float64, n)
		for i := range cands {
			cands[i] = int32(i)
			key[i] = float64(r.IntN(50)) // many ties
		}
		a := int32(r.IntN(n))
		k := 1 + r.IntN(80)
		got := nearest(cands, a, key, k, nil)
		var want []int32
		for _, b := range cands {
			if b != a {
				want = append(want, b)
			}
		}
		sort.Slice(want, func(x, y int) bool {
			if key[want[x]] != key[want[y]] {
				return key[want[x]] < key[want[y]]
			}
			return want[x] < want[y]
		})
		if len(want) > k {
			want = want[:k]
		}
		if len(got) != len(want) {
			t.Fatalf("trial %d: %d neighbours, want %d", trial, len(got), len(want))
		}
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("trial %d: neighbour %d is %d, want %d", trial, i, got[i], want[i])
			}
		}
	}
}
