package labels

import (
	"fmt"
	"io"
	"time"
)

// SampleSet holds one realistic input for every document (Thái Nguyên,
// November 2026). All of it is invented demo data.
type SampleSet struct {
	Label           Label
	Receipt         Receipt // printed after collection: boxes ticked
	Manifest        Manifest
	DeliveryReceipt DeliveryReceipt
	RoutePack       RoutePack
	FeeStatement    FeeStatement
}

// SampleDocument is one demo PDF: a file name and how to render it.
type SampleDocument struct {
	File   string // e.g. "nhan-buu-gui.pdf"
	Title  string // Vietnamese, e.g. "Nhãn bưu gửi A6"
	Render func(w io.Writer, opts Options) error
}

// SampleDocuments lists every document rendered from Samples(), for a demo
// command that writes them all to a folder.
func SampleDocuments() []SampleDocument {
	s := Samples()
	return []SampleDocument{
		{"nhan-buu-gui.pdf", "Nhãn bưu gửi A6", func(w io.Writer, o Options) error { return RenderLabel(w, s.Label, o) }},
		{"giay-bien-nhan.pdf", "Giấy biên nhận hồ sơ", func(w io.Writer, o Options) error { return RenderReceipt(w, s.Receipt, o) }},
		{"bien-ban-ban-giao.pdf", "Biên bản bàn giao bưu gửi", func(w io.Writer, o Options) error { return RenderManifest(w, s.Manifest, o) }},
		{"phieu-giao-ket-qua.pdf", "Phiếu giao kết quả", func(w io.Writer, o Options) error {
			return RenderDeliveryReceipt(w, s.DeliveryReceipt, o)
		}},
		{"tui-hanh-trinh.pdf", "Túi hành trình của bưu tá", func(w io.Writer, o Options) error { return RenderRoutePack(w, s.RoutePack, o) }},
		{"bang-ke-thu-ho.pdf", "Bảng kê thu hộ", func(w io.Writer, o Options) error { return RenderFeeStatement(w, s.FeeStatement, o) }},
	}
}

// sampleS10 makes a valid S10 number from service letters and a serial.
func sampleS10(service string, serial int) string {
	digits := fmt.Sprintf("%08d", serial%100000000)
	return service + digits + string(s10CheckDigit(digits)) + "VN"
}

const sampleHost = "https://hoso.example.org"

// Samples returns realistic Vietnamese inputs for every document.
func Samples() SampleSet {
	ict := time.FixedZone("ICT", 7*3600)
	day := time.Date(2026, 11, 24, 0, 0, 0, 0, ict)
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }

	desk := Desk{Name: "Trung tâm Phục vụ hành chính công tỉnh Thái Nguyên", Commune: "Phường Phan Đình Phùng, tỉnh Thái Nguyên"}
	const office = "Bưu cục Phan Đình Phùng"
	courier := Party{Role: "Bưu tá", Office: office, StaffCode: "BT-19-0123"}

	type person struct {
		initials, phone, commune, dossier, procedure, code string
		docs                                               []Document
	}
	land := []Document{
		{Name: "Đơn đăng ký đất đai, tài sản gắn liền với đất (Mẫu số 04/ĐK)", Kind: Original, Count: 1, Received: true},
		{Name: "Giấy tờ về quyền sử dụng đất theo Điều 137 Luật Đất đai", Kind: Original, Count: 1, Received: true},
		{Name: "Thẻ Căn cước của người sử dụng đất", Kind: CertifiedCopy, Count: 2, Received: true},
		{Name: "Mảnh trích đo bản đồ địa chính thửa đất", Kind: Copy, Count: 1, Received: true},
		{Name: "Chứng từ thực hiện nghĩa vụ tài chính về đất đai", Kind: Copy, Count: 1, Received: true},
	}
	birth := []Document{
		{Name: "Tờ khai đăng ký khai sinh", Kind: Original, Count: 1, Received: true},
		{Name: "Giấy chứng sinh", Kind: Original, Count: 1, Received: true},
		{Name: "Giấy chứng nhận kết hôn của cha mẹ", Kind: CertifiedCopy, Count: 1, Received: true},
	}
	licence := []Document{
		{Name: "Đơn đề nghị đổi giấy phép lái xe", Kind: Original, Count: 1, Received: true},
		{Name: "Giấy khám sức khỏe của người lái xe", Kind: Original, Count: 1, Received: true},
		{Name: "Giấy phép lái xe cũ", Kind: Original, Count: 1, Received: true},
		{Name: "Thẻ Căn cước", Kind: Copy, Count: 1, Received: true},
	}
	people := []person{
		{"N.T.H.N.", "0912345123", "Phường Quyết Thắng, tỉnh Thái Nguyên", "H56.22-261124-0012", "Đăng ký đất đai, tài sản gắn liền với đất, cấp Giấy chứng nhận quyền sử dụng đất lần đầu", "1.012800", land},
		{"T.V.B.", "0987654321", "Phường Gia Sàng, tỉnh Thái Nguyên", "H56.22-261124-0013", "Đăng ký khai sinh", "1.001193", birth},
		{"Đ.T.Ư.", "0356789012", "Xã Tân Cương, tỉnh Thái Nguyên", "H56.22-261124-0014", "Đổi giấy phép lái xe do ngành Công an cấp", "1.002804", licence},
		{"L.Q.Đ.", "0868123456", "Phường Quan Triều, tỉnh Thái Nguyên", "H56.22-261124-0015", "Đăng ký khai sinh", "1.001193", birth},
		{"H.T.Â.", "0945111222", "Xã Đại Phúc, tỉnh Thái Nguyên", "H56.22-261124-0016", "Đổi giấy phép lái xe do ngành Công an cấp", "1.002804", licence},
		{"P.M.Ơ.", "0399888777", "Phường Tích Lương, tỉnh Thái Nguyên", "H56.22-261124-0017", "Đăng ký đất đai, tài sản gắn liền với đất, cấp Giấy chứng nhận quyền sử dụng đất lần đầu", "1.012800", land},
	}
	seals := []string{"NP-0048213", "NP-0048214", "NP-0048215", "NP-0048216", "NP-0048217", "NP-0048218"}
	receiptCodes := []string{"BN-7K3M-Q9XD", "BN-4HRT-2WCP", "BN-9XNE-6FJA", "BN-3DQV-8LMS", "BN-6PZC-1TKU", "BN-2WGY-5ERB"}

	labelFor := func(i int) Label {
		p := people[i]
		tn := sampleS10("EA", 12345678+i*1111)
		return Label{
			TrackingNumber: tn,
			TrackingURL:    sampleHost + "/tra-cuu/" + tn,
			From:           Citizen{Initials: p.initials, Phone: p.phone, Commune: p.commune},
			To:             desk,
			DossierCode:    p.dossier,
			Procedure:      p.procedure,
			ProcedureCode:  p.code,
			DocumentCount:  len(p.docs),
			SealID:         seals[i],
		}
	}
	receiptFor := func(i int, collected time.Time) Receipt {
		p, l := people[i], labelFor(i)
		return Receipt{
			Code:           receiptCodes[i],
			VerifyURL:      sampleHost + "/bien-nhan/" + receiptCodes[i],
			TrackingNumber: l.TrackingNumber,
			DossierCode:    p.dossier,
			Procedure:      p.procedure,
			Citizen:        l.From,
			Desk:           desk,
			Office:         office,
			Documents:      p.docs,
			SealID:         seals[i],
			CollectedAt:    collected,
			CourierCode:    courier.StaffCode,
			Hotline:        "1900 54 54 81",
		}
	}

	var stops []Stop
	for i := range people {
		start := at(8+i/2*2, 0)
		r := receiptFor(i, time.Time{})
		r.Prefilled = true
		r.SealID = ""
		l := labelFor(i)
		l.SealID = ""
		stops = append(stops, Stop{Seq: i + 1, WindowStart: start, WindowEnd: start.Add(2 * time.Hour),
			ETA: at(8, 20).Add(time.Duration(i) * 37 * time.Minute), Label: l, Receipt: r})
	}

	var parcels []ManifestParcel
	for i := 0; i < 14; i++ {
		p := people[i%len(people)]
		parcels = append(parcels, ManifestParcel{
			TrackingNumber: sampleS10("EA", 12345678+i*1111),
			DossierCode:    fmt.Sprintf("H56.22-261124-%04d", 12+i),
			DocumentCount:  len(p.docs),
			SealID:         fmt.Sprintf("NP-%07d", 48213+i),
			Result:         LineReceived,
			SealRead:       fmt.Sprintf("NP-%07d", 48213+i),
		})
	}
	// The receiver found one seal broken and one document short.
	parcels[3].Result, parcels[3].SealRead = LineDisputed, ""
	parcels[8].Result = LineDisputed

	fees := []int64{150000, 0, 35000, 8000, 135000, 0, 50000, 25000}
	var feeRows []FeeRow
	for i, f := range fees {
		feeRows = append(feeRows, FeeRow{TrackingNumber: sampleS10("EB", 40020011+i*7), DossierCode: fmt.Sprintf("H56.22-261118-%04d", 301+i), Fee: f})
	}

	return SampleSet{
		Label:   labelFor(0),
		Receipt: receiptFor(0, at(8, 41)),
		Manifest: Manifest{
			Code:       "BK19-20261124-0007",
			From:       courier,
			To:         Party{Role: "Cán bộ tiếp nhận", Office: desk.Name, StaffCode: "TN-MC-07"},
			At:         at(14, 15),
			Parcels:    parcels,
			ReleasedBy: "Lê Văn Bình (mã BT-19-0123)",
			Deadline:   at(14, 45),
			ClosedAt:   at(14, 38),
			ClosedBy:   "Trần Thị Lan (mã TN-MC-07)",
			Discrepancies: []Discrepancy{
				{TrackingNumber: parcels[3].TrackingNumber, Kind: SealBroken, Detail: "Niêm phong bị rách ở mép trên, giấy tờ bên trong còn đủ"},
				{TrackingNumber: parcels[8].TrackingNumber, Kind: DocumentMissing, Detail: "Thiếu bản sao chứng thực Giấy chứng nhận kết hôn của cha mẹ"},
			},
		},
		DeliveryReceipt: DeliveryReceipt{
			Code:           "PG-20261126-0042",
			TrackingNumber: sampleS10("EB", 40020011),
			DossierCode:    "H56.22-261118-0301",
			Procedure:      "Đăng ký đất đai, tài sản gắn liền với đất, cấp Giấy chứng nhận quyền sử dụng đất lần đầu",
			Desk:           desk,
			Office:         office,
			Documents: []Document{
				{Name: "Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất", Kind: Original, Count: 1},
				{Name: "Giấy tờ về quyền sử dụng đất (trả lại bản gốc đã nộp)", Kind: Original, Count: 1},
				{Name: "Thông báo nộp tiền sử dụng đất", Kind: Copy, Count: 1},
			},
			Fee:               150000,
			Method:            VerifyProxy,
			AuthorisationRef:  "Giấy ủy quyền số 15/2026/UQ, chứng thực tại UBND phường Quyết Thắng ngày 20/11/2026",
			RecipientInitials: "N.V.Đ.",
			DeliveredAt:       time.Date(2026, 11, 26, 10, 5, 0, 0, ict),
			CourierCode:       courier.StaffCode,
		},
		RoutePack: RoutePack{Courier: courier, Date: day, Stops: stops},
		FeeStatement: FeeStatement{
			Code:    "TH19-20261126-BT0123",
			Courier: courier,
			Office:  Party{Role: "Kế toán bưu cục", Office: office},
			Date:    time.Date(2026, 11, 26, 0, 0, 0, 0, ict),
			Rows:    feeRows,
		},
	}
}
