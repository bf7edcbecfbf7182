package labels_test

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"hoso/labels"
)

func ExampleRenderLabel() {
	var buf bytes.Buffer
	opts := labels.Options{Created: time.Date(2026, 11, 24, 1, 41, 0, 0, time.UTC)}
	err := labels.RenderLabel(&buf, labels.Samples().Label, opts)
	fmt.Println(err, bytes.HasPrefix(buf.Bytes(), []byte("%PDF-1.")))
	// Output: <nil> true
}

// What a "hoso print demo DIR" command does: every sample document, marked
// as demo data, one file each.
func ExampleSampleDocuments() {
	dir, err := os.MkdirTemp("", "labels-demo")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(dir)
	opts := labels.Options{Created: time.Date(2026, 11, 24, 1, 41, 0, 0, time.UTC), Demo: true}
	for _, d := range labels.SampleDocuments() {
		f, err := os.Create(filepath.Join(dir, d.File))
		if err != nil {
			panic(err)
		}
		w := bufio.NewWriter(f)
		err = d.Render(w, opts)
		if err == nil {
			err = w.Flush()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		fmt.Println(d.File, "–", d.Title, err)
	}
	// Output:
	// nhan-buu-gui.pdf – Nhãn bưu gửi A6 <nil>
	// giay-bien-nhan.pdf – Giấy biên nhận hồ sơ <nil>
	// bien-ban-ban-giao.pdf – Biên bản bàn giao bưu gửi <nil>
	// phieu-giao-ket-qua.pdf – Phiếu giao kết quả <nil>
	// tui-hanh-trinh.pdf – Túi hành trình của bưu tá <nil>
	// bang-ke-thu-ho.pdf – Bảng kê thu hộ <nil>
}

func ExampleMaskPhone() {
	masked, err := labels.MaskPhone("0912 345 123")
	fmt.Println(masked, err)
	// Output: 09xx xxx 123 <nil>
}

func ExampleFormatVND() {
	fmt.Println(labels.FormatVND(150000))
	fmt.Println(labels.AmountInWords(150000))
	// Output:
	// 150.000 ₫
	// Một trăm năm mươi nghìn đồng
}
