package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"hoso/dispatch"
	"hoso/internal/errs"
	"hoso/tracking"
)

// ---------- publishing ----------

// PublishResult says what publishing did.
type PublishResult struct {
	Plan      dispatch.Plan
	Recorded  int      // pickup.scheduled events written
	Unchanged int      // stops whose schedule was already this one
	Refused   []string // "EA…VN: reason" for stops the ledger refused
	// Deliveries counts results given their place in a route (no event:
	// they leave with the courier through the office's hand-off).
	Deliveries int
}

// planEvents is the namespace of the ids of events publishing writes: the
// same plan published twice writes nothing new.
var planEvents = uuid.MustParse("6b1c1a52-0d39-4c1e-9a3e-2f7d1c2b8e01")

// Publish makes a plan the day's plan: for every planned stop whose
// courier or window changed, pickup.scheduled is recorded through the
// ledger (the courier's route and the citizen's timeline follow it), all in
// one transaction with the plan's status. Only the latest version of a day
// may be published.
func (d *Dispatch) Publish(ctx context.Context, u User, planID int64) (PublishResult, error) {
	p, err := d.Store.FindPlanByID(ctx, planID)
	if err != nil {
		return PublishResult{}, err
	}
	if _, err := d.Office(ctx, u, p.Office); err != nil {
		return PublishResult{}, err
	}
	latest, err := d.Store.FindPlan(ctx, p.Office, p.Day)
	if err != nil {
		return PublishResult{}, err
	}
	if latest.ID != p.ID {
		return PublishResult{}, errs.E(errs.Conflict, "Đã có phiên bản %d mới hơn của kế hoạch ngày %s; hãy công bố phiên bản mới nhất", latest.Version, p.Day.Label())
	}
	actor := u.Party()
	var res PublishResult
	err = d.Tx.InTx(ctx, func(ctx context.Context) error {
		res = PublishResult{}
		for _, r := range p.Routes {
			for _, s := range r.Stops {
				if s.Visited {
					continue
				}
				parcel, err := d.Store.FindParcel(ctx, s.Parcel)
				if err != nil {
					return err
				}
				if s.Kind.IsDelivery() {
					// A result leaves with the courier through the office's
					// hand-off; the plan gives it its place in the route.
					if parcel.RouteStop != s.Seq {
						if err := d.Store.SetRouteStop(ctx, s.Parcel, s.Seq); err != nil {
							return err
						}
					}
					res.Deliveries++
					continue
				}
				if sameSchedule(parcel, r.Courier, p.Day, s.Window) {
					// Same courier, day and window: nothing for the citizen,
					// but the courier's list follows the new order.
					if parcel.RouteStop != s.Seq {
						if err := d.Store.SetRouteStop(ctx, s.Parcel, s.Seq); err != nil {
							return err
						}
					}
					res.Unchanged++
					continue
				}
				data, err := tracking.MarshalData(tracking.Scheduled{Courier: r.Courier, Office: p.Office, Date: p.Day.String(),
					WindowStart: s.Window.Start.In(vietnamZone).Format(time.RFC3339), WindowEnd: s.Window.End.In(vietnamZone).Format(time.RFC3339),
					Stop: s.Seq, ETA: s.ETA.In(vietnamZone).Format(time.RFC3339)})
				if err != nil {
					return err
				}
				id := uuid.NewSHA1(planEvents, []byte(fmt.Sprintf("%d/%s", p.ID, s.Parcel))).String()
				_, _, err = d.Ledger.Record(ctx, s.Parcel, EventInput{ID: id, Type: tracking.PickupScheduled, Actor: actor, Data: data,
					Schedule: &Schedule{Courier: r.Courier, Office: p.Office, Date: p.Day.Start(), WindowStart: s.Window.Start, WindowEnd: s.Window.End, Stop: s.Seq}})
				switch {
				case errors.Is(err, ErrDuplicate):
					res.Unchanged++
				case errs.Is(err, errs.Conflict) || errs.Is(err, errs.Unprocessable) || errs.Is(err, errs.Forbidden):
					res.Refused = append(res.Refused, s.Number+": "+errs.MessageOf(err))
				case err != nil:
					return err
				default:
					res.Recorded++
				}
			}
		}
		if err := d.Store.PublishPlan(ctx, p.ID, d.now()); err != nil {
			return err
		}
		return d.Store.InsertAudit(ctx, u.ID, AuditPlanPublished, daySubject(p.Office, p.Day),
			fmt.Sprintf("phiên bản %d: %d lịch hẹn ghi, %d giữ nguyên, %d kết quả giao, %d bị từ chối",
				p.Version, res.Recorded, res.Unchanged, res.Deliveries, len(res.Refused)), d.now())
	})
	if err != nil {
		return PublishResult{}, err
	}
	res.Plan, err = d.Store.FindPlanByID(ctx, p.ID)
	d.log().Info("plan published", "office", p.Office, "day", p.Day.String(), "version", p.Version, "recorded", res.Recorded,
		"unchanged", res.Unchanged, "refused", len(res.Refused))
	return res, err
}

var vietnamZone = time.FixedZone("ICT", 7*3600)

func sameSchedule(p Parcel, courier string, day dispatch.Day, w dispatch.Window) bool {
	if p.Status != tracking.StatusScheduled || p.CourierRef != courier || p.PlannedDate == nil || p.WindowStart == nil || p.WindowEnd == nil {
		return false
	}
	// planned_date is a DATE: its digits as read are the day.
	return p.PlannedDate.Format("2006-01-02") == day.String() && p.WindowStart.Equal(w.Start) && p.WindowEnd.Equal(w.End)
}
