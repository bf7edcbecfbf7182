package app

import (
	"context"

	"hoso/internal/errs"
	"hoso/tracking"
)

// PortalPickup finds a pickup made by a portal client; another client's is
// not found (never forbidden: no enumeration).
func (s *Intake) PortalPickup(ctx context.Context, client, id string) (Parcel, error) {
	p, err := s.Store.FindParcel(ctx, id)
	if err != nil {
		return Parcel{}, err
	}
	if client == "" || p.PortalClient != client {
		return Parcel{}, errs.E(errs.NotFound, "không tìm thấy bưu gửi")
	}
	return p, nil
}

// PortalPickups lists a portal client's pickups of a dossier.
func (s *Intake) PortalPickups(ctx context.Context, client, dossierCode string) ([]Parcel, error) {
	if client == "" {
		return nil, errs.E(errs.NotFound, "không tìm thấy bưu gửi")
	}
	return s.Store.FindParcels(ctx, ParcelFilter{DossierCode: dossierCode, PortalClient: client})
}

// Parcel finds a parcel by id.
func (s *Intake) Parcel(ctx context.Context, id string) (Parcel, error) {
	return s.Store.FindParcel(ctx, id)
}

// ParcelByNumber finds a parcel by its tracking number.
func (s *Intake) ParcelByNumber(ctx context.Context, number string) (Parcel, error) {
	return s.Store.FindParcelByNumber(ctx, number)
}

// DossierParcels lists up to limit parcels of a dossier (callers prove
// each before showing it). Codes are compared whatever their case, spaces,
// dashes or dots; one that is not letters, digits and separators as typed.
func (s *Intake) DossierParcels(ctx context.Context, dossierCode string, limit int) ([]Parcel, error) {
	f := ParcelFilter{DossierKey: tracking.DossierKey(dossierCode), Limit: limit}
	if f.DossierKey == "" {
		f.DossierCode = dossierCode
	}
	return s.Store.FindParcels(ctx, f)
}

// Events are a parcel's events in chain order.
func (s *Intake) Events(ctx context.Context, parcelID string) ([]tracking.Event, error) {
	return s.Store.FindEvents(ctx, parcelID)
}

// Prefill finds the dossier and documents of the last request for a
// dossier, within a scope: the citizen's proven phone, a desk's own
// dossiers or a province's. An empty scope pre-fills nothing (it would
// match every dossier) unless all is set (an admin).
func (s *Intake) Prefill(ctx context.Context, code string, scope PrefillFilter, all bool) (tracking.Dossier, []tracking.Document, bool, error) {
	if len(scope.PhoneHash) == 0 && scope.DeskCode == "" && scope.ProvinceCode == "" && !all {
		return tracking.Dossier{}, nil, false, nil
	}
	return s.Store.LastDossierDocuments(ctx, code, scope)
}

// PublicTimelineStore finds a parcel and its events in one query.
type PublicTimelineStore interface {
	FindPublicTimeline(ctx context.Context, number string) (Parcel, []tracking.Event, error)
}

// PublicTimeline is a parcel by number with its events: in one query when
// the intake has Timelines, else two.
func (s *Intake) PublicTimeline(ctx context.Context, number string) (Parcel, []tracking.Event, error) {
	if s.Timelines != nil {
		return s.Timelines.FindPublicTimeline(ctx, number)
	}
	p, err := s.Store.FindParcelByNumber(ctx, number)
	if err != nil {
		return Parcel{}, nil, err
	}
	evs, err := s.Store.FindEvents(ctx, p.ID)
	return p, evs, err
}
