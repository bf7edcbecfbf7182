// Package portalsig implements the HMAC-SHA256 request signing of the portal
// contract, both ways: verifying what a portal sends us and signing the
// callbacks we send it.
//
//	canonical = METHOD \n PATH_WITH_QUERY \n TIMESTAMP \n NONCE \n hex(sha256(body))
//	signature = lowercase hex of HMAC-SHA256(secret, canonical)
package portalsig

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Header names of a portal's request and of our callbacks.
const (
	HeaderPortalID  = "X-Portal-Id"
	HeaderPostalID  = "X-Postal-Id" // a postal system pulling events signs the same way
	HeaderHosoID    = "X-Hoso-Id"
	HeaderTimestamp = "X-Timestamp"
	HeaderNonce     = "X-Nonce"
	HeaderSignature = "X-Signature"
)

// MaxSkew is the largest accepted difference between the request's timestamp
// and our clock; NonceTTL is how long a nonce is remembered.
const (
	MaxSkew  = 300 * time.Second
	NonceTTL = 10 * time.Minute
)

// Canonical returns the string that is signed.
func Canonical(method, pathWithQuery, timestamp, nonce string, body []byte) string {
	sum := sha256.Sum256(body)
	return strings.ToUpper(method) + "\n" + pathWithQuery + "\n" + timestamp + "\n" + nonce + "\n" + hex.EncodeToString(sum[:])
}

// Sign returns the lowercase hex signature of a request.
func Sign(secret []byte, method, pathWithQuery, timestamp, nonce string, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(Canonical(method, pathWithQuery, timestamp, nonce, body)))
	return hex.EncodeToString(m.Sum(nil))
}

// The reasons a signed request is refused. Their text is safe to show: none
// echoes an expected value.
var (
	ErrMissing   = errors.New("thiếu tiêu đề xác thực (X-Portal-Id, X-Timestamp, X-Nonce, X-Signature)")
	ErrTimestamp = errors.New("X-Timestamp không hợp lệ hoặc lệch quá 300 giây so với máy chủ")
	ErrNonce     = errors.New("X-Nonce phải có 16–64 ký tự [A-Za-z0-9_-]")
	ErrSignature = errors.New("chữ ký X-Signature không khớp")
	ErrReplay    = errors.New("X-Nonce đã được dùng trong 10 phút qua")
	ErrClient    = errors.New("X-Portal-Id không được đăng ký")
	// The same reasons for a postal system (X-Postal-Id).
	ErrMissingPostal = errors.New("thiếu tiêu đề xác thực (X-Postal-Id, X-Timestamp, X-Nonce, X-Signature)")
	ErrPostalClient  = errors.New("X-Postal-Id không được đăng ký")
)

// ValidNonce reports whether a nonce has 16–64 characters of [A-Za-z0-9_-].
func ValidNonce(n string) bool {
	if len(n) < 16 || len(n) > 64 {
		return false
	}
	for i := 0; i < len(n); i++ {
		c := n[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// CheckTimestamp parses a Unix-seconds timestamp and checks it is within
// MaxSkew of now.
func CheckTimestamp(ts string, now time.Time) error {
	if ts == "" || len(ts) > 12 {
		return ErrTimestamp
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return ErrTimestamp
	}
	d := now.Sub(time.Unix(sec, 0))
	if d > MaxSkew || d < -MaxSkew {
		return ErrTimestamp
	}
	return nil
}

// Verify checks the signature of a request in constant time. It does not
// check the nonce store; the caller records the nonce after Verify succeeds.
func Verify(secret []byte, method, pathWithQuery, timestamp, nonce string, body []byte, signature string, now time.Time) error {
	if timestamp == "" || nonce == "" || signature == "" {
		return ErrMissing
	}
	if err := CheckTimestamp(timestamp, now); err != nil {
		return err
	}
	if !ValidNonce(nonce) {
		return ErrNonce
	}
	got, err := hex.DecodeString(signature)
	if err != nil || len(got) != sha256.Size {
		return ErrSignature
	}
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(Canonical(method, pathWithQuery, timestamp, nonce, body)))
	if !hmac.Equal(m.Sum(nil), got) {
		return ErrSignature
	}
	return nil
}
