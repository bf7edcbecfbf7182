package web

import "testing"

func TestParsePlace(t *testing.T) {
	for _, tc := range []struct {
		in       string
		lat, lng float64
		ok       bool
	}{
		{"", 0, 0, true},
		{"21.5887, 105.8338", 21.5887, 105.8338, true},
		{" 21.5887 105.8338 ", 21.5887, 105.8338, true},
		{"21,5887", 0, 0, false},
		{"91, 105", 0, 0, false},
		{"0, 0", 0, 0, false},
		{"bưu cục", 0, 0, false},
	} {
		p, ok := parsePlace(tc.in)
		if ok != tc.ok || p.Lat != tc.lat || p.Lng != tc.lng {
			t.Errorf("parsePlace(%q) = %v %v", tc.in, p, ok)
		}
	}
}

func TestKmAndTabs(t *testing.T) {
	if km(12345) != "12,3 km" {
		t.Errorf("km = %q", km(12345))
	}
	tabs := dispatchTabs(dispatchBase+"/ca", "bc=BC-1")
	if !tabs[1].Current || tabs[0].Current || tabs[3].Href != dispatchBase+"/buu-cuc" || tabs[0].Href != dispatchBase+"/ke-hoach?bc=BC-1" {
		t.Errorf("tabs %+v", tabs)
	}
}
