package app_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/pg"
	"hoso/internal/pg/pgtest"
	"hoso/internal/secret"
	"hoso/internal/units"
	"hoso/tracking"
)

type fixture struct {
	t      *testing.T
	db     *pg.DB
	ledger *app.Ledger
	intake *app.Intake
	phones map[tracking.Party]*phone // the couriers' signing devices
}

// phone is a courier's device with its registered key.
type phone struct {
	user app.User
	soft *app.SoftDevice
	key  app.DeviceKey
}

var vn = time.FixedZone("ICT", 7*3600)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	db, _ := pgtest.New(t)
	ctx := context.Background()
	set, err := units.Load()
	if err != nil {
		t.Fatal(err)
	}
	box, _ := secret.NewBox(bytes.Repeat([]byte{1}, 32))
	hasher, _ := secret.NewHasher(bytes.Repeat([]byte{2}, 32))
	all := [7]bool{true, true, true, true, true, true, true}
	svc := app.NewServices(app.Wiring{Store: db, Units: set, Box: box, Hasher: hasher, Now: time.Now, NewID: uuid.NewString,
		S10:   app.S10Config{Pickup: "EA", Return: "EB", Country: "VN"},
		Hours: tracking.ServiceHours{Start: 0, End: 24 * time.Hour, Days: all, Zone: vn}})
	l, in := svc.Ledger, svc.Intake
	if err := db.UpsertDesk(ctx, app.Desk{Code: "MC1", Name: "Bộ phận một cửa", Level: "commune", CommuneCode: "05443", ProvinceCode: "19"}); err != nil {
		t.Fatal(err)
	}
	if err := db.UpsertOffice(ctx, app.PostOffice{Code: "BC1", Name: "Bưu cục", CommuneCode: "05443", ProvinceCode: "19", Lat: 21.5, Lng: 105.8}); err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, db: db, ledger: l, intake: in, phones: map[tracking.Party]*phone{}}
	auth := &app.Auth{Store: db, Now: time.Now}
	for i, c := range []tracking.Party{bt1, bt2} {
		u, err := auth.CreateUser(ctx, app.NewUser{Username: strings.ToLower(c.Ref), Password: "mat-khau-dai-du", Role: app.RoleCourier, OfficeCode: "BC1", StaffCode: c.Ref})
		if err != nil {
			t.Fatal(err)
		}
		soft, err := app.NewSoftDevice("may-"+c.Ref, bytes.Repeat([]byte{byte(i + 1)}, 32))
		if err != nil {
			t.Fatal(err)
		}
		alg, key := soft.PublicKey()
		pub, _ := base64.StdEncoding.DecodeString(key)
		k, _, err := db.SaveDeviceKey(ctx, u.ID, soft.ID, app.DeviceKey{Alg: alg, PublicKey: pub}, time.Now().Add(-time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		f.phones[c] = &phone{user: u, soft: soft, key: k}
	}
	return f
}

// sign makes a courier's event what the courier's phone sends and the
// server checked: signed by the phone's registered key over the fields as
// sent (the ledger records courier events only so). Others' events are
// returned as they are.
func (f *fixture) sign(number string, in app.EventInput) app.EventInput {
	f.t.Helper()
	ph, ok := f.phones[in.Actor]
	if !ok {
		return in
	}
	if in.ID == "" {
		in.ID = uuid.NewString()
	}
	at := time.Now().Truncate(time.Second)
	in.DeviceAt = &at
	fields := map[string]json.RawMessage{"id": data(in.ID), "type": data(in.Type), "tracking_number": data(number),
		"at": data(at.Format(time.RFC3339)), "data": json.RawMessage(in.Data)}
	signed := app.SignedText(fields)
	sig, err := ph.soft.Sign(signed)
	if err != nil {
		f.t.Fatal(err)
	}
	in.Device = &app.DeviceRecord{UserID: ph.user.ID, DeviceID: ph.soft.ID, Raw: data(fields), Signature: sig,
		Sig: &tracking.DeviceSig{KeyID: ph.key.ID, KeyAlg: ph.key.Alg, PublicKey: ph.key.PublicKey, KeyOwner: ph.user.StaffCode,
			KeyCreated: ph.key.CreatedAt, Signed: signed, Signature: sig}}
	return in
}

// record records one event of a parcel, signed when a courier's.
func (f *fixture) record(p app.Parcel, in app.EventInput) error {
	_, _, err := f.ledger.Record(context.Background(), p.ID, f.sign(p.Number, in))
	return err
}

func (f *fixture) parcel(i int) app.Parcel {
	f.t.Helper()
	start := time.Now().Add(48 * time.Hour).Truncate(time.Hour)
	p, err := f.intake.Create(context.Background(), tracking.PickupRequest{
		Dossier:   tracking.Dossier{Code: fmt.Sprintf("HS-%d-%s", i, uuid.NewString()[:8]), DeskCode: "MC1"},
		Citizen:   tracking.Citizen{FullName: "Nguyễn Văn A", Phone: "0912345678"},
		Address:   tracking.Address{ProvinceCode: "19", CommuneCode: "05443", Line: "Số 1"},
		Documents: []tracking.Document{{Name: "Tờ khai", Kind: tracking.Original, Count: 1}, {Name: "CCCD", Kind: tracking.CertifiedCopy, Count: 2}},
		Windows:   []tracking.Window{{Start: start, End: start.Add(2 * time.Hour)}},
		Channel:   tracking.ChannelCitizen,
	})
	if err != nil {
		f.t.Fatal(err)
	}
	return p
}

var (
	bt1  = tracking.Party{Kind: tracking.PartyCourier, Ref: "BT1"}
	bt2  = tracking.Party{Kind: tracking.PartyCourier, Ref: "BT2"}
	bc1  = tracking.Party{Kind: tracking.PartyOffice, Ref: "BC1"}
	mc1  = tracking.Party{Kind: tracking.PartyDesk, Ref: "MC1"}
	prtl = tracking.Party{Kind: tracking.PartyPortal, Ref: "P"}
)

func data(v any) []byte { b, _ := json.Marshal(v); return b }

func collectIn(actor tracking.Party) app.EventInput {
	return app.EventInput{Type: tracking.PickupCollected, Actor: actor, Data: data(tracking.Collected{
		Documents: []tracking.DocCount{{Line: 1, Count: 1}, {Line: 2, Count: 2}}, SealID: "NP-1",
		Proof: &tracking.Proof{Method: tracking.ProofSignature, SHA256: strings.Repeat("ab", 32), CheckedBy: tracking.CheckedByServer}})}
}

// invariants checks the schema-visible promises for every parcel.
func (f *fixture) invariants(step string) {
	f.t.Helper()
	ctx := context.Background()
	for q, want := range map[string]int{
		`SELECT count(*) FROM parcels p WHERE (SELECT count(*) FROM custody c WHERE c.parcel_id = p.id AND c.to_event IS NULL) <> 1`:   0,
		`SELECT count(*) FROM parcels p WHERE (SELECT count(*) FROM handoffs h WHERE h.parcel_id = p.id AND h.status = 'pending') > 1`: 0,
		`SELECT count(*) FROM custody c JOIN events e ON e.id = c.from_event WHERE e.type NOT IN
			('pickup.requested', 'pickup.collected', 'handoff.confirmed', 'delivery.completed', 'delivery.returned_to_desk', 'result.registered')`: 0,
		`SELECT count(*) FROM parcels p JOIN custody c ON c.parcel_id = p.id AND c.to_event IS NULL
			WHERE c.holder_kind <> p.custodian_kind OR c.holder_ref <> p.custodian_ref`: 0,
		`SELECT count(*) FROM parcels p WHERE p.event_count <> (SELECT count(*) FROM events e WHERE e.parcel_id = p.id)`: 0,
	} {
		n, err := f.db.CountForTest(ctx, q)
		if err != nil {
			f.t.Fatal(err)
		}
		if n != want {
			f.t.Fatalf("%s: invariant broken (%d): %s", step, n, q)
		}
	}
	v := &app.Verifier{Store: f.db, Now: time.Now, Zone: vn}
	rep, err := v.Verify(ctx, time.Time{}, nil)
	if err != nil || rep.Break != nil {
		f.t.Fatalf("%s: chain: %v %v", step, rep.Break, err)
	}
}

// race runs two operations at once from two connections, released by a
// barrier, and returns their errors.
func race(a, b func() error) (error, error) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	var ea, eb error
	wg.Add(2)
	go func() { defer wg.Done(); <-start; ea = a() }()
	go func() { defer wg.Done(); <-start; eb = b() }()
	close(start)
	wg.Wait()
	return ea, eb
}

func oneWins(t *testing.T, name string, ea, eb error) {
	t.Helper()
	if (ea == nil) == (eb == nil) {
		t.Fatalf("%s: exactly one must win, got %v and %v", name, ea, eb)
	}
	loser := ea
	if loser == nil {
		loser = eb
	}
	if k := errs.KindOf(loser); k != errs.Conflict && k != errs.Forbidden && k != errs.Unprocessable {
		t.Fatalf("%s: loser failed with %v (kind %s), want a refusal", name, loser, k)
	}
}

// TestInterleavings: the critical pairs on real PostgreSQL, concurrently
// many times and in both serial orders; after each, the invariants hold.
func TestInterleavings(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	trials := 12
	if testing.Short() {
		trials = 3
	}
	rec := func(p app.Parcel, in app.EventInput) func() error {
		in = f.sign(p.Number, in)
		return func() error { _, _, err := f.ledger.Record(ctx, p.ID, in); return err }
	}
	released := func() app.Parcel {
		p := f.parcel(0)
		if err := f.record(p, collectIn(bt1)); err != nil {
			t.Fatal(err)
		}
		if err := f.record(p, app.EventInput{Type: tracking.HandoffReleased, Actor: bt1, Data: data(tracking.Released{To: bc1.String()})}); err != nil {
			t.Fatal(err)
		}
		return p
	}
	confirm := app.EventInput{Type: tracking.HandoffConfirmed, Actor: bc1, Data: data(map[string]any{"seal_intact": true, "seal_id": "NP-1"})}
	dispute := app.EventInput{Type: tracking.HandoffDisputed, Actor: bc1, Data: data(map[string]any{"problem": "seal_broken", "seal_intact": false})}
	cancel := app.EventInput{Type: tracking.ParcelCancelled, Actor: prtl, Data: data(tracking.Cancelled{})}
	pairs := []struct {
		name  string
		setup func() app.Parcel
		a, b  app.EventInput
	}{
		{"two confirmations of one hand-off", released, confirm, confirm},
		{"confirmation against dispute", released, confirm, dispute},
		{"collection against cancellation", func() app.Parcel { return f.parcel(0) }, collectIn(bt1), cancel},
		{"two collections by two couriers", func() app.Parcel { return f.parcel(0) }, collectIn(bt1), collectIn(bt2)},
		{"two releases of one parcel", func() app.Parcel {
			p := f.parcel(0)
			if err := f.record(p, collectIn(bt1)); err != nil {
				t.Fatal(err)
			}
			return p
		}, app.EventInput{Type: tracking.HandoffReleased, Actor: bt1, Data: data(tracking.Released{To: bc1.String()})},
			app.EventInput{Type: tracking.HandoffReleased, Actor: bt1, Data: data(tracking.Released{To: mc1.String()})}},
	}
	for _, pr := range pairs {
		t.Run(pr.name, func(t *testing.T) {
			for i := 0; i < trials; i++ {
				p := pr.setup()
				ea, eb := race(rec(p, pr.a), rec(p, pr.b))
				oneWins(t, fmt.Sprintf("concurrent trial %d", i), ea, eb)
				f.invariants(pr.name)
			}
			for _, order := range [][2]app.EventInput{{pr.a, pr.b}, {pr.b, pr.a}} {
				p := pr.setup()
				ea := rec(p, order[0])()
				f.invariants(pr.name + " (first step)")
				eb := rec(p, order[1])()
				oneWins(t, "serial", ea, eb)
				f.invariants(pr.name + " (second step)")
			}
		})
	}
}

// TestRandomBatchesEqualApplyingEachOnce sends random events in random
// batches with repeats and reorders; the ledger ends where applying each
// accepted event once, in order, leads.
func TestRandomBatchesEqualApplyingEachOnce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	seeds := 6
	if testing.Short() {
		seeds = 2
	}
	for seed := 0; seed < seeds; seed++ {
		r := rand.New(rand.NewPCG(uint64(seed), 99))
		var ps []app.Parcel
		for i := 0; i < 6; i++ {
			ps = append(ps, f.parcel(i))
		}
		var sent []app.Item
		parties := []tracking.Party{bt1, bt2, bc1, mc1}
		for round := 0; round < 12; round++ {
			var batch []app.Item
			for k := 0; k < 1+r.IntN(15); k++ {
				if len(sent) > 0 && r.IntN(4) == 0 {
					batch = append(batch, sent[r.IntN(len(sent))]) // a repeat, same id
					continue
				}
				p := ps[r.IntN(len(ps))]
				actor := parties[r.IntN(len(parties))]
				var in app.EventInput
				switch r.IntN(4) {
				case 0:
					in = collectIn(actor)
				case 1:
					in = app.EventInput{Type: tracking.HandoffReleased, Actor: actor, Data: data(tracking.Released{To: parties[r.IntN(len(parties))].String()})}
				case 2:
					in = app.EventInput{Type: tracking.HandoffConfirmed, Actor: actor, Data: data(map[string]any{"seal_intact": true, "seal_id": "NP-1"})}
				case 3:
					in = app.EventInput{Type: tracking.HandoffDisputed, Actor: actor, Data: data(map[string]any{"problem": "seal_broken", "seal_intact": false})}
				}
				in.ID = uuid.NewString()
				it := app.Item{Number: p.Number, In: f.sign(p.Number, in)}
				batch = append(batch, it)
				sent = append(sent, it)
			}
			r.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
			res, err := f.ledger.RecordBatch(ctx, batch)
			if err != nil {
				t.Fatal(err)
			}
			for i, x := range res {
				if x.Err != nil && errs.KindOf(x.Err) == errs.Internal {
					t.Fatalf("item %d: %v", i, x.Err)
				}
			}
			f.invariants(fmt.Sprintf("seed %d round %d", seed, round))
		}
		// Replay the stored events of each parcel through the rules.
		for _, p := range ps {
			evs, err := f.db.FindEvents(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			st := tracking.State{Leg: tracking.LegPickup, Documents: p.Documents}
			for _, e := range evs {
				out, err := tracking.Decide(st, e, tracking.DefaultPolicy, uuid.NewString)
				if err != nil {
					t.Fatalf("replaying %s of %s: %v", e.Type, p.Number, err)
				}
				if out.Type != e.Type {
					t.Fatalf("replay decided %s, stored %s", out.Type, e.Type)
				}
				st = st.Apply(out)
			}
			got, err := f.db.FindParcel(ctx, p.ID)
			if err != nil {
				t.Fatal(err)
			}
			if st.Status != got.Status || st.Custodian != got.Custodian {
				t.Fatalf("seed %d %s: replay gives %s %+v, ledger has %s %+v", seed, p.Number, st.Status, st.Custodian, got.Status, got.Custodian)
			}
		}
	}
}

// TestRevokedKeyRefusedAtWrite: an event checked against a device key that
// is replaced before the ledger writes it is refused (the key must still be
// live, and is held until the commit), so `hoso verify` never finds an
// event signed by a key revoked before it.
func TestRevokedKeyRefusedAtWrite(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	p := f.parcel(0)
	in := f.sign(p.Number, collectIn(bt1))
	ph := f.phones[bt1]
	other, err := app.NewSoftDevice(ph.soft.ID, bytes.Repeat([]byte{9}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, changed, err := f.db.SaveDeviceKey(ctx, ph.user.ID, ph.soft.ID, other.Key(), time.Now()); err != nil || !changed {
		t.Fatalf("replace the key: %v %v", changed, err)
	}
	if _, _, err := f.ledger.Record(ctx, p.ID, in); !errs.Is(err, errs.Unauthorized) {
		t.Fatalf("an event signed by a key revoked before the write: %v", err)
	}
	if n, _ := f.db.CountForTest(ctx, `SELECT count(*) FROM events WHERE id = ?`, in.ID); n != 0 {
		t.Error("the event was written")
	}
	f.invariants("after the refused write")
}
