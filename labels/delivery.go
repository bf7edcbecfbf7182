package labels

import (
	"fmt"
	"io"
)

// RenderDeliveryReceipt writes the delivery receipt of the return leg
// (phiếu giao kết quả) as a two-page A5 PDF: "Liên 1: Giao người nhận" and
// "Liên 2: Lưu bưu chính".
func RenderDeliveryReceipt(w io.Writer, in DeliveryReceipt, opts Options) error {
	r := in.clean()
	if err := r.validate(); err != nil {
		return err
	}
	d, err := newDoc(opts, "Phiếu giao kết quả "+r.Code)
	if err != nil {
		return err
	}
	if err := d.delivery(r); err != nil {
		return fmt.Errorf("delivery receipt %s: %w", r.Code, err)
	}
	return d.finish(w)
}

func (d *doc) delivery(r DeliveryReceipt) error {
	for _, copyName := range []string{"Liên 1: Giao người nhận", "Liên 2: Lưu bưu chính"} {
		head := a5Head{
			office:   r.Office,
			title:    "PHIẾU GIAO KẾT QUẢ",
			subtitle: "Trả kết quả giải quyết thủ tục hành chính qua dịch vụ bưu chính công ích",
			copy:     copyName,
			number:   "Số: " + r.Code,
		}
		desk := r.Desk.Name
		if r.Desk.Commune != "" {
			desk += " (" + r.Desk.Commune + ")"
		}
		blocks := []block{d.trackingBlock(r.TrackingNumber), d.kvBlock(a5X, a5W, []kv{
			{"Mã hồ sơ:", r.DossierCode},
			{"Thủ tục:", r.Procedure},
			{"Cơ quan trả:", desk},
		})}
		blocks = append(blocks, d.textBlock(a5X, a5W, "B", 8.5, "Giấy tờ, kết quả đã giao cho người nhận:", 1))
		blocks = append(blocks, d.docTable(r.Documents, false, nil)...)
		blocks = append(blocks, d.textBlock(a5X, a5W, "B", 8.5, "Tổng cộng: "+docSummary(r.Documents)+".", 2))
		blocks = append(blocks, d.feeBlock(r.Fee), d.recipientBlock(r))
		blocks = append(blocks, d.signatures(a5X, a5W, 22, "NGƯỜI NHẬN", "", "BƯU TÁ", r.CourierCode))
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

// trackingBlock prints the tracking number as Code128 with the number in
// clear beside it.
func (d *doc) trackingBlock(tn string) block {
	const h = 13.0
	return block{h: h, draw: func(y float64) error {
		mods, err := d.code128Modules(tn)
		if err != nil {
			return err
		}
		mw := 0.375
		bw := float64(mods) * mw
		if _, err := d.code128(tn, a5X+a5W-bw, y+1, mw, 10); err != nil {
			return err
		}
		d.font("", 8)
		d.cell(a5X, y+1.5, a5W-bw, 4, "Số hiệu bưu gửi:", "L")
		d.font("B", 13)
		d.cell(a5X, y+5.5, a5W-bw, 6, groupS10(tn), "L")
		return nil
	}}
}

// feeBlock prints the amount collected in figures and in words.
func (d *doc) feeBlock(fee int64) block {
	const h = 11.5
	return block{h: h, draw: func(y float64) error {
		amount := FormatVND(fee)
		words := AmountInWords(fee)
		if fee == 0 {
			amount = "0 ₫ (không thu)"
		}
		d.labelValue(a5X, y+1.5, a5W, 5, "Phí, lệ phí đã thu hộ:", amount, 10)
		d.font("", 8)
		d.cell(a5X, y+6.5, a5W, 4, "Bằng chữ: "+words+".", "L")
		return nil
	}}
}

// recipientBlock: how the recipient was verified, who, when, by whom.
func (d *doc) recipientBlock(r DeliveryReceipt) block {
	proxyText := VerifyProxy.String()
	if r.Method == VerifyProxy {
		proxyText += " – " + r.AuthorisationRef
	}
	d.font("", 8.5)
	proxyLines := d.lines(proxyText, a5W-8, 3)
	methods := []VerifyMethod{VerifyOTP, VerifyQR, VerifyCCCD, VerifySignature}
	h := 4.5 + 5*float64(len(methods)) + float64(len(proxyLines))*3.9 + 2 + 4.6*2 + 1
	return block{h: h, draw: func(y float64) error {
		d.font("B", 8.5)
		d.cell(a5X, y+0.5, a5W, 4.5, "Xác minh người nhận:", "L")
		yy := y + 5
		const s = 3.8
		for _, m := range methods {
			d.tickBox(a5X+1, yy+0.3, s, r.Method == m)
			d.font("", 8.5)
			d.cell(a5X+7, yy, a5W-8, 4.4, m.String(), "L")
			yy += 5
		}
		d.tickBox(a5X+1, yy+0.3, s, r.Method == VerifyProxy)
		d.font("", 8.5)
		for _, l := range proxyLines {
			d.cell(a5X+7, yy, a5W-8, 3.9, l, "L")
			yy += 3.9
		}
		yy += 2
		d.labelValue(a5X, yy, a5W, 4.6, "Người nhận:", r.RecipientInitials, 8.5)
		d.labelValue(a5X+a5W/2, yy, a5W/2, 4.6, "Thời gian giao:", d.fmtTime(r.DeliveredAt), 8.5)
		yy += 4.6
		courier := r.CourierCode
		if r.Office != "" {
			courier += " – " + r.Office
		}
		d.labelValue(a5X, yy, a5W, 4.6, "Bưu tá (mã nhân viên):", courier, 8.5)
		return nil
	}}
}
