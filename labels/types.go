package labels

import (
	"fmt"
	"strings"
	"time"
)

// Citizen is the person a dossier belongs to, as printed on public papers:
// initials and a masked phone, never a full name or number.
type Citizen struct {
	Initials string // "N.T.H.N."
	// Phone is the full number ("0912345123") or an already masked one
	// ("09xx xxx 123"); it is always printed masked.
	Phone   string
	Commune string // "Phường Phan Đình Phùng, Thái Nguyên"
}

// Desk is a one-stop desk (Bộ phận một cửa) or the province's
// public-administration centre.
type Desk struct {
	Name    string // "Trung tâm Phục vụ hành chính công tỉnh Thái Nguyên"
	Commune string // "Phường Phan Đình Phùng, Thái Nguyên"
}

// Party is one side of a hand-off or a statement, by role and office
// (never a staff member's name: that is written by hand in the signature box).
type Party struct {
	Role      string // "Bưu tá", "Bưu cục", "Cán bộ tiếp nhận"
	Office    string // "Bưu cục Phan Đình Phùng"
	StaffCode string // optional: "BT-19-0123"
}

func (p Party) line() string {
	s := p.Role
	if p.Office != "" {
		if s != "" {
			s += " – "
		}
		s += p.Office
	}
	if p.StaffCode != "" {
		s += " (mã " + p.StaffCode + ")"
	}
	return s
}

// signer is the line under a signature box: role and staff code (the office
// is already in the header).
func (p Party) signer() string {
	s := p.Role
	if s == "" {
		s = p.Office
	}
	if p.StaffCode != "" {
		s += " – mã " + p.StaffCode
	}
	return s
}

// DocumentKind says whether a document is an original or a copy.
type DocumentKind int

// Document kinds, as the law names them.
const (
	Original      DocumentKind = iota + 1 // bản chính
	CertifiedCopy                         // bản sao chứng thực
	Copy                                  // bản sao
)

// String returns the Vietnamese name printed on the papers.
func (k DocumentKind) String() string {
	switch k {
	case Original:
		return "Bản chính"
	case CertifiedCopy:
		return "Bản sao chứng thực"
	case Copy:
		return "Bản sao"
	}
	return "không rõ"
}

// Document is one document of a dossier (thành phần hồ sơ).
type Document struct {
	Name  string       // "Tờ khai đăng ký khai sinh"
	Kind  DocumentKind // original, certified copy or copy
	Count int          // number of sheets or copies handed over, ≥ 1
	// Received ticks the box on a receipt printed after collection. On a
	// pre-filled receipt (Receipt.Prefilled) every box is left blank.
	Received bool
	// Disposition, when set, is what became of the line at the door or
	// counter, in words ("Xem rồi trả lại"), printed in its own column.
	// NotCarried marks a line accounted for without its paper travelling
	// (shown, scanned, not needed): never listed as missing.
	Disposition string
	NotCarried  bool
}

// Label is the A6 parcel label (100 × 150 mm, thermal printer).
type Label struct {
	TrackingNumber string // UPU S10, e.g. "EA123456785VN": Code128 and in clear
	TrackingURL    string // public tracking page, in the QR code
	// Service is the heading of the label; empty means "THU GOM HỒ SƠ".
	Service       string
	From          Citizen
	To            Desk
	DossierCode   string // mã hồ sơ, as issued by the portal
	Procedure     string // procedure name
	ProcedureCode string // optional: mã TTHC, e.g. "1.001234"
	DocumentCount int    // number of documents in the envelope, ≥ 1
	SealID        string // optional: printed if known, otherwise an empty box
}

// Receipt is the door receipt (giấy biên nhận), A5, two copies: "Liên 1:
// Giao công dân" and "Liên 2: Lưu bưu chính".
type Receipt struct {
	Code string // receipt code printed in clear, e.g. "BN-7K3M-Q9XD"
	// VerifyURL is encoded in the QR code: "https://<host>/bien-nhan/{Code}".
	// It must contain Code. The signature behind it is made elsewhere.
	VerifyURL      string
	TrackingNumber string
	DossierCode    string
	Procedure      string
	Citizen        Citizen
	Desk           Desk   // where the dossier is going
	Office         string // the courier's post office
	Documents      []Document
	// Prefilled prints the route-pack version: tick boxes, time and (if
	// SealID is empty) the seal are left blank to fill in at the door.
	Prefilled   bool
	SealID      string
	CollectedAt time.Time // required unless Prefilled
	CourierCode string    // courier's staff code; required unless Prefilled
	// Proof says which proof the server checked behind the citizen's
	// confirmation ("Công dân xác nhận bằng mã SMS."); printed when set.
	Proof   string
	Note    string // optional, e.g. why a pickup is partial
	Hotline string // optional phone number printed for help
	// LogNote, when set, is printed under the verification block: where
	// the event stands in the transparency log (its leaf index).
	LogNote string
	// Counter is set when the citizen handed the papers over at a post
	// office counter: the receipt says "nhận tại quầy", Office is that
	// office and CourierCode the clerk's staff code.
	Counter bool
}

// ManifestParcel is one row of a handover manifest.
type ManifestParcel struct {
	TrackingNumber string
	DossierCode    string
	DocumentCount  int
	SealID         string
	Result         LineResult // what the receiver recorded for it (zero: not yet)
	SealRead       string     // the seal id the receiver read on the envelope
}

// LineResult is the receiver's result for one line of a manifest.
type LineResult int

// Line results. LinePending (zero) leaves the tick box to fill by hand.
const (
	LinePending  LineResult = iota // chờ bên nhận
	LineReceived                   // đã nhận
	LineDisputed                   // sai lệch (see the discrepancies)
	LineRecalled                   // the release was recalled by a dispatcher
)

// String returns the Vietnamese result printed in the receiver's column.
func (r LineResult) String() string {
	switch r {
	case LineReceived:
		return "Đã nhận"
	case LineDisputed:
		return "Có sai lệch"
	case LineRecalled:
		return "Đã thu hồi"
	}
	return "Chờ xác nhận"
}

// DiscrepancyKind is what the receiver found wrong with a parcel.
type DiscrepancyKind int

// Discrepancy kinds of a disputed hand-off.
const (
	ParcelMissing   DiscrepancyKind = iota + 1 // thiếu bưu gửi
	SealBroken                                 // niêm phong không nguyên vẹn
	DocumentMissing                            // thiếu giấy tờ
	OtherProblem                               // khác (see Detail)
	SealMismatch                               // mã niêm phong khác mã đã ghi
	CountMismatch                              // số bản khác
	Recalled                                   // bàn giao bị điều phối viên thu hồi
)

// String returns the Vietnamese name printed on the manifest.
func (k DiscrepancyKind) String() string {
	switch k {
	case ParcelMissing:
		return "Thiếu bưu gửi"
	case SealBroken:
		return "Niêm phong không nguyên vẹn"
	case DocumentMissing:
		return "Thiếu giấy tờ"
	case OtherProblem:
		return "Khác"
	case SealMismatch:
		return "Mã niêm phong khác"
	case CountMismatch:
		return "Số bản khác"
	case Recalled:
		return "Bàn giao bị thu hồi"
	}
	return "không rõ"
}

// Discrepancy is one item the receiver disputed.
type Discrepancy struct {
	TrackingNumber string
	Kind           DiscrepancyKind
	Detail         string // "Thiếu bản sao chứng thực CCCD"
}

// Manifest is the batch handover record (bảng kê / biên bản bàn giao), A4.
type Manifest struct {
	Code          string // manifest code, printed as Code128
	From          Party  // bên giao
	To            Party  // bên nhận
	At            time.Time
	Parcels       []ManifestParcel
	Discrepancies []Discrepancy // filled when the receiver disputed items
	// The two confirmations recorded in the system, printed when known:
	// the giver's release (who made it) and the receiver's closing of the
	// whole manifest (when, by whom), or that it is still open and until
	// when.
	ReleasedBy string    // "Nguyễn Văn A (mã BC-01)"
	Deadline   time.Time // the receiver confirms every line by then
	ClosedAt   time.Time // zero while lines are open
	ClosedBy   string    // who closed it: the receiver's clerk, or a dispatcher who recalled the last line
	// LogNote, when set, is printed above the signatures: the hand-offs'
	// leaf indexes in the transparency log.
	LogNote string
}

// VerifyMethod is how the courier checked the recipient of a result.
type VerifyMethod int

// Recipient checks.
const (
	VerifyOTP       VerifyMethod = iota + 1 // mã OTP sent to the citizen's phone
	VerifyCCCD                              // last 3 digits (or all 12) of the citizen ID card
	VerifyProxy                             // an authorised person, with the authorisation reference
	VerifySignature                         // the recipient's drawn signature, stored
	VerifyQR                                // the QR code of the chip ID card, checked by the server
)

// String returns the Vietnamese name printed on the delivery receipt.
func (m VerifyMethod) String() string {
	switch m {
	case VerifyOTP:
		return "Mã OTP"
	case VerifyCCCD:
		return "3 số cuối CCCD"
	case VerifyProxy:
		return "Người được ủy quyền"
	case VerifySignature:
		return "Chữ ký của người nhận"
	case VerifyQR:
		return "Mã QR trên CCCD"
	}
	return "không rõ"
}

// DeliveryReceipt is the receipt of the return leg (phiếu giao kết quả), A5,
// two copies: "Liên 1: Giao người nhận" and "Liên 2: Lưu bưu chính".
type DeliveryReceipt struct {
	Code              string // receipt number, e.g. "PG-20261126-0042"
	TrackingNumber    string // return-leg S10 number, printed as Code128
	DossierCode       string
	Procedure         string
	Desk              Desk       // the desk that issued the result
	Office            string     // the courier's post office
	Documents         []Document // the documents returned (Received is ignored)
	Fee               int64      // collected on delivery, in đồng; 0 if none
	Method            VerifyMethod
	AuthorisationRef  string // required for VerifyProxy: "Giấy ủy quyền số 15/2026/UQ"
	RecipientInitials string
	DeliveredAt       time.Time
	CourierCode       string
	LogNote           string // optional: the delivery's leaf index in the transparency log
}

// Stop is one stop of a courier's route.
type Stop struct {
	Seq         int       // order on the route, from 1
	WindowStart time.Time // time window promised to the citizen
	WindowEnd   time.Time
	ETA         time.Time // planned arrival
	Label       Label
	Receipt     Receipt // printed pre-filled whatever its Prefilled field says
	// Delivery: a result carried to the citizen (no pre-filled receipt:
	// the delivery receipt is made at the door); otherwise a pickup.
	Delivery bool
}

// RoutePack is one courier's day: the stop list in route order (pickups
// and deliveries, with the lunch break), then each stop's label and, for a
// pickup, its pre-filled receipt.
type RoutePack struct {
	Courier Party
	Date    time.Time
	Stops   []Stop
	Break   *Break
}

// Break is the courier's lunch break: after the first After stops of the
// list (0: before leaving).
type Break struct {
	After      int
	Start, End time.Time
}

// FeeRow is one collection on a fee statement.
type FeeRow struct {
	TrackingNumber string
	DossierCode    string
	Fee            int64 // đồng
}

// FeeStatement is a courier's statement of the day's collections (bảng kê
// thu hộ), A4, signed by the courier and the office.
type FeeStatement struct {
	Code    string
	Courier Party
	Office  Party
	Date    time.Time
	Rows    []FeeRow
}

// ---- normalisation: every string goes through cleanText or cleanCode ----

func (c Citizen) clean() Citizen {
	return Citizen{Initials: cleanText(c.Initials), Phone: strings.TrimSpace(c.Phone), Commune: cleanText(c.Commune)}
}

func (d Desk) clean() Desk { return Desk{Name: cleanText(d.Name), Commune: cleanText(d.Commune)} }

func (p Party) clean() Party {
	return Party{Role: cleanText(p.Role), Office: cleanText(p.Office), StaffCode: cleanText(p.StaffCode)}
}

func cleanDocs(in []Document) []Document {
	out := make([]Document, len(in))
	for i, d := range in {
		d.Name = cleanText(d.Name)
		d.Disposition = cleanText(d.Disposition)
		out[i] = d
	}
	return out
}

func (l Label) clean() Label {
	l.TrackingNumber = cleanCode(l.TrackingNumber)
	l.TrackingURL = cleanCode(l.TrackingURL)
	l.Service = cleanText(l.Service)
	l.From = l.From.clean()
	l.To = l.To.clean()
	l.DossierCode = cleanText(l.DossierCode)
	l.Procedure = cleanText(l.Procedure)
	l.ProcedureCode = cleanText(l.ProcedureCode)
	l.SealID = cleanText(l.SealID)
	return l
}

func (r Receipt) clean() Receipt {
	r.Code = cleanCode(r.Code)
	r.VerifyURL = cleanCode(r.VerifyURL)
	r.TrackingNumber = cleanCode(r.TrackingNumber)
	r.DossierCode = cleanText(r.DossierCode)
	r.Procedure = cleanText(r.Procedure)
	r.Citizen = r.Citizen.clean()
	r.Desk = r.Desk.clean()
	r.Office = cleanText(r.Office)
	r.Documents = cleanDocs(r.Documents)
	r.SealID = cleanText(r.SealID)
	r.CourierCode = cleanText(r.CourierCode)
	r.Note = cleanText(r.Note)
	r.Proof = cleanText(r.Proof)
	r.LogNote = cleanText(r.LogNote)
	r.Hotline = cleanText(r.Hotline)
	return r
}

func (m Manifest) clean() Manifest {
	m.Code = cleanCode(m.Code)
	m.LogNote = cleanText(m.LogNote)
	m.From = m.From.clean()
	m.To = m.To.clean()
	ps := make([]ManifestParcel, len(m.Parcels))
	for i, p := range m.Parcels {
		ps[i] = ManifestParcel{TrackingNumber: cleanCode(p.TrackingNumber), DossierCode: cleanText(p.DossierCode), DocumentCount: p.DocumentCount, SealID: cleanText(p.SealID),
			Result: p.Result, SealRead: cleanText(p.SealRead)}
	}
	m.Parcels = ps
	ds := make([]Discrepancy, len(m.Discrepancies))
	for i, d := range m.Discrepancies {
		ds[i] = Discrepancy{TrackingNumber: cleanCode(d.TrackingNumber), Kind: d.Kind, Detail: cleanText(d.Detail)}
	}
	m.Discrepancies = ds
	m.ReleasedBy, m.ClosedBy = cleanText(m.ReleasedBy), cleanText(m.ClosedBy)
	return m
}

func (r DeliveryReceipt) clean() DeliveryReceipt {
	r.Code = cleanCode(r.Code)
	r.TrackingNumber = cleanCode(r.TrackingNumber)
	r.DossierCode = cleanText(r.DossierCode)
	r.Procedure = cleanText(r.Procedure)
	r.Desk = r.Desk.clean()
	r.Office = cleanText(r.Office)
	r.Documents = cleanDocs(r.Documents)
	r.AuthorisationRef = cleanText(r.AuthorisationRef)
	r.RecipientInitials = cleanText(r.RecipientInitials)
	r.CourierCode = cleanText(r.CourierCode)
	r.LogNote = cleanText(r.LogNote)
	return r
}

func (f FeeStatement) clean() FeeStatement {
	f.Code = cleanCode(f.Code)
	f.Courier = f.Courier.clean()
	f.Office = f.Office.clean()
	rows := make([]FeeRow, len(f.Rows))
	for i, r := range f.Rows {
		rows[i] = FeeRow{TrackingNumber: cleanCode(r.TrackingNumber), DossierCode: cleanText(r.DossierCode), Fee: r.Fee}
	}
	f.Rows = rows
	return f
}

// ---- validation: clear errors wrapping ErrInvalidInput ----

func required(field, v string) error {
	if v == "" {
		return invalid("%s is empty", field)
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

// maskedPhone validates and masks the citizen's phone.
func (c Citizen) maskedPhone() (string, error) {
	m, err := MaskPhone(c.Phone)
	if err != nil {
		return "", err
	}
	return m, nil
}

func (c Citizen) validate(field string) error {
	if _, err := c.maskedPhone(); err != nil {
		return within(field, err)
	}
	return firstErr(required(field+" initials", c.Initials), required(field+" commune", c.Commune))
}

func validateDocs(field string, docs []Document) error {
	if len(docs) == 0 {
		return invalid("%s: no documents listed", field)
	}
	for i, d := range docs {
		if d.Name == "" {
			return invalid("%s: document %d has no name", field, i+1)
		}
		if d.Kind < Original || d.Kind > Copy {
			return invalid("%s: document %d (%s): kind %d is not original, certified copy or copy", field, i+1, d.Name, int(d.Kind))
		}
		if d.Count < 1 {
			return invalid("%s: document %d (%s): count %d, want at least 1", field, i+1, d.Name, d.Count)
		}
	}
	return nil
}

func (l Label) validate() error {
	if err := CheckS10(l.TrackingNumber); err != nil {
		return err
	}
	if err := checkURL("tracking URL", l.TrackingURL); err != nil {
		return err
	}
	if err := l.From.validate("sender"); err != nil {
		return err
	}
	if l.DocumentCount < 1 {
		return invalid("label %s: documents count %d, want at least 1", l.TrackingNumber, l.DocumentCount)
	}
	return firstErr(required("desk name", l.To.Name), required("dossier code", l.DossierCode), required("procedure", l.Procedure))
}

func (r Receipt) validate() error {
	if err := checkASCII("receipt code", r.Code); err != nil {
		return err
	}
	if err := checkURL("verification URL", r.VerifyURL); err != nil {
		return err
	}
	if !strings.Contains(r.VerifyURL, r.Code) {
		return invalid("verification URL %q does not lead to receipt %q", r.VerifyURL, r.Code)
	}
	if err := CheckS10(r.TrackingNumber); err != nil {
		return err
	}
	if err := r.Citizen.validate("citizen"); err != nil {
		return err
	}
	if err := validateDocs("receipt "+r.Code, r.Documents); err != nil {
		return err
	}
	if !r.Prefilled {
		if r.CollectedAt.IsZero() {
			return invalid("receipt %s: collection time is missing (set Prefilled for the blank route-pack version)", r.Code)
		}
		if r.CourierCode == "" {
			return invalid("receipt %s: courier's staff code is empty", r.Code)
		}
	}
	return firstErr(required("dossier code", r.DossierCode), required("procedure", r.Procedure), required("desk name", r.Desk.Name))
}

func (p Party) validate(field string) error {
	if p.Role == "" && p.Office == "" {
		return invalid("%s: neither role nor office is set", field)
	}
	return nil
}

func (m Manifest) validate() error {
	if err := checkASCII("manifest code", m.Code); err != nil {
		return err
	}
	if err := firstErr(m.From.validate("manifest giver"), m.To.validate("manifest receiver")); err != nil {
		return err
	}
	if m.At.IsZero() {
		return invalid("manifest %s: hand-off time is missing", m.Code)
	}
	if len(m.Parcels) == 0 {
		return invalid("manifest %s: no parcels", m.Code)
	}
	seen := make(map[string]int, len(m.Parcels))
	for i, p := range m.Parcels {
		if err := CheckS10(p.TrackingNumber); err != nil {
			return within(fmt.Sprintf("manifest %s row %d", m.Code, i+1), err)
		}
		if j, dup := seen[p.TrackingNumber]; dup {
			return invalid("manifest %s: %s is listed twice (rows %d and %d)", m.Code, p.TrackingNumber, j+1, i+1)
		}
		seen[p.TrackingNumber] = i
		if p.DocumentCount < 0 {
			return invalid("manifest %s row %d: negative documents count", m.Code, i+1)
		}
	}
	for i, d := range m.Discrepancies {
		if err := CheckS10(d.TrackingNumber); err != nil {
			return within(fmt.Sprintf("manifest %s discrepancy %d", m.Code, i+1), err)
		}
		if d.Kind < ParcelMissing || d.Kind > Recalled {
			return invalid("manifest %s discrepancy %d: unknown kind %d", m.Code, i+1, int(d.Kind))
		}
		if d.Kind == OtherProblem && d.Detail == "" {
			return invalid("manifest %s discrepancy %d: kind Khác needs a detail", m.Code, i+1)
		}
	}
	return nil
}

func (r DeliveryReceipt) validate() error {
	if err := checkASCII("delivery receipt code", r.Code); err != nil {
		return err
	}
	if err := CheckS10(r.TrackingNumber); err != nil {
		return err
	}
	if err := validateDocs("delivery receipt "+r.Code, r.Documents); err != nil {
		return err
	}
	if r.Fee < 0 {
		return invalid("delivery receipt %s: negative fee %d", r.Code, r.Fee)
	}
	switch r.Method {
	case VerifyOTP, VerifyCCCD, VerifySignature, VerifyQR:
	case VerifyProxy:
		if r.AuthorisationRef == "" {
			return invalid("delivery receipt %s: a proxy needs the authorisation reference", r.Code)
		}
	default:
		return invalid("delivery receipt %s: unknown verification method %d", r.Code, int(r.Method))
	}
	if r.DeliveredAt.IsZero() {
		return invalid("delivery receipt %s: delivery time is missing", r.Code)
	}
	return firstErr(required("dossier code", r.DossierCode), required("procedure", r.Procedure),
		required("recipient initials", r.RecipientInitials), required("courier's staff code", r.CourierCode))
}

func (f FeeStatement) validate() error {
	if err := checkASCII("fee statement code", f.Code); err != nil {
		return err
	}
	if err := firstErr(f.Courier.validate("courier"), f.Office.validate("office")); err != nil {
		return err
	}
	if f.Date.IsZero() {
		return invalid("fee statement %s: date is missing", f.Code)
	}
	for i, r := range f.Rows {
		if err := CheckS10(r.TrackingNumber); err != nil {
			return within(fmt.Sprintf("fee statement %s row %d", f.Code, i+1), err)
		}
		if r.Fee < 0 {
			return invalid("fee statement %s row %d: negative fee", f.Code, i+1)
		}
	}
	return nil
}
