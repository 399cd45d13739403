-- Open311 for real clients (API.md §10, issue 15): per-key extended statuses, reports placed by
-- address only, several media URLs per request, partners' update ids, and the date index of
-- GET servicerequestupdates.

-- A partner key may ask for FixMyStreet's extended statuses (OPEN, INVESTIGATING, …, FIXED,
-- DUPLICATE, NO_FURTHER_ACTION, …) instead of GeoReport's open/closed.
ALTER TABLE open311_partners ADD COLUMN extended_statuses INTEGER NOT NULL DEFAULT 0
    CHECK (extended_statuses IN (0, 1));

-- 1: lat/lon are where the problem is. 0: the report arrived with an address only (Open311's
-- address_string or address_id); lat and lon then hold 0 as placeholders (the columns are NOT
-- NULL), nobody reads them as a position, the report sits in no grid and in no duplicate index,
-- and both APIs show lat/lon as null.
ALTER TABLE reports ADD COLUMN located INTEGER NOT NULL DEFAULT 1 CHECK (located IN (0, 1));

-- A partner's media_url, now up to six per request (006 kept one), in the order sent.
CREATE TABLE open311_report_media (
    report_id INTEGER NOT NULL REFERENCES reports (id),
    position  INTEGER NOT NULL CHECK (position BETWEEN 0 AND 5),
    url       TEXT    NOT NULL,
    PRIMARY KEY (report_id, position)
) WITHOUT ROWID;
INSERT INTO open311_report_media (report_id, position, url) SELECT report_id, 0, url FROM open311_media_urls;
DROP TABLE open311_media_urls;

-- The address_id a partner sent (an id in its own address repository), echoed in GeoReport's
-- address_id; the city has no such repository, so it places nothing.
CREATE TABLE open311_address_ids (
    report_id  INTEGER PRIMARY KEY REFERENCES reports (id),
    address_id TEXT    NOT NULL
) WITHOUT ROWID;

-- POST servicerequestupdates: the partner's own update_id → the event it became, so that the
-- same update posted twice answers the first event's id and adds nothing.
CREATE TABLE open311_partner_updates (
    partner_id        INTEGER NOT NULL REFERENCES open311_partners (id),
    partner_update_id TEXT    NOT NULL,
    event_id          INTEGER NOT NULL UNIQUE REFERENCES report_events (id),
    PRIMARY KEY (partner_id, partner_update_id)
) WITHOUT ROWID;

-- GET servicerequestupdates reads the events of a date window, newest first.
CREATE INDEX report_events_by_at ON report_events (at);
