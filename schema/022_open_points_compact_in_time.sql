-- The open reports' R*Tree (schema/016) held creation times in seconds: the time axis spanned
-- ~3·10⁷ against 0.08 of longitude, so the R* splits cut along time alone and every node was a
-- thin slice of time spanning the whole city. A possible-duplicates search (a ~100 m box over 14
-- days) then read every slice of its window: ~54 node pages at 10 M reports, most of an old
-- ticket's read. Times are now stored in units that make the search's box about a cube: 14 days
-- per 0.001 (what 100 m spans in degrees), counted from 2020-01-01 (1577836800), so the splits
-- cut all three axes and a search reads a few compact nodes. The store converts the same way
-- (store::open_point_time). 32-bit floats step by 18 s in these units until August 2029, 36 s
-- until March 2039, 72 s until 2058 (016's seconds stepped by 128 s); the rows' exact
-- created_at still decides.
CREATE VIRTUAL TABLE open_report_points_022 USING rtree (
    id, min_lon, max_lon, min_lat, max_lat, min_created, max_created
);
INSERT INTO open_report_points_022 (id, min_lon, max_lon, min_lat, max_lat, min_created, max_created)
    SELECT r.id, r.lon, r.lon, r.lat, r.lat,
           CAST(r.created_at - 1577836800 AS REAL) / 1209600000.0,
           CAST(r.created_at - 1577836800 AS REAL) / 1209600000.0
    FROM open_report_points p JOIN reports r ON r.id = p.id;
DROP TABLE open_report_points;
ALTER TABLE open_report_points_022 RENAME TO open_report_points;
