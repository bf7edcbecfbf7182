package tracking

import (
	"fmt"
	"regexp"
	"strings"

	"hoso/internal/errs"
)

// Disposition is what became of a document line at the door or the
// counter (Circular 03/2025/TT-VPCP: paper received is digitised as the
// rule). Only an original carried travels in the envelope; the other lines
// are accounted for where the citizen handed them over. Empty, in an event
// written before dispositions existed, means the original was carried.
type Disposition string

// The dispositions.
const (
	DispositionOriginal  Disposition = "original"   // the paper is carried to the desk
	DispositionShown     Disposition = "shown"      // shown for comparison and handed back
	DispositionScanned   Disposition = "scanned"    // scanned or photographed, the scan kept as evidence
	DispositionNotNeeded Disposition = "not_needed" // the data is in VNeID or a national database
)

// Dispositions names the dispositions in Vietnamese, in the order a form
// offers them.
var Dispositions = vocabulary(
	Term[Disposition]{DispositionOriginal, "Bản gốc gửi đi"},
	Term[Disposition]{DispositionShown, "Xem rồi trả lại"},
	Term[Disposition]{DispositionScanned, "Quét/chụp và lưu bản điện tử"},
	Term[Disposition]{DispositionNotNeeded, "Không cần: đã có trên VNeID/CSDL"},
)

// Label is the disposition in Vietnamese; an event written before
// dispositions existed (empty) carried its originals.
func (d Disposition) Label() string {
	if d == "" {
		d = DispositionOriginal
	}
	if l := Dispositions.Label(d); l != "" {
		return l
	}
	return string(d)
}

// Valid reports whether d is a known disposition (empty counts as an
// original, for events written before dispositions).
func (d Disposition) Valid() bool { return d == "" || Dispositions.Has(d) }

// Carried reports whether a counted line travels in the envelope.
func (c DocCount) Carried() bool {
	return c.Disposition == "" || c.Disposition == DispositionOriginal
}

// checkDispositions checks each line's disposition at a collection: a known
// value; a scanned line names its scan's SHA-256 and no other line does; a
// line not carried puts no copy in the envelope.
func checkDispositions(field string, counts []DocCount, f errs.Fields) {
	for i, c := range counts {
		p := fmt.Sprintf("%s[%d]", field, i)
		if !c.Disposition.Valid() {
			f.Add(p+".disposition", "chọn: bản gốc gửi đi, xem rồi trả lại, quét và lưu, hoặc không cần (đã có trên VNeID/CSDL)")
			continue
		}
		switch {
		case c.Disposition == DispositionScanned && !isHex64(c.ScanSHA256):
			f.Add(p+".scan_sha256", "tải lên ảnh quét của giấy tờ này")
		case c.Disposition != DispositionScanned && c.ScanSHA256 != "":
			f.Add(p+".scan_sha256", "chỉ giấy tờ “quét và lưu” mới kèm ảnh quét")
		}
		if !c.Carried() && c.Count != 0 {
			f.Add(p+".count", "giấy tờ không gửi bản gốc: số bản gửi đi là 0")
		}
	}
}

// staffCodePattern is the shape of a staff code as the ledger names it.
var staffCodePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{2,40}$`)

// DispositionText tells, for the timeline, the lines whose paper did not
// travel: "Không gửi bản gốc: 1 giấy tờ xem rồi trả lại, 1 giấy tờ đã quét
// và lưu." Empty when every line carried its original.
func DispositionText(counts []DocCount) string {
	n := map[Disposition]int{}
	for _, c := range counts {
		if !c.Carried() {
			n[c.Disposition]++
		}
	}
	var parts []string
	for _, x := range []struct {
		key  Disposition
		text string
	}{
		{DispositionShown, "xem rồi trả lại"},
		{DispositionScanned, "đã quét và lưu bản điện tử"},
		{DispositionNotNeeded, "không cần vì đã có trên VNeID/CSDL"},
	} {
		if n[x.key] > 0 {
			parts = append(parts, fmt.Sprintf("%d giấy tờ %s", n[x.key], x.text))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return "Không gửi bản gốc: " + strings.Join(parts, ", ") + "."
}
