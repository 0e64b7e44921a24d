//! Which webhooks an event produces and where they go: the environment's toggles, the
//! destinations (a connection's override replaces both environment URLs), and one outbox row per
//! destination with its exact body ([`crate::webhooks::Payload::body`]: canonical JSON, as Nango
//! sends it, plus the delivery's `idempotencyKey`).
//!
//! The rows are enqueued by the caller, in the same transaction as the change they announce where
//! the store offers one (a run's result, a connection's deletion).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use snowgate_store::{Connection, NewDelivery, Store, setting};
use uuid::Uuid;

use crate::{
    error::EngineError,
    runtime::Runtime,
    webhook_settings,
    webhooks::{
        AsyncActionResult, AsyncActionWebhook, AuthOperation, AuthWebhook, Checkpoints, EndUser,
        Payload, ResponseResults, SyncFailure, SyncSuccess, SyncType, WebhookError,
    },
};

/// The `environment` of auth webhooks (Snowgate has one environment).
const ENVIRONMENT: &str = "prod";

/// Nango's timestamp form in webhooks and credentials: milliseconds and `Z`.
pub(crate) fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Where a connection's webhooks go.
async fn destinations(rt: &Runtime, connection: &Connection) -> Result<Vec<String>, EngineError> {
    if let Some(url) = connection
        .webhook_url_override
        .as_ref()
        .filter(|u| !u.is_empty())
    {
        return Ok(vec![url.clone()]);
    }
    let settings = webhook_settings::get(rt).await?;
    Ok([settings.primary_url, settings.secondary_url]
        .into_iter()
        .flatten()
        .filter(|url| !url.is_empty())
        .collect())
}

async fn enabled(rt: &Runtime, key: &'static str) -> Result<bool, EngineError> {
    Ok(match rt.store().setting(key).await? {
        Some(value) => value == "true",
        None => setting::toggle_default(key),
    })
}

/// One outbox row per destination for `payload`. Each delivery has one idempotency key of its
/// own: its row's `idempotency_id`, the body's `idempotencyKey` and (sent by the dispatcher) the
/// `Idempotency-Key` header, the same on every retry and redelivery of that delivery.
async fn deliveries(
    rt: &Runtime,
    connection: &Connection,
    kind: &str,
    payload: &Payload,
) -> Result<Vec<NewDelivery>, EngineError> {
    Ok(destinations(rt, connection)
        .await?
        .into_iter()
        .map(|url| {
            let key = Uuid::new_v4().to_string();
            NewDelivery {
                body: payload.body(Some(&key)),
                idempotency_id: key,
                connection: Some(connection.id),
                kind: kind.to_owned(),
                url,
                next_attempt_at: Utc::now(),
            }
        })
        .collect())
}

fn end_user(profile: &Value) -> Option<EndUser> {
    let text = |value: Option<&Value>| value.and_then(Value::as_str).map(str::to_owned);
    Some(EndUser {
        end_user_id: text(profile.get("id"))?,
        end_user_email: text(profile.get("email")),
        organization_id: text(profile.pointer("/organization/id")),
        tags: profile
            .get("tags")
            .and_then(|tags| serde_json::from_value(tags.clone()).ok())
            .unwrap_or_default(),
    })
}

/// The `auth` webhook of `operation`, a failure when `error` is `(type, description)`. Empty when
/// its toggle is off (`override` has none).
pub(crate) async fn auth(
    rt: &Runtime,
    connection: &Connection,
    operation: AuthOperation,
    error: Option<(&str, &str)>,
) -> Result<Vec<NewDelivery>, EngineError> {
    let toggle = match operation {
        AuthOperation::Creation => Some(setting::ON_AUTH_CREATION),
        AuthOperation::Refresh => Some(setting::ON_AUTH_REFRESH_ERROR),
        AuthOperation::Deletion => Some(setting::ON_CONNECTION_DELETION),
        AuthOperation::Override | AuthOperation::Unknown => None,
    };
    if let Some(toggle) = toggle
        && !enabled(rt, toggle).await?
    {
        return Ok(Vec::new());
    }
    let payload = Payload::Auth(AuthWebhook {
        operation,
        connection_id: connection.connection_id.clone(),
        provider_config_key: connection.integration_key.clone(),
        provider: connection.provider.clone(),
        auth_mode: "JWT".into(),
        environment: ENVIRONMENT.into(),
        success: error.is_none(),
        tags: Some(connection.tags.clone()),
        end_user: connection.end_user.as_ref().and_then(end_user),
        error: error.map(|(kind, description)| WebhookError {
            kind: kind.to_owned(),
            description: description.to_owned(),
            payload: None,
        }),
    });
    deliveries(rt, connection, "auth", &payload).await
}

/// What a finished run reports to [`sync`].
pub(crate) struct SyncOutcome<'a> {
    pub(crate) sync_name: &'a str,
    pub(crate) variant: &'a str,
    pub(crate) model: &'a str,
    /// When the logical run started: a run that continues an interrupted one reports the
    /// first start, so `modifiedAfter` covers every record the interrupted runs wrote.
    pub(crate) started_at: DateTime<Utc>,
    pub(crate) finished_at: DateTime<Utc>,
    /// `Ok(counts)` or `Err(error)`.
    pub(crate) result: Result<ResponseResults, WebhookError>,
    /// The checkpoints of a run that used them (incremental syncs).
    pub(crate) checkpoints: Option<Checkpoints>,
}

/// The sync webhook of a run: success with changes always; success without changes when
/// `on_sync_completion_always`; failure when `on_sync_error`.
pub(crate) async fn sync(
    rt: &Runtime,
    connection: &Connection,
    outcome: SyncOutcome<'_>,
) -> Result<Vec<NewDelivery>, EngineError> {
    let payload = match outcome.result {
        Ok(counts) => {
            let changed = counts.added + counts.updated + counts.deleted > 0;
            if !changed && !enabled(rt, setting::ON_SYNC_COMPLETION_ALWAYS).await? {
                return Ok(Vec::new());
            }
            Payload::SyncSuccess(SyncSuccess {
                connection_id: connection.connection_id.clone(),
                provider_config_key: connection.integration_key.clone(),
                sync_name: outcome.sync_name.to_owned(),
                sync_variant: outcome.variant.to_owned(),
                model: outcome.model.to_owned(),
                sync_type: SyncType::Incremental,
                success: true,
                modified_after: outcome.started_at,
                query_time_stamp: outcome.started_at,
                response_results: counts,
                checkpoints: outcome.checkpoints.map(Some),
            })
        }
        Err(error) => {
            if !enabled(rt, setting::ON_SYNC_ERROR).await? {
                return Ok(Vec::new());
            }
            Payload::SyncFailure(SyncFailure {
                connection_id: connection.connection_id.clone(),
                provider_config_key: connection.integration_key.clone(),
                sync_name: outcome.sync_name.to_owned(),
                sync_variant: outcome.variant.to_owned(),
                model: outcome.model.to_owned(),
                sync_type: SyncType::Incremental,
                success: false,
                error,
                started_at: outcome.started_at,
                failed_at: outcome.finished_at,
                checkpoints: outcome.checkpoints,
            })
        }
    };
    deliveries(rt, connection, "sync", &payload).await
}

/// The `async_action` webhook, when `on_async_action_completion` is on.
pub(crate) async fn async_action(
    rt: &Runtime,
    connection: &Connection,
    id: Uuid,
) -> Result<Vec<NewDelivery>, EngineError> {
    if !enabled(rt, setting::ON_ASYNC_ACTION_COMPLETION).await? {
        return Ok(Vec::new());
    }
    let payload = Payload::AsyncAction(AsyncActionWebhook {
        connection_id: connection.connection_id.clone(),
        provider_config_key: connection.integration_key.clone(),
        payload: AsyncActionResult {
            id: id.to_string(),
            status_url: format!("/action/{id}"),
        },
    });
    deliveries(rt, connection, "async_action", &payload).await
}
