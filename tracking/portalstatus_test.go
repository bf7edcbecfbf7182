package tracking_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"hoso/tracking"
)

// Every status a rule can lead to in a leg has its portal status, and the
// table has nothing else.
func TestPortalStatusesCoverEveryStatus(t *testing.T) {
	reach := map[tracking.Leg]map[tracking.Status]bool{tracking.LegPickup: {}, tracking.LegReturn: {}}
	for _, r := range tracking.Rules {
		for _, f := range r.From {
			if f != "" {
				reach[r.Leg][f] = true
			}
		}
		if r.To != "" && r.To != "*" {
			reach[r.Leg][r.To] = true
		}
	}
	for leg, ss := range reach {
		for s := range ss {
			if p, ok := tracking.MapPortalStatus(leg, s); !ok || p.Code == "" || p.Label == "" {
				t.Errorf("%s %s: no portal status", leg, s)
			}
		}
		for s := range tracking.PortalStatuses[leg] {
			if !ss[s] {
				t.Errorf("%s %s: mapped but never reached", leg, s)
			}
		}
	}
	if tracking.HinhThuc(tracking.LegPickup, false) != "0" || tracking.HinhThuc(tracking.LegPickup, true) != "1" || tracking.HinhThuc(tracking.LegReturn, false) != "1" {
		t.Error("HinhThuc")
	}
	vn := time.FixedZone("ICT", 7*3600)
	if got := tracking.PortalTime(time.Date(2026, 11, 24, 17, 5, 9, 0, time.UTC), vn); got != "20261125000509" {
		t.Errorf("PortalTime = %s", got)
	}
	if tracking.PortalTime(time.Time{}, vn) != "" {
		t.Error("zero time")
	}
}

// docs/portal-status.md shows the table exactly as the code has it.
func TestPortalStatusesDocumented(t *testing.T) {
	b, err := os.ReadFile("../docs/portal-status.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| (pickup|return) \\| `([a-z_]+)` \\| `([0-9]+)` \\| ([^|]+) \\|")
	n := 0
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		n++
		p, ok := tracking.MapPortalStatus(tracking.Leg(m[1]), tracking.Status(m[2]))
		if !ok || p.Code != m[3] || p.Label != strings.TrimSpace(m[4]) {
			t.Errorf("the page maps %s %s to %s %q; the code to %+v", m[1], m[2], m[3], m[4], p)
		}
	}
	want := len(tracking.PortalStatuses[tracking.LegPickup]) + len(tracking.PortalStatuses[tracking.LegReturn])
	if n != want {
		t.Errorf("the page has %d rows, the code %d", n, want)
	}
}
