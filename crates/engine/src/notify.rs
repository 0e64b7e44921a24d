//! Which webhooks an event produces and where they go: the environment's toggles, the
//! destinations (a connection's override replaces both environment URLs), and one outbox row per
//! destination with its exact body (canonical JSON, keys sorted, as Nango sends it).
//!
//! The rows are enqueued by the caller, in the same transaction as the change they announce where
//! the store offers one (a run's result, a connection's deletion).

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Map, Value, json};
use snowgate_store::{Connection, NewDelivery, Store, setting};
use uuid::Uuid;

use crate::{canonical, engine::Engine, error::EngineError};

/// Nango's timestamp form in webhooks and credentials: milliseconds and `Z`.
pub(crate) fn timestamp(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Where a connection's webhooks go.
async fn destinations(
    engine: &Engine,
    connection: &Connection,
) -> Result<Vec<String>, EngineError> {
    if let Some(url) = connection
        .webhook_url_override
        .as_ref()
        .filter(|u| !u.is_empty())
    {
        return Ok(vec![url.clone()]);
    }
    let settings = engine.webhook_settings().await?;
    Ok([settings.primary_url, settings.secondary_url]
        .into_iter()
        .flatten()
        .filter(|url| !url.is_empty())
        .collect())
}

async fn enabled(engine: &Engine, key: &'static str) -> Result<bool, EngineError> {
    Ok(match engine.store().setting(key).await? {
        Some(value) => value == "true",
        None => setting::toggle_default(key),
    })
}

/// One outbox row per destination for `body`.
async fn deliveries(
    engine: &Engine,
    connection: &Connection,
    kind: &str,
    body: &Value,
) -> Result<Vec<NewDelivery>, EngineError> {
    let bytes = canonical::to_vec(body);
    let event = Uuid::new_v4();
    Ok(destinations(engine, connection)
        .await?
        .into_iter()
        .enumerate()
        .map(|(index, url)| NewDelivery {
            idempotency_id: format!("{event}:{index}"),
            connection: Some(connection.id),
            kind: kind.to_owned(),
            url,
            body: bytes.clone(),
            next_attempt_at: Utc::now(),
        })
        .collect())
}

/// The `auth` webhook of `operation` (`creation`, `override`, `refresh`, `deletion`), a failure
/// when `error` is `(type, description)`. Empty when its toggle is off.
pub(crate) async fn auth(
    engine: &Engine,
    connection: &Connection,
    operation: &str,
    error: Option<(&str, &str)>,
) -> Result<Vec<NewDelivery>, EngineError> {
    let toggle = match operation {
        "creation" => Some(setting::ON_AUTH_CREATION),
        "refresh" => Some(setting::ON_AUTH_REFRESH_ERROR),
        "deletion" => Some(setting::ON_CONNECTION_DELETION),
        _ => None,
    };
    if let Some(toggle) = toggle
        && !enabled(engine, toggle).await?
    {
        return Ok(Vec::new());
    }
    let mut body = json!({
        "from": "nango",
        "type": "auth",
        "operation": operation,
        "connectionId": connection.connection_id,
        "providerConfigKey": connection.integration_key,
        "provider": connection.provider,
        "authMode": "JWT",
        "environment": "prod",
        "success": error.is_none(),
        "tags": connection.tags,
    });
    if let Some(end_user) = &connection.end_user {
        body["endUser"] = json!({
            "endUserId": end_user.get("id"),
            "endUserEmail": end_user.get("email"),
            "organizationId": end_user.pointer("/organization/id"),
            "tags": end_user.get("tags").cloned().unwrap_or_else(|| Value::Object(Map::new())),
        });
    }
    if let Some((kind, description)) = error {
        body["error"] = json!({"type": kind, "description": description});
    }
    deliveries(engine, connection, "auth", &body).await
}

/// What a finished run reports to [`sync`].
pub(crate) struct SyncOutcome<'a> {
    pub(crate) sync_name: &'a str,
    pub(crate) variant: &'a str,
    pub(crate) model: &'a str,
    pub(crate) started_at: DateTime<Utc>,
    pub(crate) finished_at: DateTime<Utc>,
    /// `Ok((added, updated, deleted))` or `Err((type, description))`.
    pub(crate) result: Result<(u64, u64, u64), (String, String)>,
    pub(crate) checkpoints: Option<(Option<Value>, Option<Value>)>,
}

/// The sync webhook of a run: success with changes always; success without changes when
/// `on_sync_completion_always`; failure when `on_sync_error`.
pub(crate) async fn sync(
    engine: &Engine,
    connection: &Connection,
    outcome: &SyncOutcome<'_>,
) -> Result<Vec<NewDelivery>, EngineError> {
    let mut body = json!({
        "from": "nango",
        "type": "sync",
        "connectionId": connection.connection_id,
        "providerConfigKey": connection.integration_key,
        "syncName": outcome.sync_name,
        "syncVariant": outcome.variant,
        "model": outcome.model,
        "syncType": "INCREMENTAL",
    });
    match &outcome.result {
        Ok((added, updated, deleted)) => {
            let changed = added + updated + deleted > 0;
            if !changed && !enabled(engine, setting::ON_SYNC_COMPLETION_ALWAYS).await? {
                return Ok(Vec::new());
            }
            body["success"] = Value::Bool(true);
            body["modifiedAfter"] = Value::String(timestamp(outcome.started_at));
            body["queryTimeStamp"] = Value::String(timestamp(outcome.started_at));
            body["responseResults"] =
                json!({"added": added, "updated": updated, "deleted": deleted});
        }
        Err((kind, description)) => {
            if !enabled(engine, setting::ON_SYNC_ERROR).await? {
                return Ok(Vec::new());
            }
            body["success"] = Value::Bool(false);
            body["error"] = json!({"type": kind, "description": description, "payload": {}});
            body["startedAt"] = Value::String(timestamp(outcome.started_at));
            body["failedAt"] = Value::String(timestamp(outcome.finished_at));
        }
    }
    if let Some((from, to)) = &outcome.checkpoints {
        body["checkpoints"] = json!({"from": from, "to": to});
    }
    deliveries(engine, connection, "sync", &body).await
}

/// The `async_action` webhook, when `on_async_action_completion` is on.
pub(crate) async fn async_action(
    engine: &Engine,
    connection: &Connection,
    id: Uuid,
) -> Result<Vec<NewDelivery>, EngineError> {
    if !enabled(engine, setting::ON_ASYNC_ACTION_COMPLETION).await? {
        return Ok(Vec::new());
    }
    let body = json!({
        "from": "nango",
        "type": "async_action",
        "connectionId": connection.connection_id,
        "providerConfigKey": connection.integration_key,
        "payload": {"id": id.to_string(), "statusUrl": format!("/action/{id}")},
    });
    deliveries(engine, connection, "async_action", &body).await
}
