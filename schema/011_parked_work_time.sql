-- 挂账 in working time (issue 17, API.md §4: "unpark moves deadline_at later by the time spent
-- parked"). For a category whose limit is in working time the clock that stops while a ticket is
-- parked is the working-time clock, so the time parked is kept in both measures: parked_seconds
-- (009, calendar seconds) for calendar-hour categories, parked_work_seconds (the working time of
-- the city's calendar inside each parked interval, measured when the ticket is unparked) for
-- working-time ones. A deadline recomputed later (set_category, possibly to the other kind of
-- category) adds the one its new category counts in.
ALTER TABLE reports ADD COLUMN parked_work_seconds INTEGER NOT NULL DEFAULT 0 CHECK (parked_work_seconds >= 0);
