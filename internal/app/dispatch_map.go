package app

import (
	"context"

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
