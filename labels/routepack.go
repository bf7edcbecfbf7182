package labels

import (
	"fmt"
	"io"
	"strconv"
)

// RenderRoutePack writes one courier's day as one PDF: the stop list in
// route order (A4), then for each stop its A6 label and its pre-filled A5
// receipt (two copies).
func RenderRoutePack(w io.Writer, in RoutePack, opts Options) error {
	rp, err := in.cleanValidate()
	if err != nil {
		return err
	}
	d, err := newDoc(opts, "Túi hành trình "+rp.Courier.StaffCode+" ngày "+rp.Date.Format("02/01/2006"))
	if err != nil {
		return err
	}
	var urls []string
	for _, s := range rp.Stops {
		urls = append(urls, s.Label.TrackingURL)
		if !s.Delivery {
			urls = append(urls, s.Receipt.VerifyURL)
		}
	}
	if err := d.preencodeQR(urls); err != nil {
		return err
	}
	if err := d.stopList(rp); err != nil {
		return fmt.Errorf("route pack stop list: %w", err)
	}
	for _, s := range rp.Stops {
		if err := d.label(s.Label); err != nil {
			return fmt.Errorf("route pack stop %d label: %w", s.Seq, err)
		}
		if s.Delivery {
			continue
		}
		if err := d.receipt(s.Receipt); err != nil {
			return fmt.Errorf("route pack stop %d receipt: %w", s.Seq, err)
		}
	}
	return d.finish(w)
}

func (rp RoutePack) cleanValidate() (RoutePack, error) {
	out := RoutePack{Courier: rp.Courier.clean(), Date: rp.Date, Stops: make([]Stop, len(rp.Stops)), Break: rp.Break}
	if b := rp.Break; b != nil && (b.After < 0 || b.After > len(rp.Stops) || b.Start.IsZero() || !b.End.After(b.Start)) {
		return out, invalid("route pack: break after stop %d of %d, from %s to %s", b.After, len(rp.Stops), b.Start, b.End)
	}
	if err := out.Courier.validate("route pack courier"); err != nil {
		return out, err
	}
	if out.Date.IsZero() {
		return out, invalid("route pack: date is missing")
	}
	if len(rp.Stops) == 0 {
		return out, invalid("route pack: no stops")
	}
	for i, s := range rp.Stops {
		s.Label = s.Label.clean()
		s.Receipt = s.Receipt.clean()
		s.Receipt.Prefilled = true
		where := fmt.Sprintf("route pack stop %d", i+1)
		if s.Seq < 1 {
			return out, invalid("%s: sequence %d, want 1 or more", where, s.Seq)
		}
		if i > 0 && s.Seq <= out.Stops[i-1].Seq {
			return out, invalid("%s: sequence %d is not after %d (stops must be in route order)", where, s.Seq, out.Stops[i-1].Seq)
		}
		if s.WindowStart.IsZero() || s.WindowEnd.Before(s.WindowStart) {
			return out, invalid("%s: time window is missing or ends before it starts", where)
		}
		if err := s.Label.validate(); err != nil {
			return out, within(where+" label", err)
		}
		if s.Delivery {
			out.Stops[i] = s
			continue
		}
		if err := s.Receipt.validate(); err != nil {
			return out, within(where+" receipt", err)
		}
		if s.Receipt.TrackingNumber != s.Label.TrackingNumber {
			return out, invalid("%s: receipt is for %s but the label is %s", where, s.Receipt.TrackingNumber, s.Label.TrackingNumber)
		}
		out.Stops[i] = s
	}
	return out, nil
}

// stopList draws the A4 list of stops in route order.
func (d *doc) stopList(rp RoutePack) error {
	docs, deliveries := 0, 0
	for _, s := range rp.Stops {
		if s.Delivery {
			deliveries++
		} else {
			docs += s.Label.DocumentCount
		}
	}
	mixed := deliveries > 0 || rp.Break != nil
	head := a4Head{
		title:  "DANH SÁCH ĐIỂM THU GOM",
		number: "Ngày " + d.fmtDate(rp.Date) + " – " + rp.Courier.line(),
		lines: []kv{{"Số điểm dừng:", fmt.Sprintf("%d điểm, %s giấy tờ cần thu", len(rp.Stops), formatInt(docs))},
			{"Lưu ý:", "Đối chiếu từng giấy tờ với biên nhận, đánh dấu và niêm phong trước mặt công dân."}},
	}
	cols := []column{{"STT", 10, "C"}, {"Khung giờ", 24, "C"}, {"Số hiệu bưu gửi", 38, "C"}, {"Xã/phường", 50, "L"},
		{"Điện thoại", 24, "C"}, {"Số giấy tờ", 14, "C"}, {"Dự kiến đến", 16, "C"}, {"Đã thu", 14, "C"}}
	if mixed {
		head.title = "DANH SÁCH ĐIỂM DỪNG: THU GOM VÀ TRẢ KẾT QUẢ"
		head.lines[0] = kv{"Số điểm dừng:", fmt.Sprintf("%d điểm: %d nhận hồ sơ (%s giấy tờ cần thu), %d trả kết quả",
			len(rp.Stops), len(rp.Stops)-deliveries, formatInt(docs), deliveries)}
		head.lines = append(head.lines, kv{"Kết quả:", "Mang theo từ bưu cục khi xuất phát; xác minh người nhận trước khi giao."})
		cols = []column{{"STT", 10, "C"}, {"Việc", 14, "C"}, {"Khung giờ", 24, "C"}, {"Số hiệu bưu gửi", 38, "C"}, {"Xã/phường", 36, "L"},
			{"Điện thoại", 24, "C"}, {"Số giấy tờ", 14, "C"}, {"Dự kiến đến", 16, "C"}, {"Xong", 14, "C"}}
	}
	hdr := d.tableHeader(a4X, cols, 8, 8)
	const rh = 9.0
	var blocks []block
	breakRow := func() block {
		b := rp.Break
		text := "Nghỉ trưa " + d.fmtClock(b.Start) + "–" + d.fmtClock(b.End)
		if b.After == 0 {
			text += " trước khi xuất phát"
		} else {
			text += fmt.Sprintf(" sau điểm %d", rp.Stops[b.After-1].Seq)
		}
		return block{h: rh, head: hdr, draw: func(y float64) error {
			d.rowFrame(a4X, y, rh, []column{{"", a4W, "C"}})
			d.font("B", 9)
			d.cell(a4X, y, a4W, rh, text, "C")
			return nil
		}}
	}
	if rp.Break != nil && rp.Break.After == 0 {
		blocks = append(blocks, breakRow())
	}
	for i, s := range rp.Stops {
		if mixed {
			phone, err := s.Label.From.maskedPhone()
			if err != nil {
				return err
			}
			kind := "Thu"
			if s.Delivery {
				kind = "Trả"
			}
			blocks = append(blocks, block{h: rh, head: hdr, draw: func(y float64) error {
				d.rowFrame(a4X, y, rh, cols)
				d.font("B", 9)
				d.cell(a4X, y, cols[0].w, rh, strconv.Itoa(s.Seq), "C")
				d.cell(colX(a4X, cols, 1), y, cols[1].w, rh, kind, "C")
				d.font("", 9)
				d.cell(colX(a4X, cols, 2)+1, y, cols[2].w-2, rh, d.fmtClock(s.WindowStart)+"–"+d.fmtClock(s.WindowEnd), "C")
				d.font("B", 9)
				d.cell(colX(a4X, cols, 3)+1, y, cols[3].w-2, rh, groupS10(s.Label.TrackingNumber), "C")
				d.font("", 8.5)
				d.vpara(colX(a4X, cols, 4)+1.5, y, cols[4].w-3, rh, 3.8, s.Label.From.Commune, 2, "L")
				d.font("", 9)
				d.cell(colX(a4X, cols, 5)+1, y, cols[5].w-2, rh, phone, "C")
				d.font("B", 10)
				d.cell(colX(a4X, cols, 6), y, cols[6].w, rh, strconv.Itoa(s.Label.DocumentCount), "C")
				d.font("", 9)
				eta := ""
				if !s.ETA.IsZero() {
					eta = d.fmtClock(s.ETA)
				}
				d.cell(colX(a4X, cols, 7), y, cols[7].w, rh, eta, "C")
				const b = 4.6
				d.tickBox(colX(a4X, cols, 8)+(cols[8].w-b)/2, y+(rh-b)/2, b, false)
				return nil
			}})
			if rp.Break != nil && rp.Break.After == i+1 {
				blocks = append(blocks, breakRow())
			}
			continue
		}
		phone, err := s.Label.From.maskedPhone()
		if err != nil {
			return err
		}
		blocks = append(blocks, block{h: rh, head: hdr, draw: func(y float64) error {
			d.rowFrame(a4X, y, rh, cols)
			d.font("B", 9)
			d.cell(a4X, y, cols[0].w, rh, strconv.Itoa(s.Seq), "C")
			d.font("", 9)
			d.cell(colX(a4X, cols, 1)+1, y, cols[1].w-2, rh, d.fmtClock(s.WindowStart)+"–"+d.fmtClock(s.WindowEnd), "C")
			d.font("B", 9)
			d.cell(colX(a4X, cols, 2)+1, y, cols[2].w-2, rh, groupS10(s.Label.TrackingNumber), "C")
			d.font("", 8.5)
			d.vpara(colX(a4X, cols, 3)+1.5, y, cols[3].w-3, rh, 3.8, s.Label.From.Commune, 2, "L")
			d.font("", 9)
			d.cell(colX(a4X, cols, 4)+1, y, cols[4].w-2, rh, phone, "C")
			d.font("B", 10)
			d.cell(colX(a4X, cols, 5), y, cols[5].w, rh, strconv.Itoa(s.Label.DocumentCount), "C")
			d.font("", 9)
			eta := ""
			if !s.ETA.IsZero() {
				eta = d.fmtClock(s.ETA)
			}
			d.cell(colX(a4X, cols, 6), y, cols[6].w, rh, eta, "C")
			const b = 4.6
			d.tickBox(colX(a4X, cols, 7)+(cols[7].w-b)/2, y+(rh-b)/2, b, false)
			return nil
		}})
	}
	after := "Sau danh sách là nhãn A6 và giấy biên nhận (2 liên) của từng điểm, theo đúng thứ tự trên."
	if mixed {
		after = "Sau danh sách là nhãn A6 và giấy biên nhận (2 liên) của từng điểm thu gom, nhãn A6 của từng kết quả cần trả, theo đúng thứ tự trên."
	}
	blocks = append(blocks, d.textBlock(a4X, a4W, "", 8.5, after, 2))
	_, err := d.run(d.a4Flow(head), blocks)
	return err
}
