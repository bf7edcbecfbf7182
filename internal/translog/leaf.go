package translog

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"
)

// Hash is a SHA-256 Merkle tree hash.
type Hash = tlog.Hash

// HashSize is the size of a Hash in bytes.
const HashSize = tlog.HashSize

// LeafFormat is the first line of every leaf: a leaf can never be taken for
// anything else, and a later format gets a new name.
const LeafFormat = "hoso-leaf-v1"

// Leaf kinds. Events are the custody ledger's events; later kinds (staff
// audit entries) use the same five fields.
const (
	KindEvent = "event"
)

// MaxLeafSize bounds a leaf: entry bundles carry 16-bit lengths.
const MaxLeafSize = 1 << 12

// Leaf is one public entry of the log. It commits to a record (a ledger
// event, later an audit entry) by the record's SHA-256 hash, never by its
// content: the content holds personal data, the leaf is public.
type Leaf struct {
	Kind string    // "event", later "audit"
	ID   string    // the record's id (a UUID for events)
	Type string    // the record's type ("pickup.collected")
	At   time.Time // the server's time of the record
	Hash []byte    // the record's SHA-256 (events.hash)
}

// EventLeaf is the leaf of a ledger event.
func EventLeaf(id, typ string, at time.Time, hash []byte) Leaf {
	return Leaf{Kind: KindEvent, ID: id, Type: typ, At: at, Hash: hash}
}

// fmtLeafTime is the leaf's time: UTC with microseconds, the precision
// PostgreSQL keeps (the same form the event's canonical text uses).
func fmtLeafTime(t time.Time) string {
	return t.UTC().Truncate(time.Microsecond).Format("2006-01-02T15:04:05.000000Z")
}

var (
	leafKindRe = regexp.MustCompile(`^[a-z][a-z0-9_]{0,31}$`)
	leafIDRe   = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z._:-]{0,127}$`)
	leafTypeRe = regexp.MustCompile(`^[a-z][a-z0-9_.]{0,63}$`)
)

// Validate reports what is wrong with a leaf's fields.
func (l Leaf) Validate() error {
	switch {
	case !leafKindRe.MatchString(l.Kind):
		return fmt.Errorf("leaf kind %q", l.Kind)
	case !leafIDRe.MatchString(l.ID):
		return fmt.Errorf("leaf id %q", l.ID)
	case !leafTypeRe.MatchString(l.Type):
		return fmt.Errorf("leaf type %q", l.Type)
	case l.At.IsZero():
		return fmt.Errorf("leaf time missing")
	case len(l.Hash) != HashSize:
		return fmt.Errorf("leaf hash is %d bytes, want %d", len(l.Hash), HashSize)
	}
	return nil
}

// Bytes is the leaf's text, the bytes the tree hashes:
//
//	hoso-leaf-v1
//	kind=event
//	id=<uuid>
//	type=<event type>
//	at=<server time, UTC, microseconds>
//	hash=<hex SHA-256 of the record's canonical form>
//
// each line ending in a newline. The database trigger that queues an
// event's leaf writes the same bytes (migration 0013); a test holds them
// equal.
func (l Leaf) Bytes() []byte {
	var b bytes.Buffer
	b.WriteString(LeafFormat + "\n")
	b.WriteString("kind=" + l.Kind + "\n")
	b.WriteString("id=" + l.ID + "\n")
	b.WriteString("type=" + l.Type + "\n")
	b.WriteString("at=" + fmtLeafTime(l.At) + "\n")
	b.WriteString("hash=" + hex.EncodeToString(l.Hash) + "\n")
	return b.Bytes()
}

// HashOf is the leaf's Merkle leaf hash, SHA-256(0x00 || Bytes()).
func (l Leaf) HashOf() Hash { return tlog.RecordHash(l.Bytes()) }

// LeafHash is the Merkle leaf hash of a leaf's bytes.
func LeafHash(body []byte) Hash { return tlog.RecordHash(body) }

// ParseLeaf reads a leaf's bytes strictly: exactly the six lines of
// Bytes, in order, and the bytes must be what Bytes gives back.
func ParseLeaf(b []byte) (Leaf, error) {
	if len(b) > MaxLeafSize {
		return Leaf{}, fmt.Errorf("leaf: %d bytes, at most %d", len(b), MaxLeafSize)
	}
	s := string(b)
	if !strings.HasSuffix(s, "\n") {
		return Leaf{}, fmt.Errorf("leaf: does not end in a newline")
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) != 6 || lines[0] != LeafFormat {
		return Leaf{}, fmt.Errorf("leaf: want %s and five fields", LeafFormat)
	}
	var l Leaf
	want := []string{"kind", "id", "type", "at", "hash"}
	vals := make([]string, len(want))
	for i, k := range want {
		v, ok := strings.CutPrefix(lines[i+1], k+"=")
		if !ok {
			return Leaf{}, fmt.Errorf("leaf: line %d: want %s=", i+2, k)
		}
		vals[i] = v
	}
	l.Kind, l.ID, l.Type = vals[0], vals[1], vals[2]
	at, err := time.Parse("2006-01-02T15:04:05.000000Z", vals[3])
	if err != nil {
		return Leaf{}, fmt.Errorf("leaf: at: %w", err)
	}
	l.At = at
	h, err := hex.DecodeString(vals[4])
	if err != nil {
		return Leaf{}, fmt.Errorf("leaf: hash: %w", err)
	}
	l.Hash = h
	if err := l.Validate(); err != nil {
		return Leaf{}, fmt.Errorf("leaf: %w", err)
	}
	if !bytes.Equal(l.Bytes(), b) {
		return Leaf{}, fmt.Errorf("leaf: not in canonical form")
	}
	return l, nil
}
