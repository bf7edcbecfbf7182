package labels

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/makiuchi-d/gozxing/qrcode"
	"golang.org/x/text/unicode/norm"

	"hoso/internal/testenv"
)

var testCreated = time.Date(2026, 11, 24, 1, 30, 0, 0, time.UTC)

func testOpts() Options { return Options{Created: testCreated} }

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out.String(), errb.String())
	}
	return out.String()
}

// renderFile renders to a temporary PDF file and returns its path.
func renderFile(t testing.TB, name string, render func(w *bytes.Buffer) error) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := render(&buf); err != nil {
		t.Fatalf("render %s: %v", name, err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, buf.Bytes()
}

var spaces = regexp.MustCompile(`\s+`)

// pdfText returns the text of pages first..last (0: all), whitespace
// collapsed, and checks it is NFC.
func pdfText(t testing.TB, path string, first, last int) string {
	t.Helper()
	args := []string{"-enc", "UTF-8"}
	if first > 0 {
		args = append(args, "-f", fmt.Sprint(first), "-l", fmt.Sprint(last))
	}
	out := run(t, "pdftotext", append(args, path, "-")...)
	if !norm.NFC.IsNormalString(out) {
		t.Errorf("%s: pdftotext output is not NFC", filepath.Base(path))
	}
	return strings.TrimSpace(spaces.ReplaceAllString(out, " "))
}

func pageCount(t testing.TB, path string) int {
	t.Helper()
	out := run(t, "pdfinfo", path)
	var n int
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "Pages:") {
			fmt.Sscan(strings.TrimSpace(strings.TrimPrefix(l, "Pages:")), &n)
		}
	}
	return n
}

// sampleCase is one sample document with what its text and barcodes must be.
type sampleCase struct {
	file   string
	render func(w *bytes.Buffer) error
	pages  int
	text   []string // exact NFC phrases
	codes  []string // every barcode, sorted, as zbarimg reads them
}

func sampleCases() []sampleCase {
	s := Samples()
	o := testOpts()
	var manifestCodes []string
	for range 2 {
		manifestCodes = append(manifestCodes, "CODE-128:"+s.Manifest.Code)
	}
	for _, p := range s.Manifest.Parcels {
		manifestCodes = append(manifestCodes, "CODE-128:"+p.TrackingNumber)
	}
	var packCodes []string
	for _, st := range s.RoutePack.Stops {
		packCodes = append(packCodes, "CODE-128:"+st.Label.TrackingNumber, "QR-Code:"+st.Label.TrackingURL,
			"QR-Code:"+st.Receipt.VerifyURL, "QR-Code:"+st.Receipt.VerifyURL)
	}
	cases := []sampleCase{
		{
			file: "label.pdf", render: func(w *bytes.Buffer) error { return RenderLabel(w, s.Label, o) }, pages: 1,
			text: []string{"BƯU CHÍNH CÔNG ÍCH", "THU GOM HỒ SƠ", "EA 123 456 785 VN", "TỪ (NGƯỜI GỬI)", "N.T.H.N.",
				"ĐT: 09xx xxx 123", "Phường Quyết Thắng, tỉnh Thái Nguyên", "ĐẾN (NƠI NHẬN)",
				"Trung tâm Phục vụ hành chính công tỉnh Thái Nguyên", "Phường Phan Đình Phùng, tỉnh Thái Nguyên",
				"MÃ HỒ SƠ", "H56.22-261124-0012", "THỦ TỤC (mã 1.012800)",
				"Đăng ký đất đai, tài sản gắn liền với đất, cấp Giấy chứng nhận quyền sử dụng đất lần đầu",
				"SỐ GIẤY TỜ", "SỐ NIÊM PHONG", "NP-0048213", "Quét mã QR để tra cứu hành trình"},
			codes: []string{"CODE-128:EA123456785VN", "QR-Code:https://hoso.example.org/tra-cuu/EA123456785VN"},
		},
		{
			file: "receipt.pdf", render: func(w *bytes.Buffer) error { return RenderReceipt(w, s.Receipt, o) }, pages: 2,
			text: []string{"GIẤY BIÊN NHẬN HỒ SƠ", "Liên 1: Giao công dân", "Liên 2: Lưu bưu chính", "Số: BN-7K3M-Q9XD",
				"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập – Tự do – Hạnh phúc",
				"Đơn đăng ký đất đai, tài sản gắn liền với đất (Mẫu số 04/ĐK)", "Thẻ Căn cước của người sử dụng đất",
				"Bản chính", "Bản sao chứng thực", "Bản sao",
				"Tổng cộng: 5 giấy tờ, 6 bản: 2 bản chính, 2 bản sao chứng thực, 2 bản sao.",
				"Thời gian nhận: 08:41, ngày 24/11/2026", "BT-19-0123", "NP-0048213", "CÔNG DÂN", "BƯU TÁ", "(Ký, ghi rõ họ tên)",
				"KIỂM TRA BIÊN NHẬN NÀY LÀ THẬT", "Mã kiểm tra: BN-7K3M-Q9XD", "https://hoso.example.org/bien-nhan/BN-7K3M-Q9XD",
				"N.T.H.N. – ĐT 09xx xxx 123"},
			codes: []string{"QR-Code:https://hoso.example.org/bien-nhan/BN-7K3M-Q9XD", "QR-Code:https://hoso.example.org/bien-nhan/BN-7K3M-Q9XD"},
		},
		{
			file: "manifest.pdf", render: func(w *bytes.Buffer) error { return RenderManifest(w, s.Manifest, o) }, pages: 2,
			text: []string{"BIÊN BẢN BÀN GIAO BƯU GỬI HỒ SƠ", "Bảng kê số: BK19-20261124-0007", "Thời gian bàn giao: 14:15, ngày 24/11/2026",
				"BÊN GIAO", "Bưu tá – Bưu cục Phan Đình Phùng (mã BT-19-0123)", "BÊN NHẬN",
				"Tổng cộng: 14 bưu gửi, 56 giấy tờ.", "SAI LỆCH KHI NHẬN", "Niêm phong không nguyên vẹn", "Thiếu giấy tờ",
				"Thiếu bản sao chứng thực Giấy chứng nhận kết hôn của cha mẹ", "Có sai lệch",
				"ĐẠI DIỆN BÊN GIAO", "ĐẠI DIỆN BÊN NHẬN", "Trang 1/2", "Trang 2/2"},
			codes: manifestCodes,
		},
		{
			file: "delivery.pdf", render: func(w *bytes.Buffer) error { return RenderDeliveryReceipt(w, s.DeliveryReceipt, o) }, pages: 2,
			text: []string{"PHIẾU GIAO KẾT QUẢ", "Liên 1: Giao người nhận", "Liên 2: Lưu bưu chính", "Số: PG-20261126-0042",
				"EB 400 200 113 VN", "Giấy chứng nhận quyền sử dụng đất, quyền sở hữu tài sản gắn liền với đất",
				"Phí, lệ phí đã thu hộ: 150.000 ₫", "Bằng chữ: Một trăm năm mươi nghìn đồng.",
				"Mã OTP", "3 số cuối CCCD", "Người được ủy quyền – Giấy ủy quyền số 15/2026/UQ",
				"Người nhận: N.V.Đ.", "Thời gian giao: 10:05, ngày 26/11/2026", "NGƯỜI NHẬN"},
			codes: []string{"CODE-128:EB400200113VN", "CODE-128:EB400200113VN"},
		},
		{
			file: "routepack.pdf", render: func(w *bytes.Buffer) error { return RenderRoutePack(w, s.RoutePack, o) }, pages: 1 + 3*len(s.RoutePack.Stops),
			text: []string{"DANH SÁCH ĐIỂM THU GOM", "Ngày 24/11/2026", "Số điểm dừng: 6 điểm, 24 giấy tờ cần thu",
				"08:00–10:00", "EA 123 456 785 VN", "09xx xxx 123", "08:20", "Xã Tân Cương, tỉnh Thái Nguyên",
				"Thời gian nhận: …… giờ …… , ngày …… /…… /20……"},
			codes: packCodes,
		},
		{
			file: "fees.pdf", render: func(w *bytes.Buffer) error { return RenderFeeStatement(w, s.FeeStatement, o) }, pages: 1,
			text: []string{"BẢNG KÊ THU HỘ", "Số: TH19-20261126-BT0123", "Ngày thu: 26/11/2026", "BƯU TÁ NỘP", "BƯU CỤC NHẬN",
				"Kế toán bưu cục – Bưu cục Phan Đình Phùng", "EB 400 200 113 VN", "150.000 ₫", "135.000 ₫",
				"TỔNG CỘNG (8 bưu gửi)", "403.000 ₫", "Bằng chữ: Bốn trăm linh ba nghìn đồng.", "ĐẠI DIỆN BƯU CỤC"},
			codes: []string{"CODE-128:TH19-20261126-BT0123"},
		},
	}
	for i := range cases {
		slices.Sort(cases[i].codes)
	}
	return cases
}

func TestSamplesRender(t *testing.T) {
	testenv.Tool(t, "pdftotext")
	testenv.Tool(t, "pdfinfo")
	for _, c := range sampleCases() {
		t.Run(c.file, func(t *testing.T) {
			path, _ := renderFile(t, c.file, c.render)
			if n := pageCount(t, path); n != c.pages {
				t.Errorf("%d pages, want %d", n, c.pages)
			}
			text := pdfText(t, path, 0, 0)
			for _, want := range c.text {
				if !strings.Contains(text, want) {
					t.Errorf("text lacks %q", want)
				}
			}
			if strings.Contains(text, DemoMark) {
				t.Errorf("non-demo output carries the demo mark")
			}
			if strings.ContainsRune(text, '?') && !strings.Contains(text, "?s=") {
				t.Errorf("text contains '?': a glyph is missing\n%s", text)
			}
		})
	}
}

// The receipt's text must come out NFC and exact when the input is NFD.
func TestNFDInputPrintsNFC(t *testing.T) {
	testenv.Tool(t, "pdftotext")
	raw, err := os.ReadFile("testdata/receipt_nfd.json")
	if err != nil {
		t.Fatal(err)
	}
	if norm.NFC.IsNormal(raw) {
		t.Fatal("fixture testdata/receipt_nfd.json is already NFC; it must hold decomposed text")
	}
	var r Receipt
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	path, _ := renderFile(t, "nfd.pdf", func(w *bytes.Buffer) error { return RenderReceipt(w, r, testOpts()) })
	text := pdfText(t, path, 0, 0)
	for _, want := range []string{
		"Đăng ký thường trú", "Đ.T.Ư. – ĐT 03xx xxx 012 – Xã Điềm Thuỵ, tỉnh Thái Nguyên",
		"Bộ phận một cửa Ủy ban nhân dân phường Quyết Thắng", "Tờ khai thay đổi thông tin cư trú",
		"Giấy tờ chứng minh chỗ ở hợp pháp (hợp đồng thuê nhà)", "Sổ hộ khẩu cũ của người đứng tên",
		"Ghi chú: Người nộp hẹn bổ sung ảnh thẻ khi nhận kết quả", "Thời gian nhận: 09:12, ngày 25/11/2026",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q\n%s", want, text)
		}
	}
	if strings.ContainsAny(text, "\u0300\u0301\u0303\u0309\u0323\u0302\u0306\u031b") {
		t.Error("text carries combining marks")
	}
}

// zbarimg must read every Code128 and QR at 300 dpi.
func TestBarcodesScan(t *testing.T) {
	testenv.Tool(t, "pdftoppm")
	testenv.Tool(t, "zbarimg")
	if testing.Short() {
		t.Skip("rasterising at 300 dpi is slow; skipped with -short")
	}
	for _, c := range sampleCases() {
		t.Run(c.file, func(t *testing.T) {
			path, _ := renderFile(t, c.file, c.render)
			got := scanPDF(t, path, 0, 0)
			if !slices.Equal(got, c.codes) {
				t.Errorf("zbarimg read\n%q\nwant\n%q", got, c.codes)
			}
		})
	}
}

// scanPDF rasterises pages at 300 dpi and returns every symbol zbarimg
// reads, sorted. The pages are written as PGM rather than PNG: the pixels
// are the same, and PNG compression of a 300-dpi A4 page costs ten times
// the rendering.
func scanPDF(t testing.TB, path string, first, last int) []string {
	t.Helper()
	dir := t.TempDir()
	args := []string{"-r", "300", "-gray"}
	if first > 0 {
		args = append(args, "-f", fmt.Sprint(first), "-l", fmt.Sprint(last))
	}
	run(t, "pdftoppm", append(args, path, filepath.Join(dir, "p"))...)
	pages, _ := filepath.Glob(filepath.Join(dir, "p*.pgm"))
	if len(pages) == 0 {
		t.Fatalf("pdftoppm wrote no page for %s", path)
	}
	var got []string
	for _, p := range pages {
		// zbarimg exits with 4 when a page has no symbol (a stop list).
		out, _ := exec.Command("zbarimg", "-q", p).Output()
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if l != "" {
				got = append(got, l)
			}
		}
	}
	slices.Sort(got)
	return got
}

// A second decoder: gozxing reads the label's QR and Code128 from the
// rasterised page.
func TestLabelDecodesWithGozxing(t *testing.T) {
	testenv.Tool(t, "pdftoppm")
	s := Samples()
	path, _ := renderFile(t, "label.pdf", func(w *bytes.Buffer) error { return RenderLabel(w, s.Label, testOpts()) })
	dir := t.TempDir()
	run(t, "pdftoppm", "-r", "300", "-gray", "-png", "-singlefile", path, filepath.Join(dir, "label"))
	f, err := os.Open(filepath.Join(dir, "label.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("gozxing QR: %v", err)
	}
	if res.GetText() != s.Label.TrackingURL {
		t.Errorf("QR = %q, want %q", res.GetText(), s.Label.TrackingURL)
	}
	// The Code128 sits in the top fifth of the label.
	b := img.Bounds()
	top := img.(interface {
		SubImage(image.Rectangle) image.Image
	}).SubImage(image.Rect(b.Min.X, b.Min.Y+b.Dy()/10, b.Max.X, b.Min.Y+b.Dy()/4))
	bmp, err = gozxing.NewBinaryBitmapFromImage(top)
	if err != nil {
		t.Fatal(err)
	}
	res, err = oned.NewCode128Reader().Decode(bmp, nil)
	if err != nil {
		t.Fatalf("gozxing Code128: %v", err)
	}
	if res.GetText() != s.Label.TrackingNumber {
		t.Errorf("Code128 = %q, want %q", res.GetText(), s.Label.TrackingNumber)
	}
}

func TestQPDFCheck(t *testing.T) {
	testenv.Tool(t, "qpdf")
	for _, c := range sampleCases() {
		t.Run(c.file, func(t *testing.T) {
			path, _ := renderFile(t, c.file, c.render)
			out := run(t, "qpdf", "--check", path)
			if !strings.Contains(out, "No syntax or stream encoding errors found") {
				t.Errorf("qpdf --check:\n%s", out)
			}
		})
	}
}

func TestFontsEmbedded(t *testing.T) {
	testenv.Tool(t, "pdffonts")
	for _, c := range sampleCases() {
		t.Run(c.file, func(t *testing.T) {
			path, _ := renderFile(t, c.file, c.render)
			out := run(t, "pdffonts", path)
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) < 3 {
				t.Fatalf("pdffonts lists no font:\n%s", out)
			}
			for _, l := range lines[2:] {
				f := strings.Fields(l)
				// name type(2 words) encoding emb sub uni object ID
				if len(f) < 8 || !strings.Contains(strings.ToLower(f[0]), "bevietnampro") || f[1] != "CID" || f[2] != "TrueType" {
					t.Errorf("unexpected font line %q", l)
					continue
				}
				if emb := f[len(f)-5]; emb != "yes" {
					t.Errorf("font %s not embedded (emb=%s)", f[0], emb)
				}
			}
			// gofpdf names the faces after the family, lower-cased, plus the style.
			if !strings.Contains(out, "utf8bevietnampro ") || !strings.Contains(out, "utf8bevietnamproB ") {
				t.Errorf("want both faces embedded:\n%s", out)
			}
		})
	}
}

// Same input and Options: same bytes. The creation date is the given one.
func TestReproducible(t *testing.T) {
	for _, c := range sampleCases() {
		var a, b bytes.Buffer
		if err := c.render(&a); err != nil {
			t.Fatal(err)
		}
		if err := c.render(&b); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Errorf("%s: two renders differ", c.file)
		}
		if !bytes.Contains(a.Bytes(), []byte("/CreationDate (D:20261124013000)")) || !bytes.Contains(a.Bytes(), []byte("/ModDate (D:20261124013000)")) {
			t.Errorf("%s: creation/modification date is not the one given (UTC)", c.file)
		}
	}
}

func TestDemoMark(t *testing.T) {
	testenv.Tool(t, "pdftotext")
	s := Samples()
	o := testOpts()
	o.Demo = true
	path, _ := renderFile(t, "demo.pdf", func(w *bytes.Buffer) error { return RenderReceipt(w, s.Receipt, o) })
	for page := 1; page <= 2; page++ {
		if text := pdfText(t, path, page, page); strings.Count(text, DemoMark) < 1 {
			t.Errorf("page %d lacks %q", page, DemoMark)
		}
	}
}

// bigManifest builds a manifest of n parcels.
func bigManifest(n int) Manifest {
	m := Samples().Manifest
	m.Discrepancies = nil
	m.Parcels = make([]ManifestParcel, n)
	for i := range n {
		m.Parcels[i] = ManifestParcel{TrackingNumber: sampleS10("EA", 20000000+i), DossierCode: fmt.Sprintf("H56.22-261124-%04d", i+1),
			DocumentCount: 1 + i%6, SealID: fmt.Sprintf("NP-%07d", 50000+i)}
	}
	return m
}

// A 500-row manifest: 17 rows per page (49.1 mm of header, an 8 mm column
// header and 13 mm rows in 235.9 mm of body) gives 30 pages; the last one
// holds 7 rows, the totals and the signatures. Every page repeats the
// header, and the rows run in order.
func TestManifest500Pages(t *testing.T) {
	testenv.Tool(t, "pdftotext")
	m := bigManifest(500)
	path, _ := renderFile(t, "manifest500.pdf", func(w *bytes.Buffer) error { return RenderManifest(w, m, testOpts()) })
	const pages, perPage = 30, 17
	if n := pageCount(t, path); n != pages {
		t.Fatalf("%d pages, want %d", n, pages)
	}
	s10 := regexp.MustCompile(`EA \d{3} \d{3} \d{3} VN`)
	next := 0
	for p := 1; p <= pages; p++ {
		text := pdfText(t, path, p, p)
		for _, want := range []string{"BIÊN BẢN BÀN GIAO BƯU GỬI HỒ SƠ", "Bảng kê số: " + m.Code, "Thời gian bàn giao: 14:15, ngày 24/11/2026",
			"BÊN GIAO", "BÊN NHẬN", "Số hiệu bưu gửi", fmt.Sprintf("Trang %d/%d", p, pages)} {
			if !strings.Contains(text, want) {
				t.Errorf("page %d lacks header text %q", p, want)
			}
		}
		rows := s10.FindAllString(text, -1)
		want := perPage
		if p == pages {
			want = 500 - perPage*(pages-1)
		}
		if len(rows) != want {
			t.Errorf("page %d has %d rows, want %d", p, len(rows), want)
		}
		for _, r := range rows {
			if next < len(m.Parcels) && r != groupS10(m.Parcels[next].TrackingNumber) {
				t.Fatalf("page %d: row %q out of order, want %q", p, r, groupS10(m.Parcels[next].TrackingNumber))
			}
			next++
		}
	}
	docs := 0
	for _, p := range m.Parcels {
		docs += p.DocumentCount
	}
	if last := pdfText(t, path, pages, pages); !strings.Contains(last, fmt.Sprintf("Tổng cộng: 500 bưu gửi, %s giấy tờ.", formatInt(docs))) || !strings.Contains(last, "ĐẠI DIỆN BÊN NHẬN") {
		t.Errorf("last page lacks the totals or the signatures:\n%s", last)
	}
	t.Run("scan last page", func(t *testing.T) {
		testenv.Tool(t, "pdftoppm")
		testenv.Tool(t, "zbarimg")
		if testing.Short() {
			t.Skip("rasterising at 300 dpi is slow; skipped with -short")
		}
		// The manifest code and every row of the last page.
		got := scanPDF(t, path, pages, pages)
		want := []string{"CODE-128:" + m.Code}
		for _, p := range m.Parcels[perPage*(pages-1):] {
			want = append(want, "CODE-128:"+p.TrackingNumber)
		}
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("last page scans as %q, want %q", got, want)
		}
	})
}

// Documents rendered concurrently (run with -race) are identical to the
// same documents rendered one by one: nothing is shared between them.
func TestConcurrentRenders(t *testing.T) {
	cases := sampleCases()
	want := make([][]byte, len(cases))
	for i, c := range cases {
		var b bytes.Buffer
		if err := c.render(&b); err != nil {
			t.Fatal(err)
		}
		want[i] = b.Bytes()
	}
	const rounds = 3
	var wg sync.WaitGroup
	errs := make(chan error, rounds*len(cases))
	for r := range rounds {
		for i, c := range cases {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var b bytes.Buffer
				if err := c.render(&b); err != nil {
					errs <- err
					return
				}
				if !bytes.Equal(b.Bytes(), want[i]) {
					errs <- fmt.Errorf("round %d %s: concurrent output differs", r, c.file)
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// pdfTextBox returns the text inside a box given in millimetres on one page.
func pdfTextBox(t testing.TB, path string, page int, x, y, w, h float64) string {
	t.Helper()
	pt := func(mm float64) string { return fmt.Sprintf("%.0f", mm*72/25.4) }
	out := run(t, "pdftotext", "-enc", "UTF-8", "-f", fmt.Sprint(page), "-l", fmt.Sprint(page),
		"-x", pt(x), "-y", pt(y), "-W", pt(w), "-H", pt(h), path, "-")
	return strings.TrimSpace(spaces.ReplaceAllString(out, " "))
}

// Fields of the label sit where the layout puts them.
func TestLabelBoxes(t *testing.T) {
	testenv.Tool(t, "pdftotext")
	s := Samples()
	path, _ := renderFile(t, "label.pdf", func(w *bytes.Buffer) error { return RenderLabel(w, s.Label, testOpts()) })
	boxes := []struct {
		name       string
		x, y, w, h float64
		want       string
	}{
		{"number under the barcode", 4, 33, 92, 8, "EA 123 456 785 VN"},
		{"documents count", 72, 82, 24, 26, "SỐ GIẤY TỜ 5"},
		{"seal", 36, 113, 60, 14, "SỐ NIÊM PHONG NP-0048213"},
		{"sender", 4, 43, 45, 36, "TỪ (NGƯỜI GỬI) N.T.H.N. ĐT: 09xx xxx 123 Phường Quyết Thắng, tỉnh Thái Nguyên"},
	}
	for _, b := range boxes {
		if got := pdfTextBox(t, path, 1, b.x, b.y, b.w, b.h); got != b.want {
			t.Errorf("%s: got %q, want %q", b.name, got, b.want)
		}
	}
	l := s.Label
	l.SealID = ""
	path, _ = renderFile(t, "label-noseal.pdf", func(w *bytes.Buffer) error { return RenderLabel(w, l, testOpts()) })
	if got := pdfTextBox(t, path, 1, 36, 113, 60, 14); got != "SỐ NIÊM PHONG" {
		t.Errorf("blank seal box holds %q", got)
	}
}

// darkPixels rasterises one page at 100 dpi and counts the dark pixels in a
// box given in millimetres.
func darkPixels(t testing.TB, path string, page int, x, y, w, h float64) int {
	t.Helper()
	dir := t.TempDir()
	run(t, "pdftoppm", "-r", "100", "-gray", "-singlefile", "-f", fmt.Sprint(page), "-l", fmt.Sprint(page), path, filepath.Join(dir, "p"))
	raw, err := os.ReadFile(filepath.Join(dir, "p.pgm"))
	if err != nil {
		t.Fatal(err)
	}
	// Header: "P5", width, height, maxval, each followed by one whitespace.
	var tok []string
	hdr := 0
	for len(tok) < 4 && hdr < len(raw) {
		start := hdr
		for hdr < len(raw) && raw[hdr] != ' ' && raw[hdr] != '\n' {
			hdr++
		}
		tok = append(tok, string(raw[start:hdr]))
		hdr++
	}
	var pw, ph int
	if len(tok) != 4 || tok[0] != "P5" {
		t.Fatalf("not a binary PGM: %q", tok)
	}
	fmt.Sscan(tok[1], &pw)
	fmt.Sscan(tok[2], &ph)
	px := raw[hdr:]
	mm := func(v float64) int { return int(v * 100 / 25.4) }
	n := 0
	for r := mm(y); r < mm(y+h) && r < ph; r++ {
		for c := mm(x); c < mm(x+w) && c < pw; c++ {
			if px[r*pw+c] < 128 {
				n++
			}
		}
	}
	return n
}

// After collection the boxes of received documents are ticked; the
// pre-filled route-pack version leaves them blank.
func TestReceiptTicks(t *testing.T) {
	testenv.Tool(t, "pdftoppm")
	s := Samples()
	r := s.Receipt
	collected, _ := renderFile(t, "collected.pdf", func(w *bytes.Buffer) error { return RenderReceipt(w, r, testOpts()) })
	r.Prefilled = true
	blank, _ := renderFile(t, "blank.pdf", func(w *bytes.Buffer) error { return RenderReceipt(w, r, testOpts()) })
	// The "Đã nhận" column: x from a5X+116 to the right edge, rows below the header.
	const x, y, w, h = a5X + 116 + 1, 75, a5W - 116 - 2, 40
	ticked, empty := darkPixels(t, collected, 1, x, y, w, h), darkPixels(t, blank, 1, x, y, w, h)
	t.Logf("collected %d, pre-filled %d", ticked, empty)
	if empty == 0 || ticked < empty+5*20 {
		t.Errorf("dark pixels in the tick column: collected %d, pre-filled %d; want five ticks more", ticked, empty)
	}
}
