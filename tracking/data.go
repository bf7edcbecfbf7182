package tracking

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"hoso/internal/errs"
)

// DocCount is one document line as counted at a step.
type DocCount struct {
	Line      int       `json:"line"`
	Kind      string    `json:"kind,omitempty"`
	Count     int       `json:"count"`
	Condition Condition `json:"condition,omitempty"`
	// Disposition is what became of the line at the door or counter
	// (DispositionOriginal…); empty on events written before dispositions,
	// which carried their originals. ScanSHA256 names the kept scan of a
	// scanned line.
	Disposition Disposition `json:"disposition,omitempty"`
	ScanSHA256  string      `json:"scan_sha256,omitempty"`
}

// Scheduled is pickup.scheduled data.
type Scheduled struct {
	Courier     string `json:"courier"`
	Office      string `json:"office,omitempty"`
	Date        string `json:"date"`
	WindowStart string `json:"window_start"`
	WindowEnd   string `json:"window_end"`
	Stop        int    `json:"stop,omitempty"`
	ETA         string `json:"eta,omitempty"`
}

// PickupFailed is pickup.attempt_failed data.
type PickupFailed struct {
	Reason PickupFailReason `json:"reason"`
	Note   string           `json:"note,omitempty"`
}

// Collected is pickup.collected data. Proof is how the citizen confirmed,
// as the server checked it.
type Collected struct {
	Documents     []DocCount `json:"documents"`
	SealID        string     `json:"seal_id"`
	Proof         *Proof     `json:"proof"`
	Partial       bool       `json:"partial,omitempty"`
	PartialReason string     `json:"partial_reason,omitempty"`
	ReceiptCode   string     `json:"receipt_code,omitempty"`
	// Clerk is the staff code of the post office clerk who took the papers
	// at the counter (a counter drop-off: the actor is the office).
	Clerk string `json:"clerk,omitempty"`
}

// Released is handoff.released data.
type Released struct {
	To       string `json:"to"` // party kind:ref
	Manifest string `json:"manifest,omitempty"`
	Handoff  string `json:"handoff,omitempty"` // set by the server
	SealID   string `json:"seal_id,omitempty"` // the desk seals the result it hands to the post
}

// Recalled is handoff.recalled data: a dispatcher withdraws a release its
// receiver never confirmed.
type Recalled struct {
	Handoff string `json:"handoff,omitempty"`
	Reason  string `json:"reason"`
}

// Confirmed is handoff.confirmed data (and, with Problem, handoff.disputed).
type Confirmed struct {
	Handoff    string         `json:"handoff,omitempty"`
	SealIntact *bool          `json:"seal_intact,omitempty"`
	SealID     string         `json:"seal_id,omitempty"`
	Documents  []DocCount     `json:"documents,omitempty"`
	Problem    DisputeProblem `json:"problem,omitempty"`
	Note       string         `json:"note,omitempty"`
}

// DeskDecision is desk.accepted / desk.returned_incomplete data.
type DeskDecision struct {
	Reason          IncompleteReason `json:"reason,omitempty"`
	MissingLines    []int            `json:"missing_lines,omitempty"`
	Note            string           `json:"note,omitempty"`
	AppointmentDate string           `json:"appointment_date,omitempty"`
}

// DeliveryFailed is delivery.attempt_failed data.
type DeliveryFailed struct {
	Cause  DeliveryCause  `json:"cause"`
	Action DeliveryAction `json:"action"`
	Note   string         `json:"note,omitempty"`
}

// Delivered is delivery.completed data. Proof is how the recipient was
// checked, as the server checked it; the signature or photo of the receipt
// are stored images named by their SHA-256; SealID is the return
// envelope's seal as the courier read it at the door.
type Delivered struct {
	Proof        *Proof `json:"proof"`
	SignatureSHA string `json:"signature_sha256,omitempty"`
	PhotoSHA     string `json:"photo_sha256,omitempty"`
	FeeCollected int64  `json:"fee_collected"`
	SealID       string `json:"seal_id,omitempty"`
}

// LegacyProof is how events recorded before the server checked proofs
// said it: a method and a flag the device set, or a verification kind.
// Nothing in them was checked by the server.
type LegacyProof struct {
	Method       string `json:"method"`
	OTPVerified  bool   `json:"otp_verified"`
	Verification string `json:"verification"`
}

// LegacyFields are data fields of older courier apps in which the device
// asserted that a check passed; the server refuses them.
var LegacyFields = []string{"otp_verified", "method", "verification", "otp", "id_number", "id_last3", "proxy_name", "authorisation"}

// RefuseLegacy refuses data of pickup.collected or delivery.completed in an
// older app's shape, naming the field.
func RefuseLegacy(t EventType, data []byte) error {
	if t != PickupCollected && t != DeliveryCompleted {
		return nil
	}
	m, err := decodeRaw(data)
	if err != nil {
		return nil // the strict decoding says what is wrong
	}
	f := errs.Fields{}
	for _, k := range LegacyFields {
		if _, ok := m[k]; ok {
			f.Add("data."+k, "ứng dụng cũ: máy chủ không nhận kết quả kiểm tra do thiết bị tự khai; cập nhật ứng dụng và gửi bằng chứng trong data.proof")
		}
	}
	if _, ok := m["signature_sha256"]; ok && t == PickupCollected {
		f.Add("data.signature_sha256", "ứng dụng cũ: chữ ký của công dân gửi trong data.proof (method signature, sha256)")
	}
	return f.Err(errs.Unprocessable, "Ứng dụng bưu tá cũ: bằng chứng xác nhận phải do máy chủ kiểm tra, hãy cập nhật ứng dụng")
}

// Cancelled is parcel.cancelled data.
type Cancelled struct {
	Reason string `json:"reason,omitempty"`
}

// decodeStrict decodes JSON data into v refusing unknown fields.
func decodeStrict(raw []byte, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return errs.Wrapf(errs.Invalid, err, "dữ liệu sự kiện không hợp lệ: %v", err)
	}
	return nil
}

func shortText(field, s string, max int, f errs.Fields) {
	if utf8.RuneCountInString(s) > max {
		f.Add(field, fmt.Sprintf("dài quá %d ký tự", max))
	}
}

// checkDocCounts validates counted lines against the expected documents.
func checkDocCounts(field string, counts []DocCount, docs []Document, f errs.Fields) {
	seen := map[int]bool{}
	for i, c := range counts {
		p := fmt.Sprintf("%s[%d]", field, i)
		if c.Line < 1 || c.Line > len(docs) {
			f.Add(p+".line", "không có dòng giấy tờ này")
			continue
		}
		if seen[c.Line] {
			f.Add(p+".line", "dòng giấy tờ bị lặp")
		}
		seen[c.Line] = true
		if c.Count < 0 || c.Count > MaxDocumentCopy {
			f.Add(p+".count", "số bản không hợp lệ")
		}
		if c.Condition != "" {
			if !Conditions.Has(c.Condition) {
				f.Add(p+".condition", "tình trạng phải là good, damaged hoặc missing")
			}
		}
		if c.Kind != "" && c.Kind != string(docs[c.Line-1].Kind) {
			f.Add(p+".kind", "loại giấy tờ khác với danh sách của hồ sơ")
		}
	}
}
