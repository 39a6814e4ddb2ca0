-- kejia hub schema, version 3: a home's life cycle. It applies (申报), is awarded its plaque on
-- a day (授牌, `homes.awarded_on` since version 2), and is rated by the association once a year.

ALTER TABLE homes ADD COLUMN applied_on TEXT;

-- One rating per home and year; rating a year again replaces the row. Only a person sets it
-- (the evaluation merely suggests one), so who and when are kept with it.
CREATE TABLE ratings (
    home_id    TEXT NOT NULL REFERENCES homes (id),
    year       INTEGER NOT NULL,
    rating     TEXT NOT NULL CHECK (rating IN ('failed', 'qualified', 'excellent')),
    decided_by TEXT NOT NULL,
    decided_at INTEGER NOT NULL,
    PRIMARY KEY (home_id, year)
) STRICT, WITHOUT ROWID;
CREATE INDEX ratings_year ON ratings (year);
