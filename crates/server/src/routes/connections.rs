//! Connections: list with filters, get (credentials only with the `read_credentials`
//! permission), update, delete, metadata; with Nango's deprecated singular aliases.

use std::collections::BTreeMap;

use axum::{
    Json,
    body::Bytes,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value, json};
use snowgate_engine::webhooks::WebhookUrl;
use snowgate_store::{Connection, ConnectionFilter, ConnectionUpdate, MetadataWrite, Store};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    auth::SecretKey,
    error::{ApiError, ApiResult},
    extract::{BodyBytes, Checks, JsonBody, QueryParams, parse_json},
    state::AppState,
    time::{millis_offset, millis_z},
};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_connections))
        .routes(routes!(
            get_connection,
            update_connection,
            delete_connection
        ))
        .routes(routes!(replace_metadata, merge_metadata))
        // Nango's deprecated singular aliases.
        .route("/connection", get(list_connections))
        .route(
            "/connection/{connectionId}",
            get(get_connection).delete(delete_connection),
        )
        .route(
            "/connection/metadata",
            post(replace_metadata).patch(merge_metadata),
        )
        .route(
            "/connection/{connectionId}/metadata",
            post(replace_metadata_of).patch(merge_metadata_of),
        )
}

/// The connection (by integration and id), or `404 not_found` / `400 unknown_provider_config`.
pub(crate) async fn find_connection(
    state: &AppState,
    integration: &str,
    connection_id: &str,
) -> ApiResult<Option<Connection>> {
    if let Some(connection) = state.store().connection(integration, connection_id).await? {
        return Ok(Some(connection));
    }
    if state.store().integration(integration).await?.is_none() {
        return Err(ApiError::bad_request(
            "unknown_provider_config",
            format!("There is no integration {integration:?}; check the provider config key"),
        ));
    }
    Ok(None)
}

/// The end user in Nango's shape, `{id, display_name, email, tags, organization}`.
fn public_end_user(end_user: Option<&Value>) -> Value {
    match end_user {
        Some(user) if user.is_object() => json!({
            "id": user["id"],
            "display_name": user["display_name"],
            "email": user["email"],
            "tags": user["tags"],
            "organization": user["organization"],
        }),
        _ => Value::Null,
    }
}

fn public_errors(connection: &Connection) -> Value {
    connection
        .errors
        .iter()
        .map(|error| json!({"type": error.kind.as_str(), "log_id": error.log_id}))
        .collect()
}

/// `{"connections": […]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionList {
    connections: Vec<ConnectionSummary>,
}

/// A connection in a list (never with credentials).
#[derive(Debug, Serialize, ToSchema)]
pub struct ConnectionSummary {
    /// Numeric id.
    id: i64,
    /// The connection id.
    connection_id: String,
    /// The provider.
    provider: String,
    /// The integration.
    provider_config_key: String,
    /// Creation time, ISO 8601 with `Z`.
    created: String,
    /// Metadata.
    metadata: Option<Value>,
    /// Tags.
    tags: BTreeMap<String, String>,
    /// Active errors, `[{type: auth|sync, log_id}]`.
    errors: Value,
    /// The end user, or null.
    end_user: Value,
}

/// List connections.
#[utoipa::path(get, path = "/connections", tag = "connections",
    params(("connectionId" = Option<String>, Query), ("search" = Option<String>, Query),
           ("integrationId" = Option<String>, Query, description = "Comma-separated"),
           ("endUserId" = Option<String>, Query), ("endUserOrganizationId" = Option<String>, Query),
           ("limit" = Option<u32>, Query, description = "1 to 2000; default 10000"),
           ("page" = Option<u32>, Query)),
    responses((status = 200, body = ConnectionList)))]
async fn list_connections(
    _: SecretKey,
    mut query: QueryParams,
    State(state): State<AppState>,
) -> ApiResult<Json<ConnectionList>> {
    let mut filter = ConnectionFilter {
        connection_id: query.one("connectionId"),
        search: query.one("search"),
        integration_keys: query
            .one("integrationId")
            .map(|keys| {
                keys.split(',')
                    .map(str::trim)
                    .filter(|key| !key.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default(),
        tags: query.map("tags"),
        end_user_id: query.one("endUserId"),
        end_user_organization_id: query.one("endUserOrganizationId"),
        ..ConnectionFilter::default()
    };
    if let Some(limit) = query.parsed::<u32>("limit", "a number from 1 to 2000") {
        if (1..=2000).contains(&limit) {
            filter.limit = limit;
        } else {
            query.fail("limit", "limit must be from 1 to 2000");
        }
    }
    filter.page = query.parsed("page", "a number ≥ 0").unwrap_or(0);
    query.finish()?;
    let connections = state
        .store()
        .list_connections(&filter)
        .await?
        .into_iter()
        .map(|connection| ConnectionSummary {
            id: connection.id.0,
            errors: public_errors(&connection),
            end_user: public_end_user(connection.end_user.as_ref()),
            created: millis_z(connection.created_at),
            connection_id: connection.connection_id,
            provider: connection.provider,
            provider_config_key: connection.integration_key,
            metadata: connection.metadata,
            tags: connection.tags,
        })
        .collect();
    Ok(Json(ConnectionList { connections }))
}

/// One connection. `credentials` is `{}` unless the server grants `read_credentials`;
/// `force_refresh=true` re-signs the JWT first.
#[utoipa::path(get, path = "/connections/{connectionId}", tag = "connections",
    params(("connectionId" = String, Path), ("provider_config_key" = String, Query),
           ("force_refresh" = Option<bool>, Query), ("refresh_token" = Option<bool>, Query),
           ("refresh_github_app_jwt_token" = Option<bool>, Query)),
    responses((status = 200, body = serde_json::Value), (status = 403, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope)))]
async fn get_connection(
    _: SecretKey,
    mut query: QueryParams,
    State(state): State<AppState>,
    Path(connection_id): Path<String>,
) -> ApiResult<Json<Value>> {
    let integration = query.required("provider_config_key");
    let force_refresh = query.flag("force_refresh");
    let refresh_flags =
        force_refresh | query.flag("refresh_token") | query.flag("refresh_github_app_jwt_token");
    query.finish()?;
    let integration = integration.unwrap_or_default();
    let read_credentials = state.api().read_credentials;
    if refresh_flags && !read_credentials {
        return Err(ApiError::forbidden(
            "Credential and refresh options require the environment:connections:read_credentials scope; set api.read_credentials = true in the server configuration to grant it",
        ));
    }
    let connection = find_connection(&state, &integration, &connection_id)
        .await?
        .ok_or_else(|| missing_connection(&connection_id, &integration))?;
    let credentials = if read_credentials {
        state
            .engine()
            .refresh_token(connection.id, force_refresh)
            .await?
            .expose_value()
    } else {
        Value::Object(Map::new())
    };
    Ok(Json(json!({
        "id": connection.id.0,
        "connection_id": connection.connection_id,
        "provider_config_key": connection.integration_key,
        "provider": connection.provider,
        "errors": public_errors(&connection),
        "end_user": public_end_user(connection.end_user.as_ref()),
        "tags": connection.tags,
        "metadata": connection.metadata,
        "connection_config": connection.connection_config,
        "webhook_url_override": connection.webhook_url_override,
        "created_at": millis_offset(connection.created_at),
        "updated_at": millis_offset(connection.updated_at),
        "last_fetched_at": connection.last_fetched_at.map(millis_offset),
        "credentials": credentials,
    })))
}

/// Deserializes a field that may be absent (`None`), null (`Some(None)`) or set.
pub(crate) fn double_option<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(deserializer).map(Some)
}

/// The body of `PATCH /connections/{connectionId}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionPatch {
    /// New tags (replace the old ones).
    tags: Option<BTreeMap<String, String>>,
    /// New webhook URL override; `""` or null clears it.
    #[serde(default, deserialize_with = "double_option")]
    webhook_url_override: Option<Option<String>>,
    /// New end user; null clears it.
    #[serde(default, deserialize_with = "double_option")]
    end_user: Option<Option<Value>>,
}

/// `{"success": true}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct Success {
    success: bool,
}

impl Success {
    pub(crate) fn json() -> Json<Self> {
        Json(Self { success: true })
    }
}

/// Update a connection's tags, webhook override or end user.
#[utoipa::path(patch, path = "/connections/{connectionId}", tag = "connections",
    params(("connectionId" = String, Path), ("provider_config_key" = String, Query)),
    request_body = ConnectionPatch,
    responses((status = 200, body = Success), (status = 404, body = crate::error::ErrorEnvelope)))]
async fn update_connection(
    _: SecretKey,
    query: QueryParams,
    State(state): State<AppState>,
    Path(connection_id): Path<String>,
    JsonBody(patch): JsonBody<ConnectionPatch>,
) -> ApiResult<Json<Success>> {
    let integration = integration_param(query)?;
    let mut checks = Checks::default();
    let override_url = patch
        .webhook_url_override
        .map(|url| url.filter(|url| !url.is_empty()));
    if let Some(Some(Err(error))) = override_url
        .as_ref()
        .map(|url| url.as_deref().map(WebhookUrl::parse))
    {
        checks.fail("webhook_url_override", error.to_string());
    }
    if let Some(Some(user)) = &patch.end_user {
        checks.check(
            user.get("id").is_some_and(Value::is_string),
            "end_user.id",
            || "end_user needs a string id".into(),
        );
    }
    checks.finish("invalid_body")?;
    let connection = find_connection(&state, &integration, &connection_id)
        .await?
        .ok_or_else(|| missing_connection(&connection_id, &integration))?;
    let update = ConnectionUpdate {
        tags: patch.tags.map(|tags| {
            tags.into_iter()
                .map(|(key, value)| (key.to_lowercase(), value))
                .collect()
        }),
        webhook_url_override: override_url,
        end_user: patch.end_user,
    };
    state
        .engine()
        .update_connection(connection.id, &update)
        .await?;
    Ok(Success::json())
}

/// Delete a connection with its syncs, schedules and records.
#[utoipa::path(delete, path = "/connections/{connectionId}", tag = "connections",
    params(("connectionId" = String, Path), ("provider_config_key" = String, Query)),
    responses((status = 200, body = Success), (status = 400, body = crate::error::ErrorEnvelope)))]
async fn delete_connection(
    _: SecretKey,
    query: QueryParams,
    State(state): State<AppState>,
    Path(connection_id): Path<String>,
) -> ApiResult<Json<Success>> {
    let integration = integration_param(query)?;
    let connection = find_connection(&state, &integration, &connection_id)
        .await?
        .ok_or_else(|| unknown_connection(&connection_id, &integration))?;
    state.engine().delete_connection(connection.id).await?;
    Ok(Success::json())
}

/// The required `provider_config_key`, the only query parameter of the update and delete routes.
fn integration_param(mut query: QueryParams) -> ApiResult<String> {
    let integration = query.required("provider_config_key");
    query.finish()?;
    Ok(integration.unwrap_or_default())
}

fn missing_connection(connection_id: &str, integration: &str) -> ApiError {
    ApiError::not_found(format!(
        "No connection {connection_id:?} for integration {integration:?}"
    ))
}

pub(crate) fn unknown_connection(connection_id: &str, integration: &str) -> ApiError {
    ApiError::bad_request(
        "unknown_connection",
        format!("There is no connection {connection_id:?} for integration {integration:?}"),
    )
}

/// The body of the metadata routes.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetadataRequest {
    /// One connection id or several.
    connection_id: ConnectionIds,
    /// The integration.
    provider_config_key: String,
    /// The metadata: replaces the document (POST) or sets its top-level keys (PATCH).
    metadata: Map<String, Value>,
}

/// One connection id or a list.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ConnectionIds {
    /// One.
    One(String),
    /// Several.
    Many(Vec<String>),
}

impl ConnectionIds {
    fn to_vec(&self) -> Vec<String> {
        match self {
            Self::One(id) => vec![id.clone()],
            Self::Many(ids) => ids.clone(),
        }
    }
}

async fn write_metadata(
    state: &AppState,
    integration: &str,
    ids: &[String],
    metadata: &Map<String, Value>,
    mode: MetadataWrite,
) -> ApiResult<()> {
    let mut checks = Checks::default();
    checks.check(!ids.is_empty(), "connection_id", || {
        "give at least one connection id".into()
    });
    checks.finish("invalid_body")?;
    if state.store().integration(integration).await?.is_none() {
        return Err(ApiError::not_found(format!(
            "There is no integration {integration:?}"
        )));
    }
    state
        .engine()
        .write_metadata(integration, ids, &Value::Object(metadata.clone()), mode)
        .await?;
    Ok(())
}

/// Replace the metadata of one or more connections (all or nothing).
#[utoipa::path(post, path = "/connections/metadata", tag = "connections", request_body = MetadataRequest,
    responses((status = 201, body = MetadataRequest), (status = 404, body = crate::error::ErrorEnvelope)))]
async fn replace_metadata(
    _: SecretKey,
    query: QueryParams,
    State(state): State<AppState>,
    JsonBody(request): JsonBody<MetadataRequest>,
) -> ApiResult<Response> {
    query.finish()?;
    write_metadata(
        &state,
        &request.provider_config_key,
        &request.connection_id.to_vec(),
        &request.metadata,
        MetadataWrite::Replace,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(request)).into_response())
}

/// Set top-level metadata keys of one or more connections, keeping the others.
#[utoipa::path(patch, path = "/connections/metadata", tag = "connections", request_body = MetadataRequest,
    responses((status = 200, body = MetadataRequest), (status = 404, body = crate::error::ErrorEnvelope)))]
async fn merge_metadata(
    _: SecretKey,
    query: QueryParams,
    State(state): State<AppState>,
    JsonBody(request): JsonBody<MetadataRequest>,
) -> ApiResult<Json<MetadataRequest>> {
    query.finish()?;
    write_metadata(
        &state,
        &request.provider_config_key,
        &request.connection_id.to_vec(),
        &request.metadata,
        MetadataWrite::Merge,
    )
    .await?;
    Ok(Json(request))
}

/// The deprecated `/connection/{id}/metadata` form: integration in `Provider-Config-Key`, the
/// raw metadata as the body.
async fn metadata_of(
    state: AppState,
    query: QueryParams,
    headers: HeaderMap,
    connection_id: String,
    body: Bytes,
    mode: MetadataWrite,
) -> ApiResult<Json<Value>> {
    query.finish()?;
    let integration = headers
        .get("provider-config-key")
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_headers",
                "the Provider-Config-Key header is required",
            )
        })?
        .to_owned();
    let metadata: Map<String, Value> = parse_json(&body)?;
    write_metadata(&state, &integration, &[connection_id], &metadata, mode).await?;
    Ok(Json(Value::Object(metadata)))
}

async fn replace_metadata_of(
    _: SecretKey,
    query: QueryParams,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    BodyBytes(body): BodyBytes,
) -> ApiResult<Json<Value>> {
    metadata_of(state, query, headers, id, body, MetadataWrite::Replace).await
}

async fn merge_metadata_of(
    _: SecretKey,
    query: QueryParams,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    BodyBytes(body): BodyBytes,
) -> ApiResult<Json<Value>> {
    metadata_of(state, query, headers, id, body, MetadataWrite::Merge).await
}
