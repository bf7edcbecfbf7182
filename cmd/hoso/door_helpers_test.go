package main

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"hoso/internal/app"
	"hoso/internal/demo"
	"hoso/tracking"
)

// plan schedules a pickup for a courier today (pickup.scheduled by the
// dispatcher, as a published plan does): a courier acts only on the stops
// planned for them.
func (e *testEnv) plan(number, username string) {
	e.t.Helper()
	vn := time.FixedZone("ICT", 7*3600)
	now := time.Now().In(vn)
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, vn)
	ws, we := day.Add(8*time.Hour), day.Add(10*time.Hour)
	staff := strings.ToUpper(username)
	data, _ := json.Marshal(tracking.Scheduled{Courier: staff, Office: "BC-05443", Date: day.Format("2006-01-02"),
		WindowStart: ws.Format(time.RFC3339), WindowEnd: we.Format(time.RFC3339), Stop: 1})
	if _, _, err := e.sys.ledger.RecordByNumber(context.Background(), number, app.EventInput{Type: tracking.PickupScheduled,
		Actor: tracking.Party{Kind: tracking.PartyDispatcher, Ref: "DIEUPHOI"}, Data: data,
		Schedule: &app.Schedule{Courier: staff, Office: "BC-05443", Date: day, WindowStart: ws, WindowEnd: we, Stop: 1}}); err != nil {
		e.t.Fatalf("plan %s for %s: %v", number, username, err)
	}
}

// imageSeq makes every test signature image different.
var imageSeq atomic.Int64

// signature uploads a citizen's drawn signature (a unique PNG) for a parcel
// and returns its SHA-256.
func (c *courierClient) signature(number string) string {
	c.t.Helper()
	png := demo.SignaturePNG(fmt.Sprintf("%s %s %d", c.username, number, imageSeq.Add(1)))
	code, body := c.post("/api/v1/courier/evidence", map[string]string{"tracking_number": number, "kind": "signature",
		"content_type": "image/png", "data": base64.StdEncoding.EncodeToString(png)})
	if code != 201 {
		c.t.Fatalf("signature image for %s: %d %s", number, code, body)
	}
	var out struct {
		SHA256 string `json:"sha256"`
	}
	if err := json.Unmarshal(body, &out); err != nil || len(out.SHA256) != 64 {
		c.t.Fatalf("signature image answer: %s", body)
	}
	return out.SHA256
}

// sigProof uploads a signature for a parcel and returns the proof that
// names it, as the app signs it.
func (c *courierClient) sigProof(number string) map[string]any {
	c.t.Helper()
	return map[string]any{"method": tracking.ProofSignature, "sha256": c.signature(number)}
}

// withSecret sets an event's proof commitment to a secret value (a door
// code, a CCCD QR text, typed digits) and the value beside the signed
// fields, as the app does.
func withSecret(ev map[string]any, method, value string) map[string]any {
	data := ev["data"].(map[string]any)
	data["proof"] = map[string]any{"method": method, "commit": tracking.ProofCommit(ev["id"].(string), value)}
	ev["secret"] = value
	return ev
}

// assign puts stops on a courier's route without a schedule event (test
// set-up for tests about later steps, whose counts of events and
// callbacks do not include a schedule): the parcel's planned courier, as a
// published plan leaves it.
func (e *testEnv) assign(username string, numbers ...string) {
	e.t.Helper()
	for _, n := range numbers {
		if err := e.db.ExecForTest(context.Background(), `UPDATE parcels SET courier_ref = ? WHERE tracking_number = ?`, strings.ToUpper(username), n); err != nil {
			e.t.Fatal(err)
		}
	}
}

// doorCodeText is a door code SMS.
var doorCodeText = regexp.MustCompile(`Ma xac nhan (\d{6}) de [a-z ]+ ([A-Z]{2}\d{9}[A-Z]{2})\.`)

// doorCode asks the server to text the citizen of a stop a door code and
// returns it, read from the demo SMS inbox (the citizen reads it out).
func (c *courierClient) doorCode(number string) string {
	c.t.Helper()
	if code, body := c.post("/api/v1/courier/stops/"+number+"/code", nil); code != 204 {
		c.t.Fatalf("door code for %s: %d %s", number, code, body)
	}
	ms, err := c.e.db.FindSMS(context.Background(), 50)
	if err != nil {
		c.t.Fatal(err)
	}
	for _, m := range ms {
		if g := doorCodeText.FindStringSubmatch(m.Body); g != nil && g[2] == number {
			return g[1]
		}
	}
	c.t.Fatalf("no door code SMS for %s among the latest %d", number, len(ms))
	return ""
}
