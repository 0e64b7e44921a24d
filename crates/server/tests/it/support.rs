//! The harness: a real Snowgate API on a loopback port (port 0) over a fresh store — a SQLite
//! file in a temp dir, or a fresh PostgreSQL schema when `SNOWGATE_TEST_DATABASE_URL` is set —
//! driven over HTTP with typed helpers. Quiet unless `TEST_LOG=1`.

use std::{future::Future, sync::Once};

use anyhow::Context as _;
use reqwest::{Method, RequestBuilder, Response};
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use snowgate_server::{Config, Server};
use snowgate_store::{
    AnyStore, Connection, ModelKey, NewConnection, NewIntegration, NewRecord, NewSync, SaveBatch,
    SaveCounts, SecretJson, StartRun, Store, testing,
};
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

/// The integration every test uses.
pub const INTEGRATION: &str = "snowflake-jwt";

fn init_logging() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        if std::env::var("TEST_LOG").is_ok_and(|value| value == "1") {
            let _ = tracing_subscriber::fmt()
                .with_env_filter("info,snowgate_server=debug")
                .with_test_writer()
                .try_init();
        }
    });
}

/// A running API and what tests need to drive and inspect it.
pub struct App {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    /// The secret key.
    pub key: String,
    /// The store behind the API (for seeding what only syncs write).
    pub store: AnyStore,
    /// A plain client.
    pub http: reqwest::Client,
    shutdown: CancellationToken,
    server: Option<tokio::task::JoinHandle<()>>,
    _dir: TempDir,
}

impl App {
    /// A request with the secret key.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, format!("{}{path}", self.url))
            .bearer_auth(&self.key)
    }

    /// A request without credentials.
    pub fn anonymous(&self, method: Method, path: &str) -> RequestBuilder {
        self.http.request(method, format!("{}{path}", self.url))
    }

    /// `GET` with the secret key, answering status and JSON.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        send(self.request(Method::GET, path)).await
    }

    /// A JSON request with the secret key, answering status and JSON.
    pub async fn send_json(&self, method: Method, path: &str, body: Value) -> (u16, Value) {
        send(self.request(method, path).json(&body)).await
    }

    /// A records page for a connection.
    pub async fn records(&self, connection_id: &str, query: &str) -> (u16, Value) {
        send(
            self.request(Method::GET, &format!("/records/?{query}"))
                .header("Connection-Id", connection_id)
                .header("Provider-Config-Key", INTEGRATION),
        )
        .await
    }

    /// Creates a connection directly in the store (as `/auth/jwt` would, without a Snowflake).
    pub async fn connection(&self, connection_id: &str, tags: Value) -> anyhow::Result<Connection> {
        self.new_connection(
            connection_id,
            tags,
            json!({"subdomain": "KXOPMLU-RE00572"}),
            "-----BEGIN PRIVATE KEY-----\nMIIEtest\n-----END PRIVATE KEY-----",
        )
        .await
    }

    /// Creates a connection in the store whose Snowflake is at `base_url`, with a usable key.
    pub async fn connection_at(
        &self,
        connection_id: &str,
        base_url: &str,
        private_key: &str,
    ) -> anyhow::Result<Connection> {
        self.new_connection(
            connection_id,
            json!({}),
            json!({"subdomain": "KXOPMLU-RE00572", "base_url": base_url}),
            private_key,
        )
        .await
    }

    async fn new_connection(
        &self,
        connection_id: &str,
        tags: Value,
        connection_config: Value,
        private_key: &str,
    ) -> anyhow::Result<Connection> {
        self.store
            .upsert_integration(&NewIntegration {
                unique_key: INTEGRATION.into(),
                provider: INTEGRATION.into(),
                display_name: None,
                config: json!({}),
            })
            .await?;
        let (connection, _) = self
            .store
            .upsert_connection(&NewConnection {
                integration_key: INTEGRATION.into(),
                connection_id: connection_id.into(),
                connection_config,
                metadata: Some(json!({})),
                tags: serde_json::from_value(tags)?,
                end_user: None,
                webhook_url_override: None,
                credentials: SecretJson::new(&json!({
                    "type": "JWT",
                    "accountIdentifier": "KXOPMLU-RE00572",
                    "userName": "MYUSER",
                    "privateKey": private_key,
                })),
            })
            .await?;
        Ok(connection)
    }

    /// Saves records of `model` for a connection in one run of a `seed` sync, as a sync would.
    pub async fn save(
        &self,
        connection: &Connection,
        model: &str,
        records: &[Value],
    ) -> anyhow::Result<SaveCounts> {
        let sync = self
            .store
            .ensure_sync(&NewSync {
                connection: connection.id,
                name: "seed".into(),
                variant: "base".into(),
                frequency_secs: 3600,
                paused: true,
                next_run_at: None,
            })
            .await?;
        let run = self.store.start_run(&StartRun::of(&sync, false)).await?;
        let records: Vec<NewRecord> = records
            .iter()
            .map(|record| {
                let text = record.to_string();
                let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes());
                NewRecord {
                    external_id: record["id"]
                        .as_str()
                        .expect("records have string ids")
                        .to_owned(),
                    payload: serde_json::value::RawValue::from_string(text).expect("valid JSON"),
                    hash: digest.as_ref().try_into().expect("32 bytes"),
                }
            })
            .collect();
        let model = ModelKey::new(model, None);
        Ok(self
            .store
            .save_records(SaveBatch {
                connection: connection.id,
                model: &model,
                records: &records,
                run: run.id,
                checkpoint: None,
            })
            .await?)
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for App {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Sends a request, answering status and JSON body (`null` when empty).
pub async fn send(request: RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("the server answers");
    json_of(response).await
}

/// Status and JSON body of a response.
pub async fn json_of(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("a body");
    let body = if bytes.is_empty() {
        Value::Null
    } else {
        serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()))
    };
    (status, body)
}

/// One master key for the whole test binary, so a test can reopen its database with a new
/// server.
fn test_master_key() -> secrecy::SecretString {
    static KEY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    KEY.get_or_init(|| {
        snowgate_store::MasterKey::generate()
            .to_base64()
            .expose_secret()
            .to_owned()
    })
    .clone()
    .into()
}

/// Where a test's store lives.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A SQLite file in the temp dir.
    Sqlite,
    /// A PostgreSQL URL (a fresh schema).
    Postgres(String),
}

/// Starts an API over `backend`, with `configure` applied to the defaults.
pub async fn spawn(backend: Backend, configure: impl FnOnce(&mut Config)) -> anyhow::Result<App> {
    init_logging();
    let dir = tempfile::tempdir()?;
    let mut config = Config {
        data_dir: dir.path().to_owned(),
        database_url: match &backend {
            Backend::Sqlite => None,
            Backend::Postgres(url) => Some(url.clone()),
        },
        ..Config::default()
    };
    config.encryption_key = Some(test_master_key());
    config.engine.poll_interval_ms = 50;
    config.api.proxy_retry_base_ms = 10;
    configure(&mut config);
    let server = Server::open(config).await.context("opening the server")?;
    let key = server.secret_key().expose_secret().to_owned();
    let store = server.store().clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}", listener.local_addr()?);
    let shutdown = CancellationToken::new();
    let token = shutdown.clone();
    let handle = tokio::spawn(async move {
        server.run(listener, token).await.expect("the server runs");
    });
    Ok(App {
        url,
        key,
        store,
        http: reqwest::Client::new(),
        shutdown,
        server: Some(handle),
        _dir: dir,
    })
}

/// Runs `test` against an API on SQLite.
pub async fn on_sqlite<F, Fut>(test: F) -> anyhow::Result<()>
where
    F: FnOnce(Backend) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    test(Backend::Sqlite).await
}

/// Runs `test` against an API on a fresh PostgreSQL schema, dropped afterwards. Without
/// `SNOWGATE_TEST_DATABASE_URL` it does nothing and says so.
pub async fn on_postgres<F, Fut>(test: F) -> anyhow::Result<()>
where
    F: FnOnce(Backend) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    testing::on_postgres("t", Ok(()), |url| test(Backend::Postgres(url))).await
}

/// Declares each listed `async fn(Backend) -> anyhow::Result<()>` as a SQLite and a PostgreSQL
/// test.
macro_rules! api_tests {
    ($($name:ident),* $(,)?) => {
        snowgate_store::backend_tests!(
            crate::support::on_sqlite, crate::support::on_postgres; $($name),*
        );
    };
}
pub(crate) use api_tests;

/// A local Snowflake (the emulator) with the demo account and user `ALICE`, whose key is known.
pub struct Snowflake {
    /// The emulator.
    pub emulator: snowgate_emulator::Emulator,
    /// ALICE's key pair.
    pub key: snowgate_emulator::GeneratedKey,
}

impl Snowflake {
    /// Starts the emulator with the demo account.
    pub async fn start() -> anyhow::Result<Self> {
        let emulator = snowgate_emulator::Emulator::start(snowgate_emulator::Config {
            listen: "127.0.0.1:0".parse()?,
            sync_wait: std::time::Duration::from_secs(5),
            ..snowgate_emulator::Config::default()
        })
        .await?;
        emulator.account().load_demo()?;
        let key = snowgate_emulator::GeneratedKey::generate()
            .map_err(|_| anyhow::anyhow!("key generation failed"))?;
        emulator.add_user("ALICE", &key.public_key_pem)?;
        emulator.admin("GRANT ROLE ACCOUNTADMIN TO USER ALICE; ALTER USER ALICE SET DEFAULT_ROLE = ACCOUNTADMIN")?;
        Ok(Self { emulator, key })
    }

    /// The body `@nangohq/frontend` posts to `/auth/jwt`.
    pub fn credentials(&self) -> Value {
        json!({
            "accountIdentifier": self.emulator.account_identifier(),
            "userName": "ALICE",
            "privateKey": self.key.private_key_pem,
            "type": "JWT",
        })
    }

    /// The `params[…]` query of `/auth/jwt` that points a connection at the emulator (what the
    /// app sends with its secret key; a connect session pins it instead, see [`Self::pinned`]).
    pub fn params(&self) -> String {
        format!(
            "params%5Bbase_url%5D={}",
            url::form_urlencoded::byte_serialize(self.emulator.url().as_bytes())
                .collect::<String>()
        )
    }

    /// A connect-session body with the emulator's base URL pinned in its defaults, as an app
    /// creates sessions for accounts behind an override: `fields` added.
    pub fn pinned(&self, mut fields: Value) -> Value {
        fields["integrations_config_defaults"] =
            json!({INTEGRATION: {"connection_config": {"base_url": self.emulator.url()}}});
        fields
    }
}

impl App {
    /// A connect session token.
    pub async fn session_token(&self, body: Value) -> String {
        let (status, created) = self
            .send_json(Method::POST, "/connect/sessions", body)
            .await;
        assert_eq!(status, 201, "{created}");
        created["data"]["token"]
            .as_str()
            .expect("a token")
            .to_owned()
    }

    /// Creates a connection to `snowflake` through `/auth/jwt` with a connect session, as the
    /// Connect UI does; returns its id.
    pub async fn connect(&self, snowflake: &Snowflake, tags: Value) -> String {
        let token = self
            .session_token(snowflake.pinned(json!({"tags": tags})))
            .await;
        let (status, body) = send(
            self.anonymous(
                Method::POST,
                &format!("/auth/jwt/{INTEGRATION}?connect_session_token={token}"),
            )
            .json(&snowflake.credentials()),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        body["connectionId"]
            .as_str()
            .expect("a connection id")
            .to_owned()
    }

    /// Polls `GET /sync/status` until `sync` of the connection reaches `status`.
    pub async fn wait_for_sync(&self, connection_id: &str, sync: &str, status: &str) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let (code, body) = self
                .get(&format!("/sync/status?provider_config_key={INTEGRATION}&syncs={sync}&connection_id={connection_id}"))
                .await;
            assert_eq!(code, 200, "{body}");
            let current = body["syncs"][0].clone();
            if current["status"] == status {
                return current;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{sync} never reached {status}: {current}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
}
