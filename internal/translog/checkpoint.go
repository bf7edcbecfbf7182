package translog

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/mod/sumdb/note"
)

// Checkpoint is a C2SP tlog-checkpoint body: the log's origin, the tree
// size and root hash, and (one extension line) the time the log signed it.
type Checkpoint struct {
	Origin string
	Size   int64
	Root   Hash
	Time   time.Time // second precision
}

// Text is the note text the log signs and the witnesses co-sign:
//
//	<origin>
//	<size>
//	<base64 root>
//	time <unix seconds>
func (c Checkpoint) Text() []byte {
	return fmt.Appendf(nil, "%s\n%d\n%s\ntime %d\n", c.Origin, c.Size, base64.StdEncoding.EncodeToString(c.Root[:]), c.Time.Unix())
}

// ValidName reports whether s can be a note key name or a checkpoint
// origin: non-empty, no spaces, no plus sign, valid UTF-8, at most 200
// bytes.
func ValidName(s string) bool {
	return s != "" && len(s) <= 200 && utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsSpace) &&
		!strings.Contains(s, "+") && !strings.ContainsFunc(s, unicode.IsControl)
}

// ParseCheckpoint reads a checkpoint's note text strictly (as Text writes
// it; the time line may be absent on other logs' checkpoints, but then it
// is an error here: this log always writes it).
func ParseCheckpoint(text []byte) (Checkpoint, error) {
	s := string(text)
	if len(s) > 1000 || !strings.HasSuffix(s, "\n") {
		return Checkpoint{}, errors.New("checkpoint: malformed")
	}
	lines := strings.Split(strings.TrimSuffix(s, "\n"), "\n")
	if len(lines) != 4 {
		return Checkpoint{}, errors.New("checkpoint: want origin, size, root and time lines")
	}
	c := Checkpoint{Origin: lines[0]}
	if !ValidName(c.Origin) {
		return Checkpoint{}, errors.New("checkpoint: bad origin")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil || n < 0 || strconv.FormatInt(n, 10) != lines[1] {
		return Checkpoint{}, errors.New("checkpoint: bad size")
	}
	c.Size = n
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != HashSize || base64.StdEncoding.EncodeToString(root) != lines[2] {
		return Checkpoint{}, errors.New("checkpoint: bad root hash")
	}
	copy(c.Root[:], root)
	ts, ok := strings.CutPrefix(lines[3], "time ")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil || sec < 0 || strconv.FormatInt(sec, 10) != ts {
		return Checkpoint{}, errors.New("checkpoint: bad time line")
	}
	c.Time = time.Unix(sec, 0).UTC()
	if c.Size == 0 && c.Root != EmptyRoot() {
		return Checkpoint{}, errors.New("checkpoint: an empty tree has the empty root")
	}
	return c, nil
}

// keyID is the signed-note key id: the first four bytes of
// SHA-256(name || "\n" || type || public key), big-endian.
func keyID(name string, typ byte, pub []byte) uint32 {
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{'\n', typ})
	h.Write(pub)
	return binary.BigEndian.Uint32(h.Sum(nil))
}

// Signature types of C2SP signed-note.
const (
	sigEd25519     = 0x01
	sigCosignature = 0x04
)

func vkeyString(name string, typ byte, pub []byte) string {
	return fmt.Sprintf("%s+%08x+%s", name, keyID(name, typ, pub), base64.StdEncoding.EncodeToString(append([]byte{typ}, pub...)))
}

// parseVkey splits a verifier key "<name>+<hex id>+<base64(type||key)>".
func parseVkey(vkey string) (name string, typ byte, pub []byte, err error) {
	name, rest, ok1 := strings.Cut(strings.TrimSpace(vkey), "+")
	id16, key64, ok2 := strings.Cut(rest, "+")
	id, err1 := strconv.ParseUint(id16, 16, 32)
	raw, err2 := base64.StdEncoding.DecodeString(key64)
	if !ok1 || !ok2 || len(id16) != 8 || err1 != nil || err2 != nil || !ValidName(name) || len(raw) != 1+ed25519.PublicKeySize {
		return "", 0, nil, fmt.Errorf("verifier key %q: want name+keyid+base64 of a type byte and an Ed25519 key", clip(vkey))
	}
	typ, pub = raw[0], raw[1:]
	if uint32(id) != keyID(name, typ, pub) {
		return "", 0, nil, fmt.Errorf("verifier key %q: key id does not match the key", clip(vkey))
	}
	return name, typ, pub, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

// LogKey signs the log's checkpoints: an Ed25519 key named by the log's
// origin (signature type 0x01). During a key rotation the key being
// replaced signs too (WithPrevious), so checkers holding either key accept
// every new checkpoint.
type LogKey struct {
	origin   string
	priv     ed25519.PrivateKey
	id       uint32
	previous *LogKey
}

// WithPrevious returns the key that also signs with the key being rotated
// away from (HOSO_LOG_KEY_PREVIOUS).
func (k *LogKey) WithPrevious(seed []byte) (*LogKey, error) {
	p, err := NewLogKey(seed, k.origin)
	if err != nil {
		return nil, fmt.Errorf("previous %w", err)
	}
	if p.id == k.id {
		return nil, errors.New("previous log key: the same key as the current one")
	}
	c := *k
	c.previous = p
	return &c, nil
}

// Vkeys are the verifier keys of every key that signs: the current one
// first, then the previous one during a rotation.
func (k *LogKey) Vkeys() []string {
	out := []string{k.Vkey()}
	if k.previous != nil {
		out = append(out, k.previous.Vkey())
	}
	return out
}

// NewLogKey makes the log key from a 32-byte seed (HOSO_LOG_KEY).
func NewLogKey(seed []byte, origin string) (*LogKey, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("log key: seed is %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	if !ValidName(origin) {
		return nil, fmt.Errorf("log origin %q: want a schema-less URL without spaces or +", origin)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	return &LogKey{origin: origin, priv: priv, id: keyID(origin, sigEd25519, priv.Public().(ed25519.PublicKey))}, nil
}

// Origin is the log's origin line and key name.
func (k *LogKey) Origin() string { return k.origin }

// Vkey is the note verifier key, "<origin>+<id>+<base64>", which
// `hoso log-key` prints and witnesses and citizens check with.
func (k *LogKey) Vkey() string {
	return vkeyString(k.origin, sigEd25519, k.priv.Public().(ed25519.PublicKey))
}

// Name, KeyHash and Sign make LogKey a note.Signer.
func (k *LogKey) Name() string                    { return k.origin }
func (k *LogKey) KeyHash() uint32                 { return k.id }
func (k *LogKey) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(k.priv, msg), nil }

// SignCheckpoint returns the checkpoint as a signed note with the log's
// signature.
func (k *LogKey) SignCheckpoint(c Checkpoint) ([]byte, error) {
	if c.Origin != k.origin {
		return nil, fmt.Errorf("checkpoint origin %q is not the log's %q", c.Origin, k.origin)
	}
	signers := []note.Signer{k}
	if k.previous != nil {
		signers = append(signers, k.previous)
	}
	return note.Sign(&note.Note{Text: string(c.Text())}, signers...)
}

// WitnessKey co-signs checkpoints (C2SP tlog-cosignature, Ed25519,
// signature type 0x04).
type WitnessKey struct {
	name string
	priv ed25519.PrivateKey
	id   uint32
	now  func() time.Time
}

// NewWitnessKey makes a witness key from a 32-byte seed and a name (a
// schema-less URL such as "congdvc.thainguyen.gov.vn/witness").
func NewWitnessKey(seed []byte, name string, now func() time.Time) (*WitnessKey, error) {
	if len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("witness key: seed is %d bytes, want %d", len(seed), ed25519.SeedSize)
	}
	if !ValidName(name) {
		return nil, fmt.Errorf("witness name %q: want a schema-less URL without spaces or +", name)
	}
	if now == nil {
		now = time.Now
	}
	priv := ed25519.NewKeyFromSeed(seed)
	return &WitnessKey{name: name, priv: priv, id: keyID(name, sigCosignature, priv.Public().(ed25519.PublicKey)), now: now}, nil
}

// Vkey is the witness's verifier key (type 0x04), for HOSO_LOG_WITNESSES.
func (k *WitnessKey) Vkey() string {
	return vkeyString(k.name, sigCosignature, k.priv.Public().(ed25519.PublicKey))
}

// Name, KeyHash and Sign make WitnessKey a note.Signer of cosignatures:
// the signature is the 8-byte big-endian time followed by the Ed25519
// signature of "cosignature/v1\ntime <t>\n" and the note text.
func (k *WitnessKey) Name() string    { return k.name }
func (k *WitnessKey) KeyHash() uint32 { return k.id }
func (k *WitnessKey) Sign(msg []byte) ([]byte, error) {
	t := k.now().Unix()
	if t < 0 {
		return nil, errors.New("cosignature: time before 1970")
	}
	sig := make([]byte, 8, 8+ed25519.SignatureSize)
	binary.BigEndian.PutUint64(sig, uint64(t))
	return append(sig, ed25519.Sign(k.priv, cosignedMessage(uint64(t), msg))...), nil
}

func cosignedMessage(t uint64, text []byte) []byte {
	var b bytes.Buffer
	b.WriteString("cosignature/v1\ntime ")
	b.WriteString(strconv.FormatUint(t, 10))
	b.WriteString("\n")
	b.Write(text)
	return b.Bytes()
}

// Cosign returns the witness's signature line for a checkpoint's text
// ("— <name> <base64>\n").
func (k *WitnessKey) Cosign(text []byte) (string, error) {
	signed, err := note.Sign(&note.Note{Text: string(text)}, k)
	if err != nil {
		return "", err
	}
	// note.Sign writes the text, a blank line, then the signature line.
	return string(signed[len(text)+1:]), nil
}

func cutLast(b []byte) ([]byte, []byte, bool) {
	i := bytes.LastIndex(b, []byte("\n\n"))
	if i < 0 {
		return b, nil, false
	}
	return b[:i+1], b[i+2:], true
}

// verifier is a note.Verifier for one key of either type.
type verifier struct {
	name string
	id   uint32
	typ  byte
	pub  ed25519.PublicKey
	// at records the time of the last verified cosignature.
	at *uint64
}

func (v *verifier) Name() string    { return v.name }
func (v *verifier) KeyHash() uint32 { return v.id }
func (v *verifier) Verify(msg, sig []byte) bool {
	switch v.typ {
	case sigEd25519:
		return len(sig) == ed25519.SignatureSize && ed25519.Verify(v.pub, msg, sig)
	case sigCosignature:
		if len(sig) != 8+ed25519.SignatureSize {
			return false
		}
		t := binary.BigEndian.Uint64(sig)
		if t > 1<<63-1 {
			return false
		}
		ok := ed25519.Verify(v.pub, cosignedMessage(t, msg), sig[8:])
		if ok && v.at != nil {
			*v.at = t
		}
		return ok
	}
	return false
}

// Policy is what a checker trusts: the log's keys and the witnesses' keys,
// and how many witnesses must co-sign a checkpoint.
type Policy struct {
	log       []*verifier // the current key first, then retired ones
	witnesses []*verifier
	// Quorum is the number of distinct witnesses whose cosignatures a
	// checkpoint needs to count as witnessed.
	Quorum int
}

// NewPolicy reads the log's verifier keys (type 0x01: one, or several
// separated by commas, the current first, then keys retired by a rotation,
// all named by the log's origin) and the witnesses' (type 0x04). The
// quorum defaults to every witness given; 0 witnesses means checkpoints
// are only log-signed.
func NewPolicy(logVkeys string, witnessVkeys []string, quorum int) (*Policy, error) {
	p := &Policy{}
	for _, v := range strings.FieldsFunc(logVkeys, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' }) {
		name, typ, pub, err := parseVkey(v)
		if err != nil {
			return nil, fmt.Errorf("log key: %w", err)
		}
		if typ != sigEd25519 {
			return nil, fmt.Errorf("log key: signature type %#x, want 0x01 (Ed25519)", typ)
		}
		if len(p.log) > 0 && name != p.log[0].name {
			return nil, fmt.Errorf("log keys name two logs, %q and %q", p.log[0].name, name)
		}
		p.log = append(p.log, &verifier{name: name, id: keyID(name, typ, pub), typ: typ, pub: pub})
	}
	if len(p.log) == 0 {
		return nil, errors.New("log key: none given")
	}
	name := p.log[0].name
	seen := map[string]bool{name: true}
	for _, w := range witnessVkeys {
		if strings.TrimSpace(w) == "" {
			continue
		}
		wn, wt, wp, err := parseVkey(w)
		if err != nil {
			return nil, fmt.Errorf("witness key: %w", err)
		}
		if wt != sigCosignature {
			return nil, fmt.Errorf("witness key %s: signature type %#x, want 0x04 (tlog-cosignature Ed25519)", wn, wt)
		}
		if seen[wn] {
			return nil, fmt.Errorf("witness key %s: name used twice", wn)
		}
		seen[wn] = true
		p.witnesses = append(p.witnesses, &verifier{name: wn, id: keyID(wn, wt, wp), typ: wt, pub: wp})
	}
	if quorum < 0 || quorum > len(p.witnesses) {
		return nil, fmt.Errorf("witness quorum %d with %d witness keys", quorum, len(p.witnesses))
	}
	if quorum == 0 {
		quorum = len(p.witnesses)
	}
	p.Quorum = quorum
	return p, nil
}

// Origin is the log's origin (its key name).
func (p *Policy) Origin() string { return p.log[0].name }

// LogVkey is the log's current verifier key.
func (p *Policy) LogVkey() string { return vkeyString(p.log[0].name, p.log[0].typ, p.log[0].pub) }

// LogVkeys are every log key the policy accepts, the current first.
func (p *Policy) LogVkeys() []string {
	out := make([]string, len(p.log))
	for i, v := range p.log {
		out[i] = vkeyString(v.name, v.typ, v.pub)
	}
	return out
}

func (p *Policy) isLogKey(name string, id uint32) bool {
	for _, v := range p.log {
		if v.name == name && v.id == id {
			return true
		}
	}
	return false
}

// Witnesses names the trusted witnesses.
func (p *Policy) Witnesses() []string {
	out := make([]string, len(p.witnesses))
	for i, w := range p.witnesses {
		out[i] = w.name
	}
	return out
}

// Signed is a checkpoint whose log signature verified, with the witnesses
// whose cosignatures verified.
type Signed struct {
	Checkpoint
	Note      []byte   // the note as given
	Witnessed []string // names of the witnesses whose cosignatures verified
	// CosignedAt is each verified witness's cosignature time.
	CosignedAt map[string]time.Time
}

// MaxNoteSize bounds a signed checkpoint.
const MaxNoteSize = 16 << 10

// Errors of Open.
var (
	ErrNotSigned   = errors.New("checkpoint is not signed by the log's key")
	ErrBadNote     = errors.New("checkpoint note is malformed or a known key's signature does not verify")
	ErrOtherOrigin = errors.New("checkpoint is of another log")
)

// Open verifies a signed checkpoint: the log's signature must verify, and
// so must every signature line of a known witness (a known key whose
// signature fails makes the whole note invalid, as signed-note asks).
// Unknown signatures are ignored. It does not apply the quorum: see
// Witnessed.
func (p *Policy) Open(msg []byte) (Signed, error) {
	if len(msg) > MaxNoteSize {
		return Signed{}, fmt.Errorf("%w: %d bytes", ErrBadNote, len(msg))
	}
	times := make([]uint64, len(p.witnesses))
	var vs []note.Verifier
	for _, v := range p.log {
		vs = append(vs, v)
	}
	for i, w := range p.witnesses {
		c := *w
		c.at = &times[i]
		vs = append(vs, &c)
	}
	n, err := note.Open(msg, note.VerifierList(vs...))
	if err != nil {
		var unverified *note.UnverifiedNoteError
		if errors.As(err, &unverified) {
			if origin, _, _ := strings.Cut(unverified.Note.Text, "\n"); origin != p.Origin() {
				return Signed{}, fmt.Errorf("%w: %q, want %q (set HOSO_LOG_ORIGIN, or give the log's key)", ErrOtherOrigin, origin, p.Origin())
			}
			return Signed{}, ErrNotSigned
		}
		return Signed{}, fmt.Errorf("%w: %v", ErrBadNote, err)
	}
	s := Signed{Note: msg, CosignedAt: map[string]time.Time{}}
	logSigned := false
	for _, sig := range n.Sigs {
		if p.isLogKey(sig.Name, sig.Hash) {
			logSigned = true
			continue
		}
		for i, w := range p.witnesses {
			if sig.Name == w.name && sig.Hash == w.id {
				s.Witnessed = append(s.Witnessed, w.name)
				s.CosignedAt[w.name] = time.Unix(int64(times[i]), 0).UTC()
			}
		}
	}
	if !logSigned {
		return Signed{}, ErrNotSigned
	}
	c, err := ParseCheckpoint([]byte(n.Text))
	if err != nil {
		return Signed{}, err
	}
	if c.Origin != p.Origin() {
		return Signed{}, fmt.Errorf("%w: %q, want %q", ErrOtherOrigin, c.Origin, p.Origin())
	}
	s.Checkpoint = c
	return s, nil
}

// Witnessed reports whether a signed checkpoint carries the quorum of
// witness cosignatures.
func (p *Policy) Witnessed(s Signed) bool { return len(s.Witnessed) >= p.Quorum && p.Quorum > 0 }

// CosignatureLine is one witness signature line to add to a stored
// checkpoint.
type CosignatureLine struct {
	Witness string
	Line    string // "— <name> <base64>\n"
	At      time.Time
}

// CheckCosignatures reads signature lines a witness submits for the
// checkpoint text (the witness may send the whole co-signed note): it
// returns the lines of known witnesses whose cosignature over text
// verifies. A known witness's line that does not verify is an error; lines
// of unknown keys are an error too (ErrUnknownWitness), so nobody can fill
// the log's store with lines nobody checks.
func (p *Policy) CheckCosignatures(text []byte, submitted []byte) ([]CosignatureLine, error) {
	if len(submitted) > MaxNoteSize {
		return nil, fmt.Errorf("%w: %d bytes", ErrBadNote, len(submitted))
	}
	sigs := submitted
	if t, s, ok := cutLast(submitted); ok {
		if !bytes.Equal(t, text) {
			return nil, ErrOtherCheckpoint
		}
		sigs = s
	}
	var out []CosignatureLine
	for _, line := range strings.SplitAfter(string(sigs), "\n") {
		if line == "" {
			continue
		}
		if !strings.HasSuffix(line, "\n") {
			return nil, fmt.Errorf("%w: a signature line does not end in a newline", ErrBadNote)
		}
		body, ok := strings.CutPrefix(strings.TrimSuffix(line, "\n"), "— ")
		if !ok {
			return nil, fmt.Errorf("%w: a signature line does not start with an em dash", ErrBadNote)
		}
		name, b64, _ := strings.Cut(body, " ")
		raw, err := base64.StdEncoding.DecodeString(b64)
		if err != nil || len(raw) < 5 || !ValidName(name) {
			return nil, fmt.Errorf("%w: signature line", ErrBadNote)
		}
		id := binary.BigEndian.Uint32(raw)
		if p.isLogKey(name, id) {
			continue // the log's own signature, sent back
		}
		var w *verifier
		for _, c := range p.witnesses {
			if c.name == name && c.id == id {
				w = c
			}
		}
		if w == nil {
			return nil, fmt.Errorf("%w: %s", ErrUnknownWitness, name)
		}
		var t uint64
		c := *w
		c.at = &t
		if !c.Verify(text, raw[4:]) {
			return nil, fmt.Errorf("%w: %s", ErrBadCosignature, name)
		}
		out = append(out, CosignatureLine{Witness: name, Line: line, At: time.Unix(int64(t), 0).UTC()})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no cosignature", ErrBadNote)
	}
	return out, nil
}

// Errors of CheckCosignatures.
var (
	ErrUnknownWitness  = errors.New("cosignature by a witness the log does not know")
	ErrBadCosignature  = errors.New("cosignature does not verify")
	ErrOtherCheckpoint = errors.New("cosigned text is not the log's checkpoint")
)

// ParseWitnessVkey checks a witness's verifier key (type 0x04) and returns
// the witness's name.
func ParseWitnessVkey(vkey string) (string, error) {
	name, typ, _, err := parseVkey(vkey)
	if err != nil {
		return "", err
	}
	if typ != sigCosignature {
		return "", fmt.Errorf("witness key %s: signature type %#x, want 0x04 (tlog-cosignature Ed25519)", name, typ)
	}
	return name, nil
}
