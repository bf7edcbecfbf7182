package app

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"hoso/internal/errs"
	"hoso/internal/secret"
	"hoso/internal/vntext"
	"hoso/tracking"
)

// Audit actions of a counter drop-off.
const (
	AuditDropoffCode     = "dropoff.code_sent"
	AuditDropoffScan     = "dropoff.scan_saved"
	AuditDropoffReceived = "dropoff.received"
	AuditDropoffRequest  = "dropoff.request_created"
	AuditDropoffCancel   = "dropoff.request_cancelled"
)

// Limits of a document scan kept instead of its paper.
const (
	MaxScanBytes = 5 << 20 // 5 MiB: a phone photo or a one-page PDF scan
	ScanSeal     = "scan:" // the secret box's context, followed by the parcel id
)

// ScanTypes are the kinds of scan accepted, by the content type the bytes
// themselves show (never the name or the browser's word).
var ScanTypes = map[string]string{"image/jpeg": "JPEG", "image/png": "PNG", "application/pdf": "PDF"}

// Scan is a kept scan of one document line; its body is stored sealed.
type Scan struct {
	SHA256      string // hex, of the clear bytes: what the event names
	ParcelID    string
	Line        int
	ContentType string
	Size        int
	By          int64
	At          time.Time
}

// DropoffStore is what counter drop-offs need from persistence.
type DropoffStore interface {
	FindParcelByNumber(ctx context.Context, number string) (Parcel, error)
	FindParcels(ctx context.Context, f ParcelFilter) ([]Parcel, error)
	SaveScan(ctx context.Context, s Scan, sealed []byte) error
	FindScans(ctx context.Context, parcelID string) ([]Scan, error)
	FindOffice(ctx context.Context, code string) (PostOffice, error)
	InsertAudit(ctx context.Context, userID int64, action, subject, reason string, at time.Time) error
}

// Dropoff is the post office counter taking a citizen's papers instead of a
// home visit: the clerk opens the request, checks each document line and
// its disposition, seals, and records the collection with the citizen as
// giver (a code sent to the citizen's phone or the CCCD number, checked by
// the server as at the door) and the office as receiver.
type Dropoff struct {
	Store   DropoffStore
	Ledger  *Ledger
	Devices *Devices // door codes and CCCD checks, the same rules as the door
	Box     *secret.Box
	Now     func() time.Time
	NewID   func() string
	// Intake makes the request of a citizen who brings the papers without
	// one (Create).
	Intake *Intake
}

// DropoffLine is what the clerk states of one document line.
type DropoffLine struct {
	Line        int
	Count       int // copies put in the envelope (0 for a line not carried)
	Condition   tracking.Condition
	Disposition tracking.Disposition
}

// DropoffInput is one counter drop-off as the clerk submits it.
type DropoffInput struct {
	Number        string
	EventID       string // made when the form was shown: the same submission twice is one event
	Lines         []DropoffLine
	SealID        string
	Method        string // tracking.ProofDoorCode or tracking.ProofIDDigits
	Secret        string // the code the citizen read from the phone, or the CCCD digits
	PartialReason string
}

func mayDropoff(u User) error {
	if u.Role != RoleOffice || u.OfficeCode == "" {
		return errs.E(errs.Forbidden, "Chỉ nhân viên bưu cục nhận hồ sơ tại quầy.")
	}
	return nil
}

// Find finds the pickup request a citizen brings to the counter by its
// tracking number or dossier code, as typed (any case, spaces, dashes). It
// must be for the clerk's own office and not yet collected.
func (s *Dropoff) Find(ctx context.Context, u User, ref string) (Parcel, error) {
	if err := mayDropoff(u); err != nil {
		return Parcel{}, err
	}
	field := func(msg string) error {
		return errs.E(errs.Invalid, "%s", msg).WithFields(map[string]string{"ref": msg})
	}
	if !utf8.ValidString(ref) {
		return Parcel{}, field("Số hiệu có ký tự không đọc được: gõ lại bằng bàn phím")
	}
	ref = strings.TrimSpace(vntext.NFC(ref))
	switch {
	case ref == "":
		return Parcel{}, field("Nhập số hiệu bưu gửi (ví dụ EB 000 000 062 VN) hoặc mã hồ sơ")
	case utf8.RuneCountInString(ref) > 80:
		return Parcel{}, field("Số hiệu hoặc mã hồ sơ dài tối đa 80 ký tự")
	}
	var p Parcel
	var err error
	if n, perr := tracking.ParseTyped(ref); perr == nil {
		p, err = s.Store.FindParcelByNumber(ctx, n.String())
	} else if key := tracking.DossierKey(ref); key != "" {
		var ps []Parcel
		ps, err = s.Store.FindParcels(ctx, ParcelFilter{DossierKey: key, Leg: tracking.LegPickup, Limit: 5})
		if err == nil && len(ps) == 0 {
			err = errs.E(errs.NotFound, "not found")
		}
		if err == nil {
			p = ps[0]
			for _, q := range ps {
				if q.OfficeCode == u.OfficeCode { // the one for this office, if several
					p = q
					break
				}
			}
		}
	} else {
		err = errs.E(errs.NotFound, "not found")
	}
	if errs.Is(err, errs.NotFound) {
		return Parcel{}, errs.E(errs.NotFound, "Không có yêu cầu thu gom với số hiệu hoặc mã hồ sơ “%s”.", ref).
			WithFields(map[string]string{"ref": "Không tìm thấy: kiểm tra lại số hiệu trên tin nhắn hoặc mã hồ sơ"})
	}
	if err != nil {
		return Parcel{}, err
	}
	if err := s.inScope(ctx, u, p); err != nil {
		return Parcel{}, err
	}
	return p, nil
}

// Create makes the pickup request of a citizen who brings the papers to
// the counter without one: the same rules as any request (the dossier code,
// the citizen, the address the result goes back to, a desk, the document
// list), but no home visit and no window; the request belongs to the
// clerk's office, whatever office the home address is zoned to, and goes
// to a desk of the office's province. The request and its audit line are
// one transaction; the clerk goes on to check the papers (Record). The
// caller's channel, office and author are replaced by the clerk's.
func (s *Dropoff) Create(ctx context.Context, u User, req tracking.PickupRequest) (p Parcel, err error) {
	defer errs.Wrap(&err, "Dropoff.Create")
	if err := mayDropoff(u); err != nil {
		return Parcel{}, err
	}
	req.Channel, req.PortalClient, req.CreatedBy, req.OfficeCode, req.Windows = tracking.ChannelCounter, "", u.ID, u.OfficeCode, nil
	o, err := s.Store.FindOffice(ctx, u.OfficeCode)
	if err != nil {
		if errs.Is(err, errs.NotFound) {
			return Parcel{}, errs.E(errs.Forbidden, "Tài khoản của bạn gắn với bưu cục %s, không còn trong danh mục.", u.OfficeCode)
		}
		return Parcel{}, err
	}
	if code := strings.TrimSpace(req.Dossier.DeskCode); code != "" {
		desk, err := s.Intake.Store.FindDesk(ctx, code)
		if err == nil && o.ProvinceCode != "" && desk.ProvinceCode != o.ProvinceCode {
			msg := "chọn nơi tiếp nhận trong tỉnh của bưu cục: bưu cục chỉ chuyển hồ sơ trong tỉnh"
			return Parcel{}, errs.E(errs.Unprocessable, "Nơi tiếp nhận %s ở tỉnh khác", code).
				WithFields(map[string]string{"dossier.desk_code": msg})
		}
		if err != nil && !errs.Is(err, errs.NotFound) {
			return Parcel{}, err
		}
	}
	err = s.Ledger.Tx.InTx(ctx, func(ctx context.Context) error {
		var err error
		if p, err = s.Intake.Create(ctx, req); err != nil {
			return err
		}
		return s.Store.InsertAudit(ctx, u.ID, AuditDropoffRequest, p.Number, "công dân mang giấy tờ đến quầy, chưa có yêu cầu", s.Now())
	})
	if err != nil {
		return Parcel{}, err
	}
	return p, nil
}

// CancelCounter cancels a request made at the clerk's own counter whose
// papers were never taken (the citizen changed their mind or left): else
// the dossier's one open pickup would stay blocked by it. Only a counter
// request of this office, still waiting, with a reason; the cancellation
// is a ledger event with the office as actor, audited in the same
// transaction, and goes to the portal as any cancellation.
func (s *Dropoff) CancelCounter(ctx context.Context, u User, number, reason string) (Parcel, error) {
	p, err := s.parcel(ctx, u, number)
	if err != nil {
		return Parcel{}, err
	}
	if p.Channel != tracking.ChannelCounter || p.OfficeCode != u.OfficeCode {
		return Parcel{}, errs.E(errs.Forbidden, "Chỉ hủy ở quầy được yêu cầu do chính bưu cục tạo tại quầy; yêu cầu khác do công dân hoặc bộ phận một cửa hủy.")
	}
	if p.Status != tracking.StatusRequested {
		return Parcel{}, errs.E(errs.Conflict, "Yêu cầu %s không còn chờ nhận giấy tờ.", p.Number)
	}
	field := func(msg string) error {
		return errs.E(errs.Invalid, "%s", msg).WithFields(map[string]string{"cancel_reason": msg})
	}
	reason = strings.TrimSpace(vntext.NFC(reason))
	switch n := utf8.RuneCountInString(reason); {
	case !utf8.ValidString(reason) || vntext.HasControl(reason):
		return Parcel{}, field("Lý do có ký tự không đọc được: gõ lại bằng bàn phím")
	case n < 3:
		return Parcel{}, field("Ghi lý do hủy, ví dụ “công dân không nộp nữa”")
	case n > 300:
		return Parcel{}, field("Lý do dài tối đa 300 ký tự")
	}
	data, err := tracking.MarshalData(tracking.Cancelled{Reason: reason})
	if err != nil {
		return Parcel{}, err
	}
	// The ledger itself refuses a second cancellation (the parcel is then
	// no longer waiting): cancels sent at once write one event and one
	// audit line, the others are told it is already cancelled.
	err = s.Ledger.Tx.InTx(ctx, func(ctx context.Context) error {
		if _, _, err := s.Ledger.Record(ctx, p.ID, EventInput{Type: tracking.ParcelCancelled, Actor: u.Party(), Data: data, By: u.ID}); err != nil {
			if errs.Is(err, errs.Conflict) {
				return errs.E(errs.Conflict, "Yêu cầu %s không còn chờ nhận giấy tờ (đã hủy hoặc đã nhận).", p.Number)
			}
			return err
		}
		return s.Store.InsertAudit(ctx, u.ID, AuditDropoffCancel, p.Number, reason, s.Now())
	})
	if err != nil {
		return Parcel{}, err
	}
	return s.Store.FindParcelByNumber(ctx, p.Number)
}

// Pending lists the requests made at the clerk's counter whose papers are
// not yet taken (a citizen who left before the check, a form not finished):
// the clerk resumes or the citizen's request stays for a home visit.
func (s *Dropoff) Pending(ctx context.Context, u User) ([]Parcel, error) {
	if err := mayDropoff(u); err != nil {
		return nil, err
	}
	ps, err := s.Store.FindParcels(ctx, ParcelFilter{OfficeCode: u.OfficeCode, Status: tracking.StatusRequested,
		Leg: tracking.LegPickup, Channel: tracking.ChannelCounter, Limit: 50})
	if err != nil {
		return nil, fmt.Errorf("Dropoff.Pending: %w", err)
	}
	return ps, nil
}

// inScope: a pickup request of the clerk's own office (or, not yet given
// to any office, of the office's province: a commune centre takes dossiers
// from anywhere in the province), not yet collected.
func (s *Dropoff) inScope(ctx context.Context, u User, p Parcel) error {
	switch {
	case p.OfficeCode == u.OfficeCode:
	case p.OfficeCode != "":
		return errs.E(errs.Forbidden, "Yêu cầu %s thuộc bưu cục khác: bưu cục của bạn không nhận hồ sơ này tại quầy.", p.Number)
	default:
		o, err := s.Store.FindOffice(ctx, u.OfficeCode)
		if err != nil && !errs.Is(err, errs.NotFound) {
			return err
		}
		if err != nil || o.ProvinceCode == "" || o.ProvinceCode != p.ProvinceCode {
			return errs.E(errs.Forbidden, "Yêu cầu %s thuộc tỉnh khác: bưu cục của bạn không nhận hồ sơ này tại quầy.", p.Number)
		}
	}
	if p.Leg != tracking.LegPickup {
		return errs.E(errs.Conflict, "%s là bưu gửi trả kết quả, không phải hồ sơ cần nộp.", p.Number)
	}
	switch p.Status {
	case tracking.StatusRequested, tracking.StatusScheduled, tracking.StatusPickupFailed:
		return nil
	case tracking.StatusCancelled:
		return errs.E(errs.Conflict, "Yêu cầu %s đã hủy. Nếu công dân nộp lại, tạo yêu cầu mới tại quầy.", p.Number)
	}
	return errs.E(errs.Conflict, "Hồ sơ %s đã được nhận rồi (trạng thái: %s). Không nhận lại lần nữa; in lại biên nhận nếu công dân cần.",
		p.Number, strings.ToLower(p.Status.Label()))
}

func (s *Dropoff) parcel(ctx context.Context, u User, number string) (Parcel, error) {
	if err := mayDropoff(u); err != nil {
		return Parcel{}, err
	}
	n, err := tracking.ParseTyped(number)
	if err != nil {
		return Parcel{}, errs.E(errs.NotFound, "Không có bưu gửi số %q.", clip(strings.ToValidUTF8(number, "?"), 40))
	}
	p, err := s.Store.FindParcelByNumber(ctx, n.String())
	if err != nil {
		return Parcel{}, err
	}
	return p, s.inScope(ctx, u, p)
}

// Open loads a request for the counter form with the scans kept so far.
func (s *Dropoff) Open(ctx context.Context, u User, number string) (Parcel, []Scan, error) {
	p, err := s.parcel(ctx, u, number)
	if err != nil {
		return Parcel{}, nil, err
	}
	scans, err := s.Store.FindScans(ctx, p.ID)
	return p, scans, err
}

// SendCode texts the citizen a one-time code to read to the clerk (the
// door's code, purpose "collect", the same limits).
func (s *Dropoff) SendCode(ctx context.Context, u User, number string) error {
	p, err := s.parcel(ctx, u, number)
	if err != nil {
		return err
	}
	d := s.Devices
	ps, err := d.Store.ParcelSecret(ctx, p.Number)
	if err != nil {
		return err
	}
	now := s.Now()
	n, err := d.Store.CountDoorCodes(ctx, ps.ID, now.Add(-time.Hour))
	if err != nil {
		return err
	}
	if n >= DoorCodesPerHour {
		return errs.E(errs.RateLimited, "Đã gửi %d mã trong một giờ qua: chờ một lúc hoặc đối chiếu số CCCD.", n)
	}
	code := secret.Digits(6)
	if err := d.Store.SaveDoorCode(ctx, ps.ID, "collect", DoorCode{Hash: d.codeHash(ps.ID, "collect", code), ExpiresAt: now.Add(DoorCodeTTL)}, now); err != nil {
		return err
	}
	phone, err := d.Box.Open(ps.PhoneEnc, []byte(SealPhone))
	if err != nil {
		return errs.Wrapf(errs.Internal, err, "mở số điện thoại")
	}
	if err := s.Store.InsertAudit(ctx, u.ID, AuditDropoffCode, p.Number, "", now); err != nil {
		return err
	}
	return d.SMS.Send(ctx, string(phone), fmt.Sprintf("Ma xac nhan %s de nop ho so tai quay buu cuc %s. Chi doc ma cho nhan vien buu cuc.", code, p.Number))
}

// ScanType is the content type the bytes show, or "" when not accepted.
func ScanType(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png"
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return "image/jpeg"
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return "application/pdf"
	}
	return ""
}

// SaveScan keeps the scan of one document line, sealed with the data key;
// the event later names it by its SHA-256. A line scanned again keeps both:
// the collection names the latest.
func (s *Dropoff) SaveScan(ctx context.Context, u User, number string, line int, body []byte) (Scan, error) {
	p, err := s.parcel(ctx, u, number)
	if err != nil {
		return Scan{}, err
	}
	return s.keepScan(ctx, u, p, line, body)
}

// SaveDoorScan keeps the scan a courier took at the door of a stop on their
// route (base64, as the courier app sends it); the collection event names
// it by its SHA-256 and the server checks it is kept before accepting it.
func (s *Dropoff) SaveDoorScan(ctx context.Context, u User, number string, line int, b64 string) (Scan, error) {
	ps, err := s.Devices.Store.ParcelSecret(ctx, strings.ToUpper(strings.TrimSpace(number)))
	if err != nil {
		return Scan{}, err
	}
	if !OnStop(u, ps.Holder, ps.Courier, ps.Receiver) {
		return Scan{}, errs.E(errs.Forbidden, "bưu gửi %s không thuộc tuyến của bạn", number)
	}
	p, err := s.Store.FindParcelByNumber(ctx, ps.Number)
	if err != nil {
		return Scan{}, err
	}
	if p.Leg != tracking.LegPickup || p.Custodian.Kind != tracking.PartyCitizen {
		return Scan{}, errs.E(errs.Conflict, "hồ sơ %s đã được nhận: không thêm ảnh quét", p.Number)
	}
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return Scan{}, errs.E(errs.Invalid, "Ảnh quét không hợp lệ").WithFields(map[string]string{"data": "ảnh mã hóa base64"})
	}
	return s.keepScan(ctx, u, p, line, raw)
}

// keepScan checks a scan (its line, size, type by its bytes) and keeps it
// sealed with the data key, audited in the same transaction.
func (s *Dropoff) keepScan(ctx context.Context, u User, p Parcel, line int, body []byte) (Scan, error) {
	f := errs.Fields{}
	field := fmt.Sprintf("scan_%d", line)
	ct := ScanType(body)
	switch {
	case line < 1 || line > len(p.Documents):
		return Scan{}, errs.E(errs.Invalid, "Không có dòng giấy tờ %d.", line).WithFields(map[string]string{"line": "Không có dòng giấy tờ này"})
	case len(body) == 0:
		f.Add(field, "Chọn ảnh chụp hoặc tệp quét của giấy tờ")
	case len(body) > MaxScanBytes:
		f.Add(field, fmt.Sprintf("Tệp lớn quá %d MB: chụp lại với độ phân giải thấp hơn", MaxScanBytes>>20))
	case ct == "":
		f.Add(field, "Chỉ nhận ảnh JPEG, PNG hoặc tệp PDF")
	}
	if err := f.Err(errs.Invalid, "Ảnh quét không hợp lệ"); err != nil {
		return Scan{}, err
	}
	sum := sha256.Sum256(body)
	sc := Scan{SHA256: hex.EncodeToString(sum[:]), ParcelID: p.ID, Line: line, ContentType: ct, Size: len(body), By: u.ID, At: s.Now().UTC()}
	sealed := s.Box.Seal(body, []byte(ScanSeal+p.ID))
	err := s.Ledger.Tx.InTx(ctx, func(ctx context.Context) error {
		if err := s.Store.SaveScan(ctx, sc, sealed); err != nil {
			return err
		}
		return s.Store.InsertAudit(ctx, u.ID, AuditDropoffScan, p.Number, fmt.Sprintf("dòng %d, %s, %d byte, sha256 %s", line, ScanTypes[ct], len(body), sc.SHA256[:12]), sc.At)
	})
	if err != nil {
		return Scan{}, err
	}
	return sc, nil
}

// latestScans is the latest scan of each line.
func latestScans(scans []Scan) map[int]Scan {
	out := map[int]Scan{}
	for _, sc := range scans {
		if cur, ok := out[sc.Line]; !ok || sc.At.After(cur.At) {
			out[sc.Line] = sc
		}
	}
	return out
}

// Record takes the papers at the counter: every line stated with its
// disposition, the seal, the citizen's proof checked by the server. The
// collection is one ledger event (citizen → office, EMA) with the clerk
// named; the door receipt is signed in the same transaction; a scheduled
// home visit drops out of the courier's route because the request is no
// longer waiting. Bad input changes nothing.
func (s *Dropoff) Record(ctx context.Context, u User, in DropoffInput) (Parcel, error) {
	p, err := s.parcel(ctx, u, in.Number)
	if err != nil {
		return Parcel{}, err
	}
	scans, err := s.Store.FindScans(ctx, p.ID)
	if err != nil {
		return Parcel{}, err
	}
	latest := latestScans(scans)
	counts, short, seal, reason, err := checkDropoff(p, in, func(line int) (string, bool) { sc, ok := latest[line]; return sc.SHA256, ok })
	if err != nil {
		return Parcel{}, err
	}
	secretValue := strings.TrimSpace(in.Secret)
	eventID := strings.ToLower(strings.TrimSpace(in.EventID))
	if _, err := uuid.Parse(eventID); err != nil || len(eventID) != 36 {
		eventID = s.NewID()
	}
	// The citizen's proof, checked by the server itself: the clerk's word
	// is never taken for it.
	d := s.Devices
	ps, err := d.Store.ParcelSecret(ctx, p.Number)
	if err != nil {
		return Parcel{}, err
	}
	now := s.Now()
	proof := &tracking.Proof{Method: in.Method, Commit: tracking.ProofCommit(eventID, secretValue), CheckedBy: tracking.CheckedByServer}
	var use *CodeUse
	switch in.Method {
	case tracking.ProofDoorCode:
		if err := d.checkCode(ctx, ps, "collect", secretValue, eventID, now, now); err != nil {
			return Parcel{}, err
		}
		use = &CodeUse{ParcelID: ps.ID, Purpose: "collect", EventID: eventID}
	case tracking.ProofIDDigits:
		if err := d.checkID(ctx, ps, tracking.ProofIDDigits, secretValue, now); err != nil {
			return Parcel{}, err
		}
		proof.Digits = len(secretValue)
	}
	clerk := u.StaffCode
	if clerk == "" {
		clerk = u.Username
	}
	data, err := tracking.MarshalData(tracking.Collected{Documents: counts, SealID: seal, Proof: proof, Partial: short,
		PartialReason: map[bool]string{true: reason}[short], Clerk: clerk})
	if err != nil {
		return Parcel{}, err
	}
	err = s.Ledger.Tx.InTx(ctx, func(ctx context.Context) error {
		if _, _, err := s.Ledger.RecordByNumber(ctx, p.Number, EventInput{ID: eventID, Type: tracking.PickupCollected, Actor: u.Party(),
			Data: data, UseCode: use, By: u.ID}); err != nil {
			return err
		}
		return s.Store.InsertAudit(ctx, u.ID, AuditDropoffReceived, p.Number, fmt.Sprintf("niêm phong %s; %s", seal, tracking.DispositionText(counts)), now)
	})
	if err != nil {
		return Parcel{}, err
	}
	return s.Store.FindParcelByNumber(ctx, p.Number)
}

// Check checks a drop-off as the clerk filled it without writing anything
// and without the citizen's proof: the web form runs it before keeping the
// scans it carries, so a form with mistakes keeps nothing. uploading names
// the lines that carry a new scan.
func (s *Dropoff) Check(ctx context.Context, u User, in DropoffInput, uploading map[int]bool) error {
	p, err := s.parcel(ctx, u, in.Number)
	if err != nil {
		return err
	}
	scans, err := s.Store.FindScans(ctx, p.ID)
	if err != nil {
		return err
	}
	latest := latestScans(scans)
	_, _, _, _, err = checkDropoff(p, in, func(line int) (string, bool) {
		if uploading[line] {
			return strings.Repeat("0", 64), true
		}
		sc, ok := latest[line]
		return sc.SHA256, ok
	})
	return err
}

// checkDropoff checks every field of a drop-off but the proof's value:
// each line's disposition, count and condition, a scan for a scanned line
// (scan gives the kept scan of a line), the seal, a reason when an
// original is short, a proof method with a value of the right shape.
func checkDropoff(p Parcel, in DropoffInput, scan func(line int) (string, bool)) (counts []tracking.DocCount, short bool, seal, reason string, err error) {
	f := errs.Fields{}
	byLine := map[int]DropoffLine{}
	for _, l := range in.Lines {
		if l.Line < 1 || l.Line > len(p.Documents) {
			return nil, false, "", "", errs.E(errs.Invalid, "Không có dòng giấy tờ %d.", l.Line)
		}
		byLine[l.Line] = l
	}
	counts = make([]tracking.DocCount, 0, len(p.Documents))
	for i, doc := range p.Documents {
		n := i + 1
		l, ok := byLine[n]
		key := func(k string) string { return fmt.Sprintf("%s_%d", k, n) }
		if !ok || l.Disposition == "" || !l.Disposition.Valid() {
			f.Add(key("disposition"), "Chọn một trong bốn cách: bản gốc gửi đi, xem rồi trả lại, quét và lưu, hoặc không cần")
			continue
		}
		c := tracking.DocCount{Line: n, Kind: string(doc.Kind), Disposition: l.Disposition, Condition: tracking.ConditionGood}
		if l.Disposition == tracking.DispositionOriginal {
			if !tracking.Conditions.Has(l.Condition) {
				f.Add(key("condition"), "Chọn tình trạng giấy tờ")
			}
			if l.Count < 0 || l.Count > tracking.MaxDocumentCopy {
				f.Add(key("count"), fmt.Sprintf("Số bản từ 0 đến %d", tracking.MaxDocumentCopy))
			}
			c.Count, c.Condition = l.Count, l.Condition
			if l.Condition == tracking.ConditionMissing {
				c.Count = 0
			}
			if c.Count < doc.Count {
				short = true
			}
		}
		if l.Disposition == tracking.DispositionScanned {
			sha, ok := scan(n)
			if !ok {
				f.Add(key("scan"), "Tải lên ảnh quét của giấy tờ này trước khi xác nhận")
			}
			c.ScanSHA256 = sha
		}
		counts = append(counts, c)
	}
	seal = strings.ToUpper(strings.TrimSpace(in.SealID))
	if !utf8.ValidString(seal) || !tracking.ValidSealID(seal) {
		f.Add("seal_id", "Nhập mã niêm phong in trên túi (3–40 chữ in hoa, số hoặc dấu gạch)")
	}
	reason = strings.TrimSpace(vntext.NFC(strings.ToValidUTF8(in.PartialReason, "")))
	switch {
	case short && reason == "":
		f.Add("partial_reason", "Thiếu bản gốc so với danh sách: ghi lý do (ví dụ công dân chưa mang)")
	case utf8.RuneCountInString(reason) > 500:
		f.Add("partial_reason", "Lý do dài tối đa 500 ký tự")
	}
	secretValue := strings.TrimSpace(in.Secret)
	switch in.Method {
	case tracking.ProofDoorCode:
		if len(secretValue) != 6 || strings.Trim(secretValue, "0123456789") != "" {
			f.Add("secret", "Nhập 6 chữ số công dân đọc từ tin nhắn")
		}
	case tracking.ProofIDDigits:
		if (len(secretValue) != 3 && len(secretValue) != 12) || strings.Trim(secretValue, "0123456789") != "" {
			f.Add("secret", "Nhập 3 số cuối hoặc đủ 12 số trên CCCD của công dân")
		}
	default:
		f.Add("method", "Chọn cách công dân xác nhận: mã gửi đến điện thoại hoặc số CCCD")
	}
	return counts, short, seal, reason, f.Err(errs.Invalid, "Kiểm tra lại các ô được đánh dấu")
}

// scanFinder is the store's list of kept scans (the PostgreSQL store has
// it; a store without it cannot accept a scanned line).
type scanFinder interface {
	FindScans(ctx context.Context, parcelID string) ([]Scan, error)
}

// checkScans checks, for a collection at the door, that every line marked
// scanned names a scan the server keeps for that parcel and line: the
// device's word is never taken for it. Missing, the event waits for the
// scan like a signature image (pending evidence).
func (d *Devices) checkScans(ctx context.Context, ps ParcelSecret, in *Incoming) error {
	var data struct {
		Documents []tracking.DocCount `json:"documents"`
	}
	if err := json.Unmarshal(in.Event.Data, &data); err != nil {
		return nil // the rules refuse malformed data with their own message
	}
	var need []tracking.DocCount
	for _, c := range data.Documents {
		if c.Disposition == tracking.DispositionScanned && c.ScanSHA256 != "" {
			need = append(need, c)
		}
	}
	if len(need) == 0 {
		return nil
	}
	sf, ok := d.Store.(scanFinder)
	if !ok {
		return errs.E(errs.Internal, "no scan store")
	}
	scans, err := sf.FindScans(ctx, ps.ID)
	if err != nil {
		return err
	}
	kept := map[string]int{}
	for _, sc := range scans {
		kept[sc.SHA256] = sc.Line
	}
	for _, c := range need {
		if line, ok := kept[strings.ToLower(c.ScanSHA256)]; !ok || line != c.Line {
			in.EvidencePending = true
			return errs.E(errs.NotFound, "máy chủ chưa nhận được ảnh quét giấy tờ dòng %d của bưu gửi %s: gửi ảnh trước sự kiện", c.Line, ps.Number).
				WithFields(map[string]string{fmt.Sprintf("data.documents[%d].scan_sha256", c.Line-1): "chưa có ảnh quét với mã này"})
		}
	}
	return nil
}
