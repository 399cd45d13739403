-- Possible duplicates (API.md §4) are open reports of the same category within 50 m, created
-- within 7 days of the report. The R*Tree of open reports held only the point, so each search
-- read the row of every open report in its ~100 m box, of any age, to test category and time.
-- Open tickets accumulate with history (one abandoned after assignment stays open), so on a
-- city of 10 M reports that was ~60 row reads per search — on each submit and on each ticket
-- read the cache has not seen. The creation time becomes the R*Tree's third dimension (a point:
-- min = max = created_at), so a search reads only the open reports of its 14-day window. R*Tree
-- coordinates are 32-bit floats rounded outwards (here up to 128 s either way): the rows'
-- exact created_at still decides, as before.
CREATE VIRTUAL TABLE open_report_points_016 USING rtree (
    id, min_lon, max_lon, min_lat, max_lat, min_created, max_created
);
INSERT INTO open_report_points_016 (id, min_lon, max_lon, min_lat, max_lat, min_created, max_created)
    SELECT r.id, r.lon, r.lon, r.lat, r.lat, r.created_at, r.created_at
    FROM open_report_points p JOIN reports r ON r.id = p.id;
DROP TABLE open_report_points;
ALTER TABLE open_report_points_016 RENAME TO open_report_points;
