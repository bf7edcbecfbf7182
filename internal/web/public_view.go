package web

import (
	"context"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/errs"
	"hoso/internal/viewcache"
	"hoso/tracking"
)

// publicEntry is a parcel's public timeline as cached: only what anyone
// with the number sees (initials, masked phone, parties by role and
// office), and its JSON answer. Nothing in it depends on the request: the
// page's layout (navigation, user, CSRF token) is rendered per request.
type publicEntry struct {
	t    publicTimeline
	json []byte // with the details, for a visitor who proved the parcel is theirs
	pub  []byte // status, holder and the steps only
	id   string // the parcel's id: changes are notified by id
}

// cost estimates an entry's memory: the JSON answers hold the same text as
// the view model, plus maps and headers.
func (e *publicEntry) cost() int64 { return int64(2*len(e.json)+len(e.pub)) + 512 }

// publicView returns the public timeline of a number typed by anyone;
// malformed and unknown numbers are the same not found, never cached.
func (s *Server) publicView(c *fiber.Ctx, raw string) (*publicEntry, error) {
	if u, err := url.PathUnescape(raw); err == nil {
		raw = u // a number typed with spaces into the path
	}
	n, err := tracking.ParseTyped(raw)
	if err != nil {
		return nil, notFoundNumber()
	}
	key := n.String()
	ctx := c.UserContext()
	vc := s.d.PublicCache
	if vc == nil {
		return s.loadPublicView(ctx, key, s.namer(ctx), s.phoner(ctx))
	}
	if v, ok := vc.Get(key); ok {
		// After a write acknowledged here, wait until its changes reached
		// the cache; on an error read the database.
		waited, err := vc.Fresh(ctx)
		if err == nil && !waited {
			return v.(*publicEntry), nil
		}
		if err == nil {
			if v, ok := vc.Get(key); ok {
				return v.(*publicEntry), nil
			}
		}
	}
	t := vc.Begin()
	e, err := s.loadPublicView(ctx, key, s.cachedNamer(vc, "name", s.namer(ctx)), s.cachedNamer(vc, "phone", s.phoner(ctx)))
	if err != nil {
		return nil, err
	}
	vc.Put(t, e, e.cost(), key, e.id)
	return e, nil
}

func (s *Server) loadPublicView(ctx context.Context, number string, name, phone tracking.Namer) (*publicEntry, error) {
	p, evs, err := s.d.Intake.PublicTimeline(ctx, number)
	if errs.Is(err, errs.NotFound) {
		return nil, notFoundNumber()
	}
	if err != nil {
		return nil, err
	}
	t := buildTimeline(p, evs, name, phone)
	t.Hotline = s.d.Hotline
	t.Dates = s.deadlines(ctx, p, evs)
	if t.Complaints, err = s.d.Cases.Complaints(ctx, p.ID); err != nil {
		return nil, err
	}
	b, err := s.app.Config().JSONEncoder(trackBody(t, evs, true))
	if err != nil {
		return nil, err
	}
	pub, err := s.app.Config().JSONEncoder(trackBody(t, evs, false))
	if err != nil {
		return nil, err
	}
	return &publicEntry{t: t, json: b, pub: pub, id: p.ID}, nil
}

// cachedNamer is a namer (or phoner) with its answers kept in the cache:
// they change a few times a year, and every rename, new or removed desk,
// office or courier, or changed telephone, empties the whole cache
// (migrations 0007 and 0016).
func (s *Server) cachedNamer(vc *viewcache.Cache, what string, name tracking.Namer) tracking.Namer {
	return func(p tracking.Party) string {
		key := what + "\x00" + string(p.Kind) + "\x00" + p.Ref
		if v, ok := vc.Get(key); ok {
			return v.(string)
		}
		t := vc.Begin()
		n := name(p)
		vc.Put(t, n, int64(len(key)+len(n)+128), key)
		return n
	}
}

// trackBody is the JSON answer of /api/v1/public/track/{n}: with details
// (dossier code, procedure, initials and masked phone, documents, deadline,
// the timeline's times and details, the next step's date) only for a
// visitor who proved the parcel is theirs; status, holder by role, desk and
// the steps for anyone.
func trackBody(t publicTimeline, evs []tracking.Event, details bool) trackJSONBody {
	out := trackJSONBody{TrackingNumber: t.Number, Leg: t.Leg, Status: t.Status, StatusLabel: t.StatusLabel, Desk: t.Desk,
		Holder: t.Holder, HolderPhone: t.HolderPhone, Hotline: t.Hotline, Next: nextJSON{What: t.Next.What}, Timeline: []timelineJSON{}, Details: details}
	if t.Problem != nil {
		out.Problem = &problemJSON{Title: t.Problem.Title, ToDo: t.Problem.ToDo}
		if details {
			out.Problem.Detail = t.Problem.Detail
		}
	}
	if details {
		out.Fee = t.Fee
		if t.ReceiptCode != "" {
			out.ReceiptURL = "/bien-nhan/" + t.ReceiptCode
		}
		out.DossierCode, out.Procedure, out.Documents = t.Dossier, t.Procedure, t.Documents
		out.Citizen = &citizenJSON{Initials: t.Citizen, Phone: t.Phone}
		out.Complaints = complaintsJSON(t.Complaints)
		out.Next.When = t.Next.When
		if t.ETA != nil {
			out.ETA = &etaJSON{From: rfc(t.ETA.From), To: rfc(t.ETA.To), Text: t.ETA.Text()}
		}
		if t.Deadline != nil {
			out.LegalDeadline = t.Deadline.In(vietnam).Format("2006-01-02")
		}
		out.Dates = datesBody(t.Dates)
	}
	for i, l := range t.Lines {
		tj := timelineJSON{Type: string(l.Type), UPUCode: l.UPU, Text: l.Title, Problem: l.Problem, Superseded: l.Superseded}
		if details {
			tj.At, tj.Detail = rfc(evs[i].ServerAt), l.Detail
			if evs[i].DeviceAt != nil {
				tj.DeviceAt = rfc(*evs[i].DeviceAt)
			}
		}
		out.Timeline = append(out.Timeline, tj)
	}
	return out
}

// notePublicWrites tells the public timeline cache of every request that may
// have written, once its handler has returned (so after its commit, before
// the client has the answer): the next hits wait for the changes.
func (s *Server) notePublicWrites(c *fiber.Ctx) error {
	err := c.Next()
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
	default:
		if s.d.PublicCache != nil {
			s.d.PublicCache.Wrote()
		}
	}
	return err
}
