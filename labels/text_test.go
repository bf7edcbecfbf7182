package labels

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestCheckS10(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"EA123456785VN", true},  // domain.md: serial 12345678 gives 5
		{"EA473124829VN", true},  // domain.md: serial 47312482 gives 9
		{"EA123456784VN", false}, // wrong check digit
		{"", false},
		{"ea123456785vn", false},
		{"EA12345678VN", false},
		{"EA1234567850VN", false},
		{"EĐ123456785VN", false}, // not ASCII: Code128 cannot carry it
		{"EA12345A785VN", false},
		{"EA 123456785VN", false},
	}
	for _, tt := range tests {
		err := CheckS10(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("CheckS10(%q) = %v, want ok=%v", tt.in, err, tt.ok)
		}
		if err != nil && !errors.Is(err, ErrInvalidInput) {
			t.Errorf("CheckS10(%q) error %v does not wrap ErrInvalidInput", tt.in, err)
		}
	}
	if got := s10CheckDigit("00000000"); got != '5' {
		t.Errorf("check digit of 00000000 = %c, want 5 (11 → 5)", got)
	}
}

func TestMaskPhone(t *testing.T) {
	tests := []struct{ in, want string }{
		{"0912345123", "09xx xxx 123"},
		{"0912 345 123", "09xx xxx 123"},
		{"091.234.5123", "09xx xxx 123"},
		{"+84912345123", "09xx xxx 123"},
		{"84912345123", "09xx xxx 123"},
		{"09xx xxx 123", "09xx xxx 123"},
		{"12345", ""},
		{"1912345123", ""},
		{"09123451234", ""},
		{"0912abc123", ""},
		{"", ""},
	}
	for _, tt := range tests {
		got, err := MaskPhone(tt.in)
		if tt.want == "" {
			if err == nil || !errors.Is(err, ErrInvalidInput) {
				t.Errorf("MaskPhone(%q) = %q, %v; want an ErrInvalidInput", tt.in, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("MaskPhone(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestFormatVND(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0 ₫"}, {5, "5 ₫"}, {999, "999 ₫"}, {1000, "1.000 ₫"}, {150000, "150.000 ₫"},
		{1234567, "1.234.567 ₫"}, {-25000, "-25.000 ₫"},
	}
	for _, tt := range tests {
		if got := FormatVND(tt.in); got != tt.want {
			t.Errorf("FormatVND(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAmountInWords(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "Không đồng"},
		{5, "Năm đồng"},
		{10, "Mười đồng"},
		{15, "Mười lăm đồng"},
		{21, "Hai mươi mốt đồng"},
		{25, "Hai mươi lăm đồng"},
		{105, "Một trăm linh năm đồng"},
		{110, "Một trăm mười đồng"},
		{8000, "Tám nghìn đồng"},
		{35000, "Ba mươi lăm nghìn đồng"},
		{150000, "Một trăm năm mươi nghìn đồng"},
		{403000, "Bốn trăm linh ba nghìn đồng"},
		{1005000, "Một triệu không trăm linh năm nghìn đồng"},
		{2000000, "Hai triệu đồng"},
		{1250000000, "Một tỷ hai trăm năm mươi triệu đồng"},
	}
	for _, tt := range tests {
		if got := AmountInWords(tt.in); got != tt.want {
			t.Errorf("AmountInWords(%d) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestInitials(t *testing.T) {
	nfd := norm.NFD.String("Nguyễn Thị Ánh Đào")
	if got := Initials(nfd); got != "N.T.Á.Đ." {
		t.Errorf("Initials(NFD) = %q, want N.T.Á.Đ.", got)
	}
	if got := Initials("  lê   văn  "); got != "L.V." {
		t.Errorf("Initials = %q, want L.V.", got)
	}
}

func TestCleanText(t *testing.T) {
	tests := []struct{ in, want string }{
		{norm.NFD.String("Phường Hoàn Kiếm"), "Phường Hoàn Kiếm"},
		{"a\tb\n\nc  d", "a b c d"},
		{"  đầu cuối  ", "đầu cuối"},
		{"Nhà 😀 số 5", "Nhà ? số 5"},
		{"漢字", "??"},
		{"bad\xffutf8", "bad?utf8"},
		{"x\u200by", "x y"},
	}
	for _, tt := range tests {
		if got := cleanText(tt.in); got != tt.want {
			t.Errorf("cleanText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Every precomposed Vietnamese letter, Đ/đ and ₫ must have a glyph in both
// embedded faces (otherwise cleanText would print '?').
func TestFontCoversVietnamese(t *testing.T) {
	cov := fontCoverage()
	if cov == nil {
		t.Fatal("could not read the cmap of the embedded fonts")
	}
	const vowels = "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
	marks := []string{"", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323"}
	n := 0
	for _, v := range vowels {
		for _, m := range marks {
			s := norm.NFC.String(string(v) + m)
			for _, r := range s {
				n++
				if !cov.has(r) {
					t.Errorf("font lacks %q (U+%04X)", r, r)
				}
			}
		}
	}
	for _, r := range "ĐđĐ₫–…“”" {
		if !cov.has(r) {
			t.Errorf("font lacks %q (U+%04X)", r, r)
		}
	}
	if n != 144 {
		t.Errorf("checked %d letters, want 144", n)
	}
	if cov.has('😀') || cov.has(0x4E00) {
		t.Error("coverage claims an emoji or a CJK ideograph")
	}
}

// The embedded fonts are the ones fonts/README.md names.
func TestFontChecksums(t *testing.T) {
	readme, err := os.ReadFile("fonts/README.md")
	if err != nil {
		t.Fatal(err)
	}
	for name, b := range map[string][]byte{"BeVietnamPro-Regular.ttf": fontRegular, "BeVietnamPro-Bold.ttf": fontBold} {
		sum := sha256.Sum256(b)
		h := hex.EncodeToString(sum[:])
		if !strings.Contains(string(readme), h) {
			t.Errorf("%s sha256 %s is not recorded in fonts/README.md", name, h)
		}
	}
	if _, err := os.Stat("fonts/OFL.txt"); err != nil {
		t.Errorf("the font licence must ship with the fonts: %v", err)
	}
}
