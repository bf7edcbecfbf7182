package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/testenv"
	"hoso/tracking"
)

// receiptCodeOf reads the receipt code given to a parcel at intake.
func (e *testEnv) receiptCodeOf(number string) string {
	e.t.Helper()
	p, err := e.db.FindParcelByNumber(context.Background(), number)
	if err != nil {
		e.t.Fatal(err)
	}
	if !tracking.ValidReceiptCode(p.ReceiptCode) {
		e.t.Fatalf("%s has receipt code %q", number, p.ReceiptCode)
	}
	return p.ReceiptCode
}

// createPickup creates a pickup through the portal API and returns its number.
func (e *testEnv) createPickup(code string) string {
	e.t.Helper()
	r := e.portal().do("POST", "/api/v1/portal/pickups", mustJSON(e.t, validBody(code)), "key-"+code)
	var created map[string]string
	r.json(e.t, &created)
	if created["tracking_number"] == "" {
		e.t.Fatalf("create %s: %d %s", code, r.status, r.body)
	}
	return created["tracking_number"]
}

// collectDocs is every document of validBody, counted at the door.
var collectDocs = []map[string]any{{"line": 1, "count": 1, "condition": "good"}, {"line": 2, "count": 1, "condition": "good"}, {"line": 3, "count": 2, "condition": "good"}}

// collectEvent is a collection of every document with the citizen's
// signature, uploaded by c first; the stop is put on c's route.
func collectEvent(c *courierClient, number, seal string) map[string]any {
	c.e.assign(c.username, number)
	return ev("pickup.collected", number, map[string]any{"documents": collectDocs, "seal_id": seal, "proof": c.sigProof(number)})
}

// runCmd runs a subcommand of the binary with the test keys.
func runCmd(t *testing.T, extra map[string]string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, envFunc(extra), &out, &errb)
	return out.String() + errb.String(), err
}

// tamper runs SQL with triggers off, as someone with database access would.
func (e *testEnv) tamper(sql string, args ...any) {
	e.t.Helper()
	if err := e.db.ExecForTest(context.Background(), "SET session_replication_role = replica; "+sql+"; SET session_replication_role = DEFAULT", args...); err != nil {
		e.t.Fatal(err)
	}
}

func TestReceiptSignedAtCollection(t *testing.T) {
	e := startServer(t, nil)
	n := e.createPickup("000.00.19.BN-1")
	code := e.receiptCodeOf(n)

	// Before collection the code is known but the receipt is not valid yet.
	resp, body := e.get("/bien-nhan/" + code)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Biên nhận chưa có hiệu lực") || strings.Contains(string(body), "Biên nhận hợp lệ") {
		t.Fatalf("before collection: %d %.300s", resp.StatusCode, body)
	}
	if resp, _ := e.get("/bien-nhan/" + code + ".json"); resp.StatusCode != 409 {
		t.Errorf("JSON before collection = %d, want 409", resp.StatusCode)
	}
	if got := e.count(`SELECT count(*) FROM receipts`); got != 0 {
		t.Fatalf("receipts before collection = %d", got)
	}

	courier := e.courier("buuta1")
	_, res := courier.send(collectEvent(courier, n, "NP-004211"))
	wantStatuses(t, "collect", res, "accepted")
	if got := e.count(`SELECT count(*) FROM receipts r JOIN parcels p ON p.id = r.parcel_id WHERE p.tracking_number = ? AND r.kind = 'pickup' AND r.code = ?`, n, code); got != 1 {
		t.Fatalf("signed receipts = %d, want 1", got)
	}
	// Receipts are written once.
	if err := e.db.ExecForTest(context.Background(), `UPDATE receipts SET key_id = 'x'`); err == nil {
		t.Error("a receipt could be updated")
	}

	// The page, typed any way a person might.
	var page string
	for _, typed := range []string{code, strings.ToLower(code), strings.ReplaceAll(code, "-", ""), strings.ToLower(strings.ReplaceAll(code, "-", ""))} {
		resp, body := e.get("/bien-nhan/" + typed)
		if resp.StatusCode != 200 {
			t.Fatalf("/bien-nhan/%s = %d", typed, resp.StatusCode)
		}
		if resp.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control = %q", resp.Header.Get("Cache-Control"))
		}
		page = string(body)
		if !strings.Contains(page, "Biên nhận hợp lệ") {
			t.Fatalf("/bien-nhan/%s does not say genuine:\n%.2000s", typed, page)
		}
	}
	for _, want := range []string{code, n, "000.00.19.BN-1", "Đăng ký kết hôn", "Tờ khai đăng ký kết hôn", "Giấy xác nhận tình trạng hôn nhân",
		"Căn cước công dân", "Bản sao chứng thực", "4 giấy tờ: 2 bản chính, 2 bản sao chứng thực", "NP-004211",
		"Bưu tá – Bưu cục Phan Đình Phùng", "BUUTA1", "N. V. A.", "09xx xxx 678", "Trung tâm Phục vụ hành chính công tỉnh Thái Nguyên"} {
		if !strings.Contains(page, want) {
			t.Errorf("receipt page lacks %q", want)
		}
	}
	for _, secret := range []string{"Nguyễn Văn A", "0912345678", "019090001234", "Số 12, tổ 3", "Bưu tá Một"} {
		if strings.Contains(page, secret) {
			t.Errorf("receipt page shows %q", secret)
		}
	}
	// The search form sends a typed code to its page.
	resp, _ = e.get("/bien-nhan?ma=" + strings.ToLower(strings.ReplaceAll(code, "-", "")))
	if resp.Request.URL.Path != "/bien-nhan/"+code {
		t.Errorf("search landed on %s", resp.Request.URL.Path)
	}
	if resp, _ := e.get("/bien-nhan?ma=abc"); resp.StatusCode != 400 {
		t.Errorf("malformed search = %d", resp.StatusCode)
	}

	// The JSON for checking offline, both spellings.
	resp, doc := e.get("/bien-nhan/" + code + ".json")
	_, doc2 := e.get("/bien-nhan/" + strings.ToLower(code) + "?dinh-dang=json")
	if resp.StatusCode != 200 || !bytes.Equal(doc, doc2) || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("JSON %d %q, same=%v", resp.StatusCode, resp.Header.Get("Content-Type"), bytes.Equal(doc, doc2))
	}
	for _, secret := range []string{"Nguyễn Văn A", "0912345678", "Số 12"} {
		if bytes.Contains(doc, []byte(secret)) {
			t.Errorf("receipt JSON holds %q", secret)
		}
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "bien-nhan.json")
	if err := os.WriteFile(file, doc, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, nil, "verify-receipt", file)
	if err != nil || !strings.Contains(out, "GENUINE: Giấy biên nhận hồ sơ "+code) || !strings.Contains(out, "Căn cước công dân (Bản sao chứng thực): 2 of 2") {
		t.Fatalf("verify-receipt genuine: %v\n%s", err, out)
	}
	// With the public key printed by receipt-key, given as a flag after the
	// file, and from HOSO_RECEIPT_PUBLIC_KEY only.
	keyOut, err := runCmd(t, nil, "receipt-key")
	if err != nil || !strings.HasPrefix(keyOut, "ed25519:") {
		t.Fatalf("receipt-key: %v %s", err, keyOut)
	}
	pub := strings.Fields(keyOut)[0]
	if out, err := runCmd(t, map[string]string{"HOSO_RECEIPT_KEY": ""}, "verify-receipt", file, "--key", pub); err != nil {
		t.Errorf("verify-receipt --key: %v\n%s", err, out)
	}
	if out, err := runCmd(t, map[string]string{"HOSO_RECEIPT_KEY": "", "HOSO_RECEIPT_PUBLIC_KEY": pub}, "verify-receipt", file); err != nil {
		t.Errorf("verify-receipt with HOSO_RECEIPT_PUBLIC_KEY: %v\n%s", err, out)
	}
	// The demo key does not vouch for this server's receipts.
	if _, err := runCmd(t, map[string]string{"HOSO_RECEIPT_KEY": ""}, "verify-receipt", "--demo", file); !errors.Is(err, errNotGenuine) {
		t.Errorf("demo key accepted a real receipt: %v", err)
	}
	if _, err := runCmd(t, map[string]string{"HOSO_RECEIPT_KEY": ""}, "verify-receipt", file); err == nil || errors.Is(err, errNotGenuine) {
		t.Errorf("no key at all: %v", err)
	}

	// One document count changed in the downloaded file: not genuine.
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	m["receipt"].(map[string]any)["documents"].([]any)[2].(map[string]any)["count"] = 1
	changed, _ := json.Marshal(m)
	bad := filepath.Join(dir, "sua.json")
	if err := os.WriteFile(bad, changed, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, nil, "verify-receipt", bad)
	if !errors.Is(err, errNotGenuine) || !strings.Contains(out, "NOT GENUINE") {
		t.Errorf("verify-receipt of an edited file: %v\n%s", err, out)
	}

	// Edited in the database: the page and the JSON check both say so, and
	// undoing the edit makes it genuine again.
	edits := []struct{ name, do, undo string }{
		{"count", `UPDATE receipts SET content = jsonb_set(content, '{documents,2,count}', '1') WHERE code = ?`,
			`UPDATE receipts SET content = jsonb_set(content, '{documents,2,count}', '2') WHERE code = ?`},
		{"document name", `UPDATE receipts SET content = jsonb_set(content, '{documents,0,name}', '"Giấy tờ khác"') WHERE code = ?`, ""},
		{"document list", `UPDATE receipts SET content = jsonb_set(content, '{documents}', (content->'documents') - 1) WHERE code = ?`, ""},
	}
	for _, ed := range edits {
		e.tamper(ed.do, code)
		_, body := e.get("/bien-nhan/" + code)
		if !strings.Contains(string(body), "Biên nhận KHÔNG hợp lệ") || strings.Contains(string(body), "Biên nhận hợp lệ") {
			t.Errorf("%s edited: page does not say not genuine:\n%.1500s", ed.name, body)
		}
		_, doc := e.get("/bien-nhan/" + code + ".json")
		f := filepath.Join(dir, "db-"+strings.ReplaceAll(ed.name, " ", "-")+".json")
		if err := os.WriteFile(f, doc, 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := runCmd(t, nil, "verify-receipt", f); !errors.Is(err, errNotGenuine) {
			t.Errorf("%s edited: verify-receipt %v\n%s", ed.name, err, out)
		}
		if ed.undo != "" {
			e.tamper(ed.undo, code)
			if _, body := e.get("/bien-nhan/" + code); !strings.Contains(string(body), "Biên nhận hợp lệ") {
				t.Errorf("%s restored: not genuine again", ed.name)
			}
		}
	}
}

func TestReceiptUnknownAndMalformedSame404(t *testing.T) {
	e := startServer(t, nil)
	n := e.createPickup("000.00.19.BN-404")
	e.receiptCodeOf(n)
	var pages, jsons []string
	for _, c := range []string{"ZZZZZ-ZZZZZ", "zzzzzzzzzz", "not-a-code", "7Q3MX", "7Q3MX-K2D9P-X", "%E1%BA%A0%E1%BA%A0", n, "khoa-cong-khai-x"} {
		resp, body := e.get("/bien-nhan/" + c)
		if resp.StatusCode != 404 {
			t.Errorf("/bien-nhan/%s = %d, want 404", c, resp.StatusCode)
		}
		pages = append(pages, stripRequestID(body))
		resp, body = e.get("/bien-nhan/" + c + ".json")
		if resp.StatusCode != 404 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
			t.Errorf("/bien-nhan/%s.json = %d %s", c, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		jsons = append(jsons, string(body))
	}
	for i := range pages {
		if pages[i] != pages[0] {
			t.Errorf("404 page %d differs from the first", i)
		}
		if jsons[i] != jsons[0] {
			t.Errorf("404 JSON %d differs: %s | %s", i, jsons[i], jsons[0])
		}
	}
	if !strings.Contains(jsons[0], `"code":"not_found"`) {
		t.Errorf("404 JSON = %s", jsons[0])
	}
	resp, body := e.get("/bien-nhan/khoa-cong-khai")
	if resp.StatusCode != 200 || !strings.HasPrefix(string(body), "ed25519:") {
		t.Errorf("public key: %d %s", resp.StatusCode, body)
	}
}

// paperFixture makes one of everything: a scheduled pickup (P1), a
// collected pickup handed to the office under a manifest (P2), and a result
// delivered with a fee (R1).
type paperFixture struct {
	p1, p2, r1 string
	manifest   string
	day, today string // YYYY-MM-DD: the planned day, and the delivery day
}

func makePaperFixture(t *testing.T, e *testEnv) paperFixture {
	ctx := context.Background()
	f := paperFixture{manifest: "BB-05443-0001"}
	f.p1 = e.createPickup("000.00.19.IN-1")
	f.p2 = e.createPickup("000.00.19.IN-2")
	ws, we := nextWindow(2)
	f.day = ws.Format("2006-01-02")
	dayStart := time.Date(ws.Year(), ws.Month(), ws.Day(), 0, 0, 0, 0, ws.Location())
	for i, n := range []string{f.p2, f.p1} {
		start := ws.Add(time.Duration(i) * 30 * time.Minute)
		eta := start.Add(10 * time.Minute)
		data, _ := json.Marshal(tracking.Scheduled{Courier: "BUUTA1", Office: "BC-05443", Date: f.day,
			WindowStart: start.Format(time.RFC3339), WindowEnd: we.Format(time.RFC3339), Stop: i + 1, ETA: eta.Format(time.RFC3339)})
		_, _, err := e.sys.ledger.RecordByNumber(ctx, n, app.EventInput{Type: tracking.PickupScheduled,
			Actor: tracking.Party{Kind: tracking.PartyDispatcher, Ref: "DIEUPHOI"}, Data: data,
			Schedule: &app.Schedule{Courier: "BUUTA1", Office: "BC-05443", Date: dayStart, WindowStart: start, WindowEnd: we}})
		if err != nil {
			t.Fatalf("schedule %s: %v", n, err)
		}
	}
	courier := e.courier("buuta1")
	_, res := courier.send(collectEvent(courier, f.p2, "NP-007001"))
	wantStatuses(t, "collect P2", res, "accepted")
	if err := e.db.ExecForTest(ctx, `INSERT INTO manifests (id, code, giver_kind, giver_ref, receiver_kind, receiver_ref, created_at, deadline)
		VALUES (?, ?, 'courier', 'BUUTA1', 'post_office', 'BC-05443', now(), now() + interval '30 minutes')`, uuid.NewString(), f.manifest); err != nil {
		t.Fatal(err)
	}
	_, res = courier.send(ev("handoff.released", f.p2, map[string]any{"to": "post_office:BC-05443", "manifest": f.manifest}))
	wantStatuses(t, "release P2", res, "accepted")
	res = e.login("buucuc").events(ev("handoff.confirmed", f.p2, map[string]any{"seal_intact": true, "seal_id": "NP-007001"}))
	wantStatuses(t, "office confirms P2", res, "accepted")

	// P2's dossier is not accepted yet: no result can be registered for it.
	if _, err := e.sys.hops.RegisterResult(ctx, app.ResultInput{DossierCode: "000.00.19.IN-2", DeskCode: "TN-TTPVHCC", Fee: 50000,
		Documents: []tracking.Document{{Name: "Giấy chứng nhận kết hôn", Kind: tracking.Original, Count: 2}},
		Actor:     tracking.Party{Kind: tracking.PartyDesk, Ref: "TN-TTPVHCC"}}); !errs.Is(err, errs.Conflict) {
		t.Fatalf("result of a dossier still at the office: %v", err)
	}
	// The result of a dossier filed at the desk, registered there, carried
	// back and delivered with a fee.
	lat, lng := 21.59, 105.84
	r, err := e.sys.hops.RegisterResult(ctx, app.ResultInput{DossierCode: "000.00.19.IN-3", DeskCode: "TN-TTPVHCC", Fee: 50000,
		Documents: []tracking.Document{{Name: "Giấy chứng nhận kết hôn", Kind: tracking.Original, Count: 2}},
		Actor:     tracking.Party{Kind: tracking.PartyDesk, Ref: "TN-TTPVHCC"},
		Citizen:   &tracking.Citizen{FullName: "Nguyễn Thị Bình", Phone: "0987000123"},
		Address:   &tracking.Address{ProvinceCode: "19", CommuneCode: "05443", Line: "Số 7, ngõ 5", Lat: &lat, Lng: &lng}})
	if err != nil {
		t.Fatalf("register result: %v", err)
	}
	f.r1 = r.Number
	res = e.login("motcua").events(ev("handoff.released", f.r1, map[string]any{"to": "courier:BUUTA1", "seal_id": "KQ-IN-1"}))
	wantStatuses(t, "desk releases R1", res, "accepted")
	_, res = courier.send(ev("handoff.confirmed", f.r1, map[string]any{"seal_intact": true}))
	wantStatuses(t, "courier confirms R1", res, "accepted")
	_, res = courier.send(ev("delivery.out", f.r1, map[string]any{}))
	wantStatuses(t, "out", res, "accepted")
	delivered := withSecret(ev("delivery.completed", f.r1, map[string]any{"seal_id": "KQ-IN-1", "signature_sha256": courier.signature(f.r1), "fee_collected": 50000}),
		"door_code", courier.doorCode(f.r1))
	_, res = courier.send(delivered)
	wantStatuses(t, "delivered", res, "accepted")
	at, _ := time.Parse(time.RFC3339, delivered["at"].(string))
	f.today = at.In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02")
	if got := e.count(`SELECT count(*) FROM receipts WHERE kind = 'delivery'`); got != 1 {
		t.Fatalf("delivery receipts = %d", got)
	}
	return f
}

// pdfText checks a PDF with qpdf and returns its text from pdftotext,
// skipping when the tools are missing (failing in CI).
func pdfText(t *testing.T, name string, pdf []byte) string {
	t.Helper()
	testenv.Tools(t, "qpdf", "pdftotext", "pdftoppm")
	dir := t.TempDir()
	f := filepath.Join(dir, name+".pdf")
	if err := os.WriteFile(f, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("qpdf", "--check", f).CombinedOutput(); err != nil {
		t.Errorf("qpdf --check %s: %v\n%s", name, err, out)
	}
	txt, err := exec.Command("pdftotext", "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext %s: %v", name, err)
	}
	// Pictures for people to look at (first pages, 80 dpi).
	out := filepath.Join(repoRoot(t), "e2e", "out")
	if err := os.MkdirAll(out, 0o755); err == nil {
		_ = exec.Command("pdftoppm", "-r", "80", "-png", "-l", "3", f, filepath.Join(out, "paper-"+name)).Run()
	}
	return string(txt)
}

func TestPaperDownloadsScopedByRole(t *testing.T) {
	e := startServer(t, nil)
	f := makePaperFixture(t, e)
	users := []string{"quantri", "dieuphoi", "buucuc", "buuta1", "buuta2", "motcua", "motcuaxa"}
	clients := map[string]*staffClient{}
	for _, u := range users {
		clients[u] = e.login(u)
	}
	papers := []struct {
		name, path string
		numbers    []string // what pdftotext must show
		allowed    []string
	}{
		{"nhan", "/nhan-vien/in/nhan/" + f.p1, []string{f.p1}, []string{"quantri", "dieuphoi", "buucuc", "buuta1", "motcua"}},
		{"bien-nhan-dien-san", "/nhan-vien/in/bien-nhan/" + f.p1, []string{f.p1}, []string{"quantri", "dieuphoi", "buucuc", "buuta1", "motcua"}},
		{"bien-nhan", "/nhan-vien/in/bien-nhan/" + f.p2, []string{f.p2, "NP-007001", "Bằng chứng xác nhận: Công dân xác nhận bằng chữ ký."},
			[]string{"quantri", "dieuphoi", "buucuc", "buuta1", "motcua"}},
		{"phieu-giao", "/nhan-vien/in/phieu-giao/" + f.r1, []string{f.r1, "50.000"}, []string{"quantri", "dieuphoi", "buucuc", "buuta1", "motcua"}},
		{"tui-hanh-trinh", "/nhan-vien/in/tui-hanh-trinh/BUUTA1/" + f.day, []string{f.p1, f.p2}, []string{"quantri", "dieuphoi", "buucuc", "buuta1"}},
		{"bang-ke-thu-ho", "/nhan-vien/in/bang-ke-thu-ho/BUUTA1/" + f.today, []string{f.r1, "50.000"}, []string{"quantri", "dieuphoi", "buucuc", "buuta1"}},
		{"bien-ban", "/nhan-vien/in/bien-ban/" + f.manifest, []string{f.p2, f.manifest}, []string{"quantri", "dieuphoi", "buucuc", "buuta1"}},
	}
	for _, p := range papers {
		allowed := map[string]bool{}
		for _, u := range p.allowed {
			allowed[u] = true
		}
		for _, u := range users {
			resp, err := clients[u].c.Get(e.base + p.path)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if !allowed[u] {
				if resp.StatusCode != 403 && resp.StatusCode != 404 {
					t.Errorf("%s as %s = %d, want 403 or 404", p.name, u, resp.StatusCode)
				}
				continue
			}
			if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
				t.Errorf("%s as %s = %d %s: %.300s", p.name, u, resp.StatusCode, resp.Header.Get("Content-Type"), body)
				continue
			}
			if cd := resp.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, `attachment; filename="`) || !strings.HasSuffix(cd, `.pdf"`) {
				t.Errorf("%s Content-Disposition = %q", p.name, cd)
			}
			if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
				t.Errorf("%s Cache-Control = %q", p.name, cc)
			}
			if u != "quantri" {
				continue // the text check once per paper is enough
			}
			txt := pdfText(t, p.name, body)
			flat := strings.Join(strings.Fields(txt), "")
			for _, want := range p.numbers {
				if !strings.Contains(flat, strings.ReplaceAll(want, " ", "")) {
					t.Errorf("%s: text lacks %s:\n%.600s", p.name, want, txt)
				}
			}
			for _, secret := range []string{"Nguyễn Văn A", "0912345678", "019090001234", "Số 12, tổ 3"} {
				if strings.Contains(txt, secret) {
					t.Errorf("%s prints %q", p.name, secret)
				}
			}
		}
	}
	// Without a session: sent to the login page; unknown things: 404.
	resp, _ := http.Get(e.base + "/nhan-vien/in/nhan/" + f.p1)
	if resp.Request.URL.Path != "/dang-nhap" {
		t.Errorf("anonymous download landed on %s", resp.Request.URL.Path)
	}
	for _, path := range []string{"/nhan-vien/in/nhan/EA999999995VN", "/nhan-vien/in/bien-ban/NONE", "/nhan-vien/in/tui-hanh-trinh/NOBODY/" + f.day,
		"/nhan-vien/in/phieu-giao/" + f.p1} {
		if code, _ := clients["quantri"].get(path); code != 404 {
			t.Errorf("%s = %d, want 404", path, code)
		}
	}
	if code, _ := clients["quantri"].get("/nhan-vien/in/tui-hanh-trinh/BUUTA1/24-11-2026"); code != 400 {
		t.Errorf("bad day = %d, want 400", code)
	}
	// The forms page sends a filled form to its download, and the staff
	// home page links to it.
	code, body := clients["buuta1"].get("/nhan-vien/in")
	if code != 200 || !strings.Contains(body, "/nhan-vien/in/tui-hanh-trinh/BUUTA1/hom-nay") {
		t.Errorf("papers page: %d", code)
	}
	resp, err := clients["buucuc"].c.Get(e.base + "/nhan-vien/in?loai=nhan&so=" + strings.ToLower(f.p1))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/pdf" {
		t.Errorf("form download = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	// hoso print demo: every paper from this database when it is reachable,
	// from the samples when it is not.
	dir := t.TempDir()
	out, err := runCmd(t, map[string]string{"HOSO_DATABASE_URL": e.url, "HOSO_LOG_ORIGIN": e.sys.tlog.Key.Origin()}, "print", "demo", dir)
	if err != nil || !strings.Contains(out, "Using the demo database") || strings.Count(out, "demo database (") != 6 {
		t.Errorf("print demo from the database: %v\n%s", err, out)
	}
	flat := map[string]string{}
	for _, sd := range []string{"nhan-buu-gui", "giay-bien-nhan", "bien-ban-ban-giao", "phieu-giao-ket-qua", "tui-hanh-trinh", "bang-ke-thu-ho"} {
		b, err := os.ReadFile(filepath.Join(dir, sd+".pdf"))
		if err != nil {
			t.Fatal(err)
		}
		flat[sd] = strings.Join(strings.Fields(pdfText(t, "demo-"+sd, b)), "")
	}
	if !strings.Contains(flat["phieu-giao-ket-qua"], f.r1) || !strings.Contains(flat["bien-ban-ban-giao"], f.manifest) {
		t.Errorf("print demo did not use the database's rows")
	}
	out, err = runCmd(t, map[string]string{"HOSO_DATABASE_URL": "postgres://postgres@127.0.0.1:1/none?sslmode=disable"}, "print", "demo", t.TempDir())
	if err != nil || !strings.Contains(out, "using labels.SampleDocuments()") || strings.Count(out, "sample data") != 6 {
		t.Errorf("print demo without a database: %v\n%s", err, out)
	}
	for _, u := range users {
		if _, home := clients[u].get("/nhan-vien"); !strings.Contains(home, "Giấy tờ in") || !strings.Contains(home, `href="/nhan-vien/in"`) {
			t.Errorf("staff home of %s has no Giấy tờ in section", u)
		}
	}
}

func TestReceiptPageInBrowser(t *testing.T) {
	e := startServer(t, nil)
	n := e.createPickup("000.00.19.BN-UI")
	code := e.receiptCodeOf(n)
	e.browser("receipt", map[string]any{"code": code, "expect": "pending", "shot": "receipt-pending-360"})
	courier := e.courier("buuta1")
	_, res := courier.send(collectEvent(courier, n, "NP-004299"))
	wantStatuses(t, "collect", res, "accepted")
	out := e.browser("receipt", map[string]any{"code": code, "expect": "genuine", "shot": "receipt-360", "search": true,
		"staff": map[string]string{"username": "buuta1", "password": "mat-khau-buuta1"}})
	var r struct {
		Lines int `json:"lines"`
	}
	if err := json.Unmarshal(out, &r); err != nil || r.Lines != 3 {
		t.Errorf("document rows seen = %d (%v)", r.Lines, err)
	}
	e.tamper(`UPDATE receipts SET content = jsonb_set(content, '{documents,0,count}', '0') WHERE code = ?`, code)
	e.browser("receipt", map[string]any{"code": code, "expect": "invalid", "shot": "receipt-invalid-360"})
}

func TestReceiptPageRateLimited(t *testing.T) {
	e := startServer(t, map[string]string{"HOSO_PUBLIC_RATE_PER_MIN": "3"})
	var last *http.Response
	for i := 0; i < 4; i++ {
		last, _ = e.get("/bien-nhan/ZZZZZ-ZZZZZ")
	}
	if last.StatusCode != 429 || last.Header.Get("Retry-After") == "" {
		t.Errorf("4th request in a minute = %d, Retry-After %q", last.StatusCode, last.Header.Get("Retry-After"))
	}
}
