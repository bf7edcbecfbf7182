package app

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

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

// Manifest is a batch hand-off.
type Manifest struct {
	ID        string
	Code      string
	Giver     tracking.Party
	Receiver  tracking.Party
	CreatedAt time.Time
	CreatedBy int64
	Parcels   int
	Pending   int
}

// HopStore is what the post office and desk flows need.
type HopStore interface {
	PendingFor(ctx context.Context, receiver tracking.Party) ([]Pending, error)
	HeldBy(ctx context.Context, holder tracking.Party) ([]Parcel, error)
	CreateManifest(ctx context.Context, m Manifest) error
	NextManifestSeq(ctx context.Context) (int64, error)
	FindManifests(ctx context.Context, party tracking.Party, limit int) ([]Manifest, error)
	FindParcelByNumber(ctx context.Context, number string) (Parcel, error)
	FindUserByStaffCode(ctx context.Context, code string) (User, error)
	FindDesk(ctx context.Context, code string) (Desk, error)
	ReturnOf(ctx context.Context, pickupID string) (Parcel, bool, error)
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
}

// ScanResult is what a scan at a counter found.
type ScanResult struct {
	Kind    string // ok | disputed | unexpected | duplicate | needs_count
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

// Receive confirms (or disputes) the release of one scanned parcel. A desk
// must count the documents of a pickup; without counts it asks for them.
func (h *Hops) Receive(ctx context.Context, u User, raw string, sealBroken bool, counts []tracking.DocCount, note string) (ScanResult, error) {
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
		return ScanResult{Kind: "unexpected", Number: n.String(), Message: "Không có bưu gửi này trong hệ thống"}, nil
	}
	if err != nil {
		return ScanResult{}, err
	}
	res := ScanResult{Number: p.Number, Parcel: &p}
	if p.Custodian == me {
		res.Kind, res.Message = "duplicate", "Đã nhận bưu gửi này rồi"
		return res, nil
	}
	pend, err := h.Store.PendingFor(ctx, me)
	if err != nil {
		return ScanResult{}, err
	}
	var mine *Pending
	for i := range pend {
		if pend[i].Parcel.ID == p.ID {
			mine = &pend[i]
		}
	}
	if mine == nil {
		res.Kind, res.Message = "unexpected", "Bưu gửi này không được bàn giao cho đơn vị bạn"
		return res, nil
	}
	data := tracking.Confirmed{Handoff: mine.Handoff.ID, Note: vntext.NFC(note)}
	intact := !sealBroken
	data.SealIntact = &intact
	if me.Kind == tracking.PartyDesk && p.Leg == string(tracking.LegPickup) && !sealBroken {
		if len(counts) == 0 {
			res.Kind, res.Message = "needs_count", "Kiểm đếm từng giấy tờ rồi xác nhận"
			return res, nil
		}
		data.Documents = counts
	}
	b, _ := json.Marshal(data)
	ev, _, err := h.Ledger.RecordByNumber(ctx, p.Number, EventInput{Type: tracking.HandoffConfirmed, Actor: me, Data: b})
	if err != nil {
		if errs.Is(err, errs.Conflict) || errs.Is(err, errs.Forbidden) || errs.Is(err, errs.Unprocessable) {
			res.Kind, res.Message = "unexpected", errs.MessageOf(err)
			return res, nil
		}
		return ScanResult{}, err
	}
	if ev.Type == tracking.HandoffDisputed {
		res.Kind, res.Message = "disputed", "Đã ghi sai lệch: bên giao vẫn chịu trách nhiệm, sự cố đã được mở"
	} else {
		res.Kind, res.Message = "ok", "Đã nhận: "+p.Number
		if me.Kind == tracking.PartyOffice && p.Leg == string(tracking.LegReturn) {
			// The result reached the office that delivers it: EMG.
			if _, _, err := h.Ledger.RecordByNumber(ctx, p.Number, EventInput{Type: tracking.DeliveryArrivedOffice, Actor: me, Data: []byte("{}")}); err != nil {
				return ScanResult{}, err
			}
		}
	}
	return res, nil
}

// ReportMissing disputes every release still waiting from a giver (or of a
// manifest) as a missing parcel: they were not in the bag.
func (h *Hops) ReportMissing(ctx context.Context, u User, giver, manifest string) (int, error) {
	me, err := counterParty(u)
	if err != nil {
		return 0, err
	}
	pend, err := h.Store.PendingFor(ctx, me)
	if err != nil {
		return 0, err
	}
	var items []Item
	for _, p := range pend {
		if (giver != "" && p.Handoff.Giver.String() != giver) || (manifest != "" && p.Manifest != manifest) {
			continue
		}
		b, _ := json.Marshal(tracking.Confirmed{Handoff: p.Handoff.ID, Problem: "missing_parcel", Note: "Không có trong chuyến khi nhận"})
		items = append(items, Item{Number: p.Parcel.Number, In: EventInput{Type: tracking.HandoffDisputed, Actor: me, Data: b}})
	}
	if len(items) == 0 {
		return 0, nil
	}
	res, err := h.Ledger.RecordBatch(ctx, items)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range res {
		if r.Err == nil && !r.Duplicate {
			n++
		}
	}
	return n, nil
}

// Release hands parcels the user's office or desk holds to one receiver as a
// manifest. It returns the manifest code and one result per parcel.
func (h *Hops) Release(ctx context.Context, u User, to tracking.Party, numbers []string) (string, []Result, error) {
	me, err := counterParty(u)
	if err != nil {
		return "", nil, err
	}
	if len(numbers) == 0 {
		return "", nil, errs.E(errs.Invalid, "Chọn ít nhất một bưu gửi")
	}
	if to.Kind == tracking.PartyCourier {
		cu, err := h.Store.FindUserByStaffCode(ctx, to.Ref)
		if err != nil || cu.Role != RoleCourier {
			return "", nil, errs.E(errs.Invalid, "Không có bưu tá mã %s", to.Ref).WithFields(map[string]string{"courier": "không có bưu tá này"})
		}
	}
	seq, err := h.Store.NextManifestSeq(ctx)
	if err != nil {
		return "", nil, err
	}
	now := h.Now()
	code := fmt.Sprintf("BK%s%06d", now.In(vn).Format("060102"), seq%1_000_000)
	m := Manifest{ID: h.NewID(), Code: code, Giver: me, Receiver: to, CreatedAt: now, CreatedBy: u.ID}
	if err := h.Store.CreateManifest(ctx, m); err != nil {
		return "", nil, err
	}
	var items []Item
	for _, n := range numbers {
		b, _ := json.Marshal(tracking.Released{To: to.String(), Manifest: code})
		items = append(items, Item{Number: n, In: EventInput{Type: tracking.HandoffReleased, Actor: me, Data: b}})
	}
	res, err := h.Ledger.RecordBatch(ctx, items)
	return code, res, err
}

// DeskDecision is the desk's verdict on a dossier it holds.
type DeskDecision struct {
	Accept          bool
	Reason          string
	MissingLines    []int
	Note            string
	AppointmentDate string
}

// Decide records the desk's acceptance or return as incomplete.
func (h *Hops) Decide(ctx context.Context, u User, number string, d DeskDecision) error {
	if u.Role != RoleDesk {
		return errs.E(errs.Forbidden, "chỉ bộ phận một cửa tiếp nhận hồ sơ")
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
	ps, err := h.Intake.Store.FindParcels(ctx, ParcelFilter{DossierCode: vntext.NFC(in.DossierCode), PortalClient: in.PortalClient, Leg: string(tracking.LegPickup), Limit: 20})
	if err != nil {
		return Parcel{}, err
	}
	var pickup *Parcel
	for i := range ps {
		if ps[i].Status == string(tracking.StatusAccepted) || pickup == nil {
			pickup = &ps[i]
		}
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
	p := Parcel{ID: h.NewID(), Leg: string(tracking.LegReturn), Status: string(tracking.StatusReady), DeskCode: deskCode,
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
		p.Status, p.EventCount, p.LastHash = string(tracking.StatusReady), ev.Seq, ev.Hash
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
