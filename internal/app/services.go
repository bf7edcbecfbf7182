package app

import (
	"context"
	"log/slog"
	"time"

	"hoso/dispatch"
	"hoso/internal/secret"
	"hoso/internal/units"
	"hoso/tracking"
)

// Store is every store the services read and write: the PostgreSQL
// adapter's DB is one.
type Store interface {
	Tx
	LedgerStore
	IntakeStore
	AuthStore
	AccountStore
	TrackingProofStore
	PortalStore
	IdemStore
	CitizenStore
	DispatchStore
	DeviceStore
	SyncStore
	AlarmStore
	HopStore
	CaseStore
	MoneyStore
	KPIStore
	PartyStore
	UnitStore
	DropoffStore
	OutboxStore
	DirectoryStore
	PublicTimelineStore
	LawStore
	ReferenceStore
	PortalAdminStore
	PostalStore
	StaffParcelStore
	AuditStore
	CalendarStore
	SelfServiceStore
	ReportStore
}

// Wiring is what NewServices builds the services from. The ledger's hooks
// are passed in here, never assigned after construction.
type Wiring struct {
	Store Store
	// LedgerStore and LedgerTx, when set, are what the ledger writes
	// through instead of Store (the simulation injects faults there).
	LedgerStore LedgerStore
	LedgerTx    Tx

	Units  *units.Set
	Box    *secret.Box
	Hasher *secret.Hasher
	Now    func() time.Time
	NewID  func() string
	Log    *slog.Logger
	Demo   bool

	Policy tracking.Policy // the custody policy; zero: tracking.DefaultPolicy
	S10    S10Config
	Hours  tracking.ServiceHours // when couriers visit citizens
	// SMS sends the texts that cannot wait in the outbox: one-time codes of
	// the citizen's request and door codes.
	SMS SMSSender
	// Zoner places a request in a post office's zone; nil: the Dispatch
	// service's zones.
	Zoner Zoner

	// Effects and After are the ledger's hooks (Ledger.Effects,
	// Ledger.After): the outbox rows of each event, and what runs in the
	// transaction after the events are written (receipts).
	Effects func(p Parcel, ev tracking.Event, out tracking.Outcome) []OutboxItem
	After   func(ctx context.Context, writes []AppendInput) error

	// Sessions and sign-in.
	SessionTTL, TokenTTL, SessionIdle time.Duration
	SessionKey                        []byte
	Login                             LoginPolicy

	ProofsPerDay int        // wrong proofs per parcel per day on the public timeline
	CodeBudget   CodeBudget // one-time codes of the citizen's request
	Zone         *time.Location

	// Dispatch: service hours of the planner, outlines for the map
	// (optional) and search times (zero: the defaults).
	DispatchHours        dispatch.Hours
	Outlines             *units.Outlines
	PlanTime, ReplanTime time.Duration

	AlarmPolicy *AlarmPolicy // nil: DefaultAlarmPolicy

	// Signatory is what an EMI record of a delivery names as its
	// signatory: "role" (the default) or "initials".
	Signatory string
}

// Services are the application services, wired together once.
type Services struct {
	Ledger    *Ledger
	Intake    *Intake
	Auth      *Auth
	Accounts  *Accounts
	Proof     *TrackingProof
	Portal    *Portal
	Idem      *Idempotency
	Citizen   *CitizenFlow
	Dispatch  *Dispatch
	Devices   *Devices
	Sync      *Sync
	Alarms    *Alarms
	Scope     *HandoffScope
	Hops      *Hops
	Cases     *Cases
	Money     *Money
	KPIs      *KPIs
	Parties   *Parties
	Outbox    *Outbox
	Directory *Directory
	Law       *Law          // the legal citations pages and papers use
	Reference *Reference    // desks and post offices kept by admins
	Portals   *PortalAdmin  // portal clients kept by admins
	Postal    *Postal       // postal systems pulling EMSEVT records
	Staff     *StaffParcels // the staff parcel view
	Audit     *AuditLog     // the audit log viewer
	Calendar  *WorkCalendar // working days: holidays, make-up days, desks' Saturdays
	Self      *SelfService  // the citizen's self-service on the tracking page
	Dropoff   *Dropoff      // post office counters taking papers instead of a home visit
}

// NewServices wires the services over one store, as the binary, the demo,
// the simulation and the tests use them. The server decides who may
// receive a release on every path (pages, staff API, courier app): the
// ledger's guard is the hand-off scope.
func NewServices(w Wiring) *Services {
	db := w.Store
	ledgerStore, ledgerTx := w.LedgerStore, w.LedgerTx
	if ledgerStore == nil {
		ledgerStore = db
	}
	if ledgerTx == nil {
		ledgerTx = db
	}
	policy := w.Policy
	if policy == (tracking.Policy{}) {
		policy = tracking.DefaultPolicy
	}
	alarmPolicy := DefaultAlarmPolicy()
	if w.AlarmPolicy != nil {
		alarmPolicy = *w.AlarmPolicy
	}
	s := &Services{}
	s.Scope = &HandoffScope{Store: db}
	s.Ledger = &Ledger{Store: ledgerStore, Tx: ledgerTx, Policy: policy, Now: w.Now, NewID: w.NewID,
		Effects: w.Effects, After: w.After, Guard: s.Scope.Guard}
	s.Dispatch = &Dispatch{Store: db, Tx: db, Ledger: s.Ledger, Units: w.Units, Outlines: w.Outlines, Now: w.Now, Log: w.Log,
		Hours: w.DispatchHours, PlanTime: w.PlanTime, ReplanTime: w.ReplanTime, Demo: w.Demo}
	zoner := w.Zoner
	if zoner == nil {
		zoner = s.Dispatch
	}
	s.Calendar = &WorkCalendar{Store: db, Now: w.Now}
	s.Intake = &Intake{Store: db, Tx: db, Ledger: s.Ledger, Units: w.Units, Box: w.Box, Hasher: w.Hasher, S10: w.S10, Hours: w.Hours,
		Now: w.Now, NewID: w.NewID, Demo: w.Demo, Zoner: zoner, Timelines: db, Calendar: s.Calendar}
	s.Auth = &Auth{Store: db, Now: w.Now, SessionTTL: w.SessionTTL, TokenTTL: w.TokenTTL, Key: w.SessionKey,
		IdleTimeout: w.SessionIdle, Policy: w.Login}
	s.Accounts = &Accounts{Store: db, Tx: db, Auth: s.Auth, Now: w.Now}
	s.Proof = &TrackingProof{Store: db, Box: w.Box, Now: w.Now, Zone: w.Zone, PerDay: w.ProofsPerDay}
	s.Portal = &Portal{Store: db, Box: w.Box, Now: w.Now}
	s.Idem = &Idempotency{Store: db, Tx: db, Now: w.Now}
	s.Citizen = &CitizenFlow{Store: db, Intake: s.Intake, SMS: w.SMS, Now: w.Now, Zone: w.Zone, Budget: w.CodeBudget}
	s.Devices = &Devices{Store: db, Auth: s.Auth, Hasher: w.Hasher, Box: w.Box, SMS: w.SMS, Now: w.Now}
	s.Sync = &Sync{Ledger: s.Ledger, Store: db, Now: w.Now, Check: s.Devices.Check}
	s.Alarms = &Alarms{Store: db, Now: w.Now, Policy: alarmPolicy}
	s.Hops = &Hops{Store: db, Ledger: s.Ledger, Intake: s.Intake, Now: w.Now, NewID: w.NewID, Scope: s.Scope}
	s.Parties = &Parties{Store: db}
	s.Law = &Law{Store: db, Now: w.Now}
	s.Cases = &Cases{Store: db, Tx: db, Now: w.Now, NewID: w.NewID, Name: s.Parties.Letter, Law: s.Law, Proof: s.Proof, Zone: w.Zone}
	s.Money = &Money{Store: db, Tx: db, Units: w.Units, Now: w.Now}
	s.KPIs = &KPIs{Store: db, Units: w.Units, Now: w.Now}
	s.Outbox = &Outbox{Store: db, PhoneHash: s.Intake.PhoneHash, Now: w.Now}
	s.Directory = &Directory{Store: db}
	s.Reference = &Reference{Store: db, Tx: db, Units: w.Units, Now: w.Now}
	s.Portals = &PortalAdmin{Store: db, Tx: db, Portal: s.Portal, Now: w.Now, Demo: w.Demo}
	s.Postal = &Postal{Store: db, Box: w.Box, Now: w.Now, Signatory: w.Signatory}
	s.Staff = &StaffParcels{Store: db, Intake: s.Intake, Now: w.Now}
	s.Audit = &AuditLog{Store: db, Now: w.Now}
	s.Intake.Reports = db
	s.Self = &SelfService{Store: db, Tx: db, Intake: s.Intake, Flow: s.Citizen, Dispatch: s.Dispatch, Now: w.Now, Log: w.Log}
	s.Dropoff = &Dropoff{Store: db, Ledger: s.Ledger, Devices: s.Devices, Box: w.Box, Now: w.Now, NewID: w.NewID, Intake: s.Intake}
	return s
}
