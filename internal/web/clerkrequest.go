package web

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/vntext"
	"hoso/tracking"
)

// The clerk's request: the citizen's request form filled by a desk clerk,
// an admin or a dispatcher on the citizen's behalf (at the counter or on
// the telephone). A POST with errors redirects to the form (Post/Redirect/
// Get, forms.go) with everything typed kept, so Back never files the
// request twice; a POST that succeeds redirects to the success page.

const (
	clerkPath     = "/nhan-vien/yeu-cau"
	clerkFormName = "clerk-request"
)

// clerkInputs are the clerk form's inputs a redirect keeps.
func clerkInputs() []string {
	return append([]string{"dossier_code", "phone"}, draftFields()...)
}

// clerkForm is the same request made by a clerk on a citizen's behalf.
func (s *Server) clerkForm(c *fiber.Ctx) error {
	u := currentUser(c)
	form := pickupForm{Mode: "clerk", Action: clerkPath, Desk: u.DeskCode,
		DossierCode: vntext.NFC(c.Query("ma_ho_so")),
		Query:       vntext.NFC(c.Query("tim")), Commune: strings.TrimSpace(c.Query("xa"))}
	if kept, kerr, ok := s.takeForm(c, clerkFormName); ok {
		// Back from a POST with errors: the form as it was typed, the
		// messages beside their fields.
		form.DossierCode = vntext.NFC(kept.Get("dossier_code"))
		form.Phone = strings.TrimSpace(kept.Get("phone"))
		_, docIdx, _ := readPickupValues(func(k string, _ ...string) string { return kept.Get(k) }, &form)
		form.Query = vntext.NFC(kept.Get("tim"))
		form.setErrors(kerr, docIdx)
		if err := s.fillPickupForm(c.UserContext(), &form); err != nil {
			return err
		}
		return s.page(c, "clerk_request", "Tạo yêu cầu thay công dân", form)
	}
	// A desk pre-fills only its own dossiers, a dispatcher those of their
	// province; an admin any.
	scope := app.PrefillFilter{DeskCode: u.DeskCode}
	if u.Role == app.RoleDispatcher {
		scope.ProvinceCode = u.ProvinceCode
	}
	allowed := u.Role == app.RoleAdmin || scope.DeskCode != "" || scope.ProvinceCode != ""
	if form.DossierCode != "" && allowed {
		if d, docs, ok, err := s.d.Intake.Prefill(c.UserContext(), form.DossierCode, scope, u.Role == app.RoleAdmin); err == nil && ok {
			form.Prefilled = true
			form.Desk, form.ProcedureName = d.DeskCode, d.ProcedureName
			for i, doc := range docs {
				if i < formDocRows {
					form.Docs = append(form.Docs, docRow{Idx: i, Name: doc.Name, Kind: string(doc.Kind), Count: itoa(doc.Count)})
				}
			}
		}
	}
	if err := s.fillPickupForm(c.UserContext(), &form); err != nil {
		return err
	}
	return s.page(c, "clerk_request", "Tạo yêu cầu thay công dân", form)
}

func (s *Server) clerkSubmit(c *fiber.Ctx) error {
	u := currentUser(c)
	return s.staffRequestSubmit(c, staffRequest{Mode: "clerk", Path: clerkPath, FormName: clerkFormName,
		Template: "clerk_request", Title: "Tạo yêu cầu thay công dân", Channel: tracking.ChannelClerk,
		Create: func(req tracking.PickupRequest) (string, error) {
			p, err := s.d.Intake.Create(c.UserContext(), req)
			if err != nil {
				return "", err
			}
			Logger(c.UserContext()).Info("clerk request", "user_id", u.ID, "tracking_number", p.Number)
			return clerkPath + "/xong/" + url.PathEscape(p.Number), nil
		}})
}

// staffRequest is one of the staff's request forms (the clerk's, the post
// office counter's) as staffRequestSubmit handles it.
type staffRequest struct {
	Mode, Path, FormName, Template, Title string
	Channel                               tracking.Channel // with the user as author (and, at a counter, their office)
	// Create makes the request and returns where to go next.
	Create func(req tracking.PickupRequest) (string, error)
}

// staffRequestSubmit reads a staff request form and makes the request. A
// form with errors redirects to the form, which shows what was typed with
// each message beside its field (Post/Redirect/Get, forms.go); a form too
// large for the cookie answers the POST itself.
func (s *Server) staffRequestSubmit(c *fiber.Ctx, r staffRequest) error {
	form := pickupForm{Mode: r.Mode, Action: r.Path,
		DossierCode: vntext.NFC(strings.ToValidUTF8(c.FormValue("dossier_code"), "")),
		Phone:       strings.TrimSpace(strings.ToValidUTF8(c.FormValue("phone"), ""))}
	if p, ok := vntext.NormalizePhone(form.Phone); ok {
		form.Phone = p
	}
	req, docIdx, err := readPickupForm(c, &form)
	s.provinceOf(&req)
	u := currentUser(c)
	req.Channel, req.CreatedBy = r.Channel, u.ID
	if r.Channel == tracking.ChannelCounter {
		req.OfficeCode = u.OfficeCode
	}
	next := ""
	if err == nil {
		next, err = r.Create(req)
	} else {
		req.Normalize()
		err = mergeFieldErrors(err, req.Validate(s.d.Now(), s.d.Intake.Hours))
	}
	if err == nil {
		return c.Redirect(next, fiber.StatusSeeOther)
	}
	if k := errs.KindOf(err); k != errs.Invalid && k != errs.Unprocessable && k != errs.Conflict {
		return err
	}
	if s.keepForm(c, r.FormName, postedValues(c, clerkInputs()), err) {
		return c.Redirect(r.Path, fiber.StatusSeeOther)
	}
	form.setErrors(err, docIdx)
	if ferr := s.fillPickupForm(c.UserContext(), &form); ferr != nil {
		return ferr
	}
	return s.pageStatus(c, fiber.StatusUnprocessableEntity, r.Template, s.viewFor(c, r.Title, form))
}

// clerkDonePage is the success page of a clerk's request.
type clerkDonePage struct {
	Number    string
	Dossier   string
	Window    *tracking.Window
	Documents string
	Desk      string
	Receipt   string // the door receipt to print and hand over
}

// clerkDone is the end of the clerk's request: the number to read to the
// citizen, the visit, "in biên nhận" and "tạo yêu cầu khác". Only the
// clerk who made the request sees it; anyone else is told there is no
// such request.
func (s *Server) clerkDone(c *fiber.Ctx) error {
	u := currentUser(c)
	p, err := s.d.Intake.ParcelByNumber(c.UserContext(), c.Params("number"))
	if err != nil || p.Channel != tracking.ChannelClerk || p.CreatedBy != u.ID {
		return errs.E(errs.NotFound, "Không có yêu cầu này trong các yêu cầu bạn đã tạo")
	}
	d := clerkDonePage{Number: p.Number, Dossier: p.Dossier.Code, Documents: tracking.DocumentSummary(p.Documents),
		Receipt: "/nhan-vien/in/bien-nhan/" + url.PathEscape(p.Number)}
	if len(p.Windows) > 0 {
		d.Window = &p.Windows[0]
	}
	if k, err := s.d.Directory.Desk(c.UserContext(), p.DeskCode); err == nil {
		d.Desk = k.Name
	}
	return s.page(c, "clerk_done", "Đã tạo yêu cầu thu gom", d)
}
