// Package receipts signs citizens' receipts with the server's Ed25519 key and
// checks them, online or offline: the key from its 32-byte seed, the public
// key's text form and fingerprint, and the JSON document a citizen (or
// anyone) downloads to check a receipt without asking the server.
//
// What is signed is tracking.Receipt's canonical text; this package adds
// only the cryptography and the envelope.
package receipts

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"hoso/internal/translog"
	"hoso/tracking"
)

// ErrNotGenuine is returned when a signature does not match the content.
var ErrNotGenuine = errors.New("receipt is not genuine: the signature does not match its content")

// ErrOtherKey is returned when a receipt names a key other than the one it is
// checked with.
var ErrOtherKey = errors.New("receipt was signed with another key")

// keyPrefix starts the text form of a public key.
const keyPrefix = "ed25519:"

// PublicKey checks signatures.
type PublicKey struct {
	key ed25519.PublicKey
}

// ID is the key's fingerprint: the first 8 bytes of the SHA-256 of the key,
// in hex. Receipts name the key they were signed with by it.
func (p PublicKey) ID() string {
	h := sha256.Sum256(p.key)
	return hex.EncodeToString(h[:8])
}

// String is the text form "ed25519:<base64 of the 32 key bytes>", which
// ParsePublicKey reads.
func (p PublicKey) String() string {
	return keyPrefix + base64.StdEncoding.EncodeToString(p.key)
}

// Valid reports whether p holds a key.
func (p PublicKey) Valid() bool { return len(p.key) == ed25519.PublicKeySize }

// Verify reports whether sig is this key's signature of r's canonical text.
func (p PublicKey) Verify(r tracking.Receipt, sig []byte) bool {
	if !p.Valid() || len(sig) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(p.key, r.Canonical(), sig)
}

// ParsePublicKey reads a public key as "ed25519:<base64>", bare base64 or
// 64 hex digits.
func ParsePublicKey(s string) (PublicKey, error) {
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), keyPrefix))
	b, err := decode32(s)
	if err != nil {
		return PublicKey{}, fmt.Errorf("public key: %w", err)
	}
	return PublicKey{key: ed25519.PublicKey(b)}, nil
}

// ParseSeed reads a 32-byte seed as 64 hex digits or base64 (the form of
// HOSO_RECEIPT_KEY).
func ParseSeed(s string) ([]byte, error) {
	b, err := decode32(strings.TrimSpace(s))
	if err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	return b, nil
}

func decode32(s string) ([]byte, error) {
	if b, err := hex.DecodeString(s); err == nil {
		if len(b) != 32 {
			return nil, fmt.Errorf("%d bytes of hex, want 32", len(b))
		}
		return b, nil
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			if len(b) != 32 {
				return nil, fmt.Errorf("%d bytes of base64, want 32", len(b))
			}
			return b, nil
		}
	}
	return nil, errors.New("want 32 bytes as 64 hex digits or base64")
}

// Key signs receipts. It is safe for concurrent use.
type Key struct {
	priv ed25519.PrivateKey
	pub  PublicKey
}

// NewKey derives the signing key from a 32-byte seed (config Keys.Receipt).
func NewKey(seed []byte) (*Key, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("receipts: seed is %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	return &Key{priv: priv, pub: PublicKey{key: priv.Public().(ed25519.PublicKey)}}, nil
}

// Public returns the key that checks this key's signatures.
func (k *Key) Public() PublicKey { return k.pub }

// KeyID is the public key's fingerprint.
func (k *Key) KeyID() string { return k.pub.ID() }

// Sign validates r and signs its canonical text.
func (k *Key) Sign(r tracking.Receipt) ([]byte, error) {
	if err := r.Validate(); err != nil {
		return nil, fmt.Errorf("sign: %w", err)
	}
	return ed25519.Sign(k.priv, r.Canonical()), nil
}

// Verify reports whether sig is this key's signature of r.
func (k *Key) Verify(r tracking.Receipt, sig []byte) bool { return k.pub.Verify(r, sig) }

// Document is a receipt as downloaded for checking offline: the content,
// the signature over its canonical text and the fingerprint of the key.
type Document struct {
	Format    string           `json:"format"`
	Receipt   tracking.Receipt `json:"receipt"`
	Signature string           `json:"signature"` // standard base64 of the 64 signature bytes
	KeyID     string           `json:"key_id"`
	// Canonical repeats the signed text for people and other tools; it is
	// not trusted: Check rebuilds it from Receipt.
	Canonical string `json:"canonical,omitempty"`
	// Proof is the C2SP tlog-proof that the receipt's event is in the
	// transparency log under a checkpoint the witnesses co-signed (absent
	// on a receipt fetched before such a checkpoint existed: fetch it
	// again later). CheckProof verifies it offline.
	Proof string `json:"proof,omitempty"`
}

// Leaf is the transparency log's leaf of the event a receipt records,
// rebuilt from the signed receipt alone: its event id, the event type of
// its kind, the time the server recorded it and the event's hash.
func Leaf(r tracking.Receipt) ([]byte, error) {
	h, err := hex.DecodeString(r.EventHash)
	if err != nil || len(h) != sha256.Size {
		return nil, fmt.Errorf("%w: event hash is not 64 hex digits", ErrNotGenuine)
	}
	l := translog.EventLeaf(r.EventID, string(r.Kind.EventType()), r.RecordedAt, h)
	if err := l.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrNotGenuine, err)
	}
	return l.Bytes(), nil
}

// ErrNoProof is returned by CheckProof for a document without a proof.
var ErrNoProof = errors.New("the receipt carries no transparency log proof yet")

// CheckProof verifies the document's log proof offline with the log's and
// the witnesses' public keys: the checkpoint is the log's, co-signed by the
// quorum of witnesses, and the inclusion path leads from the receipt's
// leaf to its root. Check the signature first (PublicKey.Check): the proof
// shows the log holds the event the signed receipt names.
func (d Document) CheckProof(pol *translog.Policy) (translog.Signed, int64, error) {
	if d.Proof == "" {
		return translog.Signed{}, 0, ErrNoProof
	}
	leaf, err := Leaf(d.Receipt)
	if err != nil {
		return translog.Signed{}, 0, err
	}
	pr, err := translog.ParseProof([]byte(d.Proof))
	if err != nil {
		return translog.Signed{}, 0, err
	}
	s, err := pol.VerifyProof(pr, leaf)
	return s, pr.Index, err
}

// NewDocument builds the downloadable document of a signed receipt.
func NewDocument(r tracking.Receipt, sig []byte, keyID string) Document {
	return Document{Format: tracking.ReceiptFormat, Receipt: r, Signature: base64.StdEncoding.EncodeToString(sig),
		KeyID: keyID, Canonical: string(r.Canonical())}
}

// JSON encodes the document, indented, without HTML escaping.
func (d Document) JSON() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(d) // strings, numbers, times and slices only
	return buf.Bytes()
}

// ParseDocument reads a downloaded receipt document strictly: unknown
// fields, trailing content and a format other than ReceiptFormat are errors.
func ParseDocument(raw []byte) (Document, error) {
	var d Document
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&d); err != nil {
		return Document{}, fmt.Errorf("receipt document: %w", err)
	}
	if dec.More() {
		return Document{}, errors.New("receipt document: trailing content")
	}
	if d.Format != tracking.ReceiptFormat {
		return Document{}, fmt.Errorf("receipt document: format %q, want %q", d.Format, tracking.ReceiptFormat)
	}
	return d, nil
}

// Check verifies a document against a trusted public key: the receipt must
// be complete and the signature must match its canonical text. The key the
// document names must be this one (ErrOtherKey), so a document signed by
// some other key is never taken as genuine.
func (p PublicKey) Check(d Document) error {
	if err := d.Receipt.Validate(); err != nil {
		return fmt.Errorf("%w (%v)", ErrNotGenuine, err)
	}
	if d.KeyID != p.ID() {
		return fmt.Errorf("%w: %s, not %s", ErrOtherKey, d.KeyID, p.ID())
	}
	sig, err := base64.StdEncoding.DecodeString(d.Signature)
	if err != nil {
		return fmt.Errorf("%w: signature is not base64", ErrNotGenuine)
	}
	if !p.Verify(d.Receipt, sig) {
		return ErrNotGenuine
	}
	return nil
}
