package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
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

// signEvent signs an event the way the app does with WebCrypto: ECDSA P-256,
// SHA-256, raw r‖s, over the fields as sent.
func signEvent(t *testing.T, key *ecdsa.PrivateKey, ev map[string]any) map[string]any {
	t.Helper()
	data, _ := json.Marshal(ev["data"])
	lat, _ := json.Marshal(ev["lat"])
	lng, _ := json.Marshal(ev["lng"])
	msg := "hoso-event-v1\n" + ev["id"].(string) + "\n" + ev["type"].(string) + "\n" + ev["tracking_number"].(string) + "\n" +
		ev["at"].(string) + "\n" + string(lat) + "\n" + string(lng) + "\n" + string(data)
	h := sha256.Sum256([]byte(msg))
	r, s, err := ecdsa.Sign(rand.Reader, key, h[:])
	if err != nil {
		t.Fatal(err)
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	ev["signature"] = base64.StdEncoding.EncodeToString(sig)
	return ev
}

func TestDeviceSignaturesAndDoorCodes(t *testing.T) {
	e := startServer(t, nil)
	portal := e.portal()
	var ns []string
	for i, code := range []string{"000.00.19.DEV-1", "000.00.19.DEV-2"} {
		r := portal.do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody(code)), "dev-"+code)
		var created map[string]string
		r.json(t, &created)
		ns = append(ns, created["tracking_number"])
		_ = i
	}
	c := e.courier("buuta1")
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	spki, _ := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if code, body := c.post("/api/v1/courier/device-key", map[string]string{"alg": "ES256", "public_key": base64.StdEncoding.EncodeToString(spki)}); code != 201 {
		t.Fatalf("register key: %d %s", code, body)
	}
	if code, _ := c.post("/api/v1/courier/device-key", map[string]string{"alg": "RS256", "public_key": "AAAA"}); code != 400 {
		t.Errorf("bad key accepted: %d", code)
	}
	// An unsigned event from a device with a key is refused and kept.
	_, res := c.send(ev("pickup.attempt_failed", ns[0], map[string]any{"reason": "not_home"}))
	wantStatuses(t, "unsigned", res, "rejected")
	// A signed event is accepted and its signature kept.
	good := signEvent(t, key, ev("pickup.attempt_failed", ns[0], map[string]any{"reason": "not_home"}))
	_, res = c.send(good)
	wantStatuses(t, "signed", res, "accepted")
	if e.count(`SELECT count(*) FROM device_events WHERE id = ? AND status = 'accepted' AND length(signature) = 64`, good["id"]) != 1 {
		t.Error("signature not kept")
	}
	// A tampered event (data changed after signing) is refused and kept.
	bad := signEvent(t, key, ev("pickup.attempt_failed", ns[1], map[string]any{"reason": "not_home"}))
	bad["data"] = map[string]any{"reason": "refused"}
	_, res = c.send(bad)
	wantStatuses(t, "tampered", res, "rejected")
	if res[0].Error == nil || !strings.Contains(res[0].Error.Message, "chữ ký") {
		t.Errorf("tampered reason: %+v", res[0].Error)
	}
	if e.count(`SELECT count(*) FROM device_events WHERE id = ? AND status = 'rejected'`, bad["id"]) != 1 {
		t.Error("tampered event not kept")
	}

	// The door code: sent to the citizen, read out, checked at sync, never
	// stored in the ledger.
	if code, body := c.post("/api/v1/courier/stops/"+ns[1]+"/code", nil); code != 204 {
		t.Fatalf("door code: %d %s", code, body)
	}
	ms, err := e.db.FindSMS(context.Background(), 5)
	if err != nil || len(ms) == 0 {
		t.Fatal("no SMS")
	}
	// The latest code message: the relay may deliver the earlier not-at-home
	// notice after it.
	var m []string
	for _, sms := range ms {
		if m = regexp.MustCompile(`Ma xac nhan (\d{6})`).FindStringSubmatch(sms.Body); m != nil {
			break
		}
	}
	if m == nil {
		t.Fatalf("no door code among the latest SMS: %q", ms[0].Body)
	}
	docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}}
	wrong := signEvent(t, key, ev("pickup.collected", ns[1], map[string]any{"documents": docs, "seal_id": "NP-55", "method": "otp", "otp": "000000"}))
	_, res = c.send(wrong)
	wantStatuses(t, "wrong code", res, "rejected")
	right := signEvent(t, key, ev("pickup.collected", ns[1], map[string]any{"documents": docs, "seal_id": "NP-55", "method": "otp", "otp": m[1]}))
	_, res = c.send(right)
	wantStatuses(t, "right code", res, "accepted")
	if e.count(`SELECT count(*) FROM events WHERE id = ? AND data::text LIKE '%"otp_verified":true%' AND data::text NOT LIKE '%`+m[1]+`%'`, right["id"]) != 1 {
		t.Error("ledger data not amended, or the code stored")
	}

	// The route lists both parcels, contacts masked; reveal is audited.
	code, body := c.get("/api/v1/courier/route?date=" + time.Now().Format("2006-01-02"))
	if code != 200 || !strings.Contains(string(body), ns[1]) || strings.Contains(string(body), "0912345678") {
		t.Fatalf("route: %d %s", code, body)
	}
	code, body = c.post("/api/v1/courier/stops/"+ns[1]+"/reveal", nil)
	if code != 200 || !strings.Contains(string(body), "0912345678") || e.count(`SELECT count(*) FROM audit_log WHERE action = 'reveal_phone' AND subject = ?`, ns[1]) != 1 {
		t.Errorf("reveal: %d %s", code, body)
	}
	// Another courier cannot reveal it.
	if code, _ := e.courier("buuta2").post("/api/v1/courier/stops/"+ns[1]+"/reveal", nil); code != 403 {
		t.Errorf("other courier reveal: %d", code)
	}
	// A phone erased by the retention job: a clear answer, and nothing
	// revealed is audited.
	if err := e.db.ExecForTest(context.Background(), `UPDATE parcels SET phone_enc = ''::bytea WHERE tracking_number = ?`, ns[1]); err != nil {
		t.Fatal(err)
	}
	code, body = c.post("/api/v1/courier/stops/"+ns[1]+"/reveal", nil)
	if code != 404 || !strings.Contains(string(body), "hết thời hạn lưu trữ") || e.count(`SELECT count(*) FROM audit_log WHERE action = 'reveal_phone' AND subject = ?`, ns[1]) != 1 {
		t.Errorf("reveal of an erased phone: %d %s", code, body)
	}
	_ = uuid.NewString
}
