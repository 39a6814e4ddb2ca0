-- kejia hub schema, version 5: phone hashes of the slow kind only, and bounded refusals.
--
-- Until now homes sent SHA-256(key ‖ phone) with the key this hub keeps in hub_settings: from
-- this database alone every number could be read back in seconds. Homes now send argon2id
-- hashes (server/src/sync/phone.rs) and send them again for every member; the old ones go.
-- The old bytes would linger in free space and in the inner pages of the WITHOUT ROWID table
-- (whose dividers are whole rows), so the file is rebuilt after this migration:
-- kejia: vacuum after this migration
UPDATE members SET phone_hash = NULL WHERE phone_hash IS NOT NULL;

-- A refusal repeated within a minute is counted on its newest row instead of adding rows
-- (unauthenticated pushes with bad signatures for a known home would otherwise add a row each).
ALTER TABLE refusals ADD COLUMN times INTEGER NOT NULL DEFAULT 1;
CREATE INDEX refusals_home ON refusals (home_id, seq);
