//! Webhook delivery to a real receiver on loopback: signed bodies, retries while the receiver
//! fails, every webhook accepted exactly once when it recovers; a delivery that never gets
//! through is dead after its last attempt and can be redelivered. Every attempt carries one
//! idempotency key, the same in the `Idempotency-Key` header and the body, on every retry and
//! redelivery of its delivery.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{Router, body::Bytes, extract::State, http::HeaderMap, http::StatusCode, routing::post};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use snowgate_emulator::account::GenerateSpec;
use snowgate_engine::{
    ProcessRole, WebhookSettingsUpdate,
    webhooks::{SigningKey, WebhookUrl},
};
use snowgate_store::{DeliveryFilter, DeliveryStatus, Store};
use tokio_util::sync::CancellationToken;

use crate::support::{Ctx, engine_config, engine_tests};

engine_tests!(
    a_failing_receiver_gets_every_webhook_once_it_recovers,
    undeliverable_webhooks_die_and_can_be_redelivered,
    a_redirect_fails_the_attempt_by_default,
    a_redirect_is_followed_when_configured
);

/// A receiver that answers 503 to the first `failures` requests, then 200, and keeps what it
/// accepted.
#[derive(Clone, Default)]
struct Receiver {
    failures: Arc<Mutex<usize>>,
    attempts: Arc<Mutex<usize>>,
    accepted: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    /// The `Idempotency-Key` header and the body's `idempotencyKey` of every attempt.
    keys: Arc<Mutex<Vec<(String, String)>>>,
}

async fn receive(State(receiver): State<Receiver>, headers: HeaderMap, body: Bytes) -> StatusCode {
    *receiver.attempts.lock().unwrap() += 1;
    let header = headers
        .get("idempotency-key")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let value: Value = serde_json::from_slice(&body).unwrap_or_default();
    let in_body = value["idempotencyKey"].as_str().unwrap_or_default();
    receiver
        .keys
        .lock()
        .unwrap()
        .push((header.to_owned(), in_body.to_owned()));
    let mut failures = receiver.failures.lock().unwrap();
    if *failures > 0 {
        *failures -= 1;
        return StatusCode::SERVICE_UNAVAILABLE;
    }
    receiver.accepted.lock().unwrap().push((headers, body));
    StatusCode::OK
}

async fn serve(receiver: Receiver) -> anyhow::Result<String> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hooks", listener.local_addr()?);
    let moved = url.clone();
    let app = Router::new()
        .route("/hooks", post(receive))
        // A receiver that moved: 307 keeps the method and the body.
        .route(
            "/moved",
            post(move || async move {
                (
                    StatusCode::TEMPORARY_REDIRECT,
                    [(axum::http::header::LOCATION, moved)],
                )
            }),
        )
        .with_state(receiver);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok(url)
}

async fn a_failing_receiver_gets_every_webhook_once_it_recovers(
    url: Option<String>,
) -> anyhow::Result<()> {
    let ctx = Ctx::start(url, engine_config(), |e| {
        e.account().generate(&GenerateSpec::default()).unwrap()
    })
    .await?;
    let receiver = Receiver {
        failures: Arc::new(Mutex::new(5)),
        ..Receiver::default()
    };
    let hook = serve(receiver.clone()).await?;
    let settings = ctx
        .engine
        .set_webhook_settings(WebhookSettingsUpdate {
            primary_url: Some(Some(WebhookUrl::parse(&hook)?)),
            ..WebhookSettingsUpdate::default()
        })
        .await?;
    let connection = ctx.connect("delivery", json!({})).await?;
    for sync in ["databases", "schemas", "tables"] {
        ctx.run(connection, sync).await?;
    }
    // Only the dispatcher has work: no scheduled runs add webhooks meanwhile.
    ctx.engine
        .pause(&snowgate_engine::SyncTarget::Connection(connection), &[])
        .await?;
    let shutdown = CancellationToken::new();
    let mut tasks = ctx
        .engine
        .spawn_background(ProcessRole::Worker, shutdown.clone());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let pending = ctx
            .store
            .list_deliveries(&DeliveryFilter {
                status: Some(DeliveryStatus::Pending),
                limit: 100,
                ..DeliveryFilter::default()
            })
            .await?;
        let accepted = receiver.accepted.lock().unwrap().len();
        if pending.is_empty() && accepted >= 4 {
            break;
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "webhooks still pending"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shutdown.cancel();
    while tasks.join_next().await.is_some() {}

    let key = SigningKey::new(settings.signing_key.expose_secret().as_bytes());
    let accepted = receiver.accepted.lock().unwrap().clone();
    let mut keys = Vec::new();
    for (headers, body) in &accepted {
        let signature = headers["x-nango-hmac-sha256"].to_str()?;
        assert!(
            key.verify(body, signature),
            "signed with the environment's key"
        );
        assert_eq!(headers["content-type"], "application/json");
        let value: Value = serde_json::from_slice(body)?;
        keys.push(value["idempotencyKey"].as_str().unwrap().to_owned());
    }
    let unique: std::collections::BTreeSet<&String> = keys.iter().collect();
    assert_eq!(
        unique.len(),
        keys.len(),
        "no webhook accepted twice: {keys:?}"
    );
    let delivered = ctx
        .store
        .list_deliveries(&DeliveryFilter {
            limit: 1000,
            ..DeliveryFilter::default()
        })
        .await?;
    assert_eq!(accepted.len(), 4, "auth creation and three sync webhooks");
    assert_eq!(
        delivered.len(),
        accepted.len(),
        "every webhook reached the receiver"
    );
    assert!(
        delivered
            .iter()
            .all(|d| d.status == DeliveryStatus::Delivered)
    );
    assert!(*receiver.attempts.lock().unwrap() >= accepted.len() + 5);
    let retried = delivered
        .iter()
        .find(|d| d.kind == "auth")
        .expect("the auth webhook");
    let attempts = ctx.store.delivery_attempts(retried.id).await?;
    assert!(
        attempts.len() >= 2,
        "the first attempts failed: {attempts:?}"
    );
    assert_eq!(attempts[0].http_status, Some(503));
    assert_eq!(attempts.last().unwrap().http_status, Some(200));
    // One key per attempt, in the header as in the body; retries repeat their delivery's key,
    // so the keys seen are exactly the accepted ones.
    let pairs = receiver.keys.lock().unwrap().clone();
    assert!(
        pairs.iter().all(|(header, body)| header == body),
        "{pairs:?}"
    );
    let seen: std::collections::BTreeSet<String> =
        pairs.into_iter().map(|(header, _)| header).collect();
    assert_eq!(seen, keys.iter().cloned().collect());
    assert!(delivered.iter().all(|d| seen.contains(&d.idempotency_id)));
    Ok(())
}

async fn undeliverable_webhooks_die_and_can_be_redelivered(
    url: Option<String>,
) -> anyhow::Result<()> {
    let mut config = engine_config();
    config.webhooks.max_attempts = 2;
    let ctx = Ctx::start(url, config, |_| ()).await?;
    let receiver = Receiver {
        failures: Arc::new(Mutex::new(2)),
        ..Receiver::default()
    };
    let hook = serve(receiver.clone()).await?;
    ctx.engine
        .set_webhook_settings(WebhookSettingsUpdate {
            primary_url: Some(Some(WebhookUrl::parse(&hook)?)),
            ..WebhookSettingsUpdate::default()
        })
        .await?;
    let connection = ctx.connect("dead", json!({})).await?;
    ctx.engine
        .pause(&snowgate_engine::SyncTarget::Connection(connection), &[])
        .await?;
    let shutdown = CancellationToken::new();
    let mut tasks = ctx
        .engine
        .spawn_background(ProcessRole::Worker, shutdown.clone());
    let auth = loop {
        let deliveries = ctx
            .store
            .list_deliveries(&DeliveryFilter {
                limit: 100,
                ..DeliveryFilter::default()
            })
            .await?;
        let auth = deliveries.into_iter().find(|d| d.kind == "auth").unwrap();
        if auth.status == DeliveryStatus::Dead {
            break auth;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(auth.attempts, 2);
    assert!(ctx.engine.redeliver(auth.id).await?);
    loop {
        if ctx.store.delivery(auth.id).await?.unwrap().status == DeliveryStatus::Delivered {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    shutdown.cancel();
    while tasks.join_next().await.is_some() {}
    assert_eq!(receiver.accepted.lock().unwrap().len(), 1);
    // The redelivery is the same webhook: the key of the failed attempts.
    assert_eq!(
        *receiver.keys.lock().unwrap(),
        vec![(auth.idempotency_id.clone(), auth.idempotency_id.clone()); 3]
    );
    Ok(())
}

async fn a_redirect_fails_the_attempt_by_default(url: Option<String>) -> anyhow::Result<()> {
    redirected_delivery(url, false).await
}

async fn a_redirect_is_followed_when_configured(url: Option<String>) -> anyhow::Result<()> {
    redirected_delivery(url, true).await
}

/// A receiver whose URL answers `307` to its real address: the delivery fails with the 3xx unless
/// `follow_redirects` is on, and then is delivered there.
async fn redirected_delivery(url: Option<String>, follow: bool) -> anyhow::Result<()> {
    {
        let mut config = engine_config();
        config.webhooks.max_attempts = 1;
        config.webhooks.follow_redirects = follow;
        let ctx = Ctx::start(url, config, |_| ()).await?;
        let receiver = Receiver::default();
        let hook = serve(receiver.clone()).await?.replace("/hooks", "/moved");
        ctx.engine
            .set_webhook_settings(WebhookSettingsUpdate {
                primary_url: Some(Some(WebhookUrl::parse(&hook)?)),
                ..WebhookSettingsUpdate::default()
            })
            .await?;
        let connection = ctx.connect("moved", json!({})).await?;
        ctx.engine
            .pause(&snowgate_engine::SyncTarget::Connection(connection), &[])
            .await?;
        let shutdown = CancellationToken::new();
        let mut tasks = ctx
            .engine
            .spawn_background(ProcessRole::Worker, shutdown.clone());
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let auth = loop {
            let deliveries = ctx
                .store
                .list_deliveries(&DeliveryFilter {
                    limit: 100,
                    ..DeliveryFilter::default()
                })
                .await?;
            let auth = deliveries.into_iter().find(|d| d.kind == "auth").unwrap();
            if auth.status != DeliveryStatus::Pending {
                break auth;
            }
            anyhow::ensure!(tokio::time::Instant::now() < deadline, "still pending");
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        shutdown.cancel();
        while tasks.join_next().await.is_some() {}
        let attempts = ctx.store.delivery_attempts(auth.id).await?;
        let accepted = receiver.accepted.lock().unwrap().len();
        if follow {
            assert_eq!(auth.status, DeliveryStatus::Delivered, "{attempts:?}");
            assert_eq!(attempts[0].http_status, Some(200));
            assert_eq!(accepted, 1);
        } else {
            assert_eq!(auth.status, DeliveryStatus::Dead, "{attempts:?}");
            assert_eq!(attempts[0].http_status, Some(307));
            assert!(
                attempts[0]
                    .error
                    .as_deref()
                    .is_some_and(|error| error.contains("follow_redirects")),
                "{attempts:?}"
            );
            assert_eq!(accepted, 0, "the redirect was not followed");
        }
    }
    Ok(())
}
