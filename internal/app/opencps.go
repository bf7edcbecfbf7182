package app

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Callback shapes a portal client may choose.
const (
	ShapeHoso    = "hoso"    // contracts/api.md "Callbacks"
	ShapeOpenCPS = "opencps" // the national portal's DongBoHoSoMC as OpenCPS sends it
)

// ValidShape reports whether s is a callback shape ("" is ours).
func ValidShape(s string) bool { return s == "" || s == ShapeHoso || s == ShapeOpenCPS }

// OpenCPSBody is a callback in the DongBoHoSoMC shape: the sync call's
// wrapper (service, isUpdating, data) with one dossier object of the
// portal's field names, and our event beside it under "hoso" (event_id to
// deduplicate, our status and UPU code).
type OpenCPSBody struct {
	Service    string           `json:"service"`
	IsUpdating bool             `json:"isUpdating"`
	Data       []OpenCPSDossier `json:"data"`
	Hoso       OpenCPSEvent     `json:"hoso"`
}

// OpenCPSDossier is one dossier of DongBoHoSoMC.
type OpenCPSDossier struct {
	MaHoSo               string          `json:"MaHoSo"`
	MaTTHC               string          `json:"MaTTHC"`
	TenTTHC              string          `json:"TenTTHC"`
	TrangThaiHoSo        string          `json:"TrangThaiHoSo"`
	HinhThuc             string          `json:"HinhThuc"`
	NgayTiepNhan         string          `json:"NgayTiepNhan"`
	NgayHenTra           string          `json:"NgayHenTra"`
	NgayTra              string          `json:"NgayTra"`
	ThongTinTra          string          `json:"ThongTinTra"`
	GhiChu               string          `json:"GhiChu"`
	DanhSachGiayToKetQua []OpenCPSGiayTo `json:"DanhSachGiayToKetQua"`
}

// OpenCPSGiayTo is a document line of DanhSachGiayToKetQua.
type OpenCPSGiayTo struct {
	TenGiayTo  string `json:"TenGiayTo"`
	SoLuong    int    `json:"SoLuong"`
	LoaiGiayTo string `json:"LoaiGiayTo"`
}

// OpenCPSEvent is our event beside the portal's fields.
type OpenCPSEvent struct {
	EventID        string `json:"event_id"`
	PickupID       string `json:"pickup_id"`
	TrackingNumber string `json:"tracking_number"`
	Status         string `json:"status"`
	UPUCode        string `json:"upu_code"`
	At             string `json:"at"`
	ThoiDiemXuLy   string `json:"ThoiDiemXuLy"`
	// Event and InternalCode name a change the citizen (or a clerk on their
	// behalf) made that leaves the portal's status as it was: another
	// window, not at home, a corrected address (tracking.InternalEventCodes).
	Event        string `json:"event,omitempty"`
	InternalCode string `json:"internal_code,omitempty"`
}

// selfServiceNotes are the GhiChu of the citizen's own changes.
var selfServiceNotes = map[string]string{
	"pickup.window_changed":    "Đổi giờ thu gom",
	"pickup.not_home":          "Công dân báo vắng nhà, chờ chọn giờ khác",
	"pickup.address_corrected": "Sửa địa chỉ thu gom",
}

var kindVi = map[string]string{"original": "Bản chính", "certified_copy": "Bản sao chứng thực", "copy": "Bản sao"}

// ToOpenCPS turns a stored callback (our shape) into the DongBoHoSoMC
// shape. It depends on the payload alone, so every attempt of an event
// sends the same bytes.
func ToOpenCPS(payload []byte) ([]byte, error) {
	var cb CallbackBody
	if err := json.Unmarshal(payload, &cb); err != nil {
		return nil, fmt.Errorf("callback payload: %w", err)
	}
	if cb.Portal == nil {
		return nil, fmt.Errorf("callback payload of event %s has no portal status", cb.EventID)
	}
	pf := cb.Portal
	d := OpenCPSDossier{MaHoSo: pf.MaHoSo, MaTTHC: pf.MaTTHC, TenTTHC: pf.TenTTHC, TrangThaiHoSo: pf.TrangThaiHoSo, HinhThuc: pf.HinhThuc,
		NgayTiepNhan: pf.NgayTiepNhan, NgayHenTra: pf.NgayHenTra, NgayTra: pf.NgayTra, DanhSachGiayToKetQua: []OpenCPSGiayTo{}}
	label, _ := cb.Detail["status_label"].(string)
	d.GhiChu = strings.TrimSpace(label + " (bưu gửi " + cb.TrackingNumber + ")")
	if raw, ok := cb.Detail["documents_returned"]; ok {
		b, _ := json.Marshal(raw)
		var docs []ReturnedDocument
		if json.Unmarshal(b, &docs) == nil {
			for _, x := range docs {
				d.DanhSachGiayToKetQua = append(d.DanhSachGiayToKetQua, OpenCPSGiayTo{TenGiayTo: x.Name, SoLuong: x.Count, LoaiGiayTo: kindVi[x.Kind]})
			}
		}
	}
	if raw, ok := cb.Detail["received_by"]; ok {
		b, _ := json.Marshal(raw)
		var r ReceivedBy
		if json.Unmarshal(b, &r) == nil {
			d.ThongTinTra = strings.TrimSpace(fmt.Sprintf("Đã trả kết quả qua bưu điện cho %s %s, xác nhận bằng %s", strings.ToLower(r.Label), r.Initials, methodVi[r.Method]))
		}
	}
	ev := OpenCPSEvent{EventID: cb.EventID, PickupID: cb.PickupID, TrackingNumber: cb.TrackingNumber, Status: cb.Status, UPUCode: cb.UPUCode,
		At: cb.At, ThoiDiemXuLy: pf.ThoiDiem}
	if code, _ := cb.Detail["internal_code"].(string); code != "" {
		ev.Event, _ = cb.Detail["event"].(string)
		ev.InternalCode = code
		if note := selfServiceNotes[ev.Event]; note != "" {
			d.GhiChu = note + " (bưu gửi " + cb.TrackingNumber + ")"
		}
	}
	body := OpenCPSBody{Service: "DongBoHoSoMC", IsUpdating: true, Data: []OpenCPSDossier{d}, Hoso: ev}
	return json.Marshal(body)
}

var methodVi = map[string]string{"door_code": "mã SMS", "signature": "chữ ký", "cccd_qr": "QR trên CCCD", "id_digits": "số CCCD", "proxy": "giấy ủy quyền", "": "chữ ký"}
