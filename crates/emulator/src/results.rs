//! Statement results cut into partitions as they are produced (reference §2.7).
//!
//! [`PartitionSink`] is the [`RowSink`] every statement writes into: each row is encoded straight
//! into the current partition's buffer as a compact JSON array of strings; when the buffer reaches
//! its target size the partition is sealed. Partition 0 stays as plain rows (it is served inline
//! with the metadata); every later partition is gzipped once, as the `{"data":[…]}` body it is
//! served as, and only the compressed bytes are kept. Targets grow by doubling from
//! [`crate::Config::partition_size`] up to 64 times it, like Snowflake's growing partitions, so a
//! large result needs few requests and memory holds one uncompressed partition at a time.

use std::io::Write;

use bytes::Bytes;
use flate2::{Compression, write::GzEncoder};

use crate::exec::{Column, DmlStats, RowSink};

/// How much larger than the first partition later ones may grow.
const MAX_GROWTH: usize = 64;

/// One finished statement's result, as kept behind its handle.
#[derive(Debug)]
pub(crate) struct ResultSet {
    /// `resultSetMetaData.rowType`, serialized once.
    pub row_type: String,
    pub num_rows: u64,
    /// At least one partition (an empty result has one with no rows).
    pub partitions: Vec<Partition>,
    pub stats: Option<DmlStats>,
    /// The children of a multi-statement request, in statement order.
    pub statement_handles: Option<Vec<String>>,
}

impl ResultSet {
    /// Bytes kept in memory for this result, for the memory budget.
    pub fn size(&self) -> usize {
        self.row_type.len() + self.partitions.iter().map(|p| p.body.len()).sum::<usize>()
    }
}

/// One partition of a result.
#[derive(Debug)]
pub(crate) struct Partition {
    pub row_count: u64,
    /// Length of the rows as compact JSON joined by commas (what `partitionInfo` reports).
    pub uncompressed_size: u64,
    /// Length of the gzipped partition, reported when a result has more than one partition.
    pub compressed_size: u64,
    /// Partition 0: the rows joined by commas, without brackets. Later partitions: the gzipped
    /// `{"data":[…]}` body.
    pub body: Bytes,
}

/// The [`RowSink`] that builds a [`ResultSet`].
#[derive(Debug)]
pub(crate) struct PartitionSink {
    columns: Vec<Column>,
    current: Vec<u8>,
    current_rows: u64,
    num_rows: u64,
    target: usize,
    max_target: usize,
    /// `nullable=false`: SQL NULL is written as the string `"null"`.
    null_as_text: bool,
    partitions: Vec<Partition>,
}

impl PartitionSink {
    pub fn new(partition_size: usize, null_as_text: bool) -> Self {
        let partition_size = partition_size.max(1);
        Self {
            columns: Vec::new(),
            current: Vec::with_capacity(partition_size.min(1 << 20) + 1024),
            current_rows: 0,
            num_rows: 0,
            target: partition_size,
            max_target: partition_size.saturating_mul(MAX_GROWTH),
            null_as_text,
            partitions: Vec::new(),
        }
    }

    /// Seals the last partition and returns the result.
    pub fn finish(mut self, stats: Option<DmlStats>) -> ResultSet {
        if self.current_rows > 0 || self.partitions.is_empty() {
            self.seal();
        }
        if self.partitions.len() > 1 {
            let first = &mut self.partitions[0];
            first.compressed_size = gzip_data(&first.body).len() as u64;
        }
        ResultSet {
            row_type: serde_json::to_string(&self.columns).unwrap_or_else(|_| "[]".to_owned()),
            num_rows: self.num_rows,
            partitions: self.partitions,
            stats,
            statement_handles: None,
        }
    }

    fn seal(&mut self) {
        let rows = std::mem::take(&mut self.current);
        let uncompressed_size = rows.len() as u64;
        let body = if self.partitions.is_empty() {
            Bytes::from(rows)
        } else {
            Bytes::from(gzip_data(&rows))
        };
        self.partitions.push(Partition {
            row_count: std::mem::take(&mut self.current_rows),
            uncompressed_size,
            compressed_size: body.len() as u64,
            body,
        });
        self.target = (self.target * 2).min(self.max_target);
        self.current = Vec::with_capacity(self.target.min(1 << 24) + 1024);
    }
}

impl RowSink for PartitionSink {
    fn columns(&mut self, columns: &[Column]) {
        self.columns = columns.to_vec();
    }

    fn row(&mut self, cells: &[Option<&str>]) {
        let out = &mut self.current;
        if !out.is_empty() {
            out.push(b',');
        }
        out.push(b'[');
        for (i, cell) in cells.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            match cell {
                Some(text) => write_json_string(out, text),
                None if self.null_as_text => out.extend_from_slice(b"\"null\""),
                None => out.extend_from_slice(b"null"),
            }
        }
        out.push(b']');
        self.current_rows += 1;
        self.num_rows += 1;
        if self.current.len() >= self.target {
            self.seal();
        }
    }
}

/// A text column as Snowflake describes computed text (`length` 16777216), e.g. the one column
/// of a multi-statement request's result.
pub(crate) fn text_column(name: &str) -> Column {
    Column {
        name: name.to_owned(),
        database: String::new(),
        schema: String::new(),
        table: String::new(),
        scale: None,
        byte_length: Some(16_777_216),
        nullable: true,
        collation: None,
        precision: None,
        length: Some(16_777_216),
        kind: "text".to_owned(),
        ext_type_name: None,
    }
}

/// Appends `text` as a JSON string literal.
fn write_json_string(out: &mut Vec<u8>, text: &str) {
    // Most cells (numbers, names, timestamps) need no escaping: copy them in one go.
    if !text.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
        return;
    }
    // serde_json's escaping is the reference; writing into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, text);
}

/// `{"data":[<rows>]}` gzipped, the body of partitions after the first.
fn gzip_data(rows: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::with_capacity(rows.len() / 4 + 64), Compression::fast());
    // Writing into a Vec cannot fail.
    let _ = encoder
        .write_all(b"{\"data\":[")
        .and_then(|()| encoder.write_all(rows))
        .and_then(|()| encoder.write_all(b"]}"));
    encoder.finish().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn gunzip(bytes: &[u8]) -> String {
        let mut text = String::new();
        flate2::read::GzDecoder::new(bytes)
            .read_to_string(&mut text)
            .expect("valid gzip");
        text
    }

    #[test]
    fn rows_are_cut_into_growing_partitions_that_hold_every_row() {
        let mut sink = PartitionSink::new(100, false);
        sink.columns(&[text_column("C")]);
        for i in 0..200 {
            let cell = format!("row \"{i}\"");
            sink.row(&[Some(&cell)]);
        }
        let result = sink.finish(None);
        assert_eq!(result.num_rows, 200);
        assert!(result.partitions.len() > 3);
        assert!(result.partitions[2].row_count > result.partitions[1].row_count);
        let mut all = Vec::new();
        let first: serde_json::Value =
            serde_json::from_slice(&[b"[", &result.partitions[0].body[..], b"]"].concat())
                .expect("partition 0 is JSON rows");
        all.extend(first.as_array().expect("rows").iter().cloned());
        for partition in &result.partitions[1..] {
            let text = gunzip(&partition.body);
            let body: serde_json::Value = serde_json::from_str(&text).expect("JSON body");
            assert_eq!(
                partition.uncompressed_size as usize,
                text.len() - "{\"data\":[]}".len()
            );
            let rows = body["data"].as_array().expect("data");
            assert_eq!(rows.len() as u64, partition.row_count);
            all.extend(rows.iter().cloned());
        }
        assert_eq!(all.len(), 200);
        assert_eq!(all[199][0], "row \"199\"");
        assert!(result.partitions.iter().all(|p| p.compressed_size > 0));
    }

    #[test]
    fn an_empty_result_is_one_empty_partition_and_nulls_follow_nullable() {
        let mut sink = PartitionSink::new(100, false);
        sink.columns(&[text_column("C")]);
        let empty = sink.finish(None);
        assert_eq!(empty.partitions.len(), 1);
        assert_eq!(empty.partitions[0].row_count, 0);
        assert_eq!(empty.partitions[0].uncompressed_size, 0);

        let mut sink = PartitionSink::new(1000, true);
        sink.row(&[None, Some("x")]);
        let result = sink.finish(None);
        assert_eq!(&result.partitions[0].body[..], b"[\"null\",\"x\"]");
        assert_eq!(result.partitions[0].uncompressed_size, 12);
    }
}
