package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"time"

	"hoso/dispatch/solomon"
	"hoso/dispatch/vrptw"
)

// planOutput is the JSON object tools/vrptw-check reads, with a few extra
// fields for the benchmark report.
type planOutput struct {
	Instance   string  `json:"instance"`
	Convention string  `json:"convention"`
	Vehicles   int     `json:"vehicles"`
	Distance   float64 `json:"distance"`
	Routes     [][]int `json:"routes"`
	Objective  string  `json:"objective"`
	Algo       string  `json:"algo"`
	Seed       uint64  `json:"seed"`
	TimeLimit  string  `json:"time_limit"`
	ElapsedMS  int64   `json:"elapsed_ms"`
	Iterations int     `json:"iterations"`
	Unassigned []int   `json:"unassigned,omitempty"`
}

// cmdPlan solves one Solomon/Gehring-Homberger instance and prints the
// solution as one JSON object.
func cmdPlan(ctx context.Context, args []string, env func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("plan", flag.ContinueOnError)
	fs.SetOutput(stderr)
	file := fs.String("solomon", "", "Solomon or Gehring-Homberger instance file (required)")
	conv := fs.String("convention", "dimacs", "distance convention: dimacs (truncated to 0.1) or double")
	objective := fs.String("objective", "distance", "distance (at most the file's vehicles) or vehicles (fewest vehicles, then distance)")
	limit := fs.Duration("time", 10*time.Second, "time limit of the search")
	iters := fs.Int("iterations", 0, "iteration budget (0: none); with it the run is reproducible")
	seed := fs.Uint64("seed", 1, "random seed")
	algo := fs.String("algo", "hgs", "hgs (the planner's metaheuristic) or naive (nearest-neighbour baseline)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *file == "" {
		fs.Usage()
		return errors.New("plan: -solomon FILE is required")
	}
	c, err := solomon.ParseConvention(*conv)
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	obj, err := solomon.ParseObjective(*objective)
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	if *algo != "hgs" && *algo != "naive" {
		return fmt.Errorf("plan: unknown algorithm %q (want hgs or naive)", *algo)
	}
	if *limit <= 0 && *iters <= 0 {
		return errors.New("plan: -time must be positive (or set -iterations)")
	}
	inst, err := solomon.ReadFile(*file)
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	if *algo == "naive" && inst.Vehicles < len(inst.Customers) {
		// The baseline may open as many routes as it needs, so that it
		// serves every customer; its vehicle count shows the price.
		inst.Vehicles = len(inst.Customers)
	}
	p, err := inst.Problem(c, obj)
	if err != nil {
		return fmt.Errorf("plan: %w", err)
	}
	var sol *vrptw.Solution
	if *algo == "naive" {
		sol, err = vrptw.NearestNeighbour(p)
	} else {
		opt := vrptw.Options{TimeLimit: *limit, MaxIterations: *iters, Seed: *seed,
			MinimiseVehicles: obj == solomon.MinVehicles}
		// Tuning knobs, undocumented on purpose: HOSO_PLAN_T0, HOSO_PLAN_T1, HOSO_PLAN_RUIN.
		fmt.Sscan(env("HOSO_PLAN_T0"), &opt.StartTemperature)
		fmt.Sscan(env("HOSO_PLAN_T1"), &opt.EndTemperature)
		fmt.Sscan(env("HOSO_PLAN_RUIN"), &opt.RuinSize)
		sol, err = vrptw.Solve(ctx, p, opt)
	}
	if err != nil {
		return fmt.Errorf("plan %s: %w", inst.Name, err)
	}
	out := planOutput{Instance: inst.Name, Convention: string(c), Objective: string(obj), Algo: *algo, Seed: *seed,
		TimeLimit: limit.String(), ElapsedMS: sol.Elapsed.Milliseconds(), Iterations: sol.Iterations, Routes: [][]int{}}
	for _, r := range sol.Routes {
		ids := make([]int, len(r.Stops))
		for i, s := range r.Stops {
			ids[i] = p.Jobs[s.Job].Location // customer number = location index
		}
		out.Routes = append(out.Routes, ids)
		out.Distance += inst.RouteDistance(ids, c)
	}
	out.Vehicles = len(out.Routes)
	if c == solomon.DIMACS {
		out.Distance = math.Round(out.Distance*10) / 10
	} else {
		out.Distance = math.Round(out.Distance*1e4) / 1e4
	}
	for _, u := range sol.Unassigned {
		out.Unassigned = append(out.Unassigned, p.Jobs[u.Job].Location)
	}
	enc := json.NewEncoder(stdout)
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("plan: write result: %w", err)
	}
	if len(out.Unassigned) > 0 {
		return fmt.Errorf("plan %s: %d customers could not be served", inst.Name, len(out.Unassigned))
	}
	return nil
}
