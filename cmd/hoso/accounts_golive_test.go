package main

import (
	"context"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"hoso/internal/app"
)

var tempPasswordPattern = regexp.MustCompile(`id="mat-khau-tam">([a-z0-9-]+)<`)

// TestAccountCreateAndScope: an admin creates accounts of any role with a
// temporary password shown once (to be changed at the first sign-in); a
// post office creates couriers of its own office only, whatever the form
// says; an admin of a province cannot create or move an account outside
// it; moving an account ends its sessions; sign-ins (and failures on an
// existing account) are audited with the last sign-in time; everything is
// audited with its author.
func TestAccountCreateAndScope(t *testing.T) {
	e := startServer(t, nil)
	ctx := context.Background()
	admin := e.login("quantri")

	code, _, body := admin.post("/nhan-vien/tai-khoan", url.Values{"username": {"Buuta3"}, "full_name": {"Bưu tá Ba"},
		"role": {"courier"}, "office": {"BC-05443"}})
	m := tempPasswordPattern.FindStringSubmatch(body)
	if code != 200 || m == nil || !strings.Contains(body, "Đã tạo tài khoản") {
		t.Fatalf("create: %d %s", code, tail(body, 500))
	}
	if e.count(`SELECT count(*) FROM users WHERE username = 'buuta3' AND must_change_password AND office_code = 'BC-05443'`) != 1 {
		t.Error("the new courier is not in the office with a temporary password")
	}
	if e.count(`SELECT count(*) FROM audit_log a JOIN users u ON u.id = a.user_id WHERE u.username = 'quantri' AND a.action = 'account.created' AND a.subject = 'user:buuta3'`) != 1 {
		t.Error("creation not audited with its author")
	}
	// The temporary password opens only the password page.
	if _, err := e.sys.auth.Login(ctx, "buuta3", m[1]); err != nil {
		t.Errorf("temporary password refused: %v", err)
	}
	if u, _ := e.db.FindUserByUsername(ctx, "buuta3"); !u.MustChangePassword {
		t.Error("the temporary password need not be changed")
	}

	// The same name again, a bad name, a desk that does not exist: refused, nothing written.
	users := e.count(`SELECT count(*) FROM users`)
	for _, v := range []url.Values{
		{"username": {"buuta3"}, "role": {"courier"}, "office": {"BC-05443"}},
		{"username": {"Bưu tá"}, "role": {"courier"}, "office": {"BC-05443"}},
		{"username": {"motcua5"}, "role": {"desk"}, "desk": {"KHONG-CO"}},
		{"username": {"xx\xff\xfe"}, "role": {"root"}},
	} {
		if code, _, _ := admin.post("/nhan-vien/tai-khoan", v); code != 422 {
			t.Errorf("create %v: %d, want 422", v, code)
		}
	}
	if n := e.count(`SELECT count(*) FROM users`); n != users {
		t.Errorf("refused creations wrote %d accounts", n-users)
	}

	// A post office: a courier of its own office, whatever the form says.
	office := e.login("buucuc")
	if code, _, body := office.post("/nhan-vien/tai-khoan", url.Values{"username": {"buuta4"}, "role": {"admin"}, "office": {"BC-05488"}}); code != 200 {
		t.Fatalf("office creates: %d %s", code, tail(body, 300))
	}
	if e.count(`SELECT count(*) FROM users WHERE username = 'buuta4' AND role = 'courier' AND office_code = 'BC-05443'`) != 1 {
		t.Error("the office's form made something other than its own courier")
	}
	var buuta1 app.User
	buuta1, _ = e.db.FindUserByUsername(ctx, "buuta1")
	id := strconv.FormatInt(buuta1.ID, 10)
	if code, _ := office.get("/nhan-vien/tai-khoan/" + id + "/don-vi"); code != 403 {
		t.Errorf("an office moving its courier: %d, want 403", code)
	}

	// An admin of province 19 cannot reach province 01.
	if _, err := e.sys.auth.CreateUser(ctx, app.NewUser{Username: "qt19", Password: "mat-khau-qt19", Role: app.RoleAdmin, ProvinceCode: "19"}); err != nil {
		t.Fatal(err)
	}
	if err := e.db.UpsertOffice(ctx, app.PostOffice{Code: "BC-00004", Name: "Bưu cục Ba Đình", CommuneCode: "00004", ProvinceCode: "01", Lat: 21.03, Lng: 105.83}); err != nil {
		t.Fatal(err)
	}
	qt19 := e.login("qt19")
	if code, _, _ := qt19.post("/nhan-vien/tai-khoan", url.Values{"username": {"motcuahn"}, "role": {"desk"}, "desk": {"HN-MC-00004"}}); code != 422 {
		t.Errorf("province admin creating in another province: %d", code)
	}
	if code, _, _ := qt19.post("/nhan-vien/tai-khoan/"+id+"/don-vi", url.Values{"office": {"BC-00004"}}); code != 422 {
		t.Errorf("province admin moving a courier to another province: %d", code)
	}
	if e.count(`SELECT count(*) FROM users WHERE username = 'motcuahn'`) != 0 || e.count(`SELECT count(*) FROM users WHERE username = 'buuta1' AND office_code = 'BC-05443'`) != 1 {
		t.Error("an out-of-scope change was written")
	}

	// Moving a courier: the form, then the move ends its sessions.
	e.login("buuta1")
	if code, body := admin.get("/nhan-vien/tai-khoan/" + id + "/don-vi"); code != 200 || !strings.Contains(body, "BC-05443") {
		t.Fatalf("scope form: %d", code)
	}
	if code, loc, _ := admin.post("/nhan-vien/tai-khoan/"+id+"/don-vi", url.Values{"office": {"BC-05488"}, "ghi_chu": {"Điều sang Đại Phúc"}}); code != 303 {
		t.Fatalf("move: %d %s", code, loc)
	} else if _, body := admin.get(loc); !strings.Contains(body, "Đã chuyển tài khoản buuta1") {
		t.Error("no banner after the move")
	}
	if e.count(`SELECT count(*) FROM users WHERE username = 'buuta1' AND office_code = 'BC-05488'`) != 1 {
		t.Error("not moved")
	}
	if n := e.count(`SELECT count(*) FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = 'buuta1'`); n != 0 {
		t.Errorf("the moved courier keeps %d sessions", n)
	}
	if e.count(`SELECT count(*) FROM audit_log WHERE action = 'account.scope_changed' AND subject = 'user:buuta1' AND reason LIKE '%BC-05443 → %BC-05488%Đại Phúc%'`) != 1 {
		t.Error("the move is not audited from → to with its reason")
	}

	// Sign-ins: the last one shown, each audited, failures on an account too.
	if _, err := e.sys.auth.Login(ctx, "buuta2", "sai-mat-khau-roi"); err == nil {
		t.Fatal("wrong password accepted")
	}
	e.login("buuta2")
	if e.count(`SELECT count(*) FROM audit_log WHERE action = 'auth.sign_in_failed' AND subject = 'user:buuta2'`) != 1 ||
		e.count(`SELECT count(*) FROM audit_log WHERE action = 'auth.signed_in' AND subject = 'user:buuta2'`) != 1 {
		t.Error("sign-ins not audited")
	}
	if _, body := admin.get("/nhan-vien/tai-khoan"); !strings.Contains(body, "Đăng nhập lần cuối") || !strings.Contains(body, "Chưa đăng nhập lần nào") {
		t.Error("last sign-in not shown")
	}
}
