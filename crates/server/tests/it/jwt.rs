//! `POST /auth/jwt/{integration}` against a real (emulated) Snowflake: the credentials check and
//! its causes, sessions, reconnects, and the credentials permission.

use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{App, Backend, INTEGRATION, Snowflake, api_tests, send, spawn};

api_tests!(connect_through_a_session);

async fn post_auth(app: &App, query: &str, body: &Value) -> (u16, Value) {
    send(
        app.anonymous(Method::POST, &format!("/auth/jwt/{INTEGRATION}?{query}"))
            .json(body),
    )
    .await
}

async fn connect_through_a_session(backend: Backend) -> anyhow::Result<()> {
    let snowflake = Snowflake::start().await?;
    let app = spawn(backend, |config| config.api.read_credentials = true).await?;
    let token = app
        .session_token(snowflake.pinned(json!({"tags": {"end_user_id": "u_1"}, "webhook_url_override": "https://app.example/hooks"})))
        .await;
    let (status, body) = post_auth(
        &app,
        &format!("connect_session_token={token}&user_scope="),
        &snowflake.credentials(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["providerConfigKey"], INTEGRATION);
    let connection_id = body["connectionId"].as_str().unwrap();
    assert!(
        uuid::Uuid::parse_str(connection_id).is_ok(),
        "a generated UUID: {connection_id}"
    );

    let (_, connection) = app
        .get(&format!(
            "/connections/{connection_id}?provider_config_key={INTEGRATION}&force_refresh=true"
        ))
        .await;
    assert_eq!(connection["tags"], json!({"end_user_id": "u_1"}));
    assert_eq!(
        connection["webhook_url_override"],
        "https://app.example/hooks"
    );
    assert_eq!(connection["metadata"], json!({}));
    let credentials = &connection["credentials"];
    assert_eq!(credentials["type"], "JWT");
    assert_eq!(credentials["userName"], "ALICE");
    assert!(
        credentials["token"]
            .as_str()
            .is_some_and(|token| token.split('.').count() == 3),
        "{credentials}"
    );
    assert!(credentials["expires_at"].as_str().unwrap().ends_with('Z'));
    assert!(
        credentials["privateKey"]
            .as_str()
            .unwrap()
            .contains("PRIVATE KEY")
    );

    // connection_id is forbidden with a session token.
    let (status, body) = post_auth(
        &app,
        &format!("connect_session_token={token}&connection_id=mine"),
        &snowflake.credentials(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["error"]["errors"],
        json!([{"code": "custom", "path": ["connection_id"], "message": "connection_id is forbidden when using session token"}])
    );
    assert_eq!(body["error"]["code"], "invalid_query_params");

    // The secret key may choose the id.
    let (status, body) = send(
        app.request(
            Method::POST,
            &format!(
                "/auth/jwt/{INTEGRATION}?connection_id=mine&{}",
                snowflake.params()
            ),
        )
        .json(&snowflake.credentials()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["connectionId"], "mine");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failures_name_their_cause() -> anyhow::Result<()> {
    let snowflake = Snowflake::start().await?;
    let app = spawn(Backend::Sqlite, |_| {}).await?;
    let token = app
        .session_token(snowflake.pinned(json!({"tags": {}})))
        .await;
    let query = format!("connect_session_token={token}");

    // A key that is not registered for the user.
    let stranger =
        snowgate_emulator::GeneratedKey::generate().map_err(|_| anyhow::anyhow!("keygen"))?;
    let mut body = snowflake.credentials();
    body["privateKey"] = json!(stranger.private_key_pem);
    let (status, unregistered) = post_auth(&app, &query, &body).await;
    assert_eq!(status, 400, "{unregistered}");
    assert_eq!(unregistered["error"]["code"], "connection_test_failed");
    let unregistered = unregistered["error"]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        !unregistered.contains("BEGIN"),
        "no key in errors: {unregistered}"
    );

    // A disabled user.
    snowflake
        .emulator
        .admin("ALTER USER ALICE SET DISABLED = TRUE")?;
    let (status, disabled) = post_auth(&app, &query, &snowflake.credentials()).await;
    snowflake
        .emulator
        .admin("ALTER USER ALICE SET DISABLED = FALSE")?;
    assert_eq!(status, 400, "{disabled}");
    assert_eq!(disabled["error"]["code"], "connection_test_failed");
    let disabled = disabled["error"]["message"].as_str().unwrap().to_owned();

    // An unreachable host.
    let closed = app
        .session_token(json!({"tags": {}, "integrations_config_defaults": {INTEGRATION: {"connection_config": {"base_url": "http://127.0.0.1:9"}}}}))
        .await;
    let (status, unreachable) = post_auth(
        &app,
        &format!("connect_session_token={closed}"),
        &snowflake.credentials(),
    )
    .await;
    assert_eq!(status, 400, "{unreachable}");
    assert_eq!(unreachable["error"]["code"], "connection_test_failed");
    let unreachable = unreachable["error"]["message"].as_str().unwrap().to_owned();

    // Each cause has its own message, not one vague sentence.
    assert_ne!(unregistered, disabled);
    assert_ne!(disabled, unreachable);
    assert_ne!(unregistered, unreachable);

    // Missing fields and bad keys are precise 400s; nothing was created.
    let mut body = snowflake.credentials();
    body.as_object_mut().unwrap().remove("userName");
    let (status, missing) = post_auth(&app, &query, &body).await;
    assert_eq!(status, 400, "{missing}");
    assert_eq!(missing["error"]["code"], "invalid_body");
    let mut body = snowflake.credentials();
    body["privateKey"] = json!("-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----");
    let (status, garbage) = post_auth(&app, &query, &body).await;
    assert_eq!(status, 400, "{garbage}");
    assert_eq!(garbage["error"]["code"], "invalid_credentials");
    let (_, list) = app.get("/connections").await;
    assert_eq!(list["connections"], json!([]));

    // Integration checks.
    let (status, body) = send(
        app.anonymous(Method::POST, &format!("/auth/jwt/unknown-key?{query}"))
            .json(&snowflake.credentials()),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "unknown_provider_config");
    app.store
        .upsert_integration(&snowgate_store::NewIntegration {
            unique_key: "other".into(),
            provider: INTEGRATION.into(),
            display_name: None,
            config: json!({}),
        })
        .await?;
    use snowgate_store::Store as _;
    let limited = app
        .session_token(json!({"tags": {}, "allowed_integrations": ["other"]}))
        .await;
    let (status, body) = post_auth(
        &app,
        &format!("connect_session_token={limited}"),
        &snowflake.credentials(),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "integration_not_allowed");
    let (status, body) =
        post_auth(&app, snowflake.params().as_str(), &snowflake.credentials()).await;
    assert_eq!(status, 401, "no session and no key: {body}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn session_defaults_win_and_reconnects_keep_the_id() -> anyhow::Result<()> {
    let snowflake = Snowflake::start().await?;
    let app = spawn(Backend::Sqlite, |_| {}).await?;
    // The session pins the base URL: what the browser sends is overridden.
    let token = app
        .session_token(json!({"tags": {}, "integrations_config_defaults": {INTEGRATION: {"connection_config": {"base_url": snowflake.emulator.url()}}}}))
        .await;
    let (status, body) = post_auth(
        &app,
        &format!("connect_session_token={token}&params%5Bbase_url%5D=http%3A%2F%2F127.0.0.1%3A9"),
        &snowflake.credentials(),
    )
    .await;
    assert_eq!(status, 200, "session defaults win: {body}");
    let connection_id = body["connectionId"].as_str().unwrap().to_owned();

    let (status, created) = app
        .send_json(
            Method::POST,
            "/connect/sessions/reconnect",
            json!({"connection_id": connection_id, "integration_id": INTEGRATION}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let token = created["data"]["token"].as_str().unwrap();
    // The reconnect session keeps the connection's base URL pinned: the browser sends none.
    let (status, body) = post_auth(
        &app,
        &format!("connect_session_token={token}"),
        &snowflake.credentials(),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["connectionId"],
        connection_id.as_str(),
        "a reconnect keeps the id"
    );
    let (_, list) = app.get("/connections").await;
    assert_eq!(list["connections"].as_array().unwrap().len(), 1);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_browser_cannot_choose_the_host() -> anyhow::Result<()> {
    let snowflake = Snowflake::start().await?;
    let app = spawn(Backend::Sqlite, |_| {}).await?;
    let token = app.session_token(json!({"tags": {}})).await;
    let (status, body) = post_auth(
        &app,
        &format!("connect_session_token={token}&{}", snowflake.params()),
        &snowflake.credentials(),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_connection_config");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("integrations_config_defaults"),
        "says how to fix it: {message}"
    );
    let (_, list) = app.get("/connections").await;
    assert_eq!(
        list["connections"].as_array().unwrap().len(),
        0,
        "nothing was created"
    );

    // The app, with its secret key, may still point a connection anywhere.
    let (status, body) = send(
        app.request(
            Method::POST,
            &format!("/auth/jwt/{INTEGRATION}?{}", snowflake.params()),
        )
        .json(&snowflake.credentials()),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    Ok(())
}
