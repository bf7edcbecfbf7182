-- The working-day calendar (issue 18 item 5): deadlines for administrative
-- procedures run in working days. The public holidays (Labour Code 2019
-- Art. 112) follow the lunar calendar and the government's yearly
-- announcements, so they are a table the province's admin edits
-- (/nhan-vien/lich), not an algorithm: days off ('holiday') and make-up
-- working days on a weekend ('workday', "làm bù"). Each desk says whether it
-- receives citizens on Saturday morning (then Saturday counts as one of its
-- working days). tracking.Calendar holds the rules; calendar_add_working_days
-- below is the same rule for the alarm sweep's SQL (a test compares them).

CREATE TABLE calendar_days (
    day        date PRIMARY KEY CHECK (day BETWEEN '2020-01-01' AND '2100-12-31'),
    kind       text NOT NULL CHECK (kind IN ('holiday', 'workday')),
    name       text NOT NULL CHECK (name <> '' AND length(name) <= 120),
    -- A make-up day is a weekend day: a weekday already is a working day.
    CHECK (kind = 'holiday' OR extract(isodow FROM day) IN (6, 7)),
    created_by bigint REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE desks ADD COLUMN saturday_morning boolean NOT NULL DEFAULT false;

-- calendar_add_working_days is the n-th working day after d (n >= 0), for a
-- desk open on Saturday morning or not: tracking.Calendar.AddWorkingDays.
CREATE FUNCTION calendar_add_working_days(d date, n integer, saturday boolean) RETURNS date
LANGUAGE plpgsql STABLE AS $$
DECLARE
    k text;
BEGIN
    WHILE n > 0 LOOP
        d := d + 1;
        SELECT c.kind INTO k FROM calendar_days c WHERE c.day = d;
        IF k = 'workday' OR (k IS NULL AND (extract(isodow FROM d) < 6 OR (saturday AND extract(isodow FROM d) = 6))) THEN
            n := n - 1;
        END IF;
    END LOOP;
    RETURN d;
END $$;

-- The officially announced days of 2025 and 2026, for state employees (the
-- one-stop desks). Sources: for 2025 the Ministry of Labour's announcement
-- of the 2025 holidays (Thông báo 6150/TB-LĐTBXH of November 2024: Tết
-- Nguyên đán 25/1–2/2, 30/4–4/5 with Saturday 26/4 worked in exchange for
-- Friday 2/5, Quốc khánh 30/8–2/9 with Monday 1/9 as the adjacent day);
-- for 2026 the Ministry of Home Affairs' announcement (Tết Nguyên đán Bính
-- Ngọ 14/2–22/2; Giỗ Tổ 10/3 âm lịch falls on Sunday 26/4, so Monday 27/4
-- is taken in compensation, Art. 112(3)). The announcement numbers were not
-- verified against the official gazette. NOT CONFIRMED, named so on the
-- admin page: the day adjacent to Quốc khánh 2026 (1/9 or 3/9), and any
-- exchange of Friday 2/1/2026 for a Saturday; the proposed new holiday of
-- 24/11 (Ngày Văn hóa Việt Nam) is not seeded. The admin corrects these on
-- the page.
INSERT INTO calendar_days (day, kind, name) VALUES
    ('2025-01-01', 'holiday', 'Tết Dương lịch'),
    ('2025-01-25', 'holiday', 'Tết Nguyên đán'),
    ('2025-01-26', 'holiday', 'Tết Nguyên đán'),
    ('2025-01-27', 'holiday', 'Tết Nguyên đán'),
    ('2025-01-28', 'holiday', 'Tết Nguyên đán (29 tháng Chạp)'),
    ('2025-01-29', 'holiday', 'Tết Nguyên đán (mùng 1)'),
    ('2025-01-30', 'holiday', 'Tết Nguyên đán (mùng 2)'),
    ('2025-01-31', 'holiday', 'Tết Nguyên đán (mùng 3)'),
    ('2025-02-01', 'holiday', 'Tết Nguyên đán'),
    ('2025-02-02', 'holiday', 'Tết Nguyên đán'),
    ('2025-04-07', 'holiday', 'Giỗ Tổ Hùng Vương (10/3 âm lịch)'),
    ('2025-04-26', 'workday', 'Làm bù cho thứ Sáu 02/5'),
    ('2025-04-30', 'holiday', 'Ngày Chiến thắng (30/4)'),
    ('2025-05-01', 'holiday', 'Quốc tế Lao động (1/5)'),
    ('2025-05-02', 'holiday', 'Nghỉ hoán đổi (làm bù thứ Bảy 26/4)'),
    ('2025-08-30', 'holiday', 'Quốc khánh'),
    ('2025-08-31', 'holiday', 'Quốc khánh'),
    ('2025-09-01', 'holiday', 'Quốc khánh (ngày liền kề)'),
    ('2025-09-02', 'holiday', 'Quốc khánh (2/9)'),
    ('2026-01-01', 'holiday', 'Tết Dương lịch'),
    ('2026-02-14', 'holiday', 'Tết Nguyên đán'),
    ('2026-02-15', 'holiday', 'Tết Nguyên đán'),
    ('2026-02-16', 'holiday', 'Tết Nguyên đán (29 tháng Chạp)'),
    ('2026-02-17', 'holiday', 'Tết Nguyên đán (mùng 1)'),
    ('2026-02-18', 'holiday', 'Tết Nguyên đán (mùng 2)'),
    ('2026-02-19', 'holiday', 'Tết Nguyên đán (mùng 3)'),
    ('2026-02-20', 'holiday', 'Tết Nguyên đán (mùng 4)'),
    ('2026-02-21', 'holiday', 'Tết Nguyên đán'),
    ('2026-02-22', 'holiday', 'Tết Nguyên đán'),
    ('2026-04-26', 'holiday', 'Giỗ Tổ Hùng Vương (10/3 âm lịch)'),
    ('2026-04-27', 'holiday', 'Nghỉ bù Giỗ Tổ Hùng Vương'),
    ('2026-04-30', 'holiday', 'Ngày Chiến thắng (30/4)'),
    ('2026-05-01', 'holiday', 'Quốc tế Lao động (1/5)'),
    ('2026-09-01', 'holiday', 'Quốc khánh (ngày liền kề, chưa xác nhận)'),
    ('2026-09-02', 'holiday', 'Quốc khánh (2/9)');
