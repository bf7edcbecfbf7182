package app_test

import (
	"bytes"
	"encoding/json"
	"strconv"
	"testing"

	"hoso/internal/app"
)

// FuzzParsePostalCursor: a cursor is empty or a decimal from -1 up, and
// what parses prints back the same.
func FuzzParsePostalCursor(f *testing.F) {
	for _, s := range []string{"", "0", "-1", "-2", "12345", "1e3", "0x10", " 1", "99999999999999999999", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := app.ParsePostalCursor(s)
		if err != nil {
			return
		}
		if s == "" {
			if n != -1 {
				t.Fatalf("empty cursor = %d", n)
			}
			return
		}
		if n < -1 || strconv.FormatInt(n, 10) != s {
			t.Fatalf("cursor %q parsed as %d", s, n)
		}
	})
}

// FuzzToOpenCPS: any stored payload either is refused or gives valid JSON
// of the DongBoHoSoMC shape, the same bytes every time.
func FuzzToOpenCPS(f *testing.F) {
	f.Add([]byte(`{"event_id":"e","dossier_code":"d","status":"delivered","at":"2026-12-22T10:30:00+07:00","detail":{"documents_returned":[{"line":1,"name":"Giấy","kind":"original","count":2}],"received_by":{"role":"proxy","label":"Người nhận thay","initials":"T. V. B.","method":"proxy"}},"portal":{"MaHoSo":"d","TrangThaiHoSo":"10","TenTrangThaiHoSo":"x","HinhThuc":"1","ThoiDiemXuLy":"20261222103000"}}`))
	f.Add([]byte(`{"event_id":"e"}`))
	f.Add([]byte(`{"portal":{},"detail":{"documents_returned":"x","received_by":7}}`))
	f.Add([]byte("\xff"))
	f.Fuzz(func(t *testing.T, payload []byte) {
		a, err := app.ToOpenCPS(payload)
		if err != nil {
			return
		}
		b, err := app.ToOpenCPS(payload)
		if err != nil || !bytes.Equal(a, b) {
			t.Fatal("not deterministic")
		}
		var body app.OpenCPSBody
		if err := json.Unmarshal(a, &body); err != nil || body.Service != "DongBoHoSoMC" || len(body.Data) != 1 || body.Data[0].DanhSachGiayToKetQua == nil {
			t.Fatalf("%v %s", err, a)
		}
	})
}
