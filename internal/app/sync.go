package app

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"

	"hoso/internal/errs"
	"hoso/tracking"
)

// MaxBatch is the largest courier event batch.
const MaxBatch = 500

// DeviceEvent is one event as the courier app sends it.
type DeviceEvent struct {
	ID             string          `json:"id"`
	Type           string          `json:"type"`
	TrackingNumber string          `json:"tracking_number"`
	At             string          `json:"at"`
	Lat            *float64        `json:"lat"`
	Lng            *float64        `json:"lng"`
	Data           json.RawMessage `json:"data"`
	Signature      string          `json:"signature,omitempty"`
}

// SyncResult is the verdict on one event, in the contract's shape.
type SyncResult struct {
	ID     string     `json:"id"`
	Status string     `json:"status"` // accepted | duplicate | rejected
	Error  *SyncError `json:"error,omitempty"`
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

// SyncStore keeps rejected submissions.
type SyncStore interface {
	RejectDeviceEvent(ctx context.Context, id string, userID int64, deviceID, typ, number string, raw, sig []byte, code, msg string, at time.Time) error
}

// Sync takes batches of events recorded on couriers' devices, possibly days
// late and possibly twice. Events apply in the order the server receives
// them; the device's time is kept beside the server's.
type Sync struct {
	Ledger *Ledger
	Store  SyncStore
	Now    func() time.Time
	// Verify, when set, returns the checker of one batch's events: it
	// checks each device signature and amends event data (for example a
	// one-time code checked against its hash). Called once per batch, so
	// what is the same for every event (the device's key) is loaded once.
	// Optional.
	Verify func(ctx context.Context, u User, device string) EventVerifier
}

// EventVerifier checks one event of a batch; see Sync.Verify.
type EventVerifier func(ctx context.Context, ev DeviceEvent, raw []byte) (data []byte, sig []byte, err error)

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

// Apply records a batch for a courier and returns one result per event, in
// order. Rejected events are kept, never dropped.
func (s *Sync) Apply(ctx context.Context, u User, device string, evs []DeviceEvent, raws []json.RawMessage) ([]SyncResult, error) {
	now := s.Now()
	results := make([]SyncResult, len(evs))
	type pending struct {
		i   int
		raw []byte
		sig []byte
	}
	var items []Item
	var idx []pending
	reject := func(i int, err error) {
		results[i] = SyncResult{ID: evs[i].ID, Status: "rejected", Error: syncErr(err)}
	}
	actor := u.Party()
	var verify EventVerifier
	if s.Verify != nil {
		verify = s.Verify(ctx, u, device)
	}
	for i, e := range evs {
		results[i].ID = e.ID
		stored := RedactRaw(raws[i])
		f := errs.Fields{}
		id, err := uuid.Parse(e.ID)
		if err != nil {
			f.Add("id", "phải là UUID")
		}
		t, err := tracking.ParseEventType(e.Type)
		if err != nil {
			f.Add("type", "loại sự kiện không có trong danh mục")
		} else if !roleEvents[u.Role][t] {
			f.Add("type", u.Role.Label()+" không ghi được loại sự kiện này")
		}
		num, err := tracking.ParseNumber(strings.TrimSpace(e.TrackingNumber))
		if err != nil {
			f.Add("tracking_number", "số hiệu S10 không hợp lệ")
		}
		at, err := time.Parse(time.RFC3339, e.At)
		switch {
		case err != nil:
			f.Add("at", "thời điểm RFC 3339 có múi giờ")
		case at.After(now.Add(24 * time.Hour)):
			f.Add("at", "thời điểm trên thiết bị ở tương lai: kiểm tra đồng hồ máy")
		case at.Before(now.AddDate(0, 0, -30)):
			f.Add("at", "sự kiện cũ hơn 30 ngày: báo điều phối viên")
		}
		if (e.Lat == nil) != (e.Lng == nil) {
			f.Add("lat", "cần cả vĩ độ và kinh độ")
		}
		if err := f.Err(errs.Invalid, "Sự kiện không hợp lệ"); err != nil {
			if id == uuid.Nil {
				// Without a valid id the event cannot be kept by id.
				reject(i, err)
				continue
			}
			reject(i, err)
			s.keep(ctx, u, device, e, stored, nil, results[i].Error, now)
			continue
		}
		data := []byte(e.Data)
		var sig []byte
		if verify != nil {
			data, sig, err = verify(ctx, e, raws[i])
			if err != nil {
				reject(i, err)
				s.keep(ctx, u, device, e, stored, sig, results[i].Error, now)
				continue
			}
		}
		atCopy := at
		items = append(items, Item{Number: num.String(), In: EventInput{ID: id.String(), Type: t, Actor: actor, DeviceAt: &atCopy,
			Lat: e.Lat, Lng: e.Lng, Data: data, Device: &DeviceRecord{UserID: u.ID, DeviceID: device, Raw: stored, Signature: sig}},
			Check: func(lp LockedParcel) error { return Scope(u, lp) }})
		idx = append(idx, pending{i: i, raw: stored, sig: sig})
	}
	if len(items) > 0 {
		res, err := s.Ledger.RecordBatch(ctx, items)
		if err != nil {
			return nil, err
		}
		for j, r := range res {
			i := idx[j].i
			switch {
			case r.Duplicate:
				results[i] = SyncResult{ID: evs[i].ID, Status: "duplicate"}
			case r.Err != nil:
				reject(i, r.Err)
				if errs.KindOf(r.Err) == errs.Internal {
					return nil, r.Err
				}
				s.keep(ctx, u, device, evs[i], idx[j].raw, idx[j].sig, results[i].Error, now)
			default:
				results[i] = SyncResult{ID: evs[i].ID, Status: "accepted"}
			}
		}
	}
	return results, nil
}

// redactedFields are what a device may send in an event's data that must
// not be kept in clear: the citizen's one-time code and CCCD number. The
// event is checked against them on receipt; the ledger keeps the fact.
var redactedFields = []string{"otp", "id_number"}

// RedactRaw returns the event as the device sent it, for keeping, with the
// values of redactedFields in its data replaced by "[redacted]". Input that
// is not a JSON object with a data object is returned unchanged.
func RedactRaw(raw []byte) []byte {
	var fields map[string]json.RawMessage
	if json.Unmarshal(raw, &fields) != nil || fields == nil {
		return raw
	}
	var data map[string]json.RawMessage
	if json.Unmarshal(fields["data"], &data) != nil || data == nil {
		return raw
	}
	changed := false
	for _, k := range redactedFields {
		if _, ok := data[k]; ok {
			data[k] = json.RawMessage(`"[redacted]"`)
			changed = true
		}
	}
	if !changed {
		return raw
	}
	d, err := json.Marshal(data)
	if err != nil {
		return raw
	}
	fields["data"] = d
	out, err := json.Marshal(fields)
	if err != nil {
		return raw
	}
	return out
}

// keep stores a rejected event for the dispatcher. A failure to keep it is
// returned as the event's error so the device retries.
func (s *Sync) keep(ctx context.Context, u User, device string, e DeviceEvent, raw, sig []byte, se *SyncError, now time.Time) {
	if _, err := uuid.Parse(e.ID); err != nil || device == "" {
		return
	}
	if len(raw) == 0 || !json.Valid(raw) {
		raw = []byte("{}")
	}
	if err := s.Store.RejectDeviceEvent(ctx, strings.ToLower(e.ID), u.ID, device, e.Type, e.TrackingNumber, raw, sig, se.Code, se.Message, now); err != nil {
		se.Code, se.Message = string(errs.Unavailable), "chưa lưu được sự kiện bị từ chối, gửi lại sau"
	}
}

// Scope decides whether a staff user may act on a parcel at all: everyone
// on parcels they hold and parcels released to them; couriers also on
// parcels of their office (and on parcels not yet in any zone, so nobody is
// stuck at the door); desks on parcels addressed to them.
func Scope(u User, lp LockedParcel) error {
	me := u.Party()
	switch {
	case lp.Parcel.Custodian == me:
	case lp.State.Pending != nil && lp.State.Pending.Receiver == me:
	case u.Role == RoleCourier && (lp.Parcel.OfficeCode == "" || lp.Parcel.OfficeCode == u.OfficeCode):
	case u.Role == RoleDesk && lp.Parcel.DeskCode == u.DeskCode:
	case u.Role == RoleOffice && lp.Parcel.OfficeCode == u.OfficeCode:
	default:
		return errs.E(errs.Forbidden, "bưu gửi %s không thuộc phạm vi của bạn", lp.Parcel.Number)
	}
	return nil
}

// RejectedEvent is a courier event the ledger refused, kept for review.
type RejectedEvent struct {
	ID             string
	StaffCode      string
	OfficeCode     string
	Type           string
	TrackingNumber string
	ErrorCode      string
	ErrorMessage   string
	Tries          int
	ReceivedAt     time.Time
}
