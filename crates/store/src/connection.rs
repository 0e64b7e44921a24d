//! Connections, their active errors, and connect sessions.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{ids::ConnectionPk, secret::SecretJson};

/// A connection as the API shows it. Credentials are not part of it: read them with
/// [`crate::Store::credentials`].
#[derive(Debug, Clone, PartialEq)]
pub struct Connection {
    /// Numeric internal id.
    pub id: ConnectionPk,
    /// The integration (provider config key).
    pub integration_key: String,
    /// The integration's provider.
    pub provider: String,
    /// The connection id, unique per integration.
    pub connection_id: String,
    /// Non-secret connection configuration (e.g. `subdomain`).
    pub connection_config: Value,
    /// Customer metadata; `None` only when stored as null.
    pub metadata: Option<Value>,
    /// Tags, string to string.
    pub tags: BTreeMap<String, String>,
    /// The end user profile, if the connection was made through a connect session with one.
    pub end_user: Option<Value>,
    /// Replaces the environment's webhook URLs for this connection.
    pub webhook_url_override: Option<String>,
    /// Active errors.
    pub errors: Vec<ConnectionError>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
    /// When its credentials were last read for use.
    pub last_fetched_at: Option<DateTime<Utc>>,
}

/// What [`crate::Store::upsert_connection`] writes.
#[derive(Debug, Clone)]
pub struct NewConnection {
    /// The integration; it must exist.
    pub integration_key: String,
    /// The connection id.
    pub connection_id: String,
    /// Non-secret configuration.
    pub connection_config: Value,
    /// Metadata for a new connection (an existing one keeps its metadata).
    pub metadata: Option<Value>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
    /// End user profile; its `id` and `organization.id` become filterable.
    pub end_user: Option<Value>,
    /// Webhook URL override.
    pub webhook_url_override: Option<String>,
    /// Credentials, sealed at rest.
    pub credentials: SecretJson,
}

/// A partial update of a connection; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ConnectionUpdate {
    /// New tags.
    pub tags: Option<BTreeMap<String, String>>,
    /// New override; `Some(None)` clears it.
    pub webhook_url_override: Option<Option<String>>,
    /// New end user; `Some(None)` clears it.
    pub end_user: Option<Option<Value>>,
}

/// Filters of [`crate::Store::list_connections`]; every set filter must match.
#[derive(Debug, Clone)]
pub struct ConnectionFilter {
    /// Any of these integrations (empty: all).
    pub integration_keys: Vec<String>,
    /// Exactly this connection id.
    pub connection_id: Option<String>,
    /// Case-insensitive substring of the connection id, end user id, e-mail or display name.
    pub search: Option<String>,
    /// All these tags.
    pub tags: BTreeMap<String, String>,
    /// The end user's id.
    pub end_user_id: Option<String>,
    /// The end user's organization id.
    pub end_user_organization_id: Option<String>,
    /// Page size.
    pub limit: u32,
    /// Zero-based page number.
    pub page: u32,
}

impl Default for ConnectionFilter {
    fn default() -> Self {
        Self {
            integration_keys: Vec::new(),
            connection_id: None,
            search: None,
            tags: BTreeMap::new(),
            end_user_id: None,
            end_user_organization_id: None,
            limit: 10_000,
            page: 0,
        }
    }
}

/// How metadata is written by [`crate::Store::write_metadata`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetadataWrite {
    /// Replace the whole document.
    Replace,
    /// Set the given top-level keys, keep the others.
    Merge,
}

text_enum!(
    /// The kind of an active connection error.
    ConnectionErrorKind {
        /// Credentials failed a check or refresh.
        Auth = "auth",
        /// A sync run failed.
        Sync = "sync",
    }
);

/// An active error of a connection (`errors[]` in the API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionError {
    /// Auth or sync.
    pub kind: ConnectionErrorKind,
    /// What failed: `""` for auth, `<sync>::<variant>` for a sync.
    pub scope: String,
    /// The operation that recorded it.
    pub log_id: String,
}

/// A connect session as stored (everything except its token, which is kept only as a hash).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ConnectSession {
    /// Integrations the session may connect; `None` means all.
    pub allowed_integrations: Option<Vec<String>>,
    /// Per-integration defaults (`connection_config`, `authorization_params`, …).
    pub integrations_config_defaults: Option<Value>,
    /// Per-integration UI overrides.
    pub overrides: Option<Value>,
    /// Tags copied onto connections made with the session.
    pub tags: BTreeMap<String, String>,
    /// Deprecated end user profile.
    pub end_user: Option<Value>,
    /// Deprecated organization.
    pub organization: Option<Value>,
    /// Webhook URL override copied onto the connection.
    pub webhook_url_override: Option<String>,
    /// For a reconnect session, the connection whose credentials it replaces.
    pub reconnect: Option<ReconnectTarget>,
    /// When the session expires.
    pub expires_at: DateTime<Utc>,
}

/// The connection a reconnect session overwrites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconnectTarget {
    /// Its integration.
    pub integration_key: String,
    /// Its connection id.
    pub connection_id: String,
}
