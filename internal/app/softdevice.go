package app

import (
	"context"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"

	"hoso/tracking"
)

// SoftDevice is a courier device in software: a key pair, and events
// signed exactly as the courier app signs them. The demo seed, the
// simulator and the benchmarks record courier events through it, so they
// take the phone's path through the server and its checks; nothing
// records a courier event any other way.
type SoftDevice struct {
	ID  string
	alg string
	ed  ed25519.PrivateKey
	ec  *ecdsa.PrivateKey
}

// NewSoftDevice makes a device with an Ed25519 key derived from seed (32
// bytes; the same seed, the same key and signatures), or, with a nil seed,
// a random ES256 key like the app's.
func NewSoftDevice(id string, seed []byte) (*SoftDevice, error) {
	d := &SoftDevice{ID: id}
	if seed != nil {
		if len(seed) != ed25519.SeedSize {
			return nil, fmt.Errorf("soft device: seed of %d bytes, want %d", len(seed), ed25519.SeedSize)
		}
		d.alg, d.ed = tracking.AlgEd25519, ed25519.NewKeyFromSeed(seed)
		return d, nil
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	d.alg, d.ec = tracking.AlgES256, k
	return d, nil
}

// PublicKey returns the algorithm and the public key as RegisterKey takes
// it (base64).
func (d *SoftDevice) PublicKey() (alg, b64 string) {
	if d.ed != nil {
		return d.alg, base64.StdEncoding.EncodeToString(d.ed.Public().(ed25519.PublicKey))
	}
	spki, _ := x509.MarshalPKIXPublicKey(&d.ec.PublicKey) // a P-256 key always marshals
	return d.alg, base64.StdEncoding.EncodeToString(spki)
}

// Key is the device's public key as the store keeps it.
func (d *SoftDevice) Key() DeviceKey {
	alg, b64 := d.PublicKey()
	raw, _ := base64.StdEncoding.DecodeString(b64) // made by PublicKey
	return DeviceKey{Alg: alg, PublicKey: raw}
}

// Register registers the device's key for the courier (password again).
func (d *SoftDevice) Register(ctx context.Context, devs *Devices, u User, password string) error {
	alg, key := d.PublicKey()
	_, _, err := devs.RegisterKey(ctx, u, d.ID, alg, key, password)
	return err
}

// Sign signs raw bytes with the device's key (raw r‖s for ES256).
func (d *SoftDevice) Sign(msg []byte) ([]byte, error) {
	if d.ed != nil {
		return ed25519.Sign(d.ed, msg), nil
	}
	h := sha256.Sum256(msg)
	r, s, err := ecdsa.Sign(rand.Reader, d.ec, h[:])
	if err != nil {
		return nil, err
	}
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return sig, nil
}

// SoftEvent is an event for a SoftDevice to sign.
type SoftEvent struct {
	ID, Type, Number string
	At               time.Time
	Lat, Lng         *float64
	Data             any    // marshalled as JSON
	Secret           string // a door code, CCCD QR text or digits, sent beside the signed fields
}

// Event returns the event as the device sends it: its fields as JSON, the
// signature over the signed text, the secret beside.
func (d *SoftDevice) Event(e SoftEvent) (json.RawMessage, error) {
	fields := map[string]json.RawMessage{}
	put := func(k string, v any) error {
		b, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("soft device %s: %w", k, err)
		}
		fields[k] = b
		return nil
	}
	for k, v := range map[string]any{"id": e.ID, "type": e.Type, "tracking_number": e.Number, "at": e.At.Format(time.RFC3339)} {
		if err := put(k, v); err != nil {
			return nil, err
		}
	}
	if e.Lat != nil && e.Lng != nil {
		_ = put("lat", *e.Lat)
		_ = put("lng", *e.Lng)
	}
	data := e.Data
	if data == nil {
		data = map[string]any{}
	}
	if err := put("data", data); err != nil {
		return nil, err
	}
	sig, err := d.Sign(SignedText(fields))
	if err != nil {
		return nil, err
	}
	_ = put("signature", base64.StdEncoding.EncodeToString(sig))
	if e.Secret != "" {
		_ = put("secret", e.Secret)
	}
	return json.Marshal(fields)
}
