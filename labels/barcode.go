package labels

import (
	"fmt"
	"image"
	"image/color"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/boombuler/barcode"
	"github.com/boombuler/barcode/code128"
	"github.com/boombuler/barcode/qr"
)

// Quiet zones, in modules, built into every symbol (and painted white) so
// that no layout can crowd them: ISO/IEC 15417 asks for at least 10 modules
// around Code128, ISO/IEC 18004 for 4 around QR.
const (
	code128Quiet = 10
	qrQuiet      = 4
)

// encodeCode128 turns value into an 8-bit grey module matrix, one pixel per
// module, one pixel tall, with the quiet zone on both sides.
func encodeCode128(value string) (*image.Gray, error) {
	bc, err := code128.EncodeWithColor(value, barcode.ColorScheme8)
	if err != nil {
		return nil, invalid("code128 %q: %v", value, err)
	}
	return padModules(bc, code128Quiet, 0), nil
}

// encodeQR turns payload into an 8-bit grey module matrix, one pixel per
// module, with the quiet zone on all four sides. Level M survives a smudge
// on a receipt.
func encodeQR(payload string) (*image.Gray, error) {
	bc, err := qr.EncodeWithColor(payload, qr.M, qr.Auto, barcode.ColorScheme8)
	if err != nil {
		return nil, invalid("QR %q: %v", payload, err)
	}
	return padModules(bc, qrQuiet, qrQuiet), nil
}

func padModules(bc barcode.Barcode, qx, qy int) *image.Gray {
	b := bc.Bounds()
	img := image.NewGray(image.Rect(0, 0, b.Dx()+2*qx, b.Dy()+2*qy))
	for i := range img.Pix {
		img.Pix[i] = 0xFF
	}
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			if color.GrayModel.Convert(bc.At(x, y)).(color.Gray).Y < 0x80 {
				img.SetGray(x-b.Min.X+qx, y-b.Min.Y+qy, color.Gray{Y: 0})
			}
		}
	}
	return img
}

// symbol returns the module matrix of a barcode, encoded once per document.
func (d *doc) symbol(kind, value string) (*image.Gray, error) {
	key := kind + ":" + value
	if img, ok := d.symbols[key]; ok {
		return img, nil
	}
	var img *image.Gray
	var err error
	switch kind {
	case "c128":
		img, err = encodeCode128(value)
	case "qr":
		img, err = encodeQR(value)
	default:
		err = fmt.Errorf("unknown barcode kind %q", kind)
	}
	if err != nil {
		return nil, err
	}
	d.symbols[key] = img
	return img, nil
}

// preencodeQR fills the symbol cache with the QR codes of a batch on up to
// GOMAXPROCS goroutines: QR encoding (boombuler tries all eight masks) is the
// costliest step of a label. Each goroutine writes only its own slots; the
// document itself stays with the calling goroutine.
func (d *doc) preencodeQR(payloads []string) error {
	var todo []string
	seen := make(map[string]bool, len(payloads))
	for _, p := range payloads {
		if _, ok := d.symbols["qr:"+p]; !ok && !seen[p] {
			seen[p] = true
			todo = append(todo, p)
		}
	}
	workers := min(runtime.GOMAXPROCS(0), len(todo))
	if workers < 2 || len(todo) < 4 {
		return nil // encoded on demand
	}
	out := make([]*image.Gray, len(todo))
	errs := make([]error, len(todo))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(todo) {
					return
				}
				out[i], errs[i] = encodeQR(todo[i])
			}
		})
	}
	wg.Wait()
	for i, p := range todo {
		if errs[i] != nil {
			return errs[i]
		}
		d.symbols["qr:"+p] = out[i]
	}
	return nil
}

// drawModules paints a module matrix with its top-left corner (quiet zone
// included) at x, y; each module is mw × mh mm. The whole area, quiet zone
// included, is first filled white (nothing drawn underneath can intrude),
// then the dark modules are painted as one vector path: runs of dark modules
// in a row become one rectangle, and a single fill avoids hairline seams.
//
// Vector bars rather than embedded images: they are sharp at any printer
// resolution, and gofpdf v1.16.2 orders image objects by pixel width only
// (putimages), so a document holding several barcodes of the same width
// would not be byte-stable.
func (d *doc) drawModules(img *image.Gray, x, y, mw, mh float64) {
	p := d.pdf
	b := img.Bounds()
	p.SetFillColor(255, 255, 255)
	p.Rect(x, y, float64(b.Dx())*mw, float64(b.Dy())*mh, "F")
	k := p.GetConversionRatio()
	_, ph := p.GetPageSize()
	buf := d.path[:0]
	num := func(v float64) {
		buf = strconv.AppendFloat(buf, v, 'f', 3, 64)
		buf = append(buf, ' ')
	}
	for row := 0; row < b.Dy(); row++ {
		pix := img.Pix[row*img.Stride : row*img.Stride+b.Dx()]
		for col := 0; col < len(pix); {
			if pix[col] >= 0x80 {
				col++
				continue
			}
			run := 1
			for col+run < len(pix) && pix[col+run] < 0x80 {
				run++
			}
			num((x + float64(col)*mw) * k)
			num((ph - y - float64(row)*mh) * k)
			num(float64(run) * mw * k)
			num(-mh * k)
			buf = append(buf, "re\n"...)
			col += run
		}
	}
	buf = append(buf, 'f')
	p.SetFillColor(0, 0, 0)
	p.RawWriteStr(string(buf))
	p.SetFillColor(255, 255, 255)
	d.path = buf
}

// code128 draws a Code128 barcode with its top-left corner (quiet zone
// included) at x, y, each module module mm wide, bars h mm tall, and
// returns the total width drawn.
func (d *doc) code128(value string, x, y, module, h float64) (float64, error) {
	img, err := d.symbol("c128", value)
	if err != nil {
		return 0, err
	}
	d.drawModules(img, x, y, module, h)
	return float64(img.Bounds().Dx()) * module, nil
}

// code128Modules returns the width in modules (quiet zone included) of the
// Code128 for value, for layout.
func (d *doc) code128Modules(value string) (int, error) {
	img, err := d.symbol("c128", value)
	if err != nil {
		return 0, err
	}
	return img.Bounds().Dx(), nil
}

// qr draws a QR code (quiet zone included) as a size × size mm square.
func (d *doc) qr(payload string, x, y, size float64) error {
	img, err := d.symbol("qr", payload)
	if err != nil {
		return err
	}
	m := size / float64(img.Bounds().Dx())
	d.drawModules(img, x, y, m, m)
	return nil
}
