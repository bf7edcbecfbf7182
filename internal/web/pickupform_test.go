package web

import (
	"testing"

	"hoso/internal/errs"
)

// Two errors on one input (the time slot's "windows" and "windows[0].end")
// give the same wording every time, and the summary names each field.
func TestSetErrorsDeterministic(t *testing.T) {
	err := errs.E(errs.Invalid, "x").WithFields(map[string]string{
		"windows": "chọn ít nhất một khung giờ", "windows[0].end": "khung giờ phải dài ít nhất 1 giờ",
		"windows[0].start": "khung giờ đã qua", "address.lat": "vĩ độ nằm ngoài lãnh thổ Việt Nam", "address.line": "dài quá 500 ký tự",
		"dossier.desk_code": "bắt buộc: chọn nơi tiếp nhận hồ sơ", "citizen.id_number": "số CCCD phải có đúng 12 chữ số",
		"documents[0].count": "số bản từ 1 đến 99"})
	var first pickupForm
	first.setErrors(err, []int{2})
	for i := 0; i < 50; i++ {
		var f pickupForm
		f.setErrors(err, []int{2})
		if f.Errors["slot"] != first.Errors["slot"] || f.Errors["line"] != first.Errors["line"] {
			t.Fatalf("run %d: slot %q line %q, first %q %q", i, f.Errors["slot"], f.Errors["line"], first.Errors["slot"], first.Errors["line"])
		}
	}
	if first.Errors["slot"] != "Chọn ít nhất một khung giờ" || first.Errors["line"] != "Vĩ độ nằm ngoài lãnh thổ Việt Nam" {
		t.Errorf("slot %q, line %q", first.Errors["slot"], first.Errors["line"])
	}
	want := map[string]string{
		"slot": "Chọn ít nhất một khung giờ", "line": "Địa chỉ: vĩ độ nằm ngoài lãnh thổ Việt Nam",
		"desk": "Bắt buộc: chọn nơi tiếp nhận hồ sơ", "id_number": "Số căn cước công dân: số CCCD phải có đúng 12 chữ số",
		"doc_count_2": "Số bản dòng 3: số bản từ 1 đến 99",
	}
	for _, s := range first.Summary {
		if w, ok := want[s.ID]; ok && s.Message != w {
			t.Errorf("summary %s = %q, want %q", s.ID, s.Message, w)
		}
	}
}
