//! The SQL API's response bodies, typed, with Snowflake's field names.
//!
//! One type, [`StatementResponse`], holds every body the statements endpoints send: a result
//! (200), a running statement (202, code `333334`), a cancel answer, an error, and a partition
//! (`{"data": …}` only). Every field is optional because each body has a different subset. Fields
//! this crate does not know are kept in `extra`, so a body serialises back to the JSON Snowflake
//! sent (key order aside). `data` is read straight into [`RowData`]'s compact buffer.

use std::fmt;

use serde::{
    Deserialize, Deserializer, Serialize,
    de::{MapAccess, Visitor},
};
use serde_json::{Map, Value as Json};

use crate::{
    result::{RowData, RowsSeed, Source},
    value::ColumnType,
};

/// A body of the SQL API's statements endpoints.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct StatementResponse {
    /// `090001` success, `333334` running, `000604` cancelled, or an error code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// The SQLSTATE (`00000` on success).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sql_state: Option<String>,
    /// Snowflake's message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The statement's handle.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_handle: Option<String>,
    /// The handles of the statements of a multi-statement request, in order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_handles: Option<Vec<String>>,
    /// The status URL (forms vary; build URLs from the handle instead).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_status_url: Option<String>,
    /// The request id of the submission.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// When the statement was created, epoch milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_on: Option<i64>,
    /// Columns, row count and partitions of a result.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result_set_meta_data: Option<ResultSetMetaData>,
    /// The rows of one partition.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data: Option<RowData>,
    /// DML counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stats: Option<Stats>,
    /// Fields this crate does not know, kept as sent.
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

impl StatementResponse {
    /// Parses a response body. The body is kept as the storage of the rows' cells, which are
    /// borrowed from it rather than copied.
    pub fn from_body(body: String) -> serde_json::Result<Self> {
        RowData::parse_body(
            body,
            |text, source| {
                let mut deserializer = serde_json::Deserializer::from_str(text);
                let response = (&mut deserializer).deserialize_map(ResponseVisitor(source))?;
                deserializer.end()?;
                Ok(response)
            },
            |response| response.data.as_mut(),
        )
    }

    /// The code of a statement still running.
    pub const RUNNING: &'static str = "333334";
    /// The code of a successful statement.
    pub const SUCCESS: &'static str = "090001";
}

/// `resultSetMetaData`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ResultSetMetaData {
    /// Rows in all partitions.
    #[serde(default)]
    pub num_rows: u64,
    /// Always `jsonv2`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub format: Option<String>,
    /// The columns, in order.
    #[serde(default)]
    pub row_type: Vec<Column>,
    /// The partitions, in order; partition 0 arrives with the metadata.
    #[serde(default)]
    pub partition_info: Vec<PartitionInfo>,
    /// Fields this crate does not know.
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

/// `partitionInfo[]`.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct PartitionInfo {
    /// Rows in the partition.
    pub row_count: u64,
    /// Bytes of the rows as JSON (informational).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uncompressed_size: Option<u64>,
    /// Bytes gzipped, in multi-partition results.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compressed_size: Option<u64>,
    /// Fields this crate does not know.
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

/// `rowType[]`: one result column.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Column {
    /// The column name (aliases upper case unless quoted; SHOW columns lower case).
    pub name: String,
    /// The source database, `""` for expressions.
    #[serde(default)]
    pub database: String,
    /// The source schema, `""` for expressions.
    #[serde(default)]
    pub schema: String,
    /// The source table, `""` for expressions.
    #[serde(default)]
    pub table: String,
    /// The type name as sent (`fixed`, `text`, `timestamp_ntz`, …).
    #[serde(rename = "type")]
    pub type_name: String,
    /// Fraction digits of `fixed` and `time`/`timestamp_*`.
    #[serde(default)]
    pub scale: Option<i64>,
    /// Digits of `fixed`.
    #[serde(default)]
    pub precision: Option<i64>,
    /// Characters of `text`, bytes of `binary`.
    #[serde(default)]
    pub length: Option<i64>,
    /// Bytes of `text`/`binary`.
    #[serde(default)]
    pub byte_length: Option<i64>,
    /// Whether the column can hold NULL.
    #[serde(default)]
    pub nullable: bool,
    /// The collation, if any.
    #[serde(default)]
    pub collation: Option<String>,
    /// `GEOGRAPHY`/`GEOMETRY` for those columns (whose `type` is `object`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ext_type_name: Option<String>,
    /// Fields this crate does not know.
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

impl Column {
    /// The column's type.
    pub fn kind(&self) -> ColumnType {
        ColumnType::from_name(&self.type_name)
    }
}

/// `stats` of a DML statement.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct Stats {
    /// Rows inserted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_rows_inserted: Option<u64>,
    /// Rows updated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_rows_updated: Option<u64>,
    /// Rows deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_rows_deleted: Option<u64>,
    /// Duplicate rows of a DML statement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub num_dml_duplicates: Option<u64>,
    /// Fields this crate does not know.
    #[serde(flatten)]
    pub extra: Map<String, Json>,
}

// Written out rather than derived: serde's `flatten` would first buffer the whole body, `data`
// included, as generic JSON, defeating the compact row buffer.
impl<'de> Deserialize<'de> for StatementResponse {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(ResponseVisitor(&Source::default()))
    }
}

struct ResponseVisitor<'a>(&'a Source);

impl<'de> Visitor<'de> for ResponseVisitor<'_> {
    type Value = StatementResponse;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a SQL API response object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut response = StatementResponse::default();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "code" => response.code = map.next_value::<Option<CodeText>>()?.map(|c| c.0),
                "sqlState" => response.sql_state = map.next_value()?,
                "message" => response.message = map.next_value()?,
                "statementHandle" => response.statement_handle = map.next_value()?,
                "statementHandles" => response.statement_handles = map.next_value()?,
                "statementStatusUrl" => response.statement_status_url = map.next_value()?,
                "requestId" => response.request_id = map.next_value()?,
                "createdOn" => response.created_on = map.next_value()?,
                "resultSetMetaData" => response.result_set_meta_data = map.next_value()?,
                "data" => response.data = map.next_value_seed(RowsSeed(self.0))?,
                "stats" => response.stats = map.next_value()?,
                _ => {
                    response.extra.insert(key, map.next_value()?);
                }
            }
        }
        Ok(response)
    }
}

/// An error code, which some bodies send as a number.
struct CodeText(String);

impl<'de> Deserialize<'de> for CodeText {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        match Json::deserialize(deserializer)? {
            Json::String(text) => Ok(Self(text)),
            Json::Number(number) => Ok(Self(number.to_string())),
            other => Err(serde::de::Error::custom(format!(
                "expected the code as a string, got {other}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    #[test]
    fn error_and_status_bodies_parse() {
        let body = json!({"code": "000709", "message": "Statement 00000000-0000-0000-0000-000000000000 not found",
            "sqlState": "02000", "statementHandle": "00000000-0000-0000-0000-000000000000"});
        let parsed: StatementResponse = serde_json::from_value(body).unwrap();
        assert_eq!(parsed.code.as_deref(), Some("000709"));
        assert_eq!(parsed.sql_state.as_deref(), Some("02000"));
        let servlet = json!({"servlet": "com.sun.jersey.spi.container.servlet.ServletContainer-53c8845f",
            "message": "Bad Request", "url": "/api/v2/statements", "status": "400"});
        let parsed: StatementResponse = serde_json::from_value(servlet.clone()).unwrap();
        assert_eq!(parsed.code, None);
        assert_eq!(serde_json::to_value(&parsed).unwrap(), servlet);
        let numeric: StatementResponse = serde_json::from_value(json!({"code": 0})).unwrap();
        assert_eq!(numeric.code.as_deref(), Some("0"));
    }

    #[test]
    fn dml_stats_and_multi_statement_handles_parse() {
        let body = json!({"code": "090001", "statementHandles": ["01c4-1f16", "01c4-1f1a"],
            "stats": {"numRowsInserted": 2, "numRowsDeleted": 0, "numRowsUpdated": 0, "numDmlDuplicates": 0}});
        let parsed: StatementResponse = serde_json::from_value(body.clone()).unwrap();
        assert_eq!(parsed.statement_handles.as_deref().unwrap().len(), 2);
        assert_eq!(parsed.stats.as_ref().unwrap().num_rows_inserted, Some(2));
        assert_eq!(serde_json::to_value(&parsed).unwrap(), body);
    }
}
