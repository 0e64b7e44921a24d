-- What Snowflake answered for each scope of a sync (a schema's columns, a database's tables…)
-- in the sync's last successful run, so an unchanged scope is not processed again.
CREATE TABLE scope_digests (
    sync    INTEGER NOT NULL REFERENCES syncs (id) ON DELETE CASCADE,
    scope   TEXT NOT NULL,
    digest  BLOB NOT NULL,
    PRIMARY KEY (sync, scope)
);

-- Id ranges [lo, hi) whose records count as seen in a delete-tracking generation without each
-- record being marked: the records of scopes that did not change.
CREATE TABLE seen_ranges (
    generation  INTEGER NOT NULL,
    lo          TEXT NOT NULL,
    hi          TEXT NOT NULL,
    PRIMARY KEY (generation, lo)
);
