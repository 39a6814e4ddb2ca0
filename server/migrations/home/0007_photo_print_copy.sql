-- A smaller copy of each photo for the printed ledger (台账): at most 1000 px on its longer
-- side, JPEG, turned upright. A year's workbook embeds these, not the phone's 4 MB originals,
-- so it stays small enough to open and e-mail. NULL for photos stored before this column: the
-- ledger then uses the original.
ALTER TABLE activity_photos ADD COLUMN print_bytes BLOB;
