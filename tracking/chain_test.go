package tracking_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"hoso/tracking"
)

// chain seals n events by office and desk staff (no device signature
// needed), as the ledger stores them.
func chain(n int) []tracking.Event {
	evs := make([]tracking.Event, n)
	var prev []byte
	for i := range evs {
		actor := officeA
		if i%2 == 1 {
			actor = deskA
		}
		evs[i] = tracking.Event{ID: fmt.Sprintf("ev-%d", i+1), ParcelID: "p1", Number: "EA123456785VN",
			Type: tracking.HandoffReleased, Actor: actor, ServerAt: time.Unix(1_790_000_000+int64(i)*60, 0),
			Data: mustData(tracking.Released{To: courierA.String()})}
		evs[i].Seal(i, prev)
		prev = evs[i].Hash
	}
	return evs
}

func head(evs []tracking.Event) []byte { return evs[len(evs)-1].Hash }

// TestVerifyChain: an intact chain passes; each kind of damage is found at
// the event it touches, with the problem named.
func TestVerifyChain(t *testing.T) {
	cases := []struct {
		name    string
		damage  func(evs []tracking.Event, h []byte, n int) ([]tracking.Event, []byte, int)
		seq     int
		problem string
	}{
		{"intact", func(e []tracking.Event, h []byte, n int) ([]tracking.Event, []byte, int) { return e, h, n }, 0, ""},
		{"empty chain, empty record", func([]tracking.Event, []byte, int) ([]tracking.Event, []byte, int) { return nil, nil, 0 }, 0, ""},
		{"an event removed", func(e []tracking.Event, h []byte, n int) ([]tracking.Event, []byte, int) {
			return append(append([]tracking.Event(nil), e[:2]...), e[3:]...), h, n
		}, 4, "position out of order or missing"},
		{"two events swapped", func(e []tracking.Event, h []byte, n int) ([]tracking.Event, []byte, int) {
			e[1], e[2] = e[2], e[1]
			return e, h, n
		}, 3, "position out of order or missing"},
		{"data edited", func(e []tracking.Event, h []byte, n int) ([]tracking.Event, []byte, int) {
			e[2].Data = mustData(tracking.Released{To: courierB.String()})
			return e, h, n
		}, 3, "content does not match its hash"},
		{"actor edited", func(e []tracking.Event, h []byte, n int) ([]tracking.Event, []byte, int) {
			e[0].Actor = officeA
			e[1].Actor = officeA
			return e, h, n
		}, 2, "content does not match its hash"},
		{"edited and re-hashed", func(e []tracking.Event, h []byte, n int) ([]tracking.Event, []byte, int) {
			e[1].Data = mustData(tracking.Released{To: courierB.String()})
			e[1].Seal(1, e[0].Hash)
			return e, h, n
		}, 3, "previous hash does not match the event before"},
		{"whole chain re-hashed", func(e []tracking.Event, h []byte, n int) ([]tracking.Event, []byte, int) {
			e[1].Data = mustData(tracking.Released{To: courierB.String()})
			for i := 1; i < len(e); i++ {
				e[i].Seal(i, e[i-1].Hash)
			}
			return e, h, n
		}, 5, "last hash differs from the parcel's record"},
		{"last event dropped", func(e []tracking.Event, h []byte, n int) ([]tracking.Event, []byte, int) {
			return e[:len(e)-1], h, n
		}, 4, "event count differs from the parcel's record"},
		{"event appended without the record", func(e []tracking.Event, h []byte, n int) ([]tracking.Event, []byte, int) {
			x := e[len(e)-1]
			x.ID = "ev-extra"
			x.Seal(len(e), x.Hash)
			return append(e, x), h, n
		}, 6, "event count differs from the parcel's record"},
		{"first event's previous hash not genesis", func(e []tracking.Event, h []byte, n int) ([]tracking.Event, []byte, int) {
			e[0].PrevHash = bytes.Repeat([]byte{1}, sha256.Size)
			return e, h, n
		}, 1, "previous hash does not match the event before"},
		{"courier event of form 2 without a device signature", func(e []tracking.Event, h []byte, n int) ([]tracking.Event, []byte, int) {
			e[0].Actor = courierA
			e[0].Seal(0, nil)
			for i := 1; i < len(e); i++ {
				e[i].Seal(i, e[i-1].Hash)
			}
			return e, head(e), n
		}, 1, "device signature check failed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs := chain(5)
			got, h, n := c.damage(evs, head(evs), len(evs))
			b := tracking.VerifyChain("EA123456785VN", got, h, n)
			switch {
			case c.problem == "" && b != nil:
				t.Fatalf("a sound chain broken: %s", b)
			case c.problem == "":
			case b == nil:
				t.Fatalf("damage not found")
			case b.Problem != c.problem || b.Seq != c.seq:
				t.Fatalf("found %q at %d, want %q at %d (%s)", b.Problem, b.Seq, c.problem, c.seq, b)
			case !strings.Contains(b.String(), "EA123456785VN"):
				t.Errorf("the break does not name the parcel: %s", b)
			}
		})
	}
}

// TestVerifyChainProperty: any one byte changed in any event's data, hash
// or previous hash is found, at that event or (a changed hash) the next.
func TestVerifyChainProperty(t *testing.T) {
	r := rand.New(rand.NewPCG(20, 7))
	for range 300 {
		n := 1 + r.IntN(12)
		evs := chain(n)
		if b := tracking.VerifyChain("X", evs, head(evs), n); b != nil {
			t.Fatalf("sound chain of %d broken: %s", n, b)
		}
		k := r.IntN(n)
		var field *[]byte
		switch r.IntN(3) {
		case 0:
			field = &evs[k].Data
		case 1:
			field = &evs[k].Hash
		default:
			field = &evs[k].PrevHash
		}
		b := append([]byte(nil), (*field)...)
		b[r.IntN(len(b))] ^= byte(1 + r.IntN(255))
		*field = b
		h := head(chain(n)) // the record as it was before the damage
		br := tracking.VerifyChain("X", evs, h, n)
		if br == nil {
			t.Fatalf("a byte changed in event %d of %d went unnoticed", k+1, n)
		}
		if br.Seq != k+1 && br.Seq != k+2 {
			t.Fatalf("damage at %d reported at %d: %s", k+1, br.Seq, br)
		}
	}
}

// TestRoot: the daily root is over the heads sorted by parcel id, so it
// does not depend on their order, changes with any head, equals what
// RootHasher streams, and is the hash of nothing for no heads.
func TestRoot(t *testing.T) {
	empty := sha256.Sum256(nil)
	one := sha256.Sum256([]byte("a:0102\n"))
	two := sha256.Sum256([]byte("a:0102\nb:ff\n"))
	for name, c := range map[string]struct {
		heads []tracking.Head
		want  []byte
	}{
		"no heads":      {nil, empty[:]},
		"one head":      {[]tracking.Head{{ParcelID: "a", Hash: []byte{1, 2}}}, one[:]},
		"sorted by id":  {[]tracking.Head{{ParcelID: "b", Hash: []byte{0xff}}, {ParcelID: "a", Hash: []byte{1, 2}}}, two[:]},
		"already order": {[]tracking.Head{{ParcelID: "a", Hash: []byte{1, 2}}, {ParcelID: "b", Hash: []byte{0xff}}}, two[:]},
	} {
		if got := tracking.Root(c.heads); !bytes.Equal(got, c.want) {
			t.Errorf("%s: %x, want %x", name, got, c.want)
		}
	}

	r := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		n := 1 + r.IntN(20)
		heads := make([]tracking.Head, n)
		for i := range heads {
			h := sha256.Sum256([]byte{byte(r.IntN(256)), byte(i)})
			heads[i] = tracking.Head{ParcelID: fmt.Sprintf("p-%03d", i), Hash: h[:]}
		}
		root := tracking.Root(heads)
		// RootHasher over the sorted heads gives the same root.
		rh := tracking.NewRootHasher()
		for _, h := range heads {
			if err := rh.Add(h.ParcelID, h.Hash); err != nil {
				t.Fatal(err)
			}
		}
		if sum, count := rh.Sum(); !bytes.Equal(sum, root) || count != n {
			t.Fatalf("RootHasher %x over %d, Root %x over %d", sum, count, root, n)
		}
		// Any order gives the same root; the input is not reordered.
		shuffled := append([]tracking.Head(nil), heads...)
		r.Shuffle(n, func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		first := shuffled[0].ParcelID
		if !bytes.Equal(tracking.Root(shuffled), root) {
			t.Fatal("the root depends on the heads' order")
		}
		if shuffled[0].ParcelID != first {
			t.Fatal("Root reordered its input")
		}
		// Any head changed, added or removed changes the root.
		k := r.IntN(n)
		changed := append([]tracking.Head(nil), heads...)
		changed[k].Hash = append([]byte{0}, changed[k].Hash[1:]...)
		if changed[k].Hash[0] == heads[k].Hash[0] {
			changed[k].Hash[0] = 1
		}
		if bytes.Equal(tracking.Root(changed), root) {
			t.Fatal("a changed head left the root unchanged")
		}
		if bytes.Equal(tracking.Root(heads[:n-1]), root) {
			t.Fatal("a removed head left the root unchanged")
		}
	}
	// Heads out of order are refused by the streaming hasher.
	rh := tracking.NewRootHasher()
	_ = rh.Add("b", []byte{1})
	if err := rh.Add("a", []byte{1}); err == nil {
		t.Error("RootHasher took heads out of order")
	}
}

// TestHandoffStatus: every hand-off the custody chain knows, by leg, giver
// and receiver, leads to its status and UPU code; any other pair is refused
// with a Vietnamese message naming both parties.
func TestHandoffStatus(t *testing.T) {
	type pair struct {
		leg             tracking.Leg
		giver, receiver tracking.PartyKind
	}
	const (
		courier = tracking.PartyCourier
		office  = tracking.PartyOffice
		desk    = tracking.PartyDesk
	)
	want := map[pair]struct {
		st  tracking.Status
		upu string
	}{
		{tracking.LegPickup, courier, office}: {tracking.StatusAtOffice, "EDD"},
		{tracking.LegPickup, office, courier}: {tracking.StatusToDesk, "EDE"},
		{tracking.LegPickup, courier, desk}:   {tracking.StatusAtDesk, "EMI"},
		{tracking.LegPickup, office, office}:  {tracking.StatusAtOffice, "EDD"},
		{tracking.LegReturn, desk, courier}:   {tracking.StatusWithCourier, ""},
		{tracking.LegReturn, desk, office}:    {tracking.StatusAtOffice, "EDD"},
		{tracking.LegReturn, courier, office}: {tracking.StatusAtOffice, "EDD"},
		{tracking.LegReturn, office, courier}: {tracking.StatusWithCourier, "EDE"},
		{tracking.LegReturn, office, office}:  {tracking.StatusAtOffice, "EDD"},
		{tracking.LegReturn, courier, desk}:   {tracking.StatusReturnedToDesk, ""},
	}
	kinds := []tracking.PartyKind{tracking.PartyCitizen, courier, office, desk, tracking.PartyAgency, tracking.PartyPortal,
		tracking.PartyDispatcher, tracking.PartySystem, tracking.PartyAdmin}
	current := tracking.StatusDeliveryFailed
	for _, leg := range []tracking.Leg{tracking.LegPickup, tracking.LegReturn, "khac"} {
		for _, g := range kinds {
			for _, rcv := range kinds {
				st, upu, err := tracking.HandoffStatus(leg, current, g, rcv)
				w, ok := want[pair{leg, g, rcv}]
				switch {
				case g == courier && rcv == courier && leg != "khac":
					// Courier to courier: the parcel stays where it is in its leg.
					if err != nil || st != current || upu != "" {
						t.Errorf("%s courier→courier: %q %q %v, want the current status", leg, st, upu, err)
					}
				case ok:
					if err != nil || st != w.st || upu != w.upu {
						t.Errorf("%s %s→%s: %q %q %v, want %q %q", leg, g, rcv, st, upu, err, w.st, w.upu)
					}
				default:
					if err == nil || st != "" || upu != "" {
						t.Errorf("%s %s→%s: %q %q %v, want a refusal", leg, g, rcv, st, upu, err)
						continue
					}
					if !strings.Contains(err.Error(), g.Label()) || !strings.Contains(err.Error(), rcv.Label()) {
						t.Errorf("%s %s→%s: the refusal %q does not name both parties", leg, g, rcv, err)
					}
				}
			}
		}
	}
	// Every confirmed hand-off's status is one the leg's rules know.
	known := map[tracking.Status]bool{}
	for _, r := range tracking.Rules {
		for _, f := range r.From {
			known[f] = true
		}
		known[r.To] = true
	}
	for p, w := range want {
		if !known[w.st] {
			t.Errorf("%v leads to %q, which no rule knows", p, w.st)
		}
	}
}

// TestNextStep: what the citizen reads next, for every status of both
// legs; a pending hand-off comes first; windows are told in Vietnam time;
// final statuses have no next step.
func TestNextStep(t *testing.T) {
	start := time.Date(2026, 12, 8, 1, 30, 0, 0, time.UTC) // 08:30 in Vietnam
	win := &tracking.Window{Start: start, End: start.Add(2 * time.Hour)}
	deadline := time.Date(2026, 12, 20, 20, 0, 0, 0, time.UTC) // 21/12 in Vietnam
	const desk = "Bộ phận một cửa UBND xã Quyết Thắng"
	cases := []struct {
		leg      tracking.Leg
		st       tracking.Status
		pending  string
		window   *tracking.Window
		deadline *time.Time
		what     string
		when     string
	}{
		{tracking.LegPickup, tracking.StatusRequested, "", win, nil, "Bưu điện hẹn lịch", "08:30–10:30 ngày 08/12/2026"},
		{tracking.LegPickup, tracking.StatusRequested, "", nil, nil, "Bưu điện hẹn lịch", ""},
		{tracking.LegPickup, tracking.StatusScheduled, "", win, nil, "Bưu tá đến nhà nhận hồ sơ", "08:30–10:30 ngày 08/12/2026"},
		{tracking.LegPickup, tracking.StatusPickupFailed, "", win, nil, "hẹn lại lịch thu gom", ""},
		{tracking.LegPickup, tracking.StatusCollected, "", nil, nil, "bàn giao hồ sơ cho bưu cục", ""},
		{tracking.LegPickup, tracking.StatusCollected, "Bưu cục Thái Nguyên", nil, nil, "Chờ bưu cục Thái Nguyên xác nhận", ""},
		{tracking.LegPickup, tracking.StatusAtOffice, "", nil, nil, "Chuyển hồ sơ đến bộ phận một cửa UBND xã Quyết Thắng", ""},
		{tracking.LegPickup, tracking.StatusToDesk, "", nil, nil, "Bộ phận một cửa UBND xã Quyết Thắng nhận và kiểm tra", ""},
		{tracking.LegPickup, tracking.StatusAtDesk, "", nil, nil, "Bộ phận một cửa UBND xã Quyết Thắng xem xét", ""},
		{tracking.LegPickup, tracking.StatusAccepted, "", nil, &deadline, "Cơ quan giải quyết hồ sơ", "hạn giải quyết 21/12/2026"},
		{tracking.LegPickup, tracking.StatusAccepted, "", nil, nil, "Cơ quan giải quyết hồ sơ", ""},
		{tracking.LegReturn, tracking.StatusReady, "", nil, nil, "Bưu tá đến nhận kết quả", ""},
		{tracking.LegReturn, tracking.StatusAtOffice, "", nil, nil, "Bưu tá nhận kết quả để giao tận nhà", ""},
		{tracking.LegReturn, tracking.StatusWithCourier, "", nil, nil, "Bưu tá giao kết quả tại nhà", ""},
		{tracking.LegReturn, tracking.StatusOutForDelivery, "", nil, nil, "căn cước công dân", ""},
		{tracking.LegReturn, tracking.StatusDeliveryFailed, "", nil, nil, "giao lại", ""},
		{tracking.LegReturn, tracking.StatusHeld, "", nil, nil, "đến bưu cục nhận kết quả", ""},
		{tracking.LegReturn, tracking.StatusHeld, "Bưu tá Một", nil, nil, "Chờ bưu tá Một xác nhận", ""},
	}
	for _, c := range cases {
		n := tracking.NextStep(c.leg, c.st, c.pending, c.window, desk, c.deadline)
		if !strings.Contains(n.What, c.what) || n.When != c.when {
			t.Errorf("%s %s pending %q: %+v, want %q and %q", c.leg, c.st, c.pending, n, c.what, c.when)
		}
	}
	// Final statuses: nothing next, whatever else is known.
	for _, st := range []tracking.Status{tracking.StatusCancelled, tracking.StatusReturnedIncomplete,
		tracking.StatusDelivered, tracking.StatusReturnedToDesk, ""} {
		if n := tracking.NextStep(tracking.LegReturn, st, "", win, desk, &deadline); n != (tracking.Next{}) {
			t.Errorf("%q has a next step: %+v", st, n)
		}
	}
	// Every status a rule leads to that is not final tells something, in
	// both legs, and never an empty sentence with a time.
	for _, r := range tracking.Rules {
		for _, st := range append([]tracking.Status{r.To}, r.From...) {
			n := tracking.NextStep(r.Leg, st, "", win, desk, &deadline)
			if n.What == "" && n.When != "" {
				t.Errorf("%s %s: a time without a step", r.Leg, st)
			}
			if p := tracking.NextStep(r.Leg, st, "Bưu cục", nil, desk, nil); p.What != "Chờ bưu cục xác nhận đã nhận hồ sơ" {
				t.Errorf("%s %s with a pending hand-off: %+v", r.Leg, st, p)
			}
		}
	}
}
