package app

import (
	"context"
	"errors"
	"sort"
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
	Stop        int // position in the courier's route, from 1
}

// AppendInput is one ledger write: the event, what it decided, and the
// parcel's projection after it. The store applies a list of them, in order,
// atomically.
type AppendInput struct {
	Parcel        Parcel // the projection after the event
	Event         tracking.Event
	Outcome       tracking.Outcome
	ClosedHandoff string // id of the pending hand-off the event closed
	Outbox        []OutboxItem
	Schedule      *Schedule
	ReceiptCode   string
	Device        *DeviceRecord // the courier's submission, when it came from the app
	UseCode       *CodeUse      // a door code the event consumes
	By            int64         // the signed-in user who recorded it, when known
}

// DeviceRecord is a courier event as received, kept with its verdict.
type DeviceRecord struct {
	UserID    int64
	DeviceID  string
	Raw       []byte // the event as the device sent it
	Signature []byte
	// Sig is the device signature the server checked: it becomes part of
	// the event's hashed form. Every courier event has one.
	Sig *tracking.DeviceSig
}

// OutboxItem is a side effect to deliver after commit.
type OutboxItem struct {
	Topic    string // portal | notify
	OrderKey string // deliveries with one key go out in order
	Target   string // portal client id, or notification template
	Payload  []byte // JSON
}

// LockedParcel is a parcel under its row lock with its state.
type LockedParcel struct {
	Parcel Parcel
	State  tracking.State
}

// LedgerStore is what the ledger needs from persistence. LockParcels takes
// the parcels' row locks (in a fixed order, so batches cannot deadlock) for
// the rest of the transaction.
type LedgerStore interface {
	LockParcels(ctx context.Context, numbers []string) (map[string]LockedParcel, error)
	ParcelNumberByID(ctx context.Context, id string) (string, error)
	// ExistingEvents returns who recorded which of ids, on which parcel.
	ExistingEvents(ctx context.Context, ids []string) (map[string]EventOwner, error)
	AppendEvents(ctx context.Context, writes []AppendInput) error
}

// EventOwner is who recorded an event, on which parcel.
type EventOwner struct {
	Number string
	Actor  tracking.Party
}

// ErrDuplicate is returned by Record when an event with the same id is
// already in the ledger: nothing changes.
var ErrDuplicate = errors.New("event already recorded")

// errForeign refuses an event whose id is another sender's event.
var errForeign = errs.E(errs.Conflict, "mã sự kiện (id) đã được dùng cho một sự kiện khác: tạo mã mới cho sự kiện này")

// EventInput is an event as someone reports it.
type EventInput struct {
	ID          string // UUID; empty makes one
	Type        tracking.EventType
	Actor       tracking.Party
	DeviceAt    *time.Time
	Lat, Lng    *float64
	Data        []byte // JSON object
	Schedule    *Schedule
	ReceiptCode string
	Device      *DeviceRecord
	UseCode     *CodeUse // a door code the event consumes (checked before)
	By          int64    // the signed-in user recording it (0: a service, or unknown)
}

// Item is one event of a batch, for the parcel with a tracking number.
type Item struct {
	Number string
	In     EventInput
	// Check, when set, may refuse the item after the parcel is locked (for
	// example a courier acting outside their office).
	Check func(LockedParcel) error
}

// Result is what became of one item.
type Result struct {
	Event     tracking.Event
	Outcome   tracking.Outcome
	Duplicate bool
	Err       error // the item was rejected; nothing of it was written
	// Foreign: rejected because its id is another sender's event (an id
	// reused on another parcel or by another party is never a duplicate).
	Foreign bool
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
	// After, when set, runs inside the same transaction once a batch is
	// written (for example to sign the citizen's receipt of a collection).
	// An error rolls the batch back.
	After func(ctx context.Context, writes []AppendInput) error
	// Guard, when set, returns the admission check of one batch: it may
	// refuse an item after its parcel is locked and before the rules decide
	// (for example a release to a party that does not exist or is outside
	// the giver's scope). Called once per batch, so what it looks up can be
	// kept for the batch.
	Guard func(ctx context.Context) func(LockedParcel, EventInput) error
}

// Record appends one event to a parcel. It joins the caller's transaction
// if there is one. A repeated event id returns ErrDuplicate and changes
// nothing.
func (l *Ledger) Record(ctx context.Context, parcelID string, in EventInput) (tracking.Event, tracking.Outcome, error) {
	n, err := l.Store.ParcelNumberByID(ctx, parcelID)
	if err != nil {
		return tracking.Event{}, tracking.Outcome{}, err
	}
	return l.RecordByNumber(ctx, n, in)
}

// RecordByNumber is Record for a tracking number.
func (l *Ledger) RecordByNumber(ctx context.Context, number string, in EventInput) (tracking.Event, tracking.Outcome, error) {
	return l.recordItem(ctx, Item{Number: number, In: in})
}

// recordItem records one item (with its check) in its own transaction.
func (l *Ledger) recordItem(ctx context.Context, it Item) (tracking.Event, tracking.Outcome, error) {
	number, in := it.Number, it.In
	var res []Result
	err := l.Tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		res, err = l.batch(ctx, []Item{it})
		if err != nil {
			return err
		}
		if res[0].Err != nil {
			return res[0].Err
		}
		if res[0].Duplicate {
			return ErrDuplicate
		}
		return nil
	})
	if err != nil {
		return tracking.Event{}, tracking.Outcome{}, errWrap(err, in.Type, number)
	}
	return res[0].Event, res[0].Outcome, nil
}

func errWrap(err error, t tracking.EventType, n string) error {
	if errors.Is(err, ErrDuplicate) {
		return err
	}
	var e *errs.Error
	if errors.As(err, &e) {
		return err
	}
	return errs.Wrapf(errs.Internal, err, "ghi %s cho %s", t, n)
}

// RecordBatch records many events, each decided against the state the
// earlier ones left, in one transaction. A rejected item writes nothing and
// does not stop the others. If the batch as a whole cannot be written (a
// constraint the rules did not foresee), each item is tried on its own.
func (l *Ledger) RecordBatch(ctx context.Context, items []Item) ([]Result, error) {
	var res []Result
	err := l.Tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		res, err = l.batch(ctx, items)
		return err
	})
	if err == nil {
		return res, nil
	}
	if errs.Is(err, errs.Unavailable) {
		return nil, err
	}
	// One item at a time, so one bad item cannot sink the rest.
	res = make([]Result, len(items))
	for i, it := range items {
		ev, out, err := l.recordItem(ctx, it)
		switch {
		case errors.Is(err, ErrDuplicate):
			res[i] = Result{Duplicate: true}
		case err != nil:
			if errs.Is(err, errs.Unavailable) {
				return nil, err
			}
			res[i] = Result{Err: err, Foreign: errors.Is(err, errForeign)}
		default:
			res[i] = Result{Event: ev, Outcome: out}
		}
	}
	return res, nil
}

// batch decides and writes items inside the caller's transaction.
func (l *Ledger) batch(ctx context.Context, items []Item) ([]Result, error) {
	res := make([]Result, len(items))
	ids := make([]string, 0, len(items))
	numbers := make([]string, 0, len(items))
	seenNum := map[string]bool{}
	data := make([][]byte, len(items))
	for i := range items {
		in := &items[i].In
		if in.ID == "" {
			in.ID = l.NewID()
		}
		in.ID = strings.ToLower(in.ID)
		ids = append(ids, in.ID)
		d, err := tracking.CanonicalJSON(in.Data)
		if err != nil {
			res[i].Err = errs.Wrapf(errs.Invalid, err, "dữ liệu sự kiện không phải một đối tượng JSON")
			continue
		}
		data[i] = d
		if !seenNum[items[i].Number] {
			seenNum[items[i].Number] = true
			numbers = append(numbers, items[i].Number)
		}
	}
	sort.Strings(numbers)
	locked, err := l.Store.LockParcels(ctx, numbers)
	if err != nil {
		return nil, err
	}
	// Under the parcels' locks: an event of one of them committed by a
	// concurrent batch (the same event sent twice at once) is seen here,
	// so the second copy is a duplicate and not a conflict.
	existing, err := l.Store.ExistingEvents(ctx, ids)
	if err != nil {
		return nil, err
	}
	// PostgreSQL keeps microseconds: every time derived from now (hand-off
	// deadlines) must agree with what is stored.
	now := l.Now().UTC().Truncate(time.Microsecond)
	inBatch := map[string]EventOwner{}
	var guard func(LockedParcel, EventInput) error
	if l.Guard != nil {
		guard = l.Guard(ctx)
	}
	var writes []AppendInput
	for i, it := range items {
		if res[i].Err != nil {
			continue
		}
		in := it.In
		owner, seen := existing[in.ID]
		if !seen {
			owner, seen = inBatch[in.ID]
		}
		if seen {
			if owner.Number == it.Number && owner.Actor == in.Actor {
				res[i].Duplicate = true
			} else {
				res[i].Err, res[i].Foreign = errForeign, true
			}
			continue
		}
		if in.Actor.Kind == tracking.PartyCourier && (in.Device == nil || in.Device.Sig == nil) {
			res[i].Err = errs.E(errs.Unauthorized, "sự kiện của bưu tá phải có chữ ký của thiết bị đã đăng ký")
			continue
		}
		lp, ok := locked[it.Number]
		if !ok {
			res[i].Err = errs.E(errs.NotFound, "không có bưu gửi số %s", it.Number)
			continue
		}
		if it.Check != nil {
			if err := it.Check(lp); err != nil {
				res[i].Err = err
				continue
			}
		}
		if guard != nil {
			if err := guard(lp, in); err != nil {
				res[i].Err = err
				continue
			}
		}
		ev := tracking.Event{ID: in.ID, ParcelID: lp.Parcel.ID, Number: lp.Parcel.Number, Type: in.Type, Actor: in.Actor,
			DeviceAt: in.DeviceAt, ServerAt: now, Lat: in.Lat, Lng: in.Lng, Data: data[i]}
		if in.Device != nil {
			ev.Device = in.Device.Sig
		}
		out, err := tracking.Decide(lp.State, ev, l.Policy, l.NewID)
		if err != nil {
			res[i].Err = err
			continue
		}
		w := l.seal(lp, ev, out, in)
		writes = append(writes, w)
		inBatch[in.ID] = EventOwner{Number: it.Number, Actor: in.Actor}
		// The next event of this parcel sees the new state.
		lp.State = lp.State.Apply(out)
		lp.Parcel = w.Parcel
		locked[it.Number] = lp
		res[i].Event, res[i].Outcome = w.Event, out
	}
	if len(writes) == 0 {
		return res, nil
	}
	if err := l.Store.AppendEvents(ctx, writes); err != nil {
		return nil, err
	}
	if l.After != nil {
		if err := l.After(ctx, writes); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// seal chains the event after the parcel's last and computes the projection
// after it.
func (l *Ledger) seal(lp LockedParcel, ev tracking.Event, out tracking.Outcome, in EventInput) AppendInput {
	ev.Type, ev.UPU, ev.Data = out.Type, out.UPU, out.Data
	ev.Seal(lp.Parcel.EventCount, lp.Parcel.LastHash)
	p := lp.Parcel
	p.EventCount, p.LastHash, p.UpdatedAt = ev.Seq, ev.Hash, ev.ServerAt
	if out.Status != p.Status || p.StatusSince.IsZero() {
		p.StatusSince = ev.ServerAt
	}
	p.Status = out.Status
	if out.Custodian != nil {
		p.Custodian = *out.Custodian
	}
	if out.Attempt {
		p.Attempts++
	}
	if out.SealID != "" {
		p.SealID = out.SealID
	}
	if out.Collected != nil {
		p.Collected = out.Collected
	}
	if in.ReceiptCode != "" {
		p.ReceiptCode = in.ReceiptCode
	}
	if s := in.Schedule; s != nil {
		p.CourierRef, p.OfficeCode = s.Courier, orElse(s.Office, p.OfficeCode)
		d, ws, we := s.Date, s.WindowStart, s.WindowEnd
		p.PlannedDate, p.WindowStart, p.WindowEnd = &d, &ws, &we
		p.RouteStop = s.Stop
	}
	w := AppendInput{Parcel: p, Event: ev, Outcome: out, Schedule: in.Schedule, ReceiptCode: in.ReceiptCode, Device: in.Device, UseCode: in.UseCode, By: in.By}
	if w.By == 0 && in.Device != nil {
		w.By = in.Device.UserID
	}
	if out.Close != "" && lp.State.Pending != nil {
		w.ClosedHandoff = lp.State.Pending.ID
	}
	if l.Effects != nil {
		w.Outbox = l.Effects(p, ev, out)
	}
	return w
}

func orElse(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// first records the first event of a new parcel (pickup.requested or
// result.registered) in the caller's transaction, after the parcel row.
func (l *Ledger) first(ctx context.Context, p Parcel, in EventInput) (tracking.Event, error) {
	data, err := tracking.CanonicalJSON(in.Data)
	if err != nil {
		return tracking.Event{}, err
	}
	st := tracking.State{Leg: p.Leg, Documents: p.Documents}
	ev := tracking.Event{ID: l.NewID(), ParcelID: p.ID, Number: p.Number, Type: in.Type, Actor: in.Actor,
		ServerAt: l.Now().UTC().Truncate(time.Microsecond), Data: data}
	out, err := tracking.Decide(st, ev, l.Policy, l.NewID)
	if err != nil {
		return tracking.Event{}, err
	}
	if out.Custodian != nil && out.Custodian.Kind == "" {
		// The portal registers results held by the dossier's desk.
		out.Custodian = &tracking.Party{Kind: tracking.PartyDesk, Ref: p.DeskCode}
	}
	p.Status = ""
	w := l.seal(LockedParcel{Parcel: p, State: st}, ev, out, in)
	if err := l.Store.AppendEvents(ctx, []AppendInput{w}); err != nil {
		return tracking.Event{}, err
	}
	if l.After != nil {
		if err := l.After(ctx, []AppendInput{w}); err != nil {
			return tracking.Event{}, err
		}
	}
	return w.Event, nil
}
