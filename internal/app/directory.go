package app

import (
	"context"
	"time"

	"hoso/internal/errs"
	"hoso/tracking"
)

// DirectoryStore is what the pages read besides the services' own
// records: the units, staff lists and per-role views.
type DirectoryStore interface {
	FindDesks(ctx context.Context, province string) ([]Desk, error)
	FindDesk(ctx context.Context, code string) (Desk, error)
	FindOffice(ctx context.Context, code string) (PostOffice, error)
	FindOffices(ctx context.Context, province string) ([]PostOffice, error)
	FindUsers(ctx context.Context, role Role, office string) ([]User, error)
	FindSMS(ctx context.Context, limit int) ([]SMSMessage, error)
	FindRejectedEvents(ctx context.Context, f RejectedFilter) ([]RejectedEvent, int, error)
	KeyChanges(ctx context.Context, office string, since time.Time, limit int) ([]KeyChange, error)
	CourierRoute(ctx context.Context, staffCode string, day time.Time) ([]Parcel, error)
	PendingHandoffs(ctx context.Context, parcelIDs []string) (map[string]tracking.Handoff, error)
}

// Directory answers the pages' read-only questions: the public reference
// data (desks and post offices), and the views that belong to one role,
// decided here from the user: the demo messages (admins: they hold
// citizens' one-time codes), rejected submissions (admins, dispatchers in
// their province), device key changes (a post office, its own couriers'), a
// courier's own route.
type Directory struct {
	Store DirectoryStore
}

// Desks are a province's one-stop desks ("" for every province).
func (d *Directory) Desks(ctx context.Context, province string) ([]Desk, error) {
	return d.Store.FindDesks(ctx, province)
}

// Desk finds a desk.
func (d *Directory) Desk(ctx context.Context, code string) (Desk, error) {
	return d.Store.FindDesk(ctx, code)
}

// Office finds a post office.
func (d *Directory) Office(ctx context.Context, code string) (PostOffice, error) {
	return d.Store.FindOffice(ctx, code)
}

// Offices are a province's post offices.
func (d *Directory) Offices(ctx context.Context, province string) ([]PostOffice, error) {
	return d.Store.FindOffices(ctx, province)
}

// ActiveCouriers are an office's couriers whose accounts are active: who
// may receive a release from it.
func (d *Directory) ActiveCouriers(ctx context.Context, office string) ([]User, error) {
	all, err := d.Store.FindUsers(ctx, RoleCourier, office)
	var out []User
	for _, u := range all {
		if u.Active {
			out = append(out, u)
		}
	}
	return out, err
}

// PendingHandoffs are the pending releases of parcels the caller already
// holds or sees, by parcel id.
func (d *Directory) PendingHandoffs(ctx context.Context, parcelIDs []string) (map[string]tracking.Handoff, error) {
	return d.Store.PendingHandoffs(ctx, parcelIDs)
}

// DemoSMS are the last messages the demo SMS provider kept: admins only.
func (d *Directory) DemoSMS(ctx context.Context, u User, limit int) ([]SMSMessage, error) {
	if u.Role != RoleAdmin {
		return nil, errs.E(errs.Forbidden, "chỉ quản trị xem tin nhắn đã gửi")
	}
	return d.Store.FindSMS(ctx, limit)
}

// Rejected are the rejected submissions an admin (everywhere) or a
// dispatcher (their province) sees, a page at a time, with their total.
func (d *Directory) Rejected(ctx context.Context, u User, offset, limit int) ([]RejectedEvent, int, error) {
	f := RejectedFilter{Limit: limit, Offset: max(offset, 0)}
	switch u.Role {
	case RoleAdmin:
	case RoleDispatcher:
		f.Province = u.ProvinceCode
	default:
		return nil, 0, errs.E(errs.Forbidden, "chỉ quản trị và điều phối viên xem các lần gửi bị từ chối")
	}
	return d.Store.FindRejectedEvents(ctx, f)
}

// KeyChanges are the device key changes of a post office's couriers since
// a time: the office's own only.
func (d *Directory) KeyChanges(ctx context.Context, u User, since time.Time, limit int) ([]KeyChange, error) {
	if u.Role != RoleOffice || u.OfficeCode == "" {
		return nil, errs.E(errs.Forbidden, "chỉ bưu cục xem thay đổi khóa thiết bị của bưu tá mình")
	}
	return d.Store.KeyChanges(ctx, u.OfficeCode, since, limit)
}

// CourierRoute is a courier's own stops of a day.
func (d *Directory) CourierRoute(ctx context.Context, u User, day time.Time) ([]Parcel, error) {
	if u.Role != RoleCourier || u.StaffCode == "" {
		return nil, errs.E(errs.Forbidden, "chỉ bưu tá xem lộ trình của mình")
	}
	return d.Store.CourierRoute(ctx, u.StaffCode, day)
}
