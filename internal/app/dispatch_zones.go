package app

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"hoso/dispatch"
	"hoso/internal/errs"
	"hoso/internal/h3cell"
	"hoso/internal/units"
)

// ---------- zones ----------

// OfficeFor is the intake's Zoner: the office whose zone holds the point,
// with the point's res-9 cell.
func (d *Dispatch) OfficeFor(ctx context.Context, lat, lng float64) (string, int64, bool, error) {
	address, zone, err := dispatch.Locate(dispatch.Point{Lat: lat, Lng: lng})
	if err != nil {
		return "", 0, false, err
	}
	office, ok, err := d.Store.OfficeOfCell(ctx, zone)
	if err != nil || !ok {
		return "", int64(address), false, err
	}
	return office, int64(address), true, nil
}

// ZoneSummary is an office with the size of its zone.
type ZoneSummary struct {
	Office  PostOffice
	Cells   int
	AreaKm2 float64
}

// ZoneRes is the H3 resolution of every office's zone cells.
const ZoneRes = h3cell.ZoneRes

// zoneCellKm2 is the mean area of a res-7 cell in Vietnam (libraries notes:
// 5.65 km² at Hanoi, 5.92 km² at Ho Chi Minh City).
const zoneCellKm2 = 5.8

// Zones lists the offices the user dispatches with their zones' sizes.
func (d *Dispatch) Zones(ctx context.Context, u User) ([]ZoneSummary, error) {
	offices, err := d.Offices(ctx, u)
	if err != nil {
		return nil, err
	}
	zones, err := d.Store.FindZones(ctx, "")
	if err != nil {
		return nil, err
	}
	n := map[string]int{}
	for _, z := range zones {
		n[z.Office] = len(z.Cells)
	}
	out := make([]ZoneSummary, len(offices))
	for i, o := range offices {
		out[i] = ZoneSummary{Office: o, Cells: n[o.Code], AreaKm2: float64(n[o.Code]) * zoneCellKm2}
	}
	return out, nil
}

// CoverRequest asks to cover communes' outlines with H3 cells for an
// office's zone.
type CoverRequest struct {
	Office   string
	Communes []string
	// Mode is center (default), full or overlapping: which cells along a
	// commune's border count as the commune's.
	Mode string
	// Replace drops the office's other cells; otherwise the cover is added.
	Replace bool
	// SkipTaken leaves out cells another office already has, instead of
	// refusing the whole request.
	SkipTaken bool
}

// ZoneResult says what a zone change did.
type ZoneResult struct {
	Office  string
	Cells   int // cells of the zone now
	Added   int
	Removed int
	Skipped int // cells owned by another office, left out
}

func (d *Dispatch) outlines() *units.Outlines {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.Outlines == nil {
		d.Outlines = units.NewOutlines()
	}
	return d.Outlines
}

// CoverCommunes covers communes' outlines (cells whose centre lies inside,
// by default) and adds them to an office's zone, or replaces the zone. A
// commune smaller than a cell gets the cell of its point. Cells owned by
// another office refuse the request with an error naming the commune, the
// office and the cells, unless SkipTaken; nothing changes on error.
func (d *Dispatch) CoverCommunes(ctx context.Context, u User, req CoverRequest) (ZoneResult, error) {
	office, err := d.Office(ctx, u, req.Office)
	if err != nil {
		return ZoneResult{}, err
	}
	f := errs.Fields{}
	if len(req.Communes) == 0 {
		f.Add("communes", "Chọn ít nhất một xã, phường")
	}
	if req.Mode == "" {
		req.Mode = h3cell.Center.String()
	}
	mode, err := h3cell.ParseContainment(req.Mode)
	if err != nil {
		f.Add("mode", "Cách phủ phải là center, full hoặc overlapping")
	}
	fromCommune := map[h3cell.Cell]string{}
	var cover []h3cell.Cell
	for _, code := range req.Communes {
		c, ok := d.Units.Commune(code)
		if !ok {
			f.Add("communes", "Không có xã, phường mã "+code)
			continue
		}
		if c.ProvinceCode != office.ProvinceCode {
			f.Add("communes", fmt.Sprintf("%s không thuộc tỉnh của bưu cục %s", c.FullName, office.Code))
			continue
		}
		out, ok, err := d.outlines().Commune(code)
		if err != nil {
			return ZoneResult{}, errs.Wrapf(errs.Internal, err, "ranh giới %s", code)
		}
		var cells []h3cell.Cell
		if ok {
			cells, err = h3cell.Cover(toH3Polygons(out.Polygons), h3cell.ZoneRes, mode)
			if err != nil {
				return ZoneResult{}, errs.Wrapf(errs.Internal, err, "phủ ô cho %s", c.FullName)
			}
		}
		if len(cells) == 0 {
			// Smaller than a cell, or no outline: the cell of its point.
			cell, err := h3cell.Of(h3cell.LatLng{Lat: c.Lat, Lng: c.Lng}, h3cell.ZoneRes)
			if err != nil {
				return ZoneResult{}, errs.Wrapf(errs.Internal, err, "ô của %s", c.FullName)
			}
			cells = []h3cell.Cell{cell}
		}
		for _, cell := range cells {
			if _, dup := fromCommune[cell]; !dup {
				fromCommune[cell] = c.FullName
				cover = append(cover, cell)
			}
		}
	}
	if err := f.Err(errs.Unprocessable, "Chưa phủ được vùng cho bưu cục "+office.Code); err != nil {
		return ZoneResult{}, err
	}
	return d.changeZone(ctx, office, cover, nil, req.Replace, req.SkipTaken, fromCommune)
}

func toH3Polygons(ps []units.Polygon) []h3cell.Polygon {
	out := make([]h3cell.Polygon, 0, len(ps))
	for _, p := range ps {
		if len(p) == 0 {
			continue
		}
		var hp h3cell.Polygon
		for i, ring := range p {
			r := make([]h3cell.LatLng, len(ring))
			for k, pt := range ring {
				r[k] = h3cell.LatLng{Lat: pt.Lat, Lng: pt.Lng}
			}
			if i == 0 {
				hp.Outer = r
			} else {
				hp.Holes = append(hp.Holes, r)
			}
		}
		out = append(out, hp)
	}
	return out
}

// EditCells adds and removes cells (hexadecimal H3 indexes at the zone
// resolution) of an office's zone. A bad cell or one owned by another
// office refuses the whole edit with an error naming it.
func (d *Dispatch) EditCells(ctx context.Context, u User, officeCode string, add, remove []string) (ZoneResult, error) {
	office, err := d.Office(ctx, u, officeCode)
	if err != nil {
		return ZoneResult{}, err
	}
	f := errs.Fields{}
	parse := func(field string, ss []string) []h3cell.Cell {
		var out []h3cell.Cell
		for _, s := range ss {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			c, err := h3cell.Parse(s)
			switch {
			case err != nil:
				f.Add(field, fmt.Sprintf("“%s” không phải mã ô H3", s))
			case c.Resolution() != h3cell.ZoneRes:
				f.Add(field, fmt.Sprintf("Ô %s ở cấp %d; vùng bưu cục dùng ô cấp %d", s, c.Resolution(), h3cell.ZoneRes))
			default:
				out = append(out, c)
			}
		}
		return out
	}
	addCells, removeCells := parse("add", add), parse("remove", remove)
	if err := f.Err(errs.Unprocessable, "Chưa sửa được vùng của bưu cục "+office.Code); err != nil {
		return ZoneResult{}, err
	}
	return d.changeZone(ctx, office, addCells, removeCells, false, false, nil)
}

// changeZone computes the office's new cell set and stores it, refusing
// overlaps with other offices unless skipTaken.
func (d *Dispatch) changeZone(ctx context.Context, office PostOffice, add, remove []h3cell.Cell, replace, skipTaken bool, from map[h3cell.Cell]string) (ZoneResult, error) {
	zones, err := d.Store.FindZones(ctx, "")
	if err != nil {
		return ZoneResult{}, err
	}
	owner := map[h3cell.Cell]string{}
	current := map[h3cell.Cell]bool{}
	for _, z := range zones {
		for _, c := range z.Cells {
			owner[c] = z.Office
			if z.Office == office.Code {
				current[c] = true
			}
		}
	}
	next := map[h3cell.Cell]bool{}
	if !replace {
		for c := range current {
			next[c] = true
		}
	}
	res := ZoneResult{Office: office.Code}
	taken := map[string][]h3cell.Cell{} // "commune|office" → cells
	for _, c := range add {
		if o, ok := owner[c]; ok && o != office.Code {
			if skipTaken {
				res.Skipped++
				continue
			}
			key := "|" + o
			if from != nil {
				key = from[c] + "|" + o
			}
			taken[key] = append(taken[key], c)
			continue
		}
		next[c] = true
	}
	if len(taken) > 0 {
		f := errs.Fields{}
		keys := make([]string, 0, len(taken))
		for k := range taken {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var msgs []string
		for _, k := range keys {
			commune, other, _ := strings.Cut(k, "|")
			cs := taken[k]
			h3cell.Sort(cs)
			what := "Vùng mới"
			if commune != "" {
				what = commune
			}
			msgs = append(msgs, fmt.Sprintf("%s chồng lên vùng của bưu cục %s tại %d ô (%s)", what, other, len(cs), cellNames(cs)))
		}
		f.Add("cells", strings.Join(msgs, "; "))
		return ZoneResult{}, f.Err(errs.Unprocessable, fmt.Sprintf("Vùng của bưu cục %s chồng lên vùng bưu cục khác: %s", office.Code, msgs[0]))
	}
	for _, c := range remove {
		delete(next, c)
	}
	z := dispatch.Zone{Office: office.Code}
	for c := range next {
		z.Cells = append(z.Cells, c)
	}
	h3cell.Sort(z.Cells)
	// The whole map must stay valid (backstop; the schema also refuses).
	all := []dispatch.Zone{z}
	for _, o := range zones {
		if o.Office != office.Code {
			all = append(all, o)
		}
	}
	if err := dispatch.ValidateZones(all); err != nil {
		return ZoneResult{}, err
	}
	for c := range next {
		if !current[c] {
			res.Added++
		}
	}
	for c := range current {
		if !next[c] {
			res.Removed++
		}
	}
	res.Cells = len(z.Cells)
	if err := d.Store.ReplaceZone(ctx, z, d.now()); err != nil {
		return ZoneResult{}, err
	}
	d.log().Info("zone changed", "office", office.Code, "cells", res.Cells, "added", res.Added, "removed", res.Removed, "skipped", res.Skipped)
	return res, nil
}

func cellNames(cs []h3cell.Cell) string {
	var parts []string
	for i, c := range cs {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("và %d ô khác", len(cs)-3))
			break
		}
		parts = append(parts, c.String())
	}
	return strings.Join(parts, ", ")
}

// ZoneShape is an office's zone as outlines for a map.
type ZoneShape struct {
	Office   string
	Cells    int
	Polygons [][][]dispatch.Point // polygons of rings, outer ring first
}

// ZoneShapes returns the zones of the offices the user dispatches in a
// province, merged into outlines.
func (d *Dispatch) ZoneShapes(ctx context.Context, u User, province string) ([]ZoneShape, error) {
	if err := mayDispatch(u); err != nil {
		return nil, err
	}
	if u.Role == RoleDispatcher && province != u.ProvinceCode {
		return nil, errs.E(errs.Forbidden, "Tỉnh %s không thuộc phạm vi của bạn", province)
	}
	zones, err := d.Store.FindZones(ctx, province)
	if err != nil {
		return nil, err
	}
	out := make([]ZoneShape, 0, len(zones))
	for _, z := range zones {
		polys, err := h3cell.Outline(z.Cells)
		if err != nil {
			return nil, errs.Wrapf(errs.Internal, err, "đường viền vùng %s", z.Office)
		}
		s := ZoneShape{Office: z.Office, Cells: len(z.Cells)}
		for _, p := range polys {
			rings := [][]dispatch.Point{pts(p.Outer)}
			for _, h := range p.Holes {
				rings = append(rings, pts(h))
			}
			s.Polygons = append(s.Polygons, rings)
		}
		out = append(out, s)
	}
	return out, nil
}

func pts(ls []h3cell.LatLng) []dispatch.Point {
	out := make([]dispatch.Point, len(ls))
	for i, p := range ls {
		out[i] = dispatch.Point{Lat: p.Lat, Lng: p.Lng}
	}
	return out
}

// CommuneOwners tells, for each commune of a province, which office's zone
// holds the commune's point ("" for none), for the zone form.
func (d *Dispatch) CommuneOwners(ctx context.Context, u User, province string) (map[string]string, error) {
	if err := mayDispatch(u); err != nil {
		return nil, err
	}
	zones, err := d.Store.FindZones(ctx, province)
	if err != nil {
		return nil, err
	}
	ix, err := dispatch.NewZoneIndex(zones)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, c := range d.Units.CommunesOf(province) {
		if o, _, ok, err := ix.OfficeFor(dispatch.Point{Lat: c.Lat, Lng: c.Lng}); err == nil && ok {
			out[c.Code] = o
		}
	}
	return out, nil
}

// Unzoned lists the live pickup requests of the user's province that no
// zone holds.
func (d *Dispatch) Unzoned(ctx context.Context, u User, province string, limit int) ([]Parcel, error) {
	if err := mayDispatch(u); err != nil {
		return nil, err
	}
	if u.Role == RoleDispatcher {
		province = u.ProvinceCode
	}
	return d.Store.UnzonedParcels(ctx, province, limit)
}

// PlaceUnzoned puts the province's unzoned requests into the office whose
// zone now holds them, and returns how many found an office.
func (d *Dispatch) PlaceUnzoned(ctx context.Context, u User, province string) (int, error) {
	ps, err := d.Unzoned(ctx, u, province, 1000)
	if err != nil {
		return 0, err
	}
	placed := 0
	for _, p := range ps {
		office, _, ok, err := d.OfficeFor(ctx, p.Lat, p.Lng)
		if err != nil {
			return placed, err
		}
		if !ok {
			continue
		}
		if done, err := d.Store.SetParcelOffice(ctx, p.ID, office); err != nil {
			return placed, err
		} else if done {
			placed++
		}
	}
	return placed, nil
}
