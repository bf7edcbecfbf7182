package app

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"hoso/internal/errs"
	"hoso/internal/units"
	"hoso/internal/vntext"
	"hoso/labels"
)

// MaxAmount is the largest amount of cash a page accepts (a thousand
// billion đồng): anything above is a typing mistake, and sums stay far
// from overflow.
const MaxAmount = 1_000_000_000_000

// MaxHandoverNote is the longest note on a cash handover.
const MaxHandoverNote = 500

// FeeLine is one delivered result with a fee: what the parcel said was due
// and what the courier recorded as collected at the door.
type FeeLine struct {
	CourierRef  string
	CourierName string
	OfficeCode  string
	OfficeName  string
	Number      string
	DossierCode string
	Due         int64 // parcels.fee_amount
	Collected   int64 // fee_collected of delivery.completed
	At          time.Time
	Demo        bool
}

// Handover is the cash a courier handed to the office for one day's fees,
// as the office counted it.
type Handover struct {
	ID             int64
	CourierRef     string
	OfficeCode     string
	Day            time.Time // midnight, Vietnam time
	Deliveries     int       // lines with a fee collected when confirmed
	Expected       int64     // the ledger's total when confirmed
	Counted        int64
	Note           string
	StatementCode  string
	ReceivedBy     int64
	ReceivedByName string
	ReceivedAt     time.Time
}

// CourierDay is one courier's day of fees as the office reconciles it.
type CourierDay struct {
	CourierRef  string
	CourierName string
	OfficeCode  string
	OfficeName  string
	Day         time.Time
	Lines       []FeeLine
	Handover    *Handover
}

// Collected is the total the courier recorded as collected.
func (d CourierDay) Collected() int64 {
	var n int64
	for _, l := range d.Lines {
		n += l.Collected
	}
	return n
}

// Due is the total the parcels said was due.
func (d CourierDay) Due() int64 {
	var n int64
	for _, l := range d.Lines {
		n += l.Due
	}
	return n
}

// Paid counts the lines with a fee collected.
func (d CourierDay) Paid() int {
	n := 0
	for _, l := range d.Lines {
		if l.Collected > 0 {
			n++
		}
	}
	return n
}

// Difference is the cash counted less the fees collected: negative when
// cash is short. Zero until the office confirms.
func (d CourierDay) Difference() int64 {
	if d.Handover == nil {
		return 0
	}
	return d.Handover.Counted - d.Collected()
}

// Key names the courier-day in URLs and anchors: BUUTA1-2026-11-24.
func (d CourierDay) Key() string { return d.CourierRef + "-" + d.Day.Format("2006-01-02") }

// StatementCode is the number printed on the day's fee statement.
func StatementCode(courier string, day time.Time) string {
	return "TH-" + fileSafe(courier) + "-" + day.Format("20060102")
}

// MoneyScope limits fee reconciliation to an office or a province ("" for
// all); Courier narrows to one courier.
type MoneyScope struct {
	Province string
	Office   string
	Courier  string
}

// MoneyStore is what fee reconciliation needs from persistence.
type MoneyStore interface {
	ScopeStore
	// FeeLines lists deliveries with a fee due or collected, recorded
	// between from and to (by when they happened), by couriers in scope.
	FeeLines(ctx context.Context, s MoneyScope, from, to time.Time) ([]FeeLine, error)
	// Handovers lists the handovers of days from..to (both included).
	Handovers(ctx context.Context, s MoneyScope, from, to time.Time) ([]Handover, error)
	// CreateHandover records a handover; a second one for the courier-day
	// is a conflict.
	CreateHandover(ctx context.Context, h Handover) (Handover, error)
	FindUserByStaffCode(ctx context.Context, code string) (User, error)
	FindOffices(ctx context.Context, province string) ([]PostOffice, error)
	InsertAudit(ctx context.Context, userID int64, action, subject, reason string, at time.Time) error
}

// Money reconciles the fees couriers collect on delivery with the cash
// they hand to their office.
//
// The day's fee statement (bảng kê thu hộ) with the courier's and the
// office's signature boxes is printed by Papers.FeeStatement, from the same
// deliveries (fee_collected of delivery.completed, by Vietnam date).
type Money struct {
	Store MoneyStore
	Tx    Tx
	Units *units.Set // names provinces in scope labels; optional
	Now   func() time.Time
}

// MoneyReport is the fee page of a scope and period.
type MoneyReport struct {
	Scope      KPIScope
	Period     Period
	Offices    []PostOffice // the offices the user may choose from
	CanReceive bool         // the user records handovers (a post office)
	Days       []CourierDay // newest day first, then by courier
}

// Open counts the courier-days with fees not yet handed over.
func (r MoneyReport) Open() int {
	n := 0
	for _, d := range r.Days {
		if d.Handover == nil && d.Collected() > 0 {
			n++
		}
	}
	return n
}

// Collected is the total recorded as collected over the report.
func (r MoneyReport) Collected() int64 {
	var n int64
	for _, d := range r.Days {
		n += d.Collected()
	}
	return n
}

// Counted is the total cash the offices confirmed.
func (r MoneyReport) Counted() int64 {
	var n int64
	for _, d := range r.Days {
		if d.Handover != nil {
			n += d.Handover.Counted
		}
	}
	return n
}

// Scope decides whose fees a user sees: a post office its own couriers;
// dispatchers their province (or one office in it); admins everything (or
// one office). Desks and couriers have no fee page.
func (m *Money) Scope(ctx context.Context, u User, office string) (KPIScope, error) {
	switch u.Role {
	case RoleAdmin, RoleDispatcher, RoleOffice:
	default:
		return KPIScope{}, errs.E(errs.Forbidden, "Tài khoản %s không xem được tiền thu hộ.", u.Role.Label())
	}
	return ResolveScope(ctx, m.Store, m.Units, u, ScopeQuery{Office: office})
}

// Report lists the courier-days of a period with their deliveries, the
// cash confirmed and the difference.
func (m *Money) Report(ctx context.Context, u User, office string, p Period) (MoneyReport, error) {
	sc, err := m.Scope(ctx, u, office)
	if err != nil {
		return MoneyReport{}, err
	}
	r := MoneyReport{Scope: sc, Period: p, CanReceive: u.Role == RoleOffice}
	ms := MoneyScope{Province: sc.Province, Office: sc.Office}
	lines, err := m.Store.FeeLines(ctx, ms, p.From, p.End())
	if err != nil {
		return MoneyReport{}, err
	}
	hs, err := m.Store.Handovers(ctx, ms, p.From, p.To)
	if err != nil {
		return MoneyReport{}, err
	}
	r.Days = groupDays(lines, hs)
	if u.Role != RoleOffice {
		prov := ""
		if u.Role == RoleDispatcher {
			prov = u.ProvinceCode
		}
		if r.Offices, err = m.Store.FindOffices(ctx, prov); err != nil {
			return MoneyReport{}, err
		}
	}
	return r, nil
}

// groupDays groups lines by courier and Vietnam date and attaches the
// handovers (a handover whose lines are elsewhere still shows).
func groupDays(lines []FeeLine, hs []Handover) []CourierDay {
	idx := map[string]int{}
	var days []CourierDay
	get := func(courier string, day time.Time) *CourierDay {
		k := courier + "|" + day.Format("2006-01-02")
		i, ok := idx[k]
		if !ok {
			i = len(days)
			idx[k] = i
			days = append(days, CourierDay{CourierRef: courier, Day: day})
		}
		return &days[i]
	}
	for _, l := range lines {
		d := get(l.CourierRef, Today(l.At))
		d.CourierName, d.OfficeCode, d.OfficeName = l.CourierName, l.OfficeCode, l.OfficeName
		d.Lines = append(d.Lines, l)
	}
	for i := range hs {
		h := hs[i]
		d := get(h.CourierRef, Today(h.Day))
		d.Handover = &h
		if d.OfficeCode == "" {
			d.OfficeCode = h.OfficeCode
		}
	}
	sort.SliceStable(days, func(i, j int) bool {
		a, b := days[i], days[j]
		if !a.Day.Equal(b.Day) {
			return a.Day.After(b.Day)
		}
		if a.OfficeCode != b.OfficeCode {
			return a.OfficeCode < b.OfficeCode
		}
		return a.CourierRef < b.CourierRef
	})
	return days
}

// ParseAmount reads an amount of đồng as staff type it: digits, with dots
// or spaces between groups of three ("150.000", "150 000"), optionally
// followed by ₫, đ or VNĐ. Decimals are refused: there are no xu. The
// error's message says what to fix.
func ParseAmount(s string) (int64, error) {
	bad := func(msg string) (int64, error) { return 0, errs.E(errs.Unprocessable, "%s", msg) }
	s = strings.TrimSpace(vntext.NFC(s))
	low := strings.ToLower(s)
	for _, suf := range []string{"vnđ", "vnd", "₫", "đồng", "đ"} {
		if strings.HasSuffix(low, suf) {
			s = strings.TrimSpace(s[:len(s)-len(suf)])
			break
		}
	}
	if s == "" {
		return bad("Nhập số tiền đã đếm, ví dụ 150.000.")
	}
	if strings.ContainsRune(s, ',') {
		return bad("Số tiền tính bằng đồng, không có phần lẻ: bỏ dấu phẩy.")
	}
	var groups []string
	var cur strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			cur.WriteRune(r)
		case r == '.' || unicode.IsSpace(r):
			if cur.Len() == 0 {
				return bad("Dấu chấm phải tách từng nhóm ba chữ số, ví dụ 1.500.000.")
			}
			groups = append(groups, cur.String())
			cur.Reset()
		default:
			return bad("Số tiền chỉ gồm chữ số, có thể có dấu chấm giữa các nhóm ba chữ số.")
		}
	}
	if cur.Len() == 0 {
		return bad("Dấu chấm phải tách từng nhóm ba chữ số, ví dụ 1.500.000.")
	}
	groups = append(groups, cur.String())
	if len(groups) > 1 {
		for i, g := range groups {
			if (i == 0 && len(g) > 3) || (i > 0 && len(g) != 3) {
				return bad("Dấu chấm phải tách từng nhóm ba chữ số, ví dụ 1.500.000.")
			}
		}
	}
	var n int64
	for _, g := range groups {
		for _, r := range g {
			n = n*10 + int64(r-'0')
			if n > MaxAmount {
				return bad("Số tiền quá lớn (tối đa " + labels.FormatVND(MaxAmount) + ").")
			}
		}
	}
	return n, nil
}

// HandoverInput is the office's confirmation as typed.
type HandoverInput struct {
	Courier string // staff code
	Day     string // YYYY-MM-DD
	Counted string // the cash counted, as typed
	Note    string
}

// Receive records that the user's office received a courier's cash for a
// day: the amount counted, by whom, when. A count that differs from the
// fees collected needs a note. Once per courier-day; audited.
func (m *Money) Receive(ctx context.Context, u User, in HandoverInput) (Handover, error) {
	if u.Role != RoleOffice || u.OfficeCode == "" {
		return Handover{}, errs.E(errs.Forbidden, "Chỉ bưu cục của bưu tá xác nhận đã nhận tiền; điều phối và quản trị chỉ xem.")
	}
	c, err := m.Store.FindUserByStaffCode(ctx, strings.TrimSpace(in.Courier))
	if errs.Is(err, errs.NotFound) || (err == nil && c.Role != RoleCourier) {
		return Handover{}, errs.E(errs.NotFound, "Không có bưu tá mã %q.", shown(in.Courier, 40))
	}
	if err != nil {
		return Handover{}, err
	}
	if c.OfficeCode != u.OfficeCode {
		return Handover{}, errs.E(errs.Forbidden, "Bưu tá %s không thuộc bưu cục của bạn.", c.StaffCode)
	}
	f := errs.Fields{}
	now := m.Now()
	day, ok := ParseDay(in.Day)
	switch {
	case !ok:
		f.Add("ngay", "Ngày không hợp lệ.")
	case day.After(Today(now)):
		f.Add("ngay", "Không xác nhận trước tiền của một ngày chưa tới.")
	}
	counted, perr := ParseAmount(in.Counted)
	if perr != nil {
		f.Add("so_tien", errs.MessageOf(perr))
	}
	note := strings.TrimSpace(vntext.NFC(in.Note))
	if utf8.RuneCountInString(note) > MaxHandoverNote {
		f.Add("ghi_chu", fmt.Sprintf("Ghi chú dài tối đa %d ký tự.", MaxHandoverNote))
	}
	if vntext.HasControl(note) {
		f.Add("ghi_chu", "Ghi chú có ký tự không hợp lệ.")
	}
	if err := f.Err(errs.Unprocessable, "Chưa xác nhận được: kiểm tra số tiền và ghi chú."); err != nil {
		return Handover{}, err
	}
	var out Handover
	err = m.Tx.InTx(ctx, func(ctx context.Context) error {
		sc := MoneyScope{Courier: c.StaffCode}
		hs, err := m.Store.Handovers(ctx, sc, day, day)
		if err != nil {
			return err
		}
		if len(hs) > 0 {
			return handedOver(c.StaffCode, day, hs[0])
		}
		lines, err := m.Store.FeeLines(ctx, sc, day, day.AddDate(0, 0, 1))
		if err != nil {
			return err
		}
		d := CourierDay{Lines: lines}
		expected, paid := d.Collected(), d.Paid()
		if paid == 0 {
			return errs.E(errs.Conflict, "Bưu tá %s không thu hộ khoản nào ngày %s: không có tiền để nhận.", c.StaffCode, day.Format("02/01/2006"))
		}
		if counted != expected && note == "" {
			return (&errs.Error{Kind: errs.Unprocessable, Message: "Số tiền đếm được khác tổng thu hộ: cần ghi chú."}).WithFields(map[string]string{
				"ghi_chu": fmt.Sprintf("Đếm được %s nhưng tổng thu hộ là %s (%s): ghi rõ lý do chênh lệch.",
					labels.FormatVND(counted), labels.FormatVND(expected), shortOrOver(counted-expected)),
			})
		}
		h := Handover{CourierRef: c.StaffCode, OfficeCode: u.OfficeCode, Day: day, Deliveries: paid, Expected: expected,
			Counted: counted, Note: note, StatementCode: StatementCode(c.StaffCode, day), ReceivedBy: u.ID, ReceivedAt: now}
		out, err = m.Store.CreateHandover(ctx, h)
		if errs.Is(err, errs.Conflict) {
			return errs.Wrapf(errs.Conflict, err, "Tiền thu hộ của bưu tá %s ngày %s đã được xác nhận.", c.StaffCode, day.Format("02/01/2006"))
		}
		if err != nil {
			return err
		}
		reason := fmt.Sprintf("đếm %s; tổng thu hộ %s (%d bưu gửi)", labels.FormatVND(counted), labels.FormatVND(expected), paid)
		if note != "" {
			reason += "; ghi chú: " + note
		}
		return m.Store.InsertAudit(ctx, u.ID, "cash_handover", c.StaffCode+"/"+day.Format("2006-01-02"), reason, now)
	})
	if err != nil {
		return Handover{}, err
	}
	out.ReceivedByName = u.FullName
	return out, nil
}

func handedOver(courier string, day time.Time, h Handover) error {
	return errs.E(errs.Conflict, "Tiền thu hộ của bưu tá %s ngày %s đã được xác nhận lúc %s (%s). Mỗi ngày chỉ xác nhận một lần.",
		courier, day.Format("02/01/2006"), h.ReceivedAt.In(kpiZone).Format("15:04 02/01/2006"), labels.FormatVND(h.Counted))
}

// shortOrOver says a difference the way a cashier does: thiếu 5.000 ₫,
// thừa 10.000 ₫.
func shortOrOver(n int64) string {
	if n < 0 {
		return "thiếu " + labels.FormatVND(-n)
	}
	return "thừa " + labels.FormatVND(n)
}
