package app_test

import (
	"strings"
	"testing"

	"hoso/internal/app"
)

// TestNormalizeUsername: every spelling the probe used is one account (and
// so one failure count).
func TestNormalizeUsername(t *testing.T) {
	for _, in := range []string{"buuta2", " buuta2", "buuta2\t", "BUUTA2", "ｂｕｕｔａ２", "buu\u200bta2", "\u00a0buuta2\u3000", "Buuta2\r\n", "\ufeffbuuta2"} {
		if got := app.NormalizeUsername(in); got != "buuta2" {
			t.Errorf("NormalizeUsername(%q) = %q", in, got)
		}
	}
	for _, in := range []string{"buu ta2", "bưuta2", "buuta2!"} {
		if app.ValidUsername(app.NormalizeUsername(in)) {
			t.Errorf("%q normalises to a valid username", in)
		}
	}
}

// FuzzNormalizeUsername: normalising twice changes nothing, so the key a
// failure is counted under is the key the next attempt looks up.
func FuzzNormalizeUsername(f *testing.F) {
	for _, s := range []string{"buuta2", " BUUTA2\t", "ｂｕｕｔａ２", "\u200b", "ǅ", "ﬁ"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := app.NormalizeUsername(s)
		if app.NormalizeUsername(n) != n {
			t.Fatalf("not idempotent: %q → %q → %q", s, n, app.NormalizeUsername(n))
		}
	})
}

func TestCheckNewPassword(t *testing.T) {
	for pw, bad := range map[string]bool{
		"short":                      true,
		"matkhau123":                 true,
		"1234567890":                 true,
		"aaaaaaaaaaaa":               true,
		"xin-chao-buuta2-nhe":        true, // contains the username
		"Bưu tá đi giao lúc bảy giờ": false,
		"correct horse battery":      false,
		strings.Repeat("x", 300):     true,
	} {
		if msg := app.CheckNewPassword("buuta2", pw); (msg != "") != bad {
			t.Errorf("CheckNewPassword(%q) = %q", pw, msg)
		}
	}
}

func TestManagedScopes(t *testing.T) {
	admin := app.User{ID: 1, Role: app.RoleAdmin}
	provAdmin := app.User{ID: 2, Role: app.RoleAdmin, ProvinceCode: "19"}
	office := app.User{ID: 3, Role: app.RoleOffice, OfficeCode: "BC-1", ProvinceCode: "19"}
	c1 := app.User{ID: 4, Role: app.RoleCourier, OfficeCode: "BC-1", ProvinceCode: "19"}
	c2 := app.User{ID: 5, Role: app.RoleCourier, OfficeCode: "BC-2", ProvinceCode: "19"}
	other := app.User{ID: 6, Role: app.RoleCourier, OfficeCode: "BC-9", ProvinceCode: "01"}
	desk := app.User{ID: 7, Role: app.RoleDesk, ProvinceCode: "19"}
	for _, tc := range []struct {
		actor, target app.User
		want          bool
	}{
		{admin, c1, true}, {admin, other, true}, {admin, admin, false},
		{provAdmin, c1, true}, {provAdmin, other, false},
		{office, c1, true}, {office, c2, false}, {office, desk, false}, {office, office, false},
		{desk, c1, false}, {c1, c1, false}, {c1, c2, false},
	} {
		if got := app.CanManage(tc.actor, tc.target); got != tc.want {
			t.Errorf("CanManage(%s %d, %s %d) = %v", tc.actor.Role, tc.actor.ID, tc.target.Role, tc.target.ID, got)
		}
	}
}
