package web

import (
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/receipts"
	"hoso/internal/vntext"
	"hoso/tracking"
)

// receiptLineView is one document line on the verification page.
type receiptLineView struct {
	Line          int
	Name          string
	Kind          string
	Listed, Count int
	Short         bool
}

// receiptPage is what anyone with a receipt code may see: what was handed
// over, when, to whom by role and office, and whether the receipt is
// genuine. Initials and a masked phone only.
type receiptPage struct {
	Code     string
	Signed   bool
	Genuine  bool
	Problem  string
	Title    string
	Delivery bool
	// The parcel, for a code whose papers are not collected yet too.
	Number, StatusLabel      string
	Status                   tracking.Status
	Cancelled                bool
	Dossier, Procedure, Desk string
	Initials, Phone          string
	// What the signed receipt states.
	Lines            []receiptLineView
	Summary          string
	At, RecordedAt   time.Time
	RecordedLater    bool
	Office, Courier  string
	Seal             string
	Partial          bool
	Note             string
	Verification     string
	Authorisation    bool
	Proof            string // which server-checked proof backs the confirmation
	Fee              int64
	SignedAt         time.Time
	KeyID, PublicKey string
	// The transparency log: the proof checked on this view, or why there is
	// none yet.
	LogProved    bool
	LogIndex     int64
	LogSize      int64
	LogSignedAt  time.Time
	LogWitnesses []string
	LogPending   string
	LogKey       string
}

// receiptSearchPage is the form to type a code from paper.
type receiptSearchPage struct {
	Code  string
	Error string
}

// receiptSearch shows the form, or sends a typed code to its page.
func (s *Server) receiptSearch(c *fiber.Ctx) error {
	raw := strings.TrimSpace(c.Query("ma"))
	if raw == "" {
		return s.page(c, "receipt_search", "Kiểm tra giấy biên nhận", receiptSearchPage{})
	}
	code, ok := tracking.ParseReceiptCode(raw)
	if !ok {
		return s.pageStatus(c, fiber.StatusBadRequest, "receipt_search", s.viewFor(c, "Kiểm tra giấy biên nhận",
			receiptSearchPage{Code: raw, Error: "Mã biên nhận gồm 10 chữ và số, in dưới mã QR, ví dụ 7Q3MX-K2D9P."}))
	}
	return c.Redirect("/bien-nhan/"+code, fiber.StatusSeeOther)
}

// receiptShow verifies a receipt: the page, or with ".json" (or
// ?dinh-dang=json) the signed document to check offline. Unknown and
// malformed codes are the same 404.
func (s *Server) receiptShow(c *fiber.Ctx) error {
	raw := c.Params("code")
	asJSON := c.Query("dinh-dang") == "json"
	if strings.HasSuffix(strings.ToLower(raw), ".json") {
		raw, asJSON = raw[:len(raw)-len(".json")], true
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if asJSON {
		// Errors of the JSON form are JSON too.
		c.Request().Header.Set(fiber.HeaderAccept, fiber.MIMEApplicationJSON)
	}
	rc := s.d.Papers.Receipts
	chk, err := rc.Check(c.UserContext(), raw)
	if err != nil {
		return err
	}
	if asJSON {
		if !chk.Signed {
			return errs.E(errs.Conflict, "Biên nhận %s chưa có hiệu lực: bưu tá chưa nhận hồ sơ.", chk.Code)
		}
		doc := receipts.NewDocument(chk.Receipt, chk.Stored.Signature, chk.Stored.KeyID)
		if chk.Genuine && chk.Proof != nil {
			doc.Proof = string(chk.Proof.Proof.Text())
		}
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
		c.Set(fiber.HeaderContentDisposition, `inline; filename="bien-nhan-`+chk.Code+`.json"`)
		return c.Send(doc.JSON())
	}
	v := receiptPage{Code: chk.Code, Signed: chk.Signed, Genuine: chk.Genuine, Problem: chk.Problem,
		Title: tracking.ReceiptPickup.Label(), KeyID: rc.Signer.KeyID(), PublicKey: rc.PublicKey}
	p := chk.Parcel
	if p.ID != "" {
		if p.Leg == tracking.LegReturn {
			v.Title, v.Delivery = tracking.ReceiptDelivery.Label(), true
		}
		v.Number, v.Status, v.StatusLabel = p.Number, p.Status, p.Status.Label()
		v.Cancelled = p.Status == tracking.StatusCancelled
		v.Dossier, v.Procedure = p.Dossier.Code, p.Dossier.ProcedureName
		v.Initials, v.Phone = vntext.Initials(p.CitizenName), vntext.MaskLast3(p.PhoneLast3)
		if d, err := s.d.Directory.Desk(c.UserContext(), p.DeskCode); err == nil {
			v.Desk = d.Name
		}
	}
	if chk.Signed {
		s.fillReceipt(&v, chk)
		if chk.Genuine && chk.Proof != nil {
			cp := chk.Proof.Checkpoint
			v.LogProved, v.LogIndex, v.LogSize, v.LogSignedAt, v.LogWitnesses = true, chk.Proof.Proof.Index, cp.Size, cp.Time, cp.Witnessed
		}
		v.LogPending = chk.LogPending
		if s.d.TransLog != nil {
			v.LogKey = strings.Join(s.d.TransLog.Policy.LogVkeys(), ", ")
		}
	}
	title := v.Title + " " + v.Code
	return s.page(c, "receipt", title, v)
}

// fillReceipt shows what the signed receipt states (even when it is not
// genuine, so the citizen can compare it with the paper).
func (s *Server) fillReceipt(v *receiptPage, chk app.ReceiptCheck) {
	r := chk.Receipt
	v.Title = chk.Stored.Kind.Label()
	v.Delivery = chk.Stored.Kind == tracking.ReceiptDelivery
	v.SignedAt = chk.Stored.SignedAt
	if r.Code == "" {
		return // the stored content did not even parse
	}
	v.Number, v.Dossier = r.TrackingNumber, r.DossierCode
	v.Procedure = r.Procedure
	if v.Procedure == "" && r.ProcedureCode != "" {
		v.Procedure = "Thủ tục " + r.ProcedureCode
	}
	if r.DeskName != "" {
		v.Desk = r.DeskName
	}
	v.Initials = r.Initials
	for _, d := range r.Documents {
		v.Lines = append(v.Lines, receiptLineView{Line: d.Line, Name: d.Name, Kind: d.Kind.Label(), Listed: d.Listed, Count: d.Count, Short: d.Count < d.Listed})
	}
	v.Summary = r.Summary()
	v.At, v.RecordedAt = r.At, r.RecordedAt
	v.RecordedLater = r.RecordedAt.Sub(r.At) > 10*time.Minute
	v.Office = r.OfficeName
	if v.Office == "" {
		v.Office = r.OfficeCode
	}
	v.Courier = r.CourierCode
	v.Seal, v.Partial, v.Note = r.SealID, r.Partial, r.Note
	v.Verification = tracking.Verifications[r.Verification]
	v.Authorisation = r.Authorisation != ""
	if r.Proof != "" {
		v.Proof = tracking.MethodText(r.Proof, r.Kind == tracking.ReceiptPickup)
	} else {
		v.Proof = "Biên nhận ghi trước khi máy chủ tự kiểm tra bằng chứng xác nhận."
	}
	v.Fee = r.Fee
}

// receiptKey serves the public key receipts are checked with.
func (s *Server) receiptKey(c *fiber.Ctx) error {
	rc := s.d.Papers.Receipts
	c.Set(fiber.HeaderContentType, fiber.MIMETextPlainCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.SendString(rc.PublicKey + "\n" + "key_id " + rc.Signer.KeyID() + "\n")
}
