package tracking_test

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"hoso/internal/errs"
	"hoso/internal/vntext"
	"hoso/tracking"
)

var fuzzNow = time.Date(2026, 11, 23, 6, 0, 0, 0, time.FixedZone("ICT", 7*3600))

func fuzzHours() tracking.ServiceHours {
	h := tracking.ServiceHours{Start: 7*time.Hour + 30*time.Minute, End: 17*time.Hour + 30*time.Minute, Zone: fuzzNow.Location()}
	for d := time.Monday; d <= time.Saturday; d++ {
		h.Days[d] = true
	}
	return h
}

// FuzzPickupRequestValidate feeds outside text into every field a portal,
// a citizen or a clerk fills: the rules never panic, and what they accept
// is normalised: NFC text without control characters, a ten-digit phone
// starting with 0, a CCCD of twelve digits or none, codes of the right
// length, a point inside Vietnam's bounds (never NaN), a window in
// service hours.
func FuzzPickupRequestValidate(f *testing.F) {
	f.Add("000.00.19.H12-251120-0001", "TN-TTPVHCC", "Nguyễn Văn A", "0912345678", "019090001234", "19", "05443", "Số 12, tổ 3", "Tờ khai", "original", 1, int64(26*3600), int64(28*3600), 21.59, 105.84, true)
	f.Add("000.00.19.H12-251120-0002", "TN-TTPVHCC", "Nguyễn Văn B", "0912345678", "", "19", "05443", "Số 1", "Tờ khai", "original", 1, int64(26*3600), int64(28*3600), math.NaN(), math.NaN(), true)
	f.Add("HỒ-SƠ-1", "X", "Nguyễn Thị Ánh", "+84 912 345 678", "", "19", "05443", "Số 5", "CCCD", "certified_copy", 2, int64(50*3600), int64(51*3600), 0.0, 0.0, false)
	f.Add("", "", "", "091234567", "01909000123", "1", "0544", "", "", "photo", 0, int64(-3600), int64(0), math.NaN(), 105.0, true)
	f.Add("a\x00b", "d", "n\u0301", "0912 345 678", "0190900012345", "19", "05443", "l\x7f", "x", "copy", 99, int64(26*3600), int64(31*3600), math.Inf(1), math.Inf(-1), true)
	f.Fuzz(func(t *testing.T, code, desk, name, phone, id, prov, commune, line, doc, kind string, count int, start, end int64, lat, lng float64, located bool) {
		r := tracking.PickupRequest{
			Dossier:   tracking.Dossier{Code: code, DeskCode: desk},
			Citizen:   tracking.Citizen{FullName: name, Phone: phone, IDNumber: id},
			Address:   tracking.Address{ProvinceCode: prov, CommuneCode: commune, Line: line},
			Documents: []tracking.Document{{Name: doc, Kind: tracking.DocKind(kind), Count: count}},
			Windows:   []tracking.Window{{Start: fuzzNow.Add(time.Duration(start) * time.Second), End: fuzzNow.Add(time.Duration(end) * time.Second)}},
			Channel:   tracking.ChannelCitizen,
		}
		if located {
			r.Address.Lat, r.Address.Lng = &lat, &lng
		}
		r.Normalize()
		err := r.Validate(fuzzNow, fuzzHours())
		if err != nil {
			if k := errs.KindOf(err); k != errs.Unprocessable {
				t.Fatalf("kind %s: %v", k, err)
			}
			for field := range errs.FieldsOf(err) {
				if field == "" {
					t.Fatal("an error without a field name")
				}
			}
			return
		}
		for _, s := range []string{r.Dossier.Code, r.Citizen.FullName, r.Address.Line, r.Documents[0].Name} {
			if !utf8.ValidString(s) || !norm.NFC.IsNormalString(s) || vntext.HasControl(s) || strings.TrimSpace(s) == "" {
				t.Fatalf("accepted text %q", s)
			}
		}
		if len(r.Citizen.Phone) != 10 || r.Citizen.Phone[0] != '0' || strings.Trim(r.Citizen.Phone, "0123456789") != "" {
			t.Fatalf("accepted phone %q", r.Citizen.Phone)
		}
		if r.Citizen.IDNumber != "" && !vntext.ValidIDNumber(r.Citizen.IDNumber) {
			t.Fatalf("accepted CCCD %q", r.Citizen.IDNumber)
		}
		if len(r.Address.ProvinceCode) != 2 || len(r.Address.CommuneCode) != 5 {
			t.Fatalf("accepted codes %q %q", r.Address.ProvinceCode, r.Address.CommuneCode)
		}
		if located && !(lat >= 8 && lat <= 24 && lng >= 102 && lng <= 118) {
			t.Fatalf("accepted a point outside Vietnam: %v, %v", lat, lng)
		}
		w := r.Windows[0]
		if !w.Start.After(fuzzNow) || w.End.Sub(w.Start) < time.Hour || w.End.Sub(w.Start) > 4*time.Hour {
			t.Fatalf("accepted window %v–%v", w.Start, w.End)
		}
		if c := r.Documents[0].Count; c < 1 || c > 99 {
			t.Fatalf("accepted count %d", c)
		}
	})
}

// FuzzParseParty: the receiver of a hand-off as a device names it.
func FuzzParseParty(f *testing.F) {
	for _, s := range []string{"post_office:BC-05443", "desk:TN-TTPVHCC", "courier:BUUTA1", "citizen:", "nobody:x", ":", "", "post_office"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := tracking.ParseParty(s)
		if err != nil {
			return
		}
		if p.String() != s {
			t.Fatalf("ParseParty(%q) = %+v, prints %q", s, p, p.String())
		}
		if p.Kind.Label() == "" {
			t.Fatalf("kind %q without a label", p.Kind)
		}
	})
}

// fuzzStates are a parcel in each place a device may act on it.
func fuzzStates() []tracking.State {
	docs := []tracking.Document{{Name: "Tờ khai", Kind: tracking.Original, Count: 1}, {Name: "CCCD", Kind: tracking.CertifiedCopy, Count: 2}}
	courier := tracking.Party{Kind: tracking.PartyCourier, Ref: "BT1"}
	office := tracking.Party{Kind: tracking.PartyOffice, Ref: "BC1"}
	desk := tracking.Party{Kind: tracking.PartyDesk, Ref: "MC1"}
	pending := &tracking.Handoff{ID: "h1", Giver: courier, Receiver: office, ReleasedAt: fuzzNow, Deadline: fuzzNow.Add(30 * time.Minute)}
	return []tracking.State{
		{Leg: tracking.LegPickup, Status: tracking.StatusRequested, Custodian: tracking.Party{Kind: tracking.PartyCitizen}, Documents: docs},
		{Leg: tracking.LegPickup, Status: tracking.StatusCollected, Custodian: courier, SealID: "NP-1", Documents: docs,
			Collected: []tracking.DocCount{{Line: 1, Count: 1}, {Line: 2, Count: 2}}},
		{Leg: tracking.LegPickup, Status: tracking.StatusCollected, Custodian: courier, SealID: "NP-1", Documents: docs, Pending: pending},
		{Leg: tracking.LegPickup, Status: tracking.StatusAtDesk, Custodian: desk, Documents: docs},
		{Leg: tracking.LegReturn, Status: tracking.StatusOutForDelivery, Custodian: courier, Documents: docs, Attempts: 1},
	}
}

// FuzzDecide: an event's data as a device sends it, of any type, against
// parcels in several states. The rules never panic; a refusal is one of
// the expected kinds; an accepted event keeps custody with exactly one
// holder and moves it only where the vocabulary says.
func FuzzDecide(f *testing.F) {
	for _, s := range []struct{ typ, data string }{
		{"pickup.collected", `{"documents":[{"line":1,"count":1},{"line":2,"count":2}],"seal_id":"NP-1","proof":{"method":"signature","sha256":"` + strings.Repeat("ab", 32) + `","checked_by":"server"}}`},
		{"pickup.collected", `{"documents":[{"line":1,"count":1}],"seal_id":"NP-1","method":"otp","otp_verified":true}`},
		{"pickup.attempt_failed", `{"reason":"not_home"}`},
		{"handoff.released", `{"to":"post_office:BC1"}`},
		{"handoff.confirmed", `{"seal_intact":true,"documents":[{"line":1,"count":1}]}`},
		{"handoff.disputed", `{"problem":"seal_broken"}`},
		{"handoff.confirmed", `{"seal_intact":true,"seal_id":"NP-1"}`},
		{"handoff.confirmed", `{"seal_intact":false,"seal_id":"np 1"}`},
		{"handoff.released", `{"to":"courier:BT2","seal_id":"KQ-1"}`},
		{"handoff.recalled", `{"reason":"bên nhận không đến","handoff":"h1"}`},
		{"delivery.completed", `{"verification":"proxy","proxy_name":"A","authorisation":"B","signature_sha256":"x","fee_collected":0,"seal_id":"KQ-1"}`},
		{"delivery.attempt_failed", `{"cause":"seal_broken","action":"return_to_desk"}`},
		{"desk.returned_incomplete", `{"reason":"missing_documents","missing_lines":[3]}`},
		{"delivery.attempt_failed", `{"cause":"not_home","action":"retry_next_day"}`},
		{"delivery.completed", `{"verification":"proxy","proxy_name":"A","authorisation":"B","photo_sha256":"x","fee_collected":-1}`},
		{"delivery.completed", `{"proof":{"method":"proxy","proxy_name":"A","authorisation":"B","checked_by":"courier"},"photo_sha256":"` + strings.Repeat("cd", 32) + `","fee_collected":0}`},
		{"parcel.cancelled", `{"reason":"` + strings.Repeat("x", 600) + `"}`},
	} {
		f.Add(s.typ, s.data, uint8(0), uint8(0))
	}
	actors := []tracking.Party{{Kind: tracking.PartyCourier, Ref: "BT1"}, {Kind: tracking.PartyOffice, Ref: "BC1"}, {Kind: tracking.PartyDesk, Ref: "MC1"},
		{Kind: tracking.PartyCourier, Ref: "BT2"}, {Kind: tracking.PartyPortal, Ref: "P"}, {Kind: tracking.PartyDispatcher, Ref: "DP1"}}
	states := fuzzStates()
	f.Fuzz(func(t *testing.T, typ, data string, si, ai uint8) {
		et, err := tracking.ParseEventType(typ)
		if err != nil {
			return
		}
		canon, err := tracking.CanonicalJSON([]byte(data))
		if err != nil {
			return
		}
		st := states[int(si)%len(states)]
		ev := tracking.Event{ID: "e", Type: et, Actor: actors[int(ai)%len(actors)], ServerAt: fuzzNow, Data: canon}
		out, err := tracking.Decide(st, ev, tracking.DefaultPolicy, func() string { return "h2" })
		if err != nil {
			switch errs.KindOf(err) {
			case errs.Invalid, errs.Unprocessable, errs.Conflict, errs.Forbidden:
			default:
				t.Fatalf("%s on %s: kind %s: %v", et, st.Status, errs.KindOf(err), err)
			}
			return
		}
		if !json.Valid(out.Data) {
			t.Fatalf("stored data is not JSON: %s", out.Data)
		}
		next := st.Apply(out)
		if !next.Custodian.Kind.CanHold() {
			t.Fatalf("%s leaves custody with %+v", et, next.Custodian)
		}
		if next.Custodian != st.Custodian {
			switch out.Type {
			case tracking.PickupCollected, tracking.HandoffConfirmed, tracking.DeliveryCompleted, tracking.DeliveryReturnedToDesk:
			default:
				t.Fatalf("%s moved custody from %+v to %+v", out.Type, st.Custodian, next.Custodian)
			}
		}
		if out.Type == tracking.HandoffConfirmed && (st.Pending == nil || next.Custodian != st.Pending.Receiver) {
			t.Fatalf("confirmation moved custody to %+v, not to the named receiver", next.Custodian)
		}
	})
}
