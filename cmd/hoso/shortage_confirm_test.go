package main

import (
	"net/url"
	"strings"
	"testing"

	"hoso/internal/app"
)

// TestShortageConfirmationIsOwnAndOnce: "báo thiếu" shows what will be
// recorded first; nothing is written until "xác nhận". The confirmation
// screen and its POST belong to the clerk who started it (another office's
// clerk gets 404 and changes nothing), a forged or replayed confirmation
// (a double click, Back and submit) writes nothing more.
func TestShortageConfirmationIsOwnAndOnce(t *testing.T) {
	e := startServer(t, nil)
	office := e.login("buucuc")
	ns := e.counterParcels(t, "post_office:BC-05443", "SHORT-1")
	before := e.tableCounts()
	code, loc, _ := office.noFollow("/buu-cuc/thieu", url.Values{"giver": {"courier:BUUTA1"}})
	if code != 303 || !draftLocation.MatchString(loc) {
		t.Fatalf("báo thiếu: %d %q", code, loc)
	}
	_, page := office.get(loc)
	for _, want := range []string{"Xác nhận báo thiếu bưu gửi", `data-diff="` + ns[0] + `"`, "Xác nhận và ghi", "Quay lại", "không có trong túi"} {
		if !strings.Contains(page, want) {
			t.Errorf("the confirmation screen lacks %q", want)
		}
	}
	if after := e.tableCounts(); after["events"] != before["events"] || after["incidents"] != before["incidents"] {
		t.Fatal("the shortage was recorded before the confirmation")
	}
	other := e.addUserLogin(app.NewUser{Username: "buucuc2", Role: app.RoleOffice, OfficeCode: "BC-05488"})
	mid := e.tableCounts()
	if code, _ := other.get(loc); code != 404 {
		t.Errorf("another clerk opened the confirmation: %d", code)
	}
	if code, _, _ := other.noFollow(loc, url.Values{}); code != 404 {
		t.Errorf("another clerk confirmed: %d", code)
	}
	if code, _, _ := office.noFollow("/buu-cuc/xac-nhan/khong-phai-ma", url.Values{}); code != 404 {
		t.Errorf("a forged confirmation: %d", code)
	}
	e.sameRows(t, "refused confirmations", mid)
	if _, page = office.postForm(loc, url.Values{}); !strings.Contains(page, "ghi sai lệch 1") {
		t.Fatalf("after confirming: %.500s", page)
	}
	done := e.tableCounts()
	if code, _, _ := office.noFollow(loc, url.Values{}); code != 404 {
		t.Errorf("the confirmation replayed: %d", code)
	}
	e.sameRows(t, "a replayed confirmation", done)
	if n := e.count(`SELECT count(*) FROM incidents i JOIN parcels p ON p.id = i.parcel_id WHERE p.tracking_number = ? AND i.problem = 'missing_parcel'`, ns[0]); n != 1 {
		t.Errorf("%d shortage incidents, want 1", n)
	}
}
