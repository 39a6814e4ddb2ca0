-- kejia hub schema, version 4: indexes that answer the yearly evaluation without touching the
-- tables. Without them, counting an activity's participants walked every check-in of its home,
-- and the cross-home overlap check every check-in of every home (minutes for 500 homes).

-- Per activity: its live check-ins in member order, with what the integrity flags read.
DROP INDEX checkins_activity;
CREATE INDEX checkins_tally ON checkins (home_id, activity_id, undone, member_id, method, clock_trusted);

-- Per member: their live check-ins and the activity of each.
DROP INDEX checkins_member;
CREATE INDEX checkins_member ON checkins (home_id, member_id, undone, activity_id);
