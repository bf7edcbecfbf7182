package tracking

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"hoso/internal/errs"
)

// Proof methods: how a citizen (or, for a result, a proxy) confirms a
// hand-over at the door. The device carries the proof; the server checks it.
const (
	ProofDoorCode  = "door_code" // the one-time code the server texted the citizen, read out at the door
	ProofSignature = "signature" // the citizen's drawn signature, stored as an image
	ProofCCCDQR    = "cccd_qr"   // the QR code of the chip ID card (CCCD), scanned
	ProofIDDigits  = "id_digits" // digits of the CCCD number typed (3 last or all 12): weaker
	ProofProxy     = "proxy"     // delivery only: a person with an authorisation paper
)

// Who checked a proof (the verdict's checked_by).
const (
	CheckedByServer  = "server"  // the server checked the proof itself
	CheckedByCourier = "courier" // only the courier saw it (a proxy's paper)
)

// Proof is data.proof of pickup.collected and delivery.completed. The
// device signs Method with, for a secret (a door code, the CCCD QR text,
// typed digits), only its commitment (Commit, see ProofCommit), for a
// signature the image's SHA-256, for a proxy the name and authorisation.
// The server checks it and adds its verdict (CheckedBy, Digits): no client
// may set those.
type Proof struct {
	Method        string `json:"method"`
	Commit        string `json:"commit,omitempty"`
	SHA256        string `json:"sha256,omitempty"`
	ProxyName     string `json:"proxy_name,omitempty"`
	Authorisation string `json:"authorisation,omitempty"`
	CheckedBy     string `json:"checked_by,omitempty"`
	Digits        int    `json:"digits,omitempty"`
}

// ProofCommit is the commitment a device signs instead of a secret: the hex
// SHA-256 of the event id, a colon and the value. Tied to the event id, it
// names nothing to whoever reads the stored event without the value.
func ProofCommit(eventID, value string) string {
	h := sha256.Sum256([]byte(strings.ToLower(eventID) + ":" + value))
	return hex.EncodeToString(h[:])
}

// ProofSecret reports whether a method carries a secret beside the signed
// event.
func ProofSecret(method string) bool {
	return method == ProofDoorCode || method == ProofCCCDQR || method == ProofIDDigits
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && strings.ToLower(s) == s
}

// checkProofClaim checks the shape of a proof as a device signs it: a
// known method with what it needs and no verdict. delivery allows a proxy.
func checkProofClaim(p *Proof, delivery bool, f errs.Fields) {
	if p == nil {
		f.Add("data.proof", "thiếu bằng chứng xác nhận của công dân (mã SMS, chữ ký, QR trên CCCD hoặc số CCCD)")
		return
	}
	switch p.Method {
	case ProofDoorCode, ProofCCCDQR, ProofIDDigits:
		if !isHex64(p.Commit) {
			f.Add("data.proof.commit", "cam kết SHA-256 (64 ký tự hex thường) của giá trị kèm theo")
		}
	case ProofSignature:
		if !isHex64(p.SHA256) {
			f.Add("data.proof.sha256", "SHA-256 (64 ký tự hex thường) của ảnh chữ ký")
		}
	case ProofProxy:
		if !delivery {
			f.Add("data.proof.method", "người nhận thay chỉ dùng khi giao kết quả")
			break
		}
		if strings.TrimSpace(p.ProxyName) == "" || strings.TrimSpace(p.Authorisation) == "" {
			f.Add("data.proof.authorisation", "người nhận thay cần họ tên và số giấy ủy quyền")
		}
		shortText("data.proof.proxy_name", p.ProxyName, 200, f)
		shortText("data.proof.authorisation", p.Authorisation, 300, f)
	default:
		f.Add("data.proof.method", "door_code, signature, cccd_qr, id_digits"+map[bool]string{true: " hoặc proxy", false: ""}[delivery])
	}
	if p.Method != ProofProxy && (p.ProxyName != "" || p.Authorisation != "") {
		f.Add("data.proof.proxy_name", "chỉ dùng với người nhận thay (proxy)")
	}
	if p.Method != ProofSignature && p.SHA256 != "" {
		f.Add("data.proof.sha256", "chỉ dùng với chữ ký (signature)")
	}
	if !ProofSecret(p.Method) && p.Commit != "" {
		f.Add("data.proof.commit", "chỉ dùng với mã SMS, QR trên CCCD hoặc số CCCD")
	}
}

// CheckProofClaim checks a proof as a device sent it (before the server's
// check): the shape, and no verdict, which only the server writes.
func CheckProofClaim(p *Proof, delivery bool) error {
	f := errs.Fields{}
	checkProofClaim(p, delivery, f)
	if p != nil && (p.CheckedBy != "" || p.Digits != 0) {
		f.Add("data.proof.checked_by", "kết quả kiểm tra do máy chủ ghi, thiết bị không được gửi")
	}
	return f.Err(errs.Unprocessable, "Bằng chứng xác nhận không hợp lệ")
}

// checkProofVerdict checks a proof as the ledger stores it: the claim's
// shape and the server's verdict.
func checkProofVerdict(p *Proof, delivery bool, f errs.Fields) {
	checkProofClaim(p, delivery, f)
	if p == nil || len(f) > 0 {
		return
	}
	want := CheckedByServer
	if p.Method == ProofProxy {
		want = CheckedByCourier
	}
	if p.CheckedBy != want {
		f.Add("data.proof.checked_by", "bằng chứng chưa được máy chủ kiểm tra")
	}
	if p.Method == ProofIDDigits && p.Digits != 3 && p.Digits != 12 {
		f.Add("data.proof.digits", "số chữ số CCCD đã đối chiếu phải là 3 hoặc 12")
	}
	if p.Method != ProofIDDigits && p.Digits != 0 {
		f.Add("data.proof.digits", "chỉ dùng với số CCCD")
	}
}

// ProofText says in Vietnamese which proof backs a confirmation, as the
// timeline, the receipts and the receipt page print it. It says nothing of
// a proof the server did not check: "" for a proof without the server's
// verdict. pickup is true for a collection (the citizen hands over), false
// for a delivery (the recipient receives).
func ProofText(p *Proof, pickup bool) string {
	if p == nil {
		return ""
	}
	who := "Người nhận"
	if pickup {
		who = "Công dân"
	}
	switch {
	case p.Method == ProofProxy && p.CheckedBy == CheckedByCourier:
		return "Người nhận thay xuất trình giấy ủy quyền; bưu tá ghi nhận số giấy ủy quyền và ảnh hoặc chữ ký người nhận."
	case p.CheckedBy != CheckedByServer:
		return ""
	case p.Method == ProofDoorCode:
		return who + " xác nhận bằng mã SMS."
	case p.Method == ProofSignature:
		return who + " xác nhận bằng chữ ký."
	case p.Method == ProofCCCDQR:
		return who + " xác nhận bằng mã QR trên CCCD."
	case p.Method == ProofIDDigits && p.Digits == 12:
		return who + " xác nhận bằng số CCCD (12 số)."
	case p.Method == ProofIDDigits && p.Digits == 3:
		return who + " xác nhận bằng 3 số cuối CCCD."
	case p.Method == ProofIDDigits:
		return who + " xác nhận bằng số CCCD."
	}
	return ""
}

// MethodText is ProofText for a receipt, which names only the method of a
// proof the server checked (or, for a proxy, the courier saw).
func MethodText(method string, pickup bool) string {
	p := &Proof{Method: method, CheckedBy: CheckedByServer}
	if method == ProofProxy {
		p.CheckedBy = CheckedByCourier
	}
	return ProofText(p, pickup)
}

// ProofLabel is a method's short Vietnamese name.
func ProofLabel(method string) string {
	switch method {
	case ProofDoorCode:
		return "Mã SMS"
	case ProofSignature:
		return "Chữ ký"
	case ProofCCCDQR:
		return "Mã QR trên CCCD"
	case ProofIDDigits:
		return "Số CCCD"
	case ProofProxy:
		return "Người được ủy quyền"
	}
	return method
}

// CCCDCard is what the chip ID card's QR code holds: the 12-digit number,
// the old 9-digit id (may be empty), the name, the date of birth, the sex,
// the address and the date of issue, separated by "|".
type CCCDCard struct {
	Number    string
	OldID     string
	Name      string
	BirthDate time.Time
	Sex       string
	Address   string
	IssuedOn  time.Time
}

// ParseCCCDQR reads the text of a CCCD card's QR code. Dates are ddmmyyyy.
// The error never repeats the text (it holds personal data).
func ParseCCCDQR(s string) (CCCDCard, error) {
	if !utf8.ValidString(s) || len(s) > 1000 {
		return CCCDCard{}, fmt.Errorf("QR CCCD: not text")
	}
	parts := strings.Split(strings.TrimSpace(s), "|")
	if len(parts) != 7 {
		return CCCDCard{}, fmt.Errorf("QR CCCD: %d fields, want 7", len(parts))
	}
	c := CCCDCard{Number: parts[0], OldID: parts[1], Name: strings.TrimSpace(parts[2]), Sex: parts[4], Address: parts[5]}
	if !digits(c.Number, 12) {
		return CCCDCard{}, fmt.Errorf("QR CCCD: the number is not 12 digits")
	}
	if c.OldID != "" && !digits(c.OldID, 9) {
		return CCCDCard{}, fmt.Errorf("QR CCCD: the old id is not 9 digits")
	}
	if c.Name == "" {
		return CCCDCard{}, fmt.Errorf("QR CCCD: no name")
	}
	var err error
	if c.BirthDate, err = time.Parse("02012006", parts[3]); err != nil {
		return CCCDCard{}, fmt.Errorf("QR CCCD: date of birth is not ddmmyyyy")
	}
	if c.IssuedOn, err = time.Parse("02012006", parts[6]); err != nil {
		return CCCDCard{}, fmt.Errorf("QR CCCD: date of issue is not ddmmyyyy")
	}
	return c, nil
}

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
