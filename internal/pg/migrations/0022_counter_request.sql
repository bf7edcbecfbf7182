-- A post office clerk may make the pickup request for a citizen who brings
-- the papers to the counter without one (issue 18 item 3): channel
-- 'counter', no window, the office named.
ALTER TABLE parcels DROP CONSTRAINT parcels_channel_check;
ALTER TABLE parcels ADD CONSTRAINT parcels_channel_check
    CHECK (channel IN ('portal', 'citizen', 'clerk', 'counter'));
ALTER TABLE parcels ADD CONSTRAINT parcels_counter_office_check
    CHECK (channel <> 'counter' OR (office_code IS NOT NULL AND created_by IS NOT NULL));
