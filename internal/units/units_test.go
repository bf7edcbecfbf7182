package units_test

import (
	"strings"
	"testing"

	"hoso/internal/units"

	"golang.org/x/text/unicode/norm"
)

func mustLoad(t *testing.T) *units.Set {
	t.Helper()
	s, err := units.Load()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestCounts(t *testing.T) {
	s := mustLoad(t)
	if n := len(s.Provinces()); n != 34 {
		t.Errorf("provinces = %d, want 34", n)
	}
	if n := len(s.Communes()); n != 3321 {
		t.Errorf("communes = %d, want 3321", n)
	}
	if n := len(s.CommunesOf("19")); n != 92 {
		t.Errorf("Thái Nguyên communes = %d, want 92", n)
	}
	p, ok := s.Province("19")
	if !ok || p.Name != "Thái Nguyên" {
		t.Errorf("Province(19) = %+v", p)
	}
	for _, c := range s.Communes() {
		if !norm.NFC.IsNormalString(c.FullName) {
			t.Fatalf("%s not NFC", c.Code)
		}
	}
}

func TestSearchIgnoresDiacriticsAndTonePlacement(t *testing.T) {
	s := mustLoad(t)
	tests := []struct {
		q, province, wantName string
	}{
		{"phan dinh phung", "19", "Phan Đình Phùng"},
		{"Phan Đình Phùng", "19", "Phan Đình Phùng"},
		{norm.NFD.String("Phan Đình Phùng"), "19", "Phan Đình Phùng"},
		{"quyet thang", "19", "Quyết Thắng"},
		{"Ba Đình", "", "Ba Đình"},
	}
	for _, tt := range tests {
		got := s.Search(tt.q, tt.province, 5)
		if len(got) == 0 || got[0].Name != tt.wantName {
			t.Errorf("Search(%q, %q) = %v, want first %q", tt.q, tt.province, names(got), tt.wantName)
		}
	}
	// A name written with the old tone placement is found with the new one.
	var old string
	for _, c := range s.Communes() {
		if strings.Contains(c.Name, "oà") {
			old = c.Name
			break
		}
	}
	if old == "" {
		t.Fatal("no unit with old tone placement in the data")
	}
	modern := strings.ReplaceAll(old, "oà", "òa")
	if got := s.Search(modern, "", 50); !contains(got, old) {
		t.Errorf("Search(%q) misses %q: %v", modern, old, names(got))
	}
	if got := s.Search("", "", 5); got != nil {
		t.Errorf("empty query returned %v", names(got))
	}
	if got := s.Search("phan dinh phung", "01", 5); len(got) != 0 {
		t.Errorf("province filter ignored: %v", names(got))
	}
}

func names(cs []units.Commune) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Name
	}
	return out
}

func contains(cs []units.Commune, name string) bool {
	for _, c := range cs {
		if c.Name == name {
			return true
		}
	}
	return false
}

func TestParseRejectsBadInput(t *testing.T) {
	for _, in := range []string{
		"",
		"level,code\n",
		"level,code,province_code,name,full_name,unit_type,lat,lon\nward,123,19,a,b,Xã,1,2\n",
		"level,code,province_code,name,full_name,unit_type,lat,lon\nward,12345,19,a,b,Xã,x,2\n",
		"level,code,province_code,name,full_name,unit_type,lat,lon\nward,12345,19,a,b,Xã,1,2\n",
	} {
		if _, err := units.Parse(strings.NewReader(in)); err == nil {
			t.Errorf("Parse(%q) accepted", in)
		}
	}
}
