package tracking

import "time"

// This file maps our statuses onto the national public-service portal's
// dossier status codes (TrangThaiHoSo of the DongBoHoSoMC and
// CapNhatTienDoHoSoMC sync calls, as OpenCPS implements them) and its
// HinhThuc (1: the result goes back by post). docs/portal-status.md shows the
// same table; a test holds them equal. A pickup carries the citizen's
// papers to the desk: until the desk accepts them the dossier is only
// registered; the return leg carries a result already produced.

// PortalStatus is one of the national portal's dossier status codes.
type PortalStatus struct {
	Code  string // TrangThaiHoSo
	Label string // its Vietnamese name
}

// The national portal's dossier statuses we map onto.
var (
	PortalRegistered = PortalStatus{"1", "Mới đăng ký"}
	PortalReceived   = PortalStatus{"2", "Được tiếp nhận"}
	PortalRefused    = PortalStatus{"3", "Không được tiếp nhận"}
	PortalDone       = PortalStatus{"9", "Đã xử lý xong"}
	PortalReturned   = PortalStatus{"10", "Đã trả kết quả"}
)

// PortalStatuses is the mapping, by leg and status.
var PortalStatuses = map[Leg]map[Status]PortalStatus{
	LegPickup: {
		StatusRequested:          PortalRegistered,
		StatusScheduled:          PortalRegistered,
		StatusPickupFailed:       PortalRegistered,
		StatusCollected:          PortalRegistered,
		StatusAtOffice:           PortalRegistered,
		StatusToDesk:             PortalRegistered,
		StatusAtDesk:             PortalRegistered,
		StatusAccepted:           PortalReceived,
		StatusReturnedIncomplete: PortalRefused,
		StatusCancelled:          PortalRegistered, // the pickup is cancelled, not the dossier
	},
	LegReturn: {
		StatusReady:          PortalDone,
		StatusWithCourier:    PortalDone,
		StatusAtOffice:       PortalDone,
		StatusOutForDelivery: PortalDone,
		StatusDeliveryFailed: PortalDone,
		StatusHeld:           PortalDone,
		StatusDelivered:      PortalReturned,
		StatusReturnedToDesk: PortalDone, // back at the desk: the citizen collects it there
	},
}

// MapPortalStatus returns the portal's status of a parcel in a leg and
// status; ok is false for a pair the table does not have.
func MapPortalStatus(leg Leg, s Status) (PortalStatus, bool) {
	p, ok := PortalStatuses[leg][s]
	return p, ok
}

// HinhThuc is the portal's HinhThuc: "1" when the result goes back by post
// (the dossier asked for it, or this is the return leg), else "0".
func HinhThuc(leg Leg, returnByPost bool) string {
	if leg == LegReturn || returnByPost {
		return "1"
	}
	return "0"
}

// PortalTimeFormat is the portal's date-time layout (yyyyMMddHHmmss, in
// Asia/Ho_Chi_Minh).
const PortalTimeFormat = "20060102150405"

// PortalTime formats t as the portal wants it.
func PortalTime(t time.Time, zone *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(zone).Format(PortalTimeFormat)
}
