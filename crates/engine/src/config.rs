//! The engine's configuration: the `[engine]` table of the server's config file, with defaults
//! that suit an embedded deployment.
//!
//! Every field has a default ([`EngineConfig::default`]), so an empty table (or none) is valid;
//! unknown keys are rejected so that a typo is an error, not a silently ignored setting. Durations
//! are whole seconds (or milliseconds where tests need shorter ones), named with their unit.

use std::{collections::BTreeMap, time::Duration};

use serde::{Deserialize, Serialize};

use crate::{
    catalog::Frequency, custom::CustomSync, custom_action::CustomAction,
    validation::ValidationPolicy, webhooks::RetrySchedule,
};

/// What a process runs besides (or instead of) the HTTP API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProcessRole {
    /// The HTTP API only: no scheduler, workers, dispatcher or health checker.
    Api,
    /// Background work only (no HTTP): scheduler, workers, webhook dispatcher, health checker.
    Worker,
    /// Both (embedded mode).
    All,
}

impl ProcessRole {
    /// Whether this process runs the background tasks.
    pub fn runs_background(self) -> bool {
        matches!(self, Self::Worker | Self::All)
    }
}

/// The engine's settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EngineConfig {
    /// Jobs (sync runs and async actions) a worker process runs at once.
    pub workers: usize,
    /// How often the scheduler looks for due syncs and the workers for queued jobs, in ms.
    pub poll_interval_ms: u64,
    /// How long a claimed job stays leased without a heartbeat, in seconds; a job whose worker
    /// died is taken over this long after its last heartbeat. Heartbeats come every third of it.
    pub lease_secs: u64,
    /// The longest a sync run may take before it is stopped and failed, in seconds (Nango: 24 h).
    pub run_timeout_secs: u64,
    /// Records per saved batch (each batch commits with its checkpoint).
    pub batch_size: usize,
    /// SHOW statements the `columns` sync keeps in flight at once.
    pub show_concurrency: usize,
    /// What a sync does with a record that fails its model's schema, unless `validation_overrides`
    /// names the sync.
    pub validation: ValidationPolicy,
    /// Per-sync validation policies, by sync name.
    pub validation_overrides: BTreeMap<String, ValidationPolicy>,
    /// Default frequencies by sync name, replacing the catalogue's (`"tables" = "every 6 hours"`).
    pub frequencies: BTreeMap<String, Frequency>,
    /// How often the credential health checker runs, in seconds.
    pub health_check_interval_secs: u64,
    /// A connection's key is checked again when it was not used or checked for this long, in
    /// seconds.
    pub health_check_max_age_secs: u64,
    /// Webhook delivery.
    pub webhooks: WebhookDeliveryConfig,
    /// SQL-defined syncs (see [`crate::custom`]): `[[engine.custom_syncs]]` in the config file.
    pub custom_syncs: Vec<CustomSync>,
    /// SQL-defined actions (see [`crate::custom_action`]): `[[engine.custom_actions]]`.
    pub custom_actions: Vec<CustomAction>,
}

impl Default for EngineConfig {
    fn default() -> Self {
        Self {
            workers: 4,
            poll_interval_ms: 1_000,
            lease_secs: 30,
            run_timeout_secs: 24 * 3600,
            batch_size: 2_000,
            show_concurrency: 6,
            validation: ValidationPolicy::FailRun,
            validation_overrides: BTreeMap::new(),
            frequencies: BTreeMap::new(),
            health_check_interval_secs: 600,
            health_check_max_age_secs: 3600,
            webhooks: WebhookDeliveryConfig::default(),
            custom_syncs: Vec::new(),
            custom_actions: Vec::new(),
        }
    }
}

impl EngineConfig {
    /// Checks the values that have a range; the message names the key and what to write.
    pub fn validate(&self) -> Result<(), String> {
        let positive = [
            ("workers", self.workers as u64),
            ("poll_interval_ms", self.poll_interval_ms),
            ("run_timeout_secs", self.run_timeout_secs),
            ("batch_size", self.batch_size as u64),
            ("show_concurrency", self.show_concurrency as u64),
            (
                "health_check_interval_secs",
                self.health_check_interval_secs,
            ),
            ("webhooks.timeout_secs", self.webhooks.timeout_secs),
            ("webhooks.concurrency", self.webhooks.concurrency as u64),
            (
                "webhooks.max_attempts",
                u64::from(self.webhooks.max_attempts),
            ),
        ];
        if let Some((key, _)) = positive.iter().find(|(_, value)| *value == 0) {
            return Err(format!("engine.{key} must be at least 1"));
        }
        if self.lease_secs < 3 {
            return Err(
                "engine.lease_secs must be at least 3 (heartbeats come every third of it)".into(),
            );
        }
        if self.batch_size > 10_000 {
            return Err("engine.batch_size must be at most 10000".into());
        }
        crate::custom_action::check_unique(&self.custom_actions)
            .map_err(|error| error.to_string())?;
        Ok(())
    }

    /// The validation policy of `sync`.
    pub fn validation_for(&self, sync: &str) -> ValidationPolicy {
        self.validation_overrides
            .get(sync)
            .copied()
            .unwrap_or(self.validation)
    }

    pub(crate) fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_secs)
    }

    pub(crate) fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }
}

/// How webhooks are delivered.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WebhookDeliveryConfig {
    /// Timeout of one delivery attempt, in seconds (Nango: 20).
    pub timeout_secs: u64,
    /// Deliveries in flight at once per process.
    pub concurrency: usize,
    /// Wait before the second attempt, in ms (it doubles with each attempt).
    pub first_retry_delay_ms: u64,
    /// Longest wait between two attempts, in seconds.
    pub max_retry_delay_secs: u64,
    /// Attempts in all before a delivery is dead.
    pub max_attempts: u32,
    /// Whether a receiver's redirect is followed (off: a 3xx is a failed attempt). When on, at
    /// most 5 redirects, each to the same scheme or from `http` to `https`.
    pub follow_redirects: bool,
}

impl Default for WebhookDeliveryConfig {
    fn default() -> Self {
        let schedule = RetrySchedule::default();
        Self {
            timeout_secs: 20,
            concurrency: 8,
            first_retry_delay_ms: schedule.first_delay.as_millis() as u64,
            max_retry_delay_secs: schedule.max_delay.as_secs(),
            max_attempts: schedule.max_attempts,
            follow_redirects: false,
        }
    }
}

impl WebhookDeliveryConfig {
    /// The retry schedule these settings describe.
    pub fn schedule(&self) -> RetrySchedule {
        RetrySchedule {
            first_delay: Duration::from_millis(self.first_retry_delay_ms),
            max_delay: Duration::from_secs(self.max_retry_delay_secs),
            max_attempts: self.max_attempts,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_an_empty_table_gives_them() {
        let config: EngineConfig = toml::from_str("").unwrap();
        assert_eq!(config, EngineConfig::default());
        config.validate().unwrap();
    }

    #[test]
    fn reads_frequencies_and_policies_and_rejects_typos() {
        let config: EngineConfig = toml::from_str(
            "workers = 2\nvalidation = \"skip_record\"\n[frequencies]\ntables = \"every 6 hours\"\n[validation_overrides]\ncolumns = \"fail_run\"",
        )
        .unwrap();
        assert_eq!(config.workers, 2);
        assert_eq!(config.frequencies["tables"].duration().as_secs(), 6 * 3600);
        assert_eq!(config.validation_for("columns"), ValidationPolicy::FailRun);
        assert_eq!(
            config.validation_for("tables"),
            ValidationPolicy::SkipRecord
        );
        let typo = toml::from_str::<EngineConfig>("worker = 2").unwrap_err();
        assert!(typo.to_string().contains("unknown field"), "{typo}");
        let bad =
            toml::from_str::<EngineConfig>("[frequencies]\ntables = \"sometimes\"").unwrap_err();
        assert!(bad.to_string().contains("is not a frequency"), "{bad}");
    }

    #[test]
    fn ranges_are_checked() {
        let config = EngineConfig {
            workers: 0,
            ..EngineConfig::default()
        };
        assert_eq!(
            config.validate().unwrap_err(),
            "engine.workers must be at least 1"
        );
        let config = EngineConfig {
            lease_secs: 1,
            ..EngineConfig::default()
        };
        assert!(config.validate().unwrap_err().contains("lease_secs"));
    }
}
