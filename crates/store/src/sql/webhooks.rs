//! The webhook outbox: deliveries claimed under a lease, and each attempt's outcome.

use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;
use uuid::Uuid;

use super::{Backend, Db, DbConnection};
use crate::{
    dialect::{Dialect, page_limit},
    error::{Result, StoreError},
    ids::DeliveryId,
    rows::{AttemptRow, DeliveryRow, micros, now},
    webhook::{
        Attempt, AttemptOutcome, AttemptResult, Delivery, DeliveryFilter, DeliveryLease,
        DeliveryStatus, NewDelivery,
    },
};

const DELIVERY_COLUMNS: &str = "id, idempotency_id, connection, kind, url, body, status, \
     attempts, next_attempt_at, last_error, created_at, delivered_at";

/// Enqueues deliveries on `conn`, skipping those whose idempotency id exists. Returns how many
/// were added.
pub(super) async fn insert_deliveries(
    conn: &mut DbConnection,
    deliveries: &[NewDelivery],
) -> Result<u64> {
    let created = now();
    let mut added = 0;
    for delivery in deliveries {
        added += sqlx::query(
            "INSERT INTO webhook_deliveries (idempotency_id, connection, kind, url, \
             body, status, next_attempt_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'pending', $6, $7) \
             ON CONFLICT (idempotency_id) DO NOTHING",
        )
        .bind(&delivery.idempotency_id)
        .bind(delivery.connection)
        .bind(&delivery.kind)
        .bind(&delivery.url)
        .bind(&delivery.body)
        .bind(micros(delivery.next_attempt_at))
        .bind(created)
        .execute(&mut *conn)
        .await?
        .rows_affected();
    }
    Ok(added)
}

pub(crate) async fn enqueue_deliveries(store: &Backend, deliveries: &[NewDelivery]) -> Result<u64> {
    let mut tx = store.begin_write().await?;
    let added = insert_deliveries(&mut tx, deliveries).await?;
    tx.commit().await?;
    Ok(added)
}

pub(crate) async fn claim_deliveries(
    store: &Backend,
    limit: u32,
    lease_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<DeliveryLease>> {
    let token = Uuid::new_v4();
    let now = micros(now);
    let mut query = QueryBuilder::<Db>::new("UPDATE webhook_deliveries SET lease_token = ");
    query.push_bind(token.to_string());
    query
        .push(", lease_expires_at = ")
        .push_bind(micros(lease_until));
    query.push(
        " WHERE id IN (SELECT id FROM webhook_deliveries WHERE status = 'pending' \
         AND next_attempt_at <= ",
    );
    query.push_bind(now);
    query
        .push(" AND (lease_expires_at IS NULL OR lease_expires_at < ")
        .push_bind(now);
    query
        .push(") ORDER BY next_attempt_at, id LIMIT ")
        .push_bind(page_limit(limit));
    query.push(Backend::SKIP_LOCKED);
    query.push(format!(") RETURNING {DELIVERY_COLUMNS}"));
    let mut tx = store.begin_write().await?;
    let rows: Vec<DeliveryRow> = query.build_query_as().fetch_all(&mut *tx).await?;
    tx.commit().await?;
    let mut leases = rows
        .into_iter()
        .map(|row| {
            Ok(DeliveryLease {
                delivery: row.into_delivery()?,
                token,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    leases.sort_by_key(|lease| (lease.delivery.next_attempt_at, lease.delivery.id));
    Ok(leases)
}

pub(crate) async fn record_attempt(
    store: &Backend,
    lease: &DeliveryLease,
    attempt: &AttemptResult,
    outcome: AttemptOutcome,
    now: DateTime<Utc>,
) -> Result<()> {
    let at = micros(now);
    let (status, next_attempt_at, delivered_at) = match outcome {
        AttemptOutcome::Delivered => (DeliveryStatus::Delivered, None, Some(at)),
        AttemptOutcome::RetryAt(next) => (DeliveryStatus::Pending, Some(micros(next)), None),
        AttemptOutcome::Dead => (DeliveryStatus::Dead, None, None),
    };
    let id = lease.delivery.id;
    let mut tx = store.begin_write().await?;
    let updated = sqlx::query(
        "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, \
         next_attempt_at = COALESCE($2, next_attempt_at), delivered_at = $3, \
         last_error = $4, lease_token = NULL, lease_expires_at = NULL \
         WHERE id = $5 AND lease_token = $6",
    )
    .bind(status.as_str())
    .bind(next_attempt_at)
    .bind(delivered_at)
    .bind(&attempt.error)
    .bind(id)
    .bind(lease.token.to_string())
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if updated == 0 {
        return Err(StoreError::LeaseLost {
            what: "webhook delivery",
            id: id.0,
        });
    }
    sqlx::query(
        "INSERT INTO webhook_attempts (delivery, attempted_at, http_status, error, \
         duration_ms) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(at)
    .bind(attempt.http_status.map(i64::from))
    .bind(&attempt.error)
    .bind(attempt.duration_ms)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

pub(crate) async fn delivery(store: &Backend, id: DeliveryId) -> Result<Option<Delivery>> {
    sqlx::query_as::<_, DeliveryRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(store.reader())
    .await?
    .map(DeliveryRow::into_delivery)
    .transpose()
}

pub(crate) async fn list_deliveries(
    store: &Backend,
    filter: &DeliveryFilter,
) -> Result<Vec<Delivery>> {
    let mut query = QueryBuilder::<Db>::new(format!(
        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries WHERE TRUE"
    ));
    if let Some(status) = filter.status {
        query.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(connection) = filter.connection {
        query.push(" AND connection = ").push_bind(connection);
    }
    if let Some(before) = filter.before {
        query.push(" AND id < ").push_bind(before);
    }
    query
        .push(" ORDER BY id DESC LIMIT ")
        .push_bind(page_limit(filter.limit));
    query
        .build_query_as::<DeliveryRow>()
        .fetch_all(store.reader())
        .await?
        .into_iter()
        .map(DeliveryRow::into_delivery)
        .collect()
}

pub(crate) async fn delivery_attempts(store: &Backend, id: DeliveryId) -> Result<Vec<Attempt>> {
    Ok(sqlx::query_as::<_, AttemptRow>(
        "SELECT attempted_at, http_status, error, duration_ms FROM webhook_attempts \
         WHERE delivery = $1 ORDER BY id",
    )
    .bind(id)
    .fetch_all(store.reader())
    .await?
    .into_iter()
    .map(AttemptRow::into_attempt)
    .collect())
}

pub(crate) async fn redeliver(store: &Backend, id: DeliveryId, now: DateTime<Utc>) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE webhook_deliveries SET status = 'pending', attempts = 0, \
         next_attempt_at = $1, lease_token = NULL, lease_expires_at = NULL, \
         delivered_at = NULL WHERE id = $2",
    )
    .bind(micros(now))
    .bind(id)
    .execute(store.writer())
    .await?
    .rows_affected()
        > 0)
}
