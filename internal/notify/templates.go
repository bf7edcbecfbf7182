// Package notify tells citizens where their dossier is: Vietnamese templates
// for each step they care about, the SMS length policy (with or without
// diacritics), quiet hours, a per-citizen daily cap, opt-out by reply or
// link, and the providers that carry the messages (an HTTP SMS gateway, Zalo
// ZNS, and the demo provider that keeps messages for staff to read).
//
// Phones reach this package only in memory, opened by the caller at send
// time; nothing here logs or stores one (counters and opt-outs use the keyed
// hash of the phone).
package notify

import (
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/unicode/norm"

	"hoso/internal/dong"
	"hoso/tracking"
)

// Kinds of notification (the same strings as app.Notify*).
const (
	PickupScheduled = "pickup_scheduled"
	PickupOnTheWay  = "pickup_on_the_way"
	PickupFailed    = "pickup_failed"
	Collected       = "collected"
	AtDesk          = "at_desk"
	Accepted        = "accepted"
	Returned        = "returned"
	ResultReady     = "result_ready"
	ResultOut       = "result_out"
	DeliveryFailed  = "delivery_failed"
	Held            = "held"
	Delivered       = "delivered"
	ReturnedToDesk  = "returned_to_desk"
	Cancelled       = "cancelled"
	// PickupChanged: a clerk changed the pickup on the citizen's behalf
	// (Reason "window", "not_home" or "address"); the citizen's own changes
	// send nothing, they made them.
	PickupChanged = "pickup_changed"
)

// Kinds lists every kind with a template.
var Kinds = []string{PickupScheduled, PickupOnTheWay, PickupFailed, Collected, AtDesk, Accepted, Returned,
	ResultReady, ResultOut, DeliveryFailed, Held, Delivered, ReturnedToDesk, Cancelled, PickupChanged}

// Critical reports whether a kind is time-critical: it matters within the
// hour (the courier is coming today), so quiet hours do not hold it and the
// daily cap counts it without stopping it.
func Critical(kind string) bool { return kind == PickupOnTheWay || kind == ResultOut }

// Transient reports whether a kind is only worth sending while it is the
// latest news: when a later message of the same dossier is already queued,
// it is skipped.
func Transient(kind string) bool {
	return kind == PickupOnTheWay || kind == ResultOut || kind == PickupScheduled
}

// Params are the facts a template may use. None is personal: the dossier
// code and tracking number identify the case, not the person.
type Params struct {
	Kind            string
	Dossier         string // dossier code
	Number          string // tracking number
	Desk            string // desk name
	Office          string // post office name
	At              time.Time
	WindowStart     time.Time
	WindowEnd       time.Time
	ETA             time.Time
	Reason          string // pickup failure or incompleteness code
	Cause, Action   string // failed delivery codes
	Missing         string // names of missing documents
	Count           int
	Attempts        int
	Fee             int64
	Partial         bool
	AppointmentDate string // YYYY-MM-DD
	ReceiptURL      string
	TrackURL        string
	OptOutURL       string // the first message of a parcel carries it
	OptOutReply     string // e.g. "Soạn TC gửi 8xxx": the short form of the opt-out line
}

// Part is one sentence of a message. Short, when set, may replace Text to
// save length; an Optional part may be dropped.
type Part struct {
	Text     string
	Short    string
	Optional bool
	// Link marks the closing links (tracking, opt-out): never dropped nor
	// cut, whatever the length; the sentences before them give way.
	Link bool
}

// Message is a rendered notification: the sentences of the SMS text and the
// named values for a Zalo template.
type Message struct {
	Kind  string
	Parts []Part
	Data  map[string]string
}

// Text joins the full sentences.
func (m Message) Text() string { return join(m.Parts, false, 0) }

func join(parts []Part, short bool, dropOptional int) string {
	var b strings.Builder
	dropped := 0
	// Optional parts are dropped from the end first.
	drop := map[int]bool{}
	for i := len(parts) - 1; i >= 0 && dropped < dropOptional; i-- {
		if parts[i].Optional {
			drop[i] = true
			dropped++
		}
	}
	for i, p := range parts {
		if drop[i] {
			continue
		}
		t := p.Text
		if short && p.Short != "" {
			t = p.Short
		}
		if t == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t)
	}
	return norm.NFC.String(b.String())
}

var vn = time.FixedZone("ICT", 7*3600)

func hm(t time.Time) string   { return t.In(vn).Format("15:04") }
func dm(t time.Time) string   { return t.In(vn).Format("02/01") }
func hmdm(t time.Time) string { return hm(t) + " " + dm(t) }

func lower1(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToLower(string(r[0])) + string(r[1:])
}

// Money writes đồng with dots between thousands: "150.000 đồng".
func Money(v int64) string { return dong.Words(v) }

// pickupNext says what happens after a failed pickup, by reason.
var pickupNext = map[string]string{
	"not_home":          "Bưu điện sẽ gọi điện để hẹn lại.",
	"documents_missing": "Vui lòng chuẩn bị đủ giấy tờ; bưu điện sẽ hẹn lại.",
	"refused":           "Nếu vẫn cần gửi hồ sơ, vui lòng đặt lại lịch.",
	"address_not_found": "Vui lòng gọi bưu điện để xác nhận địa chỉ.",
	"other":             "Bưu điện sẽ liên hệ để hẹn lại.",
}

// deliveryNext says what the citizen can do after a failed delivery, by the
// action code.
var deliveryNext = map[string]string{
	"retry_next_day": "Bưu tá sẽ giao lại vào ngày mai.",
	"retry_same_day": "Bưu tá sẽ giao lại trong ngày.",
	"hold_at_office": "Kết quả được lưu tại bưu cục, vui lòng mang CCCD đến nhận.",
	"call_recipient": "Bưu tá sẽ gọi điện để hẹn lại.",
	"return_to_desk": "Kết quả sẽ được trả về nơi tiếp nhận.",
}

// Render builds the message of a kind. ok is false for an unknown kind.
func Render(p Params) (Message, bool) {
	ds := "hồ sơ " + p.Dossier
	if p.Dossier == "" {
		ds = "bưu gửi " + p.Number
	}
	desk, deskShort := p.Desk, "nơi tiếp nhận"
	if desk == "" {
		desk = deskShort
	}
	office := p.Office
	if office == "" {
		office = "bưu cục"
	}
	var parts []Part
	add := func(text, short string, optional bool) {
		parts = append(parts, Part{Text: text, Short: short, Optional: optional})
	}
	switch p.Kind {
	case PickupScheduled:
		add("Bưu điện sẽ đến nhận "+ds+" ngày "+dm(p.WindowStart)+", trong khung "+hm(p.WindowStart)+"–"+hm(p.WindowEnd)+".", "", false)
		add("Vui lòng chuẩn bị đủ bản chính giấy tờ.", "", true)
	case PickupOnTheWay:
		add("Hôm nay bưu tá đến nhận "+ds+", dự kiến khoảng "+hm(p.ETA)+" (khung "+hm(p.WindowStart)+"–"+hm(p.WindowEnd)+").",
			"Hôm nay bưu tá đến nhận "+ds+", khoảng "+hm(p.ETA)+".", false)
		add("Vui lòng có mặt và chuẩn bị đủ giấy tờ.", "", true)
	case PickupFailed:
		reason := tracking.PickupFailReason(p.Reason).Label()
		if reason == "" {
			reason = tracking.FailOther.Label()
		}
		add("Bưu tá chưa nhận được "+ds+": "+lower1(reason)+".", "", false)
		next := pickupNext[p.Reason]
		if next == "" {
			next = pickupNext["other"]
		}
		add(next, "", false)
	case Collected:
		what := "Bưu tá đã nhận " + strconv.Itoa(p.Count) + " giấy tờ của " + ds + " lúc " + hmdm(p.At)
		if p.Partial {
			what += " (thu gom một phần)"
		}
		add(what+".", "", false)
		if p.ReceiptURL != "" {
			add("Biên nhận điện tử: "+p.ReceiptURL, "", true)
		}
	case AtDesk:
		add(upper1(ds)+" đã được giao đến "+desk+" lúc "+hmdm(p.At)+".", upper1(ds)+" đã được giao đến "+deskShort+" lúc "+hmdm(p.At)+".", false)
	case Accepted:
		add(upper1(ds)+" đã được "+desk+" tiếp nhận giải quyết.", upper1(ds)+" đã được tiếp nhận giải quyết.", false)
		if t, err := time.ParseInLocation("2006-01-02", p.AppointmentDate, vn); err == nil {
			add("Ngày hẹn trả kết quả: "+t.Format("02/01/2006")+".", "", false)
		}
	case Returned:
		reason := tracking.IncompleteReason(p.Reason).Label()
		if reason == "" {
			reason = tracking.IncompleteOther.Label()
		}
		add(upper1(ds)+" chưa được tiếp nhận: "+lower1(reason)+".", "", false)
		if p.Missing != "" {
			add("Còn thiếu: "+p.Missing+".", "", true)
		}
		add("Vui lòng liên hệ "+desk+" để được hướng dẫn bổ sung.", "Vui lòng liên hệ "+deskShort+" để được hướng dẫn.", false)
	case ResultReady:
		add("Kết quả "+ds+" đã có tại "+desk+".", "Kết quả "+ds+" đã có.", false)
		add("Bưu điện sẽ giao tận nhà.", "", false)
		if p.Fee > 0 {
			add("Phí khi nhận: "+Money(p.Fee)+".", "", false)
		}
	case ResultOut:
		need := "mang CCCD"
		if p.Fee > 0 {
			need += " và " + Money(p.Fee)
		}
		add("Hôm nay bưu tá giao kết quả "+ds+".", "", false)
		add("Vui lòng "+need+" để nhận.", "", false)
	case DeliveryFailed:
		cause := tracking.DeliveryCause(p.Cause).Label()
		if cause == "" {
			cause = tracking.CauseOther.Label()
		}
		n := ""
		if p.Attempts > 0 {
			n = " (lần " + strconv.Itoa(p.Attempts) + ")"
		}
		add("Giao kết quả "+ds+" chưa thành công"+n+": "+lower1(cause)+".", "", false)
		if next := deliveryNext[p.Action]; next != "" {
			add(next, "", false)
		}
	case Held:
		add("Kết quả "+ds+" đang lưu tại "+office+".", "Kết quả "+ds+" đang lưu tại bưu cục.", false)
		add("Vui lòng mang CCCD đến nhận hoặc chờ bưu tá giao lại.", "", false)
	case Delivered:
		add("Đã giao kết quả "+ds+" lúc "+hmdm(p.At)+".", "", false)
		add("Cảm ơn bạn đã dùng dịch vụ bưu chính công ích.", "", true)
	case ReturnedToDesk:
		n := ""
		if p.Attempts > 0 {
			n = " sau " + strconv.Itoa(p.Attempts) + " lần giao không thành công"
		}
		add("Kết quả "+ds+" đã được trả về "+desk+n+".", "Kết quả "+ds+" đã được trả về "+deskShort+n+".", false)
		add("Vui lòng liên hệ để nhận.", "", false)
	case Cancelled:
		add("Yêu cầu thu gom "+ds+" đã được hủy.", "", false)
	case PickupChanged:
		switch p.Reason {
		case "not_home":
			add("Đã ghi nhận bạn vắng nhà trong giờ hẹn nhận "+ds+": bưu tá sẽ không đến.", "", false)
			add("Hãy chọn giờ khác trên trang tra cứu.", "", false)
		case "address":
			add("Địa chỉ thu gom "+ds+" đã được sửa theo yêu cầu của bạn.", "", false)
		default:
			if p.WindowStart.IsZero() {
				add("Giờ thu gom "+ds+" đã được đổi theo yêu cầu của bạn.", "", false)
			} else {
				add("Giờ thu gom "+ds+" đã đổi sang "+hm(p.WindowStart)+"–"+hm(p.WindowEnd)+" ngày "+dm(p.WindowStart)+".", "", false)
			}
		}
	default:
		return Message{}, false
	}
	// Every status message ends with the short tracking link, then the
	// opt-out line, last.
	if p.TrackURL != "" {
		parts = append(parts, Part{Text: "Tra cứu: " + p.TrackURL, Link: true})
	}
	if p.OptOutURL != "" {
		short := ""
		if p.OptOutReply != "" {
			short = p.OptOutReply + " để từ chối nhận tin."
		}
		parts = append(parts, Part{Text: "Từ chối nhận tin: " + p.OptOutURL, Short: short, Link: true})
	}
	for i := range parts {
		parts[i].Text, parts[i].Short = norm.NFC.String(parts[i].Text), norm.NFC.String(parts[i].Short)
	}
	return Message{Kind: p.Kind, Parts: parts, Data: templateData(p)}, true
}

func upper1(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToUpper(string(r[0])) + string(r[1:])
}

// templateData is the named values a Zalo ZNS template may use. Every
// template registered with Zalo draws its parameters from these names.
func templateData(p Params) map[string]string {
	d := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			d[k] = norm.NFC.String(v)
		}
	}
	set("dossier_code", p.Dossier)
	set("tracking_number", p.Number)
	set("desk", p.Desk)
	set("office", p.Office)
	if !p.At.IsZero() {
		set("time", hmdm(p.At))
	}
	if !p.WindowStart.IsZero() {
		set("date", p.WindowStart.In(vn).Format("02/01/2006"))
		set("window", hm(p.WindowStart)+"–"+hm(p.WindowEnd))
	}
	if !p.ETA.IsZero() {
		set("eta", hm(p.ETA))
	}
	if r := tracking.PickupFailReason(p.Reason).Label(); r != "" && (p.Kind == PickupFailed) {
		set("reason", r)
		set("next_step", pickupNext[p.Reason])
	}
	if r := tracking.IncompleteReason(p.Reason).Label(); r != "" && p.Kind == Returned {
		set("reason", r)
	}
	if c := tracking.DeliveryCause(p.Cause).Label(); c != "" {
		set("reason", c)
		set("next_step", deliveryNext[p.Action])
	}
	set("missing", p.Missing)
	if p.Count > 0 {
		set("count", strconv.Itoa(p.Count))
	}
	if p.Attempts > 0 {
		set("attempts", strconv.Itoa(p.Attempts))
	}
	if p.Fee > 0 {
		set("fee", Money(p.Fee))
	}
	if t, err := time.ParseInLocation("2006-01-02", p.AppointmentDate, vn); err == nil {
		set("appointment_date", t.Format("02/01/2006"))
	}
	set("receipt_url", p.ReceiptURL)
	set("tracking_url", p.TrackURL)
	set("optout_url", p.OptOutURL)
	return d
}
