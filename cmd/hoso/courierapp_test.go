package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"image/jpeg"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"hoso/internal/app"
	"hoso/internal/testenv"
	"hoso/labels"
	"hoso/tracking"
)

// courierDay files n portal requests and schedules them for buuta1 today,
// in order, with two-hour windows from 08:00. It returns the tracking
// numbers.
func (e *testEnv) courierDay(t *testing.T, prefix string, n int) []string {
	t.Helper()
	ctx := context.Background()
	vn := time.FixedZone("ICT", 7*3600)
	now := time.Now().In(vn)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, vn)
	portal := e.portal()
	var out []string
	for i := 0; i < n; i++ {
		b := validBody(fmt.Sprintf("000.00.19.%s-%d", prefix, i+1))
		addr := b["address"].(map[string]any)
		addr["lat"] = 21.585 + float64(i)*0.004
		addr["lng"] = 105.830 + float64(i%3)*0.005
		addr["line"] = fmt.Sprintf("Số %d, tổ %d", 12+i*7, 3+i)
		r := portal.do("POST", "/api/v1/portal/pickups", mustJSON(t, b), fmt.Sprintf("%s-%d", prefix, i))
		if r.status != 201 {
			t.Fatalf("create: %d %s", r.status, r.body)
		}
		var created map[string]string
		r.json(t, &created)
		ws := day.Add(time.Duration(8+i) * time.Hour)
		we := ws.Add(2 * time.Hour)
		data, _ := json.Marshal(tracking.Scheduled{Courier: "BUUTA1", Office: "BC-05443", Date: day.Format("2006-01-02"),
			WindowStart: ws.Format(time.RFC3339), WindowEnd: we.Format(time.RFC3339), Stop: i + 1})
		if _, _, err := e.sys.ledger.Record(ctx, created["id"], app.EventInput{Type: tracking.PickupScheduled,
			Actor: tracking.Party{Kind: tracking.PartyDispatcher, Ref: "DIEUPHOI"}, Data: data,
			Schedule: &app.Schedule{Courier: "BUUTA1", Office: "BC-05443", Date: day, WindowStart: ws, WindowEnd: we, Stop: i + 1}}); err != nil {
			t.Fatal(err)
		}
		out = append(out, created["tracking_number"])
	}
	return out
}

// labelVideo renders the parcel label of number, rasterises it with
// pdftoppm and writes a Y4M video of its top part (the Code 128 and the
// number) for Chromium's fake camera.
func labelVideo(t *testing.T, number, trackingURL string) string {
	t.Helper()
	testenv.Tool(t, "pdftoppm")
	dir := t.TempDir()
	var pdf bytes.Buffer
	err := labels.RenderLabel(&pdf, labels.Label{TrackingNumber: number, TrackingURL: trackingURL,
		From:        labels.Citizen{Initials: "N. V. A.", Phone: "0912345678", Commune: "Phường Phan Đình Phùng"},
		To:          labels.Desk{Name: "Trung tâm Phục vụ hành chính công tỉnh Thái Nguyên", Commune: "Phường Phan Đình Phùng"},
		DossierCode: "000.00.19.APP-1", Procedure: "Đăng ký kết hôn", DocumentCount: 4}, labels.Options{Created: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	pdfPath := filepath.Join(dir, "label.pdf")
	if err := os.WriteFile(pdfPath, pdf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("pdftoppm", "-png", "-r", "150", "-singlefile", pdfPath, filepath.Join(dir, "label")).CombinedOutput(); err != nil {
		t.Fatalf("pdftoppm: %v %s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "label.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	// A 640×480 frame: white, with the label's top (the barcode and the
	// number in clear) in the middle, as a phone held over the envelope.
	const w, h = 640, 480
	frame := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(frame, frame.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	b := img.Bounds()
	top := image.Rect(b.Min.X, b.Min.Y, b.Max.X, b.Min.Y+min(b.Dy(), 250))
	at := image.Pt((w-top.Dx())/2, (h-top.Dy())/2)
	draw.Draw(frame, image.Rectangle{Min: at, Max: at.Add(top.Size())}, img, top.Min, draw.Src)
	path := filepath.Join(dir, "label.y4m")
	if err := os.WriteFile(path, y4m(frame, 10), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// y4m encodes frames copies of img as a YUV4MPEG2 (4:2:0) video.
func y4m(img *image.RGBA, frames int) []byte {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	yp := make([]byte, w*h)
	cb := make([]byte, (w/2)*(h/2))
	cr := make([]byte, (w/2)*(h/2))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := img.RGBAAt(x, y)
			yy, u, v := color.RGBToYCbCr(c.R, c.G, c.B)
			yp[y*w+x] = yy
			if x%2 == 0 && y%2 == 0 {
				cb[(y/2)*(w/2)+x/2] = u
				cr[(y/2)*(w/2)+x/2] = v
			}
		}
	}
	var out bytes.Buffer
	fmt.Fprintf(&out, "YUV4MPEG2 W%d H%d F10:1 Ip A1:1 C420jpeg\n", w, h)
	for i := 0; i < frames; i++ {
		out.WriteString("FRAME\n")
		out.Write(yp)
		out.Write(cb)
		out.Write(cr)
	}
	return out.Bytes()
}

// TestCourierAppShell checks what the server sends for the app: the
// redirect into the worker's scope, the shell without inline script or
// style under the app's CSP, the manifest and the service worker whose
// precache list all resolves.
func TestCourierAppShell(t *testing.T) {
	e := startServer(t, nil)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(e.base + "/buu-ta")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 301 || resp.Header.Get("Location") != "/buu-ta/" {
		t.Errorf("/buu-ta = %d → %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := e.get("/buu-ta/")
	shell := string(body)
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != 200 || !strings.Contains(csp, "script-src 'self' 'wasm-unsafe-eval'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("shell %d, CSP %q", resp.StatusCode, csp)
	}
	if regexp.MustCompile(`<script(?:\s+type="module")?>`).MatchString(shell) || strings.Contains(shell, " style=") || strings.Contains(shell, "<style") {
		t.Error("shell has an inline script or style")
	}
	for _, want := range []string{`lang="vi"`, `rel="manifest" href="/buu-ta/manifest.webmanifest"`, "/static/courier/app.js?v=", "Đang mở ứng dụng…",
		`data-wasm="/static/vendor/zxing-wasm/zxing_reader.wasm?v=`} {
		if !strings.Contains(shell, want) {
			t.Errorf("shell lacks %q", want)
		}
	}
	resp, body = e.get("/buu-ta/manifest.webmanifest")
	var m struct {
		Name, ShortName, StartURL, Scope, Display string
		Icons                                     []struct{ Src, Sizes, Type, Purpose string }
	}
	if err := json.Unmarshal(body, &m); err != nil || resp.StatusCode != 200 {
		t.Fatalf("manifest %d: %v", resp.StatusCode, err)
	}
	var raw map[string]any
	_ = json.Unmarshal(body, &raw)
	if raw["start_url"] != "/buu-ta/" || raw["scope"] != "/buu-ta/" || raw["display"] != "standalone" || !strings.Contains(raw["name"].(string), "Bưu tá") {
		t.Errorf("manifest %s", body)
	}
	sizes := map[string]bool{}
	for _, ic := range m.Icons {
		r, b := e.get(ic.Src)
		if r.StatusCode != 200 || !bytes.HasPrefix(b, []byte("\x89PNG")) {
			t.Errorf("icon %s: %d", ic.Src, r.StatusCode)
		}
		sizes[ic.Sizes+" "+ic.Purpose] = true
	}
	if !sizes["192x192 any"] || !sizes["512x512 any"] || !sizes["512x512 maskable"] {
		t.Errorf("icons %v", sizes)
	}
	resp, body = e.get("/buu-ta/sw.js")
	sw := string(body)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") || resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("sw.js %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
	}
	cache := regexp.MustCompile(`const CACHE = "(hoso-buu-ta-[0-9a-f]{10}-[0-9a-f]{8})";`).FindStringSubmatch(sw)
	list := regexp.MustCompile(`(?s)const PRECACHE = (\[.*?\]);`).FindStringSubmatch(sw)
	if cache == nil || list == nil || !strings.Contains(sw, `addEventListener("fetch"`) || !strings.Contains(sw, `addEventListener("sync"`) {
		t.Fatalf("sw.js:\n%.600s", sw)
	}
	var urls []string
	if err := json.Unmarshal([]byte(list[1]), &urls); err != nil {
		t.Fatal(err)
	}
	need := []string{"/buu-ta/", "/static/courier/app.js?v=", "/static/courier/sync.js?v=", "/static/vendor/zxing-wasm/zxing_reader.wasm?v=",
		"/static/vendor/htm/standalone.module.js?v=", "/static/vendor/idb/umd.js?v=", "/static/vendor/signature_pad/", "/static/vendor/barcode-detector/",
		"/static/fonts/fonts.css?v=", "/static/vendor/be-vietnam-pro/be-vietnam-pro-vietnamese-400-normal.woff2?v="}
	for _, n := range need {
		found := false
		for _, u := range urls {
			found = found || strings.HasPrefix(u, n)
		}
		if !found {
			t.Errorf("precache lacks %s", n)
		}
	}
	for _, u := range urls {
		if strings.Contains(u, "/static/courier/sw.js") {
			t.Errorf("precache lists the worker's own body %s", u)
		}
		if r, _ := e.get(u); r.StatusCode != 200 {
			t.Errorf("precache URL %s: %d", u, r.StatusCode)
		}
	}
}

// TestCourierAppOffline is the courier's day in headless Chromium on a
// 360 px phone: sign in, load the route, have two citizens texted their
// door codes, go offline, collect four pickups (documents one by one, a
// partial one, the label scanned with the camera or typed, the seal, two
// citizens' signatures, a door code read out, a wrong code read out),
// record a not-at-home attempt, reload while offline, go back online: the
// signatures and the code are accepted, the wrong code is refused and the
// app says why; then replay the accepted events, hand the parcels to the
// post office and see the office confirm, and send an event altered after
// it was signed.
func TestCourierAppOffline(t *testing.T) {
	e := startServer(t, nil)
	numbers := e.courierDay(t, "APP", 7)
	video := labelVideo(t, numbers[0], e.base+"/tra-cuu/"+numbers[0])
	res := e.browser("courier", map[string]any{
		"username": "buuta1", "password": "mat-khau-buuta1",
		"office":  map[string]string{"username": "buucuc", "password": "mat-khau-buucuc", "code": "BC-05443"},
		"staff":   map[string]string{"username": "quantri", "password": "mat-khau-quantri"},
		"numbers": numbers, "video": video,
	})
	var out struct {
		Offline     []struct{ ID, Type, Number string } `json:"offline"`
		Replay      []string                            `json:"replay"`
		Scanned     string                              `json:"scanned"`
		Seals       map[string]string                   `json:"seals"`
		Tampered    string                              `json:"tampered"`
		Reason      string                              `json:"reason"`
		Released    []string                            `json:"released"`
		Tel         string                              `json:"tel"`
		OTP         string                              `json:"otp"`
		DoorCode    string                              `json:"doorCode"`
		WrongCode   string                              `json:"wrongCode"`
		WrongReason string                              `json:"wrongReason"`
		ReplacedKey bool                                `json:"replacedKey"`
	}
	if err := json.Unmarshal(res, &out); err != nil {
		t.Fatalf("result %s: %v", res, err)
	}
	if out.Scanned != numbers[0] {
		t.Errorf("camera read %q, want %s", out.Scanned, numbers[0])
	}
	// Five events recorded offline: four collections, one failed attempt;
	// all but the wrong code's exactly once in the ledger, with the device
	// record and signature.
	if len(out.Offline) != 5 {
		t.Fatalf("offline events %+v", out.Offline)
	}
	types := map[string]int{}
	for _, ev := range out.Offline {
		types[ev.Type]++
		want := 1
		if ev.Number == numbers[6] {
			want = 0
		}
		if n := e.count(`SELECT count(*) FROM events WHERE id = ? AND form = 2 AND length(device_signature) = 64`, ev.ID); n != want {
			t.Errorf("event %s (%s of %s) stored %d times with its signature, want %d", ev.ID, ev.Type, ev.Number, n, want)
		}
		if n := e.count(`SELECT count(*) FROM device_events WHERE id = ? AND status = 'accepted' AND length(signature) = 64`, ev.ID); n != want {
			t.Errorf("event %s: %d signed device records", ev.ID, n)
		}
	}
	if types["pickup.collected"] != 4 || types["pickup.attempt_failed"] != 1 {
		t.Errorf("types %v", types)
	}
	// The replay of the accepted events changes nothing.
	if len(out.Replay) != 4 {
		t.Errorf("replay %v", out.Replay)
	}
	for _, s := range out.Replay {
		if s != "duplicate" {
			t.Errorf("replay statuses %v, want all duplicate", out.Replay)
			break
		}
	}
	// The signatures were uploaded before the events that name them, and
	// the proofs carry the server's verdict.
	if n := e.count(`SELECT count(*) FROM evidence v JOIN events e ON e.data->'proof'->>'sha256' = encode(v.sha256, 'hex') AND v.parcel_id = e.parcel_id
		WHERE e.type = 'pickup.collected' AND v.kind = 'signature' AND e.data->'proof'->>'checked_by' = 'server'`); n != 2 {
		t.Errorf("%d collections with their signature image, want 2", n)
	}
	// The code typed offline was checked at sync; the wrong one refused,
	// kept, the reason shown to the courier; neither code stored.
	if n := e.count(`SELECT count(*) FROM events e JOIN parcels p ON p.id = e.parcel_id WHERE p.tracking_number = ? AND e.type = 'pickup.collected'
		AND e.data->'proof'->>'method' = 'door_code' AND e.data->'proof'->>'checked_by' = 'server'`, numbers[2]); n != 1 || out.DoorCode == "" {
		t.Error("the pickup confirmed offline by the door code is not in the ledger as checked by the server")
	}
	if e.count(`SELECT count(*) FROM device_events WHERE tracking_number = ? AND status = 'rejected' AND error_message LIKE '%mã xác nhận không đúng%'`, numbers[6]) != 1 ||
		!strings.Contains(out.WrongReason, "mã xác nhận không đúng") {
		t.Errorf("the wrong code: shown as %q; kept %d", out.WrongReason, e.count(`SELECT count(*) FROM device_events WHERE tracking_number = ? AND status = 'rejected'`, numbers[6]))
	}
	if k, _ := e.custodian(numbers[6]); k != "citizen" {
		t.Errorf("custody moved on a wrong code: %s", k)
	}
	if n := e.count(`SELECT count(*) FROM device_events WHERE raw::text LIKE ? OR raw::text LIKE ?`, "%"+out.DoorCode+"%", "%\"secret\":\""+out.WrongCode+"%"); n != 0 {
		t.Errorf("%d kept submissions hold a door code", n)
	}
	// The citizen's timeline shows them, with the proof the server checked
	// (the details, once the citizen proved the parcel with the phone's
	// last four digits).
	for i, want := range []string{"Công dân xác nhận bằng chữ ký.", "Thu gom một phần", "Công dân xác nhận bằng mã SMS.", "Công dân không có nhà"} {
		_, page := e.citizenPage(t, numbers[i], "5678")
		if !strings.Contains(page, want) {
			t.Errorf("timeline of %s lacks %q", numbers[i], want)
		}
		if i < 3 && !strings.Contains(page, "Niêm phong số "+out.Seals[numbers[i]]) {
			t.Errorf("timeline of %s lacks the seal %s", numbers[i], out.Seals[numbers[i]])
		}
	}
	// Released to the office and confirmed there.
	if len(out.Released) != 3 {
		t.Errorf("released %v", out.Released)
	}
	for _, n := range out.Released {
		if kind, ref := e.custodian(n); kind != "post_office" || ref != "BC-05443" {
			t.Errorf("%s held by %s %s after the office confirmed", n, kind, ref)
		}
	}
	// On the active stop the phone was revealed (audited) for the call, and
	// the citizen's one-time code was checked when the event synced.
	if out.Tel != "tel:0912345678" || e.count(`SELECT count(*) FROM audit_log WHERE action = 'reveal_phone' AND subject = ?`, numbers[5]) != 1 {
		t.Errorf("call link %q, reveals of %s: %d", out.Tel, numbers[5], e.count(`SELECT count(*) FROM audit_log WHERE action = 'reveal_phone' AND subject = ?`, numbers[5]))
	}
	if out.OTP != numbers[5] || e.count(`SELECT count(*) FROM events e JOIN parcels p ON p.id = e.parcel_id WHERE p.tracking_number = ? AND e.type = 'pickup.collected'
		AND e.data->'proof'->>'method' = 'door_code' AND e.data->'proof'->>'checked_by' = 'server'`, numbers[5]) != 1 {
		t.Error("the pickup confirmed by one-time code is not in the ledger as verified")
	}
	// The event altered after signing was refused and kept.
	if out.Tampered == "" || e.count(`SELECT count(*) FROM device_events WHERE id = ? AND status = 'rejected'`, out.Tampered) != 1 {
		t.Errorf("tampered event %q not kept as rejected", out.Tampered)
	}
	if e.count(`SELECT count(*) FROM events WHERE id = ?`, out.Tampered) != 0 {
		t.Error("tampered event reached the ledger")
	}
	if !strings.Contains(out.Reason, "chữ ký") {
		t.Errorf("the app showed %q as the reason", out.Reason)
	}
	// The key was replaced with the password typed again: the old one is
	// revoked, not deleted; both registrations and the wrong password are
	// audited.
	if !out.ReplacedKey || e.count(`SELECT count(*) FROM device_keys k JOIN users u ON u.id = k.user_id WHERE u.username = 'buuta1' AND k.revoked_at IS NOT NULL`) != 1 ||
		e.count(`SELECT count(*) FROM audit_log WHERE action = 'device_key_registered'`) != 2 || e.count(`SELECT count(*) FROM audit_log WHERE action = 'device_key_refused'`) != 1 {
		t.Error("the key replacement is not recorded as a revocation and two audited registrations")
	}
	if o, err := runVerify(t, e); err != nil || !strings.Contains(o, "OK") {
		t.Errorf("verify after the day: %v\n%s", err, o)
	}
}

// courierResults registers n results without a known pickup (the citizen
// and address given by the portal) and has the desk seal them (KQ-1…) and
// hand them to buuta1.
func (e *testEnv) courierResults(t *testing.T, n int) []string {
	t.Helper()
	portal := e.portal()
	var out []string
	for i := 0; i < n; i++ {
		body := fmt.Sprintf(`{"documents":[{"name":"Giấy chứng nhận kết hôn","kind":"original","count":2}],"fee":30000,"desk_code":"TN-TTPVHCC",
			"citizen":{"full_name":"Nguyễn Thị Bình","phone":"0987000%03d","id_number":"019090001234"},
			"address":{"province_code":"19","commune_code":"05443","line":"Số %d, ngõ 5","lat":21.59,"lng":105.84}}`, i, 30+i)
		r := portal.do("POST", fmt.Sprintf("/api/v1/portal/dossiers/000.00.19.KQ-%d/result", i+1), []byte(body), fmt.Sprintf("kq-%d", i))
		if r.status != 201 {
			t.Fatalf("result: %d %s", r.status, r.body)
		}
		var ret map[string]string
		r.json(t, &ret)
		out = append(out, ret["tracking_number"])
	}
	desk := e.login("motcua")
	form := url.Values{"numbers": out, "courier": {"BUUTA1"}}
	for i, n := range out {
		form.Set("seal_"+n, fmt.Sprintf("KQ-%d", i+1))
	}
	if code, page := desk.postForm("/mot-cua/chuyen", form); code != 200 || !strings.Contains(page, "Đã lập bảng kê") {
		t.Fatalf("desk release: %d", code)
	}
	return out
}

// TestCourierAppDelivery: results handed by the desk are confirmed in the
// app, taken out for delivery, one delivered (last 3 digits of the CCCD, a
// photo, the fee) and one not (cause and action codes).
func TestCourierAppDelivery(t *testing.T) {
	e := startServer(t, nil)
	numbers := e.courierResults(t, 2)
	photo := filepath.Join(t.TempDir(), "nguoi-nhan.jpg")
	img := image.NewRGBA(image.Rect(0, 0, 320, 240))
	draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{40, 90, 160, 255}), image.Point{}, draw.Src)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, nil); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(photo, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	res := e.browser("courier-delivery", map[string]any{"username": "buuta1", "password": "mat-khau-buuta1", "numbers": numbers, "photo": photo,
		"qr": cccdQR("019090001234"), "seals": []string{"KQ-1", "KQ-2"}})
	var out struct {
		Delivered, Failed string
	}
	if err := json.Unmarshal(res, &out); err != nil {
		t.Fatalf("result %s: %v", res, err)
	}
	if out.Delivered != numbers[0] || out.Failed != numbers[1] {
		t.Fatalf("result %+v", out)
	}
	if n := e.count(`SELECT count(*) FROM parcels WHERE tracking_number = ? AND status = 'delivered'`, numbers[0]); n != 1 {
		t.Error("first result not delivered")
	}
	if n := e.count(`SELECT count(*) FROM events e JOIN parcels p ON p.id = e.parcel_id JOIN evidence v ON encode(v.sha256, 'hex') = e.data->>'photo_sha256'
		WHERE p.tracking_number = ? AND e.type = 'delivery.completed' AND e.data->'proof'->>'method' = 'cccd_qr' AND e.data->'proof'->>'checked_by' = 'server'
		AND e.data->>'seal_id' = 'KQ-1' AND (e.data->>'fee_collected')::int = 30000 AND v.kind = 'photo'`, numbers[0]); n != 1 {
		t.Error("delivery.completed without the server-checked CCCD QR, the seal, the photo or the fee")
	}
	if n := e.count(`SELECT count(*) FROM events WHERE data::text LIKE '%019090001234%' OR convert_from(device_signed, 'UTF8') LIKE '%019090001234%'`); n != 0 {
		t.Error("the CCCD number is in the ledger")
	}
	if n := e.count(`SELECT count(*) FROM events e JOIN parcels p ON p.id = e.parcel_id WHERE p.tracking_number = ? AND e.type = 'delivery.attempt_failed'
		AND e.data->>'cause' = 'not_home' AND e.data->>'action' = 'retry_next_day'`, numbers[1]); n != 1 {
		t.Error("failed attempt not recorded with its codes")
	}
	if n := e.count(`SELECT count(*) FROM parcels WHERE tracking_number = ? AND status = 'delivery_failed' AND attempts = 1`, numbers[1]); n != 1 {
		t.Error("second result not in delivery_failed after one attempt")
	}
	_, page := e.citizenPage(t, numbers[0], "0000") // the first result's citizen: 0987000000
	if !strings.Contains(page, "Đã giao kết quả") || !strings.Contains(page, "Người nhận xác nhận bằng mã QR trên CCCD.") {
		t.Error("timeline lacks the delivery or its proof")
	}
}
