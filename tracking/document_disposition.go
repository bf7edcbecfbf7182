package tracking

import (
	"fmt"
	"regexp"
	"strings"

	"hoso/internal/errs"
)

// Dispositions of a document line at the door or the counter (Circular
// 03/2025/TT-VPCP: paper received is digitised as the rule). Only an
// original carried travels in the envelope; the other lines are accounted
// for where the citizen handed them over.
const (
	DispositionOriginal  = "original"   // the paper is carried to the desk
	DispositionShown     = "shown"      // shown for comparison and handed back
	DispositionScanned   = "scanned"    // scanned or photographed, the scan kept as evidence
	DispositionNotNeeded = "not_needed" // the data is in VNeID or a national database
)

// Dispositions names the dispositions in Vietnamese, in the order a form
// offers them.
var Dispositions = []struct{ Key, Label string }{
	{DispositionOriginal, "Bản gốc gửi đi"},
	{DispositionShown, "Xem rồi trả lại"},
	{DispositionScanned, "Quét/chụp và lưu bản điện tử"},
	{DispositionNotNeeded, "Không cần: đã có trên VNeID/CSDL"},
}

// DispositionLabel is a disposition in Vietnamese; an event written before
// dispositions existed (empty) carried its originals.
func DispositionLabel(d string) string {
	if d == "" {
		d = DispositionOriginal
	}
	for _, x := range Dispositions {
		if x.Key == d {
			return x.Label
		}
	}
	return d
}

// ValidDisposition reports whether d is a known disposition (empty counts
// as an original, for events written before dispositions).
func ValidDisposition(d string) bool {
	if d == "" {
		return true
	}
	for _, x := range Dispositions {
		if x.Key == d {
			return true
		}
	}
	return false
}

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
		if !ValidDisposition(c.Disposition) {
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
	n := map[string]int{}
	for _, c := range counts {
		if !c.Carried() {
			n[c.Disposition]++
		}
	}
	var parts []string
	for _, x := range []struct{ key, text string }{
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
