package main

import (
	"context"
	"encoding/json"
	"testing"

	"hoso/internal/app"
)

// TestSecurityPagesInTheBrowser: the account pages, the forced password
// change, the public timeline's proof and the citizen's proof of work on a
// 360 px phone in Chromium (axe clean, screenshots in e2e/out); a browser
// stays on the site after /dang-nhap?tiep=/%09/evil.example; an office name
// with HTML is text in the map's tooltip.
func TestSecurityPagesInTheBrowser(t *testing.T) {
	e := startServer(t, map[string]string{"HOSO_CODE_CHALLENGE_AFTER": "1"})
	const evil = "<img src=x id=pwn>Bưu cục Quyết Thắng"
	if err := e.db.UpsertOffice(context.Background(), app.PostOffice{Code: "BC-05455", Name: evil, CommuneCode: "05455", ProvinceCode: "19",
		Lat: 21.5969, Lng: 105.8113}); err != nil {
		t.Fatal(err)
	}
	r := e.portal().do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.BROWSER-SEC")), "browser-sec-1")
	var created map[string]string
	r.json(t, &created)
	out := e.browser("security", map[string]any{
		"number": created["tracking_number"], "last4": "5678", "dossier": "000.00.19.BROWSER-SEC",
		"admin":      map[string]string{"username": "quantri", "password": "mat-khau-quantri"},
		"courier":    map[string]string{"username": "buuta1", "password": "mat-khau-buuta1"},
		"dispatcher": map[string]string{"username": "dieuphoi", "password": "mat-khau-dieuphoi"},
		"office":     "BC-05443", "evilOffice": evil, "phones": []string{"0955000001", "0955000002"},
	})
	var res struct {
		RedirectedTo string `json:"redirectedTo"`
		PowMillis    int    `json:"powMillis"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		t.Fatal(err)
	}
	t.Logf("after sign-in with tiep=/%%09/evil.example the browser is at %s; the page solved an 18-bit challenge and sent the form in %d ms", res.RedirectedTo, res.PowMillis)
	if e.count(`SELECT count(*) FROM audit_log WHERE action IN ('account.devices_revoked', 'account.password_reset', 'account.password_changed')`) != 3 {
		t.Error("the browser's account actions are not all audited")
	}
}
