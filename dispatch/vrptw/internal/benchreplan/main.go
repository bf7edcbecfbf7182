// Command benchreplan measures re-planning on a generated realistic day in
// Thái Nguyên: 1,000 stops jittered around the province's commune points,
// 2-hour windows between 07:30 and 17:30 (some citizens offer two), 40
// motorbike couriers from a few post offices, each courier serving the zone
// of its office and the neighbouring one. It plans the day, then adds one new
// request at a time and re-plans incrementally, reporting the time (median,
// p95) and the share of stops that changed courier, against a from-scratch
// plan of the same day.
//
//	go run ./dispatch/vrptw/internal/benchreplan [-units internal/units/data/units.csv]
package main

import (
	"context"
	"encoding/csv"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime/pprof"
	"sort"
	"strconv"
	"time"

	"hoso/dispatch/travel"
	"hoso/dispatch/vrptw"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchreplan:", err)
		os.Exit(1)
	}
}

type commune struct {
	name string
	pt   travel.Point
}

// readCommunes reads the communes of one province from the admin units CSV.
func readCommunes(path, province string) ([]commune, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read units %q: %w", path, err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	head, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("read units %q: %w", path, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[h] = i
	}
	for _, c := range []string{"level", "province_code", "name", "lat", "lon"} {
		if _, ok := col[c]; !ok {
			return nil, fmt.Errorf("read units %q: no column %q", path, c)
		}
	}
	var out []commune
	for line := 2; ; line++ {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read units %q line %d: %w", path, line, err)
		}
		if rec[col["province_code"]] != province || rec[col["level"]] == "province" {
			continue
		}
		lat, err1 := strconv.ParseFloat(rec[col["lat"]], 64)
		lon, err2 := strconv.ParseFloat(rec[col["lon"]], 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("read units %q line %d: bad lat/lon", path, line)
		}
		out = append(out, commune{name: rec[col["name"]], pt: travel.Point{Lat: lat, Lon: lon}})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("read units %q: no commune of province %s", path, province)
	}
	return out, nil
}

// day is a generated day: points (offices first), the problem, and the
// office of each courier.
type day struct {
	pts      []travel.Point
	offices  int
	prob     *vrptw.Problem
	model    travel.Model
	r        *rand.Rand
	communes []commune
	vehOff   []int
}

const (
	dayStart = 7.5 * 3600
	dayEnd   = 17.5 * 3600
)

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("benchreplan", flag.ContinueOnError)
	units := fs.String("units", "internal/units/data/units.csv", "admin units CSV")
	stops := fs.Int("stops", 1000, "stops in the day")
	couriers := fs.Int("couriers", 40, "couriers")
	offices := fs.Int("offices", 10, "post offices")
	requests := fs.Int("requests", 20, "new requests to re-plan one at a time")
	planTime := fs.Duration("plan-time", 0, "time bound of the initial and from-scratch plans (0: none, so that they depend on the seed only)")
	planIters := fs.Int("plan-iterations", 40000, "iteration budget of the initial and from-scratch plans (makes the day's plan reproducible)")
	replanTime := fs.Duration("replan-time", 120*time.Millisecond, "budget of one incremental re-plan, set-up included")
	scratch := fs.Int("scratch", 2, "first new requests also re-planned from scratch (costly); requests the incremental re-plan leaves out are always re-planned from scratch too")
	seed := fs.Uint64("seed", 1, "seed of the generated day")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the re-plans to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	comm, err := readCommunes(*units, "19")
	if err != nil {
		return err
	}
	model, err := travel.New(travel.DefaultConfig())
	if err != nil {
		return err
	}
	d := generate(comm, model, *stops, *couriers, *offices, *seed)
	fmt.Fprintf(out, "Re-planning benchmark: Thái Nguyên (%d commune points), %d stops, %d couriers from %d post offices, motorbike 25 km/h, detour 1.3, windows of 2 h in 07:30–17:30.\n",
		len(comm), *stops, *couriers, *offices)
	ctx := context.Background()
	t0 := time.Now()
	base, err := vrptw.Solve(ctx, d.prob, vrptw.Options{TimeLimit: *planTime, MaxIterations: *planIters, Seed: 1})
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Initial plan: %v, %d couriers used, %.1f km, %d unassigned, %d iterations.\n",
		time.Since(t0).Round(time.Millisecond), base.Vehicles, base.Distance/1000, len(base.Unassigned), base.Iterations)
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var times []float64
	var shares []float64
	var deltaKm []float64
	placed := 0
	for q := 0; q < *requests; q++ {
		p2, prev := d.withRequest(base)
		t := time.Now()
		sol, err := vrptw.Replan(ctx, p2, prev, vrptw.Options{TimeLimit: *replanTime, Seed: uint64(q + 1)})
		el := time.Since(t)
		if err != nil {
			return err
		}
		if err := vrptw.Check(p2, sol); err != nil {
			return fmt.Errorf("re-plan %d infeasible: %w", q, err)
		}
		times = append(times, float64(el.Microseconds())/1000)
		shares = append(shares, changedShare(base, sol, len(d.prob.Jobs)))
		deltaKm = append(deltaKm, (sol.Distance-base.Distance)/1000)
		if routed(sol, len(p2.Jobs)-1) {
			placed++
		}
		if q < *scratch || !routed(sol, len(p2.Jobs)-1) {
			t := time.Now()
			fresh, err := vrptw.Solve(ctx, p2, vrptw.Options{TimeLimit: *planTime, MaxIterations: *planIters, Seed: uint64(q + 1)})
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "request %d: incremental %.0f ms, %.1f %% changed courier, %+.2f km, placed %v; from scratch %v: %.1f %% changed courier, %+.2f km, placed %v\n",
				q+1, times[q], 100*shares[q], deltaKm[q], routed(sol, len(p2.Jobs)-1), time.Since(t).Round(time.Millisecond),
				100*changedShare(base, fresh, len(d.prob.Jobs)), (fresh.Distance-base.Distance)/1000, routed(fresh, len(p2.Jobs)-1))
		}
	}
	fmt.Fprintf(out, "Incremental re-plan over %d new requests (budget %v, one core): time median %.0f ms, p95 %.0f ms, max %.0f ms; stops that changed courier median %.2f %%, max %.2f %%; new request placed %d/%d; distance change median %+.2f km.\n",
		len(times), *replanTime, pct(times, 50), pct(times, 95), pct(times, 100), 100*pct(shares, 50), 100*pct(shares, 100), placed, len(times), pct(deltaKm, 50))
	return nil
}

// generate builds the day deterministically from seed.
func generate(comm []commune, model travel.Model, nStops, nCour, nOff int, seed uint64) *day {
	r := rand.New(rand.NewPCG(seed, 0x7468616920))
	d := &day{model: model, r: r, communes: comm}
	// Offices: farthest-point choice among commune points, starting from the
	// commune closest to the province's mean point.
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
	for _, o := range off {
		d.pts = append(d.pts, comm[o].pt)
	}
	d.offices = nOff
	// Couriers per office in proportion to the communes it is nearest to
	// (largest remainders), at least one each.
	share := make([]int, nOff)
	for _, c := range comm {
		bo := 0
		for o := range off {
			if travel.GreatCircle(c.pt, comm[off[o]].pt) < travel.GreatCircle(c.pt, comm[off[bo]].pt) {
				bo = o
			}
		}
		share[bo]++
	}
	count := make([]int, nOff)
	rem := make([]float64, nOff)
	given := 0
	for o := range nOff {
		x := float64(nCour-nOff) * float64(share[o]) / float64(len(comm))
		count[o] = 1 + int(x)
		rem[o] = x - math.Floor(x)
		given += count[o]
	}
	for given < nCour {
		bo := 0
		for o := range nOff {
			if rem[o] > rem[bo] {
				bo = o
			}
		}
		count[bo]++
		rem[bo] = -1
		given++
	}
	var courierOffice []int
	for o := range nOff {
		for range count[o] {
			courierOffice = append(courierOffice, o)
		}
	}
	p := &vrptw.Problem{ReassignCost: 2000} // metres: moving a stop costs like a 2 km detour
	for k := range nCour {
		o := courierOffice[k]
		p.Vehicles = append(p.Vehicles, vrptw.Vehicle{
			ID: fmt.Sprintf("bưu tá %02d", k+1), Start: o, End: o, ShiftStart: dayStart, ShiftEnd: dayEnd,
			Capacity: 60, FixedCost: 0, CostPerDistance: 1,
		})
		d.vehOff = append(d.vehOff, o)
	}
	d.prob = p
	for range nStops {
		d.addJob()
	}
	d.matrices()
	return d
}

// addJob draws one stop: a commune point jittered by about 1.5 km, one or
// two 2-hour windows, 1 to 3 parcels, 1 to 5 documents; the couriers of the
// nearest office and of the next nearest may serve it.
func (d *day) addJob() {
	r := d.r
	c := d.communes[r.IntN(len(d.communes))]
	pt := travel.Point{Lat: c.pt.Lat + r.NormFloat64()*0.012, Lon: c.pt.Lon + r.NormFloat64()*0.012}
	d.pts = append(d.pts, pt)
	win := func() vrptw.TimeWindow {
		s := dayStart + float64(r.IntN(17))*1800 // 07:30 … 15:30
		return vrptw.TimeWindow{Start: s, End: s + 7200}
	}
	ws := []vrptw.TimeWindow{win()}
	if r.Float64() < 0.3 {
		ws = append(ws, win())
		sort.Slice(ws, func(a, b int) bool { return ws[a].Start < ws[b].Start })
		if ws[1].Start <= ws[0].End {
			ws = ws[:1]
		}
	}
	// Zone: the two nearest offices.
	type od struct {
		o int
		d float64
	}
	ods := make([]od, d.offices)
	for o := range d.offices {
		ods[o] = od{o, travel.GreatCircle(pt, d.pts[o])}
	}
	sort.Slice(ods, func(a, b int) bool { return ods[a].d < ods[b].d })
	var allowed []int
	for k, o := range d.vehOff {
		if o == ods[0].o || o == ods[1].o {
			allowed = append(allowed, k)
		}
	}
	docs := 1 + r.IntN(5)
	d.prob.Jobs = append(d.prob.Jobs, vrptw.Job{
		ID: fmt.Sprintf("hồ sơ %04d", len(d.prob.Jobs)+1), Location: len(d.pts) - 1, Demand: 1 + r.IntN(3),
		Service: d.model.Service(docs), Windows: ws, Allowed: allowed, PrevVehicle: -1,
	})
}

func (d *day) matrices() {
	dist, tm, err := travel.Matrices(d.model, travel.Motorbike, d.pts)
	if err != nil {
		panic(err) // the kind is the model's own
	}
	d.prob.NumLocations = len(d.pts)
	d.prob.Profiles = []vrptw.Profile{{Distance: dist.V, Time: tm.V}}
}

// withRequest copies the day, adds one new request at the end and marks
// every job with its courier in base; it returns the problem and the
// previous plan as warm start.
func (d *day) withRequest(base *vrptw.Solution) (*vrptw.Problem, []vrptw.InitialRoute) {
	saved := *d.prob
	savedPts := len(d.pts)
	jobs := append([]vrptw.Job(nil), d.prob.Jobs...)
	d.prob.Jobs = jobs
	d.addJob()
	d.matrices()
	p2 := *d.prob
	for _, rt := range base.Routes {
		for _, s := range rt.Stops {
			p2.Jobs[s.Job].PrevVehicle = rt.Vehicle
		}
	}
	*d.prob = saved
	d.pts = d.pts[:savedPts]
	return &p2, vrptw.PreviousPlan(base)
}

// changedShare is the share of the first n jobs whose courier differs
// between a and b (routed in one and not the other counts as a change).
func changedShare(a, b *vrptw.Solution, n int) float64 {
	va := vehicleOf(a, n)
	vb := vehicleOf(b, n)
	ch := 0
	for i := range n {
		if va[i] != vb[i] {
			ch++
		}
	}
	return float64(ch) / float64(n)
}

func vehicleOf(s *vrptw.Solution, n int) []int {
	v := make([]int, n)
	for i := range v {
		v[i] = -1
	}
	for _, r := range s.Routes {
		for _, st := range r.Stops {
			if st.Job < n {
				v[st.Job] = r.Vehicle
			}
		}
	}
	return v
}

func routed(s *vrptw.Solution, job int) bool {
	for _, r := range s.Routes {
		for _, st := range r.Stops {
			if st.Job == job {
				return true
			}
		}
	}
	return false
}

func pct(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	if i < 0 {
		i = 0
	}
	return s[i]
}
