package app

import (
	"testing"
	"time"
)

func TestRetentionCounterDay(t *testing.T) {
	vn := time.FixedZone("ICT", 7*3600)
	p := DefaultRetention(vn)
	tests := []struct {
		now  time.Time
		want string
	}{
		// 19:00 on 24 Nov in Vietnam: the 22nd ended 43 h ago and is kept.
		{time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), "2026-11-22"},
		// 00:30 on 24 Nov in Vietnam: the 21st ended 48.5 h ago and goes.
		{time.Date(2026, 11, 23, 17, 30, 0, 0, time.UTC), "2026-11-22"},
		// 23:30 on 23 Nov in Vietnam: the 21st ended 47.5 h ago and stays.
		{time.Date(2026, 11, 23, 16, 30, 0, 0, time.UTC), "2026-11-21"},
	}
	for _, tt := range tests {
		if got := p.CounterDay(tt.now); got != tt.want {
			t.Errorf("CounterDay(%v) = %s, want %s", tt.now, got, tt.want)
		}
	}
}

func TestRetentionPolicyValidate(t *testing.T) {
	if err := DefaultRetention(time.UTC).Validate(); err != nil {
		t.Errorf("default policy: %v", err)
	}
	tests := []struct {
		name string
		edit func(p *RetentionPolicy)
	}{
		{"zero parcel limit", func(p *RetentionPolicy) { p.ParcelAfterEnd = 0 }},
		{"negative outbox limit", func(p *RetentionPolicy) { p.Outbox = -time.Hour }},
		{"no zone", func(p *RetentionPolicy) { p.Zone = nil }},
		{"zero batch", func(p *RetentionPolicy) { p.Batch = 0 }},
	}
	for _, tt := range tests {
		p := DefaultRetention(time.UTC)
		tt.edit(&p)
		if err := p.Validate(); err == nil {
			t.Errorf("%s: accepted", tt.name)
		}
	}
}

func TestRetentionCountsLogNoMoreThanCounts(t *testing.T) {
	c := RetentionCounts{ParcelsErased: 1, DeviceEvents: 2, SMS: 3, Flows: 4, DoorCodes: 5, OTPCodes: 6, CourierTokens: 7, Outbox: 8, NotifyCounters: 9}
	if c.Total() != 45 {
		t.Errorf("Total = %d, want 45", c.Total())
	}
	args := c.LogArgs()
	if len(args) != 18 {
		t.Fatalf("%d log args, want 9 pairs", len(args))
	}
	sum := 0
	for i := 0; i < len(args); i += 2 {
		if _, ok := args[i].(string); !ok {
			t.Errorf("key %v is not a string", args[i])
		}
		n, ok := args[i+1].(int)
		if !ok {
			t.Errorf("value of %v is not a count", args[i])
		}
		sum += n
	}
	if sum != c.Total() {
		t.Errorf("logged counts add up to %d, want %d", sum, c.Total())
	}
}
