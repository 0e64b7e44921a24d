//! Syncs (schedule, checkpoint, delete-tracking marker) and their runs; finishing a run deletes
//! the records it did not see, in the same transaction.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::QueryBuilder;

use super::{Backend, Db, DbConnection, connections, operations, records, webhooks};
use crate::{
    connection::ConnectionErrorKind,
    dialect::{Dialect, IDS_PER_STATEMENT, page_limit},
    error::{Result, StoreError},
    ids::{ConnectionPk, RunId, SyncId},
    operation::OperationStatus,
    record::ModelKey,
    rows::{RunRow, SyncRow, micros, now, to_json},
    sync::{FinishRun, NewSync, Run, RunStatus, StartRun, SyncErrorUpdate, SyncState},
};

const SYNC_COLUMNS: &str = "id, connection, name, variant, paused, frequency_secs, \
     frequency_override, next_run_at, checkpoint, tracking_generation, last_run, \
     last_status, created_at, updated_at";

const RUN_COLUMNS: &str = "id, sync, status, reset, started_at, first_started_at, \
     resumed_from, operation, added, updated, finished_at, counts, error, snowflake_calls";

/// A run by id, read on `conn` (inside a transaction, the transaction's view).
async fn run_row(conn: &mut DbConnection, id: RunId) -> Result<Option<Run>> {
    sqlx::query_as::<_, RunRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {RUN_COLUMNS} FROM runs WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?
    .map(RunRow::into_run)
    .transpose()
}

/// Locks a run that must still be running (the fence against a worker whose lease
/// was taken over: once a new run of the sync started, the old one's writes fail).
pub(super) async fn lock_running_run(conn: &mut DbConnection, run: RunId) -> Result<()> {
    let mut query = QueryBuilder::<Db>::new("SELECT status FROM runs WHERE id = ");
    query.push_bind(run).push(Backend::FOR_UPDATE);
    let status: Option<String> = query
        .build_query_scalar()
        .fetch_optional(&mut *conn)
        .await?;
    match status.as_deref() {
        Some("running") => Ok(()),
        Some(_) => Err(StoreError::LeaseLost {
            what: "run",
            id: run.0,
        }),
        None => Err(StoreError::NotFound {
            what: "run",
            key: run.to_string(),
        }),
    }
}

pub(crate) async fn ensure_sync(store: &Backend, sync: &NewSync) -> Result<SyncState> {
    let at = now();
    sqlx::query_as::<_, SyncRow>(sqlx::AssertSqlSafe(format!(
        "INSERT INTO syncs (connection, name, variant, paused, frequency_secs, \
         next_run_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
         ON CONFLICT (connection, name, variant) DO UPDATE SET \
         frequency_secs = excluded.frequency_secs RETURNING {SYNC_COLUMNS}"
    )))
    .bind(sync.connection)
    .bind(&sync.name)
    .bind(&sync.variant)
    .bind(sync.paused)
    .bind(sync.frequency_secs)
    .bind(sync.next_run_at.map(micros))
    .bind(at)
    .fetch_one(store.writer())
    .await?
    .into_sync()
}

pub(crate) async fn sync(store: &Backend, id: SyncId) -> Result<Option<SyncState>> {
    sqlx::query_as::<_, SyncRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {SYNC_COLUMNS} FROM syncs WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(store.reader())
    .await?
    .map(SyncRow::into_sync)
    .transpose()
}

pub(crate) async fn find_sync(
    store: &Backend,
    connection: ConnectionPk,
    name: &str,
    variant: &str,
) -> Result<Option<SyncState>> {
    sqlx::query_as::<_, SyncRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {SYNC_COLUMNS} FROM syncs WHERE connection = $1 AND name = $2 \
         AND variant = $3"
    )))
    .bind(connection)
    .bind(name)
    .bind(variant)
    .fetch_optional(store.reader())
    .await?
    .map(SyncRow::into_sync)
    .transpose()
}

pub(crate) async fn list_syncs(
    store: &Backend,
    connection: ConnectionPk,
) -> Result<Vec<SyncState>> {
    sqlx::query_as::<_, SyncRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {SYNC_COLUMNS} FROM syncs WHERE connection = $1 ORDER BY name, variant"
    )))
    .bind(connection)
    .fetch_all(store.reader())
    .await?
    .into_iter()
    .map(SyncRow::into_sync)
    .collect()
}

pub(crate) async fn set_sync_paused(store: &Backend, id: SyncId, paused: bool) -> Result<()> {
    sqlx::query("UPDATE syncs SET paused = $1, updated_at = $2 WHERE id = $3")
        .bind(paused)
        .bind(now())
        .bind(id)
        .execute(store.writer())
        .await?;
    Ok(())
}

pub(crate) async fn set_sync_frequency(
    store: &Backend,
    id: SyncId,
    override_secs: Option<i64>,
) -> Result<()> {
    sqlx::query("UPDATE syncs SET frequency_override = $1, updated_at = $2 WHERE id = $3")
        .bind(override_secs)
        .bind(now())
        .bind(id)
        .execute(store.writer())
        .await?;
    Ok(())
}

pub(crate) async fn set_next_run(
    store: &Backend,
    id: SyncId,
    at: Option<DateTime<Utc>>,
) -> Result<()> {
    sqlx::query("UPDATE syncs SET next_run_at = $1, updated_at = $2 WHERE id = $3")
        .bind(at.map(micros))
        .bind(now())
        .bind(id)
        .execute(store.writer())
        .await?;
    Ok(())
}

pub(crate) async fn save_checkpoint(
    store: &Backend,
    id: SyncId,
    checkpoint: Option<&Value>,
) -> Result<()> {
    sqlx::query("UPDATE syncs SET checkpoint = $1, updated_at = $2 WHERE id = $3")
        .bind(checkpoint.map(|c| to_json("checkpoint", c)).transpose()?)
        .bind(now())
        .bind(id)
        .execute(store.writer())
        .await?;
    Ok(())
}

pub(crate) async fn delete_sync(store: &Backend, id: SyncId) -> Result<bool> {
    Ok(sqlx::query("DELETE FROM syncs WHERE id = $1")
        .bind(id)
        .execute(store.writer())
        .await?
        .rows_affected()
        > 0)
}

pub(crate) async fn due_syncs(
    store: &Backend,
    now: DateTime<Utc>,
    limit: u32,
) -> Result<Vec<SyncState>> {
    sqlx::query_as::<_, SyncRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {SYNC_COLUMNS} FROM syncs s WHERE NOT paused \
         AND next_run_at IS NOT NULL AND next_run_at <= $1 \
         AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.unique_key = 'sync:' || s.id \
         AND j.status IN ('queued', 'running')) \
         ORDER BY next_run_at, id LIMIT $2"
    )))
    .bind(micros(now))
    .bind(page_limit(limit))
    .fetch_all(store.reader())
    .await?
    .into_iter()
    .map(SyncRow::into_sync)
    .collect()
}

pub(crate) async fn start_run(store: &Backend, start: &StartRun) -> Result<Run> {
    let at = now();
    let mut tx = store.begin_write().await?;
    // At most one job of a sync runs at a time, so a run still marked running is
    // one whose worker died or lost its lease: this run continues it.
    let mut query = QueryBuilder::<Db>::new(
        "SELECT id, first_started_at, operation, added, updated FROM runs \
         WHERE status = 'running' AND sync = ",
    );
    query
        .push_bind(start.sync)
        .push(" ORDER BY id DESC")
        .push(Backend::FOR_UPDATE);
    let interrupted: Vec<(i64, i64, Option<String>, i64, i64)> =
        query.build_query_as().fetch_all(&mut *tx).await?;
    let continued = interrupted.first();
    let operation = operations::insert_operation(&mut tx, &start.operation).await?;
    let (id,): (i64,) = sqlx::query_as(
        "INSERT INTO runs (sync, status, reset, started_at, first_started_at, \
         resumed_from, operation, added, updated) \
         VALUES ($1, 'running', $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(start.sync)
    .bind(start.reset)
    .bind(at)
    .bind(continued.map_or(at, |run| run.1))
    .bind(continued.map(|run| run.0))
    .bind(&operation)
    .bind(continued.map_or(0, |run| run.3))
    .bind(continued.map_or(0, |run| run.4))
    .fetch_one(&mut *tx)
    .await?;
    for (old, _, old_operation, _, _) in &interrupted {
        let error = serde_json::json!({
            "type": "interrupted",
            "message": format!(
                "run {old} was interrupted (its worker stopped or lost its lease) \
                 and continued by run {id}"
            ),
            "continued_by": id,
        });
        sqlx::query(
            "UPDATE runs SET status = 'failed', finished_at = $1, error = $2 \
             WHERE id = $3",
        )
        .bind(at)
        .bind(to_json("run error", &error)?)
        .bind(old)
        .execute(&mut *tx)
        .await?;
        let summary = serde_json::json!({
            "run": old,
            "status": "interrupted",
            "message": format!(
                "interrupted (its worker stopped or lost its lease); run {id} \
                 continued it in operation {operation}"
            ),
            "continued_by": operation,
        });
        sqlx::query(
            "UPDATE operations SET status = $1, summary = $2, ended_at = $3 \
             WHERE id = $4 AND status = $5",
        )
        .bind(OperationStatus::Interrupted.as_str())
        .bind(to_json("operation summary", &summary)?)
        .bind(at)
        .bind(old_operation)
        .bind(OperationStatus::Running.as_str())
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "UPDATE syncs SET last_run = $1, last_status = 'running', updated_at = $2 \
         WHERE id = $3",
    )
    .bind(id)
    .bind(at)
    .bind(start.sync)
    .execute(&mut *tx)
    .await?;
    let run = run_row(&mut tx, RunId(id)).await?;
    tx.commit().await?;
    run.ok_or_else(|| StoreError::NotFound {
        what: "run",
        key: id.to_string(),
    })
}

pub(crate) async fn start_delete_tracking(
    store: &Backend,
    sync: SyncId,
    run: RunId,
) -> Result<RunId> {
    let generation: Option<Option<i64>> = sqlx::query_scalar(
        "UPDATE syncs SET tracking_generation = COALESCE(tracking_generation, $1) \
         WHERE id = $2 RETURNING tracking_generation",
    )
    .bind(run)
    .bind(sync)
    .fetch_optional(store.writer())
    .await?;
    generation
        .flatten()
        .map(RunId)
        .ok_or_else(|| StoreError::NotFound {
            what: "sync",
            key: sync.to_string(),
        })
}

pub(crate) async fn scope_digests(store: &Backend, sync: SyncId) -> Result<Vec<(String, Vec<u8>)>> {
    Ok(
        sqlx::query_as("SELECT scope, digest FROM scope_digests WHERE sync = $1 ORDER BY scope")
            .bind(sync)
            .fetch_all(store.reader())
            .await?,
    )
}

pub(crate) async fn add_seen_ranges(
    store: &Backend,
    generation: RunId,
    ranges: &[(String, String)],
) -> Result<()> {
    let mut tx = store.begin_write().await?;
    for chunk in ranges.chunks(IDS_PER_STATEMENT) {
        let mut query = QueryBuilder::<Db>::new("INSERT INTO seen_ranges (generation, lo, hi) ");
        query.push_values(chunk, |mut row, (lo, hi)| {
            row.push_bind(generation).push_bind(lo).push_bind(hi);
        });
        query.push(" ON CONFLICT (generation, lo) DO UPDATE SET hi = excluded.hi");
        query.build().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The id intervals outside the seen ranges of `generation` (`None`: unbounded): the only places
/// where records unseen in it can be. Each is an index range of `records`, so finding the unseen
/// records costs what the processed scopes hold, not what the skipped ones do.
async fn unseen_gaps(
    conn: &mut DbConnection,
    generation: i64,
) -> Result<Vec<(Option<String>, Option<String>)>> {
    let ranges: Vec<(String, String)> =
        sqlx::query_as("SELECT lo, hi FROM seen_ranges WHERE generation = $1 ORDER BY lo")
            .bind(generation)
            .fetch_all(&mut *conn)
            .await?;
    let mut gaps = Vec::with_capacity(ranges.len() + 1);
    let mut from: Option<String> = None;
    for (lo, hi) in ranges {
        if from.as_ref().is_none_or(|from| *from < lo) {
            gaps.push((from, Some(lo)));
        }
        from = Some(hi);
    }
    gaps.push((from, None));
    Ok(gaps)
}

/// `AND` the record's id is in `gap`.
fn push_gap(query: &mut QueryBuilder<Db>, (lo, hi): &(Option<String>, Option<String>)) {
    if let Some(lo) = lo {
        query.push(" AND external_id >= ").push_bind(lo.clone());
    }
    if let Some(hi) = hi {
        query.push(" AND external_id < ").push_bind(hi.clone());
    }
}

pub(crate) async fn count_unseen(
    store: &Backend,
    connection: ConnectionPk,
    model: &ModelKey,
    generation: RunId,
) -> Result<u64> {
    let Some(model_id) = records::model_id(store, connection, model).await? else {
        return Ok(0);
    };
    let mut conn = store.reader().acquire().await?;
    let mut count = 0;
    for gap in unseen_gaps(&mut conn, generation.0).await? {
        let mut query = QueryBuilder::<Db>::new("SELECT COUNT(*) FROM records WHERE model = ");
        query
            .push_bind(model_id)
            .push(" AND deleted_at IS NULL AND seen_generation < ")
            .push_bind(generation.0);
        push_gap(&mut query, &gap);
        let unseen: i64 = query.build_query_scalar().fetch_one(&mut *conn).await?;
        count += unseen as u64;
    }
    Ok(count)
}

pub(crate) async fn finish_run(store: &Backend, finish: &FinishRun) -> Result<Run> {
    let at = now();
    let mut tx = store.begin_write().await?;
    lock_running_run(&mut tx, finish.run).await?;
    let Some((sync_id, connection, name, variant, generation)): Option<(
        i64,
        i64,
        String,
        String,
        Option<i64>,
    )> = sqlx::query_as(
        "SELECT s.id, s.connection, s.name, s.variant, s.tracking_generation \
         FROM runs r JOIN syncs s ON s.id = r.sync WHERE r.id = $1",
    )
    .bind(finish.run)
    .fetch_optional(&mut *tx)
    .await?
    else {
        return Err(StoreError::NotFound {
            what: "run",
            key: finish.run.to_string(),
        });
    };
    let connection = ConnectionPk(connection);
    let success = finish.status == RunStatus::Success;
    let mut counts = finish.counts.clone();
    if let (true, Some(generation)) = (success, generation) {
        let gaps = unseen_gaps(&mut tx, generation).await?;
        for model in &finish.delete_unseen {
            let Some((model_id, mut last_seq)) =
                records::lock_model(&mut tx, connection, model, false).await?
            else {
                continue;
            };
            for gap in &gaps {
                let deleted = records::mark_deleted(&mut tx, model_id, last_seq, |query| {
                    query.push("seen_generation < ").push_bind(generation);
                    push_gap(query, gap);
                })
                .await?;
                last_seq += deleted as i64;
                counts.entry(model.clone()).or_default().deleted += deleted;
            }
        }
        sqlx::query("DELETE FROM seen_ranges WHERE generation = $1")
            .bind(generation)
            .execute(&mut *tx)
            .await?;
    }
    if let (true, Some(digests)) = (success, &finish.scope_digests) {
        sqlx::query("DELETE FROM scope_digests WHERE sync = $1")
            .bind(sync_id)
            .execute(&mut *tx)
            .await?;
        for chunk in digests.chunks(IDS_PER_STATEMENT) {
            let mut query =
                QueryBuilder::<Db>::new("INSERT INTO scope_digests (sync, scope, digest) ");
            query.push_values(chunk, |mut row, (scope, digest)| {
                row.push_bind(sync_id)
                    .push_bind(scope)
                    .push_bind(digest.as_slice());
            });
            query.build().execute(&mut *tx).await?;
        }
    }
    sqlx::query(
        "UPDATE runs SET status = $1, finished_at = $2, counts = $3, error = $4, \
         snowflake_calls = $5 WHERE id = $6",
    )
    .bind(finish.status.as_str())
    .bind(at)
    .bind(to_json("run counts", &counts)?)
    .bind(
        finish
            .error
            .as_ref()
            .map(|e| to_json("run error", e))
            .transpose()?,
    )
    .bind(finish.snowflake_calls)
    .bind(finish.run)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "UPDATE syncs SET last_status = $1, \
         checkpoint = CASE WHEN $2 THEN NULL ELSE checkpoint END, \
         tracking_generation = CASE WHEN $3 THEN NULL ELSE tracking_generation END, \
         next_run_at = COALESCE($4, next_run_at), updated_at = $5 WHERE id = $6",
    )
    .bind(finish.status.as_str())
    .bind(finish.clear_checkpoint)
    .bind(success)
    .bind(finish.next_run_at.map(micros))
    .bind(at)
    .bind(sync_id)
    .execute(&mut *tx)
    .await?;
    let scope = format!("{name}::{variant}");
    match &finish.sync_error {
        SyncErrorUpdate::Keep => {}
        SyncErrorUpdate::Clear => {
            connections::delete_connection_errors(
                &mut tx,
                connection,
                ConnectionErrorKind::Sync,
                Some(&scope),
            )
            .await?;
        }
        SyncErrorUpdate::Set { log_id } => {
            connections::write_connection_error(
                &mut tx,
                connection,
                ConnectionErrorKind::Sync,
                &scope,
                log_id,
            )
            .await?
        }
    }
    webhooks::insert_deliveries(&mut tx, &finish.webhooks).await?;
    let run = run_row(&mut tx, finish.run).await?;
    tx.commit().await?;
    let changed: u64 = counts
        .values()
        .map(|c| c.added + c.updated + c.deleted)
        .sum();
    store.after_bulk_change(changed).await;
    run.ok_or_else(|| StoreError::NotFound {
        what: "run",
        key: finish.run.to_string(),
    })
}

pub(crate) async fn run(store: &Backend, id: RunId) -> Result<Option<Run>> {
    let mut conn = store.reader().acquire().await?;
    run_row(&mut conn, id).await
}

pub(crate) async fn list_runs(
    store: &Backend,
    sync: SyncId,
    before: Option<RunId>,
    limit: u32,
) -> Result<Vec<Run>> {
    sqlx::query_as::<_, RunRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {RUN_COLUMNS} FROM runs WHERE sync = $1 AND ($2 IS NULL OR id < $2) \
         ORDER BY id DESC LIMIT $3"
    )))
    .bind(sync)
    .bind(before)
    .bind(page_limit(limit))
    .fetch_all(store.reader())
    .await?
    .into_iter()
    .map(RunRow::into_run)
    .collect()
}
