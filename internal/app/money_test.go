package app_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/labels"
)

func TestParseAmount(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"150000", 150000, true},
		{"150.000", 150000, true},
		{"150 000", 150000, true},
		{"1.500.000", 1500000, true},
		{"  1.500.000 ₫ ", 1500000, true},
		{"150.000đ", 150000, true},
		{"150.000 VNĐ", 150000, true},
		{"150.000 vnd", 150000, true},
		{"0", 0, true},
		{"999", 999, true},
		{"1\u00a0500", 1500, true}, // no-break space from a copied figure
		{"", 0, false},
		{"₫", 0, false},
		{"150,000", 0, false}, // a decimal comma: no xu
		{"150.000,50", 0, false},
		{"15.0000", 0, false}, // dots not between groups of three
		{"1500.00", 0, false},
		{".150", 0, false},
		{"150.", 0, false},
		{"1..500", 0, false},
		{"1234.567", 0, false}, // a first group longer than three
		{"-5000", 0, false},
		{"5e3", 0, false},
		{"mười nghìn", 0, false},
		{"1.000.000.000.001", 0, false}, // above MaxAmount
		{"99999999999999999999999", 0, false},
	} {
		got, err := app.ParseAmount(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
		if err != nil && (errs.KindOf(err) != errs.Unprocessable || errs.MessageOf(err) == "") {
			t.Errorf("ParseAmount(%q) error %v has no message for the field", tc.in, err)
		}
	}
}

// FuzzParseAmount: never panics, never negative or above the cap, and an
// accepted amount written back the Vietnamese way reads the same.
func FuzzParseAmount(f *testing.F) {
	for _, s := range []string{"150.000", "1 500 000 ₫", "0", "12,5", "1..2", "₫", "9999999999999", "đồng", "VNĐ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := app.ParseAmount(s)
		if err != nil {
			return
		}
		if n < 0 || n > app.MaxAmount {
			t.Fatalf("ParseAmount(%q) = %d out of range", s, n)
		}
		for _, back := range []string{strconv.FormatInt(n, 10), labels.FormatVND(n), strings.TrimSuffix(labels.FormatVND(n), " ₫")} {
			if m, err := app.ParseAmount(back); err != nil || m != n {
				t.Fatalf("ParseAmount(%q) = %d but %q reads %d, %v", s, n, back, m, err)
			}
		}
	})
}

func TestCourierDayFigures(t *testing.T) {
	day := time.Date(2026, 11, 24, 0, 0, 0, 0, time.FixedZone("ICT", 7*3600))
	d := app.CourierDay{CourierRef: "BUUTA1", Day: day, Lines: []app.FeeLine{
		{Number: "EB000000015VN", Due: 50000, Collected: 50000},
		{Number: "EB000000024VN", Due: 100000, Collected: 100000},
		{Number: "EB000000038VN", Due: 20000, Collected: 0}, // not collected: due shows, total does not
	}}
	if d.Collected() != 150000 || d.Due() != 170000 || d.Paid() != 2 || d.Difference() != 0 {
		t.Fatalf("figures: collected %d due %d paid %d diff %d", d.Collected(), d.Due(), d.Paid(), d.Difference())
	}
	d.Handover = &app.Handover{Counted: 140000}
	if d.Difference() != -10000 {
		t.Errorf("short by 10.000: difference %d", d.Difference())
	}
	if d.Key() != "BUUTA1-2026-11-24" || app.StatementCode("BUUTA1", day) != "TH-BUUTA1-20261124" {
		t.Errorf("key %q code %q", d.Key(), app.StatementCode("BUUTA1", day))
	}
}
