// Command benchmixed measures the planner on whole courier days generated
// from the Thái Nguyên data: results to deliver and dossiers to collect on
// the same routes (simultaneous pickup and delivery), a lunch break per
// courier, fees that only some couriers may collect.
//
// Each day is drawn from a seed: post offices are the farthest-apart commune
// points of the province (as in benchreplan), stops are commune points
// jittered by about 1.5 km; a share of them (-deliveries, default 45 %) are
// results on board from the start, with the citizen's chosen 2-hour window
// for half of them and service hours (07:30–17:30) for the others; pickups
// have one or two 2-hour windows; a fifth of the deliveries carry a fee
// (COD) and half the couriers may collect fees; every courier has a 45-minute
// lunch break starting between 11:00 and 12:30, capacity 25 parcels and a
// 9-hour maximum route; couriers serve the zones of their office and the
// next nearest one.
//
// Every day is solved with the -short budget and with the -long budget (the
// planner's own long run, the reference of the gap); every solution goes
// through tools/vrpspdtw-check, never through the planner's own evaluator.
//
//	go run ./dispatch/vrptw/internal/benchmixed [-days 5] [-stops 200] [-short 10s] [-long 60s]
package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"sort"
	"strconv"
	"time"

	"hoso/dispatch/travel"
	"hoso/dispatch/vrptw"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchmixed:", err)
		os.Exit(1)
	}
}

const (
	dayStart = 7.5 * 3600
	dayEnd   = 17.5 * 3600
	skillCOD = 1
)

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("benchmixed", flag.ContinueOnError)
	units := fs.String("units", "internal/units/data/units.csv", "admin units CSV")
	checker := fs.String("checker", "tools/vrpspdtw-check", "independent checker")
	days := fs.Int("days", 5, "generated days (seeds 1..days)")
	stops := fs.Int("stops", 200, "stops per day")
	couriers := fs.Int("couriers", 24, "couriers")
	offices := fs.Int("offices", 6, "post offices")
	delShare := fs.Float64("deliveries", 0.45, "share of stops that are deliveries")
	short := fs.Duration("short", 10*time.Second, "budget of the measured run")
	long := fs.Duration("long", 60*time.Second, "budget of the reference run (0: none)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	runtime.GOMAXPROCS(1)
	comm, err := readCommunes(*units, "19")
	if err != nil {
		return err
	}
	model, err := travel.New(travel.DefaultConfig())
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Mixed days: Thái Nguyên (%d commune points), %d stops (%.0f %% deliveries), %d couriers from %d offices, lunch 45 min, capacity 25, COD on half the couriers; one core; %v against %v.\n",
		len(comm), *stops, 100**delShare, *couriers, *offices, *short, *long)
	fmt.Fprintln(out, "| day | deliveries | pickups | run | km | couriers | unplaced | breaks | peak load | checker | gap |")
	fmt.Fprintln(out, "|---|---|---|---|---|---|---|---|---|---|---|")
	var gaps []float64
	infeasible := 0
	for seed := 1; seed <= *days; seed++ {
		p := generate(comm, model, *stops, *couriers, *offices, *delShare, uint64(seed))
		nDel := 0
		for _, j := range p.Jobs {
			if j.Kind == vrptw.Delivery {
				nDel++
			}
		}
		type res struct {
			name string
			sol  *vrptw.Solution
			v    map[string]any
		}
		var rs []res
		for _, b := range []struct {
			name string
			d    time.Duration
		}{{"short", *short}, {"long", *long}} {
			if b.d <= 0 {
				continue
			}
			sol, err := vrptw.Solve(context.Background(), p, vrptw.Options{TimeLimit: b.d, Seed: 1})
			if err != nil {
				return err
			}
			v, err := check(*checker, p, sol)
			if err != nil {
				return err
			}
			if v["feasible"] != true {
				infeasible++
			}
			rs = append(rs, res{b.name, sol, v})
		}
		for i, r := range rs {
			gap := ""
			if i == 0 && len(rs) > 1 && len(rs[1].sol.Unassigned) == len(r.sol.Unassigned) {
				g := 100 * (r.sol.Distance - rs[1].sol.Distance) / rs[1].sol.Distance
				gaps = append(gaps, g)
				gap = fmt.Sprintf("%+.2f %%", g)
			}
			verdict := "feasible"
			if r.v["feasible"] != true {
				verdict = fmt.Sprint("INFEASIBLE ", r.v["errors"])
			}
			why := map[vrptw.Reason]int{}
			for _, u := range r.sol.Unassigned {
				why[u.Reason]++
			}
			fmt.Fprintf(out, "| %d | %d | %d | %s | %.1f | %d | %d %v | %v | %v | %s | %s |\n", seed, nDel, len(p.Jobs)-nDel, r.name,
				r.sol.Distance/1000, r.sol.Vehicles, len(r.sol.Unassigned), why, r.v["breaks"], r.v["max_load"], verdict, gap)
		}
	}
	if len(gaps) > 0 {
		sort.Float64s(gaps)
		mean := 0.0
		for _, g := range gaps {
			mean += g
		}
		fmt.Fprintf(out, "Gap of %v to %v: mean %+.2f %%, max %+.2f %% over %d days; infeasible by the checker: %d.\n",
			*short, *long, mean/float64(len(gaps)), gaps[len(gaps)-1], len(gaps), infeasible)
	} else {
		fmt.Fprintf(out, "Infeasible by the checker: %d.\n", infeasible)
	}
	if infeasible > 0 {
		return errors.New("the checker rejected a solution")
	}
	return nil
}

// check runs the independent checker on a solution.
func check(tool string, p *vrptw.Problem, sol *vrptw.Solution) (map[string]any, error) {
	js, err := vrptw.CheckerCase(p, sol)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("python3", tool, "-")
	cmd.Stdin = bytes.NewReader(js)
	res, _ := cmd.Output()
	var v map[string]any
	if err := json.Unmarshal(res, &v); err != nil {
		return nil, fmt.Errorf("checker output %q: %w", res, err)
	}
	return v, nil
}

type commune struct {
	pt travel.Point
}

func readCommunes(path, province string) ([]commune, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read units %q: %w", path, err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		return nil, err
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	var out []commune
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if rec[col["province_code"]] != province || rec[col["level"]] == "province" {
			continue
		}
		lat, err1 := strconv.ParseFloat(rec[col["lat"]], 64)
		lon, err2 := strconv.ParseFloat(rec[col["lon"]], 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("read units %q: bad lat/lon", path)
		}
		out = append(out, commune{travel.Point{Lat: lat, Lon: lon}})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("read units %q: no commune of province %s", path, province)
	}
	return out, nil
}

// generate draws one day from seed.
func generate(comm []commune, model travel.Model, nStops, nCour, nOff int, delShare float64, seed uint64) *vrptw.Problem {
	r := rand.New(rand.NewPCG(seed, 0x6d69786564))
	var mLat, mLon float64
	for _, c := range comm {
		mLat += c.pt.Lat
		mLon += c.pt.Lon
	}
	centre := travel.Point{Lat: mLat / float64(len(comm)), Lon: mLon / float64(len(comm))}
	first := 0
	for i, c := range comm {
		if travel.GreatCircle(c.pt, centre) < travel.GreatCircle(comm[first].pt, centre) {
			first = i
		}
	}
	off := []int{first}
	for len(off) < nOff {
		best, bestD := -1, -1.0
		for i, c := range comm {
			dmin := math.Inf(1)
			for _, o := range off {
				dmin = math.Min(dmin, travel.GreatCircle(c.pt, comm[o].pt))
			}
			if dmin > bestD {
				best, bestD = i, dmin
			}
		}
		off = append(off, best)
	}
	var pts []travel.Point
	for _, o := range off {
		pts = append(pts, comm[o].pt)
	}
	p := &vrptw.Problem{}
	var vehOff []int
	for k := range nCour {
		o := k % nOff
		v := vrptw.Vehicle{ID: fmt.Sprintf("bưu tá %02d", k+1), Start: o, End: o, ShiftStart: dayStart, ShiftEnd: dayEnd,
			Capacity: 25, CostPerDistance: 1, MaxDuration: 9 * 3600}
		bs := 11*3600 + float64(r.IntN(4))*1800
		v.Break = &vrptw.Break{Window: vrptw.TimeWindow{Start: bs, End: bs + 1800}, Duration: 45 * 60}
		if k%2 == 0 {
			v.Skills = skillCOD
		}
		p.Vehicles = append(p.Vehicles, v)
		vehOff = append(vehOff, o)
	}
	win := func() vrptw.TimeWindow {
		s := dayStart + float64(r.IntN(17))*1800 // 07:30 … 15:30
		return vrptw.TimeWindow{Start: s, End: s + 7200}
	}
	for range nStops {
		c := comm[r.IntN(len(comm))]
		pt := travel.Point{Lat: c.pt.Lat + r.NormFloat64()*0.012, Lon: c.pt.Lon + r.NormFloat64()*0.012}
		pts = append(pts, pt)
		j := vrptw.Job{ID: fmt.Sprintf("điểm %04d", len(p.Jobs)+1), Location: len(pts) - 1, Demand: 1 + r.IntN(2),
			Service: model.Service(1 + r.IntN(5)), PrevVehicle: -1}
		if r.Float64() < delShare {
			j.Kind = vrptw.Delivery
			if r.IntN(2) == 0 {
				j.Windows = []vrptw.TimeWindow{win()} // chosen by the citizen
			}
			if r.IntN(5) == 0 {
				j.Skills = skillCOD
			}
		} else {
			j.Windows = []vrptw.TimeWindow{win()}
			if r.Float64() < 0.3 {
				w2 := win()
				if w2.Start > j.Windows[0].End {
					j.Windows = append(j.Windows, w2)
				}
			}
		}
		type od struct {
			o int
			d float64
		}
		ods := make([]od, nOff)
		for o := range nOff {
			ods[o] = od{o, travel.GreatCircle(pt, pts[o])}
		}
		sort.Slice(ods, func(a, b int) bool { return ods[a].d < ods[b].d })
		for k, o := range vehOff {
			if o == ods[0].o || o == ods[1].o {
				j.Allowed = append(j.Allowed, k)
			}
		}
		p.Jobs = append(p.Jobs, j)
	}
	dist, tm, err := travel.Matrices(model, travel.Motorbike, pts)
	if err != nil {
		panic(err)
	}
	p.NumLocations = len(pts)
	p.Profiles = []vrptw.Profile{{Distance: dist.V, Time: tm.V}}
	return p
}
