package app

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"hoso/dispatch"
	"hoso/dispatch/travel"
	"hoso/internal/errs"
	"hoso/internal/units"
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
	ParcelStatuses(ctx context.Context, ids []string) (map[string]tracking.Status, error)
	StopPlaces(ctx context.Context, ids []string) (map[string]StopPlace, error)
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

// scopeMemo remembers, for one request, the offices a user was found to
// dispatch: a page that lists an office's couriers, shifts, plan, versions,
// pins and stops checks the scope once, not once per call. It lives in the
// request's context (WithScopeMemo) and dies with it, so a change of role
// or of an office's province is seen by the next request.
type scopeMemo struct {
	mu sync.Mutex
	ok map[scopeKey]PostOffice
}

type scopeKey struct {
	user int64
	role Role
	prov string
	code string
}

type scopeMemoKey struct{}

// WithScopeMemo gives a request's context its scope memo (the web layer
// calls it once per request).
func WithScopeMemo(ctx context.Context) context.Context {
	if _, ok := ctx.Value(scopeMemoKey{}).(*scopeMemo); ok {
		return ctx
	}
	return context.WithValue(ctx, scopeMemoKey{}, &scopeMemo{ok: map[scopeKey]PostOffice{}})
}

// Office returns an office the user may dispatch; another province's office
// is Forbidden, an unknown one NotFound. Within one request (WithScopeMemo)
// an office found in scope is not fetched again.
func (d *Dispatch) Office(ctx context.Context, u User, code string) (PostOffice, error) {
	if err := mayDispatch(u); err != nil {
		return PostOffice{}, err
	}
	memo, _ := ctx.Value(scopeMemoKey{}).(*scopeMemo)
	key := scopeKey{user: u.ID, role: u.Role, prov: u.ProvinceCode, code: code}
	if memo != nil {
		memo.mu.Lock()
		o, ok := memo.ok[key]
		memo.mu.Unlock()
		if ok {
			return o, nil
		}
	}
	o, err := d.office(ctx, u, code)
	if err == nil && memo != nil {
		memo.mu.Lock()
		memo.ok[key] = o
		memo.mu.Unlock()
	}
	return o, err
}

func (d *Dispatch) office(ctx context.Context, u User, code string) (PostOffice, error) {
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
