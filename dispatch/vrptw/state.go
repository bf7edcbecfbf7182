package vrptw

import "math"

// rt is one vehicle's route with its forward and backward segment data:
// node 0 is the start, nodes 1..k the jobs, node k+1 the end; fwd[i] covers
// nodes 0..i and bwd[i] nodes i..k+1.
type rt struct {
	jobs []int32
	fwd  []seg
	bwd  []seg
	locs []int32   // location of every node 0..k+1
	edge []float64 // distance node i → node i+1
	cost float64
	// For a vehicle with a break: bp is the node after which the break is
	// taken (0 before leaving the start, m after the last job); fwd[i]
	// includes it when bp <= i and bwd[i] when bp >= i. fwdP and bwdP are
	// the same data without the break.
	bp         int
	fwdP, bwdP []seg
}

// state is a (possibly partial) plan.
type state struct {
	routes     []rt
	where      []int32 // vehicle of each job, -1 when unassigned
	win        []int8  // chosen window of each job
	unassigned []int32 // active jobs not in any route
	cost       float64
	dirty      []bool
	dirtyList  []int
	near       []uint32 // scratch for the granular filter
	nearMark   uint32
}

func newState(in *inst) *state {
	s := &state{
		routes: make([]rt, in.nv),
		where:  make([]int32, in.n),
		win:    make([]int8, in.n),
		dirty:  make([]bool, in.nv),
		near:   make([]uint32, in.nv),
	}
	for i := range s.where {
		s.where[i] = -1
	}
	for k := range s.routes {
		in.rebuild(s, k)
	}
	s.unassigned = append(s.unassigned, in.active...)
	in.recost(s)
	return s
}

func (s *state) touch(k int) {
	if !s.dirty[k] {
		s.dirty[k] = true
		s.dirtyList = append(s.dirtyList, k)
	}
}

// syncFrom makes s equal to src, copying only the routes either side marked
// dirty since the last sync; both dirty sets are cleared.
func (s *state) syncFrom(src *state) {
	for _, k := range s.dirtyList {
		copyRoute(&s.routes[k], &src.routes[k])
		s.dirty[k] = false
	}
	for _, k := range src.dirtyList {
		if s.dirty[k] {
			continue
		}
		copyRoute(&s.routes[k], &src.routes[k])
	}
	for _, k := range src.dirtyList {
		src.dirty[k] = false
	}
	for _, k := range s.dirtyList {
		s.dirty[k] = false
	}
	s.dirtyList = s.dirtyList[:0]
	src.dirtyList = src.dirtyList[:0]
	copy(s.where, src.where)
	copy(s.win, src.win)
	s.unassigned = append(s.unassigned[:0], src.unassigned...)
	s.cost = src.cost
}

// copyAll makes s equal to src regardless of dirty marks.
func (s *state) copyAll(src *state) {
	for k := range s.routes {
		copyRoute(&s.routes[k], &src.routes[k])
		s.dirty[k] = false
	}
	s.dirtyList = s.dirtyList[:0]
	copy(s.where, src.where)
	copy(s.win, src.win)
	s.unassigned = append(s.unassigned[:0], src.unassigned...)
	s.cost = src.cost
}

// clearDirty forgets which routes changed.
func (s *state) clearDirty() {
	for _, k := range s.dirtyList {
		s.dirty[k] = false
	}
	s.dirtyList = s.dirtyList[:0]
}

func copyRoute(d, s *rt) {
	d.jobs = append(d.jobs[:0], s.jobs...)
	d.fwd = append(d.fwd[:0], s.fwd...)
	d.bwd = append(d.bwd[:0], s.bwd...)
	d.locs = append(d.locs[:0], s.locs...)
	d.edge = append(d.edge[:0], s.edge...)
	d.cost = s.cost
	d.bp = s.bp
	d.fwdP = append(d.fwdP[:0], s.fwdP...)
	d.bwdP = append(d.bwdP[:0], s.bwdP...)
}

// node is the segment of node i of route r on vehicle k (0 the start, m+1
// the end), with the break when it is taken there.
func (in *inst) node(s *state, k int, r *rt, i int) seg {
	x := in.plainNode(s, k, r, i)
	if in.vbrk[k] != nil && i == r.bp {
		x = in.withBreak(k, &x)
	}
	return x
}

func (in *inst) plainNode(s *state, k int, r *rt, i int) seg {
	switch m := len(r.jobs); {
	case i == 0:
		return in.vstart[k]
	case i == m+1:
		return in.vend[k]
	default:
		j := r.jobs[i-1]
		return in.jobSeg(j, s.win[j])
	}
}

// rebuildBreak recomputes the segment data of route k of a vehicle with a
// break, placing the break after the node where the route is best (least
// time warp, then shortest).
func (in *inst) rebuildBreak(s *state, k int) {
	r := &s.routes[k]
	m := len(r.jobs)
	grow := func(x []seg) []seg {
		if cap(x) < m+2 {
			return make([]seg, m+2, 2*m+4)
		}
		return x[:m+2]
	}
	r.fwd, r.bwd, r.fwdP, r.bwdP = grow(r.fwd), grow(r.bwd), grow(r.fwdP), grow(r.bwdP)
	r.fwdP[0] = in.vstart[k]
	for i := 1; i <= m+1; i++ {
		x := in.plainNode(s, k, r, i)
		r.fwdP[i] = in.join(k, &r.fwdP[i-1], &x)
	}
	r.bwdP[m+1] = in.vend[k]
	for i := m; i >= 0; i-- {
		x := in.plainNode(s, k, r, i)
		r.bwdP[i] = in.join(k, &x, &r.bwdP[i+1])
	}
	best := seg{tw: math.Inf(1)}
	r.bp = 0
	for i := 0; i <= m; i++ {
		a := in.withBreak(k, &r.fwdP[i])
		c := in.join(k, &a, &r.bwdP[i+1])
		if better2(&c, &best) {
			best, r.bp = c, i
		}
	}
	bp := r.bp
	copy(r.fwd[:bp], r.fwdP[:bp])
	r.fwd[bp] = in.withBreak(k, &r.fwdP[bp])
	for i := bp + 1; i <= m+1; i++ {
		x := in.plainNode(s, k, r, i)
		r.fwd[i] = in.join(k, &r.fwd[i-1], &x)
	}
	copy(r.bwd[bp+1:], r.bwdP[bp+1:])
	for i := bp; i >= 0; i-- {
		x := in.node(s, k, r, i)
		r.bwd[i] = in.join(k, &x, &r.bwd[i+1])
	}
	r.bwd[0] = r.fwd[m+1]
}

// rebuild recomputes route k's segment data and cost.
func (in *inst) rebuild(s *state, k int) {
	r := &s.routes[k]
	m := len(r.jobs)
	if in.vbrk[k] != nil {
		in.rebuildBreak(s, k)
		in.finishRebuild(s, k)
		return
	}
	if cap(r.fwd) < m+2 {
		r.fwd = make([]seg, m+2, 2*m+4)
		r.bwd = make([]seg, m+2, 2*m+4)
	}
	r.fwd = r.fwd[:m+2]
	r.bwd = r.bwd[:m+2]
	r.fwd[0] = in.vstart[k]
	for i, j := range r.jobs {
		js := in.jobSeg(j, s.win[j])
		r.fwd[i+1] = in.join(k, &r.fwd[i], &js)
	}
	r.fwd[m+1] = in.join(k, &r.fwd[m], &in.vend[k])
	r.bwd[m+1] = in.vend[k]
	for i := m - 1; i >= 0; i-- {
		j := r.jobs[i]
		js := in.jobSeg(j, s.win[j])
		r.bwd[i+1] = in.join(k, &js, &r.bwd[i+2])
	}
	r.bwd[0] = r.fwd[m+1]
	in.finishRebuild(s, k)
}

// finishRebuild recomputes route k's locations, edges and cost.
func (in *inst) finishRebuild(s *state, k int) {
	r := &s.routes[k]
	m := len(r.jobs)
	r.locs = r.locs[:0]
	r.locs = append(r.locs, in.vstart[k].first)
	for _, j := range r.jobs {
		r.locs = append(r.locs, in.loc[j])
	}
	r.locs = append(r.locs, in.vend[k].first)
	r.edge = r.edge[:0]
	dist := in.vdist[k]
	for i := 0; i <= m; i++ {
		r.edge = append(r.edge, dist[int(r.locs[i])*in.L+int(r.locs[i+1])])
	}
	r.cost = in.routeCost(k, &r.fwd[m+1], m)
	for _, j := range r.jobs {
		if in.prev[j] >= 0 && in.prev[j] != k {
			r.cost += in.reassign
		}
	}
	s.touch(k)
}

// rebuildFrom updates route k after a job was inserted as jobs[pos] (node
// pos+1): the prefix data before it and the suffix data after it are kept.
func (in *inst) rebuildFrom(s *state, k, pos int) {
	r := &s.routes[k]
	m := len(r.jobs)
	if len(r.fwd) != m+1 || in.vbrk[k] != nil {
		in.rebuild(s, k)
		return
	}
	r.fwd = append(r.fwd, seg{})
	r.bwd = append(r.bwd, seg{})
	r.locs = append(r.locs, 0)
	r.edge = append(r.edge, 0)
	// Shift the suffix data one node right.
	copy(r.bwd[pos+2:], r.bwd[pos+1:m+1])
	copy(r.locs[pos+2:], r.locs[pos+1:m+1])
	copy(r.edge[pos+1:], r.edge[pos:m])
	j := r.jobs[pos]
	r.locs[pos+1] = in.loc[j]
	dist := in.vdist[k]
	L := in.L
	r.edge[pos] = dist[int(r.locs[pos])*L+int(r.locs[pos+1])]
	r.edge[pos+1] = dist[int(r.locs[pos+1])*L+int(r.locs[pos+2])]
	for i := pos; i < m; i++ {
		jj := r.jobs[i]
		js := in.jobSeg(jj, s.win[jj])
		r.fwd[i+1] = in.join(k, &r.fwd[i], &js)
	}
	r.fwd[m+1] = in.join(k, &r.fwd[m], &in.vend[k])
	for i := pos; i >= 0; i-- {
		jj := r.jobs[i]
		js := in.jobSeg(jj, s.win[jj])
		r.bwd[i+1] = in.join(k, &js, &r.bwd[i+2])
	}
	r.bwd[0] = r.fwd[m+1]
	r.cost = in.routeCost(k, &r.fwd[m+1], m)
	for _, jj := range r.jobs {
		if in.prev[jj] >= 0 && in.prev[jj] != k {
			r.cost += in.reassign
		}
	}
	s.touch(k)
}

// routeCost prices a whole-route segment of m jobs (reassignment aside).
func (in *inst) routeCost(k int, total *seg, m int) float64 {
	if m == 0 {
		return 0
	}
	return in.vfix[k] + in.vcd[k]*total.dist + in.vct[k]*total.dur
}

func (in *inst) recost(s *state) {
	c := 0.0
	for k := range s.routes {
		c += s.routes[k].cost
	}
	s.cost = c + float64(len(s.unassigned))*in.penalty
}

// used counts the non-empty routes.
func (s *state) used() int {
	u := 0
	for k := range s.routes {
		if len(s.routes[k].jobs) > 0 {
			u++
		}
	}
	return u
}
