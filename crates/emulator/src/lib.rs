//! A local Snowflake: the SQL API v2 with key-pair JWT authentication.
//!
//! [`Emulator::start`] serves one emulated [`Account`] over HTTP (or HTTPS with a generated
//! certificate) on a real listener; port 0 picks a free port. Clients talk to it exactly as to
//! Snowflake: `POST /api/v2/statements` with a JWT signed by a key registered for a user,
//! 202/polling, cancel, partitions with `Link` headers and gzip. Tests and the demo set it up
//! through the library:
//!
//! ```no_run
//! # async fn example(public_key_pem: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use snowgate_emulator::{Config, Emulator};
//!
//! let emulator = Emulator::start(Config {
//!     sync_wait: Duration::from_millis(500), // answer 202 sooner than Snowflake's 45 s
//!     partition_size: 10_000,                // force many partitions
//!     ..Config::default()
//! })
//! .await?;
//! emulator.add_user("ALICE", public_key_pem)?;
//! emulator.admin("CREATE DATABASE SALES; GRANT ROLE SYSADMIN TO USER ALICE")?;
//! println!("{} as account {}", emulator.url(), emulator.account_identifier());
//! emulator.faults().update(|f| f.fail_next = 1)?; // the next request answers 503
//! emulator.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! The halves: `server`, `auth`, `request`, `handles`, `results`, `faults` and `tls` speak HTTP;
//! [`account`] holds the catalog and runs SQL; they meet in [`exec`].

#![forbid(unsafe_code)]

pub mod account;
mod auth;
mod config;
pub mod exec;
mod faults;
mod handles;
mod keys;
mod request;
mod results;
mod server;
mod tls;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use tokio::{sync::oneshot, task::JoinHandle};

pub use crate::{
    account::{Account, AccountNames, AddUserError, HistoryEntry},
    config::Config,
    exec::{CollectedRows, SqlError},
    faults::{FaultControl, Faults, FaultsError},
    keys::{GeneratedKey, KeyError},
    tls::Certificate,
};
use crate::{handles::Statements, server::AppState};

/// How long [`Emulator::shutdown`] lets open requests finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Why the emulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(
        "cannot listen on {address}: {source}; choose another address or port (port 0 picks a free one)"
    )]
    Listen {
        address: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot set up TLS: {0}")]
    Tls(std::io::Error),
    #[error("the configured faults are invalid: {0}")]
    Faults(#[from] FaultsError),
}

/// A running emulator. Dropping it stops the server too; [`Emulator::shutdown`] waits for it.
#[derive(Debug)]
pub struct Emulator {
    url: String,
    local_addr: SocketAddr,
    account: Arc<Account>,
    faults: Arc<FaultControl>,
    statements: Arc<Statements>,
    admin_token: String,
    certificate: Option<Certificate>,
    stop: Option<oneshot::Sender<()>>,
    server: JoinHandle<()>,
    sweeper: JoinHandle<()>,
}

impl Emulator {
    /// Starts serving `config` on its listen address with a new, empty account. Must be called
    /// inside a Tokio runtime.
    pub async fn start(config: Config) -> Result<Self, StartError> {
        let account = Account::new(config.account.clone());
        Self::serve(config, account).await
    }

    /// Starts serving an account prepared beforehand (seeds loaded, users added, a large account
    /// generated), so that the port opens only when the account is ready: a client connecting
    /// as soon as it can never sees it half-loaded. The account keeps its own names;
    /// `config.account` is not used. Must be called inside a Tokio runtime.
    pub async fn serve(config: Config, account: Account) -> Result<Self, StartError> {
        let faults = Arc::new(FaultControl::new(config.faults.clone())?);
        account.history().set_limit(config.history_limit);
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|source| StartError::Listen {
                address: config.listen,
                source,
            })?;
        let local_addr = listener.local_addr().map_err(|source| StartError::Listen {
            address: config.listen,
            source,
        })?;
        let account = Arc::new(account);
        let statements = Arc::new(Statements::new(
            config.result_ttl,
            config.result_memory_budget,
        ));
        let admin_token = config
            .admin_token
            .clone()
            .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
        let state = Arc::new(AppState {
            account: Arc::clone(&account),
            statements: Arc::clone(&statements),
            faults: Arc::clone(&faults),
            partition_size: config.partition_size,
            sync_wait: config.sync_wait,
            admin_token: admin_token.clone(),
        });
        let app = server::router(state);
        let (stop, stopped) = oneshot::channel::<()>();
        let shutdown = async move {
            let _ = stopped.await;
        };
        let (scheme, certificate, server) = if config.tls {
            let (certificate, acceptor) = tls::self_signed().map_err(StartError::Tls)?;
            let listener = tls::TlsListener::new(listener, acceptor).map_err(StartError::Tls)?;
            let serve = axum::serve(listener, app).with_graceful_shutdown(shutdown);
            let task = tokio::spawn(async move {
                if let Err(error) = serve.await {
                    tracing::error!(%error, "the emulator's server stopped");
                }
            });
            ("https", Some(certificate), task)
        } else {
            let serve = axum::serve(listener, app).with_graceful_shutdown(shutdown);
            let task = tokio::spawn(async move {
                if let Err(error) = serve.await {
                    tracing::error!(%error, "the emulator's server stopped");
                }
            });
            ("http", None, task)
        };
        let sweeper = {
            let statements = Arc::clone(&statements);
            let period =
                (config.result_ttl / 2).clamp(Duration::from_millis(50), Duration::from_secs(30));
            tokio::spawn(async move {
                let mut ticks = tokio::time::interval(period);
                loop {
                    ticks.tick().await;
                    statements.sweep();
                }
            })
        };
        let url = format!("{scheme}://{local_addr}");
        tracing::info!(%url, account = %account.names().org_account(), "Snowflake emulator ready");
        Ok(Self {
            url,
            local_addr,
            account,
            faults,
            statements,
            admin_token,
            certificate,
            stop: Some(stop),
            server,
            sweeper,
        })
    }

    /// The base URL, e.g. `http://127.0.0.1:41234` (no trailing slash); clients append
    /// `/api/v2/statements`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The address the emulator listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The account identifier to put in JWT claims, in org-account form (`SNOWGATE-EMULATOR`);
    /// the locator ([`AccountNames::locator`]) is accepted too.
    pub fn account_identifier(&self) -> String {
        self.account.names().org_account()
    }

    /// The emulated account: run admin SQL, generate large catalogs, load seeds.
    pub fn account(&self) -> &Account {
        &self.account
    }

    /// The faults in force; change them at any time.
    pub fn faults(&self) -> &FaultControl {
        &self.faults
    }

    /// The bearer token of the `/emulator/admin/*` endpoints.
    pub fn admin_token(&self) -> &str {
        &self.admin_token
    }

    /// The self-signed certificate when serving HTTPS.
    pub fn certificate(&self) -> Option<&Certificate> {
        self.certificate.as_ref()
    }

    /// Bytes of finished results kept for clients to fetch.
    pub fn kept_result_bytes(&self) -> usize {
        self.statements.kept_bytes()
    }

    /// Runs statements as ACCOUNTADMIN (see [`Account::admin`]). Blocks while they run.
    pub fn admin(&self, sql: &str) -> Result<CollectedRows, SqlError> {
        self.account.admin(sql)
    }

    /// Creates user `name` and registers its public key (see [`Account::add_user`]).
    pub fn add_user(&self, name: &str, public_key_pem: &str) -> Result<(), AddUserError> {
        self.account.add_user(name, public_key_pem)
    }

    /// The statements the SQL API ran, oldest first (see [`account::QueryHistory`]); also
    /// `GET /emulator/admin/history` and `INFORMATION_SCHEMA.QUERY_HISTORY()`.
    pub fn history(&self) -> Vec<HistoryEntry> {
        self.account.history().entries()
    }

    /// Stops accepting connections, lets open requests finish for a few seconds, then stops.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.sweeper.abort();
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut self.server)
            .await
            .is_err()
        {
            self.server.abort();
        }
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        self.sweeper.abort();
        self.server.abort();
    }
}
