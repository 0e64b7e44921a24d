//! What to run: a [`Statement`] with its context, typed [`Binding`]s, session parameters and
//! waiting rules, and the quoting helpers for SQL built from names.
//!
//! Values are always bound, never spliced into SQL. Output-format parameters are deliberately
//! not offered: they change the value strings that decoding relies on (reference §2.2).

use std::{fmt, time::Duration};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, Timelike, Utc};
use serde::{Serialize, Serializer, ser::SerializeMap};
use serde_json::{Map, Value as Json};
use uuid::Uuid;

use crate::{Error, value::Decimal};

/// A SQL statement to run, with everything the SQL API v2 lets a request set.
#[derive(Clone)]
pub struct Statement {
    sql: String,
    database: Option<String>,
    schema: Option<String>,
    warehouse: Option<String>,
    role: Option<String>,
    timeout: Option<Duration>,
    bindings: Vec<(String, Binding)>,
    parameters: Vec<SessionParameter>,
    multi_statement_count: Option<u32>,
    asynchronous: bool,
    wait_timeout: Option<Duration>,
    request_id: Option<Uuid>,
}

impl fmt::Debug for Statement {
    // Bind values may be customer data: show their types only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let binding_types: Vec<_> = self
            .bindings
            .iter()
            .map(|(key, binding)| format!("{key}: {}", binding.kind.name()))
            .collect();
        f.debug_struct("Statement")
            .field("sql", &self.sql)
            .field("database", &self.database)
            .field("schema", &self.schema)
            .field("warehouse", &self.warehouse)
            .field("role", &self.role)
            .field("timeout", &self.timeout)
            .field("bindings", &binding_types)
            .field("multi_statement_count", &self.multi_statement_count)
            .field("asynchronous", &self.asynchronous)
            .field("wait_timeout", &self.wait_timeout)
            .finish_non_exhaustive()
    }
}

impl Statement {
    /// A statement running `sql` in the user's default context.
    pub fn new(sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            database: None,
            schema: None,
            warehouse: None,
            role: None,
            timeout: None,
            bindings: Vec::new(),
            parameters: Vec::new(),
            multi_statement_count: None,
            asynchronous: false,
            wait_timeout: None,
            request_id: None,
        }
    }

    /// The SQL text.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// The same statement with other SQL text (and a fresh request id).
    pub fn with_sql(&self, sql: impl Into<String>) -> Self {
        Self {
            sql: sql.into(),
            request_id: None,
            ..self.clone()
        }
    }

    /// The current database (as the name is stored: `MYDB`, or exactly as quoted).
    pub fn database(mut self, database: impl Into<String>) -> Self {
        self.database = Some(database.into());
        self
    }

    /// The current schema.
    pub fn schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }

    /// The warehouse (SHOW commands and `SELECT CURRENT_TIMESTAMP` need none).
    pub fn warehouse(mut self, warehouse: impl Into<String>) -> Self {
        self.warehouse = Some(warehouse.into());
        self
    }

    /// The role (case-sensitive).
    pub fn role(mut self, role: impl Into<String>) -> Self {
        self.role = Some(role.into());
        self
    }

    /// Snowflake cancels the statement after this long (whole seconds, rounded up; zero means
    /// Snowflake's maximum of 7 days). Without it, the wait timeout is sent, so that a statement
    /// nobody waits for any more stops using the warehouse.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Binds the next `?` (keys `"1"`, `"2"`, … in call order).
    pub fn bind(mut self, binding: Binding) -> Self {
        let key = (self.bindings.len() + 1).to_string();
        self.bindings.push((key, binding));
        self
    }

    /// Binds `:name`.
    pub fn bind_named(mut self, name: impl Into<String>, binding: Binding) -> Self {
        self.bindings.push((name.into(), binding));
        self
    }

    /// Sets a session parameter for this request.
    pub fn parameter(mut self, parameter: SessionParameter) -> Self {
        self.parameters.push(parameter);
        self
    }

    /// Runs `count` statements separated by `;` in one request (0: any number). Bindings are not
    /// allowed then; `USE`, `ALTER SESSION`, transactions and temporary tables work only this way.
    pub fn multi_statement_count(mut self, count: u32) -> Self {
        self.multi_statement_count = Some(count);
        self
    }

    /// Asks Snowflake to answer at once with a handle (202) instead of waiting up to 45 s, so
    /// that the statement can be cancelled from the start. Use it for long statements.
    pub fn asynchronous(mut self, asynchronous: bool) -> Self {
        self.asynchronous = asynchronous;
        self
    }

    /// How long [`crate::Client::query`] waits for the statement to finish before cancelling
    /// it (default: the client's wait timeout).
    pub fn wait_timeout(mut self, wait: Duration) -> Self {
        self.wait_timeout = Some(wait);
        self
    }

    /// Sets the request id, to make a submission idempotent across process restarts (Snowflake
    /// does not run a statement twice for one request id resent with `retry=true`).
    pub fn request_id(mut self, request_id: Uuid) -> Self {
        self.request_id = Some(request_id);
        self
    }

    pub(crate) fn is_asynchronous(&self) -> bool {
        self.asynchronous
    }

    pub(crate) fn wait(&self, default: Duration) -> Duration {
        self.wait_timeout.unwrap_or(default)
    }

    pub(crate) fn fixed_request_id(&self) -> Option<Uuid> {
        self.request_id
    }

    /// The request body, with `timeout` defaulting to `wait` rounded up to whole seconds.
    pub(crate) fn body(&self, wait: Duration) -> Result<Json, Error> {
        if self.sql.trim().is_empty() {
            return Err(Error::Config("the SQL statement is empty".into()));
        }
        if self.multi_statement_count.is_some() && !self.bindings.is_empty() {
            return Err(Error::Config(
                "bindings cannot be used in a multi-statement request: run the statement that \
                 needs them on its own"
                    .into(),
            ));
        }
        let mut body = Map::new();
        body.insert("statement".into(), Json::from(self.sql.as_str()));
        let timeout = self.timeout.unwrap_or(wait);
        let seconds = timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0);
        body.insert("timeout".into(), Json::from(seconds));
        for (key, value) in [
            ("database", &self.database),
            ("schema", &self.schema),
            ("warehouse", &self.warehouse),
            ("role", &self.role),
        ] {
            if let Some(value) = value {
                body.insert(key.into(), Json::from(value.as_str()));
            }
        }
        if !self.bindings.is_empty() {
            body.insert(
                "bindings".into(),
                serde_json::to_value(Bindings(&self.bindings))
                    .map_err(|error| Error::Config(format!("unusable binding: {error}")))?,
            );
        }
        let mut parameters = Map::new();
        for parameter in &self.parameters {
            let (name, value) = parameter.entry();
            parameters.insert(name.into(), Json::from(value));
        }
        if let Some(count) = self.multi_statement_count {
            // Sent as the recorded clients do: upper-case name, string value.
            parameters.insert(
                "MULTI_STATEMENT_COUNT".into(),
                Json::from(count.to_string()),
            );
        }
        if !parameters.is_empty() {
            body.insert("parameters".into(), Json::Object(parameters));
        }
        Ok(Json::Object(body))
    }
}

struct Bindings<'a>(&'a [(String, Binding)]);

impl Serialize for Bindings<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, binding) in self.0 {
            map.serialize_entry(key, binding)?;
        }
        map.end()
    }
}

/// A session parameter the SQL API accepts per request. Output formats are left out on purpose.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SessionParameter {
    /// `QUERY_TAG`, visible in Snowflake's query history.
    QueryTag(String),
    /// `TIMEZONE`, e.g. `UTC` (affects `timestamp_ltz` display and current-time functions).
    Timezone(String),
    /// `USE_CACHED_RESULT`.
    UseCachedResult(bool),
    /// `ROWS_PER_RESULTSET`: caps the rows returned.
    RowsPerResultset(u64),
}

impl SessionParameter {
    fn entry(&self) -> (&'static str, String) {
        match self {
            Self::QueryTag(tag) => ("query_tag", tag.clone()),
            Self::Timezone(zone) => ("timezone", zone.clone()),
            Self::UseCachedResult(used) => ("use_cached_result", used.to_string()),
            Self::RowsPerResultset(rows) => ("rows_per_resultset", rows.to_string()),
        }
    }
}

/// The type of a bound value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum BindingType {
    /// `FIXED`: a decimal.
    Fixed,
    /// `REAL`: a float.
    Real,
    /// `TEXT`.
    Text,
    /// `BOOLEAN`.
    Boolean,
    /// `DATE`.
    Date,
    /// `TIME`.
    Time,
    /// `TIMESTAMP_NTZ`.
    TimestampNtz,
    /// `TIMESTAMP_LTZ`.
    TimestampLtz,
    /// `TIMESTAMP_TZ`.
    TimestampTz,
    /// `BINARY`.
    Binary,
}

impl BindingType {
    /// The type the SQL API calls `name` (case-insensitive); `None` for any other name.
    pub fn from_name(name: &str) -> Option<Self> {
        const ALL: [BindingType; 10] = [
            BindingType::Fixed,
            BindingType::Real,
            BindingType::Text,
            BindingType::Boolean,
            BindingType::Date,
            BindingType::Time,
            BindingType::TimestampNtz,
            BindingType::TimestampLtz,
            BindingType::TimestampTz,
            BindingType::Binary,
        ];
        ALL.into_iter()
            .find(|kind| kind.name().eq_ignore_ascii_case(name))
    }

    /// The name the SQL API expects.
    pub fn name(self) -> &'static str {
        match self {
            Self::Fixed => "FIXED",
            Self::Real => "REAL",
            Self::Text => "TEXT",
            Self::Boolean => "BOOLEAN",
            Self::Date => "DATE",
            Self::Time => "TIME",
            Self::TimestampNtz => "TIMESTAMP_NTZ",
            Self::TimestampLtz => "TIMESTAMP_LTZ",
            Self::TimestampTz => "TIMESTAMP_TZ",
            Self::Binary => "BINARY",
        }
    }
}

/// A bound value, encoded as the SQL API expects (reference §2.3). `Debug` hides the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Binding {
    kind: BindingType,
    value: Option<String>,
}

impl fmt::Debug for Binding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Binding")
            .field("type", &self.kind.name())
            .field("null", &self.value.is_none())
            .finish_non_exhaustive()
    }
}

impl Serialize for Binding {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("type", self.kind.name())?;
        map.serialize_entry("value", &self.value)?;
        map.end()
    }
}

const NANOS_PER_SECOND: i128 = 1_000_000_000;

fn epoch_nanos(seconds: i64, nanos: u32) -> String {
    (i128::from(seconds) * NANOS_PER_SECOND + i128::from(nanos)).to_string()
}

impl Binding {
    fn new(kind: BindingType, value: String) -> Self {
        Self {
            kind,
            value: Some(value),
        }
    }

    /// A value already in the SQL API's text encoding for `kind` (reference §2.3), such as a
    /// caller's `bindings` entry passed through; `None` is SQL NULL. Snowflake checks the text.
    pub fn encoded(kind: BindingType, value: Option<String>) -> Self {
        Self { kind, value }
    }

    /// SQL NULL of the given type.
    pub fn null(kind: BindingType) -> Self {
        Self { kind, value: None }
    }

    /// An integer (`FIXED`).
    pub fn integer(value: i64) -> Self {
        Self::new(BindingType::Fixed, value.to_string())
    }

    /// An exact decimal (`FIXED`).
    pub fn decimal(value: Decimal) -> Self {
        Self::new(BindingType::Fixed, value.to_string())
    }

    /// A float (`REAL`); NaN and the infinities as Snowflake spells them.
    pub fn real(value: f64) -> Self {
        let text = if value.is_nan() {
            "NaN".to_owned()
        } else if value.is_infinite() {
            if value > 0.0 { "Infinity" } else { "-Infinity" }.to_owned()
        } else {
            value.to_string()
        };
        Self::new(BindingType::Real, text)
    }

    /// Text (`TEXT`).
    pub fn text(value: impl Into<String>) -> Self {
        Self::new(BindingType::Text, value.into())
    }

    /// A boolean (`BOOLEAN`).
    pub fn boolean(value: bool) -> Self {
        Self::new(BindingType::Boolean, value.to_string())
    }

    /// A date (`DATE`, sent as milliseconds since the epoch).
    pub fn date(value: NaiveDate) -> Self {
        let days = i64::from(value.to_epoch_days());
        Self::new(BindingType::Date, (days * 86_400_000).to_string())
    }

    /// A time of day (`TIME`, sent as nanoseconds since midnight).
    pub fn time(value: NaiveTime) -> Self {
        let nanos = i64::from(value.num_seconds_from_midnight()) * 1_000_000_000
            + i64::from(value.nanosecond());
        Self::new(BindingType::Time, nanos.to_string())
    }

    /// A wall-clock timestamp (`TIMESTAMP_NTZ`, nanoseconds since the epoch).
    pub fn timestamp_ntz(value: NaiveDateTime) -> Self {
        let utc = value.and_utc();
        Self::new(
            BindingType::TimestampNtz,
            epoch_nanos(utc.timestamp(), utc.timestamp_subsec_nanos()),
        )
    }

    /// An instant (`TIMESTAMP_LTZ`, nanoseconds since the epoch).
    pub fn timestamp_ltz(value: DateTime<Utc>) -> Self {
        Self::new(
            BindingType::TimestampLtz,
            epoch_nanos(value.timestamp(), value.timestamp_subsec_nanos()),
        )
    }

    /// An instant with its offset (`TIMESTAMP_TZ`, `<nanoseconds> <offset minutes + 1440>`).
    pub fn timestamp_tz(value: DateTime<FixedOffset>) -> Self {
        let offset = value.offset().local_minus_utc() / 60 + 1440;
        Self::new(
            BindingType::TimestampTz,
            format!(
                "{} {offset}",
                epoch_nanos(value.timestamp(), value.timestamp_subsec_nanos())
            ),
        )
    }

    /// Bytes (`BINARY`, sent as hex).
    pub fn binary(value: &[u8]) -> Self {
        Self::new(BindingType::Binary, hex::encode_upper(value))
    }
}

/// Quotes a name as a SQL identifier, exactly as given: `My "x"` → `"My ""x"""`. Use the names
/// SHOW returned, unchanged.
pub fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Quotes text as a SQL string literal: `it's` → `'it''s'`, with backslashes doubled because
/// Snowflake reads escape sequences in single-quoted literals.
pub fn quote_literal(text: &str) -> String {
    format!("'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn encoded_bindings_pass_through_with_their_type() {
        assert_eq!(
            BindingType::from_name("timestamp_ntz"),
            Some(BindingType::TimestampNtz)
        );
        assert_eq!(BindingType::from_name("VARIANT"), None);
        let binding = Binding::encoded(BindingType::Date, Some("1791504000000".into()));
        assert_eq!(
            serde_json::to_value(&binding).unwrap(),
            json!({"type": "DATE", "value": "1791504000000"})
        );
        assert_eq!(
            serde_json::to_value(Binding::encoded(BindingType::Text, None)).unwrap(),
            json!({"type": "TEXT", "value": null})
        );
    }

    #[test]
    fn body_carries_context_bindings_parameters_and_timeout() {
        let statement = Statement::new("SELECT * FROM T WHERE c1 = ? AND c2 = ?")
            .database("NANGO_TEST_DB")
            .schema("SALES")
            .warehouse("COMPUTE_WH")
            .role("ANALYST")
            .timeout(Duration::from_millis(59_500))
            .bind(Binding::integer(123))
            .bind(Binding::null(BindingType::Text))
            .parameter(SessionParameter::QueryTag("snowgate".into()))
            .parameter(SessionParameter::Timezone("UTC".into()));
        assert_eq!(
            statement.body(Duration::from_secs(3600)).unwrap(),
            json!({
                "statement": "SELECT * FROM T WHERE c1 = ? AND c2 = ?",
                "timeout": 60, "database": "NANGO_TEST_DB", "schema": "SALES",
                "warehouse": "COMPUTE_WH", "role": "ANALYST",
                "bindings": {"1": {"type": "FIXED", "value": "123"}, "2": {"type": "TEXT", "value": null}},
                "parameters": {"query_tag": "snowgate", "timezone": "UTC"},
            })
        );
    }

    #[test]
    fn timeout_defaults_to_the_wait_and_multi_statement_count_is_a_string() {
        let statement = Statement::new("BEGIN; SELECT 1; COMMIT").multi_statement_count(3);
        assert_eq!(
            statement.body(Duration::from_secs(90)).unwrap(),
            json!({"statement": "BEGIN; SELECT 1; COMMIT", "timeout": 90,
                   "parameters": {"MULTI_STATEMENT_COUNT": "3"}})
        );
        let error = statement
            .bind(Binding::integer(1))
            .body(Duration::from_secs(1))
            .unwrap_err();
        assert!(error.to_string().contains("multi-statement"));
        assert!(Statement::new("  ").body(Duration::from_secs(1)).is_err());
    }

    #[test]
    fn binding_encodings_follow_the_reference() {
        let value = |binding: Binding| serde_json::to_value(binding).unwrap();
        let date = NaiveDate::from_ymd_opt(2026, 10, 9).unwrap();
        assert_eq!(
            value(Binding::date(date)),
            json!({"type": "DATE", "value": "1791504000000"})
        );
        let time = NaiveTime::from_hms_nano_opt(12, 34, 56, 123_456_789).unwrap();
        assert_eq!(
            value(Binding::time(time)),
            json!({"type": "TIME", "value": "45296123456789"})
        );
        let ntz = date.and_time(time);
        assert_eq!(
            value(Binding::timestamp_ntz(ntz)),
            json!({"type": "TIMESTAMP_NTZ", "value": "1791549296123456789"})
        );
        let ltz = DateTime::from_timestamp(1_791_549_296, 123_456_789).unwrap();
        assert_eq!(
            value(Binding::timestamp_ltz(ltz)),
            json!({"type": "TIMESTAMP_LTZ", "value": "1791549296123456789"})
        );
        let minus_eight = FixedOffset::west_opt(8 * 3600).unwrap();
        let tz = DateTime::from_timestamp(1_616_173_619, 0)
            .unwrap()
            .with_timezone(&minus_eight);
        assert_eq!(
            value(Binding::timestamp_tz(tz)),
            json!({"type": "TIMESTAMP_TZ", "value": "1616173619000000000 960"})
        );
        let before_epoch = DateTime::from_timestamp(-2, 500_000_000).unwrap();
        assert_eq!(
            value(Binding::timestamp_ltz(before_epoch)),
            json!({"type": "TIMESTAMP_LTZ", "value": "-1500000000"})
        );
        assert_eq!(
            value(Binding::binary(&[0xde, 0xad])),
            json!({"type": "BINARY", "value": "DEAD"})
        );
        assert_eq!(
            value(Binding::real(f64::NAN)),
            json!({"type": "REAL", "value": "NaN"})
        );
        assert_eq!(
            value(Binding::real(f64::NEG_INFINITY)),
            json!({"type": "REAL", "value": "-Infinity"})
        );
        assert_eq!(
            value(Binding::real(1.5)),
            json!({"type": "REAL", "value": "1.5"})
        );
        assert_eq!(
            value(Binding::boolean(true)),
            json!({"type": "BOOLEAN", "value": "true"})
        );
        assert_eq!(
            value(Binding::decimal(Decimal::new(-1250, 2))),
            json!({"type": "FIXED", "value": "-12.50"})
        );
        assert_eq!(
            value(Binding::text("hé")),
            json!({"type": "TEXT", "value": "hé"})
        );
    }

    #[test]
    fn debug_hides_bind_values() {
        let statement = Statement::new("SELECT ?").bind(Binding::text("secret-value"));
        let debug = format!("{statement:?}");
        assert!(!debug.contains("secret-value"), "{debug}");
        assert!(debug.contains("1: TEXT"), "{debug}");
    }

    #[test]
    fn quoting() {
        assert_eq!(quote_identifier("My \"x\""), "\"My \"\"x\"\"\"");
        assert_eq!(quote_identifier("NANGO_TEST_DB"), "\"NANGO_TEST_DB\"");
        assert_eq!(quote_literal("it's a\\b"), "'it''s a\\\\b'");
    }
}
