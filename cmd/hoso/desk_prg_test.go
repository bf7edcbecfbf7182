package main

import (
	"net/url"
	"strings"
	"testing"
)

// TestDeskDecisionPostRedirectGet: a refused desk decision redirects to
// the desk page (nothing typed in the URL), which shows the choices and
// the note as they were, each message beside its field and, in the
// summary, naming the field and linking to this parcel's input; once:
// a reload shows the page clean. A replayed refused decision writes
// nothing; the decision then taken is recorded once.
func TestDeskDecisionPostRedirectGet(t *testing.T) {
	e := startServer(t, nil)
	n := e.counterParcels(t, "desk:TN-TTPVHCC", "DECIDE-PRG")[0]
	desk := e.login("motcua")
	if _, page := desk.postForm("/mot-cua/nhan", url.Values{"so": {n}, "dem": {"1"}, "seal": {"intact"}, "seal_id": {"NP-DECIDE-PRG"}, "count_1": {"1"}, "count_2": {"1"}, "count_3": {"2"}}); !strings.Contains(page, `data-scan="ok"`) {
		t.Fatal("desk receives")
	}
	before := e.tableCounts()
	bad := url.Values{"decision": {"return"}, "reason": {"missing_documents"}, "note": {"Thiếu bản sao giấy khai sinh"}}
	for i := 0; i < 2; i++ { // a double click
		code, loc, _ := desk.noFollow("/mot-cua/quyet-dinh/"+n, bad)
		if code != 303 || loc != "/mot-cua" {
			t.Fatalf("refused decision: %d %q, want 303 to the desk page", code, loc)
		}
	}
	e.sameRows(t, "refused decisions", before)
	_, body := desk.get("/mot-cua")
	for _, want := range []string{`value="return" checked`, `value="missing_documents" selected`, `value="Thiếu bản sao giấy khai sinh"`,
		`href="#missing-` + n + `">Đánh dấu các giấy tờ còn thiếu`, `id="missing-` + n + `"`, `class="field__error"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the desk page after the redirect lacks %q", want)
		}
	}
	if _, body = desk.get("/mot-cua"); strings.Contains(body, "error-summary") {
		t.Error("the refused decision was shown twice")
	}
	code, loc, _ := desk.noFollow("/mot-cua/quyet-dinh/"+n, url.Values{"decision": {"return"}, "reason": {"missing_documents"}, "missing": {"2"}})
	if code != 303 || !strings.HasPrefix(loc, "/mot-cua?") {
		t.Fatalf("return: %d %q", code, loc)
	}
	if got := e.count(`SELECT count(*) FROM events ev JOIN parcels p ON p.id = ev.parcel_id WHERE p.tracking_number = ? AND ev.type = 'desk.returned_incomplete'`, n); got != 1 {
		t.Errorf("%d returns recorded, want 1", got)
	}
	// Deciding again (Back and submit) is refused and writes nothing.
	after := e.tableCounts()
	if code, loc, _ := desk.noFollow("/mot-cua/quyet-dinh/"+n, url.Values{"decision": {"return"}, "reason": {"missing_documents"}, "missing": {"2"}}); code != 303 && code != 409 && code != 404 {
		t.Errorf("deciding twice: %d %q", code, loc)
	}
	e.sameRows(t, "deciding twice", after)
}
