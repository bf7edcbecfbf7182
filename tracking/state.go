package tracking

import (
	"fmt"

	"hoso/internal/errs"
)

// Leg is one of the two journeys of a dossier.
type Leg string

// The legs.
const (
	LegPickup Leg = "pickup" // citizen's originals to the desk
	LegReturn Leg = "return" // the result back to the citizen
)

// Status is where a parcel is in its leg.
type Status string

// Statuses of the pickup leg, then of the return leg.
const (
	StatusRequested          Status = "requested"
	StatusScheduled          Status = "scheduled"
	StatusPickupFailed       Status = "pickup_failed"
	StatusCollected          Status = "collected"
	StatusAtOffice           Status = "at_office"
	StatusToDesk             Status = "to_desk"
	StatusAtDesk             Status = "at_desk"
	StatusAccepted           Status = "accepted"
	StatusReturnedIncomplete Status = "returned_incomplete"
	StatusCancelled          Status = "cancelled"

	StatusReady          Status = "ready"
	StatusWithCourier    Status = "with_courier"
	StatusOutForDelivery Status = "out_for_delivery"
	StatusDeliveryFailed Status = "delivery_failed"
	StatusHeld           Status = "held"
	StatusDelivered      Status = "delivered"
	StatusReturnedToDesk Status = "returned_to_desk"
)

// Label is the status in plain Vietnamese.
func (s Status) Label() string {
	switch s {
	case StatusRequested:
		return "Đã tiếp nhận yêu cầu"
	case StatusScheduled:
		return "Đã hẹn lịch thu gom"
	case StatusPickupFailed:
		return "Chưa thu gom được, chờ hẹn lại"
	case StatusCollected:
		return "Bưu tá đã nhận hồ sơ"
	case StatusAtOffice:
		return "Đang ở bưu cục"
	case StatusToDesk:
		return "Đang chuyển đến nơi tiếp nhận"
	case StatusAtDesk:
		return "Bộ phận một cửa đã nhận hồ sơ"
	case StatusAccepted:
		return "Hồ sơ đã được tiếp nhận giải quyết"
	case StatusReturnedIncomplete:
		return "Hồ sơ chưa đầy đủ, được trả lại"
	case StatusCancelled:
		return "Đã hủy yêu cầu"
	case StatusReady:
		return "Kết quả đã sẵn sàng"
	case StatusWithCourier:
		return "Bưu tá đang giữ kết quả"
	case StatusOutForDelivery:
		return "Đang giao kết quả"
	case StatusDeliveryFailed:
		return "Giao chưa thành công"
	case StatusHeld:
		return "Kết quả đang lưu tại bưu cục"
	case StatusDelivered:
		return "Đã giao kết quả"
	case StatusReturnedToDesk:
		return "Kết quả đã trả về nơi tiếp nhận"
	}
	return string(s)
}

// Statuses lists every status, the pickup leg's then the return leg's.
var Statuses = []Status{
	StatusRequested, StatusScheduled, StatusPickupFailed, StatusCollected, StatusAtOffice, StatusToDesk,
	StatusAtDesk, StatusAccepted, StatusReturnedIncomplete, StatusCancelled,
	StatusReady, StatusWithCourier, StatusOutForDelivery, StatusDeliveryFailed, StatusHeld, StatusDelivered,
	StatusReturnedToDesk,
}

// ParseStatus reads a status from its stored or transmitted name.
func ParseStatus(s string) (Status, error) {
	for _, st := range Statuses {
		if string(st) == s {
			return st, nil
		}
	}
	return "", errs.E(errs.Invalid, "unknown status %q", s)
}

// ParseLeg reads a leg from its name.
func ParseLeg(s string) (Leg, error) {
	switch Leg(s) {
	case LegPickup, LegReturn:
		return Leg(s), nil
	}
	return "", errs.E(errs.Invalid, "unknown leg %q", s)
}

// Terminal reports whether nothing more happens to a parcel in s.
func (s Status) Terminal() bool {
	switch s {
	case StatusAccepted, StatusReturnedIncomplete, StatusCancelled, StatusDelivered, StatusReturnedToDesk:
		return true
	}
	return false
}

// Rule is one row of the published transition table: in leg Leg, an event
// Event recorded by an actor of kind Actor moves a parcel from any of From to
// To ("" keeps the status). Custody says what happens to the custodian.
type Rule struct {
	Leg     Leg         `json:"leg"`
	Event   EventType   `json:"event"`
	From    []Status    `json:"from"`
	To      Status      `json:"to,omitempty"`
	Actors  []PartyKind `json:"actors"`
	Custody string      `json:"custody"`
	UPU     string      `json:"upu_code,omitempty"`
	Note    string      `json:"note,omitempty"`
}

// The custody effects of a rule.
const (
	CustodyNone     = "none"
	CustodyOpen     = "opens with the citizen"
	CustodyCollect  = "citizen → courier"
	CustodyDropOff  = "citizen → post office"
	CustodyPending  = "pending: giver keeps it until the receiver confirms"
	CustodyMove     = "giver → receiver"
	CustodyStays    = "stays with the giver; incident opened"
	CustodyDeliver  = "courier → citizen"
	CustodyRegister = "opens with the desk"
	CustodyRecall   = "stays with the giver; the release is withdrawn"
)

var (
	pickupActive  = []Status{StatusRequested, StatusScheduled, StatusPickupFailed}
	pickupMoving  = []Status{StatusCollected, StatusAtOffice, StatusToDesk}
	returnMoving  = []Status{StatusReady, StatusWithCourier, StatusAtOffice, StatusDeliveryFailed, StatusHeld}
	anyStaff      = []PartyKind{PartyCourier, PartyOffice, PartyDesk}
	requesters    = []PartyKind{PartyPortal, PartyCitizen, PartyDesk, PartyOffice, PartyAdmin, PartyDispatcher}
	schedulers    = []PartyKind{PartyDispatcher, PartySystem, PartyAdmin}
	courierOnly   = []PartyKind{PartyCourier}
	deskOnly      = []PartyKind{PartyDesk}
	officeOnly    = []PartyKind{PartyOffice}
	resultMakers  = []PartyKind{PartyDesk, PartyPortal}
	cancellers    = []PartyKind{PartyPortal, PartyCitizen, PartyDesk, PartyOffice, PartyAdmin, PartyDispatcher}
	returnHolders = []PartyKind{PartyCourier, PartyOffice, PartyDesk}
	recallers     = []PartyKind{PartyDispatcher, PartyAdmin}
	selfServers   = []PartyKind{PartyCitizen, PartyDesk, PartyPortal, PartyAdmin}
)

// Rules is the state machine of both legs. Hand-off confirmations pick their
// target status from HandoffStatus.
var Rules = []Rule{
	{LegPickup, PickupRequested, []Status{""}, StatusRequested, requesters, CustodyOpen, "", "the papers are still at home: the citizen holds them"},
	{LegPickup, PickupScheduled, pickupActive, StatusScheduled, schedulers, CustodyNone, "", "plan or re-plan: courier and window"},
	{LegPickup, PickupAttemptFailed, pickupActive, StatusPickupFailed, courierOnly, CustodyNone, "", "reason: not_home, documents_missing, refused, address_not_found, other"},
	{LegPickup, PickupCollected, pickupActive, StatusCollected, courierOnly, CustodyCollect, "EMA", "documents ticked one by one, seal id, citizen signature or one-time code"},
	{LegPickup, PickupCollected, pickupActive, StatusAtOffice, officeOnly, CustodyDropOff, "EMA", "counter drop-off: the citizen brings the papers to a post office; documents checked line by line, seal id, citizen's code or ID checked by the server, the clerk named"},
	{LegPickup, ParcelCancelled, pickupActive, StatusCancelled, cancellers, CustodyNone, "", "only before collection"},
	{LegPickup, PickupWindowChanged, pickupActive, StatusRequested, selfServers, CustodyNone, "", "internal HS1: the citizen (or a clerk) chose another free window; the planned visit is withdrawn and the day re-planned"},
	{LegPickup, PickupNotHome, pickupActive, StatusRequested, selfServers, CustodyNone, "", "internal HS2: the citizen will not be home in the planned window; the visit is withdrawn, the day re-planned, another window asked for"},
	{LegPickup, PickupAddressCorrected, pickupActive, "", selfServers, CustodyNone, "", "internal HS3: the address line corrected, placed and zoned again; the day re-planned"},
	{LegPickup, HandoffReleased, pickupMoving, "", anyStaff, CustodyPending, "", "the custodian names one receiver"},
	{LegPickup, HandoffConfirmed, pickupMoving, "*", anyStaff, CustodyMove, "EDD/EDE/EMI", "the intended receiver, documents counted, seal checked"},
	{LegPickup, HandoffDisputed, pickupMoving, "", anyStaff, CustodyStays, "", "missing parcel, seal broken, document missing"},
	{LegPickup, HandoffRecalled, pickupMoving, "", recallers, CustodyRecall, "", "a dispatcher withdraws a release nobody confirmed, with a reason"},
	{LegPickup, DeskAccepted, []Status{StatusAtDesk}, StatusAccepted, deskOnly, CustodyNone, "", ""},
	{LegPickup, DeskReturnedIncomplete, []Status{StatusAtDesk}, StatusReturnedIncomplete, deskOnly, CustodyNone, "", "coded reason, missing documents named"},

	{LegReturn, ResultRegistered, []Status{""}, StatusReady, resultMakers, CustodyRegister, "EMA", "a new tracking number for the return leg"},
	{LegReturn, HandoffReleased, returnMoving, "", returnHolders, CustodyPending, "", ""},
	{LegReturn, HandoffConfirmed, returnMoving, "*", returnHolders, CustodyMove, "EDD/EDE", ""},
	{LegReturn, HandoffDisputed, returnMoving, "", returnHolders, CustodyStays, "", ""},
	{LegReturn, HandoffRecalled, returnMoving, "", recallers, CustodyRecall, "", "a dispatcher withdraws a release nobody confirmed, with a reason"},
	{LegReturn, DeliveryArrivedOffice, []Status{StatusAtOffice}, "", officeOnly, CustodyNone, "EMG", "after a confirmed hand-off to the office"},
	{LegReturn, DeliveryOut, []Status{StatusWithCourier}, StatusOutForDelivery, courierOnly, CustodyNone, "EDG", ""},
	{LegReturn, DeliveryAttemptFailed, []Status{StatusOutForDelivery}, StatusDeliveryFailed, courierOnly, CustodyNone, "EMH", "cause and action codes; the courier keeps it"},
	{LegReturn, DeliveryOut, []Status{StatusDeliveryFailed}, StatusOutForDelivery, courierOnly, CustodyNone, "EDG", "next attempt"},
	{LegReturn, DeliveryHeld, []Status{StatusAtOffice}, StatusHeld, officeOnly, CustodyNone, "EDF", "waiting at the office after a failed attempt"},
	{LegReturn, DeliveryCompleted, []Status{StatusOutForDelivery}, StatusDelivered, courierOnly, CustodyDeliver, "EMI", "recipient verified: one-time code, last 3 digits of the CCCD, or a proxy with authorisation"},
	{LegReturn, DeliveryReturnedToDesk, []Status{StatusDeliveryFailed, StatusWithCourier}, StatusReturnedToDesk, deskOnly, CustodyMove, "", "after N attempts, recorded with the desk's confirmation of the courier's release"},
}

// HandoffStatus is the status a confirmed hand-off leads to, by leg, giver
// and receiver, and the UPU code of the confirmation.
func HandoffStatus(leg Leg, current Status, giver, receiver PartyKind) (Status, string, error) {
	switch leg {
	case LegPickup:
		switch {
		case giver == PartyCourier && receiver == PartyOffice:
			return StatusAtOffice, "EDD", nil
		case giver == PartyOffice && receiver == PartyCourier:
			return StatusToDesk, "EDE", nil
		case giver == PartyCourier && receiver == PartyDesk:
			return StatusAtDesk, "EMI", nil
		case giver == PartyOffice && receiver == PartyOffice:
			return StatusAtOffice, "EDD", nil
		case giver == PartyCourier && receiver == PartyCourier:
			return current, "", nil
		}
	case LegReturn:
		switch {
		case giver == PartyDesk && receiver == PartyCourier:
			return StatusWithCourier, "", nil
		case giver == PartyDesk && receiver == PartyOffice:
			return StatusAtOffice, "EDD", nil
		case giver == PartyCourier && receiver == PartyOffice:
			return StatusAtOffice, "EDD", nil
		case giver == PartyOffice && receiver == PartyCourier:
			return StatusWithCourier, "EDE", nil
		case giver == PartyOffice && receiver == PartyOffice:
			return StatusAtOffice, "EDD", nil
		case giver == PartyCourier && receiver == PartyDesk:
			return StatusReturnedToDesk, "", nil
		case giver == PartyCourier && receiver == PartyCourier:
			return current, "", nil
		}
	}
	return "", "", fmt.Errorf("không có bước bàn giao %s → %s ở chặng %s", giver.Label(), receiver.Label(), leg)
}

// FindRule returns the rule for an event in a leg and status.
func FindRule(leg Leg, status Status, ev EventType) (Rule, bool) {
	for _, r := range Rules {
		if r.Leg != leg || r.Event != ev {
			continue
		}
		for _, f := range r.From {
			if f == status {
				return r, true
			}
		}
	}
	return Rule{}, false
}

// FindRuleFor returns the rule for an event in a leg and status that an
// actor of kind k may record (a collection is a courier's at the door or a
// post office's at its counter), else the first rule for the event.
func FindRuleFor(leg Leg, status Status, ev EventType, k PartyKind) (Rule, bool) {
	var first Rule
	found := false
	for _, r := range Rules {
		if r.Leg != leg || r.Event != ev {
			continue
		}
		for _, f := range r.From {
			if f != status {
				continue
			}
			if r.ActorAllowed(k) {
				return r, true
			}
			if !found {
				first, found = r, true
			}
		}
	}
	return first, found
}

// ActorAllowed reports whether a party kind may record the rule's event.
func (r Rule) ActorAllowed(k PartyKind) bool {
	for _, a := range r.Actors {
		if a == k {
			return true
		}
	}
	return false
}
