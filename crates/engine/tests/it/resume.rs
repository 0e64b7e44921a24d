//! A run killed mid-way (its process gone, its lease left to expire) is continued by the sync's
//! next run, whose completion webhook announces everything the logical run changed and whose
//! start closes the killed run's operation.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use snowgate_emulator::{Faults, account::GenerateSpec};
use snowgate_engine::{
    Engine, ProcessRole, SyncSelector, TriggerOpts, WebhookSettingsUpdate, webhooks::WebhookUrl,
};
use snowgate_store::{DeliveryFilter, OperationStatus, RunStatus, StartRun, Store};

use crate::support::{Ctx, engine_config, engine_tests};

engine_tests!(
    a_killed_run_is_continued_and_announced_whole,
    a_run_stopped_by_a_shutdown_is_continued,
    an_interrupted_run_is_no_failure_in_the_backoff
);

async fn a_killed_run_is_continued_and_announced_whole(url: Option<String>) -> anyhow::Result<()> {
    let spec = GenerateSpec {
        databases: 2,
        schemas: 2,
        tables: 3,
        columns: 4,
        ..GenerateSpec::default()
    };
    let ctx = Ctx::start(url, engine_config(), |e| {
        e.account().generate(&spec).unwrap()
    })
    .await?;
    ctx.engine
        .set_webhook_settings(WebhookSettingsUpdate {
            primary_url: Some(Some(WebhookUrl::parse("http://127.0.0.1:9/hooks")?)),
            ..WebhookSettingsUpdate::default()
        })
        .await?;
    let connection = ctx.connect("resume", json!({})).await?;

    // The first run lives in a runtime of its own, as in another process: one schema's SHOW
    // COLUMNS at a time, each slow, in batches of 5, so the kill lands between two schemas.
    ctx.emulator.faults().update(|f| f.latency_ms = 300)?;
    let doomed = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let location = ctx.location.clone();
    doomed.spawn(async move {
        let config = snowgate_engine::EngineConfig {
            batch_size: 5,
            show_concurrency: 1,
            ..engine_config()
        };
        let store = location.open().await?;
        let engine = Engine::new(store, config, reqwest::Client::new()).await?;
        engine
            .run_sync(
                connection,
                &SyncSelector::base("columns"),
                TriggerOpts::default(),
                None,
            )
            .await?;
        anyhow::Ok(())
    });
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while crate::support::all_records(&ctx.store, connection, "Column")
        .await?
        .is_empty()
    {
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "no batch was saved");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    doomed.shutdown_background();
    ctx.emulator.faults().set(Faults::default())?;

    let sync = ctx
        .store
        .find_sync(connection, "columns", "base")
        .await?
        .unwrap();
    let killed = ctx.store.run(sync.last_run.unwrap()).await?.unwrap();
    assert_eq!(killed.status, RunStatus::Running, "killed mid-way");
    let written_before = crate::support::all_records(&ctx.store, connection, "Column").await?;
    assert!(
        !written_before.is_empty() && written_before.len() < 48,
        "{} records before the kill",
        written_before.len()
    );
    let earliest = written_before
        .iter()
        .map(|r| r.last_modified_at)
        .min()
        .unwrap();

    // The next run waits out the dead run's lease, then continues it.
    let resumed = ctx.run(connection, "columns").await?;
    assert_eq!(resumed.status, RunStatus::Success, "{:?}", resumed.error);
    assert_eq!(resumed.resumed_from, Some(killed.id));
    assert_eq!(resumed.first_started_at, killed.started_at);
    assert_eq!(ctx.records(connection, "Column").await?.len(), 48);
    let counts = resumed.counts[&snowgate_store::ModelKey::new("Column", None)];
    assert_eq!(counts.added, 48, "the run's counts cover the killed part");

    let deliveries = ctx
        .store
        .list_deliveries(&DeliveryFilter {
            limit: 100,
            ..DeliveryFilter::default()
        })
        .await?;
    let bodies: Vec<serde_json::Value> = deliveries
        .iter()
        .filter(|d| d.kind == "sync")
        .map(|d| serde_json::from_slice(&d.body))
        .collect::<Result<_, _>>()?;
    assert_eq!(
        bodies.len(),
        1,
        "one webhook for the logical run: {bodies:?}"
    );
    let modified_after: DateTime<Utc> = bodies[0]["modifiedAfter"].as_str().unwrap().parse()?;
    assert!(
        modified_after <= earliest,
        "modifiedAfter {modified_after} misses records written at {earliest}"
    );
    assert_eq!(bodies[0]["responseResults"]["added"], 48);

    // The killed run and its operation are closed, pointing at their successors.
    let killed = ctx.store.run(killed.id).await?.unwrap();
    assert_eq!(killed.status, RunStatus::Failed);
    assert_eq!(killed.error.unwrap()["continued_by"], resumed.id.0);
    let interrupted = ctx
        .store
        .operation(killed.operation.as_deref().unwrap())
        .await?
        .unwrap();
    assert_eq!(interrupted.status, OperationStatus::Interrupted);
    assert!(interrupted.ended_at.is_some());
    assert_eq!(
        interrupted.summary.unwrap()["continued_by"],
        resumed.operation.as_deref().unwrap()
    );
    let finished = ctx
        .store
        .operation(resumed.operation.as_deref().unwrap())
        .await?
        .unwrap();
    assert_eq!(finished.status, OperationStatus::Success);
    assert_eq!(finished.summary.unwrap()["added"], 48);
    Ok(())
}

/// A graceful shutdown interrupts a run as a kill does: the run stays open, its job goes back to
/// the queue, and the next run continues it and announces everything the two changed (a run
/// that the shutdown finished as cancelled left its changes unannounced).
async fn a_run_stopped_by_a_shutdown_is_continued(url: Option<String>) -> anyhow::Result<()> {
    let spec = GenerateSpec {
        databases: 2,
        schemas: 2,
        tables: 3,
        columns: 4,
        ..GenerateSpec::default()
    };
    let config = snowgate_engine::EngineConfig {
        batch_size: 5,
        show_concurrency: 1,
        ..engine_config()
    };
    let ctx = Ctx::start(url, config, |e| e.account().generate(&spec).unwrap()).await?;
    ctx.engine
        .set_webhook_settings(WebhookSettingsUpdate {
            primary_url: Some(Some(WebhookUrl::parse("http://127.0.0.1:9/hooks")?)),
            ..WebhookSettingsUpdate::default()
        })
        .await?;
    ctx.emulator.faults().update(|f| f.latency_ms = 300)?;
    let connection = ctx.connect("shutdown", json!({})).await?;
    let shutdown = tokio_util::sync::CancellationToken::new();
    let background = ctx
        .engine
        .spawn_background(ProcessRole::All, shutdown.clone());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while crate::support::all_records(&ctx.store, connection, "Column")
        .await?
        .is_empty()
    {
        anyhow::ensure!(tokio::time::Instant::now() < deadline, "no batch was saved");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    shutdown.cancel();
    background.join_all().await;
    ctx.emulator.faults().set(Faults::default())?;

    let sync = ctx
        .store
        .find_sync(connection, "columns", "base")
        .await?
        .unwrap();
    let stopped = ctx.store.run(sync.last_run.unwrap()).await?.unwrap();
    assert_eq!(
        stopped.status,
        RunStatus::Running,
        "left open for its successor"
    );
    let written_before = crate::support::all_records(&ctx.store, connection, "Column").await?;
    assert!(written_before.len() < 48, "stopped mid-way");

    let resumed = ctx.run(connection, "columns").await?;
    assert_eq!(resumed.status, RunStatus::Success, "{:?}", resumed.error);
    assert_eq!(resumed.resumed_from, Some(stopped.id));
    let counts = resumed.counts[&snowgate_store::ModelKey::new("Column", None)];
    assert_eq!(
        counts.added, 48,
        "the run's counts cover the part before the shutdown"
    );
    let bodies: Vec<serde_json::Value> = ctx
        .store
        .list_deliveries(&DeliveryFilter {
            limit: 100,
            ..DeliveryFilter::default()
        })
        .await?
        .iter()
        .filter(|d| d.kind == "sync")
        .map(|d| serde_json::from_slice(&d.body))
        .collect::<Result<Vec<serde_json::Value>, _>>()?
        .into_iter()
        .filter(|body| body["syncName"] == "columns")
        .collect();
    assert_eq!(
        bodies.len(),
        1,
        "one webhook for the logical run: {bodies:?}"
    );
    assert_eq!(bodies[0]["responseResults"]["added"], 48);
    let operation = ctx
        .store
        .operation(stopped.operation.as_deref().unwrap())
        .await?
        .unwrap();
    assert_eq!(operation.status, OperationStatus::Interrupted);
    Ok(())
}

/// A killed run is stored as failed (`interrupted`), but it says nothing about the sync: the
/// failure of the run that continues it is the first in a row, retried after one minute, not two.
async fn an_interrupted_run_is_no_failure_in_the_backoff(
    url: Option<String>,
) -> anyhow::Result<()> {
    let ctx = Ctx::start(url, engine_config(), |e| {
        e.account().generate(&GenerateSpec::default()).unwrap()
    })
    .await?;
    let connection = ctx.connect("backoff", json!({})).await?;
    let sync = ctx
        .store
        .find_sync(connection, "tables", "base")
        .await?
        .expect("the sync exists");
    // A run whose process died: started, never finished.
    ctx.store.start_run(&StartRun::of(&sync, false)).await?;
    // The next run fails on an error that is not retried: the key was removed from the user.
    ctx.emulator
        .admin(&format!("ALTER USER {} UNSET RSA_PUBLIC_KEY", ctx.user))?;
    let before = Utc::now();
    let run = ctx
        .engine
        .run_sync(
            connection,
            &SyncSelector::base("tables"),
            TriggerOpts::default(),
            None,
        )
        .await?;
    assert_eq!(run.status, RunStatus::Failed, "{:?}", run.error);
    let runs = ctx.store.list_runs(sync.id, None, 10).await?;
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[1].error.as_ref().unwrap()["type"], "interrupted");
    let next = ctx
        .store
        .sync(sync.id)
        .await?
        .and_then(|sync| sync.next_run_at)
        .expect("scheduled again");
    let delay = next - before;
    assert!(
        delay >= chrono::Duration::seconds(55) && delay <= chrono::Duration::seconds(90),
        "one minute after the first failure, not {delay}"
    );
    Ok(())
}
