//! Integrations and provider templates: what the SDK and the Connect UI read.

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use serde_json::{Value, json};
use snowgate_store::Store;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    auth::Caller,
    error::{ApiError, ApiResult},
    extract::{EmptyQuery, QueryParams},
    provider::{LOGO_SVG, PublicIntegration, SNOWFLAKE_JWT},
    state::AppState,
};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_integrations))
        .routes(routes!(get_integration))
        .routes(routes!(list_providers))
        .routes(routes!(get_provider))
        .route("/images/template-logos/{file}", axum::routing::get(logo))
}

/// `{"data": [integration…]}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationList {
    data: Vec<PublicIntegration>,
}

/// `{"data": integration}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct IntegrationData {
    data: PublicIntegration,
}

/// List integrations (a session token sees only its allowed ones).
#[utoipa::path(get, path = "/integrations", tag = "integrations",
    responses((status = 200, body = IntegrationList), (status = 401, body = crate::error::ErrorEnvelope)))]
async fn list_integrations(
    caller: Caller,
    _: EmptyQuery,
    State(state): State<AppState>,
) -> ApiResult<Json<IntegrationList>> {
    let data = state
        .store()
        .list_integrations()
        .await?
        .iter()
        .filter(|integration| caller.allows(&integration.unique_key))
        .map(|integration| {
            PublicIntegration::new(integration, state.providers(), state.public_url())
        })
        .collect();
    Ok(Json(IntegrationList { data }))
}

/// One integration; `include=webhook` and `include=credentials` need the secret key.
#[utoipa::path(get, path = "/integrations/{uniqueKey}", tag = "integrations",
    params(("uniqueKey" = String, Path, description = "The provider config key"),
           ("include" = Option<Vec<String>>, Query, description = "`webhook` and/or `credentials`")),
    responses((status = 200, body = IntegrationData), (status = 404, body = crate::error::ErrorEnvelope)))]
async fn get_integration(
    caller: Caller,
    mut query: QueryParams,
    State(state): State<AppState>,
    Path(unique_key): Path<String>,
) -> ApiResult<Json<IntegrationData>> {
    let include = query.all("include");
    for value in &include {
        if !matches!(value.as_str(), "webhook" | "credentials") {
            query.fail(
                "include",
                format!("include may be webhook or credentials, not {value:?}"),
            );
        }
    }
    query.finish()?;
    if !include.is_empty() && !matches!(caller, Caller::SecretKey) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "invalid_permissions",
            "include=webhook and include=credentials need the secret key",
        ));
    }
    let integration = state
        .store()
        .integration(&unique_key)
        .await?
        .filter(|integration| caller.allows(&integration.unique_key))
        .ok_or_else(|| ApiError::not_found(format!("Integration {unique_key:?} does not exist")))?;
    let mut data = PublicIntegration::new(&integration, state.providers(), state.public_url());
    if include.iter().any(|value| value == "webhook") {
        data.webhook_url = Some(None);
    }
    if include.iter().any(|value| value == "credentials") {
        data.credentials = Some(None);
    }
    Ok(Json(IntegrationData { data }))
}

/// List provider templates; `search` matches the name or display name.
#[utoipa::path(get, path = "/providers", tag = "integrations",
    params(("search" = Option<String>, Query, description = "Case-insensitive part of the name")),
    responses((status = 200, body = serde_json::Value)))]
async fn list_providers(
    _: Caller,
    mut query: QueryParams,
    State(state): State<AppState>,
) -> ApiResult<Json<Value>> {
    let search = query.one("search");
    query.finish()?;
    Ok(Json(
        json!({ "data": state.providers().search(search.as_deref()) }),
    ))
}

/// One provider template: the fields the Connect UI builds its form from.
#[utoipa::path(get, path = "/providers/{provider}", tag = "integrations",
    params(("provider" = String, Path, description = "e.g. snowflake-jwt")),
    responses((status = 200, body = serde_json::Value), (status = 404, body = crate::error::ErrorEnvelope)))]
async fn get_provider(
    _: Caller,
    _: EmptyQuery,
    State(state): State<AppState>,
    Path(provider): Path<String>,
) -> ApiResult<Json<Value>> {
    let definition = state
        .providers()
        .get(&provider)
        .ok_or_else(|| ApiError::not_found(format!("Unknown provider {provider}")))?;
    Ok(Json(json!({ "data": definition })))
}

/// A provider's logo (public, like Nango's).
async fn logo(Path(file): Path<String>) -> Response {
    if file != format!("{SNOWFLAKE_JWT}.svg") {
        return ApiError::not_found(format!("no logo {file}")).into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("image/svg+xml"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        LOGO_SVG,
    )
        .into_response()
}
