package vrptw

// ruinAround removes strings of consecutive jobs from routes near a seed job
// (SISR's adjacent string removal) and appends the removed jobs to out. The
// seed may be unassigned (then the routes of its neighbours are ruined to make
// room for it); seed < 0 picks a random routed job.
func (in *inst) ruinAround(s *state, r *rng, cbar int, seed int32, out []int32) []int32 {
	const lmax = 10
	// Average route cardinality.
	tot, used := 0, 0
	for k := range s.routes {
		if m := len(s.routes[k].jobs); m > 0 {
			tot += m
			used++
		}
	}
	if used == 0 {
		return out
	}
	lsmax := float64(tot) / float64(used)
	if lsmax > lmax {
		lsmax = lmax
	}
	ksmax := 4*float64(cbar)/(1+lsmax) - 1
	if ksmax < 1 {
		ksmax = 1
	}
	ks := int(1 + r.float()*ksmax)
	// Random routed seed.
	for tries := 0; tries < 64 && seed < 0; tries++ {
		j := in.active[r.intn(len(in.active))]
		if s.where[j] >= 0 {
			seed = j
		}
	}
	if seed < 0 {
		for _, j := range in.active {
			if s.where[j] >= 0 {
				seed = j
				break
			}
		}
	}
	var ruined [8]int
	nr := 0
	isRuined := func(k int) bool {
		for i := 0; i < nr; i++ {
			if ruined[i] == k {
				return true
			}
		}
		return false
	}
	visit := func(c int32) {
		k := int(s.where[c])
		if k < 0 || isRuined(k) {
			return
		}
		rt := &s.routes[k]
		m := len(rt.jobs)
		lmaxT := float64(m)
		if lsmax < lmaxT {
			lmaxT = lsmax
		}
		l := int(1 + r.float()*lmaxT)
		if l > m {
			l = m
		}
		pos := 0
		for i, j := range rt.jobs {
			if j == c {
				pos = i
				break
			}
		}
		if l == m || r.float() < 0.5 {
			// String of l jobs containing pos.
			start := pos - r.intn(l)
			if start < 0 {
				start = 0
			}
			if start+l > m {
				start = m - l
			}
			out = in.cut(s, k, start, l, 0, out)
		} else {
			// Split string: l+extra jobs, extra of them kept.
			extra := 1
			for l+extra < m && r.float() < 0.5 {
				extra++
			}
			span := l + extra
			start := pos - r.intn(span)
			if start < 0 {
				start = 0
			}
			if start+span > m {
				start = m - span
			}
			keepAt := r.intn(span - extra + 1)
			out = in.cut(s, k, start, span, extra, out, keepAt)
		}
		ruined[nr] = k
		nr++
	}
	visit(seed)
	for _, c := range in.neigh[seed] {
		if nr >= ks || nr >= len(ruined) {
			break
		}
		visit(c)
	}
	return out
}

// cut removes span jobs from route k starting at start, except keep
// consecutive ones starting keepAt[0] within the span, and rebuilds it.
func (in *inst) cut(s *state, k, start, span, keep int, out []int32, keepAt ...int) []int32 {
	rt := &s.routes[k]
	ka := -1
	if keep > 0 && len(keepAt) > 0 {
		ka = keepAt[0]
	}
	w := start
	for i := start; i < len(rt.jobs); i++ {
		j := rt.jobs[i]
		off := i - start
		inSpan := off < span
		kept := ka >= 0 && off >= ka && off < ka+keep
		if inSpan && !kept {
			out = append(out, j)
			s.where[j] = -1
			continue
		}
		rt.jobs[w] = j
		w++
	}
	rt.jobs = rt.jobs[:w]
	in.rebuild(s, k)
	return out
}
