//! What sync runs and async actions share as queued jobs: a new job's row, how a job ends, and
//! the heartbeat that keeps its lease and relays a cancel request.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde_json::Value;
use snowgate_store::{ConnectionPk, Lease, NewJob, Store, StoreError};

use crate::{
    error::EngineError,
    runtime::Runtime,
    stop::{Stop, StopReason},
};

/// A job of `kind` for `connection`, due now.
pub(crate) fn new_job(
    kind: &str,
    unique_key: Option<String>,
    connection: ConnectionPk,
    payload: Value,
) -> NewJob {
    NewJob {
        kind: kind.to_owned(),
        unique_key,
        connection: Some(connection),
        payload,
        run_after: Utc::now(),
    }
}

/// What becomes of a job after its run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum JobEnd {
    /// Finished (successfully or not; failures are the run's business).
    Done,
    /// Interrupted by a shutdown: queue it again at once, to resume from its checkpoint.
    Requeue,
    /// Another worker holds it now: leave it alone.
    Abandon,
    /// Failed in a way that may pass: queue it again at this time.
    Retry {
        /// When.
        at: DateTime<Utc>,
        /// What failed.
        error: String,
    },
}

/// Keeps a job's lease alive; asks the job to stop when it is cancelled or taken over.
pub(crate) async fn heartbeat(rt: Arc<Runtime>, lease: Lease, stop: Arc<Stop>) {
    let period = rt.config().lease() / 3;
    loop {
        tokio::time::sleep(period).await;
        let until =
            Utc::now() + chrono::Duration::from_std(rt.config().lease()).unwrap_or_default();
        match rt.store().heartbeat(&lease, until).await {
            Ok(beat) if beat.cancel_requested => {
                stop.stop(StopReason::Cancelled);
                return;
            }
            Ok(_) => {}
            Err(StoreError::LeaseLost { .. }) => {
                stop.stop(StopReason::LeaseLost);
                return;
            }
            Err(error) => tracing::warn!(%error, job = %lease.job, "heartbeat failed; retrying"),
        }
    }
}

/// Completes, requeues or leaves a job after its run.
pub(crate) async fn end_job(
    rt: &Runtime,
    lease: &Lease,
    outcome: &Result<JobEnd, EngineError>,
) -> Result<(), StoreError> {
    let store = rt.store();
    let result = match outcome {
        Ok(JobEnd::Done) => store.complete_job(lease).await,
        Ok(JobEnd::Requeue) => {
            store
                .fail_job(lease, "interrupted by a shutdown", Some(Utc::now()))
                .await
        }
        Ok(JobEnd::Abandon) => Ok(()),
        Ok(JobEnd::Retry { at, error }) => store.fail_job(lease, error, Some(*at)).await,
        Err(error) => store.fail_job(lease, &error.to_string(), None).await,
    };
    match result {
        Err(StoreError::LeaseLost { .. }) => Ok(()),
        other => other,
    }
}
