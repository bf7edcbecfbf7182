package tracking_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"hoso/tracking"
)

// TestReplayRebuildsWhatTheLedgerRecorded: random sequences are recorded
// as the ledger does (Decide, seal what it gives, Apply); replaying the
// stored events gives back the same state, one custody period per custody
// move, one hand-off per release and one incident per dispute. Changing a
// stored event's type or actor makes the replay break or differ. (A change
// of data the projection does not reflect, or a dropped event that left
// no trace in it, is the hash chain's to catch: VerifyChain.)
func TestReplayRebuildsWhatTheLedgerRecorded(t *testing.T) {
	seeds := 500
	if testing.Short() {
		seeds = 100
	}
	replayed := 0
	for seed := 0; seed < seeds; seed++ {
		r := rand.New(rand.NewPCG(uint64(seed), 9))
		id := 0
		newID := func() string { id++; return fmt.Sprintf("h%d-%d", seed, id) }
		st := tracking.State{Leg: tracking.LegPickup, Documents: docs}
		var stored []tracking.Event
		moves, releases, disputes := 0, 0, 0
		record := func(ev tracking.Event) bool {
			out, err := tracking.Decide(st, ev, tracking.DefaultPolicy, newID)
			if err != nil {
				return false
			}
			ev.Type, ev.UPU, ev.Data = out.Type, out.UPU, out.Data
			ev.ID = fmt.Sprintf("e%d-%d", seed, len(stored))
			ev.ServerAt = time.Unix(1_790_000_000+int64(len(stored)), 0)
			var prev []byte
			if len(stored) > 0 {
				prev = stored[len(stored)-1].Hash
			}
			ev.Seal(len(stored), prev)
			stored = append(stored, ev)
			st = st.Apply(out)
			if out.Custodian != nil {
				moves++
			}
			if out.Open != nil {
				releases++
			}
			if out.Incident != nil {
				disputes++
			}
			return true
		}
		record(tracking.Event{Type: tracking.PickupRequested, Actor: portalA, Data: []byte("{}")})
		for step := 0; step < 40; step++ {
			record(randomEvent(r, st))
		}
		p, brk := tracking.Replay("EA000000000VN", tracking.LegPickup, docs, "MC1", stored, tracking.DefaultPolicy)
		if brk != nil {
			t.Fatalf("seed %d: the recorded chain does not replay: %v", seed, brk)
		}
		replayed += len(stored)
		want := tracking.Projection{State: st, Count: len(stored), LastHash: stored[len(stored)-1].Hash}
		if p.State.Status != st.Status || p.State.Custodian != st.Custodian || p.State.Attempts != st.Attempts || p.State.SealID != st.SealID ||
			(p.State.Pending == nil) != (st.Pending == nil) || p.Count != want.Count {
			t.Fatalf("seed %d: replay gives %+v, the ledger %+v", seed, p.State, st)
		}
		if len(p.Custody) != moves || len(p.Handoffs) != releases || len(p.Incidents) != disputes {
			t.Fatalf("seed %d: %d periods, %d hand-offs, %d incidents; want %d, %d, %d", seed, len(p.Custody), len(p.Handoffs), len(p.Incidents), moves, releases, disputes)
		}
		for i, c := range p.Custody {
			if i < len(p.Custody)-1 && c.ToEvent != p.Custody[i+1].FromEvent {
				t.Fatalf("seed %d: period %d ends at %s, the next starts at %s", seed, i, c.ToEvent, p.Custody[i+1].FromEvent)
			}
		}
		if p.Diff(p) != "" {
			t.Fatal("a projection differs from itself")
		}
		// Tampering: every single change of a stored event breaks the replay
		// or changes what it gives.
		// An event whose actor or type the projection depends on: a
		// collection (the actor becomes custodian) or a hand-off step.
		var ks []int
		for i, ev := range stored {
			switch ev.Type {
			case tracking.PickupCollected, tracking.HandoffReleased, tracking.HandoffConfirmed, tracking.HandoffDisputed:
				ks = append(ks, i)
			}
		}
		if len(ks) == 0 {
			continue
		}
		k := ks[r.IntN(len(ks))]
		other := tracking.Party{Kind: tracking.PartyCourier, Ref: "BT9"}
		for name, edit := range map[string]func([]tracking.Event) []tracking.Event{
			"type": func(evs []tracking.Event) []tracking.Event {
				if evs[k].Type == tracking.PickupAttemptFailed {
					evs[k].Type = tracking.ParcelCancelled
				} else {
					evs[k].Type = tracking.PickupAttemptFailed
				}
				return evs
			},
			"actor": func(evs []tracking.Event) []tracking.Event { evs[k].Actor = other; return evs },
		} {
			evs := edit(append([]tracking.Event(nil), stored...))
			q, brk := tracking.Replay("EA000000000VN", tracking.LegPickup, docs, "MC1", evs, tracking.DefaultPolicy)
			if brk == nil && q.Diff(p) == "" {
				t.Fatalf("seed %d: changing the %s of event %d (%s) goes unseen", seed, name, k, stored[k].Type)
			}
		}
	}
	if replayed < seeds*3 {
		t.Fatalf("only %d events replayed: the generator is too weak", replayed)
	}
}
