package app

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"hoso/internal/errs"
	"hoso/internal/vntext"
	"hoso/tracking"
)

// Outbox topics.
const (
	TopicPortal = "portal" // a status callback to the portal that created the pickup
	TopicNotify = "notify" // a message to the citizen
)

// Notification kinds: one per step a citizen cares about. The notify
// package has a Vietnamese template for each (a test checks).
const (
	NotifyPickupScheduled = "pickup_scheduled"  // a pickup date and window
	NotifyPickupOnTheWay  = "pickup_on_the_way" // today's visit with the planned time (time-critical)
	NotifyPickupFailed    = "pickup_failed"     // not collected: why and what happens next
	NotifyCollected       = "collected"         // documents taken, with the e-receipt link
	NotifyAtDesk          = "at_desk"           // handed to the one-stop desk
	NotifyAccepted        = "accepted"          // the desk accepted the dossier
	NotifyReturned        = "returned"          // the desk returned it as incomplete, with the reason
	NotifyResultReady     = "result_ready"      // the result is at the desk, the post will bring it
	NotifyResultOut       = "result_out"        // the courier is bringing the result today (time-critical)
	NotifyDeliveryFailed  = "delivery_failed"   // a failed delivery attempt and what to do
	NotifyHeld            = "held"              // waiting at the post office
	NotifyDelivered       = "delivered"         // the result was handed over
	NotifyReturnedToDesk  = "returned_to_desk"  // back at the desk after the last attempt
	NotifyCancelled       = "cancelled"         // the request was cancelled (not by the citizen)
	NotifyPickupChanged   = "pickup_changed"    // a clerk changed the window or address, or said "not at home", for the citizen
)

// NotifyKinds lists every kind Effects can produce.
var NotifyKinds = []string{NotifyPickupScheduled, NotifyPickupOnTheWay, NotifyPickupFailed, NotifyCollected, NotifyAtDesk,
	NotifyAccepted, NotifyReturned, NotifyResultReady, NotifyResultOut, NotifyDeliveryFailed, NotifyHeld, NotifyDelivered,
	NotifyReturnedToDesk, NotifyCancelled, NotifyPickupChanged}

// CallbackBody is what a portal's callback URL receives (contracts/api.md,
// "Callbacks"). It is stored as the outbox row's payload and POSTed byte for
// byte on every attempt.
type CallbackBody struct {
	EventID        string         `json:"event_id"`
	DossierCode    string         `json:"dossier_code"`
	PickupID       string         `json:"pickup_id"`
	TrackingNumber string         `json:"tracking_number"`
	Status         string         `json:"status"`
	UPUCode        string         `json:"upu_code"`
	At             string         `json:"at"`
	Detail         map[string]any `json:"detail"`
	// LogCheckpoint is the transparency log's latest checkpoint when the
	// event was recorded (a C2SP signed note with the witnesses'
	// cosignatures), so every portal holds one to check the log against.
	LogCheckpoint string `json:"log_checkpoint,omitempty"`
	// Portal is our status in the national portal's terms (beside ours).
	Portal *PortalFields `json:"portal,omitempty"`
}

// PortalFields are a callback's status in the national portal's terms
// (tracking.PortalStatuses, docs/portal-status.md): the DongBoHoSoMC field
// names, times as yyyyMMddHHmmss in Asia/Ho_Chi_Minh.
type PortalFields struct {
	MaHoSo         string `json:"MaHoSo"`
	MaTTHC         string `json:"MaTTHC,omitempty"`
	TenTTHC        string `json:"TenTTHC,omitempty"`
	TrangThaiHoSo  string `json:"TrangThaiHoSo"`
	TrangThaiLabel string `json:"TenTrangThaiHoSo"`
	HinhThuc       string `json:"HinhThuc"`
	ThoiDiem       string `json:"ThoiDiemXuLy"`
	NgayTiepNhan   string `json:"NgayTiepNhan,omitempty"`
	NgayHenTra     string `json:"NgayHenTra,omitempty"`
	NgayTra        string `json:"NgayTra,omitempty"`
}

// MapPortal returns a parcel's status in the portal's terms at a time
// (nil for a status the table does not map).
func MapPortal(p Parcel, status tracking.Status, at time.Time) *PortalFields {
	ps, ok := tracking.MapPortalStatus(p.Leg, status)
	if !ok {
		return nil
	}
	return &PortalFields{MaHoSo: p.Dossier.Code, MaTTHC: p.Dossier.ProcedureCode, TenTTHC: p.Dossier.ProcedureName,
		TrangThaiHoSo: ps.Code, TrangThaiLabel: ps.Label, HinhThuc: tracking.HinhThuc(p.Leg, p.Dossier.ReturnByPost),
		ThoiDiem: tracking.PortalTime(at, vnZone)}
}

// NotifyPayload is a notification row's payload: which parcel, which
// template, and the non-personal facts of the event the template needs.
// The phone is not here: the sender opens the parcel's sealed phone at send
// time.
type NotifyPayload struct {
	ParcelID  string            `json:"parcel_id"`
	EventID   string            `json:"event_id"`
	Kind      string            `json:"kind"`
	At        time.Time         `json:"at"`
	ExpiresAt *time.Time        `json:"expires_at,omitempty"` // stale after this: skipped, not sent
	Params    map[string]string `json:"params,omitempty"`
}

// Effects turns recorded events into outbox rows: a callback for the portal
// that created the pickup (when it has a callback URL) and a message to the
// citizen for the steps they care about. Its For method is the Ledger's
// Effects hook; it runs inside the ledger's transaction and must not block.
type Effects struct {
	// Callbacks knows which portal clients have a callback URL.
	Callbacks *CallbackSet
	// Notify turns citizen notifications on.
	Notify bool
	// BaseURL returns the public URL, for links in callback details (a func:
	// the server knows it only once it listens).
	BaseURL func() string
	// Checkpoint, when set, returns the transparency log's latest
	// checkpoint for callbacks (Log.Latest: from memory, never blocking).
	Checkpoint func() []byte
}

// For returns the outbox rows of one event. p is the parcel's projection
// after the event. Portal rows and notification rows are both ordered by the
// dossier id: a later event of a dossier waits for an earlier one.
func (e *Effects) For(p Parcel, ev tracking.Event, out tracking.Outcome) []OutboxItem {
	var items []OutboxItem
	if it, ok := e.callback(p, ev, out); ok {
		items = append(items, it)
	}
	if e.Notify {
		if it, ok := e.notification(p, ev, out); ok {
			items = append(items, it)
		}
	}
	return items
}

func (e *Effects) baseURL() string {
	if e.BaseURL == nil {
		return ""
	}
	return strings.TrimRight(e.BaseURL(), "/")
}

// vnZone is the zone of the times in callbacks and messages.
var vnZone = time.FixedZone("ICT", 7*3600)

func eventAt(ev tracking.Event) time.Time {
	if ev.DeviceAt != nil && !ev.DeviceAt.IsZero() {
		return *ev.DeviceAt
	}
	return ev.ServerAt
}

// callbackWorthy reports whether the portal hears of an event: every status
// change and every postal milestone (an event with a UPU code). A release
// (custody is still pending) and a dispute (status unchanged, an internal
// incident) are not status changes.
func callbackWorthy(p Parcel, ev tracking.Event) bool {
	switch ev.Type {
	case tracking.HandoffReleased, tracking.HandoffDisputed:
		return false
	case tracking.PickupWindowChanged, tracking.PickupNotHome, tracking.PickupAddressCorrected:
		return true // the citizen's own changes, even when the status stays
	}
	return p.StatusSince.Equal(ev.ServerAt) || ev.UPU != ""
}

func (e *Effects) callback(p Parcel, ev tracking.Event, out tracking.Outcome) (OutboxItem, bool) {
	// A request made by a citizen or a clerk is reported to the portal
	// client registered for its desk's province (chosen at intake).
	client := p.PortalClient
	if client == "" {
		client = p.ReportClient
	}
	if client == "" || !callbackWorthy(p, ev) {
		return OutboxItem{}, false
	}
	if e.Callbacks != nil && !e.Callbacks.Has(client) {
		return OutboxItem{}, false
	}
	// A return leg belongs to the pickup request the portal knows: its id is
	// the pickup's, the tracking number the return leg's own.
	pickupID := p.ID
	if p.ReturnOf != "" {
		pickupID = p.ReturnOf
	}
	body := CallbackBody{EventID: ev.ID, DossierCode: p.Dossier.Code, PickupID: pickupID, TrackingNumber: p.Number,
		Status: string(out.Status), UPUCode: ev.UPU, At: eventAt(ev).In(vnZone).Format(time.RFC3339),
		Detail: e.callbackDetail(p, ev, out)}
	if e.Checkpoint != nil {
		body.LogCheckpoint = string(e.Checkpoint())
	}
	if pf := MapPortal(p, out.Status, eventAt(ev)); pf != nil {
		switch ev.Type {
		case tracking.DeskAccepted:
			pf.NgayTiepNhan = pf.ThoiDiem
			var dd tracking.DeskDecision
			if json.Unmarshal(ev.Data, &dd) == nil && dd.AppointmentDate != "" {
				if d, err := time.ParseInLocation("2006-01-02", dd.AppointmentDate, vnZone); err == nil {
					pf.NgayHenTra = tracking.PortalTime(d, vnZone)
				}
			}
		case tracking.DeliveryCompleted:
			pf.NgayTra = pf.ThoiDiem
		}
		body.Portal = pf
	}
	b, err := json.Marshal(body)
	if err != nil {
		return OutboxItem{}, false
	}
	return OutboxItem{Topic: TopicPortal, OrderKey: p.DossierID, Target: client, Payload: b}, true
}

// callbackDetail is the event's facts a portal can use: no names, phones,
// identity numbers or addresses, and couriers by role only.
func (e *Effects) callbackDetail(p Parcel, ev tracking.Event, out tracking.Outcome) map[string]any {
	d := map[string]any{
		"event":        string(ev.Type),
		"leg":          p.Leg,
		"parcel_id":    p.ID,
		"status_label": out.Status.Label(),
		"recorded_at":  ev.ServerAt.In(vnZone).Format(time.RFC3339),
	}
	if c := p.Custodian; c.Kind != "" {
		cust := map[string]any{"kind": string(c.Kind), "label": c.Kind.Label()}
		if c.Kind == tracking.PartyOffice || c.Kind == tracking.PartyDesk {
			cust["code"] = c.Ref
		}
		d["custodian"] = cust
	}
	switch ev.Type {
	case tracking.PickupScheduled:
		var s tracking.Scheduled
		if json.Unmarshal(ev.Data, &s) == nil {
			d["date"], d["window_start"], d["window_end"] = s.Date, s.WindowStart, s.WindowEnd
			if s.ETA != "" {
				d["eta"] = s.ETA
			}
			if s.Office != "" {
				d["office_code"] = s.Office
			}
		}
	case tracking.PickupAttemptFailed:
		var f tracking.PickupFailed
		if json.Unmarshal(ev.Data, &f) == nil {
			d["reason"], d["reason_label"] = f.Reason, f.Reason.Label()
		}
	case tracking.PickupCollected:
		var c tracking.Collected
		if json.Unmarshal(ev.Data, &c) == nil {
			docs := make([]map[string]any, 0, len(out.Collected))
			for _, dc := range out.Collected {
				doc := map[string]any{"line": dc.Line, "kind": dc.Kind, "count": dc.Count, "condition": dc.Condition}
				if dc.Disposition != "" { // Circular 03/2025: what became of the line
					doc["disposition"] = dc.Disposition
				}
				docs = append(docs, doc)
			}
			d["documents"], d["seal_id"] = docs, c.SealID
			if c.Proof != nil {
				d["method"] = c.Proof.Method
			}
			if c.Partial {
				d["partial"], d["partial_reason"] = true, c.PartialReason
			}
		}
		if base := e.baseURL(); p.ReceiptCode != "" && base != "" {
			d["receipt_url"] = base + "/bien-nhan/" + p.ReceiptCode
		}
	case tracking.DeskAccepted, tracking.DeskReturnedIncomplete:
		var dd tracking.DeskDecision
		if json.Unmarshal(ev.Data, &dd) == nil {
			if dd.AppointmentDate != "" {
				d["appointment_date"] = dd.AppointmentDate
			}
			if dd.Reason != "" {
				d["reason"], d["reason_label"] = dd.Reason, dd.Reason.Label()
			}
			if len(dd.MissingLines) > 0 {
				d["missing_lines"] = dd.MissingLines
			}
			if dd.Note != "" {
				d["note"] = dd.Note
			}
		}
	case tracking.ResultRegistered:
		d["fee"] = p.FeeAmount
	case tracking.DeliveryAttemptFailed:
		var f tracking.DeliveryFailed
		if json.Unmarshal(ev.Data, &f) == nil {
			d["cause"], d["cause_label"] = f.Cause, f.Cause.Label()
			d["action"], d["action_label"] = f.Action, f.Action.Label()
		}
		d["attempts"] = p.Attempts
	case tracking.DeliveryCompleted:
		var dv tracking.Delivered
		if json.Unmarshal(ev.Data, &dv) == nil {
			d["fee_collected"] = dv.FeeCollected
			if dv.Proof != nil {
				d["verification"] = dv.Proof.Method
			}
			d["received_by"] = receivedBy(p, dv)
		}
		d["attempts"] = p.Attempts
		d["documents_returned"] = documentLines(p.Documents)
	case tracking.DeliveryReturnedToDesk:
		d["attempts"] = p.Attempts
	case tracking.ParcelCancelled:
		var c tracking.Cancelled
		if json.Unmarshal(ev.Data, &c) == nil && c.Reason != "" {
			d["reason"] = c.Reason
		}
		if k := ev.Actor.Kind; k == tracking.PartyCitizen || k == tracking.PartyDesk || k == tracking.PartyOffice {
			d["by"] = byOf(ev.Actor)
		}
	case tracking.PickupRequested:
		// A request the portal did not make: who made it.
		if p.PortalClient == "" {
			switch p.Channel {
			case tracking.ChannelCitizen:
				d["request_created_by"] = "citizen"
			case tracking.ChannelClerk:
				d["request_created_by"] = "clerk"
				d["desk_code"] = p.DeskCode
			case tracking.ChannelCounter:
				d["request_created_by"] = "post_office"
				d["office_code"] = p.OfficeCode
			}
		}
	case tracking.PickupWindowChanged:
		var w tracking.WindowChanged
		if json.Unmarshal(ev.Data, &w) == nil {
			d["window_start"], d["window_end"], d["by"] = w.WindowStart, w.WindowEnd, w.By
		}
	case tracking.PickupNotHome:
		var n tracking.NotHome
		if json.Unmarshal(ev.Data, &n) == nil {
			d["missed_window_start"], d["missed_window_end"], d["by"] = n.WindowStart, n.WindowEnd, n.By
		}
	case tracking.PickupAddressCorrected:
		var a tracking.AddressCorrected
		if json.Unmarshal(ev.Data, &a) == nil {
			d["commune_code"], d["location_approx"], d["by"] = a.CommuneCode, a.LocationApprox, a.By
		}
	}
	if c, ok := tracking.InternalEventCodes[ev.Type]; ok {
		d["internal_code"] = c
	}
	return d
}

// byOf names who recorded a change, as a portal may be told.
func byOf(a tracking.Party) string {
	switch a.Kind {
	case tracking.PartyCitizen:
		return "citizen"
	case tracking.PartyDesk:
		return "clerk"
	case tracking.PartyOffice:
		return "post_office"
	}
	return string(a.Kind)
}

// ReturnedDocument is one line of the result handed to the citizen, as the
// result leg's last callback names it.
type ReturnedDocument struct {
	Line  int    `json:"line"`
	Name  string `json:"name"`
	Kind  string `json:"kind"`
	Count int    `json:"count"`
}

func documentLines(docs []tracking.Document) []ReturnedDocument {
	out := make([]ReturnedDocument, len(docs))
	for i, d := range docs {
		out[i] = ReturnedDocument{Line: i + 1, Name: d.Name, Kind: string(d.Kind), Count: d.Count}
	}
	return out
}

// ReceivedBy says who received a result at the door, as a portal may be
// told: the role (the citizen, or a proxy with an authorisation), their
// initials, and how the courier checked them. Never a whole name, a phone
// or an identity number.
type ReceivedBy struct {
	Role     string `json:"role"`
	Label    string `json:"label"`
	Initials string `json:"initials"`
	Method   string `json:"method"`
}

func receivedBy(p Parcel, dv tracking.Delivered) ReceivedBy {
	r := ReceivedBy{Role: "citizen", Label: tracking.PartyCitizen.Label(), Initials: vntext.Initials(p.CitizenName)}
	if dv.Proof != nil {
		r.Method = dv.Proof.Method
		if dv.Proof.Method == tracking.ProofProxy {
			r.Role, r.Label, r.Initials = "proxy", "Người nhận thay", vntext.Initials(dv.Proof.ProxyName)
		}
	}
	return r
}

// endOfDay is 23:59:59 Vietnam time of t's day.
func endOfDay(t time.Time) time.Time {
	y, m, dd := t.In(vnZone).Date()
	return time.Date(y, m, dd, 23, 59, 59, 0, vnZone)
}

func (e *Effects) notification(p Parcel, ev tracking.Event, out tracking.Outcome) (OutboxItem, bool) {
	at := eventAt(ev)
	n := NotifyPayload{ParcelID: p.ID, EventID: ev.ID, At: at.UTC(), Params: map[string]string{}}
	expires := func(t time.Time) { t = t.UTC(); n.ExpiresAt = &t }
	switch ev.Type {
	case tracking.PickupScheduled:
		var s tracking.Scheduled
		_ = json.Unmarshal(ev.Data, &s)
		ws, err1 := time.Parse(time.RFC3339, s.WindowStart)
		we, err2 := time.Parse(time.RFC3339, s.WindowEnd)
		if (err1 != nil || err2 != nil) && p.WindowStart != nil && p.WindowEnd != nil {
			ws, we, err1, err2 = *p.WindowStart, *p.WindowEnd, nil, nil
		}
		if err1 != nil || err2 != nil {
			return OutboxItem{}, false
		}
		n.Params["window_start"], n.Params["window_end"] = ws.UTC().Format(time.RFC3339), we.UTC().Format(time.RFC3339)
		n.Kind = NotifyPickupScheduled
		// A plan for the same day with a planned time is "the courier is
		// coming today": time-critical, and pointless after the window.
		if s.ETA != "" && ws.In(vnZone).Format("2006-01-02") == ev.ServerAt.In(vnZone).Format("2006-01-02") {
			if eta, err := time.Parse(time.RFC3339, s.ETA); err == nil {
				n.Kind = NotifyPickupOnTheWay
				n.Params["eta"] = eta.UTC().Format(time.RFC3339)
			}
		}
		expires(we)
	case tracking.PickupAttemptFailed:
		var f tracking.PickupFailed
		_ = json.Unmarshal(ev.Data, &f)
		n.Kind, n.Params["reason"] = NotifyPickupFailed, string(f.Reason)
	case tracking.PickupCollected:
		total := 0
		for _, c := range out.Collected {
			total += c.Count
		}
		n.Kind, n.Params["count"] = NotifyCollected, strconv.Itoa(total)
		if p.ReceiptCode != "" {
			n.Params["receipt_code"] = p.ReceiptCode
		}
		var c tracking.Collected
		if json.Unmarshal(ev.Data, &c) == nil && c.Partial {
			n.Params["partial"] = "1"
		}
	case tracking.HandoffConfirmed:
		if out.Status != tracking.StatusAtDesk {
			return OutboxItem{}, false
		}
		n.Kind = NotifyAtDesk
	case tracking.DeskAccepted:
		var dd tracking.DeskDecision
		_ = json.Unmarshal(ev.Data, &dd)
		n.Kind = NotifyAccepted
		if dd.AppointmentDate != "" {
			n.Params["appointment_date"] = dd.AppointmentDate
		}
	case tracking.DeskReturnedIncomplete:
		var dd tracking.DeskDecision
		_ = json.Unmarshal(ev.Data, &dd)
		n.Kind, n.Params["reason"] = NotifyReturned, string(dd.Reason)
		var names []string
		for _, l := range dd.MissingLines {
			if l >= 1 && l <= len(p.Documents) {
				names = append(names, p.Documents[l-1].Name)
			}
		}
		if len(names) > 0 {
			n.Params["missing"] = strings.Join(names, "; ")
		}
	case tracking.ResultRegistered:
		n.Kind = NotifyResultReady
		if p.FeeAmount > 0 {
			n.Params["fee"] = strconv.FormatInt(p.FeeAmount, 10)
		}
	case tracking.DeliveryOut:
		n.Kind = NotifyResultOut
		if p.FeeAmount > 0 {
			n.Params["fee"] = strconv.FormatInt(p.FeeAmount, 10)
		}
		expires(endOfDay(at))
	case tracking.DeliveryAttemptFailed:
		var f tracking.DeliveryFailed
		_ = json.Unmarshal(ev.Data, &f)
		n.Kind, n.Params["cause"], n.Params["action"] = NotifyDeliveryFailed, string(f.Cause), string(f.Action)
		n.Params["attempts"] = strconv.Itoa(p.Attempts)
	case tracking.DeliveryHeld:
		n.Kind = NotifyHeld
		if p.Custodian.Kind == tracking.PartyOffice {
			n.Params["office"] = p.Custodian.Ref
		}
	case tracking.DeliveryCompleted:
		n.Kind = NotifyDelivered
	case tracking.DeliveryReturnedToDesk:
		n.Kind = NotifyReturnedToDesk
		n.Params["attempts"] = strconv.Itoa(p.Attempts)
	case tracking.ParcelCancelled:
		if ev.Actor.Kind == tracking.PartyCitizen {
			return OutboxItem{}, false // they know
		}
		n.Kind = NotifyCancelled
	case tracking.PickupWindowChanged, tracking.PickupNotHome, tracking.PickupAddressCorrected:
		if ev.Actor.Kind == tracking.PartyCitizen {
			return OutboxItem{}, false // they made the change themselves
		}
		n.Kind = NotifyPickupChanged
		switch ev.Type {
		case tracking.PickupWindowChanged:
			var w tracking.WindowChanged
			if json.Unmarshal(ev.Data, &w) == nil {
				n.Params["window_start"], n.Params["window_end"] = w.WindowStart, w.WindowEnd
			}
			n.Params["reason"] = "window"
		case tracking.PickupNotHome:
			n.Params["reason"] = "not_home"
		default:
			n.Params["reason"] = "address"
		}
	default:
		return OutboxItem{}, false
	}
	if len(n.Params) == 0 {
		n.Params = nil
	}
	b, err := json.Marshal(n)
	if err != nil {
		return OutboxItem{}, false
	}
	return OutboxItem{Topic: TopicNotify, OrderKey: p.DossierID, Target: n.Kind, Payload: b}, true
}

// CallbackSet remembers which portal clients have a callback URL, so the
// ledger's hook can decide without a query inside its transaction. It errs
// toward writing rows: a client it has not seen (or anything before the
// first load) counts as having one, and the relay discards a row whose
// client turns out to have no URL. A miss asks for a refresh.
type CallbackSet struct {
	mu     sync.RWMutex
	loaded bool
	has    map[string]bool
	miss   chan struct{}
}

// NewCallbackSet returns an empty set that answers true until loaded.
func NewCallbackSet() *CallbackSet {
	return &CallbackSet{has: map[string]bool{}, miss: make(chan struct{}, 1)}
}

// Has reports whether client has (or may have) a callback URL.
func (c *CallbackSet) Has(client string) bool {
	c.mu.RLock()
	v, ok := c.has[client]
	loaded := c.loaded
	c.mu.RUnlock()
	if !loaded || !ok {
		select {
		case c.miss <- struct{}{}:
		default:
		}
		return true
	}
	return v
}

// Replace installs a fresh view: client id → has an active callback URL.
func (c *CallbackSet) Replace(m map[string]bool) {
	c.mu.Lock()
	c.has, c.loaded = m, true
	c.mu.Unlock()
}

// Misses signals when Has met a client it did not know.
func (c *CallbackSet) Misses() <-chan struct{} { return c.miss }

// CallbackTarget is where a client's callbacks go, the secret they are
// signed with and their shape. An empty URL means the client has none (or
// is inactive).
type CallbackTarget struct {
	URL    string
	Secret []byte
	Shape  string // ShapeHoso or ShapeOpenCPS
}

// CallbackTarget returns where, with which secret and in which shape a
// client's callbacks go.
func (p *Portal) CallbackTarget(ctx context.Context, client string) (CallbackTarget, error) {
	c, err := p.Store.FindPortalClient(ctx, client)
	if errs.Is(err, errs.NotFound) {
		return CallbackTarget{}, nil
	}
	if err != nil {
		return CallbackTarget{}, err
	}
	if c.CallbackURL == "" || !c.Active {
		return CallbackTarget{}, nil
	}
	sec, err := p.Secret(c)
	if err != nil {
		return CallbackTarget{}, err
	}
	return CallbackTarget{URL: c.CallbackURL, Secret: sec, Shape: c.CallbackShape}, nil
}

// OutboxRow is a claimed outbox row as the relay sees it.
type OutboxRow struct {
	ID             int64
	Topic          string
	OrderKey       string
	Target         string
	EventID        string
	ParcelID       string
	Payload        []byte
	CreatedAt      time.Time
	Attempts       int // including the attempt this claim is for
	FirstAttemptAt time.Time
	Token          string // the claim's fencing token
	Later          bool   // a later row of the same topic and order key exists
}

// ClaimSpec asks for due rows of one topic.
type ClaimSpec struct {
	Topic      string
	Limit      int
	Now        time.Time
	LeaseUntil time.Time // claimed rows are not due again before this
	Token      string
	// BlockOnDead: a dead row holds back the later rows of its order key
	// until staff retry or discard it (strict order, the portal topic).
	BlockOnDead bool
}

// Settlement outcomes.
const (
	SettleSent    = "sent"    // delivered (or skipped on purpose: Note says why)
	SettleRetry   = "retry"   // failed; due again at Next
	SettleDead    = "dead"    // failed for good; on the dead-letter list
	SettleDefer   = "defer"   // not attempted (quiet hours, rate cap); due at Next
	SettleDiscard = "discard" // dropped by the system (Note says why)
)

// Settlement is what became of one claimed row.
type Settlement struct {
	ID       int64
	Token    string
	Topic    string
	OrderKey string
	Outcome  string
	At       time.Time
	Next     time.Time // SettleRetry, SettleDefer
	Error    string    // last error, never a response body, never a phone
	Note     string    // what happened (channel, segments, skip reason)
	// BlockOnDead mirrors the claim: a dead row holds its followers.
	BlockOnDead bool
}

// OutboxStat is the queue of one topic.
type OutboxStat struct {
	Topic   string
	Pending int        // not yet sent, not dead, not discarded
	Dead    int        // on the dead-letter list
	Oldest  *time.Time // creation of the oldest pending row
}

// Outbox states for the staff pages.
const (
	OutboxPending = "pending"
	OutboxSent    = "sent"
	OutboxDead    = "dead"
	OutboxAll     = "all" // every row, newest first (a client's callback history)
)

// OutboxFilter selects rows for the staff pages.
type OutboxFilter struct {
	Topic    string // "" for both
	State    string // OutboxPending, OutboxSent, OutboxDead
	Province string // "" for every province
	Target   string // "" for every target; a portal client id for its callbacks
	Parcel   string // "" for every parcel; a parcel id for its callbacks and messages
	Limit    int
}

// OutboxEntry is one row as staff see it: no phone beyond its last three
// digits, no payload beyond the status or template.
type OutboxEntry struct {
	ID            int64
	Topic         string
	Target        string // portal client id or notification kind
	Status        string // the callback's status (portal rows)
	Number        string
	DossierCode   string
	PhoneLast3    string
	CreatedAt     time.Time
	NextAt        time.Time
	SentAt        *time.Time
	DeadAt        *time.Time
	Attempts      int
	ManualRetries int
	LastError     string
	Result        string
	Held          int // later rows of the same order key waiting behind it
}

// NotifyTarget is what a notification sender needs of a parcel at send
// time. The phone stays sealed until the sender opens it in memory.
type NotifyTarget struct {
	ParcelID    string
	Number      string
	Leg         string
	DossierCode string
	PhoneEnc    []byte
	PhoneHash   []byte
	PhoneLast3  string
	DeskName    string
	OfficeName  string // of the office named in the payload, when any
	ReceiptCode string
	Demo        bool
	// VisitorText: the dossier code and document names were typed by a
	// visitor (a request of the citizen channel), so no message may quote
	// them.
	VisitorText bool
}

// OptOutLink is the state of a citizen's opt-out link.
type OptOutLink struct {
	ParcelID   string
	PhoneLast3 string
	OptedOut   bool
}

// ParseOptOutReply reads a citizen's SMS reply: out for a stop keyword
// ("TC", "Từ chối", "HUY", "STOP"…), in for a restart keyword ("DK",
// "Đăng ký", "START"); neither for anything else. Case, accents and spacing
// do not matter.
func ParseOptOutReply(text string) (out, in bool) {
	switch vntext.Fold(text) {
	case "tc", "tu choi", "huy", "huy tin", "huy tin nhan", "stop", "dung", "khong nhan", "ngung":
		return true, false
	case "dk", "dang ky", "nhan tin", "start":
		return false, true
	}
	return false, false
}
