package tracking

import (
	"time"

	"hoso/internal/errs"
)

// InternalEventCodes are our own codes for the events a citizen records
// about their own pickup (or a clerk on their behalf). The UPU's event list
// has no code for them: they are no postal milestone (no item moves), so
// their rules carry no UPU code and portals read these beside our event
// names (docs/portal-status.md).
var InternalEventCodes = map[EventType]string{
	PickupWindowChanged:    "HS1",
	PickupNotHome:          "HS2",
	PickupAddressCorrected: "HS3",
}

// WindowChanged is pickup.window_changed data: the new window (RFC 3339)
// and who chose it ("citizen" or "clerk").
type WindowChanged struct {
	WindowStart string `json:"window_start"`
	WindowEnd   string `json:"window_end"`
	By          string `json:"by,omitempty"`
}

// NotHome is pickup.not_home data: the window the citizen will miss.
type NotHome struct {
	WindowStart string `json:"window_start,omitempty"`
	WindowEnd   string `json:"window_end,omitempty"`
	By          string `json:"by,omitempty"`
}

// AddressCorrected is pickup.address_corrected data. The line itself is
// personal and stays in the parcel's projection; the ledger keeps where it
// now lies (commune, post office) and whether the point is approximate.
type AddressCorrected struct {
	CommuneCode    string `json:"commune_code"`
	Office         string `json:"office,omitempty"`
	LocationApprox bool   `json:"location_approx,omitempty"`
	By             string `json:"by,omitempty"`
}

// selfServiceActors is who may be named as the author of a self-service event.
var selfServiceActors = map[string]bool{"": true, "citizen": true, "clerk": true, "portal": true}

// checkSelfService validates the data of a self-service event.
func checkSelfService(ev Event, f errs.Fields) error {
	window := func(a, b string) {
		s, err1 := time.Parse(time.RFC3339, a)
		e, err2 := time.Parse(time.RFC3339, b)
		if err1 != nil || err2 != nil || !e.After(s) {
			f.Add("data.window_start", "khung giờ không hợp lệ")
		}
	}
	switch ev.Type {
	case PickupWindowChanged:
		var d WindowChanged
		if err := decodeStrict(ev.Data, &d); err != nil {
			return err
		}
		window(d.WindowStart, d.WindowEnd)
		if !selfServiceActors[d.By] {
			f.Add("data.by", "người đổi giờ không hợp lệ")
		}
	case PickupNotHome:
		var d NotHome
		if err := decodeStrict(ev.Data, &d); err != nil {
			return err
		}
		if d.WindowStart != "" || d.WindowEnd != "" {
			window(d.WindowStart, d.WindowEnd)
		}
		if !selfServiceActors[d.By] {
			f.Add("data.by", "người báo vắng nhà không hợp lệ")
		}
	case PickupAddressCorrected:
		var d AddressCorrected
		if err := decodeStrict(ev.Data, &d); err != nil {
			return err
		}
		if d.CommuneCode == "" {
			f.Add("data.commune_code", "thiếu mã xã/phường")
		}
		shortText("data.commune_code", d.CommuneCode, 10, f)
		if !selfServiceActors[d.By] {
			f.Add("data.by", "người sửa địa chỉ không hợp lệ")
		}
	}
	return nil
}
