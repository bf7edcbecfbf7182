package app

import (
	"context"
	"sync"
	"time"

	"hoso/internal/errs"
	"hoso/tracking"
)

// Alarm kinds: the rules of tracking.AlarmRules.
const (
	AlarmHandoff   = tracking.AlarmHandoffUnconfirmed
	AlarmQuiet     = tracking.AlarmParcelQuiet
	AlarmWindow    = tracking.AlarmWindowMissed
	AlarmDeadline  = tracking.AlarmDeadlineRisk
	AlarmUnzoned   = tracking.AlarmOutsideZone
	AlarmIncident  = tracking.AlarmIncidentOpen
	AlarmEvidence  = tracking.AlarmEvidencePending
	AlarmManifest  = tracking.AlarmManifestOpen
	AlarmLate      = tracking.AlarmResultLate
	AlarmComplaint = tracking.AlarmComplaintOverdue
)

// Alarm is a raised alarm.
type Alarm struct {
	ID             int64
	Kind           tracking.AlarmKind
	Subject        string
	ParcelID       string
	Number         string
	ProvinceCode   string
	OfficeCode     string
	DeskCode       string
	Level          int
	Detail         []byte
	DueAt          time.Time
	RaisedAt       time.Time
	EscalatedAt    *time.Time
	AcknowledgedAt *time.Time
	ClearedAt      *time.Time
}

// Label is the alarm's kind in Vietnamese.
func (a Alarm) Label() string { return a.Kind.Label() }

// QuietRule says how long parcels may sit in some statuses
// (tracking.QuietLimits are the defaults).
type QuietRule = tracking.QuietLimit

// AlarmPolicy holds the alarm deadlines.
type AlarmPolicy struct {
	EscalateAfter time.Duration // a level goes up when nobody acknowledges for this long
	MaxLevel      int
	Quiet         []QuietRule
	// FullEvery is how often a sweep looks at every cause rather than only
	// at what changed or fell due since the previous sweep (1 h).
	FullEvery time.Duration
	// ReturnWithin is the result_late rule's working days from the result's
	// registration to its delivery when the desk set no appointment
	// (tracking.ReturnWithinWorkingDays when zero).
	ReturnWithin int
}

// sweepOverlap widens an incremental sweep's window back in time so that a
// transaction which stamped its rows before the previous sweep but committed
// after it is still seen. Ledger transactions last milliseconds; the request
// timeout bounds them far below this.
const sweepOverlap = 5 * time.Minute

// DefaultAlarmPolicy: escalate every 30 minutes up to level 3; the quiet
// limits of tracking.QuietLimits.
func DefaultAlarmPolicy() AlarmPolicy {
	return AlarmPolicy{
		EscalateAfter: 30 * time.Minute,
		MaxLevel:      3,
		FullEvery:     time.Hour,
		ReturnWithin:  tracking.ReturnWithinWorkingDays,
		Quiet:         append([]QuietRule(nil), tracking.QuietLimits...),
	}
}

// SweepStats counts what a sweep did.
type SweepStats struct {
	Raised, Cleared, Escalated int
	Full                       bool // every cause looked at, not only what changed since the previous sweep
	Took                       time.Duration
}

// AlarmFilter selects alarms.
type AlarmFilter struct {
	Province, Office, Desk string
	Open                   bool
	Limit                  int
}

// AlarmStore runs the set-based sweep and lists alarms.
type AlarmStore interface {
	// SweepAlarms raises, clears and escalates as of now. With since set, it
	// looks only at causes that fell due after since and at parcels with
	// events after since; with since nil, at every cause.
	SweepAlarms(ctx context.Context, now time.Time, p AlarmPolicy, since *time.Time) (SweepStats, error)
	FindAlarms(ctx context.Context, f AlarmFilter) ([]Alarm, error)
	FindAlarm(ctx context.Context, id int64) (Alarm, error)
	AckAlarm(ctx context.Context, id, userID int64, at time.Time) error
}

// Alarms raises an alarm once per cause, escalates it while nobody
// acknowledges it, and clears it when the cause ends.
//
// A sweep is incremental: it looks at the causes that fell due since the
// previous sweep of this instance (less sweepOverlap) and at the parcels
// that changed since then, so its cost follows the traffic, not the number
// of parcels or of open alarms. The first sweep, a sweep whose clock went
// backwards, and one every Policy.FullEvery look at everything, which also
// catches whatever an incremental sweep could not see (a cause changed
// outside the ledger). Alarms must not be copied.
type Alarms struct {
	Store  AlarmStore
	Now    func() time.Time
	Policy AlarmPolicy

	mu       sync.Mutex // one sweep at a time per instance
	last     time.Time  // as-of time of the last successful sweep
	lastFull time.Time  // ... and of the last full one
}

// Sweep runs one pass at the current time.
func (a *Alarms) Sweep(ctx context.Context) (SweepStats, error) { return a.SweepAt(ctx, a.Now()) }

// SweepAt runs one pass as of now (tests freeze the clock this way).
func (a *Alarms) SweepAt(ctx context.Context, now time.Time) (SweepStats, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	every := a.Policy.FullEvery
	if every <= 0 {
		every = time.Hour
	}
	var since *time.Time
	full := a.last.IsZero() || now.Before(a.last) || now.Sub(a.lastFull) >= every
	if !full {
		s := a.last.Add(-sweepOverlap)
		since = &s
	}
	start := time.Now()
	st, err := a.Store.SweepAlarms(ctx, now, a.Policy, since)
	st.Took = time.Since(start)
	st.Full = full
	if err == nil {
		a.last = now
		if full {
			a.lastFull = now
		}
	}
	return st, err
}

// SweepFull runs one pass as of now that looks at every cause.
func (a *Alarms) SweepFull(ctx context.Context, now time.Time) (SweepStats, error) {
	a.mu.Lock()
	a.lastFull = time.Time{}
	a.mu.Unlock()
	return a.SweepAt(ctx, now)
}

// ScopeFilter limits the alarms a user sees to their scope.
func ScopeFilter(u User, f AlarmFilter) AlarmFilter {
	switch u.Role {
	case RoleAdmin:
	case RoleDispatcher:
		f.Province = u.ProvinceCode
	case RoleOffice, RoleCourier:
		f.Office = u.OfficeCode
	case RoleDesk:
		f.Desk = u.DeskCode
	}
	return f
}

// List returns the alarms of the user's scope: admins, dispatchers, post
// offices and desks see them (ScopeFilter); other roles are refused.
func (a *Alarms) List(ctx context.Context, u User, f AlarmFilter) ([]Alarm, error) {
	switch u.Role {
	case RoleAdmin, RoleDispatcher, RoleOffice, RoleDesk:
	default:
		return nil, errs.E(errs.Forbidden, "tài khoản %s không xem cảnh báo", u.Role.Label())
	}
	return a.Store.FindAlarms(ctx, ScopeFilter(u, f))
}

// Acknowledge records that a user has seen an alarm in their scope; it stops
// escalating.
func (a *Alarms) Acknowledge(ctx context.Context, u User, id int64) error {
	al, err := a.Store.FindAlarm(ctx, id)
	if err != nil {
		return err
	}
	f := ScopeFilter(u, AlarmFilter{})
	if (f.Province != "" && al.ProvinceCode != f.Province) || (f.Office != "" && al.OfficeCode != f.Office) || (f.Desk != "" && al.DeskCode != f.Desk) {
		return errs.E(errs.NotFound, "không tìm thấy cảnh báo")
	}
	return a.Store.AckAlarm(ctx, id, u.ID, a.Now())
}
