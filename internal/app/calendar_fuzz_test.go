package app_test

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

// calendarStore records what the calendar service writes.
type calendarStore struct {
	app.CalendarStore // unused methods panic
	replaced          [][]tracking.CalendarDay
}

func (s *calendarStore) ReplaceCalendarYear(_ context.Context, _ int, days []tracking.CalendarDay, _ int64, _ time.Time) error {
	s.replaced = append(s.replaced, days)
	return nil
}

// FuzzCalendarImport: any file either replaces the year with days that
// all satisfy the rules (in the year, a known kind, a UTF-8 name of at most
// 120 characters, one row per date, make-up days on weekends) or is refused
// as invalid with nothing written, never a panic.
func FuzzCalendarImport(f *testing.F) {
	f.Add("ngày,loại,tên\n2027-01-01,nghỉ,Tết Dương lịch\n2027-05-01,holiday,Quốc tế Lao động\n")
	f.Add("\ufeff2027-02-06,nghỉ,\"Tết, mùng 1\"\n06/03/2027,làm bù,Làm bù\n")
	f.Add("2027-02-30,nghỉ,x\n2027-01-01,nghỉ\n\"unterminated\n")
	f.Add("2027-01-01,nghỉ,T\xe9t\n")
	f.Add("2027-01-01,nghỉ,a\n2027-01-01,nghỉ,b\n2028-01-01,nghỉ,c\n2027-03-03,làm bù,d\n")
	f.Add("")
	now := time.Date(2026, 12, 7, 9, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, in string) {
		st := &calendarStore{}
		c := &app.WorkCalendar{Store: st, Now: func() time.Time { return now }}
		n, err := c.ImportYear(context.Background(), app.User{ID: 1, Role: app.RoleAdmin}, 2027, strings.NewReader(in))
		if err != nil {
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("error of kind %s: %v", errs.KindOf(err), err)
			}
			if len(st.replaced) != 0 {
				t.Fatal("a refused file was written")
			}
			return
		}
		if len(st.replaced) != 1 || len(st.replaced[0]) != n || n == 0 {
			t.Fatalf("%d days said, %v written", n, st.replaced)
		}
		seen := map[time.Time]bool{}
		for _, d := range st.replaced[0] {
			if d.Date.Year() != 2027 || seen[d.Date] || !utf8.ValidString(d.Name) || d.Name == "" || utf8.RuneCountInString(d.Name) > 120 {
				t.Fatalf("a bad day written: %+v", d)
			}
			if d.Kind != tracking.DayOff && (d.Kind != tracking.MakeUp || (d.Date.Weekday() != time.Saturday && d.Date.Weekday() != time.Sunday)) {
				t.Fatalf("a bad kind written: %+v", d)
			}
			seen[d.Date] = true
		}
	})
}
