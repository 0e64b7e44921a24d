//! Records API throughput and latency: 64 concurrent clients page through a model on loopback,
//! with pages of 100 and 1,000 records, on SQLite and (when `SNOWGATE_TEST_DATABASE_URL` is set)
//! PostgreSQL. Targets: ≥ 50,000 records/s served, p99 < 50 ms for 1,000-record pages.
//!
//! Two loads per page size: `saturation` (each client sends again as soon as it has its answer:
//! the most the server serves; latency is then queueing, 64 / requests per second) and `target`
//! (the clients together ask for 50,000 records/s on a fixed schedule: the latency at the target).
//!
//! ```sh
//! SNOWGATE_TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test \
//!   cargo bench -p snowgate-server --bench records
//! ```

use std::time::{Duration, Instant};

use secrecy::ExposeSecret;
use serde_json::{Value, json};
use snowgate_server::{Config, ProcessRole, Server};
use snowgate_store::{
    FinishRun, ModelCounts, ModelKey, NewConnection, NewRecord, NewSync, RunStatus, SaveBatch,
    SecretJson, StartRun, Store, SyncErrorUpdate,
};
use tokio_util::sync::CancellationToken;

const CLIENTS: usize = 64;
const RECORDS: usize = 20_000;
const DURATION: Duration = Duration::from_secs(8);
/// The throughput target; the `target` load offers it and measures latency there.
const TARGET_RECORDS_PER_SECOND: f64 = 50_000.0;

/// How the clients send.
#[derive(Debug, Clone, Copy)]
enum Load {
    /// Closed loop: each client sends its next request as soon as it has the answer.
    Saturation,
    /// Open loop: together the clients ask for [`TARGET_RECORDS_PER_SECOND`], each on a fixed
    /// schedule, whatever the latency.
    Target,
}

impl Load {
    fn name(self) -> &'static str {
        match self {
            Self::Saturation => "saturation",
            Self::Target => "target",
        }
    }
}

/// What the clients read of a page: the count of records and where to go next.
#[derive(serde::Deserialize)]
struct Page {
    records: Vec<serde::de::IgnoredAny>,
    next_cursor: Option<String>,
}

/// Runs the clients for [`DURATION`]: requests made, records/s served, p50 and p99 in ms.
async fn run_clients(
    url: &str,
    key: &str,
    page: usize,
    load: Load,
) -> Result<(usize, f64, f64, f64), Box<dyn std::error::Error>> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()?;
    let interval =
        Duration::from_secs_f64(CLIENTS as f64 * page as f64 / TARGET_RECORDS_PER_SECOND);
    let started = Instant::now();
    let deadline = started + DURATION;
    let mut clients = Vec::new();
    for client in 0..CLIENTS {
        let (http, url, key) = (http.clone(), url.to_owned(), key.to_owned());
        clients.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut records = 0usize;
            let mut cursor: Option<String> = None;
            // Paced clients start spread over one interval.
            let mut next = started + interval.mul_f64(client as f64 / CLIENTS as f64);
            while Instant::now() < deadline {
                if let Load::Target = load {
                    tokio::time::sleep_until(next.into()).await;
                    next += interval;
                }
                let mut target = url::Url::parse(&url).expect("a URL");
                target
                    .query_pairs_mut()
                    .append_pair("model", "Table")
                    .append_pair("limit", &page.to_string());
                if let Some(cursor) = &cursor {
                    target.query_pairs_mut().append_pair("cursor", cursor);
                }
                let sent = Instant::now();
                let response = http
                    .get(target)
                    .bearer_auth(&key)
                    .header("Connection-Id", "bench")
                    .header("Provider-Config-Key", "snowflake-jwt")
                    .send()
                    .await
                    .expect("the server answers");
                assert!(response.status().is_success(), "{}", response.status());
                let body = response.bytes().await.expect("a body");
                latencies.push(sent.elapsed());
                let body: Page = serde_json::from_slice(&body).expect("a page");
                records += body.records.len();
                cursor = body.next_cursor;
            }
            (latencies, records)
        }));
    }
    let mut latencies = Vec::new();
    let mut records = 0;
    for client in clients {
        let (mut client_latencies, client_records) = client.await?;
        latencies.append(&mut client_latencies);
        records += client_records;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let percentile = |p: f64| {
        latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)].as_secs_f64()
            * 1000.0
    };
    Ok((
        latencies.len(),
        records as f64 / elapsed,
        percentile(0.50),
        percentile(0.99),
    ))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        println!("{CLIENTS} clients; saturation: each sends its next request at once; target: together they ask for {TARGET_RECORDS_PER_SECOND} records/s");
        println!("backend    page  load        requests  records/s   p50 ms   p99 ms");
        let dir = tempfile::tempdir()?;
        bench("sqlite", None, dir.path()).await?;
        if let Ok(base) = std::env::var("SNOWGATE_TEST_DATABASE_URL") {
            let schema = snowgate_store::testing::TestSchema::create(&base, "bench").await?;
            let dir = tempfile::tempdir()?;
            let outcome = bench("postgres", Some(schema.url().to_owned()), dir.path()).await;
            schema.drop().await?;
            outcome?;
        } else {
            println!("(set SNOWGATE_TEST_DATABASE_URL for the PostgreSQL rows)");
        }
        Ok(())
    })
}

fn table(index: usize) -> Value {
    json!({
        "id": format!("BENCH_DB/SCHEMA_{:02}/TABLE_{index:06}", index % 40),
        "name": format!("TABLE_{index:06}"),
        "database_name": "BENCH_DB",
        "schema_name": format!("SCHEMA_{:02}", index % 40),
        "rows": index * 17,
        "bytes": index * 4096,
        "is_external": "N",
        "is_iceberg": "N",
        "change_tracking": "OFF",
        "owner": "SYSADMIN",
    })
}

async fn bench(
    backend: &str,
    database_url: Option<String>,
    data_dir: &std::path::Path,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut config = Config {
        data_dir: data_dir.to_owned(),
        database_url,
        role: ProcessRole::Api,
        ..Config::default()
    };
    config.api.rate_limit_per_minute = u32::MAX.try_into()?;
    let server = Server::open(config).await?;
    let store = server.store().clone();
    let (connection, _) = store
        .upsert_connection(&NewConnection {
            integration_key: "snowflake-jwt".into(),
            connection_id: "bench".into(),
            connection_config: json!({}),
            metadata: Some(json!({})),
            tags: Default::default(),
            end_user: None,
            webhook_url_override: None,
            credentials: SecretJson::new(&json!({"type": "JWT"})),
        })
        .await?;
    let sync = store
        .ensure_sync(&NewSync {
            connection: connection.id,
            name: "tables".into(),
            variant: "base".into(),
            frequency_secs: 3600,
            paused: true,
            next_run_at: None,
        })
        .await?;
    let run = store.start_run(&StartRun::of(&sync, false)).await?;
    let model = ModelKey::new("Table", None);
    for chunk in (0..RECORDS).collect::<Vec<_>>().chunks(1000) {
        let records: Vec<NewRecord> = chunk
            .iter()
            .map(|&index| {
                let record = table(index);
                let text = record.to_string();
                let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, text.as_bytes());
                NewRecord {
                    external_id: record["id"].as_str().unwrap_or_default().to_owned(),
                    payload: serde_json::value::RawValue::from_string(text).expect("JSON"),
                    hash: digest.as_ref().try_into().expect("32 bytes"),
                }
            })
            .collect();
        store
            .save_records(SaveBatch {
                connection: connection.id,
                model: &model,
                records: &records,
                run: run.id,
                checkpoint: None,
            })
            .await?;
    }
    // The run ends as a sync's does (which is when the store refreshes its statistics).
    store
        .finish_run(&FinishRun {
            run: run.id,
            status: RunStatus::Success,
            delete_unseen: Vec::new(),
            counts: [(
                model.clone(),
                ModelCounts {
                    added: RECORDS as u64,
                    ..Default::default()
                },
            )]
            .into(),
            error: None,
            snowflake_calls: 0,
            next_run_at: None,
            clear_checkpoint: true,
            sync_error: SyncErrorUpdate::Keep,
            webhooks: Vec::new(),
            scope_digests: None,
        })
        .await?;
    let key = server.secret_key().expose_secret().to_owned();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/records/", listener.local_addr()?);
    let shutdown = CancellationToken::new();
    let serving = tokio::spawn(server.run(listener, shutdown.clone()));

    for page in [100usize, 1000] {
        for load in [Load::Saturation, Load::Target] {
            let (requests, records_per_second, p50, p99) =
                run_clients(&url, &key, page, load).await?;
            println!(
                "{backend:<9} {page:>5}  {:<10}  {requests:>8}  {records_per_second:>9.0}  {p50:>7.1}  {p99:>7.1}",
                load.name(),
            );
        }
    }
    shutdown.cancel();
    serving.await??;
    Ok(())
}
