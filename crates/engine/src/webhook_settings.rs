//! The environment's webhook settings: destinations, the signing key (generated and stored
//! sealed on first use) and the toggles of each kind of webhook.

use secrecy::SecretString;
use snowgate_store::{Store, setting};
use uuid::Uuid;

use crate::{error::EngineError, runtime::Runtime, webhooks::WebhookUrl};

/// The environment's webhook settings.
#[derive(Debug, Clone)]
pub struct WebhookSettings {
    /// The primary destination.
    pub primary_url: Option<String>,
    /// The secondary destination.
    pub secondary_url: Option<String>,
    /// The HMAC signing key (generated on first use).
    pub signing_key: SecretString,
    /// Send `auth` `creation` webhooks.
    pub on_auth_creation: bool,
    /// Send `auth` `refresh` failure webhooks.
    pub on_auth_refresh_error: bool,
    /// Send a sync webhook after every successful run, even without changes.
    pub on_sync_completion_always: bool,
    /// Send sync failure webhooks.
    pub on_sync_error: bool,
    /// Send `async_action` webhooks.
    pub on_async_action_completion: bool,
    /// Send `auth` `deletion` webhooks.
    pub on_connection_deletion: bool,
}

/// A partial update of the webhook settings; `None` leaves a field as it is, `Some(None)` clears
/// a URL.
#[derive(Debug, Clone, Default)]
pub struct WebhookSettingsUpdate {
    /// The primary destination.
    pub primary_url: Option<Option<WebhookUrl>>,
    /// The secondary destination.
    pub secondary_url: Option<Option<WebhookUrl>>,
    /// A new signing key.
    pub signing_key: Option<SecretString>,
    /// See [`WebhookSettings::on_auth_creation`].
    pub on_auth_creation: Option<bool>,
    /// See [`WebhookSettings::on_auth_refresh_error`].
    pub on_auth_refresh_error: Option<bool>,
    /// See [`WebhookSettings::on_sync_completion_always`].
    pub on_sync_completion_always: Option<bool>,
    /// See [`WebhookSettings::on_sync_error`].
    pub on_sync_error: Option<bool>,
    /// See [`WebhookSettings::on_async_action_completion`].
    pub on_async_action_completion: Option<bool>,
    /// See [`WebhookSettings::on_connection_deletion`].
    pub on_connection_deletion: Option<bool>,
}

/// The webhook settings (the signing key is generated on first use).
pub(crate) async fn get(rt: &Runtime) -> Result<WebhookSettings, EngineError> {
    let store = rt.store();
    let toggle = |key: &'static str| async move {
        Ok::<_, EngineError>(match store.setting(key).await? {
            Some(value) => value == "true",
            None => setting::toggle_default(key),
        })
    };
    Ok(WebhookSettings {
        primary_url: store.setting(setting::WEBHOOK_PRIMARY_URL).await?,
        secondary_url: store.setting(setting::WEBHOOK_SECONDARY_URL).await?,
        signing_key: signing_key(rt).await?,
        on_auth_creation: toggle(setting::ON_AUTH_CREATION).await?,
        on_auth_refresh_error: toggle(setting::ON_AUTH_REFRESH_ERROR).await?,
        on_sync_completion_always: toggle(setting::ON_SYNC_COMPLETION_ALWAYS).await?,
        on_sync_error: toggle(setting::ON_SYNC_ERROR).await?,
        on_async_action_completion: toggle(setting::ON_ASYNC_ACTION_COMPLETION).await?,
        on_connection_deletion: toggle(setting::ON_CONNECTION_DELETION).await?,
    })
}

/// Updates the webhook settings and returns them.
pub(crate) async fn set(
    rt: &Runtime,
    update: WebhookSettingsUpdate,
) -> Result<WebhookSettings, EngineError> {
    let store = rt.store();
    for (key, url) in [
        (setting::WEBHOOK_PRIMARY_URL, &update.primary_url),
        (setting::WEBHOOK_SECONDARY_URL, &update.secondary_url),
    ] {
        if let Some(url) = url {
            store
                .set_setting(key, url.as_ref().map(WebhookUrl::as_str))
                .await?;
        }
    }
    if let Some(key) = &update.signing_key {
        store
            .set_secret_setting(setting::WEBHOOK_SIGNING_KEY, key)
            .await?;
    }
    for (key, value) in [
        (setting::ON_AUTH_CREATION, update.on_auth_creation),
        (setting::ON_AUTH_REFRESH_ERROR, update.on_auth_refresh_error),
        (
            setting::ON_SYNC_COMPLETION_ALWAYS,
            update.on_sync_completion_always,
        ),
        (setting::ON_SYNC_ERROR, update.on_sync_error),
        (
            setting::ON_ASYNC_ACTION_COMPLETION,
            update.on_async_action_completion,
        ),
        (
            setting::ON_CONNECTION_DELETION,
            update.on_connection_deletion,
        ),
    ] {
        if let Some(value) = value {
            store
                .set_setting(key, Some(if value { "true" } else { "false" }))
                .await?;
        }
    }
    get(rt).await
}

/// The webhook signing key, generated (and stored sealed) on first use.
pub(crate) async fn signing_key(rt: &Runtime) -> Result<SecretString, EngineError> {
    let candidate = SecretString::from(Uuid::new_v4().simple().to_string());
    Ok(rt
        .store()
        .secret_setting_or_insert(setting::WEBHOOK_SIGNING_KEY, candidate)
        .await?)
}
