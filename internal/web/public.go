package web

import (
	_ "embed"
	"strings"

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
	return errs.E(errs.NotFound, "Không tìm thấy hồ sơ với số hiệu này. Kiểm tra lại số hiệu in trên giấy biên nhận.")
}

// publicParcel finds a parcel by a number typed by anyone; malformed and
// unknown numbers are the same not found.
func (s *Server) publicParcel(c *fiber.Ctx, raw string) (app.Parcel, error) {
	n, err := tracking.ParseNumber(strings.ToUpper(strings.TrimSpace(raw)))
	if err != nil {
		return app.Parcel{}, notFoundNumber()
	}
	p, err := s.d.Intake.Store.FindParcelByNumber(c.UserContext(), n.String())
	if errs.Is(err, errs.NotFound) {
		return app.Parcel{}, notFoundNumber()
	}
	return p, err
}

type trackSearchPage struct {
	Number, Dossier, Last3 string
	Error                  string
	Results                []app.Parcel
}

func (s *Server) trackSearch(c *fiber.Ctx) error {
	q := trackSearchPage{Number: strings.TrimSpace(c.Query("so")), Dossier: vntext.NFC(c.Query("ma_ho_so")), Last3: strings.TrimSpace(c.Query("so_cuoi"))}
	switch {
	case q.Number != "":
		if _, err := s.publicView(c, q.Number); err != nil {
			if !errs.Is(err, errs.NotFound) {
				return err
			}
			q.Error = "Không tìm thấy hồ sơ với số hiệu này."
			return s.pageStatus(c, fiber.StatusNotFound, "track_search", s.viewFor(c, "Tra cứu hồ sơ", q))
		}
		n, _ := tracking.ParseNumber(strings.ToUpper(q.Number))
		return c.Redirect("/tra-cuu/"+n.String(), fiber.StatusSeeOther)
	case q.Dossier != "" || q.Last3 != "":
		if q.Dossier == "" || len(q.Last3) != 3 || strings.Trim(q.Last3, "0123456789") != "" {
			q.Error = "Nhập mã hồ sơ và đúng 3 chữ số cuối của số điện thoại."
			return s.pageStatus(c, fiber.StatusBadRequest, "track_search", s.viewFor(c, "Tra cứu hồ sơ", q))
		}
		ps, err := s.d.Intake.Store.FindParcels(c.UserContext(), app.ParcelFilter{DossierCode: q.Dossier, Limit: 20})
		if err != nil {
			return err
		}
		for _, p := range ps {
			if p.PhoneLast3 == q.Last3 {
				q.Results = append(q.Results, p)
			}
		}
		if len(q.Results) == 0 {
			q.Error = "Không tìm thấy hồ sơ khớp với mã hồ sơ và số điện thoại."
			return s.pageStatus(c, fiber.StatusNotFound, "track_search", s.viewFor(c, "Tra cứu hồ sơ", q))
		}
		if len(q.Results) == 1 {
			return c.Redirect("/tra-cuu/"+q.Results[0].Number, fiber.StatusSeeOther)
		}
	}
	return s.page(c, "track_search", "Tra cứu hồ sơ", q)
}

func (s *Server) trackPage(c *fiber.Ctx) error {
	e, err := s.publicView(c, c.Params("number"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return s.page(c, "track", "Hồ sơ "+e.t.Number, e.t)
}

type trackJSONBody struct {
	TrackingNumber string         `json:"tracking_number"`
	Leg            string         `json:"leg"`
	Status         string         `json:"status"`
	StatusLabel    string         `json:"status_label"`
	DossierCode    string         `json:"dossier_code"`
	Procedure      string         `json:"procedure"`
	Desk           string         `json:"desk"`
	LegalDeadline  string         `json:"legal_deadline,omitempty"`
	Citizen        citizenJSON    `json:"citizen"`
	Documents      string         `json:"documents"`
	Holder         string         `json:"holder"`
	Next           nextJSON       `json:"next"`
	Timeline       []timelineJSON `json:"timeline"`
}

func (s *Server) trackJSON(c *fiber.Ctx) error {
	e, err := s.publicView(c, c.Params("tracking_number"))
	if err != nil {
		return err
	}
	// The cached bytes are copied into the response: nothing after the
	// handler may change the cache's copy.
	c.Response().SetBody(e.json)
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
