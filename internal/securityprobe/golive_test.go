package securityprobe_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"hoso/internal/pg"
	"hoso/internal/pg/pgtest"
	"hoso/internal/secret"
	"hoso/tracking"
)

// TestGoLiveGuide follows docs/go-live.md against the built binary, from an
// empty database, with no demo data and no SQL: migrate, the first admin
// (command line), desks and offices imported from CSV, zones, the portal
// client, then on the pages the admin creates the staff (temporary
// passwords changed at the first sign-in), the dispatcher publishes the
// first plan, and one pickup goes from the portal through the courier, the
// post office and into the desk's hands, which accept it with an appointment
// date and register the result. The database is only read, to check.
func TestGoLiveGuide(t *testing.T) {
	needProbe(t)
	ctx := context.Background()

	// 1. Keys and database (the guide's section 1–2): fresh keys, an empty database.
	name := "hoso_golive_" + strings.ToLower(strings.NewReplacer("-", "x", "_", "y").Replace(secret.Token(6)))
	w := &world{t: t, dbURL: pgtest.URLFor(name), logs: &syncBuffer{}, env: map[string]string{}}
	for _, k := range []string{"HOSO_DATA_KEY", "HOSO_HASH_KEY", "HOSO_SESSION_KEY", "HOSO_RECEIPT_KEY", "HOSO_LOG_KEY"} {
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			t.Fatal(err)
		}
		w.env[k] = hex.EncodeToString(key)
	}
	w.env["HOSO_DATABASE_URL"] = w.dbURL
	w.env["HOSO_LOGIN_RATE_PER_MIN"] = "1000"
	t.Cleanup(func() {
		a, err := pg.Open(context.Background(), pgtest.AdminURL(), pg.Options{PoolSize: 1})
		if err == nil {
			_ = a.ExecForTest(context.Background(), `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`)
			a.Close()
		}
	})

	// 3. Migrate.
	w.cli("migrate", "--create-db")
	db, err := pg.Open(ctx, w.dbURL, pg.Options{PoolSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	w.db = db
	if n := w.count(`SELECT count(*) FROM users`) + w.count(`SELECT count(*) FROM desks`) + w.count(`SELECT count(*) FROM post_offices`); n != 0 {
		t.Fatalf("a fresh database holds %d users, desks or offices", n)
	}

	// 4. The first admin.
	adminPW := "Quản trị tỉnh Thái Nguyên 2026"
	w.cli("user", "add", "quantri", "--role", "admin", "--province", "19", "--name", "Quản trị tỉnh", "--password", adminPW)

	// 5. Desks and post offices from CSV; a bad file imports nothing.
	dir := t.TempDir()
	write := func(name, text string) string {
		f := filepath.Join(dir, name)
		if err := os.WriteFile(f, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return f
	}
	bad := write("bad.csv", "code,name,level,commune_code\nTN-TTPVHCC,Trung tâm,province,05443\nX,,xa,1\n")
	if out, err := w.cliErr("import", "desks", bad); err == nil || !strings.Contains(out, "line 3") {
		t.Errorf("a bad desk file: %v %s", err, out)
	}
	if n := w.count(`SELECT count(*) FROM desks`); n != 0 {
		t.Fatalf("the bad file imported %d desks", n)
	}
	w.cli("import", "desks", write("desks.csv", "code,name,level,commune_code,address,hours,phone\n"+
		"TN-TTPVHCC,Trung tâm Phục vụ hành chính công tỉnh Thái Nguyên,province,05443,\"Số 1 đường Hoàng Văn Thụ\",Thứ Hai–Thứ Sáu 7:30–17:00,0208 3855 000\n"+
		"TN-MC-05455,Bộ phận một cửa phường Quyết Thắng,commune,05455,,,\n"))
	w.cli("import", "offices", write("offices.csv", "code,name,commune_code,lat,lng\n"+
		"BC-05443,Bưu cục Phan Đình Phùng,05443,21.5887,105.8338\nBC-05488,Bưu cục Đại Phúc,05488,21.5765,105.7095\n"))

	// 6. Zones.
	if out := w.cli("zones", "cover", "--office", "BC-05443", "--communes", "05443,05455"); !strings.Contains(out, "BC-05443") {
		t.Fatalf("zones cover: %s", out)
	}

	// 8. The portal client.
	out := w.cli("portal", "add", "dvc-thainguyen", "--province", "19", "--name", "Cổng dịch vụ công tỉnh")
	m := regexp.MustCompile(`secret: (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("portal add printed no secret: %s", out)
	}
	w.portalID, w.portalSecret = "dvc-thainguyen", m[1]

	// 9. Serve.
	w.start()

	// 7. Staff, on the accounts page: each account gets a temporary
	// password that only opens the password page until changed.
	admin := w.client(170, false)
	if r := admin.login("quantri", adminPW); r.status != 303 {
		t.Fatalf("admin sign-in: %d", r.status)
	}
	if r := admin.get("/nhan-vien/danh-muc"); r.status != 200 || !strings.Contains(r.body, "0208 3855 000") || !strings.Contains(r.body, "Bưu cục Đại Phúc") {
		t.Fatalf("reference page: %d", r.status)
	}
	temp := regexp.MustCompile(`id="mat-khau-tam">([a-z0-9-]+)<`)
	staff := map[string]string{}
	for i, a := range []url.Values{
		{"username": {"dieuphoi"}, "full_name": {"Điều phối viên"}, "role": {"dispatcher"}, "office": {"BC-05443"}},
		{"username": {"buucuc"}, "full_name": {"Giao dịch viên"}, "role": {"post_office"}, "office": {"BC-05443"}},
		{"username": {"buuta1"}, "full_name": {"Bưu tá Một"}, "role": {"courier"}, "office": {"BC-05443"}},
		{"username": {"motcua"}, "full_name": {"Cán bộ một cửa"}, "role": {"desk"}, "desk": {"TN-TTPVHCC"}},
	} {
		user := a.Get("username")
		r := admin.form("/nhan-vien/tai-khoan", "/nhan-vien/tai-khoan", a)
		tm := temp.FindStringSubmatch(r.body)
		if r.status != 200 || tm == nil {
			t.Fatalf("create %s: %d %.400s", user, r.status, r.body)
		}
		c := w.client(171+i, false)
		if r := c.login(user, tm[1]); r.status != 303 {
			t.Fatalf("%s with the temporary password: %d", user, r.status)
		}
		if r := c.get("/nhan-vien"); r.status != 303 || r.location() != "/nhan-vien/mat-khau" {
			t.Errorf("%s with a temporary password reaches %d %s", user, r.status, r.location())
		}
		pw := "Giao hồ sơ đúng hẹn số " + string(rune('1'+i))
		if r := c.form("/nhan-vien/mat-khau", "/nhan-vien/mat-khau", url.Values{"current_password": {tm[1]}, "new_password": {pw}, "confirm_password": {pw}}); r.status != 303 {
			t.Fatalf("%s changes the password: %d %.300s", user, r.status, r.body)
		}
		staff[user] = pw
	}
	if n := w.count(`SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.user_id WHERE u.username = 'quantri' AND a.action = 'account.created'`); n != 4 {
		t.Errorf("%d account creations audited, want 4", n)
	}

	// A pickup from the portal.
	number, _ := w.portalPickup("000.00.19.H99.GOLIVE-1", "0912345678")

	// 10. The first plan: a shift, a plan, published.
	disp := w.client(180, false)
	if r := disp.login("dieuphoi", staff["dieuphoi"]); r.status != 303 {
		t.Fatalf("dispatcher sign-in: %d", r.status)
	}
	day := nextServiceDay().Format("2006-01-02")
	base := "/nhan-vien/dieu-phoi"
	if r := disp.form(base+"/ca", base+"/ca", url.Values{"bc": {"BC-05443"}, "buu_ta": {"BUUTA1"}, "ngay": {day}, "so_ngay": {"1"}, "bat_dau": {"07:30"},
		"ket_thuc": {"17:30"}, "suc_cho": {"20"}, "diem_toi_da": {"0"}, "phuong_tien": {"motorbike"}, "thu_ho": {"1"}}); r.status != 303 {
		t.Fatalf("shift: %d %.400s", r.status, r.body)
	}
	r := disp.form(base+"/ca", base+"/lap", url.Values{"bc": {"BC-05443"}, "ngay": {day}, "thoi_gian": {"2"}})
	if r.status != 303 || !strings.HasPrefix(r.location(), base+"/tien-do/") {
		t.Fatalf("plan: %d %s", r.status, r.location())
	}
	job := r.location()
	var redirect string
	for deadline := time.Now().Add(60 * time.Second); redirect == "" && time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		var j struct {
			Done     bool   `json:"done"`
			Error    string `json:"error"`
			Redirect string `json:"redirect"`
		}
		if r := disp.get(job + "/json"); r.status != 200 || json.Unmarshal([]byte(r.body), &j) != nil || j.Error != "" {
			t.Fatalf("plan progress: %d %s", r.status, r.body)
		}
		if j.Done {
			redirect = j.Redirect
		}
	}
	page := disp.get(redirect)
	pm := regexp.MustCompile(`name="ke_hoach" value="(\d+)"`).FindStringSubmatch(page.body)
	if pm == nil || !strings.Contains(page.body, number) {
		t.Fatalf("plan page %d without the pickup or the plan id", page.status)
	}
	if r := disp.form(redirect, base+"/cong-bo", url.Values{"ke_hoach": {pm[1]}, "bc": {"BC-05443"}, "ngay": {day}}); r.status != 303 || !strings.Contains(r.location(), "cong-bo") {
		t.Fatalf("publish: %d %s", r.status, r.location())
	}

	// The courier's app: the stop on the route, the collection with the
	// citizen's signature, the hand-off to the office.
	k := w.courierWith(181, "buuta1", staff["buuta1"])
	if r := k.c.get("/api/v1/courier/route?date="+day, k.auth()); r.status != 200 || !strings.Contains(r.body, number) {
		t.Fatalf("route: %d %.300s", r.status, r.body)
	}
	var sig struct{ SHA256 string }
	if r := k.post("/api/v1/courier/evidence", map[string]string{"tracking_number": number, "kind": "signature", "content_type": "image/png",
		"data": base64.StdEncoding.EncodeToString(signaturePNG(t))}); r.status != 201 || json.Unmarshal([]byte(r.body), &sig) != nil {
		t.Fatalf("signature image: %d %s", r.status, r.body)
	}
	docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}}
	if st := k.send(k.event("pickup.collected", number, map[string]any{"documents": docs, "seal_id": "NP-0001",
		"proof": map[string]any{"method": tracking.ProofSignature, "sha256": sig.SHA256}}),
		k.event("handoff.released", number, map[string]any{"to": "post_office:BC-05443"})); strings.Join(st, ",") != "accepted,accepted" {
		t.Fatalf("collect and release: %v", st)
	}
	office := w.client(182, false)
	if r := office.login("buucuc", staff["buucuc"]); r.status != 303 {
		t.Fatalf("office sign-in: %d", r.status)
	}
	if r := office.form("/buu-cuc", "/buu-cuc/nhan", url.Values{"so": {number}, "seal": {"intact"}, "seal_id": {"NP-0001"}}); r.status != 303 {
		t.Fatalf("office receives: %d %.300s", r.status, r.body)
	}
	if r := office.form("/buu-cuc", "/buu-cuc/chuyen", url.Values{"numbers": {number}, "courier": {"BUUTA1"}}); r.status != 303 {
		t.Fatalf("office releases to the courier: %d", r.status)
	}
	if st := k.send(k.event("handoff.confirmed", number, map[string]any{"seal_intact": true}),
		k.event("handoff.released", number, map[string]any{"to": "desk:TN-TTPVHCC"})); strings.Join(st, ",") != "accepted,accepted" {
		t.Fatalf("run to the desk: %v", st)
	}
	desk := w.client(183, false)
	if r := desk.login("motcua", staff["motcua"]); r.status != 303 {
		t.Fatalf("desk sign-in: %d", r.status)
	}
	if r := desk.form("/mot-cua", "/mot-cua/nhan", url.Values{"so": {number}, "seal": {"intact"}, "seal_id": {"NP-0001"}, "dem": {"1"},
		"count_1": {"1"}, "count_2": {"1"}}); r.status != 303 {
		t.Fatalf("desk receives: %d %.300s", r.status, r.body)
	}
	if w.count(`SELECT count(*) FROM parcels WHERE tracking_number = ? AND custodian_kind = 'desk' AND custodian_ref = 'TN-TTPVHCC' AND NOT demo`, number) != 1 {
		t.Fatal("the pickup is not in the desk's hands")
	}
	// The desk accepts it with an appointment date and, later, registers
	// the result: the return leg starts, ready for the post.
	appointment := time.Now().In(time.FixedZone("ICT", 7*3600)).AddDate(0, 0, 7).Format("2006-01-02")
	if r := desk.form("/mot-cua", "/mot-cua/quyet-dinh/"+number, url.Values{"decision": {"accept"}, "appointment": {appointment}}); r.status != 303 {
		t.Fatalf("desk accepts: %d %.300s", r.status, r.body)
	}
	if w.count(`SELECT count(*) FROM parcels WHERE tracking_number = ? AND status = 'accepted'`, number) != 1 {
		t.Fatal("the pickup is not accepted")
	}
	if r := desk.form("/mot-cua", "/mot-cua/ket-qua/"+number, url.Values{"doc_name_0": {"Giấy chứng nhận"}, "doc_kind_0": {"original"},
		"doc_count_0": {"1"}, "fee": {"0"}}); r.status != 303 {
		t.Fatalf("desk registers the result: %d %.300s", r.status, r.body)
	}
	if w.count(`SELECT count(*) FROM parcels r JOIN parcels p ON p.id = r.return_of WHERE p.tracking_number = ? AND r.leg = 'return' AND r.status = 'ready' AND NOT r.demo`, number) != 1 {
		t.Fatal("no result ready for the post")
	}

	// The citizen sees it arrive; nothing of the demo anywhere.
	if r := w.client(184, false).get("/tra-cuu/" + number); r.status != 200 || !strings.Contains(r.body, "TN-TTPVHCC") && !strings.Contains(r.body, "một cửa") && !strings.Contains(r.body, "Trung tâm") {
		t.Errorf("public tracking: %d", r.status)
	}
	if n := w.count(`SELECT (SELECT count(*) FROM users WHERE demo) + (SELECT count(*) FROM desks WHERE demo) + (SELECT count(*) FROM parcels WHERE demo)`); n != 0 {
		t.Errorf("%d demo rows", n)
	}

	// 11. Back up and verify: the chain checks out on the live database.
	if out := w.cli("verify"); !strings.Contains(strings.ToLower(out), "ok") {
		t.Errorf("hoso verify: %s", out)
	}
}

// cliErr runs a subcommand that may fail and returns its output and error.
func (w *world) cliErr(args ...string) (string, error) {
	w.t.Helper()
	cmd := exec.Command(probeBin, args...)
	cmd.Env = w.environ()
	out, err := cmd.CombinedOutput()
	return string(out), err
}
