package web

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

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
	return s.staffRequestSubmit(c, staffRequest{Mode: "counter", Path: dropoffNewPath, FormName: dropoffNewFormName,
		Template: "counter_request", Title: dropoffNewTitle, Channel: tracking.ChannelCounter,
		Create: func(req tracking.PickupRequest) (string, error) {
			p, err := s.d.Dropoff.Create(c.UserContext(), u, req)
			if err != nil {
				return "", err
			}
			Logger(c.UserContext()).Info("counter request", "user_id", u.ID, "tracking_number", p.Number)
			return dropoffPath + "/" + url.PathEscape(p.Number) + "?" + s.flashQuery(c,
				"Đã tạo yêu cầu "+p.Number+". Kiểm từng giấy tờ, niêm phong rồi xác nhận với công dân."), nil
		}})
}
