package app

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"hoso/dispatch"
	"hoso/dispatch/travel"
	"hoso/dispatch/vrptw"
	"hoso/internal/errs"
	"hoso/internal/h3cell"
	"hoso/internal/secret"
	"hoso/internal/units"
	"hoso/internal/vntext"
	"hoso/tracking"
)

// DispatchStore is what the dispatch service needs from persistence: the
// dispatch domain's store plus offices, couriers and parcels.
type DispatchStore interface {
	dispatch.Store
	FindOffice(ctx context.Context, code string) (PostOffice, error)
	FindOffices(ctx context.Context, province string) ([]PostOffice, error)
	UpsertOffice(ctx context.Context, o PostOffice) error
	FindUsers(ctx context.Context, role Role, office string) ([]User, error)
	FindParcel(ctx context.Context, id string) (Parcel, error)
	FindParcelByNumber(ctx context.Context, number string) (Parcel, error)
	ParcelStatuses(ctx context.Context, ids []string) (map[string]string, error)
	UnzonedParcels(ctx context.Context, province string, limit int) ([]Parcel, error)
	SetParcelOffice(ctx context.Context, parcelID, office string) (bool, error)
	SetRouteStop(ctx context.Context, parcelID string, stop int) error
	FindPlanVersions(ctx context.Context, office string, day dispatch.Day) ([]dispatch.Plan, error)
	InsertAudit(ctx context.Context, userID int64, action, subject, reason string, at time.Time) error
}

// Audit actions of the dispatcher's decisions on a day's plan.
const (
	AuditPlanPublished = "plan.published"
	AuditAssigned      = "plan.assigned" // a request moved to a courier by hand
	AuditPinned        = "plan.pinned"
	AuditUnpinned      = "plan.unpinned"
)

// daySubject names an office's day in the audit log.
func daySubject(office string, day dispatch.Day) string { return office + " " + day.String() }

// Dispatch plans couriers' days: zones on H3 cells, shifts and absences,
// plans and re-plans with the route planner, manual assignment and pins,
// and publishing, which records pickup.scheduled through the ledger so the
// couriers' routes and the citizens' timelines follow the plan. It is also
// the intake's Zoner. A dispatcher works on the offices of their province;
// an admin on every office.
type Dispatch struct {
	Store    DispatchStore
	Tx       Tx
	Ledger   *Ledger
	Units    *units.Set
	Outlines *units.Outlines
	// Model is the travel model; nil means travel.DefaultConfig().
	Model travel.Model
	// Hours are the service hours; zero means dispatch.DefaultHours.
	Hours dispatch.Hours
	Now   func() time.Time
	Log   *slog.Logger
	// PlanTime and ReplanTime are the default search times of a plan and a
	// re-plan; MaxPlanTime bounds what a dispatcher may ask for.
	PlanTime, ReplanTime, MaxPlanTime time.Duration
	// ReassignCost prices moving a stop to another courier when
	// re-planning, in metres (default dispatch.DefaultReassignCost).
	ReassignCost float64
	Demo         bool

	mu   sync.Mutex
	jobs map[string]*PlanJob
}

// Defaults of the service.
const (
	DefaultPlanTime    = 5 * time.Second
	DefaultReplanTime  = time.Second
	DefaultMaxPlanTime = 60 * time.Second
)

func (d *Dispatch) now() time.Time {
	if d.Now == nil {
		return time.Now()
	}
	return d.Now()
}

func (d *Dispatch) hours() dispatch.Hours {
	if d.Hours.End > d.Hours.Start {
		return d.Hours
	}
	return dispatch.DefaultHours
}

func (d *Dispatch) model() travel.Model {
	if d.Model != nil {
		return d.Model
	}
	m, _ := travel.New(travel.DefaultConfig())
	return m
}

func (d *Dispatch) log() *slog.Logger {
	if d.Log != nil {
		return d.Log
	}
	return slog.Default()
}

// ---------- scope ----------

// mayDispatch reports whether the user may dispatch at all.
func mayDispatch(u User) error {
	if u.Role != RoleDispatcher && u.Role != RoleAdmin {
		return errs.E(errs.Forbidden, "Chỉ điều phối viên và quản trị được điều phối")
	}
	return nil
}

// Offices lists the offices the user dispatches: their province's for a
// dispatcher, every office for an admin.
func (d *Dispatch) Offices(ctx context.Context, u User) ([]PostOffice, error) {
	if err := mayDispatch(u); err != nil {
		return nil, err
	}
	province := ""
	if u.Role == RoleDispatcher {
		province = u.ProvinceCode
	}
	return d.Store.FindOffices(ctx, province)
}

// Office returns an office the user may dispatch; another province's office
// is Forbidden, an unknown one NotFound.
func (d *Dispatch) Office(ctx context.Context, u User, code string) (PostOffice, error) {
	if err := mayDispatch(u); err != nil {
		return PostOffice{}, err
	}
	o, err := d.Store.FindOffice(ctx, code)
	if errs.Is(err, errs.NotFound) {
		return PostOffice{}, errs.E(errs.NotFound, "Không có bưu cục %s", code)
	}
	if err != nil {
		return PostOffice{}, err
	}
	if u.Role == RoleDispatcher && o.ProvinceCode != u.ProvinceCode {
		return PostOffice{}, errs.E(errs.Forbidden, "Bưu cục %s không thuộc tỉnh của bạn", code)
	}
	return o, nil
}

// DefaultOffice is the office a user's pages open on: their own, else the
// first they may dispatch.
func (d *Dispatch) DefaultOffice(ctx context.Context, u User) (PostOffice, error) {
	if u.OfficeCode != "" {
		if o, err := d.Office(ctx, u, u.OfficeCode); err == nil {
			return o, nil
		}
	}
	os, err := d.Offices(ctx, u)
	if err != nil {
		return PostOffice{}, err
	}
	if len(os) == 0 {
		return PostOffice{}, errs.E(errs.NotFound, "Chưa có bưu cục nào: nhập danh sách bưu cục trước")
	}
	return os[0], nil
}

// Couriers lists an office's active couriers.
func (d *Dispatch) Couriers(ctx context.Context, u User, office string) ([]dispatch.Courier, error) {
	if _, err := d.Office(ctx, u, office); err != nil {
		return nil, err
	}
	us, err := d.Store.FindUsers(ctx, RoleCourier, office)
	if err != nil {
		return nil, err
	}
	var out []dispatch.Courier
	for _, c := range us {
		if c.Active {
			out = append(out, dispatch.Courier{Ref: c.StaffCode, Name: c.FullName, Office: c.OfficeCode})
		}
	}
	return out, nil
}

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

// ---------- offices ----------

var officeCode = regexp.MustCompile(`^[A-Za-z0-9_.-]{2,40}$`)

// ImportResult says what an office import did.
type ImportResult struct {
	Created, Updated int
}

// ImportOffices reads post offices from CSV with the header
// code,name,commune_code,lat,lng and stores them all, or none: every bad
// line is reported (field "line N") and nothing is written. The province
// comes from the commune. A dispatcher may import only offices of their
// province.
func (d *Dispatch) ImportOffices(ctx context.Context, u User, r io.Reader) (ImportResult, error) {
	if err := mayDispatch(u); err != nil {
		return ImportResult{}, err
	}
	province := ""
	if u.Role == RoleDispatcher {
		province = u.ProvinceCode
	}
	offices, err := ParseOffices(r, d.Units, province)
	if err != nil {
		return ImportResult{}, err
	}
	var res ImportResult
	err = d.Tx.InTx(ctx, func(ctx context.Context) error {
		res = ImportResult{}
		for _, o := range offices {
			_, err := d.Store.FindOffice(ctx, o.Code)
			switch {
			case errs.Is(err, errs.NotFound):
				res.Created++
			case err != nil:
				return err
			default:
				res.Updated++
			}
			if err := d.Store.UpsertOffice(ctx, o); err != nil {
				return err
			}
		}
		return nil
	})
	return res, err
}

// maxOfficeRows bounds an office list.
const maxOfficeRows = 5000

// ParseOffices reads post offices from CSV with the header
// code,name,commune_code,lat,lng and an optional postal_code (the office's
// five-digit national postal code, which postal systems know it by; empty
// keeps the one stored) in any column order, a UTF-8 BOM allowed.
// Every faulty line is reported as field "line N" of an Unprocessable
// error; no office is returned then. province, when not empty, is the only
// province the communes may be in.
func ParseOffices(r io.Reader, set *units.Set, province string) ([]PostOffice, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	header, err := cr.Read()
	if err != nil {
		return nil, errs.E(errs.Unprocessable, "Tệp CSV trống hoặc hỏng: cần dòng tiêu đề code,name,commune_code,lat,lng")
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	for _, w := range []string{"code", "name", "commune_code", "lat", "lng"} {
		if _, ok := col[w]; !ok {
			return nil, errs.E(errs.Unprocessable, "Thiếu cột %q: tiêu đề phải là code,name,commune_code,lat,lng", w)
		}
	}
	f := errs.Fields{}
	var offices []PostOffice
	seen := map[string]int{}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		key := fmt.Sprintf("line %d", line)
		if err != nil {
			f.Add(key, fmt.Sprintf("Dòng %d không đọc được: %v", line, err))
			if len(f) > 100 {
				break
			}
			continue
		}
		if line-1 > maxOfficeRows {
			return nil, errs.E(errs.Unprocessable, "Tệp có hơn %d bưu cục", maxOfficeRows)
		}
		get := func(name string) string {
			i := col[name]
			if i >= len(rec) {
				return ""
			}
			return strings.TrimSpace(rec[i])
		}
		o := PostOffice{Code: get("code"), Name: vntext.NFC(get("name")), CommuneCode: get("commune_code")}
		var problems []string
		if _, ok := col["postal_code"]; ok {
			o.PostalCode = get("postal_code")
			if o.PostalCode != "" && !tracking.ValidPostalCode(o.PostalCode) {
				problems = append(problems, fmt.Sprintf("mã bưu chính “%s” phải gồm đúng 5 chữ số", o.PostalCode))
			}
		}
		if !officeCode.MatchString(o.Code) {
			problems = append(problems, fmt.Sprintf("mã “%s” phải gồm 2–40 chữ, số, dấu chấm, gạch", o.Code))
		} else if prev, dup := seen[o.Code]; dup {
			problems = append(problems, fmt.Sprintf("mã %s đã có ở dòng %d", o.Code, prev))
		}
		if o.Name == "" || len([]rune(o.Name)) > 200 {
			problems = append(problems, "tên bưu cục trống hoặc dài quá 200 ký tự")
		}
		if c, ok := set.Commune(o.CommuneCode); !ok {
			problems = append(problems, fmt.Sprintf("không có xã, phường mã “%s”", o.CommuneCode))
		} else {
			o.ProvinceCode = c.ProvinceCode
			if province != "" && c.ProvinceCode != province {
				problems = append(problems, fmt.Sprintf("%s không thuộc tỉnh của bạn", c.FullName))
			}
		}
		lat, err1 := strconv.ParseFloat(get("lat"), 64)
		lng, err2 := strconv.ParseFloat(get("lng"), 64)
		// Vietnam's mainland and islands lie within 8–24° N, 102–118° E.
		if err1 != nil || err2 != nil || !(lat >= 8 && lat <= 24 && lng >= 102 && lng <= 118) {
			problems = append(problems, fmt.Sprintf("toạ độ (%s, %s) không nằm ở Việt Nam", get("lat"), get("lng")))
		}
		o.Lat, o.Lng = lat, lng
		if len(problems) > 0 {
			f.Add(key, fmt.Sprintf("Dòng %d (%s): %s", line, o.Code, strings.Join(problems, "; ")))
			if len(f) > 100 {
				break
			}
			continue
		}
		seen[o.Code] = line
		offices = append(offices, o)
	}
	if err := f.Err(errs.Unprocessable, fmt.Sprintf("Tệp có %d dòng lỗi; chưa nhập bưu cục nào", len(f))); err != nil {
		return nil, err
	}
	if len(offices) == 0 {
		return nil, errs.E(errs.Unprocessable, "Tệp không có bưu cục nào")
	}
	return offices, nil
}

// ---------- shifts and absences ----------

// CreateShifts creates the courier's shift on days consecutive service days
// from s.Day (Sundays and non-service days skipped when days > 1), all or
// none: a bad value or a day the courier already works is an error naming
// the shift, and nothing is stored.
func (d *Dispatch) CreateShifts(ctx context.Context, u User, s dispatch.Shift, days int, serviceDays [7]bool) ([]dispatch.Shift, error) {
	office, err := d.Office(ctx, u, s.Office)
	if err != nil {
		return nil, err
	}
	if days < 1 || days > 31 {
		return nil, errs.E(errs.Unprocessable, "Số ngày phải từ 1 đến 31").WithFields(map[string]string{"days": "Từ 1 đến 31 ngày"})
	}
	if err := s.Validate(d.hours()); err != nil {
		return nil, err
	}
	couriers, err := d.Couriers(ctx, u, office.Code)
	if err != nil {
		return nil, err
	}
	known := false
	for _, c := range couriers {
		known = known || c.Ref == s.Courier
	}
	if !known {
		return nil, errs.E(errs.Unprocessable, "Bưu tá %s không thuộc bưu cục %s", s.Courier, office.Code).
			WithFields(map[string]string{"courier": "Bưu tá " + s.Courier + " không thuộc bưu cục " + office.Code})
	}
	var list []dispatch.Shift
	for day := s.Day; len(list) < days; day = day.AddDays(1) {
		if days > 1 && !serviceDays[day.Weekday()] && serviceDays != ([7]bool{}) {
			continue
		}
		x := s
		x.Day = day
		list = append(list, x)
	}
	if err := dispatch.ValidateShifts(list, d.hours()); err != nil {
		return nil, err
	}
	var out []dispatch.Shift
	err = d.Tx.InTx(ctx, func(ctx context.Context) error {
		out = out[:0]
		for _, x := range list {
			got, err := d.Store.CreateShift(ctx, x, d.now())
			if err != nil {
				return err
			}
			out = append(out, got)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteShift removes a shift of an office the user dispatches.
func (d *Dispatch) DeleteShift(ctx context.Context, u User, id int64) error {
	s, err := d.Store.FindShift(ctx, id)
	if err != nil {
		return err
	}
	if _, err := d.Office(ctx, u, s.Office); err != nil {
		return err
	}
	return d.Store.DeleteShift(ctx, id)
}

// Shifts lists an office's shifts between two days.
func (d *Dispatch) Shifts(ctx context.Context, u User, office string, from, to dispatch.Day) ([]dispatch.Shift, error) {
	if _, err := d.Office(ctx, u, office); err != nil {
		return nil, err
	}
	return d.Store.FindShifts(ctx, dispatch.ShiftFilter{Office: office, From: from, To: to})
}

// CreateAbsence records that a courier of the office is absent or late.
func (d *Dispatch) CreateAbsence(ctx context.Context, u User, office string, a dispatch.Absence) (dispatch.Absence, error) {
	if _, err := d.Office(ctx, u, office); err != nil {
		return dispatch.Absence{}, err
	}
	a.Reason = vntext.NFC(a.Reason)
	if err := a.Validate(); err != nil {
		return dispatch.Absence{}, err
	}
	cs, err := d.Couriers(ctx, u, office)
	if err != nil {
		return dispatch.Absence{}, err
	}
	ok := false
	for _, c := range cs {
		ok = ok || c.Ref == a.Courier
	}
	if !ok {
		return dispatch.Absence{}, errs.E(errs.Unprocessable, "Bưu tá %s không thuộc bưu cục %s", a.Courier, office).
			WithFields(map[string]string{"courier": "Bưu tá " + a.Courier + " không thuộc bưu cục " + office})
	}
	return d.Store.CreateAbsence(ctx, a, d.now())
}

// DeleteAbsence removes an absence of a courier of the office.
func (d *Dispatch) DeleteAbsence(ctx context.Context, u User, office string, id int64) error {
	if _, err := d.Office(ctx, u, office); err != nil {
		return err
	}
	abs, err := d.Store.FindAbsences(ctx, dispatch.AbsenceFilter{Office: office})
	if err != nil {
		return err
	}
	for _, a := range abs {
		if a.ID == id {
			return d.Store.DeleteAbsence(ctx, id)
		}
	}
	return errs.E(errs.NotFound, "Không có lượt vắng mặt số %d ở bưu cục %s", id, office)
}

// Absences lists the absences of an office's couriers between two days.
func (d *Dispatch) Absences(ctx context.Context, u User, office string, from, to dispatch.Day) ([]dispatch.Absence, error) {
	if _, err := d.Office(ctx, u, office); err != nil {
		return nil, err
	}
	return d.Store.FindAbsences(ctx, dispatch.AbsenceFilter{Office: office, From: from, To: to})
}

// ---------- planning ----------

// PlanOptions tune one planning run.
type PlanOptions struct {
	// TimeLimit bounds the search (default PlanTime, or ReplanTime for a
	// re-plan; at most MaxPlanTime).
	TimeLimit time.Duration
	// Replan starts from the day's latest plan: visited stops stay, stops
	// keep their courier unless moving saves more than ReassignCost.
	Replan bool
	// Reason is recorded with the plan version.
	Reason string
	// Progress, when set, is called with every better plan found.
	Progress func(vrptw.Progress)
	// Restrict sends parcels to one courier for this run only.
	Restrict map[string]string
	// Seed makes a run reproducible (0: from the clock).
	Seed uint64
}

// visitedStatuses are pickup statuses after the courier's visit.
var visitedStatuses = map[string]bool{
	string(tracking.StatusPickupFailed): true, string(tracking.StatusCollected): true, string(tracking.StatusAtOffice): true,
	string(tracking.StatusToDesk): true, string(tracking.StatusAtDesk): true, string(tracking.StatusAccepted): true,
	string(tracking.StatusReturnedIncomplete): true,
}

// input gathers a day of an office for the planner.
func (d *Dispatch) input(ctx context.Context, office PostOffice, day dispatch.Day, previous *dispatch.Plan) (dispatch.Input, error) {
	in := dispatch.Input{Day: day, Hours: d.hours(), Model: d.model(), Now: d.now(), ReassignCost: d.ReassignCost,
		Offices: map[string]dispatch.Point{office.Code: {Lat: office.Lat, Lng: office.Lng}}, Previous: previous}
	var err error
	if in.Requests, err = d.Store.FindRequests(ctx, office.Code, day); err != nil {
		return in, err
	}
	if in.Shifts, err = d.Store.FindShifts(ctx, dispatch.ShiftFilter{Office: office.Code, From: day, To: day}); err != nil {
		return in, err
	}
	if in.Absences, err = d.Store.FindAbsences(ctx, dispatch.AbsenceFilter{Office: office.Code, From: day, To: day}); err != nil {
		return in, err
	}
	if in.Pins, err = d.Store.FindPins(ctx, office.Code, day); err != nil {
		return in, err
	}
	if previous != nil {
		var ids []string
		for _, r := range previous.Routes {
			for _, s := range r.Stops {
				ids = append(ids, s.Parcel)
			}
		}
		st, err := d.Store.ParcelStatuses(ctx, ids)
		if err != nil {
			return in, err
		}
		in.Visited = map[string]bool{}
		for id, s := range st {
			if visitedStatuses[s] {
				in.Visited[id] = true
			}
		}
	}
	return in, nil
}

// PlanDay plans (or re-plans) an office's day and stores the result as a
// new draft version. It runs for the time limit; cancel ctx to stop early
// with the best plan so far.
func (d *Dispatch) PlanDay(ctx context.Context, u User, officeCode string, day dispatch.Day, opt PlanOptions) (dispatch.Plan, error) {
	office, err := d.Office(ctx, u, officeCode)
	if err != nil {
		return dispatch.Plan{}, err
	}
	if day.IsZero() {
		return dispatch.Plan{}, errs.E(errs.Unprocessable, "Chọn ngày cần lập kế hoạch")
	}
	if day.Before(dispatch.DayOf(d.now())) {
		return dispatch.Plan{}, errs.E(errs.Unprocessable, "Ngày %s đã qua: không lập kế hoạch cho ngày đã qua", day.Label())
	}
	var previous *dispatch.Plan
	if opt.Replan {
		p, err := d.Store.FindPlan(ctx, office.Code, day)
		switch {
		case err == nil:
			previous = &p
		case errs.Is(err, errs.NotFound):
			// Nothing to keep: a first plan.
		default:
			return dispatch.Plan{}, err
		}
	}
	in, err := d.input(ctx, office, day, previous)
	if err != nil {
		return dispatch.Plan{}, err
	}
	in.Restrict = opt.Restrict
	x, err := dispatch.Build(in)
	if err != nil {
		return dispatch.Plan{}, errs.Wrapf(errs.Internal, err, "dựng bài toán ngày %s", day)
	}
	limit := d.limit(opt.TimeLimit, previous != nil)
	seed := opt.Seed
	if seed == 0 {
		seed = uint64(d.now().UnixNano())
	}
	// Small days converge long before the time limit: an iteration budget
	// that grows with the stops ends them early; large days stay bound by
	// time.
	iters := 3000 + 300*len(x.Problem.Jobs)
	plan, err := x.Solve(ctx, vrptw.Options{TimeLimit: limit, MaxIterations: iters, Seed: seed, Progress: opt.Progress})
	if err != nil {
		return dispatch.Plan{}, errs.Wrapf(errs.Internal, err, "lập kế hoạch ngày %s", day)
	}
	// The independent check: a plan that breaks a rule is never stored.
	if err := dispatch.Verify(in, plan); err != nil {
		return dispatch.Plan{}, errs.Wrapf(errs.Internal, err, "kế hoạch không qua kiểm tra")
	}
	plan.Office, plan.CreatedAt, plan.CreatedBy, plan.Demo = office.Code, d.now(), u.StaffCode, d.Demo
	plan.Reason = opt.Reason
	if plan.Reason == "" {
		plan.Reason = "Lập kế hoạch"
		if previous != nil {
			plan.Reason = "Lập lại kế hoạch"
		}
	}
	saved, err := d.Store.SavePlan(ctx, plan)
	if err != nil {
		return dispatch.Plan{}, err
	}
	d.log().Info("plan saved", "office", office.Code, "day", day.String(), "version", saved.Version, "stops", saved.Stops(),
		"unplaced", len(saved.Unplaced), "replan", previous != nil)
	return saved, nil
}

func (d *Dispatch) limit(asked time.Duration, replan bool) time.Duration {
	limit := asked
	if limit <= 0 {
		limit = d.PlanTime
		if limit <= 0 {
			limit = DefaultPlanTime
		}
		if replan {
			limit = d.ReplanTime
			if limit <= 0 {
				limit = DefaultReplanTime
			}
		}
	}
	maxT := d.MaxPlanTime
	if maxT <= 0 {
		maxT = DefaultMaxPlanTime
	}
	return min(limit, maxT)
}

// Plan returns the latest version of an office's day.
func (d *Dispatch) Plan(ctx context.Context, u User, office string, day dispatch.Day) (dispatch.Plan, error) {
	if _, err := d.Office(ctx, u, office); err != nil {
		return dispatch.Plan{}, err
	}
	return d.Store.FindPlan(ctx, office, day)
}

// Versions lists the versions of an office's day, newest first.
func (d *Dispatch) Versions(ctx context.Context, u User, office string, day dispatch.Day) ([]dispatch.Plan, error) {
	if _, err := d.Office(ctx, u, office); err != nil {
		return nil, err
	}
	return d.Store.FindPlanVersions(ctx, office, day)
}

// PlanChanges is what happened since a plan was made, so the dispatcher
// knows to re-plan.
type PlanChanges struct {
	New       []string // live requests of the day the plan does not have
	Cancelled []string // planned stops whose request is gone
	Visited   int      // planned stops the couriers have been to
	Absent    []string // couriers with a route who are now absent or late
}

// Any reports whether anything calls for a re-plan.
func (c PlanChanges) Any() bool { return len(c.New)+len(c.Cancelled)+len(c.Absent) > 0 }

// Changes compares a plan with the day as it is now.
func (d *Dispatch) Changes(ctx context.Context, u User, p dispatch.Plan) (PlanChanges, error) {
	office, err := d.Office(ctx, u, p.Office)
	if err != nil {
		return PlanChanges{}, err
	}
	in, err := d.input(ctx, office, p.Day, &p)
	if err != nil {
		return PlanChanges{}, err
	}
	var ch PlanChanges
	live := map[string]bool{}
	for _, r := range in.Requests {
		live[r.Parcel] = true
		if _, _, ok := p.StopOf(r.Parcel); ok {
			continue
		}
		found := false
		for _, u := range p.Unplaced {
			found = found || u.Parcel == r.Parcel
		}
		if !found {
			ch.New = append(ch.New, r.Number)
		}
	}
	for _, r := range p.Routes {
		for _, s := range r.Stops {
			switch {
			case s.Visited:
			case in.Visited[s.Parcel]:
				ch.Visited++
			case !live[s.Parcel]:
				ch.Cancelled = append(ch.Cancelled, s.Number)
			}
		}
		for _, sh := range in.Shifts {
			if sh.Courier != r.Courier {
				continue
			}
			from, to, ok := sh.Available(in.Absences)
			if !ok || from != sh.Start || to != sh.End {
				ch.Absent = append(ch.Absent, r.Courier)
			}
		}
	}
	return ch, nil
}

// ---------- background planning ----------

// PlanJob is a planning run in the background, for a progress bar.
type PlanJob struct {
	ID       string
	Office   string
	Day      dispatch.Day
	Replan   bool
	Started  time.Time
	Limit    time.Duration
	Best     vrptw.Progress
	Improved int // better plans found so far
	Done     bool
	Err      string // a message a person can act on
	PlanID   int64
	Version  int
	Finished time.Time
}

// Percent is the share of the time limit spent, 100 when done.
func (j PlanJob) Percent(now time.Time) int {
	if j.Done {
		return 100
	}
	if j.Limit <= 0 {
		return 0
	}
	p := int(100 * now.Sub(j.Started) / j.Limit)
	return max(0, min(99, p))
}

// StartPlan plans an office's day in the background and returns the job's
// id; a run already going for the same office and day is returned instead
// of starting another.
func (d *Dispatch) StartPlan(ctx context.Context, u User, office string, day dispatch.Day, opt PlanOptions) (string, error) {
	if _, err := d.Office(ctx, u, office); err != nil {
		return "", err
	}
	now := d.now()
	d.mu.Lock()
	if d.jobs == nil {
		d.jobs = map[string]*PlanJob{}
	}
	for id, j := range d.jobs {
		if j.Done && now.Sub(j.Finished) > time.Hour {
			delete(d.jobs, id)
		}
	}
	for _, j := range d.jobs {
		if !j.Done && j.Office == office && j.Day.Equal(day) {
			d.mu.Unlock()
			return j.ID, nil
		}
	}
	job := &PlanJob{ID: secret.Token(12), Office: office, Day: day, Replan: opt.Replan, Started: now,
		Limit: d.limit(opt.TimeLimit, opt.Replan)}
	d.jobs[job.ID] = job
	d.mu.Unlock()

	user := u
	progress := opt.Progress
	opt.Progress = func(p vrptw.Progress) {
		d.mu.Lock()
		job.Best = p
		job.Improved++
		d.mu.Unlock()
		if progress != nil {
			progress(p)
		}
	}
	// The run outlives the request that started it.
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), job.Limit+2*time.Minute)
	go func() {
		defer cancel()
		plan, err := d.PlanDay(bg, user, office, day, opt)
		d.mu.Lock()
		defer d.mu.Unlock()
		job.Done, job.Finished = true, d.now()
		if err != nil {
			d.log().Error("planning failed", "office", office, "day", day.String(), "err", err.Error())
			job.Err = errs.MessageOf(err)
			if job.Err == "" {
				job.Err = "Lỗi hệ thống khi lập kế hoạch; vui lòng thử lại."
			}
			return
		}
		job.PlanID, job.Version = plan.ID, plan.Version
	}()
	return job.ID, nil
}

// Job returns a planning job the user may see.
func (d *Dispatch) Job(ctx context.Context, u User, id string) (PlanJob, error) {
	d.mu.Lock()
	j, ok := d.jobs[id]
	var cp PlanJob
	if ok {
		cp = *j
	}
	d.mu.Unlock()
	if !ok {
		return PlanJob{}, errs.E(errs.NotFound, "Không có lượt lập kế hoạch này (có thể đã quá một giờ)")
	}
	if _, err := d.Office(ctx, u, cp.Office); err != nil {
		return PlanJob{}, err
	}
	return cp, nil
}

// ---------- manual changes ----------

// dayRequest finds a live request of the office's day by tracking number.
func (d *Dispatch) dayRequest(ctx context.Context, office string, day dispatch.Day, number string) (dispatch.Request, error) {
	rs, err := d.Store.FindRequests(ctx, office, day)
	if err != nil {
		return dispatch.Request{}, err
	}
	number = strings.ToUpper(strings.TrimSpace(number))
	for _, r := range rs {
		if r.Number == number {
			return r, nil
		}
	}
	return dispatch.Request{}, errs.E(errs.Unprocessable, "Bưu gửi %s không phải yêu cầu thu gom còn chờ của bưu cục %s ngày %s", number, office, day.Label()).
		WithFields(map[string]string{"number": "Không có yêu cầu " + number + " trong ngày"})
}

func (d *Dispatch) courierOf(ctx context.Context, u User, office, courier string) error {
	cs, err := d.Couriers(ctx, u, office)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.Ref == courier {
			return nil
		}
	}
	return errs.E(errs.Unprocessable, "Bưu tá %s không thuộc bưu cục %s", courier, office).
		WithFields(map[string]string{"courier": fmt.Sprintf("Bưu tá %s không thuộc bưu cục %s", courier, office)})
}

// Assign moves a request to a courier's route: a short re-plan that keeps
// every other stop where it can and places the request on that courier
// only. With pin, the request stays with the courier through later
// re-plans. If the courier cannot take it (capacity, window, absence) the
// error says why and nothing changes.
func (d *Dispatch) Assign(ctx context.Context, u User, office string, day dispatch.Day, number, courier string, pin bool) (dispatch.Plan, error) {
	if _, err := d.Office(ctx, u, office); err != nil {
		return dispatch.Plan{}, err
	}
	if err := d.courierOf(ctx, u, office, courier); err != nil {
		return dispatch.Plan{}, err
	}
	r, err := d.dayRequest(ctx, office, day, number)
	if err != nil {
		return dispatch.Plan{}, err
	}
	var plan dispatch.Plan
	err = d.Tx.InTx(ctx, func(ctx context.Context) error {
		if pin {
			if err := d.Store.SetPin(ctx, dispatch.Pin{Parcel: r.Parcel, Day: day, Courier: courier, Office: office}, d.now(), u.StaffCode); err != nil {
				return err
			}
		}
		reason := fmt.Sprintf("Gán %s cho %s", r.Number, courier)
		if pin {
			reason = fmt.Sprintf("Gán và ghim %s cho %s", r.Number, courier)
		}
		p, err := d.PlanDay(ctx, u, office, day, PlanOptions{Replan: true, Reason: reason,
			Restrict: map[string]string{r.Parcel: courier}, TimeLimit: d.limit(0, true)})
		if err != nil {
			return err
		}
		if _, c, ok := p.StopOf(r.Parcel); !ok || c != courier {
			why := "không còn chỗ"
			for _, un := range p.Unplaced {
				if un.Parcel == r.Parcel {
					why = strings.ToLower(un.Reason.Label()[:1]) + un.Reason.Label()[1:]
				}
			}
			return errs.E(errs.Unprocessable, "Không xếp được %s vào tuyến của %s: %s", r.Number, courier, why).
				WithFields(map[string]string{"courier": "Bưu tá " + courier + " không nhận thêm được điểm này"})
		}
		plan = p
		return d.Store.InsertAudit(ctx, u.ID, AuditAssigned, r.Number, fmt.Sprintf("%s, phiên bản %d: %s", daySubject(office, day), p.Version, reason), d.now())
	})
	return plan, err
}

// Pin keeps a request with its courier in the latest plan (or with the
// given courier) through later re-plans.
func (d *Dispatch) Pin(ctx context.Context, u User, office string, day dispatch.Day, number, courier string) error {
	if _, err := d.Office(ctx, u, office); err != nil {
		return err
	}
	r, err := d.dayRequest(ctx, office, day, number)
	if err != nil {
		return err
	}
	if courier == "" {
		p, err := d.Store.FindPlan(ctx, office, day)
		if err != nil {
			return err
		}
		_, c, ok := p.StopOf(r.Parcel)
		if !ok {
			return errs.E(errs.Unprocessable, "%s chưa có trong tuyến nào: hãy gán cho một bưu tá", r.Number)
		}
		courier = c
	} else if err := d.courierOf(ctx, u, office, courier); err != nil {
		return err
	}
	return d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := d.Store.SetPin(ctx, dispatch.Pin{Parcel: r.Parcel, Day: day, Courier: courier, Office: office}, d.now(), u.StaffCode); err != nil {
			return err
		}
		return d.Store.InsertAudit(ctx, u.ID, AuditPinned, r.Number, daySubject(office, day)+": "+courier, d.now())
	})
}

// Unpin frees a request for the planner again.
func (d *Dispatch) Unpin(ctx context.Context, u User, office string, day dispatch.Day, number string) error {
	if _, err := d.Office(ctx, u, office); err != nil {
		return err
	}
	p, err := d.Store.FindParcelByNumber(ctx, strings.ToUpper(strings.TrimSpace(number)))
	if err != nil {
		return err
	}
	return d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := d.Store.DeletePin(ctx, p.ID, day); err != nil {
			return err
		}
		return d.Store.InsertAudit(ctx, u.ID, AuditUnpinned, p.Number, daySubject(office, day), d.now())
	})
}

// Pins lists an office's pins of a day.
func (d *Dispatch) Pins(ctx context.Context, u User, office string, day dispatch.Day) ([]dispatch.Pin, error) {
	if _, err := d.Office(ctx, u, office); err != nil {
		return nil, err
	}
	return d.Store.FindPins(ctx, office, day)
}

// ---------- publishing ----------

// PublishResult says what publishing did.
type PublishResult struct {
	Plan      dispatch.Plan
	Recorded  int      // pickup.scheduled events written
	Unchanged int      // stops whose schedule was already this one
	Refused   []string // "EA…VN: reason" for stops the ledger refused
	// Deliveries counts results given their place in a route (no event:
	// they leave with the courier through the office's hand-off).
	Deliveries int
}

// planEvents is the namespace of the ids of events publishing writes: the
// same plan published twice writes nothing new.
var planEvents = uuid.MustParse("6b1c1a52-0d39-4c1e-9a3e-2f7d1c2b8e01")

// Publish makes a plan the day's plan: for every planned stop whose
// courier or window changed, pickup.scheduled is recorded through the
// ledger (the courier's route and the citizen's timeline follow it), all in
// one transaction with the plan's status. Only the latest version of a day
// may be published.
func (d *Dispatch) Publish(ctx context.Context, u User, planID int64) (PublishResult, error) {
	p, err := d.Store.FindPlanByID(ctx, planID)
	if err != nil {
		return PublishResult{}, err
	}
	if _, err := d.Office(ctx, u, p.Office); err != nil {
		return PublishResult{}, err
	}
	latest, err := d.Store.FindPlan(ctx, p.Office, p.Day)
	if err != nil {
		return PublishResult{}, err
	}
	if latest.ID != p.ID {
		return PublishResult{}, errs.E(errs.Conflict, "Đã có phiên bản %d mới hơn của kế hoạch ngày %s; hãy công bố phiên bản mới nhất", latest.Version, p.Day.Label())
	}
	actor := u.Party()
	var res PublishResult
	err = d.Tx.InTx(ctx, func(ctx context.Context) error {
		res = PublishResult{}
		for _, r := range p.Routes {
			for _, s := range r.Stops {
				if s.Visited {
					continue
				}
				parcel, err := d.Store.FindParcel(ctx, s.Parcel)
				if err != nil {
					return err
				}
				if s.Kind.IsDelivery() {
					// A result leaves with the courier through the office's
					// hand-off; the plan gives it its place in the route.
					if parcel.RouteStop != s.Seq {
						if err := d.Store.SetRouteStop(ctx, s.Parcel, s.Seq); err != nil {
							return err
						}
					}
					res.Deliveries++
					continue
				}
				if sameSchedule(parcel, r.Courier, p.Day, s.Window) {
					// Same courier, day and window: nothing for the citizen,
					// but the courier's list follows the new order.
					if parcel.RouteStop != s.Seq {
						if err := d.Store.SetRouteStop(ctx, s.Parcel, s.Seq); err != nil {
							return err
						}
					}
					res.Unchanged++
					continue
				}
				data, err := tracking.MarshalData(tracking.Scheduled{Courier: r.Courier, Office: p.Office, Date: p.Day.String(),
					WindowStart: s.Window.Start.In(vietnamZone).Format(time.RFC3339), WindowEnd: s.Window.End.In(vietnamZone).Format(time.RFC3339),
					Stop: s.Seq, ETA: s.ETA.In(vietnamZone).Format(time.RFC3339)})
				if err != nil {
					return err
				}
				id := uuid.NewSHA1(planEvents, []byte(fmt.Sprintf("%d/%s", p.ID, s.Parcel))).String()
				_, _, err = d.Ledger.Record(ctx, s.Parcel, EventInput{ID: id, Type: tracking.PickupScheduled, Actor: actor, Data: data,
					Schedule: &Schedule{Courier: r.Courier, Office: p.Office, Date: p.Day.Start(), WindowStart: s.Window.Start, WindowEnd: s.Window.End, Stop: s.Seq}})
				switch {
				case errors.Is(err, ErrDuplicate):
					res.Unchanged++
				case errs.Is(err, errs.Conflict) || errs.Is(err, errs.Unprocessable) || errs.Is(err, errs.Forbidden):
					res.Refused = append(res.Refused, s.Number+": "+errs.MessageOf(err))
				case err != nil:
					return err
				default:
					res.Recorded++
				}
			}
		}
		if err := d.Store.PublishPlan(ctx, p.ID, d.now()); err != nil {
			return err
		}
		return d.Store.InsertAudit(ctx, u.ID, AuditPlanPublished, daySubject(p.Office, p.Day),
			fmt.Sprintf("phiên bản %d: %d lịch hẹn ghi, %d giữ nguyên, %d kết quả giao, %d bị từ chối",
				p.Version, res.Recorded, res.Unchanged, res.Deliveries, len(res.Refused)), d.now())
	})
	if err != nil {
		return PublishResult{}, err
	}
	res.Plan, err = d.Store.FindPlanByID(ctx, p.ID)
	d.log().Info("plan published", "office", p.Office, "day", p.Day.String(), "version", p.Version, "recorded", res.Recorded,
		"unchanged", res.Unchanged, "refused", len(res.Refused))
	return res, err
}

var vietnamZone = time.FixedZone("ICT", 7*3600)

func sameSchedule(p Parcel, courier string, day dispatch.Day, w dispatch.Window) bool {
	if p.Status != string(tracking.StatusScheduled) || p.CourierRef != courier || p.PlannedDate == nil || p.WindowStart == nil || p.WindowEnd == nil {
		return false
	}
	// planned_date is a DATE: its digits as read are the day.
	return p.PlannedDate.Format("2006-01-02") == day.String() && p.WindowStart.Equal(w.Start) && p.WindowEnd.Equal(w.End)
}

// ---------- map ----------

// ProvinceGeoJSON returns the outlines of a province and its communes for
// the dispatcher's map.
func (d *Dispatch) ProvinceGeoJSON(ctx context.Context, u User, province string) ([]byte, error) {
	if err := mayDispatch(u); err != nil {
		return nil, err
	}
	if u.Role == RoleDispatcher && province != u.ProvinceCode {
		return nil, errs.E(errs.Forbidden, "Tỉnh %s không thuộc phạm vi của bạn", province)
	}
	if _, ok := d.Units.Province(province); !ok {
		return nil, errs.E(errs.NotFound, "Không có tỉnh mã %s", province)
	}
	b, err := d.outlines().ProvinceGeoJSON(province)
	if err != nil {
		return nil, errs.Wrapf(errs.Internal, err, "ranh giới tỉnh %s", province)
	}
	return b, nil
}
