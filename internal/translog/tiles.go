package translog

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/tlog"
)

// TileHeight is the height of the C2SP tiles: 256 hashes a tile.
const TileHeight = 8

// TileWidth is the number of hashes in a full tile.
const TileWidth = 1 << TileHeight

// TileKey names a stored tile: its level and its index in the level. A
// store keeps one row a key, holding the widest data it has (a partial
// tile grows until it is full; a narrower tile is a prefix of it).
type TileKey struct {
	Level int
	N     int64
}

// Tile is a tile of a given width (TileWidth for a full tile).
type Tile struct {
	Level int
	N     int64
	Width int
}

// Key is the tile's storage key.
func (t Tile) Key() TileKey { return TileKey{t.Level, t.N} }

// Full reports whether the tile is complete.
func (t Tile) Full() bool { return t.Width == TileWidth }

func (t Tile) tlog() tlog.Tile { return tlog.Tile{H: TileHeight, L: t.Level, N: t.N, W: t.Width} }

// Path is the tile's C2SP tlog-tiles path below the log's prefix:
// "tile/<L>/<N>[.p/<W>]", N in three-digit groups ("x001/x234/067").
func (t Tile) Path() string {
	// tlog's paths carry the height ("tile/8/0/…"); C2SP's do not.
	p := t.tlog().Path()
	return "tile/" + strings.TrimPrefix(p, "tile/"+strconv.Itoa(TileHeight)+"/")
}

// EntriesPath is the path of the entry bundle matching a level-0 tile.
func (t Tile) EntriesPath() string {
	return "tile/entries/" + strings.TrimPrefix(Tile{Level: 0, N: t.N, Width: t.Width}.Path(), "tile/0/")
}

// ParseTilePath reads a C2SP tile path, "tile/<L>/<N>[.p/<W>]" or
// "tile/entries/<N>[.p/<W>]" (entries reports which). The path must be in
// its one canonical form.
func ParseTilePath(p string) (t Tile, entries bool, err error) {
	rest, ok := strings.CutPrefix(p, "tile/")
	if !ok || len(p) > 200 {
		return Tile{}, false, fmt.Errorf("tile path %q", p)
	}
	level := "0"
	if r, ok := strings.CutPrefix(rest, "entries/"); ok {
		rest, entries = r, true
	} else {
		l, r, ok := strings.Cut(rest, "/")
		if !ok {
			return Tile{}, false, fmt.Errorf("tile path %q", p)
		}
		level, rest = l, r
	}
	tt, err := tlog.ParseTilePath("tile/" + strconv.Itoa(TileHeight) + "/" + level + "/" + rest)
	if err != nil || tt.L < 0 || tt.L > 63 {
		return Tile{}, false, fmt.Errorf("tile path %q", p)
	}
	t = Tile{Level: tt.L, N: tt.N, Width: tt.W}
	// tlog accepts "data" as a level; C2SP does not.
	want := t.Path()
	if entries {
		want = t.EntriesPath()
	}
	if want != p {
		return Tile{}, false, fmt.Errorf("tile path %q", p)
	}
	return t, entries, nil
}

// EdgeTiles lists the partial tiles of a tree of size n, lowest level
// first: the tiles that hold the hashes needed to append to the tree and
// to compute its root. Every other tile of the tree is full.
func EdgeTiles(n int64) []Tile {
	var out []Tile
	for l := 0; n>>(uint(TileHeight*l)) > 0; l++ {
		c := n >> uint(TileHeight*l)
		if w := int(c % TileWidth); w > 0 {
			out = append(out, Tile{Level: l, N: c / TileWidth, Width: w})
		}
	}
	return out
}

// TileData is a tile with its hashes (Width × HashSize bytes).
type TileData struct {
	Tile
	Data []byte
}

// subtreeRoot is the Merkle hash of a power-of-two run of hashes.
func subtreeRoot(data []byte) Hash {
	if len(data) == HashSize {
		var h Hash
		copy(h[:], data)
		return h
	}
	half := len(data) / 2
	return tlog.NodeHash(subtreeRoot(data[:half]), subtreeRoot(data[half:]))
}

// ErrEdge is returned when the tiles given to Append do not hold the
// tree's right edge.
var ErrEdge = errors.New("translog: edge tiles missing or too short")

// Append computes what changes when leaf hashes are appended to a tree of
// size oldSize: every tile that is new or wider, with its full data, and
// the new tree's root. edge must hold the data of the old tree's partial
// tiles (EdgeTiles(oldSize)), each at least as wide as the tree needs.
func Append(oldSize int64, edge map[TileKey][]byte, leaves []Hash) ([]TileData, Hash, error) {
	if oldSize < 0 {
		return nil, Hash{}, fmt.Errorf("translog: size %d", oldSize)
	}
	for _, t := range EdgeTiles(oldSize) {
		if len(edge[t.Key()]) < t.Width*HashSize {
			return nil, Hash{}, fmt.Errorf("%w: %s", ErrEdge, t.Path())
		}
	}
	newSize := oldSize + int64(len(leaves))
	if len(leaves) == 0 {
		root, err := TreeRoot(oldSize, mapSource(edge))
		return nil, root, err
	}
	made := map[TileKey][]byte{}
	// row returns the i-th hash of level l's row: a leaf hash at level 0,
	// the root of full tile i of level l-1 above it.
	row := func(l int, i int64) (Hash, error) {
		if l == 0 && i >= oldSize {
			return leaves[i-oldSize], nil
		}
		if l > 0 {
			if d, ok := made[TileKey{l - 1, i}]; ok {
				if len(d) != TileWidth*HashSize {
					return Hash{}, fmt.Errorf("translog: tile %d/%d not full", l-1, i)
				}
				return subtreeRoot(d), nil
			}
		}
		k := TileKey{l, i / TileWidth}
		d := edge[k]
		off := int(i%TileWidth) * HashSize
		if len(d) < off+HashSize {
			return Hash{}, fmt.Errorf("%w: hash %d of level %d", ErrEdge, i, l)
		}
		var h Hash
		copy(h[:], d[off:off+HashSize])
		return h, nil
	}
	var out []TileData
	for _, nt := range tlog.NewTiles(TileHeight, oldSize, newSize) {
		t := Tile{Level: nt.L, N: nt.N, Width: nt.W}
		data := make([]byte, 0, t.Width*HashSize)
		for j := 0; j < t.Width; j++ {
			h, err := row(t.Level, t.N*TileWidth+int64(j))
			if err != nil {
				return nil, Hash{}, err
			}
			data = append(data, h[:]...)
		}
		made[t.Key()] = data
		out = append(out, TileData{Tile: t, Data: data})
	}
	// The root from the new edge.
	src := map[TileKey][]byte{}
	for k, v := range edge {
		src[k] = v
	}
	for k, v := range made {
		src[k] = v
	}
	root, err := TreeRoot(newSize, mapSource(src))
	if err != nil {
		return nil, Hash{}, err
	}
	return out, root, nil
}

// TileSource returns the stored data of tiles by key (any width at least
// what the tree needs; a missing key is left out of the map).
type TileSource func(keys []TileKey) (map[TileKey][]byte, error)

func mapSource(m map[TileKey][]byte) TileSource {
	return func(keys []TileKey) (map[TileKey][]byte, error) {
		out := make(map[TileKey][]byte, len(keys))
		for _, k := range keys {
			if d, ok := m[k]; ok {
				out[k] = d
			}
		}
		return out, nil
	}
}

// ErrMissingTile is returned when a tile a proof needs is not stored, or
// too narrow: the tree is shorter than asked.
var ErrMissingTile = errors.New("translog: tile missing")

// hashReader reads stored hashes (tlog's numbering) from tiles in one
// fetch. It does not authenticate them: the verifier of a proof does.
func hashReader(src TileSource) tlog.HashReader {
	return tlog.HashReaderFunc(func(indexes []int64) ([]Hash, error) {
		tiles := make([]tlog.Tile, len(indexes))
		need := map[TileKey]int{}
		var keys []TileKey
		for i, x := range indexes {
			t := tlog.TileForIndex(TileHeight, x)
			tiles[i] = t
			k := TileKey{t.L, t.N}
			if w, ok := need[k]; !ok {
				keys = append(keys, k)
				need[k] = t.W
			} else if t.W > w {
				need[k] = t.W
			}
		}
		sort.Slice(keys, func(i, j int) bool {
			if keys[i].Level != keys[j].Level {
				return keys[i].Level < keys[j].Level
			}
			return keys[i].N < keys[j].N
		})
		got, err := src(keys)
		if err != nil {
			return nil, err
		}
		out := make([]Hash, len(indexes))
		for i, x := range indexes {
			t := tiles[i]
			d := got[TileKey{t.L, t.N}]
			if len(d) < t.W*HashSize {
				return nil, fmt.Errorf("%w: %s", ErrMissingTile, Tile{t.L, t.N, t.W}.Path())
			}
			h, err := tlog.HashFromTile(t, d, x)
			if err != nil {
				return nil, err
			}
			out[i] = h
		}
		return out, nil
	})
}

// TreeRoot is the root of the tree of size n held by the tiles.
func TreeRoot(n int64, src TileSource) (Hash, error) {
	if n < 0 {
		return Hash{}, fmt.Errorf("translog: size %d", n)
	}
	return tlog.TreeHash(n, hashReader(src))
}

// ProveInclusion is the RFC 6962 audit path of leaf index in the tree of
// size size: the sibling hashes from the leaf up to the root's child.
func ProveInclusion(src TileSource, index, size int64) ([]Hash, error) {
	if index < 0 || index >= size {
		return nil, fmt.Errorf("translog: leaf %d is not in a tree of %d", index, size)
	}
	p, err := tlog.ProveRecord(size, index, hashReader(src))
	return []Hash(p), err
}

// ProveConsistency is the RFC 6962 consistency proof that the tree of size
// from is a prefix of the tree of size to.
func ProveConsistency(src TileSource, from, to int64) ([]Hash, error) {
	if from < 0 || from > to {
		return nil, fmt.Errorf("translog: no consistency proof from %d to %d", from, to)
	}
	if from == 0 || from == to {
		return []Hash{}, nil
	}
	p, err := tlog.ProveTree(to, from, hashReader(src))
	return []Hash(p), err
}

// ErrProof is returned when a proof does not verify.
var ErrProof = errors.New("translog: proof does not verify")

// CheckInclusion verifies that leafHash is leaf index of the tree of size
// size with root root.
func CheckInclusion(proof []Hash, size int64, root Hash, index int64, leafHash Hash) error {
	if index < 0 || index >= size || len(proof) > 63 {
		return ErrProof
	}
	if err := tlog.CheckRecord(tlog.RecordProof(proof), size, root, index, leafHash); err != nil {
		return fmt.Errorf("%w: %v", ErrProof, err)
	}
	return nil
}

// CheckConsistency verifies that the tree of size from with root fromRoot
// is a prefix of the tree of size to with root toRoot.
func CheckConsistency(proof []Hash, from int64, fromRoot Hash, to int64, toRoot Hash) error {
	if from < 0 || from > to || len(proof) > 63 {
		return ErrProof
	}
	if from == 0 {
		if len(proof) != 0 {
			return ErrProof
		}
		return nil
	}
	if from == to {
		if len(proof) != 0 || fromRoot != toRoot {
			return ErrProof
		}
		return nil
	}
	if err := tlog.CheckTree(tlog.TreeProof(proof), to, toRoot, from, fromRoot); err != nil {
		return fmt.Errorf("%w: %v", ErrProof, err)
	}
	return nil
}

// EmptyRoot is the root of the empty tree, SHA-256 of nothing.
func EmptyRoot() Hash {
	h, _ := tlog.TreeHash(0, nil)
	return h
}

// NodeHash is RFC 6962's interior node hash, SHA-256(0x01 || left || right).
func NodeHash(left, right Hash) Hash { return tlog.NodeHash(left, right) }

// Builder computes the roots of a growing tree from its leaf hashes alone,
// keeping only the right edge (at most 64 hashes): a verifier streams every
// leaf through it and compares the roots and full tiles it gives with what
// is stored and signed.
type Builder struct {
	n     int64
	stack []Hash // roots of the perfect subtrees, largest first
}

// Size is the number of leaves added.
func (b *Builder) Size() int64 { return b.n }

// Add appends a leaf hash.
func (b *Builder) Add(h Hash) {
	b.stack = append(b.stack, h)
	for m := b.n; m&1 == 1; m >>= 1 {
		top := len(b.stack)
		b.stack = append(b.stack[:top-2], tlog.NodeHash(b.stack[top-2], b.stack[top-1]))
	}
	b.n++
}

// Root is the root of the tree so far.
func (b *Builder) Root() Hash {
	if b.n == 0 {
		return EmptyRoot()
	}
	h := b.stack[len(b.stack)-1]
	for i := len(b.stack) - 2; i >= 0; i-- {
		h = tlog.NodeHash(b.stack[i], h)
	}
	return h
}

// ParseHash reads a base64 hash.
func ParseHash(s string) (Hash, error) { return tlog.ParseHash(s) }
