package app

import (
	"context"
	"errors"
	"strings"
	"time"

	"hoso/internal/errs"
	"hoso/tracking"
)

// Tx runs fn in one database transaction carried by its context.
type Tx interface {
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
}

// Schedule is the plan's part of a parcel's projection.
type Schedule struct {
	Courier     string
	Office      string
	Date        time.Time
	WindowStart time.Time
	WindowEnd   time.Time
}

// AppendInput is everything one ledger write changes, for the store to apply
// atomically.
type AppendInput struct {
	Parcel      Parcel
	Event       tracking.Event
	Outcome     tracking.Outcome
	Outbox      []OutboxItem
	Schedule    *Schedule
	ReceiptCode string
}

// OutboxItem is a side effect to deliver after commit.
type OutboxItem struct {
	Topic    string // portal | notify
	OrderKey string // deliveries with one key go out in order
	Target   string // portal client id, or notification template
	Payload  []byte // JSON
}

// LedgerStore is what the ledger needs from persistence. LockParcel takes the
// parcel's row lock for the rest of the transaction.
type LedgerStore interface {
	LockParcel(ctx context.Context, id string) (Parcel, tracking.State, error)
	ParcelIDByNumber(ctx context.Context, number string) (string, error)
	EventExists(ctx context.Context, id string) (bool, error)
	AppendEvent(ctx context.Context, in AppendInput) error
}

// ErrDuplicate is returned by Record when an event with the same id is
// already in the ledger: nothing changes.
var ErrDuplicate = errors.New("event already recorded")

// EventInput is an event as someone reports it.
type EventInput struct {
	ID       string // UUID; empty makes one
	Type     tracking.EventType
	Actor    tracking.Party
	DeviceAt *time.Time
	Lat, Lng *float64
	Data     []byte // JSON object
	Schedule *Schedule
}

// Ledger records events: it decides with the tracking rules, chains the
// hash, moves custody, and writes the outbox rows, all in one transaction.
type Ledger struct {
	Store  LedgerStore
	Tx     Tx
	Policy tracking.Policy
	Now    func() time.Time
	NewID  func() string
	// Effects turns a recorded event into outbox rows (callbacks to the
	// portal, notifications to the citizen). Optional.
	Effects func(p Parcel, ev tracking.Event, out tracking.Outcome) []OutboxItem
}

// Record appends one event to a parcel. It joins the caller's transaction
// if there is one. A repeated event id returns ErrDuplicate and changes
// nothing.
func (l *Ledger) Record(ctx context.Context, parcelID string, in EventInput) (ev tracking.Event, out tracking.Outcome, err error) {
	defer errs.Wrap(&err, "Record(%s, %s)", in.Type, parcelID)
	data, err := tracking.CanonicalJSON(in.Data)
	if err != nil {
		return ev, out, errs.Wrapf(errs.Invalid, err, "dữ liệu sự kiện không phải một đối tượng JSON")
	}
	if in.ID == "" {
		in.ID = l.NewID()
	}
	in.ID = strings.ToLower(in.ID)
	err = l.Tx.InTx(ctx, func(ctx context.Context) error {
		dup, err := l.Store.EventExists(ctx, in.ID)
		if err != nil {
			return err
		}
		if dup {
			return ErrDuplicate
		}
		p, st, err := l.Store.LockParcel(ctx, parcelID)
		if err != nil {
			return err
		}
		ev = tracking.Event{ID: in.ID, ParcelID: p.ID, Number: p.Number, Type: in.Type, Actor: in.Actor,
			DeviceAt: in.DeviceAt, ServerAt: l.Now(), Lat: in.Lat, Lng: in.Lng, Data: data}
		out, err = tracking.Decide(st, ev, l.Policy, l.NewID)
		if err != nil {
			return err
		}
		ev.Type, ev.UPU, ev.Data = out.Type, out.UPU, out.Data
		ev.Seal(p.EventCount, p.LastHash)
		ai := AppendInput{Parcel: p, Event: ev, Outcome: out, Schedule: in.Schedule}
		if l.Effects != nil {
			ai.Outbox = l.Effects(p, ev, out)
		}
		return l.Store.AppendEvent(ctx, ai)
	})
	return ev, out, err
}

// RecordByNumber is Record for a tracking number.
func (l *Ledger) RecordByNumber(ctx context.Context, number string, in EventInput) (tracking.Event, tracking.Outcome, error) {
	id, err := l.Store.ParcelIDByNumber(ctx, number)
	if err != nil {
		return tracking.Event{}, tracking.Outcome{}, err
	}
	return l.Record(ctx, id, in)
}

// first seals the first event of a new parcel (pickup.requested or
// result.registered) in the caller's transaction.
func (l *Ledger) first(ctx context.Context, p Parcel, in EventInput) (tracking.Event, error) {
	data, err := tracking.CanonicalJSON(in.Data)
	if err != nil {
		return tracking.Event{}, err
	}
	leg := tracking.Leg(p.Leg)
	st := tracking.State{Leg: leg, Documents: p.Documents}
	ev := tracking.Event{ID: l.NewID(), ParcelID: p.ID, Number: p.Number, Type: in.Type, Actor: in.Actor,
		ServerAt: l.Now(), Data: data}
	out, err := tracking.Decide(st, ev, l.Policy, l.NewID)
	if err != nil {
		return tracking.Event{}, err
	}
	if out.Custodian != nil && out.Custodian.Kind == "" {
		// The portal registers results held by the dossier's desk.
		out.Custodian = &tracking.Party{Kind: tracking.PartyDesk, Ref: p.DeskCode}
	}
	ev.UPU, ev.Data = out.UPU, out.Data
	ev.Seal(0, nil)
	ai := AppendInput{Parcel: p, Event: ev, Outcome: out}
	if l.Effects != nil {
		ai.Outbox = l.Effects(p, ev, out)
	}
	return ev, l.Store.AppendEvent(ctx, ai)
}
