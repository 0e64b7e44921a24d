//! Input refused at the edge, and every error in Nango's envelope, whoever writes it (a handler,
//! axum's fallbacks and extractors, or hyper before axum sees the request).

use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{App, Backend, INTEGRATION, api_tests, send, spawn};

api_tests!(
    nul_bytes_are_refused_naming_the_parameter,
    every_error_is_in_the_envelope,
    telemetry_needs_a_session_and_a_small_body,
    webhook_urls_are_refused_unless_sane
);

/// Asserts the envelope with `code` and returns the error object.
#[track_caller]
fn envelope(status: u16, body: &Value, expected_status: u16, code: &str) -> Value {
    assert_eq!(status, expected_status, "{body}");
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|message| !message.is_empty()),
        "{body}"
    );
    body["error"].clone()
}

async fn nul_bytes_are_refused_naming_the_parameter(backend: Backend) -> anyhow::Result<()> {
    let app = spawn(backend, |_| {}).await?;
    app.connection("c1", json!({})).await?;
    let uri_param = |error: &Value| error["errors"][0]["path"][0].clone();
    for method in [Method::GET, Method::DELETE] {
        let (status, body) = send(app.request(
            method,
            &format!("/connections/%00?provider_config_key={INTEGRATION}"),
        ))
        .await;
        let error = envelope(status, &body, 400, "invalid_uri_params");
        assert_eq!(uri_param(&error), "connectionId");
    }
    let (status, body) = app.get("/operations/%00").await;
    assert_eq!(
        uri_param(&envelope(status, &body, 400, "invalid_uri_params")),
        "id"
    );
    for (path, parameter) in [
        ("/connections?search=%00", "search"),
        (
            &*format!(
                "/sync/status?provider_config_key={INTEGRATION}&syncs=tables&connection_id=%00"
            ),
            "connection_id",
        ),
    ] {
        let (status, body) = app.get(path).await;
        let error = envelope(status, &body, 400, "invalid_query_params");
        assert_eq!(uri_param(&error), parameter, "{path}");
    }
    let (status, body) = app.records("c1", "model=Table&ids=%00").await;
    assert_eq!(
        uri_param(&envelope(status, &body, 400, "invalid_query_params")),
        "ids"
    );
    // A JSON string holding NUL that would reach SQL.
    let (status, body) = app
        .send_json(
            Method::POST,
            "/connections/metadata",
            json!({"connection_id": "c1", "provider_config_key": INTEGRATION, "metadata": {"note": "a\u{0}b"}}),
        )
        .await;
    let error = envelope(status, &body, 400, "invalid_body");
    assert_eq!(error["errors"][0]["path"], json!(["metadata", "note"]));
    // The connection is untouched and the server well.
    let (status, body) = app
        .get(&format!(
            "/connections/c1?provider_config_key={INTEGRATION}"
        ))
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["metadata"], json!({}));
    app.stop().await;
    Ok(())
}

/// Sends raw bytes and returns the answer's status and JSON body.
async fn raw(app: &App, request: &[u8]) -> anyhow::Result<(u16, Value)> {
    let address = app.url.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await?;
    // The server may answer (and stop reading) before it has read everything.
    let _ = stream.write_all(request).await;
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await?;
    let text = String::from_utf8_lossy(&answer);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head.get(9..12).unwrap_or("0").parse()?;
    Ok((
        status,
        serde_json::from_str(body).unwrap_or(Value::String(body.to_owned())),
    ))
}

async fn every_error_is_in_the_envelope(backend: Backend) -> anyhow::Result<()> {
    let app = spawn(backend, |_| {}).await?;
    // Invalid UTF-8 in a path segment (was plain text from axum's extractor).
    let (status, body) = app
        .get(&format!(
            "/connections/%FF%FE?provider_config_key={INTEGRATION}"
        ))
        .await;
    envelope(status, &body, 400, "invalid_uri_params");
    // A 100 KB query string (was an empty 414 from hyper).
    let long = "a".repeat(100_000);
    let request = format!("GET /connections?search={long} HTTP/1.1\r\nHost: x\r\n\r\n");
    let (status, body) = raw(&app, request.as_bytes()).await?;
    envelope(status, &body, 414, "uri_too_long");
    // A 1 MB header (was an empty 431 from hyper).
    let big = "b".repeat(1 << 20);
    let request = format!("GET /connections HTTP/1.1\r\nHost: x\r\nx-big: {big}\r\n\r\n");
    let (status, body) = raw(&app, request.as_bytes()).await?;
    envelope(status, &body, 431, "request_header_fields_too_large");
    // A request hyper cannot parse (was an empty 400).
    let (status, body) = raw(
        &app,
        b"GET /connections HTTP/1.1\r\nHost: x\r\nbad header\r\n\r\n",
    )
    .await?;
    envelope(status, &body, 400, "invalid_request");
    // axum's fallbacks and a bad JSON document.
    let (status, body) = app.get("/no/such/route").await;
    envelope(status, &body, 404, "not_found");
    let (status, body) = send(app.request(Method::PUT, "/connections")).await;
    envelope(status, &body, 405, "method_not_allowed");
    let (status, body) = send(
        app.request(Method::POST, "/connections/metadata")
            .header("content-type", "application/json")
            .body("{\"connection_id\":"),
    )
    .await;
    envelope(status, &body, 400, "invalid_body");
    // A body over the route's limit.
    let (status, body) = send(
        app.request(Method::PATCH, "/connection/c1/metadata")
            .header("provider-config-key", INTEGRATION)
            .body(vec![b' '; 3 << 20]),
    )
    .await;
    envelope(status, &body, 413, "payload_too_large");
    // The server is still up (asked on a new connection: the one that sent the refused body is
    // closed by the server).
    let (status, body) = send(
        reqwest::Client::new()
            .get(format!("{}/connections", app.url))
            .bearer_auth(&app.key),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    app.stop().await;
    Ok(())
}

async fn telemetry_needs_a_session_and_a_small_body(backend: Backend) -> anyhow::Result<()> {
    let app = spawn(backend, |_| {}).await?;
    let event = json!({"event": "open", "timestamp": "2026-12-02T08:00:00.000Z"});
    let (status, body) = send(
        app.anonymous(Method::POST, "/connect/telemetry")
            .json(&event),
    )
    .await;
    envelope(status, &body, 401, "missing_auth_header");
    let forged =
        json!({"token": format!("nango_connect_session_{}", "0".repeat(64)), "event": "open"});
    let (status, body) = send(
        app.anonymous(Method::POST, "/connect/telemetry")
            .json(&forged),
    )
    .await;
    envelope(status, &body, 401, "unknown_connect_session_token");
    let token = app
        .session_token(json!({"tags": {"end_user_id": "u1"}}))
        .await;
    let mut with_token = event.clone();
    with_token["token"] = json!(token);
    let (status, body) = send(
        app.anonymous(Method::POST, "/connect/telemetry")
            .json(&with_token),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    let (status, body) = send(
        app.anonymous(Method::POST, "/connect/telemetry")
            .bearer_auth(&token)
            .json(&event),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    let mut huge = with_token.clone();
    huge["dimensions"] = json!({"padding": "x".repeat(100_000)});
    let (status, body) = send(
        app.anonymous(Method::POST, "/connect/telemetry")
            .json(&huge),
    )
    .await;
    envelope(status, &body, 413, "payload_too_large");
    app.stop().await;
    Ok(())
}

/// Webhook URLs (the environment's settings, a connection's override, a session's override): a
/// header injection, a 100 KB host or a relative URL is a 400 that says what is wrong.
async fn webhook_urls_are_refused_unless_sane(backend: Backend) -> anyhow::Result<()> {
    let app = spawn(backend, |_| {}).await?;
    app.connection("c1", json!({})).await?;
    let huge = format!("http://{}.example/hooks", "h".repeat(100_000));
    for (url, problem) in [
        (
            "http://127.0.0.1:3999/a\r\nX-Injected: 1",
            "control character",
        ),
        (huge.as_str(), "at most 2048 bytes"),
        ("/hooks", "not an absolute URL"),
        ("ftp://app.example/hooks", "ftp:"),
    ] {
        let mut requests = vec![
            (
                Method::PATCH,
                "/webhooks/settings".to_owned(),
                json!({"primary_url": url}),
            ),
            (
                Method::PATCH,
                "/webhooks/settings".to_owned(),
                json!({"secondary_url": url}),
            ),
            (
                Method::PATCH,
                format!("/connections/c1?provider_config_key={INTEGRATION}"),
                json!({"webhook_url_override": url}),
            ),
        ];
        requests.push((
            Method::POST,
            "/connect/sessions".to_owned(),
            json!({"tags": {"end_user_id": "u1"}, "webhook_url_override": url}),
        ));
        for (method, path, body) in requests {
            let (status, answer) = app.send_json(method, &path, body).await;
            let error = envelope(status, &answer, 400, "invalid_body");
            assert!(
                error["message"]
                    .as_str()
                    .is_some_and(|message| message.contains(problem)),
                "{path}: {answer}"
            );
            assert!(
                !answer.to_string().contains("hhhhhhhh"),
                "the URL is not echoed"
            );
        }
    }
    let (status, settings) = app.get("/webhooks/settings").await;
    assert_eq!(status, 200, "{settings}");
    assert_eq!(settings["primary_url"], Value::Null, "nothing was stored");
    let (status, answer) = app
        .send_json(
            Method::PATCH,
            "/webhooks/settings",
            json!({"primary_url": "https://app.example/hooks"}),
        )
        .await;
    assert_eq!(status, 200, "{answer}");
    app.stop().await;
    Ok(())
}
