//! Workers: claim queued jobs (sync runs, async actions) under leases, run them with heartbeats,
//! and end them.
//!
//! A worker process runs at most `engine.workers` jobs at once. Claims are safe between
//! processes (the store's `FOR UPDATE SKIP LOCKED` on PostgreSQL, one writer on SQLite); a job
//! whose worker died is claimed again once its lease expires and resumes from its checkpoint. A
//! heartbeat every third of the lease keeps it, and relays a cancel request to the run. On
//! shutdown the runs stop at their next batch, and their jobs go back to the queue.

use std::sync::Arc;

use chrono::Utc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use snowgate_store::{ClaimedJob, Store};

use crate::{
    action_exec::{self, ACTION_JOB},
    error::EngineError,
    jobs::{end_job, heartbeat},
    runtime::Runtime,
    stop::Stop,
    sync_control::{SYNC_JOB, SyncJob},
    sync_jobs,
};

/// The start of every background worker's id (`worker-<pid>-<random>`); foreground runs use
/// `foreground-<pid>`.
pub(crate) const WORKER_PREFIX: &str = "worker-";

/// Starts the worker loop.
pub(crate) fn spawn(rt: &Arc<Runtime>, shutdown: &CancellationToken, tasks: &mut JoinSet<()>) {
    let rt = Arc::clone(rt);
    let shutdown = shutdown.clone();
    tasks.spawn(async move { work(rt, shutdown).await });
}

async fn work(rt: Arc<Runtime>, shutdown: CancellationToken) {
    let worker = format!(
        "{WORKER_PREFIX}{}-{}",
        std::process::id(),
        &Uuid::new_v4().simple().to_string()[..8]
    );
    let slots = rt.config().workers;
    let mut running: JoinSet<()> = JoinSet::new();
    tracing::info!(%worker, slots, "worker started");
    loop {
        while running.try_join_next().is_some() {}
        let free = slots.saturating_sub(running.len());
        if free > 0 {
            let now = Utc::now();
            let lease = chrono::Duration::from_std(rt.config().lease()).unwrap_or_default();
            match rt
                .store()
                .claim_jobs(
                    &worker,
                    &[SYNC_JOB, ACTION_JOB],
                    free as u32,
                    now + lease,
                    now,
                )
                .await
            {
                Ok(claims) => {
                    for claim in claims {
                        let rt = Arc::clone(&rt);
                        let stop = Stop::new(shutdown.child_token());
                        running.spawn(async move { execute(rt, claim, stop).await });
                    }
                }
                Err(error) => tracing::warn!(%error, "claiming jobs failed; retrying"),
            }
        }
        tokio::select! {
            () = shutdown.cancelled() => break,
            () = tokio::time::sleep(rt.config().poll_interval()) => {}
            Some(_) = running.join_next(), if !running.is_empty() => {}
        }
    }
    while running.join_next().await.is_some() {}
    tracing::info!(%worker, "worker stopped");
}

/// Runs one claimed job to its end.
async fn execute(rt: Arc<Runtime>, claim: ClaimedJob, stop: Arc<Stop>) {
    let heartbeat = tokio::spawn(heartbeat(
        Arc::clone(&rt),
        claim.lease.clone(),
        stop.clone(),
    ));
    let outcome = match claim.job.kind.as_str() {
        SYNC_JOB => match serde_json::from_value::<SyncJob>(claim.job.payload.clone()) {
            Ok(job) => sync_jobs::run_job(&rt, job, stop, None).await,
            Err(error) => Err(EngineError::Invalid(format!("malformed sync job: {error}"))),
        },
        ACTION_JOB => action_exec::run_job(&rt, &claim.job, stop).await,
        other => Err(EngineError::Invalid(format!("unknown job kind {other:?}"))),
    };
    heartbeat.abort();
    if let Err(error) = &outcome {
        tracing::warn!(job = %claim.job.id, kind = %claim.job.kind, %error, "job failed");
    }
    if let Err(error) = end_job(&rt, &claim.lease, &outcome).await {
        tracing::warn!(job = %claim.job.id, %error, "could not record the end of a job");
    }
}
