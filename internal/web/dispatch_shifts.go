package web

import (
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"hoso/dispatch"
	"hoso/internal/app"
	"hoso/internal/errs"
)

// ---------- shifts and absences ----------

type shiftForm struct {
	Courier, Day, Days, Start, End, Capacity, MaxStops, Vehicle string
	From, To                                                    string // places "lat, lng"; empty: the office
	COD                                                         bool
	// The lunch break: may start from BreakFrom to BreakTo, lasts
	// BreakMinutes (0 or empty: none); MaxMinutes bounds the route.
	BreakFrom, BreakTo, BreakMinutes, MaxMinutes string
}

// parsePlace reads "21.5887, 105.8338"; empty is the zero point (the
// office).
func parsePlace(s string) (dispatch.Point, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return dispatch.Point{}, true
	}
	a, b, ok := strings.Cut(s, ",")
	if !ok {
		a, b, ok = strings.Cut(s, " ")
	}
	lat, err1 := strconv.ParseFloat(strings.TrimSpace(a), 64)
	lng, err2 := strconv.ParseFloat(strings.TrimSpace(b), 64)
	// NaN passes every comparison; strconv reads "NaN" and "Inf" as numbers.
	finite := !math.IsNaN(lat) && !math.IsNaN(lng) && !math.IsInf(lat, 0) && !math.IsInf(lng, 0)
	if !ok || err1 != nil || err2 != nil || !finite || lat < -90 || lat > 90 || lng < -180 || lng > 180 || lat == 0 && lng == 0 {
		return dispatch.Point{}, false
	}
	return dispatch.Point{Lat: lat, Lng: lng}, true
}

type absenceForm struct {
	Courier, Day, From, To, Reason string
	AllDay                         bool
}

type shiftDay struct {
	Day     dispatch.Day
	Shifts  []dispatch.Shift
	Absent  []dispatch.Absence
	IsToday bool
}

type shiftsPage struct {
	Tabs      []dispatchTab
	Offices   []app.PostOffice
	Office    app.PostOffice
	From      dispatch.Day
	Days      []shiftDay
	Couriers  []dispatch.Courier
	Names     map[string]string
	Vehicles  []vehicleOpt
	Form      shiftForm
	Absence   absenceForm
	Errors    map[string]string
	Summary   []fieldError
	AbsErrors map[string]string
	AbsSum    []fieldError
	Flash     string
	Hours     string
}

type vehicleOpt struct {
	Value, Label string
}

func (s *Server) dispatchShiftsPage(c *fiber.Ctx) error {
	return s.renderShifts(c, fiber.StatusOK, c.Query("bc"), c.Query("ngay"), nil, nil, nil)
}

// The shift and absence forms' kept forms (Post/Redirect/Get, forms.go):
// a refused form comes back only on its office's page, to the session that
// typed it.
func shiftFormName(office string) string   { return "dispatch-shift:" + office }
func absenceFormName(office string) string { return "dispatch-absence:" + office }

// shiftInputs and absenceInputs are what the two forms post.
var (
	shiftInputs = []string{"buu_ta", "ngay", "so_ngay", "bat_dau", "ket_thuc", "suc_cho", "diem_toi_da", "phuong_tien",
		"noi_di", "noi_ve", "thu_ho", "nghi_tu", "nghi_den", "nghi_phut", "toi_da_phut"}
	absenceInputs = []string{"buu_ta", "ngay", "tu", "den", "ly_do", "ca_ngay"}
)

// labelOf names an input in a form's error summary, read away from the
// input: "Sức chở: …".
func labelOf(labels map[string]string) func(string) string {
	return func(id string) string { return labels[id] }
}

// shiftFields and absenceFields map the two forms' errors to their inputs,
// in the order the page shows them, each named in the summary.
var (
	shiftFields = fieldSpec{
		IDs: map[string]string{"courier": "ca-buu-ta", "office": "ca-buu-ta", "day": "ca-ngay", "days": "ca-so-ngay",
			"start": "ca-bat-dau", "end": "ca-ket-thuc", "capacity": "ca-suc-cho", "max_stops": "ca-diem-toi-da",
			"break_from": "ca-nghi-tu", "break_to": "ca-nghi-den", "break_minutes": "ca-nghi-phut", "max_minutes": "ca-toi-da-phut",
			"vehicle": "ca-phuong-tien", "start_place": "ca-noi-di", "end_place": "ca-noi-ve"},
		Order: []string{"ca-buu-ta", "ca-ngay", "ca-so-ngay", "ca-bat-dau", "ca-ket-thuc", "ca-suc-cho", "ca-diem-toi-da",
			"ca-nghi-tu", "ca-nghi-den", "ca-nghi-phut", "ca-toi-da-phut", "ca-phuong-tien", "ca-noi-di", "ca-noi-ve"},
		Label: labelOf(map[string]string{"ca-buu-ta": "Bưu tá", "ca-ngay": "Từ ngày", "ca-so-ngay": "Số ngày làm việc",
			"ca-bat-dau": "Giờ bắt đầu", "ca-ket-thuc": "Giờ kết thúc", "ca-suc-cho": "Sức chở", "ca-diem-toi-da": "Số điểm dừng tối đa",
			"ca-nghi-tu": "Nghỉ trưa, bắt đầu sớm nhất", "ca-nghi-den": "Nghỉ trưa, bắt đầu muộn nhất", "ca-nghi-phut": "Số phút nghỉ trưa",
			"ca-toi-da-phut": "Thời gian tối đa của tuyến", "ca-phuong-tien": "Phương tiện", "ca-noi-di": "Nơi xuất phát", "ca-noi-ve": "Nơi kết thúc"}),
	}
	absenceFields = fieldSpec{
		IDs:   map[string]string{"courier": "vang-buu-ta", "day": "vang-ngay", "from": "vang-tu", "to": "vang-den", "reason": "vang-ly-do"},
		Order: []string{"vang-buu-ta", "vang-ngay", "vang-tu", "vang-den", "vang-ly-do"},
		Label: labelOf(map[string]string{"vang-buu-ta": "Bưu tá", "vang-ngay": "Ngày", "vang-tu": "Vắng từ", "vang-den": "Có mặt lại lúc",
			"vang-ly-do": "Lý do"}),
	}
)

// shiftFormOf reads the shift form (posted or kept).
func shiftFormOf(get func(string) string) shiftForm {
	return shiftForm{Courier: get("buu_ta"), Day: get("ngay"), Days: get("so_ngay"), Start: get("bat_dau"),
		End: get("ket_thuc"), Capacity: get("suc_cho"), MaxStops: get("diem_toi_da"), Vehicle: get("phuong_tien"),
		From: get("noi_di"), To: get("noi_ve"), COD: get("thu_ho") == "1",
		BreakFrom: get("nghi_tu"), BreakTo: get("nghi_den"), BreakMinutes: get("nghi_phut"), MaxMinutes: get("toi_da_phut")}
}

// absenceFormOf reads the absence form (posted or kept).
func absenceFormOf(get func(string) string) absenceForm {
	return absenceForm{Courier: get("buu_ta"), Day: get("ngay"), From: get("tu"), To: get("den"), Reason: get("ly_do"), AllDay: get("ca_ngay") == "1"}
}

// shiftsBack answers a refused shift or absence form: Post/Redirect/Get to
// the office's shifts page at the week shown, with everything typed and the
// messages beside their fields, or, when that cannot be kept, the page
// itself with 422.
func (s *Server) shiftsBack(c *fiber.Ctx, office string, form *shiftForm, abs *absenceForm, formErr error) error {
	name, inputs := shiftFormName(office), shiftInputs
	if abs != nil {
		name, inputs = absenceFormName(office), absenceInputs
	}
	if s.keepWhole(c, name, postedValues(c, inputs), formErr) {
		var week dispatch.Day
		if d, err := dispatch.ParseDay(c.FormValue("xem")); err == nil {
			week = d
		}
		return c.Redirect(dispatchBase+"/ca?"+scopeQuery(office, week), fiber.StatusSeeOther)
	}
	return s.renderShifts(c, fiber.StatusUnprocessableEntity, office, c.FormValue("xem"), form, abs, formErr)
}

func (s *Server) renderShifts(c *fiber.Ctx, status int, officeCode, dayStr string, form *shiftForm, abs *absenceForm, formErr error) error {
	u, office, from, err := s.dispatchScope(c, officeCode, dayStr)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	if form == nil && abs == nil {
		// Back from a refused form: as it was typed, the messages beside
		// their fields.
		if kept, kerr, ok := s.takeForm(c, shiftFormName(office.Code)); ok {
			f := shiftFormOf(kept.Get)
			form, formErr = &f, kerr
		} else if kept, kerr, ok := s.takeForm(c, absenceFormName(office.Code)); ok {
			a := absenceFormOf(kept.Get)
			abs, formErr = &a, kerr
		}
	}
	h := s.d.Dispatch.Hours
	if h.End <= h.Start {
		h = dispatch.DefaultHours
	}
	p := shiftsPage{Office: office, From: from, Flash: flashFor(c), Names: map[string]string{}, Hours: h.String(),
		Tabs: dispatchTabs(dispatchBase+"/ca", scopeQuery(office.Code, from))}
	p.Form = shiftForm{Day: from.String(), Days: "6", Start: h.Start.String(), End: h.End.String(), Capacity: "25", MaxStops: "0", Vehicle: string(dispatch.Motorbike),
		BreakFrom: "11:00", BreakTo: "12:30", BreakMinutes: "45", MaxMinutes: "0"}
	p.Absence = absenceForm{Day: from.String(), AllDay: true}
	if form != nil {
		p.Form = *form
		p.Errors, p.Summary = mapFieldErrors(formErr, shiftFields)
		p.Flash = ""
	}
	if abs != nil {
		p.Absence = *abs
		p.AbsErrors, p.AbsSum = mapFieldErrors(formErr, absenceFields)
		p.Flash = ""
	}
	for _, k := range dispatch.VehicleKinds {
		p.Vehicles = append(p.Vehicles, vehicleOpt{string(k), k.Label()})
	}
	if p.Offices, err = s.d.Dispatch.Offices(ctx, u); err != nil {
		return err
	}
	if p.Couriers, err = s.d.Dispatch.Couriers(ctx, u, office.Code); err != nil {
		return err
	}
	for _, cr := range p.Couriers {
		p.Names[cr.Ref] = cr.Name
	}
	to := from.AddDays(6)
	shifts, err := s.d.Dispatch.Shifts(ctx, u, office.Code, from, to)
	if err != nil {
		return err
	}
	absences, err := s.d.Dispatch.Absences(ctx, u, office.Code, from, to)
	if err != nil {
		return err
	}
	today := dispatch.DayOf(s.d.Now())
	for d := from; !to.Before(d); d = d.AddDays(1) {
		sd := shiftDay{Day: d, IsToday: d.Equal(today)}
		for _, sh := range shifts {
			if sh.Day.Equal(d) {
				sd.Shifts = append(sd.Shifts, sh)
			}
		}
		for _, a := range absences {
			if a.Day.Equal(d) {
				sd.Absent = append(sd.Absent, a)
			}
		}
		p.Days = append(p.Days, sd)
	}
	v := s.viewFor(c, "Ca làm việc của bưu tá", p)
	v.Style = []string{"css/dispatch.css"}
	return s.pageStatus(c, status, "dispatch_shifts", v)
}

func (s *Server) dispatchShiftCreate(c *fiber.Ctx) error {
	u, office, _, err := s.dispatchScope(c, c.FormValue("bc"), "")
	if err != nil {
		return err
	}
	form := shiftFormOf(func(k string) string { return c.FormValue(k) })
	f := errs.Fields{}
	sh := dispatch.Shift{Courier: form.Courier, Office: office.Code, COD: form.COD, Vehicle: dispatch.VehicleKind(form.Vehicle)}
	if sh.Day, err = dispatch.ParseDay(form.Day); err != nil {
		f.Add("day", "Chọn ngày bắt đầu")
	}
	if sh.Start, err = dispatch.ParseClock(form.Start); err != nil {
		f.Add("start", "Giờ bắt đầu cần dạng 07:30")
	}
	if sh.End, err = dispatch.ParseClock(form.End); err != nil {
		f.Add("end", "Giờ kết thúc cần dạng 17:30")
	}
	if sh.Capacity, err = strconv.Atoi(strings.TrimSpace(form.Capacity)); err != nil {
		f.Add("capacity", "Sức chở là một số bưu gửi, ví dụ 25")
	}
	if form.MaxStops == "" {
		form.MaxStops = "0"
	}
	if sh.MaxStops, err = strconv.Atoi(strings.TrimSpace(form.MaxStops)); err != nil {
		f.Add("max_stops", "Số điểm dừng tối đa là một số (0: không giới hạn)")
	}
	var ok bool
	if sh.StartPlace, ok = parsePlace(form.From); !ok {
		f.Add("start_place", "Nơi xuất phát cần dạng “21.5887, 105.8338” (vĩ độ, kinh độ) hoặc để trống")
	}
	if sh.EndPlace, ok = parsePlace(form.To); !ok {
		f.Add("end_place", "Nơi kết thúc cần dạng “21.5887, 105.8338” (vĩ độ, kinh độ) hoặc để trống")
	}
	minutes := func(v, field, msg string) int {
		v = strings.TrimSpace(v)
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			f.Add(field, msg)
		}
		return n
	}
	sh.BreakMinutes = minutes(form.BreakMinutes, "break_minutes", "Giờ nghỉ trưa là số phút, ví dụ 45 (0: không nghỉ)")
	sh.MaxMinutes = minutes(form.MaxMinutes, "max_minutes", "Thời gian tối đa của tuyến là số phút (0: không giới hạn)")
	if sh.BreakMinutes > 0 {
		if sh.BreakFrom, err = dispatch.ParseClock(form.BreakFrom); err != nil {
			f.Add("break_from", "Giờ bắt đầu nghỉ sớm nhất cần dạng 11:00")
		}
		if sh.BreakTo, err = dispatch.ParseClock(form.BreakTo); err != nil {
			f.Add("break_to", "Giờ bắt đầu nghỉ muộn nhất cần dạng 12:30")
		}
	}
	days, err := strconv.Atoi(strings.TrimSpace(form.Days))
	if err != nil {
		f.Add("days", "Số ngày là một số từ 1 đến 31")
	}
	if err := f.Err(errs.Unprocessable, "Chưa thêm được ca làm việc"); err != nil {
		return s.shiftsBack(c, office.Code, &form, nil, err)
	}
	var week [7]bool
	if s.d.Intake != nil {
		week = s.d.Intake.Hours.Days
	}
	created, err := s.d.Dispatch.CreateShifts(c.UserContext(), u, sh, days, week)
	if err != nil {
		if userError(err) {
			return s.shiftsBack(c, office.Code, &form, nil, err)
		}
		return err
	}
	return c.Redirect(dispatchBase+"/ca?"+scopeQuery(office.Code, sh.Day)+"&tb=ca&n="+strconv.Itoa(len(created)), fiber.StatusSeeOther)
}

func (s *Server) dispatchShiftDelete(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return errs.E(errs.NotFound, "Không có ca làm việc này")
	}
	if err := s.d.Dispatch.DeleteShift(c.UserContext(), currentUser(c), id); err != nil {
		return err
	}
	return c.Redirect(dispatchBase+"/ca?bc="+url.QueryEscape(c.FormValue("bc"))+"&ngay="+url.QueryEscape(c.FormValue("xem"))+"&tb=xoa-ca", fiber.StatusSeeOther)
}

func (s *Server) dispatchAbsenceCreate(c *fiber.Ctx) error {
	u, office, _, err := s.dispatchScope(c, c.FormValue("bc"), "")
	if err != nil {
		return err
	}
	form := absenceFormOf(func(k string) string { return c.FormValue(k) })
	f := errs.Fields{}
	a := dispatch.Absence{Courier: form.Courier, Reason: strings.TrimSpace(form.Reason)}
	if a.Day, err = dispatch.ParseDay(form.Day); err != nil {
		f.Add("day", "Chọn ngày")
	}
	if form.AllDay {
		a.From, a.To = 0, 24*60
	} else {
		if a.From, err = dispatch.ParseClock(form.From); err != nil {
			f.Add("from", "Giờ bắt đầu vắng cần dạng 07:30")
		}
		if a.To, err = dispatch.ParseClock(form.To); err != nil {
			f.Add("to", "Giờ có mặt trở lại cần dạng 10:00")
		}
	}
	if form.Courier == "" {
		f.Add("courier", "Chọn bưu tá")
	}
	if err := f.Err(errs.Unprocessable, "Chưa ghi được vắng mặt"); err != nil {
		return s.shiftsBack(c, office.Code, nil, &form, err)
	}
	if _, err := s.d.Dispatch.CreateAbsence(c.UserContext(), u, office.Code, a); err != nil {
		if userError(err) {
			return s.shiftsBack(c, office.Code, nil, &form, err)
		}
		return err
	}
	return c.Redirect(dispatchBase+"/ca?"+scopeQuery(office.Code, a.Day)+"&tb=vang", fiber.StatusSeeOther)
}

func (s *Server) dispatchAbsenceDelete(c *fiber.Ctx) error {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil {
		return errs.E(errs.NotFound, "Không có lượt vắng mặt này")
	}
	if err := s.d.Dispatch.DeleteAbsence(c.UserContext(), currentUser(c), c.FormValue("bc"), id); err != nil {
		return err
	}
	return c.Redirect(dispatchBase+"/ca?bc="+url.QueryEscape(c.FormValue("bc"))+"&ngay="+url.QueryEscape(c.FormValue("xem"))+"&tb=xoa-vang", fiber.StatusSeeOther)
}
