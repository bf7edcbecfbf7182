package vrptw

// seg summarises a sequence of consecutive visits for constant-time
// evaluation of concatenations (Vidal et al. 2013, "time warp" segments):
// its minimal duration, its total time warp (lateness forced by windows, zero
// when the sequence is feasible), the earliest and latest start of its first
// service that reach these values, its distance and load, and its end points.
//
// Loads follow simultaneous pickup and delivery: del is the deliveries the
// sequence drops (on board when it starts), pick the pickups it collects,
// peak the most it carries at any point counting only its own jobs; load is
// del+pick.
type seg struct {
	dur, tw, early, late, dist float64
	load, del, pick, peak      int32
	first, last                int32
}

// concat joins a and b; t and d are the travel time and distance from a's
// last location to b's first.
func concat(a, b *seg, t, d float64) seg {
	delta := a.dur - a.tw + t
	deltaWait := b.early - delta - a.late
	if deltaWait < 0 {
		deltaWait = 0
	}
	deltaTW := a.early + delta - b.late
	if deltaTW < 0 {
		deltaTW = 0
	}
	early := b.early - delta
	if a.early > early {
		early = a.early
	}
	late := b.late - delta
	if a.late < late {
		late = a.late
	}
	return seg{
		dur:   a.dur + b.dur + t + deltaWait,
		tw:    a.tw + b.tw + deltaTW,
		early: early - deltaWait,
		late:  late + deltaTW,
		dist:  a.dist + b.dist + d,
		load:  a.load + b.load,
		del:   a.del + b.del,
		pick:  a.pick + b.pick,
		peak:  max(a.peak+b.del, a.pick+b.peak),
		first: a.first,
		last:  b.last,
	}
}

// twEps absorbs floating-point noise when summing truncated distances; the
// independent checker allows 1e-6.
const twEps = 1e-7
