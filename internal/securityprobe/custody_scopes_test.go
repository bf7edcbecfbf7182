package securityprobe_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"strings"
	"testing"

	"hoso/tracking"
)

// TestProbeCustodyScopes: issue 15 item 9 and its low finding on desks,
// fixed by the evidence and counter work (issue 14): an office releases
// only to its own couriers; a desk's refused hand-off of another desk's
// parcel writes no manifest and tells nothing of the parcel; a courier
// triggers a door code or uploads evidence only for their own stop.
func TestProbeCustodyScopes(t *testing.T) {
	w := newWorld(t, worldOpts{env: map[string]string{"HOSO_LOGIN_RATE_PER_MIN": "1000", "HOSO_PUBLIC_RATE_PER_MIN": "10000"}})
	b1, b3, b2 := w.courier(150, "buuta1"), w.courier(151, "buuta3"), w.courier(154, "buuta2")
	office := w.staff(152, "buucuc")

	// A stop of BUUTA1 (assigned by the dispatcher; set here directly): only
	// BUUTA1 triggers its door code or uploads its evidence.
	p2, _ := w.portalPickup("000.00.19.SCOPE-2", "0912345678")
	if err := w.db.ExecForTest(t.Context(), `UPDATE parcels SET courier_ref = 'BUUTA1' WHERE tracking_number = ?`, p2); err != nil {
		t.Fatal(err)
	}
	jpeg := base64.StdEncoding.EncodeToString([]byte{0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 'J', 'F', 'I', 'F', 0, 1, 0xff, 0xd9})
	evidence := map[string]string{"tracking_number": p2, "kind": "photo", "content_type": "image/jpeg", "data": jpeg}
	for _, other := range []struct {
		name string
		k    *courier
	}{{"BUUTA3 (same office)", b3}, {"BUUTA2 (another office)", b2}} {
		if r := other.k.post("/api/v1/courier/stops/"+p2+"/code", nil); r.status != 403 {
			t.Errorf("%s triggers the door code of BUUTA1's stop: %d, want 403", other.name, r.status)
		}
		if r := other.k.post("/api/v1/courier/evidence", evidence); r.status != 403 {
			t.Errorf("%s uploads evidence for BUUTA1's stop: %d, want 403", other.name, r.status)
		}
	}
	if r := b1.post("/api/v1/courier/stops/"+p2+"/code", nil); r.status != 204 {
		t.Errorf("BUUTA1's own stop's door code: %d %s", r.status, r.body)
	}
	if r := b1.post("/api/v1/courier/evidence", evidence); r.status != 201 {
		t.Errorf("BUUTA1's own stop's evidence: %d %s", r.status, r.body)
	}

	// An office's run goes to its own couriers only. BUUTA1 collects a
	// stop of theirs with the citizen's signature and releases it to the
	// office, which states the seal it reads.
	p1, _ := w.portalPickup("000.00.19.SCOPE-1", "0912345678")
	if err := w.db.ExecForTest(t.Context(), `UPDATE parcels SET courier_ref = 'BUUTA1' WHERE tracking_number = ?`, p1); err != nil {
		t.Fatal(err)
	}
	var sig struct{ SHA256 string }
	if r := b1.post("/api/v1/courier/evidence", map[string]string{"tracking_number": p1, "kind": "signature", "content_type": "image/png",
		"data": base64.StdEncoding.EncodeToString(signaturePNG(t))}); r.status != 201 || json.Unmarshal([]byte(r.body), &sig) != nil {
		t.Fatalf("signature image: %d %s", r.status, r.body)
	}
	docs := []map[string]any{{"line": 1, "count": 1}, {"line": 2, "count": 1}}
	if st := b1.send(b1.event("pickup.collected", p1, map[string]any{"documents": docs, "seal_id": "NP-2001",
		"proof": map[string]any{"method": tracking.ProofSignature, "sha256": sig.SHA256}}),
		b1.event("handoff.released", p1, map[string]any{"to": "post_office:BC-05443"})); strings.Join(st, ",") != "accepted,accepted" {
		t.Fatalf("collect and release to the office: %v", st)
	}
	if r := office.form("/buu-cuc", "/buu-cuc/nhan", url.Values{"so": {p1}, "seal": {"intact"}, "seal_id": {"NP-2001"}}); r.status != 303 ||
		w.count(`SELECT count(*) FROM parcels WHERE tracking_number = ? AND custodian_kind = 'post_office'`, p1) != 1 {
		t.Fatalf("office scan: %d %.300s", r.status, r.body)
	}
	released := func(to string) int {
		return w.count(`SELECT count(*) FROM events e JOIN parcels p ON p.id = e.parcel_id WHERE p.tracking_number = ?
			AND e.type = 'handoff.released' AND e.data::text LIKE ?`, p1, "%"+to+"%")
	}
	office.form("/buu-cuc", "/buu-cuc/chuyen", url.Values{"numbers": {p1}, "courier": {"BUUTA2"}})
	if n := released("BUUTA2"); n != 0 {
		t.Errorf("office BC-05443 released a parcel to BUUTA2, a courier of BC-05488 (%d releases)", n)
	}
	if r := office.form("/buu-cuc", "/buu-cuc/chuyen", url.Values{"numbers": {p1}, "courier": {"BUUTA1"}}); r.status != 303 || released("BUUTA1") != 1 {
		t.Fatalf("office release to its own courier: %d, %d releases", r.status, released("BUUTA1"))
	}

	// Desk A takes it (seal stated, documents counted blind); desk B's
	// hand-off of it is refused without a manifest and without telling
	// where the parcel is.
	if st := b1.send(b1.event("handoff.confirmed", p1, map[string]any{"seal_intact": true}),
		b1.event("handoff.released", p1, map[string]any{"to": "desk:TN-TTPVHCC"})); strings.Join(st, ",") != "accepted,accepted" {
		t.Fatalf("run to the desk: %v", st)
	}
	deskA := w.staff(153, "motcua")
	if r := deskA.form("/mot-cua", "/mot-cua/nhan", url.Values{"so": {p1}, "seal": {"intact"}, "seal_id": {"NP-2001"}, "dem": {"1"},
		"count_1": {"1"}, "count_2": {"1"}}); r.status != 303 || w.count(`SELECT count(*) FROM parcels WHERE tracking_number = ? AND custodian_kind = 'desk'`, p1) != 1 {
		t.Fatalf("desk A count: %d %.300s", r.status, r.body)
	}
	deskB := w.staff(155, "motcuaxa")
	manifests := w.count(`SELECT count(*) FROM manifests`)
	r := deskB.form("/mot-cua", "/mot-cua/chuyen", url.Values{"numbers": {p1}, "courier": {"BUUTA1"}})
	if r.status == 303 {
		r = deskB.get(r.location())
	}
	if n := w.count(`SELECT count(*) FROM manifests`); n != manifests {
		t.Errorf("desk B's refused hand-off of desk A's parcel made %d manifest(s)", n-manifests)
	}
	if strings.Contains(r.body, tracking.Status("at_desk").Label()) || strings.Contains(r.body, "TN-TTPVHCC") || strings.Contains(r.body, "at_desk") {
		t.Errorf("desk B's refusal tells where desk A's parcel is: %.400s", r.body)
	}

}

// signaturePNG is a small drawn signature, as the courier app uploads.
func signaturePNG(t *testing.T) []byte {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, 64, 24))
	for x := 4; x < 60; x++ {
		img.SetGray(x, 12+(x%7)-3, color.Gray{Y: 0xff})
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
