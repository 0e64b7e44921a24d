//! Configuration of `snowgate serve`: defaults, then a TOML file (`snowgate.toml` or `--config`),
//! then `SNOWGATE_*` environment variables (nested keys with `__`, e.g.
//! `SNOWGATE_API__READ_CREDENTIALS=true`).

use std::{net::SocketAddr, num::NonZeroU32, path::PathBuf};

use figment::{
    Figment,
    providers::{Env, Format, Toml},
};
use secrecy::SecretString;
use serde::Deserialize;
use snowgate_engine::{EngineConfig, ProcessRole};

/// Everything `snowgate serve` reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Config {
    /// Where the API listens (`SNOWGATE_LISTEN`, `--listen`).
    pub listen: SocketAddr,
    /// The data directory: SQLite file, generated master key (`SNOWGATE_DATA_DIR`).
    pub data_dir: PathBuf,
    /// `postgres://…` for a shared PostgreSQL; unset for the embedded SQLite file
    /// (`SNOWGATE_DATABASE_URL`).
    pub database_url: Option<String>,
    /// The master key that seals credentials, base64 (`SNOWGATE_ENCRYPTION_KEY`); unset in
    /// embedded mode generates one into the data directory.
    pub encryption_key: Option<SecretString>,
    /// Older master keys, comma-separated, during a rotation
    /// (`SNOWGATE_ENCRYPTION_KEY_PREVIOUS`).
    pub encryption_key_previous: Option<SecretString>,
    /// The environment's secret API key, a UUID v4 (`SNOWGATE_SECRET_KEY`); unset generates one
    /// once, stores it sealed and prints it.
    pub secret_key: Option<SecretString>,
    /// Which parts this process runs: `api`, `worker` or `all` (`SNOWGATE_ROLE`, `--role`).
    pub role: ProcessRole,
    /// The HTTP API.
    pub api: ApiConfig,
    /// The engine: workers, timeouts, frequencies, custom syncs, webhook delivery.
    pub engine: EngineConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 3003)),
            data_dir: PathBuf::from("snowgate-data"),
            database_url: None,
            encryption_key: None,
            encryption_key_previous: None,
            secret_key: None,
            role: ProcessRole::All,
            api: ApiConfig::default(),
            engine: EngineConfig::default(),
        }
    }
}

impl Config {
    /// Loads the layers: defaults, the TOML file (`path`, else `snowgate.toml` if it exists),
    /// then `SNOWGATE_*` variables.
    pub fn load(path: Option<&std::path::Path>) -> Result<Self, Box<figment::Error>> {
        let file = path.map_or_else(|| PathBuf::from("snowgate.toml"), PathBuf::from);
        let figment = Figment::new().merge(Toml::file(file));
        let figment = match path {
            // An explicitly named file must exist.
            Some(path) if !path.exists() => {
                return Err(Box::new(figment::Error::from(format!(
                    "the configuration file {} does not exist",
                    path.display()
                ))));
            }
            _ => figment,
        };
        figment
            .merge(Env::prefixed("SNOWGATE_").split("__"))
            .extract()
            .map_err(Box::new)
    }
}

/// Settings of the HTTP API.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ApiConfig {
    /// The URL apps reach this server at, for links it hands out (connect links, logos, status
    /// URLs); default `http://<listen>`.
    pub public_url: Option<String>,
    /// The Connect UI that connect links open, given the session token and this API's URL;
    /// default this server's own, `<public_url>/connect/`.
    pub connect_ui_url: Option<String>,
    /// Whether the secret key may read connections' credentials (private key, JWT): Nango's
    /// `environment:connections:read_credentials` scope. Off unless configured.
    pub read_credentials: bool,
    /// Requests per minute the environment may make before `429`.
    pub rate_limit_per_minute: NonZeroU32,
    /// The proxy's first retry wait in ms, doubled per retry (Nango: 3000).
    pub proxy_retry_base_ms: u64,
}

impl Default for ApiConfig {
    fn default() -> Self {
        Self {
            public_url: None,
            connect_ui_url: None,
            read_credentials: false,
            rate_limit_per_minute: NonZeroU32::new(600_000).expect("non-zero"),
            proxy_retry_base_ms: 3_000,
        }
    }
}
