package dispatch

import (
	"fmt"
	"sort"
	"strings"
	"unicode/utf8"

	"hoso/dispatch/travel"
	"hoso/internal/errs"
)

// VehicleKind is how a courier travels; each kind has its own speed in the
// travel model.
type VehicleKind string

// The vehicle kinds.
const (
	Motorbike VehicleKind = "motorbike"
	Bicycle   VehicleKind = "bicycle"
	Car       VehicleKind = "car"
	Walking   VehicleKind = "walking"
)

// VehicleKinds lists every kind in the order forms show them.
var VehicleKinds = []VehicleKind{Motorbike, Bicycle, Car, Walking}

// ParseVehicleKind parses a kind's name.
func ParseVehicleKind(s string) (VehicleKind, error) {
	for _, k := range VehicleKinds {
		if string(k) == s {
			return k, nil
		}
	}
	return "", fmt.Errorf("phương tiện %q không có (xe máy, xe đạp, ô tô hoặc đi bộ)", s)
}

// Label is the kind's Vietnamese name.
func (k VehicleKind) Label() string {
	switch k {
	case Motorbike:
		return "Xe máy"
	case Bicycle:
		return "Xe đạp"
	case Car:
		return "Ô tô"
	case Walking:
		return "Đi bộ"
	}
	return string(k)
}

// Travel is the travel model's kind.
func (k VehicleKind) Travel() travel.Kind {
	switch k {
	case Bicycle:
		return travel.Bicycle
	case Car:
		return travel.Car
	case Walking:
		return travel.Walking
	}
	return travel.Motorbike
}

// Courier is a courier of a post office, known by staff code.
type Courier struct {
	Ref    string // staff code
	Name   string
	Office string
}

// Shift is one courier's working day: when and where the route starts and
// ends, how much the courier can carry and whether they may collect fees.
type Shift struct {
	ID         int64
	Courier    string // staff code
	Office     string
	Day        Day
	Start, End Clock
	// StartPlace and EndPlace default to the office when zero.
	StartPlace, EndPlace Point
	// Capacity is the number of parcels the courier can carry.
	Capacity int
	// MaxStops bounds the stops of the route; 0 means no bound.
	MaxStops int
	Vehicle  VehicleKind
	// COD: the courier may collect fees (thu hộ).
	COD bool
	// BreakFrom and BreakTo bound when the lunch break may start;
	// BreakMinutes is its length, 0 for none.
	BreakFrom, BreakTo Clock
	BreakMinutes       int
	// MaxMinutes bounds the route's duration (waits and break included), 0
	// for no bound beyond the shift.
	MaxMinutes int
	// Communes, when not empty, are the communes (codes) the courier may
	// enter.
	Communes []string
	Demo     bool
}

// Limits on a shift.
const (
	MaxCapacity = 500
	MaxStops    = 300
)

// Name is how errors name the shift: "ca của BUUTA1 ngày 24/11/2026".
func (s Shift) Name() string {
	return fmt.Sprintf("ca của %s ngày %s", s.Courier, s.Day.Label())
}

// Validate checks a shift against the service hours and returns an
// Unprocessable error whose fields are the form's (courier, day, start, end,
// capacity, max_stops, vehicle) and whose messages name the shift.
func (s Shift) Validate(h Hours) error {
	f := errs.Fields{}
	name := s.Name()
	if strings.TrimSpace(s.Courier) == "" {
		f.Add("courier", "Chọn bưu tá")
	}
	if s.Office == "" {
		f.Add("office", "Thiếu bưu cục của ca")
	}
	if s.Day.IsZero() {
		f.Add("day", "Chọn ngày làm việc")
	}
	if !s.Start.Valid() {
		f.Add("start", fmt.Sprintf("Giờ bắt đầu %s không hợp lệ", name))
	}
	if !s.End.Valid() {
		f.Add("end", fmt.Sprintf("Giờ kết thúc %s không hợp lệ", name))
	}
	if s.End <= s.Start {
		f.Add("end", fmt.Sprintf("Ca của %s ngày %s kết thúc lúc %s, không sau giờ bắt đầu %s", s.Courier, s.Day.Label(), s.End, s.Start))
	} else {
		if s.Start < h.Start || s.Start > h.End {
			f.Add("start", fmt.Sprintf("Ca của %s ngày %s bắt đầu lúc %s, ngoài giờ phục vụ %s", s.Courier, s.Day.Label(), s.Start, h))
		}
		if s.End > h.End || s.End < h.Start {
			f.Add("end", fmt.Sprintf("Ca của %s ngày %s kết thúc lúc %s, ngoài giờ phục vụ %s", s.Courier, s.Day.Label(), s.End, h))
		}
	}
	if s.Capacity <= 0 {
		f.Add("capacity", fmt.Sprintf("Ca của %s ngày %s có sức chở %d bưu gửi: cần ít nhất 1", s.Courier, s.Day.Label(), s.Capacity))
	} else if s.Capacity > MaxCapacity {
		f.Add("capacity", fmt.Sprintf("Sức chở %d của %s quá lớn (tối đa %d)", s.Capacity, name, MaxCapacity))
	}
	if s.MaxStops < 0 || s.MaxStops > MaxStops {
		f.Add("max_stops", fmt.Sprintf("Số điểm dừng tối đa của %s phải từ 0 (không giới hạn) đến %d", name, MaxStops))
	}
	if _, err := ParseVehicleKind(string(s.Vehicle)); err != nil {
		f.Add("vehicle", "Chọn phương tiện: xe máy, xe đạp, ô tô hoặc đi bộ")
	}
	if s.BreakMinutes < 0 {
		f.Add("break_minutes", fmt.Sprintf("Giờ nghỉ của %s không thể âm", name))
	} else if s.BreakMinutes > 0 {
		switch {
		case !s.BreakFrom.Valid() || !s.BreakTo.Valid() || s.BreakTo < s.BreakFrom:
			f.Add("break_from", fmt.Sprintf("Khung giờ nghỉ của %s (%s–%s) không hợp lệ", name, s.BreakFrom, s.BreakTo))
		case s.End > s.Start && s.BreakMinutes > int(s.End-s.Start):
			f.Add("break_minutes", fmt.Sprintf("Giờ nghỉ %d phút dài hơn cả %s (%s–%s)", s.BreakMinutes, name, s.Start, s.End))
		case s.BreakTo < s.Start || int(s.BreakFrom)+s.BreakMinutes > int(s.End):
			f.Add("break_from", fmt.Sprintf("Khung giờ nghỉ %s–%s nằm ngoài %s (%s–%s)", s.BreakFrom, s.BreakTo, name, s.Start, s.End))
		}
	}
	if s.MaxMinutes < 0 || (s.MaxMinutes > 0 && s.MaxMinutes < s.BreakMinutes) {
		f.Add("max_minutes", fmt.Sprintf("Thời gian tối đa của tuyến %s phải từ 0 (không giới hạn) và không ngắn hơn giờ nghỉ", name))
	}
	for field, p := range map[string]Point{"start_place": s.StartPlace, "end_place": s.EndPlace} {
		if !p.IsZero() && (p.Lat < -90 || p.Lat > 90 || p.Lng < -180 || p.Lng > 180) {
			f.Add(field, fmt.Sprintf("Vị trí (%g, %g) của %s không hợp lệ", p.Lat, p.Lng, name))
		}
	}
	if len(f) == 0 {
		return nil
	}
	return f.Err(errs.Unprocessable, "Chưa lưu được "+name+": "+firstMessage(f))
}

// firstMessage picks a message deterministically for the error's summary.
func firstMessage(f errs.Fields) string {
	order := []string{"courier", "office", "day", "start", "end", "capacity", "max_stops", "vehicle", "break_minutes", "break_from", "max_minutes", "start_place", "end_place", "from", "to", "reason"}
	for _, k := range order {
		if m, ok := f[k]; ok {
			return lowerFirst(m)
		}
	}
	keys := make([]string, 0, len(f))
	for k := range f {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return lowerFirst(f[keys[0]])
}

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return strings.ToLower(string(r)) + s[n:]
}

// ValidateShifts validates every shift and that no courier has two shifts on
// one day. Fields are keyed "shifts[i].field".
func ValidateShifts(shifts []Shift, h Hours) error {
	f := errs.Fields{}
	seen := map[string]int{}
	for i, s := range shifts {
		if err := s.Validate(h); err != nil {
			for k, m := range errs.FieldsOf(err) {
				f.Add(fmt.Sprintf("shifts[%d].%s", i, k), m)
			}
		}
		key := s.Courier + "|" + s.Day.String()
		if j, ok := seen[key]; ok {
			f.Add(fmt.Sprintf("shifts[%d].day", i), fmt.Sprintf("Bưu tá %s đã có ca ngày %s (ca thứ %d)", s.Courier, s.Day.Label(), j+1))
		}
		seen[key] = i
	}
	return f.Err(errs.Unprocessable, "Ca làm việc chưa hợp lệ")
}

// Absence is a time a courier cannot work on a day: absent all day (From 0,
// To 1440) or late (from the shift's start to the arrival).
type Absence struct {
	ID       int64
	Courier  string
	Day      Day
	From, To Clock
	Reason   string
}

// AllDay reports whether the absence covers the whole day.
func (a Absence) AllDay() bool { return a.From <= 0 && a.To >= 24*60 }

// Validate checks an absence; fields are from, to, reason, courier, day.
func (a Absence) Validate() error {
	f := errs.Fields{}
	if strings.TrimSpace(a.Courier) == "" {
		f.Add("courier", "Chọn bưu tá")
	}
	if a.Day.IsZero() {
		f.Add("day", "Chọn ngày")
	}
	if !a.From.Valid() || !a.To.Valid() || a.To <= a.From {
		f.Add("to", fmt.Sprintf("Thời gian vắng của %s ngày %s kết thúc (%s) không sau lúc bắt đầu (%s)", a.Courier, a.Day.Label(), a.To, a.From))
	}
	if utf8.RuneCountInString(a.Reason) > 300 {
		f.Add("reason", "Lý do dài quá 300 ký tự")
	}
	if len(f) == 0 {
		return nil
	}
	return f.Err(errs.Unprocessable, "Chưa ghi được vắng mặt của "+a.Courier+": "+firstMessage(f))
}

// Available returns the part of the shift the courier can work given their
// absences that day: the longest stretch of [Start, End] no absence covers.
// ok is false when nothing is left.
func (s Shift) Available(abs []Absence) (from, to Clock, ok bool) {
	type iv struct{ a, b Clock }
	free := []iv{{s.Start, s.End}}
	for _, a := range abs {
		if a.Courier != s.Courier || !a.Day.Equal(s.Day) {
			continue
		}
		var next []iv
		for _, f := range free {
			if a.To <= f.a || a.From >= f.b {
				next = append(next, f)
				continue
			}
			if a.From > f.a {
				next = append(next, iv{f.a, a.From})
			}
			if a.To < f.b {
				next = append(next, iv{a.To, f.b})
			}
		}
		free = next
	}
	best := -1
	for i, f := range free {
		if best < 0 || f.b-f.a > free[best].b-free[best].a {
			best = i
		}
	}
	if best < 0 || free[best].b <= free[best].a {
		return 0, 0, false
	}
	return free[best].a, free[best].b, true
}
