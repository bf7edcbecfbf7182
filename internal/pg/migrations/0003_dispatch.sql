-- Dispatch: post offices' zones on H3 cells, couriers' shifts and absences,
-- plans with their versions (routes, stops, unplaced requests) and the
-- dispatcher's pins.

-- A zone is the set of res-7 H3 cells of an office. The cell is the primary
-- key, so a cell belongs to at most one office whatever the code does; the
-- resolution is fixed and checked against the bits of the index (bits 52-55
-- hold the resolution, bits 59-62 the mode, 1 for a cell), so no office can
-- claim a coarser cell that contains another office's cells either.
CREATE TABLE zone_cells (
    cell        bigint PRIMARY KEY,
    res         smallint NOT NULL,
    office_code text NOT NULL REFERENCES post_offices (code) ON DELETE CASCADE,
    added_at    timestamptz NOT NULL,
    CHECK (res = 7),
    CHECK (res = ((cell >> 52) & 15)),
    CHECK (((cell >> 59) & 15) = 1)
);
CREATE INDEX zone_cells_office_idx ON zone_cells (office_code);

-- One shift per courier and day. Times are minutes after midnight, Vietnam
-- time; a place left NULL is the office.
CREATE TABLE courier_shifts (
    id          bigserial PRIMARY KEY,
    courier_ref text NOT NULL REFERENCES users (staff_code),
    office_code text NOT NULL REFERENCES post_offices (code),
    day         date NOT NULL,
    start_min   smallint NOT NULL CHECK (start_min BETWEEN 0 AND 1440),
    end_min     smallint NOT NULL CHECK (end_min BETWEEN 0 AND 1440),
    start_lat   double precision CHECK (start_lat BETWEEN -90 AND 90),
    start_lng   double precision CHECK (start_lng BETWEEN -180 AND 180),
    end_lat     double precision CHECK (end_lat BETWEEN -90 AND 90),
    end_lng     double precision CHECK (end_lng BETWEEN -180 AND 180),
    capacity    integer NOT NULL CHECK (capacity > 0),
    max_stops   integer NOT NULL DEFAULT 0 CHECK (max_stops >= 0),
    vehicle     text NOT NULL CHECK (vehicle IN ('motorbike', 'bicycle', 'car', 'walking')),
    cod         boolean NOT NULL DEFAULT false,
    demo        boolean NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    CHECK (end_min > start_min),
    CHECK ((start_lat IS NULL) = (start_lng IS NULL)),
    CHECK ((end_lat IS NULL) = (end_lng IS NULL)),
    UNIQUE (courier_ref, day)
);
CREATE INDEX courier_shifts_office_day_idx ON courier_shifts (office_code, day);

-- A courier absent for part of a day (late: from the shift's start to the
-- arrival) or the whole day (0 to 1440).
CREATE TABLE courier_absences (
    id          bigserial PRIMARY KEY,
    courier_ref text NOT NULL REFERENCES users (staff_code),
    day         date NOT NULL,
    from_min    smallint NOT NULL CHECK (from_min BETWEEN 0 AND 1440),
    to_min      smallint NOT NULL CHECK (to_min BETWEEN 0 AND 1440),
    reason      text NOT NULL DEFAULT '' CHECK (length(reason) <= 300),
    created_at  timestamptz NOT NULL,
    CHECK (to_min > from_min)
);
CREATE INDEX courier_absences_day_idx ON courier_absences (day, courier_ref);

-- Every plan or re-plan of an office's day is a new version; at most one
-- version of a day is published at a time.
CREATE TABLE dispatch_plans (
    id           bigserial PRIMARY KEY,
    office_code  text NOT NULL REFERENCES post_offices (code),
    day          date NOT NULL,
    version      integer NOT NULL CHECK (version >= 1),
    status       text NOT NULL CHECK (status IN ('draft', 'published', 'superseded')),
    reason       text NOT NULL DEFAULT '',
    distance_m   double precision NOT NULL DEFAULT 0 CHECK (distance_m >= 0),
    cost         double precision NOT NULL DEFAULT 0,
    created_at   timestamptz NOT NULL,
    created_by   text NOT NULL DEFAULT '',
    published_at timestamptz,
    demo         boolean NOT NULL DEFAULT false,
    UNIQUE (office_code, day, version),
    CHECK (status = 'draft' OR published_at IS NOT NULL)
);
CREATE UNIQUE INDEX dispatch_plans_one_published ON dispatch_plans (office_code, day) WHERE status = 'published';

CREATE TABLE plan_routes (
    plan_id     bigint NOT NULL REFERENCES dispatch_plans (id) ON DELETE CASCADE,
    courier_ref text NOT NULL,
    shift_id    bigint REFERENCES courier_shifts (id) ON DELETE SET NULL,
    vehicle     text NOT NULL,
    departs_at  timestamptz,
    returns_at  timestamptz,
    distance_m  double precision NOT NULL CHECK (distance_m >= 0),
    load        integer NOT NULL CHECK (load >= 0),
    PRIMARY KEY (plan_id, courier_ref)
);

-- A parcel is at most one stop of a plan, and at most one unplaced line.
CREATE TABLE plan_stops (
    plan_id      bigint NOT NULL,
    courier_ref  text NOT NULL,
    seq          integer NOT NULL CHECK (seq >= 1),
    parcel_id    uuid NOT NULL REFERENCES parcels (id),
    window_start timestamptz NOT NULL,
    window_end   timestamptz NOT NULL,
    eta          timestamptz NOT NULL,
    departs_at   timestamptz NOT NULL,
    load         integer NOT NULL CHECK (load >= 1),
    documents    integer NOT NULL DEFAULT 0 CHECK (documents >= 0),
    lat          double precision NOT NULL,
    lng          double precision NOT NULL,
    pinned       boolean NOT NULL DEFAULT false,
    visited      boolean NOT NULL DEFAULT false,
    PRIMARY KEY (plan_id, parcel_id),
    UNIQUE (plan_id, courier_ref, seq),
    FOREIGN KEY (plan_id, courier_ref) REFERENCES plan_routes (plan_id, courier_ref) ON DELETE CASCADE,
    CHECK (window_end >= window_start)
);

CREATE TABLE plan_unplaced (
    plan_id   bigint NOT NULL REFERENCES dispatch_plans (id) ON DELETE CASCADE,
    parcel_id uuid NOT NULL REFERENCES parcels (id),
    reason    text NOT NULL,
    PRIMARY KEY (plan_id, parcel_id)
);

-- A dispatcher's pin keeps a request on one courier through the day's
-- re-plans.
CREATE TABLE dispatch_pins (
    parcel_id   uuid NOT NULL REFERENCES parcels (id),
    day         date NOT NULL,
    courier_ref text NOT NULL REFERENCES users (staff_code),
    office_code text NOT NULL REFERENCES post_offices (code),
    created_at  timestamptz NOT NULL,
    created_by  text NOT NULL DEFAULT '',
    PRIMARY KEY (parcel_id, day)
);
CREATE INDEX dispatch_pins_office_day_idx ON dispatch_pins (office_code, day);
