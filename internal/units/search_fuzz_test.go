package units_test

import (
	"testing"

	"hoso/internal/units"
)

// FuzzSearch: the commune search box of the public pages and the
// /api/v1/communes endpoint. Any query returns at most the limit, each
// result a real commune, of the asked province when one is given.
func FuzzSearch(f *testing.F) {
	set, err := units.Load()
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []struct{ q, prov string }{{"phan dinh phung", "19"}, {"Phường Phan Đình Phùng", ""}, {"hoa", "19"}, {"Hoà", ""},
		{"  ", ""}, {"x\x00y", "99"}, {"đ", "01"}, {"ba dinh", "1"}} {
		f.Add(s.q, s.prov, 20)
	}
	f.Fuzz(func(t *testing.T, q, prov string, limit int) {
		if limit > 1000 {
			limit = 1000
		}
		res := set.Search(q, prov, limit)
		if len(res) > max(limit, 0) {
			t.Fatalf("%d results over the limit %d", len(res), limit)
		}
		for _, c := range res {
			if _, ok := set.Commune(c.Code); !ok {
				t.Fatalf("result %q is not a commune", c.Code)
			}
			if prov != "" && c.ProvinceCode != prov {
				t.Fatalf("result %s of province %s for %q", c.Code, c.ProvinceCode, prov)
			}
		}
	})
}
