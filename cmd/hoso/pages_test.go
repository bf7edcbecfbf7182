package main

import (
	"encoding/json"
	"testing"
)

func TestCitizenRequestInBrowser(t *testing.T) {
	e := startServer(t, nil)
	res := e.browser("citizen", map[string]any{"dossier": "000.00.19.H55-261123-0042", "phone": "0978123456",
		"staff": map[string]string{"username": "quantri", "password": "mat-khau-quantri"}})
	var out struct{ Number string }
	if err := json.Unmarshal(res, &out); err != nil || out.Number == "" {
		t.Fatalf("result %s: %v", res, err)
	}
	if n := e.count(`SELECT count(*) FROM parcels WHERE tracking_number = ? AND channel = 'citizen' AND citizen_name = 'Lường Thị Hoà' AND status = 'requested'`, out.Number); n != 1 {
		t.Errorf("parcel %s not stored as a citizen request", out.Number)
	}
	if n := e.count(`SELECT count(*) FROM events e JOIN parcels p ON p.id = e.parcel_id WHERE p.tracking_number = ? AND e.type = 'pickup.requested' AND e.actor_kind = 'citizen'`, out.Number); n != 1 {
		t.Error("pickup.requested not recorded")
	}
}

func TestClerkRequestInBrowser(t *testing.T) {
	e := startServer(t, nil)
	res := e.browser("clerk", map[string]any{"username": "motcuaxa", "password": "mat-khau-motcuaxa", "dossier": "000.00.19.H55-261123-0077"})
	var out struct{ Number string }
	if err := json.Unmarshal(res, &out); err != nil || out.Number == "" {
		t.Fatalf("result %s: %v", res, err)
	}
	if n := e.count(`SELECT count(*) FROM parcels p JOIN users u ON u.id = p.created_by
		WHERE p.tracking_number = ? AND p.channel = 'clerk' AND u.username = 'motcuaxa' AND p.id_last3 = '789'`, out.Number); n != 1 {
		t.Errorf("parcel %s not stored as the clerk's request", out.Number)
	}
	if n := e.count(`SELECT count(*) FROM parcels WHERE channel = 'clerk'`); n != 1 {
		t.Errorf("%d clerk requests after the error, the success and Back, want 1", n)
	}
}
