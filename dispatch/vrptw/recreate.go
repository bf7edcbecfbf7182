package vrptw

import "sort"

// insertion is the best place found for one job.
type insertion struct {
	veh   int
	pos   int // insert after node pos
	win   int8
	delta float64
}

// bestInsertion finds the cheapest feasible insertion of job j into s, each
// position being skipped with probability blink. When open is not nil only
// the vehicles it marks are considered (the fleet-minimisation phase).
func (in *inst) bestInsertion(s *state, j int32, blink float64, r *rng, open []bool) (insertion, bool) {
	best := insertion{veh: -1, delta: 1e300}
	var triedClass [64]int // classes of empty routes already tried (small fleets)
	nTried := 0
	var triedMap []bool
	if in.nv > len(triedClass) {
		triedMap = make([]bool, in.nv)
	}
	lj := int(in.loc[j])
	L := in.L
	dem := in.demand[j]
	nw := len(in.wins[j])
	skip := 0
	if blink > 0 {
		skip = r.geometric(blink)
	}
	// Granular filter: only routes that hold one of j's nearest neighbours
	// (and empty ones) are tried.
	near := s.near
	gran := in.granular > 0 && len(in.neigh[j]) > 0
	if gran {
		s.nearMark++
		g := in.neigh[j]
		if len(g) > in.granular {
			g = g[:in.granular]
		}
		for _, c := range g {
			if v := s.where[c]; v >= 0 {
				near[v] = s.nearMark
			}
		}
	}
	for k := 0; k < in.nv; k++ {
		rt := &s.routes[k]
		m := len(rt.jobs)
		if in.allow[j] != nil && !in.allow[j][k] {
			continue
		}
		if gran && m > 0 && near[k] != s.nearMark {
			continue
		}
		if m == 0 {
			if open != nil && !open[k] {
				continue
			}
			c := in.vclass[k]
			seen := false
			if triedMap != nil {
				seen = triedMap[c]
				triedMap[c] = true
			} else {
				for q := 0; q < nTried; q++ {
					if triedClass[q] == c {
						seen = true
						break
					}
				}
				if !seen {
					triedClass[nTried] = c
					nTried++
				}
			}
			if seen {
				continue
			}
		}
		if m+1 > in.vmax[k] {
			continue
		}
		if in.mixed {
			if max(int(rt.fwd[m+1].del)+js0del(in, j), int(rt.fwd[m+1].pick)+dem-js0del(in, j)) > in.vcap[k] {
				continue
			}
		} else if int(rt.fwd[m+1].load)+dem > in.vcap[k] {
			continue
		}
		base := 0.0
		if m == 0 {
			base = in.vfix[k]
		}
		if in.prev[j] >= 0 && in.prev[j] != k {
			base += in.reassign
		}
		if base >= best.delta {
			continue
		}
		dT := in.vdistT[k][lj*L : lj*L+L]
		dF := in.vdist[k][lj*L : lj*L+L]
		tT := in.vtimeT[k][lj*L : lj*L+L]
		tF := in.vtime[k][lj*L : lj*L+L]
		cd, ct := in.vcd[k], in.vct[k]
		oldDur := rt.fwd[m+1].dur
		locs, edge := rt.locs[:m+2], rt.edge[:m+1]
		for w := 0; w < nw; w++ {
			js := in.jobSeg(j, int8(w))
			lateJ := js.late + twEps
			for i := 0; i <= m; i++ {
				if blink > 0 {
					if skip == 0 {
						skip = r.geometric(blink)
						continue
					}
					skip--
				}
				la, lb := locs[i], locs[i+1]
				delta := base + cd*(dT[la]+dF[lb]-edge[i])
				if delta >= best.delta && ct == 0 {
					continue
				}
				a := &rt.fwd[i]
				ta := tT[la]
				// Earliest arrival at j; routes in the search have no time
				// warp, so the earliest completion of a is early+dur.
				t := a.early + a.dur - a.tw + ta
				if in.vbrk[k] != nil {
					// The break may move after j: bound without it.
					ap := &rt.fwdP[i]
					t = ap.early + ap.dur - ap.tw + ta
				}
				if t > lateJ {
					continue
				}
				if in.vslow[k] {
					c, fine := in.tryAt(s, k, rt, i, &js)
					if !fine {
						continue
					}
					delta += ct * (c.dur - oldDur)
					if delta >= best.delta {
						continue
					}
					best = insertion{veh: k, pos: i, win: int8(w), delta: delta}
					continue
				}
				if ct == 0 {
					// Feasible iff the earliest arrival at the rest of the
					// route is within its latest start.
					if t < js.early {
						t = js.early
					}
					b := &rt.bwd[i+1]
					if t+js.dur+tF[lb] > b.late+twEps || a.tw > twEps || b.tw > twEps {
						continue
					}
					best = insertion{veh: k, pos: i, win: int8(w), delta: delta}
					continue
				}
				s1 := concat(a, &js, ta, 0)
				s2 := concat(&s1, &rt.bwd[i+1], tF[lb], 0)
				if s2.tw > twEps {
					continue
				}
				if ct != 0 {
					delta += ct * (s2.dur - oldDur)
					if delta >= best.delta {
						continue
					}
				}
				best = insertion{veh: k, pos: i, win: int8(w), delta: delta}
			}
		}
	}
	return best, best.veh >= 0
}

// js0del is the delivery load of job j.
func js0del(in *inst, j int32) int {
	if in.isDel[j] {
		return in.demand[j]
	}
	return 0
}

// tryAt evaluates route rt of vehicle k with job segment js inserted after
// node i, with the break (if any) where it is now, just before or just after
// the new job; it returns the best whole-route segment and whether it keeps
// every constraint.
func (in *inst) tryAt(s *state, k int, rt *rt, i int, js *seg) (seg, bool) {
	c := in.joinAll(k, &rt.fwd[i], js, &rt.bwd[i+1])
	if in.vbrk[k] != nil {
		a := in.withBreak(k, &rt.fwdP[i])
		c2 := in.joinAll(k, &a, js, &rt.bwdP[i+1])
		if in.ok(k, &c2) && (!in.ok(k, &c) || c2.dur < c.dur) {
			c = c2
		}
		b := in.withBreak(k, js)
		c3 := in.joinAll(k, &rt.fwdP[i], &b, &rt.bwdP[i+1])
		if in.ok(k, &c3) && (!in.ok(k, &c) || c3.dur < c.dur) {
			c = c3
		}
	}
	return c, in.ok(k, &c)
}

// insert applies an insertion found by bestInsertion.
func (in *inst) insert(s *state, j int32, ins insertion) {
	rt := &s.routes[ins.veh]
	rt.jobs = append(rt.jobs, 0)
	copy(rt.jobs[ins.pos+1:], rt.jobs[ins.pos:])
	rt.jobs[ins.pos] = j
	s.where[j] = int32(ins.veh)
	s.win[j] = ins.win
	in.rebuildFrom(s, ins.veh, ins.pos)
}

// recreate inserts the jobs in list in the given order, adding unplaceable
// ones to s.unassigned; list must not alias s.unassigned.
func (in *inst) recreate(s *state, list []int32, blink float64, r *rng, open []bool) {
	still := s.unassigned
	for _, j := range list {
		ins, ok := in.bestInsertion(s, j, blink, r, open)
		if !ok {
			still = append(still, j)
			continue
		}
		in.insert(s, j, ins)
	}
	s.unassigned = still
	in.recost(s)
}

// sortRemoved orders removed jobs with one of the SISR orders (random,
// demand, far, close) or by window (width, end).
func (in *inst) sortRemoved(list []int32, r *rng) {
	for i := len(list) - 1; i > 0; i-- {
		k := r.intn(i + 1)
		list[i], list[k] = list[k], list[i]
	}
	x := r.intn(14)
	var key func(j int32) float64
	switch {
	case x < 4:
		return
	case x < 8:
		key = func(j int32) float64 { return -float64(in.demand[j]) }
	case x < 10:
		key = func(j int32) float64 { return -in.order.far[j] }
	case x < 11:
		key = func(j int32) float64 { return in.order.far[j] }
	case x < 13:
		key = func(j int32) float64 { return in.order.tws[j] }
	default:
		key = func(j int32) float64 { return in.order.twe[j] }
	}
	sort.SliceStable(list, func(a, b int) bool { return key(list[a]) < key(list[b]) })
}
