package web

import (
	"strings"
	"testing"

	"hoso/internal/app"
	"hoso/internal/errs"
)

// The staff forms' one mapper: every message beside its input, the
// summary in the form's order naming the field, the same wording however
// many error names land on one input and in whatever order the map holds
// them, "line 9" before "line 10", and the error's own message when no
// field is named.
func TestMapFieldErrors(t *testing.T) {
	err := errs.E(errs.Invalid, "Thông tin chưa hợp lệ").WithFields(map[string]string{
		"windows[0].end": "khung giờ kết thúc trước khi bắt đầu",
		"windows":        "chọn một khung giờ bưu tá đến nhà",
		"citizen.phone":  "số điện thoại gồm 10 chữ số, bắt đầu bằng 0",
		"line 10":        "dòng 10 sai",
		"line 9":         "dòng 9 sai",
		"other":          "điều gì đó",
	})
	spec := fieldSpec{
		IDs:   map[string]string{"windows": "slot", "windows[0].end": "slot", "citizen.phone": "phone", "line 9": "l9", "line 10": "l10"},
		Order: []string{"phone", "slot"},
		Label: func(id string) string {
			return map[string]string{"phone": "Số điện thoại", "slot": "Khung giờ", "l9": "Hàng"}[id]
		},
	}
	for i := 0; i < 20; i++ { // map order varies between runs
		fields, sum := mapFieldErrors(err, spec)
		if fields["slot"] != "Chọn một khung giờ bưu tá đến nhà" || fields["phone"] != "Số điện thoại gồm 10 chữ số, bắt đầu bằng 0" {
			t.Fatalf("fields %v", fields)
		}
		var got []string
		for _, f := range sum {
			got = append(got, f.ID+"="+f.Message)
		}
		want := []string{"phone=Số điện thoại gồm 10 chữ số, bắt đầu bằng 0", "slot=Chọn một khung giờ bưu tá đến nhà", // names the field already
			"l9=Hàng: dòng 9 sai", "l10=Dòng 10 sai", "=Điều gì đó"}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("summary\n%v\nwant\n%v", got, want)
		}
	}
	_, sum := mapFieldErrors(errs.E(errs.Conflict, "Hồ sơ đã được quyết định"), fieldSpec{})
	if len(sum) != 1 || sum[0].Message != "Hồ sơ đã được quyết định" || sum[0].ID != "" {
		t.Errorf("no fields: %+v", sum)
	}
	if _, sum := mapFieldErrors(nil, fieldSpec{}); len(sum) != 1 || sum[0].Message == "" {
		t.Errorf("nil error: %+v", sum)
	}
}

// A dispatcher's stop: the digits of an address line are masked and a
// long line cut.
func TestMaskAddressLine(t *testing.T) {
	for in, want := range map[string]string{
		"Số 12 ngõ 5 đường Lương Ngọc Quyến": "Số xx ngõ x đường Lương Ngọc Quyến",
		"  Xóm Cây Thị ":                     "Xóm Cây Thị",
		"":                                   "",
		strings.Repeat("a", 70):              strings.Repeat("a", 60) + "…",
	} {
		if got := app.MaskAddressLine(in); got != want {
			t.Errorf("MaskAddressLine(%q) = %q, want %q", in, got, want)
		}
	}
}
