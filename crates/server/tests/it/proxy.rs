//! The proxy over a real (emulated) Snowflake: injection, retries, streaming, and that nothing a
//! caller sends reaches another host.

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use reqwest::Method;
use serde_json::json;

use crate::support::{Backend, INTEGRATION, Snowflake, send, spawn};

/// A loopback server that counts every request it gets: the "other host" nothing may reach.
async fn bystander() -> anyhow::Result<(String, Arc<AtomicUsize>)> {
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&hits);
    let app = axum::Router::new().fallback(move || {
        counter.fetch_add(1, Ordering::SeqCst);
        async { "bystander" }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    tokio::spawn(async move { axum::serve(listener, app).await });
    Ok((address.to_string(), hits))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forwards_with_the_connections_jwt_and_retries() -> anyhow::Result<()> {
    let snowflake = Snowflake::start().await?;
    // The API alone: no sync or health check may take the emulator's injected failures.
    let app = spawn(Backend::Sqlite, |config| {
        config.role = snowgate_engine::ProcessRole::Api
    })
    .await?;
    let connection = app.connect(&snowflake, json!({})).await;
    let statement = |retries: &str| {
        app.request(Method::POST, "/proxy/api/v2/statements")
            .header("Connection-Id", &connection)
            .header("Provider-Config-Key", INTEGRATION)
            .header("Base-Url-Override", "")
            .header("Nango-Activity-Log-Id", "")
            .header("Retries", retries)
            .header("Nango-Proxy-X-Snowflake-Client", "nango-node")
            .json(&json!({"statement": "SELECT 1 AS ONE"}))
    };
    let response = statement("0").send().await?;
    assert_eq!(response.status(), 200);
    assert!(
        response
            .headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
    let body: serde_json::Value = response.json().await?;
    assert_eq!(body["data"], json!([["1"]]), "{body}");
    assert_eq!(body["code"], "090001");

    // One injected 503: retried with Retries: 1, passed back without.
    snowflake
        .emulator
        .faults()
        .update(|faults| faults.fail_next = 1)?;
    let response = statement("1").send().await?;
    assert_eq!(response.status(), 200);
    snowflake
        .emulator
        .faults()
        .update(|faults| faults.fail_next = 1)?;
    let response = statement("0").send().await?;
    assert_eq!(
        response.status(),
        503,
        "Snowflake's status is passed back unchanged"
    );

    // The connection's own base URL is allowed as an override.
    let response = statement("0")
        .header("Base-Url-Override", snowflake.emulator.url())
        .send()
        .await?;
    assert_eq!(response.status(), 200);

    let (status, body) = send(
        app.request(Method::GET, "/proxy/api/v2/statements/x")
            .header("Provider-Config-Key", INTEGRATION),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_headers");
    let (status, body) = send(
        app.request(Method::GET, "/proxy/api/v2/statements/x")
            .header("Connection-Id", "ghost")
            .header("Provider-Config-Key", INTEGRATION),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "unknown_connection");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn no_header_path_or_encoding_reaches_another_host() -> anyhow::Result<()> {
    let snowflake = Snowflake::start().await?;
    let app = spawn(Backend::Sqlite, |_| {}).await?;
    let connection = app.connect(&snowflake, json!({})).await;
    let (other, hits) = bystander().await?;
    let request = |method: Method, path: &str| {
        app.request(method, path)
            .header("Connection-Id", &connection)
            .header("Provider-Config-Key", INTEGRATION)
    };
    let paths = [
        format!("/proxy//{other}/x"),
        format!("/proxy/@{other}/x"),
        format!("/proxy/http://{other}/x"),
        format!("/proxy/http:%2F%2F{other}/x"),
        format!("/proxy/%2F%2F{other}/x"),
        format!("/proxy/\\\\{other}/x"),
        format!("/proxy/../../{other}/x"),
        format!("/proxy/%2e%2e/%2e%2e/{other}"),
        format!("/proxy/.%2E/{other}"),
        format!("/proxy/api?url=http://{other}/"),
    ];
    for path in &paths {
        let response = request(Method::GET, path).send().await?;
        assert_ne!(response.status(), 200, "{path}");
    }
    for (name, value) in [
        ("Base-Url-Override", format!("http://{other}")),
        (
            "Base-Url-Override",
            format!("{}@{other}", snowflake.emulator.url()),
        ),
        (
            "Base-Url-Override",
            format!("{}.{other}", snowflake.emulator.url()),
        ),
        ("Nango-Proxy-Host", other.clone()),
        ("Host", other.clone()),
        ("Nango-Proxy-Forwarded", format!("host={other}")),
    ] {
        let response = request(Method::POST, "/proxy/api/v2/statements")
            .header(name, &value)
            .json(&json!({"statement": "SELECT 1"}))
            .send()
            .await?;
        if name == "Base-Url-Override" {
            assert_eq!(response.status(), 400, "{name}: {value}");
            let body: serde_json::Value = response.json().await?;
            assert_eq!(body["error"]["code"], "base_url_override_not_allowed");
        }
    }
    // An absolute-form request line names another host; the proxy still goes to Snowflake.
    let response = request(Method::POST, "/proxy/api/v2/statements")
        .header("Nango-Proxy-Host", "localhost")
        .json(&json!({"statement": "SELECT 1"}))
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the bystander was reached");
    Ok(())
}

crate::support::api_tests!(a_redirect_goes_back_to_the_caller_unfollowed);

/// The connection's host answers `302 Location: <another host>`: the proxy returns the 302 as it
/// is, and the other host gets nothing (no JWT, no request).
async fn a_redirect_goes_back_to_the_caller_unfollowed(backend: Backend) -> anyhow::Result<()> {
    let (elsewhere, hits) = bystander().await?;
    let location = format!("http://{elsewhere}/api/v2/statements");
    let target = location.clone();
    let redirector = axum::Router::new().fallback(move || {
        let target = target.clone();
        async move {
            (
                axum::http::StatusCode::FOUND,
                [(axum::http::header::LOCATION, target)],
            )
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let base_url = format!("http://{}", listener.local_addr()?);
    tokio::spawn(async move { axum::serve(listener, redirector).await });
    let app = spawn(backend, |config| {
        config.role = snowgate_engine::ProcessRole::Api
    })
    .await?;
    let key = snowgate_emulator::GeneratedKey::generate()
        .map_err(|_| anyhow::anyhow!("key generation failed"))?;
    app.connection_at("moved", &base_url, &key.private_key_pem)
        .await?;
    // A caller that does not follow redirects either, to see what the proxy answers.
    let caller = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let response = caller
        .post(format!("{}/proxy/api/v2/statements", app.url))
        .bearer_auth(&app.key)
        .header("Connection-Id", "moved")
        .header("Provider-Config-Key", INTEGRATION)
        .json(&json!({"statement": "SELECT 1"}))
        .send()
        .await?;
    assert_eq!(response.status(), 302);
    assert_eq!(response.headers()["location"], location.as_str());
    assert_eq!(hits.load(Ordering::SeqCst), 0, "the redirect was followed");
    app.stop().await;
    Ok(())
}
