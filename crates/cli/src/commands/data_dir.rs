//! Where the operator commands (`connections`, `sync`, `records`) find their data, the same way
//! `snowgate serve` does: defaults, then the configuration file (`--config`, else `snowgate.toml`
//! if it exists), then `SNOWGATE_*` variables, then `--data-dir`. The data directory (default
//! `./snowgate-data`, `SNOWGATE_DATA_DIR`) holds the SQLite file and the generated master key,
//! unless `SNOWGATE_DATABASE_URL` points at PostgreSQL.

use std::path::PathBuf;

use anyhow::Context as _;
use secrecy::ExposeSecret;
use snowgate_engine::Engine;
use snowgate_store::{MasterKey, StoreConfig};

/// The arguments every operator command takes.
#[derive(Debug, clap::Args)]
pub struct DataArgs {
    /// The configuration file (default: `snowgate.toml` if it exists).
    #[arg(long, value_name = "FILE", global = true)]
    config: Option<PathBuf>,
    /// The data directory: SQLite file, generated master key (default `./snowgate-data`).
    #[arg(long, env = "SNOWGATE_DATA_DIR", value_name = "DIR", global = true)]
    data_dir: Option<PathBuf>,
}

impl DataArgs {
    /// Opens the store and an engine over it (no background tasks), with the integration
    /// Snowgate's connections belong to.
    pub async fn open(&self) -> anyhow::Result<Engine> {
        let mut config = snowgate_server::Config::load(self.config.as_deref())
            .map_err(|error| anyhow::anyhow!("{error}"))?;
        if let Some(data_dir) = &self.data_dir {
            config.data_dir = data_dir.clone();
        }
        if config.database_url.is_none() {
            std::fs::create_dir_all(&config.data_dir).with_context(|| {
                format!("creating the data directory {}", config.data_dir.display())
            })?;
        }
        let key = |text: &str, name: &str| {
            MasterKey::from_base64(text)
                .with_context(|| format!("{name} is not a usable master key"))
        };
        let master_key = config
            .encryption_key
            .as_ref()
            .map(|k| key(k.expose_secret(), "SNOWGATE_ENCRYPTION_KEY"))
            .transpose()?;
        let previous_keys = match &config.encryption_key_previous {
            Some(keys) => keys
                .expose_secret()
                .split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(|k| key(k, "SNOWGATE_ENCRYPTION_KEY_PREVIOUS"))
                .collect::<anyhow::Result<Vec<_>>>()?,
            None => Vec::new(),
        };
        let store = snowgate_store::connect(StoreConfig {
            database_url: config.database_url.clone(),
            data_dir: config.data_dir.clone(),
            master_key,
            previous_keys,
        })
        .await
        .context("opening the store")?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("snowgate/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let engine = Engine::new(store, config.engine, http).await?;
        engine.ensure_integration(snowgate_engine::PROVIDER).await?;
        Ok(engine)
    }
}
