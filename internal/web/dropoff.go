package web

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

// Counter drop-off (issue 18 item 3): a citizen brings the papers to the
// post office counter instead of a home visit. The clerk finds the request,
// checks every document line with its disposition (Circular 03/2025),
// seals, and the citizen confirms with a code sent to the phone or the CCCD
// number, which the server checks.

const dropoffPath = "/buu-cuc/nop-tai-quay"

func (s *Server) dropoffRoutes(office fiber.Router) {
	office.Get("/nop-tai-quay", s.dropoffFind)
	office.Post("/nop-tai-quay", s.dropoffFindSubmit)
	office.Get("/nop-tai-quay/moi", s.dropoffNewForm)
	office.Post("/nop-tai-quay/moi", s.dropoffNewSubmit)
	office.Get("/nop-tai-quay/:number", s.dropoffForm)
	office.Post("/nop-tai-quay/:number", s.dropoffSubmit)
	office.Post("/nop-tai-quay/:number/ma", s.dropoffCode)
	office.Post("/nop-tai-quay/:number/huy", s.dropoffCancel)
	office.Get("/nop-tai-quay/:number/xong", s.dropoffDone)
}

type dropoffFindPage struct {
	Flash    string
	Ref      string
	Errors   map[string]string
	Summary  []fieldError
	NotFound bool         // offer to make the request at the counter
	Pending  []app.Parcel // requests made at this counter, papers not yet taken
}

func (s *Server) dropoffFind(c *fiber.Ctx) error {
	pg := dropoffFindPage{Flash: s.flashText(c)}
	var err error
	if pg.Pending, err = s.d.Dropoff.Pending(c.UserContext(), currentUser(c)); err != nil {
		return err
	}
	return s.page(c, "counter_dropoff_find", "Nhận hồ sơ tại quầy", pg)
}

func (s *Server) dropoffFindSubmit(c *fiber.Ctx) error {
	ref := c.FormValue("ref")
	p, err := s.d.Dropoff.Find(c.UserContext(), currentUser(c), ref)
	if err != nil {
		if k := errs.KindOf(err); k != errs.Invalid && k != errs.NotFound {
			return err
		}
		pg := dropoffFindPage{Ref: strings.ToValidUTF8(ref, ""), NotFound: errs.KindOf(err) == errs.NotFound}
		pg.Errors, pg.Summary = fieldPage(err, "ref")
		status, _, _, _ := classify(err)
		if pg.Pending, err = s.d.Dropoff.Pending(c.UserContext(), currentUser(c)); err != nil {
			return err
		}
		return s.pageStatus(c, status, "counter_dropoff_find", s.viewFor(c, "Nhận hồ sơ tại quầy", pg))
	}
	return c.Redirect(dropoffPath+"/"+p.Number, fiber.StatusSeeOther)
}

// dropoffLineForm is one document line as the clerk filled it.
type dropoffLineForm struct {
	N           int
	Doc         tracking.Document
	Disposition tracking.Disposition
	Count       string
	Condition   string
	Scan        *app.Scan // the latest kept scan of the line
}

type dropoffPage struct {
	Parcel        app.Parcel
	EventID       string
	Lines         []dropoffLineForm
	SealID        string
	Method        string
	PartialReason string
	Flash         string
	Errors        map[string]string
	Summary       []fieldError
	Dispositions  []tracking.Term[tracking.Disposition]
	Conditions    []struct{ Key, Label string }
	MaxScanMB     int
	CancelReason  string // as typed, when cancelling a counter request failed
}

var dropoffConditions = []struct{ Key, Label string }{{"good", "Nguyên vẹn"}, {"damaged", "Hư hỏng"}, {"missing", "Không mang theo"}}

func (s *Server) dropoffPageFor(c *fiber.Ctx, p app.Parcel, scans []app.Scan) dropoffPage {
	latest := map[int]app.Scan{}
	for _, sc := range scans {
		if cur, ok := latest[sc.Line]; !ok || sc.At.After(cur.At) {
			latest[sc.Line] = sc
		}
	}
	pg := dropoffPage{Parcel: p, EventID: uuid.NewString(), Method: tracking.ProofDoorCode, Dispositions: tracking.Dispositions.Terms(),
		Conditions: dropoffConditions, MaxScanMB: app.MaxScanBytes >> 20, Flash: s.flashText(c)}
	for i, d := range p.Documents {
		l := dropoffLineForm{N: i + 1, Doc: d, Count: strconv.Itoa(d.Count), Condition: "good"}
		if sc, ok := latest[i+1]; ok {
			l.Scan = &sc
		}
		pg.Lines = append(pg.Lines, l)
	}
	return pg
}

func (s *Server) dropoffForm(c *fiber.Ctx) error {
	p, scans, err := s.d.Dropoff.Open(c.UserContext(), currentUser(c), c.Params("number"))
	if err != nil {
		return err
	}
	return s.renderDropoff(c, fiber.StatusOK, s.dropoffPageFor(c, p, scans))
}

func (s *Server) renderDropoff(c *fiber.Ctx, status int, pg dropoffPage) error {
	v := s.viewFor(c, "Nhận hồ sơ tại quầy "+pg.Parcel.Number, pg)
	return s.pageStatus(c, status, "counter_dropoff", v)
}

// dropoffCode texts the citizen the code to read to the clerk.
func (s *Server) dropoffCode(c *fiber.Ctx) error {
	n := c.Params("number")
	if err := s.d.Dropoff.SendCode(c.UserContext(), currentUser(c), n); err != nil {
		return err
	}
	return c.Redirect(dropoffPath+"/"+url.PathEscape(n)+"?"+s.flashQuery(c, "Đã gửi mã 6 chữ số đến điện thoại của công dân. Mời công dân đọc mã khi đã kiểm xong giấy tờ."), fiber.StatusSeeOther)
}

// dropoffCancel cancels a request made at this counter whose papers were
// never taken, with a reason (app.Dropoff.CancelCounter).
func (s *Server) dropoffCancel(c *fiber.Ctx) error {
	ctx, u := c.UserContext(), currentUser(c)
	reason := c.FormValue("cancel_reason")
	p, err := s.d.Dropoff.CancelCounter(ctx, u, c.Params("number"), reason)
	if errs.KindOf(err) == errs.Invalid {
		cur, scans, oerr := s.d.Dropoff.Open(ctx, u, c.Params("number"))
		if oerr != nil {
			return oerr
		}
		pg := s.dropoffPageFor(c, cur, scans)
		pg.Flash, pg.CancelReason = "", strings.ToValidUTF8(reason, "")
		pg.Errors, pg.Summary = fieldPage(err, "cancel_reason")
		return s.renderDropoff(c, fiber.StatusUnprocessableEntity, pg)
	}
	if err != nil {
		return err
	}
	Logger(ctx).Info("counter request cancelled", "user_id", u.ID, "tracking_number", p.Number)
	return c.Redirect(dropoffPath+"?"+s.flashQuery(c, "Đã hủy yêu cầu "+p.Number+". Hồ sơ của công dân không còn bị giữ."), fiber.StatusSeeOther)
}

// readScan reads one uploaded file, at most app.MaxScanBytes+1 bytes of it.
func readScan(fh *multipart.FileHeader) ([]byte, error) {
	f, err := fh.Open()
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(io.LimitReader(f, app.MaxScanBytes+1))
}

func (s *Server) dropoffSubmit(c *fiber.Ctx) error {
	ctx, u := c.UserContext(), currentUser(c)
	p, scans, err := s.d.Dropoff.Open(ctx, u, c.Params("number"))
	if err != nil {
		return err
	}
	pg := s.dropoffPageFor(c, p, scans)
	pg.Flash = ""
	form := func(k string) string { return strings.ToValidUTF8(c.FormValue(k), "") }
	pg.EventID, pg.SealID, pg.Method, pg.PartialReason = form("event_id"), form("seal_id"), form("method"), form("partial_reason")
	in := app.DropoffInput{Number: p.Number, EventID: pg.EventID, SealID: c.FormValue("seal_id"), Method: c.FormValue("method"),
		Secret: c.FormValue("secret"), PartialReason: c.FormValue("partial_reason")}
	ids := []string{"method", "secret", "seal_id", "partial_reason"}
	bad := errs.Fields{}
	mf, _ := c.MultipartForm()
	for i := range pg.Lines {
		l := &pg.Lines[i]
		key := func(k string) string { return fmt.Sprintf("%s_%d", k, l.N) }
		ids = append(ids, key("disposition"), key("count"), key("condition"), key("scan"))
		l.Disposition, l.Count, l.Condition = tracking.Disposition(form(key("disposition"))), form(key("count")), form(key("condition"))
		line := app.DropoffLine{Line: l.N, Disposition: l.Disposition, Condition: tracking.Condition(l.Condition)}
		if l.Disposition == tracking.DispositionOriginal {
			n, err := strconv.Atoi(strings.TrimSpace(l.Count))
			if err != nil {
				bad.Add(key("count"), "Nhập số bản bằng chữ số, từ 0 đến 99")
			}
			line.Count = n
		}
		in.Lines = append(in.Lines, line)
	}
	if err := bad.Err(errs.Invalid, "Kiểm tra lại các ô được đánh dấu"); err != nil {
		return s.dropoffErr(c, pg, err, ids)
	}
	// Every field first, then each scan on its own (size, type by its
	// bytes): a form with a mistake keeps nothing.
	uploading := map[int]bool{}
	if mf != nil {
		for _, l := range pg.Lines {
			if fhs := mf.File[fmt.Sprintf("scan_%d", l.N)]; len(fhs) > 0 && fhs[0].Size > 0 {
				uploading[l.N] = true
			}
		}
	}
	if err := s.d.Dropoff.Check(ctx, u, in, uploading); err != nil {
		return s.dropoffErr(c, pg, err, ids)
	}
	if mf != nil {
		for i := range pg.Lines {
			l := &pg.Lines[i]
			fhs := mf.File[fmt.Sprintf("scan_%d", l.N)]
			if len(fhs) == 0 || fhs[0].Size == 0 {
				continue
			}
			if fhs[0].Size > app.MaxScanBytes {
				return s.dropoffErr(c, pg, errs.E(errs.Invalid, "Tệp quá lớn").WithFields(map[string]string{
					fmt.Sprintf("scan_%d", l.N): fmt.Sprintf("Tệp lớn quá %d MB: chụp lại với độ phân giải thấp hơn", app.MaxScanBytes>>20)}), ids)
			}
			body, err := readScan(fhs[0])
			if err != nil {
				return err
			}
			if app.ScanType(body) == "" || len(body) > app.MaxScanBytes {
				_, err := s.d.Dropoff.SaveScan(ctx, u, p.Number, l.N, body) // refused with its field error
				return s.dropoffErr(c, pg, err, ids)
			}
		}
		for i := range pg.Lines {
			l := &pg.Lines[i]
			fhs := mf.File[fmt.Sprintf("scan_%d", l.N)]
			if len(fhs) == 0 || fhs[0].Size == 0 {
				continue
			}
			body, err := readScan(fhs[0])
			if err != nil {
				return err
			}
			sc, err := s.d.Dropoff.SaveScan(ctx, u, p.Number, l.N, body)
			if err != nil {
				return s.dropoffErr(c, pg, err, ids)
			}
			l.Scan = &sc
		}
	}
	if _, err := s.d.Dropoff.Record(ctx, u, in); err != nil {
		return s.dropoffErr(c, pg, err, ids)
	}
	return c.Redirect(dropoffPath+"/"+p.Number+"/xong", fiber.StatusSeeOther)
}

// dropoffErr re-renders the form with the errors beside their fields and
// everything typed kept (never the code or CCCD digits).
func (s *Server) dropoffErr(c *fiber.Ctx, pg dropoffPage, err error, ids []string) error {
	var e *errs.Error
	if !errors.As(err, &e) {
		return err
	}
	switch e.Kind {
	case errs.Invalid, errs.Unprocessable, errs.RateLimited:
	case errs.Conflict:
		if len(errs.FieldsOf(err)) == 0 {
			return err
		}
	default:
		return err
	}
	pg.Errors, pg.Summary = fieldPage(err, ids...)
	status, _, _, _ := classify(err)
	return s.renderDropoff(c, status, pg)
}

type dropoffDonePage struct {
	Parcel  app.Parcel
	Carried int
	Kept    string
}

// dropoffDone: the papers are at the office; print the receipt.
func (s *Server) dropoffDone(c *fiber.Ctx) error {
	u := currentUser(c)
	n, err := tracking.ParseTyped(c.Params("number"))
	if err != nil {
		return errs.E(errs.NotFound, "Không có bưu gửi này.")
	}
	rec, err := s.d.StaffParcels.Record(c.UserContext(), u, n.String())
	if err != nil {
		return err
	}
	p := rec.Parcel
	if p.Custodian != u.Party() && p.Status != tracking.StatusAtOffice {
		return c.Redirect(dropoffPath+"/"+p.Number, fiber.StatusSeeOther)
	}
	pg := dropoffDonePage{Parcel: p, Kept: tracking.DispositionText(p.Collected)}
	for _, c := range p.Collected {
		pg.Carried += c.Count
	}
	return s.page(c, "counter_dropoff_done", "Đã nhận hồ sơ tại quầy", pg)
}

type scanRequest struct {
	TrackingNumber string `json:"tracking_number"`
	Line           int    `json:"line"`
	Data           string `json:"data"` // base64 of a JPEG, PNG or PDF
}

// courierScan keeps the scan of a document line taken at the door
// (Circular 03/2025); the collection event names it by its SHA-256.
func (s *Server) courierScan(c *fiber.Ctx) error {
	var req scanRequest
	if err := decodeJSON(c.Body(), &req); err != nil {
		return err
	}
	sc, err := s.d.Dropoff.SaveDoorScan(c.UserContext(), currentUser(c), req.TrackingNumber, req.Line, req.Data)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(fiber.Map{"sha256": sc.SHA256, "line": sc.Line, "content_type": sc.ContentType})
}
