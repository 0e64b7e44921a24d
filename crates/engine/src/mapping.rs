//! Row → record mapping for the built-in syncs, reproducing Nango's field rules.
//!
//! One function per model reads one SHOW (or SELECT) row through [`ShowRow`] and builds the record.
//! The rules that differ per model are Nango's and are kept for byte compatibility
//! (integration reference §3 and §5.10):
//!
//! | model | `""` | booleans | numbers |
//! |---|---|---|---|
//! | `Database` | kept | — | — |
//! | `Schema` | omitted | — | — |
//! | `Table` | omitted | `"Y"`/`"N"` strings | `rows`/`bytes` via `Number()`, `null` for NULL |
//! | `Column` | omitted | `nullable` from the `data_type` JSON | from the `data_type` JSON |
//! | `View` | kept | `"true"`/`"false"` strings | — |
//! | `Role` | omitted | `Y`/`y`/`true`, `N`/`n`/`false`, else omitted | counts via `Number()`, `""` → 0 |
//! | `User` | kept | `value.toLowerCase() == "true"` | — |
//!
//! `Ok(None)` means the sync leaves the row out on purpose (personal databases, `INFORMATION_SCHEMA`).
//! Deliberate differences from Nango: a row missing its name is a [`MapError`] (Nango drops it or
//! saves an empty name); users whose `created_on` is NULL (users the role does not own) are kept
//! rather than dropped; a query row whose id is NULL is a [`MapError`] for that row (Nango fails the
//! run; the [`crate::validation::ValidationPolicy`] decides).

use serde_json::{Map, Value};
use snowgate_snowflake::DecodeError;

use crate::{
    ids::{self, ObjectKey},
    models::{Column, Database, JsNumber, QueryResult, Role, Schema, Table, User, View},
    row::ShowRow,
    value::ResultColumn,
};

/// The `kind` of the databases every sync skips.
pub const PERSONAL_DATABASE: &str = "PERSONAL DATABASE";
/// The schema every sync skips.
pub const INFORMATION_SCHEMA: &str = "INFORMATION_SCHEMA";

/// A row that cannot become a record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MapError {
    /// A column the record cannot do without is NULL, empty or absent.
    #[error(
        "a {model} row has no {column:?} value (NULL, empty or missing column); the SHOW output is not what Snowgate expects"
    )]
    MissingField {
        /// The model being built.
        model: &'static str,
        /// The SHOW column.
        column: &'static str,
    },
    /// SHOW COLUMNS gave a `data_type` that is not the expected JSON object.
    #[error("column {column_id:?} has a malformed data_type JSON ({reason})")]
    MalformedDataType {
        /// The column's record id.
        column_id: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A query row has NULL in an id column.
    #[error(
        "the id column {column:?} is NULL in a query result row; choose id columns that are never NULL"
    )]
    NullId {
        /// The id column.
        column: String,
    },
    /// A query row value does not decode as its column's type (typed row values).
    #[error("row {id:?}: {source}")]
    Decode {
        /// The record id of the row.
        id: String,
        /// The decoding failure.
        source: DecodeError,
    },
}

fn cell<'r>(row: &'r impl ShowRow, column: &str) -> Option<&'r str> {
    row.get(column)
}

fn kept(row: &impl ShowRow, column: &str) -> Option<String> {
    cell(row, column).map(str::to_owned)
}

fn non_empty(row: &impl ShowRow, column: &str) -> Option<String> {
    cell(row, column)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

fn required<'r>(
    row: &'r impl ShowRow,
    model: &'static str,
    column: &'static str,
) -> Result<&'r str, MapError> {
    cell(row, column)
        .filter(|v| !v.is_empty())
        .ok_or(MapError::MissingField { model, column })
}

/// A `SHOW DATABASES` row; personal databases are left out.
pub fn database(row: &impl ShowRow) -> Result<Option<Database>, MapError> {
    if cell(row, "kind") == Some(PERSONAL_DATABASE) {
        return Ok(None);
    }
    let name = required(row, "Database", "name")?;
    Ok(Some(Database {
        id: ObjectKey::Database(name).id(),
        name: name.to_owned(),
        created_on: kept(row, "created_on"),
        kind: kept(row, "kind"),
        owner: kept(row, "owner"),
        comment: kept(row, "comment"),
    }))
}

/// A `SHOW SCHEMAS IN DATABASE "<database>"` row; `INFORMATION_SCHEMA` is left out.
pub fn schema(row: &impl ShowRow, database: &str) -> Result<Option<Schema>, MapError> {
    let name = required(row, "Schema", "name")?;
    if name == INFORMATION_SCHEMA {
        return Ok(None);
    }
    let database_name = cell(row, "database_name")
        .filter(|v| !v.is_empty())
        .unwrap_or(database);
    Ok(Some(Schema {
        id: ObjectKey::Schema {
            database: database_name,
            schema: name,
        }
        .id(),
        database_name: database_name.to_owned(),
        name: name.to_owned(),
        created_on: non_empty(row, "created_on"),
        schema_owner: non_empty(row, "owner"),
        comment: non_empty(row, "comment"),
        retention_time: non_empty(row, "retention_time"),
    }))
}

/// A `SHOW TABLES IN SCHEMA "<database>"."<schema>"` row. The id uses the names of the statement.
pub fn table(row: &impl ShowRow, database: &str, schema: &str) -> Result<Table, MapError> {
    let name = required(row, "Table", "name")?;
    let number = |column| cell(row, column).map(JsNumber::parse);
    Ok(Table {
        id: ObjectKey::Table {
            database,
            schema,
            table: name,
        }
        .id(),
        name: name.to_owned(),
        database_name: cell(row, "database_name")
            .filter(|v| !v.is_empty())
            .unwrap_or(database)
            .to_owned(),
        schema_name: cell(row, "schema_name")
            .filter(|v| !v.is_empty())
            .unwrap_or(schema)
            .to_owned(),
        rows: number("rows"),
        bytes: number("bytes"),
        is_external: non_empty(row, "is_external"),
        is_iceberg: non_empty(row, "is_iceberg"),
        change_tracking: non_empty(row, "change_tracking"),
        owner: non_empty(row, "owner"),
    })
}

/// A `SHOW COLUMNS` row of table `database.schema.table`; `ordinal` is its 1-based position among
/// that table's rows.
pub fn column(
    row: &impl ShowRow,
    database: &str,
    schema: &str,
    table: &str,
    ordinal: u32,
) -> Result<Column, MapError> {
    let name = required(row, "Column", "column_name")?;
    let id = ObjectKey::Column {
        database,
        schema,
        table,
        column: name,
    }
    .id();
    let data_type = non_empty(row, "data_type");
    let parsed = match &data_type {
        Some(text) => DataType::parse(text).map_err(|reason| MapError::MalformedDataType {
            column_id: id.clone(),
            reason,
        })?,
        None => DataType::default(),
    };
    Ok(Column {
        id,
        database_name: database.to_owned(),
        schema_name: schema.to_owned(),
        table_name: table.to_owned(),
        column_name: name.to_owned(),
        ordinal_position: Some(ordinal),
        data_type,
        data_type_type: parsed.type_name,
        data_type_precision: parsed.precision,
        data_type_scale: parsed.scale,
        data_type_byte_length: parsed.byte_length,
        data_type_length: parsed.length,
        nullable: parsed.nullable,
        default_value: non_empty(row, "default"),
        kind: non_empty(row, "kind"),
        expression: non_empty(row, "expression"),
        comment: non_empty(row, "comment"),
        autoincrement: non_empty(row, "autoincrement"),
    })
}

/// The fields Nango reads from SHOW COLUMNS' `data_type` JSON.
#[derive(Default)]
struct DataType {
    type_name: Option<String>,
    precision: Option<JsNumber>,
    scale: Option<JsNumber>,
    byte_length: Option<JsNumber>,
    length: Option<JsNumber>,
    nullable: Option<bool>,
}

impl DataType {
    /// Parses the JSON object; a known key with the wrong JSON type is malformed (Nango's zod check),
    /// unknown keys are ignored.
    fn parse(text: &str) -> Result<Self, String> {
        let value: Value =
            serde_json::from_str(text).map_err(|error| format!("not JSON: {error}"))?;
        let Value::Object(object) = value else {
            return Err("not a JSON object".to_owned());
        };
        let number = |key: &str| match object.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => Ok(n.as_f64().map(JsNumber)),
            Some(_) => Err(format!("\"{key}\" is not a number")),
        };
        let type_name = match object.get("type") {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => return Err("\"type\" is not a string".to_owned()),
        };
        let nullable = match object.get("nullable") {
            None | Some(Value::Null) => None,
            Some(Value::Bool(b)) => Some(*b),
            Some(_) => return Err("\"nullable\" is not a boolean".to_owned()),
        };
        Ok(Self {
            type_name,
            precision: number("precision")?,
            scale: number("scale")?,
            byte_length: number("byteLength")?,
            length: number("length")?,
            nullable,
        })
    }
}

/// A `SHOW VIEWS IN SCHEMA "<database>"."<schema>"` row. The id uses the row's names.
pub fn view(row: &impl ShowRow, database: &str, schema: &str) -> Result<View, MapError> {
    let name = required(row, "View", "name")?;
    let database_name = cell(row, "database_name")
        .filter(|v| !v.is_empty())
        .unwrap_or(database);
    let schema_name = cell(row, "schema_name")
        .filter(|v| !v.is_empty())
        .unwrap_or(schema);
    Ok(View {
        id: ObjectKey::View {
            database: database_name,
            schema: schema_name,
            view: name,
        }
        .id(),
        name: name.to_owned(),
        database_name: database_name.to_owned(),
        schema_name: schema_name.to_owned(),
        text: kept(row, "text"),
        is_secure: kept(row, "is_secure"),
        is_materialized: kept(row, "is_materialized"),
        change_tracking: kept(row, "change_tracking"),
        owner: kept(row, "owner"),
        comment: kept(row, "comment"),
    })
}

/// A `SHOW ROLES` row.
pub fn role(row: &impl ShowRow) -> Result<Role, MapError> {
    let name = required(row, "Role", "name")?;
    let created_on = required(row, "Role", "created_on")?;
    let flag = |column| match cell(row, column) {
        Some("Y" | "y" | "true") => Some(true),
        Some("N" | "n" | "false") => Some(false),
        _ => None,
    };
    let count = |column| cell(row, column).and_then(|v| JsNumber::parse(v).finite());
    Ok(Role {
        id: ObjectKey::Role(name).id(),
        name: name.to_owned(),
        is_default: flag("is_default"),
        is_current: flag("is_current"),
        is_inherited: flag("is_inherited"),
        assigned_to_users: count("assigned_to_users"),
        granted_to_roles: count("granted_to_roles"),
        granted_roles: count("granted_roles"),
        created_on: created_on.to_owned(),
        owner: non_empty(row, "owner"),
        comment: non_empty(row, "comment"),
    })
}

/// A `SHOW USERS` row.
pub fn user(row: &impl ShowRow) -> Result<User, MapError> {
    let name = required(row, "User", "name")?;
    let flag = |column| cell(row, column).map(|v| v.eq_ignore_ascii_case("true"));
    Ok(User {
        id: ObjectKey::User(name).id(),
        login_name: kept(row, "login_name"),
        email: kept(row, "email"),
        first_name: kept(row, "first_name"),
        last_name: kept(row, "last_name"),
        display_name: kept(row, "display_name"),
        default_role: kept(row, "default_role"),
        default_warehouse: kept(row, "default_warehouse"),
        disabled: flag("disabled"),
        has_password: flag("has_password"),
        has_rsa_public_key: flag("has_rsa_public_key"),
        last_success_login: kept(row, "last_success_login"),
    })
}

/// How `row_data` holds values.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum RowValues {
    /// The raw jsonv2 strings (and `null`), as Nango saves them (the default).
    #[default]
    Raw,
    /// Values decoded by column type (numbers, booleans, ISO dates, JSON for VARIANT…).
    Typed,
}

/// Builds `QueryResult` records from the rows of one query result.
#[derive(Debug, Clone)]
pub struct QueryResultMapper {
    columns: Vec<ResultColumn>,
    id_columns: Vec<usize>,
    values: RowValues,
}

/// A query result whose columns do not fit the sync's configuration.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResultShapeError {
    /// A configured column is not in the result.
    #[error(
        "the {role} {column:?} is not a column of the query result (columns: {available}); column names are case-sensitive, as Snowflake returns them"
    )]
    UnknownColumn {
        /// `id_column` or `incremental_column`.
        role: &'static str,
        /// The configured name.
        column: String,
        /// The result's column names, comma-separated.
        available: String,
    },
    /// Two result columns have the same name, so `row_data` could not hold both.
    #[error(
        "the query returns two columns named {0:?}; give them distinct aliases (SELECT a.ID AS A_ID, b.ID AS B_ID …)"
    )]
    DuplicateColumn(String),
}

impl ResultShapeError {
    /// The error for a configured column missing from `columns`.
    pub fn unknown(role: &'static str, column: &str, columns: &[ResultColumn]) -> Self {
        let available: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
        Self::UnknownColumn {
            role,
            column: column.to_owned(),
            available: available.join(", "),
        }
    }
}

impl QueryResultMapper {
    /// Checks the result's columns against the id columns (one or several).
    pub fn new(
        columns: Vec<ResultColumn>,
        id_columns: &[String],
        values: RowValues,
    ) -> Result<Self, ResultShapeError> {
        for (index, column) in columns.iter().enumerate() {
            if columns[..index].iter().any(|c| c.name == column.name) {
                return Err(ResultShapeError::DuplicateColumn(column.name.clone()));
            }
        }
        let id_columns = id_columns
            .iter()
            .map(|id| {
                columns
                    .iter()
                    .position(|c| &c.name == id)
                    .ok_or_else(|| ResultShapeError::unknown("id_column", id, &columns))
            })
            .collect::<Result<_, _>>()?;
        Ok(Self {
            columns,
            id_columns,
            values,
        })
    }

    /// The result's columns.
    pub fn columns(&self) -> &[ResultColumn] {
        &self.columns
    }

    /// Maps one row.
    pub fn map(&self, row: &impl ShowRow) -> Result<QueryResult, MapError> {
        let mut parts = Vec::with_capacity(self.id_columns.len());
        for &index in &self.id_columns {
            let name = &self.columns[index].name;
            parts.push(row.get(name).ok_or_else(|| MapError::NullId {
                column: name.clone(),
            })?);
        }
        let id = ids::composite_id(&parts);
        let row_data =
            row_object(&self.columns, row, self.values).map_err(|source| MapError::Decode {
                id: id.clone(),
                source,
            })?;
        Ok(QueryResult { id, row_data })
    }
}

/// One result row as an object, column name → value: Snowflake's raw string or, with
/// [`RowValues::Typed`], the decoded value ([`ResultColumn::render`]); SQL NULL is `null`.
pub fn row_object(
    columns: &[ResultColumn],
    row: &impl ShowRow,
    values: RowValues,
) -> Result<Map<String, Value>, DecodeError> {
    let mut object = Map::with_capacity(columns.len());
    for column in columns {
        let value = match (row.get(&column.name), values) {
            (None, _) => Value::Null,
            (Some(raw), RowValues::Raw) => Value::String(raw.to_owned()),
            (Some(raw), RowValues::Typed) => column.render(raw)?,
        };
        object.insert(column.name.clone(), value);
    }
    Ok(object)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{models::Model, row::NamedRow, validation::PreparedRecord};
    use snowgate_snowflake::ColumnType;

    /// Maps one row written as SHOW column names and cells, the way the SQL API returns it.
    fn with_row<T>(
        names: &[&str],
        cells: &[Option<&str>],
        map: impl FnOnce(&NamedRow<'_>) -> T,
    ) -> T {
        let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        let cells: Vec<Option<String>> = cells.iter().map(|c| c.map(str::to_owned)).collect();
        map(&NamedRow::new(&names, &cells))
    }

    fn json<M: Model>(record: &M) -> Value {
        PreparedRecord::from_model(record).unwrap().payload
    }

    /// SHOW TABLES' 27 columns (Snowflake reference §3.2).
    const TABLE_COLUMNS: [&str; 27] = [
        "created_on",
        "name",
        "database_name",
        "schema_name",
        "kind",
        "comment",
        "cluster_by",
        "rows",
        "bytes",
        "owner",
        "retention_time",
        "automatic_clustering",
        "change_tracking",
        "search_optimization",
        "search_optimization_progress",
        "search_optimization_bytes",
        "is_external",
        "enable_schema_evolution",
        "owner_role_type",
        "is_event",
        "is_hybrid",
        "is_iceberg",
        "is_dynamic",
        "is_immutable",
        "is_interactive",
        "row_timestamp",
        "error_logging",
    ];

    #[test]
    fn table_rows() {
        let cells = [
            Some("1780573725.123"),
            Some("CUSTOMERS"),
            Some("NANGO_TEST_DB"),
            Some("SALES"),
            Some("TABLE"),
            Some(""),
            Some(""),
            Some("4"),
            Some("1536"),
            Some("ACCOUNTADMIN"),
            Some("1"),
            Some("OFF"),
            Some("OFF"),
            Some("OFF"),
            None,
            None,
            Some("N"),
            Some("N"),
            Some("ROLE"),
            Some("N"),
            Some("N"),
            Some("N"),
            Some("N"),
            Some("N"),
            Some("N"),
            Some("OFF"),
            Some("OFF"),
        ];
        let table = with_row(&TABLE_COLUMNS, &cells, |row| {
            super::table(row, "NANGO_TEST_DB", "SALES")
        })
        .unwrap();
        // The records API example of the Nango reference (§7.1), minus `_nango_metadata`.
        assert_eq!(
            json(&table),
            json!({"id": "NANGO_TEST_DB/SALES/CUSTOMERS", "name": "CUSTOMERS", "database_name": "NANGO_TEST_DB",
                "schema_name": "SALES", "rows": 4, "bytes": 1536, "is_external": "N", "is_iceberg": "N",
                "change_tracking": "OFF", "owner": "ACCOUNTADMIN"})
        );

        // An external table: rows and bytes NULL stay as null keys; "" owner is omitted.
        let mut cells = cells;
        cells[1] = Some("EXT/T");
        cells[7] = None;
        cells[8] = None;
        cells[9] = Some("");
        cells[16] = Some("Y");
        let table = with_row(&TABLE_COLUMNS, &cells, |row| {
            super::table(row, "NANGO_TEST_DB", "SALES")
        })
        .unwrap();
        let value = json(&table);
        assert_eq!(value["id"], "NANGO_TEST_DB/SALES/EXT/T");
        assert_eq!(value["rows"], Value::Null);
        assert_eq!(value["bytes"], Value::Null);
        assert!(value.get("owner").is_none());
        assert_eq!(value["is_external"], "Y");
    }

    #[test]
    fn table_names_fall_back_to_the_statement() {
        let table = with_row(
            &["name", "rows", "bytes"],
            &[Some("T"), Some(""), Some("x")],
            |row| super::table(row, "D", "S"),
        )
        .unwrap();
        let value = json(&table);
        assert_eq!(value["database_name"], "D");
        assert_eq!(value["schema_name"], "S");
        assert_eq!(value["rows"], 0, "Number(\"\") is 0");
        assert_eq!(
            value["bytes"],
            Value::Null,
            "Number(\"x\") is NaN, written as null"
        );
    }

    const VIEW_COLUMNS: [&str; 12] = [
        "created_on",
        "name",
        "reserved",
        "database_name",
        "schema_name",
        "owner",
        "comment",
        "text",
        "is_secure",
        "is_materialized",
        "owner_role_type",
        "change_tracking",
    ];

    #[test]
    fn view_rows_keep_empty_strings() {
        let cells = [
            Some("1780573730.001"),
            Some("ACTIVE_CUSTOMERS"),
            Some(""),
            Some("NANGO_TEST_DB"),
            Some("SALES"),
            Some("ACCOUNTADMIN"),
            Some(""),
            Some("create view ACTIVE_CUSTOMERS as select * from CUSTOMERS"),
            Some("false"),
            Some("false"),
            Some("ROLE"),
            Some("OFF"),
        ];
        let view = with_row(&VIEW_COLUMNS, &cells, |row| {
            super::view(row, "NANGO_TEST_DB", "SALES")
        })
        .unwrap();
        assert_eq!(
            json(&view),
            json!({"id": "NANGO_TEST_DB.SALES.ACTIVE_CUSTOMERS", "name": "ACTIVE_CUSTOMERS",
                "database_name": "NANGO_TEST_DB", "schema_name": "SALES",
                "text": "create view ACTIVE_CUSTOMERS as select * from CUSTOMERS",
                "is_secure": "false", "is_materialized": "false", "change_tracking": "OFF",
                "owner": "ACCOUNTADMIN", "comment": ""})
        );
        // A secure view of another owner: text "" kept, owner NULL omitted.
        let mut cells = cells;
        cells[5] = None;
        cells[7] = Some("");
        cells[8] = Some("true");
        let value = json(
            &with_row(&VIEW_COLUMNS, &cells, |row| {
                super::view(row, "NANGO_TEST_DB", "SALES")
            })
            .unwrap(),
        );
        assert_eq!(value["text"], "");
        assert_eq!(value["is_secure"], "true");
        assert!(value.get("owner").is_none());
    }

    const USER_COLUMNS: [&str; 31] = [
        "name",
        "created_on",
        "login_name",
        "display_name",
        "first_name",
        "last_name",
        "email",
        "mins_to_unlock",
        "days_to_expiry",
        "comment",
        "disabled",
        "must_change_password",
        "snowflake_lock",
        "default_warehouse",
        "default_namespace",
        "default_role",
        "default_secondary_roles",
        "ext_authn_duo",
        "ext_authn_uid",
        "mins_to_bypass_mfa",
        "owner",
        "last_success_login",
        "expires_at_time",
        "locked_until_time",
        "has_password",
        "has_rsa_public_key",
        "type",
        "has_mfa",
        "has_pat",
        "has_workload_identity",
        "is_from_organization_user",
    ];

    #[test]
    fn user_rows() {
        let cells = [
            Some("ALICE"),
            Some("1780571997.278"),
            Some("ALICE"),
            Some("Alice"),
            Some("Alice"),
            Some(""),
            Some("alice@example.com"),
            None,
            None,
            None,
            Some("false"),
            Some("false"),
            Some("false"),
            Some("COMPUTE_WH"),
            None,
            Some("ANALYST"),
            Some("[\"ALL\"]"),
            Some("false"),
            None,
            None,
            Some("USERADMIN"),
            Some("1780669899.979"),
            None,
            None,
            Some("TRUE"),
            Some("true"),
            None,
            Some("false"),
            Some("false"),
            Some("false"),
            Some("false"),
        ];
        let user = with_row(&USER_COLUMNS, &cells, |r| super::user(r)).unwrap();
        assert_eq!(
            json(&user),
            json!({"id": "ALICE", "login_name": "ALICE", "email": "alice@example.com", "first_name": "Alice",
                "last_name": "", "display_name": "Alice", "default_role": "ANALYST",
                "default_warehouse": "COMPUTE_WH", "disabled": false, "has_password": true,
                "has_rsa_public_key": true, "last_success_login": "1780669899.979"})
        );
        // What a role that does not own the user sees: NULL everywhere but the name. Nango drops such
        // users (no created_on); they exist, so Snowgate keeps them.
        let mut hidden = [None; 31];
        hidden[0] = Some("BOB");
        assert_eq!(
            json(&with_row(&USER_COLUMNS, &hidden, |r| super::user(r)).unwrap()),
            json!({"id": "BOB"})
        );
        // Any non-"true" text is false, as `value.toLowerCase() === 'true'`.
        let flags = with_row(&["name", "disabled"], &[Some("C"), Some("yes")], |r| {
            super::user(r)
        })
        .unwrap();
        assert_eq!(flags.disabled, Some(false));
    }

    #[test]
    fn role_rules() {
        let names = [
            "created_on",
            "name",
            "is_default",
            "is_current",
            "is_inherited",
            "assigned_to_users",
            "granted_to_roles",
            "granted_roles",
            "owner",
            "comment",
        ];
        let cells = [
            Some("1.5"),
            Some("R"),
            Some("y"),
            Some("maybe"),
            Some("false"),
            Some(""),
            None,
            Some("x"),
            Some(""),
            Some(""),
        ];
        let role = with_row(&names, &cells, |r| super::role(r)).unwrap();
        assert_eq!(
            json(&role),
            json!({"id": "R", "name": "R", "is_default": true, "is_inherited": false, "assigned_to_users": 0, "created_on": "1.5"})
        );
        let missing = with_row(&names[..2], &[None, Some("R")], |r| super::role(r)).unwrap_err();
        assert_eq!(
            missing,
            MapError::MissingField {
                model: "Role",
                column: "created_on"
            }
        );
    }

    #[test]
    fn database_and_schema_filters() {
        let names = ["name", "kind", "owner"];
        assert_eq!(
            with_row(
                &names,
                &[Some("USER$ME"), Some(PERSONAL_DATABASE), None],
                |r| super::database(r)
            ),
            Ok(None)
        );
        let db = with_row(&names, &[Some("D"), None, Some("")], |r| super::database(r))
            .unwrap()
            .unwrap();
        assert_eq!(json(&db), json!({"id": "D", "name": "D", "owner": ""}));
        assert!(matches!(
            with_row(&names, &[Some(""), None, None], |r| super::database(r)),
            Err(MapError::MissingField { .. })
        ));
        let names = [
            "name",
            "database_name",
            "owner",
            "comment",
            "retention_time",
        ];
        assert_eq!(
            with_row(
                &names,
                &[Some(INFORMATION_SCHEMA), Some("D"), None, None, None],
                |r| schema(r, "D")
            ),
            Ok(None)
        );
        let s = with_row(
            &names,
            &[Some("S"), None, Some(""), Some(""), Some("1")],
            |r| schema(r, "D"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(
            json(&s),
            json!({"id": "D/S", "database_name": "D", "name": "S", "retention_time": "1"})
        );
    }

    #[test]
    fn column_data_type_rules() {
        let names = ["column_name", "data_type", "default", "kind"];
        let column = |data_type: &str| {
            with_row(
                &names,
                &[Some("C"), Some(data_type), Some(""), Some("COLUMN")],
                |r| super::column(r, "D", "S", "T", 2),
            )
        };
        let real = column(r#"{"type":"REAL","nullable":true,"extra":[1]}"#).unwrap();
        assert_eq!(json(&real)["data_type_type"], "REAL");
        assert_eq!(real.nullable, Some(true));
        assert_eq!(real.data_type_precision, None);
        for bad in [
            "{",
            "[1]",
            r#"{"type":1}"#,
            r#"{"precision":"38"}"#,
            r#"{"nullable":"true"}"#,
        ] {
            let error = column(bad).unwrap_err();
            assert!(
                matches!(&error, MapError::MalformedDataType { column_id, .. } if column_id == "D.S.T.C"),
                "{bad}: {error}"
            );
        }
        let bare = with_row(&names[..1], &[Some("C")], |r| {
            super::column(r, "D", "S", "T", 1)
        })
        .unwrap();
        assert_eq!(
            json(&bare),
            json!({"id": "D.S.T.C", "database_name": "D", "schema_name": "S", "table_name": "T", "column_name": "C", "ordinal_position": 1})
        );
    }

    #[test]
    fn query_result_ids_and_shape_errors() {
        let columns = vec![
            ResultColumn {
                name: "ID".into(),
                kind: ColumnType::Fixed,
                precision: Some(38),
                scale: Some(0),
                nullable: false,
            },
            ResultColumn {
                name: "REGION".into(),
                kind: ColumnType::Text,
                precision: None,
                scale: None,
                nullable: true,
            },
        ];
        let mapper = QueryResultMapper::new(
            columns.clone(),
            &["ID".into(), "REGION".into()],
            RowValues::Raw,
        )
        .unwrap();
        let record = with_row(&["ID", "REGION"], &[Some("7"), Some("EU")], |r| {
            mapper.map(r)
        })
        .unwrap();
        assert_eq!(record.id, r#"["7","EU"]"#);
        let null_id =
            with_row(&["ID", "REGION"], &[Some("7"), None], |r| mapper.map(r)).unwrap_err();
        assert_eq!(
            null_id,
            MapError::NullId {
                column: "REGION".into()
            }
        );

        let unknown =
            QueryResultMapper::new(columns.clone(), &["id".into()], RowValues::Raw).unwrap_err();
        assert!(
            unknown.to_string().contains("columns: ID, REGION"),
            "{unknown}"
        );
        let mut duplicated = columns;
        duplicated.push(duplicated[0].clone());
        let error = QueryResultMapper::new(duplicated, &["ID".into()], RowValues::Raw).unwrap_err();
        assert_eq!(error, ResultShapeError::DuplicateColumn("ID".into()));
    }
}
