-- kejia hub schema, version 7: enrolment codes expire (server/src/hub/enrol_code.rs).
-- Codes are now eight letters, short enough to read over the phone, so they may be used only
-- for seven days after they are issued; the association issues a new one on request.
ALTER TABLE homes ADD COLUMN enrol_code_expires_at INTEGER;

-- Codes issued before this version get the same seven days, counted from registration.
UPDATE homes SET enrol_code_expires_at = created_at + 7 * 24 * 3600 * 1000
WHERE public_key IS NULL AND enrol_code_hash IS NOT NULL;
