-- Snowgate schema, SQLite dialect. Times are INTEGER microseconds since the Unix epoch (UTC),
-- JSON documents are TEXT, secrets are BLOBs sealed by the store's cipher.
-- Keep in step with ../postgres/20261126000001_initial.sql: same tables, columns and meanings.

CREATE TABLE settings (
    key         TEXT PRIMARY KEY NOT NULL,
    value       TEXT,
    sealed      BLOB,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE integrations (
    unique_key    TEXT PRIMARY KEY NOT NULL,
    provider      TEXT NOT NULL,
    display_name  TEXT,
    config        TEXT NOT NULL DEFAULT '{}',
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE connections (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    integration_key       TEXT NOT NULL REFERENCES integrations (unique_key) ON DELETE CASCADE,
    connection_id         TEXT NOT NULL,
    connection_config     TEXT NOT NULL DEFAULT '{}',
    metadata              TEXT,
    tags                  TEXT NOT NULL DEFAULT '{}',
    end_user              TEXT,
    end_user_id           TEXT,
    organization_id       TEXT,
    webhook_url_override  TEXT,
    credentials           BLOB,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    last_fetched_at       INTEGER,
    UNIQUE (integration_key, connection_id)
);
CREATE INDEX connections_end_user ON connections (end_user_id);

CREATE TABLE connection_errors (
    connection  INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    scope       TEXT NOT NULL,
    log_id      TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (connection, kind, scope)
);

CREATE TABLE connect_sessions (
    token_hash  BLOB PRIMARY KEY NOT NULL,
    session     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
);
CREATE INDEX connect_sessions_expiry ON connect_sessions (expires_at);

CREATE TABLE syncs (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    connection           INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    name                 TEXT NOT NULL,
    variant              TEXT NOT NULL,
    paused               BOOLEAN NOT NULL,
    frequency_secs       INTEGER NOT NULL,
    frequency_override   INTEGER,
    next_run_at          INTEGER,
    checkpoint           TEXT,
    tracking_generation  INTEGER,
    last_run             INTEGER,
    last_status          TEXT,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    UNIQUE (connection, name, variant)
);
CREATE INDEX syncs_due ON syncs (next_run_at) WHERE NOT paused;

CREATE TABLE runs (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    sync             INTEGER NOT NULL REFERENCES syncs (id) ON DELETE CASCADE,
    status           TEXT NOT NULL,
    reset            BOOLEAN NOT NULL,
    started_at       INTEGER NOT NULL,
    finished_at      INTEGER,
    counts           TEXT NOT NULL DEFAULT '{}',
    error            TEXT,
    snowflake_calls  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX runs_by_sync ON runs (sync, id);

CREATE TABLE jobs (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    kind              TEXT NOT NULL,
    unique_key        TEXT,
    connection        INTEGER REFERENCES connections (id) ON DELETE CASCADE,
    payload           TEXT NOT NULL,
    status            TEXT NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    run_after         INTEGER NOT NULL,
    lease_token       TEXT,
    lease_owner       TEXT,
    lease_expires_at  INTEGER,
    cancel_requested  BOOLEAN NOT NULL DEFAULT FALSE,
    last_error        TEXT,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE UNIQUE INDEX jobs_active_unique ON jobs (unique_key) WHERE status IN ('queued', 'running');
CREATE INDEX jobs_queued ON jobs (run_after) WHERE status = 'queued';
CREATE INDEX jobs_leased ON jobs (lease_expires_at) WHERE status = 'running';

CREATE TABLE actions (
    id           TEXT PRIMARY KEY NOT NULL,
    connection   INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    action_name  TEXT NOT NULL,
    input        TEXT NOT NULL,
    status       TEXT NOT NULL,
    output       TEXT,
    error        TEXT,
    created_at   INTEGER NOT NULL,
    finished_at  INTEGER
);

CREATE TABLE record_models (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    connection  INTEGER NOT NULL REFERENCES connections (id) ON DELETE CASCADE,
    model       TEXT NOT NULL,
    last_seq    INTEGER NOT NULL DEFAULT 0,
    live_count  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (connection, model)
);

CREATE TABLE records (
    model            INTEGER NOT NULL REFERENCES record_models (id) ON DELETE CASCADE,
    external_id      TEXT NOT NULL,
    seq              INTEGER NOT NULL,
    hash             BLOB NOT NULL,
    payload          TEXT,
    last_action      TEXT NOT NULL,
    first_seen_at    INTEGER NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    deleted_at       INTEGER,
    pruned_at        INTEGER,
    seen_generation  INTEGER NOT NULL,
    PRIMARY KEY (model, external_id)
);
CREATE UNIQUE INDEX records_changes ON records (model, seq);

CREATE TABLE webhook_deliveries (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_id    TEXT NOT NULL UNIQUE,
    connection        INTEGER REFERENCES connections (id) ON DELETE SET NULL,
    kind              TEXT NOT NULL,
    url               TEXT NOT NULL,
    body              BLOB NOT NULL,
    status            TEXT NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER NOT NULL,
    lease_token       TEXT,
    lease_expires_at  INTEGER,
    last_error        TEXT,
    created_at        INTEGER NOT NULL,
    delivered_at      INTEGER
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_by_connection ON webhook_deliveries (connection, id);

CREATE TABLE webhook_attempts (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery     INTEGER NOT NULL REFERENCES webhook_deliveries (id) ON DELETE CASCADE,
    attempted_at INTEGER NOT NULL,
    http_status  INTEGER,
    error        TEXT,
    duration_ms  INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery, id);

CREATE TABLE operations (
    id          TEXT PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL,
    connection  INTEGER REFERENCES connections (id) ON DELETE SET NULL,
    name        TEXT NOT NULL,
    status      TEXT NOT NULL,
    started_at  INTEGER NOT NULL,
    ended_at    INTEGER,
    summary     TEXT
);
CREATE INDEX operations_started ON operations (started_at);
CREATE INDEX operations_by_connection ON operations (connection, started_at);

CREATE TABLE operation_messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    operation   TEXT NOT NULL REFERENCES operations (id) ON DELETE CASCADE,
    level       TEXT NOT NULL,
    message     TEXT NOT NULL,
    fields      TEXT,
    created_at  INTEGER NOT NULL
);
CREATE INDEX operation_messages_by_operation ON operation_messages (operation, id);
