-- kejia home schema, version 4: what a restore tells sync.

-- Written by `kejia restore` into the database it puts in place: the newest change the backup
-- held. Until the hub is seen to hold no more than that, the home pushes nothing newer, so a
-- home restored from an old backup never sends changes that clash with what the hub holds.
CREATE TABLE restore_marker (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    restored_at INTEGER NOT NULL,
    from_file   TEXT NOT NULL,
    last_seq    INTEGER NOT NULL
) STRICT;

-- Set when pushing stopped: the hub holds changes this home does not have ('behind': restored
-- from a backup older than what the hub received), or holds other changes than this home's
-- after its cursor ('diverged'). While set, the home sends no changes, only asks for decisions
-- and notices; `kejia restore` clears it.
CREATE TABLE sync_halt (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    kind        TEXT NOT NULL CHECK (kind IN ('behind', 'diverged')),
    hub_seq     INTEGER NOT NULL,
    local_seq   INTEGER NOT NULL,
    detected_at INTEGER NOT NULL
) STRICT;
