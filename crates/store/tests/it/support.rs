//! The harness: every test in `store_tests!` runs once on a fresh SQLite file in a temp dir and
//! once on a fresh PostgreSQL schema (when `SNOWGATE_TEST_DATABASE_URL` is set; `.ci/run` sets
//! it), which is dropped afterwards.

use std::{future::Future, path::Path};

use anyhow::Context as _;
use chrono::{DateTime, TimeZone, Utc};
use secrecy::ExposeSecret;
use snowgate_store::{AnyStore, MasterKey, Result as StoreResult, StoreConfig, connect, testing};
use tempfile::TempDir;

/// Evaluates `$body` with `$pool` bound to a fresh pool on the store's database (SQLite file or
/// PostgreSQL schema), then closes the pool.
macro_rules! on_raw_pool {
    ($ctx:expr, |$pool:ident| $body:expr) => {{
        Ok(match &$ctx.database_url {
            None => {
                let url = format!("sqlite://{}", $ctx.dir.path().join("snowgate.db").display());
                let $pool = sqlx::SqlitePool::connect(&url).await?;
                let value = $body;
                $pool.close().await;
                value
            }
            Some(url) => {
                let $pool = sqlx::PgPool::connect(url).await?;
                let value = $body;
                $pool.close().await;
                value
            }
        })
    }};
}

/// A store under test and what is needed to reopen or inspect it.
pub struct Ctx {
    pub store: AnyStore,
    pub dir: TempDir,
    key: String,
    database_url: Option<String>,
}

impl Ctx {
    /// A copy of the master key the store was opened with.
    pub fn master_key(&self) -> MasterKey {
        MasterKey::from_base64(&self.key).expect("the test key is valid")
    }

    /// Opens the same database again with other keys.
    pub async fn reopen(&self, key: MasterKey, previous: Vec<MasterKey>) -> StoreResult<AnyStore> {
        connect(StoreConfig {
            database_url: self.database_url.clone(),
            data_dir: self.dir.path().to_owned(),
            master_key: Some(key),
            previous_keys: previous,
        })
        .await
    }

    /// Runs a query returning one byte column on a separate connection, bypassing the store.
    pub async fn raw_bytes(&self, sql: &'static str) -> anyhow::Result<Vec<Vec<u8>>> {
        on_raw_pool!(self, |pool| sqlx::query_scalar(sql)
            .fetch_all(&pool)
            .await?)
    }

    /// Runs a `SELECT COUNT(*) …` on a separate connection, bypassing the store.
    pub async fn raw_count(&self, sql: &'static str) -> anyhow::Result<i64> {
        on_raw_pool!(self, |pool| sqlx::query_scalar(sql)
            .fetch_one(&pool)
            .await?)
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }
}

async fn open(database_url: Option<String>) -> anyhow::Result<Ctx> {
    let dir = tempfile::tempdir()?;
    let key = MasterKey::generate().to_base64().expose_secret().to_owned();
    let store = connect(StoreConfig {
        database_url: database_url.clone(),
        data_dir: dir.path().to_owned(),
        master_key: Some(MasterKey::from_base64(&key)?),
        previous_keys: Vec::new(),
    })
    .await
    .context("opening the store")?;
    Ok(Ctx {
        store,
        dir,
        key,
        database_url,
    })
}

/// Runs `test` on a fresh SQLite store.
pub async fn on_sqlite<F, Fut>(test: F) -> anyhow::Result<()>
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    test(open(None).await?).await
}

/// Runs `test` on a fresh PostgreSQL schema, dropped afterwards (even when the test panics).
/// Without `SNOWGATE_TEST_DATABASE_URL` it does nothing and says so.
pub async fn on_postgres<F, Fut>(test: F) -> anyhow::Result<()>
where
    F: FnOnce(Ctx) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    testing::on_postgres("t", Ok(()), |url| async move {
        let ctx = open(Some(url)).await?;
        let store = ctx.store.clone();
        let result = test(ctx).await;
        store.close().await;
        result
    })
    .await
}

/// Declares each listed `async fn(Ctx) -> anyhow::Result<()>` as a SQLite and a PostgreSQL test.
macro_rules! store_tests {
    ($($name:ident),* $(,)?) => {
        snowgate_store::backend_tests!(
            crate::support::on_sqlite, crate::support::on_postgres; $($name),*
        );
    };
}
pub(crate) use store_tests;

/// A fixed time, `secs` seconds after 2026-01-01T00:00:00Z.
pub fn at(secs: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + chrono::Duration::seconds(secs)
}

/// Creates the `snowflake-jwt` integration (if needed) and a connection `connection_id` with
/// test credentials.
pub async fn connection(
    store: &AnyStore,
    connection_id: &str,
) -> anyhow::Result<snowgate_store::Connection> {
    use snowgate_store::{NewConnection, NewIntegration, SecretJson, Store};
    store
        .upsert_integration(&NewIntegration {
            unique_key: "snowflake-jwt".into(),
            provider: "snowflake-jwt".into(),
            display_name: None,
            config: serde_json::json!({}),
        })
        .await?;
    let (connection, _) = store
        .upsert_connection(&NewConnection {
            integration_key: "snowflake-jwt".into(),
            connection_id: connection_id.into(),
            connection_config: serde_json::json!({"subdomain": "KXOPMLU-RE00572"}),
            metadata: Some(serde_json::json!({})),
            tags: Default::default(),
            end_user: None,
            webhook_url_override: None,
            credentials: SecretJson::new(&serde_json::json!({
                "type": "JWT", "accountIdentifier": "KXOPMLU-RE00572", "userName": "MYUSER",
                "privateKey": format!("-----BEGIN PRIVATE KEY-----{connection_id}")
            })),
        })
        .await?;
    Ok(connection)
}

/// A record whose hash is the SHA-256 of its JSON text (the engine hashes canonical JSON; for a
/// `json!` value, whose keys are sorted, that is the same).
pub fn record(id: &str, value: serde_json::Value) -> snowgate_store::NewRecord {
    let payload = serde_json::value::to_raw_value(&value).expect("JSON values serialise");
    let mut hash = [0u8; 32];
    hash.copy_from_slice(
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, payload.get().as_bytes()).as_ref(),
    );
    snowgate_store::NewRecord {
        external_id: id.into(),
        payload,
        hash,
    }
}
