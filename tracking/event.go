package tracking

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// EventType names one thing that happens to a parcel. The vocabulary is
// closed: ParseEventType accepts only these.
type EventType string

// The event vocabulary (domain.md).
const (
	PickupRequested        EventType = "pickup.requested"
	PickupScheduled        EventType = "pickup.scheduled"
	PickupAttemptFailed    EventType = "pickup.attempt_failed"
	PickupCollected        EventType = "pickup.collected"
	HandoffReleased        EventType = "handoff.released"
	HandoffConfirmed       EventType = "handoff.confirmed"
	HandoffDisputed        EventType = "handoff.disputed"
	HandoffRecalled        EventType = "handoff.recalled"
	DeskAccepted           EventType = "desk.accepted"
	DeskReturnedIncomplete EventType = "desk.returned_incomplete"
	ResultRegistered       EventType = "result.registered"
	DeliveryArrivedOffice  EventType = "delivery.arrived_office"
	DeliveryOut            EventType = "delivery.out"
	DeliveryAttemptFailed  EventType = "delivery.attempt_failed"
	DeliveryHeld           EventType = "delivery.held"
	DeliveryCompleted      EventType = "delivery.completed"
	DeliveryReturnedToDesk EventType = "delivery.returned_to_desk"
	ParcelCancelled        EventType = "parcel.cancelled"

	// The citizen's self-service before collection (or a clerk's on their
	// behalf): another window, "I won't be home", a corrected address line.
	PickupWindowChanged    EventType = "pickup.window_changed"
	PickupNotHome          EventType = "pickup.not_home"
	PickupAddressCorrected EventType = "pickup.address_corrected"
)

// EventTypes lists the vocabulary in journey order.
var EventTypes = []EventType{
	PickupRequested, PickupScheduled, PickupAttemptFailed, PickupCollected,
	HandoffReleased, HandoffConfirmed, HandoffDisputed, HandoffRecalled,
	DeskAccepted, DeskReturnedIncomplete, ResultRegistered,
	DeliveryArrivedOffice, DeliveryOut, DeliveryAttemptFailed, DeliveryHeld,
	DeliveryCompleted, DeliveryReturnedToDesk, ParcelCancelled,
	PickupWindowChanged, PickupNotHome, PickupAddressCorrected,
}

// ParseEventType parses a name of the vocabulary.
func ParseEventType(s string) (EventType, error) {
	for _, t := range EventTypes {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown event type %q", s)
}

// PartyKind is a kind of party to the journey.
type PartyKind string

// The parties. Custodians are citizen, courier, post office and desk.
const (
	PartyCitizen    PartyKind = "citizen"
	PartyCourier    PartyKind = "courier"
	PartyOffice     PartyKind = "post_office"
	PartyDesk       PartyKind = "desk"
	PartyAgency     PartyKind = "agency"
	PartyPortal     PartyKind = "portal"
	PartyDispatcher PartyKind = "dispatcher"
	PartySystem     PartyKind = "system"
	PartyAdmin      PartyKind = "admin"
)

// CanHold reports whether a party of this kind can be a parcel's custodian.
func (k PartyKind) CanHold() bool {
	return k == PartyCitizen || k == PartyCourier || k == PartyOffice || k == PartyDesk
}

// Label is the kind's Vietnamese name, as the public timeline shows it.
func (k PartyKind) Label() string {
	switch k {
	case PartyCitizen:
		return "Công dân"
	case PartyCourier:
		return "Bưu tá"
	case PartyOffice:
		return "Bưu cục"
	case PartyDesk:
		return "Bộ phận một cửa"
	case PartyAgency:
		return "Cơ quan giải quyết"
	case PartyPortal:
		return "Cổng dịch vụ công"
	case PartyDispatcher:
		return "Điều phối viên"
	case PartySystem:
		return "Hệ thống"
	case PartyAdmin:
		return "Quản trị viên"
	}
	return string(k)
}

// Party is one side of an event or hand-off: a kind and a reference (staff
// code for people, office or desk code for places, empty for the citizen).
type Party struct {
	Kind PartyKind
	Ref  string
}

// String renders "kind:ref".
func (p Party) String() string { return string(p.Kind) + ":" + p.Ref }

// ParseParty parses "kind:ref".
func ParseParty(s string) (Party, error) {
	k, ref, ok := strings.Cut(s, ":")
	if !ok {
		return Party{}, fmt.Errorf("party %q: want kind:ref", s)
	}
	switch kind := PartyKind(k); kind {
	case PartyCitizen, PartyCourier, PartyOffice, PartyDesk, PartyAgency, PartyPortal, PartyDispatcher, PartySystem, PartyAdmin:
		return Party{Kind: kind, Ref: ref}, nil
	}
	return Party{}, fmt.Errorf("party %q: unknown kind", s)
}

// Event is one entry of the ledger.
type Event struct {
	ID       string // UUID; made by the device for courier events
	ParcelID string
	Number   string // tracking number of the parcel
	Seq      int    // position in the parcel's chain, from 1
	Type     EventType
	UPU      string
	Actor    Party
	DeviceAt *time.Time
	ServerAt time.Time
	Lat, Lng *float64
	Data     []byte // canonical JSON object
	PrevHash []byte
	Hash     []byte
	// Form is the canonical form the hash covers: FormV1 for events
	// written before the device's signature was part of the hash, FormV2
	// for every event since (0 is taken as FormV2 when sealing).
	Form int
	// Device is the courier's device signature (form 2, courier events).
	Device *DeviceSig
}

// Canonical forms of an event (docs/ledger-format.md).
const (
	FormV1 = 1 // hoso-event-v1
	FormV2 = 2 // hoso-event-v2: v1's lines plus the device key, signed bytes and signature
)

// GenesisHash is the previous hash of a parcel's first event.
var GenesisHash = make([]byte, sha256.Size)

// CanonicalJSON re-encodes a JSON object with sorted keys, no insignificant
// white space, no HTML escaping and numbers exactly as written, so the same
// content always hashes the same. An empty input is the empty object.
func CanonicalJSON(raw []byte) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return []byte("{}"), nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("data: trailing content after the object")
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, fmt.Errorf("data: want a JSON object")
	}
	return marshalCanonical(v)
}

func marshalCanonical(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// MarshalData encodes a Go value as canonical event data.
func MarshalData(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	return CanonicalJSON(b)
}

// Canonical is the text the event's hash covers, in the event's form:
// every field that states what happened, the parcel's tracking number and
// the previous hash; form 2 adds the device key's fingerprint, the exact
// bytes the device signed and the signature (each empty for events no
// device signed). Times are UTC with microseconds, the precision PostgreSQL
// keeps.
func (e *Event) Canonical() []byte {
	var b bytes.Buffer
	if e.Form == FormV1 {
		b.WriteString("hoso-event-v1\n")
	} else {
		b.WriteString("hoso-event-v2\n")
	}
	b.WriteString("id=" + e.ID + "\n")
	b.WriteString("parcel=" + e.Number + "\n")
	b.WriteString("seq=" + strconv.Itoa(e.Seq) + "\n")
	b.WriteString("type=" + string(e.Type) + "\n")
	b.WriteString("upu=" + e.UPU + "\n")
	b.WriteString("actor=" + e.Actor.String() + "\n")
	b.WriteString("device_at=" + fmtTime(e.DeviceAt) + "\n")
	b.WriteString("server_at=" + fmtTime(&e.ServerAt) + "\n")
	b.WriteString("point=")
	if e.Lat != nil && e.Lng != nil {
		b.WriteString(strconv.FormatFloat(*e.Lat, 'f', -1, 64) + "," + strconv.FormatFloat(*e.Lng, 'f', -1, 64))
	}
	b.WriteString("\ndata=")
	b.Write(e.Data)
	if e.Form != FormV1 {
		b.WriteString("\ndevice_key=" + e.Device.Fingerprint())
		b.WriteString("\ndevice_signed=")
		if e.Device != nil {
			b.WriteString(base64.StdEncoding.EncodeToString(e.Device.Signed))
		}
		b.WriteString("\ndevice_signature=")
		if e.Device != nil {
			b.WriteString(base64.StdEncoding.EncodeToString(e.Device.Signature))
		}
	}
	b.WriteString("\nprev=" + hex.EncodeToString(e.PrevHash) + "\n")
	return b.Bytes()
}

func fmtTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.000000Z")
}

// ComputeHash returns the SHA-256 of the canonical form.
func (e *Event) ComputeHash() []byte {
	h := sha256.Sum256(e.Canonical())
	return h[:]
}

// Seal sets the event's position after prev (nil for the first event) and
// its hash. Times are truncated to microseconds first so the stored event
// hashes the same.
func (e *Event) Seal(prevSeq int, prevHash []byte) {
	e.Seq = prevSeq + 1
	if prevHash == nil {
		prevHash = GenesisHash
	}
	e.PrevHash = append([]byte(nil), prevHash...)
	if e.Form == 0 {
		e.Form = FormV2
	}
	e.ServerAt = e.ServerAt.UTC().Truncate(time.Microsecond)
	if e.DeviceAt != nil {
		t := e.DeviceAt.UTC().Truncate(time.Microsecond)
		e.DeviceAt = &t
	}
	if len(e.Data) == 0 {
		e.Data = []byte("{}")
	}
	e.Hash = e.ComputeHash()
}
