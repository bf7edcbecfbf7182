package app

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"runtime"
	"sync"
	"time"

	"hoso/tracking"
)

// ChainHead is a parcel's recorded chain head.
type ChainHead struct {
	ParcelID   string
	Number     string
	Hash       []byte
	EventCount int
}

// DayRoot is the stored root of one day.
type DayRoot struct {
	Day     time.Time
	Root    []byte
	Parcels int
	MaxSeq  int64
}

// VerifyStore is what verification needs.
type VerifyStore interface {
	ParcelHeads(ctx context.Context, afterID string, since time.Time, limit int) ([]ChainHead, error)
	EventsOf(ctx context.Context, ids []string) (map[string][]tracking.Event, error)
	HeadsAsOf(ctx context.Context, afterID string, cutoff time.Time, limit int) ([]tracking.Head, string, error)
	Roots(ctx context.Context, from time.Time) ([]DayRoot, error)
	LastRootDay(ctx context.Context) (time.Time, bool, error)
	FirstEventAt(ctx context.Context) (time.Time, bool, error)
	InsertRoot(ctx context.Context, r DayRoot, at time.Time) error
	MaxSeqBefore(ctx context.Context, cutoff time.Time) (int64, error)
}

// ProjectionStore is what the projection check needs: the rows the
// ledger's store derived from each parcel's events.
type ProjectionStore interface {
	Projections(ctx context.Context, ids []string) (map[string]StoredProjection, error)
}

// StoredProjection is a parcel's stored projection rows.
type StoredProjection struct {
	Parcel      Parcel
	Projection  tracking.Projection
	Cases       []StoredCase // one per stored incident, in the incidents' order
	OrphanCases int          // lost-original cases whose incident is gone
}

// StoredCase is a stored incident's status and its lost-original case.
type StoredCase struct {
	IncidentID     string
	IncidentStatus string
	Lost           bool
	Responsible    tracking.Party
}

// Verifier recomputes the ledger's hash chains and daily roots, rebuilds
// every parcel's projection from its events with the rules, and audits the
// transparency log against its checkpoints and the ledger.
type Verifier struct {
	Store VerifyStore
	Now   func() time.Time
	Zone  *time.Location
	// Projections, when set, makes Verify rebuild and compare projections.
	Projections ProjectionStore
	// Rules is the policy the ledger decides with (DefaultPolicy when zero).
	Rules tracking.Policy
	// Log, when set, makes Verify audit the transparency log (see
	// VerifyLog); Trusted is a checkpoint from outside the database (a
	// witness's state file, one a portal kept) to check against instead of
	// the latest witnessed one stored.
	Log     *LogAudit
	Trusted []byte
}

// Report is what a verification found.
type Report struct {
	Parcels, Events, Roots int
	Break                  *tracking.Break // first broken chain link
	RootBreak              string          // first day whose root differs
	// ProjectionBreak is the first parcel whose stored projection differs
	// from what its events give.
	ProjectionBreak string
	// The transparency log.
	Log LogReport
}

// OK reports whether nothing was broken.
func (r Report) OK() bool {
	return r.Break == nil && r.RootBreak == "" && r.ProjectionBreak == "" && r.Log.Break == ""
}

const verifyPage = 500

// Verify checks every parcel with activity since from (all when zero) and
// every daily root from that day on. It stops at the first broken link.
func (v *Verifier) Verify(ctx context.Context, from time.Time, progress func(parcels, events int)) (Report, error) {
	var rep Report
	after := ""
	for {
		heads, err := v.Store.ParcelHeads(ctx, after, from, verifyPage)
		if err != nil {
			return rep, err
		}
		if len(heads) == 0 {
			break
		}
		ids := make([]string, len(heads))
		for i, h := range heads {
			ids[i] = h.ParcelID
		}
		evs, err := v.Store.EventsOf(ctx, ids)
		if err != nil {
			return rep, err
		}
		// The chains of a page are checked on all cores (device signatures
		// are most of the work); the first break in parcel order is
		// reported.
		breaks := make([]*tracking.Break, len(heads))
		var wg sync.WaitGroup
		next := make(chan int)
		for range min(runtime.GOMAXPROCS(0), len(heads)) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					h := heads[i]
					breaks[i] = tracking.VerifyChain(h.Number, evs[h.ParcelID], h.Hash, h.EventCount)
				}
			}()
		}
		for i := range heads {
			next <- i
		}
		close(next)
		wg.Wait()
		var projs map[string]StoredProjection
		if v.Projections != nil {
			if projs, err = v.Projections.Projections(ctx, ids); err != nil {
				return rep, err
			}
		}
		for i, h := range heads {
			chain := evs[h.ParcelID]
			rep.Parcels++
			rep.Events += len(evs[h.ParcelID])
			if breaks[i] != nil {
				rep.Break = breaks[i]
				return rep, nil
			}
			if v.Projections != nil {
				if d := v.checkProjection(h.Number, projs[h.ParcelID], chain); d != "" {
					rep.ProjectionBreak = d
					return rep, nil
				}
			}
		}
		if progress != nil {
			progress(rep.Parcels, rep.Events)
		}
		after = heads[len(heads)-1].ParcelID
	}
	roots, err := v.Store.Roots(ctx, v.dayOf(from))
	if err != nil {
		return rep, err
	}
	for _, r := range roots {
		got, n, err := v.rootOf(ctx, r.Day)
		if err != nil {
			return rep, err
		}
		rep.Roots++
		if !bytes.Equal(got, r.Root) || n != r.Parcels {
			rep.RootBreak = fmt.Sprintf("day %s: stored root %s over %d parcels, recomputed %s over %d",
				r.Day.Format("2006-01-02"), hex.EncodeToString(r.Root), r.Parcels, hex.EncodeToString(got), n)
			return rep, nil
		}
	}
	if v.Log != nil {
		lr, err := v.Log.Verify(ctx, v.Trusted)
		rep.Log = lr
		if err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// checkProjection rebuilds a parcel's projection from its chain with the
// rules and compares it with the stored rows.
func (v *Verifier) checkProjection(number string, sp StoredProjection, chain []tracking.Event) string {
	if sp.Parcel.ID == "" {
		return fmt.Sprintf("parcel %s: its projection row is missing", number)
	}
	pol := v.Rules
	if pol.MaxAttempts == 0 && pol.ConfirmWithin == 0 {
		pol = tracking.DefaultPolicy
	}
	p := sp.Parcel
	proj, brk := tracking.Replay(number, p.Leg, p.Documents, p.DeskCode, chain, pol)
	if brk != nil {
		return "parcel " + brk.String()
	}
	if d := proj.Diff(sp.Projection); d != "" {
		return fmt.Sprintf("parcel %s: %s", number, d)
	}
	if sp.OrphanCases > 0 {
		return fmt.Sprintf("parcel %s: %d lost-original case(s) without their incident", number, sp.OrphanCases)
	}
	for i, c := range sp.Cases {
		inc := proj.Incidents[i]
		if c.Lost && c.Responsible != inc.LastCustodian {
			return fmt.Sprintf("parcel %s: the lost-original case of event %s names %s, the events name %s as last custodian", number, inc.EventID, c.Responsible, inc.LastCustodian)
		}
		if (c.IncidentStatus == "lost") != c.Lost {
			return fmt.Sprintf("parcel %s: incident of event %s is %q but %s a lost-original case", number, inc.EventID, c.IncidentStatus,
				map[bool]string{true: "has", false: "has no"}[c.Lost])
		}
	}
	return ""
}

func (v *Verifier) zone() *time.Location {
	if v.Zone != nil {
		return v.Zone
	}
	return time.UTC
}

// dayOf is the local midnight of t (zero stays zero).
func (v *Verifier) dayOf(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	l := t.In(v.zone())
	return time.Date(l.Year(), l.Month(), l.Day(), 0, 0, 0, 0, v.zone())
}

// rootOf recomputes the root over every parcel's head at the end of day.
func (v *Verifier) rootOf(ctx context.Context, day time.Time) ([]byte, int, error) {
	d := day.In(v.zone())
	cutoff := time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, v.zone()).AddDate(0, 0, 1)
	rh := tracking.NewRootHasher()
	after := ""
	for {
		heads, last, err := v.Store.HeadsAsOf(ctx, after, cutoff, 5000)
		if err != nil {
			return nil, 0, err
		}
		if last == "" {
			break
		}
		for _, h := range heads {
			if err := rh.Add(h.ParcelID, h.Hash); err != nil {
				return nil, 0, err
			}
		}
		after = last
	}
	sum, n := rh.Sum()
	return sum, n, nil
}

// SealGrace is how long after midnight a day stays open for sealing. An
// event takes its server time when its transaction starts and is seen only
// when it commits; a root sealed in between would leave it out, and every
// later verification would call the untouched ledger tampered. Requests
// end within their 30 s timeout; an hour leaves room for slow commits and
// small clock corrections.
const SealGrace = time.Hour

// SealDays stores the root of every finished day that has none yet, up to
// yesterday (local time), once SealGrace has passed since the day ended. It
// returns the days sealed.
func (v *Verifier) SealDays(ctx context.Context) (int, error) {
	now := v.Now()
	today := v.dayOf(now.Add(-SealGrace))
	var next time.Time
	if last, ok, err := v.Store.LastRootDay(ctx); err != nil {
		return 0, err
	} else if ok {
		next = time.Date(last.Year(), last.Month(), last.Day(), 0, 0, 0, 0, v.zone()).AddDate(0, 0, 1)
	} else if first, ok, err := v.Store.FirstEventAt(ctx); err != nil {
		return 0, err
	} else if ok {
		next = v.dayOf(first)
	} else {
		return 0, nil
	}
	sealed := 0
	for d := next; d.Before(today); d = d.AddDate(0, 0, 1) {
		root, n, err := v.rootOf(ctx, d)
		if err != nil {
			return sealed, err
		}
		maxSeq, err := v.Store.MaxSeqBefore(ctx, d.AddDate(0, 0, 1))
		if err != nil {
			return sealed, err
		}
		if err := v.Store.InsertRoot(ctx, DayRoot{Day: d, Root: root, Parcels: n, MaxSeq: maxSeq}, now); err != nil {
			return sealed, err
		}
		sealed++
	}
	return sealed, nil
}
