package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"hoso/dispatch"
	"hoso/internal/errs"
	"hoso/internal/units"
	"hoso/internal/vntext"
	"hoso/labels"
	"hoso/tracking"
)

// PlannedStop is a parcel on a courier's day, with the plan's arrival time.
type PlannedStop struct {
	Parcel Parcel
	ETA    *time.Time
	// Delivery: a result to carry to the citizen, with the window the plan
	// keeps.
	Delivery               bool
	WindowStart, WindowEnd *time.Time
}

// ManifestPaper is a batch hand-off as its paper shows it.
type ManifestPaper struct {
	Code      string
	Giver     tracking.Party
	Receiver  tracking.Party
	CreatedAt time.Time
	CreatedBy string // the person who made the release: "name (mã code)"
	Deadline  time.Time
	ClosedAt  *time.Time
	ClosedBy  string         // the person whose action closed it, when known
	Closer    tracking.Party // the party that closed it
	Items     []ManifestItem
}

// ManifestItem is one parcel of a manifest.
type ManifestItem struct {
	Number       string
	DossierCode  string
	ProvinceCode string
	Documents    int // copies in the envelope (counted at collection, else listed)
	SealID       string
	Status       string // of its hand-off: pending, confirmed, disputed, recalled
	Problem      string // of a disputed hand-off (tracking.DisputeProblems)
	SealRead     string // the seal id its receiver stated
	Note         string
	Demo         bool
	// The hand-off's events: the giver's release and the receiver's
	// confirmation or dispute (empty while pending).
	ReleasedEvent, ClosedEvent string
}

// FeeCollection is one fee a courier collected on delivering a result.
type FeeCollection struct {
	Number      string
	DossierCode string
	Fee         int64
	At          time.Time
}

// PaperSamples names real rows of each kind of paper, for `hoso print demo`;
// empty fields mean the database has none.
type PaperSamples struct {
	LabelNumber    string
	ReceiptNumber  string
	ManifestCode   string
	DeliveryNumber string
	RouteCourier   string
	RouteDay       time.Time
	FeeCourier     string
	FeeDay         time.Time
}

// PapersStore is what printing needs from persistence.
type PapersStore interface {
	FindParcelByNumber(ctx context.Context, number string) (Parcel, error)
	FindCourierDay(ctx context.Context, staffCode string, day time.Time) ([]PlannedStop, error)
	FindCourierBreak(ctx context.Context, staffCode string, day time.Time) (*dispatch.RouteBreak, error)
	FindManifestPaper(ctx context.Context, code string) (ManifestPaper, error)
	FindCourierFees(ctx context.Context, staffCode string, from, to time.Time) ([]FeeCollection, error)
	FindUserByStaffCode(ctx context.Context, code string) (User, error)
	FindOffice(ctx context.Context, code string) (PostOffice, error)
	FindDesk(ctx context.Context, code string) (Desk, error)
	FindPaperSamples(ctx context.Context) (PaperSamples, error)
}

// Papers prints the service's papers as PDF for staff: a parcel's A6 label,
// the door receipt (pre-filled before collection, completed from the signed
// receipt after), the delivery receipt, a courier's route pack and fee
// statement, a hand-off manifest. Each is scoped to the staff who handle it.
// It maps domain data to the labels package's input types: initials and
// masked phones only, never a name, a phone or an address line.
type Papers struct {
	Store    PapersStore
	Receipts *Receipts
	Units    *units.Set
	BaseURL  string // public URL: label QR codes lead to /tra-cuu/<number>, receipts to /bien-nhan/<code>
	Hotline  string // optional help number printed on receipts
	Now      func() time.Time
	sem      chan struct{}
}

// NewPapers returns the service with at most maxRenders PDFs drawn at once
// (each holds the font and the page streams in memory; 0 means 2).
func NewPapers(store PapersStore, rc *Receipts, set *units.Set, baseURL string, now func() time.Time, maxRenders int) *Papers {
	if maxRenders <= 0 {
		maxRenders = 2
	}
	return &Papers{Store: store, Receipts: rc, Units: set, BaseURL: strings.TrimRight(baseURL, "/"), Now: now,
		sem: make(chan struct{}, maxRenders)}
}

// Paper is a rendered PDF with the file name to save it as.
type Paper struct {
	File string
	Body []byte
}

// render draws one PDF under the semaphore: a caller waits for a free slot
// until its context ends.
func (s *Papers) render(ctx context.Context, file string, demo bool, draw func(w *bytes.Buffer, o labels.Options) error) (Paper, error) {
	if s.sem != nil {
		select {
		case s.sem <- struct{}{}:
			defer func() { <-s.sem }()
		case <-ctx.Done():
			return Paper{}, errs.E(errs.Unavailable, "Máy chủ đang in nhiều giấy tờ, vui lòng thử lại sau ít phút.")
		}
	}
	var buf bytes.Buffer
	opts := labels.Options{Created: s.Now().UTC().Truncate(time.Second), Demo: demo, Location: receiptZone}
	if err := draw(&buf, opts); err != nil {
		if errors.Is(err, labels.ErrInvalidInput) {
			return Paper{}, errs.Wrapf(errs.Conflict, err, "Dữ liệu chưa đủ để in %s. Báo quản trị kèm số hiệu bưu gửi.", file)
		}
		return Paper{}, errs.Wrapf(errs.Internal, err, "in %s", file)
	}
	return Paper{File: file, Body: buf.Bytes()}, nil
}

func forbiddenPaper() error {
	return errs.E(errs.Forbidden, "Giấy tờ này không thuộc phạm vi của tài khoản bạn.")
}

// parcelInScope: the courier who holds or is scheduled for the parcel (or
// named on its receipt), the office of the parcel (or of that courier), the
// desk it is addressed to, dispatchers of its province, admins.
func parcelInScope(u User, p Parcel, courier, courierOffice string) bool {
	me := u.Party()
	switch u.Role {
	case RoleAdmin:
		return true
	case RoleDispatcher:
		return u.ProvinceCode != "" && u.ProvinceCode == p.ProvinceCode
	case RoleOffice:
		return u.OfficeCode != "" && (u.OfficeCode == p.OfficeCode || u.OfficeCode == courierOffice || p.Custodian == me)
	case RoleDesk:
		return u.DeskCode != "" && (u.DeskCode == p.DeskCode || p.Custodian == me)
	case RoleCourier:
		return u.StaffCode != "" && (p.Custodian == me || p.CourierRef == u.StaffCode || courier == u.StaffCode)
	}
	return false
}

// courierInScope: the courier themself, their office, dispatchers of their
// province, admins.
func courierInScope(u User, c User) bool {
	switch u.Role {
	case RoleAdmin:
		return true
	case RoleDispatcher:
		return u.ProvinceCode != "" && u.ProvinceCode == c.ProvinceCode
	case RoleOffice:
		return u.OfficeCode != "" && u.OfficeCode == c.OfficeCode
	case RoleCourier:
		return u.ID == c.ID
	}
	return false
}

// parcel finds a parcel by a number typed by staff, checking the scope.
func (s *Papers) parcel(ctx context.Context, raw string) (Parcel, error) {
	n, err := tracking.ParseNumber(strings.ToUpper(strings.TrimSpace(raw)))
	if err != nil {
		return Parcel{}, errs.E(errs.NotFound, "Không có bưu gửi số %q.", raw)
	}
	p, err := s.Store.FindParcelByNumber(ctx, n.String())
	if errs.Is(err, errs.NotFound) {
		return Parcel{}, errs.E(errs.NotFound, "Không có bưu gửi số %s.", n)
	}
	return p, err
}

// courier finds a courier's account by staff code.
func (s *Papers) courier(ctx context.Context, code string) (User, error) {
	c, err := s.Store.FindUserByStaffCode(ctx, strings.TrimSpace(code))
	if errs.Is(err, errs.NotFound) || (err == nil && c.Role != RoleCourier) {
		return User{}, errs.E(errs.NotFound, "Không có bưu tá mã %q.", code)
	}
	return c, err
}

// ---- what is printed: names, places and masked contacts ----

func (s *Papers) communeName(code string) string {
	if s.Units == nil {
		return code
	}
	c, ok := s.Units.Commune(code)
	if !ok {
		return code
	}
	if p, ok := s.Units.Province(c.ProvinceCode); ok {
		return c.FullName + ", " + p.FullName
	}
	return c.FullName
}

func (s *Papers) citizen(p Parcel) labels.Citizen {
	return labels.Citizen{Initials: vntext.Initials(p.CitizenName), Phone: vntext.MaskLast3(p.PhoneLast3), Commune: s.communeName(p.CommuneCode)}
}

func (s *Papers) desk(ctx context.Context, code, name string) labels.Desk {
	d, err := s.Store.FindDesk(ctx, code)
	if err != nil {
		if name == "" {
			name = code
		}
		return labels.Desk{Name: name}
	}
	if name == "" {
		name = d.Name
	}
	return labels.Desk{Name: name, Commune: s.communeName(d.CommuneCode)}
}

func (s *Papers) officeName(ctx context.Context, code string) string {
	if code == "" {
		return ""
	}
	if o, err := s.Store.FindOffice(ctx, code); err == nil {
		return o.Name
	}
	return code
}

// party is how one side of a hand-off is printed: role and office, and the
// staff code of a courier, never a name.
func (s *Papers) party(ctx context.Context, p tracking.Party) labels.Party {
	switch p.Kind {
	case tracking.PartyCourier:
		lp := labels.Party{Role: "Bưu tá", StaffCode: p.Ref}
		if u, err := s.Store.FindUserByStaffCode(ctx, p.Ref); err == nil {
			lp.Office = s.officeName(ctx, u.OfficeCode)
		}
		return lp
	case tracking.PartyOffice:
		return labels.Party{Role: "Bưu cục", Office: s.officeName(ctx, p.Ref)}
	case tracking.PartyDesk:
		name := p.Ref
		if d, err := s.Store.FindDesk(ctx, p.Ref); err == nil {
			name = d.Name
		}
		return labels.Party{Role: "Cán bộ tiếp nhận", Office: name}
	}
	return labels.Party{Role: p.Kind.Label(), Office: p.Ref}
}

func procedure(d tracking.Dossier) string {
	switch {
	case d.ProcedureName != "":
		return d.ProcedureName
	case d.ProcedureCode != "":
		return "Thủ tục " + d.ProcedureCode
	}
	return "Thủ tục hành chính"
}

func docKind(k tracking.DocKind) labels.DocumentKind {
	switch k {
	case tracking.CertifiedCopy:
		return labels.CertifiedCopy
	case tracking.Copy:
		return labels.Copy
	}
	return labels.Original
}

// envelopeCount is the number of copies in the envelope: as counted at the
// door once collected, else as listed.
func envelopeCount(p Parcel) int {
	n := 0
	if len(p.Collected) > 0 {
		for _, c := range p.Collected {
			n += c.Count
		}
		return n
	}
	for _, d := range p.Documents {
		n += d.Count
	}
	return n
}

func (s *Papers) trackingURL(number string) string { return s.BaseURL + "/tra-cuu/" + number }

func (s *Papers) verifyURL(code string) string { return s.BaseURL + "/bien-nhan/" + code }

// LabelInput is the A6 label of a parcel.
func (s *Papers) LabelInput(ctx context.Context, p Parcel) labels.Label {
	l := labels.Label{TrackingNumber: p.Number, TrackingURL: s.trackingURL(p.Number), From: s.citizen(p),
		To: s.desk(ctx, p.DeskCode, ""), DossierCode: p.Dossier.Code, Procedure: procedure(p.Dossier),
		ProcedureCode: p.Dossier.ProcedureCode, DocumentCount: envelopeCount(p), SealID: p.SealID}
	if p.Leg == tracking.LegReturn {
		l.Service = "TRẢ KẾT QUẢ HỒ SƠ"
	}
	return l
}

// prefilledReceipt is the door receipt printed before collection: the
// dossier's list with blank ticks, time and seal to fill in at the door.
func (s *Papers) prefilledReceipt(ctx context.Context, p Parcel, office string) (labels.Receipt, error) {
	if !tracking.ValidReceiptCode(p.ReceiptCode) {
		return labels.Receipt{}, errs.E(errs.Conflict, "Bưu gửi %s chưa có mã biên nhận.", p.Number)
	}
	docs := make([]labels.Document, len(p.Documents))
	for i, d := range p.Documents {
		docs[i] = labels.Document{Name: d.Name, Kind: docKind(d.Kind), Count: d.Count}
	}
	return labels.Receipt{Code: p.ReceiptCode, VerifyURL: s.verifyURL(p.ReceiptCode), TrackingNumber: p.Number,
		DossierCode: p.Dossier.Code, Procedure: procedure(p.Dossier), Citizen: s.citizen(p), Desk: s.desk(ctx, p.DeskCode, ""),
		Office: s.officeName(ctx, office), Documents: docs, Prefilled: true, CourierCode: p.CourierRef, Hotline: s.Hotline}, nil
}

// signedReceipt is the door receipt completed from the signed receipt: what
// the paper says is exactly what the server signed.
func (s *Papers) signedReceipt(ctx context.Context, p Parcel, r tracking.Receipt) labels.Receipt {
	docs := make([]labels.Document, len(r.Documents))
	for i, d := range r.Documents {
		ld := labels.Document{Name: d.Name, Kind: docKind(d.Kind), Count: d.Count, Received: d.Count > 0}
		if d.Count == 0 {
			ld.Count = d.Listed // a line not handed over keeps its listed count, unticked
		}
		if d.Disposition != "" {
			ld.Disposition = d.Disposition.Label()
			ld.NotCarried = d.Disposition != tracking.DispositionOriginal
		}
		docs[i] = ld
	}
	note := r.Note
	if r.Partial {
		note = strings.TrimSpace("Thu gom một phần. " + note)
	}
	return labels.Receipt{Code: r.Code, VerifyURL: s.verifyURL(r.Code), TrackingNumber: r.TrackingNumber,
		DossierCode: r.DossierCode, Procedure: orDefault(r.Procedure, procedure(p.Dossier)), Citizen: s.citizen(p),
		Desk: s.desk(ctx, r.DeskCode, r.DeskName), Office: r.OfficeName, Documents: docs, SealID: r.SealID,
		CollectedAt: r.At, CourierCode: r.CourierCode, Note: note, Hotline: s.Hotline, Proof: tracking.MethodText(r.Proof, true), Counter: r.Counter}
}

func orDefault(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// ReceiptInput is a parcel's door receipt: completed from its signed
// receipt once collected, pre-filled before. A receipt whose signature no
// longer matches is never printed.
func (s *Papers) ReceiptInput(ctx context.Context, p Parcel, office string) (labels.Receipt, error) {
	if p.Leg != tracking.LegPickup {
		return labels.Receipt{}, errs.E(errs.Conflict, "Bưu gửi %s là chặng trả kết quả: in phiếu giao kết quả.", p.Number)
	}
	c, err := s.Receipts.Find(ctx, p.ID, tracking.ReceiptPickup)
	switch {
	case err == nil:
		if !c.Genuine {
			return labels.Receipt{}, errs.E(errs.Conflict, "Biên nhận %s không còn khớp chữ ký số (%s). Không in; báo quản trị.", c.Code, c.Problem)
		}
		r := s.signedReceipt(ctx, p, c.Receipt)
		r.LogNote = receiptLogNote(c, "sự kiện thu gom này")
		return r, nil
	case !errs.Is(err, errs.NotFound):
		return labels.Receipt{}, err
	}
	switch p.Status {
	case tracking.StatusRequested, tracking.StatusScheduled, tracking.StatusPickupFailed:
		return s.prefilledReceipt(ctx, p, office)
	case tracking.StatusCancelled:
		return labels.Receipt{}, errs.E(errs.Conflict, "Yêu cầu %s đã hủy: không có biên nhận.", p.Number)
	}
	return labels.Receipt{}, errs.E(errs.Conflict, "Bưu gửi %s đã thu gom nhưng không có biên nhận đã ký.", p.Number)
}

// DeliveryInput is the delivery receipt of a result, from its signed
// receipt.
func (s *Papers) DeliveryInput(ctx context.Context, p Parcel) (labels.DeliveryReceipt, tracking.Receipt, error) {
	c, err := s.Receipts.Find(ctx, p.ID, tracking.ReceiptDelivery)
	if errs.Is(err, errs.NotFound) {
		return labels.DeliveryReceipt{}, tracking.Receipt{}, errs.E(errs.NotFound, "Bưu gửi %s chưa giao kết quả: chưa có phiếu giao.", p.Number)
	}
	if err != nil {
		return labels.DeliveryReceipt{}, tracking.Receipt{}, err
	}
	if !c.Genuine {
		return labels.DeliveryReceipt{}, c.Receipt, errs.E(errs.Conflict, "Phiếu giao %s không còn khớp chữ ký số (%s). Không in; báo quản trị.", c.Code, c.Problem)
	}
	r := c.Receipt
	docs := make([]labels.Document, len(r.Documents))
	for i, d := range r.Documents {
		docs[i] = labels.Document{Name: d.Name, Kind: docKind(d.Kind), Count: max(d.Count, 1)}
	}
	method := map[string]labels.VerifyMethod{"otp": labels.VerifyOTP, "id_number": labels.VerifyCCCD, tracking.ProofProxy: labels.VerifyProxy,
		tracking.ProofDoorCode: labels.VerifyOTP, tracking.ProofIDDigits: labels.VerifyCCCD, tracking.ProofCCCDQR: labels.VerifyQR,
		tracking.ProofSignature: labels.VerifySignature}[r.Verification]
	return labels.DeliveryReceipt{Code: r.Code, TrackingNumber: r.TrackingNumber, DossierCode: r.DossierCode,
		Procedure: orDefault(r.Procedure, procedure(p.Dossier)), Desk: s.desk(ctx, r.DeskCode, r.DeskName), Office: r.OfficeName,
		Documents: docs, Fee: r.Fee, Method: method, AuthorisationRef: r.Authorisation, RecipientInitials: r.Initials,
		DeliveredAt: r.At, CourierCode: r.CourierCode, LogNote: receiptLogNote(c, "sự kiện giao kết quả này")}, r, nil
}

// RoutePackInput is a courier's day: the parcels planned for them that day
// in window order, each with its label and pre-filled receipt.
func (s *Papers) RoutePackInput(ctx context.Context, c User, day time.Time) (labels.RoutePack, bool, error) {
	stops, err := s.Store.FindCourierDay(ctx, c.StaffCode, day)
	if err != nil {
		return labels.RoutePack{}, false, err
	}
	if len(stops) == 0 {
		return labels.RoutePack{}, false, errs.E(errs.NotFound, "Bưu tá %s không có điểm thu gom nào ngày %s.", c.StaffCode, day.Format("02/01/2006"))
	}
	rp := labels.RoutePack{Courier: labels.Party{Role: "Bưu tá", Office: s.officeName(ctx, c.OfficeCode), StaffCode: c.StaffCode}, Date: day}
	demo := false
	for i, st := range stops {
		p := st.Parcel
		demo = demo || p.Demo
		if st.Delivery {
			stop := labels.Stop{Seq: i + 1, Label: s.LabelInput(ctx, p), Delivery: true}
			if st.WindowStart != nil && st.WindowEnd != nil {
				stop.WindowStart, stop.WindowEnd = *st.WindowStart, *st.WindowEnd
			}
			if st.ETA != nil {
				stop.ETA = *st.ETA
			}
			rp.Stops = append(rp.Stops, stop)
			continue
		}
		rc, err := s.prefilledReceipt(ctx, p, c.OfficeCode)
		if err != nil {
			return labels.RoutePack{}, false, err
		}
		rc.CourierCode = c.StaffCode
		stop := labels.Stop{Seq: i + 1, Label: s.LabelInput(ctx, p), Receipt: rc}
		switch {
		case p.WindowStart != nil && p.WindowEnd != nil:
			stop.WindowStart, stop.WindowEnd = *p.WindowStart, *p.WindowEnd
		case len(p.Windows) > 0:
			stop.WindowStart, stop.WindowEnd = p.Windows[0].Start, p.Windows[0].End
		}
		if st.ETA != nil {
			stop.ETA = *st.ETA
		}
		rp.Stops = append(rp.Stops, stop)
	}
	b, err := s.Store.FindCourierBreak(ctx, c.StaffCode, day)
	if err != nil {
		return labels.RoutePack{}, false, err
	}
	if b != nil && b.After <= len(rp.Stops) {
		rp.Break = &labels.Break{After: b.After, Start: b.Start, End: b.End}
	}
	return rp, demo, nil
}

var discrepancyOf = map[string]labels.DiscrepancyKind{
	"missing_parcel": labels.ParcelMissing, "seal_broken": labels.SealBroken, "seal_mismatch": labels.SealMismatch,
	"document_missing": labels.DocumentMissing, "count_mismatch": labels.CountMismatch,
}

var lineResultOf = map[string]labels.LineResult{
	"pending": labels.LinePending, "confirmed": labels.LineReceived, "disputed": labels.LineDisputed, "recalled": labels.LineRecalled,
}

// ManifestInput is the handover record of a manifest: both confirmations
// (the giver's release, the receiver's closing) and every discrepancy.
func (s *Papers) ManifestInput(ctx context.Context, m ManifestPaper) labels.Manifest {
	out := labels.Manifest{Code: m.Code, From: s.party(ctx, m.Giver), To: s.party(ctx, m.Receiver), At: m.CreatedAt,
		ReleasedBy: m.CreatedBy, Deadline: m.Deadline, ClosedBy: m.ClosedBy}
	if m.ClosedAt != nil {
		out.ClosedAt = *m.ClosedAt
		if m.Closer != m.Receiver && m.Closer.Kind != "" {
			// Closed by a dispatcher's recall of the last open line.
			who := m.Closer.Kind.Label() + " " + m.Closer.Ref
			if m.ClosedBy != "" {
				who = m.ClosedBy + ", " + lowerFirst(m.Closer.Kind.Label())
			}
			out.ClosedBy = who + " (thu hồi bàn giao)"
		}
	}
	for _, it := range m.Items {
		out.Parcels = append(out.Parcels, labels.ManifestParcel{TrackingNumber: it.Number, DossierCode: it.DossierCode,
			DocumentCount: it.Documents, SealID: it.SealID, Result: lineResultOf[it.Status], SealRead: it.SealRead})
		if it.Status == "recalled" {
			detail := "Điều phối viên thu hồi lần bàn giao chưa được xác nhận; bên giao vẫn giữ hồ sơ"
			if it.Note != "" {
				detail += ": " + it.Note
			}
			out.Discrepancies = append(out.Discrepancies, labels.Discrepancy{TrackingNumber: it.Number, Kind: labels.Recalled, Detail: detail})
		}
		if it.Status == "disputed" {
			k, ok := discrepancyOf[it.Problem]
			detail := tracking.DisputeProblem(it.Problem).Label()
			if !ok {
				k = labels.OtherProblem
			}
			if it.Note != "" {
				detail = strings.TrimSpace(detail + ". " + it.Note)
			}
			if detail == "" {
				detail = "Có vấn đề khi nhận"
			}
			out.Discrepancies = append(out.Discrepancies, labels.Discrepancy{TrackingNumber: it.Number, Kind: k, Detail: detail})
		}
	}
	out.LogNote = s.manifestLogNote(ctx, m)
	return out
}

// logIndex is an event's leaf index in the transparency log (-1 while it
// has none, or without a log).
func (s *Papers) logIndex(ctx context.Context, eventID string) int64 {
	if s.Receipts == nil || s.Receipts.Log == nil || eventID == "" {
		return -1
	}
	l, err := s.Receipts.Log.Store.LogLeafByRef(ctx, "event", eventID)
	if err != nil {
		return -1
	}
	return l.Index
}

// manifestLogNote names each hand-off's leaf indexes on the handover
// record, so both sides can find them in the log (and fetch their proofs
// from the record's proof page).
func (s *Papers) manifestLogNote(ctx context.Context, m ManifestPaper) string {
	var parts []string
	for _, it := range m.Items {
		rel, cl := s.logIndex(ctx, it.ReleasedEvent), s.logIndex(ctx, it.ClosedEvent)
		switch {
		case rel < 0:
			continue
		case cl >= 0:
			parts = append(parts, fmt.Sprintf("%s: giao mục %d, nhận mục %d", it.Number, rel, cl))
		default:
			parts = append(parts, fmt.Sprintf("%s: giao mục %d", it.Number, rel))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "Sổ minh bạch (" + s.BaseURL + "/api/v1/log): " + strings.Join(parts, "; ") + "."
}

// receiptLogNote says where a receipt's event stands in the log.
func receiptLogNote(c ReceiptCheck, what string) string {
	switch {
	case c.Proof != nil:
		return fmt.Sprintf("Sổ minh bạch: %s là mục số %d, đã được nhân chứng độc lập ký xác nhận; bằng chứng nằm trong tệp biên nhận tải từ trang kiểm tra.", what, c.Proof.Leaf.Index)
	case c.LogPending != "" && c.LogIndex >= 0:
		return fmt.Sprintf("Sổ minh bạch: %s là mục số %d; bằng chứng có trên trang kiểm tra sau ít phút.", what, c.LogIndex)
	}
	return ""
}

// ManifestProofs is the handover record's proof bundles: each hand-off's
// release and confirmation (or dispute) with its leaf and a C2SP
// tlog-proof against the latest witnessed checkpoint, as JSON. The same
// staff who may print the record may download it.
func (s *Papers) ManifestProofs(ctx context.Context, u User, code string) ([]byte, error) {
	code = strings.TrimSpace(code)
	m, err := s.Store.FindManifestPaper(ctx, code)
	if errs.Is(err, errs.NotFound) {
		return nil, errs.E(errs.NotFound, "Không có biên bản bàn giao số %q.", code)
	}
	if err != nil {
		return nil, err
	}
	if !manifestInScope(u, m) {
		return nil, forbiddenPaper()
	}
	type proofJSON struct {
		EventID   string `json:"event_id"`
		Index     *int64 `json:"index,omitempty"`
		Leaf      string `json:"leaf,omitempty"`
		TlogProof string `json:"tlog_proof,omitempty"`
		Pending   string `json:"pending,omitempty"`
	}
	type itemJSON struct {
		TrackingNumber string     `json:"tracking_number"`
		Status         string     `json:"status"`
		Released       proofJSON  `json:"released"`
		Closed         *proofJSON `json:"closed,omitempty"`
	}
	out := struct {
		Manifest string     `json:"manifest"`
		Log      string     `json:"log"`
		Items    []itemJSON `json:"items"`
	}{Manifest: m.Code, Items: []itemJSON{}}
	if s.Receipts == nil || s.Receipts.Log == nil {
		return nil, errs.E(errs.Unavailable, "Sổ minh bạch chưa được bật.")
	}
	lg := s.Receipts.Log
	out.Log = lg.Key.Origin()
	proof := func(id string) proofJSON {
		p := proofJSON{EventID: id}
		b, err := lg.BundleFor(ctx, "event", id)
		switch {
		case err == nil:
			p.Index, p.Leaf, p.TlogProof = &b.Leaf.Index, string(b.Leaf.Body), string(b.Proof.Text())
		case errors.Is(err, ErrNoCheckpoint):
			p.Index, p.Leaf, p.Pending = &b.Leaf.Index, string(b.Leaf.Body), "chưa có điểm kiểm được nhân chứng ký"
		case errs.Is(err, errs.NotFound):
			p.Pending = "chưa vào sổ"
		default:
			p.Pending = "sổ không chứng minh được sự kiện này"
		}
		return p
	}
	for _, it := range m.Items {
		ij := itemJSON{TrackingNumber: it.Number, Status: it.Status, Released: proof(it.ReleasedEvent)}
		if it.ClosedEvent != "" {
			c := proof(it.ClosedEvent)
			ij.Closed = &c
		}
		out.Items = append(out.Items, ij)
	}
	return json.MarshalIndent(out, "", "  ")
}

// FeeInput is a courier's fee statement for a day.
func (s *Papers) FeeInput(ctx context.Context, c User, day time.Time) (labels.FeeStatement, error) {
	rows, err := s.Store.FindCourierFees(ctx, c.StaffCode, day, day.AddDate(0, 0, 1))
	if err != nil {
		return labels.FeeStatement{}, err
	}
	office := s.officeName(ctx, c.OfficeCode)
	f := labels.FeeStatement{Code: "TH-" + fileSafe(c.StaffCode) + "-" + day.Format("20060102"),
		Courier: labels.Party{Role: "Bưu tá", Office: office, StaffCode: c.StaffCode},
		Office:  labels.Party{Role: "Bưu cục", Office: office}, Date: day}
	for _, r := range rows {
		f.Rows = append(f.Rows, labels.FeeRow{TrackingNumber: r.Number, DossierCode: r.DossierCode, Fee: r.Fee})
	}
	return f, nil
}

// fileSafe keeps letters, digits, dot, dash and underscore, for file names
// and codes.
func fileSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'A' && r <= 'Z', r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "x"
	}
	return b.String()
}

// ---- the downloads, each scoped to the user ----

// Label prints a parcel's A6 label.
func (s *Papers) Label(ctx context.Context, u User, number string) (Paper, error) {
	p, err := s.parcel(ctx, number)
	if err != nil {
		return Paper{}, err
	}
	if !parcelInScope(u, p, "", "") {
		return Paper{}, forbiddenPaper()
	}
	in := s.LabelInput(ctx, p)
	return s.render(ctx, "nhan-"+p.Number+".pdf", p.Demo, func(w *bytes.Buffer, o labels.Options) error { return labels.RenderLabel(w, in, o) })
}

// Receipt prints a parcel's door receipt (two copies).
func (s *Papers) Receipt(ctx context.Context, u User, number string) (Paper, error) {
	p, err := s.parcel(ctx, number)
	if err != nil {
		return Paper{}, err
	}
	courier, office := "", ""
	if c, err := s.Receipts.Find(ctx, p.ID, tracking.ReceiptPickup); err == nil {
		courier, office = c.Receipt.CourierCode, c.Receipt.OfficeCode
	}
	if !parcelInScope(u, p, courier, office) {
		return Paper{}, forbiddenPaper()
	}
	printOffice := p.OfficeCode
	if u.Role == RoleCourier && u.OfficeCode != "" {
		printOffice = u.OfficeCode
	}
	in, err := s.ReceiptInput(ctx, p, printOffice)
	if err != nil {
		return Paper{}, err
	}
	return s.render(ctx, "bien-nhan-"+p.Number+".pdf", p.Demo, func(w *bytes.Buffer, o labels.Options) error { return labels.RenderReceipt(w, in, o) })
}

// DeliveryReceipt prints the delivery receipt of a delivered result.
func (s *Papers) DeliveryReceipt(ctx context.Context, u User, number string) (Paper, error) {
	p, err := s.parcel(ctx, number)
	if err != nil {
		return Paper{}, err
	}
	courier, office := "", ""
	if c, err := s.Receipts.Find(ctx, p.ID, tracking.ReceiptDelivery); err == nil {
		courier, office = c.Receipt.CourierCode, c.Receipt.OfficeCode
	}
	if !parcelInScope(u, p, courier, office) {
		return Paper{}, forbiddenPaper()
	}
	in, _, err := s.DeliveryInput(ctx, p)
	if err != nil {
		return Paper{}, err
	}
	return s.render(ctx, "phieu-giao-"+p.Number+".pdf", p.Demo, func(w *bytes.Buffer, o labels.Options) error {
		return labels.RenderDeliveryReceipt(w, in, o)
	})
}

// RoutePack prints a courier's route pack for a day.
func (s *Papers) RoutePack(ctx context.Context, u User, staffCode string, day time.Time) (Paper, error) {
	c, err := s.courier(ctx, staffCode)
	if err != nil {
		return Paper{}, err
	}
	if !courierInScope(u, c) {
		return Paper{}, forbiddenPaper()
	}
	in, demo, err := s.RoutePackInput(ctx, c, day)
	if err != nil {
		return Paper{}, err
	}
	return s.render(ctx, fmt.Sprintf("tui-hanh-trinh-%s-%s.pdf", fileSafe(c.StaffCode), day.Format("2006-01-02")), demo,
		func(w *bytes.Buffer, o labels.Options) error { return labels.RenderRoutePack(w, in, o) })
}

// FeeStatement prints a courier's fee statement for a day.
func (s *Papers) FeeStatement(ctx context.Context, u User, staffCode string, day time.Time) (Paper, error) {
	c, err := s.courier(ctx, staffCode)
	if err != nil {
		return Paper{}, err
	}
	if !courierInScope(u, c) {
		return Paper{}, forbiddenPaper()
	}
	in, err := s.FeeInput(ctx, c, day)
	if err != nil {
		return Paper{}, err
	}
	return s.render(ctx, fmt.Sprintf("bang-ke-thu-ho-%s-%s.pdf", fileSafe(c.StaffCode), day.Format("2006-01-02")), c.Demo,
		func(w *bytes.Buffer, o labels.Options) error { return labels.RenderFeeStatement(w, in, o) })
}

// Manifest prints a hand-off manifest: for its giver and receiver, the
// dispatchers of its parcels' province, admins.
func (s *Papers) Manifest(ctx context.Context, u User, code string) (Paper, error) {
	code = strings.TrimSpace(code)
	m, err := s.Store.FindManifestPaper(ctx, code)
	if errs.Is(err, errs.NotFound) {
		return Paper{}, errs.E(errs.NotFound, "Không có biên bản bàn giao số %q.", code)
	}
	if err != nil {
		return Paper{}, err
	}
	if !manifestInScope(u, m) {
		return Paper{}, forbiddenPaper()
	}
	if len(m.Items) == 0 {
		return Paper{}, errs.E(errs.Conflict, "Biên bản %s chưa có bưu gửi nào.", m.Code)
	}
	in := s.ManifestInput(ctx, m)
	demo := false
	for _, it := range m.Items {
		demo = demo || it.Demo
	}
	return s.render(ctx, "bien-ban-"+fileSafe(m.Code)+".pdf", demo, func(w *bytes.Buffer, o labels.Options) error {
		return labels.RenderManifest(w, in, o)
	})
}

// manifestInScope: a manifest is for its giver and receiver, the
// dispatchers of its parcels' province, admins.
func manifestInScope(u User, m ManifestPaper) bool {
	me := u.Party()
	ok := u.Role == RoleAdmin || (u.Role != RoleDispatcher && (m.Giver == me || m.Receiver == me))
	if u.Role == RoleDispatcher {
		for _, it := range m.Items {
			ok = ok || (u.ProvinceCode != "" && it.ProvinceCode == u.ProvinceCode)
		}
	}
	return ok
}

// ParseDay reads a day as staff give it in a URL: YYYY-MM-DD, or "hom-nay"
// for today, in Vietnam time.
func (s *Papers) ParseDay(v string) (time.Time, error) {
	if v == "" || v == "hom-nay" {
		n := s.Now().In(receiptZone)
		return time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, receiptZone), nil
	}
	d, err := time.ParseInLocation("2006-01-02", v, receiptZone)
	if err != nil {
		return time.Time{}, errs.E(errs.Invalid, "Ngày %q không hợp lệ: nhập theo dạng 2026-11-24.", v)
	}
	return d, nil
}

func lowerFirst(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToLower(string(r[0])) + string(r[1:])
}
