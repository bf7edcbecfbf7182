package vntext_test

import (
	"testing"

	"hoso/internal/vntext"

	"golang.org/x/text/unicode/norm"
)

func TestFoldIgnoresAccentsAndTonePlacement(t *testing.T) {
	tests := []struct{ a, b string }{
		{"Hoà Bình", "Hòa Bình"},
		{"Thuỷ", "Thủy"},
		{"Phường Phan Đình Phùng", "phuong phan dinh phung"},
		{norm.NFD.String("Quyết Thắng"), "quyet thang"},
		{"  Tân   Cương ", "tan cuong"},
	}
	for _, tt := range tests {
		if got, want := vntext.Fold(tt.a), vntext.Fold(tt.b); got != want {
			t.Errorf("Fold(%q) = %q, Fold(%q) = %q; want equal", tt.a, got, tt.b, want)
		}
	}
	if got := vntext.Fold("Đồng Hỷ"); got != "dong hy" {
		t.Errorf("Fold(Đồng Hỷ) = %q", got)
	}
}

func TestNFC(t *testing.T) {
	in := norm.NFD.String("  Nguyễn   Văn An ")
	got := vntext.NFC(in)
	if got != "Nguyễn Văn An" || !norm.NFC.IsNormalString(got) {
		t.Errorf("NFC = %q", got)
	}
}

func TestNormalizePhone(t *testing.T) {
	tests := []struct {
		in   string
		want string
		ok   bool
	}{
		{"0912345678", "0912345678", true},
		{"0912 345 678", "0912345678", true},
		{"0912.345.678", "0912345678", true},
		{"+84 912 345 678", "0912345678", true},
		{"84912345678", "0912345678", true},
		{"912345678", "", false},
		{"09123456789", "", false},
		{"1912345678", "", false},
		{"09123a5678", "", false},
		{"+1 912 345 678", "", false},
		{"", "", false},
		{"0912+345678", "", false},
	}
	for _, tt := range tests {
		got, ok := vntext.NormalizePhone(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestMasks(t *testing.T) {
	if got := vntext.MaskPhone("0912345678"); got != "09xx xxx 678" {
		t.Errorf("MaskPhone = %q", got)
	}
	if got := vntext.Initials("nguyễn văn an"); got != "N. V. A." {
		t.Errorf("Initials = %q", got)
	}
	if got := vntext.Initials("Đỗ Thị Ánh"); got != "Đ. T. Á." {
		t.Errorf("Initials = %q", got)
	}
}

func TestValidIDNumber(t *testing.T) {
	for in, want := range map[string]bool{"019090001234": true, "01909000123": false, "01909000123a": false, "": false} {
		if got := vntext.ValidIDNumber(in); got != want {
			t.Errorf("ValidIDNumber(%q) = %v", in, got)
		}
	}
}

func FuzzNormalizePhone(f *testing.F) {
	for _, s := range []string{"0912345678", "+84 912 345 678", "(091) 234-5678", "", "+", "８４"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, ok := vntext.NormalizePhone(s)
		if ok {
			if len(p) != 10 || p[0] != '0' {
				t.Fatalf("NormalizePhone(%q) = %q accepted", s, p)
			}
			again, ok2 := vntext.NormalizePhone(p)
			if !ok2 || again != p {
				t.Fatalf("not idempotent: %q → %q → %q", s, p, again)
			}
		}
	})
}

func FuzzFold(f *testing.F) {
	f.Add("Hoà Bình")
	f.Add("\xff\xfe")
	f.Fuzz(func(t *testing.T, s string) {
		k := vntext.Fold(s)
		if vntext.Fold(k) != k {
			t.Fatalf("Fold not idempotent on %q", s)
		}
	})
}
