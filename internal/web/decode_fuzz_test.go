package web

import (
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/tracking"
)

// FuzzPortalCreateBody: the portal's create body through the same decoding
// the handler uses (strict JSON, then the contract's conversion, then the
// rules). Nothing panics; every refusal is Invalid or Unprocessable; what
// passes has a ten-digit phone and a CCCD of twelve digits or none.
func FuzzPortalCreateBody(f *testing.F) {
	f.Add([]byte(`{"dossier":{"code":"000.00.19.H12-251120-0001","procedure_code":"1.001234","procedure_name":"Đăng ký kết hôn","desk_code":"TN-TTPVHCC","legal_deadline":"2026-12-05"},
		"citizen":{"full_name":"Nguyễn Văn A","phone":"0912345678","id_number":"019090001234"},
		"address":{"province_code":"19","commune_code":"05443","line":"Số 12, tổ 3","lat":21.5942,"lng":105.8482},
		"documents":[{"name":"Tờ khai","kind":"original","count":1}],
		"windows":[{"start":"2026-11-25T08:00:00+07:00","end":"2026-11-25T10:00:00+07:00"}],"return_by_post":true}`))
	f.Add([]byte(`{"dossier":{"code":"x"},"priority":"high"}`))
	f.Add([]byte(`{"address":{"lat":"north"}}`))
	f.Add([]byte(`{"windows":[{"start":"tomorrow","end":"later"}]}`))
	f.Add([]byte(`{"dossier":`))
	f.Add([]byte(`{} {}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"citizen":{"phone":"+84 912 345 678","id_number":"０１９０９０００１２３４"}}`))
	now := time.Date(2026, 11, 23, 6, 0, 0, 0, vietnam)
	hours := tracking.ServiceHours{Start: 7 * time.Hour, End: 18 * time.Hour, Zone: vietnam}
	for d := range hours.Days {
		hours.Days[d] = true
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var b pickupBody
		if err := decodeJSON(body, &b); err != nil {
			if k := errs.KindOf(err); k != errs.Invalid {
				t.Fatalf("decode kind %s: %v", k, err)
			}
			return
		}
		req, err := b.toRequest()
		if err != nil {
			if k := errs.KindOf(err); k != errs.Invalid || len(errs.FieldsOf(err)) == 0 {
				t.Fatalf("conversion: kind %s fields %v: %v", k, errs.FieldsOf(err), err)
			}
			return
		}
		req.Channel, req.PortalClient = tracking.ChannelPortal, "dvc-test"
		req.Normalize()
		if err := req.Validate(now, hours); err != nil {
			if k := errs.KindOf(err); k != errs.Unprocessable {
				t.Fatalf("validate kind %s: %v", k, err)
			}
			return
		}
		if p := req.Citizen.Phone; len(p) != 10 || p[0] != '0' || strings.Trim(p, "0123456789") != "" {
			t.Fatalf("accepted phone %q", p)
		}
		if id := req.Citizen.IDNumber; id != "" && (len(id) != 12 || strings.Trim(id, "0123456789") != "") {
			t.Fatalf("accepted CCCD %q", id)
		}
	})
}

// FuzzCourierBatch: the courier app's event batch through the handler's
// decoding: the batch strictly, then each event on its own, a malformed
// event becoming a rejected one that keeps its id. Nothing panics, the
// batch size rule holds, and the copy kept for review never carries a
// door code or a CCCD number.
func FuzzCourierBatch(f *testing.F) {
	f.Add([]byte(`{"events":[{"id":"6f1c2e0a-8f0e-4c1e-9b1a-2f7d3c4b5a69","type":"pickup.collected","tracking_number":"EA123456785VN","at":"2026-11-24T09:00:00+07:00","lat":21.59,"lng":105.84,
		"data":{"documents":[{"line":1,"count":1}],"seal_id":"NP-1","method":"otp","otp":"123456"},"signature":"AAAA"}]}`))
	f.Add([]byte(`{"events":[{"id":"x","type":"delivery.completed","data":{"id_number":"019090001234"}},{"id":1}]}`))
	f.Add([]byte(`{"events":[]}`))
	f.Add([]byte(`{"events":[{"id":"a","extra":true}]}`))
	f.Add([]byte(`{"events":null,"more":1}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		var b eventBatch
		if err := decodeJSON(body, &b); err != nil {
			if errs.KindOf(err) != errs.Invalid {
				t.Fatalf("batch decode: %v", err)
			}
			return
		}
		if len(b.Events) < 1 || len(b.Events) > app.MaxBatch {
			return // refused as a whole by the handler
		}
		for _, raw := range b.Events {
			var e app.DeviceEvent
			if err := decodeJSON(raw, &e); err != nil {
				if errs.KindOf(err) != errs.Invalid {
					t.Fatalf("event decode: %v", err)
				}
				var loose struct {
					ID string `json:"id"`
				}
				_ = json.Unmarshal(raw, &loose)
				continue
			}
			kept := app.RedactRaw(raw)
			var m map[string]json.RawMessage
			if json.Unmarshal(kept, &m) == nil {
				var data map[string]json.RawMessage
				if json.Unmarshal(m["data"], &data) == nil {
					for _, k := range []string{"otp", "id_number"} {
						if v, ok := data[k]; ok && string(v) != `"[redacted]"` {
							t.Fatalf("kept %s = %s", k, v)
						}
					}
				}
			}
		}
	})
}

// FuzzParsePlace: a shift's start or end place as a dispatcher types it.
// An accepted place is a finite point on the globe, not 0,0.
func FuzzParsePlace(f *testing.F) {
	for _, s := range []string{"", "21.5887, 105.8338", " 21.5887 105.8338 ", "21,5887", "91, 105", "0, 0", "bưu cục", "NaN, 105", "1e400, 1", "Inf,-Inf", "0x1p-2, 105"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := parsePlace(s)
		if !ok || strings.TrimSpace(s) == "" {
			return
		}
		if math.IsNaN(p.Lat) || math.IsNaN(p.Lng) || math.IsInf(p.Lat, 0) || math.IsInf(p.Lng, 0) ||
			p.Lat < -90 || p.Lat > 90 || p.Lng < -180 || p.Lng > 180 || (p.Lat == 0 && p.Lng == 0) {
			t.Fatalf("parsePlace(%q) accepted %v", s, p)
		}
	})
}
