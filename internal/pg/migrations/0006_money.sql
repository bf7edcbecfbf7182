-- Fees collected on delivery, reconciled per courier and day (the cash a
-- courier hands to the office), and the indexes the performance indicators
-- read.

-- When an event happened: the device's time when a courier's app recorded
-- it (possibly offline, synced later), else the server's. Fee days and
-- indicator periods count on this time. The index covers only the event
-- types the indicators and the fee reconciliation read, so the rest of the
-- ledger pays nothing for it. The time leads: a period is one range scan
-- (with type first, a query wanting all five types gets no condition on
-- type, since the planner drops the qual the predicate implies, and would
-- read the whole index); type second narrows the fee queries to deliveries
-- inside the same scan.
CREATE INDEX events_happened_idx ON events ((coalesce(device_at, server_at)), type)
    WHERE type IN ('pickup.collected', 'pickup.attempt_failed', 'delivery.attempt_failed',
                   'delivery.completed', 'handoff.disputed');

-- Custody periods by the time they ended: how long parcels wait at each hop.
CREATE INDEX custody_closed_idx ON custody (to_at) WHERE to_at IS NOT NULL;

-- The cash a courier handed to their office for the fees collected on one
-- day (Vietnam date of delivery.completed), as the office counted it.
-- expected and deliveries are the ledger's figures when the office
-- confirmed; a count that differs needs a note. Once per courier and day,
-- written once.
CREATE TABLE cash_handovers (
    id             bigserial PRIMARY KEY,
    courier_ref    text NOT NULL REFERENCES users (staff_code),
    office_code    text NOT NULL REFERENCES post_offices (code),
    day            date NOT NULL,
    deliveries     integer NOT NULL CHECK (deliveries >= 0),
    expected       bigint NOT NULL CHECK (expected >= 0),
    counted        bigint NOT NULL CHECK (counted >= 0),
    note           text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    statement_code text NOT NULL CHECK (statement_code <> ''),
    received_by    bigint NOT NULL REFERENCES users (id),
    received_at    timestamptz NOT NULL,
    CONSTRAINT cash_handovers_once UNIQUE (courier_ref, day),
    CONSTRAINT cash_handovers_note CHECK (counted = expected OR note <> '')
);
CREATE INDEX cash_handovers_office_day_idx ON cash_handovers (office_code, day);

CREATE TRIGGER cash_handovers_no_update BEFORE UPDATE OR DELETE ON cash_handovers
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER cash_handovers_no_truncate BEFORE TRUNCATE ON cash_handovers
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();
