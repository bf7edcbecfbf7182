package solomon_test

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"hoso/dispatch/solomon"
)

const tiny = `TINY

VEHICLE
NUMBER     CAPACITY
  2         50

CUSTOMER
CUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME

    0      0          0          0          0       100          0
    1      3          4         10          0        50         5
    2      1          1         20         10        60         5
`

func TestParse(t *testing.T) {
	inst, err := solomon.Parse(strings.NewReader(tiny))
	if err != nil {
		t.Fatal(err)
	}
	if inst.Name != "TINY" || inst.Vehicles != 2 || inst.Capacity != 50 || len(inst.Customers) != 3 {
		t.Fatalf("got %+v", inst)
	}
	if c := inst.Customers[2]; c.Demand != 20 || c.Ready != 10 || c.Due != 60 || c.Service != 5 {
		t.Fatalf("customer 2 = %+v", c)
	}
	p, err := inst.Problem(solomon.DIMACS, solomon.MinDistance)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Jobs) != 2 || len(p.Vehicles) != 2 || p.Jobs[0].Location != 1 {
		t.Fatalf("problem %+v", p)
	}
	// Distance 0→2 is √2 = 1.414…: truncated to 1.4 under DIMACS.
	if d := p.Profiles[0].Distance[0*3+2]; d != 1.4 {
		t.Fatalf("dimacs distance %v, want 1.4", d)
	}
	pd, _ := inst.Problem(solomon.Double, solomon.MinVehicles)
	if d := pd.Profiles[0].Distance[2]; math.Abs(d-math.Sqrt2) > 1e-12 || pd.Vehicles[0].FixedCost != solomon.VehicleCost {
		t.Fatalf("double distance %v, fixed cost %v", d, pd.Vehicles[0].FixedCost)
	}
	if got := inst.RouteDistance([]int{1, 2}, solomon.DIMACS); got != 5+3.6+1.4 {
		t.Fatalf("route distance %v", got)
	}
}

func TestParseErrorsNameTheLine(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"empty", "", "no vehicle row"},
		{"no vehicle section", "X\nFOO\n", "line 2: expected VEHICLE"},
		{"bad vehicle row", "X\nVEHICLE\nNUMBER CAPACITY\n 2 abc\n", "line 4: vehicles and capacity"},
		{"short row", strings.Replace(tiny, "    1      3          4         10          0        50         5", "    1 3 4 10", 1), "line 11: customer row needs 7 numbers"},
		{"not a number", strings.Replace(tiny, "   20         10", "   2x         10", 1), "line 12: field 4"},
		{"due before ready", strings.Replace(tiny, "10        60", "70        60", 1), "line 12: due date 60 before ready time 70"},
		{"numbering gap", strings.Replace(tiny, "    2      1", "    5      1", 1), "line 12: customer number 5, expected 2"},
		{"fractional demand", strings.Replace(tiny, "   20         10", "   2.5         10", 1), "line 12: demand"},
		{"no customers", "X\nVEHICLE\nNUMBER CAPACITY\n 2 10\nCUSTOMER\n", "need a depot"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := solomon.Parse(strings.NewReader(tt.text))
			if !errors.Is(err, solomon.ErrFormat) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want ErrFormat mentioning %q", err, tt.want)
			}
		})
	}
}

func TestAllBenchmarkFilesParse(t *testing.T) {
	for _, dir := range []string{"solomon", "gh200"} {
		files, _ := filepath.Glob(filepath.Join("../../testdata/vrptw", dir, "*.txt"))
		if len(files) < 56 {
			t.Fatalf("%s: %d files", dir, len(files))
		}
		for _, f := range files {
			inst, err := solomon.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want := 101
			if dir == "gh200" {
				want = 201
			}
			if len(inst.Customers) != want {
				t.Fatalf("%s: %d rows", f, len(inst.Customers))
			}
		}
	}
}

func TestConventionsAndObjectives(t *testing.T) {
	for _, s := range []string{"dimacs", "double"} {
		if _, err := solomon.ParseConvention(s); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := solomon.ParseConvention("rounded"); err == nil {
		t.Fatal("unknown convention accepted")
	}
	if _, err := solomon.ParseObjective("time"); err == nil {
		t.Fatal("unknown objective accepted")
	}
	if _, err := solomon.ReadFile(filepath.Join(t.TempDir(), "missing.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("missing file: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(tiny)
	f.Add("X\nVEHICLE\nNUMBER CAPACITY\n 1 1\nCUSTOMER\n0 0 0 0 0 1 0\n1 1 1 1 0 1 0\n")
	f.Add("X\nVEHICLE\nNUMBER CAPACITY\n 1 1\n0 1e308 -1e308 0 0 1 0\n")
	f.Fuzz(func(t *testing.T, s string) {
		inst, err := solomon.Parse(strings.NewReader(s))
		if err != nil {
			if !errors.Is(err, solomon.ErrFormat) {
				t.Fatalf("error without ErrFormat: %v", err)
			}
			return
		}
		if len(inst.Customers) > 200 {
			return
		}
		p, err := inst.Problem(solomon.DIMACS, solomon.MinDistance)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("parsed instance gives an invalid problem: %v", err)
		}
	})
}
