// Package secret holds the cryptography the application applies to personal
// data and credentials: AES-256-GCM boxes for phones and portal secrets at
// rest, keyed hashes for CCCD numbers and phone lookups, argon2id password
// hashes and random tokens. Keys come from configuration, never from the
// database.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Box encrypts small values with AES-256-GCM. The sealed form is a version
// byte, the 12-byte nonce and the ciphertext with its tag.
//
// A Box seals with its current key and opens with the current key or,
// failing that, the previous one (key rotation, NewRotatingBox). The sealed
// form does not name its key: the GCM tag tells which key opens a value (a
// value opening under a key it was not sealed with happens with probability
// 2⁻¹²⁸), so values sealed before rotation existed stay readable as they are,
// and a binary without the previous-key setting still reads what a newer one
// seals with the same key.
type Box struct {
	aead     cipher.AEAD
	previous cipher.AEAD // nil when no previous key is set
}

const boxVersion = 1

// NewBox returns a Box for a 32-byte key, with no previous key.
func NewBox(key []byte) (*Box, error) { return NewRotatingBox(key, nil) }

// NewRotatingBox returns a Box that seals with current and opens with current
// or, failing that, previous. An empty previous means none. Both keys are 32
// bytes and must differ.
func NewRotatingBox(current, previous []byte) (*Box, error) {
	aead, err := newAEAD(current)
	if err != nil {
		return nil, err
	}
	b := &Box{aead: aead}
	if len(previous) > 0 {
		if subtle.ConstantTimeCompare(current, previous) == 1 {
			return nil, errors.New("secret: the previous box key equals the current one")
		}
		if b.previous, err = newAEAD(previous); err != nil {
			return nil, fmt.Errorf("previous key: %w", err)
		}
	}
	return b, nil
}

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("secret: box key is %d bytes, want 32", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret: %w", err)
	}
	return aead, nil
}

// HasPrevious reports whether the Box has a previous key to fall back to.
func (b *Box) HasPrevious() bool { return b.previous != nil }

// Seal encrypts plaintext with the current key, bound to context (for
// example the column name), so a value copied into another column does not
// open.
func (b *Box) Seal(plaintext, context []byte) []byte {
	nonce := make([]byte, b.aead.NonceSize(), 1+b.aead.NonceSize()+len(plaintext)+b.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		panic("secret: crypto/rand failed: " + err.Error()) // the OS has no randomness: nothing is safe
	}
	out := append([]byte{boxVersion}, nonce...)
	return b.aead.Seal(out, nonce, plaintext, context)
}

// ErrOpen is returned (possibly wrapped: test with errors.Is) when a sealed
// value does not decrypt with any of the Box's keys.
var ErrOpen = errors.New("secret: cannot open sealed value")

// errOpenEither is ErrOpen for a Box with two keys.
var errOpenEither = fmt.Errorf("%w: neither the current key nor the previous one opens it (wrong keys, another column, or damaged)", ErrOpen)

// Open decrypts a value made by Seal with the same context, under the
// current key or, failing that, the previous one.
func (b *Box) Open(sealed, context []byte) ([]byte, error) {
	pt, _, err := b.open(sealed, context)
	return pt, err
}

// open also reports whether the current key opened the value.
func (b *Box) open(sealed, context []byte) (pt []byte, current bool, err error) {
	if pt, ok := openWith(b.aead, sealed, context); ok {
		return pt, true, nil
	}
	if b.previous == nil {
		return nil, false, ErrOpen
	}
	if pt, ok := openWith(b.previous, sealed, context); ok {
		return pt, false, nil
	}
	return nil, false, errOpenEither
}

func openWith(aead cipher.AEAD, sealed, context []byte) ([]byte, bool) {
	ns := aead.NonceSize()
	if len(sealed) < 1+ns+aead.Overhead() || sealed[0] != boxVersion {
		return nil, false
	}
	pt, err := aead.Open(nil, sealed[1:1+ns], sealed[1+ns:], context)
	if err != nil {
		return nil, false
	}
	return pt, true
}

// Reseal brings a sealed value under the current key. A value the current
// key opens is already current: it comes back unchanged with resealed false.
// A value only the previous key opens is opened and sealed anew with the
// current key and the same context (resealed true). A value neither key
// opens is an error wrapping ErrOpen; the error never contains the value.
func (b *Box) Reseal(sealed, context []byte) (out []byte, resealed bool, err error) {
	pt, current, err := b.open(sealed, context)
	if err != nil {
		return nil, false, err
	}
	if current {
		return sealed, false, nil
	}
	return b.Seal(pt, context), true, nil
}

// Hasher makes keyed hashes (HMAC-SHA256) of personal identifiers so they can
// be compared and looked up without being stored.
type Hasher struct {
	key []byte
}

// NewHasher returns a Hasher for a 32-byte key.
func NewHasher(key []byte) (*Hasher, error) {
	if len(key) < 32 {
		return nil, fmt.Errorf("secret: hash key is %d bytes, want 32", len(key))
	}
	return &Hasher{key: append([]byte(nil), key...)}, nil
}

// Sum returns HMAC-SHA256(key, purpose ‖ 0 ‖ value). The purpose keeps
// hashes of different kinds of data apart.
func (h *Hasher) Sum(purpose, value string) []byte {
	m := hmac.New(sha256.New, h.key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return m.Sum(nil)
}

// Equal compares two hashes in constant time.
func Equal(a, b []byte) bool { return subtle.ConstantTimeCompare(a, b) == 1 }

// Token returns n random bytes encoded as URL-safe base64 without padding.
func Token(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("secret: crypto/rand failed: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Digits returns n random decimal digits (one-time codes).
func Digits(n int) string {
	const max = 250 // largest multiple of 10 below 256, to avoid bias
	out := make([]byte, 0, n)
	buf := make([]byte, 1)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			panic("secret: crypto/rand failed: " + err.Error())
		}
		if buf[0] < max {
			out = append(out, '0'+buf[0]%10)
		}
	}
	return string(out)
}

// Code returns n characters drawn uniformly from alphabet (at most 256
// characters) with crypto/rand.
func Code(n int, alphabet string) string {
	limit := 256 - 256%len(alphabet)
	out := make([]byte, 0, n)
	buf := make([]byte, 1)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			panic("secret: crypto/rand failed: " + err.Error())
		}
		if int(buf[0]) < limit {
			out = append(out, alphabet[int(buf[0])%len(alphabet)])
		}
	}
	return string(out)
}

// TokenHash is the SHA-256 of a bearer token or session id: the database keeps
// only this, so a leaked table grants nothing.
func TokenHash(token string) []byte {
	s := sha256.Sum256([]byte(token))
	return s[:]
}

// argon2id parameters (RFC 9106 second recommended option, 64 MiB is too much
// for a small server under a login burst; 19 MiB, t=2 follows OWASP's table).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an argon2id hash in PHC string format.
func HashPassword(password string) (string, error) {
	if password == "" {
		return "", errors.New("secret: empty password")
	}
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("secret: salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches a hash made by HashPassword.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<20 || t > 16 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// DummyCheck spends the time of one password check, so an unknown username
// takes as long to refuse as a wrong password.
func DummyCheck(password string) {
	argon2.IDKey([]byte(password), []byte("0123456789abcdef"), argonTime, argonMemory, argonThreads, argonKeyLen)
}
