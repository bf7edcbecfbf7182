package web

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
)

// The dispatcher's way out of a stuck hand-off: the releases waiting for
// their receiver, and the recall.

type handoffItem struct {
	app.Pending
	Giver, Receiver string
	Late            bool
}

type handoffsPage struct {
	Items    []handoffItem
	Flash    string
	ErrorFor string
	Error    string
	Summary  []fieldError
}

func (s *Server) handoffsData(c *fiber.Ctx) (handoffsPage, error) {
	u := currentUser(c)
	ps, err := s.d.Hops.PendingReleases(c.UserContext(), u, 300)
	if err != nil {
		return handoffsPage{}, err
	}
	name := s.namer(c.UserContext())
	now := s.d.Now()
	var p handoffsPage
	for _, x := range ps {
		p.Items = append(p.Items, handoffItem{Pending: x, Giver: name(x.Handoff.Giver) + " (" + x.Handoff.Giver.String() + ")",
			Receiver: name(x.Handoff.Receiver) + " (" + x.Handoff.Receiver.String() + ")", Late: now.After(x.Handoff.Deadline)})
	}
	return p, nil
}

func (s *Server) handoffsList(c *fiber.Ctx) error {
	p, err := s.handoffsData(c)
	if err != nil {
		return err
	}
	p.Flash = s.flashText(c)
	return s.page(c, "handoffs", "Bàn giao đang chờ", p)
}

// handoffRecall withdraws a release on the dispatcher's page.
func (s *Server) handoffRecall(c *fiber.Ctx) error {
	id := c.Params("id")
	pend, err := s.d.Hops.Recall(c.UserContext(), currentUser(c), id, c.FormValue("reason"))
	if err != nil {
		if errs.Is(err, errs.Unprocessable) || errs.Is(err, errs.Conflict) {
			p, derr := s.handoffsData(c)
			if derr != nil {
				return derr
			}
			p.ErrorFor, p.Error = id, errMessage(err)
			if m := errs.FieldsOf(err)["reason"]; m != "" {
				p.Error = m
			}
			p.Summary = []fieldError{{ID: "ly-do-" + id, Message: p.Error}}
			status := fiber.StatusUnprocessableEntity
			if errs.Is(err, errs.Conflict) {
				status = fiber.StatusConflict
			}
			return s.pageStatus(c, status, "handoffs", s.viewFor(c, "Bàn giao đang chờ", p))
		}
		return err
	}
	msg := "Đã thu hồi bàn giao " + pend.Parcel.Number + ": bên giao vẫn giữ hồ sơ và bàn giao lại"
	return c.Redirect("/nhan-vien/ban-giao?"+s.flashQuery(c, msg), fiber.StatusSeeOther)
}

type recallBody struct {
	Reason string `json:"reason"`
}

type recallResult struct {
	Handoff        string `json:"handoff_id"`
	TrackingNumber string `json:"tracking_number"`
	Status         string `json:"status"`
	RecalledAt     string `json:"recalled_at"`
}

// recallAPI is the recall through the staff API (session and X-CSRF-Token).
func (s *Server) recallAPI(c *fiber.Ctx) error {
	var b recallBody
	if err := decodeJSON(c.Body(), &b); err != nil {
		return err
	}
	pend, err := s.d.Hops.Recall(c.UserContext(), currentUser(c), c.Params("id"), b.Reason)
	if err != nil {
		return err
	}
	return c.JSON(recallResult{Handoff: pend.Handoff.ID, TrackingNumber: pend.Parcel.Number, Status: "recalled",
		RecalledAt: s.d.Now().In(vietnam).Format(time.RFC3339)})
}
