package labels

import (
	"fmt"
	"io"
	"strconv"
)

// A4 layout shared by the manifest, the fee statement and the stop list.
const (
	a4X   = 10.0
	a4W   = 190.0
	a4Bot = 285.0 // body ends above here; the footer sits below
)

// a4Head is the header repeated on every page of an A4 form.
type a4Head struct {
	title   string
	number  string // "Bảng kê số: BK19-…", printed under the title
	barcode string // optional Code128 value printed at the top right
	lines   []kv   // key/value lines under the number (time, date…)
	left    kv     // optional party box: key is the box title, value its text
	right   kv
}

// a4Header draws the header and the footer of an A4 page and returns where
// the body starts.
func (d *doc) a4Header(h a4Head, page, pages int) (float64, error) {
	d.font("", 7.5)
	d.cell(a4X, 7, 120, 4, "BƯU CHÍNH CÔNG ÍCH – HỒ SƠ THỦ TỤC HÀNH CHÍNH", "L")
	d.font("B", 9)
	d.cell(a4X+120, 7, a4W-120, 4, fmt.Sprintf("Trang %d/%d", page, pages), "R")
	tw := a4W
	if h.barcode != "" {
		tw = 118
		mods, err := d.code128Modules(h.barcode)
		if err != nil {
			return 0, err
		}
		mw := min(0.33, (a4W-tw)/float64(mods))
		bw := float64(mods) * mw
		if _, err := d.code128(h.barcode, a4X+a4W-bw, 12.5, mw, 13); err != nil {
			return 0, err
		}
	}
	d.font("B", 14)
	d.cell(a4X, 12.5, tw, 7, h.title, "L")
	d.font("B", 10.5)
	d.cell(a4X, 19.5, tw, 5.5, h.number, "L")
	y := 25.5
	for _, l := range h.lines {
		d.labelValue(a4X, y, tw, 4.6, l.key, l.value, 9)
		y += 4.6
	}
	y += 1.5
	if h.left.key != "" {
		const bh = 14.0
		bw := (a4W - 4) / 2
		for i, side := range []kv{h.left, h.right} {
			x := a4X + float64(i)*(bw+4)
			d.box(x, y, bw, bh)
			d.font("B", 7.5)
			d.cell(x+2, y+1, bw-4, 3.8, side.key, "L")
			d.font("", 9)
			d.para(x+2, y+5, bw-4, 4, side.value, 2, "L")
		}
		y += bh + 2.5
	}
	d.font("", 7)
	d.cell(a4X, 287.5, a4W, 3.5, fmt.Sprintf("%s – Trang %d/%d", h.number, page, pages), "R")
	return y, nil
}

// a4Flow returns the flow of an A4 form whose header is h. The body top is
// the height of the header, the same on every page.
func (d *doc) a4Flow(h a4Head) flow {
	top := 25.5 + 4.6*float64(len(h.lines)) + 1.5
	if h.left.key != "" {
		top += 14 + 2.5
	}
	return flow{size: sizeA4, top: top + 1, bottom: a4Bot, header: func(page, pages int) error {
		_, err := d.a4Header(h, page, pages)
		return err
	}}
}

// RenderManifest writes the handover manifest (bảng kê / biên bản bàn giao)
// of a batch hand-off as an A4 PDF with the header on every page.
func RenderManifest(w io.Writer, in Manifest, opts Options) error {
	m := in.clean()
	if err := m.validate(); err != nil {
		return err
	}
	d, err := newDoc(opts, "Biên bản bàn giao "+m.Code)
	if err != nil {
		return err
	}
	if _, err := d.manifest(m); err != nil {
		return fmt.Errorf("manifest %s: %w", m.Code, err)
	}
	return d.finish(w)
}

// manifestRowH is the height of one parcel row (a Code128 and its number).
const manifestRowH = 13.0

func (d *doc) manifest(m Manifest) (int, error) {
	head := a4Head{
		title:   "BIÊN BẢN BÀN GIAO BƯU GỬI HỒ SƠ",
		number:  "Bảng kê số: " + m.Code,
		barcode: m.Code,
		lines:   []kv{{"Thời gian bàn giao:", d.fmtTime(m.At)}},
		left:    kv{"BÊN GIAO", m.From.line()},
		right:   kv{"BÊN NHẬN", m.To.line()},
	}
	disputed := make(map[string]bool, len(m.Discrepancies))
	for _, x := range m.Discrepancies {
		disputed[x.TrackingNumber] = true
	}
	cols := []column{{"STT", 10, "C"}, {"Số hiệu bưu gửi", 64, "C"}, {"Mã hồ sơ", 44, "L"},
		{"Số giấy tờ", 16, "C"}, {"Số niêm phong", 32, "C"}, {"Bên nhận kiểm", 24, "C"}}
	hdr := d.tableHeader(a4X, cols, 8, 8)
	var blocks []block
	docs := 0
	for i, p := range m.Parcels {
		docs += p.DocumentCount
		blocks = append(blocks, block{h: manifestRowH, head: hdr, draw: func(y float64) error {
			d.rowFrame(a4X, y, manifestRowH, cols)
			d.font("", 9)
			d.cell(a4X, y, cols[0].w, manifestRowH, strconv.Itoa(i+1), "C")
			cx := colX(a4X, cols, 1)
			mods, err := d.code128Modules(p.TrackingNumber)
			if err != nil {
				return err
			}
			mw := min(0.33, (cols[1].w-2)/float64(mods))
			bw := float64(mods) * mw
			if _, err := d.code128(p.TrackingNumber, cx+(cols[1].w-bw)/2, y+1, mw, 7.2); err != nil {
				return err
			}
			d.font("B", 8.5)
			d.cell(cx, y+8.7, cols[1].w, 3.4, groupS10(p.TrackingNumber), "C")
			d.font("", 9)
			d.vpara(colX(a4X, cols, 2)+1.5, y, cols[2].w-3, manifestRowH, 4, p.DossierCode, 2, "L")
			d.font("B", 11)
			d.cell(colX(a4X, cols, 3), y, cols[3].w, manifestRowH, strconv.Itoa(p.DocumentCount), "C")
			d.font("", 9)
			d.cell(colX(a4X, cols, 4)+1, y, cols[4].w-2, manifestRowH, p.SealID, "C")
			result := p.Result
			if result == LinePending && disputed[p.TrackingNumber] {
				result = LineDisputed
			}
			cx5 := colX(a4X, cols, 5)
			switch {
			case result == LinePending:
				const s = 5.0
				d.tickBox(cx5+(cols[5].w-s)/2, y+(manifestRowH-s)/2, s, false)
			case p.SealRead != "":
				// The result and the seal the receiver read, on two lines.
				d.font("B", 8)
				d.cell(cx5+1, y+2, cols[5].w-2, 4.2, result.String(), "C")
				d.font("", 7)
				d.cell(cx5+1, y+6.8, cols[5].w-2, 4, p.SealRead, "C")
			default:
				d.font("B", 8)
				d.cell(cx5+1, y, cols[5].w-2, manifestRowH, result.String(), "C")
			}
			return nil
		}})
	}
	blocks = append(blocks, d.textBlock(a4X, a4W, "B", 10,
		fmt.Sprintf("Tổng cộng: %s bưu gửi, %s giấy tờ.", formatInt(len(m.Parcels)), formatInt(docs)), 1))
	blocks = append(blocks, d.discrepancyBlocks(m.Discrepancies)...)
	if m.ReleasedBy != "" || !m.ClosedAt.IsZero() || !m.Deadline.IsZero() {
		blocks = append(blocks, d.confirmationBlocks(m)...)
	}
	blocks = append(blocks, d.textBlock(a4X, a4W, "", 8.5,
		"Hai bên đã cùng kiểm đếm số bưu gửi, tình trạng niêm phong và số giấy tờ ghi trên; trách nhiệm giữ hồ sơ chuyển sang bên nhận kể từ thời điểm ký.", 2))
	if m.LogNote != "" {
		blocks = append(blocks, d.textBlock(a4X, a4W, "", 8, m.LogNote, 4))
	}
	blocks = append(blocks, d.signatures(a4X, a4W, 30, "ĐẠI DIỆN BÊN GIAO", m.From.signer(), "ĐẠI DIỆN BÊN NHẬN", m.To.signer()))
	return d.run(d.a4Flow(head), blocks)
}

// discrepancyBlocks lists what the receiver disputed or, if nothing was,
// leaves lines to write on by hand.
func (d *doc) discrepancyBlocks(xs []Discrepancy) []block {
	if len(xs) == 0 {
		return []block{{h: 22, draw: func(y float64) error {
			d.font("B", 9.5)
			d.cell(a4X, y+1.5, a4W, 5, "SAI LỆCH KHI NHẬN (nếu có, bên nhận ghi):", "L")
			d.pdf.SetDashPattern([]float64{0.6, 0.8}, 0)
			for i := 0; i < 3; i++ {
				d.hline(a4X, y+12+float64(i)*4.5, a4W)
			}
			d.pdf.SetDashPattern(nil, 0)
			return nil
		}}}
	}
	blocks := []block{d.textBlock(a4X, a4W, "B", 9.5, fmt.Sprintf("SAI LỆCH KHI NHẬN (%d mục, bên nhận ghi, hai bên xác nhận):", len(xs)), 1)}
	cols := []column{{"STT", 10, "C"}, {"Số hiệu bưu gửi", 40, "C"}, {"Sai lệch", 52, "L"}, {"Chi tiết", 88, "L"}}
	hdr := d.tableHeader(a4X, cols, 7, 8)
	const lh = 4.0
	for i, x := range xs {
		d.font("", 9)
		detail := d.lines(x.Detail, cols[3].w-3, 4)
		h := float64(max(1, len(detail)))*lh + 3
		blocks = append(blocks, block{h: h, head: hdr, draw: func(y float64) error {
			d.rowFrame(a4X, y, h, cols)
			d.font("", 9)
			d.cell(a4X, y, cols[0].w, h, strconv.Itoa(i+1), "C")
			d.font("B", 9)
			d.cell(colX(a4X, cols, 1), y, cols[1].w, h, groupS10(x.TrackingNumber), "C")
			d.cell(colX(a4X, cols, 2)+1.5, y, cols[2].w-3, h, x.Kind.String(), "L")
			d.font("", 9)
			for j, l := range detail {
				d.cell(colX(a4X, cols, 3)+1.5, y+1.5+float64(j)*lh, cols[3].w-3, lh, l, "L")
			}
			return nil
		}})
	}
	return blocks
}

// confirmationBlocks print the two confirmations the system recorded: the
// giver's release and the receiver's closing of the whole manifest (or
// that it is still open, and until when).
func (d *doc) confirmationBlocks(m Manifest) []block {
	giver := "Bên giao: " + m.From.line() + " – bàn giao lúc " + d.fmtTime(m.At)
	if m.ReleasedBy != "" {
		giver += ", người lập: " + m.ReleasedBy
	}
	received := 0
	for _, p := range m.Parcels {
		if p.Result == LineReceived {
			received++
		}
	}
	var receiver string
	if m.ClosedAt.IsZero() {
		receiver = "Bên nhận: " + m.To.line() + " – CHƯA XÁC NHẬN ĐỦ BẢNG KÊ"
		if !m.Deadline.IsZero() {
			receiver += " (hạn " + d.fmtTime(m.Deadline) + ")"
		}
	} else {
		receiver = "Bên nhận: " + m.To.line() + " – xác nhận đủ bảng kê lúc " + d.fmtTime(m.ClosedAt)
		if m.ClosedBy != "" {
			receiver += ", người xác nhận: " + m.ClosedBy
		}
	}
	receiver += fmt.Sprintf("; đã nhận %s/%s bưu gửi, sai lệch %s.", formatInt(received), formatInt(len(m.Parcels)), formatInt(len(m.Discrepancies)))
	return []block{
		d.textBlock(a4X, a4W, "B", 9.5, "XÁC NHẬN CỦA HAI BÊN TRÊN HỆ THỐNG:", 1),
		d.textBlock(a4X, a4W, "", 9, giver+".", 3),
		d.textBlock(a4X, a4W, "", 9, receiver, 3),
	}
}
