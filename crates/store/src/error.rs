//! The store's error type. Every variant says what went wrong and, where the caller can act,
//! what to do; none carries a secret or a bound value.

use std::path::PathBuf;

/// A failed store operation.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database answered with an error or could not be reached.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),

    /// Applying the schema migrations failed.
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),

    /// The database URL names a scheme the store does not support.
    #[error(
        "unsupported database URL scheme {scheme:?}: set SNOWGATE_DATABASE_URL to postgres://… \
         (or leave it unset for the embedded SQLite file in the data directory)"
    )]
    UnsupportedUrl {
        /// The scheme that was given.
        scheme: String,
    },

    /// Reading or writing a file of the store (database file, master key file) failed.
    #[error("{action} {path}: {source}")]
    File {
        /// What the store was doing.
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },

    /// The master key is malformed.
    #[error("invalid master key: {reason}")]
    InvalidMasterKey {
        /// Why the key was rejected.
        reason: String,
    },

    /// A sealed value was encrypted under a master key the store does not have.
    #[error(
        "a secret in the database was sealed with master key {key_id}, which is not configured; \
         set SNOWGATE_ENCRYPTION_KEY to that key (or add it to SNOWGATE_ENCRYPTION_KEY_PREVIOUS \
         while rotating)"
    )]
    UnknownMasterKey {
        /// The key id recorded in the ciphertext.
        key_id: String,
    },

    /// A sealed value failed authentication: it was altered, or belongs to another row.
    #[error("a sealed secret failed authentication ({what}); it was altered or moved between rows")]
    Tampered {
        /// Which secret.
        what: String,
    },

    /// A stored JSON document could not be read or a value could not be written as JSON.
    #[error("invalid JSON in {what}: {source}")]
    Json {
        /// Which document.
        what: &'static str,
        /// The parser's error.
        source: serde_json::Error,
    },

    /// The named row does not exist.
    #[error("{what} not found: {key}")]
    NotFound {
        /// The kind of row, e.g. `connection`.
        what: &'static str,
        /// Its key as the caller gave it.
        key: String,
    },

    /// A job or delivery lease expired or was taken over by another worker: stop working on it.
    #[error("the lease on {what} {id} was lost (expired or taken over); stop working on it")]
    LeaseLost {
        /// `job` or `webhook delivery`.
        what: &'static str,
        /// The row id.
        id: i64,
    },

    /// The input breaks a rule of the store (too many ids, a bad cursor…).
    #[error("{0}")]
    Invalid(String),
}

/// Shorthand for results of store operations.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub(crate) fn json_error(what: &'static str) -> impl FnOnce(serde_json::Error) -> StoreError {
    move |source| StoreError::Json { what, source }
}
