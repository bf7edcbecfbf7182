package pg

import (
	"context"
	"time"

	"hoso/internal/app"
)

// ExportEvents pages through events between from and to in server order,
// after the given global sequence, with the office where each happened.
func (d *DB) ExportEvents(ctx context.Context, from, to time.Time, afterSeq int64, withoutCode bool, limit int) ([]app.ExportRecord, error) {
	var rows []app.ExportRecord
	err := d.query(ctx, &rows, `SELECT e.seq, p.tracking_number, e.type, e.upu_code, e.server_at, e.device_at, e.actor_kind,
			CASE e.actor_kind
				WHEN 'post_office' THEN e.actor_ref
				WHEN 'courier' THEN coalesce(u.office_code, '')
				WHEN 'desk' THEN e.actor_ref
				ELSE coalesce(p.office_code, '')
			END AS office, p.leg
		FROM events e JOIN parcels p ON p.id = e.parcel_id
		LEFT JOIN users u ON e.actor_kind = 'courier' AND u.staff_code = e.actor_ref
		WHERE e.server_at >= ? AND e.server_at < ? AND e.seq > ? AND (? OR e.upu_code <> '')
		ORDER BY e.seq LIMIT ?`, from, to, afterSeq, withoutCode, limit)
	return rows, err
}
