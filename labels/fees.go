package labels

import (
	"fmt"
	"io"
	"strconv"
)

// RenderFeeStatement writes a courier's statement of the day's collections
// (bảng kê thu hộ) as an A4 PDF with the header on every page.
func RenderFeeStatement(w io.Writer, in FeeStatement, opts Options) error {
	f := in.clean()
	if err := f.validate(); err != nil {
		return err
	}
	d, err := newDoc(opts, "Bảng kê thu hộ "+f.Code)
	if err != nil {
		return err
	}
	if err := d.fees(f); err != nil {
		return fmt.Errorf("fee statement %s: %w", f.Code, err)
	}
	return d.finish(w)
}

func (d *doc) fees(f FeeStatement) error {
	head := a4Head{
		title:   "BẢNG KÊ THU HỘ",
		number:  "Số: " + f.Code,
		barcode: f.Code,
		lines:   []kv{{"Ngày thu:", d.fmtDate(f.Date)}},
		left:    kv{"BƯU TÁ NỘP", f.Courier.line()},
		right:   kv{"BƯU CỤC NHẬN", f.Office.line()},
	}
	cols := []column{{"STT", 12, "C"}, {"Số hiệu bưu gửi", 56, "C"}, {"Mã hồ sơ", 70, "L"}, {"Số tiền thu hộ", 52, "R"}}
	hdr := d.tableHeader(a4X, cols, 8, 8.5)
	const rh = 7.0
	var blocks []block
	var total int64
	for i, r := range f.Rows {
		total += r.Fee
		blocks = append(blocks, block{h: rh, head: hdr, draw: func(y float64) error {
			d.rowFrame(a4X, y, rh, cols)
			d.font("", 9)
			d.cell(a4X, y, cols[0].w, rh, strconv.Itoa(i+1), "C")
			d.font("B", 9)
			d.cell(colX(a4X, cols, 1)+1, y, cols[1].w-2, rh, groupS10(r.TrackingNumber), "C")
			d.font("", 9)
			d.cell(colX(a4X, cols, 2)+2, y, cols[2].w-4, rh, r.DossierCode, "L")
			d.font("B", 9.5)
			d.cell(colX(a4X, cols, 3)+2, y, cols[3].w-4, rh, FormatVND(r.Fee), "R")
			return nil
		}})
	}
	if len(f.Rows) == 0 {
		blocks = append(blocks, d.textBlock(a4X, a4W, "", 9, "Không có khoản thu hộ nào trong ngày.", 1))
	}
	blocks = append(blocks, block{h: 9, draw: func(y float64) error {
		d.pdf.SetFillColor(240, 240, 240)
		d.pdf.Rect(a4X, y, a4W, 9, "FD")
		d.pdf.SetFillColor(255, 255, 255)
		d.font("B", 10)
		d.cell(a4X+2, y, 120, 9, fmt.Sprintf("TỔNG CỘNG (%d bưu gửi)", len(f.Rows)), "L")
		d.font("B", 11)
		d.cell(a4X+a4W-cols[3].w+2, y, cols[3].w-4, 9, FormatVND(total), "R")
		return nil
	}})
	blocks = append(blocks, d.textBlock(a4X, a4W, "", 9, "Bằng chữ: "+AmountInWords(total)+".", 2))
	blocks = append(blocks, d.textBlock(a4X, a4W, "", 8.5,
		"Bưu tá đã nộp đủ số tiền trên cho bưu cục; bưu cục đã kiểm đếm và nhận đủ.", 2))
	blocks = append(blocks, d.signatures(a4X, a4W, 30, "BƯU TÁ NỘP TIỀN", f.Courier.signer(), "ĐẠI DIỆN BƯU CỤC", f.Office.signer()))
	_, err := d.run(d.a4Flow(head), blocks)
	return err
}
