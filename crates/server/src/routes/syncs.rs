//! Syncs: trigger (with `reset` / `emptyCache`), start, pause, status, per-connection frequency
//! and variants. The engine decides what each does; these handlers parse Nango's shapes.

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use snowgate_engine::{
    SyncControlError, SyncSelector, SyncTarget, TriggerOpts,
    catalog::{Frequency, SyncMode},
};
use snowgate_store::{ConnectionPk, Store};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    auth::SecretKey,
    error::{ApiError, ApiResult},
    extract::{Checks, JsonBody, QueryParams},
    routes::connections::{Success, find_connection, unknown_connection},
    state::AppState,
    time::millis_z,
};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(trigger))
        .routes(routes!(start))
        .routes(routes!(pause))
        .routes(routes!(status))
        .routes(routes!(update_frequency))
        .routes(routes!(create_variant, delete_variant))
}

/// Maps the engine's refusals to Nango's codes.
fn sync_error(error: SyncControlError) -> ApiError {
    let message = error.to_string();
    match error {
        SyncControlError::Store(error) => error.into(),
        SyncControlError::UnknownVariant { .. } => {
            ApiError::new(StatusCode::NOT_FOUND, "unknown_sync", message)
        }
        SyncControlError::UnknownConnection(_) => {
            ApiError::bad_request("unknown_connection", message)
        }
        SyncControlError::UnknownSync(_) => ApiError::bad_request("unknown_sync", message),
        SyncControlError::InvalidVariant { .. } => {
            ApiError::bad_request("invalid_variant", message)
        }
        SyncControlError::VariantExists { .. } => {
            ApiError::bad_request("sync_variant_already_exists", message)
        }
    }
}

/// A sync named in a request: `"tables"` or `{"name": "query-results", "variant": "orders"}`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum SyncName {
    /// The base variant of a sync.
    Name(String),
    /// A sync and variant.
    WithVariant {
        /// The sync.
        name: String,
        /// The variant.
        variant: Option<String>,
    },
}

fn selectors(checks: &mut Checks, names: Vec<SyncName>) -> Vec<SyncSelector> {
    names
        .into_iter()
        .map(|name| {
            let (name, variant) = match name {
                SyncName::Name(name) => (name, None),
                SyncName::WithVariant { name, variant } => (name, variant),
            };
            checks.name("syncs", &name);
            if let Some(variant) = &variant {
                checks.name("syncs", variant);
            }
            SyncSelector { name, variant }
        })
        .collect()
}

/// The connection or integration a request names.
async fn target(
    state: &AppState,
    integration: &str,
    connection_id: Option<&str>,
) -> ApiResult<SyncTarget> {
    match connection_id {
        Some(connection_id) => Ok(SyncTarget::Connection(
            connection_pk(state, integration, connection_id).await?,
        )),
        None => {
            if state.store().integration(integration).await?.is_none() {
                return Err(ApiError::bad_request(
                    "unknown_provider_config",
                    format!("There is no integration {integration:?}"),
                ));
            }
            Ok(SyncTarget::Integration(integration.to_owned()))
        }
    }
}

async fn connection_pk(
    state: &AppState,
    integration: &str,
    connection_id: &str,
) -> ApiResult<ConnectionPk> {
    Ok(find_connection(state, integration, connection_id)
        .await?
        .ok_or_else(|| unknown_connection(connection_id, integration))?
        .id)
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty())
        .map(str::to_owned)
}

/// The body of `POST /sync/trigger`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriggerRequest {
    /// The integration (or the `Provider-Config-Key` header).
    provider_config_key: Option<String>,
    /// One connection (or the `Connection-Id` header); all of the integration's when absent.
    connection_id: Option<String>,
    /// The syncs; all when empty.
    #[serde(default)]
    syncs: Vec<SyncName>,
    /// `reset` (forget the checkpoint, full run) and `emptyCache` (delete the records first).
    opts: Option<TriggerOptions>,
    /// Deprecated: `true` is `opts.reset`.
    full_resync: Option<bool>,
    /// Deprecated: `incremental`, `full_refresh` or `full_refresh_and_clear_cache`.
    sync_mode: Option<String>,
}

/// `opts` of a trigger.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TriggerOptions {
    /// Forget the checkpoint and run a full sync.
    #[serde(default)]
    reset: bool,
    /// Delete the cached records first (requires `reset`).
    #[serde(default)]
    empty_cache: bool,
}

/// Run syncs now.
#[utoipa::path(post, path = "/sync/trigger", tag = "syncs", request_body = TriggerRequest,
    params(("Provider-Config-Key" = Option<String>, Header), ("Connection-Id" = Option<String>, Header)),
    responses((status = 200, body = Success), (status = 400, body = crate::error::ErrorEnvelope)))]
async fn trigger(
    _: SecretKey,
    query: QueryParams,
    State(state): State<AppState>,
    headers: HeaderMap,
    JsonBody(request): JsonBody<TriggerRequest>,
) -> ApiResult<Json<Success>> {
    query.finish()?;
    let integration = request
        .provider_config_key
        .or_else(|| header(&headers, "provider-config-key"))
        .ok_or_else(|| {
            ApiError::bad_request(
                "missing_provider_config_key",
                "give provider_config_key in the body or the Provider-Config-Key header",
            )
        })?;
    let connection_id = request
        .connection_id
        .or_else(|| header(&headers, "connection-id"));
    let mut checks = Checks::default();
    let opts = match (
        request.opts,
        request.full_resync,
        request.sync_mode.as_deref(),
    ) {
        (Some(_), Some(_), _) | (Some(_), _, Some(_)) | (None, Some(_), Some(_)) => {
            checks.fail(
                "opts",
                "use opts, or the deprecated full_resync or sync_mode, not several",
            );
            TriggerOpts::default()
        }
        (Some(opts), None, None) => {
            checks.check(!opts.empty_cache || opts.reset, "opts.emptyCache", || {
                "emptyCache requires reset: true".into()
            });
            TriggerOpts {
                reset: opts.reset,
                empty_cache: opts.empty_cache,
            }
        }
        (None, Some(reset), None) => TriggerOpts {
            reset,
            empty_cache: false,
        },
        (None, None, Some(mode)) => match mode {
            "incremental" => TriggerOpts::default(),
            "full_refresh" => TriggerOpts {
                reset: true,
                empty_cache: false,
            },
            "full_refresh_and_clear_cache" => TriggerOpts {
                reset: true,
                empty_cache: true,
            },
            other => {
                checks.fail("sync_mode", format!("{other:?} is not a sync mode; use incremental, full_refresh or full_refresh_and_clear_cache"));
                TriggerOpts::default()
            }
        },
        (None, None, None) => TriggerOpts::default(),
    };
    let syncs = selectors(&mut checks, request.syncs);
    checks.finish("invalid_body")?;
    let target = target(&state, &integration, connection_id.as_deref()).await?;
    state
        .engine()
        .trigger(&target, &syncs, opts)
        .await
        .map_err(sync_error)?;
    Ok(Success::json())
}

/// The body of `POST /sync/start` and `/sync/pause`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SyncsRequest {
    /// The integration.
    provider_config_key: String,
    /// The syncs.
    syncs: Vec<SyncName>,
    /// One connection; all of the integration's when absent.
    connection_id: Option<String>,
}

async fn parse_syncs_request(
    state: &AppState,
    request: SyncsRequest,
) -> ApiResult<(SyncTarget, Vec<SyncSelector>)> {
    let mut checks = Checks::default();
    let syncs = selectors(&mut checks, request.syncs);
    checks.finish("invalid_body")?;
    Ok((
        target(
            state,
            &request.provider_config_key,
            request.connection_id.as_deref(),
        )
        .await?,
        syncs,
    ))
}

/// Resume syncs and run them now.
#[utoipa::path(post, path = "/sync/start", tag = "syncs", request_body = SyncsRequest,
    responses((status = 200, body = Success), (status = 400, body = crate::error::ErrorEnvelope)))]
async fn start(
    _: SecretKey,
    query: QueryParams,
    State(state): State<AppState>,
    JsonBody(request): JsonBody<SyncsRequest>,
) -> ApiResult<Json<Success>> {
    query.finish()?;
    let (target, syncs) = parse_syncs_request(&state, request).await?;
    state
        .engine()
        .start(&target, &syncs)
        .await
        .map_err(sync_error)?;
    Ok(Success::json())
}

/// Pause syncs.
#[utoipa::path(post, path = "/sync/pause", tag = "syncs", request_body = SyncsRequest,
    responses((status = 200, body = Success), (status = 400, body = crate::error::ErrorEnvelope)))]
async fn pause(
    _: SecretKey,
    query: QueryParams,
    State(state): State<AppState>,
    JsonBody(request): JsonBody<SyncsRequest>,
) -> ApiResult<Json<Success>> {
    query.finish()?;
    let (target, syncs) = parse_syncs_request(&state, request).await?;
    state
        .engine()
        .pause(&target, &syncs)
        .await
        .map_err(sync_error)?;
    Ok(Success::json())
}

/// The status of syncs.
#[utoipa::path(get, path = "/sync/status", tag = "syncs",
    params(("provider_config_key" = String, Query), ("syncs" = String, Query, description = "Comma list of `name` or `name::variant`, or `*`"),
           ("connection_id" = Option<String>, Query)),
    responses((status = 200, body = serde_json::Value), (status = 400, body = crate::error::ErrorEnvelope)))]
async fn status(
    _: SecretKey,
    mut query: QueryParams,
    State(state): State<AppState>,
) -> ApiResult<Json<Value>> {
    let integration = query.required("provider_config_key").unwrap_or_default();
    let names = query.required("syncs").unwrap_or_default();
    let connection_id = query.one("connection_id");
    query.finish()?;
    let mut checks = Checks::default();
    let selectors: Vec<SyncSelector> = if names.trim() == "*" {
        Vec::new()
    } else {
        let names = names
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(|name| match name.split_once("::") {
                Some((name, variant)) => SyncName::WithVariant {
                    name: name.to_owned(),
                    variant: Some(variant.to_owned()),
                },
                None => SyncName::Name(name.to_owned()),
            })
            .collect();
        selectors(&mut checks, names)
    };
    checks.finish("invalid_query_params")?;
    let target = target(&state, &integration, connection_id.as_deref()).await?;
    let statuses = state
        .engine()
        .status(&target, &selectors)
        .await
        .map_err(sync_error)?;
    let syncs: Vec<Value> = statuses
        .into_iter()
        .map(|sync| {
            let incremental = state
                .engine()
                .configured_sync(&sync.name)
                .is_some_and(|definition| definition.mode == SyncMode::Incremental);
            json!({
                "id": sync.id.0.to_string(),
                "connection_id": sync.connection_id,
                "name": sync.name,
                "variant": sync.variant,
                "status": sync.status.as_str(),
                "type": if incremental { "INCREMENTAL" } else { "FULL" },
                "finishedAt": sync.finished_at.map(millis_z),
                "nextScheduledSyncAt": sync.next_scheduled_sync_at.map(millis_z),
                "frequency": sync.frequency,
                "latestResult": sync.latest_result,
                "recordCount": sync.record_count,
                "checkpoint": sync.checkpoint,
            })
        })
        .collect();
    Ok(Json(json!({ "syncs": syncs })))
}

/// The body of `PUT /sync/update-connection-frequency`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FrequencyRequest {
    /// The integration.
    provider_config_key: String,
    /// The connection.
    connection_id: String,
    /// The sync.
    sync_name: String,
    /// The variant (`base` when absent).
    sync_variant: Option<String>,
    /// `every 15 minutes` (30 s to 31 days); null restores the default.
    frequency: Option<String>,
}

/// The frequency in effect.
#[derive(Debug, Serialize, ToSchema)]
pub struct FrequencyResponse {
    /// e.g. `every 15 minutes`.
    frequency: String,
}

/// Set (or reset) one connection's frequency of a sync.
#[utoipa::path(put, path = "/sync/update-connection-frequency", tag = "syncs", request_body = FrequencyRequest,
    responses((status = 200, body = FrequencyResponse), (status = 400, body = crate::error::ErrorEnvelope)))]
async fn update_frequency(
    _: SecretKey,
    query: QueryParams,
    State(state): State<AppState>,
    JsonBody(request): JsonBody<FrequencyRequest>,
) -> ApiResult<Json<FrequencyResponse>> {
    query.finish()?;
    let mut checks = Checks::default();
    checks.name("sync_name", &request.sync_name);
    if let Some(variant) = &request.sync_variant {
        checks.name("sync_variant", variant);
    }
    let frequency = match request
        .frequency
        .as_deref()
        .map(Frequency::parse)
        .transpose()
    {
        Ok(frequency) => frequency,
        Err(error) => {
            checks.fail("frequency", error.to_string());
            None
        }
    };
    checks.finish("invalid_body")?;
    let connection =
        connection_pk(&state, &request.provider_config_key, &request.connection_id).await?;
    let selector = SyncSelector {
        name: request.sync_name,
        variant: request.sync_variant,
    };
    let frequency = state
        .engine()
        .update_frequency(connection, &selector, frequency)
        .await
        .map_err(sync_error)?;
    Ok(Json(FrequencyResponse { frequency }))
}

/// The body of the variant routes.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VariantRequest {
    /// The integration.
    provider_config_key: String,
    /// The connection.
    connection_id: String,
}

/// A created variant.
#[derive(Debug, Serialize, ToSchema)]
pub struct VariantCreated {
    /// The sync's id.
    id: String,
    /// The sync.
    name: String,
    /// The variant.
    variant: String,
}

fn check_names(name: &str, variant: &str) -> ApiResult<()> {
    let mut checks = Checks::default();
    checks.name("name", name);
    checks.name("variant", variant);
    checks.finish("invalid_uri_params")
}

/// Create a variant of a sync for one connection (its own schedule, checkpoint and records,
/// `<Model>::<variant>`).
#[utoipa::path(post, path = "/sync/{name}/variant/{variant}", tag = "syncs", request_body = VariantRequest,
    params(("name" = String, Path), ("variant" = String, Path)),
    responses((status = 200, body = VariantCreated), (status = 400, body = crate::error::ErrorEnvelope)))]
async fn create_variant(
    _: SecretKey,
    query: QueryParams,
    State(state): State<AppState>,
    Path((name, variant)): Path<(String, String)>,
    JsonBody(request): JsonBody<VariantRequest>,
) -> ApiResult<Json<VariantCreated>> {
    query.finish()?;
    check_names(&name, &variant)?;
    let connection =
        connection_pk(&state, &request.provider_config_key, &request.connection_id).await?;
    let sync = state
        .engine()
        .create_variant(connection, &name, &variant)
        .await
        .map_err(sync_error)?;
    Ok(Json(VariantCreated {
        id: sync.id.0.to_string(),
        name: sync.name,
        variant: sync.variant,
    }))
}

/// Delete a variant with its records.
#[utoipa::path(delete, path = "/sync/{name}/variant/{variant}", tag = "syncs", request_body = VariantRequest,
    params(("name" = String, Path), ("variant" = String, Path)),
    responses((status = 200, body = Success), (status = 400, body = crate::error::ErrorEnvelope)))]
async fn delete_variant(
    _: SecretKey,
    query: QueryParams,
    State(state): State<AppState>,
    Path((name, variant)): Path<(String, String)>,
    JsonBody(request): JsonBody<VariantRequest>,
) -> ApiResult<Json<Success>> {
    query.finish()?;
    check_names(&name, &variant)?;
    let connection =
        connection_pk(&state, &request.provider_config_key, &request.connection_id).await?;
    state
        .engine()
        .delete_variant(connection, &name, &variant)
        .await
        .map_err(sync_error)?;
    Ok(Success::json())
}
