package tracking

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
)

// serialHalf is the size of each half of the Feistel network: the serial
// space [0, 10^8) is exactly 10^4 × 10^4, so the permutation needs no
// cycle-walking.
const serialHalf = 10_000

const serialRounds = 8

// SerialPermutation maps the n-th value of a service's sequence to the
// serial printed on the label, so numbers issued one after another are not
// neighbours and cannot be walked. It is a keyed bijection of [0, 10^8):
// different sequence values always give different serials. The key must
// never change for a service once numbers were issued: another key maps
// later values onto serials already in use.
type SerialPermutation struct {
	key []byte
}

// NewSerialPermutation makes the permutation of a key of at least 16 bytes.
func NewSerialPermutation(key []byte) (SerialPermutation, error) {
	if len(key) < 16 {
		return SerialPermutation{}, errors.New("serial permutation: key shorter than 16 bytes")
	}
	return SerialPermutation{key: append([]byte(nil), key...)}, nil
}

// round is the Feistel round function: HMAC-SHA256 of the round and the
// half, reduced to [0, 10^4).
func (p SerialPermutation) round(i int, half uint32) uint32 {
	m := hmac.New(sha256.New, p.key)
	var b [5]byte
	b[0] = byte(i)
	binary.BigEndian.PutUint32(b[1:], half)
	m.Write(b[:])
	return binary.BigEndian.Uint32(m.Sum(nil)[:4]) % serialHalf
}

// Permute maps x in [0, 10^8) to its serial. Values outside the range are
// returned unchanged (callers never pass them).
func (p SerialPermutation) Permute(x uint32) uint32 {
	if x > MaxSerial {
		return x
	}
	l, r := x/serialHalf, x%serialHalf
	for i := 0; i < serialRounds; i++ {
		l, r = r, (l+p.round(i, r))%serialHalf
	}
	return l*serialHalf + r
}

// Invert is Permute's inverse.
func (p SerialPermutation) Invert(y uint32) uint32 {
	if y > MaxSerial {
		return y
	}
	l, r := y/serialHalf, y%serialHalf
	for i := serialRounds - 1; i >= 0; i-- {
		l, r = (r+serialHalf-p.round(i, l))%serialHalf, l
	}
	return l*serialHalf + r
}
