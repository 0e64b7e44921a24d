//! Integrations, connections (filters, updates, metadata, errors, cascade) and connect sessions.

use std::collections::BTreeMap;

use secrecy::SecretString;
use serde_json::json;
use snowgate_store::{
    ConnectSession, ConnectionErrorKind, ConnectionFilter, ConnectionUpdate, MetadataWrite,
    ModelKey, NewConnection, NewDelivery, NewJob, NewSync, ReconnectTarget, SaveBatch, SecretJson,
    StartRun, Store, StoreError,
};

use crate::support::{Ctx, at, connection, record, store_tests};

store_tests!(
    integrations,
    upsert_keeps_id_and_metadata,
    list_filters,
    updates_and_metadata,
    connection_errors,
    connect_sessions,
    delete_cascades,
);

async fn integrations(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    let c1 = connection(store, "c1").await?;
    assert_eq!(
        store.connection_pk("snowflake-jwt", "c1").await?,
        Some(c1.id)
    );
    assert_eq!(store.connection_pk("snowflake-jwt", "c2").await?, None);
    assert_eq!(store.connection_pk("other", "c1").await?, None);
    let integration = store.integration("snowflake-jwt").await?.unwrap();
    assert_eq!(integration.provider, "snowflake-jwt");
    assert_eq!(store.list_integrations().await?.len(), 1);
    assert!(store.delete_integration("snowflake-jwt").await?);
    assert!(!store.delete_integration("snowflake-jwt").await?);
    assert!(
        store.connection("snowflake-jwt", "c1").await?.is_none(),
        "connections cascade"
    );
    Ok(())
}

fn new_connection(
    id: &str,
    tags: &[(&str, &str)],
    end_user: Option<serde_json::Value>,
) -> NewConnection {
    NewConnection {
        integration_key: "snowflake-jwt".into(),
        connection_id: id.into(),
        connection_config: json!({"subdomain": "ACME"}),
        metadata: Some(json!({})),
        tags: tags
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        end_user,
        webhook_url_override: None,
        credentials: SecretJson::new(&json!({"privateKey": id})),
    }
}

async fn upsert_keeps_id_and_metadata(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    let first = connection(store, "c1").await?;
    store
        .write_metadata(
            "snowflake-jwt",
            &["c1".into()],
            &json!({"schemas": ["DB.S"]}),
            MetadataWrite::Replace,
        )
        .await?;
    store
        .set_connection_error(first.id, ConnectionErrorKind::Auth, "", "log-1")
        .await?;
    let (again, created) = store
        .upsert_connection(&new_connection("c1", &[("a", "b")], None))
        .await?;
    assert!(!created);
    assert_eq!(again.id, first.id);
    assert_eq!(again.metadata, Some(json!({"schemas": ["DB.S"]})));
    assert_eq!(again.tags.get("a").map(String::as_str), Some("b"));
    assert!(again.errors.is_empty(), "a reconnect clears the auth error");
    assert_eq!(
        store.credentials(first.id).await?.unwrap().expose_value(),
        json!({"privateKey": "c1"})
    );
    let missing_integration = NewConnection {
        integration_key: "nope".into(),
        ..new_connection("x", &[], None)
    };
    assert!(matches!(
        store.upsert_connection(&missing_integration).await,
        Err(StoreError::NotFound {
            what: "integration",
            ..
        })
    ));
    Ok(())
}

async fn list_filters(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    connection(store, "seed").await?;
    store
        .upsert_connection(&new_connection(
            "alpha-1",
            &[("end_user_id", "u1"), ("plan", "pro")],
            Some(json!({"id": "u1", "email": "Ann@Example.com", "organization": {"id": "org-9"}})),
        ))
        .await?;
    store
        .upsert_connection(&new_connection(
            "beta-2",
            &[("plan", "pro"), ("region", "eu")],
            None,
        ))
        .await?;
    store
        .upsert_connection(&new_connection("gamma-3", &[("plan", "free")], None))
        .await?;

    let ids = |connections: Vec<snowgate_store::Connection>| {
        connections
            .into_iter()
            .map(|c| c.connection_id)
            .collect::<Vec<_>>()
    };
    let all = store.list_connections(&ConnectionFilter::default()).await?;
    assert_eq!(
        ids(all),
        ["gamma-3", "beta-2", "alpha-1", "seed"],
        "newest first"
    );
    let filter = |f: fn(&mut ConnectionFilter)| {
        let mut filter = ConnectionFilter::default();
        f(&mut filter);
        filter
    };
    assert_eq!(
        ids(store
            .list_connections(&filter(|f| f.connection_id = Some("beta-2".into())))
            .await?),
        ["beta-2"]
    );
    assert_eq!(
        ids(store
            .list_connections(&filter(|f| f.search = Some("ALPHA".into())))
            .await?),
        ["alpha-1"]
    );
    assert_eq!(
        ids(store
            .list_connections(&filter(|f| f.search = Some("ann@example".into())))
            .await?),
        ["alpha-1"]
    );
    assert_eq!(
        ids(store
            .list_connections(&filter(
                |f| f.tags = BTreeMap::from([("plan".into(), "pro".into())])
            ))
            .await?),
        ["beta-2", "alpha-1"]
    );
    assert_eq!(
        ids(store
            .list_connections(&filter(|f| {
                f.tags = BTreeMap::from([
                    ("plan".into(), "pro".into()),
                    ("region".into(), "eu".into()),
                ])
            }))
            .await?),
        ["beta-2"],
        "all tag pairs must match"
    );
    assert_eq!(
        ids(store
            .list_connections(&filter(|f| f.end_user_id = Some("u1".into())))
            .await?),
        ["alpha-1"]
    );
    assert_eq!(
        ids(store
            .list_connections(&filter(
                |f| f.end_user_organization_id = Some("org-9".into())
            ))
            .await?),
        ["alpha-1"]
    );
    assert!(
        ids(store
            .list_connections(&filter(|f| f.integration_keys = vec!["other".into()]))
            .await?)
        .is_empty()
    );
    assert_eq!(
        ids(store
            .list_connections(&filter(|f| {
                f.limit = 2;
                f.page = 1;
            }))
            .await?),
        ["alpha-1", "seed"]
    );
    // A search string is a literal, not a pattern.
    assert!(
        ids(store
            .list_connections(&filter(|f| f.search = Some("%".into())))
            .await?)
        .is_empty()
    );
    Ok(())
}

async fn updates_and_metadata(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    let c1 = connection(store, "c1").await?;
    connection(store, "c2").await?;
    assert!(
        store
            .update_connection(
                c1.id,
                &ConnectionUpdate {
                    tags: Some(BTreeMap::from([("end_user_id".into(), "u7".into())])),
                    webhook_url_override: Some(Some("https://override.example".into())),
                    end_user: None,
                },
            )
            .await?
    );
    let updated = store.connection_by_pk(c1.id).await?.unwrap();
    assert_eq!(
        updated.webhook_url_override.as_deref(),
        Some("https://override.example")
    );
    let by_user = store
        .list_connections(&ConnectionFilter {
            end_user_id: Some("u7".into()),
            ..Default::default()
        })
        .await?;
    assert_eq!(by_user.len(), 1, "end_user_id follows the tags");
    store
        .update_connection(
            c1.id,
            &ConnectionUpdate {
                webhook_url_override: Some(None),
                ..Default::default()
            },
        )
        .await?;
    let cleared = store.connection_by_pk(c1.id).await?.unwrap();
    assert_eq!(cleared.webhook_url_override, None);
    assert_eq!(cleared.tags, updated.tags, "tags untouched");
    assert!(
        !store
            .update_connection(
                snowgate_store::ConnectionPk(999_999),
                &ConnectionUpdate::default()
            )
            .await?
    );

    let both = ["c1".to_string(), "c2".to_string()];
    store
        .write_metadata(
            "snowflake-jwt",
            &both,
            &json!({"a": 1, "b": 2}),
            MetadataWrite::Replace,
        )
        .await?;
    store
        .write_metadata(
            "snowflake-jwt",
            &both,
            &json!({"b": 3, "c": 4}),
            MetadataWrite::Merge,
        )
        .await?;
    for id in &both {
        let connection = store.connection("snowflake-jwt", id).await?.unwrap();
        assert_eq!(connection.metadata, Some(json!({"a": 1, "b": 3, "c": 4})));
    }
    let with_unknown = ["c1".to_string(), "missing".to_string()];
    let error = store
        .write_metadata(
            "snowflake-jwt",
            &with_unknown,
            &json!({"x": 1}),
            MetadataWrite::Replace,
        )
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::NotFound { ref key, .. } if key == "missing"));
    let c1_after = store.connection("snowflake-jwt", "c1").await?.unwrap();
    assert_eq!(
        c1_after.metadata,
        Some(json!({"a": 1, "b": 3, "c": 4})),
        "all or nothing"
    );
    Ok(())
}

async fn connection_errors(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    let c = connection(store, "c1").await?;
    store
        .set_connection_error(c.id, ConnectionErrorKind::Auth, "", "log-a")
        .await?;
    store
        .set_connection_error(c.id, ConnectionErrorKind::Sync, "tables::base", "log-s1")
        .await?;
    store
        .set_connection_error(c.id, ConnectionErrorKind::Sync, "roles::base", "log-s2")
        .await?;
    store
        .set_connection_error(c.id, ConnectionErrorKind::Sync, "roles::base", "log-s3")
        .await?;
    let errors = store.connection_by_pk(c.id).await?.unwrap().errors;
    let logs: Vec<_> = errors.iter().map(|e| (e.kind, e.log_id.as_str())).collect();
    assert_eq!(
        logs,
        [
            (ConnectionErrorKind::Auth, "log-a"),
            (ConnectionErrorKind::Sync, "log-s3"),
            (ConnectionErrorKind::Sync, "log-s1")
        ]
    );
    assert!(
        store
            .clear_connection_error(c.id, ConnectionErrorKind::Sync, Some("roles::base"), &[])
            .await?
    );
    assert_eq!(store.connection_by_pk(c.id).await?.unwrap().errors.len(), 2);
    let recovered = NewDelivery {
        idempotency_id: "recovered".into(),
        connection: Some(c.id),
        kind: "auth".into(),
        url: "http://127.0.0.1:9/hooks".into(),
        body: b"{}".to_vec(),
        next_attempt_at: chrono::Utc::now(),
    };
    assert!(
        store
            .clear_connection_error(
                c.id,
                ConnectionErrorKind::Auth,
                None,
                std::slice::from_ref(&recovered)
            )
            .await?
    );
    assert!(
        !store
            .clear_connection_error(
                c.id,
                ConnectionErrorKind::Auth,
                None,
                &[NewDelivery {
                    idempotency_id: "again".into(),
                    ..recovered.clone()
                }]
            )
            .await?,
        "nothing left to clear"
    );
    let outbox = store.list_deliveries(&Default::default()).await?;
    assert_eq!(
        outbox
            .iter()
            .map(|d| d.idempotency_id.as_str())
            .collect::<Vec<_>>(),
        ["recovered"],
        "the webhook is enqueued only with the clearing"
    );
    let errors = store.connection_by_pk(c.id).await?.unwrap().errors;
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].scope, "tables::base");
    assert_eq!(
        store
            .stale_connections(at(0) + chrono::Duration::days(36500), 10)
            .await?,
        [c.id]
    );
    store
        .mark_fetched(c.id, at(0) + chrono::Duration::days(36500))
        .await?;
    assert!(
        store
            .stale_connections(at(0) + chrono::Duration::days(36500), 10)
            .await?
            .is_empty()
    );
    Ok(())
}

async fn connect_sessions(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    let token = SecretString::from("nango_connect_session_0123");
    let session = ConnectSession {
        allowed_integrations: Some(vec!["snowflake-jwt".into()]),
        tags: BTreeMap::from([("end_user_id".into(), "u1".into())]),
        reconnect: Some(ReconnectTarget {
            integration_key: "snowflake-jwt".into(),
            connection_id: "c1".into(),
        }),
        expires_at: at(1800),
        ..Default::default()
    };
    store.create_connect_session(&token, &session).await?;
    assert_eq!(
        store.connect_session(&token, at(0)).await?,
        Some(session.clone())
    );
    assert_eq!(
        store.connect_session(&token, at(1800)).await?,
        None,
        "expired"
    );
    assert_eq!(
        store
            .connect_session(&SecretString::from("other"), at(0))
            .await?,
        None
    );
    let hashes = ctx
        .raw_bytes("SELECT token_hash FROM connect_sessions")
        .await?;
    assert_eq!(
        hashes[0].len(),
        32,
        "only the SHA-256 of the token is stored"
    );
    assert!(store.delete_connect_session(&token).await?);
    assert!(!store.delete_connect_session(&token).await?);
    store.create_connect_session(&token, &session).await?;
    assert_eq!(store.purge_connect_sessions(at(1799)).await?, 0);
    assert_eq!(store.purge_connect_sessions(at(1800)).await?, 1);
    Ok(())
}

async fn delete_cascades(ctx: Ctx) -> anyhow::Result<()> {
    let store = &ctx.store;
    let c = connection(store, "c1").await?;
    let other = connection(store, "c2").await?;
    let sync = store
        .ensure_sync(&NewSync {
            connection: c.id,
            name: "tables".into(),
            variant: "base".into(),
            frequency_secs: 3600,
            paused: false,
            next_run_at: Some(at(0)),
        })
        .await?;
    let run = store.start_run(&StartRun::of(&sync, false)).await?;
    let model = ModelKey::new("Table", None);
    let records = [record("DB/S/T", json!({"id": "DB/S/T"}))];
    for connection in [c.id, other.id] {
        store
            .save_records(SaveBatch {
                connection,
                model: &model,
                records: &records,
                run: run.id,
                checkpoint: None,
            })
            .await?;
    }
    let (job, _) = store
        .enqueue_job(&NewJob {
            kind: "sync".into(),
            unique_key: Some(sync.job_key()),
            connection: Some(c.id),
            payload: json!({}),
            run_after: at(0),
        })
        .await?;
    let action = store.create_action(c.id, "list-tables", &json!({})).await?;
    store
        .set_connection_error(c.id, ConnectionErrorKind::Sync, "tables::base", "log")
        .await?;
    let earlier = NewDelivery {
        idempotency_id: "sync-1".into(),
        connection: Some(c.id),
        kind: "sync".into(),
        url: "https://app.example/hooks".into(),
        body: b"{}".to_vec(),
        next_attempt_at: at(0),
    };
    store
        .enqueue_deliveries(std::slice::from_ref(&earlier))
        .await?;

    let deletion = NewDelivery {
        idempotency_id: "deleted-c1".into(),
        connection: None,
        ..earlier.clone()
    };
    assert!(
        store
            .delete_connection("snowflake-jwt", "c1", std::slice::from_ref(&deletion))
            .await?
    );
    assert!(
        !store
            .delete_connection("snowflake-jwt", "c1", &[deletion])
            .await?
    );

    assert!(store.connection_by_pk(c.id).await?.is_none());
    assert!(store.sync(sync.id).await?.is_none());
    assert!(store.run(run.id).await?.is_none());
    assert!(store.job(job.id).await?.is_none());
    assert!(store.action(action.id).await?.is_none());
    assert!(store.record_counts(c.id).await?.is_empty());
    assert_eq!(
        ctx.raw_count("SELECT COUNT(*) FROM connection_errors")
            .await?,
        0
    );
    assert_eq!(ctx.raw_count("SELECT COUNT(*) FROM records").await?, 1);
    assert_eq!(
        store.record_counts(other.id).await?[0].live,
        1,
        "other connections keep their records"
    );
    let deliveries = store.list_deliveries(&Default::default()).await?;
    assert_eq!(deliveries.len(), 2, "history and the deletion webhook stay");
    assert!(deliveries.iter().all(|d| d.connection.is_none()));
    Ok(())
}
