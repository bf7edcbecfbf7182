package dispatch

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// verifySlack absorbs rounding: ETAs are stored to the second.
const verifySlack = 2 * time.Second

// Verify checks a plan against the day's rules, recomputing travel times
// from the model rather than trusting the solver: every request is in at
// most one route or in the unplaced list (and each live request in one of
// them); each route belongs to a courier with a shift that day at the plan's
// office, who is not absent while visiting, whose load and stop count stay
// within the shift; fee-collecting requests go only to couriers allowed to
// collect; pinned requests stay with their courier; every ETA falls in one
// of the request's windows and in service hours and is reachable from the
// previous stop; and the courier is back before the shift ends. Visited
// stops are history and are only checked for duplicates.
func Verify(in Input, p Plan) error {
	if in.Model == nil {
		return fmt.Errorf("%w: no travel model", ErrInput)
	}
	req := map[string]Request{}
	for _, r := range in.Requests {
		req[r.Parcel] = r
	}
	shift := map[string]Shift{}
	for _, s := range in.Shifts {
		if s.Day.Equal(in.Day) {
			shift[s.Courier] = s
		}
	}
	pin := map[string]string{}
	for _, x := range in.Pins {
		if x.Day.Equal(in.Day) {
			pin[x.Parcel] = x.Courier
		}
	}
	seen := map[string]string{}
	mark := func(parcel, where string) error {
		if prev, ok := seen[parcel]; ok {
			return fmt.Errorf("parcel %s is both in %s and in %s", parcel, prev, where)
		}
		seen[parcel] = where
		return nil
	}
	open, close := in.Day.At(in.Hours.Start), in.Day.At(in.Hours.End)
	for _, r := range p.Routes {
		where := "route of " + r.Courier
		s, ok := shift[r.Courier]
		if !ok {
			return fmt.Errorf("%s: courier has no shift on %s", where, in.Day)
		}
		if s.Office != p.Office && p.Office != "" {
			return fmt.Errorf("%s: shift is at office %s, plan is for %s", where, s.Office, p.Office)
		}
		from, to, avail := s.Available(in.Absences)
		if s.Capacity <= 0 {
			return fmt.Errorf("%s: capacity %d", where, s.Capacity)
		}
		load := 0
		var prevStop *Stop
		office := in.Offices[s.Office]
		here := office
		if !s.StartPlace.IsZero() {
			here = s.StartPlace
		}
		earliest := in.Day.At(from)
		if !in.Now.IsZero() && in.Now.After(earliest) {
			earliest = in.Now
		}
		pos, hasPos := in.Positions[r.Courier]
		if hasPos {
			here = pos.Point
			if pos.At.After(earliest) {
				earliest = pos.At
			}
		}
		demandOf := func(st Stop) int {
			if rq, ok := req[st.Parcel]; ok && !st.Visited {
				return rq.demand()
			}
			return 1
		}
		// Results are in the bag when the route starts.
		for _, st := range r.Stops {
			if st.Kind.IsDelivery() {
				load += demandOf(st)
			}
		}
		if load > s.Capacity {
			return fmt.Errorf("%s: leaves with %d results, over capacity %d", where, load, s.Capacity)
		}
		if b := r.Break; b != nil {
			switch {
			case s.BreakMinutes == 0:
				return fmt.Errorf("%s: a break in a shift without one", where)
			case b.After < 0 || b.After > len(r.Stops):
				return fmt.Errorf("%s: break after stop %d of %d", where, b.After, len(r.Stops))
			case b.End.Sub(b.Start) < time.Duration(s.BreakMinutes)*time.Minute-verifySlack:
				return fmt.Errorf("%s: break of %s, shift says %d minutes", where, b.End.Sub(b.Start), s.BreakMinutes)
			case b.Start.Before(in.Day.At(s.BreakFrom).Add(-verifySlack)) || b.Start.After(in.Day.At(s.BreakTo).Add(verifySlack)):
				return fmt.Errorf("%s: break at %s outside %s–%s", where, b.Start.In(vietnam).Format("15:04"), s.BreakFrom, s.BreakTo)
			case b.After > 0 && b.Start.Before(r.Stops[b.After-1].Departure.Add(-verifySlack)):
				return fmt.Errorf("%s: break at %s before stop %d is done", where, b.Start.In(vietnam).Format("15:04"), b.After)
			}
		}
		for i := range r.Stops {
			st := r.Stops[i]
			if st.Seq != i+1 {
				return fmt.Errorf("%s: stop %d has sequence %d", where, i+1, st.Seq)
			}
			if err := mark(st.Parcel, where); err != nil {
				return err
			}
			if st.Kind.IsDelivery() {
				load -= demandOf(st)
			} else {
				load += demandOf(st)
			}
			if load > s.Capacity {
				return fmt.Errorf("%s: stop %d (%s) takes the load to %d, over capacity %d", where, st.Seq, st.Number, load, s.Capacity)
			}
			if st.Load != load {
				return fmt.Errorf("%s: stop %d (%s) carries load %d, want %d", where, st.Seq, st.Number, st.Load, load)
			}
			if st.Visited {
				if !hasPos {
					here = st.Point
				}
				continue
			}
			rq, ok := req[st.Parcel]
			if !ok {
				return fmt.Errorf("%s: stop %s is not a live request of the day", where, st.Number)
			}
			if !avail {
				return fmt.Errorf("%s: courier is absent all shift but has stop %s", where, st.Number)
			}
			if rq.Office != s.Office {
				return fmt.Errorf("%s: stop %s belongs to office %s", where, st.Number, rq.Office)
			}
			if rq.COD && !s.COD {
				return fmt.Errorf("%s: stop %s collects a fee, courier may not", where, st.Number)
			}
			if rq.Kind.IsDelivery() != st.Kind.IsDelivery() {
				return fmt.Errorf("%s: stop %s is a %s, the request a %s", where, st.Number, st.Kind.Label(), rq.Kind.Label())
			}
			if len(s.Communes) > 0 && !slices.Contains(s.Communes, rq.Commune) {
				return fmt.Errorf("%s: stop %s is in commune %s, outside the courier's", where, st.Number, rq.Commune)
			}
			if len(rq.Vehicles) > 0 && !slices.Contains(rq.Vehicles, s.Vehicle) {
				return fmt.Errorf("%s: stop %s needs another vehicle than %s", where, st.Number, s.Vehicle)
			}
			if c, ok := pin[st.Parcel]; ok && c != r.Courier {
				return fmt.Errorf("%s: stop %s is pinned to %s", where, st.Number, c)
			}
			if c, ok := in.Restrict[st.Parcel]; ok && c != r.Courier {
				return fmt.Errorf("%s: stop %s is assigned to %s", where, st.Number, c)
			}
			// The window the plan keeps must be one of the request's, within
			// service hours.
			okWin := len(rq.Windows) == 0
			for _, w := range rq.Windows {
				if !st.Window.Start.Before(w.Start.Add(-verifySlack)) && !st.Window.End.After(w.End.Add(verifySlack)) {
					okWin = true
				}
			}
			if !okWin {
				return fmt.Errorf("%s: stop %s keeps window %s, not one of the request's", where, st.Number, st.Window.Label())
			}
			if st.ETA.Before(st.Window.Start.Add(-verifySlack)) || st.ETA.After(st.Window.End.Add(verifySlack)) {
				return fmt.Errorf("%s: stop %s at %s outside its window %s", where, st.Number, st.ETA.In(vietnam).Format("15:04:05"), st.Window.Label())
			}
			if st.ETA.Before(open.Add(-verifySlack)) || st.ETA.After(close.Add(verifySlack)) {
				return fmt.Errorf("%s: stop %s at %s outside service hours %s", where, st.Number, st.ETA.In(vietnam).Format("15:04"), in.Hours)
			}
			if st.ETA.Before(in.Day.At(from).Add(-verifySlack)) || st.ETA.After(in.Day.At(to).Add(verifySlack)) {
				return fmt.Errorf("%s: stop %s at %s outside the shift %s–%s", where, st.Number, st.ETA.In(vietnam).Format("15:04"), from, to)
			}
			tt, err := in.Model.Time(s.Vehicle.Travel(), tp(here), tp(st.Point))
			if err != nil {
				return err
			}
			left := earliest
			if prevStop != nil {
				left = prevStop.ETA.Add(dur(in.Model.Service(prevStop.Documents)))
			}
			if b := r.Break; b != nil && b.After == i {
				left = maxTime(left, b.End)
			}
			ready := left.Add(dur(tt))
			if st.ETA.Before(ready.Add(-verifySlack)) {
				return fmt.Errorf("%s: stop %s at %s cannot be reached before %s", where, st.Number,
					st.ETA.In(vietnam).Format("15:04:05"), ready.In(vietnam).Format("15:04:05"))
			}
			prevStop, here = &r.Stops[i], st.Point
		}
		if s.MaxStops > 0 && len(r.Stops) > s.MaxStops {
			return fmt.Errorf("%s: %d stops, shift allows %d", where, len(r.Stops), s.MaxStops)
		}
		if prevStop != nil {
			end := office
			if !s.EndPlace.IsZero() {
				end = s.EndPlace
			}
			tt, err := in.Model.Time(s.Vehicle.Travel(), tp(prevStop.Point), tp(end))
			if err != nil {
				return err
			}
			left := prevStop.ETA.Add(dur(in.Model.Service(prevStop.Documents)))
			if b := r.Break; b != nil && b.After == len(r.Stops) {
				left = maxTime(left, b.End)
			}
			back := left.Add(dur(tt))
			if s.MaxMinutes > 0 && !r.Depart.IsZero() && back.Sub(r.Depart) > time.Duration(s.MaxMinutes)*time.Minute+verifySlack {
				return fmt.Errorf("%s: out %s, the shift allows %d minutes", where, back.Sub(r.Depart).Round(time.Second), s.MaxMinutes)
			}
			if back.After(in.Day.At(to).Add(verifySlack)) {
				return fmt.Errorf("%s: back at %s, after the shift ends at %s", where, back.In(vietnam).Format("15:04:05"), to)
			}
		}
	}
	for _, u := range p.Unplaced {
		if err := mark(u.Parcel, "unplaced"); err != nil {
			return err
		}
	}
	for _, r := range in.Requests {
		if in.Visited[r.Parcel] {
			continue
		}
		if _, ok := seen[r.Parcel]; !ok {
			return fmt.Errorf("request %s is neither planned nor unplaced", r.Number)
		}
	}
	return nil
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func dur(sec float64) time.Duration { return time.Duration(math.Round(sec * float64(time.Second))) }
