package web

import (
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
)

// Reference data pages: an admin keeps the province's one-stop desks and
// post offices (app.Reference): create, edit, import from CSV (all or
// nothing), deactivate and reactivate. Nothing is ever deleted.
const referencePath = "/nhan-vien/danh-muc"

func (s *Server) referenceRoutes(staff fiber.Router) {
	admin := s.requireRole(app.RoleAdmin)
	staff.Get("/danh-muc", admin, s.referencePage)
	staff.Post("/danh-muc/mot-cua/nhap", admin, s.referenceImport)
	staff.Get("/danh-muc/mot-cua/moi", admin, s.deskForm)
	staff.Post("/danh-muc/mot-cua", admin, s.deskSubmit)
	staff.Get("/danh-muc/mot-cua/:code", admin, s.deskForm)
	staff.Post("/danh-muc/mot-cua/:code", admin, s.deskSubmit)
	staff.Post("/danh-muc/mot-cua/:code/trang-thai", admin, s.deskActive)
	staff.Post("/danh-muc/buu-cuc/nhap", admin, s.referenceImport)
	staff.Get("/danh-muc/buu-cuc/moi", admin, s.officeForm)
	staff.Post("/danh-muc/buu-cuc", admin, s.officeSubmit)
	staff.Get("/danh-muc/buu-cuc/:code", admin, s.officeForm)
	staff.Post("/danh-muc/buu-cuc/:code", admin, s.officeSubmit)
	staff.Post("/danh-muc/buu-cuc/:code/trang-thai", admin, s.officeActive)
}

type deskRowView struct {
	app.Desk
	LevelLabel string
	Commune    string
}

type officeRowView struct {
	app.PostOffice
	Commune string
}

type referenceListPage struct {
	Scope     string
	Desks     []deskRowView
	Offices   []officeRowView
	DeskCSV   string
	OfficeCSV string
	Which     string // the import form the errors belong to: desks | offices
	Errors    map[string]string
	Summary   []fieldError
	Flash     string
}

func (s *Server) referencePage(c *fiber.Ctx) error {
	return s.renderReference(c, fiber.StatusOK, referenceListPage{Flash: s.flashText(c)})
}

func (s *Server) renderReference(c *fiber.Ctx, status int, p referenceListPage) error {
	u := currentUser(c)
	ctx := c.UserContext()
	desks, err := s.d.Reference.Desks(ctx, u)
	if err != nil {
		return err
	}
	for _, k := range desks {
		p.Desks = append(p.Desks, deskRowView{Desk: k, LevelLabel: app.DeskLevelLabel(k.Level), Commune: s.communeName(k.CommuneCode)})
	}
	offices, err := s.d.Reference.Offices(ctx, u)
	if err != nil {
		return err
	}
	for _, o := range offices {
		p.Offices = append(p.Offices, officeRowView{PostOffice: o, Commune: s.communeName(o.CommuneCode)})
	}
	p.Scope = "mọi tỉnh"
	if u.ProvinceCode != "" {
		p.Scope = "tỉnh " + u.ProvinceCode
		if pr, ok := s.d.Units.Province(u.ProvinceCode); ok {
			p.Scope = pr.FullName
		}
	}
	v := s.viewFor(c, "Danh mục một cửa và bưu cục", p)
	v.Style = []string{"css/dispatch.css"} // full-width file inputs
	return s.pageStatus(c, status, "reference", v)
}

// uploaded is the CSV of an import form: the file when one was chosen,
// else the pasted text.
func uploaded(c *fiber.Ctx) (string, error) {
	text := c.FormValue("csv")
	if fh, err := c.FormFile("tep"); err == nil && fh.Size > 0 {
		if fh.Size > maxImport {
			return "", errs.E(errs.Unprocessable, "Tệp lớn quá 2 MB")
		}
		f, err := fh.Open()
		if err != nil {
			return "", err
		}
		b, err := io.ReadAll(io.LimitReader(f, maxImport))
		f.Close()
		if err != nil {
			return "", err
		}
		text = string(b)
	}
	if strings.TrimSpace(text) == "" {
		return text, errs.E(errs.Unprocessable, "Chọn tệp CSV hoặc dán nội dung vào ô bên dưới")
	}
	return text, nil
}

func (s *Server) referenceImport(c *fiber.Ctx) error {
	desks := strings.Contains(c.Path(), "/mot-cua/")
	p := referenceListPage{Which: "offices"}
	if desks {
		p.Which = "desks"
	}
	text, err := uploaded(c)
	if err == nil {
		if desks {
			var res app.ImportResult
			res, err = s.d.Reference.ImportDesks(c.UserContext(), currentUser(c), strings.NewReader(text))
			if err == nil {
				msg := fmt.Sprintf("Đã nhập danh sách bộ phận một cửa: %d tạo mới, %d cập nhật.", res.Created, res.Updated)
				return c.Redirect(referencePath+"?"+s.flashQuery(c, msg)+"#mot-cua", fiber.StatusSeeOther)
			}
		} else {
			var res app.ImportResult
			res, err = s.d.Reference.ImportOffices(c.UserContext(), currentUser(c), strings.NewReader(text))
			if err == nil {
				msg := fmt.Sprintf("Đã nhập danh sách bưu cục: %d tạo mới, %d cập nhật.", res.Created, res.Updated)
				return c.Redirect(referencePath+"?"+s.flashQuery(c, msg)+"#buu-cuc", fiber.StatusSeeOther)
			}
		}
	}
	if !userError(err) {
		return err
	}
	if desks {
		p.DeskCSV = text
	} else {
		p.OfficeCSV = text
	}
	p.Errors, p.Summary = formErrors(err, nil)
	return s.renderReference(c, fiber.StatusUnprocessableEntity, p)
}

type deskFormPage struct {
	New     bool
	Desk    app.Desk
	Commune string
	Errors  map[string]string
	Summary []fieldError
}

func (s *Server) deskForm(c *fiber.Ctx) error {
	p := deskFormPage{New: c.Params("code") == "", Desk: app.Desk{Level: app.DeskCommune, Active: true}}
	if !p.New {
		k, err := s.d.Reference.Desk(c.UserContext(), currentUser(c), c.Params("code"))
		if err != nil {
			return err
		}
		p.Desk, p.Commune = k, s.communeName(k.CommuneCode)
	}
	return s.page(c, "reference_desk", deskTitle(p.New), p)
}

func deskTitle(isNew bool) string {
	if isNew {
		return "Thêm bộ phận một cửa"
	}
	return "Sửa bộ phận một cửa"
}

var deskFieldIDs = map[string]string{"code": "code", "name": "name", "level": "level", "commune": "commune_code",
	"address": "address", "hours": "hours", "phone": "phone"}

func (s *Server) deskSubmit(c *fiber.Ctx) error {
	isNew := c.Params("code") == ""
	k := app.Desk{Code: c.FormValue("code"), Name: c.FormValue("name"), Level: c.FormValue("level"),
		CommuneCode: c.FormValue("commune_code"), Address: c.FormValue("address"), Hours: c.FormValue("hours"), Phone: c.FormValue("phone")}
	if !isNew {
		k.Code = c.Params("code")
	}
	saved, err := s.d.Reference.SaveDesk(c.UserContext(), currentUser(c), k, isNew)
	if err != nil {
		if !userError(err) {
			return err
		}
		p := deskFormPage{New: isNew, Desk: k}
		p.Errors, p.Summary = formErrors(err, deskFieldIDs)
		return s.pageStatus(c, fiber.StatusUnprocessableEntity, "reference_desk", s.viewFor(c, deskTitle(isNew), p))
	}
	msg := "Đã lưu bộ phận một cửa " + saved.Code + " · " + saved.Name + "."
	return c.Redirect(referencePath+"?"+s.flashQuery(c, msg)+"#mot-cua", fiber.StatusSeeOther)
}

func (s *Server) deskActive(c *fiber.Ctx) error {
	active := c.FormValue("active") == "1"
	code := c.Params("code")
	if err := s.d.Reference.SetDeskActive(c.UserContext(), currentUser(c), code, active, c.FormValue("ghi_chu")); err != nil {
		return err
	}
	msg := "Đã ngừng hoạt động bộ phận một cửa " + code + ": không nhận hồ sơ mới."
	if active {
		msg = "Đã cho bộ phận một cửa " + code + " hoạt động lại."
	}
	return c.Redirect(referencePath+"?"+s.flashQuery(c, msg)+"#mot-cua", fiber.StatusSeeOther)
}

type officeFormPage struct {
	New      bool
	Office   app.PostOffice
	Lat, Lng string
	Errors   map[string]string
	Summary  []fieldError
}

func officeTitle(isNew bool) string {
	if isNew {
		return "Thêm bưu cục"
	}
	return "Sửa bưu cục"
}

func coord(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func (s *Server) officeForm(c *fiber.Ctx) error {
	p := officeFormPage{New: c.Params("code") == "", Office: app.PostOffice{Active: true}}
	if !p.New {
		o, err := s.d.Reference.Office(c.UserContext(), currentUser(c), c.Params("code"))
		if err != nil {
			return err
		}
		p.Office, p.Lat, p.Lng = o, coord(o.Lat), coord(o.Lng)
	}
	return s.page(c, "reference_office", officeTitle(p.New), p)
}

var officeFieldIDs = map[string]string{"code": "code", "name": "name", "commune": "commune_code", "position": "lat"}

func (s *Server) officeSubmit(c *fiber.Ctx) error {
	isNew := c.Params("code") == ""
	o := app.PostOffice{Code: c.FormValue("code"), Name: c.FormValue("name"), CommuneCode: c.FormValue("commune_code")}
	if !isNew {
		o.Code = c.Params("code")
	}
	latS, lngS := strings.TrimSpace(c.FormValue("lat")), strings.TrimSpace(c.FormValue("lng"))
	var err1, err2 error
	o.Lat, err1 = strconv.ParseFloat(strings.ReplaceAll(latS, ",", "."), 64)
	o.Lng, err2 = strconv.ParseFloat(strings.ReplaceAll(lngS, ",", "."), 64)
	if err1 != nil || err2 != nil {
		o.Lat, o.Lng = 0, 0 // refused below as outside Vietnam
	}
	saved, err := s.d.Reference.SaveOffice(c.UserContext(), currentUser(c), o, isNew)
	if err != nil {
		if !userError(err) {
			return err
		}
		p := officeFormPage{New: isNew, Office: o, Lat: latS, Lng: lngS}
		p.Errors, p.Summary = formErrors(err, officeFieldIDs)
		return s.pageStatus(c, fiber.StatusUnprocessableEntity, "reference_office", s.viewFor(c, officeTitle(isNew), p))
	}
	msg := "Đã lưu bưu cục " + saved.Code + " · " + saved.Name + ". Vùng phục vụ sửa ở trang Điều phối › Vùng."
	return c.Redirect(referencePath+"?"+s.flashQuery(c, msg)+"#buu-cuc", fiber.StatusSeeOther)
}

func (s *Server) officeActive(c *fiber.Ctx) error {
	active := c.FormValue("active") == "1"
	code := c.Params("code")
	if err := s.d.Reference.SetOfficeActive(c.UserContext(), currentUser(c), code, active, c.FormValue("ghi_chu")); err != nil {
		return err
	}
	msg := "Đã ngừng hoạt động bưu cục " + code + "."
	if active {
		msg = "Đã cho bưu cục " + code + " hoạt động lại."
	}
	return c.Redirect(referencePath+"?"+s.flashQuery(c, msg)+"#buu-cuc", fiber.StatusSeeOther)
}
