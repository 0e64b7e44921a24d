//! The operations log: operations and their messages.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::QueryBuilder;
use uuid::Uuid;

use super::{Backend, Db, DbConnection};
use crate::{
    dialect::{Dialect, IDS_PER_STATEMENT, page_limit},
    error::Result,
    operation::{Message, NewMessage, NewOperation, Operation, OperationFilter, OperationStatus},
    rows::{MessageRow, OperationRow, micros, to_json},
};

const OPERATION_COLUMNS: &str = "id, kind, connection, name, status, started_at, \
     ended_at, summary";

pub(crate) async fn start_operation(store: &Backend, operation: &NewOperation) -> Result<String> {
    let mut conn = store.writer().acquire().await?;
    insert_operation(&mut conn, operation).await
}

/// Inserts a running operation; returns its new id.
pub(super) async fn insert_operation(
    conn: &mut DbConnection,
    operation: &NewOperation,
) -> Result<String> {
    let id = Uuid::new_v4().simple().to_string();
    sqlx::query(
        "INSERT INTO operations (id, kind, connection, name, status, started_at) \
         VALUES ($1, $2, $3, $4, 'running', $5)",
    )
    .bind(&id)
    .bind(operation.kind.as_str())
    .bind(operation.connection)
    .bind(&operation.name)
    .bind(micros(operation.started_at))
    .execute(&mut *conn)
    .await?;
    Ok(id)
}

pub(crate) async fn add_messages(
    store: &Backend,
    operation: &str,
    messages: &[NewMessage],
) -> Result<()> {
    if messages.is_empty() {
        return Ok(());
    }
    let mut tx = store.begin_write().await?;
    for chunk in messages.chunks(IDS_PER_STATEMENT / 5) {
        let mut insert = QueryBuilder::<Db>::new(
            "INSERT INTO operation_messages (operation, level, message, fields, \
             created_at) ",
        );
        let mut rows = Vec::with_capacity(chunk.len());
        for message in chunk {
            let fields = message
                .fields
                .as_ref()
                .map(|f| to_json("message fields", f))
                .transpose()?;
            rows.push((message, fields));
        }
        insert.push_values(rows, |mut row, (message, fields)| {
            row.push_bind(operation)
                .push_bind(message.level.as_str())
                .push_bind(message.message.as_str())
                .push_bind(fields)
                .push_bind(micros(message.at));
        });
        insert.build().execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn finish_operation(
    store: &Backend,
    operation: &str,
    status: OperationStatus,
    summary: Option<&Value>,
    at: DateTime<Utc>,
) -> Result<()> {
    sqlx::query("UPDATE operations SET status = $1, summary = $2, ended_at = $3 WHERE id = $4")
        .bind(status.as_str())
        .bind(
            summary
                .map(|s| to_json("operation summary", s))
                .transpose()?,
        )
        .bind(micros(at))
        .bind(operation)
        .execute(store.writer())
        .await?;
    Ok(())
}

pub(crate) async fn operation(store: &Backend, id: &str) -> Result<Option<Operation>> {
    sqlx::query_as::<_, OperationRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {OPERATION_COLUMNS} FROM operations WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(store.reader())
    .await?
    .map(OperationRow::into_operation)
    .transpose()
}

pub(crate) async fn list_operations(
    store: &Backend,
    filter: &OperationFilter,
) -> Result<Vec<Operation>> {
    let mut query = QueryBuilder::<Db>::new(format!(
        "SELECT {OPERATION_COLUMNS} FROM operations WHERE TRUE"
    ));
    if let Some(kind) = filter.kind {
        query.push(" AND kind = ").push_bind(kind.as_str());
    }
    if let Some(connection) = filter.connection {
        query.push(" AND connection = ").push_bind(connection);
    }
    if let Some(status) = filter.status {
        query.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(before) = filter.started_before {
        query.push(" AND started_at < ").push_bind(micros(before));
    }
    query
        .push(" ORDER BY started_at DESC, id LIMIT ")
        .push_bind(page_limit(filter.limit));
    query
        .build_query_as::<OperationRow>()
        .fetch_all(store.reader())
        .await?
        .into_iter()
        .map(OperationRow::into_operation)
        .collect()
}

pub(crate) async fn operation_messages(
    store: &Backend,
    operation: &str,
    after: Option<i64>,
    limit: u32,
) -> Result<Vec<Message>> {
    sqlx::query_as::<_, MessageRow>(
        "SELECT id, level, message, fields, created_at FROM operation_messages \
         WHERE operation = $1 AND id > $2 ORDER BY id LIMIT $3",
    )
    .bind(operation)
    .bind(after.unwrap_or(0))
    .bind(page_limit(limit))
    .fetch_all(store.reader())
    .await?
    .into_iter()
    .map(MessageRow::into_message)
    .collect()
}

pub(crate) async fn purge_operations(store: &Backend, before: DateTime<Utc>) -> Result<u64> {
    Ok(sqlx::query("DELETE FROM operations WHERE started_at < $1")
        .bind(micros(before))
        .execute(store.writer())
        .await?
        .rows_affected())
}
