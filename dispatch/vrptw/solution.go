package vrptw

import (
	"fmt"
	"math"
	"time"
)

// Stop is one visit in a planned route.
type Stop struct {
	// Job indexes Problem.Jobs.
	Job int
	// Window is the index of the job's window that the plan respects (0 when
	// the job has no window).
	Window int
	// Arrival is the arrival time at the stop; Start the start of service
	// (after any wait); Departure the end of service.
	Arrival, Start, Departure float64
}

// Route is the plan of one vehicle.
type Route struct {
	Vehicle int
	Stops   []Stop
	// Departure is the time the vehicle leaves its start (as late as possible
	// without changing any service time); Return its arrival at its end.
	Departure, Return float64
	Distance          float64
	// Load is the most the vehicle carries at any point: deliveries still
	// on board plus pickups made.
	Load int
	Cost float64
	// Break is where and when the vehicle's break is taken; nil when the
	// vehicle has none.
	Break *RouteBreak
}

// RouteBreak places a route's break: after the first After stops (0: at the
// start before leaving), where the last of them is, from Start to End.
type RouteBreak struct {
	After      int
	Start, End float64
}

// Unassigned is a job left out of the plan with the reason.
type Unassigned struct {
	Job    int
	Reason Reason
}

// Solution is a plan: routes of the used vehicles in vehicle order, and the
// jobs that could not be placed.
type Solution struct {
	Routes     []Route
	Unassigned []Unassigned
	// Cost is the objective: fixed costs plus distance and time costs plus
	// reassignment penalties (unassigned jobs are not priced here).
	Cost     float64
	Distance float64
	// Vehicles is the number of non-empty routes.
	Vehicles int
	// Iterations is the number of search iterations done.
	Iterations int
	// Elapsed is the wall time of the search.
	Elapsed time.Duration
}

// Progress reports a new best plan during the search.
type Progress struct {
	Iteration  int
	Elapsed    time.Duration
	Cost       float64
	Distance   float64
	Vehicles   int
	Unassigned int
}

// InitialRoute is a route of a previous plan used to warm-start the search.
type InitialRoute struct {
	Vehicle int
	Jobs    []int
}

// Options tune a solve.
type Options struct {
	// TimeLimit stops the search; zero means no time limit (then
	// MaxIterations must be set).
	TimeLimit time.Duration
	// MaxIterations stops the search after that many ruin-and-recreate
	// iterations; zero means no bound. With MaxIterations set and a time limit
	// that does not bind, the result depends only on the problem and Seed.
	MaxIterations int
	// Seed drives every random choice.
	Seed uint64
	// MinimiseVehicles runs a fleet-minimisation phase first (vehicles first,
	// then cost).
	MinimiseVehicles bool
	// Initial warm-starts the search from a previous plan; routes or stops
	// that are no longer feasible are dropped and their jobs re-inserted.
	Initial []InitialRoute
	// Progress, when set, is called with every new best plan.
	Progress func(Progress)
	// StartTemperature and EndTemperature set the simulated-annealing
	// acceptance, as shares of the mean travel cost per job of the first plan;
	// zero means the defaults.
	StartTemperature, EndTemperature float64
	// RuinSize is the mean number of jobs removed per iteration (default 10).
	RuinSize int
}

// Check verifies that sol respects every hard constraint of p and that every
// job is either routed once or listed as unassigned. It recomputes times from
// the matrices in route order; it is the Go-side evaluator used by tests and
// before returning a plan.
func Check(p *Problem, sol *Solution) error {
	const eps = 1e-6
	seen := make([]bool, len(p.Jobs))
	usedVeh := make([]bool, len(p.Vehicles))
	for ri, r := range sol.Routes {
		if r.Vehicle < 0 || r.Vehicle >= len(p.Vehicles) {
			return fmt.Errorf("route %d: vehicle %d does not exist", ri, r.Vehicle)
		}
		if usedVeh[r.Vehicle] {
			return fmt.Errorf("route %d: vehicle %d used twice", ri, r.Vehicle)
		}
		usedVeh[r.Vehicle] = true
		v := &p.Vehicles[r.Vehicle]
		if v.MaxStops > 0 && len(r.Stops) > v.MaxStops {
			return fmt.Errorf("route %d: %d stops, vehicle %d allows %d", ri, len(r.Stops), r.Vehicle, v.MaxStops)
		}
		pr := &p.Profiles[v.Profile]
		n := p.NumLocations
		depart := math.Max(v.ShiftStart, r.Departure)
		t := depart
		// Deliveries are on board from the start.
		load := 0
		for _, s := range r.Stops {
			if s.Job >= 0 && s.Job < len(p.Jobs) && p.Jobs[s.Job].Kind == Delivery {
				load += p.Jobs[s.Job].Demand
			}
		}
		if load > v.Capacity {
			return fmt.Errorf("route %d: leaves with %d deliveries, over capacity %d of vehicle %d", ri, load, v.Capacity, r.Vehicle)
		}
		if (v.Break == nil) != (r.Break == nil) && len(r.Stops) > 0 {
			return fmt.Errorf("route %d: vehicle %d break planned %v, expected %v", ri, r.Vehicle, r.Break != nil, v.Break != nil)
		}
		takeBreak := func(after int) error {
			if r.Break == nil || r.Break.After != after {
				return nil
			}
			b := v.Break
			bs := math.Max(t, b.Window.Start)
			if bs > b.Window.End+eps {
				return fmt.Errorf("route %d: vehicle %d break starts at %g after its window ends at %g", ri, r.Vehicle, bs, b.Window.End)
			}
			t = bs + b.Duration
			return nil
		}
		if r.Break != nil && (r.Break.After < 0 || r.Break.After > len(r.Stops)) {
			return fmt.Errorf("route %d: break after stop %d of %d", ri, r.Break.After, len(r.Stops))
		}
		if err := takeBreak(0); err != nil {
			return err
		}
		loc := v.Start
		for si, s := range r.Stops {
			if s.Job < 0 || s.Job >= len(p.Jobs) {
				return fmt.Errorf("route %d: job %d does not exist", ri, s.Job)
			}
			if seen[s.Job] {
				return fmt.Errorf("route %d: job %d served twice", ri, s.Job)
			}
			seen[s.Job] = true
			j := &p.Jobs[s.Job]
			if !allowed(j, r.Vehicle) {
				return fmt.Errorf("route %d: job %d not allowed on vehicle %d", ri, s.Job, r.Vehicle)
			}
			if j.Skills&^v.Skills != 0 {
				return fmt.Errorf("route %d: job %d needs skills vehicle %d lacks", ri, s.Job, r.Vehicle)
			}
			t += pr.Time[loc*n+j.Location]
			ws, we := v.ShiftStart, v.ShiftEnd
			if len(j.Windows) > 0 {
				if s.Window < 0 || s.Window >= len(j.Windows) {
					return fmt.Errorf("route %d: job %d has no window %d", ri, s.Job, s.Window)
				}
				ws, we = j.Windows[s.Window].Start, j.Windows[s.Window].End
			}
			if t < ws {
				t = ws
			}
			if t > we+eps {
				return fmt.Errorf("route %d: job %d served at %g after its window ends at %g", ri, s.Job, t, we)
			}
			t += j.Service
			if j.Kind == Delivery {
				load -= j.Demand
			} else {
				load += j.Demand
			}
			if load > v.Capacity {
				return fmt.Errorf("route %d: load %d over capacity %d of vehicle %d after job %d", ri, load, v.Capacity, r.Vehicle, s.Job)
			}
			loc = j.Location
			if err := takeBreak(si + 1); err != nil {
				return err
			}
		}
		t += pr.Time[loc*n+v.End]
		if t > v.ShiftEnd+eps {
			return fmt.Errorf("route %d: vehicle %d back at %g after its shift ends at %g", ri, r.Vehicle, t, v.ShiftEnd)
		}
		if v.MaxDuration > 0 && t-depart > v.MaxDuration+eps {
			return fmt.Errorf("route %d: vehicle %d out for %g, more than its maximum %g", ri, r.Vehicle, t-depart, v.MaxDuration)
		}
	}
	for _, u := range sol.Unassigned {
		if u.Job < 0 || u.Job >= len(p.Jobs) {
			return fmt.Errorf("unassigned job %d does not exist", u.Job)
		}
		if seen[u.Job] {
			return fmt.Errorf("job %d both routed and unassigned", u.Job)
		}
		seen[u.Job] = true
	}
	for i, s := range seen {
		if !s {
			return fmt.Errorf("job %d neither routed nor unassigned", i)
		}
	}
	return nil
}

func allowed(j *Job, v int) bool {
	if j.Allowed == nil {
		return true
	}
	for _, k := range j.Allowed {
		if k == v {
			return true
		}
	}
	return false
}
