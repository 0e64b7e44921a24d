//! The job queue: unique keys, concurrent claims, leases (heartbeat, expiry, reclaim), retries,
//! cancellation; and async actions.

use std::collections::HashSet;

use serde_json::json;
use snowgate_store::{ActionStatus, AnyStore, JobStatus, NewJob, Store, StoreError};

use crate::support::{Ctx, at, connection, store_tests};

store_tests!(
    unique_keys,
    concurrent_workers_never_share_a_job,
    leases_expire_and_move,
    leases_of_gone_workers_expire_at_once,
    retries_and_cancel,
    async_actions
);

fn job(key: Option<&str>, run_after: i64) -> NewJob {
    NewJob {
        kind: "sync".into(),
        unique_key: key.map(str::to_owned),
        connection: None,
        payload: json!({"key": key}),
        run_after: at(run_after),
    }
}

async fn unique_keys(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    let (first, created) = store.enqueue_job(&job(Some("sync:1"), 0)).await?;
    assert!(created);
    let (again, created) = store.enqueue_job(&job(Some("sync:1"), 5)).await?;
    assert!(!created);
    assert_eq!(
        again.id, first.id,
        "a queued duplicate returns the existing job"
    );
    let claimed = store.claim_jobs("w1", &["sync"], 10, at(60), at(0)).await?;
    assert_eq!(claimed.len(), 1);
    let (running_dup, created) = store.enqueue_job(&job(Some("sync:1"), 0)).await?;
    assert!(
        !created && running_dup.id == first.id,
        "so does a running one"
    );
    store.complete_job(&claimed[0].lease).await?;
    let (next, created) = store.enqueue_job(&job(Some("sync:1"), 0)).await?;
    assert!(
        created && next.id != first.id,
        "a finished job no longer blocks its key"
    );
    let (_, created) = store.enqueue_job(&job(None, 0)).await?;
    let (_, created_again) = store.enqueue_job(&job(None, 0)).await?;
    assert!(created && created_again, "jobs without a key never collide");
    Ok(())
}

async fn concurrent_workers_never_share_a_job(ctx: Ctx) -> anyhow::Result<()> {
    let store = ctx.store.clone();
    for i in 0..60 {
        store
            .enqueue_job(&job(Some(&format!("k{i}")), i % 3))
            .await?;
    }
    store
        .enqueue_job(&NewJob {
            kind: "other".into(),
            ..job(Some("other"), 0)
        })
        .await?;
    let workers: Vec<_> = (0..6)
        .map(|worker| {
            let store: AnyStore = store.clone();
            tokio::spawn(async move {
                let mut mine = Vec::new();
                loop {
                    let claimed = store
                        .claim_jobs(&format!("w{worker}"), &["sync"], 4, at(600), at(10))
                        .await?;
                    if claimed.is_empty() {
                        return anyhow::Ok(mine);
                    }
                    for claim in claimed {
                        assert_eq!(claim.job.status, JobStatus::Running);
                        assert_eq!(claim.job.attempts, 1);
                        store.complete_job(&claim.lease).await?;
                        mine.push(claim.job.id);
                    }
                }
            })
        })
        .collect();
    let mut all = Vec::new();
    for worker in workers {
        all.extend(worker.await??);
    }
    let unique: HashSet<_> = all.iter().collect();
    assert_eq!(all.len(), 60, "every job claimed");
    assert_eq!(unique.len(), 60, "and none twice");
    let other = store
        .claim_jobs("w", &["other"], 10, at(600), at(10))
        .await?;
    assert_eq!(other.len(), 1, "claims are by kind");
    Ok(())
}

async fn leases_expire_and_move(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    store.enqueue_job(&job(Some("k"), 0)).await?;
    let old = store
        .claim_jobs("w1", &["sync"], 1, at(30), at(0))
        .await?
        .remove(0);
    assert!(
        store
            .claim_jobs("w2", &["sync"], 1, at(60), at(10))
            .await?
            .is_empty(),
        "leased"
    );
    let beat = store.heartbeat(&old.lease, at(40)).await?;
    assert!(!beat.cancel_requested);
    assert!(
        store
            .claim_jobs("w2", &["sync"], 1, at(70), at(35))
            .await?
            .is_empty(),
        "the heartbeat extended it"
    );

    let new = store
        .claim_jobs("w2", &["sync"], 1, at(100), at(41))
        .await?
        .remove(0);
    assert_eq!(new.job.id, old.job.id, "the expired lease is reclaimed");
    assert_eq!(new.job.attempts, 2);
    assert!(matches!(
        store.heartbeat(&old.lease, at(200)).await,
        Err(StoreError::LeaseLost { .. })
    ));
    assert!(matches!(
        store.complete_job(&old.lease).await,
        Err(StoreError::LeaseLost { .. })
    ));
    store.heartbeat(&new.lease, at(200)).await?;
    store.complete_job(&new.lease).await?;
    assert_eq!(
        store.job(new.job.id).await?.unwrap().status,
        JobStatus::Done
    );
    assert!(matches!(
        store.heartbeat(&new.lease, at(300)).await,
        Err(StoreError::LeaseLost { .. })
    ));
    Ok(())
}

/// A restarted embedded server expires the leases of its predecessor's workers (`worker-…`), not
/// those of a foreground run (`foreground-…`), so their jobs are claimed at once.
async fn leases_of_gone_workers_expire_at_once(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    store.enqueue_job(&job(Some("served"), 0)).await?;
    store.enqueue_job(&job(Some("foreground"), 0)).await?;
    let served = store
        .claim_jobs("worker-41-abcd", &["sync"], 1, at(30), at(0))
        .await?
        .remove(0);
    let foreground = store
        .claim_jobs("foreground-42", &["sync"], 1, at(30), at(0))
        .await?
        .remove(0);
    assert!(
        store
            .claim_jobs("worker-43-ef01", &["sync"], 2, at(60), at(5))
            .await?
            .is_empty(),
        "both leased"
    );
    assert_eq!(store.expire_leases("worker-", at(5)).await?, 1);
    let taken = store
        .claim_jobs("worker-43-ef01", &["sync"], 2, at(60), at(6))
        .await?;
    assert_eq!(
        taken.iter().map(|c| c.job.id).collect::<Vec<_>>(),
        [served.job.id],
        "only the gone worker's job"
    );
    assert!(matches!(
        store.heartbeat(&served.lease, at(70)).await,
        Err(StoreError::LeaseLost { .. })
    ));
    store.heartbeat(&foreground.lease, at(70)).await?;
    Ok(())
}

async fn retries_and_cancel(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    let (queued, _) = store.enqueue_job(&job(Some("a"), 0)).await?;
    let claim = store
        .claim_jobs("w", &["sync"], 1, at(60), at(0))
        .await?
        .remove(0);
    store
        .fail_job(&claim.lease, "warehouse suspended", Some(at(120)))
        .await?;
    let retried = store.job(queued.id).await?.unwrap();
    assert_eq!(
        (retried.status, retried.run_after),
        (JobStatus::Queued, at(120))
    );
    assert_eq!(retried.last_error.as_deref(), Some("warehouse suspended"));
    assert!(
        store
            .claim_jobs("w", &["sync"], 1, at(200), at(119))
            .await?
            .is_empty(),
        "not before its retry time"
    );
    let claim = store
        .claim_jobs("w", &["sync"], 1, at(200), at(120))
        .await?
        .remove(0);
    store.fail_job(&claim.lease, "gave up", None).await?;
    assert_eq!(
        store.job(queued.id).await?.unwrap().status,
        JobStatus::Failed
    );

    let (waiting, _) = store.enqueue_job(&job(Some("b"), 0)).await?;
    assert_eq!(
        store.cancel_job(waiting.id).await?,
        Some(JobStatus::Cancelled)
    );
    assert!(
        store
            .claim_jobs("w", &["sync"], 5, at(60), at(0))
            .await?
            .is_empty()
    );

    let (running, _) = store.enqueue_job(&job(Some("c"), 0)).await?;
    let claim = store
        .claim_jobs("w", &["sync"], 1, at(60), at(0))
        .await?
        .remove(0);
    assert_eq!(
        store.cancel_job(running.id).await?,
        Some(JobStatus::Running)
    );
    assert!(
        store
            .heartbeat(&claim.lease, at(90))
            .await?
            .cancel_requested
    );
    assert_eq!(
        store.cancel_job(snowgate_store::JobId(987_654)).await?,
        None
    );
    Ok(())
}

async fn async_actions(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    let c = connection(store, "c1").await?;
    let action = store
        .create_action(c.id, "list-tables", &json!({"database": "DB"}))
        .await?;
    assert_eq!(action.status, ActionStatus::Pending);
    store.set_action_running(action.id).await?;
    assert_eq!(
        store.action(action.id).await?.unwrap().status,
        ActionStatus::Running
    );
    let finished = store
        .finish_action(action.id, Ok(&json!({"tables": []})))
        .await?;
    assert_eq!(
        (finished.status, finished.output),
        (ActionStatus::Success, Some(json!({"tables": []})))
    );
    assert!(finished.finished_at.is_some());
    let failing = store
        .create_action(c.id, "cancel-statement", &json!({}))
        .await?;
    let failed = store
        .finish_action(failing.id, Err(&json!({"code": "script_http_error"})))
        .await?;
    assert_eq!(
        (failed.status, failed.error),
        (
            ActionStatus::Failed,
            Some(json!({"code": "script_http_error"}))
        )
    );
    assert!(store.action(uuid::Uuid::new_v4()).await?.is_none());
    Ok(())
}
