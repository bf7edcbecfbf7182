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
	// Superseded is set by Fold on a line a later one made out of date (a
	// release once confirmed, an appointment moved): pages fold it away.
	Superseded bool
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
		case ChannelCounter:
			l.Detail = "Công dân mang giấy tờ đến quầy bưu cục; nhân viên bưu cục tạo yêu cầu."
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
		l.Detail = d.Reason.Label() + ". Lịch thu gom sẽ được hẹn lại."
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
		if ev.Actor.Kind == PartyOffice {
			l.Title = name(ev.Actor) + " đã nhận tại quầy " + DocumentSummary(got)
		}
		parts := []string{}
		if t := DispositionText(d.Documents); t != "" {
			parts = append(parts, t)
		}
		if d.SealID != "" {
			parts = append(parts, "Niêm phong số "+d.SealID+".")
		}
		if t := ProofText(d.Proof, true); t != "" {
			parts = append(parts, t)
		} else {
			parts = append(parts, legacyProofText(ev.Data))
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
		if d.SealID != "" {
			l.Detail = "Niêm phong số " + d.SealID + ". " + l.Detail
		}
	case HandoffConfirmed:
		l.Title = name(ev.Actor) + " đã xác nhận nhận hồ sơ"
		var d Confirmed
		_ = json.Unmarshal(ev.Data, &d)
		var parts []string
		if d.SealID != "" {
			parts = append(parts, "Đã đối chiếu niêm phong số "+d.SealID+": còn nguyên vẹn, đúng mã đã ghi.")
		} else if d.SealIntact != nil && *d.SealIntact {
			parts = append(parts, "Niêm phong còn nguyên vẹn.")
		}
		if len(d.Documents) > 0 {
			parts = append(parts, "Đã kiểm đếm từng giấy tờ, đủ theo danh sách.")
		}
		l.Detail = strings.Join(parts, " ")
	case HandoffDisputed:
		var d Confirmed
		_ = json.Unmarshal(ev.Data, &d)
		l.Title = name(ev.Actor) + " báo sai lệch khi nhận: " + lower1(d.Problem.Label())
		l.Detail = "Bên giao vẫn chịu trách nhiệm giữ hồ sơ cho đến khi làm rõ."
		l.Problem = true
	case HandoffRecalled:
		l.Title = name(ev.Actor) + " đã thu hồi lần bàn giao chưa được xác nhận"
		l.Detail = "Bên giao vẫn giữ hồ sơ; bàn giao sẽ được làm lại."
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
		l.Title = "Hồ sơ chưa đầy đủ: " + lower1(d.Reason.Label())
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
		l.Title = "Giao kết quả chưa thành công: " + lower1(d.Cause.Label())
		l.Detail = d.Action.Label() + "."
		l.Problem = true
	case DeliveryHeld:
		l.Title = "Kết quả đang được lưu tại " + lower1(name(ev.Actor))
	case DeliveryCompleted:
		var d Delivered
		_ = json.Unmarshal(ev.Data, &d)
		l.Title = "Đã giao kết quả cho người nhận"
		if t := ProofText(d.Proof, false); t != "" {
			l.Detail = t
		} else {
			l.Detail = legacyProofText(ev.Data)
		}
		if d.SealID != "" {
			l.Detail += " Niêm phong số " + d.SealID + " còn nguyên vẹn, đúng mã."
		}
		if d.FeeCollected > 0 {
			l.Detail += fmt.Sprintf(" Đã thu %s.", money(d.FeeCollected))
		}
	case DeliveryReturnedToDesk:
		l.Title = "Kết quả đã được trả về " + lower1(name(ev.Actor))
		l.Problem = true
	case ParcelCancelled:
		l.Title = "Yêu cầu thu gom đã được hủy"
	case PickupWindowChanged:
		var d WindowChanged
		_ = json.Unmarshal(ev.Data, &d)
		l.Title = "Đã đổi giờ thu gom"
		if ws, err := time.Parse(time.RFC3339, d.WindowStart); err == nil {
			if we, err := time.Parse(time.RFC3339, d.WindowEnd); err == nil {
				l.Title += fmt.Sprintf(" sang %s–%s ngày %s", hm(ws), hm(we), dmy(ws))
			}
		}
		l.Detail = selfServiceBy(d.By)
	case PickupNotHome:
		var d NotHome
		_ = json.Unmarshal(ev.Data, &d)
		l.Title = "Công dân báo vắng nhà trong giờ hẹn"
		l.Detail = "Bưu tá sẽ không đến trong giờ này; hãy chọn giờ khác. " + selfServiceBy(d.By)
		l.Problem = true
	case PickupAddressCorrected:
		var d AddressCorrected
		_ = json.Unmarshal(ev.Data, &d)
		l.Title = "Đã sửa địa chỉ thu gom"
		l.Detail = selfServiceBy(d.By)
	default:
		l.Title = string(ev.Type)
	}
	l.Detail = strings.TrimSpace(l.Detail)
	return l
}

// legacyProofText tells a confirmation recorded before the server checked
// proofs itself: the device's own claim, never presented as checked.
func legacyProofText(data []byte) string {
	var p LegacyProof
	_ = json.Unmarshal(data, &p)
	if p.Method == "" && p.Verification == "" && !p.OTPVerified {
		return ""
	}
	return "Ghi nhận trước khi máy chủ tự kiểm tra bằng chứng xác nhận."
}

func money(v int64) string { return dong.Format(v) }

// selfServiceBy tells who made a self-service change.
func selfServiceBy(by string) string {
	switch by {
	case "clerk":
		return "Cán bộ một cửa thực hiện thay công dân."
	case "portal":
		return "Thực hiện qua Cổng dịch vụ công."
	case "citizen":
		return "Công dân tự thực hiện trên trang tra cứu."
	}
	return ""
}

// Next is the next expected step of a parcel, for the citizen.
type Next struct {
	What string
	When string
}

// CounterNext is the next step of a request made at a post office counter
// whose papers are not yet taken: no visit is coming.
func CounterNext() Next {
	return Next{What: "Giao giấy tờ tại quầy bưu cục: nhân viên kiểm từng giấy tờ, niêm phong và đưa giấy biên nhận"}
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

// Fold marks the lines that later ones made out of date: a hand-off's
// release once it was confirmed, disputed or recalled ("waiting for the
// receiver" is no longer true), an appointment once another was made, and a
// failed attempt once another visit was booked, the papers were collected
// or the result delivered.
func Fold(lines []Line) {
	for i := range lines {
		for _, later := range lines[i+1:] {
			if supersedes(lines[i].Type, later.Type) {
				lines[i].Superseded = true
				break
			}
		}
	}
}

func supersedes(old, later EventType) bool {
	switch old {
	case HandoffReleased:
		return later == HandoffConfirmed || later == HandoffDisputed || later == HandoffRecalled || later == HandoffReleased
	case PickupScheduled:
		return later == PickupScheduled || later == PickupCollected || later == ParcelCancelled ||
			later == PickupWindowChanged || later == PickupNotHome
	case PickupWindowChanged:
		return later == PickupWindowChanged || later == PickupCollected || later == ParcelCancelled
	case PickupNotHome:
		return later == PickupWindowChanged || later == PickupScheduled || later == PickupCollected || later == ParcelCancelled
	case PickupAttemptFailed:
		return later == PickupScheduled || later == PickupCollected || later == ParcelCancelled
	case DeliveryAttemptFailed:
		return later == DeliveryCompleted
	}
	return false
}

// Problem is what went wrong with a parcel that still matters now, told
// first on the citizen's page with what to do about it.
type Problem struct {
	Title  string
	Detail string
	ToDo   string
}

// CurrentProblem returns the problem a parcel is in now, if any: its status
// is one that needs someone to act (an attempt failed, papers missing, a
// result sent back), or its latest line is a problem nothing has followed
// yet (a difference found at a hand-off, a recalled release, a partial
// collection). Problems that later steps resolved are history, not news.
func CurrentProblem(st Status, lines []Line) (Problem, bool) {
	var last *Line
	for i := len(lines) - 1; i >= 0; i-- {
		if lines[i].Problem {
			last = &lines[i]
			break
		}
	}
	if last == nil {
		return Problem{}, false
	}
	p := Problem{Title: last.Title, Detail: last.Detail}
	switch st {
	case StatusRequested:
		if lines[len(lines)-1].Type != PickupNotHome {
			return Problem{}, false
		}
		p.ToDo = "Chọn một khung giờ khác ở mục “Thay đổi yêu cầu” bên dưới, hoặc gọi số điện thoại bên dưới."
	case StatusPickupFailed:
		p.ToDo = "Bưu điện sẽ gọi để hẹn lại giờ thu gom. Muốn chọn giờ khác ngay, hãy gọi số điện thoại bên dưới."
	case StatusReturnedIncomplete:
		p.ToDo = "Chuẩn bị đủ các giấy tờ còn thiếu rồi gửi lại yêu cầu thu gom, hoặc mang đến Bộ phận một cửa."
	case StatusDeliveryFailed:
		p.ToDo = "Bưu tá sẽ giao lại. Nếu bạn vắng nhà, hãy gọi bưu cục để hẹn giờ khác hoặc đến bưu cục nhận kết quả."
	case StatusReturnedToDesk:
		p.ToDo = "Kết quả đã về lại nơi tiếp nhận: liên hệ Bộ phận một cửa để nhận trực tiếp."
	default:
		if lines[len(lines)-1].Problem || lines[len(lines)-1].Type == HandoffRecalled {
			p.ToDo = "Bưu điện đang làm rõ; bên đang giữ hồ sơ vẫn chịu trách nhiệm về hồ sơ. Bạn chưa cần làm gì; nếu cần, hãy gọi số điện thoại bên dưới."
			return p, true
		}
		return Problem{}, false
	}
	return p, true
}
