//! `snowgate serve` on SQLite owns its data directory: a second `serve` on it is refused with a
//! message naming the directory, and a `serve` restarted after `kill -9` takes its predecessor's
//! jobs back at once instead of waiting for their leases to run out.

#[expect(dead_code, reason = "this suite needs only part of the shared support")]
mod support;

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Stdio},
    time::{Duration, Instant},
};

use snowgate_emulator::account::GenerateSpec;
use snowgate_store::{ConnectionFilter, Run, Store, StoreConfig};
use support::{Data, add_connection, emulator_with_user, snowgate};

const USER: &str = "SERVED";

/// Starts `serve` on a free port and waits until it listens.
fn serve(dir: &Path) -> anyhow::Result<Child> {
    let mut child = snowgate(&Data::sqlite(dir), &["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let mut lines = BufReader::new(child.stdout.take().expect("piped")).lines();
    loop {
        match lines.next() {
            Some(line) => {
                if line?.starts_with("Snowgate API on") {
                    break;
                }
            }
            None => anyhow::bail!("serve exited before listening: {:?}", child.wait()?),
        }
    }
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || lines.for_each(drop));
    Ok(child)
}

#[test]
fn a_second_serve_on_the_same_data_directory_is_refused() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("snowgate.toml"), "")?;
    let mut first = serve(dir.path())?;
    let second = snowgate(
        &Data::sqlite(dir.path()),
        &["serve", "--listen", "127.0.0.1:0"],
    )
    .output()?;
    first.kill()?;
    first.wait()?;
    assert!(!second.status.success(), "refused");
    let stderr = String::from_utf8_lossy(&second.stderr);
    let data_dir = dir.path().join("data");
    assert!(
        stderr.contains("another `snowgate serve` is running on the data directory")
            && stderr.contains(&data_dir.display().to_string())
            && stderr.contains("--data-dir"),
        "{stderr}"
    );
    // Once the first is gone (even killed), the directory is free again.
    let mut again = serve(dir.path())?;
    again.kill()?;
    again.wait()?;
    Ok(())
}

/// The runs of the `columns` sync of the only connection, newest first.
async fn columns_runs(data_dir: PathBuf) -> anyhow::Result<Vec<Run>> {
    let store = snowgate_store::connect(StoreConfig::new(data_dir)).await?;
    let connection = store
        .list_connections(&ConnectionFilter::default())
        .await?
        .remove(0);
    let runs = match store.find_sync(connection.id, "columns", "base").await? {
        Some(sync) => store.list_runs(sync.id, None, 10).await?,
        None => Vec::new(),
    };
    store.close().await;
    Ok(runs)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_serve_restarted_after_kill_9_resumes_its_sync_at_once() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data_dir = dir.path().join("data");
    let (emulator, _key) = emulator_with_user(
        dir.path(),
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
    // A lease much longer than the resumption this test allows for.
    std::fs::write(
        dir.path().join("snowgate.toml"),
        "[engine]\nlease_secs = 60\nshow_concurrency = 1\nbatch_size = 100\n",
    )?;
    add_connection(&Data::sqlite(dir.path()), &emulator, USER, "served")?;

    emulator.faults().update(|faults| faults.latency_ms = 40)?;
    let mut first = serve(dir.path())?;
    let deadline = Instant::now() + Duration::from_secs(120);
    let killed = loop {
        let runs = columns_runs(data_dir.clone()).await?;
        if let Some(run) = runs.first()
            && run.added > 0
        {
            break run.clone();
        }
        anyhow::ensure!(Instant::now() < deadline, "no batch of columns committed");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    first.kill()?;
    first.wait()?;
    emulator.faults().clear();

    let restarted = Instant::now();
    let mut second = serve(dir.path())?;
    let resumed = loop {
        let runs = columns_runs(data_dir.clone()).await?;
        if let Some(run) = runs.first()
            && run.resumed_from == Some(killed.id)
        {
            break restarted.elapsed();
        }
        anyhow::ensure!(
            restarted.elapsed() < Duration::from_secs(30),
            "the interrupted sync did not resume: {runs:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    second.kill()?;
    second.wait()?;
    assert!(
        resumed < Duration::from_secs(5),
        "resumed {resumed:?} after the restart; its lease ran for 60 s"
    );
    emulator.shutdown().await;
    Ok(())
}
