-- Security hardening: account lockouts and forced password changes, durable
-- budgets (one-time-code SMS per source and in all, wrong proofs on the
-- public timeline), spent proof-of-work challenges, and S10 serials drawn
-- through a keyed permutation so consecutive numbers cannot be walked.

-- Staff accounts. A temporary password (after a reset) must be changed at
-- the next sign-in; deactivated_at says when an account was switched off.
ALTER TABLE users
    ADD COLUMN must_change_password boolean NOT NULL DEFAULT false,
    ADD COLUMN password_changed_at  timestamptz,
    ADD COLUMN deactivated_at       timestamptz;

-- Consecutive failed sign-ins per normalised username, whether or not an
-- account has that name (so the answers never tell which names exist).
-- A row with locked_at stays locked until an admin lifts it or resets the
-- password; a successful sign-in deletes the row.
CREATE TABLE login_throttle (
    username       text PRIMARY KEY CHECK (username ~ '^[a-z0-9_.-]{3,40}$'),
    failures       integer NOT NULL CHECK (failures >= 0),
    last_failed_at timestamptz NOT NULL,
    locked_at      timestamptz
);

-- Daily counters shared by every server instance: one-time-code SMS per
-- source address (keyed hash) and in all, wrong proofs per parcel.
CREATE TABLE rate_counters (
    scope text NOT NULL CHECK (length(scope) BETWEEN 1 AND 40),
    key   bytea NOT NULL,
    day   date NOT NULL,
    n     integer NOT NULL CHECK (n >= 0),
    PRIMARY KEY (scope, key, day)
);
CREATE INDEX rate_counters_day_idx ON rate_counters (day);

-- Proof-of-work challenges already used: each is good once.
CREATE TABLE spent_challenges (
    id         bytea PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
CREATE INDEX spent_challenges_expires_idx ON spent_challenges (expires_at);

-- S10 serials: the sequence's n-th value is passed through a keyed
-- permutation of [0, 10^8). The key is random per service, made once and
-- never changed (another key would map later values onto numbers already
-- issued). Serials up to legacy_max were issued consecutively before this
-- migration; the permutation's outputs in that range are skipped so none is
-- issued twice.
ALTER TABLE s10_services
    ADD COLUMN perm_key bytea NOT NULL
        DEFAULT decode(replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''), 'hex')
        CHECK (length(perm_key) = 32),
    ADD COLUMN legacy_max bigint NOT NULL DEFAULT 0 CHECK (legacy_max BETWEEN 0 AND 99999999);

DO $$
DECLARE
    r record;
    last bigint;
BEGIN
    FOR r IN SELECT letters, sequence FROM s10_services LOOP
        EXECUTE format('SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM %I', r.sequence) INTO last;
        UPDATE s10_services SET legacy_max = last WHERE letters = r.letters;
    END LOOP;
END $$;

CREATE FUNCTION s10_services_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 's10_services rows are never deleted: their numbers were issued';
    END IF;
    IF NEW.perm_key <> OLD.perm_key OR NEW.legacy_max <> OLD.legacy_max OR NEW.sequence <> OLD.sequence THEN
        RAISE EXCEPTION 'an S10 service''s key, sequence and legacy range never change once numbers were issued';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER s10_services_fixed BEFORE UPDATE OR DELETE ON s10_services
    FOR EACH ROW EXECUTE FUNCTION s10_services_fixed();
