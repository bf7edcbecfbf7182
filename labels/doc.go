// Package labels prints the papers of the dossier-by-post service as PDF:
// the A6 parcel label, the door receipt left with the citizen (giấy biên
// nhận), the batch handover manifest (biên bản bàn giao), the delivery
// receipt of the return leg (phiếu giao kết quả), a courier's route pack and
// the courier's fee statement (bảng kê thu hộ).
//
// The package has its own input types, holding exactly what is printed
// (initials, masked phones, codes), never domain structs. Every string is
// normalised to NFC and checked before drawing; invalid input is reported as
// an error wrapping ErrInvalidInput, never a panic. Output is reproducible:
// the same input and Options give the same bytes.
//
// It embeds Be Vietnam Pro (OFL-1.1) and draws Code128 and QR codes with
// github.com/boombuler/barcode on github.com/jung-kurt/gofpdf. The font bytes
// are copied for every document (gofpdf writes into them), so documents may
// be rendered concurrently; one document is always drawn by one goroutine.
package labels

import (
	"bytes"
	"fmt"
	"image"
	"io"
	"math"
	"strings"
	"time"

	"github.com/jung-kurt/gofpdf"
)

// Options apply to one rendered document.
type Options struct {
	// Created is written as the PDF creation and modification date (in UTC).
	// It is required: the same input and Created give byte-identical output.
	Created time.Time
	// Demo prints a visible "MẪU – DỮ LIỆU DEMO" mark on every page.
	Demo bool
	// Location is the time zone printed times are shown in; nil means
	// Vietnam time (UTC+7).
	Location *time.Location
}

// DemoMark is the mark Options.Demo prints on every page.
const DemoMark = "MẪU – DỮ LIỆU DEMO"

// Page sizes, in millimetres.
var (
	sizeA4 = gofpdf.SizeType{Wd: 210, Ht: 297}
	sizeA5 = gofpdf.SizeType{Wd: 148, Ht: 210}
	sizeA6 = gofpdf.SizeType{Wd: 100, Ht: 150}
)

const fam = "BeVietnamPro" // the embedded family (gofpdf names the faces utf8bevietnampro and utf8bevietnamproB)

// doc is one PDF being drawn by one goroutine.
type doc struct {
	pdf  *gofpdf.Fpdf
	loc  *time.Location
	demo bool
	// symbols caches encoded barcodes by kind and value (a route pack
	// prints each tracking URL twice).
	symbols map[string]*image.Gray
	path    []byte // reused buffer for barcode paths
}

func newDoc(opts Options, title string) (*doc, error) {
	if opts.Created.IsZero() {
		return nil, invalid("Options.Created is zero: set the creation time (it makes the output reproducible)")
	}
	loc := opts.Location
	if loc == nil {
		loc = time.FixedZone("ICT", 7*3600)
	}
	pdf := gofpdf.NewCustom(&gofpdf.InitType{UnitStr: "mm", Size: sizeA4})
	// gofpdf writes into the font slice (a checksum): each document gets its
	// own copy, or concurrent renders race.
	pdf.AddUTF8FontFromBytes(fam, "", bytes.Clone(fontRegular))
	pdf.AddUTF8FontFromBytes(fam, "B", bytes.Clone(fontBold))
	if err := pdf.Error(); err != nil {
		return nil, fmt.Errorf("load embedded font: %w", err)
	}
	pdf.SetCreationDate(opts.Created.UTC())
	pdf.SetModificationDate(opts.Created.UTC())
	pdf.SetCatalogSort(true)
	pdf.SetCompression(true)
	pdf.SetTitle(title, true)
	pdf.SetCreator("hoso/labels", true)
	pdf.SetProducer("gofpdf v1.16.2", true)
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.SetCellMargin(0)
	pdf.SetLineWidth(0.25)
	pdf.SetDrawColor(0, 0, 0)
	pdf.SetTextColor(0, 0, 0)
	return &doc{pdf: pdf, loc: loc, demo: opts.Demo, symbols: make(map[string]*image.Gray)}, nil
}

// finish writes the document to w.
func (d *doc) finish(w io.Writer) error {
	if err := d.pdf.Error(); err != nil {
		return fmt.Errorf("draw PDF: %w", err)
	}
	if err := d.pdf.Output(w); err != nil {
		return fmt.Errorf("write PDF: %w", err)
	}
	return nil
}

// page starts a new page of the given size and, for demo output, draws the
// demo mark under everything that follows.
func (d *doc) page(size gofpdf.SizeType) {
	d.pdf.AddPageFormat("P", size)
	if !d.demo {
		return
	}
	p := d.pdf
	// Diagonal, light, sized to 80 % of the diagonal, under everything.
	diag := math.Hypot(size.Wd, size.Ht)
	p.SetFont(fam, "B", 10)
	fs := 10 * 0.8 * diag / p.GetStringWidth(DemoMark)
	p.SetFontSize(fs)
	tw := p.GetStringWidth(DemoMark)
	cx, cy := size.Wd/2, size.Ht/2
	p.TransformBegin()
	p.TransformRotate(angleDeg(size.Ht/size.Wd), cx, cy)
	p.SetTextColor(215, 215, 215)
	p.Text(cx-tw/2, cy+fs*0.35/2.83, DemoMark)
	p.TransformEnd()
	p.SetTextColor(0, 0, 0)
	// A plain line as well, so the mark survives a crop and shows in text.
	d.font("B", 6.5)
	d.cell(0, size.Ht-3.2, size.Wd, 3, DemoMark, "C")
}

// angleDeg is the angle of the page diagonal for a height/width ratio.
func angleDeg(ratio float64) float64 { return math.Atan(ratio) * 180 / math.Pi }

// font selects the embedded face: style "" or "B", size in points.
func (d *doc) font(style string, size float64) { d.pdf.SetFont(fam, style, size) }

// cell draws one line of text in the box x, y, w, h (vertically centred),
// shrinking the font down to 70 % and then cutting with "…" so that it never
// runs out of the box. align is "L", "C" or "R".
func (d *doc) cell(x, y, w, h float64, s, align string) {
	p := d.pdf
	size, _ := p.GetFontSize()
	fitted := d.fit(s, w)
	p.SetXY(x, y)
	p.CellFormat(w, h, fitted, "", 0, align+"M", false, 0, "")
	p.SetFontSize(size)
}

// fit shrinks the current font (to at least 70 % of its size) until s fits
// in w, and if it still does not, cuts s and appends "…". It leaves the font
// at the shrunk size; cell restores it.
func (d *doc) fit(s string, w float64) string {
	p := d.pdf
	if p.GetStringWidth(s) <= w {
		return s
	}
	size, _ := p.GetFontSize()
	for f := size - 0.25; f >= size*0.7; f -= 0.25 {
		p.SetFontSize(f)
		if p.GetStringWidth(s) <= w {
			return s
		}
	}
	return d.cut(s, w)
}

// cut shortens s with "…" to fit in w at the current font.
func (d *doc) cut(s string, w float64) string {
	p := d.pdf
	r := []rune(s)
	lo, hi := 0, len(r)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if p.GetStringWidth(strings.TrimRight(string(r[:mid]), " ")+"…") <= w {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return strings.TrimRight(string(r[:lo]), " ") + "…"
}

// lines wraps s at the current font into lines no wider than w, keeping at
// most max lines (the last one cut with "…" if text remains).
func (d *doc) lines(s string, w float64, max int) []string {
	if s == "" {
		return nil
	}
	ls := d.pdf.SplitText(s, w)
	if max > 0 && len(ls) > max {
		rest := strings.Join(ls[max-1:], " ")
		ls = append(ls[:max-1:max-1], d.cut(rest+" ", w))
		if d.pdf.GetStringWidth(rest) <= w {
			ls[max-1] = rest
		}
	}
	return ls
}

// para draws the wrapped lines of s from y, lh mm apart, and returns the
// height used.
func (d *doc) para(x, y, w, lh float64, s string, max int, align string) float64 {
	ls := d.lines(s, w, max)
	for i, l := range ls {
		d.cell(x, y+float64(i)*lh, w, lh, l, align)
	}
	return float64(len(ls)) * lh
}

// vpara draws the wrapped lines of s centred vertically in the box x, y,
// w, h.
func (d *doc) vpara(x, y, w, h, lh float64, s string, max int, align string) {
	n := len(d.lines(s, w, max))
	d.para(x, y+(h-float64(n)*lh)/2, w, lh, s, max, align)
}

// labelValue draws "label: value" on one line, the label in regular and the
// value in bold, fitted into w.
func (d *doc) labelValue(x, y, w, h float64, label, value string, size float64) {
	d.font("", size)
	lw := d.pdf.GetStringWidth(label + " ")
	d.cell(x, y, lw, h, label, "L")
	d.font("B", size)
	d.cell(x+lw, y, w-lw, h, value, "L")
}

// box strokes a rectangle.
func (d *doc) box(x, y, w, h float64) { d.pdf.Rect(x, y, w, h, "D") }

// hline draws a horizontal rule.
func (d *doc) hline(x, y, w float64) { d.pdf.Line(x, y, x+w, y) }

// tickBox draws a square of side s; ticked adds a check mark.
func (d *doc) tickBox(x, y, s float64, ticked bool) {
	p := d.pdf
	p.SetLineWidth(0.3)
	d.box(x, y, s, s)
	if ticked {
		p.SetLineWidth(0.55)
		p.SetLineCapStyle("round")
		p.SetLineJoinStyle("round")
		p.Line(x+s*0.18, y+s*0.52, x+s*0.42, y+s*0.78)
		p.Line(x+s*0.42, y+s*0.78, x+s*0.84, y+s*0.2)
		p.SetLineCapStyle("butt")
		p.SetLineJoinStyle("miter")
	}
	p.SetLineWidth(0.25)
}

// signatureBox draws a box with a bold title, a hint line and, optionally,
// a line of detail printed under the hint (role, office, staff code).
func (d *doc) signatureBox(x, y, w, h float64, title, detail string) {
	d.box(x, y, w, h)
	d.font("B", 8.5)
	d.cell(x+2, y+1.5, w-4, 4, title, "C")
	d.font("", 7)
	d.cell(x+2, y+5.5, w-4, 3.5, "(Ký, ghi rõ họ tên)", "C")
	if detail != "" {
		d.font("", 6.5)
		d.cell(x+2, y+h-4.5, w-4, 3.5, detail, "C")
	}
}

// sealBox prints the seal id, or an empty box to write it in by hand.
func (d *doc) sealBox(x, y, w, h float64, seal string) {
	d.box(x, y, w, h)
	d.font("", 6.5)
	d.cell(x+1.5, y+0.8, w-3, 3.2, "SỐ NIÊM PHONG", "L")
	if seal != "" {
		d.font("B", 10)
		d.cell(x+1.5, y+4, w-3, h-4.8, seal, "C")
	}
}

// fmtTime prints a time as "08:41, ngày 24/11/2026" in the document's zone.
func (d *doc) fmtTime(t time.Time) string {
	t = t.In(d.loc)
	return t.Format("15:04") + ", ngày " + t.Format("02/01/2006")
}

// fmtDate prints "24/11/2026".
func (d *doc) fmtDate(t time.Time) string { return t.In(d.loc).Format("02/01/2006") }

// fmtClock prints "08:41".
func (d *doc) fmtClock(t time.Time) string { return t.In(d.loc).Format("15:04") }
