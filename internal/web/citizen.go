package web

import (
	"encoding/base64"
	"errors"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/vntext"
	"hoso/tracking"
)

type startPage struct {
	DossierCode string
	Phone       string
	Errors      map[string]string
	Summary     []fieldError
	Challenge   string // a proof-of-work challenge the page's script solves before sending
	Bits        int
}

func (s *Server) citizenStart(c *fiber.Ctx) error {
	p := startPage{DossierCode: c.Query("ma_ho_so")}
	if err := s.challengeIfNeeded(c, &p); err != nil {
		return err
	}
	return s.citizenStartPage(c, fiber.StatusOK, p)
}

// challengeIfNeeded adds a proof-of-work challenge to the form when the
// client address already asked for its free codes today.
func (s *Server) challengeIfNeeded(c *fiber.Ctx, p *startPage) error {
	need, err := s.d.Citizen.NeedsChallenge(c.UserContext(), s.clientIP(c))
	if err != nil {
		return err
	}
	if need {
		p.Challenge, p.Bits = s.newChallenge(c), s.d.PowBits
	}
	return nil
}

func (s *Server) citizenStartPage(c *fiber.Ctx, status int, p startPage) error {
	v := s.viewFor(c, "Yêu cầu thu gom hồ sơ tại nhà", p)
	if p.Challenge != "" {
		v.Script = []string{"js/pow.js"}
	}
	return s.pageStatus(c, status, "citizen_start", v)
}

func fieldPage(err error, ids ...string) (map[string]string, []fieldError) {
	m := map[string]string{}
	var sum []fieldError
	fs := errs.FieldsOf(err)
	for _, id := range ids {
		if msg, ok := fs[id]; ok {
			m[id] = msg
			sum = append(sum, fieldError{ID: id, Message: msg})
		}
	}
	if len(sum) == 0 {
		sum = append(sum, fieldError{Message: errMessage(err)})
	}
	return m, sum
}

func (s *Server) citizenStartSubmit(c *fiber.Ctx) error {
	p := startPage{DossierCode: vntext.NFC(c.FormValue("dossier_code")), Phone: strings.TrimSpace(c.FormValue("phone"))}
	req := app.StartRequest{DossierCode: p.DossierCode, Phone: p.Phone, Source: s.clientIP(c)}
	var powErr error
	if ch := c.FormValue("pow_challenge"); ch != "" {
		if powErr = s.checkChallenge(c, ch, c.FormValue("pow_nonce")); powErr == nil {
			req.Challenged = true
		} else if !errs.Is(powErr, errs.Forbidden) {
			return powErr
		}
	}
	tok, err := s.d.Citizen.Start(c.UserContext(), req)
	if errors.Is(err, app.ErrChallenge) {
		// A fresh challenge; the message says why the form came back.
		if powErr != nil {
			err = powErr
		}
		p.Challenge, p.Bits = s.newChallenge(c), s.d.PowBits
		p.Summary = []fieldError{{Message: errMessage(err) + " Trang sẽ tự kiểm tra trong giây lát rồi gửi; trình duyệt cần bật JavaScript."}}
		return s.citizenStartPage(c, fiber.StatusTooManyRequests, p)
	}
	if err != nil {
		k := errs.KindOf(err)
		if k != errs.Invalid && k != errs.RateLimited && k != errs.Unavailable {
			return err
		}
		p.Errors, p.Summary = fieldPage(err, "dossier_code", "phone")
		status := fiber.StatusUnprocessableEntity
		if k == errs.RateLimited {
			status = fiber.StatusTooManyRequests
			setRetryAfter(c, err)
		} else if k == errs.Unavailable {
			status = fiber.StatusServiceUnavailable
		}
		if err := s.challengeIfNeeded(c, &p); err != nil {
			return err
		}
		return s.citizenStartPage(c, status, p)
	}
	s.setCookie(c, "f", tok, time.Now().Add(30*time.Minute))
	return c.Redirect("/yeu-cau/xac-minh", fiber.StatusSeeOther)
}

type verifyPage struct {
	PhoneMasked string
	DossierCode string
	ResendsLeft int    // times the code may still be sent again
	Flash       string // this server's banner after a resend
	Errors      map[string]string
	Summary     []fieldError
	Demo        bool
}

func (s *Server) flow(c *fiber.Ctx) (app.Flow, string, error) {
	tok := c.Cookies(s.cookieName("f"))
	f, err := s.d.Citizen.Flow(c.UserContext(), tok)
	return f, tok, err
}

func (s *Server) flowExpired(c *fiber.Ctx, err error) error {
	if errs.Is(err, errs.NotFound) {
		s.clearCookie(c, "f")
		p := startPage{Summary: []fieldError{{Message: "Phiên yêu cầu đã hết hạn hoặc chưa bắt đầu. Vui lòng nhập lại mã hồ sơ và số điện thoại."}}}
		if err := s.challengeIfNeeded(c, &p); err != nil {
			return err
		}
		return s.citizenStartPage(c, fiber.StatusGone, p)
	}
	return err
}

func (s *Server) verifyPageFor(f app.Flow) verifyPage {
	p := verifyPage{DossierCode: f.DossierCode, Demo: s.d.Demo, ResendsLeft: max(0, app.OTPMaxResends-f.Resends)}
	if phone, err := s.d.Citizen.Phone(f); err == nil {
		p.PhoneMasked = vntext.MaskPhone(phone)
	}
	return p
}

func (s *Server) citizenVerify(c *fiber.Ctx) error {
	f, _, err := s.flow(c)
	if err != nil {
		return s.flowExpired(c, err)
	}
	if f.VerifiedAt != nil {
		return c.Redirect("/yeu-cau/thong-tin", fiber.StatusSeeOther)
	}
	p := s.verifyPageFor(f)
	p.Flash = s.flashText(c)
	return s.page(c, "citizen_verify", "Nhập mã xác nhận", p)
}

func (s *Server) citizenVerifySubmit(c *fiber.Ctx) error {
	f, tok, err := s.flow(c)
	if err != nil {
		return s.flowExpired(c, err)
	}
	err = s.d.Citizen.Verify(c.UserContext(), tok, c.FormValue("code"))
	if err != nil {
		k := errs.KindOf(err)
		if k != errs.Invalid && k != errs.RateLimited {
			return err
		}
		p := s.verifyPageFor(f)
		p.Errors, p.Summary = fieldPage(err, "code")
		status := fiber.StatusUnprocessableEntity
		if k == errs.RateLimited {
			status = fiber.StatusTooManyRequests
		}
		return s.pageStatus(c, status, "citizen_verify", s.viewFor(c, "Nhập mã xác nhận", p))
	}
	// Verifying starts the time to fill the form afresh, cookie included.
	if f, err := s.d.Citizen.Flow(c.UserContext(), tok); err == nil {
		s.setCookie(c, "f", tok, f.ExpiresAt)
	}
	return c.Redirect("/yeu-cau/thong-tin", fiber.StatusSeeOther)
}

// citizenResend sends the code again ("gửi lại mã"), within its limit,
// and goes back to the code page (Post/Redirect/Get).
func (s *Server) citizenResend(c *fiber.Ctx) error {
	f, tok, err := s.flow(c)
	if err != nil {
		return s.flowExpired(c, err)
	}
	if f.VerifiedAt != nil {
		return c.Redirect("/yeu-cau/thong-tin", fiber.StatusSeeOther)
	}
	left, err := s.d.Citizen.Resend(c.UserContext(), tok, s.clientIP(c))
	if err != nil {
		k := errs.KindOf(err)
		if k != errs.RateLimited && k != errs.Unavailable {
			return err
		}
		p := s.verifyPageFor(f)
		p.Summary = []fieldError{{Message: errMessage(err)}}
		status := fiber.StatusTooManyRequests
		if k == errs.Unavailable {
			status = fiber.StatusServiceUnavailable
		} else {
			setRetryAfter(c, err)
		}
		return s.pageStatus(c, status, "citizen_verify", s.viewFor(c, "Nhập mã xác nhận", p))
	}
	if f, err := s.d.Citizen.Flow(c.UserContext(), tok); err == nil {
		s.setCookie(c, "f", tok, f.ExpiresAt)
	}
	msg := "Đã gửi mã mới. Mã cũ không dùng được nữa."
	if left == 0 {
		msg += " Đây là lần gửi lại cuối cùng."
	} else {
		msg += " Còn " + itoa(left) + " lần gửi lại."
	}
	return c.Redirect("/yeu-cau/xac-minh?"+s.flashQuery(c, msg), fiber.StatusSeeOther)
}

// citizenForm starts the details form of a verified flow, pre-filled from
// what the portal already sent for the dossier.
func (s *Server) citizenForm(c *fiber.Ctx, f app.Flow) (pickupForm, error) {
	form := pickupForm{Mode: "citizen", Action: "/yeu-cau/thong-tin", DossierCode: f.DossierCode}
	if phone, err := s.d.Citizen.Phone(f); err == nil {
		form.PhoneMasked = vntext.MaskPhone(phone)
		form.Phone = phone
	}
	// Only the citizen's own earlier request: the phone they proved must be
	// the dossier's (no phone hash, no pre-fill: a zero filter matches all).
	if len(f.PhoneHash) == 0 {
		return form, nil
	}
	d, docs, ok, err := s.d.Intake.Prefill(c.UserContext(), f.DossierCode, app.PrefillFilter{PhoneHash: f.PhoneHash}, false)
	if err != nil {
		return form, err
	}
	if ok {
		form.Prefilled = true
		form.Desk = d.DeskCode
		form.ProcedureName = d.ProcedureName
		for i, doc := range docs {
			if i >= formDocRows {
				break
			}
			form.Docs = append(form.Docs, docRow{Idx: i, Name: doc.Name, Kind: string(doc.Kind), Count: itoa(doc.Count)})
		}
	}
	return form, nil
}

func (s *Server) citizenDetails(c *fiber.Ctx) error {
	f, tok, err := s.flow(c)
	if err != nil {
		return s.flowExpired(c, err)
	}
	if f.VerifiedAt == nil {
		return c.Redirect("/yeu-cau/xac-minh", fiber.StatusSeeOther)
	}
	if f.ParcelID != "" {
		p, err := s.d.Intake.Parcel(c.UserContext(), f.ParcelID)
		if err == nil {
			return c.Redirect("/yeu-cau/xong/"+p.Number, fiber.StatusSeeOther)
		}
	}
	if err := s.touchFlow(c, tok, f); err != nil {
		return err
	}
	form, err := s.citizenForm(c, f)
	if err != nil {
		return err
	}
	if d, ok := s.openDraft(c); ok {
		// What was typed before the session ended, back in its fields;
		// mistakes in it show when it is sent.
		_, _, _ = readPickupValues(func(k string, _ ...string) string { return d.Get(k) }, &form)
		form.Query = d.Get("tim")
		form.Restored = true
	}
	if q := vntext.NFC(c.Query("tim")); q != "" || c.Query("xa") != "" {
		form.Query = q
		form.Commune = strings.TrimSpace(c.Query("xa"))
	}
	if err := s.fillPickupForm(c.UserContext(), &form); err != nil {
		return err
	}
	return s.page(c, "citizen_details", "Thông tin thu gom", form)
}

func (s *Server) citizenDetailsSubmit(c *fiber.Ctx) error {
	f, tok, err := s.flow(c)
	if errs.Is(err, errs.NotFound) {
		// The session ended while the citizen was typing: keep it all in
		// their browser, sealed, until they prove the phone again.
		s.keepDraft(c)
		s.clearCookie(c, "f")
		p := startPage{Summary: []fieldError{{Message: "Phiên yêu cầu đã hết hạn trước khi gửi. Những gì bạn đã nhập được giữ lại: nhập mã hồ sơ và số điện thoại để nhận mã mới, rồi kiểm tra và gửi lại."}}}
		if err := s.challengeIfNeeded(c, &p); err != nil {
			return err
		}
		return s.citizenStartPage(c, fiber.StatusGone, p)
	}
	if err != nil {
		return err
	}
	if f.VerifiedAt == nil {
		return c.Redirect("/yeu-cau/xac-minh", fiber.StatusSeeOther)
	}
	if err := s.touchFlow(c, tok, f); err != nil {
		return err
	}
	form, err := s.citizenForm(c, f)
	if err != nil {
		return err
	}
	req, docIdx, rerr := readPickupForm(c, &form)
	s.provinceOf(&req)
	var p app.Parcel
	if rerr == nil {
		p, err = s.d.Citizen.Submit(c.UserContext(), tok, req)
	} else {
		req.Channel = tracking.ChannelCitizen
		req.Normalize()
		err = mergeFieldErrors(rerr, req.Validate(s.d.Now(), s.d.Intake.Hours))
	}
	if err != nil {
		k := errs.KindOf(err)
		if k != errs.Invalid && k != errs.Unprocessable && k != errs.Conflict {
			return err
		}
		form.setErrors(err, docIdx)
		if ferr := s.fillPickupForm(c.UserContext(), &form); ferr != nil {
			return ferr
		}
		return s.pageStatus(c, fiber.StatusUnprocessableEntity, "citizen_details", s.viewFor(c, "Thông tin thu gom", form))
	}
	if c.Cookies(s.cookieName("nhap")) != "" {
		s.clearCookie(c, "nhap")
	}
	return c.Redirect("/yeu-cau/xong/"+p.Number, fiber.StatusSeeOther)
}

// touchFlow keeps a verified flow and its cookie alive while the citizen
// works on the form.
func (s *Server) touchFlow(c *fiber.Ctx, tok string, f app.Flow) error {
	until, err := s.d.Citizen.Touch(c.UserContext(), tok, f)
	if err != nil {
		return err
	}
	s.setCookie(c, "f", tok, until)
	return nil
}

// draftFields are the request form's inputs a draft keeps.
func draftFields() []string {
	out := []string{"full_name", "id_number", "commune", "line", "lat", "lng", "desk", "slot", "procedure_name", "tim"}
	for i := 0; i < formDocRows; i++ {
		out = append(out, "doc_name_"+itoa(i), "doc_kind_"+itoa(i), "doc_count_"+itoa(i))
	}
	return out
}

// maxDraft bounds a draft cookie: browsers keep about 4 KB a cookie.
const maxDraft = 3800

// keepDraft seals what was posted to the request form into a cookie for
// two hours. A draft too large for a cookie is not kept.
func (s *Server) keepDraft(c *fiber.Ctx) {
	v := url.Values{}
	for _, k := range draftFields() {
		if x := c.FormValue(k); x != "" && utf8.ValidString(x) && len(x) <= 1000 {
			v.Set(k, x)
		}
	}
	if len(v) == 0 {
		return
	}
	sealed := base64.RawURLEncoding.EncodeToString(s.d.Citizen.SealDraft([]byte(v.Encode())))
	if len(sealed) > maxDraft {
		return
	}
	s.setCookie(c, "nhap", sealed, s.d.Now().Add(2*time.Hour))
}

// openDraft opens the draft cookie; a forged, stale-keyed or garbled one
// is ignored.
func (s *Server) openDraft(c *fiber.Ctx) (url.Values, bool) {
	raw := c.Cookies(s.cookieName("nhap"))
	if raw == "" || len(raw) > maxDraft {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(raw)
	if err != nil {
		return nil, false
	}
	plain, err := s.d.Citizen.OpenDraft(b)
	if err != nil {
		return nil, false
	}
	v, err := url.ParseQuery(string(plain))
	return v, err == nil
}

type donePage struct {
	Number    string
	Window    *tracking.Window
	Documents string
	Desk      string
}

func (s *Server) citizenDone(c *fiber.Ctx) error {
	p, err := s.publicParcel(c, c.Params("number"))
	if err != nil {
		return err
	}
	// Only the flow that made the request sees this page; anyone else is
	// sent to the public timeline.
	f, _, ferr := s.flow(c)
	if ferr != nil || f.ParcelID != p.ID {
		return c.Redirect("/tra-cuu/"+p.Number, fiber.StatusSeeOther)
	}
	d := donePage{Number: p.Number, Documents: tracking.DocumentSummary(p.Documents)}
	if len(p.Windows) > 0 {
		d.Window = &p.Windows[0]
	}
	if k, err := s.d.Directory.Desk(c.UserContext(), p.DeskCode); err == nil {
		d.Desk = k.Name
	}
	return s.page(c, "citizen_done", "Đã gửi yêu cầu", d)
}

type staffHomePage struct {
	User app.User
}

func (s *Server) staffHome(c *fiber.Ctx) error {
	return s.page(c, "staff_home", "Trang nhân viên", staffHomePage{User: currentUser(c)})
}

type smsPage struct {
	Messages []app.SMSMessage
}

func (s *Server) smsPage(c *fiber.Ctx) error {
	ms, err := s.d.Directory.DemoSMS(c.UserContext(), currentUser(c), 100)
	if err != nil {
		return err
	}
	return s.page(c, "sms", "Tin nhắn đã gửi", smsPage{Messages: ms})
}
