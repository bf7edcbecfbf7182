package main

import (
	"net/url"
	"strings"
	"sync"
	"testing"
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
