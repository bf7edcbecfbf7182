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
