package web

import (
	"fmt"
	"io"
	"strings"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
)

// ---------- offices ----------

type officeRow struct {
	app.ZoneSummary
	Commune string
}

type officesPage struct {
	Tabs    []dispatchTab
	Offices []officeRow
	CSV     string
	Errors  map[string]string
	Summary []fieldError
	Flash   string
}

func (s *Server) dispatchOfficesPage(c *fiber.Ctx) error {
	return s.renderOffices(c, fiber.StatusOK, "", nil)
}

func (s *Server) renderOffices(c *fiber.Ctx, status int, csvText string, formErr error) error {
	u := currentUser(c)
	p := officesPage{Tabs: dispatchTabs(dispatchBase+"/buu-cuc", ""), CSV: csvText, Flash: flashFor(c)}
	if formErr != nil {
		p.Errors, p.Summary = formErrors(formErr, nil)
		p.Flash = ""
	}
	zs, err := s.d.Dispatch.Zones(c.UserContext(), u)
	if err != nil {
		return err
	}
	for _, z := range zs {
		r := officeRow{ZoneSummary: z, Commune: z.Office.CommuneCode}
		if cm, ok := s.d.Units.Commune(z.Office.CommuneCode); ok {
			r.Commune = cm.FullName
		}
		p.Offices = append(p.Offices, r)
	}
	v := s.viewFor(c, "Bưu cục", p)
	v.Style = []string{"css/dispatch.css"}
	return s.pageStatus(c, status, "dispatch_offices", v)
}

// maxImport bounds an uploaded office list.
const maxImport = 2 << 20

func (s *Server) dispatchOfficesImport(c *fiber.Ctx) error {
	text := c.FormValue("csv")
	if fh, err := c.FormFile("tep"); err == nil && fh.Size > 0 {
		if fh.Size > maxImport {
			return s.renderOffices(c, fiber.StatusUnprocessableEntity, "", errs.E(errs.Unprocessable, "Tệp lớn quá 2 MB"))
		}
		f, err := fh.Open()
		if err != nil {
			return err
		}
		b, err := io.ReadAll(io.LimitReader(f, maxImport))
		f.Close()
		if err != nil {
			return err
		}
		text = string(b)
	}
	if strings.TrimSpace(text) == "" {
		return s.renderOffices(c, fiber.StatusUnprocessableEntity, text, errs.E(errs.Unprocessable, "Chọn tệp CSV hoặc dán nội dung vào ô bên dưới"))
	}
	res, err := s.d.Dispatch.ImportOffices(c.UserContext(), currentUser(c), strings.NewReader(text))
	if err != nil {
		if userError(err) {
			return s.renderOffices(c, fiber.StatusUnprocessableEntity, text, err)
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("%s/buu-cuc?tb=nhap&n=%d&m=%d", dispatchBase, res.Created, res.Updated), fiber.StatusSeeOther)
}
