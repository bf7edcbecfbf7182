-- Outbox relay and citizen notifications: the claim's fencing token and the
-- start of a row's retry window, a wake-up signal when rows commit, and the
-- notification side's opt-outs, opt-out links, per-citizen daily counters
-- and provider tokens.

ALTER TABLE outbox
    ADD COLUMN claim_token      uuid,
    ADD COLUMN first_attempt_at timestamptz,
    ADD COLUMN manual_retries   integer NOT NULL DEFAULT 0 CHECK (manual_retries >= 0),
    ADD COLUMN result           text NOT NULL DEFAULT '';
-- The relay's claim walks a topic's due rows in (next_at, id) order and
-- stops at the first heads it finds.
CREATE INDEX outbox_claim_idx ON outbox (topic, next_at, id)
    WHERE sent_at IS NULL AND dead_at IS NULL AND discarded_at IS NULL;
-- Recent deliveries for the staff page.
CREATE INDEX outbox_sent_idx ON outbox (sent_at DESC) WHERE sent_at IS NOT NULL;
CREATE INDEX outbox_parcel_idx ON outbox (parcel_id);

-- The relay LISTENs on hoso_outbox: a commit that adds rows wakes it at
-- once instead of at its next poll. One signal per statement (COPY fires it
-- once per batch).
CREATE FUNCTION outbox_wake() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hoso_outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_wake AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_wake();

-- Citizens who asked for no more messages, by the keyed hash of their phone
-- (never the phone). Opting back in deletes the row.
CREATE TABLE notify_optouts (
    phone_hash bytea PRIMARY KEY,
    via        text NOT NULL CHECK (via IN ('reply', 'link', 'staff')),
    at         timestamptz NOT NULL
);

-- The opt-out link of a parcel's messages: only the hash of its token. The
-- link goes out in the first message that reaches the citizen (announced_at).
CREATE TABLE notify_links (
    token_hash   bytea PRIMARY KEY,
    parcel_id    uuid NOT NULL UNIQUE REFERENCES parcels (id),
    phone_hash   bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    announced_at timestamptz
);

-- Messages sent to one phone on one day (Vietnam date), for the daily cap.
CREATE TABLE notify_counters (
    phone_hash bytea NOT NULL,
    day        date NOT NULL,
    sent       integer NOT NULL DEFAULT 0 CHECK (sent >= 0),
    PRIMARY KEY (phone_hash, day)
);
CREATE INDEX notify_counters_day_idx ON notify_counters (day);

-- Provider credentials that rotate (Zalo's refresh token changes on every
-- refresh), sealed with the data key. One row per provider; refreshed under
-- its row lock so two servers never rotate at once.
CREATE TABLE notify_tokens (
    provider    text PRIMARY KEY,
    access_enc  bytea NOT NULL,
    refresh_enc bytea NOT NULL,
    expires_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL
);
