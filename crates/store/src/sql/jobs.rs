//! The job queue (leases, heartbeats, claims that skip rows other workers hold) and async
//! actions.

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::QueryBuilder;
use uuid::Uuid;

use super::{Backend, Db};
use crate::{
    dialect::{Dialect, page_limit},
    error::{Result, StoreError},
    ids::{ConnectionPk, JobId},
    job::{ActionRun, ActionStatus, ClaimedJob, Heartbeat, Job, JobStatus, Lease, NewJob},
    rows::{ActionRow, JobRow, micros, now, to_json},
};

const JOB_COLUMNS: &str = "id, kind, unique_key, connection, payload, status, attempts, \
     run_after, lease_expires_at, cancel_requested, last_error, created_at";

const ACTION_COLUMNS: &str = "id, connection, action_name, input, status, output, \
     error, created_at, finished_at";

/// A job by id.
async fn job_row(store: &Backend, id: JobId) -> Result<Option<Job>> {
    sqlx::query_as::<_, JobRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {JOB_COLUMNS} FROM jobs WHERE id = $1"
    )))
    .bind(id)
    .fetch_optional(store.reader())
    .await?
    .map(JobRow::into_job)
    .transpose()
}

/// Ends a leased job with `status`; fails if the lease is gone.
async fn end_job(
    store: &Backend,
    lease: &Lease,
    status: JobStatus,
    error: Option<&str>,
    retry_at: Option<DateTime<Utc>>,
) -> Result<()> {
    let ended = sqlx::query(
        "UPDATE jobs SET status = $1, last_error = COALESCE($2, last_error), \
         run_after = COALESCE($3, run_after), lease_token = NULL, \
         lease_owner = NULL, lease_expires_at = NULL, updated_at = $4 \
         WHERE id = $5 AND lease_token = $6 AND status = 'running'",
    )
    .bind(status.as_str())
    .bind(error)
    .bind(retry_at.map(micros))
    .bind(now())
    .bind(lease.job)
    .bind(lease.token.to_string())
    .execute(store.writer())
    .await?
    .rows_affected();
    if ended == 0 {
        return Err(StoreError::LeaseLost {
            what: "job",
            id: lease.job.0,
        });
    }
    Ok(())
}

pub(crate) async fn enqueue_job(store: &Backend, job: &NewJob) -> Result<(Job, bool)> {
    let payload = to_json("job payload", &job.payload)?;
    // A duplicate can finish between the insert and the look-up; then insert again.
    let (id, created) = loop {
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO jobs (kind, unique_key, connection, payload, status, \
             run_after, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'queued', $5, $6, $6) \
             ON CONFLICT (unique_key) WHERE status IN ('queued', 'running') \
             DO NOTHING RETURNING id",
        )
        .bind(&job.kind)
        .bind(&job.unique_key)
        .bind(job.connection)
        .bind(&payload)
        .bind(micros(job.run_after))
        .bind(now())
        .fetch_optional(store.writer())
        .await?;
        if let Some(id) = inserted {
            break (id, true);
        }
        let existing: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM jobs WHERE unique_key = $1 \
             AND status IN ('queued', 'running')",
        )
        .bind(&job.unique_key)
        .fetch_optional(store.writer())
        .await?;
        if let Some(id) = existing {
            break (id, false);
        }
    };
    let job = job_row(store, JobId(id))
        .await?
        .ok_or_else(|| StoreError::NotFound {
            what: "job",
            key: id.to_string(),
        })?;
    Ok((job, created))
}

pub(crate) async fn job(store: &Backend, id: JobId) -> Result<Option<Job>> {
    job_row(store, id).await
}

pub(crate) async fn claim_jobs(
    store: &Backend,
    worker: &str,
    kinds: &[&str],
    limit: u32,
    lease_until: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Vec<ClaimedJob>> {
    if kinds.is_empty() {
        return Ok(Vec::new());
    }
    let token = Uuid::new_v4();
    let now = micros(now);
    let mut query = QueryBuilder::<Db>::new(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_token = ",
    );
    query
        .push_bind(token.to_string())
        .push(", lease_owner = ")
        .push_bind(worker);
    query
        .push(", lease_expires_at = ")
        .push_bind(micros(lease_until));
    query.push(", updated_at = ").push_bind(now);
    query.push(" WHERE id IN (SELECT id FROM jobs WHERE ((status = 'queued' AND run_after <= ");
    query.push_bind(now);
    query
        .push(") OR (status = 'running' AND lease_expires_at < ")
        .push_bind(now);
    query.push(")) AND kind IN (");
    let mut list = query.separated(", ");
    for kind in kinds {
        list.push_bind(*kind);
    }
    query
        .push(") ORDER BY run_after, id LIMIT ")
        .push_bind(page_limit(limit));
    query.push(Backend::SKIP_LOCKED);
    query.push(format!(") RETURNING {JOB_COLUMNS}"));
    let mut tx = store.begin_write().await?;
    let rows: Vec<JobRow> = query.build_query_as().fetch_all(&mut *tx).await?;
    tx.commit().await?;
    let mut claimed = rows
        .into_iter()
        .map(|row| {
            Ok(ClaimedJob {
                lease: Lease {
                    job: JobId(0),
                    token,
                },
                job: row.into_job()?,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    for claim in &mut claimed {
        claim.lease.job = claim.job.id;
    }
    claimed.sort_by_key(|claim| (claim.job.run_after, claim.job.id));
    Ok(claimed)
}

pub(crate) async fn expire_leases(
    store: &Backend,
    owner_prefix: &str,
    now: DateTime<Utc>,
) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE jobs SET lease_expires_at = $1, updated_at = $2 \
         WHERE status = 'running' AND lease_expires_at > $1 \
         AND substr(lease_owner, 1, $3) = $4",
    )
    .bind(micros(now))
    .bind(self::now())
    .bind(owner_prefix.chars().count() as i32)
    .bind(owner_prefix)
    .execute(store.writer())
    .await?
    .rows_affected())
}

pub(crate) async fn heartbeat(
    store: &Backend,
    lease: &Lease,
    lease_until: DateTime<Utc>,
) -> Result<Heartbeat> {
    let cancel_requested: Option<bool> = sqlx::query_scalar(
        "UPDATE jobs SET lease_expires_at = $1, updated_at = $2 \
         WHERE id = $3 AND lease_token = $4 AND status = 'running' \
         RETURNING cancel_requested",
    )
    .bind(micros(lease_until))
    .bind(now())
    .bind(lease.job)
    .bind(lease.token.to_string())
    .fetch_optional(store.writer())
    .await?;
    cancel_requested
        .map(|cancel_requested| Heartbeat { cancel_requested })
        .ok_or(StoreError::LeaseLost {
            what: "job",
            id: lease.job.0,
        })
}

pub(crate) async fn complete_job(store: &Backend, lease: &Lease) -> Result<()> {
    end_job(store, lease, JobStatus::Done, None, None).await
}

pub(crate) async fn fail_job(
    store: &Backend,
    lease: &Lease,
    error: &str,
    retry_at: Option<DateTime<Utc>>,
) -> Result<()> {
    let status = if retry_at.is_some() {
        JobStatus::Queued
    } else {
        JobStatus::Failed
    };
    end_job(store, lease, status, Some(error), retry_at).await
}

pub(crate) async fn cancel_job(store: &Backend, id: JobId) -> Result<Option<JobStatus>> {
    let status: Option<String> = sqlx::query_scalar(
        "UPDATE jobs SET \
         status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END, \
         cancel_requested = (status = 'running'), updated_at = $1 \
         WHERE id = $2 RETURNING status",
    )
    .bind(now())
    .bind(id)
    .fetch_optional(store.writer())
    .await?;
    status
        .map(|status| {
            JobStatus::parse(&status)
                .ok_or_else(|| StoreError::Invalid(format!("unknown job status {status:?}")))
        })
        .transpose()
}

pub(crate) async fn create_action(
    store: &Backend,
    connection: ConnectionPk,
    action_name: &str,
    input: &Value,
) -> Result<ActionRun> {
    sqlx::query_as::<_, ActionRow>(sqlx::AssertSqlSafe(format!(
        "INSERT INTO actions (id, connection, action_name, input, status, created_at) \
         VALUES ($1, $2, $3, $4, 'pending', $5) RETURNING {ACTION_COLUMNS}"
    )))
    .bind(Uuid::new_v4().to_string())
    .bind(connection)
    .bind(action_name)
    .bind(to_json("action input", input)?)
    .bind(now())
    .fetch_one(store.writer())
    .await?
    .into_action()
}

pub(crate) async fn action(store: &Backend, id: Uuid) -> Result<Option<ActionRun>> {
    sqlx::query_as::<_, ActionRow>(sqlx::AssertSqlSafe(format!(
        "SELECT {ACTION_COLUMNS} FROM actions WHERE id = $1"
    )))
    .bind(id.to_string())
    .fetch_optional(store.reader())
    .await?
    .map(ActionRow::into_action)
    .transpose()
}

pub(crate) async fn set_action_running(store: &Backend, id: Uuid) -> Result<()> {
    sqlx::query("UPDATE actions SET status = $1 WHERE id = $2")
        .bind(ActionStatus::Running.as_str())
        .bind(id.to_string())
        .execute(store.writer())
        .await?;
    Ok(())
}

pub(crate) async fn finish_action(
    store: &Backend,
    id: Uuid,
    result: std::result::Result<&Value, &Value>,
) -> Result<ActionRun> {
    let (status, output, error) = match result {
        Ok(output) => (
            ActionStatus::Success,
            Some(to_json("action output", output)?),
            None,
        ),
        Err(error) => (
            ActionStatus::Failed,
            None,
            Some(to_json("action error", error)?),
        ),
    };
    sqlx::query_as::<_, ActionRow>(sqlx::AssertSqlSafe(format!(
        "UPDATE actions SET status = $1, output = $2, error = $3, finished_at = $4 \
         WHERE id = $5 RETURNING {ACTION_COLUMNS}"
    )))
    .bind(status.as_str())
    .bind(output)
    .bind(error)
    .bind(now())
    .bind(id.to_string())
    .fetch_optional(store.writer())
    .await?
    .ok_or_else(|| StoreError::NotFound {
        what: "action",
        key: id.to_string(),
    })?
    .into_action()
}
