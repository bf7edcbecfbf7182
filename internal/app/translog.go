package app

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"hoso/internal/errs"
	"hoso/internal/translog"
)

// LogAppend is what one sequencer run did.
type LogAppend struct {
	Busy       bool // another instance holds the sequencer lock
	Added      int
	From, Size int64
	Root       translog.Hash
}

// LogLeaf is a stored leaf.
type LogLeaf struct {
	Index int64
	Kind  string
	Ref   string
	Body  []byte
}

// StoredCheckpoint is a checkpoint the log signed, with the witnesses'
// cosignature lines stored for it.
type StoredCheckpoint struct {
	Size         int64
	Root         translog.Hash
	Note         []byte // signed by the log
	SignedAt     time.Time
	Cosignatures []string // "— <witness> <base64>\n" lines
}

// Published is the checkpoint as served: the log's note followed by the
// witnesses' signature lines.
func (c StoredCheckpoint) Published() []byte {
	out := append([]byte(nil), c.Note...)
	for _, l := range c.Cosignatures {
		out = append(out, l...)
	}
	return out
}

// LogStore is what the transparency log needs from persistence.
type LogStore interface {
	SequenceLog(ctx context.Context, limit int, now time.Time) (LogAppend, error)
	LogHead(ctx context.Context) (int64, translog.Hash, error)
	LogQueued(ctx context.Context) (int, error)
	ReadLogTiles(ctx context.Context, keys []translog.TileKey) (map[translog.TileKey][]byte, error)
	LogLeaf(ctx context.Context, index int64) (LogLeaf, error)
	LogLeafByRef(ctx context.Context, kind, ref string) (LogLeaf, error)
	LogLeaves(ctx context.Context, from int64, n int) ([]LogLeaf, error)
	InsertCheckpoint(ctx context.Context, c StoredCheckpoint) (bool, error)
	LatestCheckpoint(ctx context.Context) (StoredCheckpoint, error)
	CheckpointBySize(ctx context.Context, size int64) (StoredCheckpoint, error)
	LatestCosigned(ctx context.Context, quorum int) (StoredCheckpoint, error)
	Checkpoints(ctx context.Context) ([]StoredCheckpoint, error)
	AddCosignatures(ctx context.Context, size int64, lines []translog.CosignatureLine, at time.Time) (int, error)
}

// Log is the transparency log service: it sequences queued leaves, signs
// checkpoints, serves tiles, leaves and proofs, and takes witnesses'
// cosignatures.
type Log struct {
	Store  LogStore
	Key    *translog.LogKey
	Policy *translog.Policy // the log's own key and the witnesses it knows
	Now    func() time.Time
	Logger *slog.Logger
	// Batch is the most leaves one sequencer transaction moves (default
	// 5000).
	Batch int

	latest atomic.Pointer[[]byte] // the latest published checkpoint seen
}

// Latest is the latest checkpoint this instance has seen, as published
// (with cosignatures); nil before the first. It reads memory only, so the
// ledger's transaction can put it in a portal callback.
func (l *Log) Latest() []byte {
	if p := l.latest.Load(); p != nil {
		return *p
	}
	return nil
}

// refresh reads the latest published checkpoint into memory.
func (l *Log) refresh(ctx context.Context) {
	c, err := l.Store.LatestCheckpoint(ctx)
	if err != nil {
		return
	}
	b := c.Published()
	l.latest.Store(&b)
}

func (l *Log) batch() int {
	if l.Batch > 0 {
		return l.Batch
	}
	return 5000
}

func (l *Log) logger() *slog.Logger {
	if l.Logger != nil {
		return l.Logger
	}
	return slog.New(slog.DiscardHandler)
}

// Sequence moves every committed queued leaf into the log, a batch at a
// time. It returns how many it moved (0 when another instance sequences).
func (l *Log) Sequence(ctx context.Context) (int, error) {
	total := 0
	for {
		r, err := l.Store.SequenceLog(ctx, l.batch(), l.Now().UTC())
		if err != nil {
			return total, err
		}
		total += r.Added
		if r.Busy || r.Added < l.batch() {
			return total, nil
		}
	}
}

// Checkpoint signs a checkpoint of the sequenced tree when it has grown
// past the last one signed. It returns the checkpoint stored (made is
// false when there was nothing new).
func (l *Log) Checkpoint(ctx context.Context) (StoredCheckpoint, bool, error) {
	size, root, err := l.Store.LogHead(ctx)
	if err != nil {
		return StoredCheckpoint{}, false, err
	}
	last, err := l.Store.LatestCheckpoint(ctx)
	switch {
	case err == nil && last.Size >= size:
		return last, false, nil
	case err != nil && !errs.Is(err, errs.NotFound):
		return StoredCheckpoint{}, false, err
	}
	now := l.Now().UTC().Truncate(time.Second)
	c := translog.Checkpoint{Origin: l.Key.Origin(), Size: size, Root: root, Time: now}
	note, err := l.Key.SignCheckpoint(c)
	if err != nil {
		return StoredCheckpoint{}, false, errs.Wrapf(errs.Internal, err, "sign checkpoint %d", size)
	}
	sc := StoredCheckpoint{Size: size, Root: root, Note: note, SignedAt: now}
	made, err := l.Store.InsertCheckpoint(ctx, sc)
	if err != nil {
		return StoredCheckpoint{}, false, err
	}
	if !made {
		// Another instance signed this size first.
		sc, err = l.Store.CheckpointBySize(ctx, size)
		return sc, false, err
	}
	return sc, true, nil
}

// Run sequences every `every` and signs a checkpoint at least every
// `checkpointEvery` while leaves arrive, until ctx ends; then it sequences
// and signs once more (at shutdown), with its own short deadline.
func (l *Log) Run(ctx context.Context, every, checkpointEvery time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	lastCheckpoint := time.Time{}
	step := func(ctx context.Context, force bool) {
		n, err := l.Sequence(ctx)
		if err != nil && ctx.Err() == nil {
			l.logger().Error("transparency log: sequence", "err", err)
			return
		}
		if n > 0 {
			l.logger().Debug("transparency log: sequenced", "leaves", n)
		}
		if !force && time.Since(lastCheckpoint) < checkpointEvery {
			return
		}
		c, made, err := l.Checkpoint(ctx)
		if err != nil {
			if ctx.Err() == nil {
				l.logger().Error("transparency log: checkpoint", "err", err)
			}
			return
		}
		lastCheckpoint = time.Now()
		if made {
			l.logger().Info("transparency log: checkpoint", "size", c.Size)
		}
		l.refresh(ctx)
	}
	for {
		select {
		case <-ctx.Done():
			sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			step(sctx, true)
			cancel()
			return
		case <-t.C:
			step(ctx, false)
		}
	}
}

func (l *Log) source(ctx context.Context) translog.TileSource {
	return func(keys []translog.TileKey) (map[translog.TileKey][]byte, error) {
		return l.Store.ReadLogTiles(ctx, keys)
	}
}

// Published is the latest checkpoint as served, with every cosignature
// stored for it.
func (l *Log) Published(ctx context.Context) (StoredCheckpoint, error) {
	c, err := l.Store.LatestCheckpoint(ctx)
	if errs.Is(err, errs.NotFound) {
		return c, errs.E(errs.NotFound, "Sổ minh bạch chưa có điểm kiểm (checkpoint) nào.")
	}
	if err == nil {
		b := c.Published()
		l.latest.Store(&b)
	}
	return c, err
}

// Witnessed is the latest checkpoint whose cosignatures meet the quorum of
// the witnesses the server knows (verified here, not taken from the
// store's word); with no witness configured, the latest log-signed one.
func (l *Log) Witnessed(ctx context.Context) (StoredCheckpoint, translog.Signed, error) {
	var c StoredCheckpoint
	var err error
	if l.Policy.Quorum == 0 {
		c, err = l.Store.LatestCheckpoint(ctx)
	} else {
		c, err = l.Store.LatestCosigned(ctx, l.Policy.Quorum)
	}
	if err != nil {
		return c, translog.Signed{}, err
	}
	s, err := l.Policy.Open(c.Published())
	if err != nil {
		return c, s, errs.Wrapf(errs.Internal, fmt.Errorf("%w: %w", ErrCheckpointUnverifiable, err), "stored checkpoint %d does not verify", c.Size)
	}
	if l.Policy.Quorum > 0 && !l.Policy.Witnessed(s) {
		return c, s, errs.E(errs.Internal, "stored checkpoint %d lacks valid cosignatures", c.Size)
	}
	return c, s, nil
}

// treeSize checks a size the caller asks about against the sequenced tree.
func (l *Log) treeSize(ctx context.Context, size int64) (int64, error) {
	head, _, err := l.Store.LogHead(ctx)
	if err != nil {
		return 0, err
	}
	if size > head {
		return 0, errs.E(errs.NotFound, "Sổ minh bạch mới có %d mục, chưa có cây kích thước %d.", head, size)
	}
	return size, nil
}

// InclusionProof is leaf index's audit path in the tree of size size.
func (l *Log) InclusionProof(ctx context.Context, index, size int64) ([]translog.Hash, error) {
	if _, err := l.treeSize(ctx, size); err != nil {
		return nil, err
	}
	if index < 0 || index >= size {
		return nil, errs.E(errs.Invalid, "Mục %d không nằm trong cây kích thước %d.", index, size)
	}
	p, err := translog.ProveInclusion(l.source(ctx), index, size)
	if err != nil {
		return nil, errs.Wrapf(errs.Internal, err, "inclusion proof %d in %d", index, size)
	}
	return p, nil
}

// ConsistencyProof proves the tree of size from is a prefix of the tree of
// size to.
func (l *Log) ConsistencyProof(ctx context.Context, from, to int64) ([]translog.Hash, error) {
	if from < 0 || from > to {
		return nil, errs.E(errs.Invalid, "Cần 0 ≤ from ≤ to (from=%d, to=%d).", from, to)
	}
	if _, err := l.treeSize(ctx, to); err != nil {
		return nil, err
	}
	p, err := translog.ProveConsistency(l.source(ctx), from, to)
	if err != nil {
		return nil, errs.Wrapf(errs.Internal, err, "consistency proof %d → %d", from, to)
	}
	return p, nil
}

// TreeRoot is the root of the sequenced tree at a size.
func (l *Log) TreeRoot(ctx context.Context, size int64) (translog.Hash, error) {
	if _, err := l.treeSize(ctx, size); err != nil {
		return translog.Hash{}, err
	}
	return translog.TreeRoot(size, l.source(ctx))
}

// Tile returns a tile's hashes; a partial tile is served only when the
// tree is at least that wide there.
func (l *Log) Tile(ctx context.Context, t translog.Tile) ([]byte, error) {
	got, err := l.Store.ReadLogTiles(ctx, []translog.TileKey{t.Key()})
	if err != nil {
		return nil, err
	}
	d := got[t.Key()]
	if len(d) < t.Width*translog.HashSize {
		return nil, errs.E(errs.NotFound, "Không có ô (tile) này.")
	}
	return d[:t.Width*translog.HashSize], nil
}

// Entries returns the entry bundle of a level-0 tile: each leaf as a
// big-endian uint16 length and its bytes.
func (l *Log) Entries(ctx context.Context, t translog.Tile) ([]byte, error) {
	leaves, err := l.Store.LogLeaves(ctx, t.N*translog.TileWidth, t.Width)
	if err != nil {
		return nil, err
	}
	if len(leaves) < t.Width {
		return nil, errs.E(errs.NotFound, "Không có gói mục (entry bundle) này.")
	}
	var b bytes.Buffer
	for i, lf := range leaves {
		if lf.Index != t.N*translog.TileWidth+int64(i) || len(lf.Body) > 0xffff {
			return nil, errs.E(errs.Internal, "log leaves out of order at %d", lf.Index)
		}
		var n [2]byte
		binary.BigEndian.PutUint16(n[:], uint16(len(lf.Body)))
		b.Write(n[:])
		b.Write(lf.Body)
	}
	return b.Bytes(), nil
}

// ErrNoCheckpoint is returned for a proof asked before any suitable
// checkpoint exists.
var ErrNoCheckpoint = errors.New("no checkpoint covers the leaf yet")

// ErrCheckpointUnverifiable is returned when the stored witnessed
// checkpoint does not verify with the configured keys: a wrong
// HOSO_LOG_ORIGIN or key, or a forged row. Nothing is proved either way.
var ErrCheckpointUnverifiable = errors.New("the stored checkpoint does not verify with the log's keys")

// Bundle is a record's proof bundle: its leaf and a C2SP tlog-proof
// against the latest witnessed checkpoint (log-signed only when the server
// knows no witness).
type Bundle struct {
	Leaf  LogLeaf
	Proof translog.Proof
	// Checkpoint is the checkpoint the proof leads to, verified.
	Checkpoint translog.Signed
}

// BundleFor builds the proof bundle of a record by kind and ref. It
// returns NotFound while the record has no leaf index yet, and
// ErrNoCheckpoint while no witnessed checkpoint covers its leaf.
func (l *Log) BundleFor(ctx context.Context, kind, ref string) (Bundle, error) {
	lf, err := l.Store.LogLeafByRef(ctx, kind, ref)
	if err != nil {
		return Bundle{}, err
	}
	c, s, err := l.Witnessed(ctx)
	if errs.Is(err, errs.NotFound) || (err == nil && c.Size <= lf.Index) {
		return Bundle{Leaf: lf}, ErrNoCheckpoint
	}
	if err != nil {
		return Bundle{Leaf: lf}, err
	}
	path, err := l.InclusionProof(ctx, lf.Index, c.Size)
	if err != nil {
		return Bundle{Leaf: lf}, err
	}
	pr := translog.Proof{Index: lf.Index, Hashes: path, Checkpoint: c.Published()}
	// Check what is handed out: a proof that does not verify against the
	// checkpoint means the stored tree was changed.
	if _, err := l.Policy.VerifyProof(pr, lf.Body); err != nil {
		return Bundle{Leaf: lf}, errs.Wrapf(errs.Internal, err, "proof of leaf %d does not verify", lf.Index)
	}
	return Bundle{Leaf: lf, Proof: pr, Checkpoint: s}, nil
}

// AddCosignature takes a witness's cosignature of a stored checkpoint: the
// submitted note (the checkpoint text and the witness's signature lines)
// must be a checkpoint the log signed, and every line a known witness's
// valid cosignature. It returns how many lines were new.
func (l *Log) AddCosignature(ctx context.Context, submitted []byte) (int, error) {
	text, _, ok := bytes.Cut(submitted, []byte("\n\n"))
	if !ok || len(submitted) > translog.MaxNoteSize {
		return 0, errs.E(errs.Invalid, "Gửi điểm kiểm (checkpoint) kèm dòng chữ ký của nhân chứng.")
	}
	text = append(text, '\n')
	c, err := translog.ParseCheckpoint(text)
	if err != nil || c.Origin != l.Key.Origin() {
		return 0, errs.E(errs.Invalid, "Không phải điểm kiểm của sổ này.")
	}
	stored, err := l.Store.CheckpointBySize(ctx, c.Size)
	if errs.Is(err, errs.NotFound) {
		return 0, errs.E(errs.NotFound, "Sổ chưa ký điểm kiểm kích thước %d.", c.Size)
	}
	if err != nil {
		return 0, err
	}
	s, err := l.Policy.Open(stored.Note)
	if err != nil {
		return 0, errs.Wrapf(errs.Internal, err, "stored checkpoint %d", c.Size)
	}
	if !bytes.Equal(s.Text(), text) {
		return 0, errs.E(errs.Conflict, "Điểm kiểm kích thước %d mà sổ đã ký khác với điểm kiểm gửi đến.", c.Size)
	}
	lines, err := l.Policy.CheckCosignatures(text, submitted)
	switch {
	case errors.Is(err, translog.ErrUnknownWitness):
		return 0, errs.Wrapf(errs.Forbidden, err, "Nhân chứng chưa được đăng ký với sổ này.")
	case err != nil:
		return 0, errs.Wrapf(errs.Invalid, err, "Chữ ký của nhân chứng không hợp lệ.")
	}
	n, err := l.Store.AddCosignatures(ctx, c.Size, lines, l.Now().UTC())
	if err != nil {
		return 0, err
	}
	return n, nil
}

// CheckOrigin refuses a configuration whose log origin or key differs from
// the one that signed the stored checkpoints: the log's identity never
// changes (witnesses know it by them); a key rotation is documented in
// docs/transparency-log.md.
func (l *Log) CheckOrigin(ctx context.Context) error {
	c, err := l.Store.LatestCheckpoint(ctx)
	if errs.Is(err, errs.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := l.Policy.Open(c.Note); err != nil {
		origin, _, _ := bytes.Cut(c.Note, []byte("\n"))
		return fmt.Errorf("transparency log: the stored checkpoints are of log %q signed by another key or origin than HOSO_LOG_KEY and HOSO_LOG_ORIGIN (%q) give: %v",
			origin, l.Key.Origin(), err)
	}
	return nil
}
