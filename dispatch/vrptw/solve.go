package vrptw

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"
)

// Default annealing temperatures, as shares of the mean cost per job.
const (
	defaultT0 = 3
	defaultT1 = 0.02
)

// solver holds one run's mutable search state.
type solver struct {
	in       *inst
	opt      Options
	r        *rng
	start    time.Time
	deadline time.Time
	ctx      context.Context
	iter     int
	stopped  bool
	best     *state
	buf      []int32
}

// Solve plans p within the limits of opt and returns the best plan found. It
// returns an error only for an invalid problem or options; a cancelled
// context or a deadline ends the search and returns the best plan so far.
func Solve(ctx context.Context, p *Problem, opt Options) (*Solution, error) {
	start := time.Now()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if opt.TimeLimit <= 0 && opt.MaxIterations <= 0 {
		return nil, errors.New("vrptw: set a time limit or an iteration budget")
	}
	if opt.RuinSize <= 0 {
		opt.RuinSize = 10
	}
	in := newInst(p)
	sv := &solver{in: in, opt: opt, r: newRNG(opt.Seed), start: start, ctx: ctx}
	if opt.TimeLimit > 0 {
		sv.deadline = sv.start.Add(opt.TimeLimit)
	}
	cur := newState(in)
	sv.warmStart(cur)
	// Construction: every job not placed yet, by window end.
	list := append([]int32(nil), cur.unassigned...)
	sortBy(list, func(j int32) float64 { return in.order.twe[j] })
	cur.unassigned = cur.unassigned[:0]
	in.recreate(cur, list, 0, sv.r, nil)
	sv.best = newState(in)
	sv.best.copyAll(cur)
	sv.report()

	if len(in.active) > 0 {
		if opt.MinimiseVehicles {
			sv.fleetPhase(cur, 0.6)
			cur.copyAll(sv.best)
		}
		sv.annealPhase(cur)
	}
	sol := sv.output(sv.best)
	if err := Check(p, sol); err != nil {
		return nil, fmt.Errorf("vrptw: internal error, plan fails its check: %w", err)
	}
	return sol, nil
}

// warmStart loads opt.Initial into s, keeping each route's order and dropping
// any job that no longer fits.
func (sv *solver) warmStart(s *state) {
	in := sv.in
	for _, ir := range sv.opt.Initial {
		k := ir.Vehicle
		if k < 0 || k >= in.nv {
			continue
		}
		rt := &s.routes[k]
		for _, jj := range ir.Jobs {
			if jj < 0 || jj >= in.n || in.reason[jj] != "" || s.where[jj] >= 0 || !in.allowed(int32(jj), k) {
				continue
			}
			j := int32(jj)
			m := len(rt.jobs)
			if m+1 > in.vmax[k] || in.jskill[j]&^in.vskill[k] != 0 {
				continue
			}
			for w := range in.wins[j] {
				js := in.jobSeg(j, int8(w))
				if _, fine := in.tryAt(s, k, rt, m, &js); fine {
					rt.jobs = append(rt.jobs, j)
					s.where[j] = int32(k)
					s.win[j] = int8(w)
					in.rebuild(s, k)
					break
				}
			}
		}
	}
	still := s.unassigned[:0]
	for _, j := range s.unassigned {
		if s.where[j] < 0 {
			still = append(still, j)
		}
	}
	s.unassigned = still
	in.recost(s)
}

// done reports whether the search must stop.
func (sv *solver) done() bool {
	if sv.stopped {
		return true
	}
	if sv.opt.MaxIterations > 0 && sv.iter >= sv.opt.MaxIterations {
		sv.stopped = true
	} else if !sv.deadline.IsZero() && !time.Now().Before(sv.deadline) {
		sv.stopped = true
	} else if sv.iter&63 == 0 && sv.ctx.Err() != nil {
		sv.stopped = true
	}
	return sv.stopped
}

// progress is the share of the budget used, in [0, 1].
func (sv *solver) progress() float64 {
	if sv.opt.MaxIterations > 0 {
		f := float64(sv.iter) / float64(sv.opt.MaxIterations)
		if sv.deadline.IsZero() {
			return f
		}
		return math.Max(f, sv.timeFrac())
	}
	return sv.timeFrac()
}

func (sv *solver) timeFrac() float64 {
	if sv.deadline.IsZero() {
		return 0
	}
	return float64(time.Since(sv.start)) / float64(sv.opt.TimeLimit)
}

func (sv *solver) improve(s *state) {
	if better(s, sv.best) {
		sv.best.copyAll(s)
		sv.report()
	}
}

func better(a, b *state) bool { return a.cost < b.cost-1e-9 }

func (sv *solver) report() {
	if sv.opt.Progress == nil {
		return
	}
	b := sv.best
	d := 0.0
	for k := range b.routes {
		if m := len(b.routes[k].jobs); m > 0 {
			d += b.routes[k].fwd[m+1].dist
		}
	}
	sv.opt.Progress(Progress{Iteration: sv.iter, Elapsed: time.Since(sv.start), Cost: sv.in.planCost(b),
		Distance: d, Vehicles: b.used(), Unassigned: len(b.unassigned)})
}

// planCost is the objective without the unassigned penalty.
func (in *inst) planCost(s *state) float64 {
	return s.cost - float64(len(s.unassigned))*in.penalty
}

// meanCost is the mean travel cost per routed job, the scale of the annealing
// temperature.
func (in *inst) meanCost(s *state) float64 {
	c, n := 0.0, 0
	for k := range s.routes {
		rt := &s.routes[k]
		if m := len(rt.jobs); m > 0 {
			t := &rt.fwd[m+1]
			c += in.vcd[k]*t.dist + in.vct[k]*t.dur
			n += m
		}
	}
	if n == 0 {
		return 1
	}
	return c / float64(n)
}

// annealPhase runs SISR ruin-and-recreate with simulated-annealing acceptance
// from cur until the budget is spent.
func (sv *solver) annealPhase(cur *state) {
	in := sv.in
	work := newState(in)
	work.copyAll(cur)
	cur.clearDirty()
	scale := in.meanCost(cur)
	t0, t1 := sv.opt.StartTemperature, sv.opt.EndTemperature
	if t0 <= 0 {
		t0 = defaultT0
	}
	if t1 <= 0 {
		t1 = defaultT1
	}
	t0 *= scale
	t1 *= scale
	p0 := sv.progress()
	prio := make([]int, in.n) // scratch priorities for the ejection move
	for !sv.done() {
		sv.iter++
		f := (sv.progress() - p0) / (1 - p0 + 1e-12)
		if f > 1 {
			f = 1
		}
		temp := t0 * math.Pow(t1/t0, f)
		work.syncFrom(cur)
		// Make room next to unplaced jobs now and then (a new request in a
		// full day); otherwise ruin around a random routed job.
		var seed int32 = -1
		if n := len(work.unassigned); n > 0 && sv.r.float() < 0.6 {
			seed = work.unassigned[sv.r.intn(n)]
		}
		sv.buf = in.ruinAround(work, sv.r, sv.opt.RuinSize, seed, sv.buf[:0])
		if n := len(work.unassigned); n > 0 && sv.r.float() < 0.3 {
			// Place an unplaced job by ejecting a routed one, which the
			// recreate below then tries to put elsewhere.
			i := sv.r.intn(n)
			j := work.unassigned[i]
			prio[j] = 1
			in.ejectInsert(work, i, prio, sv.r)
			prio[j] = 0
		}
		sv.buf = sv.retry(work, sv.buf)
		in.sortRemoved(sv.buf, sv.r)
		in.recreate(work, sv.buf, 0.01, sv.r, nil)
		if work.cost < cur.cost-temp*sv.r.logU() {
			cur, work = work, cur
			sv.improve(cur)
		}
	}
}

// maxEjectPool: the ejection move is tried only when at most that many jobs
// are absent, one random absent job per iteration.
const maxEjectPool = 4

// maxRetry bounds how many unassigned jobs one iteration tries to place, so
// an overloaded day does not spend every iteration on hopeless jobs.
const maxRetry = 8

// retry appends the unassigned jobs of s to list (a random sample of them
// when there are many) and keeps the others in s.unassigned.
func (sv *solver) retry(s *state, list []int32) []int32 {
	u := s.unassigned
	if len(u) <= maxRetry {
		list = append(list, u...)
		s.unassigned = u[:0]
		return list
	}
	for i := 0; i < maxRetry; i++ {
		k := i + sv.r.intn(len(u)-i)
		u[i], u[k] = u[k], u[i]
	}
	list = append(list, u[:maxRetry]...)
	s.unassigned = append(u[:0], u[maxRetry:]...)
	return list
}

// fleetPhase removes routes one at a time and tries to place their jobs in
// the remaining routes (SISR fleet minimisation), until share of the budget
// is used or the load lower bound is met.
func (sv *solver) fleetPhase(cur *state, share float64) {
	in := sv.in
	lb := in.fleetLowerBound()
	absent := make([]int, in.n)
	work := newState(in)
	for !sv.done() && sv.progress() < share {
		if len(sv.best.unassigned) > 0 || sv.best.used() <= lb {
			return
		}
		cur.copyAll(sv.best)
		// Remove the route with the fewest jobs.
		kmin := -1
		for k := range cur.routes {
			m := len(cur.routes[k].jobs)
			if m > 0 && (kmin < 0 || m < len(cur.routes[kmin].jobs)) {
				kmin = k
			}
		}
		open := make([]bool, in.nv)
		for k := range cur.routes {
			open[k] = len(cur.routes[k].jobs) > 0 && k != kmin
		}
		for _, j := range cur.routes[kmin].jobs {
			cur.where[j] = -1
			cur.unassigned = append(cur.unassigned, j)
		}
		cur.routes[kmin].jobs = cur.routes[kmin].jobs[:0]
		in.rebuild(cur, kmin)
		in.recost(cur)
		work.copyAll(cur)
		cur.clearDirty()
		sumAbs := func(s *state) int {
			t := 0
			for _, j := range s.unassigned {
				t += absent[j]
			}
			return t
		}
		for len(cur.unassigned) > 0 && !sv.done() && sv.progress() < share {
			sv.iter++
			work.syncFrom(cur)
			var seed int32 = -1
			if sv.r.float() < 0.5 {
				seed = work.unassigned[sv.r.intn(len(work.unassigned))]
			}
			sv.buf = in.ruinAround(work, sv.r, sv.opt.RuinSize, seed, sv.buf[:0])
			sv.buf = append(sv.buf, work.unassigned...)
			work.unassigned = work.unassigned[:0]
			in.sortRemoved(sv.buf, sv.r)
			in.recreate(work, sv.buf, 0.01, sv.r, open)
			if n := len(work.unassigned); n > 0 && n <= maxEjectPool {
				in.ejectInsert(work, sv.r.intn(n), absent, nil)
			}
			in.recost(work)
			if len(work.unassigned) < len(cur.unassigned) || sumAbs(work) < sumAbs(cur) {
				cur, work = work, cur
			}
			for _, j := range cur.unassigned {
				absent[j]++
			}
		}
		if len(cur.unassigned) == 0 {
			sv.improve(cur)
		}
	}
}

// fleetLowerBound is the number of vehicles the total demand needs at least.
func (in *inst) fleetLowerBound() int {
	del, pick := 0, 0
	for _, j := range in.active {
		if in.isDel[j] {
			del += in.demand[j]
		} else {
			pick += in.demand[j]
		}
	}
	tot := max(del, pick)
	c := 0
	for _, v := range in.vcap {
		c = max(c, v)
	}
	return (tot + c - 1) / c
}

func sortBy(list []int32, key func(int32) float64) {
	// insertion-stable merge via sort.SliceStable keeps determinism.
	sortStable(list, key)
}

// output converts a state to the public solution with a forward schedule.
func (sv *solver) output(s *state) *Solution {
	in := sv.in
	sol := &Solution{Iterations: sv.iter, Elapsed: time.Since(sv.start)}
	for k := range s.routes {
		rt := &s.routes[k]
		if len(rt.jobs) == 0 {
			continue
		}
		v := &in.p.Vehicles[k]
		if in.vbrk[k] != nil || in.vmaxdur[k] < noWindow {
			route := in.scheduleRoute(s, k)
			sol.Routes = append(sol.Routes, route)
			sol.Cost += route.Cost
			sol.Distance += route.Distance
			sol.Vehicles++
			continue
		}
		L := in.L
		t := v.ShiftStart
		loc := v.Start
		route := Route{Vehicle: k, Stops: make([]Stop, 0, len(rt.jobs))}
		for i, j := range rt.jobs {
			tt := in.vtime[k][loc*L+int(in.loc[j])]
			route.Distance += in.vdist[k][loc*L+int(in.loc[j])]
			arr := t + tt
			w := in.wins[j][s.win[j]]
			st := math.Max(arr, w.Start)
			if i == 0 {
				// Leave as late as the first service allows.
				route.Departure = math.Max(t, st-tt)
				arr = route.Departure + tt
			}
			route.Stops = append(route.Stops, Stop{Job: int(j), Window: int(s.win[j]), Arrival: arr, Start: st, Departure: st + in.service[j]})
			t = st + in.service[j]
			loc = int(in.loc[j])
		}
		route.Load = int(rt.fwd[len(rt.jobs)+1].peak)
		route.Distance += in.vdist[k][loc*L+v.End]
		route.Return = t + in.vtime[k][loc*L+v.End]
		route.Cost = rt.cost
		sol.Routes = append(sol.Routes, route)
		sol.Cost += rt.cost
		sol.Distance += route.Distance
		sol.Vehicles++
	}
	for i := range in.n {
		if in.reason[i] != "" {
			sol.Unassigned = append(sol.Unassigned, Unassigned{Job: i, Reason: in.reason[i]})
		} else if s.where[i] < 0 {
			sol.Unassigned = append(sol.Unassigned, Unassigned{Job: i, Reason: ReasonNoRoom})
		}
	}
	return sol
}

// scheduleRoute gives route k of a vehicle with a break or a maximum
// duration its times: it leaves at the latest time that keeps the route's
// minimal duration, serves every stop as early as it can and takes the break
// where the segment data placed it.
func (in *inst) scheduleRoute(s *state, k int) Route {
	rt := &s.routes[k]
	v := &in.p.Vehicles[k]
	L := in.L
	m := len(rt.jobs)
	total := &rt.fwd[m+1]
	route := Route{Vehicle: k, Stops: make([]Stop, 0, m), Cost: rt.cost, Load: int(total.peak)}
	t := math.Max(v.ShiftStart, math.Min(total.late, v.ShiftEnd))
	route.Departure = t
	brk := func(after int) {
		if in.vbrk[k] == nil || rt.bp != after {
			return
		}
		b := in.vbrk[k]
		bs := math.Max(t, b.Window.Start)
		route.Break = &RouteBreak{After: after, Start: bs, End: bs + b.Duration}
		t = bs + b.Duration
	}
	brk(0)
	loc := v.Start
	for i, j := range rt.jobs {
		x := loc*L + int(in.loc[j])
		route.Distance += in.vdist[k][x]
		arr := t + in.vtime[k][x]
		w := in.wins[j][s.win[j]]
		st := math.Max(arr, w.Start)
		route.Stops = append(route.Stops, Stop{Job: int(j), Window: int(s.win[j]), Arrival: arr, Start: st, Departure: st + in.service[j]})
		t = st + in.service[j]
		loc = int(in.loc[j])
		brk(i + 1)
	}
	route.Distance += in.vdist[k][loc*L+v.End]
	route.Return = t + in.vtime[k][loc*L+v.End]
	return route
}
