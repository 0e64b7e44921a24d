//! [`RunContext`], the state of one run handed to a sync's code, and the batch sink it writes
//! through: records are buffered, saved in batches of `batch_size`, each batch in one transaction
//! with the checkpoint the sync set since the previous one, while the next batch is read (one save
//! in flight at a time, so checkpoints commit in order). A run killed at any moment resumes from
//! the last committed checkpoint.

use std::{collections::HashMap, sync::Arc, time::Duration};

use aws_lc_rs::digest;
use futures::{Stream, StreamExt};
use serde_json::{Value, json};
use snowgate_snowflake::{Client, Partition, Row};
use snowgate_store::{
    AnyStore, Connection, ModelKey, NewRecord, Run, RunId, SaveBatch, SaveCounts, Store,
    StoreError, SyncState,
};
use tokio::{sync::watch, task::JoinHandle};

use crate::{
    error::EngineError,
    ids::{Collisions, IdTracker, ObjectKey},
    mapping::ResultShapeError,
    metadata::MetadataError,
    models::Model,
    stop::{Stop, StopReason},
    validation::{PreparedRecord, RecordProblem, Skipped, ValidationPolicy},
    watermark::WatermarkError,
};

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
    pub(crate) fn kind(&self) -> &'static str {
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
    pub(crate) fn payload(&self) -> Value {
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
    store: AnyStore,
    show_concurrency: usize,
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
    previous_digests: HashMap<String, [u8; 32]>,
    digests: Option<Vec<(String, [u8; 32])>>,
    /// Seen ranges of skipped scopes, saved before the next checkpoint.
    pending_ranges: Vec<(String, String)>,
    skipped_scopes: u64,
    /// A scope of this run has a name holding the id separator: ids of one scope may then fall
    /// in another's range, so nothing more is skipped and no digest is kept for the next run.
    aliasing: bool,
}

/// A SHA-256 over the fields of one scope's answer, each length-prefixed (NULL apart).
struct ScopeDigest(digest::Context);

impl ScopeDigest {
    /// Adds one field (a cell, a name); `None` is NULL.
    fn field(&mut self, value: Option<&str>) {
        match value {
            None => self.0.update(&[0]),
            Some(text) => {
                self.0.update(&[1]);
                self.0.update(&(text.len() as u64).to_le_bytes());
                self.0.update(text.as_bytes());
            }
        }
    }

    fn finish(self) -> [u8; 32] {
        let mut out = [0; 32];
        out.copy_from_slice(self.0.finish().as_ref());
        out
    }
}

/// What a run starts with.
pub(crate) struct RunStart {
    pub(crate) store: AnyStore,
    pub(crate) show_concurrency: usize,
    pub(crate) batch_size: usize,
    pub(crate) policy: ValidationPolicy,
    pub(crate) connection: Connection,
    pub(crate) sync: SyncState,
    pub(crate) model: ModelKey,
    pub(crate) client: Client,
    pub(crate) run: Run,
    pub(crate) stop: Arc<Stop>,
    pub(crate) progress: Option<watch::Sender<Progress>>,
    /// The digests of the scopes of the sync's last successful run (empty for a reset run).
    pub(crate) previous_digests: HashMap<String, [u8; 32]>,
}

/// What a run did, once its last batch landed.
#[derive(Debug, Default)]
pub(crate) struct RunTally {
    pub(crate) counts: SaveCounts,
    pub(crate) snowflake_calls: i64,
    /// The delete-tracking generation, when the run tracks deletes.
    pub(crate) tracking: Option<RunId>,
    pub(crate) skipped: Skipped,
    pub(crate) id_collisions: Collisions,
    /// The last checkpoint committed with a batch.
    pub(crate) last_checkpoint: Option<Value>,
    /// The digests of the scopes this run read, when the sync keeps them.
    pub(crate) digests: Option<Vec<(String, [u8; 32])>>,
    /// Scopes whose answer had not changed, so their records were not processed again.
    pub(crate) skipped_scopes: u64,
}

impl RunContext {
    pub(crate) fn new(start: RunStart) -> Self {
        Self {
            store: start.store,
            show_concurrency: start.show_concurrency,
            policy: start.policy,
            batch_size: start.batch_size,
            buffer: Vec::with_capacity(start.batch_size),
            connection: start.connection,
            sync: start.sync,
            model: start.model,
            client: start.client,
            run: start.run,
            stop: start.stop,
            pending_checkpoint: None,
            counts: SaveCounts::default(),
            skipped: Skipped::default(),
            ids: IdTracker::new(),
            progress: start.progress,
            tracking: None,
            saved_checkpoint: None,
            in_flight: None,
            previous_digests: start.previous_digests,
            digests: None,
            pending_ranges: Vec::new(),
            skipped_scopes: 0,
            aliasing: false,
        }
    }

    /// Lands the batch still being written (a stopped run's last batch is kept too) and returns
    /// what the run did.
    pub(crate) async fn conclude(&mut self) -> RunTally {
        if let Err(error) = self.settle().await {
            tracing::warn!(%error, "the last batch of a stopped run was not saved");
        }
        self.report();
        RunTally {
            counts: self.counts,
            snowflake_calls: self.client.request_count() as i64,
            tracking: self.tracking,
            skipped: std::mem::take(&mut self.skipped),
            id_collisions: self.ids.collisions().clone(),
            last_checkpoint: self.saved_checkpoint.take(),
            digests: match self.aliasing {
                true => Some(Vec::new()),
                false => self.digests.take(),
            },
            skipped_scopes: self.skipped_scopes,
        }
    }

    /// A digest builder for one scope's answer, salted with what else decides its records: this
    /// version of Snowgate (mapping and validation rules), the model and the validation policy.
    fn scope_digest(&self) -> ScopeDigest {
        let mut digest = ScopeDigest(digest::Context::new(&digest::SHA256));
        digest.field(Some(env!("CARGO_PKG_VERSION")));
        digest.field(Some(&self.model.to_string()));
        digest.field(Some(&format!("{:?}", self.policy)));
        digest
    }

    /// Keeps `digest` as the scope's for this run, and says whether the sync's last successful
    /// run read the same answer.
    fn unchanged(&mut self, scope: &str, digest: [u8; 32]) -> bool {
        self.digests
            .get_or_insert_with(Vec::new)
            .push((scope.to_owned(), digest));
        self.previous_digests.get(scope) == Some(&digest)
    }

    /// Whether one scope's answer — `names` (e.g. the schema's tables) and `rows`, cell by cell —
    /// is what the sync's last successful run read. If so and `range` is given, the scope is
    /// skipped: its records, the ids in `range`, count as seen without being processed (see
    /// [`Self::skip_scope`]). `range` is `None` for a scope whose ids share no range of their
    /// own (a name holding the id separator): it is processed, and so is every later scope of
    /// the run (see [`Self::no_skipping`]).
    pub(crate) fn skip_unchanged<'a>(
        &mut self,
        scope: &str,
        names: impl IntoIterator<Item = &'a str>,
        rows: impl IntoIterator<Item = Row<'a>>,
        range: Option<(String, String)>,
    ) -> bool {
        let mut digest = self.scope_digest();
        for name in names {
            digest.field(Some(name));
        }
        digest.field(None);
        for row in rows {
            for cell in row.raw_cells() {
                digest.field(cell);
            }
            digest.field(None);
        }
        let unchanged = self.unchanged(scope, digest.finish());
        match range {
            Some((lo, hi)) if unchanged && !self.aliasing => self.skip_scope(lo, hi),
            Some(_) => false,
            None => {
                self.no_skipping();
                false
            }
        }
    }

    /// Stops skipping for the rest of the run, and keeps no digest for the next one: a scope's
    /// name holds the id separator (see [`crate::syncs::id_range`]).
    pub(crate) fn no_skipping(&mut self) {
        self.aliasing = true;
    }

    /// Skips an unchanged scope: its records, the ids in `[lo, hi)`, count as seen in this run
    /// without being read or touched (saved before the next checkpoint). False, and nothing
    /// done, when the run does not track deletes.
    fn skip_scope(&mut self, lo: String, hi: String) -> bool {
        if self.tracking.is_none() {
            return false;
        }
        self.pending_ranges.push((lo, hi));
        self.skipped_scopes += 1;
        true
    }

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
        self.show_concurrency
    }

    /// Starts delete tracking (idempotent across interrupted runs): records not seen from now on
    /// are deleted if this run completes.
    pub(crate) async fn track_deletes(&mut self) -> Result<(), RunError> {
        if self.tracking.is_none() {
            let generation = self
                .store
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
        let stop = Arc::clone(&self.stop);
        tokio::select! {
            biased;
            () = stop.cancelled() => Err(RunError::Stopped(self.stop.reason().unwrap_or(StopReason::Shutdown))),
            next = rows.next() => Ok(next.transpose()?),
        }
    }

    /// Awaits `future` unless the run is asked to stop first.
    pub(crate) async fn until_stopped<T, F>(&self, future: F) -> Result<T, RunError>
    where
        F: Future<Output = Result<T, RunError>>,
    {
        self.check()?;
        let stop = Arc::clone(&self.stop);
        tokio::select! {
            biased;
            () = stop.cancelled() => Err(RunError::Stopped(self.stop.reason().unwrap_or(StopReason::Shutdown))),
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
        let store = self.store.clone();
        if let (Some(generation), false) = (self.tracking, self.pending_ranges.is_empty()) {
            store
                .add_seen_ranges(generation, &std::mem::take(&mut self.pending_ranges))
                .await?;
        }
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
