//! The errors of the engine's facade, one enum per kind of operation, shaped for what the caller
//! (the HTTP API, the CLI) does next.
//!
//! Policy: a variant per outcome the caller maps differently (Nango's error codes are named on the
//! variants); messages say what happened and what to do; no message or `Debug` output carries a
//! key, passphrase, token or customer data.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use snowgate_store::{ConnectionPk, StoreError};

/// A failure of a general engine operation.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No connection has this id.
    #[error("connection {0} does not exist")]
    UnknownConnection(ConnectionPk),
    /// The connection's stored credentials cannot be used (Nango: `invalid_credentials`).
    #[error(
        "the stored credentials of connection {connection} cannot be used: {reason}; reconnect it"
    )]
    Credentials {
        /// The connection.
        connection: ConnectionPk,
        /// What is wrong with them.
        reason: String,
    },
    /// Snowflake refused or failed a request.
    #[error(transparent)]
    Snowflake(#[from] snowgate_snowflake::Error),
    /// A setting or an argument is unusable; the message says which and why.
    #[error("{0}")]
    Invalid(String),
}

/// Why a connection could not be created (`POST /auth/jwt/{key}`, `snowgate connections add`).
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// The integration does not exist (Nango: 404 `unknown_provider_config`).
    #[error("the integration {0:?} does not exist")]
    UnknownIntegration(String),
    /// A credential field is missing or empty (Nango: 400 `invalid_body`).
    #[error("the credentials have no {field:?}: {hint}")]
    MissingCredential {
        /// The field (`accountIdentifier`, `userName`, `privateKey`).
        field: &'static str,
        /// What to put there.
        hint: &'static str,
    },
    /// The private key cannot be read (Nango: 400 `invalid_credentials`).
    #[error(transparent)]
    Key(#[from] snowgate_snowflake::KeyError),
    /// The account identifier cannot be understood (Nango: 400 `invalid_credentials`).
    #[error(transparent)]
    Account(#[from] snowgate_snowflake::AccountError),
    /// The connection configuration is unusable (e.g. a malformed base URL).
    #[error("invalid connection_config.{key}: {problem}")]
    Config {
        /// The key.
        key: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// A reconnect names a connection that no longer exists (Nango: 400 `invalid_connection`).
    #[error("connection {0:?} to reconnect does not exist (it was deleted); create a new one")]
    ReconnectTargetMissing(String),
    /// The credentials check (`SELECT CURRENT_TIMESTAMP`) failed; the source says why (key not
    /// registered, wrong account, user disabled, host unreachable, …). Nango: 400
    /// `connection_test_failed`.
    #[error("the credentials check failed: {0}")]
    CheckFailed(#[source] snowgate_snowflake::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<EngineError> for ConnectError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::Store(error) => Self::Store(error),
            EngineError::Snowflake(error) => Self::CheckFailed(error),
            other => Self::Store(StoreError::Invalid(other.to_string())),
        }
    }
}

/// Why a sync operation (trigger, start, pause, status, frequency, variants) was refused.
#[derive(Debug, thiserror::Error)]
pub enum SyncControlError {
    /// No connection matches (Nango: 400 `unknown_connection`).
    #[error("connection {0} does not exist")]
    UnknownConnection(String),
    /// No sync has this name (Nango: 400 `unknown_sync`).
    #[error("there is no sync named {0:?}; the syncs are listed by GET /sync/status?syncs=*")]
    UnknownSync(String),
    /// The connection has no such variant of the sync (Nango: 404 `unknown_sync`).
    #[error(
        "sync {name:?} has no variant {variant:?} on this connection; create it with POST /sync/{name}/variant/{variant}"
    )]
    UnknownVariant {
        /// The sync.
        name: String,
        /// The variant.
        variant: String,
    },
    /// The variant name is reserved or malformed (Nango: 400 `invalid_variant`).
    #[error("invalid variant {variant:?}: {reason}")]
    InvalidVariant {
        /// The variant.
        variant: String,
        /// Why.
        reason: &'static str,
    },
    /// The variant exists already (Nango: 400 `sync_variant_already_exists`).
    #[error("sync {name:?} already has a variant {variant:?} on this connection")]
    VariantExists {
        /// The sync.
        name: String,
        /// The variant.
        variant: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// One problem with an action's input, as Nango's envelope lists them (`errors[]`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputError {
    /// `invalid_type`, `required`, …
    pub code: String,
    /// What is wrong.
    pub message: String,
    /// Where, as path segments (`["bindings", "1", "type"]`).
    pub path: Vec<String>,
}

/// Why an action failed, mapped 1:1 to Nango's error codes.
#[derive(Debug, Clone, PartialEq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ActionError {
    /// There is no action with this name (404 `not_found`).
    #[error("there is no action named {name:?}")]
    NotFound {
        /// The name asked for.
        name: String,
    },
    /// The input does not match the action's schema (400 `invalid_action_input`).
    #[error("invalid action input: {}", describe(.errors))]
    InvalidInput {
        /// The problems.
        errors: Vec<InputError>,
    },
    /// Snowflake answered with an HTTP error (424 `script_http_error`); the upstream answer is
    /// passed on.
    #[error("Snowflake answered HTTP {status}")]
    ScriptHttpError {
        /// The upstream status.
        status: u16,
        /// The upstream headers that matter (`content-type`).
        headers: BTreeMap<String, String>,
        /// The upstream body (Snowflake's `{code, message, sqlState, statementHandle}`).
        body: Value,
    },
    /// The action failed on purpose, with a typed payload `{type, message, …}` (500
    /// `action_script_runtime_error`).
    #[error("the action failed: {}", payload.get("message").and_then(Value::as_str).unwrap_or("runtime error"))]
    Runtime {
        /// `{type, message, …}`.
        payload: Value,
    },
    /// Any other failure (500 `action_script_failure`).
    #[error("the action failed with an error: {message}")]
    Failure {
        /// What happened.
        message: String,
    },
}

fn describe(errors: &[InputError]) -> String {
    let parts: Vec<String> = errors
        .iter()
        .map(|error| {
            if error.path.is_empty() {
                error.message.clone()
            } else {
                format!("{}: {}", error.path.join("."), error.message)
            }
        })
        .collect();
    parts.join("; ")
}

impl From<StoreError> for ActionError {
    fn from(error: StoreError) -> Self {
        Self::Failure {
            message: error.to_string(),
        }
    }
}

/// The `ScriptHttpError` (or failure) of a Snowflake error, with the upstream answer rebuilt.
impl From<snowgate_snowflake::Error> for ActionError {
    fn from(error: snowgate_snowflake::Error) -> Self {
        use snowgate_snowflake::Error;
        let json_headers =
            || BTreeMap::from([("content-type".to_owned(), "application/json".to_owned())]);
        match error {
            Error::Sql {
                code,
                sql_state,
                message,
                statement_handle,
            } => Self::ScriptHttpError {
                status: 422,
                headers: json_headers(),
                body: json!({"code": code, "message": message, "sqlState": sql_state, "statementHandle": statement_handle}),
            },
            Error::Request {
                status,
                code,
                message,
            }
            | Error::Server {
                status,
                code,
                message,
                ..
            } => Self::ScriptHttpError {
                status,
                headers: json_headers(),
                body: json!({"code": code, "message": message}),
            },
            Error::Auth(auth) => Self::ScriptHttpError {
                status: auth.status,
                headers: json_headers(),
                body: json!({"code": auth.code, "message": auth.message}),
            },
            Error::Timeout {
                statement_handle,
                message,
            } => Self::ScriptHttpError {
                status: 408,
                headers: json_headers(),
                body: json!({"code": "000630", "message": message, "sqlState": "57014", "statementHandle": statement_handle}),
            },
            Error::RateLimited { .. } => Self::ScriptHttpError {
                status: 429,
                headers: json_headers(),
                body: json!({"code": "390505", "message": "Too many requests."}),
            },
            other => Self::Failure {
                message: other.to_string(),
            },
        }
    }
}

impl From<EngineError> for ActionError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::Snowflake(error) => error.into(),
            other => Self::Failure {
                message: other.to_string(),
            },
        }
    }
}
