package web

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/gofiber/fiber/v2"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/units"
	"hoso/internal/vntext"
	"hoso/tracking"
)

const formDocRows = 8

// pickupForm is the request form shared by the citizen's and the clerk's
// pages.
type pickupForm struct {
	Mode          string // citizen | clerk | counter (a post office clerk, no visit)
	Action        string
	DossierCode   string
	Phone         string
	PhoneMasked   string
	FullName      string
	IDNumber      string
	ProcedureName string
	Province      string
	Commune       string
	CommuneName   string
	Query         string
	Matches       []units.Commune
	Line          string
	Lat, Lng      string
	Desk          string
	Desks         []app.Desk
	Slot          string
	Days          []slotDay
	Docs          []docRow
	Prefilled     bool
	Restored      bool // filled again from what was typed before the session ended
	Errors        map[string]string
	Summary       []fieldError
}

type docRow struct {
	Idx   int
	Name  string
	Kind  string
	Count string
}

type slotDay struct {
	Label string
	Slots []slotOpt
}

type slotOpt struct {
	Value   string
	Label   string
	Free    bool
	Checked bool
}

type fieldError struct {
	ID      string
	Message string
}

// formField maps a contract field name to the form's input id.
func formField(name string, docIdx []int) string {
	switch {
	case name == "citizen.full_name":
		return "full_name"
	case name == "citizen.phone":
		return "phone"
	case name == "citizen.id_number":
		return "id_number"
	case name == "dossier.code":
		return "dossier_code"
	case name == "dossier.desk_code":
		return "desk"
	case strings.HasPrefix(name, "address.commune"), strings.HasPrefix(name, "address.province"):
		return "commune"
	case name == "address.line":
		return "line"
	case strings.HasPrefix(name, "address.la"), strings.HasPrefix(name, "address.ln"):
		return "line"
	case strings.HasPrefix(name, "windows"):
		return "slot"
	case name == "documents":
		return "doc_name_0"
	case strings.HasPrefix(name, "documents["):
		rest := strings.TrimPrefix(name, "documents[")
		num, field, _ := strings.Cut(rest, "].")
		i, err := strconv.Atoi(num)
		if err != nil || i >= len(docIdx) {
			return "doc_name_0"
		}
		return "doc_" + field + "_" + strconv.Itoa(docIdx[i])
	}
	return name
}

// setErrors records field errors for the template, in form order, through
// the staff forms' one mapper (forms.go).
func (f *pickupForm) setErrors(err error, docIdx []int) {
	ids := map[string]string{}
	for name := range errs.FieldsOf(err) {
		ids[name] = formField(name, docIdx)
	}
	order := []string{"dossier_code", "phone", "full_name", "id_number", "commune", "line", "desk", "slot"}
	for i := 0; i < formDocRows; i++ {
		order = append(order, "doc_name_"+itoa(i), "doc_kind_"+itoa(i), "doc_count_"+itoa(i))
	}
	f.Errors, f.Summary = mapFieldErrors(err, fieldSpec{IDs: ids, Order: order, Label: func(id string) string {
		if l := fieldLabel(id); l != "Thông tin" {
			return l
		}
		return ""
	}})
}

// fill loads the choices of the form: matching communes, desks, slots.
func (s *Server) fillPickupForm(ctx context.Context, f *pickupForm) error {
	if f.Commune != "" {
		if c, ok := s.d.Units.Commune(f.Commune); ok {
			p, _ := s.d.Units.Province(c.ProvinceCode)
			f.CommuneName = c.FullName + ", " + p.FullName
			f.Province = c.ProvinceCode
		} else {
			f.Commune = ""
		}
	}
	if f.Commune == "" && f.Query != "" {
		f.Matches = s.d.Units.Search(f.Query, "", 12)
	}
	desks, err := s.d.Directory.Desks(ctx, f.Province)
	if err != nil {
		return err
	}
	for _, k := range desks {
		if k.Active {
			f.Desks = append(f.Desks, k)
		}
	}
	if f.Commune != "" && f.Mode != "counter" {
		slots, err := s.d.Intake.Slots(ctx, f.Commune, 5)
		if err != nil {
			return err
		}
		var cur *slotDay
		lastDay := ""
		for _, sl := range slots {
			day := sl.Window.Start.In(vietnam).Format("02/01")
			if day != lastDay {
				f.Days = append(f.Days, slotDay{Label: weekdayVN(sl.Window.Start) + ", " + sl.Window.Start.In(vietnam).Format("02/01/2006")})
				cur = &f.Days[len(f.Days)-1]
				lastDay = day
			}
			v := fmt.Sprintf("%d-%d", sl.Window.Start.Unix(), sl.Window.End.Unix())
			label := sl.Window.Start.In(vietnam).Format("15:04") + "–" + sl.Window.End.In(vietnam).Format("15:04")
			if !sl.Free {
				label += " (đã kín)"
			}
			cur.Slots = append(cur.Slots, slotOpt{Value: v, Label: label, Free: sl.Free, Checked: v == f.Slot})
		}
	}
	// Show the filled rows and two blank ones (at least four), so the page
	// stays short on a phone.
	last := 0
	for i, d := range f.Docs {
		if d.Name != "" {
			last = i + 1
		}
	}
	want := last + 2
	if want < 4 {
		want = 4
	}
	if want > formDocRows {
		want = formDocRows
	}
	if len(f.Docs) > want {
		f.Docs = f.Docs[:want]
	}
	for len(f.Docs) < want {
		f.Docs = append(f.Docs, docRow{Idx: len(f.Docs), Kind: "original", Count: "1"})
	}
	return nil
}

// readPickupForm reads a posted form into the form (for re-display) and a
// request. docIdx maps the request's document index to the form row.
func readPickupForm(c *fiber.Ctx, f *pickupForm) (tracking.PickupRequest, []int, error) {
	return readPickupValues(c.FormValue, f)
}

// readPickupValues is readPickupForm over any source of values (a posted
// form, a draft kept across an expired session).
func readPickupValues(formValue func(string, ...string) string, f *pickupForm) (tracking.PickupRequest, []int, error) {
	c := struct {
		FormValue func(string, ...string) string
	}{formValue}
	fe := errs.Fields{}
	f.FullName = vntext.NFC(c.FormValue("full_name"))
	f.IDNumber = strings.TrimSpace(c.FormValue("id_number"))
	f.Commune = strings.TrimSpace(c.FormValue("commune"))
	f.Line = vntext.NFC(c.FormValue("line"))
	f.Lat, f.Lng = strings.TrimSpace(c.FormValue("lat")), strings.TrimSpace(c.FormValue("lng"))
	f.Desk = strings.TrimSpace(c.FormValue("desk"))
	f.Slot = strings.TrimSpace(c.FormValue("slot"))
	f.ProcedureName = vntext.NFC(c.FormValue("procedure_name"))
	req := tracking.PickupRequest{
		Dossier: tracking.Dossier{Code: f.DossierCode, DeskCode: f.Desk, ProcedureName: f.ProcedureName, ReturnByPost: true},
		Citizen: tracking.Citizen{FullName: f.FullName, Phone: f.Phone, IDNumber: f.IDNumber},
		Address: tracking.Address{CommuneCode: f.Commune, Line: f.Line},
	}
	if f.Lat != "" || f.Lng != "" {
		la, err1 := strconv.ParseFloat(f.Lat, 64)
		ln, err2 := strconv.ParseFloat(f.Lng, 64)
		if err1 != nil || err2 != nil {
			fe.Add("line", "Vị trí không đọc được; bỏ chọn “dùng vị trí của tôi” và thử lại")
		} else {
			req.Address.Lat, req.Address.Lng = &la, &ln
		}
	}
	switch {
	case f.Mode == "counter":
		// Handed over at the counter: no visit, no window.
		f.Slot = ""
	case f.Slot == "":
		fe.Add("slot", "Chọn một khung giờ bưu tá đến nhà")
	default:
		a, b, ok := strings.Cut(f.Slot, "-")
		sa, err1 := strconv.ParseInt(a, 10, 64)
		sb, err2 := strconv.ParseInt(b, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			fe.Add("slot", "Khung giờ không hợp lệ")
		} else {
			req.Windows = []tracking.Window{{Start: time.Unix(sa, 0), End: time.Unix(sb, 0)}}
		}
	}
	var docIdx []int
	f.Docs = nil
	for i := 0; i < formDocRows; i++ {
		row := docRow{Idx: i, Name: vntext.NFC(c.FormValue("doc_name_" + itoa(i))), Kind: c.FormValue("doc_kind_" + itoa(i)), Count: strings.TrimSpace(c.FormValue("doc_count_" + itoa(i)))}
		f.Docs = append(f.Docs, row)
		if row.Name == "" {
			continue
		}
		n, err := strconv.Atoi(row.Count)
		if err != nil {
			fe.Add("doc_count_"+itoa(i), "Số bản là một số từ 1 đến 99")
		}
		req.Documents = append(req.Documents, tracking.Document{Name: row.Name, Kind: tracking.DocKind(row.Kind), Count: n})
		docIdx = append(docIdx, i)
	}
	if len(fe) > 0 {
		return req, docIdx, fe.Err(errs.Invalid, "Thông tin chưa hợp lệ")
	}
	return req, docIdx, nil
}

// provinceOf completes a request's province from its commune.
func (s *Server) provinceOf(req *tracking.PickupRequest) {
	if c, ok := s.d.Units.Commune(req.Address.CommuneCode); ok {
		req.Address.ProvinceCode = c.ProvinceCode
	}
}

// mergeFieldErrors joins form reading errors with the service's.
func mergeFieldErrors(a error, b error) error {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	fs := map[string]string{}
	for k, v := range errs.FieldsOf(b) {
		fs[k] = v
	}
	for k, v := range errs.FieldsOf(a) {
		fs[k] = v
	}
	return errs.E(errs.Unprocessable, "Thông tin chưa hợp lệ").WithFields(fs)
}

// capitalize starts a field message with a capital, as a sentence on a page.
func capitalize(s string) string {
	r := []rune(s)
	if len(r) == 0 {
		return s
	}
	return strings.ToUpper(string(r[0])) + string(r[1:])
}

// fieldLabel names an input of the request form in the error summary, where
// a message is read away from its field.
func fieldLabel(id string) string {
	switch id {
	case "dossier_code":
		return "Mã hồ sơ"
	case "phone":
		return "Số điện thoại"
	case "full_name":
		return "Họ và tên"
	case "id_number":
		return "Số căn cước công dân"
	case "commune":
		return "Xã/phường"
	case "line":
		return "Địa chỉ"
	case "desk":
		return "Nơi tiếp nhận"
	case "slot":
		return "Khung giờ"
	}
	for _, p := range []struct{ prefix, label string }{{"doc_name_", "Tên giấy tờ"}, {"doc_kind_", "Loại bản"}, {"doc_count_", "Số bản"}} {
		if n, ok := strings.CutPrefix(id, p.prefix); ok {
			if i, err := strconv.Atoi(n); err == nil {
				return p.label + " dòng " + strconv.Itoa(i+1)
			}
		}
	}
	return "Thông tin"
}

// lowerFirst lowers a sentence's first letter, not an acronym's.
func lowerFirst(s string) string {
	r := []rune(s)
	if len(r) < 2 || !unicode.IsUpper(r[0]) || unicode.IsUpper(r[1]) {
		return s
	}
	return strings.ToLower(string(r[0])) + string(r[1:])
}
