//! The SQL API v2 client: submit, wait, stream, cancel — with retries, rate limits and token
//! renewal.
//!
//! Contract:
//! - Every request carries the key-pair JWT and a `requestId`. A submission resent after a 5xx, a
//!   dropped connection or a lost answer keeps its `requestId` and adds `retry=true`, so Snowflake
//!   never runs it twice.
//! - 429, 503 and 504 back off exponentially with jitter, waiting at least what `Retry-After`
//!   asks; 500, 502 and transport errors are resent; all within one [`RetryPolicy`] budget per
//!   request. A 401 `390198` (expired token) renews the token and resends once, outside the
//!   budget.
//! - [`Client::query`] waits for a 202 by polling with backoff until the caller's deadline, then
//!   cancels the statement; dropping the future while it waits cancels it too (in a background
//!   task). A submission without `async=true` has no handle until Snowflake answers (≤ 45 s), so
//!   nothing can be cancelled before that; the statement's `timeout`, which defaults to the wait
//!   deadline, bounds it on Snowflake's side. Use [`Statement::asynchronous`] for statements that
//!   must be cancellable from the start.
//! - Every response body is read with a size cap and gunzipped if the HTTP layer did not do it.
//! - [`Client::request_count`] counts HTTP requests sent, retries and partitions included.

use std::{
    fmt,
    io::Read,
    sync::{
        Arc,
        atomic::{AtomicU32, AtomicU64, Ordering},
    },
    time::Duration,
};

use backon::{BackoffBuilder, ExponentialBuilder, Retryable};
use chrono::{DateTime, Utc};
use reqwest::{
    Method, StatusCode,
    header::{ACCEPT, CONTENT_ENCODING, HeaderMap, RETRY_AFTER, USER_AGENT},
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value as Json;
use tokio::time::Instant;
use url::Url;
use uuid::Uuid;

use crate::{
    Error,
    account::AccountIdentifier,
    error::{AuthCause, AuthError},
    jwt::TokenSource,
    key::PrivateKey,
    response::StatementResponse,
    result::{ResultSet, RowData},
    statement::Statement,
    value::Value,
};

const STATEMENTS: &str = "api/v2/statements";

/// How many times, and how patiently, a request is retried.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct RetryPolicy {
    /// Resends after the first attempt.
    pub max_retries: usize,
    /// The first backoff delay.
    pub min_delay: Duration,
    /// The largest backoff delay (a longer `Retry-After` is still honoured within the budget).
    pub max_delay: Duration,
    /// The most time spent waiting between attempts of one request.
    pub max_total_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 6,
            min_delay: Duration::from_millis(250),
            max_delay: Duration::from_secs(8),
            max_total_delay: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// A policy with the given number of resends and delays.
    pub fn new(
        max_retries: usize,
        min_delay: Duration,
        max_delay: Duration,
        max_total_delay: Duration,
    ) -> Self {
        Self {
            max_retries,
            min_delay,
            max_delay,
            max_total_delay,
        }
    }
}

/// Everything a [`Client`] needs: account, user, key, and optional tuning.
pub struct ClientConfig {
    account: AccountIdentifier,
    user: String,
    key: Arc<PrivateKey>,
    base_url: Option<Url>,
    http: Option<reqwest::Client>,
    user_agent: String,
    retry: RetryPolicy,
    prefetch: usize,
    wait_timeout: Duration,
    request_timeout: Duration,
    poll_interval: (Duration, Duration),
    token_lifetime: Duration,
    max_body_bytes: usize,
}

impl fmt::Debug for ClientConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientConfig")
            .field("account", &self.account)
            .field("user", &self.user)
            .field("key", &self.key)
            .field("base_url", &self.base_url)
            .field("retry", &self.retry)
            .field("prefetch", &self.prefetch)
            .field("wait_timeout", &self.wait_timeout)
            .finish_non_exhaustive()
    }
}

impl ClientConfig {
    /// A configuration for `user` (login name) of `account`, signing with `key`.
    pub fn new(account: AccountIdentifier, user: impl Into<String>, key: Arc<PrivateKey>) -> Self {
        Self {
            account,
            user: user.into(),
            key,
            base_url: None,
            http: None,
            user_agent: concat!("snowgate/", env!("CARGO_PKG_VERSION")).to_owned(),
            retry: RetryPolicy::default(),
            prefetch: 3,
            wait_timeout: Duration::from_secs(3600),
            request_timeout: Duration::from_secs(90),
            poll_interval: (Duration::from_millis(100), Duration::from_secs(5)),
            token_lifetime: crate::jwt::DEFAULT_LIFETIME,
            max_body_bytes: 256 << 20,
        }
    }

    /// Sends requests here instead of the account's own URL (PrivateLink, a proxy, the
    /// emulator). The JWT still names the account.
    pub fn base_url(mut self, base_url: Url) -> Self {
        self.base_url = Some(base_url);
        self
    }

    /// Shares a connection pool. It should decode gzip (reqwest's default); bodies it leaves
    /// compressed are decoded here. It should not follow redirects (the default client does not):
    /// a redirect would carry the JWT off the account's host.
    pub fn http_client(mut self, http: reqwest::Client) -> Self {
        self.http = Some(http);
        self
    }

    /// The `User-Agent` header (default `snowgate/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// The retry budget per request.
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// How many partitions are fetched ahead of the consumer, in parallel (default 3, at least 1).
    pub fn prefetch(mut self, partitions: usize) -> Self {
        self.prefetch = partitions.max(1);
        self
    }

    /// How long [`Client::query`] waits for a statement by default (1 hour).
    pub fn wait_timeout(mut self, wait: Duration) -> Self {
        self.wait_timeout = wait;
        self
    }

    /// The timeout of one HTTP request (default 90 s; a submission may take 45 s to answer).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The first and the largest delay between status polls (default 100 ms and 5 s).
    pub fn poll_interval(mut self, first: Duration, largest: Duration) -> Self {
        self.poll_interval = (first, largest.max(first));
        self
    }

    /// How long each JWT is valid (2 to 59 minutes; default 59).
    pub fn token_lifetime(mut self, lifetime: Duration) -> Self {
        self.token_lifetime = lifetime;
        self
    }

    /// The largest response body accepted, after decompression (default 256 MiB).
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }
}

/// A submitted statement: finished (200, with partition 0) or still running (202).
#[derive(Clone, Debug)]
pub enum Submitted {
    /// The statement finished; the body holds the metadata and partition 0.
    Finished(StatementResponse),
    /// The statement runs; the body (code `333334`) holds its handle.
    Running(StatementResponse),
}

/// A SQL API client for one user of one account. Cheap to clone; clones share the connection
/// pool, the token cache and the request counter.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    http: reqwest::Client,
    base_url: Url,
    account: AccountIdentifier,
    tokens: TokenSource,
    user_agent: String,
    retry: RetryPolicy,
    prefetch: usize,
    wait_timeout: Duration,
    request_timeout: Duration,
    poll_interval: (Duration, Duration),
    max_body_bytes: usize,
    requests: AtomicU64,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url.as_str())
            .field("tokens", &self.inner.tokens)
            .field("requests", &self.request_count())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client from its configuration.
    pub fn new(config: ClientConfig) -> Result<Self, Error> {
        let mut base_url = config.base_url.unwrap_or_else(|| config.account.base_url());
        if !matches!(base_url.scheme(), "http" | "https") {
            return Err(Error::Config(format!(
                "the base URL {base_url} must start with https:// (or http:// for a local server)"
            )));
        }
        if !base_url.path().ends_with('/') {
            let path = format!("{}/", base_url.path());
            base_url.set_path(&path);
        }
        let http = match config.http {
            Some(http) => http,
            // Never follow a redirect: it would carry the JWT to wherever the answer points.
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .connect_timeout(Duration::from_secs(10))
                .pool_idle_timeout(Duration::from_secs(60))
                .build()
                .map_err(|error| Error::Config(format!("could not set up HTTP: {error}")))?,
        };
        let tokens = TokenSource::new(config.key, &config.account, &config.user)?
            .with_lifetime(config.token_lifetime);
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                base_url,
                account: config.account,
                tokens,
                user_agent: config.user_agent,
                retry: config.retry,
                prefetch: config.prefetch,
                wait_timeout: config.wait_timeout,
                request_timeout: config.request_timeout,
                poll_interval: config.poll_interval,
                max_body_bytes: config.max_body_bytes,
                requests: AtomicU64::new(0),
            }),
        })
    }

    /// The URL requests go to (the account's, or the configured override), ending in `/`.
    pub fn base_url(&self) -> &Url {
        &self.inner.base_url
    }

    /// The account.
    pub fn account(&self) -> &AccountIdentifier {
        &self.inner.account
    }

    /// The token source (claims, key, fingerprint).
    pub fn tokens(&self) -> &TokenSource {
        &self.inner.tokens
    }

    /// The current bearer JWT, renewed when close to expiry (for a proxy that forwards requests).
    pub fn bearer_token(&self) -> Result<SecretString, Error> {
        self.inner.tokens.token()
    }

    /// HTTP requests sent so far by this client and its clones (retries and partitions count).
    pub fn request_count(&self) -> u64 {
        self.inner.requests.load(Ordering::Relaxed)
    }

    /// Submits a statement once (resending only to recover from faults) and returns Snowflake's
    /// first answer: finished with partition 0, or running with its handle.
    pub async fn submit(&self, statement: &Statement) -> Result<Submitted, Error> {
        let wait = statement.wait(self.inner.wait_timeout);
        let body = statement.body(wait)?;
        let request_id = statement.fixed_request_id();
        // A caller-chosen request id may be a resend from an earlier process: mark it as one.
        let resend = request_id.is_some();
        let request_id = request_id.unwrap_or_else(Uuid::new_v4);
        let mut query = vec![("requestId", request_id.to_string())];
        if statement.is_asynchronous() {
            query.push(("async", "true".to_owned()));
        }
        let request = Request {
            method: Method::POST,
            path: STATEMENTS.to_owned(),
            query,
            body: Some(body),
            resend_flag: true,
            always_resend: resend,
            size_hint: 0,
        };
        self.send(&request).await?.into_submitted()
    }

    /// The status of a statement: finished (with partition 0) or running. A failed or
    /// cancelled statement is an error (422).
    pub async fn status(&self, statement_handle: &str) -> Result<Submitted, Error> {
        let request = Request::get(statement_path(statement_handle)?, Vec::new());
        self.send(&request).await?.into_submitted()
    }

    /// Partition `index` of a finished statement, as Snowflake sends it (partition 0 with the
    /// metadata, the others with `data` only).
    pub async fn partition(
        &self,
        statement_handle: &str,
        index: usize,
    ) -> Result<StatementResponse, Error> {
        self.fetch_partition(statement_handle, index, 0).await
    }

    async fn fetch_partition(
        &self,
        statement_handle: &str,
        index: usize,
        size_hint: usize,
    ) -> Result<StatementResponse, Error> {
        let mut request = Request::get(
            statement_path(statement_handle)?,
            vec![("partition", index.to_string())],
        );
        request.size_hint = size_hint;
        self.send(&request).await?.parse()
    }

    /// Cancels a statement. Snowflake answers `000604` also for a statement already finished.
    pub async fn cancel(&self, statement_handle: &str) -> Result<StatementResponse, Error> {
        let request = Request {
            method: Method::POST,
            path: format!("{}/cancel", statement_path(statement_handle)?),
            query: vec![("requestId", Uuid::new_v4().to_string())],
            body: Some(Json::Object(serde_json::Map::new())),
            resend_flag: false,
            always_resend: false,
            size_hint: 0,
        };
        self.send(&request).await?.parse()
    }

    /// Runs a statement and returns its result, waiting (polling) until it finishes or its wait
    /// deadline passes, in which case the statement is cancelled and [`Error::Timeout`] returned.
    pub async fn query(&self, statement: &Statement) -> Result<ResultSet, Error> {
        let wait = statement.wait(self.inner.wait_timeout);
        let deadline = Instant::now() + wait;
        let submitted = tokio::time::timeout_at(deadline, self.submit(statement))
            .await
            .map_err(|_| Error::Timeout {
                statement_handle: None,
                message: format!("Snowflake did not answer the submission within {wait:?}"),
            })??;
        let response = match submitted {
            Submitted::Finished(response) => response,
            Submitted::Running(running) => {
                let handle = running.statement_handle.ok_or_else(|| {
                    Error::Protocol("a 202 answer without statementHandle".into())
                })?;
                self.wait_for(&handle, deadline, wait).await?
            }
        };
        ResultSet::new(self, response, self.inner.prefetch)
    }

    /// The result of a statement submitted earlier (e.g. a child of a multi-statement request),
    /// waiting for it like [`Client::query`] with the client's wait timeout.
    pub async fn result(&self, statement_handle: &str) -> Result<ResultSet, Error> {
        let wait = self.inner.wait_timeout;
        let response = self
            .wait_for(statement_handle, Instant::now() + wait, wait)
            .await?;
        ResultSet::new(self, response, self.inner.prefetch)
    }

    /// Checks the credentials with `SELECT CURRENT_TIMESTAMP` (no warehouse needed) and returns
    /// Snowflake's clock. Failures name their cause: [`Error::Auth`] (key not registered, wrong
    /// account or user, user disabled, …) or [`Error::Network`] (host unreachable).
    pub async fn check_credentials(&self) -> Result<DateTime<Utc>, Error> {
        let statement =
            Statement::new("SELECT CURRENT_TIMESTAMP").wait_timeout(Duration::from_secs(60));
        let mut result = self.query(&statement).await?;
        let partition = result.next_partition().await.ok_or_else(|| {
            Error::Protocol("SELECT CURRENT_TIMESTAMP returned no partition".into())
        })??;
        let row = partition
            .row(0)
            .ok_or_else(|| Error::Protocol("SELECT CURRENT_TIMESTAMP returned no row".into()))?;
        match row.value(0)? {
            Value::TimestampLtz(now) => Ok(now),
            Value::TimestampTz(now) => Ok(now.with_timezone(&Utc)),
            Value::TimestampNtz(now) => Ok(now.and_utc()),
            _ => Err(Error::Protocol(
                "SELECT CURRENT_TIMESTAMP did not return a timestamp".into(),
            )),
        }
    }

    /// The rows of partition `index` (the streaming path of [`ResultSet`]); `size_hint` is the
    /// expected body size, to read it into a buffer of the right size at once.
    pub(crate) async fn partition_rows(
        &self,
        statement_handle: &str,
        index: usize,
        size_hint: usize,
    ) -> Result<RowData, Error> {
        self.fetch_partition(statement_handle, index, size_hint)
            .await?
            .data
            .ok_or_else(|| Error::Protocol(format!("partition {index} came without data")))
    }

    /// Polls a running statement until it finishes, fails, or `deadline` passes (then cancels).
    async fn wait_for(
        &self,
        handle: &str,
        deadline: Instant,
        wait: Duration,
    ) -> Result<StatementResponse, Error> {
        let mut guard = CancelOnDrop {
            client: self.clone(),
            handle: Some(handle.to_owned()),
        };
        let (first, largest) = self.inner.poll_interval;
        let mut delays = ExponentialBuilder::new()
            .with_min_delay(first)
            .with_max_delay(largest)
            .with_factor(1.5)
            .with_jitter()
            .without_max_times()
            .build();
        loop {
            let delay = delays.next().unwrap_or(largest);
            if Instant::now() + delay >= deadline {
                break;
            }
            tokio::time::sleep(delay).await;
            match tokio::time::timeout_at(deadline, self.status(handle)).await {
                Err(_) => break,
                Ok(Ok(Submitted::Running(_))) => {}
                Ok(Ok(Submitted::Finished(response))) => {
                    guard.handle = None;
                    return Ok(response);
                }
                Ok(Err(error @ (Error::Sql { .. } | Error::Timeout { .. }))) => {
                    // Snowflake says it failed or was cancelled: nothing left to cancel.
                    guard.handle = None;
                    return Err(error);
                }
                Ok(Err(error)) => return Err(error),
            }
        }
        guard.handle = None;
        if let Err(error) = self.cancel(handle).await {
            tracing::warn!(statement.handle = handle, %error, "could not cancel a statement that ran past its deadline");
        }
        Err(Error::Timeout {
            statement_handle: Some(handle.to_owned()),
            message: format!("gave up waiting after {wait:?}"),
        })
    }

    /// Sends a request with the retry policy, token renewal and error mapping.
    async fn send(&self, request: &Request) -> Result<Answer, Error> {
        let policy = &self.inner.retry;
        let attempts = AtomicU32::new(0);
        let mut waited = Duration::ZERO;
        let backoff = ExponentialBuilder::new()
            .with_min_delay(policy.min_delay)
            .with_max_delay(policy.max_delay)
            .with_max_times(policy.max_retries)
            .with_jitter();
        let result = (|| async {
            let attempt = attempts.fetch_add(1, Ordering::Relaxed);
            self.attempt(request, attempt).await
        })
        .retry(backoff)
        .sleep(tokio::time::sleep)
        .when(Failure::is_retryable)
        .adjust(|failure, delay| {
            let delay = delay?.max(failure.retry_after().unwrap_or_default());
            waited += delay;
            (waited <= policy.max_total_delay).then_some(delay)
        })
        .notify(|failure, delay| {
            tracing::warn!(
                path = %request.path,
                attempt = attempts.load(Ordering::Relaxed),
                delay_ms = delay.as_millis() as u64,
                failure = %failure,
                "retrying a Snowflake request"
            );
        })
        .await;
        result.map_err(|failure| failure.into_error(attempts.load(Ordering::Relaxed), self.host()))
    }

    /// One attempt, renewing the token once if Snowflake says it expired.
    async fn attempt(&self, request: &Request, attempt: u32) -> Result<Answer, Failure> {
        let mut renewed = false;
        loop {
            let token = if renewed {
                self.inner.tokens.renew()
            } else {
                self.inner.tokens.token()
            }
            .map_err(Failure::Fatal)?;
            let answer = self.exchange(request, attempt, &token).await?;
            if answer.status == StatusCode::UNAUTHORIZED
                && !renewed
                && answer.error_body().code.as_deref() == Some("390198")
            {
                tracing::info!("Snowflake says the JWT expired; renewing it");
                renewed = true;
                continue;
            }
            return self.classify(answer);
        }
    }

    /// One HTTP exchange: the request out, the whole (bounded, decompressed) body in.
    async fn exchange(
        &self,
        request: &Request,
        attempt: u32,
        token: &SecretString,
    ) -> Result<Answer, Failure> {
        let inner = &self.inner;
        let mut url = inner
            .base_url
            .join(&request.path)
            .map_err(|error| Failure::Fatal(Error::Config(format!("bad request path: {error}"))))?;
        {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in &request.query {
                pairs.append_pair(name, value);
            }
            if request.resend_flag && (attempt > 0 || request.always_resend) {
                pairs.append_pair("retry", "true");
            }
        }
        let mut builder = inner
            .http
            .request(request.method.clone(), url)
            .bearer_auth(token.expose_secret())
            .header("X-Snowflake-Authorization-Token-Type", "KEYPAIR_JWT")
            .header(ACCEPT, "application/json")
            .header(USER_AGENT, &inner.user_agent)
            .timeout(inner.request_timeout);
        if let Some(body) = &request.body {
            builder = builder.json(body);
        }
        inner.requests.fetch_add(1, Ordering::Relaxed);
        let started = Instant::now();
        let mut response = builder.send().await.map_err(Failure::Network)?;
        let status = response.status();
        let headers = std::mem::take(response.headers_mut());
        let body = read_body(response, inner.max_body_bytes, request.size_hint).await?;
        let body = gunzip_if_needed(&headers, body, inner.max_body_bytes)?;
        tracing::debug!(
            method = %request.method,
            path = %request.path,
            status = status.as_u16(),
            attempt,
            bytes = body.len(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "snowflake request"
        );
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    /// Success (200, 202) passes; everything else becomes a retryable or a final failure.
    fn classify(&self, answer: Answer) -> Result<Answer, Failure> {
        let status = answer.status;
        if status == StatusCode::OK || status == StatusCode::ACCEPTED {
            return Ok(answer);
        }
        let body = answer.error_body();
        let code = body.code.clone();
        let message = body
            .message
            .clone()
            .unwrap_or_else(|| answer.body_excerpt());
        match status.as_u16() {
            429 | 500 | 502 | 503 | 504 => Err(Failure::Status {
                status: status.as_u16(),
                code,
                message,
                retry_after: retry_after(&answer.headers),
            }),
            422 => Err(Failure::Fatal(Error::Sql {
                code: code.unwrap_or_default(),
                sql_state: body.sql_state.unwrap_or_default(),
                message,
                statement_handle: body.statement_handle,
            })),
            408 => Err(Failure::Fatal(Error::Timeout {
                statement_handle: body.statement_handle,
                message,
            })),
            status => match AuthCause::classify(status, code.as_deref(), &message) {
                Some(cause) => Err(Failure::Fatal(
                    self.auth_error(cause, status, code, message),
                )),
                None => Err(Failure::Fatal(Error::Request {
                    status,
                    code,
                    message,
                })),
            },
        }
    }

    fn auth_error(
        &self,
        cause: AuthCause,
        status: u16,
        code: Option<String>,
        message: String,
    ) -> Error {
        let tokens = &self.inner.tokens;
        Error::Auth(Box::new(AuthError {
            cause,
            status,
            code,
            message,
            account: self.inner.account.jwt_account().to_owned(),
            user: tokens
                .subject()
                .split_once('.')
                .map(|(_, user)| user.to_owned())
                .unwrap_or_default(),
            fingerprint: tokens.key().fingerprint().to_string(),
            host: self.host(),
        }))
    }

    fn host(&self) -> String {
        let url = &self.inner.base_url;
        match url.port() {
            Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
            None => url.host_str().unwrap_or_default().to_owned(),
        }
    }
}

/// Validates a statement handle before it goes into a URL path.
fn statement_path(handle: &str) -> Result<String, Error> {
    let valid = !handle.is_empty()
        && handle.len() <= 64
        && handle
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if !valid {
        return Err(Error::Config(
            "a statement handle has only letters, digits and hyphens (like \
             01c4d3e8-0001-e79d-0000-001cd6c3d2a9)"
                .into(),
        ));
    }
    Ok(format!("{STATEMENTS}/{handle}"))
}

/// One logical request, resent as is by the retry loop.
struct Request {
    method: Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Json>,
    /// Resends carry `retry=true` (statement submissions).
    resend_flag: bool,
    /// Even the first attempt carries `retry=true` (a caller-chosen request id).
    always_resend: bool,
    /// The expected size of the answer's body, 0 if unknown.
    size_hint: usize,
}

impl Request {
    /// A GET with a fresh request id (kept by its resends) and `query`.
    fn get(path: String, mut query: Vec<(&'static str, String)>) -> Self {
        query.insert(0, ("requestId", Uuid::new_v4().to_string()));
        Self {
            method: Method::GET,
            path,
            query,
            body: None,
            resend_flag: false,
            always_resend: false,
            size_hint: 0,
        }
    }
}

/// A whole HTTP answer.
struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Answer {
    fn parse(self) -> Result<StatementResponse, Error> {
        let status = self.status.as_u16();
        let text = String::from_utf8(self.body)
            .map_err(|_| Error::Protocol(format!("the HTTP {status} answer is not UTF-8")))?;
        StatementResponse::from_body(text).map_err(|error| {
            Error::Protocol(format!(
                "the HTTP {status} answer is not a SQL API body ({error})"
            ))
        })
    }

    fn into_submitted(self) -> Result<Submitted, Error> {
        let running = self.status == StatusCode::ACCEPTED;
        let response = self.parse()?;
        Ok(if running {
            Submitted::Running(response)
        } else {
            Submitted::Finished(response)
        })
    }

    /// The body as far as it follows the SQL API's shape; empty when it is not JSON.
    fn error_body(&self) -> StatementResponse {
        serde_json::from_slice(&self.body).unwrap_or_default()
    }

    fn body_excerpt(&self) -> String {
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        match text.char_indices().nth(200) {
            Some((end, _)) => format!("{}…", &text[..end]),
            None if text.is_empty() => "(empty body)".to_owned(),
            None => text.to_owned(),
        }
    }
}

/// Why an attempt failed, for the retry loop.
enum Failure {
    /// 429 or 5xx: worth another attempt.
    Status {
        status: u16,
        code: Option<String>,
        message: String,
        retry_after: Option<Duration>,
    },
    /// The connection failed or the answer was cut off: worth another attempt.
    Network(reqwest::Error),
    /// Final.
    Fatal(Error),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Status {
                status, message, ..
            } => write!(f, "HTTP {status}: {message}"),
            Self::Network(error) => write!(f, "{error}"),
            Self::Fatal(error) => write!(f, "{error}"),
        }
    }
}

impl Failure {
    fn is_retryable(&self) -> bool {
        match self {
            Self::Status { .. } => true,
            // Body and decompression errors count: a connection cut mid-body shows as one.
            Self::Network(error) => !error.is_builder(),
            Self::Fatal(_) => false,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Self::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    fn into_error(self, attempts: u32, host: String) -> Error {
        match self {
            Self::Status {
                status: 429,
                retry_after,
                ..
            } => Error::RateLimited {
                retry_after,
                attempts,
            },
            Self::Status {
                status,
                code,
                message,
                ..
            } => Error::Server {
                status,
                code,
                message,
                attempts,
            },
            Self::Network(source) => Error::Network {
                host,
                source,
                attempts,
            },
            Self::Fatal(error) => error,
        }
    }
}

/// `Retry-After` as seconds or an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = DateTime::parse_from_rfc2822(value).ok()?;
    (date.with_timezone(&Utc) - Utc::now()).to_std().ok()
}

async fn read_body(
    mut response: reqwest::Response,
    limit: usize,
    size_hint: usize,
) -> Result<Vec<u8>, Failure> {
    let length = usize::try_from(response.content_length().unwrap_or(0)).unwrap_or(limit);
    let mut body = Vec::with_capacity(length.max(size_hint).min(limit));
    while let Some(chunk) = response.chunk().await.map_err(Failure::Network)? {
        if body.len() + chunk.len() > limit {
            return Err(too_large(limit));
        }
        body.extend_from_slice(&chunk);
    }
    // Partition bodies are kept as long as their rows: do not keep a doubled buffer too.
    if body.capacity() > body.len() + body.len() / 2 {
        body.shrink_to_fit();
    }
    Ok(body)
}

/// Decodes a gzip body that the HTTP client left compressed (a pool configured without gzip).
fn gunzip_if_needed(headers: &HeaderMap, body: Vec<u8>, limit: usize) -> Result<Vec<u8>, Failure> {
    let gzipped = headers
        .get(CONTENT_ENCODING)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.eq_ignore_ascii_case("gzip"));
    if !gzipped {
        return Ok(body);
    }
    let mut decoded = Vec::with_capacity(body.len() * 4);
    flate2::read::GzDecoder::new(body.as_slice())
        .take(limit as u64 + 1)
        .read_to_end(&mut decoded)
        .map_err(|error| {
            Failure::Fatal(Error::Protocol(format!("a gzip body is corrupt: {error}")))
        })?;
    if decoded.len() > limit {
        return Err(too_large(limit));
    }
    Ok(decoded)
}

fn too_large(limit: usize) -> Failure {
    Failure::Fatal(Error::Protocol(format!(
        "an answer exceeds {} MiB; raise ClientConfig::max_body_bytes if that is expected",
        limit >> 20
    )))
}

/// Cancels the statement if the waiting future is dropped before it finished.
struct CancelOnDrop {
    client: Client,
    handle: Option<String>,
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        let Some(handle) = self.handle.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            tracing::warn!(statement.handle = %handle, "no runtime to cancel an abandoned statement");
            return;
        };
        let client = self.client.clone();
        runtime.spawn(async move {
            match tokio::time::timeout(Duration::from_secs(30), client.cancel(&handle)).await {
                Ok(Ok(_)) => tracing::info!(statement.handle = %handle, "cancelled an abandoned statement"),
                Ok(Err(error)) => {
                    tracing::warn!(statement.handle = %handle, %error, "could not cancel an abandoned statement")
                }
                Err(_) => tracing::warn!(statement.handle = %handle, "cancelling an abandoned statement timed out"),
            }
        });
    }
}
