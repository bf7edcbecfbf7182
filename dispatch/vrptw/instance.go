package vrptw

import (
	"math"
	"sort"
)

// granularSize is how many nearest neighbours decide which routes an
// insertion tries.
const granularSize = 30

// noWindow stands for "any time" in segments; large but finite so that
// sums stay well defined.
const noWindow = 1e15

// inst is the solver's flattened, read-only view of a Problem.
type inst struct {
	p       *Problem
	n       int // jobs
	nv      int // vehicles
	L       int // locations
	loc     []int32
	demand  []int
	service []float64
	wins    [][]TimeWindow // at least one per job
	allow   [][]bool       // per job, nil = every vehicle
	prev    []int
	// per vehicle
	vdist, vtime [][]float64
	// transposed matrices: vdistT[k][b*L+a] = distance a→b
	vdistT, vtimeT [][]float64
	vcap, vmax     []int
	vfix           []float64
	vcd, vct       []float64
	vclass         []int
	vstart, vend   []seg
	isDel          []bool
	jskill         []uint64
	vskill         []uint64
	vbrk           []*Break
	vmaxdur        []float64 // noWindow when unbounded
	vslow          []bool    // insertions need full segment checks (loads, break, duration)
	mixed          bool      // some job is a delivery
	reassign       float64
	penalty        float64 // cost of leaving a job unassigned
	neigh          [][]int32
	granular       int      // neighbours whose routes an insertion tries; 0 = all routes
	reason         []Reason // fixed reasons for jobs that can never be served
	active         []int32  // jobs the search places
	order          orderKeys
}

type orderKeys struct {
	far, tws, twe []float64
}

func newInst(p *Problem) *inst {
	in := &inst{p: p, n: len(p.Jobs), nv: len(p.Vehicles), L: p.NumLocations, reassign: p.ReassignCost}
	n, nv, L := in.n, in.nv, in.L
	in.loc = make([]int32, n)
	in.demand = make([]int, n)
	in.service = make([]float64, n)
	in.wins = make([][]TimeWindow, n)
	in.allow = make([][]bool, n)
	in.prev = make([]int, n)
	in.isDel = make([]bool, n)
	in.jskill = make([]uint64, n)
	for i := range p.Jobs {
		j := &p.Jobs[i]
		in.loc[i] = int32(j.Location)
		in.demand[i] = j.Demand
		in.service[i] = j.Service
		if len(j.Windows) == 0 {
			in.wins[i] = []TimeWindow{{-noWindow, noWindow}}
		} else {
			in.wins[i] = j.Windows
		}
		if j.Allowed != nil {
			a := make([]bool, nv)
			for _, k := range j.Allowed {
				a[k] = true
			}
			in.allow[i] = a
		}
		in.isDel[i] = j.Kind == Delivery
		if in.isDel[i] {
			in.mixed = true
		}
		in.jskill[i] = j.Skills
		in.prev[i] = j.PrevVehicle
		if j.PrevVehicle < 0 {
			in.prev[i] = -1
		}
	}
	in.vdist = make([][]float64, nv)
	in.vtime = make([][]float64, nv)
	in.vdistT = make([][]float64, nv)
	in.vtimeT = make([][]float64, nv)
	transposed := make(map[int][2][]float64) // by profile
	in.vcap = make([]int, nv)
	in.vmax = make([]int, nv)
	in.vfix = make([]float64, nv)
	in.vcd = make([]float64, nv)
	in.vct = make([]float64, nv)
	in.vclass = make([]int, nv)
	in.vstart = make([]seg, nv)
	in.vend = make([]seg, nv)
	in.vskill = make([]uint64, nv)
	in.vbrk = make([]*Break, nv)
	in.vmaxdur = make([]float64, nv)
	in.vslow = make([]bool, nv)
	maxFix := 0.0
	maxEdge := 0.0
	for k := range p.Vehicles {
		v := &p.Vehicles[k]
		pr := &p.Profiles[v.Profile]
		in.vdist[k], in.vtime[k] = pr.Distance, pr.Time
		tr, ok := transposed[v.Profile]
		if !ok {
			tr = [2][]float64{transposeOrSame(pr.Distance, L), transposeOrSame(pr.Time, L)}
			transposed[v.Profile] = tr
		}
		in.vdistT[k], in.vtimeT[k] = tr[0], tr[1]
		in.vcap[k] = v.Capacity
		in.vmax[k] = v.MaxStops
		if in.vmax[k] == 0 {
			in.vmax[k] = math.MaxInt32
		}
		in.vfix[k] = v.FixedCost
		in.vcd[k], in.vct[k] = v.CostPerDistance, v.CostPerTime
		if in.vcd[k] == 0 && in.vct[k] == 0 {
			in.vcd[k] = 1
		}
		in.vstart[k] = seg{early: v.ShiftStart, late: v.ShiftEnd, first: int32(v.Start), last: int32(v.Start)}
		in.vend[k] = seg{early: v.ShiftStart, late: v.ShiftEnd, first: int32(v.End), last: int32(v.End)}
		in.vskill[k] = v.Skills
		in.vbrk[k] = v.Break
		in.vmaxdur[k] = noWindow
		if v.MaxDuration > 0 {
			in.vmaxdur[k] = v.MaxDuration
		}
		in.vslow[k] = in.mixed || v.Break != nil || v.MaxDuration > 0
		in.vclass[k] = k
		for q := 0; q < k; q++ {
			w := &p.Vehicles[q]
			if in.vclass[q] == q && w.Start == v.Start && w.End == v.End && w.ShiftStart == v.ShiftStart &&
				w.ShiftEnd == v.ShiftEnd && w.Capacity == v.Capacity && in.vmax[q] == in.vmax[k] &&
				w.FixedCost == v.FixedCost && in.vcd[q] == in.vcd[k] && in.vct[q] == in.vct[k] && w.Profile == v.Profile &&
				w.Skills == v.Skills && w.MaxDuration == v.MaxDuration && sameBreak(w.Break, v.Break) {
				in.vclass[k] = q
				break
			}
		}
		if v.FixedCost > maxFix {
			maxFix = v.FixedCost
		}
	}
	for _, pr := range p.Profiles {
		for _, d := range pr.Distance {
			if d > maxEdge {
				maxEdge = d
			}
		}
		for _, d := range pr.Time {
			if d > maxEdge {
				maxEdge = d
			}
		}
	}
	maxUnit := 0.0
	for k := range nv {
		maxUnit = math.Max(maxUnit, in.vcd[k]+in.vct[k])
	}
	in.penalty = 10*(maxFix+p.ReassignCost) + 1000*(2*maxEdge*maxUnit+1) + 1e6

	// Skills narrow the vehicles allowed.
	for i := range n {
		if in.jskill[i] == 0 {
			continue
		}
		a := make([]bool, nv)
		for k := range nv {
			a[k] = (in.allow[i] == nil || in.allow[i][k]) && in.jskill[i]&^in.vskill[k] == 0
		}
		in.allow[i] = a
	}
	// Which jobs can be served at all, and by which vehicles alone.
	in.reason = make([]Reason, n)
	for i := range n {
		in.reason[i] = in.screen(i)
		if in.reason[i] == "" {
			in.active = append(in.active, int32(i))
		}
	}
	// Neighbours by symmetric distance in the first vehicle's profile.
	d0, d0T := in.vdist[0], in.vdistT[0]
	in.granular = granularSize
	in.neigh = make([][]int32, n)
	const maxNeigh = 60
	key := make([]float64, n)
	kvBuf := make([]kv, 0, len(in.active))
	for _, a := range in.active {
		la := int(in.loc[a]) * L
		row, col := d0[la:la+L], d0T[la:la+L]
		for _, b := range in.active {
			lb := in.loc[b]
			key[b] = row[lb] + col[lb]
		}
		in.neigh[a] = nearest(in.active, a, key, maxNeigh, kvBuf)
	}
	// Keys for the recreate orders.
	in.order.far = make([]float64, n)
	in.order.tws = make([]float64, n)
	in.order.twe = make([]float64, n)
	s0 := int(in.vstart[0].first)
	for i := range n {
		in.order.far[i] = d0[s0*L+int(in.loc[i])]
		w := in.wins[i][0]
		in.order.tws[i] = w.End - w.Start
		in.order.twe[i] = w.End
	}
	return in
}

// screen tells why job i can never be served, or "" when some allowed vehicle
// could serve it alone.
func (in *inst) screen(i int) Reason {
	anyVeh, anySkill, anyCap := false, false, false
	for k := range in.nv {
		if !allowed(&in.p.Jobs[i], k) {
			continue
		}
		anyVeh = true
		if in.jskill[i]&^in.vskill[k] != 0 {
			continue
		}
		anySkill = true
		if in.demand[i] > in.vcap[k] {
			continue
		}
		anyCap = true
		for w := range in.wins[i] {
			if _, ok := in.single(k, int32(i), int8(w)); ok {
				return ""
			}
			if in.vbrk[k] != nil {
				// Alone the break may not fit, but beside other jobs it
				// can be taken elsewhere: the search decides.
				js := in.jobSeg(int32(i), int8(w))
				x := in.joinAll(k, &in.vstart[k], &js, &in.vend[k])
				if in.ok(k, &x) {
					return ""
				}
			}
		}
	}
	switch {
	case !anyVeh:
		return ReasonNoVehicle
	case !anySkill:
		return ReasonSkill
	case !anyCap:
		return ReasonCapacity
	default:
		return ReasonWindowImpossible
	}
}

func (in *inst) jobSeg(j int32, w int8) seg {
	tw := in.wins[j][w]
	d := int32(in.demand[j])
	s := seg{dur: in.service[j], early: tw.Start, late: tw.End, load: d, peak: d, first: in.loc[j], last: in.loc[j]}
	if in.isDel[j] {
		s.del = d
	} else {
		s.pick = d
	}
	return s
}

// brkSeg is vehicle k's break taken at location loc.
func (in *inst) brkSeg(k int, loc int32) seg {
	b := in.vbrk[k]
	return seg{dur: b.Duration, early: b.Window.Start, late: b.Window.End, first: loc, last: loc}
}

// withBreak is a followed by vehicle k's break at a's last location.
func (in *inst) withBreak(k int, a *seg) seg {
	b := in.brkSeg(k, a.last)
	return concat(a, &b, 0, 0)
}

// ok reports whether a segment on vehicle k keeps every window, the
// capacity at every point and the maximum duration. Each of these only
// worsens when a segment is extended, so ok also prunes partial sequences.
func (in *inst) ok(k int, s *seg) bool {
	return s.tw <= twEps && int(s.peak) <= in.vcap[k] && s.dur <= in.vmaxdur[k]+twEps
}

// joinAll concatenates segments in order for vehicle k.
func (in *inst) joinAll(k int, parts ...*seg) seg {
	s := *parts[0]
	for _, p := range parts[1:] {
		s = in.join(k, &s, p)
	}
	return s
}

// better2 tells whether route segment a is preferable to b: less time warp,
// then shorter.
func better2(a, b *seg) bool {
	if a.tw != b.tw {
		return a.tw < b.tw
	}
	return a.dur < b.dur
}

func sameBreak(a, b *Break) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}

// join concatenates a and b for vehicle k.
func (in *inst) join(k int, a, b *seg) seg {
	x := int(a.last)*in.L + int(b.first)
	return concat(a, b, in.vtime[k][x], in.vdist[k][x])
}

// single is the route start → job i (window w) → end for vehicle k, with
// the vehicle's break where it fits best, and whether it is feasible.
func (in *inst) single(k int, i int32, w int8) (seg, bool) {
	js := in.jobSeg(i, w)
	if in.vbrk[k] == nil {
		s := in.joinAll(k, &in.vstart[k], &js, &in.vend[k])
		return s, in.ok(k, &s)
	}
	b0 := in.withBreak(k, &in.vstart[k])
	a := in.joinAll(k, &b0, &js, &in.vend[k])
	jb := in.withBreak(k, &js)
	b := in.joinAll(k, &in.vstart[k], &jb, &in.vend[k])
	if better2(&b, &a) {
		a = b
	}
	return a, in.ok(k, &a)
}

func (in *inst) allowed(j int32, k int) bool {
	a := in.allow[j]
	return a == nil || a[k]
}

// transposeOrSame returns m itself when it is symmetric (straight-line
// models), else its transpose.
func transposeOrSame(m []float64, L int) []float64 {
	for a := range L {
		row := m[a*L : a*L+L]
		for b := a + 1; b < L; b++ {
			if row[b] != m[b*L+a] {
				return transpose(m, L)
			}
		}
	}
	return m
}

func transpose(m []float64, L int) []float64 {
	t := make([]float64, len(m))
	for a := range L {
		for b := range L {
			t[b*L+a] = m[a*L+b]
		}
	}
	return t
}

// nearest returns up to k jobs of cands other than a, closest first by key
// (ties by index): a quickselect of the k smallest, then a sort of those,
// O(n + k log k) on average.
func nearest(cands []int32, a int32, key []float64, k int, buf []kv) []int32 {
	buf = buf[:0]
	for _, b := range cands {
		if b != a {
			buf = append(buf, kv{key[b], b})
		}
	}
	if k > len(buf) {
		k = len(buf)
	}
	lo, hi := 0, len(buf)-1
	for lo < hi {
		// Median of three as pivot.
		mid := lo + (hi-lo)/2
		if buf[mid].less(buf[lo]) {
			buf[mid], buf[lo] = buf[lo], buf[mid]
		}
		if buf[hi].less(buf[lo]) {
			buf[hi], buf[lo] = buf[lo], buf[hi]
		}
		if buf[hi].less(buf[mid]) {
			buf[hi], buf[mid] = buf[mid], buf[hi]
		}
		p := buf[mid]
		i, j := lo, hi
		for i <= j {
			for buf[i].less(p) {
				i++
			}
			for p.less(buf[j]) {
				j--
			}
			if i <= j {
				buf[i], buf[j] = buf[j], buf[i]
				i++
				j--
			}
		}
		switch {
		case k-1 <= j:
			hi = j
		case k-1 >= i:
			lo = i
		default:
			lo = hi
		}
	}
	top := buf[:k]
	sort.Slice(top, func(x, y int) bool { return top[x].less(top[y]) })
	out := make([]int32, k)
	for i, e := range top {
		out[i] = e.j
	}
	return out
}

// kv is a job with its sort key.
type kv struct {
	k float64
	j int32
}

func (a kv) less(b kv) bool { return a.k < b.k || (a.k == b.k && a.j < b.j) }
