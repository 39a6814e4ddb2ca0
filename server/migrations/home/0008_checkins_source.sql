-- A check-in's `source` (qr, card, phone, keypad, manual), the word the API and the kiosk use.
-- SQLite carries the column's CHECK constraint over to the new name.
ALTER TABLE checkins RENAME COLUMN method TO source;
