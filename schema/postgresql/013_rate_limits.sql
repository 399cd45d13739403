-- PostgreSQL twin of schema/013_rate_limits.sql: the token buckets every node takes from.
CREATE TABLE rate_limit_buckets (
    limiter TEXT             NOT NULL,
    key     TEXT             NOT NULL,
    tokens  DOUBLE PRECISION NOT NULL,
    at      BIGINT           NOT NULL,
    PRIMARY KEY (limiter, key)
);
CREATE INDEX rate_limit_buckets_by_at ON rate_limit_buckets (at);
