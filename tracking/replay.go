package tracking

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// CustodyPeriod is one period of a parcel's custody as the events make it:
// who held it from which event until which (ToEvent empty while open).
type CustodyPeriod struct {
	Holder    Party
	FromEvent string
	FromAt    time.Time
	ToEvent   string
	ToAt      time.Time
}

// HandoffRecord is a hand-off as the events make it.
type HandoffRecord struct {
	ID            string
	Giver         Party
	Receiver      Party
	Status        string // pending | confirmed | disputed
	ReleasedEvent string
	ReleasedAt    time.Time
	ClosedEvent   string
	ClosedAt      time.Time
}

// IncidentRecord is an incident a dispute opened, as the events make it.
type IncidentRecord struct {
	EventID       string
	HandoffID     string
	Problem       DisputeProblem
	MissingLines  []int
	LastCustodian Party
	Note          string
	At            time.Time
}

// Projection is everything the ledger's store derives from a parcel's
// events: the parcel's state and chain head, its custody periods, its
// hand-offs and the incidents its disputes opened. hoso verify rebuilds it
// from the events with the rules that wrote it and compares it with the
// stored rows, so an edit of a projection alone shows.
type Projection struct {
	State     State
	Count     int
	LastHash  []byte
	Custody   []CustodyPeriod
	Handoffs  []HandoffRecord
	Incidents []IncidentRecord
}

// Replay rebuilds a parcel's projection from its events, in chain order,
// deciding each again with the rules (Decide) from the state the ones
// before left. leg, documents and desk are the parcel's (what its intake
// fixed). Each event must be one the rules allow at its place and carry
// exactly the type, UPU code and data the decision gives; the first that
// does not is returned as a Break.
func Replay(number string, leg Leg, documents []Document, desk string, events []Event, pol Policy) (Projection, *Break) {
	p := Projection{State: State{Leg: leg, Documents: documents}}
	for _, ev := range events {
		brk := func(problem, expected, found string) *Break {
			return &Break{Number: number, EventID: ev.ID, Seq: ev.Seq, Problem: problem, Expected: expected, Found: found}
		}
		in := ev
		if in.Type == DeliveryReturnedToDesk {
			// Recorded when the desk confirms the courier's return.
			in.Type = HandoffConfirmed
		}
		handoffID := ""
		if in.Type == HandoffReleased {
			var d Released
			if err := json.Unmarshal(in.Data, &d); err == nil {
				handoffID = d.Handoff
			}
		}
		out, err := Decide(p.State, in, pol, func() string { return handoffID })
		if err != nil {
			return p, brk("the rules refuse this event at its place in the chain", "an event the rules allow", err.Error())
		}
		if out.Custodian != nil && out.Custodian.Kind == "" {
			// The portal registers results held by the dossier's desk.
			out.Custodian = &Party{Kind: PartyDesk, Ref: desk}
		}
		if out.Type != ev.Type || out.UPU != ev.UPU {
			return p, brk("the rules record this event differently", string(out.Type)+" "+out.UPU, string(ev.Type)+" "+ev.UPU)
		}
		if !bytes.Equal(out.Data, ev.Data) {
			return p, brk("the rules give other data for this event", string(out.Data), string(ev.Data))
		}
		if c := out.Custodian; c != nil {
			if n := len(p.Custody); n > 0 && p.Custody[n-1].ToEvent == "" {
				p.Custody[n-1].ToEvent, p.Custody[n-1].ToAt = ev.ID, ev.ServerAt
			}
			p.Custody = append(p.Custody, CustodyPeriod{Holder: *c, FromEvent: ev.ID, FromAt: ev.ServerAt})
		}
		if out.Close != "" && p.State.Pending != nil {
			for i := range p.Handoffs {
				if p.Handoffs[i].ID == p.State.Pending.ID {
					p.Handoffs[i].Status, p.Handoffs[i].ClosedEvent, p.Handoffs[i].ClosedAt = out.Close, ev.ID, ev.ServerAt
				}
			}
		}
		if inc := out.Incident; inc != nil {
			r := IncidentRecord{EventID: ev.ID, Problem: inc.Problem, MissingLines: inc.MissingLines, LastCustodian: inc.LastCustodian, Note: inc.Note, At: ev.ServerAt}
			if p.State.Pending != nil {
				r.HandoffID = p.State.Pending.ID
			}
			p.Incidents = append(p.Incidents, r)
		}
		if o := out.Open; o != nil {
			p.Handoffs = append(p.Handoffs, HandoffRecord{ID: o.ID, Giver: o.Giver, Receiver: o.Receiver, Status: "pending",
				ReleasedEvent: ev.ID, ReleasedAt: ev.ServerAt})
		}
		p.State = p.State.Apply(out)
		p.Count, p.LastHash = ev.Seq, ev.Hash
	}
	return p, nil
}

// Diff compares a rebuilt projection with the stored one and says what
// differs first ("" when they agree). Times compare to the microsecond.
func (p Projection) Diff(stored Projection) string {
	st, s2 := p.State, stored.State
	switch {
	case st.Status != s2.Status:
		return fmt.Sprintf("status: the events give %q, stored %q", st.Status, s2.Status)
	case st.Custodian != s2.Custodian:
		return fmt.Sprintf("custodian: the events give %s, stored %s", st.Custodian, s2.Custodian)
	case st.Attempts != s2.Attempts:
		return fmt.Sprintf("delivery attempts: the events give %d, stored %d", st.Attempts, s2.Attempts)
	case st.SealID != s2.SealID:
		return fmt.Sprintf("seal: the events give %q, stored %q", st.SealID, s2.SealID)
	case p.Count != stored.Count:
		return fmt.Sprintf("event count: the events give %d, stored %d", p.Count, stored.Count)
	case !bytes.Equal(p.LastHash, stored.LastHash) && (p.Count > 0 || len(stored.LastHash) > 0):
		return fmt.Sprintf("chain head: the events give %x, stored %x", p.LastHash, stored.LastHash)
	}
	if d := diffCounts(st.Collected, s2.Collected); d != "" {
		return d
	}
	if len(p.Custody) != len(stored.Custody) {
		return fmt.Sprintf("custody: the events give %d periods, stored %d", len(p.Custody), len(stored.Custody))
	}
	for i, c := range p.Custody {
		s := stored.Custody[i]
		if c.Holder != s.Holder || c.FromEvent != s.FromEvent || c.ToEvent != s.ToEvent || !sameTime(c.FromAt, s.FromAt) || !sameTime(c.ToAt, s.ToAt) {
			return fmt.Sprintf("custody period %d: the events give %s from %s to %s, stored %s from %s to %s", i+1,
				c.Holder, c.FromEvent, orNone(c.ToEvent), s.Holder, s.FromEvent, orNone(s.ToEvent))
		}
	}
	if len(p.Handoffs) != len(stored.Handoffs) {
		return fmt.Sprintf("hand-offs: the events give %d, stored %d", len(p.Handoffs), len(stored.Handoffs))
	}
	for i, h := range p.Handoffs {
		s := stored.Handoffs[i]
		if h.ID != s.ID || h.Giver != s.Giver || h.Receiver != s.Receiver || h.Status != s.Status || h.ReleasedEvent != s.ReleasedEvent ||
			h.ClosedEvent != s.ClosedEvent || !sameTime(h.ReleasedAt, s.ReleasedAt) || !sameTime(h.ClosedAt, s.ClosedAt) {
			return fmt.Sprintf("hand-off %s: the events give %s → %s %s, stored %s → %s %s", h.ID, h.Giver, h.Receiver, h.Status, s.Giver, s.Receiver, s.Status)
		}
	}
	if len(p.Incidents) != len(stored.Incidents) {
		return fmt.Sprintf("incidents: the events give %d, stored %d", len(p.Incidents), len(stored.Incidents))
	}
	for i, in := range p.Incidents {
		s := stored.Incidents[i]
		if in.EventID != s.EventID || in.HandoffID != s.HandoffID || in.Problem != s.Problem || in.LastCustodian != s.LastCustodian ||
			in.Note != s.Note || fmt.Sprint(in.MissingLines) != fmt.Sprint(s.MissingLines) || !sameTime(in.At, s.At) {
			return fmt.Sprintf("incident of event %s: the events give %s (last custodian %s), stored %s (last custodian %s)",
				in.EventID, in.Problem, in.LastCustodian, s.Problem, s.LastCustodian)
		}
	}
	return ""
}

func diffCounts(a, b []DocCount) string {
	if len(a) == 0 && len(b) == 0 {
		return ""
	}
	if len(a) != len(b) {
		return fmt.Sprintf("collected counts: the events give %d lines, stored %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Line != b[i].Line || a[i].Count != b[i].Count || a[i].Condition != b[i].Condition {
			return fmt.Sprintf("collected count of line %d: the events give %d (%s), stored %d (%s)", a[i].Line, a[i].Count, a[i].Condition, b[i].Count, b[i].Condition)
		}
	}
	return ""
}

func sameTime(a, b time.Time) bool {
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}

func orNone(s string) string {
	if s == "" {
		return "now"
	}
	return s
}
