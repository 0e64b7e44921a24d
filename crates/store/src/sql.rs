//! The implementation shared by [`crate::SqliteStore`] and [`crate::PostgresStore`].
//!
//! Both schemas store times as microseconds, JSON as text and secrets as sealed bytes, and both
//! databases accept `$n` placeholders, `ON CONFLICT`, `RETURNING`, `UPDATE … FROM` and window
//! functions, so one body of SQL serves both. [`sql_store!`] stamps that body out for each
//! backend type; where the dialects differ, the body uses items each backend defines itself:
//!
//! * `reader()` / `writer()`: the pools for reads and single-statement writes;
//! * `begin_write()`: a transaction that holds the write lock where the database needs it
//!   (SQLite: `BEGIN IMMEDIATE` on the single writer connection);
//! * `after_bulk_change(changed)`, `after_batch(model, size, added)`: refresh the planner's
//!   statistics where the database keeps them (PostgreSQL), after a run and as a model grows
//!   within one;
//! * `begin_batch()`: the same for a record batch, whose commit need not wait for the disk: a
//!   batch lost in a crash goes together with its checkpoint, so the run fetches it again;
//! * `FOR_UPDATE`, `SKIP_LOCKED`: row-locking suffixes (empty on SQLite, whose write
//!   transactions are already serialised);
//! * `TAG_PAIRS`: a table expression of `(key, value)` text pairs of `c.tags`;
//! * `STRPOS`: the "position of substring" function;
//! * `push_text_in(query, values)`: ` IN (…)` on SQLite, ` IN (SELECT unnest($n))` with one
//!   array on PostgreSQL (few parameters keep planning cheap);
//! * `push_id_hash_in(query, pairs)`: ` IN (…)` of `(external_id, hash)` pairs (`VALUES` on
//!   SQLite, whose planner then searches the primary key; `UNNEST` of two arrays on PostgreSQL);
//! * `push_record_rows(query, rows)`: the changed records of a batch as a row source
//!   `u(external_id, seq, hash, payload, last_action)` (`VALUES` on SQLite, `UNNEST` of arrays on
//!   PostgreSQL).

use crate::record::RecordAction;

/// Ids per statement (well under both databases' parameter limits).
pub(crate) const IDS_PER_STATEMENT: usize = 1_000;

/// A record of a batch that is added or updated, as `push_record_rows` writes it.
pub(crate) struct ChangedRecord<'a> {
    pub(crate) external_id: &'a str,
    pub(crate) seq: i64,
    pub(crate) hash: &'a [u8; 32],
    pub(crate) payload: &'a str,
    pub(crate) action: RecordAction,
}

/// Default page size where a filter's limit is 0.
pub(crate) const DEFAULT_LIST_LIMIT: i64 = 100;

pub(crate) fn page_limit(limit: u32) -> i64 {
    if limit == 0 {
        DEFAULT_LIST_LIMIT
    } else {
        i64::from(limit)
    }
}

/// The end user's id and organization id, for filtering: from the profile, else the tags.
pub(crate) fn end_user_keys(
    end_user: Option<&serde_json::Value>,
    tags: &std::collections::BTreeMap<String, String>,
) -> (Option<String>, Option<String>) {
    let text =
        |value: Option<&serde_json::Value>| value.and_then(|v| v.as_str()).map(str::to_owned);
    let id =
        text(end_user.and_then(|user| user.get("id"))).or_else(|| tags.get("end_user_id").cloned());
    let organization = text(end_user.and_then(|user| user.pointer("/organization/id")))
        .or_else(|| tags.get("organization_id").cloned());
    (id, organization)
}

/// The sealing context of a connection's credentials: binds them to their row.
pub(crate) fn credentials_context(integration_key: &str, connection_id: &str) -> String {
    format!("connection:{integration_key}\0{connection_id}")
}

/// The sealing context of a setting.
pub(crate) fn setting_context(key: &str) -> String {
    format!("setting:{key}")
}

/// The setting that proves the configured master key is the one the database was sealed with.
pub(crate) const KEY_CHECK_SETTING: &str = "store.key_check";

macro_rules! sql_store {
    ($Store:ident, $Db:ty) => {
        mod shared {
        use super::*;
        use std::{collections::HashMap, sync::Arc};

        use chrono::{DateTime, Utc};
        use secrecy::{ExposeSecret, SecretString};
        use serde_json::Value;
        use sqlx::QueryBuilder;
        use uuid::Uuid;

        use $crate::{
            connection::{
                ConnectSession, Connection, ConnectionErrorKind, ConnectionFilter,
                ConnectionUpdate, MetadataWrite, NewConnection,
            },
            error::{Result, StoreError},
            ids::{ConnectionPk, DeliveryId, JobId, RunId, SyncId},
            integration::{Integration, NewIntegration},
            job::{ActionRun, ActionStatus, ClaimedJob, Heartbeat, Job, JobStatus, Lease, NewJob},
            operation::{
                Message, NewMessage, NewOperation, Operation, OperationFilter, OperationStatus,
            },
            record::{
                Cursor, MAX_PAGE_SIZE, MAX_QUERY_IDS, ModelCount, ModelKey, PruneOutcome,
                RecordAction, RecordPage, RecordQuery, SaveBatch, SaveCounts,
            },
            rows::{
                ActionRow, AttemptRow, CONNECTION_COLUMNS, ConnectionErrorRow, ConnectionRow,
                DeliveryRow, IntegrationRow, JobRow, MessageRow, OperationRow, RecordRow,
                RunRow, SyncRow, assemble_connections, from_json, micros, now,
                to_json, token_hash,
            },
            secret::{Cipher, MasterKey, SecretJson},
            sql::{
                ChangedRecord, IDS_PER_STATEMENT, KEY_CHECK_SETTING, credentials_context, end_user_keys,
                page_limit, setting_context,
            },
            store::{RotationReport, Store},
            sync::{
                FinishRun, ModelCounts, NewSync, Run, RunStatus, StartRun, SyncErrorUpdate,
                SyncState,
            },
            webhook::{
                Attempt, AttemptOutcome, AttemptResult, Delivery, DeliveryFilter, DeliveryLease,
                DeliveryStatus, NewDelivery,
            },
        };

        type DbConnection = <$Db as sqlx::Database>::Connection;

        const KEY_CHECK_PLAINTEXT: &[u8] = b"snowgate master key check";

        const SYNC_COLUMNS: &str = "id, connection, name, variant, paused, frequency_secs, \
             frequency_override, next_run_at, checkpoint, tracking_generation, last_run, \
             last_status, created_at, updated_at";
        const RUN_COLUMNS: &str = "id, sync, status, reset, started_at, first_started_at, \
             resumed_from, operation, added, updated, finished_at, counts, error, snowflake_calls";
        const JOB_COLUMNS: &str = "id, kind, unique_key, connection, payload, status, attempts, \
             run_after, lease_expires_at, cancel_requested, last_error, created_at";
        const DELIVERY_COLUMNS: &str = "id, idempotency_id, connection, kind, url, body, status, \
             attempts, next_attempt_at, last_error, created_at, delivered_at";
        const ACTION_COLUMNS: &str = "id, connection, action_name, input, status, output, \
             error, created_at, finished_at";
        const OPERATION_COLUMNS: &str = "id, kind, connection, name, status, started_at, \
             ended_at, summary";

        /// A record of a batch after de-duplication, with what the store knows of it.
        struct Incoming<'a> {
            external_id: String,
            payload: &'a str,
            hash: &'a [u8; 32],
        }

        /// What is stored of a record, as far as classification needs it.
        #[derive(sqlx::FromRow)]
        struct Existing {
            external_id: String,
            hash: Vec<u8>,
            deleted: bool,
        }

        impl $Store {
            fn cipher(&self) -> Arc<Cipher> {
                self.cipher.read().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
            }

            /// Fails unless the configured master key opens the database's key check (written
            /// on first start).
            pub(crate) async fn verify_master_key(&self) -> Result<()> {
                let cipher = self.cipher();
                let context = setting_context(KEY_CHECK_SETTING);
                let stored: Option<Vec<u8>> =
                    sqlx::query_scalar("SELECT sealed FROM settings WHERE key = $1")
                        .bind(KEY_CHECK_SETTING)
                        .fetch_optional(self.reader())
                        .await?
                        .flatten();
                match stored {
                    Some(sealed) => cipher.open(&sealed, &context).map(drop),
                    None => {
                        sqlx::query(
                            "INSERT INTO settings (key, sealed, updated_at) VALUES ($1, $2, $3) \
                             ON CONFLICT (key) DO NOTHING",
                        )
                        .bind(KEY_CHECK_SETTING)
                        .bind(cipher.seal(KEY_CHECK_PLAINTEXT, &context))
                        .bind(now())
                        .execute(self.writer())
                        .await?;
                        Ok(())
                    }
                }
            }

            /// Runs a `SELECT {CONNECTION_COLUMNS} …` and attaches the connections' errors.
            async fn load_connections(
                &self,
                mut query: QueryBuilder<$Db>,
            ) -> Result<Vec<Connection>> {
                let rows: Vec<ConnectionRow> =
                    query.build_query_as().fetch_all(self.reader()).await?;
                let mut error_rows = Vec::new();
                for chunk in rows.chunks(IDS_PER_STATEMENT) {
                    let mut errors = QueryBuilder::<$Db>::new(
                        "SELECT connection, kind, scope, log_id FROM connection_errors \
                         WHERE connection IN (",
                    );
                    let mut ids = errors.separated(", ");
                    for row in chunk {
                        ids.push_bind(row.id);
                    }
                    errors.push(") ORDER BY connection, kind, scope");
                    error_rows.extend(
                        errors.build_query_as::<ConnectionErrorRow>().fetch_all(self.reader()).await?,
                    );
                }
                assemble_connections(rows, error_rows)
            }

            fn select_connections() -> QueryBuilder<$Db> {
                QueryBuilder::new(format!(
                    "SELECT {CONNECTION_COLUMNS} FROM connections c \
                     JOIN integrations i ON i.unique_key = c.integration_key WHERE TRUE"
                ))
            }

            async fn one_connection(&self, query: QueryBuilder<$Db>) -> Result<Option<Connection>> {
                Ok(self.load_connections(query).await?.into_iter().next())
            }

            /// The model's id and last sequence number, locking its counter row until the
            /// transaction ends (this serialises writers of the model); created if `create`.
            async fn lock_model(
                conn: &mut DbConnection,
                connection: ConnectionPk,
                model: &ModelKey,
                create: bool,
            ) -> Result<Option<(i64, i64)>> {
                if create {
                    sqlx::query(
                        "INSERT INTO record_models (connection, model) VALUES ($1, $2) \
                         ON CONFLICT (connection, model) DO NOTHING",
                    )
                    .bind(connection)
                    .bind(model.as_str())
                    .execute(&mut *conn)
                    .await?;
                }
                let mut query = QueryBuilder::<$Db>::new(
                    "SELECT id, last_seq FROM record_models WHERE connection = ",
                );
                query.push_bind(connection).push(" AND model = ").push_bind(model.as_str());
                query.push(Self::FOR_UPDATE);
                Ok(query.build_query_as::<(i64, i64)>().fetch_optional(&mut *conn).await?)
            }

            async fn model_id(&self, connection: ConnectionPk, model: &ModelKey) -> Result<Option<i64>> {
                Ok(sqlx::query_scalar(
                    "SELECT id FROM record_models WHERE connection = $1 AND model = $2",
                )
                .bind(connection)
                .bind(model.as_str())
                .fetch_optional(self.reader())
                .await?)
            }

            /// Soft-deletes the live records of a model that match `condition` (pushed after
            /// `AND`), giving each the next sequence number. Returns how many.
            async fn mark_deleted(
                conn: &mut DbConnection,
                model_id: i64,
                last_seq: i64,
                condition: impl FnOnce(&mut QueryBuilder<$Db>),
            ) -> Result<u64> {
                let at = now();
                let mut query = QueryBuilder::<$Db>::new("UPDATE records SET seq = ");
                query.push_bind(last_seq).push(" + r.rn, last_action = 'DELETED', deleted_at = ");
                query.push_bind(at).push(", updated_at = ").push_bind(at);
                query.push(
                    " FROM (SELECT external_id AS ext, \
                     row_number() OVER (ORDER BY external_id) AS rn \
                     FROM records WHERE deleted_at IS NULL AND model = ",
                );
                query.push_bind(model_id).push(" AND ");
                condition(&mut query);
                query.push(") AS r WHERE records.model = ").push_bind(model_id);
                query.push(" AND records.external_id = r.ext");
                let deleted = query.build().execute(&mut *conn).await?.rows_affected();
                Self::advance_model(conn, model_id, last_seq + deleted as i64, -(deleted as i64))
                    .await?;
                Ok(deleted)
            }

            /// Locks a run that must still be running (the fence against a worker whose lease
            /// was taken over: once a new run of the sync started, the old one's writes fail).
            async fn lock_running_run(conn: &mut DbConnection, run: RunId) -> Result<()> {
                let mut query = QueryBuilder::<$Db>::new("SELECT status FROM runs WHERE id = ");
                query.push_bind(run).push(Self::FOR_UPDATE);
                let status: Option<String> =
                    query.build_query_scalar().fetch_optional(&mut *conn).await?;
                match status.as_deref() {
                    Some("running") => Ok(()),
                    Some(_) => Err(StoreError::LeaseLost { what: "run", id: run.0 }),
                    None => Err(StoreError::NotFound { what: "run", key: run.to_string() }),
                }
            }

            async fn advance_model(
                conn: &mut DbConnection,
                model_id: i64,
                last_seq: i64,
                live_delta: i64,
            ) -> Result<()> {
                sqlx::query(
                    "UPDATE record_models SET last_seq = $1, live_count = live_count + $2 \
                     WHERE id = $3",
                )
                .bind(last_seq)
                .bind(live_delta)
                .bind(model_id)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            async fn insert_deliveries(
                conn: &mut DbConnection,
                deliveries: &[NewDelivery],
            ) -> Result<u64> {
                let created = now();
                let mut added = 0;
                for delivery in deliveries {
                    added += sqlx::query(
                        "INSERT INTO webhook_deliveries (idempotency_id, connection, kind, url, \
                         body, status, next_attempt_at, created_at) \
                         VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7) \
                         ON CONFLICT (idempotency_id) DO NOTHING",
                    )
                    .bind(&delivery.idempotency_id)
                    .bind(delivery.connection)
                    .bind(&delivery.kind)
                    .bind(&delivery.url)
                    .bind(&delivery.body)
                    .bind(micros(delivery.next_attempt_at))
                    .bind(created)
                    .execute(&mut *conn)
                    .await?
                    .rows_affected();
                }
                Ok(added)
            }

            async fn write_connection_error(
                conn: &mut DbConnection,
                id: ConnectionPk,
                kind: ConnectionErrorKind,
                scope: &str,
                log_id: &str,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO connection_errors (connection, kind, scope, log_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (connection, kind, scope) \
                     DO UPDATE SET log_id = excluded.log_id, created_at = excluded.created_at",
                )
                .bind(id)
                .bind(kind.as_str())
                .bind(scope)
                .bind(log_id)
                .bind(now())
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            async fn delete_connection_errors(
                conn: &mut DbConnection,
                id: ConnectionPk,
                kind: ConnectionErrorKind,
                scope: Option<&str>,
            ) -> Result<bool> {
                let deleted = sqlx::query(
                    "DELETE FROM connection_errors WHERE connection = $1 AND kind = $2 \
                     AND ($3 IS NULL OR scope = $3)",
                )
                .bind(id)
                .bind(kind.as_str())
                .bind(scope)
                .execute(&mut *conn)
                .await?
                .rows_affected();
                Ok(deleted > 0)
            }

            /// Inserts a running operation; returns its new id.
            async fn insert_operation(
                conn: &mut DbConnection,
                operation: &NewOperation,
            ) -> Result<String> {
                let id = Uuid::new_v4().simple().to_string();
                sqlx::query(
                    "INSERT INTO operations (id, kind, connection, name, status, started_at) \
                     VALUES ($1, $2, $3, $4, 'running', $5)",
                )
                .bind(&id)
                .bind(operation.kind.as_str())
                .bind(operation.connection)
                .bind(&operation.name)
                .bind(micros(operation.started_at))
                .execute(&mut *conn)
                .await?;
                Ok(id)
            }

            async fn job_row(&self, id: JobId) -> Result<Option<Job>> {
                sqlx::query_as::<_, JobRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"
                )))
                .bind(id)
                .fetch_optional(self.reader())
                .await?
                .map(JobRow::into_job)
                .transpose()
            }

            async fn run_row(conn: &mut DbConnection, id: RunId) -> Result<Option<Run>> {
                sqlx::query_as::<_, RunRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {RUN_COLUMNS} FROM runs WHERE id = $1"
                )))
                .bind(id)
                .fetch_optional(&mut *conn)
                .await?
                .map(RunRow::into_run)
                .transpose()
            }

            /// Ends a leased job with `status`; fails if the lease is gone.
            async fn end_job(
                &self,
                lease: &Lease,
                status: JobStatus,
                error: Option<&str>,
                retry_at: Option<DateTime<Utc>>,
            ) -> Result<()> {
                let ended = sqlx::query(
                    "UPDATE jobs SET status = $1, last_error = COALESCE($2, last_error), \
                     run_after = COALESCE($3, run_after), lease_token = NULL, \
                     lease_owner = NULL, lease_expires_at = NULL, updated_at = $4 \
                     WHERE id = $5 AND lease_token = $6 AND status = 'running'",
                )
                .bind(status.as_str())
                .bind(error)
                .bind(retry_at.map(micros))
                .bind(now())
                .bind(lease.job)
                .bind(lease.token.to_string())
                .execute(self.writer())
                .await?
                .rows_affected();
                if ended == 0 {
                    return Err(StoreError::LeaseLost { what: "job", id: lease.job.0 });
                }
                Ok(())
            }
        }

        impl Store for $Store {
            async fn rotate_master_key(&self, next: MasterKey) -> Result<RotationReport> {
                let rotated = self.cipher().rotated(&next);
                let key_id = rotated.current_key_id();
                let mut tx = self.begin_write().await?;
                let mut resealed = 0;
                let connections: Vec<(i64, String, String, Vec<u8>)> = sqlx::query_as(
                    "SELECT id, integration_key, connection_id, credentials FROM connections \
                     WHERE credentials IS NOT NULL",
                )
                .fetch_all(&mut *tx)
                .await?;
                for (id, integration_key, connection_id, sealed) in connections {
                    if Cipher::key_id_of(&sealed) == Some(key_id) {
                        continue;
                    }
                    let context = credentials_context(&integration_key, &connection_id);
                    let plaintext = rotated.open(&sealed, &context)?;
                    sqlx::query("UPDATE connections SET credentials = $1 WHERE id = $2")
                        .bind(rotated.seal(plaintext.expose_secret(), &context))
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                    resealed += 1;
                }
                let settings: Vec<(String, Vec<u8>)> =
                    sqlx::query_as("SELECT key, sealed FROM settings WHERE sealed IS NOT NULL")
                        .fetch_all(&mut *tx)
                        .await?;
                for (key, sealed) in settings {
                    if Cipher::key_id_of(&sealed) == Some(key_id) {
                        continue;
                    }
                    let context = setting_context(&key);
                    let plaintext = rotated.open(&sealed, &context)?;
                    sqlx::query("UPDATE settings SET sealed = $1 WHERE key = $2")
                        .bind(rotated.seal(plaintext.expose_secret(), &context))
                        .bind(&key)
                        .execute(&mut *tx)
                        .await?;
                    resealed += 1;
                }
                tx.commit().await?;
                *self.cipher.write().unwrap_or_else(std::sync::PoisonError::into_inner) =
                    Arc::new(rotated);
                tracing::info!(key_id = %key_id, resealed, "re-sealed secrets under a new master key");
                Ok(RotationReport { resealed, key_id })
            }

            async fn setting(&self, key: &str) -> Result<Option<String>> {
                Ok(sqlx::query_scalar("SELECT value FROM settings WHERE key = $1")
                    .bind(key)
                    .fetch_optional(self.reader())
                    .await?
                    .flatten())
            }

            async fn set_setting(&self, key: &str, value: Option<&str>) -> Result<()> {
                match value {
                    Some(value) => sqlx::query(
                        "INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (key) DO UPDATE SET value = excluded.value, \
                         sealed = NULL, updated_at = excluded.updated_at",
                    )
                    .bind(key)
                    .bind(value)
                    .bind(now()),
                    None => sqlx::query("DELETE FROM settings WHERE key = $1").bind(key),
                }
                .execute(self.writer())
                .await?;
                Ok(())
            }

            async fn secret_setting(&self, key: &str) -> Result<Option<SecretString>> {
                let sealed: Option<Vec<u8>> =
                    sqlx::query_scalar("SELECT sealed FROM settings WHERE key = $1")
                        .bind(key)
                        .fetch_optional(self.reader())
                        .await?
                        .flatten();
                sealed
                    .map(|sealed| self.cipher().open_string(&sealed, &setting_context(key)))
                    .transpose()
            }

            async fn set_secret_setting(&self, key: &str, value: &SecretString) -> Result<()> {
                sqlx::query(
                    "INSERT INTO settings (key, sealed, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (key) DO UPDATE SET sealed = excluded.sealed, value = NULL, \
                     updated_at = excluded.updated_at",
                )
                .bind(key)
                .bind(self.cipher().seal_string(value, &setting_context(key)))
                .bind(now())
                .execute(self.writer())
                .await?;
                Ok(())
            }

            async fn secret_setting_or_insert(
                &self,
                key: &str,
                candidate: SecretString,
            ) -> Result<SecretString> {
                sqlx::query(
                    "INSERT INTO settings (key, sealed, updated_at) VALUES ($1, $2, $3) \
                     ON CONFLICT (key) DO NOTHING",
                )
                .bind(key)
                .bind(self.cipher().seal_string(&candidate, &setting_context(key)))
                .bind(now())
                .execute(self.writer())
                .await?;
                self.secret_setting(key).await?.ok_or_else(|| StoreError::NotFound {
                    what: "secret setting",
                    key: key.to_owned(),
                })
            }

            async fn upsert_integration(&self, integration: &NewIntegration) -> Result<Integration> {
                let at = now();
                sqlx::query_as::<_, IntegrationRow>(
                    "INSERT INTO integrations (unique_key, provider, display_name, config, \
                     created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) \
                     ON CONFLICT (unique_key) DO UPDATE SET provider = excluded.provider, \
                     display_name = excluded.display_name, config = excluded.config, \
                     updated_at = excluded.updated_at \
                     RETURNING unique_key, provider, display_name, config, created_at, updated_at",
                )
                .bind(&integration.unique_key)
                .bind(&integration.provider)
                .bind(&integration.display_name)
                .bind(to_json("integration config", &integration.config)?)
                .bind(at)
                .fetch_one(self.writer())
                .await?
                .into_integration()
            }

            async fn integration(&self, unique_key: &str) -> Result<Option<Integration>> {
                sqlx::query_as::<_, IntegrationRow>(
                    "SELECT unique_key, provider, display_name, config, created_at, updated_at \
                     FROM integrations WHERE unique_key = $1",
                )
                .bind(unique_key)
                .fetch_optional(self.reader())
                .await?
                .map(IntegrationRow::into_integration)
                .transpose()
            }

            async fn list_integrations(&self) -> Result<Vec<Integration>> {
                sqlx::query_as::<_, IntegrationRow>(
                    "SELECT unique_key, provider, display_name, config, created_at, updated_at \
                     FROM integrations ORDER BY unique_key",
                )
                .fetch_all(self.reader())
                .await?
                .into_iter()
                .map(IntegrationRow::into_integration)
                .collect()
            }

            async fn delete_integration(&self, unique_key: &str) -> Result<bool> {
                Ok(sqlx::query("DELETE FROM integrations WHERE unique_key = $1")
                    .bind(unique_key)
                    .execute(self.writer())
                    .await?
                    .rows_affected()
                    > 0)
            }

            async fn upsert_connection(
                &self,
                connection: &NewConnection,
            ) -> Result<(Connection, bool)> {
                let at = now();
                let (end_user_id, organization_id) =
                    end_user_keys(connection.end_user.as_ref(), &connection.tags);
                let sealed = self.cipher().seal_json(
                    &connection.credentials,
                    &credentials_context(&connection.integration_key, &connection.connection_id),
                );
                let mut tx = self.begin_write().await?;
                let (id, created_at): (i64, i64) = sqlx::query_as(
                    "INSERT INTO connections (integration_key, connection_id, connection_config, \
                     metadata, tags, end_user, end_user_id, organization_id, \
                     webhook_url_override, credentials, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
                     ON CONFLICT (integration_key, connection_id) DO UPDATE SET \
                     connection_config = excluded.connection_config, tags = excluded.tags, \
                     end_user = excluded.end_user, end_user_id = excluded.end_user_id, \
                     organization_id = excluded.organization_id, \
                     webhook_url_override = excluded.webhook_url_override, \
                     credentials = excluded.credentials, updated_at = excluded.updated_at \
                     RETURNING id, created_at",
                )
                .bind(&connection.integration_key)
                .bind(&connection.connection_id)
                .bind(to_json("connection config", &connection.connection_config)?)
                .bind(connection.metadata.as_ref().map(|m| to_json("metadata", m)).transpose()?)
                .bind(to_json("tags", &connection.tags)?)
                .bind(connection.end_user.as_ref().map(|u| to_json("end user", u)).transpose()?)
                .bind(end_user_id)
                .bind(organization_id)
                .bind(&connection.webhook_url_override)
                .bind(sealed)
                .bind(at)
                .fetch_one(&mut *tx)
                .await
                .map_err(|error| match error {
                    sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                        StoreError::NotFound {
                            what: "integration",
                            key: connection.integration_key.clone(),
                        }
                    }
                    other => other.into(),
                })?;
                let id = ConnectionPk(id);
                Self::delete_connection_errors(&mut tx, id, ConnectionErrorKind::Auth, None).await?;
                tx.commit().await?;
                let stored = self.connection_by_pk(id).await?.ok_or_else(|| StoreError::NotFound {
                    what: "connection",
                    key: connection.connection_id.clone(),
                })?;
                Ok((stored, created_at == at))
            }

            async fn connection(
                &self,
                integration_key: &str,
                connection_id: &str,
            ) -> Result<Option<Connection>> {
                let mut query = Self::select_connections();
                query.push(" AND c.integration_key = ").push_bind(integration_key);
                query.push(" AND c.connection_id = ").push_bind(connection_id);
                self.one_connection(query).await
            }

            async fn connection_pk(
                &self,
                integration_key: &str,
                connection_id: &str,
            ) -> Result<Option<ConnectionPk>> {
                let id: Option<i64> = sqlx::query_scalar(
                    "SELECT id FROM connections WHERE integration_key = $1 AND connection_id = $2",
                )
                .bind(integration_key)
                .bind(connection_id)
                .fetch_optional(self.reader())
                .await?;
                Ok(id.map(ConnectionPk))
            }

            async fn connection_by_pk(&self, id: ConnectionPk) -> Result<Option<Connection>> {
                let mut query = Self::select_connections();
                query.push(" AND c.id = ").push_bind(id);
                self.one_connection(query).await
            }

            async fn list_connections(&self, filter: &ConnectionFilter) -> Result<Vec<Connection>> {
                let mut query = Self::select_connections();
                if !filter.integration_keys.is_empty() {
                    query.push(" AND c.integration_key IN (");
                    let mut keys = query.separated(", ");
                    for key in &filter.integration_keys {
                        keys.push_bind(key);
                    }
                    query.push(")");
                }
                if let Some(connection_id) = &filter.connection_id {
                    query.push(" AND c.connection_id = ").push_bind(connection_id);
                }
                if let Some(search) = &filter.search {
                    let needle = search.to_lowercase();
                    query.push(format!(" AND ({}(lower(c.connection_id), ", Self::STRPOS));
                    query.push_bind(needle.clone());
                    query.push(format!(") > 0 OR {}(lower(COALESCE(c.end_user, '')), ", Self::STRPOS));
                    query.push_bind(needle).push(") > 0)");
                }
                for (key, value) in &filter.tags {
                    query.push(format!(" AND EXISTS (SELECT 1 FROM {} WHERE t.key = ", Self::TAG_PAIRS));
                    query.push_bind(key).push(" AND t.value = ").push_bind(value).push(")");
                }
                if let Some(end_user_id) = &filter.end_user_id {
                    query.push(" AND c.end_user_id = ").push_bind(end_user_id);
                }
                if let Some(organization_id) = &filter.end_user_organization_id {
                    query.push(" AND c.organization_id = ").push_bind(organization_id);
                }
                let limit = page_limit(filter.limit);
                query.push(" ORDER BY c.id DESC LIMIT ").push_bind(limit);
                query.push(" OFFSET ").push_bind(limit * i64::from(filter.page));
                self.load_connections(query).await
            }

            async fn update_connection(
                &self,
                id: ConnectionPk,
                update: &ConnectionUpdate,
            ) -> Result<bool> {
                let mut tx = self.begin_write().await?;
                let mut query = QueryBuilder::<$Db>::new("SELECT tags, end_user FROM connections WHERE id = ");
                query.push_bind(id).push(Self::FOR_UPDATE);
                let Some((tags, end_user)): Option<(String, Option<String>)> =
                    query.build_query_as().fetch_optional(&mut *tx).await?
                else {
                    return Ok(false);
                };
                let tags = match &update.tags {
                    Some(tags) => tags.clone(),
                    None => from_json("connection tags", &tags)?,
                };
                let end_user: Option<Value> = match &update.end_user {
                    Some(end_user) => end_user.clone(),
                    None => end_user.map(|text| from_json("end user", &text)).transpose()?,
                };
                let (end_user_id, organization_id) = end_user_keys(end_user.as_ref(), &tags);
                sqlx::query(
                    "UPDATE connections SET tags = $1, end_user = $2, end_user_id = $3, \
                     organization_id = $4, \
                     webhook_url_override = CASE WHEN $5 THEN $6 ELSE webhook_url_override END, \
                     updated_at = $7 WHERE id = $8",
                )
                .bind(to_json("tags", &tags)?)
                .bind(end_user.as_ref().map(|u| to_json("end user", u)).transpose()?)
                .bind(end_user_id)
                .bind(organization_id)
                .bind(update.webhook_url_override.is_some())
                .bind(update.webhook_url_override.clone().flatten())
                .bind(now())
                .bind(id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(true)
            }

            async fn write_metadata(
                &self,
                integration_key: &str,
                connection_ids: &[String],
                metadata: &Value,
                mode: MetadataWrite,
            ) -> Result<()> {
                let at = now();
                let mut tx = self.begin_write().await?;
                for connection_id in connection_ids {
                    let mut query = QueryBuilder::<$Db>::new(
                        "SELECT id, metadata FROM connections WHERE integration_key = ",
                    );
                    query.push_bind(integration_key);
                    query.push(" AND connection_id = ").push_bind(connection_id);
                    query.push(Self::FOR_UPDATE);
                    let Some((id, current)): Option<(i64, Option<String>)> =
                        query.build_query_as().fetch_optional(&mut *tx).await?
                    else {
                        return Err(StoreError::NotFound {
                            what: "connection",
                            key: connection_id.clone(),
                        });
                    };
                    let merged = match (mode, current) {
                        (MetadataWrite::Merge, Some(current)) => {
                            let mut current: Value = from_json("connection metadata", &current)?;
                            match (current.as_object_mut(), metadata.as_object()) {
                                (Some(current_map), Some(update)) => {
                                    current_map.extend(update.clone());
                                    current
                                }
                                _ => metadata.clone(),
                            }
                        }
                        _ => metadata.clone(),
                    };
                    sqlx::query("UPDATE connections SET metadata = $1, updated_at = $2 WHERE id = $3")
                        .bind(to_json("connection metadata", &merged)?)
                        .bind(at)
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn delete_connection(
                &self,
                integration_key: &str,
                connection_id: &str,
                webhooks: &[NewDelivery],
            ) -> Result<bool> {
                let mut tx = self.begin_write().await?;
                let deleted = sqlx::query(
                    "DELETE FROM connections WHERE integration_key = $1 AND connection_id = $2",
                )
                .bind(integration_key)
                .bind(connection_id)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    > 0;
                if deleted {
                    Self::insert_deliveries(&mut tx, webhooks).await?;
                }
                tx.commit().await?;
                Ok(deleted)
            }

            async fn credentials(&self, id: ConnectionPk) -> Result<Option<SecretJson>> {
                let row: Option<(String, String, Option<Vec<u8>>)> = sqlx::query_as(
                    "SELECT integration_key, connection_id, credentials FROM connections \
                     WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(self.reader())
                .await?;
                let Some((integration_key, connection_id, Some(sealed))) = row else {
                    return Ok(None);
                };
                self.cipher()
                    .open_json(&sealed, &credentials_context(&integration_key, &connection_id))
                    .map(Some)
            }

            async fn set_credentials(
                &self,
                id: ConnectionPk,
                credentials: &SecretJson,
            ) -> Result<()> {
                let mut tx = self.begin_write().await?;
                let Some((integration_key, connection_id)): Option<(String, String)> =
                    sqlx::query_as("SELECT integration_key, connection_id FROM connections WHERE id = $1")
                        .bind(id)
                        .fetch_optional(&mut *tx)
                        .await?
                else {
                    return Err(StoreError::NotFound { what: "connection", key: id.to_string() });
                };
                let sealed = self
                    .cipher()
                    .seal_json(credentials, &credentials_context(&integration_key, &connection_id));
                sqlx::query("UPDATE connections SET credentials = $1, updated_at = $2 WHERE id = $3")
                    .bind(sealed)
                    .bind(now())
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn mark_fetched(&self, id: ConnectionPk, at: DateTime<Utc>) -> Result<()> {
                sqlx::query("UPDATE connections SET last_fetched_at = $1 WHERE id = $2")
                    .bind(micros(at))
                    .bind(id)
                    .execute(self.writer())
                    .await?;
                Ok(())
            }

            async fn stale_connections(
                &self,
                before: DateTime<Utc>,
                limit: u32,
            ) -> Result<Vec<ConnectionPk>> {
                Ok(sqlx::query_scalar(
                    "SELECT id FROM connections \
                     WHERE COALESCE(last_fetched_at, created_at) < $1 \
                     ORDER BY COALESCE(last_fetched_at, created_at), id LIMIT $2",
                )
                .bind(micros(before))
                .bind(page_limit(limit))
                .fetch_all(self.reader())
                .await?)
            }

            async fn set_connection_error(
                &self,
                id: ConnectionPk,
                kind: ConnectionErrorKind,
                scope: &str,
                log_id: &str,
            ) -> Result<()> {
                let mut conn = self.writer().acquire().await?;
                Self::write_connection_error(&mut conn, id, kind, scope, log_id).await
            }

            async fn clear_connection_error(
                &self,
                id: ConnectionPk,
                kind: ConnectionErrorKind,
                scope: Option<&str>,
                webhooks: &[NewDelivery],
            ) -> Result<bool> {
                let mut tx = self.begin_write().await?;
                let cleared = Self::delete_connection_errors(&mut tx, id, kind, scope).await?;
                if cleared {
                    Self::insert_deliveries(&mut tx, webhooks).await?;
                }
                tx.commit().await?;
                Ok(cleared)
            }

            async fn create_connect_session(
                &self,
                token: &SecretString,
                session: &ConnectSession,
            ) -> Result<()> {
                sqlx::query(
                    "INSERT INTO connect_sessions (token_hash, session, created_at, expires_at) \
                     VALUES ($1, $2, $3, $4)",
                )
                .bind(token_hash(token.expose_secret()))
                .bind(to_json("connect session", session)?)
                .bind(now())
                .bind(micros(session.expires_at))
                .execute(self.writer())
                .await?;
                Ok(())
            }

            async fn connect_session(
                &self,
                token: &SecretString,
                now: DateTime<Utc>,
            ) -> Result<Option<ConnectSession>> {
                let session: Option<String> = sqlx::query_scalar(
                    "SELECT session FROM connect_sessions WHERE token_hash = $1 AND expires_at > $2",
                )
                .bind(token_hash(token.expose_secret()))
                .bind(micros(now))
                .fetch_optional(self.reader())
                .await?;
                session.map(|text| from_json("connect session", &text)).transpose()
            }

            async fn delete_connect_session(&self, token: &SecretString) -> Result<bool> {
                Ok(sqlx::query("DELETE FROM connect_sessions WHERE token_hash = $1")
                    .bind(token_hash(token.expose_secret()))
                    .execute(self.writer())
                    .await?
                    .rows_affected()
                    > 0)
            }

            async fn purge_connect_sessions(&self, now: DateTime<Utc>) -> Result<u64> {
                Ok(sqlx::query("DELETE FROM connect_sessions WHERE expires_at <= $1")
                    .bind(micros(now))
                    .execute(self.writer())
                    .await?
                    .rows_affected())
            }

            async fn ensure_sync(&self, sync: &NewSync) -> Result<SyncState> {
                let at = now();
                sqlx::query_as::<_, SyncRow>(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO syncs (connection, name, variant, paused, frequency_secs, \
                     next_run_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
                     ON CONFLICT (connection, name, variant) DO UPDATE SET \
                     frequency_secs = excluded.frequency_secs RETURNING {SYNC_COLUMNS}"
                )))
                .bind(sync.connection)
                .bind(&sync.name)
                .bind(&sync.variant)
                .bind(sync.paused)
                .bind(sync.frequency_secs)
                .bind(sync.next_run_at.map(micros))
                .bind(at)
                .fetch_one(self.writer())
                .await?
                .into_sync()
            }

            async fn sync(&self, id: SyncId) -> Result<Option<SyncState>> {
                sqlx::query_as::<_, SyncRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {SYNC_COLUMNS} FROM syncs WHERE id = $1"
                )))
                .bind(id)
                .fetch_optional(self.reader())
                .await?
                .map(SyncRow::into_sync)
                .transpose()
            }

            async fn find_sync(
                &self,
                connection: ConnectionPk,
                name: &str,
                variant: &str,
            ) -> Result<Option<SyncState>> {
                sqlx::query_as::<_, SyncRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {SYNC_COLUMNS} FROM syncs WHERE connection = $1 AND name = $2 \
                     AND variant = $3"
                )))
                .bind(connection)
                .bind(name)
                .bind(variant)
                .fetch_optional(self.reader())
                .await?
                .map(SyncRow::into_sync)
                .transpose()
            }

            async fn list_syncs(&self, connection: ConnectionPk) -> Result<Vec<SyncState>> {
                sqlx::query_as::<_, SyncRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {SYNC_COLUMNS} FROM syncs WHERE connection = $1 ORDER BY name, variant"
                )))
                .bind(connection)
                .fetch_all(self.reader())
                .await?
                .into_iter()
                .map(SyncRow::into_sync)
                .collect()
            }

            async fn set_sync_paused(&self, id: SyncId, paused: bool) -> Result<()> {
                sqlx::query("UPDATE syncs SET paused = $1, updated_at = $2 WHERE id = $3")
                    .bind(paused)
                    .bind(now())
                    .bind(id)
                    .execute(self.writer())
                    .await?;
                Ok(())
            }

            async fn set_sync_frequency(&self, id: SyncId, override_secs: Option<i64>) -> Result<()> {
                sqlx::query("UPDATE syncs SET frequency_override = $1, updated_at = $2 WHERE id = $3")
                    .bind(override_secs)
                    .bind(now())
                    .bind(id)
                    .execute(self.writer())
                    .await?;
                Ok(())
            }

            async fn set_next_run(&self, id: SyncId, at: Option<DateTime<Utc>>) -> Result<()> {
                sqlx::query("UPDATE syncs SET next_run_at = $1, updated_at = $2 WHERE id = $3")
                    .bind(at.map(micros))
                    .bind(now())
                    .bind(id)
                    .execute(self.writer())
                    .await?;
                Ok(())
            }

            async fn save_checkpoint(&self, id: SyncId, checkpoint: Option<&Value>) -> Result<()> {
                sqlx::query("UPDATE syncs SET checkpoint = $1, updated_at = $2 WHERE id = $3")
                    .bind(checkpoint.map(|c| to_json("checkpoint", c)).transpose()?)
                    .bind(now())
                    .bind(id)
                    .execute(self.writer())
                    .await?;
                Ok(())
            }

            async fn delete_sync(&self, id: SyncId) -> Result<bool> {
                Ok(sqlx::query("DELETE FROM syncs WHERE id = $1")
                    .bind(id)
                    .execute(self.writer())
                    .await?
                    .rows_affected()
                    > 0)
            }

            async fn due_syncs(&self, now: DateTime<Utc>, limit: u32) -> Result<Vec<SyncState>> {
                sqlx::query_as::<_, SyncRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {SYNC_COLUMNS} FROM syncs s WHERE NOT paused \
                     AND next_run_at IS NOT NULL AND next_run_at <= $1 \
                     AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.unique_key = 'sync:' || s.id \
                     AND j.status IN ('queued', 'running')) \
                     ORDER BY next_run_at, id LIMIT $2"
                )))
                .bind(micros(now))
                .bind(page_limit(limit))
                .fetch_all(self.reader())
                .await?
                .into_iter()
                .map(SyncRow::into_sync)
                .collect()
            }

            async fn start_run(&self, start: &StartRun) -> Result<Run> {
                let at = now();
                let mut tx = self.begin_write().await?;
                // At most one job of a sync runs at a time, so a run still marked running is
                // one whose worker died or lost its lease: this run continues it.
                let mut query = QueryBuilder::<$Db>::new(
                    "SELECT id, first_started_at, operation, added, updated FROM runs \
                     WHERE status = 'running' AND sync = ",
                );
                query.push_bind(start.sync).push(" ORDER BY id DESC").push(Self::FOR_UPDATE);
                let interrupted: Vec<(i64, i64, Option<String>, i64, i64)> =
                    query.build_query_as().fetch_all(&mut *tx).await?;
                let continued = interrupted.first();
                let operation = Self::insert_operation(&mut tx, &start.operation).await?;
                let (id,): (i64,) = sqlx::query_as(
                    "INSERT INTO runs (sync, status, reset, started_at, first_started_at, \
                     resumed_from, operation, added, updated) \
                     VALUES ($1, 'running', $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                )
                .bind(start.sync)
                .bind(start.reset)
                .bind(at)
                .bind(continued.map_or(at, |run| run.1))
                .bind(continued.map(|run| run.0))
                .bind(&operation)
                .bind(continued.map_or(0, |run| run.3))
                .bind(continued.map_or(0, |run| run.4))
                .fetch_one(&mut *tx)
                .await?;
                for (old, _, old_operation, _, _) in &interrupted {
                    let error = serde_json::json!({
                        "type": "interrupted",
                        "message": format!(
                            "run {old} was interrupted (its worker stopped or lost its lease) \
                             and continued by run {id}"
                        ),
                        "continued_by": id,
                    });
                    sqlx::query(
                        "UPDATE runs SET status = 'failed', finished_at = $1, error = $2 \
                         WHERE id = $3",
                    )
                    .bind(at)
                    .bind(to_json("run error", &error)?)
                    .bind(old)
                    .execute(&mut *tx)
                    .await?;
                    let summary = serde_json::json!({
                        "run": old,
                        "status": "interrupted",
                        "message": format!(
                            "interrupted (its worker stopped or lost its lease); run {id} \
                             continued it in operation {operation}"
                        ),
                        "continued_by": operation,
                    });
                    sqlx::query(
                        "UPDATE operations SET status = $1, summary = $2, ended_at = $3 \
                         WHERE id = $4 AND status = $5",
                    )
                    .bind(OperationStatus::Interrupted.as_str())
                    .bind(to_json("operation summary", &summary)?)
                    .bind(at)
                    .bind(old_operation)
                    .bind(OperationStatus::Running.as_str())
                    .execute(&mut *tx)
                    .await?;
                }
                sqlx::query(
                    "UPDATE syncs SET last_run = $1, last_status = 'running', updated_at = $2 \
                     WHERE id = $3",
                )
                .bind(id)
                .bind(at)
                .bind(start.sync)
                .execute(&mut *tx)
                .await?;
                let run = Self::run_row(&mut tx, RunId(id)).await?;
                tx.commit().await?;
                run.ok_or_else(|| StoreError::NotFound { what: "run", key: id.to_string() })
            }

            async fn start_delete_tracking(&self, sync: SyncId, run: RunId) -> Result<RunId> {
                let generation: Option<Option<i64>> = sqlx::query_scalar(
                    "UPDATE syncs SET tracking_generation = COALESCE(tracking_generation, $1) \
                     WHERE id = $2 RETURNING tracking_generation",
                )
                .bind(run)
                .bind(sync)
                .fetch_optional(self.writer())
                .await?;
                generation
                    .flatten()
                    .map(RunId)
                    .ok_or_else(|| StoreError::NotFound { what: "sync", key: sync.to_string() })
            }

            async fn count_unseen(
                &self,
                connection: ConnectionPk,
                model: &ModelKey,
                generation: RunId,
            ) -> Result<u64> {
                let Some(model_id) = self.model_id(connection, model).await? else {
                    return Ok(0);
                };
                let count: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM records WHERE model = $1 AND deleted_at IS NULL \
                     AND seen_generation < $2",
                )
                .bind(model_id)
                .bind(generation)
                .fetch_one(self.reader())
                .await?;
                Ok(count as u64)
            }

            async fn finish_run(&self, finish: &FinishRun) -> Result<Run> {
                let at = now();
                let mut tx = self.begin_write().await?;
                Self::lock_running_run(&mut tx, finish.run).await?;
                let Some((sync_id, connection, name, variant, generation)):
                    Option<(i64, i64, String, String, Option<i64>)> = sqlx::query_as(
                    "SELECT s.id, s.connection, s.name, s.variant, s.tracking_generation \
                     FROM runs r JOIN syncs s ON s.id = r.sync WHERE r.id = $1",
                )
                .bind(finish.run)
                .fetch_optional(&mut *tx)
                .await?
                else {
                    return Err(StoreError::NotFound { what: "run", key: finish.run.to_string() });
                };
                let connection = ConnectionPk(connection);
                let success = finish.status == RunStatus::Success;
                let mut counts = finish.counts.clone();
                if let (true, Some(generation)) = (success, generation) {
                    for model in &finish.delete_unseen {
                        let Some((model_id, last_seq)) =
                            Self::lock_model(&mut tx, connection, model, false).await?
                        else {
                            continue;
                        };
                        let deleted = Self::mark_deleted(&mut tx, model_id, last_seq, |query| {
                            query.push("seen_generation < ").push_bind(generation);
                        })
                        .await?;
                        counts.entry(model.clone()).or_insert_with(ModelCounts::default).deleted +=
                            deleted;
                    }
                }
                sqlx::query(
                    "UPDATE runs SET status = $1, finished_at = $2, counts = $3, error = $4, \
                     snowflake_calls = $5 WHERE id = $6",
                )
                .bind(finish.status.as_str())
                .bind(at)
                .bind(to_json("run counts", &counts)?)
                .bind(finish.error.as_ref().map(|e| to_json("run error", e)).transpose()?)
                .bind(finish.snowflake_calls)
                .bind(finish.run)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "UPDATE syncs SET last_status = $1, \
                     checkpoint = CASE WHEN $2 THEN NULL ELSE checkpoint END, \
                     tracking_generation = CASE WHEN $3 THEN NULL ELSE tracking_generation END, \
                     next_run_at = COALESCE($4, next_run_at), updated_at = $5 WHERE id = $6",
                )
                .bind(finish.status.as_str())
                .bind(finish.clear_checkpoint)
                .bind(success)
                .bind(finish.next_run_at.map(micros))
                .bind(at)
                .bind(sync_id)
                .execute(&mut *tx)
                .await?;
                let scope = format!("{name}::{variant}");
                match &finish.sync_error {
                    SyncErrorUpdate::Keep => {}
                    SyncErrorUpdate::Clear => {
                        Self::delete_connection_errors(
                            &mut tx,
                            connection,
                            ConnectionErrorKind::Sync,
                            Some(&scope),
                        )
                        .await?;
                    }
                    SyncErrorUpdate::Set { log_id } => {
                        Self::write_connection_error(
                            &mut tx,
                            connection,
                            ConnectionErrorKind::Sync,
                            &scope,
                            log_id,
                        )
                        .await?
                    }
                }
                Self::insert_deliveries(&mut tx, &finish.webhooks).await?;
                let run = Self::run_row(&mut tx, finish.run).await?;
                tx.commit().await?;
                let changed: u64 =
                    counts.values().map(|c| c.added + c.updated + c.deleted).sum();
                self.after_bulk_change(changed).await;
                run.ok_or_else(|| StoreError::NotFound { what: "run", key: finish.run.to_string() })
            }

            async fn run(&self, id: RunId) -> Result<Option<Run>> {
                let mut conn = self.reader().acquire().await?;
                Self::run_row(&mut conn, id).await
            }

            async fn list_runs(
                &self,
                sync: SyncId,
                before: Option<RunId>,
                limit: u32,
            ) -> Result<Vec<Run>> {
                sqlx::query_as::<_, RunRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {RUN_COLUMNS} FROM runs WHERE sync = $1 AND ($2 IS NULL OR id < $2) \
                     ORDER BY id DESC LIMIT $3"
                )))
                .bind(sync)
                .bind(before)
                .bind(page_limit(limit))
                .fetch_all(self.reader())
                .await?
                .into_iter()
                .map(RunRow::into_run)
                .collect()
            }

            async fn save_records(&self, batch: SaveBatch<'_>) -> Result<SaveCounts> {
                // Last duplicate wins, at the position of its first occurrence.
                let mut position: HashMap<String, usize> = HashMap::with_capacity(batch.records.len());
                let mut incoming: Vec<Incoming<'_>> = Vec::with_capacity(batch.records.len());
                for record in batch.records {
                    let external_id = record.external_id.replace('\0', "");
                    let payload = record.payload.get();
                    let entry = Incoming { hash: &record.hash, payload, external_id };
                    match position.get(&entry.external_id) {
                        Some(&index) => incoming[index] = entry,
                        None => {
                            position.insert(entry.external_id.clone(), incoming.len());
                            incoming.push(entry);
                        }
                    }
                }
                let at = now();
                let generation = batch.run.0;
                let mut tx = self.begin_batch().await?;
                Self::lock_running_run(&mut tx, batch.run).await?;
                let (model_id, first_seq) =
                    Self::lock_model(&mut tx, batch.connection, batch.model, true)
                        .await?
                        .ok_or_else(|| StoreError::NotFound {
                            what: "record model",
                            key: batch.model.to_string(),
                        })?;
                let mut last_seq = first_seq;
                let mut counts = SaveCounts::default();
                for chunk in incoming.chunks(IDS_PER_STATEMENT) {
                    // Unchanged records (same hash, not deleted) are only marked seen in this run,
                    // by one statement that sends no row back: a run without changes costs one
                    // statement per chunk. Only when some differ are the stored versions read.
                    let mut mark = QueryBuilder::<$Db>::new("UPDATE records SET seen_generation = ");
                    mark.push_bind(generation).push(" WHERE model = ").push_bind(model_id);
                    mark.push(" AND deleted_at IS NULL AND (external_id, hash)");
                    let pairs: Vec<(&str, &[u8; 32])> =
                        chunk.iter().map(|r| (r.external_id.as_str(), r.hash)).collect();
                    Self::push_id_hash_in(&mut mark, &pairs);
                    let marked = mark.build().execute(&mut *tx).await?.rows_affected();
                    if marked == chunk.len() as u64 {
                        counts.unchanged += marked;
                        continue;
                    }
                    let mut query = QueryBuilder::<$Db>::new(
                        "SELECT external_id, hash, deleted_at IS NOT NULL AS deleted FROM records \
                         WHERE model = ",
                    );
                    query.push_bind(model_id).push(" AND external_id");
                    let ids: Vec<&str> = pairs.iter().map(|(id, _)| *id).collect();
                    Self::push_text_in(&mut query, &ids);
                    let existing: HashMap<String, Existing> = query
                        .build_query_as::<Existing>()
                        .fetch_all(&mut *tx)
                        .await?
                        .into_iter()
                        .map(|row| (row.external_id.clone(), row))
                        .collect();

                    let mut changed = Vec::new();
                    for record in chunk {
                        match existing.get(&record.external_id) {
                            None => changed.push((record, RecordAction::Added)),
                            Some(row) if row.deleted => changed.push((record, RecordAction::Added)),
                            Some(row) if row.hash != record.hash.as_slice() => {
                                changed.push((record, RecordAction::Updated))
                            }
                            Some(_) => counts.unchanged += 1,
                        }
                    }

                    if !changed.is_empty() {
                        let rows: Vec<ChangedRecord<'_>> = changed
                            .iter()
                            .map(|(record, action)| {
                                last_seq += 1;
                                ChangedRecord {
                                    external_id: &record.external_id,
                                    seq: last_seq,
                                    hash: record.hash,
                                    payload: record.payload,
                                    action: *action,
                                }
                            })
                            .collect();
                        let mut upsert = QueryBuilder::<$Db>::new(
                            "INSERT INTO records (model, external_id, seq, hash, payload, \
                             last_action, first_seen_at, created_at, updated_at, \
                             seen_generation) SELECT ",
                        );
                        upsert.push_bind(model_id).push(", u.external_id, u.seq, u.hash, u.payload, u.last_action, ");
                        upsert.push_bind(at).push(", ").push_bind(at).push(", ").push_bind(at);
                        upsert.push(", ").push_bind(generation).push(" FROM ");
                        Self::push_record_rows(&mut upsert, &rows);
                        upsert.push(
                            // `WHERE TRUE` keeps SQLite from reading ON CONFLICT as a join clause.
                            " WHERE TRUE ON CONFLICT (model, external_id) DO UPDATE SET \
                             seq = excluded.seq, hash = excluded.hash, payload = excluded.payload, \
                             last_action = excluded.last_action, \
                             created_at = CASE WHEN excluded.last_action = 'ADDED' \
                             THEN excluded.created_at ELSE records.created_at END, \
                             updated_at = excluded.updated_at, deleted_at = NULL, \
                             pruned_at = NULL, seen_generation = excluded.seen_generation",
                        );
                        upsert.build().execute(&mut *tx).await?;
                        for (_, action) in &changed {
                            match action {
                                RecordAction::Added => counts.added += 1,
                                _ => counts.updated += 1,
                            }
                        }
                    }
                }
                Self::advance_model(&mut tx, model_id, last_seq, counts.added as i64).await?;
                if counts.added + counts.updated > 0 {
                    sqlx::query("UPDATE runs SET added = added + $1, updated = updated + $2 WHERE id = $3")
                        .bind(counts.added as i64)
                        .bind(counts.updated as i64)
                        .bind(batch.run)
                        .execute(&mut *tx)
                        .await?;
                }
                if let Some((sync, checkpoint)) = batch.checkpoint {
                    sqlx::query("UPDATE syncs SET checkpoint = $1, updated_at = $2 WHERE id = $3")
                        .bind(to_json("checkpoint", checkpoint)?)
                        .bind(at)
                        .bind(sync)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                self.after_batch(model_id, first_seq, counts.added).await;
                Ok(counts)
            }

            async fn delete_records(
                &self,
                connection: ConnectionPk,
                model: &ModelKey,
                ids: &[String],
            ) -> Result<u64> {
                let mut tx = self.begin_write().await?;
                let Some((model_id, mut last_seq)) =
                    Self::lock_model(&mut tx, connection, model, false).await?
                else {
                    return Ok(0);
                };
                let mut deleted = 0;
                for chunk in ids.chunks(IDS_PER_STATEMENT) {
                    let chunk_deleted = Self::mark_deleted(&mut tx, model_id, last_seq, |query| {
                        let ids: Vec<String> = chunk.iter().map(|id| id.replace('\0', "")).collect();
                        query.push("external_id");
                        Self::push_text_in(query, &ids.iter().map(String::as_str).collect::<Vec<_>>());
                    })
                    .await?;
                    last_seq += chunk_deleted as i64;
                    deleted += chunk_deleted;
                }
                tx.commit().await?;
                Ok(deleted)
            }

            async fn list_records(&self, query: &RecordQuery<'_>) -> Result<RecordPage> {
                if query.limit == 0 || query.limit > MAX_PAGE_SIZE {
                    return Err(StoreError::Invalid(format!(
                        "limit must be between 1 and {MAX_PAGE_SIZE}, got {}",
                        query.limit
                    )));
                }
                if query.ids.len() > MAX_QUERY_IDS {
                    return Err(StoreError::Invalid(format!(
                        "at most {MAX_QUERY_IDS} ids can be requested at once, got {}",
                        query.ids.len()
                    )));
                }
                // One statement per page: the model's id comes from a subquery (no model, no rows).
                let mut select = QueryBuilder::<$Db>::new(
                    "SELECT external_id, payload, seq, first_seen_at, created_at, updated_at, \
                     last_action, deleted_at, pruned_at FROM records \
                     WHERE model = (SELECT id FROM record_models WHERE connection = ",
                );
                select.push_bind(query.connection).push(" AND model = ");
                select.push_bind(query.model.as_str()).push(")");
                if let Some(cursor) = query.cursor {
                    select.push(" AND seq > ").push_bind(cursor.seq);
                }
                if let Some(modified_after) = query.modified_after {
                    select.push(" AND updated_at >= ").push_bind(micros(modified_after));
                }
                if !query.filter.is_all() {
                    let mut alternatives = Vec::new();
                    if query.filter.added {
                        alternatives.push("(deleted_at IS NULL AND last_action = 'ADDED')");
                    }
                    if query.filter.updated {
                        alternatives.push("(deleted_at IS NULL AND last_action = 'UPDATED')");
                    }
                    if query.filter.deleted {
                        alternatives.push("deleted_at IS NOT NULL");
                    }
                    select.push(format!(" AND ({})", alternatives.join(" OR ")));
                }
                if !query.ids.is_empty() {
                    select.push(" AND external_id");
                    Self::push_text_in(&mut select, &query.ids.iter().map(String::as_str).collect::<Vec<_>>());
                }
                select.push(" ORDER BY seq LIMIT ").push_bind(i64::from(query.limit) + 1);
                let mut records = select
                    .build_query_as::<RecordRow>()
                    .fetch_all(self.reader())
                    .await?
                    .into_iter()
                    .map(RecordRow::into_record)
                    .collect::<Result<Vec<_>>>()?;
                let more = records.len() > query.limit as usize;
                records.truncate(query.limit as usize);
                let next_cursor = if more { records.last().map(|record| record.cursor) } else { None };
                Ok(RecordPage { records, next_cursor })
            }

            async fn prune_records(
                &self,
                connection: ConnectionPk,
                model: &ModelKey,
                until: Cursor,
                limit: u32,
            ) -> Result<PruneOutcome> {
                let mut tx = self.begin_write().await?;
                let Some((model_id, _)) = Self::lock_model(&mut tx, connection, model, false).await?
                else {
                    return Ok(PruneOutcome { count: 0, has_more: false });
                };
                let limit = page_limit(limit);
                let count = sqlx::query(
                    "UPDATE records SET payload = NULL, pruned_at = $1 \
                     WHERE model = $2 AND external_id IN (SELECT external_id FROM records \
                     WHERE model = $2 AND seq <= $3 AND pruned_at IS NULL ORDER BY seq LIMIT $4)",
                )
                .bind(now())
                .bind(model_id)
                .bind(until.seq)
                .bind(limit)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                let remaining: Option<i64> = sqlx::query_scalar(
                    "SELECT seq FROM records WHERE model = $1 AND seq <= $2 AND pruned_at IS NULL \
                     LIMIT 1",
                )
                .bind(model_id)
                .bind(until.seq)
                .fetch_optional(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(PruneOutcome { count, has_more: remaining.is_some() })
            }

            async fn clear_records(&self, connection: ConnectionPk, model: &ModelKey) -> Result<u64> {
                let mut tx = self.begin_write().await?;
                let Some((model_id, last_seq)) =
                    Self::lock_model(&mut tx, connection, model, false).await?
                else {
                    return Ok(0);
                };
                let removed = sqlx::query("DELETE FROM records WHERE model = $1")
                    .bind(model_id)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                sqlx::query("UPDATE record_models SET live_count = 0 WHERE id = $1")
                    .bind(model_id)
                    .execute(&mut *tx)
                    .await?;
                Self::advance_model(&mut tx, model_id, last_seq, 0).await?;
                tx.commit().await?;
                Ok(removed)
            }

            async fn record_counts(&self, connection: ConnectionPk) -> Result<Vec<ModelCount>> {
                let rows: Vec<(String, i64)> = sqlx::query_as(
                    "SELECT model, live_count FROM record_models WHERE connection = $1 ORDER BY model",
                )
                .bind(connection)
                .fetch_all(self.reader())
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(model, live)| ModelCount { model: ModelKey::from_stored(model), live })
                    .collect())
            }

            async fn enqueue_job(&self, job: &NewJob) -> Result<(Job, bool)> {
                let payload = to_json("job payload", &job.payload)?;
                // A duplicate can finish between the insert and the look-up; then insert again.
                let (id, created) = loop {
                    let inserted: Option<i64> = sqlx::query_scalar(
                        "INSERT INTO jobs (kind, unique_key, connection, payload, status, \
                         run_after, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, 'queued', $5, $6, $6) \
                         ON CONFLICT (unique_key) WHERE status IN ('queued', 'running') \
                         DO NOTHING RETURNING id",
                    )
                    .bind(&job.kind)
                    .bind(&job.unique_key)
                    .bind(job.connection)
                    .bind(&payload)
                    .bind(micros(job.run_after))
                    .bind(now())
                    .fetch_optional(self.writer())
                    .await?;
                    if let Some(id) = inserted {
                        break (id, true);
                    }
                    let existing: Option<i64> = sqlx::query_scalar(
                        "SELECT id FROM jobs WHERE unique_key = $1 \
                         AND status IN ('queued', 'running')",
                    )
                    .bind(&job.unique_key)
                    .fetch_optional(self.writer())
                    .await?;
                    if let Some(id) = existing {
                        break (id, false);
                    }
                };
                let job = self.job_row(JobId(id)).await?.ok_or_else(|| StoreError::NotFound {
                    what: "job",
                    key: id.to_string(),
                })?;
                Ok((job, created))
            }

            async fn job(&self, id: JobId) -> Result<Option<Job>> {
                self.job_row(id).await
            }

            async fn claim_jobs(
                &self,
                worker: &str,
                kinds: &[&str],
                limit: u32,
                lease_until: DateTime<Utc>,
                now: DateTime<Utc>,
            ) -> Result<Vec<ClaimedJob>> {
                if kinds.is_empty() {
                    return Ok(Vec::new());
                }
                let token = Uuid::new_v4();
                let now = micros(now);
                let mut query = QueryBuilder::<$Db>::new(
                    "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_token = ",
                );
                query.push_bind(token.to_string()).push(", lease_owner = ").push_bind(worker);
                query.push(", lease_expires_at = ").push_bind(micros(lease_until));
                query.push(", updated_at = ").push_bind(now);
                query.push(
                    " WHERE id IN (SELECT id FROM jobs WHERE ((status = 'queued' AND run_after <= ",
                );
                query.push_bind(now);
                query.push(") OR (status = 'running' AND lease_expires_at < ").push_bind(now);
                query.push(")) AND kind IN (");
                let mut list = query.separated(", ");
                for kind in kinds {
                    list.push_bind(*kind);
                }
                query.push(") ORDER BY run_after, id LIMIT ").push_bind(page_limit(limit));
                query.push(Self::SKIP_LOCKED);
                query.push(format!(") RETURNING {JOB_COLUMNS}"));
                let mut tx = self.begin_write().await?;
                let rows: Vec<JobRow> = query.build_query_as().fetch_all(&mut *tx).await?;
                tx.commit().await?;
                let mut claimed = rows
                    .into_iter()
                    .map(|row| {
                        Ok(ClaimedJob { lease: Lease { job: JobId(0), token }, job: row.into_job()? })
                    })
                    .collect::<Result<Vec<_>>>()?;
                for claim in &mut claimed {
                    claim.lease.job = claim.job.id;
                }
                claimed.sort_by_key(|claim| (claim.job.run_after, claim.job.id));
                Ok(claimed)
            }

            async fn expire_leases(&self, owner_prefix: &str, now: DateTime<Utc>) -> Result<u64> {
                Ok(sqlx::query(
                    "UPDATE jobs SET lease_expires_at = $1, updated_at = $2 \
                     WHERE status = 'running' AND lease_expires_at > $1 \
                     AND substr(lease_owner, 1, $3) = $4",
                )
                .bind(micros(now))
                .bind(self::now())
                .bind(owner_prefix.chars().count() as i32)
                .bind(owner_prefix)
                .execute(self.writer())
                .await?
                .rows_affected())
            }

            async fn heartbeat(&self, lease: &Lease, lease_until: DateTime<Utc>) -> Result<Heartbeat> {
                let cancel_requested: Option<bool> = sqlx::query_scalar(
                    "UPDATE jobs SET lease_expires_at = $1, updated_at = $2 \
                     WHERE id = $3 AND lease_token = $4 AND status = 'running' \
                     RETURNING cancel_requested",
                )
                .bind(micros(lease_until))
                .bind(now())
                .bind(lease.job)
                .bind(lease.token.to_string())
                .fetch_optional(self.writer())
                .await?;
                cancel_requested
                    .map(|cancel_requested| Heartbeat { cancel_requested })
                    .ok_or(StoreError::LeaseLost { what: "job", id: lease.job.0 })
            }

            async fn complete_job(&self, lease: &Lease) -> Result<()> {
                self.end_job(lease, JobStatus::Done, None, None).await
            }

            async fn fail_job(
                &self,
                lease: &Lease,
                error: &str,
                retry_at: Option<DateTime<Utc>>,
            ) -> Result<()> {
                let status = if retry_at.is_some() { JobStatus::Queued } else { JobStatus::Failed };
                self.end_job(lease, status, Some(error), retry_at).await
            }

            async fn cancel_job(&self, id: JobId) -> Result<Option<JobStatus>> {
                let status: Option<String> = sqlx::query_scalar(
                    "UPDATE jobs SET \
                     status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END, \
                     cancel_requested = (status = 'running'), updated_at = $1 \
                     WHERE id = $2 RETURNING status",
                )
                .bind(now())
                .bind(id)
                .fetch_optional(self.writer())
                .await?;
                status
                    .map(|status| {
                        JobStatus::parse(&status).ok_or_else(|| {
                            StoreError::Invalid(format!("unknown job status {status:?}"))
                        })
                    })
                    .transpose()
            }

            async fn create_action(
                &self,
                connection: ConnectionPk,
                action_name: &str,
                input: &Value,
            ) -> Result<ActionRun> {
                sqlx::query_as::<_, ActionRow>(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO actions (id, connection, action_name, input, status, created_at) \
                     VALUES ($1, $2, $3, $4, 'pending', $5) RETURNING {ACTION_COLUMNS}"
                )))
                .bind(Uuid::new_v4().to_string())
                .bind(connection)
                .bind(action_name)
                .bind(to_json("action input", input)?)
                .bind(now())
                .fetch_one(self.writer())
                .await?
                .into_action()
            }

            async fn action(&self, id: Uuid) -> Result<Option<ActionRun>> {
                sqlx::query_as::<_, ActionRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {ACTION_COLUMNS} FROM actions WHERE id = $1"
                )))
                .bind(id.to_string())
                .fetch_optional(self.reader())
                .await?
                .map(ActionRow::into_action)
                .transpose()
            }

            async fn set_action_running(&self, id: Uuid) -> Result<()> {
                sqlx::query("UPDATE actions SET status = $1 WHERE id = $2")
                    .bind(ActionStatus::Running.as_str())
                    .bind(id.to_string())
                    .execute(self.writer())
                    .await?;
                Ok(())
            }

            async fn finish_action(
                &self,
                id: Uuid,
                result: std::result::Result<&Value, &Value>,
            ) -> Result<ActionRun> {
                let (status, output, error) = match result {
                    Ok(output) => (ActionStatus::Success, Some(to_json("action output", output)?), None),
                    Err(error) => (ActionStatus::Failed, None, Some(to_json("action error", error)?)),
                };
                sqlx::query_as::<_, ActionRow>(sqlx::AssertSqlSafe(format!(
                    "UPDATE actions SET status = $1, output = $2, error = $3, finished_at = $4 \
                     WHERE id = $5 RETURNING {ACTION_COLUMNS}"
                )))
                .bind(status.as_str())
                .bind(output)
                .bind(error)
                .bind(now())
                .bind(id.to_string())
                .fetch_optional(self.writer())
                .await?
                .ok_or_else(|| StoreError::NotFound { what: "action", key: id.to_string() })?
                .into_action()
            }

            async fn enqueue_deliveries(&self, deliveries: &[NewDelivery]) -> Result<u64> {
                let mut tx = self.begin_write().await?;
                let added = Self::insert_deliveries(&mut tx, deliveries).await?;
                tx.commit().await?;
                Ok(added)
            }

            async fn claim_deliveries(
                &self,
                limit: u32,
                lease_until: DateTime<Utc>,
                now: DateTime<Utc>,
            ) -> Result<Vec<DeliveryLease>> {
                let token = Uuid::new_v4();
                let now = micros(now);
                let mut query = QueryBuilder::<$Db>::new(
                    "UPDATE webhook_deliveries SET lease_token = ",
                );
                query.push_bind(token.to_string());
                query.push(", lease_expires_at = ").push_bind(micros(lease_until));
                query.push(
                    " WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' \
                     AND next_attempt_at <= ",
                );
                query.push_bind(now);
                query.push(" AND (lease_expires_at IS NULL OR lease_expires_at < ").push_bind(now);
                query.push(") ORDER BY next_attempt_at, id LIMIT ").push_bind(page_limit(limit));
                query.push(Self::SKIP_LOCKED);
                query.push(format!(") RETURNING {DELIVERY_COLUMNS}"));
                let mut tx = self.begin_write().await?;
                let rows: Vec<DeliveryRow> = query.build_query_as().fetch_all(&mut *tx).await?;
                tx.commit().await?;
                let mut leases = rows
                    .into_iter()
                    .map(|row| Ok(DeliveryLease { delivery: row.into_delivery()?, token }))
                    .collect::<Result<Vec<_>>>()?;
                leases.sort_by_key(|lease| (lease.delivery.next_attempt_at, lease.delivery.id));
                Ok(leases)
            }

            async fn record_attempt(
                &self,
                lease: &DeliveryLease,
                attempt: &AttemptResult,
                outcome: AttemptOutcome,
                now: DateTime<Utc>,
            ) -> Result<()> {
                let at = micros(now);
                let (status, next_attempt_at, delivered_at) = match outcome {
                    AttemptOutcome::Delivered => (DeliveryStatus::Delivered, None, Some(at)),
                    AttemptOutcome::RetryAt(next) => (DeliveryStatus::Pending, Some(micros(next)), None),
                    AttemptOutcome::Dead => (DeliveryStatus::Dead, None, None),
                };
                let id = lease.delivery.id;
                let mut tx = self.begin_write().await?;
                let updated = sqlx::query(
                    "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, \
                     next_attempt_at = COALESCE($2, next_attempt_at), delivered_at = $3, \
                     last_error = $4, lease_token = NULL, lease_expires_at = NULL \
                     WHERE id = $5 AND lease_token = $6",
                )
                .bind(status.as_str())
                .bind(next_attempt_at)
                .bind(delivered_at)
                .bind(&attempt.error)
                .bind(id)
                .bind(lease.token.to_string())
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if updated == 0 {
                    return Err(StoreError::LeaseLost { what: "webhook delivery", id: id.0 });
                }
                sqlx::query(
                    "INSERT INTO webhook_attempts (delivery, attempted_at, http_status, error, \
                     duration_ms) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(id)
                .bind(at)
                .bind(attempt.http_status.map(i64::from))
                .bind(&attempt.error)
                .bind(attempt.duration_ms)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn delivery(&self, id: DeliveryId) -> Result<Option<Delivery>> {
                sqlx::query_as::<_, DeliveryRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1"
                )))
                .bind(id)
                .fetch_optional(self.reader())
                .await?
                .map(DeliveryRow::into_delivery)
                .transpose()
            }

            async fn list_deliveries(&self, filter: &DeliveryFilter) -> Result<Vec<Delivery>> {
                let mut query = QueryBuilder::<$Db>::new(format!(
                    "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE TRUE"
                ));
                if let Some(status) = filter.status {
                    query.push(" AND status = ").push_bind(status.as_str());
                }
                if let Some(connection) = filter.connection {
                    query.push(" AND connection = ").push_bind(connection);
                }
                if let Some(before) = filter.before {
                    query.push(" AND id < ").push_bind(before);
                }
                query.push(" ORDER BY id DESC LIMIT ").push_bind(page_limit(filter.limit));
                query
                    .build_query_as::<DeliveryRow>()
                    .fetch_all(self.reader())
                    .await?
                    .into_iter()
                    .map(DeliveryRow::into_delivery)
                    .collect()
            }

            async fn delivery_attempts(&self, id: DeliveryId) -> Result<Vec<Attempt>> {
                Ok(sqlx::query_as::<_, AttemptRow>(
                    "SELECT attempted_at, http_status, error, duration_ms FROM webhook_attempts \
                     WHERE delivery = $1 ORDER BY id",
                )
                .bind(id)
                .fetch_all(self.reader())
                .await?
                .into_iter()
                .map(AttemptRow::into_attempt)
                .collect())
            }

            async fn redeliver(&self, id: DeliveryId, now: DateTime<Utc>) -> Result<bool> {
                Ok(sqlx::query(
                    "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, \
                     next_attempt_at = $1, lease_token = NULL, lease_expires_at = NULL, \
                     delivered_at = NULL WHERE id = $2",
                )
                .bind(micros(now))
                .bind(id)
                .execute(self.writer())
                .await?
                .rows_affected()
                    > 0)
            }

            async fn start_operation(&self, operation: &NewOperation) -> Result<String> {
                let mut conn = self.writer().acquire().await?;
                Self::insert_operation(&mut conn, operation).await
            }

            async fn add_messages(&self, operation: &str, messages: &[NewMessage]) -> Result<()> {
                if messages.is_empty() {
                    return Ok(());
                }
                let mut tx = self.begin_write().await?;
                for chunk in messages.chunks(IDS_PER_STATEMENT / 5) {
                    let mut insert = QueryBuilder::<$Db>::new(
                        "INSERT INTO operation_messages (operation, level, message, fields, \
                         created_at) ",
                    );
                    let mut rows = Vec::with_capacity(chunk.len());
                    for message in chunk {
                        let fields =
                            message.fields.as_ref().map(|f| to_json("message fields", f)).transpose()?;
                        rows.push((message, fields));
                    }
                    insert.push_values(rows, |mut row, (message, fields)| {
                        row.push_bind(operation)
                            .push_bind(message.level.as_str())
                            .push_bind(message.message.as_str())
                            .push_bind(fields)
                            .push_bind(micros(message.at));
                    });
                    insert.build().execute(&mut *tx).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn finish_operation(
                &self,
                operation: &str,
                status: OperationStatus,
                summary: Option<&Value>,
                at: DateTime<Utc>,
            ) -> Result<()> {
                sqlx::query(
                    "UPDATE operations SET status = $1, summary = $2, ended_at = $3 WHERE id = $4",
                )
                .bind(status.as_str())
                .bind(summary.map(|s| to_json("operation summary", s)).transpose()?)
                .bind(micros(at))
                .bind(operation)
                .execute(self.writer())
                .await?;
                Ok(())
            }

            async fn operation(&self, id: &str) -> Result<Option<Operation>> {
                sqlx::query_as::<_, OperationRow>(sqlx::AssertSqlSafe(format!(
                    "SELECT {OPERATION_COLUMNS} FROM operations WHERE id = $1"
                )))
                .bind(id)
                .fetch_optional(self.reader())
                .await?
                .map(OperationRow::into_operation)
                .transpose()
            }

            async fn list_operations(&self, filter: &OperationFilter) -> Result<Vec<Operation>> {
                let mut query = QueryBuilder::<$Db>::new(format!(
                    "SELECT {OPERATION_COLUMNS} FROM operations WHERE TRUE"
                ));
                if let Some(kind) = filter.kind {
                    query.push(" AND kind = ").push_bind(kind.as_str());
                }
                if let Some(connection) = filter.connection {
                    query.push(" AND connection = ").push_bind(connection);
                }
                if let Some(status) = filter.status {
                    query.push(" AND status = ").push_bind(status.as_str());
                }
                if let Some(before) = filter.started_before {
                    query.push(" AND started_at < ").push_bind(micros(before));
                }
                query.push(" ORDER BY started_at DESC, id LIMIT ").push_bind(page_limit(filter.limit));
                query
                    .build_query_as::<OperationRow>()
                    .fetch_all(self.reader())
                    .await?
                    .into_iter()
                    .map(OperationRow::into_operation)
                    .collect()
            }

            async fn operation_messages(
                &self,
                operation: &str,
                after: Option<i64>,
                limit: u32,
            ) -> Result<Vec<Message>> {
                sqlx::query_as::<_, MessageRow>(
                    "SELECT id, level, message, fields, created_at FROM operation_messages \
                     WHERE operation = $1 AND id > $2 ORDER BY id LIMIT $3",
                )
                .bind(operation)
                .bind(after.unwrap_or(0))
                .bind(page_limit(limit))
                .fetch_all(self.reader())
                .await?
                .into_iter()
                .map(MessageRow::into_message)
                .collect()
            }

            async fn purge_operations(&self, before: DateTime<Utc>) -> Result<u64> {
                Ok(sqlx::query("DELETE FROM operations WHERE started_at < $1")
                    .bind(micros(before))
                    .execute(self.writer())
                    .await?
                    .rows_affected())
            }
        }
        }
    };
}

pub(crate) use sql_store;
