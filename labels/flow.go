package labels

import (
	"fmt"

	"github.com/jung-kurt/gofpdf"
)

// block is a horizontal slice of a page body with a known height.
type block struct {
	h    float64
	head *block // for a table row: the column header, drawn above the first row of each page
	draw func(y float64) error
}

// flow lays blocks out on pages of one size. Heights are known before
// drawing, so the pages are planned first and every page header can print
// "Trang x/y" with the real total.
type flow struct {
	size   gofpdf.SizeType
	top    float64                     // y where the body starts
	bottom float64                     // the body ends above this y
	header func(page, pages int) error // draws the page header and footer
}

type placed struct {
	b    *block
	y    float64
	head *block // column header drawn just above b
}

// plan assigns blocks to pages.
func (f flow) plan(blocks []block) ([][]placed, error) {
	var pages [][]placed
	var cur []placed
	y := f.top
	var shown *block // the column header in force on this page
	for i := range blocks {
		b := &blocks[i]
		need := func() float64 {
			if b.head != nil && b.head != shown {
				return b.h + b.head.h
			}
			return b.h
		}
		if y+need() > f.bottom && len(cur) > 0 {
			pages = append(pages, cur)
			cur, y, shown = nil, f.top, nil
		}
		n := need()
		if y+n > f.bottom {
			return nil, fmt.Errorf("a section %.1f mm tall does not fit on a page (%.1f mm available)", n, f.bottom-f.top)
		}
		p := placed{b: b, y: y}
		if b.head != nil && b.head != shown {
			p.head = b.head
		}
		shown = b.head
		cur = append(cur, p)
		y += n
	}
	if len(cur) > 0 || len(pages) == 0 {
		pages = append(pages, cur)
	}
	return pages, nil
}

// run plans and draws the blocks and returns the number of pages.
func (d *doc) run(f flow, blocks []block) (int, error) {
	pages, err := f.plan(blocks)
	if err != nil {
		return 0, err
	}
	for i, pg := range pages {
		d.page(f.size)
		if err := f.header(i+1, len(pages)); err != nil {
			return 0, err
		}
		for _, p := range pg {
			y := p.y
			if p.head != nil {
				if err := p.head.draw(y); err != nil {
					return 0, err
				}
				y += p.head.h
			}
			if err := p.b.draw(y); err != nil {
				return 0, err
			}
		}
	}
	return len(pages), nil
}

// column of a simple table.
type column struct {
	title string
	w     float64
	align string
}

// tableHeader returns the column header block: bold titles in a grey band.
func (d *doc) tableHeader(x float64, cols []column, h, size float64) *block {
	return &block{h: h, draw: func(y float64) error {
		p := d.pdf
		w := 0.0
		for _, c := range cols {
			w += c.w
		}
		p.SetFillColor(230, 230, 230)
		p.Rect(x, y, w, h, "FD")
		p.SetFillColor(255, 255, 255)
		d.font("B", size)
		cx := x
		for i, c := range cols {
			if i > 0 {
				p.Line(cx, y, cx, y+h)
			}
			lh := size * 0.42
			n := len(d.lines(c.title, c.w-2, 2))
			d.para(cx+1, y+(h-float64(n)*lh)/2, c.w-2, lh, c.title, 2, "C")
			cx += c.w
		}
		return nil
	}}
}

// rowFrame strokes the cell borders of one table row.
func (d *doc) rowFrame(x, y, h float64, cols []column) {
	p := d.pdf
	cx := x
	for _, c := range cols {
		p.Rect(cx, y, c.w, h, "D")
		cx += c.w
	}
}

// colX returns the left edge of column i.
func colX(x float64, cols []column, i int) float64 {
	for j := 0; j < i; j++ {
		x += cols[j].w
	}
	return x
}
