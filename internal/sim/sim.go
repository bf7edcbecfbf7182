// Package sim is a seeded simulator of whole service days through the real
// services and the real PostgreSQL store: requests, plans, pickups, citizens
// not at home, late, reordered and duplicated offline uploads, crashes
// between store calls (an error or a panic injected through a wrapper store,
// a context cancelled mid-batch, a reply lost after the commit), clock
// jumps, disputes and their resolution. After every step it checks the
// promises: one custodian per parcel, no custody move without a
// confirmation, every unconfirmed release alarmed by its deadline (the
// sweep runs on the frozen simulated clock), every acknowledged event
// stored once, the hash chains and daily roots verify, no plan breaks a
// window or a capacity. A run is fixed by its seed: the same seed replays
// the same steps (TigerBeetle's VOPR and FoundationDB's simulator, at a Go
// service's scale).
package sim

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"hoso/dispatch"
	"hoso/internal/app"
	"hoso/internal/demo"
	"hoso/internal/errs"
	"hoso/internal/pg"
	"hoso/internal/receipts"
	"hoso/internal/secret"
	"hoso/internal/translog"
	"hoso/internal/units"
	"hoso/tracking"
)

// Config fixes one run.
type Config struct {
	Seed    uint64
	Days    int // service days to simulate (default 2)
	Parcels int // new pickup requests a day (default 4)
	// Slot separates the runs that share one database: run k of a batch
	// simulates days from Base + 7·k days, so the daily roots of one run
	// never cover another's events. Replaying a seed alone keeps its slot.
	Slot int
	// Base is the first simulated morning (default Monday 3 March 2031).
	Base time.Time
	// Units are the administrative units (loaded when nil).
	Units *units.Set
	// Log receives the services' logs (discarded when nil).
	Log *slog.Logger
	// Trace, when set, receives one line per step.
	Trace io.Writer
	// Open, when set, opens a new connection pool: after a crash the
	// simulated process restarts with it. Without it the pool carries on.
	Open func(ctx context.Context) (*pg.DB, error)
}

// Report counts what a run did.
type Report struct {
	Seed      uint64
	Steps     int
	Days      int
	Simulated time.Duration // simulated clock time covered
	Parcels   int
	Events    int // events acknowledged to the simulated devices and staff
	Rejected  int // events the ledger refused, as it should
	Faults    int // injected crashes that fired
	Restarts  int // process restarts after a crash
	Plans     int
	Checks    int // invariant checks run
	Sweeps    int // alarm sweeps on the frozen clock
}

// Failure is a broken promise, with what it takes to replay it.
type Failure struct {
	Seed   uint64
	Step   int
	Action string
	Err    error
}

func (f *Failure) Error() string {
	return fmt.Sprintf("seed %d, step %d (%s): %v (replay with SIM_SEED=%d)", f.Seed, f.Step, f.Action, f.Err, f.Seed)
}

func (f *Failure) Unwrap() error { return f.Err }

var vn = time.FixedZone("ICT", 7*3600)

// DefaultBase is the first simulated morning: a Monday.
var DefaultBase = time.Date(2031, 3, 3, 6, 30, 0, 0, vn)

// device is a courier's phone: events recorded offline wait in its queue
// until an upload is acknowledged.
type device struct {
	user  app.User
	id    string
	soft  *app.SoftDevice // its key: every event is signed when recorded
	queue []queued
	acked []queued // acknowledged, kept to resend by mistake
}

// queued is an event on a phone: its fields and the signed JSON it sends.
type queued struct {
	app.DeviceEvent
	Raw json.RawMessage
}

type world struct {
	cfg   Config
	db    *pg.DB
	rng   *rand.Rand
	now   time.Time
	start time.Time
	day   dispatch.Day
	trace io.Writer

	office     app.PostOffice
	desk       app.Desk
	couriers   []*device
	stranger   app.User // a courier of another office: never a receiver of this office's releases
	officeUser app.User
	deskUser   app.User
	admin      app.User
	s10        app.S10Config

	faults   *faultStore
	tx       *faultTx
	ledger   *app.Ledger
	intake   *app.Intake
	sync     *app.Sync
	devices  *app.Devices
	sms      *simSMS
	hops     *app.Hops
	alarms   *app.Alarms
	cases    *app.Cases
	disp     *app.Dispatch
	dropoff  *app.Dropoff
	verifier *app.Verifier
	tlog     *app.Log

	order    map[string]int    // parcel id → creation order
	dossier  map[string]string // pickup parcel id → dossier code
	resulted map[string]bool   // pickup parcel ids with a result registered
	docs     map[string]int    // parcel id → document lines
	acked    map[string]bool   // event ids acknowledged
	newAcks  []string          // acknowledged since the last check
	touched  map[string]bool   // parcel ids the step may have changed
	dossiers int
	rep      Report
	action   string
}

// Run simulates cfg.Days service days on db, which must be migrated, with
// the units loaded. It returns the report, and a *Failure when a promise
// broke.
func Run(ctx context.Context, db *pg.DB, cfg Config) (Report, error) {
	w, err := newWorld(db, cfg)
	if err != nil {
		return Report{}, err
	}
	cfg = w.cfg
	w.action = "set-up"
	if err := w.setup(ctx); err != nil {
		return w.rep, w.fail(err)
	}
	defer func() {
		if w.db != db {
			w.db.Close()
		}
	}()
	for d := 0; d < cfg.Days; d++ {
		if err := w.runDay(ctx, d); err != nil {
			return w.rep, w.fail(err)
		}
		w.rep.Days++
	}
	w.rep.Simulated = w.now.Sub(w.start)
	return w.rep, nil
}

// restart is the process dying after a crash and starting again: the
// connection pool goes (and with it any statement or cancellation still
// in flight), a new one comes, the services are wired anew. What the
// devices hold stays on the devices.
func (w *world) restart(ctx context.Context) error {
	if w.cfg.Open == nil {
		return nil
	}
	db, err := w.cfg.Open(ctx)
	if err != nil {
		return fmt.Errorf("restart: %w", err)
	}
	if w.rep.Restarts > 0 {
		w.db.Close()
	}
	w.db = db
	w.rep.Restarts++
	w.wire()
	return nil
}

// newWorld applies the defaults and makes an empty world.
func newWorld(db *pg.DB, cfg Config) (*world, error) {
	if cfg.Days <= 0 {
		cfg.Days = 2
	}
	if cfg.Parcels <= 0 {
		cfg.Parcels = 4
	}
	if cfg.Base.IsZero() {
		cfg.Base = DefaultBase
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Units == nil {
		set, err := units.Load()
		if err != nil {
			return nil, err
		}
		cfg.Units = set
	}
	w := &world{cfg: cfg, db: db, rng: newRand(cfg.Seed), trace: cfg.Trace,
		order: map[string]int{}, dossier: map[string]string{}, resulted: map[string]bool{}, docs: map[string]int{}, acked: map[string]bool{},
		touched: map[string]bool{}}
	w.rep.Seed = cfg.Seed
	w.now = cfg.Base.AddDate(0, 0, 7*cfg.Slot)
	w.start = w.now
	return w, nil
}

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

func dayOf(t time.Time) dispatch.Day { return dispatch.DayOf(t) }

func (w *world) fail(err error) error {
	var f *Failure
	if errors.As(err, &f) {
		return err
	}
	return &Failure{Seed: w.cfg.Seed, Step: w.rep.Steps, Action: w.action, Err: err}
}

// newID makes a UUID from the run's random stream, so a replay names
// everything the same.
func (w *world) newID() string {
	var b [16]byte
	for i := range b {
		b[i] = byte(w.rng.Uint32())
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return uuid.UUID(b).String()
}

func (w *world) clock() time.Time { return w.now }

// letters gives each run of a batch its own S10 service letters, so its
// tracking numbers (and the order of everything sorted by them) do not
// depend on the runs before it in the same database.
func letters(i uint64) string {
	i %= 26 * 26
	return string([]byte{byte('A' + i/26), byte('A' + i%26)})
}

func (w *world) setup(ctx context.Context) error {
	tag := fmt.Sprintf("S%d", w.cfg.Seed)
	w.s10 = app.S10Config{Pickup: letters(2 * w.cfg.Seed), Return: letters(2*w.cfg.Seed + 1), Country: "VN"}
	for _, l := range []string{w.s10.Pickup, w.s10.Return} {
		// A key from the seed: a replay in a fresh database issues the
		// same numbers (a real service's key is random).
		key := sha256.Sum256([]byte(fmt.Sprintf("hoso-sim-s10:%s:%d", l, w.cfg.Seed)))
		if err := w.db.EnsureS10ServiceWithKey(ctx, l, key[:]); err != nil {
			return err
		}
	}
	w.office = app.PostOffice{Code: "BC-" + tag, Name: "Bưu cục mô phỏng " + tag, CommuneCode: "05443", ProvinceCode: "19", Lat: 21.5887, Lng: 105.8338}
	w.desk = app.Desk{Code: "MC-" + tag, Name: "Bộ phận một cửa mô phỏng " + tag, Level: "commune", CommuneCode: "05443", ProvinceCode: "19"}
	if err := w.db.UpsertOffice(ctx, w.office); err != nil {
		return err
	}
	if err := w.db.UpsertDesk(ctx, w.desk); err != nil {
		return err
	}
	hash, err := simHash()
	if err != nil {
		return err
	}
	mk := func(name string, role app.Role) (app.User, error) {
		u := app.User{Username: strings.ToLower(tag) + "-" + name, Role: role, FullName: "Mô phỏng " + name, StaffCode: strings.ToUpper(tag + "-" + name),
			PasswordHash: hash, ProvinceCode: "19", Active: true, CreatedAt: w.now}
		switch role {
		case app.RoleCourier, app.RoleOffice:
			u.OfficeCode = w.office.Code
		case app.RoleDesk:
			u.DeskCode = w.desk.Code
		case app.RoleAdmin:
			u.ProvinceCode = ""
		}
		return w.db.CreateUser(ctx, u)
	}
	for _, n := range []string{"bt1", "bt2"} {
		u, err := mk(n, app.RoleCourier)
		if err != nil {
			return err
		}
		seed := sha256.Sum256([]byte(fmt.Sprintf("sim device %d %s", w.cfg.Seed, n)))
		soft, err := app.NewSoftDevice("may-"+n, seed[:])
		if err != nil {
			return err
		}
		w.couriers = append(w.couriers, &device{user: u, id: soft.ID, soft: soft})
	}
	if w.officeUser, err = mk("bc", app.RoleOffice); err != nil {
		return err
	}
	other := app.PostOffice{Code: "BC-" + tag + "-KHAC", Name: "Bưu cục khác " + tag, CommuneCode: "05443", ProvinceCode: "19", Lat: 21.59, Lng: 105.84}
	if err := w.db.UpsertOffice(ctx, other); err != nil {
		return err
	}
	w.stranger = app.User{Username: strings.ToLower(tag) + "-khac", Role: app.RoleCourier, FullName: "Bưu tá bưu cục khác", StaffCode: strings.ToUpper(tag + "-KHAC"),
		PasswordHash: hash, ProvinceCode: "19", OfficeCode: other.Code, Active: true, CreatedAt: w.now}
	if w.stranger, err = w.db.CreateUser(ctx, w.stranger); err != nil {
		return err
	}
	if w.deskUser, err = mk("mc", app.RoleDesk); err != nil {
		return err
	}
	if w.admin, err = mk("qt", app.RoleAdmin); err != nil {
		return err
	}

	w.wire()
	// Each phone registers its key (the password typed again).
	for _, c := range w.couriers {
		if err := c.soft.Register(ctx, w.devices, c.user, simPassword); err != nil {
			return err
		}
	}
	return nil
}

// wire builds the services over w.db, as the binary does at start.
func (w *world) wire() {
	w.faults = &faultStore{DB: w.db}
	w.tx = &faultTx{db: w.db, store: w.faults}
	var all [7]bool
	for i := range all {
		all[i] = true
	}
	// The transparency log: sequenced and checkpointed at the end of each
	// day, then audited with the projections by the day's verification.
	logKey, err := translog.NewLogKey(bytes.Repeat([]byte{7}, 32), "sim.hoso.invalid/log")
	if err != nil {
		panic(err)
	}
	logPolicy, err := translog.NewPolicy(logKey.Vkey(), nil, 0)
	if err != nil {
		panic(err)
	}
	w.tlog = &app.Log{Store: w.db, Key: logKey, Policy: logPolicy, Now: w.clock}
	// The ledger's hooks, as the binary has them: receipts signed in the
	// transaction of each collection and delivery, outbox rows of each event.
	receiptKey, err := receipts.NewKey(bytes.Repeat([]byte{9}, 32))
	if err != nil {
		panic(err)
	}
	rc := &app.Receipts{Store: w.db, Signer: receiptKey, PublicKey: receiptKey.Public().String(), Now: w.clock, Log: w.tlog}
	effects := &app.Effects{Callbacks: app.NewCallbackSet(), Notify: true, BaseURL: func() string { return "https://sim.hoso.invalid" },
		Checkpoint: w.tlog.Latest}
	if w.sms == nil {
		w.sms = &simSMS{codes: map[string]string{}}
	}
	svc := app.NewServices(app.Wiring{
		Store: w.db, LedgerStore: w.faults, LedgerTx: w.tx, Units: w.cfg.Units, Box: mustBox(), Hasher: mustHasher(),
		Now: w.clock, NewID: w.newID, Log: w.cfg.Log, Policy: tracking.DefaultPolicy, S10: w.s10,
		Hours: tracking.ServiceHours{Start: 7*time.Hour + 30*time.Minute, End: 17*time.Hour + 30*time.Minute, Days: all, Zone: vn},
		SMS:   w.sms, Zoner: fixedZone(w.office.Code), Effects: effects.For, After: rc.After, Zone: vn,
		DispatchHours: dispatch.DefaultHours, PlanTime: 20 * time.Second, ReplanTime: 20 * time.Second,
	})
	w.ledger, w.intake, w.devices, w.sync, w.hops, w.alarms, w.cases, w.disp = svc.Ledger, svc.Intake, svc.Devices, svc.Sync, svc.Hops, svc.Alarms, svc.Cases, svc.Dispatch
	w.dropoff = svc.Dropoff
	w.verifier = &app.Verifier{Store: w.db, Now: w.clock, Zone: vn, Projections: w.db, Log: &app.LogAudit{Store: w.db, Policy: logPolicy}}
}

// simPassword is every simulated account's password: only a phone
// registering its key types it.
const simPassword = "mo-phong-khong-dang-nhap"

// simHash is the password hash of every simulated account, computed once:
// the hash is slow on purpose.
var simHash = sync.OnceValues(func() (string, error) { return secret.HashPassword(simPassword) })

// simSMS is the simulated SMS gateway: it keeps the last door code texted
// for each tracking number, which the citizen reads out at the door.
type simSMS struct {
	mu    sync.Mutex
	codes map[string]string
}

var doorCodeText = regexp.MustCompile(`Ma xac nhan (\d{6}) .* ([A-Z]{2}\d{9}[A-Z]{2})\.`)

func (s *simSMS) Send(_ context.Context, _, body string) error {
	if m := doorCodeText.FindStringSubmatch(body); m != nil {
		s.mu.Lock()
		s.codes[m[2]] = m[1]
		s.mu.Unlock()
	}
	return nil
}

func (s *simSMS) code(number string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.codes[number]
}

// fixedZone is the intake's Zoner: every address is in the run's office.
type fixedZone string

func (z fixedZone) OfficeFor(context.Context, float64, float64) (string, int64, bool, error) {
	return string(z), 0, true, nil
}

func mustBox() *secret.Box {
	b, err := secret.NewBox([]byte("sim-data-key-32-bytes-long-0001!"))
	if err != nil {
		panic(err)
	}
	return b
}

func mustHasher() *secret.Hasher {
	h, err := secret.NewHasher([]byte("sim-hash-key-32-bytes-long-0001!"))
	if err != nil {
		panic(err)
	}
	return h
}

func (w *world) tracef(format string, args ...any) {
	if w.trace != nil {
		fmt.Fprintf(w.trace, "seed %d step %d %s %s: ", w.cfg.Seed, w.rep.Steps, w.now.In(vn).Format("02/01 15:04"), w.action)
		fmt.Fprintf(w.trace, format+"\n", args...)
	}
}

// runDay simulates one service day: requests in the morning, a plan and
// its publication, then random steps until the evening, then the day's
// verification.
func (w *world) runDay(ctx context.Context, d int) error {
	morning := w.start.AddDate(0, 0, d)
	if w.now.Before(morning) {
		w.now = morning
	}
	w.day = dispatch.DayOf(w.now)
	// Yesterday's roots are sealed this morning.
	w.action = "seal"
	if _, err := w.verifier.SealDays(ctx); err != nil {
		return err
	}
	w.action = "requests"
	n := w.cfg.Parcels/2 + w.rng.IntN(w.cfg.Parcels+1)
	for i := 0; i < n; i++ {
		if err := w.request(ctx); err != nil {
			return err
		}
	}
	w.action = "shifts"
	for _, c := range w.couriers {
		s := dispatch.Shift{Courier: c.user.StaffCode, Office: w.office.Code, Day: w.day, Start: 450, End: 1050, Capacity: 4 + w.rng.IntN(8), Vehicle: dispatch.Motorbike}
		if _, err := w.disp.CreateShifts(ctx, w.admin, s, 1, [7]bool{true, true, true, true, true, true, true}); err != nil {
			return err
		}
	}
	w.now = w.day.At(7 * 60)
	if err := w.plan(ctx, false); err != nil {
		return err
	}
	if err := w.check(ctx); err != nil {
		return err
	}
	end := w.day.At(18*60 + 30)
	for w.now.Before(end) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := w.step(ctx); err != nil {
			return err
		}
	}
	// Evening: every device uploads what it still holds.
	for _, c := range w.couriers {
		w.action = "evening upload " + c.user.StaffCode
		for tries := 0; len(c.queue) > 0 && tries < 3; tries++ {
			if err := w.upload(ctx, c, "all", false); err != nil {
				return err
			}
		}
		if err := w.check(ctx); err != nil {
			return err
		}
	}
	w.action = "replay every parcel"
	ps, err := w.parcels(ctx)
	if err != nil {
		return err
	}
	if err := w.replay(ctx, ids(ps)); err != nil {
		return err
	}
	w.action = "sequence the transparency log"
	if _, err := w.tlog.Sequence(ctx); err != nil {
		return err
	}
	if _, _, err := w.tlog.Checkpoint(ctx); err != nil {
		return err
	}
	w.action = "verify the day"
	rep, err := w.verifier.Verify(ctx, w.day.Start(), nil)
	if err != nil {
		return err
	}
	if !rep.OK() {
		return fmt.Errorf("ledger verification: %v %s %s %s", rep.Break, rep.RootBreak, rep.ProjectionBreak, rep.Log.Break)
	}
	w.now = w.day.At(23 * 60)
	return nil
}

// step moves the clock and does one random thing.
func (w *world) step(ctx context.Context) error {
	w.rep.Steps++
	w.touched = map[string]bool{}
	w.action = ""
	// The clock: mostly minutes pass; sometimes hours; sometimes the
	// server's clock steps back a little (an NTP correction).
	switch r := w.rng.IntN(100); {
	case r < 4:
		w.now = w.now.Add(-time.Duration(1+w.rng.IntN(10)) * time.Minute)
		w.action = "clock back"
	case r < 10:
		w.now = w.now.Add(time.Duration(60+w.rng.IntN(120)) * time.Minute)
		w.action = "clock jump"
	default:
		w.now = w.now.Add(time.Duration(2+w.rng.IntN(14)) * time.Minute)
	}
	sctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	err := w.act(sctx)
	if err != nil {
		return err
	}
	if sctx.Err() != nil && ctx.Err() == nil && !w.faults.fired {
		return fmt.Errorf("step did not finish in 60 s: a lock held by a crashed step?")
	}
	return w.check(ctx)
}

// act chooses and runs one action.
func (w *world) act(ctx context.Context) error {
	ps, err := w.parcels(ctx)
	if err != nil {
		return err
	}
	pend, err := w.db.PendingHandoffs(ctx, ids(ps))
	if err != nil {
		return err
	}
	c := w.couriers[w.rng.IntN(len(w.couriers))]
	me := c.user.Party()
	pick := func(f func(app.Parcel) bool) (app.Parcel, bool) {
		var cand []app.Parcel
		for _, p := range ps {
			if f(p) {
				cand = append(cand, p)
			}
		}
		if len(cand) == 0 {
			return app.Parcel{}, false
		}
		return cand[w.rng.IntN(len(cand))], true
	}
	// Parcels with an event still on this courier's phone wait for the
	// upload before the courier does anything else with them.
	queued := map[string]bool{}
	for _, e := range c.queue {
		queued[e.TrackingNumber] = true
	}
	holds := func(who tracking.Party, sts ...tracking.Status) func(app.Parcel) bool {
		return func(p app.Parcel) bool {
			_, waiting := pend[p.ID]
			return p.Custodian == who && !waiting && !queued[p.Number] && slices.Contains(sts, p.Status)
		}
	}
	waitingFor := func(who tracking.Party) func(app.Parcel) bool {
		return func(p app.Parcel) bool { h, ok := pend[p.ID]; return ok && h.Receiver == who && !queued[p.Number] }
	}
	officeP := tracking.Party{Kind: tracking.PartyOffice, Ref: w.office.Code}
	deskP := tracking.Party{Kind: tracking.PartyDesk, Ref: w.desk.Code}

	// Every kind of step that has something to act on, weighted; one is
	// chosen.
	type choice struct {
		weight int
		name   string
		run    func() error
	}
	var choices []choice
	add := func(weight int, name string, run func() error) { choices = append(choices, choice{weight, name, run}) }
	if p, ok := pick(func(p app.Parcel) bool {
		return p.Leg == tracking.LegPickup && slices.Contains([]tracking.Status{tracking.StatusRequested, tracking.StatusScheduled, tracking.StatusPickupFailed}, p.Status) &&
			(p.CourierRef == me.Ref || p.CourierRef == "") && !queued[p.Number]
	}); ok {
		add(14, "visit "+p.Number, func() error {
			if w.rng.IntN(4) == 0 {
				w.record(c, tracking.PickupAttemptFailed, p.Number, map[string]any{"reason": pickOne(w.rng, "not_home", "not_home", "documents_missing", "refused")})
				return nil
			}
			return w.collect(ctx, c, p)
		})
	}
	if len(c.queue) > 0 {
		add(12, "upload "+c.user.StaffCode, func() error {
			return w.upload(ctx, c, pickOne(w.rng, "all", "all", "all", "shuffled", "twice", "prefix"), w.rng.IntN(6) == 0)
		})
	}
	if len(c.acked) > 0 {
		add(2, "resend "+c.user.StaffCode, func() error { return w.resend(ctx, c) })
	}
	if p, ok := pick(holds(me, tracking.StatusCollected)); ok {
		add(8, "release to office "+p.Number, func() error {
			w.record(c, tracking.HandoffReleased, p.Number, map[string]any{"to": officeP.String()})
			return nil
		})
	}
	if p, ok := pick(holds(me, tracking.StatusToDesk)); ok {
		add(8, "release to desk "+p.Number, func() error {
			w.record(c, tracking.HandoffReleased, p.Number, map[string]any{"to": deskP.String()})
			return nil
		})
	}
	if p, ok := pick(waitingFor(me)); ok {
		add(8, "courier confirms "+p.Number, func() error {
			w.record(c, tracking.HandoffConfirmed, p.Number, map[string]any{"seal_intact": true})
			return nil
		})
	}
	if _, ok := pick(func(p app.Parcel) bool {
		return p.Leg == tracking.LegReturn && holds(me, tracking.StatusWithCourier, tracking.StatusOutForDelivery, tracking.StatusDeliveryFailed)(p)
	}); ok {
		add(8, "deliver", func() error { return w.deliver(ctx, c, ps, holds) })
	}
	if p, ok := pick(waitingFor(officeP)); ok {
		add(10, "office receives "+p.Number, func() error {
			if w.rng.IntN(6) == 0 {
				w.action = "office leaves " + p.Number + " unconfirmed"
				return nil
			}
			// The clerk states the seal: mostly intact with the id read on
			// the envelope; sometimes broken. A difference is recorded as
			// a dispute once the clerk confirms it.
			l := app.LineInput{Number: p.Number, Result: app.LineReceived, SealID: p.SealID}
			if w.rng.IntN(10) == 0 {
				l.Result, l.SealID = app.LineSealBroken, ""
			}
			return w.guard(ctx, true, func(ctx context.Context) error {
				_, err := w.hops.Receive(ctx, w.officeUser, l, true)
				return err
			}, p.ID)
		})
	}
	if p, ok := pick(holds(officeP, tracking.StatusAtOffice)); ok {
		add(6, "office releases "+p.Number+" to "+me.Ref, func() error {
			return w.guard(ctx, true, func(ctx context.Context) error {
				_, res, err := w.hops.Release(ctx, w.officeUser, me, []app.ReleaseItem{{Number: p.Number}})
				return firstErr(res, err)
			}, p.ID)
		})
	}
	if p, ok := pick(waitingFor(deskP)); ok {
		add(8, "desk receives "+p.Number, func() error {
			counts := w.counts(p, w.rng.IntN(7) == 0)
			l := app.LineInput{Number: p.Number, Result: app.LineReceived, SealID: p.SealID, Counts: counts}
			return w.guard(ctx, true, func(ctx context.Context) error {
				_, err := w.hops.Receive(ctx, w.deskUser, l, true)
				return err
			}, p.ID)
		})
	}
	if p, ok := pick(holds(deskP, tracking.StatusAtDesk)); ok {
		add(6, "desk decides "+p.Number, func() error {
			d := app.DeskDecision{Accept: w.rng.IntN(5) != 0, Reason: "other", Note: "mô phỏng"}
			return w.guard(ctx, true, func(ctx context.Context) error { return w.hops.Decide(ctx, w.deskUser, p.Number, d) }, p.ID)
		})
	}
	if p, ok := pick(func(p app.Parcel) bool {
		return p.Leg == tracking.LegPickup && p.Status == tracking.StatusAccepted && !w.resulted[p.ID]
	}); ok {
		add(5, "result for "+p.Number, func() error {
			var ret app.Parcel
			err := w.guard(ctx, true, func(ctx context.Context) error {
				var err error
				ret, err = w.hops.RegisterResult(ctx, app.ResultInput{DossierCode: w.dossier[p.ID], DeskCode: w.desk.Code,
					Documents: []tracking.Document{{Name: "Kết quả giải quyết", Kind: tracking.Original, Count: 1}}, Actor: deskP})
				return err
			}, p.ID)
			if err == nil && ret.ID != "" {
				w.resulted[p.ID] = true
				w.adopt(ret.ID, 1)
			}
			return err
		})
	}
	if p, ok := pick(holds(deskP, tracking.StatusReady)); ok {
		add(5, "desk releases result "+p.Number, func() error {
			return w.guard(ctx, true, func(ctx context.Context) error {
				seal := fmt.Sprintf("KQ-%06d", w.rng.IntN(1e6))
				_, res, err := w.hops.Release(ctx, w.deskUser, me, []app.ReleaseItem{{Number: p.Number, SealID: seal}})
				return firstErr(res, err)
			}, p.ID)
		})
	}
	add(2, "resolve", func() error { return w.resolve(ctx) })
	if p, ok := pick(func(p app.Parcel) bool { h, ok := pend[p.ID]; return ok && w.now.After(h.Deadline.Add(time.Hour)) }); ok {
		add(2, "dispatcher recalls "+p.Number, func() error {
			h := pend[p.ID]
			return w.guard(ctx, true, func(ctx context.Context) error {
				_, err := w.hops.Recall(ctx, w.admin, h.ID, "Bên nhận không xác nhận sau một giờ quá hạn")
				return err
			}, p.ID)
		})
	}
	if p, ok := pick(func(p app.Parcel) bool {
		return p.Leg == tracking.LegPickup && (p.Status == tracking.StatusRequested || p.Status == tracking.StatusScheduled)
	}); ok {
		add(1, "cancel "+p.Number, func() error {
			return w.guard(ctx, true, func(ctx context.Context) error {
				_, err := w.intake.Cancel(ctx, p, tracking.Party{Kind: tracking.PartyCitizen}, "Công dân tự nộp")
				return err
			}, p.ID)
		})
	}
	if w.now.Before(w.day.At(15 * 60)) {
		add(2, "late request and re-plan", func() error {
			if err := w.request(ctx); err != nil {
				return err
			}
			return w.plan(ctx, true)
		})
	}
	add(2, "counter walk-in", func() error { return w.walkIn(ctx) })
	add(4, "mischief", func() error { return w.mischief(ctx, ps, pend) })
	total := 0
	for _, ch := range choices {
		total += ch.weight
	}
	r := w.rng.IntN(total)
	for _, ch := range choices {
		if r < ch.weight {
			w.action = ch.name
			return ch.run()
		}
		r -= ch.weight
	}
	return nil
}

// resolve closes one of the run's open incidents.
func (w *world) resolve(ctx context.Context) error {
	is, err := w.cases.List(ctx, w.admin, true)
	if err != nil {
		return err
	}
	var mine []app.Incident
	for _, i := range is {
		if _, ok := w.order[i.ParcelID]; ok {
			mine = append(mine, i)
		}
	}
	if len(mine) == 0 {
		return w.idle(ctx)
	}
	sort.Slice(mine, func(a, b int) bool { return mine[a].ID < mine[b].ID })
	i := mine[w.rng.IntN(len(mine))]
	w.action = "resolve incident of " + i.Number
	return w.guard(ctx, false, func(ctx context.Context) error {
		return w.cases.Resolve(ctx, w.admin, i.ID, "Đã tìm thấy, bàn giao lại")
	}, i.ParcelID)
}

// idle is a step where nothing is to be done but the alarm sweep.
func (w *world) idle(context.Context) error {
	if w.action == "" {
		w.action = "idle"
	}
	return nil
}

func pickOne(r *rand.Rand, xs ...string) string { return xs[r.IntN(len(xs))] }

func ids(ps []app.Parcel) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.ID
	}
	return out
}

func firstErr(res []app.Result, err error) error {
	if err != nil {
		return err
	}
	for _, r := range res {
		if r.Err != nil {
			return r.Err
		}
	}
	return nil
}

// parcels lists the run's parcels in the order they were made.
func (w *world) parcels(ctx context.Context) ([]app.Parcel, error) {
	ps, err := w.db.FindParcels(ctx, app.ParcelFilter{OfficeCode: w.office.Code, Limit: 1000})
	if err != nil {
		return nil, err
	}
	// A parcel made by an operation whose answer was lost (a result
	// registered just before a crash) is adopted when first seen, in
	// tracking-number order.
	var unknown []app.Parcel
	for _, p := range ps {
		if _, ok := w.order[p.ID]; !ok {
			unknown = append(unknown, p)
		}
	}
	sort.Slice(unknown, func(i, j int) bool { return unknown[i].Number < unknown[j].Number })
	for _, p := range unknown {
		w.adopt(p.ID, len(p.Documents))
		if p.Leg == tracking.LegReturn && p.ReturnOf != "" {
			w.resulted[p.ReturnOf] = true
		}
	}
	sort.Slice(ps, func(i, j int) bool { return w.order[ps[i].ID] < w.order[ps[j].ID] })
	return ps, nil
}

func (w *world) adopt(id string, lines int) {
	if _, ok := w.order[id]; !ok {
		w.order[id] = len(w.order)
		w.docs[id] = lines
		w.rep.Parcels++
	}
	w.touched[id] = true
}

// request files a pickup request for today, at a random point near the
// office, with one or two windows.
func (w *world) request(ctx context.Context) error {
	w.dossiers++
	code := fmt.Sprintf("SIM-%d-%03d", w.cfg.Seed, w.dossiers)
	slots := [][2]int{{8 * 60, 10 * 60}, {10 * 60, 12 * 60}, {13*60 + 30, 15*60 + 30}, {15*60 + 30, 17*60 + 30}}
	var ws []tracking.Window
	for _, i := range w.rng.Perm(len(slots))[:1+w.rng.IntN(2)] {
		s := w.day.At(dispatch.Clock(slots[i][0]))
		if !s.After(w.now) {
			continue
		}
		ws = append(ws, tracking.Window{Start: s, End: w.day.At(dispatch.Clock(slots[i][1]))})
	}
	if len(ws) == 0 {
		return nil
	}
	lat, lng := 21.575+w.rng.Float64()*0.03, 105.82+w.rng.Float64()*0.03
	docs := []tracking.Document{{Name: "Tờ khai", Kind: tracking.Original, Count: 1}}
	if w.rng.IntN(2) == 0 {
		docs = append(docs, tracking.Document{Name: "Bản sao CCCD", Kind: tracking.CertifiedCopy, Count: 1 + w.rng.IntN(2)})
	}
	p, err := w.intake.Create(ctx, tracking.PickupRequest{
		Dossier:   tracking.Dossier{Code: code, DeskCode: w.desk.Code, ProcedureName: "Thủ tục mô phỏng", ReturnByPost: true},
		Citizen:   tracking.Citizen{FullName: "Công dân mô phỏng", Phone: fmt.Sprintf("09%08d", w.rng.IntN(1e8)), IDNumber: fmt.Sprintf("0190%08d", w.rng.IntN(1e8))},
		Address:   tracking.Address{ProvinceCode: "19", CommuneCode: "05443", Line: fmt.Sprintf("Số %d", 1+w.rng.IntN(200)), Lat: &lat, Lng: &lng},
		Documents: docs, Windows: ws, Channel: tracking.ChannelCitizen,
	})
	if err != nil {
		return fmt.Errorf("request %s: %w", code, err)
	}
	w.adopt(p.ID, len(docs))
	w.dossier[p.ID] = code
	return nil
}

// walkIn is a citizen who brings the papers to the post office counter
// without a request: the clerk makes the request there (no window, never
// planned), then either takes the papers (the citizen's CCCD digits checked
// by the server; sometimes a wrong number first, refused) or, the citizen
// gone, cancels it with a reason.
func (w *world) walkIn(ctx context.Context) error {
	w.dossiers++
	code := fmt.Sprintf("SIM-%d-%03d-Q", w.cfg.Seed, w.dossiers)
	id := fmt.Sprintf("0190%08d", w.rng.IntN(1e8))
	docs := []tracking.Document{{Name: "Tờ khai", Kind: tracking.Original, Count: 1}}
	if w.rng.IntN(2) == 0 {
		docs = append(docs, tracking.Document{Name: "Giấy xác nhận", Kind: tracking.Original, Count: 1})
	}
	var p app.Parcel
	err := w.guard(ctx, true, func(ctx context.Context) error {
		var err error
		p, err = w.dropoff.Create(ctx, w.officeUser, tracking.PickupRequest{
			Dossier:   tracking.Dossier{Code: code, DeskCode: w.desk.Code, ProcedureName: "Thủ tục mô phỏng", ReturnByPost: true},
			Citizen:   tracking.Citizen{FullName: "Công dân đến quầy", Phone: fmt.Sprintf("09%08d", w.rng.IntN(1e8)), IDNumber: id},
			Address:   tracking.Address{ProvinceCode: "19", CommuneCode: "05443", Line: fmt.Sprintf("Số %d", 1+w.rng.IntN(200))},
			Documents: docs,
		})
		return err
	})
	if err != nil || p.ID == "" {
		return err // refused or crashed: nothing to go on with
	}
	w.adopt(p.ID, len(docs))
	w.dossier[p.ID] = code
	if w.rng.IntN(5) == 0 {
		return w.guard(ctx, true, func(ctx context.Context) error {
			_, err := w.dropoff.CancelCounter(ctx, w.officeUser, p.Number, "Công dân không nộp nữa")
			return err
		}, p.ID)
	}
	in := app.DropoffInput{Number: p.Number, EventID: w.newID(), SealID: fmt.Sprintf("NP-Q%05d", w.rng.IntN(1e5)), Method: tracking.ProofIDDigits, Secret: id[9:]}
	for i, d := range docs {
		in.Lines = append(in.Lines, app.DropoffLine{Line: i + 1, Disposition: tracking.DispositionOriginal, Count: d.Count, Condition: tracking.ConditionGood})
	}
	if w.rng.IntN(4) == 0 {
		wrong := in
		wrong.EventID, wrong.Secret = w.newID(), "000"
		if id[9:] == "000" {
			wrong.Secret = "111"
		}
		if err := w.guard(ctx, false, func(ctx context.Context) error {
			_, err := w.dropoff.Record(ctx, w.officeUser, wrong)
			if err == nil {
				return fmt.Errorf("counter drop-off %s accepted a wrong CCCD", p.Number)
			}
			return err
		}, p.ID); err != nil {
			return err
		}
	}
	return w.guard(ctx, true, func(ctx context.Context) error {
		_, err := w.dropoff.Record(ctx, w.officeUser, in)
		return err
	}, p.ID)
}

// plan plans (or re-plans) the day, checks the plan independently against
// the day as stored, and publishes it.
func (w *world) plan(ctx context.Context, replan bool) error {
	w.action = "plan"
	if replan {
		w.action = "re-plan"
	}
	p, err := w.disp.PlanDay(ctx, w.admin, w.office.Code, w.day, app.PlanOptions{Replan: replan, Seed: w.cfg.Seed + uint64(w.rep.Steps), TimeLimit: 20 * time.Second})
	if err != nil {
		return err
	}
	w.rep.Plans++
	stored, err := w.db.FindPlanByID(ctx, p.ID)
	if err != nil {
		return err
	}
	in, err := w.planInput(ctx, replan)
	if err != nil {
		return err
	}
	if err := dispatch.Verify(in, stored); err != nil {
		return fmt.Errorf("stored plan v%d breaks a rule: %w", stored.Version, err)
	}
	caps := map[string]int{}
	for _, s := range in.Shifts {
		caps[s.Courier] = s.Capacity
	}
	for _, r := range stored.Routes {
		if len(r.Stops) > caps[r.Courier] {
			return fmt.Errorf("route of %s has %d stops, capacity %d", r.Courier, len(r.Stops), caps[r.Courier])
		}
		for _, s := range r.Stops {
			if !s.Visited && (s.ETA.Before(s.Window.Start.Add(-2*time.Second)) || s.ETA.After(s.Window.End.Add(2*time.Second))) {
				return fmt.Errorf("stop %s at %s outside %s", s.Number, s.ETA.In(vn).Format("15:04:05"), s.Window.Label())
			}
		}
	}
	w.action = "publish"
	res, err := w.disp.Publish(ctx, w.admin, p.ID)
	if err != nil {
		return err
	}
	for _, r := range stored.Routes {
		for _, s := range r.Stops {
			w.touched[s.Parcel] = true
		}
	}
	w.tracef("plan v%d: %d stops, %d unplaced, %d scheduled, %d refused", stored.Version, stored.Stops(), len(stored.Unplaced), res.Recorded, len(res.Refused))
	return nil
}

// planInput rebuilds the planner's input from the store, as the dispatch
// service does, to check a stored plan from outside.
func (w *world) planInput(ctx context.Context, replan bool) (dispatch.Input, error) {
	in := dispatch.Input{Day: w.day, Hours: dispatch.DefaultHours, Now: w.now,
		Offices: map[string]dispatch.Point{w.office.Code: {Lat: w.office.Lat, Lng: w.office.Lng}}}
	var err error
	if in.Model, err = travelModel(); err != nil {
		return in, err
	}
	if in.Requests, err = w.db.FindRequests(ctx, w.office.Code, w.day); err != nil {
		return in, err
	}
	if in.Shifts, err = w.db.FindShifts(ctx, dispatch.ShiftFilter{Office: w.office.Code, From: w.day, To: w.day}); err != nil {
		return in, err
	}
	if in.Absences, err = w.db.FindAbsences(ctx, dispatch.AbsenceFilter{Office: w.office.Code, From: w.day, To: w.day}); err != nil {
		return in, err
	}
	if in.Pins, err = w.db.FindPins(ctx, w.office.Code, w.day); err != nil {
		return in, err
	}
	if replan {
		ps, err := w.parcels(ctx)
		if err != nil {
			return in, err
		}
		in.Visited = map[string]bool{}
		for _, p := range ps {
			switch p.Status {
			case "pickup_failed", "collected", "at_office", "to_desk", "at_desk", "accepted", "returned_incomplete":
				in.Visited[p.ID] = true
			}
		}
	}
	return in, nil
}

// collect records a collection at the door: every line counted, sealed,
// signed; sometimes a line short and marked partial.
func (w *world) collect(ctx context.Context, c *device, p app.Parcel) error {
	lines := w.docs[p.ID]
	if lines == 0 {
		lines = 1
	}
	var docs []map[string]any
	partial := w.rng.IntN(10) == 0
	for i := 1; i <= lines; i++ {
		n := 1
		if i == 2 {
			n = 2
		}
		if partial && i == lines {
			n = 0
		}
		docs = append(docs, map[string]any{"line": i, "count": n, "condition": "good"})
	}
	data := map[string]any{"documents": docs, "seal_id": fmt.Sprintf("NP-%06d", w.rng.IntN(1e6))}
	if partial {
		data["partial"], data["partial_reason"] = true, "Công dân chưa có bản sao"
	}
	id := w.newID()
	if w.rng.IntN(3) == 0 {
		// The citizen reads out the code the server texted (online, at the
		// door); the phone signs its commitment and sends it beside.
		if err := w.devices.IssueDoorCode(ctx, c.user, p.Number); err == nil {
			if code := w.sms.code(p.Number); code != "" {
				data["proof"] = map[string]any{"method": tracking.ProofDoorCode, "commit": tracking.ProofCommit(id, code)}
				w.recordID(c, id, tracking.PickupCollected, p.Number, data, code)
				return nil
			}
		}
	}
	// The citizen signs on the screen; the image is uploaded before the
	// event that names it.
	sha, err := w.devices.StoreEvidence(ctx, c.user, p.Number, "signature", "image/png",
		base64.StdEncoding.EncodeToString(demo.SignaturePNG(fmt.Sprintf("sim %d %s %s", w.cfg.Seed, p.Number, id))))
	if err != nil {
		w.tracef("signature image refused: %s", errs.MessageOf(err))
		sha = fmt.Sprintf("%064x", w.rng.Uint64()) // the event then waits for an image that never comes
	}
	data["proof"] = map[string]any{"method": tracking.ProofSignature, "sha256": sha}
	w.recordID(c, id, tracking.PickupCollected, p.Number, data, "")
	return nil
}

// counts is what a desk counts: the collected counts, or one line short.
func (w *world) counts(p app.Parcel, short bool) []tracking.DocCount {
	var out []tracking.DocCount
	for i, d := range p.Documents {
		n := d.Count
		for _, c := range p.Collected {
			if c.Line == i+1 {
				n = c.Count
			}
		}
		if short && i == 0 && n > 0 {
			n--
		}
		out = append(out, tracking.DocCount{Line: i + 1, Count: n, Condition: "good"})
	}
	return out
}

// deliver moves a result the courier holds: out for delivery, then a failed
// attempt or the delivery; after the last attempt, back to the desk.
func (w *world) deliver(ctx context.Context, c *device, ps []app.Parcel, holds func(tracking.Party, ...tracking.Status) func(app.Parcel) bool) error {
	me := c.user.Party()
	for _, p := range ps {
		if p.Leg != tracking.LegReturn || !holds(me, tracking.StatusWithCourier, tracking.StatusOutForDelivery, tracking.StatusDeliveryFailed)(p) {
			continue
		}
		w.action = "deliver " + p.Number
		switch p.Status {
		case "with_courier":
			w.record(c, tracking.DeliveryOut, p.Number, map[string]any{})
		case "out_for_delivery":
			if w.rng.IntN(3) == 0 {
				w.record(c, tracking.DeliveryAttemptFailed, p.Number, map[string]any{"cause": "not_home", "action": "retry_next_day"})
			} else {
				// A relative receives it with an authorisation; their
				// signature is uploaded first, and the courier reads the
				// seal on the result's envelope.
				sha, err := w.devices.StoreEvidence(ctx, c.user, p.Number, "signature", "image/png",
					base64.StdEncoding.EncodeToString(demo.SignaturePNG(fmt.Sprintf("sim %d %s delivery %d", w.cfg.Seed, p.Number, p.Attempts))))
				if err != nil {
					return fmt.Errorf("the recipient's signature for %s held by the courier: %w", p.Number, err)
				}
				w.record(c, tracking.DeliveryCompleted, p.Number, map[string]any{"proof": map[string]any{"method": tracking.ProofProxy,
					"proxy_name": "Người nhà", "authorisation": "GUQ-SIM"}, "signature_sha256": sha, "seal_id": p.SealID})
			}
		case "delivery_failed":
			if p.Attempts >= tracking.DefaultPolicy.MaxAttempts {
				w.record(c, tracking.HandoffReleased, p.Number, map[string]any{"to": tracking.Party{Kind: tracking.PartyDesk, Ref: w.desk.Code}.String()})
			} else {
				w.record(c, tracking.DeliveryOut, p.Number, map[string]any{})
			}
		}
		return nil
	}
	return w.idle(ctx)
}

// mischief: a step outside the rules that must be refused and change
// nothing, or recorded only as a dispute naming the giver: the other
// courier confirms a release, a courier releases a parcel the office holds,
// a desk accepts what it does not hold, a counter reads another seal id than
// the one recorded, the office releases to a courier of another office or
// to a party that does not exist, a desk releases a result to the wrong
// post, a courier delivers a result with another seal, someone who is not a
// dispatcher recalls a release.
func (w *world) mischief(ctx context.Context, ps []app.Parcel, pend map[string]tracking.Handoff) error {
	if len(ps) == 0 {
		return w.idle(ctx)
	}
	p := ps[w.rng.IntN(len(ps))]
	w.action = "mischief on " + p.Number
	c := w.couriers[w.rng.IntN(len(w.couriers))]
	kind := w.rng.IntN(10)
	// The counter and release mischief look for a parcel they apply to.
	fits := func(f func(app.Parcel) bool) bool {
		var cand []app.Parcel
		for _, q := range ps {
			if f(q) {
				cand = append(cand, q)
			}
		}
		if len(cand) == 0 {
			return false
		}
		p = cand[w.rng.IntN(len(cand))]
		w.action = "mischief on " + p.Number
		return true
	}
	switch kind {
	case 8, 9:
		return w.forge(ctx, c, p)
	case 3:
		fits(func(q app.Parcel) bool {
			h, ok := pend[q.ID]
			return ok && (h.Receiver.Kind == tracking.PartyOffice || h.Receiver.Kind == tracking.PartyDesk)
		})
	case 4, 5:
		fits(func(q app.Parcel) bool {
			_, waiting := pend[q.ID]
			return !waiting && (q.Custodian.Kind == tracking.PartyOffice || (q.Custodian.Kind == tracking.PartyDesk && q.Leg == tracking.LegReturn) || q.Custodian == c.user.Party()) &&
				!q.Status.Terminal()
		})
	case 6:
		fits(func(q app.Parcel) bool {
			return q.Leg == tracking.LegReturn && q.Custodian == c.user.Party() && q.Status == tracking.StatusOutForDelivery
		})
	case 7:
		fits(func(q app.Parcel) bool { _, ok := pend[q.ID]; return ok })
	}
	switch kind {
	case 0:
		if h, ok := pend[p.ID]; ok && h.Receiver == c.user.Party() {
			return w.idle(ctx) // that would be legitimate
		}
		w.record(c, tracking.HandoffConfirmed, p.Number, map[string]any{"seal_intact": true})
	case 1:
		if p.Custodian == c.user.Party() {
			return w.idle(ctx)
		}
		w.record(c, tracking.HandoffReleased, p.Number, map[string]any{"to": "post_office:" + w.office.Code})
	case 2:
		if p.Custodian.Kind == tracking.PartyDesk {
			return w.idle(ctx)
		}
		return w.guard(ctx, false, func(ctx context.Context) error {
			err := w.hops.Decide(ctx, w.deskUser, p.Number, app.DeskDecision{Accept: true})
			if err == nil {
				return fmt.Errorf("the desk accepted %s, which it does not hold (%s)", p.Number, p.Custodian)
			}
			return err
		}, p.ID)
	case 3:
		// A counter reads another seal than the one recorded: the
		// confirmation becomes a dispute naming the giver; custody stays.
		h, ok := pend[p.ID]
		if !ok || (h.Receiver.Kind != tracking.PartyOffice && h.Receiver.Kind != tracking.PartyDesk) {
			return w.idle(ctx)
		}
		u := w.officeUser
		if h.Receiver.Kind == tracking.PartyDesk {
			u = w.deskUser
		}
		w.action = "mischief: " + string(h.Receiver.Kind) + " reads another seal on " + p.Number
		l := app.LineInput{Number: p.Number, Result: app.LineReceived, SealID: "NP-KHAC-" + strings.ToUpper(p.Number[2:6]), Counts: w.counts(p, false)}
		return w.guard(ctx, false, func(ctx context.Context) error {
			res, err := w.hops.Receive(ctx, u, l, false)
			if err != nil {
				return err
			}
			if res.Kind != "differs" {
				return fmt.Errorf("another seal on %s was not held for confirmation: %s %s", p.Number, res.Kind, res.Message)
			}
			res, err = w.hops.Receive(ctx, u, l, true)
			if err != nil {
				return err
			}
			if res.Kind != "disputed" {
				return fmt.Errorf("another seal on %s recorded as %s", p.Number, res.Kind)
			}
			n, err := w.db.CountForTest(ctx, `SELECT count(*) FROM incidents i WHERE i.parcel_id = ? AND i.handoff_id = ?
				AND i.problem = 'seal_mismatch' AND i.last_custodian_kind = ? AND i.last_custodian_ref = ?`, p.ID, h.ID, string(h.Giver.Kind), h.Giver.Ref)
			if err != nil {
				return err
			}
			if n != 1 {
				return fmt.Errorf("the seal dispute of %s does not name its giver %s", p.Number, h.Giver)
			}
			return nil
		}, p.ID)
	case 4, 5:
		// A release outside scope or to nobody: refused, nothing written,
		// not even an empty manifest.
		var u app.User
		var to tracking.Party
		switch {
		case p.Custodian.Kind == tracking.PartyOffice:
			u = w.officeUser
			to = []tracking.Party{w.stranger.Party(), {Kind: tracking.PartyCourier, Ref: "NOBODY"}, {Kind: tracking.PartyCourier, Ref: strings.ToLower(c.user.StaffCode)},
				{Kind: tracking.PartyCourier, Ref: w.deskUser.StaffCode}, {Kind: tracking.PartyOffice, Ref: "BC-99999"}}[w.rng.IntN(5)]
		case p.Custodian.Kind == tracking.PartyDesk && p.Leg == tracking.LegReturn:
			u = w.deskUser
			to = []tracking.Party{w.stranger.Party(), {Kind: tracking.PartyCourier, Ref: c.user.StaffCode + " "}, {Kind: tracking.PartyOffice, Ref: "BC-99999"}}[w.rng.IntN(3)]
		case p.Custodian.Kind == tracking.PartyCourier && p.Custodian != c.user.Party():
			return w.idle(ctx)
		case p.Custodian == c.user.Party():
			w.action = "mischief: courier releases " + p.Number + " to nobody"
			w.record(c, tracking.HandoffReleased, p.Number, map[string]any{"to": []string{"courier:NOBODY", "post_office:BC-99999", "desk:MC-KHONG-CO", "courier:" + w.stranger.StaffCode}[w.rng.IntN(4)]})
			return nil
		default:
			return w.idle(ctx)
		}
		w.action = "mischief: " + string(u.Role) + " releases " + p.Number + " to " + to.String()
		before, err := w.db.CountForTest(ctx, `SELECT (SELECT count(*) FROM manifests) * 100000 + (SELECT count(*) FROM handoffs) * 10 + (SELECT count(*) FROM events WHERE parcel_id = ?)`, p.ID)
		if err != nil {
			return err
		}
		err = w.guard(ctx, false, func(ctx context.Context) error {
			_, _, err := w.hops.Release(ctx, u, to, []app.ReleaseItem{{Number: p.Number, SealID: "KQ-MISCHIEF"}})
			if err == nil {
				return fmt.Errorf("%s released %s to %s", u.Role, p.Number, to)
			}
			if k := errs.KindOf(err); k != errs.Forbidden && k != errs.Unprocessable {
				return fmt.Errorf("release to %s refused as %s, want forbidden or invalid: %w", to, k, err)
			}
			return err
		}, p.ID)
		if err != nil {
			return err
		}
		after, err := w.db.CountForTest(ctx, `SELECT (SELECT count(*) FROM manifests) * 100000 + (SELECT count(*) FROM handoffs) * 10 + (SELECT count(*) FROM events WHERE parcel_id = ?)`, p.ID)
		if err != nil {
			return err
		}
		if after != before {
			return fmt.Errorf("a refused release of %s to %s wrote rows (%d → %d)", p.Number, to, before, after)
		}
	case 6:
		// A result delivered with another seal than the desk's.
		if p.Leg != tracking.LegReturn || p.Custodian != c.user.Party() || p.Status != tracking.StatusOutForDelivery || p.SealID == "" {
			return w.idle(ctx)
		}
		w.record(c, tracking.DeliveryCompleted, p.Number, map[string]any{"verification": "proxy", "proxy_name": "Người lạ",
			"authorisation": "GUQ-GIA", "signature_sha256": fmt.Sprintf("%064x", w.rng.Uint64()), "seal_id": "KQ-GIA-MAO"})
	default:
		// Only a dispatcher recalls: the office trying it is refused.
		h, ok := pend[p.ID]
		if !ok {
			return w.idle(ctx)
		}
		return w.guard(ctx, false, func(ctx context.Context) error {
			_, err := w.hops.Recall(ctx, w.officeUser, h.ID, "bưu cục tự thu hồi")
			if err == nil {
				return fmt.Errorf("the office recalled the release of %s", p.Number)
			}
			return err
		}, p.ID)
	}
	return nil
}

// forge sends, at once, a collection or delivery that no citizen
// confirmed to the server: the device's own claim that a check passed, a
// door code never sent or wrong, a signature image never uploaded, the
// QR of another person's card, an unsigned event, one signed by a key the
// server does not know, or another courier's stop. Each must be refused
// and change nothing.
func (w *world) forge(ctx context.Context, c *device, p app.Parcel) error {
	t := tracking.PickupCollected
	if p.Leg == tracking.LegReturn {
		t = tracking.DeliveryCompleted
	}
	id := w.newID()
	docs := []map[string]any{{"line": 1, "count": 1}}
	base := func() map[string]any {
		if t == tracking.DeliveryCompleted {
			return map[string]any{"fee_collected": 0, "signature_sha256": fmt.Sprintf("%064x", w.rng.Uint64())}
		}
		return map[string]any{"documents": docs, "seal_id": "NP-FORGED"}
	}
	data, secretValue := base(), ""
	var raw json.RawMessage
	kind := pickOne(w.rng, "asserted", "wrong code", "no image", "other card", "unsigned", "unknown key", "other stop")
	switch kind {
	case "asserted":
		if t == tracking.PickupCollected {
			data["method"], data["otp_verified"] = "otp", true
		} else {
			data["verification"] = "otp"
		}
	case "wrong code":
		secretValue = fmt.Sprintf("%06d", w.rng.IntN(1e6))
		data["proof"] = map[string]any{"method": tracking.ProofDoorCode, "commit": tracking.ProofCommit(id, secretValue)}
	case "no image":
		data["proof"] = map[string]any{"method": tracking.ProofSignature, "sha256": fmt.Sprintf("%064x", w.rng.Uint64())}
	case "other card":
		secretValue = fmt.Sprintf("%012d|%09d|NGUYEN VAN KHAC|01011990|Nam|Thái Nguyên|01012021", w.rng.Int64N(1e12), w.rng.IntN(1e9))
		data["proof"] = map[string]any{"method": tracking.ProofCCCDQR, "commit": tracking.ProofCommit(id, secretValue)}
	case "other stop":
		// A genuine-looking collection with a stored signature, by the
		// courier the stop is not planned for.
		if p.CourierRef == c.user.StaffCode || p.Custodian == c.user.Party() {
			return w.idle(ctx)
		}
		data["proof"] = map[string]any{"method": tracking.ProofSignature, "sha256": fmt.Sprintf("%064x", w.rng.Uint64())}
	default:
		data["proof"] = map[string]any{"method": tracking.ProofSignature, "sha256": fmt.Sprintf("%064x", w.rng.Uint64())}
	}
	q := w.signed(c, id, t, p.Number, data, secretValue)
	raw = q.Raw
	switch kind {
	case "unsigned":
		var m map[string]json.RawMessage
		_ = json.Unmarshal(raw, &m)
		delete(m, "signature")
		raw, _ = json.Marshal(m)
	case "unknown key":
		seed := sha256.Sum256([]byte(fmt.Sprintf("forger %d %d", w.cfg.Seed, w.rep.Steps)))
		other, err := app.NewSoftDevice(c.id, seed[:])
		if err != nil {
			return err
		}
		b, _ := json.Marshal(data)
		if raw, err = other.Event(app.SoftEvent{ID: id, Type: string(t), Number: p.Number, At: w.now, Data: json.RawMessage(b), Secret: secretValue}); err != nil {
			return err
		}
	}
	w.action = "forged " + kind + " on " + p.Number
	w.touched[p.ID] = true
	const counts = `SELECT (SELECT count(*) FROM events) * 1000000 + (SELECT count(*) FROM custody)`
	before, err := w.db.CountForTest(ctx, counts)
	if err != nil {
		return err
	}
	res, err := w.sync.Apply(ctx, c.user, c.id, []json.RawMessage{raw})
	if err != nil {
		return fmt.Errorf("forgery %s: %w", kind, err)
	}
	if len(res) != 1 || res[0].Status != "rejected" || res[0].Error == nil {
		return fmt.Errorf("forgery %q on %s (%s) came back %+v, want rejected", kind, p.Number, p.Status, res)
	}
	after, err := w.db.CountForTest(ctx, counts)
	if err != nil {
		return err
	}
	if after != before {
		return fmt.Errorf("forgery %q on %s was refused but changed the ledger or custody", kind, p.Number)
	}
	w.rep.Rejected++
	w.tracef("refused: %s", res[0].Error.Message)
	return nil
}

// record keeps an event on the courier's phone, signed, until an upload
// succeeds.
func (w *world) record(c *device, t tracking.EventType, number string, data map[string]any) {
	w.recordID(c, w.newID(), t, number, data, "")
}

// recordID is record with the event's id and the secret sent beside it.
func (w *world) recordID(c *device, id string, t tracking.EventType, number string, data map[string]any, secretValue string) {
	c.queue = append(c.queue, w.signed(c, id, t, number, data, secretValue))
}

// signed is an event as the phone sends it.
func (w *world) signed(c *device, id string, t tracking.EventType, number string, data map[string]any, secretValue string) queued {
	b, _ := json.Marshal(data)
	lat, lng := 21.58+w.rng.Float64()*0.02, 105.82+w.rng.Float64()*0.02
	ev := app.DeviceEvent{ID: id, Type: string(t), TrackingNumber: number, At: w.now.Format(time.RFC3339), Lat: &lat, Lng: &lng, Data: b, Secret: secretValue}
	raw, err := c.soft.Event(app.SoftEvent{ID: id, Type: string(t), Number: number, At: w.now, Lat: &lat, Lng: &lng, Data: json.RawMessage(b), Secret: secretValue})
	if err != nil {
		panic(err) // marshalling a map of plain values cannot fail
	}
	return queued{DeviceEvent: ev, Raw: raw}
}

// refusal reports whether an error is the ledger refusing something it
// should refuse.
func refusal(err error) bool {
	switch errs.KindOf(err) {
	case errs.Invalid, errs.Unprocessable, errs.Conflict, errs.Forbidden, errs.NotFound:
		return true
	}
	return false
}
