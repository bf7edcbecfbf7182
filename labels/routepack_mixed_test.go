package labels

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"time"

	"hoso/internal/testenv"
)

// TestRoutePackWholeDay: a route of pickups and results to deliver with a
// lunch break lists both kinds in order and the break where it falls; a
// result gets its label and no pre-filled receipt.
func TestRoutePackWholeDay(t *testing.T) {
	testenv.Tool(t, "pdftotext")
	testenv.Tool(t, "pdfinfo")
	s := Samples()
	rp := s.RoutePack
	rp.Stops = append([]Stop(nil), rp.Stops...)
	rp.Stops[1].Delivery = true
	rp.Stops[1].Receipt = Receipt{}
	ict := time.FixedZone("ICT", 7*3600)
	rp.Break = &Break{After: 2, Start: time.Date(2026, 11, 24, 11, 30, 0, 0, ict), End: time.Date(2026, 11, 24, 12, 15, 0, 0, ict)}
	path, _ := renderFile(t, "routepack-day.pdf", func(w *bytes.Buffer) error { return RenderRoutePack(w, rp, testOpts()) })
	if n, want := pageCount(t, path), 1+3*(len(rp.Stops)-1)+1; n != want {
		t.Fatalf("%d pages, want %d (a result has only its label)", n, want)
	}
	text := strings.Join(strings.Fields(pdfText(t, path, 1, 1)), " ")
	for _, w := range []string{"DANH SÁCH ĐIỂM DỪNG: THU GOM VÀ TRẢ KẾT QUẢ", "1 trả kết quả", "Việc", "Thu", "Trả",
		"Nghỉ trưa 11:30–12:15 sau điểm 2", "Mang theo từ bưu cục khi xuất phát"} {
		if !strings.Contains(text, w) {
			t.Errorf("stop list lacks %q:\n%s", w, text)
		}
	}
	// The break row sits between stops 2 and 3.
	i2, ib, i3 := strings.Index(text, groupS10(rp.Stops[1].Label.TrackingNumber)), strings.Index(text, "Nghỉ trưa"), strings.Index(text, groupS10(rp.Stops[2].Label.TrackingNumber))
	if !(i2 >= 0 && i2 < ib && ib < i3) {
		t.Errorf("break not between stops 2 and 3: %d %d %d", i2, ib, i3)
	}
	for name, mod := range map[string]func(*RoutePack){
		"break after the last stop":   func(r *RoutePack) { r.Break.After = len(r.Stops) + 1 },
		"break ends before it starts": func(r *RoutePack) { r.Break.End = r.Break.Start.Add(-time.Minute) },
		"negative position":           func(r *RoutePack) { r.Break.After = -1 },
	} {
		bad := rp
		b := *rp.Break
		bad.Break = &b
		mod(&bad)
		if err := RenderRoutePack(io.Discard, bad, testOpts()); err == nil || !strings.Contains(err.Error(), "break") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
