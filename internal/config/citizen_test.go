package config

import (
	"strings"
	"testing"
)

func TestHotline(t *testing.T) {
	tests := []struct {
		in, want, problem string
	}{
		{"", DefaultHotline, ""},
		{"  1900 1234  ", "1900 1234", ""},
		{"+84 208 3855 555", "+84 208 3855 555", ""},
		{"0208.3855.555", "0208.3855.555", ""},
		{"gọi bưu điện", "", "HOSO_HOTLINE"},
		{"1900-1234", "", "HOSO_HOTLINE"},
		{"12", "", "HOSO_HOTLINE"},
		{"1900 1234<script>", "", "HOSO_HOTLINE"},
	}
	for _, tt := range tests {
		c, err := Load(keyEnv(map[string]string{"HOSO_HOTLINE": tt.in}), false)
		if tt.problem != "" {
			if err == nil || !strings.Contains(err.Error(), tt.problem) {
				t.Errorf("HOSO_HOTLINE=%q: err %v, want one naming %s", tt.in, err, tt.problem)
			}
			continue
		}
		if err != nil || c.Citizen.Hotline != tt.want {
			t.Errorf("HOSO_HOTLINE=%q: %q, %v; want %q", tt.in, c.Citizen.Hotline, err, tt.want)
		}
	}
}
