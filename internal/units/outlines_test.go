package units_test

import (
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"hoso/internal/units"
)

func TestOutlinesEveryUnit(t *testing.T) {
	set, err := units.Load()
	if err != nil {
		t.Fatal(err)
	}
	o := units.NewOutlines()
	for _, p := range set.Provinces() {
		out, ok, err := o.Province(p.Code)
		if err != nil || !ok {
			t.Fatalf("province %s: %v %v", p.Code, ok, err)
		}
		if out.ProvinceCode != p.Code || len(out.Polygons) == 0 {
			t.Errorf("province %s outline %+v", p.Code, out.ProvinceCode)
		}
	}
	missing, outside := 0, 0
	for _, c := range set.Communes() {
		out, ok, err := o.Commune(c.Code)
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			missing++
			continue
		}
		if out.ProvinceCode != c.ProvinceCode {
			t.Errorf("commune %s in province %s, outline says %s", c.Code, c.ProvinceCode, out.ProvinceCode)
		}
		// data/README.md: each ward's point lies inside its own polygon.
		if !out.Contains(units.Point{Lat: c.Lat, Lng: c.Lng}) {
			outside++
			if outside < 5 {
				t.Errorf("point of %s (%s) outside its outline", c.Code, c.FullName)
			}
		}
	}
	if missing > 0 {
		t.Errorf("%d communes without an outline", missing)
	}
	tn, err := o.CommunesOf("19")
	if err != nil || len(tn) != len(set.CommunesOf("19")) {
		t.Errorf("Thái Nguyên: %d outlines for %d communes (%v)", len(tn), len(set.CommunesOf("19")), err)
	}
	for i := 1; i < len(tn); i++ {
		if tn[i-1].Code >= tn[i].Code {
			t.Fatal("communes not in code order")
		}
	}
	if _, ok, _ := o.Commune("99999"); ok {
		t.Error("unknown commune found")
	}
}

func TestProvinceGeoJSON(t *testing.T) {
	o := units.NewOutlines()
	var wg sync.WaitGroup
	res := make([][]byte, 4)
	for i := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b, err := o.ProvinceGeoJSON("19")
			if err != nil {
				t.Error(err)
			}
			res[i] = b
		}()
	}
	wg.Wait()
	for i := 1; i < len(res); i++ {
		if &res[i][0] != &res[0][0] {
			t.Error("GeoJSON built more than once")
		}
	}
	var fc struct {
		Type     string `json:"type"`
		Features []struct {
			ID         string         `json:"id"`
			Properties map[string]any `json:"properties"`
			Geometry   struct {
				Type        string          `json:"type"`
				Coordinates [][][][]float64 `json:"coordinates"`
			} `json:"geometry"`
		} `json:"features"`
	}
	if err := json.Unmarshal(res[0], &fc); err != nil {
		t.Fatal(err)
	}
	if fc.Type != "FeatureCollection" || len(fc.Features) != 93 {
		t.Fatalf("type %q, %d features (want province + 92 communes)", fc.Type, len(fc.Features))
	}
	if fc.Features[0].Properties["level"] != "province" || fc.Features[1].Properties["level"] != "commune" {
		t.Errorf("levels %v %v", fc.Features[0].Properties, fc.Features[1].Properties)
	}
	// GeoJSON order: [lng, lat].
	pt := fc.Features[1].Geometry.Coordinates[0][0][0]
	if pt[0] < 105 || pt[0] > 107 || pt[1] < 21 || pt[1] > 23 {
		t.Errorf("first vertex %v is not [lng, lat] in Thái Nguyên", pt)
	}
	if !strings.Contains(string(res[0]), "Phan Đình Phùng") {
		t.Error("names lost")
	}
	if _, err := o.ProvinceGeoJSON("00"); err == nil {
		t.Error("unknown province accepted")
	}
}

func TestParseOutlinesErrors(t *testing.T) {
	for name, in := range map[string]string{
		"not json":     `{`,
		"no id":        `{"features":[{"geometry":{"type":"Polygon","coordinates":[[[1,1],[2,1],[2,2],[1,1]]]}}]}`,
		"point":        `{"features":[{"id":"1","geometry":{"type":"Point","coordinates":[1,1]}}]}`,
		"short ring":   `{"features":[{"id":"1","geometry":{"type":"Polygon","coordinates":[[[1,1],[2,1],[1,1]]]}}]}`,
		"lat lng swap": `{"features":[{"id":"1","geometry":{"type":"Polygon","coordinates":[[[1,100],[2,1],[2,2],[1,100]]]}}]}`,
		"empty":        `{"features":[{"id":"1","geometry":{"type":"MultiPolygon","coordinates":[]}}]}`,
	} {
		if _, err := units.ParseOutlines([]byte(in)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	got, err := units.ParseOutlines([]byte(`{"features":[{"id":"7","properties":{"name":"X"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,4],[0,0]],[[1,1],[2,1],[2,2],[1,2],[1,1]]]}}]}`))
	if err != nil || len(got) != 1 {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		p    units.Point
		want bool
	}{{units.Point{Lat: 3, Lng: 3}, true}, {units.Point{Lat: 1.5, Lng: 1.5}, false}, {units.Point{Lat: 5, Lng: 5}, false}} {
		if got[0].Contains(tc.p) != tc.want {
			t.Errorf("Contains(%v) != %v", tc.p, tc.want)
		}
	}
}

func FuzzParseOutlines(f *testing.F) {
	f.Add(`{"features":[{"id":"7","geometry":{"type":"Polygon","coordinates":[[[0,0],[4,0],[4,4],[0,0]]]}}]}`)
	f.Fuzz(func(t *testing.T, s string) {
		out, err := units.ParseOutlines([]byte(s))
		if err != nil {
			return
		}
		for _, o := range out {
			if o.Code == "" || len(o.Polygons) == 0 {
				t.Fatalf("accepted an outline without code or polygons: %+v", o)
			}
		}
	})
}
