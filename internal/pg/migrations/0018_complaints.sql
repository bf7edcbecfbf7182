-- Complaints and lost originals without a dispute (issue 17 item 6).
--
-- A citizen's complaint opens an incident of kind 'complaint' with no
-- ledger event: it never changes custody. A parcel quiet past its alarm
-- limit opens one of kind 'quiet', declared lost at once. Disputes keep
-- their event (the check below). One open complaint per parcel and
-- problem: a double submit finds the first. One quiet-parcel case per parcel.
ALTER TABLE incidents ALTER COLUMN event_id DROP NOT NULL;
ALTER TABLE incidents
    ADD COLUMN kind   text NOT NULL DEFAULT 'dispute' CHECK (kind IN ('dispute', 'complaint', 'quiet')),
    ADD COLUMN due_at timestamptz,
    -- The unit a complaint is routed to (kind:ref, a post office or a
    -- desk), chosen when it is reported; it sees and answers it.
    ADD COLUMN route_kind text CHECK (route_kind IN ('post_office', 'desk')),
    ADD COLUMN route_ref  text,
    ADD CONSTRAINT incidents_complaint_routed CHECK (kind <> 'complaint' OR (route_kind IS NOT NULL AND route_ref IS NOT NULL)),
    ADD CONSTRAINT incidents_dispute_has_event CHECK (kind <> 'dispute' OR event_id IS NOT NULL),
    ADD CONSTRAINT incidents_complaint_due CHECK (kind <> 'complaint' OR due_at IS NOT NULL);
CREATE UNIQUE INDEX incidents_one_open_complaint ON incidents (parcel_id, problem) WHERE kind = 'complaint' AND status = 'open';
CREATE INDEX incidents_route_idx ON incidents (route_kind, route_ref) WHERE route_kind IS NOT NULL;
CREATE UNIQUE INDEX incidents_one_quiet ON incidents (parcel_id) WHERE kind = 'quiet' AND status <> 'resolved';

-- What was reported cannot be rewritten: only the closing columns change.
CREATE FUNCTION refuse_incident_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'incidents are kept (DELETE refused)';
    END IF;
    IF NEW.id <> OLD.id OR NEW.parcel_id <> OLD.parcel_id OR NEW.kind <> OLD.kind OR NEW.problem <> OLD.problem
       OR (NEW.note <> OLD.note AND NEW.note <> '') OR NEW.created_at <> OLD.created_at OR NEW.missing_lines <> OLD.missing_lines
       OR NEW.last_custodian_kind <> OLD.last_custodian_kind OR NEW.last_custodian_ref <> OLD.last_custodian_ref
       OR NEW.due_at IS DISTINCT FROM OLD.due_at OR NEW.event_id IS DISTINCT FROM OLD.event_id
       OR NEW.route_kind IS DISTINCT FROM OLD.route_kind OR NEW.route_ref IS DISTINCT FROM OLD.route_ref THEN
        RAISE EXCEPTION 'what an incident reports cannot be rewritten';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER incidents_keep_report BEFORE UPDATE OR DELETE ON incidents
    FOR EACH ROW EXECUTE FUNCTION refuse_incident_rewrite();

-- Staff answers to a complaint: appended, never changed (a correction is a
-- new answer); each is also in the audit log.
CREATE TABLE complaint_answers (
    id          bigserial PRIMARY KEY,
    incident_id uuid NOT NULL REFERENCES incidents (id),
    body        text NOT NULL CHECK (length(body) BETWEEN 1 AND 2000),
    answered_by bigint NOT NULL REFERENCES users (id),
    unit        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL
);
CREATE INDEX complaint_answers_incident_idx ON complaint_answers (incident_id, id);

CREATE FUNCTION refuse_answer_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'complaint_answers is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER complaint_answers_append_only BEFORE UPDATE OR DELETE ON complaint_answers
    FOR EACH ROW EXECUTE FUNCTION refuse_answer_change();
CREATE TRIGGER complaint_answers_no_truncate BEFORE TRUNCATE ON complaint_answers
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_answer_change();

-- The tracking page shows a parcel's complaints and their answers: its
-- cached timeline is invalidated like the rest (migration 0007).
CREATE TRIGGER incidents_public_changed AFTER INSERT OR UPDATE ON incidents
    FOR EACH ROW EXECUTE FUNCTION public_part_changed();
CREATE FUNCTION public_answer_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hoso_public', i.parcel_id::text) FROM incidents i WHERE i.id = NEW.incident_id;
    RETURN NULL;
END $$;
CREATE TRIGGER complaint_answers_public_changed AFTER INSERT ON complaint_answers
    FOR EACH ROW EXECUTE FUNCTION public_answer_changed();
