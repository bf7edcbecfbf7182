package dispatch_test

import (
	"strings"
	"testing"

	"hoso/dispatch"
	"hoso/internal/errs"
	"hoso/internal/h3cell"
)

func zoneCells(t testing.TB, lat, lng float64, k int) []h3cell.Cell {
	t.Helper()
	c, err := h3cell.Of(h3cell.LatLng{Lat: lat, Lng: lng}, h3cell.ZoneRes)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Disk(k)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestValidateZones(t *testing.T) {
	a := dispatch.Zone{Office: "BC-05443", Cells: zoneCells(t, 21.5887, 105.8338, 1)}
	b := dispatch.Zone{Office: "BC-05488", Cells: zoneCells(t, 21.5765, 105.7095, 1)}
	if err := dispatch.ValidateZones([]dispatch.Zone{a, b}); err != nil {
		t.Fatalf("disjoint zones: %v", err)
	}
	// A zone that takes one of a's cells.
	c := dispatch.Zone{Office: "BC-05488", Cells: append(append([]h3cell.Cell(nil), b.Cells...), a.Cells[3])}
	err := dispatch.ValidateZones([]dispatch.Zone{a, c})
	if !errs.Is(err, errs.Unprocessable) {
		t.Fatalf("overlap: %v", err)
	}
	msg := errs.FieldsOf(err)["zones.BC-05488"]
	for _, w := range []string{"BC-05488", "BC-05443", a.Cells[3].String(), "1 ô"} {
		if !strings.Contains(msg, w) {
			t.Errorf("overlap message %q lacks %q", msg, w)
		}
	}
	// Wrong resolution.
	c9, _ := h3cell.Of(h3cell.LatLng{Lat: 21.5887, Lng: 105.8338}, 9)
	err = dispatch.ValidateZones([]dispatch.Zone{{Office: "BC-1", Cells: []h3cell.Cell{c9, 42}}})
	if m := errs.FieldsOf(err)["zones.BC-1"]; !strings.Contains(m, "2 ô") || !strings.Contains(m, "cấp 7") {
		t.Errorf("bad cells: %v", err)
	}
	if ov := dispatch.Overlaps(c, map[h3cell.Cell]string{a.Cells[3]: "BC-05443"}); len(ov) != 1 || ov[0].With != "BC-05443" {
		t.Errorf("Overlaps = %v", ov)
	}
}

func TestZoneIndex(t *testing.T) {
	a := dispatch.Zone{Office: "BC-05443", Cells: zoneCells(t, 21.5887, 105.8338, 2)}
	ix, err := dispatch.NewZoneIndex([]dispatch.Zone{a})
	if err != nil {
		t.Fatal(err)
	}
	office, cell, ok, err := ix.OfficeFor(dispatch.Point{Lat: 21.5900, Lng: 105.8350})
	if err != nil || !ok || office != "BC-05443" || cell.Resolution() != h3cell.AddressRes {
		t.Errorf("inside: %q %s %v %v", office, cell, ok, err)
	}
	if _, _, ok, err := ix.OfficeFor(dispatch.Point{Lat: 10.78, Lng: 106.70}); ok || err != nil {
		t.Errorf("Ho Chi Minh City placed in Thái Nguyên: %v %v", ok, err)
	}
	if _, _, _, err := ix.OfficeFor(dispatch.Point{Lat: 100, Lng: 0}); !errs.Is(err, errs.Invalid) {
		t.Errorf("bad point: %v", err)
	}
}
