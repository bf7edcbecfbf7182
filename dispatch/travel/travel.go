// Package travel estimates distances and travel times between points for
// the route planner: straight-line (haversine) distance times a detour
// factor, divided by the speed of the vehicle kind, plus a service time per
// stop that grows with the number of documents. The Model interface lets a
// road-network matrix replace the estimate later.
package travel

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Point is a position in degrees (WGS 84).
type Point struct {
	Lat, Lon float64
}

// Kind is a vehicle kind with its own speed (a travel profile).
type Kind string

// Vehicle kinds with a default speed.
const (
	Motorbike Kind = "motorbike"
	Car       Kind = "car"
	Bicycle   Kind = "bicycle"
	Walking   Kind = "walking"
)

// Model gives the travel metric the planner uses.
type Model interface {
	// Distance is the road distance in metres from a to b.
	Distance(a, b Point) float64
	// Time is the travel time in seconds from a to b for a vehicle kind.
	Time(kind Kind, a, b Point) (float64, error)
	// Service is the time in seconds spent at a stop handling docs documents.
	Service(docs int) float64
}

// Config parametrises the default model.
type Config struct {
	// Detour multiplies the straight-line distance to approximate roads.
	Detour float64
	// SpeedKmh is the mean speed of each vehicle kind in km/h.
	SpeedKmh map[Kind]float64
	// ServiceBase is the time at every stop (parking, greeting, identity
	// check), ServicePerDocument the time per document checked and signed,
	// both in seconds.
	ServiceBase, ServicePerDocument float64
}

// DefaultConfig returns the defaults: detour 1.3, motorbike 25 km/h, car
// 30 km/h, bicycle 12 km/h, walking 4.5 km/h, 180 s per stop plus 60 s per
// document.
func DefaultConfig() Config {
	return Config{
		Detour: 1.3,
		SpeedKmh: map[Kind]float64{
			Motorbike: 25, Car: 30, Bicycle: 12, Walking: 4.5,
		},
		ServiceBase:        180,
		ServicePerDocument: 60,
	}
}

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("invalid travel config")

// Validate checks the configuration and names the faulty field.
func (c Config) Validate() error {
	if !(c.Detour >= 1 && c.Detour <= 5) {
		return fmt.Errorf("%w: detour factor %g must be between 1 and 5", ErrConfig, c.Detour)
	}
	if len(c.SpeedKmh) == 0 {
		return fmt.Errorf("%w: no vehicle speed", ErrConfig)
	}
	for _, k := range sortedKinds(c.SpeedKmh) {
		s := c.SpeedKmh[k]
		if !(s > 0 && s <= 200) {
			return fmt.Errorf("%w: speed of %q is %g km/h, want between 0 and 200", ErrConfig, k, s)
		}
	}
	if !(c.ServiceBase >= 0 && c.ServiceBase < 86400) {
		return fmt.Errorf("%w: service base %g s must be between 0 and 86400", ErrConfig, c.ServiceBase)
	}
	if !(c.ServicePerDocument >= 0 && c.ServicePerDocument < 86400) {
		return fmt.Errorf("%w: service per document %g s must be between 0 and 86400", ErrConfig, c.ServicePerDocument)
	}
	return nil
}

func sortedKinds(m map[Kind]float64) []Kind {
	ks := make([]Kind, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool { return ks[i] < ks[j] })
	return ks
}

// Haversine is the default Model.
type Haversine struct {
	cfg Config
}

// New validates cfg and returns the default model.
func New(cfg Config) (*Haversine, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	sp := make(map[Kind]float64, len(cfg.SpeedKmh))
	for k, v := range cfg.SpeedKmh {
		sp[k] = v
	}
	cfg.SpeedKmh = sp
	return &Haversine{cfg: cfg}, nil
}

// earthRadius is the mean Earth radius in metres.
const earthRadius = 6371008.8

// GreatCircle is the haversine distance in metres.
func GreatCircle(a, b Point) float64 {
	const rad = math.Pi / 180
	dLat := (b.Lat - a.Lat) * rad
	dLon := (b.Lon - a.Lon) * rad
	s1 := math.Sin(dLat / 2)
	s2 := math.Sin(dLon / 2)
	h := s1*s1 + math.Cos(a.Lat*rad)*math.Cos(b.Lat*rad)*s2*s2
	return 2 * earthRadius * math.Asin(math.Min(1, math.Sqrt(h)))
}

// Distance implements Model.
func (m *Haversine) Distance(a, b Point) float64 { return GreatCircle(a, b) * m.cfg.Detour }

// Time implements Model.
func (m *Haversine) Time(kind Kind, a, b Point) (float64, error) {
	s, ok := m.cfg.SpeedKmh[kind]
	if !ok {
		return 0, fmt.Errorf("travel time: unknown vehicle kind %q", kind)
	}
	return m.Distance(a, b) / (s / 3.6), nil
}

// Service implements Model.
func (m *Haversine) Service(docs int) float64 {
	if docs < 0 {
		docs = 0
	}
	return m.cfg.ServiceBase + m.cfg.ServicePerDocument*float64(docs)
}

// Matrix is a dense row-major matrix over n points: At(a, b) = V[a*N+b].
type Matrix struct {
	N int
	V []float64
}

// At returns the entry from a to b.
func (m *Matrix) At(a, b int) float64 { return m.V[a*m.N+b] }

// Matrices builds the distance matrix (metres) and the time matrix (seconds)
// of kind for pts. Any Model works; the default one is computed directly from
// precomputed trigonometry, so 2,000 points take a few tens of milliseconds.
func Matrices(m Model, kind Kind, pts []Point) (dist, tm Matrix, err error) {
	n := len(pts)
	dist = Matrix{N: n, V: make([]float64, n*n)}
	tm = Matrix{N: n, V: make([]float64, n*n)}
	if h, ok := m.(*Haversine); ok {
		s, ok := h.cfg.SpeedKmh[kind]
		if !ok {
			return Matrix{}, Matrix{}, fmt.Errorf("travel matrices: unknown vehicle kind %q", kind)
		}
		h.fill(pts, dist.V, tm.V, s/3.6)
		return dist, tm, nil
	}
	for a := range n {
		for b := range n {
			if a == b {
				continue
			}
			dist.V[a*n+b] = m.Distance(pts[a], pts[b])
			t, err := m.Time(kind, pts[a], pts[b])
			if err != nil {
				return Matrix{}, Matrix{}, fmt.Errorf("travel matrices: %w", err)
			}
			tm.V[a*n+b] = t
		}
	}
	return dist, tm, nil
}

// fill computes both matrices exploiting symmetry and cached cosines.
func (m *Haversine) fill(pts []Point, dist, tm []float64, speed float64) {
	const rad = math.Pi / 180
	n := len(pts)
	lat := make([]float64, n)
	lon := make([]float64, n)
	cosLat := make([]float64, n)
	for i, p := range pts {
		lat[i], lon[i] = p.Lat*rad, p.Lon*rad
		cosLat[i] = math.Cos(lat[i])
	}
	f := 2 * earthRadius * m.cfg.Detour
	for a := range n {
		for b := a + 1; b < n; b++ {
			s1 := math.Sin((lat[b] - lat[a]) / 2)
			s2 := math.Sin((lon[b] - lon[a]) / 2)
			h := s1*s1 + cosLat[a]*cosLat[b]*s2*s2
			d := f * math.Asin(math.Min(1, math.Sqrt(h)))
			dist[a*n+b], dist[b*n+a] = d, d
			t := d / speed
			tm[a*n+b], tm[b*n+a] = t, t
		}
	}
}
