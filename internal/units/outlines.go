package units

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"sync"
)

// The outlines are simplified for drawing and for covering units with H3
// cells (provinces at about 200 m, communes at about 50 m); they are not for
// legal boundary decisions, and neighbouring outlines may leave slivers or
// overlap by tens of metres (data/README.md).
var (
	//go:embed data/wards.geojson
	wardsGeoJSON []byte
	//go:embed data/provinces.geojson
	provincesGeoJSON []byte
)

// Point is a vertex of an outline in degrees.
type Point struct {
	Lat, Lng float64
}

// Polygon is an outer ring followed by its holes; rings are closed (the
// last point repeats the first), as in GeoJSON.
type Polygon [][]Point

// Outline is the shape of one unit: one or more polygons.
type Outline struct {
	Code         string
	ProvinceCode string // the province's own code for a province
	Name         string
	Polygons     []Polygon
}

// Outlines gives the embedded outlines, parsed on first use (the commune
// file is about 9.5 MB, so a process that never draws a map never parses
// it). It is safe for concurrent use; share one per process.
type Outlines struct {
	once      sync.Once
	err       error
	provinces map[string]Outline
	communes  map[string]Outline
	perProv   map[string][]string

	mu      sync.Mutex
	geojson map[string][]byte
}

// NewOutlines returns the embedded outlines, not yet parsed.
func NewOutlines() *Outlines { return &Outlines{} }

type geoFeature struct {
	ID         string `json:"id"`
	Properties struct {
		Code         string `json:"code"`
		Name         string `json:"name"`
		ProvinceCode string `json:"province_code"`
	} `json:"properties"`
	Geometry struct {
		Type        string          `json:"type"`
		Coordinates json.RawMessage `json:"coordinates"`
	} `json:"geometry"`
}

type geoCollection struct {
	Features []geoFeature `json:"features"`
}

// ParseOutlines reads a GeoJSON FeatureCollection of Polygon or MultiPolygon
// features keyed by id (or properties.code).
func ParseOutlines(b []byte) ([]Outline, error) {
	var fc geoCollection
	if err := json.Unmarshal(b, &fc); err != nil {
		return nil, fmt.Errorf("units: outlines: %w", err)
	}
	out := make([]Outline, 0, len(fc.Features))
	for i, f := range fc.Features {
		code := f.ID
		if code == "" {
			code = f.Properties.Code
		}
		if code == "" {
			return nil, fmt.Errorf("units: outline %d has no id", i)
		}
		var polys [][][][2]float64
		switch f.Geometry.Type {
		case "MultiPolygon":
			if err := json.Unmarshal(f.Geometry.Coordinates, &polys); err != nil {
				return nil, fmt.Errorf("units: outline %s: %w", code, err)
			}
		case "Polygon":
			var one [][][2]float64
			if err := json.Unmarshal(f.Geometry.Coordinates, &one); err != nil {
				return nil, fmt.Errorf("units: outline %s: %w", code, err)
			}
			polys = [][][][2]float64{one}
		default:
			return nil, fmt.Errorf("units: outline %s: geometry %q is not a polygon", code, f.Geometry.Type)
		}
		o := Outline{Code: code, ProvinceCode: f.Properties.ProvinceCode, Name: f.Properties.Name}
		for _, p := range polys {
			var poly Polygon
			for _, ring := range p {
				if len(ring) < 4 {
					return nil, fmt.Errorf("units: outline %s: a ring has %d points, want at least 4", code, len(ring))
				}
				r := make([]Point, len(ring))
				for k, c := range ring {
					if c[1] < -90 || c[1] > 90 || c[0] < -180 || c[0] > 180 {
						return nil, fmt.Errorf("units: outline %s: point [%g, %g] is not [lng, lat]", code, c[0], c[1])
					}
					r[k] = Point{Lat: c[1], Lng: c[0]}
				}
				poly = append(poly, r)
			}
			if len(poly) > 0 {
				o.Polygons = append(o.Polygons, poly)
			}
		}
		if len(o.Polygons) == 0 {
			return nil, fmt.Errorf("units: outline %s is empty", code)
		}
		out = append(out, o)
	}
	return out, nil
}

func (o *Outlines) load() error {
	o.once.Do(func() {
		provs, err := ParseOutlines(provincesGeoJSON)
		if err != nil {
			o.err = err
			return
		}
		comms, err := ParseOutlines(wardsGeoJSON)
		if err != nil {
			o.err = err
			return
		}
		o.provinces = make(map[string]Outline, len(provs))
		for _, p := range provs {
			p.ProvinceCode = p.Code
			o.provinces[p.Code] = p
		}
		o.communes = make(map[string]Outline, len(comms))
		o.perProv = map[string][]string{}
		for _, c := range comms {
			o.communes[c.Code] = c
			o.perProv[c.ProvinceCode] = append(o.perProv[c.ProvinceCode], c.Code)
		}
		for _, cs := range o.perProv {
			sort.Strings(cs)
		}
	})
	return o.err
}

// Province returns a province's outline; ok is false for an unknown code.
func (o *Outlines) Province(code string) (Outline, bool, error) {
	if err := o.load(); err != nil {
		return Outline{}, false, err
	}
	p, ok := o.provinces[code]
	return p, ok, nil
}

// Commune returns a commune's outline; ok is false for an unknown code.
func (o *Outlines) Commune(code string) (Outline, bool, error) {
	if err := o.load(); err != nil {
		return Outline{}, false, err
	}
	c, ok := o.communes[code]
	return c, ok, nil
}

// CommunesOf returns the outlines of a province's communes in code order.
func (o *Outlines) CommunesOf(province string) ([]Outline, error) {
	if err := o.load(); err != nil {
		return nil, err
	}
	codes := o.perProv[province]
	out := make([]Outline, len(codes))
	for i, c := range codes {
		out[i] = o.communes[c]
	}
	return out, nil
}

type outFeature struct {
	Type       string         `json:"type"`
	ID         string         `json:"id"`
	Properties map[string]any `json:"properties"`
	Geometry   outGeometry    `json:"geometry"`
}

type outGeometry struct {
	Type        string           `json:"type"`
	Coordinates [][][][2]float64 `json:"coordinates"`
}

func toGeometry(o Outline) outGeometry {
	g := outGeometry{Type: "MultiPolygon", Coordinates: make([][][][2]float64, len(o.Polygons))}
	for i, p := range o.Polygons {
		g.Coordinates[i] = make([][][2]float64, len(p))
		for j, r := range p {
			ring := make([][2]float64, len(r))
			for k, pt := range r {
				ring[k] = [2]float64{pt.Lng, pt.Lat}
			}
			g.Coordinates[i][j] = ring
		}
	}
	return g
}

// ProvinceGeoJSON returns a GeoJSON FeatureCollection for drawing one
// province: its outline (properties.level "province") and each commune's
// (properties.level "commune", with code and name). The bytes are built once
// per province and shared; callers must not modify them.
func (o *Outlines) ProvinceGeoJSON(province string) ([]byte, error) {
	if err := o.load(); err != nil {
		return nil, err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if b, ok := o.geojson[province]; ok {
		return b, nil
	}
	p, ok := o.provinces[province]
	if !ok {
		return nil, fmt.Errorf("units: no province %q", province)
	}
	fc := struct {
		Type     string       `json:"type"`
		Features []outFeature `json:"features"`
	}{Type: "FeatureCollection"}
	fc.Features = append(fc.Features, outFeature{Type: "Feature", ID: p.Code,
		Properties: map[string]any{"level": "province", "code": p.Code, "name": p.Name}, Geometry: toGeometry(p)})
	for _, code := range o.perProv[province] {
		c := o.communes[code]
		fc.Features = append(fc.Features, outFeature{Type: "Feature", ID: c.Code,
			Properties: map[string]any{"level": "commune", "code": c.Code, "name": c.Name}, Geometry: toGeometry(c)})
	}
	b, err := json.Marshal(fc)
	if err != nil {
		return nil, fmt.Errorf("units: province %s GeoJSON: %w", province, err)
	}
	if o.geojson == nil {
		o.geojson = map[string][]byte{}
	}
	o.geojson[province] = b
	return b, nil
}

// Contains reports whether the point lies inside the outline (even-odd rule
// over every ring, so holes count as outside).
func (o Outline) Contains(p Point) bool {
	for _, poly := range o.Polygons {
		in := false
		for _, ring := range poly {
			for i, j := 0, len(ring)-1; i < len(ring); j, i = i, i+1 {
				a, b := ring[i], ring[j]
				if (a.Lat > p.Lat) != (b.Lat > p.Lat) &&
					p.Lng < (b.Lng-a.Lng)*(p.Lat-a.Lat)/(b.Lat-a.Lat)+a.Lng {
					in = !in
				}
			}
		}
		if in {
			return true
		}
	}
	return false
}
