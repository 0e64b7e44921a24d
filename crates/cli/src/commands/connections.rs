//! `snowgate connections add|list|show|remove`: key-pair connections for operators and scripts.
//! `add` checks the credentials against Snowflake before it stores anything.

use std::collections::BTreeMap;

use anyhow::Context as _;
use secrecy::ExposeSecret;
use serde_json::{Value, json};
use snowgate_engine::{CreateConnection, Engine, SyncTarget};
use snowgate_store::{Connection, ConnectionFilter, SecretJson, Store};

use super::{data_dir::DataArgs, key_input::read_private_key};

/// Arguments of `snowgate connections`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    data: DataArgs,
}

#[derive(Debug, clap::Subcommand)]
enum Command {
    /// Check key-pair credentials against Snowflake and store the connection.
    // Boxed: its arguments would otherwise dwarf the other subcommands'.
    Add(Box<Add>),
    /// List the connections.
    List {
        /// Print JSON lines instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Show one connection (never its credentials) with its syncs.
    Show {
        /// The connection id.
        id: String,
    },
    /// Delete a connection with its syncs and records.
    Remove {
        /// The connection id.
        id: String,
    },
}

#[derive(Debug, clap::Args)]
struct Add {
    /// The account identifier, e.g. myorg-myaccount or xy12345.us-east-2.aws.
    #[arg(long)]
    account: String,
    /// The user's login name.
    #[arg(long)]
    user: String,
    /// The private key file (PKCS#8, encrypted PKCS#8 or PKCS#1 PEM); an encrypted key's
    /// passphrase comes from PRIVATE_KEY_PASSPHRASE or a prompt.
    #[arg(long, value_name = "FILE")]
    private_key: std::path::PathBuf,
    /// Send requests here instead of the account's URL (PrivateLink, a proxy, the emulator).
    #[arg(long, value_name = "URL")]
    base_url: Option<url::Url>,
    /// The connection's metadata, a JSON object (scope of the metadata syncs, query-results
    /// settings).
    #[arg(long, value_name = "JSON")]
    metadata: Option<String>,
    /// The connection id (default: a new UUID).
    #[arg(long)]
    id: Option<String>,
    /// The integration (provider config key).
    #[arg(long, default_value = snowgate_engine::PROVIDER)]
    integration: String,
}

pub async fn run(args: Args) -> anyhow::Result<()> {
    let engine = args.data.open().await?;
    match args.command {
        Command::Add(add) => add_connection(&engine, *add).await,
        Command::List { json } => list(&engine, json).await,
        Command::Show { id } => show(&engine, &id).await,
        Command::Remove { id } => {
            let connection = find(&engine, &id).await?;
            engine.delete_connection(connection.id).await?;
            println!("Removed connection {id} with its syncs and records.");
            Ok(())
        }
    }
}

/// The connection with this id (in any integration).
pub async fn find(engine: &Engine, id: &str) -> anyhow::Result<Connection> {
    let mut found = engine
        .store()
        .list_connections(&ConnectionFilter {
            connection_id: Some(id.to_owned()),
            ..ConnectionFilter::default()
        })
        .await?;
    anyhow::ensure!(
        found.len() < 2,
        "several integrations have a connection {id:?}; this command expects one"
    );
    found.pop().with_context(|| {
        format!("there is no connection {id:?}; `snowgate connections list` shows them")
    })
}

async fn add_connection(engine: &Engine, add: Add) -> anyhow::Result<()> {
    let key = read_private_key(&add.private_key)?;
    let metadata = add
        .metadata
        .as_deref()
        .map(|text| {
            serde_json::from_str::<Value>(text)
                .ok()
                .filter(Value::is_object)
                .context("--metadata must be a JSON object, e.g. '{\"include\": [\"SALES\"]}'")
        })
        .transpose()?;
    let mut config = serde_json::Map::new();
    if let Some(base_url) = &add.base_url {
        config.insert("base_url".into(), Value::String(base_url.to_string()));
    }
    let created = engine
        .create_jwt_connection(CreateConnection {
            integration: add.integration,
            connection_id: add.id,
            connection_config: Value::Object(config),
            credentials: SecretJson::new(&json!({
                "accountIdentifier": add.account,
                "userName": add.user,
                "privateKey": key.to_pkcs8_pem().expose_secret(),
            })),
            tags: BTreeMap::new(),
            end_user: None,
            webhook_url_override: None,
            metadata,
            reconnect: false,
        })
        .await?;
    let verb = if created.created {
        "Created"
    } else {
        "Updated"
    };
    println!(
        "{verb} connection {} (key {}); its auto-start syncs are scheduled.",
        created.connection.connection_id,
        key.fingerprint()
    );
    Ok(())
}

fn summary(connection: &Connection) -> Value {
    json!({
        "connection_id": connection.connection_id,
        "integration": connection.integration_key,
        "created_at": connection.created_at.to_rfc3339(),
        "errors": connection.errors.iter().map(|e| json!({"type": e.kind.as_str(), "scope": e.scope, "log_id": e.log_id})).collect::<Vec<_>>(),
    })
}

async fn list(engine: &Engine, as_json: bool) -> anyhow::Result<()> {
    let connections = engine
        .store()
        .list_connections(&ConnectionFilter::default())
        .await?;
    if as_json {
        for connection in &connections {
            println!("{}", summary(connection));
        }
        return Ok(());
    }
    if connections.is_empty() {
        println!("No connections yet: add one with `snowgate connections add`.");
        return Ok(());
    }
    let width = connections
        .iter()
        .map(|c| c.connection_id.len())
        .max()
        .unwrap_or(0)
        .max("CONNECTION".len());
    println!(
        "{:<width$}  {:<16}  {:<25}  ERRORS",
        "CONNECTION", "INTEGRATION", "CREATED"
    );
    for connection in &connections {
        let errors: Vec<String> = connection
            .errors
            .iter()
            .map(|e| {
                if e.scope.is_empty() {
                    e.kind.as_str().to_owned()
                } else {
                    format!("{} ({})", e.kind.as_str(), e.scope)
                }
            })
            .collect();
        println!(
            "{:<width$}  {:<16}  {:<25}  {}",
            connection.connection_id,
            connection.integration_key,
            connection.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
            if errors.is_empty() {
                "-".to_owned()
            } else {
                errors.join(", ")
            }
        );
    }
    Ok(())
}

async fn show(engine: &Engine, id: &str) -> anyhow::Result<()> {
    let connection = find(engine, id).await?;
    let statuses = engine
        .status(&SyncTarget::Connection(connection.id), &[])
        .await?;
    let syncs: Vec<Value> = statuses
        .iter()
        .map(|status| {
            json!({
                "name": status.name,
                "variant": status.variant,
                "status": status.status.as_str(),
                "frequency": status.frequency,
                "finished_at": status.finished_at.map(|t| t.to_rfc3339()),
                "next_run_at": status.next_scheduled_sync_at.map(|t| t.to_rfc3339()),
                "records": status.record_count,
            })
        })
        .collect();
    let mut details = summary(&connection);
    details["connection_config"] = connection.connection_config.clone();
    details["metadata"] = connection.metadata.clone().unwrap_or(Value::Null);
    details["tags"] = json!(connection.tags);
    details["syncs"] = Value::Array(syncs);
    println!("{}", serde_json::to_string_pretty(&details)?);
    Ok(())
}
