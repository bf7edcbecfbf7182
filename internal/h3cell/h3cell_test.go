package h3cell_test

import (
	"errors"
	"math"
	"strconv"
	"testing"

	"hoso/internal/h3cell"
)

// phanDinhPhung is the point inside Phường Phan Đình Phùng (Thái Nguyên).
var phanDinhPhung = h3cell.LatLng{Lat: 21.588734, Lng: 105.833774}

func TestOfAndParent(t *testing.T) {
	c9, err := h3cell.Of(phanDinhPhung, h3cell.AddressRes)
	if err != nil {
		t.Fatal(err)
	}
	if c9.Resolution() != 9 || !c9.Valid() {
		t.Fatalf("cell %s res %d valid %v", c9, c9.Resolution(), c9.Valid())
	}
	z, err := c9.Parent(h3cell.ZoneRes)
	if err != nil {
		t.Fatal(err)
	}
	z2, err := h3cell.Of(phanDinhPhung, h3cell.ZoneRes)
	if err != nil {
		t.Fatal(err)
	}
	if z != z2 {
		t.Errorf("parent %s differs from the point's res-7 cell %s", z, z2)
	}
	self, err := z.Parent(h3cell.ZoneRes)
	if err != nil || self != z {
		t.Errorf("parent at own resolution = %s, %v", self, err)
	}
	if _, err := z.Parent(9); !errors.Is(err, h3cell.ErrInvalid) {
		t.Errorf("finer parent: %v", err)
	}
	// The centre lies within a cell edge of the point.
	ctr, err := c9.Center()
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(ctr.Lat-phanDinhPhung.Lat) > 0.01 || math.Abs(ctr.Lng-phanDinhPhung.Lng) > 0.01 {
		t.Errorf("centre %v far from %v", ctr, phanDinhPhung)
	}
}

func TestBadInput(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    h3cell.LatLng
		res  int
	}{
		{"latitude 91", h3cell.LatLng{Lat: 91, Lng: 105}, 9},
		{"NaN", h3cell.LatLng{Lat: math.NaN(), Lng: 105}, 9},
		{"res 16", phanDinhPhung, 16},
		{"res -1", phanDinhPhung, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := h3cell.Of(tc.p, tc.res); !errors.Is(err, h3cell.ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
		})
	}
	if _, err := h3cell.Cell(12345).Parent(5); !errors.Is(err, h3cell.ErrInvalid) {
		t.Errorf("invalid cell parent: %v", err)
	}
	if _, err := h3cell.Cell(12345).Boundary(); !errors.Is(err, h3cell.ErrInvalid) {
		t.Errorf("invalid cell boundary: %v", err)
	}
	if _, err := h3cell.Cover([]h3cell.Polygon{{Outer: []h3cell.LatLng{{Lat: 21, Lng: 105}, {Lat: 21.1, Lng: 105}}}}, 7, h3cell.Center); !errors.Is(err, h3cell.ErrInvalid) {
		t.Errorf("two-point ring: %v", err)
	}
}

func TestParseRoundTrip(t *testing.T) {
	c, err := h3cell.Of(phanDinhPhung, 9)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{c.String(), strconv.FormatInt(int64(c), 10)} {
		got, err := h3cell.Parse(s)
		if err != nil || got != c {
			t.Errorf("Parse(%q) = %s, %v", s, got, err)
		}
	}
	for _, bad := range []string{"", "xyz", "0", "8"} {
		if _, err := h3cell.Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

// square is a ring of about 11 km by 11 km around Thái Nguyên city.
func square(lat, lng, half float64) []h3cell.LatLng {
	return []h3cell.LatLng{{Lat: lat - half, Lng: lng - half}, {Lat: lat - half, Lng: lng + half},
		{Lat: lat + half, Lng: lng + half}, {Lat: lat + half, Lng: lng - half}, {Lat: lat - half, Lng: lng - half}}
}

func TestCoverModes(t *testing.T) {
	poly := []h3cell.Polygon{{Outer: square(21.59, 105.83, 0.05)}}
	counts := map[h3cell.Containment]int{}
	sets := map[h3cell.Containment]map[h3cell.Cell]bool{}
	for _, m := range []h3cell.Containment{h3cell.Full, h3cell.Center, h3cell.Overlapping} {
		cs, err := h3cell.Cover(poly, h3cell.ZoneRes, m)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		counts[m] = len(cs)
		sets[m] = map[h3cell.Cell]bool{}
		for i, c := range cs {
			if c.Resolution() != h3cell.ZoneRes {
				t.Fatalf("%s: cell %s at res %d", m, c, c.Resolution())
			}
			if i > 0 && cs[i-1] >= c {
				t.Fatalf("%s: not sorted or duplicated at %d", m, i)
			}
			sets[m][c] = true
		}
	}
	// About 120 km² / 5.7 km² ≈ 21 cells by centre.
	if counts[h3cell.Center] < 12 || counts[h3cell.Center] > 35 {
		t.Errorf("centre cover has %d cells", counts[h3cell.Center])
	}
	if !(counts[h3cell.Full] < counts[h3cell.Center] && counts[h3cell.Center] < counts[h3cell.Overlapping]) {
		t.Errorf("counts full %d, centre %d, overlapping %d not increasing", counts[h3cell.Full], counts[h3cell.Center], counts[h3cell.Overlapping])
	}
	for c := range sets[h3cell.Full] {
		if !sets[h3cell.Center][c] {
			t.Errorf("full cell %s missing from centre cover", c)
		}
	}
	for c := range sets[h3cell.Center] {
		if !sets[h3cell.Overlapping][c] {
			t.Errorf("centre cell %s missing from overlapping cover", c)
		}
	}
	// Every point inside the square whose zone cell is in the centre cover
	// has that cover's cell as parent of its address cell.
	for i := 0; i < 20; i++ {
		p := h3cell.LatLng{Lat: 21.55 + float64(i)*0.004, Lng: 105.79 + float64(i)*0.004}
		a, _ := h3cell.Of(p, h3cell.AddressRes)
		z, _ := a.Parent(h3cell.ZoneRes)
		zc, _ := h3cell.Of(p, h3cell.ZoneRes)
		if z != zc && !sets[h3cell.Overlapping][z] {
			t.Errorf("point %v: parent %s not in the overlapping cover", p, z)
		}
	}
}

func TestCoverWithHoleAndNeighbours(t *testing.T) {
	outer := square(21.59, 105.83, 0.08)
	hole := square(21.59, 105.83, 0.03)
	with, err := h3cell.Cover([]h3cell.Polygon{{Outer: outer, Holes: [][]h3cell.LatLng{hole}}}, 7, h3cell.Center)
	if err != nil {
		t.Fatal(err)
	}
	without, err := h3cell.Cover([]h3cell.Polygon{{Outer: outer}}, 7, h3cell.Center)
	if err != nil {
		t.Fatal(err)
	}
	if len(with) >= len(without) {
		t.Errorf("hole removes nothing: %d vs %d", len(with), len(without))
	}
	// Two squares sharing an edge: centre covers are disjoint.
	west := []h3cell.LatLng{{Lat: 21.5, Lng: 105.7}, {Lat: 21.5, Lng: 105.8}, {Lat: 21.6, Lng: 105.8}, {Lat: 21.6, Lng: 105.7}}
	east := []h3cell.LatLng{{Lat: 21.5, Lng: 105.8}, {Lat: 21.5, Lng: 105.9}, {Lat: 21.6, Lng: 105.9}, {Lat: 21.6, Lng: 105.8}}
	a, _ := h3cell.Cover([]h3cell.Polygon{{Outer: west}}, 7, h3cell.Center)
	b, _ := h3cell.Cover([]h3cell.Polygon{{Outer: east}}, 7, h3cell.Center)
	inA := map[h3cell.Cell]bool{}
	for _, c := range a {
		inA[c] = true
	}
	for _, c := range b {
		if inA[c] {
			t.Errorf("cell %s in both neighbours' centre covers", c)
		}
	}
	ov, _ := h3cell.Cover([]h3cell.Polygon{{Outer: west}}, 7, h3cell.Overlapping)
	ob, _ := h3cell.Cover([]h3cell.Polygon{{Outer: east}}, 7, h3cell.Overlapping)
	shared := 0
	inOV := map[h3cell.Cell]bool{}
	for _, c := range ov {
		inOV[c] = true
	}
	for _, c := range ob {
		if inOV[c] {
			shared++
		}
	}
	if shared == 0 {
		t.Error("overlapping covers of neighbours share no cell along the border")
	}
}

func TestBoundaryAndOutline(t *testing.T) {
	c, _ := h3cell.Of(phanDinhPhung, h3cell.ZoneRes)
	b, err := c.Boundary()
	if err != nil {
		t.Fatal(err)
	}
	if len(b) < 5 || len(b) > 10 {
		t.Errorf("boundary has %d vertices", len(b))
	}
	disk, err := c.Disk(1)
	if err != nil || len(disk) != 7 {
		t.Fatalf("disk = %d cells, %v", len(disk), err)
	}
	polys, err := h3cell.Outline(disk)
	if err != nil {
		t.Fatal(err)
	}
	if len(polys) != 1 || len(polys[0].Holes) != 0 || len(polys[0].Outer) != 18 {
		t.Errorf("outline of a 7-cell disk: %d polygons, %d vertices", len(polys), len(polys[0].Outer))
	}
	if _, err := h3cell.Outline([]h3cell.Cell{c, disk[1] /* same res */}); err != nil {
		t.Errorf("outline of two cells: %v", err)
	}
	a9, _ := h3cell.Of(phanDinhPhung, 9)
	if _, err := h3cell.Outline([]h3cell.Cell{c, a9}); !errors.Is(err, h3cell.ErrInvalid) {
		t.Errorf("mixed resolutions: %v", err)
	}
}

func TestParseContainment(t *testing.T) {
	for _, m := range []h3cell.Containment{h3cell.Center, h3cell.Full, h3cell.Overlapping} {
		got, err := h3cell.ParseContainment(m.String())
		if err != nil || got != m {
			t.Errorf("%s: %v %v", m, got, err)
		}
	}
	if _, err := h3cell.ParseContainment("bbox"); err == nil {
		t.Error("bbox accepted")
	}
}

func FuzzParse(f *testing.F) {
	f.Add("8765a9a9bffffff")
	f.Add("612345678901234567")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := h3cell.Parse(s)
		if err == nil && !c.Valid() {
			t.Fatalf("Parse(%q) returned invalid cell %d", s, int64(c))
		}
	})
}
