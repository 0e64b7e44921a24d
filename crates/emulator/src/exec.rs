//! The boundary between the emulator's two halves.
//!
//! The HTTP side (`server`, `auth`, `results`, `faults`) speaks the SQL API v2: it authenticates,
//! parses request bodies, splits multi-statement requests, keeps handles, cuts results into gzip
//! partitions and injects faults. The account side (`account`) holds the catalog and runs one SQL
//! statement at a time. They meet here and nowhere else:
//!
//! * the HTTP side builds a [`Session`] from the request body and the user's defaults, and calls
//!   [`crate::account::Account::execute`] once per statement, with a [`RowSink`] that receives the
//!   result's columns and then its rows, already encoded as Snowflake's jsonv2 strings;
//! * the account side answers [`Outcome`] or a [`SqlError`] with Snowflake's code, SQL state and
//!   message, which the HTTP side turns into the 422 body.
//!
//! Rows are pushed, never collected, so a 1,000,000-row result never sits in memory as cells.

use std::{
    collections::BTreeMap,
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
};

/// The context one statement runs in. Every SQL API request is its own session; inside a
/// multi-statement request the same `Session` is passed to each statement in turn, so `USE` and
/// `ALTER SESSION` carry over to the next statement.
#[derive(Debug, Clone)]
pub struct Session {
    /// The authenticated user's name (as stored in the catalog, normally upper case).
    pub user: String,
    /// The current role: the body's `role`, else the user's `DEFAULT_ROLE`, else `PUBLIC`.
    pub role: String,
    /// The current database: the body's `database`, else from the user's `DEFAULT_NAMESPACE`.
    pub database: Option<String>,
    /// The current schema: the body's `schema`, else from the user's `DEFAULT_NAMESPACE`.
    pub schema: Option<String>,
    /// The current warehouse: the body's `warehouse`, else the user's `DEFAULT_WAREHOUSE`.
    pub warehouse: Option<String>,
    /// Session parameters from the body's `parameters` (keys upper-cased), e.g. `TIMEZONE`,
    /// `QUERY_TAG`, `DATE_OUTPUT_FORMAT`.
    pub parameters: BTreeMap<String, String>,
    /// Set by the HTTP side when the statement is cancelled or times out; the account side checks
    /// it while it runs (SQLite's progress handler, `SYSTEM$WAIT`) and stops with
    /// [`SqlError::cancelled`].
    pub cancel: CancelFlag,
}

/// A shared "stop now" flag for a running statement.
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    /// Asks the statement to stop.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether the statement was asked to stop.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// One binding from the request body: `"1": {"type": "FIXED", "value": "123"}`. Kept as sent; the
/// account side converts it by its type (§2.3 of the Snowflake reference).
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct Binding {
    /// `FIXED`, `REAL`, `TEXT`, `BOOLEAN`, `DATE`, `TIME`, `TIMESTAMP_NTZ`, `TIMESTAMP_LTZ`,
    /// `TIMESTAMP_TZ`, `BINARY`, … as sent (the account side compares case-insensitively).
    #[serde(rename = "type")]
    pub kind: String,
    /// The value as a string; `None` is SQL NULL.
    pub value: Option<String>,
}

/// The bindings of a request, by key: `"1"`, `"2"`, … for `?` and `:1`; a name for `:name`.
pub type Bindings = BTreeMap<String, Binding>;

/// One column of a result, exactly as it appears in `resultSetMetaData.rowType`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Column {
    pub name: String,
    /// Source database of a table column; `""` for expressions and SHOW output.
    pub database: String,
    /// Source schema of a table column; `""` for expressions and SHOW output.
    pub schema: String,
    /// Source table of a table column; `""` for expressions and SHOW output.
    pub table: String,
    pub scale: Option<u32>,
    #[serde(rename = "byteLength")]
    pub byte_length: Option<u64>,
    pub nullable: bool,
    pub collation: Option<String>,
    pub precision: Option<u32>,
    pub length: Option<u64>,
    /// Lower case: `fixed`, `real`, `text`, `binary`, `boolean`, `date`, `time`, `timestamp_ntz`,
    /// `timestamp_ltz`, `timestamp_tz`, `variant`, `object`, `array`, …
    #[serde(rename = "type")]
    pub kind: String,
    /// Only for GEOGRAPHY/GEOMETRY columns (whose `type` is `object`).
    #[serde(rename = "extTypeName", skip_serializing_if = "Option::is_none")]
    pub ext_type_name: Option<String>,
}

/// Receives one statement's result: [`RowSink::columns`] once, then [`RowSink::row`] per row.
/// Cells are already encoded as the SQL API's jsonv2 strings (`"1780573702.603"`, `"Y"`, …);
/// `None` is SQL NULL.
pub trait RowSink {
    /// The result's columns, before any row.
    fn columns(&mut self, columns: &[Column]);
    /// One row, with one cell per column.
    fn row(&mut self, cells: &[Option<&str>]);
}

/// A sink that keeps everything, for tests, seeds and small admin statements.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct CollectedRows {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<Option<String>>>,
}

impl RowSink for CollectedRows {
    fn columns(&mut self, columns: &[Column]) {
        self.columns = columns.to_vec();
    }

    fn row(&mut self, cells: &[Option<&str>]) {
        self.rows
            .push(cells.iter().map(|c| c.map(str::to_owned)).collect());
    }
}

/// What a statement did besides producing rows.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// DML statistics, for INSERT/UPDATE/DELETE/MERGE (`stats` in the response body).
    pub stats: Option<DmlStats>,
}

/// `stats` of a DML response, with the real field names.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DmlStats {
    pub num_rows_inserted: u64,
    pub num_rows_updated: u64,
    pub num_rows_deleted: u64,
    pub num_dml_duplicates: u64,
}

/// A statement that failed, as Snowflake reports it in a 422 body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code} ({sql_state}): {message}")]
pub struct SqlError {
    /// Snowflake's error code, e.g. `002003` (object does not exist), `001003` (syntax error).
    pub code: String,
    /// The SQL state, e.g. `42S02`, `42000`.
    pub sql_state: String,
    /// Snowflake's message text, e.g. `SQL compilation error:\nObject 'X' does not exist or not authorized.`
    pub message: String,
}

impl SqlError {
    pub fn new(code: &str, sql_state: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            sql_state: sql_state.to_owned(),
            message: message.into(),
        }
    }

    /// The statement stopped because its [`CancelFlag`] was set.
    pub fn cancelled() -> Self {
        Self::new("000604", "57014", "SQL execution canceled")
    }
}

/// What kind of statement a piece of SQL is, for the checks the HTTP side makes before running
/// it (a lone `BEGIN` or `USE` answers 422 `391911`; bindings are refused in multi-statement
/// requests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatementClass {
    /// Anything that runs normally: SELECT, SHOW, DESCRIBE, DML, DDL, GRANT, …
    Normal,
    /// `USE …`, `BEGIN`, `COMMIT`, `ROLLBACK`, `ALTER SESSION`: only allowed inside a
    /// multi-statement request. The string is Snowflake's command name for the 391911 message:
    /// `USE`, `TRANSACTION_BEGIN`, `TRANSACTION_COMMIT`, `TRANSACTION_ROLLBACK`, `ALTER_SESSION`.
    SessionOnly(String),
    /// Never allowed through the SQL API (`PUT`, `GET`): the command name for the 391911 message.
    Unsupported(String),
}

/// What the HTTP side needs to know about a user to authenticate a JWT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAuth {
    /// The user's name as stored.
    pub name: String,
    /// `LOGIN_NAME`, upper case: what a JWT's `sub` must name.
    pub login_name: String,
    pub disabled: bool,
    /// The registered `RSA_PUBLIC_KEY`: base64 of the SubjectPublicKeyInfo DER, as set with
    /// `ALTER USER … SET RSA_PUBLIC_KEY='MIIBIj…'` (PEM armour and line breaks removed).
    pub rsa_public_key: Option<String>,
    /// The registered `RSA_PUBLIC_KEY_2`, same form.
    pub rsa_public_key_2: Option<String>,
    pub default_role: Option<String>,
    pub default_warehouse: Option<String>,
    /// `DEFAULT_NAMESPACE`: `DB` or `DB.SCHEMA`.
    pub default_namespace: Option<String>,
}
