package vntext_test

import (
	"strings"
	"testing"

	"hoso/internal/vntext"
)

// FuzzValidIDNumber: a CCCD number typed by a citizen, a clerk or a courier
// is accepted only as exactly twelve ASCII digits (no full-width or
// Arabic-Indic digits, no spaces).
func FuzzValidIDNumber(f *testing.F) {
	for _, s := range []string{"019090001234", "01909000123", "0190900012345", "01909000123a", "０１９０９０００１２３４", " 019090001234", "", "٠١٩٠٩٠٠٠١٢٣٤"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !vntext.ValidIDNumber(s) {
			return
		}
		if len(s) != 12 || strings.Trim(s, "0123456789") != "" {
			t.Fatalf("accepted %q", s)
		}
	})
}
