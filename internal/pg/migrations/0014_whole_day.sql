-- The courier's whole day (issue 19): results to deliver are stops of the
-- day beside pickups; shifts carry a lunch break, a maximum route duration
-- and the communes the courier may enter; a route records where its break
-- is; the citizen (or a clerk, or a dispatcher) may choose a delivery
-- window among free slots.

ALTER TABLE courier_shifts
    ADD COLUMN break_from_min smallint NOT NULL DEFAULT 0 CHECK (break_from_min BETWEEN 0 AND 1440),
    ADD COLUMN break_to_min   smallint NOT NULL DEFAULT 0 CHECK (break_to_min BETWEEN 0 AND 1440),
    ADD COLUMN break_minutes  smallint NOT NULL DEFAULT 0 CHECK (break_minutes BETWEEN 0 AND 1440),
    ADD COLUMN max_minutes    smallint NOT NULL DEFAULT 0 CHECK (max_minutes BETWEEN 0 AND 1440),
    ADD COLUMN communes       text[] NOT NULL DEFAULT '{}',
    ADD CONSTRAINT courier_shifts_break_check CHECK (break_minutes = 0 OR
        (break_to_min >= break_from_min AND break_minutes <= end_min - start_min
         AND break_to_min >= start_min AND break_from_min + break_minutes <= end_min)),
    ADD CONSTRAINT courier_shifts_max_check CHECK (max_minutes = 0 OR max_minutes >= break_minutes);

-- A stop is a pickup or a delivery; after the last delivery the bag may be
-- empty.
ALTER TABLE plan_stops
    ADD COLUMN kind text NOT NULL DEFAULT 'pickup' CHECK (kind IN ('pickup', 'delivery')),
    DROP CONSTRAINT plan_stops_load_check,
    ADD CONSTRAINT plan_stops_load_check CHECK (load >= 0);

-- The break: after the first break_after stops (0: before leaving).
ALTER TABLE plan_routes
    ADD COLUMN break_after     integer CHECK (break_after >= 0),
    ADD COLUMN break_starts_at timestamptz,
    ADD COLUMN break_ends_at   timestamptz,
    ADD CONSTRAINT plan_routes_break_check CHECK ((break_after IS NULL) = (break_starts_at IS NULL)
        AND (break_after IS NULL) = (break_ends_at IS NULL) AND (break_ends_at IS NULL OR break_ends_at > break_starts_at));

-- The delivery window chosen for a result (one per parcel of the return
-- leg); without one the planner uses service hours.
CREATE TABLE delivery_windows (
    parcel_id  uuid PRIMARY KEY REFERENCES parcels (id),
    starts_at  timestamptz NOT NULL,
    ends_at    timestamptz NOT NULL,
    chosen_by  text NOT NULL CHECK (chosen_by IN ('citizen', 'portal', 'clerk', 'dispatcher')),
    chosen_at  timestamptz NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX delivery_windows_day_idx ON delivery_windows (starts_at);
