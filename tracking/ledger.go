package tracking

import (
	"fmt"
	"regexp"
	"time"

	"hoso/internal/errs"
)

// Handoff is a pending or closed two-party hand-off: one giver, one intended
// receiver.
type Handoff struct {
	ID         string
	Giver      Party
	Receiver   Party
	ReleasedAt time.Time
	Deadline   time.Time
	Manifest   string
}

// Incident is opened by a dispute: it names the last confirmed custodian of
// what is missing.
type Incident struct {
	Problem       DisputeProblem
	LastCustodian Party
	MissingLines  []int
	Note          string
}

// State is what the rules need to know of a parcel: its projection.
type State struct {
	Leg       Leg
	Status    Status
	Custodian Party // zero before the parcel exists
	Pending   *Handoff
	Attempts  int
	SealID    string
	Documents []Document // the dossier's list, line i+1 = Documents[i]
	Collected []DocCount // counts taken at collection; nil before
}

// Policy holds the configurable limits of the rules.
type Policy struct {
	ConfirmWithin time.Duration // a release must be confirmed within this
	MaxAttempts   int           // delivery attempts before the return to the desk
}

// DefaultPolicy is the policy when nothing is configured.
var DefaultPolicy = Policy{ConfirmWithin: 30 * time.Minute, MaxAttempts: 3}

// Outcome is what recording an event does.
type Outcome struct {
	Type      EventType // the event actually recorded (a confirmation with a difference becomes a dispute)
	Status    Status
	UPU       string
	Custodian *Party // new custodian when custody moves
	Open      *Handoff
	Close     string // "confirmed" or "disputed" when the pending hand-off closes
	Incident  *Incident
	Attempt   bool // a delivery attempt is counted
	SealID    string
	Collected []DocCount
	Data      []byte // the canonical data to store
}

var sealPattern = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{2,39}$`)

// ValidSealID reports whether s looks like a seal id (3–40 capitals, digits
// and dashes).
func ValidSealID(s string) bool { return sealPattern.MatchString(s) }

func conflict(format string, args ...any) error { return errs.E(errs.Conflict, format, args...) }

// Decide applies the rules to one event against the parcel's state. It does
// not change st. newID makes hand-off ids. ev.Data must be canonical JSON.
func Decide(st State, ev Event, pol Policy, newID func() string) (Outcome, error) {
	if pol.ConfirmWithin <= 0 {
		pol.ConfirmWithin = DefaultPolicy.ConfirmWithin
	}
	if pol.MaxAttempts <= 0 {
		pol.MaxAttempts = DefaultPolicy.MaxAttempts
	}
	rule, ok := FindRuleFor(st.Leg, st.Status, ev.Type, ev.Actor.Kind)
	if !ok {
		if st.Status == "" {
			return Outcome{}, conflict("bưu gửi chưa được tạo")
		}
		return Outcome{}, conflict("không thể ghi “%s” khi bưu gửi đang ở trạng thái “%s”", ev.Type, st.Status.Label())
	}
	if !rule.ActorAllowed(ev.Actor.Kind) {
		return Outcome{}, errs.E(errs.Forbidden, "%s không được ghi sự kiện “%s”", ev.Actor.Kind.Label(), ev.Type)
	}
	if st.Pending != nil && ev.Type != HandoffConfirmed && ev.Type != HandoffDisputed && ev.Type != HandoffRecalled && ev.Type != DeliveryReturnedToDesk {
		return Outcome{}, conflict("bưu gửi đang chờ %s xác nhận bàn giao", st.Pending.Receiver.Kind.Label())
	}
	out := Outcome{Type: ev.Type, Status: rule.To, UPU: rule.UPU, Data: ev.Data}
	if out.Status == "" {
		out.Status = st.Status
	}
	holderActs := func() error {
		if ev.Actor != st.Custodian {
			return errs.E(errs.Forbidden, "chỉ bên đang giữ bưu gửi (%s) mới được ghi sự kiện này", st.Custodian.Kind.Label())
		}
		return nil
	}
	f := errs.Fields{}
	switch ev.Type {
	case PickupRequested, ResultRegistered:
		// The service builds these; custody opens with the citizen or the desk.
		if ev.Type == PickupRequested {
			out.Custodian = &Party{Kind: PartyCitizen}
		} else {
			c := ev.Actor
			if c.Kind != PartyDesk {
				c = Party{} // the service sets the desk when the portal registers the result
			}
			out.Custodian = &c
		}
	case PickupScheduled:
		var d Scheduled
		if err := decodeStrict(ev.Data, &d); err != nil {
			return Outcome{}, err
		}
		if d.Courier == "" {
			f.Add("data.courier", "thiếu bưu tá")
		}
		if _, err := time.Parse("2006-01-02", d.Date); err != nil {
			f.Add("data.date", "ngày không hợp lệ")
		}
	case PickupAttemptFailed:
		var d PickupFailed
		if err := decodeStrict(ev.Data, &d); err != nil {
			return Outcome{}, err
		}
		if !PickupFailReasons.Has(d.Reason) {
			f.Add("data.reason", "lý do phải là not_home, documents_missing, refused, address_not_found hoặc other")
		}
		shortText("data.note", d.Note, 500, f)
	case PickupCollected:
		if err := RefuseLegacy(ev.Type, ev.Data); err != nil {
			return Outcome{}, err
		}
		var d Collected
		if err := decodeStrict(ev.Data, &d); err != nil {
			return Outcome{}, err
		}
		if !ValidSealID(d.SealID) {
			f.Add("data.seal_id", "mã niêm phong gồm 3–40 chữ in hoa, số hoặc dấu gạch")
		}
		checkProofVerdict(d.Proof, false, f)
		checkDocCounts("data.documents", d.Documents, st.Documents, f)
		checkDispositions("data.documents", d.Documents, f)
		switch {
		case ev.Actor.Kind == PartyOffice && !staffCodePattern.MatchString(d.Clerk):
			f.Add("data.clerk", "thiếu mã nhân viên bưu cục nhận hồ sơ tại quầy")
		case ev.Actor.Kind != PartyOffice && d.Clerk != "":
			f.Add("data.clerk", "chỉ ghi khi bưu cục nhận hồ sơ tại quầy")
		}
		counts := make([]DocCount, len(st.Documents))
		for i, doc := range st.Documents {
			counts[i] = DocCount{Line: i + 1, Kind: string(doc.Kind), Count: 0, Condition: "missing"}
		}
		total, accounted, short := 0, 0, false
		for _, c := range d.Documents {
			if c.Line >= 1 && c.Line <= len(counts) {
				cond := c.Condition
				if cond == "" {
					cond = "good"
				}
				counts[c.Line-1].Count, counts[c.Line-1].Condition = c.Count, cond
				counts[c.Line-1].Disposition, counts[c.Line-1].ScanSHA256 = c.Disposition, c.ScanSHA256
			}
		}
		for i, c := range counts {
			total += c.Count
			// A line shown, scanned or not needed is accounted for where
			// the citizen handed it over: only carried originals can be short.
			if !c.Carried() {
				accounted++
			} else if c.Count < st.Documents[i].Count {
				short = true
			}
		}
		if len(f) == 0 && total == 0 && accounted > 0 {
			f.Add("data.documents", "không có bản gốc nào gửi đi: không cần thu gom, hồ sơ điện tử đã đủ")
		} else if len(f) == 0 && total == 0 {
			f.Add("data.documents", "không nhận được giấy tờ nào: ghi lần thu gom không thành công")
		}
		if short && !d.Partial {
			f.Add("data.partial", "thiếu giấy tờ so với danh sách: đánh dấu thu gom một phần và ghi lý do")
		}
		if d.Partial && d.PartialReason == "" {
			f.Add("data.partial_reason", "ghi lý do thu gom một phần")
		}
		shortText("data.partial_reason", d.PartialReason, 500, f)
		out.Custodian = &ev.Actor
		out.SealID = d.SealID
		out.Collected = counts
	case ParcelCancelled:
		var d Cancelled
		if err := decodeStrict(ev.Data, &d); err != nil {
			return Outcome{}, err
		}
		shortText("data.reason", d.Reason, 500, f)
	case PickupWindowChanged, PickupNotHome, PickupAddressCorrected:
		if err := checkSelfService(ev, f); err != nil {
			return Outcome{}, err
		}
	case HandoffReleased:
		if err := holderActs(); err != nil {
			return Outcome{}, err
		}
		var d Released
		if err := decodeStrict(ev.Data, &d); err != nil {
			return Outcome{}, err
		}
		to, err := ParseParty(d.To)
		if err != nil || !to.Kind.CanHold() || to.Kind == PartyCitizen || to.Ref == "" {
			f.Add("data.to", "bên nhận phải là bưu tá, bưu cục hoặc bộ phận một cửa, có mã")
			break
		}
		if to == st.Custodian {
			f.Add("data.to", "không thể bàn giao cho chính mình")
			break
		}
		if _, _, err := HandoffStatus(st.Leg, st.Status, st.Custodian.Kind, to.Kind); err != nil {
			f.Add("data.to", err.Error())
			break
		}
		if st.Leg == LegReturn && to.Kind == PartyDesk && st.Attempts < pol.MaxAttempts {
			f.Add("data.to", fmt.Sprintf("chỉ trả về nơi tiếp nhận sau %d lần giao không thành công", pol.MaxAttempts))
			break
		}
		// The return leg is sealed at the desk: the desk names the seal it
		// put on the result's envelope when it hands it to the post, and
		// every later receiver compares with it. Nobody else seals.
		if st.Leg == LegReturn && st.Custodian.Kind == PartyDesk {
			if !ValidSealID(d.SealID) {
				f.Add("data.seal_id", "niêm phong bì kết quả và ghi mã niêm phong (3–40 chữ in hoa, số hoặc dấu gạch)")
				break
			}
			out.SealID = d.SealID
		} else if d.SealID != "" {
			f.Add("data.seal_id", "chỉ bộ phận một cửa niêm phong kết quả khi bàn giao cho bưu điện")
			break
		}
		h := &Handoff{ID: newID(), Giver: st.Custodian, Receiver: to, ReleasedAt: ev.ServerAt,
			Deadline: ev.ServerAt.Add(pol.ConfirmWithin), Manifest: d.Manifest}
		// The server's own field, set on the data as sent (a device's
		// signed data stays as it signed it).
		data, err := PatchData(ev.Data, map[string]any{"handoff": h.ID})
		if err != nil {
			return Outcome{}, err
		}
		out.Data = data
		out.Open = h
	case HandoffConfirmed, HandoffDisputed:
		if st.Pending == nil {
			return Outcome{}, conflict("không có bàn giao nào đang chờ xác nhận")
		}
		if ev.Actor != st.Pending.Receiver {
			return Outcome{}, errs.E(errs.Forbidden, "chỉ bên nhận được chỉ định (%s %s) mới xác nhận được", st.Pending.Receiver.Kind.Label(), st.Pending.Receiver.Ref)
		}
		var d Confirmed
		if err := decodeStrict(ev.Data, &d); err != nil {
			return Outcome{}, err
		}
		if d.Handoff != "" && d.Handoff != st.Pending.ID {
			return Outcome{}, conflict("bàn giao này đã được đóng hoặc không tồn tại")
		}
		d.Handoff = st.Pending.ID
		checkDocCounts("data.documents", d.Documents, st.Documents, f)
		checkSealStated(st, d, f)
		if len(f) > 0 {
			break
		}
		if ev.Type == HandoffConfirmed && st.Pending.Receiver.Kind == PartyDesk && st.Leg == LegPickup && len(d.Documents) == 0 {
			f.Add("data.documents", "bộ phận một cửa kiểm đếm từng giấy tờ khi nhận")
			break
		}
		problem, missing := d.Problem, []int(nil)
		if problem != "" {
			if !DisputeProblems.Has(problem) {
				f.Add("data.problem", "vấn đề không hợp lệ")
				break
			}
		}
		if problem == "" {
			problem, missing = compareCounts(st, d)
		} else {
			_, missing = compareCounts(st, d)
		}
		if ev.Type == HandoffDisputed && problem == "" {
			f.Add("data.problem", "ghi vấn đề: thiếu bưu gửi, niêm phong rách, thiếu giấy tờ…")
			break
		}
		shortText("data.note", d.Note, 500, f)
		if problem != "" {
			d.Problem = problem
			out.Type = HandoffDisputed
			out.Status = st.Status
			out.UPU = ""
			out.Close = "disputed"
			out.Incident = &Incident{Problem: problem, LastCustodian: st.Pending.Giver, MissingLines: missing, Note: d.Note}
		} else {
			status, upu, err := HandoffStatus(st.Leg, st.Status, st.Pending.Giver.Kind, st.Pending.Receiver.Kind)
			if err != nil {
				return Outcome{}, conflict("%v", err)
			}
			out.Type = HandoffConfirmed
			if st.Leg == LegReturn && st.Pending.Receiver.Kind == PartyDesk {
				// The courier's return to the desk after the last attempt is
				// this two-party hand-off.
				out.Type = DeliveryReturnedToDesk
			}
			out.Status, out.UPU, out.Close = status, upu, "confirmed"
			r := st.Pending.Receiver
			out.Custodian = &r
		}
		patch := map[string]any{"handoff": d.Handoff}
		if d.Problem != "" {
			patch["problem"] = d.Problem
		}
		data, err := PatchData(ev.Data, patch)
		if err != nil {
			return Outcome{}, err
		}
		out.Data = data
	case HandoffRecalled:
		if st.Pending == nil {
			return Outcome{}, conflict("không có bàn giao nào đang chờ xác nhận")
		}
		var d Recalled
		if err := decodeStrict(ev.Data, &d); err != nil {
			return Outcome{}, err
		}
		if d.Handoff != "" && d.Handoff != st.Pending.ID {
			return Outcome{}, conflict("bàn giao này đã được đóng hoặc không tồn tại")
		}
		d.Handoff = st.Pending.ID
		if len([]rune(d.Reason)) < 3 {
			f.Add("data.reason", "ghi lý do thu hồi bàn giao")
		}
		shortText("data.reason", d.Reason, 500, f)
		data, err := MarshalData(d)
		if err != nil {
			return Outcome{}, err
		}
		out.Data = data
		out.Close = "recalled"
	case DeskAccepted, DeskReturnedIncomplete:
		if err := holderActs(); err != nil {
			return Outcome{}, err
		}
		var d DeskDecision
		if err := decodeStrict(ev.Data, &d); err != nil {
			return Outcome{}, err
		}
		if ev.Type == DeskReturnedIncomplete {
			if !IncompleteReasons.Has(d.Reason) {
				f.Add("data.reason", "chọn lý do trả hồ sơ")
			}
			if d.Reason == "missing_documents" && len(d.MissingLines) == 0 {
				f.Add("data.missing_lines", "nêu giấy tờ còn thiếu")
			}
			for _, l := range d.MissingLines {
				if l < 1 || l > len(st.Documents) {
					f.Add("data.missing_lines", "không có dòng giấy tờ này")
				}
			}
		}
		if d.AppointmentDate != "" {
			if _, err := time.Parse("2006-01-02", d.AppointmentDate); err != nil {
				f.Add("data.appointment_date", "ngày hẹn trả kết quả không hợp lệ")
			}
		}
		shortText("data.note", d.Note, 500, f)
	case DeliveryArrivedOffice, DeliveryHeld, DeliveryOut:
		if err := holderActs(); err != nil {
			return Outcome{}, err
		}
		if err := decodeStrict(ev.Data, &struct {
			Note string `json:"note,omitempty"`
		}{}); err != nil {
			return Outcome{}, err
		}
		if ev.Type == DeliveryHeld && st.Attempts == 0 {
			return Outcome{}, conflict("chỉ lưu tại bưu cục sau một lần giao không thành công")
		}
	case DeliveryAttemptFailed:
		if err := holderActs(); err != nil {
			return Outcome{}, err
		}
		var d DeliveryFailed
		if err := decodeStrict(ev.Data, &d); err != nil {
			return Outcome{}, err
		}
		if !DeliveryCauses.Has(d.Cause) {
			f.Add("data.cause", "mã nguyên nhân không hợp lệ")
		}
		if !DeliveryActions.Has(d.Action) {
			f.Add("data.action", "mã hướng xử lý không hợp lệ")
		}
		shortText("data.note", d.Note, 500, f)
		out.Attempt = true
		if d.Cause == "seal_broken" && len(f) == 0 {
			// The courier found the result's seal broken or different at
			// the door: the courier, its last confirmed custodian, answers
			// for it until the dispute is resolved.
			out.Incident = &Incident{Problem: ProblemSealBroken, LastCustodian: st.Custodian, Note: d.Note}
		}
	case DeliveryCompleted:
		if err := holderActs(); err != nil {
			return Outcome{}, err
		}
		if err := RefuseLegacy(ev.Type, ev.Data); err != nil {
			return Outcome{}, err
		}
		var d Delivered
		if err := decodeStrict(ev.Data, &d); err != nil {
			return Outcome{}, err
		}
		checkProofVerdict(d.Proof, true, f)
		if d.SignatureSHA == "" && d.PhotoSHA == "" && (d.Proof == nil || d.Proof.Method != ProofSignature) {
			f.Add("data.signature_sha256", "cần chữ ký hoặc ảnh người nhận")
		}
		for k, v := range map[string]string{"data.signature_sha256": d.SignatureSHA, "data.photo_sha256": d.PhotoSHA} {
			if v != "" && !isHex64(v) {
				f.Add(k, "SHA-256 (64 ký tự hex thường) của ảnh đã gửi")
			}
		}
		if d.SealID != "" && !ValidSealID(d.SealID) {
			f.Add("data.seal_id", "mã niêm phong gồm 3–40 chữ in hoa, số hoặc dấu gạch")
		}
		if d.FeeCollected < 0 {
			f.Add("data.fee_collected", "số tiền không hợp lệ")
		}
		// A sealed result is checked at the door: the seal read on the
		// envelope must be the one the desk put on it. A different seal is
		// refused (custody stays with the courier, who records a failed
		// attempt with cause seal_broken, which opens an incident).
		if st.SealID != "" {
			switch {
			case d.SealID == "":
				f.Add("data.seal_id", "quét hoặc gõ mã niêm phong trên bì kết quả trước khi giao")
			case d.SealID != st.SealID:
				f.Add("data.seal_id", "mã niêm phong khác mã bộ phận một cửa đã niêm phong: không giao, ghi lần giao không thành công (niêm phong bị rách hoặc không khớp)")
			}
		}
		out.Custodian = &Party{Kind: PartyCitizen}
		out.Attempt = true
	case DeliveryReturnedToDesk:
		return Outcome{}, conflict("trả về nơi tiếp nhận được ghi khi bộ phận một cửa xác nhận bàn giao từ bưu tá")
	}
	if err := f.Err(errs.Unprocessable, "Dữ liệu sự kiện chưa hợp lệ"); err != nil {
		return Outcome{}, err
	}
	return out, nil
}

// Difference is one thing a receiver found different from the record: the
// seal (Line 0) or a document line. It says what the receiver counted, never
// what was expected, so a confirmation screen listing differences keeps the
// count blind.
type Difference struct {
	Problem DisputeProblem
	Line    int // document line, from 1; 0 for the seal
	Counted int // copies the receiver counted on that line
}

// counterReceiver reports whether a party receives at a counter (a post
// office or a desk), where the clerk must state the seal.
func counterReceiver(p Party) bool { return p.Kind == PartyOffice || p.Kind == PartyDesk }

// checkSealStated requires a counter's confirmation to state the seal: intact
// (with the id read on the envelope) or broken. Nothing is defaulted. A
// missing parcel has no seal to state.
func checkSealStated(st State, d Confirmed, f errs.Fields) {
	if d.SealID != "" && !ValidSealID(d.SealID) {
		f.Add("data.seal_id", "mã niêm phong gồm 3–40 chữ in hoa, số hoặc dấu gạch")
	}
	if !counterReceiver(st.Pending.Receiver) || d.Problem == ProblemMissingParcel {
		return
	}
	switch {
	case d.SealIntact == nil:
		f.Add("data.seal_intact", "nêu tình trạng niêm phong: còn nguyên vẹn hay bị rách")
	case *d.SealIntact && d.SealID == "":
		f.Add("data.seal_id", "quét hoặc gõ mã niêm phong trên bì để đối chiếu")
	}
}

// Differences compares what a receiver states (seal and counts) with the
// record: the seal id recorded at collection or at the last sealing, and the
// counts taken at collection (or, before any, the dossier's list). A seal id
// stated where none is recorded is a difference too: there is nothing it can
// match.
func Differences(st State, d Confirmed) []Difference {
	var out []Difference
	switch {
	case d.SealIntact != nil && !*d.SealIntact:
		out = append(out, Difference{Problem: ProblemSealBroken})
	case d.SealID != "" && d.SealID != st.SealID:
		out = append(out, Difference{Problem: ProblemSealMismatch})
	}
	if len(d.Documents) == 0 {
		return out
	}
	expected := make([]int, len(st.Documents))
	for i, doc := range st.Documents {
		expected[i] = doc.Count
	}
	if st.Collected != nil {
		for _, c := range st.Collected {
			if c.Line >= 1 && c.Line <= len(expected) {
				expected[c.Line-1] = c.Count
			}
		}
	}
	got := make([]int, len(expected))
	damaged := make([]bool, len(expected))
	for _, c := range d.Documents {
		if c.Line >= 1 && c.Line <= len(got) {
			got[c.Line-1] = c.Count
			damaged[c.Line-1] = c.Condition == "damaged"
			if c.Condition == "missing" {
				got[c.Line-1] = 0
			}
		}
	}
	for i := range expected {
		switch {
		case got[i] < expected[i]:
			out = append(out, Difference{Problem: ProblemDocumentMissing, Line: i + 1, Counted: got[i]})
		case got[i] > expected[i]:
			out = append(out, Difference{Problem: ProblemCountMismatch, Line: i + 1, Counted: got[i]})
		case damaged[i]:
			out = append(out, Difference{Problem: ProblemDamaged, Line: i + 1, Counted: got[i]})
		}
	}
	return out
}

// compareCounts compares a confirmation with the record (see Differences).
// It returns the problem ("" when everything matches) and the lines that
// are short.
func compareCounts(st State, d Confirmed) (DisputeProblem, []int) {
	diffs := Differences(st, d)
	var short []int
	has := map[DisputeProblem]bool{}
	for _, x := range diffs {
		has[x.Problem] = true
		if x.Problem == ProblemDocumentMissing {
			short = append(short, x.Line)
		}
	}
	for _, p := range []DisputeProblem{ProblemSealBroken, ProblemSealMismatch} {
		if has[p] {
			return p, short
		}
	}
	for _, p := range []DisputeProblem{ProblemDocumentMissing, ProblemCountMismatch, ProblemDamaged} {
		if has[p] {
			return p, short
		}
	}
	return "", nil
}

// Apply returns the state after an outcome: what the projection becomes when
// the event is recorded. The store writes the same; tests and the simulator
// use Apply to follow a parcel without a database.
func (st State) Apply(out Outcome) State {
	n := st
	n.Status = out.Status
	if out.Custodian != nil {
		n.Custodian = *out.Custodian
	}
	if out.Close != "" {
		n.Pending = nil
	}
	if out.Open != nil {
		h := *out.Open
		n.Pending = &h
	}
	if out.Attempt {
		n.Attempts++
	}
	if out.SealID != "" {
		n.SealID = out.SealID
	}
	if out.Collected != nil {
		n.Collected = append([]DocCount(nil), out.Collected...)
	}
	if out.Type == PickupRequested || out.Type == ResultRegistered {
		if n.Leg == "" {
			n.Leg = LegPickup
			if out.Type == ResultRegistered {
				n.Leg = LegReturn
			}
		}
	}
	return n
}
