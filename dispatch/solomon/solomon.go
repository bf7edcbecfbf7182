// Package solomon reads vehicle-routing benchmark instances in the Solomon /
// Gehring-Homberger text format and turns them into vrptw problems under the
// two conventions of the literature: "dimacs" (distances truncated to one
// decimal, used for time and cost, as in the DIMACS 2021 challenge, HGS and
// PyVRP) and "double" (plain Euclidean distances).
package solomon

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"hoso/dispatch/vrptw"
)

// Customer is one row of the customer table; row 0 is the depot.
type Customer struct {
	ID                  int
	X, Y                float64
	Demand              int
	Ready, Due, Service float64
}

// Instance is a parsed benchmark file.
type Instance struct {
	Name      string
	Vehicles  int
	Capacity  int
	Customers []Customer // Customers[i].ID == i; index 0 is the depot
}

// Convention selects how distances are computed.
type Convention string

// Conventions.
const (
	DIMACS Convention = "dimacs"
	Double Convention = "double"
)

// ParseConvention checks a convention name.
func ParseConvention(s string) (Convention, error) {
	switch Convention(s) {
	case DIMACS, Double:
		return Convention(s), nil
	}
	return "", fmt.Errorf("unknown convention %q (want dimacs or double)", s)
}

// ErrFormat is wrapped by every parse error.
var ErrFormat = errors.New("malformed Solomon file")

// ReadFile parses the file at path.
func ReadFile(path string) (*Instance, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read instance %q: %w", path, err)
	}
	defer f.Close()
	inst, err := Parse(f)
	if err != nil {
		return nil, fmt.Errorf("read instance %q: %w", path, err)
	}
	return inst, nil
}

// maxCustomers bounds the table so that a hostile file cannot ask for
// absurd matrices (the largest Gehring-Homberger instances have 1,000).
const maxCustomers = 20000

// Parse reads an instance: a name line, a VEHICLE section whose row gives
// the number of vehicles and the capacity, and a CUSTOMER section of rows
// "id x y demand ready due service". Errors name the offending line.
func Parse(r io.Reader) (*Instance, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	inst := &Instance{}
	lineNo := 0
	state := 0 // 0 name, 1 before vehicle row, 2 vehicle row, 3 before customers, 4 customers
	for sc.Scan() {
		lineNo++
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		up := strings.ToUpper(line)
		f := strings.Fields(line)
		switch state {
		case 0:
			inst.Name = f[0]
			state = 1
		case 1:
			if strings.HasPrefix(up, "NUMBER") && strings.Contains(up, "CAPACITY") {
				state = 2
			} else if up != "VEHICLE" {
				return nil, fmt.Errorf("%w: line %d: expected VEHICLE section, got %q", ErrFormat, lineNo, clip(line))
			}
		case 2:
			if len(f) != 2 {
				return nil, fmt.Errorf("%w: line %d: expected \"vehicles capacity\", got %q", ErrFormat, lineNo, clip(line))
			}
			v, err1 := strconv.Atoi(f[0])
			c, err2 := strconv.Atoi(f[1])
			if err1 != nil || err2 != nil || v <= 0 || c <= 0 {
				return nil, fmt.Errorf("%w: line %d: vehicles and capacity must be positive integers, got %q", ErrFormat, lineNo, clip(line))
			}
			inst.Vehicles, inst.Capacity = v, c
			state = 3
		case 3:
			if strings.HasPrefix(up, "CUSTOMER") || strings.HasPrefix(up, "CUST ") || strings.HasPrefix(up, "CUST.") {
				continue
			}
			state = 4
			fallthrough
		case 4:
			c, err := parseRow(f)
			if err != nil {
				return nil, fmt.Errorf("%w: line %d: %v", ErrFormat, lineNo, err)
			}
			if c.ID != len(inst.Customers) {
				return nil, fmt.Errorf("%w: line %d: customer number %d, expected %d (rows must be numbered 0, 1, 2, …)", ErrFormat, lineNo, c.ID, len(inst.Customers))
			}
			if len(inst.Customers) >= maxCustomers {
				return nil, fmt.Errorf("%w: line %d: more than %d customers", ErrFormat, lineNo, maxCustomers)
			}
			inst.Customers = append(inst.Customers, c)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%w: line %d: %v", ErrFormat, lineNo+1, err)
	}
	switch {
	case state < 3:
		return nil, fmt.Errorf("%w: no vehicle row (\"vehicles capacity\") found", ErrFormat)
	case len(inst.Customers) < 2:
		return nil, fmt.Errorf("%w: need a depot (row 0) and at least one customer", ErrFormat)
	}
	return inst, nil
}

func clip(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

func parseRow(f []string) (Customer, error) {
	if len(f) != 7 {
		return Customer{}, fmt.Errorf("customer row needs 7 numbers (id x y demand ready due service), got %d fields", len(f))
	}
	var v [7]float64
	for i, s := range f {
		x, err := strconv.ParseFloat(s, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return Customer{}, fmt.Errorf("field %d %q is not a number", i+1, clip(s))
		}
		if math.Abs(x) > 1e9 {
			return Customer{}, fmt.Errorf("field %d %q is out of range", i+1, clip(s))
		}
		v[i] = x
	}
	if v[0] != math.Trunc(v[0]) || v[0] < 0 {
		return Customer{}, fmt.Errorf("customer number %q is not a non-negative integer", f[0])
	}
	if v[3] != math.Trunc(v[3]) || v[3] < 0 {
		return Customer{}, fmt.Errorf("demand %q is not a non-negative integer", f[3])
	}
	if v[5] < v[4] {
		return Customer{}, fmt.Errorf("due date %g before ready time %g", v[5], v[4])
	}
	if v[6] < 0 {
		return Customer{}, fmt.Errorf("negative service time %g", v[6])
	}
	return Customer{ID: int(v[0]), X: v[1], Y: v[2], Demand: int(v[3]), Ready: v[4], Due: v[5], Service: v[6]}, nil
}

// Distance is the distance between two customers under convention c.
func Distance(a, b Customer, c Convention) float64 {
	d := math.Hypot(a.X-b.X, a.Y-b.Y)
	if c == DIMACS {
		return math.Floor(10*d+1e-9) / 10
	}
	return d
}

// Objective selects what a benchmark run minimises.
type Objective string

// Objectives.
const (
	// MinDistance minimises total distance with at most the file's vehicles.
	MinDistance Objective = "distance"
	// MinVehicles minimises the number of vehicles first, then distance.
	MinVehicles Objective = "vehicles"
)

// ParseObjective checks an objective name.
func ParseObjective(s string) (Objective, error) {
	switch Objective(s) {
	case MinDistance, MinVehicles:
		return Objective(s), nil
	}
	return "", fmt.Errorf("unknown objective %q (want distance or vehicles)", s)
}

// VehicleCost is the fixed cost per vehicle under MinVehicles: above any
// benchmark route set's total distance, so one vehicle less always pays.
const VehicleCost = 1e5

// Problem converts the instance: location i is customer i (0 the depot), job
// i-1 is customer i, and there are as many identical vehicles as the file
// allows, leaving the depot at its ready time and due back by its due date.
func (inst *Instance) Problem(c Convention, obj Objective) (*vrptw.Problem, error) {
	if _, err := ParseConvention(string(c)); err != nil {
		return nil, err
	}
	if _, err := ParseObjective(string(obj)); err != nil {
		return nil, err
	}
	n := len(inst.Customers)
	dist := make([]float64, n*n)
	for a := range n {
		for b := range n {
			dist[a*n+b] = Distance(inst.Customers[a], inst.Customers[b], c)
		}
	}
	p := &vrptw.Problem{NumLocations: n, Profiles: []vrptw.Profile{{Distance: dist, Time: dist}}}
	dep := inst.Customers[0]
	fix := 0.0
	if obj == MinVehicles {
		fix = VehicleCost
	}
	for k := range inst.Vehicles {
		p.Vehicles = append(p.Vehicles, vrptw.Vehicle{
			ID: fmt.Sprintf("v%d", k+1), Start: 0, End: 0, ShiftStart: dep.Ready, ShiftEnd: dep.Due,
			Capacity: inst.Capacity, FixedCost: fix, CostPerDistance: 1,
		})
	}
	for i := 1; i < n; i++ {
		cu := inst.Customers[i]
		p.Jobs = append(p.Jobs, vrptw.Job{
			ID: strconv.Itoa(cu.ID), Location: i, Demand: cu.Demand, Service: cu.Service,
			Windows: []vrptw.TimeWindow{{Start: cu.Ready, End: cu.Due}}, PrevVehicle: -1,
		})
	}
	return p, nil
}

// RouteDistance is a route's length (customer numbers, depot excluded) summed
// in the checker's order; under DIMACS it is exact to one decimal.
func (inst *Instance) RouteDistance(route []int, c Convention) float64 {
	if c == DIMACS {
		tenths := int64(0)
		prev := inst.Customers[0]
		for _, id := range route {
			cu := inst.Customers[id]
			tenths += int64(math.Round(10 * Distance(prev, cu, c)))
			prev = cu
		}
		tenths += int64(math.Round(10 * Distance(prev, inst.Customers[0], c)))
		return float64(tenths) / 10
	}
	t := 0.0
	prev := inst.Customers[0]
	for _, id := range route {
		cu := inst.Customers[id]
		t += Distance(prev, cu, c)
		prev = cu
	}
	return t + Distance(prev, inst.Customers[0], c)
}
