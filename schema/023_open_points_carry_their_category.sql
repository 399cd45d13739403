-- A possible-duplicates search (API.md §4) read, for every open report in its box, that report's
-- row to test its category and exact time: ~6 candidates per search on a city of 10 M reports,
-- of which ~1.6 were of the category asked, each row ~2 pages of a table that does not fit in
-- memory. Each point now carries its report's category, exact created_at, lon and lat (R*Tree
-- auxiliary columns), and the category is a fourth axis, so that a search descends only into
-- its own category's nodes and reads no report at all. The axis holds a 22-bit polynomial hash
-- of the code (store::category_point_key, repeated here), each point a unit box [key, key + 1]
-- so that no node has zero volume in it; a search asks for key + 0.5. Codes sharing a key only
-- add candidates: the exact category decides. The store keeps the copies in step on submit,
-- set_category and close, and `civicsnapd check` compares them with the reports.
CREATE VIRTUAL TABLE open_report_points_023 USING rtree (
    id, min_lon, max_lon, min_lat, max_lat, min_created, max_created, min_category_key, max_category_key,
    +category TEXT, +created_at INTEGER, +lon REAL, +lat REAL
);
WITH RECURSIVE
    codes (code) AS (SELECT DISTINCT r.category FROM open_report_points p JOIN reports r ON r.id = p.id),
    hashing (code, i, key) AS (
        SELECT code, 0, 0 FROM codes
        UNION ALL
        SELECT code, i + 1, (key * 31 + unicode(substr(code, i + 1, 1))) % 4194304 FROM hashing
        WHERE i < length(code)
    )
INSERT INTO open_report_points_023 (id, min_lon, max_lon, min_lat, max_lat, min_created, max_created,
                                    min_category_key, max_category_key, category, created_at, lon, lat)
    SELECT p.id, p.min_lon, p.max_lon, p.min_lat, p.max_lat, p.min_created, p.max_created, h.key, h.key + 1,
           r.category, r.created_at, r.lon, r.lat
    FROM open_report_points p JOIN reports r ON r.id = p.id
    JOIN hashing h ON h.code = r.category AND h.i = length(h.code);
DROP TABLE open_report_points;
ALTER TABLE open_report_points_023 RENAME TO open_report_points;
