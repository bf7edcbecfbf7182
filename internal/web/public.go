package web

import (
	"crypto/hmac"
	_ "embed"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/vntext"
	"hoso/tracking"
)

//go:embed openapi.json
var openapiJSON []byte

func (s *Server) openapi(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(openapiJSON)
}

// OpenAPI returns the API document served at /api/v1/openapi.json.
func OpenAPI() []byte { return openapiJSON }

func errMessage(err error) string {
	if m := errs.MessageOf(err); m != "" {
		return m
	}
	return "lỗi hệ thống"
}

func (s *Server) home(c *fiber.Ctx) error {
	return s.page(c, "home", "Thu gom hồ sơ và trả kết quả tại nhà", nil)
}

// notFoundNumber is the one answer for unknown and malformed numbers.
func notFoundNumber() error {
	return errs.E(errs.NotFound, "Không tìm thấy hồ sơ với số hiệu bưu gửi này. Kiểm tra lại 13 ký tự in trên giấy biên nhận hoặc trong tin nhắn (ví dụ EA 123 456 785 VN).")
}

// publicParcel finds a parcel by a number typed by anyone; malformed and
// unknown numbers are the same not found.
func (s *Server) publicParcel(c *fiber.Ctx, raw string) (app.Parcel, error) {
	n, err := tracking.ParseTyped(raw)
	if err != nil {
		return app.Parcel{}, notFoundNumber()
	}
	p, err := s.d.Intake.ParcelByNumber(c.UserContext(), n.String())
	if errs.Is(err, errs.NotFound) {
		return app.Parcel{}, notFoundNumber()
	}
	return p, err
}

type trackSearchPage struct {
	Number, Dossier, Last4 string
	Error                  string
	Results                []app.Parcel
}

func (s *Server) trackSearch(c *fiber.Ctx) error {
	q := trackSearchPage{Number: strings.TrimSpace(c.Query("so")), Dossier: vntext.NFC(c.Query("ma_ho_so")), Last4: strings.TrimSpace(c.Query("so_cuoi"))}
	switch {
	case q.Number != "":
		if _, err := s.publicView(c, q.Number); err != nil {
			if !errs.Is(err, errs.NotFound) {
				return err
			}
			q.Error = "Không tìm thấy hồ sơ với số hiệu bưu gửi này. Kiểm tra lại 13 ký tự in trên giấy biên nhận hoặc trong tin nhắn."
			return s.pageStatus(c, fiber.StatusNotFound, "track_search", s.viewFor(c, "Tra cứu hồ sơ", q))
		}
		n, _ := tracking.ParseTyped(q.Number)
		return c.Redirect("/tra-cuu/"+n.String(), fiber.StatusSeeOther)
	case q.Dossier != "" || q.Last4 != "":
		if q.Dossier == "" || len(q.Last4) != app.ProofDigits || strings.Trim(q.Last4, "0123456789") != "" || len([]rune(q.Dossier)) > tracking.MaxCode {
			q.Error = "Nhập mã hồ sơ và đúng 4 chữ số cuối của số điện thoại."
			return s.pageStatus(c, fiber.StatusBadRequest, "track_search", s.viewFor(c, "Tra cứu hồ sơ", q))
		}
		// The digits prove the parcels they match, like the form on a
		// parcel's page, and wrong ones count the same.
		ip := s.clientIP(c)
		if blocked, wait := s.proof.blocked(ip); blocked {
			c.Set(fiber.HeaderRetryAfter, itoa(int(wait.Seconds())+1))
			q.Error = "Đã nhập sai quá nhiều lần. Vui lòng thử lại sau."
			return s.pageStatus(c, fiber.StatusTooManyRequests, "track_search", s.viewFor(c, "Tra cứu hồ sơ", q))
		}
		ps, err := s.d.Intake.DossierParcels(c.UserContext(), q.Dossier, 20)
		if err != nil {
			return err
		}
		for _, p := range ps {
			err := s.d.Proof.Check(c.UserContext(), p.Number, q.Last4, "")
			if err == nil {
				q.Results = append(q.Results, p)
			} else if k := errs.KindOf(err); k != errs.Invalid && k != errs.RateLimited {
				return err
			}
		}
		if len(q.Results) == 0 {
			s.proof.allow(ip)
			q.Error = "Không tìm thấy hồ sơ khớp với mã hồ sơ và số điện thoại."
			return s.pageStatus(c, fiber.StatusNotFound, "track_search", s.viewFor(c, "Tra cứu hồ sơ", q))
		}
		s.grantDetails(c, q.Results[0].Number)
		if len(q.Results) == 1 {
			return c.Redirect("/tra-cuu/"+q.Results[0].Number, fiber.StatusSeeOther)
		}
	}
	return s.page(c, "track_search", "Tra cứu hồ sơ", q)
}

// trackPage is a parcel's public page: status, holder by role and the
// steps for anyone; the details for signed-in staff, the citizen whose
// request flow made it, and a visitor who proved it with the form.
type trackPage struct {
	T       publicTimeline
	Details bool
	Error   string
	// Created is set when a clerk lands here after making the request: the
	// page then says so and offers the next request.
	Created bool
}

func (s *Server) trackPage(c *fiber.Ctx) error {
	e, err := s.publicView(c, c.Params("number"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	_, staff := c.Locals(localUser).(app.User)
	return s.page(c, "track", "Hồ sơ "+e.t.Number, trackPage{T: e.t, Details: s.canSeeDetails(c, e), Created: staff && c.Query("moi") == "1"})
}

// trackShort is the short tracking link every status SMS carries: it sends
// to the parcel's page; a number it cannot read is the one not found.
func (s *Server) trackShort(c *fiber.Ctx) error {
	raw := c.Params("number")
	if u, err := url.PathUnescape(raw); err == nil {
		raw = u
	}
	n, err := tracking.ParseTyped(raw)
	if err != nil {
		return notFoundNumber()
	}
	return c.Redirect("/tra-cuu/"+n.String(), fiber.StatusMovedPermanently)
}

// trackProve checks the form of a parcel's page (the phone's last four
// digits or a receipt code) and opens the details for this browser.
func (s *Server) trackProve(c *fiber.Ctx) error {
	e, err := s.publicView(c, c.Params("number"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	if err := s.checkProof(c, e, c.FormValue("so_cuoi"), c.FormValue("ma_bien_nhan")); err != nil {
		status, kind, msg, _ := classify(err)
		if kind != errs.Invalid && kind != errs.RateLimited {
			return err
		}
		if kind == errs.Invalid {
			status = fiber.StatusUnprocessableEntity
			if fs := errs.FieldsOf(err); fs["proof"] != "" {
				msg = fs["proof"]
			}
		}
		return s.pageStatus(c, status, "track", s.viewFor(c, "Hồ sơ "+e.t.Number, trackPage{T: e.t, Error: msg}))
	}
	s.grantDetails(c, e.t.Number)
	return c.Redirect("/tra-cuu/"+e.t.Number+"#chi-tiet", fiber.StatusSeeOther)
}

// checkProof checks a proof within the client address's budget of wrong
// ones (in this instance) and the parcel's (in all).
func (s *Server) checkProof(c *fiber.Ctx, e *publicEntry, last4, receipt string) error {
	ip := s.clientIP(c)
	if blocked, wait := s.proof.blocked(ip); blocked {
		c.Set(fiber.HeaderRetryAfter, itoa(int(wait.Seconds())+1))
		return errs.E(errs.RateLimited, "Đã nhập sai thông tin xác minh quá nhiều lần. Vui lòng thử lại sau %s phút.", itoa(int(wait.Minutes())+1))
	}
	err := s.d.Proof.Check(c.UserContext(), e.t.Number, last4, receipt)
	switch {
	case errs.Is(err, errs.Invalid):
		s.proof.allow(ip)
	case errs.Is(err, errs.RateLimited):
		setRetryAfter(c, err)
	}
	return err
}

// proofTTL is how long a proof opens a parcel's details in one browser.
const proofTTL = 30 * time.Minute

// proofsPerHour is how many wrong proofs one client address may make in an
// hour.
const proofsPerHour = 10

func (s *Server) proofMAC(number string, exp int64) string {
	return s.d.Auth.CSRFToken("track\x00" + number + "\x00" + strconv.FormatInt(exp, 10))[:32]
}

// grantDetails remembers in a cookie (signed, for one number, 30 minutes)
// that this browser proved a parcel.
func (s *Server) grantDetails(c *fiber.Ctx, number string) {
	exp := s.d.Now().Add(proofTTL)
	s.setCookie(c, "xem", number+"."+strconv.FormatInt(exp.Unix(), 10)+"."+s.proofMAC(number, exp.Unix()), exp)
}

func (s *Server) hasProof(c *fiber.Ctx, number string) bool {
	parts := strings.Split(c.Cookies(s.cookieName("xem")), ".")
	if len(parts) != 3 || parts[0] != number {
		return false
	}
	exp, err := strconv.ParseInt(parts[1], 10, 64)
	if err != nil || s.d.Now().Unix() > exp {
		return false
	}
	return hmac.Equal([]byte(parts[2]), []byte(s.proofMAC(number, exp)))
}

// canSeeDetails: signed-in staff, the citizen whose request flow made the
// parcel, or a browser that proved it.
func (s *Server) canSeeDetails(c *fiber.Ctx, e *publicEntry) bool {
	if _, ok := c.Locals(localUser).(app.User); ok {
		return true
	}
	if s.hasProof(c, e.t.Number) {
		return true
	}
	if c.Cookies(s.cookieName("f")) != "" {
		if f, _, err := s.flow(c); err == nil && f.ParcelID == e.id {
			return true
		}
	}
	return false
}

type trackJSONBody struct {
	TrackingNumber string          `json:"tracking_number"`
	Leg            tracking.Leg    `json:"leg"`
	Status         tracking.Status `json:"status"`
	StatusLabel    string          `json:"status_label"`
	Details        bool            `json:"details"` // the proof was given: the fields below are present
	DossierCode    string          `json:"dossier_code,omitempty"`
	Procedure      string          `json:"procedure,omitempty"`
	Desk           string          `json:"desk"`
	LegalDeadline  string          `json:"legal_deadline,omitempty"`
	Citizen        *citizenJSON    `json:"citizen,omitempty"`
	Documents      string          `json:"documents,omitempty"`
	Holder         string          `json:"holder"`
	HolderPhone    string          `json:"holder_phone,omitempty"` // the office or desk holding the papers (the desk while they are at home)
	Hotline        string          `json:"hotline"`
	Problem        *problemJSON    `json:"problem,omitempty"`        // what is wrong now and what to do, first on the page
	Fee            int64           `json:"fee_to_prepare,omitempty"` // with a proof: đồng to pay when the result is delivered
	ReceiptURL     string          `json:"receipt_url,omitempty"`    // with a proof: the door receipt's check page
	Next           nextJSON        `json:"next"`
	Timeline       []timelineJSON  `json:"timeline"`

	// Complaints: with a proof, the citizen's complaints and their answers.
	Complaints []complaintJSON `json:"complaints,omitempty"`
	// Dates: with a proof, the appointment date and the working days left
	// (the desk's calendar and Saturday rule), as the page shows them.
	Dates *datesJSON `json:"dates,omitempty"`
	ETA   *etaJSON   `json:"eta,omitempty"` // with a proof: when the courier should come, from the plan
}

type problemJSON struct {
	Title  string `json:"title"`
	Detail string `json:"detail,omitempty"` // with a proof
	ToDo   string `json:"what_to_do"`
}

// trackJSON answers the public timeline; with phone_last4 or receipt_code
// (checked and counted like the page's form) the details too.
func (s *Server) trackJSON(c *fiber.Ctx) error {
	e, err := s.publicView(c, c.Params("tracking_number"))
	if err != nil {
		return err
	}
	body := e.pub
	if last4, code := c.Query("phone_last4"), c.Query("receipt_code"); last4 != "" || code != "" {
		if err := s.checkProof(c, e, last4, code); err != nil {
			return err
		}
		body = e.json
	}
	// The cached bytes are copied into the response: nothing after the
	// handler may change the cache's copy.
	c.Response().SetBody(body)
	c.Response().Header.SetContentType(fiber.MIMEApplicationJSON)
	return nil
}

type communeJSON struct {
	Code         string `json:"code"`
	Name         string `json:"name"`
	FullName     string `json:"full_name"`
	ProvinceCode string `json:"province_code"`
	Province     string `json:"province"`
}

func (s *Server) communesJSON(c *fiber.Ctx) error {
	q := c.Query("q")
	if len([]rune(q)) > 100 {
		return errs.E(errs.Invalid, "Từ khóa quá dài").WithFields(map[string]string{"q": "tối đa 100 ký tự"})
	}
	res := s.d.Units.Search(q, c.Query("province"), 20)
	out := make([]communeJSON, len(res))
	for i, r := range res {
		p, _ := s.d.Units.Province(r.ProvinceCode)
		out[i] = communeJSON{Code: r.Code, Name: r.Name, FullName: r.FullName, ProvinceCode: r.ProvinceCode, Province: p.FullName}
	}
	c.Set(fiber.HeaderCacheControl, "public, max-age=3600")
	return c.JSON(out)
}

// datesJSON is the dossier's dates in working days.
type datesJSON struct {
	LegalDeadline   string `json:"legal_deadline,omitempty"`
	LegalLeft       *int   `json:"legal_working_days_left,omitempty"` // negative: passed
	Appointment     string `json:"appointment_date,omitempty"`        // set by the desk at acceptance
	AppointmentLeft *int   `json:"appointment_working_days_left,omitempty"`
	Done            bool   `json:"done"` // the journey ended: no countdown
}

func datesBody(d *deadlineView) *datesJSON {
	if d == nil || (d.Legal == nil && d.Appointment == nil) {
		return nil
	}
	out := &datesJSON{Done: d.Done}
	if d.Legal != nil {
		out.LegalDeadline = d.Legal.Format("2006-01-02")
		if !d.Done {
			n := d.LegalLeft
			out.LegalLeft = &n
		}
	}
	if d.Appointment != nil {
		out.Appointment = d.Appointment.Format("2006-01-02")
		if !d.Done {
			n := d.AppointmentLeft
			out.AppointmentLeft = &n
		}
	}
	return out
}
