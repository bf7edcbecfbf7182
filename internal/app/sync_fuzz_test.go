package app_test

import (
	"bytes"
	"encoding/json"
	"testing"

	"hoso/internal/app"
)

// TestRedactRaw: the copy of a courier event kept for review holds neither
// the door code nor the recipient's CCCD number (found by the personal-data
// scan of cmd/hoso: device_events.raw kept both).
func TestRedactRaw(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"id":"a","type":"delivery.completed","data":{"id_number":"019090001234","signature_sha256":"ab"}}`,
			`{"data":{"id_number":"[redacted]","signature_sha256":"ab"},"id":"a","type":"delivery.completed"}`},
		{`{"id":"a","data":{"otp":"123456","method":"otp"}}`, `{"data":{"method":"otp","otp":"[redacted]"},"id":"a"}`},
		{`{"id":"a","data":{"reason":"not_home"}}`, `{"id":"a","data":{"reason":"not_home"}}`},
		{`{"id":"a","secret":"019090001234|1|A|01011990|Nam|x|01012021","data":{"proof":{"method":"cccd_qr"}}}`,
			`{"data":{"proof":{"method":"cccd_qr"}},"id":"a","secret":"[redacted]"}`},
		{`{"id":"a","data":"019090001234"}`, `{"id":"a","data":"019090001234"}`},
		{`not json`, `not json`},
	} {
		if got := string(app.RedactRaw([]byte(tc.in))); got != tc.want {
			t.Errorf("RedactRaw(%s) = %s, want %s", tc.in, got, tc.want)
		}
	}
}

// FuzzRedactRaw: whatever a device sends, the kept copy is the input when
// nothing is to be removed, is valid JSON when the input was, and never
// keeps a door code or CCCD value of the data object.
func FuzzRedactRaw(f *testing.F) {
	f.Add([]byte(`{"id":"a","type":"delivery.completed","data":{"id_number":"019090001234"}}`))
	f.Add([]byte(`{"data":{"otp":123456,"id_number":null}}`))
	f.Add([]byte(`{"data":{"OTP":"1","Id_Number":"2"}}`))
	f.Add([]byte(`{"data":[1,2]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"data":{"otp":"1"},"data":{"otp":"2"}}`))
	f.Add([]byte(`{"secret":"123456","data":{"proof":{"method":"door_code"}}}`))
	f.Add([]byte(`{"secret":1,"secret":"2"}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		out := app.RedactRaw(raw)
		if json.Valid(raw) && !json.Valid(out) {
			t.Fatalf("valid %s became invalid %s", raw, out)
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(out, &m) != nil {
			return
		}
		if v, ok := m["secret"]; ok && string(v) != `"[redacted]"` {
			t.Fatalf("kept the secret %s from %s", v, raw)
		}
		var data map[string]json.RawMessage
		if json.Unmarshal(m["data"], &data) != nil || data == nil {
			if _, ok := m["secret"]; !ok && !bytes.Equal(out, raw) {
				t.Fatalf("changed %s without a data object or secret", raw)
			}
			return
		}
		for k, v := range data {
			if (k == "otp" || k == "id_number") && string(v) != `"[redacted]"` {
				t.Fatalf("kept %s = %s from %s", k, v, raw)
			}
		}
	})
}

// FuzzParseOptOutReply: a citizen's SMS reply to the gateway's webhook.
// Never both a stop and a restart; casing and accents do not matter.
func FuzzParseOptOutReply(f *testing.F) {
	for _, s := range []string{"TC", "tc", "Từ chối", "TU CHOI", "  huy  tin ", "STOP", "DK", "Đăng ký", "start", "", "tc tc", "\u0300"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, in := app.ParseOptOutReply(s)
		if out && in {
			t.Fatalf("%q is both a stop and a restart", s)
		}
		if o2, i2 := app.ParseOptOutReply(string(bytes.ToUpper([]byte(s)))); (out || in) && (o2 != out || i2 != in) {
			t.Fatalf("%q and its upper case differ", s)
		}
	})
}
