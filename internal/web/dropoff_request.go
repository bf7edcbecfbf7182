package web

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/errs"
	"hoso/internal/vntext"
	"hoso/tracking"
)

// The counter's own request (issue 18 item 3, "or creates it"): a citizen
// brings the papers to the post office with no request. The clerk fills the
// request form without a visit window (the address is where the result
// goes back), then checks the papers on the drop-off form as for any
// request. Errors redirect to the form with what was typed (Post/Redirect/
// Get, forms.go).

const (
	dropoffNewPath     = dropoffPath + "/moi"
	dropoffNewFormName = "counter-request"
	dropoffNewTitle    = "Tạo yêu cầu tại quầy"
)

func (s *Server) dropoffNewForm(c *fiber.Ctx) error {
	form := pickupForm{Mode: "counter", Action: dropoffNewPath,
		DossierCode: vntext.NFC(strings.ToValidUTF8(c.Query("ma_ho_so"), "")),
		Query:       vntext.NFC(strings.ToValidUTF8(c.Query("tim"), "")), Commune: strings.TrimSpace(c.Query("xa"))}
	if kept, kerr, ok := s.takeForm(c, dropoffNewFormName); ok {
		form.DossierCode = vntext.NFC(kept.Get("dossier_code"))
		form.Phone = strings.TrimSpace(kept.Get("phone"))
		_, docIdx, _ := readPickupValues(func(k string, _ ...string) string { return kept.Get(k) }, &form)
		form.Query = vntext.NFC(kept.Get("tim"))
		form.setErrors(kerr, docIdx)
	}
	if err := s.fillPickupForm(c.UserContext(), &form); err != nil {
		return err
	}
	return s.page(c, "counter_request", dropoffNewTitle, form)
}

func (s *Server) dropoffNewSubmit(c *fiber.Ctx) error {
	u := currentUser(c)
	form := pickupForm{Mode: "counter", Action: dropoffNewPath,
		DossierCode: vntext.NFC(strings.ToValidUTF8(c.FormValue("dossier_code"), "")),
		Phone:       strings.TrimSpace(strings.ToValidUTF8(c.FormValue("phone"), ""))}
	if p, ok := vntext.NormalizePhone(form.Phone); ok {
		form.Phone = p
	}
	req, docIdx, rerr := readPickupForm(c, &form)
	s.provinceOf(&req)
	req.Channel, req.CreatedBy, req.OfficeCode = tracking.ChannelCounter, u.ID, u.OfficeCode
	var err error
	var number string
	if rerr == nil {
		p, cerr := s.d.Dropoff.Create(c.UserContext(), u, req)
		number, err = p.Number, cerr
	} else {
		req.Normalize()
		err = mergeFieldErrors(rerr, req.Validate(s.d.Now(), s.d.Intake.Hours))
	}
	if err != nil {
		k := errs.KindOf(err)
		if k != errs.Invalid && k != errs.Unprocessable && k != errs.Conflict {
			return err
		}
		if s.keepForm(c, dropoffNewFormName, postedValues(c, clerkInputs()), err) {
			return c.Redirect(dropoffNewPath, fiber.StatusSeeOther)
		}
		form.setErrors(err, docIdx)
		if ferr := s.fillPickupForm(c.UserContext(), &form); ferr != nil {
			return ferr
		}
		return s.pageStatus(c, fiber.StatusUnprocessableEntity, "counter_request", s.viewFor(c, dropoffNewTitle, form))
	}
	Logger(c.UserContext()).Info("counter request", "user_id", u.ID, "tracking_number", number)
	return c.Redirect(dropoffPath+"/"+url.PathEscape(number)+"?"+s.flashQuery(c,
		"Đã tạo yêu cầu "+number+". Kiểm từng giấy tờ, niêm phong rồi xác nhận với công dân."), fiber.StatusSeeOther)
}
