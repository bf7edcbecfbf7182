package dispatch

import (
	"time"
)

// StopKind tells a pickup (a dossier collected at the citizen's door) from
// a delivery (a result carried from the office to the citizen).
type StopKind string

// The kinds of stop.
const (
	KindPickup   StopKind = "pickup"
	KindDelivery StopKind = "delivery"
)

// Label is the kind's Vietnamese name.
func (k StopKind) Label() string {
	if k == KindDelivery {
		return "Trả kết quả"
	}
	return "Nhận hồ sơ"
}

// IsDelivery reports whether the stop drops a result (the zero kind is a
// pickup).
func (k StopKind) IsDelivery() bool { return k == KindDelivery }

// Request is a visit as the planner sees it: a pickup request or a result to
// deliver; where, when, how long the visit takes (by the number of
// documents), and whether a fee is collected.
type Request struct {
	// Kind is KindPickup (or empty) or KindDelivery: a result loaded at the
	// office when the route starts and dropped at the stop.
	Kind      StopKind
	Parcel    string // parcel id
	Number    string // tracking number
	Office    string
	Point     Point
	Documents int
	Windows   []Window
	// COD: a fee is collected at the door, so only a courier allowed to
	// collect fees may visit.
	COD bool
	// Demand is the parcels the visit adds to the courier's bag (1 when
	// zero).
	Demand int
	// Approx: the point is the commune's, not the address's.
	Approx bool
	// Commune is the commune's code; a shift listing communes serves only
	// those.
	Commune string
	// Vehicles, when not empty, lists the vehicle kinds that may make the
	// visit (a bulky delivery by car).
	Vehicles []VehicleKind
}

func (r Request) demand() int {
	if r.Demand <= 0 {
		return 1
	}
	return r.Demand
}

// Pin keeps a request on one courier's route through every re-plan of the
// day.
type Pin struct {
	Parcel  string
	Number  string
	Day     Day
	Courier string
	Office  string
}

// PlanStatus is where a plan version stands.
type PlanStatus string

// The plan statuses: a draft becomes published when the dispatcher publishes
// it (the couriers' routes and the citizens' timelines then follow it), and
// superseded when a later version of the day is published.
const (
	Draft      PlanStatus = "draft"
	Published  PlanStatus = "published"
	Superseded PlanStatus = "superseded"
)

// Label is the status's Vietnamese name.
func (s PlanStatus) Label() string {
	switch s {
	case Draft:
		return "Bản nháp"
	case Published:
		return "Đã công bố"
	case Superseded:
		return "Đã thay thế"
	}
	return string(s)
}

// Plan is one version of an office's day: a route per courier and the
// requests that could not be placed, with why.
type Plan struct {
	ID          int64
	Office      string
	Day         Day
	Version     int
	Status      PlanStatus
	Reason      string // why it was made: "lập kế hoạch", "yêu cầu mới", …
	CreatedAt   time.Time
	CreatedBy   string // staff code
	PublishedAt *time.Time
	Routes      []Route
	Unplaced    []Unplaced
	Distance    float64 // metres
	Cost        float64
	Demo        bool
}

// Route is one courier's stops in order.
type Route struct {
	Courier  string
	ShiftID  int64
	Vehicle  VehicleKind
	Depart   time.Time
	Return   time.Time
	Distance float64 // metres
	Load     int     // parcels at the end of the route
	Stops    []Stop
	// Break is the courier's lunch break in the route, nil without one.
	Break *RouteBreak
}

// RouteBreak is when a route's break is taken: after its first After stops
// (0: before leaving), where the courier then is.
type RouteBreak struct {
	After      int
	Start, End time.Time
}

// Stop is one visit of a route.
type Stop struct {
	Kind      StopKind // pickup (or empty) or delivery
	Parcel    string
	Number    string
	Seq       int // 1-based position in the route
	Point     Point
	Window    Window // the request's window the plan keeps
	ETA       time.Time
	Departure time.Time
	Load      int // parcels in the bag after the stop: results still to drop plus dossiers collected
	Documents int
	Pinned    bool
	// Visited: the courier has been there (collected, or failed); the stop
	// stays in the route as history and re-plans do not move it.
	Visited bool
}

// Reason says why a request is not in any route.
type Reason string

// The reasons a request is left out.
const (
	ReasonNoShift       Reason = "no_shift"
	ReasonNoCourier     Reason = "no_courier"
	ReasonCOD           Reason = "cod"
	ReasonPinnedAbsent  Reason = "pinned_absent"
	ReasonCapacity      Reason = "capacity"
	ReasonWindow        Reason = "window_impossible"
	ReasonOutsideHours  Reason = "outside_hours"
	ReasonNoRoom        Reason = "no_room"
	ReasonNoWindowToday Reason = "no_window_today"
	ReasonCommune       Reason = "commune"
	ReasonVehicleKind   Reason = "vehicle_kind"
)

// Label explains the reason in Vietnamese.
func (r Reason) Label() string {
	switch r {
	case ReasonNoShift:
		return "Bưu cục chưa có ca làm việc nào trong ngày"
	case ReasonNoCourier:
		return "Không bưu tá nào được phép nhận điểm này"
	case ReasonCOD:
		return "Cần thu hộ lệ phí nhưng không bưu tá nào được thu hộ"
	case ReasonPinnedAbsent:
		return "Đã ghim cho một bưu tá vắng mặt hoặc không có ca"
	case ReasonCapacity:
		return "Vượt sức chở của mọi bưu tá"
	case ReasonWindow:
		return "Không bưu tá nào đến kịp trong khung giờ hẹn"
	case ReasonOutsideHours:
		return "Khung giờ hẹn nằm ngoài giờ phục vụ"
	case ReasonNoRoom:
		return "Các tuyến đã kín: thêm ca hoặc đổi khung giờ"
	case ReasonNoWindowToday:
		return "Không có khung giờ hẹn trong ngày này"
	case ReasonCommune:
		return "Không bưu tá nào có ca được vào xã/phường này"
	case ReasonVehicleKind:
		return "Không bưu tá nào đi loại xe cần cho điểm này"
	}
	return string(r)
}

// Unplaced is a request left out of the plan.
type Unplaced struct {
	Parcel string
	Number string
	Point  Point
	Reason Reason
}

// Route returns the courier's route and whether there is one.
func (p *Plan) Route(courier string) (*Route, bool) {
	for i := range p.Routes {
		if p.Routes[i].Courier == courier {
			return &p.Routes[i], true
		}
	}
	return nil, false
}

// StopOf finds a parcel's stop and its courier.
func (p *Plan) StopOf(parcel string) (Stop, string, bool) {
	for _, r := range p.Routes {
		for _, s := range r.Stops {
			if s.Parcel == parcel {
				return s, r.Courier, true
			}
		}
	}
	return Stop{}, "", false
}

// Stops counts the stops of every route.
func (p *Plan) Stops() int {
	n := 0
	for _, r := range p.Routes {
		n += len(r.Stops)
	}
	return n
}
