package vrptw

// ejectInsert tries to place the unassigned job s.unassigned[idx] by ejecting
// one routed job whose absence count is lower than its own (the ejection
// pool idea of Nagata & Bräysy's route minimisation, with one ejection). The
// ejected job takes its place in the unassigned list. Every insertion
// position and ejected job is tried, with segment data extended step by step
// so that a route of m jobs costs O(m²). With r nil the cheapest ejection of
// the lowest count wins; otherwise one of the lowest-count ejections at
// random, so that repeated tries explore different chains.
func (in *inst) ejectInsert(s *state, idx int, absent []int, r *rng) bool {
	j := s.unassigned[idx]
	type cand struct {
		k, i, q int // route, insert after node i, remove node q
		w       int8
		score   int
		dist    float64
	}
	best := cand{k: -1}
	ties := 0
	better := func(c cand) bool {
		switch {
		case best.k < 0 || c.score < best.score:
			ties = 1
			return true
		case c.score > best.score:
			return false
		case r != nil:
			ties++
			return r.intn(ties) == 0
		}
		return c.dist < best.dist
	}
	limit := absent[j]
	for k := 0; k < in.nv; k++ {
		rt := &s.routes[k]
		m := len(rt.jobs)
		if m == 0 || !in.allowed(j, k) {
			continue
		}
		load := rt.fwd[m+1].load
		hasBrk := in.vbrk[k] != nil
		ok := func(q int) (int, bool) {
			e := rt.jobs[q-1]
			a := absent[e]
			if hasBrk && q == rt.bp {
				// The break goes with the node; not tried.
				return a, false
			}
			return a, a < limit && (in.mixed || int(load)-in.demand[e]+in.demand[j] <= in.vcap[k])
		}
		node := func(q int) seg {
			return in.node(s, k, rt, q)
		}
		for w := range in.wins[j] {
			js := in.jobSeg(j, int8(w))
			// Insert after node i, remove a later node q.
			for i := 0; i < m; i++ {
				mid := in.join(k, &rt.fwd[i], &js)
				if !in.ok(k, &mid) {
					continue
				}
				for q := i + 1; q <= m; q++ {
					if sc, fine := ok(q); fine {
						c := in.join(k, &mid, &rt.bwd[q+1])
						if in.ok(k, &c) {
							cd := cand{k: k, i: i, q: q, w: int8(w), score: sc, dist: c.dist - rt.fwd[m+1].dist}
							if better(cd) {
								best = cd
							}
						}
					}
					ns := node(q)
					mid = in.join(k, &mid, &ns)
					if !in.ok(k, &mid) {
						break
					}
				}
			}
			// Remove node q, insert after a later node i.
			for q := 1; q <= m; q++ {
				sc, fine := ok(q)
				if !fine {
					continue
				}
				pre := rt.fwd[q-1]
				for i := q + 1; i <= m; i++ {
					ns := node(i)
					pre = in.join(k, &pre, &ns)
					if !in.ok(k, &pre) {
						break
					}
					a := in.join(k, &pre, &js)
					if !in.ok(k, &a) {
						continue
					}
					c := in.join(k, &a, &rt.bwd[i+1])
					if in.ok(k, &c) {
						cd := cand{k: k, i: i, q: q, w: int8(w), score: sc, dist: c.dist - rt.fwd[m+1].dist}
						if better(cd) {
							best = cd
						}
					}
				}
			}
		}
	}
	if best.k < 0 {
		return false
	}
	rt := &s.routes[best.k]
	ej := rt.jobs[best.q-1]
	// Build the new job order: nodes are 1-based in the route.
	old := append([]int32(nil), rt.jobs...)
	rt.jobs = rt.jobs[:0]
	if best.i == 0 {
		rt.jobs = append(rt.jobs, j)
	}
	for n := 1; n <= len(old); n++ {
		if n != best.q {
			rt.jobs = append(rt.jobs, old[n-1])
		}
		if n == best.i {
			rt.jobs = append(rt.jobs, j)
		}
	}
	s.where[j] = int32(best.k)
	s.win[j] = best.w
	s.where[ej] = -1
	s.unassigned[idx] = ej
	in.rebuild(s, best.k)
	return true
}
