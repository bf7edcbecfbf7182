package app

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"hoso/internal/errs"
	"hoso/internal/units"
	"hoso/tracking"
)

// Periods of the indicator and fee pages.
const (
	MaxPeriodDays     = 92 // a quarter: the longest period a page may ask for
	DefaultPeriodDays = 7  // the last seven days, today included
)

// kpiZone is the zone whole days are counted in.
var kpiZone = time.FixedZone("ICT", 7*3600)

// Period is a run of whole days in Vietnam time, both ends included.
type Period struct {
	From time.Time // midnight of the first day
	To   time.Time // midnight of the last day
}

// End is the instant the period ends: midnight after its last day.
func (p Period) End() time.Time { return p.To.AddDate(0, 0, 1) }

// Days is the number of days in the period.
func (p Period) Days() int { return daysBetween(p.From, p.To) + 1 }

// FromISO and ToISO are the ends as a date input shows them.
func (p Period) FromISO() string { return p.From.Format("2006-01-02") }

// ToISO is the last day as YYYY-MM-DD.
func (p Period) ToISO() string { return p.To.Format("2006-01-02") }

// Label is the period as people read it: "18/11/2026 – 24/11/2026".
func (p Period) Label() string {
	if p.From.Equal(p.To) {
		return p.From.Format("02/01/2006")
	}
	return p.From.Format("02/01/2006") + " – " + p.To.Format("02/01/2006")
}

func daysBetween(a, b time.Time) int {
	// Both are midnights of a fixed zone: whole days apart.
	return int(b.Sub(a).Hours()+0.5) / 24
}

// Today is midnight of now's date in Vietnam.
func Today(now time.Time) time.Time {
	n := now.In(kpiZone)
	return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, kpiZone)
}

// ParseDay reads a day typed or picked by staff: YYYY-MM-DD (a date input)
// or DD/MM/YYYY, in Vietnam time.
func ParseDay(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if len(s) > 10 {
		return time.Time{}, false
	}
	for _, layout := range []string{"2006-01-02", "02/01/2006", "2/1/2006"} {
		if d, err := time.ParseInLocation(layout, s, kpiZone); err == nil {
			return d, true
		}
	}
	return time.Time{}, false
}

// ParsePeriod reads a period from its two ends as staff give them. Both
// empty is the last DefaultPeriodDays days; an empty end is today; an empty
// start is DefaultPeriodDays days before the end. Malformed days, an end
// before the start and periods longer than MaxPeriodDays are refused with
// a message on the field ("tu" or "den").
func ParsePeriod(from, to string, now time.Time) (Period, error) {
	f := errs.Fields{}
	var p Period
	from, to = strings.TrimSpace(from), strings.TrimSpace(to)
	if to == "" {
		p.To = Today(now)
	} else if d, ok := ParseDay(to); ok {
		p.To = d
	} else {
		f.Add("den", fmt.Sprintf("Ngày “%s” không hợp lệ: nhập theo dạng 2026-11-24 hoặc 24/11/2026.", shown(to, 20)))
	}
	if from == "" {
		p.From = p.To.AddDate(0, 0, -(DefaultPeriodDays - 1))
	} else if d, ok := ParseDay(from); ok {
		p.From = d
	} else {
		f.Add("tu", fmt.Sprintf("Ngày “%s” không hợp lệ: nhập theo dạng 2026-11-24 hoặc 24/11/2026.", shown(from, 20)))
	}
	if len(f) == 0 {
		switch n := daysBetween(p.From, p.To) + 1; {
		case p.To.Before(p.From):
			f.Add("den", "Ngày kết thúc phải cùng ngày hoặc sau ngày bắt đầu ("+p.From.Format("02/01/2006")+").")
		case n > MaxPeriodDays:
			f.Add("den", fmt.Sprintf("Chọn tối đa %d ngày; khoảng đang chọn dài %d ngày.", MaxPeriodDays, n))
		}
	}
	if err := f.Err(errs.Unprocessable, "Khoảng thời gian chưa hợp lệ"); err != nil {
		return Period{}, err
	}
	return p, nil
}

// shown cuts a value typed by staff to n characters for an error message.
func shown(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// ScopeQuery is what a user asked to see: a province, an office or a desk
// ("" for their default).
type ScopeQuery struct {
	Province, Office, Desk string
}

// KPIScope is the part of the network a report covers: everything, a
// province's parcels, an office's couriers and parcels, or a desk's
// parcels. At most one of the codes is set.
type KPIScope struct {
	Province string
	Office   string
	Desk     string
	Label    string
}

// ScopeStore looks up the units a scope names.
type ScopeStore interface {
	FindOffice(ctx context.Context, code string) (PostOffice, error)
	FindDesk(ctx context.Context, code string) (Desk, error)
}

func outOfScope(what string) error {
	return errs.E(errs.Forbidden, "Tài khoản của bạn không xem được số liệu của %s.", what)
}

// ResolveScope decides what a user may see and what they asked for: admins
// anything; a dispatcher their province or an office or desk in it; a post
// office itself; a desk itself. Asking for anything else is forbidden.
func ResolveScope(ctx context.Context, st ScopeStore, set *units.Set, u User, q ScopeQuery) (KPIScope, error) {
	q = ScopeQuery{Province: strings.TrimSpace(q.Province), Office: strings.TrimSpace(q.Office), Desk: strings.TrimSpace(q.Desk)}
	office := func() (KPIScope, error) {
		o, err := st.FindOffice(ctx, q.Office)
		if errs.Is(err, errs.NotFound) {
			return KPIScope{}, errs.E(errs.NotFound, "Không có bưu cục mã %q.", q.Office)
		}
		if err != nil {
			return KPIScope{}, err
		}
		if u.Role == RoleDispatcher && o.ProvinceCode != u.ProvinceCode {
			return KPIScope{}, outOfScope(o.Name)
		}
		return KPIScope{Office: o.Code, Label: o.Name + " (" + o.Code + ")"}, nil
	}
	desk := func() (KPIScope, error) {
		d, err := st.FindDesk(ctx, q.Desk)
		if errs.Is(err, errs.NotFound) {
			return KPIScope{}, errs.E(errs.NotFound, "Không có bộ phận một cửa mã %q.", q.Desk)
		}
		if err != nil {
			return KPIScope{}, err
		}
		if u.Role == RoleDispatcher && d.ProvinceCode != u.ProvinceCode {
			return KPIScope{}, outOfScope(d.Name)
		}
		return KPIScope{Desk: d.Code, Label: d.Name}, nil
	}
	province := func(code string) (KPIScope, error) {
		name := "tỉnh, thành phố mã " + code
		if set != nil {
			p, ok := set.Province(code)
			if !ok {
				return KPIScope{}, errs.E(errs.NotFound, "Không có tỉnh, thành phố mã %q.", code)
			}
			name = p.FullName
		}
		return KPIScope{Province: code, Label: name}, nil
	}
	switch u.Role {
	case RoleAdmin:
		switch {
		case q.Desk != "":
			return desk()
		case q.Office != "":
			return office()
		case q.Province != "":
			return province(q.Province)
		}
		return KPIScope{Label: "Toàn quốc"}, nil
	case RoleDispatcher:
		if u.ProvinceCode == "" {
			return KPIScope{}, outOfScope("bất kỳ tỉnh nào")
		}
		switch {
		case q.Province != "" && q.Province != u.ProvinceCode:
			return KPIScope{}, outOfScope("tỉnh, thành phố mã " + q.Province)
		case q.Desk != "":
			return desk()
		case q.Office != "":
			return office()
		}
		return province(u.ProvinceCode)
	case RoleOffice:
		switch {
		case q.Province != "" || q.Desk != "":
			return KPIScope{}, outOfScope("đơn vị khác")
		case q.Office != "" && q.Office != u.OfficeCode:
			return KPIScope{}, outOfScope("bưu cục " + q.Office)
		}
		q.Office = u.OfficeCode
		return office()
	case RoleDesk:
		switch {
		case q.Province != "" || q.Office != "":
			return KPIScope{}, outOfScope("đơn vị khác")
		case q.Desk != "" && q.Desk != u.DeskCode:
			return KPIScope{}, outOfScope("bộ phận một cửa " + q.Desk)
		}
		q.Desk = u.DeskCode
		return desk()
	}
	return KPIScope{}, errs.E(errs.Forbidden, "Tài khoản %s không xem được chỉ số.", u.Role.Label())
}

// Outcomes of a collection against its scheduled window, and of a delivery
// against the delivery target.
const (
	OutcomeOnTime      = "on_time"
	OutcomeEarly       = "early"
	OutcomeLate        = "late"
	OutcomeUnscheduled = "unscheduled"
)

// KPIEventRow counts the events of one type by one party with one code and
// outcome. The party is the courier who recorded a collection, an attempt
// or a delivery, and for a dispute the giver the receiver disputed (the
// last confirmed custodian). Team is the office the party belongs to: a
// courier's office or the office itself.
type KPIEventRow struct {
	Type      tracking.EventType
	PartyKind tracking.PartyKind
	PartyRef  string
	PartyName string
	Team      string
	TeamName  string
	Code      string // pickup reason, delivery cause or dispute problem
	Outcome   string // for collections and deliveries
	N         int
}

// KPIHopRow is how long custody periods that ended in a period lasted, for
// one kind of holder (HolderRef "") or for one holder.
type KPIHopRow struct {
	HolderKind tracking.PartyKind
	HolderRef  string
	HolderName string
	Team       string
	TeamName   string
	N          int
	Median     time.Duration
	P90        time.Duration
}

// KPIStore runs the set-based indicator queries over a period [from, to).
type KPIStore interface {
	ScopeStore
	KPIEvents(ctx context.Context, s KPIScope, from, to time.Time, deliveryTarget time.Duration) ([]KPIEventRow, error)
	KPIHops(ctx context.Context, s KPIScope, from, to time.Time) ([]KPIHopRow, error)
}

// KPIs computes the performance indicators of offices and desks.
type KPIs struct {
	Store KPIStore
	Units *units.Set
	Now   func() time.Time
	// DeliveryTarget is how long after the post took a result from the
	// desk it should be in the citizen's hands (0: DefaultDeliveryTarget).
	DeliveryTarget time.Duration
}

// DefaultDeliveryTarget: a result is delivered on time within 24 hours of
// the post taking it from the desk.
const DefaultDeliveryTarget = 24 * time.Hour

// Ratio is a share: Hit of Total.
type Ratio struct{ Hit, Total int }

// Percent is the share in percent; ok is false when Total is zero.
func (r Ratio) Percent() (float64, bool) {
	if r.Total == 0 {
		return 0, false
	}
	return 100 * float64(r.Hit) / float64(r.Total), true
}

// CodeCount is a count for one reason, cause or problem code.
type CodeCount struct {
	Code  string
	Label string
	N     int
}

// HopFigure is the wait at one kind of hop, or with one holder.
type HopFigure struct {
	Kind   tracking.PartyKind
	Label  string
	N      int
	Median time.Duration
	P90    time.Duration
}

// PickupFigures splits collections by their window.
type PickupFigures struct {
	OnTime, Early, Late, Unscheduled int
}

// Total is every collection.
func (p PickupFigures) Total() int { return p.OnTime + p.Early + p.Late + p.Unscheduled }

// Ratio is collections inside their window over collections with a window.
func (p PickupFigures) Ratio() Ratio {
	return Ratio{Hit: p.OnTime, Total: p.OnTime + p.Early + p.Late}
}

// UnitFigures are one courier's or one office's indicators.
type UnitFigures struct {
	Ref, Name      string
	Office         string // a courier's office
	OfficeName     string
	Pickups        PickupFigures
	Deliveries     Ratio
	PickupFailed   int
	DeliveryFailed int
	Disputes       int // hand-offs from them the receiver disputed
	Hold           *HopFigure
}

// KPIReport is what the indicator page shows.
type KPIReport struct {
	Scope            KPIScope
	Period           Period
	DeliveryTarget   time.Duration
	Pickups          PickupFigures
	Deliveries       Ratio
	PickupFailures   []CodeCount
	DeliveryFailures []CodeCount
	Disputes         []CodeCount
	Hops             []HopFigure
	Couriers         []UnitFigures
	Offices          []UnitFigures
}

// PickupFailedTotal, DeliveryFailedTotal and DisputeTotal sum their lists.
func (r KPIReport) PickupFailedTotal() int { return sumCounts(r.PickupFailures) }

// DeliveryFailedTotal is every failed delivery attempt.
func (r KPIReport) DeliveryFailedTotal() int { return sumCounts(r.DeliveryFailures) }

// DisputeTotal is every disputed hand-off.
func (r KPIReport) DisputeTotal() int { return sumCounts(r.Disputes) }

func sumCounts(cs []CodeCount) int {
	n := 0
	for _, c := range cs {
		n += c.N
	}
	return n
}

// Scope resolves what a user asked to see against what they may see.
func (k *KPIs) Scope(ctx context.Context, u User, q ScopeQuery) (KPIScope, error) {
	return ResolveScope(ctx, k.Store, k.Units, u, q)
}

// Report computes the indicators of a scope over a period.
func (k *KPIs) Report(ctx context.Context, u User, q ScopeQuery, p Period) (KPIReport, error) {
	sc, err := k.Scope(ctx, u, q)
	if err != nil {
		return KPIReport{}, err
	}
	if p.Days() > MaxPeriodDays || p.To.Before(p.From) {
		return KPIReport{}, errs.E(errs.Unprocessable, "Khoảng thời gian chưa hợp lệ")
	}
	target := k.DeliveryTarget
	if target <= 0 {
		target = DefaultDeliveryTarget
	}
	evs, err := k.Store.KPIEvents(ctx, sc, p.From, p.End(), target)
	if err != nil {
		return KPIReport{}, err
	}
	hops, err := k.Store.KPIHops(ctx, sc, p.From, p.End())
	if err != nil {
		return KPIReport{}, err
	}
	return BuildKPIReport(sc, p, target, evs, hops), nil
}

// BuildKPIReport folds the store's rows into the report: totals, counts by
// code with their Vietnamese labels, and figures per courier and per office.
func BuildKPIReport(sc KPIScope, p Period, target time.Duration, evs []KPIEventRow, hops []KPIHopRow) KPIReport {
	r := KPIReport{Scope: sc, Period: p, DeliveryTarget: target}
	couriers := map[string]*UnitFigures{}
	offices := map[string]*UnitFigures{}
	courier := func(ref, name, office, officeName string) *UnitFigures {
		c, ok := couriers[ref]
		if !ok {
			c = &UnitFigures{Ref: ref, Name: name, Office: office, OfficeName: officeName}
			couriers[ref] = c
		}
		return c
	}
	office := func(code, name string) *UnitFigures {
		if code == "" {
			return nil
		}
		o, ok := offices[code]
		if !ok {
			o = &UnitFigures{Ref: code, Name: name}
			offices[code] = o
		}
		if o.Name == "" {
			o.Name = name
		}
		return o
	}
	pf, df, dp := map[string]int{}, map[string]int{}, map[string]int{}
	for _, e := range evs {
		var units []*UnitFigures
		if e.PartyKind == tracking.PartyCourier && e.PartyRef != "" {
			units = append(units, courier(e.PartyRef, e.PartyName, e.Team, e.TeamName))
		}
		if o := office(e.Team, e.TeamName); o != nil {
			units = append(units, o)
		}
		switch e.Type {
		case tracking.PickupCollected:
			add := func(f *PickupFigures) {
				switch e.Outcome {
				case OutcomeOnTime:
					f.OnTime += e.N
				case OutcomeEarly:
					f.Early += e.N
				case OutcomeLate:
					f.Late += e.N
				default:
					f.Unscheduled += e.N
				}
			}
			add(&r.Pickups)
			for _, u := range units {
				add(&u.Pickups)
			}
		case tracking.DeliveryCompleted:
			add := func(x *Ratio) {
				x.Total += e.N
				if e.Outcome == OutcomeOnTime {
					x.Hit += e.N
				}
			}
			add(&r.Deliveries)
			for _, u := range units {
				add(&u.Deliveries)
			}
		case tracking.PickupAttemptFailed:
			pf[e.Code] += e.N
			for _, u := range units {
				u.PickupFailed += e.N
			}
		case tracking.DeliveryAttemptFailed:
			df[e.Code] += e.N
			for _, u := range units {
				u.DeliveryFailed += e.N
			}
		case tracking.HandoffDisputed:
			dp[e.Code] += e.N
			for _, u := range units {
				u.Disputes += e.N
			}
		}
	}
	r.PickupFailures = codeCounts(pf, tracking.PickupFailReasons)
	r.DeliveryFailures = codeCounts(df, tracking.DeliveryCauses)
	r.Disputes = codeCounts(dp, tracking.DisputeProblems)
	for _, h := range hops {
		f := HopFigure{Kind: h.HolderKind, Label: holderLabel(h.HolderKind), N: h.N, Median: h.Median, P90: h.P90}
		switch {
		case h.HolderRef == "":
			r.Hops = append(r.Hops, f)
		case h.HolderKind == tracking.PartyCourier:
			c := courier(h.HolderRef, h.HolderName, h.Team, h.TeamName)
			c.Hold = &f
			office(h.Team, h.TeamName)
		case h.HolderKind == tracking.PartyOffice:
			if o := office(h.HolderRef, h.TeamName); o != nil {
				o.Hold = &f
			}
		}
	}
	sort.Slice(r.Hops, func(i, j int) bool { return hopOrder(r.Hops[i].Kind) < hopOrder(r.Hops[j].Kind) })
	for _, c := range couriers {
		r.Couriers = append(r.Couriers, *c)
	}
	sort.Slice(r.Couriers, func(i, j int) bool {
		a, b := r.Couriers[i], r.Couriers[j]
		if a.Office != b.Office {
			return a.Office < b.Office
		}
		return a.Ref < b.Ref
	})
	for _, o := range offices {
		r.Offices = append(r.Offices, *o)
	}
	sort.Slice(r.Offices, func(i, j int) bool { return r.Offices[i].Ref < r.Offices[j].Ref })
	return r
}

func holderLabel(k tracking.PartyKind) string {
	switch k {
	case tracking.PartyCourier:
		return "Bưu tá"
	case tracking.PartyOffice:
		return "Bưu cục"
	case tracking.PartyDesk:
		return "Bộ phận một cửa"
	}
	return k.Label()
}

func hopOrder(k tracking.PartyKind) int {
	switch k {
	case tracking.PartyCourier:
		return 0
	case tracking.PartyOffice:
		return 1
	case tracking.PartyDesk:
		return 2
	}
	return 3
}

// codeCounts lists the codes with a count, most frequent first, labelled
// from the vocabulary; unknown codes keep their code as the label.
func codeCounts[C ~string](m map[string]int, labels tracking.Vocabulary[C]) []CodeCount {
	var out []CodeCount
	for code, n := range m {
		if n == 0 {
			continue
		}
		l := labels.Label(C(code))
		if l == "" {
			l = code
			if code == "" {
				l = "Không ghi lý do"
			}
		}
		out = append(out, CodeCount{Code: code, Label: l, N: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Label < out[j].Label
	})
	return out
}
