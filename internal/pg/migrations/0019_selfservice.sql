-- The citizen's self-service on the tracking page (issue 18 items 1, 2).

-- A one-time-code session proves either a new request (the request form)
-- or that a parcel is the visitor's (self-service on its tracking page,
-- then parcel_id is the parcel it proves from the start).
ALTER TABLE citizen_flows ADD COLUMN purpose text NOT NULL DEFAULT 'request'
    CHECK (purpose IN ('request', 'selfservice'));
ALTER TABLE citizen_flows ADD CONSTRAINT citizen_flows_selfservice_parcel
    CHECK (purpose = 'request' OR parcel_id IS NOT NULL);

-- A request a citizen or a clerk made for a dossier of a portal is reported
-- to the portal client registered for the desk's province (the client
-- chosen when the request is made).
ALTER TABLE parcels ADD COLUMN report_client_id text REFERENCES portal_clients (id);
ALTER TABLE parcels ADD CONSTRAINT parcels_report_client_not_portal
    CHECK (report_client_id IS NULL OR portal_client_id IS NULL);
