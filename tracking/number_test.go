package tracking_test

import (
	"testing"

	"hoso/tracking"
)

func TestCheckDigitVectors(t *testing.T) {
	tests := []struct {
		serial uint32
		want   int
	}{
		{47312482, 9}, // the UPU worked example
		{12345678, 5}, // sum 204, remainder 6
		{0, 5},        // sum 0: 11 → 5
		{99999999, 5}, // sum 396, remainder 0: 11 → 5
		{10000000, 3}, // sum 8
		{8, 0},        // remainder 1: 10 → 0
	}
	for _, tt := range tests {
		if got := tracking.CheckDigit(tt.serial); got != tt.want {
			t.Errorf("CheckDigit(%08d) = %d, want %d", tt.serial, got, tt.want)
		}
	}
}

func TestParseNumber(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"EA123456785VN", true},
		{"RB123456785GB", true},
		{"EA473124829VN", true},
		{"RB123456786US", false}, // wrong check digit
		{"ea123456785VN", false},
		{"EA12345678VN", false},
		{"EA1234567855VN", false},
		{"EA12345678XVN", false},
		{"E1123456785VN", false},
		{"EA123456785vn", false},
		{"", false},
		{"EA 23456785VN", false},
	}
	for _, tt := range tests {
		n, err := tracking.ParseNumber(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseNumber(%q) error = %v, want ok=%v", tt.in, err, tt.ok)
			continue
		}
		if tt.ok && n.String() != tt.in {
			t.Errorf("round trip %q → %q", tt.in, n.String())
		}
	}
}

func TestNewNumber(t *testing.T) {
	n, err := tracking.NewNumber("EA", 47312482, "VN")
	if err != nil || n.String() != "EA473124829VN" {
		t.Fatalf("NewNumber = %v, %v", n, err)
	}
	if n.Service() != "EA" || n.Serial() != 47312482 || n.Country() != "VN" {
		t.Errorf("parts = %s %d %s", n.Service(), n.Serial(), n.Country())
	}
	n, _ = tracking.NewNumber("EB", 7, "VN")
	if n.String() != "EB00000007"+string(rune('0'+tracking.CheckDigit(7)))+"VN" {
		t.Errorf("padding: %s", n)
	}
	for _, bad := range []struct {
		svc, country string
		serial       uint32
	}{{"E", "VN", 1}, {"EA", "V", 1}, {"Ea", "VN", 1}, {"EA", "VN", 100_000_000}} {
		if _, err := tracking.NewNumber(bad.svc, bad.serial, bad.country); err == nil {
			t.Errorf("NewNumber(%q, %d, %q) accepted", bad.svc, bad.serial, bad.country)
		}
	}
}

func FuzzParseNumber(f *testing.F) {
	for _, s := range []string{"EA123456785VN", "RB123456786US", "", "EA00000000 5VN", "ZZ999999995ZZ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := tracking.ParseNumber(s)
		if err != nil {
			return
		}
		if n.String() != s {
			t.Fatalf("ParseNumber(%q).String() = %q", s, n.String())
		}
		m, err := tracking.NewNumber(n.Service(), n.Serial(), n.Country())
		if err != nil || m != n {
			t.Fatalf("NewNumber(parts of %q) = %v, %v", s, m, err)
		}
	})
}
