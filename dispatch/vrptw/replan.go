package vrptw

import (
	"context"
	"time"
)

// Default re-planning settings: a short budget and a cold search, so that
// few stops move and the dispatcher sees a stable plan.
const (
	defaultReplanTime = 120 * time.Millisecond
	replanT0          = 0.05
	replanT1          = 0.005
)

// Replan re-optimises the rest of a day after a change (a new or cancelled
// request, an absent or delayed courier). The caller builds p for what is
// left of the day: visited stops are left out, each vehicle starts at the
// courier's current position and time (Vehicle.Start, Vehicle.ShiftStart),
// stops a dispatcher pinned are restricted to their courier (Job.Allowed),
// and every job of the previous plan carries its courier in Job.PrevVehicle
// so that moving it costs Problem.ReassignCost. prev is the previous plan in
// p's indices; its routes warm-start the search, new jobs are inserted where
// they cost least, and a cold ruin-and-recreate improves the plan locally
// until opt's budget ends (default 120 ms).
func Replan(ctx context.Context, p *Problem, prev []InitialRoute, opt Options) (*Solution, error) {
	opt.Initial = prev
	if opt.TimeLimit <= 0 && opt.MaxIterations <= 0 {
		opt.TimeLimit = defaultReplanTime
	}
	if opt.StartTemperature <= 0 {
		opt.StartTemperature = replanT0
	}
	if opt.EndTemperature <= 0 {
		opt.EndTemperature = replanT1
	}
	return Solve(ctx, p, opt)
}

// PreviousPlan turns a solution into warm-start routes.
func PreviousPlan(sol *Solution) []InitialRoute {
	out := make([]InitialRoute, 0, len(sol.Routes))
	for _, r := range sol.Routes {
		ir := InitialRoute{Vehicle: r.Vehicle, Jobs: make([]int, len(r.Stops))}
		for i, s := range r.Stops {
			ir.Jobs[i] = s.Job
		}
		out = append(out, ir)
	}
	return out
}
