package web

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

// Counter pages: the post office's and the desk's hand-offs.

type giverGroup struct {
	Giver    string
	GiverRef string
	Manifest string
	Items    []app.Pending
}

type heldGroup struct {
	Key, Title string
	Desk       string
	Office     string // a desk's results go to this office or its couriers
	OfficeName string
	Delivery   bool
	Receivers  []receiver // who a desk may hand these results to
	Parcels    []heldItem
}

// receiver is a party a release form offers.
type receiver struct {
	Value, Label string
}

type outgoing struct {
	app.Parcel
	To       string
	Deadline time.Time
}

type heldItem struct {
	app.Parcel
	Hours int
	Late  bool
}

// typedScan is what the clerk typed in the scan box, kept on a re-render
// and when coming back from the confirmation screen.
type typedScan struct {
	Number string
	SealID string
	Seal   string // intact | broken | ""
	Note   string
	Counts map[int]string
}

type counterPage struct {
	Role      string
	Base      string // /buu-cuc or /mot-cua
	InboxN    int
	Outgoing  []outgoing
	Scan      *app.ScanResult
	Typed     typedScan
	Groups    []giverGroup
	Held      []heldGroup
	Decide    []app.Parcel // at the desk, awaiting the decision
	Results   []app.Parcel // accepted, awaiting a result
	Manifests []app.Manifest
	Couriers  []app.User
	Desks     []app.Desk
	Flash     string
	FlashCode string
	Errors    map[string]string
	Summary   []fieldError
	Reasons   []tracking.Term[tracking.IncompleteReason]
	WaitLimit int
	// KeyChanges are the device keys the office's couriers registered or
	// replaced in the last KeyChangeDays days.
	KeyChanges []app.KeyChange
	Now        time.Time
	// Decided is the desk decision that was refused, shown again on its
	// parcel's form with the errors beside its fields.
	Decided decideForm
}

// decideForm is a desk decision as the clerk filled it.
type decideForm struct {
	Number      string
	Return      bool
	Appointment string
	Reason      string
	Note        string
	Missing     []int
}

// Missed reports whether a document line was ticked missing.
func (d decideForm) Missed(line int) bool {
	for _, l := range d.Missing {
		if l == line {
			return true
		}
	}
	return false
}

func counterBase(u app.User) string {
	if u.Role == app.RoleDesk {
		return "/mot-cua"
	}
	return "/buu-cuc"
}

// KeyChangeDays is how far back the office page lists device keys.
const KeyChangeDays = 14

func (s *Server) counterData(c *fiber.Ctx) (counterPage, error) {
	u := currentUser(c)
	ctx := c.UserContext()
	p := counterPage{Role: string(u.Role), Base: counterBase(u), Reasons: tracking.IncompleteReasons.Terms(), WaitLimit: 24, Now: s.d.Now()}
	inbox, err := s.d.Hops.Inbox(ctx, u)
	if err != nil {
		return p, err
	}
	name := s.namer(ctx)
	idx := map[string]int{}
	for _, it := range inbox {
		key := it.Handoff.Giver.String() + "|" + it.Manifest
		i, ok := idx[key]
		if !ok {
			i = len(p.Groups)
			idx[key] = i
			p.Groups = append(p.Groups, giverGroup{Giver: name(it.Handoff.Giver), GiverRef: it.Handoff.Giver.String(), Manifest: it.Manifest})
		}
		p.Groups[i].Items = append(p.Groups[i].Items, it)
		p.InboxN++
	}
	held, err := s.d.Hops.Held(ctx, u)
	if err != nil {
		return p, err
	}
	now := s.d.Now()
	hidx := map[string]int{}
	ids := make([]string, len(held))
	for i, h := range held {
		ids[i] = h.ID
	}
	out, err := s.d.Directory.PendingHandoffs(ctx, ids)
	if err != nil {
		return p, err
	}
	couriersOf := map[string][]app.User{}
	couriers := func(office string) ([]app.User, error) {
		if cs, ok := couriersOf[office]; ok {
			return cs, nil
		}
		cs, err := s.d.Directory.ActiveCouriers(ctx, office)
		couriersOf[office] = cs
		return cs, err
	}
	for _, h := range held {
		if ho, ok := out[h.ID]; ok {
			p.Outgoing = append(p.Outgoing, outgoing{Parcel: h, To: name(ho.Receiver), Deadline: ho.Deadline})
			continue
		}
		if u.Role == app.RoleDesk {
			switch tracking.Status(h.Status) {
			case tracking.StatusAtDesk:
				p.Decide = append(p.Decide, h)
				continue
			case tracking.StatusAccepted:
				continue
			}
		}
		key, title := "desk:"+h.DeskCode, "Chuyển đến "+name(tracking.Party{Kind: tracking.PartyDesk, Ref: h.DeskCode})
		g := heldGroup{Desk: h.DeskCode}
		switch {
		case u.Role == app.RoleDesk:
			// A desk hands results to the post of the parcel's address (or,
			// for an address in no office's zone, of its own province).
			key = "office:" + h.OfficeCode
			g.Office, g.Delivery = h.OfficeCode, true
			if h.OfficeCode != "" {
				g.OfficeName = name(tracking.Party{Kind: tracking.PartyOffice, Ref: h.OfficeCode})
				title = "Kết quả về " + g.OfficeName
			} else {
				title = "Kết quả có địa chỉ ngoài vùng các bưu cục: giao cho bưu điện trong tỉnh"
			}
		case h.Leg == tracking.LegReturn:
			key, title, g.Delivery = "deliver", "Kết quả chờ giao cho công dân", true
		}
		i, ok := hidx[key]
		if !ok {
			i = len(p.Held)
			hidx[key] = i
			g.Key, g.Title = key, title
			if u.Role == app.RoleDesk {
				if g.Receivers, err = s.deskReceivers(ctx, u, g.Office, couriers); err != nil {
					return p, err
				}
			}
			p.Held = append(p.Held, g)
		}
		hours := int(now.Sub(h.StatusSince).Hours())
		p.Held[i].Parcels = append(p.Held[i].Parcels, heldItem{Parcel: h, Hours: hours, Late: hours >= p.WaitLimit})
	}
	sort.SliceStable(p.Held, func(a, b int) bool { return p.Held[a].Key < p.Held[b].Key })
	if u.Role == app.RoleDesk {
		if p.Results, err = s.d.Hops.ResultsToSend(ctx, u, 200); err != nil {
			return p, err
		}
	}
	if p.Manifests, err = s.d.Hops.Manifests(ctx, u, 30); err != nil {
		return p, err
	}
	if u.Role == app.RoleOffice {
		// An office releases only to its own couriers.
		if p.Couriers, err = couriers(u.OfficeCode); err != nil {
			return p, err
		}
	}
	if u.Role == app.RoleOffice {
		if p.KeyChanges, err = s.d.Directory.KeyChanges(ctx, u, now.AddDate(0, 0, -KeyChangeDays), 50); err != nil {
			return p, err
		}
	}
	return p, nil
}

// deskReceivers are who a desk may hand results to: the office serving the
// addresses and its couriers, or, with no such office, the offices of the
// desk's province and their couriers. The server checks again.
func (s *Server) deskReceivers(ctx context.Context, u app.User, office string, couriers func(string) ([]app.User, error)) ([]receiver, error) {
	offices := []string{office}
	if office == "" {
		d, err := s.d.Directory.Desk(ctx, u.DeskCode)
		if err != nil {
			return nil, err
		}
		list, err := s.d.Directory.Offices(ctx, d.ProvinceCode)
		if err != nil {
			return nil, err
		}
		offices = offices[:0]
		for _, o := range list {
			offices = append(offices, o.Code)
		}
	}
	name := s.namer(ctx)
	var out []receiver
	for _, o := range offices {
		op := tracking.Party{Kind: tracking.PartyOffice, Ref: o}
		cs, err := couriers(o)
		if err != nil {
			return nil, err
		}
		for _, cu := range cs {
			out = append(out, receiver{Value: cu.Party().String(), Label: cu.FullName + " – " + cu.StaffCode + " (bưu tá, " + name(op) + ")"})
		}
		out = append(out, receiver{Value: op.String(), Label: name(op) + " (tại quầy)"})
	}
	return out, nil
}

var scanFlash = map[string]string{
	"ok":       "Đúng",
	"disputed": "Đã ghi sai lệch",
}

func (s *Server) counterPage(c *fiber.Ctx) error {
	p, err := s.counterData(c)
	if err != nil {
		return err
	}
	// The manifest code is shown as is: only a code's letters and digits,
	// never a sentence from the URL.
	if code := c.Query("bang-ke"); code != "" && manifestCodePattern.MatchString(code) {
		p.Flash, p.FlashCode = "Đã lập bảng kê "+code+" và bàn giao. Bên nhận cần xác nhận từng bưu gửi.", code
	}
	if m := s.flashText(c); m != "" {
		p.Flash = m
	}
	if k := c.Query("quet"); scanFlash[k] != "" {
		n := strings.ToUpper(c.Query("so"))
		msg := "Đã nhận: " + n
		if k == "disputed" {
			msg = "Đã ghi sai lệch: bên giao vẫn chịu trách nhiệm, sự cố đã được mở"
		}
		p.Scan = &app.ScanResult{Kind: k, Number: n, Message: msg}
	}
	if vals, kerr, ok := s.takeForm(c, counterScanForm); ok {
		// Back from a refused scan (Post/Redirect/Get): what was typed, the
		// messages beside their fields, or the scan's answer.
		p.Typed = typedScan{Number: vals.Get("so"), SealID: vals.Get("seal_id"), Seal: vals.Get("seal"), Note: vals.Get("note")}
		if vals.Get("scan_kind") == "unexpected" {
			p.Scan = &app.ScanResult{Kind: "unexpected", Number: vals.Get("scan_so"), Message: errs.MessageOf(kerr)}
		} else {
			p.Errors, p.Summary = fieldPage(kerr, "so", "seal", "seal_id", "note")
		}
	}
	if vals, kerr, ok := s.takeForm(c, deskDecideForm); ok {
		// Back from a decision with errors (Post/Redirect/Get): the
		// choices as they were, each message beside its field.
		p.Decided = decideFormOf(vals)
		p.Errors, p.Summary = deskDecideErrors(kerr, p.Decided.Number)
	}
	if id := c.Query("nhap"); id != "" {
		// Back from the confirmation screen: what was typed is kept.
		if in, err := s.d.Hops.Draft(c.UserContext(), currentUser(c), id); err == nil && in.Kind == app.CounterReceive && len(in.Lines) == 1 {
			p.Typed = typedOf(in.Lines[0])
		}
	}
	return s.renderCounter(c, fiber.StatusOK, p)
}

func typedOf(l app.LineInput) typedScan {
	t := typedScan{Number: l.Number, SealID: l.SealID, Note: l.Note, Counts: map[int]string{}}
	switch l.Result {
	case app.LineReceived, app.LineCountDiffers:
		t.Seal = "intact"
	case app.LineSealBroken:
		t.Seal = "broken"
	}
	for _, c := range l.Counts {
		t.Counts[c.Line] = strconv.Itoa(c.Count)
	}
	return t
}

func (s *Server) renderCounter(c *fiber.Ctx, status int, p counterPage) error {
	name, title := "office", "Bưu cục"
	if currentUser(c).Role == app.RoleDesk {
		name, title = "desk", "Bộ phận một cửa"
	}
	v := s.viewFor(c, title, p)
	v.Script = []string{"js/counter.js"}
	return s.pageStatus(c, status, name, v)
}

// parseCounts reads document counts typed blind: prefix+line → count. An
// empty field is not a count (the review asks for it); anything else that
// is not a whole number 0–99 is kept as -1 so the review refuses it.
func parseCounts(get func(string) string, prefix string) ([]tracking.DocCount, map[int]string) {
	var counts []tracking.DocCount
	typed := map[int]string{}
	for i := 1; i <= tracking.MaxDocuments; i++ {
		v := strings.TrimSpace(get(prefix + strconv.Itoa(i)))
		if v == "" {
			continue
		}
		typed[i] = v
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 || n > tracking.MaxDocumentCopy {
			n = -1
		}
		cond := tracking.ConditionGood
		if get("damaged_"+strings.TrimPrefix(prefix, "count_")+strconv.Itoa(i)) != "" {
			cond = tracking.ConditionDamaged
		}
		counts = append(counts, tracking.DocCount{Line: i, Count: n, Condition: cond})
	}
	return counts, typed
}

func sealResult(v string) string {
	switch v {
	case "intact":
		return app.LineReceived
	case "broken":
		return app.LineSealBroken
	}
	return ""
}

// The scan box's and the desk's count form's kept forms (Post/Redirect/
// Get, forms.go): bound to the session that typed them; a count comes back
// only on its parcel's count form.
const counterScanForm = "counter-scan"

func countFormName(number string) string { return "counter-count:" + number }

// counterScanInputs are what the scan box and the count form post.
func counterScanInputs() []string {
	in := []string{"so", "dem", "seal", "seal_id", "note"}
	for i := 1; i <= tracking.MaxDocuments; i++ {
		in = append(in, "count_"+strconv.Itoa(i), "damaged_"+strconv.Itoa(i))
	}
	return in
}

// counterScan receives one scanned (or typed) parcel: the seal is stated
// (intact with its id, or broken); a desk receiving a dossier counts every
// document first, blind. Without differences it records and redirects;
// with differences it keeps a draft and redirects to the confirmation
// screen.
func (s *Server) counterScan(c *fiber.Ctx) error {
	u := currentUser(c)
	ctx := c.UserContext()
	base := counterBase(u)
	l := app.LineInput{Number: c.FormValue("so"), SealID: c.FormValue("seal_id"), Note: c.FormValue("note"), Result: sealResult(c.FormValue("seal"))}
	counts, typedCounts := parseCounts(func(k string) string { return c.FormValue(k) }, "count_")
	typed := typedScan{Number: l.Number, SealID: l.SealID, Seal: c.FormValue("seal"), Note: l.Note, Counts: typedCounts}
	sc, err := s.d.Hops.Scan(ctx, u, l.Number)
	if err != nil {
		return err
	}
	rerender := func(status int, res *app.ScanResult, e error) error {
		p, derr := s.counterData(c)
		if derr != nil {
			return derr
		}
		p.Scan, p.Typed = res, typed
		if e != nil {
			p.Errors, p.Summary = fieldPage(e, "so", "seal", "seal_id", "note")
		}
		return s.renderCounter(c, status, p)
	}
	// A refused scan: Post/Redirect/Get to the counter page with what was
	// typed (forms.go), so Back never scans again; the page itself with
	// 422 when that cannot be kept.
	back := func(res *app.ScanResult, e error) error {
		kept := postedValues(c, counterScanInputs())
		if res != nil {
			kept.Set("scan_kind", res.Kind)
			kept.Set("scan_so", res.Number)
			e = errs.E(errs.Unprocessable, "%s", res.Message)
		}
		if s.keepWhole(c, counterScanForm, kept, e) {
			return c.Redirect(base, fiber.StatusSeeOther)
		}
		if res != nil {
			e = nil
		}
		return rerender(fiber.StatusUnprocessableEntity, res, e)
	}
	switch sc.Kind {
	case "outside":
		// The same answer as for a number that does not exist, at once.
		return rerender(fiber.StatusForbidden, &sc, nil)
	case "unexpected":
		return back(&sc, nil)
	case "duplicate":
		// Already received: nothing to correct, the form is fresh for the
		// next parcel.
		typed = typedScan{}
		return rerender(fiber.StatusOK, &sc, nil)
	}
	countForm := sc.Kind == "needs_count"
	if countForm && c.FormValue("dem") == "" {
		// First the seal, then the count form, blind.
		if l.Result == "" || (l.Result == app.LineReceived && strings.TrimSpace(l.SealID) == "") {
			e := errs.E(errs.Unprocessable, "Chưa đủ thông tin").WithFields(map[string]string{"seal": "nêu tình trạng niêm phong: còn nguyên vẹn hay bị rách"})
			if l.Result != "" {
				e = errs.E(errs.Unprocessable, "Chưa đủ thông tin").WithFields(map[string]string{"seal_id": "quét hoặc gõ mã niêm phong trên bì"})
			}
			return back(nil, e)
		}
		q := url.Values{"seal": {c.FormValue("seal")}, "seal_id": {l.SealID}}
		return c.Redirect(base+"/kiem-dem/"+sc.Number+"?"+q.Encode(), fiber.StatusSeeOther)
	}
	l.Number, l.Counts = sc.Number, counts
	in := app.CounterInput{Kind: app.CounterReceive, Lines: []app.LineInput{l}}
	rv, err := s.d.Hops.Review(ctx, u, in)
	if err != nil {
		if k := errs.KindOf(err); k == errs.Unprocessable || k == errs.Invalid {
			if countForm {
				if s.keepWhole(c, countFormName(sc.Number), postedValues(c, counterScanInputs()), err) {
					return c.Redirect(base+"/kiem-dem/"+url.PathEscape(sc.Number), fiber.StatusSeeOther)
				}
				return s.renderCount(c, fiber.StatusUnprocessableEntity, *sc.Parcel, typed, err)
			}
			return back(nil, err)
		}
		return err
	}
	return s.recordOrConfirm(c, rv)
}

// recordOrConfirm records a review without differences and redirects; one
// with differences is kept as a draft for the confirmation screen.
func (s *Server) recordOrConfirm(c *fiber.Ctx, rv app.Review) error {
	u := currentUser(c)
	base := counterBase(u)
	if rv.Differs() {
		id, err := s.d.Hops.SaveDraft(c.UserContext(), u, rv.Input)
		if err != nil {
			return err
		}
		return c.Redirect(base+"/xac-nhan/"+id, fiber.StatusSeeOther)
	}
	res, err := s.d.Hops.Record(c.UserContext(), u, rv, false)
	if err != nil {
		return err
	}
	return s.afterRecord(c, rv, res)
}

func (s *Server) afterRecord(c *fiber.Ctx, rv app.Review, res []app.LineOutcome) error {
	base := counterBase(currentUser(c))
	var failed []string
	disputed, ok := 0, 0
	for _, r := range res {
		switch {
		case r.Err != nil:
			failed = append(failed, r.Number+": "+errMessage(r.Err))
		case r.Disputed:
			disputed++
		default:
			ok++
		}
	}
	if rv.Input.Kind == app.CounterReceive && len(res) == 1 && len(failed) == 0 {
		k := "ok"
		if disputed > 0 {
			k = "disputed"
		}
		return c.Redirect(base+"?quet="+k+"&so="+url.QueryEscape(res[0].Number), fiber.StatusSeeOther)
	}
	msg := fmt.Sprintf("Đã nhận %d bưu gửi, ghi sai lệch %d", ok, disputed)
	if rv.Input.Kind == app.CounterManifest {
		msg = "Bảng kê " + rv.Input.Manifest + ": " + lower1(msg)
	}
	if disputed > 0 {
		msg += "; bên giao vẫn chịu trách nhiệm các bưu gửi sai lệch, sự cố đã được mở"
	}
	if len(failed) > 0 {
		msg += ". Không ghi được: " + strings.Join(failed, "; ")
	}
	return c.Redirect(base+"?"+s.flashQuery(c, msg), fiber.StatusSeeOther)
}

func lower1(s string) string {
	if s == "" {
		return s
	}
	r := []rune(s)
	return strings.ToLower(string(r[0])) + string(r[1:])
}

type countPage struct {
	Base   string
	Parcel app.Parcel
	Typed  typedScan
	Errors map[string]string
	Sum    []fieldError
	// NotCarried names, by line, the documents whose original did not
	// travel (shown and returned, scanned, in VNeID): nothing to count.
	NotCarried map[int]string
}

// deskCount is the desk's count form for a dossier received: every line
// empty, the clerk types what is in hand.
func (s *Server) deskCount(c *fiber.Ctx) error {
	u := currentUser(c)
	sc, err := s.d.Hops.Scan(c.UserContext(), u, c.Params("number"))
	if err != nil {
		return err
	}
	if sc.Kind != "needs_count" {
		if sc.Kind == "outside" {
			return errs.E(errs.Forbidden, "%s", sc.Message)
		}
		return c.Redirect("/mot-cua?"+s.flashQuery(c, sc.Number+": "+sc.Message), fiber.StatusSeeOther)
	}
	if vals, kerr, ok := s.takeForm(c, countFormName(sc.Number)); ok {
		// Back from a refused count (Post/Redirect/Get): the seal and the
		// counts as typed, the messages beside their fields.
		_, counts := parseCounts(vals.Get, "count_")
		t := typedScan{Number: sc.Number, Seal: vals.Get("seal"), SealID: vals.Get("seal_id"), Note: vals.Get("note"), Counts: counts}
		return s.renderCount(c, fiber.StatusOK, *sc.Parcel, t, kerr)
	}
	t := typedScan{Number: sc.Number, Seal: c.Query("seal"), SealID: c.Query("seal_id"), Counts: map[int]string{}}
	if id := c.Query("nhap"); id != "" {
		if in, err := s.d.Hops.Draft(c.UserContext(), u, id); err == nil && len(in.Lines) == 1 && in.Lines[0].Number == sc.Number {
			t = typedOf(in.Lines[0])
		}
	}
	return s.renderCount(c, fiber.StatusOK, *sc.Parcel, t, nil)
}

func (s *Server) renderCount(c *fiber.Ctx, status int, p app.Parcel, t typedScan, e error) error {
	pg := countPage{Base: "/mot-cua", Parcel: p, Typed: t, NotCarried: map[int]string{}}
	for _, c := range p.Collected {
		if !c.Carried() {
			pg.NotCarried[c.Line] = c.Disposition.Label()
		}
	}
	if e != nil {
		ids := []string{"seal", "seal_id", "note"}
		for i := range p.Documents {
			ids = append(ids, "count_"+strconv.Itoa(i+1))
		}
		pg.Errors, pg.Sum = fieldPage(e, ids...)
		if fs := errs.FieldsOf(e); fs["result"] != "" {
			pg.Errors["seal"] = fs["result"]
			pg.Sum = append(pg.Sum, fieldError{ID: "seal", Message: fs["result"]})
		}
	}
	v := s.viewFor(c, "Kiểm đếm hồ sơ", pg)
	v.Script = []string{"js/counter.js"}
	return s.pageStatus(c, status, "counter_count", v)
}

// counterMissing prepares the dispute of the releases of a giver (or a
// manifest) not in the bag: the confirmation screen lists them first.
func (s *Server) counterMissing(c *fiber.Ctx) error {
	u := currentUser(c)
	in, err := s.d.Hops.ReportMissing(c.UserContext(), u, c.FormValue("giver"), c.FormValue("manifest"))
	if err != nil {
		if errs.Is(err, errs.Conflict) {
			return c.Redirect(counterBase(u)+"?"+s.flashQuery(c, errs.MessageOf(err)), fiber.StatusSeeOther)
		}
		return err
	}
	rv, err := s.d.Hops.Review(c.UserContext(), u, in)
	if err != nil {
		return err
	}
	return s.recordOrConfirm(c, rv)
}

type confirmLine struct {
	Number  string
	Dossier string
	Result  string
	SealID  string
	Diffs   []string
}

type confirmPage struct {
	Base    string
	ID      string
	Kind    string
	Title   string
	Back    string
	Lines   []confirmLine
	Same    []confirmLine // lines without differences, recorded with them
	Problem string        // the draft no longer applies
}

var resultLabel = func() map[string]string {
	m := map[string]string{}
	for _, r := range app.LineResults {
		m[r.Key] = r.Label
	}
	return m
}()

// counterConfirm is the second screen: the differences the server found,
// before any dispute is recorded. Back keeps what was typed.
func (s *Server) counterConfirm(c *fiber.Ctx) error {
	u := currentUser(c)
	base := counterBase(u)
	id := c.Params("id")
	in, err := s.d.Hops.Draft(c.UserContext(), u, id)
	if err != nil {
		return err
	}
	pg := confirmPage{Base: base, ID: id, Kind: in.Kind, Back: base + "?nhap=" + id}
	switch in.Kind {
	case app.CounterManifest:
		pg.Title = "Xác nhận sai lệch của bảng kê " + in.Manifest
		pg.Back = base + "/bang-ke/" + url.PathEscape(in.Manifest) + "?nhap=" + id
	case app.CounterMissing:
		pg.Title = "Xác nhận báo thiếu bưu gửi"
		pg.Back = base
	default:
		pg.Title = "Xác nhận sai lệch khi nhận"
	}
	rv, err := s.d.Hops.Review(c.UserContext(), u, in)
	if err != nil {
		pg.Problem = errMessage(err)
	}
	for _, l := range rv.Lines {
		cl := confirmLine{Number: l.Parcel.Number, Dossier: l.Parcel.Dossier.Code, Result: resultLabel[l.Result], SealID: l.SealID}
		if in.Kind == app.CounterReceive && u.Role == app.RoleDesk && l.Parcel.Leg == tracking.LegPickup {
			pg.Back = "/mot-cua/kiem-dem/" + l.Parcel.Number + "?nhap=" + id
		}
		for _, d := range l.Diffs {
			cl.Diffs = append(cl.Diffs, app.DiffText(l.Parcel, d))
		}
		if len(cl.Diffs) == 0 {
			pg.Same = append(pg.Same, cl)
		} else {
			pg.Lines = append(pg.Lines, cl)
		}
	}
	v := s.viewFor(c, pg.Title, pg)
	return s.pageStatus(c, fiber.StatusOK, "counter_confirm", v)
}

// counterConfirmSubmit records a draft the clerk confirmed.
func (s *Server) counterConfirmSubmit(c *fiber.Ctx) error {
	u := currentUser(c)
	id := c.Params("id")
	in, err := s.d.Hops.Draft(c.UserContext(), u, id)
	if err != nil {
		return err
	}
	rv, err := s.d.Hops.Review(c.UserContext(), u, in)
	if err != nil {
		return err
	}
	res, err := s.d.Hops.Record(c.UserContext(), u, rv, true)
	if err != nil {
		return err
	}
	if err := s.d.Hops.DropDraft(c.UserContext(), id); err != nil {
		return err
	}
	return s.afterRecord(c, rv, res)
}

type manifestLineView struct {
	Index int
	app.ManifestLine
	Open   bool
	Result string
	Typed  typedScan
	Count  bool // the receiver counts this line's documents
}

type manifestPage struct {
	Base       string
	M          app.Manifest
	Giver      string
	Receiver   string
	Closer     string
	Receiving  bool // the user's unit is the receiver and lines are open
	Lines      []manifestLineView
	Results    []struct{ Key, Label string }
	Errors     map[string]string
	Summary    []fieldError
	ProblemFor func(string) string
}

// counterManifest shows a manifest: to its receiver, the form that closes
// it with a result per open line (nothing pre-filled); to its giver, the
// state of each line.
func (s *Server) counterManifest(c *fiber.Ctx) error {
	var typed map[string]app.LineInput
	if id := c.Query("nhap"); id != "" {
		if in, err := s.d.Hops.Draft(c.UserContext(), currentUser(c), id); err == nil && in.Kind == app.CounterManifest {
			typed = map[string]app.LineInput{}
			for _, l := range in.Lines {
				typed[l.Number] = l
			}
		}
	}
	return s.renderManifest(c, fiber.StatusOK, c.Params("code"), typed, nil)
}

func (s *Server) renderManifest(c *fiber.Ctx, status int, code string, typed map[string]app.LineInput, e error) error {
	u := currentUser(c)
	ctx := c.UserContext()
	m, lines, err := s.d.Hops.ManifestFor(ctx, u, code)
	if err != nil {
		return err
	}
	name := s.namer(ctx)
	pg := manifestPage{Base: counterBase(u), M: m, Giver: name(m.Giver), Receiver: name(m.Receiver), Results: app.LineResults,
		ProblemFor: func(p string) string { return tracking.DisputeProblem(p).Label() }}
	if m.ClosedAt != nil {
		pg.Closer = name(m.Closer)
	}
	me := u.Party()
	i := 0
	for _, l := range lines {
		v := manifestLineView{ManifestLine: l, Open: l.Status == "pending" && m.Receiver == me}
		if v.Open {
			v.Index = i
			i++
			pg.Receiving = true
			v.Count = me.Kind == tracking.PartyDesk && l.Parcel.Leg == tracking.LegPickup
			if t, ok := typed[l.Parcel.Number]; ok {
				v.Typed, v.Result = typedOf(t), t.Result
			}
		}
		pg.Lines = append(pg.Lines, v)
	}
	if e != nil {
		pg.Errors = errs.FieldsOf(e)
		pg.Summary = []fieldError{{Message: errMessage(e)}}
		for k, msg := range pg.Errors {
			pg.Summary = append(pg.Summary, fieldError{ID: strings.NewReplacer("[", "-", "]", "", ".", "-").Replace(k), Message: msg})
		}
		sort.Slice(pg.Summary[1:], func(a, b int) bool { return pg.Summary[1+a].ID < pg.Summary[1+b].ID })
	}
	v := s.viewFor(c, "Bảng kê "+m.Code, pg)
	return s.pageStatus(c, status, "counter_manifest", v)
}

// counterManifestSubmit closes a manifest: a result per open line.
func (s *Server) counterManifestSubmit(c *fiber.Ctx) error {
	u := currentUser(c)
	code := c.Params("code")
	args, err := url.ParseQuery(string(c.Body()))
	if err != nil {
		return errs.E(errs.Invalid, "Biểu mẫu không hợp lệ")
	}
	in := app.CounterInput{Kind: app.CounterManifest, Manifest: code}
	typed := map[string]app.LineInput{}
	for i := 0; i < 1000; i++ {
		k := strconv.Itoa(i)
		n := args.Get("number_" + k)
		if n == "" {
			break
		}
		counts, _ := parseCounts(args.Get, "count_"+k+"_")
		l := app.LineInput{Number: n, Result: args.Get("result_" + k), SealID: args.Get("seal_id_" + k), Note: args.Get("note_" + k), Counts: counts}
		in.Lines = append(in.Lines, l)
		typed[strings.ToUpper(strings.TrimSpace(n))] = l
	}
	rv, err := s.d.Hops.Review(c.UserContext(), u, in)
	if err != nil {
		if k := errs.KindOf(err); k == errs.Unprocessable || k == errs.Invalid {
			return s.renderManifest(c, fiber.StatusUnprocessableEntity, code, typed, err)
		}
		return err
	}
	return s.recordOrConfirm(c, rv)
}

// counterRelease hands selected parcels to a courier (or, from a desk, to
// the parcel's office) as a manifest. The server decides who may receive.
func (s *Server) counterRelease(c *fiber.Ctx) error {
	u := currentUser(c)
	args, err := url.ParseQuery(string(c.Body()))
	if err != nil {
		return errs.E(errs.Invalid, "Biểu mẫu không hợp lệ")
	}
	numbers := args["numbers"]
	var to tracking.Party
	switch {
	case args.Get("to") != "":
		if to, err = tracking.ParseParty(args.Get("to")); err != nil {
			return s.counterError(c, errs.E(errs.Invalid, "Chọn bên nhận chuyến").WithFields(map[string]string{"courier": "Chọn bên nhận chuyến"}))
		}
	case args.Get("courier") != "":
		to = tracking.Party{Kind: tracking.PartyCourier, Ref: args.Get("courier")}
	case args.Get("office") != "":
		to = tracking.Party{Kind: tracking.PartyOffice, Ref: args.Get("office")}
	case args.Get("desk") != "":
		to = tracking.Party{Kind: tracking.PartyDesk, Ref: args.Get("desk")}
	default:
		return s.counterError(c, errs.E(errs.Invalid, "Chọn bên nhận chuyến").WithFields(map[string]string{"courier": "Chọn bưu tá nhận chuyến"}))
	}
	if len(numbers) == 0 {
		return s.counterError(c, errs.E(errs.Invalid, "Chọn ít nhất một bưu gửi").WithFields(map[string]string{"numbers": "Chọn ít nhất một bưu gửi"}))
	}
	items := make([]app.ReleaseItem, len(numbers))
	for i, n := range numbers {
		items[i] = app.ReleaseItem{Number: n, SealID: args.Get("seal_" + strings.ToUpper(strings.TrimSpace(n)))}
	}
	code, res, err := s.d.Hops.Release(c.UserContext(), u, to, items)
	if err != nil {
		switch errs.KindOf(err) {
		case errs.Invalid, errs.Unprocessable, errs.Forbidden:
			return s.counterError(c, err)
		}
		return err
	}
	var failed []string
	for i, r := range res {
		if r.Err != nil {
			failed = append(failed, numbers[i]+": "+errMessage(r.Err))
		}
	}
	q := "?bang-ke=" + url.QueryEscape(code)
	if len(failed) > 0 {
		q += "&" + s.flashQuery(c, "Không bàn giao được: "+strings.Join(failed, "; "))
	}
	return c.Redirect(strings.TrimSuffix(c.Path(), "/chuyen")+q, fiber.StatusSeeOther)
}

func (s *Server) counterError(c *fiber.Ctx, err error) error {
	p, derr := s.counterData(c)
	if derr != nil {
		return derr
	}
	p.Errors, p.Summary = fieldPage(err, "courier", "numbers", "reason", "missing", "documents", "fee", "appointment")
	if f, ok := c.Locals("decide").(decideForm); ok {
		p.Decided = f // what the clerk chose, back on the parcel's form
	}
	if m := errs.FieldsOf(err)["data.to"]; m != "" {
		p.Errors["courier"] = m // the receiver the server refused, next to its field
	}
	status := fiber.StatusUnprocessableEntity
	switch errs.KindOf(err) {
	case errs.Forbidden:
		status = fiber.StatusForbidden
	case errs.Conflict:
		status = fiber.StatusConflict
	}
	return s.renderCounter(c, status, p)
}

const deskDecideForm = "desk-decide"

// decideFormOf reads a kept decision back.
func decideFormOf(v url.Values) decideForm {
	f := decideForm{Number: v.Get("so"), Return: v.Get("decision") == "return", Appointment: v.Get("appointment"),
		Reason: v.Get("reason"), Note: v.Get("note")}
	for _, m := range v["missing"] {
		if n, err := strconv.Atoi(m); err == nil {
			f.Missing = append(f.Missing, n)
		}
	}
	return f
}

// deskDecideErrors maps a decision's errors: the messages by field name
// (the desk page has one form per parcel, the template picks the
// decided one's), the summary linking to that parcel's inputs and naming
// each field.
func deskDecideErrors(err error, number string) (map[string]string, []fieldError) {
	names := []string{"appointment", "reason", "missing"}
	ids, order := map[string]string{}, []string{}
	for _, n := range names {
		ids[n] = n + "-" + number
		order = append(order, ids[n])
	}
	labels := map[string]string{ids["appointment"]: "Ngày hẹn trả kết quả", ids["reason"]: "Lý do trả lại", ids["missing"]: "Giấy tờ còn thiếu"}
	fields, sum := mapFieldErrors(err, fieldSpec{IDs: ids, Order: order, Label: func(id string) string { return labels[id] }})
	byName := map[string]string{}
	for _, n := range names {
		if m, ok := fields[ids[n]]; ok {
			byName[n] = m
		}
	}
	return byName, sum
}

// deskDecide records the desk's acceptance or return as incomplete.
func (s *Server) deskDecide(c *fiber.Ctx) error {
	args, err := url.ParseQuery(string(c.Body()))
	if err != nil {
		return errs.E(errs.Invalid, "Biểu mẫu không hợp lệ")
	}
	d := app.DeskDecision{Accept: args.Get("decision") == "accept", Reason: tracking.IncompleteReason(args.Get("reason")), Note: args.Get("note"), AppointmentDate: args.Get("appointment")}
	for _, m := range args["missing"] {
		if n, err := strconv.Atoi(m); err == nil {
			d.MissingLines = append(d.MissingLines, n)
		}
	}
	if err := s.d.Hops.Decide(c.UserContext(), currentUser(c), c.Params("number"), d); err != nil {
		if k := errs.KindOf(err); k == errs.Unprocessable || k == errs.Invalid || k == errs.Conflict {
			kept := url.Values{"so": {c.Params("number")}, "decision": {args.Get("decision")}, "reason": {string(d.Reason)},
				"note": {d.Note}, "appointment": {d.AppointmentDate}, "missing": args["missing"]}
			if s.keepForm(c, deskDecideForm, kept, err) {
				// Post/Redirect/Get: Back never decides twice.
				return c.Redirect("/mot-cua", fiber.StatusSeeOther)
			}
			c.Locals("decide", decideForm{Number: c.Params("number"), Return: !d.Accept, Appointment: d.AppointmentDate, Reason: string(d.Reason), Note: d.Note, Missing: d.MissingLines})
			return s.counterError(c, err)
		}
		return err
	}
	msg := "Đã tiếp nhận hồ sơ " + c.Params("number")
	if !d.Accept {
		msg = "Đã trả hồ sơ " + c.Params("number") + " vì chưa đầy đủ; công dân được báo lý do"
	}
	return c.Redirect("/mot-cua?"+s.flashQuery(c, msg), fiber.StatusSeeOther)
}

// deskResult registers a result to return by post.
func (s *Server) deskResult(c *fiber.Ctx) error {
	u := currentUser(c)
	p, err := s.d.Intake.ParcelByNumber(c.UserContext(), c.Params("number"))
	if err != nil {
		return err
	}
	if p.DeskCode != u.DeskCode {
		return errs.E(errs.NotFound, "không tìm thấy bưu gửi")
	}
	args, err := url.ParseQuery(string(c.Body()))
	if err != nil {
		return errs.E(errs.Invalid, "Biểu mẫu không hợp lệ")
	}
	var docs []tracking.Document
	for i := 0; i < 6; i++ {
		name := strings.TrimSpace(args.Get("doc_name_" + strconv.Itoa(i)))
		if name == "" {
			continue
		}
		n, _ := strconv.Atoi(args.Get("doc_count_" + strconv.Itoa(i)))
		docs = append(docs, tracking.Document{Name: name, Kind: tracking.DocKind(args.Get("doc_kind_" + strconv.Itoa(i))), Count: n})
	}
	fee, _ := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(args.Get("fee")), ".", ""), 10, 64)
	ret, err := s.d.Hops.RegisterResult(c.UserContext(), app.ResultInput{DossierCode: p.Dossier.Code, PortalClient: p.PortalClient,
		DeskCode: u.DeskCode, Documents: docs, Fee: fee, Actor: u.Party()})
	if err != nil {
		if k := errs.KindOf(err); k == errs.Unprocessable || k == errs.Invalid || k == errs.Conflict {
			return s.counterError(c, err)
		}
		return err
	}
	return c.Redirect("/mot-cua?"+s.flashQuery(c, "Đã đăng ký kết quả, số hiệu trả kết quả "+ret.Number), fiber.StatusSeeOther)
}

type resultBody struct {
	Documents []struct {
		Name  string `json:"name"`
		Kind  string `json:"kind"`
		Count int    `json:"count"`
	} `json:"documents"`
	Fee      int64  `json:"fee"`
	Note     string `json:"note"`
	DeskCode string `json:"desk_code"`
	Citizen  *struct {
		FullName string `json:"full_name"`
		Phone    string `json:"phone"`
		IDNumber string `json:"id_number"`
	} `json:"citizen"`
	Address *struct {
		ProvinceCode string   `json:"province_code"`
		CommuneCode  string   `json:"commune_code"`
		Line         string   `json:"line"`
		Lat          *float64 `json:"lat"`
		Lng          *float64 `json:"lng"`
	} `json:"address"`
}

type resultCreated struct {
	ID             string          `json:"id"`
	TrackingNumber string          `json:"tracking_number"`
	Status         tracking.Status `json:"status"`
	PickupID       string          `json:"pickup_id,omitempty"`
	TrackingURL    string          `json:"tracking_url"`
	CreatedAt      string          `json:"created_at"`
}

// portalResult: the result is ready at the desk; a return-leg parcel.
func (s *Server) portalResult(c *fiber.Ctx) error {
	client := portalClient(c)
	var b resultBody
	if err := decodeJSON(c.Body(), &b); err != nil {
		return err
	}
	code, _ := url.PathUnescape(c.Params("dossier_code"))
	in := app.ResultInput{DossierCode: code, PortalClient: client.ID, DeskCode: b.DeskCode, Fee: b.Fee, Note: b.Note,
		Actor: tracking.Party{Kind: tracking.PartyPortal, Ref: client.ID}}
	for _, d := range b.Documents {
		in.Documents = append(in.Documents, tracking.Document{Name: d.Name, Kind: tracking.DocKind(d.Kind), Count: d.Count})
	}
	if b.Citizen != nil && b.Address != nil {
		in.Citizen = &tracking.Citizen{FullName: b.Citizen.FullName, Phone: b.Citizen.Phone, IDNumber: b.Citizen.IDNumber}
		in.Address = &tracking.Address{ProvinceCode: b.Address.ProvinceCode, CommuneCode: b.Address.CommuneCode, Line: b.Address.Line, Lat: b.Address.Lat, Lng: b.Address.Lng}
	}
	return s.idempotent(c, "portal:"+client.ID, func(ctx contextCtx) (int, any, error) {
		if in.DeskCode != "" {
			if d, err := s.d.Directory.Desk(ctx, in.DeskCode); err == nil && d.ProvinceCode != client.ProvinceCode {
				return 0, nil, errs.E(errs.Unprocessable, "Kết quả chưa hợp lệ").WithFields(map[string]string{"desk_code": "cổng này không gửi được đến " + d.Name})
			}
		}
		p, err := s.d.Hops.RegisterResult(ctx, in)
		if err != nil {
			return 0, nil, err
		}
		return fiber.StatusCreated, resultCreated{ID: p.ID, TrackingNumber: p.Number, Status: p.Status, PickupID: p.ReturnOf,
			TrackingURL: s.d.BaseURL + "/tra-cuu/" + p.Number, CreatedAt: p.CreatedAt.In(vietnam).Format(time.RFC3339)}, nil
	})
}
