-- kejia home schema, version 1. Never edit a released migration: add a new numbered file.
-- Instants are INTEGER milliseconds since the Unix epoch (UTC); calendar days are the home's.

CREATE TABLE members (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,
    phone            TEXT NOT NULL,
    employer         TEXT NOT NULL,
    discipline       TEXT,
    title            TEXT,
    status           TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'erased')),
    consent_at       INTEGER NOT NULL,
    consent_version  TEXT NOT NULL,
    consent_share    INTEGER NOT NULL DEFAULT 0,
    consent_share_at INTEGER,
    credential       TEXT UNIQUE,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
) STRICT;
CREATE UNIQUE INDEX members_phone ON members (phone) WHERE status != 'erased';

CREATE TABLE cards (
    uid       TEXT PRIMARY KEY,
    member_id TEXT NOT NULL REFERENCES members (id),
    bound_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX cards_member ON cards (member_id);

CREATE TABLE activities (
    id                  TEXT PRIMARY KEY,
    title               TEXT NOT NULL,
    category            TEXT NOT NULL,
    starts_at           INTEGER NOT NULL,
    ends_at             INTEGER NOT NULL,
    opens_before_min    INTEGER NOT NULL,
    closes_after_min    INTEGER NOT NULL,
    location            TEXT,
    speaker             TEXT,
    organiser           TEXT,
    description         TEXT,
    override_state      TEXT CHECK (override_state IN ('open', 'closed', 'cancelled')),
    filing              TEXT NOT NULL DEFAULT 'draft' CHECK (filing IN ('draft', 'filed', 'approved', 'rejected')),
    participants        INTEGER NOT NULL DEFAULT 0,
    manual_participants INTEGER NOT NULL DEFAULT 0,
    created_at          INTEGER NOT NULL,
    updated_at          INTEGER NOT NULL
) STRICT;
CREATE INDEX activities_starts ON activities (starts_at);

-- One row per check-in or venue visit. `seq` is the order of arrival; wall time never orders.
CREATE TABLE checkins (
    seq          INTEGER PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    member_id    TEXT NOT NULL REFERENCES members (id),
    activity_id  TEXT REFERENCES activities (id),
    visit_day    TEXT,
    method       TEXT NOT NULL CHECK (method IN ('qr', 'card', 'phone', 'keypad', 'manual')),
    device       TEXT NOT NULL,
    at           INTEGER NOT NULL,
    clock_trusted INTEGER NOT NULL DEFAULT 1,
    undone_at    INTEGER,
    undone_by    TEXT,
    undo_reason  TEXT,
    CHECK ((activity_id IS NULL) != (visit_day IS NULL))
) STRICT;
CREATE UNIQUE INDEX checkins_once_per_activity ON checkins (activity_id, member_id)
    WHERE activity_id IS NOT NULL AND undone_at IS NULL;
CREATE UNIQUE INDEX checkins_one_visit_a_day ON checkins (member_id, visit_day)
    WHERE visit_day IS NOT NULL AND undone_at IS NULL;

-- Every scan a device reported, whatever its outcome. A member's QR secret is never stored here
-- (`credential` is NULL for it); card UIDs and unrecognised texts are, for "bind this card".
-- `answer` is the JSON answer, kept only for scans with a scan id so a retry can be answered
-- as the first was.
CREATE TABLE scans (
    seq         INTEGER PRIMARY KEY,
    device      TEXT NOT NULL,
    scan_id     TEXT,
    credential  TEXT,
    kind        TEXT NOT NULL CHECK (kind IN ('qr', 'card', 'keypad', 'other')),
    source      TEXT NOT NULL,
    at          INTEGER NOT NULL,
    outcome     TEXT NOT NULL,
    member_id   TEXT,
    activity_id TEXT,
    answer      TEXT
) STRICT;
CREATE UNIQUE INDEX scans_nonce ON scans (device, scan_id) WHERE scan_id IS NOT NULL;

CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('staff', 'admin')),
    created_at    INTEGER NOT NULL
) STRICT;

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) STRICT;

CREATE TABLE api_tokens (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    role       TEXT NOT NULL CHECK (role IN ('kiosk')),
    token_hash TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
) STRICT;

-- Every staff correction, with who, when and why.
CREATE TABLE audit_log (
    seq     INTEGER PRIMARY KEY,
    at      INTEGER NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT NOT NULL,
    reason  TEXT,
    detail  TEXT
) STRICT;
