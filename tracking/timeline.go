package tracking

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"hoso/internal/dong"
)

// Line is one event told in plain Vietnamese for the citizen's timeline.
type Line struct {
	At      time.Time // when it happened: device time when recorded offline, else server time
	Type    EventType
	UPU     string
	Title   string
	Detail  string
	Problem bool
}

// Namer names a party for the public: by role and office, never a person.
type Namer func(Party) string

// DefaultNamer names parties by kind only.
func DefaultNamer(p Party) string { return p.Kind.Label() }

var vn = time.FixedZone("ICT", 7*3600)

func hm(t time.Time) string  { return t.In(vn).Format("15:04") }
func dmy(t time.Time) string { return t.In(vn).Format("02/01/2006") }
func lower1(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToLower(string(r[0])) + string(r[1:])
}

// Describe tells one event. docs is the dossier's document list.
func Describe(ev Event, docs []Document, name Namer) Line {
	if name == nil {
		name = DefaultNamer
	}
	l := Line{At: ev.ServerAt, Type: ev.Type, UPU: ev.UPU}
	if ev.DeviceAt != nil && !ev.DeviceAt.IsZero() {
		l.At = *ev.DeviceAt
	}
	var m map[string]json.RawMessage
	_ = json.Unmarshal(ev.Data, &m)
	str := func(k string) string {
		var s string
		_ = json.Unmarshal(m[k], &s)
		return s
	}
	switch ev.Type {
	case PickupRequested:
		l.Title = "Đã tiếp nhận yêu cầu thu gom hồ sơ"
		switch Channel(str("channel")) {
		case ChannelPortal:
			l.Detail = "Yêu cầu gửi qua Cổng dịch vụ công."
		case ChannelCitizen:
			l.Detail = "Công dân tự gửi yêu cầu."
		case ChannelClerk:
			l.Detail = "Cán bộ tạo yêu cầu thay công dân."
		}
		if len(docs) > 0 {
			l.Detail += " Danh sách: " + DocumentSummary(docs) + "."
		}
	case PickupScheduled:
		var d Scheduled
		_ = json.Unmarshal(ev.Data, &d)
		l.Title = "Đã hẹn lịch thu gom"
		ws, err1 := time.Parse(time.RFC3339, d.WindowStart)
		we, err2 := time.Parse(time.RFC3339, d.WindowEnd)
		if err1 == nil && err2 == nil {
			l.Detail = fmt.Sprintf("Bưu tá sẽ đến trong khung giờ %s–%s ngày %s.", hm(ws), hm(we), dmy(ws))
		}
	case PickupAttemptFailed:
		var d PickupFailed
		_ = json.Unmarshal(ev.Data, &d)
		l.Title = "Bưu tá chưa thu gom được hồ sơ"
		l.Detail = PickupFailReasons[d.Reason] + ". Lịch thu gom sẽ được hẹn lại."
		l.Problem = true
	case PickupCollected:
		var d Collected
		_ = json.Unmarshal(ev.Data, &d)
		got := make([]Document, 0, len(d.Documents))
		for _, c := range d.Documents {
			if c.Count > 0 && c.Line >= 1 && c.Line <= len(docs) {
				got = append(got, Document{Kind: docs[c.Line-1].Kind, Count: c.Count})
			}
		}
		l.Title = "Bưu tá đã nhận " + DocumentSummary(got)
		parts := []string{}
		if d.SealID != "" {
			parts = append(parts, "Niêm phong số "+d.SealID+".")
		}
		switch d.Method {
		case "signature":
			parts = append(parts, "Công dân đã ký giấy biên nhận.")
		case "otp":
			parts = append(parts, "Công dân đã xác nhận bằng mã gửi qua tin nhắn.")
		}
		if d.Partial {
			parts = append(parts, "Thu gom một phần: "+d.PartialReason+".")
			l.Problem = true
		}
		l.Detail = strings.Join(parts, " ")
	case HandoffReleased:
		var d Released
		_ = json.Unmarshal(ev.Data, &d)
		to, _ := ParseParty(d.To)
		l.Title = fmt.Sprintf("%s bàn giao cho %s", name(ev.Actor), lower1(name(to)))
		l.Detail = "Đang chờ bên nhận xác nhận."
	case HandoffConfirmed:
		l.Title = name(ev.Actor) + " đã xác nhận nhận hồ sơ"
		var d Confirmed
		_ = json.Unmarshal(ev.Data, &d)
		if len(d.Documents) > 0 {
			l.Detail = "Đã kiểm đếm từng giấy tờ, đủ theo danh sách."
		} else if d.SealID != "" || (d.SealIntact != nil && *d.SealIntact) {
			l.Detail = "Niêm phong còn nguyên vẹn."
		}
	case HandoffDisputed:
		var d Confirmed
		_ = json.Unmarshal(ev.Data, &d)
		l.Title = name(ev.Actor) + " báo sai lệch khi nhận: " + lower1(DisputeProblems[d.Problem])
		l.Detail = "Bên giao vẫn chịu trách nhiệm giữ hồ sơ cho đến khi làm rõ."
		l.Problem = true
	case DeskAccepted:
		var d DeskDecision
		_ = json.Unmarshal(ev.Data, &d)
		l.Title = "Hồ sơ đã được tiếp nhận giải quyết"
		if t, err := time.Parse("2006-01-02", d.AppointmentDate); err == nil {
			l.Detail = "Ngày hẹn trả kết quả: " + t.Format("02/01/2006") + "."
		}
	case DeskReturnedIncomplete:
		var d DeskDecision
		_ = json.Unmarshal(ev.Data, &d)
		l.Title = "Hồ sơ chưa đầy đủ: " + lower1(IncompleteReasons[d.Reason])
		var names []string
		for _, ln := range d.MissingLines {
			if ln >= 1 && ln <= len(docs) {
				names = append(names, docs[ln-1].Name)
			}
		}
		if len(names) > 0 {
			l.Detail = "Còn thiếu: " + strings.Join(names, "; ") + "."
		}
		l.Problem = true
	case ResultRegistered:
		l.Title = "Kết quả đã sẵn sàng tại " + lower1(name(Party{Kind: PartyDesk, Ref: ev.Actor.Ref}))
		var d struct {
			Fee int64 `json:"fee"`
		}
		_ = json.Unmarshal(ev.Data, &d)
		if d.Fee > 0 {
			l.Detail = fmt.Sprintf("Phí thu khi giao: %s.", money(d.Fee))
		}
	case DeliveryArrivedOffice:
		l.Title = "Kết quả đã đến " + lower1(name(ev.Actor))
	case DeliveryOut:
		l.Title = "Bưu tá đang đi giao kết quả"
	case DeliveryAttemptFailed:
		var d DeliveryFailed
		_ = json.Unmarshal(ev.Data, &d)
		l.Title = "Giao kết quả chưa thành công: " + lower1(DeliveryCauses[d.Cause])
		l.Detail = DeliveryActions[d.Action] + "."
		l.Problem = true
	case DeliveryHeld:
		l.Title = "Kết quả đang được lưu tại " + lower1(name(ev.Actor))
	case DeliveryCompleted:
		var d Delivered
		_ = json.Unmarshal(ev.Data, &d)
		l.Title = "Đã giao kết quả cho người nhận"
		switch d.Verification {
		case "proxy":
			l.Detail = "Người nhận thay có giấy ủy quyền."
		case "otp":
			l.Detail = "Người nhận xác nhận bằng mã gửi qua tin nhắn."
		case "id_number":
			l.Detail = "Đã đối chiếu căn cước công dân của người nhận."
		}
		if d.FeeCollected > 0 {
			l.Detail += fmt.Sprintf(" Đã thu %s.", money(d.FeeCollected))
		}
	case DeliveryReturnedToDesk:
		l.Title = "Kết quả đã được trả về " + lower1(name(ev.Actor))
		l.Problem = true
	case ParcelCancelled:
		l.Title = "Yêu cầu thu gom đã được hủy"
	default:
		l.Title = string(ev.Type)
	}
	l.Detail = strings.TrimSpace(l.Detail)
	return l
}

func money(v int64) string { return dong.Format(v) }

// Next is the next expected step of a parcel, for the citizen.
type Next struct {
	What string
	When string
}

// NextStep tells what happens next. pending names the receiver of a pending
// hand-off ("" when none); window is the scheduled or first offered window.
func NextStep(leg Leg, st Status, pending string, window *Window, desk string, deadline *time.Time) Next {
	if pending != "" {
		return Next{What: "Chờ " + lower1(pending) + " xác nhận đã nhận hồ sơ"}
	}
	when := ""
	if window != nil {
		when = fmt.Sprintf("%s–%s ngày %s", hm(window.Start), hm(window.End), dmy(window.Start))
	}
	switch st {
	case StatusRequested:
		return Next{What: "Bưu điện hẹn lịch và cử bưu tá đến thu gom", When: when}
	case StatusScheduled:
		return Next{What: "Bưu tá đến nhà nhận hồ sơ, kiểm đếm từng giấy tờ và đưa giấy biên nhận", When: when}
	case StatusPickupFailed:
		return Next{What: "Bưu điện liên hệ để hẹn lại lịch thu gom"}
	case StatusCollected:
		return Next{What: "Bưu tá bàn giao hồ sơ cho bưu cục"}
	case StatusAtOffice:
		if leg == LegReturn {
			return Next{What: "Bưu tá nhận kết quả để giao tận nhà"}
		}
		return Next{What: "Chuyển hồ sơ đến " + lower1(desk)}
	case StatusToDesk:
		return Next{What: lower1Cap(desk) + " nhận và kiểm tra hồ sơ"}
	case StatusAtDesk:
		return Next{What: lower1Cap(desk) + " xem xét và tiếp nhận hồ sơ"}
	case StatusAccepted:
		n := Next{What: "Cơ quan giải quyết hồ sơ; bưu điện sẽ giao kết quả tại nhà"}
		if deadline != nil {
			n.When = "hạn giải quyết " + dmy(*deadline)
		}
		return n
	case StatusReady:
		return Next{What: "Bưu tá đến nhận kết quả để giao tận nhà"}
	case StatusWithCourier:
		return Next{What: "Bưu tá giao kết quả tại nhà"}
	case StatusOutForDelivery:
		return Next{What: "Người nhận chuẩn bị căn cước công dân hoặc mã xác nhận để nhận kết quả"}
	case StatusDeliveryFailed:
		return Next{What: "Bưu tá giao lại hoặc hẹn người nhận đến bưu cục"}
	case StatusHeld:
		return Next{What: "Người nhận đến bưu cục nhận kết quả, hoặc chờ giao lại"}
	}
	return Next{}
}

func lower1Cap(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToUpper(string(r[0])) + string(r[1:])
}
