-- The public timeline is cached in each instance and invalidated by NOTIFY on
-- channel hoso_public, sent by triggers in the transaction that changes what
-- the timeline shows (delivered at its commit, dropped on rollback). The
-- payload is the parcel's id, or '*' when something many timelines show
-- changed (a desk's or post office's name, a courier's office). Triggers
-- rather than statements in each store method: every writer is covered,
-- including the ledger's set-based append (its UPDATE of the parcels'
-- projection fires once per parcel), staff tools and hand-written SQL.
-- PostgreSQL folds identical notifications of one transaction into one.

CREATE FUNCTION public_parcel_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('hoso_public', OLD.id::text);
    ELSE
        PERFORM pg_notify('hoso_public', NEW.id::text);
    END IF;
    RETURN NULL;
END $$;
-- Every event appended updates its parcel's projection (event_count) in the
-- same transaction, so this also covers new events.
CREATE TRIGGER parcels_public_changed AFTER UPDATE OR DELETE ON parcels
    FOR EACH ROW EXECUTE FUNCTION public_parcel_changed();

CREATE FUNCTION public_part_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('hoso_public', OLD.parcel_id::text);
    ELSE
        PERFORM pg_notify('hoso_public', NEW.parcel_id::text);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER parcel_documents_public_changed AFTER INSERT OR UPDATE OR DELETE ON parcel_documents
    FOR EACH ROW EXECUTE FUNCTION public_part_changed();
CREATE TRIGGER pickup_windows_public_changed AFTER INSERT OR UPDATE OR DELETE ON pickup_windows
    FOR EACH ROW EXECUTE FUNCTION public_part_changed();

-- A dossier's code, procedure or deadline: its parcels.
CREATE FUNCTION public_dossier_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hoso_public', p.id::text) FROM parcels p WHERE p.dossier_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER dossiers_public_changed AFTER UPDATE ON dossiers
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*) EXECUTE FUNCTION public_dossier_changed();

-- Names shown on many timelines, and TRUNCATE (no row triggers): every
-- timeline.
CREATE FUNCTION public_all_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hoso_public', '*');
    RETURN NULL;
END $$;
CREATE TRIGGER desks_public_changed AFTER INSERT OR DELETE ON desks
    FOR EACH ROW EXECUTE FUNCTION public_all_changed();
CREATE TRIGGER desks_public_renamed AFTER UPDATE ON desks
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.code IS DISTINCT FROM NEW.code)
    EXECUTE FUNCTION public_all_changed();
CREATE TRIGGER post_offices_public_changed AFTER INSERT OR DELETE ON post_offices
    FOR EACH ROW EXECUTE FUNCTION public_all_changed();
CREATE TRIGGER post_offices_public_renamed AFTER UPDATE ON post_offices
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.code IS DISTINCT FROM NEW.code)
    EXECUTE FUNCTION public_all_changed();
-- A courier is named by the office of the user with its staff code.
CREATE TRIGGER users_public_changed AFTER INSERT OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION public_all_changed();
CREATE TRIGGER users_public_moved AFTER UPDATE ON users
    FOR EACH ROW WHEN (OLD.staff_code IS DISTINCT FROM NEW.staff_code OR OLD.office_code IS DISTINCT FROM NEW.office_code)
    EXECUTE FUNCTION public_all_changed();

-- TRUNCATE fires no row trigger.
CREATE TRIGGER parcels_public_truncated AFTER TRUNCATE ON parcels
    FOR EACH STATEMENT EXECUTE FUNCTION public_all_changed();
CREATE TRIGGER parcel_documents_public_truncated AFTER TRUNCATE ON parcel_documents
    FOR EACH STATEMENT EXECUTE FUNCTION public_all_changed();
CREATE TRIGGER pickup_windows_public_truncated AFTER TRUNCATE ON pickup_windows
    FOR EACH STATEMENT EXECUTE FUNCTION public_all_changed();
CREATE TRIGGER dossiers_public_truncated AFTER TRUNCATE ON dossiers
    FOR EACH STATEMENT EXECUTE FUNCTION public_all_changed();
CREATE TRIGGER desks_public_truncated AFTER TRUNCATE ON desks
    FOR EACH STATEMENT EXECUTE FUNCTION public_all_changed();
CREATE TRIGGER post_offices_public_truncated AFTER TRUNCATE ON post_offices
    FOR EACH STATEMENT EXECUTE FUNCTION public_all_changed();
CREATE TRIGGER users_public_truncated AFTER TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION public_all_changed();
