package app

import (
	"context"
	"strings"
	"unicode"

	"hoso/internal/errs"
)

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

// StopPlace is where a visit is, as the dispatcher's map and list show it.
type StopPlace struct {
	CommuneCode string
	Commune     string // the commune's full name ("Phường Phan Đình Phùng"), its code when unknown
	AddressLine string // as stored; StopPlaces masks it
	Approx      bool   // placed at the commune's centre, not the address
}

// StopPlaces tells, for the parcels of an office's plan, the commune by
// name, the address line with its numbers masked (house and alley numbers
// are what would let a screen-reader find a door; the street and hamlet
// are enough to read a route) and whether the point is only the commune's.
func (d *Dispatch) StopPlaces(ctx context.Context, u User, office string, ids []string) (map[string]StopPlace, error) {
	if _, err := d.Office(ctx, u, office); err != nil {
		return nil, err
	}
	ps, err := d.Store.StopPlaces(ctx, ids)
	if err != nil {
		return nil, err
	}
	for id, p := range ps {
		p.Commune = d.CommuneName(p.CommuneCode)
		p.AddressLine = MaskAddressLine(p.AddressLine)
		ps[id] = p
	}
	return ps, nil
}

// CommuneName is a commune's full name, or its code when the code is not
// a known commune.
func (d *Dispatch) CommuneName(code string) string {
	if d.Units != nil {
		if c, ok := d.Units.Commune(code); ok {
			return c.FullName
		}
	}
	return code
}

// MaskAddressLine hides the digits of an address line ("Số 12 ngõ 5 đường
// Lương Ngọc Quyến" → "Số xx ngõ x đường Lương Ngọc Quyến") and cuts it to
// 60 characters.
func MaskAddressLine(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range strings.TrimSpace(s) {
		if n == 60 {
			b.WriteString("…")
			break
		}
		if unicode.IsDigit(r) {
			r = 'x'
		}
		b.WriteRune(r)
		n++
	}
	return b.String()
}
