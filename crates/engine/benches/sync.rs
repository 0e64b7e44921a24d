//! The sync engine end to end, against the emulator in a separate process (so that the peak
//! memory measured is Snowgate's alone):
//!
//! 1. a full run of every metadata sync over a generated account of 100,000 tables and 2,000,000
//!    columns, then a second run with no changes (which must write no record);
//! 2. a `query-results` sync of 1,000,000 rows.
//!
//! Each prints wall time, Snowflake calls (HTTP requests), records written and records/s, and the
//! process's peak resident memory (VmHWM). Records go to SQLite in a temp dir, or to PostgreSQL
//! when `SNOWGATE_BENCH_DATABASE_URL` is set (in a schema of its own, dropped at the end).
//!
//! ```sh
//! cargo bench -p snowgate-engine --bench sync            # the full sizes (a few minutes)
//! SNOWGATE_BENCH_SCALE=0.1 cargo bench -p snowgate-engine --bench sync   # a tenth of them
//! ```

use std::{
    io::{BufRead, BufReader, Write},
    process::{Command, Stdio},
    time::Instant,
};

use serde_json::json;
use snowgate_emulator::{Config, Emulator, GeneratedKey, account::GenerateSpec};
use snowgate_engine::{CreateConnection, Engine, EngineConfig, SyncSelector, TriggerOpts};
use snowgate_store::{
    ConnectionPk, MasterKey, RunStatus, SecretJson, StoreConfig, testing::TestSchema,
};

/// Set in the child process that serves the emulator.
const CHILD: &str = "SNOWGATE_BENCH_EMULATOR";
const USER: &str = "BENCH";

fn main() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match std::env::var(CHILD) {
        Ok(spec) => runtime.block_on(serve_emulator(&spec)),
        Err(_) => runtime.block_on(bench()),
    }
}

/// The child: generates the account, registers the key given on stdin, prints its URL and
/// account, and serves until stdin closes.
async fn serve_emulator(spec: &str) -> anyhow::Result<()> {
    let spec: GenerateSpec = spec.parse()?;
    let emulator = Emulator::start(Config::default()).await?;
    emulator.account().generate(&spec)?;
    let mut stdin = BufReader::new(std::io::stdin());
    let mut public_key = String::new();
    while !public_key.contains("-----END PUBLIC KEY-----") {
        anyhow::ensure!(
            stdin.read_line(&mut public_key)? > 0,
            "no public key on stdin"
        );
    }
    emulator.add_user(USER, &public_key)?;
    emulator.admin(&format!(
        "GRANT ROLE ACCOUNTADMIN TO USER {USER}; ALTER USER {USER} SET DEFAULT_ROLE = ACCOUNTADMIN DEFAULT_WAREHOUSE = COMPUTE_WH"
    ))?;
    println!("{} {}", emulator.url(), emulator.account_identifier());
    std::io::stdout().flush()?;
    // Serve until the parent closes stdin (or dies).
    tokio::task::spawn_blocking(move || {
        let mut rest = String::new();
        while stdin.read_line(&mut rest).is_ok_and(|n| n > 0) {}
    })
    .await?;
    Ok(())
}

/// A running emulator child.
struct Remote {
    child: std::process::Child,
    url: String,
    account: String,
    key: GeneratedKey,
}

fn spawn_emulator(spec: &str) -> anyhow::Result<Remote> {
    let key = GeneratedKey::generate()?;
    let started = Instant::now();
    let mut child = Command::new(std::env::current_exe()?)
        .env(CHILD, spec)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    child
        .stdin
        .as_mut()
        .expect("piped")
        .write_all(key.public_key_pem.as_bytes())?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped")).read_line(&mut line)?;
    let (url, account) = line
        .trim()
        .split_once(' ')
        .ok_or_else(|| anyhow::anyhow!("the emulator did not start: {line:?}"))?;
    eprintln!(
        "emulator with {spec} ready in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(Remote {
        url: url.to_owned(),
        account: account.to_owned(),
        child,
        key,
    })
}

impl Drop for Remote {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                line.strip_prefix("VmHWM:")
                    .and_then(|kb| kb.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
            })
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

async fn engine(dir: &std::path::Path, database_url: Option<String>) -> anyhow::Result<Engine> {
    let store = snowgate_store::connect(StoreConfig {
        database_url,
        master_key: Some(MasterKey::generate()),
        ..StoreConfig::new(dir)
    })
    .await?;
    let engine = Engine::new(store, EngineConfig::default(), reqwest::Client::new()).await?;
    engine.ensure_integration(snowgate_engine::PROVIDER).await?;
    Ok(engine)
}

async fn connect(
    engine: &Engine,
    remote: &Remote,
    id: &str,
    metadata: serde_json::Value,
) -> anyhow::Result<ConnectionPk> {
    Ok(engine
        .create_jwt_connection(CreateConnection {
            integration: snowgate_engine::PROVIDER.into(),
            connection_id: Some(id.into()),
            connection_config: json!({"base_url": remote.url}),
            credentials: SecretJson::new(&json!({
                "accountIdentifier": remote.account,
                "userName": USER,
                "privateKey": remote.key.private_key_pem.as_str(),
            })),
            tags: Default::default(),
            end_user: None,
            webhook_url_override: None,
            metadata: Some(metadata),
            reconnect: false,
        })
        .await?
        .connection
        .id)
}

/// Runs `syncs` one after the other; prints one line per sync and a total.
async fn pass(
    engine: &Engine,
    connection: ConnectionPk,
    label: &str,
    syncs: &[&str],
) -> anyhow::Result<u64> {
    let started = Instant::now();
    let (mut calls, mut written, mut deleted) = (0_i64, 0_u64, 0_u64);
    for sync in syncs {
        let begun = Instant::now();
        let run = engine
            .run_sync(
                connection,
                &SyncSelector::base(*sync),
                TriggerOpts::default(),
                None,
            )
            .await?;
        anyhow::ensure!(run.status == RunStatus::Success, "{sync}: {:?}", run.error);
        let counts = run.counts.values().fold((0, 0, 0), |(a, u, d), c| {
            (a + c.added, u + c.updated, d + c.deleted)
        });
        let seconds = begun.elapsed().as_secs_f64();
        println!(
            "  {sync:<14} {seconds:>7.1} s {:>6} calls {:>9} written {:>7} deleted",
            run.snowflake_calls,
            counts.0 + counts.1,
            counts.2
        );
        calls += run.snowflake_calls;
        written += counts.0 + counts.1;
        deleted += counts.2;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{label}: {seconds:.1} s wall, {calls} Snowflake calls, {written} records written ({:.0} records/s), {deleted} deleted, peak RSS {:.0} MiB",
        written as f64 / seconds,
        peak_rss_mib()
    );
    Ok(written)
}

async fn bench() -> anyhow::Result<()> {
    let scale: f64 = std::env::var("SNOWGATE_BENCH_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    let dir = tempfile::tempdir()?;
    // PostgreSQL: a fresh schema per run, so that reruns start empty (and under a new master key).
    let postgres = match std::env::var("SNOWGATE_BENCH_DATABASE_URL") {
        Ok(base) => Some(TestSchema::create(&base, "bench").await?),
        Err(_) => None,
    };
    let engine = engine(dir.path(), postgres.as_ref().map(|s| s.url().to_owned())).await?;
    let outcome = passes(&engine, scale).await;
    engine.store().close().await;
    if let Some(schema) = postgres {
        schema.drop().await?;
    }
    outcome
}

async fn passes(engine: &Engine, scale: f64) -> anyhow::Result<()> {
    let databases = ((10.0 * scale).round() as usize).max(1);
    // 10 databases × 100 schemas × 100 tables × 20 columns = 100,000 tables, 2,000,000 columns.
    let spec = format!(
        "databases={databases},schemas=100,tables=100,columns=20,users=100,roles=50,views=2"
    );
    {
        let remote = spawn_emulator(&spec)?;
        let connection = connect(engine, &remote, "metadata", json!({})).await?;
        let syncs = [
            "databases",
            "schemas",
            "tables",
            "columns",
            "views",
            "roles",
            "users",
        ];
        println!("metadata syncs over {spec}:");
        pass(engine, connection, "first run", &syncs).await?;
        let written = pass(engine, connection, "second run, no changes", &syncs).await?;
        anyhow::ensure!(written == 0, "the second run wrote {written} records");
    }
    {
        let rows = ((1_000_000.0 * scale).round() as usize).max(1);
        let remote = spawn_emulator(&format!("databases=1,schemas=0,tables=0,query_rows={rows}"))?;
        let connection = connect(
            engine,
            &remote,
            "rows",
            json!({
                "query": "SELECT * FROM GEN_DB_0001.PUBLIC.QUERY_ROWS",
                "id_column": "ID",
                "incremental_column": "ID",
                "warehouse": "COMPUTE_WH",
            }),
        )
        .await?;
        println!("query-results over {rows} rows:");
        pass(engine, connection, "query-results", &["query-results"]).await?;
    }
    Ok(())
}
