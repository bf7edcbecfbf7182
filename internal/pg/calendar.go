package pg

import (
	"context"
	"strconv"
	"time"

	"hoso/internal/errs"
	"hoso/tracking"
)

type calendarRow struct {
	Day  time.Time
	Kind string
	Name string
}

func toCalendarDay(r calendarRow) tracking.CalendarDay {
	y, m, d := r.Day.Date()
	return tracking.CalendarDay{Date: time.Date(y, m, d, 0, 0, 0, 0, time.UTC), Kind: tracking.DayKind(r.Kind), Name: r.Name}
}

// FindCalendarDays lists the calendar's days off and make-up days of a
// year (every year with year 0), by date.
func (d *DB) FindCalendarDays(ctx context.Context, year int) (_ []tracking.CalendarDay, err error) {
	defer errs.Wrap(&err, "pg.FindCalendarDays(%d)", year)
	var rows []calendarRow
	err = d.query(ctx, &rows, `SELECT day, kind, name FROM calendar_days
		WHERE ?0 = 0 OR day BETWEEN make_date(?0, 1, 1) AND make_date(?0, 12, 31) ORDER BY day`, year)
	out := make([]tracking.CalendarDay, len(rows))
	for i, r := range rows {
		out[i] = toCalendarDay(r)
	}
	return out, err
}

// WorkingCalendar is the whole working-day calendar (a few dozen rows a
// year).
func (d *DB) WorkingCalendar(ctx context.Context) (tracking.Calendar, error) {
	days, err := d.FindCalendarDays(ctx, 0)
	if err != nil {
		return tracking.Calendar{}, err
	}
	return tracking.NewCalendar(days), nil
}

// CreateCalendarDay adds a day with its audit row; Conflict when the date
// already has an entry.
func (d *DB) CreateCalendarDay(ctx context.Context, day tracking.CalendarDay, userID int64, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.CreateCalendarDay(%s)", day.Date.Format(tracking.DateLayout))
	return d.InTx(ctx, func(ctx context.Context) error {
		res, err := d.exec(ctx, `INSERT INTO calendar_days (day, kind, name, created_by, created_at) VALUES (?, ?, ?, nullif(?, 0), ?)
			ON CONFLICT (day) DO NOTHING`, day.Date.Format(tracking.DateLayout), string(day.Kind), day.Name, userID, at)
		if err != nil {
			return err
		}
		if res.RowsAffected() == 0 {
			return errs.E(errs.Conflict, "ngày %s đã có trong lịch", day.Date.Format("02/01/2006")).
				WithFields(map[string]string{"date": "Ngày này đã có trong lịch; xoá dòng cũ trước nếu muốn sửa"})
		}
		return d.InsertAudit(ctx, userID, "calendar.day_added", "calendar:"+day.Date.Format(tracking.DateLayout),
			string(day.Kind)+": "+day.Name, at)
	})
}

// DeleteCalendarDay removes a day with its audit row; NotFound when the
// date has no entry.
func (d *DB) DeleteCalendarDay(ctx context.Context, day time.Time, userID int64, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.DeleteCalendarDay(%s)", day.Format(tracking.DateLayout))
	return d.InTx(ctx, func(ctx context.Context) error {
		var rows []calendarRow
		if err := d.query(ctx, &rows, `DELETE FROM calendar_days WHERE day = ? RETURNING day, kind, name`, day.Format(tracking.DateLayout)); err != nil {
			return err
		}
		if len(rows) == 0 {
			return errs.E(errs.NotFound, "ngày %s không có trong lịch", day.Format("02/01/2006"))
		}
		return d.InsertAudit(ctx, userID, "calendar.day_removed", "calendar:"+day.Format(tracking.DateLayout),
			rows[0].Kind+": "+rows[0].Name, at)
	})
}

// ReplaceCalendarYear replaces a year's days with days (all in that year),
// in one transaction with its audit row.
func (d *DB) ReplaceCalendarYear(ctx context.Context, year int, days []tracking.CalendarDay, userID int64, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.ReplaceCalendarYear(%d)", year)
	return d.InTx(ctx, func(ctx context.Context) error {
		if _, err := d.exec(ctx, `DELETE FROM calendar_days WHERE day BETWEEN make_date(?0, 1, 1) AND make_date(?0, 12, 31)`, year); err != nil {
			return err
		}
		for _, day := range days {
			if day.Date.Year() != year {
				return errs.E(errs.Invalid, "ngày %s không thuộc năm %d", day.Date.Format("02/01/2006"), year)
			}
			if _, err := d.exec(ctx, `INSERT INTO calendar_days (day, kind, name, created_by, created_at) VALUES (?, ?, ?, nullif(?, 0), ?)`,
				day.Date.Format(tracking.DateLayout), string(day.Kind), day.Name, userID, at); err != nil {
				return err
			}
		}
		return d.InsertAudit(ctx, userID, "calendar.year_imported", "calendar:"+time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Format("2006"),
			strconv.Itoa(len(days))+" ngày", at)
	})
}

// DeskSaturdayMorning reports whether a desk receives citizens on Saturday
// morning; NotFound when there is no such desk.
func (d *DB) DeskSaturdayMorning(ctx context.Context, code string) (_ bool, err error) {
	defer errs.Wrap(&err, "pg.DeskSaturdayMorning(%q)", code)
	var r struct{ SaturdayMorning bool }
	err = d.queryOne(ctx, &r, `SELECT saturday_morning FROM desks WHERE code = ?`, code)
	return r.SaturdayMorning, err
}

// SetDeskSaturdayMorning sets a desk's Saturday rule with its audit row.
func (d *DB) SetDeskSaturdayMorning(ctx context.Context, code string, on bool, userID int64, at time.Time) (err error) {
	defer errs.Wrap(&err, "pg.SetDeskSaturdayMorning(%q)", code)
	return d.InTx(ctx, func(ctx context.Context) error {
		res, err := d.exec(ctx, `UPDATE desks SET saturday_morning = ?, updated_at = ? WHERE code = ? AND saturday_morning <> ?`, on, at, code, on)
		if err != nil || res.RowsAffected() == 0 {
			return err // unchanged (or an unknown desk, which the service found first)
		}
		reason := "không làm việc sáng thứ Bảy"
		if on {
			reason = "làm việc sáng thứ Bảy"
		}
		return d.InsertAudit(ctx, userID, "calendar.desk_saturday", "desk:"+code, reason, at)
	})
}
