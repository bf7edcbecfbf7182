-- Go live without the demo: reference data kept by its own pages (desks get
-- opening hours, a phone and an active flag; post offices an active flag:
-- once used they are switched off, never deleted), and an audit log that
-- can only grow.

ALTER TABLE desks
    ADD COLUMN hours      text NOT NULL DEFAULT '' CHECK (length(hours) <= 200),
    ADD COLUMN phone      text NOT NULL DEFAULT '' CHECK (phone ~ '^[0-9 .+()-]{0,20}$'),
    ADD COLUMN active     boolean NOT NULL DEFAULT true,
    ADD COLUMN updated_at timestamptz;

ALTER TABLE post_offices
    ADD COLUMN active     boolean NOT NULL DEFAULT true,
    ADD COLUMN updated_at timestamptz;

-- A desk or an office is never deleted: parcels, users, zones and manifests
-- keep naming it. Deactivate instead.
CREATE FUNCTION refuse_reference_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% % cannot be deleted: deactivate it', TG_TABLE_NAME, OLD.code
        USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER desks_no_delete BEFORE DELETE ON desks
    FOR EACH ROW EXECUTE FUNCTION refuse_reference_delete();
CREATE TRIGGER post_offices_no_delete BEFORE DELETE ON post_offices
    FOR EACH ROW EXECUTE FUNCTION refuse_reference_delete();

-- Portal clients rotate their secret with an overlap window: the previous
-- secret (sealed like the current one; empty when none) stays valid until
-- previous_until.
ALTER TABLE portal_clients
    ADD COLUMN previous_secret_enc bytea NOT NULL DEFAULT '',
    ADD COLUMN previous_until      timestamptz;

-- When each account last signed in (page or app); sign-ins are audited too.
ALTER TABLE users ADD COLUMN last_login_at timestamptz;

-- The audit log is append-only: every staff action is one row, kept.
CREATE FUNCTION refuse_audit_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION refuse_audit_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_audit_change();

CREATE INDEX audit_log_user_idx ON audit_log (user_id, at);
CREATE INDEX audit_log_subject_idx ON audit_log (subject, at);
CREATE INDEX audit_log_action_idx ON audit_log (action, at);
