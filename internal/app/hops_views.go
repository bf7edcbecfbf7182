package app

import (
	"context"

	"hoso/internal/errs"
	"hoso/tracking"
)

// PendingReleases are the releases nobody confirmed yet that a user may
// recall: every province's for an admin, the province's for a dispatcher.
func (h *Hops) PendingReleases(ctx context.Context, u User, limit int) ([]Pending, error) {
	province := ""
	switch u.Role {
	case RoleAdmin:
	case RoleDispatcher:
		province = u.ProvinceCode
	default:
		return nil, errs.E(errs.Forbidden, "chỉ quản trị và điều phối viên xem các bàn giao đang chờ")
	}
	return h.Store.FindPendingHandoffs(ctx, province, limit)
}

// Manifests are the last manifests a counter (a post office or a desk)
// gave or received.
func (h *Hops) Manifests(ctx context.Context, u User, limit int) ([]Manifest, error) {
	if u.Role != RoleOffice && u.Role != RoleDesk {
		return nil, errs.E(errs.Forbidden, "chỉ bưu cục và bộ phận một cửa có bảng kê")
	}
	return h.Store.FindManifests(ctx, u.Party(), limit)
}

// ResultsToSend are a desk's accepted dossiers whose result goes back by
// post and has no return leg yet: the results the desk may register.
func (h *Hops) ResultsToSend(ctx context.Context, u User, limit int) ([]Parcel, error) {
	if u.Role != RoleDesk || u.DeskCode == "" {
		return nil, errs.E(errs.Forbidden, "chỉ bộ phận một cửa gửi kết quả")
	}
	acc, err := h.Intake.Store.FindParcels(ctx, ParcelFilter{DeskCode: u.DeskCode, Status: tracking.StatusAccepted, Leg: tracking.LegPickup, Limit: limit})
	if err != nil {
		return nil, err
	}
	var out []Parcel
	for _, a := range acc {
		if _, has, err := h.Store.ReturnOf(ctx, a.ID); err != nil {
			return nil, err
		} else if !has && a.Dossier.ReturnByPost {
			out = append(out, a)
		}
	}
	return out, nil
}
