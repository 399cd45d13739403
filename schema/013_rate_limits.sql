-- Rate limits counted in the database (API.md §1.1: "rate limits … count across nodes"): one
-- token bucket per (limiter, key) — registrations per client address, report submissions per
-- account (server/api/rate_limit.hpp). `tokens` is what the bucket held at `at` (unix seconds);
-- it refills evenly to the limiter's hourly allowance. A bucket untouched for an hour is full and
-- is swept (`at` index). The daemon on SQLite (one node) keeps its buckets in memory; the table
-- is here so that both engines share one schema.
CREATE TABLE rate_limit_buckets (
    limiter TEXT    NOT NULL,
    key     TEXT    NOT NULL,
    tokens  REAL    NOT NULL,
    at      INTEGER NOT NULL,
    PRIMARY KEY (limiter, key)
) WITHOUT ROWID;
CREATE INDEX rate_limit_buckets_by_at ON rate_limit_buckets (at);
