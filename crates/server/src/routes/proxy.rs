//! `ALL /proxy/{path}`: forwards a raw request to the connection's own Snowflake with its JWT and
//! Snowflake's headers injected, retries as Nango does, and streams the answer back.
//!
//! Where it goes is fixed by the connection: its Snowflake host (or its configured base-URL
//! override). The path is appended to that origin and the result is checked to still be on it,
//! under its base path, so no path (`//evil.com`, `@host`, `..`, absolute URLs, encodings), header
//! (`Base-Url-Override` may only name that same base URL; `Nango-Proxy-Host` is dropped) or
//! request form (absolute-form URIs) can send it elsewhere.

use std::{collections::HashSet, time::Duration};

use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};
use bytes::Bytes;
use secrecy::ExposeSecret;
use url::Url;

use crate::{
    auth::SecretKey,
    error::{ApiError, ApiResult},
    extract::{Checks, ConnectionHeaders},
    routes::records::connection_of,
    state::AppState,
};

/// Largest request body the proxy forwards (it is kept to replay on retries).
const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;
/// Longest wait between retries (Nango: 10 minutes).
const MAX_RETRY_WAIT: Duration = Duration::from_secs(600);
/// Most retries a caller may ask for.
const MAX_RETRIES: u32 = 10;
/// One attempt's timeout (Snowflake answers a statement within 45 s, or with a 202).
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(120);
/// Prefix of headers forwarded upstream without it.
const FORWARD_PREFIX: &str = "nango-proxy-";

/// Headers never sent upstream from the caller and never returned from upstream: hop-by-hop
/// headers, and what would change where or how the request goes.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "host",
    "content-length",
];

/// The handler, routed at `/proxy` and `/proxy/{*path}` for every method.
pub(crate) async fn proxy(
    _: SecretKey,
    connection: ConnectionHeaders,
    State(state): State<AppState>,
    request: Request,
) -> ApiResult<Response> {
    let (parts, body) = request.into_parts();
    let options = ProxyOptions::parse(&parts.headers, state.api().proxy_retry_base_ms)?;
    let connection = connection_of(&state, &connection).await?;
    let client = state.engine().snowflake_client(connection.id).await?;
    let base = client.base_url().clone();
    if let Some(requested) = &options.base_url_override {
        let allowed = Url::parse(requested).is_ok_and(|requested| {
            requested.origin() == base.origin()
                && requested.path().trim_end_matches('/') == base.path().trim_end_matches('/')
        });
        if !allowed {
            return Err(ApiError::bad_request(
                "base_url_override_not_allowed",
                "Base-Url-Override may only name this connection's own Snowflake URL; to reach another host, set connection_config.base_url on the connection",
            ));
        }
    }
    let path_and_query = parts
        .uri
        .path_and_query()
        .map_or("/", |value| value.as_str());
    let target = target_url(&base, path_and_query)?;
    let body = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the proxy forwards bodies of at most {MAX_BODY_BYTES} bytes"),
            )
        })?;
    let mut attempt = 0;
    loop {
        let token = client
            .bearer_token()
            .map_err(|error| ApiError::bad_request("invalid_credentials", error.to_string()))?;
        let outcome = state
            .http()
            .request(parts.method.clone(), target.clone())
            .headers(upstream_headers(&parts.headers, token.expose_secret()))
            .timeout(ATTEMPT_TIMEOUT)
            .body(Bytes::clone(&body))
            .send()
            .await;
        let retry = match &outcome {
            Ok(response) => options.retries_status(response.status()),
            Err(error) => !error.is_builder(),
        };
        if retry && attempt < options.retries {
            let wait = options
                .base_wait
                .saturating_mul(2u32.saturating_pow(attempt))
                .min(MAX_RETRY_WAIT);
            tracing::info!(connection.id = %connection.connection_id, attempt, wait_ms = wait.as_millis() as u64, "retrying a proxied request");
            tokio::time::sleep(wait).await;
            attempt += 1;
            continue;
        }
        return match outcome {
            Ok(response) => {
                if response.status().is_success() {
                    state.engine().note_authenticated(connection.id).await?;
                }
                Ok(stream_back(response))
            }
            Err(error) => Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                "proxy_upstream_unreachable",
                format!(
                    "Snowflake at {} could not be reached: {}",
                    base.origin().ascii_serialization(),
                    without_url(&error)
                ),
            )),
        };
    }
}

/// `reqwest`'s error text without the URL (it may carry a query the caller sent).
fn without_url(error: &reqwest::Error) -> String {
    let mut text = error.to_string();
    if let Some(url) = error.url() {
        text = text.replace(url.as_str(), "");
    }
    text
}

/// The target: the connection's base URL with the request's path (after `/proxy`) and query.
fn target_url(base: &Url, path_and_query: &str) -> ApiResult<Url> {
    let rest = path_and_query
        .strip_prefix("/proxy")
        .unwrap_or(path_and_query);
    let rest = if rest.starts_with('/') || rest.starts_with('?') || rest.is_empty() {
        rest.to_owned()
    } else {
        format!("/{rest}")
    };
    let rejected = || {
        ApiError::bad_request(
            "invalid_proxy_path",
            "the proxied path must stay on the connection's Snowflake host (no '..' segments)",
        )
    };
    // WHATWG URL parsing treats `%2e` as `.` in dot segments; judge the path as it will.
    let path = rest
        .split('?')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
        .replace("%2e", ".");
    if path
        .split(['/', '\\'])
        .any(|segment| segment == ".." || segment == ".")
    {
        return Err(rejected());
    }
    let base_path = base.path().trim_end_matches('/');
    let text = format!("{}{base_path}{rest}", base.origin().ascii_serialization());
    let url = Url::parse(&text).map_err(|_| rejected())?;
    if url.origin() != base.origin() || !url.path().starts_with(base_path) {
        return Err(rejected());
    }
    Ok(url)
}

/// The caller's forwarded headers over the injected ones: `Nango-Proxy-<Name>` becomes `<Name>`,
/// `Content-Type` passes as is; nothing else of the caller's request is sent.
fn upstream_headers(incoming: &HeaderMap, token: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Ok(value) = HeaderValue::from_str(&format!("Bearer {token}")) {
        let mut value = value;
        value.set_sensitive(true);
        headers.insert("authorization", value);
    }
    headers.insert("accept", HeaderValue::from_static("application/json"));
    headers.insert(
        "x-snowflake-authorization-token-type",
        HeaderValue::from_static("KEYPAIR_JWT"),
    );
    if let Some(content_type) = incoming.get("content-type") {
        headers.insert("content-type", content_type.clone());
    }
    for (name, value) in incoming {
        let Some(upstream) = name.as_str().strip_prefix(FORWARD_PREFIX) else {
            continue;
        };
        if HOP_BY_HOP.contains(&upstream) {
            continue;
        }
        if let Ok(name) = HeaderName::from_bytes(upstream.as_bytes()) {
            headers.insert(name, value.clone());
        }
    }
    headers
}

/// The upstream answer, streamed: status, headers (without hop-by-hop and `access-control-*`),
/// body chunks as they come.
fn stream_back(upstream: reqwest::Response) -> Response {
    let mut response = Response::builder().status(upstream.status().as_u16());
    if let Some(headers) = response.headers_mut() {
        for (name, value) in upstream.headers() {
            let name_text = name.as_str();
            if HOP_BY_HOP.contains(&name_text) || name_text.starts_with("access-control-") {
                continue;
            }
            headers.append(name.clone(), value.clone());
        }
    }
    response
        .body(Body::from_stream(upstream.bytes_stream()))
        .unwrap_or_else(|error| {
            ApiError::internal("streaming the proxied answer", error).into_response()
        })
}

/// Nango's proxy headers.
struct ProxyOptions {
    retries: u32,
    retry_on: HashSet<u16>,
    base_url_override: Option<String>,
    base_wait: Duration,
}

impl ProxyOptions {
    fn parse(headers: &HeaderMap, base_wait_ms: u64) -> ApiResult<Self> {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::trim)
                .filter(|value| !value.is_empty())
        };
        let mut checks = Checks::default();
        let retries = match text("retries") {
            None => 0,
            Some(value) => value
                .parse()
                .ok()
                .filter(|retries| *retries <= MAX_RETRIES)
                .unwrap_or_else(|| {
                    checks.fail(
                        "retries",
                        format!("Retries is a number from 0 to {MAX_RETRIES}"),
                    );
                    0
                }),
        };
        let mut retry_on = HashSet::new();
        for code in text("retry-on")
            .unwrap_or("")
            .split(',')
            .map(str::trim)
            .filter(|code| !code.is_empty())
        {
            match code.parse::<u16>() {
                Ok(code) if (100..600).contains(&code) => {
                    retry_on.insert(code);
                }
                _ => checks.fail(
                    "retry-on",
                    format!("{code:?} is not an HTTP status; write e.g. Retry-On: 408,409"),
                ),
            }
        }
        checks.finish("invalid_headers")?;
        Ok(Self {
            retries,
            retry_on,
            base_url_override: text("base-url-override").map(str::to_owned),
            base_wait: Duration::from_millis(base_wait_ms),
        })
    }

    /// Whether a status is retried: 5xx, 429, 401 (credentials may be renewed meanwhile) and the
    /// caller's `Retry-On` codes.
    fn retries_status(&self, status: reqwest::StatusCode) -> bool {
        status.is_server_error()
            || matches!(status.as_u16(), 429 | 401)
            || self.retry_on.contains(&status.as_u16())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(base: &str, path: &str) -> Result<String, String> {
        target_url(&Url::parse(base).unwrap(), path)
            .map(|url| url.to_string())
            .map_err(|error| error.code().to_owned())
    }

    #[test]
    fn paths_stay_on_the_connections_host() {
        let base = "https://acme.snowflakecomputing.com";
        assert_eq!(
            target(base, "/proxy/api/v2/statements?async=true").unwrap(),
            "https://acme.snowflakecomputing.com/api/v2/statements?async=true"
        );
        for path in [
            "/proxy//evil.com/x",
            "/proxy/@evil.com/x",
            "/proxy/https://evil.com/",
            "/proxy/%2F%2Fevil.com",
            "/proxy/\\\\evil.com",
            "/proxy/x/..",
        ] {
            match target(base, path) {
                Ok(url) => assert!(
                    url.starts_with("https://acme.snowflakecomputing.com/"),
                    "{path} → {url}"
                ),
                Err(code) => assert_eq!(code, "invalid_proxy_path", "{path}"),
            }
        }
        for path in [
            "/proxy/../x",
            "/proxy/a/%2e%2e/b",
            "/proxy/a/%2E%2E/b",
            "/proxy/a/./b",
        ] {
            assert_eq!(
                target(base, path),
                Err("invalid_proxy_path".into()),
                "{path}"
            );
        }
        // A base path is kept and cannot be escaped.
        assert_eq!(
            target("http://127.0.0.1:9/snowflake", "/proxy/api").unwrap(),
            "http://127.0.0.1:9/snowflake/api"
        );
    }
}
