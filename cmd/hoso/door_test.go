package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"hoso/internal/app"
)

// ledgerCounts are the rows a refused confirmation must not change.
func (e *testEnv) ledgerCounts() string {
	e.t.Helper()
	return fmt.Sprintf("events %d, custody %d, handoffs %d, accepted submissions %d, used codes %d",
		e.count(`SELECT count(*) FROM events`), e.count(`SELECT count(*) FROM custody`), e.count(`SELECT count(*) FROM handoffs`),
		e.count(`SELECT count(*) FROM device_events WHERE status = 'accepted'`), e.count(`SELECT count(*) FROM door_codes WHERE used_by IS NOT NULL`))
}

// refused sends events that must each be rejected and change nothing, and
// returns their results.
func refused(t *testing.T, e *testEnv, c *courierClient, what string, evs ...map[string]any) []syncResult {
	t.Helper()
	before := e.ledgerCounts()
	code, res := c.send(evs...)
	if code != 200 {
		t.Fatalf("%s: HTTP %d", what, code)
	}
	want := make([]string, len(evs))
	for i := range want {
		want[i] = "rejected"
	}
	wantStatuses(t, what, res, want...)
	if after := e.ledgerCounts(); after != before {
		t.Fatalf("%s was refused but changed the ledger: %s → %s", what, before, after)
	}
	for _, r := range res {
		if r.Error == nil || r.Error.Message == "" {
			t.Fatalf("%s: refused without a reason: %+v", what, r)
		}
	}
	return res
}

// cccdQR is the text of a CCCD card's QR code.
func cccdQR(number string) string {
	return number + "|123456789|Nguyễn Văn A|01011990|Nam|Số 12, tổ 3, phường Phan Đình Phùng, Thái Nguyên|15082021"
}

// TestForgedDoorConfirmationsAreRefused: every way one party could record
// the citizen's confirmation on its own word, through the real API, is
// refused with a reason the courier sees, and changes no custody, event or
// code; the genuine proofs are accepted and named on the timeline, the
// receipt page and the kept events as the server checked them.
func TestForgedDoorConfirmationsAreRefused(t *testing.T) {
	e := startServer(t, nil)
	e.addUser(app.NewUser{Username: "buuta3", Role: app.RoleCourier, OfficeCode: "BC-05443", FullName: "Bưu tá Ba"})
	var ns []string
	for i := 0; i < 6; i++ {
		n := e.newPickup(t, fmt.Sprintf("000.00.19.DOOR-%d", i))
		ns = append(ns, n)
	}
	c := e.courier("buuta1")
	docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}}
	collect := func(n string, extra map[string]any) map[string]any {
		d := map[string]any{"documents": docs, "seal_id": "NP-DOOR-1"}
		for k, v := range extra {
			d[k] = v
		}
		return ev("pickup.collected", n, d)
	}

	// A device's own claim that a check passed.
	res := refused(t, e, c, "asserted OTP", collect(ns[0], map[string]any{"method": "otp", "otp_verified": true}))
	if !strings.Contains(res[0].Error.Message, "Ứng dụng bưu tá cũ") || res[0].Error.Fields["data.otp_verified"] == "" {
		t.Errorf("asserted OTP: %+v", res[0].Error)
	}
	refused(t, e, c, "old signature shape", collect(ns[0], map[string]any{"method": "signature", "signature_sha256": c.signature(ns[0])}))
	refused(t, e, c, "a verdict set by the device",
		collect(ns[0], map[string]any{"proof": map[string]any{"method": "door_code", "commit": strings.Repeat("ab", 32), "checked_by": "server"}}))
	refused(t, e, c, "no proof", collect(ns[0], nil))

	// Door codes: none issued, wrong, for another stop, expired, a value
	// that is not the signed commitment.
	refused(t, e, c, "no code issued", withSecret(collect(ns[0], nil), "door_code", "123456"))
	code0 := c.doorCode(ns[0])
	code1 := c.doorCode(ns[1])
	res = refused(t, e, c, "wrong code", withSecret(collect(ns[0], nil), "door_code", otherCode(code0)))
	if !strings.Contains(res[0].Error.Message, "không đúng") {
		t.Errorf("wrong code reason: %+v", res[0].Error)
	}
	if code1 != code0 {
		refused(t, e, c, "another stop's code", withSecret(collect(ns[0], nil), "door_code", code1))
	}
	mismatch := withSecret(collect(ns[0], nil), "door_code", otherCode(code0))
	mismatch["secret"] = code0 // the right code, beside a commitment to another
	refused(t, e, c, "secret not the signed commitment", mismatch)
	if n := e.count(`SELECT d.attempts FROM door_codes d JOIN parcels p ON p.id = d.parcel_id WHERE p.tracking_number = ?`, ns[0]); n < 1 {
		t.Errorf("wrong codes not counted: %d", n)
	}
	e.tamper(`UPDATE door_codes SET expires_at = now() - interval '1 minute' FROM parcels p WHERE p.id = door_codes.parcel_id AND p.tracking_number = ?`, ns[1])
	res = refused(t, e, c, "expired code", withSecret(collect(ns[1], nil), "door_code", code1))
	if !strings.Contains(res[0].Error.Message, "hết hạn") {
		t.Errorf("expired code reason: %+v", res[0].Error)
	}

	// A signature hash with no stored image: refused, kept as pending
	// evidence, alarmed at the end of the shift.
	noImage := collect(ns[2], map[string]any{"proof": map[string]any{"method": "signature", "sha256": strings.Repeat("5e", 32)}})
	res = refused(t, e, c, "signature with no image", noImage)
	if res[0].Error.Code != "not_found" || !strings.Contains(res[0].Error.Message, "chưa nhận được ảnh") {
		t.Errorf("no image reason: %+v", res[0].Error)
	}
	if e.count(`SELECT count(*) FROM device_events WHERE id = ? AND status = 'rejected' AND error_code = 'evidence_pending'`, noImage["id"]) != 1 {
		t.Error("pending evidence not kept")
	}
	alarms := &app.Alarms{Store: e.db, Now: time.Now, Policy: app.DefaultAlarmPolicy()}
	if _, err := alarms.SweepAt(context.Background(), time.Now().Add(30*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if e.count(`SELECT count(*) FROM alarms WHERE kind = 'evidence_pending' AND subject = ? AND cleared_at IS NULL AND office_code = 'BC-05443'`, noImage["id"]) != 1 {
		t.Error("no alarm for the pending evidence at the end of the shift")
	}

	// The CCCD: another person's card, a QR that is not one, digits of
	// another number.
	refused(t, e, c, "another person's CCCD QR", withSecret(collect(ns[3], nil), "cccd_qr", cccdQR("019090009999")))
	refused(t, e, c, "not a CCCD QR", withSecret(collect(ns[3], nil), "cccd_qr", "019090001234"))
	refused(t, e, c, "wrong last digits", withSecret(collect(ns[3], nil), "id_digits", "999"))

	// Unsigned; signed with a key the server never registered; signed by
	// the device's previous key after the courier replaced it.
	unsigned := collect(ns[4], map[string]any{"proof": c.sigProof(ns[4])})
	unsigned["signature"] = ""
	refused(t, e, c, "unsigned", unsigned)
	oldPhone := c.phone
	early := c.sign(collect(ns[4], map[string]any{"proof": c.sigProof(ns[4])}))
	k2 := c.newKey()
	c.phone = k2
	res = refused(t, e, c, "signed by a revoked key", early)
	if !strings.Contains(res[0].Error.Message, "chữ ký") {
		t.Errorf("revoked key reason: %+v", res[0].Error)
	}
	if e.count(`SELECT count(*) FROM device_keys k JOIN users u ON u.id = k.user_id WHERE u.username = 'buuta1' AND revoked_at IS NOT NULL`) != 1 {
		t.Error("the replaced key is not kept as revoked")
	}
	stranger, _ := app.NewSoftDevice(oldPhone.ID, nil)
	c.phone = stranger
	refused(t, e, c, "signed by an unknown key", collect(ns[4], map[string]any{"proof": c.sigProof(ns[4])}))
	c.phone = k2

	// Replacing the key with only the bearer token, or a wrong password.
	keys := e.count(`SELECT count(*) FROM device_keys`)
	alg, key := stranger.PublicKey()
	if st, body := c.post("/api/v1/courier/device-key", map[string]string{"alg": alg, "public_key": key}); st != 400 || !strings.Contains(string(body), "mật khẩu") {
		t.Errorf("key with only the token: %d %s", st, body)
	}
	if st, _ := c.post("/api/v1/courier/device-key", map[string]string{"alg": alg, "public_key": key, "password": "sai-mat-khau-roi"}); st != 403 {
		t.Errorf("key with a wrong password: %d", st)
	}
	if e.count(`SELECT count(*) FROM device_keys`) != keys || e.count(`SELECT count(*) FROM audit_log WHERE action = 'device_key_refused'`) != 1 {
		t.Error("a refused key registration changed the keys or was not audited")
	}
	if e.count(`SELECT count(*) FROM audit_log WHERE action = 'device_key_registered'`) != 2 {
		t.Error("key registrations not audited")
	}

	// Another courier of the same office, on buuta1's stop: no code, no
	// image, no event.
	c3 := e.courier("buuta3")
	if st, _ := c3.post("/api/v1/courier/stops/"+ns[5]+"/code", nil); st != 403 {
		t.Errorf("door code for another courier's stop: %d", st)
	}
	if st, _ := c3.post("/api/v1/courier/evidence", map[string]string{"tracking_number": ns[5], "kind": "signature", "content_type": "image/png",
		"data": "iVBORw0KGgpvdGhlcg=="}); st != 403 {
		t.Errorf("image for another courier's stop: %d", st)
	}
	res = refused(t, e, c3, "another courier's stop", ev("pickup.attempt_failed", ns[5], map[string]any{"reason": "not_home"}))
	if res[0].Error.Code != "forbidden" {
		t.Errorf("another courier's stop: %+v", res[0].Error)
	}

	// The genuine proofs: each accepted, custody moves, the stored data
	// carries the server's verdict and nothing secret.
	ok := func(what string, evt map[string]any) {
		t.Helper()
		_, res := c.send(evt)
		wantStatuses(t, what, res, "accepted")
		if k, ref := e.custodian(evt["tracking_number"].(string)); k != "courier" || ref != "BUUTA1" {
			t.Fatalf("%s: custodian %s %s", what, k, ref)
		}
	}
	code0 = c.doorCode(ns[0])
	ok("door code", withSecret(collect(ns[0], nil), "door_code", code0))
	ok("signature", collect(ns[2], map[string]any{"proof": c.sigProof(ns[2])}))
	ok("CCCD QR", withSecret(collect(ns[3], nil), "cccd_qr", cccdQR("019090001234")))
	ok("last digits", withSecret(collect(ns[5], nil), "id_digits", "234"))
	if n := e.count(`SELECT count(*) FROM events WHERE type = 'pickup.collected' AND data->'proof'->>'checked_by' = 'server'`); n != 4 {
		t.Errorf("%d collections with the server's verdict, want 4", n)
	}
	if n := e.count(`SELECT count(*) FROM events WHERE data::text LIKE '%019090001234%' OR convert_from(device_signed, 'UTF8') LIKE '%019090001234%'
		OR convert_from(device_signed, 'UTF8') LIKE '%` + code0 + `%'`); n != 0 {
		t.Errorf("%d events carry a CCCD number or door code in clear", n)
	}
	for n, want := range map[string]string{ns[0]: "Công dân xác nhận bằng mã SMS.", ns[2]: "Công dân xác nhận bằng chữ ký.",
		ns[3]: "Công dân xác nhận bằng mã QR trên CCCD.", ns[5]: "Công dân xác nhận bằng 3 số cuối CCCD."} {
		if _, body := e.citizenPage(t, n, "5678"); !strings.Contains(body, want) {
			t.Errorf("timeline of %s lacks %q", n, want)
		}
		if n == ns[5] {
			want = "Công dân xác nhận bằng số CCCD." // the receipt names the method only
		}
		if _, body := e.get("/bien-nhan/" + e.receiptCodeOf(n)); !strings.Contains(string(body), want) || !strings.Contains(string(body), "Bằng chứng xác nhận") {
			t.Errorf("receipt page of %s lacks %q", n, want)
		}
	}
	if out, err := runVerify(t, e); err != nil || !strings.Contains(out, "OK") {
		t.Fatalf("verify: %v\n%s", err, out)
	}
	// The office sees the key registrations.
	if _, page := e.login("buucuc").get("/buu-cuc"); !strings.Contains(page, "Khóa thiết bị của bưu tá") || strings.Count(page, "BUUTA1") < 2 {
		t.Error("the office page does not show the couriers' device keys")
	}
}

// TestBatchContractUnderStress: the courier batch keeps its contract: the
// same event twenty times at once is one accepted and nineteen duplicates;
// invalid UTF-8, a non-UUID id, another sender's id, a future or impossible
// time or point are each refused by name and kept, the rest goes in;
// staff rejections are kept; an accepted confirmation recorded as a
// dispute says so; a province's dispatcher pages through every rejection
// of the province.
func TestBatchContractUnderStress(t *testing.T) {
	e := startServer(t, nil)
	moneyFixture(t, e) // buuta3 in BC-05443; an office and a dispatcher in Hà Nội
	c := e.courier("buuta1")
	var ns []string
	for i := 0; i < 4; i++ {
		ns = append(ns, e.newPickup(t, fmt.Sprintf("000.00.19.BATCH-%d", i)))
	}
	docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}, {"line": 3, "count": 2}}

	// Twenty identical uploads at once (a phone retrying): one accepted,
	// nineteen duplicates, never a rejection.
	code := c.doorCode(ns[0])
	same := c.sign(withSecret(ev("pickup.collected", ns[0], map[string]any{"documents": docs, "seal_id": "NP-20X"}), "door_code", code))
	body, _ := json.Marshal(map[string]any{"events": []any{same}})
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[string]int{}
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st, res := c.raw(body)
			mu.Lock()
			defer mu.Unlock()
			if st != 200 || len(res) != 1 {
				statuses[fmt.Sprintf("HTTP %d", st)]++
				return
			}
			s := res[0].Status
			if res[0].Error != nil {
				s += " (" + res[0].Error.Message + ")"
			}
			statuses[s]++
		}()
	}
	wg.Wait()
	if statuses["accepted"] != 1 || statuses["duplicate"] != 19 {
		t.Fatalf("20 identical uploads at once: %v", statuses)
	}
	if e.count(`SELECT count(*) FROM events WHERE id = ?`, same["id"]) != 1 || e.count(`SELECT count(*) FROM device_events WHERE id = ?`, same["id"]) != 1 {
		t.Fatal("the event or its submission is not there exactly once")
	}

	// Invalid UTF-8 in any field, beside a good event: 200, the bad ones
	// rejected by name and kept, the good one accepted.
	e.assign("buuta1", ns[1])
	good := c.sign(ev("pickup.attempt_failed", ns[1], map[string]any{"reason": "not_home"}))
	goodRaw, _ := json.Marshal(good)
	badNote := c.sign(ev("pickup.attempt_failed", ns[1], map[string]any{"reason": "other", "note": "x"}))
	badNoteRaw, _ := json.Marshal(badNote)
	badNoteRaw = bytes.Replace(badNoteRaw, []byte(`"note":"x"`), []byte("\"note\":\"\xff\xfe\""), 1)
	badID := []byte("{\"id\":\"\xc3\x28-not-utf8\",\"type\":\"pickup.attempt_failed\",\"tracking_number\":\"" + ns[1] + "\",\"at\":\"" + time.Now().Format(time.RFC3339) + "\",\"data\":{\"reason\":\"not_home\"}}")
	badNumber := []byte("{\"id\":\"" + uuid.NewString() + "\",\"type\":\"pickup.attempt_failed\",\"tracking_number\":\"EA\xe0\x80\x80\",\"at\":\"" + time.Now().Format(time.RFC3339) + "\",\"data\":{}}")
	keptBefore := e.count(`SELECT count(*) FROM device_events WHERE status = 'rejected'`)
	raw := []byte(`{"events":[` + string(badNoteRaw) + `,` + string(badID) + `,` + string(goodRaw) + `,` + string(badNumber) + `]}`)
	st, res := c.raw(raw)
	if st != 200 {
		t.Fatalf("invalid UTF-8 batch: HTTP %d", st)
	}
	wantStatuses(t, "invalid UTF-8 batch", res, "rejected", "rejected", "accepted", "rejected")
	if res[0].ID != badNote["id"] || !strings.Contains(res[0].Error.Message, "UTF-8") {
		t.Errorf("invalid note: %+v", res[0])
	}
	if got := e.count(`SELECT count(*) FROM device_events WHERE status = 'rejected'`); got != keptBefore+3 {
		t.Errorf("kept %d of the 3 invalid events", got-keptBefore)
	}
	if e.count(`SELECT count(*) FROM device_events WHERE client_id LIKE '%-not-utf8'`) != 1 {
		t.Error("the invalid id is not kept under a server-made id")
	}
	// A staff page's batch with invalid UTF-8 likewise, and its rejection
	// is kept.
	office := e.login("buucuc")
	st, res = office.rawEvents([]byte("{\"events\":[{\"id\":\"" + uuid.NewString() + "\",\"type\":\"handoff.confirmed\",\"tracking_number\":\"" + ns[2] +
		"\",\"at\":\"" + time.Now().Format(time.RFC3339) + "\",\"data\":{\"note\":\"\xff\"}}]}"))
	if st != 200 || len(res) != 1 || res[0].Status != "rejected" {
		t.Fatalf("staff invalid UTF-8: %d %+v", st, res)
	}
	if e.count(`SELECT count(*) FROM device_events de JOIN users u ON u.id = de.user_id WHERE u.username = 'buucuc' AND de.status = 'rejected' AND de.device_id = ''`) != 1 {
		t.Error("the staff rejection is not kept")
	}
	res = office.events(ev("handoff.confirmed", ns[2], map[string]any{"seal_intact": true}))
	wantStatuses(t, "staff confirmation of nothing", res, "rejected")
	if e.count(`SELECT count(*) FROM device_events de JOIN users u ON u.id = de.user_id WHERE u.username = 'buucuc' AND de.status = 'rejected'`) != 2 {
		t.Error("a staff rejection is dropped")
	}

	// A non-UUID id: refused, kept under a server-made id.
	nonUUID := ev("pickup.attempt_failed", ns[1], map[string]any{"reason": "not_home"})
	nonUUID["id"] = "su-kien-1"
	refused(t, e, c, "non-UUID id", nonUUID)
	if e.count(`SELECT count(*) FROM device_events WHERE client_id = 'su-kien-1' AND status = 'rejected'`) != 1 {
		t.Error("the non-UUID event is not kept")
	}

	// Another courier reusing buuta1's event id on their own stop: not a
	// duplicate (they never sent it), a distinct rejection.
	c3 := e.courier("buuta3")
	e.assign("buuta3", ns[3])
	reuse := ev("pickup.attempt_failed", ns[3], map[string]any{"reason": "not_home"})
	reuse["id"] = good["id"]
	res = refused(t, e, c3, "another courier's event id", reuse)
	if res[0].Error.Code != "conflict" || !strings.Contains(res[0].Error.Message, "đã được dùng") {
		t.Errorf("reused id: %+v", res[0].Error)
	}
	if e.count(`SELECT count(*) FROM device_events WHERE client_id = ? AND status = 'rejected'`, good["id"]) != 1 {
		t.Error("the reused id's event is not kept beside the original")
	}

	// Device times and points the server refuses.
	ahead := ev("pickup.attempt_failed", ns[3], map[string]any{"reason": "not_home"})
	ahead["at"] = time.Now().Add(4 * time.Hour).Format(time.RFC3339)
	before := ev("pickup.attempt_failed", ns[3], map[string]any{"reason": "not_home"})
	before["at"] = time.Now().Add(-2 * time.Hour).Format(time.RFC3339)
	lat := ev("pickup.attempt_failed", ns[3], map[string]any{"reason": "not_home"})
	lat["lat"] = 91.5
	lng := ev("pickup.attempt_failed", ns[3], map[string]any{"reason": "not_home"})
	lng["lng"] = -180.01
	res = refused(t, e, c3, "future time, before the parcel, latitude, longitude", ahead, before, lat, lng)
	for i, f := range []string{"at", "at", "lat", "lng"} {
		if res[i].Error.Fields[f] == "" {
			t.Errorf("event %d: no reason on %s: %+v", i, f, res[i].Error)
		}
	}

	// A confirmation that finds a difference is accepted as a dispute and
	// says so.
	_, res = c3.send(ev("pickup.attempt_failed", ns[3], map[string]any{"reason": "not_home"}),
		ev("pickup.collected", ns[3], map[string]any{"documents": docs, "seal_id": "NP-30X", "proof": c3.sigProof(ns[3])}),
		ev("handoff.released", ns[3], map[string]any{"to": "post_office:BC-05443"}))
	wantStatuses(t, "buuta3 collects and releases", res, "accepted", "accepted", "accepted")
	res = office.events(ev("handoff.confirmed", ns[3], map[string]any{"seal_intact": false}))
	if len(res) != 1 || res[0].Status != "accepted" || res[0].RecordedAs != "dispute" {
		t.Fatalf("confirmation with a broken seal: %+v", res)
	}

	// A province's dispatcher pages through every rejection of the
	// province (couriers and staff, every office); another province's are
	// not among them.
	hn := e.login("buucuchn")
	hn.events(ev("handoff.confirmed", ns[2], map[string]any{"seal_intact": true}))
	var many []map[string]any
	for i := 0; i < 105; i++ {
		bad := ev("pickup.attempt_failed", ns[1], map[string]any{"reason": "nobody"})
		many = append(many, bad)
	}
	c.send(many...)
	total := e.count(`SELECT count(*) FROM device_events WHERE status = 'rejected' AND province_code = '19'`)
	if total < 115 {
		t.Fatalf("only %d rejections in province 19", total)
	}
	disp := e.login("dieuphoi")
	_, page := disp.get("/nhan-vien/canh-bao")
	if !strings.Contains(page, fmt.Sprintf("Sự kiện bị từ chối (%d)", total)) || !strings.Contains(page, "tu_choi=100") {
		t.Fatalf("dispatcher's first page of rejections: %.3000s", section(t, page, `<h2 id="tu-choi"`, "</nav>"))
	}
	_, page2 := disp.get("/nhan-vien/canh-bao?tu_choi=100")
	second := section(t, page2, `<h2 id="tu-choi"`, "</table>")
	if strings.Count(second, `data-label="Lúc nhận"`) != total-100 || !strings.Contains(page2, "tu_choi=0") || !strings.Contains(second, "BUUCUC · BC-05443") {
		t.Errorf("second page of rejections (%d rows, want %d, with the office's): %.2000s", strings.Count(second, `data-label="Lúc nhận"`), total-100, second)
	}
	if strings.Contains(page, "BUUCUCHN") || strings.Contains(page2, "BUUCUCHN") {
		t.Error("a Hà Nội office's rejection shown to Thái Nguyên's dispatcher")
	}
}

// raw posts a body as is to the courier batch endpoint.
func (c *courierClient) raw(body []byte) (int, []syncResult) {
	c.t.Helper()
	req, _ := http.NewRequest("POST", c.base+"/api/v1/courier/events", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Error(err)
		return 0, nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out struct{ Results []syncResult }
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out.Results
}

// rawEvents posts a body as is to the staff batch endpoint.
func (s *staffClient) rawEvents(body []byte) (int, []syncResult) {
	s.t.Helper()
	req, _ := http.NewRequest("POST", s.base+"/api/v1/staff/events", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CSRF-Token", s.csrf)
	resp, err := s.c.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out struct{ Results []syncResult }
	_ = json.Unmarshal(b, &out)
	return resp.StatusCode, out.Results
}

// TestVerifyDetectsDeviceTampering: `hoso verify` re-checks every device
// signature against the key that was live: an edited signature, edited
// signed bytes, an edited key row, or a courier event rewritten with its
// whole chain recomputed are each found.
func TestVerifyDetectsDeviceTampering(t *testing.T) {
	for _, tt := range []struct{ name, sql, want string }{
		{"edited signature", `UPDATE events SET device_signature = decode(repeat('00', 64), 'hex') WHERE type = 'pickup.collected' AND parcel_id = (SELECT id FROM parcels WHERE tracking_number = '%s')`,
			"content does not match its hash"},
		{"edited signed bytes", `UPDATE events SET device_signed = convert_to(replace(convert_from(device_signed, 'UTF8'), 'NP-10', 'NP-99'), 'UTF8') WHERE type = 'pickup.collected' AND parcel_id = (SELECT id FROM parcels WHERE tracking_number = '%s')`,
			"content does not match its hash"},
		{"edited key row", `UPDATE device_keys SET public_key = overlay(public_key placing '\x00'::bytea from 40 for 1) WHERE id = (SELECT device_key_id FROM events WHERE type = 'pickup.collected' AND parcel_id = (SELECT id FROM parcels WHERE tracking_number = '%s'))`,
			"content does not match its hash"},
		{"key revoked before the event", `UPDATE device_keys SET revoked_at = created_at WHERE id = (SELECT device_key_id FROM events WHERE type = 'pickup.collected' AND parcel_id = (SELECT id FROM parcels WHERE tracking_number = '%s'))`,
			"was not live"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e, ns := tamperFixture(t)
			if out, err := runVerify(t, e); err != nil || !strings.Contains(out, "OK") {
				t.Fatalf("clean ledger: %v\n%s", err, out)
			}
			tamper(t, e, fmt.Sprintf(tt.sql, ns[1]))
			out, err := runVerify(t, e)
			// (A key signs every parcel's events: its revocation breaks the
			// first parcel checked, not necessarily ns[1]; so does an edit of it.)
			if err == nil || !strings.Contains(out, "BROKEN") || !strings.Contains(out, tt.want) || (!strings.Contains(tt.name, "key") && !strings.Contains(out, ns[1])) {
				t.Fatalf("verify after %s = %v\n%s", tt.name, err, out)
			}
			t.Logf("%s → %s", tt.name, strings.TrimSpace(out))
		})
	}
	// A courier's event rewritten and its chain recomputed (hashes and head
	// consistent): the signature no longer covers what is stored.
	e, ns := tamperFixture(t)
	ctx := context.Background()
	p, _ := e.db.FindParcelByNumber(ctx, ns[1])
	evs, _ := e.db.FindEvents(ctx, p.ID)
	var sql strings.Builder
	var prev []byte
	for i := range evs {
		if evs[i].Type == "pickup.attempt_failed" {
			evs[i].Data = []byte(`{"reason":"refused"}`)
		}
		evs[i].Seal(i, prev)
		prev = evs[i].Hash
		fmt.Fprintf(&sql, "UPDATE events SET data = '%s', prev_hash = '\\x%x', hash = '\\x%x' WHERE id = '%s';", evs[i].Data, evs[i].PrevHash, evs[i].Hash, evs[i].ID)
	}
	fmt.Fprintf(&sql, "UPDATE parcels SET last_hash = '\\x%x' WHERE id = '%s'", prev, p.ID)
	tamper(t, e, sql.String())
	if out, err := runVerify(t, e); err == nil || !strings.Contains(out, "device signature check failed") || !strings.Contains(out, `{"reason":"refused"}`) {
		t.Fatalf("verify after rewriting a signed event: %v\n%s", err, out)
	}
}
