package web

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/units"
	"hoso/internal/vntext"
	"hoso/tracking"
)

// The citizen's self-service on the tracking page (issue 18 item 2): a
// code to the phone on file proves the pickup is theirs, then they may
// cancel it, choose another window, say they will not be home, or correct
// the address line. A desk's clerk does the same from the staff side.

// Changeable reports whether the page offers changes: a pickup still at
// the citizen's home.
func (t publicTimeline) Changeable() bool {
	if t.Leg != tracking.LegPickup {
		return false
	}
	switch tracking.Status(t.Status) {
	case tracking.StatusRequested, tracking.StatusScheduled, tracking.StatusPickupFailed:
		return true
	}
	return false
}

// selfCookie holds the self-service session's token (one parcel).
const selfCookie = "tp"

// selfActions are the changes, by the form's thao_tac value.
var selfActions = map[string]string{"huy": "cancel", "gio": "window", "vang-nha": "not_home", "dia-chi": "address"}

type selfPage struct {
	Number      string
	Status      string
	Base        string // the form's action
	Back        string // the tracking page
	Staff       bool
	Step        string // send | code | change | closed
	Why         string // why it can no longer be changed
	PhoneMasked string
	ResendsLeft int
	Window      string // the window the request has now
	Days        []slotDay
	Slot        string
	Line        string
	Commune     string
	Communes    []units.Commune
	Reason      string
	NotHome     bool // the citizen said they will not be home: choose a window first
	Errors      map[string]string
	Summary     []fieldError
	Flash       string
	Demo        bool
	Challenge   string // a proof-of-work challenge the page's script solves before sending the code
	Bits        int
}

func (s *Server) selfNumber(c *fiber.Ctx) (string, error) {
	raw := c.Params("number")
	n, err := tracking.ParseTyped(raw)
	if err != nil || !utf8.ValidString(raw) {
		return "", notFoundNumber()
	}
	return n.String(), nil
}

// selfFill fills what the change page shows of a pickup.
func (s *Server) selfFill(c *fiber.Ctx, pg *selfPage, p app.Parcel) error {
	pg.Status = tracking.Status(p.Status).Label()
	if why := app.Changeable(p); why != "" {
		pg.Step, pg.Why = "closed", why
		return nil
	}
	if p.WindowStart != nil && p.WindowEnd != nil {
		pg.Window = windowText(*p.WindowStart, *p.WindowEnd)
	}
	if pg.Line == "" && pg.Errors["address_line"] == "" {
		pg.Line = p.AddressLine
	}
	if pg.Commune == "" {
		pg.Commune = p.CommuneCode
	}
	pg.Communes = s.d.Units.CommunesOf(p.ProvinceCode)
	slots, err := s.d.Self.Windows(c.UserContext(), p)
	if err != nil {
		return err
	}
	lastDay := ""
	var cur *slotDay
	for _, sl := range slots {
		day := sl.Window.Start.In(vietnam).Format("02/01")
		if day != lastDay {
			pg.Days = append(pg.Days, slotDay{Label: weekdayVN(sl.Window.Start) + ", " + sl.Window.Start.In(vietnam).Format("02/01/2006")})
			cur = &pg.Days[len(pg.Days)-1]
			lastDay = day
		}
		v := strconv.FormatInt(sl.Window.Start.Unix(), 10)
		label := sl.Window.Start.In(vietnam).Format("15:04") + "–" + sl.Window.End.In(vietnam).Format("15:04")
		if !sl.Free {
			label += " (đã kín)"
		}
		cur.Slots = append(cur.Slots, slotOpt{Value: v, Label: label, Free: sl.Free, Checked: v == pg.Slot})
	}
	if evs, err := s.d.Intake.Store.FindEvents(c.UserContext(), p.ID); err == nil && len(evs) > 0 {
		pg.NotHome = evs[len(evs)-1].Type == tracking.PickupNotHome
	}
	return nil
}

func windowText(a, b time.Time) string {
	return fmt.Sprintf("%s–%s, %s %s", a.In(vietnam).Format("15:04"), b.In(vietnam).Format("15:04"), strings.ToLower(weekdayVN(a)),
		a.In(vietnam).Format("02/01/2006"))
}

// selfPageFor is the citizen's change page for the session in the cookie.
func (s *Server) selfPageFor(c *fiber.Ctx, number string, pg selfPage) (selfPage, error) {
	pg.Number, pg.Base, pg.Back, pg.Demo = number, "/tra-cuu/"+number+"/thay-doi", "/tra-cuu/"+number, s.d.Demo
	ctx := c.UserContext()
	tok := c.Cookies(s.cookieName(selfCookie))
	p, err := s.d.Self.Parcel(ctx, number)
	if err != nil {
		return pg, err
	}
	if why := app.Changeable(p); why != "" {
		pg.Status, pg.Step, pg.Why = tracking.Status(p.Status).Label(), "closed", why
		return pg, nil
	}
	f, _, err := s.d.Self.Session(ctx, tok, number)
	switch {
	case err != nil:
		pg.Step = "send"
		if tok != "" && pg.Summary == nil && errs.Is(err, errs.Forbidden) {
			pg.Summary = []fieldError{{Message: errMessage(err)}}
		}
		// Past the address's free codes today, sending needs a solved
		// challenge, as on the request form.
		need, err := s.d.Citizen.NeedsChallenge(ctx, s.clientIP(c))
		if err != nil {
			return pg, err
		}
		if need {
			pg.Challenge, pg.Bits = s.newChallenge(c), s.d.PowBits
		}
		pg.PhoneMasked = vntext.MaskLast3(p.PhoneLast3)
		pg.Status = tracking.Status(p.Status).Label()
		return pg, nil
	case f.VerifiedAt == nil:
		pg.Step, pg.ResendsLeft = "code", max(0, app.OTPMaxResends-f.Resends)
		pg.PhoneMasked = vntext.MaskLast3(p.PhoneLast3)
		pg.Status = tracking.Status(p.Status).Label()
		return pg, nil
	}
	if _, err := s.d.Self.Verified(ctx, tok, number); err != nil {
		return pg, err
	}
	pg.Step = "change"
	return pg, s.selfFill(c, &pg, p)
}

func (s *Server) selfRender(c *fiber.Ctx, status int, pg selfPage) error {
	name, title := "track_change", "Thay đổi yêu cầu "+pg.Number
	if pg.Staff {
		name = "staff_change"
	}
	v := s.viewFor(c, title, pg)
	if pg.Challenge != "" {
		v.Script = []string{"js/pow.js"}
	}
	return s.pageStatus(c, status, name, v)
}

// selfGet shows the change page: send a code, type it, then the changes.
func (s *Server) selfGet(c *fiber.Ctx) error {
	number, err := s.selfNumber(c)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	pg, err := s.selfPageFor(c, number, selfPage{Flash: s.flashText(c)})
	if err != nil {
		return err
	}
	return s.selfRender(c, fiber.StatusOK, pg)
}

// selfFail re-renders the page with an error the visitor can act on, or
// passes anything else on.
func (s *Server) selfFail(c *fiber.Ctx, number string, pg selfPage, err error, fields ...string) error {
	k := errs.KindOf(err)
	switch k {
	case errs.Invalid, errs.Unprocessable, errs.Conflict, errs.RateLimited, errs.Unavailable, errs.Forbidden, errs.Unauthorized:
	default:
		return err
	}
	summary := pg.Summary
	pg.Errors, pg.Summary = fieldPage(err, fields...)
	if summary != nil {
		pg.Summary = summary // the caller's fuller words
	}
	status := fiber.StatusUnprocessableEntity
	switch k {
	case errs.Conflict:
		status = fiber.StatusConflict
	case errs.RateLimited:
		status = fiber.StatusTooManyRequests
		setRetryAfter(c, err)
	case errs.Unavailable:
		status = fiber.StatusServiceUnavailable
	case errs.Forbidden:
		status = fiber.StatusForbidden
	case errs.Unauthorized:
		status = fiber.StatusUnauthorized
	}
	var ferr error
	if pg.Staff {
		pg, ferr = s.staffSelfPage(c, number, pg)
	} else {
		pg, ferr = s.selfPageFor(c, number, pg)
	}
	if ferr != nil {
		return ferr
	}
	return s.selfRender(c, status, pg)
}

// selfSend sends the one-time code to the phone on file.
func (s *Server) selfSend(c *fiber.Ctx) error {
	number, err := s.selfNumber(c)
	if err != nil {
		return err
	}
	challenged := false
	if ch := c.FormValue("pow_challenge"); ch != "" {
		if perr := s.checkChallenge(c, ch, c.FormValue("pow_nonce")); perr == nil {
			challenged = true
		} else if !errs.Is(perr, errs.Forbidden) {
			return perr
		}
	}
	tok, err := s.d.Self.Prove(c.UserContext(), number, s.clientIP(c), challenged)
	if errors.Is(err, app.ErrChallenge) {
		return s.selfFail(c, number, selfPage{Summary: []fieldError{{Message: errMessage(err) + " Trang sẽ tự kiểm tra trong giây lát rồi gửi; trình duyệt cần bật JavaScript."}}}, err)
	}
	if err != nil {
		return s.selfFail(c, number, selfPage{}, err)
	}
	s.setCookie(c, selfCookie, tok, s.d.Now().Add(30*time.Minute))
	return c.Redirect("/tra-cuu/"+number+"/thay-doi", fiber.StatusSeeOther)
}

// selfVerify checks the code typed.
func (s *Server) selfVerify(c *fiber.Ctx) error {
	number, err := s.selfNumber(c)
	if err != nil {
		return err
	}
	code := c.FormValue("code")
	if !utf8.ValidString(code) || len(code) > 20 {
		code = "x"
	}
	tok := c.Cookies(s.cookieName(selfCookie))
	if err := s.d.Self.Verify(c.UserContext(), tok, number, code); err != nil {
		return s.selfFail(c, number, selfPage{}, err, "code")
	}
	s.setCookie(c, selfCookie, tok, s.d.Now().Add(30*time.Minute))
	return c.Redirect("/tra-cuu/"+number+"/thay-doi?"+s.flashQuery(c, "Đã xác nhận. Bạn có thể thay đổi yêu cầu trong 30 phút."), fiber.StatusSeeOther)
}

// selfResend sends the code again.
func (s *Server) selfResend(c *fiber.Ctx) error {
	number, err := s.selfNumber(c)
	if err != nil {
		return err
	}
	tok := c.Cookies(s.cookieName(selfCookie))
	left, err := s.d.Self.Resend(c.UserContext(), tok, number, s.clientIP(c))
	if err != nil {
		return s.selfFail(c, number, selfPage{}, err)
	}
	msg := fmt.Sprintf("Đã gửi mã mới. Còn gửi lại được %d lần.", left)
	return c.Redirect("/tra-cuu/"+number+"/thay-doi?"+s.flashQuery(c, msg), fiber.StatusSeeOther)
}

// selfForm reads a change form.
type selfForm struct {
	Action, Slot, Line, Commune, Reason string
	bad                                 bool // a value is not UTF-8
	long                                bool // a value is far longer than any field takes
}

func readSelfForm(c *fiber.Ctx) selfForm {
	f := selfForm{Action: c.FormValue("thao_tac"), Slot: c.FormValue("slot"), Line: c.FormValue("address_line"),
		Commune: c.FormValue("commune_code"), Reason: c.FormValue("reason")}
	for _, v := range []string{f.Action, f.Slot, f.Line, f.Commune, f.Reason} {
		if !utf8.ValidString(v) {
			f.bad = true
		}
		if len(v) > 2000 {
			f.long = true
		}
	}
	return f
}

// selfDo makes one change for an actor and says what happened.
func (s *Server) selfDo(c *fiber.Ctx, a app.Actor, number string, f selfForm) (string, []string, error) {
	ctx := c.UserContext()
	if f.bad {
		return "", nil, errs.E(errs.Invalid, "Nội dung gửi lên có ký tự không đọc được. Hãy gõ lại bằng bàn phím tiếng Việt.")
	}
	if f.long {
		return "", nil, errs.E(errs.Invalid, "Nội dung gửi lên quá dài. Địa chỉ tối đa %d ký tự, lý do tối đa 300 ký tự.", app.MaxAddressLine)
	}
	switch selfActions[f.Action] {
	case "cancel":
		if _, err := s.d.Self.Cancel(ctx, a, number, f.Reason); err != nil {
			return "", []string{"reason"}, err
		}
		return "Đã hủy yêu cầu thu gom. Bưu tá sẽ không đến.", nil, nil
	case "window":
		sec, err := strconv.ParseInt(strings.TrimSpace(f.Slot), 10, 64)
		var start time.Time
		if err == nil && sec > 0 {
			start = time.Unix(sec, 0)
		} else if f.Slot != "" {
			return "", []string{"slot"}, errs.E(errs.Invalid, "Khung giờ không hợp lệ").WithFields(map[string]string{"slot": "Chọn một khung giờ trong danh sách"})
		}
		p, err := s.d.Self.ChooseWindow(ctx, a, number, start)
		if err != nil {
			if fs := errs.FieldsOf(err); fs["window"] != "" {
				err = errs.E(errs.KindOf(err), "%s", errMessage(err)).WithFields(map[string]string{"slot": fs["window"]})
			}
			return "", []string{"slot"}, err
		}
		msg := "Đã đổi giờ thu gom."
		if p.WindowStart != nil && p.WindowEnd != nil {
			msg = "Đã đổi giờ thu gom sang " + windowText(*p.WindowStart, *p.WindowEnd) + "."
		}
		return msg, nil, nil
	case "not_home":
		if _, err := s.d.Self.NotHome(ctx, a, number); err != nil {
			return "", nil, err
		}
		if a.Clerk != nil {
			return "Đã ghi nhận công dân vắng nhà: bưu tá sẽ không đến trong giờ đã hẹn. Hãy chọn cùng công dân một khung giờ khác.", nil, nil
		}
		return "Đã ghi nhận bạn vắng nhà: bưu tá sẽ không đến trong giờ đã hẹn. Hãy chọn một khung giờ khác.", nil, nil
	case "address":
		if _, err := s.d.Self.CorrectAddress(ctx, a, number, f.Line, f.Commune); err != nil {
			return "", []string{"address_line", "commune_code"}, err
		}
		return "Đã sửa địa chỉ thu gom.", nil, nil
	}
	return "", nil, errs.E(errs.Invalid, "Chưa chọn việc cần làm. Hãy bấm một trong các nút trên trang.")
}

// selfPost makes the citizen's change, after the code.
func (s *Server) selfPost(c *fiber.Ctx) error {
	number, err := s.selfNumber(c)
	if err != nil {
		return err
	}
	tok := c.Cookies(s.cookieName(selfCookie))
	f := readSelfForm(c)
	pg := selfPage{Slot: f.Slot, Line: f.Line, Commune: f.Commune, Reason: f.Reason}
	if f.bad || f.long {
		pg = selfPage{}
	}
	if _, err := s.d.Self.Verified(c.UserContext(), tok, number); err != nil {
		return s.selfFail(c, number, pg, err)
	}
	msg, fields, err := s.selfDo(c, app.Actor{}, number, f)
	if err != nil {
		return s.selfFail(c, number, pg, err, fields...)
	}
	return c.Redirect("/tra-cuu/"+number+"/thay-doi?"+s.flashQuery(c, msg), fiber.StatusSeeOther)
}

// staffSelfPage is the clerk's change page: no code, the clerk's scope.
func (s *Server) staffSelfPage(c *fiber.Ctx, number string, pg selfPage) (selfPage, error) {
	u, _ := c.Locals(localUser).(app.User)
	pg.Number, pg.Base, pg.Back, pg.Staff = number, "/nhan-vien/thay-doi/"+number, "/tra-cuu/"+number, true
	p, err := s.d.Self.Parcel(c.UserContext(), number)
	if err != nil {
		return pg, err
	}
	if u.Role != app.RoleAdmin && p.DeskCode != u.DeskCode {
		return pg, errs.E(errs.Forbidden, "Yêu cầu %s thuộc nơi tiếp nhận khác: bạn không được thay đổi", number)
	}
	pg.Step, pg.PhoneMasked = "change", vntext.MaskLast3(p.PhoneLast3)
	return pg, s.selfFill(c, &pg, p)
}

func (s *Server) staffSelfGet(c *fiber.Ctx) error {
	number, err := s.selfNumber(c)
	if err != nil {
		return err
	}
	pg, err := s.staffSelfPage(c, number, selfPage{Flash: s.flashText(c)})
	if err != nil {
		return err
	}
	return s.selfRender(c, fiber.StatusOK, pg)
}

func (s *Server) staffSelfPost(c *fiber.Ctx) error {
	number, err := s.selfNumber(c)
	if err != nil {
		return err
	}
	u, _ := c.Locals(localUser).(app.User)
	if _, err := s.staffSelfPage(c, number, selfPage{}); errs.Is(err, errs.Forbidden) || errs.Is(err, errs.NotFound) {
		return err
	}
	f := readSelfForm(c)
	pg := selfPage{Slot: f.Slot, Line: f.Line, Commune: f.Commune, Reason: f.Reason, Staff: true}
	if f.bad || f.long {
		pg = selfPage{Staff: true}
	}
	msg, fields, err := s.selfDo(c, app.Actor{Clerk: &u}, number, f)
	if err != nil {
		return s.selfFail(c, number, pg, err, fields...)
	}
	return c.Redirect("/nhan-vien/thay-doi/"+number+"?"+s.flashQuery(c, msg), fiber.StatusSeeOther)
}

// selfServiceRoutes registers the change pages: the citizen's under the
// tracking page (rate limited, no cache), the clerk's under /nhan-vien.
func (s *Server) selfServiceRoutes(pg, staff fiber.Router) {
	self := pg.Group("/tra-cuu/:number/thay-doi", noStore, s.rateLimit(s.public))
	self.Get("", s.selfGet)
	self.Post("", s.selfPost)
	self.Post("/gui-ma", s.selfSend)
	self.Post("/xac-minh", s.selfVerify)
	self.Post("/gui-lai-ma", s.selfResend)
	clerk := s.requireRole(app.RoleDesk, app.RoleAdmin)
	staff.Get("/thay-doi/:number", clerk, s.staffSelfGet)
	staff.Post("/thay-doi/:number", clerk, s.staffSelfPost)
}

// planETA is when the courier should come, from the latest published plan:
// the planned arrival give or take a quarter of an hour, kept inside the
// window. A re-plan publishes a new time; a change of window or "not at
// home" withdraws it until the next plan.
type planETA struct {
	From, To time.Time
}

// ETABand is the half-width of the band told around the planned arrival.
const ETABand = 15 * time.Minute

// Text is the sentence the page shows.
func (e planETA) Text() string {
	return fmt.Sprintf("Bưu tá dự kiến đến trong khoảng %s–%s ngày %s", hmVN(e.From), hmVN(e.To), e.From.In(vietnam).Format("02/01/2006"))
}

func hmVN(t time.Time) string {
	t = t.In(vietnam)
	return fmt.Sprintf("%d:%02d", t.Hour(), t.Minute())
}

type etaJSON struct {
	From string `json:"from"`
	To   string `json:"to"`
	Text string `json:"text"`
}

// etaOf reads the ETA of a scheduled pickup from its latest plan event.
func etaOf(p app.Parcel, evs []tracking.Event) *planETA {
	if p.Leg != tracking.LegPickup || p.Status != tracking.StatusScheduled || len(evs) == 0 {
		return nil
	}
	last := evs[len(evs)-1]
	if last.Type != tracking.PickupScheduled {
		return nil
	}
	var d tracking.Scheduled
	if jsonUnmarshal(last.Data, &d) != nil || d.ETA == "" {
		return nil
	}
	eta, err := time.Parse(time.RFC3339, d.ETA)
	if err != nil {
		return nil
	}
	e := planETA{From: eta.Add(-ETABand), To: eta.Add(ETABand)}
	if ws, err := time.Parse(time.RFC3339, d.WindowStart); err == nil && e.From.Before(ws) {
		e.From = ws
	}
	if we, err := time.Parse(time.RFC3339, d.WindowEnd); err == nil && e.To.After(we) {
		e.To = we
	}
	if !e.To.After(e.From) {
		return nil
	}
	return &e
}
