package vrptw_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"hoso/dispatch/solomon"
	"hoso/dispatch/vrptw"
	"hoso/internal/testenv"
)

const checker = "../../tools/vrptw-check"

// needChecker fails the test when python3 (for tools/vrptw-check) is missing.
func needChecker(t *testing.T) {
	t.Helper()
	testenv.Tool(t, "python3")
}

// checkWithTool writes the plan in the checker's JSON format and runs
// tools/vrptw-check on it; it returns the checker's verdict.
func checkWithTool(t *testing.T, file string, inst *solomon.Instance, c solomon.Convention, sol *vrptw.Solution, p *vrptw.Problem) map[string]any {
	t.Helper()
	out := map[string]any{"instance": inst.Name, "convention": string(c)}
	routes := [][]int{}
	dist := 0.0
	for _, r := range sol.Routes {
		ids := make([]int, len(r.Stops))
		for i, s := range r.Stops {
			ids[i] = p.Jobs[s.Job].Location
		}
		routes = append(routes, ids)
		dist += inst.RouteDistance(ids, c)
	}
	out["routes"], out["vehicles"], out["distance"] = routes, len(routes), math.Round(dist*1e4)/1e4
	js, _ := json.Marshal(out)
	cmd := exec.Command("python3", checker, file, "-", "--bks", "../../testdata/vrptw/bks.csv")
	cmd.Stdin = bytes.NewReader(js)
	res, err := cmd.Output()
	var v map[string]any
	if jerr := json.Unmarshal(res, &v); jerr != nil {
		t.Fatalf("%s: checker output %q (%v)", file, res, err)
	}
	if err != nil || v["feasible"] != true {
		t.Fatalf("%s: checker rejects the plan: %s", file, res)
	}
	return v
}

// TestCISubset solves a handful of Solomon instances of every class at a
// small budget; the independent checker must accept every plan.
func TestCISubset(t *testing.T) {
	needChecker(t)
	files := []string{"C101", "C205", "R103", "R211", "RC105", "RC202"}
	for _, c := range []solomon.Convention{solomon.DIMACS, solomon.Double} {
		for _, f := range files {
			path := filepath.Join("../../testdata/vrptw/solomon", f+".txt")
			inst, err := solomon.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			obj := solomon.MinDistance
			if c == solomon.Double {
				obj = solomon.MinVehicles
			}
			p, err := inst.Problem(c, obj)
			if err != nil {
				t.Fatal(err)
			}
			sol, err := vrptw.Solve(context.Background(), p, vrptw.Options{MaxIterations: 1500, Seed: 1, MinimiseVehicles: obj == solomon.MinVehicles})
			if err != nil {
				t.Fatal(err)
			}
			if len(sol.Unassigned) > 0 {
				t.Fatalf("%s: %d customers unserved", f, len(sol.Unassigned))
			}
			v := checkWithTool(t, path, inst, c, sol, p)
			t.Logf("%s %s: %v vehicles, distance %v, gap %v %%", f, c, v["vehicles"], v["distance"], v["gap_pct"])
		}
	}
}

// TestPropertySolomonChecker solves random small Solomon-format instances
// (both conventions) and has the independent checker verify every plan.
func TestPropertySolomonChecker(t *testing.T) {
	needChecker(t)
	dir := t.TempDir()
	for seed := uint64(1); seed <= 12; seed++ {
		r := rand.New(rand.NewPCG(seed, 1))
		var b strings.Builder
		n := 10 + r.IntN(30)
		fmt.Fprintf(&b, "RND%d\n\nVEHICLE\nNUMBER     CAPACITY\n  %d   %d\n\nCUSTOMER\nCUST NO. XCOORD. YCOORD. DEMAND READY DUE SERVICE\n\n", seed, n, 50+r.IntN(100))
		fmt.Fprintf(&b, "0 50 50 0 0 %d 0\n", 400+r.IntN(600))
		for i := 1; i <= n; i++ {
			x, y := r.IntN(101), r.IntN(101)
			ready := r.IntN(300)
			due := ready + 20 + r.IntN(200)
			// Keep every customer reachable alone so that the plan can be complete.
			if d := math.Hypot(float64(x-50), float64(y-50)); float64(ready) < d {
				ready = int(math.Ceil(d))
				due = ready + 30 + r.IntN(100)
			}
			fmt.Fprintf(&b, "%d %d %d %d %d %d %d\n", i, x, y, 1+r.IntN(20), ready, due, r.IntN(15))
		}
		path := filepath.Join(dir, fmt.Sprintf("rnd%d.txt", seed))
		if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
		inst, err := solomon.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []solomon.Convention{solomon.DIMACS, solomon.Double} {
			p, err := inst.Problem(c, solomon.MinDistance)
			if err != nil {
				t.Fatal(err)
			}
			sol, err := vrptw.Solve(context.Background(), p, vrptw.Options{MaxIterations: 400, Seed: seed})
			if err != nil {
				t.Fatal(err)
			}
			if len(sol.Unassigned) > 0 {
				// The depot's due date may make a customer unreachable: then
				// the reason must say so and the checker is not asked.
				for _, u := range sol.Unassigned {
					if u.Reason != vrptw.ReasonWindowImpossible {
						t.Fatalf("seed %d: customer %d unserved as %s", seed, u.Job+1, u.Reason)
					}
				}
				continue
			}
			checkWithTool(t, path, inst, c, sol, p)
		}
	}
}

// TestAnytime: a time limit returns a complete plan near the deadline.
func TestAnytime(t *testing.T) {
	inst, err := solomon.ReadFile("../../testdata/vrptw/solomon/RC101.txt")
	if err != nil {
		t.Fatal(err)
	}
	p, _ := inst.Problem(solomon.DIMACS, solomon.MinDistance)
	var calls int
	start := time.Now()
	sol, err := vrptw.Solve(context.Background(), p, vrptw.Options{TimeLimit: 300 * time.Millisecond, Seed: 3,
		Progress: func(vrptw.Progress) { calls++ }})
	if err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 600*time.Millisecond {
		t.Fatalf("300 ms limit took %v", el)
	}
	if calls == 0 || len(sol.Unassigned) > 0 || sol.Iterations == 0 {
		t.Fatalf("progress calls %d, unassigned %d, iterations %d", calls, len(sol.Unassigned), sol.Iterations)
	}
}
