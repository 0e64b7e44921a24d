//! The webhook dispatcher: delivers the outbox, signed, with retries for hours.
//!
//! Each round claims due deliveries under a lease (so several processes never send one twice at
//! once), POSTs each exact stored body with `X-Nango-Hmac-Sha256` and `X-Nango-Signature` (the
//! environment's signing key) and an `Idempotency-Key` header (the delivery's idempotency id,
//! equal to the body's `idempotencyKey` and unchanged across its retries and redeliveries: a
//! redelivered webhook is the same webhook, as in Nango), with the configured timeout, and
//! records the attempt. A 2xx delivers it; anything else (network error, timeout, 3xx, 4xx, 5xx)
//! is retried on the configured [`crate::webhooks::RetrySchedule`] — a receiver that rejects
//! webhooks for a while, then is fixed, still gets them — until the schedule's last attempt,
//! after which the delivery is dead (and can be redelivered through the API).

use std::{
    sync::{Arc, OnceLock},
    time::{Duration, Instant},
};

use chrono::Utc;
use futures::{StreamExt, stream};
use reqwest::header::{CONTENT_TYPE, USER_AGENT};
use secrecy::ExposeSecret;
use snowgate_store::{AttemptOutcome, AttemptResult, DeliveryLease, Store};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use crate::{
    error::EngineError,
    runtime::Runtime,
    webhook_settings,
    webhooks::{HMAC_HEADER, LEGACY_SIGNATURE_HEADER, SigningKey},
};

/// The `User-Agent` of webhook requests.
const AGENT: &str = concat!("snowgate/", env!("CARGO_PKG_VERSION"), " (webhooks)");

/// Most redirects followed for one attempt when `follow_redirects` is on.
const MAX_REDIRECTS: usize = 5;

/// The client webhooks are sent with: one that follows no redirect (a receiver's 3xx is a failed
/// attempt), or, with `follow_redirects`, one that follows at most
/// [`MAX_REDIRECTS`], each to the same scheme or from `http` to `https`.
fn client(rt: &Runtime) -> reqwest::Client {
    static FOLLOWING: OnceLock<reqwest::Client> = OnceLock::new();
    static NOT_FOLLOWING: OnceLock<reqwest::Client> = OnceLock::new();
    let policy = match rt.config().webhooks.follow_redirects {
        false => {
            return NOT_FOLLOWING
                .get_or_init(|| build(reqwest::redirect::Policy::none()))
                .clone();
        }
        true => reqwest::redirect::Policy::custom(|attempt| {
            let from = attempt.previous().last().map(|url| url.scheme().to_owned());
            let to = attempt.url().scheme();
            if attempt.previous().len() > MAX_REDIRECTS {
                attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
            } else if from
                .as_deref()
                .is_some_and(|from| from != to && !(from == "http" && to == "https"))
            {
                attempt.error("a redirect from https to http is not followed")
            } else {
                attempt.follow()
            }
        }),
    };
    FOLLOWING.get_or_init(|| build(policy)).clone()
}

fn build(policy: reqwest::redirect::Policy) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(policy)
        .build()
        .expect("an HTTP client builds (its TLS backend is compiled in)")
}

/// Starts the dispatcher loop.
pub(crate) fn spawn(rt: &Arc<Runtime>, shutdown: &CancellationToken, tasks: &mut JoinSet<()>) {
    let rt = Arc::clone(rt);
    let shutdown = shutdown.clone();
    tasks.spawn(async move {
        loop {
            let delivered = match round(&rt).await {
                Ok(count) => count,
                Err(error) => {
                    tracing::warn!(%error, "webhook dispatch round failed; retrying");
                    0
                }
            };
            if delivered > 0 && !shutdown.is_cancelled() {
                continue;
            }
            tokio::select! {
                () = shutdown.cancelled() => break,
                () = tokio::time::sleep(rt.config().poll_interval()) => {}
            }
        }
    });
}

/// Claims and attempts the due deliveries; returns how many were attempted.
pub(crate) async fn round(rt: &Runtime) -> Result<usize, EngineError> {
    let config = &rt.config().webhooks;
    let timeout = Duration::from_secs(config.timeout_secs);
    let now = Utc::now();
    // The lease outlives an attempt, so no other dispatcher takes a delivery in flight.
    let lease =
        chrono::Duration::from_std(timeout * 2 + Duration::from_secs(10)).unwrap_or_default();
    let claims = rt
        .store()
        .claim_deliveries(config.concurrency as u32, now + lease, now)
        .await?;
    if claims.is_empty() {
        return Ok(0);
    }
    let key = SigningKey::new(
        webhook_settings::signing_key(rt)
            .await?
            .expose_secret()
            .as_bytes(),
    );
    let count = claims.len();
    stream::iter(claims)
        .map(|claim| attempt(rt, &key, claim, timeout))
        .buffer_unordered(config.concurrency)
        .for_each(|outcome| async move {
            if let Err(error) = outcome {
                tracing::warn!(%error, "could not record a webhook attempt");
            }
        })
        .await;
    Ok(count)
}

/// One attempt of one delivery, recorded with what happens next.
async fn attempt(
    rt: &Runtime,
    key: &SigningKey,
    claim: DeliveryLease,
    timeout: Duration,
) -> Result<(), EngineError> {
    let delivery = &claim.delivery;
    let signatures = key.sign(&delivery.body);
    let started = Instant::now();
    let response = client(rt)
        .post(&delivery.url)
        .timeout(timeout)
        .header(CONTENT_TYPE, "application/json")
        .header(USER_AGENT, AGENT)
        .header(HMAC_HEADER, &signatures.hmac_sha256)
        .header(LEGACY_SIGNATURE_HEADER, &signatures.legacy)
        .header("Idempotency-Key", &delivery.idempotency_id)
        .body(delivery.body.clone())
        .send()
        .await;
    let duration_ms = started.elapsed().as_millis() as i64;
    let (http_status, error) = match response {
        Ok(response) if response.status().is_success() => (Some(response.status().as_u16()), None),
        Ok(response) if response.status().is_redirection() => (
            Some(response.status().as_u16()),
            Some(format!(
                "the receiver answered HTTP {} (a redirect); point the webhook URL at its target, \
                 or set [engine.webhooks] follow_redirects = true",
                response.status()
            )),
        ),
        Ok(response) => (
            Some(response.status().as_u16()),
            Some(format!("the receiver answered HTTP {}", response.status())),
        ),
        Err(error) if error.is_timeout() => (
            None,
            Some(format!("no answer within {} s", timeout.as_secs())),
        ),
        Err(error) => (None, Some(format!("could not reach the receiver: {error}"))),
    };
    let now = Utc::now();
    let outcome = if error.is_none() {
        AttemptOutcome::Delivered
    } else {
        // `attempts` counts the attempts before this one; the next is this one's + 1.
        let next = u32::try_from(delivery.attempts)
            .unwrap_or(u32::MAX)
            .saturating_add(2);
        match rt
            .config()
            .webhooks
            .schedule()
            .delay_before(next, fastrand::f64())
        {
            Some(delay) => {
                AttemptOutcome::RetryAt(now + chrono::Duration::from_std(delay).unwrap_or_default())
            }
            None => AttemptOutcome::Dead,
        }
    };
    match (&outcome, &error) {
        (AttemptOutcome::Delivered, _) => {
            tracing::debug!(delivery = %delivery.id, kind = %delivery.kind, duration_ms, "webhook delivered");
        }
        (AttemptOutcome::Dead, Some(error)) => {
            tracing::warn!(delivery = %delivery.id, kind = %delivery.kind, %error, "webhook given up after its last attempt");
        }
        (_, Some(error)) => {
            tracing::info!(delivery = %delivery.id, kind = %delivery.kind, %error, "webhook attempt failed; will retry");
        }
        _ => {}
    }
    rt.store()
        .record_attempt(
            &claim,
            &AttemptResult {
                http_status,
                error,
                duration_ms,
            },
            outcome,
            now,
        )
        .await?;
    Ok(())
}
