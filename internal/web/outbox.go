package web

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/vntext"
	"hoso/tracking"
)

const outboxBase = "/nhan-vien/hop-thu-di"

// outboxRoutes registers the staff pages of the outbox (what went to the
// portals and to citizens, the dead-letter list with retry and discard) and
// the citizens' opt-out link.
func (s *Server) outboxRoutes(pg fiber.Router) {
	staff := s.requireRole(app.RoleAdmin, app.RoleDispatcher)
	pg.Get(outboxBase, noStore, staff, s.outboxPage)
	pg.Get(outboxBase+"/loi", noStore, staff, s.outboxDeadPage)
	pg.Post(outboxBase+"/:id/gui-lai", noStore, staff, s.outboxRetry)
	pg.Post(outboxBase+"/:id/bo", noStore, staff, s.outboxDiscard)
	pg.Get("/huy-tin-nhan/:token", noStore, s.rateLimit(s.public), s.optOutPage)
	pg.Post("/huy-tin-nhan/:token", noStore, s.rateLimit(s.public), s.optOutSubmit)
}

// notifyAPIRoutes registers the SMS gateway's reply webhook (a citizen
// answers "TC" to stop messages). It belongs in the machine API group, where
// no session or CSRF check runs.
func (s *Server) notifyAPIRoutes(api fiber.Router) {
	api.Post("/notify/sms-replies", s.smsReply)
}

// kindLabels name the notification kinds for staff.
var kindLabels = map[string]string{
	app.NotifyPickupScheduled: "Hẹn lịch thu gom",
	app.NotifyPickupOnTheWay:  "Bưu tá đang đến",
	app.NotifyPickupFailed:    "Thu gom chưa thành công",
	app.NotifyCollected:       "Đã nhận hồ sơ, biên nhận",
	app.NotifyAtDesk:          "Đã đến nơi tiếp nhận",
	app.NotifyAccepted:        "Hồ sơ được tiếp nhận",
	app.NotifyReturned:        "Hồ sơ chưa đủ, trả lại",
	app.NotifyResultReady:     "Đã có kết quả",
	app.NotifyResultOut:       "Đang giao kết quả",
	app.NotifyDeliveryFailed:  "Giao chưa thành công",
	app.NotifyHeld:            "Lưu tại bưu cục",
	app.NotifyDelivered:       "Đã giao kết quả",
	app.NotifyReturnedToDesk:  "Trả về nơi tiếp nhận",
	app.NotifyCancelled:       "Đã hủy yêu cầu",
}

type outboxRow struct {
	app.OutboxEntry
	Channel string // Vietnamese name of the topic
	What    string // the callback's status or the message's kind
	To      string // portal client, or the citizen's masked phone
}

type outboxStat struct {
	Channel string
	Pending int
	Dead    int
	Oldest  string
}

type outboxPage struct {
	Stats   []outboxStat
	Rows    []outboxRow
	Topic   string
	State   string
	Scope   string
	Flash   string
	Tabs    []navItem
	Dead    bool
	Reasons []string
}

func topicLabel(t string) string {
	if t == app.TopicPortal {
		return "Cổng dịch vụ công"
	}
	return "Tin nhắn công dân"
}

func (s *Server) outboxRows(es []app.OutboxEntry) []outboxRow {
	out := make([]outboxRow, len(es))
	for i, e := range es {
		r := outboxRow{OutboxEntry: e, Channel: topicLabel(e.Topic)}
		if e.Topic == app.TopicPortal {
			r.What, r.To = tracking.Status(e.Status).Label(), e.Target
		} else {
			r.What = kindLabels[e.Target]
			if r.What == "" {
				r.What = e.Target
			}
			if e.PhoneLast3 != "" {
				r.To = vntext.MaskLast3(e.PhoneLast3)
			}
		}
		out[i] = r
	}
	return out
}

// outboxScopeLabel names what a user sees of the outbox.
func outboxScopeLabel(u app.User) string {
	if p, _ := app.OutboxScope(u); p != "" {
		return "tỉnh " + p
	}
	return "toàn hệ thống"
}

func (s *Server) outboxStats(c *fiber.Ctx) ([]outboxStat, error) {
	stats, err := s.d.Outbox.Stats(c.UserContext(), currentUser(c))
	if err != nil {
		return nil, err
	}
	now := s.d.Now()
	byTopic := map[string]app.OutboxStat{}
	for _, x := range stats {
		byTopic[x.Topic] = x
	}
	var out []outboxStat
	for _, t := range []string{app.TopicPortal, app.TopicNotify} {
		x := byTopic[t]
		o := outboxStat{Channel: topicLabel(t), Pending: x.Pending, Dead: x.Dead, Oldest: "—"}
		if x.Oldest != nil {
			o.Oldest = humanAge(now.Sub(*x.Oldest))
		}
		out = append(out, o)
	}
	return out, nil
}

func humanAge(d time.Duration) string {
	switch {
	case d < time.Minute:
		return strconv.Itoa(int(d.Seconds())) + " giây"
	case d < time.Hour:
		return strconv.Itoa(int(d.Minutes())) + " phút"
	case d < 48*time.Hour:
		return strconv.Itoa(int(d.Hours())) + " giờ"
	}
	return strconv.Itoa(int(d.Hours()/24)) + " ngày"
}

var outboxFlashes = map[string]string{
	"gui-lai": "Đã đưa mục trở lại hàng đợi; các mục phía sau của cùng hồ sơ sẽ được gửi tiếp theo thứ tự.",
	"bo":      "Đã bỏ mục; các mục phía sau của cùng hồ sơ được gửi tiếp. Việc bỏ đã được ghi nhật ký.",
}

func outboxTabs(path, topic, state string) []navItem {
	var tabs []navItem
	for _, t := range []struct{ href, label, state string }{
		{outboxBase + "?trang-thai=da-gui", "Đã gửi", "da-gui"},
		{outboxBase + "?trang-thai=dang-cho", "Đang chờ", "dang-cho"},
		{outboxBase + "/loi", "Gửi lỗi", "loi"},
	} {
		href := t.href
		if topic != "" {
			sep := "?"
			if strings.Contains(href, "?") {
				sep = "&"
			}
			href += sep + "kenh=" + topic
		}
		tabs = append(tabs, navItem{Href: href, Label: t.label, Current: t.state == state})
	}
	return tabs
}

// outboxPage lists what went out (or waits to): callbacks and messages.
func (s *Server) outboxPage(c *fiber.Ctx) error {
	return s.renderOutbox(c, c.Query("trang-thai", "da-gui"))
}

// outboxDeadPage is the dead-letter list.
func (s *Server) outboxDeadPage(c *fiber.Ctx) error {
	return s.renderOutbox(c, "loi")
}

func (s *Server) renderOutbox(c *fiber.Ctx, stateParam string) error {
	u := currentUser(c)
	topic := ""
	switch c.Query("kenh") {
	case "cong":
		topic = app.TopicPortal
	case "tin-nhan":
		topic = app.TopicNotify
	}
	state := app.OutboxSent
	switch stateParam {
	case "dang-cho":
		state = app.OutboxPending
	case "loi":
		state = app.OutboxDead
	default:
		stateParam = "da-gui"
	}
	es, err := s.d.Outbox.List(c.UserContext(), u, app.OutboxFilter{Topic: topic, State: state, Limit: 200})
	if err != nil {
		return err
	}
	stats, err := s.outboxStats(c)
	if err != nil {
		return err
	}
	p := outboxPage{Stats: stats, Rows: s.outboxRows(es), Topic: c.Query("kenh"), State: stateParam, Scope: outboxScopeLabel(u),
		Flash: outboxFlashes[c.Query("xong")], Tabs: outboxTabs(c.Path(), c.Query("kenh"), stateParam), Dead: state == app.OutboxDead}
	title := "Hộp thư đi"
	if p.Dead {
		title = "Gửi lỗi"
	}
	return s.page(c, "outbox", title, p)
}

func outboxID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errs.E(errs.NotFound, "không tìm thấy mục gửi")
	}
	return id, nil
}

// outboxRetry puts a dead row back in the queue (audited).
func (s *Server) outboxRetry(c *fiber.Ctx) error {
	id, err := outboxID(c)
	if err != nil {
		return err
	}
	if err := s.d.Outbox.Retry(c.UserContext(), currentUser(c), id); err != nil {
		return err
	}
	return c.Redirect(outboxBase+"/loi?xong=gui-lai", fiber.StatusSeeOther)
}

// outboxDiscard drops a dead row for good, with the reason (audited).
func (s *Server) outboxDiscard(c *fiber.Ctx) error {
	id, err := outboxID(c)
	if err != nil {
		return err
	}
	if err := s.d.Outbox.Discard(c.UserContext(), currentUser(c), id, c.FormValue("reason")); err != nil {
		return err
	}
	return c.Redirect(outboxBase+"/loi?xong=bo", fiber.StatusSeeOther)
}

type optOutPage struct {
	Phone    string
	OptedOut bool
	Done     string
	Action   string
}

// optOutPage lets a citizen stop (or restart) the messages about their
// dossier from the link in the first one. The token is the link's only
// secret; an unknown token gets the same 404 as any missing page.
func (s *Server) optOutPage(c *fiber.Ctx) error {
	l, err := s.d.Outbox.OptOutLink(c.UserContext(), c.Params("token"))
	if errs.Is(err, errs.NotFound) {
		return fiber.ErrNotFound
	}
	if err != nil {
		return err
	}
	p := optOutPage{Phone: vntext.MaskLast3(l.PhoneLast3), OptedOut: l.OptedOut, Action: c.Path()}
	switch c.Query("xong") {
	case "tu-choi":
		p.Done = "Đã ghi nhận. Số điện thoại này sẽ không nhận tin nhắn về hồ sơ nữa."
	case "nhan-lai":
		p.Done = "Đã ghi nhận. Số điện thoại này sẽ nhận lại tin nhắn về hồ sơ."
	}
	return s.page(c, "outbox_optout", "Từ chối nhận tin nhắn", p)
}

func (s *Server) optOutSubmit(c *fiber.Ctx) error {
	out := c.FormValue("action") != "nhan-lai"
	err := s.d.Outbox.SetOptOutByLink(c.UserContext(), c.Params("token"), out)
	if errs.Is(err, errs.NotFound) {
		return fiber.ErrNotFound
	}
	if err != nil {
		return err
	}
	done := "tu-choi"
	if !out {
		done = "nhan-lai"
	}
	return c.Redirect(c.Path()+"?xong="+done, fiber.StatusSeeOther)
}

// smsReply takes a citizen's reply forwarded by the SMS gateway, with the
// gateway's bearer token (HOSO_SMS_INBOUND_TOKEN; the server keeps only its
// SHA-256). JSON or form: from (or phone, msisdn) and text (or message,
// body). The phone is hashed at once and never logged.
func (s *Server) smsReply(c *fiber.Ctx) error {
	tok, present := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	var in map[string]string
	badJSON := false
	if strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEApplicationJSON) {
		badJSON = json.Unmarshal(c.Body(), &in) != nil
	} else {
		in = map[string]string{}
		for _, k := range []string{"from", "phone", "msisdn", "text", "message", "body"} {
			in[k] = c.FormValue(k)
		}
	}
	first := func(keys ...string) string {
		for _, k := range keys {
			if v := strings.TrimSpace(in[k]); v != "" {
				return v
			}
		}
		return ""
	}
	if badJSON {
		// The gateway's token is checked before the body is judged.
		if err := s.d.Outbox.ReplyGateway(c.UserContext(), strings.TrimSpace(tok), present); err != nil {
			if errs.Is(err, errs.NotFound) {
				return fiber.ErrNotFound
			}
			return err
		}
		return errs.E(errs.Invalid, "nội dung JSON không hợp lệ")
	}
	result, err := s.d.Outbox.Reply(c.UserContext(), strings.TrimSpace(tok), present, first("from", "phone", "msisdn"), first("text", "message", "body"))
	if errs.Is(err, errs.NotFound) {
		return fiber.ErrNotFound
	}
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"result": result})
}
