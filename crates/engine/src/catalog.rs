//! The catalogue of built-in syncs and actions, and Nango's sync frequency grammar.
//!
//! [`SYNCS`] lists the eight built-in syncs with their model, default frequency, `autoStart`, mode and
//! checkpoint shape; [`ACTIONS`] the fifteen actions with their input and output JSON Schemas
//! (generated from the types in [`crate::actions`]). [`Frequency`] parses Nango's `every …` strings.

use std::{fmt, time::Duration};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    actions::*,
    models::{self, Model, schema_for},
    watermark::WatermarkCheckpoint,
};

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

/// How a sync fetches and what it deletes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncMode {
    /// Every run lists everything; records not seen in a completed run are marked deleted. The
    /// checkpoint only makes an interrupted run resumable.
    FullScan,
    /// Each run reads rows at or above the watermark; nothing is deleted (unless the sync's
    /// metadata asks for periodic full passes).
    Incremental,
}

/// A built-in sync.
#[derive(Debug, Clone, Copy)]
pub struct SyncDefinition {
    /// The sync name (`tables`).
    pub name: &'static str,
    /// The model it saves (`Table`).
    pub model: &'static str,
    /// One line for the dashboard and docs.
    pub description: &'static str,
    /// The default frequency.
    pub default_frequency: &'static str,
    /// Whether a new connection starts it (Nango: `views` and `query-results` do not).
    pub auto_start: bool,
    /// Full scan or incremental.
    pub mode: SyncMode,
    /// Whether it honours the connection's [`crate::metadata::Scope`].
    pub reads_scope: bool,
    /// The model's JSON Schema.
    pub model_schema: fn() -> Value,
    /// The checkpoint's JSON Schema.
    pub checkpoint_schema: fn() -> Value,
}

/// Every sync runs hourly unless configured otherwise.
pub const DEFAULT_FREQUENCY: &str = "every hour";

/// The eight built-in syncs.
pub const SYNCS: [SyncDefinition; 8] = [
    SyncDefinition {
        name: "databases",
        model: models::Database::NAME,
        description: "Databases of the account (personal databases left out).",
        default_frequency: DEFAULT_FREQUENCY,
        auto_start: true,
        mode: SyncMode::FullScan,
        reads_scope: false,
        model_schema: models::Database::model_schema,
        checkpoint_schema: schema_for::<NameCheckpoint>,
    },
    SyncDefinition {
        name: "schemas",
        model: models::Schema::NAME,
        description: "Schemas of every database in scope (INFORMATION_SCHEMA left out).",
        default_frequency: DEFAULT_FREQUENCY,
        auto_start: true,
        mode: SyncMode::FullScan,
        reads_scope: true,
        model_schema: models::Schema::model_schema,
        checkpoint_schema: schema_for::<SchemaCheckpoint>,
    },
    SyncDefinition {
        name: "tables",
        model: models::Table::NAME,
        description: "Tables of the schemas in scope.",
        default_frequency: DEFAULT_FREQUENCY,
        auto_start: true,
        mode: SyncMode::FullScan,
        reads_scope: true,
        model_schema: models::Table::model_schema,
        checkpoint_schema: schema_for::<ObjectCheckpoint>,
    },
    SyncDefinition {
        name: "columns",
        model: models::Column::NAME,
        description: "Columns of the tables in scope.",
        default_frequency: DEFAULT_FREQUENCY,
        auto_start: true,
        mode: SyncMode::FullScan,
        reads_scope: true,
        model_schema: models::Column::model_schema,
        checkpoint_schema: schema_for::<ColumnsCheckpoint>,
    },
    SyncDefinition {
        name: "views",
        model: models::View::NAME,
        description: "Views of the schemas in scope.",
        default_frequency: DEFAULT_FREQUENCY,
        auto_start: false,
        mode: SyncMode::FullScan,
        reads_scope: true,
        model_schema: models::View::model_schema,
        checkpoint_schema: schema_for::<ObjectCheckpoint>,
    },
    SyncDefinition {
        name: "roles",
        model: models::Role::NAME,
        description: "Roles of the account.",
        default_frequency: DEFAULT_FREQUENCY,
        auto_start: true,
        mode: SyncMode::FullScan,
        reads_scope: false,
        model_schema: models::Role::model_schema,
        checkpoint_schema: schema_for::<NameCheckpoint>,
    },
    SyncDefinition {
        name: "users",
        model: models::User::NAME,
        description: "Users of the account.",
        default_frequency: DEFAULT_FREQUENCY,
        auto_start: true,
        mode: SyncMode::FullScan,
        reads_scope: false,
        model_schema: models::User::model_schema,
        checkpoint_schema: schema_for::<NameCheckpoint>,
    },
    SyncDefinition {
        name: "query-results",
        model: models::QueryResult::NAME,
        description: "Rows of the query in the connection metadata, read incrementally.",
        default_frequency: DEFAULT_FREQUENCY,
        auto_start: false,
        mode: SyncMode::Incremental,
        reads_scope: false,
        model_schema: models::QueryResult::model_schema,
        checkpoint_schema: schema_for::<WatermarkCheckpoint>,
    },
];

/// The built-in sync called `name`.
pub fn sync(name: &str) -> Option<&'static SyncDefinition> {
    SYNCS.iter().find(|sync| sync.name == name)
}

/// The `sync_type` value of full-scan checkpoints.
pub const FULL_SCAN: &str = "full_scan";

/// Where an interrupted full scan resumes.
///
/// A checkpoint names the last object whose record was saved; on resume, objects whose position is
/// at or before it are skipped. Positions compare as tuples of names by UTF-8 bytes (never with
/// locale rules, never as joined strings, never by `created_on`; integration reference §5.3), so
/// the listing must be processed in that order: sort each container's names byte-wise.
pub trait ResumePoint {
    /// The position of the last saved object: (database, schema, name) or a prefix of it.
    fn position(&self) -> Vec<&str>;

    /// Whether the object at `position` was already saved before the interruption.
    fn covers(&self, position: &[&str]) -> bool {
        position
            .iter()
            .map(|p| p.as_bytes())
            .le(self.position().iter().map(|p| p.as_bytes()))
    }
}

/// Checkpoint of the account-wide listings (`databases`, `roles`, `users`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct NameCheckpoint {
    /// Always `full_scan`.
    pub sync_type: String,
    /// The last name saved.
    pub name: String,
}

/// Checkpoint of `schemas`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct SchemaCheckpoint {
    /// Always `full_scan`.
    pub sync_type: String,
    /// The database of the last schema saved.
    pub database_name: String,
    /// The last schema saved.
    pub name: String,
}

/// Checkpoint of `tables` and `views`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ObjectCheckpoint {
    /// Always `full_scan`.
    pub sync_type: String,
    /// The database of the last object saved.
    pub database_name: String,
    /// The schema of the last object saved.
    pub schema_name: String,
    /// The last object saved.
    pub name: String,
}

/// Checkpoint of `columns` (Nango's keys): the last table whose columns were all saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ColumnsCheckpoint {
    /// Database of the last table saved.
    pub database: String,
    /// Schema of the last table saved.
    pub schema: String,
    /// The last table saved.
    pub table: String,
    /// Its last column.
    pub column_name: String,
}

impl ResumePoint for NameCheckpoint {
    fn position(&self) -> Vec<&str> {
        vec![&self.name]
    }
}

impl ResumePoint for SchemaCheckpoint {
    fn position(&self) -> Vec<&str> {
        vec![&self.database_name, &self.name]
    }
}

impl ResumePoint for ObjectCheckpoint {
    fn position(&self) -> Vec<&str> {
        vec![&self.database_name, &self.schema_name, &self.name]
    }
}

impl ResumePoint for ColumnsCheckpoint {
    /// Columns are saved a whole table at a time: the position is the table's.
    fn position(&self) -> Vec<&str> {
        vec![&self.database, &self.schema, &self.table]
    }
}

/// A built-in action.
#[derive(Debug, Clone, Copy)]
pub struct ActionDefinition {
    /// The action name (`list-tables`).
    pub name: &'static str,
    /// One line for the dashboard and docs.
    pub description: &'static str,
    /// Whether it can change the customer's account (arbitrary SQL or cancelling).
    pub writes: bool,
    /// The input's JSON Schema.
    pub input_schema: fn() -> Value,
    /// The output's JSON Schema.
    pub output_schema: fn() -> Value,
}

macro_rules! action {
    ($name:literal, $description:literal, $writes:literal, $input:ty, $output:ty) => {
        ActionDefinition {
            name: $name,
            description: $description,
            writes: $writes,
            input_schema: schema_for::<$input>,
            output_schema: schema_for::<$output>,
        }
    };
}

/// The fifteen built-in actions.
pub const ACTIONS: [ActionDefinition; 15] = [
    action!(
        "execute-statement",
        "Run one SQL statement (any SQL, including DML and DDL).",
        true,
        ExecuteStatementInput,
        ExecuteStatementOutput
    ),
    action!(
        "get-statement-status",
        "Status of a statement, with partition 0 when finished.",
        false,
        GetStatementStatusInput,
        GetStatementStatusOutput
    ),
    action!(
        "get-statement-result",
        "One partition of a finished statement's result.",
        false,
        GetStatementResultInput,
        GetStatementResultOutput
    ),
    action!(
        "cancel-statement",
        "Cancel a running statement.",
        true,
        StatementHandleInput,
        CancelStatementOutput
    ),
    action!(
        "list-databases",
        "SHOW DATABASES.",
        false,
        NoInput,
        ListDatabasesOutput
    ),
    action!(
        "list-schemas",
        "SHOW SCHEMAS IN DATABASE.",
        false,
        DatabaseInput,
        ListSchemasOutput
    ),
    action!(
        "list-tables",
        "SHOW TABLES IN SCHEMA.",
        false,
        SchemaInput,
        ListTablesOutput
    ),
    action!(
        "list-columns",
        "SHOW COLUMNS IN TABLE.",
        false,
        TableInput,
        ListColumnsOutput
    ),
    action!(
        "list-views",
        "SHOW VIEWS IN SCHEMA.",
        false,
        ListViewsInput,
        ListViewsOutput
    ),
    action!("list-roles", "SHOW ROLES.", false, NoInput, ListRolesOutput),
    action!("list-users", "SHOW USERS.", false, NoInput, ListUsersOutput),
    action!(
        "list-warehouses",
        "SHOW WAREHOUSES.",
        false,
        NoInput,
        ListWarehousesOutput
    ),
    action!(
        "list-stages",
        "SHOW STAGES IN DATABASE.",
        false,
        DatabaseInput,
        ListStagesOutput
    ),
    action!(
        "list-streams",
        "SHOW STREAMS IN DATABASE.",
        false,
        DatabaseInput,
        ListStreamsOutput
    ),
    action!(
        "list-tasks",
        "SHOW TASKS IN DATABASE.",
        false,
        DatabaseInput,
        ListTasksOutput
    ),
];

/// An action as listings show it: a built-in or a custom one, with its schemas.
#[derive(Debug, Clone, PartialEq)]
pub struct ActionListing {
    /// The action name.
    pub name: String,
    /// One line for the dashboard and docs.
    pub description: String,
    /// Whether it can change the customer's account.
    pub writes: bool,
    /// Whether it is declared in the configuration (`[[engine.custom_actions]]`).
    pub custom: bool,
    /// The input's JSON Schema.
    pub input_schema: Value,
    /// The output's JSON Schema.
    pub output_schema: Value,
}

/// The built-in action called `name`.
pub fn action(name: &str) -> Option<&'static ActionDefinition> {
    ACTIONS.iter().find(|action| action.name == name)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::test_fixtures::recorded;
    use crate::validator::Validator;

    #[test]
    fn frequencies() {
        let seconds = |text: &str| Frequency::parse(text).unwrap().duration().as_secs();
        assert_eq!(seconds("every hour"), 3600);
        assert_eq!(seconds("every 15 minutes"), 900);
        assert_eq!(seconds("every half day"), 43_200);
        assert_eq!(seconds("every quarter hour"), 900);
        assert_eq!(seconds("every month"), 30 * 86_400);
        assert_eq!(seconds("every day"), 86_400);
        assert_eq!(seconds("every 2 weeks"), 14 * 86_400);
        assert_eq!(seconds("Every 30 Seconds"), 30);
        assert_eq!(seconds("every 1.5h"), 5400);
        assert_eq!(seconds("30m"), 1800);
        assert_eq!(seconds("every 31 days"), 31 * 86_400);
        assert_eq!(
            Frequency::parse(" every hour ").unwrap().as_str(),
            "every hour"
        );
    }

    #[test]
    fn frequency_errors_explain() {
        let error = |text: &str| Frequency::parse(text).unwrap_err();
        assert!(matches!(
            error("every 29 seconds"),
            FrequencyError::OutOfRange { seconds: 29, .. }
        ));
        assert!(matches!(
            error("every 32 days"),
            FrequencyError::OutOfRange { .. }
        ));
        assert!(matches!(
            error("every year"),
            FrequencyError::OutOfRange { .. }
        ));
        for bad in [
            "",
            "every",
            "hourly",
            "every 5",
            "every five minutes",
            "every -1 hours",
            "every 1..5 hours",
        ] {
            let message = error(bad).to_string();
            assert!(message.contains("every 15 minutes"), "{bad:?}: {message}");
        }
        let parsed: Frequency = serde_json::from_value(json!("every 15 minutes")).unwrap();
        assert_eq!(
            serde_json::to_value(&parsed).unwrap(),
            json!("every 15 minutes")
        );
        assert!(serde_json::from_value::<Frequency>(json!("every second")).is_err());
    }

    #[test]
    fn sync_catalogue() {
        let names: Vec<&str> = SYNCS.iter().map(|s| s.name).collect();
        assert_eq!(
            names,
            [
                "databases",
                "schemas",
                "tables",
                "columns",
                "views",
                "roles",
                "users",
                "query-results"
            ]
        );
        let paused: Vec<&str> = SYNCS
            .iter()
            .filter(|s| !s.auto_start)
            .map(|s| s.name)
            .collect();
        assert_eq!(paused, ["views", "query-results"]);
        assert_eq!(sync("tables").unwrap().model, "Table");
        assert_eq!(sync("query-results").unwrap().mode, SyncMode::Incremental);
        assert!(sync("rows").is_none());
        for sync in &SYNCS {
            assert_eq!(
                Frequency::parse(sync.default_frequency)
                    .unwrap()
                    .duration()
                    .as_secs(),
                3600
            );
            Validator::new(sync.model, &(sync.model_schema)()).unwrap();
            Validator::new(sync.name, &(sync.checkpoint_schema)()).unwrap();
        }
    }

    #[test]
    fn checkpoints_resume_bytewise() {
        let checkpoint = ObjectCheckpoint {
            sync_type: FULL_SCAN.into(),
            database_name: "A".into(),
            schema_name: "S".into(),
            name: "T".into(),
        };
        assert!(checkpoint.covers(&["A", "S", "T"]));
        assert!(checkpoint.covers(&["A", "S", "B"]));
        assert!(checkpoint.covers(&["A", "R", "Z"]));
        assert!(!checkpoint.covers(&["A", "S", "a"]), "bytewise: 'a' > 'T'");
        assert!(
            !checkpoint.covers(&["A-B", "S", "T"]),
            "tuples, not joined strings: 'A-B' > 'A'"
        );
        assert!(!checkpoint.covers(&["B", "A", "A"]));
        let columns = ColumnsCheckpoint {
            database: "A".into(),
            schema: "S".into(),
            table: "T".into(),
            column_name: "C".into(),
        };
        assert!(columns.covers(&["A", "S", "T"]));
        assert!(!columns.covers(&["A", "S", "U"]));
        let value = serde_json::to_value(&checkpoint).unwrap();
        assert!(
            Validator::new("c", &(sync("tables").unwrap().checkpoint_schema)())
                .unwrap()
                .check("c", &value)
                .is_ok()
        );
        let nango: NameCheckpoint = serde_json::from_value(
            json!({"sync_type": "full_scan", "created_on": "1.5", "name": "R"}),
        )
        .unwrap();
        assert!(nango.covers(&["Q"]));
    }

    #[test]
    fn action_catalogue_schemas_accept_the_recorded_io() {
        assert_eq!(ACTIONS.len(), 15);
        let writers: Vec<&str> = ACTIONS
            .iter()
            .filter(|a| a.writes)
            .map(|a| a.name)
            .collect();
        assert_eq!(writers, ["execute-statement", "cancel-statement"]);
        for name in [
            "execute-statement",
            "get-statement-status",
            "get-statement-result",
            "cancel-statement",
            "list-databases",
            "list-schemas",
            "list-columns",
            "list-roles",
            "list-warehouses",
            "list-stages",
            "list-streams",
            "list-tasks",
        ] {
            let definition = action(name).unwrap();
            let fixture = recorded(name);
            let input = Validator::new(name, &(definition.input_schema)()).unwrap();
            let output = Validator::new(name, &(definition.output_schema)()).unwrap();
            input
                .check("input", &fixture["input"])
                .unwrap_or_else(|e| panic!("{e}"));
            output
                .check("output", &fixture["output"])
                .unwrap_or_else(|e| panic!("{e}"));
        }
        let list_tables = Validator::new(
            "list-tables",
            &(action("list-tables").unwrap().input_schema)(),
        )
        .unwrap();
        assert!(
            list_tables
                .check("input", &json!({"database": "D"}))
                .is_err()
        );
        assert!(action("drop-everything").is_none());
    }
}
