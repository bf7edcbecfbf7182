package app

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"hoso/internal/errs"
	"hoso/internal/translog"
	"hoso/tracking"
)

// LogAuditStore is what the log audit reads.
type LogAuditStore interface {
	LogHead(ctx context.Context) (int64, translog.Hash, error)
	LogLeafCount(ctx context.Context) (int64, error)
	LogTileCount(ctx context.Context) (int, error)
	LogLeaves(ctx context.Context, from int64, n int) ([]LogLeaf, error)
	ReadLogTiles(ctx context.Context, keys []translog.TileKey) (map[translog.TileKey][]byte, error)
	Checkpoints(ctx context.Context) ([]StoredCheckpoint, error)
	LatestCosigned(ctx context.Context, quorum int) (StoredCheckpoint, error)
	LatestCheckpoint(ctx context.Context) (StoredCheckpoint, error)
	EventsByID(ctx context.Context, ids []string) (map[string]tracking.Event, error)
	EventsWithoutLeaf(ctx context.Context, limit int) ([]string, error)
	// InSnapshot runs fn with every read seeing one moment of the database.
	InSnapshot(ctx context.Context, fn func(ctx context.Context) error) error
}

// LogAudit checks the transparency log from its leaves up: every leaf is
// the leaf of a ledger event as it is now, every stored tile is what the
// leaves give, every stored checkpoint is signed by the log and has the
// root the leaves give at its size, the trusted (witnessed) checkpoint is
// such a root with nothing missing at the tail, and every ledger event has
// a leaf.
type LogAudit struct {
	Store  LogAuditStore
	Policy *translog.Policy
	// Batch is how many leaves are read at a time (default 5000).
	Batch int
}

// LogReport is what the audit found.
type LogReport struct {
	Leaves      int64
	Checkpoints int
	// Trusted is the checkpoint the log was held against, where it came
	// from, and who co-signed it (empty Source: none).
	Trusted   translog.Checkpoint
	TrustedBy []string
	Source    string
	Warnings  []string
	Break     string
	Audited   time.Duration
}

func (a *LogAudit) batch() int {
	if a.Batch > 0 {
		return a.Batch
	}
	return 5000
}

// Verify audits the log. trusted, when not nil, is a checkpoint note from
// outside the database; else the latest stored checkpoint co-signed by the
// quorum of known witnesses is used.
func (a *LogAudit) Verify(ctx context.Context, trusted []byte) (rep LogReport, err error) {
	err = a.Store.InSnapshot(ctx, func(ctx context.Context) error {
		rep, err = a.verify(ctx, trusted)
		return err
	})
	return rep, err
}

func (a *LogAudit) verify(ctx context.Context, trusted []byte) (LogReport, error) {
	start := time.Now()
	var rep LogReport
	defer func() { rep.Audited = time.Since(start) }()
	fail := func(format string, args ...any) (LogReport, error) {
		rep.Break = fmt.Sprintf(format, args...)
		rep.Audited = time.Since(start)
		return rep, nil
	}
	// The checkpoint to hold the log to.
	var trust translog.Signed
	switch {
	case trusted != nil:
		s, err := a.Policy.Open(trusted)
		if err != nil {
			return fail("the checkpoint given does not verify with the log's key: %v", err)
		}
		if a.Policy.Quorum > 0 && !a.Policy.Witnessed(s) {
			rep.Warnings = append(rep.Warnings, fmt.Sprintf("the checkpoint given carries %d of the %d witness cosignatures required", len(s.Witnessed), a.Policy.Quorum))
		}
		trust, rep.Source = s, "the checkpoint given"
	case a.Policy.Quorum > 0:
		c, err := a.Store.LatestCosigned(ctx, a.Policy.Quorum)
		switch {
		case errs.Is(err, errs.NotFound):
			// Witnesses are configured but none of their checkpoints is
			// here: they never ran, or their cosignatures were removed.
			// Either way nothing is witnessed; say so.
			if size, _, err := a.Store.LogHead(ctx); err != nil {
				return rep, err
			} else if size > 0 {
				return fail("no checkpoint co-signed by the witnesses is in the database (the witnesses never ran, or their cosignatures were removed): check with --checkpoint and a witness's state file")
			}
		case err != nil:
			return rep, err
		default:
			s, err := a.Policy.Open(c.Published())
			if err != nil || !a.Policy.Witnessed(s) {
				return fail("stored checkpoint %d claims %d cosignatures that do not verify: %v", c.Size, len(c.Cosignatures), err)
			}
			trust, rep.Source = s, "the latest witnessed checkpoint in the database"
		}
	default:
		rep.Warnings = append(rep.Warnings, "no witness is configured (HOSO_LOG_WITNESSES): the log is checked against its own signatures only")
	}
	if rep.Source != "" {
		rep.Trusted, rep.TrustedBy = trust.Checkpoint, trust.Witnessed
	}
	size, headRoot, err := a.Store.LogHead(ctx)
	if err != nil {
		return rep, err
	}
	n, err := a.Store.LogLeafCount(ctx)
	if err != nil {
		return rep, err
	}
	if n != size {
		return fail("the log's head says %d leaves, %d are stored", size, n)
	}
	if rep.Source != "" && trust.Size > size {
		return fail("the log has %d leaves, fewer than the %d of the checkpoint %s co-signed: %d leaves are missing at the tail",
			size, trust.Size, strings.Join(trust.Witnessed, ", "), trust.Size-size)
	}
	cps, err := a.Store.Checkpoints(ctx)
	if err != nil {
		return rep, err
	}
	rep.Checkpoints = len(cps)
	// Sizes at which a root must be checked, in order.
	type mark struct {
		size int64
		root translog.Hash
		what string
	}
	var marks []mark
	for _, c := range cps {
		s, err := a.Policy.Open(c.Note)
		if err != nil {
			return fail("stored checkpoint %d is not signed by the log's key: %v", c.Size, err)
		}
		if s.Size != c.Size || s.Root != c.Root {
			return fail("stored checkpoint %d: its row says size %d root %s, its signed note size %d root %s", c.Size, c.Size, c.Root, s.Size, s.Root)
		}
		if c.Size > size {
			return fail("the log signed a checkpoint of %d leaves; it now has %d: leaves are missing at the tail", c.Size, size)
		}
		marks = append(marks, mark{c.Size, c.Root, fmt.Sprintf("the log's signed checkpoint %d", c.Size)})
	}
	if rep.Source != "" {
		marks = append(marks, mark{trust.Size, trust.Root, fmt.Sprintf("the checkpoint %d co-signed by %s", trust.Size, strings.Join(trust.Witnessed, ", "))})
	}
	marks = append(marks, mark{size, headRoot, "the log's head"})
	sort.SliceStable(marks, func(i, j int) bool { return marks[i].size < marks[j].size })
	aud := translog.NewAuditor()
	check := func() string {
		for len(marks) > 0 && marks[0].size == aud.Size() {
			if aud.Root() != marks[0].root {
				return fmt.Sprintf("the leaves give root %s at size %d; %s has %s", aud.Root(), aud.Size(), marks[0].what, marks[0].root)
			}
			marks = marks[1:]
		}
		return ""
	}
	if d := check(); d != "" {
		return fail("%s", d)
	}
	for from := int64(0); from < size; {
		leaves, err := a.Store.LogLeaves(ctx, from, a.batch())
		if err != nil {
			return rep, err
		}
		if len(leaves) == 0 {
			return fail("leaf %d is missing", from)
		}
		var ids []string
		parsed := make([]translog.Leaf, len(leaves))
		for i, lf := range leaves {
			if lf.Index != from+int64(i) {
				return fail("leaf %d is missing", from+int64(i))
			}
			l, err := translog.ParseLeaf(lf.Body)
			if err != nil || l.Kind != lf.Kind || l.ID != lf.Ref {
				return fail("leaf %d is not a valid leaf of %s %s: %v", lf.Index, lf.Kind, lf.Ref, err)
			}
			parsed[i] = l
			if l.Kind == translog.KindEvent {
				ids = append(ids, l.ID)
			}
		}
		evs, err := a.Store.EventsByID(ctx, ids)
		if err != nil {
			return rep, err
		}
		for i, l := range parsed {
			if l.Kind != translog.KindEvent {
				continue
			}
			ev, ok := evs[l.ID]
			if !ok {
				return fail("leaf %d names event %s (%s at %s), which is not in the ledger", leaves[i].Index, l.ID, l.Type, l.At.Format(time.RFC3339))
			}
			want := translog.EventLeaf(ev.ID, string(ev.Type), ev.ServerAt, ev.Hash).Bytes()
			if !bytes.Equal(want, leaves[i].Body) {
				return fail("leaf %d differs from event %s of parcel %s as the ledger holds it now (the event was changed after it was logged)",
					leaves[i].Index, ev.ID, ev.Number)
			}
		}
		// Feed the hashes, stopping at every size a root must be checked.
		var produced []translog.TileData
		hashes := make([]translog.Hash, len(leaves))
		for i, lf := range leaves {
			hashes[i] = translog.LeafHash(lf.Body)
		}
		for len(hashes) > 0 {
			k := len(hashes)
			if len(marks) > 0 && marks[0].size-aud.Size() < int64(k) {
				k = int(marks[0].size - aud.Size())
			}
			tiles, err := aud.Add(hashes[:k])
			if err != nil {
				return rep, err
			}
			produced = append(produced, tiles...)
			hashes = hashes[k:]
			if d := check(); d != "" {
				return fail("%s", d)
			}
		}
		// A tile may come out several times as it grows within the batch:
		// each width must be a prefix of what is stored, and the widest
		// must be all of it unless the log goes on.
		widest := map[translog.TileKey]int{}
		keys := make([]translog.TileKey, 0, len(produced))
		for i, t := range produced {
			if _, ok := widest[t.Key()]; !ok {
				keys = append(keys, t.Key())
			}
			widest[t.Key()] = i
		}
		stored, err := a.Store.ReadLogTiles(ctx, keys)
		if err != nil {
			return rep, err
		}
		for i, t := range produced {
			logSize := size
			if widest[t.Key()] != i {
				logSize = size + 1 // a narrower version: the stored tile goes on
			}
			if err := translog.CompareTile(t, stored[t.Key()], logSize, aud.Size()); err != nil {
				return fail("%v", err)
			}
		}
		from += int64(len(leaves))
		rep.Leaves = from
	}
	if len(marks) > 0 {
		return fail("%s is beyond the %d leaves", marks[0].what, size)
	}
	// No tile beyond the tree.
	want := 0
	for l := 0; size>>(8*uint(l)) > 0; l++ {
		c := size >> (8 * uint(l))
		want += int((c + translog.TileWidth - 1) / translog.TileWidth)
	}
	if got, err := a.Store.LogTileCount(ctx); err != nil {
		return rep, err
	} else if got != want {
		return fail("%d tiles stored, a tree of %d leaves has %d", got, size, want)
	}
	// Every ledger event is logged or queued.
	missing, err := a.Store.EventsWithoutLeaf(ctx, 5)
	if err != nil {
		return rep, err
	}
	if len(missing) > 0 {
		return fail("event %s is in the ledger but neither in the log nor queued for it (%d or more such events)", missing[0], len(missing))
	}
	return rep, nil
}
