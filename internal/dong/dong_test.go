package dong_test

import (
	"math"
	"strings"
	"testing"

	"hoso/internal/dong"
)

func TestFormat(t *testing.T) {
	for _, tt := range []struct {
		v    int64
		want string
	}{
		{0, "0 ₫"},
		{5, "5 ₫"},
		{999, "999 ₫"},
		{1000, "1.000 ₫"},
		{150000, "150.000 ₫"},
		{1234567, "1.234.567 ₫"},
		{-150, "-150 ₫"},
		{-150000, "-150.000 ₫"},
		{math.MaxInt64, "9.223.372.036.854.775.807 ₫"},
		{math.MinInt64, "-9.223.372.036.854.775.808 ₫"},
	} {
		if got := dong.Format(tt.v); got != tt.want {
			t.Errorf("Format(%d) = %q, want %q", tt.v, got, tt.want)
		}
		if got, want := dong.Words(tt.v), strings.TrimSuffix(tt.want, " ₫")+" đồng"; got != want {
			t.Errorf("Words(%d) = %q, want %q", tt.v, got, want)
		}
	}
}

func FuzzFormat(f *testing.F) {
	for _, v := range []int64{0, -1, 1000, -150, math.MinInt64} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, v int64) {
		s := strings.TrimSuffix(dong.Format(v), " ₫")
		neg := strings.HasPrefix(s, "-")
		s = strings.TrimPrefix(s, "-")
		if neg != (v < 0) {
			t.Fatalf("%d: sign lost in %q", v, s)
		}
		groups := strings.Split(s, ".")
		for i, g := range groups {
			if g == "" || len(g) > 3 || (i > 0 && len(g) != 3) {
				t.Fatalf("%d: bad grouping %q", v, s)
			}
		}
	})
}
