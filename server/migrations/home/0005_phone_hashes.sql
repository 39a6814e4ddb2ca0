-- kejia home schema, version 5: each member's phone hash as the hub receives it, kept.
--
-- The hash is argon2id (see server/src/sync/phone.rs): deliberately slow, so it is computed
-- once per phone number, not on every push. A trigger drops it when the phone changes (an
-- edit, or erasure, which blanks the phone), so a kept hash always belongs to the current
-- number. `announced` is set once the hub acknowledged a push that carried it.
CREATE TABLE member_phone_hashes (
    member_id  TEXT PRIMARY KEY,
    phone_hash TEXT NOT NULL,
    announced  INTEGER NOT NULL DEFAULT 0
) STRICT, WITHOUT ROWID;

CREATE TRIGGER member_phone_hashes_on_phone AFTER UPDATE OF phone ON members
WHEN OLD.phone IS NOT NEW.phone
BEGIN
    DELETE FROM member_phone_hashes WHERE member_id = OLD.id;
END;

CREATE TRIGGER member_phone_hashes_on_delete AFTER DELETE ON members
BEGIN
    DELETE FROM member_phone_hashes WHERE member_id = OLD.id;
END;
