package tracking

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"hoso/internal/errs"
	"hoso/internal/vntext"
)

// Channel is how a pickup request reached us.
type Channel string

// The channels.
const (
	ChannelPortal  Channel = "portal"
	ChannelCitizen Channel = "citizen"
	ChannelClerk   Channel = "clerk"
	// ChannelCounter: made by a post office clerk for a citizen who brings
	// the papers to the counter; there is no home visit, so no window.
	ChannelCounter Channel = "counter"
)

// Valid reports whether c is one of the channels.
func (c Channel) Valid() bool {
	return c == ChannelPortal || c == ChannelCitizen || c == ChannelClerk || c == ChannelCounter
}

// DocKind says whether a document is an original, a certified copy or a copy.
type DocKind string

// The document kinds.
const (
	Original      DocKind = "original"
	CertifiedCopy DocKind = "certified_copy"
	Copy          DocKind = "copy"
)

// ParseDocKind parses a document kind.
func ParseDocKind(s string) (DocKind, error) {
	switch k := DocKind(s); k {
	case Original, CertifiedCopy, Copy:
		return k, nil
	}
	return "", fmt.Errorf("unknown document kind %q", s)
}

// Label is the kind's Vietnamese name.
func (k DocKind) Label() string {
	switch k {
	case Original:
		return "Bản chính"
	case CertifiedCopy:
		return "Bản sao chứng thực"
	case Copy:
		return "Bản sao"
	}
	return string(k)
}

// Document is one line of a dossier's document list.
type Document struct {
	Name  string
	Kind  DocKind
	Count int
}

// Window is a time window a citizen offers for the visit.
type Window struct {
	Start, End time.Time
}

// Dossier is the administrative file the parcel belongs to.
type Dossier struct {
	Code          string
	ProcedureCode string
	ProcedureName string
	DeskCode      string
	LegalDeadline *time.Time // a date, midnight Vietnam time
	ReturnByPost  bool
}

// Citizen is the requester as entered; the phone and CCCD never leave the
// intake in clear except sealed or hashed.
type Citizen struct {
	FullName string
	Phone    string
	IDNumber string // optional 12 digits
}

// Address is where the courier collects.
type Address struct {
	ProvinceCode string
	CommuneCode  string
	Line         string
	Lat, Lng     *float64 // optional point; both or neither
}

// PickupRequest is a request to collect a dossier's originals at home.
type PickupRequest struct {
	Dossier      Dossier
	Citizen      Citizen
	Address      Address
	Documents    []Document
	Windows      []Window
	Channel      Channel
	PortalClient string // set for ChannelPortal
	CreatedBy    int64  // staff user for ChannelClerk and ChannelCounter
	OfficeCode   string // the post office whose counter takes the papers (ChannelCounter only)
}

// ServiceHours bounds the windows citizens may choose.
type ServiceHours struct {
	Start, End time.Duration // offsets from local midnight
	Days       [7]bool
	Zone       *time.Location
}

// Limits on a request.
const (
	MaxWindows      = 4
	MinWindow       = time.Hour
	MaxWindow       = 4 * time.Hour
	MaxDocuments    = 50
	MaxDocumentCopy = 99
	MaxText         = 300
	MaxName         = 100
	MaxCode         = 100
)

// Normalize puts every text field in NFC with spaces collapsed and the phone
// in its ten-digit form where it can be recognised.
func (r *PickupRequest) Normalize() {
	d := &r.Dossier
	d.Code, d.ProcedureCode, d.ProcedureName, d.DeskCode = vntext.NFC(d.Code), vntext.NFC(d.ProcedureCode), vntext.NFC(d.ProcedureName), vntext.NFC(d.DeskCode)
	c := &r.Citizen
	c.FullName = vntext.NFC(c.FullName)
	if p, ok := vntext.NormalizePhone(c.Phone); ok {
		c.Phone = p
	}
	c.IDNumber = strings.TrimSpace(c.IDNumber)
	a := &r.Address
	a.ProvinceCode, a.CommuneCode, a.Line = vntext.NFC(a.ProvinceCode), vntext.NFC(a.CommuneCode), vntext.NFC(a.Line)
	for i := range r.Documents {
		r.Documents[i].Name = vntext.NFC(r.Documents[i].Name)
	}
}

// Validate checks the request's own rules (not references to desks or
// communes, which the service looks up) and returns an Unprocessable error
// whose fields use the contract's names, e.g. "citizen.phone",
// "documents[0].count", "windows[1].end".
func (r *PickupRequest) Validate(now time.Time, hours ServiceHours) error {
	f := errs.Fields{}
	text := textRule(f)
	text("dossier.code", r.Dossier.Code, 1, MaxCode, "mã hồ sơ")
	text("dossier.procedure_code", r.Dossier.ProcedureCode, 0, 50, "")
	text("dossier.procedure_name", r.Dossier.ProcedureName, 0, MaxText, "")
	if r.Dossier.DeskCode == "" {
		f.Add("dossier.desk_code", "bắt buộc: chọn nơi tiếp nhận hồ sơ")
	} else {
		text("dossier.desk_code", r.Dossier.DeskCode, 1, 40, "nơi tiếp nhận hồ sơ")
	}
	validateContact(f, text, r.Citizen, r.Address)
	switch n := len(r.Documents); {
	case n == 0:
		f.Add("documents", "cần ít nhất một giấy tờ")
	case n > MaxDocuments:
		f.Add("documents", fmt.Sprintf("tối đa %d giấy tờ", MaxDocuments))
	}
	for i, d := range r.Documents {
		p := fmt.Sprintf("documents[%d]", i)
		text(p+".name", d.Name, 1, MaxText, "tên giấy tờ")
		if _, err := ParseDocKind(string(d.Kind)); err != nil {
			f.Add(p+".kind", "phải là original, certified_copy hoặc copy")
		}
		if d.Count < 1 || d.Count > MaxDocumentCopy {
			f.Add(p+".count", fmt.Sprintf("số bản từ 1 đến %d", MaxDocumentCopy))
		}
	}
	if r.Channel == ChannelCounter {
		// The citizen hands the papers over at the counter: no home visit.
		if len(r.Windows) > 0 {
			f.Add("windows", "yêu cầu nộp tại quầy không hẹn giờ đến nhà")
		}
		if r.OfficeCode == "" {
			f.Add("office_code", "yêu cầu nộp tại quầy phải ghi bưu cục nhận")
		}
	} else {
		validateWindows(f, r.Windows, now, hours)
		if r.OfficeCode != "" {
			f.Add("office_code", "chỉ yêu cầu nộp tại quầy mới ghi bưu cục nhận")
		}
	}
	if !r.Channel.Valid() {
		f.Add("channel", "kênh tiếp nhận không hợp lệ")
	}
	if (r.Channel == ChannelPortal) != (r.PortalClient != "") {
		f.Add("channel", "yêu cầu qua cổng phải có mã cổng")
	}
	return f.Err(errs.Unprocessable, "Yêu cầu thu gom chưa hợp lệ")
}

// ValidateContact checks a citizen and an address on their own (a result
// returned to someone who filed at the counter has no pickup request).
func ValidateContact(c Citizen, a Address) error {
	f := errs.Fields{}
	validateContact(f, textRule(f), c, a)
	return f.Err(errs.Unprocessable, "Thông tin người nhận chưa hợp lệ")
}

func textRule(f errs.Fields) func(field, v string, min, max int, what string) {
	return func(field, v string, min, max int, what string) {
		n := utf8.RuneCountInString(v)
		switch {
		case n < min && min > 0:
			f.Add(field, "bắt buộc: nhập "+what)
		case n > max:
			f.Add(field, fmt.Sprintf("dài quá %d ký tự", max))
		case vntext.HasControl(v) || !utf8.ValidString(v):
			f.Add(field, "chứa ký tự không hợp lệ")
		}
	}
}

func validateContact(f errs.Fields, text func(field, v string, min, max int, what string), c Citizen, a Address) {
	text("citizen.full_name", c.FullName, 1, MaxName, "họ và tên")
	if p, ok := vntext.NormalizePhone(c.Phone); !ok || p != c.Phone {
		f.Add("citizen.phone", "phải có 10 chữ số, bắt đầu bằng 0")
	}
	if c.IDNumber != "" && !vntext.ValidIDNumber(c.IDNumber) {
		f.Add("citizen.id_number", "số CCCD phải có đúng 12 chữ số")
	}
	if len(a.ProvinceCode) != 2 {
		f.Add("address.province_code", "mã tỉnh gồm 2 chữ số")
	}
	if len(a.CommuneCode) != 5 {
		f.Add("address.commune_code", "mã xã/phường gồm 5 chữ số")
	}
	text("address.line", a.Line, 1, MaxText, "số nhà, đường hoặc thôn, tổ")
	if (a.Lat == nil) != (a.Lng == nil) {
		f.Add("address.lat", "cần cả vĩ độ và kinh độ, hoặc bỏ trống cả hai")
	} else if a.Lat != nil {
		// Written so that NaN, which fails every comparison, is refused.
		if la := *a.Lat; !(la >= 8 && la <= 24) {
			f.Add("address.lat", "vĩ độ nằm ngoài lãnh thổ Việt Nam")
		}
		if ln := *a.Lng; !(ln >= 102 && ln <= 118) {
			f.Add("address.lng", "kinh độ nằm ngoài lãnh thổ Việt Nam")
		}
	}
}

func validateWindows(f errs.Fields, ws []Window, now time.Time, h ServiceHours) {
	switch n := len(ws); {
	case n == 0:
		f.Add("windows", "chọn ít nhất một khung giờ")
		return
	case n > MaxWindows:
		f.Add("windows", fmt.Sprintf("tối đa %d khung giờ", MaxWindows))
		return
	}
	zone := h.Zone
	if zone == nil {
		zone = time.UTC
	}
	for i, w := range ws {
		p := fmt.Sprintf("windows[%d]", i)
		switch d := w.End.Sub(w.Start); {
		case w.Start.IsZero() || w.End.IsZero():
			f.Add(p, "thiếu giờ bắt đầu hoặc kết thúc")
			continue
		case d < MinWindow:
			f.Add(p+".end", "khung giờ phải dài ít nhất 1 giờ")
			continue
		case d > MaxWindow:
			f.Add(p+".end", "khung giờ dài quá 4 giờ")
			continue
		}
		if !w.Start.After(now) {
			f.Add(p+".start", "khung giờ đã qua")
			continue
		}
		ls, le := w.Start.In(zone), w.End.In(zone)
		day := time.Date(ls.Year(), ls.Month(), ls.Day(), 0, 0, 0, 0, zone)
		if !h.Days[ls.Weekday()] {
			f.Add(p+".start", "ngày này bưu tá không đi thu gom")
			continue
		}
		if ls.Before(day.Add(h.Start)) || le.After(day.Add(h.End)) {
			f.Add(p, fmt.Sprintf("ngoài giờ phục vụ %s–%s", clock(h.Start), clock(h.End)))
		}
		for j := 0; j < i; j++ {
			if w.Start.Before(ws[j].End) && ws[j].Start.Before(w.End) {
				f.Add(p, fmt.Sprintf("trùng với khung giờ %d", j+1))
				break
			}
		}
	}
}

func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d.Hours()), int(d.Minutes())%60)
}

// DocumentSummary counts documents by kind: "3 giấy tờ: 2 bản chính, 1 bản
// sao chứng thực".
func DocumentSummary(docs []Document) string {
	var total int
	byKind := map[DocKind]int{}
	for _, d := range docs {
		total += d.Count
		byKind[d.Kind] += d.Count
	}
	var parts []string
	for _, k := range []DocKind{Original, CertifiedCopy, Copy} {
		if n := byKind[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, strings.ToLower(k.Label())))
		}
	}
	s := fmt.Sprintf("%d giấy tờ", total)
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	return s
}
