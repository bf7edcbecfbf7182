package labels

import (
	"errors"
	"image"
	"image/color"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	"github.com/makiuchi-d/gozxing/qrcode"
)

// upscale enlarges a one-pixel-per-module image (nearest neighbour), as a
// printer does.
func upscale(src *image.Gray, sx, sy int) *image.Gray {
	b := src.Bounds()
	dst := image.NewGray(image.Rect(0, 0, b.Dx()*sx, b.Dy()*sy))
	for y := 0; y < dst.Bounds().Dy(); y++ {
		for x := 0; x < dst.Bounds().Dx(); x++ {
			dst.SetGray(x, y, src.GrayAt(b.Min.X+x/sx, b.Min.Y+y/sy))
		}
	}
	return dst
}

func whiteColumns(img *image.Gray, x0, x1 int) bool {
	for x := x0; x < x1; x++ {
		for y := 0; y < img.Bounds().Dy(); y++ {
			if img.GrayAt(x, y) != (color.Gray{Y: 0xFF}) {
				return false
			}
		}
	}
	return true
}

func TestCode128RoundTrip(t *testing.T) {
	for _, v := range []string{"EA123456785VN", "EB400200113VN", "BK19-20261124-0007", "TH19-20261126-BT0123"} {
		img, err := encodeCode128(v)
		if err != nil {
			t.Fatalf("encode %q: %v", v, err)
		}
		w := img.Bounds().Dx()
		if !whiteColumns(img, 0, code128Quiet) || !whiteColumns(img, w-code128Quiet, w) {
			t.Errorf("%q: quiet zone of %d modules is not white", v, code128Quiet)
		}
		if whiteColumns(img, code128Quiet, code128Quiet+1) || whiteColumns(img, w-code128Quiet-1, w-code128Quiet) {
			t.Errorf("%q: bars do not start right after the quiet zone", v)
		}
		bmp, err := gozxing.NewBinaryBitmapFromImage(upscale(img, 3, 60))
		if err != nil {
			t.Fatal(err)
		}
		res, err := oned.NewCode128Reader().Decode(bmp, nil)
		if err != nil {
			t.Fatalf("gozxing could not read Code128 %q: %v", v, err)
		}
		if res.GetText() != v {
			t.Errorf("Code128 decoded %q, want %q", res.GetText(), v)
		}
	}
}

func TestQRRoundTrip(t *testing.T) {
	for _, v := range []string{"https://hoso.example.org/bien-nhan/BN-7K3M-Q9XD", "https://hoso.example.org/tra-cuu/EA123456785VN"} {
		img, err := encodeQR(v)
		if err != nil {
			t.Fatalf("encode %q: %v", v, err)
		}
		n := img.Bounds().Dx()
		if !whiteColumns(img, 0, qrQuiet) || !whiteColumns(img, n-qrQuiet, n) {
			t.Errorf("%q: quiet zone of %d modules is not white", v, qrQuiet)
		}
		for y := 0; y < qrQuiet; y++ {
			for x := 0; x < n; x++ {
				if img.GrayAt(x, y).Y != 0xFF || img.GrayAt(x, n-1-y).Y != 0xFF {
					t.Fatalf("%q: top/bottom quiet zone is not white", v)
				}
			}
		}
		bmp, err := gozxing.NewBinaryBitmapFromImage(upscale(img, 6, 6))
		if err != nil {
			t.Fatal(err)
		}
		res, err := qrcode.NewQRCodeReader().Decode(bmp, nil)
		if err != nil {
			t.Fatalf("gozxing could not read QR %q: %v", v, err)
		}
		if res.GetText() != v {
			t.Errorf("QR decoded %q, want %q", res.GetText(), v)
		}
	}
}

func TestCode128RejectsNonASCII(t *testing.T) {
	_, err := encodeCode128("ĐƠN-001")
	if err == nil || !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("encodeCode128(non-ASCII) = %v, want an ErrInvalidInput", err)
	}
}

func TestModuleFor(t *testing.T) {
	tests := []struct {
		modules    int
		width, max float64
		want       float64
	}{
		{176, 92, 0.5, 0.5},    // S10 on an A6 label: 88 mm
		{176, 80, 0.5, 0.375},  // narrower: 3 dots at 203 dpi
		{400, 10, 0.5, 0.125},  // never below one dot
		{176, 200, 0.33, 0.25}, // whole dots only
	}
	for _, tt := range tests {
		if got := moduleFor(tt.modules, tt.width, tt.max); got != tt.want {
			t.Errorf("moduleFor(%d, %v, %v) = %v, want %v", tt.modules, tt.width, tt.max, got, tt.want)
		}
	}
}
