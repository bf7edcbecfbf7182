package app

import (
	"context"
	"fmt"
	"time"

	"hoso/internal/errs"
	"hoso/internal/secret"
	"hoso/internal/units"
	"hoso/internal/vntext"
	"hoso/tracking"
)

// IntakeStore is what intake needs from persistence.
type IntakeStore interface {
	FindDesk(ctx context.Context, code string) (Desk, error)
	FindDesks(ctx context.Context, province string) ([]Desk, error)
	NextSerial(ctx context.Context, letters string) (uint32, error)
	UpsertDossier(ctx context.Context, portalClient string, d tracking.Dossier, demo bool, now time.Time) (id string, err error)
	ActivePickup(ctx context.Context, dossierID string) (string, bool, error)
	InsertParcel(ctx context.Context, p Parcel, phoneHash, idHash []byte) error
	FindParcel(ctx context.Context, id string) (Parcel, error)
	FindParcelByNumber(ctx context.Context, number string) (Parcel, error)
	FindParcels(ctx context.Context, f ParcelFilter) ([]Parcel, error)
	FindEvents(ctx context.Context, parcelID string) ([]tracking.Event, error)
	LastDossierDocuments(ctx context.Context, code string, f PrefillFilter) (tracking.Dossier, []tracking.Document, bool, error)
	CountWindowBookings(ctx context.Context, commune string, from, to time.Time) (map[time.Time]int, error)
	InsertAudit(ctx context.Context, userID int64, action, subject, reason string, at time.Time) error
	ParcelHashes(ctx context.Context, id string) (phone, cccd []byte, err error)
}

// PrefillFilter limits what a request form may pre-fill from an earlier
// request of the same dossier code: one made with the same phone (the
// citizen proved it by a one-time code), or for the clerk's desk or
// province. Every filter must be set by the caller; a zero filter would
// match any dossier.
type PrefillFilter struct {
	PhoneHash    []byte
	DeskCode     string
	ProvinceCode string
}

// S10Config is the service letters per leg.
type S10Config struct {
	Pickup, Return, Country string
}

// Intake takes pickup requests from the portal, citizens and clerks.
type Intake struct {
	Store        IntakeStore
	Tx           Tx
	Ledger       *Ledger
	Units        *units.Set
	Box          *secret.Box
	Hasher       *secret.Hasher
	S10          S10Config
	Hours        tracking.ServiceHours
	Now          func() time.Time
	NewID        func() string
	SlotCapacity int // requests per commune per window before the slot is full
	// RiskShare is the share of the time to the legal deadline the postal
	// legs may use before the dossier is at risk (default 0.5).
	RiskShare float64
	Demo      bool

	// Calendar counts that share in the desk's working days; nil: wall-clock
	// time.
	Calendar *WorkCalendar

	// Zoner, when set, places the address in a post office's zone. An
	// address outside every zone keeps no office and waits in the
	// dispatcher's queue (the alarm sweep raises it).
	Zoner Zoner
	// Timelines, when set, reads a public timeline in one query.
	Timelines PublicTimelineStore
	// Reports, when set, finds the portal client a citizen's or clerk's
	// request is reported to.
	Reports ReportStore
}

// ReportStore finds the portal client registered for a province that
// hears of requests made without the portal (a citizen's, a clerk's).
type ReportStore interface {
	ReportClient(ctx context.Context, province string) (string, bool, error)
}

// Zoner finds the post office whose zone holds a point.
type Zoner interface {
	OfficeFor(ctx context.Context, lat, lng float64) (office string, cell int64, ok bool, err error)
}

// Purposes of keyed hashes and sealed values; each keeps its data apart.
const (
	PurposePhone = "phone"
	PurposeCCCD  = "cccd"
	SealPhone    = "parcels.phone"
)

// PhoneHash is the lookup hash of a normalised phone.
func (s *Intake) PhoneHash(phone string) []byte { return s.Hasher.Sum(PurposePhone, phone) }

// Create validates and stores a pickup request and records pickup.requested,
// all or nothing. Nothing is written when any rule fails.
func (s *Intake) Create(ctx context.Context, req tracking.PickupRequest) (p Parcel, err error) {
	defer errs.Wrap(&err, "Intake.Create")
	req.Normalize()
	now := s.Now()
	if err := req.Validate(now, s.Hours); err != nil {
		return Parcel{}, err
	}
	desk, err := s.Store.FindDesk(ctx, req.Dossier.DeskCode)
	deskErr := ""
	switch {
	case errs.Is(err, errs.NotFound):
		deskErr = "không có nơi tiếp nhận mã " + req.Dossier.DeskCode
	case err != nil:
		return Parcel{}, err
	case !desk.Active:
		deskErr = "nơi tiếp nhận " + req.Dossier.DeskCode + " đã ngừng nhận hồ sơ"
	}
	p, phoneHash, idHash, err := s.contactWith(ctx, req, deskErr)
	if err != nil {
		return Parcel{}, err
	}
	p.ID, p.Leg, p.Status = s.NewID(), tracking.LegPickup, tracking.StatusRequested
	p.Channel, p.PortalClient, p.CreatedBy, p.Dossier = req.Channel, req.PortalClient, req.CreatedBy, req.Dossier
	p.DeskCode, p.Documents, p.Windows, p.Demo = desk.Code, req.Documents, req.Windows, s.Demo
	p.CreatedAt, p.UpdatedAt, p.ReceiptCode = now, now, NewReceiptCode()
	if req.Channel != tracking.ChannelPortal && s.Reports != nil && desk.ProvinceCode != "" {
		if client, ok, err := s.Reports.ReportClient(ctx, desk.ProvinceCode); err != nil {
			return Parcel{}, err
		} else if ok {
			p.ReportClient = client
		}
	}
	if len(req.Windows) > 0 {
		ws, we := req.Windows[0].Start, req.Windows[0].End
		for _, w := range req.Windows[1:] {
			if w.Start.Before(ws) {
				ws = w.Start
			}
			if w.End.After(we) {
				we = w.End
			}
		}
		p.WindowStart, p.WindowEnd = &ws, &we
	}
	if req.Channel == tracking.ChannelCounter {
		// The papers are handed over at this office's counter, whatever
		// office the home address belongs to.
		p.OfficeCode = req.OfficeCode
	}
	if d := req.Dossier.LegalDeadline; d != nil && d.After(now) {
		share := s.RiskShare
		if share <= 0 || share >= 1 {
			share = 0.5
		}
		r := now.Add(time.Duration(float64(d.Sub(now)) * share))
		if s.Calendar != nil { // working days, with the desk's calendar
			if r, err = s.Calendar.RiskAt(ctx, desk.Code, now, *d, share); err != nil {
				return Parcel{}, err
			}
		}
		p.RiskAt = &r
	}
	actor := tracking.Party{Kind: tracking.PartyCitizen}
	switch req.Channel {
	case tracking.ChannelPortal:
		actor = tracking.Party{Kind: tracking.PartyPortal, Ref: req.PortalClient}
	case tracking.ChannelClerk:
		actor = tracking.Party{Kind: tracking.PartyDesk, Ref: desk.Code}
	case tracking.ChannelCounter:
		actor = tracking.Party{Kind: tracking.PartyOffice, Ref: req.OfficeCode}
	}
	err = s.Tx.InTx(ctx, func(ctx context.Context) error {
		dossierID, err := s.Store.UpsertDossier(ctx, req.PortalClient, req.Dossier, s.Demo, now)
		if err != nil {
			return err
		}
		if active, ok, err := s.Store.ActivePickup(ctx, dossierID); err != nil {
			return err
		} else if ok {
			return errs.E(errs.Conflict, "hồ sơ %s đã có yêu cầu thu gom %s đang xử lý", req.Dossier.Code, active).
				WithFields(map[string]string{"dossier.code": "đã có yêu cầu thu gom " + active})
		}
		p.DossierID = dossierID
		serial, err := s.Store.NextSerial(ctx, s.S10.Pickup)
		if err != nil {
			return err
		}
		n, err := tracking.NewNumber(s.S10.Pickup, serial, s.S10.Country)
		if err != nil {
			return errs.Wrapf(errs.Internal, err, "cấp số hiệu")
		}
		p.Number = n.String()
		if err := s.Store.InsertParcel(ctx, p, phoneHash, idHash); err != nil {
			return err
		}
		data, err := tracking.MarshalData(map[string]any{
			"channel": req.Channel, "documents": len(req.Documents), "windows": len(req.Windows),
			"location_approx": p.LocationApprox,
		})
		if err != nil {
			return err
		}
		ev, err := s.Ledger.first(ctx, p, EventInput{Type: tracking.PickupRequested, Actor: actor, Data: data})
		if err != nil {
			return err
		}
		p.Status, p.StatusSince, p.EventCount, p.LastHash = tracking.StatusRequested, ev.ServerAt, ev.Seq, ev.Hash
		p.Custodian = tracking.Party{Kind: tracking.PartyCitizen}
		return nil
	})
	if err != nil {
		return Parcel{}, err
	}
	return p, nil
}

// Cancel cancels a pickup that has not been collected. Cancelling a cancelled
// pickup changes nothing and returns it.
func (s *Intake) Cancel(ctx context.Context, p Parcel, actor tracking.Party, reason string) (Parcel, error) {
	if p.Status == tracking.StatusCancelled {
		return p, nil
	}
	if p.Leg != tracking.LegPickup {
		return Parcel{}, errs.E(errs.Conflict, "chỉ hủy được yêu cầu thu gom")
	}
	data, err := tracking.MarshalData(tracking.Cancelled{Reason: vntext.NFC(reason)})
	if err != nil {
		return Parcel{}, err
	}
	_, _, err = s.Ledger.Record(ctx, p.ID, EventInput{Type: tracking.ParcelCancelled, Actor: actor, Data: data})
	if errs.Is(err, errs.Conflict) {
		cur, ferr := s.Store.FindParcel(ctx, p.ID)
		if ferr == nil && cur.Status == tracking.StatusCancelled {
			return cur, nil
		}
		return Parcel{}, errs.E(errs.Conflict, "bưu gửi %s đã được thu gom, không thể hủy", p.Number)
	}
	if err != nil {
		return Parcel{}, err
	}
	return s.Store.FindParcel(ctx, p.ID)
}

// RevealPhone opens a parcel's phone for a staff user, writing the reveal to
// the audit log first.
func (s *Intake) RevealPhone(ctx context.Context, user User, p Parcel, reason string) (string, error) {
	if len(p.PhoneEnc) == 0 {
		// Erased by the retention job a year after the journey ended.
		return "", errs.E(errs.NotFound, "Số điện thoại của bưu gửi %s đã được xóa khi hết thời hạn lưu trữ", p.Number)
	}
	if err := s.Store.InsertAudit(ctx, user.ID, "reveal_phone", p.Number, reason, s.Now()); err != nil {
		return "", err
	}
	b, err := s.Box.Open(p.PhoneEnc, []byte(SealPhone))
	if err != nil {
		return "", errs.Wrapf(errs.Internal, err, "mở số điện thoại")
	}
	return string(b), nil
}

// Slot is a visit window a citizen may choose.
type Slot struct {
	Window tracking.Window
	Booked int
	Free   bool
}

// DefaultSlots are the windows offered each service day, as offsets from
// local midnight.
var DefaultSlots = [][2]time.Duration{
	{7*time.Hour + 30*time.Minute, 9*time.Hour + 30*time.Minute},
	{9*time.Hour + 30*time.Minute, 11*time.Hour + 30*time.Minute},
	{13*time.Hour + 30*time.Minute, 15*time.Hour + 30*time.Minute},
	{15*time.Hour + 30*time.Minute, 17*time.Hour + 30*time.Minute},
}

// Slots lists the windows of the next days days for a commune with how many
// requests already chose each; a slot is free while under SlotCapacity and
// starts at least two hours from now.
func (s *Intake) Slots(ctx context.Context, commune string, days int) ([]Slot, error) {
	zone := s.Hours.Zone
	if zone == nil {
		zone = time.UTC
	}
	now := s.Now().In(zone)
	start := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, zone)
	var out []Slot
	for d := 0; len(out) < days*len(DefaultSlots) && d < days+7; d++ {
		day := start.AddDate(0, 0, d)
		if !s.Hours.Days[day.Weekday()] {
			continue
		}
		for _, sl := range DefaultSlots {
			w := tracking.Window{Start: day.Add(sl[0]), End: day.Add(sl[1])}
			if w.Start.Before(day.Add(s.Hours.Start)) || w.End.After(day.Add(s.Hours.End)) {
				continue
			}
			out = append(out, Slot{Window: w})
		}
	}
	if len(out) == 0 {
		return nil, nil
	}
	booked, err := s.Store.CountWindowBookings(ctx, commune, out[0].Window.Start, out[len(out)-1].Window.End)
	if err != nil {
		return nil, err
	}
	capacity := s.SlotCapacity
	if capacity <= 0 {
		capacity = 20
	}
	for i := range out {
		out[i].Booked = booked[out[i].Window.Start.UTC()]
		out[i].Free = out[i].Booked < capacity && out[i].Window.Start.Sub(now) >= 2*time.Hour
	}
	return out, nil
}

// receiptAlphabet is Crockford's base32 without I, L, O and U: easy to read
// out and type from paper.
const receiptAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewReceiptCode makes the short code printed on the citizen's receipt, in
// two groups of five (about 50 bits).
func NewReceiptCode() string {
	c := secret.Code(10, receiptAlphabet)
	return c[:5] + "-" + c[5:]
}

// contact checks a request's citizen and address against the units, places
// the address (the commune's point when none is given, flagged approximate;
// the office of its zone), seals the phone and hashes the CCCD.
func (s *Intake) contact(ctx context.Context, req tracking.PickupRequest) (Parcel, []byte, []byte, error) {
	if err := tracking.ValidateContact(req.Citizen, req.Address); err != nil {
		return Parcel{}, nil, nil, err
	}
	return s.contactWith(ctx, req, "")
}

func (s *Intake) contactWith(ctx context.Context, req tracking.PickupRequest, deskErr string) (Parcel, []byte, []byte, error) {
	f := errs.Fields{}
	if deskErr != "" {
		f.Add("dossier.desk_code", deskErr)
	}
	prov, okProv := s.Units.Province(req.Address.ProvinceCode)
	if !okProv {
		f.Add("address.province_code", "không có tỉnh/thành phố mã "+req.Address.ProvinceCode)
	}
	com, okCom := s.Units.Commune(req.Address.CommuneCode)
	switch {
	case !okCom:
		f.Add("address.commune_code", "không có xã/phường mã "+req.Address.CommuneCode)
	case okProv && com.ProvinceCode != prov.Code:
		f.Add("address.commune_code", fmt.Sprintf("%s không thuộc %s", com.FullName, prov.FullName))
	}
	if err := f.Err(errs.Unprocessable, "Yêu cầu thu gom chưa hợp lệ"); err != nil {
		return Parcel{}, nil, nil, err
	}
	p := Parcel{CitizenName: req.Citizen.FullName,
		PhoneEnc:     s.Box.Seal([]byte(req.Citizen.Phone), []byte(SealPhone)),
		PhoneLast3:   req.Citizen.Phone[len(req.Citizen.Phone)-3:],
		ProvinceCode: req.Address.ProvinceCode, CommuneCode: req.Address.CommuneCode, AddressLine: req.Address.Line}
	if req.Address.Lat != nil {
		p.Lat, p.Lng = *req.Address.Lat, *req.Address.Lng
	} else {
		p.Lat, p.Lng, p.LocationApprox = com.Lat, com.Lng, true
	}
	if s.Zoner != nil {
		office, cell, ok, err := s.Zoner.OfficeFor(ctx, p.Lat, p.Lng)
		if err != nil {
			return Parcel{}, nil, nil, err
		}
		p.Cell = cell
		if ok {
			p.OfficeCode = office
		}
	}
	var idHash []byte
	if req.Citizen.IDNumber != "" {
		idHash = s.Hasher.Sum(PurposeCCCD, req.Citizen.IDNumber)
		p.IDLast3 = req.Citizen.IDNumber[9:]
	}
	return p, s.PhoneHash(req.Citizen.Phone), idHash, nil
}
