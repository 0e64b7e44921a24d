//! What every handler shares: the store, the API settings, the secret key and the rate limiter.

use std::{fmt, sync::Arc};

use governor::{
    DefaultDirectRateLimiter, Quota, RateLimiter, middleware::StateInformationMiddleware,
};
use secrecy::SecretString;
use snowgate_engine::Engine;
use snowgate_store::AnyStore;

use crate::{config::ApiConfig, provider::Providers};

/// The environment's rate limiter, reporting its state for the `X-RateLimit-*` headers.
pub(crate) type Limiter = RateLimiter<
    governor::state::NotKeyed,
    governor::state::InMemoryState,
    governor::clock::DefaultClock,
    StateInformationMiddleware,
>;

/// Shared state of the API; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

struct Inner {
    store: AnyStore,
    engine: Engine,
    http: reqwest::Client,
    api: ApiConfig,
    public_url: String,
    secret_key: SecretString,
    limiter: Limiter,
    providers: Providers,
}

impl fmt::Debug for AppState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppState")
            .field("store", &self.0.store.backend())
            .field("public_url", &self.0.public_url)
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// State over `store`, answering at `public_url` (no trailing slash), authenticating with
    /// `secret_key`.
    pub fn new(
        engine: Engine,
        http: reqwest::Client,
        api: ApiConfig,
        public_url: String,
        secret_key: SecretString,
    ) -> Self {
        let store = engine.store().clone();
        let limiter: DefaultDirectRateLimiter<StateInformationMiddleware> =
            RateLimiter::direct(Quota::per_minute(api.rate_limit_per_minute))
                .with_middleware::<StateInformationMiddleware>();
        let providers = Providers::new(&public_url);
        Self(Arc::new(Inner {
            store,
            engine,
            http,
            api,
            public_url: public_url.trim_end_matches('/').to_owned(),
            secret_key,
            limiter,
            providers,
        }))
    }

    /// The store.
    pub fn store(&self) -> &AnyStore {
        &self.0.store
    }

    /// The engine.
    pub fn engine(&self) -> &Engine {
        &self.0.engine
    }

    /// The HTTP client for outbound requests (the proxy).
    pub fn http(&self) -> &reqwest::Client {
        &self.0.http
    }

    /// The API settings.
    pub fn api(&self) -> &ApiConfig {
        &self.0.api
    }

    /// The URL apps reach the API at.
    pub fn public_url(&self) -> &str {
        &self.0.public_url
    }

    pub(crate) fn secret_key(&self) -> &SecretString {
        &self.0.secret_key
    }

    pub(crate) fn limiter(&self) -> &Limiter {
        &self.0.limiter
    }

    pub(crate) fn providers(&self) -> &Providers {
        &self.0.providers
    }
}
