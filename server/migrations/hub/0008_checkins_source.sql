-- A check-in's `source`, as the homes call it (the sync record's field is still `method`: see
-- `wire`). SQLite renames the column in the evaluation's index too.
ALTER TABLE checkins RENAME COLUMN method TO source;
