//! Rows as both backends return them (times in microseconds, JSON as text) and their conversion
//! into the public types. Shared by the SQLite and PostgreSQL implementations.

use std::collections::BTreeMap;

use aws_lc_rs::digest;
use chrono::{DateTime, Utc};
use serde_json::value::RawValue;
use uuid::Uuid;

use crate::{
    connection::{Connection, ConnectionError, ConnectionErrorKind},
    error::{Result, StoreError, json_error},
    ids::{ConnectionPk, DeliveryId, JobId, RunId, SyncId},
    integration::Integration,
    job::{ActionRun, ActionStatus, Job, JobStatus},
    operation::{Level, Message, Operation, OperationKind, OperationStatus},
    record::{Cursor, ModelKey, RecordAction, StoredRecord},
    sync::{ModelCounts, Run, RunStatus, SyncState},
    webhook::{Attempt, Delivery, DeliveryStatus},
};

/// Microseconds since the epoch, the stored form of every time.
pub(crate) fn micros(time: DateTime<Utc>) -> i64 {
    time.timestamp_micros()
}

/// The time of a stored microsecond count.
pub(crate) fn time(micros: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_micros(micros).unwrap_or_default()
}

/// The store's clock, at the precision it stores.
pub(crate) fn now() -> i64 {
    micros(Utc::now())
}

/// The SHA-256 under which a connect-session token is stored.
pub(crate) fn token_hash(token: &str) -> Vec<u8> {
    digest::digest(&digest::SHA256, token.as_bytes())
        .as_ref()
        .to_vec()
}

pub(crate) fn to_json<T: serde::Serialize>(what: &'static str, value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(json_error(what))
}

pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    what: &'static str,
    text: &str,
) -> Result<T> {
    serde_json::from_str(text).map_err(json_error(what))
}

fn from_json_opt<T: serde::de::DeserializeOwned>(
    what: &'static str,
    text: Option<String>,
) -> Result<Option<T>> {
    text.map(|text| from_json(what, &text)).transpose()
}

fn parsed<T>(what: &'static str, text: &str, parse: fn(&str) -> Option<T>) -> Result<T> {
    parse(text)
        .ok_or_else(|| StoreError::Invalid(format!("unknown {what} {text:?} in the database")))
}

#[derive(sqlx::FromRow)]
pub(crate) struct IntegrationRow {
    unique_key: String,
    provider: String,
    display_name: Option<String>,
    config: String,
    created_at: i64,
    updated_at: i64,
}

impl IntegrationRow {
    pub(crate) fn into_integration(self) -> Result<Integration> {
        Ok(Integration {
            unique_key: self.unique_key,
            provider: self.provider,
            display_name: self.display_name,
            config: from_json("integration config", &self.config)?,
            created_at: time(self.created_at),
            updated_at: time(self.updated_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ConnectionRow {
    pub(crate) id: i64,
    integration_key: String,
    provider: String,
    connection_id: String,
    connection_config: String,
    metadata: Option<String>,
    tags: String,
    end_user: Option<String>,
    webhook_url_override: Option<String>,
    created_at: i64,
    updated_at: i64,
    last_fetched_at: Option<i64>,
}

/// The columns of [`ConnectionRow`], for `SELECT … FROM connections c JOIN integrations i`.
pub(crate) const CONNECTION_COLUMNS: &str = "c.id, c.integration_key, i.provider, c.connection_id, \
     c.connection_config, c.metadata, c.tags, c.end_user, c.webhook_url_override, c.created_at, \
     c.updated_at, c.last_fetched_at";

impl ConnectionRow {
    pub(crate) fn into_connection(self, errors: Vec<ConnectionError>) -> Result<Connection> {
        Ok(Connection {
            id: ConnectionPk(self.id),
            integration_key: self.integration_key,
            provider: self.provider,
            connection_id: self.connection_id,
            connection_config: from_json("connection config", &self.connection_config)?,
            metadata: from_json_opt("connection metadata", self.metadata)?,
            tags: from_json("connection tags", &self.tags)?,
            end_user: from_json_opt("connection end user", self.end_user)?,
            webhook_url_override: self.webhook_url_override,
            errors,
            created_at: time(self.created_at),
            updated_at: time(self.updated_at),
            last_fetched_at: self.last_fetched_at.map(time),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ConnectionErrorRow {
    pub(crate) connection: i64,
    kind: String,
    scope: String,
    log_id: String,
}

impl ConnectionErrorRow {
    pub(crate) fn into_error(self) -> Result<ConnectionError> {
        Ok(ConnectionError {
            kind: parsed(
                "connection error kind",
                &self.kind,
                ConnectionErrorKind::parse,
            )?,
            scope: self.scope,
            log_id: self.log_id,
        })
    }
}

/// Attaches each connection's errors (rows in any order) and converts.
pub(crate) fn assemble_connections(
    rows: Vec<ConnectionRow>,
    error_rows: Vec<ConnectionErrorRow>,
) -> Result<Vec<Connection>> {
    let mut errors: BTreeMap<i64, Vec<ConnectionError>> = BTreeMap::new();
    for row in error_rows {
        let connection = row.connection;
        errors
            .entry(connection)
            .or_default()
            .push(row.into_error()?);
    }
    rows.into_iter()
        .map(|row| {
            let id = row.id;
            row.into_connection(errors.remove(&id).unwrap_or_default())
        })
        .collect()
}

#[derive(sqlx::FromRow)]
pub(crate) struct SyncRow {
    id: i64,
    connection: i64,
    name: String,
    variant: String,
    paused: bool,
    frequency_secs: i64,
    frequency_override: Option<i64>,
    next_run_at: Option<i64>,
    checkpoint: Option<String>,
    tracking_generation: Option<i64>,
    last_run: Option<i64>,
    last_status: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl SyncRow {
    pub(crate) fn into_sync(self) -> Result<SyncState> {
        Ok(SyncState {
            id: SyncId(self.id),
            connection: ConnectionPk(self.connection),
            name: self.name,
            variant: self.variant,
            paused: self.paused,
            frequency_secs: self.frequency_secs,
            frequency_override_secs: self.frequency_override,
            next_run_at: self.next_run_at.map(time),
            checkpoint: from_json_opt("sync checkpoint", self.checkpoint)?,
            tracking_generation: self.tracking_generation.map(RunId),
            last_run: self.last_run.map(RunId),
            last_status: self
                .last_status
                .map(|status| parsed("run status", &status, RunStatus::parse))
                .transpose()?,
            created_at: time(self.created_at),
            updated_at: time(self.updated_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RunRow {
    id: i64,
    sync: i64,
    status: String,
    reset: bool,
    started_at: i64,
    first_started_at: i64,
    resumed_from: Option<i64>,
    operation: Option<String>,
    added: i64,
    updated: i64,
    finished_at: Option<i64>,
    counts: String,
    error: Option<String>,
    snowflake_calls: i64,
}

impl RunRow {
    pub(crate) fn into_run(self) -> Result<Run> {
        let counts: BTreeMap<ModelKey, ModelCounts> = from_json("run counts", &self.counts)?;
        Ok(Run {
            id: RunId(self.id),
            sync: SyncId(self.sync),
            status: parsed("run status", &self.status, RunStatus::parse)?,
            reset: self.reset,
            started_at: time(self.started_at),
            first_started_at: time(self.first_started_at),
            resumed_from: self.resumed_from.map(RunId),
            operation: self.operation,
            added: self.added as u64,
            updated: self.updated as u64,
            finished_at: self.finished_at.map(time),
            counts,
            error: from_json_opt("run error", self.error)?,
            snowflake_calls: self.snowflake_calls,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct RecordRow {
    external_id: String,
    payload: Option<String>,
    seq: i64,
    first_seen_at: i64,
    created_at: i64,
    updated_at: i64,
    last_action: String,
    deleted_at: Option<i64>,
    pruned_at: Option<i64>,
}

impl RecordRow {
    pub(crate) fn into_record(self) -> Result<StoredRecord> {
        Ok(StoredRecord {
            payload: self
                .payload
                .map(RawValue::from_string)
                .transpose()
                .map_err(json_error("record payload"))?,
            external_id: self.external_id,
            first_seen_at: time(self.first_seen_at),
            created_at: time(self.created_at),
            last_modified_at: time(self.updated_at),
            last_action: parsed("record action", &self.last_action, RecordAction::parse)?,
            deleted_at: self.deleted_at.map(time),
            pruned_at: self.pruned_at.map(time),
            cursor: Cursor {
                seq: self.seq,
                modified_at: time(self.updated_at),
            },
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct JobRow {
    id: i64,
    kind: String,
    unique_key: Option<String>,
    connection: Option<i64>,
    payload: String,
    status: String,
    attempts: i64,
    run_after: i64,
    lease_expires_at: Option<i64>,
    cancel_requested: bool,
    last_error: Option<String>,
    created_at: i64,
}

impl JobRow {
    pub(crate) fn into_job(self) -> Result<Job> {
        Ok(Job {
            id: JobId(self.id),
            kind: self.kind,
            unique_key: self.unique_key,
            connection: self.connection.map(ConnectionPk),
            payload: from_json("job payload", &self.payload)?,
            status: parsed("job status", &self.status, JobStatus::parse)?,
            attempts: self.attempts,
            run_after: time(self.run_after),
            lease_expires_at: self.lease_expires_at.map(time),
            cancel_requested: self.cancel_requested,
            last_error: self.last_error,
            created_at: time(self.created_at),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct ActionRow {
    id: String,
    connection: i64,
    action_name: String,
    input: String,
    status: String,
    output: Option<String>,
    error: Option<String>,
    created_at: i64,
    finished_at: Option<i64>,
}

impl ActionRow {
    pub(crate) fn into_action(self) -> Result<ActionRun> {
        Ok(ActionRun {
            id: Uuid::parse_str(&self.id)
                .map_err(|_| StoreError::Invalid(format!("invalid action id {:?}", self.id)))?,
            connection: ConnectionPk(self.connection),
            action_name: self.action_name,
            input: from_json("action input", &self.input)?,
            status: parsed("action status", &self.status, ActionStatus::parse)?,
            output: from_json_opt("action output", self.output)?,
            error: from_json_opt("action error", self.error)?,
            created_at: time(self.created_at),
            finished_at: self.finished_at.map(time),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct DeliveryRow {
    id: i64,
    idempotency_id: String,
    connection: Option<i64>,
    kind: String,
    url: String,
    body: Vec<u8>,
    status: String,
    attempts: i64,
    next_attempt_at: i64,
    last_error: Option<String>,
    created_at: i64,
    delivered_at: Option<i64>,
}

impl DeliveryRow {
    pub(crate) fn into_delivery(self) -> Result<Delivery> {
        Ok(Delivery {
            id: DeliveryId(self.id),
            idempotency_id: self.idempotency_id,
            connection: self.connection.map(ConnectionPk),
            kind: self.kind,
            url: self.url,
            body: self.body,
            status: parsed("delivery status", &self.status, DeliveryStatus::parse)?,
            attempts: self.attempts,
            next_attempt_at: time(self.next_attempt_at),
            last_error: self.last_error,
            created_at: time(self.created_at),
            delivered_at: self.delivered_at.map(time),
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct AttemptRow {
    attempted_at: i64,
    http_status: Option<i64>,
    error: Option<String>,
    duration_ms: i64,
}

impl AttemptRow {
    pub(crate) fn into_attempt(self) -> Attempt {
        Attempt {
            attempted_at: time(self.attempted_at),
            http_status: self
                .http_status
                .and_then(|status| u16::try_from(status).ok()),
            error: self.error,
            duration_ms: self.duration_ms,
        }
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct OperationRow {
    id: String,
    kind: String,
    connection: Option<i64>,
    name: String,
    status: String,
    started_at: i64,
    ended_at: Option<i64>,
    summary: Option<String>,
}

impl OperationRow {
    pub(crate) fn into_operation(self) -> Result<Operation> {
        Ok(Operation {
            id: self.id,
            kind: parsed("operation kind", &self.kind, OperationKind::parse)?,
            connection: self.connection.map(ConnectionPk),
            name: self.name,
            status: parsed("operation status", &self.status, OperationStatus::parse)?,
            started_at: time(self.started_at),
            ended_at: self.ended_at.map(time),
            summary: from_json_opt("operation summary", self.summary)?,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(crate) struct MessageRow {
    id: i64,
    level: String,
    message: String,
    fields: Option<String>,
    created_at: i64,
}

impl MessageRow {
    pub(crate) fn into_message(self) -> Result<Message> {
        Ok(Message {
            id: self.id,
            level: parsed("message level", &self.level, Level::parse)?,
            message: self.message,
            fields: from_json_opt("message fields", self.fields)?,
            created_at: time(self.created_at),
        })
    }
}
