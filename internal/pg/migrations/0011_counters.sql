-- Counters and manifests (issue 14): a manifest is closed by its receiver,
-- line by line, and records who closed it and when; one left open past its
-- deadline raises an alarm. A dispatcher may recall a release nobody
-- confirmed (the hand-off closes as 'recalled', custody stays with the
-- giver). A counter's confirmation with differences waits on a draft until
-- the clerk confirms it on a second screen.

ALTER TABLE manifests
    ADD COLUMN deadline    timestamptz,
    ADD COLUMN closed_kind text,
    ADD COLUMN closed_ref  text,
    ADD COLUMN closed_by   bigint REFERENCES users (id);
UPDATE manifests SET deadline = created_at + interval '30 minutes';
ALTER TABLE manifests ALTER COLUMN deadline SET NOT NULL;
-- Manifests made before this migration: those whose every line is closed
-- close with their last line, by their receiver; an empty one (a release
-- that wrote nothing) closes at once, by the system.
UPDATE manifests m SET closed_at = x.at, closed_kind = m.receiver_kind, closed_ref = m.receiver_ref
FROM (SELECT h.manifest_id, max(h.closed_at) AS at FROM handoffs h WHERE h.manifest_id IS NOT NULL GROUP BY h.manifest_id
      HAVING bool_and(h.status <> 'pending')) x
WHERE x.manifest_id = m.id;
UPDATE manifests m SET closed_at = m.created_at, closed_kind = 'system', closed_ref = 'empty'
WHERE m.closed_at IS NULL AND NOT EXISTS (SELECT 1 FROM handoffs h WHERE h.manifest_id = m.id);
ALTER TABLE manifests ADD CONSTRAINT manifests_closed_by_someone CHECK ((closed_at IS NULL) = (closed_kind IS NULL));
CREATE INDEX manifests_open_deadline_idx ON manifests (deadline) WHERE closed_at IS NULL;

ALTER TABLE handoffs DROP CONSTRAINT handoffs_status_check;
ALTER TABLE handoffs ADD CONSTRAINT handoffs_status_check CHECK (status IN ('pending', 'confirmed', 'disputed', 'recalled'));

CREATE TABLE counter_drafts (
    id         uuid PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('receive', 'manifest', 'missing')),
    payload    json NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX counter_drafts_user_idx ON counter_drafts (user_id, expires_at);
