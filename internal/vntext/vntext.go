// Package vntext normalises Vietnamese text at the boundary: NFC for
// everything stored and printed, a folded key for search that ignores
// diacritics and tone-mark placement ("Hoà" and "Hòa"), and the masks the
// public pages use for names and phone numbers.
package vntext

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// NFC returns s in Unicode normalisation form C with surrounding spaces
// trimmed and inner runs of white space collapsed to one space.
func NFC(s string) string {
	s = norm.NFC.String(s)
	return strings.Join(strings.Fields(s), " ")
}

// NFCKeep returns s in form C without touching white space (for free text
// such as multi-line notes).
func NFCKeep(s string) string { return norm.NFC.String(s) }

// Fold returns a search key: lower case, no diacritics (đ → d), only letters,
// digits and single spaces. Two spellings that differ only in accents or
// tone placement fold to the same key.
//
// Bytes that are not UTF-8 count as spaces, and letters are lowered before
// their marks are removed, so that Fold(Fold(s)) == Fold(s) for every s
// (a fuzzed "\xf7ì" once folded to "ì" and then to "i").
func Fold(s string) string {
	s = strings.ToLower(strings.ToValidUTF8(s, " "))
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	var b strings.Builder
	b.Grow(len(out))
	space := true
	for _, r := range out {
		switch {
		case r == 'đ' || r == 'Đ':
			b.WriteRune('d')
			space = false
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(unicode.ToLower(r))
			space = false
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.TrimSpace(b.String())
}

// HasControl reports whether s holds control characters other than tab and
// newlines; such text is refused at the boundary.
func HasControl(s string) bool {
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t' {
			return true
		}
	}
	return false
}

// NormalizePhone turns the usual ways of writing a Vietnamese mobile number
// ("0912 345 678", "0912.345.678", "+84 912 345 678") into its ten-digit
// form. ok is false when the result is not ten digits starting with 0.
func NormalizePhone(s string) (phone string, ok bool) {
	var b strings.Builder
	for i, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '.' || r == '-' || r == '(' || r == ')':
		case r == '+' && i == 0:
			b.WriteRune('+')
		default:
			return "", false
		}
	}
	p := b.String()
	switch {
	case strings.HasPrefix(p, "+84"):
		p = "0" + p[3:]
	case strings.HasPrefix(p, "+"):
		return "", false
	case strings.HasPrefix(p, "84") && len(p) == 11:
		p = "0" + p[2:]
	}
	if len(p) != 10 || p[0] != '0' {
		return "", false
	}
	return p, true
}

// ValidIDNumber reports whether s is a 12-digit citizen identity number
// (CCCD).
func ValidIDNumber(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// MaskPhone shows a phone as "09xx xxx 123": the first two digits and the
// last three. Anything shorter is fully masked.
func MaskPhone(phone string) string {
	if len(phone) < 6 {
		return "xxx"
	}
	return phone[:2] + "xx xxx " + phone[len(phone)-3:]
}

// MaskLast3 shows only the last three digits, e.g. "xxx xxx 123".
func MaskLast3(last3 string) string {
	return "09xx xxx " + last3
}

// Initials turns a full name into its initials, "Nguyễn Văn An" → "N. V. A.".
func Initials(name string) string {
	parts := strings.Fields(NFC(name))
	var b strings.Builder
	for i, p := range parts {
		r := []rune(p)
		if len(r) == 0 {
			continue
		}
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strings.ToUpper(string(r[0])))
		b.WriteByte('.')
	}
	return b.String()
}
