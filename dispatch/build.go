package dispatch

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"time"

	"hoso/dispatch/travel"
	"hoso/dispatch/vrptw"
)

// Position is where a courier is at a moment of the day, for re-planning.
type Position struct {
	Point Point
	At    time.Time
}

// DefaultReassignCost is the price, in metres of travel, of moving a stop
// to another courier when re-planning: a stop changes courier only when that
// saves more than about 3 km of riding.
const DefaultReassignCost = 3000

// Input is everything one plan of an office's day needs.
type Input struct {
	Day   Day
	Hours Hours
	// Offices gives each office's location: routes start and end there
	// unless the shift says otherwise.
	Offices  map[string]Point
	Requests []Request
	Shifts   []Shift
	Absences []Absence
	Pins     []Pin
	// Previous is the plan being re-planned, nil for a first plan. Its
	// routes warm-start the search, and moving one of its stops to another
	// courier costs ReassignCost.
	Previous *Plan
	// Visited lists parcels of Previous the courier has already been to
	// (collected, or failed): they stay at the head of their route and
	// are not planned again.
	Visited map[string]bool
	// Positions gives couriers' known positions; without one, a courier
	// with visited stops is at the last of them.
	Positions map[string]Position
	// Restrict sends a parcel to one courier for this plan only (a manual
	// assignment without a pin).
	Restrict map[string]string
	// Now: nothing is planned before it.
	Now          time.Time
	Model        travel.Model
	ReassignCost float64
}

// Instance is a day turned into a vrptw.Problem, with what is needed to turn
// the solver's answer back into a Plan.
type Instance struct {
	Problem *vrptw.Problem
	// Initial is the previous plan's routes in the problem's indices.
	Initial []vrptw.InitialRoute

	in       Input
	dayStart time.Time
	points   []Point
	jobs     []int // job → index in in.Requests
	vehicles []vehicleRef
	unplaced []Unplaced
	pinned   map[string]bool
}

type vehicleRef struct {
	shift   Shift
	start   Point
	end     Point
	visited []Stop // kept at the head of the route
	inPlan  bool   // has a vrptw vehicle
	index   int    // vrptw vehicle index when inPlan
	depart  time.Time
}

// ErrInput is wrapped by errors about an Input that cannot be planned at
// all (no model, no day, an office without a location).
var ErrInput = errors.New("dispatch: bad planning input")

type locations struct {
	idx map[Point]int
	pts []Point
}

func (l *locations) add(p Point) int {
	if i, ok := l.idx[p]; ok {
		return i
	}
	l.idx[p] = len(l.pts)
	l.pts = append(l.pts, p)
	return len(l.pts) - 1
}

// seconds is t as seconds after the day's midnight.
func seconds(dayStart, t time.Time) float64 { return t.Sub(dayStart).Seconds() }

// dayWindows clips a request's windows to the day's service hours. It tells
// apart a request with no window on the day from one whose windows on the
// day all fall outside service hours.
func dayWindows(r Request, day Day, h Hours) (ws []Window, reason Reason) {
	open, close := day.At(h.Start), day.At(h.End)
	if len(r.Windows) == 0 {
		return []Window{{open, close}}, ""
	}
	onDay := false
	for _, w := range r.Windows {
		if !w.End.After(day.Start()) || !w.Start.Before(day.End()) {
			continue
		}
		onDay = true
		s, e := w.Start, w.End
		if s.Before(open) {
			s = open
		}
		if e.After(close) {
			e = close
		}
		if e.After(s) {
			ws = append(ws, Window{s, e})
		}
	}
	switch {
	case len(ws) > 0:
		if len(ws) > vrptw.MaxWindows {
			ws = ws[:vrptw.MaxWindows]
		}
		return ws, ""
	case onDay:
		return nil, ReasonOutsideHours
	}
	return nil, ReasonNoWindowToday
}

// Build turns the day into a planning problem. Requests that cannot be
// planned at all (no shift at their office, no courier allowed, windows on
// another day or outside service hours) are set aside with their reason.
func Build(in Input) (*Instance, error) {
	if in.Model == nil {
		return nil, fmt.Errorf("%w: no travel model", ErrInput)
	}
	if in.Day.IsZero() {
		return nil, fmt.Errorf("%w: no day", ErrInput)
	}
	if in.Hours.End <= in.Hours.Start {
		return nil, fmt.Errorf("%w: service hours %s", ErrInput, in.Hours)
	}
	if in.ReassignCost == 0 {
		in.ReassignCost = DefaultReassignCost
	}
	x := &Instance{in: in, dayStart: in.Day.Start(), pinned: map[string]bool{}}
	locs := &locations{idx: map[Point]int{}}
	nowSec := math.Inf(-1)
	if !in.Now.IsZero() {
		nowSec = seconds(x.dayStart, in.Now)
	}
	pinOf := map[string]string{}
	for _, p := range in.Pins {
		if p.Day.Equal(in.Day) {
			pinOf[p.Parcel] = p.Courier
			x.pinned[p.Parcel] = true
		}
	}
	// The previous plan: who had what, and what is already visited.
	prevCourier := map[string]string{}
	prevRoute := map[string]*Route{}
	if in.Previous != nil {
		for i := range in.Previous.Routes {
			r := &in.Previous.Routes[i]
			prevRoute[r.Courier] = r
			for _, s := range r.Stops {
				prevCourier[s.Parcel] = r.Courier
			}
		}
	}
	visited := func(s Stop) bool { return s.Visited || in.Visited[s.Parcel] }

	// Vehicles: one per shift of the day that still has time left.
	profiles := map[VehicleKind]int{}
	var kinds []VehicleKind
	var vehicles []vrptw.Vehicle
	byCourier := map[string]int{} // courier → vehicle ref
	officeHasShift := map[string]bool{}
	shifts := append([]Shift(nil), in.Shifts...)
	sort.Slice(shifts, func(i, j int) bool { return shifts[i].Courier < shifts[j].Courier })
	for _, s := range shifts {
		if !s.Day.Equal(in.Day) {
			continue
		}
		if _, dup := byCourier[s.Courier]; dup {
			return nil, fmt.Errorf("%w: two shifts of %s on %s", ErrInput, s.Courier, in.Day)
		}
		office, ok := in.Offices[s.Office]
		if !ok {
			return nil, fmt.Errorf("%w: office %s of %s has no location", ErrInput, s.Office, s.Name())
		}
		officeHasShift[s.Office] = true
		ref := vehicleRef{shift: s, start: office, end: office, index: -1}
		if !s.StartPlace.IsZero() {
			ref.start = s.StartPlace
		}
		if !s.EndPlace.IsZero() {
			ref.end = s.EndPlace
		}
		var load int
		if pr, ok := prevRoute[s.Courier]; ok {
			for _, st := range pr.Stops {
				if visited(st) {
					st.Visited = true
					ref.visited = append(ref.visited, st)
					if !st.Kind.IsDelivery() {
						load++ // a result visited is out of the bag
					}
				}
			}
			ref.depart = pr.Depart
		}
		byCourier[s.Courier] = len(x.vehicles)
		from, to, avail := s.Available(in.Absences)
		startSec := float64(from) * 60
		here := ref.start
		if n := len(ref.visited); n > 0 {
			here = ref.visited[n-1].Point
		}
		if pos, ok := in.Positions[s.Courier]; ok {
			here = pos.Point
			if !pos.At.IsZero() {
				startSec = math.Max(startSec, seconds(x.dayStart, pos.At))
			}
		}
		startSec = math.Max(startSec, nowSec)
		endSec := float64(to) * 60
		capLeft := s.Capacity - load
		stopsLeft := 0
		if s.MaxStops > 0 {
			stopsLeft = s.MaxStops - len(ref.visited)
		}
		if avail && startSec < endSec && capLeft > 0 && (s.MaxStops == 0 || stopsLeft > 0) {
			p, ok := profiles[s.Vehicle]
			if !ok {
				p = len(kinds)
				profiles[s.Vehicle] = p
				kinds = append(kinds, s.Vehicle)
			}
			ref.inPlan, ref.index = true, len(vehicles)
			v := vrptw.Vehicle{ID: s.Courier, Start: locs.add(here), End: locs.add(ref.end),
				ShiftStart: startSec, ShiftEnd: endSec, Capacity: capLeft, MaxStops: stopsLeft,
				CostPerDistance: 1, Profile: p}
			if s.BreakMinutes > 0 {
				// What is left of the break window after the route's start
				// (a re-plan after lunch has none).
				bs, be, d := float64(s.BreakFrom)*60, float64(s.BreakTo)*60, float64(s.BreakMinutes)*60
				bs = math.Max(bs, startSec)
				if be >= bs && bs+d <= endSec {
					v.Break = &vrptw.Break{Window: vrptw.TimeWindow{Start: bs, End: be}, Duration: d}
				}
			}
			if s.MaxMinutes > 0 {
				v.MaxDuration = float64(s.MaxMinutes) * 60
				if v.Break != nil && v.MaxDuration < v.Break.Duration {
					v.Break = nil
				}
			}
			vehicles = append(vehicles, v)
		}
		x.vehicles = append(x.vehicles, ref)
	}

	// Jobs.
	var jobs []vrptw.Job
	jobOf := map[string]int{}
	for ri, r := range in.Requests {
		if in.Visited[r.Parcel] {
			continue // kept as a visited stop, never planned again
		}
		un := Unplaced{Parcel: r.Parcel, Number: r.Number, Point: r.Point}
		ws, why := dayWindows(r, in.Day, in.Hours)
		if why != "" {
			un.Reason = why
			x.unplaced = append(x.unplaced, un)
			continue
		}
		if !officeHasShift[r.Office] {
			un.Reason = ReasonNoShift
			x.unplaced = append(x.unplaced, un)
			continue
		}
		only := pinOf[r.Parcel]
		if c, ok := in.Restrict[r.Parcel]; ok {
			only = c
		}
		var allowed []int
		codBlocked, communeBlocked, kindBlocked := false, false, false
		for _, ref := range x.vehicles {
			if !ref.inPlan || ref.shift.Office != r.Office {
				continue
			}
			if only != "" && ref.shift.Courier != only {
				continue
			}
			if len(r.Vehicles) > 0 && !slices.Contains(r.Vehicles, ref.shift.Vehicle) {
				kindBlocked = true
				continue
			}
			if len(ref.shift.Communes) > 0 && !slices.Contains(ref.shift.Communes, r.Commune) {
				communeBlocked = true
				continue
			}
			if r.COD && !ref.shift.COD {
				codBlocked = true
				continue
			}
			allowed = append(allowed, ref.index)
		}
		if len(allowed) == 0 {
			switch {
			case only != "":
				un.Reason = ReasonPinnedAbsent
			case codBlocked:
				un.Reason = ReasonCOD
			case communeBlocked:
				un.Reason = ReasonCommune
			case kindBlocked:
				un.Reason = ReasonVehicleKind
			default:
				un.Reason = ReasonNoCourier
			}
			x.unplaced = append(x.unplaced, un)
			continue
		}
		j := vrptw.Job{ID: r.Number, Location: locs.add(r.Point), Demand: r.demand(),
			Service: in.Model.Service(r.Documents), Allowed: allowed, PrevVehicle: -1}
		if r.Kind.IsDelivery() {
			j.Kind = vrptw.Delivery
		}
		for _, w := range ws {
			j.Windows = append(j.Windows, vrptw.TimeWindow{Start: seconds(x.dayStart, w.Start), End: seconds(x.dayStart, w.End)})
		}
		if c, ok := prevCourier[r.Parcel]; ok {
			if vi, ok := byCourier[c]; ok && x.vehicles[vi].inPlan {
				j.PrevVehicle = x.vehicles[vi].index
			}
		}
		jobOf[r.Parcel] = len(jobs)
		jobs = append(jobs, j)
		x.jobs = append(x.jobs, ri)
	}
	// Warm start from the previous plan's order.
	if in.Previous != nil {
		for _, pr := range in.Previous.Routes {
			vi, ok := byCourier[pr.Courier]
			if !ok || !x.vehicles[vi].inPlan {
				continue
			}
			ir := vrptw.InitialRoute{Vehicle: x.vehicles[vi].index}
			for _, s := range pr.Stops {
				if j, ok := jobOf[s.Parcel]; ok && !visited(s) {
					ir.Jobs = append(ir.Jobs, j)
				}
			}
			if len(ir.Jobs) > 0 {
				x.Initial = append(x.Initial, ir)
			}
		}
	}
	x.points = locs.pts
	n := len(locs.pts)
	p := &vrptw.Problem{NumLocations: n, Jobs: jobs, Vehicles: vehicles, ReassignCost: in.ReassignCost}
	for _, k := range kinds {
		dist, tm, err := travel.Matrices(in.Model, k.Travel(), travelPoints(locs.pts))
		if err != nil {
			return nil, fmt.Errorf("dispatch: travel matrices for %s: %w", k, err)
		}
		p.Profiles = append(p.Profiles, vrptw.Profile{Distance: dist.V, Time: tm.V})
	}
	x.Problem = p
	return x, nil
}

// Solvable reports whether the problem has both jobs and vehicles, so the
// solver has something to do.
func (x *Instance) Solvable() bool {
	return len(x.Problem.Jobs) > 0 && len(x.Problem.Vehicles) > 0
}

// Solve plans the instance (re-plans when the input had a previous plan)
// and returns the plan; a cancelled ctx ends the search early with the best
// plan so far.
func (x *Instance) Solve(ctx context.Context, opt vrptw.Options) (Plan, error) {
	if !x.Solvable() {
		return x.Plan(&vrptw.Solution{}), nil
	}
	var sol *vrptw.Solution
	var err error
	if x.in.Previous != nil {
		sol, err = vrptw.Replan(ctx, x.Problem, x.Initial, opt)
	} else {
		sol, err = vrptw.Solve(ctx, x.Problem, opt)
	}
	if err != nil {
		return Plan{}, fmt.Errorf("dispatch: plan %s: %w", x.in.Day, err)
	}
	return x.Plan(sol), nil
}

func (x *Instance) at(sec float64) time.Time {
	return x.dayStart.Add(time.Duration(math.Round(sec)) * time.Second)
}

var reasonOf = map[vrptw.Reason]Reason{
	vrptw.ReasonNoVehicle:        ReasonNoCourier,
	vrptw.ReasonCapacity:         ReasonCapacity,
	vrptw.ReasonWindowImpossible: ReasonWindow,
	vrptw.ReasonNoRoom:           ReasonNoRoom,
	vrptw.ReasonSkill:            ReasonCOD,
}

// Plan turns a solution of x.Problem into a draft plan of the day (the
// caller sets office, ID and version): visited stops first on each route,
// then the solver's stops.
func (x *Instance) Plan(sol *vrptw.Solution) Plan {
	in := x.in
	plan := Plan{Day: in.Day, Status: Draft}
	byVehicle := map[int]*vrptw.Route{}
	for i := range sol.Routes {
		byVehicle[sol.Routes[i].Vehicle] = &sol.Routes[i]
	}
	for _, ref := range x.vehicles {
		route := Route{Courier: ref.shift.Courier, ShiftID: ref.shift.ID, Vehicle: ref.shift.Vehicle}
		var vr *vrptw.Route
		if ref.inPlan {
			vr = byVehicle[ref.index]
		}
		// Results are in the bag from the start, dossiers from their stop.
		load := 0
		for _, s := range ref.visited {
			if s.Kind.IsDelivery() {
				load++
			}
		}
		if vr != nil {
			for _, st := range vr.Stops {
				if r := in.Requests[x.jobs[st.Job]]; r.Kind.IsDelivery() {
					load += r.demand()
				}
			}
		}
		for _, s := range ref.visited {
			if s.Kind.IsDelivery() {
				load--
			} else {
				load++
			}
			s.Seq, s.Load = len(route.Stops)+1, load
			s.Pinned = x.pinned[s.Parcel]
			route.Stops = append(route.Stops, s)
		}
		route.Depart = ref.depart
		if vr != nil {
			if len(ref.visited) == 0 || route.Depart.IsZero() {
				route.Depart = x.at(vr.Departure)
			}
			route.Return = x.at(vr.Return)
			for _, st := range vr.Stops {
				r := in.Requests[x.jobs[st.Job]]
				j := x.Problem.Jobs[st.Job]
				kind := KindPickup
				if r.Kind.IsDelivery() {
					kind = KindDelivery
					load -= r.demand()
				} else {
					load += r.demand()
				}
				w := Window{x.at(j.Windows[st.Window].Start), x.at(j.Windows[st.Window].End)}
				route.Stops = append(route.Stops, Stop{Kind: kind, Parcel: r.Parcel, Number: r.Number, Seq: len(route.Stops) + 1,
					Point: r.Point, Window: w, ETA: x.at(st.Start), Departure: x.at(st.Departure), Load: load,
					Documents: r.Documents, Pinned: x.pinned[r.Parcel]})
			}
			if b := vr.Break; b != nil {
				route.Break = &RouteBreak{After: len(ref.visited) + b.After, Start: x.at(b.Start), End: x.at(b.End)}
			}
		} else if n := len(ref.visited); n > 0 {
			route.Return = ref.visited[n-1].Departure
		}
		if len(route.Stops) == 0 {
			continue
		}
		route.Load = load
		route.Distance = x.routeDistance(ref, route)
		plan.Distance += route.Distance
		plan.Routes = append(plan.Routes, route)
	}
	plan.Unplaced = append(plan.Unplaced, x.unplaced...)
	for _, u := range sol.Unassigned {
		r := in.Requests[x.jobs[u.Job]]
		reason, ok := reasonOf[u.Reason]
		if !ok {
			reason = ReasonNoRoom
		}
		plan.Unplaced = append(plan.Unplaced, Unplaced{Parcel: r.Parcel, Number: r.Number, Point: r.Point, Reason: reason})
	}
	sort.Slice(plan.Unplaced, func(i, j int) bool { return plan.Unplaced[i].Number < plan.Unplaced[j].Number })
	plan.Cost = sol.Cost
	return plan
}

// routeDistance is the distance ridden along the route from its start place
// through every stop back to its end place.
func (x *Instance) routeDistance(ref vehicleRef, r Route) float64 {
	d, here := 0.0, ref.start
	for _, s := range r.Stops {
		d += x.in.Model.Distance(tp(here), tp(s.Point))
		here = s.Point
	}
	return d + x.in.Model.Distance(tp(here), tp(ref.end))
}

func tp(p Point) travel.Point { return travel.Point{Lat: p.Lat, Lon: p.Lng} }

func travelPoints(ps []Point) []travel.Point {
	out := make([]travel.Point, len(ps))
	for i, p := range ps {
		out[i] = tp(p)
	}
	return out
}

// Points returns the problem's locations (for tests and maps).
func (x *Instance) Points() []Point { return append([]Point(nil), x.points...) }
