package labels

import (
	"fmt"
	"io"
	"math"
	"strconv"
)

// RenderLabel writes the A6 label of one parcel as a one-page PDF.
func RenderLabel(w io.Writer, in Label, opts Options) error {
	return RenderLabels(w, []Label{in}, opts)
}

// RenderLabels writes many A6 labels as one PDF, one label per page (the
// font is parsed once for the whole batch).
func RenderLabels(w io.Writer, in []Label, opts Options) error {
	if len(in) == 0 {
		return invalid("no labels to print")
	}
	labels := make([]Label, len(in))
	for i, l := range in {
		labels[i] = l.clean()
		if err := labels[i].validate(); err != nil {
			if len(in) > 1 {
				err = within(fmt.Sprintf("label %d", i+1), err)
			}
			return err
		}
	}
	title := "Nhãn bưu gửi " + labels[0].TrackingNumber
	if len(labels) > 1 {
		title = fmt.Sprintf("%d nhãn bưu gửi", len(labels))
	}
	d, err := newDoc(opts, title)
	if err != nil {
		return err
	}
	urls := make([]string, len(labels))
	for i, l := range labels {
		urls[i] = l.TrackingURL
	}
	if err := d.preencodeQR(urls); err != nil {
		return err
	}
	for _, l := range labels {
		if err := d.label(l); err != nil {
			return fmt.Errorf("label %s: %w", l.TrackingNumber, err)
		}
	}
	return d.finish(w)
}

// moduleFor returns the widest module, at most max mm and a whole number of
// 203-dpi printer dots (1/8 mm), that fits modules into width mm.
func moduleFor(modules int, width, max float64) float64 {
	m := math.Min(max, width/float64(modules))
	return math.Max(math.Floor(m*8)/8, 0.125)
}

// label draws one A6 label on a new page.
func (d *doc) label(l Label) error {
	p := d.pdf
	d.page(sizeA6)
	const x0, W = 4.0, 92.0
	phone, err := l.From.maskedPhone()
	if err != nil {
		return err
	}

	// Heading band.
	p.SetFillColor(0, 0, 0)
	p.Rect(x0, 4, W, 8, "F")
	p.SetFillColor(255, 255, 255)
	p.SetTextColor(255, 255, 255)
	d.font("B", 9)
	d.cell(x0+2, 4, 50, 8, "BƯU CHÍNH CÔNG ÍCH", "L")
	service := l.Service
	if service == "" {
		service = "THU GOM HỒ SƠ"
	}
	d.cell(x0+44, 4, W-46, 8, service, "R")
	p.SetTextColor(0, 0, 0)

	// Tracking number: Code128 (quiet zone inside the image) and in clear.
	mods, err := d.code128Modules(l.TrackingNumber)
	if err != nil {
		return err
	}
	mw := moduleFor(mods, W, 0.5)
	bw := float64(mods) * mw
	if _, err := d.code128(l.TrackingNumber, x0+(W-bw)/2, 15, mw, 18); err != nil {
		return err
	}
	d.font("B", 16)
	d.cell(x0, 33.5, W, 7, groupS10(l.TrackingNumber), "C")
	d.hline(x0, 42, W)

	// From / to.
	col := (W - 4) / 2
	xr := x0 + col + 4
	p.Line(x0+col+2, 43.5, x0+col+2, 78.5)
	d.font("", 6.5)
	d.cell(x0, 43.5, col, 3.5, "TỪ (NGƯỜI GỬI)", "L")
	d.cell(xr, 43.5, col, 3.5, "ĐẾN (NƠI NHẬN)", "L")
	d.font("B", 13)
	d.cell(x0, 47.5, col, 6.5, l.From.Initials, "L")
	d.font("", 9.5)
	d.cell(x0, 54.5, col, 5, "ĐT: "+phone, "L")
	d.font("", 8.5)
	d.para(x0, 60, col, 3.8, l.From.Commune, 4, "L")
	d.font("B", 9.5)
	h := d.para(xr, 47.5, col, 4.3, l.To.Name, 4, "L")
	d.font("", 8.5)
	d.para(xr, 48.5+h, col, 3.8, l.To.Commune, 3, "L")
	d.hline(x0, 80, W)

	// Dossier.
	const cw = 24.0
	tw := W - cw - 3
	d.font("", 6.5)
	d.cell(x0, 81.5, tw, 3.5, "MÃ HỒ SƠ", "L")
	d.font("B", 11)
	d.cell(x0, 85, tw, 5.5, l.DossierCode, "L")
	proc := "THỦ TỤC"
	if l.ProcedureCode != "" {
		proc += " (mã " + l.ProcedureCode + ")"
	}
	d.font("", 6.5)
	d.cell(x0, 91.5, tw, 3.5, proc, "L")
	d.font("", 8.5)
	d.para(x0, 95, tw, 3.8, l.Procedure, 3, "L")
	cx := x0 + W - cw
	d.box(cx, 82, cw, 26)
	d.font("", 6.5)
	d.cell(cx, 83, cw, 3.5, "SỐ GIẤY TỜ", "C")
	d.font("B", 28)
	d.cell(cx, 88, cw, 14, strconv.Itoa(l.DocumentCount), "C")
	d.hline(x0, 110, W)

	// Tracking QR, seal.
	const qs = 31.0
	if err := d.qr(l.TrackingURL, x0-1, 111.5, qs); err != nil {
		return err
	}
	rx := x0 + qs + 1
	rw := W - qs - 1
	d.sealBox(rx, 113, rw, 14, l.SealID)
	d.font("B", 8)
	d.cell(rx, 129, rw, 4, "Quét mã QR để tra cứu hành trình", "L")
	d.font("", 6.5)
	d.para(rx, 133, rw, 3, l.TrackingURL, 3, "L")
	return nil
}
