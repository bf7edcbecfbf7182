package tracking

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ReceiptKind says which paper a receipt is: the door receipt of a pickup
// (giấy biên nhận) or the delivery receipt of a result (phiếu giao kết quả).
type ReceiptKind string

// The receipt kinds.
const (
	ReceiptPickup   ReceiptKind = "pickup"
	ReceiptDelivery ReceiptKind = "delivery"
)

// Label is the paper's Vietnamese name.
func (k ReceiptKind) Label() string {
	switch k {
	case ReceiptPickup:
		return "Giấy biên nhận hồ sơ"
	case ReceiptDelivery:
		return "Phiếu giao kết quả"
	}
	return string(k)
}

// EventType is the ledger event a receipt of this kind records.
func (k ReceiptKind) EventType() EventType {
	if k == ReceiptDelivery {
		return DeliveryCompleted
	}
	return PickupCollected
}

// ReceiptFormat names the canonical form below; it is the first line of the
// signed text, so a signature can never be taken for one over anything else.
// ReceiptFormatV2 is the form of receipts that name the proof behind the
// confirmation (Proof set): the same lines with "proof=" before
// "event_id=".
const (
	ReceiptFormat   = "hoso-receipt-v1"
	ReceiptFormatV2 = "hoso-receipt-v2"
)

// ReceiptCodeAlphabet is Crockford's base32 without I, L, O and U: the
// characters of a receipt code, easy to read out and type from paper.
const ReceiptCodeAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

var receiptCodePattern = regexp.MustCompile(`^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$`)

// ValidReceiptCode reports whether s is a receipt code in its printed form,
// two groups of five separated by a dash ("7Q3MX-K2D9P").
func ValidReceiptCode(s string) bool { return receiptCodePattern.MatchString(s) }

// ParseReceiptCode reads a receipt code as a person types it: with or
// without the dash, spaces anywhere, any case, and the letters Crockford
// base32 reads as digits (O as 0, I and L as 1). It returns the printed form
// ("7Q3MX-K2D9P"); ok is false for anything else.
func ParseReceiptCode(s string) (string, bool) {
	if len(s) > 40 {
		return "", false
	}
	var b [10]byte
	n := 0
	for _, r := range s {
		switch {
		case r == '-' || r == ' ' || r == '\u2013' || r == '\u2010' || r == '\u2011':
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		switch r {
		case 'O':
			r = '0'
		case 'I', 'L':
			r = '1'
		}
		if r > 127 || strings.IndexByte(ReceiptCodeAlphabet, byte(r)) < 0 || n == len(b) {
			return "", false
		}
		b[n] = byte(r)
		n++
	}
	if n != len(b) {
		return "", false
	}
	return string(b[:5]) + "-" + string(b[5:]), true
}

// ReceiptLine is one document line of a receipt: what the dossier's list
// says and how many were handed over.
type ReceiptLine struct {
	Line   int     `json:"line"`
	Name   string  `json:"name"`
	Kind   DocKind `json:"kind"`
	Listed int     `json:"listed"` // copies on the dossier's list
	Count  int     `json:"count"`  // copies handed over (0 when missing)
	// Disposition is what became of the line (DispositionOriginal…);
	// receipts signed before dispositions have none.
	Disposition Disposition `json:"disposition,omitempty"`
}

// Receipt is what a citizen's paper states, exactly as the server signs it:
// what was handed over, when, to whom (by role, staff code and office), for
// which dossier. It holds no personal data beyond initials. Times are kept
// in the zone they were given in; the canonical form uses UTC.
type Receipt struct {
	Kind           ReceiptKind   `json:"kind"`
	Code           string        `json:"code"`
	TrackingNumber string        `json:"tracking_number"`
	DossierCode    string        `json:"dossier_code"`
	ProcedureCode  string        `json:"procedure_code"`
	Procedure      string        `json:"procedure"`
	DeskCode       string        `json:"desk_code"`
	DeskName       string        `json:"desk_name"`
	Documents      []ReceiptLine `json:"documents"`
	SealID         string        `json:"seal_id"`
	// At is when the papers changed hands at the door (the courier's device
	// time when it has one); RecordedAt is when the server recorded it.
	At         time.Time `json:"at"`
	RecordedAt time.Time `json:"recorded_at"`
	// The courier who took (pickup) or handed over (delivery) the papers.
	CourierCode string `json:"courier_code"`
	OfficeCode  string `json:"office_code"`
	OfficeName  string `json:"office_name"`
	// Initials is the citizen's (or, on a delivery to a proxy, the proxy's).
	Initials string `json:"initials"`
	Partial  bool   `json:"partial"`
	Note     string `json:"note"`
	// Delivery only: how the recipient was checked (otp, id_number, proxy),
	// the proxy's authorisation reference and the fee collected, in đồng.
	Verification  string `json:"verification"`
	Authorisation string `json:"authorisation"`
	Fee           int64  `json:"fee_collected"`
	// Proof is the method of the server-checked proof behind the
	// confirmation (ProofDoorCode…); receipts signed before the server
	// checked proofs have none.
	Proof string `json:"proof,omitempty"`
	// Counter is set when the citizen handed the papers over at a post
	// office counter ("nhận tại quầy"): CourierCode is then the clerk's
	// staff code and the office is where it happened.
	Counter bool `json:"counter,omitempty"`
	// The ledger event the receipt records, and its hash in the chain.
	EventID   string `json:"event_id"`
	EventHash string `json:"event_hash"`
}

// Handed is the number of copies handed over in all.
func (r Receipt) Handed() int {
	n := 0
	for _, d := range r.Documents {
		n += d.Count
	}
	return n
}

// Summary counts the handed-over copies by kind: "4 giấy tờ: 2 bản chính,
// 2 bản sao chứng thực".
func (r Receipt) Summary() string {
	docs := make([]Document, 0, len(r.Documents))
	for _, d := range r.Documents {
		docs = append(docs, Document{Name: d.Name, Kind: d.Kind, Count: d.Count})
	}
	return DocumentSummary(docs)
}

// Verifications are the ways a recipient of a result is checked, as the
// delivery receipt names them.
// The first two are of receipts signed before the server checked proofs.
var Verifications = map[string]string{
	"otp":          "Mã OTP gửi đến điện thoại",
	"id_number":    "3 số cuối CCCD",
	ProofDoorCode:  "Mã SMS gửi đến điện thoại, máy chủ đã kiểm tra",
	ProofSignature: "Chữ ký của người nhận, ảnh đã lưu",
	ProofCCCDQR:    "Mã QR trên CCCD, máy chủ đã đối chiếu",
	ProofIDDigits:  "Số CCCD, máy chủ đã đối chiếu",
	ProofProxy:     "Người được ủy quyền",
}

// Validate checks a receipt before it is signed and after it is read back:
// every field the paper needs, in range, and nothing that cannot be printed.
func (r Receipt) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("receipt %s: %s", r.Code, fmt.Sprintf(format, args...))
	}
	if r.Kind != ReceiptPickup && r.Kind != ReceiptDelivery {
		return bad("kind %q is not pickup or delivery", r.Kind)
	}
	if !ValidReceiptCode(r.Code) {
		return bad("code is not two groups of five base32 characters")
	}
	if _, err := ParseNumber(r.TrackingNumber); err != nil {
		return bad("tracking number %q: %v", r.TrackingNumber, err)
	}
	for _, f := range []struct{ name, v string }{
		{"dossier code", r.DossierCode}, {"courier code", r.CourierCode}, {"initials", r.Initials},
		{"event id", r.EventID}, {"event hash", r.EventHash},
	} {
		if f.v == "" {
			return bad("%s is empty", f.name)
		}
	}
	for _, f := range []struct{ name, v string }{
		{"dossier code", r.DossierCode}, {"procedure code", r.ProcedureCode}, {"procedure", r.Procedure},
		{"desk code", r.DeskCode}, {"desk name", r.DeskName}, {"seal id", r.SealID}, {"courier code", r.CourierCode},
		{"office code", r.OfficeCode}, {"office name", r.OfficeName}, {"initials", r.Initials}, {"note", r.Note},
		{"verification", r.Verification}, {"authorisation", r.Authorisation}, {"event id", r.EventID}, {"event hash", r.EventHash},
		{"proof", r.Proof},
	} {
		if !utf8.ValidString(f.v) || utf8.RuneCountInString(f.v) > 600 {
			return bad("%s is not valid text or too long", f.name)
		}
	}
	if r.At.IsZero() || r.RecordedAt.IsZero() {
		return bad("time is missing")
	}
	if n := len(r.Documents); n == 0 || n > MaxDocuments {
		return bad("%d document lines, want 1–%d", n, MaxDocuments)
	}
	for i, d := range r.Documents {
		if d.Line != i+1 {
			return bad("document line %d is numbered %d", i+1, d.Line)
		}
		if d.Name == "" {
			return bad("document line %d has no name", d.Line)
		}
		if _, err := ParseDocKind(string(d.Kind)); err != nil {
			return bad("document line %d: %v", d.Line, err)
		}
		if d.Listed < 1 || d.Listed > MaxDocumentCopy || d.Count < 0 || d.Count > MaxDocumentCopy {
			return bad("document line %d: counts %d of %d out of range", d.Line, d.Count, d.Listed)
		}
		if !d.Disposition.Valid() {
			return bad("document line %d: disposition %q is not known", d.Line, d.Disposition)
		}
		if d.Disposition != "" && d.Disposition != DispositionOriginal && d.Count != 0 {
			return bad("document line %d: %s but %d copies carried", d.Line, d.Disposition, d.Count)
		}
	}
	if r.Handed() == 0 {
		return bad("nothing was handed over")
	}
	switch r.Proof {
	case "", ProofDoorCode, ProofSignature, ProofCCCDQR, ProofIDDigits:
	case ProofProxy:
		if r.Kind != ReceiptDelivery {
			return bad("a proxy confirms only a delivery")
		}
	default:
		return bad("proof %q is not a known method", r.Proof)
	}
	switch r.Kind {
	case ReceiptPickup:
		if !ValidSealID(r.SealID) {
			return bad("seal id %q is not valid", r.SealID)
		}
		if r.Verification != "" || r.Authorisation != "" || r.Fee != 0 {
			return bad("a pickup receipt carries no delivery fields")
		}
	case ReceiptDelivery:
		if _, ok := Verifications[r.Verification]; !ok {
			return bad("verification %q is not a known method", r.Verification)
		}
		if r.Proof != "" && r.Proof != r.Verification {
			return bad("proof %q differs from verification %q", r.Proof, r.Verification)
		}
		if r.Verification == "proxy" && r.Authorisation == "" {
			return bad("a proxy needs the authorisation reference")
		}
		if r.Fee < 0 {
			return bad("negative fee")
		}
	}
	return nil
}

// Canonical is the text a receipt's signature covers: the format name
// (ReceiptFormatV2 when the receipt names its proof), then
// one "key=value" line per field in a fixed order, then one line per
// document ("document=line|kind|listed|count|name"). Values escape
// backslash, line feed and carriage return (as \\, \n and \r), so every
// receipt has exactly one canonical text and no two receipts share one.
// Times are UTC, RFC 3339 with as many fraction digits as they carry.
// Anyone can rebuild it from the receipt's JSON to check a signature.
func (r Receipt) Canonical() []byte {
	var b bytes.Buffer
	if r.Proof != "" {
		b.WriteString(ReceiptFormatV2 + "\n")
	} else {
		b.WriteString(ReceiptFormat + "\n")
	}
	kv := func(k, v string) {
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(escapeCanonical(v))
		b.WriteByte('\n')
	}
	kv("kind", string(r.Kind))
	kv("code", r.Code)
	kv("tracking_number", r.TrackingNumber)
	kv("dossier_code", r.DossierCode)
	kv("procedure_code", r.ProcedureCode)
	kv("procedure", r.Procedure)
	kv("desk_code", r.DeskCode)
	kv("desk_name", r.DeskName)
	kv("seal_id", r.SealID)
	kv("at", r.At.UTC().Format(time.RFC3339Nano))
	kv("recorded_at", r.RecordedAt.UTC().Format(time.RFC3339Nano))
	kv("courier_code", r.CourierCode)
	kv("office_code", r.OfficeCode)
	kv("office_name", r.OfficeName)
	kv("initials", r.Initials)
	kv("partial", strconv.FormatBool(r.Partial))
	kv("note", r.Note)
	kv("verification", r.Verification)
	kv("authorisation", r.Authorisation)
	kv("fee_collected", strconv.FormatInt(r.Fee, 10))
	if r.Proof != "" {
		kv("proof", r.Proof)
	}
	kv("event_id", r.EventID)
	kv("event_hash", r.EventHash)
	kv("documents", strconv.Itoa(len(r.Documents)))
	for _, d := range r.Documents {
		kv("document", strconv.Itoa(d.Line)+"|"+string(d.Kind)+"|"+strconv.Itoa(d.Listed)+"|"+strconv.Itoa(d.Count)+"|"+d.Name)
	}
	// Lines added since: written only when set, so a receipt signed before
	// them keeps its canonical text.
	for _, d := range r.Documents {
		if d.Disposition != "" {
			kv("disposition", strconv.Itoa(d.Line)+"|"+string(d.Disposition))
		}
	}
	if r.Counter {
		kv("counter", "true")
	}
	return b.Bytes()
}

func escapeCanonical(s string) string {
	if !strings.ContainsAny(s, "\\\n\r") {
		return s
	}
	return strings.NewReplacer(`\`, `\\`, "\n", `\n`, "\r", `\r`).Replace(s)
}

// JSON is the receipt's JSON without HTML escaping, so stored and
// downloaded receipts read as they print.
func (r Receipt) JSON() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(r) // a Receipt has only strings, numbers, times and slices
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// ParseReceipt reads a receipt's JSON strictly: unknown fields and trailing
// content are errors, so nothing can ride along unsigned. It does not
// validate; call Validate.
func ParseReceipt(raw []byte) (Receipt, error) {
	var r Receipt
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return Receipt{}, fmt.Errorf("receipt JSON: %w", err)
	}
	if dec.More() {
		return Receipt{}, fmt.Errorf("receipt JSON: trailing content")
	}
	return r, nil
}
