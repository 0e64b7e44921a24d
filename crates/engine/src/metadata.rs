//! Connection metadata that steers the syncs: which schemas the metadata syncs cover, and the
//! `query-results` configuration.
//!
//! **Scope** ([`Scope`]), read by `tables`, `views`, `columns` and `schemas` (not `databases`, whose list
//! is what a user picks a scope from). One parser accepts all three shapes, so one metadata object
//! configures every sync (Nango's `tables` and `views` wanted incompatible shapes under the same key):
//!
//! ```json
//! {"schemas": ["SALES.PUBLIC", "\"My.DB\".\"S\""]}                       // Nango tables: "DB.SCHEMA" strings
//! {"schemas": [{"database": "SALES", "schema": "PUBLIC"}]}                // Nango views: objects
//! {"include": ["SALES.*", {"database": "HR"}], "exclude": ["*.STAGING"]} // ours
//! ```
//!
//! A string is a dotted name parsed with Snowflake quoting; its parts are matched exactly as written
//! (case-sensitive, not upper-cased, like Nango). An unquoted part may use `*` (any run of characters)
//! and `?` (one character). `"DB"` or `{"database": "DB"}` alone means every schema of `DB` (in
//! `include`/`exclude`; Nango's `schemas` key needs both parts). With no include list everything is in
//! scope; `exclude` always wins. `INFORMATION_SCHEMA` is never synced.
//!
//! **Query results** ([`QueryResultsConfig`]): Nango's keys (`query`, `id_column`,
//! `incremental_column`, `warehouse`, `database`, `schema`, `role`) plus `row_values`, several id
//! columns, `detect_deletes` and `full_pass_frequency`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::{
    catalog::{Frequency, FrequencyError},
    mapping::RowValues,
    sql::{NameError, NamePart, parse_qualified_name},
};

/// Invalid connection metadata: says which key is wrong and how to write it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid connection metadata at {key}: {problem}")]
pub struct MetadataError {
    /// Where: `schemas[2]`, `query`, …
    pub key: String,
    /// What is wrong and how to fix it.
    pub problem: String,
}

impl MetadataError {
    fn new(key: impl Into<String>, problem: impl Into<String>) -> Self {
        Self {
            key: key.into(),
            problem: problem.into(),
        }
    }
}

/// A name or a `*`/`?` pattern for one level (database or schema).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum NamePattern {
    /// Exactly this name.
    Exact(String),
    /// A glob over names (`SALES_*`).
    Glob(String),
}

impl NamePattern {
    fn from_part(part: NamePart) -> Self {
        if !part.quoted && part.name.contains(['*', '?']) {
            Self::Glob(part.name)
        } else {
            Self::Exact(part.name)
        }
    }

    /// Whether `name` matches.
    pub fn matches(&self, name: &str) -> bool {
        match self {
            Self::Exact(exact) => exact == name,
            Self::Glob(glob) => glob_matches(glob.as_bytes(), name.as_bytes()),
        }
    }
}

fn glob_matches(pattern: &[u8], text: &[u8]) -> bool {
    // Iterative wildcard matching with one backtrack point: linear in practice, no recursion.
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some(b'*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == b'?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

/// One include or exclude entry: a database, and a schema (all schemas when `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScopeEntry {
    /// The database name or pattern.
    pub database: NamePattern,
    /// The schema name or pattern; `None` covers every schema of the database.
    pub schema: Option<NamePattern>,
}

impl ScopeEntry {
    fn matches_database(&self, database: &str) -> bool {
        self.database.matches(database)
    }

    fn matches(&self, database: &str, schema: &str) -> bool {
        self.database.matches(database) && self.schema.as_ref().is_none_or(|s| s.matches(schema))
    }

    /// The exact (database, schema) pair, when the entry names exactly one schema.
    fn exact(&self) -> Option<(&str, &str)> {
        match (&self.database, &self.schema) {
            (NamePattern::Exact(d), Some(NamePattern::Exact(s))) => Some((d, s)),
            _ => None,
        }
    }
}

/// Which schemas the metadata syncs cover.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Scope {
    /// Entries to include; empty means everything.
    pub include: Vec<ScopeEntry>,
    /// Entries to exclude; they win over `include`.
    pub exclude: Vec<ScopeEntry>,
}

impl Scope {
    /// Reads the scope from a connection's metadata (`null`, `{}` or no scope keys: everything).
    /// Keys that belong to other features (such as the `query-results` keys) are ignored.
    pub fn from_metadata(metadata: &Value) -> Result<Self, MetadataError> {
        let object = match metadata {
            Value::Null => return Ok(Self::default()),
            Value::Object(object) => object,
            _ => {
                return Err(MetadataError::new(
                    "(metadata)",
                    "connection metadata must be a JSON object",
                ));
            }
        };
        let mut scope = Self::default();
        if let Some(schemas) = object.get("schemas").filter(|v| !v.is_null()) {
            scope.include.extend(entries("schemas", schemas, true)?);
        }
        if let Some(include) = object.get("include").filter(|v| !v.is_null()) {
            scope.include.extend(entries("include", include, false)?);
        }
        if let Some(exclude) = object.get("exclude").filter(|v| !v.is_null()) {
            scope.exclude.extend(entries("exclude", exclude, false)?);
        }
        Ok(scope)
    }

    /// Whether any schema of `database` can be in scope (so its schemas are worth listing).
    pub fn includes_database(&self, database: &str) -> bool {
        let included =
            self.include.is_empty() || self.include.iter().any(|e| e.matches_database(database));
        let excluded_whole = self
            .exclude
            .iter()
            .any(|e| e.schema.is_none() && e.matches_database(database));
        included && !excluded_whole
    }

    /// Whether `database.schema` is in scope.
    pub fn includes_schema(&self, database: &str, schema: &str) -> bool {
        schema != crate::mapping::INFORMATION_SCHEMA
            && (self.include.is_empty() || self.include.iter().any(|e| e.matches(database, schema)))
            && !self.exclude.iter().any(|e| e.matches(database, schema))
    }

    /// When the include list names only exact schemas, those (database, schema) pairs, deduplicated and
    /// in byte order, minus exclusions: the sync can list them directly instead of enumerating the
    /// account (as Nango does with `schemas`). `None` when the account must be enumerated.
    pub fn explicit_schemas(&self) -> Option<Vec<(String, String)>> {
        if self.include.is_empty() {
            return None;
        }
        let mut pairs = self
            .include
            .iter()
            .map(|e| e.exact().map(|(d, s)| (d.to_owned(), s.to_owned())))
            .collect::<Option<Vec<_>>>()?;
        pairs.retain(|(d, s)| self.includes_schema(d, s));
        pairs.sort();
        pairs.dedup();
        Some(pairs)
    }
}

fn entries(
    key: &str,
    value: &Value,
    nango_schemas: bool,
) -> Result<Vec<ScopeEntry>, MetadataError> {
    let Value::Array(items) = value else {
        return Err(MetadataError::new(
            key,
            format!(
                "must be a list, e.g. \"{key}\": [\"DB.SCHEMA\", {{\"database\": \"DB\", \"schema\": \"SCHEMA\"}}]"
            ),
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| entry(&format!("{key}[{index}]"), item, nango_schemas))
        .collect()
}

fn entry(key: &str, item: &Value, needs_schema: bool) -> Result<ScopeEntry, MetadataError> {
    let entry = match item {
        Value::String(text) => {
            let parts = parse_qualified_name(text)
                .map_err(|e: NameError| MetadataError::new(key, e.to_string()))?;
            let mut parts = parts.into_iter();
            match (parts.next(), parts.next(), parts.next()) {
                (Some(database), schema, None) => ScopeEntry {
                    database: NamePattern::from_part(database),
                    schema: schema.map(NamePattern::from_part),
                },
                _ => {
                    return Err(MetadataError::new(
                        key,
                        format!(
                            "{text:?} has more than two parts; write DATABASE.SCHEMA and quote names that contain dots: \"My.DB\".\"S\""
                        ),
                    ));
                }
            }
        }
        Value::Object(object) => {
            let part = |name: &str| -> Result<Option<NamePattern>, MetadataError> {
                match object.get(name) {
                    None | Some(Value::Null) => Ok(None),
                    Some(Value::String(s)) if !s.is_empty() => {
                        Ok(Some(NamePattern::Exact(s.clone())))
                    }
                    Some(_) => Err(MetadataError::new(
                        format!("{key}.{name}"),
                        "must be a non-empty string (the name exactly as Snowflake shows it)",
                    )),
                }
            };
            if let Some(unknown) = object.keys().find(|k| *k != "database" && *k != "schema") {
                return Err(MetadataError::new(
                    key,
                    format!("unknown key {unknown:?}; use \"database\" and \"schema\""),
                ));
            }
            let database = part("database")?
                .ok_or_else(|| MetadataError::new(key, "needs \"database\": the database name"))?;
            ScopeEntry {
                database,
                schema: part("schema")?,
            }
        }
        _ => {
            return Err(MetadataError::new(
                key,
                "must be a string \"DB.SCHEMA\" or an object {\"database\", \"schema\"}",
            ));
        }
    };
    if needs_schema && entry.schema.is_none() {
        return Err(MetadataError::new(
            key,
            "names a database but no schema; write \"DB.SCHEMA\" (or use \"include\": [\"DB\"] for every schema of DB)",
        ));
    }
    Ok(entry)
}

/// The `query-results` sync's metadata, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QueryResultsConfig {
    /// The customer's SELECT.
    pub query: String,
    /// The id column(s); one column gives Nango's ids.
    pub id_columns: Vec<String>,
    /// The column that only grows; `None` runs a full pass every time.
    pub incremental_column: Option<String>,
    /// `warehouse` for the statement.
    pub warehouse: Option<String>,
    /// `database` for the statement.
    pub database: Option<String>,
    /// `schema` for the statement.
    pub schema: Option<String>,
    /// `role` for the statement.
    pub role: Option<String>,
    /// Raw strings (default) or typed values in `row_data`.
    pub row_values: RowValues,
    /// Whether rows that disappear are marked deleted (needs a full pass; default false, as Nango).
    pub detect_deletes: bool,
    /// How often an incremental sync does a full pass to detect deletes (when `detect_deletes`).
    pub full_pass_frequency: Option<Frequency>,
}

/// The raw shape, before validation.
#[derive(Deserialize)]
struct RawQueryResults {
    query: Option<Value>,
    id_column: Option<Value>,
    incremental_column: Option<Value>,
    warehouse: Option<Value>,
    database: Option<Value>,
    schema: Option<Value>,
    role: Option<Value>,
    row_values: Option<Value>,
    detect_deletes: Option<Value>,
    full_pass_frequency: Option<Value>,
}

fn optional_string(key: &str, value: Option<Value>) -> Result<Option<String>, MetadataError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(Some(s)),
        Some(_) => Err(MetadataError::new(key, "must be a non-empty string")),
    }
}

impl QueryResultsConfig {
    /// Reads and validates the `query-results` metadata.
    pub fn from_metadata(metadata: &Value) -> Result<Self, MetadataError> {
        if !metadata.is_object() {
            return Err(MetadataError::new(
                "(metadata)",
                "query-results needs connection metadata such as {\"query\": \"SELECT …\", \"id_column\": \"ID\", \"incremental_column\": \"UPDATED_AT\"}",
            ));
        }
        // Other keys are allowed: the same object holds the scope and custom syncs' bindings.
        let raw = RawQueryResults::deserialize(metadata)
            .map_err(|error| MetadataError::new("(metadata)", error.to_string()))?;
        let query = optional_string("query", raw.query)?.ok_or_else(|| {
            MetadataError::new("query", "is required: the SELECT whose rows are synced")
        })?;
        let id_columns = match raw.id_column {
            Some(Value::String(s)) if !s.is_empty() => vec![s],
            Some(Value::Array(items)) if !items.is_empty() => items
                .into_iter()
                .enumerate()
                .map(|(i, item)| match item {
                    Value::String(s) if !s.is_empty() => Ok(s),
                    _ => Err(MetadataError::new(
                        format!("id_column[{i}]"),
                        "must be a non-empty column name",
                    )),
                })
                .collect::<Result<_, _>>()?,
            None | Some(Value::Null) => {
                return Err(MetadataError::new(
                    "id_column",
                    "is required: the column (or list of columns) that identifies a row",
                ));
            }
            Some(_) => {
                return Err(MetadataError::new(
                    "id_column",
                    "must be a column name or a non-empty list of column names",
                ));
            }
        };
        let row_values = match raw.row_values {
            None | Some(Value::Null) => RowValues::Raw,
            Some(value) => serde_json::from_value(value).map_err(|_| {
                MetadataError::new(
                    "row_values",
                    "must be \"raw\" (jsonv2 strings, as Nango) or \"typed\"",
                )
            })?,
        };
        let detect_deletes = match raw.detect_deletes {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => b,
            Some(_) => {
                return Err(MetadataError::new(
                    "detect_deletes",
                    "must be true or false",
                ));
            }
        };
        let full_pass_frequency = optional_string("full_pass_frequency", raw.full_pass_frequency)?
            .map(|text| Frequency::parse(&text))
            .transpose()
            .map_err(|error: FrequencyError| {
                MetadataError::new("full_pass_frequency", error.to_string())
            })?;
        if full_pass_frequency.is_some() && !detect_deletes {
            return Err(MetadataError::new(
                "full_pass_frequency",
                "only applies with \"detect_deletes\": true",
            ));
        }
        Ok(Self {
            query,
            id_columns,
            incremental_column: optional_string("incremental_column", raw.incremental_column)?,
            warehouse: optional_string("warehouse", raw.warehouse)?,
            database: optional_string("database", raw.database)?,
            schema: optional_string("schema", raw.schema)?,
            role: optional_string("role", raw.role)?,
            row_values,
            detect_deletes,
            full_pass_frequency,
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn nango_tables_shape_with_quoting() {
        let scope =
            Scope::from_metadata(&json!({"schemas": ["SALES.PUBLIC", "\"My.DB\".\"S\""]})).unwrap();
        assert!(scope.includes_schema("SALES", "PUBLIC"));
        assert!(scope.includes_schema("My.DB", "S"));
        assert!(!scope.includes_schema("My", "DB"));
        assert!(!scope.includes_schema("SALES", "OTHER"));
        assert!(scope.includes_database("My.DB"));
        assert!(!scope.includes_database("HR"));
        assert_eq!(
            scope.explicit_schemas(),
            Some(vec![
                ("My.DB".into(), "S".into()),
                ("SALES".into(), "PUBLIC".into())
            ])
        );
    }

    #[test]
    fn nango_views_shape() {
        let scope = Scope::from_metadata(&json!({"schemas": [{"database": "D", "schema": "S"}, {"database": "D", "schema": "S"}]})).unwrap();
        assert_eq!(
            scope.explicit_schemas(),
            Some(vec![("D".into(), "S".into())])
        );
        assert!(scope.includes_schema("D", "S"));
    }

    #[test]
    fn richer_shape_with_patterns_and_exclusions() {
        let scope = Scope::from_metadata(&json!({
            "include": ["SALES_*", {"database": "HR"}],
            "exclude": ["*.STAGING", "SALES_OLD"],
            "query": "ignored here"
        }))
        .unwrap();
        assert!(scope.includes_schema("SALES_EU", "PUBLIC"));
        assert!(!scope.includes_schema("SALES_EU", "STAGING"));
        assert!(scope.includes_schema("HR", "PEOPLE"));
        assert!(!scope.includes_schema("HR", "STAGING"));
        assert!(!scope.includes_schema("FINANCE", "PUBLIC"));
        assert!(!scope.includes_database("SALES_OLD"));
        assert!(scope.includes_database("SALES_NEW"));
        assert!(!scope.includes_schema("HR", "INFORMATION_SCHEMA"));
        assert_eq!(scope.explicit_schemas(), None);
        assert!(
            Scope::from_metadata(&json!({"include": ["\"A*\""]}))
                .unwrap()
                .includes_schema("A*", "S")
        );
        assert!(
            !Scope::from_metadata(&json!({"include": ["\"A*\""]}))
                .unwrap()
                .includes_schema("AB", "S")
        );
    }

    #[test]
    fn empty_metadata_means_everything() {
        for metadata in [json!(null), json!({}), json!({"schemas": []})] {
            let scope = Scope::from_metadata(&metadata).unwrap();
            assert!(scope.includes_schema("ANY", "THING"));
            assert_eq!(scope.explicit_schemas(), None);
        }
    }

    #[test]
    fn glob() {
        assert!(glob_matches(b"A*B?D", b"AxxBcD"));
        assert!(glob_matches(b"*", b""));
        assert!(glob_matches(b"*a*a*", b"banana"));
        assert!(!glob_matches(b"A?", b"A"));
        assert!(!glob_matches(b"*X", b"banana"));
    }

    #[test]
    fn invalid_scope_metadata_is_explained() {
        let error = |metadata: Value| Scope::from_metadata(&metadata).unwrap_err().to_string();
        assert!(error(json!({"schemas": ["SALES"]})).contains("schemas[0]"));
        assert!(error(json!({"schemas": ["SALES"]})).contains("names a database but no schema"));
        assert!(error(json!({"schemas": ["A.B.C"]})).contains("more than two parts"));
        assert!(error(json!({"schemas": "A.B"})).contains("must be a list"));
        assert!(error(json!({"schemas": [{"db": "A"}]})).contains("unknown key \"db\""));
        assert!(error(json!({"include": [{"schema": "S"}]})).contains("needs \"database\""));
        assert!(error(json!({"include": [42]})).contains("include[0]"));
        assert!(error(json!({"schemas": ["\"A.B"]})).contains("unterminated"));
        assert!(error(json!([1])).contains("must be a JSON object"));
    }

    #[test]
    fn nango_query_results_metadata() {
        let metadata = json!({"query":"SELECT * FROM NANGO_TEST_DB.SALES.CUSTOMERS","database":"NANGO_TEST_DB","schema":"SALES",
            "warehouse":"COMPUTE_WH","id_column":"CUSTOMER_ID","incremental_column":"CUSTOMER_ID"});
        let config = QueryResultsConfig::from_metadata(&metadata).unwrap();
        assert_eq!(config.id_columns, vec!["CUSTOMER_ID"]);
        assert_eq!(config.incremental_column.as_deref(), Some("CUSTOMER_ID"));
        assert_eq!(config.warehouse.as_deref(), Some("COMPUTE_WH"));
        assert_eq!(config.role, None);
        assert_eq!(config.row_values, RowValues::Raw);
        assert!(!config.detect_deletes);
    }

    #[test]
    fn richer_query_results_metadata() {
        let config = QueryResultsConfig::from_metadata(
            &json!({"query": "SELECT 1", "id_column": ["A", "B"],
            "row_values": "typed", "detect_deletes": true, "full_pass_frequency": "every day"}),
        )
        .unwrap();
        assert_eq!(config.id_columns, vec!["A", "B"]);
        assert_eq!(config.row_values, RowValues::Typed);
        assert_eq!(
            config.full_pass_frequency.unwrap().duration().as_secs(),
            86_400
        );
        assert_eq!(config.incremental_column, None);
    }

    #[test]
    fn invalid_query_results_metadata_is_explained() {
        let error = |metadata: Value| {
            QueryResultsConfig::from_metadata(&metadata)
                .unwrap_err()
                .to_string()
        };
        assert!(error(json!({"id_column": "A"})).contains("query: is required"));
        assert!(
            error(json!({"query": "  ", "id_column": "A"}))
                .contains("query: must be a non-empty string")
        );
        assert!(error(json!({"query": "SELECT 1"})).contains("id_column: is required"));
        assert!(error(json!({"query": "SELECT 1", "id_column": []})).contains("id_column"));
        assert!(
            error(json!({"query": "SELECT 1", "id_column": ["A", ""]})).contains("id_column[1]")
        );
        assert!(
            error(json!({"query": "SELECT 1", "id_column": "A", "row_values": "json"}))
                .contains("\"raw\"")
        );
        assert!(
            error(json!({"query": "SELECT 1", "id_column": "A", "detect_deletes": "yes"}))
                .contains("true or false")
        );
        assert!(
            error(
                json!({"query": "SELECT 1", "id_column": "A", "full_pass_frequency": "every day"})
            )
            .contains("detect_deletes")
        );
        assert!(error(json!({"query": "SELECT 1", "id_column": "A", "detect_deletes": true, "full_pass_frequency": "soon"})).contains("full_pass_frequency"));
        assert!(error(json!(null)).contains("needs connection metadata"));
    }
}
