//! Connect sessions, integrations and providers, as the Connect UI and the SDK use them.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde_json::{Value, json};

use crate::support::{App, Backend, INTEGRATION, api_tests, send, spawn};

api_tests!(session_lifecycle, reconnect_sessions);

async fn session(app: &App, body: Value) -> (u16, Value) {
    app.send_json(Method::POST, "/connect/sessions", body).await
}

async fn session_lifecycle(backend: Backend) -> anyhow::Result<()> {
    let app = spawn(backend, |_| {}).await?;
    app.connection("existing", json!({})).await?;
    let (status, created) = session(
        &app,
        json!({
            "tags": {"End_User_Id": "u_123", "end_user_email": "a@b.co"},
            "allowed_integrations": [INTEGRATION],
            "integrations_config_defaults": {INTEGRATION: {"connection_config": {"subdomain": "ACME-PROD"}}},
            "webhook_url_override": "https://app.example/hooks",
        }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let token = created["data"]["token"].as_str().unwrap().to_owned();
    let hex = token
        .strip_prefix("nango_connect_session_")
        .expect("prefixed");
    assert!(hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()));
    let link = created["data"]["connect_link"].as_str().unwrap();
    assert!(
        link.starts_with(&format!(
            "{}/connect/?session_token=nango_connect_session_",
            app.url
        )),
        "{link}"
    );
    assert!(
        link.contains(&format!("apiURL={}", urlencode(&app.url))),
        "{link}"
    );
    let expires: DateTime<Utc> = created["data"]["expires_at"].as_str().unwrap().parse()?;
    let minutes = (expires - Utc::now()).num_seconds();
    assert!((29 * 60..=30 * 60).contains(&minutes), "{minutes}");
    assert!(
        created["data"]["expires_at"]
            .as_str()
            .unwrap()
            .ends_with('Z')
    );

    // The Connect UI reads its session, the integrations and the provider with the token.
    let (status, read) = send(
        app.anonymous(Method::GET, "/connect/session")
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(read["data"]["endUser"], Value::Null);
    assert_eq!(read["data"]["allowed_integrations"], json!([INTEGRATION]));
    assert_eq!(
        read["data"]["integrations_config_defaults"][INTEGRATION]["connection_config"]["subdomain"],
        "ACME-PROD"
    );
    assert!(read["data"].get("isReconnecting").is_none());
    assert_eq!(read["data"]["websocketsPath"], "/");

    let (status, integrations) = send(
        app.anonymous(Method::GET, "/integrations")
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(status, 200);
    let integration = &integrations["data"][0];
    assert_eq!(integration["unique_key"], INTEGRATION);
    assert_eq!(integration["display_name"], "Snowflake (JWT)");
    assert_eq!(
        integration["logo"],
        format!("{}/images/template-logos/snowflake-jwt.svg", app.url)
    );
    let logo = app
        .anonymous(Method::GET, "/images/template-logos/snowflake-jwt.svg")
        .send()
        .await?;
    assert_eq!(logo.headers()["content-type"], "image/svg+xml");

    let (status, provider) = send(
        app.anonymous(Method::GET, "/providers/snowflake-jwt")
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(provider["data"]["name"], "snowflake-jwt");
    assert_eq!(provider["data"]["auth_mode"], "JWT");
    assert_eq!(
        provider["data"]["connection_config"]["subdomain"]["order"],
        1
    );
    assert_eq!(
        provider["data"]["credentials"]["privateKey"]["secret"],
        true
    );
    assert_eq!(
        provider["data"]["proxy"]["verification"]["data"]["statement"],
        "SELECT CURRENT_TIMESTAMP"
    );
    let (status, unknown) = send(
        app.anonymous(Method::GET, "/providers/github")
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(status, 404);
    assert_eq!(
        unknown["error"],
        json!({"code": "not_found", "message": "Unknown provider github"})
    );
    let (_, search) = app.get("/providers?search=SNOWFLAKE").await;
    assert_eq!(search["data"].as_array().unwrap().len(), 1);
    let (_, search) = app.get("/providers?search=salesforce").await;
    assert_eq!(search["data"], json!([]));

    // `include` needs the secret key.
    let (status, body) = send(
        app.anonymous(Method::GET, "/integrations/snowflake-jwt?include=webhook")
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], "invalid_permissions");
    let (status, body) = app
        .get("/integrations/snowflake-jwt?include=webhook&include=credentials")
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["data"]["webhook_url"], Value::Null);
    assert!(
        body["data"]
            .as_object()
            .unwrap()
            .contains_key("credentials")
    );
    let (status, body) = app.get("/integrations/nope").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");

    // Telemetry is accepted; deleting the session ends it.
    let response = app
        .anonymous(Method::POST, "/connect/telemetry")
        .json(&json!({"token": token, "event": "open"}))
        .send()
        .await?;
    assert_eq!(response.status(), 204);
    let response = app
        .anonymous(Method::DELETE, "/connect/session")
        .bearer_auth(&token)
        .send()
        .await?;
    assert_eq!(response.status(), 204);
    let (status, body) = send(
        app.anonymous(Method::GET, "/connect/session")
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "unknown_connect_session_token");

    // Deprecated end_user: shown to the Connect UI, turned into tags.
    let (status, created) = session(
        &app,
        json!({"end_user": {"id": "u_9", "email": "x@y.z"}, "organization": {"id": "org_1"}}),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let token = created["data"]["token"].as_str().unwrap();
    let (_, read) = send(
        app.anonymous(Method::GET, "/connect/session")
            .bearer_auth(token),
    )
    .await;
    assert_eq!(read["data"]["endUser"]["id"], "u_9");
    assert_eq!(read["data"]["endUser"]["email"], "x@y.z");
    assert_eq!(read["data"]["endUser"]["organization"]["id"], "org_1");
    Ok(())
}

async fn reconnect_sessions(backend: Backend) -> anyhow::Result<()> {
    let app = spawn(backend, |_| {}).await?;
    app.connection("c-1", json!({"end_user_id": "u1"})).await?;
    let (status, body) = app
        .send_json(
            Method::POST,
            "/connect/sessions/reconnect",
            json!({"connection_id": "gone", "integration_id": INTEGRATION}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_connection");
    let (status, body) = app
        .send_json(
            Method::POST,
            "/connect/sessions/reconnect",
            json!({"integration_id": INTEGRATION}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["errors"][0]["path"], json!(["connection_id"]));
    let (status, body) = app
        .send_json(
            Method::POST,
            "/connect/sessions/reconnect",
            json!({"connection_id": "c-1", "integration_id": INTEGRATION, "bogus": 1}),
        )
        .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "invalid_body");
    let (status, created) = app
        .send_json(
            Method::POST,
            "/connect/sessions/reconnect",
            json!({"connection_id": "c-1", "integration_id": INTEGRATION}),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let token = created["data"]["token"].as_str().unwrap();
    let (_, read) = send(
        app.anonymous(Method::GET, "/connect/session")
            .bearer_auth(token),
    )
    .await;
    assert_eq!(read["data"]["isReconnecting"], true);
    assert_eq!(read["data"]["allowed_integrations"], json!([INTEGRATION]));
    Ok(())
}

#[tokio::test]
async fn sessions_validate_their_fields() -> anyhow::Result<()> {
    let app = spawn(Backend::Sqlite, |_| {}).await?;
    app.connection("c", json!({})).await?;
    let too_many: serde_json::Map<String, Value> =
        (0..11).map(|i| (format!("k{i}"), json!("v"))).collect();
    let cases = [
        (json!({}), "tags"),
        (json!({"tags": too_many}), "tags"),
        (json!({"tags": {"a": "x".repeat(256)}}), "tags.a"),
        (
            json!({"tags": {}, "allowed_integrations": ["github"]}),
            "allowed_integrations",
        ),
        (
            json!({"tags": {}, "overrides": {"github": {}}}),
            "overrides",
        ),
        (
            json!({"tags": {}, "webhook_url_override": "ftp://x"}),
            "webhook_url_override",
        ),
    ];
    for (body, path) in cases {
        let (status, answer) = session(&app, body.clone()).await;
        assert_eq!(status, 400, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], "invalid_body");
        let paths: Vec<String> = answer["error"]["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|error| {
                error["path"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| p.as_str().unwrap())
                    .collect::<Vec<_>>()
                    .join(".")
            })
            .collect();
        assert!(paths.contains(&path.to_owned()), "{path} in {paths:?}");
    }
    let (status, _) = app
        .send_json(Method::POST, "/connect/sessions?x=1", json!({"tags": {}}))
        .await;
    assert_eq!(status, 400);
    Ok(())
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
