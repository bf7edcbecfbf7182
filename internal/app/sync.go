package app

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"hoso/internal/errs"
	"hoso/tracking"
)

// MaxBatch is the largest courier event batch.
const MaxBatch = 500

// Limits on a device's clock.
const (
	// MaxAhead is how far ahead of the server's clock a device's time may
	// be: beyond, the phone's clock is wrong and the event is refused.
	MaxAhead = 3 * time.Hour
	// MaxAge is how old an event may be when it first reaches the server.
	MaxAge = 30 * 24 * time.Hour
)

// DeviceEvent is one event as the courier app sends it. Secret is a door
// code, a CCCD QR text or typed CCCD digits: it travels beside the signed
// fields (the signed data carries only its commitment) and is never kept.
type DeviceEvent struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	TrackingNumber string          `json:"tracking_number"`
	At             string          `json:"at"`
	Lat            *float64        `json:"lat"`
	Lng            *float64        `json:"lng"`
	Data           json.RawMessage `json:"data"`
	Signature      string          `json:"signature,omitempty"`
	Secret         string          `json:"secret,omitempty"`
}

// SyncResult is the verdict on one event, in the contract's shape.
// RecordedAs says when an accepted event was recorded as something else
// than sent: "dispute" for a confirmation that found a difference.
type SyncResult struct {
	ID         string     `json:"id"`
	Status     string     `json:"status"` // accepted | duplicate | rejected
	RecordedAs string     `json:"recorded_as,omitempty"`
	Error      *SyncError `json:"error,omitempty"`
}

// SyncError explains a rejection.
type SyncError struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
}

// roleEvents are the event types each staff role may send through the sync
// API.
var roleEvents = map[Role]map[tracking.EventType]bool{
	RoleCourier: {
		tracking.PickupAttemptFailed: true, tracking.PickupCollected: true,
		tracking.HandoffReleased: true, tracking.HandoffConfirmed: true, tracking.HandoffDisputed: true,
		tracking.DeliveryOut: true, tracking.DeliveryAttemptFailed: true, tracking.DeliveryCompleted: true,
	},
	RoleOffice: {
		tracking.HandoffReleased: true, tracking.HandoffConfirmed: true, tracking.HandoffDisputed: true,
		tracking.DeliveryArrivedOffice: true, tracking.DeliveryHeld: true,
	},
	RoleDesk: {
		tracking.HandoffReleased: true, tracking.HandoffConfirmed: true, tracking.HandoffDisputed: true,
		tracking.DeskAccepted: true, tracking.DeskReturnedIncomplete: true,
	},
}

// Rejection is a submission the server refused, kept for the dispatcher.
// ID is the event's id, or a server-made one when the id sent is not a
// UUID or names another sender's event (ClientID keeps what was sent).
type Rejection struct {
	ID           string
	ClientID     string
	User         User
	DeviceID     string
	Type, Number string
	Raw          []byte // the event as sent, secrets redacted, valid JSON
	Signature    []byte
	Code         string // the API's error code, or "evidence_pending"
	Message      string
	At           time.Time
}

// SyncStore keeps rejected submissions.
type SyncStore interface {
	RejectDeviceEvent(ctx context.Context, r Rejection) error
}

// Incoming is one event of a batch as the server received it, decoded
// once.
type Incoming struct {
	Event  DeviceEvent
	Fields map[string]json.RawMessage // the top-level fields as sent
	Raw    []byte
	ID     string // the event id, lower case
	Type   tracking.EventType
	Number string
	At     time.Time
	// Data is what the ledger records: the data as sent, with the server's
	// verdict on its proof.
	Data []byte
	Sig  *tracking.DeviceSig // the device's verified signature
	Code *CodeUse            // a door code consumed with the event
	// EvidencePending: rejected because the image it names is not stored.
	EvidencePending bool
	Err             error
	// Duplicate: already in the ledger, sent by the same party for the
	// same parcel; answered without checking again.
	Duplicate bool

	signed, sigBytes []byte
}

func (in *Incoming) reject(err error) {
	if in.Err == nil {
		in.Err = err
	}
}

// Sync takes batches of events recorded on couriers' devices (possibly
// days late and possibly twice) and, through the same door, from the office
// and desk pages. Events apply in the order the server receives them; the
// device's time is kept beside the server's.
type Sync struct {
	Ledger *Ledger
	Store  SyncStore
	Now    func() time.Time
	// Check checks a courier batch's device signatures and the proofs of
	// its collections and deliveries (Devices.Check); nil refuses every
	// courier event (the server never records a courier event it did not
	// check).
	Check func(ctx context.Context, u User, device string, batch []*Incoming) error
}

func syncErr(err error) *SyncError {
	k := errs.KindOf(err)
	code := string(k)
	if k == errs.Unprocessable {
		code = string(errs.Invalid)
	}
	msg := errs.MessageOf(err)
	if msg == "" {
		msg = "lỗi hệ thống"
	}
	return &SyncError{Code: code, Message: msg, Fields: errs.FieldsOf(err)}
}

// eventFields are the top-level fields of an event.
var eventFields = map[string]bool{"id": true, "type": true, "tracking_number": true, "at": true, "lat": true, "lng": true,
	"data": true, "signature": true, "secret": true}

// clientID is the id an event was sent with, as text that can be shown
// and stored (an invalid UTF-8 id is shown with replacement characters).
func clientID(raw []byte) string {
	var loose struct {
		ID json.RawMessage `json:"id"`
	}
	if json.Unmarshal(raw, &loose) != nil {
		return ""
	}
	var s string
	if json.Unmarshal(loose.ID, &s) != nil {
		s = string(loose.ID)
	}
	s = strings.ToValidUTF8(s, "\uFFFD")
	if utf8.RuneCountInString(s) > 200 {
		s = string([]rune(s)[:200])
	}
	return s
}

// decodeEvent reads one event of a batch: a JSON object of the known
// fields, valid UTF-8 throughout.
func decodeEvent(raw []byte) (*Incoming, error) {
	in := &Incoming{Raw: raw}
	if !utf8.Valid(raw) {
		in.Event.ID = clientID(raw)
		return in, errs.E(errs.Invalid, "Sự kiện có chuỗi không phải UTF-8 hợp lệ").WithFields(map[string]string{"event": "UTF-8 không hợp lệ"})
	}
	if err := json.Unmarshal(raw, &in.Fields); err != nil || in.Fields == nil {
		in.Event.ID = clientID(raw)
		return in, errs.E(errs.Invalid, "Sự kiện không phải một đối tượng JSON")
	}
	f := errs.Fields{}
	str := func(k string, dst *string) {
		v, ok := in.Fields[k]
		if !ok {
			return
		}
		if json.Unmarshal(v, dst) != nil {
			f.Add(k, "phải là chuỗi")
		}
	}
	num := func(k string, dst **float64) {
		v, ok := in.Fields[k]
		if !ok || string(bytes.TrimSpace(v)) == "null" {
			return
		}
		var x float64
		if json.Unmarshal(v, &x) != nil {
			f.Add(k, "phải là số")
			return
		}
		*dst = &x
	}
	e := &in.Event
	str("id", &e.ID)
	str("type", &e.Type)
	str("tracking_number", &e.TrackingNumber)
	str("at", &e.At)
	str("signature", &e.Signature)
	str("secret", &e.Secret)
	num("lat", &e.Lat)
	num("lng", &e.Lng)
	e.Data = in.Fields["data"]
	for k := range in.Fields {
		if !eventFields[k] {
			f.Add(k, "trường không có trong hợp đồng API")
		}
	}
	if e.ID == "" {
		e.ID = clientID(raw)
	}
	return in, f.Err(errs.Invalid, "Sự kiện không hợp lệ")
}

// validate checks an event's own fields against the server's clock.
func (s *Sync) validate(u User, in *Incoming, now time.Time) error {
	e := in.Event
	f := errs.Fields{}
	id, err := uuid.Parse(e.ID)
	if err != nil || len(e.ID) != 36 {
		f.Add("id", "phải là UUID")
	} else {
		in.ID = id.String()
	}
	t, err := tracking.ParseEventType(e.Type)
	if err != nil {
		f.Add("type", "loại sự kiện không có trong danh mục")
	} else if !roleEvents[u.Role][t] {
		f.Add("type", u.Role.Label()+" không ghi được loại sự kiện này")
	}
	in.Type = t
	if _, err := tracking.ParseNumber(e.TrackingNumber); err != nil {
		f.Add("tracking_number", "số hiệu S10 không hợp lệ")
	}
	in.Number = e.TrackingNumber
	at, err := time.Parse(time.RFC3339, e.At)
	switch {
	case err != nil:
		f.Add("at", "thời điểm RFC 3339 có múi giờ")
	case at.After(now.Add(MaxAhead)):
		f.Add("at", fmt.Sprintf("thời điểm trên thiết bị sớm hơn giờ máy chủ quá %d giờ: kiểm tra đồng hồ máy", int(MaxAhead.Hours())))
	case at.Before(now.Add(-MaxAge)):
		f.Add("at", "sự kiện cũ hơn 30 ngày: báo điều phối viên")
	}
	in.At = at
	if (e.Lat == nil) != (e.Lng == nil) {
		f.Add("lat", "cần cả vĩ độ và kinh độ")
	}
	if e.Lat != nil && (math.IsNaN(*e.Lat) || *e.Lat < -90 || *e.Lat > 90) {
		f.Add("lat", "vĩ độ từ -90 đến 90")
	}
	if e.Lng != nil && (math.IsNaN(*e.Lng) || *e.Lng < -180 || *e.Lng > 180) {
		f.Add("lng", "kinh độ từ -180 đến 180")
	}
	d := bytes.TrimSpace(e.Data)
	if len(d) > 0 && d[0] != '{' {
		f.Add("data", "phải là một đối tượng JSON")
	}
	if e.Signature != "" {
		if _, err := base64.StdEncoding.DecodeString(e.Signature); err != nil {
			f.Add("signature", "base64")
		}
	}
	if len(e.Secret) > 1000 {
		f.Add("secret", "dài quá 1000 ký tự")
	}
	in.Data = e.Data
	return f.Err(errs.Invalid, "Sự kiện không hợp lệ")
}

// Apply records a batch from a staff user (device is the courier app's
// device, "" for office and desk pages) and returns one result per event,
// in order. Every event is decoded once; a courier's are checked (device
// signature on all cores, then the proof) before any row lock; then the
// ledger records them in one transaction. Rejected events are kept, never
// dropped.
func (s *Sync) Apply(ctx context.Context, u User, device string, raws []json.RawMessage) ([]SyncResult, error) {
	now := s.Now()
	ins := make([]*Incoming, len(raws))
	var ok []*Incoming
	for i, raw := range raws {
		in, err := decodeEvent(raw)
		ins[i] = in
		if err == nil {
			err = s.validate(u, in, now)
		}
		if err != nil {
			in.reject(err)
			continue
		}
		ok = append(ok, in)
	}
	// Events already recorded (a phone resending what it sent before) are
	// duplicates at once: no signature or proof to check again, and a
	// resend without its secret or after a key change is still a
	// duplicate. Two copies in flight at once are sorted out by the
	// ledger under the parcel's lock.
	actor := u.Party()
	if len(ok) > 0 {
		ids := make([]string, len(ok))
		for i, in := range ok {
			ids[i] = in.ID
		}
		owners, err := s.Ledger.Store.ExistingEvents(ctx, ids)
		if err != nil {
			return nil, err
		}
		fresh := ok[:0]
		for _, in := range ok {
			if o, seen := owners[in.ID]; seen && o.Number == in.Number && o.Actor == actor {
				in.Duplicate = true
				continue
			}
			fresh = append(fresh, in)
		}
		ok = fresh
	}
	if u.Role == RoleCourier {
		if s.Check == nil || device == "" {
			for _, in := range ok {
				in.reject(errs.E(errs.Unauthorized, "sự kiện của bưu tá phải được thiết bị đã đăng ký ký"))
			}
		} else if err := s.Check(ctx, u, device, ok); err != nil {
			return nil, err
		}
	}
	results := make([]SyncResult, len(ins))
	var items []Item
	var idx []int
	for i, in := range ins {
		results[i].ID = in.Event.ID
		if in.Duplicate {
			results[i].Status = "duplicate"
			continue
		}
		if in.Err != nil {
			continue
		}
		at := in.At
		in := in
		rec := &DeviceRecord{UserID: u.ID, DeviceID: device, Raw: RedactRaw(in.Raw), Sig: in.Sig}
		if in.Sig != nil {
			rec.Signature = in.Sig.Signature
		}
		items = append(items, Item{Number: in.Number, In: EventInput{ID: in.ID, Type: in.Type, Actor: actor, DeviceAt: &at,
			Lat: in.Event.Lat, Lng: in.Event.Lng, Data: in.Data, Device: rec, UseCode: in.Code},
			Check: func(lp LockedParcel) error {
				if err := Scope(u, lp); err != nil {
					return err
				}
				if !lp.Parcel.CreatedAt.IsZero() && at.Before(lp.Parcel.CreatedAt.Add(-ClockSkew)) {
					return errs.E(errs.Invalid, "thời điểm trên thiết bị trước khi bưu gửi %s được tạo: kiểm tra đồng hồ máy", lp.Parcel.Number).
						WithFields(map[string]string{"at": "trước khi bưu gửi được tạo"})
				}
				return nil
			}})
		idx = append(idx, i)
	}
	foreign := map[int]bool{}
	if len(items) > 0 {
		res, err := s.Ledger.RecordBatch(ctx, items)
		if err != nil {
			return nil, err
		}
		for j, r := range res {
			i := idx[j]
			switch {
			case r.Duplicate:
				results[i] = SyncResult{ID: ins[i].Event.ID, Status: "duplicate"}
			case r.Err != nil:
				if k := errs.KindOf(r.Err); k == errs.Internal || k == errs.Unavailable {
					return nil, r.Err
				}
				ins[i].reject(r.Err)
				foreign[i] = r.Foreign
			default:
				results[i] = SyncResult{ID: ins[i].Event.ID, Status: "accepted"}
				if r.Event.Type == tracking.HandoffDisputed && ins[i].Type != tracking.HandoffDisputed {
					results[i].RecordedAs = "dispute"
				}
			}
		}
	}
	for i, in := range ins {
		if in.Err == nil {
			continue
		}
		results[i] = SyncResult{ID: in.Event.ID, Status: "rejected", Error: syncErr(in.Err)}
		s.keep(ctx, u, device, in, foreign[i], results[i].Error, now)
	}
	return results, nil
}

// redactedFields are what a device may send in an event's data that must
// not be kept in clear (older apps' door code and CCCD number); redacted
// top-level fields are the secret beside the signed fields.
var redactedFields = []string{"otp", "id_number"}

// RedactRaw returns the event as the device sent it, for keeping, with its
// "secret" and the values of redactedFields in its data replaced by
// "[redacted]". Input that is not a JSON object is returned unchanged.
func RedactRaw(raw []byte) []byte {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil || fields == nil {
		return raw
	}
	changed := false
	if _, ok := fields["secret"]; ok {
		fields["secret"] = json.RawMessage(`"[redacted]"`)
		changed = true
	}
	var data map[string]json.RawMessage
	if json.Unmarshal(fields["data"], &data) == nil && data != nil {
		dchanged := false
		for _, k := range redactedFields {
			if _, ok := data[k]; ok {
				data[k] = json.RawMessage(`"[redacted]"`)
				dchanged = true
			}
		}
		if dchanged {
			d, err := json.Marshal(data)
			if err != nil {
				return raw
			}
			fields["data"] = d
			changed = true
		}
	}
	if !changed {
		return raw
	}
	out, err := json.Marshal(fields)
	if err != nil {
		return raw
	}
	return out
}

// keptRaw is what is stored of a rejected submission: the event as sent,
// redacted, as valid JSON (invalid UTF-8 or JSON is kept as base64 inside
// an object).
func keptRaw(raw []byte) []byte {
	if utf8.Valid(raw) && json.Valid(raw) {
		var probe map[string]json.RawMessage
		if json.Unmarshal(raw, &probe) == nil && probe != nil {
			return RedactRaw(raw)
		}
	}
	b, _ := json.Marshal(map[string]string{"unreadable_base64": base64.StdEncoding.EncodeToString(raw)})
	return b
}

// keep stores a rejected event for the dispatcher. A failure to keep it is
// returned as the event's error so the device retries.
func (s *Sync) keep(ctx context.Context, u User, device string, in *Incoming, foreign bool, se *SyncError, now time.Time) {
	r := Rejection{User: u, DeviceID: device, Raw: keptRaw(in.Raw), Code: se.Code, Message: se.Message, At: now,
		Type: clip(strings.ToValidUTF8(in.Event.Type, "\uFFFD"), 100), Number: clip(strings.ToValidUTF8(in.Event.TrackingNumber, "\uFFFD"), 100)}
	if in.EvidencePending {
		r.Code = "evidence_pending"
	}
	if in.sigBytes != nil {
		r.Signature = in.sigBytes
	}
	if id, err := uuid.Parse(in.Event.ID); err == nil && len(in.Event.ID) == 36 && !foreign {
		r.ID = id.String()
	} else {
		r.ID = uuid.NewString()
		r.ClientID = clientID(in.Raw)
		if r.ClientID == "" {
			r.ClientID = clip(strings.ToValidUTF8(in.Event.ID, "\uFFFD"), 200)
		}
	}
	if err := s.Store.RejectDeviceEvent(ctx, r); err != nil {
		se.Code, se.Message = string(errs.Unavailable), "chưa lưu được sự kiện bị từ chối, gửi lại sau"
	}
}

// Scope decides whether a staff user may act on a parcel at all: everyone
// on parcels they hold and parcels released to them; couriers only on
// stops planned for them (or re-assigned to them by the dispatcher); desks
// on parcels addressed to them; offices on parcels of their zone.
func Scope(u User, lp LockedParcel) error {
	me := u.Party()
	switch {
	case lp.Parcel.Custodian == me:
	case lp.State.Pending != nil && lp.State.Pending.Receiver == me:
	case u.Role == RoleCourier && lp.Parcel.CourierRef != "" && lp.Parcel.CourierRef == u.StaffCode:
	case u.Role == RoleDesk && lp.Parcel.DeskCode == u.DeskCode:
	case u.Role == RoleOffice && lp.Parcel.OfficeCode == u.OfficeCode:
	default:
		if u.Role == RoleCourier {
			return errs.E(errs.Forbidden, "bưu gửi %s không thuộc tuyến của bạn: chỉ ghi cho điểm được phân cho bạn, bưu gửi bạn giữ hoặc được bàn giao cho bạn", lp.Parcel.Number)
		}
		return errs.E(errs.Forbidden, "bưu gửi %s không thuộc phạm vi của bạn", lp.Parcel.Number)
	}
	return nil
}

// RejectedEvent is a submission the server refused, kept for review.
type RejectedEvent struct {
	ID             string
	ClientID       string
	StaffCode      string
	OfficeCode     string
	DeviceID       string
	Type           string
	TrackingNumber string
	ErrorCode      string
	ErrorMessage   string
	Tries          int
	ReceivedAt     time.Time
}

// RejectedFilter selects kept rejections: of a province (every office and
// desk in it), an office, or all; a page of Limit after Offset, newest
// first.
type RejectedFilter struct {
	Province, Office string
	Limit, Offset    int
}
