package main

import (
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// Legal citations come from one table the admin edits: the default names
// the decree in force and no article; a replaced decree, empty, too long or
// garbled text is refused beside the field with nothing changed; other roles
// cannot edit; each change is audited; the incident page follows.
func TestLegalCitations(t *testing.T) {
	e := startServer(t, nil)
	admin := e.login("quantri")
	code, body := admin.get("/nhan-vien/can-cu-phap-ly")
	if code != 200 || !strings.Contains(body, `value="Nghị định 118/2025/NĐ-CP"`) {
		t.Fatalf("page: %d", code)
	}
	for _, bad := range []struct{ text, want string }{
		{"Điều 21 Nghị định 61/2018/NĐ-CP", "hết hiệu lực"},
		{"Nghị định 107/2021/NĐ-CP", "hết hiệu lực"},
		{"  ", "Nhập văn bản"},
		{strings.Repeat("Nghị định ", 40), "300 ký tự"},
		{"Nghị định \x00 118", "không hợp lệ"},
		{"Nghị định \xff 118", "không hợp lệ"},
	} {
		code, body := admin.postForm("/nhan-vien/can-cu-phap-ly", url.Values{"key": {"lost_original"}, "citation": {bad.text}})
		if code != 422 || !strings.Contains(body, bad.want) || !strings.Contains(body, `aria-invalid="true"`) {
			t.Errorf("%.30q: %d, want 422 with %q beside the field", bad.text, code, bad.want)
		}
	}
	if code, _ := admin.postForm("/nhan-vien/can-cu-phap-ly", url.Values{"key": {"no_such"}, "citation": {"Nghị định 118/2025/NĐ-CP"}}); code != 404 {
		t.Errorf("unknown key: %d", code)
	}
	if n := e.count(`SELECT count(*) FROM legal_citations WHERE citation <> 'Nghị định 118/2025/NĐ-CP'`); n != 0 {
		t.Fatal("a refused change was written")
	}
	for _, who := range []string{"dieuphoi", "motcua", "buucuc"} {
		if code, _ := e.login(who).postForm("/nhan-vien/can-cu-phap-ly", url.Values{"key": {"lost_original"}, "citation": {"Nghị định 118/2025/NĐ-CP, Điều 9"}}); code != 403 {
			t.Errorf("%s edits: %d, want 403", who, code)
		}
	}
	// Twenty parallel saves of the same text: all fine, one value.
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			admin.postForm("/nhan-vien/can-cu-phap-ly", url.Values{"key": {"lost_original"}, "citation": {"Nghị định 118/2025/NĐ-CP (đã kiểm tra)"}})
		}()
	}
	wg.Wait()
	if n := e.count(`SELECT count(*) FROM legal_citations WHERE key = 'lost_original' AND citation = 'Nghị định 118/2025/NĐ-CP (đã kiểm tra)'`); n != 1 {
		t.Error("the parallel saves did not land")
	}
	if n := e.count(`SELECT count(*) FROM audit_log WHERE action = 'legal_citation_set' AND subject = 'lost_original'`); n != 20 {
		t.Errorf("%d audit rows, want 20", n)
	}
	// The schema refuses a replaced decree even past the service.
	if err := e.db.ExecForTest(t.Context(), `UPDATE legal_citations SET citation = 'Nghị định 61/2018/NĐ-CP'`); err == nil {
		t.Error("the table took a replaced decree")
	}
}

// The desk's decision is checked beside its fields: an acceptance needs a
// return date, today or later; a return needs its reason and, for missing
// papers, which ones. Nothing is recorded for a refused decision, and the
// form comes back as the clerk filled it.
func TestDeskDecisionValidatedBesideFields(t *testing.T) {
	e := startServer(t, nil)
	n := e.counterParcels(t, "desk:TN-TTPVHCC", "DECIDE-1")[0]
	desk := e.login("motcua")
	if _, page := desk.postForm("/mot-cua/nhan", url.Values{"so": {n}, "dem": {"1"}, "seal": {"intact"}, "seal_id": {"NP-DECIDE-1"}, "count_1": {"1"}, "count_2": {"1"}, "count_3": {"2"}}); !strings.Contains(page, `data-scan="ok"`) {
		t.Fatal("desk receives")
	}
	before := e.count(`SELECT count(*) FROM events`)
	cases := []struct {
		form url.Values
		want string
	}{
		{url.Values{"decision": {"accept"}}, "Chọn ngày hẹn trả kết quả"},
		{url.Values{"decision": {"accept"}, "appointment": {"2020-01-01"}}, "Ngày hẹn đã qua"},
		{url.Values{"decision": {"accept"}, "appointment": {"20-12-2026"}}, "không đọc được"},
		{url.Values{"decision": {"accept"}, "appointment": {"2099-01-01"}}, "quá một năm"},
		{url.Values{"decision": {"return"}}, "Chọn lý do trả lại hồ sơ"},
		{url.Values{"decision": {"return"}, "reason": {"missing_documents"}}, "Đánh dấu các giấy tờ còn thiếu"},
		{url.Values{"decision": {"return"}, "reason": {"no_such_reason"}}, "Chọn lý do trả lại hồ sơ"},
	}
	for _, tc := range cases {
		code, body := desk.postForm("/mot-cua/quyet-dinh/"+n, tc.form)
		// Post/Redirect/Get: the desk page after the redirect.
		if code != 200 || !strings.Contains(body, tc.want) || !strings.Contains(body, `class="field__error"`) {
			t.Errorf("%v: %d, want the form again with %q beside the field", tc.form, code, tc.want)
		}
	}
	if after := e.count(`SELECT count(*) FROM events`); after != before {
		t.Errorf("refused decisions wrote %d events", after-before)
	}
	// The form comes back as filled.
	_, body := desk.postForm("/mot-cua/quyet-dinh/"+n, url.Values{"decision": {"return"}, "reason": {"missing_documents"}})
	if !strings.Contains(body, `value="return" checked`) || !strings.Contains(body, `value="missing_documents" selected`) {
		t.Error("the refused return did not come back as chosen")
	}
	today := time.Now().In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02")
	if code, _ := desk.postForm("/mot-cua/quyet-dinh/"+n, url.Values{"decision": {"accept"}, "appointment": {today}}); code != 200 {
		t.Errorf("accept with today's date: %d", code)
	}
}
