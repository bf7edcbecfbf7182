package app_test

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/vntext"
	"hoso/tracking"
)

// FuzzComplaintAnswer: whatever staff type, an answer is refused as
// invalid (or a conflict, for the same text twice), or stored as valid
// UTF-8 in form C, without control characters, 5 to 2000 characters.
func FuzzComplaintAnswer(f *testing.F) {
	for _, s := range []string{"Bưu tá sẽ đến sáng mai", "", "ok", "\xff\xfe", "a\x00b", "Tiếng Việt", strings.Repeat("đ", 2001), "  cách  \n dòng  "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		office := tracking.Party{Kind: tracking.PartyOffice, Ref: "BC-05443"}
		c, st := newCases(t, office)
		st.incidents["c1"] = app.Incident{ID: "c1", ParcelID: "p1", Kind: app.IncidentComplaint, Problem: app.ComplaintNoShow, LastCustodian: office, Status: "open"}
		err := c.Answer(context.Background(), app.User{ID: 5, Role: app.RoleOffice, OfficeCode: "BC-05443"}, "c1", body, false)
		if err != nil {
			if !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.Conflict) {
				t.Fatalf("answer %q: %v", body, err)
			}
			if len(st.answers) != 0 {
				t.Fatal("a refused answer was stored")
			}
			return
		}
		if len(st.answers) != 1 {
			t.Fatalf("%d answers stored", len(st.answers))
		}
		got := st.answers[0].Body
		n := utf8.RuneCountInString(got)
		if !utf8.ValidString(got) || !norm.NFC.IsNormalString(got) || vntext.HasControl(got) || n < 5 || n > app.MaxComplaintAnswer {
			t.Errorf("stored %q", got)
		}
	})
}
