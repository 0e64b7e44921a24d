//! Configuration of `snowgate serve`: defaults, then a TOML file (`snowgate.toml` or `--config`),
//! then `SNOWGATE_*` environment variables (nested keys with `__`, e.g.
//! `SNOWGATE_API__READ_CREDENTIALS=true`).
//!
//! Unknown configuration is an error, at any depth: a key of the file or a `SNOWGATE_*` variable
//! that names no setting stops the start, naming it and the nearest known key ("did you mean
//! `engine.custom_syncs`?"). The variables the program reads that are not settings are listed
//! once, in [`NON_CONFIG_VARIABLES`].

use std::{net::SocketAddr, num::NonZeroU32, path::PathBuf};

use figment::{
    Figment,
    error::Kind,
    providers::{Env, Format, Serialized, Toml},
};
use secrecy::SecretString;
use serde::Deserialize;
use snowgate_engine::{EngineConfig, ProcessRole};

/// `SNOWGATE_*` variables that are not configuration keys (tests, benchmarks, scripts and the
/// emulator read them); a trailing `*` matches any suffix. Every other `SNOWGATE_*` variable
/// must name a setting.
pub const NON_CONFIG_VARIABLES: &[&str] = &[
    "SNOWGATE_TEST_DATABASE_URL",
    "SNOWGATE_BENCH_*",
    "SNOWGATE_FIXTURES",
    "SNOWGATE_BIN",
    "SNOWGATE_URL",
    "SNOWGATE_EMULATOR_ADMIN_TOKEN",
];

/// Whether `variable` is one of [`NON_CONFIG_VARIABLES`].
pub fn is_non_config_variable(variable: &str) -> bool {
    NON_CONFIG_VARIABLES
        .iter()
        .any(|known| match known.strip_suffix('*') {
            Some(prefix) => variable.starts_with(prefix),
            None => variable == *known,
        })
}

/// Why the configuration could not be loaded; the message names the key and what to write.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A key or variable that names no setting.
    #[error("{0}")]
    Unknown(String),
    /// Any other problem (a bad value, an unreadable file).
    #[error(transparent)]
    Invalid(#[from] Box<figment::Error>),
}

/// Everything `snowgate serve` reads.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
    /// then `SNOWGATE_*` variables; refuses unknown keys and variables.
    pub fn load(path: Option<&std::path::Path>) -> Result<Self, ConfigError> {
        let file = path.map_or_else(|| PathBuf::from("snowgate.toml"), PathBuf::from);
        // An explicitly named file must exist.
        if let Some(path) = path.filter(|path| !path.exists()) {
            return Err(ConfigError::Invalid(Box::new(figment::Error::from(
                format!("the configuration file {} does not exist", path.display()),
            ))));
        }
        let environment = Env::prefixed("SNOWGATE_")
            .filter(|key| {
                !is_non_config_variable(&format!("SNOWGATE_{}", key.as_str().to_uppercase()))
            })
            .split("__");
        Figment::new()
            .merge(Toml::file(file))
            .merge(environment)
            .extract()
            .map_err(unknown_key)
    }
}

/// Turns an unknown-key error into one that names the key (or variable) and the nearest known
/// one; any other error is kept.
fn unknown_key(error: figment::Error) -> ConfigError {
    let Kind::UnknownField(field, expected) = &error.kind else {
        return ConfigError::Invalid(Box::new(error));
    };
    let mut path = error.path.clone();
    if path.last() != Some(field) {
        path.push(field.clone());
    }
    let key = path.join(".");
    let parent = path[..path.len() - 1].join(".");
    let mut candidates = known_keys();
    candidates.extend(expected.iter().map(|name| dotted(&parent, name)));
    let suggestion = nearest(&key, &candidates);
    let from_environment = error
        .metadata
        .as_ref()
        .is_some_and(|metadata| metadata.name.contains("environment"));
    let message = if from_environment {
        let variable = variable_of(&key);
        let hint = suggestion.map_or_else(String::new, |known| {
            format!("; did you mean {} (`{known}`)?", variable_of(&known))
        });
        format!(
            "unknown environment variable {variable}: no setting `{key}`{hint} (unset it, or see the README's configuration table)"
        )
    } else {
        let source = error
            .metadata
            .as_ref()
            .and_then(|metadata| metadata.source.as_ref())
            .map_or_else(
                || "the configuration".to_owned(),
                |source| source.to_string(),
            );
        let hint =
            suggestion.map_or_else(String::new, |known| format!("; did you mean `{known}`?"));
        format!("unknown configuration key `{key}` in {source}{hint}")
    };
    ConfigError::Unknown(message)
}

fn dotted(parent: &str, name: &str) -> String {
    match parent.is_empty() {
        true => name.to_owned(),
        false => format!("{parent}.{name}"),
    }
}

/// The variable that sets `key` (`engine.webhooks.timeout_secs` → `SNOWGATE_ENGINE__WEBHOOKS__TIMEOUT_SECS`).
fn variable_of(key: &str) -> String {
    format!("SNOWGATE_{}", key.replace('.', "__").to_uppercase())
}

/// Every key of [`Config`], dotted (`api.public_url`, `engine.webhooks.timeout_secs`), found by
/// asking the types themselves: a probe key under each table is refused with the table's fields.
fn known_keys() -> Vec<String> {
    fn probe(prefix: &str, keys: &mut Vec<String>) {
        let figment = Figment::from(Serialized::default(&dotted(prefix, "__probe__"), 0));
        let Err(error) = figment.extract::<Config>() else {
            return;
        };
        let Kind::UnknownField(_, fields) = error.kind else {
            return;
        };
        if error.path.len() > prefix.split('.').filter(|part| !part.is_empty()).count() + 1 {
            return;
        }
        for field in fields {
            let key = dotted(prefix, field);
            keys.push(key.clone());
            probe(&key, keys);
        }
    }
    let mut keys = Vec::new();
    probe("", &mut keys);
    keys
}

/// The known key nearest to `key`: by the similarity of their last parts (`custom_syncs` →
/// `engine.custom_syncs`, `engine.worker` → `engine.workers`), one under the same table first;
/// none if nothing is similar enough.
fn nearest(key: &str, candidates: &[String]) -> Option<String> {
    let split = |key: &str| -> (String, String) {
        match key.rsplit_once('.') {
            Some((parent, last)) => (parent.to_owned(), last.to_owned()),
            None => (String::new(), key.to_owned()),
        }
    };
    let (parent, last) = split(key);
    candidates
        .iter()
        .filter(|candidate| candidate.as_str() != key)
        .map(|candidate| {
            let (candidate_parent, candidate_last) = split(candidate);
            let similarity = strsim::jaro_winkler(&last, &candidate_last);
            let same_table = f64::from(u8::from(candidate_parent == parent)) * 0.01;
            (similarity + same_table, similarity, candidate)
        })
        .filter(|(_, similarity, _)| *similarity >= 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, _, candidate)| candidate.clone())
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
