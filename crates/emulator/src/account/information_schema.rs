//! The INFORMATION_SCHEMA views (SCHEMATA, TABLES, VIEWS, COLUMNS) and the QUERY_HISTORY table
//! function, built from the catalog and the history with the real columns, and materialised into
//! SQLite temporary tables for the one statement that reads them.

use rusqlite::types::Value;

use super::{
    HistoryEntry,
    catalog::{Catalog, Schema, TableColumn, Visibility},
    lookup::*,
    storage::{internal, sql_error},
    types::{Kind, SfType},
};
use crate::exec::{Session, SqlError};

/// One INFORMATION_SCHEMA view of one database, materialised into a SQLite temporary table for
/// the statement that reads it.
#[derive(Debug)]
pub struct InfoTable {
    pub name: String,
    pub columns: Vec<(String, SfType)>,
    rows: Vec<Vec<Value>>,
}

impl InfoTable {
    /// A table of `rows` with `columns`; `index` makes its temporary name unique.
    fn new(columns: Vec<(&str, SfType)>, rows: Vec<Vec<Value>>, index: usize) -> Self {
        Self {
            name: format!("is{}_{}", index, fastrand::u32(..)),
            columns: columns
                .into_iter()
                .map(|(n, ty)| (n.to_owned(), ty))
                .collect(),
            rows,
        }
    }

    /// Creates and fills `temp.<name>` on `conn`.
    pub fn materialize(&self, conn: &rusqlite::Connection) -> Result<(), SqlError> {
        let definitions: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, (_, ty))| format!("c{i} {}", ty.kind.storage(ty.scale)))
            .collect();
        conn.execute_batch(&format!(
            "DROP TABLE IF EXISTS temp.{0}; CREATE TEMP TABLE {0} ({1})",
            self.name,
            definitions.join(", ")
        ))
        .map_err(internal)?;
        let placeholders: Vec<String> = (1..=self.columns.len()).map(|i| format!("?{i}")).collect();
        let mut insert = conn
            .prepare(&format!(
                "INSERT INTO temp.{} VALUES ({})",
                self.name,
                placeholders.join(", ")
            ))
            .map_err(sql_error)?;
        for row in &self.rows {
            insert
                .execute(rusqlite::params_from_iter(row.iter()))
                .map_err(sql_error)?;
        }
        Ok(())
    }
}

/// The INFORMATION_SCHEMA view `view` of database `db` as the role sees it, or `None` for a
/// view the emulator does not have. `index` makes the temporary table's name unique.
pub fn information_schema(
    catalog: &Catalog,
    vis: &Visibility,
    db: &str,
    view: &str,
    index: usize,
) -> Option<InfoTable> {
    let database = catalog.databases.get(db)?;
    let text = SfType::show_text;
    let number = || SfType::fixed(38, 0);
    let time = || SfType::scaled(Kind::TimestampLtz, 9);
    let t = |v: &str| Value::Text(v.to_owned());
    let opt = |v: Option<String>| v.map_or(Value::Null, Value::Text);
    let ts = |millis: i64| Value::Integer(millis * 1_000_000);
    let schemas: Vec<&Schema> = database
        .schemas
        .values()
        .filter(|s| schema_visible(vis, db, s))
        .collect();
    let (columns, rows): (Vec<(&str, SfType)>, Vec<Vec<Value>>) = match view {
        "SCHEMATA" => (
            vec![
                ("CATALOG_NAME", text()),
                ("SCHEMA_NAME", text()),
                ("SCHEMA_OWNER", text()),
                ("IS_TRANSIENT", text()),
                ("IS_MANAGED_ACCESS", text()),
                ("RETENTION_TIME", number()),
                ("DEFAULT_CHARACTER_SET_CATALOG", text()),
                ("DEFAULT_CHARACTER_SET_SCHEMA", text()),
                ("DEFAULT_CHARACTER_SET_NAME", text()),
                ("SQL_PATH", text()),
                ("CREATED", time()),
                ("LAST_ALTERED", time()),
                ("COMMENT", text()),
                ("REPLICABLE_WITH_FAILOVER_GROUPS", text()),
                ("OWNER_ROLE_TYPE", text()),
            ],
            schemas
                .iter()
                .map(|s| {
                    vec![
                        t(db),
                        t(&s.name),
                        opt((!s.owner.is_empty()).then(|| s.owner.clone())),
                        t("NO"),
                        t("NO"),
                        Value::Integer(1),
                        Value::Null,
                        Value::Null,
                        Value::Null,
                        Value::Null,
                        ts(s.created_on),
                        ts(s.created_on),
                        opt((!s.comment.is_empty()).then(|| s.comment.clone())),
                        t("NO"),
                        opt((!s.owner.is_empty()).then(|| "ROLE".into())),
                    ]
                })
                .collect(),
        ),
        "TABLES" => (
            vec![
                ("TABLE_CATALOG", text()),
                ("TABLE_SCHEMA", text()),
                ("TABLE_NAME", text()),
                ("TABLE_OWNER", text()),
                ("TABLE_TYPE", text()),
                ("IS_TRANSIENT", text()),
                ("CLUSTERING_KEY", text()),
                ("ROW_COUNT", number()),
                ("BYTES", number()),
                ("RETENTION_TIME", number()),
                ("SELF_REFERENCING_COLUMN_NAME", text()),
                ("REFERENCE_GENERATION", text()),
                ("USER_DEFINED_TYPE_CATALOG", text()),
                ("USER_DEFINED_TYPE_SCHEMA", text()),
                ("USER_DEFINED_TYPE_NAME", text()),
                ("IS_INSERTABLE_INTO", text()),
                ("IS_TYPED", text()),
                ("COMMIT_ACTION", text()),
                ("CREATED", time()),
                ("LAST_ALTERED", time()),
                ("LAST_DDL", time()),
                ("LAST_DDL_BY", text()),
                ("AUTO_CLUSTERING_ON", text()),
                ("COMMENT", text()),
                ("IS_TEMPORARY", text()),
                ("IS_ICEBERG", text()),
                ("IS_DYNAMIC", text()),
                ("IS_IMMUTABLE", text()),
            ],
            schemas
                .iter()
                .flat_map(|s| {
                    let tables = s
                        .tables
                        .values()
                        .filter(move |tb| table_visible(vis, db, s, tb))
                        .map(move |tb| {
                            let rows = tb.row_count().max(0);
                            vec![
                                t(db),
                                t(&s.name),
                                t(&tb.name),
                                t(&tb.owner),
                                t("BASE TABLE"),
                                t("NO"),
                                Value::Null,
                                Value::Integer(rows),
                                Value::Integer(if rows == 0 { 0 } else { 1024 + rows * 64 }),
                                Value::Integer(1),
                                Value::Null,
                                Value::Null,
                                Value::Null,
                                Value::Null,
                                Value::Null,
                                t("YES"),
                                t("YES"),
                                Value::Null,
                                ts(tb.created_on),
                                ts(tb.created_on),
                                ts(tb.created_on),
                                Value::Null,
                                t("NO"),
                                opt((!tb.comment.is_empty()).then(|| tb.comment.clone())),
                                t("NO"),
                                t("NO"),
                                t("NO"),
                                t("NO"),
                            ]
                        });
                    let views = s
                        .views
                        .values()
                        .filter(move |v| view_visible(vis, db, s, v))
                        .map(move |v| {
                            vec![
                                t(db),
                                t(&s.name),
                                t(&v.name),
                                t(&v.owner),
                                t("VIEW"),
                                t("NO"),
                                Value::Null,
                                Value::Null,
                                Value::Null,
                                Value::Null,
                                Value::Null,
                                Value::Null,
                                Value::Null,
                                Value::Null,
                                Value::Null,
                                t("NO"),
                                t("NO"),
                                Value::Null,
                                ts(v.created_on),
                                ts(v.created_on),
                                ts(v.created_on),
                                Value::Null,
                                t("NO"),
                                opt((!v.comment.is_empty()).then(|| v.comment.clone())),
                                t("NO"),
                                t("NO"),
                                t("NO"),
                                t("NO"),
                            ]
                        });
                    let mut all: Vec<(String, Vec<Value>)> = tables
                        .chain(views)
                        .map(|row| {
                            (
                                match &row[2] {
                                    Value::Text(n) => n.clone(),
                                    _ => String::new(),
                                },
                                row,
                            )
                        })
                        .collect();
                    all.sort_by(|a, b| a.0.cmp(&b.0));
                    all.into_iter().map(|(_, row)| row)
                })
                .collect(),
        ),
        "VIEWS" => (
            vec![
                ("TABLE_CATALOG", text()),
                ("TABLE_SCHEMA", text()),
                ("TABLE_NAME", text()),
                ("TABLE_OWNER", text()),
                ("VIEW_DEFINITION", text()),
                ("CHECK_OPTION", text()),
                ("IS_UPDATABLE", text()),
                ("INSERTABLE_INTO", text()),
                ("IS_SECURE", text()),
                ("CREATED", time()),
                ("LAST_ALTERED", time()),
                ("LAST_DDL", time()),
                ("LAST_DDL_BY", text()),
                ("COMMENT", text()),
            ],
            schemas
                .iter()
                .flat_map(|s| {
                    s.views
                        .values()
                        .filter(move |v| view_visible(vis, db, s, v))
                        .map(move |v| {
                            vec![
                                t(db),
                                t(&s.name),
                                t(&v.name),
                                t(&v.owner),
                                t(&v.text),
                                t("NONE"),
                                t("NO"),
                                t("NO"),
                                t(if v.secure { "YES" } else { "NO" }),
                                ts(v.created_on),
                                ts(v.created_on),
                                ts(v.created_on),
                                Value::Null,
                                opt((!v.comment.is_empty()).then(|| v.comment.clone())),
                            ]
                        })
                })
                .collect(),
        ),
        "COLUMNS" => {
            let columns = [
                "TABLE_CATALOG",
                "TABLE_SCHEMA",
                "TABLE_NAME",
                "COLUMN_NAME",
                "ORDINAL_POSITION",
                "COLUMN_DEFAULT",
                "IS_NULLABLE",
                "DATA_TYPE",
                "CHARACTER_MAXIMUM_LENGTH",
                "CHARACTER_OCTET_LENGTH",
                "NUMERIC_PRECISION",
                "NUMERIC_PRECISION_RADIX",
                "NUMERIC_SCALE",
                "DATETIME_PRECISION",
                "INTERVAL_TYPE",
                "INTERVAL_PRECISION",
                "CHARACTER_SET_CATALOG",
                "CHARACTER_SET_SCHEMA",
                "CHARACTER_SET_NAME",
                "COLLATION_CATALOG",
                "COLLATION_SCHEMA",
                "COLLATION_NAME",
                "DOMAIN_CATALOG",
                "DOMAIN_SCHEMA",
                "DOMAIN_NAME",
                "UDT_CATALOG",
                "UDT_SCHEMA",
                "UDT_NAME",
                "SCOPE_CATALOG",
                "SCOPE_SCHEMA",
                "SCOPE_NAME",
                "MAXIMUM_CARDINALITY",
                "DTD_IDENTIFIER",
                "IS_SELF_REFERENCING",
                "IS_IDENTITY",
                "IDENTITY_GENERATION",
                "IDENTITY_START",
                "IDENTITY_INCREMENT",
                "IDENTITY_MAXIMUM",
                "IDENTITY_MINIMUM",
                "IDENTITY_CYCLE",
                "IDENTITY_ORDERED",
                "SCHEMA_EVOLUTION_RECORD",
                "COMMENT",
                "DATA_TYPE_ALIAS",
                "EXPRESSION",
                "KIND",
            ];
            let numeric = [
                "ORDINAL_POSITION",
                "CHARACTER_MAXIMUM_LENGTH",
                "CHARACTER_OCTET_LENGTH",
                "NUMERIC_PRECISION",
                "NUMERIC_PRECISION_RADIX",
                "NUMERIC_SCALE",
                "DATETIME_PRECISION",
                "INTERVAL_PRECISION",
                "MAXIMUM_CARDINALITY",
            ];
            let typed: Vec<(&str, SfType)> = columns
                .iter()
                .map(|c| {
                    (
                        *c,
                        if numeric.contains(c) {
                            number()
                        } else {
                            text()
                        },
                    )
                })
                .collect();
            let mut rows = Vec::new();
            for s in &schemas {
                for tb in s.tables.values().filter(|tb| table_visible(vis, db, s, tb)) {
                    for (i, c) in tb.columns.iter().enumerate() {
                        rows.push(information_column(db, &s.name, &tb.name, i, c, typed.len()));
                    }
                }
            }
            (typed, rows)
        }
        _ => return None,
    };
    Some(InfoTable::new(columns, rows, index))
}

/// `INFORMATION_SCHEMA.QUERY_HISTORY()`: the newest `limit` statements of the history, newest
/// first; the session's user's own, or everyone's for ACCOUNTADMIN. `index` makes the temporary
/// table's name unique.
pub fn query_history(
    entries: Vec<HistoryEntry>,
    session: &Session,
    limit: usize,
    index: usize,
) -> InfoTable {
    let text = SfType::show_text;
    let number = || SfType::fixed(38, 0);
    let time = || SfType::scaled(Kind::TimestampLtz, 9);
    let t = |v: String| Value::Text(v);
    let opt = |v: Option<String>| v.map_or(Value::Null, Value::Text);
    let nanos = |time: chrono::DateTime<chrono::Utc>| {
        Value::Integer(time.timestamp_nanos_opt().unwrap_or_default())
    };
    let everyone = session.role == "ACCOUNTADMIN";
    let rows = entries
        .into_iter()
        .rev()
        .filter(|entry| everyone || entry.user_name == session.user)
        .take(limit)
        .map(|entry| {
            let elapsed = entry
                .end_time
                .unwrap_or_else(chrono::Utc::now)
                .signed_duration_since(entry.start_time)
                .num_milliseconds();
            vec![
                t(entry.query_id),
                t(entry.query_text),
                opt(entry.database_name),
                opt(entry.schema_name),
                t(entry.query_type),
                t(entry.user_name),
                t(entry.role_name),
                opt(entry.warehouse_name),
                t(entry.query_tag),
                t(entry.execution_status),
                opt(entry.error_code),
                opt(entry.error_message),
                nanos(entry.start_time),
                entry.end_time.map_or(Value::Null, nanos),
                Value::Integer(elapsed),
                entry
                    .rows_produced
                    .map_or(Value::Null, |rows| Value::Integer(rows as i64)),
            ]
        })
        .collect();
    let columns = [
        ("QUERY_ID", text()),
        ("QUERY_TEXT", text()),
        ("DATABASE_NAME", text()),
        ("SCHEMA_NAME", text()),
        ("QUERY_TYPE", text()),
        ("USER_NAME", text()),
        ("ROLE_NAME", text()),
        ("WAREHOUSE_NAME", text()),
        ("QUERY_TAG", text()),
        ("EXECUTION_STATUS", text()),
        ("ERROR_CODE", text()),
        ("ERROR_MESSAGE", text()),
        ("START_TIME", time()),
        ("END_TIME", time()),
        ("TOTAL_ELAPSED_TIME", number()),
        ("ROWS_PRODUCED", number()),
    ];
    InfoTable::new(Vec::from(columns), rows, index)
}

fn information_column(
    db: &str,
    schema: &str,
    table: &str,
    index: usize,
    c: &TableColumn,
    width: usize,
) -> Vec<Value> {
    let t = |v: &str| Value::Text(v.to_owned());
    let int = |v: u64| Value::Integer(v as i64);
    let ty = &c.ty;
    let mut row = vec![Value::Null; width];
    row[0] = t(db);
    row[1] = t(schema);
    row[2] = t(table);
    row[3] = t(&c.name);
    row[4] = int(index as u64 + 1);
    row[5] = c.default.as_deref().map_or(Value::Null, t);
    row[6] = t(if ty.nullable { "YES" } else { "NO" });
    row[7] = t(standard_type(ty.kind));
    if matches!(ty.kind, Kind::Text | Kind::Binary) {
        row[8] = int(ty.length);
        row[9] = int(ty.byte_length);
    }
    if ty.kind == Kind::Fixed {
        row[10] = int(u64::from(ty.precision));
        row[11] = int(10);
        row[12] = int(u64::from(ty.scale));
    }
    if ty.kind == Kind::Time || ty.kind.is_timestamp() {
        row[13] = int(u64::from(ty.scale));
    }
    row[33] = t("NO");
    row[34] = t(if c.identity.is_some() { "YES" } else { "NO" });
    if let Some((start, increment)) = c.identity {
        row[36] = t(&start.to_string());
        row[37] = t(&increment.to_string());
        row[40] = t("NO");
        row[41] = t("NO");
    }
    row[43] = if c.comment.is_empty() {
        Value::Null
    } else {
        t(&c.comment)
    };
    row[44] = t(&ty.sql_name());
    row[46] = t("COLUMN");
    row
}

/// `DATA_TYPE` of INFORMATION_SCHEMA.COLUMNS.
fn standard_type(kind: Kind) -> &'static str {
    match kind {
        Kind::Text => "TEXT",
        Kind::Binary => "BINARY",
        Kind::Boolean => "BOOLEAN",
        Kind::Date => "DATE",
        Kind::Time => "TIME",
        Kind::TimestampNtz => "TIMESTAMP_NTZ",
        Kind::TimestampLtz => "TIMESTAMP_LTZ",
        Kind::TimestampTz => "TIMESTAMP_TZ",
        Kind::Variant => "VARIANT",
        Kind::Object => "OBJECT",
        Kind::Array => "ARRAY",
        Kind::Fixed => "NUMBER",
        Kind::Real => "FLOAT",
    }
}
