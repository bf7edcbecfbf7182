package translog

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// store is an in-memory tile store like the database's: one row a key,
// holding the widest data.
type store struct {
	size  int64
	tiles map[TileKey][]byte
}

func newStore() *store { return &store{tiles: map[TileKey][]byte{}} }

func (s *store) source() TileSource {
	return func(keys []TileKey) (map[TileKey][]byte, error) {
		out := map[TileKey][]byte{}
		for _, k := range keys {
			if d, ok := s.tiles[k]; ok {
				out[k] = d
			}
		}
		return out, nil
	}
}

func (s *store) append(t *testing.T, leaves []Hash) Hash {
	t.Helper()
	edge := map[TileKey][]byte{}
	for _, e := range EdgeTiles(s.size) {
		edge[e.Key()] = s.tiles[e.Key()]
	}
	tiles, root, err := Append(s.size, edge, leaves)
	if err != nil {
		t.Fatal(err)
	}
	for _, td := range tiles {
		if old := s.tiles[td.Key()]; !bytes.HasPrefix(td.Data, old) {
			t.Fatalf("tile %s rewritten, not extended", td.Path())
		}
		s.tiles[td.Key()] = td.Data
	}
	s.size += int64(len(leaves))
	return root
}

func leafHashes(from, n int) []Hash {
	out := make([]Hash, n)
	for i := range out {
		out[i] = LeafHash([]byte(fmt.Sprintf("leaf %d\n", from+i)))
	}
	return out
}

// rfcRoot is RFC 6962's MTH, written from the RFC.
func rfcRoot(leaves []Hash) Hash {
	switch len(leaves) {
	case 0:
		return sha256.Sum256(nil)
	case 1:
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	return NodeHash(rfcRoot(leaves[:k]), rfcRoot(leaves[k:]))
}

// rfcVerifyInclusion is RFC 9162 section 2.1.3.2, written from the RFC, so
// the proofs are checked by something other than the library that makes
// them.
func rfcVerifyInclusion(index, size int64, leaf Hash, path []Hash, root Hash) bool {
	if index >= size {
		return false
	}
	fn, sn, r := index, size-1, leaf
	for _, p := range path {
		if sn == 0 {
			return false
		}
		if fn&1 == 1 || fn == sn {
			r = NodeHash(p, r)
			if fn&1 == 0 {
				for fn&1 == 0 && fn != 0 {
					fn >>= 1
					sn >>= 1
				}
			}
		} else {
			r = NodeHash(r, p)
		}
		fn >>= 1
		sn >>= 1
	}
	return sn == 0 && r == root
}

// rfcVerifyConsistency is RFC 9162 section 2.1.4.2 for 0 < first < second.
func rfcVerifyConsistency(first, second int64, firstRoot, secondRoot Hash, path []Hash) bool {
	if len(path) == 0 {
		return false
	}
	if first&(first-1) == 0 {
		path = append([]Hash{firstRoot}, path...)
	}
	fn, sn := first-1, second-1
	for fn&1 == 1 {
		fn >>= 1
		sn >>= 1
	}
	fr, sr := path[0], path[0]
	for _, c := range path[1:] {
		if sn == 0 {
			return false
		}
		if fn&1 == 1 || fn == sn {
			fr = NodeHash(c, fr)
			sr = NodeHash(c, sr)
			if fn&1 == 0 {
				for fn&1 == 0 && fn != 0 {
					fn >>= 1
					sn >>= 1
				}
			}
		} else {
			sr = NodeHash(sr, c)
		}
		fn >>= 1
		sn >>= 1
	}
	return fr == firstRoot && sr == secondRoot && sn == 0
}

// TestRandomAppendsAndProofs is the property test: random appends in
// random batches; after each, the tiles' root is RFC 6962's MTH over the
// leaves, and inclusion and consistency proofs at random sizes verify, both
// with the library and with RFC 9162's algorithms written from the RFC.
func TestRandomAppendsAndProofs(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	s := newStore()
	var all []Hash
	roots := []Hash{EmptyRoot()}
	rootAt := func(n int64) Hash { return roots[n] }
	target := 70_000 + rng.IntN(3000)
	for len(all) < target {
		var n int
		switch rng.IntN(4) {
		case 0:
			n = 1
		case 1:
			n = rng.IntN(300)
		case 2:
			n = rng.IntN(3000)
		default:
			n = 256 - int(s.size%256) // exactly to a tile boundary
		}
		leaves := leafHashes(len(all), n)
		root := s.append(t, leaves)
		// Roots of every size in between, from the RFC's definition (cheap
		// with a Builder).
		var b Builder
		for _, h := range all {
			b.Add(h)
		}
		for _, h := range leaves {
			b.Add(h)
			roots = append(roots, b.Root())
		}
		all = append(all, leaves...)
		if root != rootAt(int64(len(all))) {
			t.Fatalf("root after %d leaves differs from the leaves' root", len(all))
		}
		got, err := TreeRoot(s.size, s.source())
		if err != nil || got != root {
			t.Fatalf("TreeRoot(%d) = %s, %v; want %s", s.size, got, err, root)
		}
		// A few proofs at random sizes.
		for k := 0; k < 3; k++ {
			size := 1 + rng.Int64N(s.size)
			idx := rng.Int64N(size)
			p, err := ProveInclusion(s.source(), idx, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckInclusion(p, size, rootAt(size), idx, all[idx]); err != nil {
				t.Fatalf("inclusion %d in %d: %v", idx, size, err)
			}
			if !rfcVerifyInclusion(idx, size, all[idx], p, rootAt(size)) {
				t.Fatalf("inclusion %d in %d fails RFC 9162's verification", idx, size)
			}
			if len(p) > 0 {
				bad := append([]Hash(nil), p...)
				bad[rng.IntN(len(bad))][rng.IntN(HashSize)] ^= 1 << rng.IntN(8)
				if CheckInclusion(bad, size, rootAt(size), idx, all[idx]) == nil {
					t.Fatalf("a changed inclusion proof verifies")
				}
			}
			from := 1 + rng.Int64N(size)
			c, err := ProveConsistency(s.source(), from, size)
			if err != nil {
				t.Fatal(err)
			}
			if err := CheckConsistency(c, from, rootAt(from), size, rootAt(size)); err != nil {
				t.Fatalf("consistency %d → %d: %v", from, size, err)
			}
			if from < size && !rfcVerifyConsistency(from, size, rootAt(from), rootAt(size), c) {
				t.Fatalf("consistency %d → %d fails RFC 9162's verification", from, size)
			}
			if from < size && CheckConsistency(c, from, rootAt(from^1+0), size, rootAt(size)) == nil && rootAt(from^1) != rootAt(from) {
				t.Fatalf("consistency from another root verifies")
			}
		}
	}
	if rfcRoot(all) != rootAt(int64(len(all))) {
		t.Fatal("Builder's root differs from RFC 6962's MTH")
	}
	// Every stored tile is what the leaves give, and any single-byte change
	// of any stored hash is caught by the auditor.
	a := NewAuditor()
	want := map[TileKey]TileData{}
	for i := 0; i < len(all); i += 1000 {
		tiles, err := a.Add(all[i:min(i+1000, len(all))])
		if err != nil {
			t.Fatal(err)
		}
		for _, td := range tiles {
			want[td.Key()] = td
		}
	}
	if len(want) != len(s.tiles) {
		t.Fatalf("auditor made %d tiles, store has %d", len(want), len(s.tiles))
	}
	for k, td := range want {
		if err := CompareTile(td, s.tiles[k], s.size, a.Size()); err != nil {
			t.Fatal(err)
		}
	}
	for k := 0; k < 200; k++ {
		keys := make([]TileKey, 0, len(s.tiles))
		for key := range s.tiles {
			keys = append(keys, key)
		}
		key := keys[rng.IntN(len(keys))]
		d := append([]byte(nil), s.tiles[key]...)
		d[rng.IntN(len(d))] ^= byte(1 + rng.IntN(255))
		if CompareTile(want[key], d, s.size, a.Size()) == nil {
			t.Fatalf("a changed byte in tile %v is not caught", key)
		}
	}
	// A changed leaf changes its hash, so its level-0 tile and the root.
	changed := append([]Hash(nil), all...)
	i := rng.IntN(len(changed))
	changed[i][rng.IntN(HashSize)] ^= 1
	b := NewAuditor()
	if _, err := b.Add(changed); err != nil {
		t.Fatal(err)
	}
	if b.Root() == a.Root() {
		t.Fatal("a changed leaf keeps the root")
	}
}

func TestTilePaths(t *testing.T) {
	for _, tc := range []struct {
		tile    Tile
		path    string
		entries string
	}{
		{Tile{0, 0, 256}, "tile/0/000", "tile/entries/000"},
		{Tile{0, 1234067, 256}, "tile/0/x001/x234/067", "tile/entries/x001/x234/067"},
		{Tile{1, 5, 17}, "tile/1/005.p/17", ""},
		{Tile{0, 5, 17}, "tile/0/005.p/17", "tile/entries/005.p/17"},
		{Tile{3, 0, 1}, "tile/3/000.p/1", ""},
	} {
		if got := tc.tile.Path(); got != tc.path {
			t.Errorf("%v.Path() = %q, want %q", tc.tile, got, tc.path)
		}
		got, entries, err := ParseTilePath(tc.path)
		if err != nil || got != tc.tile || entries {
			t.Errorf("ParseTilePath(%q) = %v, %v, %v", tc.path, got, entries, err)
		}
		if tc.entries != "" {
			if p := tc.tile.EntriesPath(); p != tc.entries {
				t.Errorf("EntriesPath = %q, want %q", p, tc.entries)
			}
			got, entries, err := ParseTilePath(tc.entries)
			if err != nil || got != tc.tile || !entries {
				t.Errorf("ParseTilePath(%q) = %v, %v, %v", tc.entries, got, entries, err)
			}
		}
	}
	for _, bad := range []string{"", "tile/", "tile/0", "tile/0/1", "tile/0/0001", "tile/data/000", "tile/0/000.p/256", "tile/0/000.p/0",
		"tile/64/000", "tile/-1/000", "tile/0/x000/001", "tile/entries/", "tile/8/0/000", "tile/0/000/", "tile/0/1000", "tile/0/x1/000"} {
		if _, _, err := ParseTilePath(bad); err == nil {
			t.Errorf("ParseTilePath(%q) accepted", bad)
		}
	}
	// The C2SP example: a tree of 70,000 leaves.
	var got []string
	for _, e := range EdgeTiles(70_000) {
		got = append(got, e.Path())
	}
	if strings.Join(got, " ") != "tile/0/273.p/112 tile/1/001.p/17 tile/2/000.p/1" {
		t.Errorf("EdgeTiles(70000) = %v", got)
	}
}

func TestLeaf(t *testing.T) {
	at := time.Date(2026, 11, 24, 1, 41, 10, 123456789, time.UTC)
	h := sha256.Sum256([]byte("event"))
	l := EventLeaf("8a6b1c2d-0000-4000-8000-000000000001", "pickup.collected", at, h[:])
	want := "hoso-leaf-v1\nkind=event\nid=8a6b1c2d-0000-4000-8000-000000000001\ntype=pickup.collected\nat=2026-11-24T01:41:10.123456Z\nhash=" +
		fmt.Sprintf("%x", h) + "\n"
	if string(l.Bytes()) != want {
		t.Fatalf("leaf:\n%s\nwant:\n%s", l.Bytes(), want)
	}
	back, err := ParseLeaf(l.Bytes())
	if err != nil || !bytes.Equal(back.Bytes(), l.Bytes()) {
		t.Fatalf("ParseLeaf: %v", err)
	}
	for _, bad := range []string{
		strings.Replace(want, "kind=event", "kind=Event", 1),
		strings.Replace(want, "\nat=", "\nAt=", 1),
		strings.TrimSuffix(want, "\n"),
		want + "x=1\n",
		strings.Replace(want, ".123456Z", ".123Z", 1),
		strings.Replace(want, "hash=", "hash=00", 1),
		strings.Replace(want, "type=pickup.collected", "type=pickup collected", 1),
	} {
		if _, err := ParseLeaf([]byte(bad)); err == nil {
			t.Errorf("ParseLeaf accepted %q", bad)
		}
	}
}

func testKeys(t *testing.T) (*LogKey, []*WitnessKey, *Policy) {
	t.Helper()
	lk, err := NewLogKey(bytes.Repeat([]byte{1}, 32), "hoso.example.vn/api/v1/log")
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Unix(1_800_000_000, 0) }
	var ws []*WitnessKey
	var vkeys []string
	for i, name := range []string{"congdvc.example.vn/witness", "thanhtra.example.vn/w1"} {
		w, err := NewWitnessKey(bytes.Repeat([]byte{byte(10 + i)}, 32), name, now)
		if err != nil {
			t.Fatal(err)
		}
		ws = append(ws, w)
		vkeys = append(vkeys, w.Vkey())
	}
	p, err := NewPolicy(lk.Vkey(), vkeys, 0)
	if err != nil {
		t.Fatal(err)
	}
	return lk, ws, p
}

func TestCheckpointSignAndCosign(t *testing.T) {
	lk, ws, p := testKeys(t)
	if p.Quorum != 2 || p.Origin() != lk.Origin() || p.LogVkey() != lk.Vkey() {
		t.Fatalf("policy %+v", p)
	}
	c := Checkpoint{Origin: lk.Origin(), Size: 3, Root: rfcRoot(leafHashes(0, 3)), Time: time.Unix(1_800_000_000, 0).UTC()}
	signed, err := lk.SignCheckpoint(c)
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.Open(signed)
	if err != nil || s.Checkpoint != c || len(s.Witnessed) != 0 || p.Witnessed(s) {
		t.Fatalf("Open = %+v, %v", s, err)
	}
	full := append([]byte(nil), signed...)
	for _, w := range ws {
		line, err := w.Cosign(c.Text())
		if err != nil {
			t.Fatal(err)
		}
		got, err := p.CheckCosignatures(c.Text(), []byte(line))
		if err != nil || len(got) != 1 || got[0].Witness != w.Name() || got[0].At.Unix() != 1_800_000_000 {
			t.Fatalf("CheckCosignatures = %+v, %v", got, err)
		}
		full = append(full, line...)
	}
	s, err = p.Open(full)
	if err != nil || !p.Witnessed(s) || len(s.Witnessed) != 2 {
		t.Fatalf("Open cosigned = %+v, %v", s, err)
	}
	// A cosignature over another checkpoint does not verify.
	other := c
	other.Size = 4
	line, _ := ws[0].Cosign(other.Text())
	if _, err := p.CheckCosignatures(c.Text(), []byte(line)); !errors.Is(err, ErrBadCosignature) {
		t.Errorf("cosignature of another checkpoint: %v", err)
	}
	if _, err := p.Open(append(append([]byte(nil), signed...), line...)); !errors.Is(err, ErrBadNote) {
		t.Errorf("Open with a witness line over another text: %v", err)
	}
	// An unknown witness is refused by the log, ignored by readers.
	stranger, _ := NewWitnessKey(bytes.Repeat([]byte{99}, 32), "stranger.example/w", nil)
	sl, _ := stranger.Cosign(c.Text())
	if _, err := p.CheckCosignatures(c.Text(), []byte(sl)); !errors.Is(err, ErrUnknownWitness) {
		t.Errorf("unknown witness: %v", err)
	}
	if s, err := p.Open(append(append([]byte(nil), signed...), sl...)); err != nil || len(s.Witnessed) != 0 {
		t.Errorf("Open with an unknown line: %+v %v", s, err)
	}
	// A checkpoint signed by another key of the same name is not the log's.
	fake, _ := NewLogKey(bytes.Repeat([]byte{2}, 32), lk.Origin())
	fs, _ := fake.SignCheckpoint(c)
	if _, err := p.Open(fs); !errors.Is(err, ErrNotSigned) {
		t.Errorf("other key: %v", err)
	}
	// Changing any byte of the signed note breaks it.
	for i := 0; i < len(full); i++ {
		b := append([]byte(nil), full...)
		b[i] ^= 0x01
		if s, err := p.Open(b); err == nil && p.Witnessed(s) && s.Checkpoint == c && bytes.Equal(s.Note, full) {
			t.Fatalf("byte %d changed, still verifies", i)
		} else if err == nil && s.Checkpoint != c && p.Witnessed(s) {
			t.Fatalf("byte %d changed gives another witnessed checkpoint %+v", i, s.Checkpoint)
		}
	}
}

func TestProofBundle(t *testing.T) {
	lk, ws, p := testKeys(t)
	s := newStore()
	leaves := make([][]byte, 1000)
	hashes := make([]Hash, len(leaves))
	for i := range leaves {
		h := sha256.Sum256([]byte{byte(i), byte(i >> 8)})
		leaves[i] = EventLeaf(fmt.Sprintf("00000000-0000-4000-8000-%012d", i), "pickup.collected", time.Unix(int64(i), 0), h[:]).Bytes()
		hashes[i] = LeafHash(leaves[i])
	}
	root := s.append(t, hashes)
	c := Checkpoint{Origin: lk.Origin(), Size: s.size, Root: root, Time: time.Unix(1_800_000_000, 0)}
	note, _ := lk.SignCheckpoint(c)
	for _, w := range ws {
		l, _ := w.Cosign(c.Text())
		note = append(note, l...)
	}
	path, err := ProveInclusion(s.source(), 417, s.size)
	if err != nil {
		t.Fatal(err)
	}
	pr := Proof{Index: 417, Hashes: path, Checkpoint: note}
	back, err := ParseProof(pr.Text())
	if err != nil || !bytes.Equal(back.Text(), pr.Text()) {
		t.Fatalf("ParseProof: %v\n%s", err, pr.Text())
	}
	if _, err := p.VerifyProof(back, leaves[417]); err != nil {
		t.Fatal(err)
	}
	if _, err := p.VerifyProof(back, leaves[418]); !errors.Is(err, ErrNotIncluded) {
		t.Errorf("another leaf: %v", err)
	}
	// Without the cosignatures the quorum is not met.
	bare, _ := lk.SignCheckpoint(c)
	if _, err := p.VerifyProof(Proof{Index: 417, Hashes: path, Checkpoint: bare}, leaves[417]); !errors.Is(err, ErrNotWitnessed) {
		t.Errorf("no cosignatures: %v", err)
	}
	// Every single-byte change of the proof text is caught.
	txt := pr.Text()
	for i := range txt {
		b := append([]byte(nil), txt...)
		b[i] ^= 0x04
		q, err := ParseProof(b)
		if err != nil {
			continue
		}
		if _, err := p.VerifyProof(q, leaves[417]); err == nil && (q.Index != 417 || !bytes.Equal(q.Text(), txt)) {
			t.Fatalf("byte %d changed (%q), proof still verifies", i, txt[i])
		}
	}
}

func TestCheckAdvance(t *testing.T) {
	s := newStore()
	r5 := s.append(t, leafHashes(0, 5))
	r9 := s.append(t, leafHashes(5, 4))
	c5 := Checkpoint{Origin: "o", Size: 5, Root: r5}
	c9 := Checkpoint{Origin: "o", Size: 9, Root: r9}
	proof, err := ProveConsistency(s.source(), 5, 9)
	if err != nil {
		t.Fatal(err)
	}
	if err := CheckAdvance(c5, c9, proof); err != nil {
		t.Fatal(err)
	}
	if err := CheckAdvance(c9, c5, nil); !errors.Is(err, ErrRollback) {
		t.Errorf("rollback: %v", err)
	}
	fork := c9
	fork.Root[0] ^= 1
	if err := CheckAdvance(c5, fork, proof); !errors.Is(err, ErrFork) {
		t.Errorf("fork: %v", err)
	}
	if err := CheckAdvance(c9, fork, nil); !errors.Is(err, ErrFork) {
		t.Errorf("same size, other root: %v", err)
	}
	if err := CheckAdvance(c9, c9, nil); err != nil {
		t.Errorf("same checkpoint: %v", err)
	}
}

// TestKeyRotation: during a rotation both keys sign, so a checker holding
// either accepts the new checkpoints; afterwards checkpoints signed by the
// retired key alone still verify for a checker that lists it.
func TestKeyRotation(t *testing.T) {
	origin := "hoso.example.vn/api/v1/log"
	a, _ := NewLogKey(bytes.Repeat([]byte{1}, 32), origin)
	b, _ := NewLogKey(bytes.Repeat([]byte{2}, 32), origin)
	both, err := b.WithPrevious(bytes.Repeat([]byte{1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.WithPrevious(bytes.Repeat([]byte{1}, 32)); err == nil {
		t.Error("a key as its own previous key")
	}
	if got := both.Vkeys(); len(got) != 2 || got[0] != b.Vkey() || got[1] != a.Vkey() {
		t.Errorf("Vkeys = %v", got)
	}
	c := func(n int64) Checkpoint {
		return Checkpoint{Origin: origin, Size: n, Root: rfcRoot(leafHashes(0, int(n))), Time: time.Unix(1_800_000_000, 0)}
	}
	before, _ := a.SignCheckpoint(c(1))
	during, _ := both.SignCheckpoint(c(2))
	after, _ := b.SignCheckpoint(c(3))
	onlyA, _ := NewPolicy(a.Vkey(), nil, 0)
	onlyB, _ := NewPolicy(b.Vkey(), nil, 0)
	bAndRetiredA, err := NewPolicy(b.Vkey()+","+a.Vkey(), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		pol  *Policy
		note []byte
		ok   bool
	}{
		{"old key, old checkpoint", onlyA, before, true},
		{"old key, during the rotation", onlyA, during, true},
		{"old key, after", onlyA, after, false},
		{"new key, old checkpoint", onlyB, before, false},
		{"new key, during", onlyB, during, true},
		{"new key and retired, old checkpoint", bAndRetiredA, before, true},
		{"new key and retired, after", bAndRetiredA, after, true},
	} {
		if _, err := tc.pol.Open(tc.note); (err == nil) != tc.ok {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	other, _ := NewLogKey(bytes.Repeat([]byte{3}, 32), "other.example/log")
	if _, err := NewPolicy(b.Vkey()+","+other.Vkey(), nil, 0); err == nil {
		t.Error("keys of two logs in one policy")
	}
}
