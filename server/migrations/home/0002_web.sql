-- kejia home schema, version 2: what the staff web pages and the phone pages keep.

-- After the activity: a few lines for the ledger (台账) and photos.
ALTER TABLE activities ADD COLUMN summary TEXT;

CREATE TABLE activity_photos (
    id           TEXT PRIMARY KEY,
    activity_id  TEXT NOT NULL REFERENCES activities (id),
    content_type TEXT NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png')),
    bytes        BLOB NOT NULL,
    created_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX activity_photos_activity ON activity_photos (activity_id);

-- A member's own phone, remembered by a cookie so the next check-in is one tap. Only the
-- cookie's hash is stored; a staffer (or the member, by erasure) can revoke it.
CREATE TABLE phone_devices (
    token_hash   TEXT PRIMARY KEY,
    member_id    TEXT NOT NULL REFERENCES members (id),
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    revoked_at   INTEGER
) STRICT;
CREATE INDEX phone_devices_member ON phone_devices (member_id);
