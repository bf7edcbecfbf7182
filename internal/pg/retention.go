package pg

import (
	"context"
	"fmt"
	"time"

	"github.com/go-pg/pg/v10"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/vntext"
)

// Terminal statuses, from tracking.Status.Terminal: nothing more happens to
// a parcel in them. A pickup ends in cancelled (before collection),
// returned_incomplete (the desk handed the papers back) or accepted (the
// desk took the dossier: the journey goes on with the return leg, if any);
// a return leg ends in delivered or returned_to_desk (the result waits at
// the desk, where the citizen collects it). The index
// parcels_unerased_end_idx (migration 0008) lists the same statuses.
const (
	returnEnded  = `('delivered', 'returned_to_desk')`
	pickupEnded  = `('cancelled', 'returned_incomplete')`
	allEndStates = `('accepted', 'returned_incomplete', 'cancelled', 'delivered', 'returned_to_desk')`
)

// erasableParcels selects the parcels p (with their dossier d) whose
// journey ended before ?0 and whose personal data is not erased yet. The
// journey is over when:
//   - a return leg is delivered or returned to the desk;
//   - a pickup was cancelled or returned incomplete, and any return leg
//     made of it has ended too;
//   - a pickup was accepted and its return leg has ended, or it has no
//     return leg and the dossier asked for none (the citizen collects the
//     result at the desk). An accepted pickup whose dossier asked for a
//     return by post keeps its data until the return leg exists and has
//     ended: the return leg is made by copying the pickup's name, sealed
//     phone and address.
//
// Each end counts from status_since, the time of the status that ended the
// leg. A parcel with an open incident or lost-original case keeps its data
// whatever its status (the case may still need the citizen). The return
// legs are counted in a lateral subquery, one index probe
// (parcels_return_of_idx) per candidate: an EXISTS inside the OR would be
// planned as a hashed subplan reading every parcel on every batch.
const erasableParcels = `FROM parcels p JOIN dossiers d ON d.id = p.dossier_id
	CROSS JOIN LATERAL (SELECT count(*) AS legs,
			count(*) FILTER (WHERE NOT (r.status IN ` + returnEnded + ` AND r.status_since < ?0)) AS open
		FROM parcels r WHERE r.return_of = p.id) rl
	WHERE p.erased_at IS NULL AND p.status IN ` + allEndStates + ` AND p.status_since < ?0 AND rl.open = 0
	AND ((p.leg = 'return' AND p.status IN ` + returnEnded + `)
		OR (p.leg = 'pickup' AND (p.status IN ` + pickupEnded + `
			OR (p.status = 'accepted' AND (NOT d.return_by_post OR rl.legs > 0)))))
	AND NOT EXISTS (SELECT 1 FROM incidents i WHERE i.parcel_id = p.id AND i.status = 'open')
	AND NOT EXISTS (SELECT 1 FROM lost_cases l WHERE l.parcel_id = p.id AND l.status = 'open')`

// Retain applies the retention policy at now: it erases the personal data
// of parcels whose journey ended long enough ago and deletes the rows of
// short-lived tables past their limit. Every statement touches at most
// policy.Batch rows and commits on its own, so a first run on a large
// database holds no long locks; each kind loops until a batch comes back
// short. It returns what it did, by kind, even when a later kind fails.
func (d *DB) Retain(ctx context.Context, now time.Time, policy app.RetentionPolicy) (_ app.RetentionCounts, err error) {
	defer errs.Wrap(&err, "pg.Retain")
	var c app.RetentionCounts
	if err := policy.Validate(); err != nil {
		return c, err
	}
	n := policy.Batch
	if c.ParcelsErased, err = d.eraseParcels(ctx, now, now.Add(-policy.ParcelAfterEnd), n); err != nil {
		return c, err
	}
	steps := []struct {
		name  string
		dst   *int
		table string
		where string
		args  []any
	}{
		// Resolution is resolved_at (set by the dispatcher with resolved_by);
		// unresolved rejections stay for the dispatcher, accepted events stay
		// as the record of ids already applied.
		{"device events", &c.DeviceEvents, "device_events",
			`status = 'rejected' AND resolved_at IS NOT NULL AND resolved_at < ?`, []any{now.Add(-policy.RejectedEvents)}},
		{"sms messages", &c.SMS, "sms_messages", `created_at < ?`, []any{now.Add(-policy.DemoMessages)}},
		// A flow that created no pickup (unverified, or verified but given
		// up) goes FlowUnverified after its expiry; a flow that created one,
		// FlowAfterPickup after the pickup's creation. A verified flow that
		// created none is kept FlowAfterPickup after its expiry. No flow
		// younger than the rate limit's window goes.
		{"citizen flows", &c.Flows, "citizen_flows",
			`created_at < ? AND (
				(verified_at IS NULL AND parcel_id IS NULL AND expires_at < ?)
				OR (verified_at IS NOT NULL AND parcel_id IS NULL AND expires_at < ?)
				OR (parcel_id IS NOT NULL AND EXISTS (SELECT 1 FROM parcels p WHERE p.id = citizen_flows.parcel_id AND p.created_at < ?)))`,
			[]any{now.Add(-policy.FlowRateWindow), now.Add(-policy.FlowUnverified), now.Add(-policy.FlowAfterPickup), now.Add(-policy.FlowAfterPickup)}},
		// Used or expired, whichever came first (least ignores NULL).
		{"door codes", &c.DoorCodes, "door_codes", `least(used_at, expires_at) < ?`, []any{now.Add(-policy.Codes)}},
		{"one-time codes", &c.OTPCodes, "otp_codes", `least(used_at, expires_at) < ?`, []any{now.Add(-policy.Codes)}},
		{"courier tokens", &c.CourierTokens, "api_tokens", `expires_at < ?`, []any{now.Add(-policy.CourierTokens)}},
		// Only rows settled as sent: pending, dead and discarded rows are
		// the relay's and the staff's (the dead-letter page).
		{"outbox", &c.Outbox, "outbox", `sent_at IS NOT NULL AND sent_at < ?`, []any{now.Add(-policy.Outbox)}},
		{"notification counters", &c.NotifyCounters, "notify_counters", `day < ?::date`, []any{policy.CounterDay(now)}},
	}
	for _, s := range steps {
		if *s.dst, err = d.deleteBatched(ctx, s.table, s.where, s.args, n); err != nil {
			return c, fmt.Errorf("retention of %s: %w", s.name, err)
		}
	}
	return c, nil
}

// deleteBatched deletes the rows of table matching where, at most batch at
// a time (by physical row id, so it serves any primary key), until a batch
// deletes fewer. The condition is checked again by the DELETE itself, so a
// row changed between the two is left alone.
func (d *DB) deleteBatched(ctx context.Context, table, where string, args []any, batch int) (int, error) {
	q := fmt.Sprintf(`DELETE FROM %[1]s WHERE ctid = ANY(ARRAY(SELECT ctid FROM %[1]s WHERE %[2]s LIMIT %[3]d)) AND %[2]s`, table, where, batch)
	all := append(append([]any{}, args...), args...)
	total := 0
	for {
		res, err := d.exec(ctx, q, all...)
		if err != nil {
			return total, err
		}
		k := res.RowsAffected()
		total += k
		if k < batch {
			return total, nil
		}
	}
}

// eraseParcels erases, batch by batch, the personal data of parcels whose
// journey ended before cutoff, down to what the ledger and the public
// timeline need: the name becomes its initials (vntext.Initials, as every
// page already shows it), the sealed phone and its keyed hash become empty
// and the address line empty. The last three digits of the phone (shown
// masked), the CCCD hash and its last three digits (section 4 keeps them),
// the tracking number, statuses and chain head stay. Nothing the events'
// hashes cover is touched. Each batch is one transaction holding its rows'
// locks (SKIP LOCKED: a parcel busy elsewhere waits for the next run).
func (d *DB) eraseParcels(ctx context.Context, now, cutoff time.Time, batch int) (int, error) {
	total := 0
	for {
		k := 0
		err := d.InTx(ctx, func(ctx context.Context) error {
			var rows []struct {
				ID          string
				CitizenName string
			}
			if err := d.query(ctx, &rows, `SELECT p.id::text AS id, p.citizen_name `+erasableParcels+` ORDER BY p.status_since LIMIT ?1 FOR UPDATE OF p SKIP LOCKED`, cutoff, batch); err != nil {
				return err
			}
			if len(rows) == 0 {
				k = 0
				return nil
			}
			ids, names := make([]string, len(rows)), make([]string, len(rows))
			for i, r := range rows {
				ids[i], names[i] = r.ID, erasedName(r.CitizenName)
			}
			res, err := d.exec(ctx, `UPDATE parcels p SET citizen_name = v.name, phone_enc = ''::bytea, phone_hash = ''::bytea,
				address_line = '', erased_at = ?
				FROM unnest(?::uuid[], ?::text[]) AS v (id, name)
				WHERE p.id = v.id AND p.erased_at IS NULL`, now, pg.Array(ids), pg.Array(names))
			if err != nil {
				return err
			}
			k = res.RowsAffected()
			if k != len(rows) {
				return fmt.Errorf("erase parcels: %d of %d locked rows updated", k, len(rows))
			}
			return nil
		})
		if err != nil {
			return total, fmt.Errorf("retention of parcels: %w", err)
		}
		total += k
		if k < batch {
			return total, nil
		}
	}
}

// erasedName is the name kept after erasure: the initials, never empty (the
// column refuses an empty name).
func erasedName(name string) string {
	if in := vntext.Initials(name); in != "" {
		return in
	}
	return "?"
}
