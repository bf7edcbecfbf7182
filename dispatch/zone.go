package dispatch

import (
	"fmt"
	"sort"
	"strings"

	"hoso/internal/errs"
	"hoso/internal/h3cell"
)

// Zone is a post office's service area: a set of H3 cells at
// h3cell.ZoneRes. An address belongs to the office whose zone holds the
// parent at ZoneRes of the address's cell.
type Zone struct {
	Office string
	Cells  []h3cell.Cell
}

// Overlap is one cell claimed by two offices.
type Overlap struct {
	Cell         h3cell.Cell
	Office, With string
}

// maxNamed is how many cells an error message lists.
const maxNamed = 5

func cellList(cs []h3cell.Cell) string {
	var b strings.Builder
	for i, c := range cs {
		if i == maxNamed {
			fmt.Fprintf(&b, " và %d ô khác", len(cs)-maxNamed)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c.String())
	}
	return b.String()
}

// ValidateZones checks every zone's cells (valid, at ZoneRes) and that no
// cell belongs to two offices. The error is Unprocessable, with one field per
// faulty office ("zones.BC-05443") naming the cells and the other office.
func ValidateZones(zones []Zone) error {
	f := errs.Fields{}
	owner := map[h3cell.Cell]string{}
	overlaps := map[[2]string][]h3cell.Cell{}
	for _, z := range zones {
		var bad []h3cell.Cell
		for _, c := range z.Cells {
			if !c.Valid() || c.Resolution() != h3cell.ZoneRes {
				bad = append(bad, c)
				continue
			}
			if o, ok := owner[c]; ok && o != z.Office {
				k := [2]string{o, z.Office}
				overlaps[k] = append(overlaps[k], c)
				continue
			}
			owner[c] = z.Office
		}
		if len(bad) > 0 {
			f.Add("zones."+z.Office, fmt.Sprintf("Vùng của bưu cục %s có %d ô không phải ô H3 cấp %d: %s", z.Office, len(bad), h3cell.ZoneRes, cellList(bad)))
		}
	}
	keys := make([][2]string, 0, len(overlaps))
	for k := range overlaps {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	for _, k := range keys {
		cs := overlaps[k]
		h3cell.Sort(cs)
		f.Add("zones."+k[1], fmt.Sprintf("Vùng của bưu cục %s chồng lên vùng của bưu cục %s tại %d ô: %s", k[1], k[0], len(cs), cellList(cs)))
	}
	return f.Err(errs.Unprocessable, "Vùng phục vụ chưa hợp lệ")
}

// Overlaps lists the cells of z already owned by another office in owner
// (cell → office).
func Overlaps(z Zone, owner map[h3cell.Cell]string) []Overlap {
	var out []Overlap
	for _, c := range z.Cells {
		if o, ok := owner[c]; ok && o != z.Office {
			out = append(out, Overlap{Cell: c, Office: z.Office, With: o})
		}
	}
	return out
}

// ZoneIndex finds the office of a place from the zones' cells.
type ZoneIndex struct {
	owner map[h3cell.Cell]string
}

// NewZoneIndex indexes valid, non-overlapping zones.
func NewZoneIndex(zones []Zone) (*ZoneIndex, error) {
	if err := ValidateZones(zones); err != nil {
		return nil, err
	}
	ix := &ZoneIndex{owner: map[h3cell.Cell]string{}}
	for _, z := range zones {
		for _, c := range z.Cells {
			ix.owner[c] = z.Office
		}
	}
	return ix, nil
}

// Owner returns the office that owns a zone cell.
func (ix *ZoneIndex) Owner(zoneCell h3cell.Cell) (string, bool) {
	o, ok := ix.owner[zoneCell]
	return o, ok
}

// Cells returns the map of cell to office (shared; do not modify).
func (ix *ZoneIndex) Cells() map[h3cell.Cell]string { return ix.owner }

// Locate returns the address cell of a point and the zone cell above it.
func Locate(p Point) (address, zone h3cell.Cell, err error) {
	address, err = h3cell.Of(h3cell.LatLng{Lat: p.Lat, Lng: p.Lng}, h3cell.AddressRes)
	if err != nil {
		return 0, 0, errs.Wrapf(errs.Invalid, err, "vị trí (%g, %g) không hợp lệ", p.Lat, p.Lng)
	}
	zone, err = address.Parent(h3cell.ZoneRes)
	if err != nil {
		return 0, 0, errs.Wrapf(errs.Internal, err, "ô vùng của %s", address)
	}
	return address, zone, nil
}

// OfficeFor returns the office whose zone holds the point, with the
// point's address cell; ok is false outside every zone.
func (ix *ZoneIndex) OfficeFor(p Point) (office string, address h3cell.Cell, ok bool, err error) {
	address, zone, err := Locate(p)
	if err != nil {
		return "", 0, false, err
	}
	office, ok = ix.owner[zone]
	return office, address, ok, nil
}
