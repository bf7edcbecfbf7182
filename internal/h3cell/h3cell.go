// Package h3cell is the project's one door to the H3 hexagonal grid (it is
// the only importer of github.com/uber/h3-go): the cell of a point, a cell's
// parent and outline, and the cells that cover a polygon. Domain packages use
// its Cell type and resolution constants and never see the library, so
// replacing it touches this package alone.
package h3cell

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"

	h3 "github.com/uber/h3-go/v4"
)

// Resolutions used by the project. One zone resolution for every post office
// keeps membership exact: a point belongs to the office whose zone holds
// AddressCell.Parent(ZoneRes), and since all zone cells share ZoneRes, two
// offices can never claim overlapping cells of different sizes.
const (
	// AddressRes is the resolution of the cell stored with every geocoded
	// address: about 0.12 km², an edge of about 210 m in Vietnam, finer
	// than any zone so that the address can be re-zoned later by walking up
	// to any coarser parent without geocoding again.
	AddressRes = 9

	// ZoneRes is the resolution of post offices' service areas. Res 7
	// (about 5.7 km², edge about 1.5 km in Vietnam) rather than res 6
	// (about 40 km²): since 1 July 2025 urban wards are small (Phường Phan
	// Đình Phùng in Thái Nguyên is 14.7 km², two to three res-7 cells but a
	// fraction of one res-6 cell), so res 6 would lose whole wards when
	// covering their outlines and draw borders between neighbouring offices
	// kilometres off. Rural communes (around 100 km²) still take only 15-25
	// cells at res 7, so a whole province is a few thousand rows. One
	// resolution everywhere, not res 7 in cities and res 6 in the
	// countryside, keeps the one-office-per-place rule a plain unique key.
	ZoneRes = 7
)

// Cell is an H3 cell index (a 64-bit integer, stored as BIGINT).
type Cell int64

// LatLng is a point in degrees, latitude first (GeoJSON is [lng, lat]).
type LatLng struct {
	Lat, Lng float64
}

// Polygon is an outer ring with optional holes, each a ring of points with
// or without the closing repeat of the first point.
type Polygon struct {
	Outer []LatLng
	Holes [][]LatLng
}

// Containment says which cells cover a polygon.
type Containment int

// Containment modes.
const (
	// Center keeps the cells whose centre lies inside: neighbouring polygons
	// that tile the plane get disjoint covers.
	Center Containment = iota
	// Full keeps the cells entirely inside.
	Full
	// Overlapping keeps every cell that touches the polygon.
	Overlapping
)

// String names the mode.
func (m Containment) String() string {
	switch m {
	case Center:
		return "center"
	case Full:
		return "full"
	case Overlapping:
		return "overlapping"
	}
	return "containment(" + strconv.Itoa(int(m)) + ")"
}

// ParseContainment parses "center", "full" or "overlapping".
func ParseContainment(s string) (Containment, error) {
	for _, m := range []Containment{Center, Full, Overlapping} {
		if m.String() == s {
			return m, nil
		}
	}
	return 0, fmt.Errorf("h3cell: unknown containment %q (want center, full or overlapping)", s)
}

func (m Containment) mode() (h3.ContainmentMode, error) {
	switch m {
	case Center:
		return h3.ContainmentCenter, nil
	case Full:
		return h3.ContainmentFull, nil
	case Overlapping:
		return h3.ContainmentOverlapping, nil
	}
	return 0, fmt.Errorf("h3cell: unknown containment %d", int(m))
}

// ErrInvalid is wrapped by errors about bad input: a point off the globe, a
// resolution out of range, an index that is not a cell.
var ErrInvalid = errors.New("h3cell: invalid input")

// MaxCover bounds the cells one cover may return, so a mistaken polygon
// (the whole country at a fine resolution) fails instead of eating memory.
const MaxCover = 200_000

func checkRes(res int) error {
	if res < 0 || res > 15 {
		return fmt.Errorf("%w: resolution %d outside 0..15", ErrInvalid, res)
	}
	return nil
}

func checkPoint(p LatLng) error {
	if math.IsNaN(p.Lat) || math.IsNaN(p.Lng) || p.Lat < -90 || p.Lat > 90 || p.Lng < -180 || p.Lng > 180 {
		return fmt.Errorf("%w: point (%g, %g) is not a latitude and longitude in degrees", ErrInvalid, p.Lat, p.Lng)
	}
	return nil
}

// Of returns the cell of resolution res that holds the point.
func Of(p LatLng, res int) (Cell, error) {
	if err := checkRes(res); err != nil {
		return 0, err
	}
	if err := checkPoint(p); err != nil {
		return 0, err
	}
	c, err := h3.LatLngToCell(h3.NewLatLng(p.Lat, p.Lng), res)
	if err != nil {
		return 0, fmt.Errorf("h3cell: cell of (%g, %g) at res %d: %w", p.Lat, p.Lng, res, err)
	}
	return Cell(c), nil
}

// Valid reports whether c is a valid cell index.
func (c Cell) Valid() bool { return h3.Cell(c).IsValid() }

// Resolution is the cell's resolution (0-15); meaningless for invalid cells.
func (c Cell) Resolution() int { return h3.Cell(c).Resolution() }

// String is the usual hexadecimal form, e.g. "8765a9a9bffffff".
func (c Cell) String() string { return h3.Cell(c).String() }

// Parse reads a cell from its hexadecimal form or from its decimal BIGINT
// form, and checks it is valid.
func Parse(s string) (Cell, error) {
	if s == "" {
		return 0, fmt.Errorf("%w: empty cell", ErrInvalid)
	}
	var c Cell
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && len(s) > 15 {
		c = Cell(n)
	} else if u, err := strconv.ParseUint(s, 16, 64); err == nil {
		c = Cell(int64(u))
	} else {
		return 0, fmt.Errorf("%w: %q is not an H3 cell", ErrInvalid, s)
	}
	if !c.Valid() {
		return 0, fmt.Errorf("%w: %q is not an H3 cell", ErrInvalid, s)
	}
	return c, nil
}

// Parent returns the cell's ancestor at res (the cell itself at its own
// resolution).
func (c Cell) Parent(res int) (Cell, error) {
	if !c.Valid() {
		return 0, fmt.Errorf("%w: %d is not a cell", ErrInvalid, int64(c))
	}
	if err := checkRes(res); err != nil {
		return 0, err
	}
	if res > c.Resolution() {
		return 0, fmt.Errorf("%w: res-%d cell has no parent at finer res %d", ErrInvalid, c.Resolution(), res)
	}
	p, err := h3.Cell(c).Parent(res)
	if err != nil {
		return 0, fmt.Errorf("h3cell: parent of %s at res %d: %w", c, res, err)
	}
	return Cell(p), nil
}

// Center is the cell's centre point.
func (c Cell) Center() (LatLng, error) {
	if !c.Valid() {
		return LatLng{}, fmt.Errorf("%w: %d is not a cell", ErrInvalid, int64(c))
	}
	ll, err := h3.Cell(c).LatLng()
	if err != nil {
		return LatLng{}, fmt.Errorf("h3cell: centre of %s: %w", c, err)
	}
	return LatLng{ll.Lat, ll.Lng}, nil
}

// Boundary is the cell's outline (5 to 10 vertices, not closed), for
// drawing.
func (c Cell) Boundary() ([]LatLng, error) {
	if !c.Valid() {
		return nil, fmt.Errorf("%w: %d is not a cell", ErrInvalid, int64(c))
	}
	b, err := h3.Cell(c).Boundary()
	if err != nil {
		return nil, fmt.Errorf("h3cell: boundary of %s: %w", c, err)
	}
	out := make([]LatLng, len(b))
	for i, p := range b {
		out[i] = LatLng{p.Lat, p.Lng}
	}
	return out, nil
}

// Disk returns the cells within k steps of c, c included.
func (c Cell) Disk(k int) ([]Cell, error) {
	if !c.Valid() || k < 0 || k > 100 {
		return nil, fmt.Errorf("%w: disk of %d with k=%d", ErrInvalid, int64(c), k)
	}
	cs, err := h3.Cell(c).GridDisk(k)
	if err != nil {
		return nil, fmt.Errorf("h3cell: disk of %s: %w", c, err)
	}
	return fromH3(cs), nil
}

func fromH3(cs []h3.Cell) []Cell {
	out := make([]Cell, 0, len(cs))
	for _, c := range cs {
		if c != 0 {
			out = append(out, Cell(c))
		}
	}
	return out
}

func loop(ring []LatLng) (h3.GeoLoop, error) {
	if n := len(ring); n > 1 && ring[0] == ring[n-1] {
		ring = ring[:n-1]
	}
	if len(ring) < 3 {
		return nil, fmt.Errorf("%w: a ring needs at least 3 distinct points, got %d", ErrInvalid, len(ring))
	}
	out := make(h3.GeoLoop, len(ring))
	for i, p := range ring {
		if err := checkPoint(p); err != nil {
			return nil, err
		}
		out[i] = h3.NewLatLng(p.Lat, p.Lng)
	}
	return out, nil
}

// Cover returns the sorted, distinct cells of resolution res that cover the
// polygons under the containment mode. It fails when the cover would exceed
// MaxCover cells.
func Cover(polys []Polygon, res int, mode Containment) ([]Cell, error) {
	if err := checkRes(res); err != nil {
		return nil, err
	}
	m, err := mode.mode()
	if err != nil {
		return nil, err
	}
	seen := map[Cell]bool{}
	var out []Cell
	for i, p := range polys {
		outer, err := loop(p.Outer)
		if err != nil {
			return nil, fmt.Errorf("polygon %d: %w", i, err)
		}
		gp := h3.GeoPolygon{GeoLoop: outer}
		for j, h := range p.Holes {
			hl, err := loop(h)
			if err != nil {
				return nil, fmt.Errorf("polygon %d hole %d: %w", i, j, err)
			}
			gp.Holes = append(gp.Holes, hl)
		}
		cs, err := h3.PolygonToCellsExperimental(gp, res, m, MaxCover+1)
		if err != nil {
			return nil, fmt.Errorf("h3cell: cover polygon %d at res %d: %w", i, res, err)
		}
		for _, c := range fromH3(cs) {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
		if len(out) > MaxCover {
			return nil, fmt.Errorf("%w: cover has more than %d cells", ErrInvalid, MaxCover)
		}
	}
	Sort(out)
	return out, nil
}

// Outline returns the outlines of a set of cells of one resolution, merged
// into polygons (outer ring then holes), for drawing a zone with few
// vertices.
func Outline(cells []Cell) ([]Polygon, error) {
	if len(cells) == 0 {
		return nil, nil
	}
	res := cells[0].Resolution()
	in := make([]h3.Cell, 0, len(cells))
	seen := map[Cell]bool{}
	for _, c := range cells {
		if !c.Valid() || c.Resolution() != res {
			return nil, fmt.Errorf("%w: outline needs valid cells of one resolution (%s)", ErrInvalid, c)
		}
		if !seen[c] {
			seen[c] = true
			in = append(in, h3.Cell(c))
		}
	}
	ps, err := h3.CellsToMultiPolygon(in)
	if err != nil {
		return nil, fmt.Errorf("h3cell: outline of %d cells: %w", len(cells), err)
	}
	out := make([]Polygon, len(ps))
	for i, p := range ps {
		out[i].Outer = toLatLngs(p.GeoLoop)
		for _, h := range p.Holes {
			out[i].Holes = append(out[i].Holes, toLatLngs(h))
		}
	}
	return out, nil
}

func toLatLngs(l h3.GeoLoop) []LatLng {
	out := make([]LatLng, len(l))
	for i, p := range l {
		out[i] = LatLng{p.Lat, p.Lng}
	}
	return out
}

// Sort orders cells by index, in place.
func Sort(cs []Cell) { sort.Slice(cs, func(i, j int) bool { return cs[i] < cs[j] }) }
