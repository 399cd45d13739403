-- The points ledger (API.md §5–§7): double-entry accounts and immutable transfers, residents'
-- standing (merit, lifetime earned, credit score), exchanges, redemption tokens, kiosk
-- redemptions and the kiosk signature replay cache. See docs/points.md.

-- One row per account. A transfer moves `amount` from its debit account (balance goes down) to
-- its credit account (balance goes up), so the sum of all balances is always zero: the city's
-- issuance account is the only one allowed below zero (it goes negative as it issues).
CREATE TABLE ledger_accounts (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL CHECK (kind IN ('resident', 'issuance', 'fund', 'sink')),
    code       TEXT,               -- funds and sinks: their code; residents: NULL
    name       TEXT    NOT NULL,
    user_id    INTEGER UNIQUE REFERENCES users (id),
    balance    INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    CHECK (kind = 'issuance' OR balance >= 0),
    CHECK ((kind = 'resident') = (user_id IS NOT NULL)),
    CHECK ((kind = 'resident') = (code IS NULL)),
    UNIQUE (kind, code)
);

INSERT INTO ledger_accounts (kind, code, name, created_at) VALUES
    ('issuance', 'city', 'City points issuance', 0),
    ('fund', 'charity', '爱心基金', 0),
    ('sink', 'redemption', 'Kiosk redemptions', 0),
    ('sink', 'honour_exchange', 'Honour exchanges', 0),
    ('sink', 'credit_exchange', 'Credit exchanges', 0);

-- Immutable: the triggers below refuse UPDATE and DELETE. The balances of both accounts right
-- after the transfer are kept on the row, so the resident's statement needs no running sum and
-- the checker can replay every account's history.
CREATE TABLE ledger_transfers (
    id                   INTEGER PRIMARY KEY,
    debit_account        INTEGER NOT NULL REFERENCES ledger_accounts (id),
    credit_account       INTEGER NOT NULL REFERENCES ledger_accounts (id),
    amount               INTEGER NOT NULL CHECK (amount > 0),
    kind                 TEXT    NOT NULL CHECK (kind IN ('report_accepted', 'report_closed', 'redemption',
                                                          'redemption_void', 'donation', 'honour_exchange',
                                                          'credit_exchange', 'adjustment')),
    ref                  TEXT    NOT NULL,
    note                 TEXT,
    debit_balance_after  INTEGER NOT NULL,
    credit_balance_after INTEGER NOT NULL,
    at                   INTEGER NOT NULL,
    CHECK (debit_account <> credit_account)
);
CREATE INDEX ledger_transfers_by_debit ON ledger_transfers (debit_account, id);
CREATE INDEX ledger_transfers_by_credit ON ledger_transfers (credit_account, id);
-- A report pays each of its two rewards at most once.
CREATE UNIQUE INDEX ledger_transfers_report_once ON ledger_transfers (kind, ref)
    WHERE kind IN ('report_accepted', 'report_closed');

CREATE TRIGGER ledger_transfers_no_update BEFORE UPDATE ON ledger_transfers
BEGIN SELECT RAISE(ABORT, 'ledger transfers are immutable'); END;
CREATE TRIGGER ledger_transfers_no_delete BEFORE DELETE ON ledger_transfers
BEGIN SELECT RAISE(ABORT, 'ledger transfers are immutable'); END;

-- 记功 and 兑信用: counters beside the balance, written only by the ledger module.
CREATE TABLE resident_standing (
    user_id          INTEGER PRIMARY KEY REFERENCES users (id),
    lifetime_earned  INTEGER NOT NULL DEFAULT 0 CHECK (lifetime_earned >= 0),
    reports_accepted INTEGER NOT NULL DEFAULT 0 CHECK (reports_accepted >= 0),
    reports_closed   INTEGER NOT NULL DEFAULT 0 CHECK (reports_closed >= 0),
    credit_score     INTEGER NOT NULL DEFAULT 0 CHECK (credit_score >= 0)
);

-- What each resident was paid for reports per Asia/Shanghai day (the daily cap's counter).
CREATE TABLE daily_earnings (
    user_id INTEGER NOT NULL REFERENCES users (id),
    day     INTEGER NOT NULL,   -- days since 1970-01-01 in UTC+8
    earned  INTEGER NOT NULL CHECK (earned >= 0),
    PRIMARY KEY (user_id, day)
) WITHOUT ROWID;

-- 兑荣誉 and 兑信用 (API.md §6).
CREATE TABLE exchanges (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    type        TEXT    NOT NULL CHECK (type IN ('honour', 'credit')),
    sku         TEXT    REFERENCES rewards (sku),
    points      INTEGER NOT NULL CHECK (points > 0),
    transfer_id INTEGER NOT NULL REFERENCES ledger_transfers (id),
    at          INTEGER NOT NULL,
    CHECK ((type = 'honour') = (sku IS NOT NULL))
);
CREATE INDEX exchanges_honour_by_user ON exchanges (user_id, id) WHERE type = 'honour';

-- One-time redemption codes, stored only as SHA-256 hashes.
CREATE TABLE redeem_tokens (
    token_hash BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id),
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
) WITHOUT ROWID;
CREATE INDEX redeem_tokens_by_expiry ON redeem_tokens (expires_at);

CREATE TABLE redemptions (
    id           INTEGER PRIMARY KEY,
    kiosk_id     INTEGER NOT NULL REFERENCES kiosks (id),
    user_id      INTEGER NOT NULL REFERENCES users (id),
    total_points INTEGER NOT NULL CHECK (total_points > 0),
    at           INTEGER NOT NULL,
    voided_at    INTEGER
);

CREATE TABLE redemption_items (
    redemption_id INTEGER NOT NULL REFERENCES redemptions (id),
    sku           TEXT    NOT NULL REFERENCES rewards (sku),
    name          TEXT    NOT NULL,
    qty           INTEGER NOT NULL CHECK (qty > 0),
    points_each   INTEGER NOT NULL CHECK (points_each > 0),
    PRIMARY KEY (redemption_id, sku)
) WITHOUT ROWID;

-- Kiosk signatures already accepted, kept while their timestamp could still pass the window
-- check, so a captured request cannot be replayed even across a restart.
CREATE TABLE kiosk_signatures_seen (
    kiosk_id  INTEGER NOT NULL REFERENCES kiosks (id),
    signature BLOB    NOT NULL,   -- the 32 raw bytes, so hex case cannot make a replay look new
    timestamp INTEGER NOT NULL,
    PRIMARY KEY (kiosk_id, signature)
) WITHOUT ROWID;
CREATE INDEX kiosk_signatures_seen_by_time ON kiosk_signatures_seen (timestamp);
