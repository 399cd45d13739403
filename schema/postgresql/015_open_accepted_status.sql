-- The closure statistics' overdue_open count (server/store/stats_repo.cpp, closure_counts) keeps
-- only tickets neither parked nor voided, and `status` was not in reports_open_accepted (005): the
-- index no longer covered the count, and the planner counted a week's open tickets through
-- reports_by_created, reading every report of the week from the table. With `status` carried in
-- the index (INCLUDE: not a key, only there to be read) the count is an index-only scan of the
-- open tickets, which the planner prefers. Measured at 10 M reports: docs/performance.md,
-- "Case 6 on PostgreSQL, 10 M reports".
DROP INDEX reports_open_accepted;
CREATE INDEX reports_open_accepted ON reports (created_at, deadline_at, grid_id, category, assignee_id, accepted_at,
                                               closed_at)
    INCLUDE (status)
    WHERE accepted_at IS NOT NULL AND closed_at IS NULL;
