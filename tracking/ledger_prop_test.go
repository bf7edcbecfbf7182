package tracking_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"hoso/tracking"
)

var (
	courierA = tracking.Party{Kind: tracking.PartyCourier, Ref: "BT1"}
	courierB = tracking.Party{Kind: tracking.PartyCourier, Ref: "BT2"}
	officeA  = tracking.Party{Kind: tracking.PartyOffice, Ref: "BC1"}
	deskA    = tracking.Party{Kind: tracking.PartyDesk, Ref: "MC1"}
	portalA  = tracking.Party{Kind: tracking.PartyPortal, Ref: "P1"}
	parties  = []tracking.Party{courierA, courierB, officeA, deskA}
)

var docs = []tracking.Document{{Name: "Tờ khai", Kind: tracking.Original, Count: 1}, {Name: "CCCD", Kind: tracking.CertifiedCopy, Count: 2}}

// custodyMovers are the only events that may change the custodian.
var custodyMovers = map[tracking.EventType]bool{
	tracking.PickupRequested: true, tracking.PickupCollected: true, tracking.HandoffConfirmed: true,
	tracking.DeliveryCompleted: true, tracking.DeliveryReturnedToDesk: true, tracking.ResultRegistered: true,
}

func mustData(v any) []byte {
	b, _ := json.Marshal(v)
	c, err := tracking.CanonicalJSON(b)
	if err != nil {
		panic(err)
	}
	return c
}

// randomEvent proposes one plausible or implausible event.
func randomEvent(r *rand.Rand, st tracking.State) tracking.Event {
	actor := parties[r.IntN(len(parties))]
	ev := tracking.Event{ServerAt: time.Unix(1_790_000_000, 0), Actor: actor}
	switch r.IntN(8) {
	case 0:
		ev.Type = tracking.PickupCollected
		ev.Actor = []tracking.Party{courierA, courierB}[r.IntN(2)]
		counts := []tracking.DocCount{{Line: 1, Count: 1}, {Line: 2, Count: 2}}
		d := tracking.Collected{Documents: counts, SealID: "NP-1", Proof: &tracking.Proof{Method: tracking.ProofSignature, SHA256: "ab000000000000000000000000000000000000000000000000000000000000ab", CheckedBy: tracking.CheckedByServer}}
		if r.IntN(4) == 0 {
			d.Documents[1].Count = 1 // short without saying partial: must be refused
		}
		ev.Data = mustData(d)
	case 1, 2:
		ev.Type = tracking.HandoffReleased
		if r.IntN(3) > 0 {
			ev.Actor = st.Custodian
		}
		to := parties[r.IntN(len(parties))]
		ev.Data = mustData(tracking.Released{To: to.String()})
	case 3, 4:
		ev.Type = tracking.HandoffConfirmed
		if st.Pending != nil && r.IntN(3) > 0 {
			ev.Actor = st.Pending.Receiver
		}
		d := tracking.Confirmed{}
		switch r.IntN(4) {
		case 0, 1:
			t := true
			d.SealIntact, d.SealID = &t, "NP-1"
		case 2:
			f := false
			d.SealIntact = &f
		}
		if r.IntN(2) == 0 {
			d.Documents = []tracking.DocCount{{Line: 1, Count: 1}, {Line: 2, Count: 2 - r.IntN(2)}}
		}
		ev.Data = mustData(d)
	case 5:
		ev.Type = tracking.HandoffDisputed
		if st.Pending != nil && r.IntN(2) == 0 {
			ev.Actor = st.Pending.Receiver
		}
		ev.Data = mustData(tracking.Confirmed{Problem: "missing_parcel"})
	case 6:
		ev.Type = tracking.ParcelCancelled
		ev.Actor = portalA
		ev.Data = mustData(tracking.Cancelled{Reason: "x"})
	case 7:
		ev.Type = tracking.PickupAttemptFailed
		ev.Actor = courierA
		ev.Data = mustData(tracking.PickupFailed{Reason: "not_home"})
	}
	return ev
}

// TestCustodyProperties applies random sequences of releases,
// confirmations, disputes, cancellations and repeats: a parcel always has
// exactly one custodian, custody moves only on the events that move it, a
// confirmation moves it only to the intended receiver, and a pending
// hand-off always has the custodian as its one giver.
func TestCustodyProperties(t *testing.T) {
	seeds := 3000
	if testing.Short() {
		seeds = 300
	}
	id := 0
	newID := func() string { id++; return fmt.Sprintf("h%d", id) }
	accepted := 0
	for seed := 0; seed < seeds; seed++ {
		r := rand.New(rand.NewPCG(uint64(seed), 7))
		st := tracking.State{Leg: tracking.LegPickup, Documents: docs}
		out, err := tracking.Decide(st, tracking.Event{Type: tracking.PickupRequested, Actor: portalA, Data: []byte("{}")}, tracking.DefaultPolicy, newID)
		if err != nil {
			t.Fatal(err)
		}
		st = st.Apply(out)
		seen := map[string]bool{}
		var history []tracking.Event
		for step := 0; step < 40; step++ {
			var ev tracking.Event
			if len(history) > 0 && r.IntN(6) == 0 {
				// A repeat of an earlier event: the ledger keys events by id,
				// so a repeat never reaches the rules.
				ev = history[r.IntN(len(history))]
				if !seen[ev.ID] {
					t.Fatalf("seed %d: repeat of an unknown event", seed)
				}
				continue
			}
			ev = randomEvent(r, st)
			ev.ID = fmt.Sprintf("e%d-%d", seed, step)
			before := st
			out, err := tracking.Decide(st, ev, tracking.DefaultPolicy, newID)
			if err != nil {
				continue // refused: nothing changes
			}
			accepted++
			seen[ev.ID] = true
			history = append(history, ev)
			st = st.Apply(out)
			if st.Custodian.Kind == "" || !st.Custodian.Kind.CanHold() {
				t.Fatalf("seed %d step %d: custodian %+v after %s", seed, step, st.Custodian, out.Type)
			}
			if st.Custodian != before.Custodian {
				if !custodyMovers[out.Type] {
					t.Fatalf("seed %d step %d: custody moved on %s", seed, step, out.Type)
				}
				if out.Type == tracking.HandoffConfirmed && (before.Pending == nil || st.Custodian != before.Pending.Receiver) {
					t.Fatalf("seed %d step %d: confirmation moved custody to %+v, not the intended receiver", seed, step, st.Custodian)
				}
			}
			if out.Type == tracking.HandoffDisputed && st.Custodian != before.Custodian {
				t.Fatalf("seed %d step %d: dispute moved custody", seed, step)
			}
			if p := st.Pending; p != nil {
				if p.Giver != st.Custodian || p.Receiver == p.Giver || p.Receiver.Kind == "" {
					t.Fatalf("seed %d step %d: pending %+v with custodian %+v", seed, step, p, st.Custodian)
				}
			}
			if out.Type == tracking.ParcelCancelled && before.Status != tracking.StatusRequested &&
				before.Status != tracking.StatusScheduled && before.Status != tracking.StatusPickupFailed {
				t.Fatalf("seed %d step %d: cancelled from %s", seed, step, before.Status)
			}
		}
	}
	if accepted < seeds*3 {
		t.Fatalf("only %d events accepted over %d sequences: the generator is too weak", accepted, seeds)
	}
}
