package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/vntext"
	"hoso/tracking"
)

type pickupJSON struct {
	ID             string          `json:"id"`
	TrackingNumber string          `json:"tracking_number"`
	Status         tracking.Status `json:"status"`
	StatusLabel    string          `json:"status_label"`
	Leg            tracking.Leg    `json:"leg"`
	Channel        string          `json:"channel"`
	Dossier        dossierJSON     `json:"dossier"`
	Citizen        citizenJSON     `json:"citizen"`
	Address        addressJSON     `json:"address"`
	Documents      []docJSON       `json:"documents"`
	Windows        []windowJSON    `json:"windows"`
	Schedule       *windowJSON     `json:"schedule"`
	Custodian      custodianJSON   `json:"custodian"`
	Next           nextJSON        `json:"next"`
	TrackingURL    string          `json:"tracking_url"`
	CreatedAt      string          `json:"created_at"`
	UpdatedAt      string          `json:"updated_at"`
	Timeline       []timelineJSON  `json:"timeline"`
	// Dates: the legal deadline and the appointment date the desk set at
	// acceptance, with the working days left (the desk's calendar).
	Dates *datesJSON `json:"dates,omitempty"`
	// Portal is the status in the national portal's terms, beside ours
	// (docs/portal-status.md).
	Portal *app.PortalFields `json:"portal,omitempty"`
}

type dossierJSON struct {
	Code          string `json:"code"`
	ProcedureCode string `json:"procedure_code"`
	ProcedureName string `json:"procedure_name"`
	DeskCode      string `json:"desk_code"`
	LegalDeadline string `json:"legal_deadline,omitempty"`
	ReturnByPost  bool   `json:"return_by_post"`
}

type citizenJSON struct {
	Initials string `json:"initials"`
	Phone    string `json:"phone"`
}

type addressJSON struct {
	ProvinceCode   string `json:"province_code"`
	CommuneCode    string `json:"commune_code"`
	LocationApprox bool   `json:"location_approx"`
}

type docJSON struct {
	Line           int    `json:"line"`
	Name           string `json:"name"`
	Kind           string `json:"kind"`
	Count          int    `json:"count"`
	CollectedCount *int   `json:"collected_count,omitempty"`
	// Disposition is what became of the line at the door or counter
	// (tracking.Dispositions), once collected; absent before, and on
	// collections written before dispositions.
	Disposition tracking.Disposition `json:"disposition,omitempty"`
}

type windowJSON struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

type custodianJSON struct {
	Kind  string `json:"kind"`
	Label string `json:"label"`
}

type nextJSON struct {
	What string `json:"what,omitempty"`
	When string `json:"when,omitempty"`
}

type timelineJSON struct {
	EventID  string `json:"event_id,omitempty"`
	Type     string `json:"type"`
	UPUCode  string `json:"upu_code,omitempty"`
	At       string `json:"at,omitempty"` // absent on the public timeline without proof
	DeviceAt string `json:"device_at,omitempty"`
	Text     string `json:"text"`
	Detail   string `json:"detail,omitempty"`
	Problem  bool   `json:"problem,omitempty"`
	// Superseded marks a line a later one made out of date (a release since
	// confirmed, an appointment since moved); pages fold it.
	Superseded bool `json:"superseded,omitempty"`
}

func rfc(t time.Time) string { return t.In(vietnam).Format(time.RFC3339) }

// namer names parties for the public: role and unit, never a person.
func (s *Server) namer(ctx context.Context) tracking.Namer { return s.d.Parties.Namer(ctx) }

// publicTimeline is what anyone with the number may see.
type publicTimeline struct {
	Number      string
	Leg         tracking.Leg
	Status      tracking.Status
	StatusLabel string
	Dossier     string
	Procedure   string
	Desk        string
	Deadline    *time.Time
	Citizen     string // initials
	Phone       string // masked
	Documents   string
	Holder      string
	Next        tracking.Next
	Lines       []tracking.Line
	Pending     string
	Return      string // tracking number of the return leg, if any

	// What the top of the page answers (issue 18): the problem the parcel
	// is in now with what to do, the telephone of whoever holds the papers,
	// the fee to prepare for the result, the receipt.
	Problem     *tracking.Problem
	HolderPhone string
	Fee         int64  // to pay when the result is delivered (return leg)
	ReceiptCode string // the door receipt's code, shown with the details
	Hotline     string // from configuration, set per server

	Dates *deadlineView // the legal deadline and the appointment in working days (calendar.go)
	// Complaints are the citizen's complaints and their answers
	// (web/complaints.go).
	Complaints []app.PublicComplaint
	ETA        *planETA // when the courier should come, from the latest published plan
}

// Newest is the timeline newest first, as the page shows it.
func (t publicTimeline) Newest() []tracking.Line {
	out := make([]tracking.Line, len(t.Lines))
	for i, l := range t.Lines {
		out[len(t.Lines)-1-i] = l
	}
	return out
}

// Folded counts the lines later ones made out of date.
func (t publicTimeline) Folded() int {
	n := 0
	for _, l := range t.Lines {
		if l.Superseded {
			n++
		}
	}
	return n
}

func (s *Server) timeline(ctx context.Context, p app.Parcel) (publicTimeline, []tracking.Event, error) {
	evs, err := s.d.Intake.Events(ctx, p.ID)
	if err != nil {
		return publicTimeline{}, nil, err
	}
	t := buildTimeline(p, evs, s.namer(ctx), s.phoner(ctx))
	t.Hotline = s.d.Hotline
	t.Dates = s.deadlines(ctx, p, evs)
	return t, evs, nil
}

// phoner gives the telephone a citizen may call about a party holding the
// papers: its office's or desk's, a courier's office's; "" when none is on
// file (the page then gives the hotline).
func (s *Server) phoner(ctx context.Context) tracking.Namer {
	return func(p tracking.Party) string { return s.d.Directory.PartyPhone(ctx, p) }
}

// buildTimeline tells a parcel's events for the public: masked citizen,
// parties named by role and office.
func buildTimeline(p app.Parcel, evs []tracking.Event, name, phone tracking.Namer) publicTimeline {
	// The status and the holder come from the events, decided again with
	// the rules, not from the projection row: an edited row never reaches
	// the public (hoso verify reports it). Events the rules cannot replay
	// leave the row's values.
	if len(evs) > 0 {
		if proj, brk := tracking.Replay(p.Number, p.Leg, p.Documents, p.DeskCode, evs, tracking.DefaultPolicy); brk == nil {
			p.Status, p.Custodian = proj.State.Status, proj.State.Custodian
		}
	}
	t := publicTimeline{Number: p.Number, Leg: p.Leg, Status: p.Status, StatusLabel: p.Status.Label(),
		Dossier: p.Dossier.Code, Procedure: p.Dossier.ProcedureName, Deadline: p.Dossier.LegalDeadline,
		Citizen: vntext.Initials(p.CitizenName), Phone: vntext.MaskLast3(p.PhoneLast3),
		Documents: tracking.DocumentSummary(p.Documents)}
	t.Desk = name(tracking.Party{Kind: tracking.PartyDesk, Ref: p.DeskCode})
	if p.Custodian.Kind != "" {
		t.Holder = name(p.Custodian)
		if p.Custodian.Kind == tracking.PartyCitizen {
			t.Holder = "Công dân (hồ sơ còn ở nhà)"
			if p.Leg == tracking.LegReturn {
				t.Holder = "Người nhận"
			}
		}
	}
	for _, e := range evs {
		t.Lines = append(t.Lines, tracking.Describe(e, p.Documents, name))
	}
	tracking.Fold(t.Lines)
	if pr, ok := tracking.CurrentProblem(p.Status, t.Lines); ok {
		t.Problem = &pr
	}
	if p.Custodian.Kind != "" && p.Custodian.Kind != tracking.PartyCitizen {
		t.HolderPhone = phone(p.Custodian)
	}
	if t.HolderPhone == "" {
		// Papers still at home or with the citizen: the desk answers.
		t.HolderPhone = phone(tracking.Party{Kind: tracking.PartyDesk, Ref: p.DeskCode})
	}
	if p.Leg == tracking.LegReturn {
		t.Fee = p.FeeAmount
	}
	// A receipt exists once the papers were collected or the result
	// delivered; a return leg's code is drawn before.
	for _, e := range evs {
		if e.Type == tracking.PickupCollected || e.Type == tracking.DeliveryCompleted {
			t.ReceiptCode = p.ReceiptCode
		}
	}
	// The last event with a pending release names the receiver.
	pending := ""
	if n := len(evs); n > 0 && evs[n-1].Type == tracking.HandoffReleased {
		var d tracking.Released
		if err := jsonUnmarshal(evs[n-1].Data, &d); err == nil {
			if to, err := tracking.ParseParty(d.To); err == nil {
				pending = name(to)
			}
		}
	}
	t.Pending = pending
	var w *tracking.Window
	if p.PlannedDate != nil && p.WindowStart != nil && p.WindowEnd != nil {
		w = &tracking.Window{Start: *p.WindowStart, End: *p.WindowEnd}
	} else if len(p.Windows) > 0 {
		w = &p.Windows[0]
	}
	t.Next = tracking.NextStep(p.Leg, p.Status, pending, w, t.Desk, p.Dossier.LegalDeadline)
	if p.Channel == tracking.ChannelCounter && p.Status == tracking.StatusRequested && w == nil {
		t.Next = tracking.CounterNext()
	}
	t.ETA = etaOf(p, evs)
	return t
}

func (s *Server) pickupView(c *fiber.Ctx, p app.Parcel) (pickupJSON, error) {
	return s.pickupViewCtx(c.UserContext(), p)
}

func (s *Server) pickupViewCtx(ctx context.Context, p app.Parcel) (pickupJSON, error) {
	t, evs, err := s.timeline(ctx, p)
	if err != nil {
		return pickupJSON{}, err
	}
	v := pickupJSON{ID: p.ID, TrackingNumber: p.Number, Status: p.Status, StatusLabel: t.StatusLabel, Leg: p.Leg, Channel: string(p.Channel),
		Dossier: dossierJSON{Code: p.Dossier.Code, ProcedureCode: p.Dossier.ProcedureCode, ProcedureName: p.Dossier.ProcedureName,
			DeskCode: p.DeskCode, ReturnByPost: p.Dossier.ReturnByPost},
		Citizen:     citizenJSON{Initials: t.Citizen, Phone: t.Phone},
		Address:     addressJSON{ProvinceCode: p.ProvinceCode, CommuneCode: p.CommuneCode, LocationApprox: p.LocationApprox},
		Custodian:   custodianJSON{Kind: string(p.Custodian.Kind), Label: t.Holder},
		Next:        nextJSON{What: t.Next.What, When: t.Next.When},
		TrackingURL: s.d.BaseURL + "/tra-cuu/" + p.Number,
		CreatedAt:   rfc(p.CreatedAt), UpdatedAt: rfc(p.UpdatedAt),
		Documents: []docJSON{}, Windows: []windowJSON{}, Timeline: []timelineJSON{},
		Portal: app.MapPortal(p, p.Status, p.StatusSince),
		Dates:  datesBody(t.Dates),
	}
	if p.Dossier.LegalDeadline != nil {
		v.Dossier.LegalDeadline = p.Dossier.LegalDeadline.In(vietnam).Format("2006-01-02")
	}
	collected := map[int]int{}
	for _, c := range p.Collected {
		collected[c.Line] = c.Count
	}
	for i, d := range p.Documents {
		dj := docJSON{Line: i + 1, Name: d.Name, Kind: string(d.Kind), Count: d.Count}
		if n, ok := collected[i+1]; ok {
			dj.CollectedCount = &n
		}
		v.Documents = append(v.Documents, dj)
	}
	for _, w := range p.Windows {
		v.Windows = append(v.Windows, windowJSON{Start: rfc(w.Start), End: rfc(w.End)})
	}
	if p.PlannedDate != nil && p.WindowStart != nil && p.WindowEnd != nil {
		v.Schedule = &windowJSON{Start: rfc(*p.WindowStart), End: rfc(*p.WindowEnd)}
	}
	for i, e := range evs {
		l := t.Lines[i]
		tj := timelineJSON{EventID: e.ID, Type: string(e.Type), UPUCode: e.UPU, At: rfc(e.ServerAt), Text: l.Title, Detail: l.Detail, Problem: l.Problem}
		if e.DeviceAt != nil {
			tj.DeviceAt = rfc(*e.DeviceAt)
		}
		v.Timeline = append(v.Timeline, tj)
	}
	return v, nil
}
