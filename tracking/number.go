package tracking

import (
	"errors"
	"fmt"
	"strconv"
)

// Number is a UPU S10 item identifier such as EA123456785VN: two service
// letters, an eight-digit serial, a check digit and the issuing country.
// The zero Number is not valid.
type Number struct {
	service [2]byte
	serial  uint32
	country [2]byte
}

// ErrBadNumber is returned for strings that are not S10 identifiers.
var ErrBadNumber = errors.New("not a valid S10 tracking number")

// MaxSerial is the largest eight-digit serial.
const MaxSerial = 99_999_999

var s10Weights = [8]int{8, 6, 4, 2, 3, 5, 9, 7}

// CheckDigit computes the S10 check digit of an eight-digit serial:
// weights 8 6 4 2 3 5 9 7, sum mod 11, 11 − remainder, 10 → 0, 11 → 5.
func CheckDigit(serial uint32) int {
	sum := 0
	for i := 7; i >= 0; i-- {
		sum += int(serial%10) * s10Weights[i]
		serial /= 10
	}
	c := 11 - sum%11
	switch c {
	case 10:
		return 0
	case 11:
		return 5
	}
	return c
}

// NewNumber builds the identifier for a serial with the given service letters
// and country code.
func NewNumber(service string, serial uint32, country string) (Number, error) {
	if !upperPair(service) {
		return Number{}, fmt.Errorf("service letters %q: want two capital letters", service)
	}
	if !upperPair(country) {
		return Number{}, fmt.Errorf("country code %q: want two capital letters", country)
	}
	if serial > MaxSerial {
		return Number{}, fmt.Errorf("serial %d has more than eight digits", serial)
	}
	return Number{service: [2]byte{service[0], service[1]}, serial: serial, country: [2]byte{country[0], country[1]}}, nil
}

// ParseNumber parses an S10 identifier. Letters must be capitals and the
// check digit must match; nothing else is accepted, so a malformed and an
// unknown number can be treated alike.
func ParseNumber(s string) (Number, error) {
	if len(s) != 13 || !upperPair(s[0:2]) || !upperPair(s[11:13]) {
		return Number{}, ErrBadNumber
	}
	var serial uint32
	for i := 2; i < 10; i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return Number{}, ErrBadNumber
		}
		serial = serial*10 + uint32(c-'0')
	}
	if c := s[10]; c < '0' || c > '9' || int(c-'0') != CheckDigit(serial) {
		return Number{}, ErrBadNumber
	}
	return Number{service: [2]byte{s[0], s[1]}, serial: serial, country: [2]byte{s[11], s[12]}}, nil
}

// String returns the thirteen-character form, or "" for the zero Number.
func (n Number) String() string {
	if n.IsZero() {
		return ""
	}
	b := make([]byte, 0, 13)
	b = append(b, n.service[0], n.service[1])
	s := strconv.FormatUint(uint64(n.serial), 10)
	for i := len(s); i < 8; i++ {
		b = append(b, '0')
	}
	b = append(b, s...)
	b = append(b, byte('0'+CheckDigit(n.serial)))
	b = append(b, n.country[0], n.country[1])
	return string(b)
}

// IsZero reports whether n is the zero Number.
func (n Number) IsZero() bool { return n.service[0] == 0 }

// Service returns the two service letters.
func (n Number) Service() string { return string(n.service[:]) }

// Serial returns the eight-digit serial.
func (n Number) Serial() uint32 { return n.serial }

// Country returns the issuing country code.
func (n Number) Country() string { return string(n.country[:]) }

func upperPair(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}
