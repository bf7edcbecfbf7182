package vrptw

import (
	"fmt"
	"time"
)

// NearestNeighbour builds a plan with the classic nearest-neighbour
// heuristic: each vehicle in turn leaves its start and repeatedly drives to
// the closest job it can still serve in time and within capacity. It is the
// baseline the benchmark compares the solver against.
func NearestNeighbour(p *Problem) (*Solution, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	start := time.Now()
	in := newInst(p)
	s := newState(in)
	left := len(in.active)
	for k := 0; k < in.nv && left > 0; k++ {
		rt := &s.routes[k]
		for {
			m := len(rt.jobs)
			last := &rt.fwd[m]
			bestJ, bestW, bestD := int32(-1), int8(0), 0.0
			for _, j := range in.active {
				if s.where[j] >= 0 || !in.allowed(j, k) || in.jskill[j]&^in.vskill[k] != 0 || m+1 > in.vmax[k] {
					continue
				}
				d := in.vdist[k][int(last.last)*in.L+int(in.loc[j])]
				if bestJ >= 0 && d >= bestD {
					continue
				}
				for w := range in.wins[j] {
					js := in.jobSeg(j, int8(w))
					if _, fine := in.tryAt(s, k, rt, m, &js); fine {
						bestJ, bestW, bestD = j, int8(w), d
						break
					}
				}
			}
			if bestJ < 0 {
				break
			}
			rt.jobs = append(rt.jobs, bestJ)
			s.where[bestJ] = int32(k)
			s.win[bestJ] = bestW
			in.rebuild(s, k)
			left--
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
	sv := &solver{in: in, start: start}
	sol := sv.output(s)
	if err := Check(p, sol); err != nil {
		return nil, fmt.Errorf("vrptw: internal error, nearest-neighbour plan fails its check: %w", err)
	}
	return sol, nil
}
