package app_test

import (
	"context"
	"errors"
	"net/netip"
	"testing"

	"hoso/internal/app"
)

// TestCheckCallbackURL: https to public addresses only (http in the demo),
// every resolved address checked (one private answer among public ones is
// enough to refuse), names that do not resolve refused, tests may allow
// private addresses.
func TestCheckCallbackURL(t *testing.T) {
	resolve := func(_ context.Context, host string) ([]netip.Addr, error) {
		switch host {
		case "dvc.example.vn":
			return []netip.Addr{netip.MustParseAddr("203.0.113.7")}, nil
		case "mixed.example.vn":
			return []netip.Addr{netip.MustParseAddr("203.0.113.7"), netip.MustParseAddr("10.0.0.7")}, nil
		case "v6.example.vn":
			return []netip.Addr{netip.MustParseAddr("::ffff:127.0.0.1")}, nil
		}
		return nil, errors.New("no such host")
	}
	for _, tc := range []struct {
		url          string
		demo, ok, pv bool
	}{
		{url: "", ok: true},
		{url: "https://dvc.example.vn/hoso/callback?tinh=19", ok: true},
		{url: "https://203.0.113.7:8443/x", ok: true},
		{url: "http://dvc.example.vn/x"},
		{url: "http://dvc.example.vn/x", demo: true, ok: true},
		{url: "https://mixed.example.vn/x"},
		{url: "https://v6.example.vn/x"},
		{url: "https://nowhere.example.vn/x"},
		{url: "https://127.0.0.1:9000/x"},
		{url: "https://127.0.0.1:9000/x", pv: true, ok: true},
		{url: "https://[fe80::1]/x"},
		{url: "https://[fc00::1]/x"},
		{url: "https://0.0.0.0/x"},
		{url: "https://u:p@dvc.example.vn/x"},
		{url: "https://dvc.example.vn/x#frag"},
		{url: "dvc.example.vn/x"},
		{url: "javascript:alert(1)"},
	} {
		_, err := app.CheckCallbackURL(context.Background(), tc.url, tc.demo, tc.pv, resolve)
		if (err == nil) != tc.ok {
			t.Errorf("%q (demo %v, private %v): %v", tc.url, tc.demo, tc.pv, err)
		}
	}
}
