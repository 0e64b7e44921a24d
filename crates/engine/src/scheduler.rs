//! The scheduler: queues a run of every sync that is due.
//!
//! A sync is due when its `next_run_at` has passed, it is not paused, and it has no run queued or
//! in progress (the store's `due_syncs`). Queuing uses the sync's unique job key, so schedulers in
//! several processes never queue a sync twice. A run's end sets the next `next_run_at` (the
//! frequency after success, a growing backoff after failures).

use std::sync::Arc;

use chrono::Utc;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use snowgate_store::Store;

use crate::{
    runtime::Runtime,
    sync_control::{self, TriggerOpts},
};

/// Syncs queued per tick at most.
const BATCH: u32 = 200;

/// Starts the scheduler loop.
pub(crate) fn spawn(rt: &Arc<Runtime>, shutdown: &CancellationToken, tasks: &mut JoinSet<()>) {
    let rt = Arc::clone(rt);
    let shutdown = shutdown.clone();
    tasks.spawn(async move {
        loop {
            if let Err(error) = tick(&rt).await {
                tracing::warn!(%error, "scheduling failed; retrying");
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(rt.config().poll_interval()) => {}
            }
        }
    });
}

/// Queues the due syncs; returns how many.
pub(crate) async fn tick(rt: &Runtime) -> Result<usize, snowgate_store::StoreError> {
    let due = rt.store().due_syncs(Utc::now(), BATCH).await?;
    for sync in &due {
        sync_control::enqueue(rt, sync, TriggerOpts::default(), false).await?;
    }
    Ok(due.len())
}
