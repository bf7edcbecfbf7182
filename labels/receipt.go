package labels

import (
	"fmt"
	"io"
	"strconv"
	"strings"
)

// A5 layout shared by the door receipt and the delivery receipt.
const (
	a5X    = 9.0
	a5W    = 130.0
	a5Top  = 36.5  // body starts here
	a5Bot  = 201.0 // body ends above here
	kvKeyW = 25.0  // width of the key column of key/value lines
)

// a5Head is the header of every page of an A5 form.
type a5Head struct {
	office   string // left heading, under "BƯU CHÍNH CÔNG ÍCH"
	title    string
	subtitle string
	copy     string // "Liên 1: Giao công dân"
	number   string // "Số: BN-7K3M-Q9XD"
}

func (d *doc) a5Header(h a5Head, page, pages int) {
	p := d.pdf
	// Left: the issuer. Right: the national heading of official forms.
	d.font("B", 8)
	d.cell(a5X, 7, 56, 4, "BƯU CHÍNH CÔNG ÍCH", "C")
	d.font("", 7.5)
	d.para(a5X, 11, 56, 3.4, h.office, 2, "C")
	d.font("B", 7.5)
	d.cell(a5X+58, 7, a5W-58, 4, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "C")
	d.font("B", 8)
	d.cell(a5X+58, 11, a5W-58, 4, "Độc lập – Tự do – Hạnh phúc", "C")
	mid := a5X + 58 + (a5W-58)/2
	p.Line(mid-19, 15.6, mid+19, 15.6)

	d.font("B", 14)
	d.cell(a5X, 17.5, a5W, 7, h.title, "C")
	d.font("", 7.5)
	d.cell(a5X, 24.2, a5W, 3.8, h.subtitle, "C")

	p.SetFillColor(232, 232, 232)
	p.Rect(a5X, 28.8, a5W, 6.5, "F")
	p.SetFillColor(255, 255, 255)
	d.font("B", 9.5)
	d.cell(a5X+2, 28.8, 62, 6.5, h.copy, "L")
	d.cell(a5X+64, 28.8, a5W-66, 6.5, h.number, "R")

	d.font("", 7)
	d.cell(a5X, 202, a5W, 3.5, fmt.Sprintf("%s – Trang %d/%d", h.number, page, pages), "R")
}

// kv is one key/value line of an info block.
type kv struct{ key, value string }

// kvBlock returns a block of key/value lines: the key in regular type, the
// value in bold, wrapped up to three lines.
func (d *doc) kvBlock(x, w float64, items []kv) block {
	const size, lh = 8.5, 3.9
	d.font("B", size)
	n := 0
	for _, it := range items {
		n += max(1, len(d.lines(it.value, w-kvKeyW, 3)))
	}
	return block{h: float64(n)*lh + 2, draw: func(y float64) error {
		y += 1
		for _, it := range items {
			d.font("", size-0.5)
			d.cell(x, y, kvKeyW, lh, it.key, "L")
			d.font("B", size)
			h := d.para(x+kvKeyW, y, w-kvKeyW, lh, it.value, 3, "L")
			y += max(h, lh)
		}
		return nil
	}}
}

// docTable returns the column header and one block per document.
func (d *doc) docTable(docs []Document, tick bool, ticked func(Document) bool) []block {
	cols := []column{{"STT", 8, "C"}, {"Tên giấy tờ", 69, "L"}, {"Loại", 30, "C"}, {"SL", 9, "C"}}
	if tick {
		cols = append(cols, column{"Đã nhận", a5W - 116, "C"})
	} else {
		cols[1].w += a5W - 116
	}
	disp := -1 // the column of the dispositions, when any line has one
	for _, doc := range docs {
		if doc.Disposition != "" {
			const w = 26.0
			cols[1].w -= w - 6
			cols[2].w -= 6
			disp = len(cols)
			cols = append(cols, column{"Xử lý", w, "C"})
			break
		}
	}
	hdr := d.tableHeader(a5X, cols, 6, 7.5)
	const size, kindSize, lh = 8.5, 7.5, 3.7
	rows := make([]block, len(docs))
	for i, doc := range docs {
		d.font("", size)
		name := d.lines(doc.Name, cols[1].w-3, 4)
		d.font("", kindSize)
		kind := d.lines(doc.Kind.String(), cols[2].w-2, 2)
		var how []string
		if disp >= 0 {
			how = d.lines(doc.Disposition, cols[disp].w-2, 3)
		}
		h := float64(max(len(name), len(kind), len(how)))*lh + 2.4
		rows[i] = block{h: h, head: hdr, draw: func(y float64) error {
			d.rowFrame(a5X, y, h, cols)
			d.font("", size)
			d.cell(a5X, y, cols[0].w, h, strconv.Itoa(i+1), "C")
			top := y + (h-float64(len(name))*lh)/2
			for j, l := range name {
				d.cell(colX(a5X, cols, 1)+1.5, top+float64(j)*lh, cols[1].w-3, lh, l, "L")
			}
			d.font("", kindSize)
			top = y + (h-float64(len(kind))*lh)/2
			for j, l := range kind {
				d.cell(colX(a5X, cols, 2)+1, top+float64(j)*lh, cols[2].w-2, lh, l, "C")
			}
			if disp >= 0 {
				top = y + (h-float64(len(how))*lh)/2
				for j, l := range how {
					d.cell(colX(a5X, cols, disp)+1, top+float64(j)*lh, cols[disp].w-2, lh, l, "C")
				}
			}
			d.font("B", size+0.5)
			count := strconv.Itoa(doc.Count)
			if doc.NotCarried {
				count = "–"
			}
			d.cell(colX(a5X, cols, 3), y, cols[3].w, h, count, "C")
			if tick && doc.NotCarried {
				d.cell(colX(a5X, cols, 4), y, cols[4].w, h, "–", "C")
			} else if tick {
				const s = 4.2
				d.tickBox(colX(a5X, cols, 4)+(cols[4].w-s)/2, y+(h-s)/2, s, ticked(doc))
			}
			return nil
		}}
	}
	return rows
}

// docSummary says "5 giấy tờ, 6 bản: 2 bản chính, 2 bản sao chứng thực, 2 bản sao".
func docSummary(docs []Document) string {
	var byKind [4]int
	total, kept := 0, 0
	for _, d := range docs {
		if d.NotCarried {
			kept++
			continue
		}
		byKind[d.Kind] += d.Count
		total += d.Count
	}
	var parts []string
	for _, k := range []DocumentKind{Original, CertifiedCopy, Copy} {
		if byKind[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", byKind[k], strings.ToLower(k.String())))
		}
	}
	if kept > 0 {
		return fmt.Sprintf("%d giấy tờ gửi đi, %d bản: %s; %d giấy tờ không gửi bản gốc", len(docs)-kept, total, strings.Join(parts, ", "), kept)
	}
	return fmt.Sprintf("%d giấy tờ, %d bản: %s", len(docs), total, strings.Join(parts, ", "))
}

// textBlock is a paragraph: bold lead-in on its own is not needed, so the
// whole text is regular, wrapped to at most maxLines.
func (d *doc) textBlock(x, w float64, style string, size float64, s string, maxLines int) block {
	lh := size * 0.45
	d.font(style, size)
	n := len(d.lines(s, w, maxLines))
	return block{h: float64(n)*lh + 1.5, draw: func(y float64) error {
		d.font(style, size)
		d.para(x, y+0.75, w, lh, s, maxLines, "L")
		return nil
	}}
}

// signatures returns a block with two signature boxes side by side.
func (d *doc) signatures(x, w, h float64, left, leftDetail, right, rightDetail string) block {
	return block{h: h + 3, draw: func(y float64) error {
		bw := (w - 4) / 2
		d.signatureBox(x, y+1.5, bw, h, left, leftDetail)
		d.signatureBox(x+bw+4, y+1.5, bw, h, right, rightDetail)
		return nil
	}}
}

const blankTime = "…… giờ …… , ngày …… /…… /20……"

// RenderReceipt writes the door receipt (giấy biên nhận) as a two-page A5
// PDF: "Liên 1: Giao công dân" and "Liên 2: Lưu bưu chính" (more pages per
// copy if the documents do not fit).
func RenderReceipt(w io.Writer, in Receipt, opts Options) error {
	r := in.clean()
	if err := r.validate(); err != nil {
		return err
	}
	d, err := newDoc(opts, "Giấy biên nhận hồ sơ "+r.Code)
	if err != nil {
		return err
	}
	if err := d.receipt(r); err != nil {
		return fmt.Errorf("receipt %s: %w", r.Code, err)
	}
	return d.finish(w)
}

// receipt draws both copies of a door receipt.
func (d *doc) receipt(r Receipt) error {
	phone, err := r.Citizen.maskedPhone()
	if err != nil {
		return err
	}
	for _, copyName := range []string{"Liên 1: Giao công dân", "Liên 2: Lưu bưu chính"} {
		head := a5Head{
			office:   r.Office,
			title:    "GIẤY BIÊN NHẬN HỒ SƠ",
			subtitle: "Thu gom hồ sơ thủ tục hành chính qua dịch vụ bưu chính công ích",
			copy:     copyName,
			number:   "Số: " + r.Code,
		}
		if r.Counter {
			head.subtitle = "Nhận tại quầy bưu cục – hồ sơ thủ tục hành chính qua bưu chính công ích"
		}
		desk := r.Desk.Name
		if r.Desk.Commune != "" {
			desk += " (" + r.Desk.Commune + ")"
		}
		blocks := []block{d.kvBlock(a5X, a5W, []kv{
			{"Số hiệu bưu gửi:", groupS10(r.TrackingNumber)},
			{"Mã hồ sơ:", r.DossierCode},
			{"Thủ tục:", r.Procedure},
			{"Người nộp:", r.Citizen.Initials + " – ĐT " + phone + " – " + r.Citizen.Commune},
			{"Nơi tiếp nhận:", desk},
		})}
		if r.Counter {
			blocks = append(blocks, d.textBlock(a5X, a5W, "B", 8.5, "Nhận tại quầy: "+r.Office, 2))
			blocks = append(blocks, d.textBlock(a5X, a5W, "B", 8.5, "Danh mục giấy tờ công dân nộp tại quầy:", 1))
		} else {
			blocks = append(blocks, d.textBlock(a5X, a5W, "B", 8.5, "Danh mục giấy tờ đã giao cho bưu tá:", 1))
		}
		rows := d.docTable(r.Documents, true, func(doc Document) bool { return !r.Prefilled && doc.Received })
		blocks = append(blocks, rows...)
		blocks = append(blocks, d.textBlock(a5X, a5W, "B", 8.5, "Tổng cộng: "+docSummary(r.Documents)+".", 2))
		if !r.Prefilled {
			var missing []string
			for _, doc := range r.Documents {
				if !doc.Received && !doc.NotCarried {
					missing = append(missing, doc.Name)
				}
			}
			if len(missing) > 0 {
				blocks = append(blocks, d.textBlock(a5X, a5W, "B", 8.5, "Chưa nhận (không đánh dấu): "+strings.Join(missing, "; ")+".", 3))
			}
		}
		if r.Note != "" {
			blocks = append(blocks, d.textBlock(a5X, a5W, "", 8, "Ghi chú: "+r.Note, 3))
		}
		if r.Proof != "" && !r.Prefilled {
			blocks = append(blocks, d.textBlock(a5X, a5W, "B", 8.5, "Bằng chứng xác nhận: "+r.Proof, 2))
		}
		blocks = append(blocks, d.receiptDetails(r))
		receiver := "BƯU TÁ"
		if r.Counter {
			receiver = "NHÂN VIÊN BƯU CỤC"
		}
		blocks = append(blocks, d.signatures(a5X, a5W, 22, "CÔNG DÂN", "", receiver, r.CourierCode))
		blocks = append(blocks, d.verifyBlock(r))
		if r.LogNote != "" {
			blocks = append(blocks, d.textBlock(a5X, a5W, "", 7, r.LogNote, 2))
		}
		f := flow{size: sizeA5, top: a5Top, bottom: a5Bot,
			header: func(page, pages int) error { d.a5Header(head, page, pages); return nil }}
		if _, err := d.run(f, blocks); err != nil {
			return err
		}
	}
	return nil
}

// receiptDetails: time, courier, seal.
func (d *doc) receiptDetails(r Receipt) block {
	const h = 13.5
	return block{h: h, draw: func(y float64) error {
		const sw = 44.0
		lw := a5W - sw - 3
		at := blankTime
		if !r.Prefilled {
			at = d.fmtTime(r.CollectedAt)
		}
		d.labelValue(a5X, y+1, lw, 4.3, "Thời gian nhận:", at, 8.5)
		courier := r.CourierCode
		if courier == "" {
			courier = "……………………"
		}
		if r.Office != "" {
			courier += " – " + r.Office
		}
		who := "Bưu tá (mã nhân viên):"
		if r.Counter {
			who = "Nhân viên quầy (mã):"
		}
		d.labelValue(a5X, y+5.3, lw, 4.3, who, courier, 8.5)
		d.font("", 7)
		d.cell(a5X, y+9.6, lw, 3.8, "Phong bì được niêm phong trước mặt công dân.", "L")
		d.sealBox(a5X+a5W-sw, y+1, sw, 12.5, r.SealID)
		return nil
	}}
}

// verifyBlock: the QR and short code leading to the verification page.
func (d *doc) verifyBlock(r Receipt) block {
	const h = 27.0
	return block{h: h + 1.5, draw: func(y float64) error {
		y += 1.5
		p := d.pdf
		p.SetLineWidth(0.5)
		d.box(a5X, y, a5W, h)
		p.SetLineWidth(0.25)
		const qs = 25.0
		if err := d.qr(r.VerifyURL, a5X+1, y+1, qs); err != nil {
			return err
		}
		x := a5X + qs + 3
		tw := a5W - qs - 5
		d.font("B", 8.5)
		d.cell(x, y+1.2, tw, 4.3, "KIỂM TRA BIÊN NHẬN NÀY LÀ THẬT", "L")
		d.labelValue(x, y+5.5, tw, 5.5, "Mã kiểm tra:", r.Code, 12)
		d.font("", 7.5)
		text := "Quét mã QR bằng điện thoại, hoặc mở địa chỉ dưới đây. Trang kiểm tra phải hiện đúng các giấy tờ ghi ở trên; nếu khác, hãy báo ngay cho bưu điện."
		if r.Hotline != "" {
			text += " Đường dây hỗ trợ: " + r.Hotline + "."
		}
		hh := d.para(x, y+11.2, tw, 3.2, text, 3, "L")
		d.font("B", 7.5)
		d.para(x, y+11.5+hh, tw, 3.2, r.VerifyURL, 1, "L")
		return nil
	}}
}
