package tracking

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
)

// Break is the first broken link found in a parcel's chain.
type Break struct {
	Number   string
	EventID  string
	Seq      int
	Problem  string
	Expected string
	Found    string
}

func (b Break) String() string {
	return fmt.Sprintf("parcel %s, event %d (%s): %s: expected %s, found %s", b.Number, b.Seq, b.EventID, b.Problem, b.Expected, b.Found)
}

// VerifyChain checks one parcel's events, given in stored order (by
// parcel_seq): positions 1..n without gaps, each event's hash recomputed from
// its canonical form, each previous hash equal to the hash before it, and
// the chain head equal to the parcel's recorded head and count. Events of
// form 2 by a courier must carry their device's signature, checked by
// CheckDeviceEvent.
func VerifyChain(number string, events []Event, headHash []byte, headCount int) *Break {
	prev := GenesisHash
	for i, e := range events {
		if e.Seq != i+1 {
			return &Break{Number: number, EventID: e.ID, Seq: e.Seq, Problem: "position out of order or missing",
				Expected: fmt.Sprint(i + 1), Found: fmt.Sprint(e.Seq)}
		}
		if !bytes.Equal(e.PrevHash, prev) {
			return &Break{Number: number, EventID: e.ID, Seq: e.Seq, Problem: "previous hash does not match the event before",
				Expected: hex.EncodeToString(prev), Found: hex.EncodeToString(e.PrevHash)}
		}
		if h := e.ComputeHash(); !bytes.Equal(h, e.Hash) {
			return &Break{Number: number, EventID: e.ID, Seq: e.Seq, Problem: "content does not match its hash",
				Expected: hex.EncodeToString(h), Found: hex.EncodeToString(e.Hash)}
		}
		if e.Form != FormV1 && (e.Actor.Kind == PartyCourier || e.Device != nil) {
			// Every courier event since form 2 is signed by a live key of
			// the courier's device, and states what the device signed.
			if msg := CheckDeviceEvent(e); msg != "" {
				return &Break{Number: number, EventID: e.ID, Seq: e.Seq, Problem: "device signature check failed",
					Expected: "a signature of the courier's live device key over what is stored", Found: msg}
			}
		}
		prev = e.Hash
	}
	if headCount != len(events) {
		id := ""
		if len(events) > 0 {
			id = events[len(events)-1].ID
		}
		return &Break{Number: number, EventID: id, Seq: len(events), Problem: "event count differs from the parcel's record",
			Expected: fmt.Sprint(headCount), Found: fmt.Sprint(len(events))}
	}
	if len(events) > 0 && !bytes.Equal(headHash, prev) {
		last := events[len(events)-1]
		return &Break{Number: number, EventID: last.ID, Seq: last.Seq, Problem: "last hash differs from the parcel's record",
			Expected: hex.EncodeToString(headHash), Found: hex.EncodeToString(prev)}
	}
	return nil
}

// Head is a parcel's chain head at some moment.
type Head struct {
	ParcelID string
	Hash     []byte
}

// Root is the daily root over every parcel's chain head: the SHA-256 of the
// heads sorted by parcel id, each as the id, a colon, the hex hash and a
// newline. Any edit of a past event changes some head, so the root changes.
func Root(heads []Head) []byte {
	sorted := append([]Head(nil), heads...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].ParcelID < sorted[j].ParcelID })
	h := sha256.New()
	for _, x := range sorted {
		h.Write([]byte(x.ParcelID))
		h.Write([]byte{':'})
		h.Write([]byte(hex.EncodeToString(x.Hash)))
		h.Write([]byte{'\n'})
	}
	return h.Sum(nil)
}

// RootHasher builds a root incrementally from heads already sorted by parcel
// id (as a database can stream them), without holding them all.
type RootHasher struct {
	h    interface{ Write([]byte) (int, error) }
	sum  func() []byte
	last string
	n    int
}

// NewRootHasher starts a root.
func NewRootHasher() *RootHasher {
	s := sha256.New()
	return &RootHasher{h: s, sum: func() []byte { return s.Sum(nil) }}
}

// Add adds the next head; ids must come in increasing order.
func (r *RootHasher) Add(parcelID string, hash []byte) error {
	if r.n > 0 && parcelID <= r.last {
		return fmt.Errorf("root: heads out of order (%s after %s)", parcelID, r.last)
	}
	r.h.Write([]byte(parcelID))
	r.h.Write([]byte{':'})
	r.h.Write([]byte(hex.EncodeToString(hash)))
	r.h.Write([]byte{'\n'})
	r.last = parcelID
	r.n++
	return nil
}

// Sum returns the root and the number of heads.
func (r *RootHasher) Sum() ([]byte, int) { return r.sum(), r.n }
