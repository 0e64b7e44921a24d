//! Custom syncs: SQL-defined syncs declared in the config file.
//!
//! ```toml
//! [[custom_syncs]]
//! name = "orders"                      # sync name: letters, digits, `_`, `-`
//! model = "Order"                      # model name: starts with an upper-case letter
//! sql = "SELECT * FROM SALES.ORDERS WHERE REGION = :region"
//! id_column = "ORDER_ID"               # or a list: ["ORDER_ID", "LINE"]
//! incremental_column = "UPDATED_AT"    # optional: without it every run is a full pass
//! frequency = "every 15 minutes"       # default: every hour
//! warehouse = "COMPUTE_WH"             # optional, like database, schema and role
//! row_values = "typed"                 # default "raw" (jsonv2 strings)
//! auto_start = true                    # default true
//! detect_deletes = true                # default: true without incremental_column, else false
//! ```
//!
//! `:name` placeholders take their value from the connection's metadata key `name` and are sent as
//! SQL API bindings, never spliced into the SQL: the statement carries `?` in their place (placeholders
//! inside strings, quoted identifiers, comments and `::` casts are left alone). Records have the shape
//! of `query-results` (`{id, row_data}`); their model's JSON Schema is derived from the result's
//! `rowType` ([`CustomSync::model_schema`]).

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::{Value, json};
use snowgate_snowflake::{Binding, BindingType};

use crate::{
    catalog::{DEFAULT_FREQUENCY, Frequency, SYNCS},
    mapping::RowValues,
    value::ResultColumn,
    watermark,
};

/// A custom sync declaration that is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("custom sync {sync:?}: {problem}")]
pub struct CustomSyncError {
    /// The sync's name (or its position when the name is missing).
    pub sync: String,
    /// What is wrong and how to fix it.
    pub problem: String,
}

/// One `[[custom_syncs]]` entry as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Declaration {
    name: String,
    model: String,
    sql: String,
    id_column: Option<IdColumns>,
    incremental_column: Option<String>,
    frequency: Option<String>,
    warehouse: Option<String>,
    database: Option<String>,
    schema: Option<String>,
    role: Option<String>,
    row_values: Option<RowValues>,
    auto_start: Option<bool>,
    detect_deletes: Option<bool>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum IdColumns {
    One(String),
    Several(Vec<String>),
}

/// SQL with `:name` placeholders replaced by `?`, and the names in placeholder order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParameterizedSql {
    /// The statement text, with `?` placeholders.
    pub text: String,
    /// The metadata key bound to each `?`, in order (a name used twice appears twice).
    pub parameters: Vec<String>,
    /// The byte offset in `text` of each placeholder's `?`, in order.
    pub positions: Vec<usize>,
}

/// A validated custom sync.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "Declaration")]
pub struct CustomSync {
    /// The sync name.
    pub name: String,
    /// The model name.
    pub model: String,
    /// The SQL as declared.
    pub sql: String,
    /// The SQL ready to send.
    pub parameterized: ParameterizedSql,
    /// The id column(s).
    pub id_columns: Vec<String>,
    /// The incremental column, if any.
    pub incremental_column: Option<String>,
    /// How often it runs.
    pub frequency: Frequency,
    /// `warehouse` for the statement.
    pub warehouse: Option<String>,
    /// `database` for the statement.
    pub database: Option<String>,
    /// `schema` for the statement.
    pub schema: Option<String>,
    /// `role` for the statement.
    pub role: Option<String>,
    /// Raw strings or typed values in `row_data`.
    pub row_values: RowValues,
    /// Whether new connections start it.
    pub auto_start: bool,
    /// Whether records missing from a full pass are marked deleted.
    pub detect_deletes: bool,
}

pub(crate) fn valid_name(name: &str, first_upper: bool) -> bool {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| {
        if first_upper {
            c.is_ascii_uppercase()
        } else {
            c.is_ascii_alphanumeric() || c == '_' || c == '-'
        }
    });
    first_ok
        && name.len() <= 255
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

impl TryFrom<Declaration> for CustomSync {
    type Error = CustomSyncError;

    fn try_from(declaration: Declaration) -> Result<Self, CustomSyncError> {
        let fail = |problem: String| CustomSyncError {
            sync: declaration.name.clone(),
            problem,
        };
        if !valid_name(&declaration.name, false) {
            return Err(fail(
                "name must be 1–255 letters, digits, '_' or '-'".to_owned(),
            ));
        }
        if SYNCS.iter().any(|sync| sync.name == declaration.name) {
            return Err(fail(
                "name is taken by a built-in sync; choose another".to_owned(),
            ));
        }
        if !valid_name(&declaration.model, true) || declaration.model.len() < 2 {
            return Err(fail(format!(
                "model {:?} must start with an upper-case letter followed by letters, digits, '_' or '-' (e.g. \"Order\")",
                declaration.model
            )));
        }
        if SYNCS.iter().any(|sync| sync.model == declaration.model) {
            return Err(fail(format!(
                "model {:?} is a built-in model; choose another",
                declaration.model
            )));
        }
        if declaration.sql.trim().is_empty() {
            return Err(fail(
                "sql is empty; write the SELECT whose rows are synced".to_owned(),
            ));
        }
        let parameterized = parameterize(&declaration.sql).map_err(fail)?;
        let id_columns = match declaration.id_column.clone() {
            Some(IdColumns::One(column)) => vec![column],
            Some(IdColumns::Several(columns)) => columns,
            None => Vec::new(),
        };
        if id_columns.is_empty() || id_columns.iter().any(String::is_empty) {
            return Err(fail(
                "id_column is required: the column (or list of columns) that identifies a row"
                    .to_owned(),
            ));
        }
        let non_empty = |key: &str, value: Option<String>| match value {
            Some(v) if v.trim().is_empty() => {
                Err(fail(format!("{key} is empty; remove it or give a name")))
            }
            other => Ok(other),
        };
        let frequency = Frequency::parse(
            declaration
                .frequency
                .as_deref()
                .unwrap_or(DEFAULT_FREQUENCY),
        )
        .map_err(|error| fail(error.to_string()))?;
        let incremental_column =
            non_empty("incremental_column", declaration.incremental_column.clone())?;
        Ok(Self {
            detect_deletes: declaration
                .detect_deletes
                .unwrap_or(incremental_column.is_none()),
            name: declaration.name.clone(),
            model: declaration.model.clone(),
            sql: declaration.sql.clone(),
            parameterized,
            id_columns,
            incremental_column,
            frequency,
            warehouse: non_empty("warehouse", declaration.warehouse.clone())?,
            database: non_empty("database", declaration.database.clone())?,
            schema: non_empty("schema", declaration.schema.clone())?,
            role: non_empty("role", declaration.role.clone())?,
            row_values: declaration.row_values.unwrap_or_default(),
            auto_start: declaration.auto_start.unwrap_or(true),
        })
    }
}

/// The `[[custom_syncs]]` list of a config file.
#[derive(Debug, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    custom_syncs: Vec<toml::Value>,
}

/// Reads and validates the `[[custom_syncs]]` of a TOML config file (other keys are left to their
/// readers). Names and models must be unique.
pub fn parse_config(text: &str) -> Result<Vec<CustomSync>, CustomSyncError> {
    let file: ConfigFile = toml::from_str(text).map_err(|error| CustomSyncError {
        sync: "(config file)".to_owned(),
        problem: error.to_string(),
    })?;
    let syncs = file
        .custom_syncs
        .into_iter()
        .enumerate()
        .map(|(index, entry)| {
            let name = entry
                .get("name")
                .and_then(toml::Value::as_str)
                .map_or_else(|| format!("#{}", index + 1), str::to_owned);
            entry.try_into::<CustomSync>().map_err(|error| {
                let problem = error.to_string();
                // Validation errors come back as text through serde: keep only their problem part.
                let prefix = format!("custom sync {name:?}: ");
                CustomSyncError {
                    sync: name,
                    problem: problem
                        .strip_prefix(&prefix)
                        .unwrap_or(&problem)
                        .trim()
                        .to_owned(),
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    check_unique(&syncs)?;
    Ok(syncs)
}

/// Checks that no two custom syncs share a name or a model.
pub fn check_unique(syncs: &[CustomSync]) -> Result<(), CustomSyncError> {
    let mut names = BTreeSet::new();
    let mut models = BTreeSet::new();
    for sync in syncs {
        if !names.insert(&sync.name) {
            return Err(CustomSyncError {
                sync: sync.name.clone(),
                problem: "is declared twice; sync names must be unique".to_owned(),
            });
        }
        if !models.insert(&sync.model) {
            return Err(CustomSyncError {
                sync: sync.name.clone(),
                problem: format!(
                    "model {:?} is used by another custom sync; each sync needs its own model",
                    sync.model
                ),
            });
        }
    }
    Ok(())
}

impl CustomSync {
    /// The bindings for the statement's placeholders, from the connection's metadata.
    pub fn bindings(&self, metadata: &Value) -> Result<Vec<Binding>, CustomSyncError> {
        let fail = |problem: String| CustomSyncError {
            sync: self.name.clone(),
            problem,
        };
        self.parameterized
            .parameters
            .iter()
            .map(|key| {
                let value = metadata.get(key).ok_or_else(|| {
                    fail(format!("its SQL uses :{key}, but the connection metadata has no {key:?} key; set it with the connection metadata API"))
                })?;
                metadata_binding(value)
                    .ok_or_else(|| fail(format!("connection metadata {key:?} must be a string, number, boolean or null to be bound to :{key}")))
            })
            .collect()
    }

    /// The statement of a run: the parameterized SQL, wrapped for incremental reads when the sync has
    /// an incremental column (its watermark placeholder comes after the declared ones).
    pub fn statement(&self, has_watermark: bool) -> String {
        match &self.incremental_column {
            Some(column) => {
                watermark::incremental_statement(&self.parameterized.text, column, has_watermark)
            }
            None => self.parameterized.text.clone(),
        }
    }

    /// The JSON Schema of the sync's records, derived from the result's columns.
    pub fn model_schema(&self, columns: &[ResultColumn]) -> Value {
        let typed = self.row_values == RowValues::Typed;
        let properties: serde_json::Map<String, Value> = columns
            .iter()
            .map(|column| (column.name.clone(), column.json_schema(typed)))
            .collect();
        let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "title": self.model,
            "type": "object",
            "properties": {
                "id": {"type": "string"},
                "row_data": {"type": "object", "properties": properties, "required": names, "additionalProperties": false}
            },
            "required": ["id", "row_data"]
        })
    }
}

fn metadata_binding(value: &Value) -> Option<Binding> {
    Some(match value {
        Value::Null => Binding::null(BindingType::Text),
        Value::String(text) => Binding::text(text.clone()),
        Value::Bool(flag) => Binding::boolean(*flag),
        // The number's JSON text is already the SQL API's encoding (and keeps every digit).
        Value::Number(number) if number.is_i64() || number.is_u64() => {
            Binding::encoded(BindingType::Fixed, Some(number.to_string()))
        }
        Value::Number(number) => Binding::encoded(BindingType::Real, Some(number.to_string())),
        Value::Array(_) | Value::Object(_) => return None,
    })
}

/// Replaces `:name` placeholders with `?` outside strings, quoted identifiers and comments.
pub fn parameterize(sql: &str) -> Result<ParameterizedSql, String> {
    let bytes = sql.as_bytes();
    let mut text = String::with_capacity(sql.len());
    let mut parameters = Vec::new();
    let mut positions = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &sql[i..];
        let end = if rest.starts_with("--") || rest.starts_with("//") {
            i + rest.find('\n').unwrap_or(rest.len())
        } else if let Some(body) = rest.strip_prefix("/*") {
            i + 2
                + body
                    .find("*/")
                    .map(|at| at + 2)
                    .ok_or("a /* comment is never closed")?
        } else if let Some(body) = rest.strip_prefix("$$") {
            i + 2
                + body
                    .find("$$")
                    .map(|at| at + 2)
                    .ok_or("a $$ string is never closed")?
        } else if rest.starts_with('\'') {
            i + quoted_end(rest, b'\'', true).ok_or("a '…' string is never closed")?
        } else if rest.starts_with('"') {
            i + quoted_end(rest, b'"', false).ok_or("a \"…\" identifier is never closed")?
        } else if rest.starts_with("::") {
            i + 2
        } else if rest.starts_with('?') {
            return Err("uses a ? placeholder; name it instead (:region): a custom sync binds it from the connection metadata, a custom action from its input".to_owned());
        } else if let Some(after) = rest.strip_prefix(':') {
            let name_len = after
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
                .count();
            let name = &after[..name_len];
            match name.as_bytes().first() {
                Some(b) if b.is_ascii_alphabetic() || *b == b'_' => {
                    positions.push(text.len());
                    text.push('?');
                    parameters.push(name.to_owned());
                    i += 1 + name_len;
                    continue;
                }
                Some(_) => {
                    return Err(format!(
                        "uses :{name}; positional placeholders are not supported, use names (:region)"
                    ));
                }
                None => i + 1,
            }
        } else {
            i + rest.chars().next().map_or(1, char::len_utf8)
        };
        // Everything but a placeholder is copied verbatim.
        text.push_str(&sql[i..end]);
        i = end;
    }
    Ok(ParameterizedSql {
        text,
        parameters,
        positions,
    })
}

/// The length of a quoted token starting at `text[0]`, doubled quotes included (and backslash
/// escapes in strings).
fn quoted_end(text: &str, quote: u8, backslash: bool) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if backslash => i += 2,
            b if b == quote && bytes.get(i + 1) == Some(&quote) => i += 2,
            b if b == quote => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validator::Validator;
    use snowgate_snowflake::ColumnType;

    const CONFIG: &str = r#"
listen = "127.0.0.1:3003"

[[custom_syncs]]
name = "orders"
model = "Order"
sql = "SELECT * FROM SALES.ORDERS WHERE REGION = :region AND PLAN <> ':not_a_param' AND AMOUNT::NUMBER > :min_amount -- :ignored"
id_column = ["ORDER_ID", "LINE"]
incremental_column = "UPDATED_AT"
frequency = "every 15 minutes"
warehouse = "COMPUTE_WH"
row_values = "typed"

[[custom_syncs]]
name = "plans"
model = "Plan"
sql = "SELECT ID, NAME FROM PLANS"
id_column = "ID"
"#;

    #[test]
    fn parses_and_validates_declarations() {
        let syncs = parse_config(CONFIG).unwrap();
        assert_eq!(syncs.len(), 2);
        let orders = &syncs[0];
        assert_eq!(orders.id_columns, vec!["ORDER_ID", "LINE"]);
        assert_eq!(orders.frequency.duration().as_secs(), 900);
        assert_eq!(orders.row_values, RowValues::Typed);
        assert!(orders.auto_start);
        assert!(
            !orders.detect_deletes,
            "incremental syncs do not detect deletes unless asked"
        );
        assert_eq!(
            orders.parameterized.parameters,
            vec!["region", "min_amount"]
        );
        assert_eq!(
            orders.parameterized.text,
            "SELECT * FROM SALES.ORDERS WHERE REGION = ? AND PLAN <> ':not_a_param' AND AMOUNT::NUMBER > ? -- :ignored"
        );
        let plans = &syncs[1];
        assert_eq!(plans.frequency.as_str(), "every hour");
        assert!(
            plans.detect_deletes,
            "full-pass syncs detect deletes by default"
        );
        assert_eq!(plans.statement(false), "SELECT ID, NAME FROM PLANS");
        assert!(parse_config("listen = 1").unwrap().is_empty());
    }

    #[test]
    fn statements_and_bindings() {
        let orders = parse_config(CONFIG).unwrap().remove(0);
        assert_eq!(
            orders.statement(true),
            "SELECT * FROM (SELECT * FROM SALES.ORDERS WHERE REGION = ? AND PLAN <> ':not_a_param' AND AMOUNT::NUMBER > ? -- :ignored\n) AS _snowgate_sync WHERE \"UPDATED_AT\" >= ? ORDER BY \"UPDATED_AT\" ASC"
        );
        let bindings = orders
            .bindings(&json!({"region": "EU", "min_amount": 10, "other": [1]}))
            .unwrap();
        let encoded = serde_json::to_value(&bindings).unwrap();
        assert_eq!(
            encoded,
            json!([{"type": "TEXT", "value": "EU"}, {"type": "FIXED", "value": "10"}])
        );
        let error = orders
            .bindings(&json!({"region": "EU"}))
            .unwrap_err()
            .to_string();
        assert!(error.contains("no \"min_amount\" key"), "{error}");
        let error = orders
            .bindings(&json!({"region": ["EU"], "min_amount": 1}))
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("must be a string, number, boolean or null"),
            "{error}"
        );
        let flags = orders
            .bindings(&json!({"region": null, "min_amount": 1.5}))
            .unwrap();
        assert_eq!(
            serde_json::to_value(&flags).unwrap(),
            json!([{"type": "TEXT", "value": null}, {"type": "REAL", "value": "1.5"}])
        );
    }

    #[test]
    fn placeholders_skip_strings_identifiers_and_comments() {
        let sql = r#"SELECT ':a', 'it''s :b', 'c\':d', "col:e", $$ :f $$, /* :g */ x::int, :h_1 FROM t // :i"#;
        let parsed = parameterize(sql).unwrap();
        assert_eq!(parsed.parameters, vec!["h_1"]);
        assert!(parsed.text.contains("x::int, ? FROM"), "{}", parsed.text);
        assert!(
            parameterize("SELECT :1")
                .unwrap_err()
                .contains("positional")
        );
        assert!(parameterize("SELECT ?").unwrap_err().contains("name it"));
        assert!(
            parameterize("SELECT 'open")
                .unwrap_err()
                .contains("never closed")
        );
        assert!(
            parameterize("SELECT /* open")
                .unwrap_err()
                .contains("never closed")
        );
        assert_eq!(
            parameterize("SELECT 'é', :x").unwrap().text,
            "SELECT 'é', ?"
        );
        assert_eq!(
            parameterize("SELECT a : b").unwrap().parameters,
            Vec::<String>::new()
        );
    }

    #[test]
    fn invalid_declarations_are_explained() {
        let error = |body: &str| {
            parse_config(&format!("[[custom_syncs]]\n{body}"))
                .unwrap_err()
                .to_string()
        };
        let base = "model = \"Order\"\nsql = \"SELECT 1 AS ID\"\nid_column = \"ID\"";
        assert!(error(&format!("name = \"bad name\"\n{base}")).contains("letters, digits"));
        assert!(error(&format!("name = \"tables\"\n{base}")).contains("built-in sync"));
        assert!(
            error("name = \"o\"\nmodel = \"order\"\nsql = \"SELECT 1\"\nid_column = \"ID\"")
                .contains("upper-case")
        );
        assert!(
            error("name = \"o\"\nmodel = \"Table\"\nsql = \"SELECT 1\"\nid_column = \"ID\"")
                .contains("built-in model")
        );
        assert!(
            error("name = \"o\"\nmodel = \"Order\"\nsql = \" \"\nid_column = \"ID\"")
                .contains("sql is empty")
        );
        assert!(
            error("name = \"o\"\nmodel = \"Order\"\nsql = \"SELECT 1\"")
                .contains("id_column is required")
        );
        assert!(
            error(&format!(
                "name = \"o\"\n{base}\nfrequency = \"every 5 seconds\""
            ))
            .contains("between 30 seconds")
        );
        assert!(
            error(&format!("name = \"o\"\n{base}\nwarehose = \"WH\""))
                .contains("unknown field `warehose`")
        );
        assert!(
            error(&format!("name = \"o\"\n{base}\nwarehouse = \"\""))
                .contains("warehouse is empty")
        );
        let twice = format!(
            "[[custom_syncs]]\nname = \"o\"\n{base}\n[[custom_syncs]]\nname = \"o\"\n{base}"
        );
        assert!(
            parse_config(&twice)
                .unwrap_err()
                .to_string()
                .contains("declared twice")
        );
        let same_model = format!(
            "[[custom_syncs]]\nname = \"o\"\n{base}\n[[custom_syncs]]\nname = \"p\"\n{base}"
        );
        assert!(
            parse_config(&same_model)
                .unwrap_err()
                .to_string()
                .contains("own model")
        );
        let message = error(&format!("name = \"o\"\n{base}\nfrequency = \"often\""));
        assert!(message.starts_with("custom sync \"o\": "), "{message}");
    }

    #[test]
    fn model_schema_from_row_type() {
        let syncs = parse_config(CONFIG).unwrap();
        let columns = vec![
            ResultColumn {
                name: "ORDER_ID".into(),
                kind: ColumnType::Fixed,
                precision: Some(10),
                scale: Some(0),
                nullable: false,
            },
            ResultColumn {
                name: "NOTE".into(),
                kind: ColumnType::Text,
                precision: None,
                scale: None,
                nullable: true,
            },
        ];
        let typed = syncs[0].model_schema(&columns);
        assert_eq!(
            typed["properties"]["row_data"]["properties"]["ORDER_ID"],
            json!({"type": "integer"})
        );
        assert_eq!(
            typed["properties"]["row_data"]["properties"]["NOTE"],
            json!({"type": ["string", "null"]})
        );
        let validator = Validator::new("Order", &typed).unwrap();
        assert!(
            validator
                .check(
                    "1",
                    &json!({"id": "1", "row_data": {"ORDER_ID": 1, "NOTE": null}})
                )
                .is_ok()
        );
        let error = validator
            .check(
                "1",
                &json!({"id": "1", "row_data": {"ORDER_ID": "1", "NOTE": null}}),
            )
            .unwrap_err();
        assert_eq!(error.fields[0].path, "/row_data/ORDER_ID");
        assert!(
            validator
                .check("1", &json!({"id": "1", "row_data": {"ORDER_ID": 1}}))
                .is_err()
        );
        let raw = syncs[1].model_schema(&columns);
        assert_eq!(
            raw["properties"]["row_data"]["properties"]["ORDER_ID"],
            json!({"type": "string"})
        );
    }
}
