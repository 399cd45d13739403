-- Twin of schema/022: the open reports' points keep their creation time in the units the store
-- converts to (store::open_point_time): seconds since 2020-01-01 (1577836800) divided by 14 days
-- per 0.001, so that both engines and a SQLite city copied here agree. Here the points are rows
-- found through a B-tree on (min_lat, min_lon), which the units do not change; the shared units
-- keep one search for both engines.
UPDATE open_report_points p
    SET min_created = (r.created_at - 1577836800)::double precision / 1209600000::double precision,
        max_created = (r.created_at - 1577836800)::double precision / 1209600000::double precision
    FROM reports r WHERE r.id = p.id;
