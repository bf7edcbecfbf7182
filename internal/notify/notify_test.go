package notify_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"hoso/internal/notify"
)

var vn = time.FixedZone("ICT", 7*3600)

func fullParams(kind string) notify.Params {
	at := time.Date(2026, 11, 24, 8, 41, 0, 0, vn)
	return notify.Params{Kind: kind, Dossier: "000.00.19.H12-251120-0001", Number: "EA123456785VN",
		Desk: "Trung tâm Phục vụ hành chính công tỉnh Thái Nguyên", Office: "Bưu cục Phan Đình Phùng", At: at,
		WindowStart: at.Add(time.Hour), WindowEnd: at.Add(3 * time.Hour), ETA: at.Add(90 * time.Minute),
		Reason: "not_home", Cause: "not_home", Action: "retry_next_day", Missing: "Giấy xác nhận tình trạng hôn nhân",
		Count: 4, Attempts: 2, Fee: 150000, AppointmentDate: "2026-12-05",
		ReceiptURL: "https://hoso.example.vn/bien-nhan/7K2QX-M9PTA", TrackURL: "hoso.example.vn/t/EA123456785VN"}
}

// Every kind renders a Vietnamese message in NFC, with diacritics, with no
// placeholder left, and fits the default policy.
func TestEveryKindRendersVietnameseNFC(t *testing.T) {
	for _, k := range notify.Kinds {
		m, ok := notify.Render(fullParams(k))
		if !ok {
			t.Fatalf("%s: no template", k)
		}
		text := m.Text()
		if !norm.NFC.IsNormalString(text) {
			t.Errorf("%s: not NFC", k)
		}
		if !strings.ContainsAny(text, "ăâđêôơưáàảãạếềểễệốồổỗộớờởỡợứừửữựíìỉĩịúùủũụóòỏõọéèẻẽẹýỳỷỹỵ") {
			t.Errorf("%s: no Vietnamese diacritics in %q", k, text)
		}
		if strings.ContainsAny(text, "{}%") || strings.Contains(text, "  ") {
			t.Errorf("%s: leftover or double space in %q", k, text)
		}
		if !strings.Contains(text, "000.00.19.H12-251120-0001") {
			t.Errorf("%s: the dossier is not named: %q", k, text)
		}
		f := notify.DefaultPolicy.Fit(m)
		if f.Segments > 2 || f.Truncated {
			t.Errorf("%s: %d segments, truncated %v: %q", k, f.Segments, f.Truncated, f.Text)
		}
		if len(m.Data) == 0 || m.Data["dossier_code"] == "" {
			t.Errorf("%s: no Zalo data", k)
		}
	}
	if _, ok := notify.Render(notify.Params{Kind: "unknown"}); ok {
		t.Error("unknown kind rendered")
	}
}

// The facts a citizen needs are in the message.
func TestTemplatesSayWhatMatters(t *testing.T) {
	cases := []struct {
		kind string
		want []string
	}{
		{notify.PickupScheduled, []string{"24/11", "09:41", "11:41"}},
		{notify.PickupOnTheWay, []string{"Hôm nay", "10:11"}},
		{notify.PickupFailed, []string{"không có nhà", "gọi điện để hẹn lại"}},
		{notify.Collected, []string{"4 giấy tờ", "08:41 24/11", "https://hoso.example.vn/bien-nhan/7K2QX-M9PTA"}},
		{notify.AtDesk, []string{"Trung tâm Phục vụ hành chính công"}},
		{notify.Accepted, []string{"05/12/2026"}},
		{notify.Returned, []string{"người nhận vắng nhà", "Giấy xác nhận"}},
		{notify.ResultReady, []string{"150.000 đồng"}},
		{notify.ResultOut, []string{"CCCD", "150.000 đồng"}},
		{notify.DeliveryFailed, []string{"lần 2", "vắng nhà", "ngày mai"}},
		{notify.Held, []string{"Bưu cục Phan Đình Phùng", "CCCD"}},
		{notify.Delivered, []string{"08:41 24/11"}},
		{notify.ReturnedToDesk, []string{"2 lần"}},
		{notify.Cancelled, []string{"hủy"}},
		{notify.PickupChanged, []string{"vắng nhà", "chọn giờ khác"}},
	}
	for _, c := range cases {
		p := fullParams(c.kind)
		if c.kind == notify.Returned {
			p.Reason = "missing_documents"
		}
		m, _ := notify.Render(p)
		text := m.Text()
		for _, w := range c.want {
			if c.kind == notify.Returned && w == "người nhận vắng nhà" {
				w = "thiếu thành phần hồ sơ"
			}
			if !strings.Contains(text, w) {
				t.Errorf("%s: %q lacks %q", c.kind, text, w)
			}
		}
	}
	// Without a receipt code the collected message points to tracking.
	p := fullParams(notify.Collected)
	p.ReceiptURL = ""
	m, _ := notify.Render(p)
	if strings.Contains(m.Text(), "bien-nhan") || !strings.Contains(m.Text(), "/t/EA123456785VN") {
		t.Errorf("no receipt: %q", m.Text())
	}
	// Every status message carries the short tracking link, the opt-out
	// line last; under the default policy both survive whole.
	for _, k := range notify.Kinds {
		p := fullParams(k)
		p.OptOutURL = "hoso.example.vn/huy-tin-nhan/abcdefgh"
		m, _ := notify.Render(p)
		f := notify.DefaultPolicy.Fit(m)
		ti, oi := strings.Index(f.Text, "hoso.example.vn/t/EA123456785VN"), strings.Index(f.Text, "hoso.example.vn/huy-tin-nhan/abcdefgh")
		if ti < 0 || oi < ti || !strings.HasSuffix(f.Text, "hoso.example.vn/huy-tin-nhan/abcdefgh") {
			t.Errorf("%s: link %d, opt-out %d, not last: %q", k, ti, oi, f.Text)
		}
	}
}

func TestSegments(t *testing.T) {
	cases := []struct {
		s       string
		n       int
		unicode bool
	}{
		{"", 1, false},
		{strings.Repeat("a", 160), 1, false},
		{strings.Repeat("a", 161), 2, false},
		{strings.Repeat("a", 306), 2, false},
		{strings.Repeat("a", 307), 3, false},
		{strings.Repeat("{", 80), 1, false}, // extension characters take two septets
		{strings.Repeat("{", 81), 2, false},
		{strings.Repeat("ư", 70), 1, true},
		{strings.Repeat("ư", 71), 2, true},
		{strings.Repeat("ư", 134), 2, true},
		{strings.Repeat("ư", 135), 3, true},
		{"Gia 100€", 1, false},
		{"é è à ù ì ò Ç", 1, false}, // in the GSM-7 alphabet
		{"ế", 1, true},
	}
	for _, c := range cases {
		n, u := notify.Segments(c.s)
		if n != c.n || u != c.unicode {
			t.Errorf("Segments(%.20q…) = %d, %v; want %d, %v", c.s, n, u, c.n, c.unicode)
		}
	}
}

func TestStrip(t *testing.T) {
	cases := map[string]string{
		"Đường Nguyễn Huệ – 150.000 ₫":   "Duong Nguyen Hue - 150.000 d",
		"Bưu tá đã nhận hồ sơ “đủ” …":    "Buu ta da nhan ho so \"du\" ...",
		"ƯỚC TÍNH ĐẾN 10:30":             "UOC TINH DEN 10:30",
		"Hoà Hòa hoà":                    "Hoa Hoa hoa",
		"漢字":                             "??",
		"`tab`":                          "'tab'",
		"Thanh toán 100€ {ok} [1] ~x|y^": "Thanh toan 100€ {ok} [1] ~x|y^",
	}
	for in, want := range cases {
		if got := notify.Strip(in); got != want {
			t.Errorf("Strip(%q) = %q, want %q", in, got, want)
		}
		if _, ok := notify.GSMSeptets(notify.Strip(in)); !ok {
			t.Errorf("Strip(%q) is not GSM-7", in)
		}
	}
}

// The length policy: diacritics stay when the text fits the allowed UCS-2
// segments, else they go; long names are shortened and optional sentences
// dropped before anything is cut.
func TestPolicyFit(t *testing.T) {
	short := notify.Message{Parts: []notify.Part{{Text: "Đã giao kết quả hồ sơ 123 lúc 10:15."}}}
	f := notify.DefaultPolicy.Fit(short)
	if !f.Unicode || f.Stripped || f.Segments != 1 || f.Text != "Đã giao kết quả hồ sơ 123 lúc 10:15." {
		t.Errorf("short: %+v", f)
	}
	m, _ := notify.Render(fullParams(notify.PickupScheduled))
	f = notify.DefaultPolicy.Fit(m)
	if f.Unicode || !f.Stripped || f.Segments > 2 || strings.ContainsAny(f.Text, "ưđơ") {
		t.Errorf("long, default policy: %+v", f)
	}
	if !strings.Contains(f.Text, "Buu dien se den nhan ho so 000.00.19.H12-251120-0001") || !strings.Contains(f.Text, "/t/EA123456785VN") {
		t.Errorf("long, default policy lost content: %q", f.Text)
	}
	// Allowing three UCS-2 segments keeps the accents.
	f = notify.Policy{UnicodeSegments: 3, MaxSegments: 3}.Fit(m)
	if !f.Unicode || f.Stripped || f.Segments > 3 || !strings.Contains(f.Text, "Bưu điện") {
		t.Errorf("three UCS-2 segments allowed: %+v", f)
	}
	// Two GSM segments: the desk's long name gives way first, then the
	// optional sentence; the core and the tracking link stay whole.
	rp := fullParams(notify.Returned)
	rp.Desk = strings.Repeat("Trung tâm Phục vụ hành chính công tỉnh ", 3)
	rm, _ := notify.Render(rp)
	f = notify.Policy{UnicodeSegments: 1, MaxSegments: 2}.Fit(rm)
	if f.Segments > 2 || !f.Shortened || f.Truncated || strings.Contains(f.Text, "Trung tam") || !strings.Contains(f.Text, "Con thieu") {
		t.Errorf("two segments, short name is enough: %+v", f)
	}
	if !strings.Contains(f.Text, "noi tiep nhan") || !strings.HasPrefix(f.Text, "Ho so 000.00.19.H12-251120-0001 chua duoc tiep nhan") ||
		!strings.HasSuffix(f.Text, "Tra cuu: hoso.example.vn/t/EA123456785VN") {
		t.Errorf("two segments, short form or link missing: %q", f.Text)
	}
	rp.Missing = strings.Repeat("Tờ khai đăng ký kết hôn; Giấy xác nhận tình trạng hôn nhân; Căn cước công dân; ", 2)
	rm, _ = notify.Render(rp)
	f = notify.Policy{UnicodeSegments: 1, MaxSegments: 2}.Fit(rm)
	if f.Segments > 2 || f.Truncated || strings.Contains(f.Text, "Con thieu") || !strings.Contains(f.Text, "de duoc huong dan.") {
		t.Errorf("two segments, the optional sentence must go: %+v", f)
	}
	// One segment: the sentences are cut, never the links; the opt-out
	// line stays last.
	rp.OptOutURL = "hoso.example.vn/huy-tin-nhan/abcdefgh"
	rm, _ = notify.Render(rp)
	f = notify.Policy{UnicodeSegments: 1, MaxSegments: 1}.Fit(rm)
	if f.Segments != 1 || !f.Truncated || !strings.HasSuffix(f.Text, "Tu choi nhan tin: hoso.example.vn/huy-tin-nhan/abcdefgh") ||
		!strings.Contains(f.Text, "... Tra cuu: hoso.example.vn/t/EA123456785VN Tu choi") {
		t.Errorf("one segment, links kept whole and in order: %+v", f)
	}
	// A core too long for one segment is cut at a word, with "...".
	long := notify.Message{Parts: []notify.Part{{Text: strings.Repeat("Hồ sơ rất dài ", 40)}}}
	f = notify.Policy{MaxSegments: 1}.Fit(long)
	if !f.Truncated || f.Segments != 1 || !strings.HasSuffix(f.Text, "...") || len(f.Text) > 160 {
		t.Errorf("cut: %+v", f)
	}
}

func FuzzFit(f *testing.F) {
	for _, s := range []string{"", "Đã giao", strings.Repeat("ư", 300), "€€€{{{", "a\u0301\u0301", "\xff\xfe", "漢字😀"} {
		f.Add(s, 1, 2)
	}
	f.Add("0", 1, -34)
	f.Fuzz(func(t *testing.T, s string, uni, max int) {
		// 1–4 segments each (Go's % keeps the sign: negative inputs would
		// make a policy Fit replaces by the default).
		pol := notify.Policy{UnicodeSegments: (uni%4+4)%4 + 1, MaxSegments: (max%4+4)%4 + 1}
		m := notify.Message{Parts: []notify.Part{{Text: s}, {Text: s, Optional: true}}}
		r := pol.Fit(m)
		n, unicode := notify.Segments(r.Text)
		if n != r.Segments || unicode != r.Unicode {
			t.Fatalf("reported %d/%v, actual %d/%v", r.Segments, r.Unicode, n, unicode)
		}
		if r.Unicode && n > pol.UnicodeSegments || !r.Unicode && n > pol.MaxSegments {
			t.Fatalf("%d segments over the policy %+v", n, pol)
		}
		if !utf8.ValidString(r.Text) && utf8.ValidString(s) {
			t.Fatalf("invalid UTF-8 out of valid input")
		}
	})
}

func TestQuietHours(t *testing.T) {
	q := notify.DefaultQuietHours
	at := func(d, h, m int) time.Time { return time.Date(2026, 11, d, h, m, 0, 0, vn) }
	cases := []struct {
		t     time.Time
		quiet bool
		open  time.Time
	}{
		{at(24, 20, 59), false, at(24, 20, 59)},
		{at(24, 21, 0), true, at(25, 7, 0)},
		{at(24, 23, 30), true, at(25, 7, 0)},
		{at(25, 0, 0), true, at(25, 7, 0)},
		{at(25, 6, 59), true, at(25, 7, 0)},
		{at(25, 7, 0), false, at(25, 7, 0)},
		{at(25, 12, 0), false, at(25, 12, 0)},
		{at(24, 14, 0).UTC(), false, at(24, 14, 0)}, // zone of the input does not matter
		{at(24, 22, 0).UTC(), true, at(25, 7, 0)},   // 22:00 in Vietnam
	}
	for _, c := range cases {
		if q.Contains(c.t) != c.quiet || !q.Open(c.t).Equal(c.open) {
			t.Errorf("%s: quiet %v open %s", c.t, q.Contains(c.t), q.Open(c.t).In(vn))
		}
	}
	if got := q.NextDay(at(24, 10, 0)); !got.Equal(at(25, 7, 0)) {
		t.Errorf("NextDay = %s", got)
	}
	noon, err := notify.ParseQuietHours("12:00-13:30")
	if err != nil || !noon.Contains(at(24, 12, 10)) || noon.Contains(at(24, 13, 30)) || !noon.Open(at(24, 12, 10)).Equal(at(24, 13, 30)) {
		t.Errorf("non-wrapping period: %v %+v", err, noon)
	}
	off, _ := notify.ParseQuietHours("off")
	if off.Contains(at(25, 2, 0)) {
		t.Error("off still quiet")
	}
	for _, bad := range []string{"21-7", "21:00", "25:00-07:00", "07:00-07:00"} {
		if _, err := notify.ParseQuietHours(bad); err == nil {
			t.Errorf("ParseQuietHours(%q) accepted", bad)
		}
	}
}

func TestParseReply(t *testing.T) {
	for text, want := range map[string][2]bool{
		"TC": {true, false}, " tc ": {true, false}, "Từ chối": {true, false}, "HUY": {true, false}, "Hủy tin": {true, false},
		"STOP": {true, false}, "DK": {false, true}, "Đăng ký": {false, true}, "cam on": {false, false}, "": {false, false},
		"TC TC": {false, false},
	} {
		out, in := notify.ParseReply(text)
		if out != want[0] || in != want[1] {
			t.Errorf("ParseReply(%q) = %v, %v", text, out, in)
		}
	}
}

// memStore is an in-memory notify.Store.
type memStore struct {
	mu     sync.Mutex
	optOut map[string]bool
	counts map[string]int
	links  map[string]bool // token hash → announced
}

func newMemStore() *memStore {
	return &memStore{optOut: map[string]bool{}, counts: map[string]int{}, links: map[string]bool{}}
}

func (m *memStore) OptedOut(_ context.Context, h []byte) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.optOut[string(h)], nil
}

func (m *memStore) SetOptOut(_ context.Context, h []byte, out bool, _ string, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.optOut[string(h)] = out
	return nil
}

func (m *memStore) ReserveQuota(_ context.Context, h []byte, day string, limit int) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	k := string(h) + day
	if m.counts[k] >= limit {
		return false, nil
	}
	m.counts[k]++
	return true, nil
}

func (m *memStore) ReleaseQuota(_ context.Context, h []byte, day string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.counts[string(h)+day]--
	return nil
}

func (m *memStore) EnsureOptOutLink(_ context.Context, th []byte, _ string, _ []byte, _ time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, ok := m.links[string(th)]
	if !ok {
		m.links[string(th)] = false
	}
	return a, nil
}

func (m *memStore) MarkOptOutLinkAnnounced(_ context.Context, th []byte, _ time.Time) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.links[string(th)] = true
	return nil
}

// memSMS records messages; fail makes it refuse.
type memSMS struct {
	mu   sync.Mutex
	sent []notify.SMSMessage
	fail bool
}

func (s *memSMS) Name() string { return "mem" }

func (s *memSMS) SendSMS(_ context.Context, m notify.SMSMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail {
		return &notify.ProviderError{Provider: "mem", Reason: "http_5xx", Code: "500"}
	}
	s.sent = append(s.sent, m)
	return nil
}

type frozen struct{ t time.Time }

func (f *frozen) Now() time.Time { return f.t }

const phone = "0912345678"

func newNotifier(st *memStore, sms *memSMS, clk *frozen) *notify.Notifier {
	return &notify.Notifier{Store: st, SMS: sms, Quiet: notify.DefaultQuietHours, PerDay: 3, BaseURL: "https://hoso.example.vn",
		Hash:      func(p string) []byte { return []byte("h:" + p) },
		LinkToken: func(id string) string { return "tok" + id },
		TokenHash: func(tok string) []byte { return []byte("th:" + tok) },
		Now:       clk.Now, Rand: func() float64 { return 0 }}
}

func req(kind string, id int) notify.Request {
	p := fullParams(kind)
	return notify.Request{ID: fmt.Sprint(id), ParcelID: "parcel-1", Phone: phone, PhoneHash: []byte("h:" + phone), Params: p}
}

// Quiet hours hold ordinary messages until 07:00 and let time-critical ones
// through; the daily cap holds the fourth ordinary message to the next
// morning while time-critical ones still go (and count).
func TestQuietHoursAndDailyCapWithFrozenClock(t *testing.T) {
	st, sms := newMemStore(), &memSMS{}
	clk := &frozen{time.Date(2026, 11, 24, 22, 15, 0, 0, vn)}
	n := newNotifier(st, sms, clk)
	ctx := context.Background()
	out, err := n.Deliver(ctx, req(notify.Accepted, 1))
	if err != nil || !out.Deferred.Equal(time.Date(2026, 11, 25, 7, 0, 0, 0, vn)) || out.Sent || len(sms.sent) != 0 {
		t.Fatalf("quiet hours, ordinary: %+v %v (sent %d)", out, err, len(sms.sent))
	}
	out, err = n.Deliver(ctx, req(notify.ResultOut, 2))
	if err != nil || !out.Sent || len(sms.sent) != 1 {
		t.Fatalf("quiet hours, time-critical: %+v %v", out, err)
	}
	// The next morning: the cap is 3 a day.
	clk.t = time.Date(2026, 11, 25, 7, 0, 0, 0, vn)
	for i := 0; i < 3; i++ {
		if out, err := n.Deliver(ctx, req(notify.Delivered, 10+i)); err != nil || !out.Sent {
			t.Fatalf("message %d of the day: %+v %v", i+1, out, err)
		}
	}
	out, err = n.Deliver(ctx, req(notify.Delivered, 20))
	if err != nil || out.Sent || !out.Deferred.Equal(time.Date(2026, 11, 26, 7, 0, 0, 0, vn)) {
		t.Fatalf("fourth message: %+v %v", out, err)
	}
	out, err = n.Deliver(ctx, req(notify.PickupOnTheWay, 21))
	if err != nil || !out.Sent {
		t.Fatalf("time-critical over the cap: %+v %v", out, err)
	}
	// A failed send gives its slot back.
	clk.t = time.Date(2026, 11, 26, 9, 0, 0, 0, vn)
	sms.fail = true
	for i := 0; i < 5; i++ {
		if _, err := n.Deliver(ctx, req(notify.Delivered, 30+i)); err == nil {
			t.Fatal("a refused SMS reported no error")
		}
	}
	sms.fail = false
	if out, err := n.Deliver(ctx, req(notify.Delivered, 40)); err != nil || !out.Sent {
		t.Fatalf("after failures the day's slots are still free: %+v %v", out, err)
	}
	for _, m := range sms.sent {
		if m.Phone != phone {
			t.Errorf("sent to %q", m.Phone)
		}
	}
}

// Opted out, expired and superseded messages are skipped; the opt-out
// link goes out once, in the first message delivered; a reply keyword opts
// out.
func TestSkipsOptOutAndLink(t *testing.T) {
	st, sms := newMemStore(), &memSMS{}
	clk := &frozen{time.Date(2026, 11, 24, 10, 0, 0, 0, vn)}
	n := newNotifier(st, sms, clk)
	n.PerDay = 0
	n.Policy = notify.Policy{UnicodeSegments: 1, MaxSegments: 3}
	ctx := context.Background()
	r := req(notify.PickupOnTheWay, 1)
	past := clk.t.Add(-time.Minute)
	r.ExpiresAt = &past
	if out, _ := n.Deliver(ctx, r); out.Skipped != notify.SkipExpired {
		t.Errorf("expired: %+v", out)
	}
	r = req(notify.PickupScheduled, 2)
	r.Later = true
	if out, _ := n.Deliver(ctx, r); out.Skipped != notify.SkipSuperseded {
		t.Errorf("superseded: %+v", out)
	}
	r = req(notify.Collected, 3)
	r.Later = true // not transient: a later message does not make it stale
	if out, err := n.Deliver(ctx, r); err != nil || !out.Sent {
		t.Fatalf("collected with a later message queued: %+v %v", out, err)
	}
	if !strings.Contains(sms.sent[0].Text, "https://hoso.example.vn/huy-tin-nhan/tokparcel-1") {
		t.Errorf("first message lacks the opt-out link: %q", sms.sent[0].Text)
	}
	if out, _ := n.Deliver(ctx, req(notify.AtDesk, 4)); !out.Sent || strings.Contains(sms.sent[1].Text, "huy-tin-nhan") {
		t.Errorf("second message repeats the link: %q", sms.sent[1].Text)
	}
	did, err := n.HandleReply(ctx, "+84 912 345 678", "Từ chối")
	if err != nil || did != "opt_out" {
		t.Fatalf("reply: %q %v", did, err)
	}
	if out, _ := n.Deliver(ctx, req(notify.Delivered, 5)); out.Skipped != notify.SkipOptedOut || len(sms.sent) != 2 {
		t.Errorf("opted out: %+v", out)
	}
	if did, _ := n.HandleReply(ctx, phone, "DK"); did != "opt_in" {
		t.Errorf("opt back in: %q", did)
	}
	if out, _ := n.Deliver(ctx, req(notify.Delivered, 6)); !out.Sent {
		t.Errorf("opted back in: %+v", out)
	}
	if _, err := n.HandleReply(ctx, "12345", "TC"); err == nil {
		t.Error("reply from a malformed number accepted")
	}
	// Nothing the notifier reports carries the phone.
	for _, m := range []string{fmt.Sprint(n.Deliver(ctx, req(notify.Delivered, 7)))} {
		if strings.Contains(m, "912345678") {
			t.Errorf("phone in %q", m)
		}
	}
	sms.fail = true
	_, err = n.Deliver(ctx, req(notify.Delivered, 8))
	if err == nil || strings.Contains(err.Error(), "912345678") {
		t.Errorf("error %v", err)
	}
	if !errors.Is(err, err) || notify.IsPermanent(err) {
		t.Errorf("a gateway 500 is not permanent: %v", err)
	}
	bad := req(notify.Delivered, 9)
	bad.Phone = "12"
	if _, err := n.Deliver(ctx, bad); !notify.IsPermanent(err) {
		t.Errorf("a malformed phone is permanent: %v", err)
	}
}
