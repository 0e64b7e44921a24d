//! The webhook deliveries API and the operations API over what the engine writes.

use chrono::Utc;
use reqwest::Method;
use serde_json::json;
use snowgate_store::{
    AttemptOutcome, AttemptResult, Level, NewDelivery, NewMessage, NewOperation, OperationKind,
    OperationStatus, Store,
};

use crate::support::{Backend, api_tests, spawn};

api_tests!(deliveries_list_and_redeliver, operations_and_messages);

async fn deliveries_list_and_redeliver(backend: Backend) -> anyhow::Result<()> {
    let app = spawn(backend, |_| {}).await?;
    let connection = app.connection("d", json!({})).await?;
    let now = Utc::now();
    let deliveries: Vec<NewDelivery> = ["a", "b"]
        .into_iter()
        .map(|id| NewDelivery {
            idempotency_id: format!("evt-{id}"),
            connection: Some(connection.id),
            kind: "sync".into(),
            url: "http://127.0.0.1:9/hook".into(),
            body: serde_json::to_vec(&json!({"from": "nango", "type": "sync", "id": id})).unwrap(),
            next_attempt_at: now,
        })
        .collect();
    assert_eq!(app.store.enqueue_deliveries(&deliveries).await?, 2);
    // One fails for good.
    let claimed = app
        .store
        .claim_deliveries(1, now + chrono::Duration::seconds(30), now)
        .await?;
    let failed = &claimed[0];
    app.store
        .record_attempt(
            failed,
            &AttemptResult {
                http_status: Some(500),
                error: Some("receiver answered 500".into()),
                duration_ms: 12,
            },
            AttemptOutcome::Dead,
            now,
        )
        .await?;
    let dead_id = failed.delivery.id.0;

    let (status, body) = app.get("/webhooks/deliveries?status=dead").await;
    assert_eq!(status, 200, "{body}");
    let dead = body["deliveries"].as_array().unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0]["id"], dead_id);
    assert_eq!(dead[0]["status"], "dead");
    assert_eq!(dead[0]["last_error"], "receiver answered 500");
    assert!(dead[0].get("body").is_none());
    let (_, body) = app
        .get("/webhooks/deliveries?connection_id=d&provider_config_key=snowflake-jwt&include=body")
        .await;
    assert_eq!(body["deliveries"].as_array().unwrap().len(), 2);
    assert_eq!(body["deliveries"][0]["body"]["from"], "nango");

    let (status, one) = app.get(&format!("/webhooks/deliveries/{dead_id}")).await;
    assert_eq!(status, 200);
    assert_eq!(one["attempts_history"][0]["http_status"], 500);
    assert_eq!(one["attempts_history"][0]["duration_ms"], 12);
    assert_eq!(one["body"]["type"], "sync");

    let (status, body) = app
        .send_json(
            Method::POST,
            &format!("/webhooks/deliveries/{dead_id}/redeliver"),
            json!({}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let (_, one) = app.get(&format!("/webhooks/deliveries/{dead_id}")).await;
    assert_eq!(one["status"], "pending");
    assert_eq!(one["attempts"], 0);
    assert_eq!(
        one["attempts_history"].as_array().unwrap().len(),
        1,
        "history is kept"
    );

    for (path, status, code) in [
        ("/webhooks/deliveries/999999", 404, "not_found"),
        ("/webhooks/deliveries/abc", 400, "invalid_uri_params"),
        (
            "/webhooks/deliveries?status=lost",
            400,
            "invalid_query_params",
        ),
        (
            "/webhooks/deliveries?connection_id=d",
            400,
            "invalid_query_params",
        ),
        (
            "/webhooks/deliveries?connection_id=x&provider_config_key=snowflake-jwt",
            400,
            "unknown_connection",
        ),
    ] {
        let (got, body) = app.get(path).await;
        assert_eq!(got, status, "{path}: {body}");
        assert_eq!(body["error"]["code"], code, "{path}");
    }
    let (status, _) = app
        .send_json(
            Method::POST,
            "/webhooks/deliveries/999999/redeliver",
            json!({}),
        )
        .await;
    assert_eq!(status, 404);
    Ok(())
}

async fn operations_and_messages(backend: Backend) -> anyhow::Result<()> {
    let app = spawn(backend, |_| {}).await?;
    let connection = app.connection("o", json!({})).await?;
    let now = Utc::now();
    let id = app
        .store
        .start_operation(&NewOperation {
            kind: OperationKind::Sync,
            connection: Some(connection.id),
            name: "tables".into(),
            started_at: now,
        })
        .await?;
    let messages: Vec<NewMessage> = (0..3)
        .map(|i| NewMessage {
            level: Level::Info,
            message: format!("batch {i} saved"),
            fields: Some(json!({"added": i})),
            at: now,
        })
        .collect();
    app.store.add_messages(&id, &messages).await?;
    app.store
        .finish_operation(
            &id,
            OperationStatus::Failed,
            Some(&json!({"error": "boom"})),
            now,
        )
        .await?;
    app.store
        .start_operation(&NewOperation {
            kind: OperationKind::Action,
            connection: None,
            name: "list-tables".into(),
            started_at: now,
        })
        .await?;

    let (status, body) = app.get("/operations?kind=sync&status=failed").await;
    assert_eq!(status, 200, "{body}");
    let operations = body["operations"].as_array().unwrap();
    assert_eq!(operations.len(), 1);
    assert_eq!(operations[0]["id"], id.as_str());
    assert_eq!(operations[0]["name"], "tables");
    assert_eq!(operations[0]["summary"]["error"], "boom");
    let (_, body) = app
        .get("/operations?connection_id=o&provider_config_key=snowflake-jwt")
        .await;
    assert_eq!(body["operations"].as_array().unwrap().len(), 1);
    let (_, body) = app.get("/operations").await;
    assert_eq!(body["operations"].as_array().unwrap().len(), 2);

    let (status, one) = app.get(&format!("/operations/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(one["status"], "failed");
    let (_, page) = app.get(&format!("/operations/{id}/messages?limit=2")).await;
    let first = page["messages"].as_array().unwrap();
    assert_eq!(first.len(), 2);
    assert_eq!(first[0]["message"], "batch 0 saved");
    let after = first[1]["id"].as_i64().unwrap();
    let (_, page) = app
        .get(&format!("/operations/{id}/messages?after={after}"))
        .await;
    assert_eq!(page["messages"][0]["message"], "batch 2 saved");
    assert_eq!(page["messages"][0]["fields"], json!({"added": 2}));

    let (status, body) = app.get("/operations/nope").await;
    assert_eq!(status, 404, "{body}");
    let (status, body) = app.get("/operations?kind=party").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_query_params");
    Ok(())
}
