package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"hoso/internal/notify"
	"hoso/internal/vntext"
)

// TestNoVisitorTextInNotifications: a request made through the citizen's
// form carries a dossier code the visitor typed; the messages about it name
// the parcel by its tracking number and never quote that code. A portal's
// dossier code is still named.
func TestNoVisitorTextInNotifications(t *testing.T) {
	e := startServer(t, nil)
	o := e.sys.outbox
	o.stop()
	// The relay's clock is frozen after every row this test writes (rows
	// are due when written, on the server's real clock): a clock frozen at
	// noon held every message back when the test ran after noon.
	later := time.Now().Add(30 * time.Minute)
	clock := func() time.Time { return later }
	o.notifier.Now, o.notifier.Quiet, o.notifier.PerDay = clock, notify.QuietHours{Off: true}, 0
	r := o.newRelay(nil)
	r.Now = clock
	ctx := context.Background()

	const lure = "GOI 0900000000 NHAN QUA"
	n := citizenFlow(t, e, lure, "0966000001", "019090001111")
	p, err := e.db.FindParcelByNumber(ctx, n)
	if err != nil {
		t.Fatal(err)
	}
	collect(t, e, p.ID, "buuta1")
	rr := e.portal().do("POST", "/api/v1/portal/pickups", mustJSON(t, validBody("000.00.19.NAMED-1")), "named-1")
	var created map[string]string
	rr.json(t, &created)
	collect(t, e, created["id"], "buuta1")
	for i := 0; i < 4; i++ {
		if _, err := r.Step(ctx); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := e.db.FindSMS(ctx, 20)
	if err != nil {
		t.Fatal(err)
	}
	var citizen, portal string
	for _, m := range msgs {
		switch m.PhoneLast3 {
		case "001":
			if !strings.HasPrefix(m.Body, "Ma xac nhan") {
				citizen = m.Body
			}
		case "678":
			portal = m.Body
		}
		up := strings.ToUpper(vntext.Fold(m.Body))
		if strings.Contains(up, "GOI 0900") || strings.Contains(m.Body, "0900000000") || strings.Contains(up, "NHAN QUA") {
			t.Errorf("a message quotes the visitor's dossier code: %q", m.Body)
		}
	}
	if citizen == "" || !strings.Contains(citizen, n) {
		t.Errorf("the citizen's message does not name the parcel %s: %q", n, citizen)
	}
	if !strings.Contains(portal, "000.00.19.NAMED-1") {
		t.Errorf("the portal dossier's message lost its code: %q", portal)
	}
}
