-- Custody ledger: the parcel's projection (status, custodian, chain head),
-- custody periods, hand-offs, incidents, lost-original cases, alarms, the
-- outbox, courier event receipts and the daily roots of the hash chain.

ALTER TABLE parcels
    ADD COLUMN status_since    timestamptz,
    ADD COLUMN custodian_kind  text,
    ADD COLUMN custodian_ref   text,
    ADD COLUMN event_count     integer NOT NULL DEFAULT 0,
    ADD COLUMN last_hash       bytea,
    ADD COLUMN attempts        integer NOT NULL DEFAULT 0,
    ADD COLUMN seal_id         text,
    ADD COLUMN receipt_code    text UNIQUE,
    ADD COLUMN courier_ref     text,
    ADD COLUMN planned_date    date,
    ADD COLUMN window_start    timestamptz,
    ADD COLUMN window_end      timestamptz;
UPDATE parcels SET status_since = updated_at;
ALTER TABLE parcels ALTER COLUMN status_since SET NOT NULL;
CREATE INDEX parcels_status_since_idx ON parcels (status, status_since);
CREATE INDEX parcels_window_end_idx ON parcels (window_end) WHERE status IN ('requested', 'scheduled');
CREATE INDEX parcels_courier_idx ON parcels (courier_ref, planned_date);
CREATE INDEX parcels_custodian_idx ON parcels (custodian_kind, custodian_ref);

ALTER TABLE parcel_documents
    ADD COLUMN collected_count smallint CHECK (collected_count BETWEEN 0 AND 99),
    ADD COLUMN condition       text CHECK (condition IN ('good', 'damaged', 'missing')),
    ADD COLUMN missing_since   uuid,
    ADD COLUMN last_custodian  text;

-- Who held each parcel and when. Exactly one open period per parcel: the
-- unique partial index makes two custodians impossible whatever the code does.
CREATE TABLE custody (
    id          bigserial PRIMARY KEY,
    parcel_id   uuid NOT NULL REFERENCES parcels (id),
    holder_kind text NOT NULL CHECK (holder_kind IN ('citizen', 'courier', 'post_office', 'desk')),
    holder_ref  text NOT NULL,
    from_event  uuid NOT NULL REFERENCES events (id),
    from_at     timestamptz NOT NULL,
    to_event    uuid REFERENCES events (id),
    to_at       timestamptz,
    CHECK ((to_event IS NULL) = (to_at IS NULL))
);
CREATE UNIQUE INDEX custody_one_open ON custody (parcel_id) WHERE to_event IS NULL;
CREATE INDEX custody_parcel_idx ON custody (parcel_id, from_at);

-- Batch hand-offs: a manifest groups the releases of one giver to one receiver.
CREATE TABLE manifests (
    id            uuid PRIMARY KEY,
    code          text NOT NULL UNIQUE,
    giver_kind    text NOT NULL,
    giver_ref     text NOT NULL,
    receiver_kind text NOT NULL,
    receiver_ref  text NOT NULL,
    created_by    bigint REFERENCES users (id),
    created_at    timestamptz NOT NULL,
    closed_at     timestamptz
);
CREATE INDEX manifests_receiver_idx ON manifests (receiver_kind, receiver_ref, created_at);
CREATE INDEX manifests_giver_idx ON manifests (giver_kind, giver_ref, created_at);

CREATE TABLE handoffs (
    id             uuid PRIMARY KEY,
    parcel_id      uuid NOT NULL REFERENCES parcels (id),
    manifest_id    uuid REFERENCES manifests (id),
    giver_kind     text NOT NULL,
    giver_ref      text NOT NULL,
    receiver_kind  text NOT NULL,
    receiver_ref   text NOT NULL,
    status         text NOT NULL CHECK (status IN ('pending', 'confirmed', 'disputed')),
    released_event uuid NOT NULL REFERENCES events (id),
    released_at    timestamptz NOT NULL,
    deadline       timestamptz NOT NULL,
    closed_event   uuid REFERENCES events (id),
    closed_at      timestamptz,
    CHECK ((status = 'pending') = (closed_at IS NULL)),
    CHECK (giver_kind <> receiver_kind OR giver_ref <> receiver_ref)
);
-- One pending hand-off per parcel: two releases cannot both win.
CREATE UNIQUE INDEX handoffs_one_pending ON handoffs (parcel_id) WHERE status = 'pending';
CREATE INDEX handoffs_pending_deadline ON handoffs (deadline) WHERE status = 'pending';
CREATE INDEX handoffs_receiver_pending ON handoffs (receiver_kind, receiver_ref) WHERE status = 'pending';
CREATE INDEX handoffs_manifest_idx ON handoffs (manifest_id);

CREATE TABLE incidents (
    id                  uuid PRIMARY KEY,
    parcel_id           uuid NOT NULL REFERENCES parcels (id),
    handoff_id          uuid REFERENCES handoffs (id),
    event_id            uuid NOT NULL REFERENCES events (id),
    problem             text NOT NULL,
    missing_lines       integer[] NOT NULL DEFAULT '{}',
    last_custodian_kind text NOT NULL,
    last_custodian_ref  text NOT NULL,
    note                text NOT NULL DEFAULT '',
    status              text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved', 'lost')),
    resolution          text NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL,
    closed_at           timestamptz,
    closed_by           bigint REFERENCES users (id)
);
CREATE INDEX incidents_open_idx ON incidents (created_at) WHERE status = 'open';
CREATE INDEX incidents_parcel_idx ON incidents (parcel_id);

-- Decree 61/2018 Art. 21: a lost original names the one responsible, who
-- pays for re-issuing the papers and apologises in writing.
CREATE TABLE lost_cases (
    id                  uuid PRIMARY KEY,
    incident_id         uuid NOT NULL UNIQUE REFERENCES incidents (id),
    parcel_id           uuid NOT NULL REFERENCES parcels (id),
    responsible_kind    text NOT NULL,
    responsible_ref     text NOT NULL,
    lines               integer[] NOT NULL DEFAULT '{}',
    reissue_state       text NOT NULL DEFAULT 'pending' CHECK (reissue_state IN ('pending', 'in_progress', 'done')),
    apology_state       text NOT NULL DEFAULT 'pending' CHECK (apology_state IN ('pending', 'sent')),
    apology_text        text NOT NULL DEFAULT '',
    costs_amount        bigint NOT NULL DEFAULT 0 CHECK (costs_amount >= 0),
    costs_state         text NOT NULL DEFAULT 'pending' CHECK (costs_state IN ('pending', 'paid')),
    status              text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    created_by          bigint REFERENCES users (id)
);

-- Alarms: raised once per cause (the unique partial index), escalated when
-- nobody acknowledges, cleared when the cause ends.
CREATE TABLE alarms (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL,
    subject         text NOT NULL,
    parcel_id       uuid REFERENCES parcels (id),
    province_code   text,
    office_code     text,
    desk_code       text,
    level           integer NOT NULL DEFAULT 1,
    detail          json NOT NULL DEFAULT '{}',
    due_at          timestamptz NOT NULL,
    raised_at       timestamptz NOT NULL,
    escalated_at    timestamptz,
    acknowledged_at timestamptz,
    acknowledged_by bigint REFERENCES users (id),
    cleared_at      timestamptz
);
CREATE UNIQUE INDEX alarms_one_open ON alarms (kind, subject) WHERE cleared_at IS NULL;
CREATE INDEX alarms_open_idx ON alarms (raised_at) WHERE cleared_at IS NULL;
CREATE INDEX alarms_parcel_idx ON alarms (parcel_id);

-- Side effects written in the same transaction as the event that causes them:
-- portal callbacks and citizen notifications, delivered at least once, in order
-- per dossier by the relay.
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    topic       text NOT NULL CHECK (topic IN ('portal', 'notify')),
    event_id    uuid REFERENCES events (id),
    parcel_id   uuid REFERENCES parcels (id),
    order_key   text NOT NULL,
    target      text NOT NULL DEFAULT '',
    payload     json NOT NULL,
    created_at  timestamptz NOT NULL,
    next_at     timestamptz NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    last_error  text NOT NULL DEFAULT '',
    sent_at     timestamptz,
    dead_at     timestamptz,
    discarded_at timestamptz,
    discarded_by bigint REFERENCES users (id)
);
CREATE INDEX outbox_due_idx ON outbox (next_at) WHERE sent_at IS NULL AND dead_at IS NULL AND discarded_at IS NULL;
CREATE INDEX outbox_order_idx ON outbox (topic, order_key, id) WHERE sent_at IS NULL AND discarded_at IS NULL;
CREATE INDEX outbox_dead_idx ON outbox (dead_at) WHERE dead_at IS NOT NULL AND sent_at IS NULL AND discarded_at IS NULL;

-- Courier events as received: every id once; rejected ones are kept for the
-- dispatcher, never dropped.
CREATE TABLE device_events (
    id           uuid PRIMARY KEY,
    user_id      bigint REFERENCES users (id),
    device_id    text NOT NULL DEFAULT '',
    type         text NOT NULL,
    tracking_number text NOT NULL,
    raw          json NOT NULL,
    signature    bytea,
    status       text NOT NULL CHECK (status IN ('accepted', 'rejected')),
    error_code   text NOT NULL DEFAULT '',
    error_message text NOT NULL DEFAULT '',
    received_at  timestamptz NOT NULL,
    tries        integer NOT NULL DEFAULT 1,
    resolved_at  timestamptz,
    resolved_by  bigint REFERENCES users (id)
);
CREATE INDEX device_events_rejected_idx ON device_events (received_at) WHERE status = 'rejected' AND resolved_at IS NULL;

-- Evidence images (signatures, photos) referenced from events by SHA-256.
CREATE TABLE evidence (
    sha256      bytea PRIMARY KEY,
    parcel_id   uuid NOT NULL REFERENCES parcels (id),
    kind        text NOT NULL CHECK (kind IN ('signature', 'photo')),
    content_type text NOT NULL,
    body        bytea NOT NULL,
    created_at  timestamptz NOT NULL
);

-- One root a day over every parcel's chain head, so any later edit of a past
-- day's events is detectable from the roots alone.
CREATE TABLE ledger_roots (
    day        date PRIMARY KEY,
    root       bytea NOT NULL,
    parcels    integer NOT NULL,
    max_seq    bigint NOT NULL,
    created_at timestamptz NOT NULL
);

-- Protect the history tables of the ledger like events.
CREATE TRIGGER custody_no_delete BEFORE DELETE OR TRUNCATE ON custody
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();
CREATE TRIGGER ledger_roots_no_update BEFORE UPDATE OR DELETE OR TRUNCATE ON ledger_roots
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

-- The citizen's own request: a short-lived flow proven by a one-time code
-- sent to the phone. Only the hash of the flow token is kept.
CREATE TABLE citizen_flows (
    token_hash   bytea PRIMARY KEY,
    dossier_code text NOT NULL,
    phone_enc    bytea NOT NULL,
    phone_hash   bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL,
    verified_at  timestamptz,
    attempts     integer NOT NULL DEFAULT 0,
    parcel_id    uuid REFERENCES parcels (id)
);
CREATE INDEX citizen_flows_expires_idx ON citizen_flows (expires_at);
CREATE INDEX citizen_flows_phone_idx ON citizen_flows (phone_hash, created_at);

-- Small settings and markers (for example that the demo was seeded).
CREATE TABLE meta (
    key   text PRIMARY KEY,
    value text NOT NULL,
    updated_at timestamptz NOT NULL
);

-- When the postal legs will have used the set share of the time between the
-- request and the dossier's legal deadline (set at intake).
ALTER TABLE parcels ADD COLUMN risk_at timestamptz;
CREATE INDEX parcels_risk_idx ON parcels (risk_at)
    WHERE leg = 'pickup' AND status IN ('requested', 'scheduled', 'pickup_failed', 'collected', 'at_office', 'to_desk');
CREATE INDEX parcels_unzoned_idx ON parcels (created_at) WHERE office_code IS NULL AND status = 'requested';

-- Ledger writes update a parcel's projection on every event; room on each
-- page lets most of those updates stay HOT (no index entries when no indexed
-- column changes).
ALTER TABLE parcels SET (fillfactor = 70);

-- The courier app's device keys: each event recorded on the device is
-- signed with the key registered at login, so what was recorded offline
-- cannot be edited before it syncs.
CREATE TABLE device_keys (
    id          bigserial PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id   text NOT NULL,
    alg         text NOT NULL CHECK (alg IN ('ES256', 'Ed25519')),
    public_key  bytea NOT NULL,
    created_at  timestamptz NOT NULL,
    revoked_at  timestamptz
);
CREATE UNIQUE INDEX device_keys_one_live ON device_keys (user_id, device_id) WHERE revoked_at IS NULL;

-- One-time codes a citizen reads out at the door (collection or delivery);
-- only the keyed hash is kept.
CREATE TABLE door_codes (
    parcel_id  uuid NOT NULL REFERENCES parcels (id),
    purpose    text NOT NULL CHECK (purpose IN ('collect', 'deliver')),
    code_hash  bytea NOT NULL,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    attempts   integer NOT NULL DEFAULT 0,
    used_at    timestamptz,
    PRIMARY KEY (parcel_id, purpose)
);

ALTER TABLE parcels ADD COLUMN route_stop integer;

CREATE SEQUENCE manifest_seq;
CREATE INDEX parcels_return_of_idx ON parcels (return_of) WHERE return_of IS NOT NULL;

-- The address's H3 cell at resolution 9 (about 0.1 km²), for zoning and maps.
ALTER TABLE parcels ADD COLUMN cell bigint;
