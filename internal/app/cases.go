package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"hoso/internal/errs"
	"hoso/internal/vntext"
	"hoso/tracking"
)

// Incident is an open or closed dispute at a hand-off.
type Incident struct {
	ID            string
	ParcelID      string
	Number        string
	DossierCode   string
	Problem       string
	MissingLines  []int
	LastCustodian tracking.Party
	Note          string
	Status        string // open | resolved | lost
	Resolution    string
	ProvinceCode  string
	OfficeCode    string
	DeskCode      string
	CreatedAt     time.Time
	ClosedAt      *time.Time
	Documents     []tracking.Document
	Case          *LostCase
	// Kind is IncidentDispute, IncidentComplaint or IncidentQuiet.
	Kind string
	// DueAt is when a complaint must be answered.
	DueAt   *time.Time
	Answers []ComplaintAnswer // a complaint's answers, oldest first
	// Route is the post office or desk a complaint was routed to.
	Route tracking.Party
}

// ProblemLabel is the dispute's problem in Vietnamese.
func (i Incident) ProblemLabel() string {
	if i.Kind == IncidentComplaint {
		if l, ok := complaintLabel(i.Problem); ok {
			return "Người dân phản ánh: " + l
		}
	}
	if i.Problem == QuietProblem {
		return "Bưu gửi không có tin quá thời hạn"
	}
	if l := tracking.DisputeProblem(i.Problem).Label(); l != "" {
		return l
	}
	return i.Problem
}

// MissingNames names the documents the incident says are missing.
func (i Incident) MissingNames() []string {
	var out []string
	for _, l := range i.MissingLines {
		if l >= 1 && l <= len(i.Documents) {
			d := i.Documents[l-1]
			out = append(out, fmt.Sprintf("%s (%s, %d bản)", d.Name, strings.ToLower(d.Kind.Label()), d.Count))
		}
	}
	return out
}

// LostCase follows the law in force (Decree 118/2025, which replaced Decree
// 61/2018 and its Art. 21) for lost originals: the one
// responsible is named, pays for re-issuing the papers and apologises in
// writing.
type LostCase struct {
	ID           string
	IncidentID   string
	Responsible  tracking.Party
	Lines        []int
	ReissueState string // pending | in_progress | done
	ApologyState string // pending | sent
	ApologyText  string
	CostsAmount  int64
	CostsState   string // pending | paid
	Status       string // open | closed
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// CaseStore keeps incidents and lost-original cases.
type CaseStore interface {
	FindIncidents(ctx context.Context, f AlarmFilter, openOnly bool) ([]Incident, error)
	FindIncident(ctx context.Context, id string) (Incident, error)
	CloseIncident(ctx context.Context, id, status, resolution string, userID int64, at time.Time) error
	CreateLostCase(ctx context.Context, c LostCase, userID int64) error
	UpdateLostCase(ctx context.Context, c LostCase) error
	InsertAudit(ctx context.Context, userID int64, action, subject, reason string, at time.Time) error
	FindParcelByNumber(ctx context.Context, number string) (Parcel, error)
	// CreateIncident stores an incident without a ledger event (a
	// complaint, a quiet-parcel case); when the same one is already open it
	// returns that one's id and created false.
	CreateIncident(ctx context.Context, i Incident) (id string, created bool, err error)
	AddAnswer(ctx context.Context, a ComplaintAnswer) error
	// FindParcelIncidents lists a parcel's incidents of every kind, newest
	// first, with their answers and case.
	FindParcelIncidents(ctx context.Context, parcelID string) ([]Incident, error)
	FindAlarm(ctx context.Context, id int64) (Alarm, error)
	// CourierOffice is the post office of a courier (by staff code).
	CourierOffice(ctx context.Context, staffCode string) (string, error)
	// WorkingCalendar gives the public holidays and make-up days.
	WorkingCalendar(ctx context.Context) (tracking.Calendar, error)
}

// Cases handles disputes and lost originals.
type Cases struct {
	Store CaseStore
	Tx    Tx
	Now   func() time.Time
	NewID func() string
	// Name names a party for letters (role and unit, never a person).
	Name func(ctx context.Context, p tracking.Party) string
	// Law gives the citation of the law in force (nil: the default).
	Law *Law
	// Proof checks a citizen's proof before a complaint (with its lockout).
	Proof *TrackingProof
	// Zone is the province's time zone, for deadlines in working days.
	Zone *time.Location
}

func (c *Cases) inScope(u User, i Incident) bool {
	switch u.Role {
	case RoleAdmin:
		return true
	case RoleDispatcher:
		return i.ProvinceCode == u.ProvinceCode
	case RoleOffice:
		mine := tracking.Party{Kind: tracking.PartyOffice, Ref: u.OfficeCode}
		return u.OfficeCode != "" && (i.OfficeCode == u.OfficeCode || i.LastCustodian == mine || i.Route == mine)
	case RoleDesk:
		mine := tracking.Party{Kind: tracking.PartyDesk, Ref: u.DeskCode}
		return u.DeskCode != "" && (i.DeskCode == u.DeskCode || i.LastCustodian == mine || i.Route == mine)
	}
	return false
}

// Incident returns one incident in the user's scope.
func (c *Cases) Incident(ctx context.Context, u User, id string) (Incident, error) {
	i, err := c.Store.FindIncident(ctx, id)
	if err != nil {
		return Incident{}, err
	}
	if !c.inScope(u, i) {
		// Incident ids are random: refusing says nothing a caller could
		// not guess.
		return Incident{}, errs.E(errs.Forbidden, "Sự cố này không thuộc phạm vi của bạn")
	}
	return i, nil
}

// List returns incidents in the user's scope.
func (c *Cases) List(ctx context.Context, u User, openOnly bool) ([]Incident, error) {
	return c.Store.FindIncidents(ctx, ScopeFilter(u, AlarmFilter{Limit: 300}), openOnly)
}

func canDecide(u User) error {
	if u.Role != RoleAdmin && u.Role != RoleDispatcher {
		return errs.E(errs.Forbidden, "chỉ điều phối viên hoặc quản trị xử lý sự cố")
	}
	return nil
}

// Resolve closes an incident whose cause was cleared (the parcel or the
// document was found).
func (c *Cases) Resolve(ctx context.Context, u User, id, resolution string) error {
	if err := canDecide(u); err != nil {
		return err
	}
	resolution = vntext.NFC(resolution)
	if resolution == "" {
		return errs.E(errs.Invalid, "Ghi cách sự cố đã được giải quyết").WithFields(map[string]string{"resolution": "bắt buộc"})
	}
	i, err := c.Incident(ctx, u, id)
	if err != nil {
		return err
	}
	if i.Status != "open" {
		return errs.E(errs.Conflict, "sự cố đã đóng")
	}
	return c.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := c.Store.CloseIncident(ctx, id, "resolved", resolution, u.ID, c.Now()); err != nil {
			return err
		}
		return c.Store.InsertAudit(ctx, u.ID, "incident_resolved", i.Number, resolution, c.Now())
	})
}

// DeclareLost opens the lost-original case of an incident: the last
// confirmed custodian of the missing items is responsible.
func (c *Cases) DeclareLost(ctx context.Context, u User, id, note string) (LostCase, error) {
	if err := canDecide(u); err != nil {
		return LostCase{}, err
	}
	i, err := c.Incident(ctx, u, id)
	if err != nil {
		return LostCase{}, err
	}
	if i.Status != "open" {
		return LostCase{}, errs.E(errs.Conflict, "sự cố đã đóng")
	}
	if i.Kind != IncidentDispute && i.Kind != "" {
		// A complaint names no custodian of its own: the last confirmed
		// one is the ledger's, as of now.
		p, err := c.Store.FindParcelByNumber(ctx, i.Number)
		if err != nil {
			return LostCase{}, err
		}
		if p.Custodian.Kind == "" || p.Custodian.Kind == tracking.PartyCitizen {
			return LostCase{}, errs.E(errs.Conflict, "Bưu gửi chưa được thu gom: giấy tờ vẫn ở người dân, không mở hồ sơ thất lạc")
		}
		i.LastCustodian = p.Custodian
	}
	lines := i.MissingLines
	if len(lines) == 0 {
		for l := range i.Documents {
			lines = append(lines, l+1)
		}
	}
	now := c.Now()
	lc := LostCase{ID: c.NewID(), IncidentID: i.ID, Responsible: i.LastCustodian, Lines: lines,
		ReissueState: "pending", ApologyState: "pending", CostsState: "pending", Status: "open", CreatedAt: now, UpdatedAt: now}
	i.MissingLines = lines
	lc.ApologyText = c.Apology(ctx, i, lc)
	err = c.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := c.Store.CloseIncident(ctx, id, "lost", vntext.NFC(note), u.ID, now); err != nil {
			return err
		}
		if err := c.Store.CreateLostCase(ctx, lc, u.ID); err != nil {
			return err
		}
		return c.Store.InsertAudit(ctx, u.ID, "declared_lost", i.Number, vntext.NFC(note), now)
	})
	return lc, err
}

// CaseUpdate changes the steps of a case.
type CaseUpdate struct {
	Reissue, Apology, CostsState string
	CostsAmount                  *int64
}

// UpdateCase moves the steps of a lost-original case; it closes itself when
// the papers are re-issued, the apology sent and the costs paid.
func (c *Cases) UpdateCase(ctx context.Context, u User, incidentID string, up CaseUpdate) (LostCase, error) {
	if err := canDecide(u); err != nil {
		return LostCase{}, err
	}
	i, err := c.Incident(ctx, u, incidentID)
	if err != nil {
		return LostCase{}, err
	}
	if i.Case == nil {
		return LostCase{}, errs.E(errs.NotFound, "sự cố chưa được xác định là thất lạc")
	}
	lc := *i.Case
	if lc.Status == "closed" {
		return LostCase{}, errs.E(errs.Conflict, "hồ sơ vụ việc đã đóng")
	}
	f := errs.Fields{}
	if up.Reissue != "" {
		if up.Reissue != "pending" && up.Reissue != "in_progress" && up.Reissue != "done" {
			f.Add("reissue", "trạng thái cấp lại không hợp lệ")
		}
		lc.ReissueState = up.Reissue
	}
	if up.Apology != "" {
		if up.Apology != "pending" && up.Apology != "sent" {
			f.Add("apology", "trạng thái thư xin lỗi không hợp lệ")
		}
		lc.ApologyState = up.Apology
	}
	if up.CostsState != "" {
		if up.CostsState != "pending" && up.CostsState != "paid" {
			f.Add("costs_state", "trạng thái chi phí không hợp lệ")
		}
		lc.CostsState = up.CostsState
	}
	if up.CostsAmount != nil {
		if *up.CostsAmount < 0 || *up.CostsAmount > 1_000_000_000 {
			f.Add("costs_amount", "số tiền không hợp lệ")
		}
		lc.CostsAmount = *up.CostsAmount
	}
	if lc.CostsState == "paid" && lc.CostsAmount == 0 {
		f.Add("costs_amount", "ghi số tiền đã bồi hoàn trước khi đánh dấu đã trả")
	}
	if err := f.Err(errs.Invalid, "Cập nhật chưa hợp lệ"); err != nil {
		return LostCase{}, err
	}
	if lc.ReissueState == "done" && lc.ApologyState == "sent" && lc.CostsState == "paid" {
		lc.Status = "closed"
	}
	lc.UpdatedAt = c.Now()
	err = c.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := c.Store.UpdateLostCase(ctx, lc); err != nil {
			return err
		}
		return c.Store.InsertAudit(ctx, u.ID, "lost_case_updated", i.Number,
			fmt.Sprintf("cấp lại=%s, xin lỗi=%s, chi phí=%s %d", lc.ReissueState, lc.ApologyState, lc.CostsState, lc.CostsAmount), lc.UpdatedAt)
	})
	return lc, err
}

// Apology drafts the written apology the law in force asks of whoever lost
// a dossier, citing it as the admin set it (Law).
func (c *Cases) Apology(ctx context.Context, i Incident, lc LostCase) string {
	who := lc.Responsible.Kind.Label()
	if c.Name != nil {
		who = c.Name(ctx, lc.Responsible)
	}
	var docs []string
	for _, l := range lc.Lines {
		if l >= 1 && l <= len(i.Documents) {
			d := i.Documents[l-1]
			docs = append(docs, fmt.Sprintf("- %s (%s, %d bản)", d.Name, strings.ToLower(d.Kind.Label()), d.Count))
		}
	}
	return fmt.Sprintf(`THƯ XIN LỖI

Kính gửi: Ông/Bà %s, người gửi hồ sơ số %s (mã hồ sơ %s).

%s xin chân thành xin lỗi Ông/Bà vì đã để thất lạc giấy tờ trong hồ sơ Ông/Bà gửi qua dịch vụ bưu chính công ích:
%s

Theo %s, đơn vị chúng tôi chịu trách nhiệm và chịu toàn bộ chi phí để cấp lại các giấy tờ trên, và sẽ liên hệ với Ông/Bà để hướng dẫn các bước cấp lại. Mọi chi phí Ông/Bà đã bỏ ra liên quan đến việc này sẽ được hoàn trả.

Chúng tôi rất tiếc về sự việc và cam kết rà soát quy trình để không lặp lại.`,
		"(công dân)", i.Number, i.DossierCode, who, strings.Join(docs, "\n"), c.Law.Cite(ctx, CiteLostOriginal))
}
