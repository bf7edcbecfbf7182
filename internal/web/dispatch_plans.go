package web

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/dispatch"
	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/vntext"
)

// ---------- planning ----------

func (s *Server) dispatchStart(c *fiber.Ctx) error {
	u, office, day, err := s.dispatchScope(c, c.FormValue("bc"), c.FormValue("ngay"))
	if err != nil {
		return err
	}
	secs, _ := strconv.Atoi(c.FormValue("thoi_gian"))
	opt := app.PlanOptions{TimeLimit: time.Duration(secs) * time.Second, Replan: c.FormValue("lap_lai") == "1"}
	if opt.Replan {
		opt.Reason = "Lập lại kế hoạch"
		if r := strings.TrimSpace(c.FormValue("ly_do")); r != "" {
			opt.Reason = vntext.NFC(r)
			if len([]rune(opt.Reason)) > 200 {
				opt.Reason = string([]rune(opt.Reason)[:200])
			}
		}
	}
	id, err := s.d.Dispatch.StartPlan(c.UserContext(), u, office.Code, day, opt)
	if err != nil {
		if userError(err) {
			return s.planBack(c, fiber.StatusUnprocessableEntity, office.Code, day, err, assignForm{})
		}
		return err
	}
	return c.Redirect(dispatchBase+"/tien-do/"+id, fiber.StatusSeeOther)
}

type progressPage struct {
	Tabs     []dispatchTab
	Job      app.PlanJob
	Office   app.PostOffice
	Percent  int
	Distance string
	JSONURL  string
	Back     string
}

func (s *Server) dispatchProgressPage(c *fiber.Ctx) error {
	u := currentUser(c)
	ctx := c.UserContext()
	j, err := s.d.Dispatch.Job(ctx, u, c.Params("id"))
	if err != nil {
		return err
	}
	if j.Done && j.Err == "" {
		return c.Redirect(planURL(j.Office, j.Day, "tb", "da-lap", "n", strconv.Itoa(j.Version)), fiber.StatusSeeOther)
	}
	office, err := s.d.Dispatch.Office(ctx, u, j.Office)
	if err != nil {
		return err
	}
	p := progressPage{Tabs: dispatchTabs(dispatchBase+"/ke-hoach", scopeQuery(j.Office, j.Day)), Job: j, Office: office,
		Percent: j.Percent(s.d.Now()), Distance: km(j.Best.Distance), JSONURL: dispatchBase + "/tien-do/" + j.ID + "/json",
		Back: planURL(j.Office, j.Day)}
	v := s.viewFor(c, "Đang lập kế hoạch", p)
	v.Script = []string{"js/dispatch-progress.js"}
	v.Style = []string{"css/dispatch.css"}
	return s.pageStatus(c, fiber.StatusOK, "dispatch_progress", v)
}

type progressJSON struct {
	Done       bool   `json:"done"`
	Percent    int    `json:"percent"`
	Improved   int    `json:"improved"`
	Vehicles   int    `json:"vehicles"`
	Unassigned int    `json:"unassigned"`
	Distance   string `json:"distance"`
	Message    string `json:"message"`
	Error      string `json:"error,omitempty"`
	Redirect   string `json:"redirect,omitempty"`
}

func (s *Server) dispatchProgressJSON(c *fiber.Ctx) error {
	j, err := s.d.Dispatch.Job(c.UserContext(), currentUser(c), c.Params("id"))
	if err != nil {
		return err
	}
	out := progressJSON{Done: j.Done, Percent: j.Percent(s.d.Now()), Improved: j.Improved, Vehicles: j.Best.Vehicles,
		Unassigned: j.Best.Unassigned, Distance: km(j.Best.Distance), Error: j.Err}
	switch {
	case j.Err != "":
		out.Message = "Không lập được kế hoạch: " + j.Err
	case j.Done:
		out.Message = fmt.Sprintf("Xong: phiên bản %d đã được lưu.", j.Version)
		out.Redirect = planURL(j.Office, j.Day, "tb", "da-lap", "n", strconv.Itoa(j.Version))
	default:
		out.Message = fmt.Sprintf("Đang tìm phương án tốt hơn… %d%%. Phương án tốt nhất: %d bưu tá, %s, %d điểm chưa xếp.",
			out.Percent, out.Vehicles, out.Distance, out.Unassigned)
	}
	return c.JSON(out)
}

// ---------- manual changes and publishing ----------

func (s *Server) dispatchAssign(c *fiber.Ctx) error {
	u, office, day, err := s.dispatchScope(c, c.FormValue("bc"), c.FormValue("ngay"))
	if err != nil {
		return err
	}
	form := assignForm{Number: strings.TrimSpace(c.FormValue("so")), Courier: c.FormValue("buu_ta"), Pin: c.FormValue("ghim") == "1"}
	if form.Number == "" || form.Courier == "" {
		f := errs.Fields{}
		if form.Number == "" {
			f.Add("number", "Chọn bưu gửi cần gán")
		}
		if form.Courier == "" {
			f.Add("courier", "Chọn bưu tá")
		}
		return s.planBack(c, fiber.StatusUnprocessableEntity, office.Code, day, f.Err(errs.Unprocessable, "Chưa gán được"), form)
	}
	plan, err := s.d.Dispatch.Assign(c.UserContext(), u, office.Code, day, form.Number, form.Courier, form.Pin)
	if err != nil {
		if userError(err) || errs.Is(err, errs.NotFound) {
			return s.planBack(c, fiber.StatusUnprocessableEntity, office.Code, day, err, form)
		}
		return err
	}
	return c.Redirect(planURL(office.Code, day, "tb", "gan", "n", strconv.Itoa(plan.Version))+"#tuyen", fiber.StatusSeeOther)
}

const planFormName = "dispatch-plan"

// planBack answers a plan page's POST that was refused: Post/Redirect/Get
// to the plan page with the assignment form as typed and the messages
// beside its fields (forms.go), or, when that cannot be kept, the page
// itself with status.
func (s *Server) planBack(c *fiber.Ctx, status int, office string, day dispatch.Day, err error, form assignForm) error {
	kept := url.Values{"so": {form.Number}, "buu_ta": {form.Courier}}
	if form.Pin {
		kept.Set("ghim", "1")
	}
	if s.keepForm(c, planFormName, kept, err) {
		return c.Redirect(planURL(office, day), fiber.StatusSeeOther)
	}
	return s.renderPlanPage(c, status, office, day.String(), err, form)
}

func (s *Server) dispatchPin(c *fiber.Ctx) error {
	u, office, day, err := s.dispatchScope(c, c.FormValue("bc"), c.FormValue("ngay"))
	if err != nil {
		return err
	}
	if err := s.d.Dispatch.Pin(c.UserContext(), u, office.Code, day, c.FormValue("so"), c.FormValue("buu_ta")); err != nil {
		if userError(err) || errs.Is(err, errs.NotFound) {
			return s.planBack(c, fiber.StatusUnprocessableEntity, office.Code, day, err, assignForm{})
		}
		return err
	}
	return c.Redirect(planURL(office.Code, day, "tb", "ghim")+"#tuyen", fiber.StatusSeeOther)
}

func (s *Server) dispatchUnpin(c *fiber.Ctx) error {
	u, office, day, err := s.dispatchScope(c, c.FormValue("bc"), c.FormValue("ngay"))
	if err != nil {
		return err
	}
	if err := s.d.Dispatch.Unpin(c.UserContext(), u, office.Code, day, c.FormValue("so")); err != nil {
		if userError(err) || errs.Is(err, errs.NotFound) {
			return s.planBack(c, fiber.StatusUnprocessableEntity, office.Code, day, err, assignForm{})
		}
		return err
	}
	return c.Redirect(planURL(office.Code, day, "tb", "bo-ghim")+"#tuyen", fiber.StatusSeeOther)
}

func (s *Server) dispatchPublish(c *fiber.Ctx) error {
	u := currentUser(c)
	id, err := strconv.ParseInt(c.FormValue("ke_hoach"), 10, 64)
	if err != nil {
		return errs.E(errs.Invalid, "Thiếu số kế hoạch")
	}
	res, err := s.d.Dispatch.Publish(c.UserContext(), u, id)
	if err != nil {
		if userError(err) {
			if _, office, day, serr := s.dispatchScope(c, c.FormValue("bc"), c.FormValue("ngay")); serr == nil {
				return s.planBack(c, fiber.StatusConflict, office.Code, day, err, assignForm{})
			}
			return s.renderPlanPage(c, fiber.StatusConflict, c.FormValue("bc"), c.FormValue("ngay"), err, assignForm{})
		}
		return err
	}
	return c.Redirect(planURL(res.Plan.Office, res.Plan.Day, "tb", "cong-bo", "n", strconv.Itoa(res.Recorded), "m", strconv.Itoa(res.Unchanged)), fiber.StatusSeeOther)
}

func (s *Server) dispatchPlaceUnzoned(c *fiber.Ctx) error {
	u, office, day, err := s.dispatchScope(c, c.FormValue("bc"), c.FormValue("ngay"))
	if err != nil {
		return err
	}
	n, err := s.d.Dispatch.PlaceUnzoned(c.UserContext(), u, office.ProvinceCode)
	if err != nil {
		return err
	}
	back := planURL(office.Code, day, "tb", "xep-vung", "n", strconv.Itoa(n))
	if c.FormValue("ve") == "vung" {
		back = dispatchBase + "/vung?bc=" + url.QueryEscape(office.Code) + "&tb=xep-vung&n=" + strconv.Itoa(n)
	}
	return c.Redirect(back, fiber.StatusSeeOther)
}
