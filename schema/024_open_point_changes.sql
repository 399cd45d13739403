-- Which reports' open points (open_report_points) were added, removed or re-categorised, in
-- commit order: SQLite has one writer, so a later commit always has later rows. Read jobs keep
-- a copy of the open points in memory (domain::OpenPointsIndex) and bring it up to their
-- snapshot from the rows past the last they applied, each joined to its point's state in that
-- snapshot (none: the point is gone). The store appends a row wherever it writes a point and
-- keeps only the last store::kKeptOpenPointChanges rows; a copy further behind loads every
-- point again. Before this, a possible-duplicates search read ~6 R*Tree pages on a city of 10 M
-- reports, half of an old ticket's page reads (docs/performance.md, session 18).
CREATE TABLE open_point_changes (
    seq       INTEGER PRIMARY KEY,
    report_id INTEGER NOT NULL
);
