//! The operator commands against the emulator, as an operator runs them: `connections add`
//! checks the key and stores the connection, `sync run` runs a sync in the foreground, and a
//! `sync run` killed with SIGKILL in the middle of its run is continued from its checkpoint by the
//! next `sync run`, ending with exactly the records of an uninterrupted run and nothing deleted,
//! and counting (from the killed run's start) everything the two changed.
//! `records --json` prints them with `_nango_metadata`.

mod support;

use std::{process::Stdio, time::Duration};

use serde_json::Value;
use snowgate_emulator::account::GenerateSpec;
use snowgate_store::{ConnectionFilter, ModelKey, RecordQuery, Store};
use support::{
    Data, PostgresSchema, add_connection, connection_pk, emulator_with_user, records, snowgate,
    succeed,
};

const USER: &str = "OPERATOR";

/// The runs of a connection's sync, newest first, and the time of its model's first change.
async fn runs(
    data: &Data,
    connection: &str,
    sync: &str,
    model: &str,
) -> anyhow::Result<(Vec<snowgate_store::Run>, chrono::DateTime<chrono::Utc>)> {
    let store = snowgate_store::connect(data.store_config()).await?;
    let pk = connection_pk(&store, connection).await?;
    let state = store.find_sync(pk, sync, "base").await?.unwrap();
    let runs = store.list_runs(state.id, None, 100).await?;
    let first = store
        .list_records(&RecordQuery {
            connection: pk,
            model: &ModelKey::new(model, None),
            cursor: None,
            modified_after: None,
            filter: Default::default(),
            ids: &[],
            limit: 1,
        })
        .await?
        .records[0]
        .last_modified_at;
    store.close().await;
    Ok((runs, first))
}

/// The checkpoint of a connection's sync, if a batch committed one.
async fn checkpoint(data: &Data, connection: &str, sync: &str) -> anyhow::Result<Option<Value>> {
    let store = snowgate_store::connect(data.store_config()).await?;
    let found = store
        .list_connections(&ConnectionFilter {
            connection_id: Some(connection.into()),
            ..ConnectionFilter::default()
        })
        .await?;
    let state = match found.first() {
        Some(connection) => store.find_sync(connection.id, sync, "base").await?,
        None => None,
    };
    store.close().await;
    Ok(state.and_then(|state| state.checkpoint))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_sqlite() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    a_killed_sync_run_resumes_to_the_records_of_an_uninterrupted_run(Data::sqlite(dir.path())).await
}

/// The same on a fresh PostgreSQL schema when `SNOWGATE_TEST_DATABASE_URL` is set.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn on_postgres() -> anyhow::Result<()> {
    let Some(schema) = PostgresSchema::create("cli").await? else {
        eprintln!("SNOWGATE_TEST_DATABASE_URL is not set: PostgreSQL variant not run");
        return Ok(());
    };
    let dir = tempfile::tempdir()?;
    let outcome =
        a_killed_sync_run_resumes_to_the_records_of_an_uninterrupted_run(schema.data(dir.path()))
            .await;
    schema.drop().await?;
    outcome
}

async fn a_killed_sync_run_resumes_to_the_records_of_an_uninterrupted_run(
    data: Data,
) -> anyhow::Result<()> {
    let (emulator, _key) = emulator_with_user(
        &data.dir,
        &GenerateSpec {
            databases: 2,
            schemas: 20,
            tables: 10,
            columns: 6,
            ..GenerateSpec::default()
        },
        USER,
    )
    .await?;
    // Short leases so that the resumed run takes over quickly; one statement at a time and
    // small batches so that the run has many checkpoints to be killed between.
    std::fs::write(
        data.dir.join("snowgate.toml"),
        "[engine]\nlease_secs = 3\nshow_concurrency = 1\nbatch_size = 100\n",
    )?;
    for id in ["killed", "reference"] {
        add_connection(&data, &emulator, USER, id)?;
    }
    let listed = succeed(snowgate(&data, &["connections", "list"]).output()?);
    assert!(
        listed.contains("killed") && listed.contains("reference"),
        "{listed}"
    );

    let out = succeed(
        snowgate(
            &data,
            &[
                "sync",
                "run",
                "--connection",
                "reference",
                "--sync",
                "columns",
            ],
        )
        .output()?,
    );
    assert!(out.contains("2400 added"), "{out}");
    let reference = records(&data, "reference", "Column").await?;
    assert_eq!(reference.len(), 2 * 20 * 10 * 6);

    // Slow every request down, start the run, and kill it once batches have committed.
    emulator.faults().update(|faults| faults.latency_ms = 40)?;
    let mut child = snowgate(
        &data,
        &["sync", "run", "--connection", "killed", "--sync", "columns"],
    )
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .spawn()?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        if checkpoint(&data, "killed", "columns").await?.is_some() {
            break;
        }
        assert!(
            child.try_wait()?.is_none(),
            "the run ended before it could be killed"
        );
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "no checkpoint was committed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill()?;
    child.wait()?;
    let partial = records(&data, "killed", "Column").await?;
    assert!(
        !partial.is_empty() && partial.len() < reference.len(),
        "killed mid-way: {} of {} records",
        partial.len(),
        reference.len()
    );
    emulator.faults().clear();

    let out = succeed(
        snowgate(
            &data,
            &["sync", "run", "--connection", "killed", "--sync", "columns"],
        )
        .output()?,
    );
    let added: usize = out
        .split(" added")
        .next()
        .and_then(|head| head.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("counts in {out:?}"));
    // The resumed run continues the killed one: it reports (and its webhook announces, from the
    // killed run's start) everything the two changed, but fetched only what was left.
    assert_eq!(added, reference.len(), "{out}");
    assert!(out.contains("continues interrupted run"), "{out}");
    assert!(out.contains("0 deleted"), "{out}");
    let (killed_runs, first_change) = runs(&data, "killed", "columns", "Column").await?;
    let (reference_runs, _) = runs(&data, "reference", "columns", "Column").await?;
    let [resumed_run, killed_run] = &killed_runs[..] else {
        panic!("two runs: {killed_runs:?}");
    };
    assert_eq!(resumed_run.resumed_from, Some(killed_run.id));
    assert!(resumed_run.first_started_at <= first_change);
    assert_eq!(resumed_run.first_started_at, killed_run.started_at);
    assert!(
        resumed_run.snowflake_calls < reference_runs[0].snowflake_calls,
        "the resumed run starts from the checkpoint, not from scratch: {} calls, {} from scratch",
        resumed_run.snowflake_calls,
        reference_runs[0].snowflake_calls
    );
    let resumed = records(&data, "killed", "Column").await?;
    assert_eq!(
        resumed, reference,
        "the same records as an uninterrupted run"
    );

    let lines = succeed(
        snowgate(
            &data,
            &[
                "records",
                "--connection",
                "killed",
                "--model",
                "Column",
                "--json",
            ],
        )
        .output()?,
    );
    let printed: Vec<Value> = lines
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    assert_eq!(printed.len(), reference.len());
    assert_eq!(printed[0]["_nango_metadata"]["last_action"], "ADDED");
    assert!(printed[0]["_nango_metadata"]["cursor"].is_string());
    emulator.shutdown().await;
    Ok(())
}

/// `serve --role worker` says what runs, and never that an API listens.
#[test]
fn a_worker_does_not_announce_an_api() -> anyhow::Result<()> {
    use std::io::BufRead;
    let dir = tempfile::tempdir()?;
    let data = Data {
        dir: dir.path().to_owned(),
        database_url: None,
        master_key: None,
    };
    std::fs::write(dir.path().join("snowgate.toml"), "")?;
    let mut child = snowgate(
        &data,
        &["serve", "--role", "worker", "--listen", "127.0.0.1:0"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()?;
    let stdout = child.stdout.take().expect("piped");
    let mut banner = Vec::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line?;
        let done = line.starts_with("Press Ctrl-C");
        banner.push(line);
        if done {
            break;
        }
    }
    child.kill()?;
    child.wait()?;
    let banner = banner.join("\n");
    assert!(banner.contains("Snowgate worker running"), "{banner}");
    assert!(!banner.contains("API on"), "{banner}");
    Ok(())
}
