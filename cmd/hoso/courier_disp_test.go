package main

import (
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"hoso/internal/demo"
)

// TestCourierAppDispositions: in the courier app (Chromium, 360 px), the
// courier collects a pickup whose lines are an original carried, one
// shown and handed back, one scanned and kept with a photo taken on the
// phone; then another with the network gone at the door and flaky when it
// comes back (its second line not brought: not needed, in VNeID). The ledger's collection has each line's disposition and the
// scan's SHA-256 the app computed, the server keeps that scan for that
// line, the desk expects only the original, and the scan always reached the
// server before the event that names it.
func TestCourierAppDispositions(t *testing.T) {
	e := startServer(t, nil)
	numbers := e.courierDay(t, "QUET", 2)
	res := e.browser("courier-disp", map[string]any{
		"username": "buuta1", "password": "mat-khau-buuta1", "numbers": numbers,
		// Two pages: the server keeps one scan per content, for one line.
		"pngs": []string{base64.StdEncoding.EncodeToString(demo.SignaturePNG("trang giấy tờ chụp tại cửa 1")),
			base64.StdEncoding.EncodeToString(demo.SignaturePNG("trang giấy tờ thứ hai, chụp khi mất mạng"))},
	})
	type collected struct {
		ID        string `json:"id"`
		SHA       string `json:"sha"`
		Documents []struct {
			Line        int    `json:"line"`
			Count       int    `json:"count"`
			Disposition string `json:"disposition"`
			ScanSHA256  string `json:"scan_sha256"`
		} `json:"documents"`
	}
	var out struct {
		Online  collected `json:"online"`
		Offline collected `json:"offline"`
		Log     []struct {
			What    string   `json:"what"`
			Numbers []string `json:"numbers"`
			OK      *bool    `json:"ok"`
		} `json:"log"`
	}
	if err := json.Unmarshal(res, &out); err != nil {
		t.Fatalf("result %s: %v", res, err)
	}
	for i, c := range []collected{out.Online, out.Offline} {
		n := numbers[i]
		if len(c.SHA) != 64 || c.ID == "" {
			t.Fatalf("%s: event %q, scan %q", n, c.ID, c.SHA)
		}
		// The ledger's event: the three dispositions, the scan named.
		var data struct {
			Documents []struct {
				Line        int    `json:"line"`
				Count       int    `json:"count"`
				Disposition string `json:"disposition"`
				ScanSHA256  string `json:"scan_sha256"`
			} `json:"documents"`
		}
		rows, err := e.db.PairsForTest(t.Context(), `SELECT e.id::text, e.data::text FROM events e JOIN parcels p ON p.id = e.parcel_id
			WHERE e.id = ? AND p.tracking_number = ? AND e.type = 'pickup.collected'`, c.ID, n)
		if err != nil || len(rows) != 1 {
			t.Fatalf("%s: the collection %s is not in the ledger once: %v %v", n, c.ID, rows, err)
		}
		raw := rows[0][1]
		if err := json.Unmarshal([]byte(raw), &data); err != nil || len(data.Documents) != 3 {
			t.Fatalf("%s: event data %s: %v", n, raw, err)
		}
		want := []struct {
			disp  string
			count int
		}{{"original", 1}, {"shown", 0}, {"scanned", 0}}
		if i == 1 {
			want[1].disp = "not_needed" // not brought: the data is in VNeID
		}
		for j, w := range want {
			d := data.Documents[j]
			if d.Line != j+1 || d.Disposition != w.disp || d.Count != w.count {
				t.Errorf("%s line %d: %+v, want %s with %d copies", n, j+1, d, w.disp, w.count)
			}
		}
		if data.Documents[2].ScanSHA256 != c.SHA || data.Documents[0].ScanSHA256 != "" || data.Documents[1].ScanSHA256 != "" {
			t.Errorf("%s: the event names scans %+v, the app computed %s for line 3", n, data.Documents, c.SHA)
		}
		// The scan is kept, sealed, for that parcel and line, its hash the
		// one the app computed over the bytes it sent; audited.
		if got := e.count(`SELECT count(*) FROM document_scans d JOIN parcels p ON p.id = d.parcel_id
			WHERE p.tracking_number = ? AND d.line = 3 AND encode(d.sha256, 'hex') = ? AND d.content_type = 'image/jpeg' AND length(d.body_sealed) > d.size`, n, c.SHA); got != 1 {
			t.Errorf("%s: %d kept scans of line 3 with the event's hash, want 1", n, got)
		}
		if got := e.count(`SELECT count(*) FROM audit_log WHERE action = 'dropoff.scan_saved' AND subject = ?`, n); got < 1 {
			t.Errorf("%s: the scan upload is not audited", n)
		}
		// The desk expects only the original: the lines not carried are 0.
		if got := e.count(`SELECT count(*) FROM parcel_documents d JOIN parcels p ON p.id = d.parcel_id WHERE p.tracking_number = ?
			AND ((d.line = 1 AND d.collected_count = 1 AND d.disposition = 'original')
			  OR (d.line = 2 AND d.collected_count = 0 AND d.disposition = ?)
			  OR (d.line = 3 AND d.collected_count = 0 AND d.disposition = 'scanned'))`, n, want[1].disp); got != 3 {
			t.Errorf("%s: %d document lines as the desk expects them, want 3", n, got)
		}
		if k, ref := e.custodian(n); k != "courier" || ref != "BUUTA1" {
			t.Errorf("%s held by %s %s", n, k, ref)
		}
		// The scan went out, and was taken, before any batch naming the
		// parcel; the offline pickup's first upload was lost on the way.
		scanOK, lost := -1, 0
		for j, l := range out.Log {
			has := false
			for _, x := range l.Numbers {
				has = has || x == n
			}
			if !has {
				continue
			}
			switch {
			case l.What == "scan" && l.OK != nil && *l.OK && scanOK < 0:
				scanOK = j
			case l.What == "scan" && (l.OK == nil || !*l.OK):
				lost++
			case l.What == "events" && scanOK < 0:
				t.Errorf("%s: events sent before its scan was taken: %+v", n, out.Log)
			}
		}
		if scanOK < 0 {
			t.Errorf("%s: no scan upload seen: %+v", n, out.Log)
		}
		if i == 1 && lost != 1 {
			t.Errorf("%s: %d lost uploads, want the one dropped on purpose", n, lost)
		}
	}
	if t.Failed() {
		t.Logf("requests: %+v", out.Log)
	}
	// The courier takes the first bag to the desk: the desk's count form
	// marks the two lines not carried and counts only the original.
	n := numbers[0]
	_, sent := e.courier("buuta1").send(ev("handoff.released", n, map[string]any{"to": "desk:TN-TTPVHCC"}))
	wantStatuses(t, "courier → desk", sent, "accepted")
	desk := e.login("motcua")
	if st, page := desk.get("/mot-cua/kiem-dem/" + n); st != 200 || strings.Count(page, "Không có bản gốc trong bì") != 2 {
		t.Errorf("the desk's count form: %d, want the two lines not carried marked\n%s", st, tail(page, 800))
	}
	if _, page := desk.postForm("/mot-cua/nhan", url.Values{"so": {n}, "dem": {"1"}, "seal": {"intact"}, "seal_id": {"NP-QUET-001"},
		"count_1": {"1"}, "count_2": {"0"}, "count_3": {"0"}}); !strings.Contains(page, `data-scan="ok"`) {
		t.Errorf("the desk counting the carried original: %s", tail(page, 800))
	}
	if k, _ := e.custodian(n); k != "desk" || e.count(`SELECT count(*) FROM incidents`) != 0 {
		t.Errorf("after the desk's count: held by %s, %d incidents", k, e.count(`SELECT count(*) FROM incidents`))
	}
	if o, err := runVerify(t, e); err != nil || !strings.Contains(o, "OK") {
		t.Errorf("verify: %v\n%s", err, o)
	}
}

// TestDoorDispositionUnknown: a collection at the door naming a
// disposition the server does not know is refused, the field named, and
// changes nothing.
func TestDoorDispositionUnknown(t *testing.T) {
	e := startServer(t, nil)
	n := e.dropoffPickup(t, e.portal(), "000.00.19.CUA-0009", "05443", 21.5942, 105.8482)
	e.assign("buuta1", n)
	c := e.courier("buuta1")
	docs := []map[string]any{{"line": 1, "count": 1, "disposition": "original"}, {"line": 2, "count": 0, "disposition": "burnt"},
		{"line": 3, "count": 2, "disposition": "original"}}
	_, res := c.send(ev("pickup.collected", n, map[string]any{"documents": docs, "seal_id": "NP-CUA-9", "proof": c.sigProof(n)}))
	wantStatuses(t, "unknown disposition", res, "rejected")
	if res[0].Error == nil || !strings.Contains(res[0].Error.Fields["data.documents[1].disposition"], "chọn") {
		t.Errorf("the refusal does not name the line's disposition: %+v", res[0].Error)
	}
	if k, _ := e.custodian(n); k != "citizen" {
		t.Errorf("custody moved on an unknown disposition: %s", k)
	}
	if got := e.count(`SELECT count(*) FROM events e JOIN parcels p ON p.id = e.parcel_id WHERE p.tracking_number = ? AND e.type = 'pickup.collected'`, n); got != 0 {
		t.Errorf("%d collections in the ledger", got)
	}
}
