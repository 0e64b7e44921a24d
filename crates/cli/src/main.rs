//! The `snowgate` command line. Thin: it parses arguments and calls the crates.

#![forbid(unsafe_code)]

mod commands;

use clap::{Parser, Subcommand};

/// Snowgate: a self-hosted integration server for Snowflake accounts reached with key-pair (JWT)
/// authentication.
#[derive(Debug, Parser)]
#[command(name = "snowgate", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Generate an RSA key pair for Snowflake key-pair authentication.
    Keygen(commands::keygen::Args),
    /// Print a key-pair JWT for a Snowflake user (for curl and debugging).
    Jwt(commands::jwt::Args),
    /// Run a SQL statement through the SQL API v2 and print the result.
    Sql(commands::sql::Args),
    /// Run the local Snowflake emulator (SQL API v2 with key-pair JWT authentication).
    Emulator(commands::emulator::Args),
    /// Run the Snowgate server: API, scheduler, workers, webhooks (`--demo` for a tour).
    Serve(commands::serve::Args),
    /// Print the JSON Schemas (or `--typescript` types) of records, actions and webhooks.
    Schema(commands::schema::Args),
    /// Add, list, show or remove key-pair connections.
    Connections(commands::connections::Args),
    /// Run a sync in the foreground (`sync run --connection ID --sync NAME`).
    Sync(commands::sync::Args),
    /// Print a connection's records of one model (NDJSON with `--json`).
    Records(commands::records::Args),
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    commands::init_logging();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        match cli.command {
            Command::Keygen(args) => commands::keygen::run(args).await,
            Command::Jwt(args) => commands::jwt::run(args).await,
            Command::Sql(args) => commands::sql::run(args).await,
            Command::Emulator(args) => commands::emulator::run(args).await,
            Command::Serve(args) => commands::serve::run(args).await,
            Command::Schema(args) => commands::schema::run(args).await,
            Command::Connections(args) => commands::connections::run(args).await,
            Command::Sync(args) => commands::sync::run(args).await,
            Command::Records(args) => commands::records::run(args).await,
        }
    })
}
