package app_test

import (
	"strings"
	"testing"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/units"
)

// FuzzParseOffices: any file either gives offices that all satisfy the
// rules or an Unprocessable error, never a panic.
func FuzzParseOffices(f *testing.F) {
	set, err := units.Load()
	if err != nil {
		f.Fatal(err)
	}
	f.Add("code,name,commune_code,lat,lng\nBC-05455,Bưu cục Quyết Thắng,05455,21.60,105.82\n")
	f.Add("\ufeffname,code,lat,lng,commune_code\n\"Bưu cục, có dấu phẩy\",BC-1,21.5,105.8,05443\n")
	f.Add("code,name,commune_code,lat,lng\nBC 1,,99999,NaN,1e999\n\"unterminated\n")
	f.Add("")
	f.Fuzz(func(t *testing.T, in string) {
		offices, err := app.ParseOffices(strings.NewReader(in), set, "19")
		if err != nil {
			if !errs.Is(err, errs.Unprocessable) {
				t.Fatalf("error of kind %s: %v", errs.KindOf(err), err)
			}
			return
		}
		if len(offices) == 0 {
			t.Fatal("no error and no office")
		}
		for _, o := range offices {
			c, ok := set.Commune(o.CommuneCode)
			if !ok || c.ProvinceCode != "19" || o.ProvinceCode != "19" || o.Name == "" || !(o.Lat >= 8 && o.Lat <= 24) {
				t.Fatalf("accepted %+v", o)
			}
		}
	})
}
