package config

import (
	"strings"
	"testing"
)

// HOSO_MAP_TILES is off unless set; a set value must be an http(s) tile
// template with {z}, {x} and {y} and nothing that could widen the CSP.
func TestMapTiles(t *testing.T) {
	tests := []struct {
		in, url, origin string
		bad             bool
	}{
		{"", "", "", false},
		{"off", "", "", false},
		{"https://tiles.bando.vn/{z}/{x}/{y}.png", "https://tiles.bando.vn/{z}/{x}/{y}.png", "https://tiles.bando.vn", false},
		{"http://10.0.0.5:8080/osm/{z}/{x}/{y}.png", "http://10.0.0.5:8080/osm/{z}/{x}/{y}.png", "http://10.0.0.5:8080", false},
		{"https://tiles.bando.vn/{z}/{x}.png", "", "", true},
		{"ftp://tiles.bando.vn/{z}/{x}/{y}.png", "", "", true},
		{"https://{s}.tile.example/{z}/{x}/{y}.png", "", "", true},
		{"https://u:p@tiles.bando.vn/{z}/{x}/{y}.png", "", "", true},
		{"https://tiles.bando.vn/{z}/{x}/{y}.png; script-src *", "", "", true},
		{"tiles.bando.vn/{z}/{x}/{y}.png", "", "", true},
		{"https://tiles.bando.vn/{z}/{x}/{y}.png\xff'", "", "", true},
	}
	for _, tt := range tests {
		c, err := Load(keyEnv(map[string]string{"HOSO_MAP_TILES": tt.in}), false)
		if tt.bad {
			if err == nil || !strings.Contains(err.Error(), "HOSO_MAP_TILES") {
				t.Errorf("HOSO_MAP_TILES=%q accepted: %+v", tt.in, c.MapTiles)
			}
			continue
		}
		if err != nil || c.MapTiles.URL != tt.url || c.MapTiles.Origin != tt.origin {
			t.Errorf("HOSO_MAP_TILES=%q: %+v, %v", tt.in, c.MapTiles, err)
		}
	}
}
