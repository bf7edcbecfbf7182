package app_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/units"
)

// FuzzParseDesks: any file either gives desks that all satisfy the rules
// (valid code, name, level and commune of the province, text that is
// UTF-8) or an Unprocessable error, never a panic.
func FuzzParseDesks(f *testing.F) {
	set, err := units.Load()
	if err != nil {
		f.Fatal(err)
	}
	f.Add("code,name,level,commune_code,address,hours,phone\nTN-MC-05455,Bộ phận một cửa phường Quyết Thắng,commune,05455,,7:30–17:00,0208 3855 123\n")
	f.Add("\ufeffname,code,commune_code,level\n\"Trung tâm, có dấu phẩy\",TN-TT,05443,province\n")
	f.Add("code,name,level,commune_code\nmoi,Tên,commune,05443\nX,,huyen,99999\n\"unterminated\n")
	f.Add("code,name,level,commune_code,phone\nTN-1,B\xff,commune,05443,abc\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		desks, err := app.ParseDesks(strings.NewReader(in), set, "19")
		if err != nil {
			if !errs.Is(err, errs.Unprocessable) {
				t.Fatalf("error of kind %s: %v", errs.KindOf(err), err)
			}
			return
		}
		if len(desks) == 0 {
			t.Fatal("no error and no desk")
		}
		seen := map[string]bool{}
		for _, k := range desks {
			c, ok := set.Commune(k.CommuneCode)
			if !ok || c.ProvinceCode != "19" || k.ProvinceCode != "19" || k.Name == "" || seen[k.Code] ||
				(k.Level != "province" && k.Level != "commune") || !utf8.ValidString(k.Name+k.Address+k.Hours) {
				t.Fatalf("accepted %+v", k)
			}
			seen[k.Code] = true
		}
	})
}

// TestParseDesksNamesEveryBadLine: each faulty line is named with its
// number and reason, and nothing is returned.
// TestParseDesksKeepsPostalCode: the optional postal_code column reaches the
// desk (EMSEVT records name desks by it).
func TestParseDesksKeepsPostalCode(t *testing.T) {
	set, err := units.Load()
	if err != nil {
		t.Fatal(err)
	}
	desks, err := app.ParseDesks(strings.NewReader("code,name,level,commune_code,postal_code\nTN-1,Một,commune,05443, 24000\nTN-2,Hai,commune,05443,\n"), set, "19")
	if err != nil || len(desks) != 2 || desks[0].PostalCode != "24000" || desks[1].PostalCode != "" {
		t.Fatalf("got %+v, %v", desks, err)
	}
}

func TestParseDesksNamesEveryBadLine(t *testing.T) {
	set, err := units.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, in string
		want     []string // substrings of the field messages
	}{
		{"missing column", "code,name,commune_code\n", []string{}},
		{"empty", "code,name,level,commune_code\n", []string{}},
		{"bad lines", "code,name,level,commune_code,phone\nTN-1,Một,commune,05443,\nTN-1,Hai,commune,05443,\n,Ba,commune,05443,\nTN-4,Bốn,tinh,05443,\nTN-5,Năm,commune,00004,\nTN-6,Sáu,commune,05443,gọi\n",
			[]string{"line 3:mã TN-1 đã có ở dòng 2", "line 4:phải gồm", "line 5:cấp phải là", "line 6:không thuộc tỉnh", "line 7:số điện thoại"}},
		{"reserved code", "code,name,level,commune_code\nnhap,Tên,commune,05443\n", []string{"line 2:phải gồm"}},
		{"bad postal code", "code,name,level,commune_code,postal_code\nTN-1,Một,commune,05443,2400\nTN-2,Hai,commune,05443,24000\n", []string{"line 2:mã bưu chính “2400” phải gồm đúng 5 chữ số"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			desks, err := app.ParseDesks(strings.NewReader(tc.in), set, "19")
			if !errs.Is(err, errs.Unprocessable) || desks != nil {
				t.Fatalf("got %v, %v", desks, err)
			}
			f := errs.FieldsOf(err)
			for _, w := range tc.want {
				line, msg, _ := strings.Cut(w, ":")
				if !strings.Contains(f[line], msg) {
					t.Errorf("%s: %q, want it to say %q", line, f[line], msg)
				}
			}
			if len(tc.want) > 0 && len(f) != len(tc.want) {
				t.Errorf("%d lines named, want %d: %v", len(f), len(tc.want), f)
			}
		})
	}
}
