package tracking_test

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"hoso/internal/vntext"
	"hoso/tracking"
)

// Every cause and action code of ours has its UPU code, and every UPU code
// fits the list's length (reason: two digits, action: one letter).
func TestUPUTablesCoverOurCodes(t *testing.T) {
	for _, term := range tracking.DeliveryCauses.Terms() {
		c := term.Code
		u, ok := tracking.UPUNonDeliveryReasons[c]
		if !ok || len(u.Code) != 2 || u.Code[0] < '0' || u.Code[0] > '9' || u.Label == "" || u.Vi == "" {
			t.Errorf("cause %s: UPU reason %+v", c, u)
		}
	}
	for c := range tracking.UPUNonDeliveryReasons {
		if !tracking.DeliveryCauses.Has(c) {
			t.Errorf("UPU reason for a cause we do not have: %s", c)
		}
	}
	for _, term := range tracking.DeliveryActions.Terms() {
		a := term.Code
		u, ok := tracking.UPUActionsTaken[a]
		if !ok || len(u.Code) != 1 || u.Code[0] < 'A' || u.Code[0] > 'Z' || u.Label == "" || u.Vi == "" {
			t.Errorf("action %s: UPU action %+v", a, u)
		}
	}
	for a := range tracking.UPUActionsTaken {
		if !tracking.DeliveryActions.Has(a) {
			t.Errorf("UPU action for an action we do not have: %s", a)
		}
	}
	// Every UPU code our rules emit is in the list.
	for _, r := range tracking.Rules {
		for _, c := range strings.Split(r.UPU, "/") {
			if _, ok := tracking.UPUEventCodes[c]; c != "" && !ok {
				t.Errorf("rule %s %s emits %s, not in UPUEventCodes", r.Leg, r.Event, c)
			}
		}
	}
}

func TestMakeEMSEVT(t *testing.T) {
	vn := time.FixedZone("ICT", 7*3600)
	at := time.Date(2026, 11, 24, 2, 41, 10, 0, time.UTC)
	base := tracking.EMSEVTFacts{Number: "EB123456785VN", Leg: tracking.LegReturn, At: at, OfficePostal: "24443", CitizenName: "Nguyễn Thị Hồng Nhung"}
	with := func(f func(*tracking.EMSEVTFacts)) tracking.EMSEVTFacts { c := base; f(&c); return c }
	tests := []struct {
		name   string
		facts  tracking.EMSEVTFacts
		policy string
		want   tracking.EMSEVT
	}{
		{"EMH not home, retry", with(func(f *tracking.EMSEVTFacts) {
			f.Type, f.UPU, f.Data = tracking.DeliveryAttemptFailed, "EMH", []byte(`{"cause":"not_home","action":"retry_next_day"}`)
		}), tracking.SignatoryRole, tracking.EMSEVT{NonDeliveryReason: "08", NonDeliveryMeasure: "A"}},
		{"EMH refused, back to desk", with(func(f *tracking.EMSEVTFacts) {
			f.Type, f.UPU, f.Data = tracking.DeliveryAttemptFailed, "EMH", []byte(`{"cause":"refused","action":"return_to_desk"}`)
		}), tracking.SignatoryRole, tracking.EMSEVT{NonDeliveryReason: "09", NonDeliveryMeasure: "C"}},
		{"EMH unknown codes fall back", with(func(f *tracking.EMSEVTFacts) {
			f.Type, f.UPU, f.Data = tracking.DeliveryAttemptFailed, "EMH", []byte(`{"cause":"x","action":"y"}`)
		}), tracking.SignatoryRole, tracking.EMSEVT{NonDeliveryReason: "99", NonDeliveryMeasure: "A"}},
		{"EMI citizen by role", with(func(f *tracking.EMSEVTFacts) {
			f.Type, f.UPU, f.Data = tracking.DeliveryCompleted, "EMI", []byte(`{"proof":{"method":"door_code"},"fee_collected":0}`)
		}), tracking.SignatoryRole, tracking.EMSEVT{Signatory: "Công dân"}},
		{"EMI citizen by initials", with(func(f *tracking.EMSEVTFacts) {
			f.Type, f.UPU, f.Data = tracking.DeliveryCompleted, "EMI", []byte(`{"proof":{"method":"door_code"},"fee_collected":0}`)
		}), tracking.SignatoryInitials, tracking.EMSEVT{Signatory: vntext.Initials("Nguyễn Thị Hồng Nhung")}},
		{"EMI proxy by role", with(func(f *tracking.EMSEVTFacts) {
			f.Type, f.UPU, f.Data = tracking.DeliveryCompleted, "EMI", []byte(`{"proof":{"method":"proxy","proxy_name":"Trần Văn Bình","authorisation":"UQ-1"}}`)
		}), tracking.SignatoryRole, tracking.EMSEVT{Signatory: "Người nhận thay"}},
		{"EMI proxy by initials", with(func(f *tracking.EMSEVTFacts) {
			f.Type, f.UPU, f.Data = tracking.DeliveryCompleted, "EMI", []byte(`{"proof":{"method":"proxy","proxy_name":"Trần Văn Bình","authorisation":"UQ-1"}}`)
		}), tracking.SignatoryInitials, tracking.EMSEVT{Signatory: vntext.Initials("Trần Văn Bình")}},
		{"EMI at the desk is the desk's role", with(func(f *tracking.EMSEVTFacts) {
			f.Leg, f.Type, f.UPU, f.Actor = tracking.LegPickup, tracking.HandoffConfirmed, "EMI", tracking.PartyDesk
		}), tracking.SignatoryInitials, tracking.EMSEVT{Signatory: "Bộ phận một cửa"}},
		{"EDE names the next office", with(func(f *tracking.EMSEVTFacts) {
			f.Type, f.UPU, f.NextPostal = tracking.HandoffConfirmed, "EDE", "24001"
		}), tracking.SignatoryRole, tracking.EMSEVT{NextOffice: "24001"}},
		{"EDD has no next office", with(func(f *tracking.EMSEVTFacts) {
			f.Type, f.UPU, f.NextPostal = tracking.HandoffConfirmed, "EDD", "24001"
		}), tracking.SignatoryRole, tracking.EMSEVT{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tracking.MakeEMSEVT(tt.facts, vn, tt.policy, vntext.Initials)
			want := tt.want
			want.MailItemID, want.EventCode, want.EventDateTime, want.EventOffice = tt.facts.Number, tt.facts.UPU, "2026-11-24T09:41:10+07:00", "24443"
			if tt.facts.Leg == tracking.LegPickup {
				want.MailItemID = tt.facts.Number
			}
			if got != want {
				t.Fatalf("got  %+v\nwant %+v", got, want)
			}
			if err := got.Validate(); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(got.Signatory, "Nhung") || strings.Contains(got.Signatory, "Bình") {
				t.Errorf("a whole name in the record: %q", got.Signatory)
			}
		})
	}
}

func TestEMSEVTValidate(t *testing.T) {
	good := tracking.EMSEVT{MailItemID: "EB123456785VN", EventCode: "EMH", EventDateTime: "2026-11-24T09:41:10+07:00", EventOffice: "24443",
		NonDeliveryReason: "08", NonDeliveryMeasure: "A"}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		f    func(*tracking.EMSEVT)
		want string
	}{
		{"bad item id", func(r *tracking.EMSEVT) { r.MailItemID = "EB12345678VN" }, "mailitm_fid"},
		{"bad check digit", func(r *tracking.EMSEVT) { r.MailItemID = "EB123456784VN" }, "mailitm_fid"},
		{"international code", func(r *tracking.EMSEVT) { r.EventCode = "EMC" }, "event_cd"},
		{"utc time", func(r *tracking.EMSEVT) { r.EventDateTime = "2026-11-24T02:41:10Z" }, "event_date_time"},
		{"internal office code", func(r *tracking.EMSEVT) { r.EventOffice = "BC-05443" }, "event_office_cd"},
		{"six-digit office", func(r *tracking.EMSEVT) { r.EventOffice = "244430" }, "event_office_cd"},
		{"empty office", func(r *tracking.EMSEVT) { r.EventOffice = "" }, "event_office_cd"},
		{"reason not in list", func(r *tracking.EMSEVT) { r.NonDeliveryReason = "42" }, "non_delivery_reason_cd"},
		{"action not in list", func(r *tracking.EMSEVT) { r.NonDeliveryMeasure = "Z" }, "non_delivery_measure_cd"},
		{"EMH without reason", func(r *tracking.EMSEVT) { r.NonDeliveryReason = "" }, "both on EMH"},
		{"reason off EMH", func(r *tracking.EMSEVT) { r.EventCode = "EDG" }, "both on EMH"},
		{"EMI without signatory", func(r *tracking.EMSEVT) {
			r.EventCode, r.NonDeliveryReason, r.NonDeliveryMeasure = "EMI", "", ""
		}, "signatory_nm"},
		{"signatory too long", func(r *tracking.EMSEVT) {
			r.EventCode, r.NonDeliveryReason, r.NonDeliveryMeasure, r.Signatory = "EMI", "", "", strings.Repeat("ă", 36)
		}, "longer than 35"},
		{"EDE without next office", func(r *tracking.EMSEVT) {
			r.EventCode, r.NonDeliveryReason, r.NonDeliveryMeasure = "EDE", "", ""
		}, "next_office_cd"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := good
			tt.f(&r)
			err := r.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Validate = %v, want %q", err, tt.want)
			}
		})
	}
}

// docs/postal-events.md shows the reason and action tables exactly as
// tracking/upu.go has them.
func TestUPUTablesDocumented(t *testing.T) {
	b, err := os.ReadFile("../docs/postal-events.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\| [^|]+ \\| `([0-9A-Z]+)` \\| ([^|]+) \\|$")
	doc := map[string][2]string{}
	for _, m := range row.FindAllStringSubmatch(string(b), -1) {
		doc[m[1]+"/"+m[2]] = [2]string{m[2], strings.TrimSpace(m[3])}
	}
	n := 0
	tbls := []map[string]tracking.UPUCode{{}, {}}
	for k, c := range tracking.UPUNonDeliveryReasons {
		tbls[0][string(k)] = c
	}
	for k, c := range tracking.UPUActionsTaken {
		tbls[1][string(k)] = c
	}
	for _, tbl := range tbls {
		for k, c := range tbl {
			n++
			if d, ok := doc[k+"/"+c.Code]; !ok || d[1] != c.Label {
				t.Errorf("%s → %s %q: the page says %v", k, c.Code, c.Label, d)
			}
		}
	}
	if len(doc) != n {
		t.Errorf("the page has %d mapping rows, the code %d", len(doc), n)
	}
}
