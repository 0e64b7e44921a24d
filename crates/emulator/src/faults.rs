//! Faults on demand, for the tests of clients that must survive them.
//!
//! A [`Faults`] value says what to inject; [`FaultControl`] holds the one in force and the state
//! it needs (per-user rate limiter, running statements, countdowns). It is set at start
//! ([`crate::Config::faults`]), through the library ([`crate::Emulator::faults`]) or over HTTP
//! (`PUT /emulator/admin/faults`). Faults apply to the SQL API routes only, never to the admin
//! endpoints.

use std::{
    collections::HashMap,
    num::NonZeroU32,
    sync::{Arc, Mutex, MutexGuard},
    time::Duration,
};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// What to inject. The default injects nothing.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Requests per second allowed for each user; more answer 429 `390505`.
    pub rate_limit_per_second: Option<u32>,
    /// Statements running at once for each user; a POST above it answers 429 `390505`.
    pub max_concurrent_statements: Option<u32>,
    /// Answer the next this many SQL API requests with [`Faults::error_status`].
    pub fail_next: u32,
    /// Answer this fraction (0 to 1) of SQL API requests with [`Faults::error_status`].
    pub error_rate: f64,
    /// The status of injected errors: 429, 500, 502, 503 (the default when unset) or 504. A 429
    /// answers as Snowflake's does (`390505`, "Too many requests.") with a `Retry-After`.
    pub error_status: Option<u16>,
    /// The `Retry-After` of injected 429s, in seconds (1 when unset).
    pub retry_after_seconds: Option<u64>,
    /// Added before every SQL API request is handled, in milliseconds.
    pub latency_ms: u64,
    /// Cut the connection in the middle of the next this many partition bodies (`?partition=N`).
    pub drop_next_partitions: u32,
    /// Answer every statement 202 at once, as if the request had `async=true`.
    pub force_async: bool,
}

/// Why a [`Faults`] value was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultsError {
    #[error("error_status must be 429, 500, 502, 503 or 504, not {0}")]
    Status(u16),
    #[error("error_rate must be between 0 and 1, not {0}")]
    Rate(String),
    #[error("rate_limit_per_second must be at least 1; leave it out to disable rate limiting")]
    ZeroRateLimit,
}

impl Faults {
    fn validate(&self) -> Result<(), FaultsError> {
        if let Some(status) = self.error_status
            && ![429, 500, 502, 503, 504].contains(&status)
        {
            return Err(FaultsError::Status(status));
        }
        if !(0.0..=1.0).contains(&self.error_rate) {
            return Err(FaultsError::Rate(self.error_rate.to_string()));
        }
        if self.rate_limit_per_second == Some(0) {
            return Err(FaultsError::ZeroRateLimit);
        }
        Ok(())
    }
}

/// The faults in force and the state they need. Shared by all requests.
#[derive(Debug, Default)]
pub struct FaultControl {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    faults: Faults,
    limiter: Option<Arc<DefaultKeyedRateLimiter<String>>>,
    running: HashMap<String, u32>,
}

impl FaultControl {
    pub(crate) fn new(faults: Faults) -> Result<Self, FaultsError> {
        let control = Self::default();
        control.set(faults)?;
        Ok(control)
    }

    /// The faults in force (with countdowns as they are now).
    pub fn get(&self) -> Faults {
        self.lock().faults.clone()
    }

    /// Replaces the faults in force.
    pub fn set(&self, faults: Faults) -> Result<(), FaultsError> {
        faults.validate()?;
        let mut inner = self.lock();
        inner.limiter = faults
            .rate_limit_per_second
            .and_then(NonZeroU32::new)
            .map(|rate| Arc::new(RateLimiter::keyed(Quota::per_second(rate))));
        inner.faults = faults;
        Ok(())
    }

    /// Changes some faults: `control.update(|f| f.fail_next = 2)`.
    pub fn update(&self, change: impl FnOnce(&mut Faults)) -> Result<(), FaultsError> {
        let mut faults = self.get();
        change(&mut faults);
        self.set(faults)
    }

    /// Injects nothing any more.
    pub fn clear(&self) {
        let mut inner = self.lock();
        inner.faults = Faults::default();
        inner.limiter = None;
    }

    pub(crate) fn latency(&self) -> Duration {
        Duration::from_millis(self.lock().faults.latency_ms)
    }

    pub(crate) fn force_async(&self) -> bool {
        self.lock().faults.force_async
    }

    /// The `Retry-After` of injected 429s.
    pub(crate) fn retry_after(&self) -> Duration {
        Duration::from_secs(self.lock().faults.retry_after_seconds.unwrap_or(1))
    }

    /// The status to answer instead of handling a request, if an error is to be injected.
    pub(crate) fn injected_error(&self) -> Option<u16> {
        let mut inner = self.lock();
        let status = inner.faults.error_status.unwrap_or(503);
        if inner.faults.fail_next > 0 {
            inner.faults.fail_next -= 1;
            return Some(status);
        }
        let rate = inner.faults.error_rate;
        (rate > 0.0 && fastrand::f64() < rate).then_some(status)
    }

    /// Whether `user` is over the rate limit.
    pub(crate) fn rate_limited(&self, user: &str) -> bool {
        let limiter = self.lock().limiter.clone();
        limiter.is_some_and(|limiter| limiter.check_key(&user.to_owned()).is_err())
    }

    /// Counts a statement of `user` as running, unless that would exceed the concurrency limit.
    pub(crate) fn start_statement(self: &Arc<Self>, user: &str) -> Option<RunningStatement> {
        let mut inner = self.lock();
        let limit = inner.faults.max_concurrent_statements;
        let running = inner.running.entry(user.to_owned()).or_default();
        if limit.is_some_and(|limit| *running >= limit) {
            return None;
        }
        *running += 1;
        Some(RunningStatement {
            control: Arc::clone(self),
            user: user.to_owned(),
        })
    }

    /// Whether this partition body is to be cut in the middle.
    pub(crate) fn drop_partition(&self) -> bool {
        let mut inner = self.lock();
        let drop = inner.faults.drop_next_partitions > 0;
        if drop {
            inner.faults.drop_next_partitions -= 1;
        }
        drop
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A statement counted against its user's concurrency limit until dropped.
#[derive(Debug)]
pub(crate) struct RunningStatement {
    control: Arc<FaultControl>,
    user: String,
}

impl Drop for RunningStatement {
    fn drop(&mut self) {
        let mut inner = self.control.lock();
        if let Some(running) = inner.running.get_mut(&self.user) {
            *running = running.saturating_sub(1);
            if *running == 0 {
                inner.running.remove(&self.user);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countdowns_run_out_and_bad_values_are_refused() {
        let control = Arc::new(FaultControl::default());
        control
            .update(|f| {
                f.fail_next = 2;
                f.error_status = Some(502);
            })
            .expect("valid faults");
        assert_eq!(control.injected_error(), Some(502));
        assert_eq!(control.injected_error(), Some(502));
        assert_eq!(control.injected_error(), None);
        assert_eq!(
            control.update(|f| f.error_status = Some(404)),
            Err(FaultsError::Status(404))
        );

        control
            .update(|f| f.max_concurrent_statements = Some(1))
            .expect("valid faults");
        let first = control.start_statement("ALICE").expect("first may run");
        assert!(control.start_statement("ALICE").is_none());
        assert!(control.start_statement("BOB").is_some());
        drop(first);
        assert!(control.start_statement("ALICE").is_some());
    }
}
