package app

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"

	"hoso/dispatch"
	"hoso/internal/errs"
	"hoso/internal/secret"
	"hoso/internal/vntext"
	"hoso/tracking"
)

// SelfServiceStore is what the citizen's self-service writes beside the
// ledger, in the event's transaction.
type SelfServiceStore interface {
	SetPickupWindow(ctx context.Context, parcelID string, w tracking.Window) error
	WithdrawVisit(ctx context.Context, parcelID string) error
	CorrectAddress(ctx context.Context, parcelID, line, commune string, lat, lng float64, approx bool, cell int64, office string) error
	InsertAudit(ctx context.Context, userID int64, action, subject, reason string, at time.Time) error
}

// SelfService lets a citizen change their own pickup before collection from
// its tracking page, once a one-time code sent to the phone on file proved
// it is theirs: cancel, choose another free window, say they will not be
// home, correct the address line. A desk's clerk may do the same for the
// desk's own requests (audited). Each change is a ledger event (so it
// reaches the portal as a callback through the outbox) and re-plans the
// day of the office that plans the visit.
type SelfService struct {
	Store    SelfServiceStore
	Tx       Tx
	Intake   *Intake
	Flow     *CitizenFlow
	Dispatch *Dispatch
	Now      func() time.Time
	Log      *slog.Logger
}

// Audit actions of a clerk's self-service on a citizen's behalf.
const (
	AuditSelfCancel  = "selfservice.cancel"
	AuditSelfWindow  = "selfservice.window"
	AuditSelfNotHome = "selfservice.not_home"
	AuditSelfAddress = "selfservice.address"
)

// Actor is who makes a self-service change: the citizen (Clerk nil, after
// a code) or a signed-in clerk.
type Actor struct {
	Clerk *User
}

func (a Actor) by() string {
	if a.Clerk != nil {
		return "clerk"
	}
	return "citizen"
}

func (a Actor) party(p Parcel) tracking.Party {
	if a.Clerk == nil {
		return tracking.Party{Kind: tracking.PartyCitizen}
	}
	if a.Clerk.Role == RoleAdmin {
		return tracking.Party{Kind: tracking.PartyAdmin, Ref: a.Clerk.StaffCode}
	}
	return tracking.Party{Kind: tracking.PartyDesk, Ref: p.DeskCode}
}

func (s *SelfService) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

// selfServiceStatus: a pickup still at the citizen's home.
var selfServiceStatus = map[tracking.Status]bool{
	tracking.StatusRequested: true, tracking.StatusScheduled: true, tracking.StatusPickupFailed: true,
}

// Parcel finds a pickup by its tracking number (typed any way) and tells,
// in plain words, why it cannot be changed any more.
func (s *SelfService) Parcel(ctx context.Context, number string) (Parcel, error) {
	n, err := tracking.ParseTyped(number)
	if err != nil {
		return Parcel{}, errs.E(errs.NotFound, "Không tìm thấy số hiệu bưu gửi này")
	}
	p, err := s.Intake.Store.FindParcelByNumber(ctx, n.String())
	if errs.Is(err, errs.NotFound) {
		return Parcel{}, errs.E(errs.NotFound, "Không tìm thấy số hiệu bưu gửi này")
	}
	return p, err
}

// Changeable explains why a pickup can no longer be changed ("" when it
// can).
func Changeable(p Parcel) string {
	switch {
	case p.Leg != tracking.LegPickup:
		return "Đây là bưu gửi kết quả; việc thay đổi trên trang này chỉ dành cho yêu cầu thu gom hồ sơ."
	case p.Status == tracking.StatusCancelled:
		return "Yêu cầu này đã được hủy."
	case !selfServiceStatus[p.Status]:
		return "Bưu tá đã nhận hồ sơ của bạn nên không thể hủy hay đổi yêu cầu nữa. Hồ sơ đang được chuyển đến nơi tiếp nhận; nếu cần, hãy gọi số điện thoại trên trang."
	}
	return ""
}

// SelfServiceCodeMessage is the self-service code's SMS: fixed words and
// the code.
func SelfServiceCodeMessage(code string) string {
	return fmt.Sprintf("Ma xac nhan %s de thay doi yeu cau thu gom ho so qua buu dien. Hieu luc 30 phut. Khong chia se ma nay.", code)
}

// Prove sends a one-time code to the phone on file of a pickup that can
// still be changed and returns the session token to keep in a cookie. The
// same limits as the request form's codes apply (per phone and hour, per
// client address and day, in all per day, a challenge after the first
// free codes of an address).
func (s *SelfService) Prove(ctx context.Context, number, source string, challenged bool) (token string, err error) {
	defer errs.Wrap(&err, "SelfService.Prove(%q)", number)
	p, err := s.Parcel(ctx, number)
	if err != nil {
		return "", err
	}
	if why := Changeable(p); why != "" {
		return "", errs.E(errs.Conflict, "%s", why)
	}
	if len(p.PhoneEnc) == 0 {
		return "", errs.E(errs.Conflict, "Bưu gửi này không còn số điện thoại để gửi mã; hãy gọi số điện thoại trên trang.")
	}
	phoneB, err := s.Intake.Box.Open(p.PhoneEnc, []byte(SealPhone))
	if err != nil {
		return "", errs.Wrapf(errs.Internal, err, "mở số điện thoại")
	}
	phone := string(phoneB)
	c := s.Flow
	now := c.Now()
	phoneHash := s.Intake.PhoneHash(phone)
	limit := c.PerHour
	if limit <= 0 {
		limit = 3
	}
	if n, err := c.Store.CountFlows(ctx, phoneHash, now.Add(-time.Hour)); err != nil {
		return "", err
	} else if n >= limit {
		return "", errs.E(errs.RateLimited, "Số điện thoại của bưu gửi này đã nhận %d mã trong một giờ qua. Vui lòng thử lại sau.", n)
	}
	if err := c.takeBudget(ctx, source, challenged); err != nil {
		return "", err
	}
	token = secret.Token(32)
	code := secret.Digits(OTPLength)
	fl := Flow{DossierCode: p.Number, PhoneEnc: c.Intake.Box.Seal([]byte(phone), []byte("citizen_flows.phone")),
		PhoneHash: phoneHash, CreatedAt: now, ExpiresAt: now.Add(c.ttl()), CodeHash: c.codeHash(token, code),
		ParcelID: p.ID, Purpose: FlowSelfService}
	if err := c.Store.CreateFlow(ctx, secret.TokenHash(token), fl); err != nil {
		return "", err
	}
	if err := c.SMS.Send(ctx, phone, SelfServiceCodeMessage(code)); err != nil {
		return "", errs.Wrapf(errs.Unavailable, err, "Chưa gửi được tin nhắn. Vui lòng thử lại sau ít phút.")
	}
	return token, nil
}

// Session returns the pickup a self-service token proves, refusing a token
// of another parcel, of the request form, not yet verified, or expired.
func (s *SelfService) Session(ctx context.Context, token, number string) (Flow, Parcel, error) {
	p, err := s.Parcel(ctx, number)
	if err != nil {
		return Flow{}, Parcel{}, err
	}
	f, err := s.Flow.Flow(ctx, token)
	if err != nil {
		return Flow{}, Parcel{}, errs.E(errs.Unauthorized, "Phiên xác nhận đã hết hạn. Hãy nhận mã mới để tiếp tục.")
	}
	if f.Purpose != FlowSelfService || f.ParcelID != p.ID {
		return Flow{}, Parcel{}, errs.E(errs.Forbidden, "Mã xác nhận này không dùng cho bưu gửi %s. Hãy nhận mã mới gửi đến số điện thoại của bưu gửi này.", p.Number)
	}
	return f, p, nil
}

// Verified returns the pickup of a verified self-service session and keeps
// the session alive.
func (s *SelfService) Verified(ctx context.Context, token, number string) (Parcel, error) {
	f, p, err := s.Session(ctx, token, number)
	if err != nil {
		return Parcel{}, err
	}
	if f.VerifiedAt == nil {
		return Parcel{}, errs.E(errs.Unauthorized, "Hãy nhập mã xác nhận đã gửi đến điện thoại trước.")
	}
	if _, err := s.Flow.Touch(ctx, token, f); err != nil {
		return Parcel{}, err
	}
	return p, nil
}

// Verify checks the code of a self-service session for this parcel.
func (s *SelfService) Verify(ctx context.Context, token, number, code string) error {
	if _, _, err := s.Session(ctx, token, number); err != nil {
		return err
	}
	code = strings.TrimSpace(code)
	if len(code) != OTPLength || strings.Trim(code, "0123456789") != "" {
		return errs.E(errs.Invalid, "Mã xác nhận chưa đúng").WithFields(map[string]string{"code": fmt.Sprintf("Nhập đủ %d chữ số của mã trong tin nhắn", OTPLength)})
	}
	return s.Flow.Verify(ctx, token, code)
}

// Resend sends a session's code again.
func (s *SelfService) Resend(ctx context.Context, token, number, source string) (int, error) {
	if _, _, err := s.Session(ctx, token, number); err != nil {
		return 0, err
	}
	return s.Flow.Resend(ctx, token, source)
}

// mayAct checks a clerk's scope: a desk's clerk for the desk's own
// requests, an admin for any.
func mayAct(a Actor, p Parcel) error {
	if a.Clerk == nil {
		return nil
	}
	u := a.Clerk
	ok := u.ID != 0 && (u.Role == RoleAdmin || (u.Role == RoleDesk && u.DeskCode != "" && u.DeskCode == p.DeskCode))
	if !ok {
		return errs.E(errs.Forbidden, "Bạn không được thay đổi yêu cầu %s: yêu cầu thuộc nơi tiếp nhận khác", p.Number)
	}
	return nil
}

// eventID makes a change's event id from the parcel, the kind of change,
// its value and the parcel's event count when the change was asked: two
// submits of the same form (a double click, twenty tabs, a replay) make
// the same id and the ledger keeps one.
func eventID(p Parcel, kind, value string) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("%s\x00%s\x00%s\x00%d", p.ID, kind, value, p.EventCount)))
	return uuid.NewHash(sha256.New(), uuid.NameSpaceOID, h[:], 5).String()
}

// record writes a self-service event and what goes with it in one
// transaction; a duplicate (the same change asked twice) writes nothing.
func (s *SelfService) record(ctx context.Context, p Parcel, a Actor, in EventInput, then func(ctx context.Context) error, audit, reason string) (bool, error) {
	if a.Clerk != nil {
		in.By = a.Clerk.ID
	}
	dup := false
	err := s.Tx.InTx(ctx, func(ctx context.Context) error {
		_, _, err := s.Intake.Ledger.Record(ctx, p.ID, in)
		if errors.Is(err, ErrDuplicate) {
			dup = true
			return nil
		}
		if err != nil {
			return err
		}
		if then != nil {
			if err := then(ctx); err != nil {
				return err
			}
		}
		if a.Clerk != nil {
			return s.Store.InsertAudit(ctx, a.Clerk.ID, audit, p.Number, reason, s.Now())
		}
		return nil
	})
	return !dup, err
}

// visitDay is the day a pickup's visit is planned for: the published
// plan's day, else the day of its window (a draft plan may hold it).
func visitDay(p Parcel) *time.Time {
	if p.PlannedDate != nil {
		return p.PlannedDate
	}
	return p.WindowStart
}

// replan re-plans an office's day when it already has a plan, the way a
// dispatcher's "lập lại kế hoạch" does, in the background.
func (s *SelfService) replan(ctx context.Context, office string, day *time.Time, reason string) {
	if s.Dispatch == nil || office == "" || day == nil {
		return
	}
	d, err := dispatch.ParseDay(day.In(vietnamZone).Format("2006-01-02"))
	if err != nil || d.Before(dispatch.DayOf(s.Now())) {
		return
	}
	if _, err := s.Dispatch.Store.FindPlan(ctx, office, d); err != nil {
		return // no plan for that day yet: the dispatcher's first plan will place it
	}
	system := User{Role: RoleAdmin, StaffCode: "tu-phuc-vu"}
	if _, err := s.Dispatch.StartPlan(ctx, system, office, d, PlanOptions{Replan: true, Reason: reason}); err != nil {
		s.log().Error("self-service re-plan", "office", office, "day", d.String(), "err", err.Error())
	}
}

// Cancel cancels a pickup before collection. Cancelling twice (or twenty
// times at once) records one event.
func (s *SelfService) Cancel(ctx context.Context, a Actor, number, reason string) (Parcel, error) {
	p, err := s.Parcel(ctx, number)
	if err != nil {
		return Parcel{}, err
	}
	if err := mayAct(a, p); err != nil {
		return Parcel{}, err
	}
	if p.Status == tracking.StatusCancelled {
		return p, nil
	}
	if why := Changeable(p); why != "" {
		return Parcel{}, errs.E(errs.Conflict, "%s", why)
	}
	reason = vntext.NFC(strings.TrimSpace(reason))
	if vntext.HasControl(reason) || len([]rune(reason)) > 300 {
		return Parcel{}, errs.E(errs.Invalid, "Lý do chưa hợp lệ").WithFields(map[string]string{"reason": "Lý do tối đa 300 ký tự, không có ký tự điều khiển"})
	}
	if reason == "" {
		reason = "Công dân tự hủy trên trang tra cứu"
		if a.Clerk != nil {
			reason = "Cán bộ một cửa hủy theo yêu cầu của công dân"
		}
	}
	data, err := tracking.MarshalData(tracking.Cancelled{Reason: reason})
	if err != nil {
		return Parcel{}, err
	}
	in := EventInput{ID: eventID(p, "cancel", ""), Type: tracking.ParcelCancelled, Actor: a.party(p), Data: data}
	if _, err := s.record(ctx, p, a, in, nil, AuditSelfCancel, reason); err != nil {
		cur, ferr := s.Intake.Store.FindParcel(ctx, p.ID)
		if ferr == nil && cur.Status == tracking.StatusCancelled {
			return cur, nil
		}
		if errs.Is(err, errs.Conflict) {
			return Parcel{}, errs.E(errs.Conflict, "%s", Changeable(cur))
		}
		return Parcel{}, err
	}
	s.replan(ctx, p.OfficeCode, visitDay(p), "Công dân hủy yêu cầu "+p.Number)
	return s.Intake.Store.FindParcel(ctx, p.ID)
}

// Windows lists the windows a pickup may move to: the commune's slots of
// the next days with their room (the capacity intake offers).
func (s *SelfService) Windows(ctx context.Context, p Parcel) ([]Slot, error) {
	return s.Intake.Slots(ctx, p.CommuneCode, 5)
}

// ChooseWindow moves a pickup to another free window: the planned visit
// is withdrawn and the day re-planned. Choosing the window it already has
// changes nothing.
func (s *SelfService) ChooseWindow(ctx context.Context, a Actor, number string, start time.Time) (Parcel, error) {
	p, err := s.Parcel(ctx, number)
	if err != nil {
		return Parcel{}, err
	}
	if err := mayAct(a, p); err != nil {
		return Parcel{}, err
	}
	if why := Changeable(p); why != "" {
		return Parcel{}, errs.E(errs.Conflict, "%s", why)
	}
	if start.IsZero() {
		return Parcel{}, errs.E(errs.Invalid, "Chưa chọn khung giờ").WithFields(map[string]string{"window": "Chọn một khung giờ còn chỗ"})
	}
	slots, err := s.Windows(ctx, p)
	if err != nil {
		return Parcel{}, err
	}
	var slot *Slot
	for i := range slots {
		if slots[i].Window.Start.Equal(start) {
			slot = &slots[i]
		}
	}
	if slot == nil {
		return Parcel{}, errs.E(errs.Invalid, "Khung giờ không có trong danh sách").WithFields(map[string]string{"window": "Chọn một khung giờ trong danh sách"})
	}
	if len(p.Windows) == 1 && p.Windows[0].Start.Equal(slot.Window.Start) && p.Windows[0].End.Equal(slot.Window.End) {
		return p, nil
	}
	if !slot.Free {
		return Parcel{}, errs.E(errs.Conflict, "Khung giờ đã kín").WithFields(map[string]string{"window": "Khung giờ " + windowLabel(slot.Window) + " đã kín hoặc quá gần; hãy chọn khung giờ khác"})
	}
	w := slot.Window
	data, err := tracking.MarshalData(tracking.WindowChanged{WindowStart: w.Start.UTC().Format(time.RFC3339), WindowEnd: w.End.UTC().Format(time.RFC3339), By: a.by()})
	if err != nil {
		return Parcel{}, err
	}
	in := EventInput{ID: eventID(p, "window", w.Start.UTC().Format(time.RFC3339)), Type: tracking.PickupWindowChanged, Actor: a.party(p), Data: data}
	wrote, err := s.record(ctx, p, a, in, func(ctx context.Context) error { return s.Store.SetPickupWindow(ctx, p.ID, w) },
		AuditSelfWindow, windowLabel(w))
	if err != nil {
		return Parcel{}, s.refusal(ctx, p, err)
	}
	if wrote {
		old := visitDay(p)
		s.replan(ctx, p.OfficeCode, old, "Công dân đổi giờ thu gom "+p.Number)
		start := w.Start
		if old == nil || old.In(vietnamZone).Format("2006-01-02") != start.In(vietnamZone).Format("2006-01-02") {
			s.replan(ctx, p.OfficeCode, &start, "Công dân đổi giờ thu gom "+p.Number)
		}
	}
	return s.Intake.Store.FindParcel(ctx, p.ID)
}

// refusal turns a conflict the ledger found under the lock (the courier
// collected meanwhile) into the plain explanation.
func (s *SelfService) refusal(ctx context.Context, p Parcel, err error) error {
	if !errs.Is(err, errs.Conflict) {
		return err
	}
	if cur, ferr := s.Intake.Store.FindParcel(ctx, p.ID); ferr == nil {
		if why := Changeable(cur); why != "" {
			return errs.E(errs.Conflict, "%s", why)
		}
	}
	return err
}

func windowLabel(w tracking.Window) string {
	return fmt.Sprintf("%s–%s ngày %s", w.Start.In(vietnamZone).Format("15:04"), w.End.In(vietnamZone).Format("15:04"),
		w.Start.In(vietnamZone).Format("02/01/2006"))
}

// NotHome records that the citizen will not be home in the planned window:
// the courier's visit is withdrawn, the day re-planned, and the page asks
// for another window. Saying it twice changes nothing.
func (s *SelfService) NotHome(ctx context.Context, a Actor, number string) (Parcel, error) {
	p, err := s.Parcel(ctx, number)
	if err != nil {
		return Parcel{}, err
	}
	if err := mayAct(a, p); err != nil {
		return Parcel{}, err
	}
	if why := Changeable(p); why != "" {
		return Parcel{}, errs.E(errs.Conflict, "%s", why)
	}
	d := tracking.NotHome{By: a.by()}
	key := ""
	if p.WindowStart != nil && p.WindowEnd != nil {
		d.WindowStart, d.WindowEnd = p.WindowStart.UTC().Format(time.RFC3339), p.WindowEnd.UTC().Format(time.RFC3339)
		key = d.WindowStart
	}
	// Said already for this window and nothing planned since: nothing to do.
	if evs, err := s.Intake.Store.FindEvents(ctx, p.ID); err == nil && len(evs) > 0 {
		last := evs[len(evs)-1]
		var prev tracking.NotHome
		if last.Type == tracking.PickupNotHome && json.Unmarshal(last.Data, &prev) == nil && prev.WindowStart == d.WindowStart {
			return p, nil
		}
	}
	if key == "" && len(p.Windows) == 0 {
		// No visit was ever arranged (a request made at a post office
		// counter): there is nothing to be away from.
		return Parcel{}, errs.E(errs.Conflict, "Yêu cầu %s chưa hẹn giờ bưu tá đến nhà: chọn một khung giờ nếu muốn bưu tá đến.", p.Number)
	}
	data, err := tracking.MarshalData(d)
	if err != nil {
		return Parcel{}, err
	}
	in := EventInput{ID: eventID(p, "not_home", key), Type: tracking.PickupNotHome, Actor: a.party(p), Data: data}
	wrote, err := s.record(ctx, p, a, in, func(ctx context.Context) error { return s.Store.WithdrawVisit(ctx, p.ID) }, AuditSelfNotHome, key)
	if err != nil {
		return Parcel{}, s.refusal(ctx, p, err)
	}
	if wrote {
		s.replan(ctx, p.OfficeCode, visitDay(p), "Công dân báo vắng nhà "+p.Number)
	}
	return s.Intake.Store.FindParcel(ctx, p.ID)
}

// MaxAddressLine is the longest address line a citizen may type.
const MaxAddressLine = 200

// CorrectAddress corrects a pickup's address line, and its commune when
// the citizen chooses another: placed and zoned the way intake does (the
// commune's centre, flagged approximate, when the commune changes). A new
// commune outside the zone of the office that serves the request is
// refused: that office cannot go there.
func (s *SelfService) CorrectAddress(ctx context.Context, a Actor, number, line, commune string) (Parcel, error) {
	p, err := s.Parcel(ctx, number)
	if err != nil {
		return Parcel{}, err
	}
	if err := mayAct(a, p); err != nil {
		return Parcel{}, err
	}
	if why := Changeable(p); why != "" {
		return Parcel{}, errs.E(errs.Conflict, "%s", why)
	}
	line = strings.Join(strings.Fields(vntext.NFC(line)), " ")
	commune = strings.TrimSpace(commune)
	if commune == "" {
		commune = p.CommuneCode
	}
	f := errs.Fields{}
	switch {
	case line == "":
		f.Add("address_line", "Nhập số nhà, tên đường, thôn hoặc tổ dân phố")
	case len([]rune(line)) > MaxAddressLine:
		f.Add("address_line", fmt.Sprintf("Địa chỉ tối đa %d ký tự", MaxAddressLine))
	case vntext.HasControl(line):
		f.Add("address_line", "Địa chỉ có ký tự không hợp lệ; hãy gõ lại")
	}
	com, ok := s.Intake.Units.Commune(commune)
	switch {
	case !ok:
		f.Add("commune_code", "Chọn xã/phường trong danh sách")
	case com.ProvinceCode != p.ProvinceCode:
		f.Add("commune_code", "Xã/phường mới phải cùng tỉnh/thành phố với yêu cầu; nếu chuyển tỉnh, hãy hủy và tạo yêu cầu mới")
	}
	if err := f.Err(errs.Invalid, "Địa chỉ chưa hợp lệ"); err != nil {
		return Parcel{}, err
	}
	if line == p.AddressLine && commune == p.CommuneCode {
		return p, nil
	}
	lat, lng, approx, cell, office := p.Lat, p.Lng, p.LocationApprox, p.Cell, p.OfficeCode
	if commune != p.CommuneCode {
		lat, lng, approx = com.Lat, com.Lng, true
		if s.Intake.Zoner != nil {
			o, c, ok, err := s.Intake.Zoner.OfficeFor(ctx, lat, lng)
			if err != nil {
				return Parcel{}, err
			}
			if !ok || (p.OfficeCode != "" && o != p.OfficeCode) {
				return Parcel{}, errs.E(errs.Unprocessable, "Ngoài khu vực phục vụ").WithFields(map[string]string{"commune_code": com.FullName +
					" nằm ngoài khu vực bưu cục đang phục vụ yêu cầu này, nên bưu tá không thể đến. Hãy giữ xã/phường cũ, hoặc hủy yêu cầu này và tạo yêu cầu mới với địa chỉ mới."})
			}
			office, cell = o, c
		}
	}
	data, err := tracking.MarshalData(tracking.AddressCorrected{CommuneCode: commune, Office: office, LocationApprox: approx, By: a.by()})
	if err != nil {
		return Parcel{}, err
	}
	h := sha256.Sum256([]byte(commune + "\x00" + line))
	in := EventInput{ID: eventID(p, "address", fmt.Sprintf("%x", h[:8])), Type: tracking.PickupAddressCorrected, Actor: a.party(p), Data: data}
	wrote, err := s.record(ctx, p, a, in, func(ctx context.Context) error {
		return s.Store.CorrectAddress(ctx, p.ID, line, commune, lat, lng, approx, cell, office)
	}, AuditSelfAddress, commune)
	if err != nil {
		return Parcel{}, s.refusal(ctx, p, err)
	}
	if wrote {
		s.replan(ctx, p.OfficeCode, visitDay(p), "Công dân sửa địa chỉ "+p.Number)
	}
	return s.Intake.Store.FindParcel(ctx, p.ID)
}
