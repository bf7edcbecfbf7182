package app_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

// This in-memory CaseStore is left only for FuzzComplaintAnswer
// (complaints_fuzz_test.go), which still builds its Cases with newCases;
// the tests of complaints_test.go run against PostgreSQL. Converting the
// fuzz target to a real database is still to do, and then this file goes.

// caseStore is an in-memory CaseStore: one parcel, its incidents, answers
// and audit rows.
type caseStore struct {
	parcel    app.Parcel
	incidents map[string]app.Incident
	cases     []app.LostCase
	answers   []app.ComplaintAnswer
	audit     []string
	alarms    map[int64]app.Alarm
	calendar  tracking.Calendar
}

func (s *caseStore) FindIncidents(context.Context, app.AlarmFilter, bool) ([]app.Incident, error) {
	return nil, nil
}

func (s *caseStore) FindIncident(_ context.Context, id string) (app.Incident, error) {
	i, ok := s.incidents[id]
	if !ok {
		return app.Incident{}, errs.E(errs.NotFound, "không tìm thấy sự cố")
	}
	i.Number, i.ProvinceCode, i.OfficeCode, i.DeskCode = s.parcel.Number, s.parcel.ProvinceCode, s.parcel.OfficeCode, s.parcel.DeskCode
	i.Documents = s.parcel.Documents
	for _, a := range s.answers {
		if a.IncidentID == id {
			i.Answers = append(i.Answers, a)
		}
	}
	return i, nil
}

func (s *caseStore) CloseIncident(_ context.Context, id, status, resolution string, _ int64, at time.Time) error {
	i := s.incidents[id]
	if i.Status != "open" {
		return errs.E(errs.Conflict, "sự cố đã đóng")
	}
	i.Status, i.Resolution, i.ClosedAt = status, resolution, &at
	s.incidents[id] = i
	return nil
}

func (s *caseStore) CreateLostCase(_ context.Context, c app.LostCase, _ int64) error {
	s.cases = append(s.cases, c)
	return nil
}

func (s *caseStore) UpdateLostCase(context.Context, app.LostCase) error { return nil }

func (s *caseStore) InsertAudit(_ context.Context, _ int64, action, subject, _ string, _ time.Time) error {
	s.audit = append(s.audit, action+" "+subject)
	return nil
}

func (s *caseStore) FindParcelByNumber(_ context.Context, n string) (app.Parcel, error) {
	if n != s.parcel.Number {
		return app.Parcel{}, errs.E(errs.NotFound, "không có")
	}
	return s.parcel, nil
}

func (s *caseStore) CreateIncident(_ context.Context, i app.Incident) (string, bool, error) {
	for id, o := range s.incidents {
		if o.Kind == i.Kind && ((i.Kind == app.IncidentComplaint && o.Problem == i.Problem && o.Status == "open") ||
			(i.Kind == app.IncidentQuiet && o.Status != "resolved")) {
			return id, false, nil
		}
	}
	s.incidents[i.ID] = i
	return i.ID, true, nil
}

func (s *caseStore) AddAnswer(_ context.Context, a app.ComplaintAnswer) error {
	s.answers = append(s.answers, a)
	return nil
}

func (s *caseStore) FindParcelIncidents(context.Context, string) ([]app.Incident, error) {
	var out []app.Incident
	for id := range s.incidents {
		i, _ := s.FindIncident(context.Background(), id)
		out = append(out, i)
	}
	return out, nil
}

func (s *caseStore) FindAlarm(_ context.Context, id int64) (app.Alarm, error) {
	a, ok := s.alarms[id]
	if !ok {
		return app.Alarm{}, errs.E(errs.NotFound, "không tìm thấy cảnh báo")
	}
	return a, nil
}

func (s *caseStore) CourierOffice(_ context.Context, code string) (string, error) {
	if code == "BUUTA1" {
		return "BC-05443", nil
	}
	return "", errs.E(errs.NotFound, "không có")
}

func (s *caseStore) WorkingCalendar(context.Context) (tracking.Calendar, error) {
	return s.calendar, nil
}

type noTx struct{}

func (noTx) InTx(ctx context.Context, fn func(context.Context) error) error { return fn(ctx) }

func newCases(t *testing.T, holder tracking.Party) (*app.Cases, *caseStore) {
	t.Helper()
	st := &caseStore{incidents: map[string]app.Incident{}, alarms: map[int64]app.Alarm{},
		parcel: app.Parcel{ID: "p1", Number: "EA123456785VN", ProvinceCode: "19", OfficeCode: "BC-05443", DeskCode: "TN-TTPVHCC",
			Custodian: holder, Dossier: tracking.Dossier{Code: "000.00.19.X"},
			Documents: []tracking.Document{{Name: "Tờ khai", Kind: tracking.Original, Count: 1}}}}
	n := 0
	c := &app.Cases{Store: st, Tx: noTx{}, Now: func() time.Time { return time.Date(2026, 12, 4, 9, 0, 0, 0, ict) }, Zone: ict,
		NewID: func() string { n++; return fmt.Sprintf("id-%d", n) }}
	return c, st
}
