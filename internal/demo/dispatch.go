package demo

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"sort"
	"strings"
	"time"

	"hoso/dispatch"
	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/secret"
	"hoso/internal/units"
	"hoso/tracking"
)

// demoReach is how far from a demo office a commune's point may be for the
// commune to join that office's zone; communes further out stay outside
// every zone, so the demo also shows the queue of unzoned requests.
const demoReach = 12_000 // metres

// SeedDispatch gives the demo offices zones (the communes around each
// office, each commune to its nearest office), places the pickups that were
// filed before the zones existed, gives every demo office a courier (the
// accounts' couriers, plus one made here for offices that have none), gives
// the couriers shifts for today and the next service days, plans every day
// that has requests and publishes today's and the next day's plans, so the
// couriers' routes and the citizens' timelines show appointments. It is
// safe to run again: what exists is kept.
func (s *Seeder) SeedDispatch(ctx context.Context) error {
	h := dispatch.HoursFrom(s.Wiring.Hours.Start, s.Wiring.Hours.End)
	w := s.Wiring
	w.DispatchHours, w.Demo, w.PlanTime, w.Outlines = h, true, time.Second, units.NewOutlines()
	w.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	d := app.NewServices(w).Dispatch
	user, err := s.Store.FindUserByUsername(ctx, "dieuphoi")
	if err != nil {
		return fmt.Errorf("demo: dispatcher: %w", err)
	}
	offices, err := d.Offices(ctx, user)
	if err != nil {
		return err
	}
	var demoOffices []app.PostOffice
	for _, o := range offices {
		if o.Demo && o.ProvinceCode == Province {
			demoOffices = append(demoOffices, o)
		}
	}
	if len(demoOffices) == 0 {
		return fmt.Errorf("demo: no demo offices")
	}
	if err := s.seedZones(ctx, d, user, demoOffices); err != nil {
		return err
	}
	if err := s.seedShifts(ctx, d, user, demoOffices); err != nil {
		return err
	}
	if err := s.seedResults(ctx, d, user, demoOffices); err != nil {
		return err
	}
	// Requests and results with no office yet go to the zone of their point.
	if _, err := d.PlaceUnzoned(ctx, user, Province); err != nil {
		return fmt.Errorf("demo: place requests: %w", err)
	}
	return s.seedPlans(ctx, d, user, demoOffices)
}

// resultsPerCourier is how many results wait at each demo office per
// courier on shift today, to be delivered on the same routes as the day's
// pickups.
const resultsPerCourier = 2

// seedResults puts results at each demo office, as the counters do: the
// desk registers each result for a citizen near the office, releases it
// under seal to the office, and the office receives it (seal read,
// documents counted). An office that already holds results is left alone.
func (s *Seeder) seedResults(ctx context.Context, d *app.Dispatch, user app.User, offices []app.PostOffice) error {
	svc := s.services()
	hops := svc.Hops
	desk, err := s.Store.FindUserByUsername(ctx, "motcua")
	if err != nil {
		return fmt.Errorf("demo: desk clerk: %w", err)
	}
	today := dispatch.DayOf(s.Wiring.Now())
	for oi, o := range offices {
		visits, err := d.Store.FindRequests(ctx, o.Code, today)
		if err != nil {
			return err
		}
		held := false
		for _, v := range visits {
			held = held || v.Kind.IsDelivery()
		}
		shifts, err := d.Shifts(ctx, user, o.Code, today, today)
		if err != nil {
			return err
		}
		if held || len(shifts) == 0 {
			continue
		}
		clerks, err := d.Store.FindUsers(ctx, app.RoleOffice, o.Code)
		if err != nil {
			return err
		}
		var clerk app.User
		if len(clerks) > 0 {
			clerk = clerks[0]
		} else {
			code := strings.TrimPrefix(o.Code, "BC-")
			clerk, err = svc.Auth.CreateUser(ctx, app.NewUser{Username: "buucuc-" + code, Password: secret.Token(18), Role: app.RoleOffice,
				OfficeCode: o.Code, FullName: "Giao dịch viên " + strings.TrimSuffix(strings.TrimPrefix(o.Name, "Bưu cục "), " (demo)"), Demo: true})
			if err != nil {
				return fmt.Errorf("demo: clerk of %s: %w", o.Code, err)
			}
		}
		// Today's pickups near the office too, so that every courier's
		// route mixes both kinds (in a slot still ahead today).
		slots, err := svc.Intake.Slots(ctx, o.CommuneCode, 1)
		if err != nil {
			return err
		}
		var ahead []app.Slot
		for _, sl := range slots {
			if sl.Window.Start.After(s.Wiring.Now().Add(time.Hour)) && dispatch.DayOf(sl.Window.Start).Equal(today) {
				ahead = append(ahead, sl)
			}
		}
		for i := range resultsPerCourier * len(shifts) {
			if len(ahead) == 0 {
				break
			}
			code := strings.TrimPrefix(o.Code, "BC-")
			lat := o.Lat - 0.003*float64(i%3-1) - 0.0012*float64(i)
			lng := o.Lng + 0.005*float64((i/3)%3-1)
			req := tracking.PickupRequest{
				Dossier: tracking.Dossier{Code: fmt.Sprintf("000.00.19.NGAY-%s-%02d", code, i+1), ProcedureCode: procedures[i%len(procedures)].Code,
					ProcedureName: procedures[i%len(procedures)].Name, DeskCode: "TN-TTPVHCC", ReturnByPost: true},
				Citizen:   tracking.Citizen{FullName: "Công dân demo " + code, Phone: fmt.Sprintf("0978%06d", 10000*oi+i)},
				Address:   tracking.Address{ProvinceCode: Province, CommuneCode: o.CommuneCode, Line: fmt.Sprintf("Số %d (demo)", 50+i), Lat: &lat, Lng: &lng},
				Documents: procedures[i%len(procedures)].Docs, Windows: []tracking.Window{ahead[i%len(ahead)].Window},
				Channel: tracking.ChannelPortal, PortalClient: PortalID,
			}
			p, err := svc.Intake.Create(ctx, req)
			if errs.Is(err, errs.Unprocessable) || errs.Is(err, errs.Conflict) {
				continue
			}
			if err != nil {
				return fmt.Errorf("demo: today's pickup at %s: %w", o.Code, err)
			}
			if p.OfficeCode == "" {
				if _, err := d.Store.SetParcelOffice(ctx, p.ID, o.Code); err != nil {
					return err
				}
			}
		}
		for i := range resultsPerCourier * len(shifts) {
			code := strings.TrimPrefix(o.Code, "BC-")
			lat := o.Lat + 0.004*float64(i%3-1) + 0.001*float64(i)
			lng := o.Lng + 0.004*float64((i/3)%3-1)
			fee := int64(0)
			if i%3 == 0 {
				fee = 30000
			}
			ret, err := hops.RegisterResult(ctx, app.ResultInput{DossierCode: fmt.Sprintf("000.00.19.KQ-%s-%02d", code, i+1), PortalClient: PortalID,
				DeskCode: "TN-TTPVHCC", Fee: fee, Actor: tracking.Party{Kind: tracking.PartyDesk, Ref: "TN-TTPVHCC"},
				Documents: []tracking.Document{{Name: "Kết quả giải quyết thủ tục hành chính", Kind: tracking.Original, Count: 1}},
				Citizen:   &tracking.Citizen{FullName: "Công dân demo " + code, Phone: fmt.Sprintf("0979%06d", 10000*oi+i)},
				Address:   &tracking.Address{ProvinceCode: Province, CommuneCode: o.CommuneCode, Line: fmt.Sprintf("Số %d (demo)", i+1), Lat: &lat, Lng: &lng}})
			if errs.Is(err, errs.Conflict) {
				continue // registered by an earlier run
			}
			if err != nil {
				return fmt.Errorf("demo: result at %s: %w", o.Code, err)
			}
			if ret.OfficeCode == "" {
				// The post office of the citizen's zone delivers it.
				if _, err := d.Store.SetParcelOffice(ctx, ret.ID, o.Code); err != nil {
					return err
				}
			}
			seal := fmt.Sprintf("KQ-%s-%02d", code, i+1)
			to := tracking.Party{Kind: tracking.PartyOffice, Ref: o.Code}
			if _, res, err := hops.Release(ctx, desk, to, []app.ReleaseItem{{Number: ret.Number, SealID: seal}}); err != nil || res[0].Err != nil {
				return fmt.Errorf("demo: release %s to %s: %v %v", ret.Number, o.Code, err, res)
			}
			sc, err := hops.Receive(ctx, clerk, app.LineInput{Number: ret.Number, Result: app.LineReceived, SealID: seal,
				Counts: []tracking.DocCount{{Line: 1, Count: 1}}}, true)
			if err != nil || sc.Kind != "ok" {
				return fmt.Errorf("demo: %s receives %s: %v %+v", o.Code, ret.Number, err, sc)
			}
		}
	}
	return nil
}

func (s *Seeder) seedZones(ctx context.Context, d *app.Dispatch, user app.User, offices []app.PostOffice) error {
	zones, err := d.Zones(ctx, user)
	if err != nil {
		return err
	}
	for _, z := range zones {
		if z.Office.Demo && z.Cells > 0 {
			return nil // already seeded
		}
	}
	near := map[string][]string{}
	for _, c := range s.Wiring.Units.CommunesOf(Province) {
		best, bestD := "", math.Inf(1)
		for _, o := range offices {
			if dist := metres(c.Lat, c.Lng, o.Lat, o.Lng); dist < bestD {
				best, bestD = o.Code, dist
			}
		}
		if bestD <= demoReach {
			near[best] = append(near[best], c.Code)
		}
	}
	for _, o := range offices {
		if len(near[o.Code]) == 0 {
			continue
		}
		if _, err := d.CoverCommunes(ctx, user, app.CoverRequest{Office: o.Code, Communes: near[o.Code], Mode: "center", SkipTaken: true}); err != nil {
			return fmt.Errorf("demo: zone of %s: %w", o.Code, err)
		}
	}
	return nil
}

// metres is the great-circle distance between two points.
func metres(lat1, lng1, lat2, lng2 float64) float64 {
	const r = 6371008.8
	rad := math.Pi / 180
	dLat, dLng := (lat2-lat1)*rad, (lng2-lng1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLng/2)*math.Sin(dLng/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a)))
}

func (s *Seeder) seedShifts(ctx context.Context, d *app.Dispatch, user app.User, offices []app.PostOffice) error {
	today := dispatch.DayOf(s.Wiring.Now())
	h := dispatch.HoursFrom(s.Wiring.Hours.Start, s.Wiring.Hours.End)
	for i, o := range offices {
		couriers, err := d.Couriers(ctx, user, o.Code)
		if err != nil {
			return err
		}
		if len(couriers) == 0 {
			// An office with no demo account gets a courier of its own; its
			// password is random: nobody logs in with it.
			code := strings.TrimPrefix(o.Code, "BC-")
			u, err := s.services().Auth.CreateUser(ctx, app.NewUser{Username: "buuta-" + code, Password: secret.Token(18), Role: app.RoleCourier,
				OfficeCode: o.Code, FullName: "Bưu tá " + strings.TrimSuffix(strings.TrimPrefix(o.Name, "Bưu cục "), " (demo)"),
				StaffCode: "BT-" + code, Demo: true})
			if err != nil && !errs.Is(err, errs.Conflict) {
				return fmt.Errorf("demo: courier of %s: %w", o.Code, err)
			}
			if err == nil {
				couriers = append(couriers, dispatch.Courier{Ref: u.StaffCode, Name: u.FullName, Office: o.Code})
			}
		}
		existing, err := d.Shifts(ctx, user, o.Code, today, today.AddDays(7))
		if err != nil {
			return err
		}
		has := map[string]bool{}
		for _, sh := range existing {
			has[sh.Courier] = true
		}
		for j, c := range couriers {
			if has[c.Ref] {
				continue
			}
			sh := dispatch.Shift{Courier: c.Ref, Office: o.Code, Day: today, Start: h.Start, End: h.End,
				Capacity: 25, MaxStops: 0, Vehicle: dispatch.Motorbike, COD: (i+j)%2 == 0, Demo: true}
			// Lunch: 45 minutes starting between 11:00 and 12:30, when the
			// service hours hold it.
			if from, to := dispatch.Clock(11*60), dispatch.Clock(12*60+30); from >= h.Start && int(to)+45 <= int(h.End) {
				sh.BreakFrom, sh.BreakTo, sh.BreakMinutes = from, to, 45
			}
			if j%3 == 2 {
				sh.Vehicle, sh.Capacity = dispatch.Bicycle, 12
			}
			if _, err := d.CreateShifts(ctx, user, sh, 6, s.Wiring.Hours.Days); err != nil {
				return fmt.Errorf("demo: shifts of %s: %w", c.Ref, err)
			}
		}
	}
	return nil
}

func (s *Seeder) seedPlans(ctx context.Context, d *app.Dispatch, user app.User, offices []app.PostOffice) error {
	today := dispatch.DayOf(s.Wiring.Now())
	sort.Slice(offices, func(i, j int) bool { return offices[i].Code < offices[j].Code })
	published := 0
	for k := 0; k < 6; k++ {
		day := today.AddDays(k)
		planned := false
		for _, o := range offices {
			if _, err := d.Plan(ctx, user, o.Code, day); err == nil {
				continue // already planned
			} else if !errs.Is(err, errs.NotFound) {
				return err
			}
			shifts, err := d.Shifts(ctx, user, o.Code, day, day)
			if err != nil {
				return err
			}
			requests, err := d.Store.FindRequests(ctx, o.Code, day)
			if err != nil {
				return err
			}
			if len(shifts) == 0 || len(requests) == 0 {
				continue
			}
			plan, err := d.PlanDay(ctx, user, o.Code, day, app.PlanOptions{Seed: 2026, Reason: "Kế hoạch demo"})
			if err != nil {
				return fmt.Errorf("demo: plan %s %s: %w", o.Code, day, err)
			}
			if plan.Stops() == 0 {
				continue
			}
			planned = true
			if published < 2 {
				if _, err := d.Publish(ctx, user, plan.ID); err != nil {
					return fmt.Errorf("demo: publish %s %s: %w", o.Code, day, err)
				}
			}
		}
		if planned {
			published++
		}
	}
	return nil
}
