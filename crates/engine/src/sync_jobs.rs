//! A sync run as a job: a claimed job becomes a run (continuing an interrupted one), its sync's
//! code writes through a [`RunContext`] (the batch sink, see `syncs::context`), and the run ends
//! in one `finish_run` — or stays open when a shutdown stopped it, for the requeued job to continue.
//!
//! Contract:
//! - A run saves records in batches of `batch_size`, each with its checkpoint (`syncs::context`).
//! - A full scan starts a delete-tracking generation (which survives interrupted runs) before its
//!   first batch, and records not seen since it are deleted only by the `finish_run` of a run that
//!   completed successfully. A failed, cancelled, stopped or timed-out run never deletes.
//! - Every run has its own Snowflake client, so its request count is its own; it is stored on the
//!   run.
//! - A record that cannot be mapped or does not match its schema fails the run (with the record id
//!   and field path), or is skipped and counted under the sync's `skip_record` policy.
//! - The result (status, counts, error, next schedule, webhooks) is written by one `finish_run`.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use chrono::{DateTime, Utc};
use serde_json::json;
use snowgate_store::{
    Connection, FinishRun, JobStatus, ModelCounts, OperationStatus, Run, RunStatus, StartRun,
    Store, SyncErrorUpdate, SyncState,
};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use crate::{
    connect,
    error::EngineError,
    health,
    jobs::{JobEnd, end_job, heartbeat, new_job},
    notify,
    runtime::Runtime,
    stop::{Stop, StopReason},
    sync_control::{SYNC_JOB, SyncJob, TriggerOpts},
    syncs::{
        ConfiguredSync,
        context::{Progress, RunContext, RunError, RunStart, RunTally},
    },
    webhooks::{Checkpoints, ResponseResults, WebhookError},
};

/// Runs a claimed sync job. Returns what to do with the job.
pub(crate) async fn run_job(
    rt: &Runtime,
    job: SyncJob,
    stop: Arc<Stop>,
    progress: Option<watch::Sender<Progress>>,
) -> Result<JobEnd, EngineError> {
    let store = rt.store();
    let Some(state) = store.sync(snowgate_store::SyncId(job.sync)).await? else {
        return Ok(JobEnd::Done);
    };
    if job.scheduled && state.paused {
        return Ok(JobEnd::Done);
    }
    let Some(definition) = rt.configured_sync(&state.name).cloned() else {
        tracing::warn!(sync = %state.name, "a job names a sync that is no longer configured; skipped");
        return Ok(JobEnd::Done);
    };
    let Some(connection) = store.connection_by_pk(state.connection).await? else {
        return Ok(JobEnd::Done);
    };
    let opts = TriggerOpts {
        reset: job.reset,
        empty_cache: job.empty_cache,
    };
    let run = execute(
        rt,
        state,
        &definition,
        connection,
        opts,
        stop.clone(),
        progress,
    )
    .await?;
    Ok(match (run.status, stop.reason()) {
        (RunStatus::Running | RunStatus::Cancelled, Some(StopReason::Shutdown)) => JobEnd::Requeue,
        (RunStatus::Cancelled, Some(StopReason::LeaseLost)) => JobEnd::Abandon,
        _ => JobEnd::Done,
    })
}

/// Runs one sync from start to finish and returns the finished run.
async fn execute(
    rt: &Runtime,
    state: SyncState,
    definition: &ConfiguredSync,
    connection: Connection,
    opts: TriggerOpts,
    stop: Arc<Stop>,
    progress: Option<watch::Sender<Progress>>,
) -> Result<Run, EngineError> {
    let store = rt.store();
    let model = definition.model_key(&state.variant);
    if opts.empty_cache {
        store.clear_records(connection.id, &model).await?;
    }
    let mut state = state;
    if opts.reset {
        store.save_checkpoint(state.id, None).await?;
        state.checkpoint = None;
    }
    let run = store.start_run(&StartRun::of(&state, opts.reset)).await?;
    let operation = run
        .operation
        .clone()
        .ok_or_else(|| EngineError::Invalid(format!("run {} has no operation", run.id)))?;
    tracing::info!(connection.id = %connection.connection_id, sync = %state.name, variant = %state.variant, run = %run.id, resumed = state.checkpoint.is_some(), continues = ?run.resumed_from, "sync run started");
    let record = RunRecord {
        rt,
        state: &state,
        definition,
        connection: &connection,
        run: &run,
        operation: &operation,
    };
    let client = match connect::client_for(rt, &connection).await {
        Ok(client) => client,
        Err(error) => return finish(&record, None, Err(RunError::from(error))).await,
    };
    // What the last successful run read, scope by scope (a reset or emptied run reads all again).
    let previous_digests = if definition.skips_unchanged() && !opts.reset {
        store
            .scope_digests(state.id)
            .await?
            .into_iter()
            .filter_map(|(scope, digest)| Some((scope, <[u8; 32]>::try_from(digest).ok()?)))
            .collect()
    } else {
        Default::default()
    };
    let mut ctx = RunContext::new(RunStart {
        store: rt.store().clone(),
        show_concurrency: rt.config().show_concurrency,
        batch_size: rt.config().batch_size,
        policy: rt.config().validation_for(&state.name),
        connection: connection.clone(),
        sync: state.clone(),
        model,
        client,
        run: run.clone(),
        stop,
        progress,
        previous_digests,
    });
    if definition.lists_everything()
        && let Err(error) = ctx.track_deletes().await
    {
        return finish(&record, Some(&mut ctx), Err(error)).await;
    }
    let timeout = Duration::from_secs(rt.config().run_timeout_secs);
    let outcome = match tokio::time::timeout(timeout, async {
        definition.run(&mut ctx).await?;
        ctx.flush().await?;
        ctx.settle().await
    })
    .await
    {
        Ok(outcome) => outcome,
        Err(_) => Err(RunError::TimedOut(timeout)),
    };
    finish(&record, Some(&mut ctx), outcome).await
}

/// What a run's end is written about.
struct RunRecord<'a> {
    rt: &'a Runtime,
    state: &'a SyncState,
    definition: &'a ConfiguredSync,
    connection: &'a Connection,
    run: &'a Run,
    operation: &'a str,
}

/// Writes a run's end: status, counts, deletions (complete runs only), schedule, errors,
/// webhooks, and the operation log.
async fn finish(
    record: &RunRecord<'_>,
    ctx: Option<&mut RunContext>,
    outcome: Result<(), RunError>,
) -> Result<Run, EngineError> {
    let RunRecord {
        rt,
        state,
        definition,
        connection,
        run,
        operation,
    } = *record;
    let store = rt.store();
    let now = Utc::now();
    let tally = match ctx {
        Some(ctx) => ctx.conclude().await,
        None => RunTally::default(),
    };
    let RunTally {
        counts,
        snowflake_calls: calls,
        tracking,
        skipped,
        id_collisions: collisions,
        last_checkpoint,
        digests,
        skipped_scopes,
    } = tally;
    if let Err(RunError::Stopped(StopReason::Shutdown)) = &outcome {
        // A shutdown interrupts a run as a kill does: the run and its operation stay open, its
        // job goes back to the queue, and the sync's next run continues it and announces
        // everything the two changed (finishing it here would leave its changes unannounced).
        tracing::info!(connection.id = %connection.connection_id, sync = %state.name, run = %run.id, "sync run interrupted by a shutdown; the next run continues it");
        return Ok(run.clone());
    }
    // The logical run: what the interrupted runs this one continues committed, plus this run.
    let (added, updated) = (run.added + counts.added, run.updated + counts.updated);
    let model = definition.model_key(&state.variant);
    let frequency = chrono::Duration::seconds(state.effective_frequency_secs());
    let (status, error) = match &outcome {
        Ok(()) => (RunStatus::Success, None),
        Err(RunError::Stopped(_)) => (RunStatus::Cancelled, None),
        Err(error) => (RunStatus::Failed, Some(error)),
    };
    let deleted = match (status, tracking) {
        (RunStatus::Success, Some(generation)) => {
            store
                .count_unseen(connection.id, &model, generation)
                .await?
        }
        _ => 0,
    };
    let next_run_at = match (&outcome, status) {
        (_, RunStatus::Success) => Some(next_after(run.started_at, frequency, now)),
        (Err(RunError::Stopped(StopReason::Cancelled)), _) => Some(now + frequency),
        (_, RunStatus::Cancelled) => None,
        _ => Some(now + backoff(rt, state, frequency).await?),
    };
    let webhook_outcome = match (&outcome, status) {
        (Ok(()), _) => Some(Ok(ResponseResults {
            added,
            updated,
            deleted,
        })),
        (Err(error), RunStatus::Failed) => Some(Err(WebhookError {
            kind: error.kind().to_owned(),
            description: error.to_string(),
            payload: Some(error.payload()),
        })),
        _ => None,
    };
    let checkpoints = (!definition.lists_everything()).then(|| Checkpoints {
        from: state.checkpoint.clone(),
        to: last_checkpoint.or_else(|| state.checkpoint.clone()),
    });
    let webhooks = match webhook_outcome {
        Some(result) => {
            notify::sync(
                rt,
                connection,
                notify::SyncOutcome {
                    sync_name: &state.name,
                    variant: &state.variant,
                    model: &definition.model,
                    started_at: run.first_started_at,
                    finished_at: now,
                    result,
                    checkpoints,
                },
            )
            .await?
        }
        None => Vec::new(),
    };
    let mut by_model = BTreeMap::new();
    by_model.insert(
        model.clone(),
        ModelCounts {
            added,
            updated,
            deleted: 0,
        },
    );
    let finished = store
        .finish_run(&FinishRun {
            run: run.id,
            status,
            delete_unseen: if status == RunStatus::Success && tracking.is_some() {
                vec![model.clone()]
            } else {
                Vec::new()
            },
            counts: by_model,
            error: error.map(RunError::payload),
            snowflake_calls: calls,
            next_run_at,
            clear_checkpoint: status == RunStatus::Success && definition.lists_everything(),
            sync_error: match status {
                RunStatus::Success => SyncErrorUpdate::Clear,
                RunStatus::Failed => SyncErrorUpdate::Set {
                    log_id: operation.to_owned(),
                },
                _ => SyncErrorUpdate::Keep,
            },
            webhooks,
            scope_digests: digests,
        })
        .await?;
    let summary = json!({
        "run": run.id,
        "resumed_from": run.resumed_from,
        "first_started_at": run.first_started_at,
        "status": status.as_str(),
        "added": added,
        "updated": updated,
        "unchanged": counts.unchanged,
        "deleted": deleted,
        "skipped": skipped.count,
        "unchanged_scopes": skipped_scopes,
        "skipped_examples": skipped.examples.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "id_collisions": collisions,
        "snowflake_calls": calls,
        "error": finished.error,
    });
    store
        .finish_operation(
            operation,
            if status == RunStatus::Failed {
                OperationStatus::Failed
            } else {
                OperationStatus::Success
            },
            Some(&summary),
            now,
        )
        .await?;
    let duration_ms = (now - run.started_at).num_milliseconds();
    match &outcome {
        Ok(()) => {
            health::record_success(rt, connection).await?;
            tracing::info!(connection.id = %connection.connection_id, sync = %state.name, variant = %state.variant, added, updated, deleted, skipped = skipped.count, snowflake_calls = calls, duration_ms, "sync run finished")
        }
        Err(RunError::Stopped(reason)) => {
            tracing::info!(connection.id = %connection.connection_id, sync = %state.name, ?reason, duration_ms, "sync run stopped")
        }
        Err(error) => {
            tracing::warn!(connection.id = %connection.connection_id, sync = %state.name, error = %error, duration_ms, "sync run failed");
            if let RunError::Snowflake(snowflake) = error
                && let Some(auth) = snowflake.as_auth()
            {
                health::record_rejection(rt, connection, &auth.to_string()).await?;
            }
        }
    }
    Ok(finished)
}

/// The next scheduled run after a success: one frequency after the run started, but not in the
/// past.
fn next_after(
    started_at: DateTime<Utc>,
    frequency: chrono::Duration,
    now: DateTime<Utc>,
) -> DateTime<Utc> {
    (started_at + frequency).max(now + chrono::Duration::seconds(1))
}

/// How long after a failure the sync runs again: one minute after the first failure, doubling
/// with each failure in a row, never longer than its frequency. A run that was interrupted (its
/// worker died or lost its lease) and continued by another is stored as failed, but says nothing
/// about the sync: it is not counted.
async fn backoff(
    rt: &Runtime,
    state: &SyncState,
    frequency: chrono::Duration,
) -> Result<chrono::Duration, EngineError> {
    let recent = rt.store().list_runs(state.id, None, 12).await?;
    let interrupted = |run: &&Run| {
        run.error
            .as_ref()
            .is_some_and(|error| error["type"] == "interrupted")
    };
    let failures = recent
        .iter()
        .filter(|run| !interrupted(run))
        .skip_while(|run| run.status == RunStatus::Running)
        .take_while(|run| run.status == RunStatus::Failed)
        .count() as u32;
    let delay = chrono::Duration::minutes(1) * 2_i32.pow(failures.min(10));
    Ok(delay.min(frequency))
}

/// The worker id of foreground runs.
fn foreground_worker() -> String {
    format!("foreground-{}", std::process::id())
}

/// Runs a sync in this process through the job queue (the CLI's `sync run`).
pub(crate) async fn run_in_foreground(
    rt: &Arc<Runtime>,
    state: &SyncState,
    opts: TriggerOpts,
    progress: Option<watch::Sender<Progress>>,
) -> Result<Run, EngineError> {
    let store = rt.store();
    let worker = foreground_worker();
    let payload = SyncJob {
        sync: state.id.0,
        reset: opts.reset,
        empty_cache: opts.reset && opts.empty_cache,
        scheduled: false,
    };
    // Queued "at the epoch", a foreground job sorts before every other due job, so the claim
    // below takes it.
    let mut job = new_job(
        SYNC_JOB,
        Some(state.job_key()),
        state.connection,
        serde_json::to_value(&payload).expect("sync jobs serialise"),
    );
    job.run_after = DateTime::UNIX_EPOCH;
    let lease = rt.config().lease();
    let mut waited_for: Option<DateTime<Utc>> = None;
    let claimed = loop {
        let (existing, _) = store.enqueue_job(&job).await?;
        let now = Utc::now();
        if existing.status == JobStatus::Queued && existing.run_after > DateTime::UNIX_EPOCH {
            // A scheduled run not started yet: replace it with this one.
            store.cancel_job(existing.id).await?;
            continue;
        }
        if existing.status == JobStatus::Running
            && let Some(expires) = existing.lease_expires_at
            && expires >= now
        {
            if waited_for.is_some_and(|previous| expires > previous) {
                return Err(EngineError::Invalid(format!(
                    "sync {} is being run by another worker (job {}); wait for it, or cancel it",
                    state.name, existing.id
                )));
            }
            tracing::info!(job = %existing.id, until = %expires, "an earlier run of this sync still holds its lease; waiting for it to expire");
            waited_for = Some(expires);
            tokio::time::sleep(
                ((expires - now).to_std().unwrap_or_default()) + Duration::from_millis(100),
            )
            .await;
            continue;
        }
        let now = Utc::now();
        let claims = store
            .claim_jobs(
                &worker,
                &[SYNC_JOB],
                1,
                now + chrono::Duration::from_std(lease).unwrap_or_default(),
                now,
            )
            .await?;
        match claims.into_iter().next() {
            Some(claim) if claim.job.id == existing.id => break claim,
            Some(other) => {
                store
                    .fail_job(
                        &other.lease,
                        "released: claimed by a foreground run by mistake",
                        Some(other.job.run_after),
                    )
                    .await?;
            }
            None => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    };
    let job: SyncJob = serde_json::from_value(claimed.job.payload.clone()).unwrap_or(payload);
    let stop = Stop::new(CancellationToken::new());
    let heartbeat = tokio::spawn(heartbeat(
        Arc::clone(rt),
        claimed.lease.clone(),
        stop.clone(),
    ));
    let outcome = run_job(rt, job, stop, progress).await;
    heartbeat.abort();
    end_job(rt, &claimed.lease, &outcome).await?;
    outcome?;
    let state = store
        .sync(state.id)
        .await?
        .ok_or_else(|| EngineError::Invalid("the sync was deleted during its run".into()))?;
    let run_id = state
        .last_run
        .ok_or_else(|| EngineError::Invalid("the run was not recorded".into()))?;
    store
        .run(run_id)
        .await?
        .ok_or_else(|| EngineError::Invalid("the run was not recorded".into()))
}
