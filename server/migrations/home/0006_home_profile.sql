-- kejia home schema, version 6: what the home says about itself, filled in by the staffer after
-- the first account (or sent by the hub at enrolment). One row once filled in; until then the
-- settings file's values stand. `award_month` is `YYYY-MM`; `phone_base` the address phones open.
CREATE TABLE home_profile (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    name       TEXT NOT NULL,
    host_unit  TEXT,
    award_month TEXT,
    phone_base TEXT,
    updated_at INTEGER NOT NULL
) STRICT;
