package tracking_test

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"hoso/tracking"
)

func mustPerm(t *testing.T, key []byte) tracking.SerialPermutation {
	t.Helper()
	p, err := tracking.NewSerialPermutation(key)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestSerialPermutationIsABijection: Invert undoes Permute on random values
// and on the ends of the range; a run of consecutive inputs gives distinct
// serials that are not neighbours.
func TestSerialPermutationIsABijection(t *testing.T) {
	p := mustPerm(t, bytes.Repeat([]byte{7}, 32))
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		x := rng.Uint32N(tracking.MaxSerial + 1)
		y := p.Permute(x)
		if y > tracking.MaxSerial {
			t.Fatalf("Permute(%d) = %d, outside the range", x, y)
		}
		if back := p.Invert(y); back != x {
			t.Fatalf("Invert(Permute(%d)) = %d", x, back)
		}
	}
	for _, x := range []uint32{0, 1, 9999, 10000, tracking.MaxSerial - 1, tracking.MaxSerial} {
		if back := p.Invert(p.Permute(x)); back != x {
			t.Fatalf("Invert(Permute(%d)) = %d", x, back)
		}
	}
	seen := map[uint32]bool{}
	near := 0
	prev := p.Permute(1000)
	for x := uint32(1001); x < 101001; x++ {
		y := p.Permute(x)
		if seen[y] {
			t.Fatalf("serial %d issued twice", y)
		}
		seen[y] = true
		d := int64(y) - int64(prev)
		if d < 0 {
			d = -d
		}
		if d < 1000 {
			near++
		}
		prev = y
	}
	// Neighbours by chance: about 2·1000/10^8 of the pairs.
	if near > 20 {
		t.Errorf("%d of 100000 consecutive serials lie within 1000 of the previous one", near)
	}
}

// TestSerialPermutationDependsOnTheKey: another key, another order; a short
// key is refused.
func TestSerialPermutationDependsOnTheKey(t *testing.T) {
	a := mustPerm(t, bytes.Repeat([]byte{1}, 32))
	b := mustPerm(t, bytes.Repeat([]byte{2}, 32))
	same := 0
	for x := uint32(1); x <= 1000; x++ {
		if a.Permute(x) == b.Permute(x) {
			same++
		}
	}
	if same > 2 {
		t.Errorf("two keys agree on %d of 1000 values", same)
	}
	if _, err := tracking.NewSerialPermutation(make([]byte, 8)); err == nil {
		t.Error("an 8-byte key was accepted")
	}
}

// TestSerialPermutationFullDomainSample: every value of a random block of
// 10^4 outputs comes back from a distinct input (a bijection on the block's
// preimages), checked with Invert.
func TestSerialPermutationFullDomainSample(t *testing.T) {
	p := mustPerm(t, bytes.Repeat([]byte{9}, 32))
	inputs := map[uint32]bool{}
	for y := uint32(55_550_000); y < 55_560_000; y++ {
		x := p.Invert(y)
		if inputs[x] {
			t.Fatalf("two serials come from input %d", x)
		}
		inputs[x] = true
		if p.Permute(x) != y {
			t.Fatalf("Permute(Invert(%d)) = %d", y, p.Permute(x))
		}
	}
}
