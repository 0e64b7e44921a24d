//! Integrations (Nango's provider config keys) and environment settings.

use chrono::{DateTime, Utc};
use serde_json::Value;

/// An integration: a named configuration of a provider (e.g. `snowflake-jwt`).
#[derive(Debug, Clone, PartialEq)]
pub struct Integration {
    /// The provider config key, unique.
    pub unique_key: String,
    /// The provider template, e.g. `snowflake-jwt`.
    pub provider: String,
    /// A display name; the API falls back to the provider's name.
    pub display_name: Option<String>,
    /// Free-form configuration.
    pub config: Value,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it was last changed.
    pub updated_at: DateTime<Utc>,
}

/// What [`crate::Store::upsert_integration`] writes.
#[derive(Debug, Clone)]
pub struct NewIntegration {
    /// The provider config key.
    pub unique_key: String,
    /// The provider template.
    pub provider: String,
    /// A display name.
    pub display_name: Option<String>,
    /// Free-form configuration.
    pub config: Value,
}

/// Keys of the environment settings ([`crate::Store::setting`]) and their defaults.
pub mod setting {
    /// Primary webhook URL (plain).
    pub const WEBHOOK_PRIMARY_URL: &str = "webhook.primary_url";
    /// Secondary webhook URL (plain).
    pub const WEBHOOK_SECONDARY_URL: &str = "webhook.secondary_url";
    /// Webhook signing key (sealed).
    pub const WEBHOOK_SIGNING_KEY: &str = "webhook.signing_key";
    /// The environment's secret API key (sealed).
    pub const SECRET_API_KEY: &str = "api.secret_key";
    /// Webhook toggles: `"true"` or `"false"`; [`toggle_default`] gives the value when unset.
    pub const ON_AUTH_CREATION: &str = "webhook.on_auth_creation";
    /// See [`ON_AUTH_CREATION`].
    pub const ON_AUTH_REFRESH_ERROR: &str = "webhook.on_auth_refresh_error";
    /// See [`ON_AUTH_CREATION`].
    pub const ON_SYNC_COMPLETION_ALWAYS: &str = "webhook.on_sync_completion_always";
    /// See [`ON_AUTH_CREATION`].
    pub const ON_SYNC_ERROR: &str = "webhook.on_sync_error";
    /// See [`ON_AUTH_CREATION`].
    pub const ON_ASYNC_ACTION_COMPLETION: &str = "webhook.on_async_action_completion";
    /// See [`ON_AUTH_CREATION`].
    pub const ON_CONNECTION_DELETION: &str = "webhook.on_connection_deletion";

    /// Nango's defaults for a new environment: auth creation, refresh errors, every sync
    /// completion and sync errors on; async action completion and connection deletion off.
    pub fn toggle_default(key: &str) -> bool {
        matches!(
            key,
            ON_AUTH_CREATION | ON_AUTH_REFRESH_ERROR | ON_SYNC_COMPLETION_ALWAYS | ON_SYNC_ERROR
        )
    }
}
