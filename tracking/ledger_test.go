package tracking_test

import (
	"encoding/json"
	"fmt"
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

var yes, no = true, false

// sealOK is a counter's statement that the seal is intact with the id
// collectedState recorded.
func sealOK(d tracking.Confirmed) tracking.Confirmed {
	d.SealIntact, d.SealID = &yes, "NP-42"
	return d
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
		}, typ: tracking.HandoffConfirmed, actor: officeA, data: tracking.Confirmed{SealIntact: &yes, SealID: "NP-99"}, wantType: tracking.HandoffDisputed, wantCust: courierA},
		{name: "confirm with a broken seal becomes a dispute", setup: func(t *testing.T) tracking.State {
			st := collectedState(t)
			st, _, _ = decide(t, st, tracking.HandoffReleased, courierA, tracking.Released{To: officeA.String()})
			return st
		}, typ: tracking.HandoffConfirmed, actor: officeA, data: map[string]any{"seal_intact": false}, wantType: tracking.HandoffDisputed, wantCust: courierA},
		{name: "confirm with a short count becomes a dispute", setup: func(t *testing.T) tracking.State {
			st := collectedState(t)
			st, _, _ = decide(t, st, tracking.HandoffReleased, courierA, tracking.Released{To: deskA.String()})
			return st
		}, typ: tracking.HandoffConfirmed, actor: deskA, data: sealOK(tracking.Confirmed{Documents: []tracking.DocCount{{Line: 1, Count: 1}, {Line: 2, Count: 1}}}),
			wantType: tracking.HandoffDisputed, wantCust: courierA},
		{name: "desk must count", setup: func(t *testing.T) tracking.State {
			st := collectedState(t)
			st, _, _ = decide(t, st, tracking.HandoffReleased, courierA, tracking.Released{To: deskA.String()})
			return st
		}, typ: tracking.HandoffConfirmed, actor: deskA, data: sealOK(tracking.Confirmed{}), wantErr: errs.Unprocessable},
		{name: "desk counts all: custody to the desk", setup: func(t *testing.T) tracking.State {
			st := collectedState(t)
			st, _, _ = decide(t, st, tracking.HandoffReleased, courierA, tracking.Released{To: deskA.String()})
			return st
		}, typ: tracking.HandoffConfirmed, actor: deskA, data: sealOK(tracking.Confirmed{Documents: good}), wantType: tracking.HandoffConfirmed, wantCust: deskA},
		{name: "office does not state the seal", setup: releasedTo(officeA), typ: tracking.HandoffConfirmed, actor: officeA,
			data: tracking.Confirmed{}, wantErr: errs.Unprocessable},
		{name: "office says intact without reading the seal", setup: releasedTo(officeA), typ: tracking.HandoffConfirmed, actor: officeA,
			data: tracking.Confirmed{SealIntact: &yes}, wantErr: errs.Unprocessable},
		{name: "office reads a malformed seal", setup: releasedTo(officeA), typ: tracking.HandoffConfirmed, actor: officeA,
			data: tracking.Confirmed{SealIntact: &yes, SealID: "np 42"}, wantErr: errs.Unprocessable},
		{name: "office reads the recorded seal: custody to the office", setup: releasedTo(officeA), typ: tracking.HandoffConfirmed, actor: officeA,
			data: sealOK(tracking.Confirmed{}), wantType: tracking.HandoffConfirmed, wantCust: officeA},
		{name: "office finds the parcel missing: no seal to state", setup: releasedTo(officeA), typ: tracking.HandoffDisputed, actor: officeA,
			data: tracking.Confirmed{Problem: "missing_parcel"}, wantType: tracking.HandoffDisputed, wantCust: courierA},
		{name: "desk disputes a document without stating the seal", setup: releasedTo(deskA), typ: tracking.HandoffDisputed, actor: deskA,
			data: tracking.Confirmed{Problem: "document_missing"}, wantErr: errs.Unprocessable},
		{name: "a courier receiving need not state the seal", setup: releasedTo(courierB), typ: tracking.HandoffConfirmed, actor: courierB,
			data: tracking.Confirmed{}, wantType: tracking.HandoffConfirmed, wantCust: courierB},
		{name: "a courier's stated seal is compared too", setup: releasedTo(courierB), typ: tracking.HandoffConfirmed, actor: courierB,
			data: tracking.Confirmed{SealIntact: &yes, SealID: "NP-43"}, wantType: tracking.HandoffDisputed, wantCust: courierA},
		{name: "only the desk seals a release", setup: collectedState, typ: tracking.HandoffReleased, actor: courierA,
			data: tracking.Released{To: officeA.String(), SealID: "NP-77"}, wantErr: errs.Unprocessable},
		{name: "recall with nothing pending", setup: collectedState, typ: tracking.HandoffRecalled, actor: dispatcherA,
			data: tracking.Recalled{Reason: "không ai nhận"}, wantErr: errs.Conflict},
		{name: "recall by the receiver", setup: releasedTo(officeA), typ: tracking.HandoffRecalled, actor: officeA,
			data: tracking.Recalled{Reason: "không ai nhận"}, wantErr: errs.Forbidden},
		{name: "recall without a reason", setup: releasedTo(officeA), typ: tracking.HandoffRecalled, actor: dispatcherA,
			data: tracking.Recalled{}, wantErr: errs.Unprocessable},
		{name: "recall keeps custody with the giver", setup: releasedTo(officeA), typ: tracking.HandoffRecalled, actor: dispatcherA,
			data: tracking.Recalled{Reason: "bưu cục không tồn tại"}, wantType: tracking.HandoffRecalled, wantCust: courierA},
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

var dispatcherA = tracking.Party{Kind: tracking.PartyDispatcher, Ref: "DP1"}

// releasedTo is collectedState with the courier's release to a receiver.
func releasedTo(to tracking.Party) func(t *testing.T) tracking.State {
	return func(t *testing.T) tracking.State {
		st := collectedState(t)
		st, _, err := decide(t, st, tracking.HandoffReleased, courierA, tracking.Released{To: to.String()})
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
}

// TestRecallThenReleaseAgain: a recalled release closes the pending
// hand-off; the giver, still custodian, releases again.
func TestRecallThenReleaseAgain(t *testing.T) {
	st := releasedTo(tracking.Party{Kind: tracking.PartyOffice, Ref: "BC-99999"})(t)
	after, out, err := decide(t, st, tracking.HandoffRecalled, dispatcherA, tracking.Recalled{Reason: "bưu cục không tồn tại"})
	if err != nil || out.Close != "recalled" || after.Pending != nil || after.Custodian != courierA || after.Status != st.Status {
		t.Fatalf("recall: %+v %+v %v", out, after, err)
	}
	var d tracking.Recalled
	if err := json.Unmarshal(out.Data, &d); err != nil || d.Handoff != st.Pending.ID {
		t.Fatalf("recall data %s names hand-off %q, want %q", out.Data, d.Handoff, st.Pending.ID)
	}
	if _, _, err := decide(t, after, tracking.HandoffReleased, courierA, tracking.Released{To: officeA.String()}); err != nil {
		t.Fatalf("release after recall: %v", err)
	}
}

// TestSealDifferences lists what a counter found different, never what
// was expected.
func TestSealDifferences(t *testing.T) {
	st := collectedState(t) // NP-42; lines 1×1, 2×2
	cases := []struct {
		name string
		d    tracking.Confirmed
		want string
	}{
		{"all matches", sealOK(tracking.Confirmed{Documents: []tracking.DocCount{{Line: 1, Count: 1}, {Line: 2, Count: 2}}}), "[]"},
		{"seal broken", tracking.Confirmed{SealIntact: &no}, "[{seal_broken 0 0}]"},
		{"other seal", tracking.Confirmed{SealIntact: &yes, SealID: "NP-41"}, "[{seal_mismatch 0 0}]"},
		{"one short, one over", sealOK(tracking.Confirmed{Documents: []tracking.DocCount{{Line: 1, Count: 0}, {Line: 2, Count: 3}}}),
			"[{document_missing 1 0} {count_mismatch 2 3}]"},
		{"damaged and seal", tracking.Confirmed{SealIntact: &yes, SealID: "NP-1", Documents: []tracking.DocCount{{Line: 1, Count: 1, Condition: "damaged"}, {Line: 2, Count: 2}}},
			"[{seal_mismatch 0 0} {damaged 1 1}]"},
	}
	for _, c := range cases {
		if got := fmt.Sprint(tracking.Differences(st, c.d)); got != c.want && !(c.want == "[]" && got == "[]") {
			t.Errorf("%s: %s, want %s", c.name, got, c.want)
		}
	}
	// A seal stated where none was recorded cannot match.
	st.SealID = ""
	if got := fmt.Sprint(tracking.Differences(st, sealOK(tracking.Confirmed{}))); got != "[{seal_mismatch 0 0}]" {
		t.Errorf("no recorded seal: %s", got)
	}
}

// TestReturnLegSealedAtTheDesk: the desk seals the result when it hands it
// to the post; counters compare; the door refuses a delivery without the
// seal or with another; a broken seal at the door opens an incident naming
// the courier.
func TestReturnLegSealedAtTheDesk(t *testing.T) {
	st := tracking.State{Leg: tracking.LegReturn, Documents: docs}
	st, _, err := decide(t, st, tracking.ResultRegistered, deskA, map[string]any{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := decide(t, st, tracking.HandoffReleased, deskA, tracking.Released{To: courierA.String()}); !errs.Is(err, errs.Unprocessable) {
		t.Fatalf("unsealed release by the desk: %v", err)
	}
	// To the office of the parcel: confirmed at its counter against the seal.
	viaOffice, out, err := decide(t, st, tracking.HandoffReleased, deskA, tracking.Released{To: officeA.String(), SealID: "KQ-7"})
	if err != nil || out.SealID != "KQ-7" || viaOffice.SealID != "KQ-7" {
		t.Fatalf("sealed release to the office: %+v %v", out, err)
	}
	if _, out, _ := decide(t, viaOffice, tracking.HandoffConfirmed, officeA, tracking.Confirmed{SealIntact: &yes, SealID: "KQ-8"}); out.Type != tracking.HandoffDisputed {
		t.Fatalf("office reads another seal: %s", out.Type)
	}
	if after, out, err := decide(t, viaOffice, tracking.HandoffConfirmed, officeA, tracking.Confirmed{SealIntact: &yes, SealID: "KQ-7"}); err != nil ||
		out.Type != tracking.HandoffConfirmed || after.Status != tracking.StatusAtOffice || after.Custodian != officeA {
		t.Fatalf("office confirms the result: %s %s %v", out.Type, after.Status, err)
	}
	// To a courier, then out for delivery.
	st, _, err = decide(t, st, tracking.HandoffReleased, deskA, tracking.Released{To: courierA.String(), SealID: "KQ-7"})
	if err != nil {
		t.Fatal(err)
	}
	st, _, _ = decide(t, st, tracking.HandoffConfirmed, courierA, tracking.Confirmed{})
	st, _, err = decide(t, st, tracking.DeliveryOut, courierA, map[string]any{})
	if err != nil || st.SealID != "KQ-7" {
		t.Fatalf("out: %v %q", err, st.SealID)
	}
	deliver := func(seal string) error {
		_, _, err := decide(t, st, tracking.DeliveryCompleted, courierA, tracking.Delivered{Proof: &tracking.Proof{Method: tracking.ProofProxy, ProxyName: "A", Authorisation: "GUQ-1", CheckedBy: tracking.CheckedByCourier},
			SignatureSHA: strings.Repeat("cd", 32), SealID: seal})
		return err
	}
	for _, seal := range []string{"", "KQ-8"} {
		if err := deliver(seal); !errs.Is(err, errs.Unprocessable) || errs.FieldsOf(err)["data.seal_id"] == "" {
			t.Errorf("delivery with seal %q: %v", seal, err)
		}
	}
	if err := deliver("KQ-7"); err != nil {
		t.Errorf("delivery with the desk's seal: %v", err)
	}
	_, out, err = decide(t, st, tracking.DeliveryAttemptFailed, courierA, tracking.DeliveryFailed{Cause: "seal_broken", Action: "return_to_desk"})
	if err != nil || out.Incident == nil || out.Incident.LastCustodian != courierA || out.Incident.Problem != "seal_broken" {
		t.Fatalf("broken seal at the door: %+v %v", out.Incident, err)
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
	step(tracking.HandoffReleased, deskA, tracking.Released{To: courierA.String(), SealID: "KQ-1"})
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
	if _, _, err := decide(t, st, tracking.HandoffConfirmed, deskA, tracking.Confirmed{}); !errs.Is(err, errs.Unprocessable) {
		t.Fatalf("desk takes the result back without stating its seal: %v", err)
	}
	after, out, err := decide(t, st, tracking.HandoffConfirmed, deskA, tracking.Confirmed{SealIntact: &yes, SealID: "KQ-1"})
	if err != nil || out.Type != tracking.DeliveryReturnedToDesk || after.Status != tracking.StatusReturnedToDesk || after.Custodian != deskA {
		t.Fatalf("returned: %s %s %+v %v", out.Type, after.Status, after.Custodian, err)
	}
	// Delivery needs the recipient verified and a signature or photo.
	st2 := st
	st2.Status, st2.Pending = tracking.StatusOutForDelivery, nil
	if _, _, err := decide(t, st2, tracking.DeliveryCompleted, courierA, tracking.Delivered{Proof: &tracking.Proof{Method: tracking.ProofProxy, CheckedBy: tracking.CheckedByCourier},
		PhotoSHA: strings.Repeat("cd", 32), SealID: "KQ-1"}); !errs.Is(err, errs.Unprocessable) {
		t.Errorf("proxy without authorisation: %v", err)
	}
	for name, data := range map[string]any{
		"a bare verification kind":   map[string]any{"verification": "otp", "signature_sha256": strings.Repeat("cd", 32), "fee_collected": 0, "seal_id": "KQ-1"},
		"id digits not checked":      tracking.Delivered{Proof: &tracking.Proof{Method: tracking.ProofIDDigits, Commit: strings.Repeat("ab", 32)}, SignatureSHA: strings.Repeat("cd", 32), SealID: "KQ-1"},
		"a proof but no image":       tracking.Delivered{Proof: &tracking.Proof{Method: tracking.ProofDoorCode, Commit: strings.Repeat("ab", 32), CheckedBy: tracking.CheckedByServer}, SealID: "KQ-1"},
		"a proxy the server checked": tracking.Delivered{Proof: &tracking.Proof{Method: tracking.ProofProxy, ProxyName: "A", Authorisation: "B", CheckedBy: tracking.CheckedByServer}, PhotoSHA: strings.Repeat("cd", 32), SealID: "KQ-1"},
	} {
		if _, _, err := decide(t, st2, tracking.DeliveryCompleted, courierA, data); !errs.Is(err, errs.Unprocessable) {
			t.Errorf("delivery with %s: %v", name, err)
		}
	}
	if _, out, err := decide(t, st2, tracking.DeliveryCompleted, courierA, tracking.Delivered{Proof: &tracking.Proof{Method: tracking.ProofIDDigits,
		Commit: strings.Repeat("ab", 32), CheckedBy: tracking.CheckedByServer, Digits: 3}, SignatureSHA: strings.Repeat("cd", 32), FeeCollected: 0, SealID: "KQ-1"}); err != nil || out.Custodian == nil {
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
