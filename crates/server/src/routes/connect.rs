//! Connect sessions: created by the app's backend with the secret key, then used by the Connect UI
//! (or `@nangohq/frontend`) with their token.

use std::collections::BTreeMap;

use axum::{
    Json,
    body::Bytes,
    extract::{DefaultBodyLimit, State},
    http::{HeaderMap, StatusCode, header::AUTHORIZATION},
    response::{IntoResponse, Response},
};
use chrono::Utc;
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use snowgate_engine::webhooks::WebhookUrl;
use snowgate_store::{ConnectSession, ReconnectTarget, Store};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    auth::{
        SESSION_LIFETIME, SecretKey, SessionAuth, bearer, new_session_token, session_of,
        unauthorized,
    },
    error::{ApiError, ApiResult},
    extract::{BodyBytes, Checks, EmptyQuery, JsonBody, parse_json},
    routes::auth_jwt::BASE_URL,
    state::AppState,
    time::millis_z,
};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_session))
        .routes(routes!(reconnect_session))
        .routes(routes!(get_session, delete_session))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(telemetry))
                .layer(DefaultBodyLimit::max(TELEMETRY_BODY_LIMIT)),
        )
}

/// The largest Connect UI telemetry event taken (they are a few hundred bytes).
const TELEMETRY_BODY_LIMIT: usize = 16 * 1024;

/// The body of `POST /connect/sessions`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    /// Tags copied onto the connection: at most 10, keys lower-cased, values ≤ 255 characters.
    tags: Option<BTreeMap<String, String>>,
    /// The integrations the session may connect (all when absent).
    allowed_integrations: Option<Vec<String>>,
    /// Per-integration defaults; `connection_config` values win over what the browser sends.
    integrations_config_defaults: Option<BTreeMap<String, IntegrationDefaults>>,
    /// Per-integration Connect UI overrides.
    overrides: Option<BTreeMap<String, Overrides>>,
    /// Where this connection's webhooks go instead of the environment's URLs.
    webhook_url_override: Option<String>,
    /// Deprecated: the end user (required unless `tags` is given).
    end_user: Option<EndUser>,
    /// Deprecated: the end user's organization.
    organization: Option<Organization>,
}

/// Defaults of one integration in a session.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntegrationDefaults {
    /// OAuth scopes (unused by JWT integrations).
    #[serde(skip_serializing_if = "Option::is_none")]
    user_scopes: Option<String>,
    /// OAuth parameters (unused by JWT integrations).
    #[serde(skip_serializing_if = "Option::is_none")]
    authorization_params: Option<BTreeMap<String, String>>,
    /// Connection configuration, e.g. `{"subdomain": "KXOPMLU-RE00572"}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    connection_config: Option<Map<String, Value>>,
}

/// Connect UI overrides of one integration.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Overrides {
    /// A documentation link shown in the Connect UI.
    #[serde(skip_serializing_if = "Option::is_none")]
    docs_connect: Option<String>,
}

/// The deprecated end-user profile.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndUser {
    /// The app's id for the user.
    id: String,
    /// E-mail.
    email: Option<String>,
    /// Display name.
    display_name: Option<String>,
    /// Tags.
    tags: Option<BTreeMap<String, String>>,
}

/// The deprecated organization.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Organization {
    /// The app's id for the organization.
    id: String,
    /// Display name.
    display_name: Option<String>,
}

/// `{"data": …}` of a created session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionCreated {
    data: SessionToken,
}

/// A new session's token and link.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionToken {
    /// `nango_connect_session_…`, valid 30 minutes.
    token: String,
    /// The Connect UI, opened on this session.
    connect_link: String,
    /// Expiry, ISO 8601 with `Z`.
    expires_at: String,
}

const MAX_TAGS: usize = 10;
const MAX_TAG_VALUE: usize = 255;

/// Checks a session request and turns it into the stored session.
async fn session_from(state: &AppState, request: SessionRequest) -> ApiResult<ConnectSession> {
    let mut checks = Checks::default();
    if request.tags.is_none() && request.end_user.is_none() {
        checks.fail(
            "tags",
            "give tags (e.g. {\"end_user_id\": \"u_123\"}) or the deprecated end_user",
        );
    }
    let mut tags = BTreeMap::new();
    for (key, value) in request.tags.unwrap_or_default() {
        checks.check(
            value.chars().count() <= MAX_TAG_VALUE,
            &format!("tags.{key}"),
            || format!("a tag value may have at most {MAX_TAG_VALUE} characters"),
        );
        tags.insert(key.to_lowercase(), value);
    }
    checks.check(tags.len() <= MAX_TAGS, "tags", || {
        format!("at most {MAX_TAGS} tags are allowed")
    });
    if let Some(user) = &request.end_user {
        tags.entry("end_user_id".into())
            .or_insert_with(|| user.id.clone());
        if let Some(email) = &user.email {
            tags.entry("end_user_email".into())
                .or_insert_with(|| email.clone());
        }
        if let Some(name) = &user.display_name {
            tags.entry("end_user_display_name".into())
                .or_insert_with(|| name.clone());
        }
    }
    if let Some(organization) = &request.organization {
        tags.entry("organization_id".into())
            .or_insert_with(|| organization.id.clone());
    }
    if let Some(Err(error)) = request
        .webhook_url_override
        .as_deref()
        .map(WebhookUrl::parse)
    {
        checks.fail("webhook_url_override", error.to_string());
    }
    let integrations: Vec<String> = state
        .store()
        .list_integrations()
        .await?
        .into_iter()
        .map(|integration| integration.unique_key)
        .collect();
    let known = |key: &String| integrations.contains(key);
    let named = request
        .allowed_integrations
        .iter()
        .flatten()
        .map(|key| ("allowed_integrations", key))
        .chain(
            request
                .integrations_config_defaults
                .iter()
                .flat_map(|map| map.keys().map(|key| ("integrations_config_defaults", key))),
        )
        .chain(
            request
                .overrides
                .iter()
                .flat_map(|map| map.keys().map(|key| ("overrides", key))),
        );
    for (field, key) in named {
        checks.check(known(key), field, || {
            format!("integration {key:?} does not exist; create it or use one of {integrations:?}")
        });
    }
    checks.finish("invalid_body")?;
    let end_user = request.end_user.map(|user| {
        json!({
            "id": user.id,
            "email": user.email,
            "display_name": user.display_name,
            "tags": user.tags,
            "organization": request.organization.as_ref().map(|org| json!({"id": org.id, "display_name": org.display_name})),
        })
    });
    Ok(ConnectSession {
        allowed_integrations: request.allowed_integrations,
        integrations_config_defaults: request
            .integrations_config_defaults
            .map(|defaults| serde_json::to_value(defaults).unwrap_or(Value::Null)),
        overrides: request
            .overrides
            .map(|overrides| serde_json::to_value(overrides).unwrap_or(Value::Null)),
        tags,
        end_user,
        organization: request
            .organization
            .map(|org| json!({"id": org.id, "display_name": org.display_name})),
        webhook_url_override: request.webhook_url_override,
        reconnect: None,
        expires_at: Utc::now() + SESSION_LIFETIME,
    })
}

/// Whether `url` is an absolute http(s) URL.
async fn store_session(state: &AppState, session: ConnectSession) -> ApiResult<Response> {
    let token = new_session_token();
    state
        .engine()
        .create_connect_session(&token, &session)
        .await?;
    let token = token.expose_secret().to_owned();
    let connect_ui = match &state.api().connect_ui_url {
        Some(url) => url.clone(),
        None => format!("{}/connect/", state.public_url()),
    };
    let mut link = url::Url::parse(&connect_ui).map_err(|error| {
        ApiError::internal(
            "building the connect link",
            format!("api.connect_ui_url: {error}"),
        )
    })?;
    link.query_pairs_mut()
        .append_pair("session_token", &token)
        .append_pair("apiURL", state.public_url());
    let body = SessionCreated {
        data: SessionToken {
            connect_link: link.to_string(),
            token,
            expires_at: millis_z(session.expires_at),
        },
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Create a connect session.
#[utoipa::path(post, path = "/connect/sessions", tag = "connect", request_body = SessionRequest,
    responses((status = 201, body = SessionCreated), (status = 400, body = crate::error::ErrorEnvelope)))]
async fn create_session(
    _: SecretKey,
    _: EmptyQuery,
    State(state): State<AppState>,
    JsonBody(request): JsonBody<SessionRequest>,
) -> ApiResult<Response> {
    let session = session_from(&state, request).await?;
    store_session(&state, session).await
}

/// Create a session that replaces the credentials of an existing connection, keeping its id.
#[utoipa::path(post, path = "/connect/sessions/reconnect", tag = "connect",
    request_body(content = serde_json::Value, description = "`connection_id`, `integration_id` and the fields of POST /connect/sessions"),
    responses((status = 201, body = SessionCreated), (status = 400, body = crate::error::ErrorEnvelope)))]
async fn reconnect_session(
    _: SecretKey,
    _: EmptyQuery,
    State(state): State<AppState>,
    JsonBody(mut body): JsonBody<Map<String, Value>>,
) -> ApiResult<Response> {
    let mut checks = Checks::default();
    let mut take = |key: &str| match body.remove(key) {
        Some(Value::String(value)) => value,
        _ => {
            checks.fail(key, format!("{key} is required and must be a string"));
            String::new()
        }
    };
    let connection_id = take("connection_id");
    let integration_key = take("integration_id");
    checks.finish("invalid_body")?;
    let rest =
        serde_json::to_vec(&body).map_err(|error| ApiError::internal("reading the body", error))?;
    let mut request: SessionRequest = parse_json(&Bytes::from(rest))?;
    // A reconnect keeps the connection's tags unless new ones are given.
    let connection = state
        .store()
        .connection(&integration_key, &connection_id)
        .await?
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_connection",
                format!("there is no connection {connection_id:?} of integration {integration_key:?} to reconnect"),
            )
        })?;
    if request.tags.is_none() && request.end_user.is_none() {
        request.tags = Some(connection.tags.clone());
    }
    // ... and where its account is: a base URL the app set stays pinned for the browser.
    if let Some(base_url) = connection.connection_config.get(BASE_URL) {
        let defaults = request
            .integrations_config_defaults
            .get_or_insert_default()
            .entry(integration_key.clone())
            .or_default();
        defaults
            .connection_config
            .get_or_insert_with(Map::new)
            .entry(BASE_URL)
            .or_insert_with(|| base_url.clone());
    }
    let mut session = session_from(&state, request).await?;
    session.allowed_integrations = Some(vec![integration_key.clone()]);
    session.reconnect = Some(ReconnectTarget {
        integration_key,
        connection_id,
    });
    store_session(&state, session).await
}

/// The session of the bearer token, as the Connect UI reads it.
#[utoipa::path(get, path = "/connect/session", tag = "connect",
    responses((status = 200, body = serde_json::Value), (status = 401, body = crate::error::ErrorEnvelope)))]
async fn get_session(auth: SessionAuth, _: EmptyQuery) -> Json<Value> {
    let session = auth.session;
    let mut data = Map::new();
    let end_user = session.end_user.as_ref().map(|user| {
        json!({
            "id": user["id"],
            "display_name": user["display_name"],
            "email": user["email"],
            "tags": user["tags"],
            "organization": user["organization"],
        })
    });
    data.insert("endUser".into(), end_user.unwrap_or(Value::Null));
    data.insert(
        "connectUISettings".into(),
        json!({
            "theme": {"light": {"primary": "#29B5E8"}, "dark": {"primary": "#29B5E8"}},
            "defaultTheme": "system",
            "showWatermark": false,
        }),
    );
    let optional = [
        (
            "allowed_integrations",
            session.allowed_integrations.map(Value::from),
        ),
        (
            "integrations_config_defaults",
            session.integrations_config_defaults,
        ),
        ("overrides", session.overrides),
    ];
    for (key, value) in optional {
        if let Some(value) = value {
            data.insert(key.into(), value);
        }
    }
    if session.reconnect.is_some() {
        data.insert("isReconnecting".into(), Value::Bool(true));
    }
    data.insert("websocketsPath".into(), "/".into());
    Json(json!({ "data": data }))
}

/// End the session of the bearer token.
#[utoipa::path(delete, path = "/connect/session", tag = "connect",
    responses((status = 204), (status = 401, body = crate::error::ErrorEnvelope)))]
async fn delete_session(
    auth: SessionAuth,
    _: EmptyQuery,
    State(state): State<AppState>,
) -> ApiResult<StatusCode> {
    state.engine().delete_connect_session(&auth.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Connect UI telemetry from a live connect session; accepted and dropped.
///
/// The session token comes as `Authorization: Bearer …`, or as the body's `token` (Nango's
/// Connect UI sends events with `sendBeacon`, which cannot set headers). At most 16 KiB.
#[utoipa::path(post, path = "/connect/telemetry", tag = "connect",
    responses((status = 204), (status = 401, body = crate::error::ErrorEnvelope),
        (status = 413, body = crate::error::ErrorEnvelope)))]
async fn telemetry(
    _: EmptyQuery,
    State(state): State<AppState>,
    headers: HeaderMap,
    BodyBytes(body): BodyBytes,
) -> ApiResult<StatusCode> {
    let token = match headers.contains_key(AUTHORIZATION) {
        true => bearer(&headers)?.to_owned(),
        false => {
            let event: Map<String, Value> = parse_json(&body)?;
            match event.get("token") {
                Some(Value::String(token)) => token.clone(),
                _ => {
                    return Err(unauthorized(
                        "missing_auth_header",
                        "Send the connect session token as Authorization: Bearer <token> or as the body's \"token\".",
                    ));
                }
            }
        }
    };
    session_of(&state, &token).await?;
    Ok(StatusCode::NO_CONTENT)
}
