-- kejia home schema, version 3: the change log that syncs to the association's hub, and what
-- comes back from it.

-- Every synced change, in order, hash chained: hash = SHA-256(previous hash ‖ record). A record
-- is the whole member, activity or check-in as it stands after the change, holding a salted hash
-- of personal data, never the data (see server/src/sync/chain.rs).
CREATE TABLE changes (
    seq       INTEGER PRIMARY KEY,
    record_id TEXT NOT NULL,
    record    TEXT NOT NULL,
    hash      TEXT NOT NULL,
    at        INTEGER NOT NULL
) STRICT;

-- The salt of each member's personal-data hash; deleted when the member is erased.
CREATE TABLE member_salts (
    member_id TEXT PRIMARY KEY REFERENCES members (id),
    salt      BLOB NOT NULL
) STRICT;

-- Enrolment with the hub and the sync cursor (one row once enrolled).
CREATE TABLE sync_state (
    id            INTEGER PRIMARY KEY CHECK (id = 1),
    hub_url       TEXT NOT NULL,
    home_id       TEXT NOT NULL,
    home_name     TEXT NOT NULL,
    secret_key    BLOB NOT NULL,
    phone_key     BLOB NOT NULL,
    acked_seq     INTEGER NOT NULL DEFAULT 0,
    notices_after INTEGER NOT NULL DEFAULT 0,
    enrolled_at   INTEGER NOT NULL,
    last_attempt  INTEGER,
    last_success  INTEGER,
    last_error    TEXT
) STRICT;

-- Policy publicity from the association, shown on the kiosk and the dashboard.
CREATE TABLE notices (
    seq          INTEGER PRIMARY KEY,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    published_at TEXT NOT NULL,
    received_at  INTEGER NOT NULL
) STRICT;

-- The association's comment on its filing decision.
ALTER TABLE activities ADD COLUMN filing_comment TEXT;

-- Filing decisions already applied, so a decision the hub repeats is applied once.
CREATE TABLE applied_decisions (
    activity_id TEXT NOT NULL,
    decided_at  TEXT NOT NULL,
    PRIMARY KEY (activity_id, decided_at)
) STRICT;

-- A random seed from which the enrolment key is derived with the hub's code, so an enrolment
-- whose answer was lost can be repeated with the same key.
CREATE TABLE enrol_seed (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seed BLOB NOT NULL
) STRICT;
