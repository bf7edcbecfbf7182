package dispatch

import (
	"context"
	"time"

	"hoso/internal/h3cell"
)

// ShiftFilter selects shifts; empty fields match everything.
type ShiftFilter struct {
	Office   string
	Courier  string
	From, To Day // inclusive
}

// AbsenceFilter selects absences; empty fields match everything.
type AbsenceFilter struct {
	Office   string // couriers of this office
	Courier  string
	From, To Day // inclusive
}

// Store is what dispatch needs from persistence. Not-found is an errs
// NotFound error; a cell already owned by another office, or a second shift
// of a courier on a day, is an errs Conflict. ReplaceZone and SavePlan are
// atomic.
type Store interface {
	// FindZones returns the zones of a province's offices ("" for all).
	FindZones(ctx context.Context, province string) ([]Zone, error)
	// ReplaceZone sets an office's cells to exactly z.Cells.
	ReplaceZone(ctx context.Context, z Zone, at time.Time) error
	// OfficeOfCell returns the office owning a zone cell.
	OfficeOfCell(ctx context.Context, zoneCell h3cell.Cell) (office string, ok bool, err error)

	CreateShift(ctx context.Context, s Shift, at time.Time) (Shift, error)
	FindShift(ctx context.Context, id int64) (Shift, error)
	DeleteShift(ctx context.Context, id int64) error
	FindShifts(ctx context.Context, f ShiftFilter) ([]Shift, error)

	CreateAbsence(ctx context.Context, a Absence, at time.Time) (Absence, error)
	DeleteAbsence(ctx context.Context, id int64) error
	FindAbsences(ctx context.Context, f AbsenceFilter) ([]Absence, error)

	// FindRequests returns the office's live pickup requests (requested or
	// scheduled) with a window on the day or planned for it.
	FindRequests(ctx context.Context, office string, day Day) ([]Request, error)

	// SavePlan stores p as the next version of its office's day and
	// returns it with ID, Version and CreatedAt set.
	SavePlan(ctx context.Context, p Plan) (Plan, error)
	// FindPlan returns the latest version of an office's day.
	FindPlan(ctx context.Context, office string, day Day) (Plan, error)
	FindPlanByID(ctx context.Context, id int64) (Plan, error)
	// PublishPlan marks the plan published and the day's previously
	// published version superseded.
	PublishPlan(ctx context.Context, id int64, at time.Time) error

	SetPin(ctx context.Context, p Pin, at time.Time, by string) error
	DeletePin(ctx context.Context, parcel string, day Day) error
	FindPins(ctx context.Context, office string, day Day) ([]Pin, error)
}
