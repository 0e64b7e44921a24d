//! Actions: `POST /action/trigger` runs one of the fifteen Snowflake actions now, or queues it
//! with `X-Async: true`; `GET /action/{id}` reads a queued action's result. Errors keep Nango's
//! codes (`invalid_action_input`, `script_http_error` with the upstream answer,
//! `action_script_runtime_error`, `action_script_failure`).

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header::LOCATION},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use snowgate_engine::ActionError;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::{
    auth::SecretKey,
    error::{ApiError, ApiResult, FieldError},
    extract::{Checks, ConnectionHeaders, JsonBody, QueryParams},
    routes::records::connection_of,
    state::AppState,
};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(trigger_action))
        .routes(routes!(action_result))
}

/// Nango's envelope for an action's failure.
fn action_error(error: ActionError) -> ApiError {
    match error {
        ActionError::NotFound { name } => {
            ApiError::not_found(format!("There is no action {name:?}"))
        }
        ActionError::InvalidInput { errors } => ApiError::validation(
            "invalid_action_input",
            errors
                .into_iter()
                .map(|error| FieldError {
                    code: error.code,
                    message: error.message,
                    path: error.path,
                })
                .collect(),
        ),
        ActionError::ScriptHttpError {
            status,
            headers,
            body,
        } => ApiError::bare(StatusCode::FAILED_DEPENDENCY, "script_http_error")
            .payload(body.clone())
            .field(
                "upstream",
                json!({"status": status, "headers": headers, "body": body}),
            ),
        ActionError::Runtime { payload } => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "action_script_runtime_error",
            "The action script failed with a runtime error",
        )
        .payload(payload),
        ActionError::Failure { message } => ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "action_script_failure",
            format!("The action script failed with an error: {message}"),
        )
        .payload(json!({})),
    }
}

/// The body of `POST /action/trigger`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// The action, e.g. `list-tables`.
    action_name: String,
    /// Its input, e.g. `{"database": "DB", "schema": "PUBLIC"}`.
    #[serde(default)]
    input: Value,
}

/// Where a queued action's result will be.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActionQueued {
    /// The action's id.
    id: Uuid,
    /// `/action/<id>`, relative to the API root.
    status_url: String,
}

const MAX_RETRIES: u32 = 5;

/// Run an action: `200` with its raw output, or with `X-Async: true`, `202` and where to read it.
#[utoipa::path(post, path = "/action/trigger", tag = "actions", request_body = ActionRequest,
    params(("Connection-Id" = String, Header), ("Provider-Config-Key" = String, Header),
           ("X-Async" = Option<bool>, Header), ("X-Max-Retries" = Option<u32>, Header, description = "0 to 5, async only")),
    responses((status = 200, description = "The action's output", body = serde_json::Value),
              (status = 202, body = ActionQueued), (status = 400, body = crate::error::ErrorEnvelope),
              (status = 424, body = crate::error::ErrorEnvelope), (status = 500, body = crate::error::ErrorEnvelope)))]
async fn trigger_action(
    _: SecretKey,
    connection: ConnectionHeaders,
    query: QueryParams,
    headers: HeaderMap,
    State(state): State<AppState>,
    JsonBody(request): JsonBody<ActionRequest>,
) -> ApiResult<Response> {
    query.finish()?;
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
    };
    let mut checks = Checks::default();
    let asynchronous = match header("x-async") {
        None | Some("") | Some("false") => false,
        Some("true") => true,
        Some(_) => {
            checks.fail("x-async", "X-Async is true or false");
            false
        }
    };
    let max_retries = match header("x-max-retries") {
        None | Some("") => 0,
        Some(text) => text
            .parse()
            .ok()
            .filter(|retries| *retries <= MAX_RETRIES)
            .unwrap_or_else(|| {
                checks.fail(
                    "x-max-retries",
                    format!("X-Max-Retries is a number from 0 to {MAX_RETRIES}"),
                );
                0
            }),
    };
    checks.finish("invalid_headers")?;
    let mut checks = Checks::default();
    checks.name("action_name", &request.action_name);
    checks.finish("invalid_body")?;
    let connection = connection_of(&state, &connection).await?;
    let input = match request.input {
        Value::Null => json!({}),
        input => input,
    };
    let engine = state.engine();
    if asynchronous {
        let id = engine
            .enqueue_action(connection.id, &request.action_name, input, max_retries)
            .await
            .map_err(action_error)?;
        let status_url = format!("/action/{id}");
        let location = HeaderValue::from_str(&status_url)
            .map_err(|error| ApiError::internal("queueing the action", error))?;
        Ok((
            StatusCode::ACCEPTED,
            [(LOCATION, location)],
            Json(ActionQueued { id, status_url }),
        )
            .into_response())
    } else {
        let output = engine
            .run_action(connection.id, &request.action_name, input)
            .await
            .map_err(action_error)?;
        Ok(Json(output).into_response())
    }
}

/// The result of a queued action: its output, its error, or `404` while it runs.
#[utoipa::path(get, path = "/action/{id}", tag = "actions", params(("id" = String, Path)),
    responses((status = 200, description = "The action's output", body = serde_json::Value),
              (status = 404, body = crate::error::ErrorEnvelope)))]
async fn action_result(
    _: SecretKey,
    query: QueryParams,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    query.finish()?;
    let not_found = || ApiError::not_found(format!("No action '{id}' found"));
    let uuid = Uuid::parse_str(&id).map_err(|_| not_found())?;
    match state.engine().action_result(uuid).await? {
        None => Err(not_found()),
        Some(Ok(output)) => Ok(Json(output)),
        Some(Err(error)) => Err(action_error(error)),
    }
}
