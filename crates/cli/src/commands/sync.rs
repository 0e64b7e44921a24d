//! `snowgate sync run`: runs one sync of one connection in the foreground, with a progress bar on
//! stderr, and prints its counts. It goes through the job queue like a worker, so it never runs
//! alongside another run of the same sync, and a run killed at any moment resumes from its last
//! checkpoint the next time (here or in a worker).

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use snowgate_engine::{Progress, SyncSelector, TriggerOpts};
use snowgate_store::RunStatus;

use super::{connections::find, data_dir::DataArgs};

/// Arguments of `snowgate sync`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    data: DataArgs,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Run one sync now, in the foreground, and print its counts.
    Run(Run),
}

#[derive(Debug, clap::Args)]
struct Run {
    /// The connection id.
    #[arg(long)]
    connection: String,
    /// The sync (`databases`, `schemas`, `tables`, `columns`, `views`, `roles`, `users`,
    /// `query-results` or a custom sync).
    #[arg(long)]
    sync: String,
    /// The variant (default `base`).
    #[arg(long)]
    variant: Option<String>,
    /// Forget the checkpoint and run a full sync.
    #[arg(long)]
    reset: bool,
    /// With --reset: delete the sync's records first (everything is reported added again).
    #[arg(long, requires = "reset")]
    empty_cache: bool,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let Command::Run(run) = args.command;
    let engine = args.data.open().await?;
    let connection = find(&engine, &run.connection).await?;
    let selector = SyncSelector {
        name: run.sync.clone(),
        variant: run.variant.clone(),
    };
    let (sender, mut receiver) = tokio::sync::watch::channel(Progress::default());
    let bar = ProgressBar::new_spinner();
    bar.set_style(ProgressStyle::with_template("{spinner} {elapsed} {msg}")?);
    bar.enable_steady_tick(Duration::from_millis(120));
    bar.set_message(format!("{}: starting", run.sync));
    let name = run.sync.clone();
    let progress = {
        let bar = bar.clone();
        tokio::spawn(async move {
            while receiver.changed().await.is_ok() {
                let p = *receiver.borrow_and_update();
                bar.set_message(format!(
                    "{name}: {} records saved ({} added, {} updated), {} Snowflake calls",
                    p.records, p.added, p.updated, p.snowflake_calls
                ));
            }
        })
    };
    let started = Instant::now();
    let outcome = engine
        .run_sync(
            connection.id,
            &selector,
            TriggerOpts {
                reset: run.reset,
                empty_cache: run.empty_cache,
            },
            Some(sender),
        )
        .await;
    progress.abort();
    bar.finish_and_clear();
    let finished = outcome?;
    let seconds = started.elapsed().as_secs_f64();
    let counts = finished.counts.values().fold((0, 0, 0), |(a, u, d), c| {
        (a + c.added, u + c.updated, d + c.deleted)
    });
    match finished.status {
        RunStatus::Success => {
            let continued = finished
                .resumed_from
                .map(|from| format!(" (continues interrupted run {from})"))
                .unwrap_or_default();
            println!(
                "{}: done in {seconds:.1} s: {} added, {} updated, {} deleted; {} Snowflake calls{continued}",
                run.sync, counts.0, counts.1, counts.2, finished.snowflake_calls
            );
            Ok(())
        }
        status => {
            let error = finished
                .error
                .as_ref()
                .and_then(|e| e.get("message").and_then(|m| m.as_str()).map(str::to_owned))
                .unwrap_or_else(|| status.as_str().to_owned());
            anyhow::bail!(
                "{} {} after {seconds:.1} s ({} added, {} updated before it stopped; nothing deleted): {error}",
                run.sync,
                status.as_str(),
                counts.0,
                counts.1
            )
        }
    }
}
