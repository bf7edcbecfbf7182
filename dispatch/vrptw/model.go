// Package vrptw plans vehicle routes with time windows: jobs with demands,
// alternative time windows and allowed vehicles, served by a heterogeneous
// fleet with shifts, capacities and per-profile travel matrices. The solver is
// an anytime slack-induction-by-string-removal (SISR) ruin-and-recreate search
// with a fleet-minimisation phase, time-window segment data for constant-time
// move evaluation and a granular local search; it never returns a route that
// breaks a hard constraint.
package vrptw

import (
	"errors"
	"fmt"
	"math"
)

// TimeWindow is an interval in which service at a job may start (both ends
// inclusive), in the time unit of the travel matrices (seconds in dispatch,
// abstract units in the Solomon benchmark).
type TimeWindow struct {
	Start, End float64
}

// JobKind says whether a job takes a load into the vehicle or leaves one.
type JobKind uint8

// Job kinds.
const (
	// Pickup: the load is collected at the stop and stays on board until the
	// route ends (a dossier carried to the office).
	Pickup JobKind = iota
	// Delivery: the load is on board from the route's start and leaves at
	// the stop (a result carried from the office to the citizen).
	Delivery
)

// Break is a courier's rest within a shift (lunch): it lasts Duration and
// starts within Window; the courier takes it where the previous stop was (or
// at the start before leaving), without travelling.
type Break struct {
	Window   TimeWindow
	Duration float64
}

// Job is one stop to visit.
type Job struct {
	// ID is an optional caller label carried through to errors.
	ID string
	// Location indexes the rows and columns of the travel matrices.
	Location int
	// Demand is the load the job takes in the vehicle (parcels).
	Demand int
	// Service is the time spent at the stop.
	Service float64
	// Windows holds 1 to 4 alternative windows; one of them must be respected.
	// Empty means any time within the vehicle's shift.
	Windows []TimeWindow
	// Allowed lists the vehicles that may serve the job (zone, office, COD
	// ability, dispatcher pins). Nil means every vehicle.
	Allowed []int
	// Kind is Pickup (the zero value) or Delivery. The vehicle's load at
	// every point of a route is the deliveries still on board plus the
	// pickups made, and never exceeds its capacity (simultaneous pickup and
	// delivery).
	Kind JobKind
	// Skills is the set of skills (bits) a vehicle needs to serve the job:
	// collecting cash, a vehicle kind; see Vehicle.Skills.
	Skills uint64
	// PrevVehicle is the vehicle that had the job in the previous plan, or -1
	// (or any negative value) when there was none. Moving the job to another
	// vehicle costs Problem.ReassignCost.
	PrevVehicle int
}

// Vehicle is one courier with a shift.
type Vehicle struct {
	// ID is an optional caller label carried through to errors.
	ID string
	// Start and End are locations (matrix indices) where the route begins and
	// ends; re-planning sets Start to the courier's current position.
	Start, End int
	// ShiftStart is the earliest departure, ShiftEnd the latest arrival at End.
	ShiftStart, ShiftEnd float64
	// Capacity is the maximum load; it must be positive.
	Capacity int
	// MaxStops bounds the number of jobs on the route; 0 means no bound.
	MaxStops int
	// FixedCost is paid when the vehicle is used at all.
	FixedCost float64
	// CostPerDistance and CostPerTime weigh the route's distance and its
	// duration (from departure to return, waiting included). When both are
	// zero CostPerDistance is taken as 1.
	CostPerDistance, CostPerTime float64
	// Profile selects the travel matrices in Problem.Profiles.
	Profile int
	// Skills is the set of skills (bits) the vehicle has; it serves only
	// jobs whose Skills it holds all of.
	Skills uint64
	// Break, when set, is a rest every route of the vehicle takes once.
	Break *Break
	// MaxDuration bounds the route's duration from departure to return,
	// waits and the break included; 0 means no bound beyond the shift.
	MaxDuration float64
}

// Profile holds dense travel matrices for one vehicle kind, row-major:
// Distance[a*n+b] and Time[a*n+b] for n locations.
type Profile struct {
	Distance []float64
	Time     []float64
}

// Problem is a complete planning instance.
type Problem struct {
	// NumLocations is the side of every matrix.
	NumLocations int
	Profiles     []Profile
	Jobs         []Job
	Vehicles     []Vehicle
	// ReassignCost is added for every job served by a vehicle other than its
	// PrevVehicle.
	ReassignCost float64
}

// Reason says why a job is left out of a plan.
type Reason string

// Reasons for unassigned jobs.
const (
	// ReasonNoVehicle: no vehicle is allowed to serve the job.
	ReasonNoVehicle Reason = "no_vehicle"
	// ReasonCapacity: the demand exceeds every allowed vehicle's capacity.
	ReasonCapacity Reason = "capacity"
	// ReasonWindowImpossible: no allowed vehicle could reach the job within a
	// window and get back in its shift, even serving it alone.
	ReasonWindowImpossible Reason = "window_impossible"
	// ReasonSkill: no allowed vehicle has every skill the job needs (a
	// delivery with a fee to collect and no courier who may take cash).
	ReasonSkill Reason = "skill"
	// ReasonNoRoom: the job is feasible alone but does not fit in the plan.
	ReasonNoRoom Reason = "no_room"
)

// ErrInvalid is wrapped by every validation error.
var ErrInvalid = errors.New("invalid problem")

func jobName(i int, j *Job) string {
	if j.ID != "" {
		return fmt.Sprintf("job %d (%q)", i, j.ID)
	}
	return fmt.Sprintf("job %d", i)
}

func vehName(k int, v *Vehicle) string {
	if v.ID != "" {
		return fmt.Sprintf("vehicle %d (%q)", k, v.ID)
	}
	return fmt.Sprintf("vehicle %d", k)
}

func finite(x float64) bool { return !math.IsNaN(x) && !math.IsInf(x, 0) }

// Validate checks the problem and returns an error naming the first faulty
// item (job i, vehicle k, profile p).
func (p *Problem) Validate() error {
	if p == nil {
		return fmt.Errorf("%w: nil problem", ErrInvalid)
	}
	n := p.NumLocations
	if n <= 0 {
		return fmt.Errorf("%w: NumLocations must be positive, got %d", ErrInvalid, n)
	}
	if len(p.Profiles) == 0 {
		return fmt.Errorf("%w: no travel profile", ErrInvalid)
	}
	for i, pr := range p.Profiles {
		if len(pr.Distance) != n*n || len(pr.Time) != n*n {
			return fmt.Errorf("%w: profile %d: matrices must have %d×%d entries, got distance %d, time %d",
				ErrInvalid, i, n, n, len(pr.Distance), len(pr.Time))
		}
		for k := range pr.Distance {
			if !finite(pr.Distance[k]) || pr.Distance[k] < 0 || !finite(pr.Time[k]) || pr.Time[k] < 0 {
				return fmt.Errorf("%w: profile %d: entry (%d,%d) is negative or not finite", ErrInvalid, i, k/n, k%n)
			}
		}
	}
	if len(p.Vehicles) == 0 {
		return fmt.Errorf("%w: no vehicle", ErrInvalid)
	}
	if !finite(p.ReassignCost) || p.ReassignCost < 0 {
		return fmt.Errorf("%w: ReassignCost must be a non-negative number", ErrInvalid)
	}
	for k := range p.Vehicles {
		v := &p.Vehicles[k]
		name := vehName(k, v)
		switch {
		case v.Start < 0 || v.Start >= n || v.End < 0 || v.End >= n:
			return fmt.Errorf("%w: %s: start %d or end %d outside 0..%d", ErrInvalid, name, v.Start, v.End, n-1)
		case !finite(v.ShiftStart) || !finite(v.ShiftEnd):
			return fmt.Errorf("%w: %s: shift bounds must be finite", ErrInvalid, name)
		case v.ShiftEnd < v.ShiftStart:
			return fmt.Errorf("%w: %s: shift ends (%g) before it starts (%g)", ErrInvalid, name, v.ShiftEnd, v.ShiftStart)
		case v.Capacity <= 0:
			return fmt.Errorf("%w: %s: capacity must be positive, got %d", ErrInvalid, name, v.Capacity)
		case v.MaxStops < 0:
			return fmt.Errorf("%w: %s: negative MaxStops %d", ErrInvalid, name, v.MaxStops)
		case !finite(v.FixedCost) || v.FixedCost < 0 || !finite(v.CostPerDistance) || v.CostPerDistance < 0 ||
			!finite(v.CostPerTime) || v.CostPerTime < 0:
			return fmt.Errorf("%w: %s: costs must be non-negative numbers", ErrInvalid, name)
		case v.Profile < 0 || v.Profile >= len(p.Profiles):
			return fmt.Errorf("%w: %s: profile %d outside 0..%d", ErrInvalid, name, v.Profile, len(p.Profiles)-1)
		case !finite(v.MaxDuration) || v.MaxDuration < 0:
			return fmt.Errorf("%w: %s: MaxDuration must be a non-negative number", ErrInvalid, name)
		}
		if b := v.Break; b != nil {
			switch {
			case !finite(b.Duration) || b.Duration <= 0:
				return fmt.Errorf("%w: %s: break duration must be a positive number", ErrInvalid, name)
			case !finite(b.Window.Start) || !finite(b.Window.End) || b.Window.End < b.Window.Start:
				return fmt.Errorf("%w: %s: break window ends (%g) before it starts (%g)", ErrInvalid, name, b.Window.End, b.Window.Start)
			case b.Duration > v.ShiftEnd-v.ShiftStart:
				return fmt.Errorf("%w: %s: break of %g is longer than the shift (%g to %g)", ErrInvalid, name, b.Duration, v.ShiftStart, v.ShiftEnd)
			case b.Window.End < v.ShiftStart || b.Window.Start+b.Duration > v.ShiftEnd:
				return fmt.Errorf("%w: %s: break window %g–%g does not fit in the shift %g–%g", ErrInvalid, name, b.Window.Start, b.Window.End, v.ShiftStart, v.ShiftEnd)
			case v.MaxDuration > 0 && b.Duration > v.MaxDuration:
				return fmt.Errorf("%w: %s: break of %g is longer than the maximum route duration %g", ErrInvalid, name, b.Duration, v.MaxDuration)
			}
		}
	}
	for i := range p.Jobs {
		j := &p.Jobs[i]
		name := jobName(i, j)
		switch {
		case j.Location < 0 || j.Location >= n:
			return fmt.Errorf("%w: %s: location %d outside 0..%d", ErrInvalid, name, j.Location, n-1)
		case j.Demand < 0:
			return fmt.Errorf("%w: %s: negative demand %d", ErrInvalid, name, j.Demand)
		case j.Demand > MaxDemand:
			return fmt.Errorf("%w: %s: demand %d over %d", ErrInvalid, name, j.Demand, MaxDemand)
		case j.Kind != Pickup && j.Kind != Delivery:
			return fmt.Errorf("%w: %s: unknown kind %d", ErrInvalid, name, j.Kind)
		case !finite(j.Service) || j.Service < 0:
			return fmt.Errorf("%w: %s: service time must be a non-negative number", ErrInvalid, name)
		case len(j.Windows) > MaxWindows:
			return fmt.Errorf("%w: %s: %d time windows, at most %d", ErrInvalid, name, len(j.Windows), MaxWindows)
		case j.PrevVehicle >= len(p.Vehicles):
			return fmt.Errorf("%w: %s: previous vehicle %d does not exist", ErrInvalid, name, j.PrevVehicle)
		}
		for w, tw := range j.Windows {
			if !finite(tw.Start) || !finite(tw.End) || tw.End < tw.Start {
				return fmt.Errorf("%w: %s: window %d ends (%g) before it starts (%g)", ErrInvalid, name, w, tw.End, tw.Start)
			}
		}
		for _, k := range j.Allowed {
			if k < 0 || k >= len(p.Vehicles) {
				return fmt.Errorf("%w: %s: allowed vehicle %d does not exist", ErrInvalid, name, k)
			}
		}
	}
	return nil
}

// MaxDemand is the largest demand of one job (loads are summed in 32 bits).
const MaxDemand = 1 << 16

// MaxWindows is the largest number of alternative windows a job may offer.
const MaxWindows = 4
