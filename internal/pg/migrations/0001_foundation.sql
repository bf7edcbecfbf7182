-- Foundation: reference units, desks, post offices, portal clients, staff,
-- sessions, idempotency, pickup requests and the append-only event table.

CREATE TABLE provinces (
    code       text PRIMARY KEY CHECK (code ~ '^[0-9]{2}$'),
    name       text NOT NULL,
    full_name  text NOT NULL,
    lat        double precision NOT NULL,
    lng        double precision NOT NULL
);

CREATE TABLE communes (
    code          text PRIMARY KEY CHECK (code ~ '^[0-9]{5}$'),
    province_code text NOT NULL REFERENCES provinces (code),
    name          text NOT NULL,
    full_name     text NOT NULL,
    unit_type     text NOT NULL,
    lat           double precision NOT NULL,
    lng           double precision NOT NULL
);
CREATE INDEX communes_province_idx ON communes (province_code);

CREATE TABLE desks (
    code          text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9_.-]{2,40}$'),
    name          text NOT NULL CHECK (name <> ''),
    level         text NOT NULL CHECK (level IN ('province', 'commune')),
    commune_code  text NOT NULL REFERENCES communes (code),
    province_code text NOT NULL REFERENCES provinces (code),
    address       text NOT NULL DEFAULT '',
    demo          boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX desks_province_idx ON desks (province_code);

CREATE TABLE post_offices (
    code          text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9_.-]{2,40}$'),
    name          text NOT NULL CHECK (name <> ''),
    commune_code  text NOT NULL REFERENCES communes (code),
    province_code text NOT NULL REFERENCES provinces (code),
    lat           double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lng           double precision NOT NULL CHECK (lng BETWEEN -180 AND 180),
    demo          boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX post_offices_province_idx ON post_offices (province_code);

CREATE TABLE portal_clients (
    id            text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_.-]{2,64}$'),
    name          text NOT NULL DEFAULT '',
    province_code text NOT NULL REFERENCES provinces (code),
    secret_enc    bytea NOT NULL,
    callback_url  text NOT NULL DEFAULT '',
    active        boolean NOT NULL DEFAULT true,
    demo          boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now()
);

-- Nonces seen from each portal client; pruned after ten minutes.
CREATE TABLE portal_nonces (
    client_id text NOT NULL REFERENCES portal_clients (id) ON DELETE CASCADE,
    nonce     text NOT NULL,
    seen_at   timestamptz NOT NULL,
    PRIMARY KEY (client_id, nonce)
);
CREATE INDEX portal_nonces_seen_idx ON portal_nonces (seen_at);

-- Stored first responses of idempotent requests, committed in the same
-- transaction as their effect; kept at least 24 hours.
CREATE TABLE idempotency_keys (
    scope        text NOT NULL,
    key          text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash bytea NOT NULL,
    status       integer NOT NULL,
    content_type text NOT NULL,
    body         bytea NOT NULL,
    created_at   timestamptz NOT NULL,
    PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (created_at);

CREATE TABLE users (
    id            bigserial PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9_.-]{3,40}$'),
    password_hash text NOT NULL,
    role          text NOT NULL CHECK (role IN ('admin', 'dispatcher', 'courier', 'post_office', 'desk')),
    full_name     text NOT NULL DEFAULT '',
    staff_code    text NOT NULL UNIQUE,
    province_code text REFERENCES provinces (code),
    office_code   text REFERENCES post_offices (code),
    desk_code     text REFERENCES desks (code),
    active        boolean NOT NULL DEFAULT true,
    demo          boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (role <> 'desk' OR desk_code IS NOT NULL),
    CHECK (role NOT IN ('courier', 'post_office') OR office_code IS NOT NULL),
    CHECK (role <> 'dispatcher' OR province_code IS NOT NULL),
    CHECK (desk_code IS NULL OR role = 'desk'),
    CHECK (office_code IS NULL OR role IN ('courier', 'post_office', 'dispatcher'))
);

-- Browser sessions: only the SHA-256 of the cookie value is kept.
CREATE TABLE sessions (
    token_hash  bytea PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    last_seen_at timestamptz NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);
CREATE INDEX sessions_expires_idx ON sessions (expires_at);

-- Bearer tokens of the courier app.
CREATE TABLE api_tokens (
    token_hash bytea PRIMARY KEY,
    user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    device_id  text NOT NULL CHECK (length(device_id) BETWEEN 1 AND 128),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX api_tokens_user_idx ON api_tokens (user_id);

-- S10 service letters and the sequence each allocates from. A sequence never
-- cycles, so a number is never reused.
CREATE TABLE s10_services (
    letters  text PRIMARY KEY CHECK (letters ~ '^[A-Z]{2}$'),
    sequence text NOT NULL UNIQUE
);

CREATE TABLE dossiers (
    id               uuid PRIMARY KEY,
    portal_client_id text REFERENCES portal_clients (id),
    code             text NOT NULL CHECK (length(code) BETWEEN 1 AND 100),
    procedure_code   text NOT NULL DEFAULT '',
    procedure_name   text NOT NULL DEFAULT '',
    desk_code        text NOT NULL REFERENCES desks (code),
    legal_deadline   date,
    return_by_post   boolean NOT NULL DEFAULT false,
    demo             boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL,
    UNIQUE NULLS NOT DISTINCT (portal_client_id, code)
);
CREATE INDEX dossiers_code_idx ON dossiers (code);

-- A parcel is one leg of a dossier's journey: the pickup of the originals or
-- the return of the result. Personal data: phone sealed with the data key,
-- CCCD kept only as a keyed hash and its last three digits.
CREATE TABLE parcels (
    id               uuid PRIMARY KEY,
    tracking_number  text NOT NULL UNIQUE CHECK (tracking_number ~ '^[A-Z]{2}[0-9]{9}[A-Z]{2}$'),
    leg              text NOT NULL CHECK (leg IN ('pickup', 'return')),
    dossier_id       uuid NOT NULL REFERENCES dossiers (id),
    status           text NOT NULL,
    channel          text NOT NULL CHECK (channel IN ('portal', 'citizen', 'clerk')),
    portal_client_id text REFERENCES portal_clients (id),
    created_by       bigint REFERENCES users (id),
    citizen_name     text NOT NULL CHECK (citizen_name <> ''),
    phone_enc        bytea NOT NULL,
    phone_hash       bytea NOT NULL,
    phone_last3      text NOT NULL CHECK (phone_last3 ~ '^[0-9]{3}$'),
    id_hash          bytea,
    id_last3         text CHECK (id_last3 ~ '^[0-9]{3}$'),
    province_code    text NOT NULL REFERENCES provinces (code),
    commune_code     text NOT NULL REFERENCES communes (code),
    address_line     text NOT NULL DEFAULT '',
    lat              double precision NOT NULL CHECK (lat BETWEEN -90 AND 90),
    lng              double precision NOT NULL CHECK (lng BETWEEN -180 AND 180),
    location_approx  boolean NOT NULL,
    desk_code        text NOT NULL REFERENCES desks (code),
    office_code      text REFERENCES post_offices (code),
    return_of        uuid REFERENCES parcels (id),
    fee_amount       bigint NOT NULL DEFAULT 0 CHECK (fee_amount >= 0),
    demo             boolean NOT NULL DEFAULT false,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    CHECK ((channel = 'portal') = (portal_client_id IS NOT NULL)),
    CHECK ((id_hash IS NULL) = (id_last3 IS NULL))
);
CREATE INDEX parcels_dossier_idx ON parcels (dossier_id);
CREATE INDEX parcels_phone_idx ON parcels (phone_hash);
CREATE INDEX parcels_desk_status_idx ON parcels (desk_code, status);
CREATE INDEX parcels_office_status_idx ON parcels (office_code, status);
CREATE INDEX parcels_created_idx ON parcels (created_at);

CREATE TABLE parcel_documents (
    parcel_id uuid NOT NULL REFERENCES parcels (id),
    line      smallint NOT NULL CHECK (line >= 1),
    name      text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
    kind      text NOT NULL CHECK (kind IN ('original', 'certified_copy', 'copy')),
    count     smallint NOT NULL CHECK (count BETWEEN 1 AND 99),
    PRIMARY KEY (parcel_id, line)
);

CREATE TABLE pickup_windows (
    parcel_id uuid NOT NULL REFERENCES parcels (id),
    idx       smallint NOT NULL CHECK (idx BETWEEN 1 AND 4),
    starts_at timestamptz NOT NULL,
    ends_at   timestamptz NOT NULL,
    PRIMARY KEY (parcel_id, idx),
    CHECK (ends_at > starts_at AND ends_at - starts_at <= interval '4 hours')
);
CREATE INDEX pickup_windows_start_idx ON pickup_windows (starts_at);

-- The ledger: every change of a parcel, append-only. seq is the server's
-- arrival order; parcel_seq the order within one parcel, which the hash chain
-- follows.
CREATE TABLE events (
    seq         bigserial PRIMARY KEY,
    id          uuid NOT NULL UNIQUE,
    parcel_id   uuid NOT NULL REFERENCES parcels (id),
    parcel_seq  integer NOT NULL CHECK (parcel_seq >= 1),
    type        text NOT NULL,
    upu_code    text NOT NULL DEFAULT '',
    actor_kind  text NOT NULL,
    actor_ref   text NOT NULL DEFAULT '',
    device_at   timestamptz,
    server_at   timestamptz NOT NULL,
    lat         double precision,
    lng         double precision,
    data        json NOT NULL,
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL,
    UNIQUE (parcel_id, parcel_seq)
);
CREATE INDEX events_server_at_idx ON events (server_at);
CREATE INDEX events_type_idx ON events (type, server_at);

CREATE FUNCTION events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events are append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER events_no_update BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();

-- One-time codes sent by SMS (citizen requests, door confirmation): only the
-- keyed hash of the code is kept.
CREATE TABLE otp_codes (
    id          uuid PRIMARY KEY,
    purpose     text NOT NULL,
    subject     text NOT NULL,
    code_hash   bytea NOT NULL,
    attempts    integer NOT NULL DEFAULT 0,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX otp_codes_subject_idx ON otp_codes (purpose, subject, created_at);

-- Messages handed to the SMS provider. The demo provider keeps the text so
-- staff can read it; a real gateway keeps only the status.
CREATE TABLE sms_messages (
    id          uuid PRIMARY KEY,
    phone_enc   bytea NOT NULL,
    phone_last3 text NOT NULL,
    body        text NOT NULL,
    provider    text NOT NULL,
    status      text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX sms_messages_created_idx ON sms_messages (created_at);

-- Every reveal of unmasked personal data.
CREATE TABLE audit_log (
    id         bigserial PRIMARY KEY,
    at         timestamptz NOT NULL,
    user_id    bigint REFERENCES users (id),
    action     text NOT NULL,
    subject    text NOT NULL,
    reason     text NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
