package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/pg"
	"hoso/internal/pg/pgtest"
	"hoso/internal/secret"
	"hoso/internal/units"
	"hoso/tracking"
)

// casesEnv is a database with the desk and two post offices of Thái
// Nguyên, an office of Hà Nội, a dispatcher of each province, an office
// user of each Thái Nguyên office, the courier BUUTA1 of Phan Đình Phùng
// with a registered phone, and the services NewServices wires (the Cases
// of the test among them).
type casesEnv struct {
	t       *testing.T
	db      *pg.DB
	svc     *app.Services
	signer  *fixture // signs the courier's events with the registered phone
	disp    app.User // dispatcher of Thái Nguyên (19)
	hanoi   app.User // dispatcher of Hà Nội (01)
	office  app.User // staff of BC-05443
	other   app.User // staff of BC-05488
	courier app.User // BUUTA1, of BC-05443
	n       int
}

var (
	caseOffice  = tracking.Party{Kind: tracking.PartyOffice, Ref: "BC-05443"}
	caseCourier = tracking.Party{Kind: tracking.PartyCourier, Ref: "BUUTA1"}
)

func newCasesEnv(t *testing.T) *casesEnv {
	t.Helper()
	db, _ := pgtest.New(t)
	ctx := context.Background()
	set, err := units.Load()
	if err != nil {
		t.Fatal(err)
	}
	box, _ := secret.NewBox(bytes.Repeat([]byte{1}, 32))
	hasher, _ := secret.NewHasher(bytes.Repeat([]byte{2}, 32))
	all := [7]bool{true, true, true, true, true, true, true}
	svc := app.NewServices(app.Wiring{Store: db, Units: set, Box: box, Hasher: hasher, Now: time.Now, NewID: uuid.NewString, Zone: ict,
		S10:   app.S10Config{Pickup: "EA", Return: "EB", Country: "VN"},
		Hours: tracking.ServiceHours{Start: 0, End: 24 * time.Hour, Days: all, Zone: ict}})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(db.UpsertDesk(ctx, app.Desk{Code: "TN-TTPVHCC", Name: "Trung tâm", Level: "province", CommuneCode: "05443", ProvinceCode: "19"}))
	must(db.UpsertOffice(ctx, app.PostOffice{Code: "BC-05443", Name: "Bưu cục Phan Đình Phùng", CommuneCode: "05443", ProvinceCode: "19", Lat: 21.5887, Lng: 105.8338}))
	must(db.UpsertOffice(ctx, app.PostOffice{Code: "BC-05488", Name: "Bưu cục Đại Phúc", CommuneCode: "05488", ProvinceCode: "19", Lat: 21.5765, Lng: 105.7095}))
	must(db.UpsertOffice(ctx, app.PostOffice{Code: "BC-00004", Name: "Bưu cục Ba Đình", CommuneCode: "00004", ProvinceCode: "01", Lat: 21.0368, Lng: 105.8342}))
	mk := func(n app.NewUser) app.User {
		t.Helper()
		n.Password = "mat-khau-" + n.Username
		n.FullName = "Nhân viên " + n.Username
		u, err := svc.Auth.CreateUser(ctx, n)
		must(err)
		return u
	}
	e := &casesEnv{t: t, db: db, svc: svc}
	e.disp = mk(app.NewUser{Username: "dieuphoi", Role: app.RoleDispatcher, OfficeCode: "BC-05443"})
	e.hanoi = mk(app.NewUser{Username: "dieuphoihn", Role: app.RoleDispatcher, OfficeCode: "BC-00004"})
	e.office = mk(app.NewUser{Username: "buucuc", Role: app.RoleOffice, OfficeCode: "BC-05443"})
	e.other = mk(app.NewUser{Username: "daiphuc", Role: app.RoleOffice, OfficeCode: "BC-05488"})
	e.courier = mk(app.NewUser{Username: "buuta1", Role: app.RoleCourier, OfficeCode: "BC-05443", StaffCode: "BUUTA1"})
	soft, err := app.NewSoftDevice("may-BUUTA1", bytes.Repeat([]byte{3}, 32))
	must(err)
	alg, key := soft.PublicKey()
	pub, _ := base64.StdEncoding.DecodeString(key)
	k, _, err := db.SaveDeviceKey(ctx, e.courier.ID, soft.ID, app.DeviceKey{Alg: alg, PublicKey: pub}, time.Now().Add(-time.Minute))
	must(err)
	e.signer = &fixture{t: t, db: db, ledger: svc.Ledger, intake: svc.Intake,
		phones: map[tracking.Party]*phone{caseCourier: {user: e.courier, soft: soft, key: k}}}
	return e
}

func (e *casesEnv) count(q string, args ...any) int {
	e.t.Helper()
	n, err := e.db.CountForTest(context.Background(), q, args...)
	if err != nil {
		e.t.Fatal(err)
	}
	return n
}

// parcel is a new pickup request of a citizen whose phone ends in 5678,
// with an original and two certified copies.
func (e *casesEnv) parcel() app.Parcel {
	e.t.Helper()
	e.n++
	start := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	p, err := e.svc.Intake.Create(context.Background(), tracking.PickupRequest{
		Dossier:   tracking.Dossier{Code: fmt.Sprintf("000.00.19.CASE-%d", e.n), DeskCode: "TN-TTPVHCC"},
		Citizen:   tracking.Citizen{FullName: "Nguyễn Văn A", Phone: "0912345678"},
		Address:   tracking.Address{ProvinceCode: "19", CommuneCode: "05443", Line: "Số 1"},
		Documents: []tracking.Document{{Name: "Tờ khai", Kind: tracking.Original, Count: 1}, {Name: "CCCD", Kind: tracking.CertifiedCopy, Count: 2}},
		Windows:   []tracking.Window{{Start: start, End: start.Add(2 * time.Hour)}},
		Channel:   tracking.ChannelCitizen,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return p
}

// record records events of a parcel through the ledger, the courier's
// signed by the courier's phone.
func (e *casesEnv) record(p app.Parcel, ins ...app.EventInput) {
	e.t.Helper()
	for _, in := range ins {
		if err := e.signer.record(p, in); err != nil {
			e.t.Fatalf("%s by %v on %s: %v", in.Type, in.Actor, p.Number, err)
		}
	}
}

func (e *casesEnv) custodian(p app.Parcel) tracking.Party {
	e.t.Helper()
	got, err := e.db.FindParcelByNumber(context.Background(), p.Number)
	if err != nil {
		e.t.Fatal(err)
	}
	return got.Custodian
}

func handIn(from, to tracking.Party) []app.EventInput {
	return []app.EventInput{
		{Type: tracking.HandoffReleased, Actor: from, Data: data(tracking.Released{To: to.String()})},
		{Type: tracking.HandoffConfirmed, Actor: to, Data: data(map[string]any{"seal_intact": true, "seal_id": "NP-1"})},
	}
}

// collected is a parcel the courier collected and holds.
func (e *casesEnv) collected() app.Parcel {
	e.t.Helper()
	p := e.parcel()
	e.record(p, collectIn(caseCourier))
	return p
}

// atOffice is a parcel the courier collected and handed to BC-05443,
// which confirmed taking it.
func (e *casesEnv) atOffice() app.Parcel {
	e.t.Helper()
	p := e.collected()
	e.record(p, handIn(caseCourier, caseOffice)...)
	if got := e.custodian(p); got != caseOffice {
		e.t.Fatalf("%s held by %v, want the office", p.Number, got)
	}
	return p
}

// complaint is a citizen's complaint on p, with the right proof.
func (e *casesEnv) complaint(p app.Parcel, problem, note string) app.Incident {
	e.t.Helper()
	inc, created, err := e.svc.Cases.Report(context.Background(), app.ComplaintInput{Number: p.Number, PhoneLast4: "5678", Problem: problem, Note: note})
	if err != nil || !created {
		e.t.Fatalf("complaint on %s: %v (created %v)", p.Number, err, created)
	}
	return inc
}

// quietAlarm is the id of the parcel's parcel_quiet alarm, open or
// cleared as asked.
func (e *casesEnv) quietAlarm(p app.Parcel, cleared bool) int64 {
	e.t.Helper()
	as, err := e.db.FindAlarms(context.Background(), app.AlarmFilter{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, a := range as {
		if a.Kind == tracking.AlarmParcelQuiet && a.Number == p.Number && (a.ClearedAt != nil) == cleared {
			return a.ID
		}
	}
	e.t.Fatalf("no parcel_quiet alarm (cleared %v) for %s", cleared, p.Number)
	return 0
}

// sweep raises and clears alarms as of now, looking at every cause.
func (e *casesEnv) sweep(now time.Time) {
	e.t.Helper()
	if _, err := e.svc.Alarms.SweepFull(context.Background(), now); err != nil {
		e.t.Fatal(err)
	}
}

// casesOf counts the lost-original cases of a parcel (responsible as
// kind:ref, or any with "").
func (e *casesEnv) casesOf(p app.Parcel, responsible string) int {
	e.t.Helper()
	return e.count(`SELECT count(*) FROM lost_cases l JOIN incidents i ON i.id = l.incident_id JOIN parcels p ON p.id = i.parcel_id
		WHERE p.tracking_number = ? AND (? = '' OR l.responsible_kind || ':' || l.responsible_ref = ?)`, p.Number, responsible, responsible)
}

// TestLostCaseNamesLastConfirmedCustodian: a complaint recorded while the
// post office held the parcel, declared lost after the courier confirmed
// taking it: the case names the courier, the last confirmed custodian in
// the ledger's projection at the decision, not the one of the complaint
// and nothing staff typed. The same from a quiet parcel's alarm; a parcel
// never collected has no lost-original case.
func TestLostCaseNamesLastConfirmedCustodian(t *testing.T) {
	e := newCasesEnv(t)
	ctx := context.Background()
	c := e.svc.Cases

	p := e.atOffice()
	inc := e.complaint(p, app.ComplaintDocsMissing, "Biên nhận ghi thiếu giấy tờ")
	if e.count(`SELECT count(*) FROM incidents WHERE id = ?::uuid AND last_custodian_kind = 'post_office' AND last_custodian_ref = 'BC-05443'`, inc.ID) != 1 {
		t.Fatal("the complaint does not name the office that held the parcel")
	}
	e.record(p, handIn(caseOffice, caseCourier)...) // the courier confirmed taking it since
	if got := e.custodian(p); got != caseCourier {
		t.Fatalf("held by %v, want the courier", got)
	}
	lc, err := c.DeclareLost(ctx, e.disp, inc.ID, "Không tìm thấy giấy tờ")
	if err != nil {
		t.Fatal(err)
	}
	if lc.Responsible != caseCourier || e.casesOf(p, caseCourier.String()) != 1 || e.casesOf(p, "") != 1 {
		t.Errorf("case names %v (%d stored for the courier), want the last confirmed custodian %v", lc.Responsible, e.casesOf(p, caseCourier.String()), caseCourier)
	}
	if !strings.Contains(lc.ApologyText, app.DefaultCitation) {
		t.Error("the apology does not cite the decree in force")
	}

	// From a quiet parcel's open alarm: the courier held it past its limit.
	quiet := e.collected()
	e.sweep(time.Now().Add(11 * time.Hour))
	alarm := e.quietAlarm(quiet, false)
	for _, note := range []string{"", "ab", "\xff\xfe lỗi", strings.Repeat("x", 1001)} {
		if _, err := c.DeclareQuietLost(ctx, e.disp, alarm, note); !errs.Is(err, errs.Invalid) || e.casesOf(quiet, "") != 0 {
			t.Errorf("note %.20q: %v", note, err)
		}
	}
	if n := e.count(`SELECT count(*) FROM incidents i JOIN parcels p ON p.id = i.parcel_id WHERE p.tracking_number = ?`, quiet.Number); n != 0 {
		t.Errorf("refused notes wrote %d incidents", n)
	}
	qi, err := c.DeclareQuietLost(ctx, e.disp, alarm, "Không có tin quá 48 giờ")
	if err != nil {
		t.Fatal(err)
	}
	if qi.Case == nil || qi.Case.Responsible != caseCourier || e.casesOf(quiet, "") != 1 || e.casesOf(quiet, caseCourier.String()) != 1 {
		t.Fatalf("quiet case: %+v (%d stored)", qi.Case, e.casesOf(quiet, ""))
	}
	if _, err := c.DeclareQuietLost(ctx, e.disp, alarm, "Lần hai bấm nhầm"); !errs.Is(err, errs.Conflict) || e.casesOf(quiet, "") != 1 {
		t.Errorf("a second case for the same parcel: %v (%d cases)", err, e.casesOf(quiet, ""))
	}
	if _, err := c.DeclareQuietLost(ctx, e.office, alarm, "Không có tin quá 48 giờ"); !errs.Is(err, errs.Forbidden) {
		t.Errorf("an office declares: %v", err)
	}
	if _, err := c.DeclareQuietLost(ctx, e.hanoi, alarm, "Không có tin quá 48 giờ"); !errs.Is(err, errs.NotFound) {
		t.Errorf("another province's dispatcher: %v", err)
	}

	// A cleared alarm (the parcel moved again) opens nothing.
	moved := e.collected()
	e.sweep(time.Now().Add(11 * time.Hour))
	open := e.quietAlarm(moved, false)
	e.record(moved, handIn(caseCourier, caseOffice)...)
	e.sweep(time.Now().Add(11 * time.Hour))
	if cl := e.quietAlarm(moved, true); cl != open {
		t.Fatalf("cleared alarm %d, want %d", cl, open)
	}
	if _, err := c.DeclareQuietLost(ctx, e.disp, open, "Không có tin quá 48 giờ"); !errs.Is(err, errs.Conflict) || e.casesOf(moved, "") != 0 {
		t.Errorf("cleared alarm: %v", err)
	}

	// Not yet collected: the papers are with the citizen.
	waiting := e.parcel()
	e.sweep(time.Now().Add(25 * time.Hour))
	if _, err := c.DeclareQuietLost(ctx, e.disp, e.quietAlarm(waiting, false), "Không có tin quá 48 giờ"); !errs.Is(err, errs.Conflict) || e.casesOf(waiting, "") != 0 {
		t.Errorf("uncollected parcel: %v", err)
	}
}

// TestComplaintAnswerDeadlineSkipsWeekends: two working days from a Friday
// morning is the Tuesday, at the same time; from a Wednesday with the
// Thursday a public holiday (a day of the calendar in the database), the
// Monday.
func TestComplaintAnswerDeadlineSkipsWeekends(t *testing.T) {
	e := newCasesEnv(t)
	ctx := context.Background()
	c := e.svc.Cases
	fri := time.Date(2026, 12, 4, 9, 0, 0, 0, ict)
	if got, err := c.AnswerDue(ctx, fri); err != nil || !got.Equal(time.Date(2026, 12, 8, 9, 0, 0, 0, ict)) {
		t.Errorf("due %v %v", got, err)
	}
	day := tracking.CalendarDay{Date: time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC), Kind: tracking.DayOff, Name: "Nghỉ bù"}
	if err := e.db.CreateCalendarDay(ctx, day, 0, time.Now()); err != nil {
		t.Fatal(err)
	}
	wed := time.Date(2026, 12, 2, 9, 0, 0, 0, ict)
	if got, err := c.AnswerDue(ctx, wed); err != nil || !got.Equal(time.Date(2026, 12, 7, 9, 0, 0, 0, ict)) {
		t.Errorf("due over a holiday %v %v", got, err)
	}
}

// TestComplaintAnswers: staff in scope answer (audited); the same text
// twice is one answer; bad text is refused with nothing written; a courier
// and another office are refused.
func TestComplaintAnswers(t *testing.T) {
	e := newCasesEnv(t)
	ctx := context.Background()
	c := e.svc.Cases
	p := e.atOffice()
	id := e.complaint(p, app.ComplaintNoShow, "").ID
	answers := func() int {
		return e.count(`SELECT count(*) FROM complaint_answers WHERE incident_id = ?::uuid`, id)
	}
	for _, body := range []string{"", "ok", "\xffsai", strings.Repeat("a", 2001), "có\x00ký tự"} {
		if err := c.Answer(ctx, e.office, id, body, false); !errs.Is(err, errs.Invalid) {
			t.Errorf("answer %.20q: %v", body, err)
		}
	}
	if answers() != 0 || e.count(`SELECT count(*) FROM audit_log WHERE action = ?`, app.AuditComplaintAnswered) != 0 {
		t.Fatal("a refused answer was written")
	}
	if err := c.Answer(ctx, e.other, id, "Bưu tá sẽ đến sáng mai", false); !errs.Is(err, errs.Forbidden) {
		t.Errorf("another office: %v", err)
	}
	if err := c.Answer(ctx, e.courier, id, "Bưu tá sẽ đến sáng mai", false); !errs.Is(err, errs.Forbidden) {
		t.Errorf("a courier: %v", err)
	}
	if err := c.Answer(ctx, e.office, id, "Bưu tá sẽ đến sáng mai", false); err != nil {
		t.Fatal(err)
	}
	if err := c.Answer(ctx, e.office, id, " Bưu tá sẽ đến sáng mai ", false); !errs.Is(err, errs.Conflict) {
		t.Errorf("double submit: %v", err)
	}
	if n, mine, audit := answers(),
		e.count(`SELECT count(*) FROM complaint_answers WHERE incident_id = ?::uuid AND unit = ? AND answered_by = ?`, id, caseOffice.String(), e.office.ID),
		e.count(`SELECT count(*) FROM audit_log WHERE action = ? AND subject = ?`, app.AuditComplaintAnswered, p.Number); n != 1 || mine != 1 || audit != 1 ||
		e.count(`SELECT count(*) FROM audit_log WHERE action = ?`, app.AuditComplaintAnswered) != 1 {
		t.Errorf("answers %d (by the office %d), audit rows %d", n, mine, audit)
	}
	if err := c.Answer(ctx, e.office, id, "Đã đến lấy giấy tờ, xin lỗi bạn", true); err != nil ||
		e.count(`SELECT count(*) FROM incidents WHERE id = ?::uuid AND status = 'resolved'`, id) != 1 {
		t.Errorf("answer and close: %v", err)
	}
}

// complaintAlarms are the complaint_overdue alarms of an incident (open
// or cleared) that u sees.
func (e *casesEnv) complaintAlarms(u app.User, incident string) (open, cleared []app.Alarm) {
	e.t.Helper()
	as, err := e.svc.Alarms.List(context.Background(), u, app.AlarmFilter{Limit: 1000})
	if err != nil {
		e.t.Fatal(err)
	}
	for _, a := range as {
		if a.Kind != tracking.AlarmComplaintOverdue || a.Subject != incident {
			continue
		}
		if a.ClearedAt == nil {
			open = append(open, a)
		} else {
			cleared = append(cleared, a)
		}
	}
	return open, cleared
}

// TestOverdueComplaintRaisesAlarm: a complaint still unanswered at its
// deadline (two working days) raises one complaint_overdue alarm for the
// office it was routed to, seen by that office and the province's
// dispatcher but not by another office or province; none before the
// deadline; it clears at the first answer. A complaint answered in time
// raises nothing; one closed without an answer clears too.
func TestOverdueComplaintRaisesAlarm(t *testing.T) {
	e := newCasesEnv(t)
	ctx := context.Background()
	p := e.atOffice()
	inc := e.complaint(p, app.ComplaintNoShow, "Hẹn sáng nay mà không thấy ai")
	if inc.DueAt == nil || inc.Route != caseOffice {
		t.Fatalf("complaint due %v routed to %v", inc.DueAt, inc.Route)
	}
	due := *inc.DueAt
	e.sweep(due.Add(-time.Minute))
	if open, _ := e.complaintAlarms(e.disp, inc.ID); len(open) != 0 {
		t.Fatalf("alarm before the deadline: %+v", open)
	}
	e.sweep(due.Add(time.Minute))
	e.sweep(due.Add(2 * time.Minute)) // once per cause
	open, _ := e.complaintAlarms(e.office, inc.ID)
	if len(open) != 1 {
		t.Fatalf("office sees %d open complaint alarms, want 1", len(open))
	}
	a := open[0]
	if a.Number != p.Number || a.OfficeCode != "BC-05443" || a.ProvinceCode != "19" || a.DeskCode != "" || !a.DueAt.Equal(due) || a.Level != 1 {
		t.Errorf("alarm %+v", a)
	}
	if !strings.Contains(a.Label(), "Phản ánh") || !strings.Contains(string(a.Detail), inc.ID) {
		t.Errorf("label %q detail %s", a.Label(), a.Detail)
	}
	if o, _ := e.complaintAlarms(e.disp, inc.ID); len(o) != 1 {
		t.Errorf("the province's dispatcher sees %d", len(o))
	}
	if o, _ := e.complaintAlarms(e.other, inc.ID); len(o) != 0 {
		t.Errorf("another office sees %d", len(o))
	}
	if o, _ := e.complaintAlarms(e.hanoi, inc.ID); len(o) != 0 {
		t.Errorf("another province's dispatcher sees %d", len(o))
	}
	if err := e.svc.Cases.Answer(ctx, e.office, inc.ID, "Bưu tá sẽ đến lúc 8 giờ sáng mai", false); err != nil {
		t.Fatal(err)
	}
	e.sweep(due.Add(3 * time.Minute))
	if o, c := e.complaintAlarms(e.office, inc.ID); len(o) != 0 || len(c) != 1 {
		t.Errorf("after the answer: %d open, %d cleared", len(o), len(c))
	}
	e.sweep(due.Add(4 * time.Minute))
	if o, _ := e.complaintAlarms(e.office, inc.ID); len(o) != 0 {
		t.Error("an answered complaint raised again")
	}

	// Answered in time: nothing raised.
	inTime := e.complaint(p, app.ComplaintDocsMissing, "Thiếu bản sao CCCD")
	if err := e.svc.Cases.Answer(ctx, e.office, inTime.ID, "Bản sao vẫn ở bưu cục, chúng tôi sẽ chuyển tiếp", false); err != nil {
		t.Fatal(err)
	}
	e.sweep(inTime.DueAt.Add(time.Hour))
	if o, c := e.complaintAlarms(e.disp, inTime.ID); len(o)+len(c) != 0 {
		t.Errorf("answered in time, yet %d open and %d cleared alarms", len(o), len(c))
	}

	// Closed without an answer (resolved by the dispatcher): cleared.
	closed := e.complaint(p, app.ComplaintOther, "Muốn đổi giờ hẹn")
	e.sweep(closed.DueAt.Add(time.Hour))
	if o, _ := e.complaintAlarms(e.disp, closed.ID); len(o) != 1 {
		t.Fatalf("overdue, %d open alarms", len(o))
	}
	if err := e.db.CloseIncident(ctx, closed.ID, "resolved", "Đã gọi điện hẹn lại", e.disp.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	e.sweep(closed.DueAt.Add(2 * time.Hour))
	if o, c := e.complaintAlarms(e.disp, closed.ID); len(o) != 0 || len(c) != 1 {
		t.Errorf("closed: %d open, %d cleared", len(o), len(c))
	}
}
