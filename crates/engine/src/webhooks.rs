//! Webhooks to the application: payloads, body encoding, signatures and the retry schedule.
//!
//! Payloads have Nango's shapes (Nango reference §8.2) plus one additive field, `idempotencyKey`,
//! which stays the same across every retry of one event so a receiver can drop duplicates. A body is
//! the payload's canonical JSON ([`crate::canonical`]: keys sorted recursively, no whitespace), exactly
//! as Nango sends it, and is signed twice with the environment's signing key:
//! `X-Nango-Hmac-Sha256: hex(HMAC-SHA256(key, body))` and the legacy
//! `X-Nango-Signature: hex(SHA-256(key ‖ body))`. [`SigningKey::verify`] checks the HMAC in constant
//! time, for tests and for Rust receivers.
//!
//! Destinations are [`WebhookUrl`]s: every URL accepted from an app (the environment's settings, a
//! connection's override) is parsed into one, so a header injection or a giant host is refused
//! where it comes in.
//!
//! Delivery retries follow [`RetrySchedule`], a pure function: by default 15 attempts over about a
//! day, exponential with ±20 % jitter (Nango makes 3 attempts within 9 s).

use std::{collections::BTreeMap, fmt, time::Duration};

use aws_lc_rs::{digest, hmac};
use chrono::{DateTime, Utc};
use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::canonical;

/// Header carrying `hex(HMAC-SHA256(key, body))`.
pub const HMAC_HEADER: &str = "X-Nango-Hmac-Sha256";
/// Header carrying the legacy `hex(SHA-256(key ‖ body))`.
pub const LEGACY_SIGNATURE_HEADER: &str = "X-Nango-Signature";

/// A webhook destination: an absolute `http(s)` URL with a host, at most
/// [`WebhookUrl::MAX_LENGTH`] bytes, with no control character or whitespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookUrl(String);

/// Why a text is not a [`WebhookUrl`]; the message says what to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidWebhookUrl(String);

impl WebhookUrl {
    /// The longest URL accepted, in bytes.
    pub const MAX_LENGTH: usize = 2_048;

    /// Checks `text` (it is never echoed back: it may be huge or hold control characters).
    pub fn parse(text: &str) -> Result<Self, InvalidWebhookUrl> {
        let invalid = |message: String| Err(InvalidWebhookUrl(message));
        if text.len() > Self::MAX_LENGTH {
            return invalid(format!(
                "the webhook URL is {} bytes long; use one of at most {} bytes",
                text.len(),
                Self::MAX_LENGTH
            ));
        }
        if let Some(at) = text.find(|c: char| c.is_control() || c.is_whitespace()) {
            return invalid(format!(
                "the webhook URL holds a control character or whitespace at byte {at}; remove it \
                 (percent-encode a space as %20)"
            ));
        }
        let url = match url::Url::parse(text) {
            Ok(url) => url,
            Err(error) => {
                return invalid(format!(
                    "the webhook URL is not an absolute URL ({error}); write e.g. \
                     https://app.example/webhooks"
                ));
            }
        };
        if !matches!(url.scheme(), "http" | "https") {
            return invalid(format!(
                "the webhook URL uses {}:, not http: or https:",
                url.scheme()
            ));
        }
        if url.host_str().is_none_or(str::is_empty) {
            return invalid(
                "the webhook URL has no host; write e.g. https://app.example/webhooks".into(),
            );
        }
        Ok(Self(text.to_owned()))
    }

    /// The URL as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for WebhookUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<WebhookUrl> for String {
    fn from(url: WebhookUrl) -> Self {
        url.0
    }
}

/// Nango's timestamp form in webhooks: milliseconds and `Z` (`2026-08-21T18:00:00.000Z`).
fn nango_time<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&time.format("%Y-%m-%dT%H:%M:%S%.3fZ"))
}

/// What an auth webhook reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum AuthOperation {
    /// A connection was created.
    Creation,
    /// A connection's credentials were replaced.
    Override,
    /// A credential check or refresh (Snowgate's periodic key verification reports here).
    Refresh,
    /// A connection was deleted.
    Deletion,
    /// Anything else.
    Unknown,
}

/// A failure carried by a webhook: `{"type": "<code>", "description": "<message>"}`.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct WebhookError {
    /// Machine-readable code (`connection_test_failed`, `script_http_error`, …).
    #[serde(rename = "type")]
    pub kind: String,
    /// Human-readable message (no secrets).
    pub description: String,
    /// Extra detail (sync failures).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub payload: Option<Value>,
}

/// The end user of a connection made through a connect session.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct EndUser {
    /// The app's id for the user.
    pub end_user_id: String,
    /// E-mail, if given.
    pub end_user_email: Option<String>,
    /// The app's organisation id, if given.
    pub organization_id: Option<String>,
    /// Tags.
    pub tags: BTreeMap<String, String>,
}

/// `type: "auth"`: a connection was created, replaced, checked or deleted.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AuthWebhook {
    /// What happened.
    pub operation: AuthOperation,
    /// The connection id.
    pub connection_id: String,
    /// The integration's key.
    pub provider_config_key: String,
    /// The provider (`snowflake-jwt`).
    pub provider: String,
    /// `JWT`.
    pub auth_mode: String,
    /// The environment name.
    pub environment: String,
    /// Whether the operation succeeded.
    pub success: bool,
    /// The connection's tags.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<BTreeMap<String, String>>,
    /// The end user (connections made through a connect session).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_user: Option<EndUser>,
    /// The failure, when `success` is false.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<WebhookError>,
}

/// Record counts of one model in one run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct ResponseResults {
    /// Records added.
    pub added: u64,
    /// Records updated.
    pub updated: u64,
    /// Records deleted.
    pub deleted: u64,
}

/// The checkpoints a run started from and ended with.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
pub struct Checkpoints {
    /// The checkpoint at the start (`null` for a fresh run).
    pub from: Option<Value>,
    /// The checkpoint at the end (`null` once cleared).
    pub to: Option<Value>,
}

/// Nango's deprecated `syncType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum SyncType {
    /// Every run after the first.
    Incremental,
    /// The first run.
    Initial,
    /// Triggered by a webhook.
    Webhook,
}

/// `type: "sync"`, `success: true`: one per model per run.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncSuccess {
    /// The connection id.
    pub connection_id: String,
    /// The integration's key.
    pub provider_config_key: String,
    /// The sync.
    pub sync_name: String,
    /// The variant (`base` by default).
    pub sync_variant: String,
    /// The model.
    pub model: String,
    /// Deprecated run kind.
    pub sync_type: SyncType,
    /// Always true.
    pub success: bool,
    /// The run start: records changed since then are the run's changes.
    #[serde(serialize_with = "nango_time")]
    pub modified_after: DateTime<Utc>,
    /// Deprecated alias of `modifiedAfter`.
    #[serde(serialize_with = "nango_time")]
    pub query_time_stamp: DateTime<Utc>,
    /// The counts.
    pub response_results: ResponseResults,
    /// `None`: the field is left out (no checkpoints); `Some(None)`: `null`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checkpoints: Option<Option<Checkpoints>>,
}

/// `type: "sync"`, `success: false`.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct SyncFailure {
    /// The connection id.
    pub connection_id: String,
    /// The integration's key.
    pub provider_config_key: String,
    /// The sync.
    pub sync_name: String,
    /// The variant.
    pub sync_variant: String,
    /// The model.
    pub model: String,
    /// Deprecated run kind.
    pub sync_type: SyncType,
    /// Always false.
    pub success: bool,
    /// What failed.
    pub error: WebhookError,
    /// Run start.
    #[serde(serialize_with = "nango_time")]
    pub started_at: DateTime<Utc>,
    /// Failure time.
    #[serde(serialize_with = "nango_time")]
    pub failed_at: DateTime<Utc>,
    /// The checkpoints (Nango sends `null`).
    pub checkpoints: Option<Checkpoints>,
}

/// Where an async action's result can be read.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AsyncActionResult {
    /// The action run id (UUID).
    pub id: String,
    /// `/action/<id>`, relative to the API root.
    pub status_url: String,
}

/// `type: "async_action"`: an async action finished.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AsyncActionWebhook {
    /// The connection id.
    pub connection_id: String,
    /// The integration's key.
    pub provider_config_key: String,
    /// Where to read the result.
    pub payload: AsyncActionResult,
}

/// A webhook payload; `type` comes from the variant.
#[derive(Debug, Clone, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(tag = "type")]
pub enum Payload {
    /// `auth`.
    #[serde(rename = "auth")]
    Auth(AuthWebhook),
    /// `sync`, success.
    #[serde(rename = "sync")]
    SyncSuccess(SyncSuccess),
    /// `sync`, failure.
    #[serde(rename = "sync")]
    SyncFailure(SyncFailure),
    /// `async_action`.
    #[serde(rename = "async_action")]
    AsyncAction(AsyncActionWebhook),
}

impl Payload {
    /// The request body: canonical JSON with `from: "nango"` and, when given, `idempotencyKey`.
    pub fn body(&self, idempotency_key: Option<&str>) -> Vec<u8> {
        let mut value = serde_json::to_value(self).expect("payloads serialise to JSON");
        let object = value.as_object_mut().expect("payloads are objects");
        object.insert("from".to_owned(), Value::from("nango"));
        if let Some(key) = idempotency_key {
            object.insert("idempotencyKey".to_owned(), Value::from(key));
        }
        canonical::to_vec(&value)
    }
}

/// The environment's webhook signing key. `Debug` does not show it.
#[derive(Clone)]
pub struct SigningKey {
    hmac: hmac::Key,
    legacy_prefix: Vec<u8>,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SigningKey(<redacted>)")
    }
}

/// The two signature headers of one body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signatures {
    /// Value of [`HMAC_HEADER`].
    pub hmac_sha256: String,
    /// Value of [`LEGACY_SIGNATURE_HEADER`].
    pub legacy: String,
}

impl SigningKey {
    /// A key from the environment's secret (used as bytes, as Nango does).
    pub fn new(secret: &[u8]) -> Self {
        Self {
            hmac: hmac::Key::new(hmac::HMAC_SHA256, secret),
            legacy_prefix: secret.to_vec(),
        }
    }

    /// Signs a body.
    pub fn sign(&self, body: &[u8]) -> Signatures {
        let mut legacy = digest::Context::new(&digest::SHA256);
        legacy.update(&self.legacy_prefix);
        legacy.update(body);
        Signatures {
            hmac_sha256: hex::encode(hmac::sign(&self.hmac, body)),
            legacy: hex::encode(legacy.finish()),
        }
    }

    /// Checks an `X-Nango-Hmac-Sha256` header against the raw body, in constant time.
    pub fn verify(&self, body: &[u8], hmac_header: &str) -> bool {
        hex::decode(hmac_header.trim())
            .is_ok_and(|tag| hmac::verify(&self.hmac, body, &tag).is_ok())
    }
}

/// When to retry a failed delivery: exponential backoff with jitter, bounded in attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetrySchedule {
    /// Wait before the second attempt.
    pub first_delay: Duration,
    /// Longest wait between two attempts.
    pub max_delay: Duration,
    /// Attempts in all, the first included.
    pub max_attempts: u32,
}

impl Default for RetrySchedule {
    /// 15 attempts: 15 s, 30 s, 1 min … doubling to a 5 h cap, about 23.5 h in all.
    fn default() -> Self {
        Self {
            first_delay: Duration::from_secs(15),
            max_delay: Duration::from_secs(5 * 3600),
            max_attempts: 15,
        }
    }
}

impl RetrySchedule {
    /// Jitter spreads each wait over ±20 % so that receivers recovering from an outage are not hit
    /// by every sender at once.
    const JITTER: f64 = 0.2;

    /// The wait before `attempt` (1-based; attempt 1 is immediate), given `jitter` in [0, 1)
    /// (a uniform random number); `None` once the attempts are used up.
    pub fn delay_before(&self, attempt: u32, jitter: f64) -> Option<Duration> {
        match attempt {
            0 => None,
            1 => Some(Duration::ZERO),
            n if n > self.max_attempts => None,
            n => {
                let doublings = (n - 2).min(63);
                let nominal = self
                    .first_delay
                    .saturating_mul(1 << doublings.min(31))
                    .min(self.max_delay);
                let factor = 1.0 - Self::JITTER + 2.0 * Self::JITTER * jitter.clamp(0.0, 1.0);
                Some(nominal.mul_f64(factor))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    #[test]
    fn webhook_urls_are_absolute_http_urls_of_sane_length() {
        for good in [
            "https://app.example/hooks",
            "http://127.0.0.1:3999/a?b=c%20d",
        ] {
            assert_eq!(WebhookUrl::parse(good).unwrap().as_str(), good);
        }
        let refused = |text: &str| WebhookUrl::parse(text).unwrap_err().to_string();
        assert!(refused("http://127.0.0.1:3999/a\r\nX-Injected: 1").contains("control character"));
        assert!(refused("http://a b/").contains("whitespace"));
        let huge_host = format!("http://{}.example/", "h".repeat(100_000));
        assert!(refused(&huge_host).contains("at most 2048 bytes"));
        assert!(
            !refused(&huge_host).contains("hhhh"),
            "the URL is not echoed"
        );
        assert!(refused("/relative").contains("not an absolute URL"));
        assert!(refused("ftp://app.example/").contains("ftp:"));
        assert!(refused("file:///etc/passwd").contains("file:"));
        assert!(refused("http://").contains("not an absolute URL"));
    }

    fn time() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    }

    /// The test vector of the Nango reference §8.1.
    const VECTOR_BODY: &str = r#"{"connectionId":"conn-1","from":"nango","model":"Row","modifiedAfter":"2026-01-01T00:00:00.000Z","providerConfigKey":"snowflake-jwt","queryTimeStamp":"2026-01-01T00:00:00.000Z","responseResults":{"added":1,"deleted":0,"updated":0},"success":true,"syncName":"tables","syncType":"INCREMENTAL","syncVariant":"base","type":"sync"}"#;

    fn vector_payload() -> Payload {
        Payload::SyncSuccess(SyncSuccess {
            connection_id: "conn-1".into(),
            provider_config_key: "snowflake-jwt".into(),
            sync_name: "tables".into(),
            sync_variant: "base".into(),
            model: "Row".into(),
            sync_type: SyncType::Incremental,
            success: true,
            modified_after: time(),
            query_time_stamp: time(),
            response_results: ResponseResults {
                added: 1,
                updated: 0,
                deleted: 0,
            },
            checkpoints: None,
        })
    }

    #[test]
    fn reproduces_the_test_vector() {
        let body = vector_payload().body(None);
        assert_eq!(std::str::from_utf8(&body).unwrap(), VECTOR_BODY);
        let signatures = SigningKey::new(b"test-signing-key").sign(&body);
        assert_eq!(
            signatures.hmac_sha256,
            "fe127b4009bca56f5e6e8e18458b454a77977ee3a1c9e063b417e118911bdfc0"
        );
        assert_eq!(
            signatures.legacy,
            "641ff3726de0d26c55ae591b824ec43d8f325d5e1864f7fa2463e909d7153e60"
        );
    }

    #[test]
    fn verifies_in_constant_time_and_rejects_tampering() {
        let key = SigningKey::new(b"test-signing-key");
        let body = VECTOR_BODY.as_bytes();
        let good = key.sign(body).hmac_sha256;
        assert!(key.verify(body, &good));
        assert!(key.verify(body, &good.to_uppercase()));
        assert!(!key.verify(b"{}", &good));
        assert!(!key.verify(body, &good[..62]));
        assert!(!key.verify(body, "not hex"));
        assert!(!SigningKey::new(b"other").verify(body, &good));
        assert_eq!(format!("{key:?}"), "SigningKey(<redacted>)");
    }

    #[test]
    fn idempotency_key_is_additive() {
        let body = vector_payload().body(Some("evt_1"));
        let value: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(value["idempotencyKey"], "evt_1");
        let mut without = value.clone();
        without.as_object_mut().unwrap().remove("idempotencyKey");
        assert_eq!(canonical::to_vec(&without), VECTOR_BODY.as_bytes());
    }

    #[test]
    fn other_payload_shapes() {
        let auth = Payload::Auth(AuthWebhook {
            operation: AuthOperation::Refresh,
            connection_id: "c".into(),
            provider_config_key: "snowflake-jwt".into(),
            provider: "snowflake-jwt".into(),
            auth_mode: "JWT".into(),
            environment: "prod".into(),
            success: false,
            tags: Some(BTreeMap::from([("end_user_id".into(), "u_123".into())])),
            end_user: None,
            error: Some(WebhookError {
                kind: "invalid_credentials".into(),
                description: "key removed".into(),
                payload: None,
            }),
        });
        assert_eq!(
            serde_json::from_slice::<Value>(&auth.body(None)).unwrap(),
            json!({"from": "nango", "type": "auth", "operation": "refresh", "connectionId": "c",
                "providerConfigKey": "snowflake-jwt", "provider": "snowflake-jwt", "authMode": "JWT",
                "environment": "prod", "success": false, "tags": {"end_user_id": "u_123"},
                "error": {"type": "invalid_credentials", "description": "key removed"}})
        );
        let failure = Payload::SyncFailure(SyncFailure {
            connection_id: "c".into(),
            provider_config_key: "k".into(),
            sync_name: "tables".into(),
            sync_variant: "base".into(),
            model: "Table".into(),
            sync_type: SyncType::Incremental,
            success: false,
            error: WebhookError {
                kind: "script_http_error".into(),
                description: "…".into(),
                payload: Some(json!({})),
            },
            started_at: time(),
            failed_at: time() + chrono::TimeDelta::milliseconds(5_250),
            checkpoints: None,
        });
        let value: Value = serde_json::from_slice(&failure.body(None)).unwrap();
        assert_eq!(value["type"], "sync");
        assert_eq!(value["failedAt"], "2026-01-01T00:00:05.250Z");
        assert_eq!(value["checkpoints"], Value::Null);
        assert_eq!(value["error"]["payload"], json!({}));
        let action = Payload::AsyncAction(AsyncActionWebhook {
            connection_id: "c".into(),
            provider_config_key: "k".into(),
            payload: AsyncActionResult {
                id: "35f4".into(),
                status_url: "/action/35f4".into(),
            },
        });
        assert_eq!(
            String::from_utf8(action.body(None)).unwrap(),
            r#"{"connectionId":"c","from":"nango","payload":{"id":"35f4","statusUrl":"/action/35f4"},"providerConfigKey":"k","type":"async_action"}"#
        );
        let mut success = vector_payload();
        if let Payload::SyncSuccess(s) = &mut success {
            s.checkpoints = Some(Some(Checkpoints {
                from: None,
                to: Some(json!({"last_value": "4"})),
            }));
        }
        let value: Value = serde_json::from_slice(&success.body(None)).unwrap();
        assert_eq!(
            value["checkpoints"],
            json!({"from": null, "to": {"last_value": "4"}})
        );
    }

    #[test]
    fn retry_schedule_spans_about_a_day() {
        let schedule = RetrySchedule::default();
        assert_eq!(schedule.delay_before(1, 0.7), Some(Duration::ZERO));
        assert_eq!(schedule.delay_before(2, 0.5), Some(Duration::from_secs(15)));
        assert_eq!(schedule.delay_before(3, 0.5), Some(Duration::from_secs(30)));
        assert_eq!(
            schedule.delay_before(15, 0.5),
            Some(Duration::from_secs(5 * 3600))
        );
        assert_eq!(schedule.delay_before(16, 0.5), None);
        assert_eq!(schedule.delay_before(0, 0.5), None);
        let total: Duration = (1..=15)
            .map(|n| schedule.delay_before(n, 0.5).unwrap())
            .sum();
        assert!(
            (Duration::from_secs(22 * 3600)..Duration::from_secs(25 * 3600)).contains(&total),
            "{total:?}"
        );
        let mut previous = Duration::ZERO;
        for attempt in 1..=15 {
            let nominal = schedule.delay_before(attempt, 0.5).unwrap();
            assert!(nominal >= previous, "waits never shrink");
            previous = nominal;
            let low = schedule.delay_before(attempt, 0.0).unwrap();
            let high = schedule.delay_before(attempt, 0.999_999).unwrap();
            assert!(low <= nominal && nominal <= high);
            assert!(high.as_secs_f64() <= nominal.as_secs_f64() * 1.2 + 1e-9);
            assert!(low.as_secs_f64() >= nominal.as_secs_f64() * 0.8 - 1e-9);
        }
        let long = RetrySchedule {
            max_attempts: 200,
            ..schedule
        };
        assert_eq!(
            long.delay_before(200, 0.5),
            Some(Duration::from_secs(5 * 3600)),
            "no overflow"
        );
    }
}
