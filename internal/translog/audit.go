package translog

import (
	"bytes"
	"fmt"
)

// Auditor rebuilds every tile of a log from its leaf hashes, in order, so
// a verifier can compare what is stored with what the leaves give: a
// changed leaf, a changed hash in any tile or a missing tile shows as a
// mismatch. It keeps only the right edge in memory.
type Auditor struct {
	size int64
	edge map[TileKey][]byte
	b    Builder
}

// NewAuditor starts at the empty tree.
func NewAuditor() *Auditor { return &Auditor{edge: map[TileKey][]byte{}} }

// Size is the number of leaves added.
func (a *Auditor) Size() int64 { return a.size }

// Root is the root of the tree so far.
func (a *Auditor) Root() Hash { return a.b.Root() }

// Add appends leaf hashes and returns the tiles they complete or widen,
// with the data they must hold.
func (a *Auditor) Add(leaves []Hash) ([]TileData, error) {
	tiles, root, err := Append(a.size, a.edge, leaves)
	if err != nil {
		return nil, err
	}
	for _, h := range leaves {
		a.b.Add(h)
	}
	if root != a.b.Root() {
		return nil, fmt.Errorf("translog: tile root %s differs from the leaves' root %s", root, a.b.Root())
	}
	a.size += int64(len(leaves))
	for _, t := range tiles {
		if t.Full() {
			delete(a.edge, t.Key())
		} else {
			a.edge[t.Key()] = t.Data
		}
	}
	return tiles, nil
}

// CompareTile reports how a stored tile differs from the data the leaves
// give: a full tile must be equal; the tree's last partial tile may be
// stored wider only if the log grew past the audited size, never different
// in the part the tree covers.
func CompareTile(want TileData, stored []byte, logSize, auditedSize int64) error {
	n := want.Width * HashSize
	switch {
	case len(stored) < n:
		return fmt.Errorf("tile %s: %d hashes stored, the leaves give %d", want.Path(), len(stored)/HashSize, want.Width)
	case !bytes.Equal(stored[:n], want.Data):
		for i := 0; i < want.Width; i++ {
			if !bytes.Equal(stored[i*HashSize:(i+1)*HashSize], want.Data[i*HashSize:(i+1)*HashSize]) {
				return fmt.Errorf("tile %s: hash %d differs from what the leaves give", want.Path(), i)
			}
		}
	case len(stored) > n && logSize <= auditedSize:
		return fmt.Errorf("tile %s: %d hashes stored beyond the log's %d leaves", want.Path(), (len(stored)-n)/HashSize, logSize)
	case len(stored)%HashSize != 0:
		return fmt.Errorf("tile %s: %d bytes is not a number of hashes", want.Path(), len(stored))
	}
	return nil
}
