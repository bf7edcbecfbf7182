package app

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"hoso/internal/errs"
	"hoso/internal/vntext"
	"hoso/tracking"
)

// Incident kinds: a dispute comes from a hand-off in the ledger; a
// complaint from a citizen on the tracking page; a quiet-parcel case from
// the alarm of a parcel that went quiet past its limit. Only disputes have
// a ledger event; none of them changes custody.
const (
	IncidentDispute   = "dispute"
	IncidentComplaint = "complaint"
	IncidentQuiet     = "quiet"
)

// Complaint problems a citizen may report.
const (
	ComplaintNotCollected = "not_collected"
	ComplaintNoShow       = "courier_no_show"
	ComplaintDocsMissing  = "documents_missing"
	ComplaintResultLate   = "result_late"
	ComplaintOther        = "other"
)

// ComplaintProblems lists the problems in the order the form shows them,
// with their labels in plain Vietnamese.
var ComplaintProblems = []struct{ Key, Label string }{
	{ComplaintNotCollected, "Giấy tờ chưa được đến lấy"},
	{ComplaintNoShow, "Bưu tá hẹn nhưng không đến"},
	{ComplaintDocsMissing, "Thiếu hoặc mất giấy tờ"},
	{ComplaintResultLate, "Chậm trả kết quả"},
	{ComplaintOther, "Vấn đề khác"},
}

// QuietProblem is the problem of a quiet-parcel case.
const QuietProblem = "parcel_quiet"

// ComplaintAnswerDays is how many working days (the working-day calendar:
// weekends and public holidays off, make-up days on) the responsible unit
// has to answer a complaint.
const ComplaintAnswerDays = 2

// MaxComplaintNote bounds the citizen's note and a staff answer, in
// characters.
const (
	MaxComplaintNote   = 1000
	MaxComplaintAnswer = 2000
	minComplaintAnswer = 5
)

// Audit actions of complaints and quiet-parcel cases.
const (
	AuditComplaintOpened   = "complaint.opened"
	AuditComplaintAnswered = "complaint.answered"
	AuditComplaintClosed   = "complaint.closed"
	AuditQuietLost         = "quiet_parcel.declared_lost"
)

// ComplaintAnswer is one answer of staff to a complaint; answers are only
// ever added (the table refuses changes).
type ComplaintAnswer struct {
	ID         int64
	IncidentID string
	Body       string
	By         int64
	Unit       tracking.Party // the unit that answered
	At         time.Time
}

// ComplaintInput is what the citizen's form sends.
type ComplaintInput struct {
	Number      string
	PhoneLast4  string
	ReceiptCode string
	Problem     string
	Note        string
}

// complaintLabel is the label of a complaint problem; ok is false for an
// unknown one.
func complaintLabel(p string) (string, bool) {
	for _, c := range ComplaintProblems {
		if c.Key == p {
			return c.Label, true
		}
	}
	return "", false
}

// Overdue reports whether an open complaint is past its deadline without an
// answer.
func (i Incident) Overdue(now time.Time) bool {
	return i.Kind == IncidentComplaint && i.Status == "open" && len(i.Answers) == 0 && i.DueAt != nil && now.After(*i.DueAt)
}

// IsComplaint reports whether the incident is a citizen's complaint.
func (i Incident) IsComplaint() bool { return i.Kind == IncidentComplaint }

// AnswerDue is ComplaintAnswerDays working days after now (the working-day
// calendar: weekends, public holidays and make-up days), at the same time
// of day in the province's zone.
func (c *Cases) AnswerDue(ctx context.Context, now time.Time) (time.Time, error) {
	zone := c.Zone
	if zone == nil {
		zone = time.UTC
	}
	cal, err := c.Store.WorkingCalendar(ctx)
	if err != nil {
		return time.Time{}, err
	}
	local := now.In(zone)
	d := cal.AddWorkingDays(time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, time.UTC), ComplaintAnswerDays, tracking.WorkweekRule{})
	return time.Date(d.Year(), d.Month(), d.Day(), local.Hour(), local.Minute(), local.Second(), 0, zone), nil
}

// checkComplaint validates and normalises the form's problem and note.
func checkComplaint(in *ComplaintInput) error {
	f := errs.Fields{}
	if _, ok := complaintLabel(in.Problem); !ok {
		f.Add("problem", "Chọn một vấn đề trong danh sách")
	}
	if strings.TrimSpace(in.PhoneLast4) == "" && strings.TrimSpace(in.ReceiptCode) == "" {
		f.Add("proof", "Nhập 4 số cuối điện thoại hoặc mã giấy biên nhận")
	}
	switch {
	case !utf8.ValidString(in.Note) || vntext.HasControl(in.Note):
		f.Add("note", "Nội dung có ký tự không đọc được. Vui lòng gõ lại")
	default:
		in.Note = strings.TrimSpace(vntext.NFCKeep(in.Note))
		if utf8.RuneCountInString(in.Note) > MaxComplaintNote {
			f.Add("note", "Nội dung dài quá 1000 chữ. Vui lòng viết ngắn lại")
		} else if in.Problem == ComplaintOther && in.Note == "" {
			f.Add("note", "Hãy viết vài chữ về vấn đề bạn gặp")
		}
	}
	return f.Err(errs.Invalid, "Phản ánh chưa gửi được")
}

// Report opens a citizen's complaint on a parcel after the proof (the last
// four digits of the phone or a receipt code, checked by Proof with its
// lockout). An unknown number gets the same answer as a wrong proof. The
// complaint is routed to the parcel's last confirmed custodian (an office
// or desk holding it), else the office of its zone, with a deadline of
// ComplaintAnswerDays working days. It never changes custody. A second
// report of the same problem while the first is open returns the first
// (created false).
func (c *Cases) Report(ctx context.Context, in ComplaintInput) (_ Incident, created bool, err error) {
	defer errs.Wrap(&err, "Cases.Report(%q)", in.Number)
	if err := checkComplaint(&in); err != nil {
		return Incident{}, false, err
	}
	if c.Proof == nil {
		return Incident{}, false, errs.E(errs.Unavailable, "chưa cấu hình xác minh")
	}
	if err := c.Proof.Check(ctx, in.Number, in.PhoneLast4, in.ReceiptCode); err != nil {
		if errs.Is(err, errs.NotFound) {
			return Incident{}, false, wrongProof()
		}
		return Incident{}, false, err
	}
	p, err := c.Store.FindParcelByNumber(ctx, in.Number)
	if err != nil {
		return Incident{}, false, err
	}
	now := c.Now()
	due, err := c.AnswerDue(ctx, now)
	if err != nil {
		return Incident{}, false, err
	}
	holder := p.Custodian
	if holder.Kind == "" {
		holder = tracking.Party{Kind: tracking.PartyCitizen}
	}
	route, err := c.route(ctx, p)
	if err != nil {
		return Incident{}, false, err
	}
	inc := Incident{ID: c.NewID(), ParcelID: p.ID, Number: p.Number, Kind: IncidentComplaint, Problem: in.Problem, Note: in.Note,
		LastCustodian: holder, Status: "open", CreatedAt: now, DueAt: &due, Route: route}
	err = c.Tx.InTx(ctx, func(ctx context.Context) error {
		id, isNew, err := c.Store.CreateIncident(ctx, inc)
		if err != nil {
			return err
		}
		inc.ID, created = id, isNew
		if !isNew {
			return nil
		}
		return c.Store.InsertAudit(ctx, 0, AuditComplaintOpened, p.Number, in.Problem, now)
	})
	if err != nil {
		return Incident{}, false, err
	}
	return inc, created, nil
}

// route chooses the unit that answers a complaint: the office or desk
// holding the parcel; the office of the courier holding it or planned to
// collect it; else the office of its zone; else its desk.
func (c *Cases) route(ctx context.Context, p Parcel) (tracking.Party, error) {
	switch p.Custodian.Kind {
	case tracking.PartyOffice, tracking.PartyDesk:
		return p.Custodian, nil
	}
	courier := p.CourierRef
	if p.Custodian.Kind == tracking.PartyCourier {
		courier = p.Custodian.Ref
	}
	if courier != "" {
		office, err := c.Store.CourierOffice(ctx, courier)
		switch {
		case err == nil:
			return tracking.Party{Kind: tracking.PartyOffice, Ref: office}, nil
		case !errs.Is(err, errs.NotFound):
			return tracking.Party{}, err
		}
	}
	if p.OfficeCode != "" {
		return tracking.Party{Kind: tracking.PartyOffice, Ref: p.OfficeCode}, nil
	}
	return tracking.Party{Kind: tracking.PartyDesk, Ref: p.DeskCode}, nil
}

// RoutedTo is the unit a complaint is routed to (Route), else the office or
// desk that holds the parcel, else the office of its zone, else its desk.
func (i Incident) RoutedTo() tracking.Party {
	if i.Route.Kind != "" {
		return i.Route
	}
	switch i.LastCustodian.Kind {
	case tracking.PartyOffice, tracking.PartyDesk:
		return i.LastCustodian
	}
	if i.OfficeCode != "" {
		return tracking.Party{Kind: tracking.PartyOffice, Ref: i.OfficeCode}
	}
	return tracking.Party{Kind: tracking.PartyDesk, Ref: i.DeskCode}
}

// answerUnit is the unit a staff user answers for.
func answerUnit(u User) tracking.Party {
	switch u.Role {
	case RoleOffice:
		return tracking.Party{Kind: tracking.PartyOffice, Ref: u.OfficeCode}
	case RoleDesk:
		return tracking.Party{Kind: tracking.PartyDesk, Ref: u.DeskCode}
	case RoleDispatcher:
		return tracking.Party{Kind: tracking.PartyDispatcher, Ref: u.ProvinceCode}
	}
	return tracking.Party{Kind: tracking.PartyAdmin}
}

// Answer adds a staff answer to a complaint in the user's scope (admins,
// dispatchers of the province, the office or desk it is routed to),
// audited in the same transaction; with done it also closes the complaint.
// The same text as the last answer is refused (a double submit).
func (c *Cases) Answer(ctx context.Context, u User, id, body string, done bool) (err error) {
	defer errs.Wrap(&err, "Cases.Answer(%q)", id)
	switch u.Role {
	case RoleAdmin, RoleDispatcher, RoleOffice, RoleDesk:
	default:
		return errs.E(errs.Forbidden, "Tài khoản %s không trả lời phản ánh", u.Role.Label())
	}
	i, err := c.Incident(ctx, u, id)
	if err != nil {
		return err
	}
	if !i.IsComplaint() {
		return errs.E(errs.Invalid, "Đây không phải phản ánh của người dân")
	}
	if !utf8.ValidString(body) || vntext.HasControl(body) {
		return errs.E(errs.Invalid, "Câu trả lời có ký tự không đọc được").WithFields(map[string]string{"answer": "Gõ lại câu trả lời"})
	}
	body = strings.TrimSpace(vntext.NFCKeep(body))
	if n := utf8.RuneCountInString(body); n < minComplaintAnswer || n > MaxComplaintAnswer {
		return errs.E(errs.Invalid, "Câu trả lời cần từ 5 đến 2000 chữ").WithFields(map[string]string{"answer": "Viết từ 5 đến 2000 chữ"})
	}
	if i.Status != "open" {
		return errs.E(errs.Conflict, "Phản ánh đã đóng")
	}
	if n := len(i.Answers); n > 0 && i.Answers[n-1].Body == body {
		return errs.E(errs.Conflict, "Câu trả lời này đã được gửi")
	}
	now := c.Now()
	return c.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := c.Store.AddAnswer(ctx, ComplaintAnswer{IncidentID: id, Body: body, By: u.ID, Unit: answerUnit(u), At: now}); err != nil {
			return err
		}
		if err := c.Store.InsertAudit(ctx, u.ID, AuditComplaintAnswered, i.Number, body, now); err != nil {
			return err
		}
		if !done {
			return nil
		}
		if err := c.Store.CloseIncident(ctx, id, "resolved", body, u.ID, now); err != nil {
			return err
		}
		return c.Store.InsertAudit(ctx, u.ID, AuditComplaintClosed, i.Number, "", now)
	})
}

// PublicComplaint is a complaint as its citizen sees it on the tracking
// page: what was reported, by when an answer is due, the answers.
type PublicComplaint struct {
	Problem string
	At      time.Time
	DueAt   time.Time
	Open    bool
	Answers []ComplaintAnswer
}

// Complaints returns a parcel's complaints for its tracking page, newest
// first.
func (c *Cases) Complaints(ctx context.Context, parcelID string) (_ []PublicComplaint, err error) {
	defer errs.Wrap(&err, "Cases.Complaints(%q)", parcelID)
	is, err := c.Store.FindParcelIncidents(ctx, parcelID)
	if err != nil {
		return nil, err
	}
	var out []PublicComplaint
	for _, i := range is {
		if !i.IsComplaint() {
			continue
		}
		label, _ := complaintLabel(i.Problem)
		pc := PublicComplaint{Problem: label, At: i.CreatedAt, Open: i.Status == "open", Answers: i.Answers}
		if i.DueAt != nil {
			pc.DueAt = *i.DueAt
		}
		out = append(out, pc)
	}
	return out, nil
}

// DeclareQuietLost opens a lost-original case for a parcel whose open alarm says
// it went quiet past its limit: an incident of kind quiet, closed as lost,
// and its case naming the last confirmed custodian as the ledger's
// projection holds it (never typed by staff). Only dispatchers and admins,
// in scope; the parcel must have been collected (before that the papers are
// still with the citizen); audited with the reason.
func (c *Cases) DeclareQuietLost(ctx context.Context, u User, alarmID int64, note string) (_ Incident, err error) {
	defer errs.Wrap(&err, "Cases.DeclareQuietLost(%d)", alarmID)
	if err := canDecide(u); err != nil {
		return Incident{}, err
	}
	alarm, err := c.Store.FindAlarm(ctx, alarmID)
	if err != nil {
		return Incident{}, err
	}
	f := ScopeFilter(u, AlarmFilter{})
	if (f.Province != "" && alarm.ProvinceCode != f.Province) || (f.Office != "" && alarm.OfficeCode != f.Office) || (f.Desk != "" && alarm.DeskCode != f.Desk) {
		return Incident{}, errs.E(errs.NotFound, "không tìm thấy cảnh báo")
	}
	if alarm.Kind != tracking.AlarmParcelQuiet || alarm.Number == "" {
		return Incident{}, errs.E(errs.Invalid, "Chỉ mở hồ sơ thất lạc từ cảnh báo bưu gửi không có tin")
	}
	if alarm.ClearedAt != nil {
		return Incident{}, errs.E(errs.Conflict, "Cảnh báo đã đóng: bưu gửi đã có tin trở lại")
	}
	if !utf8.ValidString(note) || vntext.HasControl(note) {
		return Incident{}, errs.E(errs.Invalid, "Ghi chú có ký tự không đọc được").WithFields(map[string]string{"note": "Gõ lại ghi chú"})
	}
	note = strings.TrimSpace(vntext.NFCKeep(note))
	if n := utf8.RuneCountInString(note); n < 5 || n > MaxComplaintNote {
		return Incident{}, errs.E(errs.Invalid, "Ghi lý do mở hồ sơ thất lạc (5–1000 chữ)").WithFields(map[string]string{"note": "Ghi lý do, 5–1000 chữ"})
	}
	p, err := c.Store.FindParcelByNumber(ctx, alarm.Number)
	if err != nil {
		return Incident{}, err
	}
	if p.Custodian.Kind == "" || p.Custodian.Kind == tracking.PartyCitizen {
		return Incident{}, errs.E(errs.Conflict, "Bưu gửi chưa được thu gom: giấy tờ vẫn ở người dân")
	}
	now := c.Now()
	inc := Incident{ID: c.NewID(), ParcelID: p.ID, Number: p.Number, DossierCode: p.Dossier.Code, Kind: IncidentQuiet, Problem: QuietProblem,
		Note: note, LastCustodian: p.Custodian, Status: "open", CreatedAt: now, ProvinceCode: p.ProvinceCode, OfficeCode: p.OfficeCode,
		DeskCode: p.DeskCode, Documents: p.Documents}
	if !c.inScope(u, inc) {
		return Incident{}, errs.E(errs.NotFound, "không tìm thấy cảnh báo")
	}
	var lines []int
	for l := range p.Documents {
		lines = append(lines, l+1)
	}
	inc.MissingLines = lines
	lc := LostCase{ID: c.NewID(), IncidentID: inc.ID, Responsible: p.Custodian, Lines: lines,
		ReissueState: "pending", ApologyState: "pending", CostsState: "pending", Status: "open", CreatedAt: now, UpdatedAt: now}
	lc.ApologyText = c.Apology(ctx, inc, lc)
	err = c.Tx.InTx(ctx, func(ctx context.Context) error {
		id, isNew, err := c.Store.CreateIncident(ctx, inc)
		if err != nil {
			return err
		}
		if !isNew {
			inc.ID = id
			return errs.E(errs.Conflict, "Bưu gửi này đã có hồ sơ thất lạc đang mở")
		}
		if err := c.Store.CloseIncident(ctx, inc.ID, "lost", note, u.ID, now); err != nil {
			return err
		}
		if err := c.Store.CreateLostCase(ctx, lc, u.ID); err != nil {
			return err
		}
		return c.Store.InsertAudit(ctx, u.ID, AuditQuietLost, p.Number, note, now)
	})
	if err != nil {
		return inc, err
	}
	inc.Status, inc.Case = "lost", &lc
	return inc, nil
}
