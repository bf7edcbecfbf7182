-- The transparency log (docs/transparency-log.md): one append-only Merkle
-- tree over every ledger event in commit order, stored as C2SP tiles so an
-- inclusion or consistency proof reads a handful of rows at any size.
--
-- An event's leaf is queued by a trigger in the event's own transaction
-- (nothing committed can be left out); the sequencer moves committed queue
-- rows into the log in queue order, one instance at a time (advisory
-- lock), deleting each queue row in the transaction that gives it its
-- index (nothing is sequenced twice; log_leaves' unique (kind, ref) holds
-- it too). The per-parcel chains and daily roots stay as an index; signed
-- and witnessed checkpoints of this tree are the root of trust.

-- Leaves waiting for an index, in commit order of their queue rows.
CREATE TABLE log_queue (
    seq       bigserial PRIMARY KEY,
    kind      text NOT NULL,
    ref       text NOT NULL,
    body      bytea NOT NULL,
    queued_at timestamptz NOT NULL DEFAULT now()
);

-- The log's entries: idx is the leaf index, body the leaf's bytes (public:
-- hashes and codes only, never personal data).
CREATE TABLE log_leaves (
    idx          bigint PRIMARY KEY CHECK (idx >= 0),
    kind         text NOT NULL,
    ref          text NOT NULL,
    body         bytea NOT NULL CHECK (length(body) <= 4096),
    sequenced_at timestamptz NOT NULL,
    UNIQUE (kind, ref)
);

-- The tree as C2SP tiles of height 8: level 0 holds leaf hashes, level l
-- the roots of full tiles of level l-1. One row a tile, holding the widest
-- data: a partial tile grows until it holds 256 hashes, and a narrower
-- tile is a prefix of it. Hashes do not compress: stored out of line
-- without trying.
CREATE TABLE log_tiles (
    level  smallint NOT NULL CHECK (level BETWEEN 0 AND 63),
    n      bigint NOT NULL CHECK (n >= 0),
    hashes bytea NOT NULL CHECK (length(hashes) BETWEEN 32 AND 8192 AND length(hashes) % 32 = 0),
    PRIMARY KEY (level, n)
);
ALTER TABLE log_tiles ALTER COLUMN hashes SET STORAGE EXTERNAL;

-- The tree as sequenced: its size and root (one row).
CREATE TABLE log_head (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),
    size       bigint NOT NULL CHECK (size >= 0),
    root       bytea NOT NULL CHECK (length(root) = 32),
    updated_at timestamptz NOT NULL
);
INSERT INTO log_head (size, root, updated_at) VALUES (0, sha256(''::bytea), now());

-- Checkpoints signed by the log's key (a C2SP signed note), one a size,
-- and the witnesses' cosignature lines for each.
CREATE TABLE log_checkpoints (
    size      bigint PRIMARY KEY CHECK (size >= 0),
    root      bytea NOT NULL CHECK (length(root) = 32),
    note      text NOT NULL,
    signed_at timestamptz NOT NULL
);
CREATE TABLE log_cosignatures (
    size        bigint NOT NULL REFERENCES log_checkpoints (size),
    witness     text NOT NULL,
    line        text NOT NULL,
    cosigned_at timestamptz NOT NULL,
    received_at timestamptz NOT NULL,
    PRIMARY KEY (size, witness)
);

-- An event's leaf, written in the event's transaction. The bytes are
-- translog.Leaf.Bytes (a test holds them equal):
--   hoso-leaf-v1 / kind=event / id= / type= / at= (UTC, microseconds) / hash= (hex)
CREATE FUNCTION log_event_leaf(id uuid, type text, server_at timestamptz, hash bytea) RETURNS bytea
    LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT convert_to('hoso-leaf-v1' || E'\n' || 'kind=event' || E'\n' || 'id=' || id::text || E'\n' ||
        'type=' || type || E'\n' ||
        'at=' || to_char(server_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') || E'\n' ||
        'hash=' || encode(hash, 'hex') || E'\n', 'UTF8')
$$;

CREATE FUNCTION events_queue_leaves() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO log_queue (kind, ref, body)
    SELECT 'event', n.id::text, log_event_leaf(n.id, n.type, n.server_at, n.hash) FROM new_events n ORDER BY n.seq;
    RETURN NULL;
END $$;
CREATE TRIGGER events_log AFTER INSERT ON events REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION events_queue_leaves();

-- The history recorded before the log existed, in ledger order.
INSERT INTO log_queue (kind, ref, body)
SELECT 'event', e.id::text, log_event_leaf(e.id, e.type, e.server_at, e.hash) FROM events e ORDER BY e.seq;

-- Written once, like the ledger.
CREATE TRIGGER log_leaves_no_update BEFORE UPDATE OR DELETE ON log_leaves
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER log_leaves_no_truncate BEFORE TRUNCATE ON log_leaves
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();
CREATE TRIGGER log_checkpoints_no_update BEFORE UPDATE OR DELETE ON log_checkpoints
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER log_checkpoints_no_truncate BEFORE TRUNCATE ON log_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();
CREATE TRIGGER log_cosignatures_no_update BEFORE UPDATE OR DELETE ON log_cosignatures
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER log_cosignatures_no_truncate BEFORE TRUNCATE ON log_cosignatures
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();
CREATE TRIGGER log_queue_no_update BEFORE UPDATE OR TRUNCATE ON log_queue
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

-- Tiles only grow: an update must keep every hash and add some; the head
-- only moves forward.
CREATE FUNCTION log_grow_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'log_tiles' THEN
        IF length(NEW.hashes) <= length(OLD.hashes) OR substring(NEW.hashes FROM 1 FOR length(OLD.hashes)) <> OLD.hashes
           OR NEW.level <> OLD.level OR NEW.n <> OLD.n THEN
            RAISE EXCEPTION 'log tiles only grow (tile %/% refused)', OLD.level, OLD.n;
        END IF;
    ELSIF NEW.size < OLD.size THEN
        RAISE EXCEPTION 'the log head only moves forward (% after %)', NEW.size, OLD.size;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER log_tiles_grow_only BEFORE UPDATE ON log_tiles
    FOR EACH ROW EXECUTE FUNCTION log_grow_only();
CREATE TRIGGER log_tiles_no_delete BEFORE DELETE OR TRUNCATE ON log_tiles
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();
CREATE TRIGGER log_head_forward_only BEFORE UPDATE ON log_head
    FOR EACH ROW EXECUTE FUNCTION log_grow_only();
CREATE TRIGGER log_head_no_delete BEFORE DELETE OR TRUNCATE ON log_head
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();
