package translog

import (
	"bytes"
	"crypto/sha256"
	"testing"
	"time"
)

// The parsers of what outsiders send or keep: proofs and checkpoints (a
// citizen's file, a witness's state), signed notes and cosignature lines
// (the witness's submission), leaves and tile paths (mirrors' requests).

func seedNote(t testing.TB) ([]byte, []byte, *Policy) {
	lk, _ := NewLogKey(bytes.Repeat([]byte{1}, 32), "hoso.example.vn/api/v1/log")
	w, _ := NewWitnessKey(bytes.Repeat([]byte{10}, 32), "congdvc.example.vn/witness", func() time.Time { return time.Unix(1_800_000_000, 0) })
	p, err := NewPolicy(lk.Vkey(), []string{w.Vkey()}, 1)
	if err != nil {
		t.Fatal(err)
	}
	c := Checkpoint{Origin: lk.Origin(), Size: 2, Root: NodeHash(LeafHash([]byte("a")), LeafHash([]byte("b"))), Time: time.Unix(1_800_000_000, 0)}
	n, _ := lk.SignCheckpoint(c)
	l, _ := w.Cosign(c.Text())
	return append(n, l...), c.Text(), p
}

func FuzzParseProof(f *testing.F) {
	n, _, p := seedNote(f)
	f.Add(Proof{Index: 1, Hashes: []Hash{LeafHash([]byte("a"))}, Checkpoint: n}.Text())
	f.Add(Proof{Index: 0, Extra: []byte("x"), Checkpoint: n}.Text())
	f.Add([]byte("c2sp.org/tlog-proof@v1\nindex 0\n\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pr, err := ParseProof(b)
		if err != nil {
			return
		}
		if _, err := ParseProof(pr.Text()); err != nil {
			t.Fatalf("re-encoded proof does not parse: %v", err)
		}
		_, _ = p.VerifyProof(pr, []byte("b"))
	})
}

func FuzzOpenCheckpoint(f *testing.F) {
	n, text, p := seedNote(f)
	f.Add(n)
	f.Add(text)
	f.Add([]byte("x\n\n— a AAAAAAA=\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := p.Open(b)
		if err == nil {
			if s.Origin != p.Origin() {
				t.Fatalf("opened a checkpoint of origin %q", s.Origin)
			}
			if !bytes.HasPrefix(b, s.Text()) {
				t.Fatalf("opened checkpoint text is not the note's")
			}
		}
		if c, err := ParseCheckpoint(b); err == nil && !bytes.Equal(c.Text(), b) {
			t.Fatalf("checkpoint text not canonical: %q vs %q", c.Text(), b)
		}
	})
}

func FuzzCheckCosignatures(f *testing.F) {
	n, text, p := seedNote(f)
	_, sigs, _ := cutLast(n)
	f.Add(sigs)
	f.Add(n)
	f.Add([]byte("— congdvc.example.vn/witness AAAA\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		lines, err := p.CheckCosignatures(text, b)
		if err == nil && len(lines) == 0 {
			t.Fatal("no error and no lines")
		}
	})
}

func FuzzParseLeaf(f *testing.F) {
	h := sha256.Sum256(nil)
	f.Add(EventLeaf("8a6b1c2d-0000-4000-8000-000000000001", "pickup.collected", time.Unix(1, 0), h[:]).Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := ParseLeaf(b)
		if err == nil && !bytes.Equal(l.Bytes(), b) {
			t.Fatalf("leaf not canonical")
		}
	})
}

func FuzzParseTilePath(f *testing.F) {
	for _, s := range []string{"tile/0/000", "tile/1/x001/x234/067.p/3", "tile/entries/005.p/17"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tl, entries, err := ParseTilePath(s)
		if err != nil {
			return
		}
		back := tl.Path()
		if entries {
			back = tl.EntriesPath()
		}
		if back != s {
			t.Fatalf("path %q parsed to %v, prints %q", s, tl, back)
		}
	})
}
