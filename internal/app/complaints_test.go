package app_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

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

var dispatcher = app.User{ID: 7, Role: app.RoleDispatcher, ProvinceCode: "19"}

// TestLostCaseNamesLastConfirmedCustodian: a complaint recorded while the
// post office held the parcel, declared lost after the courier confirmed
// taking it: the case names the courier, the last confirmed custodian in
// the ledger's projection at the decision, not the one of the complaint
// and nothing staff typed. The same from a quiet parcel's alarm; a parcel
// never collected has no lost-original case.
func TestLostCaseNamesLastConfirmedCustodian(t *testing.T) {
	ctx := context.Background()
	office := tracking.Party{Kind: tracking.PartyOffice, Ref: "BC-05443"}
	courier := tracking.Party{Kind: tracking.PartyCourier, Ref: "BUUTA1"}
	c, st := newCases(t, office)
	st.incidents["c1"] = app.Incident{ID: "c1", ParcelID: "p1", Kind: app.IncidentComplaint, Problem: app.ComplaintDocsMissing,
		LastCustodian: office, Status: "open"}
	st.parcel.Custodian = courier // the courier confirmed taking it since
	lc, err := c.DeclareLost(ctx, dispatcher, "c1", "Không tìm thấy giấy tờ")
	if err != nil {
		t.Fatal(err)
	}
	if lc.Responsible != courier {
		t.Errorf("case names %v, want the last confirmed custodian %v", lc.Responsible, courier)
	}
	if !strings.Contains(lc.ApologyText, app.DefaultCitation) {
		t.Error("the apology does not cite the decree in force")
	}

	// From a quiet parcel's open alarm.
	c, st = newCases(t, courier)
	st.alarms[3] = app.Alarm{ID: 3, Kind: tracking.AlarmParcelQuiet, Number: "EA123456785VN", ProvinceCode: "19", OfficeCode: "BC-05443"}
	inc, err := c.DeclareQuietLost(ctx, dispatcher, 3, "Không có tin quá 48 giờ")
	if err != nil {
		t.Fatal(err)
	}
	if inc.Case == nil || inc.Case.Responsible != courier || len(st.cases) != 1 || st.cases[0].Responsible != courier {
		t.Fatalf("quiet case: %+v", inc.Case)
	}
	if _, err := c.DeclareQuietLost(ctx, dispatcher, 3, "Lần hai bấm nhầm"); !errs.Is(err, errs.Conflict) || len(st.cases) != 1 {
		t.Errorf("a second case for the same parcel: %v (%d cases)", err, len(st.cases))
	}
	if _, err := c.DeclareQuietLost(ctx, app.User{ID: 8, Role: app.RoleOffice, OfficeCode: "BC-05443"}, 3, "Không có tin quá 48 giờ"); !errs.Is(err, errs.Forbidden) {
		t.Errorf("an office declares: %v", err)
	}
	if _, err := c.DeclareQuietLost(ctx, app.User{ID: 9, Role: app.RoleDispatcher, ProvinceCode: "01"}, 3, "Không có tin quá 48 giờ"); !errs.Is(err, errs.NotFound) {
		t.Errorf("another province's dispatcher: %v", err)
	}
	for _, note := range []string{"", "ab", "\xff\xfe lỗi", strings.Repeat("x", 1001)} {
		c, st := newCases(t, courier)
		st.alarms[3] = app.Alarm{ID: 3, Kind: tracking.AlarmParcelQuiet, Number: "EA123456785VN", ProvinceCode: "19"}
		if _, err := c.DeclareQuietLost(ctx, dispatcher, 3, note); !errs.Is(err, errs.Invalid) || len(st.cases) != 0 {
			t.Errorf("note %.20q: %v", note, err)
		}
	}

	// Not yet collected: the papers are with the citizen.
	c, st = newCases(t, tracking.Party{})
	st.alarms[3] = app.Alarm{ID: 3, Kind: tracking.AlarmParcelQuiet, Number: "EA123456785VN", ProvinceCode: "19"}
	if _, err := c.DeclareQuietLost(ctx, dispatcher, 3, "Không có tin quá 48 giờ"); !errs.Is(err, errs.Conflict) || len(st.cases) != 0 {
		t.Errorf("uncollected parcel: %v", err)
	}
	// A cleared alarm (the parcel moved again) opens nothing.
	c, st = newCases(t, courier)
	now := time.Now()
	st.alarms[4] = app.Alarm{ID: 4, Kind: tracking.AlarmParcelQuiet, Number: "EA123456785VN", ProvinceCode: "19", ClearedAt: &now}
	if _, err := c.DeclareQuietLost(ctx, dispatcher, 4, "Không có tin quá 48 giờ"); !errs.Is(err, errs.Conflict) || len(st.cases) != 0 {
		t.Errorf("cleared alarm: %v", err)
	}
}

// TestComplaintAnswerDeadlineSkipsWeekends: two working days from a Friday
// morning is the Tuesday, at the same time; from a Wednesday with the
// Thursday a public holiday, the Monday.
func TestComplaintAnswerDeadlineSkipsWeekends(t *testing.T) {
	ctx := context.Background()
	c, st := newCases(t, tracking.Party{})
	fri := time.Date(2026, 12, 4, 9, 0, 0, 0, ict)
	if got, err := c.AnswerDue(ctx, fri); err != nil || !got.Equal(time.Date(2026, 12, 8, 9, 0, 0, 0, ict)) {
		t.Errorf("due %v %v", got, err)
	}
	st.calendar = tracking.NewCalendar([]tracking.CalendarDay{{Date: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), Kind: tracking.DayOff, Name: "Nghỉ bù"}})
	wed := time.Date(2026, 12, 2, 9, 0, 0, 0, ict)
	if got, err := c.AnswerDue(ctx, wed); err != nil || !got.Equal(time.Date(2026, 12, 7, 9, 0, 0, 0, ict)) {
		t.Errorf("due over a holiday %v %v", got, err)
	}
}

// TestComplaintAnswers: staff in scope answer (audited); the same text
// twice is one answer; bad text is refused with nothing written; a courier
// and another office are refused.
func TestComplaintAnswers(t *testing.T) {
	ctx := context.Background()
	office := tracking.Party{Kind: tracking.PartyOffice, Ref: "BC-05443"}
	c, st := newCases(t, office)
	st.incidents["c1"] = app.Incident{ID: "c1", ParcelID: "p1", Kind: app.IncidentComplaint, Problem: app.ComplaintNoShow, LastCustodian: office, Status: "open"}
	mine := app.User{ID: 5, Role: app.RoleOffice, OfficeCode: "BC-05443"}
	for _, body := range []string{"", "ok", "\xffsai", strings.Repeat("a", 2001), "có\x00ký tự"} {
		if err := c.Answer(ctx, mine, "c1", body, false); !errs.Is(err, errs.Invalid) {
			t.Errorf("answer %.20q: %v", body, err)
		}
	}
	if len(st.answers) != 0 {
		t.Fatal("a refused answer was written")
	}
	if err := c.Answer(ctx, app.User{ID: 6, Role: app.RoleOffice, OfficeCode: "BC-05488"}, "c1", "Bưu tá sẽ đến sáng mai", false); !errs.Is(err, errs.Forbidden) {
		t.Errorf("another office: %v", err)
	}
	if err := c.Answer(ctx, app.User{ID: 4, Role: app.RoleCourier, OfficeCode: "BC-05443"}, "c1", "Bưu tá sẽ đến sáng mai", false); !errs.Is(err, errs.Forbidden) {
		t.Errorf("a courier: %v", err)
	}
	if err := c.Answer(ctx, mine, "c1", "Bưu tá sẽ đến sáng mai", false); err != nil {
		t.Fatal(err)
	}
	if err := c.Answer(ctx, mine, "c1", " Bưu tá sẽ đến sáng mai ", false); !errs.Is(err, errs.Conflict) {
		t.Errorf("double submit: %v", err)
	}
	if len(st.answers) != 1 || st.answers[0].Unit != office || len(st.audit) != 1 || st.audit[0] != app.AuditComplaintAnswered+" EA123456785VN" {
		t.Errorf("answers %v audit %v", st.answers, st.audit)
	}
	if err := c.Answer(ctx, mine, "c1", "Đã đến lấy giấy tờ, xin lỗi bạn", true); err != nil || st.incidents["c1"].Status != "resolved" {
		t.Errorf("answer and close: %v %s", err, st.incidents["c1"].Status)
	}
}
