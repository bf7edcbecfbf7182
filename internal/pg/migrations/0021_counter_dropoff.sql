-- Issue 18 items 3 and 4: counter drop-off and digitised documents
-- (Circular 03/2025/TT-VPCP).
--
-- Each document line's disposition at the door or counter: carried as an
-- original, shown and handed back, scanned and kept, or not needed (the
-- data is in VNeID or a national database). NULL for lines collected
-- before dispositions existed: they carried their originals.
ALTER TABLE parcel_documents ADD COLUMN disposition text
    CHECK (disposition IN ('original', 'shown', 'scanned', 'not_needed'));

-- The scans of documents kept instead of their paper. The body is sealed
-- with the data key (the secret box, context "scan:<parcel id>"); its
-- SHA-256 (of the clear bytes) is what the collection event names. Never
-- served on a public page.
CREATE TABLE document_scans (
    sha256       bytea PRIMARY KEY CHECK (octet_length(sha256) = 32),
    parcel_id    uuid NOT NULL REFERENCES parcels (id),
    line         integer NOT NULL CHECK (line BETWEEN 1 AND 50),
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'application/pdf')),
    size         integer NOT NULL CHECK (size > 0),
    body_sealed  bytea NOT NULL,
    created_by   bigint REFERENCES users (id),
    created_at   timestamptz NOT NULL
);
CREATE INDEX document_scans_parcel_idx ON document_scans (parcel_id, line);
