//! One run of one sync: how it starts, streams its records into the store in batches with
//! checkpoints, stops when asked, and finishes.
//!
//! Contract:
//! - A run saves records in batches of `batch_size`; each batch commits in one transaction with
//!   the checkpoint the sync set since the previous batch, so a run killed at any moment resumes
//!   from the last committed checkpoint.
//! - A full scan starts a delete-tracking generation (which survives interrupted runs) before its
//!   first batch, and records not seen since it are deleted only by the `finish_run` of a run that
//!   completed successfully. A failed, cancelled, stopped or timed-out run never deletes.
//! - Every run has its own Snowflake client, so its request count is its own; it is stored on the
//!   run.
//! - A record that cannot be mapped or does not match its schema fails the run (with the record id
//!   and field path), or is skipped and counted under the sync's `skip_record` policy.
//! - The result (status, counts, error, next schedule, webhooks) is written by one `finish_run`.

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicU8, Ordering},
    },
    time::Duration,
};

use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use snowgate_snowflake::{Client, Partition};
use snowgate_store::{
    Connection, ConnectionPk, FinishRun, JobStatus, Lease, ModelCounts, ModelKey, NewRecord,
    NewSync, OperationStatus, Run, RunId, RunStatus, SaveBatch, SaveCounts, StartRun, Store,
    StoreError, SyncErrorUpdate, SyncState,
};
use tokio::{sync::watch, task::JoinHandle};
use tokio_util::sync::CancellationToken;

use crate::{
    connect,
    engine::{BASE_VARIANT, Engine, TriggerOpts, new_job},
    error::{EngineError, SyncControlError},
    health,
    ids::{IdTracker, ObjectKey},
    mapping::ResultShapeError,
    metadata::MetadataError,
    models::Model,
    notify,
    syncs::ConfiguredSync,
    validation::{PreparedRecord, RecordProblem, Skipped, ValidationPolicy},
    watermark::WatermarkError,
    webhooks::{Checkpoints, ResponseResults, WebhookError},
};

/// The job kind of sync runs.
pub(crate) const SYNC_JOB: &str = "sync";

/// What a sync job asks for.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct SyncJob {
    pub(crate) sync: i64,
    #[serde(default)]
    pub(crate) reset: bool,
    #[serde(default)]
    pub(crate) empty_cache: bool,
    /// Queued by the scheduler (skipped if the sync was paused since), not by a person.
    #[serde(default)]
    pub(crate) scheduled: bool,
}

/// How far a run has come, for progress bars.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Progress {
    /// Records saved so far (added, updated and unchanged).
    pub records: u64,
    /// Records added.
    pub added: u64,
    /// Records updated.
    pub updated: u64,
    /// Records left out under the `skip_record` policy.
    pub skipped: u64,
    /// Snowflake requests made.
    pub snowflake_calls: u64,
}

/// Why a run stopped before its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StopReason {
    /// The process is shutting down: the job goes back to the queue.
    Shutdown = 1,
    /// Someone cancelled the job.
    Cancelled = 2,
    /// Another worker took the job over.
    LeaseLost = 3,
}

/// The stop signal of one run: a token and the reason it was cancelled with.
#[derive(Debug, Default)]
pub(crate) struct Stop {
    token: CancellationToken,
    reason: AtomicU8,
}

impl Stop {
    pub(crate) fn new(token: CancellationToken) -> Arc<Self> {
        Arc::new(Self {
            token,
            reason: AtomicU8::new(0),
        })
    }

    pub(crate) fn stop(&self, reason: StopReason) {
        let _ = self
            .reason
            .compare_exchange(0, reason as u8, Ordering::SeqCst, Ordering::SeqCst);
        self.token.cancel();
    }

    /// Completes when the run is asked to stop.
    pub(crate) async fn cancelled(&self) {
        self.token.cancelled().await;
    }

    fn reason(&self) -> Option<StopReason> {
        if !self.token.is_cancelled() {
            return None;
        }
        Some(match self.reason.load(Ordering::SeqCst) {
            2 => StopReason::Cancelled,
            3 => StopReason::LeaseLost,
            _ => StopReason::Shutdown,
        })
    }
}

/// Why a run did not complete.
#[derive(Debug, thiserror::Error)]
pub(crate) enum RunError {
    #[error("the run was stopped ({0:?})")]
    Stopped(StopReason),
    #[error("the run took longer than its timeout of {} s and was stopped; raise engine.run_timeout_secs or narrow the sync's scope", .0.as_secs())]
    TimedOut(Duration),
    #[error(transparent)]
    Snowflake(#[from] snowgate_snowflake::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Record(#[from] RecordProblem),
    #[error(transparent)]
    Metadata(#[from] MetadataError),
    #[error(transparent)]
    Shape(#[from] ResultShapeError),
    #[error(transparent)]
    Watermark(#[from] WatermarkError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("{0}")]
    Invalid(String),
}

impl RunError {
    /// The error's type in run errors and webhooks.
    fn kind(&self) -> &'static str {
        match self {
            Self::Stopped(_) => "cancelled",
            Self::TimedOut(_) => "timeout",
            Self::Snowflake(error) if error.as_auth().is_some() => "auth_error",
            Self::Snowflake(snowgate_snowflake::Error::Sql { .. }) => "sql_error",
            Self::Snowflake(_) => "snowflake_error",
            Self::Store(_) => "store_error",
            Self::Record(_) => "invalid_record",
            Self::Metadata(_) => "invalid_metadata",
            Self::Shape(_) | Self::Watermark(_) | Self::Invalid(_) => "invalid_configuration",
            Self::Engine(_) => "engine_error",
        }
    }

    /// `{type, message}` plus the failing record's id and fields.
    fn payload(&self) -> Value {
        let mut payload = json!({"type": self.kind(), "message": self.to_string()});
        if let Self::Record(RecordProblem::Invalid(invalid)) = self {
            payload["record_id"] = Value::String(invalid.id.clone());
            payload["fields"] = serde_json::to_value(&invalid.fields).unwrap_or_default();
        }
        payload
    }
}

/// A batch being written, with the checkpoint it commits.
type InFlight = (JoinHandle<Result<SaveCounts, StoreError>>, Option<Value>);

/// The state of one run, handed to the sync's code.
pub(crate) struct RunContext {
    engine: Engine,
    pub(crate) connection: Connection,
    pub(crate) sync: SyncState,
    model: ModelKey,
    client: Client,
    run: Run,
    policy: ValidationPolicy,
    stop: Arc<Stop>,
    batch_size: usize,
    buffer: Vec<NewRecord>,
    pending_checkpoint: Option<Value>,
    counts: SaveCounts,
    skipped: Skipped,
    ids: IdTracker,
    progress: Option<watch::Sender<Progress>>,
    tracking: Option<RunId>,
    saved_checkpoint: Option<Value>,
    in_flight: Option<InFlight>,
}

impl RunContext {
    /// The run's Snowflake client.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// The connection's metadata (`null` when it has none).
    pub(crate) fn metadata(&self) -> &Value {
        self.connection.metadata.as_ref().unwrap_or(&Value::Null)
    }

    /// The checkpoint the run started from (`None` on a fresh or reset run).
    pub(crate) fn start_checkpoint(&self) -> Option<&Value> {
        self.sync.checkpoint.as_ref()
    }

    /// SHOW statements kept in flight at once.
    pub(crate) fn show_concurrency(&self) -> usize {
        self.engine.config().show_concurrency
    }

    /// Starts delete tracking (idempotent across interrupted runs): records not seen from now on
    /// are deleted if this run completes.
    pub(crate) async fn track_deletes(&mut self) -> Result<(), RunError> {
        if self.tracking.is_none() {
            let generation = self
                .engine
                .store()
                .start_delete_tracking(self.sync.id, self.run.id)
                .await?;
            self.tracking = Some(generation);
        }
        Ok(())
    }

    /// Fails with [`RunError::Stopped`] once the run was asked to stop.
    pub(crate) fn check(&self) -> Result<(), RunError> {
        match self.stop.reason() {
            Some(reason) => Err(RunError::Stopped(reason)),
            None => Ok(()),
        }
    }

    /// The next partition of `rows`, or a stop.
    pub(crate) async fn next<S>(&mut self, rows: &mut S) -> Result<Option<Partition>, RunError>
    where
        S: Stream<Item = Result<Partition, snowgate_snowflake::Error>> + Unpin,
    {
        self.check()?;
        let token = self.stop.token.clone();
        tokio::select! {
            biased;
            () = token.cancelled() => Err(RunError::Stopped(self.stop.reason().unwrap_or(StopReason::Shutdown))),
            next = rows.next() => Ok(next.transpose()?),
        }
    }

    /// Awaits `future` unless the run is asked to stop first.
    pub(crate) async fn until_stopped<T, F>(&self, future: F) -> Result<T, RunError>
    where
        F: Future<Output = Result<T, RunError>>,
    {
        self.check()?;
        let token = self.stop.token.clone();
        tokio::select! {
            biased;
            () = token.cancelled() => Err(RunError::Stopped(self.stop.reason().unwrap_or(StopReason::Shutdown))),
            outcome = future => outcome,
        }
    }

    /// Adds a built-in model's record, unless another object already has its id in this run.
    pub(crate) async fn add<M: Model>(
        &mut self,
        record: &M,
        key: ObjectKey<'_>,
    ) -> Result<(), RunError> {
        if self.ids.register(key).is_err() {
            return Ok(());
        }
        let prepared = PreparedRecord::from_model(record).map_err(RecordProblem::from);
        self.add_prepared(prepared).await
    }

    /// Adds a prepared record, or applies the validation policy to its problem.
    pub(crate) async fn add_prepared(
        &mut self,
        outcome: Result<PreparedRecord, RecordProblem>,
    ) -> Result<(), RunError> {
        let Some(record) = self.policy.apply(outcome, &mut self.skipped)? else {
            return Ok(());
        };
        self.buffer.push(NewRecord {
            external_id: record.id,
            payload: record.json,
            hash: *record.hash.as_bytes(),
        });
        if self.buffer.len() >= self.batch_size {
            self.flush().await?;
        }
        Ok(())
    }

    /// A row that did not become a record: fails the run or is skipped, per the policy.
    pub(crate) fn problem(&mut self, problem: RecordProblem) -> Result<(), RunError> {
        self.policy.apply(Err(problem), &mut self.skipped)?;
        Ok(())
    }

    /// Whether the next added record fills the batch (and saves it).
    pub(crate) fn flushes_next(&self) -> bool {
        self.buffer.len() + 1 >= self.batch_size
    }

    /// Sets the checkpoint saved with the next batch: everything before it is saved once that
    /// batch commits.
    pub(crate) fn set_checkpoint(&mut self, checkpoint: Value) {
        self.pending_checkpoint = Some(checkpoint);
    }

    /// Saves the buffered records with the pending checkpoint.
    pub(crate) async fn flush(&mut self) -> Result<(), RunError> {
        self.check()?;
        self.settle().await?;
        let store = self.engine.store().clone();
        if self.buffer.is_empty() {
            if let Some(checkpoint) = self.pending_checkpoint.take() {
                store
                    .save_checkpoint(self.sync.id, Some(&checkpoint))
                    .await?;
                self.saved_checkpoint = Some(checkpoint);
            }
            return Ok(());
        }
        // The batch is written while the next one is read and prepared: saves stay in order
        // (one in flight at a time), so checkpoints commit in order too.
        let records = std::mem::replace(&mut self.buffer, Vec::with_capacity(self.batch_size));
        let checkpoint = self.pending_checkpoint.take();
        let (connection, model, run, sync) = (
            self.connection.id,
            self.model.clone(),
            self.run.id,
            self.sync.id,
        );
        let saved = checkpoint.clone();
        let save = tokio::spawn(async move {
            store
                .save_records(SaveBatch {
                    connection,
                    model: &model,
                    records: &records,
                    run,
                    checkpoint: checkpoint.as_ref().map(|c| (sync, c)),
                })
                .await
        });
        self.in_flight = Some((save, saved));
        Ok(())
    }

    /// Waits for the batch being written, if any, and counts it.
    pub(crate) async fn settle(&mut self) -> Result<(), RunError> {
        let Some((save, checkpoint)) = self.in_flight.take() else {
            return Ok(());
        };
        let counts = save.await.map_err(|error| {
            RunError::Invalid(format!("a batch save was interrupted: {error}"))
        })??;
        if checkpoint.is_some() {
            self.saved_checkpoint = checkpoint;
        }
        self.counts.added += counts.added;
        self.counts.updated += counts.updated;
        self.counts.unchanged += counts.unchanged;
        self.report();
        Ok(())
    }

    fn report(&self) {
        if let Some(progress) = &self.progress {
            progress.send_replace(Progress {
                records: self.counts.added + self.counts.updated + self.counts.unchanged,
                added: self.counts.added,
                updated: self.counts.updated,
                skipped: self.skipped.count,
                snowflake_calls: self.client.request_count(),
            });
        }
    }
}

/// The sync of (connection, definition, variant), created if needed: scheduled now when the
/// definition auto-starts (and it is the base variant), paused otherwise.
pub(crate) async fn ensure_sync(
    engine: &Engine,
    connection: ConnectionPk,
    definition: &ConfiguredSync,
    variant: &str,
) -> Result<SyncState, StoreError> {
    let start = definition.auto_start && variant == BASE_VARIANT;
    engine
        .store()
        .ensure_sync(&NewSync {
            connection,
            name: definition.name.clone(),
            variant: variant.to_owned(),
            frequency_secs: definition.frequency.duration().as_secs() as i64,
            paused: !start,
            next_run_at: start.then(Utc::now),
        })
        .await
}

/// Queues a run of `state`. With `manual` and `opts.reset`, a queued run without the reset is
/// replaced; a run in progress is left alone.
pub(crate) async fn enqueue(
    engine: &Engine,
    state: &SyncState,
    opts: TriggerOpts,
    manual: bool,
) -> Result<(), StoreError> {
    let store = engine.store();
    let payload = SyncJob {
        sync: state.id.0,
        reset: opts.reset,
        empty_cache: opts.reset && opts.empty_cache,
        scheduled: !manual,
    };
    let job = || {
        new_job(
            SYNC_JOB,
            Some(state.job_key()),
            state.connection,
            serde_json::to_value(&payload).expect("sync jobs serialise"),
        )
    };
    let (existing, created) = store.enqueue_job(&job()).await?;
    if created {
        return Ok(());
    }
    let existing_reset = existing
        .payload
        .get("reset")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    if opts.reset && !existing_reset && existing.status == JobStatus::Queued {
        store.cancel_job(existing.id).await?;
        store.enqueue_job(&job()).await?;
    } else {
        tracing::info!(sync = %state.name, variant = %state.variant, job = %existing.id, "a run of this sync is already queued or running");
    }
    Ok(())
}

fn check_variant(variant: &str) -> Result<(), SyncControlError> {
    let invalid = |reason| SyncControlError::InvalidVariant {
        variant: variant.to_owned(),
        reason,
    };
    if variant == BASE_VARIANT {
        return Err(invalid("\"base\" is reserved for the default variant"));
    }
    if variant.is_empty()
        || variant.len() > 255
        || !variant
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    {
        return Err(invalid("use 1 to 255 letters, digits, '_' or '-'"));
    }
    Ok(())
}

/// Most variants of one sync on one connection (Nango's limit).
const MAX_VARIANTS: usize = 100;

/// Creates a variant (paused unless the sync auto-starts).
pub(crate) async fn create_variant(
    engine: &Engine,
    connection: ConnectionPk,
    name: &str,
    variant: &str,
) -> Result<SyncState, SyncControlError> {
    let definition = engine
        .configured_sync(name)
        .ok_or_else(|| SyncControlError::UnknownSync(name.to_owned()))?;
    check_variant(variant)?;
    let store = engine.store();
    if store.connection_by_pk(connection).await?.is_none() {
        return Err(SyncControlError::UnknownConnection(connection.to_string()));
    }
    let existing = store.list_syncs(connection).await?;
    if existing
        .iter()
        .any(|s| s.name == name && s.variant == variant)
    {
        return Err(SyncControlError::VariantExists {
            name: name.to_owned(),
            variant: variant.to_owned(),
        });
    }
    if existing.iter().filter(|s| s.name == name).count() > MAX_VARIANTS {
        return Err(SyncControlError::InvalidVariant {
            variant: variant.to_owned(),
            reason: "a sync has at most 100 variants per connection",
        });
    }
    let start = definition.auto_start;
    Ok(store
        .ensure_sync(&NewSync {
            connection,
            name: name.to_owned(),
            variant: variant.to_owned(),
            frequency_secs: definition.frequency.duration().as_secs() as i64,
            paused: !start,
            next_run_at: start.then(Utc::now),
        })
        .await?)
}

/// Deletes a variant with its runs and records.
pub(crate) async fn delete_variant(
    engine: &Engine,
    connection: ConnectionPk,
    name: &str,
    variant: &str,
) -> Result<(), SyncControlError> {
    let definition = engine
        .configured_sync(name)
        .ok_or_else(|| SyncControlError::UnknownSync(name.to_owned()))?;
    check_variant(variant)?;
    let store = engine.store();
    let state = store
        .find_sync(connection, name, variant)
        .await?
        .ok_or_else(|| SyncControlError::UnknownVariant {
            name: name.to_owned(),
            variant: variant.to_owned(),
        })?;
    store.delete_sync(state.id).await?;
    store
        .clear_records(connection, &definition.model_key(variant))
        .await?;
    Ok(())
}

/// Runs a claimed sync job. Returns what to do with the job.
pub(crate) async fn run_job(
    engine: &Engine,
    job: SyncJob,
    stop: Arc<Stop>,
    progress: Option<watch::Sender<Progress>>,
) -> Result<JobEnd, EngineError> {
    let store = engine.store();
    let Some(state) = store.sync(snowgate_store::SyncId(job.sync)).await? else {
        return Ok(JobEnd::Done);
    };
    if job.scheduled && state.paused {
        return Ok(JobEnd::Done);
    }
    let Some(definition) = engine.configured_sync(&state.name).cloned() else {
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
        engine,
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

/// Runs one sync from start to finish and returns the finished run.
async fn execute(
    engine: &Engine,
    state: SyncState,
    definition: &ConfiguredSync,
    connection: Connection,
    opts: TriggerOpts,
    stop: Arc<Stop>,
    progress: Option<watch::Sender<Progress>>,
) -> Result<Run, EngineError> {
    let store = engine.store();
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
        engine,
        state: &state,
        definition,
        connection: &connection,
        run: &run,
        operation: &operation,
    };
    let client = match connect::client_for(engine, &connection).await {
        Ok(client) => client,
        Err(error) => return finish(&record, None, Err(RunError::from(error))).await,
    };
    let mut ctx = RunContext {
        engine: engine.clone(),
        policy: engine.config().validation_for(&state.name),
        batch_size: engine.config().batch_size,
        connection: connection.clone(),
        sync: state.clone(),
        model,
        client,
        run: run.clone(),
        stop,
        buffer: Vec::with_capacity(engine.config().batch_size),
        pending_checkpoint: None,
        counts: SaveCounts::default(),
        skipped: Skipped::default(),
        ids: IdTracker::new(),
        progress,
        tracking: None,
        saved_checkpoint: None,
        in_flight: None,
    };
    if definition.lists_everything()
        && let Err(error) = ctx.track_deletes().await
    {
        return finish(&record, Some(&mut ctx), Err(error)).await;
    }
    let timeout = Duration::from_secs(engine.config().run_timeout_secs);
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
    engine: &'a Engine,
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
        engine,
        state,
        definition,
        connection,
        run,
        operation,
    } = *record;
    let store = engine.store();
    let now = Utc::now();
    let (counts, calls, tracking, skipped, collisions, last_checkpoint) = match ctx {
        Some(ctx) => {
            // A batch still being written when the run stopped lands before the run ends.
            if let Err(error) = ctx.settle().await {
                tracing::warn!(%error, "the last batch of a stopped run was not saved");
            }
            ctx.report();
            (
                ctx.counts,
                ctx.client.request_count() as i64,
                ctx.tracking,
                std::mem::take(&mut ctx.skipped),
                ctx.ids.collisions().clone(),
                ctx.saved_checkpoint.take(),
            )
        }
        None => (
            SaveCounts::default(),
            0,
            None,
            Skipped::default(),
            Default::default(),
            None,
        ),
    };
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
        _ => Some(now + backoff(engine, state, frequency).await?),
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
                engine,
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
            health::record_success(engine, connection).await?;
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
                health::record_rejection(engine, connection, &auth.to_string()).await?;
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
/// with each failure in a row, never longer than its frequency.
async fn backoff(
    engine: &Engine,
    state: &SyncState,
    frequency: chrono::Duration,
) -> Result<chrono::Duration, EngineError> {
    let recent = engine.store().list_runs(state.id, None, 12).await?;
    let failures = recent
        .iter()
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

/// Runs a sync in this process through the job queue (see [`Engine::run_sync`]).
pub(crate) async fn run_in_foreground(
    engine: &Engine,
    state: &SyncState,
    opts: TriggerOpts,
    progress: Option<watch::Sender<Progress>>,
) -> Result<Run, EngineError> {
    let store = engine.store();
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
    let lease = engine.config().lease();
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
        engine.clone(),
        claimed.lease.clone(),
        stop.clone(),
    ));
    let outcome = run_job(engine, job, stop, progress).await;
    heartbeat.abort();
    end_job(engine, &claimed.lease, &outcome).await?;
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

/// Keeps a job's lease alive; asks the run to stop when the job is cancelled or taken over.
pub(crate) async fn heartbeat(engine: Engine, lease: Lease, stop: Arc<Stop>) {
    let period = engine.config().lease() / 3;
    loop {
        tokio::time::sleep(period).await;
        let until =
            Utc::now() + chrono::Duration::from_std(engine.config().lease()).unwrap_or_default();
        match engine.store().heartbeat(&lease, until).await {
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
    engine: &Engine,
    lease: &Lease,
    outcome: &Result<JobEnd, EngineError>,
) -> Result<(), StoreError> {
    let store = engine.store();
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
