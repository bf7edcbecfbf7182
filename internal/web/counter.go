package web

import (
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
	Delivery   bool
	Parcels    []heldItem
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

type counterPage struct {
	Role      string
	Base      string // /buu-cuc or /mot-cua
	InboxN    int
	Outgoing  []outgoing
	Scan      *app.ScanResult
	Count     *app.Parcel // a pickup the desk must count now
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
	Reasons   map[string]string
	WaitLimit int
}

func (s *Server) counterData(c *fiber.Ctx) (counterPage, error) {
	u := currentUser(c)
	ctx := c.UserContext()
	p := counterPage{Role: string(u.Role), Base: "/buu-cuc", Reasons: tracking.IncompleteReasons, WaitLimit: 24}
	if u.Role == app.RoleDesk {
		p.Base = "/mot-cua"
	}
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
	out, err := s.d.Queries.PendingHandoffs(ctx, ids)
	if err != nil {
		return p, err
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
		key, title, delivery := "desk:"+h.DeskCode, "Chuyển đến "+name(tracking.Party{Kind: tracking.PartyDesk, Ref: h.DeskCode}), false
		if h.Leg == string(tracking.LegReturn) {
			key, title, delivery = "deliver", "Kết quả chờ giao cho công dân", true
		}
		i, ok := hidx[key]
		if !ok {
			i = len(p.Held)
			hidx[key] = i
			p.Held = append(p.Held, heldGroup{Key: key, Title: title, Desk: h.DeskCode, Delivery: delivery})
		}
		hours := int(now.Sub(h.StatusSince).Hours())
		p.Held[i].Parcels = append(p.Held[i].Parcels, heldItem{Parcel: h, Hours: hours, Late: hours >= p.WaitLimit})
	}
	sort.SliceStable(p.Held, func(a, b int) bool { return p.Held[a].Key < p.Held[b].Key })
	if u.Role == app.RoleDesk {
		acc, err := s.d.Intake.Store.FindParcels(ctx, app.ParcelFilter{DeskCode: u.DeskCode, Status: string(tracking.StatusAccepted), Leg: "pickup", Limit: 200})
		if err != nil {
			return p, err
		}
		for _, a := range acc {
			if _, has, err := s.d.Hops.Store.ReturnOf(ctx, a.ID); err != nil {
				return p, err
			} else if !has && a.Dossier.ReturnByPost {
				p.Results = append(p.Results, a)
			}
		}
	}
	if p.Manifests, err = s.d.Hops.Store.FindManifests(ctx, u.Party(), 30); err != nil {
		return p, err
	}
	office := u.OfficeCode
	if u.Role == app.RoleDesk {
		office = ""
	}
	cs, err := s.d.Queries.FindUsers(ctx, app.RoleCourier, office)
	if err != nil {
		return p, err
	}
	for _, cu := range cs {
		if u.Role == app.RoleDesk && cu.ProvinceCode != u.ProvinceCode {
			continue
		}
		p.Couriers = append(p.Couriers, cu)
	}
	return p, nil
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
	return s.renderCounter(c, fiber.StatusOK, p)
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

// counterScan receives one scanned (or typed) parcel.
func (s *Server) counterScan(c *fiber.Ctx) error {
	u := currentUser(c)
	var counts []tracking.DocCount
	for i := 1; i <= tracking.MaxDocuments; i++ {
		v := c.FormValue("count_" + strconv.Itoa(i))
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || n < 0 {
			n = 0
		}
		cond := "good"
		if c.FormValue("damaged_"+strconv.Itoa(i)) != "" {
			cond = "damaged"
		}
		counts = append(counts, tracking.DocCount{Line: i, Count: n, Condition: cond})
	}
	res, err := s.d.Hops.Receive(c.UserContext(), u, c.FormValue("so"), c.FormValue("seal_broken") != "", counts, c.FormValue("note"))
	if err != nil {
		return err
	}
	p, err := s.counterData(c)
	if err != nil {
		return err
	}
	p.Scan = &res
	if res.Kind == "needs_count" {
		p.Count = res.Parcel
	}
	status := fiber.StatusOK
	if res.Kind == "unexpected" {
		status = fiber.StatusUnprocessableEntity
	}
	return s.renderCounter(c, status, p)
}

func (s *Server) counterMissing(c *fiber.Ctx) error {
	n, err := s.d.Hops.ReportMissing(c.UserContext(), currentUser(c), c.FormValue("giver"), c.FormValue("manifest"))
	if err != nil {
		return err
	}
	return c.Redirect(strings.TrimSuffix(c.Path(), "/thieu")+"?"+s.flashQuery(c, "Đã báo thiếu "+strconv.Itoa(n)+" bưu gửi; sự cố đã được mở"), fiber.StatusSeeOther)
}

// counterRelease hands selected parcels to a courier or a desk as a manifest.
func (s *Server) counterRelease(c *fiber.Ctx) error {
	u := currentUser(c)
	args, err := url.ParseQuery(string(c.Body()))
	if err != nil {
		return errs.E(errs.Invalid, "Biểu mẫu không hợp lệ")
	}
	numbers := args["numbers"]
	var to tracking.Party
	switch {
	case args.Get("courier") != "":
		to = tracking.Party{Kind: tracking.PartyCourier, Ref: args.Get("courier")}
	case args.Get("desk") != "":
		to = tracking.Party{Kind: tracking.PartyDesk, Ref: args.Get("desk")}
	default:
		return s.counterError(c, errs.E(errs.Invalid, "Chọn bưu tá nhận chuyến").WithFields(map[string]string{"courier": "Chọn bưu tá nhận chuyến"}))
	}
	if len(numbers) == 0 {
		return s.counterError(c, errs.E(errs.Invalid, "Chọn ít nhất một bưu gửi").WithFields(map[string]string{"numbers": "Chọn ít nhất một bưu gửi"}))
	}
	code, res, err := s.d.Hops.Release(c.UserContext(), u, to, numbers)
	if err != nil {
		if k := errs.KindOf(err); k == errs.Invalid || k == errs.Unprocessable {
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
	return s.renderCounter(c, fiber.StatusUnprocessableEntity, p)
}

// deskDecide records the desk's acceptance or return as incomplete.
func (s *Server) deskDecide(c *fiber.Ctx) error {
	args, err := url.ParseQuery(string(c.Body()))
	if err != nil {
		return errs.E(errs.Invalid, "Biểu mẫu không hợp lệ")
	}
	d := app.DeskDecision{Accept: args.Get("decision") == "accept", Reason: args.Get("reason"), Note: args.Get("note"), AppointmentDate: args.Get("appointment")}
	for _, m := range args["missing"] {
		if n, err := strconv.Atoi(m); err == nil {
			d.MissingLines = append(d.MissingLines, n)
		}
	}
	if err := s.d.Hops.Decide(c.UserContext(), currentUser(c), c.Params("number"), d); err != nil {
		if k := errs.KindOf(err); k == errs.Unprocessable || k == errs.Invalid || k == errs.Conflict {
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
	p, err := s.d.Intake.Store.FindParcelByNumber(c.UserContext(), c.Params("number"))
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
	ID             string `json:"id"`
	TrackingNumber string `json:"tracking_number"`
	Status         string `json:"status"`
	PickupID       string `json:"pickup_id,omitempty"`
	TrackingURL    string `json:"tracking_url"`
	CreatedAt      string `json:"created_at"`
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
			if d, err := s.d.Queries.FindDesk(ctx, in.DeskCode); err == nil && d.ProvinceCode != client.ProvinceCode {
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
