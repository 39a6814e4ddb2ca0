-- kejia hub schema, version 2: homes, what they synced, and what goes back to them.

-- One row: the association's key for hashing phone numbers, given to every home at enrolment.
CREATE TABLE hub_settings (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    phone_key BLOB NOT NULL
) STRICT;

CREATE TABLE homes (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL,
    host_unit       TEXT,
    kind            TEXT NOT NULL DEFAULT 'other' CHECK (kind IN ('enterprise', 'park', 'other')),
    address         TEXT,
    contact         TEXT,
    awarded_on      TEXT,
    public_key      TEXT,
    enrol_code_hash TEXT UNIQUE,
    enrolled_at     INTEGER,
    last_push_at    INTEGER,
    created_at      INTEGER NOT NULL
) STRICT;

-- The home's change log as received: verified, never rewritten.
CREATE TABLE changes (
    home_id TEXT NOT NULL REFERENCES homes (id),
    seq     INTEGER NOT NULL,
    hash    TEXT NOT NULL,
    record  TEXT NOT NULL,
    PRIMARY KEY (home_id, seq)
) STRICT, WITHOUT ROWID;

-- The latest state of every synced record, per home. Personal data only as the home sent it
-- now: name and employer with the member's consent to share, the phone as a keyed hash.
CREATE TABLE members (
    home_id       TEXT NOT NULL,
    id            TEXT NOT NULL,
    status        TEXT NOT NULL,
    consent_share INTEGER NOT NULL,
    name          TEXT,
    employer      TEXT,
    phone_hash    TEXT,
    PRIMARY KEY (home_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX members_phone_hash ON members (phone_hash) WHERE phone_hash IS NOT NULL;

CREATE TABLE activities (
    home_id   TEXT NOT NULL,
    id        TEXT NOT NULL,
    title     TEXT NOT NULL,
    category  TEXT NOT NULL,
    starts_at INTEGER NOT NULL,
    ends_at   INTEGER NOT NULL,
    cancelled INTEGER NOT NULL,
    filing    TEXT NOT NULL,
    PRIMARY KEY (home_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX activities_starts ON activities (starts_at);

CREATE TABLE checkins (
    home_id       TEXT NOT NULL,
    id            TEXT NOT NULL,
    member_id     TEXT NOT NULL,
    activity_id   TEXT,
    visit_day     TEXT,
    method        TEXT NOT NULL,
    at            INTEGER NOT NULL,
    clock_trusted INTEGER NOT NULL,
    undone        INTEGER NOT NULL,
    PRIMARY KEY (home_id, id)
) STRICT, WITHOUT ROWID;
CREATE INDEX checkins_activity ON checkins (home_id, activity_id);
CREATE INDEX checkins_member ON checkins (home_id, member_id);

CREATE TABLE decisions (
    home_id     TEXT NOT NULL REFERENCES homes (id),
    activity_id TEXT NOT NULL,
    approved    INTEGER NOT NULL,
    comment     TEXT NOT NULL,
    decided_at  TEXT NOT NULL,
    decided_by  TEXT NOT NULL,
    PRIMARY KEY (home_id, activity_id, decided_at)
) STRICT;

CREATE TABLE notices (
    seq          INTEGER PRIMARY KEY,
    title        TEXT NOT NULL,
    body         TEXT NOT NULL,
    published_at TEXT NOT NULL,
    published_by TEXT NOT NULL
) STRICT;

-- Pushes the hub refused, for the association to see.
CREATE TABLE refusals (
    seq     INTEGER PRIMARY KEY,
    home_id TEXT,
    at      INTEGER NOT NULL,
    reason  TEXT NOT NULL,
    detail  TEXT
) STRICT;
