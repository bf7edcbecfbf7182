package pg

import (
	"context"
	"time"

	"hoso/internal/app"
	"hoso/internal/errs"
)

// exportSelect is the columns of an exported event: the office where it
// happened and, for a dispatch out of an office (EDE), where it goes next,
// both as national postal codes. Where it happened is the actor's office or
// desk (a courier's: the courier's office), else the parcel's office, else
// its desk. Next is the destination desk on the pickup leg, the delivering
// office on the return leg.
const exportSelect = `SELECT e.seq, p.tracking_number, e.type, e.upu_code, e.server_at, e.device_at, e.actor_kind, p.leg,
		e.data::text AS data, p.citizen_name,
		coalesce(CASE e.actor_kind
			WHEN 'post_office' THEN ao.postal_code
			WHEN 'courier' THEN uo.postal_code
			WHEN 'desk' THEN ad.postal_code
		END, po.postal_code, pd.postal_code, '') AS office_postal,
		CASE WHEN e.upu_code = 'EDE' THEN
			CASE p.leg WHEN 'pickup' THEN pd.postal_code ELSE coalesce(po.postal_code, uo.postal_code, '') END
		ELSE '' END AS next_postal`

const exportJoins = `
		FROM events e JOIN parcels p ON p.id = e.parcel_id` + exportJoinsAfterParcels

const exportJoinsAfterParcels = `
		JOIN desks pd ON pd.code = p.desk_code
		LEFT JOIN post_offices po ON po.code = p.office_code
		LEFT JOIN users u ON e.actor_kind = 'courier' AND u.staff_code = e.actor_ref
		LEFT JOIN post_offices uo ON uo.code = u.office_code
		LEFT JOIN post_offices ao ON e.actor_kind = 'post_office' AND ao.code = e.actor_ref
		LEFT JOIN desks ad ON e.actor_kind = 'desk' AND ad.code = e.actor_ref`

type exportRow struct {
	Seq            int64
	TrackingNumber string
	Type           string
	UpuCode        string
	ServerAt       time.Time
	DeviceAt       *time.Time
	ActorKind      string
	Leg            string
	Data           string
	CitizenName    string
	OfficePostal   string
	NextPostal     string
	Idx            *int64
}

func (r exportRow) record() app.ExportRecord {
	rec := app.ExportRecord{Seq: r.Seq, Cursor: -1, TrackingNumber: r.TrackingNumber, Type: r.Type, UpuCode: r.UpuCode, ServerAt: r.ServerAt,
		DeviceAt: r.DeviceAt, ActorKind: r.ActorKind, Leg: r.Leg, Data: []byte(r.Data), CitizenName: r.CitizenName,
		OfficePostal: r.OfficePostal, NextPostal: r.NextPostal}
	if r.Idx != nil {
		rec.Cursor = *r.Idx
	}
	return rec
}

// ExportEvents pages through events between from and to in server order,
// after the given global sequence, with the postal codes of where each
// happened and goes next.
func (d *DB) ExportEvents(ctx context.Context, from, to time.Time, afterSeq int64, withoutCode bool, limit int) (_ []app.ExportRecord, err error) {
	defer errs.Wrap(&err, "pg.ExportEvents after seq %d", afterSeq)
	var rows []exportRow
	err = d.query(ctx, &rows, exportSelect+exportJoins+`
		WHERE e.server_at >= ? AND e.server_at < ? AND e.seq > ? AND (? OR e.upu_code <> '')
		ORDER BY e.seq LIMIT ?`, from, to, afterSeq, withoutCode, limit)
	out := make([]app.ExportRecord, len(rows))
	for i, r := range rows {
		out[i] = r.record()
	}
	return out, err
}
