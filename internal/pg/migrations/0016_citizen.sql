-- Issue 18, the citizen's side: the telephone of each post office and desk
-- (shown to the citizen beside whoever holds the papers), and dossier codes
-- found whatever their case, spaces, dashes or dots.

ALTER TABLE post_offices ADD COLUMN phone text NOT NULL DEFAULT ''
    CHECK (phone ~ '^(\+?[0-9][0-9 .]{5,18}[0-9])?$');
-- (desks have had their phone since migration 0015)

-- A phone is shown on every timeline its office or desk appears on.
DROP TRIGGER desks_public_renamed ON desks;
CREATE TRIGGER desks_public_renamed AFTER UPDATE ON desks
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.code IS DISTINCT FROM NEW.code OR OLD.phone IS DISTINCT FROM NEW.phone)
    EXECUTE FUNCTION public_all_changed();
DROP TRIGGER post_offices_public_renamed ON post_offices;
CREATE TRIGGER post_offices_public_renamed AFTER UPDATE ON post_offices
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.code IS DISTINCT FROM NEW.code OR OLD.phone IS DISTINCT FROM NEW.phone)
    EXECUTE FUNCTION public_all_changed();

-- The key a typed dossier code is looked up by: letters and digits only,
-- capitals (tracking.DossierKey computes the same in Go).
CREATE INDEX dossiers_code_key_idx ON dossiers (upper(regexp_replace(code, '[^A-Za-z0-9]', '', 'g')));

-- "Gửi lại mã": how many times a flow's code was sent again (at most 2).
ALTER TABLE citizen_flows ADD COLUMN resends integer NOT NULL DEFAULT 0 CHECK (resends BETWEEN 0 AND 2);

-- The law in force, cited on pages and papers from this one table the admin
-- edits (issue 18 item 9). The default names the decree in force since
-- 1 July 2025 and no article: an article number is added only once checked.
-- A replaced decree (61/2018, 107/2021) is never cited.
CREATE TABLE legal_citations (
    key        text PRIMARY KEY CHECK (key ~ '^[a-z_]{2,40}$'),
    label      text NOT NULL CHECK (label <> ''),
    citation   text NOT NULL CHECK (char_length(citation) BETWEEN 3 AND 300 AND citation !~ '61/2018|107/2021'),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by bigint REFERENCES users (id)
);
INSERT INTO legal_citations (key, label, citation) VALUES
    ('lost_original', 'Trách nhiệm khi làm mất, hỏng hồ sơ (sự cố, thất lạc bản chính, thư xin lỗi)', 'Nghị định 118/2025/NĐ-CP');
