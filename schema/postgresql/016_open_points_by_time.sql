-- Twin of schema/016: the open reports' points gain their creation time (min = max =
-- created_at), so that the possible-duplicates search can bound its window in the index instead
-- of reading every open report's row in its box. DOUBLE PRECISION like the other box columns: a
-- SQLite city copied here brings the R*Tree's values, 32-bit floats rounded outwards; the
-- reports' exact created_at still decides. The search's time condition is checked on the
-- points' own rows, before any report is read.
ALTER TABLE open_report_points
    ADD COLUMN min_created DOUBLE PRECISION,
    ADD COLUMN max_created DOUBLE PRECISION;
UPDATE open_report_points p SET min_created = r.created_at, max_created = r.created_at
    FROM reports r WHERE r.id = p.id;
ALTER TABLE open_report_points
    ALTER COLUMN min_created SET NOT NULL,
    ALTER COLUMN max_created SET NOT NULL;
