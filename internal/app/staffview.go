package app

import (
	"context"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"hoso/internal/errs"
	"hoso/internal/vntext"
	"hoso/tracking"
)

// StaffParcelStore is what the staff parcel view reads.
type StaffParcelStore interface {
	FindParcelByNumber(ctx context.Context, number string) (Parcel, error)
	FindParcels(ctx context.Context, f ParcelFilter) ([]Parcel, error)
	FindEvents(ctx context.Context, parcelID string) ([]tracking.Event, error)
	FindOutbox(ctx context.Context, f OutboxFilter) ([]OutboxEntry, error)
	FindParcelAlarms(ctx context.Context, parcelID string) ([]Alarm, error)
	FindParcelIncidents(ctx context.Context, parcelID string) ([]Incident, error)
	FindParcelManifests(ctx context.Context, parcelID string) ([]ParcelManifest, error)
	InsertAudit(ctx context.Context, userID int64, action, subject, reason string, at time.Time) error
}

// Revealed is a parcel's contact data shown after a reason.
type Revealed struct {
	Phone, Name, Address string
}

// AuditRevealContact is written, beside reveal_phone, when the full name
// and the address are shown with the phone.
const AuditRevealContact = "reveal_contact"

// ParcelManifest is a manifest a parcel travelled on, with how its
// hand-off on that manifest ended.
type ParcelManifest struct {
	Code            string
	Giver, Receiver tracking.Party
	HandoffStatus   string // pending | confirmed | disputed
	CreatedAt       time.Time
	ClosedAt        *time.Time
}

// StaffParcels is the staff view of parcels: a dispatcher answering a
// citizen on the phone finds the parcel by its tracking number, the
// dossier code, the citizen's phone (looked up by its keyed hash, never
// stored in clear) or the last three digits of the CCCD, then sees its
// whole record: custody chain with each party and proof, documents, seal,
// receipt, plan and attempts, the callbacks and messages sent. Personal
// data stays masked until revealed with a reason (Intake.RevealPhone,
// audited). Every answer is scoped like the papers: admins everything,
// dispatchers their province, an office its parcels and those it holds, a
// desk those addressed to it or it holds.
type StaffParcels struct {
	Store  StaffParcelStore
	Intake *Intake
	Now    func() time.Time
}

// ParcelRecord is one parcel as a supervisor sees it.
type ParcelRecord struct {
	Parcel Parcel
	Events []tracking.Event
	Sent   []OutboxEntry // callbacks and messages, newest first
	// Alarms, open first; Incidents of every kind (disputes, complaints,
	// quiet-parcel cases) with their answers and case; the Manifests it
	// was on.
	Alarms    []Alarm
	Incidents []Incident
	Manifests []ParcelManifest
}

var lastDigits = regexp.MustCompile(`^[0-9]{3}$`)

func mayViewParcels(u User) error {
	switch u.Role {
	case RoleAdmin, RoleDispatcher, RoleOffice, RoleDesk:
		return nil
	}
	return errs.E(errs.Forbidden, "Tài khoản %s không tra cứu bưu gửi ở đây", u.Role.Label())
}

// Search finds parcels by what the caller typed: a tracking number, a
// phone number, three CCCD digits, else a dossier code. Only parcels in the
// caller's scope are returned (at most 50).
func (s *StaffParcels) Search(ctx context.Context, u User, q string) ([]Parcel, error) {
	if err := mayViewParcels(u); err != nil {
		return nil, err
	}
	q = strings.TrimSpace(vntext.NFC(strings.ToValidUTF8(q, "")))
	if q == "" {
		return nil, nil
	}
	if utf8.RuneCountInString(q) > 80 {
		return nil, errs.E(errs.Invalid, "Nội dung tìm dài quá 80 ký tự").WithFields(map[string]string{"q": "Tối đa 80 ký tự"})
	}
	var found []Parcel
	if n := strings.ToUpper(strings.ReplaceAll(q, " ", "")); validNumber(n) {
		p, err := s.Store.FindParcelByNumber(ctx, n)
		switch {
		case err == nil:
			found = []Parcel{p}
		case !errs.Is(err, errs.NotFound):
			return nil, err
		}
	} else {
		f := ParcelFilter{Limit: 200}
		if phone, ok := vntext.NormalizePhone(q); ok {
			f.PhoneHash = s.Intake.PhoneHash(phone)
		} else if lastDigits.MatchString(q) {
			f.IDLast3 = q
		} else {
			f.DossierCode = q
		}
		var err error
		if found, err = s.Store.FindParcels(ctx, f); err != nil {
			return nil, err
		}
	}
	out := make([]Parcel, 0, len(found))
	for _, p := range found {
		if parcelInScope(u, p, "", "") && len(out) < 50 {
			out = append(out, p)
		}
	}
	return out, nil
}

// Record is a parcel's whole record; a parcel outside the caller's scope
// is not found.
func (s *StaffParcels) Record(ctx context.Context, u User, number string) (ParcelRecord, error) {
	if err := mayViewParcels(u); err != nil {
		return ParcelRecord{}, err
	}
	p, err := s.Store.FindParcelByNumber(ctx, strings.ToUpper(strings.TrimSpace(number)))
	if errs.Is(err, errs.NotFound) || (err == nil && !parcelInScope(u, p, "", "")) {
		return ParcelRecord{}, errs.E(errs.NotFound, "Không có bưu gửi này trong phạm vi của bạn")
	}
	if err != nil {
		return ParcelRecord{}, err
	}
	r := ParcelRecord{Parcel: p}
	if r.Events, err = s.Store.FindEvents(ctx, p.ID); err != nil {
		return ParcelRecord{}, err
	}
	if r.Sent, err = s.Store.FindOutbox(ctx, OutboxFilter{State: OutboxAll, Parcel: p.ID, Limit: 200}); err != nil {
		return ParcelRecord{}, err
	}
	if r.Alarms, err = s.Store.FindParcelAlarms(ctx, p.ID); err != nil {
		return ParcelRecord{}, err
	}
	if r.Incidents, err = s.Store.FindParcelIncidents(ctx, p.ID); err != nil {
		return ParcelRecord{}, err
	}
	if r.Manifests, err = s.Store.FindParcelManifests(ctx, p.ID); err != nil {
		return ParcelRecord{}, err
	}
	return r, nil
}

// RevealPhone opens the parcel's phone for a caller in scope, with a
// reason (at least 5 characters), audited.
func (s *StaffParcels) RevealPhone(ctx context.Context, u User, number, reason string) (string, error) {
	r, err := s.Record(ctx, u, number)
	if err != nil {
		return "", err
	}
	reason = strings.TrimSpace(vntext.NFC(strings.ToValidUTF8(reason, "")))
	if utf8.RuneCountInString(reason) < 5 || utf8.RuneCountInString(reason) > 300 {
		return "", errs.E(errs.Invalid, "Ghi lý do xem số điện thoại (5–300 ký tự)").WithFields(map[string]string{"reason": "Ghi lý do, 5–300 ký tự"})
	}
	return s.Intake.RevealPhone(ctx, u, r.Parcel, reason)
}

// RevealContact opens the phone (RevealPhone, audited reveal_phone) and
// shows the citizen's full name and address, audited too with the same
// reason.
func (s *StaffParcels) RevealContact(ctx context.Context, u User, number, reason string) (Revealed, error) {
	phone, err := s.RevealPhone(ctx, u, number, reason)
	if err != nil {
		return Revealed{}, err
	}
	r, err := s.Record(ctx, u, number)
	if err != nil {
		return Revealed{}, err
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	reason = strings.TrimSpace(vntext.NFC(strings.ToValidUTF8(reason, "")))
	if err := s.Store.InsertAudit(ctx, u.ID, AuditRevealContact, r.Parcel.Number, reason, now()); err != nil {
		return Revealed{}, err
	}
	return Revealed{Phone: phone, Name: r.Parcel.CitizenName, Address: r.Parcel.AddressLine}, nil
}

func validNumber(s string) bool {
	_, err := tracking.ParseNumber(s)
	return err == nil
}
