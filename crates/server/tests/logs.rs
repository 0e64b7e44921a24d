//! What the server logs of a request: with every level on, the connect-session token in a query
//! string and the secret key in the header never reach the log, while the path does. (Its own
//! test binary: it installs the process-wide log subscriber.)

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use secrecy::ExposeSecret;
use snowgate_server::{Config, Server};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::fmt::MakeWriter;

/// Every log line, in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Captured {
    type Writer = Captured;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_are_logged_without_tokens_or_keys() -> anyhow::Result<()> {
    let captured = Captured::default();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(captured.clone())
        .init();

    let dir = tempfile::tempdir()?;
    let mut config = Config {
        data_dir: dir.path().to_owned(),
        ..Config::default()
    };
    config.encryption_key = Some(snowgate_store::MasterKey::generate().to_base64());
    let server = Server::open(config).await?;
    let key = server.secret_key().expose_secret().to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(server.run(listener, shutdown.clone()));

    let token = format!("nango_connect_session_{}", "ab".repeat(32));
    let response = reqwest::Client::new()
        .post(format!(
            "{url}/auth/jwt/snowflake-jwt?connect_session_token={token}"
        ))
        .json(&serde_json::json!({}))
        .send()
        .await?;
    assert_eq!(response.status(), 401, "an unknown session is refused");
    let response = reqwest::Client::new()
        .get(format!("{url}/connections"))
        .bearer_auth(&key)
        .send()
        .await?;
    assert_eq!(response.status(), 200);
    shutdown.cancel();
    running.await??;

    let logs = String::from_utf8(captured.0.lock().unwrap().clone())?;
    assert!(
        logs.contains("/auth/jwt/snowflake-jwt"),
        "the request was logged, by its path: {logs}"
    );
    assert!(!logs.contains(&token), "no session token in the logs");
    assert!(!logs.contains(&key), "no secret key in the logs");
    Ok(())
}
