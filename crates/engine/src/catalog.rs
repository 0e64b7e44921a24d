//! The catalogue of built-in syncs and actions, and Nango's sync frequency grammar.
//!
//! [`SYNCS`] lists the eight built-in syncs with their model, default frequency, `autoStart`, mode and
//! checkpoint shape; [`ACTIONS`] the fifteen actions with their input and output JSON Schemas
//! (generated from the types in [`crate::actions`]). [`Frequency`] parses Nango's `every …` strings.

use std::{fmt, time::Duration};

use serde::{Deserialize, Serialize};

/// A sync frequency: the text as written (`every 15 minutes`) and its duration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frequency {
    text: String,
    duration: Duration,
}

/// A frequency that cannot be parsed or is out of range.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrequencyError {
    /// Not in the grammar.
    #[error(
        "{0:?} is not a frequency; write e.g. \"every hour\", \"every 15 minutes\", \"every half day\", \"every quarter hour\", \"every day\" or \"every month\""
    )]
    Syntax(String),
    /// Shorter than 30 seconds or longer than 31 days.
    #[error("{text:?} is {seconds} s; a frequency must be between 30 seconds and 31 days")]
    OutOfRange {
        /// The text.
        text: String,
        /// Its length in seconds.
        seconds: u64,
    },
}

/// Shortest allowed frequency.
pub const MIN_FREQUENCY: Duration = Duration::from_secs(30);
/// Longest allowed frequency.
pub const MAX_FREQUENCY: Duration = Duration::from_secs(31 * 86_400);

impl Frequency {
    /// Parses Nango's grammar: an optional `every `, then `half day` (12 h), `quarter hour` (15 min),
    /// `month` (30 d), or `[<number>] <unit>` with the units of the `ms` package (`ms`, `s`/`sec`/
    /// `second`, `m`/`min`/`minute`, `h`/`hr`/`hour`, `d`/`day`, `w`/`week`, `y`/`yr`/`year` = 365.25 d,
    /// singular or plural, case-insensitive; a missing number is 1) plus `month(s)`. Range: 30 s … 31 d.
    pub fn parse(text: &str) -> Result<Self, FrequencyError> {
        let syntax = || FrequencyError::Syntax(text.to_owned());
        let lower = text.trim().to_ascii_lowercase();
        let spec = lower
            .strip_prefix("every")
            .map(str::trim_start)
            .unwrap_or(&lower);
        let millis: f64 = match spec {
            "half day" => 12.0 * 3_600_000.0,
            "quarter hour" => 15.0 * 60_000.0,
            _ => {
                let split = spec
                    .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                    .unwrap_or(spec.len());
                let (number, unit) = spec.split_at(split);
                let number: f64 = match number {
                    "" => 1.0,
                    n => n.parse().map_err(|_| syntax())?,
                };
                let unit_millis = match unit.trim() {
                    "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" => 1.0,
                    "s" | "sec" | "secs" | "second" | "seconds" => 1_000.0,
                    "m" | "min" | "mins" | "minute" | "minutes" => 60_000.0,
                    "h" | "hr" | "hrs" | "hour" | "hours" => 3_600_000.0,
                    "d" | "day" | "days" => 86_400_000.0,
                    "w" | "week" | "weeks" => 7.0 * 86_400_000.0,
                    "month" | "months" => 30.0 * 86_400_000.0,
                    "y" | "yr" | "yrs" | "year" | "years" => 365.25 * 86_400_000.0,
                    _ => return Err(syntax()),
                };
                number * unit_millis
            }
        };
        let duration = Duration::try_from_secs_f64(millis / 1000.0).map_err(|_| syntax())?;
        if !(MIN_FREQUENCY..=MAX_FREQUENCY).contains(&duration) {
            return Err(FrequencyError::OutOfRange {
                text: text.to_owned(),
                seconds: duration.as_secs(),
            });
        }
        Ok(Self {
            text: text.trim().to_owned(),
            duration,
        })
    }

    /// The text as configured.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The interval between runs.
    pub fn duration(&self) -> Duration {
        self.duration
    }
}

impl fmt::Display for Frequency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for Frequency {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Frequency {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}
