package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func (c *courierClient) post(path string, body any) (int, []byte) {
	c.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest("POST", c.base+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func (c *courierClient) get(path string) (int, []byte) {
	c.t.Helper()
	req, _ := http.NewRequest("GET", c.base+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

func TestDeviceSignaturesAndDoorCodes(t *testing.T) {
	e := startServer(t, nil)
	portal := e.portal()
	var ns []string
	for _, code := range []string{"000.00.19.DEV-1", "000.00.19.DEV-2"} {
		r := portal.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody(code)), "dev-"+code)
		var created map[string]string
		r.json(t, &created)
		ns = append(ns, created["tracking_number"])
	}
	c := e.courier("buuta1") // registers its device key, password typed again
	e.assign("buuta1", ns...)
	if code, _ := c.post("/api/v1/courier/device-key", map[string]string{"alg": "RS256", "public_key": "AAAA", "password": "mat-khau-buuta1"}); code != 400 {
		t.Errorf("bad key accepted: %d", code)
	}
	// An unsigned event is refused and kept.
	unsigned := ev("pickup.attempt_failed", ns[0], map[string]any{"reason": "not_home"})
	unsigned["signature"] = ""
	_, res := c.send(unsigned)
	wantStatuses(t, "unsigned", res, "rejected")
	// A signed event is accepted; its signature and signed bytes are in
	// the ledger's hashed form.
	good := ev("pickup.attempt_failed", ns[0], map[string]any{"reason": "not_home"})
	_, res = c.send(good)
	wantStatuses(t, "signed", res, "accepted")
	if e.count(`SELECT count(*) FROM device_events WHERE id = ? AND status = 'accepted' AND length(signature) = 64`, good["id"]) != 1 {
		t.Error("signature not kept with the submission")
	}
	if e.count(`SELECT count(*) FROM events WHERE id = ? AND form = 2 AND length(device_signature) = 64 AND device_key_id IS NOT NULL
		AND convert_from(device_signed, 'UTF8') LIKE 'hoso-event-v1%'`, good["id"]) != 1 {
		t.Error("the event does not carry its device signature")
	}
	// A tampered event (data changed after signing) is refused and kept.
	bad := c.sign(ev("pickup.attempt_failed", ns[1], map[string]any{"reason": "not_home"}))
	bad["data"] = map[string]any{"reason": "refused"}
	_, res = c.send(bad)
	wantStatuses(t, "tampered", res, "rejected")
	if res[0].Error == nil || !strings.Contains(res[0].Error.Message, "chữ ký") {
		t.Errorf("tampered reason: %+v", res[0].Error)
	}
	if e.count(`SELECT count(*) FROM device_events WHERE id = ? AND status = 'rejected'`, bad["id"]) != 1 {
		t.Error("tampered event not kept")
	}

	// The door code: texted to the citizen, read out, its commitment
	// signed, checked at sync; never stored in clear.
	code := c.doorCode(ns[1])
	docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}}
	wrong := withSecret(ev("pickup.collected", ns[1], map[string]any{"documents": docs, "seal_id": "NP-55"}), "door_code", otherCode(code))
	_, res = c.send(wrong)
	wantStatuses(t, "wrong code", res, "rejected")
	right := withSecret(ev("pickup.collected", ns[1], map[string]any{"documents": docs, "seal_id": "NP-55"}), "door_code", code)
	_, res = c.send(right)
	wantStatuses(t, "right code", res, "accepted")
	if e.count(`SELECT count(*) FROM events WHERE id = ? AND data->'proof'->>'method' = 'door_code' AND data->'proof'->>'checked_by' = 'server'
		AND data::text NOT LIKE '%`+code+`%' AND convert_from(device_signed, 'UTF8') NOT LIKE '%`+code+`%'`, right["id"]) != 1 {
		t.Error("the ledger does not carry the server's verdict, or carries the code")
	}
	if e.count(`SELECT count(*) FROM device_events WHERE raw::text LIKE '%`+code+`%'`) != 0 {
		t.Error("the door code is kept in a submission")
	}

	// The route lists both parcels, contacts masked; reveal is audited.
	st, body := c.get("/api/v1/courier/route?date=" + time.Now().Format("2006-01-02"))
	if st != 200 || !strings.Contains(string(body), ns[1]) || strings.Contains(string(body), "0912345678") {
		t.Fatalf("route: %d %s", st, body)
	}
	st, body = c.post("/api/v1/courier/stops/"+ns[1]+"/reveal", nil)
	if st != 200 || !strings.Contains(string(body), "0912345678") || e.count(`SELECT count(*) FROM audit_log WHERE action = 'reveal_phone' AND subject = ?`, ns[1]) != 1 {
		t.Errorf("reveal: %d %s", st, body)
	}
	// Another courier cannot reveal it.
	if st, _ := e.courier("buuta2").post("/api/v1/courier/stops/"+ns[1]+"/reveal", nil); st != 403 {
		t.Errorf("other courier reveal: %d", st)
	}
	// A phone erased by the retention job: a clear answer, and nothing
	// revealed is audited.
	if err := e.db.ExecForTest(context.Background(), `UPDATE parcels SET phone_enc = ''::bytea WHERE tracking_number = ?`, ns[1]); err != nil {
		t.Fatal(err)
	}
	st, body = c.post("/api/v1/courier/stops/"+ns[1]+"/reveal", nil)
	if st != 404 || !strings.Contains(string(body), "hết thời hạn lưu trữ") || e.count(`SELECT count(*) FROM audit_log WHERE action = 'reveal_phone' AND subject = ?`, ns[1]) != 1 {
		t.Errorf("reveal of an erased phone: %d %s", st, body)
	}
}

// otherCode is a six-digit code other than code.
func otherCode(code string) string {
	if code == "000000" {
		return "000001"
	}
	return "000000"
}
