//! `POST /auth/jwt/{providerConfigKey}`: the Connect UI (or `@nangohq/frontend`'s `nango.auth`)
//! posts the key-pair credentials with a connect-session token; the engine checks them against
//! Snowflake (`SELECT CURRENT_TIMESTAMP`) and creates the connection. A backend may post with the
//! secret key instead, choosing the `connection_id`.

use axum::{
    Json,
    extract::{Path, State},
    http::{HeaderMap, StatusCode},
};
use serde::Serialize;
use serde_json::{Map, Value};
use snowgate_engine::{ConnectError, CreateConnection, webhooks::WebhookUrl};
use snowgate_store::{SecretJson, Store};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    auth::{SessionAuth, require_secret_key, session_of, unauthorized},
    error::{ApiError, ApiResult, FieldError},
    extract::{Checks, JsonBody, QueryParams},
    provider::SNOWFLAKE_JWT,
    state::AppState,
};

pub(crate) fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(auth_jwt))
}

/// The created connection.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthSuccess {
    /// The connection id (a UUID when a session token created it).
    connection_id: String,
    /// The integration.
    provider_config_key: String,
}

/// The connection-config key that overrides where a connection's requests go.
pub(crate) const BASE_URL: &str = "base_url";

/// Maps the engine's refusal to Nango's codes, keeping the real cause in the message.
fn connect_error(error: ConnectError) -> ApiError {
    match error {
        ConnectError::UnknownIntegration(key) => ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_provider_config",
            format!("There is no integration {key:?}"),
        ),
        ConnectError::MissingCredential { field, .. } => ApiError::validation(
            "invalid_body",
            vec![FieldError::new("invalid_type", field, error.to_string())],
        ),
        ConnectError::Key(_) | ConnectError::Account(_) => {
            ApiError::bad_request("invalid_credentials", error.to_string())
        }
        ConnectError::Config { .. } => {
            ApiError::bad_request("invalid_connection_config", error.to_string())
        }
        ConnectError::ReconnectTargetMissing(_) => {
            ApiError::bad_request("invalid_connection", error.to_string())
        }
        ConnectError::CheckFailed(cause) => ApiError::bad_request(
            "connection_test_failed",
            format!("The given credentials were found to be invalid: {cause}"),
        ),
        ConnectError::Store(error) => error.into(),
    }
}

/// Create a Snowflake key-pair connection: the body holds `accountIdentifier`, `userName`,
/// `privateKey` (and `privateKeyPassphrase` for an encrypted key); `params[subdomain]` (or
/// `params[base_url]`, which a connect session can only take from its pinned defaults) says
/// where the account is.
#[utoipa::path(post, path = "/auth/jwt/{providerConfigKey}", tag = "connect",
    params(("providerConfigKey" = String, Path),
           ("connect_session_token" = Option<String>, Query, description = "From POST /connect/sessions; or send the secret key as a bearer"),
           ("connection_id" = Option<String>, Query, description = "Only with the secret key"),
           ("params[subdomain]" = Option<String>, Query, description = "Connection configuration")),
    request_body = serde_json::Value,
    responses((status = 200, body = AuthSuccess), (status = 400, body = crate::error::ErrorEnvelope),
              (status = 404, body = crate::error::ErrorEnvelope)))]
async fn auth_jwt(
    State(state): State<AppState>,
    Path(integration): Path<String>,
    headers: HeaderMap,
    mut query: QueryParams,
    JsonBody(credentials): JsonBody<Map<String, Value>>,
) -> ApiResult<Json<AuthSuccess>> {
    let token = query.one("connect_session_token");
    let legacy = query.one("public_key").is_some() | query.one("hmac").is_some();
    let params = query.map("params");
    query.one("user_scope");
    let connection_id = query.one("connection_id");
    let session: Option<SessionAuth> = match token {
        Some(token) => {
            if connection_id.is_some() {
                query.fail(
                    "connection_id",
                    "connection_id is forbidden when using session token",
                );
            }
            query.finish()?;
            Some(session_of(&state, &token).await?)
        }
        None if legacy => {
            return Err(unauthorized(
                "invalid_connect_session_token_format",
                "Public keys are not supported; create a connect session (POST /connect/sessions) and pass connect_session_token.",
            ));
        }
        None => {
            query.finish()?;
            require_secret_key(&state, &headers)?;
            None
        }
    };
    let mut checks = Checks::default();
    checks.provider_config_key("providerConfigKey", &integration);
    if let Some(id) = &connection_id {
        checks.connection_id("connection_id", id);
    }
    checks.finish("invalid_uri_params")?;

    let stored = state
        .store()
        .integration(&integration)
        .await?
        .ok_or_else(|| {
            ApiError::bare(StatusCode::NOT_FOUND, "unknown_provider_config")
                .message(format!("There is no integration {integration:?}"))
        })?;
    if stored.provider != SNOWFLAKE_JWT {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_provider_template",
            format!("Unknown provider {}", stored.provider),
        ));
    }
    let session = session.map(|auth| auth.session);
    if session.as_ref().is_some_and(|session| {
        session
            .allowed_integrations
            .as_ref()
            .is_some_and(|allowed| !allowed.contains(&integration))
    }) {
        return Err(ApiError::bad_request(
            "integration_not_allowed",
            format!("This connect session may not use integration {integration:?}"),
        ));
    }

    // The session's defaults win over what the browser sends.
    let mut connection_config: Map<String, Value> = params
        .into_iter()
        .map(|(key, value)| (key, Value::String(value)))
        .collect();
    let defaults = session
        .as_ref()
        .and_then(|session| session.integrations_config_defaults.as_ref())
        .and_then(|defaults| defaults.get(&integration))
        .and_then(|defaults| defaults.get("connection_config"))
        .and_then(Value::as_object);
    // Where Snowgate sends the key and its requests is the app's choice, never the browser's:
    // a session may only carry a base URL that the app pinned in its defaults.
    if session.is_some()
        && connection_config.contains_key(BASE_URL)
        && !defaults.is_some_and(|defaults| defaults.contains_key(BASE_URL))
    {
        return Err(ApiError::bad_request(
            "invalid_connection_config",
            "params[base_url] cannot come from a connect session: it would let a browser point Snowgate at any host. \
             Pin it in the session (integrations_config_defaults.<integration>.connection_config.base_url in POST /connect/sessions), \
             or create the connection with the secret key.",
        ));
    }
    if let Some(defaults) = defaults {
        connection_config.extend(defaults.clone());
    }
    let reconnect = session
        .as_ref()
        .and_then(|session| session.reconnect.clone());
    let request = CreateConnection {
        integration: integration.clone(),
        connection_id: reconnect
            .as_ref()
            .map(|target| target.connection_id.clone())
            .or(connection_id),
        connection_config: Value::Object(connection_config),
        credentials: SecretJson::new(&Value::Object(credentials)),
        tags: session
            .as_ref()
            .map(|session| session.tags.clone())
            .unwrap_or_default(),
        end_user: session
            .as_ref()
            .and_then(|session| session.end_user.clone()),
        // Checked when the session was created.
        webhook_url_override: session
            .as_ref()
            .and_then(|session| session.webhook_url_override.as_deref())
            .and_then(|url| WebhookUrl::parse(url).ok()),
        metadata: None,
        reconnect: reconnect.is_some(),
    };
    let created = state
        .engine()
        .create_jwt_connection(request)
        .await
        .map_err(connect_error)?;
    Ok(Json(AuthSuccess {
        connection_id: created.connection.connection_id,
        provider_config_key: integration,
    }))
}
