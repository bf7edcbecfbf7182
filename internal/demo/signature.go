package demo

import (
	"bytes"
	"crypto/sha256"
	"image"
	"image/color"
	"image/png"
)

// SignaturePNG draws a demo "signature": a stroke on a white pad, the same
// for the same seed and different for different seeds (a drawn signature
// is never twice the same bytes, and the server refuses one image for two
// parcels). Demo and simulated couriers upload it as the citizen's.
func SignaturePNG(seed string) []byte {
	const w, h = 160, 60
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	sum := sha256.Sum256([]byte("demo-signature:" + seed))
	x, y := 8.0, float64(h/2)
	for i := 0; i < len(sum); i++ {
		nx := x + 4
		ny := float64(10 + int(sum[i])%(h-20))
		for t := 0.0; t <= 1; t += 0.05 {
			px, py := int(x+(nx-x)*t), int(y+(ny-y)*t)
			for dx := 0; dx < 2; dx++ {
				img.SetGray(px+dx, py, color.Gray{Y: 20})
			}
		}
		x, y = nx, ny
	}
	var b bytes.Buffer
	_ = png.Encode(&b, img) // an in-memory image always encodes
	return b.Bytes()
}
