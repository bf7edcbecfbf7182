package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"hoso/internal/errs"
	"hoso/internal/vntext"
	"hoso/tracking"
)

// What a counter clerk states of a parcel received: the line results of a
// manifest (bảng kê).
const (
	LineReceived     = "received"      // in hand, seal intact (its id read), documents as recorded
	LineSealBroken   = "seal_broken"   // the seal is broken or missing
	LineCountDiffers = "count_differs" // seal intact, but the documents counted differ
	LineMissing      = "missing"       // not in the bag
)

// LineResults names the line results in Vietnamese, in the order a form
// offers them.
var LineResults = []struct{ Key, Label string }{
	{LineReceived, "Nhận đủ, niêm phong nguyên vẹn"},
	{LineSealBroken, "Niêm phong rách hoặc khác"},
	{LineCountDiffers, "Số giấy tờ khác"},
	{LineMissing, "Không có trong chuyến"},
}

// Kinds of counter input.
const (
	CounterReceive  = "receive"  // one scanned parcel
	CounterManifest = "manifest" // every open line of a manifest
	CounterMissing  = "missing"  // the releases of a giver reported missing
)

// LineInput is what the clerk states of one parcel: the result, the seal id
// read on the envelope, the documents counted (blind: nothing pre-filled).
type LineInput struct {
	Number string              `json:"number"`
	Result string              `json:"result"`
	SealID string              `json:"seal_id,omitempty"`
	Counts []tracking.DocCount `json:"counts,omitempty"`
	Note   string              `json:"note,omitempty"`
}

// CounterInput is one receipt at a counter.
type CounterInput struct {
	Kind     string      `json:"kind"`
	Manifest string      `json:"manifest,omitempty"`
	Giver    string      `json:"giver,omitempty"`
	Lines    []LineInput `json:"lines"`
}

// LineReview is a line checked against the record: the parcel, its pending
// hand-off and what differs. It never says what was expected.
type LineReview struct {
	LineInput
	Parcel  Parcel
	Handoff string
	Diffs   []tracking.Difference
	data    tracking.Confirmed
}

// Review is a counter input checked against the record.
type Review struct {
	Input CounterInput
	Lines []LineReview
}

// Differs reports whether recording the review opens a dispute: the clerk
// must confirm it on a second screen first.
func (r Review) Differs() bool {
	for _, l := range r.Lines {
		if len(l.Diffs) > 0 || l.Result == LineMissing {
			return true
		}
	}
	return false
}

// DiffText tells one difference in Vietnamese, for the confirmation screen:
// what the clerk stated, never what was expected.
func DiffText(p Parcel, d tracking.Difference) string {
	doc := func() string {
		if d.Line >= 1 && d.Line <= len(p.Documents) {
			return fmt.Sprintf("dòng %d (%s)", d.Line, p.Documents[d.Line-1].Name)
		}
		return fmt.Sprintf("dòng %d", d.Line)
	}
	switch d.Problem {
	case "seal_broken":
		return "Niêm phong bị rách hoặc không còn"
	case "seal_mismatch":
		return "Mã niêm phong bạn đọc khác mã đã ghi cho bưu gửi này"
	case "document_missing":
		return fmt.Sprintf("Giấy tờ %s: bạn đếm được %d bản, ít hơn số đã ghi", doc(), d.Counted)
	case "count_mismatch":
		return fmt.Sprintf("Giấy tờ %s: bạn đếm được %d bản, nhiều hơn số đã ghi", doc(), d.Counted)
	case "damaged":
		return fmt.Sprintf("Giấy tờ %s bị hư hỏng", doc())
	case "missing_parcel":
		return "Không có trong chuyến"
	}
	return d.Problem.Label()
}

// needsCount reports whether a receiver counts each document of a parcel:
// the desk, on the pickup leg.
func needsCount(me tracking.Party, p Parcel) bool {
	return me.Kind == tracking.PartyDesk && p.Leg == tracking.LegPickup
}

// Review checks what a clerk states against the record, without writing:
// every line must be released to the user's office or desk and state the
// seal (and, at a desk receiving a dossier, count every document). Lines
// outside the user's scope are refused with one message for all (403); a
// missing statement is a field error (422). What differs from the record is
// listed per line for the confirmation screen.
func (h *Hops) Review(ctx context.Context, u User, in CounterInput) (Review, error) {
	me, err := counterParty(u)
	if err != nil {
		return Review{}, err
	}
	if len(in.Lines) == 0 || len(in.Lines) > 1000 {
		return Review{}, errs.E(errs.Invalid, "Không có bưu gửi nào để xác nhận")
	}
	pend, err := h.Store.PendingFor(ctx, me)
	if err != nil {
		return Review{}, err
	}
	byNumber := map[string]Pending{}
	for _, p := range pend {
		byNumber[p.Parcel.Number] = p
	}
	rv := Review{Input: in}
	rv.Input.Lines = append([]LineInput(nil), in.Lines...)
	f := errs.Fields{}
	seen := map[string]bool{}
	for i, l := range in.Lines {
		field := func(k string) string {
			if in.Kind == CounterReceive {
				return k
			}
			return fmt.Sprintf("lines[%d].%s", i, k)
		}
		l.Number = strings.ToUpper(strings.TrimSpace(l.Number))
		l.SealID = strings.ToUpper(strings.TrimSpace(vntext.NFC(l.SealID)))
		l.Note = strings.TrimSpace(vntext.NFC(l.Note))
		p, ok := byNumber[l.Number]
		if !ok {
			return Review{}, errs.E(errs.Forbidden, "%s: không có bưu gửi này đang chờ đơn vị bạn xác nhận", l.Number)
		}
		if seen[l.Number] {
			f.Add(field("number"), "bưu gửi bị lặp")
			continue
		}
		seen[l.Number] = true
		if in.Kind == CounterManifest && p.Manifest != in.Manifest {
			return Review{}, errs.E(errs.Forbidden, "%s không thuộc bảng kê %s", l.Number, in.Manifest)
		}
		d := tracking.Confirmed{Handoff: p.Handoff.ID, Note: l.Note}
		yes, no := true, false
		counting := needsCount(me, p.Parcel) || l.Result == LineCountDiffers
		switch l.Result {
		case LineReceived, LineCountDiffers:
			d.SealIntact = &yes
			if l.SealID == "" {
				f.Add(field("seal_id"), "quét hoặc gõ mã niêm phong trên bì")
			}
		case LineSealBroken:
			d.SealIntact = &no
		case LineMissing:
			d.Problem, counting = "missing_parcel", false
			l.SealID, l.Counts = "", nil
		case "":
			f.Add(field("result"), "nêu tình trạng niêm phong: còn nguyên vẹn hay bị rách")
			continue
		default:
			f.Add(field("result"), "kết quả không hợp lệ")
			continue
		}
		if l.SealID != "" && !tracking.ValidSealID(l.SealID) {
			f.Add(field("seal_id"), "mã niêm phong gồm 3–40 chữ in hoa, số hoặc dấu gạch")
		}
		d.SealID = l.SealID
		if utf8Len(l.Note) > 500 {
			f.Add(field("note"), "dài quá 500 ký tự")
		}
		if counting {
			got := map[int]bool{}
			for _, c := range l.Counts {
				got[c.Line] = true
				if c.Count < 0 || c.Count > tracking.MaxDocumentCopy {
					f.Add(field(fmt.Sprintf("count_%d", c.Line)), "số bản từ 0 đến 99")
				}
			}
			for j := range p.Parcel.Documents {
				if !got[j+1] {
					f.Add(field(fmt.Sprintf("count_%d", j+1)), "nhập số bản đếm được (0 nếu không có)")
				}
			}
			d.Documents = l.Counts
		} else {
			l.Counts = nil
		}
		st := tracking.State{Leg: p.Parcel.Leg, SealID: p.Parcel.SealID, Documents: p.Parcel.Documents, Collected: p.Parcel.Collected}
		diffs := tracking.Differences(st, d)
		if l.Result == LineMissing {
			diffs = []tracking.Difference{{Problem: "missing_parcel"}}
		}
		if l.Result == LineCountDiffers && len(f) == 0 {
			counted := false
			for _, x := range diffs {
				counted = counted || x.Line > 0
			}
			if !counted {
				f.Add(field("result"), "số bản bạn đếm khớp với hồ sơ: chọn “Nhận đủ”")
			}
		}
		rv.Input.Lines[i] = l // kept as normalised, for the confirmation screen and Back
		rv.Lines = append(rv.Lines, LineReview{LineInput: l, Parcel: p.Parcel, Handoff: p.Handoff.ID, Diffs: diffs, data: d})
	}
	if err := f.Err(errs.Unprocessable, "Chưa đủ thông tin để xác nhận"); err != nil {
		return rv, err
	}
	return rv, nil
}

func utf8Len(s string) int { return len([]rune(s)) }

// LineOutcome is what became of one line.
type LineOutcome struct {
	Number   string
	Disputed bool
	Err      error
}

// Record writes a review, one event per line in one transaction: a
// confirmation, or a dispute naming the giver (the last confirmed
// custodian). A review with differences is recorded only when confirmed is
// true: the clerk has seen them on the second screen. A manifest closes,
// with both parties and times, when its last open line closes.
func (h *Hops) Record(ctx context.Context, u User, rv Review, confirmed bool) ([]LineOutcome, error) {
	me, err := counterParty(u)
	if err != nil {
		return nil, err
	}
	if rv.Differs() && !confirmed {
		return nil, errs.E(errs.Conflict, "Có sai lệch: xác nhận ở màn hình thứ hai trước khi ghi")
	}
	var items []Item
	for _, l := range rv.Lines {
		typ := tracking.HandoffConfirmed
		if l.data.Problem != "" {
			typ = tracking.HandoffDisputed
		}
		items = append(items, Item{Number: l.Parcel.Number, In: EventInput{Type: typ, Actor: me, By: u.ID, Data: mustMarshal(l.data)}})
	}
	var out []LineOutcome
	err = h.Ledger.Tx.InTx(ctx, func(ctx context.Context) error {
		res, err := h.Ledger.batch(ctx, items)
		if err != nil {
			return err
		}
		out = make([]LineOutcome, len(res))
		var arrived []Item
		for i, r := range res {
			out[i] = LineOutcome{Number: items[i].Number, Err: r.Err, Disputed: r.Event.Type == tracking.HandoffDisputed}
			if r.Err == nil && !r.Duplicate && r.Event.Type == tracking.HandoffConfirmed &&
				me.Kind == tracking.PartyOffice && rv.Lines[i].Parcel.Leg == tracking.LegReturn {
				// The result reached the office that delivers it: EMG.
				arrived = append(arrived, Item{Number: items[i].Number, In: EventInput{Type: tracking.DeliveryArrivedOffice, Actor: me, By: u.ID, Data: []byte("{}")}})
			}
		}
		if len(arrived) > 0 {
			ar, err := h.Ledger.batch(ctx, arrived)
			if err != nil {
				return err
			}
			for _, r := range ar {
				if r.Err != nil {
					return r.Err
				}
			}
		}
		return nil
	})
	return out, err
}

// Receive reviews and records one scanned parcel in one step: the form of
// the staff API and of tests. With differences it records the dispute only
// when confirmed.
func (h *Hops) Receive(ctx context.Context, u User, l LineInput, confirmed bool) (ScanResult, error) {
	sc, err := h.Scan(ctx, u, l.Number)
	if err != nil || (sc.Kind != "pending" && sc.Kind != "needs_count") {
		return sc, err
	}
	if sc.Kind == "needs_count" && len(l.Counts) == 0 {
		return sc, nil
	}
	l.Number = sc.Number
	rv, err := h.Review(ctx, u, CounterInput{Kind: CounterReceive, Lines: []LineInput{l}})
	if err != nil {
		return sc, err
	}
	if rv.Differs() && !confirmed {
		sc.Kind, sc.Message = "differs", "Có sai lệch: cần xác nhận trước khi ghi"
		return sc, nil
	}
	res, err := h.Record(ctx, u, rv, confirmed)
	if err != nil {
		return sc, err
	}
	if res[0].Err != nil {
		sc.Kind, sc.Message = "unexpected", errs.MessageOf(res[0].Err)
		return sc, nil
	}
	if res[0].Disputed {
		sc.Kind, sc.Message = "disputed", "Đã ghi sai lệch: bên giao vẫn chịu trách nhiệm, sự cố đã được mở"
	} else {
		sc.Kind, sc.Message = "ok", "Đã nhận: "+sc.Number
	}
	return sc, nil
}

// Draft is a counter input waiting for the clerk's confirmation of its
// differences (Post/Redirect/Get: the second screen reads it back).
type Draft struct {
	ID        string
	UserID    int64
	Kind      string
	Input     CounterInput
	CreatedAt time.Time
	ExpiresAt time.Time
}

// draftTTL is how long a confirmation screen stays valid.
const draftTTL = 2 * time.Hour

// SaveDraft keeps a reviewed input for its confirmation screen and returns
// its id.
func (h *Hops) SaveDraft(ctx context.Context, u User, in CounterInput) (string, error) {
	now := h.Now()
	d := Draft{ID: uuid.NewString(), UserID: u.ID, Kind: in.Kind, Input: in, CreatedAt: now, ExpiresAt: now.Add(draftTTL)}
	if err := h.Store.SaveDraft(ctx, d); err != nil {
		return "", err
	}
	return d.ID, nil
}

// Draft reads back the user's own draft.
func (h *Hops) Draft(ctx context.Context, u User, id string) (CounterInput, error) {
	if _, err := uuid.Parse(id); err != nil {
		return CounterInput{}, errs.E(errs.NotFound, "Phiếu xác nhận không còn: làm lại từ đầu")
	}
	d, err := h.Store.FindDraft(ctx, id, u.ID, h.Now())
	if err != nil {
		return CounterInput{}, err
	}
	return d.Input, nil
}

// DropDraft forgets a draft once recorded.
func (h *Hops) DropDraft(ctx context.Context, id string) error { return h.Store.DeleteDraft(ctx, id) }

// MarshalDraft and UnmarshalDraft are the draft's stored form.
func MarshalDraft(in CounterInput) ([]byte, error) { return json.Marshal(in) }

// UnmarshalDraft reads a stored draft.
func UnmarshalDraft(b []byte) (CounterInput, error) {
	var in CounterInput
	err := json.Unmarshal(b, &in)
	return in, err
}

// ManifestFor loads a manifest for its receiver (the user's office or desk)
// or its giver. Anyone else gets the answer an unknown code gets (404):
// nothing of another unit's manifest is revealed.
func (h *Hops) ManifestFor(ctx context.Context, u User, code string) (Manifest, []ManifestLine, error) {
	me, err := counterParty(u)
	if err != nil {
		return Manifest{}, nil, err
	}
	m, lines, err := h.Store.FindManifest(ctx, strings.TrimSpace(code))
	if errs.Is(err, errs.NotFound) || (err == nil && m.Receiver != me && m.Giver != me) {
		return Manifest{}, nil, errs.E(errs.NotFound, "Không có bảng kê %q nào giao cho hoặc do đơn vị bạn lập", code)
	}
	return m, lines, err
}
