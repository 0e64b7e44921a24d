//! Webhooks end to end: signed deliveries to a receiver that fails for a while and then recovers;
//! nothing is lost or duplicated (by idempotency key), and the history shows every attempt.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use axum::{body::Bytes, http::HeaderMap, http::StatusCode};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{Backend, INTEGRATION, Snowflake, api_tests, spawn};

api_tests!(a_failing_receiver_recovers_without_loss_or_duplicates);

/// What the receiver got: bodies it accepted, and how many requests it refused.
#[derive(Default)]
struct Received {
    accepted: Vec<(HeaderMap, Bytes)>,
    refused: usize,
}

async fn receiver(fail_first: usize) -> anyhow::Result<(String, Arc<Mutex<Received>>)> {
    let received = Arc::new(Mutex::new(Received::default()));
    let state = Arc::clone(&received);
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let state = Arc::clone(&state);
            async move {
                let mut received = state.lock().unwrap();
                if received.refused < fail_first {
                    received.refused += 1;
                    return StatusCode::SERVICE_UNAVAILABLE;
                }
                received.accepted.push((headers, body));
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/hooks", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((url, received))
}

fn hmac_hex(key: &str, body: &[u8]) -> String {
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, key.as_bytes());
    hex::encode(aws_lc_rs::hmac::sign(&key, body).as_ref())
}

async fn a_failing_receiver_recovers_without_loss_or_duplicates(
    backend: Backend,
) -> anyhow::Result<()> {
    let snowflake = Snowflake::start().await?;
    let (url, received) = receiver(6).await?;
    let app = spawn(backend, |config| {
        config.engine.webhooks.first_retry_delay_ms = 50;
        config.engine.webhooks.max_retry_delay_secs = 1;
        config.engine.webhooks.max_attempts = 40;
    })
    .await?;
    let (status, settings) = app
        .send_json(
            Method::PATCH,
            "/webhooks/settings",
            json!({"primary_url": url}),
        )
        .await;
    assert_eq!(status, 200, "{settings}");
    let signing_key = settings["signing_key"].as_str().unwrap().to_owned();
    assert_eq!(settings["on_auth_creation"], true);
    assert_eq!(settings["on_async_action_completion"], false);

    let connection = app.connect(&snowflake, json!({})).await;
    app.send_json(Method::POST, "/sync/trigger", json!({"provider_config_key": INTEGRATION, "connection_id": connection, "syncs": ["databases", "roles"]}))
        .await;
    app.wait_for_sync(&connection, "databases", "SUCCESS").await;
    app.wait_for_sync(&connection, "roles", "SUCCESS").await;

    // Wait until the outbox has nothing pending.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, pending) = app.get("/webhooks/deliveries?status=pending").await;
        let (_, all) = app.get("/webhooks/deliveries").await;
        if pending["deliveries"].as_array().unwrap().is_empty()
            && all["deliveries"].as_array().unwrap().len() >= 3
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "deliveries never finished: {pending}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, all) = app.get("/webhooks/deliveries").await;
    let deliveries = all["deliveries"].as_array().unwrap();
    assert!(
        deliveries.iter().all(|d| d["status"] == "delivered"),
        "{all}"
    );

    let (refused, accepted) = {
        let received = received.lock().unwrap();
        (received.refused, received.accepted.clone())
    };
    assert_eq!(refused, 6);
    let mut by_key: BTreeMap<String, Value> = BTreeMap::new();
    for (headers, body) in &accepted {
        let signature = headers["x-nango-hmac-sha256"].to_str()?;
        assert_eq!(
            signature,
            hmac_hex(&signing_key, body),
            "signed with the environment's key"
        );
        assert!(
            headers.contains_key("x-nango-signature"),
            "the legacy header too"
        );
        let payload: Value = serde_json::from_slice(body)?;
        assert_eq!(
            serde_json::to_vec(&payload)?.len(),
            body.len(),
            "compact JSON"
        );
        let key = payload["idempotencyKey"]
            .as_str()
            .expect("every payload has an idempotency key")
            .to_owned();
        assert!(
            by_key.insert(key.clone(), payload).is_none(),
            "{key} was delivered twice"
        );
    }
    assert_eq!(
        by_key.len(),
        deliveries.len(),
        "every delivery arrived once"
    );
    let kinds: Vec<(&str, &str)> = by_key
        .values()
        .map(|p| {
            (
                p["type"].as_str().unwrap(),
                p.get("model")
                    .or(p.get("operation"))
                    .and_then(Value::as_str)
                    .unwrap_or(""),
            )
        })
        .collect();
    assert!(kinds.contains(&("auth", "creation")), "{kinds:?}");
    assert!(kinds.contains(&("sync", "Database")), "{kinds:?}");
    assert!(kinds.contains(&("sync", "Role")), "{kinds:?}");
    for payload in by_key.values() {
        assert_eq!(payload["from"], "nango");
        assert_eq!(payload["connectionId"], connection.as_str());
        assert_eq!(payload["providerConfigKey"], INTEGRATION);
    }

    // The history shows the refused attempts.
    let retried: Vec<&Value> = deliveries
        .iter()
        .filter(|d| d["attempts"].as_i64().unwrap() > 1)
        .collect();
    assert!(!retried.is_empty());
    let (_, one) = app
        .get(&format!("/webhooks/deliveries/{}", retried[0]["id"]))
        .await;
    let history = one["attempts_history"].as_array().unwrap();
    assert!(history.iter().any(|a| a["http_status"] == 503), "{one}");
    assert_eq!(history.last().unwrap()["http_status"], 200);
    Ok(())
}
