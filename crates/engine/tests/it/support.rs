//! The harness: a Snowflake emulator on a free port (seeded as each test needs), a user with a
//! fresh RSA key, and an [`Engine`] over a fresh store — a SQLite file in a temp dir, or a fresh
//! PostgreSQL schema when `SNOWGATE_TEST_DATABASE_URL` is set (`engine_tests!` declares each test
//! for both). A test talks to Snowgate only through the engine's facade and reads the store.

use std::{collections::BTreeMap, future::Future, path::PathBuf, time::Duration};

use anyhow::Context as _;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use snowgate_emulator::{Config, Emulator, GeneratedKey};
use snowgate_engine::{CreateConnection, Engine, EngineConfig, SyncSelector, TriggerOpts};
use snowgate_store::{
    AnyStore, ConnectionPk, MasterKey, ModelKey, RecordQuery, SecretJson, Store, StoreConfig,
    connect, testing,
};
use tempfile::TempDir;

/// The integration every test connection belongs to.
pub const INTEGRATION: &str = "snowflake-jwt";
/// The Snowflake user the engine signs in as (granted ACCOUNTADMIN).
pub const USER: &str = "SNOWGATE";
/// The user of the recorded account (`fixtures/recorded`), ACCOUNTADMIN by default.
pub const RECORDED_USER: &str = "VICTORNANGO2";

/// Where a test's store lives.
#[derive(Debug, Clone)]
pub struct StoreLocation {
    /// `None` for SQLite in `data_dir`.
    pub database_url: Option<String>,
    /// The data directory.
    pub data_dir: PathBuf,
    /// The master key, base64.
    pub master_key: String,
}

impl StoreLocation {
    /// Opens the store.
    pub async fn open(&self) -> anyhow::Result<AnyStore> {
        Ok(connect(StoreConfig {
            database_url: self.database_url.clone(),
            data_dir: self.data_dir.clone(),
            master_key: Some(MasterKey::from_base64(&self.master_key)?),
            previous_keys: Vec::new(),
        })
        .await?)
    }
}

/// A test's world: the emulator, the store, the engine.
pub struct Ctx {
    pub emulator: Emulator,
    pub key: GeneratedKey,
    pub user: &'static str,
    pub store: AnyStore,
    pub engine: Engine,
    /// Where the store lives, to open it again (from another runtime, say).
    pub location: StoreLocation,
    _dir: TempDir,
}

/// The engine settings of tests: quick polling, short leases, quick webhook retries.
pub fn engine_config() -> EngineConfig {
    let mut config = EngineConfig {
        poll_interval_ms: 50,
        lease_secs: 3,
        ..EngineConfig::default()
    };
    config.webhooks.first_retry_delay_ms = 200;
    config.webhooks.max_retry_delay_secs = 1;
    config.webhooks.timeout_secs = 5;
    config
}

/// An emulator answering synchronously for up to 5 s (a loaded machine still finishes small
/// statements without a 202), with `partition_size` bytes per first partition.
pub async fn emulator(partition_size: usize) -> Emulator {
    Emulator::start(Config {
        sync_wait: Duration::from_secs(5),
        partition_size,
        ..Config::default()
    })
    .await
    .expect("the emulator starts")
}

impl Ctx {
    /// A world whose emulator was prepared by `prepare` (seeds, generated objects), signing in
    /// as [`USER`].
    pub async fn start(
        database_url: Option<String>,
        config: EngineConfig,
        prepare: impl FnOnce(&Emulator),
    ) -> anyhow::Result<Self> {
        let emulator = emulator(100_000).await;
        prepare(&emulator);
        let ctx = Self::with_emulator(database_url, config, emulator, USER).await?;
        ctx.emulator.admin(&format!(
            "GRANT ROLE ACCOUNTADMIN TO USER {USER}; ALTER USER {USER} SET DEFAULT_ROLE = ACCOUNTADMIN DEFAULT_WAREHOUSE = COMPUTE_WH"
        ))?;
        Ok(ctx)
    }

    /// The recorded account, signing in as its own user [`RECORDED_USER`] (so that SHOW ROLES
    /// and SHOW USERS answer as recorded).
    pub async fn recorded(database_url: Option<String>) -> anyhow::Result<Self> {
        let emulator = emulator(100_000).await;
        emulator.account().load_recorded()?;
        Self::with_emulator(database_url, engine_config(), emulator, RECORDED_USER).await
    }

    async fn with_emulator(
        database_url: Option<String>,
        config: EngineConfig,
        emulator: Emulator,
        user: &'static str,
    ) -> anyhow::Result<Self> {
        let key = GeneratedKey::generate().context("generating a key")?;
        emulator.add_user(user, &key.public_key_pem)?;
        let dir = tempfile::tempdir()?;
        let location = StoreLocation {
            database_url,
            data_dir: dir.path().to_owned(),
            master_key: MasterKey::generate().to_base64().expose_secret().to_owned(),
        };
        let store = location.open().await.context("opening the store")?;
        let engine = Engine::new(store.clone(), config, reqwest::Client::new()).await?;
        engine.ensure_integration(INTEGRATION).await?;
        Ok(Self {
            emulator,
            key,
            user,
            store,
            engine,
            location,
            _dir: dir,
        })
    }

    /// The credentials the engine posts for the test user.
    pub fn credentials(&self) -> SecretJson {
        SecretJson::new(&json!({
            "accountIdentifier": self.emulator.account_identifier(),
            "userName": self.user,
            "privateKey": self.key.private_key_pem,
        }))
    }

    /// Creates a connection `id` to the emulator with `metadata`.
    pub async fn connect(&self, id: &str, metadata: Value) -> anyhow::Result<ConnectionPk> {
        let created = self
            .engine
            .create_jwt_connection(CreateConnection {
                integration: INTEGRATION.into(),
                connection_id: Some(id.into()),
                connection_config: json!({"base_url": self.emulator.url()}),
                credentials: self.credentials(),
                tags: BTreeMap::new(),
                end_user: None,
                webhook_url_override: None,
                metadata: Some(metadata),
                reconnect: false,
            })
            .await?;
        Ok(created.connection.id)
    }

    /// Runs one sync now, in this process, and returns the run.
    pub async fn run(
        &self,
        connection: ConnectionPk,
        sync: &str,
    ) -> anyhow::Result<snowgate_store::Run> {
        self.run_with(connection, sync, TriggerOpts::default())
            .await
    }

    /// Runs one sync now with options.
    pub async fn run_with(
        &self,
        connection: ConnectionPk,
        sync: &str,
        opts: TriggerOpts,
    ) -> anyhow::Result<snowgate_store::Run> {
        Ok(self
            .engine
            .run_sync(connection, &SyncSelector::base(sync), opts, None)
            .await?)
    }

    /// The live records of a model, by id, as JSON without `_nango_metadata`.
    pub async fn records(
        &self,
        connection: ConnectionPk,
        model: &str,
    ) -> anyhow::Result<BTreeMap<String, Value>> {
        Ok(all_records(&self.store, connection, model)
            .await?
            .into_iter()
            .filter(|record| record.deleted_at.is_none())
            .map(|record| {
                let payload = record
                    .payload
                    .map(|raw| serde_json::from_str(raw.get()).expect("stored payloads are JSON"))
                    .unwrap_or(Value::Null);
                (record.external_id, payload)
            })
            .collect())
    }
}

/// Every record of a model (deleted ones too), in change order.
pub async fn all_records(
    store: &AnyStore,
    connection: ConnectionPk,
    model: &str,
) -> anyhow::Result<Vec<snowgate_store::StoredRecord>> {
    let model = ModelKey::new(model, None);
    let mut records = Vec::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_records(&RecordQuery {
                connection,
                model: &model,
                cursor,
                modified_after: None,
                filter: Default::default(),
                ids: &[],
                limit: 10_000,
            })
            .await?;
        records.extend(page.records);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return Ok(records),
        }
    }
}

/// Runs `test` on a fresh SQLite store.
pub async fn on_sqlite<F, Fut>(test: F) -> anyhow::Result<()>
where
    F: FnOnce(Option<String>) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    test(None).await
}

/// Runs `test` on a fresh PostgreSQL schema, dropped afterwards (even when the test panics).
/// Without `SNOWGATE_TEST_DATABASE_URL` it does nothing and says so.
pub async fn on_postgres<F, Fut>(test: F) -> anyhow::Result<()>
where
    F: FnOnce(Option<String>) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    testing::on_postgres("e", Ok(()), |url| test(Some(url))).await
}

/// Declares each listed `async fn(Option<String>) -> anyhow::Result<()>` (the argument is the
/// database URL, `None` for SQLite) as a SQLite and a PostgreSQL test.
macro_rules! engine_tests {
    ($($name:ident),* $(,)?) => {
        snowgate_store::backend_tests!(
            crate::support::on_sqlite, crate::support::on_postgres; $($name),*
        );
    };
}
pub(crate) use engine_tests;

/// Replaces creation times (epoch strings the emulator sets when SQL creates an object) with a
/// marker, after checking their form.
pub fn without_times(mut value: Value, fields: &[&str]) -> Value {
    if let Value::Object(object) = &mut value {
        for field in fields {
            if let Some(Value::String(time)) = object.get_mut(*field) {
                let epoch = time.split_once('.').map_or(time.as_str(), |(s, _)| s);
                assert!(
                    epoch.parse::<i64>().is_ok(),
                    "{field} {time:?} is not an epoch time"
                );
                *time = "<time>".into();
            }
        }
    }
    value
}

/// The recorded fixture `name` (`fixtures/recorded/<name>.test.json`).
pub fn fixture(name: &str) -> Value {
    let dir = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/recorded"
    ));
    let path = dir.join(format!("{name}.test.json"));
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture readable"))
        .expect("fixture is JSON")
}
