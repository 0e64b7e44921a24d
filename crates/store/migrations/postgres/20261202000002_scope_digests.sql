-- What Snowflake answered for each scope of a sync (a schema's columns, a database's tables…)
-- in the sync's last successful run, so an unchanged scope is not processed again.
CREATE TABLE scope_digests (
    sync    BIGINT NOT NULL REFERENCES syncs (id) ON DELETE CASCADE,
    scope   TEXT NOT NULL,
    digest  BYTEA NOT NULL,
    PRIMARY KEY (sync, scope)
);

-- Id ranges [lo, hi) whose records count as seen in a delete-tracking generation without each
-- record being marked: the records of scopes that did not change.
CREATE TABLE seen_ranges (
    generation  BIGINT NOT NULL,
    lo          TEXT COLLATE "C" NOT NULL,
    hi          TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (generation, lo)
);

-- Record ids compare bytewise, as on SQLite: the seen ranges above are id ranges, and the
-- primary key's index serves them.
ALTER TABLE records ALTER COLUMN external_id TYPE TEXT COLLATE "C";
