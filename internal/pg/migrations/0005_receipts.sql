-- Signed receipts: the door receipt of a collection (giấy biên nhận) and the
-- delivery receipt of a result (phiếu giao kết quả). content is the receipt
-- as signed (tracking.Receipt's JSON); signature is the server's Ed25519
-- signature over its canonical text, made inside the transaction that
-- recorded the event. Pages re-verify the signature against the stored
-- content on every view, so an edited row shows as not genuine.
CREATE TABLE receipts (
    code       text PRIMARY KEY CHECK (code ~ '^[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}$'),
    kind       text NOT NULL CHECK (kind IN ('pickup', 'delivery')),
    parcel_id  uuid NOT NULL REFERENCES parcels (id),
    event_id   uuid NOT NULL UNIQUE REFERENCES events (id),
    content    jsonb NOT NULL,
    signature  bytea NOT NULL CHECK (length(signature) = 64),
    key_id     text NOT NULL,
    signed_at  timestamptz NOT NULL,
    UNIQUE (parcel_id, kind)
);

-- Receipts are written once, like the ledger.
CREATE TRIGGER receipts_no_update BEFORE UPDATE OR DELETE ON receipts
    FOR EACH ROW EXECUTE FUNCTION events_append_only();
CREATE TRIGGER receipts_no_truncate BEFORE TRUNCATE ON receipts
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();
