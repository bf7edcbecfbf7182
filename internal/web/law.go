package web

import (
	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
)

// lawPath is the admin's page of legal citations.
const lawPath = "/nhan-vien/can-cu-phap-ly"

type lawPage struct {
	Citations []app.Citation
	Values    map[string]string // what was typed, kept after an error
	Errors    map[string]string
	Summary   []fieldError
	Flash     string
	Default   string
}

func (s *Server) lawPage(c *fiber.Ctx) error {
	cs, err := s.d.Law.Citations(c.UserContext())
	if err != nil {
		return err
	}
	return s.page(c, "law", "Căn cứ pháp lý", lawPage{Citations: cs, Flash: s.flashText(c), Default: app.DefaultCitation})
}

// lawSave changes one citation; an error comes back beside its field with
// what was typed, nothing changed.
func (s *Server) lawSave(c *fiber.Ctx) error {
	u := currentUser(c)
	key := c.FormValue("key")
	text := c.FormValue("citation")
	err := s.d.Law.Set(c.UserContext(), u, key, text)
	if err == nil {
		return c.Redirect(lawPath+"?"+s.flashQuery(c, "Đã lưu căn cứ pháp lý. Các trang và giấy tờ in từ nay dẫn văn bản này."), fiber.StatusSeeOther)
	}
	k := errs.KindOf(err)
	if k != errs.Invalid && k != errs.NotFound {
		return err
	}
	cs, lerr := s.d.Law.Citations(c.UserContext())
	if lerr != nil {
		return lerr
	}
	p := lawPage{Citations: cs, Values: map[string]string{key: text}, Default: app.DefaultCitation}
	p.Errors, p.Summary = fieldPage(err, key)
	status := fiber.StatusUnprocessableEntity
	if k == errs.NotFound {
		status = fiber.StatusNotFound
	}
	return s.pageStatus(c, status, "law", s.viewFor(c, "Căn cứ pháp lý", p))
}
