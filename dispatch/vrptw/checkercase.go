package vrptw

import "encoding/json"

// CheckerCase writes p and sol in the JSON form read by the independent
// checker tools/vrpspdtw-check (problem and solution side by side), so that
// tests and benchmarks can have a plan checked by code written apart from
// Check.
func CheckerCase(p *Problem, sol *Solution) ([]byte, error) {
	type win [2]float64
	type brk struct {
		Window   win     `json:"window"`
		Duration float64 `json:"duration"`
	}
	type job struct {
		Location int     `json:"location"`
		Demand   int     `json:"demand"`
		Service  float64 `json:"service"`
		Kind     string  `json:"kind"`
		Windows  []win   `json:"windows,omitempty"`
		Allowed  []int   `json:"allowed"`
		Skills   uint64  `json:"skills"`
	}
	type veh struct {
		Start       int     `json:"start"`
		End         int     `json:"end"`
		Shift       win     `json:"shift"`
		Capacity    int     `json:"capacity"`
		MaxStops    int     `json:"max_stops"`
		Profile     int     `json:"profile"`
		Skills      uint64  `json:"skills"`
		MaxDuration float64 `json:"max_duration"`
		Break       *brk    `json:"break"`
	}
	type prof struct {
		Distance []float64 `json:"distance"`
		Time     []float64 `json:"time"`
	}
	type route struct {
		Vehicle    int     `json:"vehicle"`
		Departure  float64 `json:"departure"`
		Jobs       []int   `json:"jobs"`
		BreakAfter *int    `json:"break_after"`
	}
	var c struct {
		Problem struct {
			Locations int    `json:"locations"`
			Profiles  []prof `json:"profiles"`
			Jobs      []job  `json:"jobs"`
			Vehicles  []veh  `json:"vehicles"`
		} `json:"problem"`
		Solution struct {
			Routes     []route `json:"routes"`
			Unassigned []int   `json:"unassigned"`
			Distance   float64 `json:"distance"`
		} `json:"solution"`
	}
	c.Problem.Locations = p.NumLocations
	for _, pr := range p.Profiles {
		c.Problem.Profiles = append(c.Problem.Profiles, prof(pr))
	}
	for _, j := range p.Jobs {
		x := job{Location: j.Location, Demand: j.Demand, Service: j.Service, Kind: "pickup", Allowed: j.Allowed, Skills: j.Skills}
		if j.Kind == Delivery {
			x.Kind = "delivery"
		}
		for _, w := range j.Windows {
			x.Windows = append(x.Windows, win{w.Start, w.End})
		}
		c.Problem.Jobs = append(c.Problem.Jobs, x)
	}
	for _, v := range p.Vehicles {
		x := veh{Start: v.Start, End: v.End, Shift: win{v.ShiftStart, v.ShiftEnd}, Capacity: v.Capacity, MaxStops: v.MaxStops,
			Profile: v.Profile, Skills: v.Skills, MaxDuration: v.MaxDuration}
		if v.Break != nil {
			x.Break = &brk{win{v.Break.Window.Start, v.Break.Window.End}, v.Break.Duration}
		}
		c.Problem.Vehicles = append(c.Problem.Vehicles, x)
	}
	c.Solution.Routes = []route{}
	c.Solution.Unassigned = []int{}
	for _, r := range sol.Routes {
		x := route{Vehicle: r.Vehicle, Departure: r.Departure, Jobs: []int{}}
		for _, s := range r.Stops {
			x.Jobs = append(x.Jobs, s.Job)
		}
		if r.Break != nil {
			a := r.Break.After
			x.BreakAfter = &a
		}
		c.Solution.Routes = append(c.Solution.Routes, x)
	}
	for _, u := range sol.Unassigned {
		c.Solution.Unassigned = append(c.Solution.Unassigned, u.Job)
	}
	c.Solution.Distance = sol.Distance
	return json.Marshal(c)
}
