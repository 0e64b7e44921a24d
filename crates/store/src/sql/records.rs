//! Records with change tracking: content hashes, a per-model change sequence kept on the
//! model's counter row (which serialises its writers), seen-in-run marks, soft deletes, pruning.

use std::collections::HashMap;

use sqlx::QueryBuilder;

use super::{Backend, Db, DbConnection, syncs};
use crate::{
    dialect::{ChangedRecord, Dialect, IDS_PER_STATEMENT, page_limit},
    error::{Result, StoreError},
    ids::ConnectionPk,
    record::{
        Cursor, MAX_PAGE_SIZE, MAX_QUERY_IDS, ModelCount, ModelKey, PruneOutcome, RecordAction,
        RecordPage, RecordQuery, SaveBatch, SaveCounts,
    },
    rows::{RecordRow, micros, now, to_json},
};

/// A record of a batch after de-duplication, with what the store knows of it.
struct Incoming<'a> {
    external_id: String,
    payload: &'a str,
    hash: &'a [u8; 32],
}

/// What is stored of a record, as far as classification needs it.
#[derive(sqlx::FromRow)]
struct Existing {
    external_id: String,
    hash: Vec<u8>,
    deleted: bool,
}

/// The model's id and last sequence number, locking its counter row until the
/// transaction ends (this serialises writers of the model); created if `create`.
pub(super) async fn lock_model(
    conn: &mut DbConnection,
    connection: ConnectionPk,
    model: &ModelKey,
    create: bool,
) -> Result<Option<(i64, i64)>> {
    if create {
        sqlx::query(
            "INSERT INTO record_models (connection, model) VALUES ($1, $2) \
             ON CONFLICT (connection, model) DO NOTHING",
        )
        .bind(connection)
        .bind(model.as_str())
        .execute(&mut *conn)
        .await?;
    }
    let mut query =
        QueryBuilder::<Db>::new("SELECT id, last_seq FROM record_models WHERE connection = ");
    query
        .push_bind(connection)
        .push(" AND model = ")
        .push_bind(model.as_str());
    query.push(Backend::FOR_UPDATE);
    Ok(query
        .build_query_as::<(i64, i64)>()
        .fetch_optional(&mut *conn)
        .await?)
}

/// The id of a model of a connection, if it has ever held records.
pub(super) async fn model_id(
    store: &Backend,
    connection: ConnectionPk,
    model: &ModelKey,
) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT id FROM record_models WHERE connection = $1 AND model = $2")
            .bind(connection)
            .bind(model.as_str())
            .fetch_optional(store.reader())
            .await?,
    )
}

/// Soft-deletes the live records of a model that match `condition` (pushed after
/// `AND`), giving each the next sequence number. Returns how many.
pub(super) async fn mark_deleted(
    conn: &mut DbConnection,
    model_id: i64,
    last_seq: i64,
    condition: impl FnOnce(&mut QueryBuilder<Db>),
) -> Result<u64> {
    let at = now();
    let mut query = QueryBuilder::<Db>::new("UPDATE records SET seq = ");
    query
        .push_bind(last_seq)
        .push(" + r.rn, last_action = 'DELETED', deleted_at = ");
    query.push_bind(at).push(", updated_at = ").push_bind(at);
    query.push(
        " FROM (SELECT external_id AS ext, \
         row_number() OVER (ORDER BY external_id) AS rn \
         FROM records WHERE deleted_at IS NULL AND model = ",
    );
    query.push_bind(model_id).push(" AND ");
    condition(&mut query);
    query
        .push(") AS r WHERE records.model = ")
        .push_bind(model_id);
    query.push(" AND records.external_id = r.ext");
    let deleted = query.build().execute(&mut *conn).await?.rows_affected();
    advance_model(conn, model_id, last_seq + deleted as i64, -(deleted as i64)).await?;
    Ok(deleted)
}

/// Moves a model's last sequence number to `last_seq` and its live count by `live_delta`.
async fn advance_model(
    conn: &mut DbConnection,
    model_id: i64,
    last_seq: i64,
    live_delta: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE record_models SET last_seq = $1, live_count = live_count + $2 \
         WHERE id = $3",
    )
    .bind(last_seq)
    .bind(live_delta)
    .bind(model_id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub(crate) async fn save_records(store: &Backend, batch: SaveBatch<'_>) -> Result<SaveCounts> {
    // Last duplicate wins, at the position of its first occurrence.
    let mut position: HashMap<String, usize> = HashMap::with_capacity(batch.records.len());
    let mut incoming: Vec<Incoming<'_>> = Vec::with_capacity(batch.records.len());
    for record in batch.records {
        let external_id = record.external_id.replace('\0', "");
        let payload = record.payload.get();
        let entry = Incoming {
            hash: &record.hash,
            payload,
            external_id,
        };
        match position.get(&entry.external_id) {
            Some(&index) => incoming[index] = entry,
            None => {
                position.insert(entry.external_id.clone(), incoming.len());
                incoming.push(entry);
            }
        }
    }
    let at = now();
    let generation = batch.run.0;
    let mut tx = store.begin_batch().await?;
    syncs::lock_running_run(&mut tx, batch.run).await?;
    let (model_id, first_seq) = lock_model(&mut tx, batch.connection, batch.model, true)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "record model",
            key: batch.model.to_string(),
        })?;
    let mut last_seq = first_seq;
    let mut counts = SaveCounts::default();
    for chunk in incoming.chunks(IDS_PER_STATEMENT) {
        // Unchanged records (same hash, not deleted) are only marked seen in this run,
        // by one statement that sends no row back: a run without changes costs one
        // statement per chunk. Only when some differ are the stored versions read.
        let mut mark = QueryBuilder::<Db>::new("UPDATE records SET seen_generation = ");
        mark.push_bind(generation)
            .push(" WHERE model = ")
            .push_bind(model_id);
        mark.push(" AND deleted_at IS NULL AND (external_id, hash)");
        let pairs: Vec<(&str, &[u8; 32])> = chunk
            .iter()
            .map(|r| (r.external_id.as_str(), r.hash))
            .collect();
        Backend::push_id_hash_in(&mut mark, &pairs);
        let marked = mark.build().execute(&mut *tx).await?.rows_affected();
        if marked == chunk.len() as u64 {
            counts.unchanged += marked;
            continue;
        }
        let mut query = QueryBuilder::<Db>::new(
            "SELECT external_id, hash, deleted_at IS NOT NULL AS deleted FROM records \
             WHERE model = ",
        );
        query.push_bind(model_id).push(" AND external_id");
        let ids: Vec<&str> = pairs.iter().map(|(id, _)| *id).collect();
        Backend::push_text_in(&mut query, &ids);
        let existing: HashMap<String, Existing> = query
            .build_query_as::<Existing>()
            .fetch_all(&mut *tx)
            .await?
            .into_iter()
            .map(|row| (row.external_id.clone(), row))
            .collect();

        let mut changed = Vec::new();
        for record in chunk {
            match existing.get(&record.external_id) {
                None => changed.push((record, RecordAction::Added)),
                Some(row) if row.deleted => changed.push((record, RecordAction::Added)),
                Some(row) if row.hash != record.hash.as_slice() => {
                    changed.push((record, RecordAction::Updated))
                }
                Some(_) => counts.unchanged += 1,
            }
        }

        if !changed.is_empty() {
            let rows: Vec<ChangedRecord<'_>> = changed
                .iter()
                .map(|(record, action)| {
                    last_seq += 1;
                    ChangedRecord {
                        external_id: &record.external_id,
                        seq: last_seq,
                        hash: record.hash,
                        payload: record.payload,
                        action: *action,
                    }
                })
                .collect();
            let mut upsert = QueryBuilder::<Db>::new(
                "INSERT INTO records (model, external_id, seq, hash, payload, \
                 last_action, first_seen_at, created_at, updated_at, \
                 seen_generation) SELECT ",
            );
            upsert
                .push_bind(model_id)
                .push(", u.external_id, u.seq, u.hash, u.payload, u.last_action, ");
            upsert
                .push_bind(at)
                .push(", ")
                .push_bind(at)
                .push(", ")
                .push_bind(at);
            upsert.push(", ").push_bind(generation).push(" FROM ");
            Backend::push_record_rows(&mut upsert, &rows);
            upsert.push(
                // `WHERE TRUE` keeps SQLite from reading ON CONFLICT as a join clause.
                " WHERE TRUE ON CONFLICT (model, external_id) DO UPDATE SET \
                 seq = excluded.seq, hash = excluded.hash, payload = excluded.payload, \
                 last_action = excluded.last_action, \
                 created_at = CASE WHEN excluded.last_action = 'ADDED' \
                 THEN excluded.created_at ELSE records.created_at END, \
                 updated_at = excluded.updated_at, deleted_at = NULL, \
                 pruned_at = NULL, seen_generation = excluded.seen_generation",
            );
            upsert.build().execute(&mut *tx).await?;
            for (_, action) in &changed {
                match action {
                    RecordAction::Added => counts.added += 1,
                    _ => counts.updated += 1,
                }
            }
        }
    }
    advance_model(&mut tx, model_id, last_seq, counts.added as i64).await?;
    if counts.added + counts.updated > 0 {
        sqlx::query("UPDATE runs SET added = added + $1, updated = updated + $2 WHERE id = $3")
            .bind(counts.added as i64)
            .bind(counts.updated as i64)
            .bind(batch.run)
            .execute(&mut *tx)
            .await?;
    }
    if let Some((sync, checkpoint)) = batch.checkpoint {
        sqlx::query("UPDATE syncs SET checkpoint = $1, updated_at = $2 WHERE id = $3")
            .bind(to_json("checkpoint", checkpoint)?)
            .bind(at)
            .bind(sync)
            .execute(&mut *tx)
            .await?;
    }
    tx.commit().await?;
    store.after_batch(model_id, first_seq, counts.added).await;
    Ok(counts)
}

pub(crate) async fn delete_records(
    store: &Backend,
    connection: ConnectionPk,
    model: &ModelKey,
    ids: &[String],
) -> Result<u64> {
    let mut tx = store.begin_write().await?;
    let Some((model_id, mut last_seq)) = lock_model(&mut tx, connection, model, false).await?
    else {
        return Ok(0);
    };
    let mut deleted = 0;
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let chunk_deleted = mark_deleted(&mut tx, model_id, last_seq, |query| {
            let ids: Vec<String> = chunk.iter().map(|id| id.replace('\0', "")).collect();
            query.push("external_id");
            Backend::push_text_in(query, &ids.iter().map(String::as_str).collect::<Vec<_>>());
        })
        .await?;
        last_seq += chunk_deleted as i64;
        deleted += chunk_deleted;
    }
    tx.commit().await?;
    Ok(deleted)
}

pub(crate) async fn list_records(store: &Backend, query: &RecordQuery<'_>) -> Result<RecordPage> {
    if query.limit == 0 || query.limit > MAX_PAGE_SIZE {
        return Err(StoreError::Invalid(format!(
            "limit must be between 1 and {MAX_PAGE_SIZE}, got {}",
            query.limit
        )));
    }
    if query.ids.len() > MAX_QUERY_IDS {
        return Err(StoreError::Invalid(format!(
            "at most {MAX_QUERY_IDS} ids can be requested at once, got {}",
            query.ids.len()
        )));
    }
    // One statement per page: the model's id comes from a subquery (no model, no rows).
    let mut select = QueryBuilder::<Db>::new(
        "SELECT external_id, payload, seq, first_seen_at, created_at, updated_at, \
         last_action, deleted_at, pruned_at FROM records \
         WHERE model = (SELECT id FROM record_models WHERE connection = ",
    );
    select.push_bind(query.connection).push(" AND model = ");
    select.push_bind(query.model.as_str()).push(")");
    if let Some(cursor) = query.cursor {
        select.push(" AND seq > ").push_bind(cursor.seq);
    }
    if let Some(modified_after) = query.modified_after {
        select
            .push(" AND updated_at >= ")
            .push_bind(micros(modified_after));
    }
    if !query.filter.is_all() {
        let mut alternatives = Vec::new();
        if query.filter.added {
            alternatives.push("(deleted_at IS NULL AND last_action = 'ADDED')");
        }
        if query.filter.updated {
            alternatives.push("(deleted_at IS NULL AND last_action = 'UPDATED')");
        }
        if query.filter.deleted {
            alternatives.push("deleted_at IS NOT NULL");
        }
        select.push(format!(" AND ({})", alternatives.join(" OR ")));
    }
    if !query.ids.is_empty() {
        select.push(" AND external_id");
        Backend::push_text_in(
            &mut select,
            &query.ids.iter().map(String::as_str).collect::<Vec<_>>(),
        );
    }
    select
        .push(" ORDER BY seq LIMIT ")
        .push_bind(i64::from(query.limit) + 1);
    let mut records = select
        .build_query_as::<RecordRow>()
        .fetch_all(store.reader())
        .await?
        .into_iter()
        .map(RecordRow::into_record)
        .collect::<Result<Vec<_>>>()?;
    let more = records.len() > query.limit as usize;
    records.truncate(query.limit as usize);
    let next_cursor = if more {
        records.last().map(|record| record.cursor)
    } else {
        None
    };
    Ok(RecordPage {
        records,
        next_cursor,
    })
}

pub(crate) async fn prune_records(
    store: &Backend,
    connection: ConnectionPk,
    model: &ModelKey,
    until: Cursor,
    limit: u32,
) -> Result<PruneOutcome> {
    let mut tx = store.begin_write().await?;
    let Some((model_id, _)) = lock_model(&mut tx, connection, model, false).await? else {
        return Ok(PruneOutcome {
            count: 0,
            has_more: false,
        });
    };
    let limit = page_limit(limit);
    let count = sqlx::query(
        "UPDATE records SET payload = NULL, pruned_at = $1 \
         WHERE model = $2 AND external_id IN (SELECT external_id FROM records \
         WHERE model = $2 AND seq <= $3 AND pruned_at IS NULL ORDER BY seq LIMIT $4)",
    )
    .bind(now())
    .bind(model_id)
    .bind(until.seq)
    .bind(limit)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let remaining: Option<i64> = sqlx::query_scalar(
        "SELECT seq FROM records WHERE model = $1 AND seq <= $2 AND pruned_at IS NULL \
         LIMIT 1",
    )
    .bind(model_id)
    .bind(until.seq)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(PruneOutcome {
        count,
        has_more: remaining.is_some(),
    })
}

pub(crate) async fn clear_records(
    store: &Backend,
    connection: ConnectionPk,
    model: &ModelKey,
) -> Result<u64> {
    let mut tx = store.begin_write().await?;
    let Some((model_id, last_seq)) = lock_model(&mut tx, connection, model, false).await? else {
        return Ok(0);
    };
    let removed = sqlx::query("DELETE FROM records WHERE model = $1")
        .bind(model_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    sqlx::query("UPDATE record_models SET live_count = 0 WHERE id = $1")
        .bind(model_id)
        .execute(&mut *tx)
        .await?;
    advance_model(&mut tx, model_id, last_seq, 0).await?;
    tx.commit().await?;
    Ok(removed)
}

pub(crate) async fn record_counts(
    store: &Backend,
    connection: ConnectionPk,
) -> Result<Vec<ModelCount>> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT model, live_count FROM record_models WHERE connection = $1 ORDER BY model",
    )
    .bind(connection)
    .fetch_all(store.reader())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(model, live)| ModelCount {
            model: ModelKey::from_stored(model),
            live,
        })
        .collect())
}
