package translog

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ProofHeader is the first line of a C2SP tlog-proof.
const ProofHeader = "c2sp.org/tlog-proof@v1"

// Proof is a C2SP tlog-proof: a leaf's index, its inclusion path and the
// signed checkpoint (with cosignatures) the path leads to. Extra is opaque
// and untrusted; receipts leave it empty.
type Proof struct {
	Extra      []byte
	Index      int64
	Hashes     []Hash
	Checkpoint []byte // the signed note, verbatim
}

// Text encodes the proof:
//
//	c2sp.org/tlog-proof@v1
//	[extra <base64>]
//	index <n>
//	<base64 hash>…
//	(empty line)
//	<signed checkpoint>
func (p Proof) Text() []byte {
	var b bytes.Buffer
	b.WriteString(ProofHeader + "\n")
	if len(p.Extra) > 0 {
		b.WriteString("extra " + base64.StdEncoding.EncodeToString(p.Extra) + "\n")
	}
	b.WriteString("index " + strconv.FormatInt(p.Index, 10) + "\n")
	for _, h := range p.Hashes {
		b.WriteString(base64.StdEncoding.EncodeToString(h[:]) + "\n")
	}
	b.WriteString("\n")
	b.Write(p.Checkpoint)
	return b.Bytes()
}

// ParseProof reads a tlog-proof strictly.
func ParseProof(b []byte) (Proof, error) {
	if len(b) > MaxNoteSize+4096 {
		return Proof{}, errors.New("tlog-proof: too large")
	}
	s := string(b)
	head, ckpt, ok := strings.Cut(s, "\n\n")
	if !ok || ckpt == "" {
		return Proof{}, errors.New("tlog-proof: no checkpoint after an empty line")
	}
	lines := strings.Split(head, "\n")
	if lines[0] != ProofHeader {
		return Proof{}, fmt.Errorf("tlog-proof: first line must be %s", ProofHeader)
	}
	lines = lines[1:]
	var p Proof
	if len(lines) > 0 && strings.HasPrefix(lines[0], "extra ") {
		e, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(lines[0], "extra "))
		if err != nil || len(e) == 0 {
			return Proof{}, errors.New("tlog-proof: bad extra line")
		}
		p.Extra = e
		lines = lines[1:]
	}
	if len(lines) == 0 {
		return Proof{}, errors.New("tlog-proof: no index line")
	}
	is, ok := strings.CutPrefix(lines[0], "index ")
	n, err := strconv.ParseInt(is, 10, 64)
	if !ok || err != nil || n < 0 || strconv.FormatInt(n, 10) != is {
		return Proof{}, errors.New("tlog-proof: bad index line")
	}
	p.Index = n
	lines = lines[1:]
	if len(lines) > 63 {
		return Proof{}, errors.New("tlog-proof: more than 63 hashes")
	}
	for _, l := range lines {
		raw, err := base64.StdEncoding.DecodeString(l)
		if err != nil || len(raw) != HashSize {
			return Proof{}, errors.New("tlog-proof: bad hash line")
		}
		var h Hash
		copy(h[:], raw)
		p.Hashes = append(p.Hashes, h)
	}
	p.Checkpoint = []byte(ckpt)
	return p, nil
}

// Errors of VerifyProof.
var (
	ErrNotWitnessed = errors.New("checkpoint lacks the witnesses' cosignatures")
	ErrNotIncluded  = errors.New("inclusion proof does not lead to the signed root")
)

// VerifyProof checks a proof bundle for a leaf offline: the checkpoint is
// the log's and signed by it, carries the quorum of witness cosignatures,
// and the inclusion path leads from the leaf to its root. It returns the
// verified checkpoint.
func (p *Policy) VerifyProof(pr Proof, leaf []byte) (Signed, error) {
	s, err := p.Open(pr.Checkpoint)
	if err != nil {
		return Signed{}, err
	}
	if p.Quorum > 0 && !p.Witnessed(s) {
		return s, fmt.Errorf("%w: %d of %d", ErrNotWitnessed, len(s.Witnessed), p.Quorum)
	}
	if err := CheckInclusion(pr.Hashes, s.Size, s.Root, pr.Index, LeafHash(leaf)); err != nil {
		return s, fmt.Errorf("%w (leaf %d, tree %d)", ErrNotIncluded, pr.Index, s.Size)
	}
	return s, nil
}

// Errors a witness reports.
var (
	ErrRollback = errors.New("the log's new checkpoint is smaller than one it signed before (rollback)")
	ErrFork     = errors.New("the log's new checkpoint is not consistent with one it signed before (fork)")
)

// CheckAdvance is the witness's rule: a new checkpoint of the same log may
// be co-signed only if it extends the last one accepted. Same size must
// mean same root; a larger one needs a consistency proof that verifies.
func CheckAdvance(old, next Checkpoint, proof []Hash) error {
	if old.Origin != next.Origin {
		return fmt.Errorf("%w: %q after %q", ErrOtherOrigin, next.Origin, old.Origin)
	}
	switch {
	case next.Size < old.Size:
		return fmt.Errorf("%w: size %d after %d", ErrRollback, next.Size, old.Size)
	case next.Size == old.Size:
		if next.Root != old.Root {
			return fmt.Errorf("%w: two roots for size %d", ErrFork, next.Size)
		}
		return nil
	}
	if err := CheckConsistency(proof, old.Size, old.Root, next.Size, next.Root); err != nil {
		return fmt.Errorf("%w: from %d to %d: %v", ErrFork, old.Size, next.Size, err)
	}
	return nil
}
