package app

import (
	"errors"
	"fmt"
	"time"
)

// RetentionPolicy is how long each kind of personal data is kept after the
// event that ends its use (docs/operations.md section 4). The housekeeping
// job erases or deletes what is older, in batches of Batch rows.
type RetentionPolicy struct {
	// ParcelAfterEnd: a parcel's name, phone and address line after its
	// journey is over (one year for complaints, counted as 366 days so a
	// leap year never cuts it short).
	ParcelAfterEnd time.Duration
	// RejectedEvents: a rejected courier event after the dispatcher resolved it.
	RejectedEvents time.Duration
	// DemoMessages: a message of the demo SMS store after it was sent.
	DemoMessages time.Duration
	// FlowUnverified: a citizen request flow that never created a pickup,
	// after it expired.
	FlowUnverified time.Duration
	// FlowRateWindow: no flow younger than this is deleted, whatever its
	// state: the citizen flow's rate limit counts the flows of a phone over
	// the last hour.
	FlowRateWindow time.Duration
	// FlowAfterPickup: a verified flow after the pickup it created was
	// created (after its expiry when it created none).
	FlowAfterPickup time.Duration
	// Codes: door codes and one-time codes after they were used or expired.
	Codes time.Duration
	// CourierTokens: a courier app token after it expired.
	CourierTokens time.Duration
	// Outbox: an outbox row after it was sent.
	Outbox time.Duration
	// Counters: a notification counter after its day ended.
	Counters time.Duration
	// Zone is the time zone of the counters' days (Vietnam).
	Zone *time.Location
	// Batch is the most rows one statement touches.
	Batch int
}

// DefaultRetention is the policy of docs/operations.md section 4.
func DefaultRetention(zone *time.Location) RetentionPolicy {
	const day = 24 * time.Hour
	return RetentionPolicy{
		ParcelAfterEnd:  366 * day,
		RejectedEvents:  90 * day,
		DemoMessages:    30 * day,
		FlowUnverified:  30 * time.Minute,
		FlowRateWindow:  time.Hour,
		FlowAfterPickup: 7 * day,
		Codes:           7 * day,
		CourierTokens:   7 * day,
		Outbox:          90 * day,
		Counters:        2 * day,
		Zone:            zone,
		Batch:           1000,
	}
}

// Validate refuses a policy that would delete data still in use.
func (p RetentionPolicy) Validate() error {
	var bad []error
	for _, f := range []struct {
		name string
		d    time.Duration
	}{{"parcels", p.ParcelAfterEnd}, {"rejected events", p.RejectedEvents}, {"sms", p.DemoMessages}, {"unverified flows", p.FlowUnverified},
		{"flow rate window", p.FlowRateWindow}, {"verified flows", p.FlowAfterPickup}, {"codes", p.Codes}, {"courier tokens", p.CourierTokens},
		{"outbox", p.Outbox}, {"counters", p.Counters}} {
		if f.d <= 0 {
			bad = append(bad, fmt.Errorf("retention of %s: %v is not positive", f.name, f.d))
		}
	}
	if p.Zone == nil {
		bad = append(bad, errors.New("retention: no time zone for the counters' days"))
	}
	if p.Batch < 1 {
		bad = append(bad, fmt.Errorf("retention: batch %d is not positive", p.Batch))
	}
	return errors.Join(bad...)
}

// CounterDay is the first notification-counter day (YYYY-MM-DD, local)
// kept at now: a day is dropped once it ended more than Counters ago.
func (p RetentionPolicy) CounterDay(now time.Time) string {
	return now.Add(-p.Counters).In(p.Zone).Format("2006-01-02")
}

// RetentionCounts is what one run erased or deleted, by kind. It holds
// counts only, never personal data, so it can be logged as is.
type RetentionCounts struct {
	ParcelsErased  int
	DeviceEvents   int
	SMS            int
	Flows          int
	DoorCodes      int
	OTPCodes       int
	CourierTokens  int
	Outbox         int
	NotifyCounters int
}

// Total is the sum of every kind.
func (c RetentionCounts) Total() int {
	return c.ParcelsErased + c.DeviceEvents + c.SMS + c.Flows + c.DoorCodes + c.OTPCodes + c.CourierTokens + c.Outbox + c.NotifyCounters
}

// LogArgs are the counts as slog key-value pairs.
func (c RetentionCounts) LogArgs() []any {
	return []any{"parcels_erased", c.ParcelsErased, "device_events", c.DeviceEvents, "sms_messages", c.SMS,
		"citizen_flows", c.Flows, "door_codes", c.DoorCodes, "otp_codes", c.OTPCodes, "courier_tokens", c.CourierTokens,
		"outbox", c.Outbox, "notify_counters", c.NotifyCounters}
}
