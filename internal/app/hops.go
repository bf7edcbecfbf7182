package app

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"hoso/internal/errs"
	"hoso/internal/vntext"
	"hoso/tracking"
)

// Pending is a release waiting for its receiver.
type Pending struct {
	Handoff  tracking.Handoff
	Manifest string
	Parcel   Parcel
}

// Manifest is a batch hand-off (bảng kê): one giver, one receiver, the
// parcels released together. Its receiver closes it by giving a result for
// every line; it records both parties and both times.
type Manifest struct {
	ID        string
	Code      string
	Giver     tracking.Party
	Receiver  tracking.Party
	CreatedAt time.Time
	CreatedBy int64
	Deadline  time.Time // the receiver confirms every line by then, or an alarm is raised
	ClosedAt  *time.Time
	ClosedBy  int64          // the signed-in user whose action closed it, when known
	Closer    tracking.Party // who closed it: the receiver; a dispatcher who recalled its last line; the system
	Parcels   int
	Pending   int
}

// ManifestLine is one parcel of a manifest with the state of its hand-off.
type ManifestLine struct {
	Handoff  tracking.Handoff
	Status   string // pending | confirmed | disputed | recalled
	Problem  string // of a disputed line (tracking.DisputeProblems)
	SealRead string // the seal id the receiver stated
	ClosedAt *time.Time
	Parcel   Parcel
}

// HopStore is what the post office and desk flows need.
type HopStore interface {
	PendingFor(ctx context.Context, receiver tracking.Party) ([]Pending, error)
	HeldBy(ctx context.Context, holder tracking.Party) ([]Parcel, error)
	CreateManifest(ctx context.Context, m Manifest) error
	NextManifestSeq(ctx context.Context) (int64, error)
	FindManifests(ctx context.Context, party tracking.Party, limit int) ([]Manifest, error)
	FindManifest(ctx context.Context, code string) (Manifest, []ManifestLine, error)
	FindParcelByNumber(ctx context.Context, number string) (Parcel, error)
	FindUserByStaffCode(ctx context.Context, code string) (User, error)
	FindDesk(ctx context.Context, code string) (Desk, error)
	ReturnOf(ctx context.Context, pickupID string) (Parcel, bool, error)
	SaveDraft(ctx context.Context, d Draft) error
	FindDraft(ctx context.Context, id string, userID int64, now time.Time) (Draft, error)
	DeleteDraft(ctx context.Context, id string) error
	FindHandoff(ctx context.Context, id string) (Pending, string, error)
	FindPendingHandoffs(ctx context.Context, province string, limit int) ([]Pending, error)
	ClearHandoffAlarms(ctx context.Context, handoffID string, at time.Time) error
	InsertAudit(ctx context.Context, userID int64, action, subject, reason string, at time.Time) error
}

// Hops runs the hand-offs at post offices and desks: receiving against what
// was released, batch releases as manifests, the desk's decision and the
// result's return leg.
type Hops struct {
	Store  HopStore
	Ledger *Ledger
	Intake *Intake
	Now    func() time.Time
	NewID  func() string
	// Scope checks a release's receiver before anything is written (the
	// same check the ledger's Guard makes). Optional.
	Scope *HandoffScope
}

// ScanResult is what a scan at a counter found.
type ScanResult struct {
	Kind    string // pending | needs_count (Scan); ok | disputed | differs (Receive); unexpected | duplicate | outside
	Message string
	Number  string
	Parcel  *Parcel
}

func counterParty(u User) (tracking.Party, error) {
	switch u.Role {
	case RoleOffice, RoleDesk:
		return u.Party(), nil
	}
	return tracking.Party{}, errs.E(errs.Forbidden, "chỉ bưu cục và bộ phận một cửa nhận bàn giao tại quầy")
}

// Inbox lists the releases waiting for the user's office or desk.
func (h *Hops) Inbox(ctx context.Context, u User) ([]Pending, error) {
	me, err := counterParty(u)
	if err != nil {
		return nil, err
	}
	return h.Store.PendingFor(ctx, me)
}

// Held lists what the user's office or desk holds now.
func (h *Hops) Held(ctx context.Context, u User) ([]Parcel, error) {
	me, err := counterParty(u)
	if err != nil {
		return nil, err
	}
	return h.Store.HeldBy(ctx, me)
}

// outsideMessage is the one answer a counter gets for a number that is not
// in the system and for one outside its scope: nothing about a parcel of
// another office or desk is revealed.
const outsideMessage = "Không có bưu gửi này trong phạm vi của đơn vị bạn"

// inCounterScope reports whether a parcel concerns the user's office or
// desk at all.
func inCounterScope(u User, p Parcel, pendingToMe bool) bool {
	me := u.Party()
	switch {
	case p.Custodian == me, pendingToMe:
		return true
	case u.Role == RoleOffice:
		return p.OfficeCode == u.OfficeCode
	case u.Role == RoleDesk:
		return p.DeskCode == u.DeskCode
	}
	return false
}

// Scan looks up a scanned (or typed) number at a counter: whether it is
// released to the user's office or desk and what receiving it needs. It
// changes nothing. Kind "pending" means it can be received.
func (h *Hops) Scan(ctx context.Context, u User, raw string) (ScanResult, error) {
	me, err := counterParty(u)
	if err != nil {
		return ScanResult{}, err
	}
	n, err := tracking.ParseNumber(strings.ToUpper(strings.TrimSpace(raw)))
	if err != nil {
		return ScanResult{Kind: "unexpected", Number: raw, Message: "Mã quét không phải số hiệu bưu gửi hợp lệ"}, nil
	}
	p, err := h.Store.FindParcelByNumber(ctx, n.String())
	if errs.Is(err, errs.NotFound) {
		return ScanResult{Kind: "outside", Number: n.String(), Message: outsideMessage}, nil
	}
	if err != nil {
		return ScanResult{}, err
	}
	pend, err := h.Store.PendingFor(ctx, me)
	if err != nil {
		return ScanResult{}, err
	}
	mine := false
	for i := range pend {
		mine = mine || pend[i].Parcel.ID == p.ID
	}
	if !inCounterScope(u, p, mine) {
		return ScanResult{Kind: "outside", Number: n.String(), Message: outsideMessage}, nil
	}
	res := ScanResult{Number: p.Number, Parcel: &p}
	switch {
	case p.Custodian == me:
		res.Kind, res.Message = "duplicate", "Đã nhận bưu gửi này rồi"
	case !mine:
		res.Kind, res.Message = "unexpected", "Bưu gửi này không được bàn giao cho đơn vị bạn"
	case me.Kind == tracking.PartyDesk && p.Leg == tracking.LegPickup:
		res.Kind, res.Message = "needs_count", "Kiểm đếm từng giấy tờ rồi xác nhận"
	default:
		res.Kind = "pending"
	}
	return res, nil
}

// ReportMissing prepares the dispute of every release still waiting from a
// giver (or of a manifest) as a missing parcel: they were not in the bag.
// Like every difference, it is recorded only once the clerk confirms it
// (Review, then Record).
func (h *Hops) ReportMissing(ctx context.Context, u User, giver, manifest string) (CounterInput, error) {
	me, err := counterParty(u)
	if err != nil {
		return CounterInput{}, err
	}
	pend, err := h.Store.PendingFor(ctx, me)
	if err != nil {
		return CounterInput{}, err
	}
	in := CounterInput{Kind: CounterMissing, Manifest: manifest, Giver: giver}
	for _, p := range pend {
		if (giver != "" && p.Handoff.Giver.String() != giver) || (manifest != "" && p.Manifest != manifest) {
			continue
		}
		in.Lines = append(in.Lines, LineInput{Number: p.Parcel.Number, Result: LineMissing, Note: "Không có trong chuyến khi nhận"})
	}
	if len(in.Lines) == 0 {
		return in, errs.E(errs.Conflict, "Không còn bưu gửi nào chờ xác nhận từ bên giao này")
	}
	return in, nil
}

// ReleaseItem is one parcel of a release; the desk names the seal it puts
// on a result's envelope.
type ReleaseItem struct {
	Number string
	SealID string
}

// Release hands parcels the user's office or desk holds to one receiver as
// a manifest. The receiver is checked first, on the server: one that does
// not exist (422) or is outside the giver's scope for any of the parcels
// (403) refuses the whole release and writes nothing, not even an empty
// manifest. Otherwise it returns the manifest code and one result per
// parcel; when no parcel could be released, nothing is written either.
func (h *Hops) Release(ctx context.Context, u User, to tracking.Party, items []ReleaseItem) (string, []Result, error) {
	me, err := counterParty(u)
	if err != nil {
		return "", nil, err
	}
	if len(items) == 0 {
		return "", nil, errs.E(errs.Invalid, "Chọn ít nhất một bưu gửi")
	}
	seen := map[string]bool{}
	var batch []Item
	var numbers []string
	for _, it := range items {
		n, err := tracking.ParseNumber(strings.ToUpper(strings.TrimSpace(it.Number)))
		if err != nil {
			return "", nil, errs.E(errs.Invalid, "Số hiệu %q không hợp lệ", it.Number).WithFields(map[string]string{"numbers": "số hiệu không hợp lệ"})
		}
		if seen[n.String()] {
			continue
		}
		seen[n.String()] = true
		numbers = append(numbers, n.String())
		seal := strings.ToUpper(strings.TrimSpace(it.SealID))
		batch = append(batch, Item{Number: n.String(), In: EventInput{Type: tracking.HandoffReleased, Actor: me, By: u.ID,
			Data: mustMarshal(tracking.Released{To: to.String(), SealID: seal})}})
	}
	var code string
	var res []Result
	err = h.Ledger.Tx.InTx(ctx, func(ctx context.Context) error {
		sorted := append([]string(nil), numbers...)
		sort.Strings(sorted)
		locked, err := h.Ledger.Store.LockParcels(ctx, sorted)
		if err != nil {
			return err
		}
		var guard func(LockedParcel, EventInput) error
		if h.Scope != nil {
			guard = h.Scope.Guard(ctx)
		}
		for _, it := range batch {
			lp, ok := locked[it.Number]
			if !ok || Scope(u, lp) != nil {
				return errs.E(errs.Forbidden, "%s: %s", it.Number, outsideMessage)
			}
			if guard != nil {
				if err := guard(lp, it.In); err != nil {
					return err
				}
			}
		}
		seq, err := h.Store.NextManifestSeq(ctx)
		if err != nil {
			return err
		}
		now := h.Now()
		code = fmt.Sprintf("BK%s%06d", now.In(vn).Format("060102"), seq%1_000_000)
		pol := h.Ledger.Policy.ConfirmWithin
		if pol <= 0 {
			pol = tracking.DefaultPolicy.ConfirmWithin
		}
		m := Manifest{ID: h.NewID(), Code: code, Giver: me, Receiver: to, CreatedAt: now, CreatedBy: u.ID, Deadline: now.Add(pol)}
		if err := h.Store.CreateManifest(ctx, m); err != nil {
			return err
		}
		for i := range batch {
			var d tracking.Released
			_ = json.Unmarshal(batch[i].In.Data, &d)
			d.Manifest = code
			batch[i].In.Data = mustMarshal(d)
		}
		res, err = h.Ledger.batch(ctx, batch)
		if err != nil {
			return err
		}
		var why []string
		for i, r := range res {
			if r.Err == nil && !r.Duplicate {
				return nil
			}
			if r.Err != nil {
				why = append(why, numbers[i]+": "+errDetail(r.Err))
			}
		}
		// Nothing released: no manifest either.
		return errs.E(errs.Unprocessable, "Không bàn giao được bưu gửi nào: %s", strings.Join(why, "; ")).
			WithFields(map[string]string{"numbers": strings.Join(why, "; ")})
	})
	if err != nil {
		return "", nil, err
	}
	return code, res, nil
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only the package's own plain structs are marshalled
	}
	return b
}

// Recall withdraws a release nobody confirmed: a dispatcher's way out of a
// hand-off that cannot complete (a receiver who never comes). It is recorded
// as handoff.recalled in the ledger with the reason, audited, custody stays
// with the giver (who may release again), and the hand-off's alarms clear.
// Only dispatchers (of the parcel's province) and admins may recall.
func (h *Hops) Recall(ctx context.Context, u User, handoffID, reason string) (Pending, error) {
	if u.Role != RoleDispatcher && u.Role != RoleAdmin {
		return Pending{}, errs.E(errs.Forbidden, "chỉ điều phối viên thu hồi được bàn giao")
	}
	reason = vntext.NFC(strings.TrimSpace(reason))
	if n := len([]rune(reason)); n < 3 || n > 500 {
		return Pending{}, errs.E(errs.Unprocessable, "Ghi lý do thu hồi bàn giao").WithFields(map[string]string{"reason": "ghi lý do (3–500 ký tự)"})
	}
	if _, err := uuid.Parse(handoffID); err != nil {
		return Pending{}, errs.E(errs.NotFound, "Không có bàn giao này")
	}
	pend, status, err := h.Store.FindHandoff(ctx, handoffID)
	if err != nil {
		return Pending{}, err
	}
	if u.Role == RoleDispatcher && pend.Parcel.ProvinceCode != u.ProvinceCode {
		return Pending{}, errs.E(errs.Forbidden, "bàn giao này không thuộc tỉnh của bạn")
	}
	if status != "pending" {
		return Pending{}, errs.E(errs.Conflict, "Bàn giao này đã đóng (%s): không còn gì để thu hồi", status)
	}
	now := h.Now()
	err = h.Ledger.Tx.InTx(ctx, func(ctx context.Context) error {
		data := mustMarshal(tracking.Recalled{Handoff: handoffID, Reason: reason})
		if _, _, err := h.Ledger.RecordByNumber(ctx, pend.Parcel.Number, EventInput{Type: tracking.HandoffRecalled, Actor: u.Party(), By: u.ID, Data: data}); err != nil {
			return err
		}
		if err := h.Store.ClearHandoffAlarms(ctx, handoffID, now); err != nil {
			return err
		}
		return h.Store.InsertAudit(ctx, u.ID, "handoff_recalled", pend.Parcel.Number, reason, now)
	})
	return pend, err
}

// DeskDecision is the desk's verdict on a dossier it holds.
type DeskDecision struct {
	Accept          bool
	Reason          tracking.IncompleteReason
	MissingLines    []int
	Note            string
	AppointmentDate string
}

// Decide records the desk's acceptance or return as incomplete.
func (h *Hops) Decide(ctx context.Context, u User, number string, d DeskDecision) error {
	if u.Role != RoleDesk {
		return errs.E(errs.Forbidden, "chỉ bộ phận một cửa tiếp nhận hồ sơ")
	}
	// The desk's dates and reasons are checked here, each beside its field
	// on the desk's page: an acceptance names the day the result is due
	// (today or later, within a year); a return names its reason, and the
	// missing papers when that is the reason.
	f := errs.Fields{}
	d.AppointmentDate = strings.TrimSpace(d.AppointmentDate)
	if d.Accept {
		today := h.Now().In(vietnamZone)
		today = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, vietnamZone)
		day, err := time.ParseInLocation("2006-01-02", d.AppointmentDate, vietnamZone)
		switch {
		case d.AppointmentDate == "":
			f.Add("appointment", "Chọn ngày hẹn trả kết quả")
		case err != nil:
			f.Add("appointment", "Ngày hẹn không đọc được; chọn ngày trong lịch")
		case day.Before(today):
			f.Add("appointment", "Ngày hẹn đã qua; chọn hôm nay hoặc một ngày sau")
		case day.After(today.AddDate(1, 0, 0)):
			f.Add("appointment", "Ngày hẹn quá một năm; kiểm tra lại năm")
		}
	} else {
		d.AppointmentDate = ""
		if !tracking.IncompleteReasons.Has(d.Reason) {
			f.Add("reason", "Chọn lý do trả lại hồ sơ")
		} else if d.Reason == tracking.IncompleteMissingDocuments && len(d.MissingLines) == 0 {
			f.Add("missing", "Đánh dấu các giấy tờ còn thiếu")
		}
	}
	if err := f.Err(errs.Invalid, "Quyết định chưa lưu: xem các ô được đánh dấu"); err != nil {
		return err
	}
	typ := tracking.DeskAccepted
	data := tracking.DeskDecision{Note: vntext.NFC(d.Note), AppointmentDate: d.AppointmentDate}
	if !d.Accept {
		typ = tracking.DeskReturnedIncomplete
		data.Reason, data.MissingLines = d.Reason, d.MissingLines
	}
	b, _ := json.Marshal(data)
	_, _, err := h.Ledger.RecordByNumber(ctx, number, EventInput{Type: typ, Actor: u.Party(), Data: b})
	return err
}

// ResultInput is a result ready at the desk, to be returned by post.
type ResultInput struct {
	DossierCode  string
	PortalClient string // set when the portal registers it
	DeskCode     string // the desk holding the result
	Documents    []tracking.Document
	Fee          int64
	Note         string
	Actor        tracking.Party
	// Citizen and Address, when the dossier's pickup is not known here.
	Citizen *tracking.Citizen
	Address *tracking.Address
}

// RegisterResult creates the return-leg parcel of a dossier (its own S10
// number) held by the desk, and records result.registered. The citizen and
// address come from the dossier's pickup unless given.
func (h *Hops) RegisterResult(ctx context.Context, in ResultInput) (Parcel, error) {
	f := errs.Fields{}
	if len(in.Documents) == 0 {
		f.Add("documents", "cần ít nhất một giấy tờ trả lại")
	}
	for i, d := range in.Documents {
		p := fmt.Sprintf("documents[%d]", i)
		in.Documents[i].Name = vntext.NFC(d.Name)
		if n := len([]rune(in.Documents[i].Name)); n < 1 || n > tracking.MaxText {
			f.Add(p+".name", "tên giấy tờ 1–300 ký tự")
		}
		if _, err := tracking.ParseDocKind(string(d.Kind)); err != nil {
			f.Add(p+".kind", "phải là original, certified_copy hoặc copy")
		}
		if d.Count < 1 || d.Count > tracking.MaxDocumentCopy {
			f.Add(p+".count", "số bản từ 1 đến 99")
		}
	}
	if in.Fee < 0 || in.Fee > 100_000_000 {
		f.Add("fee", "số tiền không hợp lệ")
	}
	if err := f.Err(errs.Unprocessable, "Kết quả chưa hợp lệ"); err != nil {
		return Parcel{}, err
	}
	ps, err := h.Intake.Store.FindParcels(ctx, ParcelFilter{DossierCode: vntext.NFC(in.DossierCode), PortalClient: in.PortalClient, Leg: tracking.LegPickup, Limit: 20})
	if err != nil {
		return Parcel{}, err
	}
	// A result is registered only for a dossier the desk accepted: while
	// a pickup of the dossier is on its way (or the papers are still at
	// home) there is nothing to return yet. A dossier with no pickup here
	// (filed at the counter) or whose pickups were all cancelled takes the
	// citizen and address given.
	var pickup *Parcel
	var waiting tracking.Status
	for i := range ps {
		switch ps[i].Status {
		case tracking.StatusAccepted:
			pickup = &ps[i]
		case tracking.StatusCancelled:
		default:
			waiting = ps[i].Status
		}
	}
	if pickup == nil && waiting != "" {
		return Parcel{}, errs.E(errs.Conflict, "Hồ sơ %s chưa được bộ phận một cửa tiếp nhận (đang ở trạng thái “%s”): chỉ đăng ký kết quả sau khi tiếp nhận",
			in.DossierCode, waiting.Label())
	}
	if pickup == nil && (in.Citizen == nil || in.Address == nil) {
		return Parcel{}, errs.E(errs.Unprocessable, "Không có địa chỉ trả kết quả cho hồ sơ này").
			WithFields(map[string]string{"address": "hồ sơ chưa có yêu cầu thu gom: gửi kèm citizen và address"})
	}
	if pickup != nil {
		if ret, ok, err := h.Store.ReturnOf(ctx, pickup.ID); err != nil {
			return Parcel{}, err
		} else if ok {
			return Parcel{}, errs.E(errs.Conflict, "hồ sơ %s đã có bưu gửi trả kết quả %s", in.DossierCode, ret.Number)
		}
	}
	deskCode := in.DeskCode
	if deskCode == "" && pickup != nil {
		deskCode = pickup.DeskCode
	}
	if _, err := h.Store.FindDesk(ctx, deskCode); err != nil {
		return Parcel{}, errs.E(errs.Unprocessable, "Không có nơi tiếp nhận %s", deskCode).WithFields(map[string]string{"desk_code": "không có"})
	}
	now := h.Now()
	p := Parcel{ID: h.NewID(), Leg: tracking.LegReturn, Status: tracking.StatusReady, DeskCode: deskCode,
		Documents: in.Documents, FeeAmount: in.Fee, CreatedAt: now, UpdatedAt: now, Demo: h.Intake.Demo, ReceiptCode: NewReceiptCode()}
	var phoneHash, idHash []byte
	if pickup != nil {
		p.Channel, p.PortalClient, p.DossierID, p.Dossier = pickup.Channel, pickup.PortalClient, pickup.DossierID, pickup.Dossier
		p.CitizenName, p.PhoneEnc, p.PhoneLast3, p.IDLast3 = pickup.CitizenName, pickup.PhoneEnc, pickup.PhoneLast3, pickup.IDLast3
		p.ProvinceCode, p.CommuneCode, p.AddressLine, p.Lat, p.Lng, p.LocationApprox = pickup.ProvinceCode, pickup.CommuneCode, pickup.AddressLine, pickup.Lat, pickup.Lng, pickup.LocationApprox
		p.OfficeCode, p.ReturnOf = pickup.OfficeCode, pickup.ID
		phoneHash, idHash, err = h.Intake.Store.ParcelHashes(ctx, pickup.ID)
		if err != nil {
			return Parcel{}, err
		}
	} else {
		// A dossier filed at the counter: take the citizen and address given.
		req := tracking.PickupRequest{Dossier: tracking.Dossier{Code: in.DossierCode, DeskCode: deskCode}, Citizen: *in.Citizen, Address: *in.Address,
			Documents: in.Documents, Channel: tracking.ChannelPortal, PortalClient: in.PortalClient}
		if in.PortalClient == "" {
			req.Channel = tracking.ChannelClerk
		}
		req.Normalize()
		pp, ph, ih, err := h.Intake.contact(ctx, req)
		if err != nil {
			return Parcel{}, err
		}
		p.Channel, p.PortalClient = req.Channel, req.PortalClient
		p.CitizenName, p.PhoneEnc, p.PhoneLast3, p.IDLast3 = pp.CitizenName, pp.PhoneEnc, pp.PhoneLast3, pp.IDLast3
		p.ProvinceCode, p.CommuneCode, p.AddressLine, p.Lat, p.Lng, p.LocationApprox, p.OfficeCode = pp.ProvinceCode, pp.CommuneCode, pp.AddressLine, pp.Lat, pp.Lng, pp.LocationApprox, pp.OfficeCode
		phoneHash, idHash = ph, ih
		p.Dossier = tracking.Dossier{Code: vntext.NFC(in.DossierCode), DeskCode: deskCode, ReturnByPost: true}
	}
	actor := in.Actor
	err = h.Intake.Tx.InTx(ctx, func(ctx context.Context) error {
		if p.DossierID == "" {
			id, err := h.Intake.Store.UpsertDossier(ctx, in.PortalClient, p.Dossier, p.Demo, now)
			if err != nil {
				return err
			}
			p.DossierID = id
		}
		serial, err := h.Intake.Store.NextSerial(ctx, h.Intake.S10.Return)
		if err != nil {
			return err
		}
		num, err := tracking.NewNumber(h.Intake.S10.Return, serial, h.Intake.S10.Country)
		if err != nil {
			return errs.Wrapf(errs.Internal, err, "cấp số hiệu")
		}
		p.Number = num.String()
		if err := h.Intake.Store.InsertParcel(ctx, p, phoneHash, idHash); err != nil {
			return err
		}
		data, err := tracking.MarshalData(map[string]any{"documents": len(in.Documents), "fee": in.Fee, "pickup": pickupNumber(pickup), "note": vntext.NFC(in.Note)})
		if err != nil {
			return err
		}
		ev, err := h.Ledger.first(ctx, p, EventInput{Type: tracking.ResultRegistered, Actor: actor, Data: data})
		if err != nil {
			return err
		}
		p.Status, p.EventCount, p.LastHash = tracking.StatusReady, ev.Seq, ev.Hash
		p.Custodian = tracking.Party{Kind: tracking.PartyDesk, Ref: deskCode}
		return nil
	})
	if err != nil {
		return Parcel{}, err
	}
	return p, nil
}

func pickupNumber(p *Parcel) string {
	if p == nil {
		return ""
	}
	return p.Number
}

// errDetail is an error's message with its field messages, for a clerk.
func errDetail(err error) string {
	msg := errs.MessageOf(err)
	fs := errs.FieldsOf(err)
	keys := make([]string, 0, len(fs))
	for k := range fs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		msg += " (" + fs[k] + ")"
	}
	return msg
}
