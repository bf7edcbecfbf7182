package app

import (
	"context"

	"hoso/dispatch"
	"hoso/internal/errs"
	"hoso/internal/vntext"
)

// ---------- shifts and absences ----------

// CreateShifts creates the courier's shift on days consecutive service days
// from s.Day (Sundays and non-service days skipped when days > 1), all or
// none: a bad value or a day the courier already works is an error naming
// the shift, and nothing is stored.
func (d *Dispatch) CreateShifts(ctx context.Context, u User, s dispatch.Shift, days int, serviceDays [7]bool) ([]dispatch.Shift, error) {
	office, err := d.Office(ctx, u, s.Office)
	if err != nil {
		return nil, err
	}
	if days < 1 || days > 31 {
		return nil, errs.E(errs.Unprocessable, "Số ngày phải từ 1 đến 31").WithFields(map[string]string{"days": "Từ 1 đến 31 ngày"})
	}
	if err := s.Validate(d.hours()); err != nil {
		return nil, err
	}
	couriers, err := d.Couriers(ctx, u, office.Code)
	if err != nil {
		return nil, err
	}
	known := false
	for _, c := range couriers {
		known = known || c.Ref == s.Courier
	}
	if !known {
		return nil, errs.E(errs.Unprocessable, "Bưu tá %s không thuộc bưu cục %s", s.Courier, office.Code).
			WithFields(map[string]string{"courier": "Bưu tá " + s.Courier + " không thuộc bưu cục " + office.Code})
	}
	var list []dispatch.Shift
	for day := s.Day; len(list) < days; day = day.AddDays(1) {
		if days > 1 && !serviceDays[day.Weekday()] && serviceDays != ([7]bool{}) {
			continue
		}
		x := s
		x.Day = day
		list = append(list, x)
	}
	if err := dispatch.ValidateShifts(list, d.hours()); err != nil {
		return nil, err
	}
	var out []dispatch.Shift
	err = d.Tx.InTx(ctx, func(ctx context.Context) error {
		out = out[:0]
		for _, x := range list {
			got, err := d.Store.CreateShift(ctx, x, d.now())
			if err != nil {
				return err
			}
			out = append(out, got)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DeleteShift removes a shift of an office the user dispatches.
func (d *Dispatch) DeleteShift(ctx context.Context, u User, id int64) error {
	s, err := d.Store.FindShift(ctx, id)
	if err != nil {
		return err
	}
	if _, err := d.Office(ctx, u, s.Office); err != nil {
		return err
	}
	return d.Store.DeleteShift(ctx, id)
}

// Shifts lists an office's shifts between two days.
func (d *Dispatch) Shifts(ctx context.Context, u User, office string, from, to dispatch.Day) ([]dispatch.Shift, error) {
	if _, err := d.Office(ctx, u, office); err != nil {
		return nil, err
	}
	return d.Store.FindShifts(ctx, dispatch.ShiftFilter{Office: office, From: from, To: to})
}

// CreateAbsence records that a courier of the office is absent or late.
func (d *Dispatch) CreateAbsence(ctx context.Context, u User, office string, a dispatch.Absence) (dispatch.Absence, error) {
	if _, err := d.Office(ctx, u, office); err != nil {
		return dispatch.Absence{}, err
	}
	a.Reason = vntext.NFC(a.Reason)
	if err := a.Validate(); err != nil {
		return dispatch.Absence{}, err
	}
	cs, err := d.Couriers(ctx, u, office)
	if err != nil {
		return dispatch.Absence{}, err
	}
	ok := false
	for _, c := range cs {
		ok = ok || c.Ref == a.Courier
	}
	if !ok {
		return dispatch.Absence{}, errs.E(errs.Unprocessable, "Bưu tá %s không thuộc bưu cục %s", a.Courier, office).
			WithFields(map[string]string{"courier": "Bưu tá " + a.Courier + " không thuộc bưu cục " + office})
	}
	return d.Store.CreateAbsence(ctx, a, d.now())
}

// DeleteAbsence removes an absence of a courier of the office.
func (d *Dispatch) DeleteAbsence(ctx context.Context, u User, office string, id int64) error {
	if _, err := d.Office(ctx, u, office); err != nil {
		return err
	}
	abs, err := d.Store.FindAbsences(ctx, dispatch.AbsenceFilter{Office: office})
	if err != nil {
		return err
	}
	for _, a := range abs {
		if a.ID == id {
			return d.Store.DeleteAbsence(ctx, id)
		}
	}
	return errs.E(errs.NotFound, "Không có lượt vắng mặt số %d ở bưu cục %s", id, office)
}

// Absences lists the absences of an office's couriers between two days.
func (d *Dispatch) Absences(ctx context.Context, u User, office string, from, to dispatch.Day) ([]dispatch.Absence, error) {
	if _, err := d.Office(ctx, u, office); err != nil {
		return nil, err
	}
	return d.Store.FindAbsences(ctx, dispatch.AbsenceFilter{Office: office, From: from, To: to})
}
