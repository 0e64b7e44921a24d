//! Webhook deliveries (Snowgate's addition; Nango has no redelivery): the outbox with each
//! delivery's attempts, listing by status (e.g. the `dead` ones that exhausted their retries),
//! and redelivery.

use axum::{
    Json,
    extract::{Path, State},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use snowgate_engine::{WebhookSettings, WebhookSettingsUpdate, webhooks::WebhookUrl};
use snowgate_store::{ConnectionPk, Delivery, DeliveryFilter, DeliveryId, DeliveryStatus, Store};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    auth::SecretKey,
    error::{ApiError, ApiResult},
    extract::{EmptyQuery, QueryParams},
    routes::connections::{double_option, find_connection, unknown_connection},
    state::AppState,
    time::millis_z,
};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_deliveries))
        .routes(routes!(get_delivery))
        .routes(routes!(redeliver))
        .routes(routes!(get_settings, update_settings))
}

/// The connection filter shared by the deliveries and operations lists:
/// `connection_id` + `provider_config_key`.
pub(crate) async fn connection_filter(
    state: &AppState,
    query: &mut QueryParams,
) -> ApiResult<Option<ConnectionPk>> {
    let connection_id = query.one("connection_id");
    let integration = query.one("provider_config_key");
    match (connection_id, integration) {
        (None, None) => Ok(None),
        (Some(connection_id), Some(integration)) => Ok(Some(
            find_connection(state, &integration, &connection_id)
                .await?
                .ok_or_else(|| unknown_connection(&connection_id, &integration))?
                .id,
        )),
        _ => {
            query.fail(
                "connection_id",
                "give connection_id and provider_config_key together",
            );
            Ok(None)
        }
    }
}

/// A page size from `limit` (1 to 1000; default 100).
pub(crate) fn page_size(query: &mut QueryParams) -> u32 {
    let limit = query
        .parsed("limit", "a number from 1 to 1000")
        .unwrap_or(100);
    if !(1..=1000).contains(&limit) {
        query.fail("limit", "limit must be from 1 to 1000");
    }
    limit
}

/// A webhook delivery.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryView {
    /// Its id.
    id: i64,
    /// The idempotency id, also in the payload; receivers deduplicate on it.
    idempotency_id: String,
    /// `auth`, `sync`, `async_action`…
    kind: String,
    /// The destination.
    url: String,
    /// `pending`, `delivered` or `dead`.
    status: String,
    /// Attempts since it was (re)queued.
    attempts: i64,
    /// When the next attempt is due.
    next_attempt_at: String,
    /// The last attempt's error.
    last_error: Option<String>,
    /// When it was enqueued.
    created_at: String,
    /// When it was delivered.
    delivered_at: Option<String>,
    /// The exact body sent (with `include=body`, and on `GET /webhooks/deliveries/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<Value>,
    /// The attempts, oldest first (on `GET /webhooks/deliveries/{id}`).
    #[serde(skip_serializing_if = "Option::is_none")]
    attempts_history: Option<Vec<AttemptView>>,
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    /// When.
    attempted_at: String,
    /// The receiver's status, if it answered.
    http_status: Option<u16>,
    /// The error, if it failed.
    error: Option<String>,
    /// How long it took.
    duration_ms: i64,
}

fn optional_time(at: Option<DateTime<Utc>>) -> Option<String> {
    at.map(millis_z)
}

impl DeliveryView {
    fn new(delivery: Delivery, with_body: bool) -> Self {
        Self {
            id: delivery.id.0,
            body: with_body.then(|| serde_json::from_slice(&delivery.body).unwrap_or(Value::Null)),
            idempotency_id: delivery.idempotency_id,
            kind: delivery.kind,
            url: delivery.url,
            status: delivery.status.as_str().to_owned(),
            attempts: delivery.attempts,
            next_attempt_at: millis_z(delivery.next_attempt_at),
            last_error: delivery.last_error,
            created_at: millis_z(delivery.created_at),
            delivered_at: optional_time(delivery.delivered_at),
            attempts_history: None,
        }
    }
}

/// `{"deliveries": […]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    deliveries: Vec<DeliveryView>,
}

/// List webhook deliveries, newest first.
#[utoipa::path(get, path = "/webhooks/deliveries", tag = "webhooks",
    params(("status" = Option<String>, Query, description = "pending, delivered or dead"),
           ("connection_id" = Option<String>, Query), ("provider_config_key" = Option<String>, Query),
           ("before" = Option<i64>, Query, description = "The previous page's last id"),
           ("limit" = Option<u32>, Query, description = "1 to 1000; default 100"),
           ("include" = Option<String>, Query, description = "`body` to include the bodies")),
    responses((status = 200, body = DeliveryList)))]
async fn list_deliveries(
    _: SecretKey,
    mut query: QueryParams,
    State(state): State<AppState>,
) -> ApiResult<Json<DeliveryList>> {
    let status = query
        .one("status")
        .and_then(|text| match DeliveryStatus::parse(&text) {
            Some(status) => Some(status),
            None => {
                query.fail(
                    "status",
                    format!("{text:?} is not a status; use pending, delivered or dead"),
                );
                None
            }
        });
    let connection = connection_filter(&state, &mut query).await?;
    let before = query.parsed("before", "a delivery id").map(DeliveryId);
    let limit = page_size(&mut query);
    let with_body = match query.one("include").as_deref() {
        None => false,
        Some("body") => true,
        Some(other) => {
            query.fail(
                "include",
                format!("include may only be body, not {other:?}"),
            );
            false
        }
    };
    query.finish()?;
    let deliveries = state
        .store()
        .list_deliveries(&DeliveryFilter {
            status,
            connection,
            before,
            limit,
        })
        .await?
        .into_iter()
        .map(|delivery| DeliveryView::new(delivery, with_body))
        .collect();
    Ok(Json(DeliveryList { deliveries }))
}

fn delivery_id(id: &str) -> ApiResult<DeliveryId> {
    id.parse().map(DeliveryId).map_err(|_| {
        ApiError::bad_request(
            "invalid_uri_params",
            format!("{id:?} is not a delivery id (a number)"),
        )
    })
}

async fn delivery_of(state: &AppState, id: &str) -> ApiResult<Delivery> {
    state
        .store()
        .delivery(delivery_id(id)?)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("No webhook delivery {id}")))
}

/// One delivery with its body and every attempt.
#[utoipa::path(get, path = "/webhooks/deliveries/{id}", tag = "webhooks",
    params(("id" = i64, Path)),
    responses((status = 200, body = DeliveryView), (status = 404, body = crate::error::ErrorEnvelope)))]
async fn get_delivery(
    _: SecretKey,
    _: EmptyQuery,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<DeliveryView>> {
    let delivery = delivery_of(&state, &id).await?;
    let attempts = state.store().delivery_attempts(delivery.id).await?;
    let mut view = DeliveryView::new(delivery, true);
    view.attempts_history = Some(
        attempts
            .into_iter()
            .map(|attempt| AttemptView {
                attempted_at: millis_z(attempt.attempted_at),
                http_status: attempt.http_status,
                error: attempt.error,
                duration_ms: attempt.duration_ms,
            })
            .collect(),
    );
    Ok(Json(view))
}

/// Send a delivery again (a delivered or dead one), with a fresh retry budget; the body and
/// idempotency id are unchanged, so receivers can deduplicate.
#[utoipa::path(post, path = "/webhooks/deliveries/{id}/redeliver", tag = "webhooks",
    params(("id" = i64, Path)),
    responses((status = 200, body = crate::routes::connections::Success), (status = 404, body = crate::error::ErrorEnvelope)))]
async fn redeliver(
    _: SecretKey,
    _: EmptyQuery,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<crate::routes::connections::Success>> {
    if !state.engine().redeliver(delivery_id(&id)?).await? {
        return Err(ApiError::not_found(format!("No webhook delivery {id}")));
    }
    Ok(crate::routes::connections::Success::json())
}

/// The environment's webhook settings.
#[derive(Debug, Serialize, ToSchema)]
pub struct SettingsView {
    /// Where every webhook goes (unless a connection overrides it).
    primary_url: Option<String>,
    /// A second destination for every webhook.
    secondary_url: Option<String>,
    /// The key of `X-Nango-Hmac-Sha256` (give it to `verifyIncomingWebhookRequest`).
    signing_key: String,
    /// Send `auth` `creation` webhooks (default on).
    on_auth_creation: bool,
    /// Send `auth` `refresh` failure webhooks (default on).
    on_auth_refresh_error: bool,
    /// Send a sync webhook after every successful run, even without changes (default on).
    on_sync_completion_always: bool,
    /// Send sync failure webhooks (default on).
    on_sync_error: bool,
    /// Send `async_action` webhooks (default off).
    on_async_action_completion: bool,
    /// Send `auth` `deletion` webhooks (default off).
    on_connection_deletion: bool,
}

impl From<WebhookSettings> for SettingsView {
    fn from(settings: WebhookSettings) -> Self {
        Self {
            primary_url: settings.primary_url,
            secondary_url: settings.secondary_url,
            signing_key: secrecy::ExposeSecret::expose_secret(&settings.signing_key).to_owned(),
            on_auth_creation: settings.on_auth_creation,
            on_auth_refresh_error: settings.on_auth_refresh_error,
            on_sync_completion_always: settings.on_sync_completion_always,
            on_sync_error: settings.on_sync_error,
            on_async_action_completion: settings.on_async_action_completion,
            on_connection_deletion: settings.on_connection_deletion,
        }
    }
}

/// A partial update of the webhook settings.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsUpdate {
    /// New primary URL; null removes it.
    #[serde(default, deserialize_with = "double_option")]
    primary_url: Option<Option<String>>,
    /// New secondary URL; null removes it.
    #[serde(default, deserialize_with = "double_option")]
    secondary_url: Option<Option<String>>,
    /// A new signing key.
    signing_key: Option<String>,
    /// See the settings.
    on_auth_creation: Option<bool>,
    /// See the settings.
    on_auth_refresh_error: Option<bool>,
    /// See the settings.
    on_sync_completion_always: Option<bool>,
    /// See the settings.
    on_sync_error: Option<bool>,
    /// See the settings.
    on_async_action_completion: Option<bool>,
    /// See the settings.
    on_connection_deletion: Option<bool>,
}

/// The webhook settings, with the signing key.
#[utoipa::path(get, path = "/webhooks/settings", tag = "webhooks",
    responses((status = 200, body = SettingsView)))]
async fn get_settings(
    _: SecretKey,
    _: EmptyQuery,
    State(state): State<AppState>,
) -> ApiResult<Json<SettingsView>> {
    Ok(Json(state.engine().webhook_settings().await?.into()))
}

/// Change the webhook settings: URLs, signing key, toggles.
#[utoipa::path(patch, path = "/webhooks/settings", tag = "webhooks", request_body = SettingsUpdate,
    responses((status = 200, body = SettingsView), (status = 400, body = crate::error::ErrorEnvelope)))]
async fn update_settings(
    _: SecretKey,
    _: EmptyQuery,
    State(state): State<AppState>,
    crate::extract::JsonBody(update): crate::extract::JsonBody<SettingsUpdate>,
) -> ApiResult<Json<SettingsView>> {
    let mut checks = crate::extract::Checks::default();
    let mut parse_url = |path: &str, url: Option<Option<String>>| match url {
        Some(Some(text)) => match WebhookUrl::parse(&text) {
            Ok(url) => Some(Some(url)),
            Err(error) => {
                checks.fail(path, error.to_string());
                None
            }
        },
        Some(None) => Some(None),
        None => None,
    };
    let primary_url = parse_url("primary_url", update.primary_url);
    let secondary_url = parse_url("secondary_url", update.secondary_url);
    if let Some(key) = &update.signing_key {
        checks.check(key.len() >= 16, "signing_key", || {
            "a signing key has at least 16 characters".into()
        });
    }
    checks.finish("invalid_body")?;
    let settings = state
        .engine()
        .set_webhook_settings(WebhookSettingsUpdate {
            primary_url,
            secondary_url,
            signing_key: update.signing_key.map(Into::into),
            on_auth_creation: update.on_auth_creation,
            on_auth_refresh_error: update.on_auth_refresh_error,
            on_sync_completion_always: update.on_sync_completion_always,
            on_sync_error: update.on_sync_error,
            on_async_action_completion: update.on_async_action_completion,
            on_connection_deletion: update.on_connection_deletion,
        })
        .await?;
    Ok(Json(settings.into()))
}
