// Package dong writes amounts of Vietnamese đồng the way people read them:
// dots between thousands, the sign in front of the digits ("-150.000 ₫").
// It is the one formatter of money for pages, papers, timelines and SMS.
package dong

import "strconv"

// Format writes v with the đồng sign: 150000 → "150.000 ₫".
func Format(v int64) string { return digits(v) + " ₫" }

// Words writes v with the word "đồng", for text where the sign may not
// show (SMS): 150000 → "150.000 đồng".
func Words(v int64) string { return digits(v) + " đồng" }

// digits groups the digits of v by thousands with dots.
func digits(v int64) string {
	u := uint64(v)
	neg := v < 0
	if neg {
		u = -u // two's complement: also right for the smallest int64
	}
	s := strconv.FormatUint(u, 10)
	b := make([]byte, 0, len(s)+len(s)/3+1)
	if neg {
		b = append(b, '-')
	}
	for i := 0; i < len(s); i++ {
		if i > 0 && (len(s)-i)%3 == 0 {
			b = append(b, '.')
		}
		b = append(b, s[i])
	}
	return string(b)
}
