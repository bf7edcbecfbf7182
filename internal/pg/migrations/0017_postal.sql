-- Issue 21: the postal and portal systems' languages.
--
-- Offices and desks get their national postal code (mã bưu chính, five
-- digits): the code a postal system knows them by in EMSEVT records. Our
-- internal codes stay internal; '' means not known yet.
ALTER TABLE post_offices ADD COLUMN postal_code text NOT NULL DEFAULT '' CHECK (postal_code ~ '^([0-9]{5})?$');
ALTER TABLE desks ADD COLUMN postal_code text NOT NULL DEFAULT '' CHECK (postal_code ~ '^([0-9]{5})?$');

-- A portal client chooses the shape of its callbacks: ours (contracts/api.md)
-- or the national portal's DongBoHoSoMC as OpenCPS implements it.
ALTER TABLE portal_clients ADD COLUMN callback_shape text NOT NULL DEFAULT 'hoso'
    CHECK (callback_shape IN ('hoso', 'opencps'));

-- Postal systems pulling EMSEVT records (GET /api/v1/postal/events): a
-- client credential of their own, scoped to one province or one office,
-- signed like the portal API. The secret is sealed with the data key.
CREATE TABLE postal_clients (
    id            text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_.-]{2,64}$'),
    name          text NOT NULL DEFAULT '',
    province_code text REFERENCES provinces (code),
    office_code   text REFERENCES post_offices (code),
    secret_enc    bytea NOT NULL,
    active        boolean NOT NULL DEFAULT true,
    demo          boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((province_code IS NULL) <> (office_code IS NULL))
);

-- Nonces seen from each postal client; pruned after ten minutes.
CREATE TABLE postal_nonces (
    client_id text NOT NULL REFERENCES postal_clients (id) ON DELETE CASCADE,
    nonce     text NOT NULL,
    seen_at   timestamptz NOT NULL,
    PRIMARY KEY (client_id, nonce)
);
CREATE INDEX postal_nonces_seen_idx ON postal_nonces (seen_at);
