package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"hoso/dispatch"
	"hoso/dispatch/vrptw"
	"hoso/internal/errs"
	"hoso/internal/secret"
	"hoso/tracking"
)

// ---------- planning ----------

// PlanOptions tune one planning run.
type PlanOptions struct {
	// TimeLimit bounds the search (default PlanTime, or ReplanTime for a
	// re-plan; at most MaxPlanTime).
	TimeLimit time.Duration
	// Replan starts from the day's latest plan: visited stops stay, stops
	// keep their courier unless moving saves more than ReassignCost.
	Replan bool
	// Reason is recorded with the plan version.
	Reason string
	// Progress, when set, is called with every better plan found.
	Progress func(vrptw.Progress)
	// Restrict sends parcels to one courier for this run only.
	Restrict map[string]string
	// Seed makes a run reproducible (0: from the clock).
	Seed uint64
}

// visitedStatuses are pickup statuses after the courier's visit.
var visitedStatuses = map[tracking.Status]bool{
	tracking.StatusPickupFailed: true, tracking.StatusCollected: true, tracking.StatusAtOffice: true,
	tracking.StatusToDesk: true, tracking.StatusAtDesk: true, tracking.StatusAccepted: true,
	tracking.StatusReturnedIncomplete: true,
}

// input gathers a day of an office for the planner.
func (d *Dispatch) input(ctx context.Context, office PostOffice, day dispatch.Day, previous *dispatch.Plan) (dispatch.Input, error) {
	in := dispatch.Input{Day: day, Hours: d.hours(), Model: d.model(), Now: d.now(), ReassignCost: d.ReassignCost,
		Offices: map[string]dispatch.Point{office.Code: {Lat: office.Lat, Lng: office.Lng}}, Previous: previous}
	var err error
	if in.Requests, err = d.Store.FindRequests(ctx, office.Code, day); err != nil {
		return in, err
	}
	if in.Shifts, err = d.Store.FindShifts(ctx, dispatch.ShiftFilter{Office: office.Code, From: day, To: day}); err != nil {
		return in, err
	}
	if in.Absences, err = d.Store.FindAbsences(ctx, dispatch.AbsenceFilter{Office: office.Code, From: day, To: day}); err != nil {
		return in, err
	}
	if in.Pins, err = d.Store.FindPins(ctx, office.Code, day); err != nil {
		return in, err
	}
	if previous != nil {
		var ids []string
		for _, r := range previous.Routes {
			for _, s := range r.Stops {
				ids = append(ids, s.Parcel)
			}
		}
		st, err := d.Store.ParcelStatuses(ctx, ids)
		if err != nil {
			return in, err
		}
		in.Visited = map[string]bool{}
		for id, s := range st {
			if visitedStatuses[s] {
				in.Visited[id] = true
			}
		}
	}
	return in, nil
}

// PlanDay plans (or re-plans) an office's day and stores the result as a
// new draft version. It runs for the time limit; cancel ctx to stop early
// with the best plan so far.
func (d *Dispatch) PlanDay(ctx context.Context, u User, officeCode string, day dispatch.Day, opt PlanOptions) (dispatch.Plan, error) {
	office, err := d.Office(ctx, u, officeCode)
	if err != nil {
		return dispatch.Plan{}, err
	}
	if day.IsZero() {
		return dispatch.Plan{}, errs.E(errs.Unprocessable, "Chọn ngày cần lập kế hoạch")
	}
	if day.Before(dispatch.DayOf(d.now())) {
		return dispatch.Plan{}, errs.E(errs.Unprocessable, "Ngày %s đã qua: không lập kế hoạch cho ngày đã qua", day.Label())
	}
	var previous *dispatch.Plan
	if opt.Replan {
		p, err := d.Store.FindPlan(ctx, office.Code, day)
		switch {
		case err == nil:
			previous = &p
		case errs.Is(err, errs.NotFound):
			// Nothing to keep: a first plan.
		default:
			return dispatch.Plan{}, err
		}
	}
	in, err := d.input(ctx, office, day, previous)
	if err != nil {
		return dispatch.Plan{}, err
	}
	in.Restrict = opt.Restrict
	x, err := dispatch.Build(in)
	if err != nil {
		return dispatch.Plan{}, errs.Wrapf(errs.Internal, err, "dựng bài toán ngày %s", day)
	}
	limit := d.limit(opt.TimeLimit, previous != nil)
	seed := opt.Seed
	if seed == 0 {
		seed = uint64(d.now().UnixNano())
	}
	// Small days converge long before the time limit: an iteration budget
	// that grows with the stops ends them early; large days stay bound by
	// time.
	iters := 3000 + 300*len(x.Problem.Jobs)
	plan, err := x.Solve(ctx, vrptw.Options{TimeLimit: limit, MaxIterations: iters, Seed: seed, Progress: opt.Progress})
	if err != nil {
		return dispatch.Plan{}, errs.Wrapf(errs.Internal, err, "lập kế hoạch ngày %s", day)
	}
	// The independent check: a plan that breaks a rule is never stored.
	if err := dispatch.Verify(in, plan); err != nil {
		return dispatch.Plan{}, errs.Wrapf(errs.Internal, err, "kế hoạch không qua kiểm tra")
	}
	plan.Office, plan.CreatedAt, plan.CreatedBy, plan.Demo = office.Code, d.now(), u.StaffCode, d.Demo
	plan.Reason = opt.Reason
	if plan.Reason == "" {
		plan.Reason = "Lập kế hoạch"
		if previous != nil {
			plan.Reason = "Lập lại kế hoạch"
		}
	}
	saved, err := d.Store.SavePlan(ctx, plan)
	if err != nil {
		return dispatch.Plan{}, err
	}
	d.log().Info("plan saved", "office", office.Code, "day", day.String(), "version", saved.Version, "stops", saved.Stops(),
		"unplaced", len(saved.Unplaced), "replan", previous != nil)
	return saved, nil
}

func (d *Dispatch) limit(asked time.Duration, replan bool) time.Duration {
	limit := asked
	if limit <= 0 {
		limit = d.PlanTime
		if limit <= 0 {
			limit = DefaultPlanTime
		}
		if replan {
			limit = d.ReplanTime
			if limit <= 0 {
				limit = DefaultReplanTime
			}
		}
	}
	maxT := d.MaxPlanTime
	if maxT <= 0 {
		maxT = DefaultMaxPlanTime
	}
	return min(limit, maxT)
}

// Plan returns the latest version of an office's day.
func (d *Dispatch) Plan(ctx context.Context, u User, office string, day dispatch.Day) (dispatch.Plan, error) {
	if _, err := d.Office(ctx, u, office); err != nil {
		return dispatch.Plan{}, err
	}
	return d.Store.FindPlan(ctx, office, day)
}

// Versions lists the versions of an office's day, newest first.
func (d *Dispatch) Versions(ctx context.Context, u User, office string, day dispatch.Day) ([]dispatch.Plan, error) {
	if _, err := d.Office(ctx, u, office); err != nil {
		return nil, err
	}
	return d.Store.FindPlanVersions(ctx, office, day)
}

// PlanChanges is what happened since a plan was made, so the dispatcher
// knows to re-plan.
type PlanChanges struct {
	New       []string // live requests of the day the plan does not have
	Cancelled []string // planned stops whose request is gone
	Visited   int      // planned stops the couriers have been to
	Absent    []string // couriers with a route who are now absent or late
}

// Any reports whether anything calls for a re-plan.
func (c PlanChanges) Any() bool { return len(c.New)+len(c.Cancelled)+len(c.Absent) > 0 }

// Changes compares a plan with the day as it is now.
func (d *Dispatch) Changes(ctx context.Context, u User, p dispatch.Plan) (PlanChanges, error) {
	office, err := d.Office(ctx, u, p.Office)
	if err != nil {
		return PlanChanges{}, err
	}
	in, err := d.input(ctx, office, p.Day, &p)
	if err != nil {
		return PlanChanges{}, err
	}
	var ch PlanChanges
	live := map[string]bool{}
	for _, r := range in.Requests {
		live[r.Parcel] = true
		if _, _, ok := p.StopOf(r.Parcel); ok {
			continue
		}
		found := false
		for _, u := range p.Unplaced {
			found = found || u.Parcel == r.Parcel
		}
		if !found {
			ch.New = append(ch.New, r.Number)
		}
	}
	for _, r := range p.Routes {
		for _, s := range r.Stops {
			switch {
			case s.Visited:
			case in.Visited[s.Parcel]:
				ch.Visited++
			case !live[s.Parcel]:
				ch.Cancelled = append(ch.Cancelled, s.Number)
			}
		}
		for _, sh := range in.Shifts {
			if sh.Courier != r.Courier {
				continue
			}
			from, to, ok := sh.Available(in.Absences)
			if !ok || from != sh.Start || to != sh.End {
				ch.Absent = append(ch.Absent, r.Courier)
			}
		}
	}
	return ch, nil
}

// ---------- background planning ----------

// PlanJob is a planning run in the background, for a progress bar.
type PlanJob struct {
	ID       string
	Office   string
	Day      dispatch.Day
	Replan   bool
	Started  time.Time
	Limit    time.Duration
	Best     vrptw.Progress
	Improved int // better plans found so far
	Done     bool
	Err      string // a message a person can act on
	PlanID   int64
	Version  int
	Finished time.Time
}

// Percent is the share of the time limit spent, 100 when done.
func (j PlanJob) Percent(now time.Time) int {
	if j.Done {
		return 100
	}
	if j.Limit <= 0 {
		return 0
	}
	p := int(100 * now.Sub(j.Started) / j.Limit)
	return max(0, min(99, p))
}

// StartPlan plans an office's day in the background and returns the job's
// id; a run already going for the same office and day is returned instead
// of starting another.
func (d *Dispatch) StartPlan(ctx context.Context, u User, office string, day dispatch.Day, opt PlanOptions) (string, error) {
	if _, err := d.Office(ctx, u, office); err != nil {
		return "", err
	}
	now := d.now()
	d.mu.Lock()
	if d.jobs == nil {
		d.jobs = map[string]*PlanJob{}
	}
	for id, j := range d.jobs {
		if j.Done && now.Sub(j.Finished) > time.Hour {
			delete(d.jobs, id)
		}
	}
	for _, j := range d.jobs {
		if !j.Done && j.Office == office && j.Day.Equal(day) {
			d.mu.Unlock()
			return j.ID, nil
		}
	}
	job := &PlanJob{ID: secret.Token(12), Office: office, Day: day, Replan: opt.Replan, Started: now,
		Limit: d.limit(opt.TimeLimit, opt.Replan)}
	d.jobs[job.ID] = job
	d.mu.Unlock()

	user := u
	progress := opt.Progress
	opt.Progress = func(p vrptw.Progress) {
		d.mu.Lock()
		job.Best = p
		job.Improved++
		d.mu.Unlock()
		if progress != nil {
			progress(p)
		}
	}
	// The run outlives the request that started it.
	bg, cancel := context.WithTimeout(context.WithoutCancel(ctx), job.Limit+2*time.Minute)
	go func() {
		defer cancel()
		plan, err := d.PlanDay(bg, user, office, day, opt)
		d.mu.Lock()
		defer d.mu.Unlock()
		job.Done, job.Finished = true, d.now()
		if err != nil {
			d.log().Error("planning failed", "office", office, "day", day.String(), "err", err.Error())
			job.Err = errs.MessageOf(err)
			if job.Err == "" {
				job.Err = "Lỗi hệ thống khi lập kế hoạch; vui lòng thử lại."
			}
			return
		}
		job.PlanID, job.Version = plan.ID, plan.Version
	}()
	return job.ID, nil
}

// Job returns a planning job the user may see.
func (d *Dispatch) Job(ctx context.Context, u User, id string) (PlanJob, error) {
	d.mu.Lock()
	j, ok := d.jobs[id]
	var cp PlanJob
	if ok {
		cp = *j
	}
	d.mu.Unlock()
	if !ok {
		return PlanJob{}, errs.E(errs.NotFound, "Không có lượt lập kế hoạch này (có thể đã quá một giờ)")
	}
	if _, err := d.Office(ctx, u, cp.Office); err != nil {
		return PlanJob{}, err
	}
	return cp, nil
}

// ---------- manual changes ----------

// dayRequest finds a live request of the office's day by tracking number.
func (d *Dispatch) dayRequest(ctx context.Context, office string, day dispatch.Day, number string) (dispatch.Request, error) {
	rs, err := d.Store.FindRequests(ctx, office, day)
	if err != nil {
		return dispatch.Request{}, err
	}
	number = strings.ToUpper(strings.TrimSpace(number))
	for _, r := range rs {
		if r.Number == number {
			return r, nil
		}
	}
	return dispatch.Request{}, errs.E(errs.Unprocessable, "Bưu gửi %s không phải yêu cầu thu gom còn chờ của bưu cục %s ngày %s", number, office, day.Label()).
		WithFields(map[string]string{"number": "Không có yêu cầu " + number + " trong ngày"})
}

func (d *Dispatch) courierOf(ctx context.Context, u User, office, courier string) error {
	cs, err := d.Couriers(ctx, u, office)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if c.Ref == courier {
			return nil
		}
	}
	return errs.E(errs.Unprocessable, "Bưu tá %s không thuộc bưu cục %s", courier, office).
		WithFields(map[string]string{"courier": fmt.Sprintf("Bưu tá %s không thuộc bưu cục %s", courier, office)})
}

// Assign moves a request to a courier's route: a short re-plan that keeps
// every other stop where it can and places the request on that courier
// only. With pin, the request stays with the courier through later
// re-plans. If the courier cannot take it (capacity, window, absence) the
// error says why and nothing changes.
func (d *Dispatch) Assign(ctx context.Context, u User, office string, day dispatch.Day, number, courier string, pin bool) (dispatch.Plan, error) {
	if _, err := d.Office(ctx, u, office); err != nil {
		return dispatch.Plan{}, err
	}
	if err := d.courierOf(ctx, u, office, courier); err != nil {
		return dispatch.Plan{}, err
	}
	r, err := d.dayRequest(ctx, office, day, number)
	if err != nil {
		return dispatch.Plan{}, err
	}
	var plan dispatch.Plan
	err = d.Tx.InTx(ctx, func(ctx context.Context) error {
		if pin {
			if err := d.Store.SetPin(ctx, dispatch.Pin{Parcel: r.Parcel, Day: day, Courier: courier, Office: office}, d.now(), u.StaffCode); err != nil {
				return err
			}
		}
		reason := fmt.Sprintf("Gán %s cho %s", r.Number, courier)
		if pin {
			reason = fmt.Sprintf("Gán và ghim %s cho %s", r.Number, courier)
		}
		p, err := d.PlanDay(ctx, u, office, day, PlanOptions{Replan: true, Reason: reason,
			Restrict: map[string]string{r.Parcel: courier}, TimeLimit: d.limit(0, true)})
		if err != nil {
			return err
		}
		if _, c, ok := p.StopOf(r.Parcel); !ok || c != courier {
			why := "không còn chỗ"
			for _, un := range p.Unplaced {
				if un.Parcel == r.Parcel {
					why = strings.ToLower(un.Reason.Label()[:1]) + un.Reason.Label()[1:]
				}
			}
			return errs.E(errs.Unprocessable, "Không xếp được %s vào tuyến của %s: %s", r.Number, courier, why).
				WithFields(map[string]string{"courier": "Bưu tá " + courier + " không nhận thêm được điểm này"})
		}
		plan = p
		return d.Store.InsertAudit(ctx, u.ID, AuditAssigned, r.Number, fmt.Sprintf("%s, phiên bản %d: %s", daySubject(office, day), p.Version, reason), d.now())
	})
	return plan, err
}

// Pin keeps a request with its courier in the latest plan (or with the
// given courier) through later re-plans.
func (d *Dispatch) Pin(ctx context.Context, u User, office string, day dispatch.Day, number, courier string) error {
	if _, err := d.Office(ctx, u, office); err != nil {
		return err
	}
	r, err := d.dayRequest(ctx, office, day, number)
	if err != nil {
		return err
	}
	if courier == "" {
		p, err := d.Store.FindPlan(ctx, office, day)
		if err != nil {
			return err
		}
		_, c, ok := p.StopOf(r.Parcel)
		if !ok {
			return errs.E(errs.Unprocessable, "%s chưa có trong tuyến nào: hãy gán cho một bưu tá", r.Number)
		}
		courier = c
	} else if err := d.courierOf(ctx, u, office, courier); err != nil {
		return err
	}
	return d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := d.Store.SetPin(ctx, dispatch.Pin{Parcel: r.Parcel, Day: day, Courier: courier, Office: office}, d.now(), u.StaffCode); err != nil {
			return err
		}
		return d.Store.InsertAudit(ctx, u.ID, AuditPinned, r.Number, daySubject(office, day)+": "+courier, d.now())
	})
}

// Unpin frees a request for the planner again.
func (d *Dispatch) Unpin(ctx context.Context, u User, office string, day dispatch.Day, number string) error {
	if _, err := d.Office(ctx, u, office); err != nil {
		return err
	}
	p, err := d.Store.FindParcelByNumber(ctx, strings.ToUpper(strings.TrimSpace(number)))
	if err != nil {
		return err
	}
	return d.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := d.Store.DeletePin(ctx, p.ID, day); err != nil {
			return err
		}
		return d.Store.InsertAudit(ctx, u.ID, AuditUnpinned, p.Number, daySubject(office, day), d.now())
	})
}

// Pins lists an office's pins of a day.
func (d *Dispatch) Pins(ctx context.Context, u User, office string, day dispatch.Day) ([]dispatch.Pin, error) {
	if _, err := d.Office(ctx, u, office); err != nil {
		return nil, err
	}
	return d.Store.FindPins(ctx, office, day)
}
