//! Benchmarks of the account half, timed once each on a large generated account (each run takes
//! seconds, so repeated sampling would only slow the machine the other engineers share):
//!
//! * generating the 100,000-table account (20 databases × 50 schemas × 100 tables × 20
//!   columns, 100 users, 50 roles; target under 10 s);
//! * `SHOW COLUMNS IN DATABASE`, `SHOW TABLES IN ACCOUNT LIMIT 10000` and
//!   `INFORMATION_SCHEMA.COLUMNS` over it;
//! * a 1,000,000-row SELECT of mixed types encoded into jsonv2 cells (the account side of serving
//!   it; `benches/serve.rs` measures the HTTP side).
//!
//! `cargo bench -p snowgate-emulator --bench account`; set `SNOWGATE_BENCH_SPEC` to another
//! generate spec to scale it.

use std::time::{Duration, Instant};

use snowgate_emulator::{
    account::{Account, AccountNames, GenerateSpec},
    exec::{Bindings, Column, RowSink},
};

/// Counts rows and the bytes of their cells, as the HTTP side would receive them.
#[derive(Debug, Default)]
struct Counting {
    rows: u64,
    bytes: u64,
}

impl RowSink for Counting {
    fn columns(&mut self, _columns: &[Column]) {}

    fn row(&mut self, cells: &[Option<&str>]) {
        self.rows += 1;
        // Quotes and a comma per cell, as in the JSON the client reads.
        self.bytes += cells
            .iter()
            .map(|c| c.map_or(4, |s| s.len() as u64 + 3))
            .sum::<u64>()
            + 2;
    }
}

/// Nanoseconds this thread has run on a CPU (Linux), so numbers stay meaningful on a busy machine.
fn cpu_nanos() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Runs `run` once; prints wall-clock and on-CPU seconds, returns the value and the CPU time
/// (the wall time when the CPU time cannot be read).
fn timed<T>(label: &str, run: impl FnOnce() -> T) -> (T, Duration) {
    let cpu_before = cpu_nanos();
    let started = Instant::now();
    let value = run();
    let wall = started.elapsed();
    let cpu = match (cpu_before, cpu_nanos()) {
        (Some(before), Some(after)) => Duration::from_nanos(after - before),
        _ => wall,
    };
    println!(
        "{label:<58} {:>8.3} s wall {:>8.3} s CPU",
        wall.as_secs_f64(),
        cpu.as_secs_f64()
    );
    (value, cpu)
}

fn query(account: &Account, sql: &str) -> Counting {
    let mut sink = Counting::default();
    let mut session = account.admin_session();
    account
        .execute(&mut session, sql, &Bindings::new(), &mut sink)
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    sink
}

fn main() {
    let spec_text = std::env::var("SNOWGATE_BENCH_SPEC").unwrap_or_else(|_| {
        "databases=20,schemas=50,tables=100,columns=20,users=100,roles=50,seed=42".into()
    });
    let spec: GenerateSpec = spec_text.parse().expect("a valid SNOWGATE_BENCH_SPEC");
    let account = Account::new(AccountNames {
        locator: "XY12345".into(),
        organization: "BENCH".into(),
        account_name: "ACCOUNT".into(),
    });
    let tables = spec.databases * spec.schemas * spec.tables;
    println!(
        "account benchmarks: {spec_text} ({tables} tables, {} columns)",
        tables * spec.columns
    );
    timed("generate", || account.generate(&spec).expect("generate"));

    let (sink, _) = timed(
        "SHOW COLUMNS IN DATABASE GEN_DB_0001 (first 10,000)",
        || query(&account, "SHOW COLUMNS IN DATABASE GEN_DB_0001"),
    );
    println!("{:<58} {:>8} rows", "", sink.rows);
    timed(
        "SHOW TABLES IN ACCOUNT LIMIT 10000 FROM 'TABLE_0050'",
        || {
            query(
                &account,
                "SHOW TABLES IN ACCOUNT LIMIT 10000 FROM 'TABLE_0050'",
            )
        },
    );
    let (sink, _) = timed(
        "SELECT COUNT(*) FROM GEN_DB_0001.INFORMATION_SCHEMA.COLUMNS",
        || {
            query(
                &account,
                "SELECT COUNT(*) FROM GEN_DB_0001.INFORMATION_SCHEMA.COLUMNS",
            )
        },
    );
    println!("{:<58} {:>8} rows", "", sink.rows);

    let rows: usize = 1_000_000;
    let query_account = Account::new(AccountNames {
        locator: "XY12346".into(),
        organization: "BENCH".into(),
        account_name: "QUERY".into(),
    });
    let query_spec: GenerateSpec = format!("databases=1,schemas=0,tables=0,query_rows={rows}")
        .parse()
        .unwrap();
    timed("generate the 1,000,000-row query table", || {
        query_account.generate(&query_spec).expect("generate")
    });
    let (sink, elapsed) = timed(
        "SELECT * FROM QUERY_ROWS (1,000,000 rows, jsonv2 cells)",
        || {
            query(
                &query_account,
                "SELECT * FROM GEN_DB_0001.PUBLIC.QUERY_ROWS",
            )
        },
    );
    assert_eq!(sink.rows, rows as u64);
    println!(
        "{:<58} {:>9.1} MB/s of JSON cells per CPU second ({} MB)",
        "",
        sink.bytes as f64 / 1e6 / elapsed.as_secs_f64(),
        sink.bytes / 1_000_000
    );
}
