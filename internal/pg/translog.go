package pg

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/go-pg/pg/v10"
	"github.com/go-pg/pg/v10/orm"

	"hoso/internal/app"
	"hoso/internal/errs"
	"hoso/internal/translog"
)

// logSequencerLock is the advisory lock one sequencer holds at a time
// ("hosolog"); other instances skip their turn.
const logSequencerLock = 0x686f736f6c6f67

// SequenceLog moves up to limit committed queue rows into the log, in queue
// order, in one transaction: leaves get the next indexes, the tiles grow,
// the head moves, and the queue rows go. Only one sequencer runs at a time
// across instances; when another holds the lock it returns Added 0 and
// Busy. A queued leaf that is not a valid leaf, or whose kind and ref
// differ from its queue row, stops the log (an integrity incident, never
// skipped).
func (d *DB) SequenceLog(ctx context.Context, limit int, now time.Time) (res app.LogAppend, err error) {
	defer errs.Wrap(&err, "SequenceLog")
	err = d.InTx(ctx, func(ctx context.Context) error {
		res = app.LogAppend{}
		tx, ctx, err := mustTx(ctx, "SequenceLog")
		if err != nil {
			return err
		}
		var got bool
		if _, err := tx.QueryOneContext(ctx, pg.Scan(&got), `SELECT pg_try_advisory_xact_lock(?)`, int64(logSequencerLock)); err != nil {
			return translate(err)
		}
		if !got {
			res.Busy = true
			return nil
		}
		var size int64
		var root []byte
		if _, err := tx.QueryOneContext(ctx, pg.Scan(&size, &root), `SELECT size, root FROM log_head FOR UPDATE`); err != nil {
			return translate(fmt.Errorf("log head: %w", err))
		}
		var queued []struct {
			Seq  int64
			Kind string
			Ref  string
			Body []byte
		}
		if _, err := tx.QueryContext(ctx, &queued, `SELECT seq, kind, ref, body FROM log_queue ORDER BY seq LIMIT ?`, limit); err != nil {
			return translate(fmt.Errorf("log queue: %w", err))
		}
		res.From, res.Size = size, size
		copy(res.Root[:], root)
		if len(queued) == 0 {
			return nil
		}
		edgeKeys := []translog.TileKey{}
		for _, t := range translog.EdgeTiles(size) {
			edgeKeys = append(edgeKeys, t.Key())
		}
		edge, err := d.readTiles(ctx, tx, edgeKeys)
		if err != nil {
			return err
		}
		hashes := make([]translog.Hash, len(queued))
		seqs := make([]int64, len(queued))
		leaves := newCopy()
		for i, q := range queued {
			l, err := translog.ParseLeaf(q.Body)
			if err != nil || l.Kind != q.Kind || l.ID != q.Ref {
				return errs.E(errs.Internal, "log queue row %d is not a valid leaf of %s %s: %v", q.Seq, q.Kind, q.Ref, err)
			}
			hashes[i] = translog.LeafHash(q.Body)
			seqs[i] = q.Seq
			leaves.row(strconv.FormatInt(size+int64(i), 10), q.Kind, q.Ref, bx(q.Body), ts(now))
		}
		tiles, newRoot, err := translog.Append(size, edge, hashes)
		if err != nil {
			return errs.Wrapf(errs.Internal, err, "log append at %d", size)
		}
		if err := leaves.flush(tx, `COPY log_leaves (idx, kind, ref, body, sequenced_at) FROM STDIN WITH (FORMAT csv, NULL '\N')`); err != nil {
			return translate(fmt.Errorf("copy log leaves: %w", err))
		}
		if err := d.writeTiles(ctx, tx, tiles); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM log_queue WHERE seq = ANY(?::bigint[])`, pg.Array(seqs)); err != nil {
			return translate(fmt.Errorf("log queue: %w", err))
		}
		newSize := size + int64(len(queued))
		if _, err := tx.ExecContext(ctx, `UPDATE log_head SET size = ?, root = ?, updated_at = ?`, newSize, newRoot[:], now); err != nil {
			return translate(fmt.Errorf("log head: %w", err))
		}
		res.Added, res.Size, res.Root = len(queued), newSize, newRoot
		return nil
	})
	return res, err
}

// writeTiles inserts new tiles and widens grown ones.
func (d *DB) writeTiles(ctx context.Context, tx *pg.Tx, tiles []translog.TileData) error {
	if len(tiles) == 0 {
		return nil
	}
	levels := make([]int, len(tiles))
	ns := make([]int64, len(tiles))
	data := make([][]byte, len(tiles))
	for i, t := range tiles {
		levels[i], ns[i], data[i] = t.Level, t.N, t.Data
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO log_tiles (level, n, hashes)
		SELECT * FROM unnest(?::smallint[], ?::bigint[], ?::bytea[])
		ON CONFLICT (level, n) DO UPDATE SET hashes = EXCLUDED.hashes`, pg.Array(levels), pg.Array(ns), pg.Array(data)); err != nil {
		return translate(fmt.Errorf("log tiles: %w", err))
	}
	return nil
}

// readTiles reads tiles by key with one index lookup each; missing keys
// are left out.
func (d *DB) readTiles(ctx context.Context, db orm.DB, keys []translog.TileKey) (map[translog.TileKey][]byte, error) {
	out := make(map[translog.TileKey][]byte, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	levels := make([]int, len(keys))
	ns := make([]int64, len(keys))
	for i, k := range keys {
		levels[i], ns[i] = k.Level, k.N
	}
	var rows []struct {
		Level  int
		N      int64
		Hashes []byte
	}
	if _, err := db.QueryContext(ctx, &rows, `SELECT t.level, t.n, t.hashes FROM unnest(?::smallint[], ?::bigint[]) AS k(level, n)
		JOIN log_tiles t ON t.level = k.level AND t.n = k.n`, pg.Array(levels), pg.Array(ns)); err != nil {
		return nil, translate(fmt.Errorf("log tiles: %w", err))
	}
	for _, r := range rows {
		out[translog.TileKey{Level: r.Level, N: r.N}] = r.Hashes
	}
	return out, nil
}

// ReadLogTiles reads stored tiles by key (the widest data of each).
func (d *DB) ReadLogTiles(ctx context.Context, keys []translog.TileKey) (_ map[translog.TileKey][]byte, err error) {
	defer errs.Wrap(&err, "pg.ReadLogTiles")
	db, ctx, err := d.on(ctx)
	if err != nil {
		return nil, err
	}
	return d.readTiles(ctx, db, keys)
}

// LogHead is the sequenced tree's size and root.
func (d *DB) LogHead(ctx context.Context) (_ int64, _ translog.Hash, err error) {
	defer errs.Wrap(&err, "pg.LogHead")
	var size int64
	var root []byte
	var h translog.Hash
	if err := d.queryOne(ctx, pg.Scan(&size, &root), `SELECT size, root FROM log_head`); err != nil {
		return 0, h, err
	}
	copy(h[:], root)
	return size, h, nil
}

// LogQueued counts the leaves waiting for an index.
func (d *DB) LogQueued(ctx context.Context) (_ int, err error) {
	defer errs.Wrap(&err, "pg.LogQueued")
	var n int
	err = d.queryOne(ctx, pg.Scan(&n), `SELECT count(*) FROM log_queue`)
	return n, err
}

// LogLeaf is the leaf at an index.
func (d *DB) LogLeaf(ctx context.Context, index int64) (_ app.LogLeaf, err error) {
	defer errs.Wrap(&err, "pg.LogLeaf %d", index)
	var l app.LogLeaf
	err = d.queryOne(ctx, pg.Scan(&l.Index, &l.Kind, &l.Ref, &l.Body), `SELECT idx, kind, ref, body FROM log_leaves WHERE idx = ?`, index)
	return l, err
}

// LogLeafByRef is the leaf of a record (kind "event", ref its id).
func (d *DB) LogLeafByRef(ctx context.Context, kind, ref string) (_ app.LogLeaf, err error) {
	defer errs.Wrap(&err, "pg.LogLeafByRef %s", ref)
	var l app.LogLeaf
	err = d.queryOne(ctx, pg.Scan(&l.Index, &l.Kind, &l.Ref, &l.Body), `SELECT idx, kind, ref, body FROM log_leaves WHERE kind = ? AND ref = ?`, kind, ref)
	return l, err
}

// LogLeaves returns up to n leaves from index from on, in order.
func (d *DB) LogLeaves(ctx context.Context, from int64, n int) (_ []app.LogLeaf, err error) {
	defer errs.Wrap(&err, "pg.LogLeaves")
	var rows []struct {
		Idx  int64
		Kind string
		Ref  string
		Body []byte
	}
	if err := d.query(ctx, &rows, `SELECT idx, kind, ref, body FROM log_leaves WHERE idx >= ? ORDER BY idx LIMIT ?`, from, n); err != nil {
		return nil, err
	}
	out := make([]app.LogLeaf, len(rows))
	for i, r := range rows {
		out[i] = app.LogLeaf{Index: r.Idx, Kind: r.Kind, Ref: r.Ref, Body: r.Body}
	}
	return out, nil
}

type checkpointRow struct {
	Size     int64
	Root     []byte
	Note     string
	SignedAt time.Time
	Lines    []string `pg:",array"`
}

func (r checkpointRow) app() app.StoredCheckpoint {
	c := app.StoredCheckpoint{Size: r.Size, Note: []byte(r.Note), SignedAt: r.SignedAt, Cosignatures: r.Lines}
	copy(c.Root[:], r.Root)
	return c
}

const checkpointSelect = `SELECT k.size, k.root, k.note, k.signed_at,
	coalesce((SELECT array_agg(c.line ORDER BY c.witness) FROM log_cosignatures c WHERE c.size = k.size), '{}') AS lines
	FROM log_checkpoints k`

// InsertCheckpoint stores a checkpoint the log signed; a size already
// signed (by another instance) is kept as it was.
func (d *DB) InsertCheckpoint(ctx context.Context, c app.StoredCheckpoint) (_ bool, err error) {
	defer errs.Wrap(&err, "pg.InsertCheckpoint %d", c.Size)
	res, err := d.exec(ctx, `INSERT INTO log_checkpoints (size, root, note, signed_at) VALUES (?, ?, ?, ?) ON CONFLICT (size) DO NOTHING`,
		c.Size, c.Root[:], string(c.Note), c.SignedAt)
	if err != nil {
		return false, err
	}
	return res.RowsAffected() == 1, nil
}

// LatestCheckpoint is the largest signed checkpoint, with its cosignatures.
func (d *DB) LatestCheckpoint(ctx context.Context) (_ app.StoredCheckpoint, err error) {
	defer errs.Wrap(&err, "pg.LatestCheckpoint")
	var r checkpointRow
	if err := d.queryOne(ctx, &r, checkpointSelect+` ORDER BY k.size DESC LIMIT 1`); err != nil {
		return app.StoredCheckpoint{}, err
	}
	return r.app(), nil
}

// CheckpointBySize is the signed checkpoint of a size.
func (d *DB) CheckpointBySize(ctx context.Context, size int64) (_ app.StoredCheckpoint, err error) {
	defer errs.Wrap(&err, "pg.CheckpointBySize")
	var r checkpointRow
	if err := d.queryOne(ctx, &r, checkpointSelect+` WHERE k.size = ?`, size); err != nil {
		return app.StoredCheckpoint{}, err
	}
	return r.app(), nil
}

// LatestCosigned is the largest checkpoint with at least quorum stored
// cosignatures (the caller verifies them).
func (d *DB) LatestCosigned(ctx context.Context, quorum int) (_ app.StoredCheckpoint, err error) {
	defer errs.Wrap(&err, "pg.LatestCosigned")
	var r checkpointRow
	if err := d.queryOne(ctx, &r, checkpointSelect+`
		WHERE k.size IN (SELECT size FROM log_cosignatures GROUP BY size HAVING count(*) >= ? ORDER BY size DESC LIMIT 1)`, quorum); err != nil {
		return app.StoredCheckpoint{}, err
	}
	return r.app(), nil
}

// Checkpoints lists every stored checkpoint's size and root, in size order
// (for the verifier).
func (d *DB) Checkpoints(ctx context.Context) (_ []app.StoredCheckpoint, err error) {
	defer errs.Wrap(&err, "pg.Checkpoints")
	var rows []checkpointRow
	if err := d.query(ctx, &rows, `SELECT size, root, note, signed_at FROM log_checkpoints ORDER BY size`); err != nil {
		return nil, err
	}
	out := make([]app.StoredCheckpoint, len(rows))
	for i, r := range rows {
		out[i] = r.app()
	}
	return out, nil
}

// AddCosignatures stores witnesses' cosignature lines for a checkpoint; a
// witness's line for a size is kept once (the first).
func (d *DB) AddCosignatures(ctx context.Context, size int64, lines []translog.CosignatureLine, at time.Time) (_ int, err error) {
	defer errs.Wrap(&err, "pg.AddCosignatures")
	added := 0
	for _, l := range lines {
		res, err := d.exec(ctx, `INSERT INTO log_cosignatures (size, witness, line, cosigned_at, received_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (size, witness) DO NOTHING`, size, l.Witness, l.Line, l.At, at)
		if err != nil {
			return added, err
		}
		added += res.RowsAffected()
	}
	return added, nil
}

// InSnapshot runs fn in one read-only REPEATABLE READ transaction: every
// read sees the database as of its start, so a long check is not confused
// by writers (the sequencer) committing meanwhile.
func (d *DB) InSnapshot(ctx context.Context, fn func(ctx context.Context) error) (err error) {
	defer errs.Wrap(&err, "pg.InSnapshot")
	if _, ok := ctx.Value(txKey{}).(*pg.Tx); ok {
		return fn(ctx)
	}
	err = d.db.RunInTransaction(context.WithoutCancel(ctx), func(tx *pg.Tx) error {
		if _, err := tx.ExecContext(context.WithoutCancel(ctx), `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY`); err != nil {
			return err
		}
		return fn(context.WithValue(ctx, txKey{}, tx))
	})
	return translate(err)
}

// CopyLogTiles loads tiles in PostgreSQL's binary COPY format from r (for
// benchmarks that build a large tree directly, not through the ledger).
func (d *DB) CopyLogTiles(ctx context.Context, r io.Reader) (_ int, err error) {
	defer errs.Wrap(&err, "pg.CopyLogTiles")
	res, err := d.db.WithContext(ctx).CopyFrom(r, `COPY log_tiles (level, n, hashes) FROM STDIN WITH (FORMAT binary)`)
	if err != nil {
		return 0, translate(fmt.Errorf("copy log tiles: %w", err))
	}
	return res.RowsAffected(), nil
}

// SetLogHeadForBench sets the log's head (benchmarks only: it bypasses the
// sequencer).
func (d *DB) SetLogHeadForBench(ctx context.Context, size int64, root translog.Hash) (err error) {
	defer errs.Wrap(&err, "pg.SetLogHeadForBench")
	_, err = d.exec(ctx, `UPDATE log_head SET size = ?, root = ?, updated_at = now()`, size, root[:])
	return err
}

// InsertLogLeavesForBench stores leaves at given indexes (benchmarks only).
func (d *DB) InsertLogLeavesForBench(ctx context.Context, leaves []app.LogLeaf) (err error) {
	defer errs.Wrap(&err, "pg.InsertLogLeavesForBench")
	c := newCopy()
	for _, l := range leaves {
		c.row(strconv.FormatInt(l.Index, 10), l.Kind, l.Ref, bx(l.Body), ts(time.Now()))
	}
	c.w.Flush()
	if _, err := d.db.WithContext(ctx).CopyFrom(&c.buf, `COPY log_leaves (idx, kind, ref, body, sequenced_at) FROM STDIN WITH (FORMAT csv, NULL '\N')`); err != nil {
		return translate(fmt.Errorf("copy log leaves: %w", err))
	}
	return nil
}

// DropDatabase drops a database on the server of adminURL (benchmarks
// clean up their large databases).
func DropDatabase(ctx context.Context, adminURL, name string) error {
	opt, err := pg.ParseURL(adminURL)
	if err != nil {
		return fmt.Errorf("pg: parse database URL: %w", err)
	}
	admin := pg.Connect(opt)
	defer admin.Close()
	_, err = admin.ExecContext(ctx, `DROP DATABASE IF EXISTS ? WITH (FORCE)`, pg.Ident(name))
	return translate(err)
}

// QueryOneForBench scans one value of a query (benchmarks and tests).
func (d *DB) QueryOneForBench(ctx context.Context, dst any, query string, params ...any) (err error) {
	defer errs.Wrap(&err, "pg.QueryOneForBench")
	return d.queryOne(ctx, pg.Scan(dst), query, params...)
}
