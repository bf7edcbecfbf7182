package travel_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"hoso/dispatch/travel"
)

func TestGreatCircle(t *testing.T) {
	tests := []struct {
		name string
		a, b travel.Point
		want float64 // metres
		tol  float64
	}{
		{"same point", travel.Point{21.59, 105.85}, travel.Point{21.59, 105.85}, 0, 1e-9},
		{"one degree of latitude", travel.Point{21, 105}, travel.Point{22, 105}, 111195, 5},
		// Hà Nội (Hoàn Kiếm) to Thái Nguyên city centre, about 63 km as the crow flies.
		{"Hà Nội to Thái Nguyên", travel.Point{21.0285, 105.8542}, travel.Point{21.5942, 105.8482}, 62900, 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := travel.GreatCircle(tt.a, tt.b)
			if math.Abs(got-tt.want) > tt.tol {
				t.Fatalf("GreatCircle = %.1f, want %.1f ± %g", got, tt.want, tt.tol)
			}
		})
	}
}

func TestModel(t *testing.T) {
	m, err := travel.New(travel.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	a, b := travel.Point{21, 105}, travel.Point{22, 105}
	d := m.Distance(a, b)
	if want := 111195 * 1.3; math.Abs(d-want) > 10 {
		t.Fatalf("Distance = %.0f, want %.0f", d, want)
	}
	tm, err := m.Time(travel.Motorbike, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if want := d / (25 / 3.6); math.Abs(tm-want) > 1e-6 {
		t.Fatalf("Time = %.1f, want %.1f", tm, want)
	}
	if _, err := m.Time("tàu bay", a, b); err == nil {
		t.Fatal("unknown kind accepted")
	}
	if got := m.Service(3); got != 180+3*60 {
		t.Fatalf("Service(3) = %g", got)
	}
	if got := m.Service(-1); got != 180 {
		t.Fatalf("Service(-1) = %g", got)
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name   string
		modify func(*travel.Config)
	}{
		{"detour below 1", func(c *travel.Config) { c.Detour = 0.9 }},
		{"detour NaN", func(c *travel.Config) { c.Detour = math.NaN() }},
		{"zero speed", func(c *travel.Config) { c.SpeedKmh[travel.Car] = 0 }},
		{"no speeds", func(c *travel.Config) { c.SpeedKmh = nil }},
		{"negative service", func(c *travel.Config) { c.ServiceBase = -1 }},
		{"negative per document", func(c *travel.Config) { c.ServicePerDocument = -5 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := travel.DefaultConfig()
			tt.modify(&c)
			if _, err := travel.New(c); !errors.Is(err, travel.ErrConfig) {
				t.Fatalf("New = %v, want ErrConfig", err)
			}
		})
	}
}

// slowModel hides the concrete type so Matrices takes the generic path.
type slowModel struct{ travel.Model }

func TestMatricesMatchModel(t *testing.T) {
	m, _ := travel.New(travel.DefaultConfig())
	r := rand.New(rand.NewPCG(1, 2))
	pts := make([]travel.Point, 60)
	for i := range pts {
		pts[i] = travel.Point{Lat: 21.3 + r.Float64()*0.6, Lon: 105.5 + r.Float64()*0.6}
	}
	fd, ft, err := travel.Matrices(m, travel.Motorbike, pts)
	if err != nil {
		t.Fatal(err)
	}
	sd, st, err := travel.Matrices(slowModel{m}, travel.Motorbike, pts)
	if err != nil {
		t.Fatal(err)
	}
	for a := range pts {
		for b := range pts {
			if math.Abs(fd.At(a, b)-sd.At(a, b)) > 1e-6 || math.Abs(ft.At(a, b)-st.At(a, b)) > 1e-6 {
				t.Fatalf("(%d,%d): fast %g/%g, slow %g/%g", a, b, fd.At(a, b), ft.At(a, b), sd.At(a, b), st.At(a, b))
			}
		}
	}
}

func TestMatricesFast(t *testing.T) {
	m, _ := travel.New(travel.DefaultConfig())
	pts := make([]travel.Point, 1500)
	for i := range pts {
		pts[i] = travel.Point{Lat: 21.3 + float64(i%37)*0.01, Lon: 105.5 + float64(i%41)*0.01}
	}
	start := time.Now()
	if _, _, err := travel.Matrices(m, travel.Motorbike, pts); err != nil {
		t.Fatal(err)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Fatalf("1,500 points took %v", el)
	}
}

func BenchmarkMatrices1000(b *testing.B) {
	m, _ := travel.New(travel.DefaultConfig())
	pts := make([]travel.Point, 1000)
	for i := range pts {
		pts[i] = travel.Point{Lat: 21.3 + float64(i%37)*0.01, Lon: 105.5 + float64(i%41)*0.01}
	}
	for b.Loop() {
		_, _, _ = travel.Matrices(m, travel.Motorbike, pts)
	}
}
