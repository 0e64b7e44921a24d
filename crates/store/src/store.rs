//! The `Store` trait: the persistence contract the engine and the API are written against, and
//! [`AnyStore`], the cheap-to-clone handle that delegates to the backend chosen at start-up.
//!
//! The method list is written once, in [`store_api!`]; it produces the trait and every
//! delegation so they cannot drift apart. Methods that judge time (`now`, `lease_until`)
//! take it from the caller, so schedules and leases follow one clock and tests need no sleeps;
//! timestamps of writes (records, runs) come from the store's clock.

use std::future::Future;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde_json::Value;
use uuid::Uuid;

use crate::{
    connection::{
        ConnectSession, Connection, ConnectionErrorKind, ConnectionFilter, ConnectionUpdate,
        MetadataWrite, NewConnection,
    },
    error::Result,
    ids::{ConnectionPk, DeliveryId, JobId, RunId, SyncId},
    integration::{Integration, NewIntegration},
    job::{ActionRun, ClaimedJob, Heartbeat, Job, JobStatus, Lease, NewJob},
    operation::{Message, NewMessage, NewOperation, Operation, OperationFilter, OperationStatus},
    postgres::PostgresStore,
    record::{
        Cursor, ModelCount, ModelKey, PruneOutcome, RecordPage, RecordQuery, SaveBatch, SaveCounts,
    },
    secret::{KeyId, MasterKey, SecretJson},
    sqlite::SqliteStore,
    sync::{FinishRun, NewSync, Run, StartRun, SyncState},
    webhook::{
        Attempt, AttemptOutcome, AttemptResult, Delivery, DeliveryFilter, DeliveryLease,
        NewDelivery,
    },
};

/// The handle the engine and the server hold: one of the two backends. Cloning is cheap (pools
/// and the cipher are shared).
#[derive(Debug, Clone)]
pub enum AnyStore {
    /// The embedded SQLite file.
    Sqlite(SqliteStore),
    /// A shared PostgreSQL database.
    Postgres(PostgresStore),
}

impl AnyStore {
    /// `"sqlite"` or `"postgres"`.
    pub fn backend(&self) -> &'static str {
        match self {
            Self::Sqlite(_) => "sqlite",
            Self::Postgres(_) => "postgres",
        }
    }

    /// Closes the pools, waiting for checked-out connections to come back.
    pub async fn close(&self) {
        match self {
            Self::Sqlite(store) => store.close().await,
            Self::Postgres(store) => store.close().await,
        }
    }
}

/// What [`Store::rotate_master_key`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotationReport {
    /// Secrets re-sealed under the new key.
    pub resealed: u64,
    /// The new key's id.
    pub key_id: KeyId,
}

/// Defines the [`Store`] trait from the method list, grouped by the file of `src/sql/` that
/// implements each method, and the delegations: [`SqliteStore`] and [`PostgresStore`] to those
/// functions as compiled for them, [`AnyStore`] to the backend chosen at start-up.
macro_rules! store_api {
    (@backend $Store:ident $backend:ident; $(
        $group:ident { $( fn $name:ident(&self $(, $arg:ident: $ty:ty)*) -> $ret:ty; )* }
    )*) => {
        impl Store for $Store {
            $($(
                fn $name(&self $(, $arg: $ty)*) -> impl Future<Output = Result<$ret>> + Send {
                    crate::$backend::sql::$group::$name(self $(, $arg)*)
                }
            )*)*
        }
    };
    ($(
        $group:ident { $(
            $(#[doc = $doc:literal])*
            fn $name:ident(&self $(, $arg:ident: $ty:ty)* $(,)?) -> $ret:ty;
        )* }
    )*) => {
        /// The persistence contract. Implemented by [`SqliteStore`] and [`PostgresStore`], and by
        /// [`AnyStore`], which delegates to the one chosen at start-up.
        ///
        /// Every method is one transaction unless it says otherwise; none holds a transaction
        /// open across calls. Secrets are sealed before they are written and opened only by the
        /// methods that return them.
        pub trait Store: Clone + Send + Sync + 'static {
            $($(
                $(#[doc = $doc])*
                fn $name(&self $(, $arg: $ty)*) -> impl Future<Output = Result<$ret>> + Send;
            )*)*
        }

        impl Store for AnyStore {
            $($(
                async fn $name(&self $(, $arg: $ty)*) -> Result<$ret> {
                    match self {
                        Self::Sqlite(store) => store.$name($($arg),*).await,
                        Self::Postgres(store) => store.$name($($arg),*).await,
                    }
                }
            )*)*
        }

        store_api!(@backend SqliteStore sqlite; $(
            $group { $( fn $name(&self $(, $arg: $ty)*) -> $ret; )* }
        )*);
        store_api!(@backend PostgresStore postgres; $(
            $group { $( fn $name(&self $(, $arg: $ty)*) -> $ret; )* }
        )*);
    };
}

store_api! {
    settings {
        /// Re-seals every secret (credentials, sealed settings) under `next` in one transaction and
        /// then seals with it. Values sealed under the old key keep opening meanwhile, so this can
        /// run on a live system; afterwards configure `next` as `SNOWGATE_ENCRYPTION_KEY`
        /// everywhere (the old key as `SNOWGATE_ENCRYPTION_KEY_PREVIOUS` until every process has
        /// restarted).
        fn rotate_master_key(&self, next: MasterKey) -> RotationReport;

        // Environment settings.
        /// A plain setting (see [`crate::setting`] for the keys).
        fn setting(&self, key: &str) -> Option<String>;
        /// Sets or (with `None`) removes a plain setting.
        fn set_setting(&self, key: &str, value: Option<&str>) -> ();
        /// A sealed setting, opened.
        fn secret_setting(&self, key: &str) -> Option<SecretString>;
        /// Seals and stores a secret setting, replacing any previous value.
        fn set_secret_setting(&self, key: &str, value: &SecretString) -> ();
        /// The sealed setting `key`; if it is absent, stores `candidate` first. Atomic, so
        /// concurrent processes generating a key (the API key, the webhook signing key) agree on
        /// one.
        fn secret_setting_or_insert(&self, key: &str, candidate: SecretString) -> SecretString;
    }

    integrations {
        /// Creates or updates an integration.
        fn upsert_integration(&self, integration: &NewIntegration) -> Integration;
        /// An integration by its unique key.
        fn integration(&self, unique_key: &str) -> Option<Integration>;
        /// All integrations, by key.
        fn list_integrations(&self) -> Vec<Integration>;
        /// Deletes an integration and, cascading, its connections. Returns whether it existed.
        fn delete_integration(&self, unique_key: &str) -> bool;
    }

    connections {
        /// Creates a connection, or overwrites the credentials, configuration, tags, end user and
        /// override of an existing one (keeping its id and metadata), and clears its auth error.
        /// Returns the connection and whether it was created.
        fn upsert_connection(&self, connection: &NewConnection) -> (Connection, bool);
        /// A connection by integration and connection id.
        fn connection(&self, integration_key: &str, connection_id: &str) -> Option<Connection>;
        /// The numeric id of a connection, and nothing else (one indexed lookup, for hot paths such
        /// as the records API).
        fn connection_pk(&self, integration_key: &str, connection_id: &str) -> Option<ConnectionPk>;
        /// A connection by its numeric id.
        fn connection_by_pk(&self, id: ConnectionPk) -> Option<Connection>;
        /// Connections matching a filter, newest first.
        fn list_connections(&self, filter: &ConnectionFilter) -> Vec<Connection>;
        /// Updates tags, webhook override and end user. Returns whether the connection exists.
        fn update_connection(&self, id: ConnectionPk, update: &ConnectionUpdate) -> bool;
        /// Replaces or shallow-merges the metadata of several connections of one integration, all
        /// or nothing: an unknown id fails the whole call with [`crate::StoreError::NotFound`].
        fn write_metadata(
            &self,
            integration_key: &str,
            connection_ids: &[String],
            metadata: &Value,
            mode: MetadataWrite,
        ) -> ();
        /// Deletes a connection with its syncs, runs, jobs, records, errors and actions, and
        /// enqueues `webhooks` (the deletion webhook) in the same transaction. Returns whether it
        /// existed.
        fn delete_connection(
            &self,
            integration_key: &str,
            connection_id: &str,
            webhooks: &[NewDelivery],
        ) -> bool;
        /// The connection's credentials, opened.
        fn credentials(&self, id: ConnectionPk) -> Option<SecretJson>;
        /// Seals and stores new credentials (a refreshed token, a reconnect).
        fn set_credentials(&self, id: ConnectionPk, credentials: &SecretJson) -> ();
        /// Records that the credentials were used or checked at `at`.
        fn mark_fetched(&self, id: ConnectionPk, at: DateTime<Utc>) -> ();
        /// Connections whose credentials were not used or checked since `before` (oldest first),
        /// for the periodic credential check.
        fn stale_connections(&self, before: DateTime<Utc>, limit: u32) -> Vec<ConnectionPk>;
        /// Sets an active error; `scope` is `""` for auth and `<sync>::<variant>` for a sync.
        fn set_connection_error(
            &self,
            id: ConnectionPk,
            kind: ConnectionErrorKind,
            scope: &str,
            log_id: &str,
        ) -> ();
        /// Clears active errors of a kind (one scope, or all with `None`) and, if there was one,
        /// enqueues `webhooks` (the recovery webhook) in the same transaction, so concurrent
        /// callers send it once. Returns whether an error was cleared.
        fn clear_connection_error(
            &self,
            id: ConnectionPk,
            kind: ConnectionErrorKind,
            scope: Option<&str>,
            webhooks: &[NewDelivery],
        ) -> bool;

        // Connect sessions.
        /// Stores a session under the SHA-256 of its token.
        fn create_connect_session(&self, token: &SecretString, session: &ConnectSession) -> ();
        /// The session of a token, if it exists and has not expired at `now`.
        fn connect_session(
            &self,
            token: &SecretString,
            now: DateTime<Utc>,
        ) -> Option<ConnectSession>;
        /// Deletes a session. Returns whether it existed.
        fn delete_connect_session(&self, token: &SecretString) -> bool;
        /// Deletes sessions expired at `now`. Returns how many.
        fn purge_connect_sessions(&self, now: DateTime<Utc>) -> u64;
    }

    syncs {
        /// The sync of (connection, name, variant), created from `sync` if it does not exist; an
        /// existing one keeps its state but takes the definition's frequency.
        fn ensure_sync(&self, sync: &NewSync) -> SyncState;
        /// A sync by id.
        fn sync(&self, id: SyncId) -> Option<SyncState>;
        /// A sync by connection, name and variant.
        fn find_sync(
            &self,
            connection: ConnectionPk,
            name: &str,
            variant: &str,
        ) -> Option<SyncState>;
        /// The syncs of a connection, by name and variant.
        fn list_syncs(&self, connection: ConnectionPk) -> Vec<SyncState>;
        /// Pauses or resumes a sync.
        fn set_sync_paused(&self, id: SyncId, paused: bool) -> ();
        /// Sets (or with `None` removes) the per-connection frequency override.
        fn set_sync_frequency(&self, id: SyncId, override_secs: Option<i64>) -> ();
        /// Schedules (or with `None` unschedules) the next run.
        fn set_next_run(&self, id: SyncId, at: Option<DateTime<Utc>>) -> ();
        /// Stores (or with `None` clears) the checkpoint outside a batch.
        fn save_checkpoint(&self, id: SyncId, checkpoint: Option<&Value>) -> ();
        /// Deletes a sync (a variant) with its runs. Returns whether it existed. Its records stay
        /// until [`Store::clear_records`] is called for its models.
        fn delete_sync(&self, id: SyncId) -> bool;
        /// Syncs due at `now`: scheduled at or before it, not paused, and without a queued or
        /// running job under [`SyncState::job_key`]. Oldest due first.
        fn due_syncs(&self, now: DateTime<Utc>, limit: u32) -> Vec<SyncState>;
        /// Starts a run and its operation. If the sync's previous run is still running (its worker
        /// died or lost its lease), the new run continues it: it takes over its `first_started_at`
        /// and committed counts and points at it with `resumed_from`; the old run becomes failed
        /// with an `interrupted` error naming the new run, and its operation
        /// [`OperationStatus::Interrupted`] with the new operation as `continued_by`.
        fn start_run(&self, start: &StartRun) -> Run;
        /// Starts delete tracking at `run` unless a previous, interrupted run already started it;
        /// returns the generation in force. Records not seen since it are what
        /// [`FinishRun::delete_unseen`] deletes.
        fn start_delete_tracking(&self, sync: SyncId, run: RunId) -> RunId;
        /// The digests of what Snowflake answered for each scope of the sync in its last successful
        /// run (see [`FinishRun::scope_digests`]).
        fn scope_digests(&self, sync: SyncId) -> Vec<(String, Vec<u8>)>;
        /// Makes the records whose ids fall in one of `ranges` (`[lo, hi)`, compared bytewise)
        /// count as seen in `generation` without touching them: the records of scopes that did
        /// not change. Saved before the checkpoint that passes them.
        fn add_seen_ranges(&self, generation: RunId, ranges: &[(String, String)]) -> ();
        /// How many live records of a model were not seen since `generation`: exactly what
        /// [`Store::finish_run`] will delete, as long as no other writer touches the model.
        fn count_unseen(
            &self,
            connection: ConnectionPk,
            model: &ModelKey,
            generation: RunId,
        ) -> u64;
        /// Finishes a run in one transaction: deletes unseen records (successful runs only), writes
        /// status and counts, updates the sync (checkpoint, tracking marker, schedule), sets or
        /// clears the connection's sync error and enqueues the webhooks. Fails with
        /// [`crate::StoreError::LeaseLost`] once the run is no longer running (a newer run of the
        /// sync started because this worker's lease expired), and then changes nothing.
        fn finish_run(&self, finish: &FinishRun) -> Run;
        /// A run by id.
        fn run(&self, id: RunId) -> Option<Run>;
        /// A sync's runs, newest first, before `before` if given.
        fn list_runs(&self, sync: SyncId, before: Option<RunId>, limit: u32) -> Vec<Run>;
    }

    records {
        /// Saves a batch in one transaction with the checkpoint: new or undeleted records are
        /// added, changed ones updated (both take new sequence numbers and `last_modified_at`),
        /// unchanged ones are only marked seen in the run, and the run's `added` and `updated`
        /// counters grow by what was added and updated. The run must still be running, else
        /// [`crate::StoreError::LeaseLost`] and nothing is written.
        fn save_records(&self, batch: SaveBatch<'_>) -> SaveCounts;
        /// Soft-deletes records by id (payload kept). Returns how many were live.
        fn delete_records(&self, connection: ConnectionPk, model: &ModelKey, ids: &[String]) -> u64;
        /// A page of records in change order.
        fn list_records(&self, query: &RecordQuery<'_>) -> RecordPage;
        /// Empties the payloads of up to `limit` records at or before `until`, keeping their
        /// metadata.
        fn prune_records(
            &self,
            connection: ConnectionPk,
            model: &ModelKey,
            until: Cursor,
            limit: u32,
        ) -> PruneOutcome;
        /// Removes every record of a model (Nango's `emptyCache`). The sequence keeps growing, so
        /// old cursors never match new changes. Returns how many were removed.
        fn clear_records(&self, connection: ConnectionPk, model: &ModelKey) -> u64;
        /// Live record counts per model of a connection.
        fn record_counts(&self, connection: ConnectionPk) -> Vec<ModelCount>;
    }

    jobs {
        /// Enqueues a job; if a queued or running job has the same unique key, returns that one
        /// instead. The flag says whether a job was created.
        fn enqueue_job(&self, job: &NewJob) -> (Job, bool);
        /// A job by id.
        fn job(&self, id: JobId) -> Option<Job>;
        /// Claims up to `limit` jobs of these kinds that are due at `now`, or whose lease expired,
        /// leasing them until `lease_until`. Concurrent callers never claim the same job.
        fn claim_jobs(
            &self,
            worker: &str,
            kinds: &[&str],
            limit: u32,
            lease_until: DateTime<Utc>,
            now: DateTime<Utc>,
        ) -> Vec<ClaimedJob>;
        /// Lets the running jobs leased by workers whose id starts with `owner_prefix` be claimed
        /// at once, as if their leases had run out at `now`: for a process that knows those
        /// workers are gone (an embedded server that holds its data directory's lock). Returns
        /// how many.
        fn expire_leases(&self, owner_prefix: &str, now: DateTime<Utc>) -> u64;
        /// Extends a lease. Fails with [`crate::StoreError::LeaseLost`] once the job belongs to
        /// someone else or is finished.
        fn heartbeat(&self, lease: &Lease, lease_until: DateTime<Utc>) -> Heartbeat;
        /// Marks a leased job done.
        fn complete_job(&self, lease: &Lease) -> ();
        /// Fails a leased job: queued again at `retry_at`, or failed for good with `None`.
        fn fail_job(&self, lease: &Lease, error: &str, retry_at: Option<DateTime<Utc>>) -> ();
        /// Cancels a queued job, or asks a running one to stop (seen on its next heartbeat).
        /// Returns the job's status afterwards, `None` if it does not exist.
        fn cancel_job(&self, id: JobId) -> Option<JobStatus>;

        // Async actions.
        /// Records a triggered async action with a new UUID.
        fn create_action(
            &self,
            connection: ConnectionPk,
            action_name: &str,
            input: &Value,
        ) -> ActionRun;
        /// An async action by id.
        fn action(&self, id: Uuid) -> Option<ActionRun>;
        /// Marks an action running.
        fn set_action_running(&self, id: Uuid) -> ();
        /// Records an action's output (`Ok`) or error (`Err`).
        fn finish_action(&self, id: Uuid, result: std::result::Result<&Value, &Value>) -> ActionRun;
    }

    webhooks {
        /// Enqueues deliveries; ones whose idempotency id exists are skipped. Returns how many were
        /// added.
        fn enqueue_deliveries(&self, deliveries: &[NewDelivery]) -> u64;
        /// Claims up to `limit` pending deliveries due at `now`, leased until `lease_until`.
        fn claim_deliveries(
            &self,
            limit: u32,
            lease_until: DateTime<Utc>,
            now: DateTime<Utc>,
        ) -> Vec<DeliveryLease>;
        /// Records an attempt of a leased delivery and what happens next.
        fn record_attempt(
            &self,
            lease: &DeliveryLease,
            attempt: &AttemptResult,
            outcome: AttemptOutcome,
            now: DateTime<Utc>,
        ) -> ();
        /// A delivery by id.
        fn delivery(&self, id: DeliveryId) -> Option<Delivery>;
        /// Deliveries matching a filter, newest first.
        fn list_deliveries(&self, filter: &DeliveryFilter) -> Vec<Delivery>;
        /// The attempts of a delivery, oldest first.
        fn delivery_attempts(&self, id: DeliveryId) -> Vec<Attempt>;
        /// Puts a delivered or dead delivery back to pending, due at `now`, with a fresh attempt
        /// budget. Returns whether it exists.
        fn redeliver(&self, id: DeliveryId, now: DateTime<Utc>) -> bool;
    }

    operations {
        /// Starts an operation; returns its id.
        fn start_operation(&self, operation: &NewOperation) -> String;
        /// Appends messages to an operation.
        fn add_messages(&self, operation: &str, messages: &[NewMessage]) -> ();
        /// Ends an operation.
        fn finish_operation(
            &self,
            operation: &str,
            status: OperationStatus,
            summary: Option<&Value>,
            at: DateTime<Utc>,
        ) -> ();
        /// An operation by id.
        fn operation(&self, id: &str) -> Option<Operation>;
        /// Operations matching a filter, newest first.
        fn list_operations(&self, filter: &OperationFilter) -> Vec<Operation>;
        /// Messages of an operation after message `after`, oldest first.
        fn operation_messages(
            &self,
            operation: &str,
            after: Option<i64>,
            limit: u32,
        ) -> Vec<Message>;
        /// Deletes operations (with their messages) started before `before`. Returns how many.
        fn purge_operations(&self, before: DateTime<Utc>) -> u64;
    }
}
