//! Sync control: which syncs a request names ([`SyncTarget`], [`SyncSelector`]), creating a
//! connection's syncs and variants, queuing runs (trigger, start, the scheduler's runs), pausing,
//! frequencies and the status Nango's `GET /sync/status` shows. A queued run is a job of kind
//! [`SYNC_JOB`]; `sync_jobs` runs it.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use snowgate_store::{
    ConnectionFilter, ConnectionPk, JobStatus, ModelCounts, ModelKey, NewSync, RunStatus, Store,
    StoreError, SyncState,
};

use crate::{
    catalog::Frequency, error::SyncControlError, jobs::new_job, runtime::Runtime,
    syncs::ConfiguredSync,
};

/// Which connections a sync operation applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncTarget {
    /// One connection.
    Connection(ConnectionPk),
    /// Every connection of an integration.
    Integration(String),
}

/// One sync (and variant) named in a request; `variant: None` is `base`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncSelector {
    /// The sync's name.
    pub name: String,
    /// The variant; `None` means `base`.
    pub variant: Option<String>,
}

impl SyncSelector {
    /// The base variant of `name`.
    pub fn base(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            variant: None,
        }
    }

    fn variant(&self) -> &str {
        self.variant.as_deref().unwrap_or(BASE_VARIANT)
    }
}

/// The variant every sync has.
pub const BASE_VARIANT: &str = "base";

/// Options of a manual trigger (`opts` of `POST /sync/trigger`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TriggerOpts {
    /// Forget the checkpoint and run a full sync.
    pub reset: bool,
    /// Delete the sync's records first (requires `reset`): everything is reported added again.
    pub empty_cache: bool,
}

/// Nango's sync status values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncStatusKind {
    /// A run is in progress.
    Running,
    /// Paused (never scheduled).
    Paused,
    /// Never ran, or the last run was cancelled.
    Stopped,
    /// The last run succeeded.
    Success,
    /// The last run failed.
    Error,
}

impl SyncStatusKind {
    /// `RUNNING`, `PAUSED`, `STOPPED`, `SUCCESS` or `ERROR`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "RUNNING",
            Self::Paused => "PAUSED",
            Self::Stopped => "STOPPED",
            Self::Success => "SUCCESS",
            Self::Error => "ERROR",
        }
    }
}

/// One sync of one connection, as `GET /sync/status` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncStatus {
    /// The sync's id.
    pub id: snowgate_store::SyncId,
    /// The connection's id (Nango's `connection_id`).
    pub connection_id: String,
    /// The sync's name.
    pub name: String,
    /// The variant.
    pub variant: String,
    /// Its status.
    pub status: SyncStatusKind,
    /// When the latest run finished.
    pub finished_at: Option<DateTime<Utc>>,
    /// When it runs next (`None` when paused).
    pub next_scheduled_sync_at: Option<DateTime<Utc>>,
    /// The frequency in effect, as text (`every hour`).
    pub frequency: String,
    /// The latest run's changes per model.
    pub latest_result: BTreeMap<String, ModelCounts>,
    /// Live records per model.
    pub record_count: BTreeMap<String, i64>,
    /// The checkpoint (of an unfinished full run, or an incremental sync's watermark).
    pub checkpoint: Option<Value>,
}

/// Nango-style text of a frequency in seconds: `every hour`, `every 15 minutes`, `every 2 days`.
pub fn frequency_text(secs: i64) -> String {
    let (count, unit) = if secs % 86_400 == 0 {
        (secs / 86_400, "day")
    } else if secs % 3_600 == 0 {
        (secs / 3_600, "hour")
    } else if secs % 60 == 0 {
        (secs / 60, "minute")
    } else {
        (secs, "second")
    };
    if count == 1 {
        format!("every {unit}")
    } else {
        format!("every {count} {unit}s")
    }
}

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

/// The sync of (connection, definition, variant), created if needed: scheduled now when the
/// definition auto-starts (and it is the base variant), paused otherwise.
pub(crate) async fn ensure_sync(
    rt: &Runtime,
    connection: ConnectionPk,
    definition: &ConfiguredSync,
    variant: &str,
) -> Result<SyncState, StoreError> {
    let start = definition.auto_start && variant == BASE_VARIANT;
    rt.store()
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
    rt: &Runtime,
    state: &SyncState,
    opts: TriggerOpts,
    manual: bool,
) -> Result<(), StoreError> {
    let store = rt.store();
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
    rt: &Runtime,
    connection: ConnectionPk,
    name: &str,
    variant: &str,
) -> Result<SyncState, SyncControlError> {
    let definition = rt
        .configured_sync(name)
        .ok_or_else(|| SyncControlError::UnknownSync(name.to_owned()))?;
    check_variant(variant)?;
    let store = rt.store();
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
    rt: &Runtime,
    connection: ConnectionPk,
    name: &str,
    variant: &str,
) -> Result<(), SyncControlError> {
    let definition = rt
        .configured_sync(name)
        .ok_or_else(|| SyncControlError::UnknownSync(name.to_owned()))?;
    check_variant(variant)?;
    let store = rt.store();
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

/// Runs the selected syncs now (all syncs when `syncs` is empty). A sync with a run queued or
/// in progress is left alone, unless `opts.reset` is set and the run is only queued, in which
/// case it is queued again with the reset.
pub(crate) async fn trigger(
    rt: &Runtime,
    target: &SyncTarget,
    syncs: &[SyncSelector],
    opts: TriggerOpts,
) -> Result<(), SyncControlError> {
    for state in selected(rt, target, syncs).await? {
        enqueue(rt, &state, opts, true).await?;
    }
    Ok(())
}

/// Resumes the selected syncs and runs them now (no effect on a sync already running).
pub(crate) async fn start(
    rt: &Runtime,
    target: &SyncTarget,
    syncs: &[SyncSelector],
) -> Result<(), SyncControlError> {
    for state in selected(rt, target, syncs).await? {
        rt.store().set_sync_paused(state.id, false).await?;
        rt.store().set_next_run(state.id, Some(Utc::now())).await?;
        enqueue(rt, &state, TriggerOpts::default(), false).await?;
    }
    Ok(())
}

/// Pauses the selected syncs: they are no longer scheduled (a scheduled run still queued is
/// skipped); a run in progress finishes.
pub(crate) async fn pause(
    rt: &Runtime,
    target: &SyncTarget,
    syncs: &[SyncSelector],
) -> Result<(), SyncControlError> {
    for state in selected(rt, target, syncs).await? {
        rt.store().set_sync_paused(state.id, true).await?;
    }
    Ok(())
}

/// The status of the selected syncs (all when `syncs` is empty).
pub(crate) async fn status(
    rt: &Runtime,
    target: &SyncTarget,
    syncs: &[SyncSelector],
) -> Result<Vec<SyncStatus>, SyncControlError> {
    let store = &rt.store();
    let mut statuses = Vec::new();
    let mut connections: HashMap<ConnectionPk, (String, Vec<snowgate_store::ModelCount>)> =
        HashMap::new();
    for state in selected(rt, target, syncs).await? {
        if let std::collections::hash_map::Entry::Vacant(entry) =
            connections.entry(state.connection)
        {
            let connection_id = store
                .connection_by_pk(state.connection)
                .await?
                .map(|c| c.connection_id)
                .unwrap_or_default();
            let counts = store.record_counts(state.connection).await?;
            entry.insert((connection_id, counts));
        }
        let (connection_id, counts) = &connections[&state.connection];
        let run = match state.last_run {
            Some(run) => store.run(run).await?,
            None => None,
        };
        let status = if state.last_status == Some(RunStatus::Running) {
            SyncStatusKind::Running
        } else if state.paused {
            SyncStatusKind::Paused
        } else {
            match state.last_status {
                Some(RunStatus::Success) => SyncStatusKind::Success,
                Some(RunStatus::Failed) => SyncStatusKind::Error,
                _ => SyncStatusKind::Stopped,
            }
        };
        let models = rt
            .configured_sync(&state.name)
            .map(|d| d.model_key(&state.variant))
            .into_iter()
            .collect::<Vec<ModelKey>>();
        let record_count = models
            .iter()
            .map(|model| {
                let live = counts
                    .iter()
                    .find(|count| &count.model == model)
                    .map_or(0, |count| count.live);
                (model.to_string(), live)
            })
            .collect();
        statuses.push(SyncStatus {
            id: state.id,
            connection_id: connection_id.clone(),
            name: state.name.clone(),
            variant: state.variant.clone(),
            status,
            finished_at: run.as_ref().and_then(|run| run.finished_at),
            next_scheduled_sync_at: if state.paused {
                None
            } else {
                state.next_run_at
            },
            frequency: frequency_text(state.effective_frequency_secs()),
            latest_result: run
                .map(|run| {
                    run.counts
                        .into_iter()
                        .map(|(model, counts)| (model.to_string(), counts))
                        .collect()
                })
                .unwrap_or_default(),
            record_count,
            checkpoint: state.checkpoint.clone(),
        });
    }
    Ok(statuses)
}

/// Sets (or with `None` removes) a connection's frequency for one sync, and returns the
/// frequency now in effect. The next run moves earlier if the new frequency makes it due sooner.
pub(crate) async fn update_frequency(
    rt: &Runtime,
    connection: ConnectionPk,
    sync: &SyncSelector,
    frequency: Option<Frequency>,
) -> Result<String, SyncControlError> {
    let state = find(rt, connection, sync).await?;
    let secs = frequency.as_ref().map(|f| f.duration().as_secs() as i64);
    rt.store().set_sync_frequency(state.id, secs).await?;
    let effective = secs.unwrap_or(state.frequency_secs);
    let sooner = Utc::now() + chrono::Duration::seconds(effective);
    if !state.paused && state.next_run_at.is_none_or(|next| sooner < next) {
        rt.store().set_next_run(state.id, Some(sooner)).await?;
    }
    Ok(match frequency {
        Some(frequency) => frequency.to_string(),
        None => frequency_text(effective),
    })
}

/// The connection's sync named by `selector`.
pub(crate) async fn find(
    rt: &Runtime,
    connection: ConnectionPk,
    selector: &SyncSelector,
) -> Result<SyncState, SyncControlError> {
    let definition = rt
        .configured_sync(&selector.name)
        .ok_or_else(|| SyncControlError::UnknownSync(selector.name.clone()))?;
    match rt
        .store()
        .find_sync(connection, &selector.name, selector.variant())
        .await?
    {
        Some(state) => Ok(state),
        None if selector.variant() == BASE_VARIANT => {
            // A connection made before this sync was configured: create it now.
            Ok(ensure_sync(rt, connection, definition, BASE_VARIANT).await?)
        }
        None => Err(SyncControlError::UnknownVariant {
            name: selector.name.clone(),
            variant: selector.variant().to_owned(),
        }),
    }
}

async fn selected(
    rt: &Runtime,
    target: &SyncTarget,
    syncs: &[SyncSelector],
) -> Result<Vec<SyncState>, SyncControlError> {
    for selector in syncs {
        if rt.configured_sync(&selector.name).is_none() {
            return Err(SyncControlError::UnknownSync(selector.name.clone()));
        }
    }
    let connections = match target {
        SyncTarget::Connection(pk) => {
            if rt.store().connection_by_pk(*pk).await?.is_none() {
                return Err(SyncControlError::UnknownConnection(pk.to_string()));
            }
            vec![*pk]
        }
        SyncTarget::Integration(key) => rt
            .store()
            .list_connections(&ConnectionFilter {
                integration_keys: vec![key.clone()],
                ..ConnectionFilter::default()
            })
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect(),
    };
    let mut selected = Vec::new();
    for connection in connections {
        if syncs.is_empty() {
            for definition in rt.configured_syncs() {
                ensure_sync(rt, connection, definition, BASE_VARIANT).await?;
            }
            selected.extend(rt.store().list_syncs(connection).await?);
        } else {
            for selector in syncs {
                selected.push(find(rt, connection, selector).await?);
            }
        }
    }
    Ok(selected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frequency_texts_read_back_as_the_same_duration() {
        for (secs, text) in [
            (3600, "every hour"),
            (900, "every 15 minutes"),
            (86_400, "every day"),
            (12 * 3600, "every 12 hours"),
            (90, "every 90 seconds"),
            (30 * 86_400, "every 30 days"),
        ] {
            assert_eq!(frequency_text(secs), text);
            assert_eq!(
                Frequency::parse(text).unwrap().duration().as_secs() as i64,
                secs
            );
        }
    }
}
