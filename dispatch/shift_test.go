package dispatch_test

import (
	"strings"
	"testing"

	"hoso/dispatch"
	"hoso/internal/errs"
)

func goodShift(t testing.TB) dispatch.Shift {
	return dispatch.Shift{Courier: "BUUTA1", Office: "BC-05443", Day: mustDay(t, "2026-11-24"), Start: 8 * 60, End: 17 * 60,
		Capacity: 20, MaxStops: 15, Vehicle: dispatch.Motorbike}
}

func TestShiftValidate(t *testing.T) {
	for _, tc := range []struct {
		name   string
		change func(*dispatch.Shift)
		field  string
		words  []string // the message names the item
	}{
		{"ends before it starts", func(s *dispatch.Shift) { s.End = 7 * 60 }, "end", []string{"BUUTA1", "24/11/2026", "07:00", "08:00"}},
		{"ends when it starts", func(s *dispatch.Shift) { s.End = s.Start }, "end", []string{"BUUTA1"}},
		{"zero capacity", func(s *dispatch.Shift) { s.Capacity = 0 }, "capacity", []string{"BUUTA1", "sức chở 0"}},
		{"negative capacity", func(s *dispatch.Shift) { s.Capacity = -3 }, "capacity", []string{"BUUTA1"}},
		{"huge capacity", func(s *dispatch.Shift) { s.Capacity = 10000 }, "capacity", []string{"tối đa"}},
		{"starts before service hours", func(s *dispatch.Shift) { s.Start = 5 * 60 }, "start", []string{"BUUTA1", "05:00", "07:30–17:30"}},
		{"ends after service hours", func(s *dispatch.Shift) { s.End = 20 * 60 }, "end", []string{"20:00", "ngoài giờ phục vụ"}},
		{"unknown vehicle", func(s *dispatch.Shift) { s.Vehicle = "truck" }, "vehicle", []string{"xe máy"}},
		{"no courier", func(s *dispatch.Shift) { s.Courier = " " }, "courier", []string{"bưu tá"}},
		{"no day", func(s *dispatch.Shift) { s.Day = dispatch.Day{} }, "day", []string{"ngày"}},
		{"negative max stops", func(s *dispatch.Shift) { s.MaxStops = -1 }, "max_stops", []string{"điểm dừng"}},
		{"start place off the globe", func(s *dispatch.Shift) { s.StartPlace = dispatch.Point{Lat: 120, Lng: 5} }, "start_place", []string{"120"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := goodShift(t)
			tc.change(&s)
			err := s.Validate(dispatch.DefaultHours)
			if !errs.Is(err, errs.Unprocessable) {
				t.Fatalf("err = %v, want unprocessable", err)
			}
			msg, ok := errs.FieldsOf(err)[tc.field]
			if !ok {
				t.Fatalf("no %q field in %v", tc.field, errs.FieldsOf(err))
			}
			for _, w := range tc.words {
				if !strings.Contains(strings.ToLower(msg), strings.ToLower(w)) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
			if !strings.Contains(errs.MessageOf(err), "BUUTA1") && tc.name != "no courier" {
				t.Errorf("summary %q does not name the shift", errs.MessageOf(err))
			}
		})
	}
	if err := goodShift(t).Validate(dispatch.DefaultHours); err != nil {
		t.Errorf("good shift: %v", err)
	}
}

func TestValidateShiftsDuplicates(t *testing.T) {
	a, b := goodShift(t), goodShift(t)
	b.Start = 9 * 60
	err := dispatch.ValidateShifts([]dispatch.Shift{a, b}, dispatch.DefaultHours)
	if m := errs.FieldsOf(err)["shifts[1].day"]; !strings.Contains(m, "BUUTA1") {
		t.Errorf("duplicate not named: %v", err)
	}
	c := goodShift(t)
	c.Capacity = 0
	err = dispatch.ValidateShifts([]dispatch.Shift{a, c}, dispatch.DefaultHours)
	if _, ok := errs.FieldsOf(err)["shifts[1].capacity"]; !ok {
		t.Errorf("zero capacity not reported at its index: %v", errs.FieldsOf(err))
	}
}

func TestAvailable(t *testing.T) {
	day := mustDay(t, "2026-11-24")
	s := goodShift(t) // 08:00–17:00
	ab := func(from, to dispatch.Clock) dispatch.Absence {
		return dispatch.Absence{Courier: "BUUTA1", Day: day, From: from, To: to}
	}
	for _, tc := range []struct {
		name     string
		abs      []dispatch.Absence
		from, to dispatch.Clock
		ok       bool
	}{
		{"none", nil, 480, 1020, true},
		{"all day", []dispatch.Absence{ab(0, 1440)}, 0, 0, false},
		{"late until 10:00", []dispatch.Absence{ab(480, 600)}, 600, 1020, true},
		{"leaves at 15:00", []dispatch.Absence{ab(900, 1440)}, 480, 900, true},
		{"lunch away, the morning is longer", []dispatch.Absence{ab(780, 840)}, 480, 780, true},
		{"another courier", []dispatch.Absence{{Courier: "BUUTA2", Day: day, From: 0, To: 1440}}, 480, 1020, true},
		{"another day", []dispatch.Absence{{Courier: "BUUTA1", Day: day.AddDays(1), From: 0, To: 1440}}, 480, 1020, true},
	} {
		from, to, ok := s.Available(tc.abs)
		if ok != tc.ok || ok && (from != tc.from || to != tc.to) {
			t.Errorf("%s: %s–%s %v, want %s–%s %v", tc.name, from, to, ok, tc.from, tc.to, tc.ok)
		}
	}
	bad := dispatch.Absence{Courier: "BUUTA1", Day: day, From: 600, To: 540}
	if err := bad.Validate(); !strings.Contains(errs.FieldsOf(err)["to"], "BUUTA1") {
		t.Errorf("absence ending before it starts: %v", err)
	}
	if !(dispatch.Absence{From: 0, To: 1440}).AllDay() {
		t.Error("AllDay")
	}
}
