// Package units holds Vietnam's two-level administrative units (34 provinces,
// 3,321 communes, wards and special zones since 1 July 2025), embedded from a
// copy of the reference data kept in data/ with its source and licence, and
// searches them by name the way people type: without diacritics, with either
// tone-mark placement ("Hoà"/"Hòa").
package units

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"

	"hoso/internal/vntext"
)

//go:embed data/units.csv
var unitsCSV []byte

// Province is a province or centrally run city.
type Province struct {
	Code     string // two digits
	Name     string // "Thái Nguyên"
	FullName string // "Tỉnh Thái Nguyên"
	Lat, Lng float64
}

// Commune is a commune, ward or special zone.
type Commune struct {
	Code         string // five digits
	ProvinceCode string
	Name         string  // "Phan Đình Phùng"
	FullName     string  // "Phường Phan Đình Phùng"
	Type         string  // Xã, Phường, Đặc khu
	Lat, Lng     float64 // a point inside the unit
	key          string  // folded full name
	nameKey      string  // folded name
}

// Set is the loaded units with their search index. It is read-only after Load
// and safe for concurrent use.
type Set struct {
	provinces []Province
	communes  []Commune
	byProv    map[string]int
	byComm    map[string]int
	perProv   map[string][]int
}

// Load parses the embedded copy.
func Load() (*Set, error) { return Parse(bytes.NewReader(unitsCSV)) }

// Parse reads units in the CSV layout of data/units.csv.
func Parse(r io.Reader) (*Set, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("units: read header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[h] = i
	}
	for _, need := range []string{"level", "code", "province_code", "name", "full_name", "unit_type", "lat", "lon"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("units: column %q missing", need)
		}
	}
	s := &Set{byProv: map[string]int{}, byComm: map[string]int{}, perProv: map[string][]int{}}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("units: line %d: %w", line, err)
		}
		lat, err1 := strconv.ParseFloat(rec[col["lat"]], 64)
		lng, err2 := strconv.ParseFloat(rec[col["lon"]], 64)
		if err1 != nil || err2 != nil {
			return nil, fmt.Errorf("units: line %d: bad point", line)
		}
		code := rec[col["code"]]
		name := vntext.NFC(rec[col["name"]])
		full := vntext.NFC(rec[col["full_name"]])
		switch rec[col["level"]] {
		case "province":
			if len(code) != 2 {
				return nil, fmt.Errorf("units: line %d: province code %q", line, code)
			}
			s.byProv[code] = len(s.provinces)
			s.provinces = append(s.provinces, Province{Code: code, Name: name, FullName: full, Lat: lat, Lng: lng})
		case "ward":
			if len(code) != 5 {
				return nil, fmt.Errorf("units: line %d: commune code %q", line, code)
			}
			pc := rec[col["province_code"]]
			s.byComm[code] = len(s.communes)
			s.perProv[pc] = append(s.perProv[pc], len(s.communes))
			s.communes = append(s.communes, Commune{Code: code, ProvinceCode: pc, Name: name, FullName: full,
				Type: rec[col["unit_type"]], Lat: lat, Lng: lng, key: vntext.Fold(full), nameKey: vntext.Fold(name)})
		default:
			return nil, fmt.Errorf("units: line %d: unknown level %q", line, rec[col["level"]])
		}
	}
	for _, c := range s.communes {
		if _, ok := s.byProv[c.ProvinceCode]; !ok {
			return nil, fmt.Errorf("units: commune %s names unknown province %s", c.Code, c.ProvinceCode)
		}
	}
	return s, nil
}

// Provinces returns every province in code order.
func (s *Set) Provinces() []Province { return append([]Province(nil), s.provinces...) }

// Communes returns every commune in code order.
func (s *Set) Communes() []Commune { return append([]Commune(nil), s.communes...) }

// Province finds a province by code.
func (s *Set) Province(code string) (Province, bool) {
	i, ok := s.byProv[code]
	if !ok {
		return Province{}, false
	}
	return s.provinces[i], true
}

// Commune finds a commune by code.
func (s *Set) Commune(code string) (Commune, bool) {
	i, ok := s.byComm[code]
	if !ok {
		return Commune{}, false
	}
	return s.communes[i], true
}

// CommunesOf returns the communes of one province, in code order.
func (s *Set) CommunesOf(province string) []Commune {
	idx := s.perProv[province]
	out := make([]Commune, len(idx))
	for i, j := range idx {
		out[i] = s.communes[j]
	}
	return out
}

// Search finds communes whose name matches q, ignoring case, diacritics and
// tone placement, best matches first (exact name, then name prefix, then a
// word prefix, then anywhere), limited to limit results. province, when not
// empty, restricts the search to one province.
func (s *Set) Search(q, province string, limit int) []Commune {
	key := vntext.Fold(q)
	if key == "" || limit <= 0 {
		return nil
	}
	type hit struct {
		rank int
		i    int
	}
	var hits []hit
	consider := func(i int) {
		c := &s.communes[i]
		rank := -1
		switch {
		case c.nameKey == key || c.key == key:
			rank = 0
		case strings.HasPrefix(c.nameKey, key) || strings.HasPrefix(c.key, key):
			rank = 1
		case strings.Contains(" "+c.nameKey, " "+key):
			rank = 2
		case strings.Contains(c.key, key):
			rank = 3
		}
		if rank >= 0 {
			hits = append(hits, hit{rank, i})
		}
	}
	if province != "" {
		for _, i := range s.perProv[province] {
			consider(i)
		}
	} else {
		for i := range s.communes {
			consider(i)
		}
	}
	sort.SliceStable(hits, func(a, b int) bool {
		if hits[a].rank != hits[b].rank {
			return hits[a].rank < hits[b].rank
		}
		return s.communes[hits[a].i].nameKey < s.communes[hits[b].i].nameKey
	})
	if len(hits) > limit {
		hits = hits[:limit]
	}
	out := make([]Commune, len(hits))
	for i, h := range hits {
		out[i] = s.communes[h.i]
	}
	return out
}
