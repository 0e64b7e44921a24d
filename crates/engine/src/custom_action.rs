//! Custom actions: an app's own Snowflake operations, declared in SQL in the config file next to
//! the custom syncs (one shape for both: a name, the SQL with `:name` placeholders, and the
//! statement's `warehouse`, `database`, `schema` and `role`).
//!
//! ```toml
//! [[engine.custom_actions]]
//! name = "customer-by-id"             # letters, digits, `_`, `-`; not a built-in action's name
//! description = "One customer"
//! sql = "SELECT CUSTOMER_ID, EMAIL FROM SALES.CUSTOMERS WHERE CUSTOMER_ID = :id"
//! output = "first_row"                # "rows" (default for queries), "first_row", "counts" (DML)
//! max_rows = 10000                    # "rows": more fails the action (default 10,000)
//! read_only = true                    # default: true for queries; a query declared false is
//!                                     # allowed, a DML statement declared true is not
//! warehouse = "COMPUTE_WH"            # optional, like database, schema and role
//! [engine.custom_actions.input.id]
//! type = "number"                     # string, number, integer, float, boolean, date, time,
//!                                     # timestamp, json, identifier
//! required = true                     # default: true, unless a default is given
//! ```
//!
//! Every placeholder is a declared input and every input a placeholder, checked at start. Values
//! are always sent as SQL API bindings, never spliced into the SQL; the one exception is an input
//! of type `identifier` (a table that must vary): its value must be one of the declaration's
//! `values`, and that listed name — written by the app's developer, not by the caller — is what
//! goes into the statement. The output shape must fit the statement: `counts` needs an INSERT,
//! UPDATE, DELETE or MERGE; `rows` and `first_row` need a query.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, NaiveDateTime, NaiveTime};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use snowgate_snowflake::{Binding, BindingType, Statement};

use crate::{
    catalog,
    custom::{ParameterizedSql, parameterize, valid_name},
    error::InputError,
    sql::{StatementContext, parse_qualified_name},
};

/// A custom action declaration that is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("custom action {action:?}: {problem}")]
pub struct CustomActionError {
    /// The action's name.
    pub action: String,
    /// What is wrong and how to fix it.
    pub problem: String,
}

/// How an action's result becomes its output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputShape {
    /// Every row, as an array of objects (column name → typed value).
    Rows,
    /// The first row as an object, or `null` when there is none.
    FirstRow,
    /// The statement's DML counts: `{rows_inserted, rows_updated, rows_deleted}`.
    Counts,
}

/// The type of an input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InputType {
    /// Text (`TEXT`).
    String,
    /// A decimal number, exact (`FIXED`): a JSON number or a numeric string.
    Number,
    /// A whole number (`FIXED`): a JSON integer or an integer string.
    Integer,
    /// A floating-point number (`REAL`).
    Float,
    /// `true` or `false` (`BOOLEAN`).
    Boolean,
    /// `YYYY-MM-DD` (`DATE`).
    Date,
    /// `HH:MM:SS[.fff]` (`TIME`).
    Time,
    /// An RFC 3339 time with an offset (`TIMESTAMP_TZ`) or without one (`TIMESTAMP_NTZ`).
    Timestamp,
    /// Any JSON value, sent as its JSON text (`TEXT`; write `PARSE_JSON(:name)` in the SQL).
    Json,
    /// One of the declaration's `values`, spliced into the SQL as that name.
    Identifier,
}

/// One declared input.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputDeclaration {
    /// Its type.
    #[serde(rename = "type")]
    pub kind: InputType,
    /// Whether the caller must give it (default: true unless it has a default).
    pub required: Option<bool>,
    /// The value when the caller gives none.
    pub default: Option<Value>,
    /// For the schema and the docs.
    pub description: Option<String>,
    /// The allowed values (required for `identifier`; an enum for `string`).
    pub values: Option<Vec<String>>,
}

impl InputDeclaration {
    fn required(&self) -> bool {
        self.required.unwrap_or(self.default.is_none())
    }
}

/// One `[[engine.custom_actions]]` entry as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Declaration {
    name: String,
    description: Option<String>,
    sql: String,
    output: Option<OutputShape>,
    max_rows: Option<u64>,
    read_only: Option<bool>,
    warehouse: Option<String>,
    database: Option<String>,
    schema: Option<String>,
    role: Option<String>,
    #[serde(default)]
    input: BTreeMap<String, InputDeclaration>,
}

/// A checked custom action.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "Declaration")]
pub struct CustomAction {
    /// The action name.
    pub name: String,
    /// One line for listings and docs.
    pub description: String,
    /// The SQL as declared.
    pub sql: String,
    /// The SQL with `?` for each placeholder.
    pub parameterized: ParameterizedSql,
    /// The inputs, by name.
    pub inputs: BTreeMap<String, InputDeclaration>,
    /// The output's shape.
    pub output: OutputShape,
    /// Most rows a `rows` action returns.
    pub max_rows: u64,
    /// Whether it only reads.
    pub read_only: bool,
    /// `warehouse` for the statement.
    pub warehouse: Option<String>,
    /// `database` for the statement.
    pub database: Option<String>,
    /// `schema` for the statement.
    pub schema: Option<String>,
    /// `role` for the statement.
    pub role: Option<String>,
}

/// Most rows a `rows` action returns unless `max_rows` says otherwise.
pub const DEFAULT_MAX_ROWS: u64 = 10_000;
/// The largest `max_rows`.
const MAX_MAX_ROWS: u64 = 1_000_000;

/// What a statement does, by its first keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum StatementKind {
    Query,
    Dml,
    Other,
}

fn statement_kind(sql: &str) -> (StatementKind, String) {
    let mut rest = sql.trim_start();
    loop {
        if let Some(comment) = rest.strip_prefix("--").or_else(|| rest.strip_prefix("//")) {
            rest = comment.split_once('\n').map_or("", |(_, after)| after);
        } else if let Some(comment) = rest.strip_prefix("/*") {
            rest = comment.split_once("*/").map_or("", |(_, after)| after);
        } else if let Some(inner) = rest.strip_prefix('(') {
            rest = inner;
        } else {
            break;
        }
        rest = rest.trim_start();
    }
    let keyword: String = rest
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect::<String>()
        .to_ascii_uppercase();
    let kind = match keyword.as_str() {
        "SELECT" | "WITH" | "SHOW" | "DESCRIBE" | "DESC" | "LIST" | "VALUES" => {
            StatementKind::Query
        }
        "INSERT" | "UPDATE" | "DELETE" | "MERGE" => StatementKind::Dml,
        _ => StatementKind::Other,
    };
    (kind, keyword)
}

impl TryFrom<Declaration> for CustomAction {
    type Error = CustomActionError;

    fn try_from(declaration: Declaration) -> Result<Self, CustomActionError> {
        let name = declaration.name.clone();
        let fail = |problem: String| CustomActionError {
            action: name.clone(),
            problem,
        };
        if !valid_name(&declaration.name, false) {
            return Err(fail(
                "the name must be 1 to 255 letters, digits, '_' or '-'".into(),
            ));
        }
        if catalog::action(&declaration.name).is_some() {
            return Err(fail(format!(
                "{:?} is a built-in action; give the custom action another name",
                declaration.name
            )));
        }
        let parameterized =
            parameterize(&declaration.sql).map_err(|problem| fail(format!("the sql {problem}")))?;
        if parameterized
            .text
            .trim_end()
            .trim_end_matches(';')
            .contains(';')
        {
            return Err(fail(
                "the sql holds more than one statement; declare one action per statement".into(),
            ));
        }
        let used: BTreeSet<&String> = parameterized.parameters.iter().collect();
        if let Some(missing) = used.iter().find(|p| !declaration.input.contains_key(**p)) {
            return Err(fail(format!(
                "the sql uses :{missing}, which is not a declared input; add\n  [engine.custom_actions.input.{missing}]\n  type = \"string\"   # or number, integer, float, boolean, date, time, timestamp, json, identifier"
            )));
        }
        if let Some(unused) = declaration.input.keys().find(|name| !used.contains(name)) {
            return Err(fail(format!(
                "input {unused:?} is declared but the sql never uses :{unused}; use it or remove [engine.custom_actions.input.{unused}]"
            )));
        }
        for (input, spec) in &declaration.input {
            check_input(input, spec)
                .map_err(|problem| fail(format!("input {input:?}: {problem}")))?;
        }
        let (kind, keyword) = statement_kind(&parameterized.text);
        let output = declaration.output.unwrap_or(match kind {
            StatementKind::Dml => OutputShape::Counts,
            _ => OutputShape::Rows,
        });
        match (output, kind) {
            (OutputShape::Counts, StatementKind::Query) => {
                return Err(fail(format!(
                    "output = \"counts\" needs an INSERT, UPDATE, DELETE or MERGE, but the sql is a {keyword}; write output = \"rows\" or \"first_row\""
                )));
            }
            (OutputShape::Rows | OutputShape::FirstRow, StatementKind::Dml) => {
                return Err(fail(format!(
                    "a {keyword} returns counts, not rows; write output = \"counts\""
                )));
            }
            _ => {}
        }
        let read_only = declaration
            .read_only
            .unwrap_or(kind == StatementKind::Query);
        if read_only && kind != StatementKind::Query {
            return Err(fail(format!(
                "read_only = true, but the sql is a {keyword}, which can change the account; remove read_only or write read_only = false"
            )));
        }
        let max_rows = declaration.max_rows.unwrap_or(DEFAULT_MAX_ROWS);
        if !(1..=MAX_MAX_ROWS).contains(&max_rows) {
            return Err(fail(format!(
                "max_rows must be between 1 and {MAX_MAX_ROWS}"
            )));
        }
        if declaration.max_rows.is_some() && output != OutputShape::Rows {
            return Err(fail(
                "max_rows only applies to output = \"rows\"; remove it".into(),
            ));
        }
        Ok(Self {
            description: declaration
                .description
                .unwrap_or_else(|| format!("Custom action: {}", declaration.sql.trim())),
            name: declaration.name,
            sql: declaration.sql,
            parameterized,
            inputs: declaration.input,
            output,
            max_rows,
            read_only,
            warehouse: declaration.warehouse,
            database: declaration.database,
            schema: declaration.schema,
            role: declaration.role,
        })
    }
}

/// Checks one input declaration: `values` where they belong, a default of the right type.
fn check_input(name: &str, spec: &InputDeclaration) -> Result<(), String> {
    match (&spec.values, spec.kind) {
        (None, InputType::Identifier) => {
            return Err(
                "an identifier input needs its allowed names: values = [\"SALES.ORDERS_EU\", \"SALES.ORDERS_US\"]"
                    .to_owned(),
            );
        }
        (Some(values), InputType::Identifier) => {
            if values.is_empty() {
                return Err("values is empty; list the allowed names".into());
            }
            for value in values {
                let parts = parse_qualified_name(value).map_err(|error| error.to_string())?;
                let plain = |part: &str| {
                    part.chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                        && part
                            .chars()
                            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
                };
                if parts.len() > 3 || parts.iter().any(|p| !p.quoted && !plain(&p.name)) {
                    return Err(format!(
                        "{value:?} is not a name of at most three parts; quote parts with other characters: \"My Table\""
                    ));
                }
            }
        }
        (Some(_), InputType::String) => {}
        (Some(_), _) => {
            return Err("values only applies to string and identifier inputs; remove it".into());
        }
        (None, _) => {}
    }
    if spec.required == Some(true) && spec.default.is_some() {
        return Err(
            "an input with a default is optional; remove required = true or the default".into(),
        );
    }
    if let Some(default) = &spec.default {
        bind_value(name, spec, default)
            .map_err(|error| format!("the default {}", error.message))?;
    }
    Ok(())
}

/// The SQL API binding (or, for an identifier, the name to splice) of one input value.
enum Bound {
    Value(Binding),
    Name(String),
}

fn invalid(name: &str, code: &str, message: String) -> InputError {
    InputError {
        code: code.to_owned(),
        message,
        path: vec![name.to_owned()],
    }
}

fn bind_value(name: &str, spec: &InputDeclaration, value: &Value) -> Result<Bound, InputError> {
    let wrong = |expected: &str| {
        invalid(
            name,
            "invalid_type",
            format!("{name} must be {expected}, not {value}"),
        )
    };
    if value.is_null() {
        return match spec.kind {
            InputType::Identifier => Err(wrong("one of the listed names")),
            kind => Ok(Bound::Value(Binding::null(binding_type(kind)))),
        };
    }
    let text = value.as_str();
    Ok(Bound::Value(match spec.kind {
        InputType::String => {
            let text = text.ok_or_else(|| wrong("a string"))?;
            if let Some(values) = &spec.values
                && !values.iter().any(|v| v == text)
            {
                return Err(invalid(
                    name,
                    "invalid_enum_value",
                    format!("{name} must be one of {values:?}"),
                ));
            }
            Binding::text(text)
        }
        InputType::Number | InputType::Integer => {
            let integer = spec.kind == InputType::Integer;
            let digits = match value {
                Value::Number(number) => number.to_string(),
                Value::String(text) => text.trim().to_owned(),
                _ => String::new(),
            };
            let (whole, fraction) = digits.split_once('.').unwrap_or((&digits, ""));
            let whole = whole.strip_prefix('-').unwrap_or(whole);
            let numeric = !whole.is_empty()
                && whole.bytes().all(|b| b.is_ascii_digit())
                && fraction.bytes().all(|b| b.is_ascii_digit())
                && (!integer || fraction.is_empty() || fraction.bytes().all(|b| b == b'0'));
            if !numeric {
                return Err(wrong(if integer {
                    "an integer (a JSON integer or a string of digits)"
                } else {
                    "a number (a JSON number or a decimal string, no exponent)"
                }));
            }
            Binding::encoded(BindingType::Fixed, Some(digits))
        }
        InputType::Float => match value {
            Value::Number(number) => Binding::encoded(BindingType::Real, Some(number.to_string())),
            Value::String(text) if text.trim().parse::<f64>().is_ok() => {
                Binding::encoded(BindingType::Real, Some(text.trim().to_owned()))
            }
            _ => return Err(wrong("a number")),
        },
        InputType::Boolean => {
            Binding::boolean(value.as_bool().ok_or_else(|| wrong("true or false"))?)
        }
        InputType::Date => Binding::date(
            text.and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
                .ok_or_else(|| wrong("a date, YYYY-MM-DD"))?,
        ),
        InputType::Time => Binding::time(
            text.and_then(|t| NaiveTime::parse_from_str(t, "%H:%M:%S%.f").ok())
                .ok_or_else(|| wrong("a time, HH:MM:SS[.fff]"))?,
        ),
        InputType::Timestamp => {
            let text = text.ok_or_else(|| wrong("a timestamp, e.g. 2026-12-02T10:00:00Z"))?;
            if let Ok(time) = DateTime::parse_from_rfc3339(text) {
                Binding::timestamp_tz(time)
            } else {
                Binding::timestamp_ntz(
                    NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S%.f")
                        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S%.f"))
                        .map_err(|_| wrong("a timestamp, e.g. 2026-12-02T10:00:00Z"))?,
                )
            }
        }
        InputType::Json => Binding::text(value.to_string()),
        InputType::Identifier => {
            let chosen = text.ok_or_else(|| wrong("a string"))?;
            let values = spec.values.as_deref().unwrap_or_default();
            let listed = values.iter().find(|v| *v == chosen).ok_or_else(|| {
                invalid(
                    name,
                    "invalid_enum_value",
                    format!("{name} must be one of {values:?}"),
                )
            })?;
            return Ok(Bound::Name(listed.clone()));
        }
    }))
}

fn binding_type(kind: InputType) -> BindingType {
    match kind {
        InputType::Number | InputType::Integer => BindingType::Fixed,
        InputType::Float => BindingType::Real,
        InputType::Boolean => BindingType::Boolean,
        InputType::Date => BindingType::Date,
        InputType::Time => BindingType::Time,
        InputType::Timestamp => BindingType::TimestampTz,
        InputType::String | InputType::Json | InputType::Identifier => BindingType::Text,
    }
}

fn type_schema(spec: &InputDeclaration) -> Value {
    let mut schema = match spec.kind {
        InputType::String | InputType::Identifier => json!({"type": "string"}),
        InputType::Number => {
            json!({"type": ["number", "string"], "pattern": "^\\s*-?[0-9]+(\\.[0-9]+)?\\s*$"})
        }
        InputType::Integer => {
            json!({"type": ["integer", "string"], "pattern": "^\\s*-?[0-9]+\\s*$"})
        }
        InputType::Float => json!({"type": ["number", "string"]}),
        InputType::Boolean => json!({"type": "boolean"}),
        InputType::Date => json!({"type": "string", "format": "date"}),
        InputType::Time => {
            json!({"type": "string", "pattern": "^[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?$"})
        }
        InputType::Timestamp => json!({"type": "string", "description": "RFC 3339"}),
        InputType::Json => json!({}),
    };
    if let Some(values) = &spec.values {
        schema["enum"] = json!(values);
    }
    if let Some(description) = &spec.description {
        schema["description"] = json!(description);
    }
    if let Some(default) = &spec.default {
        schema["default"] = default.clone();
    }
    if !spec.required()
        && spec.kind != InputType::Identifier
        && let Some(kinds) = schema.get("type").cloned()
    {
        let mut kinds = match kinds {
            Value::Array(kinds) => kinds,
            one => vec![one],
        };
        kinds.push(json!("null"));
        schema["type"] = Value::Array(kinds);
    }
    schema
}

impl CustomAction {
    /// Whether it can change the customer's account.
    pub fn writes(&self) -> bool {
        !self.read_only
    }

    /// The input's JSON Schema.
    pub fn input_schema(&self) -> Value {
        let properties: Map<String, Value> = self
            .inputs
            .iter()
            .map(|(name, spec)| (name.clone(), type_schema(spec)))
            .collect();
        let required: Vec<&String> = self
            .inputs
            .iter()
            .filter(|(_, spec)| spec.required())
            .map(|(name, _)| name)
            .collect();
        json!({
            "type": "object",
            "properties": properties,
            "required": required,
            "additionalProperties": false,
        })
    }

    /// The output's JSON Schema (a row's columns are known once the statement ran).
    pub fn output_schema(&self) -> Value {
        let row = json!({"type": "object", "description": "Column name → value, typed as the column's type (numbers beyond 15 digits as strings)."});
        match self.output {
            OutputShape::Rows => json!({"type": "array", "items": row, "maxItems": self.max_rows}),
            OutputShape::FirstRow => json!({"anyOf": [row, {"type": "null"}]}),
            OutputShape::Counts => json!({
                "type": "object",
                "properties": {
                    "rows_inserted": {"type": "integer"},
                    "rows_updated": {"type": "integer"},
                    "rows_deleted": {"type": "integer"},
                },
                "required": ["rows_inserted", "rows_updated", "rows_deleted"],
                "additionalProperties": false,
            }),
        }
    }

    /// The statement for `input`: see [`Self::prepare`].
    pub fn statement(&self, input: &Value) -> Result<Statement, Vec<InputError>> {
        let (sql, bindings) = self.prepare(input)?;
        let mut statement = Statement::new(sql);
        statement = StatementContext {
            warehouse: self.warehouse.as_deref(),
            database: self.database.as_deref(),
            schema: self.schema.as_deref(),
            role: self.role.as_deref(),
        }
        .apply(statement);
        for binding in bindings {
            statement = statement.bind(binding);
        }
        Ok(statement)
    }

    /// The SQL and bindings for `input`: identifiers spliced as their listed names, every other
    /// value bound, defaults filled in. Errors name the input.
    pub fn prepare(&self, input: &Value) -> Result<(String, Vec<Binding>), Vec<InputError>> {
        let mut errors = Vec::new();
        let mut bound = BTreeMap::new();
        for (name, spec) in &self.inputs {
            let value = match input.get(name) {
                Some(value) => value,
                None => match &spec.default {
                    Some(default) => default,
                    None if spec.required() => {
                        errors.push(invalid(name, "required", format!("{name} is required")));
                        continue;
                    }
                    None => &Value::Null,
                },
            };
            match bind_value(name, spec, value) {
                Ok(value) => {
                    bound.insert(name.as_str(), value);
                }
                Err(error) => errors.push(error),
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let ParameterizedSql {
            text,
            parameters,
            positions,
        } = &self.parameterized;
        let mut sql = String::with_capacity(text.len());
        let mut bindings = Vec::new();
        let mut copied = 0;
        for (parameter, &at) in parameters.iter().zip(positions) {
            sql.push_str(&text[copied..at]);
            copied = at + 1;
            match &bound[parameter.as_str()] {
                Bound::Name(name) => sql.push_str(name),
                Bound::Value(binding) => {
                    sql.push('?');
                    bindings.push(binding.clone());
                }
            }
        }
        sql.push_str(&text[copied..]);
        let sql = sql.trim_end().trim_end_matches(';').to_owned();
        Ok((sql, bindings))
    }
}

/// Checks that no two custom actions share a name.
pub fn check_unique(actions: &[CustomAction]) -> Result<(), CustomActionError> {
    let mut names = BTreeSet::new();
    for action in actions {
        if !names.insert(&action.name) {
            return Err(CustomActionError {
                action: action.name.clone(),
                problem: "is declared twice; action names must be unique".into(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn declare(toml_text: &str) -> Result<CustomAction, String> {
        toml::from_str::<CustomAction>(toml_text).map_err(|error| error.to_string())
    }

    const LOOKUP: &str = r#"
name = "customer-by-id"
sql = "SELECT CUSTOMER_ID, EMAIL FROM SALES.CUSTOMERS WHERE CUSTOMER_ID = :id AND ':x' <> :tag -- :y"
output = "first_row"
[input.id]
type = "number"
[input.tag]
type = "string"
default = "none"
"#;

    #[test]
    fn a_declaration_becomes_a_statement_with_every_value_bound() {
        let action = declare(LOOKUP).unwrap();
        assert!(action.read_only);
        assert_eq!(action.output, OutputShape::FirstRow);
        let (sql, bindings) = action
            .prepare(&json!({"id": "42", "tag": "x'; DROP TABLE T; --"}))
            .unwrap();
        assert_eq!(
            sql,
            "SELECT CUSTOMER_ID, EMAIL FROM SALES.CUSTOMERS WHERE CUSTOMER_ID = ? AND ':x' <> ? -- :y"
        );
        let json = |binding: &Binding| serde_json::to_value(binding).unwrap();
        assert_eq!(json(&bindings[0]), json!({"type": "FIXED", "value": "42"}));
        assert_eq!(
            json(&bindings[1]),
            json!({"type": "TEXT", "value": "x'; DROP TABLE T; --"})
        );
        // The default fills a missing optional input.
        let (_, bindings) = action.prepare(&json!({"id": 1})).unwrap();
        assert_eq!(json(&bindings[1])["value"], "none");
        let errors = action.prepare(&json!({"id": "1e5"})).unwrap_err();
        assert_eq!(errors[0].path, ["id"]);
        assert!(
            errors[0].message.contains("a number"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn every_input_type_is_coerced_to_its_binding() {
        for (kind, value, expected_type, expected) in [
            ("string", json!("a"), "TEXT", json!("a")),
            ("number", json!(12.50), "FIXED", json!("12.5")),
            (
                "number",
                json!("123456789012345678901234567890.5"),
                "FIXED",
                json!("123456789012345678901234567890.5"),
            ),
            ("integer", json!(7), "FIXED", json!("7")),
            ("integer", json!("-7"), "FIXED", json!("-7")),
            ("float", json!(1.5), "REAL", json!("1.5")),
            ("boolean", json!(true), "BOOLEAN", json!("true")),
            ("date", json!("2026-12-02"), "DATE", Value::Null),
            ("time", json!("10:11:12.5"), "TIME", Value::Null),
            (
                "timestamp",
                json!("2026-12-02T10:00:00+01:00"),
                "TIMESTAMP_TZ",
                Value::Null,
            ),
            (
                "timestamp",
                json!("2026-12-02T10:00:00"),
                "TIMESTAMP_NTZ",
                Value::Null,
            ),
            ("json", json!({"a": [1]}), "TEXT", json!("{\"a\":[1]}")),
            ("string", Value::Null, "TEXT", Value::Null),
        ] {
            let action = declare(&format!(
                "name = \"t\"\nsql = \"SELECT :v\"\n[input.v]\ntype = \"{kind}\"\nrequired = false\n"
            ))
            .unwrap();
            let (_, bindings) = action.prepare(&json!({"v": value})).unwrap();
            let body = serde_json::to_value(&bindings[0]).unwrap();
            assert_eq!(body["type"], expected_type, "{kind} {value}");
            if !expected.is_null() || value.is_null() {
                assert_eq!(body["value"], expected, "{kind} {value}");
            } else {
                assert!(body["value"].is_string(), "{kind} {value}: {body}");
            }
        }
        for (kind, value) in [
            ("integer", json!(1.5)),
            ("boolean", json!("yes")),
            ("date", json!("02/12/2026")),
            ("number", json!("12; DROP")),
            ("time", json!(5)),
        ] {
            let action = declare(&format!(
                "name = \"t\"\nsql = \"SELECT :v\"\n[input.v]\ntype = \"{kind}\"\n"
            ))
            .unwrap();
            assert!(
                action.prepare(&json!({"v": value})).is_err(),
                "{kind} {value}"
            );
        }
    }

    #[test]
    fn identifiers_come_only_from_the_declared_list() {
        let action = declare(
            r#"
name = "count-orders"
sql = "SELECT COUNT(*) AS N FROM :table WHERE REGION = :region"
output = "first_row"
[input.table]
type = "identifier"
values = ["SALES.ORDERS_EU", "\"Sales\".\"Orders US\""]
[input.region]
type = "string"
"#,
        )
        .unwrap();
        let (sql, _) = action
            .prepare(&json!({"table": "\"Sales\".\"Orders US\"", "region": "EU"}))
            .unwrap();
        assert_eq!(
            sql,
            "SELECT COUNT(*) AS N FROM \"Sales\".\"Orders US\" WHERE REGION = ?"
        );
        let errors = action
            .prepare(&json!({"table": "SALES.ORDERS_EU; DROP TABLE X", "region": "EU"}))
            .unwrap_err();
        assert_eq!(errors[0].code, "invalid_enum_value");
    }

    #[test]
    fn declarations_that_cannot_work_are_refused_at_start_with_what_to_write() {
        for (body, expected) in [
            ("sql = \"SELECT :a\"", "not a declared input"),
            (
                "sql = \"SELECT 1\"\n[input.a]\ntype = \"string\"",
                "never uses :a",
            ),
            (
                "sql = \"SELECT 1\"\noutput = \"counts\"",
                "write output = \"rows\"",
            ),
            (
                "sql = \"DELETE FROM T\"\noutput = \"rows\"",
                "write output = \"counts\"",
            ),
            (
                "sql = \"UPDATE T SET A = 1\"\nread_only = true",
                "read_only = true",
            ),
            ("sql = \"SELECT 1; SELECT 2\"", "more than one statement"),
            ("sql = \"SELECT ?\"", "name it instead"),
            (
                "sql = \"SELECT :t\"\n[input.t]\ntype = \"identifier\"",
                "needs its allowed names",
            ),
            (
                "sql = \"SELECT :t\"\n[input.t]\ntype = \"identifier\"\nvalues = [\"A; DROP\"]",
                "not a name",
            ),
            (
                "sql = \"SELECT :t\"\n[input.t]\ntype = \"date\"\ndefault = \"soon\"",
                "the default",
            ),
            ("sql = \"SELECT 1\"\nmax_rows = 0", "max_rows"),
            ("sql = \"SELECT 1\"\nwarehose = \"W\"", "unknown field"),
        ] {
            let error = declare(&format!("name = \"a\"\n{body}\n")).unwrap_err();
            assert!(error.contains(expected), "{body}: {error}");
        }
        let error = declare("name = \"list-tables\"\nsql = \"SELECT 1\"\n").unwrap_err();
        assert!(error.contains("built-in"), "{error}");
        let dml = declare("name = \"d\"\nsql = \"MERGE INTO T USING S ON T.ID = S.ID WHEN MATCHED THEN DELETE\"\n").unwrap();
        assert_eq!((dml.output, dml.read_only), (OutputShape::Counts, false));
    }

    #[test]
    fn schemas_describe_inputs_and_outputs() {
        let action = declare(LOOKUP).unwrap();
        let input = action.input_schema();
        assert_eq!(input["required"], json!(["id"]));
        assert_eq!(input["properties"]["tag"]["default"], "none");
        assert_eq!(input["additionalProperties"], false);
        assert!(action.output_schema()["anyOf"].is_array());
        crate::validator::Validator::new("input", &input).expect("a valid JSON Schema");
    }
}
