//! Snowgate's HTTP API, wire-compatible with Nango's public API so that `@nangohq/node` and
//! `@nangohq/frontend` work against it unchanged.
//!
//! The server is a library: [`Server::open`] opens the store the [`Config`] names and settles
//! the secret key; [`Server::run`] serves on a listener until the shutdown token fires (tests
//! bind port 0). [`run`] does both.
//!
//! ```no_run
//! # async fn example() -> Result<(), snowgate_server::ServeError> {
//! let config = snowgate_server::Config::load(None).expect("valid configuration");
//! let listener = tokio::net::TcpListener::bind(config.listen).await?;
//! let shutdown = tokio_util::sync::CancellationToken::new();
//! snowgate_server::run(config, listener, shutdown).await
//! # }
//! ```
//!
//! What lives here is HTTP only: authentication ([`auth`]), strict parsing with Nango's codes
//! ([`extract`]), the error envelope ([`error`]), rate limits, CORS and the routes. Rules belong
//! to the engine and the store.

#![forbid(unsafe_code)]

pub mod auth;
pub mod config;
mod edge;
pub mod error;
pub mod extract;
mod listener;
pub mod provider;
mod rate_limit;
mod routes;
pub mod schema;
pub mod state;
pub mod time;
mod ui;

use std::{net::SocketAddr, time::Duration};

use axum::{
    Json, Router,
    http::{HeaderName, Method, StatusCode},
    middleware,
    response::IntoResponse,
    routing::get,
};
use secrecy::{ExposeSecret, SecretString};
use snowgate_engine::{Engine, EngineError};
use snowgate_store::{AnyStore, MasterKey, Store, StoreConfig, StoreError, setting};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower_http::{
    cors::{AllowOrigin, CorsLayer},
    trace::TraceLayer,
};

pub use snowgate_engine::ProcessRole;

pub use crate::{
    config::{ApiConfig, Config},
    error::{ApiError, ApiResult},
    routes::records::{page_json, write_record},
    state::AppState,
};

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The store could not be opened.
    #[error("cannot open the store: {0}")]
    Store(#[from] StoreError),
    /// The engine could not start.
    #[error("cannot start the engine: {0}")]
    Engine(#[from] EngineError),
    /// A setting is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// Listening or serving failed.
    #[error("the HTTP server failed: {0}")]
    Io(#[from] std::io::Error),
}

/// A server with its store open, ready to run.
#[derive(Debug)]
pub struct Server {
    config: Config,
    store: AnyStore,
    engine: Engine,
    http: reqwest::Client,
    secret_key: SecretString,
    key_generated: bool,
}

impl Server {
    /// Opens the store and settles the secret key: `secret_key` from the configuration, else the
    /// one stored (sealed) at a previous start, else a new UUID v4, stored.
    pub async fn open(config: Config) -> Result<Self, ServeError> {
        let parse_key = |key: &SecretString, name: &str| {
            MasterKey::from_base64(key.expose_secret())
                .map_err(|error| ServeError::Config(format!("{name}: {error}")))
        };
        let master_key = config
            .encryption_key
            .as_ref()
            .map(|key| parse_key(key, "SNOWGATE_ENCRYPTION_KEY"))
            .transpose()?;
        let previous_keys = config
            .encryption_key_previous
            .as_ref()
            .map(|keys| {
                keys.expose_secret()
                    .split(',')
                    .map(str::trim)
                    .filter(|key| !key.is_empty())
                    .map(|key| {
                        parse_key(&SecretString::from(key), "SNOWGATE_ENCRYPTION_KEY_PREVIOUS")
                    })
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let store = snowgate_store::connect(StoreConfig {
            database_url: config.database_url.clone(),
            data_dir: config.data_dir.clone(),
            master_key,
            previous_keys,
        })
        .await?;
        let (secret_key, key_generated) = match &config.secret_key {
            Some(key) if auth::is_secret_key_format(key.expose_secret()) => (key.clone(), false),
            Some(_) => {
                return Err(ServeError::Config(
                    "SNOWGATE_SECRET_KEY must be a UUID v4 (e.g. from `uuidgen -r`), as Nango's SDKs expect"
                        .into(),
                ));
            }
            None => {
                let candidate = SecretString::from(uuid::Uuid::new_v4().to_string());
                let key = store
                    .secret_setting_or_insert(setting::SECRET_API_KEY, candidate.clone())
                    .await?;
                let generated = key.expose_secret() == candidate.expose_secret();
                (key, generated)
            }
        };
        // Redirects are never followed: a connection's host could send the proxy (or the
        // Snowflake client) elsewhere with its JWT; a proxied 3xx goes back to the caller as it is.
        let http = reqwest::Client::builder()
            .user_agent(concat!("snowgate/", env!("CARGO_PKG_VERSION")))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| {
                ServeError::Config(format!("cannot build the HTTP client: {error}"))
            })?;
        let engine = Engine::new(store.clone(), config.engine.clone(), http.clone()).await?;
        engine.ensure_integration(provider::SNOWFLAKE_JWT).await?;
        Ok(Self {
            config,
            store,
            engine,
            http,
            secret_key,
            key_generated,
        })
    }

    /// The store.
    pub fn store(&self) -> &AnyStore {
        &self.store
    }

    /// The secret API key apps authenticate with.
    pub fn secret_key(&self) -> &SecretString {
        &self.secret_key
    }

    /// Whether the key was generated by this start (so it should be shown to the operator).
    pub fn key_generated(&self) -> bool {
        self.key_generated
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The state handlers share, for a server reached at `public_url`.
    pub fn state(&self, public_url: String) -> AppState {
        AppState::new(
            self.engine.clone(),
            self.http.clone(),
            self.config.api.clone(),
            public_url,
            self.secret_key.clone(),
        )
    }

    /// Runs the role's background tasks (scheduler, workers, webhook dispatcher, health checks)
    /// and serves the API on `listener` until `shutdown` is cancelled; then lets open requests
    /// finish and waits for the background tasks to checkpoint and stop. A `worker` serves no
    /// HTTP.
    pub async fn run(
        self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> Result<(), ServeError> {
        let address = listener.local_addr()?;
        let public_url = self
            .config
            .api
            .public_url
            .clone()
            .unwrap_or_else(|| default_public_url(address));
        let mut background = self
            .engine
            .spawn_background(self.config.role, shutdown.clone());
        if self.config.role == ProcessRole::Worker {
            drop(listener);
            shutdown.cancelled().await;
        } else {
            let app = router(self.state(public_url.clone()));
            tracing::info!(%public_url, backend = self.store.backend(), "Snowgate API listening");
            axum::serve(listener::EnvelopeListener(listener), app)
                .with_graceful_shutdown(shutdown.clone().cancelled_owned())
                .await?;
        }
        shutdown.cancel();
        while background.join_next().await.is_some() {}
        self.store.close().await;
        Ok(())
    }
}

/// `http://<address>`, with a wildcard address replaced by loopback.
fn default_public_url(address: SocketAddr) -> String {
    let mut address = address;
    if address.ip().is_unspecified() {
        address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    format!("http://{address}")
}

/// Opens the store and serves until `shutdown` (see [`Server`]).
pub async fn run(
    config: Config,
    listener: TcpListener,
    shutdown: CancellationToken,
) -> Result<(), ServeError> {
    Server::open(config).await?.run(listener, shutdown).await
}

/// The OpenAPI document of every route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut document) = routes::api().split_for_parts();
    routes::add_aliases(&mut document);
    document
}

/// The OpenAPI document with every action's input and output under `components.schemas`
/// (`<Name>ActionInput`, `<Name>ActionOutput`), custom actions included, and their names as the
/// `action_name` values `POST /action/trigger` accepts.
fn with_actions(
    mut document: serde_json::Value,
    actions: &[snowgate_engine::catalog::ActionListing],
) -> serde_json::Value {
    let schemas = &mut document["components"]["schemas"];
    for action in actions {
        let name = schema::pascal(&action.name);
        let described = |mut schema: serde_json::Value, what: &str| {
            if let Some(object) = schema.as_object_mut() {
                object.entry("description").or_insert_with(|| {
                    format!(
                        "The {what} of the action {:?}: {}",
                        action.name, action.description
                    )
                    .into()
                });
            }
            schema
        };
        schemas[format!("{name}ActionInput")] = described(action.input_schema.clone(), "input");
        schemas[format!("{name}ActionOutput")] = described(action.output_schema.clone(), "output");
    }
    if let Some(property) = schemas
        .get_mut("ActionRequest")
        .and_then(|request| request.pointer_mut("/properties/action_name"))
    {
        property["enum"] = actions.iter().map(|action| action.name.as_str()).collect();
    }
    document
}

/// The HTTP application over `state`: the routes, `/openapi.json`, `/health`, CORS, rate limits,
/// and the check of path segments and query parameters ([`edge`]).
pub fn router(state: AppState) -> Router {
    let (routes, _) = routes::api().split_for_parts();
    let document = with_actions(
        serde_json::to_value(openapi()).unwrap_or_default(),
        &state.engine().actions(),
    );
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
            Method::OPTIONS,
        ])
        .allow_headers(
            [
                "authorization",
                "content-type",
                "accept",
                "origin",
                "x-requested-with",
                "nango-activity-log-id",
                "nango-is-dry-run",
                "nango-is-sync",
                "nango-is-script",
                "provider-config-key",
                "connection-id",
                "sentry-trace",
                "baggage",
                "retries",
                "retry-on",
                "base-url-override",
                "decompress",
                "x-async",
                "x-max-retries",
            ]
            .map(HeaderName::from_static),
        )
        .max_age(Duration::from_secs(600));
    routes
        .merge(ui::router(state.public_url()))
        .route("/openapi.json", get(move || async move { Json(document) }))
        .route(
            "/health",
            get(|| async { Json(serde_json::json!({"result": "ok"})) }),
        )
        .route_layer(middleware::from_fn(edge::check_text))
        .fallback(|| async {
            ApiError::not_found("Unknown route; see /openapi.json for the routes")
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "This route does not take this method; see /openapi.json",
            )
            .into_response()
        })
        .layer(middleware::from_fn_with_state(
            state.clone(),
            rate_limit::limit,
        ))
        .layer(cors)
        // Spans name the path only: query strings carry connect-session tokens.
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &axum::http::Request<_>| {
                tracing::debug_span!("request", method = %request.method(), path = request.uri().path())
            }),
        )
        .with_state(state)
}
