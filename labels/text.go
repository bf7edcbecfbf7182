package labels

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"hoso/internal/dong"
)

// ErrInvalidInput is wrapped by every validation error the renderers return,
// so a caller can tell bad input (a 400) from a failure to write (a 500).
var ErrInvalidInput = errors.New("labels: invalid input")

// inputError is a validation failure; it unwraps to ErrInvalidInput.
type inputError struct{ msg string }

func (e *inputError) Error() string { return ErrInvalidInput.Error() + ": " + e.msg }
func (e *inputError) Unwrap() error { return ErrInvalidInput }

func invalid(format string, args ...any) error {
	return &inputError{msg: fmt.Sprintf(format, args...)}
}

// within prefixes the message of a validation error with where it happened.
func within(where string, err error) error {
	var ie *inputError
	if errors.As(err, &ie) {
		return &inputError{msg: where + ": " + ie.msg}
	}
	return err
}

// cleanText is applied to every string at the input boundary: NFC (gofpdf
// does no shaping, so combining marks would be misplaced), control characters
// to spaces, runs of spaces collapsed, and code points the embedded font has
// no glyph for (emoji, CJK…) replaced with '?' (gofpdf's width table only
// covers the BMP and would panic on larger code points).
func cleanText(s string) string {
	if s == "" {
		return s
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "?")
	}
	s = norm.NFC.String(s)
	cov := fontCoverage()
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		switch {
		case unicode.IsSpace(r) || unicode.IsControl(r) || r == '\u00AD' || r == '\u200B' || r == '\uFEFF':
			space = true
			continue
		case cov != nil && !cov.has(r), cov == nil && !fallbackCovered(r):
			r = '?'
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// fallbackCovered is used only if the font cmap could not be read.
func fallbackCovered(r rune) bool {
	switch {
	case r >= 0x20 && r <= 0x7E, r >= 0xA0 && r <= 0x1B0, r >= 0x1EA0 && r <= 0x1EF9:
		return true
	case r == '–' || r == '—' || r == '‘' || r == '’' || r == '“' || r == '”' || r == '…' || r == '₫' || r == '·':
		return true
	}
	return false
}

// cleanCode normalises an identifier that goes into a barcode or a URL:
// NFC, surrounding spaces trimmed. Validation then rejects anything that is
// not printable ASCII.
func cleanCode(s string) string {
	return strings.TrimSpace(norm.NFC.String(s))
}

// checkASCII reports an error unless s is non-empty printable ASCII without
// spaces (what Code128 code set B and a URL path segment carry safely).
func checkASCII(field, s string) error {
	if s == "" {
		return invalid("%s is empty", field)
	}
	for i, r := range s {
		if r < 0x21 || r > 0x7E {
			return invalid("%s %q: character %q at byte %d cannot be printed as a barcode (printable ASCII only, no spaces)", field, s, r, i)
		}
	}
	return nil
}

// checkURL accepts an absolute http(s) URL in printable ASCII (for a QR code).
func checkURL(field, s string) error {
	if err := checkASCII(field, s); err != nil {
		return err
	}
	if !strings.HasPrefix(s, "https://") && !strings.HasPrefix(s, "http://") {
		return invalid("%s %q: must be an absolute http(s) URL", field, s)
	}
	if len(s) > 300 {
		return invalid("%s: %d characters is too long for a printed QR code (at most 300)", field, len(s))
	}
	return nil
}

// CheckS10 reports whether s is a valid UPU S10 tracking number: two service
// letters, eight serial digits, the check digit, two country letters
// (e.g. "EA123456785VN"). The error wraps ErrInvalidInput.
func CheckS10(s string) error {
	if s == "" {
		return invalid("tracking number is empty")
	}
	for i, r := range []rune(s) {
		if r > unicode.MaxASCII {
			return invalid("tracking number %q: character %d (%q) must be an upper-case letter A-Z or a digit (Code128 carries ASCII only)", s, i+1, r)
		}
	}
	if len(s) != 13 {
		return invalid("tracking number %q: want 13 characters (S10, e.g. EA123456785VN), got %d", s, len(s))
	}
	for i := 0; i < 13; i++ {
		c := s[i]
		letter := c >= 'A' && c <= 'Z'
		digit := c >= '0' && c <= '9'
		if (i < 2 || i > 10) && !letter {
			return invalid("tracking number %q: character %d must be an upper-case letter A-Z", s, i+1)
		}
		if i >= 2 && i <= 10 && !digit {
			return invalid("tracking number %q: character %d must be a digit", s, i+1)
		}
	}
	if want := s10CheckDigit(s[2:10]); s[10] != want {
		return invalid("tracking number %q: check digit is %c, want %c", s, s[10], want)
	}
	return nil
}

// s10CheckDigit computes the UPU S10 check digit of eight serial digits.
func s10CheckDigit(serial string) byte {
	weights := [8]int{8, 6, 4, 2, 3, 5, 9, 7}
	sum := 0
	for i := 0; i < 8; i++ {
		sum += int(serial[i]-'0') * weights[i]
	}
	c := 11 - sum%11
	switch c {
	case 10:
		c = 0
	case 11:
		c = 5
	}
	return byte('0' + c)
}

// groupS10 prints a tracking number the way S10 recommends for humans:
// "EA 123 456 785 VN".
func groupS10(s string) string {
	if len(s) != 13 {
		return s
	}
	return s[0:2] + " " + s[2:5] + " " + s[5:8] + " " + s[8:11] + " " + s[11:13]
}

// MaskPhone returns a Vietnamese phone number masked for print, keeping the
// first two and the last three digits: "0912345123" → "09xx xxx 123".
// A number already masked in that shape is returned unchanged. Spaces, dots
// and dashes are ignored; "+84…" and "84…" become "0…". Anything else is an
// error wrapping ErrInvalidInput: a phone number is never printed in clear.
func MaskPhone(phone string) (string, error) {
	p := strings.TrimSpace(norm.NFC.String(phone))
	if isMaskedPhone(p) {
		return p, nil
	}
	var digits []byte
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c >= '0' && c <= '9':
			digits = append(digits, c)
		case c == ' ' || c == '.' || c == '-' || (c == '+' && i == 0):
		default:
			return "", invalid("phone number: unexpected character %q", rune(c))
		}
	}
	if len(digits) == 11 && digits[0] == '8' && digits[1] == '4' {
		digits = append([]byte{'0'}, digits[2:]...)
	}
	if len(digits) != 10 || digits[0] != '0' {
		return "", invalid("phone number: want 10 digits starting with 0, got %d digits", len(digits))
	}
	return string(digits[0:2]) + "xx xxx " + string(digits[7:10]), nil
}

func isMaskedPhone(p string) bool {
	if len(p) != 12 || p[2:8] != "xx xxx" || p[8] != ' ' || p[0] != '0' {
		return false
	}
	for _, i := range []int{1, 9, 10, 11} {
		if p[i] < '0' || p[i] > '9' {
			return false
		}
	}
	return true
}

// Initials turns a full name into the initials printed on public papers:
// "Nguyễn Thị Hồng Nhung" → "N.T.H.N.".
func Initials(name string) string {
	var b strings.Builder
	for _, w := range strings.Fields(cleanText(name)) {
		r, _ := utf8.DecodeRuneInString(w)
		if unicode.IsLetter(r) {
			b.WriteRune(unicode.ToUpper(r))
			b.WriteByte('.')
		}
	}
	return b.String()
}

// FormatVND formats an amount in đồng the Vietnamese way: dots between
// thousands and the đồng sign after a space, e.g. 150000 → "150.000 ₫".
func FormatVND(amount int64) string { return dong.Format(amount) }

// formatInt groups thousands with dots: 2345 → "2.345".
func formatInt(n int) string {
	s := FormatVND(int64(n))
	return strings.TrimSuffix(s, " ₫")
}

var digitWords = [10]string{"không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"}

// AmountInWords spells an amount of đồng in Vietnamese as printed under a
// total ("bằng chữ"), capitalised: 150000 → "Một trăm năm mươi nghìn đồng",
// 1005000 → "Một triệu không trăm linh năm nghìn đồng", 0 → "Không đồng".
func AmountInWords(amount int64) string {
	neg := amount < 0
	u := uint64(amount)
	if neg {
		u = -u
	}
	words := spellUint(u)
	if neg {
		words = "âm " + words
	}
	words += " đồng"
	r, size := utf8.DecodeRuneInString(words)
	return string(unicode.ToUpper(r)) + words[size:]
}

func spellUint(u uint64) string {
	if u == 0 {
		return digitWords[0]
	}
	// Groups of three digits, least significant first.
	var groups []int
	for v := u; v > 0; v /= 1000 {
		groups = append(groups, int(v%1000))
	}
	scale := func(i int) string {
		// nghìn, triệu, tỷ, then repeat with tỷ: 10^12 is "nghìn tỷ".
		names := []string{"", "nghìn", "triệu"}
		s := names[i%3]
		for k := 0; k < i/3; k++ {
			if s == "" {
				s = "tỷ"
			} else {
				s += " tỷ"
			}
		}
		return s
	}
	var parts []string
	for i := len(groups) - 1; i >= 0; i-- {
		g := groups[i]
		if g == 0 {
			// A zero group still needs its "tỷ" when it carries the scale.
			if i%3 == 0 && i > 0 && len(parts) > 0 && !strings.HasSuffix(parts[len(parts)-1], "tỷ") {
				parts = append(parts, scale(i))
			}
			continue
		}
		leading := i == len(groups)-1
		parts = append(parts, spellGroup(g, leading))
		if sc := scale(i); sc != "" {
			parts = append(parts, sc)
		}
	}
	return strings.Join(parts, " ")
}

// spellGroup spells 1..999. A group that is not the leading one always says
// its hundreds ("không trăm").
func spellGroup(g int, leading bool) string {
	h, t, u := g/100, g/10%10, g%10
	var w []string
	if h > 0 || !leading {
		w = append(w, digitWords[h], "trăm")
	}
	switch {
	case t == 0 && u == 0:
		return strings.Join(w, " ")
	case t == 0:
		if len(w) > 0 {
			w = append(w, "linh")
		}
		w = append(w, digitWords[u])
		return strings.Join(w, " ")
	case t == 1:
		w = append(w, "mười")
	default:
		w = append(w, digitWords[t], "mươi")
	}
	switch {
	case u == 0:
	case u == 1 && t >= 2:
		w = append(w, "mốt")
	case u == 5:
		w = append(w, "lăm")
	default:
		w = append(w, digitWords[u])
	}
	return strings.Join(w, " ")
}
