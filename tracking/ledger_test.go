package tracking_test

import (
	"strings"
	"testing"
	"time"

	"hoso/internal/errs"
	"hoso/tracking"
)

func decide(t *testing.T, st tracking.State, typ tracking.EventType, actor tracking.Party, data any) (tracking.State, tracking.Outcome, error) {
	t.Helper()
	ev := tracking.Event{Type: typ, Actor: actor, ServerAt: time.Unix(1_790_000_000, 0), Data: mustData(data)}
	n := 0
	out, err := tracking.Decide(st, ev, tracking.DefaultPolicy, func() string { n++; return "h" + string(rune('0'+n)) })
	if err != nil {
		return st, out, err
	}
	return st.Apply(out), out, nil
}

func collectedState(t *testing.T) tracking.State {
	t.Helper()
	st := tracking.State{Leg: tracking.LegPickup, Documents: docs}
	st, _, err := decide(t, st, tracking.PickupRequested, portalA, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	st, _, err = decide(t, st, tracking.PickupCollected, courierA, tracking.Collected{
		Documents: []tracking.DocCount{{Line: 1, Count: 1}, {Line: 2, Count: 2}}, SealID: "NP-42",
		Proof: &tracking.Proof{Method: tracking.ProofSignature, SHA256: strings.Repeat("ab", 32), CheckedBy: tracking.CheckedByServer}})
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestDecideRules(t *testing.T) {
	good := []tracking.DocCount{{Line: 1, Count: 1}, {Line: 2, Count: 2}}
	tests := []struct {
		name     string
		setup    func(t *testing.T) tracking.State
		typ      tracking.EventType
		actor    tracking.Party
		data     any
		wantErr  errs.Kind
		wantType tracking.EventType
		wantCust tracking.Party
	}{
		{name: "collect short without partial", setup: func(t *testing.T) tracking.State {
			st, _, _ := decide(t, tracking.State{Leg: tracking.LegPickup, Documents: docs}, tracking.PickupRequested, portalA, map[string]any{})
			return st
		}, typ: tracking.PickupCollected, actor: courierA, data: tracking.Collected{Documents: []tracking.DocCount{{Line: 1, Count: 1}, {Line: 2, Count: 1}},
			SealID: "NP-1", Proof: &tracking.Proof{Method: tracking.ProofSignature, SHA256: strings.Repeat("ab", 32), CheckedBy: tracking.CheckedByServer}}, wantErr: errs.Unprocessable},
		{name: "collect with bad seal", setup: func(t *testing.T) tracking.State {
			st, _, _ := decide(t, tracking.State{Leg: tracking.LegPickup, Documents: docs}, tracking.PickupRequested, portalA, map[string]any{})
			return st
		}, typ: tracking.PickupCollected, actor: courierA, data: tracking.Collected{Documents: good, SealID: "x", Proof: &tracking.Proof{Method: tracking.ProofSignature, SHA256: strings.Repeat("ab", 32), CheckedBy: tracking.CheckedByServer}},
			wantErr: errs.Unprocessable},
		{name: "collect without the citizen's confirmation", setup: func(t *testing.T) tracking.State {
			st, _, _ := decide(t, tracking.State{Leg: tracking.LegPickup, Documents: docs}, tracking.PickupRequested, portalA, map[string]any{})
			return st
		}, typ: tracking.PickupCollected, actor: courierA, data: tracking.Collected{Documents: good, SealID: "NP-1", Proof: &tracking.Proof{Method: tracking.ProofDoorCode, Commit: strings.Repeat("ab", 32)}},
			wantErr: errs.Unprocessable},
		{name: "collect with a device's own claim that a code was checked", setup: func(t *testing.T) tracking.State {
			st, _, _ := decide(t, tracking.State{Leg: tracking.LegPickup, Documents: docs}, tracking.PickupRequested, portalA, map[string]any{})
			return st
		}, typ: tracking.PickupCollected, actor: courierA, data: map[string]any{"documents": good, "seal_id": "NP-1", "method": "otp", "otp_verified": true},
			wantErr: errs.Unprocessable},
		{name: "collect with no proof", setup: func(t *testing.T) tracking.State {
			st, _, _ := decide(t, tracking.State{Leg: tracking.LegPickup, Documents: docs}, tracking.PickupRequested, portalA, map[string]any{})
			return st
		}, typ: tracking.PickupCollected, actor: courierA, data: tracking.Collected{Documents: good, SealID: "NP-1"}, wantErr: errs.Unprocessable},
		{name: "desk cannot collect", setup: func(t *testing.T) tracking.State {
			st, _, _ := decide(t, tracking.State{Leg: tracking.LegPickup, Documents: docs}, tracking.PickupRequested, portalA, map[string]any{})
			return st
		}, typ: tracking.PickupCollected, actor: deskA, data: tracking.Collected{Documents: good, SealID: "NP-1", Proof: &tracking.Proof{Method: tracking.ProofSignature, SHA256: strings.Repeat("ab", 32), CheckedBy: tracking.CheckedByServer}},
			wantErr: errs.Forbidden},
		{name: "release by someone who does not hold it", setup: collectedState, typ: tracking.HandoffReleased, actor: courierB,
			data: tracking.Released{To: officeA.String()}, wantErr: errs.Forbidden},
		{name: "release to oneself", setup: collectedState, typ: tracking.HandoffReleased, actor: courierA,
			data: tracking.Released{To: courierA.String()}, wantErr: errs.Unprocessable},
		{name: "release to the citizen", setup: collectedState, typ: tracking.HandoffReleased, actor: courierA,
			data: tracking.Released{To: "citizen:"}, wantErr: errs.Unprocessable},
		{name: "cancel after collection", setup: collectedState, typ: tracking.ParcelCancelled, actor: portalA, data: tracking.Cancelled{}, wantErr: errs.Conflict},
		{name: "confirm without release", setup: collectedState, typ: tracking.HandoffConfirmed, actor: officeA, data: tracking.Confirmed{}, wantErr: errs.Conflict},
		{name: "confirm by the wrong receiver", setup: func(t *testing.T) tracking.State {
			st := collectedState(t)
			st, _, _ = decide(t, st, tracking.HandoffReleased, courierA, tracking.Released{To: officeA.String()})
			return st
		}, typ: tracking.HandoffConfirmed, actor: deskA, data: tracking.Confirmed{}, wantErr: errs.Forbidden},
		{name: "second release while pending", setup: func(t *testing.T) tracking.State {
			st := collectedState(t)
			st, _, _ = decide(t, st, tracking.HandoffReleased, courierA, tracking.Released{To: officeA.String()})
			return st
		}, typ: tracking.HandoffReleased, actor: courierA, data: tracking.Released{To: deskA.String()}, wantErr: errs.Conflict},
		{name: "confirm with a different seal becomes a dispute", setup: func(t *testing.T) tracking.State {
			st := collectedState(t)
			st, _, _ = decide(t, st, tracking.HandoffReleased, courierA, tracking.Released{To: officeA.String()})
			return st
		}, typ: tracking.HandoffConfirmed, actor: officeA, data: tracking.Confirmed{SealID: "NP-99"}, wantType: tracking.HandoffDisputed, wantCust: courierA},
		{name: "confirm with a broken seal becomes a dispute", setup: func(t *testing.T) tracking.State {
			st := collectedState(t)
			st, _, _ = decide(t, st, tracking.HandoffReleased, courierA, tracking.Released{To: officeA.String()})
			return st
		}, typ: tracking.HandoffConfirmed, actor: officeA, data: map[string]any{"seal_intact": false}, wantType: tracking.HandoffDisputed, wantCust: courierA},
		{name: "confirm with a short count becomes a dispute", setup: func(t *testing.T) tracking.State {
			st := collectedState(t)
			st, _, _ = decide(t, st, tracking.HandoffReleased, courierA, tracking.Released{To: deskA.String()})
			return st
		}, typ: tracking.HandoffConfirmed, actor: deskA, data: tracking.Confirmed{Documents: []tracking.DocCount{{Line: 1, Count: 1}, {Line: 2, Count: 1}}},
			wantType: tracking.HandoffDisputed, wantCust: courierA},
		{name: "desk must count", setup: func(t *testing.T) tracking.State {
			st := collectedState(t)
			st, _, _ = decide(t, st, tracking.HandoffReleased, courierA, tracking.Released{To: deskA.String()})
			return st
		}, typ: tracking.HandoffConfirmed, actor: deskA, data: tracking.Confirmed{}, wantErr: errs.Unprocessable},
		{name: "desk counts all: custody to the desk", setup: func(t *testing.T) tracking.State {
			st := collectedState(t)
			st, _, _ = decide(t, st, tracking.HandoffReleased, courierA, tracking.Released{To: deskA.String()})
			return st
		}, typ: tracking.HandoffConfirmed, actor: deskA, data: tracking.Confirmed{Documents: good}, wantType: tracking.HandoffConfirmed, wantCust: deskA},
		{name: "unknown field in data", setup: collectedState, typ: tracking.HandoffReleased, actor: courierA,
			data: map[string]any{"to": officeA.String(), "extra": 1}, wantErr: errs.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := tt.setup(t)
			after, out, err := decide(t, st, tt.typ, tt.actor, tt.data)
			if tt.wantErr != "" {
				if !errs.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if out.Type != tt.wantType || after.Custodian != tt.wantCust {
				t.Errorf("type %s custodian %+v, want %s %+v", out.Type, after.Custodian, tt.wantType, tt.wantCust)
			}
		})
	}
}

func TestReturnLegToDeskAfterAttempts(t *testing.T) {
	st := tracking.State{Leg: tracking.LegReturn, Documents: docs}
	st, _, err := decide(t, st, tracking.ResultRegistered, deskA, map[string]any{})
	if err != nil || st.Custodian != deskA || st.Status != tracking.StatusReady {
		t.Fatalf("registered: %+v %v", st, err)
	}
	step := func(typ tracking.EventType, actor tracking.Party, data any) {
		t.Helper()
		var err error
		if st, _, err = decide(t, st, typ, actor, data); err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
	}
	step(tracking.HandoffReleased, deskA, tracking.Released{To: courierA.String()})
	step(tracking.HandoffConfirmed, courierA, tracking.Confirmed{})
	for i := 0; i < 3; i++ {
		step(tracking.DeliveryOut, courierA, map[string]any{})
		if i == 0 {
			// Back to the desk is refused before the last attempt.
			if _, _, err := decide(t, st, tracking.DeliveryAttemptFailed, courierA, tracking.DeliveryFailed{Cause: "not_home", Action: "retry_next_day"}); err != nil {
				t.Fatal(err)
			}
		}
		step(tracking.DeliveryAttemptFailed, courierA, tracking.DeliveryFailed{Cause: "not_home", Action: "retry_next_day"})
		if i < 2 {
			if _, _, err := decide(t, st, tracking.HandoffReleased, courierA, tracking.Released{To: deskA.String()}); !errs.Is(err, errs.Unprocessable) {
				t.Fatalf("return to desk after %d attempts: %v", i+1, err)
			}
		}
	}
	if st.Attempts != 3 {
		t.Fatalf("attempts = %d", st.Attempts)
	}
	step(tracking.HandoffReleased, courierA, tracking.Released{To: deskA.String()})
	after, out, err := decide(t, st, tracking.HandoffConfirmed, deskA, tracking.Confirmed{})
	if err != nil || out.Type != tracking.DeliveryReturnedToDesk || after.Status != tracking.StatusReturnedToDesk || after.Custodian != deskA {
		t.Fatalf("returned: %s %s %+v %v", out.Type, after.Status, after.Custodian, err)
	}
	// Delivery needs the recipient verified and a signature or photo.
	st2 := st
	st2.Status, st2.Pending = tracking.StatusOutForDelivery, nil
	if _, _, err := decide(t, st2, tracking.DeliveryCompleted, courierA, tracking.Delivered{Proof: &tracking.Proof{Method: tracking.ProofProxy, CheckedBy: tracking.CheckedByCourier},
		PhotoSHA: strings.Repeat("cd", 32)}); !errs.Is(err, errs.Unprocessable) {
		t.Errorf("proxy without authorisation: %v", err)
	}
	for name, data := range map[string]any{
		"a bare verification kind":   map[string]any{"verification": "otp", "signature_sha256": strings.Repeat("cd", 32), "fee_collected": 0},
		"id digits not checked":      tracking.Delivered{Proof: &tracking.Proof{Method: tracking.ProofIDDigits, Commit: strings.Repeat("ab", 32)}, SignatureSHA: strings.Repeat("cd", 32)},
		"a proof but no image":       tracking.Delivered{Proof: &tracking.Proof{Method: tracking.ProofDoorCode, Commit: strings.Repeat("ab", 32), CheckedBy: tracking.CheckedByServer}},
		"a proxy the server checked": tracking.Delivered{Proof: &tracking.Proof{Method: tracking.ProofProxy, ProxyName: "A", Authorisation: "B", CheckedBy: tracking.CheckedByServer}, PhotoSHA: strings.Repeat("cd", 32)},
	} {
		if _, _, err := decide(t, st2, tracking.DeliveryCompleted, courierA, data); !errs.Is(err, errs.Unprocessable) {
			t.Errorf("delivery with %s: %v", name, err)
		}
	}
	if _, out, err := decide(t, st2, tracking.DeliveryCompleted, courierA, tracking.Delivered{Proof: &tracking.Proof{Method: tracking.ProofIDDigits,
		Commit: strings.Repeat("ab", 32), CheckedBy: tracking.CheckedByServer, Digits: 3}, SignatureSHA: strings.Repeat("cd", 32), FeeCollected: 0}); err != nil || out.Custodian == nil {
		t.Errorf("delivery checked by the server: %v", err)
	}
}

func TestCanonicalJSON(t *testing.T) {
	a, err := tracking.CanonicalJSON([]byte(` {"b": 1.50, "a": "<x>", "c": {"z": [1, 2], "y": null}} `))
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != `{"a":"<x>","b":1.50,"c":{"y":null,"z":[1,2]}}` {
		t.Errorf("canonical = %s", a)
	}
	for _, bad := range []string{`[1]`, `"x"`, `{"a":1} {"b":2}`, `{`} {
		if _, err := tracking.CanonicalJSON([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzCanonicalJSON(f *testing.F) {
	f.Add([]byte(`{"a":1,"b":[true,null,"x"]}`))
	f.Add([]byte(`{"ậ":"\u00e9","n":1e3}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := tracking.CanonicalJSON(b)
		if err != nil {
			return
		}
		again, err := tracking.CanonicalJSON(c)
		if err != nil || string(again) != string(c) {
			t.Fatalf("not a fixed point: %s → %s (%v)", c, again, err)
		}
	})
}
