-- Evidence nobody can forge (issue 14, the door and the device).
--
-- Events: which canonical form their hash covers. Form 1 (hoso-event-v1)
-- is every event written before this migration; the server writes form 2
-- (hoso-event-v2, docs/ledger-format.md), whose hash also covers the device
-- key's fingerprint, the exact bytes the courier's device signed and the
-- signature. Rows written by raw SQL (benchmark fills) default to form 1.
ALTER TABLE events ADD COLUMN form smallint NOT NULL DEFAULT 1 CHECK (form IN (1, 2));
ALTER TABLE events ADD COLUMN device_key_id bigint REFERENCES device_keys (id);
ALTER TABLE events ADD COLUMN device_signed bytea;
ALTER TABLE events ADD COLUMN device_signature bytea;
ALTER TABLE events ADD CONSTRAINT events_device_whole
    CHECK ((device_key_id IS NULL) = (device_signed IS NULL) AND (device_signed IS NULL) = (device_signature IS NULL));
ALTER TABLE events ADD CONSTRAINT events_device_v2 CHECK (device_key_id IS NULL OR form = 2);

-- Device keys are revoked, never deleted or edited: every signed event
-- stays checkable against the key that was live when it arrived. The only
-- change a row accepts is its revocation, once.
CREATE FUNCTION device_keys_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'device keys are revoked, never deleted';
    END IF;
    IF NEW.id <> OLD.id OR NEW.user_id <> OLD.user_id OR NEW.device_id <> OLD.device_id OR NEW.alg <> OLD.alg
        OR NEW.public_key <> OLD.public_key OR NEW.created_at <> OLD.created_at
        OR (OLD.revoked_at IS NOT NULL AND NEW.revoked_at IS DISTINCT FROM OLD.revoked_at) THEN
        RAISE EXCEPTION 'a device key changes only by its revocation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER device_keys_guard BEFORE UPDATE OR DELETE ON device_keys
    FOR EACH ROW EXECUTE FUNCTION device_keys_guard();
CREATE TRIGGER device_keys_no_truncate BEFORE TRUNCATE ON device_keys
    FOR EACH STATEMENT EXECUTE FUNCTION events_append_only();
CREATE INDEX device_keys_user_idx ON device_keys (user_id, created_at);

-- A door code is used by exactly one event (the id whose signed commitment
-- it matched); the same event sent again finds it used by itself.
ALTER TABLE door_codes ADD COLUMN used_by uuid;

-- Failed proofs a courier's device sent for a parcel (typed CCCD digits, a
-- QR of another card): a few guesses, then the method is locked for it.
CREATE TABLE proof_failures (
    parcel_id uuid NOT NULL REFERENCES parcels (id),
    method    text NOT NULL CHECK (method IN ('cccd_qr', 'id_digits')),
    failures  integer NOT NULL DEFAULT 0 CHECK (failures >= 0),
    last_at   timestamptz NOT NULL,
    PRIMARY KEY (parcel_id, method)
);

-- Rejected submissions are all kept: from the courier app and from the
-- office and desk pages (device_id ''), under a server-made id when the id
-- sent is not a UUID or belongs to another sender's event (client_id keeps
-- what was sent). The sender's office and province at the time let a
-- province's dispatcher page through every rejection of the province.
ALTER TABLE device_events ADD COLUMN client_id text;
ALTER TABLE device_events ADD COLUMN office_code text;
ALTER TABLE device_events ADD COLUMN province_code text;
UPDATE device_events de SET office_code = u.office_code, province_code = u.province_code
    FROM users u WHERE u.id = de.user_id;
CREATE INDEX device_events_rejected_province_idx ON device_events (province_code, received_at DESC, id)
    WHERE status = 'rejected' AND resolved_at IS NULL;
