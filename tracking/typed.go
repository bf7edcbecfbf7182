package tracking

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ParseTyped parses a tracking number as a person types or reads it aloud:
// any case, spaces (the SMS and the receipt print it in groups: "EB 000 000
// 062 VN"), dashes and dots between the characters, and full-width forms
// are accepted. The result is still checked like ParseNumber.
func ParseTyped(s string) (Number, error) {
	k := typedKey(s, 16)
	if k == "" {
		return Number{}, ErrBadNumber
	}
	return ParseNumber(k)
}

// DossierKey is the form a dossier code is compared in: letters and digits
// only, in capitals, so "g22.19-241112-0042", "G22 19 241112 0042" and
// "G22.19-241112-0042" are one code. It is "" when nothing is left or the
// text is far longer than any code.
func DossierKey(s string) string { return typedKey(s, MaxCode) }

// typedKey keeps the ASCII letters and digits of s (full-width ones folded
// to ASCII), in capitals, and drops separators. Any other character, text
// that is not UTF-8, or more than max characters kept gives "".
func typedKey(s string, max int) string {
	if !utf8.ValidString(s) || len(s) > 4*max+64 {
		return ""
	}
	var b strings.Builder
	for _, r := range s {
		if r >= 0xFF01 && r <= 0xFF5E { // full-width ASCII
			r -= 0xFF01 - 0x21
		}
		switch {
		case r >= '0' && r <= '9', r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		case r >= 'a' && r <= 'z':
			b.WriteRune(r - 'a' + 'A')
		case r == '-' || r == '.' || r == '_' || r == '/' || unicode.IsSpace(r) || r == 0x200B || r == 0xFEFF:
		default:
			return ""
		}
		if b.Len() > max {
			return ""
		}
	}
	return b.String()
}
