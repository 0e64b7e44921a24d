//! What the CLI suites share: a data directory (SQLite, or a PostgreSQL schema of its own), the
//! `snowgate` binary run against it, and the live records of a connection read from the store.

use std::{collections::BTreeMap, path::Path, process::Command, process::Output, time::Duration};

use secrecy::ExposeSecret;
use serde_json::Value;
use snowgate_emulator::{Config, Emulator, GeneratedKey, account::GenerateSpec};
use snowgate_store::{
    ConnectionFilter, MasterKey, ModelKey, RecordQuery, Store, StoreConfig, testing::TestSchema,
};

/// Where the commands keep their data: the data directory's SQLite file, or a PostgreSQL schema.
#[derive(Clone)]
pub struct Data {
    pub dir: std::path::PathBuf,
    pub database_url: Option<String>,
    pub master_key: Option<String>,
}

impl Data {
    /// A data directory on SQLite.
    pub fn sqlite(dir: &Path) -> Self {
        Self {
            dir: dir.to_owned(),
            database_url: None,
            master_key: None,
        }
    }

    pub fn store_config(&self) -> StoreConfig {
        StoreConfig {
            database_url: self.database_url.clone(),
            master_key: self
                .master_key
                .as_deref()
                .map(|key| MasterKey::from_base64(key).expect("the test key is valid")),
            ..StoreConfig::new(self.dir.join("data"))
        }
    }
}

/// A PostgreSQL schema of its own, when `SNOWGATE_TEST_DATABASE_URL` is set.
pub struct PostgresSchema(TestSchema);

impl PostgresSchema {
    pub async fn create(prefix: &str) -> anyhow::Result<Option<Self>> {
        let Ok(base) = std::env::var("SNOWGATE_TEST_DATABASE_URL") else {
            return Ok(None);
        };
        Ok(Some(Self(TestSchema::create(&base, prefix).await?)))
    }

    /// A data directory whose store is this schema, under a fresh master key.
    pub fn data(&self, dir: &Path) -> Data {
        Data {
            dir: dir.to_owned(),
            database_url: Some(self.0.url().to_owned()),
            master_key: Some(MasterKey::generate().to_base64().expose_secret().to_owned()),
        }
    }

    pub async fn drop(self) -> anyhow::Result<()> {
        Ok(self.0.drop().await?)
    }
}

/// The `snowgate` binary with the data directory and configuration file of `data`.
pub fn snowgate(data: &Data, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_snowgate"));
    command
        .args(args)
        .arg("--data-dir")
        .arg(data.dir.join("data"))
        .arg("--config")
        .arg(data.dir.join("snowgate.toml"))
        .env("RUST_LOG", "warn")
        .env_remove("SNOWGATE_DATABASE_URL")
        .env_remove("SNOWGATE_ENCRYPTION_KEY");
    if let (Some(url), Some(key)) = (&data.database_url, &data.master_key) {
        command
            .env("SNOWGATE_DATABASE_URL", url)
            .env("SNOWGATE_ENCRYPTION_KEY", key);
    }
    command
}

/// The standard output of a command that must have succeeded.
pub fn succeed(output: Output) -> String {
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "exit {:?}\nstdout: {stdout}\nstderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The live records of a connection's model, by id; fails on any deleted record.
pub async fn records(
    data: &Data,
    connection: &str,
    model: &str,
) -> anyhow::Result<BTreeMap<String, Value>> {
    let store = snowgate_store::connect(data.store_config()).await?;
    let pk = connection_pk(&store, connection).await?;
    let model = ModelKey::new(model, None);
    let mut records = BTreeMap::new();
    let mut cursor = None;
    loop {
        let page = store
            .list_records(&RecordQuery {
                connection: pk,
                model: &model,
                cursor,
                modified_after: None,
                filter: Default::default(),
                ids: &[],
                limit: 10_000,
            })
            .await?;
        for record in page.records {
            anyhow::ensure!(
                record.deleted_at.is_none(),
                "{} was deleted",
                record.external_id
            );
            let payload = serde_json::from_str(record.payload.unwrap().get())?;
            records.insert(record.external_id, payload);
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    store.close().await;
    Ok(records)
}

/// The row id of the connection with this connection id.
pub async fn connection_pk(
    store: &impl Store,
    connection: &str,
) -> anyhow::Result<snowgate_store::ConnectionPk> {
    use anyhow::Context as _;
    Ok(store
        .list_connections(&ConnectionFilter {
            connection_id: Some(connection.into()),
            ..ConnectionFilter::default()
        })
        .await?
        .first()
        .with_context(|| format!("no connection {connection}"))?
        .id)
}

/// An emulator with a generated account and the ACCOUNTADMIN user `user`, whose private key is
/// written to `<dir>/rsa_key.p8`.
pub async fn emulator_with_user(
    dir: &Path,
    spec: &GenerateSpec,
    user: &str,
) -> anyhow::Result<(Emulator, GeneratedKey)> {
    let emulator = Emulator::start(Config {
        sync_wait: Duration::from_secs(5),
        ..Config::default()
    })
    .await?;
    emulator.account().generate(spec)?;
    let key = GeneratedKey::generate()?;
    emulator.add_user(user, &key.public_key_pem)?;
    emulator.admin(&format!(
        "GRANT ROLE ACCOUNTADMIN TO USER {user}; ALTER USER {user} SET DEFAULT_ROLE = ACCOUNTADMIN"
    ))?;
    std::fs::write(dir.join("rsa_key.p8"), &key.private_key_pem)?;
    Ok((emulator, key))
}

/// `snowgate connections add` of `user` on `emulator` as connection `id`, with the key at
/// `<data dir>/rsa_key.p8`.
pub fn add_connection(
    data: &Data,
    emulator: &Emulator,
    user: &str,
    id: &str,
) -> anyhow::Result<()> {
    let key_file = data.dir.join("rsa_key.p8");
    let out = succeed(
        snowgate(
            data,
            &[
                "connections",
                "add",
                "--account",
                &emulator.account_identifier(),
                "--user",
                user,
                "--private-key",
                key_file.to_str().expect("a UTF-8 temporary path"),
                "--base-url",
                emulator.url(),
                "--id",
                id,
            ],
        )
        .output()?,
    );
    anyhow::ensure!(out.contains(&format!("Created connection {id}")), "{out}");
    Ok(())
}
