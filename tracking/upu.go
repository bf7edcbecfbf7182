package tracking

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// This file is the one place where our vocabulary meets the UPU's EMSEVT
// (standard M40 v3) code lists: the event codes we emit, the reason for
// non-delivery and the action taken on an EMH, the signatory on an EMI.
// docs/postal-events.md shows the same tables; a test holds them equal.
//
// The UPU's code lists for the reason and the action are not freely
// published. The values below are the two-digit reason codes and the
// one-letter action codes as posts exchanging EMSEVT use them; check them
// against the UPU code lists of the operator before going live: a change is
// one line here.

// UPUEventCodes are the EMSEVT event codes our rules emit (the domestic
// subset: office-of-exchange and customs events are never used).
var UPUEventCodes = map[string]string{
	"EMA": "Posting / collection",
	"EDD": "Item into sorting centre",
	"EDE": "Item out of sorting centre",
	"EMG": "Arrival at delivery office",
	"EDF": "Item held at delivery office",
	"EDG": "Item out for physical delivery",
	"EMH": "Unsuccessful (physical) delivery",
	"EMI": "Final delivery",
}

// UPUCode is an entry of a UPU code list with our wording.
type UPUCode struct {
	Code  string // the UPU code
	Label string // its English name in the code list
	Vi    string // what it says in Vietnamese
}

// UPUNonDeliveryReasons maps our delivery cause codes (DeliveryCauses)
// onto the UPU reason for non-delivery.
var UPUNonDeliveryReasons = map[DeliveryCause]UPUCode{
	"not_home":          {"08", "Addressee absent", "Người nhận vắng nhà"},
	"wrong_address":     {"06", "Incorrect or insufficient address", "Sai hoặc thiếu địa chỉ"},
	"refused":           {"09", "Refused by addressee", "Người nhận từ chối"},
	"id_mismatch":       {"14", "No such person at the address", "Không xác minh được người nhận"},
	"no_fee":            {"03", "On addressee's instructions (charges unpaid)", "Theo yêu cầu người nhận (chưa trả phí)"},
	"unreachable_phone": {"07", "Addressee cannot be located", "Không liên lạc được người nhận"},
	"seal_broken":       {"13", "Item damaged", "Bưu gửi hư hỏng (niêm phong rách)"},
	"other":             {"99", "Other", "Lý do khác"},
}

// UPUActionsTaken maps our action codes (DeliveryActions) onto the UPU
// action taken after a failed delivery.
var UPUActionsTaken = map[DeliveryAction]UPUCode{
	"retry_next_day": {"A", "Delivery will be attempted again", "Giao lại"},
	"retry_same_day": {"A", "Delivery will be attempted again", "Giao lại"},
	"call_recipient": {"A", "Delivery will be attempted again", "Giao lại"},
	"hold_at_office": {"B", "Item held at delivery office, addressee advised", "Lưu tại bưu cục, đã báo người nhận"},
	"return_to_desk": {"C", "Item returned to sender", "Trả về nơi gửi (bộ phận một cửa)"},
}

// Signatory policies: what an EMI names as the signatory.
const (
	SignatoryRole     = "role"     // the recipient's role only ("Công dân", "Người nhận thay", "Bộ phận một cửa")
	SignatoryInitials = "initials" // the citizen's or proxy's initials; a desk by its role
)

// Field lengths of an EMSEVT record as we emit it.
const (
	EMSEVTOfficeLen    = 5  // Vietnam's national postal code (mã bưu chính) has five digits
	EMSEVTSignatoryMax = 35 // SIGNATORY_NM
)

var postalCodePattern = regexp.MustCompile(`^[0-9]{5}$`)

// ValidPostalCode reports whether s is a five-digit national postal code.
func ValidPostalCode(s string) bool { return postalCodePattern.MatchString(s) }

// EMSEVT is one event as a postal system reads it. Times are local with
// their offset. Office codes are national postal codes, never our internal
// office codes.
type EMSEVT struct {
	MailItemID         string `json:"mailitm_fid"`
	EventCode          string `json:"event_cd"`
	EventDateTime      string `json:"event_date_time"`
	EventOffice        string `json:"event_office_cd"`
	NextOffice         string `json:"next_office_cd,omitempty"`
	NonDeliveryReason  string `json:"non_delivery_reason_cd,omitempty"`
	NonDeliveryMeasure string `json:"non_delivery_measure_cd,omitempty"`
	Signatory          string `json:"signatory_nm,omitempty"`
}

// EMSEVTFacts is what an EMSEVT record is made from: the event and where
// it happened, resolved by the store.
type EMSEVTFacts struct {
	Number       string
	Leg          Leg
	Type         EventType
	UPU          string
	Actor        PartyKind
	At           time.Time
	Data         []byte
	OfficePostal string // where it happened
	NextPostal   string // where it goes next (EDE)
	CitizenName  string // for the initials policy only; never written out whole
}

// MakeEMSEVT builds the record of an event. Zone is the local zone.
func MakeEMSEVT(f EMSEVTFacts, zone *time.Location, policy string, initials func(string) string) EMSEVT {
	r := EMSEVT{MailItemID: f.Number, EventCode: f.UPU, EventDateTime: f.At.In(zone).Format(time.RFC3339), EventOffice: f.OfficePostal}
	switch f.UPU {
	case "EDE":
		r.NextOffice = f.NextPostal
	case "EMH":
		var d DeliveryFailed
		if err := json.Unmarshal(f.Data, &d); err == nil {
			r.NonDeliveryReason = UPUNonDeliveryReasons[d.Cause].Code
			r.NonDeliveryMeasure = UPUActionsTaken[d.Action].Code
		}
		if r.NonDeliveryReason == "" {
			r.NonDeliveryReason = UPUNonDeliveryReasons["other"].Code
		}
		if r.NonDeliveryMeasure == "" {
			r.NonDeliveryMeasure = UPUActionsTaken["retry_next_day"].Code
		}
	case "EMI":
		r.Signatory = signatory(f, policy, initials)
	}
	return r
}

// signatory names who signed for an EMI: at the desk its role; at the
// citizen's door the citizen or a proxy, by role or by initials as the
// policy says.
func signatory(f EMSEVTFacts, policy string, initials func(string) string) string {
	if f.Type != DeliveryCompleted {
		return PartyDesk.Label()
	}
	var d Delivered
	_ = json.Unmarshal(f.Data, &d)
	proxy := d.Proof != nil && d.Proof.Method == ProofProxy
	if policy == SignatoryInitials && initials != nil {
		name := f.CitizenName
		if proxy {
			name = d.Proof.ProxyName
		}
		if s := strings.TrimSpace(initials(name)); s != "" {
			return truncRunes(s, EMSEVTSignatoryMax)
		}
	}
	if proxy {
		return "Người nhận thay"
	}
	return PartyCitizen.Label()
}

func truncRunes(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// Validate checks a record against the field lengths and code lists: the
// S10 item id, a known event code, postal codes of five digits, the EMH
// codes from the lists and present, the EMI signatory present and short.
func (r EMSEVT) Validate() error {
	var p []string
	if _, err := ParseNumber(r.MailItemID); err != nil || len(r.MailItemID) != 13 {
		p = append(p, "mailitm_fid: not an S10 number of 13 characters")
	}
	if _, ok := UPUEventCodes[r.EventCode]; !ok {
		p = append(p, "event_cd: "+r.EventCode+" is not in the list")
	}
	if _, err := time.Parse(time.RFC3339, r.EventDateTime); err != nil || !strings.HasSuffix(r.EventDateTime, "+07:00") {
		p = append(p, "event_date_time: want RFC 3339 with +07:00")
	}
	if !ValidPostalCode(r.EventOffice) {
		p = append(p, "event_office_cd: want a five-digit postal code")
	}
	if r.NextOffice != "" && !ValidPostalCode(r.NextOffice) {
		p = append(p, "next_office_cd: want a five-digit postal code")
	}
	if r.EventCode == "EDE" && r.NextOffice == "" {
		p = append(p, "next_office_cd: missing on EDE")
	}
	if (r.EventCode == "EMH") != (r.NonDeliveryReason != "" && r.NonDeliveryMeasure != "") {
		p = append(p, "non_delivery_reason_cd/non_delivery_measure_cd: both on EMH, only there")
	}
	if r.NonDeliveryReason != "" && !inList(UPUNonDeliveryReasons, r.NonDeliveryReason) {
		p = append(p, "non_delivery_reason_cd: "+r.NonDeliveryReason+" is not in the list")
	}
	if r.NonDeliveryMeasure != "" && !inList(UPUActionsTaken, r.NonDeliveryMeasure) {
		p = append(p, "non_delivery_measure_cd: "+r.NonDeliveryMeasure+" is not in the list")
	}
	if (r.EventCode == "EMI") != (r.Signatory != "") {
		p = append(p, "signatory_nm: on EMI, only there")
	}
	if utf8.RuneCountInString(r.Signatory) > EMSEVTSignatoryMax {
		p = append(p, fmt.Sprintf("signatory_nm: longer than %d characters", EMSEVTSignatoryMax))
	}
	if len(p) > 0 {
		return fmt.Errorf("EMSEVT %s %s: %s", r.MailItemID, r.EventCode, strings.Join(p, "; "))
	}
	return nil
}

func inList[K comparable](m map[K]UPUCode, code string) bool {
	for _, c := range m {
		if c.Code == code {
			return true
		}
	}
	return false
}
