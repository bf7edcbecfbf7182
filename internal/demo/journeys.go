package demo

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"hoso/internal/app"
	"hoso/tracking"
)

// clock is the demo's own time, moved by hand so journeys have a history.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

// journeys takes demo parcels through every state: collected, released and
// not yet confirmed (an alarm), at the office, on the way to the desk, at
// the desk, accepted, returned as incomplete, disputed (one declared lost),
// results ready, with the courier, out for delivery after a failed attempt,
// delivered with the fee, and returned to the desk after three attempts.
// History is written over the last days with a clock moved by hand.
func (s *Seeder) journeys(ctx context.Context) (int, error) {
	now := s.Wiring.Now()
	vn := time.FixedZone("ICT", 7*3600)
	// The services again, on a clock moved by hand.
	clk := &clock{}
	w := s.Wiring
	w.Now = clk.Now
	svc := app.NewServices(w)
	led, in, hops, cases := svc.Ledger, svc.Intake, svc.Hops, svc.Cases
	user := func(name string) (app.User, error) { return s.Store.FindUserByUsername(ctx, name) }
	office, err := user("buucuc")
	if err != nil {
		return 0, err
	}
	desk, err := user("motcua")
	if err != nil {
		return 0, err
	}
	dispatcher, err := user("dieuphoi")
	if err != nil {
		return 0, err
	}
	courier := tracking.Party{Kind: tracking.PartyCourier, Ref: "BUUTA1"}
	courierUser, err := user("buuta1")
	if err != nil {
		return 0, err
	}
	// The demo courier's phone: a software device with a fixed key, whose
	// events take the app's path (signature, proof checks, scope).
	devs, syn := svc.Devices, svc.Sync
	seed := sha256.Sum256([]byte("hoso demo courier device buuta1"))
	phone, err := app.NewSoftDevice("demo-buuta1", seed[:])
	if err != nil {
		return 0, err
	}
	// Seeding registers the key as an administrator would (the courier's
	// own registration through the app needs the password again).
	if _, _, err := devs.Store.SaveDeviceKey(ctx, courierUser.ID, phone.ID, phone.Key(), now.AddDate(0, 0, -7)); err != nil {
		return 0, fmt.Errorf("demo device key: %w", err)
	}
	recDevice := func(number string, t tracking.EventType, data any, secret string) error {
		raw, err := phone.Event(app.SoftEvent{ID: uuid.NewString(), Type: string(t), Number: number, At: clk.t, Data: data, Secret: secret})
		if err != nil {
			return err
		}
		res, err := syn.Apply(ctx, courierUser, phone.ID, []json.RawMessage{raw})
		if err != nil {
			return fmt.Errorf("demo journey %s %s: %w", number, t, err)
		}
		if res[0].Status != "accepted" {
			return fmt.Errorf("demo journey %s %s: %s %+v", number, t, res[0].Status, res[0].Error)
		}
		return nil
	}
	rec := func(number string, t tracking.EventType, actor tracking.Party, data any) error {
		if actor.Kind == tracking.PartyCourier {
			if err := recDevice(number, t, data, ""); err != nil {
				return err
			}
		} else {
			b, _ := json.Marshal(data)
			if _, _, err := led.RecordByNumber(ctx, number, app.EventInput{Type: t, Actor: actor, Data: b}); err != nil {
				return fmt.Errorf("demo journey %s %s: %w", number, t, err)
			}
		}
		clk.t = clk.t.Add(7 * time.Minute)
		return nil
	}
	// signature uploads a citizen's (or recipient's) drawn signature for a
	// parcel and returns its SHA-256.
	signature := func(number string) (string, error) {
		return devs.StoreEvidence(ctx, courierUser, number, "signature", "image/png", base64.StdEncoding.EncodeToString(SignaturePNG(number)))
	}
	type stage int
	const (
		failed stage = iota
		cancelled
		collected
		unconfirmed
		atOffice
		toDesk
		atDesk
		accepted
		incomplete
		disputed
		lost
		ready
		withCourier
		outAfterFail
		delivered
		backToDesk
	)
	plan := []struct {
		s stage
		n int
	}{{failed, 2}, {cancelled, 2}, {collected, 5}, {unconfirmed, 3}, {atOffice, 5}, {toDesk, 3}, {atDesk, 4}, {accepted, 6},
		{incomplete, 3}, {disputed, 1}, {lost, 1}, {ready, 3}, {withCourier, 2}, {outAfterFail, 2}, {delivered, 3}, {backToDesk, 1}}
	made := 0
	for _, p := range plan {
		for k := 0; k < p.n; k++ {
			// Each journey starts two days ago and moves on from there.
			day := now.In(vn).AddDate(0, 0, -2)
			for !s.Wiring.Hours.Days[day.Weekday()] {
				day = day.AddDate(0, 0, -1)
			}
			clk.t = time.Date(day.Year(), day.Month(), day.Day(), 6, 0, 0, 0, vn).Add(time.Duration(made) * time.Minute)
			ws := time.Date(day.Year(), day.Month(), day.Day(), 9, 30, 0, 0, vn)
			pr := procedures[(made*5)%len(procedures)]
			com, _ := s.Wiring.Units.Commune(deskCommunes[made%3])
			req := tracking.PickupRequest{
				Dossier: tracking.Dossier{Code: fmt.Sprintf("000.00.19.H40-%s-%04d", day.Format("060102"), 900+made), ProcedureCode: pr.Code,
					ProcedureName: pr.Name, DeskCode: "TN-TTPVHCC", ReturnByPost: true},
				Citizen: tracking.Citizen{FullName: familyNames[made%len(familyNames)] + " " + middleNames[made%len(middleNames)] + " " + givenNames[(made*7)%len(givenNames)],
					Phone: fmt.Sprintf("0978%06d", 100000+made), IDNumber: fmt.Sprintf("019%09d", 555000000+made)},
				Address:   tracking.Address{ProvinceCode: Province, CommuneCode: com.Code, Line: fmt.Sprintf("Số %d, %s", 3+made, streets[made%len(streets)])},
				Documents: pr.Docs, Windows: []tracking.Window{{Start: ws, End: ws.Add(2 * time.Hour)}},
				Channel: tracking.ChannelPortal, PortalClient: PortalID,
			}
			pk, err := in.Create(ctx, req)
			if err != nil {
				return made, fmt.Errorf("demo journey request: %w", err)
			}
			made++
			n := pk.Number
			if p.s != cancelled {
				// Planned for the demo courier: only the courier of a stop
				// acts on it.
				sd, _ := tracking.MarshalData(tracking.Scheduled{Courier: courier.Ref, Office: "BC-05443", Date: day.Format("2006-01-02"),
					WindowStart: ws.Format(time.RFC3339), WindowEnd: ws.Add(2 * time.Hour).Format(time.RFC3339), Stop: 1})
				if _, _, err := led.RecordByNumber(ctx, n, app.EventInput{Type: tracking.PickupScheduled, Actor: dispatcher.Party(), Data: sd,
					Schedule: &app.Schedule{Courier: courier.Ref, Office: "BC-05443", Date: time.Date(day.Year(), day.Month(), day.Day(), 0, 0, 0, 0, vn),
						WindowStart: ws, WindowEnd: ws.Add(2 * time.Hour), Stop: 1}}); err != nil {
					return made, fmt.Errorf("demo journey schedule %s: %w", n, err)
				}
			}
			clk.t = ws.Add(20 * time.Minute)
			switch p.s {
			case failed:
				if err := rec(n, tracking.PickupAttemptFailed, courier, tracking.PickupFailed{Reason: "not_home", Note: "Gọi điện không nghe máy"}); err != nil {
					return made, err
				}
				continue
			case cancelled:
				if err := rec(n, tracking.ParcelCancelled, tracking.Party{Kind: tracking.PartyPortal, Ref: PortalID}, tracking.Cancelled{Reason: "Công dân nộp trực tiếp tại quầy"}); err != nil {
					return made, err
				}
				continue
			}
			counts := make([]tracking.DocCount, len(pk.Documents))
			for i, d := range pk.Documents {
				counts[i] = tracking.DocCount{Line: i + 1, Count: d.Count, Condition: "good"}
			}
			seal := fmt.Sprintf("NP-%06d", 300000+made)
			sig, err := signature(n)
			if err != nil {
				return made, err
			}
			if err := rec(n, tracking.PickupCollected, courier, tracking.Collected{Documents: counts, SealID: seal,
				Proof: &tracking.Proof{Method: tracking.ProofSignature, SHA256: sig}}); err != nil {
				return made, err
			}
			if p.s == collected {
				continue
			}
			if p.s == unconfirmed {
				// Released to the office two hours ago and never confirmed:
				// the alarm sweep raises it.
				clk.t = now.Add(-2 * time.Hour)
			}
			if err := rec(n, tracking.HandoffReleased, courier, tracking.Released{To: "post_office:BC-05443"}); err != nil {
				return made, err
			}
			if p.s == unconfirmed {
				continue
			}
			if _, err := hops.Receive(ctx, office, app.LineInput{Number: n, Result: app.LineReceived, SealID: seal}, false); err != nil {
				return made, err
			}
			if p.s == atOffice {
				continue
			}
			clk.t = clk.t.Add(3 * time.Hour)
			if _, res, err := hops.Release(ctx, office, courier, []app.ReleaseItem{{Number: n}}); err != nil || res[0].Err != nil {
				return made, fmt.Errorf("demo run: %v %v", err, res)
			}
			if err := rec(n, tracking.HandoffConfirmed, courier, map[string]any{"seal_intact": true}); err != nil {
				return made, err
			}
			if p.s == toDesk {
				continue
			}
			if err := rec(n, tracking.HandoffReleased, courier, tracking.Released{To: "desk:TN-TTPVHCC"}); err != nil {
				return made, err
			}
			got := counts
			if p.s == disputed || p.s == lost {
				got = append([]tracking.DocCount(nil), counts...)
				got[len(got)-1].Count, got[len(got)-1].Condition = 0, "missing"
			}
			// A short count is a dispute the clerk confirms.
			if _, err := hops.Receive(ctx, desk, app.LineInput{Number: n, Result: app.LineReceived, SealID: seal, Counts: got}, true); err != nil {
				return made, err
			}
			if p.s == disputed {
				continue
			}
			if p.s == lost {
				is, err := cases.List(ctx, dispatcher, true)
				if err != nil {
					return made, err
				}
				for _, i := range is {
					if i.Number == n {
						if _, err := cases.DeclareLost(ctx, dispatcher, i.ID, "Không tìm thấy sau khi rà soát túi và xe"); err != nil {
							return made, err
						}
						amount := int64(120000)
						if _, err := cases.UpdateCase(ctx, dispatcher, i.ID, app.CaseUpdate{Reissue: "in_progress", CostsAmount: &amount}); err != nil {
							return made, err
						}
					}
				}
				continue
			}
			if p.s == atDesk {
				continue
			}
			if p.s == incomplete {
				if err := hops.Decide(ctx, desk, n, app.DeskDecision{Reason: "missing_documents", MissingLines: []int{1}, Note: "Tờ khai chưa ký"}); err != nil {
					return made, err
				}
				continue
			}
			if err := hops.Decide(ctx, desk, n, app.DeskDecision{Accept: true, AppointmentDate: now.AddDate(0, 0, 5).Format("2006-01-02")}); err != nil {
				return made, err
			}
			if p.s == accepted {
				continue
			}
			clk.t = clk.t.Add(20 * time.Hour)
			ret, err := hops.RegisterResult(ctx, app.ResultInput{DossierCode: req.Dossier.Code, PortalClient: PortalID, DeskCode: "TN-TTPVHCC",
				Documents: []tracking.Document{{Name: "Kết quả giải quyết: " + pr.Name, Kind: tracking.Original, Count: 1}},
				Fee:       int64(10000 * (1 + made%5)), Actor: tracking.Party{Kind: tracking.PartyDesk, Ref: "TN-TTPVHCC"}})
			if err != nil {
				return made, err
			}
			if p.s == ready {
				continue
			}
			rn := ret.Number
			resultSeal := fmt.Sprintf("KQ-%06d", 300000+made)
			// The desk hands a result to the post of its address: a courier
			// of the office serving it.
			courier := courier
			switch ret.OfficeCode {
			case "", "BC-05443":
			case "BC-05488":
				courier.Ref = "BUUTA3"
			default:
				courier.Ref = "BT-" + strings.TrimPrefix(ret.OfficeCode, "BC-")
			}
			if _, res, err := hops.Release(ctx, desk, courier, []app.ReleaseItem{{Number: rn, SealID: resultSeal}}); err != nil || res[0].Err != nil {
				return made, fmt.Errorf("demo result run: %v %v", err, res)
			}
			if err := rec(rn, tracking.HandoffConfirmed, courier, map[string]any{"seal_intact": true}); err != nil {
				return made, err
			}
			if p.s == withCourier {
				continue
			}
			attempts := 0
			switch p.s {
			case outAfterFail:
				attempts = 1
			case backToDesk:
				attempts = 3
			}
			for a := 0; a < attempts; a++ {
				if err := rec(rn, tracking.DeliveryOut, courier, map[string]any{}); err != nil {
					return made, err
				}
				if err := rec(rn, tracking.DeliveryAttemptFailed, courier, tracking.DeliveryFailed{Cause: "not_home", Action: "retry_next_day"}); err != nil {
					return made, err
				}
				clk.t = clk.t.Add(4 * time.Hour)
			}
			switch p.s {
			case outAfterFail:
				if err := rec(rn, tracking.DeliveryOut, courier, map[string]any{}); err != nil {
					return made, err
				}
			case delivered:
				if err := rec(rn, tracking.DeliveryOut, courier, map[string]any{}); err != nil {
					return made, err
				}
				sig, err := signature(rn)
				if err != nil {
					return made, err
				}
				// The recipient reads out the last three digits of the CCCD:
				// the device signs their commitment, the server checks them.
				id := uuid.NewString()
				last3 := req.Citizen.IDNumber[9:]
				raw, err := phone.Event(app.SoftEvent{ID: id, Type: string(tracking.DeliveryCompleted), Number: rn, At: clk.t, Secret: last3,
					Data: tracking.Delivered{Proof: &tracking.Proof{Method: tracking.ProofIDDigits, Commit: tracking.ProofCommit(id, last3)},
						SignatureSHA: sig, FeeCollected: ret.FeeAmount, SealID: resultSeal}})
				if err != nil {
					return made, err
				}
				if res, err := syn.Apply(ctx, courierUser, phone.ID, []json.RawMessage{raw}); err != nil || res[0].Status != "accepted" {
					return made, fmt.Errorf("demo delivery %s: %v %+v", rn, err, res)
				}
				clk.t = clk.t.Add(7 * time.Minute)
			case backToDesk:
				if err := rec(rn, tracking.HandoffReleased, courier, tracking.Released{To: "desk:TN-TTPVHCC"}); err != nil {
					return made, err
				}
				if _, err := hops.Receive(ctx, desk, app.LineInput{Number: rn, Result: app.LineReceived, SealID: resultSeal}, false); err != nil {
					return made, err
				}
			}
		}
	}
	return made, nil
}
