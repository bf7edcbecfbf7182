package labels

import (
	_ "embed"
	"encoding/binary"
	"errors"
	"sync"
)

// The embedded typeface: Be Vietnam Pro 0.4.1, OFL-1.1 (see fonts/README.md).
// These slices are never handed to gofpdf directly: gofpdf writes into the
// bytes it is given, so every document gets its own copy (see newDoc).
var (
	//go:embed fonts/BeVietnamPro-Regular.ttf
	fontRegular []byte
	//go:embed fonts/BeVietnamPro-Bold.ttf
	fontBold []byte
)

// coverage is the set of BMP code points both embedded faces have a glyph for.
// It is derived once from the fonts and never changed afterwards.
type coverage [0x10000 / 64]uint64

func (c *coverage) has(r rune) bool {
	if r < 0 || r > 0xFFFF {
		return false
	}
	return c[r/64]&(1<<(uint(r)%64)) != 0
}

func (c *coverage) set(r uint32) {
	if r <= 0xFFFF {
		c[r/64] |= 1 << (r % 64)
	}
}

// fontCoverage parses the cmap tables of the embedded fonts once. On a parse
// failure (which a test rules out) it returns nil and cleanText falls back to
// a fixed set of Latin and Vietnamese ranges.
var fontCoverage = sync.OnceValue(func() *coverage {
	reg, err := cmapCoverage(fontRegular)
	if err != nil {
		return nil
	}
	bold, err := cmapCoverage(fontBold)
	if err != nil {
		return nil
	}
	for i := range reg {
		reg[i] &= bold[i]
	}
	return reg
})

var errBadFont = errors.New("unsupported or malformed TrueType cmap")

// cmapCoverage reads the Unicode cmap subtable (format 4 or 12) of a TrueType
// font and returns the BMP code points that map to a real glyph.
func cmapCoverage(ttf []byte) (*coverage, error) {
	u16 := func(off int) (int, bool) {
		if off < 0 || off+2 > len(ttf) {
			return 0, false
		}
		return int(binary.BigEndian.Uint16(ttf[off:])), true
	}
	u32 := func(off int) (uint32, bool) {
		if off < 0 || off+4 > len(ttf) {
			return 0, false
		}
		return binary.BigEndian.Uint32(ttf[off:]), true
	}
	numTables, ok := u16(4)
	if !ok {
		return nil, errBadFont
	}
	cmap := -1
	for i := 0; i < numTables; i++ {
		rec := 12 + 16*i
		if rec+16 > len(ttf) {
			return nil, errBadFont
		}
		if string(ttf[rec:rec+4]) == "cmap" {
			off, _ := u32(rec + 8)
			cmap = int(off)
			break
		}
	}
	if cmap < 0 {
		return nil, errBadFont
	}
	nSub, ok := u16(cmap + 2)
	if !ok {
		return nil, errBadFont
	}
	best, bestRank := -1, 0
	for i := 0; i < nSub; i++ {
		rec := cmap + 4 + 8*i
		platform, ok1 := u16(rec)
		encoding, ok2 := u16(rec + 2)
		off, ok3 := u32(rec + 4)
		if !ok1 || !ok2 || !ok3 {
			return nil, errBadFont
		}
		rank := 0
		switch {
		case platform == 3 && encoding == 10, platform == 0 && encoding == 4:
			rank = 2
		case platform == 3 && encoding == 1, platform == 0 && encoding == 3:
			rank = 1
		}
		if rank > bestRank {
			best, bestRank = cmap+int(off), rank
		}
	}
	if best < 0 {
		return nil, errBadFont
	}
	format, _ := u16(best)
	cov := new(coverage)
	switch format {
	case 4:
		segX2, ok := u16(best + 6)
		if !ok {
			return nil, errBadFont
		}
		ends := best + 14
		starts := ends + segX2 + 2
		deltas := starts + segX2
		ranges := deltas + segX2
		for s := 0; s < segX2/2; s++ {
			end, ok1 := u16(ends + 2*s)
			start, ok2 := u16(starts + 2*s)
			delta, ok3 := u16(deltas + 2*s)
			ro, ok4 := u16(ranges + 2*s)
			if !ok1 || !ok2 || !ok3 || !ok4 {
				return nil, errBadFont
			}
			for c := start; c <= end && c != 0xFFFF; c++ {
				g := 0
				if ro == 0 {
					g = (c + delta) & 0xFFFF
				} else {
					gi, ok := u16(ranges + 2*s + ro + 2*(c-start))
					if !ok {
						return nil, errBadFont
					}
					if gi != 0 {
						g = (gi + delta) & 0xFFFF
					}
				}
				if g != 0 {
					cov.set(uint32(c))
				}
			}
		}
	case 12:
		nGroups, ok := u32(best + 12)
		if !ok {
			return nil, errBadFont
		}
		for i := 0; i < int(nGroups); i++ {
			g := best + 16 + 12*i
			start, ok1 := u32(g)
			end, ok2 := u32(g + 4)
			glyph, ok3 := u32(g + 8)
			if !ok1 || !ok2 || !ok3 {
				return nil, errBadFont
			}
			for c := start; c <= end && c <= 0xFFFF; c++ {
				if glyph+(c-start) != 0 {
					cov.set(c)
				}
			}
		}
	default:
		return nil, errBadFont
	}
	return cov, nil
}
