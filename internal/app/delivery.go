package app

import (
	"context"
	"strings"
	"time"

	"hoso/dispatch"
	"hoso/internal/errs"
	"hoso/tracking"
)

// DeliveryStore is what choosing a result's delivery window needs.
type DeliveryStore interface {
	ChooseDeliveryWindow(ctx context.Context, parcel, office string, w dispatch.Window, by string, at time.Time, capacity int) (bool, error)
	DeliveryWindow(ctx context.Context, parcel string) (dispatch.Window, string, bool, error)
	DeliverySlotCounts(ctx context.Context, office string, from, to time.Time) (map[time.Time]int, error)
	InsertAudit(ctx context.Context, userID int64, action, subject, reason string, at time.Time) error
}

// Delivery slots: service hours cut in 2-hour slots (the last one shorter
// when the hours do not divide), up to 14 days ahead; each slot takes
// SlotPerCourier results per courier with a shift at the office covering
// it (one courier on a day without shifts yet).
const (
	SlotLength     = 2 * time.Hour
	SlotDaysAhead  = 14
	SlotPerCourier = 6
	// AuditDeliveryWindow is the audit action of a window chosen by staff.
	AuditDeliveryWindow = "delivery_window.chosen"
)

// Who chooses a delivery window.
const (
	ChosenByCitizen    = "citizen"
	ChosenByPortal     = "portal"
	ChosenByClerk      = "clerk"
	ChosenByDispatcher = "dispatcher"
)

// DeliverySlot is one window a result may be delivered in.
type DeliverySlot struct {
	Window          dispatch.Window
	Taken, Capacity int
	// Free: the slot has room and has not started.
	Free bool
}

// deliverable: the return leg before the result leaves with a courier.
var deliverableStatus = map[tracking.Status]bool{tracking.StatusReady: true, tracking.StatusAtOffice: true, tracking.StatusHeld: true}

func (d *Dispatch) deliveryStore() (DeliveryStore, error) {
	s, ok := d.Store.(DeliveryStore)
	if !ok {
		return nil, errs.E(errs.Internal, "Kho dữ liệu không hỗ trợ chọn khung giờ giao")
	}
	return s, nil
}

// deliveryParcel finds a result by tracking number and checks its window
// may still be chosen.
func (d *Dispatch) deliveryParcel(ctx context.Context, number string) (Parcel, error) {
	number = strings.ToUpper(strings.TrimSpace(number))
	p, err := d.Store.FindParcelByNumber(ctx, number)
	if errs.Is(err, errs.NotFound) {
		return Parcel{}, errs.E(errs.NotFound, "Không có bưu gửi %s", number)
	}
	if err != nil {
		return Parcel{}, err
	}
	if p.Leg != tracking.LegReturn {
		return Parcel{}, errs.E(errs.Unprocessable, "%s là bưu gửi thu gom hồ sơ, không phải kết quả để giao", p.Number)
	}
	if !deliverableStatus[p.Status] {
		return Parcel{}, errs.E(errs.Conflict, "Kết quả %s đã rời bưu cục hoặc đã giao: không đổi được khung giờ giao", p.Number)
	}
	if p.OfficeCode == "" {
		return Parcel{}, errs.E(errs.Conflict, "Kết quả %s chưa có bưu cục giao", p.Number)
	}
	return p, nil
}

// DeliverySlots lists the delivery slots of a result's office on a day,
// with how many results chose each and whether it is free. It tells nothing
// personal and may back a public page once the caller has proved the
// citizen holds the result.
func (d *Dispatch) DeliverySlots(ctx context.Context, number string, day dispatch.Day) ([]DeliverySlot, error) {
	p, err := d.deliveryParcel(ctx, number)
	if err != nil {
		return nil, err
	}
	return d.slots(ctx, p.OfficeCode, day)
}

func (d *Dispatch) slots(ctx context.Context, office string, day dispatch.Day) ([]DeliverySlot, error) {
	st, err := d.deliveryStore()
	if err != nil {
		return nil, err
	}
	now := d.now()
	today, _ := dispatch.ParseDay(now.In(vietnamZone).Format("2006-01-02"))
	if day.IsZero() || day.Start().Before(today.Start()) || day.Start().After(today.AddDays(SlotDaysAhead).Start()) {
		return nil, errs.E(errs.Unprocessable, "Chỉ chọn được ngày giao từ hôm nay đến %d ngày tới", SlotDaysAhead)
	}
	shifts, err := d.Store.FindShifts(ctx, dispatch.ShiftFilter{Office: office, From: day, To: day})
	if err != nil {
		return nil, err
	}
	taken, err := st.DeliverySlotCounts(ctx, office, day.Start(), day.End())
	if err != nil {
		return nil, err
	}
	h := d.hours()
	var out []DeliverySlot
	for c := h.Start; c < h.End; c += dispatch.Clock(SlotLength / time.Minute) {
		e := min(c+dispatch.Clock(SlotLength/time.Minute), h.End)
		w := dispatch.Window{Start: day.At(c), End: day.At(e)}
		couriers := 0
		for _, s := range shifts {
			if s.Start < e && s.End > c {
				couriers++
			}
		}
		if len(shifts) == 0 {
			couriers = 1
		}
		sl := DeliverySlot{Window: w, Taken: taken[w.Start.UTC()], Capacity: couriers * SlotPerCourier}
		sl.Free = sl.Taken < sl.Capacity && w.Start.After(now)
		out = append(out, sl)
	}
	return out, nil
}

// ChooseDeliverySlot records the delivery window of a result: start must be
// the start of a free slot. by is ChosenByCitizen or ChosenByPortal for the
// citizen's own choice (u is then the zero User), ChosenByClerk or
// ChosenByDispatcher for staff: a desk's clerk for its own dossiers, a post
// office for its results, a dispatcher in their province, an admin; staff
// choices are audited. Choosing the slot a result already has changes
// nothing.
func (d *Dispatch) ChooseDeliverySlot(ctx context.Context, u User, by, number string, start time.Time) (dispatch.Window, error) {
	st, err := d.deliveryStore()
	if err != nil {
		return dispatch.Window{}, err
	}
	p, err := d.deliveryParcel(ctx, number)
	if err != nil {
		return dispatch.Window{}, err
	}
	switch by {
	case ChosenByCitizen, ChosenByPortal:
	case ChosenByClerk, ChosenByDispatcher:
		if err := mayChooseFor(u, p); err != nil {
			return dispatch.Window{}, err
		}
	default:
		return dispatch.Window{}, errs.E(errs.Invalid, "Người chọn khung giờ %q không hợp lệ", by)
	}
	if start.IsZero() {
		return dispatch.Window{}, errs.E(errs.Invalid, "Chọn một khung giờ giao")
	}
	day, err := dispatch.ParseDay(start.In(vietnamZone).Format("2006-01-02"))
	if err != nil {
		return dispatch.Window{}, errs.E(errs.Invalid, "Ngày giao không hợp lệ")
	}
	slots, err := d.slots(ctx, p.OfficeCode, day)
	if err != nil {
		return dispatch.Window{}, err
	}
	var slot *DeliverySlot
	for i := range slots {
		if slots[i].Window.Start.Equal(start) {
			slot = &slots[i]
		}
	}
	if slot == nil {
		return dispatch.Window{}, errs.E(errs.Unprocessable, "%s không phải đầu một khung giờ giao trong giờ phục vụ %s", start.In(vietnamZone).Format("15:04 02/01/2006"), d.hours())
	}
	if w, _, ok, err := st.DeliveryWindow(ctx, p.ID); err != nil {
		return dispatch.Window{}, err
	} else if ok && w.Start.Equal(slot.Window.Start) && w.End.Equal(slot.Window.End) {
		return w, nil
	}
	if !slot.Window.Start.After(d.now()) {
		return dispatch.Window{}, errs.E(errs.Unprocessable, "Khung giờ %s đã bắt đầu: chọn khung giờ khác", slot.Window.Label())
	}
	ok, err := st.ChooseDeliveryWindow(ctx, p.ID, p.OfficeCode, slot.Window, by, d.now(), slot.Capacity)
	if err != nil {
		return dispatch.Window{}, err
	}
	if !ok {
		return dispatch.Window{}, errs.E(errs.Conflict, "Khung giờ %s đã kín: chọn khung giờ khác", slot.Window.Label())
	}
	if by == ChosenByClerk || by == ChosenByDispatcher {
		if err := st.InsertAudit(ctx, u.ID, AuditDeliveryWindow, p.Number, slot.Window.Label(), d.now()); err != nil {
			return dispatch.Window{}, err
		}
	}
	d.log().Info("delivery window chosen", "parcel", p.Number, "by", by, "start", slot.Window.Start)
	return slot.Window, nil
}

// mayChooseFor tells whether a staff user may choose a result's window.
func mayChooseFor(u User, p Parcel) error {
	ok := false
	switch u.Role {
	case RoleAdmin:
		ok = true
	case RoleDispatcher:
		ok = u.ProvinceCode == p.ProvinceCode
	case RoleDesk:
		ok = u.DeskCode == p.DeskCode
	case RoleOffice:
		ok = u.OfficeCode == p.OfficeCode
	}
	if !ok || u.ID == 0 {
		return errs.E(errs.Forbidden, "Bạn không được chọn khung giờ giao cho kết quả %s", p.Number)
	}
	return nil
}
