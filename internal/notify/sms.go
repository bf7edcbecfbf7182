package notify

import (
	"strings"
	"unicode"
	"unicode/utf16"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// SMS length policy.
//
// A GSM-7 segment carries 160 characters (153 each when the message is split
// into several), a UCS-2 segment 70 (67 each when split). Vietnamese with
// diacritics needs UCS-2; without them it is plain GSM-7, so the same text
// costs two to three times more with its accents.
//
// The policy keeps the diacritics when the whole message (with long names
// shortened if needed, never a sentence dropped) fits UnicodeSegments UCS-2
// segments: 1 by default, so a message of up to 70 characters keeps them.
// Otherwise the diacritics are stripped (ư → u, đ → d, and the few
// typographic characters GSM-7 lacks are replaced), and the message must fit
// MaxSegments GSM-7 segments (2 by default, 306 characters): long names are
// shortened first, then optional sentences (a tracking link, a courtesy
// line) are dropped from the end, and only then is the text cut at a word.

// GSM-7 segment sizes.
const (
	GSMSingle  = 160
	GSMMulti   = 153
	UCS2Single = 70
	UCS2Multi  = 67
)

// Policy bounds the length of an SMS.
type Policy struct {
	// UnicodeSegments: diacritics stay when the text fits this many UCS-2
	// segments (default 1).
	UnicodeSegments int
	// MaxSegments: the longest message, in GSM-7 segments, once stripped
	// (default 2).
	MaxSegments int
}

// DefaultPolicy keeps diacritics up to one UCS-2 segment and sends at most
// two GSM-7 segments.
var DefaultPolicy = Policy{UnicodeSegments: 1, MaxSegments: 2}

// Fitted is a message made to fit the policy.
type Fitted struct {
	Text      string
	Unicode   bool // sent as UCS-2 (diacritics kept)
	Segments  int
	Stripped  bool // diacritics removed
	Shortened bool // short forms used or optional sentences dropped
	Truncated bool // cut to fit
}

// gsmBasic is the GSM 03.38 default alphabet; gsmExt the characters of its
// extension table (two septets each).
const (
	gsmBasic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
	gsmExt   = "^{}\\[~]|€\f"
)

var gsmSet = func() map[rune]int {
	m := map[rune]int{}
	for _, r := range gsmBasic {
		m[r] = 1
	}
	for _, r := range gsmExt {
		m[r] = 2
	}
	return m
}()

// GSMSeptets returns the length of s in GSM-7 septets, and false when s
// holds a character GSM-7 cannot carry.
func GSMSeptets(s string) (int, bool) {
	n := 0
	for _, r := range s {
		w, ok := gsmSet[r]
		if !ok {
			return 0, false
		}
		n += w
	}
	return n, true
}

// Segments returns how many segments s takes and whether it needs UCS-2.
func Segments(s string) (n int, unicode bool) {
	if sept, ok := GSMSeptets(s); ok {
		return segs(sept, GSMSingle, GSMMulti), false
	}
	return segs(len(utf16.Encode([]rune(s))), UCS2Single, UCS2Multi), true
}

func segs(n, single, multi int) int {
	if n == 0 {
		return 1
	}
	if n <= single {
		return 1
	}
	return (n + multi - 1) / multi
}

// typographic maps characters GSM-7 lacks to plain ones.
var typographic = strings.NewReplacer(
	"–", "-", "—", "-", "‒", "-", "−", "-",
	"‘", "'", "’", "'", "“", "\"", "”", "\"",
	"…", "...", "₫", "d", "·", "-", "•", "-", "`", "'",
	"\u00a0", " ", "\u2009", " ", "\u202f", " ",
)

// Strip removes Vietnamese diacritics (and any other combining marks),
// maps đ/Đ to d/D and typographic characters to plain ones; what GSM-7
// still cannot carry becomes '?'.
func Strip(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	out, _, err := transform.String(t, s)
	if err != nil {
		out = s
	}
	out = strings.NewReplacer("đ", "d", "Đ", "D").Replace(out)
	out = typographic.Replace(out)
	var b strings.Builder
	for _, r := range out {
		if _, ok := gsmSet[r]; ok {
			b.WriteRune(r)
		} else {
			b.WriteByte('?')
		}
	}
	return b.String()
}

func (p Policy) norm() Policy {
	if p.UnicodeSegments <= 0 {
		p.UnicodeSegments = DefaultPolicy.UnicodeSegments
	}
	if p.MaxSegments <= 0 {
		p.MaxSegments = DefaultPolicy.MaxSegments
	}
	return p
}

// Fit applies the policy to a message.
func (p Policy) Fit(m Message) Fitted {
	p = p.norm()
	optional := 0
	for _, part := range m.Parts {
		if part.Optional {
			optional++
		}
	}
	// With diacritics: the full text, then with short forms.
	for i, short := range []bool{false, true} {
		t := join(m.Parts, short, 0)
		if n, uni := Segments(t); (uni && n <= p.UnicodeSegments) || (!uni && n <= p.MaxSegments) {
			return Fitted{Text: t, Unicode: uni, Segments: n, Shortened: i > 0}
		}
	}
	// Stripped: full, short forms, then optional sentences dropped.
	type cand struct {
		short bool
		drop  int
	}
	cands := []cand{{false, 0}, {true, 0}}
	for d := 1; d <= optional; d++ {
		cands = append(cands, cand{true, d})
	}
	var last string
	for i, c := range cands {
		t := Strip(join(m.Parts, c.short, c.drop))
		last = t
		if n, _ := Segments(t); n <= p.MaxSegments {
			return Fitted{Text: t, Segments: n, Stripped: true, Shortened: i > 0}
		}
	}
	// Cut the sentences, never the closing links.
	var body, links []Part
	for _, part := range m.Parts {
		if part.Link {
			links = append(links, part)
		} else {
			body = append(body, part)
		}
	}
	tail := Strip(join(links, true, 0))
	room := capacity(p.MaxSegments)
	if tail != "" {
		n, _ := GSMSeptets(tail)
		room -= n + 1
	}
	t := tail
	if room > 8 {
		t = strings.TrimSpace(truncate(Strip(join(body, true, optional)), room) + " " + tail)
	} else if tail == "" {
		t = truncate(last, capacity(p.MaxSegments))
	}
	n, _ := Segments(t)
	return Fitted{Text: t, Segments: n, Stripped: true, Shortened: true, Truncated: true}
}

// FitText applies the policy to a plain text.
func (p Policy) FitText(s string) Fitted {
	return p.Fit(Message{Parts: []Part{{Text: norm.NFC.String(s)}}})
}

func capacity(segments int) int {
	if segments <= 1 {
		return GSMSingle
	}
	return segments * GSMMulti
}

// truncate cuts a GSM-7 text to at most max septets at a word boundary,
// ending with "...".
func truncate(s string, max int) string {
	if n, _ := GSMSeptets(s); n <= max {
		return s
	}
	limit := max - 3
	n, cut, lastSpace := 0, 0, -1
	for i, r := range s {
		w := gsmSet[r]
		if w == 0 {
			w = 1
		}
		if n+w > limit {
			break
		}
		n += w
		cut = i + len(string(r))
		if r == ' ' {
			lastSpace = i
		}
	}
	if lastSpace > limit/2 {
		cut = lastSpace
	}
	return strings.TrimRight(s[:cut], " ,.;:") + "..."
}
