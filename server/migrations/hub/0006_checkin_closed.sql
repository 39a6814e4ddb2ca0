-- kejia hub schema, version 6: whether a home's staffer closed an activity's check-in by hand.
-- Only activities that have ended are held (issue 14): the end has passed by the hub's clock,
-- or check-in was closed early. Activities synced before this column read as not closed until
-- their home sends them again.
ALTER TABLE activities ADD COLUMN checkin_closed INTEGER NOT NULL DEFAULT 0;
