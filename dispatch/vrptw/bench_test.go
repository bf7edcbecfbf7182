package vrptw_test

import (
	"context"
	"testing"
	"time"

	"hoso/dispatch/solomon"
	"hoso/dispatch/vrptw"
)

func BenchmarkSolveR110(b *testing.B) {
	inst, err := solomon.ReadFile("../../testdata/vrptw/solomon/R110.txt")
	if err != nil {
		b.Fatal(err)
	}
	p, _ := inst.Problem(solomon.DIMACS, solomon.MinDistance)
	for b.Loop() {
		if _, err := vrptw.Solve(context.Background(), p, vrptw.Options{TimeLimit: time.Second, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkNewInstance1000(b *testing.B) {
	const n = 1001
	d := make([]float64, n*n)
	for a := range n {
		for c := range n {
			dx, dy := float64(a%37-c%37), float64(a%41-c%41)
			d[a*n+c] = dx*dx + dy*dy
		}
	}
	p := &vrptw.Problem{NumLocations: n, Profiles: []vrptw.Profile{{Distance: d, Time: d}}}
	for k := 0; k < 40; k++ {
		p.Vehicles = append(p.Vehicles, vrptw.Vehicle{ShiftEnd: 1e6, Capacity: 60})
	}
	for i := 1; i < n; i++ {
		p.Jobs = append(p.Jobs, vrptw.Job{Location: i, Demand: 1, PrevVehicle: -1})
	}
	for b.Loop() {
		if _, err := vrptw.Solve(context.Background(), p, vrptw.Options{MaxIterations: 1}); err != nil {
			b.Fatal(err)
		}
	}
}
