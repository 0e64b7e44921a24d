//! Authentication, the error envelope, strict parsing, rate limits, CORS.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::{Backend, send, spawn};

#[tokio::test]
async fn every_auth_failure_has_its_code_and_envelope() -> anyhow::Result<()> {
    let app = spawn(Backend::Sqlite, |_| {}).await?;
    let cases = [
        (None, "missing_auth_header"),
        (Some("Basic abc"), "malformed_auth_header"),
        (Some("Bearer not-a-uuid"), "invalid_secret_key_format"),
        (
            Some("Bearer 3f0c5a1e-1111-4111-8111-111111111111"),
            "unknown_account",
        ),
        (
            Some("Bearer nango_connect_session_xyz"),
            "invalid_connect_session_token_format",
        ),
        (
            Some(&*format!("Bearer nango_connect_session_{}", "a".repeat(64))),
            "unknown_connect_session_token",
        ),
    ];
    for (header, code) in cases {
        // `/integrations` accepts a key or a session token, so every failure is reachable.
        let mut request = app.anonymous(Method::GET, "/integrations");
        if let Some(header) = header {
            request = request.header("authorization", header);
        }
        let (status, body) = send(request).await;
        assert_eq!(status, 401, "{code}: {body}");
        assert_eq!(body["error"]["code"], code);
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with("Authentication failed."), "{message}");
        assert!(
            !message.contains("3f0c5a1e"),
            "the key is never echoed: {message}"
        );
    }
    // The right key passes.
    let (status, body) = app.get("/integrations").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["data"][0]["unique_key"], "snowflake-jwt",
        "the integration exists from the start"
    );
    Ok(())
}

#[tokio::test]
async fn a_session_token_is_not_a_secret_key() -> anyhow::Result<()> {
    let app = spawn(Backend::Sqlite, |_| {}).await?;
    app.connection("c1", json!({})).await?;
    let (_, created) = app
        .send_json(
            Method::POST,
            "/connect/sessions",
            json!({"tags": {"end_user_id": "u1"}}),
        )
        .await;
    let token = created["data"]["token"].as_str().unwrap().to_owned();
    // Key-only routes refuse a session token.
    let (status, body) = send(
        app.anonymous(Method::GET, "/connections")
            .bearer_auth(&token),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"]["code"], "invalid_secret_key_format");
    Ok(())
}

#[tokio::test]
async fn strict_queries_bodies_and_content_types() -> anyhow::Result<()> {
    let app = spawn(Backend::Sqlite, |_| {}).await?;
    let (status, body) = app.get("/integrations?surprise=1").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_query_params");
    assert_eq!(body["error"]["errors"][0]["path"], json!(["surprise"]));

    let (status, body) = app
        .send_json(
            Method::POST,
            "/connect/sessions",
            json!({"tags": {}, "tgas": {}}),
        )
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_body");
    assert_eq!(body["error"]["errors"][0]["code"], "unrecognized_keys");

    let (status, body) = app
        .send_json(Method::POST, "/connect/sessions", json!({"tags": {"a": 1}}))
        .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["errors"][0]["path"], json!(["tags", "a"]));

    let (status, body) = send(
        app.request(Method::POST, "/connect/sessions")
            .header("content-type", "text/plain")
            .body("{}"),
    )
    .await;
    assert_eq!(status, 415);
    assert_eq!(body["error"]["code"], "invalid_content_type");

    let (status, body) = app.get("/no/such/route").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "not_found");
    Ok(())
}

#[tokio::test]
async fn rate_limit_headers_and_429() -> anyhow::Result<()> {
    let app = spawn(Backend::Sqlite, |config| {
        config.api.rate_limit_per_minute = 3.try_into().unwrap();
    })
    .await?;
    let response = app.request(Method::GET, "/integrations").send().await?;
    assert_eq!(response.status(), StatusCode::OK);
    let header = |name: &str| {
        response.headers()[name]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
    };
    assert_eq!(header("x-ratelimit-limit"), 3);
    assert_eq!(header("x-ratelimit-remaining"), 2);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let reset = header("x-ratelimit-reset");
    assert!(reset >= now && reset <= now + 61, "reset {reset} now {now}");
    for _ in 0..2 {
        app.request(Method::GET, "/integrations").send().await?;
    }
    let response = app
        .request(Method::GET, "/records?model=Table")
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = response.headers()["retry-after"].to_str()?.parse()?;
    assert!((1..=20).contains(&retry_after), "{retry_after}");
    assert_eq!(response.headers()["x-ratelimit-remaining"], "0");
    let body: serde_json::Value = response.json().await?;
    assert_eq!(
        body,
        json!({"error": {"code": "too_many_request", "method": "GET", "path": "/records"}})
    );
    Ok(())
}

#[tokio::test]
async fn cors_as_nango() -> anyhow::Result<()> {
    let app = spawn(Backend::Sqlite, |_| {}).await?;
    let response = app
        .anonymous(Method::OPTIONS, "/connect/session")
        .header("origin", "https://app.example")
        .header("access-control-request-method", "GET")
        .header(
            "access-control-request-headers",
            "authorization,nango-is-sync,connection-id",
        )
        .send()
        .await?;
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    let allowed = response.headers()["access-control-allow-headers"]
        .to_str()?
        .to_lowercase();
    for header in [
        "authorization",
        "provider-config-key",
        "connection-id",
        "nango-is-sync",
        "sentry-trace",
        "baggage",
    ] {
        assert!(allowed.contains(header), "{header} in {allowed}");
    }
    let response = app
        .request(Method::GET, "/integrations")
        .header("origin", "https://app.example")
        .send()
        .await?;
    assert_eq!(response.headers()["access-control-allow-origin"], "*");
    Ok(())
}
