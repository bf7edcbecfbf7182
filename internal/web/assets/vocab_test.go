package assets_test

import (
	"os"
	"regexp"
	"testing"

	"hoso/tracking"
)

// The courier app carries its own copy of the code lists (it works offline);
// every code it offers must be one the server accepts, with the same label,
// or a courier's choice is refused at sync or shown in other words.
func TestCourierAppVocabularies(t *testing.T) {
	b, err := os.ReadFile("static/courier/text.js")
	if err != nil {
		t.Fatal(err)
	}
	src := string(b)
	list := func(name string) map[string]string {
		t.Helper()
		block := regexp.MustCompile(`(?s)export const ` + name + ` = \[(.*?)\];`).FindStringSubmatch(src)
		if block == nil {
			t.Fatalf("text.js has no list %s", name)
		}
		out := map[string]string{}
		for _, m := range regexp.MustCompile(`\["([a-z_]+)", "([^"]+)"\]`).FindAllStringSubmatch(block[1], -1) {
			out[m[1]] = m[2]
		}
		if len(out) == 0 {
			t.Fatalf("list %s is empty", name)
		}
		return out
	}
	check := func(name string, got map[string]string, label func(string) string) {
		for code, l := range got {
			if want := label(code); want == "" {
				t.Errorf("%s: the app offers %q, which the server refuses", name, code)
			} else if want != l {
				t.Errorf("%s %q: the app says %q, the server %q", name, code, l, want)
			}
		}
	}
	check("pickupFailReasons", list("pickupFailReasons"), func(c string) string { return tracking.PickupFailReason(c).Label() })
	check("deliveryCauses", list("deliveryCauses"), func(c string) string { return tracking.DeliveryCause(c).Label() })
	check("deliveryActions", list("deliveryActions"), func(c string) string { return tracking.DeliveryAction(c).Label() })
	check("disputeProblems", list("disputeProblems"), func(c string) string { return tracking.DisputeProblem(c).Label() })
	// Dispositions at the door: the same four values as the server, in the
	// order the counter's form offers them, with the same labels.
	disp := list("dispositions")
	check("dispositions", disp, func(c string) string { return tracking.Dispositions.Label(tracking.Disposition(c)) })
	terms := tracking.Dispositions.Terms()
	if len(disp) != len(terms) {
		t.Errorf("dispositions: the app offers %d, the server knows %d", len(disp), len(terms))
	}
	order := regexp.MustCompile(`(?s)export const dispositions = \[(.*?)\];`).FindStringSubmatch(src)
	keys := regexp.MustCompile(`\["([a-z_]+)",`).FindAllStringSubmatch(order[1], -1)
	for i, d := range terms {
		if i >= len(keys) || keys[i][1] != string(d.Code) {
			t.Errorf("dispositions: the app's order differs from the server's at %d (%s)", i, d.Code)
		}
	}
}
