//! Record throughput of the store, on SQLite and (when `SNOWGATE_TEST_DATABASE_URL` is set) on
//! PostgreSQL:
//!
//! 1. saving `SNOWGATE_BENCH_ROWS` (default 1,000,000) new records in batches of 1,000;
//! 2. saving them again unchanged in a new run (hash comparison plus the seen mark);
//! 3. reading every record in pages of 100 and of 1,000 with cursors, one client;
//! 4. reading pages of 1,000 with 64 concurrent clients (the records API's load).
//!
//! `cargo bench -p snowgate-store --bench records`

use std::time::{Duration, Instant};

use aws_lc_rs::digest;
use snowgate_store::{
    ActionFilter, AnyStore, ConnectionPk, Cursor, ModelKey, NewConnection, NewIntegration,
    NewRecord, NewSync, RecordQuery, SaveBatch, SecretJson, StartRun, Store, StoreConfig, connect,
};

const BATCH: usize = 1_000;
const CLIENTS: usize = 64;

fn main() -> anyhow::Result<()> {
    let rows: usize = std::env::var("SNOWGATE_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let dir = tempfile::tempdir()?;
        bench("sqlite", connect(StoreConfig::new(dir.path())).await?, rows).await?;
        if let Ok(url) = std::env::var("SNOWGATE_TEST_DATABASE_URL") {
            let schema = snowgate_store::testing::TestSchema::create(&url, "bench").await?;
            let config = StoreConfig {
                database_url: Some(schema.url().to_owned()),
                ..StoreConfig::new(dir.path())
            };
            let result = bench("postgres", connect(config).await?, rows).await;
            schema.drop().await?;
            result?;
        } else {
            println!("postgres: SNOWGATE_TEST_DATABASE_URL is not set, skipped");
        }
        anyhow::Ok(())
    })
}

/// A record shaped like a synced column (about 330 bytes of JSON).
fn column(i: usize, version: u32) -> NewRecord {
    let (table, column) = (i / 20, i % 20);
    let id = format!(
        "DB_{}.SCHEMA_{}.TABLE_{table}.COLUMN_{column}",
        table % 20,
        table % 50
    );
    let payload = serde_json::json!({
        "id": id, "database_name": format!("DB_{}", table % 20), "schema_name": format!("SCHEMA_{}", table % 50),
        "table_name": format!("TABLE_{table}"), "column_name": format!("COLUMN_{column}"),
        "ordinal_position": column + 1, "data_type": r#"{"type":"FIXED","precision":38,"scale":0,"nullable":true}"#,
        "data_type_type": "FIXED", "data_type_precision": 38, "data_type_scale": 0, "nullable": true,
        "kind": "COLUMN", "comment": format!("version {version}"),
    });
    let payload = serde_json::value::to_raw_value(&payload).expect("JSON serialises");
    let mut hash = [0u8; 32];
    hash.copy_from_slice(digest::digest(&digest::SHA256, payload.get().as_bytes()).as_ref());
    NewRecord {
        external_id: id,
        payload,
        hash,
    }
}

async fn setup(store: &AnyStore) -> anyhow::Result<ConnectionPk> {
    store
        .upsert_integration(&NewIntegration {
            unique_key: "snowflake-jwt".into(),
            provider: "snowflake-jwt".into(),
            display_name: None,
            config: serde_json::json!({}),
        })
        .await?;
    let (connection, _) = store
        .upsert_connection(&NewConnection {
            integration_key: "snowflake-jwt".into(),
            connection_id: "bench".into(),
            connection_config: serde_json::json!({}),
            metadata: None,
            tags: Default::default(),
            end_user: None,
            webhook_url_override: None,
            credentials: SecretJson::new(&serde_json::json!({})),
        })
        .await?;
    Ok(connection.id)
}

async fn save_all(
    store: &AnyStore,
    connection: ConnectionPk,
    model: &ModelKey,
    rows: usize,
) -> anyhow::Result<Duration> {
    let sync = store
        .ensure_sync(&NewSync {
            connection,
            name: "columns".into(),
            variant: "base".into(),
            frequency_secs: 3600,
            paused: false,
            next_run_at: None,
        })
        .await?;
    let run = store.start_run(&StartRun::of(&sync, false)).await?.id;
    let mut elapsed = Duration::ZERO;
    for start in (0..rows).step_by(BATCH) {
        let batch: Vec<_> = (start..(start + BATCH).min(rows))
            .map(|i| column(i, 1))
            .collect();
        let began = Instant::now();
        store
            .save_records(SaveBatch {
                connection,
                model,
                records: &batch,
                run,
                checkpoint: None,
            })
            .await?;
        elapsed += began.elapsed();
    }
    Ok(elapsed)
}

fn query(
    connection: ConnectionPk,
    model: &ModelKey,
    cursor: Option<Cursor>,
    limit: u32,
) -> RecordQuery<'_> {
    RecordQuery {
        connection,
        model,
        cursor,
        modified_after: None,
        filter: ActionFilter::default(),
        ids: &[],
        limit,
    }
}

fn percentile(latencies: &mut [Duration], p: f64) -> Duration {
    latencies.sort();
    latencies[((latencies.len() as f64 * p) as usize).min(latencies.len() - 1)]
}

async fn bench(backend: &str, store: AnyStore, rows: usize) -> anyhow::Result<()> {
    let connection = setup(&store).await?;
    let model = ModelKey::new("Column", None);
    let rate = |count: usize, elapsed: Duration| count as f64 / elapsed.as_secs_f64();

    let elapsed = save_all(&store, connection, &model, rows).await?;
    println!(
        "{backend}: save {rows} new records: {:.1} s, {:.0} rows/s",
        elapsed.as_secs_f64(),
        rate(rows, elapsed)
    );
    let elapsed = save_all(&store, connection, &model, rows).await?;
    println!(
        "{backend}: re-save {rows} unchanged records: {:.1} s, {:.0} rows/s",
        elapsed.as_secs_f64(),
        rate(rows, elapsed)
    );

    for limit in [100, 1_000] {
        let (mut cursor, mut read, mut latencies) = (None, 0, Vec::new());
        let began = Instant::now();
        loop {
            let page_began = Instant::now();
            let page = store
                .list_records(&query(connection, &model, cursor, limit))
                .await?;
            latencies.push(page_began.elapsed());
            read += page.records.len();
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => break,
            }
        }
        let elapsed = began.elapsed();
        println!(
            "{backend}: list {read} records in pages of {limit}, 1 client: {:.0} records/s, page p50 {:.2} ms, p99 {:.2} ms",
            rate(read, elapsed),
            percentile(&mut latencies, 0.5).as_secs_f64() * 1e3,
            percentile(&mut latencies, 0.99).as_secs_f64() * 1e3,
        );
    }

    // 64 clients each read 20 pages of 1,000 from their own starting point.
    let starts: Vec<_> = {
        let mut cursors = vec![None];
        let mut cursor = None;
        while cursors.len() < CLIENTS {
            let page = store
                .list_records(&query(
                    connection,
                    &model,
                    cursor,
                    (rows / CLIENTS).clamp(1, 10_000) as u32,
                ))
                .await?;
            cursor = page.next_cursor;
            cursors.push(cursor);
        }
        cursors
    };
    let began = Instant::now();
    let clients: Vec<_> = starts
        .into_iter()
        .map(|start| {
            let (store, model) = (store.clone(), model.clone());
            tokio::spawn(async move {
                let (mut cursor, mut read, mut latencies) = (start, 0, Vec::new());
                for _ in 0..20 {
                    let page_began = Instant::now();
                    let page = store
                        .list_records(&query(connection, &model, cursor, 1_000))
                        .await?;
                    latencies.push(page_began.elapsed());
                    read += page.records.len();
                    cursor = page.next_cursor;
                }
                anyhow::Ok((read, latencies))
            })
        })
        .collect();
    let (mut read, mut latencies) = (0, Vec::new());
    for client in clients {
        let (count, mut times) = client.await??;
        read += count;
        latencies.append(&mut times);
    }
    let elapsed = began.elapsed();
    println!(
        "{backend}: list pages of 1000 with {CLIENTS} concurrent clients: {:.0} records/s, page p50 {:.1} ms, p99 {:.1} ms",
        rate(read, elapsed),
        percentile(&mut latencies, 0.5).as_secs_f64() * 1e3,
        percentile(&mut latencies, 0.99).as_secs_f64() * 1e3,
    );
    store.close().await;
    Ok(())
}
