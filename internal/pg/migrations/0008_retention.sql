-- Retention (docs/operations.md section 4): the housekeeping job erases a
-- parcel's personal data a year after its journey ended and deletes rows of
-- short-lived tables once their limit has passed, in small batches. These
-- indexes let every batch find its rows without reading the whole table.

-- When the parcel's name, phone and address line were erased; an erased
-- parcel is never processed again. The ledger's hash chain covers events
-- only (id, tracking number, type, actor, times, point, data, previous
-- hash), never these columns, so erasing them leaves `hoso verify` OK.
ALTER TABLE parcels ADD COLUMN erased_at timestamptz;
-- Parcels not yet erased in a status that ends a leg, by when it ended. A
-- partial index on columns the ledger's projection update does not change
-- (erased_at) keeps those updates HOT.
CREATE INDEX parcels_unerased_end_idx ON parcels (status_since)
    WHERE erased_at IS NULL AND status IN ('accepted', 'returned_incomplete', 'cancelled', 'delivered', 'returned_to_desk');

CREATE INDEX device_events_resolved_idx ON device_events (resolved_at)
    WHERE status = 'rejected' AND resolved_at IS NOT NULL;

-- A code is done when it was used or expired, whichever came first (least
-- ignores a NULL used_at).
CREATE INDEX door_codes_done_idx ON door_codes ((least(used_at, expires_at)));
CREATE INDEX otp_codes_done_idx ON otp_codes ((least(used_at, expires_at)));

CREATE INDEX api_tokens_expires_idx ON api_tokens (expires_at);
