//! Decoding throughput and peak memory of a large multi-partition result, over the whole path:
//! HTTP on loopback, gzip, JSON, typed decoding of every cell.
//!
//! ```sh
//! cargo bench -p snowgate-snowflake --bench decode
//! ```
//!
//! A local server answers `SELECT` with a result of 10 mixed columns split into partitions of
//! `PARTITION_ROWS` rows (default 50,000, about Snowflake's largest), partition 0 inline and the
//! others gzipped, as Snowflake serves them. The client streams the partitions and decodes every
//! cell to its typed value. Runs of `ROWS` rows (default `250000,1000000,4000000`) follow each
//! other in one process: the peak resident memory (VmHWM) printed after each shows whether memory
//! grows with the row count. `THREADS` (default 1) sets the runtime's worker threads: with 1,
//! server, HTTP, gzip, parsing and decoding share one core.

use std::{
    hint::black_box,
    io::Write,
    sync::Arc,
    time::{Duration, Instant},
};

use axum::{
    extract::{Query, State},
    http::header,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use serde_json::{Value as Json, json};
use snowgate_snowflake::{AccountIdentifier, Client, ClientConfig, PrivateKey, Statement, Value};

const HANDLE: &str = "01c4d3e8-0001-e79d-0000-001cd6c3d2a9";

fn env_number(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .map(|value| value.replace('_', "").parse().expect("a number"))
        .unwrap_or(default)
}

fn column(name: &str, kind: &str, scale: Option<i64>, precision: Option<i64>) -> Json {
    json!({"name": name, "database": "BENCH", "schema": "PUBLIC", "table": "T", "type": kind,
           "scale": scale, "precision": precision, "length": null, "byteLength": null,
           "nullable": true, "collation": null})
}

/// One partition's rows as JSON text: 10 mixed columns, values varying by row. Written directly,
/// not through `serde_json::Value`, so that building it does not raise the peak memory.
fn partition_rows(rows: usize) -> String {
    let mut text = String::from("[");
    for row in 0..rows {
        if row > 0 {
            text.push(',');
        }
        let note = if row % 5 == 0 {
            "null".to_owned()
        } else {
            format!("\"note with \\\"quotes\\\" and é #{row}\"")
        };
        text.push_str(&format!(
            "[\"{}\",\"{}.{:02}\",\"{}.5\",\"customer {row}\",\"user{row}@example.com\",\"{}\",\"{}\",\"{}.{:09}\",\"{}.{:03} 1500\",{note}]",
            1_000_000 + row,
            row % 100_000,
            row % 100,
            row % 1000,
            row % 2 == 0,
            19_000 + row % 2_000,
            1_700_000_000 + row,
            row % 1_000_000_000,
            1_700_000_000 + row,
            row % 1000,
        ));
    }
    text.push(']');
    text
}

struct Served {
    first: Vec<u8>,
    /// Partitions 1… share one gzipped body, so the server's memory does not grow with them.
    rest_gzipped: Vec<u8>,
}

fn served(total_rows: usize, partition_rows_count: usize) -> Served {
    let partitions = total_rows.div_ceil(partition_rows_count);
    let rows = partition_rows(partition_rows_count);
    let body = format!("{{\"data\":{rows}}}");
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(body.as_bytes()).unwrap();
    let rest_gzipped = encoder.finish().unwrap();
    let metadata = json!({
        "numRows": partitions * partition_rows_count, "format": "jsonv2",
        "partitionInfo": (0..partitions).map(|_| json!({
            "rowCount": partition_rows_count, "uncompressedSize": body.len(),
            "compressedSize": rest_gzipped.len()})).collect::<Vec<_>>(),
        "rowType": [
            column("ID", "fixed", Some(0), Some(38)),
            column("AMOUNT", "fixed", Some(2), Some(12)),
            column("SCORE", "real", None, None),
            column("NAME", "text", None, None),
            column("EMAIL", "text", None, None),
            column("ACTIVE", "boolean", None, None),
            column("DAY", "date", None, None),
            column("UPDATED_AT", "timestamp_ntz", Some(9), Some(0)),
            column("SEEN_AT", "timestamp_tz", Some(3), Some(0)),
            column("NOTE", "text", None, None),
        ],
    });
    let first = format!(
        "{{\"resultSetMetaData\":{metadata},\"data\":{rows},\"code\":\"090001\",\"statementHandle\":\"{HANDLE}\"}}"
    )
    .into_bytes();
    Served {
        first,
        rest_gzipped,
    }
}

async fn serve(served: Arc<Served>) -> String {
    let app = axum::Router::new()
        .route(
            "/api/v2/statements",
            post(|State(served): State<Arc<Served>>| async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    served.first.clone(),
                )
                    .into_response()
            }),
        )
        .route(
            "/api/v2/statements/{handle}",
            get(
                |State(served): State<Arc<Served>>, Query(_query): Query<Json>| async move {
                    Response::builder()
                        .header(header::CONTENT_TYPE, "application/json")
                        .header(header::CONTENT_ENCODING, "gzip")
                        .body(axum::body::Body::from(served.rest_gzipped.clone()))
                        .unwrap()
                },
            ),
        )
        .with_state(served);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// Peak resident memory so far, from the kernel.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| {
            value
                .trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

/// User plus system CPU time of the process.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or("", |(_, rest)| rest)
        .split_whitespace()
        .collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&index| fields.get(index)?.parse::<u64>().ok())
        .sum();
    // Linux reports in clock ticks of 1/100 s on every common configuration.
    Duration::from_millis(ticks * 10)
}

async fn run(client: &Client) -> (usize, u64) {
    let mut result = client
        .query(&Statement::new("SELECT * FROM BENCH.PUBLIC.T"))
        .await
        .unwrap();
    let mut rows = 0;
    let mut checksum = 0u64;
    while let Some(partition) = result.next_partition().await {
        let partition = partition.unwrap();
        for row in partition.rows() {
            for index in 0..row.len() {
                let value = row.value(index).unwrap();
                checksum += u64::from(!matches!(value, Value::Null));
                black_box(value);
            }
            rows += 1;
        }
    }
    (rows, checksum)
}

fn main() {
    let threads = env_number("THREADS", 1);
    let partition_rows_count = env_number("PARTITION_ROWS", 50_000);
    let sizes: Vec<usize> = std::env::var("ROWS")
        .unwrap_or_else(|_| "250000,1000000,4000000".into())
        .split(',')
        .map(|size| {
            size.trim()
                .replace('_', "")
                .parse()
                .expect("ROWS: numbers separated by commas")
        })
        .collect();
    let runtime = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(threads);
        builder
    }
    .enable_all()
    .build()
    .unwrap();
    runtime.block_on(async {
        let key = Arc::new(PrivateKey::generate(2048).unwrap());
        println!(
            "decode benchmark: 10 columns, {partition_rows_count} rows per partition, {threads} runtime thread(s)"
        );
        println!("{:>10} {:>11} {:>9} {:>13} {:>9} {:>16} {:>13}", "rows", "requests", "seconds", "rows/s", "cpu s", "rows/cpu-second", "peak RSS MiB");
        for size in sizes {
            let served = Arc::new(served(size, partition_rows_count));
            let url = serve(Arc::clone(&served)).await;
            let client = Client::new(
                ClientConfig::new(AccountIdentifier::parse("bench").unwrap(), "bench", Arc::clone(&key))
                    .base_url(url.parse().unwrap()),
            )
            .unwrap();
            let (cpu_before, started) = (cpu_time(), Instant::now());
            let (rows, checksum) = run(&client).await;
            let (elapsed, cpu) = (started.elapsed(), cpu_time() - cpu_before);
            assert_eq!(rows, size.div_ceil(partition_rows_count) * partition_rows_count);
            assert!(checksum > 0);
            println!(
                "{rows:>10} {:>11} {:>9.2} {:>13.0} {:>9.2} {:>16.0} {:>13.1}",
                client.request_count(),
                elapsed.as_secs_f64(),
                rows as f64 / elapsed.as_secs_f64(),
                cpu.as_secs_f64(),
                rows as f64 / cpu.as_secs_f64().max(0.01),
                peak_rss_mib(),
            );
        }
    });
}
