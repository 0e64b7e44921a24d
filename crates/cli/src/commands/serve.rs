//! `snowgate serve`: the API, scheduler, workers and webhook dispatcher (see `snowgate_server`).
//! Configuration: defaults, then `snowgate.toml` (or `--config`), then `SNOWGATE_*` variables,
//! then these flags. `--demo` also starts the Snowflake emulator with a demo account and connects
//! it, so a newcomer sees syncs, records and webhooks within a minute.

use std::{
    fs::{File, TryLockError},
    net::SocketAddr,
    path::{Path, PathBuf},
};

use anyhow::Context as _;
use secrecy::ExposeSecret;
use serde_json::json;
use snowgate_engine::{CreateConnection, SyncTarget, TriggerOpts};
use snowgate_server::{Config, ProcessRole, Server};
use snowgate_store::{MetadataWrite, SecretJson, Store as _};
use tokio_util::sync::CancellationToken;

/// Arguments of `snowgate serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on (default 127.0.0.1:3003).
    #[arg(long, env = "SNOWGATE_LISTEN")]
    listen: Option<SocketAddr>,
    /// The configuration file (default: `snowgate.toml` if it exists).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// The data directory: SQLite file, generated keys (default `./snowgate-data`).
    #[arg(long, env = "SNOWGATE_DATA_DIR", value_name = "DIR")]
    data_dir: Option<PathBuf>,
    /// What this process runs: `api`, `worker` or `all` (scaled out on PostgreSQL).
    #[arg(long, value_parser = parse_role)]
    role: Option<ProcessRole>,
    /// Also start the Snowflake emulator with a demo account and a demo connection.
    #[arg(long)]
    demo: bool,
}

fn parse_role(text: &str) -> Result<ProcessRole, String> {
    match text {
        "api" => Ok(ProcessRole::Api),
        "worker" => Ok(ProcessRole::Worker),
        "all" => Ok(ProcessRole::All),
        other => Err(format!("{other:?} is not a role; use api, worker or all")),
    }
}

/// The demo connection's id.
const DEMO_CONNECTION: &str = "demo";
/// The emulator user the demo connection signs in as.
const DEMO_USER: &str = "SNOWGATE_DEMO";

pub async fn run(args: Args) -> anyhow::Result<()> {
    let mut config =
        Config::load(args.config.as_deref()).map_err(|error| anyhow::anyhow!("{error}"))?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    if let Some(data_dir) = args.data_dir {
        config.data_dir = data_dir;
    }
    if let Some(role) = args.role {
        config.role = role;
    }
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating the data directory {}", config.data_dir.display()))?;
    // Held until the process exits: the OS releases it even after `kill -9`.
    let lock = match config.database_url {
        None => Some(lock_data_dir(&config.data_dir)?),
        Some(_) => None,
    };
    let listen = config.listen;
    let server = Server::open(config).await?;
    if lock.is_some() {
        // Alone on the data directory: the workers of an earlier `serve` are gone, so their jobs
        // resume now rather than when their leases run out.
        let released = server.engine().release_dead_workers_jobs().await?;
        if released > 0 {
            tracing::info!(
                jobs = released,
                "took over the jobs of the previous serve process"
            );
        }
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}; choose another address with --listen"))?;
    let url = server.config().api.public_url.clone().unwrap_or_else(|| {
        format!(
            "http://{}",
            listener.local_addr().map_or(listen, |address| address)
        )
    });
    let key = server.secret_key().expose_secret().to_owned();
    if server.key_generated() {
        println!(
            "Generated the secret API key (stored encrypted in the data directory; set SNOWGATE_SECRET_KEY to choose your own):"
        );
        println!("  {key}");
    }
    let demo = if args.demo {
        Some(start_demo(&server).await?)
    } else {
        None
    };
    match server.config().role {
        ProcessRole::Worker => println!(
            "Snowgate worker running: scheduler, sync workers, webhook dispatcher and health checks (no HTTP API in this process)"
        ),
        ProcessRole::Api => println!(
            "Snowgate API on {url} (OpenAPI: {url}/openapi.json); syncs and webhooks run in worker processes"
        ),
        ProcessRole::All => println!("Snowgate API on {url} (OpenAPI: {url}/openapi.json)"),
    }
    if let Some(emulator) = &demo {
        println!("Snowflake emulator on {}", emulator.url());
        println!("Demo connection {DEMO_CONNECTION:?} is syncing. API key: {key}");
        // The key rides in the fragment, which browsers never send to the server.
        println!("Dashboard (signed in): {url}/#key={key}");
        println!("List its tables:");
        println!(
            "  curl -s -H 'Authorization: Bearer {key}' -H 'Connection-Id: {DEMO_CONNECTION}' -H 'Provider-Config-Key: snowflake-jwt' '{url}/records?model=Table'"
        );
    }
    println!("Press Ctrl-C to stop.");
    let shutdown = CancellationToken::new();
    tokio::spawn(stop_on_signal(shutdown.clone()));
    server.run(listener, shutdown).await?;
    if let Some(emulator) = demo {
        emulator.shutdown().await;
    }
    Ok(())
}

/// The lock file of an embedded server in its data directory.
const LOCK_FILE: &str = "serve.lock";

/// Takes the exclusive lock of the data directory, so that one `serve` at a time uses its SQLite
/// file (and may take over its predecessor's jobs at once).
fn lock_data_dir(data_dir: &Path) -> anyhow::Result<File> {
    let path = data_dir.join(LOCK_FILE);
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening the lock file {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => anyhow::bail!(
            "another `snowgate serve` is running on the data directory {} (it holds {}); stop it \
             first, or give this one a data directory of its own with --data-dir or \
             SNOWGATE_DATA_DIR (to run several processes on one database, use PostgreSQL: \
             SNOWGATE_DATABASE_URL)",
            data_dir.display(),
            path.display()
        ),
        Err(TryLockError::Error(error)) => {
            Err(error).with_context(|| format!("locking {}", path.display()))
        }
    }
}

/// Starts the emulator with the demo account, registers a fresh key for the demo user, creates
/// the demo connection through the engine (the path `/auth/jwt` takes) and runs its syncs.
async fn start_demo(server: &Server) -> anyhow::Result<snowgate_emulator::Emulator> {
    let emulator = snowgate_emulator::Emulator::start(snowgate_emulator::Config {
        listen: "127.0.0.1:0".parse()?,
        ..snowgate_emulator::Config::default()
    })
    .await?;
    emulator
        .account()
        .load_demo()
        .context("loading the demo account")?;
    let key =
        snowgate_emulator::GeneratedKey::generate().map_err(|error| anyhow::anyhow!("{error}"))?;
    emulator.add_user(DEMO_USER, &key.public_key_pem)?;
    emulator.admin(&format!(
        "GRANT ROLE ACCOUNTADMIN TO USER {DEMO_USER}; ALTER USER {DEMO_USER} SET DEFAULT_ROLE = ACCOUNTADMIN"
    ))?;
    let engine = server.engine();
    let created = engine
        .create_jwt_connection(CreateConnection {
            integration: snowgate_server::provider::SNOWFLAKE_JWT.into(),
            connection_id: Some(DEMO_CONNECTION.into()),
            connection_config: json!({ "base_url": emulator.url() }),
            credentials: SecretJson::new(&json!({
                "type": "JWT",
                "accountIdentifier": emulator.account_identifier(),
                "userName": DEMO_USER,
                "privateKey": key.private_key_pem,
            })),
            tags: [("end_user_id".to_owned(), "demo".to_owned())].into(),
            end_user: None,
            webhook_url_override: None,
            metadata: None,
            reconnect: false,
        })
        .await
        .context("creating the demo connection")?;
    // The query-results sync needs a query: the demo syncs the customers table.
    engine
        .store()
        .write_metadata(
            snowgate_server::provider::SNOWFLAKE_JWT,
            &[DEMO_CONNECTION.to_owned()],
            &json!({
                "query": "SELECT * FROM DEMO_DB.SALES.CUSTOMERS",
                "id_column": "CUSTOMER_ID",
                "incremental_column": "CUSTOMER_ID",
            }),
            MetadataWrite::Merge,
        )
        .await?;
    engine
        .trigger(
            &SyncTarget::Connection(created.connection.id),
            &[],
            TriggerOpts::default(),
        )
        .await
        .context("starting the demo syncs")?;
    Ok(emulator)
}

/// Cancels `shutdown` on Ctrl-C or SIGTERM.
async fn stop_on_signal(shutdown: CancellationToken) {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing requests, checkpointing runs");
    shutdown.cancel();
}
