-- PostgreSQL twin of schema/008_open311_updates.sql: per-key extended statuses, reports placed
-- by address only, several media URLs per request, partners' update ids, and the date index of
-- GET servicerequestupdates.
ALTER TABLE open311_partners ADD COLUMN extended_statuses BIGINT NOT NULL DEFAULT 0
    CHECK (extended_statuses IN (0, 1));

-- 0: placed by address only; lat/lon then hold 0 as placeholders (see the SQLite file).
ALTER TABLE reports ADD COLUMN located BIGINT NOT NULL DEFAULT 1 CHECK (located IN (0, 1));

CREATE TABLE open311_report_media (
    report_id BIGINT NOT NULL REFERENCES reports (id),
    position  BIGINT NOT NULL CHECK (position BETWEEN 0 AND 5),
    url       TEXT   NOT NULL,
    PRIMARY KEY (report_id, position)
);
INSERT INTO open311_report_media (report_id, position, url) SELECT report_id, 0, url FROM open311_media_urls;
DROP TABLE open311_media_urls;

CREATE TABLE open311_address_ids (
    report_id  BIGINT PRIMARY KEY REFERENCES reports (id),
    address_id TEXT   NOT NULL
);

CREATE TABLE open311_partner_updates (
    partner_id        BIGINT NOT NULL REFERENCES open311_partners (id),
    partner_update_id TEXT   NOT NULL,
    event_id          BIGINT NOT NULL UNIQUE REFERENCES report_events (id),
    PRIMARY KEY (partner_id, partner_update_id)
);

-- GET servicerequestupdates reads the events of a date window, newest first. SQLite's index on
-- (at) orders ties by rowid = id; PostgreSQL's does not promise that (as 006's
-- reports_by_created_id), so ties are ordered by id here.
CREATE INDEX report_events_by_at_id ON report_events (at, id);
