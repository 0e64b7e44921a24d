//! The environment's rate limit, sent as Nango sends it: `X-RateLimit-Limit`,
//! `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch seconds) on every response; over the
//! limit, `429` with `Retry-After` and `{"error":{"code":"too_many_request","method","path"}}`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::{
    extract::{Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header::RETRY_AFTER},
    middleware::Next,
    response::{IntoResponse, Response},
};
use governor::clock::{Clock, DefaultClock};
use serde_json::Value;

use crate::{error::ApiError, state::AppState};

/// The middleware.
pub(crate) async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let limiter = state.limiter();
    match limiter.check() {
        Ok(snapshot) => {
            let quota = snapshot.quota();
            let limit = quota.burst_size().get();
            let remaining = snapshot.remaining_burst_capacity();
            let refill = quota.replenish_interval() * (limit - remaining);
            let mut response = next.run(request).await;
            set_headers(response.headers_mut(), limit, remaining, refill);
            response
        }
        Err(not_until) => {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let limit = not_until.quota().burst_size().get();
            let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let mut response = ApiError::bare(StatusCode::TOO_MANY_REQUESTS, "too_many_request")
                .field("method", Value::String(request.method().to_string()))
                .field("path", Value::String(request.uri().path().to_owned()))
                .header(RETRY_AFTER, HeaderValue::from(retry_after.max(1)))
                .into_response();
            set_headers(response.headers_mut(), limit, 0, wait);
            response
        }
    }
}

fn set_headers(headers: &mut HeaderMap, limit: u32, remaining: u32, until_full: Duration) {
    let reset = (SystemTime::now() + until_full)
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            since.as_secs() + u64::from(since.subsec_nanos() > 0)
        });
    headers.insert("x-ratelimit-limit", HeaderValue::from(limit));
    headers.insert("x-ratelimit-remaining", HeaderValue::from(remaining));
    headers.insert("x-ratelimit-reset", HeaderValue::from(reset));
}
