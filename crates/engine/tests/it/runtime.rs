//! The runtime around runs: webhooks in the outbox with the run's counts, the scheduler and two
//! workers sharing one store, a dead worker's job taken over, sync controls (pause, start,
//! status, frequency, variants), and credential health (a revoked key is noticed, then cleared).

use std::time::Duration;

use chrono::Utc;
use serde_json::{Value, json};
use snowgate_emulator::account::GenerateSpec;
use snowgate_engine::{
    CredentialCheck, Engine, ProcessRole, SyncSelector, SyncStatusKind, SyncTarget, TriggerOpts,
    WebhookSettingsUpdate, catalog::Frequency, webhooks::WebhookUrl,
};
use snowgate_store::{
    ConnectionErrorKind, DeliveryFilter, JobStatus, ModelKey, NewJob, RunStatus, Store,
};
use tokio_util::sync::CancellationToken;

use crate::support::{Ctx, USER, engine_config, engine_tests};

engine_tests!(
    webhooks_carry_the_runs_counts,
    two_workers_run_each_sync_once_and_take_over_a_dead_workers_job,
    sync_controls,
    a_revoked_key_is_noticed_and_cleared
);

fn small() -> GenerateSpec {
    GenerateSpec {
        databases: 2,
        schemas: 2,
        tables: 3,
        columns: 4,
        users: 3,
        roles: 2,
        ..GenerateSpec::default()
    }
}

/// The bodies of the pending deliveries of `kind`, oldest first.
async fn bodies(ctx: &Ctx, kind: &str) -> anyhow::Result<Vec<Value>> {
    let mut deliveries = ctx
        .store
        .list_deliveries(&DeliveryFilter {
            limit: 1000,
            ..DeliveryFilter::default()
        })
        .await?;
    deliveries.reverse();
    Ok(deliveries
        .into_iter()
        .filter(|d| d.kind == kind)
        .map(|d| serde_json::from_slice(&d.body).expect("bodies are JSON"))
        .collect())
}

async fn webhooks_carry_the_runs_counts(url: Option<String>) -> anyhow::Result<()> {
    let ctx = Ctx::start(url, engine_config(), |e| {
        e.account().generate(&small()).unwrap()
    })
    .await?;
    ctx.engine
        .set_webhook_settings(WebhookSettingsUpdate {
            primary_url: Some(Some(WebhookUrl::parse("http://127.0.0.1:9/primary")?)),
            secondary_url: Some(Some(WebhookUrl::parse("http://127.0.0.1:9/secondary")?)),
            ..WebhookSettingsUpdate::default()
        })
        .await?;
    let connection = ctx.connect("hooks", json!({})).await?;
    let auth = bodies(&ctx, "auth").await?;
    assert_eq!(auth.len(), 2, "one per destination");
    assert_eq!(auth[0]["operation"], "creation");
    assert_eq!(auth[0]["success"], true);
    assert_eq!(auth[0]["connectionId"], "hooks");
    assert_ne!(
        auth[0]["idempotencyKey"], auth[1]["idempotencyKey"],
        "one key per delivery"
    );

    let run = ctx.run(connection, "tables").await?;
    let counts = run.counts[&ModelKey::new("Table", None)];
    let sync = bodies(&ctx, "sync").await?;
    assert_eq!(sync.len(), 2);
    assert_eq!(sync[0]["syncName"], "tables");
    assert_eq!(sync[0]["model"], "Table");
    assert_eq!(sync[0]["success"], true);
    assert_eq!(
        sync[0]["responseResults"],
        json!({"added": counts.added, "updated": 0, "deleted": 0})
    );
    assert_eq!(counts.added, 2 * 2 * 3);

    // No changes: sent because on_sync_completion_always is on by default; not once it is off.
    ctx.run(connection, "tables").await?;
    let sync = bodies(&ctx, "sync").await?;
    assert_eq!(sync.len(), 4);
    assert_eq!(
        sync[3]["responseResults"],
        json!({"added": 0, "updated": 0, "deleted": 0})
    );
    ctx.engine
        .set_webhook_settings(WebhookSettingsUpdate {
            on_sync_completion_always: Some(false),
            ..WebhookSettingsUpdate::default()
        })
        .await?;
    ctx.run(connection, "tables").await?;
    assert_eq!(bodies(&ctx, "sync").await?.len(), 4);

    // A deletion is a change; a failure sends the failure webhook.
    ctx.emulator
        .admin("DROP TABLE GEN_DB_0001.SCHEMA_0001.TABLE_0001")?;
    ctx.run(connection, "tables").await?;
    let sync = bodies(&ctx, "sync").await?;
    assert_eq!(
        sync[5]["responseResults"],
        json!({"added": 0, "updated": 0, "deleted": 1})
    );
    ctx.store
        .write_metadata(
            crate::support::INTEGRATION,
            &["hooks".into()],
            &json!({"include": [12]}),
            snowgate_store::MetadataWrite::Replace,
        )
        .await?;
    let failed = ctx.run(connection, "tables").await?;
    assert_eq!(failed.status, RunStatus::Failed);
    let sync = bodies(&ctx, "sync").await?;
    assert_eq!(sync[7]["success"], false);
    assert_eq!(sync[7]["error"]["type"], "invalid_metadata");
    assert!(sync[7]["startedAt"].is_string() && sync[7]["failedAt"].is_string());
    let connection_row = ctx.store.connection_by_pk(connection).await?.unwrap();
    assert!(
        connection_row
            .errors
            .iter()
            .any(|e| e.kind == ConnectionErrorKind::Sync && e.scope.starts_with("tables")),
        "{:?}",
        connection_row.errors
    );
    Ok(())
}

/// Waits until `done` holds, polling every 100 ms for at most `secs` seconds.
async fn eventually<F, Fut>(secs: u64, mut done: F) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<bool>>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        if done().await? {
            return Ok(());
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "timed out after {secs} s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn two_workers_run_each_sync_once_and_take_over_a_dead_workers_job(
    url: Option<String>,
) -> anyhow::Result<()> {
    let ctx = Ctx::start(url, engine_config(), |e| {
        e.account().generate(&small()).unwrap()
    })
    .await?;
    let connection = ctx.connect("workers", json!({})).await?;
    // A worker claims the tables run and dies: its lease runs out with no heartbeat.
    let tables = ctx
        .store
        .find_sync(connection, "tables", "base")
        .await?
        .unwrap();
    let (job, _) = ctx
        .store
        .enqueue_job(&NewJob {
            kind: "sync".into(),
            unique_key: Some(tables.job_key()),
            connection: Some(connection),
            payload: json!({"sync": tables.id.0}),
            run_after: Utc::now(),
        })
        .await?;
    let now = Utc::now();
    let claims = ctx
        .store
        .claim_jobs(
            "dead-worker",
            &["sync"],
            10,
            now + chrono::Duration::seconds(2),
            now,
        )
        .await?;
    assert_eq!(claims.len(), 1);
    assert_eq!(claims[0].job.id, job.id);

    let second = Engine::new(ctx.store.clone(), engine_config(), reqwest::Client::new()).await?;
    let shutdown = CancellationToken::new();
    let mut first_tasks = ctx
        .engine
        .spawn_background(ProcessRole::Worker, shutdown.clone());
    let mut second_tasks = second.spawn_background(ProcessRole::All, shutdown.clone());
    let auto_started: Vec<&str> = ctx
        .engine
        .configured_syncs()
        .iter()
        .filter(|s| s.auto_start)
        .map(|s| s.name.as_str())
        .collect();
    assert_eq!(auto_started.len(), 6);
    eventually(90, || async {
        let syncs = ctx.store.list_syncs(connection).await?;
        Ok(syncs
            .iter()
            .filter(|s| auto_started.contains(&s.name.as_str()))
            .all(|s| s.last_status == Some(RunStatus::Success)))
    })
    .await?;
    shutdown.cancel();
    while first_tasks.join_next().await.is_some() {}
    while second_tasks.join_next().await.is_some() {}

    for sync in ctx.store.list_syncs(connection).await? {
        let runs = ctx.store.list_runs(sync.id, None, 10).await?;
        if auto_started.contains(&sync.name.as_str()) {
            assert_eq!(runs.len(), 1, "{} ran once: {runs:?}", sync.name);
            assert_eq!(runs[0].status, RunStatus::Success);
            let next = sync.next_run_at.expect("scheduled again");
            assert!(next > Utc::now() + chrono::Duration::minutes(50), "{next}");
        } else {
            assert!(runs.is_empty(), "{} is paused until started", sync.name);
        }
    }
    assert_eq!(
        ctx.store.job(job.id).await?.unwrap().status,
        JobStatus::Done
    );
    assert_eq!(ctx.records(connection, "Table").await?.len(), 12);
    assert_eq!(ctx.records(connection, "Column").await?.len(), 48);
    Ok(())
}

async fn sync_controls(url: Option<String>) -> anyhow::Result<()> {
    let ctx = Ctx::start(url, engine_config(), |e| {
        e.account().generate(&small()).unwrap()
    })
    .await?;
    let connection = ctx.connect("controls", json!({})).await?;
    let target = SyncTarget::Connection(connection);
    let views = [SyncSelector::base("views")];

    let status = ctx.engine.status(&target, &views).await?;
    assert_eq!(status.len(), 1);
    assert_eq!(
        status[0].status,
        SyncStatusKind::Paused,
        "views do not auto-start"
    );
    assert_eq!(status[0].next_scheduled_sync_at, None);
    assert_eq!(status[0].frequency, "every hour");

    ctx.engine.start(&target, &views).await?;
    let status = ctx.engine.status(&target, &views).await?;
    assert_eq!(
        status[0].status,
        SyncStatusKind::Stopped,
        "started, not run yet"
    );
    assert!(status[0].next_scheduled_sync_at.is_some());

    ctx.run(connection, "views").await?;
    let status = ctx.engine.status(&target, &views).await?;
    assert_eq!(status[0].status, SyncStatusKind::Success);
    assert!(status[0].finished_at.is_some());
    assert_eq!(status[0].record_count["View"], 0);

    let frequency = ctx
        .engine
        .update_frequency(
            connection,
            &views[0],
            Some(Frequency::parse("every 15 minutes")?),
        )
        .await?;
    assert_eq!(frequency, "every 15 minutes");
    let status = ctx.engine.status(&target, &views).await?;
    assert_eq!(status[0].frequency, "every 15 minutes");
    assert!(
        status[0].next_scheduled_sync_at.unwrap() <= Utc::now() + chrono::Duration::minutes(15)
    );
    assert_eq!(
        ctx.engine
            .update_frequency(connection, &views[0], None)
            .await?,
        "every hour"
    );

    ctx.engine.pause(&target, &views).await?;
    assert_eq!(
        ctx.engine.status(&target, &views).await?[0].status,
        SyncStatusKind::Paused
    );

    // Variants: their own schedule, checkpoint and records (`Model::variant`).
    let variant = ctx
        .engine
        .create_variant(connection, "tables", "eu")
        .await?;
    assert_eq!(variant.variant, "eu");
    assert!(matches!(
        ctx.engine.create_variant(connection, "tables", "eu").await,
        Err(snowgate_engine::SyncControlError::VariantExists { .. })
    ));
    assert!(matches!(
        ctx.engine
            .create_variant(connection, "tables", "base")
            .await,
        Err(snowgate_engine::SyncControlError::InvalidVariant { .. })
    ));
    let eu = SyncSelector {
        name: "tables".into(),
        variant: Some("eu".into()),
    };
    let run = ctx
        .engine
        .run_sync(connection, &eu, TriggerOpts::default(), None)
        .await?;
    assert_eq!(run.status, RunStatus::Success);
    assert!(run.counts.contains_key(&ModelKey::new("Table", Some("eu"))));
    assert_eq!(ctx.records(connection, "Table::eu").await?.len(), 12);
    assert!(ctx.records(connection, "Table").await?.is_empty());
    ctx.engine
        .delete_variant(connection, "tables", "eu")
        .await?;
    assert!(ctx.records(connection, "Table::eu").await?.is_empty());
    assert!(matches!(
        ctx.engine.status(&target, &[eu]).await,
        Err(snowgate_engine::SyncControlError::UnknownVariant { .. })
    ));
    assert!(matches!(
        ctx.engine
            .status(&target, &[SyncSelector::base("nope")])
            .await,
        Err(snowgate_engine::SyncControlError::UnknownSync(_))
    ));

    // Reset with emptyCache: records are removed first and come back as added.
    ctx.run(connection, "tables").await?;
    let run = ctx
        .run_with(
            connection,
            "tables",
            TriggerOpts {
                reset: true,
                empty_cache: true,
            },
        )
        .await?;
    assert_eq!(run.counts[&ModelKey::new("Table", None)].added, 12);

    // A trigger queues a run (a worker would take it).
    ctx.engine
        .trigger(
            &target,
            &[SyncSelector::base("roles")],
            TriggerOpts::default(),
        )
        .await?;
    let roles = ctx
        .store
        .find_sync(connection, "roles", "base")
        .await?
        .unwrap();
    let (job, created) = ctx
        .store
        .enqueue_job(&NewJob {
            kind: "sync".into(),
            unique_key: Some(roles.job_key()),
            connection: Some(connection),
            payload: json!({}),
            run_after: Utc::now(),
        })
        .await?;
    assert!(!created, "the trigger's job is queued");
    assert_eq!(job.status, JobStatus::Queued);
    Ok(())
}

async fn a_revoked_key_is_noticed_and_cleared(url: Option<String>) -> anyhow::Result<()> {
    let ctx = Ctx::start(url, engine_config(), |_| ()).await?;
    ctx.engine
        .set_webhook_settings(WebhookSettingsUpdate {
            primary_url: Some(Some(WebhookUrl::parse("http://127.0.0.1:9/hooks")?)),
            ..WebhookSettingsUpdate::default()
        })
        .await?;
    let connection = ctx.connect("health", json!({})).await?;
    assert_eq!(
        ctx.engine.check_credentials(connection).await?,
        CredentialCheck::Valid
    );

    ctx.emulator
        .admin(&format!("ALTER USER {USER} UNSET RSA_PUBLIC_KEY"))?;
    let check = ctx.engine.check_credentials(connection).await?;
    let CredentialCheck::Rejected { reason } = check else {
        panic!("a revoked key is refused: {check:?}");
    };
    assert!(
        reason.contains("390144") || reason.contains("not registered"),
        "{reason}"
    );
    let errors = ctx
        .store
        .connection_by_pk(connection)
        .await?
        .unwrap()
        .errors;
    assert!(
        errors.iter().any(|e| e.kind == ConnectionErrorKind::Auth),
        "{errors:?}"
    );
    let refresh: Vec<Value> = bodies(&ctx, "auth")
        .await?
        .into_iter()
        .filter(|body| body["operation"] == "refresh")
        .collect();
    assert_eq!(refresh.len(), 1);
    assert_eq!(refresh[0]["success"], false);
    assert_eq!(refresh[0]["error"]["type"], "invalid_credentials");

    // Still refused: the error stays, no second webhook (one per transition).
    assert!(matches!(
        ctx.engine.check_credentials(connection).await?,
        CredentialCheck::Rejected { .. }
    ));
    let refreshes = bodies(&ctx, "auth")
        .await?
        .into_iter()
        .filter(|body| body["operation"] == "refresh")
        .count();
    assert_eq!(refreshes, 1);

    // A sync run refused for the same reason fails as an auth error.
    let run = ctx.run(connection, "databases").await?;
    assert_eq!(run.status, RunStatus::Failed);
    assert_eq!(run.error.unwrap()["type"], "auth_error");

    // Restored: the next successful sync run clears the auth error at once (no health check
    // needed) and sends the recovery webhook, once.
    ctx.emulator.add_user(USER, &ctx.key.public_key_pem)?;
    let run = ctx.run(connection, "databases").await?;
    assert_eq!(run.status, RunStatus::Success, "{:?}", run.error);
    let errors = ctx
        .store
        .connection_by_pk(connection)
        .await?
        .unwrap()
        .errors;
    assert!(
        errors.is_empty(),
        "auth and sync errors cleared: {errors:?}"
    );
    let recovered = |bodies: Vec<Value>| {
        bodies
            .into_iter()
            .filter(|body| body["operation"] == "refresh" && body["success"] == true)
            .count()
    };
    assert_eq!(recovered(bodies(&ctx, "auth").await?), 1);
    ctx.run(connection, "databases").await?;
    assert_eq!(
        ctx.engine.check_credentials(connection).await?,
        CredentialCheck::Valid
    );
    assert_eq!(
        recovered(bodies(&ctx, "auth").await?),
        1,
        "one recovery webhook per transition"
    );

    // An action is an authenticated success too.
    ctx.emulator
        .admin(&format!("ALTER USER {USER} UNSET RSA_PUBLIC_KEY"))?;
    assert!(matches!(
        ctx.engine.check_credentials(connection).await?,
        CredentialCheck::Rejected { .. }
    ));
    ctx.emulator.add_user(USER, &ctx.key.public_key_pem)?;
    ctx.engine
        .run_action(connection, "list-databases", json!({}))
        .await?;
    let errors = ctx
        .store
        .connection_by_pk(connection)
        .await?
        .unwrap()
        .errors;
    assert!(
        !errors.iter().any(|e| e.kind == ConnectionErrorKind::Auth),
        "{errors:?}"
    );
    assert_eq!(recovered(bodies(&ctx, "auth").await?), 2);
    Ok(())
}
