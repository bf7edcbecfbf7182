package web

import (
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

// A citizen reports a problem with a parcel from its tracking page, after
// proving it is theirs (the phone's last four digits or a receipt code).
// Wrong proofs are counted per client address (s.proof, shared with the
// tracking page), per parcel number in this instance (s.complaints, a few
// an hour) and per parcel and day in all instances (app.TrackingProof). A
// number that does not exist gets the same answer as a wrong proof.

// complaintProofsPerHour is how many wrong proofs the complaint form takes
// for one parcel number in an hour before it locks.
const complaintProofsPerHour = 5

func (s *Server) complaintRoutes(pg fiber.Router) {
	pg.Get("/tra-cuu/:number/phan-anh", noStore, s.rateLimit(s.public), s.complaintForm)
	pg.Post("/tra-cuu/:number/phan-anh", noStore, s.rateLimit(s.public), s.complaintSubmit)
}

func (s *Server) complaintStaffRoutes(staff fiber.Router) {
	staff.Post("/su-co/:id/tra-loi", s.requireRole(app.RoleAdmin, app.RoleDispatcher, app.RoleOffice, app.RoleDesk), s.complaintAnswer)
	staff.Post("/canh-bao/:id/that-lac", s.requireRole(app.RoleAdmin, app.RoleDispatcher), s.quietLost)
}

type complaintProblem struct {
	Key, Label string
	Checked    bool
}

type complaintPage struct {
	Number   string
	Problems []complaintProblem
	Note     string
	Max      int
	Errors   map[string]string
	Summary  []fieldError
	Sent     bool      // the complaint was recorded
	Again    bool      // it was already recorded (a second submit)
	DueAt    time.Time // when an answer is due
	Locked   bool
	LockNote string
}

func newComplaintPage(number, problem, note string) complaintPage {
	p := complaintPage{Number: number, Note: note, Max: app.MaxComplaintNote}
	for _, c := range app.ComplaintProblems {
		p.Problems = append(p.Problems, complaintProblem{Key: c.Key, Label: c.Label, Checked: c.Key == problem})
	}
	return p
}

// complaintNumber reads the number in the path without saying whether it
// exists: a malformed number is not found, a well-formed one gets the form.
func complaintNumber(c *fiber.Ctx) (string, error) {
	raw := c.Params("number")
	if u, err := url.PathUnescape(raw); err == nil {
		raw = u
	}
	n, err := tracking.ParseTyped(raw)
	if err != nil {
		return "", notFoundNumber()
	}
	return n.String(), nil
}

func (s *Server) complaintForm(c *fiber.Ctx) error {
	n, err := complaintNumber(c)
	if err != nil {
		return err
	}
	p := newComplaintPage(n, c.Query("van_de"), "")
	if c.Query("da_gui") == "1" {
		p.Sent = true
	}
	return s.page(c, "complaint", "Báo vấn đề với hồ sơ "+n, p)
}

func (s *Server) complaintSubmit(c *fiber.Ctx) error {
	n, err := complaintNumber(c)
	if err != nil {
		return err
	}
	p := newComplaintPage(n, c.FormValue("van_de"), c.FormValue("noi_dung"))
	fail := func(status int, err error) error {
		p.Errors, p.Summary = formErrors(err, map[string]string{"problem": "van_de", "note": "noi_dung", "proof": "so_cuoi"})
		return s.pageStatus(c, status, "complaint", s.viewFor(c, "Báo vấn đề với hồ sơ "+n, p))
	}
	ip := s.clientIP(c)
	for _, key := range []string{ip, "so:" + n} {
		l := s.proof
		if key != ip {
			l = s.complaints
		}
		if blocked, wait := l.blocked(key); blocked {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(wait.Seconds())+1))
			p.Locked = true
			return fail(fiber.StatusTooManyRequests, errs.E(errs.RateLimited,
				"Đã nhập sai thông tin xác minh quá nhiều lần. Vui lòng thử lại sau %d phút, hoặc gọi tổng đài.", int(wait.Minutes())+1))
		}
	}
	inc, created, err := s.d.Cases.Report(c.UserContext(), app.ComplaintInput{Number: n, PhoneLast4: c.FormValue("so_cuoi"),
		ReceiptCode: c.FormValue("ma_bien_nhan"), Problem: c.FormValue("van_de"), Note: c.FormValue("noi_dung")})
	if err != nil {
		switch {
		case errs.Is(err, errs.RateLimited):
			setRetryAfter(c, err)
			p.Locked = true
			return fail(fiber.StatusTooManyRequests, err)
		case errs.Is(err, errs.Invalid):
			if fs := errs.FieldsOf(err); fs["proof"] != "" {
				if c.FormValue("so_cuoi") != "" || c.FormValue("ma_bien_nhan") != "" {
					s.proof.allow(ip)
					s.complaints.allow("so:" + n)
				}
			}
			return fail(fiber.StatusUnprocessableEntity, err)
		}
		return err
	}
	Logger(c.UserContext()).Info("complaint", "number", n, "problem", inc.Problem, "new", created)
	// The citizen proved the parcel: its details open in this browser too.
	s.grantDetails(c, n)
	return c.Redirect("/tra-cuu/"+n+"#phan-anh", fiber.StatusSeeOther)
}

// complaintJSON is a complaint in the tracking JSON (with a proof only).
type complaintJSON struct {
	Problem  string       `json:"problem"`
	At       string       `json:"at"`
	AnswerBy string       `json:"answer_due"`
	Open     bool         `json:"open"`
	Answers  []answerJSON `json:"answers"`
}

type answerJSON struct {
	At   string `json:"at"`
	Text string `json:"text"`
}

func complaintsJSON(cs []app.PublicComplaint) []complaintJSON {
	var out []complaintJSON
	for _, c := range cs {
		j := complaintJSON{Problem: c.Problem, At: rfc(c.At), AnswerBy: rfc(c.DueAt), Open: c.Open, Answers: []answerJSON{}}
		for _, a := range c.Answers {
			j.Answers = append(j.Answers, answerJSON{At: rfc(a.At), Text: a.Body})
		}
		out = append(out, j)
	}
	return out
}

// complaintAnswer records a staff answer to a complaint (audited); with
// "xong" it also closes it.
func (s *Server) complaintAnswer(c *fiber.Ctx) error {
	u := currentUser(c)
	id := c.Params("id")
	err := s.d.Cases.Answer(c.UserContext(), u, id, c.FormValue("answer"), c.FormValue("xong") == "1")
	if err != nil {
		if !userError(err) {
			return err
		}
		i, ferr := s.d.Cases.Incident(c.UserContext(), u, id)
		if ferr != nil {
			return ferr
		}
		p := s.newIncidentPage(c, u, i)
		p.Answer = c.FormValue("answer")
		p.Errors, p.Summary = fieldPage(err, "answer")
		status := fiber.StatusUnprocessableEntity
		if errs.Is(err, errs.Conflict) {
			status = fiber.StatusConflict
		}
		return s.pageStatus(c, status, "incident", s.viewFor(c, "Sự cố "+i.Number, p))
	}
	return c.Redirect("/nhan-vien/su-co/"+id+"#tra-loi", fiber.StatusSeeOther)
}

// quietLost opens a lost-original case from the alarm of a parcel that
// went quiet past its limit.
func (s *Server) quietLost(c *fiber.Ctx) error {
	u := currentUser(c)
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return errs.E(errs.NotFound, "không tìm thấy cảnh báo")
	}
	inc, err := s.d.Cases.DeclareQuietLost(c.UserContext(), u, id, c.FormValue("note"))
	if err != nil {
		if !userError(err) {
			return err
		}
		if errs.Is(err, errs.Conflict) && inc.ID != "" {
			return c.Redirect("/nhan-vien/su-co/"+inc.ID, fiber.StatusSeeOther)
		}
		status := fiber.StatusUnprocessableEntity
		if errs.Is(err, errs.Conflict) {
			status = fiber.StatusConflict
		}
		number := c.FormValue("number")
		if number == "" {
			return err
		}
		return s.renderStaffParcel(c, status, staffParcelPageData{Number: number, QuietAlarm: id, QuietErrors: fieldMsgs(err, "note"), QuietNote: c.FormValue("note")})
	}
	return c.Redirect("/nhan-vien/su-co/"+inc.ID, fiber.StatusSeeOther)
}

func fieldMsgs(err error, ids ...string) map[string]string {
	m, _ := fieldPage(err, ids...)
	if len(m) == 0 {
		m = map[string]string{ids[0]: errMessage(err)}
	}
	return m
}
