//! Syncs (per connection, name and variant: schedule, checkpoint, delete-tracking marker) and
//! their runs.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    ids::{ConnectionPk, RunId, SyncId},
    operation::{NewOperation, OperationKind},
    record::ModelKey,
    webhook::NewDelivery,
};

/// What [`crate::Store::ensure_sync`] creates when the sync does not exist yet.
#[derive(Debug, Clone)]
pub struct NewSync {
    /// The connection.
    pub connection: ConnectionPk,
    /// The sync's name, e.g. `tables`.
    pub name: String,
    /// The variant, `base` for the default one.
    pub variant: String,
    /// The definition's frequency in seconds.
    pub frequency_secs: i64,
    /// Created paused (Nango's `autoStart: false`).
    pub paused: bool,
    /// First scheduled run; `None` leaves it unscheduled.
    pub next_run_at: Option<DateTime<Utc>>,
}

/// A sync's stored state.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncState {
    /// Its id.
    pub id: SyncId,
    /// The connection.
    pub connection: ConnectionPk,
    /// The sync's name.
    pub name: String,
    /// The variant.
    pub variant: String,
    /// Paused syncs are never due.
    pub paused: bool,
    /// The definition's frequency in seconds.
    pub frequency_secs: i64,
    /// A per-connection override of the frequency, in seconds.
    pub frequency_override_secs: Option<i64>,
    /// When the scheduler runs it next.
    pub next_run_at: Option<DateTime<Utc>>,
    /// The checkpoint of an unfinished run.
    pub checkpoint: Option<Value>,
    /// The generation delete tracking started at; it survives interrupted runs and is cleared
    /// when a run finishes successfully.
    pub tracking_generation: Option<RunId>,
    /// The latest run.
    pub last_run: Option<RunId>,
    /// The latest run's status.
    pub last_status: Option<RunStatus>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

impl SyncState {
    /// The unique key of this sync's run jobs ([`crate::NewJob::unique_key`]): at most one is
    /// queued or running, and [`crate::Store::due_syncs`] skips syncs that have one.
    pub fn job_key(&self) -> String {
        format!("sync:{}", self.id)
    }

    /// The frequency in effect.
    pub fn effective_frequency_secs(&self) -> i64 {
        self.frequency_override_secs.unwrap_or(self.frequency_secs)
    }
}

text_enum!(
    /// The status of a run.
    RunStatus {
        /// In progress (or its worker died; the next run of the sync continues it and marks it
        /// failed, with an `interrupted` error naming the run that continued it).
        Running = "running",
        /// Finished completely.
        Success = "success",
        /// Failed.
        Failed = "failed",
        /// Cancelled.
        Cancelled = "cancelled",
    }
);

/// Changes of one model in a run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelCounts {
    /// Added or undeleted.
    pub added: u64,
    /// Updated.
    pub updated: u64,
    /// Deleted.
    pub deleted: u64,
}

/// A run of a sync.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    /// Its id.
    pub id: RunId,
    /// The sync.
    pub sync: SyncId,
    /// Its status.
    pub status: RunStatus,
    /// Whether it was a reset (full resync without checkpoint).
    pub reset: bool,
    /// When it started.
    pub started_at: DateTime<Utc>,
    /// When its logical run started: the `first_started_at` of the interrupted run it
    /// continues, else `started_at`. Every change the logical run made is at or after it.
    pub first_started_at: DateTime<Utc>,
    /// The interrupted run this one continues.
    pub resumed_from: Option<RunId>,
    /// Its operation (the API's `log_id`).
    pub operation: Option<String>,
    /// Records added by the logical run so far, committed with each batch (so they survive a
    /// kill exactly as the records do) and carried over by the run that continues it.
    pub added: u64,
    /// Records updated by the logical run so far, like `added`.
    pub updated: u64,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// Changes per model.
    pub counts: BTreeMap<ModelKey, ModelCounts>,
    /// The error of a failed run.
    pub error: Option<Value>,
    /// Snowflake requests made.
    pub snowflake_calls: i64,
}

/// What [`crate::Store::start_run`] opens.
#[derive(Debug, Clone)]
pub struct StartRun {
    /// The sync.
    pub sync: SyncId,
    /// Whether it is a reset (full resync without checkpoint).
    pub reset: bool,
    /// The run's operation, started in the same transaction.
    pub operation: NewOperation,
}

impl StartRun {
    /// A run of `sync` starting now, with its `sync` operation named `<name>::<variant>`.
    pub fn of(sync: &SyncState, reset: bool) -> Self {
        Self {
            sync: sync.id,
            reset,
            operation: NewOperation {
                kind: OperationKind::Sync,
                connection: Some(sync.connection),
                name: format!("{}::{}", sync.name, sync.variant),
                started_at: Utc::now(),
            },
        }
    }
}

/// What to do with the connection's sync error when a run finishes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncErrorUpdate {
    /// Leave it.
    Keep,
    /// Clear it (the run succeeded).
    Clear,
    /// Record it, with the operation that logged the failure.
    Set {
        /// The operation id.
        log_id: String,
    },
}

/// Everything [`crate::Store::finish_run`] writes in one transaction.
#[derive(Debug, Clone)]
pub struct FinishRun {
    /// The run.
    pub run: RunId,
    /// Its final status.
    pub status: RunStatus,
    /// Models whose records not seen since the sync's tracking generation are deleted. Applied
    /// only when `status` is [`RunStatus::Success`] and tracking was started.
    pub delete_unseen: Vec<ModelKey>,
    /// Added and updated counts per model (the store adds the deletions it makes).
    pub counts: BTreeMap<ModelKey, ModelCounts>,
    /// The error of a failed run.
    pub error: Option<Value>,
    /// Snowflake requests made.
    pub snowflake_calls: i64,
    /// The next scheduled run; `None` leaves the schedule as it is.
    pub next_run_at: Option<DateTime<Utc>>,
    /// Clear the checkpoint (a run that finished completely).
    pub clear_checkpoint: bool,
    /// The connection's sync error.
    pub sync_error: SyncErrorUpdate,
    /// Webhooks announcing the result, enqueued atomically with it.
    pub webhooks: Vec<NewDelivery>,
    /// On success, the digests of what Snowflake answered for each scope this run read (`None`
    /// keeps the stored ones): they replace the sync's.
    pub scope_digests: Option<Vec<(String, [u8; 32])>>,
}
