//! The operations log (Snowgate's addition; Nango's logs are dashboard-only): sync runs,
//! actions, auth flows, proxy calls and webhooks, with their messages. The ids are the `log_id`s
//! of connections' `errors[]`.

use axum::{
    Json,
    extract::{Path, State},
};
use chrono::DateTime;
use serde::Serialize;
use serde_json::Value;
use snowgate_store::{Message, Operation, OperationFilter, OperationKind, OperationStatus, Store};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    auth::SecretKey,
    error::{ApiError, ApiResult},
    extract::{EmptyQuery, QueryParams},
    routes::deliveries::{connection_filter, page_size},
    state::AppState,
    time::millis_z,
};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_operations))
        .routes(routes!(get_operation))
        .routes(routes!(list_messages))
}

/// An operation.
#[derive(Debug, Serialize, ToSchema)]
pub struct OperationView {
    /// Its id (a connection error's `log_id`).
    id: String,
    /// `sync`, `action`, `auth`, `proxy` or `webhook`.
    kind: String,
    /// What ran: the sync or action name…
    name: String,
    /// `running`, `success`, `failed` or `interrupted`.
    status: String,
    /// The connection's numeric id.
    connection: Option<i64>,
    /// Start, ISO 8601.
    started_at: String,
    /// End, ISO 8601.
    ended_at: Option<String>,
    /// Counts, error…
    summary: Option<Value>,
}

impl From<Operation> for OperationView {
    fn from(operation: Operation) -> Self {
        Self {
            id: operation.id,
            kind: operation.kind.as_str().to_owned(),
            name: operation.name,
            status: operation.status.as_str().to_owned(),
            connection: operation.connection.map(|pk| pk.0),
            started_at: millis_z(operation.started_at),
            ended_at: operation.ended_at.map(millis_z),
            summary: operation.summary,
        }
    }
}

/// `{"operations": […]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct OperationList {
    operations: Vec<OperationView>,
}

/// List operations, newest first.
#[utoipa::path(get, path = "/operations", tag = "operations",
    params(("kind" = Option<String>, Query, description = "sync, action, auth, proxy or webhook"),
           ("status" = Option<String>, Query, description = "running, success, failed or interrupted"),
           ("connection_id" = Option<String>, Query), ("provider_config_key" = Option<String>, Query),
           ("before" = Option<String>, Query, description = "ISO 8601: operations started before (the previous page's last started_at)"),
           ("limit" = Option<u32>, Query, description = "1 to 1000; default 100")),
    responses((status = 200, body = OperationList)))]
async fn list_operations(
    _: SecretKey,
    mut query: QueryParams,
    State(state): State<AppState>,
) -> ApiResult<Json<OperationList>> {
    let kind = query.one("kind").and_then(|text| {
        let kind = OperationKind::parse(&text);
        if kind.is_none() {
            query.fail(
                "kind",
                format!("{text:?} is not a kind; use sync, action, auth, proxy or webhook"),
            );
        }
        kind
    });
    let status = query.one("status").and_then(|text| {
        let status = OperationStatus::parse(&text);
        if status.is_none() {
            query.fail(
                "status",
                format!("{text:?} is not a status; use running, success, failed or interrupted"),
            );
        }
        status
    });
    let started_before =
        query
            .one("before")
            .and_then(|text| match DateTime::parse_from_rfc3339(&text) {
                Ok(at) => Some(at.to_utc()),
                Err(_) => {
                    query.fail("before", format!("{text:?} is not an ISO 8601 date-time"));
                    None
                }
            });
    let connection = connection_filter(&state, &mut query).await?;
    let limit = page_size(&mut query);
    query.finish()?;
    let operations = state
        .store()
        .list_operations(&OperationFilter {
            kind,
            connection,
            status,
            started_before,
            limit,
        })
        .await?
        .into_iter()
        .map(OperationView::from)
        .collect();
    Ok(Json(OperationList { operations }))
}

/// One operation.
#[utoipa::path(get, path = "/operations/{id}", tag = "operations", params(("id" = String, Path)),
    responses((status = 200, body = OperationView), (status = 404, body = crate::error::ErrorEnvelope)))]
async fn get_operation(
    _: SecretKey,
    _: EmptyQuery,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<OperationView>> {
    let operation = state
        .store()
        .operation(&id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("No operation {id:?}")))?;
    Ok(Json(operation.into()))
}

/// A message of an operation.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageView {
    /// Its id; pass the last one as `after` for the next page.
    id: i64,
    /// `debug`, `info`, `warn` or `error`.
    level: String,
    /// The text.
    message: String,
    /// Structured fields.
    fields: Option<Value>,
    /// When, ISO 8601.
    created_at: String,
}

impl From<Message> for MessageView {
    fn from(message: Message) -> Self {
        Self {
            id: message.id,
            level: message.level.as_str().to_owned(),
            message: message.message,
            fields: message.fields,
            created_at: millis_z(message.created_at),
        }
    }
}

/// `{"messages": […]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageList {
    messages: Vec<MessageView>,
}

/// An operation's messages, oldest first.
#[utoipa::path(get, path = "/operations/{id}/messages", tag = "operations",
    params(("id" = String, Path), ("after" = Option<i64>, Query), ("limit" = Option<u32>, Query)),
    responses((status = 200, body = MessageList), (status = 404, body = crate::error::ErrorEnvelope)))]
async fn list_messages(
    _: SecretKey,
    mut query: QueryParams,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Json<MessageList>> {
    let after = query.parsed("after", "a message id");
    let limit = page_size(&mut query);
    query.finish()?;
    if state.store().operation(&id).await?.is_none() {
        return Err(ApiError::not_found(format!("No operation {id:?}")));
    }
    let messages = state
        .store()
        .operation_messages(&id, after, limit)
        .await?
        .into_iter()
        .map(MessageView::from)
        .collect();
    Ok(Json(MessageList { messages }))
}
