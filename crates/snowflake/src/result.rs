//! Results: columns, partitions of rows in one compact buffer, rows read by index or name, and
//! the [`ResultSet`] that streams partitions.
//!
//! A partition's cells are spans of the response body they came in ([`RowData`]): the JSON
//! parser borrows each string from the body, so a cell costs eight bytes and no copy; only
//! strings with escapes are unescaped into a side buffer. A row is a view into that. Raw cell
//! strings are exactly the jsonv2 strings Snowflake sent; typed values decode on demand.
//!
//! A [`ResultSet`] holds partition 0 (from the first response) and fetches the others on demand,
//! at most `prefetch` ahead in parallel, yielding them in order. Memory is bounded by
//! `prefetch + 1` partitions whatever the result size. Every partition is checked against the
//! metadata (row count, cells per row), so a short or malformed result is an error, never a
//! silently smaller result.

use std::{fmt, pin::Pin, sync::Arc};

use futures::{Stream, StreamExt, stream};
use serde::{
    Deserialize, Deserializer, Serialize, Serializer,
    de::{DeserializeSeed, SeqAccess, Visitor},
    ser::SerializeSeq,
};
use tokio_util::task::AbortOnDropHandle;

use crate::{
    Error,
    client::Client,
    response::{Column, PartitionInfo, StatementResponse, Stats},
    value::{ColumnType, DecodeError, Value},
};

/// A cell's place: a byte range of the body, or of the side buffer when `start` has [`OWN`]
/// set; `start == u32::MAX` marks NULL.
#[derive(Clone, Copy)]
struct Span {
    start: u32,
    end: u32,
}

const NULL: Span = Span {
    start: u32::MAX,
    end: u32::MAX,
};
/// Marks a span of the side buffer.
const OWN: u32 = 1 << 31;

/// The rows of one partition: spans of the body they were parsed from. Deserialises from and
/// serialises to the SQL API's `data` (`[["1", null, …], …]`).
#[derive(Clone, Default)]
pub struct RowData {
    /// The body the rows were parsed from, when parsed by [`RowData::parse_body`].
    source: Arc<String>,
    /// Cells not borrowed from `source`: unescaped strings, or all of them otherwise.
    own: String,
    cells: Vec<Span>,
    width: usize,
    rows: usize,
}

impl fmt::Debug for RowData {
    // Cells may be customer data: show the shape only.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RowData")
            .field("rows", &self.rows)
            .field("width", &self.width)
            .field("bytes", &(self.source.len() + self.own.len()))
            .finish()
    }
}

impl RowData {
    /// Rows held.
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// Cells per row (0 when there are no rows).
    pub fn width(&self) -> usize {
        self.width
    }

    /// The raw string of a cell; `None` for NULL or a cell out of range.
    pub fn cell(&self, row: usize, column: usize) -> Option<&str> {
        if row >= self.rows || column >= self.width {
            return None;
        }
        let Span { start, end } = self.cells[row * self.width + column];
        match start {
            u32::MAX => None,
            _ if start & OWN != 0 => Some(&self.own[(start & !OWN) as usize..end as usize]),
            _ => Some(&self.source[start as usize..end as usize]),
        }
    }

    /// Removes the first row (the SHOW pager drops a repeated boundary row this way).
    pub(crate) fn remove_first_row(&mut self) {
        if self.rows > 0 {
            self.cells.drain(..self.width);
            self.rows -= 1;
        }
    }

    /// Parses `data` from a whole response body with `parse`, keeping the body as the storage
    /// of the cells instead of copying them.
    pub(crate) fn parse_body<T>(
        body: String,
        parse: impl FnOnce(&str, &Source) -> serde_json::Result<T>,
        data: impl FnOnce(&mut T) -> Option<&mut RowData>,
    ) -> serde_json::Result<T> {
        let start = body.as_ptr() as usize;
        let source = Source(Some(start..start + body.len()));
        let mut parsed = parse(&body, &source)?;
        if let Some(rows) = data(&mut parsed) {
            rows.source = Arc::new(body);
        }
        Ok(parsed)
    }
}

/// Where the text being parsed lives in memory, so that borrowed strings can be kept as spans.
#[derive(Clone, Debug, Default)]
pub(crate) struct Source(Option<std::ops::Range<usize>>);

/// A [`RowData`] being filled.
struct Builder<'a> {
    data: RowData,
    source: &'a Source,
}

impl Builder<'_> {
    fn push_cell(&mut self, text: Option<&str>) -> Result<(), &'static str> {
        const TOO_LARGE: &str = "a partition above 2 GiB";
        let Some(text) = text else {
            self.data.cells.push(NULL);
            return Ok(());
        };
        let address = text.as_ptr() as usize;
        let borrowed = self
            .source
            .0
            .as_ref()
            .filter(|range| range.start <= address && address + text.len() <= range.end);
        let (start, end) = match borrowed {
            Some(range) => {
                let start = address - range.start;
                (start, start + text.len())
            }
            None => {
                let start = self.data.own.len();
                self.data.own.push_str(text);
                (start, self.data.own.len())
            }
        };
        let end = u32::try_from(end)
            .ok()
            .filter(|end| *end < OWN)
            .ok_or(TOO_LARGE)?;
        let flag = if borrowed.is_some() { 0 } else { OWN };
        self.data.cells.push(Span {
            start: start as u32 | flag,
            end,
        });
        Ok(())
    }
}

impl Serialize for RowData {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        struct RowCells<'a>(&'a RowData, usize);
        impl Serialize for RowCells<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let RowCells(data, row) = *self;
                let mut cells = serializer.serialize_seq(Some(data.width))?;
                for column in 0..data.width {
                    cells.serialize_element(&data.cell(row, column))?;
                }
                cells.end()
            }
        }
        let mut rows = serializer.serialize_seq(Some(self.rows))?;
        for row in 0..self.rows {
            rows.serialize_element(&RowCells(self, row))?;
        }
        rows.end()
    }
}

impl<'de> Deserialize<'de> for RowData {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_seq(RowsVisitor(&Source::default()))
    }
}

/// Reads `data` (or `null`), keeping strings borrowed from the [`Source`] as spans.
pub(crate) struct RowsSeed<'a>(pub(crate) &'a Source);

impl<'de> DeserializeSeed<'de> for RowsSeed<'_> {
    type Value = Option<RowData>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_> {
    type Value = Option<RowData>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of rows or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(RowsVisitor(self.0)).map(Some)
    }
}

struct RowsVisitor<'a>(&'a Source);

impl<'de> Visitor<'de> for RowsVisitor<'_> {
    type Value = RowData;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of rows")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut rows: A) -> Result<RowData, A::Error> {
        let mut builder = Builder {
            data: RowData::default(),
            source: self.0,
        };
        while rows.next_element_seed(RowSeed(&mut builder))?.is_some() {}
        Ok(builder.data)
    }
}

/// Reads one row into the builder.
struct RowSeed<'a, 'b>(&'a mut Builder<'b>);

impl<'de> DeserializeSeed<'de> for RowSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a row: an array of strings and nulls")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut cells: A) -> Result<(), A::Error> {
        let builder = self.0;
        let before = builder.data.cells.len();
        while cells.next_element_seed(CellSeed(&mut *builder))?.is_some() {}
        let data = &mut builder.data;
        let width = data.cells.len() - before;
        if data.rows == 0 {
            data.width = width;
        } else if width != data.width {
            return Err(serde::de::Error::custom(format!(
                "row {} has {width} cells where the first row has {}",
                data.rows, data.width
            )));
        }
        data.rows += 1;
        Ok(())
    }
}

/// Reads one cell (a string or null) into the builder.
struct CellSeed<'a, 'b>(&'a mut Builder<'b>);

impl<'de> DeserializeSeed<'de> for CellSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_option(self)
    }
}

impl<'de> Visitor<'de> for CellSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a cell: a string or null")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<(), E> {
        self.0.push_cell(None).map_err(E::custom)
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<(), E> {
        self.visit_none()
    }

    fn visit_some<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(CellSeed(self.0))
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<(), E> {
        self.0.push_cell(Some(text)).map_err(E::custom)
    }
}

/// The columns of a result, from `rowType`.
#[derive(Clone, Debug)]
pub struct Columns {
    columns: Vec<Column>,
    kinds: Vec<ColumnType>,
}

impl Columns {
    /// Columns from `rowType`.
    pub fn new(columns: Vec<Column>) -> Self {
        let kinds = columns.iter().map(Column::kind).collect();
        Self { columns, kinds }
    }

    /// The number of columns.
    pub fn len(&self) -> usize {
        self.columns.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.columns.is_empty()
    }

    /// The column at `index`.
    pub fn get(&self, index: usize) -> Option<&Column> {
        self.columns.get(index)
    }

    /// The columns in order.
    pub fn iter(&self) -> std::slice::Iter<'_, Column> {
        self.columns.iter()
    }

    /// The index of the first column named exactly `name`. Resolve names once per result and
    /// read cells by index in loops.
    pub fn index_of(&self, name: &str) -> Option<usize> {
        // A few dozen columns at most: a scan beats hashing.
        self.columns.iter().position(|column| column.name == name)
    }

    /// The column names in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.columns.iter().map(|column| column.name.as_str())
    }
}

/// One partition of a result: its rows and the result's columns.
#[derive(Clone, Debug)]
pub struct Partition {
    index: usize,
    columns: Arc<Columns>,
    data: RowData,
}

impl Partition {
    /// Joins rows to their columns, checking that every row has one cell per column.
    pub(crate) fn new(index: usize, columns: Arc<Columns>, data: RowData) -> Result<Self, Error> {
        if !data.is_empty() && data.width() != columns.len() {
            return Err(Error::Protocol(format!(
                "partition {index} has rows of {} cells for {} columns",
                data.width(),
                columns.len()
            )));
        }
        Ok(Self {
            index,
            columns,
            data,
        })
    }

    /// The partition's number (0-based).
    pub fn index(&self) -> usize {
        self.index
    }

    /// The result's columns.
    pub fn columns(&self) -> &Columns {
        &self.columns
    }

    /// The number of rows.
    pub fn len(&self) -> usize {
        self.data.len()
    }

    /// Whether there are no rows.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The row at `index`.
    pub fn row(&self, index: usize) -> Option<Row<'_>> {
        (index < self.data.len()).then_some(Row {
            partition: self,
            row: index,
        })
    }

    /// The rows in order.
    pub fn rows(&self) -> impl ExactSizeIterator<Item = Row<'_>> {
        (0..self.data.len()).map(move |row| Row {
            partition: self,
            row,
        })
    }

    /// The raw rows, e.g. to serialise them as the SQL API's `data`.
    pub fn data(&self) -> &RowData {
        &self.data
    }

    pub(crate) fn data_mut(&mut self) -> &mut RowData {
        &mut self.data
    }
}

/// One row of a partition.
#[derive(Clone, Copy)]
pub struct Row<'a> {
    partition: &'a Partition,
    row: usize,
}

impl fmt::Debug for Row<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Row")
            .field("partition", &self.partition.index)
            .field("row", &self.row)
            .finish_non_exhaustive()
    }
}

impl<'a> Row<'a> {
    /// The number of cells.
    pub fn len(&self) -> usize {
        self.partition.columns.len()
    }

    /// Whether the row has no cells.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The raw jsonv2 string of column `index`, exactly as Snowflake sent it; `None` for NULL.
    ///
    /// # Panics
    /// If `index` is not below [`Row::len`].
    pub fn raw(&self, index: usize) -> Option<&'a str> {
        assert!(
            index < self.len(),
            "column {index} of a {}-column row",
            self.len()
        );
        self.partition.data.cell(self.row, index)
    }

    /// The raw string of the column named `name`; `None` for NULL or when there is no such
    /// column (SHOW outputs gain columns over time; read them by name).
    pub fn get(&self, name: &str) -> Option<&'a str> {
        let index = self.partition.columns.index_of(name)?;
        self.partition.data.cell(self.row, index)
    }

    /// The typed value of column `index`.
    ///
    /// # Panics
    /// If `index` is not below [`Row::len`].
    pub fn value(&self, index: usize) -> Result<Value<'a>, DecodeError> {
        let raw = self.raw(index);
        let columns = &self.partition.columns;
        Value::decode(&columns.columns[index].name, columns.kinds[index], raw)
    }

    /// The typed value of the column named `name`.
    pub fn value_by_name(&self, name: &str) -> Result<Value<'a>, Error> {
        let index = self
            .partition
            .columns
            .index_of(name)
            .ok_or_else(|| Error::Config(format!("the result has no column named {name:?}")))?;
        Ok(self.value(index)?)
    }

    /// The raw cells in column order.
    pub fn raw_cells(&self) -> impl ExactSizeIterator<Item = Option<&'a str>> + 'a {
        let Row { partition, row } = *self;
        (0..partition.columns.len()).map(move |column| partition.data.cell(row, column))
    }
}

type PartitionStream = Pin<Box<dyn Stream<Item = Result<RowData, Error>> + Send>>;

/// A statement's result: its metadata, and its partitions streamed in order.
pub struct ResultSet {
    response: StatementResponse,
    columns: Arc<Columns>,
    first: Option<RowData>,
    rest: PartitionStream,
    next_index: usize,
}

impl fmt::Debug for ResultSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResultSet")
            .field("statement_handle", &self.response.statement_handle)
            .field("num_rows", &self.num_rows())
            .field("partitions", &self.partition_count())
            .field("next_index", &self.next_index)
            .finish_non_exhaustive()
    }
}

impl ResultSet {
    /// A result from the body of a finished statement, fetching partitions 1… through `client`.
    pub(crate) fn new(
        client: &Client,
        mut response: StatementResponse,
        prefetch: usize,
    ) -> Result<Self, Error> {
        let metadata = response.result_set_meta_data.as_ref().ok_or_else(|| {
            Error::Protocol("a finished statement's answer has no resultSetMetaData".into())
        })?;
        let columns = Arc::new(Columns::new(metadata.row_type.clone()));
        let first = response.data.take().unwrap_or_default();
        let handle = response.statement_handle.clone().unwrap_or_default();
        // Bodies run a little above the rows' compact size Snowflake announces.
        let size_hints = metadata
            .partition_info
            .iter()
            .map(|partition| {
                let rows = partition.uncompressed_size.unwrap_or(0) as usize;
                rows + rows / 10 + 1024
            })
            .collect();
        Ok(Self {
            rest: partition_stream(client.clone(), handle, size_hints, prefetch),
            response,
            columns,
            first: Some(first),
            next_index: 0,
        })
    }

    /// The result's columns.
    pub fn columns(&self) -> &Columns {
        &self.columns
    }

    /// Rows in all partitions (`resultSetMetaData.numRows`).
    pub fn num_rows(&self) -> u64 {
        self.metadata().map_or(0, |metadata| metadata.num_rows)
    }

    /// The number of partitions.
    pub fn partition_count(&self) -> usize {
        self.partition_info().len().max(1)
    }

    /// The statement handle.
    pub fn statement_handle(&self) -> &str {
        self.response
            .statement_handle
            .as_deref()
            .unwrap_or_default()
    }

    /// The child statements of a multi-statement request, in order (empty otherwise).
    pub fn statement_handles(&self) -> &[String] {
        self.response
            .statement_handles
            .as_deref()
            .unwrap_or_default()
    }

    /// DML counts, if Snowflake sent them.
    pub fn stats(&self) -> Option<&Stats> {
        self.response.stats.as_ref()
    }

    /// The first response without its rows: code, message, handle, metadata, stats.
    pub fn response(&self) -> &StatementResponse {
        &self.response
    }

    fn metadata(&self) -> Option<&crate::response::ResultSetMetaData> {
        self.response.result_set_meta_data.as_ref()
    }

    fn partition_info(&self) -> &[PartitionInfo] {
        self.metadata()
            .map_or(&[], |metadata| metadata.partition_info.as_slice())
    }

    /// The next partition in order, fetching it if needed; `None` after the last.
    pub async fn next_partition(&mut self) -> Option<Result<Partition, Error>> {
        let index = self.next_index;
        if index >= self.partition_count() {
            return None;
        }
        let data = match self.first.take() {
            Some(first) => first,
            None => match self.rest.next().await? {
                Ok(data) => data,
                Err(error) => {
                    self.next_index = usize::MAX;
                    return Some(Err(error));
                }
            },
        };
        self.next_index += 1;
        if let Some(expected) = self.partition_info().get(index).map(|p| p.row_count)
            && expected != data.len() as u64
        {
            self.next_index = usize::MAX;
            return Some(Err(Error::Protocol(format!(
                "partition {index} has {} rows where the metadata announced {expected}",
                data.len()
            ))));
        }
        Some(Partition::new(index, self.columns.clone(), data))
    }

    /// The partitions as a stream.
    pub fn into_stream(self) -> impl Stream<Item = Result<Partition, Error>> + Send {
        stream::unfold(self, |mut result| async move {
            let partition = result.next_partition().await?;
            Some((partition, result))
        })
    }

    /// Reads every partition into memory. For small results (tests, actions); stream large ones.
    pub async fn collect(mut self) -> Result<Vec<Partition>, Error> {
        let mut partitions = Vec::with_capacity(self.partition_count());
        while let Some(partition) = self.next_partition().await {
            partitions.push(partition?);
        }
        Ok(partitions)
    }
}

/// Partitions 1… (one per size hint after the first), each fetched and parsed in its own task,
/// at most `prefetch` ahead of the consumer, yielded in order. Dropping the stream aborts the
/// fetches in flight.
fn partition_stream(
    client: Client,
    handle: String,
    size_hints: Vec<usize>,
    prefetch: usize,
) -> PartitionStream {
    let fetches =
        stream::iter(size_hints.into_iter().enumerate().skip(1)).map(move |(index, size_hint)| {
            let client = client.clone();
            let handle = handle.clone();
            AbortOnDropHandle::new(tokio::spawn(async move {
                client.partition_rows(&handle, index, size_hint).await
            }))
        });
    Box::pin(fetches.buffered(prefetch.max(1)).map(|joined| {
        joined.unwrap_or_else(|error| {
            Err(Error::Protocol(format!(
                "a partition fetch failed: {error}"
            )))
        })
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::response::StatementResponse;

    fn rows(json: &str) -> RowData {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn cells_keep_their_exact_strings_and_nulls() {
        let data = rows(r#"[["1","a\"b\\c\n",null],["2","",null],["3","h\u00e9\ud83d\ude00",""]]"#);
        assert_eq!((data.len(), data.width()), (3, 3));
        assert_eq!(data.cell(0, 1), Some("a\"b\\c\n"));
        assert_eq!(data.cell(0, 2), None);
        assert_eq!(data.cell(1, 1), Some(""));
        assert_eq!(data.cell(2, 1), Some("hé😀"));
        assert_eq!(data.cell(2, 2), Some(""));
        assert_eq!(data.cell(3, 0), None);
        let back = serde_json::to_string(&data).unwrap();
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&back).unwrap(),
            serde_json::json!([["1", "a\"b\\c\n", null], ["2", "", null], ["3", "hé😀", ""]])
        );
    }

    #[test]
    fn cells_of_a_parsed_body_are_borrowed_not_copied() {
        let body = r#"{"code":"090001","data":[["plain","esc\"aped",null],["h\u00e9","",null]]}"#;
        let response = StatementResponse::from_body(body.to_owned()).unwrap();
        let data = response.data.unwrap();
        assert_eq!(data.cell(0, 0), Some("plain"));
        assert_eq!(data.cell(0, 1), Some("esc\"aped"));
        assert_eq!(data.cell(0, 2), None);
        assert_eq!(data.cell(1, 0), Some("hé"));
        assert_eq!(data.cell(1, 1), Some(""));
        assert_eq!(
            data.own, "esc\"apedhé",
            "only strings with escapes are copied"
        );
        assert_eq!(data.source.as_str(), body);
        let generic: RowData = serde_json::from_str(r#"[["plain"]]"#).unwrap();
        assert_eq!(
            (generic.cell(0, 0), generic.own.as_str()),
            (Some("plain"), "plain")
        );
    }

    #[test]
    fn ragged_rows_and_non_string_cells_are_refused() {
        let error = serde_json::from_str::<RowData>(r#"[["1","2"],["3"]]"#).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("row 1 has 1 cells where the first row has 2"),
            "{error}"
        );
        assert!(serde_json::from_str::<RowData>(r#"[[1]]"#).is_err());
        assert!(serde_json::from_str::<RowData>(r#"{"a":1}"#).is_err());
        assert!(serde_json::from_str::<RowData>("[]").unwrap().is_empty());
    }

    #[test]
    fn rows_read_by_index_name_and_type_from_a_recorded_result() {
        // From execute-statement.test.json, three of its seven columns.
        let recorded = r#"{
          "resultSetMetaData": {"numRows": 2, "format": "jsonv2",
            "partitionInfo": [{"rowCount": 2, "uncompressedSize": 179}],
            "rowType": [
              {"name": "CUSTOMER_ID", "database": "NANGO_TEST_DB", "schema": "SALES", "table": "CUSTOMERS",
               "scale": 0, "byteLength": null, "nullable": false, "precision": 38, "collation": null,
               "length": null, "type": "fixed"},
              {"name": "EMAIL", "database": "NANGO_TEST_DB", "schema": "SALES", "table": "CUSTOMERS",
               "scale": null, "byteLength": 1020, "nullable": false, "precision": null, "collation": null,
               "length": 255, "type": "text"},
              {"name": "CREATED_AT", "database": "NANGO_TEST_DB", "schema": "SALES", "table": "CUSTOMERS",
               "scale": 9, "byteLength": null, "nullable": true, "precision": 0, "collation": null,
               "length": null, "type": "timestamp_ntz"}]},
          "data": [["1", "alice@acme.com", "1780548544.065000000"], ["2", "bob@globex.com", null]],
          "code": "090001", "statementHandle": "01c4d3e8-0001-e79d-0000-001cd6c3d2a9"}"#;
        let mut response: StatementResponse = serde_json::from_str(recorded).unwrap();
        let metadata = response.result_set_meta_data.take().unwrap();
        let columns = Arc::new(Columns::new(metadata.row_type));
        let partition = Partition::new(0, columns, response.data.take().unwrap()).unwrap();
        assert_eq!(partition.len(), 2);
        let row = partition.row(1).unwrap();
        assert_eq!(row.raw(1), Some("bob@globex.com"));
        assert_eq!(row.get("EMAIL"), Some("bob@globex.com"));
        assert_eq!(row.get("NO_SUCH_COLUMN"), None);
        assert_eq!(row.value(0).unwrap().to_string(), "2");
        assert_eq!(row.value_by_name("CREATED_AT").unwrap(), Value::Null);
        let first = partition.row(0).unwrap();
        assert_eq!(
            first.value_by_name("CREATED_AT").unwrap().to_string(),
            "2026-06-04T04:49:04.065"
        );
        assert!(
            row.value_by_name("NOPE")
                .unwrap_err()
                .to_string()
                .contains("NOPE")
        );
        let cells: Vec<_> = row.raw_cells().collect();
        assert_eq!(cells, [Some("2"), Some("bob@globex.com"), None]);
        assert_eq!(partition.rows().count(), 2);
    }

    #[test]
    fn rows_must_match_the_columns() {
        let columns = Arc::new(Columns::new(vec![Column {
            name: "A".into(),
            type_name: "text".into(),
            ..Column::default()
        }]));
        let error = Partition::new(3, columns, rows(r#"[["1","2"]]"#)).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("partition 3 has rows of 2 cells for 1 columns")
        );
    }

    #[test]
    fn decode_errors_name_the_column_but_not_the_value() {
        let columns = Arc::new(Columns::new(vec![Column {
            name: "BORN".into(),
            type_name: "date".into(),
            ..Column::default()
        }]));
        let partition = Partition::new(0, columns, rows(r#"[["secret-1234"]]"#)).unwrap();
        let error = partition.row(0).unwrap().value(0).unwrap_err().to_string();
        assert!(error.contains("BORN") && error.contains("date"), "{error}");
        assert!(!error.contains("secret-1234"), "{error}");
    }

    #[test]
    fn removing_the_first_row_keeps_the_others() {
        let mut data = rows(r#"[["a","1"],["b","2"],["c","3"]]"#);
        data.remove_first_row();
        assert_eq!(data.len(), 2);
        assert_eq!(data.cell(0, 0), Some("b"));
        assert_eq!(data.cell(1, 1), Some("3"));
    }
}
