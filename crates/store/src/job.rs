//! The job queue (sync runs and other background work) and async actions.

use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::ids::{ConnectionPk, JobId};

/// What [`crate::Store::enqueue_job`] inserts.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// What the job does, e.g. `sync`; workers claim by kind.
    pub kind: String,
    /// At most one queued-or-running job per unique key, e.g. `sync:<connection>:<name>:<variant>`.
    pub unique_key: Option<String>,
    /// The connection it concerns (deleted with it).
    pub connection: Option<ConnectionPk>,
    /// Input for the worker.
    pub payload: Value,
    /// Not claimed before this time.
    pub run_after: DateTime<Utc>,
}

text_enum!(
    /// The status of a job.
    JobStatus {
        /// Waiting to be claimed (or to be retried).
        Queued = "queued",
        /// Claimed by a worker under a lease.
        Running = "running",
        /// Finished.
        Done = "done",
        /// Failed for good.
        Failed = "failed",
        /// Cancelled before it ran.
        Cancelled = "cancelled",
    }
);

/// A job.
#[derive(Debug, Clone, PartialEq)]
pub struct Job {
    /// Its id.
    pub id: JobId,
    /// Its kind.
    pub kind: String,
    /// Its unique key.
    pub unique_key: Option<String>,
    /// The connection it concerns.
    pub connection: Option<ConnectionPk>,
    /// Input for the worker.
    pub payload: Value,
    /// Its status.
    pub status: JobStatus,
    /// Claims so far.
    pub attempts: i64,
    /// Not claimed before this time.
    pub run_after: DateTime<Utc>,
    /// When the current lease expires.
    pub lease_expires_at: Option<DateTime<Utc>>,
    /// A cancel was requested while it ran; the worker sees it on its next heartbeat.
    pub cancel_requested: bool,
    /// The last failure.
    pub last_error: Option<String>,
    /// When it was enqueued.
    pub created_at: DateTime<Utc>,
}

/// Proof that a worker holds a job. Heartbeats, completion and failure need it; once the lease
/// expires and another worker claims the job, the old lease stops working.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The job.
    pub job: JobId,
    /// The claim's token.
    pub token: Uuid,
}

/// A job claimed by a worker.
#[derive(Debug, Clone)]
pub struct ClaimedJob {
    /// The job, as claimed.
    pub job: Job,
    /// The lease to present.
    pub lease: Lease,
}

/// The answer to a heartbeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heartbeat {
    /// Someone asked to cancel the job: stop and fail it as cancelled.
    pub cancel_requested: bool,
}

text_enum!(
    /// The status of an async action.
    ActionStatus {
        /// Waiting for a worker.
        Pending = "pending",
        /// Running.
        Running = "running",
        /// Finished with an output.
        Success = "success",
        /// Finished with an error.
        Failed = "failed",
    }
);

/// An async action (`POST /action/trigger` with `X-Async: true`).
#[derive(Debug, Clone, PartialEq)]
pub struct ActionRun {
    /// Its id (the API's UUID).
    pub id: Uuid,
    /// The connection.
    pub connection: ConnectionPk,
    /// The action's name.
    pub action_name: String,
    /// Its input.
    pub input: Value,
    /// Its status.
    pub status: ActionStatus,
    /// The output of a successful run.
    pub output: Option<Value>,
    /// The error of a failed run.
    pub error: Option<Value>,
    /// When it was triggered.
    pub created_at: DateTime<Utc>,
    /// When it finished.
    pub finished_at: Option<DateTime<Utc>>,
}
