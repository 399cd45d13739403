-- Twin of schema/023: each point carries its report's category, exact created_at, lon and lat,
-- and the category's key (store::category_point_key, the same 22-bit polynomial hash, repeated
-- here) as a unit box [key, key + 1], so that both engines run one search that reads no report
-- and a SQLite city copied here brings its rows as they are. Here the points are rows: a B-tree
-- on (category, min_lat, min_lon) replaces the one on (min_lat, min_lon), so a search scans only
-- its category's thin band of latitude.
ALTER TABLE open_report_points
    ADD COLUMN min_category_key DOUBLE PRECISION,
    ADD COLUMN max_category_key DOUBLE PRECISION,
    ADD COLUMN category TEXT,
    ADD COLUMN created_at BIGINT,
    ADD COLUMN lon DOUBLE PRECISION,
    ADD COLUMN lat DOUBLE PRECISION;
DELETE FROM open_report_points p WHERE NOT EXISTS (SELECT 1 FROM reports r WHERE r.id = p.id);
WITH RECURSIVE
    codes (code) AS (SELECT DISTINCT r.category FROM open_report_points p JOIN reports r ON r.id = p.id),
    hashing (code, i, key) AS (
        SELECT code, 0, 0::bigint FROM codes
        UNION ALL
        SELECT code, i + 1, (key * 31 + ascii(substr(code, i + 1, 1))) % 4194304 FROM hashing
        WHERE i < length(code)
    )
UPDATE open_report_points p
    SET min_category_key = h.key, max_category_key = h.key + 1, category = r.category,
        created_at = r.created_at, lon = r.lon, lat = r.lat
    FROM reports r, hashing h
    WHERE r.id = p.id AND h.code = r.category AND h.i = length(h.code);
ALTER TABLE open_report_points
    ALTER COLUMN min_category_key SET NOT NULL,
    ALTER COLUMN max_category_key SET NOT NULL,
    ALTER COLUMN category SET NOT NULL,
    ALTER COLUMN created_at SET NOT NULL,
    ALTER COLUMN lon SET NOT NULL,
    ALTER COLUMN lat SET NOT NULL;
DROP INDEX open_report_points_by_lat;
CREATE INDEX open_report_points_by_category ON open_report_points (category, min_lat, min_lon);
