//! Syncs, schedules, runs, and finishing a run atomically.

use std::collections::BTreeMap;

use serde_json::json;
use snowgate_store::{
    ConnectionErrorKind, FinishRun, ModelCounts, ModelKey, NewDelivery, NewJob, NewRecord, NewSync,
    OperationStatus, RunStatus, SaveBatch, StartRun, Store, SyncErrorUpdate,
};

use crate::support::{Ctx, at, connection, record, store_tests};

store_tests!(
    sync_state_and_schedule,
    runs_history,
    finish_run_is_atomic,
    a_superseded_run_cannot_write,
    a_run_continues_the_interrupted_one
);

fn new_sync(connection: snowgate_store::ConnectionPk, name: &str, paused: bool) -> NewSync {
    NewSync {
        connection,
        name: name.into(),
        variant: "base".into(),
        frequency_secs: 3600,
        paused,
        next_run_at: Some(at(0)),
    }
}

async fn sync_state_and_schedule(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    let c = connection(store, "c1").await?;
    let tables = store.ensure_sync(&new_sync(c.id, "tables", false)).await?;
    let views = store.ensure_sync(&new_sync(c.id, "views", true)).await?;
    store
        .save_checkpoint(tables.id, Some(&json!({"name": "T"})))
        .await?;
    let again = store
        .ensure_sync(&NewSync {
            frequency_secs: 60,
            ..new_sync(c.id, "tables", true)
        })
        .await?;
    assert_eq!(again.id, tables.id);
    assert!(!again.paused, "an existing sync keeps its state");
    assert_eq!(again.checkpoint, Some(json!({"name": "T"})));
    assert_eq!(
        again.frequency_secs, 60,
        "but takes the definition's frequency"
    );
    store.set_sync_frequency(tables.id, Some(900)).await?;
    assert_eq!(
        store
            .sync(tables.id)
            .await?
            .unwrap()
            .effective_frequency_secs(),
        900
    );
    assert_eq!(
        store.find_sync(c.id, "views", "base").await?.unwrap().id,
        views.id
    );
    assert_eq!(store.list_syncs(c.id).await?.len(), 2);

    let due = store.due_syncs(at(10), 10).await?;
    assert_eq!(
        due.iter().map(|s| s.id).collect::<Vec<_>>(),
        [tables.id],
        "paused syncs are not due"
    );
    assert!(store.due_syncs(at(-1), 10).await?.is_empty(), "not yet due");
    store
        .enqueue_job(&NewJob {
            kind: "sync".into(),
            unique_key: Some(tables.job_key()),
            connection: Some(c.id),
            payload: json!({"sync": tables.id}),
            run_after: at(0),
        })
        .await?;
    assert!(
        store.due_syncs(at(10), 10).await?.is_empty(),
        "a sync with a queued job is not due"
    );
    store.set_sync_paused(views.id, false).await?;
    store.set_next_run(views.id, Some(at(5))).await?;
    assert_eq!(store.due_syncs(at(10), 10).await?.len(), 1);
    store.set_next_run(views.id, None).await?;
    assert!(store.due_syncs(at(10), 10).await?.is_empty());
    assert!(store.delete_sync(views.id).await?);
    assert!(!store.delete_sync(views.id).await?);
    Ok(())
}

async fn runs_history(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    let c = connection(store, "c1").await?;
    let sync = store.ensure_sync(&new_sync(c.id, "tables", false)).await?;
    let first = store.start_run(&StartRun::of(&sync, false)).await?;
    assert_eq!(first.status, RunStatus::Running);
    // The first run's worker died; the next run continues it and marks it failed.
    let second = store.start_run(&StartRun::of(&sync, true)).await?;
    let first = store.run(first.id).await?.unwrap();
    assert_eq!(first.status, RunStatus::Failed);
    assert_eq!(first.error.as_ref().unwrap()["type"], "interrupted");
    assert!(second.reset);
    let state = store.sync(sync.id).await?.unwrap();
    assert_eq!(state.last_run, Some(second.id));
    assert_eq!(state.last_status, Some(RunStatus::Running));
    let history = store.list_runs(sync.id, None, 10).await?;
    assert_eq!(
        history.iter().map(|r| r.id).collect::<Vec<_>>(),
        [second.id, first.id]
    );
    assert_eq!(
        store.list_runs(sync.id, Some(second.id), 10).await?.len(),
        1
    );
    Ok(())
}

fn records(ids: &[&str], version: u32) -> Vec<NewRecord> {
    ids.iter()
        .map(|id| record(id, json!({"id": id, "version": version})))
        .collect()
}

async fn finish_run_is_atomic(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    let c = connection(store, "c1").await?;
    let sync = store.ensure_sync(&new_sync(c.id, "tables", false)).await?;
    let model = ModelKey::new("Table", None);
    let save = |run, ids: &'static [&'static str], checkpoint: Option<serde_json::Value>| {
        let model = model.clone();
        async move {
            let records = records(ids, 1);
            store
                .save_records(SaveBatch {
                    connection: c.id,
                    model: &model,
                    records: &records,
                    run,
                    checkpoint: checkpoint.as_ref().map(|cp| (sync.id, cp)),
                })
                .await
        }
    };

    let run1 = store.start_run(&StartRun::of(&sync, false)).await?;
    assert_eq!(
        store.start_delete_tracking(sync.id, run1.id).await?,
        run1.id
    );
    save(run1.id, &["a", "b", "c"], None).await?;
    store
        .finish_run(&FinishRun {
            run: run1.id,
            status: RunStatus::Success,
            delete_unseen: vec![model.clone()],
            counts: BTreeMap::from([(
                model.clone(),
                ModelCounts {
                    added: 3,
                    ..Default::default()
                },
            )]),
            error: None,
            snowflake_calls: 4,
            next_run_at: Some(at(3600)),
            clear_checkpoint: true,
            sync_error: SyncErrorUpdate::Clear,
            webhooks: Vec::new(),
            scope_digests: None,
        })
        .await?;

    // Run 2 sees only "a", then fails after a checkpoint: nothing is deleted and the tracking
    // generation survives.
    let run2 = store.start_run(&StartRun::of(&sync, false)).await?;
    let generation = store.start_delete_tracking(sync.id, run2.id).await?;
    assert_eq!(generation, run2.id);
    save(run2.id, &["a"], Some(json!({"name": "a"}))).await?;
    let failed = store
        .finish_run(&FinishRun {
            run: run2.id,
            status: RunStatus::Failed,
            delete_unseen: vec![model.clone()],
            counts: BTreeMap::new(),
            error: Some(json!({"type": "script_http_error"})),
            snowflake_calls: 1,
            next_run_at: Some(at(7200)),
            clear_checkpoint: false,
            sync_error: SyncErrorUpdate::Set {
                log_id: "op-2".into(),
            },
            webhooks: vec![NewDelivery {
                idempotency_id: format!("run-{}", run2.id),
                connection: Some(c.id),
                kind: "sync".into(),
                url: "https://app.example/hooks".into(),
                body: br#"{"success":false}"#.to_vec(),
                next_attempt_at: at(0),
            }],
            scope_digests: None,
        })
        .await?;
    assert_eq!(failed.status, RunStatus::Failed);
    assert_eq!(
        store.record_counts(c.id).await?[0].live,
        3,
        "a failed run deletes nothing"
    );
    let state = store.sync(sync.id).await?.unwrap();
    assert_eq!(state.checkpoint, Some(json!({"name": "a"})));
    assert_eq!(state.tracking_generation, Some(run2.id));
    assert_eq!(state.next_run_at, Some(at(7200)));
    assert_eq!(state.last_status, Some(RunStatus::Failed));
    let errors = store.connection_by_pk(c.id).await?.unwrap().errors;
    assert_eq!(
        (
            errors[0].kind,
            errors[0].scope.as_str(),
            errors[0].log_id.as_str()
        ),
        (ConnectionErrorKind::Sync, "tables::base", "op-2")
    );
    assert_eq!(store.list_deliveries(&Default::default()).await?.len(), 1);

    // Run 3 resumes: tracking stays at run 2's generation; it sees "c", so only "b" is unseen.
    let run3 = store.start_run(&StartRun::of(&sync, false)).await?;
    assert_eq!(
        store.start_delete_tracking(sync.id, run3.id).await?,
        run2.id
    );
    save(run3.id, &["c"], None).await?;
    assert_eq!(store.count_unseen(c.id, &model, run2.id).await?, 1);
    let done = store
        .finish_run(&FinishRun {
            run: run3.id,
            status: RunStatus::Success,
            delete_unseen: vec![model.clone()],
            counts: BTreeMap::new(),
            error: None,
            snowflake_calls: 2,
            next_run_at: None,
            clear_checkpoint: true,
            sync_error: SyncErrorUpdate::Clear,
            webhooks: Vec::new(),
            scope_digests: None,
        })
        .await?;
    assert_eq!(
        done.counts[&model],
        ModelCounts {
            added: 0,
            updated: 0,
            deleted: 1
        }
    );
    assert_eq!(done.snowflake_calls, 2);
    assert!(done.finished_at.is_some());
    let state = store.sync(sync.id).await?.unwrap();
    assert_eq!((state.checkpoint, state.tracking_generation), (None, None));
    assert_eq!(state.next_run_at, Some(at(7200)), "None keeps the schedule");
    assert!(
        store
            .connection_by_pk(c.id)
            .await?
            .unwrap()
            .errors
            .is_empty()
    );
    assert_eq!(store.record_counts(c.id).await?[0].live, 2);
    Ok(())
}

/// A worker whose lease expired keeps running until its next heartbeat; meanwhile another
/// worker started a new run of the sync. The old run's batches and finish must fail and change
/// nothing.
async fn a_superseded_run_cannot_write(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    let c = connection(store, "c1").await?;
    let sync = store.ensure_sync(&new_sync(c.id, "tables", false)).await?;
    let model = ModelKey::new("Table", None);
    let old = store.start_run(&StartRun::of(&sync, false)).await?;
    let new = store.start_run(&StartRun::of(&sync, false)).await?;
    let batch = records(&["a"], 1);
    let stale = store
        .save_records(SaveBatch {
            connection: c.id,
            model: &model,
            records: &batch,
            run: old.id,
            checkpoint: Some((sync.id, &json!({"stale": true}))),
        })
        .await;
    assert!(matches!(
        stale,
        Err(snowgate_store::StoreError::LeaseLost { what: "run", .. })
    ));
    let finish = |run| FinishRun {
        run,
        status: RunStatus::Success,
        delete_unseen: vec![model.clone()],
        counts: BTreeMap::new(),
        error: None,
        snowflake_calls: 0,
        next_run_at: None,
        clear_checkpoint: true,
        sync_error: SyncErrorUpdate::Clear,
        webhooks: Vec::new(),
        scope_digests: None,
    };
    assert!(matches!(
        store.finish_run(&finish(old.id)).await,
        Err(snowgate_store::StoreError::LeaseLost { .. })
    ));
    assert_eq!(store.run(old.id).await?.unwrap().status, RunStatus::Failed);
    assert!(
        store.record_counts(c.id).await?.is_empty(),
        "nothing written"
    );
    assert_eq!(store.sync(sync.id).await?.unwrap().checkpoint, None);
    store
        .save_records(SaveBatch {
            connection: c.id,
            model: &model,
            records: &batch,
            run: new.id,
            checkpoint: None,
        })
        .await?;
    assert_eq!(
        store.finish_run(&finish(new.id)).await?.status,
        RunStatus::Success
    );
    assert!(
        matches!(
            store.finish_run(&finish(new.id)).await,
            Err(snowgate_store::StoreError::LeaseLost { .. })
        ),
        "a run finishes once"
    );
    Ok(())
}

/// A run killed mid-way (still `running`) is continued by the sync's next run: the logical run's
/// first start and committed counts carry over, and the old run and its operation are closed
/// with a pointer to their successors.
async fn a_run_continues_the_interrupted_one(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    let c = connection(store, "c1").await?;
    let sync = store.ensure_sync(&new_sync(c.id, "tables", false)).await?;
    let model = ModelKey::new("Table", None);
    let first = store.start_run(&StartRun::of(&sync, false)).await?;
    assert_eq!(first.first_started_at, first.started_at);
    assert_eq!(
        (first.resumed_from, first.added, first.updated),
        (None, 0, 0)
    );
    let first_operation = first.operation.clone().expect("a run has an operation");
    let operation = store.operation(&first_operation).await?.unwrap();
    assert_eq!(operation.status, OperationStatus::Running);
    assert_eq!(operation.name, "tables::base");
    let save = |run, records: Vec<NewRecord>| {
        let model = model.clone();
        async move {
            store
                .save_records(SaveBatch {
                    connection: c.id,
                    model: &model,
                    records: &records,
                    run,
                    checkpoint: None,
                })
                .await
        }
    };
    save(first.id, records(&["a", "b"], 1)).await?;
    assert_eq!(
        store.run(first.id).await?.unwrap().added,
        2,
        "committed with the batch"
    );

    // Its worker died: the next run continues it.
    let second = store.start_run(&StartRun::of(&sync, false)).await?;
    assert_eq!(second.first_started_at, first.started_at);
    assert_eq!(second.resumed_from, Some(first.id));
    assert_eq!((second.added, second.updated), (2, 0));
    let second_operation = second.operation.clone().unwrap();
    assert_ne!(second_operation, first_operation);
    let old = store.run(first.id).await?.unwrap();
    assert_eq!(old.status, RunStatus::Failed);
    assert!(old.finished_at.is_some());
    let error = old.error.unwrap();
    assert_eq!(error["type"], "interrupted");
    assert_eq!(error["continued_by"], second.id.0);
    let old_operation = store.operation(&first_operation).await?.unwrap();
    assert_eq!(old_operation.status, OperationStatus::Interrupted);
    assert!(old_operation.ended_at.is_some());
    assert_eq!(
        old_operation.summary.unwrap()["continued_by"],
        second_operation.as_str()
    );
    assert_eq!(
        store.operation(&second_operation).await?.unwrap().status,
        OperationStatus::Running
    );

    // b changes, c is new: the counters keep growing across the continuation.
    let mut batch = records(&["b"], 2);
    batch.extend(records(&["c"], 1));
    save(second.id, batch).await?;
    let third = store.start_run(&StartRun::of(&sync, false)).await?;
    assert_eq!(third.first_started_at, first.started_at);
    assert_eq!(third.resumed_from, Some(second.id));
    assert_eq!((third.added, third.updated), (3, 1));
    Ok(())
}
